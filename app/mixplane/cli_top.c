/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * `show top`: one snapshot for `mixplanectl top` (and scripts): the workers' load and packet
 * rates, the busiest conferences, and the Mp plane, as a screen-sized text frame or JSON.
 *
 * Rates are differences against the base sample this file keeps: the counters of an earlier
 * `show top`, at least TOP_MIN_WINDOW_MS old (so two viewers refreshing at once do not make
 * each other's windows tiny). The first call has no base: its rates are null ("-"). A
 * conference created after the base counts from its creation.
 *
 * Cost per call: one pass over the conferences (lib/conf's list and snapshot), a bounded
 * top-K heap, and the legs of the K selected only. The id lists and the base live in
 * buffers grown to the conference count and reused: nothing is allocated per call once
 * they fit. Control core only (static state).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_cycles.h>

#include "cli.h"
#include "config.h"
#include "mixplane.h"
#include "mp_plane.h"
#include "mxp_conf.h"
#include "mxp_esp.h"
#include "worker.h"

#define TOP_MIN_WINDOW_MS 500
#define TOP_MAX_COUNT 200      /**< conferences in one answer */
#define TOP_DEFAULT_COUNT 20
#define TOP_TALK_MS 1000       /**< a participant whose media arrived this recently talks */
#define TOP_MIN_WIDTH 20
#define TOP_MAX_WIDTH 400

enum top_sort { TOP_SORT_PARTICIPANTS, TOP_SORT_RATE };
static const char *const sort_names[] = { "participants", "rate" };

/* A conference's packet counters at the base sample (the array is sorted by id). */
struct top_conf_ctr {
	uint32_t id;
	uint64_t rx, tx;
	uint64_t created_ms;
};

struct top_worker_ctr {
	uint64_t rx, tx, drops, polls, busy;
};

struct top_sample {
	bool valid;
	uint64_t ms;
	struct top_worker_ctr w[MXP_MAX_WORKERS];
	uint64_t mp_requests, mp_errors;
	uint32_t nconf, cap;
	struct top_conf_ctr *conf;
};

/* Base and the sample being taken; swapped when the base advances. */
static struct top_sample samples[2];
static struct top_sample *base = &samples[0], *cur = &samples[1];
static uint32_t *conf_ids;
static uint32_t conf_ids_cap;
static uint32_t *leg_ids;
static uint32_t leg_ids_cap;

/* One row of the answer. */
struct top_row {
	struct mxp_conf_info ci;
	bool has_rate;
	double rx_pps, tx_pps;
	/* the legs of the K selected only */
	uint32_t talkers;
	bool loss_known, jitter_known;
	double loss_pct;             /**< worst fraction lost a participant reported (RTCP) */
	uint32_t jitter_rtp;         /**< worst interarrival jitter reported, RTP units */
	double jitter_ms;            /**< the same in ms, when the leg's clock is known (mix) */
};

static struct top_row heap[TOP_MAX_COUNT];

/* buf, grown to hold n elements of size sz (doubling *cap); NULL when out of memory (buf
 * is then left as it was). */
static void *
grow(void *buf, uint32_t *cap, uint32_t n, size_t sz)
{
	if (n == 0)
		n = 1; /* never NULL for success */
	if (n <= *cap)
		return buf;
	uint32_t c = *cap ? *cap : 64;
	while (c < n)
		c *= 2;
	void *p = realloc(buf, (size_t)c * sz);
	if (p != NULL)
		*cap = c;
	return p;
}

static double
rate(uint64_t now, uint64_t then, uint64_t window_ms)
{
	return window_ms ? (double)(now >= then ? now - then : 0) * 1000.0 / (double)window_ms : 0;
}

/* Is row a busier than b under the sort? Ties: the lower id first. */
static bool
busier(const struct top_row *a, const struct top_row *b, enum top_sort s)
{
	double ra = a->rx_pps + a->tx_pps, rb = b->rx_pps + b->tx_pps;
	if (s == TOP_SORT_RATE && ra != rb)
		return ra > rb;
	if (a->ci.nlegs != b->ci.nlegs)
		return a->ci.nlegs > b->ci.nlegs;
	if (ra != rb)
		return ra > rb;
	return a->ci.id < b->ci.id;
}

/* heap[0..n) is a heap whose root is the least busy: the one a busier conference evicts. */
static void
heap_down(uint32_t n, uint32_t i, enum top_sort s)
{
	for (;;) {
		uint32_t l = 2 * i + 1, m = i;
		if (l < n && busier(&heap[m], &heap[l], s))
			m = l;
		if (l + 1 < n && busier(&heap[m], &heap[l + 1], s))
			m = l + 1;
		if (m == i)
			return;
		struct top_row t = heap[i];
		heap[i] = heap[m];
		heap[m] = t;
		i = m;
	}
}

static void
heap_push(uint32_t *n, uint32_t k, const struct top_row *r, enum top_sort s)
{
	if (*n < k) {
		uint32_t i = (*n)++;
		heap[i] = *r;
		while (i > 0 && busier(&heap[(i - 1) / 2], &heap[i], s)) {
			struct top_row t = heap[i];
			heap[i] = heap[(i - 1) / 2];
			heap[(i - 1) / 2] = t;
			i = (i - 1) / 2;
		}
	} else if (k > 0 && busier(r, &heap[0], s)) {
		heap[0] = *r;
		heap_down(*n, 0, s);
	}
}

/* Heap to busiest-first order (heap sort: pop the least busy to the end). */
static void
heap_sort(uint32_t n, enum top_sort s)
{
	for (uint32_t e = n; e > 1; e--) {
		struct top_row t = heap[0];
		heap[0] = heap[e - 1];
		heap[e - 1] = t;
		heap_down(e - 1, 0, s);
	}
}

/* Talkers, worst loss and jitter over the legs of a selected conference. */
static void
row_legs(const struct mxp_cli_ctx *ctx, struct top_row *r)
{
	static struct mxp_leg_info li; /* control core only; large */
	int n = mxp_conf_legs(ctx->conf, r->ci.id, NULL, 0);
	uint32_t *ids = n > 0 ? grow(leg_ids, &leg_ids_cap, (uint32_t)n, sizeof(*leg_ids)) : NULL;
	if (ids == NULL)
		return;
	leg_ids = ids;
	n = mxp_conf_legs(ctx->conf, r->ci.id, leg_ids, (uint32_t)n);
	uint64_t hz = mxp_conf_tsc_hz(), now = rte_rdtsc();
	for (int k = 0; k < n; k++) {
		if (mxp_conf_leg_get(ctx->conf, leg_ids[k], &li) != 0)
			continue;
		const struct mxp_leg_stats *s = &li.st;
		if (s->last_rx_tsc && hz && now - s->last_rx_tsc < hz / 1000 * TOP_TALK_MS)
			r->talkers++;
		if (s->rtcp_rx == 0)
			continue; /* no report from this participant */
		double loss = (double)s->remote_fraction_lost * 100.0 / 256.0;
		if (!r->loss_known || loss > r->loss_pct)
			r->loss_pct = loss;
		r->loss_known = true;
		if (s->remote_jitter >= r->jitter_rtp) {
			r->jitter_rtp = s->remote_jitter;
			unsigned clk = li.codec != MXP_MEDIA_CODEC_NONE
				? mxp_media_codec_clock((enum mxp_media_codec)li.codec) : 0;
			r->jitter_known = clk != 0;
			r->jitter_ms = clk ? (double)s->remote_jitter * 1000.0 / clk : 0;
		}
	}
}

/* ---- text ----------------------------------------------------------------------------- */

/* A count in at most w characters: exact when it fits, else with a k/M/G suffix. */
static const char *
fmt_num(char *b, size_t len, unsigned int w, double v)
{
	static const char sfx[] = "kMGT";
	snprintf(b, len, "%.0f", v);
	for (unsigned int i = 0; strlen(b) > w && i < sizeof(sfx) - 1; i++) {
		v /= 1000;
		snprintf(b, len, v < 9.95 ? "%.1f%c" : "%.0f%c", v, sfx[i]);
	}
	return b;
}

static const char *
fmt_rate(char *b, size_t len, unsigned int w, bool known, double v)
{
	if (!known) {
		snprintf(b, len, "-");
		return b;
	}
	return fmt_num(b, len, w, v);
}

/* Lines of at most width characters; stops adding once the height is full. */
struct top_screen {
	struct mxp_buf *out;
	unsigned int width, lines, height;
};

static void
line(struct top_screen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
line(struct top_screen *s, const char *fmt, ...)
{
	char b[TOP_MAX_WIDTH + 1];
	if (s->height && s->lines >= s->height)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	size_t n = strlen(b);
	if (n > s->width)
		n = s->width;
	while (n && b[n - 1] == ' ')
		n--;
	mxp_buf_add(s->out, b, n);
	mxp_buf_add(s->out, "\n", 1);
	s->lines++;
}

/* ---- the command -------------------------------------------------------------------------- */

struct top_args {
	enum top_sort sort;
	uint32_t count, width, height;
};

static int
parse_args(struct cli_req *r, int i, struct top_args *a)
{
	a->sort = TOP_SORT_PARTICIPANTS;
	a->count = TOP_DEFAULT_COUNT;
	a->width = 80;
	a->height = 0;
	for (; i < r->argc; i += 2) {
		const char *k = r->argv[i], *v = i + 1 < r->argc ? r->argv[i + 1] : NULL;
		if (v == NULL)
			return cli_fail(r, MXP_CTL_USAGE, "show top: '%s' needs a value", k);
		if (strcmp(k, "sort") == 0) {
			if (strcmp(v, "participants") == 0)
				a->sort = TOP_SORT_PARTICIPANTS;
			else if (strcmp(v, "rate") == 0)
				a->sort = TOP_SORT_RATE;
			else
				return cli_fail(r, MXP_CTL_USAGE,
						"show top: sort '%s': participants or rate", v);
		} else if (strcmp(k, "count") == 0) {
			if (cli_u32_arg(v, TOP_MAX_COUNT, &a->count))
				return cli_fail(r, MXP_CTL_USAGE, "show top: count 0..%u",
						TOP_MAX_COUNT);
		} else if (strcmp(k, "width") == 0) {
			if (cli_u32_arg(v, UINT32_MAX, &a->width))
				return cli_fail(r, MXP_CTL_USAGE, "show top: width in columns");
			if (a->width > TOP_MAX_WIDTH)
				a->width = TOP_MAX_WIDTH;
			if (a->width < TOP_MIN_WIDTH)
				a->width = TOP_MIN_WIDTH;
		} else if (strcmp(k, "height") == 0) {
			if (cli_u32_arg(v, 10000, &a->height))
				return cli_fail(r, MXP_CTL_USAGE, "show top: height in lines");
		} else {
			return MXP_CTL_USAGE;
		}
	}
	return MXP_CTL_OK;
}

/* Workers: this sample's counters into cur. */
static void
sample_workers(const struct mxp_cli_ctx *ctx)
{
	for (uint16_t i = 0; i < ctx->nb_workers && i < MXP_MAX_WORKERS; i++) {
		const struct mxp_worker *w = ctx->workers[i];
		struct top_worker_ctr *c = &cur->w[i];
		c->rx = w->st.rx_pkts;
		c->tx = w->st.tx_pkts;
		c->polls = w->st.polls;
		c->busy = w->st.busy_polls;
		c->drops = 0;
		for (int d = 1; d < MXP_DROP_MAX; d++)
			c->drops += w->st.drops[d];
	}
}

/* Conferences: every one's counters into cur (sorted by id, as lib/conf lists them), the
 * K busiest into heap[], busiest first, with their legs' figures. *total: how many there
 * are, *k: how many were kept. 0 or -ENOMEM. */
static int
sample_confs(const struct mxp_cli_ctx *ctx, const struct top_args *a, uint32_t *total,
	     uint32_t *k)
{
	uint32_t n = mxp_conf_list(ctx->conf, NULL, 0);
	uint32_t *ids = grow(conf_ids, &conf_ids_cap, n, sizeof(*conf_ids));
	if (ids == NULL)
		return -ENOMEM;
	conf_ids = ids;
	struct top_conf_ctr *ctr = grow(cur->conf, &cur->cap, n, sizeof(*cur->conf));
	if (ctr == NULL)
		return -ENOMEM;
	cur->conf = ctr;
	n = RTE_MIN(mxp_conf_list(ctx->conf, conf_ids, n), n);
	uint32_t b = 0, m = 0;
	*k = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct top_row r;
		memset(&r, 0, sizeof(r));
		if (mxp_conf_get(ctx->conf, conf_ids[i], &r.ci) != 0)
			continue;
		cur->conf[m++] = (struct top_conf_ctr){ r.ci.id, r.ci.rx_pkts, r.ci.tx_pkts,
							r.ci.created_ms };
		/* merge with the base, also sorted by id */
		while (base->valid && b < base->nconf && base->conf[b].id < r.ci.id)
			b++;
		if (base->valid) {
			/* the same conference at the base, or one created since (the id may be
			 * reused): count from the base, or from its creation */
			const struct top_conf_ctr *p = b < base->nconf ? &base->conf[b] : NULL;
			bool same = p && p->id == r.ci.id && p->created_ms == r.ci.created_ms &&
				    p->rx <= r.ci.rx_pkts && p->tx <= r.ci.tx_pkts;
			uint64_t from = same ? base->ms : r.ci.created_ms;
			uint64_t win = cur->ms > from ? cur->ms - from : 0;
			if (win > 0) {
				r.has_rate = true;
				r.rx_pps = rate(r.ci.rx_pkts, same ? p->rx : 0, win);
				r.tx_pps = rate(r.ci.tx_pkts, same ? p->tx : 0, win);
			}
		}
		heap_push(k, a->count, &r, a->sort);
	}
	cur->nconf = m;
	*total = m;
	heap_sort(*k, a->sort);
	for (uint32_t i = 0; i < *k; i++)
		row_legs(ctx, &heap[i]);
	return 0;
}

bool
mxp_mrfc_watch(struct mxp_mrfc_silence *w, const struct mxp_mp_status *st)
{
	if (st->c.gave_up > w->seen_gave_up)
		w->silent = true;
	if (st->c.answered > w->seen_answered)
		w->silent = false; /* both since the last look: the answer is the proof of life */
	w->seen_gave_up = st->c.gave_up;
	w->seen_answered = st->c.answered;
	return w->silent;
}

const char *
mxp_mrfc_reach(const struct mxp_mp_status *st, bool gave_up, bool *known, bool *up)
{
	*known = st->enabled && st->has_mrfc;
	*up = false;
	if (!*known)
		return st->enabled ? "no MRFC configured" : "Mp off";
	if (st->sctp_state) {
		*up = st->c.sctp_up != 0;
		return *up ? "SCTP association up" : st->sctp_state;
	}
	if (gave_up && st->sc == MXP_MP_SC_ANSWERED)
		return "requests of ours unanswered";
	*up = st->sc == MXP_MP_SC_ANSWERED;
	return st->sc == MXP_MP_SC_ANSWERED ? "ServiceChange answered"
	       : st->sc == MXP_MP_SC_SENT  ? "ServiceChange unanswered"
	       : st->sc == MXP_MP_SC_FAILED ? "ServiceChange failed"
					    : "no ServiceChange";
}

struct top_mp {
	struct mxp_mp_status *st;
	const uint64_t *esp;         /**< lib/esp's counters, NULL when off */
	bool has_rate;
	bool gave_up;                /**< a request of ours went unanswered, none answered since */
	double trans_ps, errors_ps;
};

/* A rate (or a figure that may be unknown), or null. */
static void
json_rate(struct mxp_json *j, const char *key, bool known, double v)
{
	if (known)
		mxp_json_dbl(j, key, v);
	else
		mxp_json_null(j, key);
}

static void
render_json(struct cli_req *r, const struct top_args *a, uint64_t win, uint32_t total,
	    uint32_t k, const struct top_mp *mp)
{
	const struct mxp_cli_ctx *ctx = r->ctx;
	struct mxp_json j;
	mxp_json_init(&j, r->out);
	mxp_json_obj_open(&j, NULL);
	mxp_json_u64(&j, "uptime_s", (cur->ms - ctx->start_ms) / 1000);
	if (win)
		mxp_json_u64(&j, "window_ms", win);
	else
		mxp_json_null(&j, "window_ms");
	mxp_json_str(&j, "sort", sort_names[a->sort]);
	mxp_json_arr_open(&j, "workers");
	for (uint16_t i = 0; i < ctx->nb_workers && i < MXP_MAX_WORKERS; i++) {
		const struct top_worker_ctr *c = &cur->w[i], *p = &base->w[i];
		mxp_json_obj_open(&j, NULL);
		mxp_json_u64(&j, "worker", ctx->workers[i]->idx);
		mxp_json_u64(&j, "lcore", ctx->workers[i]->lcore);
		mxp_json_u64(&j, "rx_packets", c->rx);
		mxp_json_u64(&j, "tx_packets", c->tx);
		mxp_json_u64(&j, "drops", c->drops);
		uint64_t polls = c->polls - p->polls;
		json_rate(&j, "busy_pct", win,
			  polls ? 100.0 * (double)(c->busy - p->busy) / (double)polls : 0);
		json_rate(&j, "rx_pps", win, rate(c->rx, p->rx, win));
		json_rate(&j, "tx_pps", win, rate(c->tx, p->tx, win));
		json_rate(&j, "drops_ps", win, rate(c->drops, p->drops, win));
		mxp_json_obj_close(&j);
	}
	mxp_json_arr_close(&j);
	mxp_json_u64(&j, "conferences_total", total);
	mxp_json_arr_open(&j, "conferences");
	for (uint32_t i = 0; i < k; i++) {
		const struct top_row *row = &heap[i];
		mxp_json_obj_open(&j, NULL);
		mxp_json_u64(&j, "id", row->ci.id);
		mxp_json_str(&j, "name", row->ci.name);
		mxp_json_str(&j, "mode", mxp_conf_mode_name(row->ci.mode));
		mxp_json_u64(&j, "worker", row->ci.worker);
		mxp_json_u64(&j, "participants", row->ci.nlegs);
		mxp_json_u64(&j, "talkers", row->talkers);
		mxp_json_u64(&j, "mix_late_ticks", row->ci.mix_late_ticks);
		mxp_json_u64(&j, "rx_packets", row->ci.rx_pkts);
		mxp_json_u64(&j, "tx_packets", row->ci.tx_pkts);
		json_rate(&j, "rx_pps", row->has_rate, row->rx_pps);
		json_rate(&j, "tx_pps", row->has_rate, row->tx_pps);
		json_rate(&j, "loss_pct", row->loss_known, row->loss_pct);
		json_rate(&j, "jitter_rtp", row->loss_known, row->jitter_rtp);
		json_rate(&j, "jitter_ms", row->loss_known && row->jitter_known, row->jitter_ms);
		mxp_json_obj_close(&j);
	}
	mxp_json_arr_close(&j);

	const struct mxp_mp_status *st = mp->st;
	bool known, up;
	const char *why = mxp_mrfc_reach(st, mp->gave_up, &known, &up);
	mxp_json_obj_open(&j, "mp");
	mxp_json_bool(&j, "enabled", st->enabled);
	mxp_json_u64(&j, "transactions", st->c.requests);
	mxp_json_u64(&j, "errors", st->c.errors);
	json_rate(&j, "transactions_ps", mp->has_rate, mp->trans_ps);
	json_rate(&j, "errors_ps", mp->has_rate, mp->errors_ps);
	char a4[64];
	mxp_json_str(&j, "mrfc", st->has_mrfc ? mxp_ip_format(&st->mrfc, a4, sizeof(a4)) : NULL);
	if (known)
		mxp_json_bool(&j, "mrfc_reachable", up);
	else
		mxp_json_null(&j, "mrfc_reachable");
	mxp_json_str(&j, "mrfc_state", why);
	mxp_json_str(&j, "transport", st->sctp_state ? "sctp" : "udp");
	mxp_json_obj_open(&j, "esp");
	mxp_json_u64(&j, "sas", st->esp_sas);
	mxp_json_u64(&j, "accepted", mp->esp ? mp->esp[MXP_ESP_DROP_NONE] : 0);
	mxp_json_u64(&j, "auth_failures", mp->esp ? mp->esp[MXP_ESP_DROP_BAD_ICV] : 0);
	mxp_json_u64(&j, "replays", mp->esp ? mp->esp[MXP_ESP_DROP_REPLAY] : 0);
	mxp_json_u64(&j, "too_old", mp->esp ? mp->esp[MXP_ESP_DROP_TOO_OLD] : 0);
	mxp_json_obj_close(&j);
	mxp_json_obj_close(&j);
	mxp_json_obj_close(&j);
}

static void
render_text(struct cli_req *r, const struct top_args *a, uint64_t win, uint32_t total,
	    uint32_t k, const struct top_mp *mp)
{
	const struct mxp_cli_ctx *ctx = r->ctx;
	struct top_screen s = { .out = r->out, .width = a->width, .height = a->height };
	char n[8][32];
	if (win >= 10000)
		snprintf(n[0], sizeof(n[0]), "rates over %.0f s", (double)win / 1000.0);
	else if (win)
		snprintf(n[0], sizeof(n[0]), "rates over %.2f s", (double)win / 1000.0);
	else
		snprintf(n[0], sizeof(n[0]), "rates from the next refresh");
	line(&s, "mixplane top: up %" PRIu64 " s, %s, %u conference%s, sorted by %s",
	     (cur->ms - ctx->start_ms) / 1000, n[0], total, total == 1 ? "" : "s",
	     sort_names[a->sort]);
	line(&s, "%s", "");

	/* Workers: at most what leaves room for Mp and a few conferences. */
	unsigned int wmax = ctx->nb_workers;
	if (a->height)
		wmax = RTE_MIN(wmax, a->height > 14 ? a->height - 14 : 1u);
	line(&s, "%6s %5s %6s %10s %10s %9s", "worker", "lcore", "busy%", "rx-pkt/s", "tx-pkt/s",
	     "drops/s");
	for (uint16_t i = 0; i < ctx->nb_workers && i < MXP_MAX_WORKERS; i++) {
		if (i == wmax) {
			line(&s, "  ... %u more worker(s): mixplanectl show stats",
			     ctx->nb_workers - wmax);
			break;
		}
		const struct top_worker_ctr *c = &cur->w[i], *p = &base->w[i];
		uint64_t polls = c->polls - p->polls;
		if (win)
			snprintf(n[0], sizeof(n[0]), "%.1f",
				 polls ? 100.0 * (double)(c->busy - p->busy) / (double)polls : 0);
		else
			snprintf(n[0], sizeof(n[0]), "-");
		line(&s, "%6u %5u %6s %10s %10s %9s", ctx->workers[i]->idx, ctx->workers[i]->lcore,
		     n[0], fmt_rate(n[1], 32, 10, win, rate(c->rx, p->rx, win)),
		     fmt_rate(n[2], 32, 10, win, rate(c->tx, p->tx, win)),
		     fmt_rate(n[3], 32, 9, win, rate(c->drops, p->drops, win)));
	}
	line(&s, "%s", "");

	const struct mxp_mp_status *st = mp->st;
	if (!st->enabled) {
		line(&s, "Mp   off (no [mp] section)");
	} else {
		bool known, up;
		const char *why = mxp_mrfc_reach(st, mp->gave_up, &known, &up);
		char a4[64] = "";
		if (st->has_mrfc)
			mxp_ip_format(&st->mrfc, a4, sizeof(a4));
		if (mp->has_rate)
			snprintf(n[0], sizeof(n[0]), "%.1f", mp->trans_ps);
		else
			snprintf(n[0], sizeof(n[0]), "-");
		if (mp->has_rate)
			snprintf(n[1], sizeof(n[1]), "%.1f", mp->errors_ps);
		else
			snprintf(n[1], sizeof(n[1]), "-");
		line(&s, "Mp   %s transactions/s, %" PRIu64 " errors (%s/s), over %s", n[0],
		     st->c.errors, n[1], st->sctp_state ? "SCTP" : "UDP");
		line(&s, "     MRFC %s %s (%s)", st->has_mrfc ? a4 : "-",
		     !known ? "unknown" : up ? "reachable" : "NOT REACHABLE", why);
		line(&s, "ESP  %u SAs, %" PRIu64 " auth failures, %" PRIu64 " replays, %" PRIu64
		     " too old", st->esp_sas, mp->esp ? mp->esp[MXP_ESP_DROP_BAD_ICV] : 0,
		     mp->esp ? mp->esp[MXP_ESP_DROP_REPLAY] : 0,
		     mp->esp ? mp->esp[MXP_ESP_DROP_TOO_OLD] : 0);
	}
	line(&s, "%s", "");

	if (total == 0) {
		line(&s, "no conferences");
		return;
	}
	/* the name column takes what the width gives beyond 80 */
	int nw = 10 + (int)RTE_MIN(a->width > 80 ? a->width - 80 : 0u, (uint32_t)20);
	line(&s, "%7s %-*s %-7s %5s %4s %7s %9s %9s %5s %6s", "id", nw, "name", "mode", "parts",
	     "talk", "late", "rx-pkt/s", "tx-pkt/s", "loss%", "jit-ms");
	unsigned int shown = 0;
	for (uint32_t i = 0; i < k; i++) {
		if (a->height) {
			/* no room, or room for one line and rows after this one: "... more" */
			unsigned int left = a->height > s.lines ? a->height - s.lines : 0;
			if (left == 0 || (left == 1 && i + 1 < total))
				break;
		}
		const struct top_row *row = &heap[i];
		char nm[64];
		snprintf(nm, sizeof(nm), "%s", row->ci.name[0] ? row->ci.name : "-");
		if ((int)strlen(nm) > nw) { /* cut, and say so */
			nm[nw - 1] = '~';
			nm[nw] = '\0';
		}
		if (row->loss_known)
			snprintf(n[4], 32, "%.1f", row->loss_pct);
		else
			snprintf(n[4], 32, "-");
		if (row->loss_known && row->jitter_known)
			snprintf(n[5], 32, "%.1f", row->jitter_ms);
		else
			snprintf(n[5], 32, "-");
		line(&s, "%7u %-*s %-7s %5s %4s %7s %9s %9s %5s %6s", row->ci.id, nw, nm,
		     mxp_conf_mode_name(row->ci.mode), fmt_num(n[0], 32, 5, row->ci.nlegs),
		     fmt_num(n[1], 32, 4, row->talkers),
		     row->ci.mode == MXP_CONF_MIX ? fmt_num(n[2], 32, 7, (double)row->ci.mix_late_ticks)
						  : "-",
		     fmt_rate(n[3], 32, 9, row->has_rate, row->rx_pps),
		     fmt_rate(n[6], 32, 9, row->has_rate, row->tx_pps), n[4], n[5]);
		shown++;
	}
	if (shown < total)
		line(&s, "  ... %u more (mixplanectl show conferences)", total - shown);
}

static int
cmd_show_top(struct cli_req *r, int i)
{
	struct top_args a;
	int rc = parse_args(r, i, &a);
	if (rc != MXP_CTL_OK)
		return rc;
	const struct mxp_cli_ctx *ctx = r->ctx;
	cur->ms = mxp_now_ms();
	cur->valid = true;
	uint64_t win = base->valid && cur->ms > base->ms ? cur->ms - base->ms : 0;

	sample_workers(ctx);
	uint32_t total = 0, k = 0;
	if (sample_confs(ctx, &a, &total, &k) != 0)
		return cli_fail(r, MXP_CTL_ERR, "show top: out of memory");

	static struct mxp_mp_status st; /* control core only; 5 kB of counters by code */
	mxp_mp_plane_status(ctx->mp, &st);
	struct mxp_esp_ep *ep = mxp_mp_plane_esp(ctx->mp);
	struct top_mp mp = { .st = &st, .esp = ep ? mxp_esp_ep_counters(ep) : NULL,
			     .has_rate = win != 0 };
	cur->mp_requests = st.c.requests;
	cur->mp_errors = st.c.errors;
	static struct mxp_mrfc_silence silence;
	mp.gave_up = mxp_mrfc_watch(&silence, &st);
	if (win) {
		mp.trans_ps = rate(st.c.requests, base->mp_requests, win);
		mp.errors_ps = rate(st.c.errors, base->mp_errors, win);
	}

	if (r->json)
		render_json(r, &a, win, total, k, &mp);
	else
		render_text(r, &a, win, total, k, &mp);

	/* The base advances once it is old enough; else it stays for the next call. */
	if (!base->valid || cur->ms - base->ms >= TOP_MIN_WINDOW_MS) {
		struct top_sample *t = base;
		base = cur;
		cur = t;
	}
	return r->out->oom ? MXP_CTL_ERR : MXP_CTL_OK;
}

const struct cli_cmd mxp_cli_top_cmds[] = {
	{ "show top", "[sort participants|rate] [count N] [width COLS] [height LINES]",
	  "live view: worker load and rates, the busiest conferences, Mp (mixplanectl top)",
	  cmd_show_top },
	MXP_CLI_END
};
