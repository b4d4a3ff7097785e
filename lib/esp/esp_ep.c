/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Endpoint: the SAD (SAs in caller memory, found through an open-addressing table keyed by
 * direction, SPI and, for inbound SAs, the local address), the policy (peers that may send
 * Mp and the outbound SA their replies use), and one counter per drop reason.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>

#include "esp_priv.h"

struct esp_peer_slot {
	struct mxp_esp_peer peer;
	uint8_t in_use;
};

struct mxp_esp_ep {
	const struct mxp_esp_crypto *crypto;
	uint32_t max_sa, max_peers, n_sa, n_peers;
	uint32_t hmask;              /**< hash slots - 1 */
	bool allow_plaintext;
	uint64_t counters[MXP_ESP_DROP_MAX];
	struct mxp_esp_sa *sas;      /**< max_sa SAs */
	uint32_t *hslots;            /**< SA index + 1, 0 = empty */
	struct esp_peer_slot *peers; /**< max_peers */
} __attribute__((aligned(64)));


static uint32_t
hash_slots(uint32_t max_sa)
{
	uint32_t n = mxp_align32pow2(max_sa * 2);
	return n < 8 ? 8 : n;
}

size_t
mxp_esp_ep_size(uint32_t max_sa, uint32_t max_peers)
{
	return MXP_ALIGN_CEIL(sizeof(struct mxp_esp_ep), 64) +
	       (size_t)max_sa * sizeof(struct mxp_esp_sa) +
	       MXP_ALIGN_CEIL(hash_slots(max_sa) * sizeof(uint32_t), 64) +
	       (size_t)max_peers * sizeof(struct esp_peer_slot);
}

int
mxp_esp_ep_init(struct mxp_esp_ep *ep, uint32_t max_sa, uint32_t max_peers,
		const struct mxp_esp_crypto *c, bool allow_plaintext)
{
	if (max_sa == 0 || max_sa > 65536 || max_peers > 65536 || c == NULL || c->ops == NULL)
		return -EINVAL;
	uint8_t *base = (uint8_t *)ep;
	memset(ep, 0, mxp_esp_ep_size(max_sa, max_peers));
	ep->crypto = c;
	ep->max_sa = max_sa;
	ep->max_peers = max_peers;
	ep->allow_plaintext = allow_plaintext;
	ep->hmask = hash_slots(max_sa) - 1;
	size_t off = MXP_ALIGN_CEIL(sizeof(*ep), 64);
	ep->sas = (struct mxp_esp_sa *)(base + off);
	off += (size_t)max_sa * sizeof(struct mxp_esp_sa);
	ep->hslots = (uint32_t *)(base + off);
	off += MXP_ALIGN_CEIL(hash_slots(max_sa) * sizeof(uint32_t), 64);
	ep->peers = (struct esp_peer_slot *)(base + off);
	return 0;
}

void
mxp_esp_ep_fini(struct mxp_esp_ep *ep)
{
	for (uint32_t i = 0; i < ep->max_sa; i++)
		if (ep->sas[i].in_use)
			mxp_esp_sa_fini(&ep->sas[i]);
	memset(ep->hslots, 0, (ep->hmask + 1) * sizeof(uint32_t));
	ep->n_sa = 0;
}

static uint32_t
sa_hash(enum mxp_esp_dir dir, uint32_t spi, const struct mxp_ip *dst)
{
	uint32_t h = spi * 2654435761u ^ (uint32_t)dir * 0x9e3779b9u;
	if (dir == MXP_ESP_DIR_IN && dst != NULL)
		for (int i = 0; i < mxp_ip_len(dst); i++)
			h = (h ^ mxp_ip_bytes(dst)[i]) * 16777619u;
	return h ^ (h >> 15);
}

static bool
sa_match(const struct mxp_esp_sa *sa, enum mxp_esp_dir dir, uint32_t spi,
	 const struct mxp_ip *dst)
{
	if (sa->p.dir != dir || sa->p.spi != spi)
		return false;
	return dir == MXP_ESP_DIR_OUT || mxp_ip_equal(&sa->p.local, dst);
}

