/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_mix: how many mix-conference participants one worker core serves with no late
 * tick, SRTP included, with key groups and with individual keys.
 *
 * C conferences of L legs (default 10) in mix mode, G.711 PCMU 20 ms: T legs of each
 * (default 3) talk (a tone), the others send low noise (about -60 dBov, no DTX), every
 * leg sends one SRTP packet (AES_CM_128_HMAC_SHA1_80) every 20 ms, in real time, the
 * participants' phases spread evenly over the 20 ms. The packets are pre-built (a NIC's
 * work), copied into mbufs as they fall due, in bursts of up to 32, and pushed through
 * the calls the worker makes (mxp_pkt_parse, mxp_conf_rx, then mxp_conf_worker_poll,
 * which flushes and runs the timers, as worker.c does after a burst); the mixers tick on
 * the TSC; what they send is freed as a NIC would. A run passes when no conference
 * skipped a tick (mix_late_ticks), every packet was accepted, nothing was dropped, the
 * listeners got about a packet per tick each (a silent shared mix is not sent: missing
 * output means talkers were not heard), the jitter buffers saw (almost) no late or lost
 * packet, and, after a warm-up of 0.2 s (10 ticks, in which each participant's first
 * packets set up its state: all of them start in the same 20 ms here, unlike in a real
 * conference), the backlog of arrived packets never exceeded a 1024-descriptor receive
 * ring. The number of conferences is searched (doubling, then bisection) for the largest
 * that passes.
 *
 *   bench_mix [EAL] -- [--legs L] [--talkers T] [--seconds S] [--keys group|individual|both]
 *                      [--conferences C]   (one run of C conferences instead of a search)
 *                      [--max-participants N] (search ceiling, default 60000)
 *   prints a table and one JSON line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "mxp_conf.h"
#include "mxp_media_codec.h"
#include "mxp_pkt.h"
#include "mxp_srtp.h"

#include "bench_conf_io.h"

#define BURST 32
#define STRIDE 256
#define RTP_LEN (12 + 160)
#define RX_RING 1024 /* the daemon's default rx_desc: a larger backlog would be lost */

static struct rte_mempool *pool, *hdr_pool;
static uint64_t drops[MXP_DROP_MAX];

struct run {
	unsigned int confs, legs, talkers, ticks;
	unsigned int warm_ticks;     /* of the ticks, the first ones: the ring may fill */
	bool pool_exhausted;         /* ran out of mbufs (run stopped): a failure */
	bool group;
	/* results */
	uint64_t late_ticks, ticks_run, accepted, sent, expected, out_pkts, drops;
	uint64_t max_backlog;        /* most packets arrived and not yet taken */
	uint64_t max_poll_cyc;       /* the longest mxp_conf_worker_poll() */
	uint64_t max_gap_cyc;        /* the longest turn of the loop (a poll, or a burst) */
	uint64_t idle_cyc, window_cyc; /* after the warm-up: turns that found nothing to do */
	uint64_t jb_late, jb_lost;   /* the legs' jitter buffers: too late, lost (concealed) */
	double setup_s;
	struct mxp_conf_memory mem;  /* after set-up */
};

struct leg_src {
	struct mxp_srtp_ctx *ctx;  /* the participant's sending context */
	uint16_t local_port;
	uint32_t remote;
	uint32_t ssrc;
};

