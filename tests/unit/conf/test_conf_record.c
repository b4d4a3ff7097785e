/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recordings of mix conferences (lib/conf conf_record.c) with an inline worker: plain RTP
 * participants send tones of their own frequency in real time, the conference mixes them,
 * the recording is read back as a WAV file and a Goertzel filter says which tones are in
 * it. Checks: the header (format, rate, sizes), both talkers heard, the length is the
 * ticks recorded; a recording of senders only (nobody receives the shared mix); ticks the
 * control core did not drain in time counted as dropped and written as silence (the file
 * keeps real time); a write error (RLIMIT_FSIZE) stops the recording alone with a valid
 * file; the conference's deletion and the system's destruction finish it; the errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "mxp_be.h"
#include "mxp_conf.h"
#include "mxp_media_codec.h"
#include "mxp_test.h"
#include "mxp_test_audio.h"

static struct rte_mempool *pool, *hdr_pool;
static struct mxp_conf_worker *g_w;
static uint64_t drops[MXP_DROP_MAX];
static const struct rte_ether_addr our_mac = { { 2, 0, 0, 0, 0, 0x10 } };
static char dir[64];
static char err[320];

static void
io_drop(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg, (void)port;
	rte_pktmbuf_free(m);
}

static bool
io_neigh(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_ether_addr *mac)
{
	(void)arg, (void)port, (void)dst;
	memset(mac, 0x22, sizeof(*mac));
	return true;
}

static void
io_punt(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	(void)dst;
	io_drop(arg, port, m);
}

static struct mxp_conf_sys *
new_sys(bool with_dir)
{
	struct mxp_conf_sys_params p = {
		.nb_workers = 1, .nb_addrs = 1, .port_min = 20000, .port_max = 29999,
		.pool = pool, .hdr_pool = hdr_pool, .inline_workers = true,
	};
	if (mxp_ip_parse("192.0.2.2", &p.addrs[0].ip, NULL))
		abort();
	p.addrs[0].mac = our_mac;
	struct mxp_conf_sys *sys = mxp_conf_sys_create(&p, err, sizeof(err));
	static const struct mxp_conf_io io = { .tx = io_drop, .neigh = io_neigh, .punt = io_punt };
	if (sys == NULL || (g_w = mxp_conf_worker_attach(sys, 0, &io, NULL, drops)) == NULL)
		abort();
	if (with_dir && mxp_conf_record_dir(sys, dir, err, sizeof(err)) != 0)
		abort();
	return sys;
}

static uint32_t
new_conf(struct mxp_conf_sys *sys, enum mxp_conf_mode mode)
{
	struct mxp_conf_params cp = { .mode = mode };
	uint32_t id = 0;
	if (mxp_conf_create(sys, &cp, &id, err, sizeof(err)))
		abort();
	return id;
}

/* A plain RTP participant sending PCMU. */
struct talker {
	struct mxp_ip addr;
	uint16_t port, seq;
	uint32_t ts, ssrc;
	double freq;
	struct mxp_leg_info leg;
};

static void
talker_add_pt(struct mxp_conf_sys *sys, uint32_t conf, struct talker *tk, unsigned int i,
	      double freq, enum mxp_stream_mode mode, uint8_t pt)
{
	memset(tk, 0, sizeof(*tk));
	char a[32];
	snprintf(a, sizeof(a), "198.51.100.%u", 10 + i);
	if (mxp_ip_parse(a, &tk->addr, NULL))
		abort();
	tk->port = (uint16_t)(40000 + 2 * i);
	tk->ssrc = 0x5000 + i;
	tk->freq = freq;
	struct mxp_leg_params lp = { .af = AF_INET, .remote_known = true, .remote = tk->addr,
				     .remote_port = tk->port, .mode = mode, .plain = true,
				     .n_pt = 1, .pt = { pt } };
	if (mxp_conf_leg_add(sys, conf, &lp, &tk->leg, err, sizeof(err)) != 0) {
		printf("# leg add: %s\n", err);
		abort();
	}
}

static void
talker_add(struct mxp_conf_sys *sys, uint32_t conf, struct talker *tk, unsigned int i,
	   double freq, enum mxp_stream_mode mode)
{
	talker_add_pt(sys, conf, tk, i, freq, mode, 0);
}

