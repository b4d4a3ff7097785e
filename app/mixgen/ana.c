/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The analyser. A received frame is validated (lib/pkt: IPv4 and UDP checksums included),
 * mapped by UDP port to the participant that receives it and by SSRC to one of that
 * participant's streams. Every stream has its own inbound SRTP context (the daemon's output
 * stream SSRCs are its own, so contexts are made on first sight, from a pool sized at
 * start: nothing is allocated per packet).
 *
 * Per burst: first pass in arrival order (parse, stream, sequence bookkeeping from the
 * clear RTP header), then one lib/srtp unprotect burst for the packets to authenticate,
 * then per authenticated packet: the probe (sender, send time -> latency, jitter), the
 * payload compared byte for byte with what the sender put in at that timestamp, and the
 * decoded audio added to the receiver's recording.
 *
 * --check full authenticates every packet. --check sample:N authenticates the first
 * packet of each stream and 1 in N after it and counts the others by their header, for
 * fan-outs where the daemon sends more than one core can decrypt.
 *
 * Sequence bookkeeping (RFC 3550 A.1 style): extended sequence numbers, a 64-packet window
 * for duplicates and late packets, gaps, and the RTP timestamp, which must advance by the
 * packet time for each sequence step: in switch mode the daemon renumbers its output
 * streams, so a packet it lost shows as a timestamp jump, not as a sequence gap.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "mixgen.h"
#include "mxp_rtp.h"

#define RX_BURST 64
#define PORT_RTCP 0x40000000

int
mg_ana_init(struct mg *m, char *err, size_t errlen)
{
	/* Streams: each receiver hears every other sender of its conference; room for a
	 * second SSRC per pair (the daemon may renumber a stream on an SSRC collision). */
	uint64_t need = 16;
	uint64_t htab = 0;
	uint64_t heard = 0;
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		struct mg_conf *c = &m->confs[p->conf];
		uint32_t others = c->nsend - (p->send ? 1 : 0);
		p->hmask = rte_align32pow2(2 * (others + 4)) - 1;
		htab += p->hmask + 1;
		heard += c->n;
		if (p->recv)
			need += (others + others / 8 + 2) * (m->o.rekey_at > 0 ? 2 : 1);
	}
	m->maxstreams = (uint32_t)need;
	m->streams = calloc(m->maxstreams, sizeof(*m->streams));
	m->ctx_size = (mxp_srtp_ctx_size() + MXP_SRTP_CTX_ALIGN - 1) & ~(size_t)(MXP_SRTP_CTX_ALIGN - 1);
	void *pool = NULL;
	if (posix_memalign(&pool, MXP_SRTP_CTX_ALIGN, m->ctx_size * m->maxstreams) != 0)
		pool = NULL;
	m->ctx_pool = pool;
	m->htab_mem = malloc(htab * sizeof(int32_t));
	m->heard_mem = calloc(heard, sizeof(uint64_t));
	m->absent_mem = calloc(heard, sizeof(uint16_t));
	if (m->streams == NULL || m->ctx_pool == NULL || m->htab_mem == NULL ||
	    m->heard_mem == NULL || m->absent_mem == NULL)
		return MG_ERR(err, errlen, "out of memory for %u receive streams", m->maxstreams);
	/* Touch the pool now, not on the first packet of each stream. */
	memset(m->ctx_pool, 0, m->ctx_size * m->maxstreams);
	memset(m->htab_mem, 0xff, htab * sizeof(int32_t));
	uint64_t ho = 0, he = 0;
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		p->htab = m->htab_mem + ho;
		ho += p->hmask + 1;
		p->heard_pkts = m->heard_mem + he;
		p->absent = m->absent_mem + he;
		he += m->confs[p->conf].n;
		p->rx.lat_min_ns = UINT64_MAX;
	}

	m->by_port = malloc(65536 * sizeof(int32_t));
	if (m->by_port == NULL)
		return MG_ERR(err, errlen, "out of memory");
	memset(m->by_port, 0xff, 65536 * sizeof(int32_t));
	for (uint32_t i = 0; i < m->nparts; i++) {
		m->by_port[m->parts[i].port] = (int32_t)i;
		m->by_port[m->parts[i].port + 1] = (int32_t)i | PORT_RTCP;
	}

	/* Recordings: what each receiver heard, summed over its streams, 8 kHz. */
	if (m->record) {
		double secs = m->o.duration_s + m->o.drain_s + 1;
		if (secs > m->o.wav_max_s)
			secs = m->o.wav_max_s;
		uint32_t len = (uint32_t)(secs * 8000);
		for (uint32_t i = 0; i < m->nparts; i++) {
			struct mg_part *p = &m->parts[i];
			if (!p->recv)
				continue;
			p->pcm = calloc(len, sizeof(int32_t));
			if (p->pcm == NULL)
				return MG_ERR(err, errlen, "out of memory for recordings (--wav-seconds)");
			p->pcm_len = len;
		}
	}
	return 0;
}

