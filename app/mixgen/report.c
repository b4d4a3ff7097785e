/* SPDX-License-Identifier: BSD-3-Clause */
/* Live progress line, final table and the JSON line. */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "mixgen.h"

static const char *
mode_name(enum mg_mode m)
{
	return m == MG_FORWARD ? "forward" : m == MG_MIX ? "mix" : "switch";
}

static const char *
audio_name(const struct mg_opts *o)
{
	return o->audio == MG_AUDIO_TONE ? "tone" : o->audio == MG_AUDIO_WAV ? "wav" : "pattern";
}

void
mg_progress(struct mg *m, double t, bool final)
{
	static double last_t;
	static uint64_t last_tx, last_rx;
	uint64_t tx = 0, rx = 0, err = 0, lat_n = 0, lat_sum = 0, lat_max = 0;
	for (uint32_t i = 0; i < m->nparts; i++) {
		const struct mg_part *p = &m->parts[i];
		tx += p->tx.pkts;
		rx += p->rx.pkts;
		err += p->rx.auth_fail + p->rx.replay + p->rx.other_fail + p->rx.bad_payload +
		       p->rx.bad_probe;
		lat_n += p->rx.lat_n;
		lat_sum += p->rx.lat_sum_ns;
		if (p->rx.lat_max_ns > lat_max)
			lat_max = p->rx.lat_max_ns;
	}
	double dt = t - last_t;
	if (dt <= 0 && !final)
		return;
	bool tty = isatty(2);
	if (!tty && !final)
		return;
	fprintf(stderr, "%s[%6.1fs] tx %9.0f pps  rx %9.0f pps  sent %" PRIu64 "  received %" PRIu64
			"  errors %" PRIu64 "  latency avg %.1f max %.1f us   %s",
		tty ? "\r" : "", t, dt > 0 ? (double)(tx - last_tx) / dt : 0,
		dt > 0 ? (double)(rx - last_rx) / dt : 0, tx, rx, err,
		lat_n ? (double)lat_sum / (double)lat_n / 1000.0 : 0, (double)lat_max / 1000.0,
		final ? "\n" : "");
	last_t = t;
	last_tx = tx;
	last_rx = rx;
}

static void
trial_row(FILE *f, uint32_t i, const struct mg_trial *t)
{
	char target[32];
	if (t->target_pps > 0)
		snprintf(target, sizeof(target), "%.0f", t->target_pps);
	else
		snprintf(target, sizeof(target), "max");
	fprintf(f, "  %3u %12s %12.0f %12" PRIu64 " %12" PRIu64 " %12" PRIu64 " %10" PRIu64
		   " %8" PRIu64 "  %s%s\n",
		i, target, t->offered_pps, t->sent + t->tx_full, t->expected, t->received,
		t->lost, t->errors, t->pass ? "pass" : "FAIL",
		t->gen_limited ? " (generator limited)" :
		t->backpressure ? " (port full: the daemon did not keep up)" : "");
	if (t->daemon_drops[0] == '{' && strcmp(t->daemon_drops, "{}") != 0)
		fprintf(f, "        daemon drops: %s\n", t->daemon_drops);
}

