/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP on the worker: receive statistics of each leg's stream (RFC 3550 A.1, A.8),
 * what the participant's own reports say, and sender reports for output streams.
 * Clock rate: mixplane's legs carry 8 kHz-clocked audio (G.711, G.722's RTP clock, L16/8k);
 * jitter is computed in those units.
 */
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "conf_priv.h"

#define RTP_CLOCK 8000
#define RTP_SEQ_MOD (1u << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100

void
conf_rtp_rx_stats(struct mxp_leg *l, uint16_t seq, uint32_t ts, uint64_t now)
{
	struct conf_rx_rtp *s = &l->rx;
	uint32_t arrival = (uint32_t)(now * RTP_CLOCK / mxp_conf_tsc_hz());
	if (!(l->state & LEG_RX_STARTED)) {
		l->state |= LEG_RX_STARTED;
		s->base_seq = seq;
		s->max_seq = seq;
		s->cycles = 0;
		s->received = 1;
		s->transit = (int32_t)(arrival - ts);
		return;
	}
	uint16_t udelta = (uint16_t)(seq - s->max_seq);
	if (udelta < MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		/* A large jump: restart the sequence (A.1 "bad_seq" simplified). */
		s->base_seq = seq;
		s->max_seq = seq;
		s->cycles = 0;
		s->received = 0;
	}
	s->received++;
	/* A.8 interarrival jitter, in RTP units, kept << 4. */
	int32_t transit = (int32_t)(arrival - ts); /* wraps with the timestamps */
	int64_t d = (int64_t)transit - s->transit;
	s->transit = transit;
	if (d < 0)
		d = -d;
	if (d < (1 << 24))
		s->jitter += (uint32_t)d - ((s->jitter + 8) >> 4);
}

void
conf_rtcp_input(struct mxp_leg *l, const uint8_t *p, uint32_t len, uint64_t now)
{
	/* Walk the compound packet; every length was bounded by the first header's check. */
	for (uint32_t off = 0; off + 8 <= len;) {
		const uint8_t *h = p + off;
		uint32_t plen = 4u * ((uint32_t)(h[2] << 8 | h[3]) + 1);
		if ((h[0] >> 6) != 2 || plen > len - off)
			return;
		uint8_t rc = h[0] & 0x1f, pt = h[1];
		const uint8_t *blocks = NULL;
		if (pt == 200 && plen >= 28) { /* SR */
			l->lsr = (mxp_pkt_rd32(h + 8) << 16) | (mxp_pkt_rd32(h + 12) >> 16);
			l->lsr_tsc = now;
			blocks = h + 28;
		} else if (pt == 201) { /* RR */
			blocks = h + 8;
		}
		if (blocks && rc && blocks + 24 <= h + plen) {
			/* The first report block: how the participant hears us. */
			l->st.remote_fraction_lost = blocks[4];
			l->st.remote_jitter = mxp_pkt_rd32(blocks + 12);
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
	mxp_pkt_wr32(buf + 4, os->ssrc);
	mxp_pkt_wr32(buf + 8, (uint32_t)ntp_sec);
	mxp_pkt_wr32(buf + 12, (uint32_t)ntp_frac);
	mxp_pkt_wr32(buf + 16, rtp);
	mxp_pkt_wr32(buf + 20, (uint32_t)os->pkts);
	mxp_pkt_wr32(buf + 24, (uint32_t)os->octets);
	return 28;
}
