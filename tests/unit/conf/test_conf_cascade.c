/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Cascaded mix conferences (lib/conf cascade legs, lib/media cascade slots): two conference
 * systems in one process, each with an inline worker and a mix conference, joined by a pair
 * of cascade legs: what A's worker sends to A's cascade leg's remote (B's cascade leg) is
 * handed to B's worker and the other way round. Plain RTP participants send PCMU tones of
 * their own frequencies in real time; what each participant hears is decoded and a Goertzel
 * filter says which tones are in it and how loud: every other participant of both sides
 * once (the amplitude of one copy, not two), never its own. Top-N with more local talkers
 * than N leaves the cascade leg mixed. Refusals: switch and forward conferences, a
 * conference whose cascade slots are taken (add and modify), nothing changed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>

#include "mxp_be.h"
#include "mxp_conf.h"
#include "mxp_media_codec.h"
#include "mxp_test.h"
#include "mxp_test_audio.h"

#define AMP 8000.0
#define MAXS 48000 /* samples kept per listener: 6 s at 8 kHz */
#define CASC_A 21000
#define CASC_B 22000

static struct rte_mempool *pool, *hdr_pool;
static const struct rte_ether_addr our_mac = { { 2, 0, 0, 0, 0, 0x10 } };
static char err[320];

/* A plain RTP participant: sends PCMU of its tone (or nothing), keeps what it hears. */
struct party {
	struct mxp_ip addr;
	uint16_t port, seq;
	uint32_t ts, ssrc;
	double freq, amp;        /* 0: sends nothing */
	struct mxp_leg_info leg;
	int16_t *heard;
	unsigned int nheard;
};

/* One side: a system, its worker, its conference, its participants and cascade leg. */
struct side {
	struct mxp_conf_sys *sys;
	struct mxp_conf_worker *w;
	uint64_t drops[MXP_DROP_MAX];
	uint32_t conf;
	struct mxp_ip local;
	struct party *p;
	unsigned int np;
	struct mxp_leg_info casc;
	struct side *peer;
	/* frames for the peer's cascade leg, handed over after this worker's poll */
	struct rte_mbuf *q[256];
	unsigned int nq;
	uint64_t to_peer;
	/* the last cascade frame's RTP header: CSRC list and RFC 6464 extension (id 1) */
	unsigned int casc_cc;
	uint32_t casc_csrc[15];
	int casc_level;   /* -1: no level extension */
	bool casc_vad;
};

static struct mxp_ip
ip(const char *s)
{
	struct mxp_ip a;
	if (mxp_ip_parse(s, &a, NULL))
		abort();
	return a;
}

/* What a worker sends: to the cascade peer (queued for the peer's worker) or to a
 * participant (decoded and kept); anything else is freed. */
static void
io_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	struct side *s = arg;
	(void)port;
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint16_t len = rte_pktmbuf_data_len(m);
	if (rte_pktmbuf_pkt_len(m) != len) { /* a header chained to a shared payload */
		static uint8_t flat[2048];
		if (rte_pktmbuf_pkt_len(m) > sizeof(flat))
			abort();
		f = rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), flat);
		len = (uint16_t)rte_pktmbuf_pkt_len(m);
	}
	if (len < 42 + 12 || mxp_be_rd16(f + 12) != 0x0800 || f[23] != 17) {
		rte_pktmbuf_free(m);
		return;
	}
	uint16_t dport = mxp_be_rd16(f + 36);
	/* cascade legs' local ports are 21000-22999 here, participants' 40000 and up */
	if (dport >= 21000 && dport < 23000 && s->nq < RTE_DIM(s->q)) {
		const uint8_t *r = f + 42;
		s->casc_cc = r[0] & 0x0f;
		for (unsigned int i = 0; i < s->casc_cc && 12u + 4 * i + 4 <= len - 42u; i++)
			s->casc_csrc[i] = mxp_be_rd32(r + 12 + 4 * i);
		const uint8_t *x = r + 12 + 4 * s->casc_cc;
		s->casc_level = -1;
		if ((r[0] & 0x10) && x[0] == 0xbe && x[1] == 0xde && (x[4] >> 4) == 1 &&
		    (x[4] & 0x0f) == 0) {
			s->casc_level = x[5] & 0x7f;
			s->casc_vad = x[5] & 0x80;
		}
		if (rte_pktmbuf_pkt_len(m) != rte_pktmbuf_data_len(m)) {
			/* the peer's worker takes one contiguous frame, as a NIC gives it */
			struct rte_mbuf *c = rte_pktmbuf_alloc(pool);
			memcpy(rte_pktmbuf_append(c, len), f, len);
			rte_pktmbuf_free(m);
			m = c;
		}
		s->q[s->nq++] = m;
		s->to_peer++;
		return;
	}
	const uint8_t *rtp = f + 42;
	unsigned int rlen = len - 42u;
	if ((rtp[0] & 0xc0) == 0x80 && (rtp[1] & 0x7f) == 0 && !(rtp[0] & 0x30)) {
		unsigned int hl = 12u + 4u * (rtp[0] & 0x0f);
		for (unsigned int i = 0; i < s->np; i++) {
			struct party *pa = &s->p[i];
			if (pa->port != dport || hl >= rlen)
				continue;
			for (unsigned int k = hl; k < rlen && pa->nheard < MAXS; k++)
				pa->heard[pa->nheard++] = mxp_media_ulaw_dec1(rtp[k]);
		}
	}
	rte_pktmbuf_free(m);
}

