/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signals in a mix conference (lib/conf conf_signal.c), with libsrtp2 as the participants:
 * commands run inline, the mix ticks in real time, every packet a participant gets is
 * decrypted with its key and its G.711 decoded; a Goertzel filter says which tones each
 * one hears. Checks: a leg signal is heard by its leg only, a conference signal by all,
 * mixed under the conference audio or replacing it; a new signal interrupts the old one;
 * completions carry the caller's tag and cause; RFC 4733 events are well-formed (event,
 * volume, duration, marker, end bit sent three times, one timestamp per event);
 * announcements; the errors callers see. Switch conferences: a leg signal heard by its leg
 * only, instead of the switched talker, on a stream of the MRFP's own (libsrtp2 decrypts it
 * under the leg's key; its RTP sequence, timestamps and marker checked), the switched media
 * back after it; a conference signal heard by all; each leg's codec (PCMU, PCMA, G.722,
 * and the frame codecs of dynamic payload types: AMR-WB, AMR and Opus, with their a=fmtp,
 * decoded by opencore-amr and libopus); a rekey mid-signal; forward conferences refused.
 * A DTMF digit cut short by a new signal ends with its three RFC 4733 end packets, in mix
 * and switch.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <opencore-amrnb/interf_dec.h>
#include <opencore-amrwb/dec_if.h>
#include <opus.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <srtp2/srtp.h>

#include "mxp_be.h"
#include "mxp_conf.h"
#include "mxp_media_codec.h"
#include "mxp_rtp.h"
#include "mxp_test.h"
#include "mxp_test_audio.h"

#include "conf_test_util.h"

static int leg_pt = -1; /* the payload type of the next legs; -1: PCMU, PCMA, G722 */
static bool leg_mki;    /* the next legs' outbound key has MKI 1 (a rekey adds another) */
/* the codec of leg_pt (a dynamic payload type, its a=rtpmap) and its a=fmtp; NONE: none */
static enum mxp_media_codec leg_codec;
static const char *leg_fmtp = "";
static int leg_pt2 = -1; /* a second payload type after leg_pt; -1: none */

static int
add_leg(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, enum mxp_stream_mode mode,
	int16_t event_pt)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = pr->addr.af;
	lp.remote_known = true;
	lp.remote = pr->addr;
	lp.remote_port = pr->port;
	lp.mode = mode;
	lp.event_pt = event_pt;
	if (leg_pt >= 0) {
		lp.n_pt = 1;
		lp.pt[0] = (uint8_t)leg_pt;
		if (leg_pt2 >= 0)
			lp.pt[lp.n_pt++] = (uint8_t)leg_pt2;
	}
	if (leg_pt >= 96 && leg_codec != MXP_MEDIA_CODEC_NONE) {
		lp.n_codecs = 1;
		lp.codecs[0].pt = (uint8_t)leg_pt;
		lp.codecs[0].codec = (uint8_t)leg_codec;
		char e[128];
		if (mxp_media_fmtp_parse(leg_codec, leg_fmtp, &lp.codecs[0].fmtp, e, sizeof(e))) {
			printf("# fmtp %s: %s\n", leg_fmtp, e);
			return -EINVAL;
		}
	}
	conf_key(&lp.in, pr->in_key);
	conf_key(&lp.out, pr->out_key);
	if (leg_mki) {
		lp.out.key[0].mki_len = 1;
		lp.out.key[0].mki[0] = 1;
	}
	char err[256] = "";
	int r = mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, sizeof(err));
	if (r)
		printf("# leg_add: %s\n", err);
	return r;
}

static uint32_t
new_conf(struct mxp_conf_sys *sys, enum mxp_conf_mode mode)
{
	struct mxp_conf_params cp = { .mode = mode };
	uint32_t id = 0;
	char err[128];
	if (mxp_conf_create(sys, &cp, &id, err, sizeof(err)))
		abort();
	return id;
}

/* ---- what the participants receive --------------------------------------------------------- */

#define MAXPKT 512
#define MAXPCM (8000 * 3)

struct rx {
	unsigned int n;
	struct { uint32_t ssrc, ts; uint16_t seq; uint8_t pt; bool marker; uint8_t pay[8];
		 uint16_t len; uint32_t doff; } p[MAXPKT];
	unsigned int npcm;
	int16_t pcm[MAXPCM];  /* PCMU payloads decoded, in arrival order */
	unsigned int ng722;
	uint8_t g722[MAXPCM]; /* G.722 payloads, in arrival order */
	unsigned int npcma;
	int16_t pcma[MAXPCM]; /* PCMA payloads decoded, in arrival order */
	unsigned int ndyn;
	uint8_t dyn[MAXPCM];  /* payloads of dynamic payload types (p[].doff: where) */
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
		uint8_t hdr[12];
		memcpy(hdr, buf, sizeof(hdr));
		srtp_err_status_t st = srtp_unprotect(pr->rx, buf, &len);
		if (!MXP_CHECK(t, st == srtp_err_status_ok)) {
			/* which stream, which packet: a replay (9) or an auth failure (7) */
			printf("#   srtp_unprotect %d: to port %u, ssrc %08x pt %u seq %u ts %u, "
			       "%d bytes\n", (int)st, pr->port, mxp_be_rd32(hdr + 8), hdr[1] & 0x7f,
			       mxp_be_rd16(hdr + 2), mxp_be_rd32(hdr + 4), len);
			continue;
		}
		uint8_t pt = buf[1] & 0x7f;
		if (r->n < MAXPKT) {
			r->p[r->n].ssrc = mxp_be_rd32(buf + 8);
			r->p[r->n].ts = mxp_be_rd32(buf + 4);
			r->p[r->n].seq = mxp_be_rd16(buf + 2);
			r->p[r->n].pt = pt;
			r->p[r->n].marker = (buf[1] & 0x80) != 0;
			r->p[r->n].len = (uint16_t)(len - 12);
			memcpy(r->p[r->n].pay, buf + 12, len - 12 < 8 ? (size_t)(len - 12) : 8);
			r->p[r->n].doff = r->ndyn;
			if (pt >= 96 && r->ndyn + (unsigned int)(len - 12) <= MAXPCM) {
				memcpy(r->dyn + r->ndyn, buf + 12, (size_t)(len - 12));
				r->ndyn += (unsigned int)(len - 12);
			}
			r->n++;
		}
		if (pt == 0)
			for (int k = 12; k < len && r->npcm < MAXPCM; k++)
				r->pcm[r->npcm++] = mxp_media_ulaw_dec1(buf[k]);
		if (pt == 9)
			for (int k = 12; k < len && r->ng722 < MAXPCM; k++)
				r->g722[r->ng722++] = buf[k];
		if (pt == 8)
			for (int k = 12; k < len && r->npcma < MAXPCM; k++)
				r->pcma[r->npcma++] = mxp_media_alaw_dec1(buf[k]);
	}
}

/* A participant's 20 ms PCMU packet: a tone of freq Hz (0: near silence). */
static void
send_tone(struct peer *pr, double freq)
{
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	buf[0] = 0x80;
	buf[1] = 0;
	mxp_be_wr16(buf + 2, pr->seq);
	mxp_be_wr32(buf + 4, pr->ts);
	mxp_be_wr32(buf + 8, pr->ssrc);
	for (int i = 0; i < 160; i++) {
		double x = freq > 0 ? 8000.0 * sin(2 * M_PI * freq * (pr->ts + i) / 8000.0)
				    : (double)((i * 7) % 5 - 2);
		buf[12 + i] = mxp_media_ulaw_enc1((int16_t)x);
	}
	int len = 12 + 160;
	pr->seq++;
	pr->ts += 160;
	if (srtp_protect(pr->tx, buf, &len) != srtp_err_status_ok)
		abort();
	tu_deliver(tu_frame(pool, &pr->leg, &pr->addr, pr->port, buf, (uint16_t)len));
}

/* Run the conference ms in real time: each peer sends its tone every 20 ms. */
static void
run(struct mxp_test_ctx *t, unsigned int ms, struct peer **pr, const double *freq,
    struct rx **r, unsigned int n)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	for (unsigned int k = 0; k < ms / 20;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			for (unsigned int i = 0; i < n; i++)
				send_tone(pr[i], freq[i]);
			k++;
		}
		mxp_conf_worker_poll(g_w);
		for (unsigned int i = 0; i < n; i++)
			if (r[i] != NULL)
				take(t, pr[i], r[i]);
		sent_clear();
	}
}

/* Amplitude of the component at f in 8 kHz audio. */
static double
goertzel(const int16_t *x, unsigned int n, double f)
{
	return mxp_test_tone_amp(x, n, f, 8000.0);
}

/* The ITU dial tone's amplitude: 425 Hz at -10 dBm0 (full scale = +3.14 dBm0). */
static double
dial_amp(void)
{
	return 32767.0 * pow(10.0, (-10 - 3.14) / 20.0);
}

static unsigned int
done_all(struct mxp_conf_sys *sys, struct mxp_signal_done *d, unsigned int max)
{
	return mxp_conf_signal_done_poll(sys, d, max);
}

/*
 * Like run(), until a signal completed (its done report in d) and 100 ms more, at most
 * 10 s: a frame codec's encoders under a sanitizer on a loaded machine can take more than
 * the tick, and the worker then catches the frames up later than real time; what the
 * participants get is checked, not when.
 */
static unsigned int
run_until_done(struct mxp_test_ctx *t, struct mxp_conf_sys *sys, struct peer **pr,
	       const double *freq, struct rx **r, unsigned int n, struct mxp_signal_done *d,
	       unsigned int max)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	unsigned int nd = 0, after = 0;
	for (unsigned int k = 0; k < 500 && after < 5;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			for (unsigned int i = 0; i < n; i++)
				send_tone(pr[i], freq[i]);
			k++;
			if (nd < max)
				nd += done_all(sys, d + nd, max - nd);
			after += nd > 0;
		}
		mxp_conf_worker_poll(g_w);
		for (unsigned int i = 0; i < n; i++)
			if (r[i] != NULL)
				take(t, pr[i], r[i]);
		sent_clear();
	}
	return nd;
}

static struct mxp_signal
tone(const char *name, uint32_t ms, uint32_t tag)
{
	struct mxp_signal s = { .kind = MXP_SIGNAL_TONE, .duration_ms = ms, .tag = tag };
	snprintf(s.name, sizeof(s.name), "%s", name);
	return s;
}

