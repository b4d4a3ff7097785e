/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP of lib/conf (RFC 3550) with libsrtp2 as the participants: media goes in through
 * mxp_conf_rx() (inline worker, real time), then the report timer runs in simulated time
 * (conf_tick() with TSC values ahead of the clock). Every report is decrypted by the
 * participant's libsrtp2 session and parsed here, independently of lib/conf: compound
 * structure, SR counts against the RTP the participant decrypted, NTP/RTP consistency,
 * report blocks against a reference computation from what was sent (loss, sequence wrap,
 * RFC 3550 6.4.1 jitter in floating point from the arrival times), LSR/DLSR, the intervals'
 * bounds, and BYE when a leg leaves.
 */
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_random.h>
#include <srtp2/srtp.h>

#include "mxp_conf.h"
#include "mxp_conf_quality.h"
#include "mxp_media_codec.h"
#include "mxp_rtp.h"
#include "mxp_test.h"
#include "conf_priv.h"

#define MAXF 8192

static struct rte_mempool *pool, *hdr_pool;
static struct mxp_conf_worker *g_w;
static uint64_t drops[MXP_DROP_MAX];
static uint64_t g_sim; /* simulated TSC while the timer runs ahead; 0 = real time */
static const struct rte_ether_addr our_mac = { { 2, 0, 0, 0, 0, 0x10 } };
static const struct rte_ether_addr peer_mac = { { 2, 0, 0, 0, 0, 0x20 } };

static struct {
	struct rte_mbuf *m;
	uint64_t when;
} sent[MAXF];
static unsigned int nsent;

static void
io_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg, (void)port;
	uint64_t now = rte_rdtsc();
	if (nsent < MAXF)
		sent[nsent++] = (typeof(sent[0])){ m, g_sim > now ? g_sim : now };
	else
		rte_pktmbuf_free(m);
}

static bool
io_neigh(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_ether_addr *mac)
{
	(void)arg, (void)port, (void)dst;
	*mac = peer_mac;
	return true;
}

static void
io_punt(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	(void)dst;
	io_tx(arg, port, m);
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
	struct mxp_conf_sys_params p = {
		.nb_workers = 1, .nb_addrs = 1, .port_min = 20000, .port_max = 29999,
		.pool = pool, .hdr_pool = hdr_pool, .inline_workers = true,
	};
	p.addrs[0] = (struct mxp_conf_addr){ .port_idx = 0, .ip = ip("192.0.2.2"), .mac = our_mac };
	struct mxp_conf_sys *sys = mxp_conf_sys_create(&p, NULL, 0);
	if (sys == NULL)
		abort();
	static const struct mxp_conf_io io = { .tx = io_tx, .neigh = io_neigh, .punt = io_punt };
	memset(drops, 0, sizeof(drops));
	g_w = mxp_conf_worker_attach(sys, 0, &io, NULL, drops);
	if (g_w == NULL)
		abort();
	g_sim = 0;
	sent_clear();
	return sys;
}

/* ---- participants ------------------------------------------------------------------------- */

/* What a participant decrypted of one SSRC the MRFP sent it. */
struct rtp_seen {
	uint32_t ssrc;
	uint32_t n, octets, last_ts;
	uint64_t last_when;
};

/* A parsed report (one compound). */
struct report {
	uint64_t when;
	int len;                 /* of the compound, decrypted */
	uint8_t first_pt;        /* 200 SR, 201 RR */
	uint32_t ssrc;           /* of the first packet */
	uint64_t ntp;            /* SR */
	uint32_t rtp, pkts, octets;
	uint8_t nblk;
	uint8_t blk[24];         /* the first block */
	uint32_t sr_ssrc[16], sr_rtp[16], sr_pkts[16], sr_octets[16];
	uint64_t sr_ntp[16];
	unsigned int nsr;        /* every SR of the compound (the first included) */
	uint32_t cname_ssrc[16];
	unsigned int ncname;
	uint32_t bye[16];
	unsigned int nbye;
};

struct peer {
	uint8_t in_key[30], out_key[30];
	srtp_t tx, rx;
	uint32_t ssrc;
	uint16_t seq;
	uint32_t ts;
	uint8_t pt;              /* of its RTP packets (0: PCMU) */
	struct mxp_ip addr;
	uint16_t port;
	bool mux;
	uint16_t rtcp_port;      /* behind a NAT: its RTCP port (0: port + 1, or port with mux) */
	bool mki;                /* the MRFP sends it with MKI 1 (rx holds that key only) */
	struct mxp_leg_info leg;
	struct rtp_seen seen[8];
	unsigned int nseen;
	struct report rep[64];
	unsigned int nrep;
	unsigned int bad;        /* frames it could not decrypt or parse */
};

static void
key_fill(uint8_t k[30], unsigned int seed)
{
	for (int i = 0; i < 30; i++)
		k[i] = (uint8_t)(seed * 37 + i * 5 + 3);
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

static srtp_t
srtp_session(uint8_t key[30], bool inbound, uint32_t ssrc)
{
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_rtp_default(&pol.rtp);
	srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_specific;
	pol.ssrc.value = ssrc;
	pol.key = key;
	pol.window_size = 1024;
	srtp_t s;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		abort();
	return s;
}

static void
peer_init(struct peer *pr, unsigned int in_seed, unsigned int out_seed, const char *addr,
	  uint16_t port, uint16_t seq0)
{
	memset(pr, 0, sizeof(*pr));
	key_fill(pr->in_key, in_seed);
	key_fill(pr->out_key, out_seed);
	pr->ssrc = 0x5000 + in_seed;
	pr->seq = seq0;
	pr->ts = in_seed * 7777;
	pr->tx = srtp_session(pr->in_key, false, pr->ssrc);
	pr->rx = srtp_session(pr->out_key, true, 0);
	pr->addr = ip(addr);
	pr->port = port;
}

static void
peer_fini(struct peer *pr)
{
	srtp_dealloc(pr->tx);
	srtp_dealloc(pr->rx);
}

/* A leg with the media parameters of x (payload types, codecs, clock, b= bandwidths). */
static int
add_leg_x(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, enum mxp_stream_mode mode,
	  const struct mxp_leg_params *x)
{
	struct mxp_leg_params lp = *x;
	lp.af = pr->addr.af;
	lp.remote_known = true;
	lp.remote = pr->addr;
	lp.remote_port = pr->port;
	lp.rtcp_mux = pr->mux;
	lp.mode = mode;
	conf_key(&lp.in, pr->in_key);
	conf_key(&lp.out, pr->out_key);
	char err[256] = "";
	int r = mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, sizeof(err));
	if (r)
		printf("# leg_add: %s\n", err);
	return r;
}

static int
add_leg(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, enum mxp_stream_mode mode)
{
	static const struct mxp_leg_params none;
	return add_leg_x(sys, conf, pr, mode, &none);
}

static uint16_t
rtcp_port_of(const struct peer *pr)
{
	if (pr->rtcp_port != 0)
		return pr->rtcp_port;
	return pr->mux ? pr->port : (uint16_t)(pr->port + 1);
}

/* A frame from the participant to its leg (RTP or RTCP port). */
static void
deliver(const struct peer *pr, bool rtcp, const uint8_t *pl, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint16_t sport = rtcp ? rtcp_port_of(pr) : pr->port;
	uint16_t dport = rtcp && !pr->mux ? pr->leg.local_rtcp_port : pr->leg.local_port;
	struct mxp_pkt_udp_addr a = { .src_mac = peer_mac, .dst_mac = our_mac, .src = pr->addr,
				      .dst = pr->leg.local, .sport = sport, .dport = dport };
	uint16_t hl = mxp_pkt_udp_hdr_len(pr->addr.af);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + len));
	memcpy(f + hl, pl, len);
	mxp_pkt_build_udp(f, &a, len, mxp_pkt_payload_sum(pl, len));
	struct mxp_pkt_meta meta;
	if (mxp_pkt_parse(f, rte_pktmbuf_data_len(m), 0, &meta) != MXP_PKT_UDP ||
	    !mxp_conf_rx(g_w, 0, m, &meta))
		abort();
}

/* An RTP packet of 160 PCMU bytes with timestamp ts (the caller moves seq and ts). */
static void
send_rtp(struct peer *pr, uint16_t seq, uint32_t ts, bool loud)
{
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	buf[0] = 0x80;
	buf[1] = pr->pt;
	mxp_be_wr16(buf + 2, seq);
	mxp_be_wr32(buf + 4, ts);
	mxp_be_wr32(buf + 8, pr->ssrc);
	for (int i = 0; i < 160; i++) {
		double x = loud ? 12000.0 * sin(2 * M_PI * 440.0 * (ts + i) / 8000.0)
				: (double)((i * 7) % 5 - 2);
		buf[12 + i] = mxp_media_ulaw_enc1((int16_t)x);
	}
	int len = 12 + 160;
	if (srtp_protect(pr->tx, buf, &len) != srtp_err_status_ok)
		abort();
	deliver(pr, false, buf, (uint16_t)len);
}

