/* SPDX-License-Identifier: BSD-3-Clause */
/* Reply cache and retransmission timer. */
#include <errno.h>
#include <stdlib.h>

#include "mxp_mp.h"
#include "mxp_mp_trans.h"
#include "test_mp.h"

static struct mxp_mp_peer
peer(uint8_t last, uint16_t port)
{
	uint8_t a[4] = { 192, 0, 2, last };
	struct mxp_mp_peer p = { .addr = mxp_ip_from_bytes(AF_INET, a), .port = port };
	return p;
}

void
test_rcache_basic(struct mxp_test_ctx *t)
{
	enum { BYTES = 8 * MXP_MP_MSG_MAX };
	struct mxp_mp_rcache *rc = malloc(mxp_mp_rcache_size(4, BYTES));
	const char *r;
	size_t rl = 0;
	struct mxp_mp_peer a = peer(1, 2944), b = peer(2, 2944), a2 = peer(1, 2945);

	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, 4, BYTES, 30000), 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1000, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1100, &r, &rl), MXP_MP_RC_IN_PROGRESS);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 7, "reply-7", 7, 1200), 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 7, "reply-7", 7, 1200), -EALREADY);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1300, &r, &rl), MXP_MP_RC_REPLIED);
	MXP_CHECK_EQ(t, rl, 7);
	MXP_CHECK(t, memcmp(r, "reply-7", 7) == 0);
	/* same id from another peer, or another port, is another transaction */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 7, 1300, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a2, 7, 1300, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 3);
	/* too long a reply drops the entry */
	static char big[MXP_MP_MSG_MAX + 1];
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &b, 7, big, sizeof(big), 1400), -E2BIG);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &b, 7, "x", 1, 1400), -ENOENT);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 2);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a2, 7, "a2", 2, 1400), 0);
	/* TransactionResponseAck: forgotten, and the stored reply wiped */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1450, &r, &rl), MXP_MP_RC_REPLIED);
	const char *old = r;
	mxp_mp_rcache_ack(rc, &a, 1, 10);
	MXP_CHECK(t, old[0] == 0 && old[6] == 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1500, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 7, "again", 5, 1500), 0);
	/* LONG-TIMER: after ttl a reused id is a new transaction */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1500 + 30000, &r, &rl), MXP_MP_RC_REPLIED);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1501 + 30000, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 7, "third", 5, 31501), 0);
	/* full: an unexpired reply is never evicted; the request is refused, nothing recorded */
	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, 4, BYTES, 30000), 0);
	for (uint32_t i = 100; i < 104; i++) {
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, i, 40000 + i, &r, &rl), MXP_MP_RC_NEW);
		MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &b, i, "r", 1, 40000 + i), 0);
	}
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 104, 41000, &r, &rl), MXP_MP_RC_FULL);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 4);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 100, 41000, &r, &rl), MXP_MP_RC_REPLIED);
	/* the oldest expires: room for one */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 104, 70101, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 105, 70101, &r, &rl), MXP_MP_RC_FULL);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 101, 70101, &r, &rl), MXP_MP_RC_REPLIED);
	/* an acknowledged entry at the old end is reclaimed at once */
	mxp_mp_rcache_ack(rc, &b, 101, 101);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 105, 70102, &r, &rl), MXP_MP_RC_NEW);
	/* the byte budget: replies of the largest size until the reserve no longer fits */
	enum { N = 16 };
	struct mxp_mp_rcache *rb = malloc(mxp_mp_rcache_size(N, BYTES));
	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rb, N, BYTES, 30000), 0);
	static char full[MXP_MP_MSG_MAX];
	memset(full, 'x', sizeof(full));
	uint32_t k = 0;
	while (mxp_mp_rcache_begin(rb, &a, k, 1000, &r, &rl) == MXP_MP_RC_NEW) {
		MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rb, &a, k, full, sizeof(full), 1000), 0);
		k++;
	}
	/* BYTES holds 8 of them: each begin keeps the room of one reply */
	MXP_CHECK_EQ(t, k, 8);
	MXP_CHECK_EQ(t, mxp_mp_rcache_bytes_used(rb), 8 * sizeof(full));
	/* an acknowledged reply gives its room back at once, wherever it is */
	mxp_mp_rcache_ack(rb, &a, 3, 3);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rb, &a, 100, 1002, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rb, &a, 100, full, sizeof(full), 1002), 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rb, &a, 101, 1002, &r, &rl), MXP_MP_RC_FULL);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rb, &a, 0, 1001, &r, &rl), MXP_MP_RC_REPLIED);
	MXP_CHECK(t, rl == sizeof(full) && memcmp(r, full, rl) == 0);
	/* after the ttl everything is reclaimed and the chunks are reused, again and again */
	for (uint32_t i = 0; i < 40; i++) {
		uint64_t now = 40000 + (uint64_t)i * 31000;
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rb, &b, 1000 + i, now, &r, &rl), MXP_MP_RC_NEW);
		MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rb, &b, 1000 + i, full, 5000 + i, now), 0);
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rb, &b, 1000 + i, now, &r, &rl), MXP_MP_RC_REPLIED);
		MXP_CHECK(t, rl == 5000 + i && memcmp(r, full, rl) == 0);
	}
	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, 0, BYTES, 1), -EINVAL);
	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, 4, 2 * MXP_MP_MSG_MAX, 1), -EINVAL);
	mxp_mp_rcache_wipe(rb);
	free(rb);
	free(rc);
}

