/* SPDX-License-Identifier: BSD-3-Clause */
/* Codec table, L16, the codec object wrappers and the 8 <-> 16 kHz resampler. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "media_priv.h"
#include "media_tables.h"

struct codec_info {
	const char *name;
	unsigned rate, clock;
};

static const struct codec_info codecs[MXP_MEDIA_CODEC_COUNT] = {
	[MXP_MEDIA_CODEC_NONE] = {"none", 0, 0},
	[MXP_MEDIA_CODEC_PCMU] = {"PCMU", 8000, 8000},
	[MXP_MEDIA_CODEC_PCMA] = {"PCMA", 8000, 8000},
	[MXP_MEDIA_CODEC_G722] = {"G722", 16000, 8000},
	[MXP_MEDIA_CODEC_L16_8K] = {"L16", 8000, 8000},
	[MXP_MEDIA_CODEC_L16_16K] = {"L16", 16000, 16000},
};

/* Frame codecs: the built-in tables and the plugins registered at start. */
static const struct mxp_media_codec_ops *frame_ops[MXP_MEDIA_CODEC_COUNT] = {
	[MXP_MEDIA_CODEC_AMR] = &mxp_media_amr_ops,
	[MXP_MEDIA_CODEC_AMR_WB] = &mxp_media_amrwb_ops,
	[MXP_MEDIA_CODEC_OPUS] = &mxp_media_opus_ops,
};

const struct mxp_media_codec_ops *
mxp_media_codec_ops(enum mxp_media_codec c)
{
	return mxp_media_codec_is_frame(c) ? frame_ops[c] : NULL;
}

static bool
ops_valid(const struct mxp_media_codec_ops *o)
{
	return o != NULL && o->abi == MXP_MEDIA_CODEC_ABI && o->name != NULL &&
	       o->name[0] != '\0' && o->clock >= 8000 && o->clock <= 96000 &&
	       o->clock % 8000 == 0 && (o->rate == 8000 || o->rate == 16000 || o->rate == 48000) &&
	       (o->clock % o->rate == 0 || o->rate % o->clock == 0) && o->frame_ms > 0 &&
	       o->max_payload > 0 && o->fmtp_parse != NULL && o->fmtp_format != NULL &&
	       o->dec_create != NULL && o->dec_destroy != NULL && o->enc_create != NULL &&
	       o->enc_destroy != NULL && o->duration != NULL && o->decode != NULL &&
	       o->encode != NULL;
}

int
mxp_media_codec_register(const struct mxp_media_codec_ops *ops)
{
	if (!ops_valid(ops))
		return -EINVAL;
	if (mxp_media_codec_from_name(ops->name, ops->clock) != MXP_MEDIA_CODEC_NONE)
		return -EEXIST;
	for (unsigned i = MXP_MEDIA_CODEC_PLUGIN; i < MXP_MEDIA_CODEC_COUNT; i++)
		if (frame_ops[i] == NULL) {
			frame_ops[i] = ops;
			return (int)i;
		}
	return -ENOSPC;
}

static inline unsigned
cidx(enum mxp_media_codec c)
{
	return (unsigned)c < MXP_MEDIA_CODEC_COUNT ? (unsigned)c : 0;
}

unsigned
mxp_media_codec_rate(enum mxp_media_codec c)
{
	const struct mxp_media_codec_ops *o = mxp_media_codec_ops(c);
	return o != NULL ? o->rate : codecs[cidx(c)].rate;
}

unsigned
mxp_media_codec_clock(enum mxp_media_codec c)
{
	const struct mxp_media_codec_ops *o = mxp_media_codec_ops(c);
	return o != NULL ? o->clock : codecs[cidx(c)].clock;
}

const char *
mxp_media_codec_name(enum mxp_media_codec c)
{
	const struct mxp_media_codec_ops *o = mxp_media_codec_ops(c);
	if (o != NULL)
		return o->name;
	return codecs[cidx(c)].name != NULL ? codecs[cidx(c)].name : "none";
}

enum mxp_media_codec
mxp_media_codec_from_name(const char *name, unsigned clock)
{
	for (unsigned i = 1; i < MXP_MEDIA_CODEC_COUNT; i++) {
		const char *n = mxp_media_codec_name((enum mxp_media_codec)i);
		if (strcasecmp(name, n) == 0 && strcmp(n, "none") != 0 &&
		    clock == mxp_media_codec_clock((enum mxp_media_codec)i))
			return (enum mxp_media_codec)i;
	}
	return MXP_MEDIA_CODEC_NONE;
}