/* The participant's own SR (NTP time ntp), SRTCP. */
static void
send_sr(struct peer *pr, uint64_t ntp)
{
	uint8_t buf[128];
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x80;
	buf[1] = 200;
	mxp_be_wr16(buf + 2, 6);
	mxp_be_wr32(buf + 4, pr->ssrc);
	mxp_be_wr64(buf + 8, ntp);
	mxp_be_wr32(buf + 16, pr->ts);
	int len = 28;
	if (srtp_protect_rtcp(pr->tx, buf, &len) != srtp_err_status_ok)
		abort();
	deliver(pr, true, buf, (uint16_t)len);
}

/* ---- an independent RTCP parser ------------------------------------------------------------- */

/* Parse a compound RTCP packet (RFC 3550 6.1); false if it breaks a rule. */
static bool
parse_compound(const uint8_t *p, int len, struct report *r)
{
	if (len < 8 || (p[1] != 200 && p[1] != 201))
		return false; /* a compound starts with SR or RR */
	bool sdes = false;
	for (int off = 0; off < len;) {
		if (len - off < 4)
			return false;
		const uint8_t *h = p + off;
		int plen = 4 * (mxp_be_rd16(h + 2) + 1);
		uint8_t cnt = h[0] & 0x1f;
		if ((h[0] >> 6) != 2 || (h[0] & 0x20) || plen > len - off)
			return false;
		switch (h[1]) {
		case 200:
		case 201: {
			int fixed = h[1] == 200 ? 28 : 8;
			if (plen != fixed + 24 * cnt)
				return false;
			if (off == 0) {
				r->first_pt = h[1];
				r->ssrc = mxp_be_rd32(h + 4);
				r->nblk = cnt;
				if (cnt)
					memcpy(r->blk, h + fixed, 24);
			}
			if (h[1] == 200 && r->nsr < 16) {
				r->sr_ssrc[r->nsr] = mxp_be_rd32(h + 4);
				r->sr_ntp[r->nsr] = mxp_be_rd64(h + 8);
				r->sr_rtp[r->nsr] = mxp_be_rd32(h + 16);
				r->sr_pkts[r->nsr] = mxp_be_rd32(h + 20);
				r->sr_octets[r->nsr++] = mxp_be_rd32(h + 24);
			}
			break;
		}
		case 202: {
			sdes = true;
			int k = 4;
			for (unsigned int c = 0; c < cnt; c++) {
				if (k + 4 > plen)
					return false;
				uint32_t ssrc = mxp_be_rd32(h + k);
				k += 4;
				bool cname = false;
				while (k < plen && h[k] != 0) {
					if (k + 2 > plen || k + 2 + h[k + 1] > plen)
						return false;
					cname |= h[k] == 1 && h[k + 1] > 0;
					k += 2 + h[k + 1];
				}
				if (k >= plen)
					return false;
				k = (k + 4) & ~3; /* END, then to the next 32-bit boundary */
				if (cname && r->ncname < 16)
					r->cname_ssrc[r->ncname++] = ssrc;
			}
			if (k != plen)
				return false;
			break;
		}
		case 203:
			if (plen < 4 + 4 * cnt)
				return false;
			for (unsigned int c = 0; c < cnt && r->nbye < 16; c++)
				r->bye[r->nbye++] = mxp_be_rd32(h + 4 + 4 * c);
			break;
		default:
			break;
		}
		off += plen;
	}
	return sdes;
}

/* Every SSRC a compound's SR/RR packets name has a CNAME. */
static bool
cnames_complete(const struct report *r)
{
	for (unsigned int i = 0; i <= r->nsr; i++) {
		uint32_t s = i < r->nsr ? r->sr_ssrc[i] : r->ssrc;
		bool found = false;
		for (unsigned int k = 0; k < r->ncname; k++)
			found |= r->cname_ssrc[k] == s;
		if (!found)
			return false;
	}
	return true;
}

static struct peer *g_peers[8];
static unsigned int g_npeers;

/* Hand what was sent to the participants: RTP counted per SSRC, RTCP parsed into reports. */
static void
distribute(void)
{
	for (unsigned int i = 0; i < nsent; i++) {
		uint8_t f[2048], buf[2048];
		uint32_t flen = rte_pktmbuf_pkt_len(sent[i].m);
		if (flen > sizeof(f))
			abort();
		const uint8_t *fp = rte_pktmbuf_read(sent[i].m, 0, flen, f);
		struct mxp_pkt_meta meta;
		if (mxp_pkt_parse(fp, flen, 0, &meta) != MXP_PKT_UDP)
			abort();
		struct peer *pr = NULL;
		for (unsigned int k = 0; k < g_npeers; k++)
			if (mxp_ip_equal(&meta.dst, &g_peers[k]->addr))
				pr = g_peers[k];
		if (pr == NULL)
			abort();
		int len = (int)meta.l4_payload_len;
		memcpy(buf, fp + meta.l2_len + meta.l3_len + 8, (size_t)len);
		bool rtcp = meta.dport == rtcp_port_of(pr) && (!pr->mux || (buf[1] >= 200 && buf[1] <= 204));
		if (!rtcp) {
			if (meta.dport != pr->port ||
			    srtp_unprotect_mki(pr->rx, buf, &len, pr->mki) != srtp_err_status_ok) {
				pr->bad++;
				continue;
			}
			uint32_t ssrc = mxp_be_rd32(buf + 8);
			unsigned int k;
			for (k = 0; k < pr->nseen && pr->seen[k].ssrc != ssrc; k++)
				;
			if (k == pr->nseen && pr->nseen < 8)
				pr->seen[pr->nseen++] = (struct rtp_seen){ .ssrc = ssrc };
			if (k < 8) {
				pr->seen[k].n++;
				pr->seen[k].octets += (uint32_t)len - 12;
				pr->seen[k].last_ts = mxp_be_rd32(buf + 4);
				pr->seen[k].last_when = sent[i].when;
			}
			continue;
		}
		/* the RTCP port, from the leg's local RTCP port */
		if (meta.sport != (pr->mux ? pr->leg.local_port : pr->leg.local_rtcp_port) ||
		    srtp_unprotect_rtcp_mki(pr->rx, buf, &len, pr->mki) != srtp_err_status_ok ||
		    pr->nrep == RTE_DIM(pr->rep)) {
			pr->bad++;
			continue;
		}
		struct report *r = &pr->rep[pr->nrep];
		memset(r, 0, sizeof(*r));
		r->when = sent[i].when;
		r->len = len;
		if (!parse_compound(buf, len, r) || !cnames_complete(r)) {
			pr->bad++;
			continue;
		}
		pr->nrep++;
	}
	sent_clear();
}

static const struct rtp_seen *
seen_of(const struct peer *pr, uint32_t ssrc)
{
	for (unsigned int k = 0; k < pr->nseen; k++)
		if (pr->seen[k].ssrc == ssrc)
			return &pr->seen[k];
	return NULL;
}

static struct mxp_conf *
conf_of(struct mxp_conf_sys *sys, uint32_t id)
{
	return conf_find(sys, id)->conf;
}

/* Run the worker's timer in simulated time for `ms`, in 100 ms steps. */
static void
run_sim(uint64_t ms)
{
	uint64_t hz = rte_get_tsc_hz();
	if (g_sim == 0)
		g_sim = rte_rdtsc();
	for (uint64_t k = 0; k < ms / 100; k++) {
		g_sim += hz / 10;
		conf_tick(g_w, g_sim);
		distribute();
	}
}

/* The reference loss and jitter of what a participant sent (RFC 3550 6.4.1, A.3). */
struct ref {
	uint32_t first, ext_max, received;
	double jitter;
	uint64_t prev_arr;
	uint32_t prev_ts;
	bool any;
};

static void
ref_add(struct ref *rf, uint32_t ext_seq, uint32_t ts, uint64_t arr, uint32_t clock)
{
	if (!rf->any) {
		rf->first = ext_seq;
		rf->any = true;
	} else {
		double d = (double)(int64_t)(arr - rf->prev_arr) * clock / (double)rte_get_tsc_hz() -
			   (double)(int32_t)(ts - rf->prev_ts);
		rf->jitter += (fabs(d) - rf->jitter) / 16;
	}
	rf->ext_max = ext_seq;
	rf->received++;
	rf->prev_arr = arr;
	rf->prev_ts = ts;
}

