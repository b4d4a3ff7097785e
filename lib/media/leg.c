/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A leg's input side: RTP classification, RFC 4733 events, the adaptive jitter buffer,
 * decoding, concealment, resampling to the mix rate, level and speech detection.
 *
 * Timeline. All jitter-buffer arithmetic is in the stream's RTP clock units ("ts"), with
 * 64-bit extended timestamps. play_ts is the timestamp of the next sample not yet decoded;
 * the fifo holds decoded samples not yet played, so the sample played next has timestamp
 * play_ts - fifo_len / (rate / clock). The playout offset is
 *     offset = now_ts - (that timestamp)
 * and a packet with transit time (arrival_ts - ts) is in time when transit <= offset.
 * The target offset is the maximum transit seen over the last ~8 s plus a margin, clamped
 * to [min transit + margin, min transit + max_delay]. The buffer grows when the target
 * rises (holding play_ts while it conceals or plays silence, or inserting a pitch period in
 * speech) and shrinks when it falls (dropping a frame in silence, removing a pitch period
 * in speech when the excess exceeds two frames). Sender clock drift moves the transit
 * times slowly and is followed by the same mechanism.
 *
 * Memory. Queued packets stay in the caller's buffers; a slot is a 20-byte descriptor.
 * "Decoded" above is what playout counts: the packet at play_ts is decoded whole when its
 * first sample is needed. The samples themselves are produced when they are played (one
 * packet at a time is deferred like this, see fifo_fill()), into one buffer that is also
 * the concealment history, so a leg holds no copy of a packet and no frame-sized buffer.
 * The output is the same, sample for sample, as decoding whole packets into a fifo.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "codec_opus.h"
#include "media_priv.h"

#define MS_TO_TS(ms, clock) ((int64_t)(ms) * (clock) / 1000)

static const char *const rx_names[] = {
#define X(n, d) #n,
	MXP_MEDIA_RX_RESULTS(X)
#undef X
};
static const char *const rx_descs[] = {
#define X(n, d) d,
	MXP_MEDIA_RX_RESULTS(X)
#undef X
};

const char *
mxp_media_rx_result_name(enum mxp_media_rx_result r)
{
	return (unsigned)r < MXP_MEDIA_RX_COUNT ? rx_names[r] : "?";
}

const char *
mxp_media_rx_result_desc(enum mxp_media_rx_result r)
{
	return (unsigned)r < MXP_MEDIA_RX_COUNT ? rx_descs[r] : "?";
}

/* ---- level ---------------------------------------------------------------------------- */

/* log2(1 + i/32) in Q8 for i = 0..32 */
static const uint16_t log2_frac_q8[33] = {
	0, 11, 22, 33, 43, 53, 63, 73, 82, 92, 101, 110, 118, 127, 135, 143, 151,
	159, 167, 174, 182, 189, 196, 203, 210, 217, 224, 230, 237, 243, 250, 256, 256,
};

/* -dBov of a frame (RFC 6464 scale: 0 loudest, 127 silence); full-scale sine = 3. */
uint8_t
media_level_from_energy(uint64_t energy, unsigned n)
{
	if (n == 0)
		return 127;
	uint64_t ms = energy / n;
	if (ms == 0)
		return 127;
	int e = 63 - __builtin_clzll(ms);
	uint32_t frac = e >= 5 ? (uint32_t)(ms >> (e - 5)) & 31 : (uint32_t)(ms << (5 - e)) & 31;
	int32_t l2_q8 = e * 256 + log2_frac_q8[frac];
	/* 10*log10(ms) = 3.0103 * log2(ms); 20*log10(32767) = 90.309 dB */
	int32_t db_q8 = (int32_t)(90.309 * 256) - (l2_q8 * 771 >> 8); /* 771/256 = 3.0117 */
	int32_t lv = (db_q8 + 128) >> 8;
	return (uint8_t)(lv < 0 ? 0 : (lv > 127 ? 127 : lv));
}

/* ---- sizing and init -------------------------------------------------------------------- */

static void
params_defaults(struct mxp_media_leg_params *p)
{
	if (p->ptime_ms == 0)
		p->ptime_ms = 20;
	if (p->max_delay_ms == 0)
		p->max_delay_ms = 300;
	if (p->margin_ms == 0)
		p->margin_ms = 5;
	if (p->max_payload == 0) {
		/* the longest packet any codec of the map may send: 120 ms of the widest */
		for (unsigned i = 0; i < p->n_pt && i < MXP_MEDIA_MAX_PT; i++) {
			unsigned c = p->pt_map[i].codec;
			unsigned b = mxp_media_codec_bytes(
				(enum mxp_media_codec)c,
				MXP_MEDIA_MAX_PKT_MS * mxp_media_codec_rate((enum mxp_media_codec)c) /
					1000);
			if (b > p->max_payload && b <= MXP_MEDIA_MAX_PAYLOAD)
				p->max_payload = (uint16_t)b;
		}
		if (p->max_payload == 0)
			p->max_payload = MXP_MEDIA_MAX_PAYLOAD;
	}
	if (p->vad_threshold == 0)
		p->vad_threshold = 50;
	if (p->hangover_ms == 0)
		p->hangover_ms = 300;
}

static int
params_check(const struct mxp_media_leg_params *p, char *err, size_t errlen)
{
	if (p->ptime_ms != 10 && p->ptime_ms != 20 && p->ptime_ms != 30 && p->ptime_ms != 40) {
		snprintf(err, errlen, "ptime %u ms not supported (10, 20, 30, 40)", p->ptime_ms);
		return -EINVAL;
	}
	if (p->max_payload > MXP_MEDIA_MAX_PAYLOAD || p->max_delay_ms > 2000) {
		snprintf(err, errlen, "max_payload (<= %u) or max_delay_ms (<= 2000) too large",
			 MXP_MEDIA_MAX_PAYLOAD);
		return -EINVAL;
	}
	if (p->n_pt == 0 || p->n_pt > MXP_MEDIA_MAX_PT) {
		snprintf(err, errlen, "need 1..%d audio payload types", MXP_MEDIA_MAX_PT);
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->n_pt; i++) {
		unsigned c = p->pt_map[i].codec;
		if (p->pt_map[i].pt > 127 || c == MXP_MEDIA_CODEC_NONE ||
		    c >= MXP_MEDIA_CODEC_COUNT ||
		    (mxp_media_codec_is_frame(c) && mxp_media_codec_ops(c) == NULL)) {
			snprintf(err, errlen, "payload type map entry %u invalid", i);
			return -EINVAL;
		}
		if (mxp_media_codec_is_frame(c) && p->dec[i] == NULL) {
			snprintf(err, errlen, "payload type %u (%s) has no decoder",
				 p->pt_map[i].pt, mxp_media_codec_name(c));
			return -EINVAL;
		}
		for (unsigned j = 0; j < i && mxp_media_codec_is_frame(c); j++)
			if (p->pt_map[j].codec == c &&
			    (p->dec[j] != p->dec[i] ||
			     memcmp(&p->fmtp[j], &p->fmtp[i], sizeof(p->fmtp[i])) != 0)) {
				snprintf(err, errlen,
					 "payload types %u and %u: one decoder and one set of "
					 "parameters per codec (%s)",
					 p->pt_map[j].pt, p->pt_map[i].pt, mxp_media_codec_name(c));
				return -EINVAL;
			}
		if (p->event_pt == p->pt_map[i].pt || p->cn_pt == p->pt_map[i].pt) {
			snprintf(err, errlen, "payload type %u used twice", p->pt_map[i].pt);
			return -EINVAL;
		}
	}
	if (p->out_codec == MXP_MEDIA_CODEC_NONE || p->out_codec >= MXP_MEDIA_CODEC_COUNT ||
	    (mxp_media_codec_is_frame(p->out_codec) &&
	     (mxp_media_codec_ops(p->out_codec) == NULL || p->priv_enc == NULL ||
	      p->priv_enc->codec != p->out_codec))) {
		snprintf(err, errlen, "out_codec invalid (a frame codec needs its priv_enc)");
		return -EINVAL;
	}
	if (p->mode > MXP_SM_INACTIVE) {
		snprintf(err, errlen, "mode invalid");
		return -EINVAL;
	}
	return 0;
}

/*
 * Jitter-buffer slots: one per packet of the window max_delay + 4 ptimes (a power of
 * two, at most 256). They count packets, not time, and a sender may send packets as
 * short as MEDIA_MIN_PKT_MS whatever the leg's ptime: the window holds at least max_delay
 * + one ptime of those (at ptime 20 and the default 300 ms, the 32 slots either way).
 */
#define MEDIA_MIN_PKT_MS 10
static unsigned
jb_slots(const struct mxp_media_leg_params *p)
{
	unsigned a = mxp_align32pow2((p->max_delay_ms + 4u * p->ptime_ms) / p->ptime_ms);
	unsigned b = mxp_align32pow2((p->max_delay_ms + p->ptime_ms + MEDIA_MIN_PKT_MS - 1) /
			      MEDIA_MIN_PKT_MS);
	return a > b ? a : b;
}

/* ---- layout --------------------------------------------------------------------------- */

/* Rate / 8000 of a codec's PCM, and of its RTP clock. */
static inline unsigned
codec_k(unsigned c)
{
	if (mxp_media_codec_is_frame(c))
		return mxp_media_codec_rate(c) / 8000;
	return c == MXP_MEDIA_CODEC_G722 || c == MXP_MEDIA_CODEC_L16_16K ? 2 : 1;
}

/* (Opus: 6) */
static inline unsigned
clock_k(unsigned c)
{
	if (mxp_media_codec_is_frame(c))
		return mxp_media_codec_clock(c) / 8000;
	return c == MXP_MEDIA_CODEC_L16_16K ? 2 : 1;
}