int
mxp_media_fmtp_parse(enum mxp_media_codec c, const char *fmtp, struct mxp_media_fmtp *f,
		     char *err, size_t errlen)
{
	const struct mxp_media_codec_ops *o = mxp_media_codec_ops(c);
	memset(f, 0, sizeof(*f));
	if (o != NULL)
		return o->fmtp_parse(fmtp, f, err, errlen);
	if (fmtp != NULL && fmtp[0] != '\0') {
		snprintf(err, errlen, "%s takes no fmtp parameters", mxp_media_codec_name(c));
		return -EINVAL;
	}
	return 0;
}

unsigned
mxp_media_codec_samples(enum mxp_media_codec c, unsigned len)
{
	switch (c) {
	case MXP_MEDIA_CODEC_PCMU:
	case MXP_MEDIA_CODEC_PCMA:
		return len;
	case MXP_MEDIA_CODEC_G722:
		return 2 * len;
	case MXP_MEDIA_CODEC_L16_8K:
	case MXP_MEDIA_CODEC_L16_16K:
		return len / 2;
	default:
		return 0;
	}
}

unsigned
mxp_media_codec_ts_units(enum mxp_media_codec c, unsigned len)
{
	if (c == MXP_MEDIA_CODEC_G722)
		return len; /* 2 samples at 16 kHz per byte, clock 8000 */
	return mxp_media_codec_samples(c, len);
}

unsigned
mxp_media_codec_bytes(enum mxp_media_codec c, unsigned n)
{
	switch (c) {
	case MXP_MEDIA_CODEC_PCMU:
	case MXP_MEDIA_CODEC_PCMA:
		return n;
	case MXP_MEDIA_CODEC_G722:
		return n / 2;
	case MXP_MEDIA_CODEC_L16_8K:
	case MXP_MEDIA_CODEC_L16_16K:
		return 2 * n;
	default:
		return 0;
	}
}

void
mxp_media_l16_encode(uint8_t *out, const int16_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		mxp_be_wr16(out + 2 * i, (uint16_t)in[i]);
	}
}

void
mxp_media_l16_decode(int16_t *out, const uint8_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = (int16_t)mxp_be_rd16(in + 2 * i);
}

int
mxp_media_coder_init(struct mxp_media_coder *c, enum mxp_media_codec codec)
{
	if (codec <= MXP_MEDIA_CODEC_NONE || codec >= MXP_MEDIA_CODEC_AMR)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->codec = codec;
	mxp_media_g722_init(&c->g722);
	return 0;
}

int
mxp_media_coder_init_frame(struct mxp_media_coder *c, enum mxp_media_codec codec,
			   const struct mxp_media_fmtp *f, unsigned ptime_ms)
{
	const struct mxp_media_codec_ops *o = mxp_media_codec_ops(codec);
	if (o == NULL || ptime_ms == 0 || ptime_ms % o->frame_ms != 0 ||
	    ptime_ms > MXP_MEDIA_MAX_PKT_MS)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->xs = o->enc_create(f, ptime_ms);
	if (c->xs == NULL)
		return -ENOMEM;
	c->codec = codec;
	c->x = o;
	c->ptime_ms = (uint16_t)ptime_ms;
	return 0;
}

void
mxp_media_coder_fini(struct mxp_media_coder *c)
{
	if (c->x != NULL && c->xs != NULL)
		c->x->enc_destroy(c->xs);
	c->x = NULL;
	c->xs = NULL;
}

int
mxp_media_encode(struct mxp_media_coder *c, const int16_t *pcm, unsigned n, uint8_t *out,
		 size_t cap)
{
	if (c->x != NULL) {
		unsigned want = c->x->rate / 1000 * c->ptime_ms;
		if (n != want)
			return -EINVAL;
		int r = c->x->encode(c->xs, pcm, n, out, cap > UINT32_MAX ? UINT32_MAX :
									   (unsigned)cap);
		return r < 0 ? -ENOSPC : r;
	}
	unsigned need = mxp_media_codec_bytes(c->codec, n);

	if (need > cap)
		return -ENOSPC;
	switch (c->codec) {
	case MXP_MEDIA_CODEC_PCMU:
		mxp_media_ulaw_encode(out, pcm, n);
		break;
	case MXP_MEDIA_CODEC_PCMA:
		mxp_media_alaw_encode(out, pcm, n);
		break;
	case MXP_MEDIA_CODEC_G722:
		if (n & 1)
			return -EINVAL;
		mxp_media_g722_encode(&c->g722, out, pcm, n);
		break;
	case MXP_MEDIA_CODEC_L16_8K:
	case MXP_MEDIA_CODEC_L16_16K:
		mxp_media_l16_encode(out, pcm, n);
		break;
	default:
		return -EINVAL;
	}
	return (int)need;
}

