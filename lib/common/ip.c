/* SPDX-License-Identifier: BSD-3-Clause */
/* IP addresses (parse, format, prefixes) and the IPv4/IPv6 header writer. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxp_be.h"
#include "mxp_cksum.h"
#include "mxp_ip.h"

int
mxp_ip_parse(const char *s, struct mxp_ip *ip, uint8_t *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	memset(ip, 0, sizeof(*ip));
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &ip->v4) == 1)
		ip->af = AF_INET;
	else if (inet_pton(AF_INET6, buf, ip->v6) == 1)
		ip->af = AF_INET6;
	else
		return -EINVAL;

	unsigned int max = ip->af == AF_INET ? 32 : 128;
	if (slash == NULL) {
		if (plen)
			*plen = (uint8_t)max;
		return 0;
	}
	if (plen == NULL)
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long v = strtoul(slash + 1, &end, 10);
	if (slash[1] == '\0' || *end != '\0' || errno || v > max || slash[1] == '-' ||
	    slash[1] == '+' || slash[1] == ' ')
		return -EINVAL;
	*plen = (uint8_t)v;
	return 0;
}

const char *
mxp_ip_format(const struct mxp_ip *ip, char *buf, size_t len)
{
	if (ip->af != AF_INET && ip->af != AF_INET6)
		snprintf(buf, len, "-");
	else if (inet_ntop(ip->af, ip->v6, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

int
mxp_ip_port_parse(const char *s, struct mxp_ip *ip, uint16_t *port)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon;
	size_t hl;
	bool bracket = s[0] == '[';

	memset(ip, 0, sizeof(*ip));
	if (bracket) {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -EINVAL;
		hl = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -EINVAL;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, hl);
	host[hl] = '\0';
	struct mxp_ip a;
	if (mxp_ip_parse(host, &a, NULL) != 0 || (a.af == AF_INET6) != bracket)
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long p = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno || p == 0 || p > 65535)
		return -EINVAL;
	*ip = a;
	*port = (uint16_t)p;
	return 0;
}

const char *
mxp_ip_port_format(const struct mxp_ip *ip, uint16_t port, char *buf, size_t len)
{
	char a[MXP_IP_STRLEN];
	mxp_ip_format(ip, a, sizeof(a));
	snprintf(buf, len, ip->af == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
	return buf;
}

bool
mxp_ip_prefix_match(const struct mxp_ip *a, const struct mxp_ip *b, uint8_t plen)
{
	if (a->af != b->af)
		return false;
	const uint8_t *x = mxp_ip_bytes(a), *y = mxp_ip_bytes(b);
	unsigned int full = plen / 8, rest = plen % 8;
	if (memcmp(x, y, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (x[full] & mask) == (y[full] & mask);
}

uint16_t
mxp_ip_hdr_write(uint8_t *ip, const struct mxp_ip *src, const struct mxp_ip *dst, uint8_t proto,
		 uint8_t ttl, uint8_t tos, unsigned int flags, uint16_t payload_len)
{
	if (src->af == AF_INET) {
		ip[0] = 0x45;
		ip[1] = tos;
		mxp_be_wr16(ip + 2, (uint16_t)(MXP_IP4_HDR_LEN + payload_len));
		mxp_be_wr32(ip + 4, flags & MXP_IP_DF ? 0x4000 : 0); /* id 0, flags, offset 0 */
		ip[8] = ttl;
		ip[9] = proto;
		mxp_be_wr16(ip + 10, 0);
		memcpy(ip + 12, &src->v4, 4);
		memcpy(ip + 16, &dst->v4, 4);
		if (!(flags & MXP_IP_NO_CKSUM)) {
			uint32_t sum = mxp_cksum_add(0, ip, MXP_IP4_HDR_LEN);
			mxp_be_wr16(ip + 10, (uint16_t)~mxp_cksum_fold(sum));
		}
		return MXP_IP4_HDR_LEN;
	}
	mxp_be_wr32(ip, 0x60000000u | (uint32_t)tos << 20);
	mxp_be_wr16(ip + 4, payload_len);
	ip[6] = proto;
	ip[7] = ttl;
	memcpy(ip + 8, src->v6, 16);
	memcpy(ip + 24, dst->v6, 16);
	return MXP_IP6_HDR_LEN;
}
