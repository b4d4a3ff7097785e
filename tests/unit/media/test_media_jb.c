/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The jitter buffer and concealment, through one leg in a mixer fed by a simulated network:
 * reordering, duplicates, loss bursts, 200 ms of jitter, sender clocks 0.1 % fast and
 * slow for 10 minutes, timestamp jumps, SSRC changes, DTX. Audio is L16 (no codec noise)
 * so clicks can be measured as steps larger than the tone's own largest step.
 */
#include "mxp_test.h"
#include "media_sim.h"
#include "media_priv.h"

struct jbsim;
/* per packet: network delay in us, or -1 to drop it; *dup set to send it twice */
typedef int64_t (*delay_fn)(struct jbsim *s, uint64_t k, bool *dup);

struct jbsim {
	struct mxp_media_mixer *m;
	struct mxp_media_leg *leg;
	struct sim_src src;
	struct sim_net net;
	uint64_t now, k;          /* tick time (us), packets sent */
	double t_send, skew;      /* next send time (us); sender clock rate factor */
	unsigned ptime;
	delay_fn delay;
	uint32_t rnd;
	int16_t *out;             /* the leg's output (mix rate 8 kHz) */
	size_t out_len, out_cap;
	bool sending;
	uint32_t max_depth_ms, max_depth_ms_late; /* over all / over the last quarter */
	uint64_t ticks_total;
};

static int
jb_init(struct jbsim *s, enum mxp_media_codec codec, double freq, double amp, delay_fn d,
	size_t seconds)
{
	memset(s, 0, sizeof(*s));
	s->ptime = 20;
	s->now = 5000000;
	s->t_send = (double)s->now + 3000;
	s->skew = 1.0;
	s->delay = d;
	s->rnd = 4242;
	s->sending = true;
	/* mix at 8 kHz: the captured frame is the leg's output at 8 kHz */
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 4, .rate = 8000};
	s->m = sim_mixer_new(&mp, s->now);
	struct mxp_media_leg_params p;
	sim_leg_params(&p, 1, codec, 20);
	s->leg = sim_leg_new(&p);
	if (s->m == NULL || s->leg == NULL || mxp_media_mixer_leg_add(s->m, s->leg) != 0)
		return -1;
	sim_src_init(&s->src, codec, sim_pt_of(codec), freq, amp, 5, 20);
	sim_net_init(&s->net, 4096);
	s->out_cap = seconds * 8000 + 8000;
	s->out = calloc(s->out_cap, sizeof(int16_t));
	return s->out != NULL ? 0 : -1;
}

static void
jb_free(struct jbsim *s)
{
	sim_leg_free(s->leg);
	free(s->m);
	free(s->out);
	sim_net_free(&s->net);
}

/* Run for `ticks` ptimes. */
static void
jb_run(struct jbsim *s, uint64_t ticks)
{
	uint8_t buf[1280];
	struct mxp_media_pkt pkt;
	struct sim_pkt sp;
	for (uint64_t t = 0; t < ticks; t++) {
		uint64_t next = s->now + (uint64_t)s->ptime * 1000;
		/* the sender's packets of this period (its clock may run fast or slow) */
		while (s->t_send < (double)next) {
			if (s->sending) {
				sim_src_next(&s->src, buf, &pkt);
				bool dup = false;
				int64_t d = s->delay ? s->delay(s, s->k, &dup) : 20000;
				if (d >= 0) {
					sim_net_push(&s->net, (uint64_t)s->t_send + (uint64_t)d, 0, &pkt);
					if (dup)
						sim_net_push(&s->net, (uint64_t)s->t_send + (uint64_t)d + 500,
							     0, &pkt);
				}
			} else {
				/* DTX: the sender's clock runs on, nothing is sent */
				s->src.ts += 160;
				s->src.pos += 160;
			}
			s->k++;
			s->t_send += s->ptime * 1000.0 / s->skew;
		}
		while (sim_net_pop(&s->net, next, &sp))
			sim_leg_rx(s->leg, &sp.pkt, sp.t_us, NULL);
		s->now = next;
		mxp_media_mix_tick(s->m, s->now);
		if (s->out_len + 160 <= s->out_cap) {
			const int16_t *f = media_leg_frame(s->leg); /* the only leg of the mixer */
			if (f != NULL)
				memcpy(s->out + s->out_len, f, 160 * sizeof(int16_t));
			s->out_len += 160;
		}
		struct mxp_media_leg_stats st;
		mxp_media_leg_stats_get(s->leg, &st);
		if (st.depth_ms > s->max_depth_ms)
			s->max_depth_ms = st.depth_ms;
		s->ticks_total++;
	}
}