int
mxp_media_decode(struct mxp_media_coder *c, const uint8_t *in, unsigned len, int16_t *out,
		 size_t cap)
{
	unsigned n = mxp_media_codec_samples(c->codec, len);

	if (n > cap)
		return -ENOSPC;
	switch (c->codec) {
	case MXP_MEDIA_CODEC_PCMU:
		mxp_media_ulaw_decode(out, in, n);
		break;
	case MXP_MEDIA_CODEC_PCMA:
		mxp_media_alaw_decode(out, in, n);
		break;
	case MXP_MEDIA_CODEC_G722:
		mxp_media_g722_decode(&c->g722, out, in, len);
		break;
	case MXP_MEDIA_CODEC_L16_8K:
	case MXP_MEDIA_CODEC_L16_16K:
		mxp_media_l16_decode(out, in, n);
		break;
	default:
		return -EINVAL;
	}
	return (int)n;
}

/*
 * Resampler between 8, 16 and 48 kHz.
 *
 * 8 <-> 16 kHz: a 63-tap half-band low-pass h (gen_tables.py): centre tap 1/2, zero at
 * even offsets, odd-offset taps g[k]/2 at +-(2k+1).
 *  up   (8 -> 16 kHz): per input x[m], y[2m] = sum_k g[k] (x[m-K-k] + x[m-K+1+k]) and
 *       y[2m+1] = x[m-K+1]  (taps scaled by 2 for the zero stuffing).
 *  down (16 -> 8 kHz): y[m] = x[c]/2 + sum_k g[k]/2 (x[c-2k-1] + x[c+2k+1]), c = 2m-2K+1.
 *  History: the last 2K (up) or 4K-2 (down) input samples, kept at the front of hist.
 * 16 <-> 48 kHz: a 96-tap third-band low-pass at 48 kHz (cutoff 8 kHz), polyphase:
 *  up   y[3m+p] = sum_q u[p][q] x[m-P+1+q] (P = 32 taps a phase);
 *  down y[m] = sum_i d[i] x[3m+2-95+i] (n a multiple of 3).
 *  History: the last 32 (up) or 96 (down) input samples.
 * 8 -> 48 kHz: a 192-tap sixth-band low-pass at 48 kHz (cutoff 4 kHz), polyphase:
 *  y[6m+p] = sum_q s[p][q] x[m-P+1+q]; history: the last 32 input samples, as 8 -> 16 kHz
 *  (an 8 kHz leg's resampler history stays 32 samples whatever the mix rate).
 * 48 -> 8 kHz: the two decimators in a chain through 16 kHz; hist holds the 48 -> 16
 * stage's history first, then the half-band's.
 */
#define K MXP_HB_K
#define RS_UP_HIST (2 * K)
#define RS_DOWN_HIST (4 * K - 2)
#define TB_P MXP_TB_P
#define RS3_UP_HIST 32
#define RS3_DOWN_HIST (3 * TB_P)
#define RS_CHUNK 192 /* input samples per pass of a x3 stage (a multiple of 6) */
_Static_assert(RS_UP_HIST == MEDIA_RS_UP_HIST && RS_DOWN_HIST == MEDIA_RS_DOWN_HIST &&
		       RS3_UP_HIST == RS_UP_HIST && RS3_DOWN_HIST == MEDIA_RS3_DOWN_HIST &&
		       RS3_DOWN_HIST + RS_DOWN_HIST <= MEDIA_RS_HIST_MAX &&
		       MEDIA_RS_HIST_MAX <= MXP_MEDIA_RS_HIST,
	       "resampler history sizes");
_Static_assert(RS3_UP_HIST >= TB_P - 1 && RS3_DOWN_HIST >= 3 * TB_P - 3 && RS_CHUNK % 6 == 0,
	       "third-band history");

