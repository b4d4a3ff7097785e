/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Announcements converted outside the call that opens them (lib/media announce.c): a long
 * file opened with the loader held comes back queued (the call did not convert it), a
 * generator given it stays silent without advancing, and once the loader has run (polled
 * with a bound) it plays exactly what a synchronous load gives; a short file is converted
 * inline; a file truncated after its check fails in the loader with its reason, and a
 * generator playing it ends; an announcement freed while queued or converting, and the
 * loader stopped with work queued, leave nothing behind (ASan).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxp_media_announce.h"
#include "mxp_media_signal.h"
#include "mxp_test.h"

#define DRAIN_MS 120000 /* the bound on waiting for the loader (a loaded CI machine) */

static char dir[64];

static void
wr16(FILE *f, unsigned int v)
{
	fputc((int)(v & 0xff), f);
	fputc((int)(v >> 8 & 0xff), f);
}

static void
wr32(FILE *f, uint32_t v)
{
	wr16(f, v & 0xffff);
	wr16(f, v >> 16);
}

/* A mono 16-bit WAV of secs seconds of 1 kHz at rate (amplitude 6000); its path. */
static const char *
write_wav(const char *name, unsigned int rate, unsigned int secs)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		abort();
	uint32_t n = rate * secs, dlen = 2 * n;
	fwrite("RIFF", 1, 4, f);
	wr32(f, 36 + dlen);
	fwrite("WAVEfmt ", 1, 8, f);
	wr32(f, 16);
	wr16(f, 1);
	wr16(f, 1);
	wr32(f, rate);
	wr32(f, rate * 2);
	wr16(f, 2);
	wr16(f, 16);
	fwrite("data", 1, 4, f);
	wr32(f, dlen);
	for (uint32_t i = 0; i < n; i++)
		wr16(f, (unsigned int)(uint16_t)(int16_t)lrint(6000 * sin(2 * M_PI * 1000.0 * i /
									   rate)));
	fclose(f);
	return path;
}

static const struct mxp_announcement_info *
find_info(const char *name)
{
	static struct mxp_announcement_info l[16];
	unsigned int n = mxp_announcement_list(l, 16);
	for (unsigned int i = 0; i < n && i < 16; i++)
		if (strcmp(l[i].name, name) == 0)
			return &l[i];
	return NULL;
}

/* A long file: queued by open (the loader held), silent until converted, then the same
 * samples as a synchronous load. */
