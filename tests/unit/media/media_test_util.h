/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the lib/media unit tests: signals, Goertzel, SNR, ffmpeg runner. */
#ifndef MEDIA_TEST_UTIL_H
#define MEDIA_TEST_UTIL_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deterministic PRNG (xorshift32) so every run sees the same "random" input. */
static inline uint32_t
tu_rand(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/* A tone of amplitude amp and frequency f at rate fs, from sample index start. */
static inline void
tu_tone(int16_t *out, unsigned n, double f, double amp, unsigned fs, uint64_t start)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (int16_t)lrint(amp * sin(2 * M_PI * f * (double)(start + i) / fs));
}

/* A speech-like test signal: three harmonically related tones with a slow envelope,
 * plus a little noise; covers the whole amplitude range over its length. */
static inline void
tu_speechlike(int16_t *out, unsigned n, unsigned fs, uint32_t seed)
{
	for (unsigned i = 0; i < n; i++) {
		double t = (double)i / fs;
		double env = 0.55 + 0.45 * sin(2 * M_PI * 1.3 * t);
		double f0 = 140 + 60 * sin(2 * M_PI * 0.7 * t);
		double v = 0.5 * sin(2 * M_PI * f0 * t) + 0.3 * sin(2 * M_PI * 3 * f0 * t) +
			   0.15 * sin(2 * M_PI * 7.5 * f0 * t);
		v += ((double)(tu_rand(&seed) & 0xffff) / 65536.0 - 0.5) * 0.04;
		out[i] = (int16_t)lrint(v * env * 30000);
	}
}

/* Goertzel power of frequency f in x, Hann window, normalised to A^2/4 for a sine of amplitude A. */
static inline double
tu_goertzel(const int16_t *x, unsigned n, double f, unsigned fs)
{
	double w = 2 * M_PI * f / fs, c = 2 * cos(w);
	double s1 = 0, s2 = 0;
	for (unsigned i = 0; i < n; i++) {
		/* Hann window to limit leakage from the other tones */
		double h = 0.5 - 0.5 * cos(2 * M_PI * i / (n - 1));
		double s0 = x[i] * h + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double p = s1 * s1 + s2 * s2 - c * s1 * s2;
	return p * 4 / ((double)n * n); /* Hann: |X| = A n / 4 for a sine of amplitude A */
}

/* Level in dB full scale of frequency f in x: amplitude relative to 32767. */
static inline double
tu_tone_dbfs(const int16_t *x, unsigned n, double f, unsigned fs)
{
	double p = tu_goertzel(x, n, f, fs);
	double amp = 2 * sqrt(p);
	return 20 * log10(amp / 32767 + 1e-12);
}

/* SNR in dB of y against reference x, y delayed by d samples. */
static inline double
tu_snr(const int16_t *x, const int16_t *y, unsigned n, unsigned d)
{
	double es = 0, en = 0;
	for (unsigned i = 0; i + d < n; i++) {
		double e = (double)y[i + d] - x[i];
		es += (double)x[i] * x[i];
		en += e * e;
	}
	return 10 * log10(es / (en + 1e-9));
}

/* Largest |x[i] - x[i-1]| over n samples (clicks show up as steps). */
static inline int
tu_max_step(const int16_t *x, unsigned n)
{
	int m = 0;
	for (unsigned i = 1; i < n; i++) {
		int d = abs((int)x[i] - x[i - 1]);
		if (d > m)
			m = d;
	}
	return m;
}

static inline int
tu_write(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -errno;
	size_t w = fwrite(p, 1, n, f);
	fclose(f);
	return w == n ? 0 : -EIO;
}

/* Read a file into a malloc'd buffer; returns its size or -1. */
static inline long
tu_read(const char *path, uint8_t **out)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	*out = malloc(n > 0 ? (size_t)n : 1);
	if (*out == NULL || fread(*out, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return n;
}

/* A per-process scratch directory for files exchanged with ffmpeg. */
static inline const char *
tu_tmpdir(void)
{
	static char dir[64];
	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "/tmp/mxp_media_test_XXXXXX");
		if (mkdtemp(dir) == NULL)
			return "/tmp";
	}
	return dir;
}

/* Run "ffmpeg -nostdin -loglevel error -y <args>"; returns its exit status (or -1). */
static inline int
tu_ffmpeg(const char *args)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "ffmpeg -nostdin -hide_banner -loglevel error -y %s", args);
	int rc = system(cmd);
	if (rc != 0)
		printf("#   ffmpeg failed (%d): %s\n", rc, cmd);
	return rc;
}

/* Run ffmpeg on a raw input, return the output file's size (its bytes malloc'd in *out)
 * or -1. */
static inline long
tu_ff_convert(const void *in, size_t inlen, const char *in_fmt, const char *out_fmt,
	      uint8_t **out)
{
	char a[512], ip[128], op[128];
	snprintf(ip, sizeof(ip), "%s/in.raw", tu_tmpdir());
	snprintf(op, sizeof(op), "%s/out.raw", tu_tmpdir());
	if (tu_write(ip, in, inlen) != 0)
		return -1;
	snprintf(a, sizeof(a), "%s -i %s %s %s", in_fmt, ip, out_fmt, op);
	if (tu_ffmpeg(a) != 0)
		return -1;
	return tu_read(op, out);
}

static inline void
tu_cleanup_tmpdir(void)
{
	char cmd[128];
	const char *d = tu_tmpdir();
	if (strncmp(d, "/tmp/mxp_media_test_", 20) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", d);
	}
}

#endif
