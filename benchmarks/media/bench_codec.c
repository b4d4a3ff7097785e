/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Codec cost benchmark: ns per 20 ms decode and per 20 ms encode of a speech-like signal
 * (harmonic tones with a moving pitch and envelope, plus noise; deterministic) for G.711
 * mu-law, G.722 and every frame codec in frame_codecs[] below, on one core; the operations
 * per core per second that implies, and the "channel capacity": how many transcoded
 * streams (one decode and one encode every 20 ms) a core would sustain doing nothing else.
 * Prints a table and one JSON line.
 *
 *   bench_codec [--quick] [--seconds S]     (S per codec and direction, default 1; --quick
 *                                             0.1). Pin it: taskset -c 1 bench_codec
 *
 * Each figure is the best of ROUNDS rounds (interference on a shared machine only slows a
 * round down). Decoding cycles over 2 s of payloads the same codec encoded beforehand;
 * encoding cycles over the 2 s of PCM with the encoder's state carried on.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec_opus.h"
#include "mxp_media_codec.h"

#define ROUNDS 5
#define SIG_MS 2000
#define NFRAMES (SIG_MS / 20)
#define MAX_PL 1500

static uint64_t
ns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Speech-like: three harmonics of a pitch moving between 100 and 220 Hz, a syllable-rate
 * envelope with pauses, and -40 dB noise (xorshift, fixed seed). */
static void
speechlike(int16_t *out, unsigned n, unsigned fs)
{
	uint32_t s = 12345;
	for (unsigned i = 0; i < n; i++) {
		double t = (double)i / fs;
		double env = sin(2 * M_PI * 2.5 * t);
		env = env > 0 ? env : 0.05; /* talk spurts and near pauses */
		double f0 = 160 + 60 * sin(2 * M_PI * 0.9 * t);
		double v = 0.5 * sin(2 * M_PI * f0 * t) + 0.25 * sin(2 * M_PI * 2 * f0 * t + 1) +
			   0.12 * sin(2 * M_PI * 5 * f0 * t + 2);
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		v = v * env + ((double)(s & 0xffff) / 65536.0 - 0.5) * 0.02;
		out[i] = (int16_t)lrint(v * 24000);
	}
}

/* Opus variants: the complexity trade-off (the default is MXP_MEDIA_OPUS_COMPLEXITY). */
static void
opus_c0(void *enc)
{
	mxp_media_opus_set_complexity(enc, 0);
}

static void
opus_c10(void *enc)
{
	mxp_media_opus_set_complexity(enc, 10);
}

/*
 * The frame codecs measured, through struct mxp_media_codec_ops. Add a codec with one line.
 * Opus takes and gives 48 kHz PCM; it sends fullband unless the peer's maxplaybackrate
 * says less (opus-wb: what a wideband-only peer costs). AMR and AMR-WB with their defaults
 * (bandwidth-efficient, 12.2 and 12.65 kbit/s, DTX on).
 */
static const struct frame_codec {
	const char *label;
	const struct mxp_media_codec_ops *ops;
	const char *fmtp;
	void (*tune)(void *enc); /* after enc_create, or NULL */
} frame_codecs[] = {
	{"opus", &mxp_media_opus_ops, "", NULL},
	{"opus-c0", &mxp_media_opus_ops, "", opus_c0},
	{"opus-c10", &mxp_media_opus_ops, "", opus_c10},
	{"opus-fec-dtx", &mxp_media_opus_ops, "useinbandfec=1;usedtx=1", NULL},
	{"opus-wb", &mxp_media_opus_ops, "maxplaybackrate=16000", NULL},
	{"amr", &mxp_media_amr_ops, "", NULL},
	{"amr-wb", &mxp_media_amrwb_ops, "", NULL},
	{"amr-wb-23.85", &mxp_media_amrwb_ops, "mode-set=8", NULL},
};
#define N_FRAME (sizeof(frame_codecs) / sizeof(frame_codecs[0]))

enum kind { K_PCMU, K_G722, K_FRAME };

struct bench {
	const char *label;
	enum kind kind;
	const struct frame_codec *fc;
	unsigned rate;
	/* state */
	struct mxp_media_g722_state g722e, g722d;
	void *enc, *dec;
	/* results */
	double enc_ns, dec_ns, bytes;
	unsigned skipped; /* DTX: packet times that sent nothing */
};