/* ---- tests ------------------------------------------------------------------------------------ */

/*
 * b talks (1 kHz). A dial tone to a for 600 ms: a hears it under b's voice, c hears b only;
 * the signal completes with its tag. Then a conference signal: everyone hears it, the
 * talker b too.
 */
MXP_TEST(leg_signal_heard_by_its_leg_only_conference_signal_by_all)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b, cc;
	peer_init(&a, 900, 910, "192.0.2.90", 5800);
	peer_init(&b, 901, 911, "192.0.2.91", 5802);
	peer_init(&cc, 902, 912, "192.0.2.92", 5804);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &cc, MXP_SM_SENDRECV, 0), 0);
	struct peer *pr[3] = { &a, &b, &cc };
	const double f[3] = { 0, 1000, 0 };
	static struct rx ra, rb, rc;
	struct rx *r[3] = { &ra, &rb, &rc };
	run(t, 300, pr, f, (struct rx *[3]){ NULL, NULL, NULL }, 3); /* b becomes the talker */
	memset(&ra, 0, sizeof(ra)), memset(&rb, 0, sizeof(rb)), memset(&rc, 0, sizeof(rc));
	char err[200] = "";
	struct mxp_signal s = tone("cg/dt", 600, 77);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	run(t, 560, pr, f, r, 3);
	/* 0.5 s in the middle of the signal */
	MXP_CHECK(t, ra.npcm >= 4000);
	MXP_CHECK(t, rc.npcm >= 4000);
	double a425 = goertzel(ra.pcm + 400, 3200, 425), a1k = goertzel(ra.pcm + 400, 3200, 1000);
	double c425 = goertzel(rc.pcm + 400, 3200, 425), c1k = goertzel(rc.pcm + 400, 3200, 1000);
	printf("# a: 425 Hz %.0f (want %.0f), 1 kHz %.0f; c: 425 Hz %.0f, 1 kHz %.0f\n", a425,
	       dial_amp(), a1k, c425, c1k);
	MXP_CHECK(t, fabs(20 * log10(a425 / dial_amp())) < 0.5); /* mixed under: both */
	MXP_CHECK(t, a1k > 4000);
	MXP_CHECK(t, c1k > 4000);
	MXP_CHECK(t, c425 < dial_amp() / 100);
	MXP_CHECK(t, goertzel(rb.pcm, rb.npcm, 425) < dial_amp() / 100);
	/* a was on its private stream (marked), c on the shared mix */
	MXP_CHECK(t, ra.n > 0 && rc.n > 0 && ra.p[0].ssrc != rc.p[0].ssrc && ra.p[0].marker);
	uint32_t priv_ssrc = ra.n ? ra.p[0].ssrc : 0;
	for (unsigned int i = 0; i < ra.n; i++)
		MXP_CHECK(t, ra.p[i].ssrc == priv_ssrc);
	run(t, 200, pr, f, r, 3);
	struct mxp_signal_done d[8];
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK_EQ(t, nd, 1);
	MXP_CHECK(t, d[0].conf == c && d[0].leg == a.leg.id && d[0].tag == 77 &&
		      d[0].cause == MXP_SIGNAL_COMPLETED);
	MXP_CHECK_EQ(t, done_all(sys, d, 8), 0);
	/* after the signal a is back on the shared mix (its key group's stream) */
	memset(&ra, 0, sizeof(ra)), memset(&rc, 0, sizeof(rc));
	run(t, 200, pr, f, r, 3);
	MXP_CHECK(t, ra.n > 0 && ra.p[ra.n - 1].ssrc != priv_ssrc);
	MXP_CHECK(t, goertzel(ra.pcm + ra.npcm - 800, 800, 425) < dial_amp() / 30);

	/* a conference signal: all three hear it (b, the talker, in its private mix) */
	memset(&ra, 0, sizeof(ra)), memset(&rb, 0, sizeof(rb)), memset(&rc, 0, sizeof(rc));
	s = tone("dt", 500, 78);
	MXP_CHECK_EQ(t, mxp_conf_signal_start(sys, c, &s, err, sizeof(err)), 0);
	run(t, 460, pr, f, r, 3);
	struct rx *all[3] = { &ra, &rb, &rc };
	for (int i = 0; i < 3; i++) {
		double v = goertzel(all[i]->pcm + 400, 2800, 425);
		if (!MXP_CHECK(t, all[i]->npcm >= 3200 && fabs(20 * log10(v / dial_amp())) < 0.5))
			printf("# peer %d: %u samples, 425 Hz %.0f\n", i, all[i]->npcm, v);
	}
	run(t, 200, pr, f, r, 3);
	nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].leg == 0 && d[0].conf == c && d[0].tag == 78 &&
		      d[0].cause == MXP_SIGNAL_COMPLETED);
	peer_fini(&a), peer_fini(&b), peer_fini(&cc);
	mxp_conf_sys_destroy(sys);
}

/*
 * A wideband leg (G.722, 16 kHz) listening to the shared mix gets the signal at 16 kHz: the
 * special information tone's 1800 Hz segment decoded from its private stream (lib/media's
 * G.722 decoder) at the tone's level, its 950 Hz segment before it.
 */
MXP_TEST(wideband_leg_signal)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b;
	peer_init(&a, 1000, 1010, "192.0.2.100", 5850);
	peer_init(&b, 1001, 1011, "192.0.2.101", 5852);
	leg_pt = 9;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_RECVONLY, 0), 0);
	leg_pt = -1;
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	struct peer *pr[2] = { &a, &b };
	const double f[2] = { 0, 0 };
	static struct rx ra;
	memset(&ra, 0, sizeof(ra));
	struct mxp_signal s = tone("cg/sit", 0, 21);
	s.repeat = 1;
	char err[200];
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	run(t, 1200, pr, f, (struct rx *[2]){ &ra, NULL }, 2);
	struct mxp_media_coder dec;
	mxp_media_coder_init(&dec, MXP_MEDIA_CODEC_G722);
	static int16_t x[16000 * 2];
	int n = ra.ng722 ? mxp_media_decode(&dec, ra.g722, ra.ng722, x, RTE_DIM(x)) : 0;
	MXP_CHECK(t, n >= 16000);
	if (n >= 16000) {
		/* 950 Hz in 0-330 ms, 1400 Hz in 330-660 ms, 1800 Hz in 660-990 ms (16 kHz) */
		static const double fr[3] = { 950, 1400, 1800 };
		double want = 32767.0 * pow(10.0, (-14 - 3.14) / 20.0);
		for (int k = 0; k < 3; k++) {
			const int16_t *seg = x + k * 5280 + 1000;
			double w = 2.0 * M_PI * fr[k] / 16000.0, kk = 2.0 * cos(w), s1 = 0, s2 = 0;
			double wsum = 0;
			for (int i = 0; i < 3200; i++) {
				double h = 0.5 - 0.5 * cos(2.0 * M_PI * i / 3199);
				wsum += h;
				double v = seg[i] * h + kk * s1 - s2;
				s2 = s1;
				s1 = v;
			}
			double re = s1 - s2 * cos(w), im = s2 * sin(w);
			double got = 2.0 * sqrt(re * re + im * im) / wsum;
			if (!MXP_CHECK(t, fabs(20 * log10(got / want)) < 1.0))
				printf("# %.0f Hz: %.0f, want %.0f\n", fr[k], got, want);
		}
	}
	for (unsigned int i = 0; i < ra.n; i++)
		MXP_CHECK(t, ra.p[i].pt == 9);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/* replace: a hears the tone instead of b's voice. */
MXP_TEST(replace_instead_of_mix)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b;
	peer_init(&a, 920, 930, "192.0.2.94", 5810);
	peer_init(&b, 921, 931, "192.0.2.95", 5812);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	struct peer *pr[2] = { &a, &b };
	const double f[2] = { 0, 1000 };
	static struct rx ra;
	run(t, 300, pr, f, (struct rx *[2]){ NULL, NULL }, 2);
	struct mxp_signal s = tone("cg/dt", 500, 5);
	s.replace = true;
	char err[200];
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	memset(&ra, 0, sizeof(ra));
	run(t, 460, pr, f, (struct rx *[2]){ &ra, NULL }, 2);
	MXP_CHECK(t, ra.npcm >= 3200);
	MXP_CHECK(t, fabs(20 * log10(goertzel(ra.pcm + 400, 2800, 425) / dial_amp())) < 0.5);
	MXP_CHECK(t, goertzel(ra.pcm + 400, 2800, 1000) < dial_amp() / 100);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/* A new signal interrupts the one playing; stop interrupts; each is reported once. */
MXP_TEST(interruption_and_stop_reported)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a;
	peer_init(&a, 940, 950, "192.0.2.96", 5820);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 0), 0);
	char err[200];
	struct mxp_signal s1 = tone("cg/rt", 0, 1), s2 = tone("cg/bt", 0, 2);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_stop(sys, a.leg.id, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s1, err, sizeof(err)), 0);
	struct peer *pr[1] = { &a };
	const double f[1] = { 0 };
	run(t, 100, pr, f, (struct rx *[1]){ NULL }, 1);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s2, err, sizeof(err)), 0);
	struct mxp_signal_done d[8];
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 1 && d[0].cause == MXP_SIGNAL_INTERRUPTED);
	run(t, 100, pr, f, (struct rx *[1]){ NULL }, 1);
	MXP_CHECK_EQ(t, done_all(sys, d, 8), 0); /* busy tone repeats until stopped */
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_stop(sys, a.leg.id, err, sizeof(err)), 0);
	nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 2 && d[0].cause == MXP_SIGNAL_INTERRUPTED);
	/* a conference signal, then the leg leaves and the conference goes while they play */
	struct mxp_signal s3 = tone("cg/ct", 0, 3), s4 = tone("cg/dt", 0, 4);
	MXP_CHECK_EQ(t, mxp_conf_signal_start(sys, c, &s3, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s4, err, sizeof(err)), 0);
	run(t, 100, pr, f, (struct rx *[1]){ NULL }, 1);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, a.leg.id, NULL, err, sizeof(err)), 0);
	nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 4 && d[0].cause == MXP_SIGNAL_INTERRUPTED);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);
	nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 3 && d[0].leg == 0 &&
		      d[0].cause == MXP_SIGNAL_INTERRUPTED);
	sent_clear();
	peer_fini(&a);
	mxp_conf_sys_destroy(sys);
}

