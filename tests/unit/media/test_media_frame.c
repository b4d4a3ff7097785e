/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame codecs through the codec interface, with a codec of the test's own registered as a
 * plugin would be: "X-L16F", 16-bit PCM at 16 kHz on a 48 kHz RTP clock (Opus's clock:
 * three timestamp units a sample), in 10 ms frames, one header byte giving the frame
 * count. It is lossless, so what a leg plays can be compared sample for sample with what
 * was sent: packets of 10 to 120 ms into a leg at ptime 20 play continuously; payloads the
 * codec's parser refuses are BAD_PAYLOAD; a talker's private stream is encoded with the
 * leg's own encoder. One case runs the same plugin at 48 kHz (a fullband leg: packets of
 * 60 and 120 ms, time scaling at 48 kHz). Opus (48 kHz) through a leg: a lost packet is
 * concealed by its decoder, or rebuilt from in-band FEC.
 */
#include "mxp_test.h"
#include "media_sim.h"
#include "media_priv.h"
#include "codec_opus.h"

#define XF_RATE 16000 /* the plugin's rate: xf_ops.rate, 48000 in the fullband case */
#define XF_FRAME 160  /* samples in 10 ms at XF_RATE */
/* The largest payload, 120 ms, at a rate */
#define XF_PL_MAX(rate) (1 + 12 * ((rate) / 100) * 2)

/* The table is the test's own, registered once; the fullband case changes its rate (and
 * largest payload) while no leg exists, and restores it (the registry has two plugin slots,
 * X-L16F's and X-C8's, and reads a codec's rate from its table on every use). */
static struct mxp_media_codec_ops xf_ops;

/* Samples in 10 ms at the plugin's current rate. */
static inline unsigned
xf_frame(void)
{
	return xf_ops.rate / 100;
}

struct xf_state {
	unsigned ptime_ms;
	unsigned encodes, decodes;
};

static int
xf_fmtp_parse(const char *fmtp, struct mxp_media_fmtp *f, char *err, size_t errlen)
{
	if (fmtp != NULL && fmtp[0] != '\0' && strcmp(fmtp, "gain=1") != 0) {
		snprintf(err, errlen, "X-L16F: unknown fmtp %s", fmtp);
		return -EINVAL;
	}
	((uint8_t *)f->b)[0] = fmtp != NULL && fmtp[0] != '\0';
	return 0;
}

static int
xf_fmtp_format(const struct mxp_media_fmtp *f, char *buf, size_t cap)
{
	return snprintf(buf, cap, "%s", ((const uint8_t *)f->b)[0] ? "gain=1" : "");
}

static void *
xf_dec_create(const struct mxp_media_fmtp *f)
{
	(void)f;
	return calloc(1, sizeof(struct xf_state));
}

static void *
xf_enc_create(const struct mxp_media_fmtp *f, unsigned ptime_ms)
{
	(void)f;
	struct xf_state *s = calloc(1, sizeof(*s));
	if (s != NULL)
		s->ptime_ms = ptime_ms;
	return s;
}

static void
xf_destroy(void *s)
{
	free(s);
}

static size_t
xf_mem(const struct mxp_media_fmtp *f)
{
	(void)f;
	return sizeof(struct xf_state);
}

static int
xf_duration(const struct mxp_media_fmtp *f, const uint8_t *pl, unsigned len)
{
	(void)f;
	if (len < 1 || pl[0] == 0 || pl[0] > 12 || len != 1u + pl[0] * xf_frame() * 2u)
		return -1;
	return pl[0] * 480; /* 48 kHz units */
}

static int
xf_decode(void *dec, const uint8_t *pl, unsigned len, int16_t *pcm, unsigned cap,
	  struct mxp_media_rx_info *info)
{
	int d = xf_duration(NULL, pl, len);
	unsigned n = d < 0 ? 0 : (unsigned)d / (48000 / xf_ops.rate);
	if (d < 0 || n > cap)
		return -1;
	((struct xf_state *)dec)->decodes++;
	mxp_media_l16_decode(pcm, pl + 1, n);
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->cmr = -1;
		info->speech = pl[0];
	}
	return (int)n;
}

static int
xf_encode(void *enc, const int16_t *pcm, unsigned n, uint8_t *out, unsigned cap)
{
	struct xf_state *s = enc;
	if (n != s->ptime_ms * xf_ops.rate / 1000 || cap < 1 + 2 * n)
		return -1;
	s->encodes++;
	out[0] = (uint8_t)(n / xf_frame());
	mxp_media_l16_encode(out + 1, pcm, n);
	return (int)(1 + 2 * n);
}

static struct mxp_media_codec_ops xf_ops = {
	.abi = MXP_MEDIA_CODEC_ABI,
	.name = "X-L16F",
	.clock = 48000,
	.rate = XF_RATE,
	.frame_ms = 10,
	.max_payload = XF_PL_MAX(XF_RATE),
	.fmtp_parse = xf_fmtp_parse,
	.fmtp_format = xf_fmtp_format,
	.dec_create = xf_dec_create,
	.dec_destroy = xf_destroy,
	.enc_create = xf_enc_create,
	.enc_destroy = xf_destroy,
	.dec_mem = xf_mem,
	.enc_mem = xf_mem,
	.duration = xf_duration,
	.decode = xf_decode,
	.encode = xf_encode,
};

static enum mxp_media_codec xf_id;

