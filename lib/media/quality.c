/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ITU-T G.107 E-model: the transmission rating R from the connection's parameters,
 * and R to MOS (Annex B). Equation numbers are G.107's (06/2015) clause 7:
 *
 *   R      = Ro - Is - Id - Ie,eff + A                                   (7-1)
 *   Ro     = 15 - 1.5 (SLR + No)                                         (7-2)
 *   No     = 10 lg(10^(Nc/10) + 10^(Nos/10) + 10^(Nor/10) + 10^(Nfo/10)) (7-3)
 *   Nos    = Ps - SLR - Ds - 100 + 0.004 (Ps - OLR - Ds - 14)^2          (7-4)
 *   Nor    = RLR - 121 + Pre + 0.008 (Pre - 35)^2                        (7-5)
 *   Pre    = Pr + 10 lg(1 + 10^((10 - LSTR)/10))                         (7-6)
 *   Nfo    = Nfor + RLR                                                  (7-7)
 *   Is     = Iolr + Ist + Iq                                             (7-8)
 *   Iolr   = 20 [(1 + (Xolr/8)^8)^(1/8) - Xolr/8],
 *   Xolr   = OLR + 0.2 (64 + No - RLR)                                   (7-9, 7-10)
 *   Ist    = 12 (1 + ((STMRo-13)/6)^8)^(1/8) - 28 (1 + ((STMRo+1)/19.4)^35)^(1/35)
 *            - 13 (1 + ((STMRo-3)/33)^13)^(1/13) + 29                    (7-11)
 *   STMRo  = -10 lg(10^(-STMR/10) + e^(-T/4) 10^(-TELR/10))              (7-12)
 *   Iq     = 15 lg(1 + 10^Y + 10^Z), Y = (Ro-100)/15 + 46/8.4 - G/9,
 *            Z = 46/30 - G/40, G = 1.07 + 0.258 Q + 0.0602 Q^2,
 *            Q = 37 - 15 lg(qdu)                                         (7-13..7-17)
 *   Id     = Idte + Idle + Idd                                           (7-18)
 *   Idte   = [(Roe-Re)/2 + sqrt((Roe-Re)^2/4 + 100) - 1] (1 - e^(-T)),
 *            Roe = -1.5 (No - RLR), Re = 80 + 2.5 (TERV - 14),
 *            TERV = TELR - 40 lg((1 + T/10)/(1 + T/150)) + 6 e^(-0.3 T^2)
 *            (STMR < 9: TERV + Ist/2; STMR > 20: Idte = sqrt(Idte^2 + Ist^2)) (7-19..7-24)
 *   Idle   = (Ro-Rle)/2 + sqrt((Ro-Rle)^2/4 + 169),
 *            Rle = 10.5 (WEPL + 7) (Tr + 1)^(-1/4)                       (7-25, 7-26)
 *   Idd    = 0 for Ta <= mT, else 25 {(1+X^6)^(1/6) - 3 (1+(X/3)^6)^(1/6) + 2},
 *            X = lg(Ta/mT) / lg 2, mT = 100 ms, sT = 1                   (7-27, 7-28)
 *   Ie,eff = Ie + (95 - Ie) Ppl / (Ppl/BurstR + Bpl)                     (7-29)
 *
 * With every default R = 94.77 - 1.41 - 0.15 - 0 = 93.2.
 */
#include <errno.h>
#include <math.h>

#include "mxp_media_quality.h"

#define EMODEL_MT 100.0 /* ms: Idd's delay threshold (default mT) */

void
mxp_media_emodel_defaults(struct mxp_media_emodel *m)
{
	*m = (struct mxp_media_emodel){
		.slr = 8, .rlr = 2, .stmr = 15, .lstr = 18, .ds = 3, .dr = 3, .telr = 65,
		.wepl = 110, .t = 0, .tr = 0, .ta = 0, .qdu = 1, .ie = 0, .bpl = 4.3, .ppl = 0,
		.burst_r = 1, .nc = -70, .nfor = -64, .ps = 35, .pr = 35, .a = 0,
	};
}

static double
p10(double db)
{
	return pow(10.0, db / 10.0);
}

