/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP on the worker (RFC 3550), in switch and mix conferences:
 *
 *   receive    every authenticated RTP packet of a leg updates its receive statistics
 *              (A.1 sequence accounting, A.8 interarrival jitter) in the leg's hot line: a
 *              few additions and one multiplication, no division (conf_priv.h); a
 *              participant's SR leaves its NTP time (LSR)
 *   report     per leg, on the worker's timer (conf_rtcp_walk, every CONF_SR_WALK_MS): one
 *              compound packet to the participant, at RFC 3550 6.3 intervals (randomised,
 *              5 s minimum): an SR (or RR) of a stream the MRFP sends it, carrying the report
 *              block of the participant's own stream; SRs of the other streams it gets that
 *              sent; SDES CNAME for each SSRC. Protected with SRTCP under the leg's group
 *              key (the first SSRC's context), sent to its RTCP port (rtcp-mux or not)
 *   bye        when a leg is removed (and so when its conference is destroyed): BYE for the
 *              streams it gets and, switch, for the streams that carried its packets; when
 *              an output stream leaves an SSRC a participant took (RFC 3550 8.2)
 *   clock      the RTP clock of what a leg sends (its payload type's, conf_rtcp_leg_init):
 *              its jitter's units and, switch, the SR timestamps of its packets' streams
 *   bandwidth  the leg's SDP b=AS/RS/RR (RFC 3556) for the intervals; RS = RR = 0: none
 *
 * Forward conferences are an RTP translator (RFC 3550 7.1): the participants' reports are
 * relayed (conf_rx.c); the MRFP has no stream and no key of its own to report with.
 */
#include <math.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_random.h>

#include "mxp_media_codec.h"
#include "mxp_rtp_clock.h"
#include "conf_priv.h"

#define RTP_CLOCK 8000     /* a stream whose clock nothing tells (no payload type known) */
#define MAX_CLOCK 1000000  /* an RTP clock above is refused (the jitter's multiplier fits) */
#define RTCP_ROOM 1200     /* a compound's bytes at most (before the SRTCP trailer) */

/* ---- clocks ------------------------------------------------------------------------------------ */

static uint64_t anchor_tsc, anchor_ntp;

void
conf_rtcp_clock_init(void)
{
	if (anchor_tsc != 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t tsc = rte_rdtsc();
	anchor_ntp = (((uint64_t)ts.tv_sec + 2208988800ull) << 32) |
		     (((uint64_t)ts.tv_nsec << 32) / 1000000000ull);
	anchor_tsc = tsc;
}

uint64_t
conf_rtcp_ntp(uint64_t tsc)
{
	/* NTP and RTP times of a report both follow the TSC: they stay consistent */
	uint64_t hz = mxp_conf_tsc_hz();
	if (tsc >= anchor_tsc)
		return anchor_ntp + (uint64_t)(((unsigned __int128)(tsc - anchor_tsc) << 32) / hz);
	return anchor_ntp - (uint64_t)(((unsigned __int128)(anchor_tsc - tsc) << 32) / hz);
}

/* The RTP timestamp of a stream at TSC now: its last one plus the time since, at clock Hz. */
static uint32_t
ostream_rtp_now(const struct mxp_ostream *os, uint32_t clock, uint64_t now)
{
	int64_t dt = (int64_t)(now - os->last_tsc);
	int64_t units = (int64_t)(((__int128)dt * clock) / (int64_t)mxp_conf_tsc_hz());
	return os->last_ts + (uint32_t)units;
}

/* ---- receive ------------------------------------------------------------------------------------ */

/* The clock of the streams the mixer encodes for a leg (mix: its codec's). */
static uint32_t
leg_clock(const struct mxp_leg *l)
{
	const struct mxp_conf *cf = l->conf;
	if (cf->mode == MXP_CONF_MIX && l->out_codec < CONF_MIX_FMTS &&
	    cf->fmt[l->out_codec].codec != MXP_MEDIA_CODEC_NONE)
		return mxp_media_codec_clock((enum mxp_media_codec)cf->fmt[l->out_codec].codec);
	return RTP_CLOCK;
}

/* The clock of what a leg sends: its payload type's (conf_rtcp_leg_init), else as above.
 * Switch: also the clock of the streams that carry its packets to the others. */
static uint32_t
rx_clock(const struct mxp_leg *l)
{
	return l->rrx.clock ? l->rrx.clock : leg_clock(l);
}

uint32_t
conf_rtcp_clock(const struct mxp_leg_params *p)
{
	/* the clock: the SDP's, else that of the first payload type that is not an event or
	 * comfort noise (the one a participant sends, RFC 3264): its codec or RFC 3551's */
	uint32_t clock = p->rtp_clock <= MAX_CLOCK ? p->rtp_clock : 0;
	for (unsigned int i = 0; clock == 0 && i < p->n_pt && i < MXP_CONF_MAX_PT; i++) {
		uint8_t pt = p->pt[i];
		if (pt == 13 || (p->event_pt > 0 && pt == p->event_pt))
			continue;
		for (unsigned int k = 0; k < p->n_codecs && k < MXP_CONF_MAX_PT; k++)
			if (p->codecs[k].pt == pt)
				clock = mxp_media_codec_clock((enum mxp_media_codec)p->codecs[k].codec);
		if (clock == 0)
			clock = mxp_rtp_static_clock(pt);
		break;
	}
	return clock <= MAX_CLOCK ? clock : 0;
}

void
conf_rtcp_leg_init(struct mxp_leg *l, const struct mxp_leg_params *p)
{
	l->rrx.clock = conf_rtcp_clock(p);
	/* RTCP's bandwidth (RFC 3550 6.2, RFC 3556): 5% of the session's, a quarter of it for
	 * the senders, unless the SDP gives the shares */
	double session = (p->bw_given & MXP_LEG_BW_AS) ? p->bw_as * 1000.0 / 8 : CONF_RTCP_SESSION_BW;
	l->rtx.bw_s = (float)((p->bw_given & MXP_LEG_BW_RS) ? p->bw_rs / 8.0 : session * 0.0125);
	l->rtx.bw_r = (float)((p->bw_given & MXP_LEG_BW_RR) ? p->bw_rr / 8.0 : session * 0.0375);
}

static void
rx_init_seq(struct mxp_leg *l, uint16_t seq)
{
	l->rs.max_seq = seq;
	l->rs.cycles = 0;
	l->rs.received = 0;
	l->rrx.base_seq = seq;
	l->rrx.bad_seq = (1u << 16) + 1; /* so seq == bad_seq is false */
	l->rrx.received_prior = 0;
	l->rrx.expected_prior = 0;
}

void
conf_rtcp_rx_slow(struct mxp_leg *l, const struct mxp_rtp_info *ri, uint64_t now)
{
	struct conf_rtcp_rx_hot *r = &l->rs;
	if (r->mult != 0) {
		/* a large jump (A.1): a restarted sender if the next packet follows it */
		if (ri->seq != l->rrx.bad_seq) {
			l->rrx.bad_seq = (ri->seq + 1u) & 0xffff;
			return;
		}
	} else {
		r->mult = (uint32_t)(((uint64_t)rx_clock(l) << 32) / mxp_conf_tsc_hz());
		r->jitter = 0;
	}
	rx_init_seq(l, ri->seq);
	r->received = 1;
	r->transit = (uint32_t)(((unsigned __int128)now * r->mult) >> 32) - ri->ts;
}

void
conf_rtcp_input(struct mxp_leg *l, const uint8_t *p, uint32_t len, uint64_t now)
{
	/* Walk the compound packet; every length was bounded by the first header's check. */
	for (uint32_t off = 0; off + 8 <= len;) {
		const uint8_t *h = p + off;
		uint32_t plen = 4u * ((uint32_t)mxp_be_rd16(h + 2) + 1);
		if ((h[0] >> 6) != 2 || plen > len - off)
			return;
		uint8_t rc = h[0] & 0x1f, pt = h[1];
		const uint8_t *blocks = NULL;
		if (pt == 200 && plen >= 28) { /* SR: its NTP time answers in our LSR */
			blocks = h + 28;
			l->rrx.lsr = mxp_be_rd32(h + 10);
			l->rrx.lsr_tsc = now;
		} else if (pt == 201) { /* RR */
			blocks = h + 8;
		}
		if (blocks && rc && blocks + 24 <= h + plen) {
			/* The first report block: how the participant hears us. */
			l->st.remote_fraction_lost = blocks[4];
			l->st.remote_jitter = mxp_be_rd32(blocks + 12);
			/* round trip (RFC 3550 6.4.1): now - LSR - DLSR, in 1/65536 s. The two
			 * clocks' rates differ a little (DPDK rounds the TSC's to 10 MHz): a
			 * round trip below 0 by less than DLSR/32 + 10 ms is 0, further is not
			 * an echo of ours */
			uint32_t lsr = mxp_be_rd32(blocks + 16), dlsr = mxp_be_rd32(blocks + 20);
			int32_t rtt = (int32_t)((uint32_t)(conf_rtcp_ntp(now) >> 16) - lsr - dlsr);
			if (lsr != 0 && rtt < 0 && -(int64_t)rtt <= (dlsr >> 5) + 655)
				rtt = 0;
			if (lsr != 0 && rtt >= 0)
				l->st.rtt = (uint32_t)rtt + 1;
		}
		off += plen;
	}
}

/* ---- compound reports ---------------------------------------------------------------------------- */

struct cand {
	struct mxp_ostream *os;
	uint32_t clock;
	bool sender;
};

/* Whether a stream sent within the last two minimum intervals (RFC 3550 6.3.8's we_sent). */
static bool
os_sender(struct mxp_ostream *os, uint64_t now)
{
	if (os->pkts != os->seen_pkts) {
		os->seen_pkts = os->pkts;
		os->seen_tsc = now;
	}
	return os->pkts != 0 &&
	       now - os->seen_tsc <= 2 * mxp_conf_tsc_hz() * CONF_RTCP_MIN_MS / 1000;
}

/*
 * The streams the MRFP sends a leg (all in its key group), the first one leading the
 * compound: a sender if one is. Switch: the other senders' streams, CONF_RTCP_MAX_SR at a
 * time in rotation; with none sending, a receiver report from one of them, or, if no other
 * leg sends to its group, from the stream of its own packets in its group (an SSRC under
 * its key that it never receives). Returns how many; *total counts
 * every stream towards it (the session's members).
 */
static unsigned int
leg_streams(struct mxp_leg *l, uint64_t now, struct cand *c, unsigned int *total, bool all)
{
	struct mxp_conf *cf = l->conf;
	struct mxp_keygroup *kg = l->kg;
	unsigned int n = 0;
	*total = 0;
	if (kg == NULL || l->rcv_idx == UINT32_MAX)
		return 0;
	if (cf->mode == MXP_CONF_MIX) {
		uint32_t clock = leg_clock(l);
		struct mxp_ostream *sh = l->out_codec < CONF_MIX_FMTS ? kg->mix[l->out_codec] : NULL;
		if (sh)
			c[n++] = (struct cand){ sh, clock, os_sender(sh, now) };
		if (l->priv)
			c[n++] = (struct cand){ l->priv, clock, os_sender(l->priv, now) };
		*total = n;
	} else if (cf->mode == MXP_CONF_SWITCH) {
		struct mxp_ostream *os, *own = NULL, *other = NULL;
		unsigned int k = 0, ns = 0;
		TAILQ_FOREACH(os, &kg->streams, by_group) {
			if (os->src == l) {
				own = os;
				continue;
			}
			(*total)++;
			if (other == NULL)
				other = os;
			bool s = os_sender(os, now);
			if (!s && !all)
				continue;
			/* senders from the cursor on, CONF_RTCP_MAX_SR of them */
			if (k++ < l->rtx.cursor || ns == CONF_RTCP_MAX_SR)
				continue;
			c[ns++] = (struct cand){ os, os->src ? rx_clock(os->src) : RTP_CLOCK, s };
		}
		l->rtx.cursor = (k > l->rtx.cursor + ns) ? l->rtx.cursor + ns : 0;
		/* the stream of the MRFP's signals toward it (conf_signal.c): an SR of its own
		 * while it sends (a signal within the last two minimum intervals), beside the
		 * rotation (c[] holds CONF_RTCP_MAX_SR + 2), and its BYE at the end */
		struct mxp_ostream *sg = conf_signal_leg_stream(l);
		if (sg != NULL && sg->pkts != 0) {
			(*total)++;
			bool s = os_sender(sg, now);
			if (s || all)
				c[ns++] = (struct cand){ sg, conf_signal_leg_clock(l), s };
		}
		n = ns;
		/* no sender: a receiver report from a stream it gets, or from its own */
		if (n == 0 && (other != NULL || own != NULL)) {
			struct mxp_ostream *o = other ? other : own;
			c[n++] = (struct cand){ o, o->src ? rx_clock(o->src) : RTP_CLOCK, false };
			*total += other == NULL;
		}
	}
	/* a sender leads (SR rather than RR) */
	for (unsigned int i = 1; i < n && !c[0].sender; i++)
		if (c[i].sender) {
			struct cand t = c[0];
			c[0] = c[i];
			c[i] = t;
		}
	return n;
}

/* The report block of a leg's incoming stream (RFC 3550 6.4.1, A.3); false: none is due. */
static bool
report_block(struct mxp_leg *l, uint64_t now, uint8_t *b)
{
	struct conf_rtcp_rx *r = &l->rrx;
	const struct conf_rtcp_rx_hot *h = &l->rs;
	if (!(l->state & LEG_SSRC_KNOWN) || h->mult == 0 || h->received == r->received_prior)
		return false;
	uint32_t ext_max = h->cycles + h->max_seq;
	uint32_t expected = ext_max - r->base_seq + 1;
	int64_t lost = (int64_t)expected - h->received;
	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	uint32_t exp_int = expected - r->expected_prior;
	uint32_t rcv_int = h->received - r->received_prior;
	r->expected_prior = expected;
	r->received_prior = h->received;
	int64_t lost_int = (int64_t)exp_int - rcv_int;
	uint8_t fraction = (exp_int == 0 || lost_int <= 0) ? 0
							   : (uint8_t)((lost_int << 8) / exp_int);
	uint32_t dlsr = 0;
	if (r->lsr != 0)
		dlsr = (uint32_t)(((unsigned __int128)(now - r->lsr_tsc) << 16) / mxp_conf_tsc_hz());
	mxp_be_wr32(b, l->ssrc);
	mxp_be_wr32(b + 4, ((uint32_t)fraction << 24) | ((uint32_t)lost & 0xffffff));
	mxp_be_wr32(b + 8, ext_max);
	mxp_be_wr32(b + 12, h->jitter >> 4);
	mxp_be_wr32(b + 16, r->lsr);
	mxp_be_wr32(b + 20, dlsr);
	return true;
}

static inline void
rtcp_hdr(uint8_t *h, uint8_t count, uint8_t pt, uint32_t bytes)
{
	h[0] = (uint8_t)(0x80 | count);
	h[1] = pt;
	mxp_be_wr16(h + 2, (uint16_t)(bytes / 4 - 1));
}

/*
 * Write a compound packet: SR (or RR) of c[0] with the block blk, SRs of the other senders,
 * SDES CNAME of every SSRC, and with bye a BYE of them all. Returns its length.
 */
static uint32_t
compound(uint8_t *b, const struct cand *c, unsigned int n, const uint8_t *blk, bool bye,
	 uint64_t now, const char *cname, uint8_t cnlen, bool *sr)
{
	uint32_t off = 0;
	uint64_t ntp = conf_rtcp_ntp(now);
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0 && !c[i].sender)
			continue;
		uint8_t *h = b + off;
		uint8_t rc = (i == 0 && blk) ? 1 : 0;
		mxp_be_wr32(h + 4, c[i].os->ssrc);
		uint32_t len;
		if (c[i].sender) {
			mxp_be_wr64(h + 8, ntp);
			mxp_be_wr32(h + 16, ostream_rtp_now(c[i].os, c[i].clock, now));
			mxp_be_wr32(h + 20, (uint32_t)c[i].os->pkts);
			mxp_be_wr32(h + 24, (uint32_t)c[i].os->octets);
			len = 28;
		} else {
			len = 8;
		}
		if (rc) {
			memcpy(h + len, blk, 24);
			len += 24;
		}
		rtcp_hdr(h, rc, c[i].sender ? 200 : 201, len);
		if (i == 0)
			*sr = c[i].sender;
		off += len;
	}
	/* SDES: one chunk (SSRC, CNAME, END, padding to 32 bits) per SSRC */
	uint8_t *h = b + off;
	uint32_t len = 4;
	uint8_t sc = 0;
	for (unsigned int i = 0; i < n; i++) {
		if (i > 0 && !c[i].sender)
			continue;
		uint8_t *k = h + len;
		mxp_be_wr32(k, c[i].os->ssrc);
		k[4] = 1; /* CNAME */
		k[5] = cnlen;
		memcpy(k + 6, cname, cnlen);
		uint32_t cl = 6u + cnlen;
		uint32_t padded = (cl + 4) & ~3u; /* at least one zero octet: the END item */
		memset(k + cl, 0, padded - cl);
		len += padded;
		sc++;
	}
	rtcp_hdr(h, sc, 202, len);
	off += len;
	if (bye) { /* the streams that sent (and the first, named above) */
		h = b + off;
		uint8_t nb = 0;
		for (unsigned int i = 0; i < n; i++)
			if (i == 0 || c[i].os->pkts)
				mxp_be_wr32(h + 4 + 4 * nb++, c[i].os->ssrc);
		len = 4 + 4u * nb;
		rtcp_hdr(h, nb, 203, len);
		off += len;
	}
	return off;
}

void
conf_rtcp_cname_init(struct mxp_conf_addr_rt *a)
{
	char ip[48];
	mxp_ip_format(&a->a.ip, ip, sizeof(ip));
	int n = snprintf(a->cname, sizeof(a->cname), "mixplane@%s", ip);
	a->cname_len = (uint8_t)(n < 0 ? 0 : ((size_t)n >= sizeof(a->cname) ? sizeof(a->cname) - 1
									      : (size_t)n));
}

/* The CNAME of the MRFP towards a leg: one per local address (RFC 3550 6.5.1), made when
 * the system was created. */
static inline const char *
cname_of(const struct mxp_conf_worker *w, const struct mxp_leg *l, uint8_t *len)
{
	const struct mxp_conf_addr_rt *a = &w->sys->addr[l->addr_idx];
	*len = a->cname_len;
	return a->cname;
}

/* Queue one compound packet; false when no mbuf. */
static bool
push(struct mxp_conf_worker *w, struct mxp_conf *cf, const struct conf_out *tmpl,
     const uint8_t *pkt, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->sys->p.pool);
	if (m == NULL) {
		w->drops[MXP_DROP_NO_MBUF]++;
		return false;
	}
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
	if (p == NULL || rte_pktmbuf_tailroom(m) < MXP_SRTP_MAX_TRAILER) {
		rte_pktmbuf_free(m);
		w->drops[MXP_DROP_NO_MBUF]++;
		return false;
	}
	memcpy(p, pkt, len);
	struct conf_out o = *tmpl;
	o.m = m;
	o.conf = cf;
	o.flags = OUT_RTCP;
	conf_out_push(w, &o);
	return true;
}

