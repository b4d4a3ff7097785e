/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/esp unit tests: backend known answers, scapy-produced packets in and out (both
 * backends), cross-backend round trips, the anti-replay table, ESN inference, every
 * rejection with its counter, key files, frames.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxp_esp.h"
#include "mxp_test.h"

#include "esp_kat_vectors.h"
#include "esp_scapy_vectors.h"

static const char *const backends[] = { "openssl", "ipsec-mb" };
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

/* Is backend b built in (-Dipsec_mb=disabled builds only OpenSSL)? Asked once. */
static bool
backend_built(size_t b)
{
	static int built[NBACKENDS]; /* 0 not asked, 1 yes, -1 no */
	if (built[b] == 0) {
		struct mxp_esp_crypto c;
		built[b] = mxp_esp_crypto_open(&c, backends[b]) == 0 ? 1 : -1;
		if (built[b] > 0)
			mxp_esp_crypto_close(&c);
		else
			printf("# %s is not built in: its cases are skipped\n", backends[b]);
	}
	return built[b] > 0;
}

/* The backend of the endpoint tests: intel-ipsec-mb when built in, else OpenSSL. */
static const char *
endpoint_backend(void)
{
	return backend_built(1) ? backends[1] : backends[0];
}

/* A deterministic "random" source: hands out the bytes it was given, then zeros. */
struct det_rand {
	uint8_t b[64];
	size_t len, pos;
};

static int
det_rand_fn(void *arg, uint8_t *buf, size_t len)
{
	struct det_rand *d = arg;
	for (size_t i = 0; i < len; i++)
		buf[i] = d->pos < d->len ? d->b[d->pos++] : 0;
	return 0;
}

static struct mxp_esp_sa *
sa_alloc(void)
{
	return aligned_alloc(64, (mxp_esp_sa_size() + 63) & ~(size_t)63);
}

static void
hexin(const char *h, uint8_t *out, size_t cap, size_t *len)
{
	int n = mxp_test_hex(h, out, cap);
	*len = n < 0 ? 0 : (size_t)n;
}

static void
params_from_vector(struct mxp_esp_sa_params *p, const struct esp_scapy_vector *v,
		   enum mxp_esp_dir dir)
{
	size_t n;
	memset(p, 0, sizeof(*p));
	p->dir = dir;
	p->spi = v->spi;
	p->alg = v->alg;
	p->esn = v->esn;
	mxp_ip_parse(v->ipv6 ? "2001:db8::2" : "192.0.2.2", &p->local, NULL);
	mxp_ip_parse(v->ipv6 ? "2001:db8::1" : "192.0.2.1", &p->peer, NULL);
	hexin(v->key, p->key, sizeof(p->key), &n);
	p->key_len = (uint8_t)n;
	hexin(v->auth_key, p->auth_key, sizeof(p->auth_key), &n);
	p->auth_key_len = (uint8_t)n;
}

MXP_TEST(kat_gcm_both_backends)
{
	for (size_t b = 0; b < NBACKENDS; b++) {
		struct mxp_esp_crypto c;
		if (!backend_built(b))
			continue;
		MXP_CHECK_EQ(t, mxp_esp_crypto_open(&c, backends[b]), 0);
		for (size_t i = 0; i < MXP_NCASES(esp_kat_gcm); i++) {
			const struct esp_kat_gcm *v = &esp_kat_gcm[i];
			uint8_t key[32], iv[12], aad[32], pt[64], ct[64], tag[16], buf[64], icv[16];
			size_t kl, ivl, al, pl, cl, tl;
			uint8_t priv[MXP_ESP_CRYPTO_PRIV_SIZE] __attribute__((aligned(64)));
			hexin(v->key, key, sizeof(key), &kl);
			hexin(v->iv, iv, sizeof(iv), &ivl);
			hexin(v->aad, aad, sizeof(aad), &al);
			hexin(v->pt, pt, sizeof(pt), &pl);
			hexin(v->ct, ct, sizeof(ct), &cl);
			hexin(v->tag, tag, sizeof(tag), &tl);
			printf("# %s: %s\n", backends[b], v->name);
			MXP_CHECK_EQ(t, c.ops->sa_init(c.be, priv, v->alg, key, kl, NULL, 0), 0);
			memcpy(buf, pt, pl);
			struct mxp_esp_crypto_op op = { .iv = iv, .aad = aad, .aad_len = al,
				.data = buf, .data_len = pl, .icv = icv, .icv_len = 16 };
			MXP_CHECK_EQ(t, c.ops->seal(c.be, priv, v->alg, &op), 0);
			MXP_CHECK_MEM(t, buf, ct, cl);
			MXP_CHECK_MEM(t, icv, tag, tl);
			MXP_CHECK_EQ(t, c.ops->open(c.be, priv, v->alg, &op), 0);
			MXP_CHECK_MEM(t, buf, pt, pl);
			memcpy(buf, ct, cl);
			icv[15] ^= 1;
			MXP_CHECK_EQ(t, c.ops->open(c.be, priv, v->alg, &op), -EBADMSG);
			c.ops->sa_fini(c.be, priv);
		}
		mxp_esp_crypto_close(&c);
	}
}

MXP_TEST(kat_cbc_hmac_both_backends)
{
	for (size_t b = 0; b < NBACKENDS; b++) {
		struct mxp_esp_crypto c;
		if (!backend_built(b))
			continue;
		MXP_CHECK_EQ(t, mxp_esp_crypto_open(&c, backends[b]), 0);
		for (size_t i = 0; i < MXP_NCASES(esp_kat_cbc_hmac); i++) {
			const struct esp_kat_cbc_hmac *v = &esp_kat_cbc_hmac[i];
			uint8_t key[16], iv[16], pt[16], ct[16], ak[32], msg[16], want[16], icv[16];
			uint8_t buf[16];
			size_t kl, ivl, pl, cl, akl, ml, wl;
			uint8_t priv[MXP_ESP_CRYPTO_PRIV_SIZE] __attribute__((aligned(64)));
			hexin(v->key, key, sizeof(key), &kl);
			hexin(v->iv, iv, sizeof(iv), &ivl);
			hexin(v->pt, pt, sizeof(pt), &pl);
			hexin(v->ct, ct, sizeof(ct), &cl);
			hexin(v->auth_key, ak, sizeof(ak), &akl);
			hexin(v->msg, msg, sizeof(msg), &ml);
			hexin(v->icv, want, sizeof(want), &wl);
			printf("# %s: %s\n", backends[b], v->name);
			MXP_CHECK_EQ(t, c.ops->sa_init(c.be, priv, v->alg, key, kl, ak, akl), 0);
			memcpy(buf, pt, pl);
			struct mxp_esp_crypto_op op = { .iv = iv, .data = buf, .data_len = pl,
				.auth = msg, .auth_len = ml, .icv = icv, .icv_len = wl };
			MXP_CHECK_EQ(t, c.ops->seal(c.be, priv, v->alg, &op), 0);
			MXP_CHECK_MEM(t, buf, ct, cl);
			MXP_CHECK_MEM(t, icv, want, wl);
			MXP_CHECK_EQ(t, c.ops->open(c.be, priv, v->alg, &op), 0);
			MXP_CHECK_MEM(t, buf, pt, pl);
			icv[0] ^= 0x80;
			memcpy(buf, ct, cl);
			MXP_CHECK_EQ(t, c.ops->open(c.be, priv, v->alg, &op), -EBADMSG);
			/* Authenticate before decrypting: a forged packet stays ciphertext. */
			MXP_CHECK_MEM(t, buf, ct, cl);
			c.ops->sa_fini(c.be, priv);
		}
		mxp_esp_crypto_close(&c);
	}
}

