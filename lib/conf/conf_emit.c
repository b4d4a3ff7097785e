/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker: the one emit pipeline. Switched, forwarded and mixed payloads and sender reports
 * are queued as struct conf_out and leave through the same stages:
 *
 *   stamp       switch: the output stream's SSRC and sequence number go into the header
 *   protect     one SRTP burst and one SRTCP burst over everything queued (once per key
 *               group: every receiver of a group gets the same bytes)
 *   replicate   each payload to the eligible receivers of its group, from the group's dense
 *               receiver array: one small header mbuf per receiver (allocated in bulk)
 *               chained to the shared payload, whose reference count is raised once per
 *               chunk; a payload with a single receiver gets its header prepended instead
 *   transmit    the daemon's tx callback (or the control core, when the next hop is not
 *               resolved yet)
 *
 * Failures are counted the same way for every mode: a spent key as srtp_key_exhausted
 * (the MRFC must rekey), other protect failures as srtp_protect, no mbuf as no_mbuf.
 *
 * The timers (top-N, RTCP reports: conf_rtcp.c, the signals of switch conferences:
 * conf_signal.c) run here too; what they send goes the same way. A receiver that hears a
 * signal (RCV_SIGNAL) is skipped by the replication of RTP: the signal replaces the
 * switched media toward it.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_prefetch.h>

#include "conf_priv.h"

#define RCHUNK 32 /* receivers per bulk allocation */

void
conf_out_push(struct mxp_conf_worker *w, const struct conf_out *o)
{
	if (unlikely(w->nout == CONF_MAX_OUT))
		conf_emit(w);
	w->out[w->nout++] = *o;
}

/* ---- stamp and protect ------------------------------------------------------------------------ */

static inline void
stamp(struct conf_out *o, uint64_t now)
{
	struct mxp_ostream *os = o->os;
	uint8_t *p = rte_pktmbuf_mtod(o->m, uint8_t *);
	mxp_be_wr16(p + 2, os->seq++);
	mxp_be_wr32(p + 8, os->ssrc);
	os->last_ts = mxp_be_rd32(p + 4);
	os->last_tsc = now;
	os->pkts++;
	os->octets += rte_pktmbuf_data_len(o->m) - 12u;
}

/* Protect the queued items of one kind (RTP or RTCP) in one burst; failures leave m NULL. */
static void
protect(struct mxp_conf_worker *w, bool rtcp)
{
	struct mxp_srtp_stream *st[CONF_MAX_OUT];
	struct rte_mbuf *mb[CONF_MAX_OUT];
	uint8_t reason[CONF_MAX_OUT];
	uint16_t n = 0;

	for (uint16_t i = 0; i < w->nout; i++) {
		struct conf_out *o = &w->out[i];
		bool is_rtcp = (o->flags & OUT_RTCP) != 0;
		if (o->os == NULL || o->os->s == NULL || is_rtcp != rtcp)
			continue;
		o->m->l2_len = o->m->l3_len = o->m->l4_len = 0;
		o->m->hash.usr = i;
		st[n] = o->os->s;
		mb[n++] = o->m;
	}
	if (n == 0)
		return;
	uint16_t g = rtcp ? mxp_srtcp_stream_protect_burst(st, mb, n, reason)
			  : mxp_srtp_stream_protect_burst(st, mb, n, reason);
	if (!rtcp)
		for (uint16_t k = 0; k < g; k++)
			w->out[mb[k]->hash.usr].os->kg->encryptions++;
	for (uint16_t k = g; k < n; k++) {
		/* a spent key group key is worth its own reason: the MRFC must rekey */
		w->drops[reason[k] == MXP_SRTP_R_KEY_EXHAUSTED ? MXP_DROP_SRTP_KEY_EXHAUSTED
							       : MXP_DROP_SRTP_PROTECT]++;
		w->out[mb[k]->hash.usr].m = NULL;
		rte_pktmbuf_free(mb[k]);
	}
}