MXP_TEST(plugin_registration)
{
	struct mxp_media_codec_ops bad = xf_ops;
	bad.abi = MXP_MEDIA_CODEC_ABI + 1;
	MXP_CHECK_EQ(t, mxp_media_codec_register(&bad), -EINVAL);
	bad = xf_ops;
	bad.decode = NULL;
	MXP_CHECK_EQ(t, mxp_media_codec_register(&bad), -EINVAL);
	bad = xf_ops;
	bad.rate = 44100;
	MXP_CHECK_EQ(t, mxp_media_codec_register(&bad), -EINVAL);

	int id = mxp_media_codec_register(&xf_ops);
	if (!MXP_CHECK(t, id >= MXP_MEDIA_CODEC_PLUGIN && id < MXP_MEDIA_CODEC_COUNT))
		return;
	xf_id = (enum mxp_media_codec)id;
	MXP_CHECK_EQ(t, mxp_media_codec_register(&xf_ops), -EEXIST);
	MXP_CHECK(t, mxp_media_codec_ops(xf_id) == &xf_ops);
	MXP_CHECK_EQ(t, mxp_media_codec_from_name("x-l16f", 48000), xf_id);
	MXP_CHECK_EQ(t, mxp_media_codec_from_name("X-L16F", 16000), MXP_MEDIA_CODEC_NONE);
	MXP_CHECK_EQ(t, mxp_media_codec_rate(xf_id), 16000);
	MXP_CHECK_EQ(t, mxp_media_codec_clock(xf_id), 48000);
	MXP_CHECK(t, strcmp(mxp_media_codec_name(xf_id), "X-L16F") == 0);
	MXP_CHECK(t, mxp_media_codec_is_frame(xf_id));
	MXP_CHECK(t, !mxp_media_codec_is_frame(MXP_MEDIA_CODEC_G722));

	/* fmtp through the registry: the codec's parser, and none for the fixed codecs */
	struct mxp_media_fmtp f;
	char err[96];
	MXP_CHECK_EQ(t, mxp_media_fmtp_parse(xf_id, "gain=1", &f, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, ((uint8_t *)f.b)[0], 1);
	MXP_CHECK_EQ(t, mxp_media_fmtp_parse(xf_id, "gain=7", &f, err, sizeof(err)), -EINVAL);
	MXP_CHECK_EQ(t, mxp_media_fmtp_parse(MXP_MEDIA_CODEC_PCMU, "", &f, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_media_fmtp_parse(MXP_MEDIA_CODEC_PCMU, "x=1", &f, err, sizeof(err)),
		     -EINVAL);

	/* encoders: a frame codec only through init_frame, at a multiple of its frame */
	struct mxp_media_coder c;
	MXP_CHECK_EQ(t, mxp_media_coder_init(&c, xf_id), -EINVAL);
	memset(&f, 0, sizeof(f));
	MXP_CHECK_EQ(t, mxp_media_coder_init_frame(&c, xf_id, &f, 25), -EINVAL);
	MXP_CHECK_EQ(t, mxp_media_coder_init_frame(&c, MXP_MEDIA_CODEC_PCMU, &f, 20), -EINVAL);
	if (!MXP_CHECK(t, mxp_media_coder_init_frame(&c, xf_id, &f, 20) == 0))
		return;
	int16_t pcm[320];
	uint8_t out[700];
	for (int i = 0; i < 320; i++)
		pcm[i] = (int16_t)(i * 37 - 5000);
	MXP_CHECK_EQ(t, mxp_media_encode(&c, pcm, 320, out, sizeof(out)), 641);
	MXP_CHECK_EQ(t, mxp_media_encode(&c, pcm, 320, out, 100), -ENOSPC);
	mxp_media_coder_fini(&c);
	MXP_CHECK(t, c.xs == NULL);
}

/* A leg taking X-L16F on PT 96 (and PCMU on 0), at ptime 20. */
static struct mxp_media_leg *
xf_leg(void **dec, struct mxp_media_coder *enc, uint32_t id)
{
	struct mxp_media_leg_params p;
	memset(&p, 0, sizeof(p));
	p.id = id;
	p.ptime_ms = 20;
	p.pt_map[0].pt = 96;
	p.pt_map[0].codec = (uint8_t)xf_id;
	p.pt_map[1].pt = 0;
	p.pt_map[1].codec = MXP_MEDIA_CODEC_PCMU;
	p.n_pt = 2;
	p.event_pt = -1;
	p.cn_pt = -1;
	*dec = xf_ops.dec_create(&p.fmtp[0]);
	p.dec[0] = *dec;
	p.out_codec = (uint8_t)xf_id;
	if (mxp_media_coder_init_frame(enc, xf_id, &p.fmtp[0], 20) != 0)
		return NULL;
	p.priv_enc = enc;
	p.release = sim_release;
	return sim_leg_new(&p);
}

/* Where the test looks for the delay of the output: after the start-up. */
static inline unsigned
half_probe(unsigned total)
{
	return total / 2;
}

/* One packet of `ms` of the sequence x[pos...] (the payload in buf). */
static void
xf_packet(uint8_t *buf, struct mxp_media_pkt *pkt, const int16_t *x, uint64_t pos, unsigned ms,
	  uint16_t seq, uint32_t ts)
{
	unsigned n = ms * xf_ops.rate / 1000;
	buf[0] = (uint8_t)(ms / 10);
	mxp_media_l16_encode(buf + 1, x + pos, n);
	memset(pkt, 0, sizeof(*pkt));
	pkt->payload = buf;
	pkt->len = (uint16_t)(1 + 2 * n);
	pkt->seq = seq;
	pkt->ts = ts;
	pkt->ssrc = 77;
	pkt->pt = 96;
	pkt->level = MXP_MEDIA_LEVEL_NONE;
}

/* Packets of each of durations[] into a leg at ptime 20 (the plugin at its current rate,
 * the mixer's rate mix_rate, 0 to follow the legs: the mix must be at the plugin's rate):
 * played sample for sample, nothing concealed, lost or late. */
static void
xf_continuity(struct mxp_test_ctx *t, const unsigned *durations, unsigned nd, unsigned mix_rate)
{
	const unsigned rate = xf_ops.rate, spms = rate / 1000, tick = 20 * spms;
	for (unsigned d = 0; d < nd; d++) {
		unsigned ms = durations[d];
		const unsigned seconds = 6, total = seconds * rate, extra = rate / 4;
		int16_t *x = calloc(total + extra, sizeof(int16_t));
		int16_t *y = calloc(total, sizeof(int16_t));
		/* a chirp-like signal: any shift or repeat shows */
		for (unsigned i = 0; i < total + extra; i++)
			x[i] = (int16_t)lrint(9000 * sin(2 * M_PI * (300 + i / 40.0) * i / rate));
		void *dec;
		struct mxp_media_coder enc;
		struct mxp_media_leg *leg = xf_leg(&dec, &enc, 1);
		struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 2,
						    .rate = (uint16_t)mix_rate};
		uint64_t now = 1000000;
		struct mxp_media_mixer *m = sim_mixer_new(&mp, now);
		if (!MXP_CHECK(t, leg != NULL && m != NULL &&
					  mxp_media_mixer_leg_add(m, leg) == 0))
			return;
		uint64_t sent = 0, next_send = now;
		uint16_t seq = 1000;
		uint32_t ts = 123456;
		unsigned ny = 0, rate_bad = 0;
		uint8_t *buf = malloc(XF_PL_MAX(rate));
		while (ny + tick <= total) {
			/* the sender emits a packet of `ms` every `ms`, delivered 10 ms later */
			while (next_send + 10000 <= now &&
			       sent + ms * spms <= total + 3 * extra / 4) {
				struct mxp_media_pkt pkt;
				xf_packet(buf, &pkt, x, sent, ms, seq++, ts);
				MXP_CHECK_EQ(t, sim_leg_rx(leg, &pkt, now, NULL),
					     MXP_MEDIA_RX_AUDIO);
				sent += ms * spms;
				ts += ms * 48;
				next_send += ms * 1000;
			}
			rate_bad += mxp_media_mix_tick(m, now)->rate != rate;
			const int16_t *f = media_leg_frame(leg);
			if (f != NULL)
				memcpy(y + ny, f, tick * sizeof(int16_t));
			ny += tick;
			now += 20000;
		}
		struct mxp_media_leg_stats st;
		mxp_media_leg_stats_get(leg, &st);
		/* find where x starts in y, then compare the second half sample for sample */
		unsigned start = 0;
		unsigned probe = half_probe(total);
		for (; start < rate / 2; start++) {
			unsigned k = 0;
			while (k < 64 && y[probe + k] == x[probe + k - start])
				k++;
			if (k == 64)
				break;
		}
		unsigned half = total / 2, bad = 0;
		for (unsigned i = half; i < ny; i++)
			bad += y[i] != x[i - start];
		printf("#   %u kHz, %3u ms packets: start %u, concealed %llu, lost %llu, "
		       "late %llu, accelerated %llu, expanded %llu, differing samples %u of %u\n",
		       spms, ms, start, (unsigned long long)st.concealed,
		       (unsigned long long)st.lost, (unsigned long long)st.rx[MXP_MEDIA_RX_LATE],
		       (unsigned long long)st.accelerated, (unsigned long long)st.expanded, bad,
		       ny - half);
		MXP_CHECK_EQ(t, rate_bad, 0);
		MXP_CHECK(t, start < (ms + 200) * spms);
		MXP_CHECK_EQ(t, st.concealed, 0);
		MXP_CHECK_EQ(t, st.lost, 0);
		MXP_CHECK_EQ(t, st.rx[MXP_MEDIA_RX_LATE], 0);
		MXP_CHECK_EQ(t, bad, 0);
		MXP_CHECK_EQ(t, ((struct xf_state *)dec)->decodes, (unsigned)(seq - 1000) -
								       (unsigned)st.buffered);
		sim_leg_free(leg);
		mxp_media_coder_fini(&enc);
		xf_ops.dec_destroy(dec);
		free(m);
		free(x);
		free(y);
		free(buf);
	}
	MXP_CHECK_EQ(t, sim_bufs_live, 0);
}

MXP_TEST(packets_10_to_120ms_play_continuously)
{
	static const unsigned durations[] = {10, 20, 30, 60, 120};
	if (!MXP_CHECK(t, xf_id != MXP_MEDIA_CODEC_NONE))
		return;
	xf_continuity(t, durations, MXP_NCASES(durations), 16000);
}

/* A silent frame-codec stream of long packets arriving 45 ms early for 2 s, then on time:
 * the buffer shrinks by removing pitch periods, never by dropping a whole long packet
 * (the shrink is measured in the frame codec's own durations). Steady afterwards. */
static void
xf_shrink(struct mxp_test_ctx *t, const unsigned *durations, unsigned nd)
{
	const unsigned rate = xf_ops.rate, spms = rate / 1000;
	for (unsigned d = 0; d < nd; d++) {
		unsigned ms = durations[d];
		const unsigned seconds = 24, total = seconds * rate, extra = rate / 2;
		int16_t *x = calloc(total + extra, sizeof(int16_t));
		for (unsigned i = 0; i < total + extra; i++)
			x[i] = (int16_t)lrint(20 * sin(2 * M_PI * 400.0 * i / rate));
		void *dec;
		struct mxp_media_coder enc;
		struct mxp_media_leg *leg = xf_leg(&dec, &enc, 1);
		struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 2,
						    .rate = (uint16_t)rate};
		uint64_t now = 1000000;
		struct mxp_media_mixer *m = sim_mixer_new(&mp, now);
		if (!MXP_CHECK(t, leg != NULL && m != NULL && mxp_media_mixer_leg_add(m, leg) == 0))
			return;
		uint64_t sent = 0, next_send = now;
		uint16_t seq = 1000;
		uint32_t ts = 123456, rnd = 7;
		uint8_t *buf = malloc(XF_PL_MAX(rate));
		struct mxp_media_leg_stats a, st;
		for (unsigned tick = 0; tick < seconds * 50; tick++) {
			while (next_send + 15000 <= now &&
			       sent + ms * spms <= total + 3 * extra / 4) {
				struct mxp_media_pkt pkt;
				xf_packet(buf, &pkt, x, sent, ms, seq++, ts);
				rnd = rnd * 1103515245u + 12345u;
				uint64_t at = now - (rnd >> 16) % 2000 + (tick < 100 ? 45000 : 0);
				sim_leg_rx(leg, &pkt, at, NULL);
				sent += ms * spms;
				ts += ms * 48;
				next_send += ms * 1000;
			}
			mxp_media_mix_tick(m, now);
			now += 20000;
			if (tick == 100)
				mxp_media_leg_stats_get(leg, &a);
		}
		mxp_media_leg_stats_get(leg, &st);
		printf("#   X-L16F at %u kHz, %u ms silent, after the shrink: accelerated %llu "
		       "expanded %llu silence %llu concealed %llu lost %llu late %llu\n", spms,
		       ms, (unsigned long long)(st.accelerated - a.accelerated),
		       (unsigned long long)(st.expanded - a.expanded),
		       (unsigned long long)(st.silence - a.silence),
		       (unsigned long long)(st.concealed - a.concealed),
		       (unsigned long long)(st.lost - a.lost),
		       (unsigned long long)st.rx[MXP_MEDIA_RX_LATE]);
		/* shrunk by at most the 45 ms excess, without a gap to refill */
		MXP_CHECK(t, st.accelerated - a.accelerated <= 45 * spms);
		MXP_CHECK_EQ(t, st.expanded - a.expanded, 0);
		MXP_CHECK_EQ(t, st.silence - a.silence, 0);
		MXP_CHECK_EQ(t, st.concealed - a.concealed, 0);
		sim_leg_free(leg);
		mxp_media_coder_fini(&enc);
		xf_ops.dec_destroy(dec);
		free(m);
		free(x);
		free(buf);
	}
}