MXP_TEST(scapy_packets_inbound_both_backends)
{
	struct mxp_esp_sa *sa = sa_alloc();
	for (size_t b = 0; b < NBACKENDS; b++) {
		struct mxp_esp_crypto c;
		if (!backend_built(b))
			continue;
		MXP_CHECK_EQ(t, mxp_esp_crypto_open(&c, backends[b]), 0);
		for (size_t i = 0; i < MXP_NCASES(esp_scapy_vectors); i++) {
			const struct esp_scapy_vector *v = &esp_scapy_vectors[i];
			struct mxp_esp_sa_params p;
			char err[128];
			uint8_t pkt[512], inner[512];
			size_t len, ilen;
			printf("# %s: %s\n", backends[b], v->name);
			params_from_vector(&p, v, MXP_ESP_DIR_IN);
			MXP_CHECK_EQ(t, mxp_esp_sa_init(sa, &p, &c, err, sizeof(err)), 0);
			if (v->esn)
				mxp_esp_sa_seq_set(sa, v->seq - 3);
			hexin(v->esp, pkt, sizeof(pkt), &len);
			hexin(v->inner, inner, sizeof(inner), &ilen);
			struct mxp_esp_rx rx;
			MXP_CHECK_EQ(t, mxp_esp_sa_inbound(sa, pkt, len, &rx), MXP_ESP_DROP_NONE);
			MXP_CHECK_EQ(t, rx.next_proto, 17);
			MXP_CHECK_EQ(t, rx.len, ilen);
			MXP_CHECK_EQ(t, rx.seq, v->seq);
			if (rx.len == ilen)
				MXP_CHECK_MEM(t, pkt + rx.off, inner, ilen);
			/* The same packet again is a replay. */
			hexin(v->esp, pkt, sizeof(pkt), &len);
			MXP_CHECK_EQ(t, mxp_esp_sa_inbound(sa, pkt, len, &rx), MXP_ESP_DROP_REPLAY);
			mxp_esp_sa_fini(sa);
		}
		mxp_esp_crypto_close(&c);
	}
	free(sa);
}

MXP_TEST(outbound_matches_scapy_both_backends)
{
	struct mxp_esp_sa *sa = sa_alloc();
	for (size_t b = 0; b < NBACKENDS; b++) {
		struct mxp_esp_crypto c;
		if (!backend_built(b))
			continue;
		MXP_CHECK_EQ(t, mxp_esp_crypto_open(&c, backends[b]), 0);
		for (size_t i = 0; i < MXP_NCASES(esp_scapy_vectors); i++) {
			const struct esp_scapy_vector *v = &esp_scapy_vectors[i];
			struct mxp_esp_sa_params p;
			struct det_rand dr = { 0 };
			char err[128];
			uint8_t want[512], inner[512], out[600];
			size_t wl, ilen, olen = 0;
			printf("# %s: %s\n", backends[b], v->name);
			params_from_vector(&p, v, MXP_ESP_DIR_OUT);
			uint8_t iv[16];
			size_t ivl;
			hexin(v->iv, iv, sizeof(iv), &ivl);
			if (ivl == 8) {
				/* GCM: IV = base + seq, so base = IV - seq. */
				uint64_t x = 0;
				for (int k = 0; k < 8; k++)
					x = x << 8 | iv[k];
				x -= v->seq;
				for (int k = 7; k >= 0; k--, x >>= 8)
					dr.b[k] = (uint8_t)x;
				dr.len = 8;
			} else {
				memcpy(dr.b, iv, ivl);
				dr.len = ivl;
			}
			struct mxp_esp_crypto cd = c;
			cd.rand = det_rand_fn;
			cd.rand_arg = &dr;
			if (ivl == 8) {
				MXP_CHECK_EQ(t, mxp_esp_sa_init(sa, &p, &cd, err, sizeof(err)), 0);
			} else {
				MXP_CHECK_EQ(t, mxp_esp_sa_init(sa, &p, &cd, err, sizeof(err)), 0);
			}
			mxp_esp_sa_seq_set(sa, v->seq - 1);
			hexin(v->esp, want, sizeof(want), &wl);
			hexin(v->inner, inner, sizeof(inner), &ilen);
			MXP_CHECK_EQ(t, mxp_esp_sa_outbound(sa, inner, ilen, 17, out, sizeof(out),
							    &olen), MXP_ESP_DROP_NONE);
			MXP_CHECK_EQ(t, olen, wl);
			if (olen == wl)
				MXP_CHECK_MEM(t, out, want, wl);
			MXP_CHECK_EQ(t, mxp_esp_sa_seq(sa), v->seq);
			mxp_esp_sa_fini(sa);
		}
		mxp_esp_crypto_close(&c);
	}
	free(sa);
}

MXP_TEST(cross_backend_round_trips)
{
	struct mxp_esp_crypto cs[2];
	struct mxp_esp_sa *out = sa_alloc(), *in = sa_alloc();
	static const enum mxp_esp_alg algs[] = { MXP_ESP_ALG_AES_GCM_128, MXP_ESP_ALG_AES_GCM_256,
		MXP_ESP_ALG_AES_CBC_HMAC_SHA1, MXP_ESP_ALG_AES_CBC_HMAC_SHA256 };
	if (!backend_built(1)) {
		free(out);
		free(in);
		MXP_SKIP(t, "intel-ipsec-mb is not built in (-Dipsec_mb=disabled)");
		return;
	}
	MXP_CHECK_EQ(t, mxp_esp_crypto_open(&cs[0], "openssl"), 0);
	MXP_CHECK_EQ(t, mxp_esp_crypto_open(&cs[1], "ipsec-mb"), 0);
	for (int dir = 0; dir < 2; dir++)
		for (size_t a = 0; a < MXP_NCASES(algs); a++)
			for (int esn = 0; esn < 2; esn++) {
				struct mxp_esp_sa_params p = { .spi = 0x4242, .alg = algs[a],
							       .esn = esn };
				char err[128];
				mxp_ip_parse("10.0.0.1", &p.local, NULL);
				mxp_ip_parse("10.0.0.2", &p.peer, NULL);
				p.key_len = algs[a] == MXP_ESP_ALG_AES_GCM_128 ? 20 :
					    algs[a] == MXP_ESP_ALG_AES_GCM_256 ? 36 : 16;
				p.auth_key_len = algs[a] == MXP_ESP_ALG_AES_CBC_HMAC_SHA1 ? 20 :
						 algs[a] == MXP_ESP_ALG_AES_CBC_HMAC_SHA256 ? 32 : 0;
				for (int k = 0; k < 36; k++) {
					p.key[k] = (uint8_t)(k * 7 + a);
					p.auth_key[k] = (uint8_t)(k * 13 + 1);
				}
				p.dir = MXP_ESP_DIR_OUT;
				MXP_CHECK_EQ(t, mxp_esp_sa_init(out, &p, &cs[dir], err, sizeof(err)), 0);
				p.dir = MXP_ESP_DIR_IN;
				MXP_CHECK_EQ(t, mxp_esp_sa_init(in, &p, &cs[!dir], err, sizeof(err)), 0);
				if (esn) {
					/* Cross the 2^32 boundary: seq-hi must be authenticated. */
					mxp_esp_sa_seq_set(out, UINT32_MAX - 2);
					mxp_esp_sa_seq_set(in, UINT32_MAX - 10);
				}
				unsigned int ok = 0;
				for (size_t len = 0; len <= 300; len += 23) {
					uint8_t pl[320], pkt[400];
					size_t pktlen;
					struct mxp_esp_rx rx;
					for (size_t k = 0; k < len; k++)
						pl[k] = (uint8_t)(k ^ len);
					if (mxp_esp_sa_outbound(out, pl, len, 17, pkt, sizeof(pkt),
								&pktlen) != MXP_ESP_DROP_NONE)
						continue;
					if (mxp_esp_sa_inbound(in, pkt, pktlen, &rx) !=
						    MXP_ESP_DROP_NONE ||
					    rx.len != len || memcmp(pkt + rx.off, pl, len) != 0)
						continue;
					ok++;
				}
				MXP_CHECK_EQ(t, ok, 14);
				if (esn)
					MXP_CHECK(t, mxp_esp_sa_seq(in) > UINT32_MAX);
				mxp_esp_sa_fini(out);
				mxp_esp_sa_fini(in);
			}
	mxp_esp_crypto_close(&cs[0]);
	mxp_esp_crypto_close(&cs[1]);
	free(out);
	free(in);
}