static inline unsigned
leg_rate(const struct mxp_media_leg *l)
{
	return 8000 * codec_k(l->cur_codec);
}

static inline unsigned
leg_clock(const struct mxp_media_leg *l)
{
	return 8000 * clock_k(l->cur_codec);
}

/* Where the sample buffer starts: after the slots (20 bytes each), 8-byte aligned. */
static inline size_t
leg_samples_off(size_t n_slots)
{
	return MXP_ALIGN_CEIL(LEG_HDR + n_slots * sizeof(struct jb_slot), 8);
}

static inline int16_t *
leg_samples(const struct mxp_media_leg *l)
{
	return (int16_t *)((uint8_t *)l + leg_samples_off((size_t)l->slot_mask + 1));
}

static inline int16_t *
leg_rs(const struct mxp_media_leg *l)
{
	return (int16_t *)((uint8_t *)l + l->rs_off);
}

static inline int16_t *
leg_head(const struct mxp_media_leg *l)
{
	return (int16_t *)((uint8_t *)l + l->head_off);
}

static inline struct mxp_media_g722_state *
leg_g722(const struct mxp_media_leg *l)
{
	return (struct mxp_media_g722_state *)((uint8_t *)l + l->g722_off);
}

/* The leg's entry of frame codec c (c a frame codec of its payload map). */
static inline struct leg_xc *
leg_xc(const struct mxp_media_leg *l, unsigned c)
{
	return &leg_xtab(l)->xc[c - MXP_MEDIA_CODEC_AMR];
}

/*
 * The leg hears a 48 kHz codec and plays more than wideband: its conference mixes at 48
 * kHz. An Opus peer whose maxplaybackrate is 16000 or less is sent wideband whatever the
 * rate: it hears a mix of 16 kHz (or less), upsampled for its encoder, and costs its
 * conference nothing more.
 */
static bool
hears_fullband(const struct mxp_media_leg *l)
{
	if (mxp_media_codec_rate(l->out_codec) < 48000)
		return false;
	if (l->out_codec == MXP_MEDIA_CODEC_OPUS && l->xc_off != 0 &&
	    leg_xc(l, MXP_MEDIA_CODEC_OPUS)->ops != NULL)
		return mxp_media_opus_play_rate(&leg_xc(l, MXP_MEDIA_CODEC_OPUS)->f) > 16000;
	return true;
}

/* Timestamp units of n samples (codec rate); rate / clock is 1, 2 (G.722) or a fraction
 * (a 16 kHz plugin on a 48 kHz clock). */
static inline int64_t
samples_to_ts(const struct mxp_media_leg *l, unsigned n)
{
	return (int64_t)n * leg_clock(l) / leg_rate(l);
}

/*
 * Memory of a leg: the header, then
 *  - the slots: one 20-byte descriptor per packet of the jitter buffer's window (a power
 *    of two: max_delay + 4 ptimes);
 *  - the sample buffer, at the highest rate k x 8 kHz of the leg's codecs: the
 *    concealment history (390 k samples) and, at its end, the decoded samples not yet
 *    played. These are at most 2 pmax + one frame (the time-scaling look-ahead) plus the
 *    start of a packet that ends an erasure, which is decoded (faded in) at once: every
 *    other packet is decoded as it is played, so the packet size does not matter;
 *  - the input resampler's history, for the longest of the leg's rate to 8, 16 or 48
 *    kHz (media_rs_hist_len()): 32 samples for 8 kHz codecs (every interpolator), 62
 *    for 16 kHz ones (to 8), 158 for 48 kHz ones (to 8);
 *  - the time-scaling head, only at ptime 10, where a cross-faded stretch (up to 2 pmax)
 *    can be longer than the frame: 2 pmax - frame samples;
 *  - the G.722 decoder, only with G.722 in the payload map;
 *  - the frame codecs' table, only with frame codecs in the payload map. A frame codec's
 *    packet is decoded whole when playout reaches it (its decoder has no partial decode),
 *    so the sample buffer has room for MXP_MEDIA_MAX_PKT_MS more.
 */
struct leg_layout {
	size_t samples, rs, head, g722, xc, total;
	unsigned n_slots, dcap, rs_len, head_len;
};

#define LEG_PMAX(k) (80u * (k))   /* longest period time scaling removes or adds */
#define LEG_FADE_MAX(k) (80u * (k)) /* longest fade-in at the end of an erasure */

static void
layout(const struct mxp_media_leg_params *p, struct leg_layout *lo)
{
	unsigned k = 1;
	bool g722 = false, xc = false;
	for (unsigned i = 0; i < p->n_pt; i++) {
		k = codec_k(p->pt_map[i].codec) > k ? codec_k(p->pt_map[i].codec) : k;
		g722 |= p->pt_map[i].codec == MXP_MEDIA_CODEC_G722;
		xc |= mxp_media_codec_is_frame(p->pt_map[i].codec);
	}
	xc |= mxp_media_codec_is_frame(p->out_codec);
	unsigned frame = p->ptime_ms * 8u * k;
	unsigned look = 2 * LEG_PMAX(k) + frame + LEG_FADE_MAX(k) + (g722 ? 1 : 0);
	lo->n_slots = jb_slots(p);
	lo->dcap = PLC_HIST_LEN * k > look ? PLC_HIST_LEN * k : look;
	if (xc)
		lo->dcap += MXP_MEDIA_MAX_PKT_MS * 8u * k;
	/* from the leg's rate to whichever rate the conference mixes at */
	lo->rs_len = 0;
	for (unsigned i = 0; i < MXP_MEDIA_N_RATES; i++)
		if (media_rs_hist_len(8000 * k, mxp_media_rate_of_idx(i)) > lo->rs_len)
			lo->rs_len = media_rs_hist_len(8000 * k, mxp_media_rate_of_idx(i));
	lo->head_len = 2 * LEG_PMAX(k) > frame ? 2 * LEG_PMAX(k) - frame : 0;
	lo->samples = leg_samples_off(lo->n_slots);
	lo->rs = lo->samples + (size_t)lo->dcap * sizeof(int16_t);
	lo->head = lo->rs + (size_t)lo->rs_len * sizeof(int16_t);
	lo->g722 = MXP_ALIGN_CEIL(lo->head + (size_t)lo->head_len * sizeof(int16_t), 8);
	lo->xc = MXP_ALIGN_CEIL(lo->g722 + (g722 ? sizeof(struct mxp_media_g722_state) : 0), 8);
	lo->total = MXP_ALIGN_CEIL(lo->xc + (xc ? sizeof(struct leg_xtab) : 0),
				MEDIA_CACHE_LINE);
	if (!g722)
		lo->g722 = 0;
	if (!xc)
		lo->xc = 0;
	if (lo->head_len == 0)
		lo->head = 0;
}

size_t
mxp_media_leg_size(const struct mxp_media_leg_params *params)
{
	struct mxp_media_leg_params p = *params;
	struct leg_layout lo;
	char err[8];

	params_defaults(&p);
	if (params_check(&p, err, sizeof(err)) != 0)
		return 0;
	layout(&p, &lo);
	return lo.total;
}

int
mxp_media_leg_check(const struct mxp_media_leg_params *params, char *err, size_t errlen)
{
	struct mxp_media_leg_params p = *params;
	params_defaults(&p);
	return params_check(&p, err, errlen);
}

/* ---- jitter-buffer slots ---------------------------------------------------------------- */

static inline struct jb_slot *
slot_at(const struct mxp_media_leg *l, uint32_t seq)
{
	return leg_slots(l) + (seq & l->slot_mask);
}

/* Hand a packet's buffer back to the caller. */
static inline void
ref_release(const struct mxp_media_leg *l, struct jb_slot *s)
{
	void *ref = s->ref;
	s->ref = NULL;
	if (l->release != NULL)
		l->release(ref, l->release_arg);
}

/* The deferred packet's payload and its samples not decoded yet. */
static inline const uint8_t *
pend_payload(const struct mxp_media_leg *l)
{
	return jb_ref_payload(l->pend_ref, l->pend_pl);
}

static inline unsigned
pend_len(const struct mxp_media_leg *l)
{
	return (unsigned)(l->pend_pl >> JB_OFF_BITS);
}

static inline unsigned
pend_rest(const struct mxp_media_leg *l)
{
	return l->pend_ref != NULL ?
		       mxp_media_codec_samples(l->pend_codec, pend_len(l)) - l->pend_off : 0;
}

static inline unsigned
fifo_len(const struct mxp_media_leg *l)
{
	return (unsigned)l->head_len + l->fifo_phys + pend_rest(l);
}

static inline void
pend_release(struct mxp_media_leg *l)
{
	void *ref = l->pend_ref;
	l->pend_ref = NULL;
	l->pend_off = 0;
	if (l->release != NULL)
		l->release(ref, l->release_arg);
}

/*
 * Run the G.722 decoder over payload bytes [from, n) and discard the samples: playout
 * counted them as decoded, so the decoder's state must be as if they had been.
 */
static void
g722_skip(struct mxp_media_leg *l, const uint8_t *pl, unsigned from, unsigned n)
{
	int16_t x[512];
	for (unsigned i = from; i < n; i += 256)
		mxp_media_g722_decode(leg_g722(l), x, pl + i, n - i < 256 ? n - i : 256);
}

/*
 * Forget what was decoded and not played, the deferred packet included (a G.722 decoder
 * still runs over its rest).
 */