void
mg_ana_fini(struct mg *m)
{
	for (uint32_t i = 0; i < m->nstreams; i++)
		mxp_srtp_ctx_fini(m->streams[i].ctx);
	free(m->ctx_pool);
	free(m->streams);
	free(m->htab_mem);
	free(m->heard_mem);
	free(m->absent_mem);
	m->absent_mem = NULL;
	free(m->by_port);
	for (uint32_t i = 0; i < m->nparts; i++)
		free(m->parts[i].pcm);
	m->ctx_pool = NULL;
	m->streams = NULL;
	m->nstreams = 0;
}

static inline uint32_t
hslot(uint32_t ssrc, uint32_t mask)
{
	return (ssrc * 2654435761u) >> 7 & mask;
}

/* The stream of participant p with this SSRC, made on first sight. */
static struct mg_stream *
stream_get(struct mg *m, struct mg_part *p, uint32_t ssrc)
{
	uint32_t h = hslot(ssrc, p->hmask);
	for (uint32_t k = 0; k <= p->hmask; k++, h = (h + 1) & p->hmask) {
		int32_t si = p->htab[h];
		if (si < 0)
			break;
		if (m->streams[si].ssrc == ssrc)
			return &m->streams[si];
	}
	if (p->nstreams * 2 > p->hmask || m->nstreams == m->maxstreams)
		return NULL;
	struct mg_stream *st = &m->streams[m->nstreams];
	memset(st, 0, sizeof(*st));
	st->ssrc = ssrc;
	st->recv = p->idx;
	st->sender = -1;
	st->ctx = (struct mxp_srtp_ctx *)((uint8_t *)m->ctx_pool + m->ctx_size * m->nstreams);
	struct mxp_srtp_params sp = {
		.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
		.dir = MXP_SRTP_INBOUND,
		.ssrc = ssrc,
	};
	if (m->o.plain) {
		st->ctx = NULL;
	} else if (mxp_srtp_ctx_init(st->ctx, &sp, NULL, 0) != 0) {
		return NULL;
	}
	for (unsigned int k = 0; st->ctx && k < p->n_rx_keys; k++) {
		struct mg_key key = p->rx_key[k];
		if (m->o.fault_rx_key)
			key.key[0] ^= 0x5a; /* --fault wrong-rx-key */
		mxp_srtp_ctx_key_add(st->ctx, key.key, key.salt, key.mki, key.mki_len, 0);
		explicit_bzero(&key, sizeof(key));
	}
	p->htab[h] = (int32_t)m->nstreams;
	m->nstreams++;
	p->nstreams++;
	return st;
}

