/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker: classification and the flush. mxp_conf_rx() finds a frame's leg in the table and
 * queues it (fetching the leg's two hot lines); mxp_conf_flush() then runs the burst through
 * named stages, top to bottom:
 *
 *   1. validate       the leg's checks: owner (else hand-off), mode, SSRC collision, RTP/RTCP
 *                     header, source address (a move needs a valid tag: latching)
 *   2. inbound crypto one burst call per operation (unprotect RTP, unprotect RTCP, verify RTP,
 *                     verify RTCP), so the multi-buffer lanes fill
 *   3. per mode       latching, SSRC learning, statistics, then: mix legs feed their jitter
 *                     buffer; forward and switch queue payloads for the emit pipeline (switch:
 *                     one per key group with a receiver, a copy for all but the last)
 *   4. emit           conf_emit.c: stamp, protect, replicate, transmit
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include "conf_priv.h"

static inline void
count_drop(struct mxp_conf_worker *w, enum mxp_drop d)
{
	w->drops[d]++;
}

static enum mxp_drop
srtp_drop(unsigned int reason)
{
	switch (reason) {
	case MXP_SRTP_R_AUTH: return MXP_DROP_SRTP_AUTH;
	case MXP_SRTP_R_REPLAY: return MXP_DROP_SRTP_REPLAY;
	case MXP_SRTP_R_TOO_OLD: return MXP_DROP_SRTP_TOO_OLD;
	case MXP_SRTP_R_UNKNOWN_MKI: return MXP_DROP_SRTP_UNKNOWN_MKI;
	case MXP_SRTP_R_KEY_EXHAUSTED: return MXP_DROP_SRTP_KEY_EXHAUSTED;
	case MXP_SRTP_R_SSRC_MISMATCH: return MXP_DROP_SRTP_SSRC;
	case MXP_SRTP_R_BAD_HEADER: return MXP_DROP_SRTP_BAD_HEADER;
	default: return MXP_DROP_SRTP_OTHER;
	}
}

static enum mxp_drop
rtp_drop(enum mxp_rtp_err e)
{
	switch (e) {
	case MXP_RTP_VERSION: return MXP_DROP_RTP_VERSION;
	case MXP_RTP_CSRC_OVERFLOW: return MXP_DROP_RTP_CSRC;
	case MXP_RTP_EXT_OVERFLOW: return MXP_DROP_RTP_EXT;
	case MXP_RTP_PADDING: return MXP_DROP_RTP_PADDING;
	default: return MXP_DROP_RTP_TRUNCATED;
	}
}

/* ---- classification ----------------------------------------------------------------------------- */

bool
mxp_conf_rx(struct mxp_conf_worker *w, uint16_t port_idx, struct rte_mbuf *m,
	    const struct mxp_pkt_meta *meta)
{
	struct mxp_conf_sys *sys = w->sys;
	if (unlikely(port_idx >= MXP_CONF_MAX_PORTS))
		return false;
	int ai = sys->addr_by_port[port_idx][meta->dst.af == AF_INET6];
	if (ai < 0 || !mxp_ip_equal(&meta->dst, &sys->addr[ai].a.ip))
		return false;
	uintptr_t e = __atomic_load_n(&sys->addr[ai].table[meta->dport], __ATOMIC_ACQUIRE);
	if (e == 0)
		return false;
	struct mxp_leg *l = (struct mxp_leg *)(e & ~TABLE_RTCP);
	/*
	 * The leg is checked in mxp_conf_flush(), a burst later: with thousands of legs its
	 * two hot lines are cold, and fetching them now overlaps the misses of the whole burst.
	 */
	rte_prefetch0(l);
	rte_prefetch0((const char *)l + RTE_CACHE_LINE_SIZE);
	/* The SRTP trailer is at the end: cut Ethernet padding off first. */
	uint32_t hdrs = (uint32_t)meta->l2_len + meta->l3_len + meta->l4_len;
	uint32_t total = hdrs + meta->l4_payload_len;
	if (rte_pktmbuf_pkt_len(m) > total)
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_pkt_len(m) - total));
	m->l2_len = meta->l2_len;
	m->l3_len = meta->l3_len;
	m->l4_len = meta->l4_len;
	struct conf_pending *pe = &w->pend[w->npend++];
	pe->m = m;
	pe->leg = l;
	pe->src = meta->src;
	pe->sport = meta->sport;
	pe->port_idx = port_idx;
	pe->rtcp = (e & TABLE_RTCP) != 0;
	pe->latch = false;
	pe->confirm = false;
	if (w->npend == CONF_BURST)
		mxp_conf_flush(w);
	return true;
}

