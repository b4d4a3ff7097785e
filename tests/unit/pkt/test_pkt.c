/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/pkt against frames built by scapy (tests/vectors/pkt_scapy.h): the parser
 * accepts them and reads the right fields, the builders produce the same bytes, and
 * every truncation or corruption is rejected under its own reason.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include <rte_ip.h>

#include "mxp_pkt.h"
#include "mxp_rtp.h"
#include "mxp_test.h"
#include "../../vectors/pkt_scapy.h"

static const struct rte_ether_addr our = { { 2, 0, 0, 0, 0, 2 } };
static const struct rte_ether_addr peer = { { 2, 0, 0, 0, 0, 1 } };

static struct mxp_ip
ip(const char *s)
{
	struct mxp_ip a;
	if (mxp_ip_parse(s, &a, NULL) != 0)
		abort();
	return a;
}

MXP_TEST(parse_udp4)
{
	struct mxp_pkt_meta m;
	MXP_CHECK_EQ(t, mxp_pkt_parse(vec_udp4, sizeof(vec_udp4), 0, &m), MXP_PKT_UDP);
	MXP_CHECK_EQ(t, m.l2_len, 14);
	MXP_CHECK_EQ(t, m.l3_len, 20);
	MXP_CHECK_EQ(t, m.l4_len, 8);
	MXP_CHECK_EQ(t, m.l4_payload_len, 160);
	MXP_CHECK_EQ(t, m.sport, 20000);
	MXP_CHECK_EQ(t, m.dport, 5004);
	struct mxp_ip s = ip("192.0.2.2"), d = ip("192.0.2.1");
	MXP_CHECK(t, mxp_ip_equal(&m.src, &s));
	MXP_CHECK(t, mxp_ip_equal(&m.dst, &d));
	/* Ethernet padding after the IP datagram is not payload. */
	uint8_t padded[sizeof(vec_udp4) + 6] = { 0 };
	memcpy(padded, vec_udp4, sizeof(vec_udp4));
	MXP_CHECK_EQ(t, mxp_pkt_parse(padded, sizeof(padded), 0, &m), MXP_PKT_UDP);
	MXP_CHECK_EQ(t, m.l4_payload_len, 160);
}

MXP_TEST(parse_udp6_and_ext_headers)
{
	struct mxp_pkt_meta m;
	MXP_CHECK_EQ(t, mxp_pkt_parse(vec_udp6, sizeof(vec_udp6), 0, &m), MXP_PKT_UDP);
	MXP_CHECK_EQ(t, m.l3_len, 40);
	MXP_CHECK_EQ(t, m.l4_payload_len, 160);
	MXP_CHECK_EQ(t, mxp_pkt_parse(vec_udp6_hbh, sizeof(vec_udp6_hbh), 0, &m), MXP_PKT_UDP);
	MXP_CHECK_EQ(t, m.l3_len, 48);
	MXP_CHECK_EQ(t, m.dport, 20000);
	MXP_CHECK_EQ(t, m.l4_payload_len, 20);
}

/* Every truncation of a valid frame is rejected, never read past the end. */
MXP_TEST(truncations_rejected)
{
	static const struct {
		const uint8_t *f;
		size_t len;
	} v[] = {
		{ vec_udp4, sizeof(vec_udp4) }, { vec_udp6, sizeof(vec_udp6) },
		{ vec_echo4_req, sizeof(vec_echo4_req) }, { vec_echo6_req, sizeof(vec_echo6_req) },
		{ vec_arp_req, sizeof(vec_arp_req) }, { vec_udp6_hbh, sizeof(vec_udp6_hbh) },
	};
	for (size_t i = 0; i < RTE_DIM(v); i++) {
		unsigned int bad = 0;
		for (size_t l = 0; l < v[i].len; l++) {
			/* a heap copy of exactly l bytes, so ASan sees any overread */
			uint8_t *c = malloc(l ? l : 1);
			memcpy(c, v[i].f, l);
			struct mxp_pkt_meta m;
			if (mxp_pkt_parse(c, (uint32_t)l, 0, &m) != MXP_PKT_DROP || m.drop == 0)
				bad++;
			free(c);
		}
		MXP_CHECK_EQ(t, bad, 0);
	}
	struct mxp_pkt_meta m;
	mxp_pkt_parse(vec_udp4, 10, 0, &m);
	MXP_CHECK_EQ(t, m.drop, MXP_DROP_RUNT);
	mxp_pkt_parse(vec_udp4, 30, 0, &m);
	MXP_CHECK_EQ(t, m.drop, MXP_DROP_IPV4_MALFORMED);
	mxp_pkt_parse(vec_udp4, 14 + 20 + 4, 0, &m);
	MXP_CHECK_EQ(t, m.drop, MXP_DROP_IPV4_MALFORMED); /* total length beyond the frame */
	mxp_pkt_parse(vec_arp_req, 30, 0, &m);
	MXP_CHECK_EQ(t, m.drop, MXP_DROP_ARP_MALFORMED);
}