static double class_bw(const struct mxp_leg *l, unsigned int members, unsigned int senders,
		       bool we_sent, double *n);

/* Build and queue a leg's compound (with bye: its last). Returns its length, 0 = none.
 * members and senders: of its session (the participant counts, RFC 3550 6.3.8). */
static uint32_t
leg_report(struct mxp_conf_worker *w, struct mxp_leg *l, uint64_t now, bool bye,
	   unsigned int *members, unsigned int *senders, bool *we_sent)
{
	struct cand c[CONF_RTCP_MAX_SR + 2];
	unsigned int total;
	unsigned int n = leg_streams(l, now, c, &total, bye);
	*members = 1 + total;
	*senders = 0;
	for (unsigned int i = 0; i < n; i++)
		*senders += c[i].sender;
	*senders += now - l->last_rx_tsc <= 2 * mxp_conf_tsc_hz() * CONF_RTCP_MIN_MS / 1000;
	*we_sent = n && c[0].sender;
	if (n == 0 || (!bye && class_bw(l, *members, *senders, *we_sent, NULL) <= 0))
		return 0; /* nothing to report, or no RTCP bandwidth for its kind (RFC 3556) */
	uint8_t blk[24];
	bool has_blk = report_block(l, now, blk);
	uint8_t cnlen;
	const char *cname = cname_of(w, l, &cnlen);
	uint8_t pkt[RTCP_ROOM + 256];
	bool sr = false;
	uint32_t len = compound(pkt, c, n, has_blk ? blk : NULL, bye, now, cname, cnlen, &sr);
	if (!push(w, l->conf, &(struct conf_out){ .os = c[0].os, .only = l }, pkt, len))
		return 0;
	if (sr)
		l->rtx.sr++;
	else
		l->rtx.rr++;
	l->rtx.bye += bye;
	return len;
}