/* ---- SSRC checks ---------------------------------------------------------------------------------- */

/*
 * An output stream under the key the participant sends with has its SSRC: it moves to the
 * group's spare SSRC (registered on the control core, so no other stream under the key has
 * it), or a random one if the spare was used already. A new index space under the same key
 * session: nothing to derive, no allocation.
 */
static void
ssrc_move(struct mxp_conf_worker *w, struct mxp_leg *l, struct mxp_keygroup *kg,
	  struct mxp_ostream *os, uint32_t taken, struct mxp_leg *only)
{
	if (os == NULL || os->s == NULL || os->ssrc != taken)
		return;
	uint32_t n = __atomic_exchange_n(&kg->spare_ssrc, 0, __ATOMIC_ACQ_REL);
	while (n == 0 || n == taken)
		n = (uint32_t)rte_rand();
	if (mxp_srtp_stream_set_ssrc(os->s, n) == 0) {
		os->ssrc = n;
		conf_rtcp_ssrc_moved(w, l->conf, os, taken, only, l); /* BYE of the old */
	}
}

/*
 * A leg's inbound SSRC became known. Under one master key, no two streams may share an
 * SSRC (RFC 3711 9.1): another leg sending with the same key and SSRC is a collision
 * (its packets are dropped); one of our output streams with that key and SSRC (a switched
 * stream, a shared mix, a private one, or the stream that carries a switch leg's signals)
 * moves to a fresh SSRC.
 */
static void
ssrc_learned(struct mxp_conf_worker *w, struct mxp_leg *l, uint32_t ssrc)
{
	struct mxp_conf *cf = l->conf;
	struct mxp_leg *o;
	TAILQ_FOREACH(o, &cf->legs, in_conf) {
		if (o == l || !(o->state & LEG_SSRC_KNOWN) || o->ssrc != ssrc)
			continue;
		if (o->in_key_id == l->in_key_id) {
			l->flags |= LEG_SSRC_CONFLICT;
			cf->ssrc_conflicts++;
			return;
		}
	}
	struct mxp_keygroup *kg;
	TAILQ_FOREACH(kg, &cf->kgs, next) {
		if (kg->plain || kg->key_id != l->in_key_id)
			continue;
		struct mxp_ostream *os;
		TAILQ_FOREACH(os, &kg->streams, by_group)
			ssrc_move(w, l, kg, os, ssrc, NULL);
		for (int c = 0; c < CONF_MIX_FMTS; c++)
			ssrc_move(w, l, kg, kg->mix[c], ssrc, NULL);
		if (cf->mode == MXP_CONF_MIX)
			for (uint32_t i = 0; i < kg->nrcv; i++)
				ssrc_move(w, l, kg, kg->rcv[i].leg->priv, ssrc, kg->rcv[i].leg);
		else if (cf->mode == MXP_CONF_SWITCH)
			for (uint32_t i = 0; i < kg->nrcv; i++)
				ssrc_move(w, l, kg, conf_signal_leg_stream(kg->rcv[i].leg), ssrc,
					  kg->rcv[i].leg);
	}
}

/*
 * A leg's inbound SSRC stops counting under its key: the leg leaves, or its inbound key
 * changes (a rekey). Legs refused as colliding with it (same SSRC under the same key) learn
 * their SSRC again at their next packet, the first of them now without a collision; and
 * so does the leg itself, under its new key (an output stream under that key with its SSRC
 * then moves, as for any SSRC learned).
 */
