/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/media internals: leg and mixer layout, SIMD ops table, concealment, time scaling. */
#ifndef MEDIA_PRIV_H
#define MEDIA_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_align.h"
#include "mxp_be.h"
#include "mxp_media.h"

#define MEDIA_CACHE_LINE 64

/* ---- SIMD kernels (simd_c.c, simd_avx2.c, simd_avx512.c) ---- */

/*
 * All variants compute bit-identical results (tests compare them):
 *  acc_add: acc[i] += x[i]
 *  peak:    max |acc[i] - self[i]|
 *  out:     dst[i] = sat16(lrintf((float)(acc[i] - self[i]) * (g0 + dg * (float)(i + 1))))
 *           (when g0 == 1 and dg == 0: sat16(acc[i] - self[i]), the same value)
 *  energy:  sum x[i]^2
 * n is a multiple of 16.
 */
struct media_simd_ops {
	enum mxp_media_simd id;
	void (*acc_add)(int32_t *acc, const int16_t *x, unsigned n);
	int32_t (*peak)(const int32_t *acc, const int16_t *self, unsigned n);
	void (*out)(int16_t *dst, const int32_t *acc, const int16_t *self, unsigned n, float g0,
		    float dg);
	uint64_t (*energy)(const int16_t *x, unsigned n);
};

extern const struct media_simd_ops media_simd_c;
extern const struct media_simd_ops media_simd_avx2;
extern const struct media_simd_ops media_simd_avx512;
const struct media_simd_ops *media_simd_ops_get(enum mxp_media_simd v);

/* ---- concealment (plc.c): G.711 Appendix I style, at 8, 16 or 48 kHz ---- */

#define PLC_PITCH_MIN 40   /* 5 ms at 8 kHz */
#define PLC_PITCH_MAX 120  /* 15 ms */
#define PLC_CORR_LEN 160   /* 20 ms */
#define PLC_HIST_LEN 390   /* 3.25 pitch periods of the longest pitch (x k) */

/* Concealment state. The history itself is the caller's: the hist_len samples that end
 * where the caller passes (the leg's sample buffer). */
struct media_plc {
	uint8_t k;          /* rate / 8000 (1, 2 or 6) */
	uint16_t hist_len;  /* valid history samples, at most PLC_HIST_LEN * k */
	uint32_t erased;    /* samples concealed in the current erasure, 0 when not concealing */
	uint16_t pitch;     /* pitch period (samples) */
	uint16_t cycle;     /* pitch buffer length: 1..3 periods */
	uint16_t pos;       /* position in the pitch buffer */
	int16_t ramp0;      /* start-of-erasure offset to ramp away (declick) */
};

void media_plc_reset(struct media_plc *p, unsigned rate);
/* n more real samples were appended to the history. */
static inline void
media_plc_add(struct media_plc *p, unsigned n)
{
	unsigned h = p->hist_len + n, cap = PLC_HIST_LEN * p->k;
	p->hist_len = (uint16_t)(h < cap ? h : cap);
}
/* Samples media_plc_good() will fade at the end of the current erasure (0: none). */
unsigned media_plc_fade_len(const struct media_plc *p);
/* x[0..n) are new real samples that follow the history ending at hend: end an erasure
 * (the first samples of x are faded in from the synthetic continuation, in place) and
 * count them into the history (the caller appends them there). */
void media_plc_good(struct media_plc *p, const int16_t *hend, int16_t *x, unsigned n);
/* Produce n samples of concealment from the history ending at hend; returns how many
 * were non-silent. */
unsigned media_plc_conceal(struct media_plc *p, const int16_t *hend, int16_t *out, unsigned n);
/* Forget the history (the leg was not decoded: concealment would be silence). */
static inline void
media_plc_forget(struct media_plc *p)
{
	p->hist_len = 0;
	p->erased = 0;
}

/* ---- time-scale modification on decoded samples (plc.c) ---- */

/*
 * Both look at x[0..2 pmax) for the lag p in [pmin, pmax] of best self-similarity.
 * accelerate: one period less: the signal becomes y[0..p) (x[0..p) cross-faded into
 *   x[p..2p)) followed by x[2p..).
 * expand: one period more: the signal becomes y[0..2p) (x[0..p), then x[p..2p) cross-faded
 *   into x[0..p)) followed by x[p..).
 * Return p.
 */
