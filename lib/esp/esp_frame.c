/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Outer headers of ESP packets (IPv4 or IPv6, then protocol 50 or UDP with the RFC 3948
 * encapsulation) and the inner UDP header of Mp. The daemon receives whole IP packets from
 * the control ring; mrfc and the tests build them. Small and strict: IPv4 options are
 * skipped, IPv6 hop-by-hop, routing and destination options headers are walked, fragments
 * are refused (the control core does not reassemble).
 */
#include <errno.h>
#include <sys/socket.h>

#include "esp_priv.h"

#define IPPROTO_UDP_ 17
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_DSTOPTS 60

static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

enum mxp_esp_drop
mxp_esp_frame_parse(const uint8_t *pkt, size_t len, struct mxp_esp_meta *m, size_t *esp_off,
		    size_t *esp_len)
{
	size_t off, total;
	uint8_t proto;

	memset(m, 0, sizeof(*m));
	if (len < 1)
		return MXP_ESP_DROP_MALFORMED;
	if (pkt[0] >> 4 == 4) {
		if (len < 20)
			return MXP_ESP_DROP_MALFORMED;
		size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
		total = esp_rd16(pkt + 2);
		if (ihl < 20 || total < ihl || total > len)
			return MXP_ESP_DROP_MALFORMED;
		if ((esp_rd16(pkt + 6) & 0x3fff) != 0) /* MF or a fragment offset */
			return MXP_ESP_DROP_MALFORMED;
		m->src.family = m->dst.family = AF_INET;
		memcpy(m->src.a, pkt + 12, 4);
		memcpy(m->dst.a, pkt + 16, 4);
		proto = pkt[9];
		off = ihl;
	} else if (pkt[0] >> 4 == 6) {
		if (len < 40)
			return MXP_ESP_DROP_MALFORMED;
		total = 40 + (size_t)esp_rd16(pkt + 4);
		if (total > len)
			return MXP_ESP_DROP_MALFORMED;
		m->src.family = m->dst.family = AF_INET6;
		memcpy(m->src.a, pkt + 8, 16);
		memcpy(m->dst.a, pkt + 24, 16);
		proto = pkt[6];
		off = 40;
		for (int n = 0; n < 8 && (proto == IP6_HOPOPTS || proto == IP6_ROUTING ||
					  proto == IP6_DSTOPTS); n++) {
			if (off + 8 > total)
				return MXP_ESP_DROP_MALFORMED;
			proto = pkt[off];
			off += ((size_t)pkt[off + 1] + 1) * 8;
		}
		if (proto == IP6_FRAGMENT || off > total)
			return MXP_ESP_DROP_MALFORMED;
	} else {
		return MXP_ESP_DROP_MALFORMED;
	}

	if (proto == MXP_ESP_IPPROTO) {
		*esp_off = off;
		*esp_len = total - off;
		return MXP_ESP_DROP_NONE;
	}
	if (proto != IPPROTO_UDP_)
		return MXP_ESP_DROP_NOT_ESP;
	if (off + 8 > total)
		return MXP_ESP_DROP_MALFORMED;
	size_t ulen = esp_rd16(pkt + off + 4);
	if (ulen < 8 || off + ulen > total)
		return MXP_ESP_DROP_MALFORMED;
	m->udp_encap = true;
	m->sport = esp_rd16(pkt + off);
	m->dport = esp_rd16(pkt + off + 2);
	const uint8_t *u = pkt + off + 8;
	size_t ul = ulen - 8;
	if (ul == 1 && u[0] == 0xff)
		return MXP_ESP_DROP_KEEPALIVE;
	if (ul < 4 || esp_rd32(u) == 0)
		return MXP_ESP_DROP_NOT_ESP; /* non-ESP marker: IKE */
	*esp_off = off + 8;
	*esp_len = ul;
	return MXP_ESP_DROP_NONE;
}

