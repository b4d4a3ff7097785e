/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mixer: tones in, spectra out (Goertzel of each leg's output), top-N selection and
 * hysteresis, mix-minus-self, limiter, stream modes and mute, mixed codecs, idle legs,
 * telephone events, and every SIMD variant computing bit-identical results.
 */
#include "mxp_test.h"
#include "media_sim.h"
#include "media_priv.h"

#define MAXL 1100
#define CAP_TICKS 50

struct conf {
	struct mxp_media_mixer *m;
	struct mxp_media_leg *leg[MAXL];
	struct sim_src src[MAXL];
	bool sending[MAXL];
	unsigned n, ptime;
	uint64_t now;
	/* capture of what each leg hears, at its output rate, last CAP_TICKS ticks */
	int16_t *cap[MAXL];
	unsigned cap_len[MAXL];
	unsigned capture_from; /* tick index from which to capture */
	unsigned ticks;
	uint64_t encrypt_groups; /* shared streams produced (per codec per key group) */
};

static int
conf_init(struct conf *c, unsigned ptime, uint8_t max_talkers, uint8_t simd)
{
	memset(c, 0, sizeof(*c));
	c->ptime = ptime;
	c->now = 1000000;
	struct mxp_media_mixer_params mp = {
		.ptime_ms = (uint16_t)ptime, .max_legs = MAXL, .max_talkers = max_talkers,
		.simd = simd,
	};
	c->m = sim_mixer_new(&mp, c->now);
	return c->m != NULL ? 0 : -1;
}

static int
conf_add(struct conf *c, enum mxp_media_codec in, enum mxp_media_codec out, double freq,
	 double amp)
{
	unsigned i = c->n;
	struct mxp_media_leg_params p;
	sim_leg_params(&p, i, out, c->ptime);
	c->leg[i] = sim_leg_new(&p);
	if (c->leg[i] == NULL || mxp_media_mixer_leg_add(c->m, c->leg[i]) != 0)
		return -1;
	sim_src_init(&c->src[i], in, sim_pt_of(in), freq, amp, 1000 + i, c->ptime);
	c->sending[i] = true;
	c->cap[i] = calloc(CAP_TICKS * MXP_MEDIA_MAX_FRAME, sizeof(int16_t));
	c->n++;
	return (int)i;
}

static void
conf_free(struct conf *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		sim_leg_free(c->leg[i]);
		free(c->cap[i]);
	}
	free(c->m);
}

/* One ptime: every sending source delivers one packet 2 ms after the tick, then tick. */
static const struct mxp_media_mix_result *
conf_tick(struct conf *c)
{
	uint8_t buf[1280];
	struct mxp_media_pkt pkt;
	for (unsigned i = 0; i < c->n; i++) {
		if (!c->sending[i])
			continue;
		sim_src_next(&c->src[i], buf, &pkt);
		sim_leg_rx(c->leg[i], &pkt, c->now + 2000, NULL);
	}
	c->now += (uint64_t)c->ptime * 1000;
	const struct mxp_media_mix_result *r = mxp_media_mix_tick(c->m, c->now);
	if (c->ticks >= c->capture_from && c->ticks < c->capture_from + CAP_TICKS) {
		for (unsigned i = 0; i < c->n; i++) {
			int slot = mxp_media_leg_talker_slot(c->leg[i]);
			const int16_t *pcm;
			unsigned ns;
			if (slot >= 0) {
				pcm = r->talkers[slot].pcm;
				ns = r->talkers[slot].samples;
			} else {
				/* a leg hears its codec's rate, at most the mix rate */
				unsigned ri = mxp_media_rate_idx(mxp_media_leg_out_rate(c->leg[i]));
				if (ri > mxp_media_rate_idx(r->rate))
					ri = mxp_media_rate_idx(r->rate);
				pcm = r->shared[ri];
				ns = r->shared_samples[ri];
			}
			if (pcm != NULL) {
				memcpy(c->cap[i] + c->cap_len[i], pcm, ns * sizeof(int16_t));
				c->cap_len[i] += ns;
			}
		}
	}
	c->ticks++;
	return r;
}

static double
heard_db(struct conf *c, unsigned listener, double f)
{
	unsigned rate = mxp_media_leg_out_rate(c->leg[listener]);
	if (c->cap_len[listener] < rate / 4)
		return -200;
	return tu_tone_dbfs(c->cap[listener], c->cap_len[listener], f, rate);
}

/* not harmonically related: G.711 intermodulation products stay off these bins */
static const double freqs[] = {310, 445, 590, 730, 880, 1030, 1195, 1370, 1530, 1710};

MXP_TEST(tones_each_hears_others_never_itself)
{
	for (uint8_t v = MXP_MEDIA_SIMD_C; v < MXP_MEDIA_SIMD_COUNT; v++) {
		if (!mxp_media_simd_supported(v))
			continue;
		struct conf c;
		if (!MXP_CHECK(t, conf_init(&c, 20, 3, v) == 0))
			return;
		for (unsigned i = 0; i < 3; i++)
			conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, freqs[i], 6000);
		/* two listeners: one silent (sends digital silence), one sends nothing */
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 0, 0);
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 0, 0);
		c.sending[4] = false;
		c.capture_from = 25;
		for (unsigned k = 0; k < 25 + CAP_TICKS; k++)
			conf_tick(&c);
		printf("#   %s:", mxp_media_simd_name(v));
		for (unsigned li = 0; li < 5; li++) {
			for (unsigned s = 0; s < 3; s++) {
				double db = heard_db(&c, li, freqs[s]);
				printf(" %u<-%u %.0f", li, s, db);
				/* a -14.7 dBFS tone, G.711 round trip */
				if (li == s)
					MXP_CHECK(t, db < -70);
				else
					MXP_CHECK(t, db > -16 && db < -13);
			}
		}
		printf("\n");
		struct mxp_media_leg_stats st;
		mxp_media_leg_stats_get(c.leg[0], &st);
		MXP_CHECK(t, st.talker && st.speaking);
		mxp_media_leg_stats_get(c.leg[3], &st);
		MXP_CHECK(t, !st.talker && !st.speaking);
		conf_free(&c);
	}
}