void
mg_report_table(struct mg *m, const struct mg_result *r, FILE *f)
{
	const struct mg_opts *o = &m->o;
	char rate[64];
	if (o->rate == MG_RATE_REALTIME)
		snprintf(rate, sizeof(rate), "realtime (%u ms)", o->ptime_ms);
	else if (o->rate == MG_RATE_PPS)
		snprintf(rate, sizeof(rate), "%.0f pps", o->pps);
	else
		snprintf(rate, sizeof(rate), "max");
	fprintf(f, "\nmixgen: %s mode, %u conference(s) x %u participants (%u senders), keys %s, "
		   "audio %s, %u-byte SRTP, rate %s, port %s\n",
		mode_name(o->mode), m->nconfs, o->parts, m->confs[0].nsend,
		o->mode == MG_FORWARD ? "conference" : o->keys == MG_KEYS_GROUP ? "group" :
										  "individual",
		audio_name(o), mg_srtp_len(m, &m->parts[0]), rate, m->port.name);

	if (r->searched) {
		fprintf(f, "\nzero-loss search (trials of %.1f s, loss tolerance %g):\n", o->trial_s,
			o->loss_tol);
		fprintf(f, "  %3s %12s %12s %12s %12s %12s %10s %8s  %s\n", "#", "target pps",
			"offered pps", "offered", "expected", "received", "lost", "errors", "result");
		for (uint32_t i = 0; i < r->ntrials; i++)
			trial_row(f, i, &r->trials[i]);
	}

	bool all = o->table_all || m->nparts <= 24;
	if (!r->searched) {
		fprintf(f, "\n%-8s %6s %10s %10s %10s %8s %8s %6s %9s %9s %9s %8s  %s\n", "who", "leg",
			"sent", "expected", "received", "lost", "loss%", "auth", "lat min", "lat avg",
			"lat max", "jitter", "heard (spectrum)");
		for (uint32_t i = 0; i < m->nparts; i++) {
			const struct mg_part *p = &m->parts[i];
			if (!all && i >= 8 && i + 4 < m->nparts) {
				if (i == 8)
					fprintf(f, "  ... %u more (--table-all)\n", m->nparts - 12);
				continue;
			}
			uint64_t e = r->expected ? r->expected[i] : 0, got = r->received ? r->received[i] : 0;
			uint64_t lost = e > got ? e - got : 0;
			fprintf(f, "%-8s %6u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %8" PRIu64
				   " %8.3f %6" PRIu64 " %9.1f %9.1f %9.1f %8.1f  %s\n",
				p->label, p->leg_id, p->tx.pkts, e, got, lost,
				e ? 100.0 * (double)lost / (double)e : 0, p->rx.auth_fail,
				p->rx.lat_n ? (double)p->rx.lat_min_ns / 1000 : 0,
				p->rx.lat_n ? (double)p->rx.lat_sum_ns / (double)p->rx.lat_n / 1000 : 0,
				(double)p->rx.lat_max_ns / 1000, r->jitter_us ? r->jitter_us[i] : 0,
				r->heard && r->heard[i] ? (r->heard[i][0] ? r->heard[i] : "(nobody)") :
							 "-");
		}
		bool any_wav = false;
		for (uint32_t i = 0; r->wav && i < m->nparts; i++)
			if (r->wav[i]) {
				if (!any_wav)
					fprintf(f, "\nrecordings (what each participant heard):\n");
				any_wav = true;
				if (all || i < 8 || i + 4 >= m->nparts)
					fprintf(f, "  %-8s %s\n", m->parts[i].label, r->wav[i]);
			}
	}
	const struct mg_trial *t = &r->run;
	fprintf(f, "\ntotal: sent %" PRIu64 ", expected %" PRIu64 ", received %" PRIu64 ", lost %" PRIu64
		   " (%.4f %%), offered %.0f pps, received %.0f pps\n",
		t->sent, t->expected, t->received, t->lost,
		t->expected ? 100.0 * (double)(t->lost) / (double)t->expected : 0,
		t->offered_pps, t->rx_pps);
	uint64_t n = 0;
	for (uint32_t i = 0; i < MG_LAT_BUCKETS; i++)
		n += m->lat.b[i];
	if (n)
		fprintf(f, "latency over %" PRIu64 " packets (us): p50 %.1f  p90 %.1f  p99 %.1f  "
			   "p99.9 %.1f  max %.1f\n",
			n, mg_lat_quantile(&m->lat, 0.5) / 1000, mg_lat_quantile(&m->lat, 0.9) / 1000,
			mg_lat_quantile(&m->lat, 0.99) / 1000, mg_lat_quantile(&m->lat, 0.999) / 1000,
			mg_lat_quantile(&m->lat, 1.0) / 1000);
	if (o->impair.on)
		fprintf(f, "impairment (--impair, seed %" PRIu64 "): %" PRIu64 " dropped, %" PRIu64
			   " duplicated (%" PRIu64 " copies sent), %" PRIu64 " delayed, %" PRIu64
			   " reordered; delay queue overflow %" PRIu64 ", still queued %" PRIu64 "\n",
			o->impair.seed, m->impair.dropped, m->impair.duplicated, m->impair.dup_sent,
			m->impair.delayed, m->impair.reordered, m->impair.overflow, m->impair.queued);
	if (o->flood.on) {
		uint64_t fsent = 0;
		for (unsigned int k = 0; k < MG_FLOOD_KINDS; k++)
			fsent += m->flood.sent[k];
		fprintf(f, "flood (--flood, %s%.0f packets/s asked, seed %" PRIu64 "): %" PRIu64
			   " sent (%.0f/s):", o->flood.max ? "as fast as the port takes, " : "",
			o->flood.max ? 0 : o->flood.pps, o->flood.seed, fsent,
			r->run.secs > 0 ? (double)fsent / r->run.secs : 0);
		for (unsigned int k = 0; k < MG_FLOOD_KINDS; k++)
			if (o->flood.kinds & (1u << k))
				fprintf(f, " %s %" PRIu64, mg_flood_kind_name(k), m->flood.sent[k]);
		fprintf(f, "; not taken by the port %" PRIu64 ", no mbuf %" PRIu64 "\n",
			m->flood.not_taken, m->flood.no_mbuf);
	}
	if (r->searched)
		fprintf(f, "zero-loss throughput: %.0f packets/s in, %.0f packets/s out%s\n",
			r->zero_loss_pps,
			r->run.offered_pps > 0 ? r->zero_loss_pps * (double)r->run.expected /
							 (double)(r->run.sent + r->run.tx_full) : 0,
			r->search_gen_limited ? " (generator limited: a lower bound)" : "");
	fprintf(f, "\nchecks:\n");
	uint32_t passed = 0;
	for (uint32_t i = 0; i < r->nchecks; i++) {
		fprintf(f, "  %-4s  %-28s %s\n", r->checks[i].pass ? "ok" : "FAIL", r->checks[i].name,
			r->checks[i].detail);
		passed += r->checks[i].pass;
	}
	fprintf(f, "result: %s (%u of %u checks passed)\n\n", r->ok ? "PASS" : "FAIL", passed,
		r->nchecks);
	fflush(f);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

static void
json_trial(FILE *f, const struct mg_trial *t)
{
	fprintf(f, "{\"target_pps\":%.0f,\"offered_pps\":%.0f,\"rx_pps\":%.0f,\"secs\":%.3f,"
		   "\"sent\":%" PRIu64 ",\"tx_full\":%" PRIu64 ",\"expected\":%" PRIu64
		   ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"errors\":%" PRIu64
		   ",\"generator_limited\":%s,\"backpressure\":%" PRIu64 ",\"pass\":%s,"
		   "\"mixgen_idle\":%.3f,\"daemon_drops\":%s}",
		t->target_pps, t->offered_pps, t->rx_pps, t->secs, t->sent, t->tx_full, t->expected,
		t->received, t->lost, t->errors, t->gen_limited ? "true" : "false",
		t->backpressure, t->pass ? "true" : "false", t->mixgen_idle,
		t->daemon_drops[0] == '{' ? t->daemon_drops : "null");
}

void
mg_report_json(struct mg *m, const struct mg_result *r, FILE *f)
{
	const struct mg_opts *o = &m->o;
	const struct mg_trial *t = &r->run;
	fprintf(f, "{\"tool\":\"mixgen\",\"ok\":%s,\"mode\":\"%s\",\"keys\":\"%s\",\"confs\":%u,"
		   "\"participants\":%u,\"senders\":%u,\"audio\":\"%s\",\"codec\":\"%s\","
		   "\"srtp_bytes\":%u,\"frame_bytes\":%u,\"ptime_ms\":%u,\"check\":\"%s\",",
		r->ok ? "true" : "false", mode_name(o->mode),
		o->mode == MG_FORWARD ? "conference" : o->keys == MG_KEYS_GROUP ? "group" :
										  "individual",
		m->nconfs, o->parts, m->confs[0].nsend, audio_name(o),
		o->codec == MG_PCMA ? "PCMA" : "PCMU", mg_srtp_len(m, &m->parts[0]),
		mg_srtp_len(m, &m->parts[0]) + 42, o->ptime_ms,
		o->check == MG_CHECK_FULL ? "full" : "sample");
	fprintf(f, "\"port\":");
	json_str(f, m->port.name);
	fprintf(f, ",\"run\":");
	json_trial(f, t);
	uint64_t n = 0;
	for (uint32_t i = 0; i < MG_LAT_BUCKETS; i++)
		n += m->lat.b[i];
	fprintf(f, ",\"latency_us\":{\"n\":%" PRIu64 ",\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
		   "\"p999\":%.1f,\"max\":%.1f,\"hist\":[",
		n, mg_lat_quantile(&m->lat, 0.5) / 1000, mg_lat_quantile(&m->lat, 0.9) / 1000,
		mg_lat_quantile(&m->lat, 0.99) / 1000, mg_lat_quantile(&m->lat, 0.999) / 1000,
		mg_lat_quantile(&m->lat, 1.0) / 1000);
	/* the non-empty buckets as [middle us, packets] (for plots: benchmarks/common/plot.py) */
	for (uint32_t i = 0, k = 0; i < MG_LAT_BUCKETS; i++)
		if (m->lat.b[i])
			fprintf(f, "%s[%.3f,%" PRIu64 "]", k++ ? "," : "", mg_lat_bucket_ns(i) / 1000,
				m->lat.b[i]);
	fprintf(f, "]}");
	if (o->impair.on)
		fprintf(f, ",\"impair\":{\"loss\":%g,\"dup\":%g,\"reorder\":%g,\"delay_ms\":%g,"
			   "\"jitter_ms\":%g,\"reorder_ms\":%g,\"seed\":%" PRIu64 ",\"dropped\":%" PRIu64
			   ",\"duplicated\":%" PRIu64 ",\"dup_sent\":%" PRIu64 ",\"delayed\":%" PRIu64
			   ",\"reordered\":%" PRIu64 ",\"overflow\":%" PRIu64 ",\"overflow_dropped\":%" PRIu64
			   ",\"dup_no_mbuf\":%" PRIu64 ",\"queued\":%" PRIu64 "}",
			o->impair.loss, o->impair.dup, o->impair.reorder, o->impair.delay_ms,
			o->impair.jitter_ms,
			o->impair.reorder_ms >= 0 ? o->impair.reorder_ms : 1.5 * o->ptime_ms,
			o->impair.seed, m->impair.dropped, m->impair.duplicated, m->impair.dup_sent,
			m->impair.delayed, m->impair.reordered, m->impair.overflow,
			m->impair.overflow_dropped, m->impair.dup_no_mbuf, m->impair.queued);
	if (o->flood.on) {
		uint64_t fsent = 0;
		for (unsigned int k = 0; k < MG_FLOOD_KINDS; k++)
			fsent += m->flood.sent[k];
		char rate[32];
		if (o->flood.max)
			snprintf(rate, sizeof(rate), "\"max\"");
		else
			snprintf(rate, sizeof(rate), "%.0f", o->flood.pps);
		fprintf(f, ",\"flood\":{\"rate\":%s,\"seed\":%" PRIu64 ",\"sent\":%" PRIu64
			   ",\"sent_pps\":%.0f", rate, o->flood.seed, fsent,
			r->run.secs > 0 ? (double)fsent / r->run.secs : 0);
		for (unsigned int k = 0; k < MG_FLOOD_KINDS; k++)
			if (o->flood.kinds & (1u << k))
				fprintf(f, ",\"%s\":%" PRIu64, mg_flood_kind_name(k), m->flood.sent[k]);
		fprintf(f, ",\"not_taken\":%" PRIu64 ",\"no_mbuf\":%" PRIu64 ",\"not_ready\":%" PRIu64
			   "}", m->flood.not_taken, m->flood.no_mbuf, m->flood.not_ready);
	}
	if (r->searched) {
		fprintf(f, ",\"search\":{\"zero_loss_pps\":%.0f,\"zero_loss_out_pps\":%.0f,"
			   "\"generator_limited\":%s,\"trial_s\":%.2f,\"loss_tolerance\":%g,\"trials\":[",
			r->zero_loss_pps,
			t->sent + t->tx_full ? r->zero_loss_pps * (double)t->expected /
						       (double)(t->sent + t->tx_full) : 0,
			r->search_gen_limited ? "true" : "false", o->trial_s, o->loss_tol);
		for (uint32_t i = 0; i < r->ntrials; i++) {
			if (i)
				fputc(',', f);
			json_trial(f, &r->trials[i]);
		}
		fprintf(f, "]}");
	}
	fprintf(f, ",\"checks\":[");
	for (uint32_t i = 0; i < r->nchecks; i++) {
		fprintf(f, "%s{\"name\":", i ? "," : "");
		json_str(f, r->checks[i].name);
		fprintf(f, ",\"pass\":%s,\"detail\":", r->checks[i].pass ? "true" : "false");
		json_str(f, r->checks[i].detail);
		fputc('}', f);
	}
	fprintf(f, "]");
	if (!r->searched && (m->nparts <= 256 || o->table_all)) {
		fprintf(f, ",\"legs\":[");
		for (uint32_t i = 0; i < m->nparts; i++) {
			const struct mg_part *p = &m->parts[i];
			fprintf(f, "%s{\"label\":\"%s\",\"conference\":%u,\"leg\":%u,\"sends\":%s,"
				   "\"sent\":%" PRIu64 ",\"expected\":%" PRIu64 ",\"received\":%" PRIu64
				   ",\"auth_fail\":%" PRIu64 ",\"unknown_mki\":%" PRIu64
				   ",\"bad_payload\":%" PRIu64
				   ",\"seq_gap\":%" PRIu64 ",\"ts_jump\":%" PRIu64 ",\"srtcp\":%" PRIu64
				   ",\"srtcp_fail\":%" PRIu64 ",\"srtcp_unknown_mki\":%" PRIu64
				   ",\"lat_min_us\":%.1f,\"lat_avg_us\":%.1f,\"lat_max_us\":%.1f"
				   ",\"jitter_us\":%.2f",
				i ? "," : "", p->label, m->confs[p->conf].id, p->leg_id,
				p->send ? "true" : "false", p->tx.pkts, r->expected ? r->expected[i] : 0,
				r->received ? r->received[i] : 0, p->rx.auth_fail, p->rx.unknown_mki,
				p->rx.bad_payload,
				p->rx.seq_gap, p->rx.ts_jump, p->rx.srtcp_ok, p->rx.srtcp_fail,
				p->rx.srtcp_unknown_mki,
				p->rx.lat_n ? (double)p->rx.lat_min_ns / 1000 : 0,
				p->rx.lat_n ? (double)p->rx.lat_sum_ns / (double)p->rx.lat_n / 1000 : 0,
				(double)p->rx.lat_max_ns / 1000, r->jitter_us ? r->jitter_us[i] : 0);
			fprintf(f, ",\"dup\":%" PRIu64 ",\"reorder\":%" PRIu64, p->rx.dup,
				p->rx.reorder);
			if (o->impair.on)
				fprintf(f, ",\"impair_lost\":%" PRIu64, p->tx.impair_lost);
			if (r->heard && r->heard[i]) {
				fprintf(f, ",\"heard\":");
				json_str(f, r->heard[i]);
			}
			if (r->wav && r->wav[i]) {
				fprintf(f, ",\"wav\":");
				json_str(f, r->wav[i]);
			}
			fputc('}', f);
		}
		fprintf(f, "]");
	}
	if (r->daemon_drops[0] == '{')
		fprintf(f, ",\"daemon_drops\":%s", r->daemon_drops);
	fprintf(f, "}\n");
	fflush(f);
}