MXP_TEST(long_silent_frame_packets_keep_the_buffer_steady)
{
	static const unsigned durations[] = {20, 60, 120};
	xf_shrink(t, durations, MXP_NCASES(durations));
}

/* The plugin at 48 kHz: a fullband leg (mixed at 48 kHz) takes packets of 60 and 120 ms
 * (5760 samples: the leg's longest) and plays them sample for sample; long packets
 * arriving early are shrunk by time scaling at 48 kHz. */
MXP_TEST(xf_48k_long_packets)
{
	if (!MXP_CHECK(t, xf_id != MXP_MEDIA_CODEC_NONE))
		return;
	/* every case frees its legs: none exists while the table changes */
	xf_ops.rate = 48000;
	xf_ops.max_payload = XF_PL_MAX(48000);
	MXP_CHECK_EQ(t, mxp_media_codec_rate(xf_id), 48000);
	static const unsigned durations[] = {20, 60, 120};
	xf_continuity(t, durations, MXP_NCASES(durations), 0); /* mixed at 48 kHz: fullband */
	xf_shrink(t, durations + 1, 2);
	xf_ops.rate = XF_RATE;
	xf_ops.max_payload = XF_PL_MAX(XF_RATE);
}

/* X-C8: 8 kHz PCM on an 8 kHz clock, 20 ms frames, with its own concealment (zeros). */
static int
c8_duration(const struct mxp_media_fmtp *f, const uint8_t *pl, unsigned len)
{
	(void)f; (void)pl;
	return len == 320 ? 160 : -1;
}
static int
c8_decode(void *dec, const uint8_t *pl, unsigned len, int16_t *pcm, unsigned cap,
	  struct mxp_media_rx_info *info)
{
	(void)dec;
	if (len != 320 || cap < 160)
		return -1;
	mxp_media_l16_decode(pcm, pl, 160);
	if (info) { memset(info, 0, sizeof(*info)); info->cmr = -1; info->speech = 1; }
	return 160;
}
static int
c8_conceal(void *dec, int16_t *pcm, unsigned n)
{
	(void)dec;
	if (n % 160) return -1;
	for (unsigned i = 0; i < n; i++) pcm[i] = (int16_t)(i % 40 < 20 ? 3000 : -3000);
	return (int)n;
}
static int
c8_encode(void *enc, const int16_t *pcm, unsigned n, uint8_t *out, unsigned cap)
{
	(void)enc;
	if (cap < 2 * n) return -1;
	mxp_media_l16_encode(out, pcm, n);
	return (int)(2 * n);
}
static const struct mxp_media_codec_ops c8_ops = {
	.abi = MXP_MEDIA_CODEC_ABI, .name = "X-C8", .clock = 8000, .rate = 8000, .frame_ms = 20,
	.max_payload = 2000, .fmtp_parse = xf_fmtp_parse, .fmtp_format = xf_fmtp_format,
	.dec_create = xf_dec_create, .dec_destroy = xf_destroy, .enc_create = xf_enc_create,
	.enc_destroy = xf_destroy, .duration = c8_duration, .decode = c8_decode,
	.conceal = c8_conceal, .encode = c8_encode,
};