/*
 * With no request arriving, mxp_mp_rcache_expire() (the daemon's timer) forgets the replies
 * older than the ttl and only those: the count and the bytes held fall to what is current.
 */
void
test_rcache_expires_when_idle(struct mxp_test_ctx *t)
{
	enum { BYTES = 8 * MXP_MP_MSG_MAX, N = 4 };
	struct mxp_mp_rcache *rc = malloc(mxp_mp_rcache_size(N, BYTES));
	const char *r;
	size_t rl = 0;
	struct mxp_mp_peer a = peer(1, 2944);
	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, N, BYTES, 30000), 0);
	for (uint32_t i = 1; i <= 3; i++) {
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, i, 1000 * i, &r, &rl), MXP_MP_RC_NEW);
		MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, i, "reply", 5, 1000 * i), 0);
	}
	size_t held = mxp_mp_rcache_bytes_used(rc);
	MXP_CHECK(t, held >= 15);
	mxp_mp_rcache_expire(rc, 31000); /* 30 s after the first: not yet older than the ttl */
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 3);
	mxp_mp_rcache_expire(rc, 31001); /* the first only */
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 2);
	MXP_CHECK(t, mxp_mp_rcache_bytes_used(rc) < held);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 2, 31001, &r, &rl), MXP_MP_RC_REPLIED);
	mxp_mp_rcache_expire(rc, 60000);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_bytes_used(rc), 0);
	/* a forgotten reply's retransmission is a new request */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 3, 60000, &r, &rl), MXP_MP_RC_NEW);
	mxp_mp_rcache_expire(rc, 60000); /* an entry in progress, inside its ttl, stays */
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 1);
	mxp_mp_rcache_wipe(rc);
	free(rc);
}

/*
 * Refusals that applied nothing (overload: mxp_mp_rcache_refusal()) give their room to new
 * requests, oldest first, before the cache answers FULL; other replies are never evicted,
 * and an evicted refusal's retransmission is a new request.
 */