/*
 * RFC 3550 6.3.1 (A.7) with RFC 3556's shares: the bandwidth a report of ours takes its
 * interval from, and the members that share it. While the senders are at most their share
 * of the members (a quarter by default), a sender shares the senders' bandwidth (RS) with
 * the senders, a receiver the receivers' (RR) with the others; else everyone shares both.
 * 0: none for us (RS or RR is 0).
 */
static double
class_bw(const struct mxp_leg *l, unsigned int members, unsigned int senders, bool we_sent,
	 double *n)
{
	double s = l->rtx.bw_s, r = l->rtx.bw_r, bw = s + r, k = members;
	if (bw <= 0)
		return 0;
	if (senders <= members * (s / bw)) {
		if (we_sent) {
			bw = s;
			k = senders;
		} else {
			bw = r;
			k = members - senders;
		}
	}
	if (n)
		*n = k;
	return bw;
}

/*
 * RFC 3550 6.3.1 (A.7): the deterministic interval from the session's members, senders,
 * RTCP bandwidth and average compound size, at least the minimum (half of it before the
 * first report), randomised over [0.5, 1.5]. In seconds; < 0 when it has no bandwidth.
 * Without timer reconsideration (a leg's membership is known, not learnt), so without its
 * compensation (the division by e - 3/2): the mean interval is the deterministic one, 5 s
 * for an audio call at the default bandwidth.
 */
