/* SPDX-License-Identifier: BSD-3-Clause */
/* Frame builders: ARP, echo replies, neighbour discovery, UDP headers. */
#include <netinet/in.h>

#include "mxp_pkt.h"
#include "pkt_priv.h"

/* DSCP EF (46) << 2: voice (RFC 3246, RFC 4594) */
#define VOICE_TOS 0xb8

static const struct rte_ether_addr bcast = { .addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

static void
eth_hdr(uint8_t *f, const struct rte_ether_addr *dst, const struct rte_ether_addr *src,
	uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	mxp_be_wr16(f + 12, type);
}

static uint32_t
arp_frame(uint8_t *f, uint16_t op, const struct rte_ether_addr *eth_dst,
	  const struct rte_ether_addr *sha, uint32_t sip, const struct rte_ether_addr *tha,
	  uint32_t tip)
{
	memset(f, 0, MXP_PKT_ARP_LEN);
	eth_hdr(f, eth_dst, sha, 0x0806);
	uint8_t *a = f + 14;
	mxp_be_wr16(a, 1);
	mxp_be_wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	mxp_be_wr16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &sip, 4);
	memcpy(a + 18, tha, 6);
	memcpy(a + 24, &tip, 4);
	return MXP_PKT_ARP_LEN; /* padded to the Ethernet minimum */
}

uint32_t
mxp_pkt_build_arp_request(uint8_t *frame, const struct rte_ether_addr *src_mac, uint32_t src_ip,
			  uint32_t target_ip)
{
	static const struct rte_ether_addr zero;
	return arp_frame(frame, 1, &bcast, src_mac, src_ip, &zero, target_ip);
}

uint32_t
mxp_pkt_build_arp_reply(uint8_t *frame, const struct rte_ether_addr *mac, uint32_t ip,
			const struct rte_ether_addr *dst_mac, uint32_t dst_ip)
{
	return arp_frame(frame, 2, dst_mac, mac, ip, dst_mac, dst_ip);
}

uint32_t
mxp_pkt_arp_reply(uint8_t *frame, const struct rte_ether_addr *our_mac)
{
	struct rte_ether_addr sha;
	uint32_t sip, tip;
	uint8_t *a = frame + 14;

	memcpy(&sha, a + 8, 6);
	memcpy(&sip, a + 14, 4);
	memcpy(&tip, a + 24, 4);
	return mxp_pkt_build_arp_reply(frame, our_mac, tip, &sha, sip);
}

/* Swap Ethernet source and destination. */
static void
eth_swap(uint8_t *f)
{
	uint8_t t[6];
	memcpy(t, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, t, 6);
}

uint32_t
mxp_pkt_icmp4_echo_reply(uint8_t *frame, const struct mxp_pkt_meta *m)
{
	uint8_t *ip = frame + m->l2_len;
	uint8_t *icmp = ip + m->l3_len;

	if (m->kind != MXP_PKT_ICMP4 || icmp[0] != 8 || icmp[1] != 0)
		return 0;
	eth_swap(frame);
	uint8_t t[4];
	memcpy(t, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, t, 4);
	ip[8] = 64; /* fresh TTL */
	/* Options (record route, ...) are not echoed back: drop them. */
	if (m->l3_len != 20) {
		memmove(ip + 20, icmp, m->l4_payload_len);
		icmp = ip + 20;
		ip[0] = 0x45;
	}
	mxp_be_wr16(ip + 2, (uint16_t)(20 + m->l4_payload_len));
	mxp_be_wr16(ip + 10, 0);
	mxp_be_wr16(ip + 10, (uint16_t)~mxp_cksum_fold(mxp_cksum_add(0, ip, 20)));
	icmp[0] = 0;
	mxp_be_wr16(icmp + 2, 0);
	mxp_be_wr16(icmp + 2, (uint16_t)~mxp_cksum_fold(mxp_cksum_add(0, icmp, m->l4_payload_len)));
	return m->l2_len + 20u + m->l4_payload_len;
}

static uint16_t
icmp6_cksum(const uint8_t *src, const uint8_t *dst, const uint8_t *icmp, uint32_t len)
{
	uint32_t sum = mxp_cksum_pseudo(src, dst, 16, IPPROTO_ICMPV6, len);
	return (uint16_t)~mxp_cksum_fold(mxp_cksum_add(sum, icmp, len));
}

uint32_t
mxp_pkt_icmp6_echo_reply(uint8_t *frame, const struct mxp_pkt_meta *m)
{
	uint8_t *ip = frame + m->l2_len;
	uint8_t *icmp = ip + m->l3_len;

	if (m->kind != MXP_PKT_ICMP6 || icmp[0] != MXP_ICMP6_ECHO_REQUEST || icmp[1] != 0)
		return 0;
	eth_swap(frame);
	uint8_t src[16], dst[16];
	memcpy(src, ip + 24, 16); /* we answer from the address that was pinged */
	memcpy(dst, ip + 8, 16);
	if (m->l3_len != 40) { /* drop extension headers */
		memmove(ip + 40, icmp, m->l4_payload_len);
		icmp = ip + 40;
	}
	struct mxp_ip s6 = mxp_ip6(src), d6 = mxp_ip6(dst);
	mxp_ip_hdr_write(ip, &s6, &d6, IPPROTO_ICMPV6, 64, 0, 0, m->l4_payload_len);
	icmp[0] = MXP_ICMP6_ECHO_REPLY;
	mxp_be_wr16(icmp + 2, 0);
	mxp_be_wr16(icmp + 2, icmp6_cksum(src, dst, icmp, m->l4_payload_len));
	return m->l2_len + 40u + m->l4_payload_len;
}

