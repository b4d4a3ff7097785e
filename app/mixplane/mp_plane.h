/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Mp control plane of the daemon (mp_plane.c): H.248 text over ESP, applied to lib/conf
 * by lib/mrfp. The control core owns one plane and feeds it frames and timer ticks; the CLI
 * and telemetry read a snapshot of it (mxp_mp_plane_status) and reach its ESP endpoint
 * through lib/esp's API (mxp_mp_plane_esp).
 */
#ifndef MIXPLANE_MP_PLANE_H
#define MIXPLANE_MP_PLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "config.h"
#include "mixplane.h"
#include "mxp_mrfp.h"
#include "ports.h"

struct mxp_mp_plane;
struct mxp_esp_ep;
struct mxp_conf_sys;

/* Counters (also telemetry /mixplane/mp). errors, keys_generated and notifies are lib/mrfp's
 * (mxp_mp_plane_status() fills them in). */
#define MXP_MP_COUNTERS(X) \
	X(messages, "Mp messages received (after ESP)") \
	X(requests, "transactions received") \
	X(replies, "replies sent") \
	X(replies_cached, "retransmitted requests answered from the reply cache") \
	X(pendings, "TransactionPending sent") \
	X(errors, "commands or transactions answered with an error") \
	X(parse_errors, "messages that did not parse") \
	X(cache_full, "requests refused with 510: the reply cache had no room") \
	X(overload_refused, "new contexts refused with 510 while overloaded (H.248.11, before the reply cache is full)") \
	X(refusals_evicted, "overload refusals (510, nothing applied) forgotten before reply_ttl_ms to make room in the reply cache") \
	X(overload_notifies, "ocp/mg_overload Notify sent") \
	X(overloaded, "1 while the control core is overloaded (doc/mp.md Overload control)") \
	X(dd_lost, "dd/ce input lost: digits past one events poll's log during a collection, or a collection without memory") \
	X(acks, "TransactionResponseAck received") \
	X(plaintext_accepted, "Mp in the clear accepted (lab flag)") \
	X(not_udp_2944, "ESP payloads that were not UDP to port 2944") \
	X(reassembled, "IP packets reassembled from fragments") \
	X(too_big, "IP packets too large to handle (dropped)") \
	X(malformed, "frames for the control plane too short or with an IP length past their end (dropped)") \
	X(fragments_sent, "IP fragments sent") \
	X(reply_too_big, "replies replaced by error 533") \
	X(requests_sent, "requests of ours (ServiceChange, Notify)") \
	X(retransmissions, "retransmissions of our requests") \
	X(answered, "requests of ours answered") \
	X(answered_error, "requests of ours answered with an error") \
	X(gave_up, "requests of ours never answered") \
	X(notifies, "Notify sent") \
	X(keys_generated, "Local keys the MRFP generated (Add without a Local a=crypto)") \
	X(send_failed, "replies or requests that could not be sent (no SA, no route)") \
	X(sctp_up, "SCTP association to the MRFC: 1 up, 0 not (transport = sctp)") \
	X(sctp_connects, "SCTP associations opened (INIT sent)") \
	X(sctp_comm_up, "SCTP associations that came up") \
	X(sctp_comm_lost, "SCTP associations lost (aborted, or the MRFC silent)") \
	X(sctp_restarts, "SCTP associations restarted by the MRFC") \
	X(sctp_not_sent, "messages not sent: the SCTP association was down")

/* All uint64_t, in MXP_MP_COUNTERS order (readers may walk them as an array). */
struct mxp_mp_counters {
#define MXP_MP_C_(n, d) uint64_t n;
	MXP_MP_COUNTERS(MXP_MP_C_)
#undef MXP_MP_C_
};

/* Where the daemon's ServiceChange Restart stands. */
enum mxp_mp_sc_state { MXP_MP_SC_NONE = 0, MXP_MP_SC_SENT, MXP_MP_SC_ANSWERED, MXP_MP_SC_FAILED };

