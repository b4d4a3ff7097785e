/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/srtp packet engine: replay window and ROC tables, round trips for every suite and
 * every pair of drivers, reordering, loss, replays, forgeries, MKI rekeying, key limits,
 * SSRC learning, verify-only, SRTCP, key derivation rate, parameter checks.
 */
#include <errno.h>

#include <openssl/evp.h>

#include "srtp_priv.h"
#include "srtp_test_util.h"

static const uint8_t K32[32] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				 0xcc, 0xdd, 0xee, 0xff, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x12 };
static const uint8_t S14[14] = { 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6,
				 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad };
static const uint8_t K32B[32] = { 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64,
				  0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f,
				  0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79 };

#define SSRC 0x1234abcdu

static struct mxp_srtp_ctx *
pair_ctx(enum mxp_srtp_suite s, enum mxp_srtp_dir dir, const char *drv, const uint8_t *mki,
	 size_t mki_len)
{
	struct mxp_srtp_params p = { .suite = s, .dir = dir, .driver = drv, .ssrc = SSRC };
	struct mxp_srtp_ctx *c = test_ctx_new(&p);
	if (mxp_srtp_ctx_key_add(c, K32, S14, mki, mki_len, 0) != 0)
		abort();
	return c;
}

/* --- replay window: T(index, expected) rows (WireGuard style) ------------------------ */

MXP_TEST(replay_window_table)
{
	static const struct {
		uint64_t idx;
		enum mxp_srtp_reason want;
	} rows[] = {
		{ 0, MXP_SRTP_R_OK },         /* first packet */
		{ 1, MXP_SRTP_R_OK },
		{ 1, MXP_SRTP_R_REPLAY },     /* duplicate of the top */
		{ 0, MXP_SRTP_R_REPLAY },     /* duplicate below the top */
		{ 3, MXP_SRTP_R_OK },         /* gap */
		{ 2, MXP_SRTP_R_OK },         /* fills the gap */
		{ 2, MXP_SRTP_R_REPLAY },
		{ 200, MXP_SRTP_R_OK },       /* jump by more than the window */
		{ 3, MXP_SRTP_R_TOO_OLD },    /* forgotten, must not read as new */
		{ 73, MXP_SRTP_R_OK },        /* 200 - 127: last index inside */
		{ 72, MXP_SRTP_R_TOO_OLD },   /* 200 - 128: first index outside */
		{ 73, MXP_SRTP_R_REPLAY },
		{ 199, MXP_SRTP_R_OK },
		{ 264, MXP_SRTP_R_OK },       /* next word of the ring */
		{ 199, MXP_SRTP_R_REPLAY },   /* still remembered across the word boundary */
		{ 137, MXP_SRTP_R_OK },       /* 264 - 127 */
		{ 136, MXP_SRTP_R_TOO_OLD },
		{ 100000, MXP_SRTP_R_OK },    /* far future clears everything */
		{ 99873, MXP_SRTP_R_OK },     /* fresh bit after the clear */
		{ 99873, MXP_SRTP_R_REPLAY },
		{ 100000, MXP_SRTP_R_REPLAY },
		{ 99999, MXP_SRTP_R_OK },
		{ (UINT64_C(1) << 48) - 1, MXP_SRTP_R_OK }, /* the largest SRTP index */
		{ (UINT64_C(1) << 48) - 128, MXP_SRTP_R_OK },
		{ (UINT64_C(1) << 48) - 129, MXP_SRTP_R_TOO_OLD },
	};
	struct mxp_srtp_params p = { .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
				     .dir = MXP_SRTP_INBOUND };
	struct mxp_srtp_ctx *c = test_ctx_new(&p);
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		enum mxp_srtp_reason r = srtp_rtp_check(srtp_ctx_stream(c), rows[i].idx);
		if (r == MXP_SRTP_R_OK)
			srtp_rtp_commit(srtp_ctx_stream(c), rows[i].idx);
		if (r != rows[i].want)
			printf("#   row %zu: index %llu\n", i, (unsigned long long)rows[i].idx);
		MXP_CHECK_EQ(t, r, rows[i].want);
	}
	test_ctx_free(c);

	/* Every window size keeps exactly `window` indices. */
	for (uint32_t w = MXP_SRTP_REPLAY_WINDOW_MIN; w <= MXP_SRTP_REPLAY_WINDOW_MAX; w += 61) {
		p.replay_window = w;
		c = test_ctx_new(&p);
		for (uint64_t i = 0; i < 3000; i += 1)
			srtp_rtp_commit(srtp_ctx_stream(c), i * 3);
		uint64_t top = 2999 * 3;
		MXP_CHECK_EQ(t, srtp_rtp_check(srtp_ctx_stream(c), top - (w - 1)),
			     (top - (w - 1)) % 3 ? MXP_SRTP_R_OK : MXP_SRTP_R_REPLAY);
		MXP_CHECK_EQ(t, srtp_rtp_check(srtp_ctx_stream(c), top - w), MXP_SRTP_R_TOO_OLD);
		test_ctx_free(c);
	}
}

/* --- ROC estimation: RFC 3711 3.3.1 / appendix A rows -------------------------------- */

