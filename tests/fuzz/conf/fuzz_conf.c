/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: arbitrary UDP payloads into live conferences (switch with SRTP legs, forward,
 * plain RTP), from the expected source or another one, to the RTP or the RTCP port. Every
 * input must be forwarded or counted under a drop reason; nothing may crash or leak.
 * Input: byte 0 selects the leg (bits 0-2: switch, forward, plain and mix legs), the RTCP port (bit 3) and a foreign source
 * (bit 4); the rest is the UDP payload.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "mxp_conf.h"
#include "mxp_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct rte_mempool *pool, *hdr_pool;
static struct mxp_conf_sys *sys;
static struct mxp_conf_worker *w;
static uint64_t drops[MXP_DROP_MAX];
static struct mxp_leg_info legs[8];
static unsigned int nlegs;
static const struct rte_ether_addr mac = { { 2, 0, 0, 0, 0, 1 } };

static void
io_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg, (void)port;
	rte_pktmbuf_free(m);
}

static bool
io_neigh(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_ether_addr *out)
{
	(void)arg, (void)port, (void)dst;
	*out = mac;
	return true;
}

static void
io_punt(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	(void)arg, (void)port, (void)dst;
	rte_pktmbuf_free(m);
}

static struct mxp_ip
ip4(uint32_t h)
{
	struct mxp_ip a = { .af = AF_INET };
	a.v4 = rte_cpu_to_be_32(h);
	return a;
}

static void
key(struct mxp_conf_keys *k, unsigned int seed)
{
	memset(k, 0, sizeof(*k));
	k->nkeys = 1;
	k->key[0].suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	memset(k->key[0].key, (int)seed, 16);
	memset(k->key[0].salt, (int)seed + 1, 14);
}

static void
add(uint32_t conf, unsigned int i, bool plain, unsigned int in, unsigned int out, bool mux)
{
	struct mxp_leg_params p;
	memset(&p, 0, sizeof(p));
	p.af = AF_INET;
	p.remote_known = true;
	p.remote = ip4(0xc0000264);
	p.remote_port = (uint16_t)(5000 + 2 * i);
	p.plain = plain;
	p.rtcp_mux = mux;
	p.audio_level_id = 1;
	if (!plain) {
		key(&p.in, in);
		key(&p.out, out);
	}
	if (mxp_conf_leg_add(sys, conf, &p, &legs[nlegs], NULL, 0) == 0)
		nlegs++;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *eal[] = { (*argv)[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--log-level=lib.*:crit", "-l", "0", NULL };
	(void)argc;
	if (rte_eal_init(9, eal) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fz", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("fzh", 8191, 0, 0, 256, 0);
	struct mxp_conf_sys_params sp = { .nb_workers = 1, .nb_addrs = 1, .port_min = 20000,
					  .port_max = 20100, .pool = pool, .hdr_pool = hdr_pool,
					  .inline_workers = true };
	sp.addrs[0] = (struct mxp_conf_addr){ .port_idx = 0, .ip = ip4(0xc0000202), .mac = mac };
	sys = mxp_conf_sys_create(&sp, NULL, 0);
	static const struct mxp_conf_io io = { .tx = io_tx, .neigh = io_neigh, .punt = io_punt };
	w = mxp_conf_worker_attach(sys, 0, &io, NULL, drops);
	uint32_t c1, c2, c3, c4;
	struct mxp_conf_params sw = { .mode = MXP_CONF_SWITCH, .topn = 2 };
	struct mxp_conf_params fw = { .mode = MXP_CONF_FORWARD };
	struct mxp_conf_params pl = { .mode = MXP_CONF_SWITCH };
	if (!sys || !w || mxp_conf_create(sys, &sw, &c1, NULL, 0) ||
	    mxp_conf_create(sys, &fw, &c2, NULL, 0) || mxp_conf_create(sys, &pl, &c3, NULL, 0))
		abort();
	struct mxp_conf_params mx = { .mode = MXP_CONF_MIX };
	if (mxp_conf_create(sys, &mx, &c4, NULL, 0))
		abort();
	add(c1, 0, false, 1, 9, false);
	add(c1, 1, false, 2, 9, true);
	add(c1, 2, false, 3, 4, false);
	add(c2, 3, false, 7, 7, false);
	add(c2, 4, false, 7, 7, true);
	add(c3, 5, true, 0, 0, false);
	add(c3, 6, true, 0, 0, false);
	add(c4, 7, false, 11, 12, false);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 1400 || nlegs == 0)
		return 0;
	const struct mxp_leg_info *l = &legs[data[0] % nlegs];
	bool rtcp = data[0] & 8, foreign = data[0] & 16;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		abort(); /* a leak would show up here */
	struct mxp_pkt_udp_addr a = { .src_mac = mac, .dst_mac = mac,
				      .src = foreign ? ip4(0xcb007101) : l->remote,
				      .dst = l->local,
				      .sport = (uint16_t)(rtcp ? l->remote_rtcp_port : l->remote_port),
				      .dport = rtcp ? l->local_rtcp_port : l->local_port };
	uint16_t plen = (uint16_t)(size - 1);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + plen));
	memcpy(f + 42, data + 1, plen);
	mxp_pkt_build_udp(f, &a, plen, mxp_pkt_payload_sum(f + 42, plen));
	struct mxp_pkt_meta meta;
	if (mxp_pkt_parse(f, 42u + plen, 0, &meta) != MXP_PKT_UDP || !mxp_conf_rx(w, 0, m, &meta))
		rte_pktmbuf_free(m);
	mxp_conf_flush(w);
	mxp_conf_worker_poll(w);
	return 0;
}
