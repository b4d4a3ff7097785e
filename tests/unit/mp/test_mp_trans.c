/* SPDX-License-Identifier: BSD-3-Clause */
/* Reply cache and retransmission timer. */
#include <errno.h>
#include <stdlib.h>

#include "mxp_mp_trans.h"
#include "test_mp.h"

static struct mxp_mp_peer
peer(uint8_t last, uint16_t port)
{
	struct mxp_mp_peer p = { .family = 2, .port = port };
	p.addr[0] = 192;
	p.addr[2] = 2;
	p.addr[3] = last;
	return p;
}

void
test_rcache_basic(struct mxp_test_ctx *t)
{
	struct mxp_mp_rcache *rc = malloc(mxp_mp_rcache_size(4, 64));
	const char *r;
	size_t rl = 0;
	struct mxp_mp_peer a = peer(1, 2944), b = peer(2, 2944), a2 = peer(1, 2945);

	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, 4, 64, 30000), 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1000, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1100, &r, &rl), MXP_MP_RC_IN_PROGRESS);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 7, "reply-7", 7, 1200), 0);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1300, &r, &rl), MXP_MP_RC_REPLIED);
	MXP_CHECK_EQ(t, rl, 7);
	MXP_CHECK(t, memcmp(r, "reply-7", 7) == 0);
	/* same id from another peer, or another port, is another transaction */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 7, 1300, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a2, 7, 1300, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 3);
	/* too long a reply drops the entry */
	char big[100] = { 0 };
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &b, 7, big, sizeof(big), 1400), -E2BIG);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &b, 7, "x", 1, 1400), -ENOENT);
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 2);
	/* TransactionResponseAck */
	mxp_mp_rcache_ack(rc, &a, 1, 10);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1500, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &a, 7, "again", 5, 1500), 0);
	/* LONG-TIMER: after ttl a reused id is a new transaction */
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1500 + 30000, &r, &rl), MXP_MP_RC_REPLIED);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &a, 7, 1501 + 30000, &r, &rl), MXP_MP_RC_NEW);
	/* full: the oldest goes */
	for (uint32_t i = 100; i < 110; i++) {
		MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, i, 40000, &r, &rl), MXP_MP_RC_NEW);
		MXP_CHECK_EQ(t, mxp_mp_rcache_finish(rc, &b, i, "r", 1, 40000), 0);
	}
	MXP_CHECK_EQ(t, mxp_mp_rcache_count(rc), 4);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 109, 40001, &r, &rl), MXP_MP_RC_REPLIED);
	MXP_CHECK_EQ(t, mxp_mp_rcache_begin(rc, &b, 100, 40001, &r, &rl), MXP_MP_RC_NEW);
	MXP_CHECK_EQ(t, mxp_mp_rcache_init(rc, 0, 64, 1), -EINVAL);
	free(rc);
}

/* Random operations against a plain array model: the hash table must never lose or invent
 * an entry (backward-shift deletion is the part worth testing). */
void
test_rcache_against_model(struct mxp_test_ctx *t)
{
	enum { N = 64, IDS = 300 };
	struct mxp_mp_rcache *rc = malloc(mxp_mp_rcache_size(N, 16));
	struct { int state; uint64_t t; uint64_t seq; } model[IDS] = { 0 };
	uint64_t seq = 0, now = 0;
	unsigned int bad = 0;
	struct mxp_mp_peer p = peer(9, 2944);
	const char *r;
	size_t rl;

	mxp_mp_rcache_init(rc, N, 16, 1000000);
	srand(42);
	for (int step = 0; step < 20000; step++) {
		uint32_t id = (uint32_t)(rand() % IDS);
		int op = rand() % 10;
		now++;
		if (op < 6) {
			enum mxp_mp_rc_state s = mxp_mp_rcache_begin(rc, &p, id, now, &r, &rl);
			/* the model: present if among the last N insertions (the ring) and not acked */
			int present = model[id].state != 0 && seq - model[id].seq <= N;
			enum mxp_mp_rc_state want = !present ? MXP_MP_RC_NEW :
						    model[id].state == 1 ? MXP_MP_RC_IN_PROGRESS :
									   MXP_MP_RC_REPLIED;
			if (s != want)
				bad++;
			if (s == MXP_MP_RC_REPLIED && (rl != 4 || memcmp(r, &id, 4) != 0))
				bad++;
			if (want == MXP_MP_RC_NEW) {
				model[id].state = 1;
				model[id].seq = seq++; /* insertion number */
			}
		} else if (op < 9) {
			int present = model[id].state != 0 && seq - model[id].seq <= N;
			int rcv = mxp_mp_rcache_finish(rc, &p, id, (const char *)&id, 4, now);
			if ((rcv == 0) != present)
				bad++;
			if (present)
				model[id].state = 2;
		} else {
			mxp_mp_rcache_ack(rc, &p, id, id);
			if (model[id].state == 2)
				model[id].state = 0;
		}
	}
	uint32_t live = 0;
	for (int i = 0; i < IDS; i++)
		live += model[i].state != 0 && seq - model[i].seq <= N;
	MXP_CHECK_EQ(t, bad, 0);
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
