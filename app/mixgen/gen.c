/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generator. Every sending participant has a prebuilt Ethernet/IPv4/UDP header (the
 * packet size is fixed, so the IP header and its checksum are constant) and the constant
 * part of its UDP checksum. A burst is: allocate mbufs, copy the header, write the RTP
 * header, the probe extension and the payload (a slice of the participant's encoded audio
 * loop), protect the whole burst with one lib/srtp call (intel-ipsec-mb lanes), finish each
 * UDP checksum over the SRTP bytes, and send.
 *
 * Pacing: the senders take turns (round robin), so "realtime" (every sender one packet
 * per ptime) is simply the rate nsenders / ptime, with sender i's packets evenly spaced. A
 * token count against the TSC says how many packets are due; late packets go out in
 * bursts of up to MG_BURST until the schedule is met again.
 *
 * Back-pressure: packets the port does not take are kept and sent first next time, and
 * nothing new is built meanwhile. Dropping them would leave holes in the SRTP index
 * sequence, and a receiver that misses 2^15 packets in a row can no longer guess the
 * rollover counter (RFC 3711 3.3.1): every later packet would fail authentication. Over
 * memif a full ring means the daemon is not keeping up; the trial then falls short of its
 * rate and the search counts it as a failure.
 *
 * The probe (RFC 8285 one-byte extension, id --probe-ext-id) carries the sender's index
 * and the TSC at build time: the analyser names the sender of every stream and measures
 * each packet's latency. It is inside the authenticated header, so nobody can forge it.
 */
#include <string.h>

#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_branch_prediction.h>
#include <rte_ring.h>

#include "mixgen.h"

/* A burst with --impair: its own packets, their duplicates, and delayed ones released. */
#define MG_TXQ (4 * MG_BURST)

/* Generator-private pacing state (one generating lcore). */
static struct {
	uint64_t epoch;
	uint64_t t0;
	uint64_t trial_sent;
	uint32_t rr;
	double pps;
	struct rte_mbuf *backlog[MG_TXQ];
	uint16_t nbacklog, backlog_at;
} pace;

uint32_t
mg_srtp_len(const struct mg *m, const struct mg_part *p)
{
	return m->o.plain ? m->rtp_len : m->rtp_len + p->tx_key[0].mki_len + MG_TAG_LEN;
}

/* The RTP packet of participant p's next frame, at rtp. Advances seq, ts and the loop. */
static inline void
build_rtp(struct mg *m, struct mg_part *p, uint8_t *rtp, uint64_t tsc)
{
	bool first = p->tx.pkts == 0 && p->tx.tx_full == 0 && p->tx_built == 0;
	rtp[0] = m->o.probe ? 0x90 : 0x80;
	rtp[1] = (uint8_t)((first ? 0x80 : 0) | (uint8_t)m->o.codec);
	mxp_be_wr16(rtp + 2, p->seq);
	mxp_be_wr32(rtp + 4, p->ts);
	mxp_be_wr32(rtp + 8, p->ssrc);
	uint8_t *pl = rtp + MG_RTP_HDR;
	if (m->o.probe) {
		/* 0xBEDE, 4 words: [id | len-1] sender(4) tsc(8) pad(3) */
		pl[0] = 0xbe;
		pl[1] = 0xde;
		pl[2] = 0;
		pl[3] = 4;
		pl[4] = (uint8_t)(m->o.probe_ext_id << 4 | (MG_PROBE_LEN - 1));
		mxp_be_wr32(pl + 5, p->idx);
		memcpy(pl + 9, &tsc, 8);
		pl[17] = pl[18] = pl[19] = 0;
		pl += MG_EXT_LEN;
	}
	memcpy(pl, m->audio + (size_t)p->audio_slot * m->audio_stride + p->audio_pos,
	       m->payload_len);
	/* Mix mode: the packet in which the tone resumes after its gap. */
	if (m->o.mode == MG_MIX && p->audio_pos % 8000 <= MG_MIX_GAP &&
	    p->audio_pos % 8000 + m->payload_len > MG_MIX_GAP)
		p->onset_tsc = tsc;
	p->audio_pos += m->payload_len;
	if (p->audio_pos >= m->audio_len)
		p->audio_pos -= m->audio_len;
	p->seq++;
	p->ts += m->ts_step;
	p->tx_built++;
}