/* A frame codec with its own concealment loses its last packet before the participant
 * moves to PCMU; later PCMU losses are concealed by lib/media, not turned into silence by
 * a flag left from the frame codec's erasure. */
MXP_TEST(codec_concealment_does_not_outlive_the_codec)
{
	int id = mxp_media_codec_register(&c8_ops);
	if (!MXP_CHECK(t, id > 0))
		return;
	struct mxp_media_leg_params p;
	memset(&p, 0, sizeof(p));
	p.id = 9;
	p.ptime_ms = 20;
	p.pt_map[0].pt = 0;
	p.pt_map[0].codec = MXP_MEDIA_CODEC_PCMU;
	p.pt_map[1].pt = 97;
	p.pt_map[1].codec = (uint8_t)id;
	p.n_pt = 2;
	p.event_pt = -1;
	p.cn_pt = -1;
	void *dec = c8_ops.dec_create(&p.fmtp[1]);
	p.dec[1] = dec;
	p.out_codec = MXP_MEDIA_CODEC_PCMU;
	p.release = sim_release;
	struct mxp_media_leg *leg = sim_leg_new(&p);
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 2, .rate = 8000};
	uint64_t now = 1000000;
	struct mxp_media_mixer *m = sim_mixer_new(&mp, now);
	if (!MXP_CHECK(t, leg != NULL && m != NULL && mxp_media_mixer_leg_add(m, leg) == 0))
		return;
	uint16_t seq = 1;
	uint32_t ts = 1000;
	static uint8_t bufs[400][320];
	struct mxp_media_leg_stats a, b;
	for (unsigned k = 0; k < 300; k++) {
		/* 0-99 X-C8 (packet 99 lost), 100-299 PCMU (packets 200, 201, 202 lost) */
		bool c8 = k < 100;
		bool lost = k == 99 || k == 200 || k == 201 || k == 202;
		int16_t pcm[160];
		for (int i = 0; i < 160; i++)
			pcm[i] = (int16_t)(8000 * sin(2 * M_PI * 440.0 * (ts + i) / 8000));
		struct mxp_media_pkt pkt;
		memset(&pkt, 0, sizeof(pkt));
		if (c8) {
			mxp_media_l16_encode(bufs[k], pcm, 160);
			pkt.len = 320;
			pkt.pt = 97;
		} else {
			mxp_media_ulaw_encode(bufs[k], pcm, 160);
			pkt.len = 160;
			pkt.pt = 0;
		}
		pkt.payload = bufs[k];
		pkt.seq = seq++;
		pkt.ts = ts;
		pkt.ssrc = 5;
		pkt.level = MXP_MEDIA_LEVEL_NONE;
		ts += 160;
		if (!lost)
			sim_leg_rx(leg, &pkt, now - 15000, NULL);
		if (k == 190)
			mxp_media_leg_stats_get(leg, &a);
		mxp_media_mix_tick(m, now);
		now += 20000;
	}
	mxp_media_leg_stats_get(leg, &b);
	printf("#   3 PCMU packets lost after an X-C8 loss: concealed %llu, silence %llu, lost %llu\n",
	       (unsigned long long)(b.concealed - a.concealed),
	       (unsigned long long)(b.silence - a.silence), (unsigned long long)(b.lost - a.lost));
	MXP_CHECK_EQ(t, b.silence - a.silence, 0);
	MXP_CHECK_EQ(t, b.concealed - a.concealed, 480);
	sim_leg_free(leg);
	c8_ops.dec_destroy(dec);
	free(m);
}

