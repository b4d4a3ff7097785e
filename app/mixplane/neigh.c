/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbour table (ARP for IPv4, neighbour discovery for IPv6), one per port.
 *
 * The control core is the single writer: it learns from ARP/NS/NA that workers steer
 * to it, resolves next hops on demand (holding a few packets meanwhile), retransmits
 * and ages entries. Workers read entries without locks under a per-entry sequence
 * counter. Open addressing with linear probing; entries are never moved, so a reader
 * can never follow a slot that changes identity under it except through the counter.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_malloc.h>

#include "neigh.h"

#define RETRANS_MS 1000u      /* RFC 4861 RetransTimer */
#define MAX_PROBES 3u
#define REACHABLE_MS 300000u  /* refresh a neighbour after 5 minutes */

static inline uint32_t
slot_of(const struct mxp_ip *ip)
{
	uint32_t h = ip->af == AF_INET ? rte_jhash_1word(ip->v4, 0x6d78)
				       : rte_jhash(ip->v6, 16, 0x6d78);
	return h & (MXP_NEIGH_SLOTS - 1);
}

struct mxp_neigh_table *
mxp_neigh_table_create(void)
{
	return rte_zmalloc("mxp_neigh", sizeof(struct mxp_neigh_table), RTE_CACHE_LINE_SIZE);
}

void
mxp_neigh_table_free(struct mxp_neigh_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < MXP_NEIGH_SLOTS; i++)
		for (uint8_t k = 0; k < t->slot[i].n_pending; k++)
			rte_pktmbuf_free(t->slot[i].pending[k]);
	rte_free(t);
}

bool
mxp_neigh_lookup(const struct mxp_neigh_table *t, const struct mxp_ip *ip,
		 struct rte_ether_addr *mac)
{
	uint32_t s = slot_of(ip);
	for (uint32_t i = 0; i < MXP_NEIGH_SLOTS; i++, s = (s + 1) & (MXP_NEIGH_SLOTS - 1)) {
		const struct mxp_neigh *n = &t->slot[s];
		uint32_t seq, state;
		bool match;
		do {
			seq = __atomic_load_n(&n->seq, __ATOMIC_ACQUIRE);
			if (seq & 1)
				continue;
			state = n->state;
			match = mxp_ip_equal(&n->ip, ip);
			*mac = n->mac;
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
		} while ((seq & 1) || __atomic_load_n(&n->seq, __ATOMIC_RELAXED) != seq);
		if (state == MXP_NEIGH_FREE)
			return false;
		if (match)
			return state == MXP_NEIGH_REACHABLE || state == MXP_NEIGH_STALE;
	}
	return false;
}

/* Writer side (control core). */
static void
write_begin(struct mxp_neigh *n)
{
	__atomic_store_n(&n->seq, n->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void
write_end(struct mxp_ports *ps, struct mxp_neigh *n)
{
	__atomic_store_n(&n->seq, n->seq + 1, __ATOMIC_RELEASE);
	__atomic_fetch_add(&ps->neigh_gen, 1, __ATOMIC_RELEASE);
}

static struct mxp_neigh *
find(struct mxp_ports *ps, struct mxp_neigh_table *t, const struct mxp_ip *ip, bool create)
{
	uint32_t s = slot_of(ip);
	for (uint32_t i = 0; i < MXP_NEIGH_SLOTS; i++, s = (s + 1) & (MXP_NEIGH_SLOTS - 1)) {
		struct mxp_neigh *n = &t->slot[s];
		if (n->state == MXP_NEIGH_FREE) {
			if (!create)
				return NULL;
			write_begin(n);
			n->ip = *ip;
			n->state = MXP_NEIGH_INCOMPLETE;
			n->probes = 0;
			n->n_pending = 0;
			n->next_ms = 0;
			write_end(ps, n);
			t->count++;
			return n;
		}
		if (mxp_ip_equal(&n->ip, ip))
			return n;
	}
	t->full_drops++;
	return NULL;
}

static void
probe(struct mxp_ports *ps, struct mxp_port *p, struct mxp_neigh *n, bool unicast)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(ps->pool);
	if (m == NULL) {
		ps->cst->drops[MXP_DROP_NO_MBUF]++;
		return;
	}
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len;
	if (n->ip.af == AF_INET) {
		len = mxp_pkt_build_arp_request(f, &p->mac, p->cfg.ip4.v4, n->ip.v4);
		if (unicast)
			memcpy(f, &n->mac, 6);
		ps->cst->arp_requests_sent++;
	} else {
		/* Link-local targets are asked from our link-local address. */
		bool ll = n->ip.v6[0] == 0xfe && (n->ip.v6[1] & 0xc0) == 0x80;
		len = mxp_pkt_build_ns(f, &p->mac, ll || !p->cfg.has_ip6 ? &p->ll6 : &p->cfg.ip6,
				       &n->ip);
		ps->cst->ns_sent++;
	}
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	m->port = p->port_id;
	mxp_ports_tx(ps, p, m);
}

static void
send_pending(struct mxp_ports *ps, struct mxp_port *p, struct mxp_neigh *n)
{
	for (uint8_t k = 0; k < n->n_pending; k++) {
		struct rte_mbuf *m = n->pending[k];
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), &n->mac, 6);
		mxp_ports_tx(ps, p, m);
	}
	n->n_pending = 0;
}

