/* SPDX-License-Identifier: BSD-3-Clause */
/* Worker lcores (worker.c) and the rings between them and the control core. */
#ifndef MIXPLANE_WORKER_H
#define MIXPLANE_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "mixplane.h"
#include "mxp_conf.h"
#include "ports.h"

struct mxp_worker_stats {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t arp_replies;
	uint64_t echo_replies;
	uint64_t to_control;
	uint64_t polls;
	uint64_t busy_polls;     /**< polls that received at least one packet */
	uint64_t drops[MXP_DROP_MAX];
} __rte_cache_aligned;

/* Workers → control core. */
struct mxp_ctl_link {
	struct rte_ring *ctl_ring;  /**< frames for the control core (ARP, ND, ESP, Mp) */
	struct rte_ring *punt_ring; /**< frames whose next hop is unresolved */
	int doorbell;               /**< eventfd: rung when the control core sleeps */
	uint32_t sleeping;          /**< set by the control core before it waits */
};

struct mxp_txbuf {
	uint16_t n;
	struct rte_mbuf *m[MXP_BURST * 2];
};

/* One worker: main.c fills the fields above st before launching it. */
struct mxp_worker {
	unsigned int lcore;
	uint16_t idx;            /**< also the queue id it polls on every port */
	struct rte_ring *tx_ring; /**< control core → this worker: frames to send */
	const struct mxp_ports *ports;
	struct mxp_ctl_link *link;
	struct mxp_conf_sys *conf;
	const volatile bool *stop;   /**< the worker leaves its loop when set */
	bool mp_enabled;             /**< fragments to us go to the control core (Mp plane) */
	struct mxp_txbuf tx[MXP_MAX_PORTS];
	struct mxp_conf_worker *cw;  /**< this worker's conferences */
	int attach;                  /**< 0 starting, 1 attached, -1 failed (main waits for it) */
	struct mxp_worker_stats st;
} __rte_cache_aligned;

/** Install the fault guard of bursts on memif ports, once, before the workers. */
void mxp_worker_fault_guard_init(void);

/** The lcore function of a worker (arg: its struct mxp_worker). */
int mxp_worker_main(void *arg);

/** Sum of the workers' counters plus the control core's drops (stats.c). */
void mxp_stats_sum(struct mxp_worker *const *w, uint16_t nb_workers,
		   const struct mxp_ctl_stats *cst, struct mxp_worker_stats *sum);

#endif