/* Table of single-field corruptions and the reason each must give. */
MXP_TEST(corruptions_have_reasons)
{
	static const struct {
		const char *what;
		const uint8_t *f;
		size_t len;
		size_t off;
		uint8_t xor;
		enum mxp_drop reason;
	} rows[] = {
		{ "ipv4 version", vec_udp4, sizeof(vec_udp4), 14, 0x10, MXP_DROP_IPV4_MALFORMED },
		{ "ipv4 ihl < 5", vec_udp4, sizeof(vec_udp4), 14, 0x01, MXP_DROP_IPV4_MALFORMED },
		{ "ipv4 header checksum", vec_udp4, sizeof(vec_udp4), 14 + 10, 0x01, MXP_DROP_IPV4_CHECKSUM },
		{ "ipv4 source byte", vec_udp4, sizeof(vec_udp4), 14 + 12, 0x80, MXP_DROP_IPV4_CHECKSUM },
		{ "udp payload byte", vec_udp4, sizeof(vec_udp4), 50, 0x40, MXP_DROP_UDP_CHECKSUM },
		{ "udp length", vec_udp4, sizeof(vec_udp4), 14 + 20 + 5, 0x01, MXP_DROP_UDP_MALFORMED },
		{ "udp6 payload", vec_udp6, sizeof(vec_udp6), 80, 0x01, MXP_DROP_UDP_CHECKSUM },
		{ "ipv6 version", vec_udp6, sizeof(vec_udp6), 14, 0x20, MXP_DROP_IPV6_MALFORMED },
		{ "ipv6 payload length", vec_udp6, sizeof(vec_udp6), 14 + 4, 0x80, MXP_DROP_IPV6_MALFORMED },
		{ "icmp payload", vec_echo4_req, sizeof(vec_echo4_req), 60, 0x02, MXP_DROP_ICMP_CHECKSUM },
		{ "icmpv6 payload", vec_echo6_req, sizeof(vec_echo6_req), 70, 0x02, MXP_DROP_ICMP_CHECKSUM },
		{ "ethertype", vec_udp4, sizeof(vec_udp4), 12, 0x01, MXP_DROP_L2_ETHERTYPE },
		{ "arp hardware type", vec_arp_req, sizeof(vec_arp_req), 15, 0x02, MXP_DROP_ARP_MALFORMED },
		{ "ipv4 protocol tcp", vec_udp4, sizeof(vec_udp4), 14 + 9, 17 ^ 6, MXP_DROP_IPV4_CHECKSUM },
	};
	for (size_t i = 0; i < RTE_DIM(rows); i++) {
		uint8_t f[256];
		struct mxp_pkt_meta m;
		memcpy(f, rows[i].f, rows[i].len);
		f[rows[i].off] ^= rows[i].xor;
		enum mxp_pkt_kind k = mxp_pkt_parse(f, (uint32_t)rows[i].len, 0, &m);
		if (!MXP_CHECK(t, k == MXP_PKT_DROP && m.drop == rows[i].reason))
			printf("#   row '%s': kind %d drop %s, expected %s\n", rows[i].what, k,
			       mxp_drop_name(m.drop), mxp_drop_name(rows[i].reason));
	}
	/* IPv4 fragment; hardware-verified checksums skip the software check. */
	uint8_t f[256];
	struct mxp_pkt_meta m;
	memcpy(f, vec_udp4, sizeof(vec_udp4));
	f[14 + 6] |= 0x20; /* MF */
	mxp_pkt_parse(f, sizeof(vec_udp4), MXP_PKT_L3_CKSUM_GOOD, &m);
	MXP_CHECK_EQ(t, m.drop, MXP_DROP_IPV4_FRAGMENT);
	memcpy(f, vec_udp4, sizeof(vec_udp4));
	f[60] ^= 1;
	MXP_CHECK_EQ(t, mxp_pkt_parse(f, sizeof(vec_udp4), MXP_PKT_L4_CKSUM_GOOD, &m), MXP_PKT_UDP);
	/* A zero UDP checksum is allowed over IPv4, never over IPv6 (RFC 8200 8.1). */
	memcpy(f, vec_udp4, sizeof(vec_udp4));
	f[14 + 20 + 6] = f[14 + 20 + 7] = 0;
	MXP_CHECK_EQ(t, mxp_pkt_parse(f, sizeof(vec_udp4), 0, &m), MXP_PKT_UDP);
	memcpy(f, vec_udp6, sizeof(vec_udp6));
	f[14 + 40 + 6] = f[14 + 40 + 7] = 0;
	mxp_pkt_parse(f, sizeof(vec_udp6), 0, &m);
	MXP_CHECK_EQ(t, m.drop, MXP_DROP_UDP_CHECKSUM);
}