unsigned media_tsm_accelerate(const int16_t *x, int16_t *y, unsigned pmin, unsigned pmax);
unsigned media_tsm_expand(const int16_t *x, int16_t *y, unsigned pmin, unsigned pmax);

/* ---- 8 / 16 / 48 kHz resampler on a caller's history (codec.c) ---- */

#define MEDIA_RS_UP_HIST 32    /* 8 -> 16 kHz: input samples kept */
#define MEDIA_RS_DOWN_HIST 62  /* 16 -> 8 kHz */
#define MEDIA_RS3_DOWN_HIST 96 /* 48 -> 16 kHz */
_Static_assert(MEDIA_RS_DOWN_HIST >= MEDIA_RS_UP_HIST && MEDIA_RS3_DOWN_HIST >= MEDIA_RS_UP_HIST,
	       "a downsampler's history holds an upsampler's");
#define MEDIA_RS_HIST_MAX 158  /* the longest: 48 -> 8 kHz (96 + 62); every upsampling
				  keeps 32 */
/* History samples media_rs_run() keeps from -> to (0 for equal rates). */
unsigned media_rs_hist_len(unsigned from, unsigned to);
/* Resample n samples from -> to (8000, 16000 or 48000) with the history hist
 * (media_rs_hist_len() samples, zeroed when the direction is set up). n: a multiple of
 * from / to when downsampling. Returns n * to / from. */
unsigned media_rs_run(int16_t *hist, unsigned from, unsigned to, int16_t *out,
		      const int16_t *in, unsigned n);

/* ---- level (leg.c) ---- */
uint8_t media_level_from_energy(uint64_t energy, unsigned n);

/* ---- jitter buffer slot: a descriptor of a packet the caller's buffer holds ---- */

/*
 * 20 bytes, 4-byte aligned (ref may be unaligned: a plain load on the targets DPDK runs on):
 * 32 slots are 640 bytes of a leg, not 768.
 */
struct __attribute__((packed, aligned(4))) jb_slot {
	void *ref;         /* caller's buffer (pkt->ref); NULL: the slot is free */
	uint32_t ts;       /* RTP timestamp (low half of the extended one, see slot_ts()) */
	uint16_t seq;      /* RTP sequence number */
	uint16_t len;      /* payload bytes */
	uint16_t off;      /* payload - ref (JB_OFF_MAX at most) */
	uint8_t codec;     /* enum mxp_media_codec, bit 7: RTP marker */
	uint8_t level;     /* RFC 6464 level or MXP_MEDIA_LEVEL_NONE */
};
_Static_assert(sizeof(struct jb_slot) == 20, "slot descriptor is 20 bytes");

#define JB_MARKER 0x80
/* How far after ref a queued packet's payload may start (an mbuf's data: far less). */
#define JB_OFF_MAX MXP_MEDIA_PAYLOAD_OFF_MAX
_Static_assert(JB_OFF_MAX <= UINT16_MAX, "the slot's offset is 16 bits");
#define JB_OFF_BITS 48
#define JB_OFF_MASK (((uint64_t)1 << JB_OFF_BITS) - 1)

/* ref plus the offset in the low 48 bits of v (the deferred packet's pend_pl). */
static inline const uint8_t *
jb_ref_payload(const void *ref, uint64_t v)
{
	return (const uint8_t *)ref + (v & JB_OFF_MASK);
}

static inline const uint8_t *
jb_payload(const struct jb_slot *s)
{
	return (const uint8_t *)s->ref + s->off;
}

static inline uint16_t
jb_seq16(const struct jb_slot *s)
{
	return s->seq;
}

static inline uint8_t
jb_codec(const struct jb_slot *s)
{
	return s->codec & (uint8_t)~JB_MARKER;
}

#define JB_BUCKETS 8       /* transit window: 8 buckets of 2^20 us (~1 s) */
#define JB_EMPTY_MAX INT32_MIN
#define JB_EMPTY_MIN INT32_MAX
#define MEDIA_NO_PT 0xff

/* ---- the leg ---- */

/*
 * Per-leg counters, widened to 64 bits in mxp_media_leg_stats. Packet counts are 32-bit
 * here (they wrap after 2^32 packets, 2.7 years of 20 ms packets); sample counts are
 * 64-bit (a 32-bit count of 16 kHz samples would wrap within 3 days).
 */
