/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The Internet checksum (RFC 1071): the one implementation of the IPv4 header, UDP, ICMP
 * and ICMPv6 checksums. Header only, no DPDK.
 *
 * Sums are 32-bit accumulators of 16-bit words; mxp_cksum_fold() reduces one to 16 bits
 * (not inverted: the checksum field is its complement). The sum is byte-order independent
 * (RFC 1071 2(B)): mxp_cksum_raw() sums native-order words, mxp_cksum_add() big-endian ones.
 */
#ifndef MXP_CKSUM_H
#define MXP_CKSUM_H

#include <stdint.h>
#include <string.h>

#include "mxp_be.h"

/**
 * The 16-bit one's complement sum (RFC 1071, not inverted) of len bytes in native word
 * order, as DPDK's rte_raw_cksum() returns it (same value for every input), several times
 * faster: eight bytes per step into a 64-bit accumulator of 32-bit halves, folded at the end
 * (2^32 and 2^16 are both 1 modulo 0xffff). buf needs no alignment.
 */
static inline uint16_t
mxp_cksum_raw(const void *buf, uint32_t len)
{
	const uint8_t *p = (const uint8_t *)buf;
	uint64_t s = 0, w0, w1, w2, w3;
	for (; len >= 32; p += 32, len -= 32) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		memcpy(&w2, p + 16, 8);
		memcpy(&w3, p + 24, 8);
		s += (w0 & 0xffffffff) + (w0 >> 32) + (w1 & 0xffffffff) + (w1 >> 32) +
		     (w2 & 0xffffffff) + (w2 >> 32) + (w3 & 0xffffffff) + (w3 >> 32);
	}
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w0, p, 8);
		s += (w0 & 0xffffffff) + (w0 >> 32);
	}
	if (len >= 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		s += v;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;
		memcpy(&v, p, 2);
		s += v;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t v = 0;
		memcpy(&v, p, 1); /* the first byte of a native-order word */
		s += v;
	}
	s = (s & 0xffffffff) + (s >> 32);
	s = (s & 0xffffffff) + (s >> 32);
	uint32_t r = (uint32_t)s;
	r = (r & 0xffff) + (r >> 16);
	r = (r & 0xffff) + (r >> 16);
	return (uint16_t)r;
}

/** Add the big-endian 16-bit words of len bytes at p (an odd last byte is a high byte). */
static inline uint32_t
mxp_cksum_add(uint32_t sum, const void *p, uint32_t len)
{
	return sum + mxp_be16(mxp_cksum_raw(p, len));
}

/** Reduce a sum to 16 bits (not inverted). */
static inline uint16_t
mxp_cksum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * Sum of the IPv4/IPv6 pseudo-header (RFC 768, RFC 8200 8.1) of an upper-layer packet of
 * l4_len bytes: source and destination addresses of alen (4 or 16) bytes, protocol, length.
 */
static inline uint32_t
mxp_cksum_pseudo(const void *src, const void *dst, uint8_t alen, uint8_t proto, uint32_t l4_len)
{
	uint32_t sum = mxp_cksum_add(0, src, alen);
	sum = mxp_cksum_add(sum, dst, alen);
	return sum + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

#endif
