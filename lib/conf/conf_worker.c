/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker side of the conferences: classification, batched SRTP, switching,
 * forwarding and replication.
 *
 * A burst goes through four phases in mxp_conf_flush():
 *   1. inbound crypto, one burst call per operation (unprotect RTP, unprotect RTCP,
 *      verify RTP, verify RTCP) so the multi-buffer lanes fill;
 *   2. per packet: latching, SSRC checks, statistics, top-N, and for each key group of
 *      the conference one payload (a copy, the original for the last group) with the
 *      group stream's SSRC and sequence number;
 *   3. one protect burst over every payload;
 *   4. replication: each protected payload is sent to its group's receivers, one small
 *      header mbuf (Ethernet/IP/UDP) per receiver chained to the shared payload, whose
 *      reference count holds it until the last copy is sent. A payload with a single
 *      receiver gets its header prepended instead.
 */
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_prefetch.h>
#include <rte_random.h>

#include "conf_priv.h"
#include "mxp_rtp.h"


static inline bool
receiving(uint8_t mode)
{
	return mode == MXP_SM_SENDRECV || mode == MXP_SM_RECVONLY;
}

static inline bool
sending(uint8_t mode)
{
	return mode == MXP_SM_SENDRECV || mode == MXP_SM_SENDONLY;
}

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

/* ---- attach / poll ------------------------------------------------------------------------- */

struct mxp_conf_worker *
mxp_conf_worker_attach(struct mxp_conf_sys *sys, uint16_t idx, const struct mxp_conf_io *io,
		       void *io_arg, uint64_t *drops)
{
	if (idx >= sys->p.nb_workers)
		return NULL;
	struct mxp_conf_worker *w = sys->w[idx];
	w->io = *io;
	w->io_arg = io_arg;
	w->drops = drops;
	mxp_srtp_thread_init();
	if (!sys->p.inline_workers) {
		rte_rcu_qsbr_thread_register(sys->rcu, idx);
		rte_rcu_qsbr_thread_online(sys->rcu, idx);
	}
	w->next_tick_tsc = rte_rdtsc();
	__atomic_store_n(&w->attached, true, __ATOMIC_RELEASE);
	return w;
}

void
mxp_conf_worker_detach(struct mxp_conf_worker *w)
{
	if (w == NULL)
		return;
	mxp_conf_flush(w);
	/* Run what the control core may still have posted. */
	struct mxp_conf_cmd *c;
	while (rte_ring_dequeue(w->cmd_ring, (void **)&c) == 0)
		conf_cmd_take(w, c);
	__atomic_store_n(&w->attached, false, __ATOMIC_RELEASE);
	if (!w->sys->p.inline_workers) {
		rte_rcu_qsbr_thread_offline(w->sys->rcu, w->idx);
		rte_rcu_qsbr_thread_unregister(w->sys->rcu, w->idx);
	}
	mxp_srtp_thread_fini();
}

void
mxp_conf_worker_poll(struct mxp_conf_worker *w)
{
	struct mxp_conf_sys *sys = w->sys;
	struct mxp_conf_cmd *c;

	if (w->npend)
		mxp_conf_flush(w);
	while (rte_ring_dequeue(w->cmd_ring, (void **)&c) == 0)
		conf_cmd_take(w, c);
	/* Frames another worker received for our legs. */
	struct rte_mbuf *m[32];
	unsigned int n = rte_ring_dequeue_burst(w->handoff, (void **)m, RTE_DIM(m), NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct mxp_pkt_meta meta;
		if (mxp_pkt_parse(rte_pktmbuf_mtod(m[i], uint8_t *), rte_pktmbuf_data_len(m[i]),
				  MXP_PKT_L3_CKSUM_GOOD | MXP_PKT_L4_CKSUM_GOOD,
				  &meta) != MXP_PKT_UDP ||
		    !mxp_conf_rx(w, m[i]->hash.usr, m[i], &meta)) {
			count_drop(w, MXP_DROP_UDP_NO_LEG);
			rte_pktmbuf_free(m[i]);
		}
	}
	if (w->npend)
		mxp_conf_flush(w);
	uint64_t now = rte_rdtsc();
	conf_mix_poll(w, now);
	if (now >= w->next_tick_tsc) {
		w->next_tick_tsc = now + mxp_conf_tsc_hz() * CONF_TICK_MS / 1000;
		conf_tick(w, now);
	}
	if (!sys->p.inline_workers)
		rte_rcu_qsbr_quiescent(sys->rcu, w->idx);
}