/** A snapshot of the plane for `show mp` and telemetry (never a key). */
struct mxp_mp_status {
	bool enabled;                /**< an [mp] section was given */
	bool allow_plaintext;        /**< [esp] allow_plaintext_mp */
	bool has_mrfc;
	struct mxp_ip mrfc;          /**< [mp] mrfc */
	char mid[80];                /**< our message identifier, "" when off */
	enum mxp_mp_sc_state sc;
	uint32_t sc_attempts;
	uint32_t outstanding;        /**< requests of ours waiting for a reply */
	uint32_t reply_cache;        /**< replies cached */
	uint32_t reply_cache_capacity;
	size_t reply_cache_bytes;
	uint32_t legs;               /**< legs lib/mrfp keeps records of */
	uint32_t esp_sas;            /**< SAs of the ESP endpoint */
	const char *esp_backend;     /**< the crypto backend's name, NULL when off */
	const char *sctp_state;      /**< [mp] transport = sctp: the association's state ("up",
					  "connecting", "idle"); NULL for UDP */
	uint64_t plaintext_dropped;  /**< Mp in the clear refused (lib/esp's count) */
	uint64_t not_in_policy_dropped;
	struct mxp_mp_counters c;
	uint64_t err_by_code[MXP_MRFP_ERR_CODES]; /**< errors answered, by H.248.8 code */
};

/** What the plane works with; every pointer outlives the plane. */
struct mxp_mp_plane_params {
	const struct mxp_cfg *cfg;   /**< [mp] and [esp], and the file's path for errors */
	struct mxp_ports *ports;     /**< where Mp arrives and leaves (routes, neighbours) */
	struct mxp_conf_sys *conf;   /**< the conferences lib/mrfp applies commands to */
	struct rte_mempool *pool;    /**< mbufs of the replies and requests sent */
	struct mxp_ctl_stats *cst;   /**< control-path drops (frames while the plane is off) */
	/** ROOT's mxp/load: the busiest worker's load in percent (lib/mrfp's load_pct); may be
	 *  NULL (mxp/load is not reported) */
	int (*load_pct)(void *arg);
	void *load_arg;
};

/**
 * Create the plane: the ESP endpoint (SA key file), the reply cache, lib/mrfp, and send
 * ServiceChange Restart to the configured MRFC. Without an [mp] section the plane is
 * created off (it drops and counts what reaches it). Call once the workers run (the
 * ServiceChange goes out through worker 0).
 * @return the plane, or NULL with err naming the file, key and problem.
 */
struct mxp_mp_plane *mxp_mp_plane_create(const struct mxp_mp_plane_params *p, char *err,
					 size_t errlen);

/** Wipe every SA, cached reply and buffer and free the plane (shutdown). NULL is a no-op. */
void mxp_mp_plane_destroy(struct mxp_mp_plane *mp);

/**
 * A control frame from a worker: ESP (IP protocol 50), UDP 4500, UDP 2944, or an IP
 * fragment addressed to us, received on port p. Takes the mbuf. Control core only.
 */
void mxp_mp_plane_input(struct mxp_mp_plane *mp, struct mxp_port *p, struct rte_mbuf *m);

/** Retransmissions of the daemon's own requests, event polling. About every 100 ms. */
void mxp_mp_plane_timer(struct mxp_mp_plane *mp, uint64_t now_ms);

/** True when the plane runs (an [mp] section was given). */
bool mxp_mp_plane_enabled(const struct mxp_mp_plane *mp);

/** Fill out with the plane's state and counters (lib/mrfp's included). */
void mxp_mp_plane_status(const struct mxp_mp_plane *mp, struct mxp_mp_status *out);

/**
 * Drain (mixplanectl drain): refuse new contexts over Mp (503) and send ServiceChange
 * Graceful with ServiceChangeDelay delay_s to [mp] mrfc. May be called again (a shorter
 * delay). @return 1 when the ServiceChange went out, 0 when there was nobody to tell.
 */
int mxp_mp_plane_drain(struct mxp_mp_plane *mp, uint32_t delay_s);

/** The plane's ESP endpoint, for the CLI's SA commands and listings (lib/esp's API);
 *  NULL when the plane is off. */
struct mxp_esp_ep *mxp_mp_plane_esp(const struct mxp_mp_plane *mp);

#endif