/* Sequence and timestamp bookkeeping from the clear header. */
static inline void
seq_update(struct mg *m, struct mg_part *p, struct mg_stream *st, uint16_t seq, uint32_t ts)
{
	if (!st->started) {
		st->started = true;
		st->max_seq = seq;
		st->cycles = 0;
		st->base_ext = seq;
		st->last_ts = ts;
		st->win = 1;
		return;
	}
	uint32_t max_ext = st->cycles | st->max_seq;
	int16_t delta = (int16_t)(seq - st->max_seq);
	uint32_t ext = max_ext + (int32_t)delta;
	if (delta > 0) {
		if (seq < st->max_seq)
			st->cycles += 1u << 16;
		uint32_t steps = (uint32_t)delta;
		p->rx.seq_gap += steps - 1;
		st->win = steps >= 64 ? 1 : (st->win << steps) | 1;
		if (ts - st->last_ts != steps * m->ts_step)
			p->rx.ts_jump++;
		st->max_seq = seq;
		st->last_ts = ts;
		return;
	}
	uint32_t back = max_ext - ext;
	if (back < 64) {
		uint64_t bit = 1ull << back;
		if (st->win & bit) {
			p->rx.dup++;
		} else {
			st->win |= bit;
			p->rx.reorder++;
			if (p->rx.seq_gap)
				p->rx.seq_gap--; /* a late packet fills a gap */
		}
	} else {
		p->rx.reorder++;
	}
}

/* Find the probe element in a validated RTP header. */
static inline bool
probe_get(struct mg *m, const uint8_t *rtp, const struct mxp_rtp_info *ri, uint32_t *sender,
	  uint64_t *tsc)
{
	if (ri->ext_profile != 0xBEDE)
		return false;
	const uint8_t *e = rtp + ri->ext_off, *end = e + ri->ext_len;
	while (e < end) {
		if (*e == 0) {
			e++;
			continue;
		}
		uint8_t id = *e >> 4, len = (uint8_t)((*e & 0x0f) + 1);
		if (id == 15 || e + 1 + len > end)
			return false;
		if (id == m->o.probe_ext_id && len == MG_PROBE_LEN) {
			*sender = (uint32_t)e[1] << 24 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 8 |
				  e[4];
			memcpy(tsc, e + 5, 8);
			return true;
		}
		e += 1 + len;
	}
	return false;
}

static inline uint32_t
lat_bucket(uint64_t ns)
{
	/* 32 linear sub-buckets per power of two, from 1 ns */
	if (ns < 32)
		return (uint32_t)ns;
	uint32_t e = 63 - (uint32_t)__builtin_clzll(ns); /* >= 5 */
	uint32_t sub = (uint32_t)(ns >> (e - 5)) & 31;
	uint32_t b = (e - 4) * 32 + sub;
	return b < MG_LAT_BUCKETS ? b : MG_LAT_BUCKETS - 1;
}

static inline double
lat_bucket_ns(uint32_t b)
{
	if (b < 32)
		return b;
	uint32_t e = b / 32 + 4, sub = b % 32;
	return (double)((32ull + sub) << (e - 5)) + (double)(1ull << (e - 5)) / 2;
}

/* the latency a bucket stands for (its middle), in ns: the JSON's histogram */
double
mg_lat_bucket_ns(uint32_t b)
{
	return lat_bucket_ns(b);
}

double
mg_lat_quantile(const struct mg_lat_hist *h, double q)
{
	uint64_t total = 0;
	for (uint32_t i = 0; i < MG_LAT_BUCKETS; i++)
		total += h->b[i];
	if (total == 0)
		return 0;
	uint64_t want = (uint64_t)ceil(q * (double)total), acc = 0;
	if (want == 0)
		want = 1;
	for (uint32_t i = 0; i < MG_LAT_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= want)
			return lat_bucket_ns(i);
	}
	return lat_bucket_ns(MG_LAT_BUCKETS - 1);
}

static inline void
lat_add(struct mg *m, struct mg_part *p, uint64_t ns)
{
	p->rx.lat_n++;
	p->rx.lat_sum_ns += ns;
	if (ns < p->rx.lat_min_ns)
		p->rx.lat_min_ns = ns;
	if (ns > p->rx.lat_max_ns)
		p->rx.lat_max_ns = ns;
	m->lat.b[lat_bucket(ns)]++;
}

/*
 * Mix mode: the mixer's packets are its own (no probe, mixed payload). Record the audio,
 * and per 20 ms frame look for every other talker's tone: where it comes back after its
 * 100 ms gap, the time since that talker sent the packet where it resumed is the latency
 * through jitter buffer, mixer tick and encoder.
 */