static bool
io_neigh(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_ether_addr *mac)
{
	(void)arg, (void)port, (void)dst;
	memset(mac, 0x22, sizeof(*mac));
	return true;
}

static void
io_punt(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	(void)dst;
	io_tx(arg, port, m);
}

static void
side_init(struct side *s, const char *addr, uint16_t topn, enum mxp_conf_mode mode)
{
	memset(s, 0, sizeof(*s));
	s->local = ip(addr);
	struct mxp_conf_sys_params p = {
		.nb_workers = 1, .nb_addrs = 1, .port_min = 20000, .port_max = 29999,
		.pool = pool, .hdr_pool = hdr_pool, .inline_workers = true,
	};
	p.addrs[0].ip = s->local;
	p.addrs[0].mac = our_mac;
	s->sys = mxp_conf_sys_create(&p, err, sizeof(err));
	static const struct mxp_conf_io io = { .tx = io_tx, .neigh = io_neigh, .punt = io_punt };
	if (s->sys == NULL || (s->w = mxp_conf_worker_attach(s->sys, 0, &io, s, s->drops)) == NULL)
		abort();
	struct mxp_conf_params cp = { .mode = mode, .topn = topn };
	if (mxp_conf_create(s->sys, &cp, &s->conf, err, sizeof(err)))
		abort();
}

static void
side_fini(struct side *s)
{
	for (unsigned int i = 0; i < s->nq; i++)
		rte_pktmbuf_free(s->q[i]);
	s->nq = 0;
	mxp_conf_sys_destroy(s->sys);
	for (unsigned int i = 0; i < s->np; i++)
		free(s->p[i].heard);
}

static int
party_add(struct side *s, struct party *pa, unsigned int i, double freq, double amp)
{
	memset(pa, 0, sizeof(*pa));
	char a[32];
	snprintf(a, sizeof(a), "198.51.100.%u", 10 + i);
	pa->addr = ip(a);
	pa->port = (uint16_t)(40000 + 2 * i);
	pa->ssrc = 0x5000 + i;
	pa->seq = (uint16_t)(i * 1000);
	pa->ts = i * 100000;
	pa->freq = freq;
	pa->amp = amp;
	pa->heard = calloc(MAXS, sizeof(int16_t));
	struct mxp_leg_params lp = { .af = AF_INET, .remote_known = true, .remote = pa->addr,
				     .remote_port = pa->port, .mode = MXP_SM_SENDRECV,
				     .plain = true, .n_pt = 1, .pt = { 0 } };
	int r = mxp_conf_leg_add(s->sys, s->conf, &lp, &pa->leg, err, sizeof(err));
	if (r)
		printf("# leg add: %s\n", err);
	return r;
}

/* The cascade leg of a side: local port lport, remote the peer's address and rport. */
static uint8_t cascade_level_id; /* the cascade legs' RFC 6464 extension id (0: none) */

static int
cascade_add(struct side *s, uint16_t lport, const struct mxp_ip *raddr, uint16_t rport,
	    struct mxp_leg_info *info)
{
	struct mxp_leg_params lp = { .af = AF_INET, .local_port = lport, .remote_known = true,
				     .remote = *raddr, .remote_port = rport,
				     .mode = MXP_SM_SENDRECV, .plain = true, .n_pt = 1,
				     .pt = { 0 }, .cascade = true,
				     .audio_level_id = cascade_level_id };
	snprintf(lp.label, sizeof(lp.label), "cascade");
	err[0] = '\0';
	return mxp_conf_leg_add(s->sys, s->conf, &lp, info, err, sizeof(err));
}