MXP_TEST(only_the_n_loudest_are_heard)
{
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	/* five talkers, 3 dB apart; N = 3 */
	double amp[5] = {12000, 8500, 6000, 4250, 3000};
	for (unsigned i = 0; i < 5; i++)
		conf_add(&c, MXP_MEDIA_CODEC_PCMA, MXP_MEDIA_CODEC_PCMA, freqs[i], amp[i]);
	unsigned listener = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMA, MXP_MEDIA_CODEC_PCMA,
					       0, 0);
	c.capture_from = 25;
	const struct mxp_media_mix_result *r = NULL;
	for (unsigned k = 0; k < 25 + CAP_TICKS; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->n_talkers, 3);
	for (unsigned s = 0; s < 5; s++) {
		double db = heard_db(&c, listener, freqs[s]);
		printf("#   listener hears %.0f Hz at %.1f dBFS\n", freqs[s], db);
		if (s < 3)
			MXP_CHECK(t, db > 20 * log10(amp[s] / 32767) - 1.5);
		else
			MXP_CHECK(t, db < -60);
	}
	/* the 4th and 5th speakers are speaking but are not talkers */
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(c.leg[3], &st);
	MXP_CHECK(t, st.speaking && !st.talker);
	/* the loudest stops: the 4th takes its place at once (free slot, no hysteresis) */
	c.sending[0] = false;
	for (unsigned k = 0; k < 30; k++)
		r = conf_tick(&c);
	mxp_media_leg_stats_get(c.leg[3], &st);
	MXP_CHECK(t, st.talker);
	mxp_media_leg_stats_get(c.leg[4], &st);
	MXP_CHECK(t, !st.talker);
	conf_free(&c);
}

/* Talker set changes in 10 s of five talkers within 1 dB, levels wandering +-1.5 dB. */
static uint64_t
flaps(uint8_t hyst_db)
{
	struct conf c;
	if (conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) != 0)
		return UINT64_MAX;
	c.m->p.hysteresis_db = hyst_db; /* white-box: the params were copied at init */
	for (unsigned i = 0; i < 5; i++)
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, freqs[i], 8000);
	uint32_t rnd = 99;
	struct mxp_media_mixer_stats ms;
	for (unsigned k = 0; k < 50; k++)
		conf_tick(&c);
	mxp_media_mixer_stats_get(c.m, &ms);
	uint64_t changes0 = ms.talker_changes;
	for (unsigned k = 0; k < 500; k++) {
		for (unsigned i = 0; i < 5; i++)
			c.src[i].amp = 8000 * pow(10, ((double)(tu_rand(&rnd) % 300) / 100 - 1.5 +
						       0.2 * i) / 20);
		conf_tick(&c);
	}
	mxp_media_mixer_stats_get(c.m, &ms);
	conf_free(&c);
	return ms.talker_changes - changes0;
}

MXP_TEST(hysteresis_prevents_flapping)
{
	uint64_t with = flaps(6), without = flaps(0);
	printf("#   talker set changes in 10 s of close levels: %llu with 6 dB hysteresis, "
	       "%llu with none\n", (unsigned long long)with, (unsigned long long)without);
	MXP_CHECK(t, with <= 2);
	MXP_CHECK(t, without > 20); /* the scenario does provoke flapping */
	/* a clearly louder (12 dB) newcomer does get in */
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	for (unsigned i = 0; i < 3; i++)
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, freqs[i], 8000);
	for (unsigned k = 0; k < 10; k++)
		conf_tick(&c);
	unsigned loud = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU,
					   freqs[7], 8000 * 4);
	for (unsigned k = 0; k < 10; k++)
		conf_tick(&c);
	MXP_CHECK(t, mxp_media_leg_talker_slot(c.leg[loud]) >= 0);
	conf_free(&c);
}

MXP_TEST(mute_and_modes_take_effect_next_tick)
{
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	/* tones far apart: the check below looks at a single 20 ms frame */
	for (unsigned i = 0; i < 3; i++)
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 300 + 900 * i, 8000);
	for (unsigned k = 0; k < 20; k++)
		conf_tick(&c);
	MXP_CHECK(t, mxp_media_leg_talker_slot(c.leg[1]) >= 0);
	mxp_media_leg_set_mute(c.leg[1], true);
	const struct mxp_media_mix_result *r = conf_tick(&c);
	MXP_CHECK(t, mxp_media_leg_talker_slot(c.leg[1]) < 0);
	MXP_CHECK_EQ(t, r->n_talkers, 2);
	/* the muted leg still hears the others, in the shared mix */
	double p = tu_goertzel(r->shared[0], r->shared_samples[0], 1200, 8000);
	double q = tu_goertzel(r->shared[0], r->shared_samples[0], 300, 8000);
	MXP_CHECK(t, p < q * 1e-4);
	mxp_media_leg_set_mute(c.leg[1], false);
	r = conf_tick(&c);
	MXP_CHECK(t, mxp_media_leg_talker_slot(c.leg[1]) >= 0);
	/* recvonly: never mixed (its packets are dropped and counted) */
	mxp_media_leg_set_mode(c.leg[2], MXP_SM_RECVONLY);
	for (unsigned k = 0; k < 3; k++)
		r = conf_tick(&c);
	MXP_CHECK(t, mxp_media_leg_talker_slot(c.leg[2]) < 0);
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(c.leg[2], &st);
	MXP_CHECK(t, st.rx[MXP_MEDIA_RX_NOT_SENDING] == 3);
	/* sendonly: mixed in, receives nothing: with only sendonly receivers of a rate, the
	 * shared mix of that rate is not produced */
	for (unsigned i = 0; i < 3; i++)
		mxp_media_leg_set_mode(c.leg[i], MXP_SM_SENDONLY);
	r = conf_tick(&c);
	MXP_CHECK(t, r->shared[0] == NULL && r->shared[1] == NULL);
	MXP_CHECK(t, r->n_talkers >= 1);
	conf_free(&c);
}