/* The anti-replay window, row by row: check, then commit whatever was accepted. */
struct replay_row {
	const char *why;
	uint64_t seq;
	enum mxp_esp_drop want;
};

#define T(why, seq, want) { why, seq, MXP_ESP_DROP_##want }

static const struct replay_row replay_rows_64[] = {
	T("sequence number 0 is never valid", 0, BAD_SEQ),
	T("first packet", 1, NONE),
	T("the same again", 1, REPLAY),
	T("next", 2, NONE),
	T("jump ahead within the window", 40, NONE),
	T("out of order, inside the window", 3, NONE),
	T("out of order, already seen", 3, REPLAY),
	T("jump to 100", 100, NONE),
	T("window edge: top - 63 is inside", 37, NONE),
	T("window edge: top - 64 is too old", 36, TOO_OLD),
	T("old and seen", 40, REPLAY),
	T("far future clears the whole bitmap", 100000, NONE),
	T("just behind far future", 99999, NONE),
	T("edge after the far jump", 99937, NONE),
	T("one past the edge", 99936, TOO_OLD),
	T("the previous top is now far too old", 100, TOO_OLD),
	T("top again", 100000, REPLAY),
	T("next block boundary", 100032, NONE),
	T("top - 63 after the block move", 99969, NONE),
	T("top - 64 after the block move", 99968, TOO_OLD),
	T("in the block the move cleared, unseen", 100031, NONE),
	T("seen before the move, still remembered", 99999, REPLAY),
	T("largest 32-bit value", UINT32_MAX, NONE),
	T("largest again", UINT32_MAX, REPLAY),
};

static const struct replay_row replay_rows_1024[] = {
	T("first", 5, NONE),
	T("far ahead", 2000, NONE),
	T("1023 behind is inside", 977, NONE),
	T("1024 behind is too old", 976, TOO_OLD),
	T("inside, unseen", 1500, NONE),
	T("inside, seen", 1500, REPLAY),
	T("2000 seen", 2000, REPLAY),
	T("one block ahead", 2064, NONE),
	T("still inside after one block", 1041, NONE),
	T("now too old", 1040, TOO_OLD),
};

static void
run_rows(struct mxp_test_ctx *t, uint32_t window, const struct replay_row *rows, size_t n)
{
	struct mxp_esp_replay r;
	MXP_CHECK_EQ(t, mxp_esp_replay_init(&r, window), 0);
	for (size_t i = 0; i < n; i++) {
		enum mxp_esp_drop d = mxp_esp_replay_check(&r, rows[i].seq);
		if (d != rows[i].want)
			printf("#   row %zu (%s): seq %llu got %s want %s\n", i, rows[i].why,
			       (unsigned long long)rows[i].seq, mxp_esp_drop_name(d),
			       mxp_esp_drop_name(rows[i].want));
		MXP_CHECK_EQ(t, d, rows[i].want);
		if (d == MXP_ESP_DROP_NONE)
			mxp_esp_replay_commit(&r, rows[i].seq);
	}
}

MXP_TEST(replay_window_table)
{
	run_rows(t, 64, replay_rows_64, MXP_NCASES(replay_rows_64));
	run_rows(t, 1024, replay_rows_1024, MXP_NCASES(replay_rows_1024));
	struct mxp_esp_replay r;
	MXP_CHECK_EQ(t, mxp_esp_replay_init(&r, 63), -EINVAL);
	MXP_CHECK_EQ(t, mxp_esp_replay_init(&r, 4096), -EINVAL);
	MXP_CHECK_EQ(t, mxp_esp_replay_init(&r, 100), -EINVAL);
	MXP_CHECK_EQ(t, mxp_esp_replay_init(&r, 0), 0);
	MXP_CHECK_EQ(t, r.window, MXP_ESP_WINDOW_DEFAULT);
}

struct esn_row {
	const char *why;
	uint64_t top;
	uint32_t lo;
	uint64_t want;
};

MXP_TEST(esn_inference_table)
{
	static const struct esn_row rows[] = {
		{ "start", 0, 1, 1 },
		{ "case B, low space, nothing below 0", 10, 0xfffffff0u, 0xfffffff0u },
		{ "case A, same subspace", 0x100000000ull + 500, 450, 0x100000000ull + 450 },
		{ "case A, wrapped ahead", 0xfffffff0ull, 5, 0x100000005ull },
		{ "case A, just behind", 0xfffffff0ull, 0xffffffe0u, 0xffffffe0ull },
		{ "case B, behind across the boundary", 0x100000010ull, 0xfffffff0u,
		  0xfffffff0ull },
		{ "case B, ahead in the same subspace", 0x100000010ull, 0x20, 0x100000020ull },
		{ "case A, far ahead still same subspace", 0x200000000ull + 1000, 0x7fffffff,
		  0x27fffffffull },
	};
	struct mxp_esp_replay r;
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		mxp_esp_replay_init(&r, 64);
		if (rows[i].top != 0)
			mxp_esp_replay_commit(&r, rows[i].top);
		uint64_t got = mxp_esp_replay_esn(&r, rows[i].lo);
		if (got != rows[i].want)
			printf("#   %s: got %llx\n", rows[i].why, (unsigned long long)got);
		MXP_CHECK_EQ(t, got, rows[i].want);
	}
}

/* An endpoint with one inbound and one outbound SA for 192.0.2.1, and its mirror. */
struct pair {
	struct mxp_esp_crypto c;
	struct mxp_esp_ep *mrfp, *mrfc;
};

static struct mxp_esp_ep *
ep_new(const struct mxp_esp_crypto *c, bool plain)
{
	size_t sz = (mxp_esp_ep_size(8, 4) + 63) & ~(size_t)63;
	struct mxp_esp_ep *ep = aligned_alloc(64, sz);
	if (ep != NULL && mxp_esp_ep_init(ep, 8, 4, c, plain) != 0) {
		free(ep);
		ep = NULL;
	}
	return ep;
}

