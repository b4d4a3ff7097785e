/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint: `GET /metrics` answered with the text exposition format 0.0.4.
 *
 * The page is made from the counters the CLI shows, read the way it reads them:
 * mxp_stats_sum() and the workers' counters (show stats, show drops), lib/conf's list and
 * snapshots (show conferences), mxp_conf_worker_stats() (mix ticks), the Mp plane's status
 * snapshot and lib/esp's listings (show mp, show esp), mxp_mrfc_reach() (show top), the
 * ports' counters (show ports). Counts only: no key and no key fingerprint is ever
 * written, so the socket needs no owner check (it is TCP; bind it to a management address).
 *
 * The control core serves it without ever blocking: the sockets are non-blocking, in an
 * epoll set of their own that the control loop watches. Limits keep a slow or hostile
 * client from holding the core or its memory:
 *  - at most MAX_CONNS connections; the next one is answered 503 and closed (busy);
 *  - a request's head is at most REQ_MAX bytes: past that, 431 and close (oversize);
 *  - a connection must have sent its request and read the answer within CONN_TIMEOUT_MS
 *    of being accepted, or it is closed (timeout): one that connects and sends nothing
 *    holds a slot that long and nothing else;
 *  - after the answer the socket is shut for writing and what the client still sends is
 *    read and thrown away (at most DRAIN_MAX bytes, DRAIN_MS) so that closing does not
 *    reset a connection whose answer is still on its way.
 * One connection carries one request (Connection: close). Any method but GET and HEAD is
 * 405, any path but /metrics 404, a request line that does not parse 400
 * (metrics_http.c judges the request's head).
 */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "cli.h"
#include "metrics.h"
#include "metrics_http.h"
#include "mixplane.h"
#include "mp_plane.h"
#include "mxp_conf.h"
#include "mxp_crypto.h"
#include "mxp_esp.h"
#include "worker.h"

#define MAX_CONNS 8
#define REQ_MAX 8192
#define CONN_TIMEOUT_MS 5000
#define DRAIN_MS 1000
#define DRAIN_MAX (256u << 10)
#define ACCEPT_BUDGET 32        /**< connections accepted per wakeup */
#define LISTEN_TAG MAX_CONNS    /**< epoll data of the listening socket */

enum conn_state { CONN_FREE = 0, CONN_READ, CONN_WRITE, CONN_DRAIN };

struct conn {
	int fd;
	enum conn_state st;
	uint64_t deadline_ms;
	size_t in_len;
	size_t out_off;
	size_t drained;
	struct mxp_buf out;
	char in[REQ_MAX];
};

/* The answers the endpoint gives, for its own counters. */
#define STATUSES(X) \
	X(200, "OK") \
	X(400, "Bad Request") \
	X(404, "Not Found") \
	X(405, "Method Not Allowed") \
	X(408, "Request Timeout") \
	X(431, "Request Header Fields Too Large") \
	X(503, "Service Unavailable")

#define ST_IDX_(code, text) ST_##code,
enum { STATUSES(ST_IDX_) ST_COUNT };
#undef ST_IDX_

static const struct {
	unsigned int code;
	const char *text;
} statuses[] = {
#define ST_ROW_(code, text) { code, text },
	STATUSES(ST_ROW_)
#undef ST_ROW_
};

struct mxp_metrics {
	int listen_fd, epfd;
	const struct mxp_cli_ctx *ctx;
	char name[80];                   /**< the listen address, for logs */
	struct conn conn[MAX_CONNS];
	uint64_t answers[ST_COUNT];      /**< by status */
	uint64_t accepted;
	uint64_t busy, timeouts, oversize;
	double start_time;               /**< Unix time of the daemon's start, 0 = not yet */
	uint32_t *ids;                   /**< conference ids, grown to the count */
	uint32_t ids_cap;
	struct mxp_mrfc_silence silence;
	struct mxp_mp_status mp;         /**< 5 kB of counters by code: not on the stack */
};

/* ---- the page ------------------------------------------------------------------------ */

/* s with backslash, newline (and, in a label value, the double quote) escaped. */
static void
put_escaped(struct mxp_buf *b, const char *s, bool label)
{
	for (; *s; s++) {
		if (*s == '\\')
			mxp_buf_add(b, "\\\\", 2);
		else if (*s == '\n')
			mxp_buf_add(b, "\\n", 2);
		else if (*s == '"' && label)
			mxp_buf_add(b, "\\\"", 2);
		else
			mxp_buf_add(b, s, 1);
	}
}

/* A metric family's HELP and TYPE lines; its samples follow, all together. */
static void
family(struct mxp_buf *b, const char *name, const char *type, const char *help)
{
	mxp_buf_printf(b, "# HELP %s ", name);
	put_escaped(b, help, false);
	mxp_buf_printf(b, "\n# TYPE %s %s\n", name, type);
}

/* One sample: name{labels} value. labels: "" or 'k="v",...' (values already escaped). */
static void
sample(struct mxp_buf *b, const char *name, const char *labels, uint64_t v)
{
	if (labels[0])
		mxp_buf_printf(b, "%s{%s} %" PRIu64 "\n", name, labels, v);
	else
		mxp_buf_printf(b, "%s %" PRIu64 "\n", name, v);
}

/* A family of one unlabelled sample. */
static void
single(struct mxp_buf *b, const char *name, const char *type, const char *help, uint64_t v)
{
	family(b, name, type, help);
	sample(b, name, "", v);
}

/* ---- workers, conferences, drops ------------------------------------------------------ */

/* What lib/conf's conference list says, gathered once per page. */
struct conf_totals {
	uint32_t confs[4], legs[4];                    /**< by enum mxp_conf_mode (1-3) */
	uint32_t wconfs[MXP_MAX_WORKERS], wlegs[MXP_MAX_WORKERS];
};

static void
conf_totals(struct mxp_metrics *m, struct conf_totals *t)
{
	const struct mxp_cli_ctx *ctx = m->ctx;
	memset(t, 0, sizeof(*t));
	uint32_t n = mxp_conf_list(ctx->conf, NULL, 0);
	if (n > m->ids_cap) {
		uint32_t *ids = realloc(m->ids, (size_t)n * 2 * sizeof(*ids));
		if (ids == NULL)
			return; /* the page then says 0; the next one tries again */
		m->ids = ids;
		m->ids_cap = n * 2;
	}
	n = RTE_MIN(mxp_conf_list(ctx->conf, m->ids, m->ids_cap), m->ids_cap);
	for (uint32_t i = 0; i < n; i++) {
		struct mxp_conf_info ci;
		if (mxp_conf_get(ctx->conf, m->ids[i], &ci) != 0)
			continue;
		unsigned int mode = (unsigned int)ci.mode < 4 ? (unsigned int)ci.mode : 0;
		t->confs[mode]++;
		t->legs[mode] += ci.nlegs;
		if (ci.worker < MXP_MAX_WORKERS) {
			t->wconfs[ci.worker]++;
			t->wlegs[ci.worker] += ci.nlegs;
		}
	}
}

/* The workers' counters, one family per counter, one sample per worker. */
struct worker_metric {
	const char *name, *type, *help;
	size_t off;   /**< of a uint64_t in struct mxp_worker_stats, or SIZE_MAX */
	int drop;     /**< a drop reason of the worker (off SIZE_MAX), or -1 */
};

#define WS(f) offsetof(struct mxp_worker_stats, f), -1
static const struct worker_metric worker_metrics[] = {
	{ "mixplane_worker_rx_packets_total", "counter", "Packets the worker received.",
	  WS(rx_pkts) },
	{ "mixplane_worker_rx_bytes_total", "counter", "Bytes the worker received.",
	  WS(rx_bytes) },
	{ "mixplane_worker_tx_packets_total", "counter", "Packets the worker sent.",
	  WS(tx_pkts) },
	{ "mixplane_worker_tx_bytes_total", "counter", "Bytes the worker sent.", WS(tx_bytes) },
	{ "mixplane_worker_polls_total", "counter", "Receive polls of the worker.", WS(polls) },
	{ "mixplane_worker_busy_polls_total", "counter",
	  "Polls that received at least one packet: rate(busy_polls) / rate(polls) is the "
	  "worker's load (busy% of show stats).", WS(busy_polls) },
	{ "mixplane_srtp_auth_failures_total", "counter",
	  "SRTP/SRTCP packets whose authentication tag did not match (drop reason srtp_auth).",
	  SIZE_MAX, MXP_DROP_SRTP_AUTH },
	{ "mixplane_srtp_replays_total", "counter",
	  "SRTP/SRTCP packets whose index was already received (drop reason srtp_replay).",
	  SIZE_MAX, MXP_DROP_SRTP_REPLAY },
};
#undef WS

static void
page_workers(struct mxp_metrics *m, struct mxp_buf *b, const struct conf_totals *t)
{
	const struct mxp_cli_ctx *ctx = m->ctx;
	char l[32];
	for (size_t k = 0; k < RTE_DIM(worker_metrics); k++) {
		const struct worker_metric *wm = &worker_metrics[k];
		family(b, wm->name, wm->type, wm->help);
		for (uint16_t i = 0; i < ctx->nb_workers; i++) {
			const struct mxp_worker *w = ctx->workers[i];
			uint64_t v = wm->drop >= 0 ? w->st.drops[wm->drop]
				   : *(const uint64_t *)((const char *)&w->st + wm->off);
			snprintf(l, sizeof(l), "worker=\"%u\"", w->idx);
			sample(b, wm->name, l, v);
		}
	}
	/* lib/conf: the conferences and participants each worker mixes, its mix ticks */
	struct mxp_conf_worker_stats cw[MXP_MAX_WORKERS];
	for (uint16_t i = 0; i < ctx->nb_workers && i < MXP_MAX_WORKERS; i++)
		if (mxp_conf_worker_stats(ctx->conf, i, &cw[i]) != 0)
			memset(&cw[i], 0, sizeof(cw[i]));
	static const struct {
		const char *name, *type, *help;
	} conf_metrics[] = {
		{ "mixplane_worker_conferences", "gauge", "Conferences the worker runs." },
		{ "mixplane_worker_participants", "gauge",
		  "Participants (legs) of the conferences the worker runs." },
		{ "mixplane_mix_ticks_total", "counter",
		  "Mix ticks of the worker's mix conferences (deleted ones included)." },
		{ "mixplane_mix_late_ticks_total", "counter",
		  "Mix ticks skipped because the worker was late (deleted conferences included)." },
		{ "mixplane_mix_copies_total", "counter",
		  "Packets of mix legs copied into a pool mbuf: their data was in an external "
		  "buffer out of the jitter buffer's reach of the mbuf." },
	};
	for (size_t k = 0; k < RTE_DIM(conf_metrics); k++) {
		family(b, conf_metrics[k].name, conf_metrics[k].type, conf_metrics[k].help);
		for (uint16_t i = 0; i < ctx->nb_workers && i < MXP_MAX_WORKERS; i++) {
			uint64_t v = k == 0 ? t->wconfs[i] : k == 1 ? t->wlegs[i]
				   : k == 2 ? cw[i].mix_ticks : k == 3 ? cw[i].mix_late_ticks
				   : cw[i].mix_copies;
			snprintf(l, sizeof(l), "worker=\"%u\"", i);
			sample(b, conf_metrics[k].name, l, v);
		}
	}
	family(b, "mixplane_worker_unresponsive", "gauge",
	       "1 while a command to the worker timed out and it has taken none since (new "
	       "conferences go to the other workers).");
	for (uint16_t i = 0; i < ctx->nb_workers && i < MXP_MAX_WORKERS; i++) {
		snprintf(l, sizeof(l), "worker=\"%u\"", i);
		sample(b, "mixplane_worker_unresponsive", l, cw[i].unresponsive);
	}
}

static void
page_confs(struct mxp_buf *b, const struct conf_totals *t)
{
	static const enum mxp_conf_mode modes[] = { MXP_CONF_SWITCH, MXP_CONF_FORWARD,
						    MXP_CONF_MIX };
	char l[32];
	family(b, "mixplane_conferences", "gauge", "Conferences, by mode.");
	for (size_t k = 0; k < RTE_DIM(modes); k++) {
		snprintf(l, sizeof(l), "mode=\"%s\"", mxp_conf_mode_name(modes[k]));
		sample(b, "mixplane_conferences", l, t->confs[modes[k]]);
	}
	family(b, "mixplane_legs", "gauge",
	       "Legs (participants), by the mode of their conference.");
	for (size_t k = 0; k < RTE_DIM(modes); k++) {
		snprintf(l, sizeof(l), "mode=\"%s\"", mxp_conf_mode_name(modes[k]));
		sample(b, "mixplane_legs", l, t->legs[modes[k]]);
	}
}

static void
page_drops(struct mxp_metrics *m, struct mxp_buf *b)
{
	const struct mxp_cli_ctx *ctx = m->ctx;
	struct mxp_worker_stats s;
	char l[64];
	mxp_stats_sum(ctx->workers, ctx->nb_workers, ctx->cst, &s);
	family(b, "mixplane_drops_total", "counter",
	       "Packets dropped, by reason (mixplanectl show drops all describes each).");
	for (int d = 1; d < MXP_DROP_MAX; d++) {
		snprintf(l, sizeof(l), "reason=\"%s\"", mxp_drop_name((enum mxp_drop)d));
		sample(b, "mixplane_drops_total", l, s.drops[d]);
	}
}

static void
page_ports(struct mxp_metrics *m, struct mxp_buf *b)
{
	const struct mxp_ports *ps = m->ctx->ports;
	struct rte_eth_stats es[MXP_MAX_PORTS];
	struct rte_eth_link link[MXP_MAX_PORTS];
	uint16_t n = RTE_MIN(ps->nb_ports, (uint16_t)MXP_MAX_PORTS);
	for (uint16_t i = 0; i < n; i++)
		mxp_port_counters(&ps->port[i], &es[i], &link[i]);
	static const struct {
		const char *name, *help;
		size_t off;
	} pm[] = {
		{ "mixplane_port_rx_packets_total", "Packets the port received.",
		  offsetof(struct rte_eth_stats, ipackets) },
		{ "mixplane_port_rx_bytes_total", "Bytes the port received.",
		  offsetof(struct rte_eth_stats, ibytes) },
		{ "mixplane_port_rx_errors_total", "Erroneous packets the port received.",
		  offsetof(struct rte_eth_stats, ierrors) },
		{ "mixplane_port_rx_missed_total",
		  "Packets the port dropped: its receive queues were full.",
		  offsetof(struct rte_eth_stats, imissed) },
		{ "mixplane_port_rx_nombuf_total", "Receive mbuf allocation failures.",
		  offsetof(struct rte_eth_stats, rx_nombuf) },
		{ "mixplane_port_tx_packets_total", "Packets the port sent.",
		  offsetof(struct rte_eth_stats, opackets) },
		{ "mixplane_port_tx_bytes_total", "Bytes the port sent.",
		  offsetof(struct rte_eth_stats, obytes) },
		{ "mixplane_port_tx_errors_total", "Packets the port failed to send.",
		  offsetof(struct rte_eth_stats, oerrors) },
	};
	char l[32];
	family(b, "mixplane_port_up", "gauge", "1 when the port's link is up.");
	for (uint16_t i = 0; i < n; i++) {
		snprintf(l, sizeof(l), "port=\"%u\"", i);
		sample(b, "mixplane_port_up", l, link[i].link_status == RTE_ETH_LINK_UP);
	}
	for (size_t k = 0; k < RTE_DIM(pm); k++) {
		family(b, pm[k].name, "counter", pm[k].help);
		for (uint16_t i = 0; i < n; i++) {
			snprintf(l, sizeof(l), "port=\"%u\"", i);
			const uint64_t *v = (const uint64_t *)((const char *)&es[i] + pm[k].off);
			sample(b, pm[k].name, l, *v);
		}
	}
}

static void
page_pools(struct mxp_metrics *m, struct mxp_buf *b)
{
	const struct rte_mempool *pools[] = { m->ctx->pool, m->ctx->hdr_pool };
	static const char *const names[] = { "mbufs", "header_mbufs" };
	char l[32];
	family(b, "mixplane_mbufs", "gauge", "Size of the mbuf pools (show memory).");
	for (size_t k = 0; k < RTE_DIM(pools); k++)
		if (pools[k]) {
			snprintf(l, sizeof(l), "pool=\"%s\"", names[k]);
			sample(b, "mixplane_mbufs", l, pools[k]->size);
		}
	family(b, "mixplane_mbufs_in_use", "gauge", "Mbufs taken from the pools.");
	for (size_t k = 0; k < RTE_DIM(pools); k++)
		if (pools[k]) {
			unsigned int avail = RTE_MIN(rte_mempool_avail_count(pools[k]),
						     pools[k]->size);
			snprintf(l, sizeof(l), "pool=\"%s\"", names[k]);
			sample(b, "mixplane_mbufs_in_use", l, pools[k]->size - avail);
		}
}

/* ---- Mp and ESP ----------------------------------------------------------------------- */

static void
page_mp(struct mxp_metrics *m, struct mxp_buf *b)
{
	static const char *const names[] = {
#define MP_N_(n, d) "mixplane_mp_" #n "_total",
		MXP_MP_COUNTERS(MP_N_)
#undef MP_N_
	};
	static const char *const helps[] = {
#define MP_D_(n, d) d,
		MXP_MP_COUNTERS(MP_D_)
#undef MP_D_
	};
	struct mxp_mp_status *st = &m->mp;
	mxp_mp_plane_status(m->ctx->mp, st);
	bool gave_up = mxp_mrfc_watch(&m->silence, st);
	single(b, "mixplane_mp_enabled", "gauge", "1 when the Mp control plane runs ([mp]).",
	       st->enabled);
	const uint64_t *v = (const uint64_t *)&st->c;
	for (size_t k = 0; k < RTE_DIM(names); k++) {
		if (v + k == &st->c.sctp_up) /* a state, not a count */
			single(b, "mixplane_mp_sctp_up", "gauge", helps[k], v[k]);
		else
			single(b, names[k], "counter", helps[k], v[k]);
	}
	family(b, "mixplane_mp_errors_by_code_total", "counter",
	       "Commands or transactions answered with an error, by H.248.8 error code.");
	for (size_t k = 0; k < MXP_MRFP_ERR_CODES; k++)
		if (st->err_by_code[k]) {
			char l[32];
			snprintf(l, sizeof(l), "code=\"%zu\"", k);
			sample(b, "mixplane_mp_errors_by_code_total", l, st->err_by_code[k]);
		}
	single(b, "mixplane_mp_service_change_attempts_total", "counter",
	       "ServiceChange Restart sent (first sending and retries).", st->sc_attempts);
	single(b, "mixplane_mp_outstanding_requests", "gauge",
	       "Requests of the daemon waiting for the MRFC's reply.", st->outstanding);
	single(b, "mixplane_mp_reply_cache_entries", "gauge", "Replies in the reply cache.",
	       st->reply_cache);
	single(b, "mixplane_mp_legs", "gauge", "Legs the Mp plane keeps records of.", st->legs);
	bool known, up;
	(void)mxp_mrfc_reach(st, gave_up, &known, &up);
	if (known)
		single(b, "mixplane_mrfc_reachable", "gauge",
		       "1 when the MRFC answered the ServiceChange (UDP; and no request of ours "
		       "went unanswered since its last answer) or the SCTP association is up.",
		       up);
}

static void
page_esp(struct mxp_metrics *m, struct mxp_buf *b)
{
	struct mxp_esp_ep *ep = mxp_mp_plane_esp(m->ctx->mp);
	uint32_t n = ep ? mxp_esp_ep_sa_count(ep) : 0;
	single(b, "mixplane_esp_sas", "gauge", "ESP security associations installed.", n);
	if (ep == NULL)
		return;
	const uint64_t *e = mxp_esp_ep_counters(ep);
	char l[160];
	single(b, "mixplane_esp_accepted_total", "counter", "ESP packets accepted.",
	       e[MXP_ESP_DROP_NONE]);
	family(b, "mixplane_esp_drops_total", "counter",
	       "ESP and Mp packets dropped, by reason (bad_icv: authentication failures).");
	for (int d = 1; d < MXP_ESP_DROP_MAX; d++) {
		snprintf(l, sizeof(l), "reason=\"%s\"", mxp_esp_drop_name((enum mxp_esp_drop)d));
		sample(b, "mixplane_esp_drops_total", l, e[d]);
	}
	static const struct {
		const char *name, *type, *help;
	} sm[] = {
		{ "mixplane_esp_sa_sequence", "gauge",
		  "The SA's sequence number: the last sent (out) or the highest received (in)." },
		{ "mixplane_esp_sa_packets_total", "counter",
		  "Packets of the SA: accepted (in) or sent (out)." },
		{ "mixplane_esp_sa_bytes_total", "counter", "Inner payload bytes of the SA." },
		{ "mixplane_esp_sa_auth_failures_total", "counter",
		  "Packets of the SA whose integrity check failed." },
		{ "mixplane_esp_sa_drops_total", "counter",
		  "Packets of the SA dropped (any reason)." },
	};
	for (size_t k = 0; k < RTE_DIM(sm); k++) {
		family(b, sm[k].name, sm[k].type, sm[k].help);
		for (uint32_t i = 0; i < n; i++) {
			struct mxp_esp_sa *sa = mxp_esp_ep_sa_at(ep, i);
			if (sa == NULL)
				break;
			const struct mxp_esp_sa_params *p = mxp_esp_sa_params_get(sa);
			const struct mxp_esp_sa_stats *s = mxp_esp_sa_stats_get(sa);
			char peer[64];
			mxp_ip_format(&p->peer, peer, sizeof(peer));
			snprintf(l, sizeof(l), "dir=\"%s\",spi=\"0x%08x\",peer=\"%s\"",
				 p->dir == MXP_ESP_DIR_IN ? "in" : "out", p->spi, peer);
			uint64_t drops = 0;
			for (int d = 1; d < MXP_ESP_DROP_MAX; d++)
				drops += s->drops[d];
			uint64_t v = k == 0 ? mxp_esp_sa_seq(sa) : k == 1 ? s->packets
				   : k == 2 ? s->bytes : k == 3 ? s->drops[MXP_ESP_DROP_BAD_ICV]
				   : drops;
			sample(b, sm[k].name, l, v);
		}
	}
}

/* ---- the daemon and the endpoint -------------------------------------------------------- */

static void
page_daemon(struct mxp_metrics *m, struct mxp_buf *b)
{
	const struct mxp_cli_ctx *ctx = m->ctx;
	if (m->start_time == 0) {
		/* the monotonic start, on the wall clock, once: later pages give the same */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
		m->start_time = now - (double)(mxp_now_ms() - ctx->start_ms) / 1000.0;
	}
	family(b, "mixplane_build_info", "gauge",
	       "The daemon's version and the libraries it runs with (the value is 1).");
	mxp_buf_printf(b, "mixplane_build_info{version=\"");
	put_escaped(b, MXP_VERSION, true);
	mxp_buf_printf(b, "\",dpdk=\"");
	put_escaped(b, rte_version(), true);
	mxp_buf_printf(b, "\",ipsec_mb=\"");
	put_escaped(b, mxp_crypto_ipsec_mb_version(), true);
	mxp_buf_printf(b, "\"} 1\n");
	family(b, "mixplane_start_time_seconds", "gauge",
	       "When the daemon started, in seconds since the Unix epoch.");
	mxp_buf_printf(b, "mixplane_start_time_seconds %.3f\n", m->start_time);
	single(b, "mixplane_workers", "gauge", "Worker lcores.", ctx->nb_workers);
	single(b, "mixplane_control_frames_total", "counter",
	       "Frames the workers handed to the control core (ARP, ND, ESP, Mp).", ctx->cst->rx);
	single(b, "mixplane_cli_requests_total", "counter", "Control socket requests.",
	       ctx->cst->cli_requests);
	family(b, "mixplane_metrics_answers_total", "counter",
	       "Answers of this endpoint, by HTTP status (this page's own not counted yet).");
	for (int i = 0; i < ST_COUNT; i++) {
		char l[32];
		snprintf(l, sizeof(l), "code=\"%u\"", statuses[i].code);
		sample(b, "mixplane_metrics_answers_total", l, m->answers[i]);
	}
	family(b, "mixplane_metrics_refused_total", "counter",
	       "Connections of this endpoint closed unanswered or answered early: busy (all "
	       "slots taken), oversize (request head too large), timeout (too slow).");
	sample(b, "mixplane_metrics_refused_total", "reason=\"busy\"", m->busy);
	sample(b, "mixplane_metrics_refused_total", "reason=\"oversize\"", m->oversize);
	sample(b, "mixplane_metrics_refused_total", "reason=\"timeout\"", m->timeouts);
}

static void
page(struct mxp_metrics *m, struct mxp_buf *b)
{
	struct conf_totals t;
	conf_totals(m, &t);
	page_daemon(m, b);
	page_confs(b, &t);
	page_workers(m, b, &t);
	page_drops(m, b);
	page_ports(m, b);
	page_pools(m, b);
	page_mp(m, b);
	page_esp(m, b);
}

/* ---- HTTP ------------------------------------------------------------------------------ */

static void
conn_close(struct mxp_metrics *m, struct conn *c)
{
	if (c->st == CONN_FREE)
		return;
	epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->st = CONN_FREE;
	mxp_buf_free(&c->out);
}

static void
conn_watch(struct mxp_metrics *m, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.u32 = (uint32_t)(c - m->conn) };
	epoll_ctl(m->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Throw away what the client still sends; close at its end of file, or past the limits. */
static void
conn_drain(struct mxp_metrics *m, struct conn *c)
{
	char tmp[4096];
	for (;;) {
		ssize_t r = read(c->fd, tmp, sizeof(tmp));
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0 || (c->drained += (size_t)r) > DRAIN_MAX) {
			conn_close(m, c);
			return;
		}
	}
}

static void
conn_write(struct mxp_metrics *m, struct conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t w = send(c->fd, c->out.p + c->out_off, c->out.len - c->out_off,
				 MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			conn_close(m, c);
			return;
		}
		c->out_off += (size_t)w;
	}
	/* All written: no more from us; read the client's end (see the top of the file). */
	shutdown(c->fd, SHUT_WR);
	mxp_buf_free(&c->out);
	c->st = CONN_DRAIN;
	uint64_t d = mxp_now_ms() + DRAIN_MS;
	if (d < c->deadline_ms)
		c->deadline_ms = d;
	conn_watch(m, c, EPOLLIN);
	conn_drain(m, c);
}