static int
ctx_setup(struct mg *m, struct mg_part *p, char *err, size_t errlen)
{
	struct mxp_srtp_params sp = {
		.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
		.dir = MXP_SRTP_OUTBOUND,
		.ssrc = p->ssrc,
	};
	p->txc = rte_zmalloc("mg_txc", mxp_srtp_ctx_size(), MXP_SRTP_CTX_ALIGN);
	if (p->txc == NULL)
		return MG_ERR(err, errlen, "out of memory for SRTP contexts");
	char e[160];
	if (mxp_srtp_ctx_init(p->txc, &sp, e, sizeof(e)) != 0)
		return MG_ERR(err, errlen, "SRTP context: %s", e);
	for (unsigned int k = 0; k < p->n_tx_keys; k++) {
		struct mg_key key = p->tx_key[k];
		if (m->o.fault_tx_key)
			key.key[0] ^= 0x5a; /* --fault wrong-tx-key */
		int r = mxp_srtp_ctx_key_add(p->txc, key.key, key.salt, key.mki, key.mki_len, 0);
		explicit_bzero(&key, sizeof(key));
		if (r != 0)
			return MG_ERR(err, errlen, "SRTP key: %s", strerror(-r));
	}
	return 0;
}

/* Ethernet/IPv4/UDP header of p's packets and the constant part of the UDP checksum. */
/* The addresses of a participant's frames: from it to the mixer. */
static void
part_addr(const struct mg *m, const struct mg_part *p, struct mxp_pkt_udp_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->src_mac = m->port.mac;
	a->dst_mac = m->daemon_mac;
	a->src = m->o.ip;
	a->dst = p->mixer_ip;
	a->sport = p->port;
	a->dport = p->mixer_port;
}

static void
header_setup(struct mg *m, struct mg_part *p)
{
	struct mxp_pkt_udp_addr a;
	part_addr(m, p, &a);
	uint16_t slen = (uint16_t)mg_srtp_len(m, p);
	p->hdr_len = mxp_pkt_build_udp(p->hdr, &a, slen, 0);
	/* pseudo header (src, dst, proto, length) + UDP header without its checksum */
	uint8_t ph[20];
	memcpy(ph, &a.src.v4, 4);
	memcpy(ph + 4, &a.dst.v4, 4);
	ph[8] = 0;
	ph[9] = IPPROTO_UDP;
	mxp_be_wr16(ph + 10, (uint16_t)(8 + slen));
	mxp_be_wr16(ph + 12, a.sport);
	mxp_be_wr16(ph + 14, a.dport);
	mxp_be_wr16(ph + 16, (uint16_t)(8 + slen));
	mxp_be_wr16(ph + 18, 0);
	p->hdr_sum = mxp_cksum_raw(ph, sizeof(ph));
}

int
mg_gen_init(struct mg *m, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		if (!p->send)
			continue;
		if (!m->o.plain && ctx_setup(m, p, err, errlen) != 0)
			return -1;
		header_setup(m, p);
	}
	memset(&pace, 0, sizeof(pace));
	if (mg_flood_init(m, err, errlen) != 0)
		return -1;
	return mg_impair_init(m, err, errlen);
}

bool
mg_gen_backlogged(void)
{
	return pace.nbacklog != 0;
}

void
mg_gen_fini(struct mg *m)
{
	mg_impair_fini(m);
	mg_flood_fini(m);
	for (uint16_t i = pace.backlog_at; i < pace.nbacklog; i++)
		rte_pktmbuf_free(pace.backlog[i]);
	pace.nbacklog = pace.backlog_at = 0;
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		if (p->txc) {
			mxp_srtp_ctx_fini(p->txc);
			rte_free(p->txc);
			p->txc = NULL;
		}
	}
}

struct rte_ring *mg_cmd_tx, *mg_cmd_rx;
volatile uint64_t mg_cmd_tx_done, mg_cmd_rx_done;

/* Key commands for the generator: a participant switches to a new key (it adds it and
 * protects with it from now on). */