void
conf_ssrc_release(struct mxp_leg *l)
{
	if (!(l->state & LEG_SSRC_KNOWN))
		return;
	struct mxp_conf *cf = l->conf;
	struct mxp_leg *o;
	if (l->flags & LEG_SSRC_CONFLICT) {
		l->flags = (uint8_t)(l->flags & ~LEG_SSRC_CONFLICT);
		cf->ssrc_conflicts--;
	} else if (cf->ssrc_conflicts != 0) {
		/* it held the SSRC: the legs refused for it may have it now (a walk only
		 * when the conference has such a leg: deleting a conference of N legs must
		 * not cost the worker N^2) */
		TAILQ_FOREACH(o, &cf->legs, in_conf) {
			if (o == l || !(o->flags & LEG_SSRC_CONFLICT) || o->ssrc != l->ssrc ||
			    o->in_key_id != l->in_key_id)
				continue;
			o->flags = (uint8_t)(o->flags & ~LEG_SSRC_CONFLICT);
			o->state = (uint8_t)(o->state & ~LEG_SSRC_KNOWN);
			cf->ssrc_conflicts--;
		}
	}
	l->state = (uint8_t)(l->state & ~LEG_SSRC_KNOWN);
}

/* ---- stage 1: validate ---------------------------------------------------------------------------- */

static inline bool
remote_addr_is(const struct mxp_leg *l, const struct conf_pending *pe)
{
	if (l->flags & LEG_AF6)
		return memcmp(pe->src.v6, l->remote, 16) == 0;
	return pe->src.v4 == *(const uint32_t *)(const void *)l->remote;
}

/*
 * Learn the remote from an authenticated packet (validate() found it may latch). From a
 * new address both ports are set: the packet's kind's from it, the other's a guess
 * (LEG_RTP_GUESSED, LEG_RTCP_GUESSED: RTCP's is RTP's plus 1, RTP's is RTCP's minus 1,
 * one port with rtcp-mux). From the same
 * address only the packet's kind's port is learnt: a guessed port of the other kind is
 * guessed again from an RTP packet, a learnt or configured one stays (a NAT maps RTP and
 * RTCP to ports of its own choosing, which a guess would overwrite).
 *
 * validate() checks a burst before any of its packets latches: an earlier packet of the
 * burst may have latched the leg since. Returns false when the leg is strict and that
 * packet's source is not this one's (a source mismatch, as for a later burst).
 */
bool
conf_latch(struct mxp_leg *l, const struct conf_pending *pe)
{
	bool known = (l->flags & LEG_REMOTE_KNOWN) != 0;
	bool same = known && remote_addr_is(l, pe);
	bool mux = (l->flags & LEG_RTCP_MUX) != 0;
	uint8_t kind = pe->rtcp ? LEG_RTCP_GUESSED : LEG_RTP_GUESSED;
	if (same && pe->sport == (pe->rtcp ? l->remote_rtcp_port : l->remote_port) &&
	    !(l->state & kind))
		return true; /* where an earlier packet of the burst latched it */
	if ((l->flags & LEG_STRICT) && known && !(same && (l->state & kind)))
		return false;
	/* a strict leg learning the port it guessed has not moved */
	if (known && !(same && (l->state & kind)))
		l->st.latches++;
	if (!same) {
		memset(l->remote, 0, sizeof(l->remote));
		memcpy(l->remote, pe->src.v6, pe->src.af == AF_INET6 ? 16 : 4);
	}
	uint8_t st = (uint8_t)(l->state & ~kind);
	if (pe->rtcp) {
		l->remote_rtcp_port = pe->sport;
		if (mux) {
			l->remote_port = pe->sport;
		} else if (!same) {
			l->remote_port = (uint16_t)(pe->sport - 1);
			st |= LEG_RTP_GUESSED;
		}
	} else {
		l->remote_port = pe->sport;
		if (mux) {
			l->remote_rtcp_port = pe->sport;
		} else if (!same || (st & LEG_RTCP_GUESSED)) {
			l->remote_rtcp_port = (uint16_t)(pe->sport + 1);
			st |= LEG_RTCP_GUESSED;
		}
	}
	if (mux)
		st = (uint8_t)(st & ~(LEG_RTP_GUESSED | LEG_RTCP_GUESSED));
	l->state = st;
	l->flags |= LEG_REMOTE_KNOWN;
	conf_rcv_refresh(l);
	return true;
}