MXP_TEST(limiter_instead_of_clipping)
{
	for (uint8_t v = MXP_MEDIA_SIMD_C; v < MXP_MEDIA_SIMD_COUNT; v++) {
		if (!mxp_media_simd_supported(v))
			continue;
		struct conf c;
		if (!MXP_CHECK(t, conf_init(&c, 20, 3, v) == 0))
			return;
		/* three near-full-scale talkers, same frequency and phase: the sum is 3x */
		for (unsigned i = 0; i < 3; i++)
			conf_add(&c, MXP_MEDIA_CODEC_L16_8K, MXP_MEDIA_CODEC_L16_8K, 400, 20000);
		unsigned li = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_L16_8K, MXP_MEDIA_CODEC_L16_8K,
						 0, 0);
		c.capture_from = 30;
		for (unsigned k = 0; k < 30 + CAP_TICKS; k++)
			conf_tick(&c);
		int peak = 0;
		for (unsigned i = 0; i < c.cap_len[li]; i++)
			peak = abs(c.cap[li][i]) > peak ? abs(c.cap[li][i]) : peak;
		struct mxp_media_mixer_stats ms;
		mxp_media_mixer_stats_get(c.m, &ms);
		/* no sample at the rails (clipping would flatten at 32767) and the tone is
		 * still a clean tone: its harmonics stay low */
		double fund = tu_tone_dbfs(c.cap[li], c.cap_len[li], 400, 8000);
		double h3 = tu_tone_dbfs(c.cap[li], c.cap_len[li], 1200, 8000);
		printf("#   %s: peak %d, 400 Hz %.1f dBFS, 3rd harmonic %.1f dBFS, limited %llu\n",
		       mxp_media_simd_name(v), peak, fund, h3,
		       (unsigned long long)ms.limited_frames);
		MXP_CHECK(t, peak <= 29000);
		MXP_CHECK(t, fund > -2.5);
		MXP_CHECK(t, h3 < fund - 40);
		MXP_CHECK(t, ms.limited_frames > 0);
		conf_free(&c);
	}
}

MXP_TEST(g722_and_g711_in_one_conference)
{
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	unsigned wb = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 5000,
					 8000);
	unsigned nb = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 700,
					 8000);
	unsigned nb2 = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMA, MXP_MEDIA_CODEC_PCMA, 1300,
					  8000);
	unsigned lwb = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 0, 0);
	unsigned lnb = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 0, 0);
	c.capture_from = 30;
	const struct mxp_media_mix_result *r = NULL;
	for (unsigned k = 0; k < 30 + CAP_TICKS; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->rate, 16000);
	MXP_CHECK(t, r->shared[0] != NULL && r->shared[1] != NULL);
	double a = heard_db(&c, lwb, 5000), b = heard_db(&c, lwb, 700);
	double d = heard_db(&c, lnb, 700), e = heard_db(&c, lnb, 1300);
	double f = heard_db(&c, wb, 700), g = heard_db(&c, wb, 5000);
	double h = heard_db(&c, nb, 1300), i5 = heard_db(&c, nb, 700);
	printf("#   wb listener: 5 kHz %.1f, 700 Hz %.1f; nb listener: 700 %.1f, 1300 %.1f; "
	       "wb talker: 700 %.1f own %.1f; nb talker: 1300 %.1f own %.1f\n",
	       a, b, d, e, f, g, h, i5);
	/* wideband listener hears the 5 kHz G.722 tone; narrowband ones cannot */
	MXP_CHECK(t, a > -14.5 && b > -14.5);
	MXP_CHECK(t, d > -14.5 && e > -14.5);
	MXP_CHECK(t, heard_db(&c, lnb, 5000) < -50 && heard_db(&c, lnb, 3000) < -50);
	MXP_CHECK(t, f > -14.5 && g < -50);
	MXP_CHECK(t, h > -14.5 && i5 < -50);
	MXP_CHECK(t, heard_db(&c, nb2, 700) > -14.5);
	conf_free(&c);
}

/*
 * The same conference mixed at 48 kHz (the rate a conference with an Opus listener runs
 * at; forced here, the legs being G.711 and G.722): every leg is resampled up on input
 * (8 -> 48 and 16 -> 48 kHz), the shared mix is made at 48 kHz and brought down to 16 and
 * 8 kHz for the listeners, private mixes likewise. What each hears is what it heard at
 * 16 kHz, and the 48 kHz mix carries the tones with no images of the upsampling.
 */
MXP_TEST(mix_at_48k)
{
	struct conf c;
	memset(&c, 0, sizeof(c));
	c.ptime = 20;
	c.now = 1000000;
	struct mxp_media_mixer_params mp = {
		.ptime_ms = 20, .max_legs = MAXL, .max_talkers = 3, .rate = 48000,
	};
	c.m = sim_mixer_new(&mp, c.now);
	if (!MXP_CHECK(t, c.m != NULL))
		return;
	mxp_media_mixer_keep_shared(c.m, true);
	unsigned wb = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 5000,
					 8000);
	unsigned nb = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 700,
					 8000);
	unsigned lwb = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 0, 0);
	unsigned lnb = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 0, 0);
	c.capture_from = 30;
	static int16_t fb[CAP_TICKS * 960];
	unsigned nfb = 0;
	const struct mxp_media_mix_result *r = NULL;
	bool sizes_ok = true;
	for (unsigned k = 0; k < 30 + CAP_TICKS; k++) {
		r = conf_tick(&c);
		sizes_ok &= r->shared[2] != NULL && r->shared_samples[2] == 960 &&
			    r->shared[1] != NULL && r->shared_samples[1] == 320 &&
			    r->shared[0] != NULL && r->shared_samples[0] == 160;
		if (k >= 30 && r->shared[2] != NULL) {
			memcpy(fb + nfb, r->shared[2], 960 * sizeof(int16_t));
			nfb += 960;
		}
	}
	MXP_CHECK_EQ(t, r->rate, 48000);
	MXP_CHECK(t, sizes_ok);
	double a = heard_db(&c, lwb, 5000), b = heard_db(&c, lwb, 700);
	double d = heard_db(&c, lnb, 700), e = heard_db(&c, lnb, 5000);
	double f = heard_db(&c, wb, 700), g = heard_db(&c, wb, 5000);
	double h = heard_db(&c, nb, 5000), i5 = heard_db(&c, nb, 700);
	double p5 = tu_tone_dbfs(fb, nfb, 5000, 48000), p7 = tu_tone_dbfs(fb, nfb, 700, 48000);
	double im1 = tu_tone_dbfs(fb, nfb, 11000, 48000), im2 = tu_tone_dbfs(fb, nfb, 7300, 48000);
	double im3 = tu_tone_dbfs(fb, nfb, 15300, 48000);
	printf("#   48 kHz mix: 5 kHz %.1f, 700 Hz %.1f, images 11 kHz %.1f, 7.3 kHz %.1f, "
	       "15.3 kHz %.1f dBFS\n", p5, p7, im1, im2, im3);
	printf("#   wb listener: 5 kHz %.1f, 700 Hz %.1f; nb listener: 700 %.1f, 5 kHz %.1f; "
	       "wb talker: 700 %.1f own %.1f; nb talker: 5 kHz %.1f own %.1f\n",
	       a, b, d, e, f, g, h, i5);
	MXP_CHECK(t, p5 > -14.5 && p7 > -14.5);
	MXP_CHECK(t, im1 < p5 - 60 && im2 < p7 - 60 && im3 < p7 - 60);
	MXP_CHECK(t, a > -14.5 && b > -14.5);
	MXP_CHECK(t, d > -14.5 && e < -50);
	MXP_CHECK(t, f > -14.5 && g < -50);
	MXP_CHECK(t, i5 < -50 && h < -50); /* 5 kHz is above what a G.711 talker hears */
	conf_free(&c);
}

