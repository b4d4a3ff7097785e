/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's ports: which addresses are ours, which port and next hop reach an address,
 * and the control core's way out (worker 0's tx ring: ports keep one tx queue per worker).
 */
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ports.h"

/*
 * net_af_packet (DPDK 22.11) says its link is up from start to stop, whatever the kernel
 * interface under it does. For such a port, ask the kernel whether the interface is up
 * with a carrier (IFF_UP and IFF_RUNNING). False when the device is not af_packet or the
 * kernel cannot tell.
 */
static bool
af_packet_iface_down(const char *device)
{
	const char *s = strstr(device, "iface=");
	if (strncmp(device, "net_af_packet", 13) != 0 || s == NULL)
		return false;
	s += 6;
	size_t n = strcspn(s, ",");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	if (n == 0 || n >= sizeof(ifr.ifr_name))
		return false;
	memcpy(ifr.ifr_name, s, n);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	int r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	close(fd);
	return r == 0 && (!(ifr.ifr_flags & IFF_UP) || !(ifr.ifr_flags & IFF_RUNNING));
}

void
mxp_port_counters(const struct mxp_port *p, struct rte_eth_stats *es, struct rte_eth_link *link)
{
	memset(es, 0, sizeof(*es));
	memset(link, 0, sizeof(*link));
	rte_eth_stats_get(p->port_id, es);
	rte_eth_link_get_nowait(p->port_id, link);
	if (link->link_status == RTE_ETH_LINK_UP && af_packet_iface_down(p->cfg.device)) {
		link->link_status = RTE_ETH_LINK_DOWN;
		link->link_speed = 0;
	}
}

void
mxp_ports_tx(struct mxp_ports *ps, struct mxp_port *p, struct rte_mbuf *m)
{
	m->port = p->port_id;
	if (rte_ring_enqueue(ps->tx_ring, m) != 0) {
		ps->cst->drops[MXP_DROP_TX_FULL]++;
		rte_pktmbuf_free(m);
	}
}

bool
mxp_port_next_hop(const struct mxp_port *p, const struct mxp_ip *dst, struct mxp_ip *nh)
{
	if (dst->af == AF_INET) {
		if (!p->cfg.has_ip4)
			return false;
		if (mxp_ip_prefix_match(dst, &p->cfg.ip4, p->cfg.plen4)) {
			*nh = *dst;
			return true;
		}
		if (!p->cfg.has_gw4)
			return false;
		*nh = p->cfg.gw4;
		return true;
	}
	bool ll = dst->v6[0] == 0xfe && (dst->v6[1] & 0xc0) == 0x80;
	if (ll || (p->cfg.has_ip6 && mxp_ip_prefix_match(dst, &p->cfg.ip6, p->cfg.plen6))) {
		*nh = *dst;
		return true;
	}
	if (!p->cfg.has_gw6)
		return false;
	*nh = p->cfg.gw6;
	return true;
}

int
mxp_ports_route(const struct mxp_ports *ps, const struct mxp_ip *dst)
{
	int best = -1, via_gw = -1;
	unsigned int best_len = 0;
	for (unsigned int i = 0; i < ps->nb_ports; i++) {
		const struct mxp_port_cfg *c = &ps->port[i].cfg;
		bool has = dst->af == AF_INET ? c->has_ip4 : c->has_ip6;
		const struct mxp_ip *a = dst->af == AF_INET ? &c->ip4 : &c->ip6;
		unsigned int plen = dst->af == AF_INET ? c->plen4 : c->plen6;
		if (has && mxp_ip_prefix_match(dst, a, plen) && (best < 0 || plen > best_len)) {
			best = (int)i;
			best_len = plen;
		}
		if (via_gw < 0 && (dst->af == AF_INET ? c->has_gw4 : c->has_gw6))
			via_gw = (int)i;
	}
	return best >= 0 ? best : via_gw;
}

bool
mxp_port_is_local(const struct mxp_port *p, const struct mxp_ip *ip)
{
	if (ip->af == AF_INET)
		return p->cfg.has_ip4 && ip->v4 == p->cfg.ip4.v4;
	return (p->cfg.has_ip6 && mxp_ip_equal(ip, &p->cfg.ip6)) || mxp_ip_equal(ip, &p->ll6);
}

const struct mxp_ip *
mxp_port_addr(const struct mxp_port *p, uint8_t af)
{
	if (af == AF_INET)
		return p->cfg.has_ip4 ? &p->cfg.ip4 : NULL;
	return p->cfg.has_ip6 ? &p->cfg.ip6 : NULL;
}