static inline bool
from_remote(const struct mxp_leg *l, const struct conf_pending *pe, uint16_t want)
{
	return (l->flags & LEG_REMOTE_KNOWN) && pe->sport == want && remote_addr_is(l, pe);
}

/*
 * The per-leg checks of a queued packet. Returns false when the packet is gone (dropped
 * and counted, or handed to the owning worker).
 */
static bool
validate(struct mxp_conf_worker *w, struct conf_pending *pe)
{
	struct mxp_leg *l = pe->leg;
	struct rte_mbuf *m = pe->m;
	if (unlikely(l->owner != w->idx)) {
		m->hash.usr = pe->port_idx;
		if (rte_ring_enqueue(w->sys->w[l->owner]->handoff, m) != 0) {
			count_drop(w, MXP_DROP_HANDOFF_FULL);
			rte_pktmbuf_free(m);
		}
		return false;
	}
	if (unlikely(l->conf->ncap)) /* as it came, before any check or decryption */
		conf_cap_pkt(w, l, m, pe->port_idx, false);
	uint32_t hdrs = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, hdrs);
	uint32_t len = rte_pktmbuf_pkt_len(m) - hdrs;
	bool rtcp = pe->rtcp;
	if ((l->flags & LEG_RTCP_MUX) && mxp_rtp_is_rtcp(p, len))
		rtcp = true;

	enum mxp_drop d = MXP_DROP_NONE;
	if (!rtcp) {
		struct mxp_rtp_info ri;
		enum mxp_rtp_err re;
		if (!mxp_stream_mode_sends(l->mode)) {
			l->st.not_sending++;
			d = MXP_DROP_LEG_NOT_SENDING;
		} else if (l->flags & LEG_SSRC_CONFLICT) {
			d = MXP_DROP_SSRC_COLLISION;
		} else if ((re = mxp_rtp_parse(p, len, &ri)) != MXP_RTP_OK) {
			d = rtp_drop(re);
		}
	} else {
		uint32_t ssrc;
		enum mxp_rtp_err re = mxp_rtcp_parse(p, len, &ssrc);
		if (re != MXP_RTP_OK)
			d = rtp_drop(re);
	}
	bool latch = false, confirm = false;
	uint8_t guessed = (uint8_t)(l->state & (rtcp ? LEG_RTCP_GUESSED : LEG_RTP_GUESSED));
	if (d == MXP_DROP_NONE && from_remote(l, pe, rtcp ? l->remote_rtcp_port : l->remote_port)) {
		/* the guess was right: the port is learnt once the packet authenticated (else
		 * a strict leg would take another port later) */
		confirm = guessed != 0;
	} else if (d == MXP_DROP_NONE) {
		/* Moving needs a valid tag: plain and strict legs never move. An asymmetric
		 * leg (SRTP, remote known) takes any source the crypto stage authenticates,
		 * and never moves. */
		if ((l->flags & LEG_PLAIN) ||
		    ((l->flags & LEG_STRICT) && (l->flags & LEG_REMOTE_KNOWN))) {
			/* but a strict leg learns the port it guessed, from its address */
			if (!(l->flags & LEG_PLAIN) && guessed && remote_addr_is(l, pe)) {
				latch = true;
			} else {
				l->st.source_mismatch++;
				d = MXP_DROP_SOURCE_MISMATCH;
			}
		} else if (!(l->flags & LEG_ASYM)) {
			latch = true;
		}
	}
	if (d != MXP_DROP_NONE) {
		if (d != MXP_DROP_SOURCE_MISMATCH && d != MXP_DROP_LEG_NOT_SENDING)
			l->st.other_drops++;
		conf_leg_count(l, d);
		count_drop(w, d);
		rte_pktmbuf_free(m);
		return false;
	}
	pe->rtcp = rtcp;
	pe->latch = latch;
	pe->confirm = confirm;
	/* the leg's SRTP context and media state, cold with many legs: fetched now, used
	 * once the rest of the burst is checked */
	if (l->in)
		mxp_srtp_stream_prefetch(l->in);
	if (l->conf->mode == MXP_CONF_MIX) {
		rte_prefetch0(l->ml);
		rte_prefetch0((const char *)l->ml + 64);
	}
	return true;
}