static bool
rs_rate_ok(unsigned r)
{
	return r == 8000 || r == 16000 || r == 48000;
}

unsigned
media_rs_hist_len(unsigned from, unsigned to)
{
	if (from == to)
		return 0;
	unsigned hi = from > to ? from : to, lo = from > to ? to : from;
	if (from < to) /* every interpolator keeps 32 input samples */
		return RS3_UP_HIST;
	unsigned tb = hi == 48000 ? RS3_DOWN_HIST : 0;
	unsigned hb = lo == 8000 ? RS_DOWN_HIST : 0;
	return tb + hb;
}

int
mxp_media_rs_init(struct mxp_media_rs *rs, unsigned from, unsigned to)
{
	if (!rs_rate_ok(from) || !rs_rate_ok(to))
		return -EINVAL;
	memset(rs, 0, sizeof(*rs));
	rs->from = from;
	rs->to = to;
	return 0;
}

static inline int16_t
rs_sat(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
}

unsigned
mxp_media_rs_run(struct mxp_media_rs *rs, int16_t *out, const int16_t *in, unsigned n)
{
	return media_rs_run(rs->hist, rs->from, rs->to, out, in, n);
}

/* Each half of every third- and sixth-band tap set has |taps| summing below 2^16 (asserted
 * by gen_tables.py; at most 44,727), so a half's sum of products fits 32 bits. */
static inline int32_t
tb_dot32(const int16_t *restrict c, const int16_t *restrict x, unsigned n)
{
	int32_t acc = 0;
	for (unsigned i = 0; i < n; i++)
		acc += c[i] * x[i];
	return acc;
}

static inline int16_t
tb_dot(const int16_t *restrict c, const int16_t *restrict x, unsigned n)
{
	int64_t acc = (int64_t)tb_dot32(c, x, n / 2) + tb_dot32(c + n / 2, x + n / 2, n / 2);
	acc = (acc + (1 << 14)) >> 15;
	return (int16_t)(acc > 32767 ? 32767 : (acc < -32768 ? -32768 : acc));
}

/* Interpolation by L (3: 16 -> 48 kHz, 6: 8 -> 48 kHz) with the phases ph[0..L) of TB_P
 * taps each: n inputs, L n outputs. */
static unsigned
rs_up_poly(int16_t *hist, int16_t *out, const int16_t *in, unsigned n,
	   const int16_t (*ph)[TB_P], unsigned L)
{
	int16_t buf[RS3_UP_HIST + RS_CHUNK];
	unsigned o = 0;

	while (n > 0) {
		unsigned c = n < RS_CHUNK ? n : RS_CHUNK;
		memcpy(buf, hist, RS3_UP_HIST * sizeof(*buf));
		memcpy(buf + RS3_UP_HIST, in, c * sizeof(*buf));
		for (unsigned m = 0; m < c; m++) {
			const int16_t *x = buf + RS3_UP_HIST + m - (TB_P - 1);
			for (unsigned p = 0; p < L; p++)
				out[o++] = tb_dot(ph[p], x, TB_P);
		}
		memcpy(hist, buf + c, RS3_UP_HIST * sizeof(*buf));
		in += c;
		n -= c;
	}
	return o;
}

/* 48 -> 16 kHz: n inputs (a multiple of 3), n / 3 outputs. */
static unsigned
rs3_down(int16_t *hist, int16_t *out, const int16_t *in, unsigned n)
{
	int16_t buf[RS3_DOWN_HIST + RS_CHUNK];
	unsigned o = 0;

	while (n > 0) {
		unsigned c = n < RS_CHUNK ? n : RS_CHUNK;
		memcpy(buf, hist, RS3_DOWN_HIST * sizeof(*buf));
		memcpy(buf + RS3_DOWN_HIST, in, c * sizeof(*buf));
		for (unsigned m = 0; m + 3 <= c; m += 3) {
			const int16_t *x = buf + RS3_DOWN_HIST + m + 2 - (3 * TB_P - 1);
			out[o++] = tb_dot(mxp_tb_down, x, 3 * TB_P);
		}
		memcpy(hist, buf + c, RS3_DOWN_HIST * sizeof(*buf));
		in += c;
		n -= c;
	}
	return o;
}

static unsigned rs2_run(int16_t *hist, bool up, int16_t *out, const int16_t *in, unsigned n);

