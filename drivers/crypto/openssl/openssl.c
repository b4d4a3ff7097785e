/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP crypto driver on OpenSSL 3 (the portable fallback; one packet at a time).
 *
 * AES-CM and AES-GCM use EVP cipher contexts created when a key is set up; per packet only
 * the IV changes, so the packet path does not allocate. HMAC-SHA1 keeps the SHA-1 states
 * after key^ipad and key^opad and copies them per packet. The contexts, the HMAC states
 * and the one-packet calls are lib/crypto's (mxp_crypto_ossl.h).
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxp_crypto_ossl.h"
#include "mxp_srtp_driver.h"

/* A GCM key uses only the fields before hmac (key_size()). */
struct ossl_key {
	EVP_CIPHER_CTX *cipher;           /* AES-CTR or AES-GCM, key set */
	struct mxp_crypto_ossl_hmac hmac; /* SHA-1 states after key ^ ipad and key ^ opad */
};

#define OSSL_CM_SIZE ((sizeof(struct ossl_key) + 63) & ~(size_t)63)
#define OSSL_GCM_SIZE ((offsetof(struct ossl_key, hmac) + 63) & ~(size_t)63)
_Static_assert(OSSL_CM_SIZE <= MXP_CRYPTO_KEY_SIZE, "ossl_key too large");

static int
ossl_probe(char *err, size_t errlen)
{
	(void)err;
	(void)errlen;
	return 0;
}

static int
ossl_thread_init(void)
{
	return 0;
}

static void
ossl_thread_fini(void)
{
}

static size_t
ossl_key_size(enum mxp_crypto_alg alg, size_t key_len)
{
	if (key_len != 16 && key_len != 32)
		return 0;
	if (alg == MXP_CRYPTO_AES_GCM)
		return OSSL_GCM_SIZE;
	return alg == MXP_CRYPTO_AES_CM_HMAC_SHA1 ? OSSL_CM_SIZE : 0;
}

static int
ossl_key_init(struct mxp_crypto_key *ck, enum mxp_crypto_alg alg, const uint8_t *key,
	      size_t key_len, const uint8_t *auth_key)
{
	struct ossl_key *k = (struct ossl_key *)ck->opaque;

	if (ossl_key_size(alg, key_len) == 0)
		return -EINVAL;
	if (alg == MXP_CRYPTO_AES_CM_HMAC_SHA1 && auth_key == NULL)
		return -EINVAL;
	memset(k, 0, ossl_key_size(alg, key_len));
	bool gcm = alg == MXP_CRYPTO_AES_GCM;
	k->cipher = mxp_crypto_ossl_cipher_new(gcm ? MXP_CRYPTO_OSSL_GCM : MXP_CRYPTO_OSSL_CTR,
					       key, key_len, true);
	if (k->cipher == NULL)
		return -EIO;
	if (!gcm && mxp_crypto_ossl_hmac_init(&k->hmac, MXP_CRYPTO_SHA1, auth_key,
					      MXP_CRYPTO_HMAC_KEY_LEN) != 0) {
		mxp_crypto_ossl_cipher_free(k->cipher);
		k->cipher = NULL;
		return -EINVAL;
	}
	return 0;
}

static void
ossl_key_fini(struct mxp_crypto_key *ck)
{
	struct ossl_key *k = (struct ossl_key *)ck->opaque;

	mxp_crypto_ossl_cipher_free(k->cipher); /* cleanses the key schedule */
	k->cipher = NULL;                        /* lib/srtp wipes the rest */
}

static void
ossl_ctr(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct ossl_key *k = (const struct ossl_key *)o->key->opaque;
		if (o->cipher_len != 0)
			mxp_crypto_ossl_ctr(k->cipher, o->iv, o->buf + o->cipher_off,
					    o->cipher_len);
	}
}

static void
ossl_hmac(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		const struct ossl_key *k = (const struct ossl_key *)op[i]->key->opaque;
		mxp_crypto_ossl_hmac(&k->hmac, op[i]->buf, op[i]->auth_len, op[i]->tag);
	}
}

static void
ossl_gcm_enc(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct ossl_key *k = (const struct ossl_key *)o->key->opaque;
		mxp_crypto_ossl_gcm_seal(k->cipher, o->iv, o->aad, o->aad_len,
					 o->buf + o->cipher_off, o->cipher_len, o->tag, 16);
	}
}

/* GCM decryption (in place) or tag check only: OpenSSL compares the tags (CRYPTO_memcmp). */
static void
gcm_check(struct mxp_crypto_op *o, bool in_place)
{
	const struct ossl_key *k = (const struct ossl_key *)o->key->opaque;
	uint8_t *d = o->buf + o->cipher_off;

	o->tag_ok = mxp_crypto_ossl_gcm_open(k->cipher, o->iv, o->aad, o->aad_len, d,
					     in_place ? d : NULL, o->cipher_len, o->rx_tag,
					     16) == 0;
}

static void
ossl_gcm_dec(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		gcm_check(op[i], true);
}

static void
ossl_gcm_tag(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		gcm_check(op[i], false);
}

static int
ossl_keystream(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *out,
	       size_t len)
{
	if (key_len != 16 && key_len != 32)
		return -EINVAL;
	EVP_CIPHER_CTX *x = mxp_crypto_ossl_cipher_new(MXP_CRYPTO_OSSL_CTR, key, key_len, true);
	if (x == NULL)
		return -ENOMEM;
	memset(out, 0, len);
	int rc = mxp_crypto_ossl_ctr(x, iv, out, len);
	mxp_crypto_ossl_cipher_free(x);
	return rc;
}

static const struct mxp_crypto_driver ossl_driver = {
	.name = "openssl",
	.priority = 10,
	.probe = ossl_probe,
	.thread_init = ossl_thread_init,
	.thread_fini = ossl_thread_fini,
	.key_size = ossl_key_size,
	.key_init = ossl_key_init,
	.key_fini = ossl_key_fini,
	.keystream = ossl_keystream,
	.ctr = ossl_ctr,
	.hmac = ossl_hmac,
	.gcm_enc = ossl_gcm_enc,
	.gcm_dec = ossl_gcm_dec,
	.gcm_tag = ossl_gcm_tag,
};

MXP_CRYPTO_DRIVER_REGISTER(ossl_driver)