/* One 20 ms PCMU packet of the talker's tone, into the worker. */
static void
talker_send(struct talker *tk)
{
	uint8_t rtp[12 + 160];
	rtp[0] = 0x80;
	rtp[1] = 0;
	mxp_be_wr16(rtp + 2, tk->seq++);
	mxp_be_wr32(rtp + 4, tk->ts);
	mxp_be_wr32(rtp + 8, tk->ssrc);
	for (unsigned int i = 0; i < 160; i++)
		rtp[12 + i] = mxp_media_ulaw_enc1(
			(int16_t)(8000.0 * sin(2 * M_PI * tk->freq * (tk->ts + i) / 8000.0)));
	tk->ts += 160;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct mxp_pkt_udp_addr a = { .src_mac = { { 2, 0, 0, 0, 0, 0x20 } }, .dst_mac = our_mac,
				      .src = tk->addr, .dst = tk->leg.local, .sport = tk->port,
				      .dport = tk->leg.local_port };
	uint16_t hl = mxp_pkt_udp_hdr_len(AF_INET);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + sizeof(rtp)));
	memcpy(f + hl, rtp, sizeof(rtp));
	mxp_pkt_build_udp(f, &a, sizeof(rtp), mxp_pkt_payload_sum(rtp, sizeof(rtp)));
	struct mxp_pkt_meta meta;
	if (mxp_pkt_parse(f, rte_pktmbuf_data_len(m), 0, &meta) != MXP_PKT_UDP)
		abort();
	if (!mxp_conf_rx(g_w, 0, m, &meta))
		rte_pktmbuf_free(m);
}

/* Run ms in real time: the talkers send every 20 ms, the worker polls; with drain the
 * control core drains the recordings every 20 ms too. */
static void
run(struct mxp_conf_sys *sys, unsigned int ms, struct talker *tk, unsigned int n, bool drain)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	for (unsigned int k = 0; k < ms / 20;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			for (unsigned int i = 0; i < n; i++)
				talker_send(&tk[i]);
			if (drain)
				mxp_conf_record_poll(sys);
			k++;
		}
		mxp_conf_worker_poll(g_w);
	}
}

/* ---- the file ---------------------------------------------------------------------------------- */

struct wav {
	bool ok;                 /* a canonical 16-bit mono PCM WAV whose sizes agree */
	uint32_t rate;
	uint32_t n;
	int16_t *pcm;
	mode_t mode;
};

static struct wav
wav_read(const char *name)
{
	struct wav w = { 0 };
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return w;
	struct stat st;
	fstat(fileno(f), &st);
	w.mode = st.st_mode & 07777;
	uint8_t h[44];
	if (fread(h, 1, 44, f) == 44) {
		uint32_t riff = h[4] | h[5] << 8 | h[6] << 16 | (uint32_t)h[7] << 24;
		uint32_t data = h[40] | h[41] << 8 | h[42] << 16 | (uint32_t)h[43] << 24;
		w.rate = h[24] | h[25] << 8 | h[26] << 16 | (uint32_t)h[27] << 24;
		w.ok = !memcmp(h, "RIFF", 4) && !memcmp(h + 8, "WAVEfmt ", 8) && h[16] == 16 &&
		       h[20] == 1 && h[22] == 1 && h[34] == 16 && !memcmp(h + 36, "data", 4) &&
		       riff == data + 36 && (off_t)data + 44 == st.st_size &&
		       (h[28] | h[29] << 8 | h[30] << 16) == (int)w.rate * 2;
		w.n = data / 2;
		w.pcm = calloc(w.n + 1, 2);
		if (fread(w.pcm, 2, w.n, f) != w.n)
			w.ok = false;
	}
	fclose(f);
	return w;
}


static void
rm(const char *name)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

/* ---- tests ---------------------------------------------------------------------------------- */

