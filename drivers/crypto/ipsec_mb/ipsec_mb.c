/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP crypto driver on intel-ipsec-mb (the default, fast path).
 *
 * AES-CM and HMAC-SHA1 go through the synchronous burst API: a whole array of jobs per
 * call, so the multi-buffer HMAC-SHA1 lanes (16 with AVX-512) fill up. intel-ipsec-mb only
 * makes 12- or 20-byte HMAC-SHA1 tags: we ask for 20 and lib/srtp truncates to 10 or 4.
 *
 * A burst that cannot fill the lanes pays for all of them: AES-CTR and HMAC-SHA1 of a
 * 172-byte packet on the AVX-512 manager alone cost about 675 ns a packet in bursts of
 * one, 270 in bursts of 4, 185 in bursts of 8 and 105 in bursts of 16 (bench_srtp -b, on
 * a 2-core EPYC VM). On a CPU with the SHA extensions the SSE manager hashes one or two
 * buffers at a time with them, at nearly the same cost whatever the burst. So a thread
 * keeps both managers and hashes bursts of fewer than HMAC_MB_MIN packets with the SHA-NI
 * one: the whole SRTP operation then costs 190 ns for one packet, 135 in bursts of 4
 * and 130 in bursts of 8. That is every burst of a mix tick and most of what a lightly
 * loaded worker receives.
 *
 * AES-GCM uses the direct (non-job) GCM functions, one packet per call; they have no
 * multi-buffer lanes to fill and skip the job scheduler.
 *
 * Each thread has its own IMB_MGRs and job arrays (thread-local, allocated by thread_init or
 * by the first call on the thread). The managers, their architecture, the key expansion and
 * the one-packet GCM calls are lib/crypto's (mxp_crypto_imb.h); this driver owns the burst
 * job submission.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxp_crypto_imb.h"
#include "mxp_srtp_driver.h"

#define BURST 32

/*
 * Driver state of one session key set, inside struct mxp_crypto_key, packed to what the
 * algorithm needs (key_size()):
 *
 *   AES-CM + HMAC-SHA1: key length (1 byte) at 0, the expanded AES encryption key at 16
 *     (11 or 15 round keys: 176 or 240 bytes), then the SHA-1 states after key^ipad and
 *     key^opad (20 bytes each, 32 reserved): 256 bytes for AES-128, 320 for AES-256. A
 *     packet reads all of it: 4 cache lines (5).
 *   AES-GCM: struct gcm_key_data at 0 (it wants 64-byte alignment), the key length after
 *     it: 1024 bytes.
 *
 * The CTR and HMAC functions only ever see CM keys and the GCM functions GCM keys, so each
 * finds its key length where its layout has it.
 */
#define CM_ENC 16
#define CM_IPAD(kl) (CM_ENC + ((kl) == 16 ? 176 : 240))
#define CM_OPAD(kl) (CM_IPAD(kl) + 32)
#define CM_SIZE(kl) (CM_OPAD(kl) + 32)
#define GCM_KLEN sizeof(struct gcm_key_data)
#define GCM_SIZE ((sizeof(struct gcm_key_data) + 1 + 63) & ~(size_t)63)

_Static_assert(CM_SIZE(16) == 256 && CM_SIZE(32) == 320, "CM key layout");
_Static_assert(GCM_SIZE <= MXP_CRYPTO_KEY_SIZE, "gcm_key_data too large");

static inline uint32_t
cm_key_len(const struct mxp_crypto_key *ck)
{
	return ck->opaque[0];
}

static inline const void *
cm_enc(const struct mxp_crypto_key *ck)
{
	return ck->opaque + CM_ENC;
}

static inline const struct gcm_key_data *
gcm_key(const struct mxp_crypto_key *ck)
{
	return (const struct gcm_key_data *)ck->opaque;
}

static inline uint32_t
gcm_key_len(const struct mxp_crypto_key *ck)
{
	return ck->opaque[GCM_KLEN];
}

/* Per-thread manager and job arrays. The fields that never change (offsets, lengths of
 * IVs, keys and tags) are set once in thread_init; a burst writes only the rest. */
