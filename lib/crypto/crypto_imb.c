/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * intel-ipsec-mb: managers, key expansion, one-buffer transforms, and the "ipsec-mb"
 * single-buffer backend. The library is called directly rather than through a DPDK
 * cryptodev: see doc/security.md, "Why intel-ipsec-mb directly".
 */
#include <errno.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>

#include "crypto_priv.h"
#include "mxp_crypto_imb.h"

const char *
mxp_crypto_ipsec_mb_version(void)
{
	return imb_get_version_str();
}

int
mxp_crypto_imb_probe(char *err, size_t errlen)
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

int
mxp_crypto_imb_init(struct mxp_crypto_imb *m)
{
	memset(m, 0, sizeof(*m));
	m->mgr = alloc_mb_mgr(0);
	if (m->mgr == NULL)
		return -ENOMEM;
	init_mb_mgr_auto(m->mgr, &m->arch);
	if (imb_get_errno(m->mgr) != 0 || m->arch < IMB_ARCH_SSE) {
		mxp_crypto_imb_fini(m);
		return -ENOTSUP;
	}
	m->sha_ni = alloc_mb_mgr(0);
	if (m->sha_ni != NULL) {
		init_mb_mgr_sse(m->sha_ni);
		if (!(m->sha_ni->features & IMB_FEATURE_SHANI) || imb_get_errno(m->sha_ni) != 0) {
			free_mb_mgr(m->sha_ni);
			m->sha_ni = NULL;
		}
	}
	return 0;
}

void
mxp_crypto_imb_fini(struct mxp_crypto_imb *m)
{
	if (m->mgr != NULL)
		free_mb_mgr(m->mgr);
	if (m->sha_ni != NULL)
		free_mb_mgr(m->sha_ni);
	memset(m, 0, sizeof(*m));
}

int
mxp_crypto_imb_aes_keys(IMB_MGR *m, const uint8_t *key, size_t key_len, void *enc, void *dec)
{
	alignas(16) uint32_t scratch[60];
	void *d = dec != NULL ? dec : scratch;

	if (key_len == 16)
		IMB_AES_KEYEXP_128(m, key, enc, d);
	else if (key_len == 32)
		IMB_AES_KEYEXP_256(m, key, enc, d);
	else
		return -EINVAL;
	if (dec == NULL)
		mxp_crypto_wipe(scratch, sizeof(scratch));
	return 0;
}

int
mxp_crypto_imb_gcm_keys(IMB_MGR *m, const uint8_t *key, size_t key_len, struct gcm_key_data *g)
{
	if (key_len == 16)
		IMB_AES128_GCM_PRE(m, key, g);
	else if (key_len == 32)
		IMB_AES256_GCM_PRE(m, key, g);
	else
		return -EINVAL;
	return 0;
}

int
mxp_crypto_imb_hmac_keys(IMB_MGR *m, enum mxp_crypto_hash h, const uint8_t *key,
			 size_t key_len, void *ipad, void *opad)
{
	alignas(16) uint8_t block[MXP_CRYPTO_HMAC_KEY_MAX];
	void *out[2] = { ipad, opad };

	if (key_len > sizeof(block) || (h != MXP_CRYPTO_SHA1 && h != MXP_CRYPTO_SHA256))
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		crypto_hmac_block(block, key, key_len, i == 0 ? 0x36 : 0x5c);
		if (h == MXP_CRYPTO_SHA1)
			IMB_SHA1_ONE_BLOCK(m, block, out[i]);
		else
			IMB_SHA256_ONE_BLOCK(m, block, out[i]);
	}
	mxp_crypto_wipe(block, sizeof(block));
	return 0;
}

int
mxp_crypto_imb_job_run(IMB_MGR *m, IMB_JOB *job)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(m);
	while (done == NULL)
		done = IMB_FLUSH_JOB(m);
	if (done != job)
		return -EIO;
	return done->status == IMB_STATUS_COMPLETED ? 0 : -EIO;
}

void
mxp_crypto_imb_gcm_seal(IMB_MGR *m, const struct gcm_key_data *g, size_t key_len,
			const uint8_t *iv, const uint8_t *aad, size_t aad_len, uint8_t *data,
			size_t len, uint8_t *tag, size_t tag_len)
{
	struct gcm_context_data ctx;

	if (key_len == 16)
		IMB_AES128_GCM_ENC(m, g, &ctx, data, data, len, iv, aad, aad_len, tag, tag_len);
	else
		IMB_AES256_GCM_ENC(m, g, &ctx, data, data, len, iv, aad, aad_len, tag, tag_len);
}

