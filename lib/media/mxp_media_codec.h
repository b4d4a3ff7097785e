/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/media codecs and resampler: G.711 (PCMU/PCMA), G.722 (64 kbit/s), L16, and the
 * 8 <-> 16 kHz half-band resampler. Pure functions over caller-allocated state; no
 * allocation, no EAL.
 *
 * Sample format everywhere: host-order int16_t, mono. L16 payloads are network order.
 */
#ifndef MXP_MEDIA_CODEC_H
#define MXP_MEDIA_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Codecs lib/media decodes and encodes. */
enum mxp_media_codec {
	MXP_MEDIA_CODEC_NONE = 0,
	MXP_MEDIA_CODEC_PCMU,    /**< G.711 mu-law, 8 kHz, RTP clock 8000 (RFC 3551 PT 0) */
	MXP_MEDIA_CODEC_PCMA,    /**< G.711 A-law, 8 kHz, RTP clock 8000 (PT 8) */
	MXP_MEDIA_CODEC_G722,    /**< G.722 64 kbit/s, 16 kHz audio, RTP clock 8000 (PT 9) */
	MXP_MEDIA_CODEC_L16_8K,  /**< 16-bit linear, network order, 8 kHz, clock 8000 */
	MXP_MEDIA_CODEC_L16_16K, /**< 16-bit linear, network order, 16 kHz, clock 16000 */
	/* Frame codecs behind struct mxp_media_codec_ops (dynamic payload types, a=fmtp): */
	MXP_MEDIA_CODEC_AMR,     /**< AMR-NB (RFC 4867), 8 kHz, clock 8000 */
	MXP_MEDIA_CODEC_AMR_WB,  /**< AMR-WB (RFC 4867), 16 kHz, clock 16000 */
	MXP_MEDIA_CODEC_OPUS,    /**< Opus (RFC 7587), mono, 48 kHz, clock 48000 */
	MXP_MEDIA_CODEC_PLUGIN,  /**< first codec a shared library registers at start */
	MXP_MEDIA_CODEC_COUNT = MXP_MEDIA_CODEC_PLUGIN + 2 /**< (two plugin codecs) */
};

/** Narrowband, wideband and fullband sample rates. */
#define MXP_MEDIA_RATE_NB 8000
#define MXP_MEDIA_RATE_WB 16000
#define MXP_MEDIA_RATE_FB 48000
/** Index of a mix rate in per-rate arrays (mxp_media_mix_result.shared): 0 8 kHz, 1 16
 * kHz, 2 48 kHz. */
#define MXP_MEDIA_N_RATES 3
static inline unsigned
mxp_media_rate_idx(unsigned rate)
{
	return rate >= MXP_MEDIA_RATE_FB ? 2u : rate >= MXP_MEDIA_RATE_WB ? 1u : 0u;
}
/** The rate at index i of per-rate arrays (i < MXP_MEDIA_N_RATES): the inverse of
 * mxp_media_rate_idx(). */
static inline unsigned
mxp_media_rate_of_idx(unsigned i)
{
	return i >= 2u ? MXP_MEDIA_RATE_FB : i == 1u ? MXP_MEDIA_RATE_WB : MXP_MEDIA_RATE_NB;
}

/** Longest frame lib/media handles: 40 ms at 48 kHz. */
#define MXP_MEDIA_MAX_FRAME 1920
/** Longest packet a leg accepts, in ms of audio (RFC 4867 / RFC 7587 allow 120 ms). */
#define MXP_MEDIA_MAX_PKT_MS 120

/** Audio sample rate of a codec's PCM (8000, 16000 or 48000), 0 for NONE/unknown. */
unsigned mxp_media_codec_rate(enum mxp_media_codec c);
/** RTP clock rate of a codec (RFC 3551: 8000 for G.722), 0 for NONE/unknown. */
unsigned mxp_media_codec_clock(enum mxp_media_codec c);
/** Name as in SDP a=rtpmap ("PCMU", "PCMA", "G722", "L16"), "none" otherwise. */
const char *mxp_media_codec_name(enum mxp_media_codec c);
/**
 * Codec for an SDP encoding name and clock rate (case-insensitive), e.g. ("G722", 8000).
 * @return the codec, or MXP_MEDIA_CODEC_NONE if not supported.
 */