MXP_TEST(leg_changes_codec_without_click)
{
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	unsigned s = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_G722, 500,
					8000);
	unsigned li = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 0, 0);
	c.capture_from = 20;
	for (unsigned k = 0; k < 30; k++)
		conf_tick(&c);
	/* switch the talker from PCMU to G.722 mid-stream, keeping the tone's phase */
	struct sim_src *src = &c.src[s];
	uint64_t pos = src->pos;
	uint32_t ts = src->ts;
	uint16_t seq = src->seq;
	sim_src_init(src, MXP_MEDIA_CODEC_G722, 9, 500, 8000, src->ssrc, 20);
	src->pos = pos * 2;
	src->ts = ts;
	src->seq = seq;
	for (unsigned k = 0; k < 40; k++)
		conf_tick(&c);
	/* the listener hears the tone throughout; the step size stays a tone's */
	int16_t *x = c.cap[li];
	unsigned n = c.cap_len[li];
	MXP_CHECK(t, n == CAP_TICKS * 320);
	int step = tu_max_step(x + 320 * 2, n - 320 * 2);
	double tone_step = 8000 * 2 * M_PI * 500 / 16000;
	double before = tu_tone_dbfs(x + 320 * 5, 1600, 500, 16000);
	double after = tu_tone_dbfs(x + n - 3200, 3200, 500, 16000);
	printf("#   max step %d (tone %.0f), level before %.1f after %.1f dBFS\n", step, tone_step,
	       before, after);
	if (getenv("MXP_DUMP") != NULL)
		tu_write("/tmp/codec_change.raw", x, n * 2);
	MXP_CHECK(t, step < 1.6 * tone_step);
	MXP_CHECK(t, fabs(before - after) < 1.0);
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(c.leg[s], &st);
	MXP_CHECK_EQ(t, st.lost, 0);
	conf_free(&c);
}

MXP_TEST(idle_conference_and_dtx_cost_nothing)
{
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	for (unsigned i = 0; i < 1000; i++) {
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 440, 4000);
		c.sending[i] = false;
	}
	const struct mxp_media_mix_result *r = NULL;
	for (unsigned k = 0; k < 10; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->active_legs, 0);
	MXP_CHECK(t, r->silent);
	/* one leg talks, then stops (DTX: a CN packet, then nothing) */
	c.sending[7] = true;
	for (unsigned k = 0; k < 20; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->active_legs, 1);
	MXP_CHECK_EQ(t, r->n_talkers, 1);
	c.sending[7] = false;
	uint8_t cn = 60;
	struct mxp_media_pkt pkt = {
		.payload = &cn, .len = 1, .seq = c.src[7].seq++, .ts = c.src[7].ts,
		.ssrc = c.src[7].ssrc, .pt = 13, .level = MXP_MEDIA_LEVEL_NONE,
	};
	MXP_CHECK_EQ(t, sim_leg_rx(c.leg[7], &pkt, c.now + 2000, NULL), MXP_MEDIA_RX_CN);
	for (unsigned k = 0; k < 30; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->active_legs, 0);
	MXP_CHECK(t, r->silent);
	/* a silent tick's shared mix is silence, not what the talkspurt left in the buffers */
	unsigned nz = 0;
	if (MXP_CHECK(t, r->shared[0] != NULL && r->shared_samples[0] == 160))
		for (unsigned i = 0; i < r->shared_samples[0]; i++)
			nz += r->shared[0][i] != 0;
	MXP_CHECK_EQ(t, nz, 0);
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(c.leg[7], &st);
	MXP_CHECK_EQ(t, st.lost, 0);
	MXP_CHECK_EQ(t, st.concealed, 0);
	/* it talks again after 600 ms of silence: heard again, nothing counted lost */
	c.src[7].ts += 8000 * 6 / 10;
	c.sending[7] = true;
	for (unsigned k = 0; k < 10; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->n_talkers, 1);
	mxp_media_leg_stats_get(c.leg[7], &st);
	MXP_CHECK_EQ(t, st.lost, 0);
	conf_free(&c);
}

MXP_TEST(telephone_events_reported_not_mixed)
{
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	unsigned a = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 0, 0);
	c.sending[a] = false;
	struct mxp_media_event ev;
	unsigned starts = 0, ends = 0;
	/* digit '5' for 100 ms (RFC 4733 2.5: same timestamp, growing duration, 3 x E) */
	for (unsigned k = 0; k < 8; k++) {
		uint8_t b[4] = {5, (uint8_t)((k >= 5 ? 0x80 : 0) | 10), 0, 0};
		uint16_t dur = (uint16_t)(k < 5 ? 160 * (k + 1) : 800);
		b[2] = (uint8_t)(dur >> 8);
		b[3] = (uint8_t)dur;
		struct mxp_media_pkt p = {
			.payload = b, .len = 4, .seq = (uint16_t)(100 + k), .ts = 5000,
			.ssrc = 77, .pt = 101, .marker = k == 0, .level = MXP_MEDIA_LEVEL_NONE,
		};
		MXP_CHECK_EQ(t, sim_leg_rx(c.leg[a], &p, c.now + 1000, &ev),
			     MXP_MEDIA_RX_EVENT);
		if (ev.type & MXP_MEDIA_EVENT_START) {
			starts++;
			MXP_CHECK_EQ(t, ev.event, 5);
		}
		if (ev.type & MXP_MEDIA_EVENT_END) {
			ends++;
			MXP_CHECK_EQ(t, ev.duration, 800);
		}
		const struct mxp_media_mix_result *r = conf_tick(&c);
		MXP_CHECK(t, r->silent);
	}
	MXP_CHECK_EQ(t, starts, 1);
	MXP_CHECK_EQ(t, ends, 1);
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(c.leg[a], &st);
	MXP_CHECK_EQ(t, st.events, 1);
	MXP_CHECK_EQ(t, st.rx[MXP_MEDIA_RX_AUDIO], 0);
	/* a truncated event payload is dropped and counted */
	uint8_t shortp[2] = {1, 2};
	struct mxp_media_pkt p = {.payload = shortp, .len = 2, .seq = 200, .ts = 9000,
				  .ssrc = 77, .pt = 101, .level = MXP_MEDIA_LEVEL_NONE};
	MXP_CHECK_EQ(t, sim_leg_rx(c.leg[a], &p, c.now, &ev), MXP_MEDIA_RX_BAD_PAYLOAD);
	conf_free(&c);
}

