/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_mix: how many mix-conference participants one worker core serves with no late
 * tick, SRTP included, with key groups and with individual keys; per codec, and how many
 * transcoding sessions.
 *
 * C conferences of L legs (default 10) in mix mode, 20 ms packets, in one codec (--codec,
 * default PCMU): T legs of each (default 3) talk (a tone each), the others send low noise
 * (about -60 dBov). With PCMU every leg sends one SRTP packet (AES_CM_128_HMAC_SHA1_80)
 * every 20 ms; with a frame codec (Opus, AMR-WB, AMR) the packets are the codec's own
 * encoder's output, and with --dtx on (the default for them) the silent legs send what a
 * DTX encoder sends for their noise: nothing for most ticks (Opus usedtx=1), a SID frame
 * every 8th (AMR). In real time, the participants' phases spread evenly over the 20 ms.
 * The packets are pre-built (a NIC's work), copied into mbufs as they fall due, in bursts
 * of up to 32, and pushed through the calls the worker makes (mxp_pkt_parse, mxp_conf_rx,
 * then mxp_conf_worker_poll, which flushes and runs the timers, as worker.c does after a
 * burst); the mixers tick on the TSC; what they send is freed as a NIC would. A run passes
 * when no conference skipped a tick (mix_late_ticks), every packet sent was accepted,
 * nothing was dropped, the participants got about a packet per tick each (the talkers
 * their private mix, the others the shared one, whatever the silent legs send: the talkers
 * keep the mix from being silent, so missing output means talkers were not heard), the
 * jitter buffers saw (almost) no late or lost packet, and, after a warm-up of 0.2 s (10
 * ticks, in which each participant's first packets set up its state: all of them start in
 * the same 20 ms here, unlike in a real conference), the backlog of arrived packets never
 * exceeded a 1024-descriptor receive ring. The number of conferences is searched
 * (doubling, then bisection) for the largest that passes.
 *
 * --transcode A:B: conferences of 2 legs, one in codec A and one in B, both talking (a
 * tone each, continuously): each hears the other in its own codec, a transcoding session.
 * The figure is sessions per core.
 *
 * In one run, G.711 beside the codec: unless --compare off, a codec other than PCMU (or a
 * --transcode other than pcmu:pcmu) is measured after PCMU (pcmu:pcmu) with the same
 * parameters, and the table and the JSON line (g711_* fields) give both.
 *
 *   bench_mix [EAL] -- [--legs L] [--talkers T] [--seconds S] [--keys group|individual|both]
 *                      [--codec pcmu|opus|amr-wb|amr] [--dtx on|off]
 *                      [--transcode A:B]      (A, B: pcmu opus amr-wb amr; no --legs/--talkers)
 *                      [--compare on|off]     (G.711 first; default on)
 *                      [--opus-complexity N]  (0-10: the mixer's Opus encoders, as the
 *                                              daemon's [media] opus_complexity; default 5)
 *                      [--conferences C]   (one run of C conferences instead of a search)
 *                      [--max-participants N] (search ceiling, default 60000)
 *   prints a table and one JSON line. AMR and AMR-WB need their codec tables in lib/media
 *   (looked up at run time, refused at option parse while there are none).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
#define RX_RING 1024 /* the daemon's default rx_desc: a larger backlog would be lost */

static struct rte_mempool *pool, *hdr_pool;
static uint64_t drops[MXP_DROP_MAX];

/*
 * What the legs send and receive. The participants' packets are real encodings made before
 * the run by the codec's own encoder (mxp_media_coder_init_frame + mxp_media_encode, the
 * encoder lib/conf uses): a talker's tone with DTX off (it stands for continuous speech: a
 * DTX encoder stops sending a steady tone after about a second, libopus classifies it as
 * no speech), a silent leg's low noise with the codec's DTX when --dtx is on (Opus
 * usedtx=1: the encoder's output, nothing to send for most ticks; AMR: SID frames every
 * 8th frame, nothing between). The legs' a=fmtp (what the MRFP decodes with and encodes
 * its mixes with) is leg_fmtp: Opus without usedtx, AMR with its defaults.
 */
struct bcodec {
	const char *label;           /* --codec / --transcode value */
	enum mxp_media_codec codec;
	uint8_t pt;
	const char *leg_fmtp;        /* NULL: a static payload type, no a=rtpmap */
	const char *fmtp_dtx;        /* the participants' encoders: a silent leg in DTX */
	const char *fmtp_talk;       /* ... and a talker (or a silent leg without DTX) */
};

static const struct bcodec bcodecs[] = {
	{ "pcmu", MXP_MEDIA_CODEC_PCMU, 0, NULL, NULL, NULL },
	{ "opus", MXP_MEDIA_CODEC_OPUS, 111, "", "usedtx=1", "" },
	{ "amr-wb", MXP_MEDIA_CODEC_AMR_WB, 96, "", "", "dtx=0" },
	{ "amr", MXP_MEDIA_CODEC_AMR, 97, "", "", "dtx=0" },
};

#define NTONES 8
#define QUIET NTONES /* the role of a silent leg; talkers have a tone each (0..NTONES-1) */
#define MAX_PL (STRIDE - 42 - 12 - 10) /* Ethernet/IPv4/UDP, RTP, SRTP tag */

/* One role's payloads for every tick of a run (len 0: the encoder sent nothing). */
struct pstream {
	uint16_t *len;
	uint8_t *pl;                 /* ticks x MAX_PL */
	unsigned int sent;           /* ticks with a packet */
};

/* A variant measured: every leg in one codec, or (transcoding) leg 0 in one, leg 1 in another. */
struct variant {
	const struct bcodec *c[2];   /* the legs' codecs: c[0] everywhere unless transcoding */
	bool transcode;
	bool dtx;                    /* silent legs of frame codecs send what a DTX encoder does */
	struct pstream ps[2][NTONES + 1];
};

struct run {
	unsigned int confs, legs, talkers, ticks;
	unsigned int warm_ticks;     /* of the ticks, the first ones: the ring may fill */
	bool pool_exhausted;         /* ran out of mbufs (run stopped): a failure */
	bool group;
	const struct variant *v;
	/* results */
	uint64_t late_ticks, ticks_run, accepted, sent, expected, out_pkts, drops;
	uint64_t expected_out;       /* streams the participants hear: one per tick each */
	uint64_t max_backlog;        /* most packets arrived and not yet taken */
	uint64_t max_poll_cyc;       /* the longest mxp_conf_worker_poll() */
	uint64_t max_gap_cyc;        /* the longest turn of the loop (a poll, or a burst) */
	uint64_t idle_cyc, window_cyc; /* after the warm-up: turns that found nothing to do */
	uint64_t cpu_ns, window_ns;  /* the same window: CPU time the thread got, wall time */
	uint64_t jb_late, jb_lost;   /* the legs' jitter buffers: too late, lost (concealed) */
	double setup_s;
	struct mxp_conf_memory mem;  /* after set-up */
};

struct leg_src {
	struct mxp_srtp_ctx *ctx;  /* the participant's sending context */
	uint16_t local_port;
	uint32_t remote;
	uint32_t ssrc;
	const struct pstream *ps;  /* what it sends */
	const struct bcodec *bc;
};

/* The packets of a run, in order of arrival: only those the participants send. */
struct frames {
	uint8_t *buf;              /* n x STRIDE */
	uint32_t *due;             /* tick x participants + participant: when it arrives */
	uint16_t *len;
	uint64_t n;
	uint64_t warm;             /* the first packet after the warm-up */
};

static const double tone_hz[NTONES] = { 440, 554, 659, 330, 392, 494, 587, 698 };

/* Encode ticks x 20 ms of a role's signal with bc's own encoder. */
static void
make_stream(const struct bcodec *bc, int role, bool dtx, unsigned int ticks, struct pstream *ps)
{
	struct mxp_media_coder cd;
	int rc;
	if (bc->leg_fmtp == NULL) {
		rc = mxp_media_coder_init(&cd, bc->codec);
	} else {
		struct mxp_media_fmtp f;
		char err[160];
		const char *fm = role == QUIET && dtx ? bc->fmtp_dtx : bc->fmtp_talk;
		if (mxp_media_fmtp_parse(bc->codec, fm, &f, err, sizeof(err))) {
			fprintf(stderr, "%s fmtp '%s': %s\n", bc->label, fm, err);
			exit(1);
		}
		rc = mxp_media_coder_init_frame(&cd, bc->codec, &f, 20);
	}
	if (rc) {
		fprintf(stderr, "%s: no encoder (%d)\n", bc->label, rc);
		exit(1);
	}
	unsigned int rate = mxp_media_codec_rate(bc->codec), n = rate / 50;
	ps->len = calloc(ticks, sizeof(*ps->len));
	ps->pl = malloc((size_t)ticks * MAX_PL);
	ps->sent = 0;
	if (ps->len == NULL || ps->pl == NULL) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	uint32_t seed = 12345u + (uint32_t)role;
	int16_t pcm[MXP_MEDIA_MAX_FRAME];
	for (unsigned int k = 0; k < ticks; k++) {
		for (unsigned int i = 0; i < n; i++) {
			if (role == QUIET) { /* about -60 dBov */
				seed = seed * 1103515245u + 12345u;
				pcm[i] = (int16_t)((int)((seed >> 16) % 61) - 30);
			} else {
				double t = (double)(k * n + i) / rate;
				pcm[i] = (int16_t)(8000 * sin(2 * M_PI * tone_hz[role] * t));
			}
		}
		int b = mxp_media_encode(&cd, pcm, n, ps->pl + (size_t)k * MAX_PL, MAX_PL);
		if (b < 0) {
			fprintf(stderr, "%s: encode failed (%d)\n", bc->label, b);
			exit(1);
		}
		ps->len[k] = (uint16_t)b;
		ps->sent += b > 0;
	}
	mxp_media_coder_fini(&cd);
}

static void
variant_init(struct variant *v, unsigned int ticks, unsigned int talkers)
{
	for (int i = 0; i < (v->transcode ? 2 : 1); i++)
		for (int role = 0; role <= QUIET; role++)
			if (role == QUIET || role < (int)talkers)
				make_stream(v->c[i], role, v->dtx, ticks, &v->ps[i][role]);
}

static void
variant_fini(struct variant *v)
{
	for (int i = 0; i < 2; i++)
		for (int role = 0; role <= QUIET; role++) {
			free(v->ps[i][role].len);
			free(v->ps[i][role].pl);
		}
}

/* "pcmu", "opus", or "opus:pcmu" */
static const char *
variant_name(const struct variant *v, char *buf, size_t cap)
{
	if (v->transcode)
		snprintf(buf, cap, "%s:%s", v->c[0]->label, v->c[1]->label);
	else
		snprintf(buf, cap, "%s", v->c[0]->label);
	return buf;
}

/* Build every packet of the run: what ticks x participants send, Ethernet/IPv4/UDP/SRTP. */
static void
build_frames(const struct run *r, struct leg_src *src, struct frames *fr)
{
	unsigned int np = r->confs * r->legs;
	uint64_t n = 0;
	for (unsigned int p = 0; p < np; p++)
		n += src[p].ps->sent;
	fr->buf = malloc(n * STRIDE);
	fr->due = malloc(n * sizeof(*fr->due));
	fr->len = malloc(n * sizeof(*fr->len));
	if (fr->buf == NULL || fr->due == NULL || fr->len == NULL) {
		fprintf(stderr, "out of memory for %llu frames\n", (unsigned long long)n);
		exit(1);
	}
	fr->n = n;
	fr->warm = n;
	uint16_t *seq = calloc(np, sizeof(*seq));
	uint64_t j = 0;
	for (unsigned int k = 0; k < r->ticks; k++)
		for (unsigned int p = 0; p < np; p++) {
			const struct pstream *ps = src[p].ps;
			unsigned int plen = ps->len[k];
			if (plen == 0)
				continue; /* DTX: nothing sent this tick */
			if (fr->warm == n && k >= r->warm_ticks)
				fr->warm = j;
			uint8_t *f = fr->buf + j * STRIDE, *rtp = f + 42;
			rtp[0] = 0x80;
			/* the first packet of a talkspurt is marked (RFC 3551; after DTX) */
			rtp[1] = (uint8_t)((k == 0 || ps->len[k - 1] == 0 ? 0x80 : 0) | src[p].bc->pt);
			uint16_t sq = ++seq[p];
			rtp[2] = (uint8_t)(sq >> 8);
			rtp[3] = (uint8_t)sq;
			uint32_t units = mxp_media_codec_clock(src[p].bc->codec) / 50;
			uint32_t ts = rte_cpu_to_be_32(k * units), ssrc = rte_cpu_to_be_32(src[p].ssrc);
			memcpy(rtp + 4, &ts, 4);
			memcpy(rtp + 8, &ssrc, 4);
			memcpy(rtp + 12, ps->pl + (size_t)k * MAX_PL, plen);
			size_t len = 12 + plen;
			if (mxp_srtp_protect(src[p].ctx, rtp, &len, STRIDE - 42) != MXP_SRTP_R_OK) {
				fprintf(stderr, "protect failed\n");
				exit(1);
			}
			struct mxp_pkt_udp_addr a = { .src_mac = bench_mac_p, .dst_mac = bench_mac_d,
						      .src = bench_ip4(src[p].remote), .dst = bench_ip4(0xc0000202),
						      .sport = 6000, .dport = src[p].local_port };
			mxp_pkt_build_udp(f, &a, (uint16_t)len, mxp_pkt_payload_sum(rtp, (uint16_t)len));
			fr->len[j] = (uint16_t)(42 + len);
			fr->due[j] = k * np + p;
			j++;
		}
	free(seq);
}

static uint64_t
thread_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

/* --opus-complexity: the mixer's Opus encoders (-1: libopus's default) */
static int opus_complexity = -1;

static void
run_one(struct run *r)
{
	struct mxp_conf_sys_params sp = {
		.nb_workers = 1, .nb_addrs = 1, .port_min = 1024, .port_max = 65535,
		.pool = pool, .hdr_pool = hdr_pool, .inline_workers = true,
		.opus_complexity_set = opus_complexity >= 0,
		.opus_complexity = (uint8_t)(opus_complexity >= 0 ? opus_complexity : 0),
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
			/* the leg's codec: a static payload type, or a=rtpmap and a=fmtp */
			const struct bcodec *bc = r->v->c[r->v->transcode ? l : 0];
			lp.n_pt = 1;
			lp.pt[0] = bc->pt;
			if (bc->leg_fmtp != NULL) {
				lp.n_codecs = 1;
				lp.codecs[0].pt = bc->pt;
				lp.codecs[0].codec = (uint8_t)bc->codec;
				if (mxp_media_fmtp_parse(bc->codec, bc->leg_fmtp, &lp.codecs[0].fmtp,
							 err, sizeof(err))) {
					fprintf(stderr, "%s fmtp: %s\n", bc->label, err);
					exit(1);
				}
			}
			src[p].bc = bc;
			src[p].ps = &r->v->ps[r->v->transcode ? l : 0][l < r->talkers ? l % NTONES : QUIET];
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
	struct frames fr;
	build_frames(r, src, &fr);
	for (unsigned int p = 0; p < np; p++) {
		mxp_srtp_ctx_fini(src[p].ctx);
		free(src[p].ctx);
	}
	r->setup_s = (double)(rte_rdtsc() - t_setup) / (double)rte_get_tsc_hz();
	mxp_conf_memory(sys, &r->mem);

	/* real time: the packets of tick k arrive at t0 + k x 20 ms */
	uint64_t hz = rte_get_tsc_hz(), tick = hz / 50;
	bench_tx_drain();
	bench_sent = bench_rtcp = 0;
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
	uint64_t total = fr.n, next = 0, arrived = 0, prev = rte_rdtsc();
	uint64_t warm_end = fr.warm, w0 = 0, cpu0 = 0, wall0 = 0;
	uint64_t idle_max = hz / 1000000; /* a turn under 1 us did nothing (a tick costs more) */
	while (next < total) {
		uint64_t now = rte_rdtsc();
		if (now - prev > r->max_gap_cyc)
			r->max_gap_cyc = now - prev;
		prev = now;
		if (w0 == 0 && next >= warm_end) {
			w0 = now;
			cpu0 = thread_ns(CLOCK_THREAD_CPUTIME_ID);
			wall0 = thread_ns(CLOCK_MONOTONIC);
		}
		if (now < t0 + fr.due[next] * tick / np) {
			timed_poll(w, r);
			uint64_t d = rte_rdtsc() - now;
			if (w0 != 0 && d < idle_max)
				r->idle_cyc += d;
			continue;
		}
		{
			/* arrived and not yet taken: what a NIC's receive ring would hold (once the
			 * warm-up is over: every participant's first packets set up its state) */
			uint64_t slots = (now - t0) * np / tick + 1;
			while (arrived < total && fr.due[arrived] < slots)
				arrived++;
			uint64_t backlog = arrived - next;
			if (backlog > r->max_backlog && next >= warm_end)
				r->max_backlog = backlog;
			struct rte_mbuf *m[BURST];
			unsigned int n = 0;
			while (n < BURST && next + n < total &&
			       now >= t0 + fr.due[next + n] * tick / np)
				n++;
			if (rte_pktmbuf_alloc_bulk(pool, m, n) != 0) {
				/* the jitter buffers and the backlog hold them all: far behind */
				r->pool_exhausted = true;
				break;
			}
			const uint8_t *base = fr.buf + next * STRIDE;
			const uint16_t *flen = fr.len + next;
			next += n;
			for (unsigned int j = 0; j < n; j++)
				memcpy(rte_pktmbuf_append(m[j], flen[j]), base + (size_t)j * STRIDE,
				       flen[j]);
			for (unsigned int j = 0; j < n; j++) {
				if (j + MXP_PKT_PREFETCH_AHEAD < n)
					mxp_pkt_prefetch(m[j + MXP_PKT_PREFETCH_AHEAD]);
				struct mxp_pkt_meta meta;
				mxp_pkt_parse(rte_pktmbuf_mtod(m[j], uint8_t *), flen[j], 0, &meta);
				if (!mxp_conf_rx(w, 0, m[j], &meta))
					rte_pktmbuf_free(m[j]);
			}
			timed_poll(w, r); /* flushes, then timers: as worker.c after a burst */
		}
	}
	r->window_cyc = w0 ? rte_rdtsc() - w0 : 0;
	r->cpu_ns = w0 ? thread_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0 : 0;
	r->window_ns = w0 ? thread_ns(CLOCK_MONOTONIC) - wall0 : 0;
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
	r->expected = fr.n;
	r->expected_out = (uint64_t)np * r->ticks;
	r->out_pkts = bench_sent;
	free(fr.buf);
	free(fr.due);
	free(fr.len);
	free(src);
	free(conf_ids);
	mxp_conf_worker_detach(w);
	mxp_conf_sys_destroy(sys);
}

static bool
passed(const struct run *r)
{
	/* every participant hears one stream per tick, its private mix or the shared one, DTX
	 * or not on the silent legs (the talkers keep the mix from being silent): about one
	 * packet out per participant and tick */
	return !r->pool_exhausted && r->late_ticks == 0 && r->accepted == r->expected &&
	       r->drops == 0 &&
	       r->out_pkts >= r->expected_out * 99 / 100 && r->max_backlog <= RX_RING &&
	       r->jb_late + r->jb_lost <= r->expected / 1000;
}

/* The share of the CPU the thread got after the warm-up (1 on a core of its own; less when
 * other processes ran on it: a shared VM). */
static double
got(const struct run *r)
{
	return r->window_ns ? (double)r->cpu_ns / (double)r->window_ns : 0;
}

/*
 * The share of the core the worker's calls used after the warm-up: 1 - idle turns, over
 * the CPU time the thread got (the time other processes took it away falls in whatever
 * turn was running; counted against the wall clock, it would show as work). On a core of
 * its own, the same as over the wall clock.
 */
static double
busy(const struct run *r)
{
	if (r->window_cyc == 0)
		return 0;
	double idle = (double)r->idle_cyc / (double)r->window_cyc, g = got(r);
	return g > 0 && g < 1 ? 1.0 - idle / g : 1.0 - idle;
}

static void
report(const struct run *r)
{
	char vn[32];
	printf("  %-11s %-10s %6u conferences %7u participants: late ticks %llu, accepted "
	       "%llu/%llu, sent %llu/%llu, jitter buffers %llu late %llu lost, rx backlog %llu, longest poll "
	       "%.0f us, longest turn %.0f us, busy %.0f %% of the %.0f %% of the CPU it got: %s\n",
	       variant_name(r->v, vn, sizeof(vn)), r->group ? "key group" : "individual",
	       r->confs, r->confs * r->legs, (unsigned long long)r->late_ticks,
	       (unsigned long long)r->accepted, (unsigned long long)r->expected,
	       (unsigned long long)r->out_pkts, (unsigned long long)r->expected_out,
	       (unsigned long long)r->jb_late, (unsigned long long)r->jb_lost,
	       (unsigned long long)r->max_backlog,
	       (double)r->max_poll_cyc * 1e6 / (double)rte_get_tsc_hz(),
	       (double)r->max_gap_cyc * 1e6 / (double)rte_get_tsc_hz(), 100 * busy(r), 100 * got(r),
	       passed(r) ? "pass" : r->pool_exhausted ? "FAIL (mbuf pool exhausted)" : "FAIL");
	fflush(stdout);
}

/* What a variant's search (or one run) found, with one key set. */
struct result {
	unsigned int best;           /* participants = best x legs */
	double bz;                   /* busy share of the core in the best (or the one) run */
	double got;                  /* the share of the CPU the thread got in that run */
	struct mxp_conf_memory mem;
};

/* The largest number of conferences that passes: double until a failure, then bisect. */
static unsigned int
search(struct run *tmpl, unsigned int max_confs, struct result *res)
{
	unsigned int lo = 0, hi = 0, c = 50;
	for (;;) {
		struct run r = *tmpl;
		r.confs = c;
		run_one(&r);
		report(&r);
		if (passed(&r) || lo == 0) { /* the memory and busy share of the best run (any) */
			res->mem = r.mem;
			res->bz = busy(&r);
			res->got = got(&r);
		}
		if (!passed(&r)) {
			hi = c;
			break;
		}
		lo = c;
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
			res->mem = r.mem;
			res->bz = busy(&r);
			res->got = got(&r);
			lo = r.confs;
		} else
			hi = r.confs;
	}
	return lo;
}

/* --codec / --transcode names: a frame codec needs its table in lib/media (no #ifdef: the
 * AMR tables link once codec_amr.c is merged, and register themselves). */
static const struct bcodec *
codec_by_label(const char *name, const char *opt)
{
	for (size_t i = 0; i < RTE_DIM(bcodecs); i++) {
		const struct bcodec *bc = &bcodecs[i];
		if (strcmp(bc->label, name) != 0)
			continue;
		if (bc->leg_fmtp != NULL && mxp_media_codec_ops(bc->codec) == NULL) {
			fprintf(stderr, "%s %s: lib/media has no %s codec in this build (no codec "
					"table registered for it; AMR and AMR-WB come with codec_amr.c)\n",
				opt, name, name);
			return NULL;
		}
		return bc;
	}
	fprintf(stderr, "%s %s: expected pcmu, opus, amr-wb or amr\n", opt, name);
	return NULL;
}

static void
measure(struct variant *v, const struct run *t, const bool want[2], unsigned int confs,
	unsigned int max_p, struct result res[2])
{
	struct run tmpl = *t;
	tmpl.v = v;
	variant_init(v, tmpl.ticks, tmpl.talkers);
	/* what the encoders made: packets a second per role (DTX shows here) */
	for (int i = 0; i < (v->transcode ? 2 : 1); i++) {
		const struct pstream *ps = v->ps[i];
		double per_s = 50.0 / tmpl.ticks;
		uint64_t tb = 0;
		for (unsigned int k = 0; k < tmpl.ticks; k++)
			tb += ps[0].len[k];
		printf("  %s: a talker sends %.1f packets/s (%.0f B of payload each)", v->c[i]->label,
		       ps[0].sent * per_s, ps[0].sent ? (double)tb / ps[0].sent : 0);
		if (!v->transcode)
			printf(", a silent leg %.1f/s%s", ps[QUIET].sent * per_s,
			       v->dtx ? " (DTX)" : "");
		printf("\n");
	}
	for (int g = 0; g < 2; g++) {
		memset(&res[g], 0, sizeof(res[g]));
		if (!want[g])
			continue;
		tmpl.group = g == 0;
		if (confs) {
			struct run r = tmpl;
			r.confs = confs;
			run_one(&r);
			report(&r);
			res[g].mem = r.mem;
			res[g].best = passed(&r) ? confs : 0;
			res[g].bz = busy(&r);
			res[g].got = got(&r);
		} else {
			res[g].best = search(&tmpl, max_p / tmpl.legs, &res[g]);
		}
	}
	variant_fini(v);
}

/* Derived figures of a result: participants, CPU per participant and tick, projection. */
struct figures {
	unsigned int parts;          /* participants passed (or run, with --conferences) */
	double us_pp, proj, bpp;
};

static struct figures
figures(const struct result *res, unsigned int legs, unsigned int confs)
{
	struct figures f = { 0, 0, 0, 0 };
	unsigned int at = (confs ? confs : res->best) * legs;
	f.parts = res->best * legs;
	/*
	 * CPU per participant: the busy share of the core in that run, over its participants
	 * and the 50 ticks a second; and what a whole core would carry at that cost (a linear
	 * projection, less sensitive to the machine's hiccups than the pass/fail search).
	 */
	if (at && res->bz > 0) {
		f.us_pp = res->bz * 20000.0 / at;
		f.proj = at / res->bz;
	}
	/* memory per participant: what the system's state occupies, divided by its legs */
	if (res->mem.legs)
		f.bpp = (double)res->mem.total_bytes / res->mem.legs;
	return f;
}

static void
json_fields(const char *pfx, const struct result res[2], unsigned int legs, unsigned int confs,
	    bool transcode)
{
	static const char *const kn[2] = { "group", "individual" };
	for (int g = 0; g < 2; g++) {
		struct figures f = figures(&res[g], legs, confs);
		printf(",\"%s%s_participants\":%u,\"%s%s_bytes_per_participant\":%.0f,"
		       "\"%s%s_busy\":%.3f,\"%s%s_cpu_got\":%.3f,"
		       "\"%s%s_us_per_participant_tick\":%.3f,\"%s%s_projected\":%.0f", pfx, kn[g],
		       f.parts, pfx, kn[g], f.bpp, pfx, kn[g], res[g].bz, pfx, kn[g], res[g].got, pfx,
		       kn[g], f.us_pp, pfx, kn[g], f.proj);
		if (transcode)
			printf(",\"%s%s_sessions\":%u,\"%s%s_projected_sessions\":%.0f", pfx, kn[g],
			       f.parts / 2, pfx, kn[g], f.proj / 2);
	}
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
	const char *keys = "both", *codec = "pcmu", *transcode = NULL, *dtx = NULL;
	const char *compare = "on";
	bool legs_given = false;
	for (int i = rc + 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL) {
			fprintf(stderr, "%s needs a value\n", a);
			return 2;
		}
		i++;
		if (!strcmp(a, "--legs"))
			legs = (unsigned int)atoi(v), legs_given = true;
		else if (!strcmp(a, "--talkers"))
			talkers = (unsigned int)atoi(v), legs_given = true;
		else if (!strcmp(a, "--conferences"))
			confs = (unsigned int)atoi(v);
		else if (!strcmp(a, "--seconds"))
			seconds = atof(v);
		else if (!strcmp(a, "--keys"))
			keys = v;
		else if (!strcmp(a, "--max-participants"))
			max_p = (unsigned int)atoi(v);
		else if (!strcmp(a, "--codec"))
			codec = v;
		else if (!strcmp(a, "--transcode"))
			transcode = v;
		else if (!strcmp(a, "--dtx"))
			dtx = v;
		else if (!strcmp(a, "--compare"))
			compare = v;
		else if (!strcmp(a, "--opus-complexity")) {
			char *end;
			long c = strtol(v, &end, 10);
			if (*end != '\0' || c < 0 || c > 10) {
				fprintf(stderr, "--opus-complexity %s: expected 0..10\n", v);
				return 2;
			}
			opus_complexity = (int)c;
		} else {
			fprintf(stderr, "unknown option %s (--legs --talkers --conferences --seconds "
					"--keys --max-participants --codec --transcode --dtx --compare "
					"--opus-complexity)\n", a);
			return 2;
		}
	}
	/* the variant measured, and G.711 beside it (same parameters, same run) */
	struct variant main_v, g711_v;
	memset(&main_v, 0, sizeof(main_v));
	memset(&g711_v, 0, sizeof(g711_v));
	g711_v.c[0] = g711_v.c[1] = &bcodecs[0];
	if (transcode != NULL) {
		char a[16], b[16];
		if (sscanf(transcode, "%15[^:]:%15s", a, b) != 2) {
			fprintf(stderr, "--transcode %s: expected A:B, e.g. amr-wb:pcmu\n", transcode);
			return 2;
		}
		if (legs_given || strcmp(codec, "pcmu") != 0 || dtx != NULL) {
			fprintf(stderr, "--transcode: sessions of 2 legs, both talking (no --legs, "
					"--talkers, --codec or --dtx)\n");
			return 2;
		}
		main_v.c[0] = codec_by_label(a, "--transcode");
		main_v.c[1] = main_v.c[0] ? codec_by_label(b, "--transcode") : NULL;
		if (main_v.c[1] == NULL)
			return 2;
		main_v.transcode = g711_v.transcode = true;
		legs = talkers = 2;
	} else {
		main_v.c[0] = main_v.c[1] = codec_by_label(codec, "--codec");
		if (main_v.c[0] == NULL)
			return 2;
		bool frame = main_v.c[0]->leg_fmtp != NULL;
		if (dtx != NULL && strcmp(dtx, "on") && strcmp(dtx, "off")) {
			fprintf(stderr, "--dtx %s: on or off\n", dtx);
			return 2;
		}
		if (!frame && dtx != NULL && !strcmp(dtx, "on")) {
			fprintf(stderr, "--dtx on: PCMU has no DTX of its own (every leg sends every "
					"20 ms; RFC 3389 comfort noise is not simulated)\n");
			return 2;
		}
		main_v.dtx = frame && (dtx == NULL || !strcmp(dtx, "on"));
	}
	bool same = main_v.c[0] == &bcodecs[0] && main_v.c[1] == &bcodecs[0];
	if (strcmp(compare, "on") && strcmp(compare, "off")) {
		fprintf(stderr, "--compare %s: on or off\n", compare);
		return 2;
	}
	bool cmp = !same && !strcmp(compare, "on");
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
	bool want[2] = { strcmp(keys, "individual") != 0, strcmp(keys, "group") != 0 };
	char vn[32];
	variant_name(&main_v, vn, sizeof(vn));
	if (main_v.transcode)
		printf("transcoding sessions %s: mix conferences of 2 legs (%s and %s), both talking "
		       "(a tone each), 20 ms, SRTP AES_CM_128_HMAC_SHA1_80, %.1f s runs (after 0.2 s "
		       "of warm-up) in real time on lcore %u%s\n", vn, main_v.c[0]->label,
		       main_v.c[1]->label, seconds, rte_lcore_id(),
		       cmp ? "; pcmu:pcmu first, same parameters" : "");
	else
		printf("mix conferences of %u legs, %u talkers, %s 20 ms%s, SRTP "
		       "AES_CM_128_HMAC_SHA1_80, %.1f s runs (after 0.2 s of warm-up) in real time on "
		       "lcore %u%s\n", legs, talkers, vn,
		       main_v.c[0]->leg_fmtp == NULL ? " (every leg sends every 20 ms, no DTX)" :
		       main_v.dtx ? " (silent legs in DTX)" : " (DTX off: every leg sends every 20 ms)",
		       seconds, rte_lcore_id(),
		       cmp ? "; PCMU first (every leg sends every 20 ms), same parameters" : "");
	struct result res[2][2]; /* [G.711, the variant][key group, individual] */
	memset(res, 0, sizeof(res));
	if (cmp)
		measure(&g711_v, &tmpl, want, confs, max_p, res[0]);
	measure(&main_v, &tmpl, want, confs, max_p, res[1]);

	bool tc = main_v.transcode;
	printf("%-12s %-26s %13s %11s %8s %18s %15s %11s\n", tc ? "sessions" : "codec", "keys",
	       tc ? "sessions" : "participants", "busy at it", "CPU got", tc ? "us per sess.+tick" :
	       "us per part.+tick", "projected/core", "bytes each");
	for (int x = cmp ? 0 : 1; x < 2; x++) {
		char n[32];
		variant_name(x ? &main_v : &g711_v, n, sizeof(n));
		for (int g = 0; g < 2; g++) {
			if (!want[g])
				continue;
			struct figures f = figures(&res[x][g], legs, confs);
			unsigned int per = tc ? 2 : 1; /* a session is 2 participants */
			printf("%-12s %-26s %13u %10.0f%% %7.0f%% %18.3f %15.0f %11.0f\n", n,
			       g == 0 ? "key group per conference" : "individual keys", f.parts / per,
			       100 * res[x][g].bz, 100 * res[x][g].got, f.us_pp * per, f.proj / per,
			       f.bpp);
		}
	}
	if (cmp)
		for (int g = 0; g < 2; g++) {
			if (!want[g])
				continue;
			struct figures a = figures(&res[0][g], legs, confs);
			struct figures b = figures(&res[1][g], legs, confs);
			printf("  %s / %s, %s: %.2fx the %s, %.2fx the projection per core\n", vn,
			       tc ? "pcmu:pcmu" : "pcmu", g == 0 ? "key group" : "individual keys",
			       a.parts ? (double)b.parts / a.parts : 0, tc ? "sessions" : "participants",
			       a.proj > 0 ? b.proj / a.proj : 0);
		}
	for (int g = 0; g < 2; g++) {
		const struct mxp_conf_memory *m = &res[1][g].mem;
		if (!want[g] || m->legs == 0)
			continue;
		double n = m->legs;
		printf("  %s, %s, bytes per participant: leg %.0f, receiver entry %.0f, SRTP stream "
		       "%.0f, key sessions %.0f, output streams %.0f, media leg and codecs %.0f, key "
		       "groups %.0f, mixer and conference %.0f\n", vn,
		       g == 0 ? "key group" : "individual keys",
		       m->leg_bytes / n, m->rcv_bytes / n, m->srtp_bytes / n, m->key_bytes / n,
		       m->ostream_bytes / n, m->media_bytes / n, m->keygroup_bytes / n,
		       (m->mixer_bytes + m->conf_bytes) / n);
	}
	bool ceiling = false;
	for (int x = 0; x < 2; x++)
		for (int g = 0; g < 2; g++)
			ceiling |= want[g] && (x == 1 || cmp) && res[x][g].best == max_p / legs;
	printf("(the most %s with no late tick and every packet accepted%s)\n",
	       tc ? "sessions" : "participants", confs ? "; one run" : ceiling ?
	       "; a figure at the ceiling is a lower bound" : "");
	printf("{\"benchmark\":\"mix\",\"lcore\":%u,\"codec\":\"%s\",\"transcode\":%s,\"dtx\":%s,"
	       "\"opus_complexity\":%d,"
	       "\"legs\":%u,\"talkers\":%u,\"seconds\":%.1f,\"search\":%s", rte_lcore_id(), vn,
	       tc ? "true" : "false", main_v.dtx ? "true" : "false",
	       opus_complexity >= 0 ? opus_complexity : 5, legs, talkers, seconds,
	       confs ? "false" : "true");
	json_fields("", res[1], legs, confs, tc);
	if (cmp)
		json_fields("g711_", res[0], legs, confs, tc);
	printf("}\n");
	rte_eal_cleanup();
	return 0;
}
