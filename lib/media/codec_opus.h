/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Opus (RFC 7587) helpers beyond struct mxp_media_codec_ops, for lib/media's own use (the
 * leg's loss handling, the benchmark). dec/enc are the objects mxp_media_opus_ops creates.
 */
#ifndef MXP_MEDIA_CODEC_OPUS_H
#define MXP_MEDIA_CODEC_OPUS_H

#include <stdint.h>

#include "mxp_media_codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Encoder complexity (0-10) enc_create sets. libopus's own default is 10; 5 costs about
 *  half the CPU of 10 for a small loss in quality at voice bit rates (bench_codec). */
#define MXP_MEDIA_OPUS_COMPLEXITY 5
/** Packet loss (%) the encoder plans its in-band FEC for when the peer asked for
 *  useinbandfec=1 (libopus puts no FEC in a packet when this is 0). */
#define MXP_MEDIA_OPUS_FEC_LOSS_PERC 5

/**
 * Worker: n samples (48 kHz, a multiple of 120 = 2.5 ms) standing for a lost packet, from
 * the in-band FEC (LBRR) data of the packet that follows it, next_pl. Call it when packet
 * k is lost and packet k+1 has arrived, with n = the lost packet's duration, before
 * decoding packet k+1 normally. Where next_pl carries no FEC (CELT mode, none encoded,
 * or n shorter than its frames), libopus conceals instead, so the samples are always
 * usable. @return n, or -1 (malformed next_pl, bad n).
 */
int mxp_media_opus_decode_fec(void *dec, const uint8_t *next_pl, unsigned len, int16_t *pcm,
			      unsigned n);
/**
 * Worker: whether the payload carries in-band FEC for the packet before it (the LBRR flag
 * of its first SILK frame, as libopus 1.5's opus_packet_has_lbrr reads it).
 * @return 1 yes, 0 no, -1 malformed.
 */
int mxp_media_opus_has_fec(const uint8_t *pl, unsigned len);
/** Control: set the encoder's complexity (0-10). @return 0 or -EINVAL. */
int mxp_media_opus_set_complexity(void *enc, int complexity);
/** Control: the packet loss (0-100 %) the encoder's FEC plans for (from RTCP reports).
 *  @return 0 or -EINVAL. */
int mxp_media_opus_set_loss_perc(void *enc, int perc);
/** The highest audio rate a peer of this (parsed) fmtp plays: 8000, 12000, 16000, 24000 or
 *  48000 (its maxplaybackrate, rounded up to an Opus bandwidth; 48000 by default). */
unsigned mxp_media_opus_play_rate(const struct mxp_media_fmtp *f);

#ifdef __cplusplus
}
#endif

#endif