MXP_TEST(build_udp_matches_scapy)
{
	uint8_t f[300];
	struct mxp_pkt_udp_addr a = { .src_mac = our, .dst_mac = peer, .sport = 20000, .dport = 5004 };
	uint8_t payload[160];
	for (int i = 0; i < 160; i++)
		payload[i] = (uint8_t)i;
	uint16_t sum = mxp_pkt_payload_sum(payload, sizeof(payload));

	a.src = ip("192.0.2.2");
	a.dst = ip("192.0.2.1");
	uint16_t h = mxp_pkt_build_udp(f, &a, sizeof(payload), sum);
	memcpy(f + h, payload, sizeof(payload));
	MXP_CHECK_EQ(t, h + sizeof(payload), sizeof(vec_udp4));
	MXP_CHECK_MEM(t, f, vec_udp4, sizeof(vec_udp4));

	a.src = ip("2001:db8::2");
	a.dst = ip("2001:db8::1");
	h = mxp_pkt_build_udp(f, &a, sizeof(payload), sum);
	memcpy(f + h, payload, sizeof(payload));
	MXP_CHECK_EQ(t, h + sizeof(payload), sizeof(vec_udp6));
	MXP_CHECK_MEM(t, f, vec_udp6, sizeof(vec_udp6));
}

/* The template with its MAC stored (replication's per-copy write) gives scapy's frames too. */
MXP_TEST(udp_template_put_matches_scapy)
{
	uint8_t f[300];
	struct mxp_pkt_udp_addr a = { .src_mac = our, .sport = 20000, .dport = 5004 };
	uint8_t payload[160];
	for (int i = 0; i < 160; i++)
		payload[i] = (uint8_t)i;
	uint16_t sum = mxp_pkt_payload_sum(payload, sizeof(payload));
	struct mxp_pkt_udp_tmpl tm;

	a.src = ip("192.0.2.2");
	a.dst = ip("192.0.2.1");
	mxp_pkt_udp_tmpl_init(&tm, &a);
	mxp_pkt_udp_tmpl_set_mac(&tm, &peer);
	memset(f, 0xee, sizeof(f));
	mxp_pkt_udp_tmpl_put(&tm, f, sizeof(payload), sum);
	memcpy(f + tm.len, payload, sizeof(payload));
	MXP_CHECK_EQ(t, tm.len + sizeof(payload), sizeof(vec_udp4));
	MXP_CHECK_MEM(t, f, vec_udp4, sizeof(vec_udp4));

	a.src = ip("2001:db8::2");
	a.dst = ip("2001:db8::1");
	mxp_pkt_udp_tmpl_init(&tm, &a);
	mxp_pkt_udp_tmpl_set_mac(&tm, &peer);
	memset(f, 0xee, sizeof(f));
	mxp_pkt_udp_tmpl_put(&tm, f, sizeof(payload), sum);
	memcpy(f + tm.len, payload, sizeof(payload));
	MXP_CHECK_EQ(t, tm.len + sizeof(payload), sizeof(vec_udp6));
	MXP_CHECK_MEM(t, f, vec_udp6, sizeof(vec_udp6));
}

