/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcores: run to completion. Each worker polls its own queue (its index) on
 * every port, parses and classifies each frame, answers echo requests in place,
 * steers ARP, neighbour discovery and control-plane traffic (ESP, UDP 4500, Mp on
 * UDP 2944) to the control core, and counts everything else under a drop reason.
 * No locks, no allocation, no logging, no system calls in the loop.
 */
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "neigh.h"
#include "worker.h"

#define MXP_UDP_ESP_NATT 4500
#define MXP_UDP_MP 2944

/* Wake the control core if it sleeps (after enqueueing for it). */
static void
doorbell(struct mxp_ctl_link *l)
{
	/* Only one worker rings per sleep of the control core: at most one syscall. */
	if (__atomic_exchange_n(&l->sleeping, 0, __ATOMIC_SEQ_CST)) {
		uint64_t one = 1;
		ssize_t r = write(l->doorbell, &one, sizeof(one));
		(void)r;
	}
}

static inline void
drop(struct mxp_worker *w, struct rte_mbuf *m, enum mxp_drop reason, struct rte_mbuf **dropped,
     uint16_t *nd)
{
	w->st.drops[reason]++;
	dropped[(*nd)++] = m;
}

/*
 * Fault-guarded bursts on net_memif ports. DPDK 22.11's memif driver unmaps the peer's
 * shared memory from its interrupt thread when the peer disconnects, without waiting for a
 * worker that is inside a burst on it: the worker then faults reading the ring (seen as
 * SIGSEGV in librte_net_memif when a mixgen or Pktgen client exits). A burst on such a
 * port runs under sigsetjmp; the fault handler jumps back out of it, and the burst counts
 * as lost (drop reason port_fault): mbufs the driver held then are leaked, not freed twice.
 * Any other fault keeps its default action (or the handler that was there, e.g. ASan's).
 * The handler is SA_NODEFER, so jumping out without restoring the signal mask is sound.
 */
static __thread sigjmp_buf memif_jmp;
static __thread volatile sig_atomic_t in_memif_burst;
static struct sigaction prev_segv, prev_bus;

static void
memif_fault(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	if (in_memif_burst) {
		in_memif_burst = 0;
		siglongjmp(memif_jmp, 1);
	}
	/* not ours: the previous action, at the faulting instruction again */
	sigaction(sig, sig == SIGBUS ? &prev_bus : &prev_segv, NULL);
}

void
mxp_worker_fault_guard_init(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = memif_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &prev_segv);
	sigaction(SIGBUS, &sa, &prev_bus);
}

static uint16_t
rx_burst(struct mxp_worker *w, const struct mxp_port *p, struct rte_mbuf **rx)
{
	if (likely(!p->memif))
		return rte_eth_rx_burst(p->port_id, w->idx, rx, MXP_BURST);
	uint16_t n = 0;
	if (sigsetjmp(memif_jmp, 0) == 0) {
		in_memif_burst = 1;
		n = rte_eth_rx_burst(p->port_id, w->idx, rx, MXP_BURST);
		in_memif_burst = 0;
		return n;
	}
	w->st.drops[MXP_DROP_PORT_FAULT]++;
	return 0;
}

/* What the port took of n; on a fault the whole burst counts as taken (and lost). */
static uint16_t
tx_burst(struct mxp_worker *w, const struct mxp_port *p, struct rte_mbuf **m, uint16_t n,
	 bool *fault)
{
	if (likely(!p->memif))
		return rte_eth_tx_burst(p->port_id, w->idx, m, n);
	if (sigsetjmp(memif_jmp, 0) == 0) {
		in_memif_burst = 1;
		uint16_t k = rte_eth_tx_burst(p->port_id, w->idx, m, n);
		in_memif_burst = 0;
		return k;
	}
	w->st.drops[MXP_DROP_PORT_FAULT] += n;
	*fault = true;
	return n;
}

/* Send what is buffered for one port; what the NIC does not take is counted and freed. */
static void
tx_port(struct mxp_worker *w, uint16_t i)
{
	struct mxp_txbuf *tb = &w->tx[i];
	uint16_t sent = 0;
	bool fault = false;
	/* A few retries: replication can queue hundreds of frames in one burst. */
	for (int tries = 0; tries < 4 && sent < tb->n && !fault; tries++)
		sent += tx_burst(w, &w->ports->port[i], tb->m + sent, (uint16_t)(tb->n - sent), &fault);
	if (unlikely(fault)) { /* the driver may have freed some: leave them all to it */
		tb->n = 0;
		return;
	}
	for (uint16_t k = 0; k < sent; k++)
		w->st.tx_bytes += rte_pktmbuf_pkt_len(tb->m[k]);
	w->st.tx_pkts += sent;
	if (unlikely(sent < tb->n)) {
		w->st.drops[MXP_DROP_TX_FULL] += tb->n - sent;
		rte_pktmbuf_free_bulk(&tb->m[sent], tb->n - sent);
	}
	tb->n = 0;
}