static void
accept_mix(struct mg *m, struct mg_part *p, struct mg_stream *st, uint8_t *rtp, uint32_t len,
	   const struct mxp_rtp_info *ri, uint64_t now)
{
	uint32_t plen = len - ri->hdr_len;
	const uint8_t *pl = rtp + ri->hdr_len;
	int16_t pcm[MG_MAX_PAYLOAD];
	int32_t frame[MG_MAX_PAYLOAD];
	if (plen == 0 || plen > MG_MAX_PAYLOAD)
		return;
	mg_audio_decode(m->o.codec, pl, pcm, plen);
	struct mg_conf *cf = &m->confs[p->conf];
	st->sender = -2; /* the mixer */
	if (p->pcm && m->d.rec_audio) {
		if (!st->rec_started) {
			uint64_t t0 = m->d.rec_t0_tsc;
			st->slot0 = now > t0 ? (int64_t)((double)(now - t0) * 8000.0 / (double)m->tsc_hz) : 0;
			st->ts0 = ri->ts;
			st->rec_started = true;
		}
		int64_t at = st->slot0 + (int32_t)(ri->ts - st->ts0);
		if (at >= 0 && at + plen <= p->pcm_len)
			for (uint32_t i = 0; i < plen; i++)
				p->pcm[at + i] += pcm[i];
	}
	if (m->o.audio != MG_AUDIO_TONE || cf->n > m->nfreq)
		return;
	for (uint32_t i = 0; i < plen; i++)
		frame[i] = pcm[i];
	for (uint32_t s = cf->first; s < cf->first + cf->n; s++) {
		struct mg_part *q = &m->parts[s];
		if (q == p || !q->send)
			continue;
		uint16_t *ab = &p->absent[s - cf->first];
		if (mg_goertzel(frame, plen, q->freq) < 1000) {
			if (*ab < 0xffff)
				(*ab)++;
			continue;
		}
		uint64_t on = q->onset_tsc;
		if (*ab >= 3 && on && now > on && now - on < m->tsc_hz) {
			lat_add(m, p, (uint64_t)((double)(now - on) * m->ns_per_tsc));
			p->rx.onsets++;
		}
		*ab = 0;
	}
}

/* After authentication: probe, latency, jitter, payload, audio. */
static inline void
accept_rtp(struct mg *m, struct mg_part *p, struct mg_stream *st, uint8_t *rtp, uint32_t len,
	   uint64_t now)
{
	struct mxp_rtp_info ri;
	if (mxp_rtp_parse(rtp, len, &ri) != MXP_RTP_OK) {
		p->rx.bad_probe++;
		return;
	}
	uint32_t sender;
	uint64_t tx_tsc;
	st->decrypted++;
	if (m->o.mode == MG_MIX) {
		accept_mix(m, p, st, rtp, len, &ri, now);
		return;
	}
	if (m->o.probe) {
		if (!probe_get(m, rtp, &ri, &sender, &tx_tsc) || sender >= m->nparts) {
			p->rx.bad_probe++;
			return;
		}
		if (st->sender < 0) {
			st->sender = (int32_t)sender;
		} else if ((uint32_t)st->sender != sender) {
			p->rx.bad_probe++; /* two senders on one SSRC */
			return;
		}
		uint64_t lat = now - tx_tsc;
		uint64_t ns = (uint64_t)((double)lat * m->ns_per_tsc);
		if (now < tx_tsc)
			ns = 0;
		lat_add(m, p, ns);
		/* RFC 3550 6.4.1 interarrival jitter, with the true send time */
		int64_t transit = (int64_t)ns;
		if (st->have_transit) {
			int64_t dd = transit - st->last_transit_ns;
			if (dd < 0)
				dd = -dd;
			st->jitter_ns += ((double)dd - st->jitter_ns) / 16.0;
		}
		st->last_transit_ns = transit;
		st->have_transit = true;
	}
	if (st->sender < 0)
		return;
	struct mg_part *s = &m->parts[st->sender];
	if (s == p) {
		p->rx.self++;
		return;
	}
	if (s->conf != p->conf) {
		p->rx.wrong_conf++;
		return;
	}
	/* The payload must be exactly what the sender put in at this timestamp. */
	uint32_t plen = len - ri.hdr_len;
	const uint8_t *pl = rtp + ri.hdr_len;
	uint32_t k = (ri.ts - s->ts_base) / m->ts_step;
	uint32_t pos = (uint32_t)((s->audio_start + (uint64_t)k * m->payload_len) % m->audio_len);
	if (plen != m->payload_len ||
	    memcmp(pl, m->audio + (size_t)s->audio_slot * m->audio_stride + pos, plen) != 0) {
		p->rx.bad_payload++;
		return;
	}
	if (p->pcm && m->d.rec_audio && m->o.audio != MG_AUDIO_PATTERN) {
		if (st->slot0 == 0 && st->ts0 == 0 && !st->rec_started) {
			uint64_t t0 = m->d.rec_t0_tsc;
			st->slot0 = now > t0 ? (int64_t)((double)(now - t0) * 8000.0 / (double)m->tsc_hz) : 0;
			st->ts0 = ri.ts;
			st->rec_started = true;
		}
		int64_t at = st->slot0 + (int32_t)(ri.ts - st->ts0);
		if (at >= 0 && at + plen <= p->pcm_len) {
			int16_t pcm[MG_MAX_PAYLOAD];
			mg_audio_decode(m->o.codec, pl, pcm, plen);
			int32_t *dst = p->pcm + at;
			for (uint32_t i = 0; i < plen; i++)
				dst[i] += pcm[i];
		}
	}
	p->heard_pkts[st->sender - m->confs[p->conf].first]++;
}