/* RFC 4733 events toward a leg with telephone-event (payload type 101, 8 kHz clock). */
MXP_TEST(dtmf_rfc4733_events)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b;
	peer_init(&a, 960, 970, "192.0.2.97", 5830);
	peer_init(&b, 961, 971, "192.0.2.98", 5832);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 101), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	struct mxp_signal s = { .kind = MXP_SIGNAL_DTMF, .name = "1#", .duration_ms = 100,
				.tag = 9 };
	char err[200];
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, b.leg.id, &s, err, sizeof(err)), 0);
	static struct rx ra, rb;
	memset(&ra, 0, sizeof(ra)), memset(&rb, 0, sizeof(rb));
	struct peer *pr[2] = { &a, &b };
	const double f[2] = { 0, 0 };
	run(t, 600, pr, f, (struct rx *[2]){ &ra, &rb }, 2);
	/* a: the events of '1' then '#' */
	static const int want_ev[2] = { 1, 11 };
	unsigned int ev = 0, i = 0;
	while (i < ra.n && ev < 2) {
		if (ra.p[i].pt != 101) {
			i++;
			continue;
		}
		uint32_t ts = ra.p[i].ts;
		MXP_CHECK(t, ra.p[i].marker); /* the event's first packet */
		unsigned int last_dur = 0, ends = 0, upd = 0;
		for (; i < ra.n && ra.p[i].pt == 101 && ra.p[i].ts == ts; i++) {
			const uint8_t *p = ra.p[i].pay;
			MXP_CHECK_EQ(t, ra.p[i].len, 4);
			MXP_CHECK_EQ(t, p[0], want_ev[ev]);
			MXP_CHECK_EQ(t, p[1] & 0x3f, 10); /* volume */
			unsigned int dur = mxp_be_rd16(p + 2);
			if (p[1] & 0x80) {
				ends++;
				MXP_CHECK_EQ(t, dur, 800); /* 100 ms at 8 kHz */
			} else {
				MXP_CHECK(t, ends == 0);  /* no update after an end */
				MXP_CHECK(t, dur > last_dur && dur <= 800);
				upd++;
			}
			if (upd + ends > 1)
				MXP_CHECK(t, !ra.p[i].marker);
			last_dur = dur;
		}
		MXP_CHECK_EQ(t, ends, 3);
		MXP_CHECK(t, upd >= 4 && upd <= 6);
		ev++;
	}
	MXP_CHECK_EQ(t, ev, 2);
	/* the same SSRC carries the events and the audio around them (a's private stream) */
	uint32_t ssrc = 0;
	for (i = 0; i < ra.n; i++)
		if (ra.p[i].pt == 101)
			ssrc = ra.p[i].ssrc;
	for (i = 0; i < ra.n; i++)
		MXP_CHECK(t, ra.p[i].pt != 0 || ra.p[i].ssrc == ssrc || i > 20);
	/* b, without telephone-event, hears the digits in band (Q.23 pairs) */
	MXP_CHECK(t, rb.npcm >= 1600);
	unsigned int on = 0;
	while (on < rb.npcm && abs(rb.pcm[on]) < 300)
		on++;
	MXP_CHECK(t, on + 800 <= rb.npcm);
	if (on + 800 <= rb.npcm) {
		double lo = goertzel(rb.pcm + on, 640, 697), hi = goertzel(rb.pcm + on, 640, 1209);
		MXP_CHECK(t, lo > 2000 && hi > 2000);
		MXP_CHECK(t, goertzel(rb.pcm + on, 640, 941) < lo / 20);
	}
	for (i = 0; i < rb.n; i++)
		MXP_CHECK(t, rb.p[i].pt == 0);
	struct mxp_signal_done d[8];
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK_EQ(t, nd, 2);
	for (i = 0; i < nd; i++)
		MXP_CHECK(t, d[i].tag == 9 && d[i].cause == MXP_SIGNAL_COMPLETED);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/* An announcement from the configured directory, and the errors callers get. */
MXP_TEST(announcement_and_errors)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a;
	peer_init(&a, 980, 990, "192.0.2.99", 5840);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 0), 0);
	char err[200] = "";
	struct mxp_signal s = { .kind = MXP_SIGNAL_ANNOUNCEMENT, .name = "hello.ul", .tag = 11 };
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), -ENODEV);
	char dir[64];
	snprintf(dir, sizeof(dir), "/tmp/mxp_sig_%d", (int)getpid());
	mkdir(dir, 0700);
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(sys, "xx", NULL, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "itu") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(sys, "de", dir, err, sizeof(err)), 0);
	MXP_CHECK_STR(t, mxp_conf_signal_country(sys), "de");
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), -ENOENT);
	/* 400 ms of 1 kHz, raw mu-law */
	char path[128];
	snprintf(path, sizeof(path), "%s/hello.ul", dir);
	FILE *fp = fopen(path, "wb");
	for (int i = 0; i < 3200; i++)
		fputc(mxp_media_ulaw_enc1((int16_t)lrint(6000 * sin(2 * M_PI * 1000.0 * i / 8000))),
		      fp);
	fclose(fp);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	static struct rx ra;
	memset(&ra, 0, sizeof(ra));
	struct peer *pr[1] = { &a };
	const double f[1] = { 0 };
	run(t, 600, pr, f, (struct rx *[1]){ &ra }, 1);
	MXP_CHECK(t, ra.npcm >= 3000);
	double v = goertzel(ra.pcm + 400, 2400, 1000);
	MXP_CHECK(t, fabs(20 * log10(v / 6000)) < 0.5);
	struct mxp_signal_done d[8];
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 11 && d[0].cause == MXP_SIGNAL_COMPLETED);
	/* names that leave the directory, unknown tones, digits, modes */
	snprintf(s.name, sizeof(s.name), "../etc/passwd");
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), -EACCES);
	snprintf(s.name, sizeof(s.name), "x/y.wav");
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), -EACCES);
	s = tone("cg/nope", 0, 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "unknown tone") != NULL);
	s = (struct mxp_signal){ .kind = MXP_SIGNAL_DTMF, .name = "12x" };
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), -EINVAL);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, 999999, &s, err, sizeof(err)), -ENOENT);
	uint32_t fw = new_conf(sys, MXP_CONF_FORWARD);
	s = tone("cg/dt", 0, 0);
	MXP_CHECK_EQ(t, mxp_conf_signal_start(sys, fw, &s, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK(t, strstr(err, "forward conference") != NULL);
	MXP_CHECK_EQ(t, done_all(sys, d, 8), 0);
	unlink(path);
	rmdir(dir);
	peer_fini(&a);
	mxp_conf_sys_destroy(sys);
}

/*
 * Announcement memory: a leg removed while its announcement plays lets go of the
 * generator's reference on the control core while the cache still holds the announcement;
 * the cache's own drop later (a new directory, the system's end) frees it exactly once.
 */
MXP_TEST(announcement_of_a_removed_leg_freed_once)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b;
	peer_init(&a, 1010, 1020, "192.0.2.101", 5860);
	peer_init(&b, 1030, 1040, "192.0.2.102", 5862);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	char dir[64], path[128], err[200] = "";
	snprintf(dir, sizeof(dir), "/tmp/mxp_sig1_%d", (int)getpid());
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/long.ul", dir);
	FILE *fp = fopen(path, "wb");
	for (int i = 0; i < 8000; i++) /* 1 s */
		fputc(mxp_media_ulaw_enc1((int16_t)lrint(6000 * sin(2 * M_PI * 500.0 * i / 8000))),
		      fp);
	fclose(fp);
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(sys, NULL, dir, err, sizeof(err)), 0);
	struct mxp_signal s = { .kind = MXP_SIGNAL_ANNOUNCEMENT, .name = "long.ul", .tag = 21 };
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	s.tag = 22;
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, b.leg.id, &s, err, sizeof(err)), 0);
	struct peer *pr[2] = { &a, &b };
	const double f[2] = { 0, 0 };
	run(t, 100, pr, f, (struct rx *[2]){ NULL, NULL }, 2);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, a.leg.id, NULL, err, sizeof(err)), 0);
	struct mxp_signal_done d[8];
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 21 && d[0].cause == MXP_SIGNAL_INTERRUPTED);
	/* b still plays it: the cache lets go (another directory), b goes on, then ends */
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(sys, NULL, "/tmp", err, sizeof(err)), 0);
	run(t, 100, pr + 1, f, (struct rx *[1]){ NULL }, 1);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, b.leg.id, NULL, err, sizeof(err)), 0);
	nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 22);
	MXP_CHECK_EQ(t, done_all(sys, d, 8), 0);
	unlink(path);
	rmdir(dir);
	sent_clear();
	peer_fini(&a);
	peer_fini(&b);
	mxp_conf_sys_destroy(sys); /* ASan: nothing freed twice or read after its free */
}

/* ---- switch and forward conferences --------------------------------------------------------- */

/* Packets of one SSRC in what a participant got, in order: how many, and whether they form
 * one well-formed RTP stream (sequence +1 each, timestamp +160 per sequence step: a gap is
 * a loss, as a receiver sees it). */
static unsigned int
ssrc_stream(struct mxp_test_ctx *t, const struct rx *r, uint32_t ssrc, bool *ok)
{
	unsigned int n = 0;
	int last = -1;
	*ok = true;
	for (unsigned int i = 0; i < r->n; i++) {
		if (r->p[i].ssrc != ssrc || r->p[i].pt != 0)
			continue;
		if (last >= 0) {
			uint16_t ds = (uint16_t)(r->p[i].seq - r->p[last].seq);
			uint32_t dt = r->p[i].ts - r->p[last].ts;
			if (ds == 0 || ds > 1000 || dt != 160u * ds) {
				*ok = false;
				printf("# ssrc %08x: seq %u -> %u, ts %u -> %u\n", ssrc,
				       r->p[last].seq, r->p[i].seq, r->p[last].ts, r->p[i].ts);
			}
		}
		last = (int)i;
		n++;
	}
	(void)t;
	return n;
}