/* Build every packet of the run: ticks x participants frames of Ethernet/IPv4/UDP/SRTP. */
static uint8_t *
build_frames(const struct run *r, struct leg_src *src, uint16_t *flen)
{
	unsigned int np = r->confs * r->legs;
	uint8_t *buf = malloc((size_t)r->ticks * np * STRIDE);
	if (buf == NULL) {
		fprintf(stderr, "out of memory for %u x %u frames\n", r->ticks, np);
		exit(1);
	}
	uint8_t tone[20][160], quiet[20][160];
	for (int f = 0; f < 20; f++)
		for (int i = 0; i < 160; i++) {
			double t = (f * 160 + i) / 8000.0;
			tone[f][i] = mxp_media_ulaw_enc1((int16_t)(8000 * sin(2 * M_PI * 440 * t)));
			quiet[f][i] = mxp_media_ulaw_enc1((int16_t)((rand() % 61) - 30));
		}
	for (unsigned int k = 0; k < r->ticks; k++)
		for (unsigned int p = 0; p < np; p++) {
			uint8_t *f = buf + ((size_t)k * np + p) * STRIDE, *rtp = f + 42;
			rtp[0] = 0x80;
			rtp[1] = 0;
			uint16_t seq = (uint16_t)(k + 1);
			rtp[2] = (uint8_t)(seq >> 8);
			rtp[3] = (uint8_t)seq;
			uint32_t ts = rte_cpu_to_be_32(k * 160), ssrc = rte_cpu_to_be_32(src[p].ssrc);
			memcpy(rtp + 4, &ts, 4);
			memcpy(rtp + 8, &ssrc, 4);
			bool talker = p % r->legs < r->talkers;
			memcpy(rtp + 12, talker ? tone[k % 20] : quiet[k % 20], 160);
			size_t len = RTP_LEN;
			if (mxp_srtp_protect(src[p].ctx, rtp, &len, STRIDE - 42) != MXP_SRTP_R_OK) {
				fprintf(stderr, "protect failed\n");
				exit(1);
			}
			struct mxp_pkt_udp_addr a = { .src_mac = bench_mac_p, .dst_mac = bench_mac_d,
						      .src = bench_ip4(src[p].remote), .dst = bench_ip4(0xc0000202),
						      .sport = 6000, .dport = src[p].local_port };
			mxp_pkt_build_udp(f, &a, (uint16_t)len, mxp_pkt_payload_sum(rtp, (uint16_t)len));
			*flen = (uint16_t)(42 + len);
		}
	return buf;
}

static inline void
timed_poll(struct mxp_conf_worker *w, struct run *r)
{
	uint64_t a = rte_rdtsc();
	mxp_conf_worker_poll(w);
	uint64_t d = rte_rdtsc() - a;
	if (d > r->max_poll_cyc)
		r->max_poll_cyc = d;
}