static double
rtcp_interval(const struct mxp_leg *l, unsigned int members, unsigned int senders, bool we_sent,
	      double avg_size, bool initial)
{
	double t_min = CONF_RTCP_MIN_MS / 1000.0;
	if (initial)
		t_min /= 2;
	double n = members;
	double bw = class_bw(l, members, senders, we_sent, &n);
	if (bw <= 0)
		return -1;
	double t = avg_size * n / bw;
	if (t < t_min)
		t = t_min;
	double r = (double)(rte_rand() >> 11) / (double)(1ull << 53); /* [0, 1) */
	return t * (r + 0.5);
}

static uint64_t
next_due(struct mxp_leg *l, uint64_t now, unsigned int members, unsigned int senders,
	 bool we_sent, bool initial)
{
	double avg = l->rtx.avg_size ? l->rtx.avg_size : 100.0;
	double s = rtcp_interval(l, members, senders, we_sent, avg, initial);
	if (s < 0) /* none for its kind now: look again after the minimum */
		s = CONF_RTCP_MIN_MS / 1000.0;
	return now + (uint64_t)(s * (double)mxp_conf_tsc_hz());
}

/* RFC 3556: b=RS:0 and b=RR:0, no RTCP at all. */
static inline bool
rtcp_off(const struct mxp_leg *l)
{
	return l->rtx.bw_s <= 0 && l->rtx.bw_r <= 0;
}