MXP_TEST(roc_estimation_table)
{
	static const struct {
		uint32_t roc;
		uint16_t s_l, seq;
		bool ok;
		uint32_t want_roc;
	} rows[] = {
		{ 0, 100, 101, true, 0 },
		{ 0, 65535, 0, true, 1 },       /* wrap forward */
		{ 1, 0, 65535, true, 0 },       /* late packet from before the wrap */
		{ 0, 100, 65000, false, 0 },    /* would be ROC -1 */
		{ 5, 40000, 7231, true, 6 },    /* s_l - 2^15 = 7232 > seq: next ROC */
		{ 5, 40000, 7232, true, 5 },
		{ 5, 32767, 65535, true, 5 },   /* seq - s_l = 2^15 exactly: same ROC */
		{ 5, 32766, 65535, true, 4 },   /* seq - s_l = 2^15 + 1: previous ROC */
		{ 7, 32768, 0, true, 7 },       /* s_l - 2^15 = 0, not > 0 */
		{ UINT32_MAX, 65535, 0, false, 0 }, /* past the last ROC */
	};
	struct mxp_srtp_params p = { .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
				     .dir = MXP_SRTP_INBOUND };
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		p.roc = rows[i].roc;
		p.s_l = rows[i].s_l;
		p.s_l_valid = true;
		struct mxp_srtp_ctx *c = test_ctx_new(&p);
		uint64_t idx = 0;
		bool ok = srtp_estimate_index(srtp_ctx_stream(c), rows[i].seq, &idx);
		MXP_CHECK_EQ(t, ok, rows[i].ok);
		if (ok && rows[i].ok)
			MXP_CHECK_EQ(t, idx, (uint64_t)rows[i].want_roc << 16 | rows[i].seq);
		test_ctx_free(c);
	}
}

/* --- round trips -------------------------------------------------------------------------- */

/* Packets of several shapes: payload lengths, CSRCs, header extension, padding bit. */
static size_t
shaped_rtp(uint8_t *b, unsigned int i, uint16_t seq)
{
	static const size_t lens[] = { 0, 1, 15, 16, 17, 160, 1200, 33 };
	size_t n = test_rtp(b, seq, i * 160, SSRC, lens[i % 8], (uint8_t)i);
	if (i % 3 == 1) { /* two CSRCs */
		memmove(b + 20, b + 12, n - 12);
		b[0] |= 2;
		memset(b + 12, 0xc5, 8);
		n += 8;
	}
	if (i % 5 == 2) { /* header extension with 2 words */
		size_t h = 12 + 4u * (b[0] & 15);
		memmove(b + h + 12, b + h, n - h);
		b[0] |= 0x10;
		b[h] = 0xbe;
		b[h + 1] = 0xde;
		b[h + 2] = 0;
		b[h + 3] = 2;
		memset(b + h + 4, 0xe7, 8);
		n += 12;
	}
	return n;
}

MXP_TEST(roundtrip_suites_drivers)
{
	static const uint8_t mki[4] = { 0, 0, 0, 7 };
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(test_suites[s]);
		for (size_t a = 0; a < N_TEST_DRIVERS; a++) {
			for (size_t b = 0; b < N_TEST_DRIVERS; b++) {
				for (size_t ml = 0; ml <= 4; ml += 4) {
					struct mxp_srtp_ctx *o = pair_ctx(test_suites[s],
						MXP_SRTP_OUTBOUND, test_drivers[a], mki, ml);
					struct mxp_srtp_ctx *in = pair_ctx(test_suites[s],
						MXP_SRTP_INBOUND, test_drivers[b], mki, ml);
					unsigned int bad = 0;
					uint64_t bytes = 0;
					for (unsigned int i = 0; i < 40; i++) {
						uint8_t plain[1400], buf[1500];
						size_t n = shaped_rtp(plain, i, (uint16_t)(1000 + i));
						size_t len = n;
						bytes += n;
						memcpy(buf, plain, n);
						if (mxp_srtp_protect(o, buf, &len, sizeof(buf)) != 0 ||
						    len != n + si->srtp_tag_len + ml)
							bad++;
						/* the header is sent in clear, the payload is not */
						if (memcmp(buf, plain, 12) != 0 ||
						    (n > 40 && memcmp(buf + n - 16, plain + n - 16, 16) == 0))
							bad++;
						if (mxp_srtp_unprotect(in, buf, &len) != 0 || len != n ||
						    memcmp(buf, plain, n) != 0)
							bad++;
					}
					if (!MXP_CHECK(t, bad == 0))
						printf("#   %s %s->%s mki %zu\n", si->name,
						       test_drivers[a], test_drivers[b], ml);
					struct mxp_srtp_stats so, sn;
					mxp_srtp_ctx_stats(o, &so);
					mxp_srtp_ctx_stats(in, &sn);
					MXP_CHECK_EQ(t, so.srtp_protected, 40);
					MXP_CHECK_EQ(t, so.encryptions, 40);
					MXP_CHECK_EQ(t, so.bytes_protected, bytes);
					MXP_CHECK_EQ(t, sn.srtp_unprotected, 40);
					MXP_CHECK_EQ(t, sn.decryptions, 40);
					MXP_CHECK_EQ(t, sn.bytes_unprotected, bytes);
					test_ctx_free(o);
					test_ctx_free(in);
				}
			}
		}
	}
}