MXP_TEST(large_conference_and_many_small_ones)
{
	/* 1,000 participants, 3 talking, the rest sending low noise */
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	for (unsigned i = 0; i < 1000; i++) {
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, i < 3 ? freqs[i] : 0,
			 i < 3 ? 8000 : 0);
		c.src[i].noise = i < 3 ? 0 : 30; /* about -60 dBov */
	}
	c.capture_from = 25;
	const struct mxp_media_mix_result *r = NULL;
	for (unsigned k = 0; k < 25 + CAP_TICKS; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->n_talkers, 3);
	MXP_CHECK_EQ(t, r->active_legs, 1000);
	unsigned bad = 0;
	for (unsigned li = 0; li < 1000; li++)
		for (unsigned s = 0; s < 3; s++) {
			double db = heard_db(&c, li, freqs[s]);
			if ((li == s && db > -60) || (li != s && db < -14.5)) {
				printf("#   leg %u hears tone %u at %.1f dBFS\n", li, s, db);
				bad++;
			}
		}
	MXP_CHECK_EQ(t, bad, 0);
	conf_free(&c);

	/* 1,000 conferences of 3: each hears only its own conference */
	enum { NC = 1000 };
	struct conf *cs = calloc(NC, sizeof(*cs));
	unsigned wrong = 0;
	for (unsigned k = 0; k < NC && cs != NULL; k++) {
		conf_init(&cs[k], 20, 3, MXP_MEDIA_SIMD_AUTO);
		for (unsigned i = 0; i < 3; i++)
			conf_add(&cs[k], MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU,
				 freqs[(k + i) % 10], 8000);
		cs[k].capture_from = 20;
	}
	for (unsigned tk = 0; tk < 40 && cs != NULL; tk++)
		for (unsigned k = 0; k < NC; k++)
			conf_tick(&cs[k]);
	for (unsigned k = 0; k < NC && cs != NULL; k++) {
		/* leg 0 hears its two peers, not freqs of another conference */
		if (heard_db(&cs[k], 0, freqs[(k + 1) % 10]) < -14.5 ||
		    heard_db(&cs[k], 0, freqs[(k + 3) % 10]) > -60)
			wrong++;
		conf_free(&cs[k]);
	}
	MXP_CHECK(t, cs != NULL);
	MXP_CHECK_EQ(t, wrong, 0);
	free(cs);
}

MXP_TEST(simd_kernels_bit_identical)
{
	enum { N = 640 };
	static int32_t acc[N], acc2[N];
	static int16_t x[N], self[N], d0[N], d1[N];
	uint32_t rnd = 12345;
	const struct media_simd_ops *ref = media_simd_ops_get(MXP_MEDIA_SIMD_C);
	for (int round = 0; round < 200; round++) {
		int range = round % 4 == 0 ? 32768 : (round % 4 == 1 ? 100 : 65536 * 3);
		for (int i = 0; i < N; i++) {
			acc[i] = (int32_t)(tu_rand(&rnd) % (2u * range)) - range;
			x[i] = (int16_t)tu_rand(&rnd);
			self[i] = round % 3 == 0 ? x[i] : (int16_t)tu_rand(&rnd);
		}
		if (round == 7)
			for (int i = 0; i < N; i++)
				x[i] = -32768;
		float g0 = round % 5 == 0 ? 1.0f : (float)(tu_rand(&rnd) % 1000) / 1000.0f;
		float dg = round % 5 == 0 ? 0.0f : ((float)(tu_rand(&rnd) % 200) - 100) / 1e5f;
		unsigned n = 16 * (1 + round % 40);
		for (uint8_t v = MXP_MEDIA_SIMD_AVX2; v < MXP_MEDIA_SIMD_COUNT; v++) {
			const struct media_simd_ops *o = media_simd_ops_get(v);
			if (o == NULL)
				continue;
			memcpy(acc2, acc, sizeof(acc));
			ref->acc_add(acc, x, n);
			o->acc_add(acc2, x, n);
			if (memcmp(acc, acc2, sizeof(acc)) != 0) {
				(void)MXP_CHECK(t, !"acc_add differs");
				return;
			}
			MXP_CHECK_EQ(t, o->peak(acc, self, n), ref->peak(acc, self, n));
			MXP_CHECK_EQ(t, o->energy(x, n), ref->energy(x, n));
			ref->out(d0, acc, self, n, g0, dg);
			o->out(d1, acc, self, n, g0, dg);
			if (memcmp(d0, d1, n * sizeof(int16_t)) != 0) {
				(void)MXP_CHECK(t, !"out differs");
				return;
			}
		}
	}
	printf("#   variants on this CPU: c%s%s (auto = %s)\n",
	       mxp_media_simd_supported(MXP_MEDIA_SIMD_AVX2) ? " avx2" : "",
	       mxp_media_simd_supported(MXP_MEDIA_SIMD_AVX512) ? " avx512" : "",
	       mxp_media_simd_name(mxp_media_simd_best()));
	for (int i = 0; i < 16; i++)
		x[i] = -32768;
	MXP_CHECK_EQ(t, ref->energy(x, 16), 16ull * 32768 * 32768);
}

MXP_TEST(whole_mix_identical_across_variants)
{
	/* the same conference under each variant yields the same bytes for every leg */
	static int16_t ref[6][CAP_TICKS * MXP_MEDIA_MAX_FRAME];
	unsigned reflen[6] = {0};
	for (uint8_t v = MXP_MEDIA_SIMD_C; v < MXP_MEDIA_SIMD_COUNT; v++) {
		if (!mxp_media_simd_supported(v))
			continue;
		struct conf c;
		conf_init(&c, 20, 3, v);
		conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 440, 25000);
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 660, 25000);
		conf_add(&c, MXP_MEDIA_CODEC_PCMA, MXP_MEDIA_CODEC_PCMU, 880, 25000);
		conf_add(&c, MXP_MEDIA_CODEC_L16_16K, MXP_MEDIA_CODEC_G722, 990, 25000);
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 0, 0);
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_G722, 0, 0);
		c.capture_from = 5;
		for (unsigned k = 0; k < 5 + CAP_TICKS; k++)
			conf_tick(&c);
		for (unsigned i = 0; i < 6; i++) {
			if (v == MXP_MEDIA_SIMD_C) {
				memcpy(ref[i], c.cap[i], c.cap_len[i] * sizeof(int16_t));
				reflen[i] = c.cap_len[i];
			} else {
				MXP_CHECK_EQ(t, c.cap_len[i], reflen[i]);
				MXP_CHECK(t, memcmp(ref[i], c.cap[i], reflen[i] * 2) == 0);
			}
		}
		struct mxp_media_mixer_stats ms;
		mxp_media_mixer_stats_get(c.m, &ms);
		MXP_CHECK(t, ms.limited_frames > 0); /* the limiter path ran too */
		conf_free(&c);
	}
}