MXP_TEST(malformed_payloads_refused)
{
	void *dec;
	struct mxp_media_coder enc;
	struct mxp_media_leg *leg = xf_leg(&dec, &enc, 2);
	if (!MXP_CHECK(t, leg != NULL))
		return;
	uint8_t buf[1 + 12 * XF_FRAME * 2 + 8];
	int16_t x[13 * XF_FRAME] = {0};
	struct mxp_media_pkt pkt;
	xf_packet(buf, &pkt, x, 0, 20, 1, 0);
	pkt.len--; /* truncated frame */
	MXP_CHECK_EQ(t, sim_leg_rx(leg, &pkt, 1000, NULL), MXP_MEDIA_RX_BAD_PAYLOAD);
	buf[0] = 0; /* no frame */
	pkt.len = 1;
	MXP_CHECK_EQ(t, sim_leg_rx(leg, &pkt, 1000, NULL), MXP_MEDIA_RX_BAD_PAYLOAD);
	/* longer than the codec's largest payload */
	xf_packet(buf, &pkt, x, 0, 120, 2, 0);
	pkt.len += 2;
	MXP_CHECK_EQ(t, sim_leg_rx(leg, &pkt, 1000, NULL), MXP_MEDIA_RX_TOO_LARGE);
	xf_packet(buf, &pkt, x, 0, 120, 3, 0);
	MXP_CHECK_EQ(t, sim_leg_rx(leg, &pkt, 1000, NULL), MXP_MEDIA_RX_AUDIO);
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(leg, &st);
	MXP_CHECK_EQ(t, st.rx[MXP_MEDIA_RX_BAD_PAYLOAD], 2);
	MXP_CHECK_EQ(t, st.rx[MXP_MEDIA_RX_TOO_LARGE], 1);

	/* a frame codec in the map needs its decoder; as out codec its encoder */
	struct mxp_media_leg_params p;
	memset(&p, 0, sizeof(p));
	p.ptime_ms = 20;
	p.pt_map[0].pt = 96;
	p.pt_map[0].codec = (uint8_t)xf_id;
	p.n_pt = 1;
	p.event_pt = p.cn_pt = -1;
	p.out_codec = MXP_MEDIA_CODEC_PCMU;
	MXP_CHECK_EQ(t, mxp_media_leg_size(&p), 0);
	p.dec[0] = dec;
	MXP_CHECK(t, mxp_media_leg_size(&p) > 0);
	p.out_codec = (uint8_t)xf_id;
	MXP_CHECK_EQ(t, mxp_media_leg_size(&p), 0);
	p.priv_enc = &enc;
	MXP_CHECK(t, mxp_media_leg_size(&p) > 0);
	/* two PTs of one frame codec with different parameters */
	p.pt_map[1].pt = 97;
	p.pt_map[1].codec = (uint8_t)xf_id;
	p.dec[1] = dec;
	((uint8_t *)p.fmtp[1].b)[0] = 1;
	p.n_pt = 2;
	MXP_CHECK_EQ(t, mxp_media_leg_size(&p), 0);
	((uint8_t *)p.fmtp[1].b)[0] = 0;
	MXP_CHECK(t, mxp_media_leg_size(&p) > 0);

	sim_leg_free(leg);
	mxp_media_coder_fini(&enc);
	xf_ops.dec_destroy(dec);
	MXP_CHECK_EQ(t, sim_bufs_live, 0);
}

