/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/media benchmark: cost of a mix tick for conferences of N participants of which 3
 * talk (the others send low-level noise every 20 ms, or are silent with DTX), per SIMD
 * variant; an idle conference; codec and resampler throughput; the size of a leg and a
 * mixer. Prints a table and one JSON line. Usage: bench_media [seconds-per-case] (default
 * 1). Pin it with taskset.
 *
 * Packets: the jitter buffer keeps payloads by reference, so each leg receives into
 * buffers of its own, laid out like an mbuf (2,304 bytes, the RTP payload at byte 310),
 * four per leg in turn. Writing the payload there stands for the NIC and SRTP and is not
 * timed; rx is, and the tick reads the payload where it was received, 20 ms later.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxp_media.h"

static uint64_t
ns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t rnd = 1;
static uint32_t
xr(void)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 17;
	rnd ^= rnd << 5;
	return rnd;
}

#define BUF_STRIDE 2304
#define BUF_PAYLOAD 310
#define BUFS_PER_LEG 4

static uint64_t released;

static void
release(void *ref, void *arg)
{
	(void)arg;
	((uint8_t *)ref)[0] = 0; /* the buffer is free again */
	released++;
}

struct result {
	unsigned n;
	const char *simd;
	int dtx;
	double tick_ns, rx_ns, per_part_ns;
};

/* One conference of n legs, 3 talkers; returns ns per tick (tick only) and per packet rx. */
static void
run_conf(unsigned n, enum mxp_media_simd simd, int dtx, double secs, struct result *res)
{
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = n, .simd = simd};
	struct mxp_media_mixer *m = aligned_alloc(64, (mxp_media_mixer_size(&mp) + 63) & ~63ul);
	uint64_t now = 1000000;
	mxp_media_mixer_init(m, &mp, now);
	struct mxp_media_leg_params p = {.ptime_ms = 20, .n_pt = 1, .event_pt = 101,
					 .cn_pt = 13, .out_codec = MXP_MEDIA_CODEC_PCMU,
					 .release = release};
	p.pt_map[0].pt = 0;
	p.pt_map[0].codec = MXP_MEDIA_CODEC_PCMU;
	size_t lsz = (mxp_media_leg_size(&p) + 63) & ~63ul;
	uint8_t *mem = aligned_alloc(64, lsz * n);
	uint8_t *bufs = aligned_alloc(64, (size_t)BUF_STRIDE * BUFS_PER_LEG * n);
	struct mxp_media_leg **legs = calloc(n, sizeof(*legs));
	if (mem == NULL || bufs == NULL || legs == NULL)
		abort();
	for (size_t i = 0; i < (size_t)BUFS_PER_LEG * n; i++)
		bufs[i * BUF_STRIDE] = 0; /* byte 0: held by the leg */
	for (unsigned i = 0; i < n; i++) {
		legs[i] = (struct mxp_media_leg *)(mem + lsz * i);
		p.id = i;
		mxp_media_leg_init(legs[i], &p, NULL, 0);
		mxp_media_mixer_leg_add(m, legs[i]);
	}
	/* payloads: three tones for the talkers, a few noise frames for the others */
	uint8_t tone[3][50][160], noise[8][160];
	int16_t pcm[160];
	for (int k = 0; k < 3; k++)
		for (int f = 0; f < 50; f++) {
			for (int i = 0; i < 160; i++)
				pcm[i] = (int16_t)(8000 * sin(2 * M_PI * (300 + 200 * k) *
							   (f * 160 + i) / 8000.0));
			mxp_media_ulaw_encode(tone[k][f], pcm, 160);
		}
	for (int f = 0; f < 8; f++) {
		for (int i = 0; i < 160; i++)
			pcm[i] = (int16_t)((int)(xr() % 61) - 30);
		mxp_media_ulaw_encode(noise[f], pcm, 160);
	}
	uint64_t ticks = 0, t_tick = 0, t_rx = 0;
	uint64_t end = ns_now() + (uint64_t)(secs * 1e9);
	for (uint64_t k = 0;; k++) {
		/* the NIC and SRTP: this period's packets land in the legs' buffers */
		for (unsigned i = 0; i < n; i++) {
			if (dtx && i >= 3)
				continue;
			uint8_t *b = bufs + ((size_t)i * BUFS_PER_LEG + k % BUFS_PER_LEG) * BUF_STRIDE;
			if (b[0] != 0)
				abort(); /* still held: more than BUFS_PER_LEG - 1 packets buffered */
			memcpy(b + BUF_PAYLOAD, i < 3 ? tone[i][k % 50] : noise[(k + i) & 7], 160);
		}
		uint64_t t0 = ns_now();
		for (unsigned i = 0; i < n; i++) {
			if (dtx && i >= 3)
				continue;
			uint8_t *b = bufs + ((size_t)i * BUFS_PER_LEG + k % BUFS_PER_LEG) * BUF_STRIDE;
			struct mxp_media_pkt pkt = {
				.ref = b, .payload = b + BUF_PAYLOAD, .len = 160,
				.seq = (uint16_t)k, .ts = (uint32_t)(160 * k), .ssrc = i, .pt = 0,
				.level = MXP_MEDIA_LEVEL_NONE,
			};
			if (mxp_media_rx_taken(mxp_media_leg_rx(legs[i], &pkt, now + 3000, NULL)))
				b[0] = 1;
		}
		uint64_t t1 = ns_now();
		now += 20000;
		const struct mxp_media_mix_result *r = mxp_media_mix_tick(m, now);
		uint64_t t2 = ns_now();
		(void)r;
		if (k >= 50) { /* after warm-up */
			t_rx += t1 - t0;
			t_tick += t2 - t1;
			ticks++;
		}
		if (k >= 100 && t2 > end)
			break;
	}
	res->n = n;
	res->simd = mxp_media_simd_name(simd);
	res->dtx = dtx;
	res->tick_ns = (double)t_tick / (double)ticks;
	/* with DTX only 3 legs send; the figure then includes the loop over the n legs */
	res->rx_ns = (double)t_rx / (double)ticks / (dtx ? 3.0 : n);
	res->per_part_ns = ((double)t_tick + (double)t_rx) / (double)ticks / n;
	for (unsigned i = 0; i < n; i++)
		mxp_media_leg_fini(legs[i]);
	free(legs);
	free(mem);
	free(bufs);
	free(m);
}