/* SRTCP, encrypted and not, across drivers, with and without MKI. */
MXP_TEST(srtcp_roundtrip)
{
	static const uint8_t mki[2] = { 0x12, 0x34 };
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(test_suites[s]);
		for (size_t a = 0; a < N_TEST_DRIVERS; a++) {
			for (int unenc = 0; unenc <= 1; unenc++) {
				size_t ml = unenc ? 0 : 2;
				struct mxp_srtp_params p = { .suite = test_suites[s],
							     .dir = MXP_SRTP_OUTBOUND,
							     .driver = test_drivers[a], .ssrc = SSRC,
							     .srtcp_unencrypted = unenc,
							     .srtcp_index = 77 };
				struct mxp_srtp_ctx *o = test_ctx_new(&p);
				MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(o, K32, S14, mki, ml, 0), 0);
				struct mxp_srtp_ctx *in = pair_ctx(test_suites[s], MXP_SRTP_INBOUND,
					test_drivers[N_TEST_DRIVERS - 1 - a], mki, ml);
				for (unsigned int i = 0; i < 5; i++) {
					uint8_t plain[64], buf[128];
					size_t n = test_rtcp(plain, SSRC, (uint8_t)i), len = n;
					memcpy(buf, plain, n);
					MXP_CHECK_EQ(t, mxp_srtcp_protect(o, buf, &len, sizeof(buf)), 0);
					MXP_CHECK_EQ(t, len, n + 4 + ml + si->srtcp_tag_len);
					/* E flag and index */
					const uint8_t *e = buf + n + (si->aead ? 16 : 0);
					MXP_CHECK_EQ(t, mxp_be_rd32(e), (unenc ? 0 : 0x80000000u) | (77 + i));
					MXP_CHECK_EQ(t, memcmp(buf + 8, plain + 8, n - 8) == 0, unenc);
					uint8_t copy[128];
					memcpy(copy, buf, len);
					size_t clen = len;
					MXP_CHECK_EQ(t, mxp_srtcp_unprotect(in, buf, &len), 0);
					MXP_CHECK_EQ(t, len, n);
					MXP_CHECK_MEM(t, buf, plain, n);
					MXP_CHECK_EQ(t, mxp_srtcp_unprotect(in, copy, &clen),
						     MXP_SRTP_R_REPLAY);
				}
				struct mxp_srtp_stats st;
				mxp_srtp_ctx_stats(o, &st);
				MXP_CHECK_EQ(t, st.srtcp_protected, 5);
				MXP_CHECK_EQ(t, st.encryptions, unenc ? 0 : 5);
				mxp_srtp_ctx_stats(in, &st);
				MXP_CHECK_EQ(t, st.srtcp_unprotected, 5);
				MXP_CHECK_EQ(t, st.drops[MXP_SRTP_R_REPLAY], 5);
				test_ctx_free(o);
				test_ctx_free(in);
			}
		}
	}
}

/* Sequence wrap: the ROC increments, on both sides. */
MXP_TEST(sequence_wrap)
{
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		struct mxp_srtp_ctx *o = pair_ctx(test_suites[s], MXP_SRTP_OUTBOUND, NULL, NULL, 0);
		struct mxp_srtp_ctx *in = pair_ctx(test_suites[s], MXP_SRTP_INBOUND, NULL, NULL, 0);
		unsigned int bad = 0;
		for (unsigned int i = 0; i < 40; i++) {
			uint8_t b[256];
			size_t len = test_rtp(b, (uint16_t)(65520 + i), i, SSRC, 20, 1);
			bad += mxp_srtp_protect(o, b, &len, sizeof(b)) != 0;
			bad += mxp_srtp_unprotect(in, b, &len) != 0;
		}
		MXP_CHECK_EQ(t, bad, 0);
		struct mxp_srtp_stream_info a, b;
		mxp_srtp_ctx_stream_info(o, &a);
		mxp_srtp_ctx_stream_info(in, &b);
		MXP_CHECK_EQ(t, a.roc, 1);
		MXP_CHECK_EQ(t, b.roc, 1);
		MXP_CHECK_EQ(t, b.s_l, (uint16_t)(65520 + 39));
		test_ctx_free(o);
		test_ctx_free(in);
	}
}

/* Reordering inside the window, a loss burst, duplicates, and a very old packet. */
MXP_TEST(reorder_loss_replay)
{
	enum { N = 400 };
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		struct mxp_srtp_ctx *o = pair_ctx(test_suites[s], MXP_SRTP_OUTBOUND, NULL, NULL, 0);
		struct mxp_srtp_ctx *in = pair_ctx(test_suites[s], MXP_SRTP_INBOUND, NULL, NULL, 0);
		static uint8_t pk[N][256];
		static size_t pl[N];
		for (unsigned int i = 0; i < N; i++) {
			pl[i] = test_rtp(pk[i], (uint16_t)(65300 + i), i, SSRC, 40, (uint8_t)i);
			MXP_CHECK_EQ(t, mxp_srtp_protect(o, pk[i], &pl[i], sizeof(pk[i])), 0);
		}
		/* deliver: 0..99 swapped in pairs, loss 100..199, 200..399 in order except 390,
		 * each of 251..380 followed by a replay of packet i-5 */
		unsigned int ok = 0, replays = 0, old = 0;
		uint8_t b[256];
		size_t len;
		for (unsigned int i = 0; i < 100; i++) {
			unsigned int k = i ^ 1;
			memcpy(b, pk[k], pl[k]);
			len = pl[k];
			ok += mxp_srtp_unprotect(in, b, &len) == 0;
		}
		for (unsigned int i = 200; i < N; i++) {
			if (i == 390)
				continue;
			memcpy(b, pk[i], pl[i]);
			len = pl[i];
			ok += mxp_srtp_unprotect(in, b, &len) == 0;
			if (i > 250 && i <= 380) {
				memcpy(b, pk[i - 5], pl[i - 5]);
				len = pl[i - 5];
				replays += mxp_srtp_unprotect(in, b, &len) == MXP_SRTP_R_REPLAY;
			}
		}
		/* 99 is 300 packets behind the top: too old, whatever its tag */
		memcpy(b, pk[99], pl[99]);
		len = pl[99];
		old += mxp_srtp_unprotect(in, b, &len) == MXP_SRTP_R_TOO_OLD;
		/* a lost packet from the lost burst is far behind: too old */
		memcpy(b, pk[150], pl[150]);
		len = pl[150];
		old += mxp_srtp_unprotect(in, b, &len) == MXP_SRTP_R_TOO_OLD;
		/* a packet held back inside the window arrives late: accepted, then a replay */
		memcpy(b, pk[390], pl[390]);
		len = pl[390];
		MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), MXP_SRTP_R_OK);
		memcpy(b, pk[390], pl[390]);
		len = pl[390];
		MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), MXP_SRTP_R_REPLAY);
		MXP_CHECK_EQ(t, ok, 299);
		MXP_CHECK_EQ(t, replays, 130);
		MXP_CHECK_EQ(t, old, 2);
		struct mxp_srtp_stream_info si;
		mxp_srtp_ctx_stream_info(in, &si);
		MXP_CHECK_EQ(t, si.roc, 1); /* 65300 + 399 wrapped */
		test_ctx_free(o);
		test_ctx_free(in);
	}
}