static void
run_one(struct run *r)
{
	struct mxp_conf_sys_params sp = {
		.nb_workers = 1, .nb_addrs = 1, .port_min = 1024, .port_max = 65535,
		.pool = pool, .hdr_pool = hdr_pool, .inline_workers = true,
	};
	sp.addrs[0] = (struct mxp_conf_addr){ .port_idx = 0, .ip = bench_ip4(0xc0000202), .mac = bench_mac_d };
	char err[256];
	uint64_t t_setup = rte_rdtsc();
	struct mxp_conf_sys *sys = mxp_conf_sys_create(&sp, err, sizeof(err));
	memset(drops, 0, sizeof(drops));
	struct mxp_conf_worker *w = sys ? mxp_conf_worker_attach(sys, 0, bench_io(), NULL, drops) : NULL;
	if (w == NULL) {
		fprintf(stderr, "setup: %s\n", err);
		exit(1);
	}
	unsigned int np = r->confs * r->legs;
	struct leg_src *src = calloc(np, sizeof(*src));
	uint32_t *conf_ids = calloc(r->confs, sizeof(*conf_ids));
	for (unsigned int c = 0; c < r->confs; c++) {
		struct mxp_conf_params cp = { .mode = MXP_CONF_MIX, .topn = (uint16_t)r->talkers,
					      .max_legs = (uint32_t)r->legs };
		if (mxp_conf_create(sys, &cp, &conf_ids[c], err, sizeof(err))) {
			fprintf(stderr, "conference %u: %s\n", c, err);
			exit(1);
		}
		for (unsigned int l = 0; l < r->legs; l++) {
			unsigned int p = c * r->legs + l;
			struct mxp_leg_params lp;
			memset(&lp, 0, sizeof(lp));
			lp.af = AF_INET;
			lp.remote_known = true;
			src[p].remote = 0x0a000000 + p + 1;
			lp.remote = bench_ip4(src[p].remote);
			lp.remote_port = 6000;
			lp.rtcp_mux = true;
			lp.mode = MXP_SM_SENDRECV;
			lp.n_pt = 1;
			lp.pt[0] = 0;
			bench_fill_key(&lp.in, 1000000 + p);
			bench_fill_key(&lp.out, r->group ? 2000000 + c : 3000000 + p);
			struct mxp_leg_info li;
			if (mxp_conf_leg_add(sys, conf_ids[c], &lp, &li, err, sizeof(err))) {
				fprintf(stderr, "leg %u: %s\n", p, err);
				exit(1);
			}
			src[p].local_port = li.local_port;
			src[p].ssrc = 0x10000000 + p;
			/* the participants' side lives outside the daemon's (hugepage) memory */
			src[p].ctx = aligned_alloc(MXP_SRTP_CTX_ALIGN, RTE_ALIGN_CEIL(mxp_srtp_ctx_size(),
										MXP_SRTP_CTX_ALIGN));
			if (src[p].ctx)
				memset(src[p].ctx, 0, mxp_srtp_ctx_size());
			struct mxp_srtp_params pp = { .suite = lp.in.key[0].suite,
						      .dir = MXP_SRTP_OUTBOUND, .ssrc = src[p].ssrc };
			if (src[p].ctx == NULL || mxp_srtp_ctx_init(src[p].ctx, &pp, err, sizeof(err)) ||
			    mxp_srtp_ctx_key_add(src[p].ctx, lp.in.key[0].key, lp.in.key[0].salt, NULL,
						 0, 0)) {
				fprintf(stderr, "participant %u: %s\n", p, src[p].ctx ? err : "no memory");
				exit(1);
			}
			explicit_bzero(&lp, sizeof(lp));
		}
	}
	uint16_t flen = 0;
	uint8_t *frames = build_frames(r, src, &flen);
	for (unsigned int p = 0; p < np; p++) {
		mxp_srtp_ctx_fini(src[p].ctx);
		free(src[p].ctx);
	}
	r->setup_s = (double)(rte_rdtsc() - t_setup) / (double)rte_get_tsc_hz();
	mxp_conf_memory(sys, &r->mem);

	/* real time: the packets of tick k arrive at t0 + k x 20 ms */
	uint64_t hz = rte_get_tsc_hz(), tick = hz / 50;
	bench_tx_drain();
	bench_sent = 0;
	uint64_t t0 = rte_rdtsc() + tick;
	/* the mixers ticked (late) while the setup ran: let them catch up, count from t0 */
	while (rte_rdtsc() < t0)
		mxp_conf_worker_poll(w);
	uint64_t late0 = 0;
	for (unsigned int c = 0; c < r->confs; c++) {
		struct mxp_conf_info ci;
		if (mxp_conf_get(sys, conf_ids[c], &ci) == 0)
			late0 += ci.mix_late_ticks;
	}
	/*
	 * Participant p's packet of tick k arrives at t0 + k x 20 ms + p x 20 ms / np: every
	 * participant sends exactly every 20 ms, at its own phase, spread over the tick (the
	 * frames are stored in that order). Whatever has arrived is taken in bursts of up to
	 * 32, then the worker polls, as on a NIC queue.
	 */
	uint64_t total = (uint64_t)np * r->ticks, next = 0, prev = rte_rdtsc();
	uint64_t warm_end = (uint64_t)np * r->warm_ticks, w0 = 0;
	uint64_t idle_max = hz / 1000000; /* a turn under 1 us did nothing (a tick costs more) */
	while (next < total) {
		uint64_t now = rte_rdtsc();
		if (now - prev > r->max_gap_cyc)
			r->max_gap_cyc = now - prev;
		prev = now;
		if (w0 == 0 && next >= warm_end)
			w0 = now;
		if (now < t0 + next * tick / np) {
			timed_poll(w, r);
			uint64_t d = rte_rdtsc() - now;
			if (w0 != 0 && d < idle_max)
				r->idle_cyc += d;
			continue;
		}
		{
			/* arrived and not yet taken: what a NIC's receive ring would hold (once the
			 * warm-up is over: every participant's first packets set up its state) */
			uint64_t backlog = (now - t0) * np / tick + 1 - next;
			if (backlog > r->max_backlog && next >= (uint64_t)np * r->warm_ticks)
				r->max_backlog = backlog;
			struct rte_mbuf *m[BURST];
			unsigned int n = 0;
			while (n < BURST && next + n < total && now >= t0 + (next + n) * tick / np)
				n++;
			if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0) {
				/* the jitter buffers and the backlog hold them all: far behind */
				r->pool_exhausted = true;
				break;
			}
			const uint8_t *base = frames + next * STRIDE;
			next += n;
			for (unsigned int j = 0; j < n; j++)
				memcpy(rte_pktmbuf_append(m[j], flen), base + (size_t)j * STRIDE, flen);
			for (unsigned int j = 0; j < n; j++) {
				if (j + MXP_PKT_PREFETCH_AHEAD < n)
					mxp_pkt_prefetch(m[j + MXP_PKT_PREFETCH_AHEAD]);
				struct mxp_pkt_meta meta;
				mxp_pkt_parse(rte_pktmbuf_mtod(m[j], uint8_t *), flen, 0, &meta);
				if (!mxp_conf_rx(w, 0, m[j], &meta))
					rte_pktmbuf_free(m[j]);
			}
			timed_poll(w, r); /* flushes, then timers: as worker.c after a burst */
		}
	}
	r->window_cyc = w0 ? rte_rdtsc() - w0 : 0;
	/* two more ticks to mix what arrived last */
	uint64_t end = t0 + (uint64_t)(r->ticks + 2) * tick;
	while (rte_rdtsc() < end)
		mxp_conf_worker_poll(w);
	bench_tx_drain();

	r->late_ticks = r->ticks_run = r->accepted = r->jb_late = r->jb_lost = 0;
	for (unsigned int c = 0; c < r->confs; c++) {
		struct mxp_conf_info ci;
		uint32_t ids[1000];
		int nl = mxp_conf_legs(sys, conf_ids[c], ids, RTE_DIM(ids));
		for (int l = 0; l < nl; l++) {
			struct mxp_leg_info li;
			if (mxp_conf_leg_get(sys, ids[l], &li) == 0) {
				r->jb_late += li.st.jb_late;
				r->jb_lost += li.st.jb_lost;
			}
		}
		if (mxp_conf_get(sys, conf_ids[c], &ci) == 0) {
			r->late_ticks += ci.mix_late_ticks;
			r->ticks_run += ci.mix_ticks;
			r->accepted += ci.rx_pkts;
		}
	}
	r->late_ticks -= late0;
	r->drops = 0;
	for (int d = 1; d < MXP_DROP_MAX; d++)
		if (drops[d]) {
			r->drops += drops[d];
			printf("    drop %s: %llu\n", mxp_drop_name((enum mxp_drop)d),
			       (unsigned long long)drops[d]);
		}
	r->expected = (uint64_t)np * r->ticks;
	r->out_pkts = bench_sent;
	free(frames);
	free(src);
	free(conf_ids);
	mxp_conf_worker_detach(w);
	mxp_conf_sys_destroy(sys);
}

