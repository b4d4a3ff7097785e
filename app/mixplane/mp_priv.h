/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of the Mp control plane: mp_plane.c (transport, transactions, the daemon's own
 * requests), mp_cmds.c (commands applied to lib/conf) and cli_esp.c (CLI). */
#ifndef MIXPLANE_MP_PRIV_H
#define MIXPLANE_MP_PRIV_H

#include <rte_ip_frag.h>

#include "mp_plane.h"
#include "mxp_esp.h"
#include "mxp_mp.h"
#include "mxp_mp_sdp.h"
#include "mxp_mp_trans.h"

#define MP_BUF 9216              /* largest IP packet handled (reassembled) */
#define MP_MTU_PAYLOAD 1500      /* IP packet size before fragmenting */
#define MP_RCACHE_N 65536
#define MP_RCACHE_BYTES ((size_t)16 << 20)
#define MP_REPLY_MAX 8192
#define MP_OUT_MAX 64            /* outstanding requests of ours (Notify, ServiceChange) */
#define MP_ARENA 32768
#define MP_PENDING_CMDS 16       /* transactions this large get a TransactionPending first */
#define MP_POLL_MS 1000          /* event polling interval */

/* Counters (also telemetry /mixplane/mp). */
#define MP_COUNTERS(X) \
	X(messages, "Mp messages received (after ESP)") \
	X(requests, "transactions received") \
	X(cache_full, "requests refused with 510: the reply cache had no room") \
	X(replies, "replies sent") \
	X(replies_cached, "retransmitted requests answered from the reply cache") \
	X(pendings, "TransactionPending sent") \
	X(errors, "commands or transactions answered with an error") \
	X(parse_errors, "messages that did not parse") \
	X(plaintext_accepted, "Mp in the clear accepted (lab flag)") \
	X(not_udp_2944, "ESP payloads that were not UDP to port 2944") \
	X(reassembled, "IP packets reassembled from fragments") \
	X(fragments_sent, "IP fragments sent") \
	X(reply_too_big, "replies replaced by error 533") \
	X(requests_sent, "requests of ours (ServiceChange, Notify)") \
	X(retransmissions, "retransmissions of our requests") \
	X(gave_up, "requests of ours never answered") \
	X(notifies, "Notify sent") \
	X(send_failed, "replies or requests that could not be sent (no SA, no route)")

struct mp_counters {
#define MP_C_(n, d) uint64_t n;
	MP_COUNTERS(MP_C_)
#undef MP_C_
};

/* Events an MRFC asked for on a leg. */
struct mp_leg {
	uint32_t leg, ctx;
	uint32_t rid;
	bool ev_authfail, ev_keylimit, ev_ssrc;
	uint32_t afthresh;
	uint64_t af_notified;       /* auth failures already reported */
	bool ssrc_known;
	uint32_t ssrc;
};

/* A request of ours waiting for its reply. */
struct mp_out {
	bool used;
	uint32_t tid;
	struct mxp_ip peer;
	uint16_t peer_port;
	struct mxp_mp_retx retx;
	size_t len;
	char text[2048];
};

struct mp_plane {
	bool enabled;
	struct mxp_esp_crypto crypto;
	struct mxp_esp_ep *ep;
	struct mxp_mp_rcache *rc;
	struct rte_ip_frag_tbl *frag;
	struct rte_ip_frag_death_row dr;
	struct mp_counters c;
	uint64_t err_by_code[600];
	struct mp_leg *legs;
	uint32_t nlegs, cap;
	struct mp_out out[MP_OUT_MAX];
	uint32_t next_tid;
	uint64_t next_poll;
	char mid[80];
	uint8_t buf[MP_BUF];         /* the packet being processed */
	uint8_t obuf[MP_BUF];        /* the packet being sent */
	char reply[MP_REPLY_MAX];
	char arena[MP_ARENA];        /* strings of the reply being built */
	size_t arena_used;
	struct mxp_mp_msg msg, rep;  /* big: kept off the stack */
};


extern struct mp_plane mp;

/* mp_plane.c */
/** Format into the arena of the reply being built (the string lives until the next reply). */
const char *mp_arena_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Count an error reply under its H.248.8 code. */
void mp_count_error(unsigned int code);
/** Turn a reply command into an error with code and text (and count it). */
void mp_cmd_error(struct mxp_mp_cmd *c, unsigned int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** The port's address of a family, or NULL. */
const struct mxp_ip *mp_port_addr(const struct mxp_port *p, uint8_t af);

/* mp_cmds.c */
/** Apply a request transaction; builds its reply in mp.rep. */
void mp_apply_transaction(const struct mxp_mp_msg *msg, const struct mxp_mp_trans *tr,
			  const char *base, struct mxp_port *hint);

#endif
