/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Mp transaction that starts an announcement with a long file (default: 10 minutes of
 * 48 kHz 16-bit mono WAV), before and after the announcement loader: lib/mrfp applies
 * `Modify = leg/N { Signals { an/apf { an = long } } }` to a mix conference (lib/conf, an
 * inline worker), as the daemon's control core does.
 *
 *   before  every conversion inline (mxp_announcement_inline_max(UINT64_MAX), what
 *           ann_get did before): the transaction reads and converts the file; an MRFC's
 *           next transaction waits that long.
 *   after   the default: the transaction checks the file and queues it; the loader (the
 *           same CPU, nice 19) converts it while the "MRFC" sends an AuditValue every 10 ms;
 *           each one's time and how late the thread woke up for it are recorded until the
 *           announcement is ready.
 *   idle    the same AuditValues as long again with nothing converting: how late this
 *           machine wakes the thread anyway (a loaded machine's share of "after").
 *
 * The EAL pins this thread to CPU 0 (-l 0), like the daemon's main lcore; the loader
 * inherits it, so both share one CPU as in the daemon. Prints a table and one JSON line.
 * Usage: bench_announce_mp [seconds 1..600] (default 600).
 */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mrfp_harness.h"
#include "mxp_media_announce.h"

static double
ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *p, uint32_t v)
{
	le16(p, (uint16_t)v);
	le16(p + 2, (uint16_t)(v >> 16));
}

/* secs of a 1 kHz tone plus noise, 48 kHz 16-bit mono. */
static int
write_wav(const char *path, unsigned int secs)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	uint32_t rate = 48000, n = rate * secs, dlen = 2 * n, r = 1;
	uint8_t h[44];
	memcpy(h, "RIFF", 4);
	le32(h + 4, 36 + dlen);
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, 16);
	le16(h + 20, 1);
	le16(h + 22, 1);
	le32(h + 24, rate);
	le32(h + 28, rate * 2);
	le16(h + 32, 2);
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, dlen);
	fwrite(h, 1, sizeof(h), f);
	static uint8_t buf[2 * 48000];
	for (uint32_t i = 0; i < n;) {
		uint32_t k = 0;
		for (; k < 48000 && i < n; k++, i++) {
			r = r * 1103515245u + 12345u;
			double v = 8000.0 * sin(2.0 * M_PI * 1000.0 * (double)i / rate) +
				   (double)(int)(r >> 20 & 1023) - 512.0;
			le16(buf + 2 * k, (uint16_t)(int16_t)lrint(v));
		}
		fwrite(buf, 2, k, f);
	}
	return fclose(f);
}

/* A new modification time, so lib/conf's cache converts the file again. */
static void
touch(const char *path, int sec)
{
	struct timespec ts[2] = { { .tv_sec = 0, .tv_nsec = UTIME_OMIT },
				  { .tv_sec = 1000000000 + sec, .tv_nsec = 0 } };
	utimensat(AT_FDCWD, path, ts, 0);
}

/* An MRFC's AuditValue every 10 ms from t0: while the loader is busy (ms 0), else for ms. */
struct audits {
	double max, sum, late_max;
	unsigned int n;
};

static int
audit_loop(struct env *e, uint32_t c, uint32_t l, double t0, double ms, struct audits *a)
{
	double next = t0 + 10;
	while (ms > 0 ? ms_now() < t0 + ms : mxp_announcement_loader_busy() > 0) {
		double now = ms_now();
		if (now < next) {
			struct timespec ts = { 0, (long)((next - now) * 1e6) };
			nanosleep(&ts, NULL);
			continue;
		}
		double late = now - next;
		double a0 = ms_now();
		const char *r = transact(e, "Transaction = %u { Context = %u { AuditValue = leg/%u "
					 "{ Audit { Signals } } } }", 1000 + a->n, c, l);
		double d = ms_now() - a0;
		mxp_conf_worker_poll(g_w);
		if (err_code(r) != 0) {
			fprintf(stderr, "audit: %s\n", r);
			return -1;
		}
		a->sum += d;
		a->max = d > a->max ? d : a->max;
		a->late_max = late > a->late_max ? late : a->late_max;
		a->n++;
		next += 10;
	}
	return 0;
}

static const char *
start(struct env *e, uint32_t c, uint32_t l, unsigned int id)
{
	return transact(e, "Transaction = %u { Context = %u { Modify = leg/%u { Events = 9 { "
			"g/sc }, Signals { an/apf { an = long, NotifyCompletion = { TimeOut, "
			"InterruptByNewSignalsDescr, OtherReason }, RequestID = 9 } } } } }",
			id, c, l);
}

