/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the conference-path benchmarks (bench_datapath, bench_mix) share: lib/conf's io
 * callbacks played by a NIC stand-in (a 1024-descriptor transmit ring, the daemon's
 * default tx_desc: sent mbufs are held until it wraps, then freed), the addresses of the
 * daemon and of its peer, and keys made from a seed.
 */
#ifndef MXP_BENCH_CONF_IO_H
#define MXP_BENCH_CONF_IO_H

#include <string.h>

#include <rte_byteorder.h>
#include <rte_mbuf.h>

#include "mxp_conf.h"

static const struct rte_ether_addr bench_mac_d = { { 2, 0, 0, 0, 0, 1 } }; /* the daemon */
static const struct rte_ether_addr bench_mac_p = { { 2, 0, 0, 0, 0, 2 } }; /* its peer */

static struct rte_mbuf *bench_txq[1024];
static unsigned int bench_ntx;
static uint64_t bench_sent; /* media (RTP) frames the stand-in transmitted */
static uint64_t bench_rtcp; /* RTCP frames it transmitted (reports: not counted as media) */

/* Free what the transmit ring holds (the end of a run). */
static inline void
bench_tx_drain(void)
{
	rte_pktmbuf_free_bulk(bench_txq, bench_ntx);
	bench_ntx = 0;
}

/* RTCP (RFC 3550 packet types 200..204 in byte 1, after Ethernet, IPv4 and UDP: the
 * benchmarks send IPv4 without options), or RTP. */
static inline bool
bench_is_rtcp(const struct rte_mbuf *m)
{
	uint8_t b;
	const uint8_t *p = rte_pktmbuf_read(m, 14 + 20 + 8 + 1, 1, &b);
	return p != NULL && *p >= 200 && *p <= 204;
}

static inline void
bench_io_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg, (void)port;
	if (bench_is_rtcp(m))
		bench_rtcp++;
	else
		bench_sent++;
	bench_txq[bench_ntx++] = m;
	if (bench_ntx == RTE_DIM(bench_txq))
		bench_tx_drain();
}

static inline bool
bench_io_neigh(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_ether_addr *mac)
{
	(void)arg, (void)port, (void)dst;
	*mac = bench_mac_p;
	return true;
}

static inline void
bench_io_punt(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	(void)arg, (void)port, (void)dst;
	rte_pktmbuf_free(m);
}

/* The callbacks for mxp_conf_worker_attach() (the neighbour generation never changes). */
static inline const struct mxp_conf_io *
bench_io(void)
{
	static uint64_t gen;
	static const struct mxp_conf_io io = { .tx = bench_io_tx, .neigh = bench_io_neigh,
					       .punt = bench_io_punt, .neigh_gen = &gen };
	return &io;
}

static inline struct mxp_ip
bench_ip4(uint32_t host)
{
	struct mxp_ip a = { .af = AF_INET };
	a.v4 = rte_cpu_to_be_32(host);
	return a;
}

/* One AES_CM_128_HMAC_SHA1_80 key and salt derived from seed (distinct seeds: distinct keys). */
static inline void
bench_fill_key(struct mxp_conf_keys *ks, uint32_t seed)
{
	memset(ks, 0, sizeof(*ks));
	ks->nkeys = 1;
	ks->key[0].suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	for (int i = 0; i < 16; i++)
		ks->key[0].key[i] = (uint8_t)(seed * 13 + i + (seed >> 8) * 7);
	for (int i = 0; i < 14; i++)
		ks->key[0].salt[i] = (uint8_t)(seed * 7 + i * 3 + (seed >> 16));
}

#endif
