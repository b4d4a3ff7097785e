/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_datapath: the conference data path on one core, without a NIC.
 *
 * Pre-built SRTP frames (AES_CM_128_HMAC_SHA1_80, 172-byte RTP = 20 ms of G.711) are
 * copied into mbufs as a NIC would deliver them and pushed through the same calls a
 * worker makes (mxp_pkt_parse, mxp_conf_rx, mxp_conf_flush); transmitted frames are
 * freed as a NIC would. It measures what one core does with the conference logic, SRTP
 * and replication, apart from any driver: inbound packets per second, delivered copies
 * per second, and the ratios the issues ask for (key group vs individual keys at 100
 * receivers, forward vs switch). Zero-loss throughput through a real port is measured
 * by mixgen (doc/benchmarking.md).
 *
 *   bench_datapath [EAL] -- [--quick] [--only NAME] [--scale K]
 *   prints a table and one JSON line (--only: the scenario of that name, or every one whose
 *   name contains NAME; --scale: K times the packets, for profiling)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "mxp_conf.h"
#include "mxp_pkt.h"
#include "mxp_srtp.h"

#include "bench_conf_io.h"

#define RTP_LEN 172
#define BURST 32

static struct rte_mempool *pool, *hdr_pool;
static uint64_t drops[MXP_DROP_MAX];
struct scenario {
	const char *name;
	enum mxp_conf_mode mode;
	unsigned int receivers;
	bool group;               /* receivers share one outbound key */
	double in_mpps, out_mpps, ns_per_pkt;
	double copy_ns; /* of ns_per_pkt: the NIC stand-in (copying frames into mbufs) */
};

/*
 * What the NIC stand-in costs per packet: the same allocation and copies into mbufs from
 * the same (cold) frames, and the frees, without the data path. A NIC writes frames by DMA
 * (and its driver's rx costs some ns per packet), so the data path proper costs about
 * ns_per_pkt - copy_ns; both are reported.
 */
static double
copy_cost(const uint8_t *frames, unsigned int npkts, uint16_t flen)
{
	uint64_t t0 = rte_rdtsc_precise();
	for (unsigned int i = 0; i < npkts; i += BURST) {
		struct rte_mbuf *m[BURST];
		unsigned int n = npkts - i < BURST ? npkts - i : BURST;
		if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0)
			exit(1);
		for (unsigned int k = 0; k < n; k++)
			memcpy(rte_pktmbuf_append(m[k], flen), frames + (size_t)(i + k) * 256, flen);
		for (unsigned int k = 0; k < n; k++)
			bench_io_tx(NULL, 0, m[k]);
	}
	bench_tx_drain();
	uint64_t t1 = rte_rdtsc_precise();
	return (double)(t1 - t0) * 1e9 / (double)rte_get_tsc_hz() / npkts;
}

/*
 * The reference for replication: the per-copy work of DPDK's ipv4_multicast example (for many
 * ports, without clones): the payload's reference count raised once for all copies, then
 * per copy a header mbuf from the header pool, chained to the payload, an Ethernet header
 * written into it, and the frame queued for transmission (here: to the same NIC stand-in).
 * Returns ns per copy, the same 182-byte payload and the same pools as the data path uses.
 */
static double
multicast_example_ns(unsigned int npayloads, unsigned int copies)
{
	uint64_t t0 = rte_rdtsc_precise();
	for (unsigned int i = 0; i < npayloads; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		if (m == NULL || rte_pktmbuf_append(m, RTP_LEN + 10) == NULL)
			exit(1);
		rte_pktmbuf_refcnt_update(m, (int16_t)copies);
		for (unsigned int c = 0; c < copies; c++) {
			struct rte_mbuf *h = rte_pktmbuf_alloc(hdr_pool);
			if (h == NULL)
				exit(1);
			h->next = m;
			h->pkt_len = h->data_len + m->pkt_len;
			h->nb_segs = (uint16_t)(m->nb_segs + 1);
			struct rte_ether_hdr *eh =
				(struct rte_ether_hdr *)rte_pktmbuf_prepend(h, sizeof(*eh));
			rte_ether_addr_copy(&bench_mac_p, &eh->dst_addr);
			rte_ether_addr_copy(&bench_mac_d, &eh->src_addr);
			eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
			bench_io_tx(NULL, 0, h);
		}
		rte_pktmbuf_free(m);
	}
	bench_tx_drain();
	uint64_t t1 = rte_rdtsc_precise();
	return (double)(t1 - t0) * 1e9 / (double)rte_get_tsc_hz() / ((double)npayloads * copies);
}

