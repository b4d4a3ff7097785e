/* SPDX-License-Identifier: BSD-3-Clause */
/* Addresses: parse/format, prefixes, IPv6 link-local and solicited-node groups. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxp_pkt.h"

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
	if (ip->af == AF_INET)
		inet_ntop(AF_INET, &ip->v4, buf, (socklen_t)len);
	else if (ip->af == AF_INET6)
		inet_ntop(AF_INET6, ip->v6, buf, (socklen_t)len);
	else
		snprintf(buf, len, "-");
	return buf;
}

bool
mxp_ip_prefix_match(const struct mxp_ip *a, const struct mxp_ip *b, uint8_t plen)
{
	if (a->af != b->af)
		return false;
	const uint8_t *x = a->af == AF_INET ? (const uint8_t *)&a->v4 : a->v6;
	const uint8_t *y = b->af == AF_INET ? (const uint8_t *)&b->v4 : b->v6;
	unsigned int full = plen / 8, rest = plen % 8;
	if (memcmp(x, y, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (x[full] & mask) == (y[full] & mask);
}

struct mxp_ip
mxp_ip6(const uint8_t addr[16])
{
	struct mxp_ip ip = { .af = AF_INET6 };
	memcpy(ip.v6, addr, 16);
	return ip;
}

struct mxp_ip
mxp_ip6_link_local(const struct rte_ether_addr *mac)
{
	struct mxp_ip ip = { .af = AF_INET6 };
	const uint8_t *m = mac->addr_bytes;

	ip.v6[0] = 0xfe;
	ip.v6[1] = 0x80;
	ip.v6[8] = m[0] ^ 0x02;
	ip.v6[9] = m[1];
	ip.v6[10] = m[2];
	ip.v6[11] = 0xff;
	ip.v6[12] = 0xfe;
	ip.v6[13] = m[3];
	ip.v6[14] = m[4];
	ip.v6[15] = m[5];
	return ip;
}

struct mxp_ip
mxp_ip6_solicited_node(const struct mxp_ip *ip)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };
	struct mxp_ip s = { .af = AF_INET6 };

	memcpy(s.v6, pfx, sizeof(pfx));
	memcpy(s.v6 + 13, ip->v6 + 13, 3);
	return s;
}

void
mxp_ether_ip6_mcast(const struct mxp_ip *ip, struct rte_ether_addr *mac)
{
	mac->addr_bytes[0] = 0x33;
	mac->addr_bytes[1] = 0x33;
	memcpy(&mac->addr_bytes[2], ip->v6 + 12, 4);
}

static const char *const drop_names[MXP_DROP_MAX] = {
	[MXP_DROP_NONE] = "none",
#define N_(e, n, d) [MXP_DROP_##e] = n,
	MXP_DROP_REASONS(N_)
#undef N_
};

static const char *const drop_descs[MXP_DROP_MAX] = {
	[MXP_DROP_NONE] = "not dropped",
#define D_(e, n, d) [MXP_DROP_##e] = d,
	MXP_DROP_REASONS(D_)
#undef D_
};

const char *
mxp_drop_name(enum mxp_drop d)
{
	return (unsigned int)d < MXP_DROP_MAX ? drop_names[d] : "unknown";
}

const char *
mxp_drop_desc(enum mxp_drop d)
{
	return (unsigned int)d < MXP_DROP_MAX ? drop_descs[d] : "unknown";
}