/* The noise sum No (7-3) and the basic signal-to-noise ratio Ro (7-2). */
static double
emodel_no(const struct mxp_media_emodel *m)
{
	double olr = m->slr + m->rlr;
	double nos = m->ps - m->slr - m->ds - 100 + 0.004 * pow(m->ps - olr - m->ds - 14, 2);
	double pre = m->pr + 10 * log10(1 + p10(10 - m->lstr));
	double nor = m->rlr - 121 + pre + 0.008 * pow(pre - 35, 2);
	double nfo = m->nfor + m->rlr;
	return 10 * log10(p10(m->nc) + p10(nos) + p10(nor) + p10(nfo));
}

static double
emodel_ro(const struct mxp_media_emodel *m, double no)
{
	return 15 - 1.5 * (m->slr + no);
}

static double
emodel_ist(const struct mxp_media_emodel *m)
{
	double stmro = -10 * log10(p10(-m->stmr) + exp(-m->t / 4) * p10(-m->telr));
	return 12 * pow(1 + pow((stmro - 13) / 6, 8), 1.0 / 8) -
	       28 * pow(1 + pow((stmro + 1) / 19.4, 35), 1.0 / 35) -
	       13 * pow(1 + pow((stmro - 3) / 33, 13), 1.0 / 13) + 29;
}

static double
emodel_is(const struct mxp_media_emodel *m, double no, double ro)
{
	double olr = m->slr + m->rlr;
	double xolr = olr + 0.2 * (64 + no - m->rlr);
	double iolr = 20 * (pow(1 + pow(xolr / 8, 8), 1.0 / 8) - xolr / 8);
	double q = 37 - 15 * log10(m->qdu);
	double g = 1.07 + 0.258 * q + 0.0602 * q * q;
	double y = (ro - 100) / 15 + 46 / 8.4 - g / 9;
	double z = 46.0 / 30 - g / 40;
	double iq = 15 * log10(1 + pow(10, y) + pow(10, z));
	return iolr + emodel_ist(m) + iq;
}

static double
emodel_id(const struct mxp_media_emodel *m, double no, double ro)
{
	/* talker echo */
	double ist = emodel_ist(m);
	double roe = -1.5 * (no - m->rlr);
	double terv = m->telr - 40 * log10((1 + m->t / 10) / (1 + m->t / 150)) +
		      6 * exp(-0.3 * m->t * m->t);
	if (m->stmr < 9)
		terv += ist / 2;
	double re = 80 + 2.5 * (terv - 14);
	double idte = ((roe - re) / 2 + sqrt((roe - re) * (roe - re) / 4 + 100) - 1) *
		      (1 - exp(-m->t));
	if (m->stmr > 20)
		idte = sqrt(idte * idte + ist * ist);
	/* listener echo */
	double rle = 10.5 * (m->wepl + 7) * pow(m->tr + 1, -0.25);
	double idle = (ro - rle) / 2 + sqrt((ro - rle) * (ro - rle) / 4 + 169);
	/* absolute delay */
	double idd = 0;
	if (m->ta > EMODEL_MT) {
		double x = log10(m->ta / EMODEL_MT) / log10(2);
		idd = 25 * (pow(1 + pow(x, 6), 1.0 / 6) - 3 * pow(1 + pow(x / 3, 6), 1.0 / 6) + 2);
	}
	return idte + idle + idd;
}

double
mxp_media_emodel_id(const struct mxp_media_emodel *m)
{
	double no = emodel_no(m);
	return emodel_id(m, no, emodel_ro(m, no));
}

double
mxp_media_emodel_ie_eff(double ie, double bpl, double ppl, double burst_r)
{
	if (!(ppl > 0))
		ppl = 0; /* NaN too */
	if (ppl > 100)
		ppl = 100;
	if (!(burst_r >= 1))
		burst_r = 1;
	return ie + (95 - ie) * ppl / (ppl / burst_r + bpl);
}

double
mxp_media_emodel_r(const struct mxp_media_emodel *m)
{
	double no = emodel_no(m);
	double ro = emodel_ro(m, no);
	return ro - emodel_is(m, no, ro) - emodel_id(m, no, ro) -
	       mxp_media_emodel_ie_eff(m->ie, m->bpl, m->ppl, m->burst_r) + m->a;
}