/* Frames of one sender: Ethernet/IPv4/UDP + SRTP, in order, unique indexes. */
static uint8_t *
build_frames(unsigned int n, const struct mxp_conf_keys *ks, uint16_t dport, uint16_t *flen)
{
	struct mxp_srtp_ctx *ctx = rte_zmalloc(NULL, mxp_srtp_ctx_size(), MXP_SRTP_CTX_ALIGN);
	struct mxp_srtp_params p = { .suite = ks->key[0].suite, .dir = MXP_SRTP_OUTBOUND,
				     .ssrc = 0x51515151 };
	char err[128];
	if (mxp_srtp_ctx_init(ctx, &p, err, sizeof(err)) ||
	    mxp_srtp_ctx_key_add(ctx, ks->key[0].key, ks->key[0].salt, NULL, 0, 0)) {
		fprintf(stderr, "srtp: %s\n", err);
		exit(1);
	}
	const uint16_t hl = 42, stride = 256;
	uint8_t *buf = malloc((size_t)n * stride);
	struct mxp_pkt_udp_addr a = { .src_mac = bench_mac_p, .dst_mac = bench_mac_d, .src = bench_ip4(0xc0000201),
				      .dst = bench_ip4(0xc0000202), .sport = 5000, .dport = dport };
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *f = buf + (size_t)i * stride, *r = f + hl;
		memset(r, 0, RTP_LEN);
		r[0] = 0x80;
		r[2] = (uint8_t)(i >> 8);
		r[3] = (uint8_t)i;
		uint32_t ts = rte_cpu_to_be_32(i * 160), ssrc = rte_cpu_to_be_32(0x51515151);
		memcpy(r + 4, &ts, 4);
		memcpy(r + 8, &ssrc, 4);
		for (int k = 12; k < RTP_LEN; k++)
			r[k] = (uint8_t)(0x55 ^ k ^ i);
		size_t len = RTP_LEN;
		if (mxp_srtp_protect(ctx, r, &len, stride - hl) != MXP_SRTP_R_OK)
			exit(1);
		mxp_pkt_build_udp(f, &a, (uint16_t)len, mxp_pkt_payload_sum(r, (uint16_t)len));
		*flen = (uint16_t)(hl + len);
	}
	mxp_srtp_ctx_fini(ctx);
	rte_free(ctx);
	return buf;
}

