/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network impairment in user space (--impair): what `tc qdisc ... netem` would do to the
 * generator's packets on a kernel that has it. These machines' kernels have no queueing
 * disciplines, and a DPDK port bypasses them anyway, so mixgen impairs its own sending:
 *
 *   loss=P      each packet is dropped with probability P (never built twice: its RTP
 *               sequence number and SRTP index are spent, as on a real network)
 *   dup=P       each packet that survives is sent twice with probability P (a copy)
 *   delay=MS, jitter=MS
 *               each packet waits delay ± jitter (uniform, never below 0) before the port
 *               gets it; a jitter wider than a stream's packet spacing reorders that stream
 *   reorder=P, reorder-ms=MS
 *               a packet is held back a further MS with probability P, so that the
 *               packets of its stream sent after it overtake it (default MS: 1.5 × ptime,
 *               the next packet of the stream overtakes, the one after does not)
 *   seed=N      the decisions are a pure function of the seed and the order in which
 *               packets are built (splitmix64), so a run can be repeated
 *
 * Delayed packets wait in a binary heap ordered by release time; every generator poll
 * releases those that are due, before newly built ones. The heap holds --impair-queue
 * packets (65536): when it is full a packet goes out undelayed and is counted (overflow),
 * so the figures say when the impairment fell short of what was asked.
 *
 * Counting: a dropped packet is not "sent" (receivers do not expect it); a duplicate copy
 * is not "sent" either (the daemon's replay protection must remove it: the run checks that
 * its srtp_replay drops equal the copies sent). Both are counted here and in the report.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>

#include "mixgen.h"

struct impair_slot {
	uint64_t at;                   /* release TSC */
	uint64_t order;                /* ties: first queued, first out */
	struct rte_mbuf *m;
};

/* Generator-private (one generating lcore). */
static struct {
	uint64_t rng;
	struct impair_slot *heap;
	uint32_t n, cap;
	uint64_t order;
	uint64_t delay_tsc, jitter_tsc, reorder_tsc;
	uint64_t loss_thr, dup_thr, reorder_thr; /* probability × 2^64, saturated */
} im;

static uint64_t
prob_threshold(double p)
{
	if (p <= 0)
		return 0;
	if (p >= 1)
		return UINT64_MAX;
	return (uint64_t)ldexp(p, 64);
}

/* "1%", "0.01" -> 0.01 */
static bool
parse_prob(const char *v, double *out)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || end == v)
		return false;
	if (*end == '%') {
		x /= 100;
		end++;
	}
	if (*end != '\0' || !(x >= 0 && x <= 1))
		return false;
	*out = x;
	return true;
}

/* "20", "20ms", "0.5ms" -> milliseconds, 0..10000 */
static bool
parse_ms(const char *v, double *out)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || end == v)
		return false;
	if (strcmp(end, "ms") != 0 && *end != '\0')
		return false;
	if (!(x >= 0 && x <= 10000))
		return false;
	*out = x;
	return true;
}

int
mg_impair_parse(const char *spec, struct mg_impair *o, char *err, size_t errlen)
{
	struct mg_impair n = { .seed = 1, .reorder_ms = -1 };
	char buf[256], *save = NULL, *v, *kv;
	int rc;
	if (mg_kv_start(buf, sizeof(buf), spec, err, errlen) != 0)
		return -1;
	while ((kv = mg_kv_next(buf, &save, &v, &rc, err, errlen)) != NULL) {
		bool ok;
		if (strcmp(kv, "loss") == 0)
			ok = parse_prob(v, &n.loss);
		else if (strcmp(kv, "dup") == 0)
			ok = parse_prob(v, &n.dup);
		else if (strcmp(kv, "reorder") == 0)
			ok = parse_prob(v, &n.reorder);
		else if (strcmp(kv, "delay") == 0)
			ok = parse_ms(v, &n.delay_ms);
		else if (strcmp(kv, "jitter") == 0)
			ok = parse_ms(v, &n.jitter_ms);
		else if (strcmp(kv, "reorder-ms") == 0)
			ok = parse_ms(v, &n.reorder_ms);
		else if (strcmp(kv, "seed") == 0)
			ok = mg_parse_seed(v, &n.seed);
		else
			return MG_ERR(err, errlen, "unknown '%s' (loss, dup, reorder, delay, jitter, "
					"reorder-ms, seed)", kv);
		if (!ok)
			return MG_ERR(err, errlen, "%s='%s': expected %s", kv, v,
				      strcmp(kv, "seed") == 0 ? "an unsigned integer" :
				      (strcmp(kv, "loss") == 0 || strcmp(kv, "dup") == 0 ||
				       strcmp(kv, "reorder") == 0) ? "a probability (0.01 or 1%)" :
				      "milliseconds 0..10000 (20 or 20ms)");
	}
	if (rc != 0)
		return rc;
	n.on = n.loss > 0 || n.dup > 0 || n.reorder > 0 || n.delay_ms > 0 || n.jitter_ms > 0;
	if (!n.on)
		return MG_ERR(err, errlen, "nothing to impair: give loss, dup, reorder, delay or "
				"jitter");
	*o = n;
	return 0;
}