static inline void
tx_queue(struct mxp_worker *w, const struct mxp_port *p, struct rte_mbuf *m)
{
	struct mxp_txbuf *tb = &w->tx[p->idx];
	if (unlikely(tb->n == RTE_DIM(tb->m)))
		tx_port(w, p->idx);
	tb->m[tb->n++] = m;
}

static void
tx_flush(struct mxp_worker *w)
{
	for (uint16_t i = 0; i < w->ports->nb_ports; i++)
		if (w->tx[i].n)
			tx_port(w, i);
}

/* Is the Ethernet destination ours, broadcast, or an IPv6 multicast group? */
static inline bool
l2_for_us(const struct mxp_port *p, const uint8_t *f)
{
	if (rte_is_same_ether_addr((const struct rte_ether_addr *)f, &p->mac))
		return true;
	if (f[0] == 0xff && f[1] == 0xff && f[2] == 0xff && f[3] == 0xff && f[4] == 0xff &&
	    f[5] == 0xff)
		return true;
	return f[0] == 0x33 && f[1] == 0x33; /* filtered further at L3 */
}

/* IPv6 destinations we accept: our addresses, their solicited-node groups, all-nodes. */
static inline bool
ip6_dst_ok(const struct mxp_port *p, const struct mxp_ip *dst)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	if (mxp_port_is_local(p, dst))
		return true;
	if (mxp_ip_equal(dst, &p->snm6) || mxp_ip_equal(dst, &p->snm_ll6))
		return true;
	return memcmp(dst->v6, all_nodes, 16) == 0;
}

static inline void
classify(struct mxp_worker *w, const struct mxp_port *p, struct rte_mbuf *m,
	 struct rte_mbuf **to_ctl, uint16_t *nc, struct rte_mbuf **dropped, uint16_t *nd)
{
	struct mxp_pkt_meta meta;
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	unsigned int flags = 0;

	w->st.rx_bytes += rte_pktmbuf_pkt_len(m);
	if (unlikely(m->nb_segs != 1)) {
		/* Media and control frames fit in one mbuf; jumbo chains are not ours. */
		drop(w, m, MXP_DROP_L2_SEGMENTED, dropped, nd);
		return;
	}
	if (!l2_for_us(p, f) && rte_pktmbuf_data_len(m) >= 14) {
		drop(w, m, MXP_DROP_L2_NOT_FOR_US, dropped, nd);
		return;
	}
	if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD)
		flags |= MXP_PKT_L3_CKSUM_GOOD;
	if ((m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
		flags |= MXP_PKT_L4_CKSUM_GOOD;

	switch (mxp_pkt_parse(f, rte_pktmbuf_data_len(m), flags, &meta)) {
	case MXP_PKT_DROP:
		/* Fragments to us can only be control traffic (RTP is never fragmented): the
		 * control core reassembles them if the Mp plane runs, else counts them. */
		if ((meta.drop == MXP_DROP_IPV4_FRAGMENT || meta.drop == MXP_DROP_IPV6_FRAGMENT) &&
		    w->mp_enabled && mxp_port_is_local(p, &meta.dst)) {
			to_ctl[(*nc)++] = m;
			return;
		}
		drop(w, m, (enum mxp_drop)meta.drop, dropped, nd);
		return;
	case MXP_PKT_ARP:
		/* Requests for us and anything the control core may learn from. */
		if (!mxp_port_is_local(p, &meta.dst) && meta.src.v4 != meta.dst.v4) {
			drop(w, m, MXP_DROP_ARP_NOT_FOR_US, dropped, nd);
			return;
		}
		to_ctl[(*nc)++] = m;
		return;
	case MXP_PKT_ICMP4: {
		if (!mxp_port_is_local(p, &meta.dst)) {
			drop(w, m, MXP_DROP_IP_NOT_FOR_US, dropped, nd);
			return;
		}
		uint32_t len = mxp_pkt_icmp4_echo_reply(f, &meta);
		if (len == 0) {
			drop(w, m, MXP_DROP_ICMP_TYPE, dropped, nd);
			return;
		}
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
		w->st.echo_replies++;
		tx_queue(w, p, m);
		return;
	}
	case MXP_PKT_ICMP6: {
		if (!ip6_dst_ok(p, &meta.dst)) {
			drop(w, m, MXP_DROP_IP_NOT_FOR_US, dropped, nd);
			return;
		}
		uint8_t type = f[meta.l2_len + meta.l3_len];
		if (type == MXP_ICMP6_NS || type == MXP_ICMP6_NA) {
			to_ctl[(*nc)++] = m;
			return;
		}
		if (type != MXP_ICMP6_ECHO_REQUEST || !mxp_port_is_local(p, &meta.dst)) {
			drop(w, m, MXP_DROP_ICMP_TYPE, dropped, nd);
			return;
		}
		uint32_t len = mxp_pkt_icmp6_echo_reply(f, &meta);
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - len));
		w->st.echo_replies++;
		tx_queue(w, p, m);
		return;
	}
	case MXP_PKT_ESP:
		if (!mxp_port_is_local(p, &meta.dst)) {
			drop(w, m, MXP_DROP_IP_NOT_FOR_US, dropped, nd);
			return;
		}
		to_ctl[(*nc)++] = m;
		return;
	case MXP_PKT_UDP:
		if (!mxp_port_is_local(p, &meta.dst)) {
			drop(w, m, MXP_DROP_IP_NOT_FOR_US, dropped, nd);
			return;
		}
		if (meta.dport == MXP_UDP_ESP_NATT || meta.dport == MXP_UDP_MP) {
			to_ctl[(*nc)++] = m;
			return;
		}
		if (mxp_conf_rx(w->cw, p->idx, m, &meta))
			return;
		drop(w, m, MXP_DROP_UDP_NO_LEG, dropped, nd);
		return;
	}
	drop(w, m, MXP_DROP_IP_PROTO, dropped, nd);
}