void
conf_rtcp_walk(struct mxp_conf_worker *w, struct mxp_conf *cf, uint64_t now)
{
	if (cf->mode == MXP_CONF_FORWARD)
		return;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cf->legs, in_conf) {
		if (!(l->flags & LEG_REMOTE_KNOWN) || rtcp_off(l))
			continue;
		if (l->rtx.next_tsc == 0) { /* a new leg: its first report after half the minimum */
			l->rtx.next_tsc = next_due(l, now, 2, 0, false, true);
			continue;
		}
		if (now < l->rtx.next_tsc)
			continue;
		unsigned int members, senders;
		bool we_sent;
		uint32_t len = leg_report(w, l, now, false, &members, &senders, &we_sent);
		if (len) {
			/* RFC 3550 6.3.3: avg_rtcp_size, with the IP and UDP headers */
			uint32_t sz = len + ((l->flags & LEG_AF6) ? 48 : 28);
			l->rtx.avg_size = l->rtx.avg_size ? (sz + 15 * l->rtx.avg_size) / 16 : sz;
		}
		l->rtx.next_tsc = next_due(l, now, members, senders, we_sent, false);
	}
}

void
conf_rtcp_leg_bye(struct mxp_conf_worker *w, struct mxp_leg *l, bool to_leg, bool own)
{
	struct mxp_conf *cf = l->conf;
	if (cf->mode == MXP_CONF_FORWARD)
		return;
	uint64_t now = rte_rdtsc();
	unsigned int members, senders;
	bool we_sent;
	if (to_leg && (l->flags & LEG_REMOTE_KNOWN) && !rtcp_off(l)) {
		leg_report(w, l, now, true, &members, &senders, &we_sent);
		l->rtx.cursor = 0;
	}
	if (own && cf->mode == MXP_CONF_SWITCH) {
		/* the streams of its packets end: their receivers (all but it) hear a BYE */
		uint8_t cnlen;
		const char *cname = cname_of(w, l, &cnlen);
		struct mxp_ostream *os;
		SLIST_FOREACH(os, &l->streams, by_sender) {
			if (os->pkts == 0)
				continue; /* never sent: no receiver knows it */
			struct cand c = { os, rx_clock(l), os_sender(os, now) };
			uint8_t pkt[256];
			bool sr;
			uint32_t len = compound(pkt, &c, 1, NULL, true, now, cname, cnlen, &sr);
			push(w, cf, &(struct conf_out){ .os = os, .kg = os->kg, .skip = l }, pkt, len);
		}
	}
	conf_emit(w); /* before the command returns: the streams are freed afterwards */
}