/* The PCMU samples of the packets of one SSRC (20 ms packets of 160 bytes). */
static unsigned int
ssrc_pcm(const struct rx *r, uint32_t ssrc, int16_t *out, unsigned int max)
{
	/* r->pcm holds every PCMU payload in arrival order: walk it beside the packets */
	unsigned int off = 0, n = 0;
	for (unsigned int i = 0; i < r->n && i < MAXPKT; i++) {
		if (r->p[i].pt != 0)
			continue;
		unsigned int len = r->p[i].len;
		if (r->p[i].ssrc == ssrc)
			for (unsigned int k = 0; k < len && off + k < r->npcm && n < max; k++)
				out[n++] = r->pcm[off + k];
		off += len;
	}
	return n;
}

/*
 * A switch conference: b talks (1 kHz), a and c listen, each with its own key (its own key
 * group). A dial tone toward a: a hears it instead of b, on a stream of the MRFP's own (an
 * SSRC of its own, marked at its start, +1 / +160 each packet, decrypted by libsrtp2 with
 * a's key); c keeps hearing b. After the signal a hears b's switched stream again, a
 * well-formed RTP stream whose gap is the signal's length.
 */
MXP_TEST(switch_leg_signal_heard_by_its_leg_only)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b, cc;
	peer_init(&a, 1100, 1110, "192.0.2.110", 5900);
	peer_init(&b, 1101, 1111, "192.0.2.111", 5902);
	peer_init(&cc, 1102, 1112, "192.0.2.112", 5904);
	leg_pt = 0;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_RECVONLY, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &cc, MXP_SM_RECVONLY, 0), 0);
	leg_pt = -1;
	struct peer *pr[3] = { &a, &b, &cc };
	const double f[3] = { 0, 1000, 0 };
	static struct rx ra, rc;
	memset(&ra, 0, sizeof(ra)), memset(&rc, 0, sizeof(rc));
	run(t, 200, pr, f, (struct rx *[3]){ &ra, NULL, &rc }, 3);
	/* b's switched stream toward a */
	uint32_t b_ssrc = ra.n ? ra.p[ra.n - 1].ssrc : 0;
	MXP_CHECK(t, b_ssrc != 0 && ra.npcm >= 1600 &&
		      goertzel(ra.pcm + ra.npcm - 1600, 1600, 1000) > 4000);
	memset(&ra, 0, sizeof(ra)), memset(&rc, 0, sizeof(rc));
	char err[200] = "";
	struct mxp_signal s = tone("cg/dt", 600, 31);
	int r = mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	if (r)
		printf("# %s\n", err);
	run(t, 560, pr, f, (struct rx *[3]){ &ra, NULL, &rc }, 3);
	/* a: after at most a timer period of b, the MRFP's stream only, starting marked */
	uint32_t sig_ssrc = ra.n ? ra.p[ra.n - 1].ssrc : 0;
	unsigned int first = 0;
	while (first < ra.n && ra.p[first].ssrc != sig_ssrc)
		first++;
	MXP_CHECK(t, sig_ssrc != b_ssrc && first <= 3 && first < ra.n && ra.p[first].marker);
	for (unsigned int i = first + 1; i < ra.n; i++)
		MXP_CHECK(t, ra.p[i].ssrc == sig_ssrc && !ra.p[i].marker);
	bool ok;
	unsigned int ns = ssrc_stream(t, &ra, sig_ssrc, &ok);
	MXP_CHECK(t, ok && ns >= 24);
	static int16_t x[MAXPCM];
	unsigned int nx = ssrc_pcm(&ra, sig_ssrc, x, RTE_DIM(x));
	MXP_CHECK(t, nx >= 3600);
	double a425 = goertzel(x + 400, 3200, 425), a1k = goertzel(x + 400, 3200, 1000);
	double c425 = goertzel(rc.pcm + 400, 3200, 425), c1k = goertzel(rc.pcm + 400, 3200, 1000);
	printf("# a: 425 Hz %.0f (want %.0f), 1 kHz %.0f; c: 425 Hz %.0f, 1 kHz %.0f\n", a425,
	       dial_amp(), a1k, c425, c1k);
	MXP_CHECK(t, fabs(20 * log10(a425 / dial_amp())) < 0.5);
	MXP_CHECK(t, a1k < dial_amp() / 100); /* replaced: b is not heard */
	MXP_CHECK(t, rc.npcm >= 4000 && c1k > 4000 && c425 < dial_amp() / 100);
	for (unsigned int i = 0; i < rc.n; i++) /* c: b's stream, untouched */
		MXP_CHECK(t, rc.p[i].ssrc == rc.p[0].ssrc && rc.p[i].ssrc != sig_ssrc);
	/* the signal ends; b's stream comes back to a */
	run(t, 200, pr, f, (struct rx *[3]){ &ra, NULL, &rc }, 3);
	struct mxp_signal_done d[8];
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].leg == a.leg.id && d[0].tag == 31 &&
		      d[0].cause == MXP_SIGNAL_COMPLETED);
	unsigned int nsig = ssrc_stream(t, &ra, sig_ssrc, &ok);
	printf("# a: %u packets of the signal's stream\n", nsig);
	MXP_CHECK(t, ok && nsig >= 29 && nsig <= 31); /* 600 ms of 20 ms frames */
	uint16_t last_seq = 0;
	uint32_t last_ts = 0;
	for (unsigned int i = 0; i < ra.n; i++)
		if (ra.p[i].ssrc == sig_ssrc)
			last_seq = ra.p[i].seq, last_ts = ra.p[i].ts;
	uint64_t t_end = rte_rdtsc();
	memset(&ra, 0, sizeof(ra));
	run(t, 300, pr, f, (struct rx *[3]){ &ra, NULL, NULL }, 3);
	unsigned int nb = ssrc_stream(t, &ra, b_ssrc, &ok);
	MXP_CHECK(t, ok && nb >= 13 && nb == ra.n);
	MXP_CHECK(t, ra.npcm >= 1600 && goertzel(ra.pcm + ra.npcm - 1600, 1600, 1000) > 4000);
	MXP_CHECK(t, ra.npcm >= 1600 && goertzel(ra.pcm + ra.npcm - 1600, 1600, 425) <
						 dial_amp() / 100);
	/* a second signal: the same stream of the MRFP's, marked again, its clock ran on in
	 * real time (RFC 3550 5.1) and its sequence numbers without a gap */
	struct rx *rs = &rc; /* reuse: c's record is not needed any more */
	memset(rs, 0, sizeof(*rs));
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	double gap = (double)(rte_rdtsc() - t_end) / (double)rte_get_tsc_hz(); /* s, at least */
	run(t, 100, pr, f, (struct rx *[3]){ rs, NULL, NULL }, 3);
	first = 0;
	while (first < rs->n && rs->p[first].ssrc != sig_ssrc)
		first++;
	MXP_CHECK(t, first < rs->n && rs->p[first].marker);
	if (first < rs->n) {
		uint32_t dts = rs->p[first].ts - last_ts;
		printf("# second signal: seq %u -> %u, ts +%u (%.0f ms of silence at least)\n",
		       last_seq, rs->p[first].seq, dts, gap * 1000);
		MXP_CHECK_EQ(t, (uint16_t)(rs->p[first].seq - last_seq), 1);
		MXP_CHECK(t, dts % 160 == 0 && dts >= (uint32_t)(gap * 8000) &&
			      dts <= (uint32_t)(gap * 8000) + 8000 / 2);
	}
	peer_fini(&a), peer_fini(&b), peer_fini(&cc);
	mxp_conf_sys_destroy(sys);
}

/*
 * The MRFP's stream toward a switch leg for its signals is an output stream under the
 * leg's group key like the others: a participant that sends under that key with the
 * stream's SSRC (RFC 3711 9.1: two streams may not share key and SSRC) moves it to a fresh
 * SSRC, and the leg goes on hearing its tone, decrypted with the same key.
 */
MXP_TEST(switch_signal_stream_moves_on_ssrc_collision)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b, d;
	peer_init(&a, 1130, 1131, "192.0.2.130", 5950);
	peer_init(&b, 1132, 1133, "192.0.2.131", 5952);
	peer_init(&d, 1131, 1134, "192.0.2.132", 5954); /* sends under a's group key */
	leg_pt = 0;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_RECVONLY, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	struct mxp_signal s = tone("cg/dt", 3000, 41);
	char err[200] = "";
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	struct peer *pr[3] = { &a, &b, &d };
	const double f[3] = { 0, 1000, 0 };
	static struct rx ra;
	memset(&ra, 0, sizeof(ra));
	run(t, 300, pr, f, (struct rx *[3]){ &ra, NULL, NULL }, 2);
	uint32_t sig_ssrc = ra.n ? ra.p[ra.n - 1].ssrc : 0;
	MXP_CHECK(t, sig_ssrc != 0);
	/* d joins and sends with the signal stream's SSRC under a's key */
	d.ssrc = sig_ssrc;
	srtp_dealloc(d.tx);
	d.tx = srtp_session(d.in_key, false, d.ssrc);
	MXP_CHECK_EQ(t, add_leg(sys, c, &d, MXP_SM_SENDRECV, 0), 0);
	leg_pt = -1;
	memset(&ra, 0, sizeof(ra));
	run(t, 400, pr, f, (struct rx *[3]){ &ra, NULL, NULL }, 3);
	/* after the packets already on their way, a's tone comes on another SSRC */
	uint32_t now_ssrc = ra.n ? ra.p[ra.n - 1].ssrc : 0;
	unsigned int before = 0, after = 0;
	for (unsigned int i = 0; i < ra.n; i++) {
		before += ra.p[i].ssrc == sig_ssrc;
		after += ra.p[i].ssrc == now_ssrc;
	}
	printf("# signal stream 0x%08x -> 0x%08x: %u packets before, %u after\n", sig_ssrc,
	       now_ssrc, before, after);
	MXP_CHECK(t, now_ssrc != 0 && now_ssrc != sig_ssrc && before <= 3 && after >= 15);
	static int16_t x[MAXPCM];
	unsigned int nx = ssrc_pcm(&ra, now_ssrc, x, RTE_DIM(x));
	MXP_CHECK(t, nx >= 2400 &&
		      fabs(20 * log10(goertzel(x + nx - 1600, 1600, 425) / dial_amp())) < 0.5);
	peer_fini(&a), peer_fini(&b), peer_fini(&d);
	mxp_conf_sys_destroy(sys);
}