struct media_leg_counters {
	/* every packet (rx) and every tick: one cache line */
	uint32_t rx[MXP_MEDIA_RX_COUNT];
	uint32_t reordered, lost;
	uint16_t depth_ms, target_ms; /* saturated at 65535 */
	uint64_t played;              /* samples */
	/* concealment, time scaling, restarts, events */
	uint64_t concealed, silence, accelerated, expanded; /* samples */
	uint32_t resyncs, events;
};

/*
 * A leg: a fixed header, then (see leg.c: layout()) the jitter-buffer slot descriptors,
 * the sample buffer, the resampler history, the time-scaling head (ptime 10 only) and
 * the G.722 decoder (only with G.722 in the payload map). The header's first five cache
 * lines are what rx and the tick touch for every packet and tick, in the order they need
 * them: line 0 the timeline, line 1 the transit estimate and payload map, line 2 the
 * transit window (rx only), line 3 the decode and speech state, line 4 the counters both
 * write. Whatever else the tick reads for a leg that plays a packet (the release callback
 * and its argument, the sample buffer's capacity, the tail offsets) sits in lines 0, 1
 * and 3 as well, so the four lines the tick prefetches are all it reads of the header;
 * what follows is touched only by concealment and time scaling (the other counters),
 * events, talkers and control.
 *
 * The sample buffer holds the decoded stream: its last plc.hist_len samples are the
 * concealment history, and its last fifo_phys samples are decoded but not played. What
 * playout has logically decoded but not played (fifo_len()) is, in play order:
 *  - head_len samples of time-scaling output in the head (only at ptime 10, where a
 *    modified stretch can outlive the tick),
 *  - the fifo_phys samples at the end of the sample buffer,
 *  - the rest of the one packet whose decoding is deferred (pend_ref; decoded up to
 *    pend_off samples): it has left the slots and is decoded as it is played, into the
 *    buffer. Filling the next packet decodes it first.
 * A leg therefore never holds a decoded packet it has not played: the buffer is sized by
 * what concealment and time scaling look at, not by the packet size.
 */
struct mxp_media_leg {
	/* ---- line 0: the stream's timeline (rx and tick) ---- */
	int64_t max_ts;          /* extended RTP timestamp of max_seq */
	int64_t play_ts;         /* timestamp of the next sample not yet (logically) decoded */
	int64_t max_ts_end;      /* end of the latest-ending packet received */
	uint64_t recv_mask;      /* 64-entry duplicate window below max_seq */
	/* every packet played or dropped goes back through it (the tick, every packet) */
	void (*release)(void *ref, void *arg);
	uint32_t ssrc;
	uint32_t max_seq, next_seq; /* extended sequence numbers */
	int32_t act_idx;         /* in mixer->active, -1 if idle */
	uint16_t n_buffered;     /* queued packets (not yet decoded) */
	uint16_t n_ts;           /* ptime in clock units */
	uint8_t slot_mask;       /* n_slots - 1 */
	uint8_t mode;
	uint8_t cur_codec;
	bool have_stream : 1, anchored : 1, dtx : 1, muted : 1, jump_pending : 1,
		have_transit : 1, wide_clock : 1; /* wide_clock: clock 16000 */

	/* ---- line 1: transit estimation (rx) and payload map ---- */
	int64_t transit_base;    /* the transits below are relative to it */
	void *release_arg;       /* passed to release */
	int32_t last_transit;
	uint32_t jitter_q4;      /* RFC 3550 jitter << 4 */
	uint32_t bucket;         /* now_us >> 20 of the current bucket */
	int32_t win_max, win_min;
	uint16_t dcap;           /* sample buffer capacity (the tick appends decoded samples) */
	uint16_t max_payload;
	struct {
		uint8_t pt;
		uint8_t codec;
	} pt_map[MXP_MEDIA_MAX_PT];
	uint8_t n_pt;
	uint8_t event_pt, cn_pt; /* MEDIA_NO_PT if none */
	uint8_t ptime_ms;
	uint16_t max_delay_ms, margin_ms;

	/* ---- line 2: transit window, per bucket ---- */
	int32_t bmax[JB_BUCKETS], bmin[JB_BUCKETS];