double
mxp_media_emodel_mos(double r)
{
	if (!(r >= 0)) /* NaN too */
		return 1.0;
	if (r > 100)
		return 4.5;
	/* the polynomial dips below 1 for 0 < R < 6.5 (about 0.988 at R = 3): MOS is 1 at
	 * the least, as for R < 0 */
	double mos = 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
	return mos < 1 ? 1 : mos;
}

/*
 * Planning values (narrowband scale). Sources: ITU-T G.113 (11/2007) Appendix I, Tables
 * I.1 (Ie) and I.3 (Bpl); the rest are stand-ins, documented in doc/media.md.
 */
int
mxp_media_emodel_codec(enum mxp_media_codec codec, bool plc, struct mxp_media_emodel_codec *out)
{
	/* G.711 with PLC (G.711 Appendix I): Bpl 25.1; without: 4.3 */
	double g711_bpl = plc ? 25.1 : 4.3;
	switch (codec) {
	case MXP_MEDIA_CODEC_PCMU:
	case MXP_MEDIA_CODEC_PCMA:
		*out = (struct mxp_media_emodel_codec){ .ie = 0, .bpl = g711_bpl };
		return 0;
	case MXP_MEDIA_CODEC_L16_8K:
		/* linear PCM: no coding distortion; concealed like G.711 */
		*out = (struct mxp_media_emodel_codec){ .ie = 0, .bpl = g711_bpl, .stand_in = true };
		return 0;
	case MXP_MEDIA_CODEC_L16_16K:
	case MXP_MEDIA_CODEC_G722:
		/* wideband waveform codecs: Ie 0 on the narrowband scale; lib/media conceals
		 * them with the G.711 Appendix I method */
		*out = (struct mxp_media_emodel_codec){ .ie = 0, .bpl = g711_bpl, .wideband = true,
						  .stand_in = true };
		return 0;
	case MXP_MEDIA_CODEC_AMR:
		/* AMR 12.2 kbit/s is GSM-EFR: Ie 5 (Table I.1); Bpl: no AMR row, stand-in */
		*out = (struct mxp_media_emodel_codec){ .ie = 5, .bpl = 10, .stand_in = true };
		return 0;
	case MXP_MEDIA_CODEC_AMR_WB:
		*out = (struct mxp_media_emodel_codec){ .ie = 0, .bpl = 10, .wideband = true,
						  .stand_in = true };
		return 0;
	case MXP_MEDIA_CODEC_OPUS:
		/* decoder PLC; packets rebuilt from in-band FEC are not counted lost (lib/conf) */
		*out = (struct mxp_media_emodel_codec){ .ie = 0, .bpl = 20, .wideband = true,
						  .stand_in = true };
		return 0;
	default:
		*out = (struct mxp_media_emodel_codec){ .ie = 0, .bpl = g711_bpl, .stand_in = true };
		return -EINVAL;
	}
}

void
mxp_media_emodel_estimate(enum mxp_media_codec codec, bool plc, double ppl, double burst_r,
		    double ta_ms, struct mxp_media_emodel_result *res)
{
	struct mxp_media_emodel_codec c;
	(void)mxp_media_emodel_codec(codec, plc, &c);
	struct mxp_media_emodel m;
	mxp_media_emodel_defaults(&m);
	if (!(ta_ms > 0))
		ta_ms = 0;
	if (!(ppl > 0))
		ppl = 0;
	if (ppl > 100)
		ppl = 100;
	if (!(burst_r >= 1))
		burst_r = 1;
	m.t = m.ta = ta_ms;
	m.tr = 2 * ta_ms;
	m.ie = c.ie;
	m.bpl = c.bpl;
	m.ppl = ppl;
	m.burst_r = burst_r;
	double r = mxp_media_emodel_r(&m);
	*res = (struct mxp_media_emodel_result){
		.ppl = ppl, .burst_r = burst_r, .ta_ms = ta_ms, .ie = c.ie, .bpl = c.bpl,
		.ie_eff = mxp_media_emodel_ie_eff(c.ie, c.bpl, ppl, burst_r), .id = mxp_media_emodel_id(&m),
		.r = r < 0 ? 0 : r > 100 ? 100 : r,
	};
	res->mos = mxp_media_emodel_mos(res->r);
}
