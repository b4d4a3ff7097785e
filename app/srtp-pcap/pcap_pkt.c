/* SPDX-License-Identifier: BSD-3-Clause */
/* srtp-pcap: link, IP and UDP layers of captured frames. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <pcap/dlt.h>

#include "mxp_be.h"
#include "mxp_cksum.h"
#include "pcap_pkt.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif

bool
frame_linktype_supported(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2 ||
	       dlt == DLT_RAW || dlt == DLT_NULL || dlt == DLT_LOOP || dlt == DLT_IPV4 ||
	       dlt == DLT_IPV6;
}

/* Offset of the IP header and its version, or -1. */
static long
l3_offset(int dlt, const uint8_t *p, size_t n, int *ipv)
{
	size_t off;
	uint16_t et;

	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return -1;
		off = 12;
		et = mxp_be_rd16(p + off);
		while ((et == 0x8100 || et == 0x88a8) && off + 6 <= n) {
			off += 4;
			et = mxp_be_rd16(p + off);
		}
		off += 2;
		break;
	case DLT_LINUX_SLL:
		if (n < 16)
			return -1;
		et = mxp_be_rd16(p + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (n < 20)
			return -1;
		et = mxp_be_rd16(p);
		off = 20;
		break;
	case DLT_NULL:
	case DLT_LOOP: {
		if (n < 4)
			return -1;
		uint32_t fam;
		memcpy(&fam, p, 4);
		if (dlt == DLT_LOOP)
			fam = ntohl(fam);
		else if (fam > 0xffff)
			fam = __builtin_bswap32(fam); /* written on the other endianness */
		et = fam == 2 ? 0x0800 : (fam == 24 || fam == 28 || fam == 30) ? 0x86dd : 0;
		off = 4;
		break;
	}
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		if (n < 1)
			return -1;
		et = (p[0] >> 4) == 4 ? 0x0800 : (p[0] >> 4) == 6 ? 0x86dd : 0;
		off = 0;
		break;
	default:
		return -1;
	}
	if (et == 0x0800)
		*ipv = 4;
	else if (et == 0x86dd)
		*ipv = 6;
	else
		return -1;
	return off <= n ? (long)off : -1;
}

int
frame_parse(int dlt, const uint8_t *p, size_t n, struct frame *f)
{
	int ipv;
	long l3 = l3_offset(dlt, p, n, &ipv);
	if (l3 < 0)
		return 0;
	const uint8_t *ip = p + l3;
	size_t room = n - (size_t)l3, l4;

	memset(f, 0, sizeof(*f));
	f->ipv = ipv;
	f->l3 = (size_t)l3;
	if (ipv == 4) {
		if (room < 20 || (ip[0] >> 4) != 4)
			return 0;
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		size_t tot = mxp_be_rd16(ip + 2);
		if (ihl < 20 || tot < ihl + 8 || tot > room || ip[9] != 17)
			return 0;
		if ((mxp_be_rd16(ip + 6) & 0x3fff) != 0) /* MF or fragment offset */
			return 0;
		f->src = mxp_ip_from_bytes(AF_INET, ip + 12);
		f->dst = mxp_ip_from_bytes(AF_INET, ip + 16);
		l4 = (size_t)l3 + ihl;
		room = tot - ihl;
	} else {
		if (room < 48 || (ip[0] >> 4) != 6 || ip[6] != 17)
			return 0;
		size_t plen = mxp_be_rd16(ip + 4);
		if (plen < 8 || plen + 40 > room)
			return 0;
		f->src = mxp_ip_from_bytes(AF_INET6, ip + 8);
		f->dst = mxp_ip_from_bytes(AF_INET6, ip + 24);
		l4 = (size_t)l3 + 40;
		room = plen;
	}
	size_t ulen = mxp_be_rd16(p + l4 + 4);
	if (ulen < 8 || ulen > room)
		return 0;
	f->l4 = l4;
	f->sport = mxp_be_rd16(p + l4);
	f->dport = mxp_be_rd16(p + l4 + 2);
	f->payload = l4 + 8;
	f->payload_len = ulen - 8;
	return 1;
}

size_t
frame_fix(uint8_t *p, size_t caplen, const struct frame *f, size_t new_len)
{
	uint8_t *ip = p + f->l3, *udp = p + f->l4;
	size_t ulen = 8 + new_len;
	uint32_t s = 0;

	(void)caplen;
	mxp_be_wr16(udp + 4, (uint16_t)ulen);
	if (f->ipv == 4) {
		size_t ihl = (size_t)(ip[0] & 15) * 4;
		mxp_be_wr16(ip + 2, (uint16_t)(ihl + ulen));
		mxp_be_wr16(ip + 10, 0);
		uint32_t s4 = mxp_cksum_add(0, ip, (uint32_t)ihl);
		mxp_be_wr16(ip + 10, (uint16_t)~mxp_cksum_fold(s4));
		s = mxp_cksum_add(0, ip + 12, 8);
	} else {
		mxp_be_wr16(ip + 4, (uint16_t)ulen);
		s = mxp_cksum_add(0, ip + 8, 32);
	}
	/* UDP checksum over the pseudo-header; IPv4 may carry none (0) and keeps none */
	bool had = f->ipv == 6 || mxp_be_rd16(udp + 6) != 0;
	if (had) {
		s += 17 + (uint32_t)ulen;
		mxp_be_wr16(udp + 6, 0);
		uint16_t c = (uint16_t)~mxp_cksum_fold(mxp_cksum_add(s, udp, (uint32_t)ulen));
		mxp_be_wr16(udp + 6, c == 0 ? 0xffff : c);
	}
	return f->payload + new_len;
}
