/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenSSL 3: cipher contexts, HMAC with precomputed states, one-buffer transforms, and the
 * "openssl" single-buffer backend (used by mrfc, which plays the peer, and as the second
 * implementation the unit tests run against the same vectors).
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1 /* SHA1_Init and friends: see mxp_crypto_ossl.h */

#include <errno.h>
#include <limits.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto_priv.h"
#include "mxp_crypto_ossl.h"

static const EVP_CIPHER *
cipher_of(enum mxp_crypto_ossl_mode mode, size_t key_len)
{
	if (key_len != 16 && key_len != 32)
		return NULL;
	switch (mode) {
	case MXP_CRYPTO_OSSL_CTR:
		return key_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
	case MXP_CRYPTO_OSSL_GCM:
		return key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
	case MXP_CRYPTO_OSSL_CBC:
		return key_len == 16 ? EVP_aes_128_cbc() : EVP_aes_256_cbc();
	}
	return NULL;
}

EVP_CIPHER_CTX *
mxp_crypto_ossl_cipher_new(enum mxp_crypto_ossl_mode mode, const uint8_t *key, size_t key_len,
			   bool encrypt)
{
	const EVP_CIPHER *c = cipher_of(mode, key_len);
	EVP_CIPHER_CTX *x;

	if (c == NULL || (x = EVP_CIPHER_CTX_new()) == NULL)
		return NULL;
	if (EVP_CipherInit_ex(x, c, NULL, NULL, NULL, encrypt) != 1 ||
	    (mode == MXP_CRYPTO_OSSL_GCM &&
	     EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1) ||
	    EVP_CipherInit_ex(x, NULL, NULL, key, NULL, encrypt) != 1 ||
	    EVP_CIPHER_CTX_set_padding(x, 0) != 1) {
		EVP_CIPHER_CTX_free(x);
		return NULL;
	}
	return x;
}

void
mxp_crypto_ossl_cipher_free(EVP_CIPHER_CTX *x)
{
	EVP_CIPHER_CTX_free(x);
}

int
mxp_crypto_ossl_ctr(EVP_CIPHER_CTX *x, const uint8_t iv[16], uint8_t *data, size_t len)
{
	int n;

	if (len > INT_MAX || EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv) != 1 ||
	    EVP_EncryptUpdate(x, data, &n, data, (int)len) != 1)
		return -EIO;
	return 0;
}

int
mxp_crypto_ossl_cbc(EVP_CIPHER_CTX *x, const uint8_t iv[16], uint8_t *data, size_t len)
{
	int n, f;

	/* -1: keep the direction the context was made for. */
	if (len > INT_MAX || EVP_CipherInit_ex(x, NULL, NULL, NULL, iv, -1) != 1 ||
	    EVP_CipherUpdate(x, data, &n, data, (int)len) != 1 || (size_t)n != len ||
	    EVP_CipherFinal_ex(x, data + n, &f) != 1)
		return -EIO;
	return 0;
}

int
mxp_crypto_ossl_gcm_seal(EVP_CIPHER_CTX *x, const uint8_t *iv, const uint8_t *aad,
			 size_t aad_len, uint8_t *data, size_t len, uint8_t *tag, size_t tag_len)
{
	int n = 0, f;

	if (len > INT_MAX || aad_len > INT_MAX || EVP_EncryptInit_ex(x, NULL, NULL, NULL, iv) != 1)
		return -EIO;
	if (aad_len != 0 && EVP_EncryptUpdate(x, NULL, &n, aad, (int)aad_len) != 1)
		return -EIO;
	n = 0;
	if (len != 0 && (EVP_EncryptUpdate(x, data, &n, data, (int)len) != 1 || (size_t)n != len))
		return -EIO;
	if (EVP_EncryptFinal_ex(x, data + n, &f) != 1 ||
	    EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_GET_TAG, (int)tag_len, tag) != 1)
		return -EIO;
	return 0;
}

