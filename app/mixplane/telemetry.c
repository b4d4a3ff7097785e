/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands under /mixplane/, so dpdk-telemetry.py and any telemetry
 * client read the same counters as mixplanectl. Handlers run in DPDK's telemetry
 * thread and only read counters.
 */
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "mixplane.h"

static int
tel_version(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", MXP_VERSION);
	rte_tel_data_add_dict_string(d, "dpdk", rte_version());
	rte_tel_data_add_dict_u64(d, "uptime_s", (mxp_now_ms() - mxp.start_ms) / 1000);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mxp_worker_stats s;
	uint64_t drops = 0;
	mxp_stats_sum(&s);
	for (int i = 1; i < MXP_DROP_MAX; i++)
		drops += s.drops[i];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", s.rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", s.tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s.tx_bytes);
	rte_tel_data_add_dict_u64(d, "echo_replies", s.echo_replies);
	rte_tel_data_add_dict_u64(d, "to_control", s.to_control);
	rte_tel_data_add_dict_u64(d, "drops", drops);
	rte_tel_data_add_dict_u64(d, "control_rx", mxp.cst.rx);
	rte_tel_data_add_dict_u64(d, "arp_learned", mxp.cst.arp_learned);
	rte_tel_data_add_dict_u64(d, "nd_learned", mxp.cst.nd_learned);
	rte_tel_data_add_dict_u64(d, "cli_requests", mxp.cst.cli_requests);
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mxp_worker_stats s;
	mxp_stats_sum(&s);
	rte_tel_data_start_dict(d);
	for (int i = 1; i < MXP_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(d, mxp_drop_name((enum mxp_drop)i), s.drops[i]);
	return 0;
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; i < mxp.nb_ports; i++) {
		const struct mxp_port *p = &mxp.ports[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		struct rte_eth_stats es;
		struct rte_eth_link link;
		memset(&es, 0, sizeof(es));
		memset(&link, 0, sizeof(link));
		rte_eth_stats_get(p->port_id, &es);
		rte_eth_link_get_nowait(p->port_id, &link);
		char mac[18], a[64], b[80];
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "port_id", p->port_id);
		rte_tel_data_add_dict_string(c, "device", p->cfg.device);
		snprintf(mac, sizeof(mac), RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&p->mac));
		rte_tel_data_add_dict_string(c, "mac", mac);
		rte_tel_data_add_dict_u64(c, "link_up", link.link_status == RTE_ETH_LINK_UP);
		if (p->cfg.has_ip4) {
			snprintf(b, sizeof(b), "%s/%u", mxp_ip_format(&p->cfg.ip4, a, sizeof(a)),
				 p->cfg.plen4);
			rte_tel_data_add_dict_string(c, "ipv4", b);
		}
		if (p->cfg.has_ip6) {
			snprintf(b, sizeof(b), "%s/%u", mxp_ip_format(&p->cfg.ip6, a, sizeof(a)),
				 p->cfg.plen6);
			rte_tel_data_add_dict_string(c, "ipv6", b);
		}
		rte_tel_data_add_dict_u64(c, "rx_packets", es.ipackets);
		rte_tel_data_add_dict_u64(c, "rx_bytes", es.ibytes);
		rte_tel_data_add_dict_u64(c, "rx_errors", es.ierrors);
		rte_tel_data_add_dict_u64(c, "rx_missed", es.imissed);
		rte_tel_data_add_dict_u64(c, "tx_packets", es.opackets);
		rte_tel_data_add_dict_u64(c, "tx_bytes", es.obytes);
		rte_tel_data_add_dict_u64(c, "tx_errors", es.oerrors);
		rte_tel_data_add_dict_container(d, p->cfg.section, c, 0);
	}
	return 0;
}

static int
tel_neighbours(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	unsigned int n = 0;
	for (uint16_t i = 0; i < mxp.nb_ports; i++) {
		const struct mxp_port *p = &mxp.ports[i];
		for (uint32_t s = 0; s < MXP_NEIGH_SLOTS; s++) {
			struct rte_ether_addr mac;
			const struct mxp_neigh *e = &p->neigh->slot[s];
			if (e->state == MXP_NEIGH_FREE)
				continue;
			struct mxp_ip ip = e->ip;
			char key[96], a[64], m[18];
			snprintf(key, sizeof(key), "%s %s", p->cfg.section,
				 mxp_ip_format(&ip, a, sizeof(a)));
			if (mxp_neigh_lookup(p->neigh, &ip, &mac))
				snprintf(m, sizeof(m), RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&mac));
			else
				snprintf(m, sizeof(m), "unresolved");
			if (++n > RTE_TEL_MAX_DICT_ENTRIES)
				return 0;
			rte_tel_data_add_dict_string(d, key, m);
		}
	}
	return 0;
}

int
mxp_telemetry_register(void)
{
	int r = 0;
	r |= rte_telemetry_register_cmd("/mixplane/version", tel_version,
					"mixplane version and uptime. No parameters");
	r |= rte_telemetry_register_cmd("/mixplane/stats", tel_stats,
					"mixplane packet counters. No parameters");
	r |= rte_telemetry_register_cmd("/mixplane/drops", tel_drops,
					"mixplane dropped packets per reason. No parameters");
	r |= rte_telemetry_register_cmd("/mixplane/ports", tel_ports,
					"mixplane ports, addresses and counters. No parameters");
	r |= rte_telemetry_register_cmd("/mixplane/neighbours", tel_neighbours,
					"mixplane ARP/ND neighbour table. No parameters");
	return r ? -1 : 0;
}