int
mg_impair_init(struct mg *m, char *err, size_t errlen)
{
	const struct mg_impair *o = &m->o.impair;
	memset(&im, 0, sizeof(im));
	memset(&m->impair, 0, sizeof(m->impair));
	if (!o->on)
		return 0;
	im.cap = m->o.impair_queue;
	im.heap = rte_zmalloc("mg_impair", (size_t)im.cap * sizeof(im.heap[0]), 64);
	if (im.heap == NULL)
		return MG_ERR(err, errlen, "out of memory for the impairment queue (%u packets)",
			      im.cap);
	im.rng = o->seed;
	double hz = (double)m->tsc_hz / 1000.0;
	double reorder_ms = o->reorder_ms >= 0 ? o->reorder_ms : 1.5 * m->o.ptime_ms;
	im.delay_tsc = (uint64_t)(o->delay_ms * hz);
	im.jitter_tsc = (uint64_t)(o->jitter_ms * hz);
	im.reorder_tsc = (uint64_t)(reorder_ms * hz);
	im.loss_thr = prob_threshold(o->loss);
	im.dup_thr = prob_threshold(o->dup);
	im.reorder_thr = prob_threshold(o->reorder);
	return 0;
}

void
mg_impair_fini(struct mg *m)
{
	(void)m;
	for (uint32_t i = 0; i < im.n; i++)
		rte_pktmbuf_free(im.heap[i].m);
	im.n = 0;
	rte_free(im.heap);
	im.heap = NULL;
}

static inline bool
slot_before(const struct impair_slot *a, const struct impair_slot *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static bool
heap_push(uint64_t at, struct rte_mbuf *mb)
{
	if (im.n == im.cap)
		return false;
	uint32_t i = im.n++;
	struct impair_slot s = { at, im.order++, mb };
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;
		if (!slot_before(&s, &im.heap[parent]))
			break;
		im.heap[i] = im.heap[parent];
		i = parent;
	}
	im.heap[i] = s;
	return true;
}

static struct rte_mbuf *
heap_pop(void)
{
	struct rte_mbuf *top = im.heap[0].m;
	struct impair_slot last = im.heap[--im.n];
	uint32_t i = 0;
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= im.n)
			break;
		if (c + 1 < im.n && slot_before(&im.heap[c + 1], &im.heap[c]))
			c++;
		if (!slot_before(&im.heap[c], &last))
			break;
		im.heap[i] = im.heap[c];
		i = c;
	}
	if (im.n)
		im.heap[i] = last;
	return top;
}

uint16_t
mg_impair_release(struct mg *m, uint64_t now, struct rte_mbuf **out, uint16_t cap)
{
	uint16_t n = 0;
	while (n < cap && im.n && im.heap[0].at <= now)
		out[n++] = heap_pop();
	m->impair.queued = im.n;
	return n;
}

/* Queue mb for release at now + wait, or hand it out now when it need not wait. */
static void
schedule(struct mg *m, struct rte_mbuf *mb, uint64_t now, uint64_t wait, struct rte_mbuf **out,
	 uint16_t *nout, uint16_t cap)
{
	if (wait == 0 && *nout < cap) {
		out[(*nout)++] = mb;
		return;
	}
	if (heap_push(now + wait, mb)) {
		m->impair.delayed++;
		return;
	}
	m->impair.overflow++;
	if (*nout < cap)
		out[(*nout)++] = mb;
	else {
		m->impair.overflow_dropped++;
		rte_pktmbuf_free(mb);
	}
}

uint16_t
mg_impair_apply(struct mg *m, struct rte_mbuf **mb, uint16_t n, uint64_t now,
		struct rte_mbuf **out, uint16_t cap)
{
	uint16_t nout = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *p = mb[i];
		/* One draw per decision, in a fixed order, whatever was asked: the same seed
		 * gives the same decisions for the same packets. */
		uint64_t r_loss = mg_splitmix64(&im.rng), r_dup = mg_splitmix64(&im.rng),
			 r_reo = mg_splitmix64(&im.rng), r_jit = mg_splitmix64(&im.rng);
		if (r_loss < im.loss_thr) {
			m->parts[p->hash.usr].tx.impair_lost++;
			m->impair.dropped++;
			rte_pktmbuf_free(p);
			continue;
		}
		uint64_t wait = im.delay_tsc;
		if (im.jitter_tsc) {
			/* uniform in [delay - jitter, delay + jitter], clamped at 0 */
			uint64_t span = 2 * im.jitter_tsc + 1;
			uint64_t off = (uint64_t)(((unsigned __int128)r_jit * span) >> 64);
			wait = wait + off > im.jitter_tsc ? wait + off - im.jitter_tsc : 0;
		}
		if (r_reo < im.reorder_thr) {
			wait += im.reorder_tsc;
			m->impair.reordered++;
		}
		struct rte_mbuf *copy = NULL;
		if (r_dup < im.dup_thr) {
			copy = rte_pktmbuf_copy(p, m->port.pool, 0, UINT32_MAX);
			if (copy == NULL)
				m->impair.dup_no_mbuf++;
			else {
				copy->hash.usr = p->hash.usr | MG_IMPAIR_DUP;
				m->impair.duplicated++;
			}
		}
		schedule(m, p, now, wait, out, &nout, cap);
		if (copy)
			schedule(m, copy, now, wait, out, &nout, cap);
	}
	m->impair.queued = im.n;
	return nout;
}
