/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of the Mp control plane: mp_plane.c (transport, transactions, the daemon's own
 * requests), mp_cmds.c (commands applied to lib/conf) and cli_esp.c (CLI). */
#ifndef MIXPLANE_MP_PRIV_H
#define MIXPLANE_MP_PRIV_H

#include <rte_hash.h>
#include <rte_ip_frag.h>

#include "mp_plane.h"
#include "mxp_esp.h"
#include "mxp_mp.h"
#include "mxp_mp_sdp.h"
#include "mxp_mp_trans.h"

#define MP_BUF 65536             /* largest IP packet handled (reassembled) */
#define MP_MTU_PAYLOAD 1500      /* IP packet size before fragmenting */
#define MP_REPLY_MAX MXP_MP_MSG_MAX
#define MP_OUT_MAX 64            /* outstanding requests of ours (Notify, ServiceChange) */
#define MP_ARENA 32768
#define MP_LEGS_MAX (1u << 18)   /* legs the plane keeps state for (events, SDP) */
#define MP_SC_RETRY_MS 30000     /* a ServiceChange nobody answered is tried again */

/* Counters (also telemetry /mixplane/mp). */
#define MP_COUNTERS(X) \
	X(messages, "Mp messages received (after ESP)") \
	X(requests, "transactions received") \
	X(replies, "replies sent") \
	X(replies_cached, "retransmitted requests answered from the reply cache") \
	X(pendings, "TransactionPending sent") \
	X(errors, "commands or transactions answered with an error") \
	X(parse_errors, "messages that did not parse") \
	X(cache_full, "requests refused with 510: the reply cache had no room") \
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
	X(send_failed, "replies or requests that could not be sent (no SA, no route)")

struct mp_counters {
#define MP_C_(n, d) uint64_t n;
	MP_COUNTERS(MP_C_)
#undef MP_C_
};

/* Events the mxp package lets an MRFC ask for (Events descriptor). */
#define MP_EV_AUTHFAIL 0x1
#define MP_EV_KEYLIMIT 0x2
#define MP_EV_SSRC 0x4
#define MP_EV_DTMF 0x8

/* Key usage state already notified, per direction and MKI. */
struct mp_keynote {
	uint8_t dir;                 /* 0 in, 1 out */
	uint8_t mki_len;
	uint8_t mki[8];
	uint8_t state;               /* 1 soft, 2 exhausted */
};

/* What the plane keeps per leg created or changed through Mp. */
struct mp_leg {
	uint32_t leg, ctx;
	struct mxp_ip peer;          /* who added it: Notify goes there without [mp] mrfc */
	uint16_t peer_port;
	/* requested events */
	uint8_t ev;                  /* MP_EV_* */
	uint32_t rid;
	uint32_t afthresh;
	uint64_t af_notified;        /* authentication failures already reported */
	bool ssrc_notified;
	uint64_t mismatch_notified;
	uint16_t dtmf_seen;          /* the leg's 16-bit event count when last reported */
	uint8_t nnotes;
	struct mp_keynote notes[8];
	/* the media description, for replies and audits */
	uint8_t npts;
	uint8_t pts[MXP_SDP_PT_MAX];
	uint16_t ptime;
	uint8_t nrtpmap;
	struct {
		uint8_t pt, channels;
		uint32_t clock;
		char enc[24];
	} rtpmap[4];
};

/* A request of ours waiting for its reply. */
struct mp_out {
	bool used;
	bool service_change;
	uint32_t tid;
	struct mxp_ip peer;
	uint16_t peer_port;
	struct mxp_mp_retx retx;
	size_t len;
	char text[2048];
};

/* The transaction being applied: where its reply (and a Pending) goes. */
struct mp_cur {
	struct mxp_port *port;
	struct mxp_ip peer;
	uint16_t peer_port;
	bool plain;
	uint32_t tid;
	uint64_t start_ms;
	bool pending_sent;
	enum mxp_mp_style style;
};

enum mp_sc_state { MP_SC_NONE = 0, MP_SC_SENT, MP_SC_ANSWERED, MP_SC_FAILED };

struct mp_plane {
	bool enabled;
	struct mxp_esp_crypto crypto;
	struct mxp_esp_ep *ep;
	struct mxp_mp_rcache *rc;
	struct rte_ip_frag_tbl *frag;
	struct rte_ip_frag_death_row dr;
	struct mp_counters c;
	uint64_t err_by_code[600];
	struct rte_hash *legs;       /* leg id -> struct mp_leg * */
	uint32_t nlegs;
	struct mp_out out[MP_OUT_MAX];
	uint32_t next_tid;
	uint64_t next_poll;
	enum mp_sc_state sc;
	uint32_t sc_attempts;
	uint64_t sc_retry_at;
	struct mp_cur cur;
	char mid[80];
	uint8_t buf[MP_BUF];         /* the packet being processed */
	uint8_t obuf[MP_BUF];        /* the packet being sent */
	char reply[MP_REPLY_MAX + 1];
	char arena[MP_ARENA];        /* strings of the reply being built (may hold keys) */
	size_t arena_used;
	struct mxp_mp_msg msg, rep;  /* big: kept off the stack */
};

extern struct mp_plane mp;

/* mp_plane.c */
/** Format into the arena of the reply being built (the string lives until the next reply). */
const char *mp_arena_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Copy a view into the arena (NUL-terminated). */
const char *mp_arena_str(struct mxp_mp_str s);
/** Count an error reply under its H.248.8 code. */
void mp_count_error(unsigned int code);
/** Turn a reply command into an error with code and text (and count it). */
void mp_cmd_error(struct mxp_mp_cmd *c, unsigned int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** The port's address of a family, or NULL. */
const struct mxp_ip *mp_port_addr(const struct mxp_port *p, uint8_t af);
/**
 * Between two commands of the transaction being applied: send TransactionPending once it
 * has taken [mp] pending_ms.
 */
void mp_pending_check(void);
/** Send a Notify for a leg (to [mp] mrfc, or to the peer that added the leg). */
void mp_notify(const struct mp_leg *l, const char *event, const char *params);

/* mp_cmds.c */
/** Apply a request transaction; builds its reply in mp.rep. */
void mp_apply_transaction(const struct mxp_mp_msg *msg, const struct mxp_mp_trans *tr,
			  const char *base);
/** The plane's record of a leg, or NULL. */
struct mp_leg *mp_leg_find(uint32_t leg);
/** Drop the plane's record of a leg. */
void mp_leg_forget(uint32_t leg);

/* mp_events.c */
/** Check the legs with requested events and notify what happened. */
void mp_events_poll(uint64_t now_ms);

#endif