/* Check a report block against the reference (everything since the start: the first). */
static void
check_block(struct mxp_test_ctx *t, const struct report *r, const struct peer *pr,
	    const struct ref *rf, const char *who)
{
	MXP_CHECK_EQ(t, r->nblk, 1);
	MXP_CHECK_EQ(t, mxp_be_rd32(r->blk), pr->ssrc);
	uint32_t expected = rf->ext_max - rf->first + 1;
	uint32_t lost = expected - rf->received;
	uint8_t fraction = (uint8_t)((lost * 256) / expected);
	uint32_t w = mxp_be_rd32(r->blk + 4);
	MXP_CHECK_EQ(t, w >> 24, fraction);
	MXP_CHECK_EQ(t, w & 0xffffff, lost);
	MXP_CHECK_EQ(t, mxp_be_rd32(r->blk + 8), rf->ext_max);
	double j = mxp_be_rd32(r->blk + 12);
	if (!MXP_CHECK(t, fabs(j - rf->jitter) <= 2 + rf->jitter * 0.05))
		printf("#   %s: jitter %.0f, reference %.2f\n", who, j, rf->jitter);
}

/* The intervals between a participant's reports stay in RFC 3550 6.3's bounds. */
static void
check_intervals(struct mxp_test_ctx *t, const struct peer *pr, const char *who)
{
	double hz = (double)rte_get_tsc_hz(), sum = 0, sq = 0;
	unsigned int n = 0;
	for (unsigned int i = 1; i < pr->nrep; i++) {
		if (pr->rep[i].nbye)
			break;
		double s = (double)(pr->rep[i].when - pr->rep[i - 1].when) / hz;
		/* [0.5, 1.5] x 5 s, plus the 500 ms walk and the 100 ms step */
		if (!MXP_CHECK(t, s >= 2.5 - 0.01 && s <= 7.5 + 0.61))
			printf("#   %s: interval %u is %.3f s\n", who, i, s);
		sum += s;
		sq += s * s;
		n++;
	}
	MXP_CHECK(t, n >= 8);
	if (n >= 8) {
		double mean = sum / n, sd = sqrt(sq / n - mean * mean);
		printf("#   %s: %u intervals, mean %.2f s, sd %.2f s\n", who, n, mean, sd);
		MXP_CHECK(t, mean > 3.5 && mean < 6.8); /* 5 s + the walk's delay, on average */
		MXP_CHECK(t, sd > 0.2);                 /* randomised, not a fixed timer */
	}
}

/* ---- tests ----------------------------------------------------------------------------------- */

static uint32_t
new_conf(struct mxp_conf_sys *sys, enum mxp_conf_mode mode)
{
	struct mxp_conf_params cp = { .mode = mode };
	uint32_t id = 0;
	if (mxp_conf_create(sys, &cp, &id, NULL, 0))
		abort();
	return id;
}

/*
 * A mix conference of three: b talks (it hears its private mix), a and c listen to the
 * shared mix (one key group for a and c: the same stream and SSRC). a sends with loss, a
 * sequence wrap and jittered timestamps, and an SR of its own; c uses rtcp-mux. Then the
 * timer runs 60 simulated seconds: each participant gets reports it decrypts and parses,
 * the SRs count what it decrypted, NTP and RTP times move together, the report blocks
 * match the reference, the intervals are RFC 3550's, senders that stopped become RR-only
 * after two intervals; c leaving and the conference's end send BYEs.
 */
MXP_TEST(mix_reports)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	static struct peer a, b, cc;
	peer_init(&a, 1, 90, "192.0.2.11", 7000, 65500); /* wraps */
	peer_init(&b, 2, 91, "192.0.2.12", 7002, 100);
	peer_init(&cc, 3, 90, "192.0.2.13", 7004, 4000); /* a's group: the same key */
	cc.mux = true;
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b, g_peers[g_npeers++] = &cc;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &cc, MXP_SM_SENDRECV), 0);
	struct mxp_conf *cf = conf_of(sys, c);
	cf->next_sr_walk = UINT64_MAX; /* no reports while the media runs in real time */

	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	struct ref ra = { 0 };
	uint32_t a_ext = 65500;
	const unsigned int N = 60;
	uint64_t a_sr_at = 0;
	srand(7);
	for (unsigned int k = 0; k < N;) {
		if (rte_rdtsc() < t0 + (uint64_t)k * hz / 50) {
			mxp_conf_worker_poll(g_w);
			distribute();
			continue;
		}
		/* a: every 7th packet lost, timestamps off their 20 ms by up to +-4 ms */
		uint32_t ts = a.ts + 160 * k + (uint32_t)(rand() % 65) - 32;
		if (k % 7 != 3) {
			send_rtp(&a, (uint16_t)a_ext, ts, false);
			uint64_t arr = rte_rdtsc();
			mxp_conf_flush(g_w);
			ref_add(&ra, a_ext, ts, arr, 8000);
		}
		a_ext++;
		send_rtp(&b, b.seq++, b.ts, true);
		b.ts += 160;
		send_rtp(&cc, cc.seq++, cc.ts, false);
		cc.ts += 160;
		if (k == N / 2) { /* a's SR: its NTP time comes back as LSR */
			send_sr(&a, 0x0123456789abcdefull);
			a_sr_at = rte_rdtsc();
			mxp_conf_flush(g_w);
		}
		k++;
		mxp_conf_worker_poll(g_w);
		distribute();
	}
	MXP_CHECK_EQ(t, a.bad + b.bad + cc.bad, 0);
	/* a and c heard the shared mix (one SSRC), b its private one */
	MXP_CHECK(t, a.nseen == 1 && cc.nseen == 1 && a.seen[0].ssrc == cc.seen[0].ssrc);
	MXP_CHECK(t, b.nseen >= 1 && a.seen[0].n > 20);
	const struct rtp_seen *bpriv = b.nseen ? &b.seen[b.nseen - 1] : NULL;
	MXP_CHECK(t, bpriv && bpriv->ssrc != a.seen[0].ssrc && bpriv->n > 20);

	cf->next_sr_walk = 0;
	run_sim(60000);
	struct peer *all[3] = { &a, &b, &cc };
	const char *names[3] = { "a", "b", "c" };
	for (int i = 0; i < 3; i++) {
		struct peer *pr = all[i];
		MXP_CHECK_EQ(t, pr->bad, 0);
		if (!MXP_CHECK(t, pr->nrep >= 9))
			continue;
		check_intervals(t, pr, names[i]);
		/* the first report: an SR of a stream it heard, counts as it decrypted them */
		const struct report *r = &pr->rep[0];
		MXP_CHECK_EQ(t, r->first_pt, 200);
		for (unsigned int s = 0; s < r->nsr; s++) {
			const struct rtp_seen *sn = seen_of(pr, r->sr_ssrc[s]);
			if (!MXP_CHECK(t, sn != NULL))
				continue;
			MXP_CHECK_EQ(t, r->sr_pkts[s], sn->n);
			MXP_CHECK_EQ(t, r->sr_octets[s], sn->octets);
			/* the SR's RTP time is the stream's clock run on from its last packet
			 * (8 kHz): within 40 ms of the time that passed since it was sent */
			double dt = (double)(r->when - sn->last_when) / (double)hz;
			double du = (double)(int32_t)(r->sr_rtp[s] - sn->last_ts);
			if (!MXP_CHECK(t, fabs(du - dt * 8000) <= 320))
				printf("#   %s: SR rtp %+.0f units after the last packet, %.3f s later\n",
				       names[i], du, dt);
			/* the NTP time is the wall clock's (within a second: the simulated time
			 * runs ahead of it by what was simulated) */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			double wall = (double)ts.tv_sec + 2208988800.0 + ts.tv_nsec / 1e9 +
				      (double)(int64_t)(r->when - rte_rdtsc()) / (double)hz;
			MXP_CHECK(t, fabs((double)r->sr_ntp[s] / 4294967296.0 - wall) < 1.0);
		}
		/* every later SR of a stream: RTP and NTP advanced alike */
		for (unsigned int k = 1; k < pr->nrep; k++)
			for (unsigned int s = 0; s < pr->rep[k].nsr; s++)
				for (unsigned int q = 0; q < pr->rep[0].nsr; q++) {
					if (pr->rep[0].sr_ssrc[q] != pr->rep[k].sr_ssrc[s])
						continue;
					double dn = (double)(pr->rep[k].sr_ntp[s] - pr->rep[0].sr_ntp[q]) /
						    4294967296.0;
					double du = (double)(int32_t)(pr->rep[k].sr_rtp[s] -
								      pr->rep[0].sr_rtp[q]);
					MXP_CHECK(t, fabs(du - dn * 8000) <= 2);
					double dw = (double)(pr->rep[k].when - pr->rep[0].when) / hz;
					MXP_CHECK(t, fabs(dn - dw) < 0.001);
				}
		/* the media stopped: after two intervals, receiver reports only (no SR) */
		const struct report *last = &pr->rep[pr->nrep - 1];
		MXP_CHECK_EQ(t, last->first_pt, 201);
		MXP_CHECK_EQ(t, last->nsr, 0);
		MXP_CHECK_EQ(t, last->nblk, 0); /* nothing received since the last report */
	}
	/* a's block: loss, the wrap, jitter, LSR and DLSR */
	check_block(t, &a.rep[0], &a, &ra, "a");
	MXP_CHECK_EQ(t, mxp_be_rd32(a.rep[0].blk + 16), 0x456789abu);
	double dlsr = mxp_be_rd32(a.rep[0].blk + 20) / 65536.0;
	double want = (double)(a.rep[0].when - a_sr_at) / (double)hz;
	MXP_CHECK(t, fabs(dlsr - want) < 0.001);
	MXP_CHECK(t, ra.ext_max > 65536); /* the sequence wrapped */
	/* b and c lost nothing: each block says so */
	for (int i = 1; i < 3; i++) {
		uint32_t w = mxp_be_rd32(all[i]->rep[0].blk + 4);
		MXP_CHECK_EQ(t, all[i]->rep[0].nblk, 1);
		MXP_CHECK_EQ(t, w, 0);
		MXP_CHECK_EQ(t, mxp_be_rd32(all[i]->rep[0].blk), all[i]->ssrc);
	}
	/* c leaves: a BYE of the stream it got, under its key, to its (muxed) RTCP port */
	unsigned int before = cc.nrep;
	g_sim = 0;
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, cc.leg.id, NULL, NULL, 0), 0);
	distribute();
	MXP_CHECK_EQ(t, cc.nrep, before + 1);
	MXP_CHECK_EQ(t, cc.bad, 0);
	if (cc.nrep == before + 1) {
		const struct report *r = &cc.rep[before];
		MXP_CHECK(t, r->nbye >= 1 && r->bye[0] == cc.seen[0].ssrc);
	}
	/* the conference ends: a and b hear BYE of theirs (b: the shared and private) */
	unsigned int na = a.nrep, nb = b.nrep;
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, NULL, 0), 0);
	distribute();
	MXP_CHECK(t, a.nrep == na + 1 && a.rep[na].nbye == 1 && a.rep[na].bye[0] == a.seen[0].ssrc);
	MXP_CHECK(t, b.nrep == nb + 1 && b.rep[nb].nbye == 2);
	struct mxp_leg_info li;
	MXP_CHECK(t, mxp_conf_leg_get(sys, a.leg.id, &li) != 0); /* gone */
	peer_fini(&a), peer_fini(&b), peer_fini(&cc);
	mxp_conf_sys_destroy(sys);
}