static int
pair_setup(struct pair *pr, enum mxp_esp_alg alg, bool udp, bool plain)
{
	char err[128];
	const char *algn = mxp_esp_alg_name(alg);
	const char *k = alg == MXP_ESP_ALG_AES_GCM_128 ? "00112233445566778899aabbccddeeff01020304" :
			"00112233445566778899aabbccddeeff";
	const char *ak = alg == MXP_ESP_ALG_AES_CBC_HMAC_SHA1 ?
				 " auth-key=0102030405060708090a0b0c0d0e0f1011121314" : "";
	char l[512];
	struct mxp_esp_sa_params p;
	struct mxp_esp_peer pe = { 0 };
	int rc = 0;

	if (mxp_esp_crypto_open(&pr->c, endpoint_backend()) != 0)
		return -1;
	pr->mrfp = ep_new(&pr->c, plain);
	pr->mrfc = ep_new(&pr->c, false);
	const char *enc = udp ? " encap=udp" : "";
	/* MRFP 192.0.2.2 <- 0x1001 from MRFC 192.0.2.1; replies on 0x2001. */
	snprintf(l, sizeof(l), "in spi=0x1001 alg=%s local=192.0.2.2 peer=192.0.2.1 key=%s%s%s",
		 algn, k, ak, enc);
	rc |= mxp_esp_sa_params_parse(&p, l, err, sizeof(err));
	rc |= mxp_esp_ep_sa_add(pr->mrfp, &p, err, sizeof(err));
	p.dir = MXP_ESP_DIR_OUT;
	struct mxp_ip tmp = p.local;
	p.local = p.peer;
	p.peer = tmp;
	rc |= mxp_esp_ep_sa_add(pr->mrfc, &p, err, sizeof(err));
	snprintf(l, sizeof(l), "out spi=0x2001 alg=%s local=192.0.2.2 peer=192.0.2.1 key=%s%s%s",
		 algn, k, ak, enc);
	rc |= mxp_esp_sa_params_parse(&p, l, err, sizeof(err));
	rc |= mxp_esp_ep_sa_add(pr->mrfp, &p, err, sizeof(err));
	p.dir = MXP_ESP_DIR_IN;
	tmp = p.local;
	p.local = p.peer;
	p.peer = tmp;
	rc |= mxp_esp_ep_sa_add(pr->mrfc, &p, err, sizeof(err));
	mxp_ip_parse("192.0.2.1", &pe.addr, NULL);
	pe.out_spi = 0x2001;
	rc |= mxp_esp_ep_peer_add(pr->mrfp, &pe);
	mxp_ip_parse("192.0.2.2", &pe.addr, NULL);
	pe.out_spi = 0x1001;
	rc |= mxp_esp_ep_peer_add(pr->mrfc, &pe);
	mxp_esp_sa_params_wipe(&p);
	if (rc != 0)
		printf("# setup: %s\n", err);
	return rc;
}

static void
pair_free(struct pair *pr)
{
	mxp_esp_ep_fini(pr->mrfp);
	mxp_esp_ep_fini(pr->mrfc);
	free(pr->mrfp);
	free(pr->mrfc);
	mxp_esp_crypto_close(&pr->c);
}

/* MRFC -> MRFP: one whole IP packet. */
static size_t
send_pkt(struct pair *pr, const char *text, uint8_t *pkt, size_t cap)
{
	struct mxp_ip to;
	struct mxp_esp_meta m;
	uint8_t esp[1500];
	size_t esplen;
	mxp_ip_parse("192.0.2.2", &to, NULL);
	if (mxp_esp_ep_output(pr->mrfc, &to, (const uint8_t *)text, strlen(text), 17, esp,
			      sizeof(esp), &esplen, &m) != MXP_ESP_DROP_NONE)
		return 0;
	size_t hl = mxp_esp_frame_hdr_len(&m);
	memcpy(pkt + hl, esp, esplen);
	int n = mxp_esp_frame_build(pkt, cap, &m, esplen);
	return n < 0 ? 0 : (size_t)n;
}

static enum mxp_esp_drop
recv_pkt(struct pair *pr, uint8_t *pkt, size_t len, struct mxp_esp_rx *rx)
{
	struct mxp_esp_meta m;
	size_t off, el;
	enum mxp_esp_drop d = mxp_esp_frame_parse(pkt, len, &m, &off, &el);
	if (d != MXP_ESP_DROP_NONE) {
		mxp_esp_ep_count(pr->mrfp, d);
		return d;
	}
	d = mxp_esp_ep_input(pr->mrfp, &m, pkt + off, el, rx);
	if (d == MXP_ESP_DROP_NONE)
		rx->off += off;
	return d;
}

MXP_TEST(endpoint_rejections_each_counted)
{
	static const enum mxp_esp_alg algs[] = { MXP_ESP_ALG_AES_GCM_128,
						 MXP_ESP_ALG_AES_CBC_HMAC_SHA1 };
	for (size_t a = 0; a < 2; a++)
		for (int udp = 0; udp < 2; udp++) {
			struct pair pr;
			uint8_t pkt[2000], copy[2000];
			struct mxp_esp_rx rx;
			printf("# %s %s\n", mxp_esp_alg_name(algs[a]), udp ? "udp" : "ip50");
			MXP_CHECK_EQ(t, pair_setup(&pr, algs[a], udp, false), 0);
			const uint64_t *cnt = mxp_esp_ep_counters(pr.mrfp);
			size_t n = send_pkt(&pr, "hello", pkt, sizeof(pkt));
			MXP_CHECK(t, n > 0);
			memcpy(copy, pkt, n);
			MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_NONE);
			MXP_CHECK_EQ(t, rx.len, 5);
			MXP_CHECK(t, memcmp(pkt + rx.off, "hello", 5) == 0);
			/* replayed */
			memcpy(pkt, copy, n);
			MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_REPLAY);
			size_t esp_at = udp ? 28 : 20;
			/* wrong SPI */
			n = send_pkt(&pr, "two", pkt, sizeof(pkt));
			memcpy(copy, pkt, n);
			pkt[esp_at + 3] ^= 0x10;
			MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_NO_SA);
			/* bad ICV: must not move the window, so the genuine one still passes */
			memcpy(pkt, copy, n);
			pkt[n - 1] ^= 1;
			MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_BAD_ICV);
			memcpy(pkt, copy, n);
			pkt[esp_at + 12] ^= 1; /* ciphertext or IV bit */
			MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_BAD_ICV);
			memcpy(pkt, copy, n);
			MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_NONE);
			/* source not in the policy (IPv4 header checksum not checked by us) */
			n = send_pkt(&pr, "three", pkt, sizeof(pkt));
			memcpy(copy, pkt, n);
			pkt[15] = 99;
			MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_NOT_IN_POLICY);
			/* policy peer, but not this SA's peer */
			struct mxp_esp_peer other = { 0 };
			mxp_ip_parse("192.0.2.99", &other.addr, NULL);
			MXP_CHECK_EQ(t, mxp_esp_ep_peer_add(pr.mrfp, &other), 0);
			memcpy(pkt, copy, n);
			pkt[15] = 99;
			MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_SA_PEER);
			/* the SA's peer, but another encapsulation port (source, then
			 * destination): its own reason, also counted in the SA */
			if (udp) {
				memcpy(pkt, copy, n);
				pkt[20] ^= 1;
				MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_SA_PORT);
				memcpy(pkt, copy, n);
				pkt[23] ^= 1;
				MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_SA_PORT);
				memcpy(pkt, copy, n);
				MXP_CHECK_EQ(t, recv_pkt(&pr, pkt, n, &rx), MXP_ESP_DROP_NONE);
			}
			/* truncated */
			memcpy(pkt, copy, n);
			MXP_CHECK_EQ(t, mxp_esp_ep_input(pr.mrfp, &(struct mxp_esp_meta){ 0 }, pkt,
							 4, &rx), MXP_ESP_DROP_SHORT);
			/* plaintext refused */
			MXP_CHECK_EQ(t, mxp_esp_ep_plain_input(pr.mrfp, &other.addr),
				     MXP_ESP_DROP_PLAINTEXT);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_NONE], 2 + udp);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_REPLAY], 1);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_NO_SA], 1);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_BAD_ICV], 2);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_NOT_IN_POLICY], 1);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_SA_PEER], 1);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_SA_PORT], 2 * udp);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_SHORT], 1);
			MXP_CHECK_EQ(t, cnt[MXP_ESP_DROP_PLAINTEXT], 1);
			/* the outbound SA refuses to wrap */
			struct mxp_esp_sa *o = mxp_esp_ep_sa_find(pr.mrfc, MXP_ESP_DIR_OUT, 0x1001,
								  NULL);
			MXP_CHECK(t, o != NULL);
			mxp_esp_sa_seq_set(o, UINT32_MAX - 1);
			MXP_CHECK(t, send_pkt(&pr, "last", pkt, sizeof(pkt)) > 0);
			MXP_CHECK_EQ(t, send_pkt(&pr, "wrap", pkt, sizeof(pkt)), 0);
			MXP_CHECK_EQ(t, mxp_esp_sa_stats_get(o)->drops[MXP_ESP_DROP_SEQ_OVERFLOW], 1);
			MXP_CHECK_EQ(t, mxp_esp_ep_counters(pr.mrfc)[MXP_ESP_DROP_SEQ_OVERFLOW], 1);
			/* no reply SA for an unknown peer */
			uint8_t o2[100];
			size_t ol;
			struct mxp_esp_meta mm;
			MXP_CHECK_EQ(t, mxp_esp_ep_output(pr.mrfp, &other.addr, o2, 4, 17, o2,
							  sizeof(o2), &ol, &mm),
				     MXP_ESP_DROP_NO_OUT_SA);
			pair_free(&pr);
		}
}