void
mg_gen_cmds(struct mg *m)
{
	struct mg_cmd *c;
	while (rte_ring_dequeue(mg_cmd_tx, (void **)&c) == 0) {
		struct mg_part *p = &m->parts[c->part];
		if (c->type == MG_CMD_TX_KEY_SWITCH && p->txc && p->n_tx_keys < MG_MAX_KEYS) {
			struct mg_key key = c->key;
			if (m->o.fault_tx_key)
				key.key[0] ^= 0x5a;
			if (mxp_srtp_ctx_key_add(p->txc, key.key, key.salt, key.mki, key.mki_len,
						 0) == 0 &&
			    mxp_srtp_ctx_key_activate(p->txc, key.mki, key.mki_len) == 0) {
				p->tx_key[p->n_tx_keys] = c->key;
				p->tx_active = p->n_tx_keys++;
			}
			explicit_bzero(&key, sizeof(key));
		}
		explicit_bzero(&c->key, sizeof(c->key));
		__atomic_add_fetch(&mg_cmd_tx_done, 1, __ATOMIC_RELEASE);
	}
}

/* Count what the port took: a participant's packets, or --impair's duplicate copies. */
static inline void
count_sent(struct mg *m, struct rte_mbuf *const *mb, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		uint32_t u = mb[i]->hash.usr;
		if (unlikely(u & MG_IMPAIR_DUP)) {
			m->impair.dup_sent++;
			continue;
		}
		struct mg_part *p = &m->parts[u];
		p->tx.pkts++;
		p->tx.rekeyed += p->tx_active != 0;
	}
}

/* Send mb[0..n); what the port does not take waits in the backlog (sent first next
 * time). Returns false when something is left waiting. */
static bool
send_or_keep(struct mg *m, struct rte_mbuf **mb, uint16_t n)
{
	uint16_t sent = n ? rte_eth_tx_burst(m->port.port_id, 0, mb, n) : 0;
	count_sent(m, mb, sent);
	if (sent == n)
		return true;
	memcpy(pace.backlog, mb + sent, (size_t)(n - sent) * sizeof(mb[0]));
	pace.nbacklog = (uint16_t)(n - sent);
	pace.backlog_at = 0;
	return false;
}

static inline void
drain_arp(struct mg *m)
{
	struct rte_mbuf *q[8];
	unsigned int n = rte_ring_dequeue_burst(mg_arp_ring, (void **)q, 8, NULL);
	if (n) {
		uint16_t s = rte_eth_tx_burst(m->port.port_id, 0, q, (uint16_t)n);
		if (s < n)
			rte_pktmbuf_free_bulk(q + s, n - s);
	}
}