/* Any change to an authenticated byte or the tag is rejected; nothing is committed. */
MXP_TEST(forgeries_rejected)
{
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		for (size_t d = 0; d < N_TEST_DRIVERS; d++) {
			struct mxp_srtp_ctx *o = pair_ctx(test_suites[s], MXP_SRTP_OUTBOUND,
							  test_drivers[d], NULL, 0);
			struct mxp_srtp_ctx *in = pair_ctx(test_suites[s], MXP_SRTP_INBOUND,
							   test_drivers[d], NULL, 0);
			uint8_t good[256], b[256];
			size_t gl = test_rtp(good, 9, 9, SSRC, 30, 3);
			MXP_CHECK_EQ(t, mxp_srtp_protect(o, good, &gl, sizeof(good)), 0);
			unsigned int accepted = 0;
			for (size_t at = 0; at < gl; at++) {
				for (int bit = 0; bit < 8; bit += 3) {
					memcpy(b, good, gl);
					b[at] ^= (uint8_t)(1u << bit);
					size_t len = gl;
					accepted += mxp_srtp_unprotect(in, b, &len) == 0;
				}
			}
			MXP_CHECK_EQ(t, accepted, 0);
			/* truncated by one byte, and cut to nothing */
			size_t len = gl - 1;
			memcpy(b, good, gl);
			MXP_CHECK(t, mxp_srtp_unprotect(in, b, &len) != 0);
			len = 5;
			MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), MXP_SRTP_R_BAD_HEADER);
			/* the genuine packet still passes: the forgeries committed nothing */
			memcpy(b, good, gl);
			len = gl;
			MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), 0);
			struct mxp_srtp_stats st;
			mxp_srtp_ctx_stats(in, &st);
			MXP_CHECK(t, st.drops[MXP_SRTP_R_AUTH] > 0);
			MXP_CHECK_EQ(t, st.srtp_unprotected, 1);
			test_ctx_free(o);
			test_ctx_free(in);
		}
	}
}

/* Verify-only: tag and window, packet byte-identical, window committed. */
MXP_TEST(verify_only)
{
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		for (size_t d = 0; d < N_TEST_DRIVERS; d++) {
			struct mxp_srtp_ctx *o = pair_ctx(test_suites[s], MXP_SRTP_OUTBOUND,
							  test_drivers[d], (const uint8_t *)"\x01", 1);
			struct mxp_srtp_ctx *in = pair_ctx(test_suites[s], MXP_SRTP_INBOUND,
							   test_drivers[d], (const uint8_t *)"\x01", 1);
			uint8_t pk[2][1400], copy[1400];
			struct mxp_srtp_pkt p[2];
			struct mxp_srtp_ctx *cs[2] = { in, in };
			uint8_t r[2];
			size_t l0 = test_rtp(pk[0], 1, 1, SSRC, 1200, 1);
			MXP_CHECK_EQ(t, mxp_srtp_protect(o, pk[0], &l0, sizeof(pk[0])), 0);
			memcpy(pk[1], pk[0], l0);
			memcpy(copy, pk[0], l0);
			p[0] = (struct mxp_srtp_pkt){ .data = pk[0], .len = (uint32_t)l0 };
			p[1] = (struct mxp_srtp_pkt){ .data = pk[1], .len = (uint32_t)l0 };
			/* the second copy in the same burst is a replay */
			MXP_CHECK_EQ(t, mxp_srtp_verify_pkts(cs, p, 2, r), 1);
			MXP_CHECK_EQ(t, r[0], MXP_SRTP_R_OK);
			MXP_CHECK_EQ(t, r[1], MXP_SRTP_R_REPLAY);
			MXP_CHECK_EQ(t, p[0].len, l0);
			MXP_CHECK_MEM(t, pk[0], copy, l0);
			MXP_CHECK_MEM(t, pk[1], copy, l0);
			/* a forged one (new seq, same tag) is rejected and left as it was */
			pk[1][3] = 2;
			memcpy(copy, pk[1], l0);
			p[1].len = (uint32_t)l0;
			struct mxp_srtp_ctx *c1 = in;
			MXP_CHECK_EQ(t, mxp_srtp_verify_pkts(&c1, &p[1], 1, r), 0);
			MXP_CHECK_EQ(t, r[0], MXP_SRTP_R_AUTH);
			MXP_CHECK_MEM(t, pk[1], copy, l0);
			struct mxp_srtp_stats st;
			mxp_srtp_ctx_stats(in, &st);
			MXP_CHECK_EQ(t, st.srtp_verified, 1);
			MXP_CHECK_EQ(t, st.decryptions, 0);
			test_ctx_free(o);
			test_ctx_free(in);
		}
	}
}