/*
 * A switch conference with individual keys: a and b talk, c only listens (recvonly), d only
 * sends (sendonly: the MRFP sends it no media, yet it gets receiver reports about its
 * stream). Each listener's SRs count what it decrypted of each sender's stream; each
 * sender's report block matches the reference (d: loss).
 */
MXP_TEST(switch_reports)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b, cc, d;
	peer_init(&a, 11, 71, "192.0.2.21", 7100, 10);
	peer_init(&b, 12, 72, "192.0.2.22", 7102, 20);
	peer_init(&cc, 13, 73, "192.0.2.23", 7104, 30);
	peer_init(&d, 14, 74, "192.0.2.24", 7106, 40);
	b.mux = true;
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b;
	g_peers[g_npeers++] = &cc, g_peers[g_npeers++] = &d;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &cc, MXP_SM_RECVONLY), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &d, MXP_SM_SENDONLY), 0);
	struct mxp_conf *cf = conf_of(sys, c);
	cf->next_sr_walk = UINT64_MAX;
	struct ref ra = { 0 }, rd = { 0 };
	for (unsigned int k = 0; k < 40; k++) {
		uint64_t arr;
		send_rtp(&a, a.seq, a.ts, true);
		arr = rte_rdtsc();
		mxp_conf_flush(g_w);
		ref_add(&ra, a.seq, a.ts, arr, 8000);
		a.seq++, a.ts += 160;
		send_rtp(&b, b.seq++, b.ts, true);
		b.ts += 160;
		if (k % 5 != 1) { /* d: every 5th lost */
			uint32_t ts = d.ts + (uint32_t)((k * 37) % 200);
			send_rtp(&d, d.seq, ts, true);
			arr = rte_rdtsc();
			mxp_conf_flush(g_w);
			ref_add(&rd, d.seq, ts, arr, 8000);
		}
		d.seq++, d.ts += 160;
		mxp_conf_flush(g_w);
		distribute();
	}
	MXP_CHECK_EQ(t, a.bad + b.bad + cc.bad + d.bad, 0);
	MXP_CHECK(t, cc.nseen == 3 && d.nseen == 0 && a.nseen == 2);
	cf->next_sr_walk = 0;
	run_sim(60000);
	struct peer *all[4] = { &a, &b, &cc, &d };
	const char *names[4] = { "a", "b", "c", "d" };
	for (int i = 0; i < 4; i++) {
		struct peer *pr = all[i];
		MXP_CHECK_EQ(t, pr->bad, 0);
		if (!MXP_CHECK(t, pr->nrep >= 9))
			continue;
		check_intervals(t, pr, names[i]);
		const struct report *r = &pr->rep[0];
		/* one SR per stream it heard, each with the count it decrypted */
		MXP_CHECK_EQ(t, r->nsr, pr->nseen);
		for (unsigned int s = 0; s < r->nsr; s++) {
			const struct rtp_seen *sn = seen_of(pr, r->sr_ssrc[s]);
			if (MXP_CHECK(t, sn != NULL)) {
				MXP_CHECK_EQ(t, r->sr_pkts[s], sn->n);
				MXP_CHECK_EQ(t, r->sr_octets[s], sn->octets);
				double dt = (double)(r->when - sn->last_when) / (double)rte_get_tsc_hz();
				double du = (double)(int32_t)(r->sr_rtp[s] - sn->last_ts);
				MXP_CHECK(t, fabs(du - dt * 8000) <= 2);
			}
		}
	}
	/* d hears nothing but receiver reports: an RR whose block is about its stream */
	MXP_CHECK_EQ(t, d.rep[0].first_pt, 201);
	check_block(t, &d.rep[0], &d, &rd, "d");
	check_block(t, &a.rep[0], &a, &ra, "a");
	MXP_CHECK_EQ(t, cc.rep[0].nblk, 0); /* c sends nothing: no block about it */
	/* the counters say what went */
	struct mxp_leg_info li;
	mxp_conf_leg_get(sys, d.leg.id, &li);
	MXP_CHECK_EQ(t, li.st.rtcp_tx, d.nrep);
	MXP_CHECK_EQ(t, li.st.rtcp_rr, d.nrep);
	MXP_CHECK_EQ(t, li.st.rtcp_sr, 0);
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK_EQ(t, li.st.rtcp_sr + li.st.rtcp_rr, a.nrep);
	MXP_CHECK(t, li.st.rtcp_sr >= 1);
	/* a leaves: c and b hear a BYE of a's streams, a one of the streams it got */
	unsigned int nb = b.nrep, nc = cc.nrep, na = a.nrep;
	g_sim = 0;
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, a.leg.id, NULL, NULL, 0), 0);
	distribute();
	MXP_CHECK_EQ(t, a.nrep, na + 1);
	MXP_CHECK(t, a.nrep == na + 1 && a.rep[na].nbye == 2); /* b's and d's streams */
	MXP_CHECK_EQ(t, b.nrep, nb + 1);
	MXP_CHECK_EQ(t, cc.nrep, nc + 1);
	if (cc.nrep == nc + 1)
		MXP_CHECK(t, cc.rep[nc].nbye == 1 && seen_of(&cc, cc.rep[nc].bye[0]) &&
				     seen_of(&cc, cc.rep[nc].bye[0])->n == 40 &&
				     seen_of(&b, cc.rep[nc].bye[0]) == NULL);
	MXP_CHECK_EQ(t, a.bad + b.bad + cc.bad + d.bad, 0);
	peer_fini(&a), peer_fini(&b), peer_fini(&cc), peer_fini(&d);
	mxp_conf_sys_destroy(sys);
}

