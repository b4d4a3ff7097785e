/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Announcements: audio files read and converted once, on the control core, to 16-bit PCM
 * at both mix rates; workers then read them without a copy.
 *
 * Formats: RIFF WAVE (format 1 PCM 16-bit, 6 A-law, 7 mu-law, or WAVE_FORMAT_EXTENSIBLE
 * with one of them), mono; raw G.711 and L16 named by their extension. Conversion to 8 and
 * 16 kHz is a windowed-sinc (Blackman) resampler with its cutoff below the lower Nyquist
 * frequency, computed in double precision: offline work, not on the packet path, but on
 * the control core inside the transaction that starts a signal, so the taps are a table
 * per fractional phase (see resample) and 60 s of 44.1 kHz converts in well under 0.5 s.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "mxp_media_codec.h"
#include "mxp_media_signal.h"

#define MAX_SECONDS 600
#define HALF_ZC 12 /* zero crossings of the lower rate on each side of the filter */

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Blackman window on [-1, 1]. */
static double
blackman(double x)
{
	return 0.42 + 0.5 * cos(M_PI * x) + 0.08 * cos(2.0 * M_PI * x);
}

static unsigned int
gcd(unsigned int a, unsigned int b)
{
	while (b != 0) {
		unsigned int r = a % b;
		a = b;
		b = r;
	}
	return a;
}

/*
 * Resample n samples at rate in to rate out (identity when equal). *on gets the count.
 *
 * Output sample k sits at t = k * in / out input samples. With in / out reduced to P / L,
 * t = q + p / L for whole q and p in [0, L): only L fractional phases occur (80 for
 * 44.1 -> 8 kHz, 1 for 48 -> 16 kHz), so the filter taps of each phase are computed once
 * into a table and the loop over the output is multiply-adds only.
 */
static int16_t *
resample(const int16_t *x, size_t n, unsigned int in, unsigned int out, size_t *on)
{
	size_t m = (size_t)((uint64_t)n * out / in);
	int16_t *y = malloc((m ? m : 1) * sizeof(*y));
	if (y == NULL)
		return NULL;
	*on = m;
	if (in == out) {
		memcpy(y, x, n * sizeof(*y));
		return y;
	}
	double fc = 0.45 * (in < out ? in : out);     /* Hz: below the lower Nyquist */
	double half = HALF_ZC * (double)in / (2.0 * fc); /* filter half-width, input samples */
	double g = 2.0 * fc / in;                      /* passband gain of the sinc */
	unsigned int c = gcd(in, out), P = in / c, L = out / c;
	/* taps j - q in [-r, r]; those with |d| > half are zero, as they were left out */
	long r = (long)ceil(half) + 1, w = 2 * r + 1;
	double *h = malloc((size_t)L * (size_t)w * sizeof(*h));
	if (h == NULL) {
		free(y);
		return NULL;
	}
	for (unsigned int p = 0; p < L; p++)
		for (long i = -r; i <= r; i++) {
			double d = (double)i - (double)p / L; /* j - t */
			double a = 2.0 * fc / in * d;
			double s = d == 0 ? 1.0 : sin(M_PI * a) / (M_PI * a);
			h[(size_t)p * (size_t)w + (size_t)(i + r)] =
				fabs(d) > half ? 0.0 : g * s * blackman(d / half);
		}
	for (size_t k = 0; k < m; k++) {
		uint64_t num = (uint64_t)k * P;
		long q = (long)(num / L);
		const double *hp = h + (size_t)(num % L) * (size_t)w + r; /* hp[j - q] */
		long lo = q - r < 0 ? 0 : q - r, hi = q + r < (long)n ? q + r : (long)n - 1;
		double acc = 0;
		for (long j = lo; j <= hi; j++)
			acc += x[j] * hp[j - q];
		y[k] = (int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : lrint(acc));
	}
	free(h);
	return y;
}

