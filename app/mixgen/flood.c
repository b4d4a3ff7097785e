/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hostile traffic beside the honest participants (--flood): what an attacker on the media
 * network sends to a mixer, at a rate of its own, so that a run shows whether the honest
 * conferences keep every packet while the daemon refuses the rest.
 *
 *   rate=PPS|max  flood packets a second (max: a burst every turn of the generator that
 *                 found the port's queue empty, after the honest packets due)
 *   kinds=K+K..   which packets, taken in turn (default: all five):
 *     forged      a participant's header (its SSRC, a sequence number 1,000 ahead of its
 *                 own, so no replay) with a random payload and tag: fails authentication
 *     replay      the exact bytes of a packet the participant sent earlier (its first one,
 *                 sent again once the port took the original): a replay, or too old
 *     malformed   RTP version 0 to a leg's port: malformed before any SRTP work
 *     rtcp        an SRTCP sender report with the participant's SSRC, index 2^30 ahead of
 *                 anything sent, and a random tag, to the leg's RTCP port: fails
 *                 authentication
 *     unknown     UDP to port 9 of the daemon (no leg there)
 *   seed=N        the random bytes and the order of targets repeat with the seed
 *
 * Flood packets never wait: what the port does not take is freed and counted (not_taken),
 * so the flood never delays an honest packet in the generator beyond the turn it shares.
 * An mbuf's hash.usr carries MG_FLOOD_MARK and the kind so that the send accounting tells
 * them from participants' packets. The daemon must count every one of them under its drop
 * reason and nothing else: the run checks its drop counters against what was sent.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "mixgen.h"

static const char *const kind_names[MG_FLOOD_KINDS] = {
	[MG_FLOOD_FORGED] = "forged",
	[MG_FLOOD_REPLAY] = "replay",
	[MG_FLOOD_MALFORMED] = "malformed",
	[MG_FLOOD_RTCP] = "rtcp",
	[MG_FLOOD_UNKNOWN] = "unknown",
};

const char *
mg_flood_kind_name(unsigned int k)
{
	return k < MG_FLOOD_KINDS ? kind_names[k] : "?";
}

/* Generator-private (one generating lcore). */
static struct {
	uint64_t rng;
	uint64_t t0;
	uint64_t epoch;
	uint64_t due_base; /* packets the flood had tried when the trial started */
	uint32_t target;   /* round robin over the senders */
	unsigned int kind; /* round robin over the kinds asked */
	uint8_t *replay;   /* per participant: a frame it sent, MG_FLOOD_FRAME bytes each */
	uint16_t *replay_len;
	uint64_t *replay_at; /* the participant's tx.pkts must exceed this before it is used */
} fl;

#define MG_FLOOD_FRAME 1600

int
mg_flood_parse(const char *spec, struct mg_flood *o, char *err, size_t errlen)
{
	struct mg_flood n = { .seed = 1, .kinds = (1u << MG_FLOOD_KINDS) - 1 };
	bool have_rate = false;
	char buf[256], *save = NULL, *v, *kv;
	int rc;
	if (mg_kv_start(buf, sizeof(buf), spec, err, errlen) != 0)
		return -1;
	while ((kv = mg_kv_next(buf, &save, &v, &rc, err, errlen)) != NULL) {
		char *end;
		if (strcmp(kv, "rate") == 0) {
			if (strcmp(v, "max") == 0) {
				n.max = true;
			} else {
				errno = 0;
				double x = strtod(v, &end);
				if (errno || end == v || *end || !(x > 0 && x <= 100e6))
					return MG_ERR(err, errlen, "rate '%s': 1..100000000 packets/s or max", v);
				n.pps = x;
			}
			have_rate = true;
		} else if (strcmp(kv, "kinds") == 0) {
			n.kinds = 0;
			char *s2 = NULL;
			for (char *k = strtok_r(v, "+", &s2); k; k = strtok_r(NULL, "+", &s2)) {
				unsigned int i;
				for (i = 0; i < MG_FLOOD_KINDS; i++)
					if (strcmp(k, kind_names[i]) == 0)
						break;
				if (i == MG_FLOOD_KINDS)
					return MG_ERR(err, errlen, "kind '%s': forged, replay, malformed, "
							  "rtcp or unknown", k);
				n.kinds |= 1u << i;
			}
			if (n.kinds == 0)
				return MG_ERR(err, errlen, "kinds: at least one");
		} else if (strcmp(kv, "seed") == 0) {
			if (!mg_parse_seed(v, &n.seed))
				return MG_ERR(err, errlen, "seed '%s': an unsigned integer", v);
		} else {
			return MG_ERR(err, errlen, "unknown key '%s' (rate, kinds, seed)", kv);
		}
	}
	if (rc != 0)
		return rc;
	if (!have_rate)
		return MG_ERR(err, errlen, "rate=PPS or rate=max is required");
	n.on = true;
	*o = n;
	return 0;
}

