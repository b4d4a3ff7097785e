/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/media internals: leg and mixer layout, SIMD ops table, concealment, time scaling. */
#ifndef MEDIA_PRIV_H
#define MEDIA_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "mxp_media.h"

#define MEDIA_CACHE_LINE 64
#define MEDIA_ALIGN(x, a) (((x) + (a) - 1) & ~((size_t)(a) - 1))

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

/* ---- concealment (plc.c): G.711 Appendix I style, at 8 or 16 kHz ---- */

#define PLC_PITCH_MIN 40   /* 5 ms at 8 kHz */
#define PLC_PITCH_MAX 120  /* 15 ms */
#define PLC_CORR_LEN 160   /* 20 ms */
#define PLC_HIST_LEN 390   /* 3.25 pitch periods of the longest pitch */
#define PLC_HIST_MAX (2 * PLC_HIST_LEN)

struct media_plc {
	uint8_t k;          /* rate / 8000 (1 or 2) */
	uint16_t hist_len;  /* valid samples at the end of hist */
	uint32_t erased;    /* samples concealed in the current erasure, 0 when not concealing */
	uint16_t pitch;     /* pitch period (samples) */
	uint16_t cycle;     /* pitch buffer length: 1..3 periods */
	uint16_t pos;       /* position in the pitch buffer */
	int16_t ramp0;      /* start-of-erasure offset to ramp away (declick) */
	int16_t hist[PLC_HIST_MAX];
};

void media_plc_reset(struct media_plc *p, unsigned rate);
/* Record n real output samples (and end an erasure: the first samples of x are faded in
 * from the synthetic continuation, in place). */
void media_plc_good(struct media_plc *p, int16_t *x, unsigned n);
/* Produce n samples of concealment; returns how many were non-silent. */
unsigned media_plc_conceal(struct media_plc *p, int16_t *out, unsigned n);
/* Forget the history (the leg was not decoded: concealment would be silence). */
static inline void
media_plc_forget(struct media_plc *p)
{
	p->hist_len = 0;
	p->erased = 0;
}

/* ---- time-scale modification on decoded samples (plc.c) ---- */

/* Remove one period (lag in [pmin, pmax] with the best self-similarity) from x[0..n) with a
 * cross-fade; needs n >= 2 * pmax. Returns samples removed (0 if n too short). */
unsigned media_tsm_accelerate(int16_t *x, unsigned n, unsigned pmin, unsigned pmax);
/* Insert one period into x[0..n) (capacity cap); needs n >= 2 * pmax and n + pmax <= cap.
 * Returns samples inserted. */
unsigned media_tsm_expand(int16_t *x, unsigned n, unsigned cap, unsigned pmin, unsigned pmax);

/* ---- level (leg.c) ---- */
uint8_t media_level_from_energy(uint64_t energy, unsigned n);

/* ---- jitter buffer slot: a descriptor of a packet the caller's buffer holds ---- */

struct jb_slot {
	void *ref;         /* caller's buffer (pkt->ref); NULL: the slot is free */
	uint64_t off_seq;  /* bits 0-47: payload - ref (signed); bits 48-63: RTP sequence */
	uint32_t ts;       /* RTP timestamp (low half of the extended one, see slot_ts()) */
	uint16_t len;      /* payload bytes */
	uint8_t codec;     /* enum mxp_media_codec, bit 7: RTP marker */
	uint8_t level;     /* RFC 6464 level or MXP_MEDIA_LEVEL_NONE */
};
_Static_assert(sizeof(struct jb_slot) == 24, "slot descriptor is 24 bytes");

#define JB_MARKER 0x80
#define JB_OFF_BITS 48

static inline const uint8_t *
jb_payload(const struct jb_slot *s)
{
	int64_t off = (int64_t)(s->off_seq << (64 - JB_OFF_BITS)) >> (64 - JB_OFF_BITS);
	return (const uint8_t *)((uintptr_t)s->ref + (uintptr_t)off);
}

static inline uint16_t
jb_seq16(const struct jb_slot *s)
{
	return (uint16_t)(s->off_seq >> JB_OFF_BITS);
}

static inline uint8_t
jb_codec(const struct jb_slot *s)
{
	return s->codec & (uint8_t)~JB_MARKER;
}

#define JB_BUCKETS 8       /* transit window: 8 buckets of 2^20 us (~1 s) */

/* ---- the leg ---- */

struct mxp_media_leg {
	/* configuration */
	struct mxp_media_leg_params p;
	struct mxp_media_mixer *mixer;
	int32_t mix_idx;        /* in mixer->legs, -1 if detached */
	int32_t act_idx;        /* in mixer->active, -1 if idle */
	uint8_t mode;
	bool muted;
	bool wideband;          /* some input or output codec is 16 kHz */
	uint8_t out_codec;

	/* jitter buffer */
	uint32_t n_slots, slot_mask, slot_stride;
	uint32_t n_buffered;
	uint8_t *slots;
	int16_t *fifo;          /* decoded, not yet played samples at codec rate */
	uint32_t fifo_cap, fifo_len;