/* The signal at each codec rate: 8, 16 and 48 kHz */
static int16_t sig8[8 * SIG_MS], sig16[16 * SIG_MS], sig48[48 * SIG_MS];
static uint8_t pl[NFRAMES][MAX_PL];
static int pllen[NFRAMES];
static int16_t pcm_out[MXP_MEDIA_MAX_FRAME];
static volatile unsigned sink;

/* The signal at a codec's PCM rate, NULL for a rate it is not made at. */
static const int16_t *
signal_at(unsigned rate)
{
	return rate == 8000 ? sig8 : rate == 16000 ? sig16 : rate == 48000 ? sig48 : NULL;
}

static int
encode1(struct bench *b, unsigned k, uint8_t *out)
{
	unsigned n = b->rate / 50;
	const int16_t *in = signal_at(b->rate) + (size_t)(k % NFRAMES) * n;
	switch (b->kind) {
	case K_PCMU:
		mxp_media_ulaw_encode(out, in, n);
		return (int)n;
	case K_G722:
		return (int)mxp_media_g722_encode(&b->g722e, out, in, n);
	default:
		return b->fc->ops->encode(b->enc, in, n, out, MAX_PL);
	}
}

static int
decode1(struct bench *b, unsigned k)
{
	unsigned f = k % NFRAMES;
	switch (b->kind) {
	case K_PCMU:
		mxp_media_ulaw_decode(pcm_out, pl[f], (unsigned)pllen[f]);
		return pllen[f];
	case K_G722:
		return (int)mxp_media_g722_decode(&b->g722d, pcm_out, pl[f], (unsigned)pllen[f]);
	default:
		if (pllen[f] == 0) /* DTX: nothing arrived; the receiver conceals */
			return b->fc->ops->conceal(b->dec, pcm_out, b->rate / 50);
		return b->fc->ops->decode(b->dec, pl[f], (unsigned)pllen[f], pcm_out,
					  MXP_MEDIA_MAX_FRAME, NULL);
	}
}

/* Best ns per call over ROUNDS rounds of secs / ROUNDS each. */
static double
measure(struct bench *b, int enc, double secs)
{
	double best = 1e18;
	uint8_t out[MAX_PL];
	unsigned k = 0;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t it = 0, t0 = ns_now(), end = t0 + (uint64_t)(secs / ROUNDS * 1e9), t;
		do {
			for (int i = 0; i < 50; i++, k++)
				sink += (unsigned)(enc ? encode1(b, k, out) : decode1(b, k));
			it += 50;
			t = ns_now();
		} while (t < end);
		double v = (double)(t - t0) / (double)it;
		if (v < best)
			best = v;
	}
	return best;
}

static int
setup(struct bench *b)
{
	mxp_media_g722_init(&b->g722e);
	mxp_media_g722_init(&b->g722d);
	if (b->kind == K_FRAME) {
		const struct mxp_media_codec_ops *o = b->fc->ops;
		struct mxp_media_fmtp f;
		char err[128];
		memset(&f, 0, sizeof(f));
		if (o->fmtp_parse(b->fc->fmtp, &f, err, sizeof(err)) != 0) {
			fprintf(stderr, "%s: fmtp: %s\n", b->label, err);
			return -1;
		}
		b->rate = o->rate;
		if (signal_at(b->rate) == NULL || b->rate / 50 > MXP_MEDIA_MAX_FRAME) {
			fprintf(stderr, "%s: no signal at %u Hz\n", b->label, b->rate);
			return -1;
		}
		b->enc = o->enc_create(&f, 20);
		b->dec = o->dec_create(&f);
		if (b->enc == NULL || b->dec == NULL) {
			fprintf(stderr, "%s: cannot create the encoder or decoder\n", b->label);
			return -1;
		}
		if (b->fc->tune != NULL)
			b->fc->tune(b->enc);
	}
	/* the payloads decoding cycles over, from a fresh encoder of the same kind */
	unsigned long total = 0;
	b->skipped = 0;
	for (unsigned k = 0; k < NFRAMES; k++) {
		pllen[k] = encode1(b, k, pl[k]);
		if (pllen[k] < 0) {
			fprintf(stderr, "%s: encode failed\n", b->label);
			return -1;
		}
		total += (unsigned long)pllen[k];
		b->skipped += pllen[k] == 0;
	}
	b->bytes = (double)total / NFRAMES;
	return 0;
}