static bool
passed(const struct run *r)
{
	/* every participant hears one stream per tick: about as many packets out as in */
	return !r->pool_exhausted && r->late_ticks == 0 && r->accepted == r->expected &&
	       r->drops == 0 &&
	       r->out_pkts >= r->expected * 99 / 100 && r->max_backlog <= RX_RING &&
	       r->jb_late + r->jb_lost <= r->expected / 1000;
}

/* The share of the core the worker's calls used after the warm-up (1 - idle turns). */
static double
busy(const struct run *r)
{
	return r->window_cyc ? 1.0 - (double)r->idle_cyc / (double)r->window_cyc : 0;
}

static void
report(const struct run *r)
{
	printf("  %-10s %6u conferences %7u participants: late ticks %llu, accepted %llu/%llu, "
	       "sent %llu, jitter buffers %llu late %llu lost, rx backlog %llu, longest poll "
	       "%.0f us, longest turn %.0f us, busy %.0f %%: %s\n",
	       r->group ? "key group" : "individual", r->confs, r->confs * r->legs,
	       (unsigned long long)r->late_ticks, (unsigned long long)r->accepted,
	       (unsigned long long)r->expected, (unsigned long long)r->out_pkts,
	       (unsigned long long)r->jb_late, (unsigned long long)r->jb_lost,
	       (unsigned long long)r->max_backlog,
	       (double)r->max_poll_cyc * 1e6 / (double)rte_get_tsc_hz(),
	       (double)r->max_gap_cyc * 1e6 / (double)rte_get_tsc_hz(), 100 * busy(r),
	       passed(r) ? "pass" : r->pool_exhausted ? "FAIL (mbuf pool exhausted)" : "FAIL");
	fflush(stdout);
}

