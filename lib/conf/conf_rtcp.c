/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP on the worker: what the participant's own reports say, and sender reports for
 * output streams. No receiver reports are generated yet, so neither the receive statistics
 * of RFC 3550 A.1/A.8 nor the participants' last-SR times are kept: both would cost the
 * packet path for nothing read.
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "conf_priv.h"

#define RTP_CLOCK 8000 /* the legs' audio is 8 kHz-clocked (G.711, G.722's RTP clock, L16/8k) */

void
conf_rtcp_input(struct mxp_leg *l, const uint8_t *p, uint32_t len)
{
	/* Walk the compound packet; every length was bounded by the first header's check. */
	for (uint32_t off = 0; off + 8 <= len;) {
		const uint8_t *h = p + off;
		uint32_t plen = 4u * ((uint32_t)mxp_be_rd16(h + 2) + 1);
		if ((h[0] >> 6) != 2 || plen > len - off)
			return;
		uint8_t rc = h[0] & 0x1f, pt = h[1];
		const uint8_t *blocks = NULL;
		if (pt == 200 && plen >= 28) { /* SR */
			blocks = h + 28;
		} else if (pt == 201) { /* RR */
			blocks = h + 8;
		}
		if (blocks && rc && blocks + 24 <= h + plen) {
			/* The first report block: how the participant hears us. */
			l->st.remote_fraction_lost = blocks[4];
			l->st.remote_jitter = mxp_be_rd32(blocks + 12);
		}
		off += plen;
	}
}

uint32_t
conf_rtcp_build_sr(const struct mxp_ostream *os, uint64_t now, uint8_t *buf, uint32_t room)
{
	if (room < 28)
		return 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ntp_sec = (uint64_t)ts.tv_sec + 2208988800ull; /* 1900 epoch */
	uint64_t ntp_frac = ((uint64_t)ts.tv_nsec << 32) / 1000000000ull;
	/* The RTP time now: the last packet's timestamp plus the time since. */
	uint32_t rtp = os->last_ts +
		       (uint32_t)((now - os->last_tsc) * RTP_CLOCK / mxp_conf_tsc_hz());
	buf[0] = 0x80; /* V=2, P=0, RC=0 */
	buf[1] = 200;
	buf[2] = 0;
	buf[3] = 6;    /* 28 bytes / 4 - 1 */
	mxp_be_wr32(buf + 4, os->ssrc);
	mxp_be_wr32(buf + 8, (uint32_t)ntp_sec);
	mxp_be_wr32(buf + 12, (uint32_t)ntp_frac);
	mxp_be_wr32(buf + 16, rtp);
	mxp_be_wr32(buf + 20, (uint32_t)os->pkts);
	mxp_be_wr32(buf + 24, (uint32_t)os->octets);
	return 28;
}