/* Bytes of a leg (20 ms, default max delay and payload) receiving codec c. */
static size_t
leg_bytes(enum mxp_media_codec c, enum mxp_media_codec c2)
{
	struct mxp_media_leg_params p = {.ptime_ms = 20, .n_pt = 1, .event_pt = 101,
					 .cn_pt = 13, .out_codec = (uint8_t)c};
	p.pt_map[0].pt = 96;
	p.pt_map[0].codec = (uint8_t)c;
	if (c2 != MXP_MEDIA_CODEC_NONE) {
		p.pt_map[1].pt = 97;
		p.pt_map[1].codec = (uint8_t)c2;
		p.n_pt = 2;
	}
	return mxp_media_leg_size(&p);
}

static double
codec_ns(enum mxp_media_codec c, int enc, double secs)
{
	struct mxp_media_coder cd;
	mxp_media_coder_init(&cd, c);
	unsigned rate = mxp_media_codec_rate(c), n = rate / 50;
	int16_t pcm[640];
	uint8_t buf[1280];
	for (unsigned i = 0; i < n; i++)
		pcm[i] = (int16_t)(8000 * sin(i * 0.1));
	int len = mxp_media_encode(&cd, pcm, n, buf, sizeof(buf));
	uint64_t it = 0, t0 = ns_now(), end = t0 + (uint64_t)(secs * 1e9), t;
	do {
		for (int k = 0; k < 100; k++) {
			if (enc)
				mxp_media_encode(&cd, pcm, n, buf, sizeof(buf));
			else
				mxp_media_decode(&cd, buf, (unsigned)len, pcm, 640);
		}
		it += 100;
		t = ns_now();
	} while (t < end);
	return (double)(t - t0) / (double)it;
}