/* Answer with status st (the page for 200) and start writing. */
static void
conn_answer(struct mxp_metrics *m, struct conn *c, int st, bool head)
{
	struct mxp_buf body;
	mxp_buf_init(&body);
	if (st == ST_200)
		page(m, &body);
	else if (st == ST_404)
		mxp_buf_printf(&body, "not found: this endpoint serves /metrics only\n");
	else if (st == ST_405)
		mxp_buf_printf(&body, "method not allowed: GET or HEAD /metrics\n");
	else
		mxp_buf_printf(&body, "%s\n", statuses[st].text);
	if (body.oom) {
		mxp_buf_reset(&body);
		st = ST_503;
		mxp_buf_printf(&body, "out of memory building the page\n");
	}
	m->answers[st]++;
	mxp_buf_reset(&c->out);
	mxp_buf_printf(&c->out, "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		       "%sConnection: close\r\nCache-Control: no-store\r\n\r\n",
		       statuses[st].code, statuses[st].text,
		       st == ST_200 ? "text/plain; version=0.0.4; charset=utf-8"
				    : "text/plain; charset=utf-8",
		       body.len, st == ST_405 ? "Allow: GET, HEAD\r\n" : "");
	if (!head)
		mxp_buf_add(&c->out, body.p ? body.p : "", body.len);
	mxp_buf_free(&body);
	if (c->out.oom) {
		conn_close(m, c);
		return;
	}
	c->out_off = 0;
	c->st = CONN_WRITE;
	conn_watch(m, c, EPOLLOUT);
	conn_write(m, c);
}

