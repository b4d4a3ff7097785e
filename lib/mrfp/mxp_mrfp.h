/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The MRFP: H.248 (Mp) transactions applied to the conferences.
 *
 * Takes the transactions lib/mp parsed and maps each command onto lib/conf's control API
 * (Add, Modify, Move, Subtract, AuditValue, AuditCapability, ServiceChange of ROOT), builds
 * the reply into a lib/mp message, keeps what the MRFP remembers per leg (requested events,
 * the media description for audits, who added it) and reports the requested events as
 * Notify. doc/mp.md describes the behaviour on the wire.
 *
 * Everything the daemon owns comes in through an explicit context: the conference system,
 * a configuration, and callbacks (addresses of the daemon's ports, the route to an
 * address, a clock, "send TransactionPending now", "send this Notify"). A test gives it a
 * conference system with inline workers and fake callbacks.
 *
 * Control core only; not thread-safe; one transaction at a time.
 */
#ifndef MXP_MRFP_H
#define MXP_MRFP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_conf.h"
#include "mxp_mp.h"
#include "mxp_mp_sdp.h"
#include "mxp_pkt.h"

/** Error codes counted one by one (H.248.8 codes are below this). */
#define MXP_MRFP_ERR_CODES 600

/** Events of the mxp package an MRFC can request (mxp_mrfp_leg.ev bits). */
#define MXP_MRFP_EV_AUTHFAIL 0x1
#define MXP_MRFP_EV_KEYLIMIT 0x2
#define MXP_MRFP_EV_SSRC 0x4
#define MXP_MRFP_EV_DTMF 0x8
/** Events of the standard packages (doc/mp.md "Packages"). */
#define MXP_MRFP_EV_SC 0x10          /**< g/sc: signal completion */
#define MXP_MRFP_EV_CAUSE 0x20       /**< g/cause: accepted, no failure cause is reported */
#define MXP_MRFP_EV_DD 0x40          /**< dd/std: a DTMF digit started (tid=d0..dd) */
#define MXP_MRFP_EV_CE 0x80          /**< dd/ce: digits collected with a digit map */

/** The profile the MRFP speaks (ServiceChangeProfile, doc/mp.md). */
enum mxp_mrfp_profile {
	MXP_MRFP_PROFILE_3GPP = 0,   /**< TS 29.333 (MXP_MP_PROFILE_3GPP_NAME) */
	MXP_MRFP_PROFILE_MXP,        /**< mxp/1 */
};

/** What the daemon's configuration ([mp] section) decides for the MRFP. */
struct mxp_mrfp_config {
	uint16_t nb_ports;           /**< daemon ports, 0..nb_ports-1 (ops.port_addr) */
	bool allow_plaintext;        /**< lab flag: mxp/plainrtp=on is accepted */
	bool generate_keys;          /**< make the Local key when an Add gives none */
	uint32_t afthresh;           /**< mxp/authfail threshold of a leg that sets none */
	uint32_t keylimit_percent;   /**< mxp/keylimit state=soft at this share of the limit */
	uint32_t pending_ms;         /**< TransactionPending once a transaction takes this */
	uint32_t legs_max;           /**< leg records kept; 0 = 262144 */
	uint32_t media_pairs;        /**< port pairs of the media range (ROOT's mxp/capacity);
					  0 = not bounded by it */
	enum mxp_mrfp_profile profile; /**< announced in ServiceChange replies */
	uint32_t retx_initial_ms;    /**< the daemon's first retransmission timer of its own
					  requests: root/normalMGCExecutionTime until the MRFC
					  sets it (0 = lib/mp's default) */
	/* Overload control (H.248.11 ocp, doc/mp.md "Overload control"); 0: the default */
	uint32_t ocp_high_pct;       /**< reply cache share that starts an overload (70) */
	uint32_t ocp_low_pct;        /**< reply cache share that ends it (50) */
	uint32_t ocp_busy_pct;       /**< share of a window spent in transactions that
					  starts an overload (90; 100+: never) */
	uint32_t ocp_window_ms;      /**< the busy share's window (1000) */
	uint32_t ocp_notify_ms;      /**< least time between two ocp/mg_overload (1000) */
};

/** An H.248 peer: address and UDP port. */
struct mxp_mrfp_peer {
	struct mxp_ip addr;          /**< af 0: none */
	uint16_t port;
};

/** One event to report (mxp_mrfp_ops.notify). */
struct mxp_mrfp_notify {
	uint32_t ctx;                /**< the leg's context */
	uint32_t leg;
	uint32_t rid;                /**< RequestID of the Events descriptor */
	char term[16];               /**< "leg/N" */
	const char *event;           /**< "mxp/authfail", ... (MXP_MP_EV_*) */
	const char *params;          /**< "count=3" (may be "") */
	struct mxp_mrfp_peer peer;   /**< who added the leg (af 0: nobody, a CLI leg) */
};