size_t
mxp_esp_frame_hdr_len(const struct mxp_esp_meta *m)
{
	return (m->dst.family == AF_INET6 ? 40 : 20) + (m->udp_encap ? 8 : 0);
}

int
mxp_esp_frame_build(uint8_t *buf, size_t cap, const struct mxp_esp_meta *m, size_t esp_len)
{
	size_t hl = mxp_esp_frame_hdr_len(m);
	size_t total = hl + esp_len;
	uint8_t proto = m->udp_encap ? IPPROTO_UDP_ : MXP_ESP_IPPROTO;

	if (total > cap || total > 65535)
		return -ENOSPC;
	size_t l4 = 0;
	if (m->dst.family == AF_INET6) {
		memset(buf, 0, 40);
		buf[0] = 0x60;
		esp_wr16(buf + 4, (uint16_t)(total - 40));
		buf[6] = proto;
		buf[7] = 64;
		memcpy(buf + 8, m->src.a, 16);
		memcpy(buf + 24, m->dst.a, 16);
		l4 = 40;
	} else {
		memset(buf, 0, 20);
		buf[0] = 0x45;
		esp_wr16(buf + 2, (uint16_t)total);
		esp_wr16(buf + 6, 0x4000); /* DF */
		buf[8] = 64;
		buf[9] = proto;
		memcpy(buf + 12, m->src.a, 4);
		memcpy(buf + 16, m->dst.a, 4);
		esp_wr16(buf + 10, csum_fold(csum_add(0, buf, 20)));
		l4 = 20;
	}
	if (m->udp_encap) {
		/* RFC 3948 2.1: the UDP checksum of encapsulated ESP SHOULD be 0 (IPv4);
		 * IPv6 requires one, computed over the ESP bytes already in place. */
		esp_wr16(buf + l4, m->sport);
		esp_wr16(buf + l4 + 2, m->dport);
		esp_wr16(buf + l4 + 4, (uint16_t)(8 + esp_len));
		esp_wr16(buf + l4 + 6, 0);
		if (m->dst.family == AF_INET6) {
			uint32_t s = csum_add(0, m->src.a, 16);
			s = csum_add(s, m->dst.a, 16);
			s += (uint32_t)(8 + esp_len) + IPPROTO_UDP_;
			s = csum_add(s, buf + l4, 8 + esp_len);
			uint16_t c = csum_fold(s);
			esp_wr16(buf + l4 + 6, c == 0 ? 0xffff : c);
		}
	}
	return (int)total;
}

int
mxp_esp_udp_build(uint8_t *out, size_t cap, const struct mxp_esp_addr *src,
		  const struct mxp_esp_addr *dst, uint16_t sport, uint16_t dport,
		  const uint8_t *payload, size_t len)
{
	if (len + 8 > cap || len + 8 > 65535)
		return -ENOSPC;
	memmove(out + 8, payload, len);
	esp_wr16(out, sport);
	esp_wr16(out + 2, dport);
	esp_wr16(out + 4, (uint16_t)(len + 8));
	esp_wr16(out + 6, 0);
	size_t al = src->family == AF_INET6 ? 16 : 4;
	uint32_t s = csum_add(0, src->a, al);
	s = csum_add(s, dst->a, al);
	s += (uint32_t)(len + 8) + IPPROTO_UDP_;
	s = csum_add(s, out, len + 8);
	uint16_t c = csum_fold(s);
	esp_wr16(out + 6, c == 0 ? 0xffff : c);
	return (int)(len + 8);
}

int
mxp_esp_udp_parse(const uint8_t *p, size_t len, uint16_t *sport, uint16_t *dport,
		  size_t *payload_off, size_t *payload_len)
{
	if (len < 8)
		return -EINVAL;
	size_t ul = esp_rd16(p + 4);
	if (ul < 8 || ul > len)
		return -EINVAL;
	*sport = esp_rd16(p);
	*dport = esp_rd16(p + 2);
	*payload_off = 8;
	*payload_len = ul - 8;
	return 0;
}
