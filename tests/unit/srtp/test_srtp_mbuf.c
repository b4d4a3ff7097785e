/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mbuf burst API: packet located at l2+l3+l4, trailer appended/trimmed, failures moved
 * to the end (in order) with their contexts (or streams) and reasons, across internal chunk
 * boundaries.
 */
#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "srtp_test_util.h"

#define HDRS (14 + 20 + 8)
#define SSRC_A 0xa0a0a0a0u
#define SSRC_B 0xb0b0b0b0u

static struct rte_mempool *pool;
static const uint8_t KEY[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };
static const uint8_t SALT[14] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4 };

static struct mxp_srtp_ctx *
ctx(enum mxp_srtp_suite s, enum mxp_srtp_dir d, uint32_t ssrc)
{
	struct mxp_srtp_params p = { .suite = s, .dir = d, .ssrc = ssrc };
	struct mxp_srtp_ctx *c = test_ctx_new(&p);
	if (mxp_srtp_ctx_key_add(c, KEY, SALT, (const uint8_t *)"\x05", 1, 0) != 0)
		abort();
	return c;
}

static struct rte_mbuf *
mk(uint16_t seq, uint32_t ssrc, size_t payload)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		abort();
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(HDRS + 12 + payload));
	if (p == NULL)
		abort();
	memset(p, 0xee, HDRS);
	test_rtp(p + HDRS, seq, seq, ssrc, payload, (uint8_t)seq);
	m->l2_len = 14;
	m->l3_len = 20;
	m->l4_len = 8;
	return m;
}

static uint16_t
seq_of(struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod_offset(m, const uint8_t *, HDRS);
	return (uint16_t)(p[2] << 8 | p[3]);
}

