/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply cache and retransmission timer.
 *
 * The cache holds entries in a FIFO ring (the oldest is reclaimed first once it is expired or
 * acknowledged) indexed by an open-addressing table with backward-shift deletion (no
 * tombstones). Replies are stored in a byte ring in the same order, so entries and bytes are
 * reclaimed together and replies of any size up to MXP_MP_MSG_MAX share one budget. An entry
 * younger than the ttl is never evicted: when there is no room the caller is told (FULL) and
 * must not apply the request, so a retransmission is never applied twice.
 */
#include <errno.h>
#include <string.h>

#include "mxp_mp.h"
#include "mxp_mp_trans.h"

struct rc_entry {
	struct mxp_mp_peer peer;
	uint32_t tid;
	uint8_t state;   /* 0 free, else enum mxp_mp_rc_state */
	uint32_t len;
	uint64_t t_ms;
	uint64_t vbeg;   /* data position when the entry was made: its bytes start after */
	uint64_t voff;   /* where the reply is (virtual offset) */
};

struct mxp_mp_rcache {
	uint32_t n, mask, count, inprog;
	uint64_t head, tail;   /* ring of entries: [tail, head), virtual indexes */
	uint64_t dhead;        /* next write position in the byte ring (virtual) */
	uint64_t ttl;
	size_t bytes;
	struct rc_entry *e;
	uint32_t *h;           /* entry index + 1, 0 = empty */
	char *data;            /* bytes */
};

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)
/* Room a reply may need: its bytes, and the bytes skipped at the end of the ring. */
#define RESERVE ((uint64_t)2 * MXP_MP_MSG_MAX)

static uint32_t
slots(uint32_t n)
{
	uint32_t s = 16;
	while (s < n * 2)
		s <<= 1;
	return s;
}

size_t
mxp_mp_rcache_size(uint32_t n, size_t bytes)
{
	return ALIGN8(sizeof(struct mxp_mp_rcache)) + ALIGN8((size_t)n * sizeof(struct rc_entry)) +
	       ALIGN8((size_t)slots(n) * sizeof(uint32_t)) + bytes;
}

int
mxp_mp_rcache_init(struct mxp_mp_rcache *rc, uint32_t n, size_t bytes, uint64_t ttl_ms)
{
	if (n == 0 || n > (1u << 20) || bytes < 2 * RESERVE)
		return -EINVAL;
	memset(rc, 0, mxp_mp_rcache_size(n, bytes) - bytes);
	uint8_t *b = (uint8_t *)rc + ALIGN8(sizeof(*rc));
	rc->n = n;
	rc->mask = slots(n) - 1;
	rc->bytes = bytes;
	rc->ttl = ttl_ms;
	rc->e = (struct rc_entry *)b;
	b += ALIGN8((size_t)n * sizeof(struct rc_entry));
	rc->h = (uint32_t *)b;
	b += ALIGN8((size_t)slots(n) * sizeof(uint32_t));
	rc->data = (char *)b;
	return 0;
}

static uint32_t
hash(const struct mxp_mp_peer *p, uint32_t tid)
{
	uint32_t h = 2166136261u ^ tid;
	h *= 16777619u;
	h ^= p->port;
	h *= 16777619u;
	for (int i = 0; i < (p->family == 10 ? 16 : 4); i++)
		h = (h ^ p->addr[i]) * 16777619u;
	return h ^ (h >> 16);
}

static bool
peer_eq(const struct mxp_mp_peer *a, const struct mxp_mp_peer *b)
{
	return a->family == b->family && a->port == b->port &&
	       memcmp(a->addr, b->addr, a->family == 10 ? 16 : 4) == 0;
}

/* Slot of the entry for (peer, tid), or -1. */
static int64_t
find(const struct mxp_mp_rcache *rc, const struct mxp_mp_peer *p, uint32_t tid)
{
	for (uint32_t i = hash(p, tid), k = 0; k <= rc->mask; i++, k++) {
		uint32_t s = rc->h[i & rc->mask];
		if (s == 0)
			return -1;
		const struct rc_entry *e = &rc->e[s - 1];
		if (e->tid == tid && peer_eq(&e->peer, p))
			return (int64_t)(i & rc->mask);
	}
	return -1;
}