MXP_TEST(talker_private_stream_uses_leg_encoder)
{
	void *dec[2];
	struct mxp_media_coder enc[2];
	struct mxp_media_leg *leg[2];
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 4};
	uint64_t now = 1000000;
	struct mxp_media_mixer *m = sim_mixer_new(&mp, now);
	for (int i = 0; i < 2; i++) {
		leg[i] = xf_leg(&dec[i], &enc[i], (uint32_t)(10 + i));
		if (!MXP_CHECK(t, leg[i] != NULL && m != NULL &&
					  mxp_media_mixer_leg_add(m, leg[i]) == 0))
			return;
	}
	int16_t x[2][320];
	for (int k = 0; k < 320; k++) {
		x[0][k] = (int16_t)lrint(8000 * sin(2 * M_PI * 500 * k / 16000.0));
		x[1][k] = (int16_t)lrint(8000 * sin(2 * M_PI * 900 * k / 16000.0));
	}
	const struct mxp_media_mix_result *res = NULL;
	uint8_t buf[1 + 2 * 320];
	for (int tick = 0; tick < 30; tick++) {
		for (int i = 0; i < 2; i++) {
			struct mxp_media_pkt pkt;
			xf_packet(buf, &pkt, x[i], 0, 20, (uint16_t)tick, (uint32_t)tick * 960);
			pkt.ssrc = 100u + (uint32_t)i;
			sim_leg_rx(leg[i], &pkt, now, NULL);
		}
		res = mxp_media_mix_tick(m, now);
		now += 20000;
	}
	MXP_CHECK_EQ(t, res->n_talkers, 2);
	MXP_CHECK_EQ(t, res->rate, 16000);
	for (unsigned i = 0; i < res->n_talkers; i++) {
		unsigned j = res->talkers[i].leg == leg[0] ? 0 : 1;
		MXP_CHECK(t, res->talkers[i].coder == &enc[j]);
		MXP_CHECK_EQ(t, res->talkers[i].rate, 16000);
		/* each hears the other: the encoder takes it whole */
		uint8_t out[700];
		MXP_CHECK_EQ(t, mxp_media_encode(res->talkers[i].coder, res->talkers[i].pcm,
						 res->talkers[i].samples, out, sizeof(out)),
			     641);
	}
	for (int i = 0; i < 2; i++) {
		mxp_media_mixer_leg_remove(m, leg[i]);
		sim_leg_free(leg[i]);
		mxp_media_coder_fini(&enc[i]);
		xf_ops.dec_destroy(dec[i]);
	}
	free(m);
	MXP_CHECK_EQ(t, sim_bufs_live, 0);
}

/* A re-INVITE: the participant moves from PCMU (PT 0) to the frame codec (PT 96) mid-call,
 * same SSRC, a clock of the new codec's; the leg follows without a click. */
MXP_TEST(payload_type_switch_without_click)
{
	void *dec;
	struct mxp_media_coder enc;
	struct mxp_media_leg *leg = xf_leg(&dec, &enc, 3);
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 2, .rate = 16000};
	uint64_t now = 1000000;
	struct mxp_media_mixer *m = sim_mixer_new(&mp, now);
	if (!MXP_CHECK(t, leg != NULL && m != NULL && mxp_media_mixer_leg_add(m, leg) == 0))
		return;
	const double f = 300, amp = 8000;
	const unsigned ticks = 150, sw = 75;
	int16_t *y = calloc(ticks * 320, sizeof(int16_t));
	uint8_t buf[1 + 2 * 320];
	uint16_t seq = 1;
	uint32_t ts8 = 1000;
	for (unsigned k = 0; k < ticks; k++) {
		struct mxp_media_pkt pkt;
		if (k < sw) { /* PCMU, 8 kHz clock */
			uint8_t *p = buf;
			for (unsigned i = 0; i < 160; i++)
				p[i] = mxp_media_ulaw_enc1((int16_t)lrint(
					amp * sin(2 * M_PI * f * (k * 160 + i) / 8000.0)));
			memset(&pkt, 0, sizeof(pkt));
			pkt.payload = buf;
			pkt.len = 160;
			pkt.seq = seq++;
			pkt.ts = ts8;
			pkt.ssrc = 9;
			pkt.pt = 0;
			pkt.level = MXP_MEDIA_LEVEL_NONE;
			ts8 += 160;
		} else { /* the frame codec, 48 kHz clock, the same signal at 16 kHz */
			int16_t x[320];
			for (unsigned i = 0; i < 320; i++)
				x[i] = (int16_t)lrint(amp * sin(2 * M_PI * f * (k * 320 + i) / 16000.0));
			xf_packet(buf, &pkt, x, 0, 20, seq++, 777000u + k * 960);
			pkt.ssrc = 9;
		}
		MXP_CHECK(t, mxp_media_rx_taken(sim_leg_rx(leg, &pkt, now + 5000, NULL)));
		mxp_media_mix_tick(m, now);
		const int16_t *fr = media_leg_frame(leg);
		if (fr != NULL)
			memcpy(y + k * 320, fr, 320 * sizeof(int16_t));
		now += 20000;
	}
	/* from the first output on: no click (a step beyond the tone's own largest step plus
	 * the mu-law noise). The change of RTP clock (8 to 48 kHz) restarts the stream's
	 * timeline: at most one packet time of quiet while it re-anchors, faded, never more */
	unsigned s0 = 0;
	while (s0 < ticks * 320 && y[s0] == 0)
		s0++;
	int step = tu_max_step(y + s0 + 320, ticks * 320 - s0 - 320);
	double tone_step = 2 * amp * sin(M_PI * f / 16000);
	unsigned zeros = 0, run = 0;
	for (unsigned i = s0 + 320; i < ticks * 320; i++) {
		run = abs(y[i]) < 50 ? run + 1 : 0;
		zeros = run > zeros ? run : zeros;
	}
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(leg, &st);
	printf("#   PCMU -> X-L16F: largest step %d (tone %.0f), longest quiet %u samples, "
	       "resyncs %llu, concealed %llu\n", step, tone_step, zeros,
	       (unsigned long long)st.resyncs, (unsigned long long)st.concealed);
	MXP_CHECK(t, step < tone_step * 1.6 + 200);
	MXP_CHECK(t, zeros <= 320 + 16000 / 300 / 2);
	MXP_CHECK(t, st.concealed < 2 * 320);
	sim_leg_free(leg);
	mxp_media_coder_fini(&enc);
	xf_ops.dec_destroy(dec);
	free(m);
	free(y);
	MXP_CHECK_EQ(t, sim_bufs_live, 0);
}