	/* ---- line 3: decoding, playout and speech (tick) ---- */
	void *pend_ref;          /* the packet whose decoding is deferred, or NULL */
	uint64_t pend_pl;        /* its payload - ref (bits 0-47) and length (48-63) */
	struct media_plc plc;
	int32_t loud_q8;         /* smoothed loudness (127 - level) << 8 */
	uint16_t hang, hang_ticks;
	uint16_t fifo_phys, head_len;
	uint16_t pend_off;       /* its samples decoded so far */
	uint16_t hist_skip;      /* its samples that come before a forget: not history */
	int16_t last_out;        /* last output sample (mix rate) */
	uint16_t rs_off, head_off, g722_off; /* tail offsets (0: absent) */
	uint8_t pend_codec;
	uint8_t level;           /* -dBov of this tick */
	int8_t talker_slot;      /* index in the mixer's talker list, -1 */
	uint8_t frame;           /* index in the mixer's frame pool, MEDIA_NO_FRAME */
	uint8_t vad_threshold;
	uint8_t rs_from, rs_to;  /* input resampler: rates / 8000, 0 = not set up */
	bool frame_ok : 1, eligible : 1, speaking : 1, declick : 1, ev_active : 1;

	/* ---- line 4: counters (the first line: rx and the tick), then the cold part ---- */
	struct media_leg_counters st;
	uint64_t ev_until_us;    /* with ev_active: not mixed while an event is in progress */
	uint32_t id;
	int32_t mix_idx;         /* in mixer->legs, -1 if detached */
	void *opaque;
	/* rx reads it only to put an idle leg back on the active list; the tick never */
	struct mxp_media_mixer *mixer;
	int64_t jump_transit;    /* transit of the packet that jumped off the timeline */
	uint32_t ev_ts;
	uint16_t jump_seq;
	uint8_t out_codec;
	uint8_t ev_code;
	/* wideband: a codec of 16 kHz or more; fullband: hears a 48 kHz codec */
	bool wideband : 1, ev_valid : 1, ev_ended : 1, cascade : 1, fullband : 1;
	uint16_t xc_off;         /* the frame codecs' table (0: no frame codec) */
	/* a counter (packets queued, then discarded by a stream restart), in the padding
	 * of the header's end rather than st: a leg of the defaults stays within 2 KB */
	uint32_t flushed;
	/* slots, samples, resampler history, head, G.722 state, frame codecs follow */
};

#define LEG_NXC (MXP_MEDIA_CODEC_COUNT - MXP_MEDIA_CODEC_AMR)
/* The frame codecs of a leg, in its tail (only with a frame codec in the payload map or as
 * out_codec). Read per packet of such a codec, and for a talker's private encoder. */
struct leg_xtab {
	/* with a frame codec as out_codec: the encoder of its private mix (the caller's) */
	struct mxp_media_coder *priv_enc;
	struct mxp_media_rx_info info; /* what the last packet decoded said (CMR, DTX) */
	bool codec_plc;                /* the current erasure is the decoder's concealment */
	uint32_t fec;                  /* lost packets rebuilt from the next one's FEC */
	/* by codec - MXP_MEDIA_CODEC_AMR */
	struct leg_xc {
		const struct mxp_media_codec_ops *ops; /* NULL: not in the payload map */
		void *dec;                             /* the caller's decoder */
		struct mxp_media_fmtp f;
	} xc[LEG_NXC];
};

static inline struct leg_xtab *
leg_xtab(const struct mxp_media_leg *l)
{
	return (struct leg_xtab *)((uint8_t *)l + l->xc_off);
}

/* The hot part: what rx and the tick read for every packet and tick stays where the
 * prefetches (mix tick, lib/conf) expect it. */
#define LEG_LINE(f) (offsetof(struct mxp_media_leg, f) / MEDIA_CACHE_LINE)
/* ... and the field's last byte too: a field must not straddle into another line */
#define LEG_LAST_LINE(f)                                                                  \
	((offsetof(struct mxp_media_leg, f) + sizeof(((struct mxp_media_leg *)0)->f) - 1) / \
	 MEDIA_CACHE_LINE)
_Static_assert(LEG_LINE(max_ts) == 0 && LEG_LINE(play_ts) == 0 &&
		       LEG_LINE(recv_mask) == 0 && LEG_LINE(max_seq) == 0 &&
		       LEG_LINE(next_seq) == 0 && LEG_LINE(n_buffered) == 0 &&
		       LEG_LINE(slot_mask) == 0 && LEG_LINE(cur_codec) == 0 &&
		       LEG_LINE(act_idx) == 0,
	       "leg line 0: timeline");
