/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP crypto driver on intel-ipsec-mb (the default, fast path).
 *
 * AES-CM and HMAC-SHA1 go through the synchronous burst API: a whole array of jobs per
 * call, so the multi-buffer HMAC-SHA1 lanes (16 with AVX-512) fill up. intel-ipsec-mb only
 * makes 12- or 20-byte HMAC-SHA1 tags: we ask for 20 and lib/srtp truncates to 10 or 4.
 * AES-GCM uses the direct (non-job) GCM functions, one packet per call; they have no
 * multi-buffer lanes to fill and skip the job scheduler.
 *
 * Each thread has its own IMB_MGR and job array (thread-local, allocated by thread_init or
 * by the first call on the thread).
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "mxp_srtp_driver.h"

#define BURST 32

/* Driver state of one session key set, inside struct mxp_crypto_key. */
struct imb_key {
	union {
		struct gcm_key_data gcm; /* first: needs 64-byte alignment */
		struct {
			alignas(16) uint32_t enc[60]; /* expanded AES-128/256 encryption key */
			alignas(16) uint8_t ipad[32]; /* SHA-1 state after (key ^ ipad) */
			alignas(16) uint8_t opad[32]; /* SHA-1 state after (key ^ opad) */
		} cm;
	} u;
	uint8_t key_len;
	uint8_t alg;
};

_Static_assert(sizeof(struct imb_key) <= MXP_CRYPTO_KEY_SIZE, "imb_key too large");
_Static_assert(alignof(struct imb_key) <= alignof(struct mxp_crypto_key), "imb_key alignment");

/* Per-thread manager and job arrays. The fields that never change (offsets, lengths of
 * IVs, keys and tags) are set once in thread_init; a burst writes only the rest. */
struct imb_thread {
	IMB_MGR *mgr;
	IMB_JOB hash[BURST];    /* HMAC-SHA1 */
	IMB_JOB jobs[BURST];    /* AES-128-CTR */
	IMB_JOB jobs256[BURST]; /* AES-256-CTR */
};

static __thread struct imb_thread *tls;

static int
imb_thread_init(void)
{
	if (tls != NULL)
		return 0;
	struct imb_thread *t = aligned_alloc(64, (sizeof(*t) + 63) & ~(size_t)63);
	if (t == NULL)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	t->mgr = alloc_mb_mgr(0);
	if (t->mgr == NULL) {
		free(t);
		return -ENOMEM;
	}
	init_mb_mgr_auto(t->mgr, NULL);
	for (int i = 0; i < BURST; i++) {
		t->hash[i].hash_start_src_offset_in_bytes = 0;
		t->hash[i].auth_tag_output_len_in_bytes = 20;
		t->hash[i].hash_alg = IMB_AUTH_HMAC_SHA_1;
		t->jobs[i].iv_len_in_bytes = 16;
		t->jobs[i].key_len_in_bytes = 16;
		t->jobs[i].cipher_mode = IMB_CIPHER_CNTR;
		t->jobs256[i].iv_len_in_bytes = 16;
		t->jobs256[i].key_len_in_bytes = 32;
		t->jobs256[i].cipher_mode = IMB_CIPHER_CNTR;
	}
	tls = t;
	return 0;
}

static void
imb_thread_fini(void)
{
	if (tls == NULL)
		return;
	free_mb_mgr(tls->mgr);
	explicit_bzero(tls, sizeof(*tls));
	free(tls);
	tls = NULL;
}

static inline struct imb_thread *
thread(void)
{
	if (__builtin_expect(tls == NULL, 0) && imb_thread_init() != 0)
		abort(); /* out of memory on a worker: nothing sane to do */
	return tls;
}

static int
imb_probe(char *err, size_t errlen)
{
	static int cached = 1; /* 1: not probed yet */

	if (cached == 1) {
		IMB_MGR *m = alloc_mb_mgr(0);
		IMB_ARCH arch = IMB_ARCH_NONE;
		if (m != NULL) {
			init_mb_mgr_auto(m, &arch);
			free_mb_mgr(m);
		}
		cached = (m != NULL && arch >= IMB_ARCH_SSE) ? 0 : -ENOTSUP;
	}
	if (cached != 0 && err != NULL)
		snprintf(err, errlen, "intel-ipsec-mb %s has no AES-NI code path on this CPU",
			 imb_get_version_str());
	return cached;
}