static void
fifo_clear(struct mxp_media_leg *l)
{
	if (l->pend_ref != NULL) {
		if (l->pend_codec == MXP_MEDIA_CODEC_G722)
			g722_skip(l, pend_payload(l), l->pend_off / 2u, pend_len(l));
		pend_release(l);
	}
	l->hist_skip = 0;
	l->fifo_phys = 0;
	l->head_len = 0;
}

static void
stream_reset(struct mxp_media_leg *l)
{
	if (l->xc_off != 0)
		leg_xtab(l)->codec_plc = false;
	for (uint32_t i = 0; i <= l->slot_mask && l->n_buffered > 0; i++) {
		struct jb_slot *s = leg_slots(l) + i;
		if (s->ref != NULL) {
			ref_release(l, s);
			l->n_buffered--;
		}
	}
	l->n_buffered = 0;
	fifo_clear(l);
	l->have_stream = false;
	l->anchored = false;
	l->have_transit = false;
	l->recv_mask = 0;
	for (int i = 0; i < JB_BUCKETS; i++) {
		l->bmax[i] = JB_EMPTY_MAX;
		l->bmin[i] = JB_EMPTY_MIN;
	}
	l->win_max = JB_EMPTY_MAX;
	l->win_min = JB_EMPTY_MIN;
}

int
mxp_media_leg_init(struct mxp_media_leg *l, const struct mxp_media_leg_params *params,
		   char *err, size_t errlen)
{
	struct mxp_media_leg_params p = *params;
	struct leg_layout lo;
	char dummy[8];

	if (err == NULL) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	params_defaults(&p);
	int rc = params_check(&p, err, errlen);
	if (rc != 0)
		return rc;
	layout(&p, &lo);
	memset(l, 0, lo.total);
	l->id = p.id;
	l->opaque = p.opaque;
	l->release = p.release;
	l->release_arg = p.release_arg;
	l->ptime_ms = (uint8_t)p.ptime_ms;
	l->max_delay_ms = p.max_delay_ms;
	l->margin_ms = p.margin_ms;
	l->max_payload = p.max_payload;
	l->vad_threshold = p.vad_threshold;
	for (unsigned i = 0; i < p.n_pt; i++) {
		l->pt_map[i].pt = p.pt_map[i].pt;
		l->pt_map[i].codec = p.pt_map[i].codec;
	}
	l->n_pt = p.n_pt;
	l->event_pt = p.event_pt >= 0 && p.event_pt <= 127 ? (uint8_t)p.event_pt : MEDIA_NO_PT;
	l->cn_pt = p.cn_pt >= 0 && p.cn_pt <= 127 ? (uint8_t)p.cn_pt : MEDIA_NO_PT;
	l->mix_idx = -1;
	l->act_idx = -1;
	l->mode = p.mode;
	l->out_codec = p.out_codec;
	l->slot_mask = (uint8_t)(lo.n_slots - 1);
	l->dcap = (uint16_t)lo.dcap;
	l->rs_off = (uint16_t)lo.rs;
	l->head_off = (uint16_t)lo.head;
	l->g722_off = (uint16_t)lo.g722;
	l->xc_off = (uint16_t)lo.xc;
	if (l->xc_off != 0) {
		memset(leg_xtab(l), 0, sizeof(struct leg_xtab));
		leg_xtab(l)->priv_enc = p.priv_enc;
		leg_xtab(l)->info.cmr = -1;
	}
	for (unsigned i = 0; i < p.n_pt && l->xc_off != 0; i++) {
		unsigned c = p.pt_map[i].codec;
		if (!mxp_media_codec_is_frame(c))
			continue;
		struct leg_xc *x = leg_xc(l, c);
		x->ops = mxp_media_codec_ops(c);
		x->dec = p.dec[i];
		x->f = p.fmtp[i];
	}
	/* what it sends may be wideband or more; the conference mixes at 48 kHz only for a
	 * leg that hears a 48 kHz codec wider than wideband (the rest resample 48 kHz input
	 * to 16) */
	l->wideband = mxp_media_codec_rate(p.out_codec) >= 16000;
	for (unsigned i = 0; i < p.n_pt; i++)
		l->wideband |= mxp_media_codec_rate(p.pt_map[i].codec) >= 16000;
	l->fullband = hears_fullband(l);
	l->cur_codec = p.pt_map[0].codec;
	l->n_ts = (uint16_t)(p.ptime_ms * 8u * clock_k(l->cur_codec));
	if (l->g722_off != 0)
		mxp_media_g722_init(leg_g722(l));
	media_plc_reset(&l->plc, leg_rate(l));
	l->rs_from = l->rs_to = (uint8_t)codec_k(l->cur_codec);
	l->hang_ticks = (uint16_t)((p.hangover_ms + p.ptime_ms - 1) / p.ptime_ms);
	l->level = 127;
	l->talker_slot = -1;
	l->cascade = p.cascade;
	l->frame = MEDIA_NO_FRAME;
	stream_reset(l);
	return 0;
}

void
mxp_media_leg_fini(struct mxp_media_leg *l)
{
	stream_reset(l);
}

uint32_t
mxp_media_leg_id(const struct mxp_media_leg *l)
{
	return l->id;
}

void *
mxp_media_leg_opaque(const struct mxp_media_leg *l)
{
	return l->opaque;
}

unsigned
mxp_media_leg_out_rate(const struct mxp_media_leg *l)
{
	return mxp_media_codec_rate(l->out_codec);
}

int
mxp_media_leg_event_pt(const struct mxp_media_leg *l)
{
	return l->event_pt == MEDIA_NO_PT ? -1 : l->event_pt;
}

int
mxp_media_leg_talker_slot(const struct mxp_media_leg *l)
{
	return l->talker_slot;
}

bool
mxp_media_leg_cascade(const struct mxp_media_leg *l)
{
	return l->cascade;
}

void
mxp_media_leg_set_mode(struct mxp_media_leg *l, enum mxp_stream_mode mode)
{
	if (mode > MXP_SM_INACTIVE || mode == l->mode)
		return;
	if (l->mixer != NULL)
		media_mixer_leg_update(l->mixer, l, -1);
	l->mode = (uint8_t)mode;
	if (l->mixer != NULL)
		media_mixer_leg_update(l->mixer, l, +1);
}

void
mxp_media_leg_set_mute(struct mxp_media_leg *l, bool mute)
{
	l->muted = mute;
}

void
mxp_media_leg_set_out_codec(struct mxp_media_leg *l, enum mxp_media_codec c)
{
	if (c == MXP_MEDIA_CODEC_NONE || c >= MXP_MEDIA_CODEC_AMR || c == l->out_codec)
		return;
	if (l->mixer != NULL)
		media_mixer_leg_update(l->mixer, l, -1);
	l->out_codec = (uint8_t)c;
	if (mxp_media_codec_rate(c) >= 16000)
		l->wideband = true;
	l->fullband = hears_fullband(l);
	if (l->mixer != NULL)
		media_mixer_leg_update(l->mixer, l, +1);
}

void
mxp_media_leg_codec_info(const struct mxp_media_leg *l, struct mxp_media_rx_info *info)
{
	memset(info, 0, sizeof(*info));
	info->cmr = -1;
	if (l->xc_off != 0)
		memcpy(info, &leg_xtab(l)->info, sizeof(*info));
}

void
mxp_media_leg_stats_get(const struct mxp_media_leg *l, struct mxp_media_leg_stats *st)
{
	memset(st, 0, sizeof(*st));
	for (int r = 0; r < MXP_MEDIA_RX_COUNT; r++)
		st->rx[r] = l->st.rx[r];
	st->reordered = l->st.reordered;
	st->lost = l->st.lost;
	st->concealed = l->st.concealed;
	st->played = l->st.played;
	st->silence = l->st.silence;
	st->accelerated = l->st.accelerated;
	st->expanded = l->st.expanded;
	st->resyncs = l->st.resyncs;
	st->flushed = l->flushed;
	st->events = l->st.events;
	st->fec_recovered = l->xc_off != 0 ? leg_xtab(l)->fec : 0;
	st->depth_ms = l->st.depth_ms;
	st->target_ms = l->st.target_ms;
	st->jitter = l->jitter_q4 >> 4;
	st->buffered = media_leg_held(l);
	st->level = l->level;
	st->speaking = l->speaking;
	st->talker = l->talker_slot >= 0;
}

/* ---- receive ---------------------------------------------------------------------------- */

static inline int64_t
now_ts(uint64_t now_us, uint32_t clock)
{
	return (int64_t)(now_us * clock / 1000000u);
}

/* Move the transits' base to the current transit (they drifted 2^30 away from it). */
static void
transit_rebase(struct mxp_media_leg *l, int64_t shift)
{
	int32_t *v[2 * JB_BUCKETS + 3];
	unsigned n = 0;
	for (int i = 0; i < JB_BUCKETS; i++) {
		v[n++] = &l->bmax[i];
		v[n++] = &l->bmin[i];
	}
	v[n++] = &l->win_max;
	v[n++] = &l->win_min;
	v[n++] = &l->last_transit;
	for (unsigned i = 0; i < n; i++) {
		if (*v[i] == JB_EMPTY_MAX || *v[i] == JB_EMPTY_MIN)
			continue;
		int64_t x = *v[i] - shift;
		*v[i] = (int32_t)(x > INT32_MAX - 1 ? INT32_MAX - 1 : (x < INT32_MIN + 1 ? INT32_MIN + 1 : x));
	}
	l->transit_base += shift;
}

