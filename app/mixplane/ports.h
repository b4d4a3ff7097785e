/* SPDX-License-Identifier: BSD-3-Clause */
/* The daemon's ports (ports.c): addresses, routes, and the control core's way out. */
#ifndef MIXPLANE_PORTS_H
#define MIXPLANE_PORTS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mixplane.h"

struct mxp_neigh_table;

struct mxp_port {
	uint16_t port_id;
	uint16_t idx;            /**< index in struct mxp_ports */
	bool memif;              /**< net_memif: its bursts are fault-guarded (worker.c) */
	bool link_up;
	struct mxp_port_cfg cfg;
	struct rte_ether_addr mac;
	struct mxp_ip ll6;       /**< IPv6 link-local, answered for ND */
	struct mxp_ip snm6;      /**< solicited-node group of the global IPv6 address */
	struct mxp_ip snm_ll6;   /**< solicited-node group of the link-local address */
	char name[RTE_ETH_NAME_MAX_LEN];
	struct mxp_neigh_table *neigh;
};

/* The ports of the daemon and what their neighbour tables need. main.c fills it at start;
 * afterwards the control core writes the neighbour tables, workers only read. */
struct mxp_ports {
	struct mxp_port port[MXP_MAX_PORTS];
	uint16_t nb_ports;
	uint16_t port_of_id[RTE_MAX_ETHPORTS]; /**< DPDK port id → index, 0xffff if not ours */
	struct rte_mempool *pool;   /**< ARP requests and neighbour solicitations */
	struct rte_ring *tx_ring;   /**< worker 0's: it sends the control core's frames */
	struct mxp_ctl_stats *cst;  /**< neighbour counters, control-path drops */
	uint64_t neigh_gen;         /**< bumped whenever a neighbour entry changes
					 (workers cache MACs) */
};

/** Our port of a DPDK port id, NULL if it is not one of ours. */
static inline struct mxp_port *
mxp_ports_of_id(struct mxp_ports *ps, uint16_t port_id)
{
	uint16_t idx = ps->port_of_id[port_id];
	return idx < ps->nb_ports ? &ps->port[idx] : NULL;
}

/** The device's counters and link state of p now (zeroes where the driver has none). */
void mxp_port_counters(const struct mxp_port *p, struct rte_eth_stats *es,
		       struct rte_eth_link *link);

/** Queue a frame for transmission on p through worker 0 (control core only). Takes m. */
void mxp_ports_tx(struct mxp_ports *ps, struct mxp_port *p, struct rte_mbuf *m);

/** The next hop for dst on p: dst itself when on-link, else the gateway. */
bool mxp_port_next_hop(const struct mxp_port *p, const struct mxp_ip *dst, struct mxp_ip *nh);

/** True when ip is one of the port's own unicast addresses. */
bool mxp_port_is_local(const struct mxp_port *p, const struct mxp_ip *ip);

/** The port's configured address of family af (AF_INET or AF_INET6), NULL when none. */
const struct mxp_ip *mxp_port_addr(const struct mxp_port *p, uint8_t af);

/** The port that reaches dst: the one whose subnet holds it (longest prefix), else the
 *  first with a gateway of its family; -1 when none does. */
int mxp_ports_route(const struct mxp_ports *ps, const struct mxp_ip *dst);

#endif