MXP_TEST(padding_dummy_and_length_rejections)
{
	struct mxp_esp_crypto c;
	struct mxp_esp_sa *in = sa_alloc();
	uint8_t priv[MXP_ESP_CRYPTO_PRIV_SIZE] __attribute__((aligned(64)));
	struct mxp_esp_sa_params p = { .dir = MXP_ESP_DIR_IN, .spi = 0x3000,
		.alg = MXP_ESP_ALG_AES_CBC_HMAC_SHA256, .key_len = 16, .auth_key_len = 32 };
	char err[128];
	MXP_CHECK_EQ(t, mxp_esp_crypto_open(&c, "openssl"), 0);
	mxp_ip_parse("10.0.0.1", &p.local, NULL);
	mxp_ip_parse("10.0.0.2", &p.peer, NULL);
	memset(p.key, 0x11, 16);
	memset(p.auth_key, 0x22, 32);
	MXP_CHECK_EQ(t, mxp_esp_sa_init(in, &p, &c, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, c.ops->sa_init(c.be, priv, p.alg, p.key, 16, p.auth_key, 32), 0);

	/* Hand-made packets: a 16-byte body whose trailer we choose, sealed correctly. */
	struct { const char *why; uint8_t pad_byte, padlen, nh; enum mxp_esp_drop want; } rows[] = {
		{ "good", 1, 2, 17, MXP_ESP_DROP_NONE },
		{ "pad bytes not 1,2,..", 7, 2, 17, MXP_ESP_DROP_BAD_PADDING },
		{ "pad length beyond the payload", 1, 15, 17, MXP_ESP_DROP_BAD_PADDING },
		{ "dummy packet", 1, 2, 59, MXP_ESP_DROP_DUMMY },
	};
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		uint8_t pkt[8 + 16 + 16 + 16];
		pkt[0] = 0; pkt[1] = 0; pkt[2] = 0x30; pkt[3] = 0;
		pkt[4] = 0; pkt[5] = 0; pkt[6] = 0; pkt[7] = (uint8_t)(i + 1);
		memset(pkt + 8, 0xab, 16); /* IV */
		uint8_t *b = pkt + 24;
		memset(b, 'x', 16);
		b[14] = rows[i].padlen;
		b[15] = rows[i].nh;
		if (rows[i].padlen == 2) {
			b[12] = rows[i].pad_byte;
			b[13] = 2;
		}
		struct mxp_esp_crypto_op op = { .iv = pkt + 8, .data = b, .data_len = 16,
			.auth = pkt, .auth_len = 40, .icv = pkt + 40, .icv_len = 16 };
		MXP_CHECK_EQ(t, c.ops->seal(c.be, priv, p.alg, &op), 0);
		struct mxp_esp_rx rx;
		MXP_CHECK_EQ(t, mxp_esp_sa_inbound(in, pkt, sizeof(pkt), &rx), rows[i].want);
		if (rows[i].want == MXP_ESP_DROP_NONE)
			MXP_CHECK_EQ(t, rx.len, 12);
	}
	/* A CBC ciphertext that is not whole blocks. */
	uint8_t junk[8 + 16 + 20 + 16] = { 0, 0, 0x30, 0, 0, 0, 0, 9 };
	struct mxp_esp_rx rx;
	MXP_CHECK_EQ(t, mxp_esp_sa_inbound(in, junk, sizeof(junk), &rx), MXP_ESP_DROP_BAD_LENGTH);
	MXP_CHECK_EQ(t, mxp_esp_sa_inbound(in, junk, 20, &rx), MXP_ESP_DROP_SHORT);
	MXP_CHECK_EQ(t, mxp_esp_sa_stats_get(in)->drops[MXP_ESP_DROP_BAD_PADDING], 2);
	MXP_CHECK_EQ(t, mxp_esp_sa_stats_get(in)->drops[MXP_ESP_DROP_DUMMY], 1);
	c.ops->sa_fini(c.be, priv);
	mxp_esp_sa_fini(in);
	mxp_esp_crypto_close(&c);
	free(in);
}

MXP_TEST(plaintext_lab_flag)
{
	struct pair pr;
	MXP_CHECK_EQ(t, pair_setup(&pr, MXP_ESP_ALG_AES_GCM_128, false, true), 0);
	struct mxp_ip a;
	mxp_ip_parse("192.0.2.1", &a, NULL);
	MXP_CHECK_EQ(t, mxp_esp_ep_plain_input(pr.mrfp, &a), MXP_ESP_DROP_NONE);
	mxp_ip_parse("192.0.2.77", &a, NULL);
	MXP_CHECK_EQ(t, mxp_esp_ep_plain_input(pr.mrfp, &a), MXP_ESP_DROP_NOT_IN_POLICY);
	pair_free(&pr);
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0)
		return -1;
	fchmod(fd, mode);
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