enum mxp_media_codec mxp_media_codec_from_name(const char *name, unsigned clock);
/** Number of PCM samples a payload of len bytes decodes to (L16: len/2, odd byte ignored). */
unsigned mxp_media_codec_samples(enum mxp_media_codec c, unsigned len);
/** RTP timestamp units covered by a payload of len bytes. */
unsigned mxp_media_codec_ts_units(enum mxp_media_codec c, unsigned len);
/** Payload bytes for n PCM samples (G.722: n must be even). */
unsigned mxp_media_codec_bytes(enum mxp_media_codec c, unsigned n);

/* --- Frame codecs: the codec interface (AMR, AMR-WB, Opus, plugins) --- */

/**
 * A codec's parsed SDP parameters (a=fmtp), private to the codec: it parses them from the
 * fmtp text into this fixed-size block and reads them back when it creates a decoder or an
 * encoder. Two equal blocks (memcmp) are the same parameters: the shared mix keeps one
 * encoder per codec and parameters. Zero-filled then parsed from "" = the codec's defaults.
 */
#define MXP_MEDIA_FMTP_SIZE 64
struct mxp_media_fmtp {
	uint64_t b[MXP_MEDIA_FMTP_SIZE / 8];
};

/** What decoding one RTP payload learned besides the samples (for the leg's counters). */
struct mxp_media_rx_info {
	int8_t cmr;          /**< AMR codec mode request in the payload, -1 none (15) */
	uint8_t mode;        /**< AMR: mode (FT) of the last speech frame; Opus: 0 */
	uint8_t speech;      /**< speech frames decoded */
	uint8_t sid;         /**< comfort-noise (SID) frames: the sender is in DTX */
	uint8_t no_data;     /**< NO_DATA frames (or Opus DTX): nothing sent for them */
	uint8_t damaged;     /**< frames marked damaged (AMR Q = 0), decoded as lost */
};

/**
 * What lib/conf shows of a codec instance (`show leg`): mode, CMR, DTX state.
 * The codec fills what applies, 0 / -1 elsewhere.
 */
struct mxp_media_codec_state {
	int8_t mode;         /**< AMR: current encoder mode (0-7 / 0-8), -1 n/a */
	int8_t cmr_sent;     /**< AMR: CMR we put in our payloads, -1 none */
	uint32_t bitrate;    /**< Opus: encoder bit rate, bit/s; AMR: of mode */
	int8_t complexity;   /**< Opus: encoder complexity 0-10, -1 n/a */
	bool dtx;            /**< DTX enabled on the encoder */
	bool fec;            /**< Opus in-band FEC enabled on the encoder */
};

/** Version of struct mxp_media_codec_ops a plugin must be built against. */
#define MXP_MEDIA_CODEC_ABI 1

/**
 * A frame codec: one table of functions per codec. Built in: AMR, AMR-WB, Opus
 * (mxp_media_codec_ops() returns them); a plugin (a shared library the daemon loads at
 * start) passes its own to mxp_media_codec_register().
 *
 * Threads: the "control" functions run on the control core and may allocate, lock or log;
 * the "worker" functions run on a worker per packet or tick and must not allocate, lock,
 * log, make system calls or read out of [pl, pl + len) whatever the payload holds (they
 * see attacker-controlled input after SRTP authentication).
 *
 * A decoder decodes a whole RTP payload at once (every frame in it); an encoder makes one
 * RTP payload (payload header, table of contents, frames) from one packet time of PCM.
 */