/* Same packet twice in one unprotect burst: the second is a replay. */
MXP_TEST(burst_duplicate)
{
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		struct mxp_srtp_ctx *o = pair_ctx(test_suites[s], MXP_SRTP_OUTBOUND, NULL, NULL, 0);
		struct mxp_srtp_ctx *in = pair_ctx(test_suites[s], MXP_SRTP_INBOUND, NULL, NULL, 0);
		uint8_t pk[3][256];
		struct mxp_srtp_pkt p[3];
		struct mxp_srtp_ctx *cs[3] = { in, in, in };
		uint8_t r[3];
		size_t l = test_rtp(pk[0], 5, 5, SSRC, 50, 5);
		MXP_CHECK_EQ(t, mxp_srtp_protect(o, pk[0], &l, sizeof(pk[0])), 0);
		size_t l2 = test_rtp(pk[2], 6, 6, SSRC, 50, 6);
		MXP_CHECK_EQ(t, mxp_srtp_protect(o, pk[2], &l2, sizeof(pk[2])), 0);
		memcpy(pk[1], pk[0], l);
		for (int i = 0; i < 3; i++)
			p[i] = (struct mxp_srtp_pkt){ .data = pk[i], .len = (uint32_t)(i == 2 ? l2 : l) };
		MXP_CHECK_EQ(t, mxp_srtp_unprotect_pkts(cs, p, 3, r), 2);
		MXP_CHECK_EQ(t, r[0], MXP_SRTP_R_OK);
		MXP_CHECK_EQ(t, r[1], MXP_SRTP_R_REPLAY);
		MXP_CHECK_EQ(t, r[2], MXP_SRTP_R_OK);
		/* and protect never reuses an index: seq 5 again is refused */
		uint8_t b[256];
		size_t bl = test_rtp(b, 5, 5, SSRC, 50, 5);
		MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &bl, sizeof(b)), MXP_SRTP_R_REPLAY);
		test_ctx_free(o);
		test_ctx_free(in);
	}
}

/* MKI: several keys, the receiver selects by MKI, the sender uses the active one. */
MXP_TEST(mki_rekey)
{
	static const uint8_t m1[2] = { 0, 1 }, m2[2] = { 0, 2 }, m3[2] = { 0, 3 };
	for (size_t s = 0; s < N_TEST_SUITES; s++) {
		struct mxp_srtp_params po = { .suite = test_suites[s], .dir = MXP_SRTP_OUTBOUND,
					      .ssrc = SSRC };
		struct mxp_srtp_params pi = { .suite = test_suites[s], .dir = MXP_SRTP_INBOUND,
					      .ssrc = SSRC };
		struct mxp_srtp_ctx *o = test_ctx_new(&po), *in = test_ctx_new(&pi);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(o, K32, S14, m1, 2, 0), 0);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(in, K32, S14, m1, 2, 0), 0);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(in, K32B, S14, m2, 2, 0), 0);
		/* errors */
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(in, K32B, S14, m2, 2, 0), -EEXIST);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(in, K32B, S14, m3, 1, 0), -EINVAL);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_activate(o, m2, 2), -ENOENT);

		uint8_t b[256], old[256];
		size_t len = test_rtp(b, 1, 1, SSRC, 30, 1), ol;
		MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), 0);
		memcpy(old, b, len);
		ol = len;
		MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), 0);
		/* switch the sender to key 2: the new MKI is on the wire */
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(o, K32B, S14, m2, 2, 0), 0);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_activate(o, m2, 2), 0);
		len = test_rtp(b, 2, 2, SSRC, 30, 2);
		MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), 0);
		const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(test_suites[s]);
		size_t mki_at = si->aead ? len - 2 : len - 2 - si->srtp_tag_len;
		MXP_CHECK_MEM(t, b + mki_at, m2, 2);
		MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), 0);
		/* the receiver drops key 1: its packets now have an unknown MKI */
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_remove(in, m1, 2), 0);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_remove(in, m1, 2), -ENOENT);
		len = ol;
		MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, old, &len), MXP_SRTP_R_UNKNOWN_MKI);
		/* a packet with key 2's MKI but key 1's protection fails authentication */
		memcpy(b, old, ol);
		memcpy(b + (si->aead ? ol - 2 : ol - 2 - si->srtp_tag_len), m2, 2);
		b[3] = 9; /* fresh seq so the window does not answer first */
		len = ol;
		MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), MXP_SRTP_R_AUTH);
		/* removing the active key leaves the sender without a key */
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_remove(o, m2, 2), 0);
		len = test_rtp(b, 3, 3, SSRC, 30, 3);
		MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_NO_KEY);
		/* key info: fingerprint, never the key */
		struct mxp_srtp_key_info ki;
		int found = 0;
		for (unsigned int slot = 0; slot < MXP_SRTP_MAX_KEYS; slot++) {
			if (mxp_srtp_ctx_key_info(in, slot, &ki) != 0)
				continue;
			found++;
			char fp[9];
			mxp_srtp_key_fingerprint(K32B, si->key_len, S14, si->salt_len, fp);
			MXP_CHECK_STR(t, ki.fingerprint, fp);
			MXP_CHECK_EQ(t, ki.srtp_used, 1);
		}
		MXP_CHECK_EQ(t, found, 1);
		/* capacity */
		struct mxp_srtp_ctx *f = test_ctx_new(&pi);
		for (uint8_t i = 0; i < MXP_SRTP_MAX_KEYS; i++)
			MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(f, K32, S14, &i, 1, 0), 0);
		uint8_t more = 99;
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(f, K32, S14, &more, 1, 0), -ENOSPC);
		test_ctx_free(f);
		/* without MKI, one key only */
		f = test_ctx_new(&pi);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(f, K32, S14, NULL, 0, 0), 0);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(f, K32B, S14, NULL, 0, 0), -EEXIST);
		test_ctx_free(f);
		test_ctx_free(o);
		test_ctx_free(in);
	}
}