/* Two talkers (500 Hz, 1300 Hz) for a second: both in the file, its length the ticks. */
MXP_TEST(both_talkers_recorded_length_is_the_time)
{
	struct mxp_conf_sys *sys = new_sys(true);
	uint32_t conf = new_conf(sys, MXP_CONF_MIX);
	struct talker tk[2];
	talker_add(sys, conf, &tk[0], 0, 500, MXP_SM_SENDRECV);
	talker_add(sys, conf, &tk[1], 1, 1300, MXP_SM_SENDRECV);
	rm("both.wav");
	struct mxp_rec_params p = { .name = "both.wav" };
	uint64_t t0 = rte_rdtsc();
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, conf, &p, err, sizeof(err)), 0);
	run(sys, 1000, tk, 2, true);
	struct mxp_rec_info in;
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, conf, &in), 0);
	MXP_CHECK_EQ(t, in.state, MXP_REC_ACTIVE);
	MXP_CHECK_EQ(t, mxp_conf_record_stop(sys, conf, err, sizeof(err)), 0);
	double secs = (double)(rte_rdtsc() - t0) / (double)rte_get_tsc_hz();
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, conf, &in), 0);
	MXP_CHECK_EQ(t, in.state, MXP_REC_STOPPED);
	MXP_CHECK_EQ(t, in.rate, 8000);
	MXP_CHECK_EQ(t, in.dropped, 0);
	struct wav w = wav_read("both.wav");
	MXP_CHECK(t, w.ok);
	MXP_CHECK_EQ(t, w.rate, 8000);
	MXP_CHECK_EQ(t, w.mode & ~0640u, 0);
	MXP_CHECK_EQ(t, (uint64_t)w.n, in.frames * 160);
	MXP_CHECK_EQ(t, in.bytes, 44 + 2 * (uint64_t)w.n);
	/* every tick between the start and the stop, within two */
	double ticks = secs * 50;
	MXP_CHECK(t, in.frames + 2 >= ticks && in.frames <= ticks + 2);
	printf("# %u samples, %.1f ticks of wall time, %" PRIu64 " recorded\n", w.n, ticks,
	       in.frames);
	/* the last half second: both tones, nothing at 3 kHz */
	if (MXP_CHECK(t, w.n >= 4000)) {
		const int16_t *x = w.pcm + w.n - 4000;
		double a500 = mxp_test_tone_amp(x, 4000, 500, 8000);
		double a1300 = mxp_test_tone_amp(x, 4000, 1300, 8000);
		double a3000 = mxp_test_tone_amp(x, 4000, 3000, 8000);
		printf("# 500 Hz %.0f, 1300 Hz %.0f, 3000 Hz %.0f\n", a500, a1300, a3000);
		MXP_CHECK(t, a500 > 4000 && a1300 > 4000 && a3000 < 400);
	}
	free(w.pcm);
	/* the history keeps it; the totals count it */
	struct mxp_rec_stats st;
	mxp_conf_record_stats(sys, &st);
	MXP_CHECK(t, st.started == 1 && st.stopped == 1 && st.active == 0 && st.disk_full == 0);
	rm("both.wav");
	mxp_conf_sys_destroy(sys);
}

/*
 * Senders only (nobody receives the shared mix), and a control core that does not drain
 * for 600 ms with 8 buffers: the ticks beyond them are dropped, counted, and written as
 * silence, so the file still has every tick; the worker never waited.
 */
