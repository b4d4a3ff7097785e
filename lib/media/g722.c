/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * G.722 64 kbit/s (mode 1) sub-band ADPCM, written from ITU-T G.722 (09/2012) section 3
 * and 4: transmit/receive QMF (24 taps), lower sub-band 6-bit ADPCM (block 1L-4L), higher
 * sub-band 2-bit ADPCM (block 1H-4H). Samples are 16-bit linear; as in most 16-bit
 * implementations the QMF output is scaled so that the sub-band signals have the 15-bit
 * range the ADPCM expects. Conformance: decoded output is compared bit for bit with
 * ffmpeg's adpcm_g722 decoder in tests/unit/media.
 */
#include <string.h>

#include "mxp_media_codec.h"

/* QMF coefficients h0..h11 (G.722 table 11, times 2^13 scale); h(23-i) = h(i). */
static const int32_t qmf[12] = {3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11};

/* Lower sub-band quantizer decision levels (table 6, 30 levels used). */
static const int32_t q6[31] = {
	0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714,
	786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0,
};
/* 6-bit codeword for interval i, negative and positive difference (table 7). */
static const uint8_t iln[32] = {
	0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19,
	18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0,
};
static const uint8_t ilp[32] = {
	0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47,
	46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0,
};
/* Inverse quantizer outputs (tables 9: 6-bit QM6, 4-bit QM4; table 10: QM2). */
static const int32_t qm6[64] = {
	-136, -136, -136, -136, -24808, -21904, -19008, -16704,
	-14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856,
	-7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576,
	-3168, -2776, -2400, -2032, -1688, -1360, -1040, -728,
	24808, 21904, 19008, 16704, 14984, 13512, 12280, 11192,
	10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456,
	4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032,
	1688, 1360, 1040, 728, 432, 136, -432, -136,
};
static const int32_t qm4[16] = {
	0, -20456, -12896, -8968, -6288, -4240, -2584, -1200,
	20456, 12896, 8968, 6288, 4240, 2584, 1200, 0,
};
static const int32_t qm2[4] = {-7408, -1616, 7408, 1616};
/* Log scale factor multipliers (table 8 WL via RIL4 -> IL4, table 12 WH). */
static const int32_t wl[8] = {-60, -30, 58, 172, 334, 538, 1198, 3042};
static const uint8_t rl42[16] = {0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0};
static const int32_t wh[3] = {0, -214, 798};
static const uint8_t rh2[4] = {2, 1, 2, 1};
/* Inverse log table ILB (block 3L/3H SCALEL/SCALEH). */
static const int32_t ilb[32] = {
	2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714,
	2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676,
	3756, 3838, 3922, 4008,
};

static inline int32_t
sat16(int32_t v)
{
	return v > 32767 ? 32767 : (v < -32768 ? -32768 : v);
}