/*
 * A conference signal in a switch conference: every participant hears it instead of the
 * switched media, the talker too; then the talker is heard again. A leg whose only payload
 * type is dynamic without an a=rtpmap naming a codec (the MRFP does not know what it
 * accepts) cannot get a leg signal.
 */
MXP_TEST(switch_conference_signal_heard_by_all)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b, cc;
	peer_init(&a, 1200, 1210, "192.0.2.120", 5910);
	peer_init(&b, 1201, 1211, "192.0.2.121", 5912);
	peer_init(&cc, 1202, 1212, "192.0.2.122", 5914);
	leg_pt = 0;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_RECVONLY, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &cc, MXP_SM_RECVONLY, 0), 0);
	leg_pt = -1;
	struct peer *pr[3] = { &a, &b, &cc };
	const double f[3] = { 0, 1000, 0 };
	static struct rx ra, rb, rc;
	run(t, 100, pr, f, (struct rx *[3]){ NULL, NULL, NULL }, 3);
	memset(&ra, 0, sizeof(ra)), memset(&rb, 0, sizeof(rb)), memset(&rc, 0, sizeof(rc));
	char err[200] = "";
	struct mxp_signal s = tone("cg/dt", 500, 41);
	int r = mxp_conf_signal_start(sys, c, &s, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	if (r)
		printf("# %s\n", err);
	run(t, 460, pr, f, (struct rx *[3]){ &ra, &rb, &rc }, 3);
	struct rx *all[3] = { &ra, &rb, &rc };
	uint32_t ssrcs[3];
	for (int i = 0; i < 3; i++) {
		double v = goertzel(all[i]->pcm + 400, 2800, 425);
		double o = goertzel(all[i]->pcm + 400, 2800, 1000);
		if (!MXP_CHECK(t, all[i]->npcm >= 3200 && fabs(20 * log10(v / dial_amp())) < 0.5 &&
				      o < dial_amp() / 100))
			printf("# peer %d: %u samples, 425 Hz %.0f, others %.0f\n", i,
			       all[i]->npcm, v, o);
		bool ok;
		const struct rx *x = all[i];
		ssrcs[i] = x->n ? x->p[x->n - 1].ssrc : 0;
		unsigned int first = 0;
		while (first < x->n && x->p[first].ssrc != ssrcs[i])
			first++;
		MXP_CHECK(t, first <= 3 && first < x->n && x->p[first].marker);
		MXP_CHECK(t, ssrc_stream(t, x, ssrcs[i], &ok) == x->n - first && ok);
	}
	MXP_CHECK(t, ssrcs[0] != ssrcs[1] && ssrcs[1] != ssrcs[2] && ssrcs[0] != ssrcs[2]);
	run(t, 200, pr, f, (struct rx *[3]){ NULL, NULL, NULL }, 3);
	struct mxp_signal_done d[8];
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].leg == 0 && d[0].conf == c && d[0].tag == 41 &&
		      d[0].cause == MXP_SIGNAL_COMPLETED);
	memset(&ra, 0, sizeof(ra)), memset(&rc, 0, sizeof(rc));
	run(t, 200, pr, f, (struct rx *[3]){ &ra, NULL, &rc }, 3);
	MXP_CHECK(t, ra.npcm >= 1600 && goertzel(ra.pcm + ra.npcm - 1600, 1600, 1000) > 2000);
	MXP_CHECK(t, ra.npcm >= 1600 && goertzel(ra.pcm + ra.npcm - 1600, 1600, 425) <
						 dial_amp() / 100);
	MXP_CHECK(t, rc.npcm >= 1600 && goertzel(rc.pcm + rc.npcm - 1600, 1600, 1000) > 2000);

	/* a leg with only a dynamic payload type and no codec for it: no leg signal */
	struct peer e;
	peer_init(&e, 1203, 1213, "192.0.2.123", 5916);
	leg_pt = 96;
	MXP_CHECK_EQ(t, add_leg(sys, c, &e, MXP_SM_SENDRECV, 0), 0);
	leg_pt = -1;
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, e.leg.id, &s, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK(t, strstr(err, "PCMU, PCMA, G722") != NULL);
	MXP_CHECK_EQ(t, done_all(sys, d, 8), 0);
	peer_fini(&a), peer_fini(&b), peer_fini(&cc), peer_fini(&e);
	mxp_conf_sys_destroy(sys);
}

/* Check a's RFC 4733 packets of event ev: the first marked, updates growing, then exactly
 * three end packets of one timestamp with the duration the updates reached (want_dur, or
 * at least the last update's). Returns the index after them. */
static unsigned int
check_event(struct mxp_test_ctx *t, const struct rx *r, unsigned int i, int ev, uint8_t pt,
	    unsigned int want_dur, unsigned int *ends_out)
{
	while (i < r->n && r->p[i].pt != pt)
		i++;
	if (!MXP_CHECK(t, i < r->n))
		return i;
	uint32_t ts = r->p[i].ts;
	MXP_CHECK(t, r->p[i].marker);
	unsigned int last_dur = 0, ends = 0, upd = 0;
	for (; i < r->n && r->p[i].pt == pt && r->p[i].ts == ts; i++) {
		const uint8_t *p = r->p[i].pay;
		MXP_CHECK_EQ(t, r->p[i].len, 4);
		MXP_CHECK_EQ(t, p[0], ev);
		unsigned int dur = mxp_be_rd16(p + 2);
		if (p[1] & 0x80) {
			ends++;
			if (want_dur)
				MXP_CHECK_EQ(t, dur, want_dur);
			else
				MXP_CHECK(t, dur == last_dur || (ends == 1 && dur >= last_dur));
		} else {
			MXP_CHECK(t, ends == 0 && dur > last_dur);
			upd++;
		}
		last_dur = dur;
	}
	MXP_CHECK(t, upd >= 1);
	*ends_out = ends;
	return i;
}

/*
 * RFC 4733 2.5.1.4: a digit interrupted mid-event by a new signal still gets its three end
 * packets (today's bug: none), carrying the duration it reached; in a mix conference (the
 * leg's private stream) and in a switch conference (the MRFP's stream toward the leg).
 * Then the new signal plays. A switch leg's whole DTMF signal is events on that stream.
 */
MXP_TEST(dtmf_interrupted_digit_ends)
{
	for (int mode = 0; mode < 2; mode++) {
		struct mxp_conf_sys *sys = sys_new();
		uint32_t c = new_conf(sys, mode ? MXP_CONF_SWITCH : MXP_CONF_MIX);
		struct peer a, b;
		peer_init(&a, 1300 + mode, 1310 + mode, "192.0.2.130", 5920);
		peer_init(&b, 1302 + mode, 1312 + mode, "192.0.2.131", 5922);
		leg_pt = mode ? 0 : -1;
		MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 101), 0);
		MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
		leg_pt = -1;
		struct peer *pr[2] = { &a, &b };
		const double f[2] = { 0, 0 };
		static struct rx ra;
		memset(&ra, 0, sizeof(ra));
		char err[200] = "";
		/* a whole digit first (switch: events on the MRFP's stream), then one cut */
		struct mxp_signal s = { .kind = MXP_SIGNAL_DTMF, .name = "1", .duration_ms = 100,
					.tag = 50 };
		MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
		run(t, 300, pr, f, (struct rx *[2]){ &ra, NULL }, 2);
		unsigned int ends = 0;
		unsigned int i = check_event(t, &ra, 0, 1, 101, 800, &ends);
		MXP_CHECK_EQ(t, ends, 3);
		struct mxp_signal_done d[8];
		MXP_CHECK(t, done_all(sys, d, 8) == 1 && d[0].tag == 50 &&
			      d[0].cause == MXP_SIGNAL_COMPLETED);
		s = (struct mxp_signal){ .kind = MXP_SIGNAL_DTMF, .name = "5", .duration_ms = 400,
					 .tag = 51 };
		MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
		run(t, 200, pr, f, (struct rx *[2]){ &ra, NULL }, 2);
		struct mxp_signal s2 = tone("cg/dt", 200, 52);
		MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s2, err, sizeof(err)),
			     0);
		run(t, 300, pr, f, (struct rx *[2]){ &ra, NULL }, 2);
		ends = 0;
		unsigned int j = check_event(t, &ra, i, 5, 101, 0, &ends);
		MXP_CHECK_EQ(t, ends, 3);
		if (ends != 3)
			printf("# %s: the interrupted digit's end packets: %u\n",
			       mode ? "switch" : "mix", ends);
		/* the duration reached: some 200 ms of the 400 (8 kHz units) */
		unsigned int k = j ? j - 1 : 0;
		unsigned int dur = k < ra.n ? mxp_be_rd16(ra.p[k].pay + 2) : 0;
		MXP_CHECK(t, dur >= 800 && dur < 3200);
		/* then the dial tone on the same stream: PCMU after the ends */
		bool tone_after = false;
		for (unsigned int q = j; q < ra.n; q++)
			tone_after |= ra.p[q].pt == 0 && ra.p[q].ssrc == ra.p[k].ssrc;
		MXP_CHECK(t, tone_after);
		unsigned int nd = done_all(sys, d, 8);
		MXP_CHECK(t, nd == 2 && d[0].tag == 51 && d[0].cause == MXP_SIGNAL_INTERRUPTED &&
			      d[1].tag == 52 && d[1].cause == MXP_SIGNAL_COMPLETED);
		peer_fini(&a), peer_fini(&b);
		mxp_conf_sys_destroy(sys);
	}
}

/*
 * Forward conferences refuse signals with the reason (no key the MRFP may encrypt with);
 * in a switch conference a leg that moves to another key group mid-signal stops hearing
 * it (interrupted: its stream was under the old key), and a leg removed while the
 * conference signal plays leaves nothing behind (ASan).
 */