struct mxp_media_codec_ops {
	uint32_t abi;            /**< MXP_MEDIA_CODEC_ABI */
	const char *name;        /**< SDP encoding name, case-insensitive ("AMR-WB") */
	uint32_t clock;          /**< RTP clock rate in a=rtpmap (8000, 16000, 48000) */
	uint32_t rate;           /**< PCM rate of decode/encode: 8000, 16000 or 48000 (the clock is a
				      multiple of 8000 and of the rate, or divides it) */
	uint16_t frame_ms;       /**< frame duration: the packet time is a multiple of it */
	uint16_t max_payload;    /**< largest payload of MXP_MEDIA_MAX_PKT_MS of audio */

	/* -- control -- */
	/** Parse fmtp text ("octet-align=1; mode-set=0,2"; "" or NULL = defaults) into f
	 *  (zeroed by the caller). -EINVAL / -ENOTSUP with err saying which parameter. */
	int (*fmtp_parse)(const char *fmtp, struct mxp_media_fmtp *f, char *err, size_t errlen);
	/** fmtp text for the Local SDP: what the MRFP receives and sends. Returns the length
	 *  (snprintf semantics). */
	int (*fmtp_format)(const struct mxp_media_fmtp *f, char *buf, size_t cap);
	/** A decoder for these parameters, or NULL (no memory). */
	void *(*dec_create)(const struct mxp_media_fmtp *f);
	void (*dec_destroy)(void *dec);
	/** An encoder of one packet time (ptime_ms, a multiple of frame_ms) per call. */
	void *(*enc_create)(const struct mxp_media_fmtp *f, unsigned ptime_ms);
	void (*enc_destroy)(void *enc);
	/** Bytes a decoder / an encoder holds (show memory), approximate. */
	size_t (*dec_mem)(const struct mxp_media_fmtp *f);
	size_t (*enc_mem)(const struct mxp_media_fmtp *f);

	/* -- worker -- */
	/** RTP timestamp units the payload covers (its frames x frame duration), or -1 if
	 *  the payload is malformed (bad table of contents, truncated frame, empty). Called per
	 *  received packet: it must not decode. */
	int (*duration)(const struct mxp_media_fmtp *f, const uint8_t *pl, unsigned len);
	/** Decode a payload into cap samples at rate (cap >= duration's samples). Damaged and
	 *  NO_DATA frames are concealed by the codec. Returns samples written, or -1 if the
	 *  payload is malformed (nothing written); info (may be NULL) filled. */
	int (*decode)(void *dec, const uint8_t *pl, unsigned len, int16_t *pcm, unsigned cap,
		      struct mxp_media_rx_info *info);
	/** n samples of the codec's own loss concealment for a lost packet, or NULL (lib/media
	 *  conceals). Returns samples written or -1. */
	int (*conceal)(void *dec, int16_t *pcm, unsigned n);
	/** n samples for a lost packet recovered from the redundancy the next packet carries
	 *  (Opus in-band FEC), or -1 if it carries none for them (then conceal() is used).
	 *  NULL: the codec has no such redundancy. */
	int (*conceal_fec)(void *dec, const uint8_t *next_pl, unsigned len, int16_t *pcm,
			   unsigned n);
	/** Encode one packet time of PCM (rate x ptime samples) into an RTP payload. Returns
	 *  bytes, 0 when DTX sends nothing this packet time, -1 on error (cap too small). */
	int (*encode)(void *enc, const int16_t *pcm, unsigned n, uint8_t *out, unsigned cap);
	/** A receiver's codec mode request (AMR CMR 0-8; 15: no request any more, back to the
	 *  encoder's own choice): the encoder switches within its mode-set and mode-change
	 *  rules. NULL: the codec has no CMR. */
	void (*enc_request)(void *enc, int cmr);
	/** The encoder's state for show leg. NULL: nothing to show. */
	void (*enc_state)(const void *enc, struct mxp_media_codec_state *st);
};