MXP_TEST(senders_only_and_dropped_ticks_keep_time)
{
	struct mxp_conf_sys *sys = new_sys(true);
	uint32_t conf = new_conf(sys, MXP_CONF_MIX);
	struct talker tk[2];
	talker_add(sys, conf, &tk[0], 0, 700, MXP_SM_SENDONLY);
	talker_add(sys, conf, &tk[1], 1, 1700, MXP_SM_SENDONLY);
	rm("drop.wav");
	struct mxp_rec_params p = { .name = "drop.wav", .bufs = 8 };
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, conf, &p, err, sizeof(err)), 0);
	uint64_t t0 = rte_rdtsc();
	run(sys, 400, tk, 2, true);
	run(sys, 600, tk, 2, false);   /* the control core is busy: 30 ticks, 8 buffers */
	struct mxp_rec_info in;
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, conf, &in), 0);
	MXP_CHECK(t, in.dropped >= 18);
	run(sys, 400, tk, 2, true);
	MXP_CHECK_EQ(t, mxp_conf_record_stop(sys, conf, err, sizeof(err)), 0);
	double ticks = (double)(rte_rdtsc() - t0) * 50 / (double)rte_get_tsc_hz();
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, conf, &in), 0);
	printf("# %" PRIu64 " ticks recorded, %.1f of wall time, %" PRIu64 " dropped\n",
	       in.frames, ticks, in.dropped);
	MXP_CHECK(t, in.frames + 2 >= ticks && in.frames <= ticks + 2);
	struct wav w = wav_read("drop.wav");
	MXP_CHECK(t, w.ok);
	MXP_CHECK_EQ(t, (uint64_t)w.n, in.frames * 160);
	if (MXP_CHECK(t, w.n >= 4000)) {
		const int16_t *x = w.pcm + w.n - 2400; /* the last 300 ms: drained again */
		MXP_CHECK(t, mxp_test_tone_amp(x, 2400, 700, 8000) > 4000 &&
			     mxp_test_tone_amp(x, 2400, 1700, 8000) > 4000);
	}
	free(w.pcm);
	struct mxp_rec_stats st;
	mxp_conf_record_stats(sys, &st);
	MXP_CHECK_EQ(t, st.dropped, in.dropped);
	rm("drop.wav");
	mxp_conf_sys_destroy(sys);
}

/* A write error (the file size limit: EFBIG) stops that recording only, with a valid file
 * of what was written; its conference goes on mixing, another recording starts and runs. */
MXP_TEST(write_error_stops_that_recording_only)
{
	struct mxp_conf_sys *sys = new_sys(true);
	uint32_t c1 = new_conf(sys, MXP_CONF_MIX), c2 = new_conf(sys, MXP_CONF_MIX);
	struct talker tk[2];
	talker_add(sys, c1, &tk[0], 0, 500, MXP_SM_SENDRECV);
	talker_add(sys, c2, &tk[1], 1, 900, MXP_SM_SENDRECV);
	rm("small.wav");
	rm("other.wav");
	struct rlimit old, lim;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = (struct rlimit){ 44 + 8000, old.rlim_max }; /* half a second of audio */
	signal(SIGXFSZ, SIG_IGN);
	MXP_CHECK_EQ(t, setrlimit(RLIMIT_FSIZE, &lim), 0);
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, c1, &(struct mxp_rec_params){
							.name = "small.wav" }, err, sizeof(err)), 0);
	run(sys, 1000, tk, 2, true);
	setrlimit(RLIMIT_FSIZE, &old);
	struct mxp_rec_info in;
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, c1, &in), 0);
	MXP_CHECK_EQ(t, in.state, MXP_REC_WRITE_ERROR);
	MXP_CHECK_EQ(t, in.err, EFBIG);
	struct wav w = wav_read("small.wav");
	printf("# small.wav: %s, %u samples\n", w.ok ? "valid" : "invalid", w.n);
	MXP_CHECK(t, w.ok && w.n > 0 && w.n <= 4000);
	free(w.pcm);
	MXP_CHECK_EQ(t, mxp_conf_record_stop(sys, c1, NULL, 0), -ESRCH);
	struct mxp_conf_info ci;
	MXP_CHECK_EQ(t, mxp_conf_get(sys, c1, &ci), 0);
	uint64_t ticks = ci.mix_ticks;
	/* another recording: starts, runs */
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, c2, &(struct mxp_rec_params){
							.name = "other.wav" }, err, sizeof(err)), 0);
	run(sys, 200, tk, 2, true);
	MXP_CHECK_EQ(t, mxp_conf_get(sys, c1, &ci), 0);
	MXP_CHECK(t, ci.mix_ticks >= ticks + 8);
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, c2, &in), 0);
	MXP_CHECK_EQ(t, in.state, MXP_REC_ACTIVE);
	struct mxp_rec_stats st;
	mxp_conf_record_stats(sys, &st);
	MXP_CHECK(t, st.write_errors == 1 && st.disk_full == 0 && st.active == 1);
	/* a conference deleted while recording: the file ends valid */
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c2, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, c2, &in), 0);
	MXP_CHECK_EQ(t, in.state, MXP_REC_CONF_GONE);
	w = wav_read("other.wav");
	MXP_CHECK(t, w.ok && w.n == in.frames * 160 && in.frames >= 8);
	free(w.pcm);
	rm("small.wav");
	rm("other.wav");
	mxp_conf_sys_destroy(sys);
}

