/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The E-model (lib/media/quality.c) against G.107's published reference point and values
 * worked out by hand from G.107's equations (each in the comment beside its check), so a
 * wrong coefficient anywhere fails a check.
 */
#include <errno.h>
#include <math.h>

#include "mxp_media_quality.h"
#include "mxp_test.h"

/* |a - b| <= tol, printing both on failure */
#define CHECK_NEAR(t, a, b, tol) do { \
	double a_ = (a), b_ = (b); \
	(t)->checks++; \
	if (!(fabs(a_ - b_) <= (tol))) \
		mxp_test_fail((t), __FILE__, __LINE__, "%s ~ %s (%.6f != %.6f, tol %g)", #a, #b, \
			      a_, b_, (double)(tol)); \
} while (0)

/*
 * G.107 with every default (Table 3): R = 93.2 (G.107 clause 7, "the default values ...
 * give R = 93.2"). By hand: OLR = 10; Nos = 35-8-3-100+0.004*8^2 = -75.744;
 * Pre = 35+10lg(1+10^-0.8) = 35.639; Nor = 2-121+35.639+0.008*0.639^2 = -83.358;
 * Nfo = -62; No = 10lg(10^-7 + 10^-7.5744 + 10^-8.3358 + 10^-6.2) = -61.179;
 * Ro = 15-1.5(8-61.179) = 94.769. Xolr = 10+0.2(64-61.179-2) = 10.164, Iolr = 0.440;
 * STMRo = 15, Ist = -0.001; Q = 37, G = 93.03, Y = -5.209, Z = -0.792, Iq = 0.974;
 * Is = 1.414. T = 0: Idte = 0; Rle = 10.5*117 = 1228.5, Idle = 0.149; Ta = 0: Idd = 0.
 * R = 94.769 - 1.414 - 0.149 = 93.206 (93.2062 with every digit carried).
 */
MXP_TEST(default_r)
{
	struct mxp_media_emodel m;
	mxp_media_emodel_defaults(&m);
	CHECK_NEAR(t, mxp_media_emodel_r(&m), 93.2062, 0.0005);
	CHECK_NEAR(t, mxp_media_emodel_r(&m), 93.2, 0.05); /* the published figure, rounded */
	CHECK_NEAR(t, mxp_media_emodel_id(&m), 0.149, 0.001);
	/*
	 * Coding distortion, qdu = 16: Q = 37 - 15lg16 = 18.938, G = 1.07 + 4.886 + 21.590 =
	 * 27.546, Y = -0.349 + 5.476 - 3.061 = 2.067, Z = 1.533 - 0.689 = 0.845,
	 * Iq = 15lg(1 + 116.6 + 6.99) = 31.43 instead of 0.974: R = 62.7485.
	 */
	m.qdu = 16;
	CHECK_NEAR(t, mxp_media_emodel_r(&m), 62.7485, 0.0005);
	/*
	 * Noisy rooms, Ps = Pr = 60 dB(A): Nos = -51 + 0.004*33^2 = -46.644, Pre = 60.639,
	 * Nor = -58.361 + 0.008*25.639^2 = -53.102, No = -45.64, Ro = 71.46; with Is and Id
	 * carried through (7-8..7-26) R = 70.2704.
	 */
	mxp_media_emodel_defaults(&m);
	m.ps = m.pr = 60;
	CHECK_NEAR(t, mxp_media_emodel_r(&m), 70.2704, 0.0005);
	mxp_media_emodel_defaults(&m);
	/* the advantage factor adds */
	m.a = 5;
	CHECK_NEAR(t, mxp_media_emodel_r(&m), 98.206, 0.005);
}

/*
 * Ie,eff = Ie + (95 - Ie) Ppl / (Ppl/BurstR + Bpl) (7-29):
 *  G.711 with PLC (Bpl 25.1), 5 % random: 95*5/30.1 = 15.781 -> R = 93.206-15.781 = 77.425
 *  G.711 without PLC (Bpl 4.3), 2 %: 95*2/6.3 = 30.159
 *  Bpl 25.1, 5 %, BurstR 2: 95*5/(2.5+25.1) = 17.210
 *  Ie 11, Bpl 19, 3 %: 11 + 84*3/22 = 22.455
 */
