/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signals' audio (lib/media tone.c, announce.c): tones checked with a Goertzel filter on
 * the generated PCM (frequencies, levels computed here from the dBm0 definition, cadence
 * edges counted in samples), DTMF pairs against ITU-T Q.23, and announcements written
 * here as WAV (16-bit PCM at 8, 16 and 48 kHz, A-law, mu-law) and raw G.711 files, loaded
 * and resampled, checked the same way (a 5 kHz component of a 48 kHz file must not reach
 * the 8 kHz version, where it would alias to 3 kHz); sines converted from 44.1 and 48 kHz
 * keep frequency, level and phase.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mxp_media_codec.h"
#include "mxp_media_signal.h"
#include "mxp_test.h"
#include "mxp_test_audio.h"

/* Amplitude of the component at f in audio sampled at rate. */
static double
goertzel(const int16_t *x, unsigned int n, double rate, double f)
{
	return mxp_test_tone_amp(x, n, f, rate);
}

static double
amp_of(int dbm0)
{
	return 32767.0 * pow(10.0, (dbm0 - 3.14) / 20.0); /* G.711: full scale = +3.14 dBm0 */
}

static bool
near_db(double a, double b, double db)
{
	return a > 0 && b > 0 && fabs(20.0 * log10(a / b)) <= db;
}

/* Generate ms of a signal at 16 kHz (and 8 kHz) in 20 ms frames. */
static unsigned int
gen(struct mxp_siggen *g, int16_t *x16, int16_t *x8, unsigned int ms, unsigned int *end_ms)
{
	unsigned int frames = ms / 20;
	*end_ms = 0;
	for (unsigned int i = 0; i < frames; i++) {
		bool more = mxp_siggen_run(g, x16 + i * 320, x8 ? x8 + i * 160 : NULL, 320, false);
		if (!more && *end_ms == 0)
			*end_ms = (i + 1) * 20;
	}
	return frames * 320;
}

/* Samples where the signal turns on/off (a 2 ms window's energy crosses a threshold). */
static unsigned int
edges(const int16_t *x, unsigned int n, unsigned int *at, unsigned int max)
{
	unsigned int k = 0;
	bool on = false;
	for (unsigned int i = 0; i < n; i++) {
		bool v = abs(x[i]) > 200;
		/* on: first loud sample; off: 32 quiet samples in a row (a sine's zero crossings
		 * are single samples) */
		if (!on && v) {
			on = true;
			if (k < max)
				at[k++] = i;
		} else if (on && !v) {
			unsigned int j = i;
			while (j < n && j < i + 32 && abs(x[j]) <= 200)
				j++;
			if (j == i + 32 || j == n) {
				on = false;
				if (k < max)
					at[k++] = i;
			}
		}
	}
	return k;
}

MXP_TEST(itu_ringing_frequency_level_cadence)
{
	const struct mxp_tone_set *itu = mxp_tone_set_find("itu");
	const struct mxp_tone_def *rt = mxp_tone_find(itu, "cg/rt");
	MXP_CHECK(t, rt != NULL);
	struct mxp_siggen g;
	MXP_CHECK_EQ(t, mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE,
							 .tone = rt }), 0);
	static int16_t x16[16000 * 11], x8[8000 * 11];
	unsigned int end;
	unsigned int n = gen(&g, x16, x8, 11000, &end);
	MXP_CHECK_EQ(t, end, 0); /* ringing tone repeats until stopped */
	/* 425 Hz at -10 dBm0 during the first second, nothing at 400 or 450 */
	double a = goertzel(x16 + 1600, 12800, 16000, 425);
	MXP_CHECK(t, near_db(a, amp_of(-10), 0.2));
	MXP_CHECK(t, goertzel(x16 + 1600, 12800, 16000, 500) < a / 100);
	/* 8 kHz: the same tone */
	MXP_CHECK(t, near_db(goertzel(x8 + 800, 6400, 8000, 425), amp_of(-10), 0.2));
	/* cadence: on at 0, off at 1 s, on at 5 s, off at 6 s, on at 10 s (E.180: 1 s / 4 s) */
	unsigned int at[8];
	unsigned int k = edges(x16, n, at, 8);
	MXP_CHECK_EQ(t, k, 5);
	static const unsigned int want[] = { 0, 16000, 80000, 96000, 160000 };
	for (unsigned int i = 0; i < k && i < 5; i++)
		MXP_CHECK(t, abs((int)at[i] - (int)want[i]) <= 8);
	/* silence is silence */
	MXP_CHECK(t, goertzel(x16 + 32000, 16000, 16000, 425) < 1.0);
}

