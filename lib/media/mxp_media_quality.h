/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Call quality estimate: the ITU-T G.107 E-model (R-factor) and its R to MOS mapping
 * (G.107 Annex B), with the codec planning values of ITU-T G.113 Appendix I. Pure C, no
 * EAL, no allocation: the control core computes it from a leg's counters (doc/media.md,
 * "Call quality").
 *
 * Every codec is scored on the narrowband scale of G.107 (R 0..100): wideband codecs
 * (G.722, AMR-WB, Opus) get the impairment of a codec with no coding distortion on that
 * scale (Ie 0) and their loss robustness; see mxp_media_emodel_codec() and doc/media.md.
 */
#ifndef MXP_MEDIA_QUALITY_H
#define MXP_MEDIA_QUALITY_H

#include <stdbool.h>

#include "mxp_media_codec.h"

/**
 * The E-model's inputs (G.107 Table 3; levels in dB, times in ms). mxp_media_emodel_defaults()
 * fills G.107's default values.
 */
struct mxp_media_emodel {
	double slr, rlr;     /**< send / receive loudness ratings (8, 2) */
	double stmr, lstr;   /**< sidetone masking / listener sidetone ratings (15, 18) */
	double ds, dr;       /**< D-values of the telephone's send / receive side (3, 3) */
	double telr;         /**< talker echo loudness rating (65) */
	double wepl;         /**< weighted echo path loss (110) */
	double t;            /**< mean one-way delay of the echo path (0) */
	double tr;           /**< round-trip delay in a 4-wire loop (0) */
	double ta;           /**< absolute one-way delay, mouth to ear (0) */
	double qdu;          /**< quantizing distortion units (1) */
	double ie;           /**< equipment impairment factor (0) */
	double bpl;          /**< packet-loss robustness factor (4.3: G.711 without PLC) */
	double ppl;          /**< random packet-loss probability, percent (0) */
	double burst_r;      /**< burst ratio (1: random loss) */
	double nc;           /**< circuit noise referred to the 0 dBr point, dBm0p (-70) */
	double nfor;         /**< noise floor at the receive side, dBmp (-64) */
	double ps, pr;       /**< room noise at the send / receive side, dB(A) (35, 35) */
	double a;            /**< advantage factor (0) */
};

/** Fill @p m with G.107's default values (Table 3): R is then 93.2. */
void mxp_media_emodel_defaults(struct mxp_media_emodel *m);

/**
 * The transmission rating R = Ro - Is - Id - Ie,eff + A (G.107 clause 7), unbounded
 * (it may be negative or above 100 for unusual inputs; mxp_media_emodel_mos() bounds).
 */
double mxp_media_emodel_r(const struct mxp_media_emodel *m);

/**
 * Delay impairment Id = Idte + Idle + Idd (G.107 7.3) of @p m's T, Tr, Ta and echo
 * parameters.
 */
double mxp_media_emodel_id(const struct mxp_media_emodel *m);

/**
 * Effective equipment impairment Ie,eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)
 * (G.107 7.5). @p ppl in percent (clamped to 0..100), @p burst_r < 1 is taken as 1.
 */
double mxp_media_emodel_ie_eff(double ie, double bpl, double ppl, double burst_r);

/**
 * MOS (conversational quality, estimated) of an R (G.107 Annex B):
 * 1 for R < 0, 1 + 0.035 R + R (R - 60) (100 - R) 7e-6 for 0 <= R <= 100, 4.5 above;
 * at least 1 (the polynomial is slightly below 1 for 0 < R < 6.5).
 */
double mxp_media_emodel_mos(double r);

/** A codec's planning values. */
struct mxp_media_emodel_codec {
	double ie;           /**< equipment impairment factor (narrowband scale) */
	double bpl;          /**< packet-loss robustness factor */
	bool wideband;       /**< a wideband codec, mapped to the narrowband scale */
	bool stand_in;       /**< no published value: a documented stand-in */
};

/**
 * Planning values of a codec (doc/media.md, "Call quality", has the table and sources).
 * @param plc  the receiver conceals lost packets (G.711: Bpl 25.1 with, 4.3 without).
 *             lib/media conceals every codec it decodes; frame codecs (AMR, Opus) use
 *             their decoder's concealment whatever @p plc says.
 * @return 0, or -EINVAL for MXP_MEDIA_CODEC_NONE / an unknown codec (G.711's values are
 *         written to @p out then, flagged stand_in).
 */
int mxp_media_emodel_codec(enum mxp_media_codec codec, bool plc,
			   struct mxp_media_emodel_codec *out);

/** What mxp_media_emodel_estimate() used and found for one direction of a leg. */
struct mxp_media_emodel_result {
	double ppl;          /**< packet loss, percent */
	double burst_r;      /**< burst ratio */
	double ta_ms;        /**< one-way delay, mouth to ear (T = Ta, Tr = 2 T) */
	double ie, bpl;      /**< the codec's values */
	double ie_eff;       /**< effective equipment impairment */
	double id;           /**< delay impairment */
	double r;            /**< R (narrowband scale), bounded to 0..100 */
	double mos;          /**< G.107 Annex B of r */
};

/**
 * The estimate of one direction of a leg: G.107's defaults, with T = Ta = @p ta_ms,
 * Tr = 2 Ta, the codec's Ie and Bpl (mxp_media_emodel_codec()), Ppl = @p ppl percent and
 * BurstR = @p burst_r. R is bounded to 0..100.
 */
void mxp_media_emodel_estimate(enum mxp_media_codec codec, bool plc, double ppl, double burst_r,
			 double ta_ms, struct mxp_media_emodel_result *res);

#endif
