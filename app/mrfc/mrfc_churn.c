/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mrfc churn: replay a join/leave trace against the MRFP and rekey the conference's group
 * key by a policy, live (doc/mp.md "Rekey policies, live").
 *
 * The trace is what benchmarks/rekey/rekey_policy.py models (`--dump-trace KIND`): lines
 * "<seconds> +1|-1 <participant>" in time order. A join is one Add into the conference
 * (the participant receives with the current group key), a leave one Subtract, a rekey
 * one wildcard Modify giving every remaining leg a new group key (one transaction
 * whatever the size of the conference; the MRFP encrypts once per packet for all).
 *
 * The policies are the model's, decided the same way (rekey_policy.py's simulate()):
 *   immediate        a rekey at every join and leave
 *   interval:T       at most every T s while membership changed since the last rekey
 *   count:K          after K changes
 *   bounded:K:E      after K changes, or E s after the oldest change not yet covered, or
 *                    at a join when the key is older than E s
 *   leave-only:E     leaves only, within E s
 * Where the model rekeys at a join's instant, the rekey goes out before the Add, so that
 * the joiner only ever gets the new key (nothing sent before its join); with nobody in the
 * conference yet, after it.
 *
 * Time: trace seconds run `speed` times faster than the wall clock (a 30-minute meeting in
 * 18 s at speed=100). What is reported is observed: the trace time at which each reply
 * came back. A departed participant's exposure (forward secrecy) runs from its Subtract's
 * reply to the next rekey's reply; a joiner's (backward secrecy) from the last rekey's
 * reply (or the start) to its Add's request. dry-run=on decides without sending anything,
 * at the trace's own times, so the decisions can be compared with the model's exactly.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mrfc.h"

enum pol { POL_IMMEDIATE, POL_INTERVAL, POL_COUNT, POL_BOUNDED, POL_LEAVE_ONLY };

struct ev {
	double t;
	int d;           /* +1 join, -1 leave */
	uint32_t id;
};

struct policy {
	enum pol kind;
	double interval; /* interval:T */
	unsigned count;  /* count:K, bounded:K:E */
	double bound;    /* bounded:K:E, leave-only:E */
	bool has_interval, has_count, has_bound;
};

static int
policy_parse(const char *s, struct policy *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	char name[32], tail[2];
	double a = 0, b = 0;
	int n = sscanf(s, "%31[a-z-]:%lf:%lf%1s", name, &a, &b, tail);
	if (strcmp(s, "immediate") == 0) {
		p->kind = POL_IMMEDIATE;
		return 0;
	}
	bool whole = a >= 1 && a <= 1e6 && a == floor(a);
	if (n == 2 && strcmp(name, "interval") == 0 && a > 0 && isfinite(a)) {
		p->kind = POL_INTERVAL;
		p->interval = a;
		p->has_interval = true;
		return 0;
	}
	if (n == 2 && strcmp(name, "count") == 0 && whole) {
		p->kind = POL_COUNT;
		p->count = (unsigned)a;
		p->has_count = true;
		return 0;
	}
	if (n == 3 && strcmp(name, "bounded") == 0 && whole && b > 0 && isfinite(b)) {
		p->kind = POL_BOUNDED;
		p->count = (unsigned)a;
		p->bound = b;
		p->has_count = p->has_bound = true;
		return 0;
	}
	if (n == 2 && strcmp(name, "leave-only") == 0 && a > 0 && isfinite(a)) {
		p->kind = POL_LEAVE_ONLY;
		p->bound = a;
		p->has_bound = true;
		return 0;
	}
	snprintf(err, errlen, "policy=%s: expected immediate, interval:T, count:K, bounded:K:E "
		 "or leave-only:E (T, E seconds > 0, K a whole number >= 1)", s);
	return -1;
}

