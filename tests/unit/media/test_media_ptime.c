/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packetization: a leg of ptime 20 fed packets of 10, 30, 60 and 120 ms (G.711, G.722,
 * L16) with the leg's default parameters. At steady state the leg's output must be the
 * sender's decoded signal, sample for sample, delayed: nothing concealed, lost, dropped,
 * inserted or removed by time scaling. The signal is a slowly swept tone (speech to the
 * leg's detector, and never periodic, so the delay found is the only one that matches).
 */
#include "mxp_test.h"
#include "media_sim.h"
#include "media_priv.h"

#define PT_SECONDS 8
#define PT_MAX_PKT 3840 /* 120 ms of L16 at 16 kHz */

struct ptsim {
	enum mxp_media_codec codec;
	unsigned rate, mix_rate, pkt_ms, ptime;
	double amp;        /* 9000: speech to the leg; 20: below its speech threshold */
	unsigned spike_ms; /* the network delay swings over that much (0: constant) */
	struct mxp_media_mixer *m;
	struct mxp_media_leg *leg;
	struct mxp_media_g722_state enc, dec;
	int16_t *ref;      /* the sender's signal as a decoder reproduces it (leg rate) */
	size_t ref_len;
	int16_t *out;      /* the leg's output (mix rate = leg rate) */
	size_t out_len;
	double phase;
	uint64_t pos;
	uint16_t seq;
	uint32_t ts;
	uint64_t now, t_send; /* tick time, next send time (us) */
	uint32_t rnd;
	struct pt_pkt { /* in flight */
		uint64_t t;
		unsigned len;
		uint16_t seq;
		uint32_t ts;
		uint8_t pl[PT_MAX_PKT];
	} q[64];
	unsigned nq;
};

/* One packet of pkt_ms: its payload into pl, its decoded samples appended to ref. */
static unsigned
pt_make(struct ptsim *s, uint8_t *pl)
{
	unsigned n = s->pkt_ms * s->rate / 1000;
	int16_t pcm[PT_MAX_PKT / 2];
	for (unsigned i = 0; i < n; i++) {
		double t = (double)(s->pos + i) / s->rate;
		double f = 500 + 200 * sin(2 * M_PI * 0.37 * t);
		s->phase += 2 * M_PI * f / s->rate;
		pcm[i] = (int16_t)lrint(s->amp * sin(s->phase));
	}
	unsigned len;
	int16_t *r = s->ref + s->ref_len;
	switch (s->codec) {
	case MXP_MEDIA_CODEC_PCMU:
		mxp_media_ulaw_encode(pl, pcm, n);
		mxp_media_ulaw_decode(r, pl, n);
		len = n;
		break;
	case MXP_MEDIA_CODEC_PCMA:
		mxp_media_alaw_encode(pl, pcm, n);
		mxp_media_alaw_decode(r, pl, n);
		len = n;
		break;
	case MXP_MEDIA_CODEC_G722:
		len = mxp_media_g722_encode(&s->enc, pl, pcm, n);
		mxp_media_g722_decode(&s->dec, r, pl, len);
		break;
	default:
		mxp_media_l16_encode(pl, pcm, n);
		memcpy(r, pcm, n * sizeof(*r));
		len = 2 * n;
		break;
	}
	s->ref_len += n;
	s->pos += n;
	return len;
}

static int
pt_init(struct ptsim *s, enum mxp_media_codec codec, unsigned pkt_ms, unsigned ptime,
	double amp, unsigned spike_ms)
{
	memset(s, 0, sizeof(*s));
	s->ptime = ptime;
	s->amp = amp;
	s->spike_ms = spike_ms;
	s->codec = codec;
	s->rate = mxp_media_codec_rate(codec);
	s->mix_rate = s->rate; /* no resampling: the output is the decoded signal */
	s->pkt_ms = pkt_ms;
	s->seq = 1000;
	s->ts = 123456;
	s->now = 1000000;
	s->t_send = s->now + 700;
	s->rnd = 77;
	mxp_media_g722_init(&s->enc);
	mxp_media_g722_init(&s->dec);
	struct mxp_media_mixer_params mp = {
		.ptime_ms = (uint16_t)ptime, .max_legs = 2, .rate = (uint16_t)s->mix_rate};
	s->m = sim_mixer_new(&mp, 1000000);
	struct mxp_media_leg_params p;
	sim_leg_params(&p, 1, codec, ptime);
	p.max_payload = 0; /* the default must take every packet a codec allows */
	s->leg = sim_leg_new(&p);
	size_t n = (size_t)PT_SECONDS * s->rate + 2 * PT_MAX_PKT;
	s->ref = calloc(n, sizeof(int16_t));
	s->out = calloc(n, sizeof(int16_t));
	if (s->m == NULL || s->leg == NULL || s->ref == NULL || s->out == NULL)
		return -1;
	return mxp_media_mixer_leg_add(s->m, s->leg);
}

static void
pt_free(struct ptsim *s)
{
	sim_leg_free(s->leg);
	free(s->m);
	free(s->ref);
	free(s->out);
}

/*
 * Run: the sender sends a packet every pkt_ms (at the end of the audio it carries), the
 * network delays each by 15 ms plus up to 2 ms; the mixer ticks every 20 ms.
 */
static void
pt_run(struct ptsim *s, unsigned seconds)
{
	uint8_t pl[PT_MAX_PKT];
	struct pt_pkt *q = s->q;
	unsigned nq = s->nq;
	unsigned frame = s->ptime * s->mix_rate / 1000;
	for (unsigned tick = 0; tick < seconds * 1000 / s->ptime; tick++) {
		uint64_t next = s->now + s->ptime * 1000u;
		while (s->t_send < next && nq < 64) {
			unsigned len = pt_make(s, pl);
			q[nq].t = s->t_send + 15000 + tu_rand(&s->rnd) % 2000;
			if (s->spike_ms) { /* the delay swings over spike_ms every 2 s */
				double ph = 2 * M_PI * (double)(s->t_send - 1000000) / 2e6;
				q[nq].t += (uint64_t)(s->spike_ms * 500.0 * (1 - cos(ph)));
			}
			q[nq].len = len;
			q[nq].seq = s->seq++;
			q[nq].ts = s->ts;
			memcpy(q[nq].pl, pl, len);
			s->ts += mxp_media_codec_ts_units(s->codec, len);
			nq++;
			s->t_send += (uint64_t)s->pkt_ms * 1000;
		}
		for (unsigned i = 0; i < nq;) {
			if (q[i].t > next) {
				i++;
				continue;
			}
			struct mxp_media_pkt pkt = {
				.payload = q[i].pl, .len = (uint16_t)q[i].len, .seq = q[i].seq,
				.ts = q[i].ts, .ssrc = 42, .pt = sim_pt_of(s->codec),
				.level = MXP_MEDIA_LEVEL_NONE,
			};
			enum mxp_media_rx_result r = sim_leg_rx(s->leg, &pkt, q[i].t, NULL);
			if (r != MXP_MEDIA_RX_AUDIO)
				printf("# packet seq %u: %s\n", q[i].seq, mxp_media_rx_result_name(r));
			q[i] = q[--nq];
		}
		s->now = next;
		mxp_media_mix_tick(s->m, s->now);
		const int16_t *f = media_leg_frame(s->leg);
		if (f != NULL)
			memcpy(s->out + s->out_len, f, frame * sizeof(int16_t));
		s->out_len += frame;
	}
	s->nq = nq;
}

/* The delay d with out[i] == ref[i - d] over a window at `at`, or -1. */
static long
pt_delay(const struct ptsim *s, size_t at, size_t win)
{
	for (long d = 0; d < (long)(s->rate / 2) && (size_t)d <= at; d++)
		if (memcmp(s->out + at, s->ref + at - (size_t)d, win * sizeof(int16_t)) == 0)
			return d;
	return -1;
}

static void
pt_check_x(struct mxp_test_ctx *t, enum mxp_media_codec codec, unsigned pkt_ms, unsigned ptime,
	   double amp, unsigned spike_ms)
{
	struct ptsim s;
	printf("# %s, %u ms packets into a leg of ptime %u%s%s\n", mxp_media_codec_name(codec),
	       pkt_ms, ptime, amp < 100 ? ", not speech" : "", spike_ms ? ", delay swing" : "");
	if (!MXP_CHECK(t, pt_init(&s, codec, pkt_ms, ptime, amp, spike_ms) == 0)) {
		pt_free(&s);
		return;
	}
	pt_run(&s, spike_ms ? 4 : 2); /* warm-up: the buffer finds its depth */
	struct mxp_media_leg_stats a, b;
	mxp_media_leg_stats_get(s.leg, &a);
	size_t from = s.out_len;
	pt_run(&s, PT_SECONDS - (spike_ms ? 5 : 3));
	mxp_media_leg_stats_get(s.leg, &b);
	MXP_CHECK(t, b.rx[MXP_MEDIA_RX_AUDIO] > 0);
	MXP_CHECK_EQ(t, b.rx[MXP_MEDIA_RX_BAD_PAYLOAD], 0);
	MXP_CHECK_EQ(t, b.rx[MXP_MEDIA_RX_OUTLIER], 0);
	MXP_CHECK_EQ(t, b.rx[MXP_MEDIA_RX_RESYNC], 0);
	if (spike_ms) { /* the buffer follows the swing: only the window is checked */
		printf("#   late %llu, lost %llu, depth %u ms, target %u ms\n",
		       (unsigned long long)b.rx[MXP_MEDIA_RX_LATE],
		       (unsigned long long)(b.lost - a.lost), b.depth_ms, b.target_ms);
		pt_free(&s);
		return;
	}
	MXP_CHECK_EQ(t, b.rx[MXP_MEDIA_RX_LATE], 0);
	MXP_CHECK_EQ(t, b.lost - a.lost, 0);
	MXP_CHECK_EQ(t, b.concealed - a.concealed, 0);
	MXP_CHECK_EQ(t, b.silence - a.silence, 0);
	MXP_CHECK_EQ(t, b.accelerated - a.accelerated, 0);
	MXP_CHECK_EQ(t, b.expanded - a.expanded, 0);
	MXP_CHECK(t, b.depth_ms <= ptime + 2 * pkt_ms + 20u);
	if (amp < 100) { /* a leg that does not speak is not mixed: no frame to compare */
		pt_free(&s);
		return;
	}
	long d = pt_delay(&s, from, 64);
	MXP_CHECK(t, d >= 0);
	if (d >= 0) {
		/* every sample from there on: the input, delayed */
		size_t bad = 0;
		for (size_t i = from; i < s.out_len; i++)
			bad += s.out[i] != s.ref[i - (size_t)d];
		MXP_CHECK_EQ(t, bad, 0);
		printf("#   delay %.1f ms, %zu samples compared, depth %u ms\n",
		       1000.0 * (double)d / s.rate, s.out_len - from, b.depth_ms);
	}
	pt_free(&s);
}

static void
pt_check(struct mxp_test_ctx *t, enum mxp_media_codec codec, unsigned pkt_ms)
{
	pt_check_x(t, codec, pkt_ms, 20, 9000, 0);
}

MXP_TEST(g711_10_30_60_120ms_packets_play_continuously)
{
	static const unsigned ms[] = {10, 30, 60, 120};
	for (unsigned i = 0; i < 4; i++) {
		pt_check(t, MXP_MEDIA_CODEC_PCMU, ms[i]);
		pt_check(t, MXP_MEDIA_CODEC_PCMA, ms[i]);
	}
}

MXP_TEST(g722_10_30_60_120ms_packets_play_continuously)
{
	static const unsigned ms[] = {10, 30, 60, 120};
	for (unsigned i = 0; i < 4; i++)
		pt_check(t, MXP_MEDIA_CODEC_G722, ms[i]);
}

MXP_TEST(l16_packets_up_to_the_mtu_play_continuously)
{
	/* 1500-byte MTU: 80 ms of L16 at 8 kHz (1280 bytes), 40 ms at 16 kHz */
	pt_check(t, MXP_MEDIA_CODEC_L16_8K, 10);
	pt_check(t, MXP_MEDIA_CODEC_L16_8K, 60);
	pt_check(t, MXP_MEDIA_CODEC_L16_8K, 80);
	pt_check(t, MXP_MEDIA_CODEC_L16_16K, 10);
	pt_check(t, MXP_MEDIA_CODEC_L16_16K, 40);
	/* jumbo frames: 120 ms of L16 at 16 kHz (3840 bytes) */
	pt_check(t, MXP_MEDIA_CODEC_L16_16K, 120);
}

MXP_TEST(long_packets_below_speech_keep_the_buffer_steady)
{
	/* a leg that does not speak adapts by dropping or holding silent frames: a long
	 * packet must not make it hold (the packet due is not needed yet) nor drop more
	 * than the excess */
	static const unsigned ms[] = {10, 30, 60, 120};
	for (unsigned i = 0; i < 4; i++) {
		pt_check_x(t, MXP_MEDIA_CODEC_PCMU, ms[i], 20, 20, 0);
		pt_check_x(t, MXP_MEDIA_CODEC_G722, ms[i], 20, 20, 0);
	}
}

MXP_TEST(ten_ms_packets_fill_the_whole_delay_window)
{
	/* the jitter buffer's slots count packets: 10 ms packets at ptime 40 with 250 ms of
	 * delay need 4 slots per tick of depth, none may fall outside the window; and a
	 * tick decodes a whole frame, so the frame's last packet must be in when it starts */
	pt_check_x(t, MXP_MEDIA_CODEC_PCMU, 10, 40, 9000, 0);
	pt_check_x(t, MXP_MEDIA_CODEC_PCMU, 20, 40, 9000, 0);
	pt_check_x(t, MXP_MEDIA_CODEC_PCMU, 60, 40, 9000, 0);
	pt_check_x(t, MXP_MEDIA_CODEC_PCMU, 10, 40, 9000, 250);
	pt_check_x(t, MXP_MEDIA_CODEC_PCMU, 10, 20, 9000, 250);
	pt_check_x(t, MXP_MEDIA_CODEC_G722, 10, 30, 9000, 250);
}

MXP_TEST(max_payload_default_and_limit)
{
	struct mxp_media_leg_params p;
	char err[128] = "";
	sim_leg_params(&p, 1, MXP_MEDIA_CODEC_PCMU, 20);
	p.max_payload = 0;
	struct mxp_media_leg *l = sim_leg_new(&p);
	if (!MXP_CHECK(t, l != NULL))
		return;
	/* 120 ms of G.711 is taken; one byte more than 120 ms of the widest codec (L16 at
	 * 16 kHz, 3840 bytes) is too large */
	static uint8_t pl[4096];
	struct mxp_media_pkt pkt = {.payload = pl, .len = 960, .seq = 1, .ts = 0, .ssrc = 9,
				    .pt = 0, .level = MXP_MEDIA_LEVEL_NONE};
	MXP_CHECK_EQ(t, sim_leg_rx(l, &pkt, 1000, NULL), MXP_MEDIA_RX_AUDIO);
	pkt.pt = 97; /* L16 16 kHz */
	pkt.len = 3840;
	pkt.seq = 2;
	pkt.ts = 960;
	MXP_CHECK_EQ(t, sim_leg_rx(l, &pkt, 2000, NULL), MXP_MEDIA_RX_RESYNC);
	pkt.len = 3842;
	pkt.seq = 3;
	pkt.ts = 960 + 1920;
	MXP_CHECK_EQ(t, sim_leg_rx(l, &pkt, 3000, NULL), MXP_MEDIA_RX_TOO_LARGE);
	sim_leg_free(l);
	/* a configured limit above what the jitter buffer can address is refused */
	p.max_payload = 16384;
	MXP_CHECK_EQ(t, mxp_media_leg_size(&p), 0);
	struct mxp_media_leg_params q = p;
	q.max_payload = 200;
	l = sim_leg_new(&q);
	if (MXP_CHECK(t, l != NULL)) {
		pkt.pt = 0;
		pkt.len = 201;
		MXP_CHECK_EQ(t, sim_leg_rx(l, &pkt, 1000, NULL), MXP_MEDIA_RX_TOO_LARGE);
		sim_leg_free(l);
	}
	(void)err;
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(g711_10_30_60_120ms_packets_play_continuously),
	MXP_CASE(g722_10_30_60_120ms_packets_play_continuously),
	MXP_CASE(l16_packets_up_to_the_mtu_play_continuously),
	MXP_CASE(long_packets_below_speech_keep_the_buffer_steady),
	MXP_CASE(ten_ms_packets_fill_the_whole_delay_window),
	MXP_CASE(max_payload_default_and_limit),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
