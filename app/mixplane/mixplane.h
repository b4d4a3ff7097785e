/* SPDX-License-Identifier: BSD-3-Clause */
/* The mixplane daemon: shared state between the control core and the workers. */
#ifndef MIXPLANE_H
#define MIXPLANE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "config.h"
#include "mxp_conf.h"
#include "mxp_ctl.h"
#include "mxp_drop.h"
#include "mxp_pkt.h"

#define MXP_BURST 32

extern int mxp_logtype;
#define MXP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mxp_logtype, "mixplane: " fmt "\n", ##__VA_ARGS__)

/* ---- start-up (the configuration is config.h) ----------------------------------------- */

/** Install the fault guard of bursts on memif ports (worker.c), once, before the workers. */
void mxp_worker_fault_guard_init(void);
/** Load and register the codec plugins of the configuration (codec_plugins.c). */
int mxp_codec_plugins_load(const struct mxp_cfg *cfg, char *err, size_t errlen);

/* ---- neighbours (neigh.c) ----------------------------------------------------------- */

enum mxp_neigh_state {
	MXP_NEIGH_FREE = 0,
	MXP_NEIGH_INCOMPLETE, /**< resolving */
	MXP_NEIGH_REACHABLE,
	MXP_NEIGH_STALE,      /**< usable, being re-confirmed */
	MXP_NEIGH_FAILED,
};

#define MXP_NEIGH_SLOTS 4096   /**< per port, power of two */
#define MXP_NEIGH_PENDING 4    /**< packets held per unresolved neighbour */

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

/** Bumped by the control core whenever any neighbour entry changes (workers cache MACs). */
extern uint64_t mxp_neigh_gen;

/** Lock-free lookup for workers: copies the MAC and returns true when usable. */
bool mxp_neigh_lookup(const struct mxp_neigh_table *t, const struct mxp_ip *ip,
		      struct rte_ether_addr *mac);

/* ---- ports --------------------------------------------------------------------------- */

struct mxp_port {
	uint16_t port_id;
	uint16_t idx;            /**< index in mxp.ports */
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

/* ---- workers ------------------------------------------------------------------------- */

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

struct mxp_txbuf {
	uint16_t n;
	struct rte_mbuf *m[MXP_BURST * 2];
};

struct mxp_worker {
	unsigned int lcore;
	uint16_t idx;            /**< also the queue id it polls on every port */
	struct rte_ring *tx_ring; /**< control core → this worker: frames to send */
	struct mxp_txbuf tx[MXP_MAX_PORTS];
	struct mxp_conf_worker *cw;  /**< this worker's conferences */
	int attach;                  /**< 0 starting, 1 attached, -1 failed (main waits for it) */
	struct mxp_worker_stats st;
} __rte_cache_aligned;

/* ---- the daemon ----------------------------------------------------------------------- */

struct mxp_ctl_stats {
	uint64_t rx;             /**< packets received from workers */
	uint64_t arp_learned;
	uint64_t nd_learned;
	uint64_t arp_requests_sent;
	uint64_t ns_sent;
	uint64_t cli_requests;
	uint64_t cli_errors;
	uint64_t cli_denied;
	uint64_t drops[MXP_DROP_MAX];
};

struct mxp_daemon {
	struct mxp_cfg cfg;
	struct rte_mempool *pool;
	struct mxp_port ports[MXP_MAX_PORTS];
	uint16_t nb_ports;
	uint16_t port_of_id[RTE_MAX_ETHPORTS];  /**< DPDK port id → index, 0xffff if not ours */
	struct mxp_worker *workers[MXP_MAX_WORKERS];
	uint16_t nb_workers;
	struct rte_ring *ctl_ring;  /**< workers → control core */
	struct rte_ring *punt_ring; /**< workers → control core: frames whose next hop is unresolved */
	struct rte_mempool *hdr_pool; /**< small mbufs: one Ethernet/IP/UDP header per receiver */
	struct mxp_conf_sys *conf;  /**< conferences */
	int ctl_doorbell;           /**< eventfd: rung when the control core sleeps */
	uint32_t ctl_sleeping;      /**< set by the control core before it waits */
	volatile bool stop;         /**< workers exit their loop when set */
	uint64_t start_ms;
	char file_prefix[64];
	struct mxp_ctl_stats cst;
};

extern struct mxp_daemon mxp;

/** Milliseconds on a monotonic clock (control core only; workers use the TSC). */
uint64_t mxp_now_ms(void);

/* worker.c */
int mxp_worker_main(void *arg);
/** Wake the control core if it sleeps (called by a worker after enqueueing). */
void mxp_ctl_ring_doorbell(void);

/* control.c */
/** Run the control core until SIGINT/SIGTERM. Returns 0 or -errno. */
int mxp_control_run(void);
/** Queue a frame for transmission on a port through a worker (control core only). */
void mxp_control_tx(struct mxp_port *p, struct rte_mbuf *m);

/* neigh.c (control core) */
struct mxp_neigh_table *mxp_neigh_table_create(void);
void mxp_neigh_table_free(struct mxp_neigh_table *t);
/** Learn or refresh a neighbour (from ARP / NS / NA). Sends packets waiting for it. */
void mxp_neigh_learn(struct mxp_port *p, const struct mxp_ip *ip, const struct rte_ether_addr *mac,
		     bool create);
/**
 * Send m (a full frame whose Ethernet destination is to be filled) to the next hop of
 * dst, resolving it first if needed. Takes ownership of m.
 */
void mxp_neigh_send(struct mxp_port *p, const struct mxp_ip *dst, struct rte_mbuf *m);
/** Retransmissions and aging; call about every 100 ms. */
void mxp_neigh_timer(struct mxp_port *p, uint64_t now_ms);
/** The next hop for dst on p: dst itself when on-link, else the gateway. */
bool mxp_port_next_hop(const struct mxp_port *p, const struct mxp_ip *dst, struct mxp_ip *nh);
/** True when ip is one of the port's own unicast addresses. */
bool mxp_port_is_local(const struct mxp_port *p, const struct mxp_ip *ip);
/** The port that reaches dst: the one whose subnet holds it (longest prefix), else the
 *  first with a gateway of its family; -1 when none does. */
int mxp_port_route(const struct mxp_ip *dst);

/* cli.c */
/** Handle one control-socket request; fills out, returns an enum mxp_ctl_status. */
int mxp_cli_handle(const uint8_t *req, uint32_t len, uint32_t peer_uid, struct mxp_buf *out);

/* telemetry.c */
int mxp_telemetry_register(void);

/* stats.c */
/** Sum of every worker's counters plus the control core's drops. */
void mxp_stats_sum(struct mxp_worker_stats *sum);

#endif