static struct mxp_media_leg_stats
jb_stats(struct jbsim *s)
{
	struct mxp_media_leg_stats st;
	mxp_media_leg_stats_get(s->leg, &st);
	return st;
}

static double
tone_step(double amp, double f)
{
	return 2 * amp * sin(M_PI * f / 8000);
}

static void
print_stats(const char *what, const struct mxp_media_leg_stats *st)
{
	printf("#   %s: lost %llu late %llu dup %llu reord %llu concealed %llu silence %llu "
	       "accel %llu expand %llu resync %llu depth %u ms target %u ms jitter %u\n", what,
	       (unsigned long long)st->lost, (unsigned long long)st->rx[MXP_MEDIA_RX_LATE],
	       (unsigned long long)st->rx[MXP_MEDIA_RX_DUPLICATE],
	       (unsigned long long)st->reordered, (unsigned long long)st->concealed,
	       (unsigned long long)st->silence, (unsigned long long)st->accelerated,
	       (unsigned long long)st->expanded, (unsigned long long)st->resyncs, st->depth_ms,
	       st->target_ms, st->jitter);
}

MXP_TEST(steady_stream_plays_clean)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 440, 8000, NULL, 10) == 0))
		return;
	jb_run(&s, 500);
	struct mxp_media_leg_stats st = jb_stats(&s);
	print_stats("steady", &st);
	if (getenv("MXP_DUMP") != NULL)
		tu_write("/tmp/steady.raw", s.out, s.out_len * 2);
	MXP_CHECK_EQ(t, st.lost, 0);
	MXP_CHECK_EQ(t, st.concealed, 0);
	MXP_CHECK_EQ(t, st.rx[MXP_MEDIA_RX_LATE], 0);
	MXP_CHECK(t, st.depth_ms <= 45); /* margin 5 ms, rounded up to whole frames */
	int step = tu_max_step(s.out + 800, s.out_len - 800);
	MXP_CHECK(t, step <= tone_step(8000, 440) + 2);
	MXP_CHECK(t, fabs(tu_tone_dbfs(s.out + 8000, 16000, 440, 8000) -
			  20 * log10(8000 / 32767.0)) < 0.1);
	jb_free(&s);
}

static int64_t
d_reorder_dup(struct jbsim *s, uint64_t k, bool *dup)
{
	*dup = k % 7 == 3;
	return k % 2 == 0 ? 30000 : 5000; /* every even packet overtaken by the next */
}

MXP_TEST(reordering_and_duplicates)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 440, 8000, d_reorder_dup, 10) == 0))
		return;
	/* the first overtaken packet comes before any jitter was measured and may be late;
	 * after one second the buffer has adapted and nothing is lost */
	jb_run(&s, 50);
	struct mxp_media_leg_stats st0 = jb_stats(&s);
	jb_run(&s, 450);
	struct mxp_media_leg_stats st = jb_stats(&s);
	print_stats("reorder+dup", &st);
	MXP_CHECK(t, st.reordered > 200);
	MXP_CHECK(t, st.rx[MXP_MEDIA_RX_DUPLICATE] > 60);
	MXP_CHECK(t, st0.lost <= 1);
	MXP_CHECK_EQ(t, st.lost - st0.lost, 0);
	MXP_CHECK_EQ(t, st.concealed - st0.concealed, 0);
	int step = tu_max_step(s.out + 800, s.out_len - 800);
	MXP_CHECK(t, step <= tone_step(8000, 440) + 2);
	jb_free(&s);
}

static int64_t
d_burst(struct jbsim *s, uint64_t k, bool *dup)
{
	(void)s;
	(void)dup;
	if (k >= 100 && k < 105) /* 100 ms */
		return -1;
	if (k >= 200 && k < 202) /* 40 ms */
		return -1;
	if (k == 300) /* single */
		return -1;
	return 20000;
}

