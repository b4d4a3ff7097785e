/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 4867 AMR / AMR-WB RTP payload parser and packer (pure C: no library calls, no
 * allocation), shared by codec_amr.c, its unit test and its fuzzer.
 *
 * Both payload formats, without interleaving, CRC or robust sorting:
 *  bandwidth-efficient: CMR (4 bits), ToC entries of 6 bits (F, FT, Q), then the frames'
 *   speech bits back to back, the whole payload padded with zero bits to an octet;
 *  octet-aligned: CMR (4 bits) and 4 reserved bits, ToC entries of one octet (F, FT, Q and
 *   2 padding bits), then each frame's speech bits padded to an octet.
 * The speech bits are in the order of the storage format / the "MIME" (IETF) interface of
 * the 3GPP reference codecs: class A, B, C, most significant first.
 */
#ifndef AMR_PAYLOAD_H
#define AMR_PAYLOAD_H

#include <stdbool.h>
#include <stdint.h>

/** At most 6 frames (120 ms) per payload: more is rejected. */
#define AMR_MAX_FRAMES 6
/** Speech bytes of the longest frame (AMR-WB 23.85: 477 bits). */
#define AMR_MAX_FRAME_BYTES 60

#define AMR_FT_NB_SID 8
#define AMR_FT_WB_SID 9
#define AMR_FT_WB_SPEECH_LOST 14 /* AMR-WB only: a frame lost on the way, 0 bits */
#define AMR_FT_NO_DATA 15
#define AMR_CMR_NONE 15

/** One ToC entry and where its speech bits are. */
struct amr_frame {
	uint8_t ft;       /**< frame type 0-15 */
	uint8_t q;        /**< frame quality: 0 = damaged */
	uint16_t bits;    /**< speech bits (0 for NO_DATA / SPEECH_LOST) */
	uint32_t off;     /**< bit offset of the first speech bit in the payload */
};

/** A parsed payload. */
struct amr_toc {
	uint8_t cmr;      /**< CMR field as received, 0-15 */
	uint8_t n;        /**< frames (ToC entries), 1..AMR_MAX_FRAMES */
	struct amr_frame f[AMR_MAX_FRAMES];
};

/** Speech bits of frame type ft, or -1 for a reserved / invalid frame type. */
int amr_ft_bits(bool wb, unsigned ft);
/** Highest speech mode: 7 (12.2) for AMR-NB, 8 (23.85) for AMR-WB. */
static inline unsigned
amr_max_mode(bool wb)
{
	return wb ? 8 : 7;
}
/** Bit rate of a speech mode, bit/s (0 for a non-speech frame type). */
unsigned amr_mode_bitrate(bool wb, unsigned mode);

/**
 * Parse a payload. Never reads outside [pl, pl + len).
 * @return 0 and toc filled, or -1 if the payload is malformed: empty, truncated, a reserved
 * frame type, more than AMR_MAX_FRAMES frames, or bytes beyond the frames (octet-aligned)
 * or beyond the final padding (bandwidth-efficient).
 */
int amr_parse(bool wb, bool octet_align, const uint8_t *pl, unsigned len, struct amr_toc *toc);

/**
 * Copy frame f's speech bits out of a payload parsed by amr_parse into out, most
 * significant bit first, zero-padded to an octet ((f->bits + 7) / 8 bytes).
 */
void amr_frame_bits(const uint8_t *pl, unsigned len, const struct amr_frame *f, uint8_t *out);

/** One frame to pack: frame type, quality and its speech bits (padded to an octet). */
struct amr_pack_frame {
	uint8_t ft;
	uint8_t q;
	const uint8_t *data; /**< (amr_ft_bits(ft) + 7) / 8 bytes; may be NULL for 0 bits */
};

/** Bytes a payload of these frames takes, or -1 (bad frame type, n not 1..6). */
int amr_pack_size(bool wb, bool octet_align, const struct amr_pack_frame *fr, unsigned n);

/**
 * Pack n frames (1..AMR_MAX_FRAMES) and a CMR into one payload.
 * @return bytes written, or -1 (bad frame type, n, cmr > 15, or cap too small).
 */
int amr_pack(bool wb, bool octet_align, unsigned cmr, const struct amr_pack_frame *fr,
	     unsigned n, uint8_t *out, unsigned cap);

#endif