/* The participant's receive session for an MRFP key sent with a one-byte MKI. */
static void
peer_rx_mki(struct peer *pr, uint8_t mki)
{
	static uint8_t mki_val[1];
	mki_val[0] = mki;
	srtp_master_key_t mk = { .key = pr->out_key, .mki_id = mki_val, .mki_size = 1 };
	srtp_master_key_t *keys[1] = { &mk };
	srtp_policy_t pol;
	memset(&pol, 0, sizeof(pol));
	srtp_crypto_policy_set_rtp_default(&pol.rtp);
	srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	pol.ssrc.type = ssrc_any_inbound;
	pol.keys = keys;
	pol.num_master_keys = 1;
	pol.window_size = 1024;
	srtp_dealloc(pr->rx);
	if (srtp_create(&pr->rx, &pol) != srtp_err_status_ok)
		abort();
	pr->mki = true;
}

/*
 * A rekey moves a mix leg to another key group: the streams it got end, so it hears a BYE
 * of them, under the key it had (the one its libsrtp2 holds, MKI 1), before the first
 * packet under the new key.
 */
MXP_TEST(mix_rekey_says_bye)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	static struct peer a, b;
	peer_init(&a, 41, 141, "192.0.2.41", 7300, 1);
	peer_init(&b, 42, 142, "192.0.2.42", 7302, 1);
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b;
	peer_rx_mki(&a, 1);
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = a.addr.af;
	lp.remote_known = true;
	lp.remote = a.addr;
	lp.remote_port = a.port;
	lp.mode = MXP_SM_SENDRECV;
	conf_key(&lp.in, a.in_key);
	conf_key(&lp.out, a.out_key);
	lp.out.key[0].mki_len = 1;
	lp.out.key[0].mki[0] = 1;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, &a.leg, NULL, 0), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV), 0);
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	for (unsigned int k = 0; k < 25;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			send_rtp(&b, b.seq++, b.ts += 160, true);
			k++;
		}
		mxp_conf_worker_poll(g_w);
		distribute();
	}
	MXP_CHECK_EQ(t, a.bad, 0);
	MXP_CHECK(t, a.nseen == 1 && a.seen[0].n > 5); /* the shared mix (b talks) */
	struct mxp_leg_mod m = { .add_out_key = true, .activate_out = true, .activate_mki_len = 1 };
	m.activate_mki[0] = 2;
	m.out_key.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	uint8_t kk[30];
	key_fill(kk, 143);
	memcpy(m.out_key.key, kk, 16);
	memcpy(m.out_key.salt, kk + 16, 14);
	m.out_key.mki_len = 1;
	m.out_key.mki[0] = 2;
	unsigned int before = a.nrep;
	char err[256] = "";
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, a.leg.id, &m, err, sizeof(err)), 0);
	distribute();
	MXP_CHECK_EQ(t, a.bad, 0);
	MXP_CHECK_EQ(t, a.nrep, before + 1);
	if (a.nrep == before + 1)
		MXP_CHECK(t, a.rep[before].nbye >= 1 && a.rep[before].bye[0] == a.seen[0].ssrc);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/*
 * Forward mode is a translator: the participants' compounds (SR- or RR-led) go to the
 * others as they are; the MRFP sends none of its own.
 */
MXP_TEST(forward_relays_reports)
{
	struct mxp_conf_sys *sys = sys_new();
	static struct peer a, b;
	peer_init(&a, 31, 31, "192.0.2.31", 7200, 1);
	peer_init(&b, 32, 31, "192.0.2.32", 7202, 1);
	/* one conference key: what a sends, b decrypts */
	memcpy(a.in_key, b.in_key, 30);
	memcpy(a.out_key, b.in_key, 30);
	memcpy(b.out_key, b.in_key, 30);
	srtp_dealloc(a.tx), srtp_dealloc(a.rx), srtp_dealloc(b.rx);
	a.tx = srtp_session(a.in_key, false, a.ssrc);
	a.rx = srtp_session(a.out_key, true, 0);
	b.rx = srtp_session(b.out_key, true, 0);
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b;
	uint32_t c = new_conf(sys, MXP_CONF_FORWARD);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV), 0);
	for (int k = 0; k < 5; k++)
		send_rtp(&a, a.seq++, a.ts += 160, true);
	/* an RR-led compound from a (RR + SDES), SRTCP */
	uint8_t buf[128] = { 0x80, 201, 0, 1 };
	mxp_be_wr32(buf + 4, a.ssrc);
	uint8_t sdes[] = { 0x81, 202, 0, 3, 0, 0, 0, 0, 1, 3, 'a', '@', 'x', 0, 0, 0 };
	mxp_be_wr32(sdes + 4, a.ssrc);
	memcpy(buf + 8, sdes, sizeof(sdes));
	int len = 8 + (int)sizeof(sdes);
	MXP_CHECK_EQ(t, srtp_protect_rtcp(a.tx, buf, &len), srtp_err_status_ok);
	deliver(&a, true, buf, (uint16_t)len);
	mxp_conf_flush(g_w);
	distribute();
	MXP_CHECK_EQ(t, b.bad, 0);
	MXP_CHECK_EQ(t, b.nrep, 1);
	MXP_CHECK(t, b.nrep == 1 && b.rep[0].first_pt == 201 && b.rep[0].ssrc == a.ssrc);
	run_sim(20000);
	MXP_CHECK_EQ(t, a.nrep + b.nrep, 1); /* nothing of the MRFP's own */
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/*
 * A.8 jitter with the largest transit difference a participant's timestamps can make
 * (2^31 RTP units): |D| is taken without a signed overflow (UBSan) and added in full.
 */
MXP_TEST(jitter_of_a_half_range_jump)
{
	struct mxp_leg *l = calloc(1, sizeof(*l));
	MXP_CHECK(t, l != NULL);
	if (l == NULL)
		return;
	l->rs.mult = 1;        /* arrival: (now * mult) >> 32 = 0 for now = 0 */
	l->rs.max_seq = 100;
	l->rs.transit = 0;
	struct mxp_rtp_info ri = { .seq = 101, .ts = 0x80000000u };
	conf_rtcp_rx_rtp(l, &ri, 0);
	MXP_CHECK_EQ(t, l->rs.transit, 0x80000000u);
	MXP_CHECK_EQ(t, l->rs.jitter, 0x80000000u); /* 0 + |D| - (0 + 8) / 16 */
	MXP_CHECK_EQ(t, l->rs.received, 1);
	free(l);
}


/* Every SR of a participant's reports for the stream ssrc: its RTP time runs at clock
 * against its NTP time (within 3 units), and from the stream's last packet on (5 ms). */
static void
check_sr_clock(struct mxp_test_ctx *t, const struct peer *pr, uint32_t ssrc, double clock,
	       const char *who)
{
	const struct rtp_seen *sn = seen_of(pr, ssrc);
	double hz = (double)rte_get_tsc_hz();
	unsigned int nsr = 0;
	uint64_t ntp0 = 0;
	uint32_t rtp0 = 0;
	for (unsigned int k = 0; k < pr->nrep; k++)
		for (unsigned int s = 0; s < pr->rep[k].nsr; s++) {
			if (pr->rep[k].sr_ssrc[s] != ssrc)
				continue;
			uint64_t ntp = pr->rep[k].sr_ntp[s];
			uint32_t rtp = pr->rep[k].sr_rtp[s];
			if (nsr++ == 0) {
				ntp0 = ntp, rtp0 = rtp;
				if (!MXP_CHECK(t, sn != NULL))
					continue;
				double dt = (double)(pr->rep[k].when - sn->last_when) / hz;
				double du = (double)(int32_t)(rtp - sn->last_ts);
				if (!MXP_CHECK(t, fabs(du - dt * clock) <= clock * 0.005))
					printf("#   %s: SR rtp %+.0f units after the last packet, %.3f s "
					       "later (clock %.0f)\n", who, du, dt, clock);
				continue;
			}
			double dn = (double)(ntp - ntp0) / 4294967296.0;
			double du = (double)(int32_t)(rtp - rtp0);
			if (!MXP_CHECK(t, fabs(du - dn * clock) <= 3))
				printf("#   %s: SR rtp %+.0f units in %.3f s (clock %.0f)\n", who, du, dn,
				       clock);
		}
	MXP_CHECK(t, nsr >= 2);
}

/*
 * A switch conference whose participants send 48 kHz Opus (its clock from the leg's codec)
 * and 16 kHz AMR-WB (the clock the SDP's a=rtpmap gives): each one's report block gives its
 * jitter in its own stream's units, against the reference at its clock; the SRs of the
 * stream of its packets that the other hears run at that clock against their NTP time.
 */