static void
drop_pending(struct mxp_ports *ps, struct mxp_neigh *n)
{
	ps->cst->drops[MXP_DROP_NEIGH_UNRESOLVED] += n->n_pending;
	for (uint8_t k = 0; k < n->n_pending; k++)
		rte_pktmbuf_free(n->pending[k]);
	n->n_pending = 0;
}

void
mxp_neigh_learn(struct mxp_ports *ps, struct mxp_port *p, const struct mxp_ip *ip,
		const struct rte_ether_addr *mac, bool create)
{
	struct mxp_neigh *n = find(ps, p->neigh, ip, create);
	if (n == NULL)
		return;
	write_begin(n);
	n->mac = *mac;
	n->state = MXP_NEIGH_REACHABLE;
	n->probes = 0;
	n->confirmed_ms = mxp_now_ms();
	n->next_ms = n->confirmed_ms + REACHABLE_MS;
	write_end(ps, n);
	if (ip->af == AF_INET)
		ps->cst->arp_learned++;
	else
		ps->cst->nd_learned++;
	send_pending(ps, p, n);
}

void
mxp_neigh_send(struct mxp_ports *ps, struct mxp_port *p, const struct mxp_ip *dst,
	       struct rte_mbuf *m)
{
	struct mxp_ip nh;
	if (!mxp_port_next_hop(p, dst, &nh)) {
		ps->cst->drops[MXP_DROP_NEIGH_UNRESOLVED]++;
		rte_pktmbuf_free(m);
		return;
	}
	struct mxp_neigh *n = find(ps, p->neigh, &nh, true);
	if (n == NULL) {
		ps->cst->drops[MXP_DROP_NEIGH_QUEUE_FULL]++;
		rte_pktmbuf_free(m);
		return;
	}
	m->port = p->port_id;
	if (n->state == MXP_NEIGH_REACHABLE || n->state == MXP_NEIGH_STALE) {
		memcpy(rte_pktmbuf_mtod(m, uint8_t *), &n->mac, 6);
		mxp_ports_tx(ps, p, m);
		return;
	}
	if (n->n_pending == MXP_NEIGH_PENDING) {
		ps->cst->drops[MXP_DROP_NEIGH_QUEUE_FULL]++;
		rte_pktmbuf_free(m);
		return;
	}
	n->pending[n->n_pending++] = m;
	if (n->state == MXP_NEIGH_FAILED) {
		write_begin(n);
		n->state = MXP_NEIGH_INCOMPLETE;
		n->probes = 0;
		write_end(ps, n);
	}
	if (n->probes == 0) {
		n->probes = 1;
		n->next_ms = mxp_now_ms() + RETRANS_MS;
		probe(ps, p, n, false);
	}
}

static void
port_timer(struct mxp_ports *ps, struct mxp_port *p, uint64_t now)
{
	struct mxp_neigh_table *t = p->neigh;
	if (t->count == 0)
		return;
	for (uint32_t i = 0; i < MXP_NEIGH_SLOTS; i++) {
		struct mxp_neigh *n = &t->slot[i];
		if (n->state == MXP_NEIGH_FREE || n->state == MXP_NEIGH_FAILED || now < n->next_ms)
			continue;
		switch (n->state) {
		case MXP_NEIGH_REACHABLE:
			/* Time to re-confirm: keep using it while we ask again. */
			write_begin(n);
			n->state = MXP_NEIGH_STALE;
			n->probes = 1;
			write_end(ps, n);
			n->next_ms = now + RETRANS_MS;
			probe(ps, p, n, true);
			break;
		case MXP_NEIGH_STALE:
		case MXP_NEIGH_INCOMPLETE:
			if (n->probes >= MAX_PROBES) {
				write_begin(n);
				n->state = MXP_NEIGH_FAILED;
				write_end(ps, n);
				drop_pending(ps, n);
				MXP_LOG(NOTICE, "%s: neighbour %s does not answer",
					p->cfg.section, mxp_ip_format(&n->ip, (char[64]){ 0 }, 64));
				break;
			}
			n->probes++;
			n->next_ms = now + RETRANS_MS;
			probe(ps, p, n, n->state == MXP_NEIGH_STALE);
			break;
		default:
			break;
		}
	}
}

void
mxp_neigh_timer(struct mxp_ports *ps, uint64_t now)
{
	for (uint16_t k = 0; k < ps->nb_ports; k++)
		port_timer(ps, &ps->port[k], now);
}