/* One 20 ms PCMU packet of the participant's tone, into its side's worker. */
static void
party_send(struct side *s, struct party *pa)
{
	if (pa->amp == 0)
		return;
	uint8_t rtp[12 + 160];
	rtp[0] = 0x80;
	rtp[1] = 0;
	mxp_be_wr16(rtp + 2, pa->seq++);
	mxp_be_wr32(rtp + 4, pa->ts);
	mxp_be_wr32(rtp + 8, pa->ssrc);
	for (unsigned int i = 0; i < 160; i++)
		rtp[12 + i] = mxp_media_ulaw_enc1(
			(int16_t)(pa->amp * sin(2 * M_PI * pa->freq * (pa->ts + i) / 8000.0)));
	pa->ts += 160;
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct mxp_pkt_udp_addr a = { .src_mac = { { 2, 0, 0, 0, 0, 0x20 } }, .dst_mac = our_mac,
				      .src = pa->addr, .dst = pa->leg.local, .sport = pa->port,
				      .dport = pa->leg.local_port };
	uint16_t hl = mxp_pkt_udp_hdr_len(AF_INET);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + sizeof(rtp)));
	memcpy(f + hl, rtp, sizeof(rtp));
	mxp_pkt_build_udp(f, &a, sizeof(rtp), mxp_pkt_payload_sum(rtp, sizeof(rtp)));
	struct mxp_pkt_meta meta;
	if (mxp_pkt_parse(f, rte_pktmbuf_data_len(m), 0, &meta) != MXP_PKT_UDP)
		abort();
	if (!mxp_conf_rx(s->w, 0, m, &meta))
		rte_pktmbuf_free(m);
}

/* The frames a side queued for its peer's cascade leg, into the peer's worker. */
static void
hand_over(struct side *s)
{
	for (unsigned int i = 0; i < s->nq; i++) {
		struct rte_mbuf *m = s->q[i];
		struct mxp_pkt_meta meta;
		if (mxp_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_data_len(m), 0,
				  &meta) != MXP_PKT_UDP ||
		    !mxp_conf_rx(s->peer->w, 0, m, &meta))
			rte_pktmbuf_free(m);
	}
	s->nq = 0;
}

/* Run ms in real time: the participants send every 20 ms, both workers poll, the cascade
 * frames cross. */
static void
run(struct side *a, struct side *b, unsigned int ms)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	for (unsigned int k = 0; k < ms / 20;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			for (unsigned int i = 0; i < a->np; i++)
				party_send(a, &a->p[i]);
			for (unsigned int i = 0; i < b->np; i++)
				party_send(b, &b->p[i]);
			k++;
		}
		mxp_conf_worker_poll(a->w);
		hand_over(a);
		mxp_conf_worker_poll(b->w);
		hand_over(b);
	}
}

/* Amplitude of f in the last 500 ms a participant heard, over the whole window: what the
 * checks that a tone is absent read (the finest resolution, the lowest noise). */
static double
heard_amp(const struct party *pa, double f)
{
	if (pa->nheard < 4000)
		return 0;
	return mxp_test_tone_amp(pa->heard + pa->nheard - 4000, 4000, f, 8000.0);
}

/* The same 500 ms as the median of eight 62.5 ms blocks: what the checks that a tone is
 * heard at one copy's amplitude read. The test runs in real time, and a loaded machine
 * (a sanitizer build beside other tests) can deschedule it past a mix tick; the few blocks
 * with such a gap do not decide the reading. One copy still reads its amplitude, two copies
 * twice it, none nothing. */
static double
heard_level(const struct party *pa, double f)
{
	enum { BLOCKS = 8, BLK = 4000 / BLOCKS };
	if (pa->nheard < 4000)
		return 0;
	double a[BLOCKS];
	const int16_t *x = pa->heard + pa->nheard - 4000;
	for (unsigned int i = 0; i < BLOCKS; i++) {
		double v = mxp_test_tone_amp(x + i * BLK, BLK, f, 8000.0);
		unsigned int j = i;
		for (; j > 0 && a[j - 1] > v; j--)
			a[j] = a[j - 1];
		a[j] = v;
	}
	return (a[BLOCKS / 2 - 1] + a[BLOCKS / 2]) / 2;
}

