/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Long announcements through Mp (lib/mrfp over lib/conf and lib/media's loader): the
 * transaction `Modify = leg/N { Events { g/sc }, Signals { an/apf } }` with a 20-second
 * 48 kHz file is answered without error while the loader is held (its conversion not
 * begun: no timing involved), the signal is audited as playing, and no Notify comes while
 * it converts; once converted (polled with a bound) it plays and its `Duration` ends it
 * with g/sc Meth=TO. A file that loses its data after the check ends its signal with g/sc
 * Meth=NC (OtherReason requested), once.
 */
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "mrfp_harness.h"
#include "mxp_media_announce.h"

#define DRAIN_MS 120000 /* the bound on waiting for the loader (a loaded CI machine) */

static char dir[64];

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

/* 20 s of 440 Hz at 48 kHz, 16-bit mono WAV; its path. */
static const char *
write_long(const char *name)
{
	static char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		abort();
	uint32_t rate = 48000, n = rate * 20, dlen = 2 * n;
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
	for (uint32_t i = 0; i < n; i++) {
		uint8_t s[2];
		le16(s, (uint16_t)(int16_t)lrint(6000 * sin(2 * M_PI * 440.0 * i / rate)));
		fwrite(s, 1, 2, f);
	}
	fclose(f);
	return path;
}

static unsigned int
notified(const char *s)
{
	unsigned int k = 0;
	for (unsigned int i = 0; i < n_notify && i < 16; i++)
		k += strstr(notify_text[i], s) != NULL;
	return k;
}

/* Run the conference in real time for ms, polling the MRFP's events every 10 ms. */
static void
run(struct env *e, unsigned int ms)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), next = t0;
	while (rte_rdtsc() < t0 + hz * ms / 1000) {
		mxp_conf_worker_poll(g_w);
		if (rte_rdtsc() >= next) {
			mxp_mrfp_events_poll(e->m, 0);
			next += hz / 100;
		}
	}
}

/* A leg of a new mix context; its context in *c. */
static uint32_t
mix_leg(struct mxp_test_ctx *t, struct env *e, uint32_t *c)
{
	const char *r = transact(e, "Transaction = 1 { Context = $ { Add = $ { Media { "
				 "TerminationState { mxp/mode = mix }, Stream = 1 { LocalControl { "
				 "Mode = SendReceive }, Local {\nv=0\nc=IN IP4 $\nm=audio $ "
				 "RTP/SAVP 0\n%s\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio 9000 "
				 "RTP/SAVP 0\na=rtpmap:0 PCMU/8000\n%s\n} } } } } }", crypto(1, 1),
				 PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	*c = reply_ctx(r);
	return reply_leg(r, "Add");
}

MXP_TEST(answered_at_once_played_once_converted)
{
	struct env e = env_new();
	uint32_t c, l = mix_leg(t, &e, &c);
	char err[160];
	const char *path = write_long("long.wav");
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(e.sys, NULL, dir, err, sizeof(err)), 0);
	mxp_announcement_loader_hold(true);
	const char *r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Events = "
				 "9 { g/sc }, Signals { an/apf { an = long, Duration = 300, "
				 "NotifyCompletion = { TimeOut, OtherReason }, RequestID = 9 } } } "
				 "} }", c, l);
	/* answered (no error, no Pending) with the conversion not begun */
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, n_pending, 0);
	MXP_CHECK_EQ(t, mxp_announcement_loader_busy(), 1);
	r = transact(&e, "Transaction = 3 { Context = %u { AuditValue = leg/%u { Audit { Signals } "
		     "} } }", c, l);
	MXP_CHECK(t, strstr(r, "Signals{an/apf}") != NULL);
	run(&e, 400); /* longer than its Duration: it has not started sounding */
	MXP_CHECK_EQ(t, n_notify, 0);
	mxp_announcement_loader_hold(false);
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	/* converted: 300 ms of it, then g/sc Meth=TO (bounded wait, not a timing) */
	for (unsigned int k = 0; k < 50 && n_notify == 0; k++)
		run(&e, 100);
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK_EQ(t, notified("g/sc{SigID=an/apf,Meth=TO,RID=9}"), 1);
	env_free(&e);
	struct mxp_announcement_info in[4];
	mxp_announcement_poll(in, 4, NULL);
	unlink(path);
}

MXP_TEST(truncated_after_the_check_ends_with_nc)
{
	struct env e = env_new();
	uint32_t c, l = mix_leg(t, &e, &c);
	char err[160];
	const char *path = write_long("cut.wav");
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(e.sys, NULL, dir, err, sizeof(err)), 0);
	mxp_announcement_loader_hold(true);
	const char *r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Events = "
				 "9 { g/sc }, Signals { an/apf { an = cut, NotifyCompletion = { "
				 "TimeOut, OtherReason } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, truncate(path, 44 + 4800), 0);
	mxp_announcement_loader_hold(false);
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	for (unsigned int k = 0; k < 50 && n_notify == 0; k++)
		run(&e, 100);
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK_EQ(t, notified("g/sc{SigID=an/apf,Meth=NC}"), 1);
	r = transact(&e, "Transaction = 3 { Context = %u { AuditValue = leg/%u { Audit { Signals } "
		     "} } }", c, l);
	MXP_CHECK(t, strstr(r, "Signals{}") != NULL);
	struct mxp_announcement_info in[4];
	unsigned int ni = mxp_announcement_poll(in, 4, NULL);
	MXP_CHECK(t, ni == 1 && in[0].state == MXP_ANN_FAILED);
	env_free(&e);
	unlink(path);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(answered_at_once_played_once_converted),
	MXP_CASE(truncated_after_the_check_ends_with_nc),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/mxp_mrfpann_%d", (int)getpid());
	mkdir(dir, 0700);
	int r = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	mxp_announcement_loader_stop();
	rmdir(dir);
	return r;
}