static inline int32_t
clamp(int32_t v, int32_t lo, int32_t hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

static inline int32_t
sgn(int32_t v)
{
	return v >> 15; /* 0 or -1 for the 16-bit quantities used here */
}

/* Blocks 3L/3H LOGSCL + SCALEL/SCALEH: adapt the log scale factor nb by the multiplier w,
 * limit it, and derive the linear scale factor det. shift is 8 (lower) or 10 (higher). */
static inline void
scale_adapt(struct mxp_media_g722_band *b, int32_t w, int32_t nb_max, int shift)
{
	int32_t nb = ((b->nb * 127) >> 7) + w;
	b->nb = clamp(nb, 0, nb_max);
	int32_t e = shift - (b->nb >> 11);
	int32_t m = ilb[(b->nb >> 6) & 31];
	b->det = (e < 0 ? m << -e : m >> e) << 2;
}

/* Block 4 (both bands): reconstruct, adapt the pole (UPPOL1/2) and zero (UPZERO)
 * predictor coefficients, shift the delay lines and compute the next prediction. */
static void
predictor_update(struct mxp_media_g722_band *b, int32_t d)
{
	int32_t w1, w2, w3;

	b->d[0] = d;
	b->r[0] = sat16(b->s + d);
	b->p[0] = sat16(b->sz + d);

	/* UPPOL2 */
	w1 = sat16(b->a[1] * 4);
	w2 = sgn(b->p[0]) == sgn(b->p[1]) ? -w1 : w1;
	if (w2 > 32767)
		w2 = 32767;
	w3 = (sgn(b->p[0]) == sgn(b->p[2]) ? 128 : -128) + (w2 >> 7) + ((b->a[2] * 32512) >> 15);
	b->ap[2] = clamp(w3, -12288, 12288);

	/* UPPOL1 */
	w1 = sgn(b->p[0]) == sgn(b->p[1]) ? 192 : -192;
	b->ap[1] = sat16(w1 + ((b->a[1] * 32640) >> 15));
	w3 = sat16(15360 - b->ap[2]);
	b->ap[1] = clamp(b->ap[1], -w3, w3);

	/* UPZERO */
	w1 = d == 0 ? 0 : 128;
	for (int i = 1; i < 7; i++) {
		w2 = sgn(b->d[i]) == sgn(d) ? w1 : -w1;
		b->bp[i] = sat16(w2 + ((b->b[i] * 32640) >> 15));
	}

	/* DELAYA */
	for (int i = 6; i > 0; i--) {
		b->d[i] = b->d[i - 1];
		b->b[i] = b->bp[i];
	}
	for (int i = 2; i > 0; i--) {
		b->r[i] = b->r[i - 1];
		b->p[i] = b->p[i - 1];
		b->a[i] = b->ap[i];
	}

	/* FILTEP, FILTEZ, PREDIC */
	w1 = (b->a[1] * sat16(b->r[1] + b->r[1])) >> 15;
	w2 = (b->a[2] * sat16(b->r[2] + b->r[2])) >> 15;
	b->sp = sat16(w1 + w2);
	int32_t sz = 0;
	for (int i = 6; i > 0; i--)
		sz += (b->b[i] * sat16(b->d[i] + b->d[i])) >> 15;
	b->sz = sat16(sz);
	b->s = sat16(b->sp + b->sz);
}

void
mxp_media_g722_init(struct mxp_media_g722_state *st)
{
	memset(st, 0, sizeof(*st));
	st->band[0].det = 32;
	st->band[1].det = 8;
}

/* Lower band: quantize el (block 1L), then blocks 2L-4L. Returns the 6-bit code. */
static inline int
low_encode(struct mxp_media_g722_band *b, int32_t xl)
{
	int32_t el = sat16(xl - b->s);
	int32_t m = el >= 0 ? el : -(el + 1);
	int i;

	for (i = 1; i < 30; i++)
		if (m < ((q6[i] * b->det) >> 12))
			break;
	int il = el < 0 ? iln[i] : ilp[i];
	int ril = il >> 2;
	int32_t dl = (b->det * qm4[ril]) >> 15;
	scale_adapt(b, wl[rl42[ril]], 18432, 8);
	predictor_update(b, dl);
	return il;
}

/* Higher band: quantize eh (block 1H), then blocks 2H-4H. Returns the 2-bit code. */
static inline int
high_encode(struct mxp_media_g722_band *b, int32_t xh)
{
	int32_t eh = sat16(xh - b->s);
	int32_t m = eh >= 0 ? eh : -(eh + 1);
	int mih = m >= ((564 * b->det) >> 12) ? 2 : 1;
	int ih = eh < 0 ? (mih == 2 ? 0 : 1) : (mih == 2 ? 2 : 3);
	int32_t dh = (b->det * qm2[ih]) >> 15;
	scale_adapt(b, wh[rh2[ih]], 22528, 10);
	predictor_update(b, dh);
	return ih;
}

unsigned
mxp_media_g722_encode(struct mxp_media_g722_state *st, uint8_t *out, const int16_t *in,
		      unsigned n)
{
	unsigned j = 0;

	for (unsigned k = 0; k + 1 < n; k += 2) {
		/* Transmit QMF: shift in two samples, keep every other output. */
		memmove(st->x, st->x + 2, 22 * sizeof(st->x[0]));
		st->x[22] = in[k];
		st->x[23] = in[k + 1];
		int32_t podd = 0, peven = 0;
		for (int i = 0; i < 12; i++) {
			podd += st->x[2 * i] * qmf[i];
			peven += st->x[2 * i + 1] * qmf[11 - i];
		}
		int32_t xl = (peven + podd) >> 14;
		int32_t xh = (peven - podd) >> 14;
		int il = low_encode(&st->band[0], xl);
		int ih = high_encode(&st->band[1], xh);
		out[j++] = (uint8_t)(ih << 6 | il);
	}
	return j;
}

unsigned
mxp_media_g722_decode(struct mxp_media_g722_state *st, int16_t *out, const uint8_t *in,
		      unsigned len)
{
	unsigned o = 0;

	for (unsigned j = 0; j < len; j++) {
		struct mxp_media_g722_band *lo = &st->band[0], *hi = &st->band[1];
		int il = in[j] & 0x3f;
		int ih = in[j] >> 6;
		int ril = il >> 2;

		/* Lower band: 6-bit inverse quantizer for the output (block 5L), 4-bit for
		 * the predictor (block 2L), then adaptation. */
		int32_t rl = clamp(lo->s + ((lo->det * qm6[il]) >> 15), -16384, 16383);
		int32_t dl = (lo->det * qm4[ril]) >> 15;
		scale_adapt(lo, wl[rl42[ril]], 18432, 8);
		predictor_update(lo, dl);

		/* Higher band (blocks 2H-4H). */
		int32_t dh = (hi->det * qm2[ih]) >> 15;
		int32_t rh = clamp(dh + hi->s, -16384, 16383);
		scale_adapt(hi, wh[rh2[ih]], 22528, 10);
		predictor_update(hi, dh);

		/* Receive QMF. */
		memmove(st->x, st->x + 2, 22 * sizeof(st->x[0]));
		st->x[22] = rl + rh;
		st->x[23] = rl - rh;
		int32_t o1 = 0, o2 = 0;
		for (int i = 0; i < 12; i++) {
			o2 += st->x[2 * i] * qmf[i];
			o1 += st->x[2 * i + 1] * qmf[11 - i];
		}
		out[o++] = (int16_t)sat16(o1 >> 11);
		out[o++] = (int16_t)sat16(o2 >> 11);
	}
	return o;
}