MXP_TEST(burst_partition)
{
	enum { N = 100 };
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(MXP_SRTP_AES_CM_128_HMAC_SHA1_80);
	struct mxp_srtp_ctx *oa = ctx(si->suite, MXP_SRTP_OUTBOUND, SSRC_A);
	struct mxp_srtp_ctx *ob = ctx(si->suite, MXP_SRTP_OUTBOUND, SSRC_B);
	struct mxp_srtp_ctx *ia = ctx(si->suite, MXP_SRTP_INBOUND, SSRC_A);
	struct mxp_srtp_ctx *ib = ctx(si->suite, MXP_SRTP_INBOUND, SSRC_B);
	struct rte_mbuf *mb[N], *seg2;
	struct mxp_srtp_ctx *cs[N];
	uint8_t reason[N];
	static uint8_t plain[N][300];
	uint16_t plen[N];

	for (uint16_t i = 0; i < N; i++) {
		uint32_t ssrc = (i & 1) ? SSRC_B : SSRC_A;
		cs[i] = (i & 1) ? ob : oa;
		mb[i] = mk(i, ssrc, 100 + i);
		plen[i] = (uint16_t)(12 + 100 + i);
		memcpy(plain[i], rte_pktmbuf_mtod_offset(mb[i], uint8_t *, HDRS), plen[i]);
	}
	/* failures: bad version (5), multi-segment (64, first of the second chunk),
	 * wrong context for the SSRC (70), no tailroom (99) */
	rte_pktmbuf_mtod_offset(mb[5], uint8_t *, HDRS)[0] = 0x40;
	seg2 = rte_pktmbuf_alloc(pool);
	rte_pktmbuf_append(seg2, 10);
	rte_pktmbuf_chain(mb[64], seg2);
	cs[70] = ob;
	rte_pktmbuf_append(mb[99], rte_pktmbuf_tailroom(mb[99]) - 3);

	uint16_t ok = mxp_srtp_protect_burst(cs, mb, N, reason);
	MXP_CHECK_EQ(t, ok, N - 4);
	/* good ones first, in their original order */
	uint16_t prev = 0;
	unsigned int order_ok = 1, ctx_ok = 1, len_ok = 1;
	for (uint16_t i = 0; i < ok; i++) {
		uint16_t s = seq_of(mb[i]);
		if (i > 0 && s <= prev)
			order_ok = 0;
		prev = s;
		if (cs[i] != ((s & 1) ? ob : oa) || reason[i] != MXP_SRTP_R_OK)
			ctx_ok = 0;
		if (rte_pktmbuf_pkt_len(mb[i]) != (uint32_t)(HDRS + plen[s] + 1 + si->srtp_tag_len))
			len_ok = 0;
	}
	MXP_CHECK(t, order_ok);
	MXP_CHECK(t, ctx_ok);
	MXP_CHECK(t, len_ok);
	/* then the failures, in order, with their contexts and reasons */
	static const struct {
		uint16_t seq;
		uint8_t reason;
	} want[4] = { { 5, MXP_SRTP_R_BAD_HEADER },
		      { 64, MXP_SRTP_R_MBUF },
		      { 70, MXP_SRTP_R_SSRC_MISMATCH },
		      { 99, MXP_SRTP_R_NO_ROOM } };
	for (int k = 0; k < 4; k++) {
		MXP_CHECK_EQ(t, seq_of(mb[ok + k]), want[k].seq);
		MXP_CHECK_EQ(t, reason[ok + k], want[k].reason);
	}
	MXP_CHECK(t, cs[ok + 2] == ob);
	MXP_CHECK(t, cs[ok + 0] == ((5 & 1) ? ob : oa));

	/* unprotect the good ones (the outer headers must be untouched) */
	for (uint16_t i = 0; i < ok; i++)
		cs[i] = (seq_of(mb[i]) & 1) ? ib : ia;
	uint16_t ok2 = mxp_srtp_unprotect_burst(cs, mb, ok, reason);
	MXP_CHECK_EQ(t, ok2, ok);
	unsigned int same = 1;
	for (uint16_t i = 0; i < ok2; i++) {
		uint16_t s = seq_of(mb[i]);
		const uint8_t *p = rte_pktmbuf_mtod(mb[i], const uint8_t *);
		if (rte_pktmbuf_pkt_len(mb[i]) != (uint32_t)(HDRS + plen[s]) || p[0] != 0xee ||
		    p[HDRS - 1] != 0xee || memcmp(p + HDRS, plain[s], plen[s]) != 0)
			same = 0;
	}
	MXP_CHECK(t, same);
	struct mxp_srtp_stats st;
	mxp_srtp_ctx_stats(oa, &st);
	MXP_CHECK_EQ(t, st.srtp_protected, 48);
	MXP_CHECK_EQ(t, st.drops[MXP_SRTP_R_MBUF], 1);
	mxp_srtp_ctx_stats(ob, &st);
	MXP_CHECK_EQ(t, st.drops[MXP_SRTP_R_SSRC_MISMATCH], 1);
	for (uint16_t i = 0; i < N; i++)
		rte_pktmbuf_free(mb[i]);
	test_ctx_free(oa);
	test_ctx_free(ob);
	test_ctx_free(ia);
	test_ctx_free(ib);
}

/* Verify-only over mbufs leaves them byte-identical; a replayed copy goes to the end. */
MXP_TEST(burst_verify_and_rtcp)
{
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		struct mxp_srtp_ctx *o = ctx(test_suites[s], MXP_SRTP_OUTBOUND, SSRC_A);
		struct mxp_srtp_ctx *in = ctx(test_suites[s], MXP_SRTP_INBOUND, SSRC_A);
		struct rte_mbuf *mb[4];
		struct mxp_srtp_ctx *cs[4] = { o, o, o, o };
		uint8_t r[4], copy[4][400];
		uint32_t len[4];
		for (int i = 0; i < 3; i++)
			mb[i] = mk((uint16_t)(10 + i), SSRC_A, 160);
		MXP_CHECK_EQ(t, mxp_srtp_protect_burst(cs, mb, 3, r), 3);
		mb[3] = rte_pktmbuf_copy(mb[1], pool, 0, UINT32_MAX);
		mb[3]->l2_len = 14;
		mb[3]->l3_len = 20;
		mb[3]->l4_len = 8;
		for (int i = 0; i < 4; i++) {
			cs[i] = in;
			len[i] = rte_pktmbuf_pkt_len(mb[i]);
			memcpy(copy[i], rte_pktmbuf_mtod(mb[i], uint8_t *), len[i]);
		}
		struct rte_mbuf *dup = mb[3], *orig[4] = { mb[0], mb[1], mb[2], mb[3] };
		MXP_CHECK_EQ(t, mxp_srtp_verify_burst(cs, mb, 4, r), 3);
		MXP_CHECK(t, mb[3] == dup);
		MXP_CHECK_EQ(t, r[3], MXP_SRTP_R_REPLAY);
		for (int i = 0; i < 4; i++) {
			MXP_CHECK_EQ(t, rte_pktmbuf_pkt_len(orig[i]), len[i]);
			MXP_CHECK_MEM(t, rte_pktmbuf_mtod(orig[i], uint8_t *), copy[i], len[i]);
			rte_pktmbuf_free(orig[i]);
		}
		/* SRTCP through mbufs */
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, HDRS + 32);
		if (p == NULL)
			abort();
		test_rtcp(p + HDRS, SSRC_A, 3);
		m->l2_len = 14;
		m->l3_len = 20;
		m->l4_len = 8;
		struct mxp_srtp_ctx *c1 = o;
		MXP_CHECK_EQ(t, mxp_srtcp_protect_burst(&c1, &m, 1, r), 1);
		c1 = in;
		MXP_CHECK_EQ(t, mxp_srtcp_verify_burst(&c1, &m, 1, r), 1);
		MXP_CHECK_EQ(t, mxp_srtcp_unprotect_burst(&c1, &m, 1, r), 0);
		MXP_CHECK_EQ(t, r[0], MXP_SRTP_R_REPLAY);
		rte_pktmbuf_free(m);
		test_ctx_free(o);
		test_ctx_free(in);
	}
}

