/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * H.248 transaction layer helpers (H.248.1 8.2, Annex D.1 for UDP):
 *  - the receiver's reply cache: a retransmitted request gets the byte-identical reply
 *    without being applied again; a request still being worked on gets TransactionPending;
 *    TransactionResponseAck frees entries early, LONG-TIMER (ttl) frees them late, and an
 *    unexpired reply is never evicted (except a refusal that applied nothing, for room);
 *  - the sender's retransmission timer with exponential backoff, stretched by Pending.
 * Both are caller-allocated and take the time as an argument (milliseconds, monotonic).
 */
#ifndef MXP_MP_TRANS_H
#define MXP_MP_TRANS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_ip.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Who sent a transaction: address and UDP port. */
struct mxp_mp_peer {
	struct mxp_ip addr;
	uint16_t port;
};

enum mxp_mp_rc_state {
	MXP_MP_RC_NEW = 0,      /**< first time: apply it, then mxp_mp_rcache_finish() */
	MXP_MP_RC_IN_PROGRESS,  /**< being applied: answer with Pending */
	MXP_MP_RC_REPLIED,      /**< answered before: resend the cached reply */
	MXP_MP_RC_FULL,         /**< no room for another reply younger than the ttl: do not
				     apply the request (answer 510); nothing was recorded */
};

struct mxp_mp_rcache;

/**
 * Bytes for a cache of at most n entries whose replies share @p bytes bytes of storage
 * (replies are stored back to back; one reply is at most MXP_MP_MSG_MAX bytes).
 */
size_t mxp_mp_rcache_size(uint32_t n, size_t bytes);

/**
 * Initialise in caller memory. ttl_ms is how long a reply is kept (H.248 LONG-TIMER: at
 * least as long as the peer retransmits; 30000 is a good default). Entries and bytes are
 * reclaimed oldest first once expired or acknowledged; an unexpired reply is never evicted
 * (mxp_mp_rcache_begin() returns MXP_MP_RC_FULL instead; refusals marked with
 * mxp_mp_rcache_refusal() aside), so size the cache for the
 * transaction rate times the ttl.
 * @return 0 or -EINVAL (n not in 1..2^20, bytes below 4 * MXP_MP_MSG_MAX).
 */
int mxp_mp_rcache_init(struct mxp_mp_rcache *rc, uint32_t n, size_t bytes, uint64_t ttl_ms);

/**
 * A request arrived. NEW creates an IN_PROGRESS entry; REPLIED returns the stored reply
 * (valid until the next call that changes the cache); FULL: see ::mxp_mp_rc_state.
 */
enum mxp_mp_rc_state mxp_mp_rcache_begin(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer,
					 uint32_t tid, uint64_t now_ms, const char **reply,
					 size_t *reply_len);

/**
 * Store the reply of a request begun with mxp_mp_rcache_begin().
 * @return 0, -ENOENT (no entry: expired meanwhile), -EALREADY (already answered), -E2BIG
 *         (longer than MXP_MP_MSG_MAX: the entry is dropped), -ENOSPC (no room; cannot
 *         happen while every NEW is finished before the next begin).
 */
int mxp_mp_rcache_finish(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer, uint32_t tid,
			 const char *reply, size_t len, uint64_t now_ms);

/**
 * The stored reply of (peer, tid) refused the request and applied nothing (overload
 * control: mxp_mrfp_refused()). It is kept like any other, but when a new request finds no
 * room, such refusals are forgotten first, oldest first, instead of answering "full": a
 * refusal must never crowd out the requests an overloaded MRFP still takes (Subtract,
 * Modify, audits). A retransmission of a forgotten refusal is a new request again, which the
 * overload refuses again while it lasts (the overload ends only when the cache has emptied
 * below its low mark, long after a full cache).
 * @return 0, -ENOENT (no entry), -EINVAL (not answered yet)
 */
int mxp_mp_rcache_refusal(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer,
			  uint32_t tid);

/** Refusals forgotten before their ttl to make room (mxp_mp_rcache_refusal()). */
uint64_t mxp_mp_rcache_evicted(const struct mxp_mp_rcache *rc);

/** TransactionResponseAck for tids first..last from peer: forget (and wipe) those replies. */
void mxp_mp_rcache_ack(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer, uint32_t first,
		       uint32_t last);

/**
 * Forget (and wipe) the replies older than the ttl. mxp_mp_rcache_begin() does it too; call
 * this from a timer so an idle cache empties, its count (and what overload control reads
 * from it) is current, and no reply outlives its ttl in memory.
 */
void mxp_mp_rcache_expire(struct mxp_mp_rcache *rc, uint64_t now_ms);

/** Entries held. */
uint32_t mxp_mp_rcache_count(const struct mxp_mp_rcache *rc);

/** Reply bytes held (including space not yet reclaimed). */
size_t mxp_mp_rcache_bytes_used(const struct mxp_mp_rcache *rc);

/** Wipe every stored reply (replies may carry keys); call before freeing the memory. */
void mxp_mp_rcache_wipe(struct mxp_mp_rcache *rc);

/** Retransmission parameters (milliseconds). */
struct mxp_mp_retx_params {
	uint32_t initial_ms;   /**< first retransmission after this (default 250) */
	uint32_t max_ms;       /**< interval cap for the doubling (default 4000) */
	uint32_t give_up_ms;   /**< give up this long after the first send (default 30000) */
	uint32_t pending_ms;   /**< after a Pending, wait this long before retransmitting
				    again, and extend the deadline by give_up_ms (default 10000) */
};

struct mxp_mp_retx {
	struct mxp_mp_retx_params p;
	uint64_t deadline;     /**< give up at */
	uint64_t next;         /**< retransmit at */
	uint32_t interval;
	uint32_t sent;         /**< transmissions so far, the first included */
	uint32_t pendings;
};

/** Fill defaults for zero fields. */
void mxp_mp_retx_params_default(struct mxp_mp_retx_params *p);

/** The request was sent for the first time at now. */
void mxp_mp_retx_start(struct mxp_mp_retx *r, const struct mxp_mp_retx_params *p, uint64_t now);

/**
 * @return 1 if the request must be retransmitted now (the timer is advanced and doubled),
 *         0 if not yet (r->next says when), -ETIMEDOUT if the sender should give up.
 */
int mxp_mp_retx_poll(struct mxp_mp_retx *r, uint64_t now);

/** A TransactionPending arrived: stop retransmitting for pending_ms, extend the deadline. */
void mxp_mp_retx_pending(struct mxp_mp_retx *r, uint64_t now);

#ifdef __cplusplus
}
#endif
#endif
