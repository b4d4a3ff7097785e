/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What lib/conf's unit tests with libsrtp2 participants share (test_conf.c,
 * test_conf_signal.c): the io callbacks that keep what the conference system sent, a system
 * with one inline worker and two local addresses, and participants with a libsrtp2
 * session each way. Header-only: each test is one program.
 */
#ifndef CONF_TEST_UTIL_H
#define CONF_TEST_UTIL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <rte_mbuf.h>
#include <srtp2/srtp.h>

#include "mxp_conf.h"
#include "mxp_test.h"

#define MAXF 4096
#define PAYLOAD 160

static struct rte_mempool *pool, *hdr_pool;
static struct mxp_conf_worker *g_w;
static uint64_t drops[MXP_DROP_MAX];
static const struct rte_ether_addr our_mac = { { 2, 0, 0, 0, 0, 0x10 } };
static const struct rte_ether_addr peer_mac = { { 2, 0, 0, 0, 0, 0x20 } };

/* What the conference system sent. */
static struct {
	uint16_t port;
	struct rte_mbuf *m;
	bool punted;
} sent[MAXF];
static unsigned int nsent;
static bool neigh_known = true;

static void
io_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg;
	if (nsent < MAXF)
		sent[nsent++] = (typeof(sent[0])){ port, m, false };
	else
		rte_pktmbuf_free(m);
}

static bool
io_neigh(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_ether_addr *mac)
{
	(void)arg, (void)port, (void)dst;
	*mac = peer_mac;
	return neigh_known;
}

static void
io_punt(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	(void)dst;
	io_tx(arg, port, m);
	sent[nsent - 1].punted = true;
}

static void
sent_clear(void)
{
	for (unsigned int i = 0; i < nsent; i++)
		rte_pktmbuf_free(sent[i].m);
	nsent = 0;
}

static struct mxp_ip
ip(const char *s)
{
	struct mxp_ip a;
	if (mxp_ip_parse(s, &a, NULL))
		abort();
	return a;
}

static struct mxp_conf_sys *
sys_new(void)
{
	sent_clear(); /* the last test's system said BYE to its legs when destroyed */
	struct mxp_conf_sys_params p = {
		.nb_workers = 1,
		.nb_addrs = 2,
		.port_min = 20000,
		.port_max = 29999,
		.pool = pool,
		.hdr_pool = hdr_pool,
		.inline_workers = true,
	};
	p.addrs[0] = (struct mxp_conf_addr){ .port_idx = 0, .ip = ip("192.0.2.2"), .mac = our_mac };
	p.addrs[1] = (struct mxp_conf_addr){ .port_idx = 0, .ip = ip("2001:db8::2"), .mac = our_mac };
	char err[256];
	struct mxp_conf_sys *sys = mxp_conf_sys_create(&p, err, sizeof(err));
	if (sys == NULL) {
			abort();
	}
	static const struct mxp_conf_io io = { .tx = io_tx, .neigh = io_neigh, .punt = io_punt };
	memset(drops, 0, sizeof(drops));
	g_w = mxp_conf_worker_attach(sys, 0, &io, NULL, drops);
	if (g_w == NULL)
		abort();
	return sys;
}

/* ---- participants (libsrtp2) -------------------------------------------------------------- */

struct peer {
	uint8_t in_key[30];   /* what the participant sends with (leg inbound) */
	uint8_t out_key[30];  /* what the mixer sends it with (leg outbound) */
	srtp_t tx, rx;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	struct mxp_ip addr;
	uint16_t port;
	struct mxp_leg_info leg;
};

static void
key_fill(uint8_t k[30], unsigned int seed)
{
	for (int i = 0; i < 30; i++)
		k[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static void
conf_key(struct mxp_conf_keys *ks, const uint8_t k[30])
{
	memset(ks, 0, sizeof(*ks));
	ks->nkeys = 1;
	ks->key[0].suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	memcpy(ks->key[0].key, k, 16);
	memcpy(ks->key[0].salt, k + 16, 14);
}

/* A libsrtp2 session under key (16 + 14 bytes); with mki (one byte), the key is a master
 * key of that MKI (the sender then protects with srtp_protect_mki()). */
static inline srtp_t
srtp_session_k(uint8_t key[30], bool inbound, uint32_t ssrc, uint8_t *mki)
{
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_rtp_default(&pol.rtp);
	srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_specific;
	pol.ssrc.value = ssrc;
	srtp_master_key_t mk = { .key = key, .mki_id = mki, .mki_size = 1 };
	srtp_master_key_t *kp[1] = { &mk };
	if (mki != NULL) {
		pol.keys = kp;
		pol.num_master_keys = 1;
	} else {
		pol.key = key;
	}
	pol.window_size = 128;
	srtp_t s;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		abort();
	return s;
}

static srtp_t
srtp_session(uint8_t key[30], bool inbound, uint32_t ssrc)
{
	return srtp_session_k(key, inbound, ssrc, NULL);
}

static void
peer_init(struct peer *pr, unsigned int in_seed, unsigned int out_seed, const char *addr,
	  uint16_t port)
{
	memset(pr, 0, sizeof(*pr));
	key_fill(pr->in_key, in_seed);
	key_fill(pr->out_key, out_seed);
	pr->ssrc = 0x1000 + in_seed;
	pr->seq = (uint16_t)(in_seed * 1000);
	pr->ts = in_seed * 100000;
	pr->tx = srtp_session(pr->in_key, false, pr->ssrc);
	pr->rx = srtp_session(pr->out_key, true, 0);
	pr->addr = ip(addr);
	pr->port = port;
}

/* A participant's frame from src:sport to its leg, carrying the RTP or SRTP bytes rtp, in
 * an mbuf of mp. */
static inline struct rte_mbuf *
tu_frame(struct rte_mempool *mp, const struct mxp_leg_info *leg, const struct mxp_ip *src,
	 uint16_t sport, const uint8_t *rtp, uint16_t rtplen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	if (m == NULL)
		abort();
	struct mxp_pkt_udp_addr a = { .src_mac = peer_mac, .dst_mac = our_mac, .src = *src,
				      .dst = leg->local, .sport = sport, .dport = leg->local_port };
	uint16_t hl = mxp_pkt_udp_hdr_len(src->af);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + rtplen));
	memcpy(f + hl, rtp, rtplen);
	mxp_pkt_build_udp(f, &a, rtplen, mxp_pkt_payload_sum(rtp, rtplen));
	return m;
}

/* Hand a frame to the worker as worker.c does; false when no leg took it (m not freed). */
static inline bool
tu_rx(struct rte_mbuf *m)
{
	struct mxp_pkt_meta meta;
	if (mxp_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), 0, &meta) !=
	    MXP_PKT_UDP)
		abort();
	return mxp_conf_rx(g_w, 0, m, &meta);
}

/* tu_rx, and what no leg took counted as the daemon would (udp_no_leg) and freed. */
static inline void
tu_deliver(struct rte_mbuf *m)
{
	if (!tu_rx(m)) {
		drops[MXP_DROP_UDP_NO_LEG]++;
		rte_pktmbuf_free(m);
	}
}

static void
peer_fini(struct peer *pr)
{
	srtp_dealloc(pr->tx);
	srtp_dealloc(pr->rx);
}

#endif
