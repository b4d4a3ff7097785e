/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Reply cache and retransmission timer.
 *
 * Cache entries come from a free list and sit on a list ordered by their last change, so
 * the expired ones are always at its head; an acknowledged entry leaves the list at once,
 * wherever it is. An open-addressing table with backward-shift deletion (no tombstones)
 * finds them by (peer, transaction id). Replies are stored in fixed-size chunks from a free
 * list (a reply of any size up to MXP_MP_MSG_MAX takes as many as it needs), so entries and
 * bytes come back as soon as a reply expires or is acknowledged, in any order. An entry
 * younger than the ttl is never evicted: when there is no room the caller is told (FULL)
 * and must not apply the request, so a retransmission is never applied twice.
 */
#include <errno.h>
#include <string.h>

#include "mxp_align.h"
#include "mxp_mp.h"
#include "mxp_mp_trans.h"

#define CHUNK 256u                           /* bytes of reply per chunk */
#define NIL UINT32_MAX
/* Chunks a request in progress may need for its reply. */
#define RESERVE ((MXP_MP_MSG_MAX + CHUNK - 1) / CHUNK)

struct rc_entry {
	struct mxp_mp_peer peer;
	uint32_t tid;
	uint8_t state;   /* 0 free, else enum mxp_mp_rc_state */
	uint32_t len;
	uint64_t t_ms;   /* last change: begin, then finish */
	uint32_t prev, next;  /* time-ordered list, or the free list (next) */
	uint32_t chunk;  /* first chunk of the reply, NIL */
	bool refusal;    /* mxp_mp_rcache_refusal(): on the refusal list too */
	uint32_t rprev, rnext; /* the refusal list, oldest first */
};

struct mxp_mp_rcache {
	uint32_t n, mask, count, inprog;
	uint32_t head, tail;   /* time-ordered list of live entries, oldest first */
	uint32_t rhead, rtail; /* the refusals among them, oldest first: evicted for room */
	uint64_t evicted;      /* refusals forgotten before the ttl for room */
	uint32_t free_e;       /* free entries */
	uint32_t nchunks, free_c, nfree_c;
	uint64_t ttl;
	struct rc_entry *e;
	uint32_t *h;           /* entry index + 1, 0 = empty */
	uint32_t *cnext;       /* chunk -> next chunk of the same reply, or the free list */
	char *data;            /* nchunks * CHUNK */
	uint32_t out_idx;      /* whose reply out holds, NIL */
	char out[MXP_MP_MSG_MAX]; /* a stored reply made contiguous for the caller */
};


static uint32_t
slots(uint32_t n)
{
	uint32_t s = mxp_align32pow2(n * 2);
	return s < 16 ? 16 : s;
}

size_t
mxp_mp_rcache_size(uint32_t n, size_t bytes)
{
	size_t nc = bytes / CHUNK;
	return MXP_ALIGN_CEIL(sizeof(struct mxp_mp_rcache), 8) +
	       MXP_ALIGN_CEIL((size_t)n * sizeof(struct rc_entry), 8) +
	       MXP_ALIGN_CEIL((size_t)slots(n) * sizeof(uint32_t), 8) +
	       MXP_ALIGN_CEIL(nc * sizeof(uint32_t), 8) + nc * CHUNK;
}

int
mxp_mp_rcache_init(struct mxp_mp_rcache *rc, uint32_t n, size_t bytes, uint64_t ttl_ms)
{
	size_t nc = bytes / CHUNK;
	if (n == 0 || n > (1u << 20) || nc < 4 * RESERVE || nc >= NIL)
		return -EINVAL;
	memset(rc, 0, sizeof(*rc));
	uint8_t *b = (uint8_t *)rc + MXP_ALIGN_CEIL(sizeof(*rc), 8);
	rc->n = n;
	rc->mask = slots(n) - 1;
	rc->ttl = ttl_ms;
	rc->e = (struct rc_entry *)b;
	b += MXP_ALIGN_CEIL((size_t)n * sizeof(struct rc_entry), 8);
	rc->h = (uint32_t *)b;
	b += MXP_ALIGN_CEIL((size_t)slots(n) * sizeof(uint32_t), 8);
	rc->cnext = (uint32_t *)b;
	b += MXP_ALIGN_CEIL(nc * sizeof(uint32_t), 8);
	rc->data = (char *)b;
	rc->nchunks = (uint32_t)nc;
	memset(rc->h, 0, (size_t)slots(n) * sizeof(uint32_t));
	for (uint32_t i = 0; i < n; i++) {
		memset(&rc->e[i], 0, sizeof(rc->e[i]));
		rc->e[i].next = i + 1 < n ? i + 1 : NIL;
		rc->e[i].chunk = NIL;
	}
	for (uint32_t i = 0; i < rc->nchunks; i++)
		rc->cnext[i] = i + 1 < rc->nchunks ? i + 1 : NIL;
	rc->free_e = 0;
	rc->free_c = 0;
	rc->nfree_c = rc->nchunks;
	rc->head = rc->tail = NIL;
	rc->rhead = rc->rtail = NIL;
	rc->out_idx = NIL;
	return 0;
}

