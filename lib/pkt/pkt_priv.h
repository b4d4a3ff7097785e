/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MXP_PKT_PRIV_H
#define MXP_PKT_PRIV_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "mxp_pkt.h"

/* Short names for the big-endian accessors of mxp_pkt.h inside lib/pkt. */
#define rd16 mxp_pkt_rd16
#define rd32 mxp_pkt_rd32
#define wr16 mxp_pkt_wr16
#define wr32 mxp_pkt_wr32

/*
 * One's complement sum helpers (RFC 1071), big-endian word order. The sum is byte-order
 * independent (RFC 1071 2(B)): the native-order sum, byte-swapped, is the big-endian sum.
 * p must start at an even offset of the packet (every caller's does).
 */
static inline uint32_t
csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	return sum + rte_bswap16(mxp_pkt_raw_sum(p, len));
}

static inline uint16_t
csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Sum of the IPv4/IPv6 pseudo-header (RFC 768 / RFC 8200 8.1). */
uint32_t mxp_pkt_pseudo_sum(const uint8_t *src, const uint8_t *dst, uint8_t alen,
			    uint8_t proto, uint32_t l4_len);

#endif