MXP_TEST(loss_bursts_concealed_without_clicks)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 300, 8000, d_burst, 8) == 0))
		return;
	jb_run(&s, 400);
	struct mxp_media_leg_stats st = jb_stats(&s);
	print_stats("bursts", &st);
	MXP_CHECK_EQ(t, st.lost, 8);
	/* 100 ms burst: 60 ms concealed then silence; 40 ms and 20 ms fully concealed */
	MXP_CHECK(t, st.concealed >= 480 + 320 + 160 - 16 && st.concealed <= 480 + 320 + 160);
	MXP_CHECK(t, st.silence >= 300);
	int step = tu_max_step(s.out + 800, s.out_len - 800);
	printf("#   max step %d, tone %.0f\n", step, tone_step(8000, 300));
	MXP_CHECK(t, step <= 1.5 * tone_step(8000, 300));
	/* find the burst in the output: the fade leaves >= 40 ms of exact silence */
	unsigned zeros = 0, run = 0;
	for (size_t i = 800; i < s.out_len; i++) {
		run = s.out[i] == 0 ? run + 1 : 0;
		zeros = run > zeros ? run : zeros;
	}
	MXP_CHECK(t, zeros >= 300 && zeros <= 340);
	jb_free(&s);
}

static int64_t
d_jitter200(struct jbsim *s, uint64_t k, bool *dup)
{
	(void)k;
	(void)dup;
	return 20000 + (int64_t)(tu_rand(&s->rnd) % 200000);
}

MXP_TEST(jitter_200ms_adapts_and_stays_bounded)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 440, 8000, d_jitter200, 60) == 0))
		return;
	jb_run(&s, 250); /* 5 s to learn the jitter */
	struct mxp_media_leg_stats st0 = jb_stats(&s);
	jb_run(&s, 2750);
	struct mxp_media_leg_stats st = jb_stats(&s);
	print_stats("200 ms jitter", &st);
	uint64_t late = st.rx[MXP_MEDIA_RX_LATE] - st0.rx[MXP_MEDIA_RX_LATE];
	printf("#   late after convergence: %llu of 2750 (%.2f %%), max depth %u ms\n",
	       (unsigned long long)late, 100.0 * late / 2750, s.max_depth_ms);
	MXP_CHECK(t, late * 100 < 2750); /* < 1 % */
	MXP_CHECK(t, st.target_ms >= 190 && st.target_ms <= 260);
	MXP_CHECK(t, s.max_depth_ms <= 300 + 20 + 20);
	MXP_CHECK(t, st.reordered > 1000);
	jb_free(&s);
}

static int64_t
d_small_jitter(struct jbsim *s, uint64_t k, bool *dup)
{
	(void)k;
	(void)dup;
	return 20000 + (int64_t)(tu_rand(&s->rnd) % 5000);
}

static void
drift_case(struct mxp_test_ctx *t, double skew)
{
	struct jbsim s;
	/* continuous speech-like tone: drift must be followed during speech, by time
	 * scaling, not only in silence */
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 220, 8000, d_small_jitter, 5) == 0))
		return;
	s.skew = skew;
	uint32_t max_late_q = 0;
	for (int minute = 0; minute < 10; minute++) {
		s.out_len = 0; /* keep the last minute... only the last 5 s fit: fine */
		s.max_depth_ms = 0;
		jb_run(&s, 3000);
		if (minute >= 2 && s.max_depth_ms > max_late_q)
			max_late_q = s.max_depth_ms;
	}
	struct mxp_media_leg_stats st = jb_stats(&s);
	char what[64];
	snprintf(what, sizeof(what), "sender clock %+.1f %%, 10 min", (skew - 1) * 100);
	print_stats(what, &st);
	printf("#   max depth over minutes 3-10: %u ms\n", max_late_q);
	/* 0.1 % of 10 min is 600 ms = 4800 samples to drop or insert */
	if (skew > 1)
		MXP_CHECK(t, st.accelerated >= 4000);
	else
		MXP_CHECK(t, st.expanded >= 4000);
	MXP_CHECK(t, max_late_q <= 100);
	MXP_CHECK(t, st.lost + st.rx[MXP_MEDIA_RX_LATE] < 30); /* of 30,000 */
	MXP_CHECK(t, st.concealed < 30 * 160);
	jb_free(&s);
}

MXP_TEST(sender_clock_fast_and_slow_10_minutes)
{
	drift_case(t, 1.001);
	drift_case(t, 0.999);
}