MXP_TEST(country_sets_differ)
{
	struct mxp_siggen g;
	static int16_t x16[16000];
	unsigned int end;
	/* US dial tone: 350 + 440 Hz at -13 dBm0 each */
	const struct mxp_tone_def *dt = mxp_tone_find(mxp_tone_set_find("us"), "cg/dt");
	MXP_CHECK(t, dt != NULL && dt->seg[0].freq[0] == 350);
	mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE, .tone = dt,
							  .duration_ms = 500 });
	gen(&g, x16, NULL, 1000, &end);
	MXP_CHECK_EQ(t, end, 500); /* the duration cuts a continuous tone */
	MXP_CHECK(t, near_db(goertzel(x16, 8000, 16000, 350), amp_of(-13), 0.2));
	MXP_CHECK(t, near_db(goertzel(x16, 8000, 16000, 440), amp_of(-13), 0.2));
	MXP_CHECK(t, goertzel(x16, 8000, 16000, 425) < 300);
	MXP_CHECK(t, goertzel(x16 + 8000, 8000, 16000, 350) < 1.0);
	/* ITU busy 0.5 / 0.5, DE busy 0.48 / 0.48, UK ringing 400+450 double ring */
	const struct mxp_tone_def *de = mxp_tone_find(mxp_tone_set_find("de"), "bt");
	MXP_CHECK(t, de != NULL && de->seg[0].ms == 480);
	/* a name a country lacks comes from the ITU set */
	MXP_CHECK(t, mxp_tone_find(mxp_tone_set_find("de"), "cg/sit") ==
		      mxp_tone_find(mxp_tone_set_find("itu"), "cg/sit"));
	MXP_CHECK(t, mxp_tone_find(mxp_tone_set_find("uk"), "cg/nope") == NULL);
	MXP_CHECK(t, mxp_tone_set_find("xx") == NULL);
}

MXP_TEST(special_information_tone_sequence)
{
	const struct mxp_tone_def *sit = mxp_tone_find(mxp_tone_set_find("itu"), "cg/sit");
	struct mxp_siggen g;
	mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE, .tone = sit,
							  .repeat = 1 });
	static int16_t x16[16000 * 3];
	unsigned int end;
	gen(&g, x16, NULL, 3000, &end);
	MXP_CHECK_EQ(t, end, 2000); /* 3 x 330 ms + 1 s, once */
	static const double f[3] = { 950, 1400, 1800 };
	for (int s = 0; s < 3; s++) {
		const int16_t *seg = x16 + s * 5280 + 400; /* 330 ms = 5280 samples */
		for (int o = 0; o < 3; o++) {
			double a = goertzel(seg, 4480, 16000, f[o]);
			if (o == s)
				MXP_CHECK(t, near_db(a, amp_of(-14), 0.2));
			else
				MXP_CHECK(t, a < amp_of(-14) / 100);
		}
	}
}

MXP_TEST(repeat_and_once)
{
	struct mxp_siggen g;
	static int16_t x16[16000 * 4];
	unsigned int end;
	/* busy tone twice: 2 s */
	mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE,
		.tone = mxp_tone_find(NULL, "cg/bt"), .repeat = 2 });
	gen(&g, x16, NULL, 4000, &end);
	MXP_CHECK_EQ(t, end, 2000);
	unsigned int at[8];
	MXP_CHECK_EQ(t, edges(x16, 16000 * 4, at, 8), 4);
	/* confirmation tone: played once by nature */
	mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE,
		.tone = mxp_tone_find(NULL, "srvtn/conf") });
	gen(&g, x16, NULL, 1000, &end);
	MXP_CHECK_EQ(t, end, 500);
	MXP_CHECK_EQ(t, edges(x16, 16000, at, 8), 6);
	/* mixing under: add keeps what was there */
	int16_t buf[320];
	for (int i = 0; i < 320; i++)
		buf[i] = 1000;
	mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE,
		.tone = mxp_tone_find(NULL, "cg/dt") });
	int16_t ref[320];
	mxp_siggen_run(&g, ref, NULL, 320, false);
	mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE,
		.tone = mxp_tone_find(NULL, "cg/dt") });
	mxp_siggen_run(&g, buf, NULL, 320, true);
	bool ok = true;
	for (int i = 0; i < 320; i++)
		ok &= buf[i] == ref[i] + 1000;
	MXP_CHECK(t, ok);
	/* a duration whose samples do not fit 32 bits is refused, not cut short: 2^28 + 1 ms
	 * would wrap to 16 samples (1 ms of dial tone) */
	MXP_CHECK_EQ(t, mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE,
		.tone = mxp_tone_find(NULL, "cg/dt"), .duration_ms = (1u << 28) + 1 }), -EINVAL);
	MXP_CHECK_EQ(t, mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_TONE,
		.tone = mxp_tone_find(NULL, "cg/dt"), .duration_ms = 24u * 3600 * 1000 }), 0);
}

