/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The SDP subset Mp carries in Local and Remote descriptors (RFC 4566, RFC 3551 payload
 * types, RFC 4568 a=crypto kept raw: lib/srtp parses it). '$' as port or address means
 * "choose for me" (H.248.1 Annex C).
 */
#ifndef MXP_MP_SDP_H
#define MXP_MP_SDP_H

#include "mxp_ip.h"
#include "mxp_mp.h"

#define MXP_SDP_PT_MAX 16
#define MXP_SDP_CRYPTO_MAX 4

struct mxp_sdp_rtpmap {
	uint8_t pt;
	uint8_t channels;             /**< 0 when not given */
	uint32_t clock;
	struct mxp_mp_str encoding;   /**< "PCMU", "opus" */
};

struct mxp_sdp {
	struct mxp_mp_str origin;     /**< o= value, raw */
	struct mxp_mp_str session;    /**< s= value, raw */
	bool has_conn;                /**< c= (media level overrides session level) */
	bool conn_choose;             /**< c=IN IP4 $ */
	struct mxp_ip addr;           /**< c= address; only its family when conn_choose */
	bool has_media;
	bool port_choose;             /**< m=audio $ ... */
	uint16_t port;
	bool srtp;                    /**< RTP/SAVP (else RTP/AVP) */
	uint8_t npts;
	uint8_t pts[MXP_SDP_PT_MAX];  /**< in m= order */
	uint8_t nrtpmap;
	struct mxp_sdp_rtpmap rtpmap[MXP_SDP_PT_MAX];
	uint8_t nfmtp;
	/** a=fmtp:<pt> <params>: the format parameters of a payload type, raw (the codec
	 *  parses them: lib/media's mxp_media_fmtp_parse()) */
	struct mxp_sdp_fmtp {
		uint8_t pt;
		struct mxp_mp_str params;
	} fmtp[MXP_SDP_PT_MAX];
	uint16_t ptime;               /**< ms, 0 when not given */
	enum mxp_mp_mode dir;         /**< a=sendrecv/sendonly/recvonly/inactive, UNSET if none */
	/** a=extmap:<id> urn:ietf:params:rtp-hdrext:ssrc-audio-level (RFC 6464): the
	 *  one-byte header extension id 1..14 of the audio level, 0 when none */
	uint8_t audio_level_id;
	uint8_t ncrypto;
	struct mxp_mp_str crypto[MXP_SDP_CRYPTO_MAX]; /**< text after "a=crypto:", raw */
	/** b= lines given (MXP_SDP_BW_*; media level over session level): b=AS (RFC 4566,
	 *  kbit/s), b=RS and b=RR (RFC 3556: RTCP's bandwidth for senders, for receivers,
	 *  bit/s). Other bandwidth types are skipped. */
	uint8_t bw;
	uint32_t bw_as, bw_rs, bw_rr;
};

#define MXP_SDP_BW_AS 0x1
#define MXP_SDP_BW_RS 0x2
#define MXP_SDP_BW_RR 0x4

/**
 * Parse SDP text (lines end in CRLF or LF; leading white space on a line is ignored).
 * Unknown lines and attributes are skipped.
 * @param err  on failure: 449 (bad value, with the SDP line number), 515 (not audio or
 *             not RTP/AVP, RTP/SAVP), 501 (a second m= line), 510 (too many payload types
 *             or crypto lines); pos is the offset in text
 * @return 0 or -EINVAL.
 */
int mxp_sdp_parse(const char *text, size_t len, struct mxp_sdp *s, struct mxp_mp_error *err);

/**
 * Encode: v=0, o=, s=, c=, t=0 0, m=audio, a=rtpmap..., a=fmtp..., a=ptime, direction,
 * a=crypto lines
 * (CRLF line ends). Port and address may be '$'.
 * @return bytes written (NUL-terminated), or -ENOSPC.
 */
int mxp_sdp_encode(const struct mxp_sdp *s, char *out, size_t cap);

/**
 * The RTP clock rate of the media's first payload type that is neither telephone-event nor
 * comfort noise (the one a participant sends, RFC 3264): its a=rtpmap, else RFC 3551's for
 * a static type. 0 when unknown (a dynamic type without a=rtpmap, or no m= line).
 */
uint32_t mxp_sdp_media_clock(const struct mxp_sdp *s);

/** Format the connection address ("192.0.2.1", "$"), into buf of at least 46 bytes. */
const char *mxp_sdp_addr_str(const struct mxp_sdp *s, char *buf, size_t len);

#endif