static uint32_t
hash(const struct mxp_mp_peer *p, uint32_t tid)
{
	uint32_t h = 2166136261u ^ tid;
	h *= 16777619u;
	h ^= p->port;
	h *= 16777619u;
	for (int i = 0; i < mxp_ip_len(&p->addr); i++)
		h = (h ^ mxp_ip_bytes(&p->addr)[i]) * 16777619u;
	return h ^ (h >> 16);
}

static bool
peer_eq(const struct mxp_mp_peer *a, const struct mxp_mp_peer *b)
{
	return a->port == b->port && mxp_ip_equal(&a->addr, &b->addr);
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
list_unlink(struct mxp_mp_rcache *rc, uint32_t idx)
{
	struct rc_entry *e = &rc->e[idx];
	if (e->prev != NIL)
		rc->e[e->prev].next = e->next;
	else
		rc->head = e->next;
	if (e->next != NIL)
		rc->e[e->next].prev = e->prev;
	else
		rc->tail = e->prev;
	e->prev = e->next = NIL;
}

static void
list_append(struct mxp_mp_rcache *rc, uint32_t idx)
{
	struct rc_entry *e = &rc->e[idx];
	e->next = NIL;
	e->prev = rc->tail;
	if (rc->tail != NIL)
		rc->e[rc->tail].next = idx;
	else
		rc->head = idx;
	rc->tail = idx;
}

static void
refusal_unlink(struct mxp_mp_rcache *rc, uint32_t idx)
{
	struct rc_entry *e = &rc->e[idx];
	if (!e->refusal)
		return;
	if (e->rprev != NIL)
		rc->e[e->rprev].rnext = e->rnext;
	else
		rc->rhead = e->rnext;
	if (e->rnext != NIL)
		rc->e[e->rnext].rprev = e->rprev;
	else
		rc->rtail = e->rprev;
	e->rprev = e->rnext = NIL;
	e->refusal = false;
}

/* Forget an entry: its reply (which may carry keys) is wiped, entry and chunks freed. */
static void
entry_drop(struct mxp_mp_rcache *rc, uint32_t idx)
{
	struct rc_entry *e = &rc->e[idx];
	if (e->state == 0)
		return;
	int64_t s = find(rc, &e->peer, e->tid);
	if (s >= 0)
		slot_delete(rc, (uint32_t)s);
	for (uint32_t c = e->chunk; c != NIL;) {
		uint32_t nx = rc->cnext[c];
		explicit_bzero(rc->data + (size_t)c * CHUNK, CHUNK);
		rc->cnext[c] = rc->free_c;
		rc->free_c = c;
		rc->nfree_c++;
		c = nx;
	}
	e->chunk = NIL;
	if (rc->out_idx == idx) {
		explicit_bzero(rc->out, e->len);
		rc->out_idx = NIL;
	}
	if (e->state == MXP_MP_RC_IN_PROGRESS)
		rc->inprog--;
	e->state = 0;
	e->len = 0;
	refusal_unlink(rc, idx);
	list_unlink(rc, idx);
	e->next = rc->free_e;
	rc->free_e = idx;
	rc->count--;
}

static bool
expired(const struct mxp_mp_rcache *rc, const struct rc_entry *e, uint64_t now_ms)
{
	return now_ms - e->t_ms > rc->ttl;
}

/* Reclaim the expired entries: they are the head of the time-ordered list. */
static void
reclaim(struct mxp_mp_rcache *rc, uint64_t now_ms)
{
	while (rc->head != NIL && expired(rc, &rc->e[rc->head], now_ms))
		entry_drop(rc, rc->head);
}

/* The stored reply of an entry, made contiguous in rc->out. */
static const char *
gather(struct mxp_mp_rcache *rc, uint32_t idx)
{
	const struct rc_entry *e = &rc->e[idx];
	uint32_t off = 0;
	if (rc->out_idx != NIL)
		explicit_bzero(rc->out, sizeof(rc->out)); /* what another reply left there */
	rc->out_idx = idx;
	for (uint32_t c = e->chunk; c != NIL && off < e->len; c = rc->cnext[c]) {
		uint32_t k = e->len - off < CHUNK ? e->len - off : CHUNK;
		memcpy(rc->out + off, rc->data + (size_t)c * CHUNK, k);
		off += k;
	}
	return rc->out;
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
				*reply = gather(rc, idx);
				*reply_len = e->len;
			}
			return (enum mxp_mp_rc_state)e->state;
		}
		entry_drop(rc, idx); /* expired: a new transaction with an old id */
	}
	reclaim(rc, now_ms);
	/* No room: refusals that applied nothing go first, oldest first. */
	while ((rc->free_e == NIL || rc->nfree_c < RESERVE * (rc->inprog + 1)) &&
	       rc->rhead != NIL) {
		entry_drop(rc, rc->rhead);
		rc->evicted++;
	}
	if (rc->free_e == NIL || rc->nfree_c < RESERVE * (rc->inprog + 1))
		return MXP_MP_RC_FULL;
	uint32_t idx = rc->free_e;
	struct rc_entry *e = &rc->e[idx];
	rc->free_e = e->next;
	e->peer = *peer;
	e->tid = tid;
	e->state = MXP_MP_RC_IN_PROGRESS;
	e->len = 0;
	e->t_ms = now_ms;
	e->chunk = NIL;
	e->refusal = false;
	e->rprev = e->rnext = NIL;
	list_append(rc, idx);
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
	uint32_t need = (uint32_t)((len + CHUNK - 1) / CHUNK);
	if (len > MXP_MP_MSG_MAX || need > rc->nfree_c) {
		entry_drop(rc, idx); /* need > free cannot happen: begin kept RESERVE per request */
		return len > MXP_MP_MSG_MAX ? -E2BIG : -ENOSPC;
	}
	uint32_t *link = &e->chunk;
	for (uint32_t k = 0; k < need; k++) {
		uint32_t c = rc->free_c;
		rc->free_c = rc->cnext[c];
		rc->nfree_c--;
		size_t off = (size_t)k * CHUNK;
		memcpy(rc->data + (size_t)c * CHUNK, reply + off, len - off < CHUNK ? len - off : CHUNK);
		*link = c;
		link = &rc->cnext[c];
	}
	*link = NIL;
	e->len = (uint32_t)len;
	e->state = MXP_MP_RC_REPLIED;
	e->t_ms = now_ms;
	rc->inprog--;
	/* the list stays ordered by last change */
	list_unlink(rc, idx);
	list_append(rc, idx);
	return 0;
}