_Static_assert(LEG_LINE(transit_base) == 1 && LEG_LINE(last_transit) == 1 &&
		       LEG_LINE(win_min) == 1 && LEG_LINE(pt_map) == 1 &&
		       LEG_LAST_LINE(pt_map) == 1 && LEG_LINE(ptime_ms) == 1 &&
		       LEG_LINE(margin_ms) == 1,
	       "leg line 1: transit estimate, payload map");
_Static_assert(offsetof(struct mxp_media_leg, bmax) == 2 * MEDIA_CACHE_LINE &&
		       offsetof(struct mxp_media_leg, bmin) + sizeof(int32_t) * JB_BUCKETS ==
			       3 * MEDIA_CACHE_LINE,
	       "leg line 2: transit window");
_Static_assert(LEG_LINE(pend_ref) == 3 && LEG_LINE(plc) == 3 && LEG_LINE(fifo_phys) == 3 &&
		       LEG_LINE(pend_off) == 3 && LEG_LINE(loud_q8) == 3 &&
		       LEG_LINE(talker_slot) == 3 && LEG_LINE(frame) == 3 &&
		       LEG_LINE(rs_to) == 3,
	       "leg line 3: decode and speech state");
_Static_assert(offsetof(struct mxp_media_leg, st) == 4 * MEDIA_CACHE_LINE &&
		       offsetof(struct mxp_media_leg, st.played) + sizeof(uint64_t) ==
			       5 * MEDIA_CACHE_LINE,
	       "leg line 4: the counters rx and the tick write");

/*
 * The lines the mix tick prefetches for a leg (bit i: line i): 0, 1, 3 and 4; line 2, the
 * transit window, is rx's alone. Every field the tick reads for a leg that plays a packet
 * must lie within them (the fast path: slot_consume() -> ref_release(), samples_append(),
 * post_frame(), target_offset(), vad_update()), or each leg would cost a cold miss a tick.
 */
#define LEG_TICK_LINES ((1u << 0) | (1u << 1) | (1u << 3) | (1u << 4))
#define LEG_TICK(f) ((LEG_TICK_LINES >> LEG_LINE(f) & 1u) && LEG_LINE(f) == LEG_LAST_LINE(f))
_Static_assert(LEG_TICK(max_ts) && LEG_TICK(play_ts) && LEG_TICK(max_ts_end) &&
		       LEG_TICK(release) && LEG_TICK(max_seq) && LEG_TICK(next_seq) &&
		       LEG_TICK(act_idx) && LEG_TICK(n_buffered) && LEG_TICK(n_ts) &&
		       LEG_TICK(slot_mask) && LEG_TICK(mode) && LEG_TICK(cur_codec),
	       "tick-read fields, line 0");
_Static_assert(LEG_TICK(transit_base) && LEG_TICK(release_arg) && LEG_TICK(win_max) &&
		       LEG_TICK(win_min) && LEG_TICK(dcap) && LEG_TICK(ptime_ms) &&
		       LEG_TICK(max_delay_ms) && LEG_TICK(margin_ms),
	       "tick-read fields, line 1");
_Static_assert(LEG_TICK(pend_ref) && LEG_TICK(pend_pl) && LEG_TICK(plc) &&
		       LEG_TICK(loud_q8) && LEG_TICK(hang) && LEG_TICK(hang_ticks) &&
		       LEG_TICK(fifo_phys) && LEG_TICK(head_len) && LEG_TICK(pend_off) &&
		       LEG_TICK(hist_skip) && LEG_TICK(last_out) && LEG_TICK(rs_off) &&
		       LEG_TICK(head_off) && LEG_TICK(g722_off) && LEG_TICK(pend_codec) &&
		       LEG_TICK(level) && LEG_TICK(talker_slot) && LEG_TICK(frame) &&
		       LEG_TICK(vad_threshold) && LEG_TICK(rs_from) && LEG_TICK(rs_to),
	       "tick-read fields, line 3");
_Static_assert(LEG_TICK(st.rx) && LEG_TICK(st.lost) && LEG_TICK(st.depth_ms) &&
		       LEG_TICK(st.target_ms) && LEG_TICK(st.played),
	       "tick-written counters, line 4");

/* The slot descriptors follow the header. */
#define LEG_HDR MXP_ALIGN_CEIL(sizeof(struct mxp_media_leg), 8)

static inline struct jb_slot *
leg_slots(const struct mxp_media_leg *l)
{
	return (struct jb_slot *)((uint8_t *)l + LEG_HDR);
}

/* ---- the mixer ---- */

