/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * RTP (RFC 3550) and RTCP header validation, RTP/RTCP demultiplexing (RFC 5761),
 * and the client-to-mixer audio level header extension (RFC 6464).
 */
#ifndef MXP_RTP_H
#define MXP_RTP_H

#include <stdbool.h>
#include <stdint.h>

/** Why an RTP/RTCP packet is invalid. */
enum mxp_rtp_err {
	MXP_RTP_OK = 0,
	MXP_RTP_TRUNCATED,      /**< shorter than the fixed header */
	MXP_RTP_VERSION,        /**< version is not 2 */
	MXP_RTP_CSRC_OVERFLOW,  /**< CSRC list runs past the end */
	MXP_RTP_EXT_OVERFLOW,   /**< header extension runs past the end */
	MXP_RTP_PADDING,        /**< padding count zero or beyond the payload */
	MXP_RTP_ERR_MAX
};

/** Name of an mxp_rtp_err ("csrc_overflow"). */
const char *mxp_rtp_err_name(enum mxp_rtp_err e);

/** Fields of a validated RTP header. */
struct mxp_rtp_info {
	uint32_t ssrc;
	uint32_t ts;
	uint16_t seq;
	uint16_t hdr_len;     /**< fixed header + CSRCs + extension */
	uint16_t ext_off;     /**< offset of the extension data (after its 4-byte header), or 0 */
	uint16_t ext_len;     /**< extension data length in bytes */
	uint16_t ext_profile; /**< 0xBEDE (one-byte) or 0x100x (two-byte), or 0 */
	uint8_t pt;
	uint8_t cc;
	bool marker;
	bool padding;         /**< P bit: checked only once the payload is in the clear */
};

/**
 * Validate an RTP header (not the padding, which SRTP encrypts).
 * @return MXP_RTP_OK with info filled, or the reason.
 */
enum mxp_rtp_err mxp_rtp_parse(const uint8_t *p, uint32_t len, struct mxp_rtp_info *info);

/**
 * After decryption: check the padding of a packet with the P bit and return the
 * payload length without it (via payload_len). len is the whole RTP packet length.
 */
enum mxp_rtp_err mxp_rtp_padding(const uint8_t *p, uint32_t len, const struct mxp_rtp_info *info,
				 uint32_t *payload_len);

/**
 * RFC 5761 section 4: a packet on a muxed port is RTCP when its second byte (the
 * packet type) is in 192..223 (the RTP marker bit + PT 64..95 range).
 */
static inline bool
mxp_rtp_is_rtcp(const uint8_t *p, uint32_t len)
{
	return len >= 2 && p[1] >= 192 && p[1] <= 223;
}

/**
 * Validate the first RTCP header of a (compound) packet, before decryption:
 * version 2, length field within the packet. Returns MXP_RTP_OK or the reason.
 */
enum mxp_rtp_err mxp_rtcp_parse(const uint8_t *p, uint32_t len, uint32_t *ssrc);

/**
 * Find the RFC 6464 audio level element (extension id ext_id) in a validated header.
 * @param level  0 (loudest, 0 dBov) .. 127 (silence, -127 dBov)
 * @param vad    the V bit
 * @return true when found.
 */
bool mxp_rtp_audio_level(const uint8_t *p, const struct mxp_rtp_info *info, uint8_t ext_id,
			 uint8_t *level, bool *vad);

#endif