MXP_TEST(dtmf_pairs_q23)
{
	static const struct { char d; double lo, hi; } q23[] = {
		{ '1', 697, 1209 }, { '5', 770, 1336 }, { '9', 852, 1477 }, { '0', 941, 1336 },
		{ '*', 941, 1209 }, { '#', 941, 1477 }, { 'A', 697, 1633 }, { 'D', 941, 1633 },
	};
	for (unsigned int i = 0; i < sizeof(q23) / sizeof(q23[0]); i++) {
		char s[2] = { q23[i].d, 0 };
		struct mxp_siggen g;
		MXP_CHECK_EQ(t, mxp_siggen_init(&g, &(struct mxp_siggen_params){
			.kind = MXP_SIGGEN_DTMF, .digits = s, .digit_ms = 80, .gap_ms = 60 }), 0);
		static int16_t x[16000];
		unsigned int end;
		gen(&g, x, NULL, 400, &end);
		MXP_CHECK_EQ(t, end, 140);
		MXP_CHECK(t, near_db(goertzel(x, 1280, 16000, q23[i].lo), amp_of(-8), 0.3));
		MXP_CHECK(t, near_db(goertzel(x, 1280, 16000, q23[i].hi), amp_of(-6), 0.3));
		unsigned int at[4];
		MXP_CHECK_EQ(t, edges(x, 6400, at, 4), 2);
		MXP_CHECK(t, abs((int)at[1] - 1280) <= 8);
		MXP_CHECK_EQ(t, mxp_dtmf_event(q23[i].d), q23[i].d == '*' ? 10 : q23[i].d == '#' ? 11 :
			     q23[i].d >= 'A' ? 12 + q23[i].d - 'A' : q23[i].d - '0');
	}
	struct mxp_siggen g;
	MXP_CHECK_EQ(t, mxp_siggen_init(&g, &(struct mxp_siggen_params){
		.kind = MXP_SIGGEN_DTMF, .digits = "12x" }), -EINVAL);
}

/* ---- announcements -------------------------------------------------------------------- */

static char dir[64];

static void
wr16(FILE *f, unsigned int v) { fputc((int)(v & 255), f); fputc((int)(v >> 8 & 255), f); }
static void
wr32(FILE *f, unsigned int v) { wr16(f, v & 0xffff); wr16(f, v >> 16); }

/* A WAV of ms of 1 kHz at amp (plus 5 kHz at amp if rate allows), format 1/6/7. */
static const char *
write_wav(const char *name, unsigned int fmt, unsigned int rate, unsigned int ch,
	  unsigned int ms, double amp, bool hf)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	unsigned int n = rate * ms / 1000, bps = fmt == 1 ? 2 : 1;
	unsigned int dlen = n * bps * ch;
	fwrite("RIFF", 1, 4, f);
	wr32(f, 4 + 26 + 8 + 8 + dlen);
	fwrite("WAVEfmt ", 1, 8, f);
	wr32(f, 18);
	wr16(f, fmt);
	wr16(f, ch);
	wr32(f, rate);
	wr32(f, rate * bps * ch);
	wr16(f, bps * ch);
	wr16(f, bps * 8);
	wr16(f, 0); /* cbSize */
	fwrite("LIST", 1, 4, f); /* a chunk the loader skips */
	wr32(f, 0);
	fwrite("data", 1, 4, f);
	wr32(f, dlen);
	for (unsigned int i = 0; i < n; i++) {
		double v = amp * sin(2.0 * M_PI * 1000.0 * i / rate);
		if (hf)
			v += amp * sin(2.0 * M_PI * 5000.0 * i / rate);
		for (unsigned int c = 0; c < ch; c++) {
			if (fmt == 1)
				wr16(f, (unsigned int)(uint16_t)(int16_t)lrint(v));
			else
				fputc(fmt == 6 ? mxp_media_alaw_enc1((int16_t)lrint(v)) :
						 mxp_media_ulaw_enc1((int16_t)lrint(v)), f);
		}
	}
	fclose(f);
	return path;
}