static void
transit_update(struct mxp_media_leg *l, int64_t transit, uint64_t now_us)
{
	uint32_t b = (uint32_t)(now_us >> 20);

	if (!l->have_transit) {
		l->have_transit = true;
		l->bucket = b;
		l->transit_base = transit;
		l->last_transit = 0;
	}
	int64_t rel = transit - l->transit_base;
	if (rel > (int64_t)1 << 30 || rel < -((int64_t)1 << 30)) {
		transit_rebase(l, rel);
		rel = 0;
	}
	int32_t t = (int32_t)rel;
	if (b != l->bucket) {
		uint32_t adv = b - l->bucket;
		if ((int32_t)adv < 0 || adv >= JB_BUCKETS)
			adv = JB_BUCKETS;
		for (uint32_t i = 1; i <= adv; i++) {
			unsigned k = (l->bucket + i) % JB_BUCKETS;
			l->bmax[k] = JB_EMPTY_MAX;
			l->bmin[k] = JB_EMPTY_MIN;
		}
		l->bucket = b;
		l->win_max = JB_EMPTY_MAX;
		l->win_min = JB_EMPTY_MIN;
		for (int i = 0; i < JB_BUCKETS; i++) {
			l->win_max = l->bmax[i] > l->win_max ? l->bmax[i] : l->win_max;
			l->win_min = l->bmin[i] < l->win_min ? l->bmin[i] : l->win_min;
		}
	}
	unsigned k = b % JB_BUCKETS;
	if (t > l->bmax[k])
		l->bmax[k] = t;
	if (t < l->bmin[k])
		l->bmin[k] = t;
	if (t > l->win_max)
		l->win_max = t;
	if (t < l->win_min)
		l->win_min = t;
	/* RFC 3550 A.8 interarrival jitter */
	int64_t d = (int64_t)t - l->last_transit;
	if (d < 0)
		d = -d;
	if (d > 1 << 24)
		d = 1 << 24;
	l->jitter_q4 += (uint32_t)d - ((l->jitter_q4 + 8) >> 4);
	l->last_transit = t;
}

static enum mxp_media_rx_result
rx_event(struct mxp_media_leg *l, const struct mxp_media_pkt *pkt, uint64_t now_us,
	 struct mxp_media_event *ev)
{
	if (pkt->len < 4)
		return MXP_MEDIA_RX_BAD_PAYLOAD;
	const uint8_t *b = pkt->payload;
	uint8_t code = b[0];
	bool end = (b[1] & 0x80) != 0;
	uint16_t dur = mxp_be_rd16(b + 2);

	/* keep the leg's audio out of the mix while the event lasts (in-band leakage) */
	l->ev_until_us = now_us + (end ? 20000u : 80000u);
	l->ev_active = true;
	if (!l->ev_valid || pkt->ts != l->ev_ts || code != l->ev_code) {
		l->ev_valid = true;
		l->ev_ts = pkt->ts;
		l->ev_code = code;
		l->ev_ended = end;
		l->st.events++;
		if (ev != NULL) {
			ev->type = MXP_MEDIA_EVENT_START | (end ? MXP_MEDIA_EVENT_END : 0);
			ev->event = code;
			ev->volume = b[1] & 0x3f;
			ev->duration = dur;
			ev->ts = pkt->ts;
		}
		return MXP_MEDIA_RX_EVENT;
	}
	if (end && !l->ev_ended) {
		l->ev_ended = true;
		if (ev != NULL) {
			ev->type = MXP_MEDIA_EVENT_END;
			ev->event = code;
			ev->volume = b[1] & 0x3f;
			ev->duration = dur;
			ev->ts = pkt->ts;
		}
	}
	return MXP_MEDIA_RX_EVENT;
}

static void codec_switch(struct mxp_media_leg *l, uint8_t c);

static void
stream_start(struct mxp_media_leg *l, const struct mxp_media_pkt *pkt, uint8_t codec)
{
	bool had = l->have_stream;

	if (had)
		l->flushed += l->n_buffered; /* taken, never to be played */
	stream_reset(l);
	l->have_stream = true;
	l->ssrc = pkt->ssrc;
	if (clock_k(l->cur_codec) != clock_k(codec))
		codec_switch(l, codec); /* keeps rate / clock in {1, 2} */
	l->n_ts = (uint16_t)(l->ptime_ms * 8u * clock_k(codec));
	l->max_seq = (1u << 16) + pkt->seq;
	l->next_seq = l->max_seq;
	l->max_ts = ((int64_t)1 << 32) + pkt->ts;
	l->max_ts_end = l->max_ts;
	l->recv_mask = 0;
	if (had) {
		l->st.resyncs++;
		l->declick = true;
	}
}

void
mxp_media_leg_prefetch(const struct mxp_media_leg *l, uint16_t seq)
{
	const char *s = (const char *)slot_at(l, seq);
	__builtin_prefetch(s, 1);
	__builtin_prefetch(s + sizeof(struct jb_slot) - 1, 1);
	/* the rest of what rx writes: the transit window and the counters */
	__builtin_prefetch((const char *)l->bmax, 1);
	__builtin_prefetch((const char *)&l->st, 1);
}

enum mxp_media_rx_result
mxp_media_leg_rx(struct mxp_media_leg *l, const struct mxp_media_pkt *pkt, uint64_t now_us,
		 struct mxp_media_event *ev)
{
	enum mxp_media_rx_result r = MXP_MEDIA_RX_AUDIO;

	if (ev != NULL)
		ev->type = MXP_MEDIA_EVENT_NONE;
	if (!mxp_stream_mode_sends(l->mode)) {
		r = MXP_MEDIA_RX_NOT_SENDING;
		goto out;
	}
	if (l->event_pt != MEDIA_NO_PT && pkt->pt == l->event_pt) {
		r = rx_event(l, pkt, now_us, ev);
		goto out;
	}
	if (l->cn_pt != MEDIA_NO_PT && pkt->pt == l->cn_pt) {
		l->dtx = true;
		r = MXP_MEDIA_RX_CN;
		goto out;
	}
	uint8_t codec = MXP_MEDIA_CODEC_NONE;
	for (unsigned i = 0; i < l->n_pt; i++)
		if (l->pt_map[i].pt == pkt->pt)
			codec = l->pt_map[i].codec;
	if (codec == MXP_MEDIA_CODEC_NONE) {
		r = MXP_MEDIA_RX_UNKNOWN_PT;
		goto out;
	}
	unsigned dur, max_payload = l->max_payload;
	if (mxp_media_codec_is_frame(codec)) {
		/* the codec parses its table of contents (payload header, frame types) */
		const struct leg_xc *x = leg_xc(l, codec);
		int d = pkt->len > 0 && pkt->len <= x->ops->max_payload ?
				x->ops->duration(&x->f, pkt->payload, pkt->len) : -1;
		dur = d > 0 && d <= MXP_MEDIA_MAX_PKT_MS * (int)(x->ops->clock / 1000) ?
			      (unsigned)d : 0;
		max_payload = x->ops->max_payload;
	} else {
		dur = mxp_media_codec_ts_units(codec, pkt->len);
	}
	/* the slot keeps payload - ref in 16 bits: the payload starts at most JB_OFF_MAX
	 * bytes after ref */
	uintptr_t poff = (uintptr_t)pkt->payload - (uintptr_t)pkt->ref;
	if (pkt->len > max_payload) {
		r = MXP_MEDIA_RX_TOO_LARGE;
		goto out;
	}
	if (pkt->len == 0 || dur == 0 ||
	    ((codec == MXP_MEDIA_CODEC_L16_8K || codec == MXP_MEDIA_CODEC_L16_16K) &&
	     (pkt->len & 1)) ||
	    pkt->ref == NULL || (uintptr_t)pkt->payload < (uintptr_t)pkt->ref ||
	    poff > JB_OFF_MAX) {
		r = MXP_MEDIA_RX_BAD_PAYLOAD;
		goto out;
	}
	uint32_t clock = 8000 * clock_k(codec);
	int64_t nts = now_ts(now_us, clock);
	uint32_t seq;
	int64_t ts;