struct imb_thread {
	struct mxp_crypto_imb m; /* the best manager, and the SHA-NI one for small bursts */
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
	int rc = mxp_crypto_imb_init(&t->m);
	if (rc != 0) {
		free(t);
		return rc;
	}
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
	mxp_crypto_imb_fini(&tls->m);
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

static size_t
imb_key_size(enum mxp_crypto_alg alg, size_t key_len)
{
	if (key_len != 16 && key_len != 32)
		return 0;
	if (alg == MXP_CRYPTO_AES_GCM)
		return GCM_SIZE;
	return alg == MXP_CRYPTO_AES_CM_HMAC_SHA1 ? CM_SIZE(key_len) : 0;
}

static int
imb_key_init(struct mxp_crypto_key *ck, enum mxp_crypto_alg alg, const uint8_t *key,
	     size_t key_len, const uint8_t *auth_key)
{
	IMB_MGR *m = thread()->m.mgr;
	uint8_t *k = ck->opaque;

	if (imb_key_size(alg, key_len) == 0)
		return -EINVAL;
	memset(k, 0, imb_key_size(alg, key_len));
	if (alg == MXP_CRYPTO_AES_GCM) {
		k[GCM_KLEN] = (uint8_t)key_len;
		return mxp_crypto_imb_gcm_keys(m, key, key_len, (struct gcm_key_data *)k);
	}
	if (auth_key == NULL)
		return -EINVAL;
	k[0] = (uint8_t)key_len;
	int rc = mxp_crypto_imb_aes_keys(m, key, key_len, k + CM_ENC, NULL);
	if (rc == 0)
		rc = mxp_crypto_imb_hmac_keys(m, MXP_CRYPTO_SHA1, auth_key,
					      MXP_CRYPTO_HMAC_KEY_LEN, k + CM_IPAD(key_len),
					      k + CM_OPAD(key_len));
	return rc;
}

/* Nothing acquired: lib/srtp wipes the key_size() bytes. */
static void
imb_key_fini(struct mxp_crypto_key *ck)
{
	(void)ck;
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
ctr_fill(IMB_JOB *j, struct mxp_crypto_op *op)
{
	j->src = op->buf;
	j->dst = op->buf + op->cipher_off;
	j->cipher_start_src_offset_in_bytes = op->cipher_off;
	j->msg_len_to_cipher_in_bytes = op->cipher_len;
	j->enc_keys = cm_enc(op->key);
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
		if (op[i]->cipher_len == 0)
			continue;
		if (cm_key_len(op[i]->key) == 16) {
			ctr_fill(&j128[n128++], op[i]);
			if (n128 == BURST) {
				ctr_submit(t->m.mgr, j128, n128, 16);
				n128 = 0;
			}
		} else {
			ctr_fill(&j256[n256++], op[i]);
			if (n256 == BURST) {
				ctr_submit(t->m.mgr, j256, n256, 32);
				n256 = 0;
			}
		}
	}
	ctr_submit(t->m.mgr, j128, n128, 16);
	ctr_submit(t->m.mgr, j256, n256, 32);
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
			const uint8_t *k = o->key->opaque;
			uint32_t kl = cm_key_len(o->key);
			j->src = o->buf;
			j->msg_len_to_hash_in_bytes = o->auth_len;
			j->auth_tag_output = o->tag;
			j->u.HMAC._hashed_auth_key_xor_ipad = k + CM_IPAD(kl);
			j->u.HMAC._hashed_auth_key_xor_opad = k + CM_OPAD(kl);
		}
		IMB_SUBMIT_HASH_BURST_NOCHECK(mxp_crypto_imb_hash_mgr(&t->m, m), t->hash, m,
					      IMB_AUTH_HMAC_SHA_1);
		at = (uint16_t)(at + m);
	}
}

static void
imb_gcm_enc(struct mxp_crypto_op *op[], uint16_t n)
{
	IMB_MGR *m = thread()->m.mgr;

	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		mxp_crypto_imb_gcm_seal(m, gcm_key(o->key), gcm_key_len(o->key), o->iv, o->aad,
					o->aad_len, o->buf + o->cipher_off, o->cipher_len, o->tag,
					16);
	}
}

static void
imb_gcm_dec(struct mxp_crypto_op *op[], uint16_t n)
{
	IMB_MGR *m = thread()->m.mgr;

	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		o->tag_ok = mxp_crypto_imb_gcm_open(m, gcm_key(o->key), gcm_key_len(o->key), o->iv,
						    o->aad, o->aad_len, o->buf + o->cipher_off,
						    o->cipher_len, o->tag, o->rx_tag, 16);
	}
}

/* Tag of the ciphertext without writing it: stream it through a small scratch buffer. */
static void
imb_gcm_tag(struct mxp_crypto_op *op[], uint16_t n)
{
	IMB_MGR *m = thread()->m.mgr;
	struct gcm_context_data g;
	alignas(64) uint8_t scratch[512];

	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct gcm_key_data *k = gcm_key(o->key);
		uint32_t kl = gcm_key_len(o->key);
		const uint8_t *s = o->buf + o->cipher_off;
		uint32_t left = o->cipher_len;
		if (kl == 16)
			IMB_AES128_GCM_INIT(m, k, &g, o->iv, o->aad, o->aad_len);
		else
			IMB_AES256_GCM_INIT(m, k, &g, o->iv, o->aad, o->aad_len);
		while (left > 0) {
			uint32_t c = left < sizeof(scratch) ? left : (uint32_t)sizeof(scratch);
			if (kl == 16)
				IMB_AES128_GCM_DEC_UPDATE(m, k, &g, scratch, s, c);
			else
				IMB_AES256_GCM_DEC_UPDATE(m, k, &g, scratch, s, c);
			s += c;
			left -= c;
		}
		if (kl == 16)
			IMB_AES128_GCM_DEC_FINALIZE(m, k, &g, o->tag, 16);
		else
			IMB_AES256_GCM_DEC_FINALIZE(m, k, &g, o->tag, 16);
		o->tag_ok = mxp_crypto_tag_equal(o->tag, o->rx_tag, 16);
	}
	explicit_bzero(scratch, sizeof(scratch));
}

static int
imb_keystream(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *out, size_t len)
{
	IMB_MGR *m = thread()->m.mgr;
	alignas(16) uint32_t enc[60];

	int rc = mxp_crypto_imb_aes_keys(m, key, key_len, enc, NULL);
	if (rc == 0) {
		memset(out, 0, len);
		rc = mxp_crypto_imb_ctr(m, enc, key_len, iv, out, len);
	}
	explicit_bzero(enc, sizeof(enc));
	return rc;
}

static const struct mxp_crypto_driver imb_driver = {
	.name = "ipsec_mb",
	.priority = 100,
	.probe = mxp_crypto_imb_probe,
	.thread_init = imb_thread_init,
	.thread_fini = imb_thread_fini,
	.key_size = imb_key_size,
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
