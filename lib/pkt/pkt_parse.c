/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame validation: Ethernet → ARP / IPv4 / IPv6 (+ extension headers) → UDP/ICMP/ESP. */
#include <netinet/in.h>

#include "mxp_pkt.h"
#include "pkt_priv.h"

#define ETH_LEN 14
#define ETH_P_IP4 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IP6 0x86dd
#define MAX_EXT_HDRS 4

static enum mxp_pkt_kind
drop(struct mxp_pkt_meta *m, enum mxp_drop reason)
{
	m->kind = MXP_PKT_DROP;
	m->drop = (uint8_t)reason;
	return MXP_PKT_DROP;
}

/* L4 validation common to IPv4 and IPv6. p points at the L4 header, len = L4 bytes. */
static enum mxp_pkt_kind
parse_l4(const uint8_t *p, uint32_t len, unsigned int flags, struct mxp_pkt_meta *m)
{
	const uint8_t *s = m->src.af == AF_INET ? (const uint8_t *)&m->src.v4 : m->src.v6;
	const uint8_t *d = m->dst.af == AF_INET ? (const uint8_t *)&m->dst.v4 : m->dst.v6;
	uint8_t alen = m->src.af == AF_INET ? 4 : 16;

	switch (m->proto) {
	case IPPROTO_UDP: {
		if (len < 8)
			return drop(m, MXP_DROP_UDP_MALFORMED);
		uint16_t ulen = mxp_be_rd16(p + 4);
		if (ulen != len)
			return drop(m, MXP_DROP_UDP_MALFORMED);
		uint16_t ck = mxp_be_rd16(p + 6);
		if (!(flags & MXP_PKT_L4_CKSUM_GOOD)) {
			if (ck == 0) {
				if (m->src.af == AF_INET6)
					return drop(m, MXP_DROP_UDP_CHECKSUM);
			} else {
				uint32_t sum = mxp_cksum_pseudo(s, d, alen, IPPROTO_UDP, len);
				if (mxp_cksum_fold(mxp_cksum_add(sum, p, len)) != 0xffff)
					return drop(m, MXP_DROP_UDP_CHECKSUM);
			}
		}
		m->sport = mxp_be_rd16(p);
		m->dport = mxp_be_rd16(p + 2);
		m->l4_len = 8;
		m->l4_payload_len = (uint16_t)(len - 8);
		m->kind = MXP_PKT_UDP;
		return MXP_PKT_UDP;
	}
	case IPPROTO_ICMP:
		if (m->src.af != AF_INET)
			return drop(m, MXP_DROP_IP_PROTO);
		if (len < 8)
			return drop(m, MXP_DROP_ICMP_MALFORMED);
		if (mxp_cksum_fold(mxp_cksum_add(0, p, len)) != 0xffff)
			return drop(m, MXP_DROP_ICMP_CHECKSUM);
		m->l4_payload_len = (uint16_t)len;
		m->kind = MXP_PKT_ICMP4;
		return MXP_PKT_ICMP4;
	case IPPROTO_ICMPV6:
		if (m->src.af != AF_INET6)
			return drop(m, MXP_DROP_IP_PROTO);
		if (len < 8)
			return drop(m, MXP_DROP_ICMP_MALFORMED);
		if (mxp_cksum_fold(mxp_cksum_add(mxp_cksum_pseudo(s, d, alen, IPPROTO_ICMPV6, len), p,
				       len)) != 0xffff)
			return drop(m, MXP_DROP_ICMP_CHECKSUM);
		m->l4_payload_len = (uint16_t)len;
		m->kind = MXP_PKT_ICMP6;
		return MXP_PKT_ICMP6;
	case IPPROTO_ESP:
		m->l4_payload_len = (uint16_t)len;
		m->kind = MXP_PKT_ESP;
		return MXP_PKT_ESP;
	default:
		return drop(m, MXP_DROP_IP_PROTO);
	}
}

static enum mxp_pkt_kind
parse_ipv4(const uint8_t *p, uint32_t len, unsigned int flags, struct mxp_pkt_meta *m)
{
	if (len < 20 || (p[0] >> 4) != 4)
		return drop(m, MXP_DROP_IPV4_MALFORMED);
	uint32_t ihl = (uint32_t)(p[0] & 0xf) * 4;
	uint32_t tot = mxp_be_rd16(p + 2);
	if (ihl < 20 || ihl > len || tot < ihl || tot > len)
		return drop(m, MXP_DROP_IPV4_MALFORMED);
	if (!(flags & MXP_PKT_L3_CKSUM_GOOD) && mxp_cksum_fold(mxp_cksum_add(0, p, ihl)) != 0xffff)
		return drop(m, MXP_DROP_IPV4_CHECKSUM);
	m->src.af = AF_INET;
	m->dst.af = AF_INET;
	memcpy(&m->src.v4, p + 12, 4);
	memcpy(&m->dst.v4, p + 16, 4);
	m->proto = p[9];
	m->hop_limit = p[8];
	m->l3_len = (uint16_t)ihl;
	/* Fragments: addresses are valid (the control core may reassemble Mp), ports not. */
	if (mxp_be_rd16(p + 6) & 0x3fff) /* MF or fragment offset */
		return drop(m, MXP_DROP_IPV4_FRAGMENT);
	return parse_l4(p + ihl, tot - ihl, flags, m);
}