	if (!l->have_stream || pkt->ssrc != l->ssrc || clock != leg_clock(l)) {
		if (l->have_stream)
			r = MXP_MEDIA_RX_RESYNC;
		stream_start(l, pkt, codec);
	}
	seq = l->max_seq + (uint32_t)(int32_t)(int16_t)(pkt->seq - (uint16_t)l->max_seq);
	ts = l->max_ts + (int32_t)(pkt->ts - (uint32_t)l->max_ts);
	/* a sequence number already received (in the 64-packet window) is a duplicate,
	 * wherever the stream stands now (played, idle): not an outlier */
	if ((int32_t)(seq - l->max_seq) <= 0 && l->max_seq - seq < 64 &&
	    (l->recv_mask & (1ull << (l->max_seq - seq)))) {
		r = MXP_MEDIA_RX_DUPLICATE;
		goto out;
	}
	/*
	 * The transit the buffer must absorb: a tick decodes a whole frame, so a packet
	 * that starts inside the frame is needed when the frame starts. Packets of d
	 * timestamp units and frames of n_ts start together every lcm(d, n_ts): a packet
	 * then starts up to n_ts - gcd(d, n_ts) into a frame (0 when d is a multiple of the
	 * frame), and counts as that much later.
	 */
	int64_t tr = nts - ts;
	if (dur % l->n_ts != 0) {
		unsigned a = dur, b = l->n_ts;
		while (b != 0) {
			unsigned c = a % b;
			a = b;
			b = c;
		}
		tr += l->n_ts - a;
	}
	{
		/*
		 * A jump of the sequence number or of the transit time far beyond any jitter
		 * is a restart of the sender's stream (or its clock): resynchronise. So is a
		 * packet behind the playout point or beyond the slots.
		 */
		int32_t dseq = (int32_t)(seq - l->max_seq);
		int64_t jump = l->have_transit ? tr - (l->transit_base + l->last_transit) : 0;
		int64_t lim = MS_TO_TS(l->max_delay_ms + 100, clock);
		if (dseq > 1000 || dseq < -1000 || jump > lim || jump < -lim ||
		    seq - l->next_seq >= l->slot_mask + 1u) {
			/* one packet far off is an outlier (a very late packet); two in a row
			 * with the same offset are a restart */
			int64_t jt = tr;
			if (!l->jump_pending || l->jump_seq + 1 != pkt->seq ||
			    l->jump_transit - jt > (int64_t)(2 * l->n_ts) ||
			    jt - l->jump_transit > (int64_t)(2 * l->n_ts)) {
				l->jump_pending = true;
				l->jump_seq = pkt->seq;
				l->jump_transit = jt;
				r = l->anchored && ts < l->play_ts ? MXP_MEDIA_RX_LATE :
								   MXP_MEDIA_RX_OUTLIER;
				goto out;
			}
			r = MXP_MEDIA_RX_RESYNC;
			stream_start(l, pkt, codec);
			seq = l->max_seq;
			ts = l->max_ts;
		}
		l->jump_pending = false;
	}
	/* duplicates: 64-entry window below the highest sequence number */
	if ((int32_t)(seq - l->max_seq) > 0) {
		uint32_t sh = seq - l->max_seq;
		l->recv_mask = sh >= 64 ? 1 : (l->recv_mask << sh) | 1;
		l->max_seq = seq;
		l->max_ts = ts;
	} else {
		uint32_t off = l->max_seq - seq;
		if (off >= 64) {
			r = MXP_MEDIA_RX_LATE;
			goto out;
		}
		if (l->recv_mask & (1ull << off)) {
			r = MXP_MEDIA_RX_DUPLICATE;
			goto out;
		}
		l->recv_mask |= 1ull << off;
		if (off > 0)
			l->st.reordered++;
	}
	transit_update(l, tr, now_us);
	if (ts + dur > l->max_ts_end)
		l->max_ts_end = ts + dur;
	if (l->anchored && (ts < l->play_ts || seq < l->next_seq)) {
		r = MXP_MEDIA_RX_LATE;
		goto out;
	}
	if (!l->anchored && seq < l->next_seq)
		l->next_seq = seq; /* reordered before playout started */
	struct jb_slot *s = slot_at(l, seq);
	if (s->ref != NULL) {
		if (jb_seq16(s) == (uint16_t)seq) {
			r = MXP_MEDIA_RX_DUPLICATE;
			goto out;
		}
		/* a queued packet a whole window away: cannot happen while seq - next_seq is
		 * below the window (checked above), kept as a guard */
		ref_release(l, s);
		l->n_buffered--;
	}
	s->ref = pkt->ref;
	s->seq = (uint16_t)seq;
	s->off = (uint16_t)poff;
	s->ts = (uint32_t)ts;
	s->len = pkt->len;
	s->codec = (uint8_t)(codec | (pkt->marker ? JB_MARKER : 0));
	if (pkt->level <= 127) {
		s->level = pkt->level;
	} else if ((codec == MXP_MEDIA_CODEC_PCMU || codec == MXP_MEDIA_CODEC_PCMA) &&
		   pkt->len == l->n_ts) {
		/* A G.711 packet of one frame without an RFC 6464 level: measured now, while
		 * the payload is in cache (it was just decrypted). The tick's fast path then
		 * needs only this byte for a leg that does not speak, not the payload, which
		 * would be cold by then. The same value the tick would compute. */
		s->level = media_level_from_energy(
			mxp_media_g711_energy(pkt->payload, pkt->len,
					      codec == MXP_MEDIA_CODEC_PCMU),
			pkt->len);
	} else {
		s->level = MXP_MEDIA_LEVEL_NONE;
	}
	l->n_buffered++;
	l->dtx = false;
	if (l->act_idx < 0 && l->mixer != NULL)
		media_mixer_activate(l->mixer, l);
out:
	l->st.rx[r]++;
	return r;
}

/* ---- decoding --------------------------------------------------------------------------- */

/* A queued packet as playout sees it: its slot and the extended sequence number and
 * timestamp (the slot keeps their low halves). */
struct jb_pkt {
	struct jb_slot *slot; /* NULL: no packet */
	int64_t ts;
	uint32_t seq;
	uint16_t len;
	uint8_t codec;
};

/* Lowest queued packet at or after next_seq (pk->slot NULL if none). */
static const struct jb_pkt *
next_slot(const struct mxp_media_leg *l, struct jb_pkt *pk)
{
	pk->slot = NULL;
	if (l->n_buffered == 0)
		return pk;
	for (uint32_t s = l->next_seq; (int32_t)(l->max_seq - s) >= 0; s++) {
		struct jb_slot *sl = slot_at(l, s);
		if (sl->ref != NULL && jb_seq16(sl) == (uint16_t)s) {
			pk->slot = sl;
			pk->seq = s;
			pk->ts = l->max_ts + (int32_t)(sl->ts - (uint32_t)l->max_ts);
			pk->len = sl->len;
			pk->codec = jb_codec(sl);
			break;
		}
	}
	return pk;
}

/* The packet leaves the queue: sequence numbers skipped over are lost. */
static inline void
slot_dequeue(struct mxp_media_leg *l, const struct jb_pkt *pk)
{
	if (pk->seq > l->next_seq)
		l->st.lost += pk->seq - l->next_seq;
	l->next_seq = pk->seq + 1;
	l->n_buffered--;
}

/* ... and is not decoded (stale, dropped): its buffer goes back at once. */
static inline void
slot_consume(struct mxp_media_leg *l, struct jb_pkt *pk)
{
	slot_dequeue(l, pk);
	ref_release(l, pk->slot);
	pk->slot = NULL;
}

/* Decode samples [off, off + n) of a payload (n even for G.722, whose decoder g runs:
 * the leg's, or a copy of it). */
static void
decode_part(struct mxp_media_g722_state *g, unsigned codec, const uint8_t *pl, unsigned off,
	    unsigned n, int16_t *out)
{
	switch (codec) {
	case MXP_MEDIA_CODEC_PCMU:
		mxp_media_ulaw_decode(out, pl + off, n);
		break;
	case MXP_MEDIA_CODEC_PCMA:
		mxp_media_alaw_decode(out, pl + off, n);
		break;
	case MXP_MEDIA_CODEC_G722:
		mxp_media_g722_decode(g, out, pl + off / 2, n / 2);
		break;
	default:
		mxp_media_l16_decode(out, pl + 2 * off, n);
		break;
	}
}

/*
 * Room for n more decoded samples at the end of the sample buffer: keeps the samples not
 * yet played and the history still needed, drops the oldest. Returns where to write.
 */
static int16_t *
samples_append(struct mxp_media_leg *l, unsigned n)
{
	int16_t *b = leg_samples(l);
	unsigned hcap = PLC_HIST_LEN * l->plc.k;
	unsigned hk = l->plc.hist_len + n <= hcap ? l->plc.hist_len : (hcap > n ? hcap - n : 0);
	unsigned keep = l->fifo_phys > hk ? l->fifo_phys : hk;
	if (keep + n > l->dcap) { /* cannot happen (layout()); never write out of bounds */
		keep = l->dcap - n;
		if (l->fifo_phys > keep)
			l->fifo_phys = (uint16_t)keep;
	}
	memmove(b + l->dcap - keep - n, b + l->dcap - keep, keep * sizeof(*b));
	return b + l->dcap - n;
}

#define PEND_PLAY 0 /* the samples join the fifo */
#define PEND_HIST 1 /* only the history: the fifo is being dropped */

/*
 * Decode at least `want` samples (fewer if there are not as many) of the deferred packet
 * into the sample buffer. Playout counted them as decoded already: this only
 * materialises them, so an erasure that ended before them does not fade them in again,
 * and those deferred before a forget do not join the history.
 */
static void
pend_decode(struct mxp_media_leg *l, unsigned want, int how)
{
	while (want > 0 && l->pend_ref != NULL) {
		unsigned c = l->pend_codec, len = pend_len(l);
		unsigned N = mxp_media_codec_samples(c, len);
		unsigned k = N - l->pend_off;
		if (k > want)
			k = c == MXP_MEDIA_CODEC_G722 ? (want + 1) & ~1u : want;
		unsigned room = l->dcap - (how == PEND_PLAY ? l->fifo_phys : 0u);
		if (how == PEND_HIST && room > PLC_HIST_LEN * l->plc.k)
			room = PLC_HIST_LEN * l->plc.k;
		if (k > room)
			k = room & ~1u; /* cannot happen: the buffer is sized for the look-ahead */
		if (k == 0)
			break;
		int16_t *x = samples_append(l, k);
		decode_part(leg_g722(l), c, pend_payload(l), l->pend_off, k, x);
		unsigned skip = l->hist_skip < k ? l->hist_skip : k;
		if (skip > 0) {
			l->hist_skip = (uint16_t)(l->hist_skip - skip);
			l->plc.hist_len = 0;
		}
		media_plc_add(&l->plc, k - skip);
		if (how == PEND_PLAY)
			l->fifo_phys = (uint16_t)(l->fifo_phys + k);
		l->pend_off = (uint16_t)(l->pend_off + k);
		want = want > k ? want - k : 0;
		if (l->pend_off == N)
			pend_release(l); /* its samples are all in the buffer */
	}
}

/* Drop the samples not played, keeping the history as if they had been (late ticks). */
static void
fifo_drop(struct mxp_media_leg *l)
{
	l->head_len = 0;
	l->fifo_phys = 0;
	pend_decode(l, pend_rest(l), PEND_HIST);
	fifo_clear(l);
}