MXP_TEST(forward_refused_switch_rekey_and_leave)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t fw = new_conf(sys, MXP_CONF_FORWARD);
	struct peer a, b;
	peer_init(&a, 1400, 1400, "192.0.2.140", 5930);
	peer_init(&b, 1400, 1400, "192.0.2.141", 5932);
	MXP_CHECK_EQ(t, add_leg(sys, fw, &a, MXP_SM_SENDRECV, 0), 0);
	char err[300] = "";
	struct mxp_signal s = tone("cg/dt", 0, 61);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), -ENOTSUP);
	printf("# forward: %s\n", err);
	MXP_CHECK(t, strstr(err, "forward conference") != NULL && strstr(err, "key") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_signal_start(sys, fw, &s, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, a.leg.id, NULL, err, sizeof(err)), 0);
	peer_fini(&a), peer_fini(&b);

	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	peer_init(&a, 1401, 1411, "192.0.2.142", 5934);
	peer_init(&b, 1402, 1412, "192.0.2.143", 5936);
	leg_mki = true;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 0), 0);
	leg_mki = false;
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	struct peer *pr[2] = { &a, &b };
	const double f[2] = { 0, 1000 };
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	run(t, 100, pr, f, (struct rx *[2]){ NULL, NULL }, 2);
	/* a's outbound key changes: a new key group */
	struct mxp_leg_mod m = { .add_out_key = true, .activate_out = true,
				 .activate_mki_len = 1 };
	m.activate_mki[0] = 2;
	uint8_t k2[30];
	key_fill(k2, 1499);
	m.out_key.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	memcpy(m.out_key.key, k2, 16);
	memcpy(m.out_key.salt, k2 + 16, 14);
	m.out_key.mki_len = 1;
	m.out_key.mki[0] = 2;
	int r = mxp_conf_leg_modify(sys, a.leg.id, &m, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	if (r)
		printf("# modify: %s\n", err);
	struct mxp_signal_done d[8];
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 61 && d[0].cause == MXP_SIGNAL_INTERRUPTED);
	/* a new signal gets a stream under the new key */
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	struct mxp_signal cs = tone("cg/ct", 0, 62);
	MXP_CHECK_EQ(t, mxp_conf_signal_start(sys, c, &cs, err, sizeof(err)), 0);
	run(t, 100, pr, f, (struct rx *[2]){ NULL, NULL }, 2);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, b.leg.id, NULL, err, sizeof(err)), 0);
	run(t, 60, pr, f, (struct rx *[2]){ NULL, NULL }, 1);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);
	nd = done_all(sys, d, 8);
	MXP_CHECK_EQ(t, nd, 2); /* a's signal and the conference's, interrupted */
	for (unsigned int i = 0; i < nd; i++)
		MXP_CHECK(t, (d[i].tag == 61 || d[i].tag == 62) &&
			      d[i].cause == MXP_SIGNAL_INTERRUPTED);
	sent_clear();
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/*
 * The codec toward a switch leg is one it accepts (the MRFP does not decode the switched
 * media): a leg of PCMA only gets the tone in PCMA (payload type 8), a leg of G.722 only in
 * G.722 (9, 16 kHz audio: lib/media's decoder finds the tone at its level), from one
 * conference signal.
 */
MXP_TEST(switch_signal_in_each_legs_codec)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b;
	peer_init(&a, 1500, 1510, "192.0.2.150", 5940);
	peer_init(&b, 1501, 1511, "192.0.2.151", 5942);
	leg_pt = 8;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_RECVONLY, 0), 0);
	leg_pt = 9;
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_RECVONLY, 0), 0);
	leg_pt = -1;
	struct peer *pr[2] = { &a, &b };
	const double f[2] = { 0, 0 };
	static struct rx ra, rb;
	memset(&ra, 0, sizeof(ra)), memset(&rb, 0, sizeof(rb));
	char err[200] = "";
	struct mxp_signal s = tone("cg/dt", 600, 71);
	MXP_CHECK_EQ(t, mxp_conf_signal_start(sys, c, &s, err, sizeof(err)), 0);
	run(t, 700, pr, f, (struct rx *[2]){ &ra, &rb }, 2);
	for (unsigned int i = 0; i < ra.n; i++)
		MXP_CHECK(t, ra.p[i].pt == 8 && ra.p[i].len == 160);
	for (unsigned int i = 0; i < rb.n; i++)
		MXP_CHECK(t, rb.p[i].pt == 9 && rb.p[i].len == 160);
	MXP_CHECK(t, ra.npcma >= 4000 && rb.ng722 >= 4000);
	double va = ra.npcma >= 3600 ? goertzel(ra.pcma + 400, 3200, 425) : 0;
	struct mxp_media_coder dec;
	mxp_media_coder_init(&dec, MXP_MEDIA_CODEC_G722);
	static int16_t x[16000 * 2];
	int n = rb.ng722 ? mxp_media_decode(&dec, rb.g722, rb.ng722, x, RTE_DIM(x)) : 0;
	double vb = n >= 8000 ? mxp_test_tone_amp(x + 1600, 6400, 425, 16000.0) : 0;
	printf("# PCMA leg: 425 Hz %.0f, G.722 leg: 425 Hz %.0f (want %.0f)\n", va, vb,
	       dial_amp());
	MXP_CHECK(t, va > 0 && fabs(20 * log10(va / dial_amp())) < 0.5);
	MXP_CHECK(t, vb > 0 && fabs(20 * log10(vb / dial_amp())) < 1.0);
	struct mxp_signal_done d[8];
	MXP_CHECK(t, done_all(sys, d, 8) == 1 && d[0].tag == 71 &&
		      d[0].cause == MXP_SIGNAL_COMPLETED);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/* ---- frame codecs toward switch legs: independent decoders ---------------------------------- */

/* Speech bits per frame type (3GPP TS 26.101 and 26.201; the last: SID; others: none). */
static const uint16_t amrnb_bits[16] = { 95, 103, 118, 134, 148, 159, 204, 244, 39 };
static const uint16_t amrwb_bits[16] = { 132, 177, 253, 285, 317, 365, 397, 461, 477, 40 };

static unsigned int
bits_get(const uint8_t *p, unsigned int *bit, unsigned int n)
{
	unsigned int v = 0;
	for (unsigned int i = 0; i < n; i++, (*bit)++)
		v = v << 1 | ((p[*bit / 8] >> (7 - *bit % 8)) & 1);
	return v;
}

/*
 * An RFC 4867 AMR or AMR-WB payload (4.3 bandwidth-efficient: CMR, table of contents, speech
 * bits back to back; 4.4 octet-aligned: each of them padded to an octet) decoded by
 * opencore-amrnb's Decoder_Interface_Decode / opencore-amrwb's D_IF_decode, which take the
 * storage format (5.3: a header octet FT << 3 | Q << 2, the frame's bits padded to an
 * octet): the test's own depacketiser, not lib/media's. Returns samples or -1.
 */
static int
amr_decode(bool wb, bool octet, void *st, const uint8_t *pl, unsigned int len, int16_t *out,
	   unsigned int cap, unsigned int *mode)
{
	unsigned int bit = octet ? 8 : 4, nf = 0, total = len * 8;
	unsigned int sid = wb ? 9 : 8, spf = wb ? 320 : 160;
	uint8_t ft[16], q[16];
	for (bool more = true; more; nf++) {
		if (nf == 16 || bit + (octet ? 8 : 6) > total)
			return -1;
		more = bits_get(pl, &bit, 1);
		ft[nf] = (uint8_t)bits_get(pl, &bit, 4);
		q[nf] = (uint8_t)bits_get(pl, &bit, 1);
		if (octet)
			bit += 2;
	}
	unsigned int n = 0;
	for (unsigned int i = 0; i < nf; i++) {
		unsigned int nb = (wb ? amrwb_bits : amrnb_bits)[ft[i]];
		uint8_t f[64] = { (uint8_t)(ft[i] << 3 | q[i] << 2) };
		if ((ft[i] > sid && ft[i] < 14) || bit + nb > total || n + spf > cap)
			return -1;
		for (unsigned int k = 0; k < nb; k++)
			f[1 + k / 8] |= (uint8_t)(bits_get(pl, &bit, 1) << (7 - k % 8));
		if (octet)
			bit = (bit + 7) / 8 * 8;
		if (wb)
			D_IF_decode(st, f, out + n, 0);
		else
			Decoder_Interface_Decode(st, f, out + n, 0);
		n += spf;
		*mode = ft[i];
	}
	return (int)n;
}

/* What one switch leg heard in a frame codec on one SSRC: packets (pt, a well-formed RTP
 * stream: sequence +1, timestamp +units per step, the first marked) decoded at 16 kHz. */
struct dyn_heard {
	unsigned int pkts, samples;
	bool stream_ok, marked;
	unsigned int mode;           /* AMR: the frame type of the last frame */
	unsigned int modes;          /* AMR: bit m, frames of mode m */
	double rate;                 /* of pcm */
	int16_t pcm[16000 * 2];
};

static void
dyn_decode(struct mxp_test_ctx *t, const struct rx *r, uint32_t ssrc, uint8_t pt,
	   enum mxp_media_codec codec, bool octet, struct dyn_heard *h)
{
	memset(h, 0, sizeof(*h));
	bool wb = codec == MXP_MEDIA_CODEC_AMR_WB;
	void *amr = wb ? D_IF_init() : codec == MXP_MEDIA_CODEC_AMR ? Decoder_Interface_init()
								    : NULL;
	h->rate = codec == MXP_MEDIA_CODEC_AMR ? 8000 : 16000;
	int oerr = 0;
	OpusDecoder *op = codec == MXP_MEDIA_CODEC_OPUS ? opus_decoder_create(16000, 1, &oerr)
							 : NULL;
	uint32_t units = mxp_media_codec_clock(codec) / 50;
	int last = -1;
	h->stream_ok = true;
	for (unsigned int i = 0; i < r->n; i++) {
		if (r->p[i].ssrc != ssrc || r->p[i].pt != pt)
			continue;
		if (last < 0) {
			h->marked = r->p[i].marker;
		} else {
			uint16_t ds = (uint16_t)(r->p[i].seq - r->p[last].seq);
			uint32_t dt = r->p[i].ts - r->p[last].ts;
			/* a stall of more than SW_CATCH_UP (10) frames resumes at the time
			 * it ends, not with a burst: the timestamp jumps by more than that */
			bool resumed = dt > units * (ds + 10);
			if (resumed)
				printf("# ssrc %08x: resumed after a stall (seq %u -> %u, ts +%u)\n",
				       ssrc, r->p[last].seq, r->p[i].seq, dt);
			if (ds == 0 || ds > 1000 || (dt != units * ds && !resumed) ||
			    r->p[i].marker) {
				h->stream_ok = false;
				printf("# ssrc %08x: seq %u -> %u, ts %u -> %u%s\n", ssrc,
				       r->p[last].seq, r->p[i].seq, r->p[last].ts, r->p[i].ts,
				       r->p[i].marker ? " marked" : "");
			}
		}
		last = (int)i;
		h->pkts++;
		const uint8_t *pl = r->dyn + r->p[i].doff;
		unsigned int len = r->p[i].len;
		if (r->p[i].doff + len > r->ndyn)
			break;
		unsigned int cap = RTE_DIM(h->pcm) - h->samples;
		int n = amr != NULL ? amr_decode(wb, octet, amr, pl, len, h->pcm + h->samples, cap,
						 &h->mode)
		      : op != NULL ? opus_decode(op, pl, (opus_int32)len, h->pcm + h->samples,
						 (int)(cap < 960 ? cap : 960), 0)
				   : -1;
		if (!MXP_CHECK(t, n > 0))
			break;
		h->samples += (unsigned int)n;
		if (amr != NULL)
			h->modes |= 1u << h->mode;
	}
	if (amr != NULL && wb)
		D_IF_exit(amr);
	else if (amr != NULL)
		Decoder_Interface_exit(amr);
	if (op != NULL)
		opus_decoder_destroy(op);
}