static void
run(struct scenario *s, unsigned int npkts)
{
	struct mxp_conf_sys_params sp = {
		.nb_workers = 1, .nb_addrs = 1, .port_min = 20000, .port_max = 40000,
		.pool = pool, .hdr_pool = hdr_pool, .inline_workers = true,
	};
	sp.addrs[0] = (struct mxp_conf_addr){ .port_idx = 0, .ip = bench_ip4(0xc0000202), .mac = bench_mac_d };
	char err[256];
	struct mxp_conf_sys *sys = mxp_conf_sys_create(&sp, err, sizeof(err));
	struct mxp_conf_worker *w = mxp_conf_worker_attach(sys, 0, bench_io(), NULL, drops);
	struct mxp_conf_params cp = { .mode = s->mode };
	uint32_t conf;
	if (sys == NULL || w == NULL || mxp_conf_create(sys, &cp, &conf, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		exit(1);
	}
	/* the sender */
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = AF_INET;
	lp.remote_known = true;
	lp.remote = bench_ip4(0xc0000201);
	lp.remote_port = 5000;
	lp.mode = MXP_SM_SENDONLY;
	bench_fill_key(&lp.in, 1);
	bench_fill_key(&lp.out, s->mode == MXP_CONF_FORWARD ? 1 : 2);
	struct mxp_leg_info sender;
	if (mxp_conf_leg_add(sys, conf, &lp, &sender, err, sizeof(err))) {
		fprintf(stderr, "sender: %s\n", err);
		exit(1);
	}
	for (unsigned int i = 0; i < s->receivers; i++) {
		lp.mode = MXP_SM_RECVONLY;
		lp.remote = bench_ip4(0xc6120000 + i + 10);
		lp.remote_port = (uint16_t)(6000 + 2 * i);
		if (s->mode == MXP_CONF_FORWARD) {
			bench_fill_key(&lp.in, 1);
			bench_fill_key(&lp.out, 1);
		} else {
			bench_fill_key(&lp.in, 100 + i);
			bench_fill_key(&lp.out, s->group ? 3 : 1000 + i);
		}
		if (mxp_conf_leg_add(sys, conf, &lp, NULL, err, sizeof(err))) {
			fprintf(stderr, "receiver: %s\n", err);
			exit(1);
		}
	}
	uint16_t flen;
	struct mxp_conf_keys sk;
	bench_fill_key(&sk, 1); /* the sender's key */
	uint8_t *frames = build_frames(npkts, &sk, sender.local_port, &flen);

	bench_sent = bench_rtcp = 0;
	uint64_t t0 = rte_rdtsc_precise();
	for (unsigned int i = 0; i < npkts; i += BURST) {
		struct rte_mbuf *m[BURST];
		unsigned int n = npkts - i < BURST ? npkts - i : BURST;
		if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0) {
			fprintf(stderr, "pool exhausted\n");
			exit(1);
		}
		/* the NIC fills a burst of mbufs, then the worker walks it as worker.c does */
		for (unsigned int k = 0; k < n; k++)
			memcpy(rte_pktmbuf_append(m[k], flen), frames + (size_t)(i + k) * 256, flen);
		for (unsigned int k = 0; k < n; k++) {
			if (k + MXP_PKT_PREFETCH_AHEAD < n)
				mxp_pkt_prefetch(m[k + MXP_PKT_PREFETCH_AHEAD]);
			struct mxp_pkt_meta meta;
			mxp_pkt_parse(rte_pktmbuf_mtod(m[k], uint8_t *), flen, 0, &meta);
			if (!mxp_conf_rx(w, 0, m[k], &meta))
				rte_pktmbuf_free(m[k]);
		}
		mxp_conf_flush(w);
	}
	bench_tx_drain();
	uint64_t delivered = bench_sent;
	uint64_t t1 = rte_rdtsc_precise();
	double sec = (double)(t1 - t0) / (double)rte_get_tsc_hz();
	s->in_mpps = npkts / sec / 1e6;
	s->out_mpps = (double)delivered / sec / 1e6;
	s->ns_per_pkt = sec * 1e9 / npkts;
	uint64_t expect = (uint64_t)npkts * s->receivers;
	if (delivered != expect) {
		fprintf(stderr, "%s: delivered %llu of %llu (drops: ", s->name,
			(unsigned long long)delivered, (unsigned long long)expect);
		for (int d = 1; d < MXP_DROP_MAX; d++)
			if (drops[d])
				fprintf(stderr, "%s=%llu ", mxp_drop_name((enum mxp_drop)d),
					(unsigned long long)drops[d]);
		fprintf(stderr, ")\n");
		exit(1);
	}
	s->copy_ns = copy_cost(frames, npkts, flen);
	free(frames);
	mxp_conf_worker_detach(w);
	mxp_conf_sys_destroy(sys);
}