static void
check_ann(struct mxp_test_ctx *t, const char *path, unsigned int ms, double amp, double tol_db)
{
	struct mxp_announcement *a = NULL;
	char err[200] = "";
	int r = mxp_announcement_load(path, &a, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	if (r != 0) {
		printf("# %s: %s\n", path, err);
		return;
	}
	MXP_CHECK(t, abs((int)a->samples8 - (int)(ms * 8)) <= 2);
	unsigned int mid8 = a->samples8 / 4, len8 = a->samples8 / 2;
	MXP_CHECK(t, near_db(goertzel(a->pcm8 + mid8, len8, 8000, 1000), amp, tol_db));
	MXP_CHECK(t, near_db(goertzel(a->pcm16 + 2 * mid8, 2 * len8, 16000, 1000), amp, tol_db));
	/* a 16-bit source: nothing at 3 kHz, where the 48 kHz file's 5 kHz would alias in
	 * the 8 kHz version unfiltered (G.711 sources have their own 3rd harmonic there) */
	double a3k = goertzel(a->pcm8 + mid8, len8, 8000, 3000);
	if (strstr(path, "l.wav") == NULL && strstr(path, ".ul") == NULL &&
	    !MXP_CHECK(t, a3k < amp / 300))
		printf("# %s: %.1f at 3 kHz\n", path, a3k);
	/* a generator plays it: the same samples, then it ends */
	struct mxp_siggen g;
	mxp_announcement_get(a);
	MXP_CHECK_EQ(t, mxp_siggen_init(&g, &(struct mxp_siggen_params){
		.kind = MXP_SIGGEN_ANNOUNCEMENT, .ann = a, .repeat = 2 }), 0);
	static int16_t x16[16000 * 4], x8[8000 * 4];
	unsigned int end;
	gen(&g, x16, x8, 2 * ms + 100, &end);
	MXP_CHECK(t, end >= 2 * ms && end <= 2 * ms + 20);
	MXP_CHECK(t, memcmp(x8, a->pcm8, a->samples8 * 2) == 0);
	MXP_CHECK(t, memcmp(x8 + a->samples8, a->pcm8, 2000) == 0); /* the second play */
	MXP_CHECK(t, memcmp(x16, a->pcm16, a->samples8 * 4) == 0);
	MXP_CHECK(t, mxp_siggen_release(&g) == NULL); /* ours is still held */
	MXP_CHECK(t, mxp_announcement_put(a));
	mxp_announcement_free(a);
}

MXP_TEST(announcement_formats)
{
	snprintf(dir, sizeof(dir), "/tmp/mxp_ann_%d", (int)getpid());
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", dir);
	MXP_CHECK_EQ(t, system(cmd), 0);
	check_ann(t, write_wav("a8.wav", 1, 8000, 1, 500, 8000, false), 500, 8000, 0.1);
	check_ann(t, write_wav("a16.wav", 1, 16000, 1, 500, 8000, false), 500, 8000, 0.1);
	/* 48 kHz with 5 kHz: filtered out of the 8 kHz version */
	check_ann(t, write_wav("a48.wav", 1, 48000, 1, 500, 8000, true), 500, 8000, 0.1);
	check_ann(t, write_wav("a44.wav", 1, 44100, 1, 300, 8000, false), 300, 8000, 0.1);
	check_ann(t, write_wav("al.wav", 6, 8000, 1, 400, 8000, false), 400, 8000, 0.2);
	check_ann(t, write_wav("ul.wav", 7, 8000, 1, 400, 8000, false), 400, 8000, 0.2);
	/* raw mu-law (.ul): the data of a mu-law WAV without its header */
	char raw[160];
	snprintf(raw, sizeof(raw), "%s/raw.ul", dir);
	FILE *f = fopen(raw, "wb");
	for (unsigned int i = 0; i < 3200; i++)
		fputc(mxp_media_ulaw_enc1((int16_t)lrint(8000 * sin(2 * M_PI * 1000.0 * i / 8000))), f);
	fclose(f);
	check_ann(t, raw, 400, 8000, 0.2);
	/* refused: stereo, 8-bit PCM, not a WAV, missing */
	struct mxp_announcement *a = NULL;
	char err[200];
	MXP_CHECK_EQ(t, mxp_announcement_load(write_wav("st.wav", 1, 8000, 2, 100, 1000, false),
					      &a, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "mono") != NULL);
	snprintf(raw, sizeof(raw), "%s/text.wav", dir);
	f = fopen(raw, "wb");
	fputs("hello, this is not audio at all", f);
	fclose(f);
	MXP_CHECK_EQ(t, mxp_announcement_load(raw, &a, err, sizeof(err)), -EINVAL);
	snprintf(raw, sizeof(raw), "%s/none.wav", dir);
	MXP_CHECK_EQ(t, mxp_announcement_load(raw, &a, err, sizeof(err)), -ENOENT);
	MXP_CHECK(t, a == NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	MXP_CHECK_EQ(t, system(cmd), 0);
}

/* A mono 16-bit WAV in memory: ms of a sine of f at amp, at rate (malloc'd, *len its size). */
static uint8_t *
wav_mem(unsigned int rate, unsigned int ms, double f, double amp, size_t *len)
{
	size_t n = (size_t)rate * ms / 1000, dlen = 2 * n;
	uint8_t *b = malloc(44 + dlen);
	if (b == NULL)
		return NULL;
	static const uint8_t hdr[36] = {'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E',
					'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0};
	memcpy(b, hdr, 36);
	uint32_t v[] = {(uint32_t)(36 + dlen), rate, rate * 2, (uint32_t)dlen};
	unsigned int at[] = {4, 24, 28, 40};
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int k = 0; k < 4; k++)
			b[at[i] + k] = (uint8_t)(v[i] >> 8 * k);
	b[32] = 2;
	b[34] = 16;
	memcpy(b + 36, "data", 4);
	for (size_t i = 0; i < n; i++) {
		int16_t x = (int16_t)lrint(amp * sin(2.0 * M_PI * f * (double)i / rate));
		b[44 + 2 * i] = (uint8_t)x;
		b[44 + 2 * i + 1] = (uint8_t)((uint16_t)x >> 8);
	}
	*len = 44 + dlen;
	return b;
}

/* A sine converted from rate to out (8000 or 16000): the same frequency and level (0.1 dB,
 * the announcements' tolerance above), in phase with the source: the middle half of the
 * output is the ideal sine at out within 0.1% of amp (rms), and nothing is at 1.1 f. */
static void
check_sine(struct mxp_test_ctx *t, unsigned int rate, unsigned int out, double f)
{
	const double amp = 8000;
	size_t len;
	uint8_t *b = wav_mem(rate, 400, f, amp, &len);
	struct mxp_announcement *a = NULL;
	char err[200] = "";
	int rc = b == NULL ? -ENOMEM : mxp_announcement_parse(b, len, "sine.wav", &a, err,
								 sizeof(err));
	if (!MXP_CHECK(t, rc == 0)) {
		printf("# %u Hz: %s\n", rate, err);
		free(b);
		return;
	}
	free(b);
	unsigned int mul = out / 8000, n = a->samples8 * mul, mid = n / 4, cnt = n / 2;
	const int16_t *y = out == 8000 ? a->pcm8 : a->pcm16;
	MXP_CHECK_EQ(t, a->samples8, 3200u);
	double lv = goertzel(y + mid, cnt, out, f), off = goertzel(y + mid, cnt, out, 1.1 * f);
	double e2 = 0;
	for (unsigned int k = mid; k < mid + cnt; k++) {
		double d = y[k] - amp * sin(2.0 * M_PI * f * k / out);
		e2 += d * d;
	}
	double rms = sqrt(e2 / cnt);
	/* every check runs (and counts) before the one message */
	bool ok_level = MXP_CHECK(t, near_db(lv, amp, 0.1));
	bool ok_off = MXP_CHECK(t, off < amp / 300);
	bool ok_rms = MXP_CHECK(t, rms < amp / 1000);
	if (!ok_level || !ok_off || !ok_rms)
		printf("# %u -> %u Hz, %.0f Hz: level %.2f (want %.0f), at 1.1 f %.2f, "
		       "rms error %.2f\n", rate, out, f, lv, amp, off, rms);
	mxp_announcement_free(a);
}

MXP_TEST(announcement_resample_sine)
{
	/* 44.1 kHz -> 8 kHz: 441:80, 80 phases of the filter */
	check_sine(t, 44100, 8000, 440);
	check_sine(t, 44100, 8000, 1000);
	check_sine(t, 44100, 8000, 2500);
	/* 48 kHz -> 16 kHz: 3:1, one phase */
	check_sine(t, 48000, 16000, 1000);
	check_sine(t, 48000, 16000, 5000);
	/* 44.1 kHz -> 16 kHz (441:160) and 8 -> 16 kHz (upsampling, 1:2) */
	check_sine(t, 44100, 16000, 3000);
	check_sine(t, 8000, 16000, 1000);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(itu_ringing_frequency_level_cadence),
	MXP_CASE(country_sets_differ),
	MXP_CASE(special_information_tone_sequence),
	MXP_CASE(repeat_and_once),
	MXP_CASE(dtmf_pairs_q23),
	MXP_CASE(announcement_formats),
	MXP_CASE(announcement_resample_sine),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