static void
forget(struct side *s)
{
	for (unsigned int i = 0; i < s->np; i++)
		s->p[i].nheard = 0;
}

static void
pair(struct side *a, struct side *b)
{
	a->peer = b;
	b->peer = a;
}

/* Who hears whom: every participant of both sides hears every other talker at one copy's
 * amplitude and itself not at all. */
static void
check_hearing(struct mxp_test_ctx *t, struct side *sides[2])
{
	for (int x = 0; x < 2; x++)
		for (unsigned int i = 0; i < sides[x]->np; i++) {
			const struct party *li = &sides[x]->p[i];
			MXP_CHECK(t, li->nheard >= 4000);
			for (int y = 0; y < 2; y++)
				for (unsigned int j = 0; j < sides[y]->np; j++) {
					const struct party *tk = &sides[y]->p[j];
					if (tk->amp == 0)
						continue;
					bool self = li == tk;
					double amp = self ? heard_amp(li, tk->freq)
							  : heard_level(li, tk->freq);
					printf("# side %c party %u hears side %c party %u (%.0f Hz): "
					       "%.0f\n", 'A' + x, i, 'A' + y, j, tk->freq, amp);
					if (self)
						MXP_CHECK(t, amp < 0.02 * tk->amp);
					else
						MXP_CHECK(t, amp > 0.85 * tk->amp &&
							     amp < 1.15 * tk->amp);
				}
		}
}

/* Two sides of two participants each (three talkers, one listener), joined by a cascade
 * pair: everyone hears the others once, nobody itself, the cascade legs are shown so. */
MXP_TEST(two_sides_hear_each_other_once)
{
	struct side A, B;
	struct party pa[2], pb[2];
	side_init(&A, "192.0.2.2", 0, MXP_CONF_MIX);
	side_init(&B, "192.0.2.3", 0, MXP_CONF_MIX);
	pair(&A, &B);
	A.p = pa, A.np = 2, B.p = pb, B.np = 2;
	MXP_CHECK_EQ(t, party_add(&A, &pa[0], 0, 440, AMP), 0);
	MXP_CHECK_EQ(t, party_add(&A, &pa[1], 1, 700, AMP), 0);
	MXP_CHECK_EQ(t, party_add(&B, &pb[0], 2, 1100, AMP), 0);
	MXP_CHECK_EQ(t, party_add(&B, &pb[1], 3, 1500, 0), 0); /* listens only */
	MXP_CHECK_EQ(t, cascade_add(&A, CASC_A, &B.local, CASC_B, &A.casc), 0);
	MXP_CHECK_EQ(t, cascade_add(&B, CASC_B, &A.local, CASC_A, &B.casc), 0);
	MXP_CHECK(t, A.casc.cascade && B.casc.cascade && !pa[0].leg.cascade);
	struct mxp_conf_info ci;
	MXP_CHECK_EQ(t, mxp_conf_get(A.sys, A.conf, &ci), 0);
	MXP_CHECK(t, ci.nlegs == 3 && ci.ncascade == 1);

	run(&A, &B, 1200);
	struct side *both[2] = { &A, &B };
	check_hearing(t, both);
	MXP_CHECK(t, A.to_peer > 40 && B.to_peer > 40);
	struct mxp_leg_info li;
	MXP_CHECK_EQ(t, mxp_conf_leg_get(B.sys, B.casc.id, &li), 0);
	MXP_CHECK(t, li.st.rx_pkts > 40 && li.cascade);

	/* B's talker stops: B has nothing local to say, so A's cascade leg hears nothing
	 * from B (no silent packets either), and A's talkers still hear each other */
	pb[0].amp = 0;
	run(&A, &B, 600);
	uint64_t before = B.to_peer;
	forget(&A), forget(&B);
	run(&A, &B, 800);
	printf("# B sent its cascade peer %" PRIu64 " packets in 800 ms of local silence\n",
	       B.to_peer - before);
	MXP_CHECK(t, B.to_peer - before <= 2);
	MXP_CHECK(t, heard_level(&pa[0], 700) > 0.85 * AMP && heard_amp(&pa[0], 1100) < 50);
	MXP_CHECK(t, heard_level(&pb[1], 440) > 0.85 * AMP && heard_level(&pb[1], 700) > 0.85 * AMP);
	side_fini(&A);
	side_fini(&B);
}

