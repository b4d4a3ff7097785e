/* SPDX-License-Identifier: BSD-3-Clause */
/* Addresses: IPv6 link-local and solicited-node groups (struct mxp_ip is lib/common's). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxp_pkt.h"

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