static int
fail(char *err, size_t errlen, int code, const char *fmt, const char *arg)
{
	if (err != NULL && errlen)
		snprintf(err, errlen, fmt, arg);
	return code;
}

/* Decode raw samples of a WAV/raw format into 16-bit PCM (malloc'd). */
static int16_t *
decode(const uint8_t *p, size_t bytes, unsigned int fmt, size_t *n)
{
	size_t cnt = fmt == 1 ? bytes / 2 : bytes;
	int16_t *x = malloc((cnt ? cnt : 1) * sizeof(*x));
	if (x == NULL)
		return NULL;
	if (fmt == 1)
		for (size_t i = 0; i < cnt; i++)
			x[i] = (int16_t)rd16(p + 2 * i);
	else if (fmt == 6)
		mxp_media_alaw_decode(x, p, (unsigned int)cnt);
	else
		mxp_media_ulaw_decode(x, p, (unsigned int)cnt);
	*n = cnt;
	return x;
}

/* Find fmt and data of a RIFF WAVE file. */
static int
wav_parse(const uint8_t *b, size_t len, unsigned int *fmt, unsigned int *rate,
	  const uint8_t **data, size_t *dlen, char *err, size_t errlen)
{
	if (len < 12 || memcmp(b, "RIFF", 4) != 0 || memcmp(b + 8, "WAVE", 4) != 0)
		return fail(err, errlen, -EINVAL, "%s: not a RIFF WAVE file", "announcement");
	bool have_fmt = false;
	unsigned int bits = 0, ch = 0;
	*data = NULL;
	for (size_t off = 12; off + 8 <= len;) {
		uint32_t sz = rd32(b + off + 4);
		const uint8_t *c = b + off + 8;
		size_t avail = len - off - 8;
		if (memcmp(b + off, "fmt ", 4) == 0) {
			if (sz < 16 || sz > avail)
				return fail(err, errlen, -EINVAL, "%s: truncated fmt chunk", "WAV");
			*fmt = rd16(c);
			ch = rd16(c + 2);
			*rate = rd32(c + 4);
			bits = rd16(c + 14);
			if (*fmt == 0xfffe) { /* WAVE_FORMAT_EXTENSIBLE: the sub-format's code */
				if (sz < 40)
					return fail(err, errlen, -EINVAL,
						    "%s: truncated WAVE_FORMAT_EXTENSIBLE", "WAV");
				*fmt = rd16(c + 24);
			}
			have_fmt = true;
		} else if (memcmp(b + off, "data", 4) == 0) {
			*data = c;
			*dlen = sz <= avail ? sz : avail; /* a truncated file: what is there */
			break;
		}
		off += 8 + (size_t)sz + (sz & 1);
	}
	if (!have_fmt || *data == NULL)
		return fail(err, errlen, -EINVAL, "%s: no fmt or no data chunk", "WAV");
	if (ch != 1)
		return fail(err, errlen, -EINVAL, "%s: only mono is supported", "WAV");
	if (!((*fmt == 1 && bits == 16) || ((*fmt == 6 || *fmt == 7) && bits == 8)))
		return fail(err, errlen, -EINVAL,
			    "%s: only 16-bit PCM, A-law or mu-law (8-bit) are supported", "WAV");
	if (*rate != 8000 && *rate != 16000 && *rate != 32000 && *rate != 44100 &&
	    *rate != 48000)
		return fail(err, errlen, -EINVAL,
			    "%s: sample rate not 8000, 16000, 32000, 44100 or 48000", "WAV");
	return 0;
}