static int
imb_key_init(struct mxp_crypto_key *ck, enum mxp_crypto_alg alg, const uint8_t *key,
	     size_t key_len, const uint8_t *auth_key)
{
	struct imb_key *k = (struct imb_key *)ck->opaque;
	IMB_MGR *m = thread()->mgr;

	if (key_len != 16 && key_len != 32)
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	k->key_len = (uint8_t)key_len;
	k->alg = (uint8_t)alg;
	if (alg == MXP_CRYPTO_AES_GCM) {
		if (key_len == 16)
			IMB_AES128_GCM_PRE(m, key, &k->u.gcm);
		else
			IMB_AES256_GCM_PRE(m, key, &k->u.gcm);
		return 0;
	}
	if (alg != MXP_CRYPTO_AES_CM_HMAC_SHA1 || auth_key == NULL)
		return -EINVAL;
	alignas(16) uint32_t dec[60];
	if (key_len == 16)
		IMB_AES_KEYEXP_128(m, key, k->u.cm.enc, dec);
	else
		IMB_AES_KEYEXP_256(m, key, k->u.cm.enc, dec);
	explicit_bzero(dec, sizeof(dec));

	/* HMAC (RFC 2104): precompute the SHA-1 states after one block of key ^ pad. */
	alignas(16) uint8_t block[64];
	memset(block, 0x36, sizeof(block));
	for (int i = 0; i < MXP_CRYPTO_HMAC_KEY_LEN; i++)
		block[i] ^= auth_key[i];
	IMB_SHA1_ONE_BLOCK(m, block, k->u.cm.ipad);
	memset(block, 0x5c, sizeof(block));
	for (int i = 0; i < MXP_CRYPTO_HMAC_KEY_LEN; i++)
		block[i] ^= auth_key[i];
	IMB_SHA1_ONE_BLOCK(m, block, k->u.cm.opad);
	explicit_bzero(block, sizeof(block));
	return 0;
}

static void
imb_key_fini(struct mxp_crypto_key *ck)
{
	explicit_bzero(ck->opaque, sizeof(struct imb_key));
}

/* Run AES-CTR over jobs[0..n) with one key size. */
static inline void
ctr_submit(IMB_MGR *m, IMB_JOB *jobs, uint32_t n, uint32_t key_len)
{
	if (n == 0)
		return;
	IMB_SUBMIT_CIPHER_BURST_NOCHECK(m, jobs, n, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
					key_len == 16 ? IMB_KEY_128_BYTES : IMB_KEY_256_BYTES);
}

static inline void
ctr_fill(IMB_JOB *j, struct mxp_crypto_op *op, const struct imb_key *k)
{
	j->src = op->buf;
	j->dst = op->buf + op->cipher_off;
	j->cipher_start_src_offset_in_bytes = op->cipher_off;
	j->msg_len_to_cipher_in_bytes = op->cipher_len;
	j->enc_keys = k->u.cm.enc;
	j->iv = op->iv;
}

static void
imb_ctr(struct mxp_crypto_op *op[], uint16_t n)
{
	struct imb_thread *t = thread();
	IMB_JOB *j128 = t->jobs;
	IMB_JOB *j256 = t->jobs256;
	uint32_t n128 = 0, n256 = 0;

	for (uint16_t i = 0; i < n; i++) {
		const struct imb_key *k = (const struct imb_key *)op[i]->key->opaque;
		if (op[i]->cipher_len == 0)
			continue;
		if (k->key_len == 16) {
			ctr_fill(&j128[n128++], op[i], k);
			if (n128 == BURST) {
				ctr_submit(t->mgr, j128, n128, 16);
				n128 = 0;
			}
		} else {
			ctr_fill(&j256[n256++], op[i], k);
			if (n256 == BURST) {
				ctr_submit(t->mgr, j256, n256, 32);
				n256 = 0;
			}
		}
	}
	ctr_submit(t->mgr, j128, n128, 16);
	ctr_submit(t->mgr, j256, n256, 32);
}

static void
imb_hmac(struct mxp_crypto_op *op[], uint16_t n)
{
	struct imb_thread *t = thread();

	for (uint16_t at = 0; at < n;) {
		uint32_t m = (uint32_t)(n - at) < BURST ? (uint32_t)(n - at) : BURST;
		for (uint32_t i = 0; i < m; i++) {
			IMB_JOB *j = &t->hash[i];
			struct mxp_crypto_op *o = op[at + i];
			const struct imb_key *k = (const struct imb_key *)o->key->opaque;
			j->src = o->buf;
			j->msg_len_to_hash_in_bytes = o->auth_len;
			j->auth_tag_output = o->tag;
			j->u.HMAC._hashed_auth_key_xor_ipad = k->u.cm.ipad;
			j->u.HMAC._hashed_auth_key_xor_opad = k->u.cm.opad;
		}
		IMB_SUBMIT_HASH_BURST_NOCHECK(t->mgr, t->hash, m, IMB_AUTH_HMAC_SHA_1);
		at = (uint16_t)(at + m);
	}
}

static inline int
tag_equal(const uint8_t *a, const uint8_t *b)
{
	unsigned int d = 0;
	for (int i = 0; i < 16; i++)
		d |= (unsigned int)(a[i] ^ b[i]);
	return d == 0;
}