static int64_t
target_offset(const struct mxp_media_leg *l)
{
	uint32_t clock = leg_clock(l);
	int64_t margin = MS_TO_TS(l->margin_ms, clock);
	int64_t maxd = MS_TO_TS(l->max_delay_ms, clock);
	int64_t wmax = l->transit_base + l->win_max, wmin = l->transit_base + l->win_min;
	int64_t t = wmax + margin;
	if (t < wmin + margin)
		t = wmin + margin;
	if (t > wmin + maxd)
		t = wmin + maxd;
	return t;
}

/* Switch decoding to codec c (payload type change within the leg). */
static void
codec_switch(struct mxp_media_leg *l, uint8_t c)
{
	if (l->xc_off != 0) /* a decoder's erasure does not outlive its codec */
		leg_xtab(l)->codec_plc = false;
	if (c == MXP_MEDIA_CODEC_G722)
		mxp_media_g722_init(leg_g722(l));
	if (codec_k(c) != codec_k(l->cur_codec)) {
		/* only at a frame start or a stream start: nothing decoded is pending */
		media_plc_reset(&l->plc, 8000 * codec_k(c));
		fifo_clear(l);
	}
	l->cur_codec = c;
	l->declick = true;
}

/* Timestamp units a queued packet covers (a frame codec's from its table of contents). */
static int64_t
pkt_ts_units(const struct mxp_media_leg *l, const struct jb_pkt *pk)
{
	if (mxp_media_codec_is_frame(pk->codec)) {
		const struct leg_xc *x = leg_xc(l, pk->codec);
		int d = x->ops->duration(&x->f, jb_payload(pk->slot), pk->len);
		return d > 0 ? d : 0;
	}
	return mxp_media_codec_ts_units(pk->codec, pk->len);
}

/*
 * Decode a frame codec's packet whole into pcm (cap samples at the codec rate); *ts gets
 * the timestamp units it covers. The timeline counts its full duration whatever the
 * decoder wrote (rx checked the payload: a decoder that refuses it now plays silence).
 */
static unsigned
frame_decode(struct mxp_media_leg *l, const struct jb_pkt *pk, int16_t *pcm, unsigned cap,
	     int64_t *ts)
{
	const struct leg_xc *x = leg_xc(l, pk->codec);
	const uint8_t *pl = jb_payload(pk->slot);
	int d = x->ops->duration(&x->f, pl, pk->len);
	if (d < 0)
		d = 0;
	unsigned n = (unsigned)((int64_t)d * x->ops->rate / x->ops->clock);
	if (n > cap)
		n = cap;
	struct leg_xtab *xt = leg_xtab(l);
	int8_t cmr = xt->info.cmr;
	int got = x->ops->decode(x->dec, pl, pk->len, pcm, cap, &xt->info);
	if (got < 0)
		got = 0;
	/* A codec mode request (AMR CMR): the mode the participant wants to receive. The
	 * encoder of its private mix honours it (within its mode-set and change rules). */
	/* only a silence descriptor or nothing (AMR SID / NO_DATA, Opus DTX): the sender is
	 * in DTX; the gaps until its next packet are silence, not loss, and the leg idles */
	if (xt->info.speech == 0 && (xt->info.sid != 0 || xt->info.no_data != 0))
		l->dtx = true;
	struct mxp_media_coder *pe = xt->priv_enc;
	if (xt->info.cmr != cmr && xt->info.cmr >= 0 && pe != NULL && pe->x != NULL &&
	    pe->x->enc_request != NULL)
		pe->x->enc_request(pe->xs, xt->info.cmr);
	if ((unsigned)got < n)
		memset(pcm + got, 0, (n - (unsigned)got) * sizeof(*pcm));
	*ts = d;
	return n;
}

#define FRAME_PKT_MAX (MXP_MEDIA_MAX_PKT_MS * 48) /* samples of the longest packet */

/*
 * fifo_fill() of a frame codec's packet: decoded whole at once (after the deferred packet
 * before it), the start faded in if it ends an erasure; its buffer goes back at once.
 */
static bool
fill_frame(struct mxp_media_leg *l, struct jb_pkt *pk)
{
	int16_t y[FRAME_PKT_MAX];
	int64_t ts;

	pend_decode(l, pend_rest(l), PEND_PLAY);
	unsigned n = frame_decode(l, pk, y, FRAME_PKT_MAX, &ts);
	l->play_ts += ts;
	l->st.played += n;
	slot_consume(l, pk);
	unsigned L = 0;
	if (l->plc.erased != 0 && leg_xtab(l)->codec_plc) {
		/* the decoder concealed the gap: its state runs on into this packet */
		l->plc.erased = 0;
		leg_xtab(l)->codec_plc = false;
	} else if (l->plc.erased != 0) {
		L = media_plc_fade_len(&l->plc);
		if (L > n)
			L = n;
		if (L == 0)
			l->plc.erased = 0;
		else /* faded against the whole history, before appending pushes it out */
			media_plc_good(&l->plc, leg_samples(l) + l->dcap, y, L);
	}
	memcpy(samples_append(l, n), y, n * sizeof(*y));
	media_plc_add(&l->plc, n - L);
	l->fifo_phys = (uint16_t)(l->fifo_phys + n);
	return true;
}

/*
 * The packet at play_ts is decoded (as playout counts it): its samples join the fifo. The
 * decoding itself is deferred to when they are played, except for the start of a packet
 * that ends an erasure, which is faded in from the concealment now (after what precedes
 * it). False if the packet changes the sample rate (only at a frame start).
 */
static bool
fifo_fill(struct mxp_media_leg *l, struct jb_pkt *pk)
{
	if (pk->codec != l->cur_codec) {
		if (codec_k(pk->codec) != codec_k(l->cur_codec))
			return false;
		codec_switch(l, pk->codec);
	}
	if (mxp_media_codec_is_frame(pk->codec))
		return fill_frame(l, pk);
	unsigned n = mxp_media_codec_samples(pk->codec, pk->len);
	/* one deferred packet at a time: the one before is decoded now (the fifo is then
	 * below 2 pmax + a frame: the fill stops there) */
	pend_decode(l, pend_rest(l), PEND_PLAY);
	l->play_ts += mxp_media_codec_ts_units(pk->codec, pk->len);
	l->st.played += n;
	slot_dequeue(l, pk);
	/* the packet leaves the slots; the leg keeps its buffer until it is played */
	l->pend_ref = pk->slot->ref;
	l->pend_pl = pk->slot->off | (uint64_t)pk->len << JB_OFF_BITS;
	l->pend_codec = pk->codec;
	l->pend_off = 0;
	pk->slot->ref = NULL;
	if (l->plc.erased != 0) {
		unsigned L = media_plc_fade_len(&l->plc);
		if (L == 0) {
			l->plc.erased = 0;
			return true;
		}
		if (L > n)
			L = n;
		if (pk->codec == MXP_MEDIA_CODEC_G722)
			L = (L + 1) & ~1u;
		/* faded against the whole history, before appending pushes its start out */
		int16_t y[LEG_FADE_MAX(2) + 1];
		decode_part(leg_g722(l), l->pend_codec, pend_payload(l), 0, L, y);
		media_plc_good(&l->plc, leg_samples(l) + l->dcap, y, L);
		memcpy(samples_append(l, L), y, L * sizeof(*y));
		l->fifo_phys = (uint16_t)(l->fifo_phys + L);
		l->pend_off = (uint16_t)L;
		if (L == n)
			pend_release(l);
	}
	return true;
}

/* ---- playout ---------------------------------------------------------------------------- */

/*
 * Time-scaling output that precedes the rest of the fifo during a tick: y of
 * media_tsm_*() in front of the head carried over from the last tick (ptime 10 only).
 */
#define TH_PRE (2 * LEG_PMAX(6))
struct tick_head {
	unsigned off;
	int16_t b[TH_PRE + 2 * LEG_PMAX(6)];
};

/* Take n samples off the front of the fifo. */
static void
fifo_take(struct mxp_media_leg *l, struct tick_head *th, int16_t *out, unsigned n)
{
	while (n > 0) {
		unsigned c;
		if (l->head_len > 0) {
			c = l->head_len < n ? l->head_len : n;
			memcpy(out, th->b + th->off, c * sizeof(*out));
			th->off += c;
			l->head_len = (uint16_t)(l->head_len - c);
		} else if (l->fifo_phys > 0) {
			c = l->fifo_phys < n ? l->fifo_phys : n;
			memcpy(out, leg_samples(l) + l->dcap - l->fifo_phys, c * sizeof(*out));
			l->fifo_phys = (uint16_t)(l->fifo_phys - c);
		} else {
			pend_decode(l, n, PEND_PLAY);
			if (l->fifo_phys == 0)
				break; /* cannot happen: n <= fifo_len() */
			continue;
		}
		out += c;
		n -= c;
	}
}

/* Drop n samples off the front of the fifo (n <= head + fifo_phys). */
static void
fifo_skip(struct mxp_media_leg *l, struct tick_head *th, unsigned n)
{
	unsigned c = l->head_len < n ? l->head_len : n;
	th->off += c;
	l->head_len = (uint16_t)(l->head_len - c);
	l->fifo_phys = (uint16_t)(l->fifo_phys - (n - c));
}

/*
 * Concealment from the history as if the deferred packet had been decoded (it counts as
 * decoded): the real history, then its samples, decoded here on a copy of the decoder
 * state. Only a frame held (ACT_HOLD) while a packet is deferred needs this.
 */