/** What the daemon does for the MRFP. Every callback gets @c arg. */
struct mxp_mrfp_ops {
	/** The local address of a family on daemon port @p port_idx, or NULL. */
	const struct mxp_ip *(*port_addr)(void *arg, uint16_t port_idx, uint8_t af);
	/** The port that reaches @p dst (its subnet, else its gateway), or a negative value. */
	int (*route)(void *arg, const struct mxp_ip *dst);
	/** Milliseconds of a monotonic clock. */
	uint64_t (*now_ms)(void *arg);
	/**
	 * The transaction being applied has taken pending_ms: send TransactionPending now.
	 * Called at most once per transaction, between two commands (or legs of a wildcard).
	 * May be NULL.
	 */
	void (*send_pending)(void *arg);
	/**
	 * Send a Notify (mxp_mrfp_notify_build() makes the message). Returns 0 when it went
	 * out (counted in notifies), negative when there was nobody to tell or no way to.
	 */
	int (*notify)(void *arg, const struct mxp_mrfp_notify *n);
	/**
	 * The busiest worker's load in percent since the previous call (ROOT's mxp/load), or
	 * a negative value when unknown. May be NULL (mxp/load is then not reported).
	 */
	int (*load_pct)(void *arg);
	/**
	 * The reply cache's occupancy: entries held and its capacity (overload control).
	 * May be NULL (only the time spent in transactions is then watched).
	 */
	void (*cache_fill)(void *arg, uint32_t *used, uint32_t *capacity);
	void *arg;
};

/** Key usage state already notified, per direction and MKI. */
struct mxp_mrfp_keynote {
	uint8_t dir;                 /**< 0 in, 1 out */
	uint8_t mki_len;
	uint8_t mki[8];
	uint8_t state;               /**< 1 soft, 2 exhausted */
};

