/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Call quality of a leg (mxp_conf_quality.h): the leg's counters, read on the control core
 * as mxp_conf_leg_get() reads them, turned into the E-model's inputs.
 */
#include <errno.h>
#include <string.h>

#include "mxp_conf_quality.h"
#include "conf_priv.h"

#define RTP_CLOCK 8000 /* outside mix: the clock of passed-through streams (as conf_rtcp.c) */

/* Outside mix: the codec of a static payload type the leg accepts (PCMU 0, PCMA 8, G722 9,
 * in this order), NONE (G.711 assumed) if it accepts any. */
static enum mxp_media_codec
static_codec(const struct mxp_leg *l)
{
	if (l->pt_ok[0] == UINT64_MAX && l->pt_ok[1] == UINT64_MAX)
		return MXP_MEDIA_CODEC_NONE;
	if (l->pt_ok[0] & (1ull << 0))
		return MXP_MEDIA_CODEC_PCMU;
	if (l->pt_ok[0] & (1ull << 8))
		return MXP_MEDIA_CODEC_PCMA;
	if (l->pt_ok[0] & (1ull << 9))
		return MXP_MEDIA_CODEC_G722;
	return MXP_MEDIA_CODEC_NONE;
}

int
mxp_conf_leg_quality(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_quality *q)
{
	if (sys == NULL || q == NULL)
		return -EINVAL;
	struct mxp_leg_ctl *lc = conf_find_leg(sys, leg_id);
	if (lc == NULL)
		return -ENOENT;
	const struct mxp_leg *l = lc->leg;
	const struct mxp_conf *cf = l->conf;
	memset(q, 0, sizeof(*q));
	q->leg_id = l->id;
	q->conf_id = cf->id;

	/* codec, packetization and the RTP clock of the stream the MRFP sends it */
	enum mxp_media_codec codec = MXP_MEDIA_CODEC_NONE;
	uint32_t out_clock = RTP_CLOCK;
	q->ptime_ms = MXP_CONF_QUALITY_PTIME_MS;
	if (cf->mode == MXP_CONF_MIX) {
		if (l->out_codec < CONF_MIX_FMTS)
			codec = (enum mxp_media_codec)cf->fmt[l->out_codec].codec;
		if (codec != MXP_MEDIA_CODEC_NONE)
			out_clock = mxp_media_codec_clock(codec);
		q->ptime_ms = cf->ptime;
	} else {
		codec = static_codec(l);
		q->codec_assumed = true;
		if (l->rrx.clock) /* switch: the others' streams, taken at its own payload's clock */
			out_clock = l->rrx.clock;
	}
	q->codec = (uint8_t)codec;

	/* network: half the measured round trip, else the default */
	uint32_t rtt = __atomic_load_n(&l->st.rtt, __ATOMIC_RELAXED);
	q->rtt_measured = rtt != 0;
	q->rtt_ms = rtt ? (double)(rtt - 1) * 1000.0 / 65536.0 : 0;
	q->net_ms = rtt ? q->rtt_ms / 2 : MXP_CONF_QUALITY_NET_MS;

	/* in: what the MRFP received. lib/media conceals every codec it decodes (mix);
	 * outside mix the MRFP does not play the stream: the receivers' concealment is
	 * assumed (G.711 with PLC) */
	if (cf->mode == MXP_CONF_MIX) {
		struct mxp_media_leg_stats ms;
		conf_mix_ml_stats(l, &ms);
		/* packets that left the jitter buffer (played or consumed) and the sequence
		 * numbers it skipped (lost in the network or arrived too late) */
		uint64_t queued = ms.rx[MXP_MEDIA_RX_AUDIO] + ms.rx[MXP_MEDIA_RX_RESYNC];
		uint64_t out = ms.flushed + ms.buffered;
		uint64_t taken = queued > out ? queued - out : 0;
		/* the jitter buffer counts a packet Opus's in-band FEC rebuilt as lost (its
		 * sequence number was skipped): here it is audio received */
		uint64_t fec = ms.fec_recovered < ms.lost ? ms.fec_recovered : ms.lost;
		q->in_lost = ms.lost - fec;
		q->in_expected = taken + ms.lost;
		/* the delay it adapts to (the depth of the moment is 0 once the stream stops) */
		q->in_jb_ms = ms.target_ms;
	} else if (l->rs.mult != 0) {
		uint32_t expected = l->rs.cycles + l->rs.max_seq - l->rrx.base_seq + 1;
		q->in_expected = expected;
		q->in_lost = expected > l->rs.received ? expected - l->rs.received : 0;
	}
	q->mos = 5;
	if (q->in_expected > 0) {
		q->in_valid = true;
		double ppl = 100.0 * (double)q->in_lost / (double)q->in_expected;
		double ta = q->ptime_ms + q->net_ms + q->in_jb_ms;
		mxp_media_emodel_estimate(codec, true, ppl, 1, ta, &q->in);
		q->mos = q->in.mos;
	}

	/* out: what the participant reported (not read in forward conferences) */
	if (cf->mode != MXP_CONF_FORWARD && l->st.rtcp_rx > 0) {
		q->out_valid = true;
		q->out_fraction_lost = l->st.remote_fraction_lost;
		q->out_jitter_ms = (double)l->st.remote_jitter * 1000.0 / out_clock;
		double ppl = 100.0 * q->out_fraction_lost / 256.0;
		double ta = q->ptime_ms + q->net_ms + 2 * q->out_jitter_ms;
		mxp_media_emodel_estimate(codec, true, ppl, 1, ta, &q->out);
		if (q->out.mos < q->mos)
			q->mos = q->out.mos;
	}
	return 0;
}
