/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Long announcements in a mix conference (lib/conf conf_signal.c over lib/media
 * announce.c's loader), with libsrtp2 as the participant: the start of a signal with a
 * 20-second 48 kHz file returns with its conversion not begun (the loader held: no timing
 * involved), the leg hears nothing of it meanwhile and no completion comes; once the loader
 * has run (polled with a bound) the announcement plays for its whole duration, counted
 * from when it sounds, and completes. A file truncated after its check ends its signal as
 * MXP_SIGNAL_FAILED (H.248: g/sc with NC) and a start after that tries it again. A preload
 * (mxp_conf_signal_check, what `announcement load` and [media] announcement_preload do)
 * converts it before any signal: the start then plays from its first tick, without a
 * second conversion.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <srtp2/srtp.h>

#include "mxp_be.h"
#include "mxp_conf.h"
#include "mxp_media_announce.h"
#include "mxp_media_codec.h"
#include "mxp_test.h"
#include "mxp_test_audio.h"

#include "conf_test_util.h"

#define DRAIN_MS 120000 /* the bound on waiting for the loader (a loaded CI machine) */
#define MAXPCM (8000 * 2)

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

static int
add_leg(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = pr->addr.af;
	lp.remote_known = true;
	lp.remote = pr->addr;
	lp.remote_port = pr->port;
	lp.mode = MXP_SM_SENDRECV;
	lp.n_pt = 1;
	lp.pt[0] = 0; /* PCMU */
	conf_key(&lp.in, pr->in_key);
	conf_key(&lp.out, pr->out_key);
	char err[256] = "";
	int r = mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, sizeof(err));
	if (r)
		printf("# leg_add: %s\n", err);
	return r;
}

static uint32_t
new_mix(struct mxp_conf_sys *sys)
{
	struct mxp_conf_params cp = { .mode = MXP_CONF_MIX };
	uint32_t id = 0;
	char err[128];
	if (mxp_conf_create(sys, &cp, &id, err, sizeof(err)))
		abort();
	return id;
}

/* What the participant hears: its PCMU payloads decoded, in arrival order. */
struct rx {
	unsigned int npcm;
	int16_t pcm[MAXPCM];
};

static void
take(struct mxp_test_ctx *t, struct peer *pr, struct rx *r)
{
	for (unsigned int i = 0; i < nsent; i++) {
		uint8_t f[512];
		uint32_t flen = rte_pktmbuf_pkt_len(sent[i].m);
		const uint8_t *fp = rte_pktmbuf_read(sent[i].m, 0, flen, f);
		struct mxp_pkt_meta meta;
		if (fp == NULL || mxp_pkt_parse(fp, flen, 0, &meta) != MXP_PKT_UDP ||
		    meta.dport != pr->port || !mxp_ip_equal(&meta.dst, &pr->addr))
			continue;
		uint8_t buf[512];
		int len = (int)meta.l4_payload_len;
		memcpy(buf, fp + meta.l2_len + meta.l3_len + 8, (size_t)len);
		if (!MXP_CHECK(t, srtp_unprotect(pr->rx, buf, &len) == srtp_err_status_ok))
			continue;
		if ((buf[1] & 0x7f) == 0)
			for (int k = 12; k < len && r->npcm < MAXPCM; k++)
				r->pcm[r->npcm++] = mxp_media_ulaw_dec1(buf[k]);
	}
}

/* The participant's 20 ms of near silence. */
static void
send_quiet(struct peer *pr)
{
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	buf[0] = 0x80;
	buf[1] = 0;
	mxp_be_wr16(buf + 2, pr->seq);
	mxp_be_wr32(buf + 4, pr->ts);
	mxp_be_wr32(buf + 8, pr->ssrc);
	for (int i = 0; i < 160; i++)
		buf[12 + i] = mxp_media_ulaw_enc1((int16_t)((i * 7) % 5 - 2));
	int len = 12 + 160;
	pr->seq++;
	pr->ts += 160;
	if (srtp_protect(pr->tx, buf, &len) != srtp_err_status_ok)
		abort();
	tu_deliver(tu_frame(pool, &pr->leg, &pr->addr, pr->port, buf, (uint16_t)len));
}