static void
slot_delete(struct mxp_mp_rcache *rc, uint32_t i)
{
	uint32_t j = i;
	for (;;) {
		j = (j + 1) & rc->mask;
		uint32_t s = rc->h[j];
		if (s == 0)
			break;
		const struct rc_entry *e = &rc->e[s - 1];
		uint32_t home = hash(&e->peer, e->tid) & rc->mask;
		/* Move s back to i unless its home lies cyclically in (i, j]. */
		bool in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!in_range) {
			rc->h[i] = s;
			i = j;
		}
	}
	rc->h[i] = 0;
}

/* Forget an entry; its reply (which may carry keys) is wiped. Its ring slot and bytes are
 * reclaimed when the tail passes. */
static void
entry_drop(struct mxp_mp_rcache *rc, uint32_t idx)
{
	struct rc_entry *e = &rc->e[idx];
	if (e->state == 0)
		return;
	int64_t s = find(rc, &e->peer, e->tid);
	if (s >= 0)
		slot_delete(rc, (uint32_t)s);
	if (e->state == MXP_MP_RC_REPLIED && e->len)
		explicit_bzero(rc->data + e->voff % rc->bytes, e->len);
	if (e->state == MXP_MP_RC_IN_PROGRESS)
		rc->inprog--;
	e->state = 0;
	e->len = 0;
	rc->count--;
}

static bool
expired(const struct mxp_mp_rcache *rc, const struct rc_entry *e, uint64_t now_ms)
{
	return now_ms - e->t_ms > rc->ttl;
}

/* Reclaim from the oldest end: entries acknowledged, dropped or older than the ttl. */
static void
reclaim(struct mxp_mp_rcache *rc, uint64_t now_ms)
{
	while (rc->tail < rc->head) {
		uint32_t idx = (uint32_t)(rc->tail % rc->n);
		struct rc_entry *e = &rc->e[idx];
		if (e->state != 0 && !expired(rc, e, now_ms))
			break;
		entry_drop(rc, idx);
		rc->tail++;
	}
}

/* Bytes in use: from the oldest live entry's start to the write position. */
static uint64_t
data_used(const struct mxp_mp_rcache *rc)
{
	if (rc->tail == rc->head)
		return 0;
	return rc->dhead - rc->e[rc->tail % rc->n].vbeg;
}

enum mxp_mp_rc_state
mxp_mp_rcache_begin(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer, uint32_t tid,
		    uint64_t now_ms, const char **reply, size_t *reply_len)
{
	int64_t s = find(rc, peer, tid);
	if (s >= 0) {
		uint32_t idx = rc->h[s] - 1;
		struct rc_entry *e = &rc->e[idx];
		if (!expired(rc, e, now_ms) || e->state == MXP_MP_RC_IN_PROGRESS) {
			if (e->state == MXP_MP_RC_REPLIED) {
				*reply = rc->data + e->voff % rc->bytes;
				*reply_len = e->len;
			}
			return (enum mxp_mp_rc_state)e->state;
		}
		entry_drop(rc, idx); /* expired: a new transaction with an old id */
	}
	reclaim(rc, now_ms);
	if (rc->head - rc->tail == rc->n ||
	    data_used(rc) + RESERVE * (rc->inprog + 1) > rc->bytes)
		return MXP_MP_RC_FULL;
	uint32_t idx = (uint32_t)(rc->head++ % rc->n);
	struct rc_entry *e = &rc->e[idx];
	e->peer = *peer;
	e->tid = tid;
	e->state = MXP_MP_RC_IN_PROGRESS;
	e->len = 0;
	e->t_ms = now_ms;
	e->vbeg = rc->dhead;
	e->voff = rc->dhead;
	uint32_t i = hash(peer, tid);
	while (rc->h[i & rc->mask] != 0)
		i++;
	rc->h[i & rc->mask] = idx + 1;
	rc->count++;
	rc->inprog++;
	return MXP_MP_RC_NEW;
}

