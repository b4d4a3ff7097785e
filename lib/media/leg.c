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
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

static unsigned
pow2ceil(unsigned v)
{
	unsigned p = 1;
	while (p < v)
		p <<= 1;
	return p;
}

static void
params_defaults(struct mxp_media_leg_params *p)
{
	if (p->ptime_ms == 0)
		p->ptime_ms = 20;
	if (p->max_delay_ms == 0)
		p->max_delay_ms = 300;
	if (p->margin_ms == 0)
		p->margin_ms = 5;
	if (p->max_payload == 0)
		p->max_payload = 320;
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
	if (p->max_payload > 1280 || p->max_delay_ms > 2000) {
		snprintf(err, errlen, "max_payload (<= 1280) or max_delay_ms (<= 2000) too large");
		return -EINVAL;
	}
	if (p->n_pt == 0 || p->n_pt > MXP_MEDIA_MAX_PT) {
		snprintf(err, errlen, "need 1..%d audio payload types", MXP_MEDIA_MAX_PT);
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->n_pt; i++) {
		if (p->pt_map[i].pt > 127 || p->pt_map[i].codec == MXP_MEDIA_CODEC_NONE ||
		    p->pt_map[i].codec >= MXP_MEDIA_CODEC_COUNT) {
			snprintf(err, errlen, "payload type map entry %u invalid", i);
			return -EINVAL;
		}
		if (p->event_pt == p->pt_map[i].pt || p->cn_pt == p->pt_map[i].pt) {
			snprintf(err, errlen, "payload type %u used twice", p->pt_map[i].pt);
			return -EINVAL;
		}
	}
	if (p->out_codec == MXP_MEDIA_CODEC_NONE || p->out_codec >= MXP_MEDIA_CODEC_COUNT) {
		snprintf(err, errlen, "out_codec invalid");
		return -EINVAL;
	}
	if (p->mode > MXP_MEDIA_MODE_INACTIVE) {
		snprintf(err, errlen, "mode invalid");
		return -EINVAL;
	}
	return 0;
}

struct leg_layout {
	size_t head, slots, fifo, total;
	unsigned n_slots, stride, fifo_cap;
};