/* ---- replicate and transmit ------------------------------------------------------------------- */

/* The next hop of a receiver: cached in its template while no neighbour entry changed. */
static inline bool
rcv_resolve(struct mxp_conf_worker *w, struct conf_rcv *e, uint64_t gen)
{
	if (likely(gen != 0 && e->mac_gen == gen))
		return true;
	struct mxp_ip dst = conf_leg_remote(e->leg);
	struct rte_ether_addr mac;
	if (w->io.neigh(w->io_arg, e->port_idx, &dst, &mac)) {
		mxp_pkt_udp_tmpl_set_mac(&e->t, &mac);
		e->mac_gen = gen;
		return true;
	}
	memset(&mac, 0, sizeof(mac));
	mxp_pkt_udp_tmpl_set_mac(&e->t, &mac);
	e->mac_gen = 0;
	return false;
}

/* Write the headers of one copy into hdr and send the frame f. */
static inline void
rcv_send(struct mxp_conf_worker *w, struct conf_rcv *e, uint64_t gen, struct rte_mbuf *f,
	 uint8_t *hdr, uint16_t plen, uint16_t psum, bool rtcp, bool cap)
{
	bool resolved = rcv_resolve(w, e, gen);
	if (likely(!rtcp)) {
		mxp_pkt_udp_tmpl_put(&e->t, hdr, plen, psum);
		e->tx_pkts++;
		e->tx_bytes += plen;
	} else {
		/* RTCP is rare (a report per stream every few seconds): its header is built from
		 * the leg's addressing, with the next hop's MAC the RTP template holds */
		const struct mxp_leg *l = e->leg;
		struct mxp_pkt_udp_addr a = { .src_mac = l->src_mac, .src = l->local_ip,
					      .dst = conf_leg_remote(l), .sport = l->local_rtcp_port,
					      .dport = l->remote_rtcp_port };
		memcpy(&a.dst_mac, e->t.hdr, sizeof(a.dst_mac));
		mxp_pkt_build_udp(hdr, &a, plen, psum);
		e->rtcp_tx++;
	}
	if (unlikely(cap)) /* some capture in the conference: is it this leg's? */
		conf_cap_pkt(w, e->leg, f, e->port_idx, true);
	if (likely(resolved)) {
		w->io.tx(w->io_arg, e->port_idx, f);
	} else {
		struct mxp_ip dst = conf_leg_remote(e->leg);
		w->io.punt(w->io_arg, e->port_idx, &dst, f);
	}
}

static inline bool
rcv_eligible(const struct conf_rcv *e, const struct conf_out *o)
{
	if (!(e->flags & RCV_ON) || e->leg == o->skip)
		return false;
	/* switch, forward: a signal plays to this leg instead of the switched media */
	if (unlikely(e->flags & RCV_SIGNAL) && !(o->flags & OUT_RTCP))
		return false;
	/* mix: the shared mix of one codec goes to that codec's listeners who do not talk */
	return o->codec == 0 || (e->codec == o->codec && !(e->flags & RCV_TALKER));
}

/* One receiver: the headers go in front of the payload itself. */
static unsigned int
send_prepended(struct mxp_conf_worker *w, struct conf_rcv *e, struct rte_mbuf *pl,
	       uint16_t plen, uint16_t psum, bool rtcp, uint64_t gen, bool cap)
{
	uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(pl, e->t.len);
	if (unlikely(h == NULL)) {
		w->drops[MXP_DROP_NO_MBUF]++;
		rte_pktmbuf_free(pl);
		return 0;
	}
	rcv_send(w, e, gen, pl, h, plen, psum, rtcp, cap);
	return 1;
}