MXP_TEST(ppl)
{
	CHECK_NEAR(t, mxp_media_emodel_ie_eff(0, 25.1, 5, 1), 15.781, 0.001);
	CHECK_NEAR(t, mxp_media_emodel_ie_eff(0, 4.3, 2, 1), 30.159, 0.001);
	CHECK_NEAR(t, mxp_media_emodel_ie_eff(0, 25.1, 5, 2), 17.210, 0.001);
	CHECK_NEAR(t, mxp_media_emodel_ie_eff(11, 19, 3, 1), 22.455, 0.001);
	CHECK_NEAR(t, mxp_media_emodel_ie_eff(0, 25.1, 0, 1), 0, 1e-12);
	/* bounds: Ppl to 0..100 (at 100 with BurstR 1, Ie,eff = 95*100/125.1), BurstR >= 1 */
	CHECK_NEAR(t, mxp_media_emodel_ie_eff(0, 25.1, 250, 1), 75.939, 0.001);
	CHECK_NEAR(t, mxp_media_emodel_ie_eff(0, 25.1, -3, 1), 0, 1e-12);
	CHECK_NEAR(t, mxp_media_emodel_ie_eff(0, 25.1, 5, 0.5), 15.781, 0.001);

	struct mxp_media_emodel m;
	mxp_media_emodel_defaults(&m);
	m.bpl = 25.1;
	m.ppl = 5;
	CHECK_NEAR(t, mxp_media_emodel_r(&m), 77.425, 0.005);
}

/*
 * Delay. Idd alone (T = Tr = 0 so the echo terms stay at their default): 0 up to 100 ms;
 * Ta = 200: X = 1, Idd = 25 (2^(1/6) - 3 (1 + 3^-6)^(1/6) + 2) = 25 * 0.12178 = 3.044;
 * Ta = 400: X = 2, Idd = 25 (65^(1/6) - 3 (1 + (2/3)^6)^(1/6) + 2) = 25 * 0.96280 = 24.070.
 * Talker and listener echo, T = 100, Tr = 200 (defaults else): TERV = 65 - 40lg(11/1.6667)
 * = 32.222, Re = 125.55, Roe = -1.5(-61.179-2) = 94.769, Idte = (-15.39 + sqrt(236.9+100)
 * - 1)(1 - e^-100) = 1.964; Rle = 1228.5*201^-0.25 = 324.35, Idle = 0.728.
 */
MXP_TEST(delay)
{
	struct mxp_media_emodel m;
	mxp_media_emodel_defaults(&m);
	double id0 = mxp_media_emodel_id(&m);
	m.ta = 100;
	CHECK_NEAR(t, mxp_media_emodel_id(&m) - id0, 0, 1e-12);
	m.ta = 200;
	CHECK_NEAR(t, mxp_media_emodel_id(&m) - id0, 3.044, 0.001);
	m.ta = 400;
	CHECK_NEAR(t, mxp_media_emodel_id(&m) - id0, 24.070, 0.001);
	mxp_media_emodel_defaults(&m);
	m.t = 100;
	m.tr = 200;
	CHECK_NEAR(t, mxp_media_emodel_id(&m), 1.964 + 0.728, 0.002);
	m.ta = 100;
	CHECK_NEAR(t, mxp_media_emodel_r(&m), 90.664, 0.005);
	/* Ta = T = 400, Tr = 800: 93.206 - (5.808 + 1.230 + 24.070 - 0.149 + 0.149) */
	m.t = m.ta = 400;
	m.tr = 800;
	CHECK_NEAR(t, mxp_media_emodel_r(&m), 62.247, 0.005);
}

/*
 * G.107 Annex B: MOS = 1 for R < 0; 1 + 0.035 R + R (R - 60)(100 - R) 7e-6 for
 * 0 <= R <= 100; 4.5 for R > 100.
 *  R = 50: 1 + 1.75 + 50*(-10)*50*7e-6 = 2.575
 *  R = 60: 1 + 2.1 = 3.1
 *  R = 80: 1 + 2.8 + 80*20*20*7e-6 = 4.024
 *  R = 93.2: 1 + 3.262 + 93.2*33.2*6.8*7e-6 = 4.4093
 *  R = 100: 1 + 3.5 = 4.5; R = 0: 1.0
 *  R = 3: 1 + 0.105 + 3*(-57)*97*7e-6 = 0.98889, below 1: bounded to 1
 *  R = 7: 1 + 0.245 + 7*(-53)*93*7e-6 = 1.00347
 */