/* Key commands for the analyser: a receiver learns a new key of the daemon's (its streams
 * accept both by MKI; streams made from now on get both). */
void
mg_ana_cmds(struct mg *m)
{
	struct mg_cmd *c;
	while (rte_ring_dequeue(mg_cmd_rx, (void **)&c) == 0) {
		struct mg_part *p = &m->parts[c->part];
		if (c->type == MG_CMD_RX_KEY_ADD && p->n_rx_keys < MG_MAX_KEYS) {
			p->rx_key[p->n_rx_keys++] = c->key;
			struct mg_key key = c->key;
			if (m->o.fault_rx_key)
				key.key[0] ^= 0x5a;
			for (uint32_t i = 0; i < m->nstreams; i++)
				if (m->streams[i].recv == p->idx && m->streams[i].ctx)
					mxp_srtp_ctx_key_add(m->streams[i].ctx, key.key, key.salt,
							     key.mki, key.mki_len, 0);
			explicit_bzero(&key, sizeof(key));
		}
		explicit_bzero(&c->key, sizeof(c->key));
		__atomic_add_fetch(&mg_cmd_rx_done, 1, __ATOMIC_RELEASE);
	}
}

void
mg_ana_reset(struct mg *m)
{
	(void)m;
}

/*
 * --check sample: a packet that will only be counted needs no full validation. Recognise
 * the common case (Ethernet, IPv4 without options or fragments, UDP to our address) from
 * fixed offsets; anything else takes the full path.
 */
static inline bool
fast_udp4(const struct mg *m, const uint8_t *f, uint32_t len, uint16_t *dport, uint32_t *rlen)
{
	if (len < 42 + 12 || f[12] != 0x08 || f[13] != 0x00 || f[14] != 0x45 || f[23] != 17 ||
	    (f[20] & 0x3f) || f[21] || memcmp(f + 30, &m->o.ip.v4, 4) != 0)
		return false;
	uint32_t ulen = (uint32_t)f[38] << 8 | f[39];
	if (ulen < 8 + 12 || 34 + ulen > len)
		return false;
	*dport = (uint16_t)(f[36] << 8 | f[37]);
	*rlen = ulen - 8;
	return true;
}