static unsigned
conceal_deferred(struct mxp_media_leg *l, int16_t *out, unsigned n)
{
	enum { CHUNK = 256 };
	int16_t w[2 * 2 * PLC_HIST_LEN + CHUNK];
	unsigned hcap = PLC_HIST_LEN * l->plc.k, wl = l->plc.hist_len;
	struct mxp_media_g722_state g;
	unsigned skip = l->hist_skip;
	unsigned c = l->pend_codec, N = mxp_media_codec_samples(c, pend_len(l));
	const uint8_t *pl = pend_payload(l);

	memcpy(w, leg_samples(l) + l->dcap - wl, wl * sizeof(*w));
	if (c == MXP_MEDIA_CODEC_G722)
		g = *leg_g722(l);
	else
		memset(&g, 0, sizeof(g));
	for (unsigned off = l->pend_off; off < N;) {
		unsigned k = N - off < CHUNK ? N - off : CHUNK;
		if (wl + k > sizeof(w) / sizeof(w[0])) {
			memmove(w, w + wl - hcap, hcap * sizeof(*w));
			wl = hcap;
		}
		int16_t *x = w + wl;
		decode_part(&g, c, pl, off, k, x); /* G.722: k is even (CHUNK, or N - off) */
		off += k;
		unsigned sk = skip < k ? skip : k;
		skip -= sk;
		if (sk > 0) { /* deferred before a forget: not history */
			memmove(w, x + sk, (k - sk) * sizeof(*w));
			wl = k - sk;
		} else {
			wl += k;
		}
	}
	uint16_t saved = l->plc.hist_len;
	l->plc.hist_len = (uint16_t)(wl < hcap ? wl : hcap);
	unsigned nz = media_plc_conceal(&l->plc, w + wl, out, n);
	l->plc.hist_len = saved;
	return nz;
}

/*
 * A frame codec's own concealment (Opus PLC, AMR bad frames) for n samples, when its
 * decoder has one and nothing decoded is waiting (the samples join the history as if
 * decoded). False if it does not apply: lib/media conceals.
 */
static bool
conceal_codec(struct mxp_media_leg *l, int16_t *out, unsigned n, const struct jb_pkt *next)
{
	if (!mxp_media_codec_is_frame(l->cur_codec) || fifo_len(l) != 0 || l->dtx)
		return false;
	const struct leg_xc *x = leg_xc(l, l->cur_codec);
	if (x->ops->conceal == NULL || (l->plc.erased != 0 && !leg_xtab(l)->codec_plc))
		return false;
	/* the packet after the gap may carry the lost one again (Opus in-band FEC): when
	 * these n samples are exactly what is missing before it */
	if (x->ops->conceal_fec != NULL && next != NULL && next->slot != NULL &&
	    next->codec == l->cur_codec && next->ts - l->play_ts == samples_to_ts(l, n) &&
	    x->ops->conceal_fec(x->dec, jb_payload(next->slot), next->len, out, n) == (int)n) {
		memcpy(samples_append(l, n), out, n * sizeof(*out));
		media_plc_add(&l->plc, n);
		leg_xtab(l)->fec++;
		/* decoded, not concealed: an erasure in progress ends at the next packet */
		return true;
	}
	if (x->ops->conceal(x->dec, out, n) != (int)n)
		return false; /* n not a multiple of what the decoder conceals */
	memcpy(samples_append(l, n), out, n * sizeof(*out));
	media_plc_add(&l->plc, n);
	l->plc.erased += n; /* an erasure all the same: idleness counts it */
	leg_xtab(l)->codec_plc = true;
	l->st.concealed += n;
	return true;
}

/* Fill n samples (codec rate) of concealment or silence. */
static void
conceal(struct mxp_media_leg *l, int16_t *out, unsigned n, const struct jb_pkt *next)
{
	if (conceal_codec(l, out, n, next))
		return;
	if (l->xc_off != 0 && leg_xtab(l)->codec_plc) {
		if (l->plc.erased != 0 && mxp_media_codec_is_frame(l->cur_codec)) {
			/* the decoder's erasure goes on where it cannot conceal (a part of its
			 * frame): silence, which its concealment fades to anyway */
			memset(out, 0, n * sizeof(*out));
			l->plc.erased += n;
			l->st.silence += n;
			return;
		}
		leg_xtab(l)->codec_plc = false; /* that erasure is over: lib/media conceals */
	}
	if (l->dtx) {
		memset(out, 0, n * sizeof(*out));
		media_plc_forget(&l->plc);
		l->hist_skip = (uint16_t)pend_rest(l); /* deferred samples precede the forget */
		l->st.silence += n;
		return;
	}
	unsigned nz = pend_rest(l) > l->hist_skip ?
			      conceal_deferred(l, out, n) :
			      media_plc_conceal(&l->plc, leg_samples(l) + l->dcap, out, n);
	l->st.concealed += nz;
	l->st.silence += n - nz;
}

enum tick_action { ACT_NONE, ACT_HOLD, ACT_DROP, ACT_EXPAND, ACT_ACCEL };

/*
 * General playout: n samples at the codec rate into out, taking decoded samples from the
 * fifo, concealing gaps, applying the adaptation action.
 */
static void
produce(struct mxp_media_leg *l, int16_t *out, unsigned n, enum tick_action act, int64_t grow)
{
	unsigned o = 0;
	struct tick_head th;

	if (act == ACT_HOLD) {
		/* play concealment/silence without consuming: the buffer grows by a frame */
		conceal(l, out, n, NULL);
		l->st.expanded += n;
		return;
	}
	th.off = TH_PRE;
	if (l->head_len > 0)
		memcpy(th.b + th.off, leg_head(l), l->head_len * sizeof(int16_t));
	if (act == ACT_DROP) {
		/* silence: skip one frame of input (decoded for G.722 state continuity) */
		struct jb_pkt pk;
		const struct jb_pkt *s = next_slot(l, &pk);
		if (s->slot != NULL && s->ts == l->play_ts && fifo_len(l) == 0) {
			if (s->codec != l->cur_codec)
				codec_switch(l, s->codec);
			unsigned d;
			if (mxp_media_codec_is_frame(s->codec)) {
				/* decoded for the decoder's state, like G.722 */
				int16_t y[FRAME_PKT_MAX];
				int64_t ts;
				d = frame_decode(l, s, y, FRAME_PKT_MAX, &ts);
				l->play_ts += ts;
			} else {
				d = mxp_media_codec_samples(s->codec, s->len);
				if (s->codec == MXP_MEDIA_CODEC_G722)
					g722_skip(l, jb_payload(s->slot), 0, s->len);
				l->play_ts += mxp_media_codec_ts_units(s->codec, s->len);
			}
			slot_consume(l, &pk);
			l->st.accelerated += d;
			media_plc_forget(&l->plc);
		}
	}
	if (act == ACT_EXPAND || act == ACT_ACCEL) {
		/* time-scale by one period of 2.5-10 ms found in the upcoming samples */
		unsigned k = leg_rate(l) / 8000, pmin = 20 * k, pmax = LEG_PMAX(k);
		struct jb_pkt pk;
		while (fifo_len(l) < 2 * pmax + n && next_slot(l, &pk)->slot != NULL &&
		       pk.ts == l->play_ts)
			if (!fifo_fill(l, &pk))
				break;
		if (fifo_len(l) >= 2 * pmax) {
			int16_t x[2 * LEG_PMAX(6)], y[2 * LEG_PMAX(6)];
			unsigned h = l->head_len, phys = h + l->fifo_phys;
			if (phys < 2 * pmax)
				pend_decode(l, 2 * pmax - phys, PEND_PLAY);
			unsigned c = h < 2 * pmax ? h : 2 * pmax;
			memcpy(x, th.b + th.off, c * sizeof(*x));
			memcpy(x + c, leg_samples(l) + l->dcap - l->fifo_phys,
			       (2 * pmax - c) * sizeof(*x));
			unsigned p, m;
			if (act == ACT_EXPAND) {
				p = media_tsm_expand(x, y, pmin, pmax);
				m = 2 * p;
				fifo_skip(l, &th, p);
				l->st.expanded += p;
			} else {
				p = media_tsm_accelerate(x, y, pmin, pmax);
				m = p;
				fifo_skip(l, &th, 2 * p);
				l->st.accelerated += p;
			}
			th.off -= m;
			memcpy(th.b + th.off, y, m * sizeof(*y));
			l->head_len = (uint16_t)(l->head_len + m);
		}
	}
	while (o < n) {
		unsigned fl = fifo_len(l);
		if (fl > 0) {
			unsigned k = fl < n - o ? fl : n - o;
			fifo_take(l, &th, out + o, k);
			o += k;
			continue;
		}
		struct jb_pkt pk;
		const struct jb_pkt *s = next_slot(l, &pk);
		while (s->slot != NULL && s->ts < l->play_ts) {
			/* stale: overlaps what was already played (after a skip) */
			slot_consume(l, &pk);
			l->st.rx[MXP_MEDIA_RX_LATE]++;
			next_slot(l, &pk);
		}
		if (s->slot != NULL && s->ts == l->play_ts) {
			if (!fifo_fill(l, &pk))
				break;
			continue;
		}
		/* gap: conceal up to the next packet or the end of the frame */
		unsigned want = (unsigned)samples_to_ts(l, n - o);
		int64_t gap = s->slot != NULL ? s->ts - l->play_ts : INT64_MAX;
		unsigned k = gap < (int64_t)want ? (unsigned)gap : want;
		if (k == 0)
			k = want ? want : 1;
		/* samples of k units, rounded up (Opus: 3 units a sample at 16 kHz) */
		unsigned ks = (unsigned)(((int64_t)k * leg_rate(l) + leg_clock(l) - 1) /
					 leg_clock(l));
		if (ks > n - o)
			ks = n - o;
		/* (FEC only when the missing packet is given up on, not while waiting for it) */
		bool wait = grow > 0 && (s->slot == NULL || s->seq != l->next_seq);
		conceal(l, out + o, ks, wait ? NULL : s);
		if (grow > 0 && (s->slot == NULL || s->seq != l->next_seq)) {
			/* the packet due is missing and the buffer is below its target: wait
			 * for it (expand) instead of skipping it */
			grow -= k < grow ? (int64_t)k : grow;
			l->st.expanded += ks;
		} else {
			l->play_ts += k;
		}
		o += ks;
	}
	if (o < n)
		memset(out + o, 0, (n - o) * sizeof(*out));
	if (l->head_len > 0) {
		/* only at ptime 10: at most 2 pmax - n samples, the head's size */
		if (l->head_off == 0)
			l->head_len = 0; /* cannot happen */
		memcpy(leg_head(l), th.b + th.off, l->head_len * sizeof(int16_t));
	}
}