MXP_TEST(echo_replies_match_scapy)
{
	uint8_t f[256];
	struct mxp_pkt_meta m;

	memcpy(f, vec_echo4_req, sizeof(vec_echo4_req));
	MXP_CHECK_EQ(t, mxp_pkt_parse(f, sizeof(vec_echo4_req), 0, &m), MXP_PKT_ICMP4);
	MXP_CHECK_EQ(t, mxp_pkt_icmp4_echo_reply(f, &m), sizeof(vec_echo4_rep));
	MXP_CHECK_MEM(t, f, vec_echo4_rep, sizeof(vec_echo4_rep));

	memcpy(f, vec_echo6_req, sizeof(vec_echo6_req));
	MXP_CHECK_EQ(t, mxp_pkt_parse(f, sizeof(vec_echo6_req), 0, &m), MXP_PKT_ICMP6);
	MXP_CHECK_EQ(t, mxp_pkt_icmp6_echo_reply(f, &m), sizeof(vec_echo6_rep));
	MXP_CHECK_MEM(t, f, vec_echo6_rep, sizeof(vec_echo6_rep));

	/* An echo reply is not answered. */
	memcpy(f, vec_echo4_rep, sizeof(vec_echo4_rep));
	mxp_pkt_parse(f, sizeof(vec_echo4_rep), 0, &m);
	MXP_CHECK_EQ(t, mxp_pkt_icmp4_echo_reply(f, &m), 0);
}

MXP_TEST(arp_matches_scapy)
{
	uint8_t f[64];
	struct mxp_pkt_meta m;
	struct mxp_ip a = ip("192.0.2.2"), b = ip("192.0.2.1");

	memcpy(f, vec_arp_req, sizeof(vec_arp_req));
	MXP_CHECK_EQ(t, mxp_pkt_parse(f, sizeof(vec_arp_req), 0, &m), MXP_PKT_ARP);
	MXP_CHECK(t, mxp_ip_equal(&m.dst, &a));
	MXP_CHECK(t, mxp_ip_equal(&m.src, &b));
	MXP_CHECK_EQ(t, mxp_pkt_arp_reply(f, &our), sizeof(vec_arp_rep));
	MXP_CHECK_MEM(t, f, vec_arp_rep, sizeof(vec_arp_rep));
	MXP_CHECK_EQ(t, mxp_pkt_build_arp_request(f, &our, a.v4, b.v4), sizeof(vec_arp_our_req));
	MXP_CHECK_MEM(t, f, vec_arp_our_req, sizeof(vec_arp_our_req));
}