/*
 * More speakers than the mixer has frame buffers: 30 legs speak at once, 1 dB apart, each
 * its own tone, into a mixer of N talkers that lends 3N + 1 frames per tick. The N
 * loudest must be the talkers and every mix must hold exactly their tones (a frame
 * recycled while still in use would put another leg's audio there). The legs are pulled
 * quietest first (every new leg pushes a candidate off the list and its frame returns to
 * the pool) or loudest first. Then the loudest stop and the next N take over. Levels
 * stay under the limiter, whose gain would modulate the tones onto each other.
 */
#define NSPK 30

static double
spk_freq(unsigned i)
{
	return 310 + 67.0 * i;
}

static void
pool_case(struct mxp_test_ctx *t, unsigned ntalk, bool loud_last)
{
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, (uint8_t)ntalk, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	unsigned rank[NSPK];
	for (unsigned i = 0; i < NSPK; i++) {
		rank[i] = loud_last ? i : NSPK - 1 - i;
		conf_add(&c, MXP_MEDIA_CODEC_L16_8K, MXP_MEDIA_CODEC_L16_8K, spk_freq(i),
			 5200 * pow(10, ((double)rank[i] - (NSPK - 1)) / 20));
	}
	unsigned li = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_L16_8K, MXP_MEDIA_CODEC_L16_8K, 0, 0);
	c.sending[li] = false;
	for (unsigned phase = 0; phase < 2; phase++) {
		unsigned settle = phase == 0 ? 20 : 40;
		c.capture_from = c.ticks + settle;
		for (unsigned i = 0; i < c.n; i++)
			c.cap_len[i] = 0;
		const struct mxp_media_mix_result *r = NULL;
		for (unsigned k = 0; k < settle + CAP_TICKS; k++)
			r = conf_tick(&c);
		/* the talkers: ranks [lo, lo + ntalk) */
		unsigned lo = NSPK - ntalk * (phase + 1), wrong = 0, bad_mix = 0;
		MXP_CHECK_EQ(t, r->n_talkers, ntalk);
		MXP_CHECK_EQ(t, r->active_legs, NSPK - (phase ? ntalk : 0));
		for (unsigned i = 0; i < NSPK; i++) {
			bool want = rank[i] >= lo && rank[i] < lo + ntalk;
			wrong += want != (mxp_media_leg_talker_slot(c.leg[i]) >= 0);
		}
		/* the listener hears the talkers, and nobody else */
		for (unsigned i = 0; i < NSPK; i++) {
			bool want = rank[i] >= lo && rank[i] < lo + ntalk;
			double db = heard_db(&c, li, spk_freq(i));
			if (want ? db < -30 : db > -60) {
				printf("#   listener hears %u (rank %u) at %.1f dBFS\n", i, rank[i], db);
				bad_mix++;
			}
		}
		/* each talker hears the other talkers, never itself */
		for (unsigned k = 0; k < NSPK; k++) {
			if (mxp_media_leg_talker_slot(c.leg[k]) < 0)
				continue;
			for (unsigned i = 0; i < NSPK; i++) {
				bool want = i != k && rank[i] >= lo && rank[i] < lo + ntalk;
				double db = heard_db(&c, k, spk_freq(i));
				if (want ? db < -30 : db > -60) {
					printf("#   talker %u hears %u at %.1f dBFS\n", k, i, db);
					bad_mix++;
				}
			}
		}
		printf("#   %u talker(s), %s pulled first, phase %u: talkers %s, mixes %s\n", ntalk,
		       loud_last ? "quietest" : "loudest", phase, wrong ? "WRONG" : "the loudest",
		       bad_mix ? "WRONG" : "exact");
		MXP_CHECK_EQ(t, wrong, 0);
		MXP_CHECK_EQ(t, bad_mix, 0);
		for (unsigned i = 0; i < NSPK; i++) /* the loudest stop */
			if (rank[i] >= NSPK - ntalk)
				c.sending[i] = false;
	}
	struct mxp_media_mixer_stats ms;
	mxp_media_mixer_stats_get(c.m, &ms);
	MXP_CHECK_EQ(t, ms.pool_empty, 0); /* the 3N + 1 frames always sufficed */
	conf_free(&c);
}

MXP_TEST(more_speakers_than_frame_buffers)
{
	pool_case(t, 3, true);
	pool_case(t, 3, false);
	pool_case(t, 1, true);
}

/*
 * White-box: should the frame pool ever run dry (it cannot: 3N + 1 suffice), a leg not
 * pulled for want of a frame is counted and is not mixed: its last frame was lent to
 * another leg. Here the pool is cut to one frame while two legs talk.
 */
MXP_TEST(leg_without_a_frame_is_not_mixed)
{
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 400, 8000);
	conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 700, 8000);
	const struct mxp_media_mix_result *r = NULL;
	for (unsigned k = 0; k < 20; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->n_talkers, 2);
	c.m->n_frames = 1;
	for (unsigned k = 0; k < 3; k++)
		r = conf_tick(&c);
	struct mxp_media_mixer_stats ms;
	mxp_media_mixer_stats_get(c.m, &ms);
	MXP_CHECK_EQ(t, ms.pool_empty, 3); /* one leg a tick */
	/* the leg pulled first talks alone: its private mix (everyone else) is silence once
	 * the 16 -> 8 kHz resampler has let go of the other's last samples */
	if (MXP_CHECK(t, r->n_talkers == 1)) {
		int peak = 0;
		for (unsigned i = 0; i < r->talkers[0].samples; i++)
			peak = abs(r->talkers[0].pcm[i]) > peak ? abs(r->talkers[0].pcm[i]) : peak;
		MXP_CHECK_EQ(t, peak, 0);
	}
	unsigned unpulled = 0;
	for (unsigned i = 0; i < 2; i++)
		unpulled += c.leg[i]->frame == MEDIA_NO_FRAME && !c.leg[i]->eligible &&
			    mxp_media_leg_talker_slot(c.leg[i]) < 0;
	MXP_CHECK_EQ(t, unpulled, 1);
	conf_free(&c);
}