/* Streams sharing one key session through the mbuf API: s[] is permuted with mb[]. */
MXP_TEST(stream_burst_partition)
{
	enum { N = 70 };
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(MXP_SRTP_AEAD_AES_128_GCM);
	struct mxp_srtp_key_params kp = { .suite = si->suite, .key = KEY, .salt = SALT };
	struct mxp_srtp_key *ko = test_key_new(&kp), *ki = test_key_new(&kp);
	struct mxp_srtp_stream_params sp = { .dir = MXP_SRTP_OUTBOUND, .ssrc = SSRC_A };
	struct mxp_srtp_stream *oa = test_stream_new(&sp);
	sp.ssrc = SSRC_B;
	struct mxp_srtp_stream *ob = test_stream_new(&sp), *nokey = test_stream_new(&sp);
	sp.dir = MXP_SRTP_INBOUND;
	struct mxp_srtp_stream *ib = test_stream_new(&sp);
	sp.ssrc = SSRC_A;
	struct mxp_srtp_stream *ia = test_stream_new(&sp);
	mxp_srtp_stream_key_add(oa, ko);
	mxp_srtp_stream_key_add(ob, ko);
	mxp_srtp_stream_key_add(ia, ki);
	mxp_srtp_stream_key_add(ib, ki);
	struct rte_mbuf *mb[N];
	struct mxp_srtp_stream *ss[N];
	uint8_t reason[N];
	static uint8_t plain[N][300];
	uint16_t plen[N];
	for (uint16_t i = 0; i < N; i++) {
		ss[i] = (i & 1) ? ob : oa;
		mb[i] = mk(i, (i & 1) ? SSRC_B : SSRC_A, 50 + i);
		plen[i] = (uint16_t)(12 + 50 + i);
		memcpy(plain[i], rte_pktmbuf_mtod_offset(mb[i], uint8_t *, HDRS), plen[i]);
	}
	/* failures: bad version (3), another stream's SSRC (66, in the second chunk), a
	 * stream without key (67) */
	rte_pktmbuf_mtod_offset(mb[3], uint8_t *, HDRS)[0] = 0x40;
	ss[66] = ob;
	ss[67] = nokey;
	uint16_t ok = mxp_srtp_stream_protect_burst(ss, mb, N, reason);
	MXP_CHECK_EQ(t, ok, N - 3);
	unsigned int order_ok = 1, stream_ok = 1, len_ok = 1;
	for (uint16_t i = 0; i < ok; i++) {
		uint16_t q = seq_of(mb[i]);
		if (i > 0 && q <= seq_of(mb[i - 1]))
			order_ok = 0;
		if (ss[i] != ((q & 1) ? ob : oa) || reason[i] != MXP_SRTP_R_OK)
			stream_ok = 0;
		if (rte_pktmbuf_pkt_len(mb[i]) != (uint32_t)(HDRS + plen[q] + si->srtp_tag_len))
			len_ok = 0;
	}
	MXP_CHECK(t, order_ok);
	MXP_CHECK(t, stream_ok);
	MXP_CHECK(t, len_ok);
	MXP_CHECK_EQ(t, seq_of(mb[ok]), 3);
	MXP_CHECK_EQ(t, reason[ok], MXP_SRTP_R_BAD_HEADER);
	MXP_CHECK(t, ss[ok] == ob);
	MXP_CHECK_EQ(t, seq_of(mb[ok + 1]), 66);
	MXP_CHECK_EQ(t, reason[ok + 1], MXP_SRTP_R_SSRC_MISMATCH);
	MXP_CHECK(t, ss[ok + 1] == ob);
	MXP_CHECK_EQ(t, seq_of(mb[ok + 2]), 67);
	MXP_CHECK_EQ(t, reason[ok + 2], MXP_SRTP_R_NO_KEY);
	MXP_CHECK(t, ss[ok + 2] == nokey);
	/* the receivers, one session, unprotect what went out */
	for (uint16_t i = 0; i < ok; i++)
		ss[i] = (seq_of(mb[i]) & 1) ? ib : ia;
	MXP_CHECK_EQ(t, mxp_srtp_stream_unprotect_burst(ss, mb, ok, reason), ok);
	unsigned int same = 1;
	for (uint16_t i = 0; i < ok; i++) {
		uint16_t q = seq_of(mb[i]);
		if (rte_pktmbuf_pkt_len(mb[i]) != (uint32_t)(HDRS + plen[q]) ||
		    memcmp(rte_pktmbuf_mtod_offset(mb[i], uint8_t *, HDRS), plain[q], plen[q]) != 0)
			same = 0;
	}
	MXP_CHECK(t, same);
	struct mxp_srtp_stats st;
	mxp_srtp_stream_stats(ob, &st);
	MXP_CHECK_EQ(t, st.drops[MXP_SRTP_R_BAD_HEADER] + st.drops[MXP_SRTP_R_SSRC_MISMATCH], 2);
	struct mxp_srtp_key_info info;
	mxp_srtp_key_info(ki, &info);
	MXP_CHECK_EQ(t, info.srtp_used, ok);
	/* SRTCP and verify through the stream burst API */
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, HDRS + 32);
	if (p == NULL)
		abort();
	test_rtcp(p + HDRS, SSRC_A, 3);
	m->l2_len = 14;
	m->l3_len = 20;
	m->l4_len = 8;
	struct mxp_srtp_stream *one = oa;
	MXP_CHECK_EQ(t, mxp_srtcp_stream_protect_burst(&one, &m, 1, reason), 1);
	one = ia;
	MXP_CHECK_EQ(t, mxp_srtcp_stream_verify_burst(&one, &m, 1, reason), 1);
	MXP_CHECK_EQ(t, mxp_srtcp_stream_unprotect_burst(&one, &m, 1, reason), 0);
	MXP_CHECK_EQ(t, reason[0], MXP_SRTP_R_REPLAY);
	rte_pktmbuf_free(m);
	for (uint16_t i = 0; i < N; i++)
		rte_pktmbuf_free(mb[i]);
	struct mxp_srtp_stream *all[] = { oa, ob, nokey, ia, ib };
	for (size_t i = 0; i < MXP_NCASES(all); i++)
		test_stream_free(all[i]);
	test_key_free(ko);
	test_key_free(ki);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(burst_partition),
	MXP_CASE(burst_verify_and_rtcp),
	MXP_CASE(stream_burst_partition),
};

/* mxp_test_eal_init() leaves its runtime directory behind: remove it at exit. */
static void
eal_done(void)
{
	char dir[128];
	rte_eal_cleanup();
	snprintf(dir, sizeof(dir), "/var/run/dpdk/mxput%d", (int)getpid());
	rmdir(dir);
}

int
main(int argc, char **argv)
{
	if (mxp_test_eal_init(argv[0]) != 0) {
		printf("Bail out! EAL init failed\n");
		return 1;
	}
	atexit(eal_done);
	pool = rte_pktmbuf_pool_create("srtp_test", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       SOCKET_ID_ANY);
	if (pool == NULL) {
		printf("Bail out! no mbuf pool\n");
		return 1;
	}
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