MXP_TEST(nd_matches_scapy)
{
	uint8_t f[128];
	struct mxp_ip a = ip("2001:db8::2"), b = ip("2001:db8::1");
	struct mxp_pkt_meta m;
	struct mxp_nd_info nd;

	MXP_CHECK_EQ(t, mxp_pkt_build_ns(f, &our, &a, &b), sizeof(vec_ns));
	MXP_CHECK_MEM(t, f, vec_ns, sizeof(vec_ns));
	MXP_CHECK_EQ(t, mxp_pkt_build_na(f, &our, &a, &b, &peer, true), sizeof(vec_na));
	MXP_CHECK_MEM(t, f, vec_na, sizeof(vec_na));

	MXP_CHECK_EQ(t, mxp_pkt_parse(vec_ns, sizeof(vec_ns), 0, &m), MXP_PKT_ICMP6);
	MXP_CHECK_EQ(t, mxp_pkt_nd_parse(vec_ns, &m, &nd), MXP_DROP_NONE);
	MXP_CHECK_EQ(t, nd.type, MXP_ICMP6_NS);
	MXP_CHECK(t, nd.has_lladdr && rte_is_same_ether_addr(&nd.lladdr, &our));
	MXP_CHECK(t, mxp_ip_equal(&nd.target, &b));
	MXP_CHECK_EQ(t, mxp_pkt_parse(vec_na, sizeof(vec_na), 0, &m), MXP_PKT_ICMP6);
	MXP_CHECK_EQ(t, mxp_pkt_nd_parse(vec_na, &m, &nd), MXP_DROP_NONE);
	MXP_CHECK(t, nd.solicited && nd.override && nd.has_lladdr);

	/* RFC 4861 7.1.1: hop limit must be 255 (fix the checksum so only that differs). */
	memcpy(f, vec_ns, sizeof(vec_ns));
	f[14 + 7] = 64;
	MXP_CHECK_EQ(t, mxp_pkt_parse(f, sizeof(vec_ns), MXP_PKT_L4_CKSUM_GOOD, &m), MXP_PKT_ICMP6);
	MXP_CHECK_EQ(t, mxp_pkt_nd_parse(f, &m, &nd), MXP_DROP_ND_MALFORMED);
}

/* mxp_cksum_raw returns exactly what DPDK's rte_raw_cksum does, for every length and
 * alignment, on random data and on the edge cases of one's complement folding. */
MXP_TEST(raw_sum_matches_dpdk)
{
	static uint8_t buf[2100];
	srand(7);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	unsigned int bad = 0;
	for (uint32_t off = 0; off < 8; off++)
		for (uint32_t len = 0; len <= 2048; len++)
			bad += mxp_cksum_raw(buf + off, len) != rte_raw_cksum(buf + off, len);
	MXP_CHECK_EQ(t, bad, 0);
	uint8_t ff[1500], zero[64];
	memset(ff, 0xff, sizeof(ff));
	memset(zero, 0, sizeof(zero));
	for (uint32_t len = 0; len <= sizeof(ff); len++)
		MXP_CHECK_EQ(t, mxp_cksum_raw(ff, len), rte_raw_cksum(ff, len));
	MXP_CHECK_EQ(t, mxp_cksum_raw(zero, sizeof(zero)), 0);
	/* a non-zero sum that is a multiple of 0xffff folds to 0xffff, never to 0 */
	uint8_t pair[4] = { 0xff, 0xff, 0x00, 0x00 };
	MXP_CHECK_EQ(t, mxp_cksum_raw(pair, 4), 0xffff);
	MXP_CHECK_EQ(t, rte_raw_cksum(pair, 4), 0xffff);
}

MXP_TEST(addresses)
{
	struct mxp_ip a, b;
	uint8_t plen;
	char buf[64];
	MXP_CHECK_EQ(t, mxp_ip_parse("192.0.2.10/24", &a, &plen), 0);
	MXP_CHECK_EQ(t, plen, 24);
	MXP_CHECK_STR(t, mxp_ip_format(&a, buf, sizeof(buf)), "192.0.2.10");
	MXP_CHECK_EQ(t, mxp_ip_parse("2001:db8::1/64", &b, &plen), 0);
	MXP_CHECK_EQ(t, plen, 64);
	MXP_CHECK_EQ(t, mxp_ip_parse("192.0.2.300", &a, NULL), -EINVAL);
	MXP_CHECK_EQ(t, mxp_ip_parse("192.0.2.1/33", &a, &plen), -EINVAL);
	MXP_CHECK_EQ(t, mxp_ip_parse("192.0.2.1/", &a, &plen), -EINVAL);
	MXP_CHECK_EQ(t, mxp_ip_parse("192.0.2.1/24", &a, NULL), -EINVAL);
	MXP_CHECK_EQ(t, mxp_ip_parse("", &a, NULL), -EINVAL);
	mxp_ip_parse("192.0.2.77", &a, NULL);
	mxp_ip_parse("192.0.2.0", &b, NULL);
	MXP_CHECK(t, mxp_ip_prefix_match(&a, &b, 24));
	MXP_CHECK(t, !mxp_ip_prefix_match(&a, &b, 26));
	MXP_CHECK(t, mxp_ip_prefix_match(&a, &b, 25));
	/* RFC 4291 examples: link-local from a MAC, solicited-node group. */
	struct rte_ether_addr mac = { { 0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e } };
	a = mxp_ip6_link_local(&mac);
	MXP_CHECK_STR(t, mxp_ip_format(&a, buf, sizeof(buf)), "fe80::21b:21ff:fe3c:4d5e");
	b = mxp_ip6_solicited_node(&a);
	MXP_CHECK_STR(t, mxp_ip_format(&b, buf, sizeof(buf)), "ff02::1:ff3c:4d5e");
}