/* ---- classification -------------------------------------------------------------------------- */

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
	 * lines are cold, and fetching them now overlaps the misses of the whole burst.
	 */
	for (unsigned int off = 0; off < sizeof(*l) && off < 8 * RTE_CACHE_LINE_SIZE;
	     off += RTE_CACHE_LINE_SIZE)
		rte_prefetch0((const char *)l + off);
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
	if (w->npend == CONF_BURST)
		mxp_conf_flush(w);
	return true;
}

/* ---- sending ------------------------------------------------------------------------------------ */

void
conf_leg_tmpl(struct mxp_leg *l)
{
	struct mxp_pkt_udp_addr a = { .src_mac = l->src_mac, .src = l->local_ip, .dst = l->remote_ip,
				      .sport = l->local_port, .dport = l->remote_port };
	mxp_pkt_udp_tmpl_init(&l->tmpl_rtp, &a);
	a.sport = l->local_rtcp_port;
	a.dport = l->remote_rtcp_port;
	mxp_pkt_udp_tmpl_init(&l->tmpl_rtcp, &a);
	l->mac_gen = 0;
}

/* Address one frame to leg r and hand it to the daemon (or to the control core to resolve). */
static void
send_to(struct mxp_conf_worker *w, struct mxp_leg *r, struct rte_mbuf *f, uint8_t *hdr,
	uint16_t payload_len, uint16_t payload_sum, bool rtcp)
{
	/* The next hop's MAC: cached per leg while no neighbour entry changed. */
	uint64_t gen = w->io.neigh_gen ? __atomic_load_n(w->io.neigh_gen, __ATOMIC_ACQUIRE) + 1 : 0;
	bool resolved = true;
	if (gen == 0 || r->mac_gen != gen) {
		resolved = w->io.neigh(w->io_arg, r->port_idx, &r->remote_ip, &r->dst_mac);
		r->mac_gen = resolved ? gen : 0;
		if (!resolved)
			memset(&r->dst_mac, 0, sizeof(r->dst_mac));
	}
	mxp_pkt_udp_tmpl_write(rtcp ? &r->tmpl_rtcp : &r->tmpl_rtp, hdr, &r->dst_mac, payload_len,
			       payload_sum);
	if (rtcp) {
		r->st.rtcp_tx++;
	} else {
		r->st.tx_pkts++;
		r->st.tx_bytes += payload_len;
	}
	if (likely(resolved))
		w->io.tx(w->io_arg, r->port_idx, f);
	else
		w->io.punt(w->io_arg, r->port_idx, &r->remote_ip, f);
}

static inline bool
eligible(const struct mxp_leg *r, const struct conf_out *o)
{
	if (r == o->skip || !receiving(r->mode) || !r->remote_known)
		return false;
	/* mix: the shared mix of one codec goes to that codec's listeners who do not talk */
	return o->mix_codec <= 0 || (r->out_codec == o->mix_codec && !r->mix_talker);
}

