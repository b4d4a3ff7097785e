/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Announcement conversion benchmark: the time mxp_announcement_parse takes (on the control
 * core's CPU: inline for a short file, by the loader thread for a long one) to convert a
 * mono 16-bit WAV at each accepted source rate to the 8 and 16 kHz versions. Prints a
 * table and one JSON line. bench_announce_mp measures the Mp transaction that starts a long
 * announcement, before and after the loader.
 * Usage: bench_announce [seconds-of-audio] (default 60). Pin it with taskset.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxp_media_signal.h"

static uint64_t
ns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v & 0xffff);
	put16(p + 2, v >> 16);
}

/* A mono 16-bit WAV of secs of a 1 kHz tone plus noise at rate (malloc'd). */
static uint8_t *
make_wav(unsigned int rate, unsigned int secs, size_t *len)
{
	size_t n = (size_t)rate * secs, dlen = 2 * n;
	uint8_t *b = malloc(44 + dlen);
	if (b == NULL)
		abort();
	memcpy(b, "RIFF", 4);
	put32(b + 4, (uint32_t)(36 + dlen));
	memcpy(b + 8, "WAVEfmt ", 8);
	put32(b + 16, 16);
	put16(b + 20, 1);
	put16(b + 22, 1);
	put32(b + 24, rate);
	put32(b + 28, rate * 2);
	put16(b + 32, 2);
	put16(b + 34, 16);
	memcpy(b + 36, "data", 4);
	put32(b + 40, (uint32_t)dlen);
	uint32_t r = 1;
	for (size_t i = 0; i < n; i++) {
		r = r * 1103515245u + 12345u;
		double v = 8000.0 * sin(2.0 * M_PI * 1000.0 * (double)i / rate) +
			   (double)(int)(r >> 20 & 1023) - 512.0;
		put16(b + 44 + 2 * i, (unsigned int)(uint16_t)(int16_t)lrint(v));
	}
	*len = 44 + dlen;
	return b;
}

int
main(int argc, char **argv)
{
	unsigned int secs = argc > 1 ? (unsigned int)atoi(argv[1]) : 60;
	if (secs == 0 || secs > 600) {
		fprintf(stderr, "usage: bench_announce [seconds 1..600]\n");
		return 2;
	}
	static const unsigned int rates[] = {8000, 16000, 32000, 44100, 48000};
	double ms[5];
	printf("%-10s %10s %12s %14s\n", "src_rate", "audio_s", "convert_ms", "ms_per_audio_s");
	for (unsigned int i = 0; i < 5; i++) {
		size_t len;
		uint8_t *b = make_wav(rates[i], secs, &len);
		struct mxp_announcement *a = NULL;
		char err[200] = "";
		uint64_t t0 = ns_now();
		int rc = mxp_announcement_parse(b, len, "bench.wav", &a, err, sizeof(err));
		uint64_t t1 = ns_now();
		free(b);
		if (rc != 0) {
			fprintf(stderr, "parse %u Hz: %s\n", rates[i], err);
			return 1;
		}
		mxp_announcement_free(a);
		ms[i] = (double)(t1 - t0) / 1e6;
		printf("%-10u %10u %12.1f %14.2f\n", rates[i], secs, ms[i], ms[i] / secs);
	}
	printf("{\"bench\":\"announce\",\"audio_s\":%u", secs);
	for (unsigned int i = 0; i < 5; i++)
		printf(",\"convert_ms_%u\":%.1f", rates[i], ms[i]);
	printf("}\n");
	return 0;
}