MXP_TEST(rtp_header_table)
{
	static const struct {
		const char *what;
		const char *hex;
		enum mxp_rtp_err err;
		uint16_t hdr_len;
	} rows[] = {
		{ "minimal", "80 00 0001 00000002 00000003 aabb", MXP_RTP_OK, 12 },
		{ "too short", "80 00 0001 00000002 000000", MXP_RTP_TRUNCATED, 0 },
		{ "version 1", "40 00 0001 00000002 00000003", MXP_RTP_VERSION, 0 },
		{ "version 0", "00 00 0001 00000002 00000003", MXP_RTP_VERSION, 0 },
		{ "2 CSRCs", "82 00 0001 00000002 00000003 11111111 22222222 ff", MXP_RTP_OK, 20 },
		{ "CSRCs past the end", "83 00 0001 00000002 00000003 11111111 22222222",
		  MXP_RTP_CSRC_OVERFLOW, 0 },
		{ "extension", "90 00 0001 00000002 00000003 bede0001 10ff0000 99", MXP_RTP_OK, 20 },
		{ "extension header cut", "90 00 0001 00000002 00000003 bede", MXP_RTP_EXT_OVERFLOW, 0 },
		{ "extension length past end", "90 00 0001 00000002 00000003 bede0002 10ff0000",
		  MXP_RTP_EXT_OVERFLOW, 0 },
	};
	for (size_t i = 0; i < RTE_DIM(rows); i++) {
		uint8_t p[64];
		struct mxp_rtp_info info;
		int n = mxp_test_hex(rows[i].hex, p, sizeof(p));
		MXP_CHECK(t, n > 0);
		enum mxp_rtp_err e = mxp_rtp_parse(p, (uint32_t)n, &info);
		if (!MXP_CHECK(t, e == rows[i].err))
			printf("#   row '%s': %s, expected %s\n", rows[i].what, mxp_rtp_err_name(e),
			       mxp_rtp_err_name(rows[i].err));
		if (e == MXP_RTP_OK)
			MXP_CHECK_EQ(t, info.hdr_len, rows[i].hdr_len);
	}
	/* Padding is checked after decryption. */
	uint8_t p[32];
	struct mxp_rtp_info info;
	uint32_t pl;
	int n = mxp_test_hex("a0 00 0001 00000002 00000003 aabbcc 00 00 03", p, sizeof(p));
	MXP_CHECK_EQ(t, mxp_rtp_parse(p, (uint32_t)n, &info), MXP_RTP_OK);
	MXP_CHECK_EQ(t, mxp_rtp_padding(p, (uint32_t)n, &info, &pl), MXP_RTP_OK);
	MXP_CHECK_EQ(t, pl, 3);
	p[n - 1] = 7; /* padding longer than the payload */
	MXP_CHECK_EQ(t, mxp_rtp_padding(p, (uint32_t)n, &info, &pl), MXP_RTP_PADDING);
	p[n - 1] = 0;
	MXP_CHECK_EQ(t, mxp_rtp_padding(p, (uint32_t)n, &info, &pl), MXP_RTP_PADDING);
	/* RFC 5761 demultiplexing. */
	n = mxp_test_hex("80 c8 0006 00000002", p, sizeof(p));
	MXP_CHECK(t, mxp_rtp_is_rtcp(p, (uint32_t)n));
	n = mxp_test_hex("80 00 0001", p, sizeof(p));
	MXP_CHECK(t, !mxp_rtp_is_rtcp(p, (uint32_t)n));
	uint32_t ssrc;
	n = mxp_test_hex("80 c9 0001 0badcafe", p, sizeof(p));
	MXP_CHECK_EQ(t, mxp_rtcp_parse(p, (uint32_t)n, &ssrc), MXP_RTP_OK);
	MXP_CHECK_EQ(t, ssrc, 0x0badcafe);
	n = mxp_test_hex("80 c9 0005 0badcafe", p, sizeof(p));
	MXP_CHECK_EQ(t, mxp_rtcp_parse(p, (uint32_t)n, &ssrc), MXP_RTP_TRUNCATED);
}