int
main(int argc, char **argv)
{
	int r = rte_eal_init(argc, argv);
	if (r < 0) {
		fprintf(stderr, "EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	bool quick = false;
	const char *only = NULL; /* --only SUBSTRING: run matching scenarios (for profiling) */
	unsigned int scale = 1;  /* --scale K: K times the packets (longer runs for profiling) */
	for (int i = r + 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--scale") && i + 1 < argc)
			scale = (unsigned int)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench_datapath [EAL] -- [--quick] [--only NAME] "
					"[--scale K]\n");
			return 2;
		}
	}
	if (scale < 1 || scale > 100) {
		fprintf(stderr, "--scale: 1..100\n");
		return 2;
	}
	pool = rte_pktmbuf_pool_create("bench", 65535, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	hdr_pool = rte_pktmbuf_pool_create("benchhdr", 65535, 256, 0, RTE_PKTMBUF_HEADROOM + 64,
					   (int)rte_socket_id());
	if (pool == NULL || hdr_pool == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	struct scenario sc[] = {
		{ .name = "switch 1->1", .mode = MXP_CONF_SWITCH, .receivers = 1, .group = false },
		{ .name = "switch 1->10 individual keys", .mode = MXP_CONF_SWITCH, .receivers = 10, .group = false },
		{ .name = "switch 1->10 key group", .mode = MXP_CONF_SWITCH, .receivers = 10, .group = true },
		{ .name = "switch 1->100 individual keys", .mode = MXP_CONF_SWITCH, .receivers = 100, .group = false },
		{ .name = "switch 1->100 key group", .mode = MXP_CONF_SWITCH, .receivers = 100, .group = true },
		{ .name = "forward 1->1", .mode = MXP_CONF_FORWARD, .receivers = 1, .group = false },
		{ .name = "forward 1->10", .mode = MXP_CONF_FORWARD, .receivers = 10, .group = false },
	};
	unsigned int base = (quick ? 20000 : 400000) * scale;
	bool exact = false; /* --only NAME runs that scenario; otherwise every one containing it */
	for (size_t i = 0; only != NULL && i < RTE_DIM(sc); i++)
		exact |= strcmp(sc[i].name, only) == 0;
	for (size_t i = 0; i < RTE_DIM(sc); i++) {
		unsigned int n = sc[i].receivers >= 100 ? base / 20 : sc[i].receivers >= 10 ? base / 4 : base;
		if (only == NULL || (exact ? strcmp(sc[i].name, only) == 0 : strstr(sc[i].name, only) != NULL))
			run(&sc[i], n);
	}
	printf("conference data path, one core (lcore %u), AES_CM_128_HMAC_SHA1_80, %d-byte RTP\n",
	       rte_lcore_id(), RTP_LEN);
	printf("%-32s %12s %14s %10s %12s %14s\n", "scenario", "in Mpps", "delivered Mpps",
	       "ns/in pkt", "of it: copy", "in Mpps w/o copy");
	for (size_t i = 0; i < RTE_DIM(sc); i++)
		printf("%-32s %12.3f %14.3f %10.1f %12.1f %14.3f\n", sc[i].name, sc[i].in_mpps,
		       sc[i].out_mpps, sc[i].ns_per_pkt, sc[i].copy_ns,
		       sc[i].ns_per_pkt > sc[i].copy_ns ? 1e3 / (sc[i].ns_per_pkt - sc[i].copy_ns) : 0);
	printf("(copy: the NIC stand-in, copying each frame into an mbuf, measured alone)\n");
	double group_vs_ind = sc[4].out_mpps / sc[3].out_mpps;
	double fwd_vs_sw = sc[5].in_mpps / sc[0].in_mpps;
	printf("key group vs individual keys, 100 receivers (delivered): %.1fx\n", group_vs_ind);
	/* replication's own cost per copy: what 99 more receivers add to a switched packet */
	double per_copy = sc[4].ns_per_pkt > 0 && sc[0].ns_per_pkt > 0 ?
				  (sc[4].ns_per_pkt - sc[0].ns_per_pkt) / 99 : 0;
	double mc_copy = (only == NULL || strstr("switch 1->100 key group", only) != NULL) ?
				 multicast_example_ns(base / 20, 100) : 0;
	printf("replication, ns per copy (1->100 key group minus 1->1, per extra receiver): %.1f; "
	       "DPDK ipv4_multicast example's per-copy work: %.1f\n", per_copy, mc_copy);
	printf("forward vs switch, 1->1 (inbound): %.2fx\n", fwd_vs_sw);
	printf("{\"benchmark\":\"datapath\",\"lcore\":%u", rte_lcore_id());
	for (size_t i = 0; i < RTE_DIM(sc); i++)
		printf(",\"%s\":{\"in_mpps\":%.4f,\"out_mpps\":%.4f,\"ns_per_pkt\":%.1f,"
		       "\"copy_ns\":%.1f}", sc[i].name, sc[i].in_mpps, sc[i].out_mpps,
		       sc[i].ns_per_pkt, sc[i].copy_ns);
	printf(",\"group_vs_individual_100\":%.2f,\"forward_vs_switch\":%.3f,"
	       "\"ns_per_copy\":%.1f,\"multicast_example_ns_per_copy\":%.1f}\n", group_vs_ind,
	       fwd_vs_sw, per_copy, mc_copy);
	rte_eal_cleanup();
	return 0;
}