unsigned
media_rs_run(int16_t *hist, unsigned from, unsigned to, int16_t *out, const int16_t *in,
	     unsigned n)
{
	if (from == to) {
		memmove(out, in, n * sizeof(*in));
		return n;
	}
	if (from != 48000 && to != 48000)
		return rs2_run(hist, from < to, out, in, n);
	if (from == 16000)
		return rs_up_poly(hist, out, in, n, mxp_tb_up, 3);
	if (to == 16000)
		return rs3_down(hist, out, in, n);
	if (from == 8000)
		return rs_up_poly(hist, out, in, n, mxp_sb_up, 6);
	/* 48 -> 8 kHz through 16 kHz, a chunk at a time */
	int16_t mid[2 * RS_CHUNK / 3];
	unsigned o = 0;
	while (n > 0) {
		unsigned c = n < 2 * RS_CHUNK ? n : 2 * RS_CHUNK;
		unsigned m = rs3_down(hist, mid, in, c);
		o += rs2_run(hist + RS3_DOWN_HIST, false, out + o, mid, m);
		in += c;
		n -= c;
	}
	return o;
}

/*
 * The half-band filter as a dot product of 2K taps with 2K consecutive samples, a chunk at
 * a time over one buffer of history then input (the same sums as a pass over the whole
 * input: chunks are even, and the history is the buffer's tail). The taps in order are
 * h = g[K-1] .. g[0], g[0] .. g[K-1]; each half's |taps| sum to 39,856, so a half's sum of
 * products fits 32 bits (tb_dot32) and vectorises.
 *  up:   y[2m] = (2^14 + h . x[m-2K+1 .. m]) >> 15, y[2m+1] = x[m-K+1];
 *  down: y[m] = (2^15 + 2^15 x[c] + h . e[m-2K+1 .. m]) >> 16, c = 2m-2K+1, where e[t] =
 *        x[2t] (the taps fall on the even samples only).
 */
static unsigned
rs2_run(int16_t *hist, bool up, int16_t *out, const int16_t *in, unsigned n)
{
	int16_t h[2 * K];
	for (int k = 0; k < K; k++)
		h[K - 1 - k] = h[K + k] = mxp_hb_taps[k];
	int16_t buf[RS_DOWN_HIST + RS_CHUNK];
	unsigned o = 0;

	if (up) {
		while (n > 0) {
			unsigned c = n < RS_CHUNK ? n : RS_CHUNK;
			memcpy(buf, hist, RS_UP_HIST * sizeof(*buf));
			memcpy(buf + RS_UP_HIST, in, c * sizeof(*buf));
			/* buf[RS_UP_HIST + j] = x[j]; the window of y[2m] starts at buf[m + 1] */
			for (unsigned m = 0; m < c; m++) {
				const int16_t *w = buf + m + 1;
				int64_t acc = (1 << 14) + (int64_t)tb_dot32(h, w, K) +
					      tb_dot32(h + K, w + K, K);
				out[o++] = rs_sat((int32_t)(acc >> 15));
				out[o++] = buf[RS_UP_HIST + m - K + 1];
			}
			memcpy(hist, buf + c, RS_UP_HIST * sizeof(*buf));
			in += c;
			n -= c;
		}
		return o;
	}
	int16_t ev[(RS_DOWN_HIST + RS_CHUNK + 1) / 2];
	while (n > 0) {
		unsigned c = n < RS_CHUNK ? n : RS_CHUNK;
		memcpy(buf, hist, RS_DOWN_HIST * sizeof(*buf));
		memcpy(buf + RS_DOWN_HIST, in, c * sizeof(*buf));
		/* buf[RS_DOWN_HIST + j] = x[j], RS_DOWN_HIST even: ev[j] = x[2j - RS_DOWN_HIST] */
		for (unsigned j = 0; 2 * j < RS_DOWN_HIST + c; j++)
			ev[j] = buf[2 * j];
		for (unsigned i = 0; i < c; i += 2) {
			const int16_t *w = ev + i / 2; /* x[i - 4K + 2], x[i - 4K + 4] .. x[i] */
			int64_t acc = (int64_t)buf[i + 2 * K - 1] * 32768 + (1 << 15) +
				      tb_dot32(h, w, K) + tb_dot32(h + K, w + K, K);
			out[o++] = rs_sat((int32_t)(acc >> 16));
		}
		memcpy(hist, buf + c, RS_DOWN_HIST * sizeof(*buf));
		in += c;
		n -= c;
	}
	return o;
}