MXP_TEST(keyfile_load_all_or_nothing)
{
	struct mxp_esp_crypto c;
	char path[] = "/tmp/mxp_esp_kf_XXXXXX", err[256];
	int fd = mkstemp(path);
	MXP_CHECK(t, fd >= 0);
	close(fd);
	MXP_CHECK_EQ(t, mxp_esp_crypto_open(&c, "openssl"), 0);
	struct mxp_esp_ep *ep = ep_new(&c, false);
	const char *good =
		"# test key file\n"
		"sa in  spi=0x1001 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 "
		"key=00112233445566778899aabbccddeeff01020304\n"
		"\n"
		"sa out spi=0x2001 alg=aes-cbc-128-hmac-sha256-128 local=2001:db8::2 "
		"peer=2001:db8::1 key=00112233445566778899aabbccddeeff "
		"auth-key=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f "
		"encap=udp esn=on   # trailing comment\n"
		"peer 192.0.2.1 out-spi=0x2001\n";
	MXP_CHECK_EQ(t, write_file(path, good, 0644), 0);
	MXP_CHECK_EQ(t, mxp_esp_keyfile_load(ep, path, 0, err, sizeof(err)), -EPERM);
	MXP_CHECK(t, strstr(err, "chmod 600") != NULL);
	MXP_CHECK_EQ(t, write_file(path, good, 0600), 0);
	MXP_CHECK_EQ(t, mxp_esp_keyfile_load(ep, path, 0, err, sizeof(err)), 2);
	MXP_CHECK_EQ(t, mxp_esp_ep_sa_count(ep), 2);
	struct mxp_ip a;
	mxp_ip_parse("192.0.2.2", &a, NULL);
	struct mxp_esp_sa *sa = mxp_esp_ep_sa_find(ep, MXP_ESP_DIR_IN, 0x1001, &a);
	MXP_CHECK(t, sa != NULL);
	mxp_ip_parse("192.0.2.3", &a, NULL);
	MXP_CHECK(t, mxp_esp_ep_sa_find(ep, MXP_ESP_DIR_IN, 0x1001, &a) == NULL);
	sa = mxp_esp_ep_sa_find(ep, MXP_ESP_DIR_OUT, 0x2001, NULL);
	MXP_CHECK(t, sa != NULL && mxp_esp_sa_params_get(sa)->esn &&
			     mxp_esp_sa_params_get(sa)->udp_encap &&
			     mxp_esp_sa_params_get(sa)->peer_port == 4500);
	/* fingerprints: 8 hex digits, stable, not the key */
	char fp[9], fp2[9];
	mxp_esp_sa_fingerprint(sa, fp);
	mxp_esp_sa_fingerprint(sa, fp2);
	MXP_CHECK_EQ(t, strlen(fp), 8);
	MXP_CHECK_STR(t, fp, fp2);
	MXP_CHECK(t, strcmp(fp, "00112233") != 0);

	/* Loading it again collides (EEXIST) and leaves the endpoint as it was. */
	MXP_CHECK_EQ(t, mxp_esp_keyfile_load(ep, path, 0, err, sizeof(err)), -EEXIST);
	MXP_CHECK_EQ(t, mxp_esp_ep_sa_count(ep), 2);

	/* A bad later line: nothing from the file is added; the message names the line, not
	 * the key. */
	const char *bad =
		"sa in spi=0x1005 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 "
		"key=00112233445566778899aabbccddeeff01020304\n"
		"sa in spi=0x1006 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 "
		"key=00112233445566778899aabbccddeeff\n";
	MXP_CHECK_EQ(t, write_file(path, bad, 0600), 0);
	MXP_CHECK_EQ(t, mxp_esp_keyfile_load(ep, path, 0, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, ":2:") != NULL);
	MXP_CHECK(t, strstr(err, "0011223344") == NULL);
	MXP_CHECK_EQ(t, mxp_esp_ep_sa_count(ep), 2);
	printf("#   %s\n", err);

	/* SAD full in pass 2: rolled back. */
	char many[4096] = "";
	for (int i = 0; i < 9; i++) {
		char l[200];
		snprintf(l, sizeof(l), "sa in spi=%d alg=aes-gcm-128 local=192.0.2.2 "
			 "peer=192.0.2.1 key=00112233445566778899aabbccddeeff01020304\n", 0x5000 + i);
		strcat(many, l);
	}
	MXP_CHECK_EQ(t, write_file(path, many, 0600), 0);
	MXP_CHECK_EQ(t, mxp_esp_keyfile_load(ep, path, 0, err, sizeof(err)), -ENOSPC);
	MXP_CHECK_EQ(t, mxp_esp_ep_sa_count(ep), 2);
	/* delete */
	MXP_CHECK_EQ(t, mxp_esp_ep_sa_del(ep, MXP_ESP_DIR_OUT, 0x2001, NULL), 0);
	MXP_CHECK_EQ(t, mxp_esp_ep_sa_del(ep, MXP_ESP_DIR_OUT, 0x2001, NULL), -ENOENT);
	MXP_CHECK_EQ(t, mxp_esp_ep_sa_count(ep), 1);
	unlink(path);
	mxp_esp_ep_fini(ep);
	free(ep);
	mxp_esp_crypto_close(&c);
}

/* out-spi of the policy entry for addr, or -1 if there is none. */
static long
peer_out_spi(const struct mxp_esp_ep *ep, const char *addr)
{
	struct mxp_ip a;
	struct mxp_esp_peer pe;

	mxp_ip_parse(addr, &a, NULL);
	for (uint32_t i = 0; mxp_esp_ep_peer_at(ep, i, &pe) == 0; i++)
		if (mxp_ip_equal(&pe.addr, &a))
			return (long)pe.out_spi;
	return -1;
}

MXP_TEST(keyfile_failed_load_restores_prior_state)
{
	struct mxp_esp_crypto c;
	char err[256];
	MXP_CHECK_EQ(t, mxp_esp_crypto_open(&c, "openssl"), 0);
	struct mxp_esp_ep *ep = ep_new(&c, false);
	const char *prior =
		"sa in  spi=0x1001 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 "
		"key=00112233445566778899aabbccddeeff01020304\n"
		"sa out spi=0x2001 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 "
		"key=00112233445566778899aabbccddeeff01020304\n"
		"peer 192.0.2.1 out-spi=0x2001\n"
		"peer 192.0.2.7 out-spi=0x2001\n";
	MXP_CHECK_EQ(t, mxp_esp_keybuf_load(ep, "prior", prior, strlen(prior), err, sizeof(err)),
		     2);
	MXP_CHECK_EQ(t, mxp_esp_ep_peer_count(ep), 2);

	/* The load replaces 192.0.2.1's reply SA (twice), adds a new peer and a new SA, then
	 * fails on an SA that exists: every change is undone, the prior peers stay as they
	 * were. */
	const char *bad =
		"peer 192.0.2.1 out-spi=0x2002\n"
		"sa in  spi=0x1002 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 "
		"key=00112233445566778899aabbccddeeff01020304\n"
		"peer 192.0.2.1 out-spi=0x2003\n"
		"peer 192.0.2.9 out-spi=0x2001\n"
		"peer 192.0.2.7\n"
		"sa in  spi=0x1001 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 "
		"key=00112233445566778899aabbccddeeff01020304\n";
	MXP_CHECK_EQ(t, mxp_esp_keybuf_load(ep, "bad", bad, strlen(bad), err, sizeof(err)),
		     -EEXIST);
	MXP_CHECK(t, strstr(err, "entry 6") != NULL);
	MXP_CHECK_EQ(t, mxp_esp_ep_sa_count(ep), 2);
	MXP_CHECK_EQ(t, mxp_esp_ep_peer_count(ep), 2);
	MXP_CHECK_EQ(t, peer_out_spi(ep, "192.0.2.1"), 0x2001);
	MXP_CHECK_EQ(t, peer_out_spi(ep, "192.0.2.7"), 0x2001);
	MXP_CHECK_EQ(t, peer_out_spi(ep, "192.0.2.9"), -1);
	struct mxp_ip a;
	mxp_ip_parse("192.0.2.2", &a, NULL);
	MXP_CHECK(t, mxp_esp_ep_sa_find(ep, MXP_ESP_DIR_IN, 0x1001, &a) != NULL);
	MXP_CHECK(t, mxp_esp_ep_sa_find(ep, MXP_ESP_DIR_IN, 0x1002, &a) == NULL);
	MXP_CHECK(t, mxp_esp_ep_sa_find(ep, MXP_ESP_DIR_OUT, 0x2001, NULL) != NULL);

	/* Policy full part-way (4 slots: 2 used, 2 new fit, the third does not): the same. */
	const char *full =
		"peer 192.0.2.1 out-spi=0x2002\n"
		"peer 192.0.2.10\n"
		"peer 192.0.2.11\n"
		"peer 192.0.2.12\n";
	MXP_CHECK_EQ(t, mxp_esp_keybuf_load(ep, "full", full, strlen(full), err, sizeof(err)),
		     -ENOSPC);
	MXP_CHECK_EQ(t, mxp_esp_ep_peer_count(ep), 2);
	MXP_CHECK_EQ(t, peer_out_spi(ep, "192.0.2.1"), 0x2001);
	MXP_CHECK_EQ(t, peer_out_spi(ep, "192.0.2.7"), 0x2001);
	MXP_CHECK_EQ(t, peer_out_spi(ep, "192.0.2.10"), -1);
	mxp_esp_ep_fini(ep);
	free(ep);
	mxp_esp_crypto_close(&c);
}