MXP_TEST(switch_clock_of_the_payload_type)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b;
	peer_init(&a, 51, 151, "192.0.2.51", 7400, 100);
	peer_init(&b, 52, 152, "192.0.2.52", 7402, 200);
	a.pt = 111, b.pt = 96;
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b;
	struct mxp_leg_params xa = { .n_pt = 2, .pt = { 111, 101 }, .event_pt = 101, .n_codecs = 1 };
	xa.codecs[0].pt = 111;
	xa.codecs[0].codec = MXP_MEDIA_CODEC_OPUS;
	struct mxp_leg_params xb = { .n_pt = 2, .pt = { 101, 96 }, .event_pt = 101, .rtp_clock = 16000 };
	MXP_CHECK_EQ(t, add_leg_x(sys, c, &a, MXP_SM_SENDRECV, &xa), 0);
	MXP_CHECK_EQ(t, add_leg_x(sys, c, &b, MXP_SM_SENDRECV, &xb), 0);
	struct mxp_conf *cf = conf_of(sys, c);
	cf->next_sr_walk = UINT64_MAX;
	struct ref ra = { 0 }, rb = { 0 };
	for (unsigned int k = 0; k < 40; k++) {
		/* 20 ms packets sent back to back, their timestamps off by up to 4 ms */
		uint32_t tsa = a.ts + 960 * k + (uint32_t)((k * 37) % 384);
		send_rtp(&a, a.seq, tsa, true);
		uint64_t arr = rte_rdtsc();
		mxp_conf_flush(g_w);
		ref_add(&ra, a.seq++, tsa, arr, 48000);
		uint32_t tsb = b.ts + 320 * k + (uint32_t)((k * 53) % 128);
		send_rtp(&b, b.seq, tsb, true);
		arr = rte_rdtsc();
		mxp_conf_flush(g_w);
		ref_add(&rb, b.seq++, tsb, arr, 16000);
		distribute();
	}
	MXP_CHECK_EQ(t, a.bad + b.bad, 0);
	MXP_CHECK(t, a.nseen == 1 && b.nseen == 1 && a.seen[0].n == 40 && b.seen[0].n == 40);
	cf->next_sr_walk = 0;
	run_sim(30000);
	MXP_CHECK_EQ(t, a.bad + b.bad, 0);
	if (MXP_CHECK(t, a.nrep >= 3 && b.nrep >= 3)) {
		printf("#   jitter: a %u (48 kHz units, reference %.1f), b %u (16 kHz, %.1f)\n",
		       mxp_be_rd32(a.rep[0].blk + 12), ra.jitter, mxp_be_rd32(b.rep[0].blk + 12),
		       rb.jitter);
		check_block(t, &a.rep[0], &a, &ra, "a");
		check_block(t, &b.rep[0], &b, &rb, "b");
		check_sr_clock(t, &a, a.seen[0].ssrc, 16000, "a hears b"); /* b's stream */
		check_sr_clock(t, &b, b.seen[0].ssrc, 48000, "b hears a"); /* a's stream */
	}
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/*
 * A switch conference: the dial tone played to a goes on a stream of the MRFP's own toward
 * a (conf_signal.c). a's compounds carry an SR of that stream while it sends, its RTP time
 * advancing at 8,000 a second of NTP time, its packet count never above what a got; b's
 * carry none of it; when a leaves, its last compound says BYE for that stream too.
 */
MXP_TEST(switch_signal_stream_reports)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b;
	peer_init(&a, 61, 161, "192.0.2.61", 7500, 10);
	peer_init(&b, 62, 162, "192.0.2.62", 7502, 20);
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV), 0);
	struct mxp_signal s = { .kind = MXP_SIGNAL_TONE, .duration_ms = 30000, .tag = 1 };
	snprintf(s.name, sizeof(s.name), "cg/dt");
	char err[256] = "";
	int r = mxp_conf_leg_signal_start(sys, a.leg.id, &s, err, sizeof(err));
	if (!MXP_CHECK(t, r == 0))
		printf("#   %s\n", err);
	run_sim(20000);
	MXP_CHECK_EQ(t, a.bad + b.bad, 0);
	MXP_CHECK(t, a.nseen == 1 && a.seen[0].n >= 900 && b.nseen == 0);
	uint32_t sg = a.nseen ? a.seen[0].ssrc : 0;
	unsigned int nsr = 0, bad = 0;
	uint64_t ntp0 = 0;
	uint32_t rtp0 = 0, pk0 = 0;
	for (unsigned int k = 0; k < a.nrep; k++)
		for (unsigned int i = 0; i < a.rep[k].nsr; i++) {
			if (a.rep[k].sr_ssrc[i] != sg)
				continue;
			uint64_t ntp = a.rep[k].sr_ntp[i];
			uint32_t rtp = a.rep[k].sr_rtp[i], pk = a.rep[k].sr_pkts[i];
			if (nsr++ == 0) {
				ntp0 = ntp, rtp0 = rtp, pk0 = pk;
				continue;
			}
			double dn = (double)(ntp - ntp0) / 4294967296.0;
			double du = (double)(int32_t)(rtp - rtp0);
			printf("#   SR %u of the signal stream: %+.0f units in %.3f s, %u packets\n", nsr,
			       du, dn, pk);
			bad += fabs(du - dn * 8000) > 3 || pk <= pk0 || pk > a.seen[0].n;
			pk0 = pk;
		}
	MXP_CHECK(t, nsr >= 3 && bad == 0);
	unsigned int in_b = 0;
	for (unsigned int k = 0; k < b.nrep; k++)
		for (unsigned int i = 0; i < b.rep[k].nsr; i++)
			in_b += b.rep[k].sr_ssrc[i] == sg;
	MXP_CHECK_EQ(t, in_b, 0);
	unsigned int before = a.nrep;
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, a.leg.id, NULL, NULL, 0), 0);
	distribute();
	unsigned int byes = 0;
	for (unsigned int k = before; k < a.nrep; k++)
		for (unsigned int i = 0; i < a.rep[k].nbye; i++)
			byes += a.rep[k].bye[i] == sg;
	MXP_CHECK_EQ(t, byes, 1);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/* The mean interval between a participant's reports and their size (bytes with IP/UDP). */
static double
mean_interval(const struct peer *pr, double *size)
{
	double hz = (double)rte_get_tsc_hz(), sum = 0;
	for (unsigned int i = 1; i < pr->nrep; i++)
		sum += (double)(pr->rep[i].when - pr->rep[i - 1].when) / hz;
	*size = pr->nrep ? pr->rep[pr->nrep - 1].len + 28.0 : 0;
	return pr->nrep > 1 ? sum / (pr->nrep - 1) : 0;
}

/*
 * RTCP bandwidth from the SDP (RFC 3556): three legs of a switch conference, nobody
 * sending (receiver reports only), a with b=RS:100 b=RR:100, b with b=RS:50 b=RR:50, c
 * with b=RS:0 b=RR:0. RFC 3550 6.3's interval for a receiver is avg_size x (members -
 * senders) / RR's bytes per second: a's reports come every 3 x size / 12.5 s on average,
 * b's twice as far apart, c gets none (nor a BYE when it leaves). A leg without b= lines
 * stays at the 5 s minimum (the other tests).
 */
MXP_TEST(rtcp_bandwidth_from_the_sdp)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b, cc;
	peer_init(&a, 61, 161, "192.0.2.61", 7500, 1);
	peer_init(&b, 62, 162, "192.0.2.62", 7502, 1);
	peer_init(&cc, 63, 163, "192.0.2.63", 7504, 1);
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b, g_peers[g_npeers++] = &cc;
	const uint8_t both = MXP_LEG_BW_RS | MXP_LEG_BW_RR;
	struct mxp_leg_params xa = { .bw_given = both, .bw_rs = 100, .bw_rr = 100 };
	struct mxp_leg_params xb = { .bw_given = both, .bw_rs = 50, .bw_rr = 50 };
	struct mxp_leg_params xc = { .bw_given = both, .bw_rs = 0, .bw_rr = 0 };
	MXP_CHECK_EQ(t, add_leg_x(sys, c, &a, MXP_SM_SENDRECV, &xa), 0);
	MXP_CHECK_EQ(t, add_leg_x(sys, c, &b, MXP_SM_SENDRECV, &xb), 0);
	MXP_CHECK_EQ(t, add_leg_x(sys, c, &cc, MXP_SM_SENDRECV, &xc), 0);
	run_sim(600000);
	MXP_CHECK_EQ(t, a.bad + b.bad + cc.bad, 0);
	MXP_CHECK_EQ(t, cc.nrep, 0);
	double sa, sb;
	double ma = mean_interval(&a, &sa), mb = mean_interval(&b, &sb);
	/* a participant and the MRFP's two streams towards it, no sender */
	double wa = sa * 3 / (100 / 8.0), wb = sb * 3 / (50 / 8.0);
	printf("#   a: %u reports, mean %.1f s (RFC 3550: %.1f); b: %u, mean %.1f s (%.1f)\n",
	       a.nrep, ma, wa, b.nrep, mb, wb);
	MXP_CHECK(t, a.nrep >= 20 && b.nrep >= 10);
	MXP_CHECK(t, ma > 0.75 * wa && ma < 1.3 * wa);
	MXP_CHECK(t, mb > 0.75 * wb && mb < 1.3 * wb);
	MXP_CHECK(t, wa > 10); /* well above the 5 s minimum: the bandwidth decides */
	MXP_CHECK(t, mb / ma > 1.5 && mb / ma < 2.6);
	g_sim = 0;
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, cc.leg.id, NULL, NULL, 0), 0);
	distribute();
	MXP_CHECK_EQ(t, cc.nrep, 0); /* RTCP is off: no BYE either */
	peer_fini(&a), peer_fini(&b), peer_fini(&cc);
	mxp_conf_sys_destroy(sys);
}

