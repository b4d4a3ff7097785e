/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * intel-ipsec-mb backend, used by the daemon's control core. The library is called directly
 * (the GCM direct API; single jobs for CBC and HMAC) rather than through DPDK lib/ipsec and
 * a crypto_aesni_mb cryptodev: see doc/security.md, "Why intel-ipsec-mb directly".
 */
#include <errno.h>
#include <stdlib.h>

#include <intel-ipsec-mb.h>

#include "esp_priv.h"

struct mb_cbc {
	uint8_t enc_keys[16 * 15] __attribute__((aligned(16)));
	uint8_t dec_keys[16 * 15] __attribute__((aligned(16)));
	uint8_t ipad[32] __attribute__((aligned(16)));
	uint8_t opad[32] __attribute__((aligned(16)));
};

union mb_sa {
	struct gcm_key_data gcm;
	struct mb_cbc cbc;
};

_Static_assert(sizeof(union mb_sa) <= MXP_ESP_CRYPTO_PRIV_SIZE, "priv too small");

static int
mb_sa_init(void *be, void *priv, enum mxp_esp_alg alg, const uint8_t *key, size_t key_len,
	   const uint8_t *auth_key, size_t auth_key_len)
{
	IMB_MGR *m = be;
	union mb_sa *s = priv;
	uint8_t block[64];

	memset(s, 0, sizeof(*s));
	switch (alg) {
	case MXP_ESP_ALG_AES_GCM_128:
		IMB_AES128_GCM_PRE(m, key, &s->gcm);
		return 0;
	case MXP_ESP_ALG_AES_GCM_256:
		IMB_AES256_GCM_PRE(m, key, &s->gcm);
		return 0;
	case MXP_ESP_ALG_AES_CBC_HMAC_SHA1:
	case MXP_ESP_ALG_AES_CBC_HMAC_SHA256:
		break;
	default:
		return -EINVAL;
	}
	if (auth_key_len > sizeof(block))
		return -EINVAL;
	IMB_AES_KEYEXP_128(m, key, s->cbc.enc_keys, s->cbc.dec_keys);
	/* HMAC: the hash states after one block of key ^ ipad and key ^ opad. */
	memset(block, 0x36, sizeof(block));
	for (size_t i = 0; i < auth_key_len; i++)
		block[i] ^= auth_key[i];
	if (alg == MXP_ESP_ALG_AES_CBC_HMAC_SHA1)
		IMB_SHA1_ONE_BLOCK(m, block, s->cbc.ipad);
	else
		IMB_SHA256_ONE_BLOCK(m, block, s->cbc.ipad);
	memset(block, 0x5c, sizeof(block));
	for (size_t i = 0; i < auth_key_len; i++)
		block[i] ^= auth_key[i];
	if (alg == MXP_ESP_ALG_AES_CBC_HMAC_SHA1)
		IMB_SHA1_ONE_BLOCK(m, block, s->cbc.opad);
	else
		IMB_SHA256_ONE_BLOCK(m, block, s->cbc.opad);
	explicit_bzero(block, sizeof(block));
	(void)key_len;
	return 0;
}

static void
mb_sa_fini(void *be, void *priv)
{
	(void)be;
	(void)priv;
}

/* Submit one job and wait for it: the control core has one packet at a time. */
static int
mb_run(IMB_MGR *m, IMB_JOB *job)
{
	IMB_JOB *done = IMB_SUBMIT_JOB(m);
	while (done == NULL)
		done = IMB_FLUSH_JOB(m);
	if (done != job)
		return -EIO;
	return done->status == IMB_STATUS_COMPLETED ? 0 : -EIO;
}

static int
mb_hmac(IMB_MGR *m, const struct mb_cbc *k, enum mxp_esp_alg alg,
	const struct mxp_esp_crypto_op *op, uint8_t *tag)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);

	job->cipher_mode = IMB_CIPHER_NULL;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_HASH_CIPHER;
	job->hash_alg = alg == MXP_ESP_ALG_AES_CBC_HMAC_SHA1 ? IMB_AUTH_HMAC_SHA_1
							      : IMB_AUTH_HMAC_SHA_256;
	job->src = op->auth;
	job->dst = NULL;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = 0;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = op->auth_len;
	job->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	job->u.HMAC._hashed_auth_key_xor_opad = k->opad;
	job->auth_tag_output = tag;
	job->auth_tag_output_len_in_bytes = op->icv_len;
	job->iv = NULL;
	job->iv_len_in_bytes = 0;
	return mb_run(m, job);
}

