/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * IP addresses and IP headers: the one address type of the tree (the data path, the Mp plane,
 * ESP and mrfc all use struct mxp_ip) and the one IPv4/IPv6 header writer. No DPDK: lib/esp,
 * lib/mp and mrfc use it without an EAL.
 */
#ifndef MXP_IP_H
#define MXP_IP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/** An IPv4 or IPv6 address. Zero the whole struct before filling it: it is a hash key. */
struct mxp_ip {
	uint8_t af; /**< AF_INET or AF_INET6; 0 for none */
	uint8_t pad_[3];
	union {
		uint32_t v4;    /**< network byte order */
		uint8_t v6[16];
	};
};

/** Longest text mxp_ip_format() writes, with its NUL (INET6_ADDRSTRLEN). */
#define MXP_IP_STRLEN 46

/** Bytes of the address on the wire: 4 (IPv4) or 16. */
static inline uint8_t
mxp_ip_len(const struct mxp_ip *ip)
{
	return ip->af == AF_INET ? 4 : 16;
}

/** The address bytes in network order (mxp_ip_len() of them). */
static inline const uint8_t *
mxp_ip_bytes(const struct mxp_ip *ip)
{
	return ip->v6; /* v4 shares the first four bytes */
}

/** Equality of two addresses (family and bytes). */
static inline bool
mxp_ip_equal(const struct mxp_ip *a, const struct mxp_ip *b)
{
	if (a->af != b->af)
		return false;
	if (a->af == AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, 16) == 0; /* two unaligned 8-byte loads */
}

/** Make an IPv4 mxp_ip from a network-order address. */
static inline struct mxp_ip
mxp_ip4(uint32_t be_addr)
{
	struct mxp_ip ip = { .af = AF_INET };
	ip.v4 = be_addr;
	return ip;
}

/** Make an IPv6 mxp_ip from 16 bytes. */
static inline struct mxp_ip
mxp_ip6(const uint8_t addr[16])
{
	struct mxp_ip ip = { .af = AF_INET6 };
	memcpy(ip.v6, addr, 16);
	return ip;
}

/** Make an mxp_ip of family af (AF_INET or AF_INET6) from its mxp_ip_len() bytes. */
static inline struct mxp_ip
mxp_ip_from_bytes(uint8_t af, const void *bytes)
{
	struct mxp_ip ip = { .af = af };
	memcpy(ip.v6, bytes, af == AF_INET ? 4 : 16);
	return ip;
}

/**
 * Parse "192.0.2.1", "2001:db8::1", optionally followed by "/prefix" when plen is not
 * NULL (a missing prefix gives 32 or 128). Returns 0, or -EINVAL.
 */
int mxp_ip_parse(const char *s, struct mxp_ip *ip, uint8_t *plen);

/** Format an address (no prefix; "-" when af is neither family) into buf. Returns buf. */
const char *mxp_ip_format(const struct mxp_ip *ip, char *buf, size_t len);

/**
 * Parse "192.0.2.1:5004" or "[2001:db8::1]:5004" (brackets for IPv6 only; port 1..65535).
 * Returns 0, or -EINVAL.
 */
int mxp_ip_port_parse(const char *s, struct mxp_ip *ip, uint16_t *port);

/** Format "192.0.2.1:5004" or "[2001:db8::1]:5004" into buf. Returns buf. */
const char *mxp_ip_port_format(const struct mxp_ip *ip, uint16_t port, char *buf, size_t len);

/** True when a and b share their first plen bits (same family required). */
bool mxp_ip_prefix_match(const struct mxp_ip *a, const struct mxp_ip *b, uint8_t plen);

/* ---- IP headers ---------------------------------------------------------------------- */

/** IPv4 header length without options, IPv6 fixed header length. */
#define MXP_IP4_HDR_LEN 20
#define MXP_IP6_HDR_LEN 40

/** Header length of family af (20 or 40). */
static inline uint16_t
mxp_ip_hdr_len(uint8_t af)
{
	return af == AF_INET ? MXP_IP4_HDR_LEN : MXP_IP6_HDR_LEN;
}

/** mxp_ip_hdr_write() flags. */
#define MXP_IP_DF 0x1        /**< IPv4: set Don't Fragment */
#define MXP_IP_NO_CKSUM 0x2  /**< IPv4: leave the header checksum 0 (for partial sums) */

/**
 * Write an IPv4 header (no options, identification 0) or an IPv6 header (flow label 0) of
 * the family of src for a payload of payload_len bytes, with the IPv4 header checksum.
 *
 * @param ip     room for mxp_ip_hdr_len(src->af) bytes
 * @param src    source; its family is the header's (dst must be of the same family)
 * @param dst    destination
 * @param proto  IPv4 protocol / IPv6 next header
 * @param ttl    IPv4 TTL / IPv6 hop limit
 * @param tos    IPv4 type of service / IPv6 traffic class (DSCP << 2 | ECN)
 * @param flags  MXP_IP_*
 * @param payload_len  bytes after the header (IPv4: total length - 20)
 * @return the header length (20 or 40)
 */
uint16_t mxp_ip_hdr_write(uint8_t *ip, const struct mxp_ip *src, const struct mxp_ip *dst,
			  uint8_t proto, uint8_t ttl, uint8_t tos, unsigned int flags,
			  uint16_t payload_len);

#endif