static void
conn_read(struct mxp_metrics *m, struct conn *c)
{
	for (;;) {
		if (c->in_len == REQ_MAX) {
			m->oversize++;
			conn_answer(m, c, ST_431, false);
			return;
		}
		ssize_t r = read(c->fd, c->in + c->in_len, REQ_MAX - c->in_len);
		if (r == 0) {
			conn_close(m, c); /* gone before a whole request */
			return;
		}
		if (r < 0) {
			if (errno != EAGAIN && errno != EINTR)
				conn_close(m, c);
			return;
		}
		size_t from = c->in_len > 3 ? c->in_len - 3 : 0; /* a CRLFCRLF across reads */
		c->in_len += (size_t)r;
		if (mxp_metrics_http_head_complete(c->in + from, c->in_len - from)) {
			bool head;
			int code = mxp_metrics_http_route(c->in, c->in_len, &head);
			conn_answer(m, c, code == 200 ? ST_200 : code == 404 ? ST_404
					  : code == 405 ? ST_405 : ST_400, head);
			return;
		}
	}
}

/* Refuse a connection with a short answer; the socket is fresh, the answer fits. */
static void
refuse(struct mxp_metrics *m, int fd, int st)
{
	char b[256];
	int n = snprintf(b, sizeof(b), "HTTP/1.1 %u %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
			 statuses[st].code, statuses[st].text, strlen(statuses[st].text) + 1,
			 statuses[st].text);
	m->answers[st]++;
	(void)!send(fd, b, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
	/* read what the client already sent before closing: closing with unread bytes makes
	 * the kernel reset the connection, and a reset can discard the answer at the client
	 * before it reads it; a request still on its way can still do so (rare) */
	shutdown(fd, SHUT_WR);
	char sink[4096];
	for (int i = 0; i < 4 && recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
	close(fd);
}

static void
accept_conns(struct mxp_metrics *m)
{
	for (int k = 0; k < ACCEPT_BUDGET; k++) {
		int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct conn *c = NULL;
		for (int i = 0; i < MAX_CONNS && c == NULL; i++)
			if (m->conn[i].st == CONN_FREE)
				c = &m->conn[i];
		if (c == NULL) {
			m->busy++;
			refuse(m, fd, ST_503);
			continue;
		}
		m->accepted++;
		c->fd = fd;
		c->st = CONN_READ;
		c->deadline_ms = mxp_now_ms() + CONN_TIMEOUT_MS;
		c->in_len = 0;
		c->drained = 0;
		mxp_buf_init(&c->out);
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)(c - m->conn) };
		if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			c->st = CONN_FREE;
			c->fd = -1;
		}
	}
}

