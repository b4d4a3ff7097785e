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
#include "mxp_cksum.h"

#define IPPROTO_UDP_ 17
#define IP6_HOPOPTS 0
#define IP6_ROUTING 43
#define IP6_FRAGMENT 44
#define IP6_DSTOPTS 60

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
		total = mxp_be_rd16(pkt + 2);
		if (ihl < 20 || total < ihl || total > len)
			return MXP_ESP_DROP_MALFORMED;
		if ((mxp_be_rd16(pkt + 6) & 0x3fff) != 0) /* MF or a fragment offset */
			return MXP_ESP_DROP_MALFORMED;
		m->src = mxp_ip_from_bytes(AF_INET, pkt + 12);
		m->dst = mxp_ip_from_bytes(AF_INET, pkt + 16);
		proto = pkt[9];
		off = ihl;
	} else if (pkt[0] >> 4 == 6) {
		if (len < 40)
			return MXP_ESP_DROP_MALFORMED;
		total = 40 + (size_t)mxp_be_rd16(pkt + 4);
		if (total > len)
			return MXP_ESP_DROP_MALFORMED;
		m->src = mxp_ip_from_bytes(AF_INET6, pkt + 8);
		m->dst = mxp_ip_from_bytes(AF_INET6, pkt + 24);
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
	size_t ulen = mxp_be_rd16(pkt + off + 4);
	if (ulen < 8 || off + ulen > total)
		return MXP_ESP_DROP_MALFORMED;
	m->udp_encap = true;
	m->sport = mxp_be_rd16(pkt + off);
	m->dport = mxp_be_rd16(pkt + off + 2);
	const uint8_t *u = pkt + off + 8;
	size_t ul = ulen - 8;
	if (ul == 1 && u[0] == 0xff)
		return MXP_ESP_DROP_KEEPALIVE;
	if (ul < 4 || mxp_be_rd32(u) == 0)
		return MXP_ESP_DROP_NOT_ESP; /* non-ESP marker: IKE */
	*esp_off = off + 8;
	*esp_len = ul;
	return MXP_ESP_DROP_NONE;
}

size_t
mxp_esp_frame_hdr_len(const struct mxp_esp_meta *m)
{
	return mxp_ip_hdr_len(m->dst.af) + (m->udp_encap ? 8 : 0);
}

int
mxp_esp_frame_build(uint8_t *buf, size_t cap, const struct mxp_esp_meta *m, size_t esp_len)
{
	size_t hl = mxp_esp_frame_hdr_len(m);
	size_t total = hl + esp_len;
	uint8_t proto = m->udp_encap ? IPPROTO_UDP_ : MXP_ESP_IPPROTO;

	if (total > cap || total > 65535)
		return -ENOSPC;
	size_t l4 = mxp_ip_hdr_write(buf, &m->src, &m->dst, proto, 64, 0, MXP_IP_DF,
				     (uint16_t)(total - mxp_ip_hdr_len(m->dst.af)));
	if (m->udp_encap) {
		/* RFC 3948 2.1: the UDP checksum of encapsulated ESP SHOULD be 0 (IPv4);
		 * IPv6 requires one, computed over the ESP bytes already in place. */
		mxp_be_wr16(buf + l4, m->sport);
		mxp_be_wr16(buf + l4 + 2, m->dport);
		mxp_be_wr16(buf + l4 + 4, (uint16_t)(8 + esp_len));
		mxp_be_wr16(buf + l4 + 6, 0);
		if (m->dst.af == AF_INET6) {
			uint32_t s = mxp_cksum_pseudo(m->src.v6, m->dst.v6, 16, IPPROTO_UDP_,
						      (uint32_t)(8 + esp_len));
			s = mxp_cksum_add(s, buf + l4, (uint32_t)(8 + esp_len));
			uint16_t c = (uint16_t)~mxp_cksum_fold(s);
			mxp_be_wr16(buf + l4 + 6, c == 0 ? 0xffff : c);
		}
	}
	return (int)total;
}

int
mxp_esp_udp_build(uint8_t *out, size_t cap, const struct mxp_ip *src,
		  const struct mxp_ip *dst, uint16_t sport, uint16_t dport,
		  const uint8_t *payload, size_t len)
{
	if (len + 8 > cap || len + 8 > 65535)
		return -ENOSPC;
	memmove(out + 8, payload, len);
	mxp_be_wr16(out, sport);
	mxp_be_wr16(out + 2, dport);
	mxp_be_wr16(out + 4, (uint16_t)(len + 8));
	mxp_be_wr16(out + 6, 0);
	uint32_t s = mxp_cksum_pseudo(mxp_ip_bytes(src), mxp_ip_bytes(dst), mxp_ip_len(src),
				      IPPROTO_UDP_, (uint32_t)(len + 8));
	s = mxp_cksum_add(s, out, (uint32_t)(len + 8));
	uint16_t c = (uint16_t)~mxp_cksum_fold(s);
	mxp_be_wr16(out + 6, c == 0 ? 0xffff : c);
	return (int)(len + 8);
}

int
mxp_esp_udp_parse(const uint8_t *p, size_t len, uint16_t *sport, uint16_t *dport,
		  size_t *payload_off, size_t *payload_len)
{
	if (len < 8)
		return -EINVAL;
	size_t ul = mxp_be_rd16(p + 4);
	if (ul < 8 || ul > len)
		return -EINVAL;
	*sport = mxp_be_rd16(p);
	*dport = mxp_be_rd16(p + 2);
	*payload_off = 8;
	*payload_len = ul - 8;
	return 0;
}