/*
 * A talker's private stream is encoded with the result's coder, the talker slot's: the
 * same encoder, tick after tick, while the leg stays a talker. Its G.722 stream must
 * then decode cleanly with an independent decoder (ffmpeg's adpcm_g722) that runs over
 * the whole stream. Control: the same frames each encoded from a fresh encoder do not.
 */
MXP_TEST(talker_slot_encoder_is_continuous)
{
	enum { T = 100 };
	static int16_t ref[T * 320];
	static uint8_t enc[T * 160], fresh[T * 160];
	struct conf c;
	if (!MXP_CHECK(t, conf_init(&c, 20, 3, MXP_MEDIA_SIMD_AUTO) == 0))
		return;
	unsigned a = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 440, 8000);
	conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 1250, 8000);
	conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 2900, 5000);
	unsigned li = (unsigned)conf_add(&c, MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_G722, 0, 0);
	c.sending[li] = false;
	struct mxp_media_coder *first = NULL;
	unsigned nref = 0, nenc = 0, frames = 0, moved = 0, wrong_codec = 0;
	for (unsigned k = 0; k < T; k++) {
		const struct mxp_media_mix_result *r = conf_tick(&c);
		int s = mxp_media_leg_talker_slot(c.leg[a]);
		if (s < 0) {
			moved += first != NULL; /* it left the talkers */
			continue;
		}
		const struct mxp_media_mix_talker *tk = &r->talkers[s];
		if (first == NULL)
			first = tk->coder;
		moved += tk->coder != first;
		wrong_codec += tk->coder->codec != MXP_MEDIA_CODEC_G722 || tk->rate != 16000;
		struct mxp_media_coder f;
		mxp_media_coder_init(&f, MXP_MEDIA_CODEC_G722);
		int n = mxp_media_encode(tk->coder, tk->pcm, tk->samples, enc + nenc,
					 sizeof(enc) - nenc);
		int n2 = mxp_media_encode(&f, tk->pcm, tk->samples, fresh + nenc,
					  sizeof(fresh) - nenc);
		if (!MXP_CHECK(t, n == (int)tk->samples / 2 && n2 == n))
			break;
		memcpy(ref + nref, tk->pcm, tk->samples * sizeof(int16_t));
		nref += tk->samples;
		nenc += (unsigned)n;
		frames++;
	}
	MXP_CHECK(t, frames >= T - 5);
	MXP_CHECK_EQ(t, moved, 0);
	MXP_CHECK_EQ(t, wrong_codec, 0);
	uint8_t *dec = NULL, *dec2 = NULL;
	long nd = tu_ff_convert(enc, nenc, "-f g722", "-f s16le -acodec pcm_s16le", &dec);
	long nd2 = tu_ff_convert(fresh, nenc, "-f g722", "-f s16le -acodec pcm_s16le", &dec2);
	if (MXP_CHECK(t, nd == (long)nref * 2 && nd2 == nd)) {
		/* G.722 delay through both QMFs: 22 samples */
		double snr = tu_snr(ref, (const int16_t *)dec, nref, 22);
		double snr2 = tu_snr(ref, (const int16_t *)dec2, nref, 22);
		printf("#   %u frames of a G.722 private mix through ffmpeg: SNR %.1f dB with the "
		       "slot's encoder, %.1f dB with a fresh encoder per frame\n", frames, snr, snr2);
		MXP_CHECK(t, snr > 25);
		MXP_CHECK(t, snr2 < snr - 10);
	}
	free(dec);
	free(dec2);
	conf_free(&c);
}

/*
 * Cascade legs (the links to other MRFPs): 2 talkers mixed, 2 cascade slots. Four local
 * talkers louder than the two cascade legs: the cascade legs are mixed anyway (outside the
 * N), everyone local hears them, and what a cascade leg hears is the local talkers only,
 * neither its own input nor the other cascade leg's. A third cascade leg finds no slot; a
 * cascade leg made ordinary again competes like any leg (and, quieter, is not mixed); with
 * no local talker a cascade leg's mix is marked silent.
 */