MXP_TEST(sa_params_errors)
{
	struct mxp_esp_sa_params p;
	char err[200];
	static const struct { const char *line, *msg; } rows[] = {
		{ "in spi=0x10 alg=aes-gcm-128 local=1.1.1.1 peer=1.1.1.2 key=00112233445566778899aabbccddeeff01020304",
		  "reserved" },
		{ "in spi=0x1000 alg=aes-gcm-129 local=1.1.1.1 peer=1.1.1.2 key=00", "alg" },
		{ "in spi=0x1000 alg=aes-gcm-256 local=1.1.1.1 peer=1.1.1.2 key=00112233445566778899aabbccddeeff01020304",
		  "36-byte key" },
		{ "in spi=0x1000 alg=aes-cbc-128-hmac-sha1-96 local=1.1.1.1 peer=1.1.1.2 key=00112233445566778899aabbccddeeff",
		  "auth-key" },
		{ "in spi=0x1000 alg=aes-gcm-128 local=1.1.1.1 peer=::1 key=00112233445566778899aabbccddeeff01020304",
		  "families" },
		{ "in spi=0x1000 alg=aes-gcm-128 local=1.1.1.1 peer=1.1.1.2 key=zz", "not hex" },
		{ "in spi=0x1000 alg=aes-gcm-128 local=1.1.1.1 peer=1.1.1.2 window=100 key=00112233445566778899aabbccddeeff01020304",
		  "multiple of 64" },
		{ "sideways spi=1", "'in' or 'out'" },
		{ "in spi=0x1000 colour=blue", "unknown SA parameter" },
		{ "in spi=0x1000", "needs spi=, alg= and key=" },
	};
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		err[0] = '\0';
		MXP_CHECK_EQ(t, mxp_esp_sa_params_parse(&p, rows[i].line, err, sizeof(err)), -EINVAL);
		if (strstr(err, rows[i].msg) == NULL)
			printf("#   row %zu: '%s'\n", i, err);
		MXP_CHECK(t, strstr(err, rows[i].msg) != NULL);
	}
	MXP_CHECK_STR(t, mxp_esp_drop_name(MXP_ESP_DROP_BAD_ICV), "bad_icv");
	MXP_CHECK_STR(t, mxp_esp_drop_name(MXP_ESP_DROP_MAX), "?");
}

/* "seq=" starts an SA where a resumed one left off: an outbound SA without ESN whose last
 * number was 2^32 - 3 sends 2^32 - 2 and 2^32 - 1 and then refuses to wrap (counted); with
 * ESN it carries on past 2^32 and its peer (inbound, ESN, window started at seq) accepts
 * every packet. Bad values are refused with the word named, never the key. */