bool
mxp_crypto_imb_gcm_open(IMB_MGR *m, const struct gcm_key_data *g, size_t key_len,
			const uint8_t *iv, const uint8_t *aad, size_t aad_len, uint8_t *data,
			size_t len, uint8_t *tag, const uint8_t *rx_tag, size_t tag_len)
{
	struct gcm_context_data ctx;

	if (key_len == 16)
		IMB_AES128_GCM_DEC(m, g, &ctx, data, data, len, iv, aad, aad_len, tag, tag_len);
	else
		IMB_AES256_GCM_DEC(m, g, &ctx, data, data, len, iv, aad, aad_len, tag, tag_len);
	return mxp_crypto_tag_equal(tag, rx_tag, tag_len);
}

/* A job with no cipher and no hash, nothing left from the job before: the caller sets one. */
static IMB_JOB *
job_get(IMB_MGR *m)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);

	memset(job, 0, sizeof(*job));
	job->cipher_mode = IMB_CIPHER_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	return job;
}

static int
cipher_run(IMB_MGR *m, IMB_CIPHER_MODE mode, IMB_CIPHER_DIRECTION dir, const void *enc,
	   const void *dec, size_t key_len, const uint8_t *iv, uint8_t *data, size_t len)
{
	IMB_JOB *job = job_get(m);

	job->cipher_mode = mode;
	job->cipher_direction = dir;
	job->chain_order = dir == IMB_DIR_ENCRYPT ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->enc_keys = enc;
	job->dec_keys = dec;
	job->key_len_in_bytes = key_len;
	job->iv = iv;
	job->iv_len_in_bytes = 16;
	job->src = data;
	job->dst = data;
	job->msg_len_to_cipher_in_bytes = len;
	return mxp_crypto_imb_job_run(m, job);
}

int
mxp_crypto_imb_cbc(IMB_MGR *m, const void *enc, const void *dec, const uint8_t *iv,
		   uint8_t *data, size_t len, bool encrypt)
{
	return cipher_run(m, IMB_CIPHER_CBC, encrypt ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT, enc,
			  dec, 16, iv, data, len);
}

int
mxp_crypto_imb_ctr(IMB_MGR *m, const void *enc, size_t key_len, const uint8_t *iv,
		   uint8_t *data, size_t len)
{
	return cipher_run(m, IMB_CIPHER_CNTR, IMB_DIR_ENCRYPT, enc, NULL, key_len, iv, data,
			  len);
}

int
mxp_crypto_imb_hmac(IMB_MGR *m, enum mxp_crypto_hash h, const void *ipad, const void *opad,
		    const uint8_t *data, size_t len, uint8_t *tag, size_t tag_len)
{
	IMB_JOB *job = job_get(m);

	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->hash_alg = h == MXP_CRYPTO_SHA1 ? IMB_AUTH_HMAC_SHA_1 : IMB_AUTH_HMAC_SHA_256;
	job->src = data;
	job->dst = NULL;
	job->msg_len_to_hash_in_bytes = len;
	job->u.HMAC._hashed_auth_key_xor_ipad = ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = opad;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = tag_len;
	return mxp_crypto_imb_job_run(m, job);
}

/* ------------------------------------------------------------------------------------------
 * The "ipsec-mb" single-buffer backend: the GCM direct API; CBC and HMAC as single jobs.
 * One packet at a time, so HMAC runs on the SHA-NI manager when there is one.
 */

struct imb_cbc_key {
	alignas(16) uint8_t enc[16 * 15];
	alignas(16) uint8_t dec[16 * 15];
	alignas(16) uint8_t ipad[32];
	alignas(16) uint8_t opad[32];
};

union imb_sym_key {
	struct gcm_key_data gcm;
	struct imb_cbc_key cbc;
};

_Static_assert(sizeof(union imb_sym_key) <= MXP_CRYPTO_SYM_KEY_SIZE, "imb key too large");