uint32_t
mg_gen_poll(struct mg *m, uint64_t now)
{
	struct mg_data *d = &m->d;
	struct rte_mbuf *mb[MG_BURST];
	struct mxp_srtp_ctx *ctx[MG_BURST];
	struct mg_part *who[MG_BURST];
	uint8_t reason[MG_BURST];

	drain_arp(m);
	if (unlikely(rte_ring_count(mg_cmd_tx)))
		mg_gen_cmds(m);
	if (pace.nbacklog) {
		uint16_t left = (uint16_t)(pace.nbacklog - pace.backlog_at);
		uint16_t s = rte_eth_tx_burst(m->port.port_id, 0, pace.backlog + pace.backlog_at, left);
		count_sent(m, pace.backlog + pace.backlog_at, s);
		pace.backlog_at = (uint16_t)(pace.backlog_at + s);
		if (pace.backlog_at < pace.nbacklog) {
			m->gen_backpressure++;
			return s;
		}
		pace.nbacklog = pace.backlog_at = 0;
	}
	if (m->o.impair.on) {
		struct rte_mbuf *rel[MG_TXQ];
		uint16_t nr = mg_impair_release(m, now, rel, MG_TXQ);
		if (nr && !send_or_keep(m, rel, nr)) {
			m->gen_backpressure++;
			return nr;
		}
	}
	if (!d->tx_on || m->nsenders == 0)
		return 0;
	uint64_t epoch = __atomic_load_n(&d->tx_epoch, __ATOMIC_ACQUIRE);
	if (epoch != pace.epoch) {
		pace.epoch = epoch;
		pace.t0 = now;
		pace.trial_sent = 0;
		pace.pps = d->tx_pps;
	}
	uint64_t n = MG_BURST;
	if (pace.pps > 0) {
		uint64_t due = (uint64_t)((double)(now - pace.t0) * pace.pps / (double)m->tsc_hz) + 1;
		n = due > pace.trial_sent ? due - pace.trial_sent : 0;
		if (n > MG_BURST)
			n = MG_BURST;
	}
	if (d->tx_limit) {
		uint64_t left = d->tx_limit > pace.trial_sent ? d->tx_limit - pace.trial_sent : 0;
		if (left == 0) {
			d->tx_done = true;
			return 0;
		}
		if (n > left)
			n = left;
	}
	if (n == 0)
		return 0;
	if (rte_pktmbuf_alloc_bulk(m->port.pool, mb, (unsigned int)n) != 0) {
		m->gen_no_mbuf++;
		return 0;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct mg_part *p = &m->parts[m->senders[pace.rr]];
		if (++pace.rr == m->nsenders)
			pace.rr = 0;
		uint8_t *f = (uint8_t *)rte_pktmbuf_append(mb[i], (uint16_t)(p->hdr_len + m->rtp_len));
		memcpy(f, p->hdr, 64);
		build_rtp(m, p, f + p->hdr_len, now);
		mb[i]->l2_len = 14;
		mb[i]->l3_len = 20;
		mb[i]->l4_len = 8;
		ctx[i] = p->txc;
		who[i] = p;
		mb[i]->hash.usr = p->idx;
	}
	uint16_t ok = m->o.plain ? (uint16_t)n : mxp_srtp_protect_burst(ctx, mb, (uint16_t)n, reason);
	for (uint16_t i = 0; i < ok; i++) {
		struct mg_part *p = &m->parts[mb[i]->hash.usr];
		uint8_t *f = rte_pktmbuf_mtod(mb[i], uint8_t *);
		uint32_t sl = rte_pktmbuf_data_len(mb[i]) - p->hdr_len;
		/* the raw sum is of host-order words: store the result the same way. */
		uint32_t sum = p->hdr_sum + mxp_cksum_raw(f + p->hdr_len, sl);
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		uint16_t ck = (uint16_t)~sum;
		if (ck == 0)
			ck = 0xffff;
		memcpy(f + p->hdr_len - 2, &ck, 2);
		if (m->o.flood.on)
			mg_flood_keep(m, p, f, rte_pktmbuf_data_len(mb[i]));
	}
	for (uint16_t i = ok; i < n; i++) {
		m->parts[mb[i]->hash.usr].tx.protect_fail++;
		rte_pktmbuf_free(mb[i]);
	}
	(void)who;
	if (m->o.impair.on) {
		struct rte_mbuf *out[MG_TXQ];
		uint16_t no = mg_impair_apply(m, mb, ok, now, out, MG_TXQ);
		send_or_keep(m, out, no);
	} else {
		send_or_keep(m, mb, ok);
	}
	pace.trial_sent += n;
	return (uint32_t)n;
}

uint32_t
mg_gen_frame(struct mg *m, struct mg_part *p, uint8_t *buf, uint32_t cap, uint64_t tsc,
	     bool plain)
{
	if (cap < p->hdr_len + m->rtp_len + MXP_SRTP_MAX_TRAILER)
		return 0;
	memcpy(buf, p->hdr, p->hdr_len);
	uint8_t *rtp = buf + p->hdr_len;
	build_rtp(m, p, rtp, tsc);
	size_t len = m->rtp_len;
	if (!plain && !m->o.plain &&
	    mxp_srtp_protect(p->txc, rtp, &len, cap - p->hdr_len) != MXP_SRTP_R_OK)
		return 0;
	/* Lengths and checksums for this packet's size. */
	struct mxp_pkt_udp_addr a;
	part_addr(m, p, &a);
	mxp_pkt_build_udp(buf, &a, (uint16_t)len, mxp_pkt_payload_sum(rtp, (uint16_t)len));
	p->tx.pkts++;
	return (uint32_t)(p->hdr_len + len);
}