static int64_t
d_fixed(struct jbsim *s, uint64_t k, bool *dup)
{
	(void)s;
	(void)k;
	(void)dup;
	return 20000;
}

MXP_TEST(timestamp_jump_and_ssrc_change_without_clicks)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 300, 8000, d_fixed, 8) == 0))
		return;
	jb_run(&s, 100);
	s.src.ts += 1000000; /* the sender's timestamp jumps (no marker, same SSRC) */
	jb_run(&s, 100);
	s.src.ssrc = 999; /* a new SSRC with unrelated seq and timestamp */
	s.src.seq += 30000;
	s.src.ts -= 77777777;
	jb_run(&s, 100);
	s.src.ts -= 5000; /* and a jump backwards */
	jb_run(&s, 100);
	struct mxp_media_leg_stats st = jb_stats(&s);
	print_stats("ts jumps, SSRC change", &st);
	MXP_CHECK_EQ(t, st.resyncs, 3);
	MXP_CHECK_EQ(t, st.lost, 0);
	int step = tu_max_step(s.out + 800, s.out_len - 800);
	printf("#   max step %d, tone %.0f\n", step, tone_step(8000, 300));
	MXP_CHECK(t, step <= 1.5 * tone_step(8000, 300));
	/* the tone plays on after each restart */
	MXP_CHECK(t, tu_tone_dbfs(s.out + s.out_len - 4000, 4000, 300, 8000) > -12.5);
	jb_free(&s);
}

MXP_TEST(dtx_is_silence_not_loss)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 300, 8000, d_fixed, 10) == 0))
		return;
	for (int spurt = 0; spurt < 4; spurt++) {
		jb_run(&s, 50);
		s.sending = false;
		jb_run(&s, 50);
		const struct mxp_media_mix_result *r = mxp_media_mix_tick(s.m, s.now);
		MXP_CHECK_EQ(t, r->active_legs, 0); /* a silent leg costs nothing */
		s.now += 20000;
		s.sending = true;
	}
	jb_run(&s, 50);
	struct mxp_media_leg_stats st = jb_stats(&s);
	print_stats("DTX talkspurts", &st);
	MXP_CHECK_EQ(t, st.lost, 0);
	/* each pause starts with at most 60 ms of fading concealment, then silence */
	MXP_CHECK(t, st.concealed <= 4 * 480);
	MXP_CHECK(t, st.silence >= 4 * 500);
	int step = tu_max_step(s.out + 800, s.out_len - 800);
	MXP_CHECK(t, step <= 1.5 * tone_step(8000, 300));
	jb_free(&s);
}

static int64_t
d_one_late(struct jbsim *s, uint64_t k, bool *dup)
{
	(void)s;
	(void)dup;
	return k == 150 ? 1500000 : 20000; /* beyond max_delay: too late to play */
}

MXP_TEST(too_late_packet_dropped_and_counted)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 300, 8000, d_one_late, 8) == 0))
		return;
	jb_run(&s, 300);
	struct mxp_media_leg_stats st = jb_stats(&s);
	print_stats("one late", &st);
	MXP_CHECK_EQ(t, st.rx[MXP_MEDIA_RX_LATE], 1);
	MXP_CHECK_EQ(t, st.lost, 1);
	MXP_CHECK(t, st.target_ms <= 320); /* grows to its ceiling at most */
	jb_free(&s);
}

MXP_TEST(g722_leg_through_jitter)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_G722, 440, 8000, d_reorder_dup, 6) == 0))
		return;
	jb_run(&s, 50);
	struct mxp_media_leg_stats st0 = jb_stats(&s);
	jb_run(&s, 250);
	struct mxp_media_leg_stats st = jb_stats(&s);
	print_stats("G.722", &st);
	MXP_CHECK_EQ(t, st.lost - st0.lost, 0);
	MXP_CHECK_EQ(t, st.concealed - st0.concealed, 0);
	MXP_CHECK(t, st.played >= 290 * 320);
	jb_free(&s);
}