int
mg_flood_init(struct mg *m, char *err, size_t errlen)
{
	memset(&fl, 0, sizeof(fl));
	memset(&m->flood, 0, sizeof(m->flood));
	if (!m->o.flood.on)
		return 0;
	fl.rng = m->o.flood.seed;
	if (m->nsenders == 0)
		return MG_ERR(err, errlen, "--flood needs sending participants to aim at");
	fl.replay = rte_zmalloc("mg_flood", (size_t)m->nparts * MG_FLOOD_FRAME, 64);
	fl.replay_len = rte_zmalloc("mg_flood", (size_t)m->nparts * sizeof(uint16_t), 64);
	fl.replay_at = rte_zmalloc("mg_flood", (size_t)m->nparts * sizeof(uint64_t), 64);
	if (fl.replay == NULL || fl.replay_len == NULL || fl.replay_at == NULL) {
		mg_flood_fini(m);
		return MG_ERR(err, errlen, "out of memory for --flood's replay frames");
	}
	return 0;
}

void
mg_flood_fini(struct mg *m)
{
	(void)m;
	rte_free(fl.replay);
	rte_free(fl.replay_len);
	rte_free(fl.replay_at);
	fl.replay = NULL;
	fl.replay_len = NULL;
	fl.replay_at = NULL;
}

void
mg_flood_keep(struct mg *m, const struct mg_part *p, const uint8_t *frame, uint32_t len)
{
	if (fl.replay == NULL || fl.replay_len[p->idx] || len > MG_FLOOD_FRAME)
		return;
	memcpy(fl.replay + (size_t)p->idx * MG_FLOOD_FRAME, frame, len);
	fl.replay_len[p->idx] = (uint16_t)len;
	/* p->tx.pkts counts the packets the port took; this one is the next. */
	fl.replay_at[p->idx] = p->tx.pkts;
	(void)m;
}

static void
fill_random(uint8_t *b, uint32_t len)
{
	while (len >= 8) {
		uint64_t r = mg_splitmix64(&fl.rng);
		memcpy(b, &r, 8);
		b += 8;
		len -= 8;
	}
	if (len) {
		uint64_t r = mg_splitmix64(&fl.rng);
		memcpy(b, &r, len);
	}
}

/* The frame of one flood packet of kind k aimed at participant p's leg, into f (room for
 * cap bytes). Returns its length, 0 when this kind cannot be built yet or does not fit. */