int
mxp_crypto_ossl_gcm_open(EVP_CIPHER_CTX *x, const uint8_t *iv, const uint8_t *aad,
			 size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
			 const uint8_t *tag, size_t tag_len)
{
	uint8_t scratch[256], want[16];
	int n, ok;

	if (len > INT_MAX || aad_len > INT_MAX || tag_len > sizeof(want) ||
	    EVP_DecryptInit_ex(x, NULL, NULL, NULL, iv) != 1)
		return -EIO;
	if (aad_len != 0 && EVP_DecryptUpdate(x, NULL, &n, aad, (int)aad_len) != 1)
		return -EIO;
	if (out != NULL) {
		if (len != 0 && EVP_DecryptUpdate(x, out, &n, in, (int)len) != 1)
			return -EIO;
	} else {
		/* Check only: stream the ciphertext through a scratch buffer. */
		for (size_t off = 0; off < len; off += sizeof(scratch)) {
			size_t c = len - off < sizeof(scratch) ? len - off : sizeof(scratch);
			if (EVP_DecryptUpdate(x, scratch, &n, in + off, (int)c) != 1)
				return -EIO;
		}
		mxp_crypto_wipe(scratch, sizeof(scratch));
	}
	memcpy(want, tag, tag_len); /* the ctrl takes a non-const pointer */
	if (EVP_CIPHER_CTX_ctrl(x, EVP_CTRL_GCM_SET_TAG, (int)tag_len, want) != 1)
		return -EIO;
	/* Final compares the tags (CRYPTO_memcmp). */
	ok = EVP_DecryptFinal_ex(x, scratch, &n) == 1;
	return ok ? 0 : -EBADMSG;
}

int
mxp_crypto_ossl_hmac_init(struct mxp_crypto_ossl_hmac *h, enum mxp_crypto_hash hash,
			  const uint8_t *key, size_t key_len)
{
	uint8_t block[MXP_CRYPTO_HMAC_KEY_MAX];

	if (key_len > sizeof(block) || (hash != MXP_CRYPTO_SHA1 && hash != MXP_CRYPTO_SHA256))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->hash = hash;
	for (int i = 0; i < 2; i++) {
		crypto_hmac_block(block, key, key_len, i == 0 ? 0x36 : 0x5c);
		if (hash == MXP_CRYPTO_SHA1) {
			SHA_CTX *c = i == 0 ? &h->inner.sha1 : &h->outer.sha1;
			SHA1_Init(c);
			SHA1_Update(c, block, sizeof(block));
		} else {
			SHA256_CTX *c = i == 0 ? &h->inner.sha256 : &h->outer.sha256;
			SHA256_Init(c);
			SHA256_Update(c, block, sizeof(block));
		}
	}
	OPENSSL_cleanse(block, sizeof(block));
	return 0;
}

void
mxp_crypto_ossl_hmac(const struct mxp_crypto_ossl_hmac *h, const uint8_t *data, size_t len,
		     uint8_t *md)
{
	if (h->hash == MXP_CRYPTO_SHA1) {
		SHA_CTX c = h->inner.sha1;
		uint8_t inner[SHA_DIGEST_LENGTH];
		SHA1_Update(&c, data, len);
		SHA1_Final(inner, &c);
		c = h->outer.sha1;
		SHA1_Update(&c, inner, sizeof(inner));
		SHA1_Final(md, &c);
		OPENSSL_cleanse(&c, sizeof(c));
	} else {
		SHA256_CTX c = h->inner.sha256;
		uint8_t inner[SHA256_DIGEST_LENGTH];
		SHA256_Update(&c, data, len);
		SHA256_Final(inner, &c);
		c = h->outer.sha256;
		SHA256_Update(&c, inner, sizeof(inner));
		SHA256_Final(md, &c);
		OPENSSL_cleanse(&c, sizeof(c));
	}
}

/* ------------------------------------------------------------------------------------------
 * The "openssl" single-buffer backend.
 */