static int
mb_cbc(IMB_MGR *m, const struct mb_cbc *k, const struct mxp_esp_crypto_op *op, int enc)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(m);

	job->cipher_mode = IMB_CIPHER_CBC;
	job->cipher_direction = enc ? IMB_DIR_ENCRYPT : IMB_DIR_DECRYPT;
	job->chain_order = enc ? IMB_ORDER_CIPHER_HASH : IMB_ORDER_HASH_CIPHER;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = k->enc_keys;
	job->dec_keys = k->dec_keys;
	job->key_len_in_bytes = 16;
	job->iv = op->iv;
	job->iv_len_in_bytes = 16;
	job->src = op->data;
	job->dst = op->data;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = op->data_len;
	job->hash_start_src_offset_in_bytes = 0;
	job->msg_len_to_hash_in_bytes = 0;
	job->auth_tag_output = NULL;
	job->auth_tag_output_len_in_bytes = 0;
	return mb_run(m, job);
}

static int
mb_seal(void *be, void *priv, enum mxp_esp_alg alg, const struct mxp_esp_crypto_op *op)
{
	IMB_MGR *m = be;
	union mb_sa *s = priv;
	struct gcm_context_data ctx;

	switch (alg) {
	case MXP_ESP_ALG_AES_GCM_128:
		IMB_AES128_GCM_ENC(m, &s->gcm, &ctx, op->data, op->data, op->data_len, op->iv,
				   op->aad, op->aad_len, op->icv, op->icv_len);
		return 0;
	case MXP_ESP_ALG_AES_GCM_256:
		IMB_AES256_GCM_ENC(m, &s->gcm, &ctx, op->data, op->data, op->data_len, op->iv,
				   op->aad, op->aad_len, op->icv, op->icv_len);
		return 0;
	default:
		break;
	}
	int rc = mb_cbc(m, &s->cbc, op, 1);
	if (rc == 0)
		rc = mb_hmac(m, &s->cbc, alg, op, op->icv);
	return rc;
}

static int
mb_open(void *be, void *priv, enum mxp_esp_alg alg, const struct mxp_esp_crypto_op *op)
{
	IMB_MGR *m = be;
	union mb_sa *s = priv;
	struct gcm_context_data ctx;
	uint8_t tag[16];
	int rc;

	switch (alg) {
	case MXP_ESP_ALG_AES_GCM_128:
		IMB_AES128_GCM_DEC(m, &s->gcm, &ctx, op->data, op->data, op->data_len, op->iv,
				   op->aad, op->aad_len, tag, op->icv_len);
		break;
	case MXP_ESP_ALG_AES_GCM_256:
		IMB_AES256_GCM_DEC(m, &s->gcm, &ctx, op->data, op->data, op->data_len, op->iv,
				   op->aad, op->aad_len, tag, op->icv_len);
		break;
	default:
		/* Authenticate first; decrypt only what authenticated. */
		rc = mb_hmac(m, &s->cbc, alg, op, tag);
		if (rc != 0)
			return rc;
		if (esp_ct_cmp(tag, op->icv, op->icv_len) != 0)
			return -EBADMSG;
		return mb_cbc(m, &s->cbc, op, 0);
	}
	rc = esp_ct_cmp(tag, op->icv, op->icv_len) != 0 ? -EBADMSG : 0;
	explicit_bzero(&ctx, sizeof(ctx));
	return rc;
}

static const struct mxp_esp_crypto_ops ipsecmb_ops = {
	.name = "ipsec-mb",
	.sa_init = mb_sa_init,
	.sa_fini = mb_sa_fini,
	.seal = mb_seal,
	.open = mb_open,
};

const struct mxp_esp_crypto_ops *const mxp_esp_crypto_ipsecmb_ops = &ipsecmb_ops;

void *esp_ipsecmb_alloc(void);
void esp_ipsecmb_free(void *be);

void *
esp_ipsecmb_alloc(void)
{
	IMB_MGR *m = alloc_mb_mgr(0);
	if (m == NULL)
		return NULL;
	init_mb_mgr_auto(m, NULL);
	if (imb_get_errno(m) != 0) {
		free_mb_mgr(m);
		return NULL;
	}
	return m;
}

void
esp_ipsecmb_free(void *be)
{
	free_mb_mgr(be);
}