void
mxp_metrics_poll(struct mxp_metrics *m)
{
	if (m == NULL)
		return;
	struct epoll_event ev[MAX_CONNS + 1];
	int n = epoll_wait(m->epfd, ev, RTE_DIM(ev), 0);
	for (int i = 0; i < n; i++) {
		uint32_t tag = ev[i].data.u32;
		if (tag == LISTEN_TAG) {
			accept_conns(m);
			continue;
		}
		struct conn *c = &m->conn[tag];
		switch (c->st) {
		case CONN_READ:
			conn_read(m, c);
			break;
		case CONN_WRITE:
			conn_write(m, c);
			break;
		case CONN_DRAIN:
			conn_drain(m, c);
			break;
		case CONN_FREE:
			break;
		}
	}
}

void
mxp_metrics_expire(struct mxp_metrics *m, uint64_t now_ms)
{
	if (m == NULL)
		return;
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &m->conn[i];
		if (c->st == CONN_FREE || now_ms <= c->deadline_ms)
			continue;
		if (c->st != CONN_DRAIN) {
			m->timeouts++;
			if (c->st == CONN_READ) { /* say why, if it fits; then close */
				static const char t[] =
					"HTTP/1.1 408 Request Timeout\r\n"
					"Content-Length: 0\r\nConnection: close\r\n\r\n";
				m->answers[ST_408]++;
				(void)!send(c->fd, t, sizeof(t) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			}
		}
		conn_close(m, c);
	}
}

