/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP crypto driver on OpenSSL 3 (the portable fallback; one packet at a time).
 *
 * AES-CM and AES-GCM use EVP cipher contexts created when a key is set up; per packet only
 * the IV changes, so the packet path does not allocate. HMAC-SHA1 keeps the SHA-1 states
 * after key^ipad and key^opad and copies them per packet: OpenSSL 3.0's EVP_MAC and
 * EVP_MD_CTX_copy allocate on every (re)initialisation, the low-level SHA1 functions do
 * not. Those are deprecated in 3.0 but present; we silence the deprecation here only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "mxp_srtp_driver.h"

/* A GCM key uses only the fields before inner (key_size()). */
struct ossl_key {
	EVP_CIPHER_CTX *cipher; /* AES-CTR or AES-GCM, key set */
	SHA_CTX inner;          /* SHA-1 after one block of key ^ 0x36 */
	SHA_CTX outer;          /* SHA-1 after one block of key ^ 0x5c */
};

#define OSSL_CM_SIZE ((sizeof(struct ossl_key) + 63) & ~(size_t)63)
#define OSSL_GCM_SIZE ((offsetof(struct ossl_key, inner) + 63) & ~(size_t)63)
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

static const EVP_CIPHER *
cipher_of(enum mxp_crypto_alg alg, size_t key_len)
{
	if (alg == MXP_CRYPTO_AES_GCM)
		return key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	return key_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
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
	k->cipher = EVP_CIPHER_CTX_new();
	if (k->cipher == NULL)
		return -ENOMEM;
	if (EVP_EncryptInit_ex(k->cipher, cipher_of(alg, key_len), NULL, NULL, NULL) != 1 ||
	    (alg == MXP_CRYPTO_AES_GCM &&
	     EVP_CIPHER_CTX_ctrl(k->cipher, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1) ||
	    EVP_EncryptInit_ex(k->cipher, NULL, NULL, key, NULL) != 1) {
		EVP_CIPHER_CTX_free(k->cipher);
		k->cipher = NULL;
		return -EIO;
	}
	if (alg == MXP_CRYPTO_AES_CM_HMAC_SHA1) {
		uint8_t block[64];
		memset(block, 0x36, sizeof(block));
		for (int i = 0; i < MXP_CRYPTO_HMAC_KEY_LEN; i++)
			block[i] ^= auth_key[i];
		SHA1_Init(&k->inner);
		SHA1_Update(&k->inner, block, sizeof(block));
		memset(block, 0x5c, sizeof(block));
		for (int i = 0; i < MXP_CRYPTO_HMAC_KEY_LEN; i++)
			block[i] ^= auth_key[i];
		SHA1_Init(&k->outer);
		SHA1_Update(&k->outer, block, sizeof(block));
		OPENSSL_cleanse(block, sizeof(block));
	}
	return 0;
}

static void
ossl_key_fini(struct mxp_crypto_key *ck)
{
	struct ossl_key *k = (struct ossl_key *)ck->opaque;

	EVP_CIPHER_CTX_free(k->cipher); /* cleanses the key schedule */
	k->cipher = NULL;                /* lib/srtp wipes the rest */
}

static void
ossl_ctr(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct ossl_key *k = (const struct ossl_key *)o->key->opaque;
		int outl;
		if (o->cipher_len == 0)
			continue;
		uint8_t *d = o->buf + o->cipher_off;
		EVP_EncryptInit_ex(k->cipher, NULL, NULL, NULL, o->iv);
		EVP_EncryptUpdate(k->cipher, d, &outl, d, (int)o->cipher_len);
	}
}

static void
ossl_hmac(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct ossl_key *k = (const struct ossl_key *)o->key->opaque;
		SHA_CTX c = k->inner;
		uint8_t inner[SHA_DIGEST_LENGTH];
		SHA1_Update(&c, o->buf, o->auth_len);
		SHA1_Final(inner, &c);
		c = k->outer;
		SHA1_Update(&c, inner, sizeof(inner));
		SHA1_Final(o->tag, &c);
		OPENSSL_cleanse(&c, sizeof(c));
	}
}

static void
ossl_gcm_enc(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		struct mxp_crypto_op *o = op[i];
		const struct ossl_key *k = (const struct ossl_key *)o->key->opaque;
		EVP_CIPHER_CTX *x = k->cipher;
		uint8_t *d = o->buf + o->cipher_off;
		int outl;
		EVP_EncryptInit_ex(x, NULL, NULL, NULL, o->iv);
		EVP_EncryptUpdate(x, NULL, &outl, o->aad, (int)o->aad_len);
		if (o->cipher_len)
			EVP_EncryptUpdate(x, d, &outl, d, (int)o->cipher_len);
		EVP_EncryptFinal_ex(x, d + o->cipher_len, &outl);
		EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, 16, o->tag);
	}
}

/* GCM decryption: the encrypt-direction context computes GHASH over what it *outputs*, so
 * to check a tag we run the decrypt direction and let OpenSSL compare (CRYPTO_memcmp). */
static void
gcm_check(struct mxp_crypto_op *o, bool in_place)
{
	const struct ossl_key *k = (const struct ossl_key *)o->key->opaque;
	EVP_CIPHER_CTX *x = k->cipher;
	uint8_t scratch[256];
	uint8_t *d = o->buf + o->cipher_off;
	int outl;

	EVP_DecryptInit_ex(x, NULL, NULL, NULL, o->iv);
	EVP_DecryptUpdate(x, NULL, &outl, o->aad, (int)o->aad_len);
	if (in_place) {
		if (o->cipher_len)
			EVP_DecryptUpdate(x, d, &outl, d, (int)o->cipher_len);
	} else {
		for (uint32_t off = 0; off < o->cipher_len; off += sizeof(scratch)) {
			uint32_t c = o->cipher_len - off;
			if (c > sizeof(scratch))
				c = sizeof(scratch);
			EVP_DecryptUpdate(x, scratch, &outl, d + off, (int)c);
		}
		OPENSSL_cleanse(scratch, sizeof(scratch));
	}
	uint8_t want[16];
	memcpy(want, o->rx_tag, 16);
	EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, 16, want);
	o->tag_ok = EVP_DecryptFinal_ex(x, scratch, &outl) == 1;
	/* Leave the context in the encrypt direction for gcm_enc. */
	EVP_EncryptInit_ex(x, NULL, NULL, NULL, NULL);
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
	EVP_CIPHER_CTX *x = EVP_CIPHER_CTX_new();
	int outl, ok;
	if (x == NULL)
		return -ENOMEM;
	memset(out, 0, len);
	ok = EVP_EncryptInit_ex(x, cipher_of(MXP_CRYPTO_AES_CM_HMAC_SHA1, key_len), NULL, key,
				iv) == 1 &&
	     EVP_EncryptUpdate(x, out, &outl, out, (int)len) == 1;
	EVP_CIPHER_CTX_free(x);
	return ok ? 0 : -EIO;
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