/* Key lifetime: soft event, then exhaustion, for SRTP and SRTCP, on both sides. */
MXP_TEST(key_lifetime)
{
	struct mxp_srtp_params po = { .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
				      .dir = MXP_SRTP_OUTBOUND, .ssrc = SSRC,
				      .key_soft_percent = 50 };
	struct mxp_srtp_params pi = po;
	pi.dir = MXP_SRTP_INBOUND;
	struct mxp_srtp_ctx *o = test_ctx_new(&po), *in = test_ctx_new(&pi);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(o, K32, S14, NULL, 0, 10), 0);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(in, K32, S14, NULL, 0, 8), 0);
	unsigned int sent = 0, recv = 0;
	uint32_t ev_o = 0, ev_i = 0;
	for (unsigned int i = 0; i < 12; i++) {
		uint8_t b[256];
		size_t len = test_rtp(b, (uint16_t)i, i, SSRC, 20, 1);
		enum mxp_srtp_reason r = mxp_srtp_protect(o, b, &len, sizeof(b));
		if (i == 4)
			ev_o = mxp_srtp_ctx_events(o);
		if (r == MXP_SRTP_R_OK) {
			sent++;
			recv += mxp_srtp_unprotect(in, b, &len) == MXP_SRTP_R_OK;
		} else {
			MXP_CHECK_EQ(t, r, MXP_SRTP_R_KEY_EXHAUSTED);
		}
		if (i == 3)
			ev_i = mxp_srtp_ctx_events(in);
	}
	MXP_CHECK_EQ(t, sent, 10);
	MXP_CHECK_EQ(t, recv, 8);
	MXP_CHECK_EQ(t, ev_o, MXP_SRTP_EV_KEY_SOFT);      /* 5 of 10 used */
	MXP_CHECK_EQ(t, ev_i, MXP_SRTP_EV_KEY_SOFT);      /* 4 of 8 used */
	MXP_CHECK_EQ(t, mxp_srtp_ctx_events(o), MXP_SRTP_EV_KEY_EXHAUSTED);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_events(in), MXP_SRTP_EV_KEY_EXHAUSTED);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_events(in), 0);
	struct mxp_srtp_key_info ki;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_info(o, 0, &ki), 0);
	MXP_CHECK(t, ki.exhausted && ki.soft);
	MXP_CHECK_EQ(t, ki.srtp_limit, 10);
	MXP_CHECK_EQ(t, ki.srtcp_limit, 10);
	/* SRTCP has its own count under the same lifetime */
	uint8_t b[128];
	size_t len = test_rtcp(b, SSRC, 1);
	MXP_CHECK_EQ(t, mxp_srtcp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_OK);
	struct mxp_srtp_stats st;
	mxp_srtp_ctx_stats(o, &st);
	MXP_CHECK_EQ(t, st.drops[MXP_SRTP_R_KEY_EXHAUSTED], 2);
	test_ctx_free(o);
	test_ctx_free(in);

	/* The SRTCP index space ends at 2^31 - 1. */
	po.srtcp_index = 0x7fffffff;
	o = test_ctx_new(&po);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(o, K32, S14, NULL, 0, 0), 0);
	len = test_rtcp(b, SSRC, 1);
	MXP_CHECK_EQ(t, mxp_srtcp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_OK);
	len = test_rtcp(b, SSRC, 1);
	MXP_CHECK_EQ(t, mxp_srtcp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_KEY_EXHAUSTED);
	test_ctx_free(o);
}

/* ssrc_learn: the first authenticated packet fixes the SSRC. */
MXP_TEST(ssrc_learn)
{
	struct mxp_srtp_params pa = { .suite = MXP_SRTP_AEAD_AES_128_GCM,
				      .dir = MXP_SRTP_OUTBOUND, .ssrc = 0xaaaa };
	struct mxp_srtp_params pb = pa;
	pb.ssrc = 0xbbbb;
	struct mxp_srtp_params pi = { .suite = MXP_SRTP_AEAD_AES_128_GCM,
				      .dir = MXP_SRTP_INBOUND, .ssrc_learn = true };
	struct mxp_srtp_ctx *a = test_ctx_new(&pa), *b = test_ctx_new(&pb), *in = test_ctx_new(&pi);
	mxp_srtp_ctx_key_add(a, K32, S14, NULL, 0, 0);
	mxp_srtp_ctx_key_add(b, K32, S14, NULL, 0, 0);
	mxp_srtp_ctx_key_add(in, K32, S14, NULL, 0, 0);
	uint8_t x[256], y[256];
	size_t xl = test_rtp(x, 1, 1, 0xaaaa, 20, 1), yl = test_rtp(y, 1, 1, 0xbbbb, 20, 1);
	MXP_CHECK_EQ(t, mxp_srtp_protect(a, x, &xl, sizeof(x)), 0);
	MXP_CHECK_EQ(t, mxp_srtp_protect(b, y, &yl, sizeof(y)), 0);
	/* a forged packet does not teach the SSRC (a failed packet may be left decrypted in
	 * place: work on a copy) */
	uint8_t xf[256];
	memcpy(xf, x, xl);
	xf[20] ^= 1;
	size_t l = xl;
	MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, xf, &l), MXP_SRTP_R_AUTH);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_events(in), 0);
	/* the first genuine packet is learned */
	l = yl;
	MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, y, &l), 0);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_events(in), MXP_SRTP_EV_SSRC_LEARNED);
	l = xl;
	MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, x, &l), MXP_SRTP_R_SSRC_MISMATCH);
	struct mxp_srtp_stream_info si;
	mxp_srtp_ctx_stream_info(in, &si);
	MXP_CHECK(t, si.ssrc_known && si.ssrc == 0xbbbb);
	/* the SSRC of the packet dropped for carrying another one is kept for the notification */
	MXP_CHECK_EQ(t, si.other_ssrc, 0xaaaa);
	/* ...but only once it authenticated: a forgery under another SSRC is an auth failure
	 * and names no SSRC (anyone can put any SSRC in a packet) */
	uint8_t z[256];
	size_t zl = test_rtp(z, 2, 2, 0xcccc, 20, 1);
	struct mxp_srtp_params pc = pa;
	pc.ssrc = 0xcccc;
	struct mxp_srtp_ctx *cc = test_ctx_new(&pc);
	mxp_srtp_ctx_key_add(cc, K32B, S14, NULL, 0, 0); /* a key the receiver does not have */
	MXP_CHECK_EQ(t, mxp_srtp_protect(cc, z, &zl, sizeof(z)), 0);
	l = zl;
	MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, z, &l), MXP_SRTP_R_AUTH);
	mxp_srtp_ctx_stream_info(in, &si);
	MXP_CHECK_EQ(t, si.other_ssrc, 0xaaaa);
	test_ctx_free(cc);
	test_ctx_free(a);
	test_ctx_free(b);
	test_ctx_free(in);
}