	/* stream identity and timeline (RTP clock units) */
	bool have_stream, anchored, dtx;
	uint32_t ssrc, clock;
	uint32_t max_seq, next_seq;
	int64_t max_ts, play_ts, max_ts_end;
	uint64_t recv_mask;
	uint32_t n_ts;          /* ptime in clock units */
	bool jump_pending;      /* one packet arrived far off the timeline */
	uint16_t jump_seq;
	int64_t jump_transit;

	/* delay estimation */
	int64_t last_transit;
	uint32_t jitter_q4;     /* RFC 3550 jitter << 4 */
	int64_t bmax[JB_BUCKETS], bmin[JB_BUCKETS];
	uint64_t bucket;        /* now_us >> 20 of the current bucket */
	int64_t win_max, win_min;
	bool have_transit;

	/* decoding (codec rate) */
	uint8_t cur_codec;
	uint32_t rate;          /* codec rate of cur_codec */
	struct mxp_media_g722_state g722;
	struct media_plc plc;
	struct mxp_media_rs rs_in;  /* codec rate -> mix rate */
	bool declick;           /* next output frame must be spliced to last_out */
	int16_t last_out;

	/* this tick's frame at the mix rate: in a buffer the mixer lends for the tick */
	bool frame_ok;          /* decoded PCM in the mixer's frame[frame] */
	bool eligible;          /* may be mixed this tick */
	uint8_t frame;          /* index in the mixer's frame pool, MEDIA_NO_FRAME */
	uint8_t level;          /* -dBov of this tick */
	bool speaking;
	uint16_t hang, hang_ticks;
	int32_t loud_q8;        /* smoothed loudness (127 - level) << 8 */
	int8_t talker_slot;     /* index in the mixer's talker list, -1 */

	/* RFC 4733 */
	bool ev_valid, ev_ended;
	uint8_t ev_code;
	uint32_t ev_ts;
	uint64_t ev_until_us;   /* leg audio is not mixed while an event is in progress */

	struct mxp_media_leg_stats st;
	/* slots and fifo follow */
};

/* ---- the mixer ---- */

#define MEDIA_NO_FRAME 0xff
/* Frames lent per tick: the talkers', the candidates' (2 per talker) and one in flight. */
#define MEDIA_FRAMES(max_talkers) (3u * (max_talkers) + 1u)

/* State of one talker's private mix, for as long as the leg stays a talker. */
struct media_talker {
	struct mxp_media_coder coder; /* its encoder (the leg's out codec) */
	struct mxp_media_rs rs;       /* mix rate -> the talker's output rate */
	float lim_gain;               /* limiter of the private mix */
	int16_t *priv;                /* private mix at the mix rate (frame_len) */
	int16_t *priv_out;            /* resampled to 8 kHz (frame_len / 2) */
};

struct mxp_media_mixer {
	struct mxp_media_mixer_params p;
	const struct media_simd_ops *ops;
	uint32_t n_legs, n_active;
	struct mxp_media_leg **legs;
	struct mxp_media_leg **active;
	uint32_t rate;           /* current mix rate */
	uint32_t n_wideband;     /* attached legs with a 16 kHz codec */
	uint32_t n_out[2];       /* receiving legs per output rate (8k, 16k) */
	uint64_t ptime_us, next_tick_us, tick;
	struct mxp_media_leg *talkers[MXP_MEDIA_MAX_TALKERS];
	uint8_t tslot[MXP_MEDIA_MAX_TALKERS]; /* talkers[i]'s state: ts[tslot[i]] */
	uint8_t n_talkers;
	uint8_t ts_used;         /* bit i: ts[i] belongs to a talker */
	uint8_t n_frames, n_free;
	uint8_t free_frames[MEDIA_FRAMES(MXP_MEDIA_MAX_TALKERS)]; /* stack of free frames */
	uint16_t frame_len;      /* samples per frame buffer: a ptime at 16 kHz */
	bool was_silent;
	float lim_gain;
	struct mxp_media_rs rs_shared; /* mix rate -> 8 kHz */
	struct mxp_media_mixer_stats st;
	struct mxp_media_mix_result res;
	struct media_talker *ts;  /* max_talkers */
	int16_t *frames;          /* n_frames x frame_len */
	int32_t *acc;
	int16_t *shared, *shared_nb, *zero;
	/* ts[], the buffers, legs[] and active[] follow */
};

static inline int16_t *
media_frame(const struct mxp_media_mixer *m, unsigned i)
{
	return m->frames + (size_t)i * m->frame_len;
}

/* Test hook: the frame a leg produced in its last tick (NULL if none). It stays valid
 * until the mixer lends the buffer to the next leg it pulls, so only in a mixer of one
 * leg until the next tick. */
static inline const int16_t *
media_leg_frame(const struct mxp_media_leg *l)
{
	return l->frame_ok && l->mixer != NULL && l->frame != MEDIA_NO_FRAME ?
		       media_frame(l->mixer, l->frame) :
		       NULL;
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
/* Whether the leg has nothing left to do and can leave the active list. */
bool media_leg_idle(const struct mxp_media_leg *l);
/* mix.c, called by the leg when a packet arrives for an idle leg */
void media_mixer_activate(struct mxp_media_mixer *m, struct mxp_media_leg *l);
/* mix.c: a leg's mode/codec changed; update the mixer's per-rate receiver counts */
void media_mixer_leg_update(struct mxp_media_mixer *m, struct mxp_media_leg *l, int sign);

#endif