/* The mix rate goes from 8 to 16 kHz while recording (a G.722 listener joins): the file
 * keeps its 8 kHz, the 16 kHz ticks are converted (resampled): the tone is still there,
 * the length is still the ticks. */
MXP_TEST(mix_rate_change_converted)
{
	struct mxp_conf_sys *sys = new_sys(true);
	uint32_t conf = new_conf(sys, MXP_CONF_MIX);
	struct talker tk, wb;
	talker_add(sys, conf, &tk, 0, 600, MXP_SM_SENDRECV);
	rm("rate.wav");
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, conf, &(struct mxp_rec_params){
		.name = "rate.wav" }, err, sizeof(err)), 0);
	run(sys, 400, &tk, 1, true);
	talker_add_pt(sys, conf, &wb, 1, 0, MXP_SM_RECVONLY, 9); /* G.722: a 16 kHz mix */
	run(sys, 800, &tk, 1, true);
	MXP_CHECK_EQ(t, mxp_conf_record_stop(sys, conf, err, sizeof(err)), 0);
	struct mxp_rec_info in;
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, conf, &in), 0);
	MXP_CHECK_EQ(t, in.rate, 8000);
	MXP_CHECK(t, in.converted >= 30 && in.converted <= in.frames - 15); /* 16 kHz ticks */
	struct wav w = wav_read("rate.wav");
	MXP_CHECK(t, w.ok && w.rate == 8000 && (uint64_t)w.n == in.frames * 160);
	if (MXP_CHECK(t, w.n >= 4000)) {
		const int16_t *x = w.pcm + w.n - 3200; /* the last 400 ms: mixed at 16 kHz */
		double a = mxp_test_tone_amp(x, 3200, 600, 8000), b = mxp_test_tone_amp(x, 3200, 2600, 8000);
		printf("# after the change: 600 Hz %.0f, 2600 Hz %.0f\n", a, b);
		MXP_CHECK(t, a > 4000 && b < 400);
	}
	free(w.pcm);
	rm("rate.wav");
	mxp_conf_sys_destroy(sys);
}

/* max_seconds: the recording stops by itself with that much audio (a tick's worth at most
 * more), its state says so. */
MXP_TEST(max_seconds_stops)
{
	struct mxp_conf_sys *sys = new_sys(true);
	uint32_t conf = new_conf(sys, MXP_CONF_MIX);
	struct talker tk;
	talker_add(sys, conf, &tk, 0, 500, MXP_SM_SENDRECV);
	rm("max.wav");
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, conf, &(struct mxp_rec_params){
		.name = "max.wav", .max_seconds = 1 }, err, sizeof(err)), 0);
	run(sys, 1400, &tk, 1, true);
	struct mxp_rec_info in;
	MXP_CHECK_EQ(t, mxp_conf_record_get(sys, conf, &in), 0);
	MXP_CHECK_EQ(t, in.state, MXP_REC_MAX_TIME);
	MXP_CHECK(t, in.audio_ms >= 1000 && in.audio_ms < 1020);
	struct wav w = wav_read("max.wav");
	MXP_CHECK(t, w.ok && w.n >= 8000 && w.n < 8160);
	free(w.pcm);
	struct mxp_rec_stats st;
	mxp_conf_record_stats(sys, &st);
	MXP_CHECK(t, st.active == 0 && st.stopped == 1 && st.disk_full == 0 && st.write_errors == 0);
	rm("max.wav");
	mxp_conf_sys_destroy(sys);
}

/* The system destroyed while recording (the daemon's SIGTERM): a valid file. */
MXP_TEST(shutdown_finishes_the_file)
{
	struct mxp_conf_sys *sys = new_sys(true);
	uint32_t conf = new_conf(sys, MXP_CONF_MIX);
	struct talker tk;
	talker_add(sys, conf, &tk, 0, 500, MXP_SM_SENDRECV);
	rm("down.wav");
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, conf, &(struct mxp_rec_params){
							.name = "down.wav" }, err, sizeof(err)), 0);
	run(sys, 300, &tk, 1, false); /* queued, not yet written: written at the end */
	mxp_conf_sys_destroy(sys);
	struct wav w = wav_read("down.wav");
	MXP_CHECK(t, w.ok && w.n >= 12 * 160 && w.n <= 17 * 160);
	free(w.pcm);
	rm("down.wav");
}