static void
cascade_run(struct mxp_test_ctx *t, bool added)
{
	struct conf c;
	memset(&c, 0, sizeof(c));
	c.ptime = 20;
	c.now = 1000000;
	struct mxp_media_mixer_params mp = { .ptime_ms = 20, .max_legs = MAXL, .max_talkers = 2,
					     .max_cascade = 2, .cascade_slots_added = added };
	c.m = sim_mixer_new(&mp, c.now);
	if (!MXP_CHECK(t, c.m != NULL))
		return;
	struct mxp_media_mixer_params bad = mp;
	bad.max_cascade = 7; /* 2 + 7 slots: more than MXP_MEDIA_MAX_TALKERS */
	MXP_CHECK_EQ(t, mxp_media_mixer_size(&bad), 0u);
	for (unsigned i = 0; i < 4; i++)
		conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, freqs[i], 8000);
	int c1 = conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, freqs[4], 3000);
	int c2 = conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, freqs[5], 3000);
	int lis = conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 0, 0);
	int c3 = conf_add(&c, MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMU, 0, 0);
	void *slot[3] = { NULL, NULL, NULL };
	if (added) {
		/* the caller's slots: the mixer is two slots smaller; a cascade leg needs one
		 * added first, at most max_cascade of them */
		struct mxp_media_mixer_params inl = mp;
		inl.cascade_slots_added = false;
		MXP_CHECK_EQ(t, mxp_media_mixer_size(&mp) + 2 * mxp_media_mixer_slot_size(),
			     mxp_media_mixer_size(&inl));
		MXP_CHECK_EQ(t, mxp_media_mixer_slots_missing(c.m), 1u);
		MXP_CHECK_EQ(t, mxp_media_mixer_leg_set_cascade(c.m, c.leg[c1], true), -ENOSPC);
		MXP_CHECK(t, !mxp_media_leg_cascade(c.leg[c1]));
		for (int k = 0; k < 3; k++) {
			slot[k] = aligned_alloc(64, mxp_media_mixer_slot_size());
			memset(slot[k], 0xa5, mxp_media_mixer_slot_size()); /* cleared on add */
		}
		MXP_CHECK_EQ(t, mxp_media_mixer_slot_add(c.m, slot[0]), 0);
		MXP_CHECK_EQ(t, mxp_media_mixer_slots_missing(c.m), 0u);
		MXP_CHECK_EQ(t, mxp_media_mixer_leg_set_cascade(c.m, c.leg[c1], true), 0);
		MXP_CHECK_EQ(t, mxp_media_mixer_slots_missing(c.m), 1u);
		MXP_CHECK_EQ(t, mxp_media_mixer_leg_set_cascade(c.m, c.leg[c2], true), -ENOSPC);
		MXP_CHECK_EQ(t, mxp_media_mixer_slot_add(c.m, slot[1]), 0);
		MXP_CHECK_EQ(t, mxp_media_mixer_slot_add(c.m, slot[2]), -ENOSPC);
	} else {
		MXP_CHECK_EQ(t, mxp_media_mixer_slot_add(c.m, &c), -EINVAL);
		MXP_CHECK_EQ(t, mxp_media_mixer_leg_set_cascade(c.m, c.leg[c1], true), 0);
	}
	MXP_CHECK_EQ(t, mxp_media_mixer_leg_set_cascade(c.m, c.leg[c2], true), 0);
	MXP_CHECK_EQ(t, mxp_media_mixer_leg_set_cascade(c.m, c.leg[c3], true), -ENOSPC);
	MXP_CHECK(t, mxp_media_leg_cascade(c.leg[c1]) && !mxp_media_leg_cascade(c.leg[c3]));
	c.capture_from = 25;
	const struct mxp_media_mix_result *r = NULL;
	for (unsigned k = 0; k < 25 + CAP_TICKS; k++)
		r = conf_tick(&c);
	MXP_CHECK_EQ(t, r->n_talkers, 4); /* 2 local + 2 cascade */
	unsigned local_heard = 0;
	for (unsigned s = 0; s < 4; s++)
		local_heard += heard_db(&c, (unsigned)lis, freqs[s]) > -14;
	MXP_CHECK_EQ(t, local_heard, 2u);
	double db3000 = 20 * log10(3000.0 / 32767);
	for (int k = 0; k < 2; k++) {
		double f = freqs[4 + k];
		printf("#   %.0f Hz (cascade %d): listener %.1f, local talker %.1f, cascade 1 %.1f, "
		       "cascade 2 %.1f dBFS\n", f, k + 1, heard_db(&c, (unsigned)lis, f),
		       heard_db(&c, 0, f), heard_db(&c, (unsigned)c1, f),
		       heard_db(&c, (unsigned)c2, f));
		MXP_CHECK(t, fabs(heard_db(&c, (unsigned)lis, f) - db3000) < 1.5);
		for (unsigned s = 0; s < 4; s++)
			MXP_CHECK(t, fabs(heard_db(&c, s, f) - db3000) < 1.5);
		MXP_CHECK(t, heard_db(&c, (unsigned)c1, f) < -60); /* never relayed, no echo */
		MXP_CHECK(t, heard_db(&c, (unsigned)c2, f) < -60);
	}
	unsigned cas_heard = 0;
	for (unsigned s = 0; s < 4; s++)
		cas_heard += heard_db(&c, (unsigned)c1, freqs[s]) > -14;
	MXP_CHECK_EQ(t, cas_heard, 2u); /* the two local talkers mixed */
	for (unsigned i = 0; i < r->n_talkers; i++)
		MXP_CHECK(t, !r->talkers[i].silent &&
			     r->talkers[i].cascade == mxp_media_leg_cascade(r->talkers[i].leg));
	/* the locals stop: each cascade leg's mix is silent (only cascade input is mixed) */
	for (unsigned s = 0; s < 4; s++)
		c.sending[s] = false;
	for (unsigned k = 0; k < 40; k++)
		r = conf_tick(&c);
	MXP_CHECK(t, !r->silent && r->n_talkers == 2);
	for (unsigned i = 0; i < r->n_talkers; i++)
		MXP_CHECK(t, r->talkers[i].cascade && r->talkers[i].silent);
	/* made ordinary, the first cascade leg competes: the locals speak again, louder */
	for (unsigned s = 0; s < 4; s++)
		c.sending[s] = true;
	MXP_CHECK_EQ(t, mxp_media_mixer_leg_set_cascade(c.m, c.leg[c1], false), 0);
	MXP_CHECK_EQ(t, mxp_media_mixer_leg_set_cascade(c.m, c.leg[c3], true), 0);
	c.capture_from = c.ticks + 25;
	memset(c.cap_len, 0, sizeof(c.cap_len));
	for (unsigned k = 0; k < 25 + CAP_TICKS; k++)
		r = conf_tick(&c);
	printf("#   cascade leg 1 made ordinary: listener hears it at %.1f dBFS\n",
	       heard_db(&c, (unsigned)lis, freqs[4]));
	MXP_CHECK(t, heard_db(&c, (unsigned)lis, freqs[4]) < -60);
	MXP_CHECK(t, fabs(heard_db(&c, (unsigned)lis, freqs[5]) - db3000) < 1.5);
	conf_free(&c); /* the mixer, then the slots it was given */
	for (int k = 0; k < 3; k++)
		free(slot[k]);
}

MXP_TEST(cascade_legs_always_mixed_never_relayed)
{
	cascade_run(t, false);
}

/* The same with the cascade slots the caller adds (mxp_media_mixer_params.cascade_slots_added,
 * as lib/conf does): refused until a slot is added, at most max_cascade of them. */
MXP_TEST(cascade_slots_added_by_the_caller)
{
	cascade_run(t, true);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(cascade_legs_always_mixed_never_relayed),
	MXP_CASE(cascade_slots_added_by_the_caller),
	MXP_CASE(tones_each_hears_others_never_itself),
	MXP_CASE(only_the_n_loudest_are_heard),
	MXP_CASE(hysteresis_prevents_flapping),
	MXP_CASE(mute_and_modes_take_effect_next_tick),
	MXP_CASE(limiter_instead_of_clipping),
	MXP_CASE(g722_and_g711_in_one_conference),
	MXP_CASE(mix_at_48k),
	MXP_CASE(leg_changes_codec_without_click),
	MXP_CASE(idle_conference_and_dtx_cost_nothing),
	MXP_CASE(telephone_events_reported_not_mixed),
	MXP_CASE(large_conference_and_many_small_ones),
	MXP_CASE(simd_kernels_bit_identical),
	MXP_CASE(whole_mix_identical_across_variants),
	MXP_CASE(more_speakers_than_frame_buffers),
	MXP_CASE(leg_without_a_frame_is_not_mixed),
	MXP_CASE(talker_slot_encoder_is_continuous),
};

int
main(int argc, char **argv)
{
	int rc = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	tu_cleanup_tmpdir();
	return rc;
}
