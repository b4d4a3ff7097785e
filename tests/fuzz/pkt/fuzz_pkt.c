/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the frame parser, ND parser, echo replies and RTP/RTCP header parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mxp_pkt.h"
#include "mxp_rtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	uint8_t *f = malloc(size ? size : 1);
	memcpy(f, data, size);
	struct mxp_pkt_meta m;
	enum mxp_pkt_kind k = mxp_pkt_parse(f, (uint32_t)size, 0, &m);
	switch (k) {
	case MXP_PKT_ICMP4:
		mxp_pkt_icmp4_echo_reply(f, &m);
		break;
	case MXP_PKT_ICMP6: {
		struct mxp_nd_info nd;
		mxp_pkt_nd_parse(f, &m, &nd);
		mxp_pkt_icmp6_echo_reply(f, &m);
		break;
	}
	case MXP_PKT_UDP: {
		const uint8_t *p = f + m.l2_len + m.l3_len + m.l4_len;
		struct mxp_rtp_info info;
		uint32_t ssrc, pl;
		if (mxp_rtp_is_rtcp(p, m.l4_payload_len)) {
			mxp_rtcp_parse(p, m.l4_payload_len, &ssrc);
		} else if (mxp_rtp_parse(p, m.l4_payload_len, &info) == MXP_RTP_OK) {
			uint8_t level;
			bool vad;
			mxp_rtp_audio_level(p, &info, 1, &level, &vad);
			mxp_rtp_padding(p, m.l4_payload_len, &info, &pl);
		}
		break;
	}
	default:
		break;
	}
	/* Also the RTP parser on the raw input, as a UDP payload would reach it. */
	struct mxp_rtp_info info;
	if (mxp_rtp_parse(f, (uint32_t)size, &info) == MXP_RTP_OK) {
		uint8_t level;
		bool vad;
		uint32_t pl;
		mxp_rtp_audio_level(f, &info, 3, &level, &vad);
		mxp_rtp_padding(f, (uint32_t)size, &info, &pl);
	}
	free(f);
	return 0;
}