/* ---- stage 3: per mode ------------------------------------------------------------------------------ */

static inline void
level_update(struct mxp_leg *l, const uint8_t *p, const struct mxp_rtp_info *ri, uint64_t now)
{
	uint8_t lv;
	bool vad;
	if (!mxp_rtp_audio_level(p, ri, l->audio_level_id, &lv, &vad))
		return;
	/* Fast attack, slow release. */
	l->level = lv < l->level ? (uint8_t)((l->level + lv) / 2) : (uint8_t)((7u * l->level + lv) / 8);
	l->level_tsc = now;
}

static inline void
drop_counted(struct mxp_conf_worker *w, struct mxp_leg *l, struct rte_mbuf *m, enum mxp_drop d)
{
	l->st.other_drops++;
	conf_leg_count(l, d);
	count_drop(w, d);
	rte_pktmbuf_free(m);
}

/* An RTCP packet of a leg: statistics, and forward mode relays sender reports. */
static void
rx_rtcp(struct mxp_conf_worker *w, struct mxp_leg *l, struct rte_mbuf *m, uint32_t hdrs,
	const uint8_t *p, uint32_t len, uint64_t now)
{
	struct mxp_conf *cf = l->conf;
	l->st.rtcp_rx++;
	if (cf->mode == MXP_CONF_FORWARD) {
		/* a translator (RFC 3550 7.1): the participants' compounds (led by an SR or
		 * an RR) go to the others */
		if (len > 1 && (p[1] == 200 || p[1] == 201) && cf->fwd_kg != NULL) {
			rte_pktmbuf_adj(m, (uint16_t)hdrs);
			conf_out_push(w, &(struct conf_out){ .m = m, .kg = cf->fwd_kg, .skip = l,
							     .conf = cf, .flags = OUT_RTCP });
			return;
		}
	} else {
		conf_rtcp_input(l, p, len, now);
	}
	rte_pktmbuf_free(m);
}