/* Chain a header mbuf per selected receiver to the payload (which holds a reference each). */
static unsigned int
send_chained(struct mxp_conf_worker *w, struct conf_rcv **sel, unsigned int ns,
	     struct rte_mbuf *pl, uint16_t plen, uint16_t psum, bool rtcp, uint64_t gen, bool cap)
{
	struct rte_mempool *hp = w->sys->p.hdr_pool;
	struct rte_mbuf *h[RCHUNK];
	unsigned int nh = ns;
	if (unlikely(rte_mempool_get_bulk(hp, (void **)h, ns) != 0)) {
		/* the pool is nearly dry: as many as it still has */
		for (nh = 0; nh < ns && rte_mempool_get(hp, (void **)&h[nh]) == 0; nh++)
			;
		w->drops[MXP_DROP_NO_MBUF] += ns - nh;
	}
	if (nh == 0)
		return 0;
	/*
	 * Header mbufs come back from the pool cold (transmitted ones return through the
	 * pool's ring): ask for all their lines at once, metadata and the header's place, so
	 * that the misses overlap instead of stalling the initialisation one mbuf at a time.
	 */
	size_t data = sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(hp) + RTE_PKTMBUF_HEADROOM;
	for (unsigned int k = 0; k < nh; k++) {
		__builtin_prefetch(h[k], 1, 3);
		__builtin_prefetch((char *)h[k] + RTE_CACHE_LINE_SIZE, 1, 3);
		__builtin_prefetch((char *)h[k] + data, 1, 3);
	}
	rte_mbuf_refcnt_update(pl, (int16_t)nh); /* one reference per copy, at once */
	for (unsigned int k = 0; k < nh; k++) {
		struct rte_mbuf *m = h[k];
		struct conf_rcv *e = sel[k];
		uint16_t hl = e->t.len;
		rte_pktmbuf_reset(m);
		m->data_len = hl;
		m->pkt_len = (uint32_t)hl + plen;
		m->nb_segs = 2;
		m->next = pl;
		rcv_send(w, e, gen, m, rte_pktmbuf_mtod(m, uint8_t *), plen, psum, rtcp, cap);
	}
	return nh;
}

/* Send one payload to every eligible receiver of its group, or to its one receiver. */
static void
replicate(struct mxp_conf_worker *w, const struct conf_out *o, uint64_t gen)
{
	struct rte_mbuf *pl = o->m;
	uint16_t plen = (uint16_t)rte_pktmbuf_data_len(pl);
	bool rtcp = (o->flags & OUT_RTCP) != 0;
	uint16_t psum = mxp_pkt_payload_sum(rte_pktmbuf_mtod(pl, void *), plen);
	unsigned int sent = 0;
	struct mxp_keygroup *kg;
	bool cap = o->conf->ncap != 0;

	pl->l2_len = pl->l3_len = pl->l4_len = 0;
	if (o->only != NULL) { /* a private mix: exactly one receiver */
		struct conf_rcv *e = conf_leg_rcv(o->only);
		kg = o->only->kg;
		/* RTCP goes to every leg whose address is known, whatever its mode (RFC 3264:
		 * reports continue on a sendonly, recvonly or inactive stream) */
		if (rtcp ? (o->only->flags & LEG_REMOTE_KNOWN) != 0 : (e->flags & RCV_ON) != 0)
			sent = send_prepended(w, e, pl, plen, psum, rtcp, gen, cap);
		else
			rte_pktmbuf_free(pl);
	} else {
		kg = o->kg;
		struct conf_rcv *sel[RCHUNK];
		const struct conf_rcv *end = kg->rcv + kg->nrcv;
		struct conf_rcv *e = kg->rcv;
		bool first = true;
		while (e < end) {
			unsigned int ns = 0;
			for (; e < end && ns < RCHUNK; e++) {
				if (e + 4 < end) { /* both lines: eligibility is in the second */
					rte_prefetch0(e + 4);
					rte_prefetch0((const char *)(e + 4) + RTE_CACHE_LINE_SIZE);
				}
				if (rcv_eligible(e, o))
					sel[ns++] = e;
			}
			if (first && e == end && ns == 1) {
				sent = send_prepended(w, sel[0], pl, plen, psum, rtcp, gen, cap);
				goto counted; /* the payload itself went out */
			}
			first = false;
			if (ns)
				sent += send_chained(w, sel, ns, pl, plen, psum, rtcp, gen, cap);
		}
		rte_pktmbuf_free(pl); /* our reference; each chain holds its own */
	}
counted:
	if (!rtcp) {
		o->conf->tx_pkts += sent;
		kg->sent += sent;
	}
}