static enum mxp_pkt_kind
parse_ipv6(const uint8_t *p, uint32_t len, unsigned int flags, struct mxp_pkt_meta *m)
{
	if (len < 40 || (p[0] >> 4) != 6)
		return drop(m, MXP_DROP_IPV6_MALFORMED);
	uint32_t plen = mxp_be_rd16(p + 4);
	if (plen > len - 40)
		return drop(m, MXP_DROP_IPV6_MALFORMED);
	m->src.af = AF_INET6;
	m->dst.af = AF_INET6;
	memcpy(m->src.v6, p + 8, 16);
	memcpy(m->dst.v6, p + 24, 16);
	m->hop_limit = p[7];

	uint8_t nh = p[6];
	uint32_t off = 40, end = 40 + plen;
	for (int i = 0;; i++) {
		if (nh == IPPROTO_FRAGMENT) {
			m->l3_len = (uint16_t)off;
			return drop(m, MXP_DROP_IPV6_FRAGMENT);
		}
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_DSTOPTS && nh != IPPROTO_ROUTING)
			break;
		if (i == MAX_EXT_HDRS || off + 8 > end)
			return drop(m, MXP_DROP_IPV6_MALFORMED);
		uint32_t elen = ((uint32_t)p[off + 1] + 1) * 8;
		if (off + elen > end)
			return drop(m, MXP_DROP_IPV6_MALFORMED);
		/* A routing header with segments left would make us a router: refuse it. */
		if (nh == IPPROTO_ROUTING && p[off + 3] != 0)
			return drop(m, MXP_DROP_IPV6_MALFORMED);
		nh = p[off];
		off += elen;
	}
	m->proto = nh;
	m->l3_len = (uint16_t)off;
	return parse_l4(p + off, end - off, flags, m);
}

static enum mxp_pkt_kind
parse_arp(const uint8_t *p, uint32_t len, struct mxp_pkt_meta *m)
{
	if (len < 28 || mxp_be_rd16(p) != 1 || mxp_be_rd16(p + 2) != ETH_P_IP4 || p[4] != 6 || p[5] != 4)
		return drop(m, MXP_DROP_ARP_MALFORMED);
	uint16_t op = mxp_be_rd16(p + 6);
	if (op != 1 && op != 2)
		return drop(m, MXP_DROP_ARP_MALFORMED);
	m->src.af = AF_INET;
	m->dst.af = AF_INET;
	memcpy(&m->src.v4, p + 14, 4);
	memcpy(&m->dst.v4, p + 24, 4);
	m->l3_len = 28;
	m->kind = MXP_PKT_ARP;
	return MXP_PKT_ARP;
}

enum mxp_pkt_kind
mxp_pkt_parse(const uint8_t *frame, uint32_t len, unsigned int flags, struct mxp_pkt_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (len < ETH_LEN)
		return drop(m, MXP_DROP_RUNT);
	m->l2_len = ETH_LEN;
	uint16_t type = mxp_be_rd16(frame + 12);
	switch (type) {
	case ETH_P_IP4:
		return parse_ipv4(frame + ETH_LEN, len - ETH_LEN, flags, m);
	case ETH_P_IP6:
		return parse_ipv6(frame + ETH_LEN, len - ETH_LEN, flags, m);
	case ETH_P_ARP:
		return parse_arp(frame + ETH_LEN, len - ETH_LEN, m);
	default:
		return drop(m, MXP_DROP_L2_ETHERTYPE);
	}
}

enum mxp_drop
mxp_pkt_nd_parse(const uint8_t *frame, const struct mxp_pkt_meta *m, struct mxp_nd_info *nd)
{
	const uint8_t *ip = frame + m->l2_len;
	const uint8_t *p = ip + m->l3_len;
	uint32_t len = m->l4_payload_len;

	memset(nd, 0, sizeof(*nd));
	if (m->kind != MXP_PKT_ICMP6 || m->hop_limit != 255 || len < 24 || p[1] != 0)
		return MXP_DROP_ND_MALFORMED;
	nd->type = p[0];
	if (nd->type != MXP_ICMP6_NS && nd->type != MXP_ICMP6_NA)
		return MXP_DROP_ND_MALFORMED;
	nd->target = mxp_ip6(p + 8);
	if (nd->target.v6[0] == 0xff)
		return MXP_DROP_ND_MALFORMED;
	if (nd->type == MXP_ICMP6_NA) {
		nd->solicited = (p[4] & 0x40) != 0;
		nd->override = (p[4] & 0x20) != 0;
		/* A solicited NA to a multicast destination is invalid (RFC 4861 7.1.2). */
		if (nd->solicited && m->dst.v6[0] == 0xff)
			return MXP_DROP_ND_MALFORMED;
	}
	static const uint8_t unspec[16];
	bool src_unspec = memcmp(m->src.v6, unspec, 16) == 0;
	uint8_t want = nd->type == MXP_ICMP6_NS ? 1 : 2; /* source / target lladdr */
	for (uint32_t off = 24; off < len;) {
		if (len - off < 2 || p[off + 1] == 0)
			return MXP_DROP_ND_MALFORMED;
		uint32_t olen = (uint32_t)p[off + 1] * 8;
		if (olen > len - off)
			return MXP_DROP_ND_MALFORMED;
		if (p[off] == want && olen == 8) {
			nd->has_lladdr = true;
			memcpy(&nd->lladdr, p + off + 2, 6);
		}
		off += olen;
	}
	/* DAD probes come from :: and must not carry a source link-layer option. */
	if (nd->type == MXP_ICMP6_NS && src_unspec && nd->has_lladdr)
		return MXP_DROP_ND_MALFORMED;
	return MXP_DROP_NONE;
}