/* Count a packet of a known stream from its header; false if it must be checked fully. */
static inline bool
count_only(struct mg *m, const uint8_t *f, uint32_t len)
{
	uint16_t dport;
	uint32_t rlen;
	if (!fast_udp4(m, f, len, &dport, &rlen))
		return false;
	int32_t e = m->by_port[dport];
	if (e < 0 || (e & PORT_RTCP))
		return false;
	const uint8_t *rtp = f + 42;
	if ((rtp[0] & 0xc0) != 0x80 || mxp_rtp_is_rtcp(rtp, rlen))
		return false;
	struct mg_part *p = &m->parts[e];
	uint32_t ssrc = (uint32_t)rtp[8] << 24 | (uint32_t)rtp[9] << 16 | (uint32_t)rtp[10] << 8 |
			rtp[11];
	uint32_t h = hslot(ssrc, p->hmask);
	struct mg_stream *st = NULL;
	for (uint32_t k = 0; k <= p->hmask; k++, h = (h + 1) & p->hmask) {
		int32_t si = p->htab[h];
		if (si < 0)
			break;
		if (m->streams[si].ssrc == ssrc) {
			st = &m->streams[si];
			break;
		}
	}
	if (st == NULL || st->sender < 0 || st->pkts % m->o.sample == 0)
		return false;
	seq_update(m, p, st, (uint16_t)(rtp[2] << 8 | rtp[3]),
		   (uint32_t)rtp[4] << 24 | (uint32_t)rtp[5] << 16 | (uint32_t)rtp[6] << 8 | rtp[7]);
	st->pkts++;
	p->rx.bytes += rlen;
	p->rx.pkts++;
	p->heard_pkts[st->sender - m->confs[p->conf].first]++;
	return true;
}