static void
teardown(struct bench *b)
{
	if (b->kind == K_FRAME) {
		b->fc->ops->enc_destroy(b->enc);
		b->fc->ops->dec_destroy(b->dec);
	}
}

static void
cpu_name(char *buf, size_t cap)
{
	snprintf(buf, cap, "unknown");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "model name", 10) == 0) {
			char *p = strchr(line, ':');
			if (p != NULL) {
				p += p[1] == ' ' ? 2 : 1;
				p[strcspn(p, "\n")] = '\0';
				snprintf(buf, cap, "%s", p);
			}
			break;
		}
	fclose(f);
}

int
main(int argc, char **argv)
{
	double secs = 1.0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			secs = 0.1;
		else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_codec [--quick] [--seconds S]\n");
			return 2;
		}
	}
	if (!(secs > 0))
		secs = 1.0;
	speechlike(sig8, 8 * SIG_MS, 8000);
	speechlike(sig16, 16 * SIG_MS, 16000);
	speechlike(sig48, 48 * SIG_MS, 48000);

	static struct bench b[2 + N_FRAME];
	unsigned nb = 0;
	b[nb++] = (struct bench){.label = "pcmu", .kind = K_PCMU, .rate = 8000};
	b[nb++] = (struct bench){.label = "g722", .kind = K_G722, .rate = 16000};
	for (unsigned i = 0; i < N_FRAME; i++)
		b[nb++] = (struct bench){.label = frame_codecs[i].label, .kind = K_FRAME,
					 .fc = &frame_codecs[i]};

	char cpu[128];
	cpu_name(cpu, sizeof(cpu));
	printf("codec cost per 20 ms of speech-like audio, best of %d rounds, %.2f s per codec "
	       "and direction; %s\n", ROUNDS, secs, cpu);
	printf("opus: 48 kHz PCM, fullband (opus-wb: maxplaybackrate=16000), 24 kbit/s VBR, "
	       "complexity %d unless named (c0, c10)\n", MXP_MEDIA_OPUS_COMPLEXITY);
	printf("%-13s %5s %7s %11s %11s %11s %11s %13s\n", "codec", "rate", "B/20ms", "enc ns",
	       "dec ns", "enc/s/core", "dec/s/core", "streams/core");
	int failed = 0;
	for (unsigned i = 0; i < nb; i++) {
		if (setup(&b[i]) != 0) {
			failed = 1;
			b[i].enc_ns = b[i].dec_ns = 0;
			continue;
		}
		b[i].enc_ns = measure(&b[i], 1, secs);
		b[i].dec_ns = measure(&b[i], 0, secs);
		teardown(&b[i]);
		printf("%-13s %5u %7.1f %11.0f %11.0f %11.0f %11.0f %13.0f\n", b[i].label, b[i].rate,
		       b[i].bytes, b[i].enc_ns, b[i].dec_ns, 1e9 / b[i].enc_ns, 1e9 / b[i].dec_ns,
		       20e6 / (b[i].enc_ns + b[i].dec_ns));
	}
	printf("streams/core: transcoded streams one core sustains (a decode and an encode every "
	       "20 ms, nothing else)\n");
	printf("{\"bench\":\"codec\",\"ptime_ms\":20,\"seconds\":%.2f,\"rounds\":%d,\"cpu\":\"%s\","
	       "\"opus_complexity\":%d,\"codecs\":[",
	       secs, ROUNDS, cpu, MXP_MEDIA_OPUS_COMPLEXITY);
	for (unsigned i = 0, first = 1; i < nb; i++) {
		if (b[i].enc_ns <= 0)
			continue;
		printf("%s{\"codec\":\"%s\",\"rate\":%u,\"bytes_per_20ms\":%.1f,\"dtx_skipped\":%u,"
		       "\"enc_ns\":%.0f,\"dec_ns\":%.0f,\"enc_per_s\":%.0f,\"dec_per_s\":%.0f,"
		       "\"streams_per_core\":%.0f}",
		       first ? "" : ",", b[i].label, b[i].rate, b[i].bytes, b[i].skipped,
		       b[i].enc_ns, b[i].dec_ns, 1e9 / b[i].enc_ns, 1e9 / b[i].dec_ns,
		       20e6 / (b[i].enc_ns + b[i].dec_ns));
		first = 0;
	}
	printf("]}\n");
	return failed;
}