static void
imb_gcm_enc(struct mxp_crypto_op *op[], uint16_t n)
{
	IMB_MGR *m = thread()->mgr;
	struct gcm_context_data g;

	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct imb_key *k = (const struct imb_key *)o->key->opaque;
		uint8_t *d = o->buf + o->cipher_off;
		if (k->key_len == 16)
			IMB_AES128_GCM_ENC(m, &k->u.gcm, &g, d, d, o->cipher_len, o->iv, o->aad,
					   o->aad_len, o->tag, 16);
		else
			IMB_AES256_GCM_ENC(m, &k->u.gcm, &g, d, d, o->cipher_len, o->iv, o->aad,
					   o->aad_len, o->tag, 16);
	}
}

static void
imb_gcm_dec(struct mxp_crypto_op *op[], uint16_t n)
{
	IMB_MGR *m = thread()->mgr;
	struct gcm_context_data g;

	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct imb_key *k = (const struct imb_key *)o->key->opaque;
		uint8_t *d = o->buf + o->cipher_off;
		if (k->key_len == 16)
			IMB_AES128_GCM_DEC(m, &k->u.gcm, &g, d, d, o->cipher_len, o->iv, o->aad,
					   o->aad_len, o->tag, 16);
		else
			IMB_AES256_GCM_DEC(m, &k->u.gcm, &g, d, d, o->cipher_len, o->iv, o->aad,
					   o->aad_len, o->tag, 16);
		o->tag_ok = tag_equal(o->tag, o->rx_tag);
	}
}

/* Tag of the ciphertext without writing it: stream it through a small scratch buffer. */
static void
imb_gcm_tag(struct mxp_crypto_op *op[], uint16_t n)
{
	IMB_MGR *m = thread()->mgr;
	struct gcm_context_data g;
	alignas(64) uint8_t scratch[512];

	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct imb_key *k = (const struct imb_key *)o->key->opaque;
		const uint8_t *s = o->buf + o->cipher_off;
		uint32_t left = o->cipher_len;
		if (k->key_len == 16)
			IMB_AES128_GCM_INIT(m, &k->u.gcm, &g, o->iv, o->aad, o->aad_len);
		else
			IMB_AES256_GCM_INIT(m, &k->u.gcm, &g, o->iv, o->aad, o->aad_len);
		while (left > 0) {
			uint32_t c = left < sizeof(scratch) ? left : (uint32_t)sizeof(scratch);
			if (k->key_len == 16)
				IMB_AES128_GCM_DEC_UPDATE(m, &k->u.gcm, &g, scratch, s, c);
			else
				IMB_AES256_GCM_DEC_UPDATE(m, &k->u.gcm, &g, scratch, s, c);
			s += c;
			left -= c;
		}
		if (k->key_len == 16)
			IMB_AES128_GCM_DEC_FINALIZE(m, &k->u.gcm, &g, o->tag, 16);
		else
			IMB_AES256_GCM_DEC_FINALIZE(m, &k->u.gcm, &g, o->tag, 16);
		o->tag_ok = tag_equal(o->tag, o->rx_tag);
	}
	explicit_bzero(scratch, sizeof(scratch));
}

static int
imb_keystream(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *out, size_t len)
{
	struct imb_thread *t = thread();
	alignas(16) uint32_t enc[60], dec[60];
	alignas(16) uint8_t ivc[16];

	if (key_len != 16 && key_len != 32)
		return -EINVAL;
	if (key_len == 16)
		IMB_AES_KEYEXP_128(t->mgr, key, enc, dec);
	else
		IMB_AES_KEYEXP_256(t->mgr, key, enc, dec);
	memcpy(ivc, iv, 16);
	memset(out, 0, len);
	IMB_JOB j;
	memset(&j, 0, sizeof(j));
	j.src = out;
	j.dst = out;
	j.msg_len_to_cipher_in_bytes = len;
	j.enc_keys = enc;
	j.key_len_in_bytes = key_len;
	j.iv = ivc;
	j.iv_len_in_bytes = 16;
	j.cipher_mode = IMB_CIPHER_CNTR;
	j.cipher_direction = IMB_DIR_ENCRYPT;
	j.hash_alg = IMB_AUTH_NULL;
	j.chain_order = IMB_ORDER_CIPHER_HASH;
	uint32_t done = IMB_SUBMIT_CIPHER_BURST(t->mgr, &j, 1, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT,
						key_len == 16 ? IMB_KEY_128_BYTES :
								IMB_KEY_256_BYTES);
	explicit_bzero(enc, sizeof(enc));
	explicit_bzero(dec, sizeof(dec));
	return done == 1 && j.status == IMB_STATUS_COMPLETED ? 0 : -EIO;
}

static const struct mxp_crypto_driver imb_driver = {
	.name = "ipsec_mb",
	.priority = 100,
	.probe = imb_probe,
	.thread_init = imb_thread_init,
	.thread_fini = imb_thread_fini,
	.key_init = imb_key_init,
	.key_fini = imb_key_fini,
	.keystream = imb_keystream,
	.ctr = imb_ctr,
	.hmac = imb_hmac,
	.gcm_enc = imb_gcm_enc,
	.gcm_dec = imb_gcm_dec,
	.gcm_tag = imb_gcm_tag,
};

MXP_CRYPTO_DRIVER_REGISTER(imb_driver)