void
conf_rtcp_ssrc_moved(struct mxp_conf_worker *w, struct mxp_conf *cf, struct mxp_ostream *os,
		     uint32_t old, struct mxp_leg *only, const struct mxp_leg *by)
{
	/* a new SSRC is a new source: its sender reports count from 0 (RFC 3550 6.4.1) */
	bool heard = os->pkts != 0;
	os->pkts = os->octets = 0;
	os->seen_pkts = 0;
	if (!heard || cf->mode == MXP_CONF_FORWARD)
		return; /* nobody knows the old SSRC */
	/*
	 * The BYE of the old SSRC rides in a compound of the new one (RR, SDES, BYE), protected
	 * under the new SSRC's SRTCP context: the old SSRC is now the participant's under the
	 * same key, so nothing of ours may be encrypted as it again (RFC 3711 9.1).
	 */
	uint64_t now = rte_rdtsc();
	const struct mxp_leg *cl = only ? only : by;
	uint8_t cnlen;
	const char *cname = cname_of(w, cl, &cnlen);
	struct cand c = { os, RTP_CLOCK, false };
	uint8_t pkt[256];
	bool sr;
	uint32_t len = compound(pkt, &c, 1, NULL, false, now, cname, cnlen, &sr);
	mxp_be_wr32(pkt + len + 4, old);
	rtcp_hdr(pkt + len, 1, 203, 8);
	len += 8;
	struct conf_out o = { .os = os, .kg = os->kg, .only = only,
			      .skip = os->src ? os->src : by };
	if (only && !(only->flags & LEG_REMOTE_KNOWN))
		return;
	push(w, cf, &o, pkt, len);
}