/* GCM uses cipher in both directions; CBC needs a decryption context of its own. */
struct ossl_sym_key {
	EVP_CIPHER_CTX *cipher;
	EVP_CIPHER_CTX *dec;
	struct mxp_crypto_ossl_hmac hmac;
};

_Static_assert(sizeof(struct ossl_sym_key) <= MXP_CRYPTO_SYM_KEY_SIZE, "ossl key too large");

static void
ossl_sym_key_fini(void *be, void *key)
{
	struct ossl_sym_key *s = key;

	mxp_crypto_ossl_cipher_free(s->cipher);
	mxp_crypto_ossl_cipher_free(s->dec);
	mxp_crypto_wipe(s, sizeof(*s));
}

static int
ossl_sym_key_init(void *be, void *key, enum mxp_crypto_sym_alg alg, const uint8_t *k,
		  size_t key_len, const uint8_t *auth_key, size_t auth_key_len)
{
	struct ossl_sym_key *s = key;
	bool gcm = crypto_sym_is_gcm(alg);

	if (key_len != mxp_crypto_sym_key_len(alg))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	if (!gcm && mxp_crypto_ossl_hmac_init(&s->hmac, crypto_sym_hash(alg), auth_key,
					      auth_key_len) != 0)
		return -EINVAL;
	s->cipher = mxp_crypto_ossl_cipher_new(gcm ? MXP_CRYPTO_OSSL_GCM : MXP_CRYPTO_OSSL_CBC, k,
					       key_len, true);
	if (!gcm)
		s->dec = mxp_crypto_ossl_cipher_new(MXP_CRYPTO_OSSL_CBC, k, key_len, false);
	if (s->cipher == NULL || (!gcm && s->dec == NULL)) {
		ossl_sym_key_fini(be, key);
		return -ENOMEM;
	}
	return 0;
}

static int
ossl_sym_seal(void *be, const void *key, enum mxp_crypto_sym_alg alg,
	      const struct mxp_crypto_sym_op *op)
{
	const struct ossl_sym_key *s = key;
	uint8_t md[SHA256_DIGEST_LENGTH];

	if (crypto_sym_is_gcm(alg))
		return mxp_crypto_ossl_gcm_seal(s->cipher, op->iv, op->aad, op->aad_len, op->data,
						op->data_len, op->icv, op->icv_len);
	if (mxp_crypto_ossl_cbc(s->cipher, op->iv, op->data, op->data_len) != 0)
		return -EIO;
	mxp_crypto_ossl_hmac(&s->hmac, op->auth, op->auth_len, md);
	memcpy(op->icv, md, op->icv_len);
	mxp_crypto_wipe(md, sizeof(md));
	return 0;
}

static int
ossl_sym_open(void *be, const void *key, enum mxp_crypto_sym_alg alg,
	      const struct mxp_crypto_sym_op *op)
{
	const struct ossl_sym_key *s = key;
	uint8_t md[SHA256_DIGEST_LENGTH];
	bool ok;

	if (crypto_sym_is_gcm(alg))
		return mxp_crypto_ossl_gcm_open(s->cipher, op->iv, op->aad, op->aad_len, op->data,
						op->data, op->data_len, op->icv, op->icv_len);
	/* Authenticate first; decrypt only what authenticated. */
	mxp_crypto_ossl_hmac(&s->hmac, op->auth, op->auth_len, md);
	ok = op->icv_len <= sizeof(md) && mxp_crypto_tag_equal(md, op->icv, op->icv_len);
	mxp_crypto_wipe(md, sizeof(md));
	if (!ok)
		return -EBADMSG;
	return mxp_crypto_ossl_cbc(s->dec, op->iv, op->data, op->data_len);
}

static int
ossl_rand(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	return len <= INT_MAX && RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}

const struct mxp_crypto_sym_ops crypto_ossl_sym_ops = {
	.name = "openssl",
	.key_init = ossl_sym_key_init,
	.key_fini = ossl_sym_key_fini,
	.seal = ossl_sym_seal,
	.open = ossl_sym_open,
	.rand = ossl_rand,
};