/* The SSRC of the last packet of payload type pt a participant got (0: none). */
static uint32_t
last_ssrc(const struct rx *r, uint8_t pt)
{
	for (unsigned int i = r->n; i-- > 0;)
		if (r->p[i].pt == pt)
			return r->p[i].ssrc;
	return 0;
}

/* The level of the 425 Hz tone a leg heard in a frame codec, in dB from the dial tone's, and
 * the 1 kHz talker's amplitude; after its first 200 ms (the codec's onset) for 400 ms. */
static double
dyn_level(const struct dyn_heard *h, double *o1k)
{
	unsigned int from = (unsigned int)(h->rate / 5), n = (unsigned int)(h->rate * 2 / 5);
	if (h->samples < from + n) {
		*o1k = 0;
		return -99;
	}
	*o1k = mxp_test_tone_amp(h->pcm + from, n, 1000, h->rate);
	double v = mxp_test_tone_amp(h->pcm + from, n, 425, h->rate);
	return v > 0 ? 20 * log10(v / dial_amp()) : -99;
}

/*
 * Switch legs whose codecs are frame codecs of dynamic payload types hear signals, each in
 * the first codec it offers, with its a=fmtp: a (RFC 4867 AMR-WB, bandwidth-efficient: the
 * VoLTE phone), o (RFC 7587 Opus: the WebRTC client), w (AMR-WB octet-aligned with
 * mode-set=0,1, offering PCMU after it), n (AMR, bandwidth-efficient). A leg signal toward
 * a, then a conference signal toward all, encoded by an encoder of each leg's own. What
 * they get is decoded by the codecs' own libraries (opencore-amrwb and opencore-amrnb behind
 * the test's depacketiser, libopus) and the tone measured; the RTP clock is the codec's
 * (+320 per 20 ms packet for AMR-WB, +960 for Opus, +160 for AMR). The talker b (PCMU) is
 * not heard while the signal plays. a2, a second AMR-WB leg like a, gets the conference
 * signal's frames encoded once for both (the same payloads on its own stream). Then DTMF
 * toward a: RFC 4733 events at AMR-WB's clock.
 */
MXP_TEST(switch_signal_in_frame_codecs)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b, o, w, n, a2;
	peer_init(&a, 1600, 1610, "192.0.2.160", 5960);
	peer_init(&b, 1601, 1611, "192.0.2.161", 5962);
	peer_init(&o, 1602, 1612, "192.0.2.162", 5964);
	peer_init(&w, 1603, 1613, "192.0.2.163", 5966);
	peer_init(&n, 1604, 1614, "192.0.2.164", 5968);
	peer_init(&a2, 1605, 1615, "192.0.2.165", 5970);
	leg_pt = 97, leg_pt2 = 101, leg_codec = MXP_MEDIA_CODEC_AMR_WB, leg_fmtp = "";
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, 101), 0);
	leg_pt2 = -1;
	leg_pt = 111, leg_codec = MXP_MEDIA_CODEC_OPUS, leg_fmtp = "";
	MXP_CHECK_EQ(t, add_leg(sys, c, &o, MXP_SM_SENDRECV, 0), 0);
	leg_pt = 98, leg_pt2 = 0, leg_codec = MXP_MEDIA_CODEC_AMR_WB;
	leg_fmtp = "octet-align=1; mode-set=0,1";
	MXP_CHECK_EQ(t, add_leg(sys, c, &w, MXP_SM_SENDRECV, 0), 0);
	leg_pt = 96, leg_pt2 = -1, leg_codec = MXP_MEDIA_CODEC_AMR, leg_fmtp = "";
	MXP_CHECK_EQ(t, add_leg(sys, c, &n, MXP_SM_SENDRECV, 0), 0);
	leg_pt = 97, leg_codec = MXP_MEDIA_CODEC_AMR_WB, leg_fmtp = "";
	MXP_CHECK_EQ(t, add_leg(sys, c, &a2, MXP_SM_SENDRECV, 0), 0);
	leg_pt = 0, leg_codec = MXP_MEDIA_CODEC_NONE, leg_fmtp = "";
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	leg_pt = -1;
	struct peer *pr[6] = { &a, &b, &o, &w, &n, &a2 };
	const double f[6] = { 0, 1000, 0, 0, 0, 0 };
	static struct rx ra, ro, rw, rn, ra2;
	static struct dyn_heard h;
	struct mxp_signal_done d[8];
	unsigned int nd;
	memset(&ra, 0, sizeof(ra)), memset(&ro, 0, sizeof(ro));
	char err[200] = "";
	/* a leg signal toward the AMR-WB leg */
	struct mxp_signal s = tone("cg/dt", 600, 81);
	int r = mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	if (r)
		printf("# %s\n", err);
	/* every participant's libsrtp2 sees every packet from the start (a receiver that
	 * missed the packets around its stream's sequence wrap could not know the ROC) */
	nd = run_until_done(t, sys, pr, f, (struct rx *[6]){ &ra, NULL, &ro, &rw, &rn, &ra2 }, 6,
			    d, 8);
	uint32_t sa = last_ssrc(&ra, 97);
	dyn_decode(t, &ra, sa, 97, MXP_MEDIA_CODEC_AMR_WB, false, &h);
	double o1k, db = dyn_level(&h, &o1k);
	printf("# AMR-WB leg signal: %u packets, %u samples, modes 0x%x, 425 Hz %.2f dB, "
	       "1 kHz %.0f\n", h.pkts, h.samples, h.modes, db, o1k);
	MXP_CHECK(t, sa != 0 && h.pkts >= 29 && h.pkts <= 31 && h.stream_ok && h.marked);
	MXP_CHECK(t, fabs(db) < 1.5);
	MXP_CHECK(t, o1k < dial_amp() / 30); /* replaced: b is not heard */
	MXP_CHECK_EQ(t, last_ssrc(&ro, 111), 0); /* the Opus leg: not its signal */
	MXP_CHECK(t, nd == 1 && d[0].leg == a.leg.id && d[0].tag == 81 &&
		      d[0].cause == MXP_SIGNAL_COMPLETED);
	/* a conference signal: every leg hears it in its codec */
	memset(&ra, 0, sizeof(ra)), memset(&ro, 0, sizeof(ro));
	memset(&rw, 0, sizeof(rw)), memset(&rn, 0, sizeof(rn)), memset(&ra2, 0, sizeof(ra2));
	s = tone("cg/dt", 600, 82);
	r = mxp_conf_signal_start(sys, c, &s, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	if (r)
		printf("# %s\n", err);
	nd = run_until_done(t, sys, pr, f, (struct rx *[6]){ &ra, NULL, &ro, &rw, &rn, &ra2 }, 6,
			    d, 8);
	MXP_CHECK_EQ(t, last_ssrc(&ra, 97), sa); /* the leg's stream, kept */
	const struct {
		const char *name;
		struct rx *r;
		uint8_t pt;
		enum mxp_media_codec codec;
		bool octet;
		unsigned int modes; /* the frame types allowed: speech modes and SID */
	} legs[] = {
		{ "AMR-WB", &ra, 97, MXP_MEDIA_CODEC_AMR_WB, false, 0x3ff },
		{ "Opus", &ro, 111, MXP_MEDIA_CODEC_OPUS, false, 0 },
		{ "AMR-WB octet-aligned, mode-set=0,1", &rw, 98, MXP_MEDIA_CODEC_AMR_WB, true,
		  0x203 },
		{ "AMR", &rn, 96, MXP_MEDIA_CODEC_AMR, false, 0x1ff },
		{ "AMR-WB (a second leg)", &ra2, 97, MXP_MEDIA_CODEC_AMR_WB, false, 0x3ff },
	};
	for (unsigned int i = 0; i < RTE_DIM(legs); i++) {
		uint32_t ss = last_ssrc(legs[i].r, legs[i].pt);
		dyn_decode(t, legs[i].r, ss, legs[i].pt, legs[i].codec, legs[i].octet, &h);
		db = dyn_level(&h, &o1k);
		printf("# %s conference signal: %u packets, %u samples, modes 0x%x, 425 Hz "
		       "%.2f dB, 1 kHz %.0f\n", legs[i].name, h.pkts, h.samples, h.modes, db, o1k);
		MXP_CHECK(t, ss != 0 && h.pkts >= 29 && h.pkts <= 31 && h.stream_ok && h.marked);
		MXP_CHECK(t, h.samples == h.pkts * (unsigned int)h.rate / 50);
		MXP_CHECK(t, fabs(db) < 1.5 && o1k < dial_amp() / 30);
		MXP_CHECK(t, (h.modes & ~legs[i].modes) == 0);
		for (unsigned int k = 0; k < legs[i].r->n; k++) /* the signal: its payload type */
			MXP_CHECK_EQ(t, legs[i].r->p[k].ssrc == ss,
				     legs[i].r->p[k].pt == legs[i].pt);
	}
	/* a and a2 (one format): the frame encoded once, the same payload on their streams */
	uint32_t sa2 = last_ssrc(&ra2, 97);
	unsigned int same = 0, pairs = 0;
	for (unsigned int ia = 0, ib = 0;; ia++, ib++, pairs++) {
		while (ia < ra.n && ra.p[ia].ssrc != sa)
			ia++;
		while (ib < ra2.n && ra2.p[ib].ssrc != sa2)
			ib++;
		if (ia >= ra.n || ib >= ra2.n)
			break;
		same += ra.p[ia].len == ra2.p[ib].len &&
			memcmp(ra.dyn + ra.p[ia].doff, ra2.dyn + ra2.p[ib].doff,
			       ra.p[ia].len) == 0;
	}
	printf("# a and a2: %u of %u signal packets with the same payload\n", same, pairs);
	MXP_CHECK(t, sa2 != sa && same >= 29);
	MXP_CHECK(t, nd == 1 && d[0].leg == 0 && d[0].tag == 82 &&
		      d[0].cause == MXP_SIGNAL_COMPLETED);
	/* DTMF toward the AMR-WB leg: RFC 4733 events on its stream, durations at its clock
	 * (100 ms: 1600 units of 16 kHz) */
	memset(&ra, 0, sizeof(ra));
	s = (struct mxp_signal){ .kind = MXP_SIGNAL_DTMF, .name = "1", .duration_ms = 100,
				 .tag = 83 };
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err)), 0);
	nd = run_until_done(t, sys, pr, f, (struct rx *[6]){ &ra, NULL, &ro, &rw, &rn, &ra2 }, 6,
			    d, 8);
	unsigned int ends = 0;
	check_event(t, &ra, 0, 1, 101, 1600, &ends);
	MXP_CHECK_EQ(t, ends, 3);
	for (unsigned int i = 0; i < ra.n; i++)
		if (ra.p[i].pt == 101)
			MXP_CHECK_EQ(t, ra.p[i].ssrc, sa);
	MXP_CHECK(t, nd == 1 && d[0].tag == 83 &&
		      d[0].cause == MXP_SIGNAL_COMPLETED);
	peer_fini(&a), peer_fini(&b), peer_fini(&o), peer_fini(&w), peer_fini(&n);
	peer_fini(&a2);
	mxp_conf_sys_destroy(sys); /* ASan: the legs' encoders freed once */
}