/*
 * RFC 3550 8.2: b sends under the key the MRFP sends a with, and with the SSRC of the
 * stream of d's packets that a hears: that stream moves to a new SSRC, and a hears, under
 * the new SSRC's SRTCP context, a compound of the new SSRC (RR, CNAME) with a BYE of the
 * old one. The new SSRC's sender reports count its packets from 0. d (its sender) hears
 * nothing of it.
 */
MXP_TEST(ssrc_collision_says_bye)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b, d;
	peer_init(&a, 71, 171, "192.0.2.71", 7600, 1);
	peer_init(&b, 171, 172, "192.0.2.72", 7602, 1); /* sends under a's (MRFP's) key */
	peer_init(&d, 73, 173, "192.0.2.73", 7604, 1);
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b, g_peers[g_npeers++] = &d;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &d, MXP_SM_SENDRECV), 0);
	struct mxp_conf *cf = conf_of(sys, c);
	cf->next_sr_walk = UINT64_MAX;
	for (int k = 0; k < 10; k++) {
		send_rtp(&d, d.seq++, d.ts += 160, true);
		mxp_conf_flush(g_w);
	}
	distribute();
	MXP_CHECK_EQ(t, a.bad, 0);
	if (!MXP_CHECK(t, a.nseen == 1 && a.seen[0].n == 10))
		return;
	uint32_t old = a.seen[0].ssrc;
	/* b's first packet: with a's stream's SSRC under its key */
	b.ssrc = old;
	srtp_dealloc(b.tx);
	b.tx = srtp_session(b.in_key, false, b.ssrc);
	send_rtp(&b, b.seq++, b.ts += 160, true);
	mxp_conf_flush(g_w);
	distribute();
	MXP_CHECK_EQ(t, a.bad + d.bad, 0);
	MXP_CHECK_EQ(t, d.nrep, 0);
	MXP_CHECK_EQ(t, a.nrep, 1);
	if (a.nrep == 1) {
		const struct report *r = &a.rep[0];
		MXP_CHECK_EQ(t, r->first_pt, 201);
		MXP_CHECK(t, r->ssrc != old && r->ssrc != 0);
		MXP_CHECK(t, r->nbye == 1 && r->bye[0] == old);
		MXP_CHECK(t, r->ncname == 1 && r->cname_ssrc[0] == r->ssrc);
	}
	/* d's stream goes on under the new SSRC; its first SR counts only those packets */
	for (int k = 0; k < 5; k++) {
		send_rtp(&d, d.seq++, d.ts += 160, true);
		mxp_conf_flush(g_w);
	}
	distribute();
	MXP_CHECK_EQ(t, a.bad, 0);
	const struct rtp_seen *sn = a.nrep ? seen_of(&a, a.rep[0].ssrc) : NULL;
	MXP_CHECK(t, sn != NULL && sn->n == 5);
	cf->next_sr_walk = 0;
	run_sim(10000);
	bool found = false;
	for (unsigned int k = 1; k < a.nrep && sn; k++)
		for (unsigned int s = 0; s < a.rep[k].nsr; s++)
			if (a.rep[k].sr_ssrc[s] == sn->ssrc && !found) {
				found = true;
				MXP_CHECK_EQ(t, a.rep[k].sr_pkts[s], 5);
				MXP_CHECK_EQ(t, a.rep[k].sr_octets[s], 5 * 160);
			}
	MXP_CHECK(t, found);
	MXP_CHECK_EQ(t, a.bad + b.bad + d.bad, 0);
	peer_fini(&a), peer_fini(&b), peer_fini(&d);
	mxp_conf_sys_destroy(sys);
}

/*
 * The round trip of RFC 3550 6.4.1 (what rtp/delay halves): the MRFP's SR goes out (real
 * time), the participant holds it 30 ms (its DLSR) and answers 60 ms after the SR left
 * with a block echoing the SR's NTP time: the round trip is the 30 ms left, plus what the
 * test loop adds (under a few ms).
 */
MXP_TEST(round_trip_from_the_reports)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b;
	peer_init(&a, 81, 181, "192.0.2.81", 7700, 1);
	peer_init(&b, 82, 182, "192.0.2.82", 7702, 1);
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b;
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV), 0);
	struct mxp_conf *cf = conf_of(sys, c);
	for (int k = 0; k < 5; k++)
		send_rtp(&b, b.seq++, b.ts += 160, true);
	mxp_conf_flush(g_w);
	distribute();
	struct mxp_leg_quality q;
	MXP_CHECK_EQ(t, mxp_conf_leg_quality(sys, a.leg.id, &q), 0);
	MXP_CHECK(t, !q.rtt_measured);
	/* a's report is due now: the worker's next poll sends it */
	struct mxp_leg *la = conf_find_leg(sys, a.leg.id)->leg;
	la->rtx.next_tsc = 1;
	cf->next_sr_walk = 0;
	uint64_t pre = rte_rdtsc(); /* the SR's time is between pre and sent_at */
	mxp_conf_worker_poll(g_w);
	uint64_t sent_at = rte_rdtsc();
	distribute();
	if (!MXP_CHECK(t, a.nrep == 1 && a.rep[0].first_pt == 200))
		return;
	uint64_t hz = rte_get_tsc_hz();
	while (rte_rdtsc() < sent_at + hz * 60 / 1000)
		mxp_conf_worker_poll(g_w);
	uint8_t buf[128] = { 0x81, 201, 0, 7 };
	mxp_be_wr32(buf + 4, a.ssrc);
	mxp_be_wr32(buf + 8, a.rep[0].ssrc);
	mxp_be_wr32(buf + 24, (uint32_t)(a.rep[0].sr_ntp[0] >> 16));
	mxp_be_wr32(buf + 28, 30 * 65536 / 1000); /* DLSR: 30 ms */
	int len = 32;
	MXP_CHECK_EQ(t, srtp_protect_rtcp(a.tx, buf, &len), srtp_err_status_ok);
	uint64_t before = rte_rdtsc();
	deliver(&a, true, buf, (uint16_t)len);
	mxp_conf_flush(g_w);
	uint64_t after = rte_rdtsc();
	/* the round trip lies between these (0.5 ms: NTP's 1/65536 s units and the TSC
	 * rate's rounding) */
	double lo = (double)(before - sent_at) * 1000.0 / (double)hz - 30 - 0.5;
	double hi = (double)(after - pre) * 1000.0 / (double)hz - 30 + 0.5;
	MXP_CHECK_EQ(t, mxp_conf_leg_quality(sys, a.leg.id, &q), 0);
	printf("#   round trip %.2f ms (between %.2f and %.2f)\n", q.rtt_ms, lo, hi);
	MXP_CHECK(t, q.rtt_measured);
	MXP_CHECK(t, q.rtt_ms >= lo && q.rtt_ms <= hi);
	MXP_CHECK(t, fabs(q.net_ms - q.rtt_ms / 2) < 1e-9);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}


/* RTP packets a participant decrypted, every SSRC together. */
static unsigned int
seen_total(const struct peer *pr)
{
	unsigned int n = 0;
	for (unsigned int k = 0; k < pr->nseen; k++)
		n += pr->seen[k].n;
	return n;
}

/* A leg added without a remote address (learnt from its first authenticated packet). */
static int
add_leg_latching(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, bool strict)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = pr->addr.af;
	lp.strict = strict;
	lp.mode = MXP_SM_SENDRECV;
	conf_key(&lp.in, pr->in_key);
	conf_key(&lp.out, pr->out_key);
	char err[256] = "";
	int r = mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, sizeof(err));
	if (r)
		printf("# leg_add: %s\n", err);
	return r;
}

/*
 * Strict legs behind a NAT that maps RTP and RTCP to unrelated ports (not p and p + 1),
 * without rtcp-mux. A leg latched from one kind of packet guesses the other's port; the
 * participant's first packet of the other kind, from the latched address, sets it (the
 * leg has not moved: no latch counted), and after that the strict leg takes nothing from
 * another port or address. a's first packet is RTCP, c's is RTP; what b says reaches a's
 * RTP port, and the reports reach both at their RTCP ports. Before, a's RTP (not from
 * the RTCP port minus 1) was a source mismatch forever.
 */