int
mxp_metrics_fd(const struct mxp_metrics *m)
{
	return m->epfd;
}

int
mxp_metrics_create(const struct mxp_cfg *conf, const struct mxp_cli_ctx *ctx,
		   struct mxp_metrics **out, char *err, size_t errlen)
{
	const struct mxp_metrics_cfg *cfg = &conf->metrics;
	*out = NULL;
	if (!cfg->enabled)
		return 0;
	struct mxp_metrics *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->ctx = ctx;
	m->listen_fd = -1;
	m->epfd = -1;
	for (int i = 0; i < MAX_CONNS; i++)
		m->conn[i].fd = -1;
	mxp_ip_port_format(&cfg->addr, cfg->port, m->name, sizeof(m->name));

	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	if (cfg->addr.af == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg->port);
		memcpy(&s4->sin_addr, &cfg->addr.v4, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg->port);
		memcpy(&s6->sin6_addr, cfg->addr.v6, 16);
		sl = sizeof(*s6);
	}
	int one = 1;
	int r = 0;
	const char *step = "socket";
	m->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->listen_fd < 0)
		goto sys_fail;
	setsockopt(m->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	step = "bind";
	if (bind(m->listen_fd, (struct sockaddr *)&ss, sl) != 0)
		goto sys_fail;
	step = "listen";
	if (listen(m->listen_fd, MAX_CONNS) != 0)
		goto sys_fail;
	step = "epoll";
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->epfd < 0)
		goto sys_fail;
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = LISTEN_TAG };
	if (epoll_ctl(m->epfd, EPOLL_CTL_ADD, m->listen_fd, &ev) != 0)
		goto sys_fail;
	MXP_LOG(INFO, "Prometheus endpoint: GET http://%s/metrics", m->name);
	*out = m;
	return 0;

sys_fail:
	r = -errno;
	snprintf(err, errlen, "%s: [metrics] listen %s: cannot %s: %s%s", conf->path, m->name,
		 step, strerror(errno),
		 r == -EADDRINUSE ? " (another process listens on that port)"
		 : r == -EADDRNOTAVAIL ? " (not an address of this host)"
		 : r == -EACCES ? " (a port below 1024 needs CAP_NET_BIND_SERVICE)" : "");
	mxp_metrics_destroy(m);
	return r;
}

void
mxp_metrics_destroy(struct mxp_metrics *m)
{
	if (m == NULL)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		conn_close(m, &m->conn[i]);
	if (m->listen_fd >= 0)
		close(m->listen_fd);
	if (m->epfd >= 0)
		close(m->epfd);
	free(m->ids);
	free(m);
}