int
main(int argc, char **argv)
{
	unsigned int secs = argc > 1 ? (unsigned int)atoi(argv[1]) : 600;
	if (secs == 0 || secs > 600) {
		fprintf(stderr, "usage: bench_announce_mp [seconds 1..600]\n");
		return 2;
	}
	if (harness_init(argv[0]) != 0)
		return 1;
	char dir[64], path[128], err[160];
	snprintf(dir, sizeof(dir), "/tmp/mxp_bench_ann_%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/long.wav", dir);
	if (write_wav(path, secs) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		return 1;
	}
	struct env e = env_new();
	uint32_t c = 0;
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { Media { "
				 "TerminationState { mxp/mode = mix }, Stream = 1 { LocalControl { "
				 "Mode = SendReceive }, Local {\nv=0\nc=IN IP4 $\nm=audio $ "
				 "RTP/SAVP 0\n%s\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio 9000 RTP/SAVP 0\n"
				 "a=rtpmap:0 PCMU/8000\n%s\n} } } } } }", crypto(1, 1), PEER_IP,
				 crypto(2, 1));
	c = reply_ctx(r);
	uint32_t l = reply_leg(r, "Add");
	if (err_code(r) != 0 || mxp_conf_signal_configure(e.sys, NULL, dir, err, sizeof(err))) {
		fprintf(stderr, "setup: %s %s\n", r, err);
		return 1;
	}

	/* before: the conversion inside the transaction */
	uint64_t old = mxp_announcement_inline_max(UINT64_MAX);
	touch(path, 1);
	double t0 = ms_now();
	r = start(&e, c, l, 10);
	double before_ms = ms_now() - t0;
	if (err_code(r) != 0) {
		fprintf(stderr, "before: %s\n", r);
		return 1;
	}
	transact(&e, "Transaction = 11 { Context = %u { Modify = leg/%u { Signals { } } } }", c, l);
	mxp_conf_worker_poll(g_w);

	/* after: checked and queued; an AuditValue every 10 ms until it is converted */
	mxp_announcement_inline_max(old);
	touch(path, 2);
	t0 = ms_now();
	r = start(&e, c, l, 20);
	double after_ms = ms_now() - t0;
	if (err_code(r) != 0) {
		fprintf(stderr, "after: %s\n", r);
		return 1;
	}
	struct audits aft = { 0 };
	if (audit_loop(&e, c, l, t0, 0, &aft) != 0)
		return 1;
	double ready_ms = ms_now() - t0;
	transact(&e, "Transaction = 21 { Context = %u { Modify = leg/%u { Signals { } } } }", c, l);
	mxp_conf_worker_poll(g_w);
	struct mxp_announcement_info in[4];
	unsigned int ni = mxp_announcement_poll(in, 4, NULL);
	bool ok = ni >= 1 && in[ni - 1].state == MXP_ANN_READY;

	/* the same audits as long again with nothing converting: the machine's own lateness */
	struct audits base = { 0 };
	if (audit_loop(&e, c, l, ms_now(), ready_ms, &base) != 0)
		return 1;

	printf("%-8s %9s %13s %12s %15s %16s %7s\n", "mode", "audio_s", "start_txn_ms",
	       "ready_ms", "next_txn_max_ms", "wake_late_max_ms", "audits");
	printf("%-8s %9u %13.1f %12.1f %15.1f %16s %7s\n", "before", secs, before_ms, before_ms,
	       before_ms, "-", "-");
	printf("%-8s %9u %13.2f %12.1f %15.2f %16.2f %7u\n", "after", secs, after_ms, ready_ms,
	       aft.max, aft.late_max, aft.n);
	printf("%-8s %9s %13s %12s %15.2f %16.2f %7u\n", "idle", "-", "-", "-", base.max,
	       base.late_max, base.n);
	printf("{\"bench\":\"announce_mp\",\"audio_s\":%u,\"src_rate\":48000,"
	       "\"start_txn_ms_before\":%.1f,\"start_txn_ms_after\":%.2f,\"ready_ms_after\":%.1f,"
	       "\"next_txn_max_ms_before\":%.1f,\"next_txn_max_ms_after\":%.2f,"
	       "\"audit_mean_ms_after\":%.3f,\"wake_late_max_ms_after\":%.2f,\"audits\":%u,"
	       "\"next_txn_max_ms_idle\":%.2f,\"wake_late_max_ms_idle\":%.2f,"
	       "\"converted\":%s}\n", secs, before_ms, after_ms, ready_ms, before_ms, aft.max,
	       aft.n ? aft.sum / aft.n : 0.0, aft.late_max, aft.n, base.max, base.late_max,
	       ok ? "true" : "false");
	env_free(&e);
	mxp_announcement_loader_stop();
	unlink(path);
	rmdir(dir);
	return ok ? 0 : 1;
}