/* One Opus stream (fmtp for both sides) through a leg with packet `lost` missing; the
 * leg's output y (48 kHz: the conference mixes at 48 kHz for a leg that hears Opus), stats,
 * and whether the decoder's PLC was on at the loss. */
enum { OPUS_N = 960 }; /* samples of a 20 ms packet (and tick) at 48 kHz */
struct opus_loss {
	struct mxp_media_leg_stats st;
	uint64_t conc_at_loss;
	bool plc_at_loss, plc_after;
	unsigned quiet, fec_packets, rate_bad;
	int step, src_step; /* the largest sample step of the output, and of what was sent */
};

static void
opus_loss_run(struct mxp_test_ctx *t, const char *fmtp, struct opus_loss *res)
{
	const struct mxp_media_codec_ops *o = mxp_media_codec_ops(MXP_MEDIA_CODEC_OPUS);
	if (!MXP_CHECK(t, o != NULL))
		return;
	struct mxp_media_fmtp f;
	char err[96];
	MXP_CHECK_EQ(t, mxp_media_fmtp_parse(MXP_MEDIA_CODEC_OPUS, fmtp, &f, err, sizeof(err)), 0);
	struct mxp_media_coder src, priv;
	MXP_CHECK_EQ(t, mxp_media_coder_init_frame(&src, MXP_MEDIA_CODEC_OPUS, &f, 20), 0);
	MXP_CHECK_EQ(t, mxp_media_coder_init_frame(&priv, MXP_MEDIA_CODEC_OPUS, &f, 20), 0);
	void *dec = o->dec_create(&f);
	struct mxp_media_leg_params p;
	memset(&p, 0, sizeof(p));
	p.ptime_ms = 20;
	p.pt_map[0].pt = 111;
	p.pt_map[0].codec = MXP_MEDIA_CODEC_OPUS;
	p.n_pt = 1;
	p.dec[0] = dec;
	p.fmtp[0] = f;
	p.event_pt = p.cn_pt = -1;
	p.out_codec = MXP_MEDIA_CODEC_OPUS;
	p.priv_enc = &priv;
	p.release = sim_release;
	struct mxp_media_leg *leg = sim_leg_new(&p);
	/* the mix rate follows the legs: 48 kHz, as the leg hears Opus */
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 2};
	uint64_t now = 1000000;
	struct mxp_media_mixer *m = sim_mixer_new(&mp, now);
	if (!MXP_CHECK(t, dec != NULL && leg != NULL && m != NULL &&
				  mxp_media_mixer_leg_add(m, leg) == 0))
		return;
	/* packets of odd index arrive just in time, even ones a packet time early: the
	 * jitter buffer plays 20 ms late, so the packet after a loss is there when the lost
	 * one is due (what FEC needs). Packet 61 is lost. */
	enum { TICKS = 100 };
	const unsigned ticks = TICKS;
	unsigned lost = 61;
	static uint8_t pk[TICKS + 1][1500];
	int pklen[TICKS + 1];
	/* the participant's encoder: FEC sized for 20 % loss (libopus adds FEC only when the
	 * bit rate allows it at the loss it is told to expect) */
	mxp_media_opus_set_loss_perc(src.xs, 20);
	unsigned with_fec = 0;
	res->src_step = 0;
	for (unsigned k = 0; k <= ticks; k++) {
		/* voiced speech-like: 150 Hz and harmonics, a 4 Hz syllable envelope (Opus
		 * codes it with SILK or hybrid, whose SILK layer carries the FEC) */
		int16_t x[OPUS_N];
		for (unsigned i = 0; i < OPUS_N; i++) {
			double tt = (k * OPUS_N + i) / 48000.0, v = 0;
			for (int h = 1; h <= 8; h++)
				v += sin(2 * M_PI * 150 * h * tt) / h;
			x[i] = (int16_t)lrint(3000 * v * (0.6 + 0.4 * sin(2 * M_PI * 4 * tt)));
		}
		int xs = tu_max_step(x, OPUS_N);
		res->src_step = xs > res->src_step ? xs : res->src_step;
		pklen[k] = mxp_media_encode(&src, x, OPUS_N, pk[k], sizeof(pk[k]));
		with_fec += pklen[k] > 0 && mxp_media_opus_has_fec(pk[k], (unsigned)pklen[k]) == 1;
	}
	/* lose an odd packet whose successor carries FEC, if any does */
	for (unsigned k = 51; k < 91; k += 2)
		if (pklen[k + 1] > 0 && mxp_media_opus_has_fec(pk[k + 1], (unsigned)pklen[k + 1]) == 1) {
			lost = k;
			break;
		}
	printf("#   %u of %u packets carry FEC; packet %u is lost\n", with_fec, ticks + 1, lost);
	res->fec_packets = with_fec;
	int16_t *y = calloc(ticks * OPUS_N, sizeof(int16_t));
	bool plc_at_loss = false;
	uint64_t conc0 = 0;
	res->rate_bad = 0;
	for (unsigned k = 0; k < ticks; k++) {
		if (k == lost) { /* (the start-up may conceal before the first packet plays) */
			struct mxp_media_leg_stats s0;
			mxp_media_leg_stats_get(leg, &s0);
			conc0 = s0.concealed;
		}
		for (unsigned j = k; j <= k + 1; j++) {
			if (j == lost || pklen[j] <= 0 || ((j == k) != (j % 2 == 1) && j != 0))
				continue;
			struct mxp_media_pkt pkt = {.payload = pk[j], .len = (uint16_t)pklen[j],
						    .seq = (uint16_t)(100 + j), .ts = 960 * j,
						    .ssrc = 5, .pt = 111,
						    .level = MXP_MEDIA_LEVEL_NONE};
			MXP_CHECK(t, mxp_media_rx_taken(sim_leg_rx(leg, &pkt, now + 5000, NULL)));
		}
		res->rate_bad += mxp_media_mix_tick(m, now)->rate != 48000;
		plc_at_loss |= k >= lost && leg_xtab(leg)->codec_plc;
		const int16_t *fr = media_leg_frame(leg);
		if (fr != NULL)
			memcpy(y + k * OPUS_N, fr, OPUS_N * sizeof(int16_t));
		now += 20000;
	}
	mxp_media_leg_stats_get(leg, &res->st);
	res->conc_at_loss = conc0;
	res->plc_at_loss = plc_at_loss;
	res->plc_after = leg_xtab(leg)->codec_plc;
	res->quiet = 0;
	unsigned run = 0;
	for (unsigned i = 40 * OPUS_N; i < 90 * OPUS_N; i++) {
		run = abs(y[i]) < 100 ? run + 1 : 0;
		res->quiet = run > res->quiet ? run : res->quiet;
	}
	res->step = tu_max_step(y + 40 * OPUS_N, 50 * OPUS_N);
	mxp_media_mixer_leg_remove(m, leg);
	sim_leg_free(leg);
	mxp_media_coder_fini(&src);
	mxp_media_coder_fini(&priv);
	o->dec_destroy(dec);
	free(m);
	free(y);
	MXP_CHECK_EQ(t, sim_bufs_live, 0);
}