static int
trace_read(const char *path, struct ev **out, size_t *nout, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "trace=%s: %s", path, strerror(errno));
		return -1;
	}
	size_t n = 0, cap = 0;
	struct ev *v = NULL;
	char line[256];
	unsigned no = 0;
	double last = 0;
	while (fgets(line, sizeof(line), f)) {
		no++;
		char *p = line + strspn(line, " \t");
		if (*p == '#' || *p == '\n' || *p == '\0')
			continue;
		struct ev e;
		int d;
		char tail[2];
		if (sscanf(p, "%lf %d %" SCNu32 " %1s", &e.t, &d, &e.id, tail) != 3 ||
		    (d != 1 && d != -1) || !isfinite(e.t) || e.t < last) {
			snprintf(err, errlen, "trace=%s line %u: expected '<seconds> +1|-1 <id>', "
				 "times from 0 in order", path, no);
			free(v);
			fclose(f);
			return -1;
		}
		e.d = d;
		last = e.t;
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			struct ev *nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(v);
				fclose(f);
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			v = nv;
		}
		v[n++] = e;
	}
	fclose(f);
	if (n == 0) {
		snprintf(err, errlen, "trace=%s: no events", path);
		free(v);
		return -1;
	}
	/* Each participant joins before it leaves, once at a time. */
	uint32_t maxid = 0;
	for (size_t k = 0; k < n; k++)
		maxid = v[k].id > maxid ? v[k].id : maxid;
	if (maxid >= (1u << 24)) {
		snprintf(err, errlen, "trace=%s: participant ids up to %u, at most 16777215", path,
			 maxid);
		free(v);
		return -1;
	}
	uint8_t *in = calloc((size_t)maxid / 8 + 1, 1);
	if (in == NULL) {
		free(v);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		uint8_t bit = (uint8_t)(1u << (v[k].id & 7));
		bool here = in[v[k].id >> 3] & bit;
		if (here == (v[k].d > 0)) {
			snprintf(err, errlen, "trace=%s: event %zu (%.3f s): participant %u %s", path,
				 k + 1, v[k].t, v[k].id, here ? "joins again without leaving" :
				 "leaves but is not present");
			free(in);
			free(v);
			return -1;
		}
		in[v[k].id >> 3] ^= bit;
	}
	free(in);
	*out = v;
	*nout = n;
	return 0;
}

/* ---- observed times, exposures ------------------------------------------------------- */

struct dvec {
	double *v;
	size_t n, cap;
};

static void
dpush(struct dvec *d, double x)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 256;
		double *nv = realloc(d->v, cap * sizeof(double));
		if (nv == NULL)
			abort(); /* a few thousand doubles */
		d->v = nv;
		d->cap = cap;
	}
	d->v[d->n++] = x;
}

static int
dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The model's percentile: sorted[min(n - 1, int(q * n))]; and the maximum. */
static double
pct(struct dvec *d, double q)
{
	if (d->n == 0)
		return 0;
	qsort(d->v, d->n, sizeof(double), dcmp);
	size_t i = (size_t)(q * (double)d->n);
	return d->v[i < d->n ? i : d->n - 1];
}

