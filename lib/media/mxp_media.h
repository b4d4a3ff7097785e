/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/media: the audio core of the `mix` conference mode.
 *
 * Objects (all caller-allocated: x_size(params) then x_init(obj, params)):
 *  - mxp_media_leg: one participant's input side: adaptive jitter buffer, decoder,
 *    loss concealment, resampler to the mix rate, level/speech detection and RFC 4733
 *    telephone-event detection. Fed per received RTP packet with mxp_media_leg_rx().
 *  - mxp_media_mixer: one conference. Legs are attached to it; once per ptime the owning
 *    worker calls mxp_media_mix_tick(), which pulls one frame from every active leg,
 *    selects the N loudest talkers with hysteresis and produces the shared mix (per
 *    sample rate) and each talker's private mix-minus-self.
 *    The mixer holds what only talkers need: the frame buffers legs decode into are lent
 *    from a pool of 3 * max_talkers + 1 for the tick, and each of the max_talkers talker
 *    slots keeps a talker's private-mix state and the encoder of its private stream.
 * Output streams (RTP sender state, the shared mix's encoders) are the caller's.
 *
 * Threading: a mixer and its legs belong to one worker; no call locks, allocates, logs or
 * makes a system call. Times are microseconds on any monotonic clock (the worker's TSC
 * converted), the same clock for rx and tick.
 */
#ifndef MXP_MEDIA_H
#define MXP_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_media_codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* SIMD variants of the mixing kernels                                                  */

/** Kernel variants; AUTO picks the best the CPU supports once, at mixer init. */
enum mxp_media_simd {
	MXP_MEDIA_SIMD_AUTO = 0,
	MXP_MEDIA_SIMD_C,      /**< plain C reference */
	MXP_MEDIA_SIMD_AVX2,
	MXP_MEDIA_SIMD_AVX512, /**< AVX-512 F + BW */
	MXP_MEDIA_SIMD_COUNT
};

/** Whether this CPU can run a variant (AUTO and C always can). */
bool mxp_media_simd_supported(enum mxp_media_simd v);
/** The variant AUTO resolves to on this CPU. */
enum mxp_media_simd mxp_media_simd_best(void);
/** "c", "avx2", "avx512" (or "auto"). */
const char *mxp_media_simd_name(enum mxp_media_simd v);

/* ------------------------------------------------------------------------------------ */
/* Legs                                                                                 */

/**
 * Stream mode of a leg, from the participant's point of view (as in its SDP): sendonly = the
 * participant only talks (receives nothing), recvonly = only listens. The one stream-mode
 * enum of the tree: lib/conf and the daemon use it; H.248 modes (the MRFP's point of view,
 * enum mxp_mp_mode) are mapped onto it where a command is applied.
 */
enum mxp_stream_mode {
	MXP_SM_SENDRECV = 0, /**< talks and listens */
	MXP_SM_SENDONLY = 1, /**< only talks: mixed in / forwarded, receives nothing */
	MXP_SM_RECVONLY = 2, /**< only listens: never mixed in */
	MXP_SM_INACTIVE = 3, /**< neither */
};

/** The participant talks: its media is taken (sendrecv, sendonly). */
static inline bool
mxp_stream_mode_sends(unsigned int mode)
{
	return mode == MXP_SM_SENDRECV || mode == MXP_SM_SENDONLY;
}

/** The participant listens: it is sent the mix or the others' media (sendrecv, recvonly). */
static inline bool
mxp_stream_mode_receives(unsigned int mode)
{
	return mode == MXP_SM_SENDRECV || mode == MXP_SM_RECVONLY;
}

#define MXP_MEDIA_MAX_PT 8
#define MXP_MEDIA_MAX_TALKERS 8
#define MXP_MEDIA_LEVEL_NONE 0xff /**< no RFC 6464 level in the packet */
/** Largest max_payload a leg takes (bytes): room for 120 ms of any codec. */
#define MXP_MEDIA_MAX_PAYLOAD 8192

/** Leg configuration. Zero values mean the documented default. */
struct mxp_media_leg_params {
	uint32_t id;               /**< caller's leg id, echoed in results */
	void *opaque;              /**< caller's pointer, echoed */
	uint16_t ptime_ms;         /**< the conference tick (10, 20, 30, 40); default 20 */
	uint16_t max_delay_ms;     /**< jitter buffer ceiling; default 300 */
	uint16_t margin_ms;        /**< playout margin above the measured jitter; default 5 */
	/** largest audio payload accepted, at most MXP_MEDIA_MAX_PAYLOAD; default: what
	 *  MXP_MEDIA_MAX_PKT_MS (120 ms) of the widest codec in pt_map takes (G.711, G.722:
	 *  960 bytes; L16: 1920 at 8 kHz, 3840 at 16 kHz). Longer packets are TOO_LARGE.
	 *  A frame codec's packets are held to its own ops->max_payload instead. */
	uint16_t max_payload;
	struct {
		uint8_t pt;
		uint8_t codec;     /**< enum mxp_media_codec */
	} pt_map[MXP_MEDIA_MAX_PT]; /**< audio payload types this leg may send */
	uint8_t n_pt;
	/**
	 * Frame codecs (AMR, AMR-WB, Opus, plugins) in pt_map: entry i's decoder, made by the
	 * caller with its ops->dec_create(&fmtp[i]) on the control core, and its parameters.
	 * The leg decodes with it on the worker; the caller destroys it after
	 * mxp_media_leg_fini(). A leg has one decoder per frame codec: entries of the same
	 * codec must share decoder and parameters. Ignored for the other codecs.
	 */
	void *dec[MXP_MEDIA_MAX_PT];
	struct mxp_media_fmtp fmtp[MXP_MEDIA_MAX_PT];
	/**
	 * With a frame codec as out_codec: the encoder of the leg's private mix when it
	 * talks (mxp_media_coder_init_frame() by the caller, same lifetime as dec[]). The
	 * mixer cannot make one on the worker, where the codec libraries must not allocate.
	 */
	struct mxp_media_coder *priv_enc;
	int16_t event_pt;          /**< RFC 4733 telephone-event PT, or -1 */
	int16_t cn_pt;             /**< RFC 3389 comfort noise PT (13 or dynamic), or -1 */
	uint8_t out_codec;         /**< codec the leg receives: decides its output rate */
	uint8_t mode;              /**< enum mxp_stream_mode */
	uint8_t vad_threshold;     /**< speech above -N dBov; default 50 */
	/**
	 * A cascade leg (the link to another MRFP's part of the conference): once attached it
	 * always holds one of the mixer's cascade slots (outside max_talkers, never displaced),
	 * its input is mixed for everyone whenever it is eligible, and what it hears is the
	 * mix of the other legs that are not cascade legs (never another cascade leg's input,
	 * so nothing received from one MRFP is relayed to a third one, and never its own).
	 */
	bool cascade;
	uint16_t hangover_ms;      /**< speech hangover; default 300 */
	/**
	 * Returns a packet buffer the leg took (see mxp_media_leg_rx()) once the leg is done
	 * with it: played, dropped as stale (behind the playout point), on a stream restart,
	 * or by mxp_media_leg_fini() (a queued packet's slot is never overwritten). Called
	 * from rx, the mix tick and fini, on the caller's thread; it must not call back into
	 * the leg. NULL: buffers are never returned (they outlive the leg).
	 */
	void (*release)(void *ref, void *arg);
	void *release_arg;         /**< passed to release */
};

/** How far after a packet's ref its payload may start (mxp_media_pkt). */
#define MXP_MEDIA_PAYLOAD_OFF_MAX 65535u

/**
 * One received RTP packet (already SRTP-decrypted), as lib/pkt parsed it. The jitter
 * buffer keeps audio by reference: ref is the caller's buffer that holds the payload
 * (in lib/conf the rte_mbuf), payload points into it: at ref or at most
 * MXP_MEDIA_PAYLOAD_OFF_MAX bytes after it (an audio packet's payload elsewhere is
 * BAD_PAYLOAD: a buffer whose data is elsewhere, like an mbuf attached to an external
 * buffer, is the caller's to copy first).
 */
struct mxp_media_pkt {
	void *ref;                 /**< buffer holding payload; required for audio */
	const uint8_t *payload;
	uint16_t len;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint8_t pt;
	uint8_t marker;
	uint8_t level;             /**< RFC 6464 level 0..127 (-dBov), or MXP_MEDIA_LEVEL_NONE */
};

/** What mxp_media_leg_rx() did with a packet; each has a per-leg counter. */
#define MXP_MEDIA_RX_RESULTS(X) \
	X(AUDIO,       "audio packet queued in the jitter buffer") \
	X(EVENT,       "RFC 4733 telephone-event packet (reported, never mixed)") \
	X(CN,          "comfort noise: leg is silent (DTX)") \
	X(DUPLICATE,   "dropped: sequence number already received") \
	X(LATE,        "dropped: arrived after its playout time") \
	X(UNKNOWN_PT,  "dropped: payload type not configured for this leg") \
	X(BAD_PAYLOAD, "dropped: empty or malformed payload, or no ref / offset out of range") \
	X(NOT_SENDING, "dropped: leg is recvonly or inactive") \
	X(RESYNC,      "queued after a stream restart (SSRC, timestamp or sequence jump)") \
	X(OUTLIER,     "dropped: far off the stream's timeline; a second one in step restarts it") \
	X(TOO_LARGE,   "dropped: payload longer than max_payload")

enum mxp_media_rx_result {
#define MXP_MEDIA_RX_ENUM(n, d) MXP_MEDIA_RX_##n,
	MXP_MEDIA_RX_RESULTS(MXP_MEDIA_RX_ENUM)
#undef MXP_MEDIA_RX_ENUM
	MXP_MEDIA_RX_COUNT
};

/**
 * Whether mxp_media_leg_rx() took the packet's buffer (pkt->ref): exactly for AUDIO and
 * RESYNC, the results that queue the packet. The leg then owns ref until it hands it to
 * params.release; for every other result the caller still owns it.
 */
static inline bool
mxp_media_rx_taken(enum mxp_media_rx_result r)
{
	return r == MXP_MEDIA_RX_AUDIO || r == MXP_MEDIA_RX_RESYNC;
}

/** Name and description of an rx result ("late", "dropped: arrived after ..."). */
const char *mxp_media_rx_result_name(enum mxp_media_rx_result r);
const char *mxp_media_rx_result_desc(enum mxp_media_rx_result r);

/** An RFC 4733 telephone event as reported to the caller. */
struct mxp_media_event {
	uint8_t type;              /**< MXP_MEDIA_EVENT_START or _END */
	uint8_t event;             /**< 0-9, 10 '*', 11 '#', 12-15 A-D, others per RFC 4734 */
	uint8_t volume;            /**< -dBm0 */
	uint16_t duration;         /**< in RTP timestamp units (END: final duration) */
	uint32_t ts;               /**< event start timestamp */
};
#define MXP_MEDIA_EVENT_NONE 0
#define MXP_MEDIA_EVENT_START 1
#define MXP_MEDIA_EVENT_END 2

/** Per-leg counters and gauges (for RTCP reports and the CLI). The leg counts packets in
 * 32 bits (they wrap after 2^32 packets), samples in 64. */
struct mxp_media_leg_stats {
	uint64_t rx[MXP_MEDIA_RX_COUNT];  /**< packets per rx result */
	uint64_t reordered;        /**< arrived after a higher sequence number */
	uint64_t lost;             /**< sequence numbers never played (not received in time) */
	uint64_t concealed;        /**< samples (codec rate) produced by loss concealment */
	uint64_t played;           /**< samples (codec rate) played from packets */
	uint64_t silence;          /**< samples of DTX/underrun silence after concealment */
	uint64_t accelerated;      /**< samples dropped to shrink the buffer or follow drift */
	uint64_t expanded;         /**< samples inserted to grow the buffer or follow drift */
	uint64_t resyncs;          /**< stream restarts (SSRC change, timestamp jump) */
	uint64_t flushed;          /**< packets queued (taken, never played) that a stream
				        *   restart discarded */
	uint64_t events;           /**< telephone events started */
	uint64_t fec_recovered;    /**< lost packets rebuilt from the next one's FEC (Opus) */
	uint32_t depth_ms;         /**< current playout delay of the newest packet */
	uint32_t target_ms;        /**< adaptive target delay */
	uint32_t jitter;           /**< RFC 3550 interarrival jitter, timestamp units */
	uint32_t buffered;         /**< packet buffers (refs) the leg holds now */
	uint8_t level;             /**< last frame level, -dBov (127 = silence) */
	bool speaking;             /**< speech detected (with hangover) */
	bool talker;               /**< in the mixer's talker set */
};

struct mxp_media_leg;

/**
 * Memory a leg needs for params (the jitter buffer's slots are sized from ptime and
 * max_delay; the buffered payloads stay in the caller's buffers). Allocate it 64-byte
 * aligned.
 * @return bytes, or 0 if params are invalid.
 */
size_t mxp_media_leg_size(const struct mxp_media_leg_params *p);
/**
 * Why params do not make a leg (mxp_media_leg_size() returned 0): the same message
 * mxp_media_leg_init() would give. @return 0 if they do, or -EINVAL with err.
 */
int mxp_media_leg_check(const struct mxp_media_leg_params *p, char *err, size_t errlen);
/**
 * Initialise a leg in caller memory of mxp_media_leg_size() bytes.
 * @return 0, or -EINVAL (bad ptime, codec, payload type map; err says which).
 */
int mxp_media_leg_init(struct mxp_media_leg *leg, const struct mxp_media_leg_params *p,
		       char *err, size_t errlen);

/**
 * Per received packet: classify, detect telephone events, queue audio in the jitter
 * buffer. O(1); copies nothing: the slot refers to pkt->ref.
 *
 * Ownership: when the result is MXP_MEDIA_RX_AUDIO or MXP_MEDIA_RX_RESYNC
 * (mxp_media_rx_taken()), the leg has taken pkt->ref and returns it exactly once through
 * params.release; the caller must neither free nor modify the buffer until then. For
 * every other result (events, CN, duplicates, late packets, outliers, bad payloads, ...)
 * the caller keeps it. An audio packet without ref is BAD_PAYLOAD.
 * @param now_us arrival time (same clock as the ticks).
 * @param ev filled when the result is MXP_MEDIA_RX_EVENT and a digit starts or ends
 *        (ev->type NONE for retransmissions and updates); may be NULL.
 * @return what happened to the packet (counted in stats.rx[]).
 */
enum mxp_media_rx_result mxp_media_leg_rx(struct mxp_media_leg *leg,
					   const struct mxp_media_pkt *pkt, uint64_t now_us,
					   struct mxp_media_event *ev);

/**
 * Release every packet buffer the leg holds (through params.release) and forget the
 * stream, as at a stream restart. Call it before freeing the leg (lib/conf: when the leg
 * is removed, after mxp_media_mixer_leg_remove()); the leg remains usable. Idempotent.
 */
void mxp_media_leg_fini(struct mxp_media_leg *leg);

/**
 * Ask the CPU for what mxp_media_leg_rx() will write for a packet with this sequence
 * number beyond the leg's first two cache lines: the jitter-buffer slot descriptor, the
 * transit window and the counters (a prefetch: no effect on the result). Call it a few
 * packets ahead of mxp_media_leg_rx(), once the leg's first two lines (offsets 0 and 64,
 * which it reads) are in cache: with thousands of legs each leg's state is cold when
 * its next packet arrives, 20 ms later.
 */
void mxp_media_leg_prefetch(const struct mxp_media_leg *leg, uint16_t seq);

/** Change the stream mode; takes effect at the next tick. */
void mxp_media_leg_set_mode(struct mxp_media_leg *leg, enum mxp_stream_mode mode);
/** Mute or unmute (floor control): a muted leg is not mixed from the next tick. */
void mxp_media_leg_set_mute(struct mxp_media_leg *leg, bool mute);
/** Change the codec the leg receives (its output rate). */
void mxp_media_leg_set_out_codec(struct mxp_media_leg *leg, enum mxp_media_codec c);
/**
 * What the last packet of a frame codec decoded said (CMR, DTX, damaged frames; cmr -1 and
 * zeros if none yet or the leg has no frame codec). Read from another thread it is a
 * snapshot that may mix two packets' values.
 */
void mxp_media_leg_codec_info(const struct mxp_media_leg *leg, struct mxp_media_rx_info *info);
/** Copy the leg's counters. */
void mxp_media_leg_stats_get(const struct mxp_media_leg *leg, struct mxp_media_leg_stats *st);
/** The caller's id given at init. */
uint32_t mxp_media_leg_id(const struct mxp_media_leg *leg);
/** The caller's opaque pointer given at init. */
void *mxp_media_leg_opaque(const struct mxp_media_leg *leg);
/** Output sample rate of the leg (rate of its out_codec). */
unsigned mxp_media_leg_out_rate(const struct mxp_media_leg *leg);
/** The leg's RFC 4733 telephone-event payload type, -1 if it has none. */
int mxp_media_leg_event_pt(const struct mxp_media_leg *leg);
/**
 * Index of this leg in the last tick's result talkers[], or -1 if it hears the shared mix.
 */
int mxp_media_leg_talker_slot(const struct mxp_media_leg *leg);
/** The leg is a cascade leg (mxp_media_leg_params.cascade, mxp_media_mixer_leg_set_cascade()). */
bool mxp_media_leg_cascade(const struct mxp_media_leg *leg);

/* ------------------------------------------------------------------------------------ */
/* Mixer                                                                                */

/** Conference mixer configuration. */
struct mxp_media_mixer_params {
	uint16_t ptime_ms;         /**< tick: 10, 20, 30 or 40; default 20 */
	uint32_t max_legs;         /**< capacity; required */
	uint8_t max_talkers;       /**< N loudest mixed; default 3, at most 8 */
	uint8_t hysteresis_db;     /**< a challenger must be this much louder; default 6 */
	uint16_t rate;             /**< 0: follow the legs (48000 when one hears a 48 kHz codec
				    and plays more than wideband, else 16000 when one has a
				    16 kHz codec or more, else 8000); or 8000/16000/48000
				    fixed. A leg whose codec is wider than the mix rate hears
				    the mix upsampled to its codec's rate. */
	uint8_t simd;              /**< enum mxp_media_simd; AUTO by default */
	uint16_t limit;            /**< limiter ceiling (peak sample); default 29000 */
	/** cascade legs the mixer can hold (each has a slot of its own besides the
	 *  max_talkers); default 0; max_talkers + max_cascade <= MXP_MEDIA_MAX_TALKERS */
	uint8_t max_cascade;
	/** The cascade legs' slots are not part of the mixer's memory: the caller adds one
	 *  with mxp_media_mixer_slot_add() before each cascade leg the mixer has no slot for
	 *  (a mixer that never cascades costs max_cascade slots less, some 768 bytes each). */
	bool cascade_slots_added;
};

/** One talker's private mix (everyone else, never itself) at the talker's output rate. */
struct mxp_media_mix_talker {
	struct mxp_media_leg *leg;
	uint32_t id;
	const int16_t *pcm;        /**< samples at rate */
	/**
	 * Encoder of this talker's private stream (the leg's out codec), owned by the
	 * mixer's talker slot: set up when the leg becomes a talker and continuous while it
	 * stays one (the same pointer tick after tick). Encode pcm with it, once per tick.
	 */
	struct mxp_media_coder *coder;
	uint16_t rate;
	uint16_t samples;
	bool cascade;              /**< a cascade leg: pcm is the mix of the non-cascade legs */
	/** A cascade leg's mix is silence (no other leg is mixed): send nothing this tick.
	 *  Always false for the other talkers (their pcm may be silence, and is sent). */
	bool silent;
};

/**
 * What a tick produced. The sample pointers stay valid until the next tick of any mixer on
 * the same thread: a tick works in buffers the thread's mixers share (one worker ticks its
 * conferences one after the other), so consume a result before the next tick.
 */
struct mxp_media_mix_result {
	uint64_t tick;             /**< tick counter */
	uint32_t skipped;          /**< ticks missed before this one (the worker was late) */
	uint16_t rate;             /**< internal mix rate */
	bool silent;               /**< nothing mixed: the shared mix is digital silence */
	/** talkers[] entries: the mixed talkers and every attached cascade leg (mixed or not) */
	uint8_t n_talkers;
	/** The shared mix per output rate (mxp_media_rate_idx()): [0] 8 kHz, [1] 16 kHz,
	 * [2] 48 kHz, NULL where no leg receives that rate; a rate above the mix rate is the
	 * mix upsampled (a private mix too). Encode once per codec, encrypt once per key
	 * group. */
	const int16_t *shared[MXP_MEDIA_N_RATES];
	uint16_t shared_samples[MXP_MEDIA_N_RATES];
	struct mxp_media_mix_talker talkers[MXP_MEDIA_MAX_TALKERS];
	uint32_t active_legs;      /**< legs that had anything to process this tick */
};

/** Mixer counters. */
struct mxp_media_mixer_stats {
	uint64_t ticks;
	uint64_t late_ticks;       /**< ticks skipped because the worker was late */
	uint64_t talker_changes;   /**< talker set joins + leaves */
	uint64_t limited_frames;   /**< output frames where the limiter reduced gain */
	/** Legs not pulled for want of a free frame buffer: always 0 (the pool of 3N + 1 is
	 * enough by construction); anything else is a bug, and such a leg is silent for the
	 * tick. */
	uint64_t pool_empty;
	uint32_t legs, active_legs;
	uint32_t rate;             /**< the mix rate (from the next tick on): 8000, 16000, 48000 */
};

struct mxp_media_mixer;

/** Bytes a mixer needs (without its legs). 0 if params are invalid. */
size_t mxp_media_mixer_size(const struct mxp_media_mixer_params *p);
/**
 * Initialise a mixer in caller memory (64-byte aligned).
 * @param now_us time of the first tick.
 * @return 0, -EINVAL (bad params), -ENOTSUP (forced SIMD variant not on this CPU).
 */
int mxp_media_mixer_init(struct mxp_media_mixer *m, const struct mxp_media_mixer_params *p,
			 uint64_t now_us);
/** SIMD variant the mixer runs. */
enum mxp_media_simd mxp_media_mixer_simd(const struct mxp_media_mixer *m);
/** Bytes of one cascade slot (mxp_media_mixer_params.cascade_slots_added), 64-byte aligned. */
size_t mxp_media_mixer_slot_size(void);
/**
 * Give the mixer a cascade slot's memory (mxp_media_mixer_slot_size() bytes, 64-byte
 * aligned), on the ticking thread between two ticks. The mixer keeps it until it is no
 * longer used: free it after the mixer. Slots are never given back: a mixer holds at most
 * max_cascade of them, the most cascade legs it has had at once.
 * @return 0, -ENOSPC (max_cascade slots added already), -EINVAL (the mixer's slots are
 * its own: cascade_slots_added not set).
 */
int mxp_media_mixer_slot_add(struct mxp_media_mixer *m, void *mem);
/** Cascade slots to add before one more cascade leg (0 when it has one free; 1 also when
 *  it holds max_cascade cascade legs already, which no slot changes). */
unsigned mxp_media_mixer_slots_missing(const struct mxp_media_mixer *m);
/**
 * Attach an initialised leg (its ptime must equal the mixer's).
 * @return 0, -ENOSPC (max_legs reached; a cascade leg: max_cascade reached or no slot
 * added for it), -EINVAL (ptime mismatch), -EBUSY (attached).
 */
int mxp_media_mixer_leg_add(struct mxp_media_mixer *m, struct mxp_media_leg *leg);
/**
 * Make an attached leg a cascade leg or an ordinary one (mxp_media_leg_params.cascade), on
 * the ticking thread between two ticks. A cascade leg takes a cascade slot at once; an
 * ordinary one leaves the talker set (it rejoins as any candidate).
 * @return 0, -ENOSPC (every cascade slot taken, or none added), -EINVAL (not attached to m).
 */
int mxp_media_mixer_leg_set_cascade(struct mxp_media_mixer *m, struct mxp_media_leg *leg,
				    bool on);
/** Detach a leg; it stops being mixed and heard at once. The packet buffers it holds stay
 * with it (mxp_media_leg_fini() returns them). */
void mxp_media_mixer_leg_remove(struct mxp_media_mixer *m, struct mxp_media_leg *leg);
/** Time the next tick is due, microseconds. */
uint64_t mxp_media_mixer_next_tick(const struct mxp_media_mixer *m);
/**
 * The mix tick. Call when now_us >= mxp_media_mixer_next_tick(). Pulls one ptime from
 * every active leg (idle and silent legs cost nothing), updates talker selection, mixes.
 * If the worker was late by whole ptimes, those ticks are skipped (counted, and the
 * legs drop the corresponding audio) rather than produced in a burst.
 * @return the result (owned by the mixer, valid until the next tick).
 */
const struct mxp_media_mix_result *mxp_media_mix_tick(struct mxp_media_mixer *m,
						      uint64_t now_us);
/**
 * Produce the shared mix at the mix rate (res->shared[mxp_media_rate_idx(rate)]) on every tick even
 * when no leg receives that rate (a recording of a conference of senders only). Call it
 * on the ticking thread.
 */
void mxp_media_mixer_keep_shared(struct mxp_media_mixer *m, bool on);
/** Copy the mixer's counters (O(1): they are the mixer's own). */
void mxp_media_mixer_stats_get(const struct mxp_media_mixer *m,
			       struct mxp_media_mixer_stats *st);
/**
 * Packet buffers the attached legs hold now (queued, and the one each leg is decoding):
 * what the caller must keep in its buffer pool for them. Walks every leg: for memory
 * reports, not for every tick or status query.
 */
uint32_t mxp_media_mixer_buffered(const struct mxp_media_mixer *m);

#ifdef __cplusplus
}
#endif

#endif