struct mxp_esp_sa *
mxp_esp_ep_sa_find(struct mxp_esp_ep *ep, enum mxp_esp_dir dir, uint32_t spi,
		   const struct mxp_ip *dst)
{
	for (uint32_t h = sa_hash(dir, spi, dst), n = 0; n <= ep->hmask; h++, n++) {
		uint32_t s = ep->hslots[h & ep->hmask];
		if (s == 0)
			return NULL;
		struct mxp_esp_sa *sa = &ep->sas[s - 1];
		if (sa_match(sa, dir, spi, dst))
			return sa;
	}
	return NULL;
}

static void
hash_insert(struct mxp_esp_ep *ep, uint32_t idx)
{
	const struct mxp_esp_sa *sa = &ep->sas[idx];
	uint32_t h = sa_hash(sa->p.dir, sa->p.spi, &sa->p.local);
	while (ep->hslots[h & ep->hmask] != 0)
		h++;
	ep->hslots[h & ep->hmask] = idx + 1;
}

int
mxp_esp_ep_sa_add(struct mxp_esp_ep *ep, const struct mxp_esp_sa_params *p, char *err,
		  size_t errlen)
{
	if (mxp_esp_ep_sa_find(ep, p->dir, p->spi, &p->local) != NULL) {
		snprintf(err, errlen, "an %s SA with SPI 0x%08x exists",
			 p->dir == MXP_ESP_DIR_IN ? "inbound" : "outbound", p->spi);
		return -EEXIST;
	}
	uint32_t idx;
	for (idx = 0; idx < ep->max_sa; idx++)
		if (!ep->sas[idx].in_use)
			break;
	if (idx == ep->max_sa) {
		snprintf(err, errlen, "SAD full (%u SAs)", ep->max_sa);
		return -ENOSPC;
	}
	int rc = mxp_esp_sa_init(&ep->sas[idx], p, ep->crypto, err, errlen);
	if (rc != 0)
		return rc;
	hash_insert(ep, idx);
	ep->n_sa++;
	return 0;
}

int
mxp_esp_ep_sa_del(struct mxp_esp_ep *ep, enum mxp_esp_dir dir, uint32_t spi,
		  const struct mxp_ip *dst)
{
	struct mxp_esp_sa *sa = mxp_esp_ep_sa_find(ep, dir, spi, dst);
	if (sa == NULL)
		return -ENOENT;
	mxp_esp_sa_fini(sa);
	ep->n_sa--;
	/* Deletions are rare (configuration): rebuild the table rather than keep tombstones. */
	memset(ep->hslots, 0, (ep->hmask + 1) * sizeof(uint32_t));
	for (uint32_t i = 0; i < ep->max_sa; i++)
		if (ep->sas[i].in_use)
			hash_insert(ep, i);
	return 0;
}

uint32_t
mxp_esp_ep_sa_count(const struct mxp_esp_ep *ep)
{
	return ep->n_sa;
}

struct mxp_esp_sa *
mxp_esp_ep_sa_at(struct mxp_esp_ep *ep, uint32_t i)
{
	for (uint32_t k = 0; k < ep->max_sa; k++)
		if (ep->sas[k].in_use && i-- == 0)
			return &ep->sas[k];
	return NULL;
}

static struct esp_peer_slot *
peer_find(struct mxp_esp_ep *ep, const struct mxp_ip *a)
{
	/* A handful of MRFCs: a short array. */
	for (uint32_t i = 0; i < ep->max_peers; i++)
		if (ep->peers[i].in_use && mxp_ip_equal(&ep->peers[i].peer.addr, a))
			return &ep->peers[i];
	return NULL;
}

int
mxp_esp_ep_peer_add(struct mxp_esp_ep *ep, const struct mxp_esp_peer *peer)
{
	if (peer->addr.af != AF_INET && peer->addr.af != AF_INET6)
		return -EINVAL;
	struct esp_peer_slot *s = peer_find(ep, &peer->addr);
	if (s == NULL) {
		for (uint32_t i = 0; i < ep->max_peers && s == NULL; i++)
			if (!ep->peers[i].in_use)
				s = &ep->peers[i];
		if (s == NULL)
			return -ENOSPC;
		ep->n_peers++;
	}
	s->peer = *peer;
	s->in_use = 1;
	return 0;
}

int
mxp_esp_ep_peer_del(struct mxp_esp_ep *ep, const struct mxp_ip *addr)
{
	struct esp_peer_slot *s = peer_find(ep, addr);
	if (s == NULL)
		return -ENOENT;
	memset(s, 0, sizeof(*s));
	ep->n_peers--;
	return 0;
}