uint32_t
mg_ana_poll(struct mg *m, uint64_t now)
{
	struct rte_mbuf *mb[RX_BURST];
	struct rte_mbuf *cm[RX_BURST], *rm[RX_BURST], *done[RX_BURST];
	struct mxp_srtp_ctx *cc[RX_BURST], *rc[RX_BURST];
	uint8_t reason[RX_BURST];
	uint16_t nc = 0, nr = 0, nd = 0;

	if (unlikely(rte_ring_count(mg_cmd_rx)))
		mg_ana_cmds(m);
	uint16_t n = rte_eth_rx_burst(m->port.port_id, 0, mb, RX_BURST);
	if (n == 0)
		return 0;
	m->rx_frames += n;
	m->d.rx_last_tsc = now;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *b = mb[i];
		struct mxp_pkt_meta meta;
		uint8_t *f = rte_pktmbuf_mtod(b, uint8_t *);
		unsigned int flags = 0;
		if ((b->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
			flags |= MXP_PKT_L3_CKSUM_GOOD;
		if ((b->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			flags |= MXP_PKT_L4_CKSUM_GOOD;
		if (i + 2 < n)
			rte_prefetch0(rte_pktmbuf_mtod(mb[i + 2], void *));
		if (b->nb_segs != 1) {
			m->rx_bad++;
			done[nd++] = b;
			continue;
		}
		if (m->o.check == MG_CHECK_SAMPLE && count_only(m, f, rte_pktmbuf_data_len(b))) {
			done[nd++] = b;
			continue;
		}
		enum mxp_pkt_kind kind = mxp_pkt_parse(f, rte_pktmbuf_data_len(b), flags, &meta);
		if (kind == MXP_PKT_ARP) {
			mg_port_arp_input(m, b, &meta);
			continue;
		}
		if (kind != MXP_PKT_UDP || meta.dst.v4 != m->o.ip.v4 || meta.dst.af != AF_INET) {
			if (kind == MXP_PKT_DROP && meta.drop != MXP_DROP_L2_ETHERTYPE &&
			    meta.drop != MXP_DROP_IP_PROTO)
				m->rx_bad++;
			else
				m->rx_other++;
			done[nd++] = b;
			continue;
		}
		int32_t e = m->by_port[meta.dport];
		if (e < 0) {
			m->rx_other++;
			done[nd++] = b;
			continue;
		}
		struct mg_part *p = &m->parts[e & ~PORT_RTCP];
		uint32_t hdrs = (uint32_t)meta.l2_len + meta.l3_len + meta.l4_len;
		uint32_t total = hdrs + meta.l4_payload_len;
		if (rte_pktmbuf_pkt_len(b) > total)
			rte_pktmbuf_trim(b, (uint16_t)(rte_pktmbuf_pkt_len(b) - total));
		b->l2_len = meta.l2_len;
		b->l3_len = meta.l3_len;
		b->l4_len = meta.l4_len;
		uint8_t *rtp = f + hdrs;
		uint32_t len = meta.l4_payload_len;
		if ((e & PORT_RTCP) || mxp_rtp_is_rtcp(rtp, len)) {
			uint32_t ssrc;
			struct mg_stream *st;
			if (mxp_rtcp_parse(rtp, len, &ssrc) != MXP_RTP_OK ||
			    (st = stream_get(m, p, ssrc)) == NULL) {
				p->rx.srtcp_fail++;
				done[nd++] = b;
				continue;
			}
			b->hash.usr = (uint32_t)(st - m->streams);
			cc[nc] = st->ctx;
			cm[nc++] = b;
			continue;
		}
		struct mxp_rtp_info ri;
		if (mxp_rtp_parse(rtp, len, &ri) != MXP_RTP_OK) {
			p->rx.other_fail++;
			done[nd++] = b;
			continue;
		}
		struct mg_stream *st = stream_get(m, p, ri.ssrc);
		if (st == NULL) {
			p->rx.unknown_ssrc++;
			done[nd++] = b;
			continue;
		}
		seq_update(m, p, st, ri.seq, ri.ts);
		p->rx.bytes += len;
		bool full = m->o.check == MG_CHECK_FULL || st->sender < 0 ||
			    st->pkts % m->o.sample == 0;
		st->pkts++;
		if (full) {
			/* Under which key? The MKI sits before the tag. */
			b->hash.fdir.hi = m->mki && len >= MG_RTP_HDR + 4 + MG_TAG_LEN &&
					  memcmp(rtp + len - MG_TAG_LEN - 4, p->rx_key[0].mki, 4) != 0;
			b->hash.usr = (uint32_t)(st - m->streams);
			rc[nr] = st->ctx;
			rm[nr++] = b;
			continue;
		}
		p->rx.pkts++;
		p->heard_pkts[st->sender - m->confs[p->conf].first]++;
		done[nd++] = b;
	}

	if (nr) {
		uint16_t ok = m->o.plain ? nr : mxp_srtp_unprotect_burst(rc, rm, nr, reason);
		for (uint16_t i = 0; i < nr; i++) {
			struct rte_mbuf *b = rm[i];
			struct mg_stream *st = &m->streams[b->hash.usr];
			struct mg_part *p = &m->parts[st->recv];
			if (i < ok) {
				uint32_t hdrs = (uint32_t)b->l2_len + b->l3_len + b->l4_len;
				uint8_t *rtp = rte_pktmbuf_mtod_offset(b, uint8_t *, hdrs);
				p->rx.pkts++;
				p->rx.rekeyed += b->hash.fdir.hi;
				accept_rtp(m, p, st, rtp, rte_pktmbuf_data_len(b) - hdrs, now);
			} else if (reason[i] == MXP_SRTP_R_AUTH) {
				p->rx.auth_fail++;
			} else if (reason[i] == MXP_SRTP_R_REPLAY || reason[i] == MXP_SRTP_R_TOO_OLD) {
				p->rx.replay++;
			} else if (reason[i] == MXP_SRTP_R_UNKNOWN_MKI) {
				p->rx.unknown_mki++;
			} else {
				p->rx.other_fail++;
			}
			done[nd++] = b;
		}
	}
	if (nc) {
		uint16_t ok = m->o.plain ? nc : mxp_srtcp_unprotect_burst(cc, cm, nc, reason);
		for (uint16_t i = 0; i < nc; i++) {
			struct mg_part *p = &m->parts[m->streams[cm[i]->hash.usr].recv];
			if (i < ok) {
				p->rx.srtcp_ok++;
			} else {
				p->rx.srtcp_fail++;
				p->rx.srtcp_unknown_mki += reason[i] == MXP_SRTP_R_UNKNOWN_MKI;
			}
			done[nd++] = cm[i];
		}
	}
	if (nd)
		rte_pktmbuf_free_bulk(done, nd);
	return n;
}