#define MEDIA_NO_FRAME 0xff
/* Frames lent per tick: the talkers', the candidates' (2 per talker) and one in flight. */
#define MEDIA_FRAMES(max_talkers) (3u * (max_talkers) + 1u)

/* State of one talker's private mix, for as long as the leg stays a talker. */
struct media_talker {
	struct mxp_media_coder coder; /* its encoder (the leg's out codec) */
	struct mxp_media_rs rs;       /* mix rate -> the talker's output rate */
	float lim_gain;               /* limiter of the private mix */
};

/*
 * What a tick needs only while it runs, shared by every mixer of a thread (a worker ticks
 * its conferences one after the other): the frames lent to legs, the accumulator, the
 * shared and private mixes. Per mixer it would cost some 12 KB for nothing between ticks;
 * per thread it also stays in cache from one conference's tick to the next.
 */
struct media_scratch {
	int32_t acc[MXP_MEDIA_MAX_FRAME] __attribute__((aligned(64)));
	/* the non-cascade talkers only: what the cascade legs hear */
	int32_t acc_local[MXP_MEDIA_MAX_FRAME] __attribute__((aligned(64)));
	int16_t shared[MXP_MEDIA_MAX_FRAME] __attribute__((aligned(64)));
	int16_t shared_fb[MXP_MEDIA_MAX_FRAME] __attribute__((aligned(64)));
	int16_t shared_wb[MXP_MEDIA_MAX_FRAME / 3] __attribute__((aligned(64)));
	int16_t shared_nb[MXP_MEDIA_MAX_FRAME / 6] __attribute__((aligned(64)));
	int16_t frames[MEDIA_FRAMES(MXP_MEDIA_MAX_TALKERS)][MXP_MEDIA_MAX_FRAME]
		__attribute__((aligned(64)));
	int16_t priv[MXP_MEDIA_MAX_TALKERS][MXP_MEDIA_MAX_FRAME] __attribute__((aligned(64)));
	int16_t priv_out[MXP_MEDIA_MAX_TALKERS][MXP_MEDIA_MAX_FRAME] __attribute__((aligned(64)));
};

struct mxp_media_mixer {
	struct mxp_media_mixer_params p;
	const struct media_simd_ops *ops;
	uint32_t n_legs, n_active;
	struct mxp_media_leg **legs;
	struct mxp_media_leg **active;
	uint32_t rate;           /* current mix rate */
	uint32_t n_wideband;     /* attached legs with a 16 or 48 kHz codec */
	uint32_t n_fullband;     /* attached legs that hear a 48 kHz codec */
	uint32_t n_out[MXP_MEDIA_N_RATES]; /* receiving legs per output rate (8k, 16k, 48k) */
	bool keep_shared;        /* the shared mix at the mix rate even without a listener */
	uint64_t ptime_us, next_tick_us, tick;
	struct mxp_media_leg *talkers[MXP_MEDIA_MAX_TALKERS];
	uint8_t tslot[MXP_MEDIA_MAX_TALKERS]; /* talkers[i]'s state: ts[tslot[i]] */
	uint8_t n_talkers;       /* cascade legs included */
	uint8_t n_cascade;       /* attached cascade legs: all of them are in talkers[] */
	uint8_t ts_used;         /* bit i: ts[i] belongs to a talker */
	uint8_t n_frames, n_free;
	uint8_t free_frames[MEDIA_FRAMES(MXP_MEDIA_MAX_TALKERS)]; /* stack of free frames */
	bool was_silent;
	float lim_gain;
	/* the shared mix's resamplers' histories: 48 -> 16 kHz (at a 48 kHz mix) or up to 48
	 * kHz (below: an Opus peer that plays wideband), 16 -> 8 kHz (at 16 or 48) or 8 -> 16
	 * kHz (at 8, with a fixed rate); a change of rate clears them */
	int16_t rs_fb_wb[MEDIA_RS3_DOWN_HIST], rs_wb_nb[MEDIA_RS_DOWN_HIST];
	struct mxp_media_mixer_stats st;
	struct mxp_media_mix_result res;
	/* the talker slots: max_talkers (and max_cascade unless p.cascade_slots_added)
	 * follow the mixer, the cascade slots added are the caller's; ts_avail: bit k, ts[k]
	 * has memory */
	struct media_talker *ts[MXP_MEDIA_MAX_TALKERS];
	uint8_t ts_avail;
	/* ts[]'s inline slots, legs[] and active[] follow */
};