uint32_t
mxp_esp_ep_peer_count(const struct mxp_esp_ep *ep)
{
	return ep->n_peers;
}

int
mxp_esp_ep_peer_at(const struct mxp_esp_ep *ep, uint32_t i, struct mxp_esp_peer *out)
{
	for (uint32_t k = 0; k < ep->max_peers; k++)
		if (ep->peers[k].in_use && i-- == 0) {
			*out = ep->peers[k].peer;
			return 0;
		}
	return -ENOENT;
}

static inline enum mxp_esp_drop
ep_count(struct mxp_esp_ep *ep, enum mxp_esp_drop d)
{
	ep->counters[d]++;
	return d;
}

enum mxp_esp_drop
mxp_esp_ep_input(struct mxp_esp_ep *ep, const struct mxp_esp_meta *m, uint8_t *esp, size_t len,
		 struct mxp_esp_rx *rx)
{
	if (len < ESP_HDR_LEN)
		return ep_count(ep, MXP_ESP_DROP_SHORT);
	if (peer_find(ep, &m->src) == NULL)
		return ep_count(ep, MXP_ESP_DROP_NOT_IN_POLICY);
	struct mxp_esp_sa *sa = mxp_esp_ep_sa_find(ep, MXP_ESP_DIR_IN, mxp_be_rd32(esp), &m->dst);
	if (sa == NULL)
		return ep_count(ep, MXP_ESP_DROP_NO_SA);
	if (!mxp_ip_equal(&sa->p.peer, &m->src) || sa->p.udp_encap != m->udp_encap) {
		sa->stats.drops[MXP_ESP_DROP_SA_PEER]++;
		return ep_count(ep, MXP_ESP_DROP_SA_PEER);
	}
	/* UDP encapsulation: the ports are the SA's, fixed by configuration (no NAT-T port
	 * floating: a NAT that rebinds the peer to another port needs the SA changed). */
	if (m->udp_encap && (m->sport != sa->p.peer_port || m->dport != sa->p.local_port)) {
		sa->stats.drops[MXP_ESP_DROP_SA_PORT]++;
		return ep_count(ep, MXP_ESP_DROP_SA_PORT);
	}
	return ep_count(ep, mxp_esp_sa_inbound(sa, esp, len, rx));
}

enum mxp_esp_drop
mxp_esp_ep_plain_input(struct mxp_esp_ep *ep, const struct mxp_ip *src)
{
	if (!ep->allow_plaintext)
		return ep_count(ep, MXP_ESP_DROP_PLAINTEXT);
	if (peer_find(ep, src) == NULL)
		return ep_count(ep, MXP_ESP_DROP_NOT_IN_POLICY);
	return ep_count(ep, MXP_ESP_DROP_NONE);
}

enum mxp_esp_drop
mxp_esp_ep_output(struct mxp_esp_ep *ep, const struct mxp_ip *peer, const uint8_t *payload,
		  size_t len, uint8_t next_proto, uint8_t *out, size_t cap, size_t *out_len,
		  struct mxp_esp_meta *m)
{
	struct esp_peer_slot *ps = peer_find(ep, peer);
	if (ps == NULL || ps->peer.out_spi == 0)
		return ep_count(ep, MXP_ESP_DROP_NO_OUT_SA);
	struct mxp_esp_sa *sa = mxp_esp_ep_sa_find(ep, MXP_ESP_DIR_OUT, ps->peer.out_spi, NULL);
	if (sa == NULL)
		return ep_count(ep, MXP_ESP_DROP_NO_OUT_SA);
	enum mxp_esp_drop d = mxp_esp_sa_outbound(sa, payload, len, next_proto, out, cap, out_len);
	if (d == MXP_ESP_DROP_NONE) {
		memset(m, 0, sizeof(*m));
		m->src = sa->p.local;
		m->dst = sa->p.peer;
		m->udp_encap = sa->p.udp_encap;
		m->sport = sa->p.local_port;
		m->dport = sa->p.peer_port;
		return d; /* outbound packets are counted per SA, not as "accepted" */
	}
	return ep_count(ep, d);
}

void
mxp_esp_ep_count(struct mxp_esp_ep *ep, enum mxp_esp_drop d)
{
	if ((unsigned int)d < MXP_ESP_DROP_MAX)
		ep->counters[d]++;
}

const uint64_t *
mxp_esp_ep_counters(const struct mxp_esp_ep *ep)
{
	return ep->counters;
}