/* What is refused, and changes nothing. */
MXP_TEST(refusals)
{
	struct mxp_conf_sys *sys = new_sys(false);
	uint32_t mix = new_conf(sys, MXP_CONF_MIX), sw = new_conf(sys, MXP_CONF_SWITCH);
	uint32_t fw = new_conf(sys, MXP_CONF_FORWARD);
	struct mxp_rec_params p = { .name = "r.wav" };
	rm("r.wav");
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, mix, &p, err, sizeof(err)), -ENODEV);
	MXP_CHECK_EQ(t, mxp_conf_record_dir(sys, "relative", err, sizeof(err)), -EINVAL);
	MXP_CHECK_EQ(t, mxp_conf_record_dir(sys, dir, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, sw, &p, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK(t, strstr(err, "switch") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, fw, &p, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, 999, &p, err, sizeof(err)), -ENOENT);
	static const char *const bad[] = { "../r.wav", "a/r.wav", ".r.wav", "r.txt", "", ".wav",
					   "r wav.wav", "..", "/tmp/r.wav" };
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		p.name = bad[i];
		MXP_CHECK_EQ(t, mxp_conf_record_start(sys, mix, &p, err, sizeof(err)), -EINVAL);
	}
	p.name = "r.wav";
	p.max_seconds = 8 * 86400;
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, mix, &p, err, sizeof(err)), -EINVAL);
	p.max_seconds = 0;
	/* an existing file: refused unless overwrite; a symbolic link always */
	char path[160], tgt[160];
	snprintf(path, sizeof(path), "%s/r.wav", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	MXP_CHECK(t, fd >= 0 && write(fd, "x", 1) == 1);
	close(fd);
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, mix, &p, err, sizeof(err)), -EEXIST);
	snprintf(tgt, sizeof(tgt), "%s/l.wav", dir);
	MXP_CHECK_EQ(t, symlink(path, tgt), 0);
	p.name = "l.wav";
	p.overwrite = true;
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, mix, &p, err, sizeof(err)), -EINVAL);
	unlink(tgt);
	p.name = "r.wav";
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, mix, &p, err, sizeof(err)), 0);
	struct stat st;
	MXP_CHECK(t, stat(path, &st) == 0 && st.st_size == 44); /* replaced: a header */
	MXP_CHECK_EQ(t, mxp_conf_record_start(sys, mix, &p, err, sizeof(err)), -EALREADY);
	MXP_CHECK_EQ(t, mxp_conf_record_stop(sys, sw, err, sizeof(err)), -ESRCH);
	MXP_CHECK_EQ(t, mxp_conf_record_stop(sys, 999, err, sizeof(err)), -ENOENT);
	MXP_CHECK_EQ(t, mxp_conf_record_stop(sys, mix, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_record_stop(sys, mix, err, sizeof(err)), -ESRCH);
	struct wav w = wav_read("r.wav");
	MXP_CHECK(t, w.ok);
	free(w.pcm);
	rm("r.wav");
	mxp_conf_sys_destroy(sys);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(both_talkers_recorded_length_is_the_time),
	MXP_CASE(senders_only_and_dropped_ticks_keep_time),
	MXP_CASE(write_error_stops_that_recording_only),
	MXP_CASE(mix_rate_change_converted),
	MXP_CASE(max_seconds_stops),
	MXP_CASE(shutdown_finishes_the_file),
	MXP_CASE(refusals),
};

int
main(int argc, char **argv)
{
	if (mxp_test_eal_init(argv[0]) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_pool", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("test_hdr", 8191, 0, 0, 256, 0);
	snprintf(dir, sizeof(dir), "/tmp/mxp_rec_%d", (int)getpid());
	if (pool == NULL || hdr_pool == NULL || mkdir(dir, 0700) != 0)
		return 1;
	umask(022);
	int r = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	rmdir(dir);
	return r;
}
