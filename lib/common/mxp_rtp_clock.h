/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The RTP clock of RFC 3551's static payload types (tables 4 and 5), shared by lib/mp (an
 * SDP's payload type without a=rtpmap) and lib/conf (a leg's RTCP clock). Header only, no
 * DPDK.
 */
#ifndef MXP_RTP_CLOCK_H
#define MXP_RTP_CLOCK_H

#include <stdint.h>

/** The clock rate (Hz) of static payload type @p pt; 0 for a dynamic or unassigned one. */
static inline uint32_t
mxp_rtp_static_clock(uint8_t pt)
{
	switch (pt) {
	case 6:
		return 16000; /* DVI4/16000 */
	case 10:
	case 11:
		return 44100; /* L16 */
	case 16:
		return 11025; /* DVI4/11025 */
	case 17:
		return 22050; /* DVI4/22050 */
	case 14: /* MPA */
	case 25:
	case 26:
	case 28:
	case 31:
	case 32:
	case 33:
	case 34:
		return 90000; /* video */
	default:
		return pt <= 18 && pt != 1 && pt != 2 ? 8000 : 0;
	}
}

#endif