/* Top-N: side A mixes 2 talkers and has 4 louder than B's one; the cascade leg is not one
 * of the N, so everyone on A still hears B's talker, and B hears exactly two of A's. */
MXP_TEST(topn_does_not_displace_the_cascade_leg)
{
	struct side A, B;
	struct party pa[5], pb[1];
	side_init(&A, "192.0.2.2", 2, MXP_CONF_MIX);
	side_init(&B, "192.0.2.3", 0, MXP_CONF_MIX);
	pair(&A, &B);
	A.p = pa, A.np = 5, B.p = pb, B.np = 1;
	static const double fa[4] = { 440, 700, 940, 1300 };
	for (unsigned int i = 0; i < 4; i++)
		MXP_CHECK_EQ(t, party_add(&A, &pa[i], i, fa[i], AMP), 0);
	MXP_CHECK_EQ(t, party_add(&A, &pa[4], 4, 1700, 0), 0); /* listens */
	MXP_CHECK_EQ(t, party_add(&B, &pb[0], 5, 560, 2000), 0); /* quieter than A's */
	MXP_CHECK_EQ(t, cascade_add(&A, CASC_A, &B.local, CASC_B, &A.casc), 0);
	MXP_CHECK_EQ(t, cascade_add(&B, CASC_B, &A.local, CASC_A, &B.casc), 0);
	run(&A, &B, 1200);
	double b_on_a = heard_level(&pa[4], 560);
	unsigned int heard_local = 0, heard_on_b = 0;
	for (unsigned int i = 0; i < 4; i++) {
		heard_local += heard_level(&pa[4], fa[i]) > 0.85 * AMP;
		heard_on_b += heard_level(&pb[0], fa[i]) > 0.85 * AMP;
	}
	printf("# A's listener: B's talker at %.0f, %u of A's 4 talkers; B hears %u\n", b_on_a,
	       heard_local, heard_on_b);
	MXP_CHECK(t, b_on_a > 0.85 * 2000 && b_on_a < 1.15 * 2000);
	MXP_CHECK_EQ(t, heard_local, 2u);
	MXP_CHECK_EQ(t, heard_on_b, 2u);
	/* every talker of A hears B, mixed or not */
	for (unsigned int i = 0; i < 4; i++)
		MXP_CHECK(t, heard_level(&pa[i], 560) > 0.85 * 2000);
	MXP_CHECK(t, heard_amp(&pb[0], 560) < 40);
	side_fini(&A);
	side_fini(&B);
}

/* A full mesh of three: A, B and C each with one talker; each side has a cascade leg to
 * each other side. Everyone hears the two others once: nothing is relayed (C's talker
 * does not reach A through B as well as directly, which would double it). */
MXP_TEST(three_sides_full_mesh_no_relay)
{
	/* three systems: A-B and A-C and B-C pairs, each a pair of cascade legs; the
	 * hand-over routes by destination port, so each side's peer is the one whose
	 * cascade leg the frame is for */
	struct side S[3];
	struct party p[3];
	static const double f[3] = { 440, 820, 1250 };
	static const char *addr[3] = { "192.0.2.2", "192.0.2.3", "192.0.2.4" };
	for (int i = 0; i < 3; i++) {
		side_init(&S[i], addr[i], 0, MXP_CONF_MIX);
		S[i].p = &p[i];
		S[i].np = 1;
		MXP_CHECK_EQ(t, party_add(&S[i], &p[i], (unsigned int)i, f[i], AMP), 0);
	}
	/* ports: side i's leg towards side j is 21000 + 100 * i + 2 * j */
	struct mxp_leg_info casc[3][3];
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++)
			if (i != j)
				MXP_CHECK_EQ(t, cascade_add(&S[i], (uint16_t)(21000 + 100 * i + 2 * j),
							    &S[j].local,
							    (uint16_t)(21000 + 100 * j + 2 * i),
							    &casc[i][j]), 0);
	/* run the three: the generic io_tx hands a side's frames to s->peer only, so
	 * route here by destination port instead */
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	for (unsigned int k = 0; k < 60;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			for (int i = 0; i < 3; i++)
				party_send(&S[i], &p[i]);
			k++;
		}
		for (int i = 0; i < 3; i++) {
			/* each side's peer for this poll: a dummy peer whose casc port matches
			 * nothing, and the queue is filled by port below */
			mxp_conf_worker_poll(S[i].w);
		}
		for (int i = 0; i < 3; i++) {
			for (unsigned int q = 0; q < S[i].nq; q++) {
				struct rte_mbuf *m = S[i].q[q];
				uint16_t dport = mxp_be_rd16(rte_pktmbuf_mtod(m, uint8_t *) + 36);
				int j = (dport - 21000) / 100;
				struct mxp_pkt_meta meta;
				if (j < 0 || j > 2 ||
				    mxp_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *),
						  rte_pktmbuf_data_len(m), 0, &meta) != MXP_PKT_UDP ||
				    !mxp_conf_rx(S[j].w, 0, m, &meta))
					rte_pktmbuf_free(m);
			}
			S[i].nq = 0;
		}
	}
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 3; j++) {
			double amp = i == j ? heard_amp(&p[i], f[j]) : heard_level(&p[i], f[j]);
			printf("# mesh: side %c hears side %c (%.0f Hz) at %.0f\n", 'A' + i, 'A' + j,
			       f[j], amp);
			if (i == j)
				MXP_CHECK(t, amp < 0.02 * AMP);
			else
				MXP_CHECK(t, amp > 0.85 * AMP && amp < 1.15 * AMP);
		}
	for (int i = 0; i < 3; i++)
		side_fini(&S[i]);
}

