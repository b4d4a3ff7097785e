/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Big-endian (network order) loads and stores at any alignment: the one set every library
 * and tool uses for wire formats (IP, UDP, RTP, SRTP, ESP, the control socket). Header only,
 * no DPDK: lib/esp, lib/mp and mrfc use it without an EAL. memcpy() plus a byte swap compiles
 * to one load or store and a bswap (movbe).
 */
#ifndef MXP_BE_H
#define MXP_BE_H

#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define MXP_BE_SWAP16_(v) (v)
#define MXP_BE_SWAP32_(v) (v)
#define MXP_BE_SWAP64_(v) (v)
#else
#define MXP_BE_SWAP16_(v) __builtin_bswap16(v)
#define MXP_BE_SWAP32_(v) __builtin_bswap32(v)
#define MXP_BE_SWAP64_(v) __builtin_bswap64(v)
#endif

/** The 16-bit big-endian value at p. */
static inline uint16_t
mxp_be_rd16(const void *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return MXP_BE_SWAP16_(v);
}

/** The 32-bit big-endian value at p. */
static inline uint32_t
mxp_be_rd32(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return MXP_BE_SWAP32_(v);
}

/** The 64-bit big-endian value at p. */
static inline uint64_t
mxp_be_rd64(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return MXP_BE_SWAP64_(v);
}

/** Store v big-endian at p. */
static inline void
mxp_be_wr16(void *p, uint16_t v)
{
	v = MXP_BE_SWAP16_(v);
	memcpy(p, &v, 2);
}

/** Store v big-endian at p. */
static inline void
mxp_be_wr32(void *p, uint32_t v)
{
	v = MXP_BE_SWAP32_(v);
	memcpy(p, &v, 4);
}

/** Store v big-endian at p. */
static inline void
mxp_be_wr64(void *p, uint64_t v)
{
	v = MXP_BE_SWAP64_(v);
	memcpy(p, &v, 8);
}

/** A native-order 16-bit value in network order, and back (the swap is its own inverse). */
static inline uint16_t
mxp_be16(uint16_t v)
{
	return MXP_BE_SWAP16_(v);
}

/** A native-order 32-bit value in network order, and back. */
static inline uint32_t
mxp_be32(uint32_t v)
{
	return MXP_BE_SWAP32_(v);
}

#endif