/* A leg's codecs change (a re-INVITE: mxp_conf_leg_modify set_codecs) to one payload type. */
static int
change_codec(struct mxp_conf_sys *sys, uint32_t leg, uint8_t pt, enum mxp_media_codec codec)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.n_pt = 1;
	lp.pt[0] = pt;
	char err[200] = "";
	if (codec != MXP_MEDIA_CODEC_NONE) {
		lp.n_codecs = 1;
		lp.codecs[0].pt = pt;
		lp.codecs[0].codec = (uint8_t)codec;
		if (mxp_media_fmtp_parse(codec, "", &lp.codecs[0].fmtp, err, sizeof(err)))
			return -EINVAL;
	}
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	mxp_leg_mod_set_codecs(&m, &lp);
	int r = mxp_conf_leg_modify(sys, leg, &m, err, sizeof(err));
	if (r)
		printf("# leg_modify: %s\n", err);
	return r;
}

/*
 * Signals across a codec change. Switch: a tone playing toward an AMR leg (96) when it moves
 * to AMR-WB (97) ends, interrupted; the next leg signal and the next conference signal reach
 * it in AMR-WB on 97 at their level, nothing more in AMR. Mix: the same for a leg moving
 * from AMR-WB to PCMU (the tone used the leg's old private encoder, freed by the change:
 * ASan sees any later use).
 */
MXP_TEST(signals_across_a_codec_change)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer n, b;
	peer_init(&n, 1700, 1710, "192.0.2.170", 5980);
	peer_init(&b, 1701, 1711, "192.0.2.171", 5982);
	leg_pt = 96, leg_codec = MXP_MEDIA_CODEC_AMR, leg_fmtp = "";
	MXP_CHECK_EQ(t, add_leg(sys, c, &n, MXP_SM_SENDRECV, 0), 0);
	leg_pt = 0, leg_codec = MXP_MEDIA_CODEC_NONE;
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, 0), 0);
	leg_pt = -1;
	struct peer *pr[2] = { &n, &b };
	const double f[2] = { 0, 1000 };
	static struct rx rn;
	static struct dyn_heard h;
	struct mxp_signal_done d[8];
	char err[200] = "";
	double o1k, db;
	memset(&rn, 0, sizeof(rn));
	struct mxp_signal s = tone("cg/rt", 0, 91); /* until stopped */
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, n.leg.id, &s, err, sizeof(err)), 0);
	run(t, 200, pr, f, (struct rx *[2]){ &rn, NULL }, 2);
	MXP_CHECK(t, last_ssrc(&rn, 96) != 0); /* heard, in AMR */
	MXP_CHECK_EQ(t, change_codec(sys, n.leg.id, 97, MXP_MEDIA_CODEC_AMR_WB), 0);
	unsigned int nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 91 && d[0].cause == MXP_SIGNAL_INTERRUPTED);
	memset(&rn, 0, sizeof(rn));
	s = tone("cg/dt", 600, 92);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, n.leg.id, &s, err, sizeof(err)), 0);
	nd = run_until_done(t, sys, pr, f, (struct rx *[2]){ &rn, NULL }, 2, d, 8);
	uint32_t ss = last_ssrc(&rn, 97);
	dyn_decode(t, &rn, ss, 97, MXP_MEDIA_CODEC_AMR_WB, false, &h);
	db = dyn_level(&h, &o1k);
	printf("# switch, after AMR -> AMR-WB: leg signal %u packets on 97, 425 Hz %.2f dB\n",
	       h.pkts, db);
	MXP_CHECK(t, ss != 0 && h.pkts >= 29 && h.pkts <= 31 && h.stream_ok);
	MXP_CHECK(t, fabs(db) < 1.5);
	MXP_CHECK_EQ(t, last_ssrc(&rn, 96), 0);
	MXP_CHECK(t, nd == 1 && d[0].tag == 92 && d[0].cause == MXP_SIGNAL_COMPLETED);
	memset(&rn, 0, sizeof(rn));
	s = tone("cg/dt", 600, 93);
	MXP_CHECK_EQ(t, mxp_conf_signal_start(sys, c, &s, err, sizeof(err)), 0);
	nd = run_until_done(t, sys, pr, f, (struct rx *[2]){ &rn, NULL }, 2, d, 8);
	ss = last_ssrc(&rn, 97);
	dyn_decode(t, &rn, ss, 97, MXP_MEDIA_CODEC_AMR_WB, false, &h);
	db = dyn_level(&h, &o1k);
	printf("# switch: conference signal %u packets on 97, 425 Hz %.2f dB\n", h.pkts, db);
	MXP_CHECK(t, ss != 0 && h.pkts >= 29 && h.pkts <= 31 && fabs(db) < 1.5);
	MXP_CHECK_EQ(t, last_ssrc(&rn, 96), 0);
	MXP_CHECK(t, nd == 1 && d[0].tag == 93 && d[0].cause == MXP_SIGNAL_COMPLETED);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);

	uint32_t cm = new_conf(sys, MXP_CONF_MIX);
	leg_pt = 97, leg_codec = MXP_MEDIA_CODEC_AMR_WB, leg_fmtp = "";
	MXP_CHECK_EQ(t, add_leg(sys, cm, &n, MXP_SM_SENDRECV, 0), 0);
	leg_pt = 0, leg_codec = MXP_MEDIA_CODEC_NONE;
	MXP_CHECK_EQ(t, add_leg(sys, cm, &b, MXP_SM_SENDRECV, 0), 0);
	leg_pt = -1;
	s = tone("cg/rt", 0, 94);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, n.leg.id, &s, err, sizeof(err)), 0);
	run(t, 200, pr, f, (struct rx *[2]){ NULL, NULL }, 2);
	MXP_CHECK_EQ(t, change_codec(sys, n.leg.id, 0, MXP_MEDIA_CODEC_NONE), 0);
	nd = done_all(sys, d, 8);
	MXP_CHECK(t, nd == 1 && d[0].tag == 94 && d[0].cause == MXP_SIGNAL_INTERRUPTED);
	memset(&rn, 0, sizeof(rn));
	s = tone("cg/dt", 600, 95);
	MXP_CHECK_EQ(t, mxp_conf_leg_signal_start(sys, n.leg.id, &s, err, sizeof(err)), 0);
	nd = run_until_done(t, sys, pr, f, (struct rx *[2]){ &rn, NULL }, 2, d, 8);
	double a425 = rn.npcm >= 4000 ? goertzel(rn.pcm + 800, 3200, 425.0) : 0;
	printf("# mix, after AMR-WB -> PCMU: %u PCMU samples, 425 Hz at %.0f (dial tone %.0f)\n",
	       rn.npcm, a425, dial_amp());
	MXP_CHECK(t, rn.npcm >= 4000);
	MXP_CHECK(t, a425 > dial_amp() * 0.7 && a425 < dial_amp() * 1.3);
	MXP_CHECK(t, nd == 1 && d[0].tag == 95 && d[0].cause == MXP_SIGNAL_COMPLETED);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, cm, err, sizeof(err)), 0);
	sent_clear();
	peer_fini(&n), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(leg_signal_heard_by_its_leg_only_conference_signal_by_all),
	MXP_CASE(replace_instead_of_mix),
	MXP_CASE(wideband_leg_signal),
	MXP_CASE(interruption_and_stop_reported),
	MXP_CASE(dtmf_rfc4733_events),
	MXP_CASE(announcement_and_errors),
	MXP_CASE(announcement_of_a_removed_leg_freed_once),
	MXP_CASE(switch_leg_signal_heard_by_its_leg_only),
	MXP_CASE(switch_conference_signal_heard_by_all),
	MXP_CASE(switch_signal_in_each_legs_codec),
	MXP_CASE(switch_signal_stream_moves_on_ssrc_collision),
	MXP_CASE(switch_signal_in_frame_codecs),
	MXP_CASE(signals_across_a_codec_change),
	MXP_CASE(dtmf_interrupted_digit_ends),
	MXP_CASE(forward_refused_switch_rekey_and_leave),
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
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