struct run {
	const struct mrfc_churn_ops *ops;
	void *arg;
	bool dry;
	double speed;
	uint64_t t0_ns;
	double now;                /* dry run: the trace time */
	struct dvec rekeys;        /* observed rekey times (reply) */
	struct dvec lat_ms;        /* every transaction's round trip */
	unsigned joins, leaves, members, peak_members, errors;
	unsigned rekeys_empty;     /* decided with nobody in the conference: nothing sent */
	uint64_t audit_ns, next_audit_ns;
	unsigned audits, audit_errors;
	struct dvec waiting;       /* leavers not yet covered by a rekey: their leave times */
	struct dvec fwd, bwd;
	char err[256];
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The trace time now (live), or the decision's time (dry). */
static double
tnow(const struct run *r)
{
	return r->dry ? r->now : (double)(mono_ns() - r->t0_ns) / 1e9 * r->speed;
}

/* audit=S: an AuditValue of the conference every S wall seconds while there is one. */
static void
maybe_audit(struct run *r)
{
	if (r->audit_ns == 0 || r->members == 0)
		return;
	uint64_t now = mono_ns();
	if (now < r->next_audit_ns)
		return;
	r->next_audit_ns = now + r->audit_ns;
	int rc = r->ops->audit(r->arg);
	dpush(&r->lat_ms, (double)(mono_ns() - now) / 1e6);
	r->audits++;
	if (rc != 0)
		r->audit_errors++;
}

static void
wait_until(struct run *r, double t)
{
	if (r->dry) {
		r->now = t;
		return;
	}
	for (;;) {
		maybe_audit(r);
		double left = (t - tnow(r)) / r->speed;
		if (left <= 0)
			return;
		if (r->audit_ns && left > (double)r->audit_ns / 1e9)
			left = (double)r->audit_ns / 1e9;
		struct timespec ts = { (time_t)left, (long)((left - floor(left)) * 1e9) };
		nanosleep(&ts, NULL);
	}
}

static int
timed(struct run *r, int rc, uint64_t a)
{
	if (!r->dry)
		dpush(&r->lat_ms, (double)(mono_ns() - a) / 1e6);
	if (rc != 0)
		r->errors++;
	return rc;
}

static int
do_rekey(struct run *r)
{
	uint64_t a = mono_ns();
	int rc = r->dry ? 0 : r->ops->rekey(r->arg);
	if (rc == 1) {
		rc = 0; /* nobody left to rekey: nothing was sent */
		r->rekeys_empty++;
	} else {
		timed(r, rc, a);
	}
	if (rc != 0) {
		snprintf(r->err, sizeof(r->err), "rekey at %.3f s failed", tnow(r));
		return rc;
	}
	double t = tnow(r);
	dpush(&r->rekeys, t);
	for (size_t i = 0; i < r->waiting.n; i++)
		dpush(&r->fwd, t - r->waiting.v[i]);
	r->waiting.n = 0;
	return 0;
}

/* rekeyed: a rekey of this instant covers the joiner's past (it happens just before, or
 * with nobody there yet, just after). */
static int
do_event(struct run *r, const struct ev *e, bool rekeyed)
{
	uint64_t a = mono_ns();
	double t = tnow(r);
	if (e->d > 0) {
		double since = r->rekeys.n ? r->rekeys.v[r->rekeys.n - 1] : 0;
		dpush(&r->bwd, rekeyed && r->members == 0 ? 0 : t - since);
		int rc = timed(r, r->dry ? 0 : r->ops->join(r->arg, e->id), a);
		if (rc != 0) {
			snprintf(r->err, sizeof(r->err), "join of %u at %.3f s failed", e->id, t);
			return rc;
		}
		r->joins++;
		if (++r->members > r->peak_members)
			r->peak_members = r->members;
		return 0;
	}
	int rc = timed(r, r->dry ? 0 : r->ops->leave(r->arg, e->id), a);
	if (rc != 0) {
		snprintf(r->err, sizeof(r->err), "leave of %u at %.3f s failed", e->id, t);
		return rc;
	}
	r->leaves++;
	r->members--;
	dpush(&r->waiting, tnow(r));
	return 0;
}

static void
report(const struct mrfc_churn_params *p, struct run *r, size_t nev, double secs, int rc)
{
	double fmax = 0, bmax = 0;
	for (size_t k = 0; k < r->fwd.n; k++)
		fmax = fmax > r->fwd.v[k] ? fmax : r->fwd.v[k];
	for (size_t k = 0; k < r->bwd.n; k++)
		bmax = bmax > r->bwd.v[k] ? bmax : r->bwd.v[k];
	double fp95 = pct(&r->fwd, 0.95), bp95 = pct(&r->bwd, 0.95);
	double l50 = pct(&r->lat_ms, 0.5), l99 = pct(&r->lat_ms, 0.99);
	double lmax = r->lat_ms.n ? r->lat_ms.v[r->lat_ms.n - 1] : 0;
	unsigned tx = r->joins + r->leaves + r->audits +
		      (unsigned)(r->rekeys.n - r->rekeys_empty) * (p->two_step ? 2u : 1u);
	unsigned never = (unsigned)r->waiting.n;
	if (!p->quiet) {
		printf("churn: %s, policy %s, speed %g%s: %zu events in %.1f s\n", p->trace,
		       p->policy, p->speed, r->dry ? " (dry run: nothing sent)" : "", nev, secs);
		printf("  %-29s %u joins, %u leaves, peak %u members\n", "membership", r->joins,
		       r->leaves, r->peak_members);
		printf("  %-29s %zu (%s wildcard Modify each; %u with nobody left)\n", "rekeys",
		       r->rekeys.n, p->two_step ? "two" : "one", r->rekeys_empty);
		printf("  %-29s %u (%u failed); %u audits (%u failed)\n", "Mp transactions", tx,
		       r->errors, r->audits, r->audit_errors);
		if (!r->dry)
			printf("  %-29s p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
			       "transaction latency", l50, l99, lmax);
		printf("  %-29s max %.1f s, p95 %.1f s; %u never covered\n",
		       "forward exposure (leavers)", fmax, fp95, never);
		printf("  %-29s max %.1f s, p95 %.1f s\n", "backward exposure (joiners)", bmax,
		       bp95);
		if (rc != 0)
			printf("  stopped: %s\n", r->err);
	}
	printf("{\"tool\":\"mrfc-churn\",\"ok\":%s,\"policy\":\"%s\",\"speed\":%g,\"dry_run\":%s,"
	       "\"events\":%zu,\"wall_s\":%.3f,\"joins\":%u,\"leaves\":%u,\"peak_members\":%u,"
	       "\"rekeys\":%zu,\"rekeys_empty\":%u,\"two_step\":%s,\"transactions\":%u,\"errors\":%u,"
	       "\"audits\":%u,\"audit_errors\":%u,"
	       "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
	       "\"fwd_exposure_max_s\":%.3f,\"fwd_exposure_p95_s\":%.3f,\"never_rekeyed\":%u,"
	       "\"bwd_exposure_max_s\":%.3f,\"bwd_exposure_p95_s\":%.3f,\"rekey_times\":[",
	       rc == 0 && r->audit_errors == 0 ? "true" : "false", p->policy, p->speed, r->dry ? "true" : "false", nev,
	       secs, r->joins, r->leaves, r->peak_members, r->rekeys.n, r->rekeys_empty,
	       p->two_step ? "true" : "false", tx, r->errors, r->audits, r->audit_errors, l50, l99,
	       lmax, fmax, fp95, never, bmax, bp95);
	for (size_t k = 0; k < r->rekeys.n; k++)
		printf("%s%.4f", k ? "," : "", r->rekeys.v[k]);
	printf("]}\n");
	fflush(stdout);
}

int
mrfc_churn(const struct mrfc_churn_params *p, const struct mrfc_churn_ops *ops, void *arg)
{
	char err[256];
	struct policy pol;
	if (policy_parse(p->policy, &pol, err, sizeof(err)) != 0) {
		fprintf(stderr, "mrfc churn: %s\n", err);
		return 1;
	}
	if (!(p->speed > 0 && p->speed <= 1e6)) {
		fprintf(stderr, "mrfc churn: speed=%g: expected a factor > 0, at most 1e6 (trace "
			"seconds per wall second)\n", p->speed);
		return 1;
	}
	struct ev *ev;
	size_t nev;
	if (trace_read(p->trace, &ev, &nev, err, sizeof(err)) != 0) {
		fprintf(stderr, "mrfc churn: %s\n", err);
		return 1;
	}
	static struct run r;
	memset(&r, 0, sizeof(r));
	r.ops = ops;
	r.arg = arg;
	r.dry = p->dry_run;
	r.speed = p->speed;
	r.t0_ns = mono_ns();
	r.audit_ns = r.dry ? 0 : (uint64_t)(p->audit_s * 1e9);
	r.next_audit_ns = r.t0_ns + r.audit_ns;

	/* pending: changes not yet covered by a rekey (the first one's time, how many) */
	double pend_first = 0, t_last = 0;
	unsigned npend = 0;
	bool have_last = false;
	int rc = 0;
	size_t i = 0;
	while (i < nev && rc == 0) {
		const struct ev *e = &ev[i];
		if (npend) {
			double due = INFINITY;
			if (pol.has_interval) {
				due = have_last ? t_last + pol.interval : -1e9;
				if (due < pend_first)
					due = pend_first;
			}
			if (pol.has_bound && pend_first + pol.bound < due)
				due = pend_first + pol.bound;
			if (due <= e->t) {
				wait_until(&r, due);
				rc = do_rekey(&r);
				npend = 0;
				t_last = due;
				have_last = true;
				continue;
			}
		}
		wait_until(&r, e->t);
		i++;
		bool rekey = false;
		if (pol.kind == POL_IMMEDIATE) {
			rekey = true;
		} else if (pol.kind == POL_LEAVE_ONLY) {
			if (e->d < 0 && npend++ == 0)
				pend_first = e->t;
		} else if (pol.kind == POL_BOUNDED && e->d > 0 &&
			   (!have_last || e->t - t_last > pol.bound)) {
			rekey = true;
		} else {
			if (npend++ == 0)
				pend_first = e->t;
			if (pol.has_count && npend >= pol.count)
				rekey = true;
			else if (pol.has_interval && (!have_last || e->t - t_last >= pol.interval))
				rekey = true;
		}
		/* A join's rekey goes first (the joiner gets the new key only), unless nobody is
		 * there yet; a leave's goes after it. */
		bool before = rekey && e->d > 0 && r.members > 0;
		if (before)
			rc = do_rekey(&r);
		if (rc == 0)
			rc = do_event(&r, e, rekey);
		if (rc == 0 && rekey && !before)
			rc = do_rekey(&r);
		if (rekey) {
			npend = 0;
			t_last = e->t;
			have_last = true;
		}
	}
	if (rc == 0 && npend && (pol.has_interval || pol.has_bound)) {
		wait_until(&r, ev[nev - 1].t + 1);
		rc = do_rekey(&r);
	}
	double secs = (double)(mono_ns() - r.t0_ns) / 1e9;
	free(ev);
	report(p, &r, nev, secs, rc);
	free(r.rekeys.v);
	free(r.lat_ms.v);
	free(r.waiting.v);
	free(r.fwd.v);
	free(r.bwd.v);
	return rc == 0 && r.audit_errors == 0 ? 0 : 2;
}