void
test_rcache_refusals_give_room(struct mxp_test_ctx *t)
{
	enum { BYTES = 8 * MXP_MP_MSG_MAX, N = 6 };
	struct mxp_mp_rcache *rc = malloc(mxp_mp_rcache_size(N, BYTES));
	const char *r;
	size_t rl = 0;
	struct mxp_mp_peer a = peer(1, 2944);
	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, N, BYTES, 30000), 0);
	/* two kept replies, then four refusals */
	for (uint32_t i = 1; i <= N; i++) {
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, i, 1000 + i, &r, &rl), MXP_MP_RC_NEW);
		MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, i, i <= 2 ? "kept" : "510",
						     i <= 2 ? 4 : 3, 1000 + i), 0);
		if (i > 2)
			MXP_CHECK_EQ(t, mxp_mp_rcache_refusal(rc, &a, i), 0);
	}
	MXP_CHECK_EQ(t, mxp_mp_rcache_refusal(rc, &a, 99), -ENOENT);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), N);
	/* a refusal retransmitted while kept: the same reply */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 3, 2000, &r, &rl), MXP_MP_RC_REPLIED);
	MXP_CHECK(t, rl == 3 && memcmp(r, "510", 3) == 0);
	/* a new request takes the oldest refusal's room */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 100, 2000, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_evicted(rc), 1);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 100, "y", 1, 2000), 0);
	/* the forgotten refusal, retransmitted, is a new request (taking refusal 4's room) */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 3, 2000, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_evicted(rc), 2);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 3, "510", 3, 2000), 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_refusal(rc, &a, 3), 0);
	/* the refusals left (5, 6, then 3) go in that order */
	for (uint32_t i = 0; i < 3; i++) {
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 101 + i, 2000, &r, &rl), MXP_MP_RC_NEW);
		MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 101 + i, "y", 1, 2000), 0);
		MXP_CHECK_EQ(t, mxp_mp_rcache_evicted(rc), 3 + i);
		if (i < 2)
			MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 3, 2000, &r, &rl),
				     MXP_MP_RC_REPLIED);
	}
	/* the kept replies are all that is left besides: full */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 200, 2001, &r, &rl), MXP_MP_RC_FULL);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 1, 2001, &r, &rl), MXP_MP_RC_REPLIED);
	MXP_CHECK(t, rl == 4 && memcmp(r, "kept", 4) == 0);
	/* an acknowledged refusal leaves both lists */
	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, N, BYTES, 30000), 0);
	for (uint32_t i = 1; i <= 3; i++) {
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, i, 10, &r, &rl), MXP_MP_RC_NEW);
		MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, i, "510", 3, 10), 0);
		MXP_CHECK_EQ(t, mxp_mp_rcache_refusal(rc, &a, i), 0);
	}
	mxp_mp_rcache_ack(rc, &a, 2, 2);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 2);
	for (uint32_t i = 10; i < 10 + N; i++)
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, i, 20, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_evicted(rc), 2);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 99, 20, &r, &rl), MXP_MP_RC_FULL);
	/* in progress: not a refusal yet */
	MXP_CHECK_EQ(t, mxp_mp_rcache_refusal(rc, &a, 10), -EINVAL);
	mxp_mp_rcache_wipe(rc);
	free(rc);
}

/* Random operations against a plain model: the hash table must never lose or invent an
 * entry (backward-shift deletion is the part worth testing), unexpired replies are never
 * evicted except refusals (the oldest, when a new request finds no room), acknowledged
 * ones leave at once, and FULL comes exactly when every entry is live and none a refusal. */