/* Refusals, nothing changed: switch and forward conferences, a full set of cascade legs
 * (add and modify), then a slot freed by a modify and by a removal. */
MXP_TEST(refusals)
{
	struct side A, B;
	side_init(&A, "192.0.2.2", 0, MXP_CONF_SWITCH);
	side_init(&B, "192.0.2.3", 5, MXP_CONF_MIX); /* 5 talkers: 3 cascade slots */
	struct mxp_ip far = ip("203.0.113.9");
	struct mxp_leg_info li;
	MXP_CHECK_EQ(t, cascade_add(&A, 0, &far, 30000, &li), -ENOTSUP);
	printf("# %s\n", err);
	MXP_CHECK(t, strstr(err, "cascade legs need a mix conference") != NULL);
	struct mxp_conf_info ci;
	MXP_CHECK_EQ(t, mxp_conf_get(A.sys, A.conf, &ci), 0);
	MXP_CHECK(t, ci.nlegs == 0 && ci.ncascade == 0);

	MXP_CHECK_EQ(t, mxp_conf_max_cascade(5), 3u);
	MXP_CHECK_EQ(t, mxp_conf_max_cascade(0), 4u);
	MXP_CHECK_EQ(t, mxp_conf_max_cascade(8), 0u);
	/* memory: the mixer holds its 5 talker slots, not the 3 cascade slots a conference
	 * that never cascades does not use; each cascade leg adds one (kept after: a
	 * conference that cascaded has at most as many as it had cascade legs at once) */
	const uint64_t slot = mxp_media_mixer_slot_size();
	struct mxp_conf_memory m0, m1;
	MXP_CHECK_EQ(t, mxp_conf_memory(B.sys, &m0), 0);
	struct mxp_media_mixer_params inl = { .ptime_ms = 20, .max_legs = 1024, .max_talkers = 5,
					      .max_cascade = 3 };
	MXP_CHECK_EQ(t, m0.mixer_bytes + 3 * slot, mxp_media_mixer_size(&inl));
	struct mxp_leg_info c[4];
	for (int i = 0; i < 3; i++) {
		MXP_CHECK_EQ(t, cascade_add(&B, 0, &far, (uint16_t)(30000 + 2 * i), &c[i]), 0);
		if (i == 0)
			MXP_CHECK_EQ(t, mxp_conf_memory(B.sys, &m1), 0); /* with the encoder */
	}
	struct mxp_conf_memory m3;
	MXP_CHECK_EQ(t, mxp_conf_memory(B.sys, &m3), 0);
	MXP_CHECK_EQ(t, m3.mixer_bytes, m1.mixer_bytes + 2 * slot);
	MXP_CHECK_EQ(t, cascade_add(&B, 0, &far, 30010, &c[3]), -ENOSPC);
	printf("# %s\n", err);
	MXP_CHECK(t, strstr(err, "already has its 3 cascade legs") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_get(B.sys, B.conf, &ci), 0);
	MXP_CHECK(t, ci.nlegs == 3 && ci.ncascade == 3);

	/* an ordinary leg cannot become a fourth one */
	struct party pb;
	B.p = &pb, B.np = 1;
	MXP_CHECK_EQ(t, party_add(&B, &pb, 0, 440, AMP), 0);
	struct mxp_leg_mod m = { .set_cascade = true, .cascade = true };
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(B.sys, pb.leg.id, &m, err, sizeof(err)), -ENOSPC);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(B.sys, pb.leg.id, &li), 0);
	MXP_CHECK(t, !li.cascade);
	/* one cascade leg becomes ordinary: the other can take its slot */
	struct mxp_leg_mod off = { .set_cascade = true, .cascade = false };
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(B.sys, c[0].id, &off, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(B.sys, pb.leg.id, &m, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(B.sys, pb.leg.id, &li), 0);
	MXP_CHECK(t, li.cascade);
	MXP_CHECK_EQ(t, mxp_conf_get(B.sys, B.conf, &ci), 0);
	MXP_CHECK(t, ci.nlegs == 4 && ci.ncascade == 3);
	/* a removal frees a slot */
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(B.sys, c[1].id, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, cascade_add(&B, 0, &far, 30012, &c[3]), 0);
	MXP_CHECK_EQ(t, mxp_conf_get(B.sys, B.conf, &ci), 0);
	MXP_CHECK(t, ci.nlegs == 4 && ci.ncascade == 3);
	/* no slot more than the 3 cascade legs it had at once */
	MXP_CHECK_EQ(t, mxp_conf_memory(B.sys, &m1), 0);
	MXP_CHECK_EQ(t, m1.mixer_bytes, m3.mixer_bytes);

	/* Modify makes the cascade leg that needs a slot: in a conference of 5 talkers
	 * (3 cascade slots) with none yet, an ordinary leg becomes one (a slot made, given
	 * to the mixer by the worker), then another with new codecs in the same Modify; a
	 * codec change of a cascade leg and one off and on again make none. The mixer
	 * refuses nothing the control core let through (the worker counts its refusals). */
	struct side C;
	side_init(&C, "192.0.2.4", 5, MXP_CONF_MIX);
	struct party pc[2];
	C.p = pc, C.np = 2;
	MXP_CHECK_EQ(t, party_add(&C, &pc[0], 0, 440, AMP), 0);
	MXP_CHECK_EQ(t, party_add(&C, &pc[1], 1, 550, AMP), 0);
	MXP_CHECK_EQ(t, mxp_conf_memory(C.sys, &m0), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(C.sys, pc[0].leg.id, &m, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_memory(C.sys, &m1), 0);
	MXP_CHECK_EQ(t, m1.mixer_bytes, m0.mixer_bytes + slot);
	struct mxp_leg_params pcma = { .n_pt = 1, .pt = { 8 } };
	struct mxp_leg_mod mc = { .set_cascade = true, .cascade = true };
	mxp_leg_mod_set_codecs(&mc, &pcma);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(C.sys, pc[1].leg.id, &mc, err, sizeof(err)), 0);
	struct mxp_leg_mod codecs_only = { 0 };
	mxp_leg_mod_set_codecs(&codecs_only, &pcma);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(C.sys, pc[0].leg.id, &codecs_only, err, sizeof(err)),
		     0);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(C.sys, pc[0].leg.id, &off, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(C.sys, pc[0].leg.id, &m, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_get(C.sys, C.conf, &ci), 0);
	MXP_CHECK(t, ci.ncascade == 2);
	MXP_CHECK_EQ(t, mxp_conf_memory(C.sys, &m3), 0);
	MXP_CHECK(t, m3.mixer_bytes >= m0.mixer_bytes + 2 * slot); /* and a PCMA encoder */
	struct mxp_conf_worker_stats ws;
	MXP_CHECK_EQ(t, mxp_conf_worker_stats(C.sys, 0, &ws), 0);
	MXP_CHECK_EQ(t, ws.mixer_refusals, 0u);
	MXP_CHECK_EQ(t, mxp_conf_worker_stats(B.sys, 0, &ws), 0);
	MXP_CHECK_EQ(t, ws.mixer_refusals, 0u);
	side_fini(&C);

	/* switch: making a leg a cascade leg is refused too */
	struct mxp_leg_params lp = { .af = AF_INET, .remote_known = true, .remote = far,
				     .remote_port = 30020, .plain = true };
	MXP_CHECK_EQ(t, mxp_conf_leg_add(A.sys, A.conf, &lp, &li, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(A.sys, li.id, &m, err, sizeof(err)), -ENOTSUP);
	side_fini(&A);
	side_fini(&B);
}

/* With an audio level extension id on the cascade legs, what A sends B names A's talkers
 * (the CSRC list, RFC 3550 7.1) and carries their level (RFC 6464); without one, neither. */
MXP_TEST(cascade_frames_name_the_talkers_and_their_level)
{
	struct side A, B;
	struct party pa[3], pb[1];
	side_init(&A, "192.0.2.2", 3, MXP_CONF_MIX);
	side_init(&B, "192.0.2.3", 3, MXP_CONF_MIX);
	pair(&A, &B);
	A.p = pa, A.np = 3, B.p = pb, B.np = 1;
	MXP_CHECK_EQ(t, party_add(&A, &pa[0], 0, 440, AMP / 2), 0);
	MXP_CHECK_EQ(t, party_add(&A, &pa[1], 1, 700, AMP / 2), 0);
	MXP_CHECK_EQ(t, party_add(&A, &pa[2], 2, 1000, 0), 0); /* listens */
	MXP_CHECK_EQ(t, party_add(&B, &pb[0], 3, 560, 0), 0);  /* listens */
	cascade_level_id = 1;
	MXP_CHECK_EQ(t, cascade_add(&A, CASC_A, &B.local, CASC_B, &A.casc), 0);
	MXP_CHECK_EQ(t, cascade_add(&B, CASC_B, &A.local, CASC_A, &B.casc), 0);
	cascade_level_id = 0;
	run(&A, &B, 600);
	/* two tones of amplitude AMP/2: mean power 2 * (AMP/2)^2 / 2 */
	double want = -10 * log10(2 * (AMP / 2) * (AMP / 2) / 2 / (32768.0 * 32768.0));
	printf("# A's cascade frames: %u CSRCs (%#x %#x), level %d (want %.1f), V %d\n", A.casc_cc,
	       A.casc_csrc[0], A.casc_csrc[1], A.casc_level, want, A.casc_vad);
	MXP_CHECK_EQ(t, A.casc_cc, 2u);
	MXP_CHECK(t, (A.casc_csrc[0] == pa[0].ssrc && A.casc_csrc[1] == pa[1].ssrc) ||
		     (A.casc_csrc[0] == pa[1].ssrc && A.casc_csrc[1] == pa[0].ssrc));
	MXP_CHECK(t, A.casc_level >= 0 && fabs(A.casc_level - want) <= 2.0);
	MXP_CHECK(t, A.casc_vad);
	/* B's listener still hears both of A's talkers, once (the header is parsed past) */
	MXP_CHECK(t, heard_level(&pb[0], 440) > 0.85 * AMP / 2 &&
			     heard_level(&pb[0], 440) < 1.15 * AMP / 2);
	MXP_CHECK(t, heard_level(&pb[0], 700) > 0.85 * AMP / 2 &&
			     heard_level(&pb[0], 700) < 1.15 * AMP / 2);
	side_fini(&A);
	side_fini(&B);

	/* no extension id: a plain RTP header */
	side_init(&A, "192.0.2.2", 3, MXP_CONF_MIX);
	side_init(&B, "192.0.2.3", 3, MXP_CONF_MIX);
	pair(&A, &B);
	A.p = pa, A.np = 2, B.p = pb, B.np = 1;
	MXP_CHECK_EQ(t, party_add(&A, &pa[0], 0, 440, AMP / 2), 0);
	MXP_CHECK_EQ(t, party_add(&A, &pa[1], 1, 700, AMP / 2), 0);
	MXP_CHECK_EQ(t, party_add(&B, &pb[0], 3, 560, 0), 0);
	MXP_CHECK_EQ(t, cascade_add(&A, CASC_A, &B.local, CASC_B, &A.casc), 0);
	MXP_CHECK_EQ(t, cascade_add(&B, CASC_B, &A.local, CASC_A, &B.casc), 0);
	run(&A, &B, 300);
	MXP_CHECK(t, A.to_peer > 0 && A.casc_cc == 0 && A.casc_level == -1);
	side_fini(&A);
	side_fini(&B);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(two_sides_hear_each_other_once),
	MXP_CASE(topn_does_not_displace_the_cascade_leg),
	MXP_CASE(three_sides_full_mesh_no_relay),
	MXP_CASE(refusals),
	MXP_CASE(cascade_frames_name_the_talkers_and_their_level),
};

int
main(int argc, char **argv)
{
	if (mxp_test_eal_init(argv[0]) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_pool", 8191, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("test_hdr", 8191, 0, 0, 256, 0);
	if (pool == NULL || hdr_pool == NULL)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