/* Splice the new frame onto the last output sample: ramp the offset away over 2 ms. */
static void
declick(struct mxp_media_leg *l, int16_t *x, unsigned n, unsigned rate)
{
	int32_t d = (int32_t)l->last_out - x[0];
	unsigned L = rate / 500;
	if (L > n)
		L = n;
	for (unsigned i = 0; i < L; i++) {
		int32_t v = x[i] + d * (int32_t)(L - i) / (int32_t)L;
		x[i] = (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
	}
	l->declick = false;
}

static void
vad_update(struct mxp_media_leg *l, uint8_t level)
{
	l->level = level;
	if (level <= l->vad_threshold)
		l->hang = l->hang_ticks;
	else if (l->hang > 0)
		l->hang--;
	l->speaking = l->hang > 0;
	/* smoothed loudness: fast attack, slow release */
	int32_t loud = (127 - (int32_t)level) << 8;
	if (loud > l->loud_q8)
		l->loud_q8 += (loud - l->loud_q8) / 2;
	else
		l->loud_q8 += (loud - l->loud_q8) / 8;
}

/* This tick's frame, resampled to the mix rate into the frame the mixer lent. */
static void
post_frame(struct mxp_media_leg *l, const int16_t *pcm, unsigned n, const struct leg_tick_ctx *c)
{
	unsigned from = codec_k(l->cur_codec), to = c->mix_rate / 8000;
	if (l->rs_from != from || l->rs_to != to) {
		l->rs_from = (uint8_t)from;
		l->rs_to = (uint8_t)to;
		memset(leg_rs(l), 0, media_rs_hist_len(8000 * from, c->mix_rate) * sizeof(int16_t));
		l->declick = true;
	}
	unsigned m = media_rs_run(leg_rs(l), 8000 * from, c->mix_rate, c->frame, pcm, n);
	if (l->declick)
		declick(l, c->frame, m, c->mix_rate);
	l->last_out = c->frame[m - 1];
	l->frame = c->frame_idx;
	l->frame_ok = true;
}

bool
media_leg_idle(const struct mxp_media_leg *l)
{
	/* a cascade leg's slot is pinned: it does not keep the leg on the active list */
	return l->n_buffered == 0 && fifo_len(l) == 0 && !l->speaking &&
	       (l->talker_slot < 0 || l->cascade) &&
	       (l->plc.erased >= 60u * 8u * l->plc.k || l->plc.hist_len == 0 || l->dtx ||
		!l->anchored);
}

static void
go_quiet(struct mxp_media_leg *l)
{
	l->frame_ok = false;
	l->level = 127;
	vad_update(l, 127);
}

void
media_leg_tick(struct mxp_media_leg *l, const struct leg_tick_ctx *c)
{
	int16_t pcm[MXP_MEDIA_MAX_FRAME] __attribute__((aligned(64)));
	unsigned n_s;

	l->frame_ok = false;
	l->eligible = false;
	if (!l->have_stream || (!l->anchored && l->n_buffered == 0)) {
		go_quiet(l);
		return;
	}
	uint32_t clock = leg_clock(l);
	int64_t nts = now_ts(c->now_us, clock);
	if (c->skipped && l->anchored) {
		/* the worker missed ticks: drop that audio rather than play it late */
		l->play_ts += (int64_t)c->skipped * l->n_ts;
		fifo_drop(l);
	}
	struct jb_pkt pk = { 0 }; /* next_slot() fills it when it finds one; -O3 cannot tell */
	if (!l->anchored) {
		const struct jb_pkt *f = next_slot(l, &pk);
		if (f->slot == NULL) {
			go_quiet(l);
			return;
		}
		int64_t want = nts - target_offset(l);
		int64_t k = f->ts > want ? (f->ts - want + l->n_ts - 1) / l->n_ts : 0;
		l->play_ts = f->ts - k * l->n_ts;
		l->next_seq = f->seq;
		l->anchored = true;
		fifo_clear(l);
		media_plc_forget(&l->plc);
	}

	/* a payload type change to a codec of another rate switches at the frame start */
	const struct jb_pkt *s = next_slot(l, &pk);
	if (fifo_len(l) == 0 && s->slot != NULL && s->ts <= l->play_ts && s->codec != l->cur_codec)
		codec_switch(l, s->codec);
	n_s = l->ptime_ms * leg_rate(l) / 1000;

	/*
	 * Adaptation. Whether the packet due is in time depends on the decode position
	 * play_ts (a packet is decoded whole, at the tick its first sample is needed), so
	 * the error is measured there: err = (now - play_ts) - target. Below zero the
	 * buffer grows: a missing packet is waited for (concealment without advancing),
	 * silence gets an inserted frame, speech gets pitch periods inserted until a whole
	 * frame has accumulated. Above one frame plus the margin it shrinks: a silent
	 * frame is dropped, or pitch periods are removed from speech. The dead zone of one
	 * frame keeps the two from alternating.
	 * A packet longer than the frame (60 ms into a 20 ms conference) leaves samples in
	 * the fifo: when they fill the frame, the packet due is not needed this tick and
	 * the error is measured at the position playing, where it will be. A silent
	 * packet longer than the excess is not dropped whole (the buffer would then be
	 * short by the rest): pitch periods are removed instead.
	 */
	int64_t playing = l->play_ts - samples_to_ts(l, fifo_len(l));
	int64_t target = target_offset(l);
	int64_t offset = nts - (samples_to_ts(l, fifo_len(l)) >= l->n_ts ? playing : l->play_ts);
	int64_t err = offset - target;
	int64_t margin = MS_TO_TS(l->margin_ms, clock);
	bool have_now = fifo_len(l) > 0 || (s->slot != NULL && s->ts <= l->play_ts);
	bool in_speech = l->speaking;
	enum tick_action act = ACT_NONE;

	int64_t tms = (target - (l->transit_base + l->win_min)) * 1000 / clock;
	int64_t dms = l->max_ts_end > playing ? (l->max_ts_end - playing) * 1000 / clock : 0;
	l->st.target_ms = (uint16_t)(tms < 0 ? 0 : (tms > UINT16_MAX ? UINT16_MAX : tms));
	l->st.depth_ms = (uint16_t)(dms > UINT16_MAX ? UINT16_MAX : dms);
	if (err < 0 && have_now) {
		if (!in_speech)
			act = ACT_HOLD;
		else if (samples_to_ts(l, fifo_len(l)) < l->n_ts)
			act = ACT_EXPAND;
	} else if (err > (int64_t)l->n_ts + margin && have_now) {
		act = in_speech ? ACT_ACCEL : ACT_DROP;
		if (act == ACT_DROP && s->slot != NULL && pkt_ts_units(l, s) > err - margin)
			act = ACT_ACCEL;
	}

	/* fast path: one G.711 packet exactly covering the frame, nothing pending */
	if (act == ACT_NONE && fifo_len(l) == 0 && s->slot != NULL && s->ts == l->play_ts &&
	    (s->codec == MXP_MEDIA_CODEC_PCMU || s->codec == MXP_MEDIA_CODEC_PCMA) &&
	    s->len == n_s && s->codec == l->cur_codec && l->plc.erased == 0 && !l->declick) {
		/*
		 * rx gave every one-frame G.711 packet its level (RFC 6464, or measured
		 * there: media_level_from_energy() is at most 127), and this path takes only
		 * those: s->len == n_s here is the n_ts rx compared with, since a G.711
		 * stream's n_ts is ptime x 8 and a change of it restarts the stream, which
		 * empties the slots. So the payload is not read for the level.
		 */
		uint8_t lv = s->slot->level;
		assert(lv <= 127);
		vad_update(l, lv);
		if (l->speaking || l->talker_slot >= 0) {
			const uint8_t *pl = jb_payload(s->slot); /* read only when decoded */
			int16_t *x = samples_append(l, s->len);
			decode_part(leg_g722(l), s->codec, pl, 0, s->len, x);
			media_plc_good(&l->plc, x, x, s->len); /* no erasure to end here */
			post_frame(l, x, s->len, c);
		} else {
			media_plc_forget(&l->plc);
		}
		l->play_ts += s->len;
		l->st.played += s->len;
		slot_consume(l, &pk);
	} else {
		produce(l, pcm, n_s, act, err < 0 ? -err : 0);
		uint8_t lv = media_level_from_energy(c->ops->energy(pcm, n_s & ~15u), n_s & ~15u);
		vad_update(l, lv);
		post_frame(l, pcm, n_s, c);
	}
	if (l->ev_active && c->now_us >= l->ev_until_us)
		l->ev_active = false;
	l->eligible = l->frame_ok && l->speaking && !l->muted &&
		      mxp_stream_mode_sends(l->mode) &&
		      !l->ev_active;
	if (media_leg_idle(l))
		l->anchored = false;
}