uint32_t
mxp_pkt_build_ns(uint8_t *frame, const struct rte_ether_addr *mac, const struct mxp_ip *src,
		 const struct mxp_ip *target)
{
	struct mxp_ip group = mxp_ip6_solicited_node(target);
	struct rte_ether_addr gmac;

	mxp_ether_ip6_mcast(&group, &gmac);
	eth_hdr(frame, &gmac, mac, 0x86dd);
	uint8_t *ip = frame + 14, *icmp = ip + 40;
	mxp_ip_hdr_write(ip, src, &group, IPPROTO_ICMPV6, 255, 0, 0, 32);
	memset(icmp, 0, 32);
	icmp[0] = MXP_ICMP6_NS;
	memcpy(icmp + 8, target->v6, 16);
	icmp[24] = 1; /* source link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	mxp_be_wr16(icmp + 2, icmp6_cksum(src->v6, group.v6, icmp, 32));
	return 14 + 40 + 32;
}

uint32_t
mxp_pkt_build_na(uint8_t *frame, const struct rte_ether_addr *mac, const struct mxp_ip *target,
		 const struct mxp_ip *dst, const struct rte_ether_addr *dst_mac, bool solicited)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	struct rte_ether_addr emac;
	struct mxp_ip an = mxp_ip6(all_nodes);
	const uint8_t *d = solicited ? dst->v6 : all_nodes;

	if (solicited)
		emac = *dst_mac;
	else
		mxp_ether_ip6_mcast(&an, &emac);
	eth_hdr(frame, &emac, mac, 0x86dd);
	uint8_t *ip = frame + 14, *icmp = ip + 40;
	mxp_ip_hdr_write(ip, target, solicited ? dst : &an, IPPROTO_ICMPV6, 255, 0, 0, 32);
	memset(icmp, 0, 32);
	icmp[0] = MXP_ICMP6_NA;
	icmp[4] = (uint8_t)((solicited ? 0x40 : 0) | 0x20); /* S, O */
	memcpy(icmp + 8, target->v6, 16);
	icmp[24] = 2; /* target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, mac, 6);
	mxp_be_wr16(icmp + 2, icmp6_cksum(target->v6, d, icmp, 32));
	return 14 + 40 + 32;
}

uint16_t
mxp_pkt_payload_sum(const void *payload, uint16_t len)
{
	return mxp_cksum_fold(mxp_cksum_add(0, payload, len));
}

void
mxp_pkt_udp_tmpl_init(struct mxp_pkt_udp_tmpl *t, const struct mxp_pkt_udp_addr *a)
{
	uint8_t *h = t->hdr;
	uint8_t *udp;

	memset(t, 0, sizeof(*t));
	t->af = a->src.af;
	if (a->src.af == AF_INET) {
		eth_hdr(h, &a->dst_mac, &a->src_mac, 0x0800);
		uint8_t *ip = h + 14;
		/* DSCP EF (46), as for voice; length and checksum are 0 here */
		mxp_ip_hdr_write(ip, &a->src, &a->dst, IPPROTO_UDP, 64, VOICE_TOS,
				 MXP_IP_DF | MXP_IP_NO_CKSUM, 0);
		mxp_be_wr16(ip + 2, 0);
		t->ip_sum = mxp_cksum_add(0, ip, 20);
		udp = ip + 20;
		t->udp_sum = mxp_cksum_pseudo(ip + 12, ip + 16, 4, IPPROTO_UDP, 0);
		t->len = 42;
	} else {
		eth_hdr(h, &a->dst_mac, &a->src_mac, 0x86dd);
		uint8_t *ip = h + 14;
		mxp_ip_hdr_write(ip, &a->src, &a->dst, IPPROTO_UDP, 64, VOICE_TOS, 0, 0);
		udp = ip + 40;
		t->udp_sum = mxp_cksum_pseudo(ip + 8, ip + 24, 16, IPPROTO_UDP, 0);
		t->len = 62;
	}
	mxp_be_wr16(udp, a->sport);
	mxp_be_wr16(udp + 2, a->dport);
	t->udp_sum += (uint32_t)a->sport + a->dport;
}

void
mxp_pkt_udp_tmpl_write(const struct mxp_pkt_udp_tmpl *t, uint8_t *hdr,
		       const struct rte_ether_addr *dst_mac, uint16_t payload_len,
		       uint16_t payload_sum)
{
	uint16_t ulen = (uint16_t)(8 + payload_len);
	uint8_t *udp;

	memcpy(hdr, t->hdr, t->len);
	memcpy(hdr, dst_mac, 6);
	if (t->af == AF_INET) {
		uint8_t *ip = hdr + 14;
		uint16_t tot = (uint16_t)(20 + ulen);
		mxp_be_wr16(ip + 2, tot);
		mxp_be_wr16(ip + 10, (uint16_t)~mxp_cksum_fold(t->ip_sum + tot));
		udp = ip + 20;
	} else {
		mxp_be_wr16(hdr + 14 + 4, ulen);
		udp = hdr + 14 + 40;
	}
	mxp_be_wr16(udp + 4, ulen);
	/* pseudo-header length + UDP length field + payload */
	uint16_t ck = (uint16_t)~mxp_cksum_fold(t->udp_sum + 2u * ulen + payload_sum);
	mxp_be_wr16(udp + 6, ck == 0 ? 0xffff : ck);
}

uint16_t
mxp_pkt_build_udp(uint8_t *hdr, const struct mxp_pkt_udp_addr *a, uint16_t payload_len,
		  uint16_t payload_sum)
{
	struct mxp_pkt_udp_tmpl t;
	mxp_pkt_udp_tmpl_init(&t, a);
	mxp_pkt_udp_tmpl_write(&t, hdr, &a->dst_mac, payload_len, payload_sum);
	return t.len;
}