MXP_TEST(audio_level_extension)
{
	uint8_t p[64];
	struct mxp_rtp_info info;
	uint8_t level = 0;
	bool vad = false;
	/* RFC 6464 one-byte form: id 1, len 0 (1 byte), V=1 level 42, then padding. */
	int n = mxp_test_hex("90 00 0001 00000002 00000003 bede0001 10aa0000 ff", p, sizeof(p));
	MXP_CHECK_EQ(t, mxp_rtp_parse(p, (uint32_t)n, &info), MXP_RTP_OK);
	MXP_CHECK(t, mxp_rtp_audio_level(p, &info, 1, &level, &vad));
	MXP_CHECK_EQ(t, level, 42);
	MXP_CHECK(t, vad);
	MXP_CHECK(t, !mxp_rtp_audio_level(p, &info, 2, &level, &vad));
	/* Another element first (id 3, 2 bytes), then ours with V=0 level 100. */
	n = mxp_test_hex("90 00 0001 00000002 00000003 bede0002 31aabb 00 1064 000000", p,
			 sizeof(p));
	MXP_CHECK_EQ(t, mxp_rtp_parse(p, (uint32_t)n, &info), MXP_RTP_OK);
	MXP_CHECK(t, mxp_rtp_audio_level(p, &info, 1, &level, &vad));
	MXP_CHECK_EQ(t, level, 100);
	MXP_CHECK(t, !vad);
	/* Two-byte form (0x1000): id 5, length 1. */
	n = mxp_test_hex("90 00 0001 00000002 00000003 10000001 05018f00", p, sizeof(p));
	MXP_CHECK_EQ(t, mxp_rtp_parse(p, (uint32_t)n, &info), MXP_RTP_OK);
	MXP_CHECK(t, mxp_rtp_audio_level(p, &info, 5, &level, &vad));
	MXP_CHECK_EQ(t, level, 15);
	/* An element claiming more bytes than the extension holds is ignored. */
	n = mxp_test_hex("90 00 0001 00000002 00000003 bede0001 1f000000", p, sizeof(p));
	MXP_CHECK_EQ(t, mxp_rtp_parse(p, (uint32_t)n, &info), MXP_RTP_OK);
	MXP_CHECK(t, !mxp_rtp_audio_level(p, &info, 1, &level, &vad));
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(parse_udp4),
	MXP_CASE(parse_udp6_and_ext_headers),
	MXP_CASE(truncations_rejected),
	MXP_CASE(corruptions_have_reasons),
	MXP_CASE(build_udp_matches_scapy),
	MXP_CASE(udp_template_put_matches_scapy),
	MXP_CASE(echo_replies_match_scapy),
	MXP_CASE(arp_matches_scapy),
	MXP_CASE(nd_matches_scapy),
	MXP_CASE(raw_sum_matches_dpdk),
	MXP_CASE(addresses),
	MXP_CASE(rtp_header_table),
	MXP_CASE(audio_level_extension),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