static double
rs_ns(unsigned from, unsigned to, double secs)
{
	struct mxp_media_rs rs;
	mxp_media_rs_init(&rs, from, to);
	static int16_t in[960], out[960];
	unsigned n = from / 50;
	uint64_t it = 0, t0 = ns_now(), end = t0 + (uint64_t)(secs * 1e9), t;
	do {
		for (int k = 0; k < 100; k++)
			mxp_media_rs_run(&rs, out, in, n);
		it += 100;
		t = ns_now();
	} while (t < end);
	return (double)(t - t0) / (double)it;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	static const unsigned sizes[] = {10, 100, 1000, 10000};
	struct result res[64];
	unsigned nr = 0;

	size_t lb711 = leg_bytes(MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMA);
	size_t lb722 = leg_bytes(MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_NONE);
	size_t lb16 = leg_bytes(MXP_MEDIA_CODEC_L16_16K, MXP_MEDIA_CODEC_NONE);
	struct mxp_media_mixer_params mp1k = {.ptime_ms = 20, .max_legs = 1000};
	size_t mb = mxp_media_mixer_size(&mp1k);
	printf("lib/media benchmark, G.711 20 ms, 3 talkers; %.1f s per case\n", secs);
	printf("leg bytes: G.711 %zu, G.722 %zu, L16 16 kHz %zu; mixer of 1000 legs, 3 talkers: "
	       "%zu bytes\n", lb711, lb722, lb16, mb);
	printf("%-7s %-7s %-5s %12s %12s %14s %16s\n", "legs", "simd", "dtx", "tick ns",
	       "rx ns/pkt", "ns/part/tick", "parts/core@20ms");
	for (unsigned s = 0; s < 4; s++)
		for (int v = MXP_MEDIA_SIMD_C; v < MXP_MEDIA_SIMD_COUNT; v++) {
			if (!mxp_media_simd_supported(v))
				continue;
			for (int dtx = 0; dtx < 2; dtx++) {
				struct result *r = &res[nr++];
				run_conf(sizes[s], v, dtx, secs / 2, r);
				printf("%-7u %-7s %-5s %12.0f %12.1f %14.1f %16.0f\n", r->n, r->simd,
				       dtx ? "yes" : "no", r->tick_ns, r->rx_ns, r->per_part_ns,
				       20e6 / r->per_part_ns);
			}
		}
	/* idle: 10,000 legs, nobody sends */
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 10000};
	struct mxp_media_mixer *m = aligned_alloc(64, (mxp_media_mixer_size(&mp) + 63) & ~63ul);
	mxp_media_mixer_init(m, &mp, 0);
	uint64_t t0 = ns_now(), now = 0;
	for (int k = 0; k < 100000; k++)
		mxp_media_mix_tick(m, now += 20000);
	double idle = (double)(ns_now() - t0) / 100000;
	free(m);
	printf("idle conference tick: %.0f ns\n", idle);

	struct {
		const char *name;
		enum mxp_media_codec c;
	} cs[] = {{"pcmu", MXP_MEDIA_CODEC_PCMU}, {"pcma", MXP_MEDIA_CODEC_PCMA},
		  {"g722", MXP_MEDIA_CODEC_G722}, {"l16", MXP_MEDIA_CODEC_L16_8K}};
	double enc[4], dec[4];
	printf("%-6s %16s %16s\n", "codec", "encode ns/20ms", "decode ns/20ms");
	for (int i = 0; i < 4; i++) {
		enc[i] = codec_ns(cs[i].c, 1, secs / 4);
		dec[i] = codec_ns(cs[i].c, 0, secs / 4);
		printf("%-6s %16.0f %16.0f\n", cs[i].name, enc[i], dec[i]);
	}
	double up = rs_ns(8000, 16000, secs / 4), down = rs_ns(16000, 8000, secs / 4);
	printf("resample 8->16 kHz %.0f ns/20ms, 16->8 kHz %.0f ns/20ms\n", up, down);
	/* a 48 kHz (Opus) conference: every other leg upsampled, the shared mix brought down */
	double up8_48 = rs_ns(8000, 48000, secs / 8), up16_48 = rs_ns(16000, 48000, secs / 8);
	double dn48_16 = rs_ns(48000, 16000, secs / 8), dn48_8 = rs_ns(48000, 8000, secs / 8);
	printf("resample 8->48 kHz %.0f, 16->48 kHz %.0f, 48->16 kHz %.0f, 48->8 kHz %.0f "
	       "ns/20ms\n", up8_48, up16_48, dn48_16, dn48_8);

	printf("{\"bench\":\"media\",\"ptime_ms\":20,\"talkers\":3,\"leg_bytes\":{\"g711\":%zu,"
	       "\"g722\":%zu,\"l16_16k\":%zu},\"mixer_bytes_1000_legs\":%zu,\"cases\":[",
	       lb711, lb722, lb16, mb);
	for (unsigned i = 0; i < nr; i++)
		printf("%s{\"legs\":%u,\"simd\":\"%s\",\"dtx\":%s,\"tick_ns\":%.0f,\"rx_ns_per_pkt\":%.1f,"
		       "\"ns_per_participant_tick\":%.1f,\"participants_per_core\":%.0f}",
		       i ? "," : "", res[i].n, res[i].simd, res[i].dtx ? "true" : "false",
		       res[i].tick_ns, res[i].rx_ns, res[i].per_part_ns, 20e6 / res[i].per_part_ns);
	printf("],\"idle_tick_ns\":%.0f,\"codec_ns_per_20ms\":{", idle);
	for (int i = 0; i < 4; i++)
		printf("%s\"%s\":{\"enc\":%.0f,\"dec\":%.0f}", i ? "," : "", cs[i].name, enc[i], dec[i]);
	printf("},\"resample_ns_per_20ms\":{\"up\":%.0f,\"down\":%.0f,\"up_8_48\":%.0f,"
	       "\"up_16_48\":%.0f,\"down_48_16\":%.0f,\"down_48_8\":%.0f}}\n",
	       up, down, up8_48, up16_48, dn48_16, dn48_8);
	return 0;
}