/* Wrong direction, no room, bad headers, SSRC mismatch on send. */
MXP_TEST(packet_errors)
{
	struct mxp_srtp_ctx *o = pair_ctx(MXP_SRTP_AES_CM_128_HMAC_SHA1_80, MXP_SRTP_OUTBOUND,
					  NULL, NULL, 0);
	struct mxp_srtp_ctx *in = pair_ctx(MXP_SRTP_AES_CM_128_HMAC_SHA1_80, MXP_SRTP_INBOUND,
					   NULL, NULL, 0);
	uint8_t b[256];
	size_t len = test_rtp(b, 1, 1, SSRC, 20, 1);
	MXP_CHECK_EQ(t, mxp_srtp_unprotect(o, b, &len), MXP_SRTP_R_WRONG_DIR);
	MXP_CHECK_EQ(t, mxp_srtp_protect(in, b, &len, sizeof(b)), MXP_SRTP_R_WRONG_DIR);
	MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, len + 9), MXP_SRTP_R_NO_ROOM);
	b[0] = 0x40; /* version 1 */
	MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_BAD_HEADER);
	b[0] = 0x8f; /* 15 CSRCs: longer than the packet */
	MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_BAD_HEADER);
	b[0] = 0x90; /* extension header with length past the end */
	b[12] = 0xbe;
	b[13] = 0xde;
	b[14] = 0x00;
	b[15] = 0x09;
	MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_BAD_HEADER);
	len = test_rtp(b, 1, 1, SSRC + 1, 20, 1);
	MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_SSRC_MISMATCH);
	len = 7;
	MXP_CHECK_EQ(t, mxp_srtcp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_BAD_HEADER);
	len = test_rtp(b, 1, 1, SSRC, 0, 1); /* header only is fine */
	MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), MXP_SRTP_R_OK);
	MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), MXP_SRTP_R_OK);
	MXP_CHECK_EQ(t, len, 12);
	struct mxp_srtp_stats st;
	mxp_srtp_ctx_stats(o, &st);
	MXP_CHECK_EQ(t, st.drops[MXP_SRTP_R_BAD_HEADER], 4);
	MXP_CHECK_EQ(t, st.drops[MXP_SRTP_R_NO_ROOM], 1);
	MXP_CHECK_EQ(t, st.drops[MXP_SRTP_R_SSRC_MISMATCH], 1);
	MXP_CHECK_STR(t, mxp_srtp_reason_name(MXP_SRTP_R_AUTH), "auth_failed");
	MXP_CHECK_STR(t, mxp_srtp_reason_name(200), "?");
	test_ctx_free(o);
	test_ctx_free(in);
}

/*
 * Key derivation rate: session keys change every kdr packets. Independent check: derive
 * the session key for r = 2 with OpenSSL's AES-CTR directly (RFC 3711 4.3.1) and check
 * the keystream of packet index 2 * kdr against it.
 */