int
mxp_mp_rcache_finish(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer, uint32_t tid,
		     const char *reply, size_t len, uint64_t now_ms)
{
	int64_t s = find(rc, peer, tid);
	if (s < 0)
		return -ENOENT;
	uint32_t idx = rc->h[s] - 1;
	struct rc_entry *e = &rc->e[idx];
	if (e->state != MXP_MP_RC_IN_PROGRESS)
		return -EALREADY;
	if (len > MXP_MP_MSG_MAX) {
		entry_drop(rc, idx);
		return -E2BIG;
	}
	uint64_t v = rc->dhead;
	if (v % rc->bytes + len > rc->bytes)
		v += rc->bytes - v % rc->bytes; /* never straddle the end of the ring */
	if (v + len - rc->e[rc->tail % rc->n].vbeg > rc->bytes) {
		entry_drop(rc, idx); /* cannot happen: begin kept RESERVE per request in progress */
		return -ENOSPC;
	}
	memcpy(rc->data + v % rc->bytes, reply, len);
	rc->dhead = v + len;
	e->voff = v;
	e->len = (uint32_t)len;
	e->state = MXP_MP_RC_REPLIED;
	e->t_ms = now_ms;
	rc->inprog--;
	return 0;
}

void
mxp_mp_rcache_ack(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer, uint32_t first,
		  uint32_t last)
{
	if (last < first || last - first > rc->n) {
		/* A wide range: scan the entries instead of probing every id. */
		for (uint32_t i = 0; i < rc->n; i++)
			if (rc->e[i].state == MXP_MP_RC_REPLIED && peer_eq(&rc->e[i].peer, peer) &&
			    rc->e[i].tid >= first && rc->e[i].tid <= last)
				entry_drop(rc, i);
		return;
	}
	for (uint64_t t = first; t <= last; t++) {
		int64_t s = find(rc, peer, (uint32_t)t);
		if (s >= 0 && rc->e[rc->h[s] - 1].state == MXP_MP_RC_REPLIED)
			entry_drop(rc, rc->h[s] - 1);
	}
}

uint32_t
mxp_mp_rcache_count(const struct mxp_mp_rcache *rc)
{
	return rc->count;
}

size_t
mxp_mp_rcache_bytes_used(const struct mxp_mp_rcache *rc)
{
	return (size_t)data_used(rc);
}

void
mxp_mp_rcache_wipe(struct mxp_mp_rcache *rc)
{
	explicit_bzero(rc->data, rc->bytes);
}

void
mxp_mp_retx_params_default(struct mxp_mp_retx_params *p)
{
	if (p->initial_ms == 0)
		p->initial_ms = 250;
	if (p->max_ms == 0)
		p->max_ms = 4000;
	if (p->give_up_ms == 0)
		p->give_up_ms = 30000;
	if (p->pending_ms == 0)
		p->pending_ms = 10000;
}

void
mxp_mp_retx_start(struct mxp_mp_retx *r, const struct mxp_mp_retx_params *p, uint64_t now)
{
	memset(r, 0, sizeof(*r));
	r->p = *p;
	mxp_mp_retx_params_default(&r->p);
	r->interval = r->p.initial_ms;
	r->next = now + r->interval;
	r->deadline = now + r->p.give_up_ms;
	r->sent = 1;
}

int
mxp_mp_retx_poll(struct mxp_mp_retx *r, uint64_t now)
{
	if (now >= r->deadline)
		return -ETIMEDOUT;
	if (now < r->next)
		return 0;
	r->interval = r->interval * 2 > r->p.max_ms ? r->p.max_ms : r->interval * 2;
	r->next = now + r->interval;
	if (r->next > r->deadline)
		r->next = r->deadline;
	r->sent++;
	return 1;
}

void
mxp_mp_retx_pending(struct mxp_mp_retx *r, uint64_t now)
{
	r->pendings++;
	r->next = now + r->p.pending_ms;
	r->interval = r->p.max_ms;
	r->deadline = now + r->p.give_up_ms;
	if (r->next > r->deadline)
		r->next = r->deadline;
}