/* Switch: one payload per key group that has a receiver other than the sender. */
static void
rx_switch(struct mxp_conf_worker *w, struct mxp_leg *l, struct rte_mbuf *m, uint32_t hdrs)
{
	struct mxp_conf *cf = l->conf;
	struct mxp_ostream *os, *last = NULL;
	bool self_rcv = mxp_stream_mode_receives(l->mode);
	SLIST_FOREACH(os, &l->streams, by_sender) {
		uint32_t others = os->kg->nrecv - (os->self_group && self_rcv);
		if (others == 0)
			continue;
		if (last != NULL) {
			/* a copy for the previous group; the original goes to the last one */
			struct rte_mbuf *c = rte_pktmbuf_copy(m, w->sys->p.pool, hdrs, UINT32_MAX);
			if (c == NULL) {
				conf_leg_count(l, MXP_DROP_NO_MBUF);
				count_drop(w, MXP_DROP_NO_MBUF);
			}
			else
				conf_out_push(w, &(struct conf_out){ .m = c, .os = last, .kg = last->kg,
								     .skip = l, .conf = cf,
								     .flags = OUT_STAMP });
		}
		last = os;
	}
	if (last == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	rte_pktmbuf_adj(m, (uint16_t)hdrs);
	conf_out_push(w, &(struct conf_out){ .m = m, .os = last, .kg = last->kg, .skip = l,
					     .conf = cf, .flags = OUT_STAMP });
}

/*
 * Switch and forward: an RFC 4733 event is logged as the mixer logs it (mxp_leg_stats.dtmf,
 * dtmf_log) and forwarded like any payload. A new event is a packet of the event payload
 * type whose RTP timestamp (the event's start, RFC 4733 2.3.1) differs from the last one's.
 * Forward mode only authenticates SRTP: the payload stays encrypted, so the event is logged
 * as 255 (started, digit unknown).
 */
static void
dtmf_note(struct mxp_leg *l, const uint8_t *p, uint32_t len, const struct mxp_rtp_info *ri)
{
	if (ri->pt != l->event_pt || len < ri->hdr_len + 4u ||
	    (l->st.dtmf != 0 && ri->ts == l->dtmf_ts))
		return;
	l->dtmf_ts = ri->ts;
	l->st.dtmf++;
	uint64_t lg = ((l->st.dtmf_log << 8) & ((1ull << (8 * MXP_LEG_DTMF_LOG)) - 1)) |
		      (l->conf->mode == MXP_CONF_FORWARD && l->in != NULL ? 255u : p[ri->hdr_len]) |
		      (uint64_t)(uint16_t)l->st.dtmf << 48;
	__atomic_store_n(&l->st.dtmf_log, lg, __ATOMIC_RELAXED);
}

/* An authenticated (or plain) RTP/RTCP packet of a leg, after the crypto stage. */
static void
rx_packet(struct mxp_conf_worker *w, struct conf_pending *pe, uint64_t now)
{
	struct mxp_leg *l = pe->leg;
	struct mxp_conf *cf = l->conf;
	struct rte_mbuf *m = pe->m;
	uint32_t hdrs = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
	uint8_t *p = rte_pktmbuf_mtod_offset(m, uint8_t *, hdrs);
	uint32_t len = rte_pktmbuf_pkt_len(m) - hdrs;

	if (pe->latch && !conf_latch(l, pe)) { /* strict, latched by the burst's earlier */
		l->st.source_mismatch++;
		conf_leg_count(l, MXP_DROP_SOURCE_MISMATCH);
		count_drop(w, MXP_DROP_SOURCE_MISMATCH);
		rte_pktmbuf_free(m);
		return;
	}
	if (pe->confirm && from_remote(l, pe, pe->rtcp ? l->remote_rtcp_port : l->remote_port))
		l->state = (uint8_t)(l->state & ~(pe->rtcp ? LEG_RTCP_GUESSED : LEG_RTP_GUESSED));
	if (!(l->state & LEG_SSRC_KNOWN) && !pe->rtcp) {
		l->ssrc = mxp_be_rd32(p + 8);
		l->state |= LEG_SSRC_KNOWN;
		ssrc_learned(w, l, l->ssrc);
	}
	if ((l->flags & LEG_SSRC_CONFLICT) && !pe->rtcp) {
		conf_leg_count(l, MXP_DROP_SSRC_COLLISION);
		count_drop(w, MXP_DROP_SSRC_COLLISION);
		rte_pktmbuf_free(m);
		return;
	}
	l->last_rx_tsc = now;
	if (pe->rtcp) {
		rx_rtcp(w, l, m, hdrs, p, len, now);
		return;
	}
	struct mxp_rtp_info ri;
	mxp_rtp_parse(p, len, &ri); /* validated at rx; forward: header only */
	conf_rtcp_rx_rtp(l, &ri, now);
	bool muted = (l->flags & LEG_MUTED) || (cf->floor != NULL && cf->floor != l);
	if (cf->mode == MXP_CONF_MIX) {
		if (muted)
			l->st.floor_filtered++; /* the mixer mutes it; counted here */
		conf_mix_rx(w, l, m, p, len, &ri, now);
		return;
	}
	uint32_t plen;
	if (cf->mode != MXP_CONF_FORWARD && mxp_rtp_padding(p, len, &ri, &plen) != MXP_RTP_OK) {
		drop_counted(w, l, m, MXP_DROP_RTP_PADDING);
		return;
	}
	if (!(l->pt_ok[ri.pt / 64] & (1ull << (ri.pt % 64)))) {
		drop_counted(w, l, m, MXP_DROP_RTP_PAYLOAD_TYPE);
		return;
	}
	l->rx_pkts++;
	l->rx_bytes += len;
	cf->rx_pkts++;
	if (l->event_pt)
		dtmf_note(l, p, len, &ri);
	if (l->audio_level_id)
		level_update(l, p, &ri, now);
	if (muted) {
		l->st.floor_filtered++;
		rte_pktmbuf_free(m);
		return;
	}
	if (cf->mode == MXP_CONF_FORWARD) {
		if (cf->fwd_kg == NULL) {
			rte_pktmbuf_free(m);
			return;
		}
		rte_pktmbuf_adj(m, (uint16_t)hdrs);
		conf_out_push(w, &(struct conf_out){ .m = m, .kg = cf->fwd_kg, .skip = l,
						     .conf = cf });
		return;
	}
	if (!(l->state & LEG_IN_TOPN)) {
		l->st.topn_filtered++;
		rte_pktmbuf_free(m);
		return;
	}
	rx_switch(w, l, m, hdrs);
}

/* ---- the flush ------------------------------------------------------------------------------------ */

void
mxp_conf_flush(struct mxp_conf_worker *w)
{
	uint16_t np = w->npend;
	if (np == 0)
		return;
	w->npend = 0;

	/* 1. validate (the legs' lines were fetched when the packets were queued) */
	uint16_t nv = 0;
	for (uint16_t i = 0; i < np; i++)
		if (validate(w, &w->pend[i])) {
			if (nv != i)
				w->pend[nv] = w->pend[i];
			nv++;
		}
	np = nv;
	if (np == 0)
		return;

	/* 2. inbound crypto, one burst per operation */
	struct mxp_srtp_stream *st[4][CONF_BURST];
	struct rte_mbuf *mb[4][CONF_BURST];
	uint8_t reason[4][CONF_BURST];
	uint16_t n[4] = { 0 };
	bool ok[CONF_BURST];
	for (uint16_t i = 0; i < np; i++) {
		struct conf_pending *pe = &w->pend[i];
		ok[i] = true;
		if (pe->leg->in == NULL)
			continue;
		int op = (pe->leg->conf->mode == MXP_CONF_FORWARD ? 2 : 0) + (pe->rtcp ? 1 : 0);
		pe->m->hash.usr = i;
		st[op][n[op]] = pe->leg->in;
		mb[op][n[op]++] = pe->m;
		/* the stream's line was asked for in stage 1: now the key session's */
		mxp_srtp_stream_prefetch_keys(pe->leg->in);
	}
	uint16_t good[4];
	good[0] = n[0] ? mxp_srtp_stream_unprotect_burst(st[0], mb[0], n[0], reason[0]) : 0;
	good[1] = n[1] ? mxp_srtcp_stream_unprotect_burst(st[1], mb[1], n[1], reason[1]) : 0;
	good[2] = n[2] ? mxp_srtp_stream_verify_burst(st[2], mb[2], n[2], reason[2]) : 0;
	good[3] = n[3] ? mxp_srtcp_stream_verify_burst(st[3], mb[3], n[3], reason[3]) : 0;
	for (int op = 0; op < 4; op++)
		for (uint16_t k = good[op]; k < n[op]; k++) {
			struct conf_pending *pe = &w->pend[mb[op][k]->hash.usr];
			ok[mb[op][k]->hash.usr] = false;
			/* An unauthenticated packet from a new source is a source mismatch. */
			if (pe->latch && reason[op][k] == MXP_SRTP_R_AUTH) {
				pe->leg->st.source_mismatch++;
				count_drop(w, MXP_DROP_SOURCE_MISMATCH);
			} else {
				conf_leg_count(pe->leg, srtp_drop(reason[op][k]));
				count_drop(w, srtp_drop(reason[op][k]));
			}
			rte_pktmbuf_free(pe->m);
		}

	/* mix legs: the jitter-buffer slots the packets go to, fetched ahead of stage 3 */
	for (uint16_t i = 0; i < np; i++) {
		const struct conf_pending *pe = &w->pend[i];
		if (ok[i] && !pe->rtcp && pe->leg->conf->mode == MXP_CONF_MIX) {
			struct rte_mbuf *m = pe->m;
			const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *,
								   m->l2_len + m->l3_len + m->l4_len);
			mxp_media_leg_prefetch(pe->leg->ml, mxp_be_rd16(p + 2));
		}
	}

	/* 3. per mode; 4. the emit pipeline (it also runs whenever its queue fills) */
	uint64_t now = rte_rdtsc();
	for (uint16_t i = 0; i < np; i++)
		if (ok[i])
			rx_packet(w, &w->pend[i], now);
	conf_emit(w);
}