/* A lost Opus packet is concealed by the Opus decoder (its PLC), not lib/media's: the
 * decoder's state runs on, and the next packet is not faded in again. */
MXP_TEST(opus_loss_concealed_by_decoder)
{
	struct opus_loss r;
	opus_loss_run(t, "", &r);
	printf("#   one lost Opus packet: concealed %llu samples (decoder PLC %s), longest quiet "
	       "%u, largest step %d (sent %d), lost %llu, FEC %llu\n",
	       (unsigned long long)(r.st.concealed - r.conc_at_loss), r.plc_at_loss ? "yes" : "no",
	       r.quiet, r.step, r.src_step, (unsigned long long)r.st.lost,
	       (unsigned long long)r.st.fec_recovered);
	MXP_CHECK_EQ(t, r.rate_bad, 0);
	MXP_CHECK(t, r.plc_at_loss);
	MXP_CHECK(t, !r.plc_after); /* over once the next packet played */
	MXP_CHECK_EQ(t, r.st.lost, 1);
	MXP_CHECK_EQ(t, r.st.concealed - r.conc_at_loss, OPUS_N);
	MXP_CHECK_EQ(t, r.st.fec_recovered, 0);
	MXP_CHECK_EQ(t, r.fec_packets, 0);
	MXP_CHECK(t, r.quiet < 120); /* 2.5 ms */
	MXP_CHECK(t, r.step < 3 * r.src_step);
}

/* With in-band FEC (useinbandfec=1) the lost packet is rebuilt from the next one's copy:
 * not concealed at all. */
MXP_TEST(opus_loss_recovered_by_fec)
{
	struct opus_loss r;
	opus_loss_run(t, "useinbandfec=1", &r);
	printf("#   one lost Opus packet, FEC on: recovered %llu, concealed %llu, PLC %s, "
	       "longest quiet %u, largest step %d (sent %d)\n",
	       (unsigned long long)r.st.fec_recovered,
	       (unsigned long long)(r.st.concealed - r.conc_at_loss),
	       r.plc_at_loss ? "yes" : "no", r.quiet, r.step, r.src_step);
	MXP_CHECK_EQ(t, r.rate_bad, 0);
	MXP_CHECK(t, r.fec_packets > 0);
	MXP_CHECK_EQ(t, r.st.fec_recovered, 1);
	MXP_CHECK_EQ(t, r.st.concealed - r.conc_at_loss, 0);
	MXP_CHECK(t, !r.plc_at_loss);
	MXP_CHECK(t, r.quiet < 120); /* 2.5 ms */
	MXP_CHECK(t, r.step < 3 * r.src_step);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(plugin_registration),
	MXP_CASE(packets_10_to_120ms_play_continuously),
	MXP_CASE(long_silent_frame_packets_keep_the_buffer_steady),
	MXP_CASE(codec_concealment_does_not_outlive_the_codec),
	MXP_CASE(malformed_payloads_refused),
	MXP_CASE(talker_private_stream_uses_leg_encoder),
	MXP_CASE(payload_type_switch_without_click),
	MXP_CASE(xf_48k_long_packets),
	MXP_CASE(opus_loss_concealed_by_decoder),
	MXP_CASE(opus_loss_recovered_by_fec),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