static uint32_t
build(struct mg *m, const struct mg_part *p, unsigned int k, uint8_t *f, uint32_t cap)
{
	if (cap < MG_FLOOD_FRAME)
		return 0;
	struct mxp_pkt_udp_addr a;
	memset(&a, 0, sizeof(a));
	a.src_mac = m->port.mac;
	a.dst_mac = m->daemon_mac;
	a.src = m->o.ip;
	a.dst = p->mixer_ip;
	a.sport = p->port;
	a.dport = p->mixer_port;
	uint16_t hl = mxp_pkt_udp_hdr_len(a.src.af);
	uint8_t *u = f + hl;
	uint16_t len;
	switch (k) {
	case MG_FLOOD_REPLAY:
		if (fl.replay_len[p->idx] == 0 || p->tx.pkts <= fl.replay_at[p->idx])
			return 0;
		memcpy(f, fl.replay + (size_t)p->idx * MG_FLOOD_FRAME, fl.replay_len[p->idx]);
		return fl.replay_len[p->idx];
	case MG_FLOOD_FORGED:
	case MG_FLOOD_MALFORMED:
		len = (uint16_t)mg_srtp_len(m, p);
		fill_random(u, len);
		u[0] = k == MG_FLOOD_FORGED ? 0x80 : 0x00; /* V=2 no X; V=0 */
		u[1] = (uint8_t)m->o.codec;
		mxp_be_wr16(u + 2, (uint16_t)(p->seq + 1000));
		mxp_be_wr32(u + 4, p->ts + 1000u * m->ts_step);
		mxp_be_wr32(u + 8, p->ssrc);
		break;
	case MG_FLOOD_RTCP:
		a.sport = (uint16_t)(p->port + 1);
		a.dport = p->mixer_rtcp_port;
		u = f + hl;
		/* SR without report blocks (28 bytes), E flag + index, a 10-byte tag */
		len = 28 + 4 + 10;
		fill_random(u, len);
		u[0] = 0x80;
		u[1] = 200;
		mxp_be_wr16(u + 2, 6);
		mxp_be_wr32(u + 4, p->ssrc);
		mxp_be_wr32(u + 28, 0x80000000u | (1u << 30) | (uint32_t)(m->flood.sent[k] & 0xffff));
		break;
	default: /* MG_FLOOD_UNKNOWN */
		a.dport = 9;
		u = f + hl;
		len = 64;
		fill_random(u, len);
		break;
	}
	mxp_pkt_build_udp(f, &a, len, mxp_pkt_payload_sum(u, len));
	return (uint32_t)hl + len;
}

uint32_t
mg_flood_poll(struct mg *m, uint64_t now, bool port_busy)
{
	const struct mg_flood *o = &m->o.flood;
	if (!o->on || !m->d.tx_on || fl.replay == NULL)
		return 0;
	uint64_t epoch = __atomic_load_n(&m->d.tx_epoch, __ATOMIC_ACQUIRE);
	if (epoch != fl.epoch) {
		fl.epoch = epoch;
		fl.t0 = now;
		fl.due_base = m->flood.tried;
	}
	uint64_t n;
	if (o->max) {
		if (port_busy)
			return 0;
		n = MG_BURST;
	} else {
		uint64_t due = (uint64_t)((double)(now - fl.t0) * o->pps / (double)m->tsc_hz) + 1;
		uint64_t done = m->flood.tried - fl.due_base;
		n = due > done ? due - done : 0;
		if (n > MG_BURST)
			n = MG_BURST;
	}
	if (n == 0)
		return 0;
	struct rte_mbuf *mb[MG_BURST];
	if (rte_pktmbuf_alloc_bulk(m->port.pool, mb, (unsigned int)n) != 0) {
		m->flood.no_mbuf += n;
		m->flood.tried += n;
		return 0;
	}
	uint16_t built = 0;
	for (uint64_t i = 0; i < n; i++) {
		const struct mg_part *p = &m->parts[m->senders[fl.target]];
		if (++fl.target == m->nsenders)
			fl.target = 0;
		unsigned int k = fl.kind;
		do
			k = (k + 1) % MG_FLOOD_KINDS;
		while (!(o->kinds & (1u << k)));
		fl.kind = k;
		uint32_t len = build(m, p, k, rte_pktmbuf_mtod(mb[built], uint8_t *),
				     rte_pktmbuf_tailroom(mb[built]));
		if (len == 0) {
			m->flood.not_ready++;
			continue;
		}
		rte_pktmbuf_append(mb[built], (uint16_t)len);
		mb[built]->hash.usr = MG_FLOOD_MARK | k;
		built++;
	}
	m->flood.tried += n;
	if (built < n)
		rte_pktmbuf_free_bulk(mb + built, (unsigned int)(n - built));
	uint16_t sent = built ? rte_eth_tx_burst(m->port.port_id, 0, mb, built) : 0;
	for (uint16_t i = 0; i < sent; i++)
		m->flood.sent[mb[i]->hash.usr & 0xff]++;
	if (sent < built) {
		m->flood.not_taken += built - sent;
		rte_pktmbuf_free_bulk(mb + sent, built - sent);
	}
	return sent;
}