void
conf_emit(struct mxp_conf_worker *w)
{
	if (w->nout == 0)
		return;
	uint64_t now = rte_rdtsc();
	for (uint16_t i = 0; i < w->nout; i++)
		if (w->out[i].flags & OUT_STAMP)
			stamp(&w->out[i], now);
	protect(w, false);
	protect(w, true);
	uint64_t gen = w->io.neigh_gen ? __atomic_load_n(w->io.neigh_gen, __ATOMIC_ACQUIRE) + 1 : 0;
	for (uint16_t i = 0; i < w->nout; i++)
		if (w->out[i].m != NULL)
			replicate(w, &w->out[i], gen);
	w->nout = 0;
}

/* ---- timers -------------------------------------------------------------------------------------- */

#define LEVEL_STALE_MS 500
#define TOPN_HYSTERESIS 3 /* dB a challenger must beat a current speaker by */

/*
 * Choose the top-N speakers of a switch conference from their RFC 6464 levels. A current
 * speaker keeps its place unless a challenger is louder by TOPN_HYSTERESIS dB, so the set
 * does not flap between speakers of about the same level. Legs that send no level are
 * always forwarded.
 */
void
conf_topn_update(struct mxp_conf *cf, uint64_t now)
{
	uint64_t stale = mxp_conf_tsc_hz() * LEVEL_STALE_MS / 1000;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cf->legs, in_conf) {
		uint8_t s = l->state & (uint8_t)~(LEG_TOPN_PREV | LEG_IN_TOPN);
		if (l->state & LEG_IN_TOPN)
			s |= LEG_TOPN_PREV;
		if (l->audio_level_id == 0)
			s |= LEG_IN_TOPN;
		l->state = s;
	}
	/* N passes of "pick the loudest not yet picked": N is small (default 3). */
	for (uint16_t k = 0; k < cf->topn; k++) {
		struct mxp_leg *best = NULL;
		int best_score = 1 << 30;
		TAILQ_FOREACH(l, &cf->legs, in_conf) {
			if ((l->state & LEG_IN_TOPN) || l->level_tsc == 0 || now - l->level_tsc > stale)
				continue;
			int score = (int)l->level - ((l->state & LEG_TOPN_PREV) ? TOPN_HYSTERESIS : 0);
			if (score < best_score) {
				best_score = score;
				best = l;
			}
		}
		if (best == NULL)
			break;
		best->state |= LEG_IN_TOPN;
	}
}

void
conf_tick(struct mxp_conf_worker *w, uint64_t now)
{
	struct mxp_conf *cf;
	TAILQ_FOREACH(cf, &w->confs, next) {
		if (cf->mode == MXP_CONF_SWITCH && cf->topn)
			conf_topn_update(cf, now);
		/* signals of switch (and forward) conferences: frames due on the MRFP's own
		 * streams toward the legs that hear them (a mix conference's go in its tick) */
		if (unlikely(cf->sig != NULL) && cf->mode != MXP_CONF_MIX && conf_signal_busy(cf))
			conf_signal_switch_tick(w, cf, now);
		/* RTCP: the legs are looked at every 500 ms, not every tick (a switch
		 * conference with individual keys has legs x legs streams): a report goes at
		 * most half a second after it is due. */
		if (now >= cf->next_sr_walk) {
			cf->next_sr_walk = now + mxp_conf_tsc_hz() * CONF_SR_WALK_MS / 1000;
			conf_rtcp_walk(w, cf, now);
		}
	}
	conf_emit(w);
}