static int
imb_sym_key_init(void *be, void *key, enum mxp_crypto_sym_alg alg, const uint8_t *k,
		 size_t key_len, const uint8_t *auth_key, size_t auth_key_len)
{
	const struct mxp_crypto_imb *m = be;
	union imb_sym_key *s = key;
	int rc;

	if (key_len != mxp_crypto_sym_key_len(alg))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (crypto_sym_is_gcm(alg))
		return mxp_crypto_imb_gcm_keys(m->mgr, k, key_len, &s->gcm);
	rc = mxp_crypto_imb_aes_keys(m->mgr, k, key_len, s->cbc.enc, s->cbc.dec);
	if (rc == 0)
		rc = mxp_crypto_imb_hmac_keys(m->mgr, crypto_sym_hash(alg), auth_key, auth_key_len,
					      s->cbc.ipad, s->cbc.opad);
	if (rc != 0)
		mxp_crypto_wipe(s, sizeof(*s));
	return rc;
}

static void
imb_sym_key_fini(void *be, void *key)
{
	mxp_crypto_wipe(key, sizeof(union imb_sym_key));
}

static int
imb_sym_seal(void *be, const void *key, enum mxp_crypto_sym_alg alg,
	     const struct mxp_crypto_sym_op *op)
{
	const struct mxp_crypto_imb *m = be;
	const union imb_sym_key *s = key;

	if (crypto_sym_is_gcm(alg)) {
		mxp_crypto_imb_gcm_seal(m->mgr, &s->gcm, mxp_crypto_sym_key_len(alg), op->iv,
					op->aad, op->aad_len, op->data, op->data_len, op->icv,
					op->icv_len);
		return 0;
	}
	int rc = mxp_crypto_imb_cbc(m->mgr, s->cbc.enc, s->cbc.dec, op->iv, op->data,
				    op->data_len, true);
	if (rc == 0)
		rc = mxp_crypto_imb_hmac(mxp_crypto_imb_hash_mgr(m, 1), crypto_sym_hash(alg),
					 s->cbc.ipad, s->cbc.opad, op->auth, op->auth_len, op->icv,
					 op->icv_len);
	return rc;
}

static int
imb_sym_open(void *be, const void *key, enum mxp_crypto_sym_alg alg,
	     const struct mxp_crypto_sym_op *op)
{
	const struct mxp_crypto_imb *m = be;
	const union imb_sym_key *s = key;
	uint8_t tag[32];
	int rc;

	if (op->icv_len > 16)
		return -EIO;
	if (crypto_sym_is_gcm(alg)) {
		rc = mxp_crypto_imb_gcm_open(m->mgr, &s->gcm, mxp_crypto_sym_key_len(alg), op->iv,
					     op->aad, op->aad_len, op->data, op->data_len, tag,
					     op->icv, op->icv_len) ? 0 : -EBADMSG;
		mxp_crypto_wipe(tag, sizeof(tag));
		return rc;
	}
	/* Authenticate first; decrypt only what authenticated. */
	rc = mxp_crypto_imb_hmac(mxp_crypto_imb_hash_mgr(m, 1), crypto_sym_hash(alg), s->cbc.ipad,
				 s->cbc.opad, op->auth, op->auth_len, tag, op->icv_len);
	if (rc != 0)
		return rc;
	if (!mxp_crypto_tag_equal(tag, op->icv, op->icv_len))
		return -EBADMSG;
	return mxp_crypto_imb_cbc(m->mgr, s->cbc.enc, s->cbc.dec, op->iv, op->data, op->data_len,
				  false);
}

static const struct mxp_crypto_sym_ops imb_sym_ops = {
	.name = "ipsec-mb",
	.key_init = imb_sym_key_init,
	.key_fini = imb_sym_key_fini,
	.seal = imb_sym_seal,
	.open = imb_sym_open,
	.rand = crypto_getrandom,
};

const struct mxp_crypto_sym_ops *const crypto_imb_sym_ops = &imb_sym_ops;

int
crypto_imb_sym_open(struct mxp_crypto_sym *s)
{
	struct mxp_crypto_imb *m = malloc(sizeof(*m));
	int rc;

	if (m == NULL)
		return -ENOMEM;
	rc = mxp_crypto_imb_init(m);
	if (rc != 0) {
		free(m);
		return rc;
	}
	s->ops = &imb_sym_ops;
	s->be = m;
	return 0;
}

void
crypto_imb_sym_close(struct mxp_crypto_sym *s)
{
	mxp_crypto_imb_fini(s->be);
	free(s->be);
}