MXP_TEST(mos)
{
	CHECK_NEAR(t, mxp_media_emodel_mos(-5), 1.0, 0);
	CHECK_NEAR(t, mxp_media_emodel_mos(0), 1.0, 1e-12);
	CHECK_NEAR(t, mxp_media_emodel_mos(3), 1.0, 0);
	CHECK_NEAR(t, mxp_media_emodel_mos(7), 1.00347, 1e-5);
	CHECK_NEAR(t, mxp_media_emodel_mos(50), 2.575, 1e-9);
	CHECK_NEAR(t, mxp_media_emodel_mos(60), 3.1, 1e-9);
	CHECK_NEAR(t, mxp_media_emodel_mos(80), 4.024, 1e-9);
	CHECK_NEAR(t, mxp_media_emodel_mos(93.2), 4.40929, 1e-5);
	CHECK_NEAR(t, mxp_media_emodel_mos(100), 4.5, 1e-12);
	CHECK_NEAR(t, mxp_media_emodel_mos(130), 4.5, 0);
	CHECK_NEAR(t, mxp_media_emodel_mos(NAN), 1.0, 0);
	/* never decreasing; increasing from R = 7 */
	double prev = 0;
	for (int r = 0; r <= 100; r++) {
		double mos = mxp_media_emodel_mos(r);
		MXP_CHECK(t, r >= 7 ? mos > prev : mos >= prev);
		prev = mos;
	}
}

MXP_TEST(codecs)
{
	struct mxp_media_emodel_codec c;
	MXP_CHECK_EQ(t, mxp_media_emodel_codec(MXP_MEDIA_CODEC_PCMU, true, &c), 0);
	CHECK_NEAR(t, c.ie, 0, 0);
	CHECK_NEAR(t, c.bpl, 25.1, 0);
	MXP_CHECK(t, !c.stand_in && !c.wideband);
	MXP_CHECK_EQ(t, mxp_media_emodel_codec(MXP_MEDIA_CODEC_PCMA, false, &c), 0);
	CHECK_NEAR(t, c.bpl, 4.3, 0);
	MXP_CHECK_EQ(t, mxp_media_emodel_codec(MXP_MEDIA_CODEC_AMR, true, &c), 0);
	CHECK_NEAR(t, c.ie, 5, 0);
	MXP_CHECK_EQ(t, mxp_media_emodel_codec(MXP_MEDIA_CODEC_G722, true, &c), 0);
	MXP_CHECK(t, c.wideband);
	MXP_CHECK_EQ(t, mxp_media_emodel_codec(MXP_MEDIA_CODEC_OPUS, true, &c), 0);
	MXP_CHECK(t, c.wideband && c.stand_in);
	MXP_CHECK_EQ(t, mxp_media_emodel_codec(MXP_MEDIA_CODEC_NONE, true, &c), -EINVAL);
	CHECK_NEAR(t, c.bpl, 25.1, 0);
	MXP_CHECK(t, c.stand_in);
}

/* One direction of a leg: defaults with T = Ta, Tr = 2 Ta, the codec's Ie/Bpl, bounded R. */
MXP_TEST(estimate)
{
	struct mxp_media_emodel_result q;
	mxp_media_emodel_estimate(MXP_MEDIA_CODEC_PCMU, true, 0, 1, 0, &q);
	CHECK_NEAR(t, q.r, 93.206, 0.005);
	CHECK_NEAR(t, q.mos, mxp_media_emodel_mos(93.206), 1e-3);
	/* 5 % at 0 ms: 77.425 (see ppl) */
	mxp_media_emodel_estimate(MXP_MEDIA_CODEC_PCMU, true, 5, 1, 0, &q);
	CHECK_NEAR(t, q.r, 77.425, 0.005);
	CHECK_NEAR(t, q.ie_eff, 15.781, 0.001);
	/* Ta = 100 ms (T = 100, Tr = 200): 90.664 (see delay) */
	mxp_media_emodel_estimate(MXP_MEDIA_CODEC_PCMA, true, 0, 1, 100, &q);
	CHECK_NEAR(t, q.r, 90.664, 0.005);
	CHECK_NEAR(t, q.ta_ms, 100, 0);
	/* AMR: Ie 5 */
	mxp_media_emodel_estimate(MXP_MEDIA_CODEC_AMR, true, 0, 1, 0, &q);
	CHECK_NEAR(t, q.r, 88.206, 0.005);
	/* everything lost: bounded at 0, MOS 1 */
	mxp_media_emodel_estimate(MXP_MEDIA_CODEC_PCMU, false, 100, 1, 1000, &q);
	CHECK_NEAR(t, q.r, 0, 0);
	CHECK_NEAR(t, q.mos, 1, 0);
	/* loss and delay only lower it */
	double prev = 101;
	for (int p = 0; p <= 20; p++) {
		mxp_media_emodel_estimate(MXP_MEDIA_CODEC_PCMU, true, p, 1, 40 + 10 * p, &q);
		MXP_CHECK(t, q.r < prev);
		prev = q.r;
	}
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(default_r), MXP_CASE(ppl), MXP_CASE(delay), MXP_CASE(mos), MXP_CASE(codecs),
	MXP_CASE(estimate),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