MXP_TEST(strict_leg_behind_a_nat_learns_both_ports)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer a, b, cc, d;
	peer_init(&a, 21, 81, "198.51.100.30", 40000, 100);
	a.rtcp_port = 52311;
	peer_init(&b, 22, 82, "192.0.2.32", 7200, 200);
	peer_init(&cc, 23, 83, "198.51.100.33", 41000, 300);
	cc.rtcp_port = 53001;
	peer_init(&d, 24, 84, "198.51.100.34", 42000, 400);
	d.rtcp_port = 54001;
	g_npeers = 0;
	g_peers[g_npeers++] = &a, g_peers[g_npeers++] = &b;
	g_peers[g_npeers++] = &cc, g_peers[g_npeers++] = &d;
	MXP_CHECK_EQ(t, add_leg_latching(sys, c, &a, true), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV), 0);
	MXP_CHECK_EQ(t, add_leg_latching(sys, c, &cc, true), 0);
	MXP_CHECK_EQ(t, add_leg_latching(sys, c, &d, true), 0);
	struct mxp_conf *cf = conf_of(sys, c);
	cf->next_sr_walk = UINT64_MAX;

	/* a: an SR first: the address and the RTCP port learnt, the RTP port guessed */
	send_sr(&a, 0x1122334455667788ull);
	mxp_conf_flush(g_w);
	struct mxp_leg_info li;
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, li.remote_known && mxp_ip_equal(&li.remote, &a.addr));
	MXP_CHECK_EQ(t, li.remote_rtcp_port, 52311);
	MXP_CHECK_EQ(t, li.remote_port, 52310);
	MXP_CHECK_EQ(t, li.remote_guessed, MXP_LEG_RTP_GUESSED);
	/* c: RTP first: the RTCP port guessed */
	send_rtp(&cc, cc.seq, cc.ts, true);
	cc.seq++, cc.ts += 160;
	mxp_conf_flush(g_w);
	mxp_conf_leg_get(sys, cc.leg.id, &li);
	MXP_CHECK(t, li.remote_port == 41000 && li.remote_rtcp_port == 41001 &&
			     li.remote_guessed == MXP_LEG_RTCP_GUESSED);
	/* d: an SR first, then RTP from another address of the NAT: refused (strict) */
	send_sr(&d, 0x1122334455667788ull);
	struct mxp_ip d_addr = d.addr;
	d.addr = ip("198.51.100.35");
	send_rtp(&d, d.seq, d.ts, true);
	d.addr = d_addr;
	mxp_conf_flush(g_w);
	mxp_conf_leg_get(sys, d.leg.id, &li);
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &d.addr) && li.remote_port == 54000 &&
			     li.remote_guessed == MXP_LEG_RTP_GUESSED);
	MXP_CHECK_EQ(t, li.st.source_mismatch, 1);
	distribute();
	/* c's first packet went to a's guessed RTP port, which a's NAT does not map */
	MXP_CHECK_EQ(t, a.bad, 1);
	a.bad = 0;

	/* a's RTP from its own port, c's SR from its own: taken, the ports learnt */
	for (unsigned int k = 0; k < 10; k++) {
		send_rtp(&a, a.seq++, a.ts, true);
		a.ts += 160;
		mxp_conf_flush(g_w);
		distribute();
	}
	send_sr(&cc, 0x1122334455667799ull);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, seen_total(&b), 11); /* a's 10 and c's first */
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, li.remote_port == 40000 && li.remote_rtcp_port == 52311 &&
			     li.remote_guessed == 0);
	MXP_CHECK_EQ(t, li.st.source_mismatch, 0);
	MXP_CHECK_EQ(t, li.st.latches, 0);
	MXP_CHECK_EQ(t, li.st.rx_pkts, 10);
	mxp_conf_leg_get(sys, cc.leg.id, &li);
	MXP_CHECK(t, li.remote_port == 41000 && li.remote_rtcp_port == 53001 &&
			     li.remote_guessed == 0);
	MXP_CHECK_EQ(t, li.st.source_mismatch, 0);

	/* b's media reaches a at its RTP port (distribute() counts any other port as bad) */
	for (unsigned int k = 0; k < 5; k++) {
		send_rtp(&b, b.seq++, b.ts, true);
		b.ts += 160;
		mxp_conf_flush(g_w);
		distribute();
	}
	MXP_CHECK_EQ(t, seen_total(&a), 5);
	MXP_CHECK_EQ(t, seen_total(&cc), 15); /* and a's 10 */

	/* learnt once: now strict again, for either kind */
	uint16_t p0 = a.port, r0 = a.rtcp_port;
	a.port = 40002;
	send_rtp(&a, a.seq++, a.ts, true);
	a.ts += 160;
	a.rtcp_port = 52313;
	send_sr(&a, 0x1122334455667799ull);
	a.port = p0, a.rtcp_port = r0;
	cc.rtcp_port = 53003;
	send_sr(&cc, 0x11223344556677aaull);
	cc.rtcp_port = 53001;
	mxp_conf_flush(g_w);
	distribute();
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, li.remote_port == 40000 && li.remote_rtcp_port == 52311);
	MXP_CHECK_EQ(t, li.st.source_mismatch, 2);
	MXP_CHECK_EQ(t, li.st.rx_pkts, 10);
	mxp_conf_leg_get(sys, cc.leg.id, &li);
	MXP_CHECK(t, li.remote_port == 41000 && li.remote_rtcp_port == 53001);
	MXP_CHECK_EQ(t, li.st.source_mismatch, 1);

	/* no NAT: e's guess is right (RTCP from the port after RTP's). That learns it too:
	 * later the strict leg takes nothing from another port */
	static struct peer e;
	peer_init(&e, 25, 85, "192.0.2.36", 43000, 500);
	g_peers[g_npeers++] = &e;
	MXP_CHECK_EQ(t, add_leg_latching(sys, c, &e, true), 0);
	send_rtp(&e, e.seq++, e.ts, true);
	e.ts += 160;
	mxp_conf_flush(g_w);
	send_sr(&e, 0x11223344556677bbull);
	mxp_conf_flush(g_w);
	distribute();
	mxp_conf_leg_get(sys, e.leg.id, &li);
	MXP_CHECK(t, li.remote_port == 43000 && li.remote_rtcp_port == 43001 &&
			     li.remote_guessed == 0);
	e.rtcp_port = 43011;
	send_sr(&e, 0x11223344556677ccull);
	e.rtcp_port = 0;
	mxp_conf_flush(g_w);
	mxp_conf_leg_get(sys, e.leg.id, &li);
	MXP_CHECK(t, li.remote_rtcp_port == 43001 && li.st.source_mismatch == 1 &&
			     li.st.latches == 0);

	/* the reports reach a, c and e at their RTCP ports (and decrypt) */
	cf->next_sr_walk = 0;
	run_sim(20000);
	MXP_CHECK(t, a.nrep >= 2 && cc.nrep >= 2 && e.nrep >= 2);
	MXP_CHECK_EQ(t, a.bad + b.bad + cc.bad + e.bad, 0);
	peer_fini(&a), peer_fini(&b), peer_fini(&cc), peer_fini(&d), peer_fini(&e);
	mxp_conf_sys_destroy(sys);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(mix_reports),
	MXP_CASE(switch_reports),
	MXP_CASE(forward_relays_reports),
	MXP_CASE(mix_rekey_says_bye),
	MXP_CASE(jitter_of_a_half_range_jump),
	MXP_CASE(switch_clock_of_the_payload_type),
	MXP_CASE(rtcp_bandwidth_from_the_sdp),
	MXP_CASE(ssrc_collision_says_bye),
	MXP_CASE(round_trip_from_the_reports),
	MXP_CASE(switch_signal_stream_reports),
	MXP_CASE(strict_leg_behind_a_nat_learns_both_ports),
};

int
main(int argc, char **argv)
{
	if (mxp_test_eal_init(argv[0]) != 0 || srtp_init() != srtp_err_status_ok)
		return 1;
	pool = rte_pktmbuf_pool_create("test_pool", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("test_hdr", 16383, 0, 0, 256, 0);
	if (pool == NULL || hdr_pool == NULL)
		return 1;
	/* The report intervals are random (RFC 3550 6.3): a fixed seed makes the statistical
	 * checks (mean, spread of a dozen intervals) the same on every run. MXP_RTCP_SEED
	 * tries another. */
	const char *seed = getenv("MXP_RTCP_SEED");
	rte_srand(seed ? strtoull(seed, NULL, 0) : 0x6d78703033353530ull);
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