MXP_TEST(key_derivation_rate)
{
	enum { KDR = 16 };
	for (size_t d = 0; d < N_TEST_DRIVERS; d++) {
		struct mxp_srtp_params po = { .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
					      .dir = MXP_SRTP_OUTBOUND, .ssrc = SSRC, .kdr = KDR,
					      .driver = test_drivers[d] };
		struct mxp_srtp_params pi = po;
		pi.dir = MXP_SRTP_INBOUND;
		pi.driver = test_drivers[N_TEST_DRIVERS - 1 - d];
		struct mxp_srtp_ctx *o = test_ctx_new(&po), *in = test_ctx_new(&pi);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(o, K32, S14, NULL, 0, 0), 0);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(in, K32, S14, NULL, 0, 0), 0);
		unsigned int bad = 0;
		uint8_t at32[256];
		size_t at32_len = 0;
		static uint8_t late[256];
		size_t late_len = 0;
		for (unsigned int i = 0; i < 70; i++) {
			uint8_t b[256];
			size_t len = test_rtp(b, (uint16_t)i, i, SSRC, 32, 0), n = len;
			memset(b + 12, 0, 32);
			bad += mxp_srtp_protect(o, b, &len, sizeof(b)) != 0;
			if (i == 2 * KDR) {
				memcpy(at32, b, len);
				at32_len = len;
			}
			if (i == 47) { /* keep one back, deliver it after r moved on */
				memcpy(late, b, len);
				late_len = len;
				continue;
			}
			bad += mxp_srtp_unprotect(in, b, &len) != 0 || len != n;
		}
		bad += mxp_srtp_unprotect(in, late, &late_len) != 0;
		MXP_CHECK_EQ(t, bad, 0);

		/* independent: k_e(r=2) = AES-CM(k_master, (label 0 || r) XOR salt), then the
		 * packet keystream with IV = k_s(r=2) ^ SSRC ^ index */
		uint8_t x[16] = { 0 }, ke[16], ks[14], zero[32] = { 0 }, iv[16] = { 0 };
		int outl;
		EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
		memcpy(x, S14, 14);
		x[13] ^= 2; /* r = 2 in the low byte of key_id; label 0 */
		EVP_EncryptInit_ex(e, EVP_aes_128_ctr(), NULL, K32, x);
		EVP_EncryptUpdate(e, ke, &outl, zero, 16);
		memcpy(x, S14, 14);
		x[7] ^= 2; /* label 2 (salt) */
		x[13] ^= 2;
		EVP_EncryptInit_ex(e, EVP_aes_128_ctr(), NULL, K32, x);
		EVP_EncryptUpdate(e, ks, &outl, zero, 14);
		memcpy(iv, ks, 14);
		iv[4] ^= (uint8_t)(SSRC >> 24);
		iv[5] ^= (uint8_t)(SSRC >> 16);
		iv[6] ^= (uint8_t)(SSRC >> 8);
		iv[7] ^= (uint8_t)SSRC;
		iv[13] ^= 2 * KDR;
		uint8_t want[32];
		EVP_EncryptInit_ex(e, EVP_aes_128_ctr(), NULL, ke, iv);
		EVP_EncryptUpdate(e, want, &outl, zero, 32);
		EVP_CIPHER_CTX_free(e);
		MXP_CHECK_EQ(t, at32_len, 12 + 32 + 10);
		MXP_CHECK_MEM(t, at32 + 12, want, 32);
		test_ctx_free(o);
		test_ctx_free(in);
	}
}

MXP_TEST(params_checked)
{
	char err[160];
	struct mxp_srtp_ctx *c = aligned_alloc(64, mxp_srtp_ctx_size() + 64);
	if (c == NULL)
		abort();
	struct mxp_srtp_params p = { .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
				     .dir = MXP_SRTP_INBOUND };
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), 0);
	mxp_srtp_ctx_fini(c);
	p.suite = 0;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), -EINVAL);
	p.suite = MXP_SRTP_AEAD_AES_256_GCM;
	p.replay_window = 32;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "replay window") != NULL);
	p.replay_window = 0;
	p.kdr = 3;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "key derivation rate") != NULL);
	p.kdr = 1u << 25;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), -EINVAL);
	p.kdr = 1u << 24;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), 0);
	mxp_srtp_ctx_fini(c);
	p.driver = "nope";
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), -ENOENT);
	MXP_CHECK(t, strstr(err, "nope") != NULL);
	p.driver = NULL;
	p.dir = MXP_SRTP_OUTBOUND;
	p.ssrc_learn = true;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), -EINVAL);
	p.ssrc_learn = false;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init((struct mxp_srtp_ctx *)((uint8_t *)c + 8), &p, err,
					  sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "aligned") != NULL);
	/* fini wipes the keys */
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(c, K32, S14, NULL, 0, 0), 0);
	MXP_CHECK(t, memmem(c, sizeof(struct mxp_srtp_ctx), K32, 16) != NULL);
	mxp_srtp_ctx_fini(c);
	MXP_CHECK(t, memmem(c, sizeof(struct mxp_srtp_ctx), K32, 16) == NULL);
	MXP_CHECK(t, memmem(c, sizeof(struct mxp_srtp_ctx), S14, 14) == NULL);
	/* key_remove wipes too */
	MXP_CHECK_EQ(t, mxp_srtp_ctx_init(c, &p, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add(c, K32, S14, (const uint8_t *)"k", 1, 0), 0);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_remove(c, (const uint8_t *)"k", 1), 0);
	MXP_CHECK(t, memmem(c, sizeof(struct mxp_srtp_ctx), K32, 16) == NULL);
	mxp_srtp_ctx_fini(c);
	free(c);
}

/* Fingerprints: expected values computed with Python's hashlib. */
MXP_TEST(fingerprint)
{
	uint8_t k[16], s[14];
	char fp[9];
	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (int i = 0; i < 14; i++)
		s[i] = (uint8_t)(16 + i);
	MXP_CHECK_EQ(t, mxp_srtp_key_fingerprint(k, 16, s, 14, fp), 0);
	MXP_CHECK_STR(t, fp, "f2192584");
	mxp_test_hex("E1F97A0D3E018BE0D64FA32C06DE4139", k, 16);
	mxp_test_hex("0EC675AD498AFEEBB6960B3AABE6", s, 14);
	MXP_CHECK_EQ(t, mxp_srtp_key_fingerprint(k, 16, s, 14, fp), 0);
	MXP_CHECK_STR(t, fp, "05e33d61");
	MXP_CHECK_EQ(t, mxp_srtp_key_fingerprint(NULL, 16, s, 14, fp), -EINVAL);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(replay_window_table),
	MXP_CASE(roc_estimation_table),
	MXP_CASE(roundtrip_suites_drivers),
	MXP_CASE(srtcp_roundtrip),
	MXP_CASE(sequence_wrap),
	MXP_CASE(reorder_loss_replay),
	MXP_CASE(forgeries_rejected),
	MXP_CASE(verify_only),
	MXP_CASE(burst_duplicate),
	MXP_CASE(mki_rekey),
	MXP_CASE(key_lifetime),
	MXP_CASE(ssrc_learn),
	MXP_CASE(packet_errors),
	MXP_CASE(key_derivation_rate),
	MXP_CASE(params_checked),
	MXP_CASE(fingerprint),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
