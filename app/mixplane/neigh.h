/* SPDX-License-Identifier: BSD-3-Clause */
/* Neighbour tables (neigh.c): ARP and IPv6 neighbour discovery, one table per port. */
#ifndef MIXPLANE_NEIGH_H
#define MIXPLANE_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "ports.h"

enum mxp_neigh_state {
	MXP_NEIGH_FREE = 0,
	MXP_NEIGH_INCOMPLETE, /**< resolving */
	MXP_NEIGH_REACHABLE,
	MXP_NEIGH_STALE,      /**< usable, being re-confirmed */
	MXP_NEIGH_FAILED,
};

#define MXP_NEIGH_SLOTS 4096   /**< per port, power of two */
#define MXP_NEIGH_PENDING 16   /**< packets held per unresolved neighbour (a switch packet fans out to every leg behind one next hop) */

/*
 * One entry. The control core is the only writer; workers read mac/state under the
 * sequence counter (odd while being written), so lookups take no lock.
 */
struct mxp_neigh {
	uint32_t seq;
	uint8_t state;
	uint8_t probes;
	uint8_t n_pending;
	uint8_t pad_;
	struct mxp_ip ip;
	struct rte_ether_addr mac;
	uint64_t confirmed_ms;   /**< last time the neighbour proved reachable */
	uint64_t next_ms;        /**< next retransmission / aging check */
	struct rte_mbuf *pending[MXP_NEIGH_PENDING];
};

struct mxp_neigh_table {
	uint32_t count;
	uint32_t full_drops;
	struct mxp_neigh slot[MXP_NEIGH_SLOTS];
};

/** Lock-free lookup for workers: copies the MAC and returns true when usable. */
bool mxp_neigh_lookup(const struct mxp_neigh_table *t, const struct mxp_ip *ip,
		      struct rte_ether_addr *mac);

/* The rest is the control core's. */
struct mxp_neigh_table *mxp_neigh_table_create(void);
void mxp_neigh_table_free(struct mxp_neigh_table *t);
/** Learn or refresh a neighbour of p (from ARP / NS / NA). Sends packets waiting for it. */
void mxp_neigh_learn(struct mxp_ports *ps, struct mxp_port *p, const struct mxp_ip *ip,
		     const struct rte_ether_addr *mac, bool create);
/**
 * Send m (a full frame whose Ethernet destination is to be filled) to the next hop of
 * dst, resolving it first if needed. Takes ownership of m.
 */
void mxp_neigh_send(struct mxp_ports *ps, struct mxp_port *p, const struct mxp_ip *dst,
		    struct rte_mbuf *m);
/** Retransmissions and aging on every port; call about every 100 ms. */
void mxp_neigh_timer(struct mxp_ports *ps, uint64_t now_ms);

#endif