MXP_TEST(sa_seq_parameter)
{
	struct mxp_esp_sa_params p;
	char err[200];
	static const char *const k = "key=00112233445566778899aabbccddeeff01020304";
	static const struct { const char *extra, *msg; } bad[] = {
		{ "seq=4294967296", "needs esn=on" },
		{ "seq=-1", "bad value for seq" },
		{ "seq=12x", "bad value for seq" },
		{ "seq=", "bad value for seq" },
		{ "seq=99999999999999999999999", "bad value for seq" },
	};
	for (size_t i = 0; i < MXP_NCASES(bad); i++) {
		char l[256];
		snprintf(l, sizeof(l), "out spi=0x1000 alg=aes-gcm-128 local=1.1.1.1 "
			 "peer=1.1.1.2 %s %s", bad[i].extra, k);
		err[0] = '\0';
		MXP_CHECK_EQ(t, mxp_esp_sa_params_parse(&p, l, err, sizeof(err)), -EINVAL);
		if (strstr(err, bad[i].msg) == NULL)
			printf("#   row %zu: '%s'\n", i, err);
		MXP_CHECK(t, strstr(err, bad[i].msg) != NULL);
		MXP_CHECK(t, strstr(err, "00112233") == NULL);
	}
	char l[256];
	snprintf(l, sizeof(l), "out spi=0x1000 alg=aes-gcm-128 local=1.1.1.1 peer=1.1.1.2 "
		 "esn=on seq=0x100000005 %s", k);
	MXP_CHECK_EQ(t, mxp_esp_sa_params_parse(&p, l, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, p.seq, 0x100000005ull);

	for (int esn = 0; esn < 2; esn++) {
		struct pair pr;
		MXP_CHECK_EQ(t, pair_setup(&pr, MXP_ESP_ALG_AES_GCM_128, false, false), 0);
		/* the MRFC's SA pair again, with seq= and esn as the row says */
		struct mxp_ip mrfp_addr;
		mxp_ip_parse("192.0.2.2", &mrfp_addr, NULL);
		struct mxp_esp_sa *o = mxp_esp_ep_sa_find(pr.mrfc, MXP_ESP_DIR_OUT, 0x1001, NULL);
		struct mxp_esp_sa *in = mxp_esp_ep_sa_find(pr.mrfp, MXP_ESP_DIR_IN, 0x1001,
							   &mrfp_addr);
		MXP_CHECK(t, o != NULL && in != NULL);
		if (o == NULL || in == NULL) {
			pair_free(&pr);
			return;
		}
		struct mxp_esp_sa_params op = *mxp_esp_sa_params_get(o);
		struct mxp_esp_sa_params ip = *mxp_esp_sa_params_get(in);
		op.esn = ip.esn = esn;
		op.seq = UINT32_MAX - 2;
		ip.seq = UINT32_MAX - 3;
		MXP_CHECK_EQ(t, mxp_esp_ep_sa_del(pr.mrfc, MXP_ESP_DIR_OUT, 0x1001, NULL), 0);
		MXP_CHECK_EQ(t, mxp_esp_ep_sa_del(pr.mrfp, MXP_ESP_DIR_IN, 0x1001, &ip.local), 0);
		MXP_CHECK_EQ(t, mxp_esp_ep_sa_add(pr.mrfc, &op, err, sizeof(err)), 0);
		MXP_CHECK_EQ(t, mxp_esp_ep_sa_add(pr.mrfp, &ip, err, sizeof(err)), 0);
		o = mxp_esp_ep_sa_find(pr.mrfc, MXP_ESP_DIR_OUT, 0x1001, NULL);
		in = mxp_esp_ep_sa_find(pr.mrfp, MXP_ESP_DIR_IN, 0x1001, &mrfp_addr);
		MXP_CHECK(t, o != NULL && in != NULL);
		if (o == NULL || in == NULL) {
			pair_free(&pr);
			return;
		}
		MXP_CHECK_EQ(t, mxp_esp_sa_seq(o), (uint64_t)UINT32_MAX - 2);
		MXP_CHECK_EQ(t, mxp_esp_sa_seq(in), (uint64_t)UINT32_MAX - 3);
		uint8_t pkt[400];
		struct mxp_esp_rx rx;
		unsigned int sent = 0, accepted = 0;
		for (int i = 0; i < 4; i++) {
			size_t n = send_pkt(&pr, "audit", pkt, sizeof(pkt));
			if (n == 0)
				break;
			sent++;
			accepted += recv_pkt(&pr, pkt, n, &rx) == MXP_ESP_DROP_NONE;
		}
		printf("#   esn=%d: %u sent after 2^32-3, %u accepted\n", esn, sent, accepted);
		MXP_CHECK_EQ(t, sent, esn ? 4u : 2u);
		MXP_CHECK_EQ(t, accepted, sent);
		MXP_CHECK_EQ(t, mxp_esp_sa_seq(in), (uint64_t)UINT32_MAX - 2 + sent);
		MXP_CHECK_EQ(t, mxp_esp_sa_stats_get(o)->drops[MXP_ESP_DROP_SEQ_OVERFLOW], esn ? 0u : 1u);
		mxp_esp_sa_params_wipe(&op);
		mxp_esp_sa_params_wipe(&ip);
		pair_free(&pr);
	}
}

MXP_TEST(frames_parse_and_build)
{
	static const char *const addrs[][2] = { { "192.0.2.1", "192.0.2.2" },
						{ "2001:db8::1", "2001:db8::2" } };
	for (int v6 = 0; v6 < 2; v6++)
		for (int udp = 0; udp < 2; udp++) {
			struct mxp_esp_meta m = { .udp_encap = udp, .sport = 4500, .dport = 4501 };
			mxp_ip_parse(addrs[v6][0], &m.src, NULL);
			mxp_ip_parse(addrs[v6][1], &m.dst, NULL);
			uint8_t pkt[200];
			size_t hl = mxp_esp_frame_hdr_len(&m);
			MXP_CHECK_EQ(t, hl, (v6 ? 40u : 20u) + (udp ? 8u : 0u));
			for (int i = 0; i < 40; i++)
				pkt[hl + i] = (uint8_t)(i + 1);
			MXP_CHECK_EQ(t, mxp_esp_frame_build(pkt, sizeof(pkt), &m, 40), (int)hl + 40);
			struct mxp_esp_meta g;
			size_t off, len;
			MXP_CHECK_EQ(t, mxp_esp_frame_parse(pkt, hl + 40, &g, &off, &len),
				     MXP_ESP_DROP_NONE);
			MXP_CHECK_EQ(t, off, hl);
			MXP_CHECK_EQ(t, len, 40);
			MXP_CHECK(t, mxp_ip_equal(&g.src, &m.src) && mxp_ip_equal(&g.dst, &m.dst));
			MXP_CHECK_EQ(t, g.udp_encap, udp);
			if (udp) {
				MXP_CHECK_EQ(t, g.sport, 4500);
				MXP_CHECK_EQ(t, g.dport, 4501);
				/* NAT keepalive and the non-ESP marker */
				uint8_t ka[64];
				memcpy(ka + hl, "\xff", 1);
				mxp_esp_frame_build(ka, sizeof(ka), &m, 1);
				MXP_CHECK_EQ(t, mxp_esp_frame_parse(ka, hl + 1, &g, &off, &len),
					     MXP_ESP_DROP_KEEPALIVE);
				memset(ka + hl, 0, 8);
				mxp_esp_frame_build(ka, sizeof(ka), &m, 8);
				MXP_CHECK_EQ(t, mxp_esp_frame_parse(ka, hl + 8, &g, &off, &len),
					     MXP_ESP_DROP_NOT_ESP);
			}
			/* truncated */
			MXP_CHECK_EQ(t, mxp_esp_frame_parse(pkt, hl - 1, &g, &off, &len),
				     MXP_ESP_DROP_MALFORMED);
			MXP_CHECK_EQ(t, mxp_esp_frame_build(pkt, hl + 39, &m, 40), -ENOSPC);
		}
	/* an IPv4 fragment is refused */
	struct mxp_esp_meta m = { 0 };
	mxp_ip_parse("10.0.0.1", &m.src, NULL);
	mxp_ip_parse("10.0.0.2", &m.dst, NULL);
	uint8_t pkt[64] = { 0 };
	mxp_esp_frame_build(pkt, sizeof(pkt), &m, 20);
	pkt[6] |= 0x20;
	struct mxp_esp_meta g;
	size_t off, len;
	MXP_CHECK_EQ(t, mxp_esp_frame_parse(pkt, 40, &g, &off, &len), MXP_ESP_DROP_MALFORMED);
	/* inner UDP: checksum verified independently by building a known datagram */
	uint8_t u[64];
	struct mxp_ip s, d;
	mxp_ip_parse("192.0.2.1", &s, NULL);
	mxp_ip_parse("192.0.2.2", &d, NULL);
	MXP_CHECK_EQ(t, mxp_esp_udp_build(u, sizeof(u), &s, &d, 2944, 2944,
					  (const uint8_t *)"x", 1), 9);
	uint16_t sp, dp;
	size_t po, pl;
	MXP_CHECK_EQ(t, mxp_esp_udp_parse(u, 9, &sp, &dp, &po, &pl), 0);
	MXP_CHECK_EQ(t, pl, 1);
	MXP_CHECK_EQ(t, mxp_esp_udp_parse(u, 7, &sp, &dp, &po, &pl), -EINVAL);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(kat_gcm_both_backends),
	MXP_CASE(kat_cbc_hmac_both_backends),
	MXP_CASE(scapy_packets_inbound_both_backends),
	MXP_CASE(outbound_matches_scapy_both_backends),
	MXP_CASE(cross_backend_round_trips),
	MXP_CASE(replay_window_table),
	MXP_CASE(esn_inference_table),
	MXP_CASE(endpoint_rejections_each_counted),
	MXP_CASE(padding_dummy_and_length_rejections),
	MXP_CASE(plaintext_lab_flag),
	MXP_CASE(keyfile_load_all_or_nothing),
	MXP_CASE(keyfile_failed_load_restores_prior_state),
	MXP_CASE(sa_params_errors),
	MXP_CASE(sa_seq_parameter),
	MXP_CASE(frames_parse_and_build),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