MXP_TEST(plc_continues_pitch_then_fades)
{
	struct media_plc p;
	int16_t h[800], out[640], truth[640];
	media_plc_reset(&p, 8000);
	tu_tone(h, 800, 220, 8000, 8000, 0);
	media_plc_good(&p, h, h, 800); /* the history: the last 390 samples of h */
	media_plc_conceal(&p, h + 800, out, 640);
	tu_tone(truth, 640, 220, 8000, 8000, 800);
	double snr = tu_snr(truth, out, 80, 0);
	printf("#   concealment of a 220 Hz tone: SNR over the first 10 ms %.1f dB\n", snr);
	MXP_CHECK(t, snr > 15);
	int nz = 0;
	for (int i = 480; i < 640; i++)
		nz += out[i] != 0;
	MXP_CHECK_EQ(t, nz, 0); /* silent from 60 ms */
	/* attenuation: the 20-30 ms block is quieter than the first 10 ms */
	MXP_CHECK(t, tu_tone_dbfs(out + 160, 80, 220, 8000) < tu_tone_dbfs(out, 80, 220, 8000) - 1);
	/* no history: concealment is silence */
	media_plc_reset(&p, 16000);
	MXP_CHECK_EQ(t, media_plc_conceal(&p, h + 800, out, 320), 0);
}

MXP_TEST(rx_classification)
{
	struct jbsim s;
	if (!MXP_CHECK(t, jb_init(&s, MXP_MEDIA_CODEC_L16_8K, 300, 8000, NULL, 1) == 0))
		return;
	for (int r = 0; r < MXP_MEDIA_RX_COUNT; r++)
		MXP_CHECK(t, strlen(mxp_media_rx_result_desc(r)) > 5 &&
				     strlen(mxp_media_rx_result_name(r)) > 1);
	uint8_t b[1300] = {0};
	struct mxp_media_pkt p = {.payload = b, .len = 160, .seq = 1, .ts = 1, .ssrc = 1,
				  .pt = 55, .level = MXP_MEDIA_LEVEL_NONE};
	MXP_CHECK_EQ(t, sim_leg_rx(s.leg, &p, 1, NULL), MXP_MEDIA_RX_UNKNOWN_PT);
	p.pt = 96;
	p.len = 161; /* odd L16 */
	MXP_CHECK_EQ(t, sim_leg_rx(s.leg, &p, 1, NULL), MXP_MEDIA_RX_BAD_PAYLOAD);
	p.len = 1282; /* over max_payload */
	MXP_CHECK_EQ(t, sim_leg_rx(s.leg, &p, 1, NULL), MXP_MEDIA_RX_TOO_LARGE);
	p.len = 0;
	MXP_CHECK_EQ(t, sim_leg_rx(s.leg, &p, 1, NULL), MXP_MEDIA_RX_BAD_PAYLOAD);
	p.len = 320;
	MXP_CHECK_EQ(t, sim_leg_rx(s.leg, &p, 1, NULL), MXP_MEDIA_RX_AUDIO);
	MXP_CHECK_EQ(t, sim_leg_rx(s.leg, &p, 2, NULL), MXP_MEDIA_RX_DUPLICATE);
	mxp_media_leg_set_mode(s.leg, MXP_SM_INACTIVE);
	MXP_CHECK_EQ(t, sim_leg_rx(s.leg, &p, 3, NULL), MXP_MEDIA_RX_NOT_SENDING);
	/* invalid params are refused with a reason */
	struct mxp_media_leg_params lp;
	char err[128] = "";
	sim_leg_params(&lp, 1, MXP_MEDIA_CODEC_PCMU, 25);
	MXP_CHECK_EQ(t, mxp_media_leg_size(&lp), 0);
	MXP_CHECK_EQ(t, mxp_media_leg_init(s.leg, &lp, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "ptime") != NULL);
	jb_free(&s);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(steady_stream_plays_clean),
	MXP_CASE(reordering_and_duplicates),
	MXP_CASE(loss_bursts_concealed_without_clicks),
	MXP_CASE(jitter_200ms_adapts_and_stays_bounded),
	MXP_CASE(sender_clock_fast_and_slow_10_minutes),
	MXP_CASE(timestamp_jump_and_ssrc_change_without_clicks),
	MXP_CASE(dtx_is_silence_not_loss),
	MXP_CASE(too_late_packet_dropped_and_counted),
	MXP_CASE(g722_leg_through_jitter),
	MXP_CASE(plc_continues_pitch_then_fades),
	MXP_CASE(rx_classification),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