/* Run the conference ms in real time (the mix ticks every 20 ms). */
static void
run(struct mxp_test_ctx *t, unsigned int ms, struct peer *pr, struct rx *r)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	for (unsigned int k = 0; k < ms / 20;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			send_quiet(pr);
			k++;
		}
		mxp_conf_worker_poll(g_w);
		if (r != NULL)
			take(t, pr, r);
		sent_clear();
	}
}

static double
amp1k(const int16_t *x, unsigned int n)
{
	return mxp_test_tone_amp(x, n, 1000, 8000.0);
}

/* secs seconds of 1 kHz (amplitude 6000), mono 16-bit WAV at 48 kHz, in dir. */
static void
write_wav(const char *name, unsigned int secs)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		abort();
	uint32_t rate = 48000, n = rate * secs, dlen = 2 * n;
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
		le16(s, (uint16_t)(int16_t)lrint(6000 * sin(2 * M_PI * 1000.0 * i / rate)));
		fwrite(s, 1, 2, f);
	}
	fclose(f);
}

static unsigned int
count_named(const char *name, enum mxp_ann_state *st)
{
	static struct mxp_announcement_info l[64];
	unsigned int n = mxp_announcement_list(l, 64), k = 0;
	for (unsigned int i = 0; i < n && i < 64; i++)
		if (strcmp(l[i].name, name) == 0) {
			k++;
			*st = l[i].state;
		}
	return k;
}

static struct mxp_signal
ann(const char *name, uint32_t ms, uint32_t tag)
{
	struct mxp_signal s = { .kind = MXP_SIGNAL_ANNOUNCEMENT, .duration_ms = ms, .tag = tag };
	snprintf(s.name, sizeof(s.name), "%s", name);
	return s;
}

MXP_TEST(long_announcement_started_at_once_then_played)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_mix(sys);
	struct peer a;
	peer_init(&a, 1100, 1110, "192.0.2.110", 5900);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a), 0);
	char err[200] = "";
	write_wav("long.wav", 20);
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(sys, NULL, dir, err, sizeof(err)), 0);
	static struct rx ra;
	memset(&ra, 0, sizeof(ra));
	mxp_announcement_loader_hold(true);
	struct mxp_signal s = ann("long.wav", 400, 31);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	/* the start returned; the conversion has not begun */
	MXP_CHECK_EQ(t, mxp_announcement_loader_busy(), 1);
	enum mxp_ann_state st = MXP_ANN_READY;
	MXP_CHECK(t, count_named("long.wav", &st) == 1 && st == MXP_ANN_QUEUED);
	run(t, 200, &a, &ra);
	struct mxp_signal_done d[8];
	MXP_CHECK_EQ(t, mxp_conf_signal_done_poll(sys, d, 8), 0);
	MXP_CHECK(t, ra.npcm >= 1200);
	double quiet = amp1k(ra.pcm, ra.npcm);
	printf("# while converting: 1 kHz at %.1f over %u samples\n", quiet, ra.npcm);
	MXP_CHECK(t, quiet < 30);
	/* the loader runs; polled with a bound */
	mxp_announcement_loader_hold(false);
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	MXP_CHECK(t, count_named("long.wav", &st) == 1 && st == MXP_ANN_READY);
	memset(&ra, 0, sizeof(ra));
	run(t, 600, &a, &ra);
	/* 400 ms of it (its duration counts from when it sounds), then the end */
	unsigned int on = 0;
	for (unsigned int k = 0; k + 160 <= ra.npcm; k += 160)
		on += amp1k(ra.pcm + k, 160) > 3000;
	double v = amp1k(ra.pcm + 400, 2400);
	printf("# converted: 1 kHz at %.0f (want 6000), %u of %u frames with it\n", v, on,
	       ra.npcm / 160);
	MXP_CHECK(t, ra.npcm >= 3200); /* after it: the shared mix, silent (DTX) */
	MXP_CHECK(t, fabs(20 * log10(v / 6000)) < 0.5);
	MXP_CHECK(t, on >= 19 && on <= 21);
	unsigned int nd = mxp_conf_signal_done_poll(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 31 && d[0].cause == MXP_SIGNAL_COMPLETED);
	peer_fini(&a);
	mxp_conf_sys_destroy(sys);
	struct mxp_announcement_info in[8];
	mxp_announcement_poll(in, 8, NULL);
	MXP_CHECK(t, count_named("long.wav", &st) == 0); /* freed with the cache */
}

