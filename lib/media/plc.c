/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet loss concealment in the style of ITU-T G.711 Appendix I, on decoded PCM at 8 or
 * 16 kHz (so it serves every codec), and WSOLA-style time-scale modification used by the
 * jitter buffer to follow clock drift during speech.
 *
 * Concealment, as in Appendix I: at the start of an erasure the pitch period P (5-15 ms)
 * is estimated by normalised cross-correlation over the last 20 ms of history; the last
 * pitch period is repeated, the buffer grows to two periods after 10 ms and three after
 * 20 ms, each wrap is overlap-added over P/4, the output is attenuated by 20 % per 10 ms
 * after the first 10 ms and is silence from 60 ms on. At the end of the erasure the first
 * good samples are overlap-added with the continued synthetic signal over 4 ms plus 4 ms
 * per 10 ms erased (at most 10 ms).
 * Difference from Appendix I: no 3.75 ms output delay. Instead of overlap-adding the start
 * of the erasure with delayed history, the offset between the last real sample's linear
 * prediction and the first synthetic sample is ramped away over P/4 samples.
 *
 * The history is not kept here: it is the hist_len samples that end where the caller
 * says (the leg keeps it in its sample buffer, in front of the samples not yet played).
 */
#include <math.h>
#include <string.h>

#include "media_priv.h"

void
media_plc_reset(struct media_plc *p, unsigned rate)
{
	memset(p, 0, sizeof(*p));
	p->k = (uint8_t)(rate >= 48000 ? 6 : rate >= 16000 ? 2 : 1);
}

unsigned
media_plc_fade_len(const struct media_plc *p)
{
	if (p->erased == 0 || p->hist_len < (PLC_CORR_LEN + PLC_PITCH_MAX) * p->k)
		return 0;
	unsigned ms10 = p->erased / (80u * p->k); /* erased 10 ms units */
	unsigned l = (32u + 32u * ms10) * p->k;   /* 4 ms + 4 ms per 10 ms */
	return l > 80u * p->k ? 80u * p->k : l;
}

/* The next synthetic sample of the current erasure, advancing pos; hend: end of history. */
static inline int32_t
synth_next(struct media_plc *p, const int16_t *hend)
{
	const int16_t *h = hend - p->hist_len; /* oldest valid */
	unsigned H = p->hist_len;
	unsigned C = p->cycle, P = p->pitch, L = P / 4;
	unsigned q = p->pos;
	int32_t v = h[H - C + q];

	if (L > 0 && q >= C - L && H >= C + L) {
		/* overlap-add toward the wrap: fade in what preceded the buffer start */
		int32_t a = (int32_t)(q - (C - L) + 1);
		v = (v * ((int32_t)L - a) + h[H - 2 * C + q] * a) / (int32_t)L;
	}
	if (++q >= C) {
		/* grow to 2 then 3 periods after 10 and 20 ms, resuming where the natural
		 * continuation lies in the longer buffer (P samples in) */
		unsigned ms = p->erased / (8u * p->k);
		unsigned want = ms >= 20 ? 3 : (ms >= 10 ? 2 : 1);
		if (want * P + L > H)
			want = C / P;
		if (want * P != C) {
			p->cycle = (uint16_t)(want * P);
			q = p->cycle - C;
		} else {
			q = 0;
		}
	}
	p->pos = (uint16_t)q;
	return v;
}

/* Attenuation at erasure sample index e: 1.0 for 10 ms, then -20 % per 10 ms. Q15. */
static inline int32_t
atten_q15(const struct media_plc *p, uint32_t e)
{
	uint32_t s10 = 80u * p->k;
	if (e < s10)
		return 32768;
	uint32_t over = e - s10;
	uint32_t full = 5 * s10; /* 50 ms to reach zero */
	if (over >= full)
		return 0;
	return (int32_t)(32768 - (uint64_t)32768 * over / full);
}

static unsigned
find_pitch(const int16_t *h, unsigned H, unsigned k)
{
	unsigned pmin = PLC_PITCH_MIN * k, pmax = PLC_PITCH_MAX * k, corr = PLC_CORR_LEN * k;
	const int16_t *x = h + H - corr; /* the last 20 ms */
	double best = -1e300;
	unsigned bp = pmin;

	/* coarse: every other lag on every other sample, then refine around the best */
	for (unsigned step = 2 * k, pass = 0; pass < 2; pass++) {
		unsigned lo = pass == 0 ? pmin : (bp > pmin + step ? bp - step : pmin);
		unsigned hi = pass == 0 ? pmax : (bp + step < pmax ? bp + step : pmax);
		unsigned lstep = pass == 0 ? step : 1, sstep = pass == 0 ? step : 1;
		for (unsigned lag = lo; lag <= hi; lag += lstep) {
			const int16_t *y = x - lag;
			double c = 0, e = 1;
			for (unsigned i = 0; i < corr; i += sstep) {
				c += (double)x[i] * y[i];
				e += (double)y[i] * y[i];
			}
			double s = c / sqrt(e);
			if (s > best) {
				best = s;
				bp = lag;
			}
		}
	}
	return bp;
}