void
test_rcache_against_model(struct mxp_test_ctx *t)
{
	enum { N = 64, IDS = 300, TTL = 400, STEPS = 40000 };
	size_t bytes = (size_t)4 << 20;
	struct mxp_mp_rcache *rc = malloc(mxp_mp_rcache_size(N, bytes));
	static struct { uint64_t t; int state; } model[IDS];
	uint64_t now = 0;
	unsigned int bad = 0, fulls = 0, evictions = 0;
	struct mxp_mp_peer p = peer(9, 2944);
	const char *r;
	size_t rl;

	memset(model, 0, sizeof(model));
	mxp_mp_rcache_init(rc, N, bytes, TTL);
	srand(42);
	for (int step = 0; step < STEPS; step++) {
		uint32_t id = (uint32_t)(rand() % IDS);
		int op = rand() % 10;
		now++;
		if (op < 6) {
			enum mxp_mp_rc_state want;
			if (model[id].state && (now - model[id].t <= TTL || model[id].state == 1)) {
				want = model[id].state == 1 ? MXP_MP_RC_IN_PROGRESS : MXP_MP_RC_REPLIED;
				/* state 2: a reply kept; 3: a refusal (mxp_mp_rcache_refusal) */
			} else {
				model[id].state = 0;
				unsigned int live = 0;
				for (int i = 0; i < IDS; i++) {
					if (model[i].state && now - model[i].t > TTL)
						model[i].state = 0; /* expired: reclaimed */
					live += model[i].state != 0;
				}
				if (live == N) {
					/* the oldest refusal gives its room */
					int old = -1;
					for (int i = 0; i < IDS; i++)
						if (model[i].state == 3 &&
						    (old < 0 || model[i].t < model[old].t))
							old = i;
					if (old >= 0) {
						model[old].state = 0;
						live--;
						evictions++;
					}
				}
				if (live == N) {
					want = MXP_MP_RC_FULL;
					fulls++;
				} else {
					want = MXP_MP_RC_NEW;
					model[id].t = now;
					model[id].state = 1;
				}
			}
			enum mxp_mp_rc_state s = mxp_mp_rcache_begin(rc, &p, id, now, &r, &rl);
			if (s != want)
				bad++;
			if (s == MXP_MP_RC_REPLIED && (rl != 4 || memcmp(r, &id, 4) != 0))
				bad++;
		} else if (op < 9) {
			int want = !model[id].state ? -ENOENT : model[id].state != 1 ? -EALREADY : 0;
			if (want == 0) {
				model[id].state = op == 8 ? 3 : 2;
				model[id].t = now;
			}
			if (mxp_mp_rcache_finish(rc, &p, id, (const char *)&id, 4, now) != want)
				bad++;
			if (want == 0 && op == 8 && mxp_mp_rcache_refusal(rc, &p, id) != 0)
				bad++;
		} else {
			mxp_mp_rcache_ack(rc, &p, id, id);
			if (model[id].state >= 2)
				model[id].state = 0;
		}
	}
	uint32_t live = 0;
	for (int i = 0; i < IDS; i++)
		live += model[i].state != 0;
	MXP_CHECK_EQ(t, bad, 0);
	MXP_CHECK(t, fulls > 0);
	MXP_CHECK(t, evictions > 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_evicted(rc), evictions);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), live);
	free(rc);
}

void
test_retx_timeline(struct mxp_test_ctx *t)
{
	struct mxp_mp_retx r;
	struct mxp_mp_retx_params p = { .initial_ms = 100, .max_ms = 400, .give_up_ms = 2000,
					.pending_ms = 1000 };
	mxp_mp_retx_start(&r, &p, 0);
	static const struct { uint64_t now; int want; uint64_t next; } rows[] = {
		{ 50, 0, 100 },     /* not yet */
		{ 100, 1, 300 },    /* first retransmission, interval doubles to 200 */
		{ 299, 0, 300 },
		{ 300, 1, 700 },    /* 400 (the cap) */
		{ 700, 1, 1100 },   /* capped */
		{ 1100, 1, 1500 },
		{ 1500, 1, 1900 },
		{ 1900, 1, 2000 },  /* clamped to the deadline */
		{ 2000, -ETIMEDOUT, 2000 },
	};
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		int rc = mxp_mp_retx_poll(&r, rows[i].now);
		if (rc != rows[i].want || r.next != rows[i].next)
			printf("#   row %zu: rc %d next %llu\n", i, rc, (unsigned long long)r.next);
		MXP_CHECK_EQ(t, rc, rows[i].want);
		MXP_CHECK_EQ(t, r.next, rows[i].next);
	}
	MXP_CHECK_EQ(t, r.sent, 7);
	/* Pending: quiet for pending_ms, deadline extended */
	mxp_mp_retx_start(&r, &p, 0);
	MXP_CHECK_EQ(t, mxp_mp_retx_poll(&r, 100), 1);
	mxp_mp_retx_pending(&r, 150);
	MXP_CHECK_EQ(t, mxp_mp_retx_poll(&r, 1000), 0);
	MXP_CHECK_EQ(t, mxp_mp_retx_poll(&r, 1150), 1);
	MXP_CHECK_EQ(t, mxp_mp_retx_poll(&r, 2100), 1);
	MXP_CHECK_EQ(t, mxp_mp_retx_poll(&r, 2150), -ETIMEDOUT);
	struct mxp_mp_retx_params d = { 0 };
	mxp_mp_retx_params_default(&d);
	MXP_CHECK_EQ(t, d.give_up_ms, 30000);
}