int
mxp_mp_rcache_refusal(struct mxp_mp_rcache *rc, const struct mxp_mp_peer *peer, uint32_t tid)
{
	int64_t s = find(rc, peer, tid);
	if (s < 0)
		return -ENOENT;
	uint32_t idx = rc->h[s] - 1;
	struct rc_entry *e = &rc->e[idx];
	if (e->state != MXP_MP_RC_REPLIED)
		return -EINVAL;
	if (e->refusal)
		return 0;
	e->refusal = true;
	e->rnext = NIL;
	e->rprev = rc->rtail;
	if (rc->rtail != NIL)
		rc->e[rc->rtail].rnext = idx;
	else
		rc->rhead = idx;
	rc->rtail = idx;
	return 0;
}

uint64_t
mxp_mp_rcache_evicted(const struct mxp_mp_rcache *rc)
{
	return rc->evicted;
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

void
mxp_mp_rcache_expire(struct mxp_mp_rcache *rc, uint64_t now_ms)
{
	reclaim(rc, now_ms);
}

uint32_t
mxp_mp_rcache_count(const struct mxp_mp_rcache *rc)
{
	return rc->count;
}

size_t
mxp_mp_rcache_bytes_used(const struct mxp_mp_rcache *rc)
{
	return (size_t)(rc->nchunks - rc->nfree_c) * CHUNK;
}

void
mxp_mp_rcache_wipe(struct mxp_mp_rcache *rc)
{
	explicit_bzero(rc->data, (size_t)rc->nchunks * CHUNK);
	explicit_bzero(rc->out, sizeof(rc->out));
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