MXP_TEST(long_file_queued_then_plays_what_a_load_gives)
{
	const char *path = write_wav("long.wav", 48000, 20);
	struct mxp_announcement *ref = NULL, *a = NULL;
	char err[200] = "";
	MXP_CHECK_EQ(t, mxp_announcement_load(path, &ref, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_announcement_state(ref), MXP_ANN_READY);

	mxp_announcement_loader_hold(true);
	MXP_CHECK_EQ(t, mxp_announcement_open(path, &a, err, sizeof(err)), 0);
	if (a == NULL) {
		mxp_announcement_loader_hold(false);
		return;
	}
	/* the call returned with the conversion not even begun */
	MXP_CHECK_EQ(t, mxp_announcement_state(a), MXP_ANN_QUEUED);
	MXP_CHECK_EQ(t, mxp_announcement_loader_busy(), 1);
	const struct mxp_announcement_info *in = find_info("long.wav");
	MXP_CHECK(t, in != NULL && in->state == MXP_ANN_QUEUED && in->duration_ms == 20000 &&
		      in->src_rate == 48000 && in->bytes == 0 && in->refs == 2);
	/* a generator waits: silence (or nothing added), its position still 0 */
	struct mxp_siggen g;
	mxp_announcement_get(a);
	MXP_CHECK_EQ(t, mxp_siggen_init(&g, &(struct mxp_siggen_params){
		.kind = MXP_SIGGEN_ANNOUNCEMENT, .ann = a, .duration_ms = 1000 }), 0);
	int16_t x16[320], x8[160];
	memset(x16, 0x55, sizeof(x16));
	for (int k = 0; k < 10; k++)
		MXP_CHECK(t, mxp_siggen_run(&g, x16, x8, 320, false));
	MXP_CHECK_EQ(t, g.pos, 0);
	int16_t zero[320] = { 0 };
	MXP_CHECK_MEM(t, x16, zero, sizeof(x16));
	MXP_CHECK_MEM(t, x8, zero, sizeof(x8));

	/* the loader goes on; its end is polled with a bound, not waited for by time */
	mxp_announcement_loader_hold(false);
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	MXP_CHECK_EQ(t, mxp_announcement_state(a), MXP_ANN_READY);
	MXP_CHECK_EQ(t, a->samples8, ref->samples8);
	MXP_CHECK(t, memcmp(a->pcm8, ref->pcm8, ref->samples8 * 2) == 0);
	MXP_CHECK(t, memcmp(a->pcm16, ref->pcm16, ref->samples8 * 4) == 0);
	in = find_info("long.wav");
	MXP_CHECK(t, in != NULL && in->state == MXP_ANN_READY &&
		      in->bytes == (uint64_t)ref->samples8 * 6 && in->refs == 2);
	struct mxp_announcement_info d[8];
	uint64_t lost = 1;
	unsigned int nd = mxp_announcement_poll(d, 8, &lost);
	MXP_CHECK(t, nd == 1 && d[0].state == MXP_ANN_READY && strcmp(d[0].name, "long.wav") == 0);
	MXP_CHECK_EQ(t, lost, 0);
	/* it now plays from its start: the first frame is the announcement's */
	MXP_CHECK(t, mxp_siggen_run(&g, x16, x8, 320, false));
	MXP_CHECK_EQ(t, g.pos, 320);
	MXP_CHECK_MEM(t, x8, ref->pcm8, sizeof(x8));
	MXP_CHECK(t, mxp_siggen_release(&g) == NULL);
	MXP_CHECK(t, mxp_announcement_put(a));
	mxp_announcement_free(a);
	MXP_CHECK(t, mxp_announcement_put(ref));
	mxp_announcement_free(ref);
	MXP_CHECK(t, find_info("long.wav") == NULL);
	unlink(path);
}

/* A short file is converted by open itself: ready at once, the loader never involved. */
MXP_TEST(short_file_converted_inline)
{
	const char *path = write_wav("short.wav", 16000, 1);
	struct mxp_announcement *a = NULL;
	char err[200] = "";
	mxp_announcement_loader_hold(true);
	MXP_CHECK_EQ(t, mxp_announcement_open(path, &a, err, sizeof(err)), 0);
	MXP_CHECK(t, a != NULL && mxp_announcement_state(a) == MXP_ANN_READY);
	MXP_CHECK_EQ(t, mxp_announcement_loader_busy(), 0);
	mxp_announcement_loader_hold(false);
	if (a != NULL) {
		MXP_CHECK_EQ(t, a->samples8, 8000);
		MXP_CHECK(t, mxp_announcement_put(a));
		mxp_announcement_free(a);
	}
	/* the cheap checks still refuse at once, with the load's errors */
	char bad[128];
	snprintf(bad, sizeof(bad), "%s/none.wav", dir);
	MXP_CHECK_EQ(t, mxp_announcement_open(bad, &a, err, sizeof(err)), -ENOENT);
	snprintf(bad, sizeof(bad), "%s/x.mp3", dir);
	FILE *f = fopen(bad, "wb");
	fputs("ID3", f);
	fclose(f);
	MXP_CHECK_EQ(t, mxp_announcement_open(bad, &a, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "unknown extension") != NULL);
	unlink(bad);
	unlink(path);
}

/* The file loses its data after the check: the loader fails it with its reason, and a
 * generator playing it ends instead of waiting. */
MXP_TEST(file_truncated_after_its_check_fails_in_the_loader)
{
	const char *path = write_wav("trunc.wav", 48000, 20);
	struct mxp_announcement *a = NULL;
	char err[200] = "";
	mxp_announcement_loader_hold(true);
	MXP_CHECK_EQ(t, mxp_announcement_open(path, &a, err, sizeof(err)), 0);
	if (a == NULL) {
		mxp_announcement_loader_hold(false);
		return;
	}
	MXP_CHECK_EQ(t, truncate(path, 44 + 96000), 0); /* 1 s of the 20 left */
	struct mxp_siggen g;
	mxp_announcement_get(a);
	MXP_CHECK_EQ(t, mxp_siggen_init(&g, &(struct mxp_siggen_params){
		.kind = MXP_SIGGEN_ANNOUNCEMENT, .ann = a }), 0);
	int16_t x16[320], x8[160];
	MXP_CHECK(t, mxp_siggen_run(&g, x16, x8, 320, false)); /* waiting */
	mxp_announcement_loader_hold(false);
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	MXP_CHECK_EQ(t, mxp_announcement_state(a), MXP_ANN_FAILED);
	MXP_CHECK(t, strstr(mxp_announcement_error(a), "data truncated") != NULL);
	printf("# %s\n", mxp_announcement_error(a));
	MXP_CHECK(t, !mxp_siggen_run(&g, x16, x8, 320, false)); /* it ends */
	MXP_CHECK_EQ(t, g.pos, 0);
	struct mxp_announcement_info d[8];
	unsigned int nd = mxp_announcement_poll(d, 8, NULL);
	MXP_CHECK(t, nd == 1 && d[0].state == MXP_ANN_FAILED &&
		      strstr(d[0].error, "data truncated") != NULL);
	MXP_CHECK(t, mxp_siggen_release(&g) == NULL);
	MXP_CHECK(t, mxp_announcement_put(a));
	mxp_announcement_free(a);
	unlink(path);
}

/* Freed while queued (a system torn down), a job nobody wants any more, and the loader
 * stopped with work queued: nothing leaks, nothing is read after its free (ASan). */
MXP_TEST(freed_while_queued_dropped_and_loader_stopped)
{
	const char *path = write_wav("drop.wav", 48000, 20);
	struct mxp_announcement *a = NULL, *b = NULL, *c = NULL;
	char err[200] = "";
	mxp_announcement_loader_hold(true);
	MXP_CHECK_EQ(t, mxp_announcement_open(path, &a, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_announcement_open(path, &b, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_announcement_open(path, &c, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_announcement_loader_busy(), 3);
	/* a: forced free while queued (its holders gone at once) */
	mxp_announcement_free(a);
	MXP_CHECK_EQ(t, mxp_announcement_loader_busy(), 2);
	/* b: its owner lets go; the loader, its last holder, skips it */
	MXP_CHECK(t, !mxp_announcement_put(b));
	mxp_announcement_loader_hold(false);
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	MXP_CHECK_EQ(t, mxp_announcement_state(b), MXP_ANN_FAILED);
	MXP_CHECK_EQ(t, __atomic_load_n(&b->refs, __ATOMIC_ACQUIRE), 0);
	mxp_announcement_free(b); /* the owner frees once the count reads zero */
	MXP_CHECK_EQ(t, mxp_announcement_state(c), MXP_ANN_READY);
	MXP_CHECK(t, mxp_announcement_put(c));
	mxp_announcement_free(c);
	/* the loader stopped with one queued: it fails, the loader ends, a new one starts */
	mxp_announcement_loader_hold(true);
	MXP_CHECK_EQ(t, mxp_announcement_open(path, &a, err, sizeof(err)), 0);
	mxp_announcement_loader_stop();
	MXP_CHECK_EQ(t, mxp_announcement_state(a), MXP_ANN_FAILED);
	MXP_CHECK(t, strstr(mxp_announcement_error(a), "stopped") != NULL);
	MXP_CHECK(t, mxp_announcement_put(a));
	mxp_announcement_free(a);
	mxp_announcement_loader_hold(false);
	MXP_CHECK_EQ(t, mxp_announcement_open(path, &a, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	MXP_CHECK_EQ(t, mxp_announcement_state(a), MXP_ANN_READY);
	MXP_CHECK(t, mxp_announcement_put(a));
	mxp_announcement_free(a);
	struct mxp_announcement_info d[8];
	mxp_announcement_poll(d, 8, NULL);
	mxp_announcement_loader_stop();
	unlink(path);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(long_file_queued_then_plays_what_a_load_gives),
	MXP_CASE(short_file_converted_inline),
	MXP_CASE(file_truncated_after_its_check_fails_in_the_loader),
	MXP_CASE(freed_while_queued_dropped_and_loader_stopped),
};

int
main(int argc, char **argv)
{
	snprintf(dir, sizeof(dir), "/tmp/mxp_annq_%d", (int)getpid());
	mkdir(dir, 0700);
	int r = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	rmdir(dir);
	return r;
}
