/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply cache and retransmission timer. The cache is a ring of entries (the oldest is
 * reused first, so eviction is O(1)) indexed by an open-addressing table with
 * backward-shift deletion (no tombstones).
 */
#include <errno.h>
#include <string.h>

#include "mxp_mp_trans.h"

struct rc_entry {
	struct mxp_mp_peer peer;
	uint32_t tid;
	uint8_t state;   /* 0 free, else enum mxp_mp_rc_state */
	uint32_t len;
	uint64_t t_ms;
};

struct mxp_mp_rcache {
	uint32_t n, mask, reply_max, head, count;
	uint64_t ttl;
	struct rc_entry *e;
	uint32_t *h;      /* entry index + 1, 0 = empty */
	char *data;       /* n * reply_max */
};

#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

static uint32_t
slots(uint32_t n)
{
	uint32_t s = 16;
	while (s < n * 2)
		s <<= 1;
	return s;
}

size_t
mxp_mp_rcache_size(uint32_t n, uint32_t reply_max)
{
	return ALIGN8(sizeof(struct mxp_mp_rcache)) + ALIGN8((size_t)n * sizeof(struct rc_entry)) +
	       ALIGN8((size_t)slots(n) * sizeof(uint32_t)) + (size_t)n * reply_max;
}

int
mxp_mp_rcache_init(struct mxp_mp_rcache *rc, uint32_t n, uint32_t reply_max, uint64_t ttl_ms)
{
	if (n == 0 || n > (1u << 20) || reply_max == 0)
		return -EINVAL;
	memset(rc, 0, mxp_mp_rcache_size(n, reply_max) - (size_t)n * reply_max);
	uint8_t *b = (uint8_t *)rc + ALIGN8(sizeof(*rc));
	rc->n = n;
	rc->mask = slots(n) - 1;
	rc->reply_max = reply_max;
	rc->ttl = ttl_ms;
	rc->e = (struct rc_entry *)b;
	b += ALIGN8((size_t)n * sizeof(struct rc_entry));
	rc->h = (uint32_t *)b;
	b += ALIGN8((size_t)slots(n) * sizeof(uint32_t));
	rc->data = (char *)b;
	memset(rc->e, 0, (size_t)n * sizeof(struct rc_entry));
	memset(rc->h, 0, (size_t)slots(n) * sizeof(uint32_t));
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

static void
entry_drop(struct mxp_mp_rcache *rc, uint32_t idx)
{
	struct rc_entry *e = &rc->e[idx];
	if (e->state == 0)
		return;
	int64_t s = find(rc, &e->peer, e->tid);
	if (s >= 0)
		slot_delete(rc, (uint32_t)s);
	e->state = 0;
	rc->count--;
}

enum mxp_mp_rc_state
mxp_mp_rcache_begin(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer, uint32_t tid,
		    uint64_t now_ms, const char **reply, size_t *reply_len)
{
	int64_t s = find(rc, peer, tid);
	if (s >= 0) {
		uint32_t idx = rc->h[s] - 1;
		struct rc_entry *e = &rc->e[idx];
		if (now_ms - e->t_ms <= rc->ttl || e->state == MXP_MP_RC_IN_PROGRESS) {
			if (e->state == MXP_MP_RC_REPLIED) {
				*reply = rc->data + (size_t)idx * rc->reply_max;
				*reply_len = e->len;
			}
			return (enum mxp_mp_rc_state)e->state;
		}
		entry_drop(rc, idx); /* expired: a new transaction with an old id */
	}
	/* Reuse the oldest slot of the ring. */
	uint32_t idx = rc->head;
	rc->head = (rc->head + 1) % rc->n;
	entry_drop(rc, idx);
	struct rc_entry *e = &rc->e[idx];
	e->peer = *peer;
	e->tid = tid;
	e->state = MXP_MP_RC_IN_PROGRESS;
	e->len = 0;
	e->t_ms = now_ms;
	uint32_t i = hash(peer, tid);
	while (rc->h[i & rc->mask] != 0)
		i++;
	rc->h[i & rc->mask] = idx + 1;
	rc->count++;
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
	if (len > rc->reply_max) {
		entry_drop(rc, idx);
		return -E2BIG;
	}
	struct rc_entry *e = &rc->e[idx];
	memcpy(rc->data + (size_t)idx * rc->reply_max, reply, len);
	e->len = (uint32_t)len;
	e->state = MXP_MP_RC_REPLIED;
	e->t_ms = now_ms;
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