static void
poll_port(struct mxp_worker *w, const struct mxp_port *p)
{
	struct rte_mbuf *rx[MXP_BURST], *to_ctl[MXP_BURST], *dropped[MXP_BURST];
	uint16_t nc = 0, nd = 0;

	uint16_t n = rx_burst(w, p, rx);
	w->st.polls++;
	if (n == 0)
		return;
	w->st.busy_polls++;
	w->st.rx_pkts += n;
	for (uint16_t i = 0; i < n; i++) {
		if (i + MXP_PKT_PREFETCH_AHEAD < n)
			mxp_pkt_prefetch(rx[i + MXP_PKT_PREFETCH_AHEAD]);
		rx[i]->port = p->port_id;
		classify(w, p, rx[i], to_ctl, &nc, dropped, &nd);
	}
	if (nc) {
		unsigned int q = rte_ring_enqueue_burst(w->link->ctl_ring, (void **)to_ctl, nc, NULL);
		w->st.to_control += q;
		if (q < nc) {
			w->st.drops[MXP_DROP_CTL_RING_FULL] += nc - q;
			rte_pktmbuf_free_bulk(&to_ctl[q], nc - q);
		}
		if (q)
			doorbell(w->link);
	}
	if (nd)
		rte_pktmbuf_free_bulk(dropped, nd);
	mxp_conf_flush(w->cw);
}

/* Frames the control core asked us to send (ARP/ND replies, control-plane replies). */
static void
drain_tx_ring(struct mxp_worker *w)
{
	struct rte_mbuf *m[MXP_BURST];
	unsigned int n = rte_ring_dequeue_burst(w->tx_ring, (void **)m, MXP_BURST, NULL);
	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = w->ports->port_of_id[m[i]->port];
		if (unlikely(idx >= w->ports->nb_ports)) {
			rte_pktmbuf_free(m[i]);
			continue;
		}
		tx_queue(w, &w->ports->port[idx], m[i]);
	}
}

/* ---- what the conferences need from the worker ---------------------------------------------- */

static void
io_tx(void *arg, uint16_t port_idx, struct rte_mbuf *m)
{
	struct mxp_worker *w = arg;
	tx_queue(w, &w->ports->port[port_idx], m);
}

static bool
io_neigh(void *arg, uint16_t port_idx, const struct mxp_ip *dst, struct rte_ether_addr *mac)
{
	const struct mxp_worker *w = arg;
	struct mxp_ip nh;
	const struct mxp_port *p = &w->ports->port[port_idx];
	return mxp_port_next_hop(p, dst, &nh) && mxp_neigh_lookup(p->neigh, &nh, mac);
}

static void
io_punt(void *arg, uint16_t port_idx, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	struct mxp_worker *w = arg;
	(void)dst; /* the control core reads it from the frame */
	m->port = w->ports->port[port_idx].port_id;
	if (rte_ring_enqueue(w->link->punt_ring, m) != 0) {
		w->st.drops[MXP_DROP_CTL_RING_FULL]++;
		rte_pktmbuf_free(m);
		return;
	}
	doorbell(w->link);
}

int
mxp_worker_main(void *arg)
{
	struct mxp_worker *w = arg;
	const struct mxp_conf_io io = { .tx = io_tx, .neigh = io_neigh, .punt = io_punt,
					.neigh_gen = &w->ports->neigh_gen };

	w->cw = mxp_conf_worker_attach(w->conf, w->idx, &io, w, w->st.drops);
	__atomic_store_n(&w->attach, w->cw ? 1 : -1, __ATOMIC_RELEASE);
	if (w->cw == NULL) {
		MXP_LOG(ERR, "worker %u cannot attach to the conferences", w->idx);
		return -1;
	}

	MXP_LOG(INFO, "worker %u on lcore %u polling queue %u of %u port(s)", w->idx, w->lcore,
		w->idx, w->ports->nb_ports);
	while (!__atomic_load_n(w->stop, __ATOMIC_RELAXED)) {
		for (uint16_t i = 0; i < w->ports->nb_ports; i++)
			poll_port(w, &w->ports->port[i]);
		mxp_conf_worker_poll(w->cw);
		drain_tx_ring(w);
		tx_flush(w);
	}
	/* Shutdown: no more rx; finish the conferences' work, send what is queued, stop. */
	mxp_conf_worker_detach(w->cw);
	drain_tx_ring(w);
	tx_flush(w);
	MXP_LOG(INFO, "worker %u stopped", w->idx);
	return 0;
}
