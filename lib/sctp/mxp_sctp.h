/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/sctp: one SCTP association carried by the caller (usrsctp in AF_CONN mode).
 *
 * The stack never touches a kernel socket: every SCTP packet it sends comes out of the
 * caller's output callback (the caller wraps it in IP protocol 132, inside ESP for Mp), and
 * every SCTP packet the caller receives goes in with mxp_sctp_input(). Messages are whole
 * user messages (H.248.4: one H.248 message per SCTP user message, PPID 7, stream 0,
 * ordered). Association changes (up, lost, restart, shutdown) are reported to the caller.
 *
 * Threads: usrsctp is started with usrsctp_init_nothreads(): no timer thread and no
 * receive threads; its timers run in mxp_sctp_timer(), called by the caller's periodic
 * timer. Every function here must be called from one thread (the daemon's control core,
 * mrfc's only thread). usrsctp still starts its idle iterator thread, which lib/sctp never
 * gives work to (no setsockopt on "all associations", no address changes).
 *
 * No DPDK. The caller allocates: mxp_sctp_size() then mxp_sctp_init().
 */
#ifndef MXP_SCTP_H
#define MXP_SCTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** SCTP payload protocol identifier of H.248 (IANA; H.248.4). */
#define MXP_SCTP_PPID_H248 7
/** The H.248 port, over SCTP as over UDP (H.248.4). */
#define MXP_SCTP_H248_PORT 2944
/** IP protocol number of SCTP. */
#define MXP_SCTP_IPPROTO 132

/** What happened to the association (SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT). */
enum mxp_sctp_event {
	MXP_SCTP_EV_COMM_UP = 1,   /**< the association is up: messages may be sent */
	MXP_SCTP_EV_COMM_LOST,     /**< aborted by the peer or given up (retransmissions) */
	MXP_SCTP_EV_RESTART,       /**< the peer restarted it (new INIT): still up */
	MXP_SCTP_EV_SHUTDOWN_COMP, /**< closed gracefully */
	MXP_SCTP_EV_CANT_START,    /**< the INIT was never answered (connect side) */
};

/** Where the association stands. */
enum mxp_sctp_state {
	MXP_SCTP_ST_IDLE = 0,   /**< nothing yet, or closed: connect again */
	MXP_SCTP_ST_CONNECTING, /**< INIT sent, waiting */
	MXP_SCTP_ST_LISTENING,  /**< waiting for the peer's INIT */
	MXP_SCTP_ST_UP,         /**< established */
};

/** Counters of one association holder. */
struct mxp_sctp_counters {
	uint64_t pkts_in, pkts_out;      /**< SCTP packets in and out */
	uint64_t msgs_in, msgs_out;      /**< whole user messages */
	uint64_t bytes_in, bytes_out;    /**< user message bytes */
	uint64_t msgs_too_big;           /**< received messages past max_msg (dropped) */
	uint64_t msgs_bad_ppid;          /**< received with another PPID (dropped) */
	uint64_t send_failed;            /**< mxp_sctp_send() refused (not up, no room) */
	uint64_t comm_up, comm_lost, restarts, shutdowns, cant_start; /**< events */
};

/** Tunables of the association (0: usrsctp's default). */
struct mxp_sctp_timers {
	uint32_t rto_initial_ms, rto_min_ms, rto_max_ms; /**< retransmission timeout */
	uint32_t hb_interval_ms;  /**< heartbeat interval (detects a silent peer) */
	uint16_t max_retrans;     /**< association (and path) retransmissions before lost */
	uint16_t max_init_retrans; /**< INIT retransmissions before CANT_START */
};

struct mxp_sctp;

/** What the holder gives. Callbacks are called from inside mxp_sctp_* calls only. */
struct mxp_sctp_params {
	bool listen;             /**< true: wait for the peer's INIT; false: mxp_sctp_connect() */
	uint16_t local_port, peer_port; /**< SCTP ports (MXP_SCTP_H248_PORT) */
	uint32_t ppid;           /**< PPID sent and the only one accepted (MXP_SCTP_PPID_H248) */
	uint16_t mtu;            /**< largest SCTP packet output() gets (e.g. 1200 in ESP) */
	size_t max_msg;          /**< largest user message received (1..1 MiB) */
	struct mxp_sctp_timers timers;
	/**
	 * One SCTP packet (common header and chunks) to carry to the peer. Must not call back
	 * into lib/sctp. Returns 0, or a negative errno (the stack treats it as lost).
	 */
	int (*output)(void *arg, const uint8_t *pkt, size_t len);
	/** One whole user message from the peer (the buffer is wiped after the call). */
	void (*recv)(void *arg, uint8_t *msg, size_t len);
	/** An association change; may call mxp_sctp_send() / mxp_sctp_connect(). */
	void (*event)(void *arg, enum mxp_sctp_event ev);
	void *arg;
};

/** Bytes mxp_sctp_init() needs for a holder receiving messages up to max_msg bytes. */
size_t mxp_sctp_size(size_t max_msg);

/**
 * Start usrsctp if this is the first holder, open the socket (bound, and listening when
 * p->listen).
 * @param s mxp_sctp_size(p->max_msg) bytes, any alignment of 8
 * @return 0; -EINVAL (bad parameters, err says which); -ENOMEM; another -errno from usrsctp
 *	(err says which call).
 */
int mxp_sctp_init(struct mxp_sctp *s, const struct mxp_sctp_params *p, char *err,
		  size_t errlen);

/** Abort the association (if any), close, and stop usrsctp with the last holder. */
void mxp_sctp_fini(struct mxp_sctp *s);

/**
 * Send INIT to the peer (connect side; IDLE only). The outcome comes as COMM_UP or
 * CANT_START.
 * @return 0; -EALREADY (not IDLE); -EINVAL (a listening holder); another -errno.
 */
int mxp_sctp_connect(struct mxp_sctp *s);

/**
 * One SCTP packet from the peer (after ESP and IP reassembly). Runs the callbacks for what
 * it completes (messages, events; replies go out through output()).
 */
void mxp_sctp_input(struct mxp_sctp *s, const uint8_t *pkt, size_t len);

/**
 * Send one user message on stream 0, ordered, with the holder's PPID.
 * @return 0; -ENOTCONN (not up); -EMSGSIZE (larger than the send buffer); -EAGAIN (no room
 *	now); another -errno.
 */
int mxp_sctp_send(struct mxp_sctp *s, const void *msg, size_t len);

/** Abort the association now (ABORT chunk; the peer reports it lost). Back to IDLE, or to
 * LISTENING for a listening holder. No event for this side. */
void mxp_sctp_abort(struct mxp_sctp *s);

/**
 * Drive usrsctp's timers (retransmissions, heartbeats) for every holder: call every 10 to
 * 100 ms with the caller's monotonic clock in ms (mxp_clock_ms()).
 */
void mxp_sctp_timer(uint64_t now_ms);

/** Where the association stands. */
enum mxp_sctp_state mxp_sctp_state_get(const struct mxp_sctp *s);

/** The holder's counters. */
const struct mxp_sctp_counters *mxp_sctp_counters_get(const struct mxp_sctp *s);

/** "up", "connecting", "listening", "idle". */
const char *mxp_sctp_state_name(enum mxp_sctp_state st);

/** "comm_up", "comm_lost", ... */
const char *mxp_sctp_event_name(enum mxp_sctp_event ev);

#endif