/** The built-in or registered table of a frame codec, NULL for G.711/G.722/L16 and unknown. */
const struct mxp_media_codec_ops *mxp_media_codec_ops(enum mxp_media_codec c);
/** Whether c is a frame codec (has ops). */
static inline int
mxp_media_codec_is_frame(enum mxp_media_codec c)
{
	return c >= MXP_MEDIA_CODEC_AMR && c < MXP_MEDIA_CODEC_COUNT;
}
/**
 * Register a plugin codec (control core, at start, before any leg exists).
 * @return its codec id (>= MXP_MEDIA_CODEC_PLUGIN), -EINVAL (bad table: abi, name, clock,
 * rate, missing function), -EEXIST (name and clock already known), -ENOSPC (no slot).
 */
int mxp_media_codec_register(const struct mxp_media_codec_ops *ops);
/**
 * Parse fmtp text for codec c into f (zeroed here). G.711/G.722/L16 take no parameters:
 * "" only. @return 0, -EINVAL / -ENOTSUP with err.
 */
int mxp_media_fmtp_parse(enum mxp_media_codec c, const char *fmtp, struct mxp_media_fmtp *f,
			 char *err, size_t errlen);

/* Built-in tables (codec_amr.c, codec_opus.c). */
extern const struct mxp_media_codec_ops mxp_media_amr_ops;
extern const struct mxp_media_codec_ops mxp_media_amrwb_ops;
extern const struct mxp_media_codec_ops mxp_media_opus_ops;

/* --- G.711 (ITU-T G.711, segment/mantissa formulation) --- */

/** Encode one sample to mu-law. */
uint8_t mxp_media_ulaw_enc1(int16_t x);
/** Encode one sample to A-law (even bits inverted, as transmitted). */
uint8_t mxp_media_alaw_enc1(int16_t x);
/** Decode one mu-law byte. */
int16_t mxp_media_ulaw_dec1(uint8_t u);
/** Decode one A-law byte. */
int16_t mxp_media_alaw_dec1(uint8_t a);
/** Encode n samples to mu-law; out holds n bytes. */
void mxp_media_ulaw_encode(uint8_t *out, const int16_t *in, unsigned n);
/** Encode n samples to A-law; out holds n bytes. */
void mxp_media_alaw_encode(uint8_t *out, const int16_t *in, unsigned n);
/** Decode n mu-law bytes; out holds n samples. */
void mxp_media_ulaw_decode(int16_t *out, const uint8_t *in, unsigned n);
/** Decode n A-law bytes; out holds n samples. */
void mxp_media_alaw_decode(int16_t *out, const uint8_t *in, unsigned n);
/**
 * Sum of squared decoded samples of n G.711 bytes, without decoding to a buffer
 * (level detection of legs that are not mixed). ulaw != 0 selects mu-law.
 */
uint64_t mxp_media_g711_energy(const uint8_t *in, unsigned n, int ulaw);

/* --- G.722 (ITU-T G.722 (2012) sub-band ADPCM, 64 kbit/s mode 1) --- */

/** One sub-band's ADPCM state (ITU-T G.722 blocks 2-4). */
struct mxp_media_g722_band {
	int32_t s, sp, sz;     /**< predictor outputs: total, pole, zero */
	int32_t r[3], a[3], ap[3], p[3];
	int32_t d[7], b[7], bp[7];
	int32_t nb, det;       /**< log and linear quantizer scale factors */
};

/** G.722 encoder or decoder state: QMF delay line and two sub-bands. */
struct mxp_media_g722_state {
	int32_t x[24];
	struct mxp_media_g722_band band[2];
};

/** Reset a G.722 encoder or decoder to the ITU-T initial state. */
void mxp_media_g722_init(struct mxp_media_g722_state *st);
/**
 * Encode n 16 kHz samples (n even) into n/2 bytes (RFC 3551: one byte per sample pair,
 * high sub-band code in the 2 most significant bits).
 * @return bytes written (n/2).
 */
unsigned mxp_media_g722_encode(struct mxp_media_g722_state *st, uint8_t *out, const int16_t *in,
			       unsigned n);
/**
 * Decode len bytes into 2*len samples at 16 kHz.
 * @return samples written (2*len).
 */