static void
layout(const struct mxp_media_leg_params *p, struct leg_layout *lo)
{
	unsigned maxs = 0;
	for (unsigned i = 0; i < p->n_pt; i++) {
		unsigned s = mxp_media_codec_samples(p->pt_map[i].codec, p->max_payload);
		maxs = s > maxs ? s : maxs;
	}
	lo->n_slots = pow2ceil((p->max_delay_ms + 4u * p->ptime_ms) / p->ptime_ms);
	lo->stride = sizeof(struct jb_slot);
	lo->fifo_cap = 2 * maxs + MXP_MEDIA_MAX_FRAME + 2 * 2 * PLC_PITCH_MAX;
	lo->head = MEDIA_ALIGN(sizeof(struct mxp_media_leg), MEDIA_CACHE_LINE);
	lo->slots = (size_t)lo->n_slots * lo->stride;
	lo->fifo = MEDIA_ALIGN((size_t)lo->fifo_cap * sizeof(int16_t), MEDIA_CACHE_LINE);
	lo->total = lo->head + lo->slots + lo->fifo;
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

static inline void
ref_release(const struct mxp_media_leg *l, struct jb_slot *s)
{
	void *ref = s->ref;
	s->ref = NULL;
	if (l->p.release != NULL)
		l->p.release(ref, l->p.release_arg);
}

static void
stream_reset(struct mxp_media_leg *l)
{
	for (uint32_t i = 0; i < l->n_slots && l->n_buffered > 0; i++) {
		struct jb_slot *s = (struct jb_slot *)(l->slots + (size_t)i * l->slot_stride);
		if (s->ref != NULL) {
			ref_release(l, s);
			l->n_buffered--;
		}
	}
	l->n_buffered = 0;
	l->fifo_len = 0;
	l->have_stream = false;
	l->anchored = false;
	l->have_transit = false;
	l->recv_mask = 0;
	for (int i = 0; i < JB_BUCKETS; i++) {
		l->bmax[i] = INT64_MIN;
		l->bmin[i] = INT64_MAX;
	}
	l->win_max = INT64_MIN;
	l->win_min = INT64_MAX;
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
	memset(l, 0, lo.head);
	l->p = p;
	l->mix_idx = -1;
	l->act_idx = -1;
	l->mode = p.mode;
	l->out_codec = p.out_codec;
	l->n_slots = lo.n_slots;
	l->slot_mask = lo.n_slots - 1;
	l->slot_stride = lo.stride;
	l->slots = (uint8_t *)l + lo.head;
	l->fifo = (int16_t *)((uint8_t *)l + lo.head + lo.slots);
	l->fifo_cap = lo.fifo_cap;
	l->wideband = mxp_media_codec_rate(p.out_codec) == 16000;
	for (unsigned i = 0; i < p.n_pt; i++)
		l->wideband |= mxp_media_codec_rate(p.pt_map[i].codec) == 16000;
	l->cur_codec = p.pt_map[0].codec;
	l->rate = mxp_media_codec_rate(l->cur_codec);
	l->clock = mxp_media_codec_clock(l->cur_codec);
	l->n_ts = (uint32_t)MS_TO_TS(p.ptime_ms, l->clock);
	mxp_media_g722_init(&l->g722);
	media_plc_reset(&l->plc, l->rate);
	mxp_media_rs_init(&l->rs_in, l->rate, l->rate);
	l->hang_ticks = (uint16_t)((p.hangover_ms + p.ptime_ms - 1) / p.ptime_ms);
	l->level = 127;
	l->talker_slot = -1;
	l->frame = MEDIA_NO_FRAME;
	memset(l->slots, 0, (size_t)l->n_slots * l->slot_stride);
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
	return l->p.id;
}

void *
mxp_media_leg_opaque(const struct mxp_media_leg *l)
{
	return l->p.opaque;
}

unsigned
mxp_media_leg_out_rate(const struct mxp_media_leg *l)
{
	return mxp_media_codec_rate(l->out_codec);
}

int
mxp_media_leg_talker_slot(const struct mxp_media_leg *l)
{
	return l->talker_slot;
}

void
mxp_media_leg_set_mode(struct mxp_media_leg *l, enum mxp_media_mode mode)
{
	if (mode > MXP_MEDIA_MODE_INACTIVE || mode == l->mode)
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
	if (c == MXP_MEDIA_CODEC_NONE || c >= MXP_MEDIA_CODEC_COUNT || c == l->out_codec)
		return;
	if (l->mixer != NULL)
		media_mixer_leg_update(l->mixer, l, -1);
	l->out_codec = (uint8_t)c;
	if (mxp_media_codec_rate(c) == 16000)
		l->wideband = true;
	if (l->mixer != NULL)
		media_mixer_leg_update(l->mixer, l, +1);
}

void
mxp_media_leg_stats_get(const struct mxp_media_leg *l, struct mxp_media_leg_stats *st)
{
	*st = l->st;
	st->level = l->level;
	st->speaking = l->speaking;
	st->talker = l->talker_slot >= 0;
	st->jitter = l->jitter_q4 >> 4;
	st->buffered = l->n_buffered;
}

/* ---- receive ---------------------------------------------------------------------------- */

static inline struct jb_slot *
slot_at(const struct mxp_media_leg *l, uint32_t seq)
{
	return (struct jb_slot *)(l->slots + (size_t)(seq & l->slot_mask) * l->slot_stride);
}

static inline int64_t
now_ts(uint64_t now_us, uint32_t clock)
{
	return (int64_t)(now_us * clock / 1000000u);
}

static void
transit_update(struct mxp_media_leg *l, int64_t transit, uint64_t now_us)
{
	uint64_t b = now_us >> 20;

	if (!l->have_transit) {
		l->have_transit = true;
		l->bucket = b;
		l->last_transit = transit;
	}
	if (b != l->bucket) {
		uint64_t adv = b - l->bucket;
		if (b < l->bucket || adv >= JB_BUCKETS)
			adv = JB_BUCKETS;
		for (uint64_t i = 1; i <= adv; i++) {
			unsigned k = (unsigned)((l->bucket + i) % JB_BUCKETS);
			l->bmax[k] = INT64_MIN;
			l->bmin[k] = INT64_MAX;
		}
		l->bucket = b;
		l->win_max = INT64_MIN;
		l->win_min = INT64_MAX;
		for (int i = 0; i < JB_BUCKETS; i++) {
			l->win_max = l->bmax[i] > l->win_max ? l->bmax[i] : l->win_max;
			l->win_min = l->bmin[i] < l->win_min ? l->bmin[i] : l->win_min;
		}
	}
	unsigned k = (unsigned)(b % JB_BUCKETS);
	if (transit > l->bmax[k])
		l->bmax[k] = transit;
	if (transit < l->bmin[k])
		l->bmin[k] = transit;
	if (transit > l->win_max)
		l->win_max = transit;
	if (transit < l->win_min)
		l->win_min = transit;
	/* RFC 3550 A.8 interarrival jitter */
	int64_t d = transit - l->last_transit;
	if (d < 0)
		d = -d;
	if (d > 1 << 24)
		d = 1 << 24;
	l->jitter_q4 += (uint32_t)d - ((l->jitter_q4 + 8) >> 4);
	l->last_transit = transit;
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
	uint16_t dur = (uint16_t)(b[2] << 8 | b[3]);

	/* keep the leg's audio out of the mix while the event lasts (in-band leakage) */
	l->ev_until_us = now_us + (end ? 20000u : 80000u);
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
	uint32_t clock = mxp_media_codec_clock(codec);

	stream_reset(l);
	l->have_stream = true;
	l->ssrc = pkt->ssrc;
	if (clock != l->clock) {
		l->clock = clock;
		l->n_ts = (uint32_t)MS_TO_TS(l->p.ptime_ms, clock);
	}
	if (mxp_media_codec_clock(l->cur_codec) != clock)
		codec_switch(l, codec); /* keeps rate / clock in {1, 2} */
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
}

enum mxp_media_rx_result
mxp_media_leg_rx(struct mxp_media_leg *l, const struct mxp_media_pkt *pkt, uint64_t now_us,
		 struct mxp_media_event *ev)
{
	enum mxp_media_rx_result r = MXP_MEDIA_RX_AUDIO;

	if (ev != NULL)
		ev->type = MXP_MEDIA_EVENT_NONE;
	if (l->mode == MXP_MEDIA_MODE_RECVONLY || l->mode == MXP_MEDIA_MODE_INACTIVE) {
		r = MXP_MEDIA_RX_NOT_SENDING;
		goto out;
	}
	if (l->p.event_pt >= 0 && pkt->pt == l->p.event_pt) {
		r = rx_event(l, pkt, now_us, ev);
		goto out;
	}
	if (l->p.cn_pt >= 0 && pkt->pt == l->p.cn_pt) {
		l->dtx = true;
		r = MXP_MEDIA_RX_CN;
		goto out;
	}
	uint8_t codec = MXP_MEDIA_CODEC_NONE;
	for (unsigned i = 0; i < l->p.n_pt; i++)
		if (l->p.pt_map[i].pt == pkt->pt)
			codec = l->p.pt_map[i].codec;
	if (codec == MXP_MEDIA_CODEC_NONE) {
		r = MXP_MEDIA_RX_UNKNOWN_PT;
		goto out;
	}
	unsigned dur = mxp_media_codec_ts_units(codec, pkt->len);
	/* the slot keeps payload - ref in 48 bits (any two user-space pointers) */
	int64_t poff = (int64_t)((uintptr_t)pkt->payload - (uintptr_t)pkt->ref);
	if (pkt->len == 0 || pkt->len > l->p.max_payload || dur == 0 ||
	    ((codec == MXP_MEDIA_CODEC_L16_8K || codec == MXP_MEDIA_CODEC_L16_16K) &&
	     (pkt->len & 1)) ||
	    pkt->ref == NULL || poff >= (int64_t)1 << (JB_OFF_BITS - 1) ||
	    poff < -((int64_t)1 << (JB_OFF_BITS - 1))) {
		r = MXP_MEDIA_RX_BAD_PAYLOAD;
		goto out;
	}
	uint32_t clock = mxp_media_codec_clock(codec);
	int64_t nts = now_ts(now_us, clock);
	uint32_t seq;
	int64_t ts;

	if (!l->have_stream || pkt->ssrc != l->ssrc || clock != l->clock) {
		if (l->have_stream)
			r = MXP_MEDIA_RX_RESYNC;
		stream_start(l, pkt, codec);
	}
	seq = l->max_seq + (uint32_t)(int32_t)(int16_t)(pkt->seq - (uint16_t)l->max_seq);
	ts = l->max_ts + (int32_t)(pkt->ts - (uint32_t)l->max_ts);
	{
		/* a jump of the sequence number or of the transit time far beyond any jitter
		 * is a restart of the sender's stream (or its clock): resynchronise */
		int32_t dseq = (int32_t)(seq - l->max_seq);
		int64_t jump = l->have_transit ? (nts - ts) - l->last_transit : 0;
		int64_t lim = MS_TO_TS(l->p.max_delay_ms + 100, clock);
		if (dseq > 1000 || dseq < -1000 || jump > lim || jump < -lim ||
		    (int64_t)(seq - l->next_seq) >= (int64_t)l->n_slots) {
			/* one packet far off is an outlier (a very late packet); two in a row
			 * with the same offset are a restart */
			int64_t jt = nts - ts;
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
	transit_update(l, nts - ts, now_us);
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
		/* an unplayed packet a whole buffer away: only when a packet reordered before
		 * playout started moved next_seq down by more than the free slots */
		ref_release(l, s);
		l->n_buffered--;
	}
	s->ref = pkt->ref;
	s->off_seq = ((uint64_t)poff & (((uint64_t)1 << JB_OFF_BITS) - 1)) |
		     (uint64_t)(uint16_t)seq << JB_OFF_BITS;
	s->ts = (uint32_t)ts;
	s->len = pkt->len;
	s->codec = (uint8_t)(codec | (pkt->marker ? JB_MARKER : 0));
	s->level = pkt->level <= 127 ? pkt->level : MXP_MEDIA_LEVEL_NONE;
	l->n_buffered++;
	l->dtx = false;
	if (l->act_idx < 0 && l->mixer != NULL)
		media_mixer_activate(l->mixer, l);
out:
	l->st.rx[r]++;
	return r;
}

/* ---- playout ---------------------------------------------------------------------------- */

/* A buffered packet as playout sees it: its slot and the extended sequence number and
 * timestamp (the slot keeps their low halves). */
struct jb_pkt {
	struct jb_slot *slot; /* NULL: no packet */
	int64_t ts;
	uint32_t seq;
	uint16_t len;
	uint8_t codec;
};

/* Lowest buffered packet at or after next_seq (pk->slot NULL if none). */
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

/* The packet leaves the buffer: counted, and its buffer returned to the caller. */
static inline void
slot_consume(struct mxp_media_leg *l, struct jb_pkt *pk)
{
	if (pk->seq > l->next_seq)
		l->st.lost += pk->seq - l->next_seq;
	l->next_seq = pk->seq + 1;
	ref_release(l, pk->slot);
	pk->slot = NULL;
	l->n_buffered--;
}

static int64_t
target_offset(const struct mxp_media_leg *l)
{
	int64_t margin = MS_TO_TS(l->p.margin_ms, l->clock);
	int64_t maxd = MS_TO_TS(l->p.max_delay_ms, l->clock);
	int64_t t = l->win_max + margin;
	if (t < l->win_min + margin)
		t = l->win_min + margin;
	if (t > l->win_min + maxd)
		t = l->win_min + maxd;
	return t;
}

/* Switch decoding to codec c (payload type change within the leg). */
static void
codec_switch(struct mxp_media_leg *l, uint8_t c)
{
	uint32_t rate = mxp_media_codec_rate(c);
	if (c == MXP_MEDIA_CODEC_G722)
		mxp_media_g722_init(&l->g722);
	if (rate != l->rate) {
		l->rate = rate;
		media_plc_reset(&l->plc, rate);
		l->fifo_len = 0;
	}
	l->cur_codec = c;
	l->declick = true;
}

/* Decode a packet, appending to the fifo (or to scratch when out == NULL). */
static unsigned
decode_into(struct mxp_media_leg *l, const struct jb_pkt *pk, int16_t *out)
{
	const uint8_t *pl = jb_payload(pk->slot);
	switch (pk->codec) {
	case MXP_MEDIA_CODEC_PCMU:
		mxp_media_ulaw_decode(out, pl, pk->len);
		return pk->len;
	case MXP_MEDIA_CODEC_PCMA:
		mxp_media_alaw_decode(out, pl, pk->len);
		return pk->len;
	case MXP_MEDIA_CODEC_G722:
		return mxp_media_g722_decode(&l->g722, out, pl, pk->len);
	default:
		mxp_media_l16_decode(out, pl, pk->len / 2u);
		return pk->len / 2u;
	}
}

/* Decode the packet at play_ts into the fifo; false if there is none. */
static bool
fifo_fill(struct mxp_media_leg *l, struct jb_pkt *pk)
{
	if (pk->codec != l->cur_codec) {
		/* a change of sample rate happens only at a frame start (media_leg_tick) */
		if (mxp_media_codec_rate(pk->codec) != l->rate)
			return false;
		codec_switch(l, pk->codec);
	}
	unsigned n = mxp_media_codec_samples(pk->codec, pk->len);
	if (l->fifo_len + n > l->fifo_cap)
		return false;
	int16_t *dst = l->fifo + l->fifo_len;
	n = decode_into(l, pk, dst);
	media_plc_good(&l->plc, dst, n);
	l->fifo_len += n;
	l->play_ts += mxp_media_codec_ts_units(pk->codec, pk->len);
	l->st.played += n;
	slot_consume(l, pk);
	return true;
}

static inline void
fifo_take(struct mxp_media_leg *l, int16_t *out, unsigned n)
{
	memcpy(out, l->fifo, n * sizeof(*out));
	l->fifo_len -= n;
	memmove(l->fifo, l->fifo + n, l->fifo_len * sizeof(*out));
}

/* Fill n samples (codec rate) of concealment or silence. */
static void
conceal(struct mxp_media_leg *l, int16_t *out, unsigned n)
{
	if (l->dtx) {
		memset(out, 0, n * sizeof(*out));
		media_plc_forget(&l->plc);
		l->st.silence += n;
		return;
	}
	unsigned nz = media_plc_conceal(&l->plc, out, n);
	l->st.concealed += nz;
	l->st.silence += n - nz;
}

enum tick_action { ACT_NONE, ACT_HOLD, ACT_DROP, ACT_EXPAND, ACT_ACCEL };

/*
 * General playout: n samples at the codec rate into out, decoding packets through the
 * fifo, concealing gaps, applying the adaptation action.
 */
static void
produce(struct mxp_media_leg *l, int16_t *out, unsigned n, enum tick_action act, int64_t grow)
{
	unsigned r = l->rate / l->clock; /* samples per timestamp unit: 1 or 2 */
	unsigned o = 0;

	if (act == ACT_HOLD) {
		/* play concealment/silence without consuming: the buffer grows by a frame */
		conceal(l, out, n);
		l->st.expanded += n;
		return;
	}
	if (act == ACT_DROP) {
		/* silence: skip one frame of input (decoded for G.722 state continuity) */
		struct jb_pkt pk;
		const struct jb_pkt *s = next_slot(l, &pk);
		if (s->slot != NULL && s->ts == l->play_ts && l->fifo_len == 0 &&
		    mxp_media_codec_samples(s->codec, s->len) <= l->fifo_cap) {
			if (s->codec != l->cur_codec)
				codec_switch(l, s->codec);
			unsigned d = decode_into(l, &pk, l->fifo);
			l->play_ts += mxp_media_codec_ts_units(s->codec, s->len);
			slot_consume(l, &pk);
			l->st.accelerated += d;
			media_plc_forget(&l->plc);
		}
	}
	if (act == ACT_EXPAND || act == ACT_ACCEL) {
		/* time-scale by one period of 2.5-10 ms found in the upcoming samples */
		unsigned pmin = 20 * (l->rate / 8000), pmax = 80 * (l->rate / 8000);
		struct jb_pkt pk;
		while (l->fifo_len < 2 * pmax + n && next_slot(l, &pk)->slot != NULL &&
		       pk.ts == l->play_ts)
			if (!fifo_fill(l, &pk))
				break;
		if (act == ACT_EXPAND) {
			unsigned add = media_tsm_expand(l->fifo, l->fifo_len, l->fifo_cap, pmin, pmax);
			l->fifo_len += add;
			l->st.expanded += add;
		} else {
			unsigned rm = media_tsm_accelerate(l->fifo, l->fifo_len, pmin, pmax);
			l->fifo_len -= rm;
			l->st.accelerated += rm;
		}
	}
	while (o < n) {
		if (l->fifo_len > 0) {
			unsigned k = l->fifo_len < n - o ? l->fifo_len : n - o;
			fifo_take(l, out + o, k);
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
		unsigned want = (n - o) / r;
		int64_t gap = s->slot != NULL ? s->ts - l->play_ts : INT64_MAX;
		unsigned k = gap < (int64_t)want ? (unsigned)gap : want;
		if (k == 0)
			k = want ? want : 1;
		unsigned ks = k * r > n - o ? n - o : k * r;
		conceal(l, out + o, ks);
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
	if (level <= l->p.vad_threshold)
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

static void
post_frame(struct mxp_media_leg *l, int16_t *pcm, unsigned n, const struct leg_tick_ctx *c)
{
	if (l->rs_in.from != l->rate || l->rs_in.to != c->mix_rate) {
		mxp_media_rs_init(&l->rs_in, l->rate, c->mix_rate);
		l->declick = true;
	}
	unsigned m = mxp_media_rs_run(&l->rs_in, c->frame, pcm, n);
	if (l->declick)
		declick(l, c->frame, m, c->mix_rate);
	l->last_out = c->frame[m - 1];
	l->frame = c->frame_idx;
	l->frame_ok = true;
}

bool
media_leg_idle(const struct mxp_media_leg *l)
{
	return l->n_buffered == 0 && l->fifo_len == 0 && !l->speaking && l->talker_slot < 0 &&
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
	int16_t pcm[2 * MXP_MEDIA_MAX_FRAME] __attribute__((aligned(64)));
	unsigned n_s;

	l->frame_ok = false;
	l->eligible = false;
	if (!l->have_stream || (!l->anchored && l->n_buffered == 0)) {
		go_quiet(l);
		return;
	}
	int64_t nts = now_ts(c->now_us, l->clock);
	if (c->skipped && l->anchored) {
		/* the worker missed ticks: drop that audio rather than play it late */
		l->play_ts += (int64_t)c->skipped * l->n_ts;
		l->fifo_len = 0;
	}
	struct jb_pkt pk;
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
		l->fifo_len = 0;
		media_plc_forget(&l->plc);
	}

	/* a payload type change to a codec of another rate switches at the frame start */
	const struct jb_pkt *s = next_slot(l, &pk);
	if (l->fifo_len == 0 && s->slot != NULL && s->ts <= l->play_ts && s->codec != l->cur_codec)
		codec_switch(l, s->codec);
	n_s = l->p.ptime_ms * l->rate / 1000;

	/*
	 * Adaptation. Whether the packet due is in time depends on the decode position
	 * play_ts (a packet is decoded whole, at the tick its first sample is needed), so
	 * the error is measured there: err = (now - play_ts) - target. Below zero the
	 * buffer grows: a missing packet is waited for (concealment without advancing),
	 * silence gets an inserted frame, speech gets pitch periods inserted until a whole
	 * frame has accumulated. Above one frame plus the margin it shrinks: a silent
	 * frame is dropped, or pitch periods are removed from speech. The dead zone of one
	 * frame keeps the two from alternating.
	 */
	unsigned r = l->rate / l->clock; /* 1 or 2: cur_codec has the stream's clock */
	int64_t playing = l->play_ts - (int64_t)(l->fifo_len / r);
	int64_t target = target_offset(l);
	int64_t offset = nts - l->play_ts;
	int64_t err = offset - target;
	int64_t margin = MS_TO_TS(l->p.margin_ms, l->clock);
	bool have_now = l->fifo_len > 0 || (s->slot != NULL && s->ts <= l->play_ts);
	bool in_speech = l->speaking;
	enum tick_action act = ACT_NONE;

	l->st.target_ms = (uint32_t)((target - l->win_min) * 1000 / l->clock);
	l->st.depth_ms = l->max_ts_end > playing ?
				 (uint32_t)((l->max_ts_end - playing) * 1000 / l->clock) : 0;
	if (err < 0 && have_now) {
		if (!in_speech)
			act = ACT_HOLD;
		else if (l->fifo_len / r < l->n_ts)
			act = ACT_EXPAND;
	} else if (err > (int64_t)l->n_ts + margin && have_now) {
		act = in_speech ? ACT_ACCEL : ACT_DROP;
	}

	/* fast path: one G.711 packet exactly covering the frame, nothing pending */
	if (act == ACT_NONE && l->fifo_len == 0 && s->slot != NULL && s->ts == l->play_ts &&
	    (s->codec == MXP_MEDIA_CODEC_PCMU || s->codec == MXP_MEDIA_CODEC_PCMA) &&
	    s->len == n_s && s->codec == l->cur_codec && l->plc.erased == 0 && !l->declick) {
		uint8_t lv = s->slot->level != MXP_MEDIA_LEVEL_NONE ?
				     s->slot->level :
				     media_level_from_energy(
					     mxp_media_g711_energy(jb_payload(s->slot), s->len,
								   s->codec == MXP_MEDIA_CODEC_PCMU),
					     s->len);
		vad_update(l, lv);
		if (l->speaking || l->talker_slot >= 0) {
			unsigned n = decode_into(l, &pk, pcm);
			media_plc_good(&l->plc, pcm, n);
			post_frame(l, pcm, n, c);
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
	l->eligible = l->frame_ok && l->speaking && !l->muted &&
		      (l->mode == MXP_MEDIA_MODE_SENDRECV || l->mode == MXP_MEDIA_MODE_SENDONLY) &&
		      c->now_us >= l->ev_until_us;
	if (media_leg_idle(l))
		l->anchored = false;
}