/* Send one payload to every eligible receiver of its group (or conference, or one leg). */
void
conf_replicate(struct mxp_conf_worker *w, struct conf_out *o)
{
	struct rte_mbuf *pl = o->m;
	struct mxp_leg *r, *only = NULL;
	unsigned int n = 0;
	uint16_t plen = (uint16_t)rte_pktmbuf_data_len(pl);
	pl->l2_len = pl->l3_len = pl->l4_len = 0;

	if (o->only != NULL) { /* a private mix: exactly one receiver */
		uint16_t hl = mxp_pkt_udp_hdr_len(o->only->af);
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(pl, hl);
		if (unlikely(h == NULL)) {
			count_drop(w, MXP_DROP_NO_MBUF);
			rte_pktmbuf_free(pl);
			return;
		}
		send_to(w, o->only, pl, h, plen,
			mxp_pkt_payload_sum(rte_pktmbuf_mtod_offset(pl, void *, hl), plen), o->rtcp);
		if (!o->rtcp) {
			o->only->kg->sent++;
			o->conf->tx_pkts++;
		}
		return;
	}

#define FOREACH_RECEIVER(r) \
	for (r = o->kg ? TAILQ_FIRST(&o->kg->members) : TAILQ_FIRST(&o->conf->legs); r; \
	     r = o->kg ? TAILQ_NEXT(r, in_group) : TAILQ_NEXT(r, in_conf))

	/* One receiver: headers go in front of the payload. Stop counting at two. */
	FOREACH_RECEIVER(r) {
		if (!eligible(r, o))
			continue;
		if (++n == 2)
			break;
		only = r;
	}
	if (n == 0) {
		rte_pktmbuf_free(pl);
		return;
	}
	uint16_t sum = mxp_pkt_payload_sum(rte_pktmbuf_mtod(pl, void *), plen);
	if (n == 1) {
		uint16_t hl = mxp_pkt_udp_hdr_len(only->af);
		uint8_t *h = (uint8_t *)rte_pktmbuf_prepend(pl, hl);
		if (unlikely(h == NULL)) {
			count_drop(w, MXP_DROP_NO_MBUF);
			rte_pktmbuf_free(pl);
			return;
		}
		send_to(w, only, pl, h, plen, sum, o->rtcp);
		if (o->kg && !o->rtcp)
			o->kg->sent++;
		o->conf->tx_pkts += !o->rtcp;
		return;
	}
	struct rte_mempool *hp = w->sys->p.hdr_pool;
	FOREACH_RECEIVER(r) {
		if (!eligible(r, o))
			continue;
		struct rte_mbuf *h = rte_pktmbuf_alloc(hp);
		if (unlikely(h == NULL)) {
			count_drop(w, MXP_DROP_NO_MBUF);
			continue;
		}
		uint16_t hl = mxp_pkt_udp_hdr_len(r->af);
		uint8_t *hdr = (uint8_t *)rte_pktmbuf_append(h, hl);
		h->next = pl;
		h->nb_segs = 2;
		h->pkt_len = (uint32_t)hl + plen;
		rte_mbuf_refcnt_update(pl, 1);
		send_to(w, r, h, hdr, plen, sum, o->rtcp);
		if (o->kg && !o->rtcp)
			o->kg->sent++;
		o->conf->tx_pkts += !o->rtcp;
	}
#undef FOREACH_RECEIVER
	rte_pktmbuf_free(pl); /* our reference; each chain holds its own */
}

/* ---- SSRC checks ---------------------------------------------------------------------------------- */

/*
 * A leg's inbound SSRC became known. Under one master key, no two streams may share an
 * SSRC (RFC 3711 9.1): another leg sending with the same key and SSRC is a collision
 * (its packets are dropped); one of our output streams with that key and SSRC moves to a
 * fresh SSRC.
 */
static void
ssrc_learned(struct mxp_conf_worker *w, struct mxp_leg *l, uint32_t ssrc)
{
	struct mxp_conf *cf = l->conf;
	struct mxp_leg *o;
	TAILQ_FOREACH(o, &cf->legs, in_conf) {
		if (o == l || !o->st.ssrc_known || o->st.ssrc != ssrc)
			continue;
		if (memcmp(o->in_digest, l->in_digest, 32) == 0) {
			l->ssrc_conflict = true;
			return;
		}
	}
	struct mxp_keygroup *kg;
	TAILQ_FOREACH(kg, &cf->kgs, next) {
		if (kg->plain || memcmp(kg->digest, l->in_digest, 32) != 0)
			continue;
		struct mxp_ostream *os;
		TAILQ_FOREACH(os, &kg->streams, by_group) {
			if (os->ssrc != ssrc || os->ctx == NULL)
				continue;
			/* Re-key the stream's context under a new SSRC (no allocation). */
			struct mxp_conf_keys ks = { .nkeys = 1 };
			ks.key[0] = kg->key;
			uint32_t n;
			do
				n = (uint32_t)rte_rand();
			while (n == 0 || n == ssrc);
			mxp_srtp_ctx_fini(os->ctx);
			if (conf_srtp_setup(w->sys, os->ctx, MXP_SRTP_OUTBOUND, &ks, n, false, 0, NULL,
					    0) == 0) {
				os->ssrc = n;
				/* same key: its use so far stays counted in the group */
				mxp_srtp_ctx_key_share_usage(os->ctx, kg->key.mki, kg->key.mki_len,
							     &kg->usage);
			}
			explicit_bzero(&ks, sizeof(ks));
		}
	}
}