unsigned
media_plc_conceal(struct media_plc *p, const int16_t *hend, int16_t *out, unsigned n)
{
	unsigned k = p->k, nonzero = 0;
	unsigned need = (PLC_CORR_LEN + PLC_PITCH_MAX) * k;

	if (p->hist_len < need) {
		/* no usable history: silence (a leg that was not being decoded) */
		memset(out, 0, n * sizeof(*out));
		p->erased += n;
		return 0;
	}
	const int16_t *h = hend - p->hist_len;
	unsigned H = p->hist_len;
	if (p->erased == 0) {
		p->pitch = (uint16_t)find_pitch(h, H, k);
		p->cycle = p->pitch;
		p->pos = 0;
		/* offset between where the signal was heading and the first synthetic sample */
		int32_t pred = 2 * h[H - 1] - h[H - 2];
		int32_t first = h[H - p->cycle];
		int32_t d = pred - first;
		p->ramp0 = (int16_t)(d > 32767 ? 32767 : (d < -32768 ? -32768 : d));
	}
	unsigned L0 = p->pitch / 4 ? p->pitch / 4 : 1;
	for (unsigned i = 0; i < n; i++) {
		uint32_t e = p->erased + i;
		int32_t g = atten_q15(p, e);
		if (g == 0) {
			out[i] = 0;
			continue;
		}
		int32_t v = synth_next(p, hend);
		if (e < L0)
			v += p->ramp0 * (int32_t)(L0 - e) / (int32_t)L0;
		v = (int32_t)(((int64_t)v * g) >> 15);
		out[i] = (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
		nonzero++;
	}
	p->erased += n;
	return nonzero;
}

void
media_plc_good(struct media_plc *p, const int16_t *hend, int16_t *x, unsigned n)
{
	if (p->erased != 0) {
		/* fade from the continued synthetic signal into the real one */
		unsigned L = media_plc_fade_len(p);
		if (L > n)
			L = n;
		for (unsigned i = 0; i < L; i++) {
			int32_t g = atten_q15(p, p->erased + i);
			int32_t s = (int32_t)(((int64_t)synth_next(p, hend) * g) >> 15);
			int32_t a = (int32_t)i + 1;
			int32_t v = (x[i] * a + s * ((int32_t)L + 1 - a)) / ((int32_t)L + 1);
			x[i] = (int16_t)v;
		}
		p->erased = 0;
	}
	media_plc_add(p, n);
}

/* Lag in [pmin, pmax] (every lstep-th) maximising the normalised correlation of x[0..W)
 * and x[lag..lag+W), taken on every sstep-th sample. */
static unsigned
lag_search(const int16_t *x, unsigned pmin, unsigned pmax, unsigned lstep, unsigned W,
	   unsigned sstep)
{
	double best = -1e300;
	unsigned bl = pmin;
	for (unsigned lag = pmin; lag <= pmax; lag += lstep) {
		double c = 0, e = 1;
		for (unsigned i = 0; i < W; i += sstep) {
			c += (double)x[i] * x[i + lag];
			e += (double)x[i + lag] * x[i + lag];
		}
		double s = c / sqrt(e);
		if (s > best) {
			best = s;
			bl = lag;
		}
	}
	return bl;
}

/* Lag in [pmin, pmax] maximising the normalised correlation of x[0..W) and x[lag..lag+W).
 * At 48 kHz (pmax 480) an exhaustive search would cost some 87,000 products a call: a
 * coarse one first (every 3rd lag on every 6th sample: 8 kHz resolution), then the lags
 * around its best at the usual resolution; about 8 times less. At 8 and 16 kHz,
 * exhaustive. */
static unsigned
best_lag(const int16_t *x, unsigned pmin, unsigned pmax, unsigned W)
{
	if (pmax <= 2 * 80) /* 8 and 16 kHz */
		return lag_search(x, pmin, pmax, 1, W, 2);
	unsigned c = lag_search(x, pmin, pmax, 3, W, 6);
	unsigned lo = c > pmin + 3 ? c - 3 : pmin, hi = c + 3 < pmax ? c + 3 : pmax;
	return lag_search(x, lo, hi, 1, W, 2);
}

unsigned
media_tsm_accelerate(const int16_t *x, int16_t *y, unsigned pmin, unsigned pmax)
{
	unsigned p = best_lag(x, pmin, pmax, pmax);
	/* y = cross-fade x[0..p) -> x[p..2p); the signal goes on with x[2p..) */
	for (unsigned i = 0; i < p; i++) {
		int32_t w = (int32_t)i + 1;
		y[i] = (int16_t)((x[i] * ((int32_t)p + 1 - w) + x[i + p] * w) / ((int32_t)p + 1));
	}
	return p;
}

unsigned
media_tsm_expand(const int16_t *x, int16_t *y, unsigned pmin, unsigned pmax)
{
	unsigned p = best_lag(x, pmin, pmax, pmax);
	/* y = x[0..p), cross-fade x[p..2p) -> x[0..p); the signal goes on with x[p..) */
	for (unsigned i = 0; i < p; i++) {
		int32_t w = (int32_t)i + 1;
		int32_t a = x[p + i], b = x[i];
		y[i] = x[i];
		y[p + i] = (int16_t)((a * ((int32_t)p + 1 - w) + b * w) / ((int32_t)p + 1));
	}
	return p;
}