/* Test hook (mix.c): the frame a leg produced in its last tick (NULL if none), in the
 * calling thread's scratch, so call it on the thread that ticks. It stays valid until the
 * mixer lends the buffer to the next leg it pulls, so only in a mixer of one leg until
 * the next tick. */
const int16_t *media_leg_frame(const struct mxp_media_leg *l);

/*
 * The mix tick's prefetches for a leg ahead (see mxp_media_mix_tick()): its state, then
 * the descriptor of the packet it plays next (needs line 0), then that packet's payload
 * in the caller's buffer (needs the descriptor) and the rest of a deferred packet.
 *
 * always_inline: a function whose only effect is a prefetch has no side effect to GCC,
 * which finds it pure and deletes a call it did not inline early (GCC 12 at -O2 dropped
 * the slot and payload prefetches so).
 */
#define MEDIA_PREFETCH_FN static inline __attribute__((always_inline)) void

/* Line i of the leg at a, if the tick reads it (a constant test: a loop over the mask
 * would not be unrolled). */
#define LEG_PREFETCH_LINE(a, i)                                                         \
	do {                                                                            \
		if (LEG_TICK_LINES >> (i) & 1u)                                         \
			__builtin_prefetch((const char *)(a) + (i) * MEDIA_CACHE_LINE); \
	} while (0)
_Static_assert(sizeof(struct mxp_media_leg) <= 7 * MEDIA_CACHE_LINE,
	       "the header is lines 0-6, all tested in media_leg_prefetch_state()");

MEDIA_PREFETCH_FN
media_leg_prefetch_state(const struct mxp_media_leg *l)
{
	LEG_PREFETCH_LINE(l, 0);
	LEG_PREFETCH_LINE(l, 1);
	LEG_PREFETCH_LINE(l, 2);
	LEG_PREFETCH_LINE(l, 3);
	LEG_PREFETCH_LINE(l, 4);
	LEG_PREFETCH_LINE(l, 5);
	LEG_PREFETCH_LINE(l, 6);
}

MEDIA_PREFETCH_FN
media_leg_prefetch_slot(const struct mxp_media_leg *l)
{
	if (l->n_buffered == 0)
		return;
	const char *s = (const char *)(leg_slots(l) + (l->next_seq & l->slot_mask));
	__builtin_prefetch(s);
	__builtin_prefetch(s + sizeof(struct jb_slot) - 1);
}

MEDIA_PREFETCH_FN
media_leg_prefetch_payload(const struct mxp_media_leg *l)
{
	if (l->n_buffered > 0) {
		const struct jb_slot *s = leg_slots(l) + (l->next_seq & l->slot_mask);
		if (s->ref != NULL && jb_seq16(s) == (uint16_t)l->next_seq) {
			const char *p = (const char *)jb_payload(s);
			__builtin_prefetch(s->ref); /* release touches its header (an mbuf's) */
			for (unsigned o = 0; o < s->len && o < 3 * MEDIA_CACHE_LINE;
			     o += MEDIA_CACHE_LINE)
				__builtin_prefetch(p + o);
		}
	}
	if (l->pend_ref != NULL)
		__builtin_prefetch(jb_ref_payload(l->pend_ref, l->pend_pl) + l->pend_off);
}

/* leg.c, called by the mixer */
struct leg_tick_ctx {
	uint64_t now_us;
	uint32_t mix_rate;
	uint32_t skipped;
	const struct media_simd_ops *ops;
	int16_t *frame;           /* where the leg puts this tick's frame (mix rate) */
	uint8_t frame_idx;        /* its index in the pool */
};
void media_leg_tick(struct mxp_media_leg *l, const struct leg_tick_ctx *c);
/* Packet buffers the leg holds: those queued and the one being decoded. */
static inline uint32_t
media_leg_held(const struct mxp_media_leg *l)
{
	return (uint32_t)l->n_buffered + (l->pend_ref != NULL);
}
/* Whether the leg has nothing left to do and can leave the active list. */
bool media_leg_idle(const struct mxp_media_leg *l);
/* mix.c, called by the leg when a packet arrives for an idle leg */
void media_mixer_activate(struct mxp_media_mixer *m, struct mxp_media_leg *l);
/* mix.c: a leg's mode/codec changed; update the mixer's per-rate receiver counts */
void media_mixer_leg_update(struct mxp_media_mixer *m, struct mxp_media_leg *l, int sign);

#endif