MXP_TEST(truncated_announcement_ends_failed_then_is_tried_again)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_mix(sys);
	struct peer a;
	peer_init(&a, 1120, 1130, "192.0.2.111", 5902);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a), 0);
	char err[200] = "", path[128];
	write_wav("cut.wav", 20);
	snprintf(path, sizeof(path), "%s/cut.wav", dir);
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(sys, NULL, dir, err, sizeof(err)), 0);
	mxp_announcement_loader_hold(true);
	struct mxp_signal s = ann("cut.wav", 0, 32);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, truncate(path, 44 + 48000), 0); /* half a second left */
	mxp_announcement_loader_hold(false);
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	struct mxp_announcement_info in[8];
	unsigned int ni = mxp_announcement_poll(in, 8, NULL);
	MXP_CHECK(t, ni == 1 && in[0].state == MXP_ANN_FAILED &&
		      strstr(in[0].error, "data truncated") != NULL);
	run(t, 100, &a, NULL);
	struct mxp_signal_done d[8];
	unsigned int nd = mxp_conf_signal_done_poll(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 32 && d[0].cause == MXP_SIGNAL_FAILED);
	/* the next start tries the (now short) file again: converted inline, it plays */
	static struct rx ra;
	memset(&ra, 0, sizeof(ra));
	s.tag = 33;
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_announcement_loader_busy(), 0);
	run(t, 700, &a, &ra);
	MXP_CHECK(t, ra.npcm >= 3200 && fabs(20 * log10(amp1k(ra.pcm + 400, 2400) / 6000)) < 0.5);
	nd = mxp_conf_signal_done_poll(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 33 && d[0].cause == MXP_SIGNAL_COMPLETED);
	peer_fini(&a);
	mxp_conf_sys_destroy(sys);
	mxp_announcement_poll(in, 8, NULL);
	unlink(path);
}

MXP_TEST(preloaded_announcement_plays_from_its_first_tick)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_mix(sys);
	struct peer a;
	peer_init(&a, 1140, 1150, "192.0.2.112", 5904);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a), 0);
	char err[200] = "";
	write_wav("pre.wav", 20);
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(sys, NULL, dir, err, sizeof(err)), 0);
	struct mxp_signal s = ann("pre.wav", 200, 34);
	MXP_CHECK_EQ(t, mxp_conf_signal_check(sys, &s, err, sizeof(err)), 0); /* the preload */
	MXP_CHECK_EQ(t, mxp_announcement_loader_drain(DRAIN_MS), 0);
	enum mxp_ann_state st = MXP_ANN_QUEUED;
	MXP_CHECK(t, count_named("pre.wav", &st) == 1 && st == MXP_ANN_READY);
	static struct rx ra;
	memset(&ra, 0, sizeof(ra));
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_announcement_loader_busy(), 0); /* nothing more to convert */
	MXP_CHECK(t, count_named("pre.wav", &st) == 1);    /* the same one, from the cache */
	run(t, 300, &a, &ra);
	MXP_CHECK(t, ra.npcm >= 1600);
	double first = amp1k(ra.pcm, 160);
	printf("# first frame: 1 kHz at %.0f\n", first);
	MXP_CHECK(t, fabs(20 * log10(amp1k(ra.pcm + 160, 1280) / 6000)) < 0.5);
	MXP_CHECK(t, first > 3000);
	struct mxp_signal_done d[8];
	unsigned int nd = mxp_conf_signal_done_poll(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 34 && d[0].cause == MXP_SIGNAL_COMPLETED);
	peer_fini(&a);
	mxp_conf_sys_destroy(sys);
	struct mxp_announcement_info in[8];
	mxp_announcement_poll(in, 8, NULL);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(long_announcement_started_at_once_then_played),
	MXP_CASE(truncated_announcement_ends_failed_then_is_tried_again),
	MXP_CASE(preloaded_announcement_plays_from_its_first_tick),
};

int
main(int argc, char **argv)
{
	if (mxp_test_eal_init(argv[0]) != 0 || srtp_init() != srtp_err_status_ok)
		return 1;
	pool = rte_pktmbuf_pool_create("test_pool", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("test_hdr", 16383, 0, 0, 256, 0);
	if (pool == NULL || hdr_pool == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/mxp_confann_%d", (int)getpid());
	mkdir(dir, 0700);
	int r = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	mxp_announcement_loader_stop();
	char path[128];
	const char *names[] = { "long.wav", "pre.wav", "cut.wav" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
	return r;
}