/** What the MRFP keeps per leg created or changed through Mp. */
struct mxp_mrfp_leg {
	uint32_t leg, ctx;
	struct mxp_mrfp_peer peer;   /**< who added it: Notify goes there without [mp] mrfc */
	uint64_t created_ms;         /**< ops.now_ms when the record was made (nt/dur) */
	/* requested events */
	uint8_t ev;                  /**< MXP_MRFP_EV_* */
	uint32_t rid;
	uint32_t afthresh;
	uint64_t af_notified;        /**< authentication failures already reported */
	bool ssrc_notified;
	uint64_t mismatch_notified;
	uint16_t dtmf_seen;          /**< the leg's 16-bit event count when last reported */
	uint8_t nnotes;
	struct mxp_mrfp_keynote notes[8];
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

/** Counters of the MRFP. */
struct mxp_mrfp_counters {
	uint64_t errors;             /**< commands or transactions answered with an error */
	uint64_t keys_generated;     /**< Local keys the MRFP generated */
	uint64_t notifies;           /**< Notify sent */
	uint64_t legs;               /**< leg records now */
	uint64_t ocp_refused;        /**< new contexts refused with 510 while overloaded */
	uint64_t ocp_notifies;       /**< ocp/mg_overload Notify sent (also in notifies) */
	uint64_t ocp_episodes;       /**< overloads that began */
	uint64_t overloaded;         /**< 1 while overloaded, else 0 */
	/** dd/ce input lost: digits past the events poll's log on a leg asked for dd/ce (a
	 *  collection misses them), or a collection that found no memory (no dd/ce comes) */
	uint64_t dd_lost;
	uint64_t err_by_code[MXP_MRFP_ERR_CODES]; /**< errors by H.248.8 code */
};

struct mxp_mrfp;

/**
 * Create an MRFP.
 * @param cfg   configuration (copied)
 * @param conf  the conference system commands are applied to (not owned)
 * @param ops   the daemon's callbacks (copied); port_addr, route and now_ms are required
 * @param err, errlen  filled on failure
 * @return the MRFP, or NULL (-EINVAL arguments, out of memory) with err filled.
 */
struct mxp_mrfp *mxp_mrfp_create(const struct mxp_mrfp_config *cfg, struct mxp_conf_sys *conf,
				 const struct mxp_mrfp_ops *ops, char *err, size_t errlen);

/** Free the MRFP and its leg records; wipes the reply arena. NULL is accepted. */
void mxp_mrfp_destroy(struct mxp_mrfp *m);

/**
 * Apply one request transaction and append its reply transaction to @p reply (initialised
 * by the caller with mxp_mp_msg_init()). Commands are applied in order; a command that fails
 * changes nothing and ends the transaction unless it is optional (O-), H.248.1 8.2.2.
 * Errors are in the reply (and counted), never returned.
 *
 * Strings of the reply live in the MRFP's arena (they may hold a generated key) until
 * mxp_mrfp_reply_wipe() or the next mxp_mrfp_apply().
 * @param msg, tr  the parsed message and its transaction (kind MXP_MP_TRANS_REQUEST)
 * @param base     the request text (positions of errors found by mxp_mp_pkg_get())
 * @param reply    the message the reply transaction is added to
 * @param peer     who sent it (remembered by the legs it adds: Notify goes there)
 */
void mxp_mrfp_apply(struct mxp_mrfp *m, const struct mxp_mp_msg *msg,
		    const struct mxp_mp_trans *tr, const char *base, struct mxp_mp_msg *reply,
		    const struct mxp_mrfp_peer *peer);

/**
 * True when the last transaction applied was refused whole by the overload control: its
 * only command (an Add or Move to context $) got 510 "overloaded" and nothing changed. Its
 * reply may then be forgotten before LONG-TIMER when the reply cache needs the room
 * (mxp_mp_rcache_refusal()): a retransmission is refused again while the overload lasts.
 */
bool mxp_mrfp_refused(const struct mxp_mrfp *m);

/**
 * Wipe the strings of the last reply; call once it is encoded and sent. This also ends the
 * transaction for the overload control (its time is counted) and sends the ocp/mg_overload
 * Notify the transaction made due (through ops.notify, which may reuse the reply's message).
 */
void mxp_mrfp_reply_wipe(struct mxp_mrfp *m);

/**
 * Check the legs with requested events and report what happened through ops.notify (each
 * condition once). Forgets the records of legs that no longer exist.
 */
void mxp_mrfp_events_poll(struct mxp_mrfp *m, uint64_t now_ms);

/**
 * Append a Notify request (transaction @p tid, the leg's context, the observed event) to a
 * message initialised with mxp_mp_msg_init(). The message keeps views into @p n.
 * @return 0, or -ENOSPC when the message is full.
 */
int mxp_mrfp_notify_build(struct mxp_mp_msg *msg, uint32_t tid, const struct mxp_mrfp_notify *n);

/**
 * The profile as ServiceChangeProfile spells it ("threegmrfp/1", "mxp/1"); a static string.
 */
const char *mxp_mrfp_profile_name(enum mxp_mrfp_profile p);

/**
 * Set the name and version the 3GPP profile is announced and negotiated under ("NAME/VER",
 * NAME an H.248 name of up to 64 characters, VER 1..99), for an MRFC that spells TS 29.333's
 * profile otherwise than the built-in MXP_MP_PROFILE_3GPP_NAME/1 (`[mp] profile_name`).
 * Process-wide; call before any MRFP runs. The packages answered do not change.
 * @return 0, or -EINVAL with err saying what is expected (nothing changed).
 */
int mxp_mrfp_profile_3gpp_set(const char *name_version, char *err, size_t errlen);

/**
 * ServiceChangeProfile negotiation (H.248.1 11.3): check the Profile an MRFC's reply to our
 * ServiceChange carries. None, or ours: the version we announced. The same name with a
 * lower version: that version, if we speak it (every version from 1 up to ours). Another
 * name or a higher version: refused.
 * @param reply_profile  the reply's Profile value (length 0: none)
 * @param version        the version to use (set on success)
 * @return 0, or -ENOTSUP with err filled.
 */
int mxp_mrfp_profile_negotiate(enum mxp_mrfp_profile p, struct mxp_mp_str reply_profile,
			       uint32_t *version, char *err, size_t errlen);

/** The MRFP's record of a leg, or NULL. */
const struct mxp_mrfp_leg *mxp_mrfp_leg_find(const struct mxp_mrfp *m, uint32_t leg);

/** Drop the record of a leg (removed by other means, e.g. the CLI). Unknown: no-op. */
void mxp_mrfp_leg_forget(struct mxp_mrfp *m, uint32_t leg);

/**
 * Drain (mixplanectl drain): while on, a command that would create a context (Add or Move to
 * context $) is refused with 503 "Service Unavailable" (H.248.8); commands on existing
 * contexts are applied as before. Off by default; may be set more than once.
 */
void mxp_mrfp_set_draining(struct mxp_mrfp *m, bool on);

struct mxp_mp_retx_params;
/**
 * The Base Root timers an MRFC set with Modify = ROOT (root/normalMGCExecutionTime,
 * root/MGCProvisionalResponseTimerValue, doc/mp.md) applied to the retransmission
 * parameters of a request of the MRFP's own: p->initial_ms and p->pending_ms are replaced
 * where the MRFC set them, the rest is left as the caller filled it.
 */
void mxp_mrfp_retx_params(const struct mxp_mrfp *m, struct mxp_mp_retx_params *p);
/**
 * root/MGCOriginatedPendingLimit: how many TransactionPendings from the MRFC the MRFP
 * accepts for one request of its own before it gives the request up (H.248.1 8.2.3).
 */
uint32_t mxp_mrfp_pending_limit(const struct mxp_mrfp *m);

/** The counters (read-only; valid while the MRFP lives). */
const struct mxp_mrfp_counters *mxp_mrfp_counters(const struct mxp_mrfp *m);

/**
 * Count an error answered by the caller (a message that did not parse, a full reply cache,
 * a reply too big) with those of the commands: one table of errors by code.
 */
void mxp_mrfp_count_error(struct mxp_mrfp *m, unsigned int code);

#endif