int
mxp_announcement_load(const char *path, struct mxp_announcement **out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return fail(err, errlen, errno == ENOENT ? -ENOENT : -EIO, "%s: cannot open",
			    path);
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return fail(err, errlen, -EINVAL, "%s: not a regular file", path);
	}
	/* the longest accepted: 10 minutes of 16-bit 48 kHz, plus headers */
	if (st.st_size > (off_t)MAX_SECONDS * 48000 * 2 + 65536) {
		fclose(f);
		return fail(err, errlen, -EFBIG, "%s: longer than 10 minutes", path);
	}
	size_t len = (size_t)st.st_size;
	uint8_t *b = malloc(len ? len : 1);
	if (b == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	size_t got = fread(b, 1, len, f);
	fclose(f);
	if (got != len) {
		free(b);
		return fail(err, errlen, -EIO, "%s: read error", path);
	}
	int rc = mxp_announcement_parse(b, len, path, out, err, errlen);
	free(b);
	return rc;
}

int
mxp_announcement_parse(const uint8_t *b, size_t len, const char *path,
		       struct mxp_announcement **out, char *err, size_t errlen)
{
	*out = NULL;
	unsigned int fmt = 0, rate = 0;
	const uint8_t *data;
	size_t dlen;
	const char *ext = strrchr(path, '.');
	ext = ext != NULL ? ext + 1 : "";
	int rc = 0;
	if (strcasecmp(ext, "wav") == 0) {
		rc = wav_parse(b, len, &fmt, &rate, &data, &dlen, err, errlen);
	} else {
		data = b;
		dlen = len;
		if (strcasecmp(ext, "ul") == 0 || strcasecmp(ext, "pcmu") == 0 ||
		    strcasecmp(ext, "ulaw") == 0 || strcasecmp(ext, "u8") == 0)
			fmt = 7, rate = 8000;
		else if (strcasecmp(ext, "al") == 0 || strcasecmp(ext, "pcma") == 0 ||
			 strcasecmp(ext, "alaw") == 0)
			fmt = 6, rate = 8000;
		else if (strcasecmp(ext, "l16") == 0 || strcasecmp(ext, "raw") == 0 ||
			 strcasecmp(ext, "sw") == 0)
			fmt = 1, rate = 8000;
		else if (strcasecmp(ext, "l16w") == 0 || strcasecmp(ext, "sw16") == 0)
			fmt = 1, rate = 16000;
		else
			rc = fail(err, errlen, -EINVAL, "%s: unknown extension (wav, ul, al, l16, "
				  "l16w)", path);
	}
	if (rc != 0)
		return rc;
	size_t n;
	int16_t *x = decode(data, dlen, fmt, &n);
	if (x == NULL)
		return -ENOMEM;
	if (n > (size_t)MAX_SECONDS * rate) {
		free(x);
		return fail(err, errlen, -EFBIG, "%s: longer than 10 minutes", path);
	}
	if (n < rate / 100) {
		free(x);
		return fail(err, errlen, -EINVAL, "%s: shorter than 10 ms", path);
	}
	size_t n8, n16;
	int16_t *y8 = resample(x, n, rate, 8000, &n8);
	int16_t *y16 = resample(x, n, rate, 16000, &n16);
	free(x);
	struct mxp_announcement *a = calloc(1, sizeof(*a));
	if (y8 == NULL || y16 == NULL || a == NULL) {
		free(y8);
		free(y16);
		free(a);
		return -ENOMEM;
	}
	/* both versions cover the same time: whole 8 kHz samples */
	if (n16 / 2 < n8)
		n8 = n16 / 2;
	a->refs = 1;
	a->samples8 = (uint32_t)n8;
	a->pcm8 = y8;
	a->pcm16 = y16;
	a->src_rate = rate;
	const char *base = strrchr(path, '/');
	snprintf(a->name, sizeof(a->name), "%s", base != NULL ? base + 1 : path);
	*out = a;
	return 0;
}

void
mxp_announcement_get(struct mxp_announcement *a)
{
	__atomic_fetch_add(&a->refs, 1, __ATOMIC_RELAXED);
}

bool
mxp_announcement_put(struct mxp_announcement *a)
{
	return __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0;
}

void
mxp_announcement_free(struct mxp_announcement *a)
{
	if (a == NULL)
		return;
	free((void *)a->pcm8);
	free((void *)a->pcm16);
	free(a);
}