/* The largest number of conferences that passes: double until a failure, then bisect. */
static unsigned int
search(struct run *tmpl, unsigned int max_confs, struct mxp_conf_memory *mem, double *busy_best)
{
	unsigned int lo = 0, hi = 0, c = 50;
	for (;;) {
		struct run r = *tmpl;
		r.confs = c;
		run_one(&r);
		report(&r);
		if (passed(&r) || lo == 0)
			*mem = r.mem; /* the memory and busy share of the best run (any, if none) */
		if (!passed(&r)) {
			hi = c;
			break;
		}
		lo = c;
		*busy_best = busy(&r);
		if (c >= max_confs)
			return lo;
		c = c * 2 > max_confs ? max_confs : c * 2;
	}
	while (hi - lo > (lo / 20 > 1 ? lo / 20 : 1)) { /* 5 % resolution */
		struct run r = *tmpl;
		r.confs = (lo + hi) / 2;
		run_one(&r);
		report(&r);
		if (passed(&r)) {
			*mem = r.mem;
			lo = r.confs;
			*busy_best = busy(&r);
		} else
			hi = r.confs;
	}
	return lo;
}

int
main(int argc, char **argv)
{
	int rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	unsigned int legs = 10, talkers = 3, confs = 0, max_p = 60000;
	double seconds = 2.0;
	const char *keys = "both";
	for (int i = rc + 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "%s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--legs"))
			legs = (unsigned int)atoi(v);
		else if (!strcmp(a, "--talkers"))
			talkers = (unsigned int)atoi(v);
		else if (!strcmp(a, "--conferences"))
			confs = (unsigned int)atoi(v);
		else if (!strcmp(a, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(a, "--keys"))
			keys = v;
		else if (!strcmp(a, "--max-participants"))
			max_p = (unsigned int)atoi(v);
		else {
			fprintf(stderr, "unknown option %s (--legs --talkers --conferences --seconds "
					"--keys --max-participants)\n", a);
			return 2;
		}
	}
	if (legs < 2 || legs > 1000 || talkers < 1 || talkers > legs || seconds < 0.2 ||
	    seconds > 60 || max_p < legs || max_p > 60000 ||
	    (strcmp(keys, "both") && strcmp(keys, "group") && strcmp(keys, "individual"))) {
		fprintf(stderr, "bad arguments: legs 2..1000, talkers 1..legs, seconds 0.2..60, "
				"max-participants legs..60000, keys group|individual|both\n");
		return 2;
	}
	pool = rte_pktmbuf_pool_create("mixin", 131071, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	hdr_pool = rte_pktmbuf_pool_create("mixhdr", 65535, 256, 0, RTE_PKTMBUF_HEADROOM + 64,
					   (int)rte_socket_id());
	if (pool == NULL || hdr_pool == NULL) {
		fprintf(stderr, "mempool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	struct run tmpl = { .legs = legs, .talkers = talkers,
			    .ticks = (unsigned int)(seconds * 50) + 10, .warm_ticks = 10 };
	unsigned int best[2] = { 0, 0 };
	double bz[2] = { 0, 0 }; /* busy share of the core in the best (or the one) run */
	struct mxp_conf_memory mem[2];
	memset(mem, 0, sizeof(mem));
	bool want[2] = { strcmp(keys, "individual") != 0, strcmp(keys, "group") != 0 };
	printf("mix conferences of %u legs, %u talkers, PCMU 20 ms, SRTP AES_CM_128_HMAC_SHA1_80, "
	       "%.1f s runs (after 0.2 s of warm-up) in real time on lcore %u\n", legs, talkers, seconds,
	       rte_lcore_id());
	for (int g = 0; g < 2; g++) {
		if (!want[g])
			continue;
		tmpl.group = g == 0;
		if (confs) {
			struct run r = tmpl;
			r.confs = confs;
			run_one(&r);
			report(&r);
			mem[g] = r.mem;
			best[g] = passed(&r) ? confs : 0;
			bz[g] = busy(&r);
		} else {
			best[g] = search(&tmpl, max_p / legs, &mem[g], &bz[g]);
		}
	}
	/* memory per participant: what the system's state occupies, divided by its legs */
	double bpp[2] = { 0, 0 };
	for (int g = 0; g < 2; g++)
		if (mem[g].legs)
			bpp[g] = (double)mem[g].total_bytes / mem[g].legs;
	/*
	 * CPU per participant: the busy share of the core in that run, over its participants
	 * and the 50 ticks a second; and what a whole core would carry at that cost (a linear
	 * projection, less sensitive to the machine's hiccups than the pass/fail search).
	 */
	double us_pp[2] = { 0, 0 }, proj[2] = { 0, 0 };
	unsigned int at[2] = { confs ? confs * legs : best[0] * legs, confs ? confs * legs : best[1] * legs };
	for (int g = 0; g < 2; g++)
		if (at[g] && bz[g] > 0) {
			us_pp[g] = bz[g] * 20000.0 / at[g];
			proj[g] = at[g] / bz[g];
		}
	printf("%-26s %13s %13s %16s %15s %11s\n", "keys", "participants", "busy at it",
	       "us per part.+tick", "projected/core", "bytes each");
	for (int g = 0; g < 2; g++)
		if (want[g])
			printf("%-26s %13u %12.0f%% %16.3f %15.0f %11.0f\n",
			       g == 0 ? "key group per conference" : "individual keys", best[g] * legs,
			       100 * bz[g], us_pp[g], proj[g], bpp[g]);
	for (int g = 0; g < 2; g++) {
		const struct mxp_conf_memory *m = &mem[g];
		if (!want[g] || m->legs == 0)
			continue;
		double n = m->legs;
		printf("  %s, bytes per participant: leg %.0f, receiver entry %.0f, SRTP stream "
		       "%.0f, key sessions %.0f, output streams %.0f, media leg %.0f, key groups "
		       "%.0f, mixer and conference %.0f\n", g == 0 ? "key group" : "individual keys",
		       m->leg_bytes / n, m->rcv_bytes / n, m->srtp_bytes / n, m->key_bytes / n,
		       m->ostream_bytes / n, m->media_bytes / n, m->keygroup_bytes / n,
		       (m->mixer_bytes + m->conf_bytes) / n);
	}
	printf("(the most participants with no late tick and every packet accepted%s)\n",
	       confs ? "; one run" : max_p / legs == best[0] || max_p / legs == best[1] ?
	       "; a figure at the ceiling is a lower bound" : "");
	printf("{\"benchmark\":\"mix\",\"lcore\":%u,\"legs\":%u,\"talkers\":%u,\"seconds\":%.1f,"
	       "\"search\":%s,\"group_participants\":%u,\"individual_participants\":%u,"
	       "\"group_bytes_per_participant\":%.0f,\"individual_bytes_per_participant\":%.0f,"
	       "\"group_busy\":%.3f,\"individual_busy\":%.3f,\"group_us_per_participant_tick\":%.3f,"
	       "\"individual_us_per_participant_tick\":%.3f,\"group_projected\":%.0f,"
	       "\"individual_projected\":%.0f}\n",
	       rte_lcore_id(), legs, talkers, seconds, confs ? "false" : "true", best[0] * legs,
	       best[1] * legs, bpp[0], bpp[1], bz[0], bz[1], us_pp[0], us_pp[1], proj[0], proj[1]);
	rte_eal_cleanup();
	return 0;
}