/* ---- the flush ------------------------------------------------------------------------------------ */

static void
latch(struct mxp_leg *l, const struct conf_pending *pe)
{
	l->remote_ip = pe->src;
	if (pe->rtcp) {
		l->remote_rtcp_port = pe->sport;
		if (!l->remote_known)
			l->remote_port = l->rtcp_mux ? pe->sport : (uint16_t)(pe->sport - 1);
	} else {
		l->remote_port = pe->sport;
		l->remote_rtcp_port = l->rtcp_mux ? pe->sport : (uint16_t)(pe->sport + 1);
	}
	if (l->remote_known)
		l->st.latches++;
	l->remote_known = true;
	conf_leg_tmpl(l);
}

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

static void conf_emit(struct mxp_conf_worker *w, uint64_t now);

/*
 * The per-leg checks of a queued packet: owner (else handed to the owning worker), mode,
 * SSRC collision, RTP/RTCP header, source address (a move needs a valid tag: latch).
 * Returns false when the packet is gone (dropped and counted, or handed off).
 */
static bool
conf_validate(struct mxp_conf_worker *w, struct conf_pending *pe)
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
	uint32_t hdrs = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, hdrs);
	uint32_t len = rte_pktmbuf_pkt_len(m) - hdrs;
	bool rtcp = pe->rtcp;
	if (l->rtcp_mux && mxp_rtp_is_rtcp(p, len))
		rtcp = true;

	enum mxp_drop d = MXP_DROP_NONE;
	if (!rtcp) {
		struct mxp_rtp_info ri;
		enum mxp_rtp_err re;
		if (!sending(l->mode)) {
			l->st.not_sending++;
			d = MXP_DROP_LEG_NOT_SENDING;
		} else if (l->ssrc_conflict) {
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
	bool latch = false;
	if (d == MXP_DROP_NONE) {
		uint16_t want = rtcp ? l->remote_rtcp_port : l->remote_port;
		if (!l->remote_known || !mxp_ip_equal(&pe->src, &l->remote_ip) || pe->sport != want) {
			/* Moving needs a valid tag: plain and strict legs never move. */
			if (l->plain || (l->strict && l->remote_known)) {
				l->st.source_mismatch++;
				d = MXP_DROP_SOURCE_MISMATCH;
			} else {
				latch = true;
			}
		}
	}
	if (d != MXP_DROP_NONE) {
		if (d != MXP_DROP_SOURCE_MISMATCH && d != MXP_DROP_LEG_NOT_SENDING)
			l->st.other_drops++;
		count_drop(w, d);
		rte_pktmbuf_free(m);
		return false;
	}
	pe->rtcp = rtcp;
	pe->latch = latch;
	/* the leg's SRTP context and media state, cold with many legs: fetched now, used
	 * once the rest of the burst is checked */
	if (!l->plain)
		mxp_srtp_ctx_prefetch(l->in);
	if (l->ml != NULL) {
		rte_prefetch0(l->ml);
		rte_prefetch0((const char *)l->ml + 64);
	}
	return true;
}

void
mxp_conf_flush(struct mxp_conf_worker *w)
{
	struct mxp_conf_sys *sys = w->sys;
	uint16_t np = w->npend;
	if (np == 0)
		return;
	w->npend = 0;

	/* 0. the legs' checks (their lines were fetched when the packets were queued) */
	uint16_t nv = 0;
	for (uint16_t i = 0; i < np; i++)
		if (conf_validate(w, &w->pend[i])) {
			if (nv != i)
				w->pend[nv] = w->pend[i];
			nv++;
		}
	np = nv;
	if (np == 0)
		return;

	/* 1. inbound crypto, one burst per operation */
	struct mxp_srtp_ctx *ctx[4][CONF_BURST];
	struct rte_mbuf *mb[4][CONF_BURST];
	uint8_t reason[4][CONF_BURST];
	uint16_t n[4] = { 0 };
	bool ok[CONF_BURST];
	for (uint16_t i = 0; i < np; i++) {
		struct conf_pending *pe = &w->pend[i];
		ok[i] = true;
		if (pe->leg->plain)
			continue;
		int op = (pe->leg->conf->mode == MXP_CONF_FORWARD ? 2 : 0) + (pe->rtcp ? 1 : 0);
		pe->m->hash.usr = i;
		ctx[op][n[op]] = pe->leg->in;
		mb[op][n[op]++] = pe->m;
	}
	uint16_t good[4];
	good[0] = n[0] ? mxp_srtp_unprotect_burst(ctx[0], mb[0], n[0], reason[0]) : 0;
	good[1] = n[1] ? mxp_srtcp_unprotect_burst(ctx[1], mb[1], n[1], reason[1]) : 0;
	good[2] = n[2] ? mxp_srtp_verify_burst(ctx[2], mb[2], n[2], reason[2]) : 0;
	good[3] = n[3] ? mxp_srtcp_verify_burst(ctx[3], mb[3], n[3], reason[3]) : 0;
	for (int op = 0; op < 4; op++)
		for (uint16_t k = good[op]; k < n[op]; k++) {
			struct conf_pending *pe = &w->pend[mb[op][k]->hash.usr];
			ok[mb[op][k]->hash.usr] = false;
			/* An unauthenticated packet from a new source is a source mismatch. */
			if (pe->latch && reason[op][k] == MXP_SRTP_R_AUTH) {
				pe->leg->st.source_mismatch++;
				count_drop(w, MXP_DROP_SOURCE_MISMATCH);
			} else {
				count_drop(w, srtp_drop(reason[op][k]));
			}
			rte_pktmbuf_free(pe->m);
		}

	/* mix legs: the jitter-buffer slots the packets go to, fetched ahead of step 2 */
	for (uint16_t i = 0; i < np; i++) {
		const struct conf_pending *pe = &w->pend[i];
		if (ok[i] && !pe->rtcp && pe->leg->ml != NULL) {
			struct rte_mbuf *m = pe->m;
			const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *,
								   m->l2_len + m->l3_len + m->l4_len);
			mxp_media_leg_prefetch(pe->leg->ml, (uint16_t)(p[2] << 8 | p[3]));
		}
	}

	/* 2. per packet; 3-4 run whenever the output table fills (wide fan-outs) */
	uint64_t now = rte_rdtsc();
	for (uint16_t i = 0; i < np; i++) {
		if (!ok[i])
			continue;
		struct conf_pending *pe = &w->pend[i];
		struct mxp_leg *l = pe->leg;
		struct mxp_conf *cf = l->conf;
		struct rte_mbuf *m = pe->m;
		uint32_t hdrs = (uint32_t)m->l2_len + m->l3_len + m->l4_len;
		uint8_t *p = rte_pktmbuf_mtod_offset(m, uint8_t *, hdrs);
		uint32_t len = rte_pktmbuf_pkt_len(m) - hdrs;

		if (pe->latch)
			latch(l, pe);
		if (!l->st.ssrc_known && !pe->rtcp) {
			uint32_t ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
					(uint32_t)p[10] << 8 | p[11];
			l->st.ssrc = ssrc;
			l->st.ssrc_known = true;
			ssrc_learned(w, l, ssrc);
		}
		if (l->ssrc_conflict && !pe->rtcp) {
			count_drop(w, MXP_DROP_SSRC_COLLISION);
			rte_pktmbuf_free(m);
			continue;
		}
		l->st.last_rx_tsc = now;
		if (w->nout == CONF_MAX_OUT)
			conf_emit(w, now);
		if (pe->rtcp) {
			l->st.rtcp_rx++;
			/* Forward mode relays sender reports as they are; the rest ends here. */
			if (cf->mode == MXP_CONF_FORWARD && len > 1 && p[1] == 200) {
				rte_pktmbuf_adj(m, (uint16_t)hdrs);
				w->out[w->nout++] = (struct conf_out){ .m = m, .conf = cf, .skip = l,
								       .rtcp = true };
				continue;
			}
			if (cf->mode != MXP_CONF_FORWARD)
				conf_rtcp_input(l, p, len, now);
			rte_pktmbuf_free(m);
			continue;
		}
		struct mxp_rtp_info ri;
		mxp_rtp_parse(p, len, &ri); /* validated at rx; forward: header only */
		if (cf->mode == MXP_CONF_MIX) {
			if (l->muted || (cf->floor != NULL && cf->floor != l))
				l->st.floor_filtered++; /* the mixer mutes it; counted here */
			conf_mix_rx(w, l, m, p, len, &ri, now);
			continue;
		}
		if (cf->mode != MXP_CONF_FORWARD) {
			uint32_t plen;
			if (mxp_rtp_padding(p, len, &ri, &plen) != MXP_RTP_OK) {
				l->st.other_drops++;
				count_drop(w, MXP_DROP_RTP_PADDING);
				rte_pktmbuf_free(m);
				continue;
			}
		}
		if (!l->any_pt && !(l->pt_ok[ri.pt / 64] & (1ull << (ri.pt % 64)))) {
			l->st.other_drops++;
			count_drop(w, MXP_DROP_RTP_PAYLOAD_TYPE);
			rte_pktmbuf_free(m);
			continue;
		}
		l->st.rx_pkts++;
		l->st.rx_bytes += len;
		cf->rx_pkts++;
		conf_rtp_rx_stats(l, ri.seq, ri.ts, now);
		if (l->audio_level_id)
			level_update(l, p, &ri, now);

		if (l->muted || (cf->floor != NULL && cf->floor != l)) {
			l->st.floor_filtered++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (cf->mode == MXP_CONF_FORWARD) {
			rte_pktmbuf_adj(m, (uint16_t)hdrs);
			w->out[w->nout++] = (struct conf_out){ .m = m, .conf = cf, .skip = l };
			continue;
		}
		/* Switch: one payload per key group that has a receiver other than l. */
		if (!l->in_topn) {
			l->st.topn_filtered++;
			rte_pktmbuf_free(m);
			continue;
		}
		struct mxp_ostream *os, *last = NULL;
		TAILQ_FOREACH(os, &l->streams, by_sender) {
			struct mxp_keygroup *kg = os->kg;
			uint32_t others = kg->nrecv - (l->kg == kg && receiving(l->mode));
			if (others == 0)
				continue;
			if (last != NULL) {
				/* a copy for the previous group; the original goes to the last one */
				if (w->nout == CONF_MAX_OUT)
					conf_emit(w, now);
				struct rte_mbuf *c = rte_pktmbuf_copy(m, sys->p.pool, hdrs, UINT32_MAX);
				if (c == NULL)
					count_drop(w, MXP_DROP_NO_MBUF);
				else
					w->out[w->nout++] = (struct conf_out){ .m = c, .kg = last->kg,
									       .conf = cf, .skip = l,
									       .os = last };
			}
			last = os;
		}
		if (last == NULL) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (w->nout == CONF_MAX_OUT)
			conf_emit(w, now);
		rte_pktmbuf_adj(m, (uint16_t)hdrs);
		w->out[w->nout++] = (struct conf_out){ .m = m, .kg = last->kg, .conf = cf, .skip = l,
						       .os = last };
	}
	conf_emit(w, now);
}

/*
 * 3 and 4: rewrite each switched payload for its output stream (SSRC, sequence number),
 * protect them all in one burst, then replicate every output.
 */
static void
conf_emit(struct mxp_conf_worker *w, uint64_t now)
{
	struct mxp_srtp_ctx *ectx[CONF_MAX_OUT];
	struct rte_mbuf *emb[CONF_MAX_OUT];
	uint8_t reason[CONF_MAX_OUT];
	uint16_t nenc = 0;

	for (uint16_t i = 0; i < w->nout; i++) {
		struct conf_out *o = &w->out[i];
		struct mxp_ostream *os = o->os;
		if (os == NULL)
			continue; /* forwarded as is */
		struct rte_mbuf *m = o->m;
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
		uint16_t seq = os->seq++;
		p[2] = (uint8_t)(seq >> 8);
		p[3] = (uint8_t)seq;
		p[8] = (uint8_t)(os->ssrc >> 24);
		p[9] = (uint8_t)(os->ssrc >> 16);
		p[10] = (uint8_t)(os->ssrc >> 8);
		p[11] = (uint8_t)os->ssrc;
		os->last_ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
		os->last_tsc = now;
		os->pkts++;
		os->octets += rte_pktmbuf_data_len(m) - 12u;
		m->l2_len = m->l3_len = m->l4_len = 0;
		if (os->ctx != NULL) {
			m->hash.usr = i;
			ectx[nenc] = os->ctx;
			emb[nenc++] = m;
		}
	}
	if (nenc) {
		uint16_t g = mxp_srtp_protect_burst(ectx, emb, nenc, reason);
		for (uint16_t k = 0; k < g; k++)
			w->out[emb[k]->hash.usr].kg->encryptions++;
		for (uint16_t k = g; k < nenc; k++) {
			/* a spent key group key is worth its own reason: the MRFC must rekey */
			count_drop(w, reason[k] == MXP_SRTP_R_KEY_EXHAUSTED ? MXP_DROP_SRTP_KEY_EXHAUSTED
									 : MXP_DROP_SRTP_PROTECT);
			w->out[emb[k]->hash.usr].m = NULL;
			rte_pktmbuf_free(emb[k]);
		}
	}
	for (uint16_t i = 0; i < w->nout; i++)
		if (w->out[i].m)
			conf_replicate(w, &w->out[i]);
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
static void
topn_update(struct mxp_conf *cf, uint64_t now)
{
	uint64_t stale = mxp_conf_tsc_hz() * LEVEL_STALE_MS / 1000;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cf->legs, in_conf) {
		l->topn_prev = l->in_topn;
		l->in_topn = l->audio_level_id == 0;
	}
	/* N passes of "pick the loudest not yet picked": N is small (default 3). */
	for (uint16_t k = 0; k < cf->topn; k++) {
		struct mxp_leg *best = NULL;
		int best_score = 1 << 30;
		TAILQ_FOREACH(l, &cf->legs, in_conf) {
			if (l->in_topn || l->level_tsc == 0 || now - l->level_tsc > stale)
				continue;
			int score = (int)l->level - (l->topn_prev ? TOPN_HYSTERESIS : 0);
			if (score < best_score) {
				best_score = score;
				best = l;
			}
		}
		if (best == NULL)
			break;
		best->in_topn = true;
	}
}

void
conf_tick(struct mxp_conf_worker *w, uint64_t now)
{
	struct mxp_conf *cf;
	uint64_t hz = mxp_conf_tsc_hz();
	TAILQ_FOREACH(cf, &w->confs, next) {
		if (cf->mode == MXP_CONF_SWITCH && cf->topn)
			topn_update(cf, now);
		if (cf->mode != MXP_CONF_SWITCH)
			continue;
		/* Sender reports for output streams that sent since the last one. */
		struct mxp_keygroup *kg;
		TAILQ_FOREACH(kg, &cf->kgs, next) {
			struct mxp_ostream *os;
			TAILQ_FOREACH(os, &kg->streams, by_group) {
				if (os->pkts == 0 || now < os->next_sr_tsc)
					continue;
				os->next_sr_tsc = now + hz * CONF_RTCP_INTERVAL_MS / 1000;
				if (now - os->last_tsc > hz * CONF_RTCP_INTERVAL_MS / 1000)
					continue; /* silent stream: no report */
				struct rte_mbuf *m = rte_pktmbuf_alloc(w->sys->p.pool);
				if (m == NULL) {
					count_drop(w, MXP_DROP_NO_MBUF);
					continue;
				}
				uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
				uint32_t len = conf_rtcp_build_sr(os, now, p,
								   rte_pktmbuf_tailroom(m) - MXP_SRTP_MAX_TRAILER);
				rte_pktmbuf_append(m, (uint16_t)len);
				if (os->ctx) {
					uint8_t r;
					struct mxp_srtp_ctx *c1[1] = { os->ctx };
					struct rte_mbuf *m1[1] = { m };
					if (mxp_srtcp_protect_burst(c1, m1, 1, &r) != 1) {
						count_drop(w, MXP_DROP_SRTP_PROTECT);
						rte_pktmbuf_free(m);
						continue;
					}
				}
				struct conf_out o = { .m = m, .kg = kg, .conf = cf, .skip = os->src,
						      .rtcp = true };
				conf_replicate(w, &o);
			}
		}
	}
}