unsigned mxp_media_g722_decode(struct mxp_media_g722_state *st, int16_t *out, const uint8_t *in,
			       unsigned len);

/* --- L16 (RFC 3551 4.5.11: network byte order) --- */

/** Encode n samples to big-endian 16-bit; out holds 2n bytes. */
void mxp_media_l16_encode(uint8_t *out, const int16_t *in, unsigned n);
/** Decode n big-endian 16-bit samples; in holds 2n bytes. */
void mxp_media_l16_decode(int16_t *out, const uint8_t *in, unsigned n);

/* --- Codec objects: one per output stream (encoder) or per input leg (decoder) --- */

/**
 * A codec instance. Stateless codecs (G.711, L16) ignore the G.722 state. An encoder
 * belongs to an output stream (shared mix per codec, or a talker's private mix), so
 * its state stays continuous whichever listeners the stream currently serves.
 */
struct mxp_media_coder {
	enum mxp_media_codec codec;
	struct mxp_media_g722_state g722;
	const struct mxp_media_codec_ops *x; /**< frame codecs: the codec's table */
	void *xs;                            /**< frame codecs: its encoder or decoder */
	uint16_t ptime_ms;                   /**< frame codecs: the packet time it encodes */
};

/**
 * Initialise a coder for G.711, G.722 or L16 (any thread: no allocation).
 * @return 0, or -EINVAL for an unknown or a frame codec.
 */
int mxp_media_coder_init(struct mxp_media_coder *c, enum mxp_media_codec codec);
/**
 * Initialise the encoder of a frame codec with its parameters, for one packet time per
 * mxp_media_encode() (control core: the codec library allocates).
 * @return 0, -EINVAL (not a frame codec, ptime not a multiple of its frame), -ENOMEM.
 */
int mxp_media_coder_init_frame(struct mxp_media_coder *c, enum mxp_media_codec codec,
			       const struct mxp_media_fmtp *f, unsigned ptime_ms);
/** Release what mxp_media_coder_init_frame() made (no-op for the other codecs). */
void mxp_media_coder_fini(struct mxp_media_coder *c);
/**
 * Encode n samples at the codec's rate (frame codecs: one packet time).
 * @return bytes written (frame codecs: 0 when DTX sends nothing), or -ENOSPC if cap is too
 * small, -EINVAL if n is odd for G.722.
 */
int mxp_media_encode(struct mxp_media_coder *c, const int16_t *pcm, unsigned n, uint8_t *out,
		     size_t cap);
/**
 * Decode a payload into samples at the codec's rate.
 * @return samples written, or -ENOSPC if cap (in samples) is too small.
 */
int mxp_media_decode(struct mxp_media_coder *c, const uint8_t *in, unsigned len, int16_t *out,
		     size_t cap);

/* --- 8 / 16 / 48 kHz resampler (integer FIRs: 63-tap half-band, 96-tap third-band) --- */

#define MXP_MEDIA_RS_HIST 160

/** Resampler state: direction and input history. Delay: 15.5 input samples at 8 kHz
 * (8 <-> 16 kHz), 47.5 samples at 48 kHz (16 <-> 48 kHz), both for 8 <-> 48 kHz. */
struct mxp_media_rs {
	uint32_t from, to;
	int16_t hist[MXP_MEDIA_RS_HIST];
};

/**
 * Initialise a resampler from one rate to another (any pair of 8000, 16000 and 48000;
 * equal rates copy).
 * @return 0, or -EINVAL for another rate.
 */
int mxp_media_rs_init(struct mxp_media_rs *rs, unsigned from, unsigned to);
/**
 * Resample n input samples (when downsampling, n a multiple of from / to: 2, 3 or 6).
 * @return output samples written (n * to / from).
 */
unsigned mxp_media_rs_run(struct mxp_media_rs *rs, int16_t *out, const int16_t *in, unsigned n);

#ifdef __cplusplus
}
#endif

#endif
