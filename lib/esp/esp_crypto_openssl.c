/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OpenSSL backend (libcrypto 3.0 EVP): used by mrfc, which plays the peer, and as the
 * second implementation the unit tests run against the same vectors.
 */
#include <errno.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "esp_priv.h"

struct ossl_sa {
	EVP_CIPHER_CTX *enc;
	EVP_CIPHER_CTX *dec;
	EVP_MAC_CTX *mac;
};

_Static_assert(sizeof(struct ossl_sa) <= MXP_ESP_CRYPTO_PRIV_SIZE, "priv too small");

static void
ossl_sa_fini(void *be, void *priv)
{
	struct ossl_sa *s = priv;

	EVP_CIPHER_CTX_free(s->enc);
	EVP_CIPHER_CTX_free(s->dec);
	EVP_MAC_CTX_free(s->mac);
	memset(s, 0, sizeof(*s));
}

static int
ossl_sa_init(void *be, void *priv, enum mxp_esp_alg alg, const uint8_t *key, size_t key_len,
	     const uint8_t *auth_key, size_t auth_key_len)
{
	struct ossl_sa *s = priv;
	const EVP_CIPHER *ciph;
	const char *digest = NULL;

	memset(s, 0, sizeof(*s));
	switch (alg) {
	case MXP_ESP_ALG_AES_GCM_128:
		ciph = EVP_aes_128_gcm();
		break;
	case MXP_ESP_ALG_AES_GCM_256:
		ciph = EVP_aes_256_gcm();
		break;
	case MXP_ESP_ALG_AES_CBC_HMAC_SHA1:
		ciph = EVP_aes_128_cbc();
		digest = "SHA1";
		break;
	case MXP_ESP_ALG_AES_CBC_HMAC_SHA256:
		ciph = EVP_aes_128_cbc();
		digest = "SHA256";
		break;
	default:
		return -EINVAL;
	}
	s->enc = EVP_CIPHER_CTX_new();
	s->dec = EVP_CIPHER_CTX_new();
	if (s->enc == NULL || s->dec == NULL)
		goto fail;
	if (EVP_EncryptInit_ex(s->enc, ciph, NULL, key, NULL) != 1 ||
	    EVP_DecryptInit_ex(s->dec, ciph, NULL, key, NULL) != 1)
		goto fail;
	EVP_CIPHER_CTX_set_padding(s->enc, 0);
	EVP_CIPHER_CTX_set_padding(s->dec, 0);
	if (digest != NULL) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		if (mac == NULL)
			goto fail;
		s->mac = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac);
		OSSL_PARAM params[] = {
			OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0),
			OSSL_PARAM_construct_end(),
		};
		if (s->mac == NULL || EVP_MAC_init(s->mac, auth_key, auth_key_len, params) != 1)
			goto fail;
	}
	(void)key_len;
	return 0;
fail:
	ossl_sa_fini(be, priv);
	return -ENOMEM;
}

static int
hmac(struct ossl_sa *s, const struct mxp_esp_crypto_op *op, uint8_t *out)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t mdlen = 0;

	/* A NULL key re-initialises the context with the key set at SA set-up. */
	if (EVP_MAC_init(s->mac, NULL, 0, NULL) != 1 ||
	    EVP_MAC_update(s->mac, op->auth, op->auth_len) != 1 ||
	    EVP_MAC_final(s->mac, md, &mdlen, sizeof(md)) != 1 || mdlen < op->icv_len)
		return -EIO;
	memcpy(out, md, op->icv_len);
	explicit_bzero(md, sizeof(md));
	return 0;
}

static int
ossl_seal(void *be, void *priv, enum mxp_esp_alg alg, const struct mxp_esp_crypto_op *op)
{
	struct ossl_sa *s = priv;
	int n;

	if (EVP_EncryptInit_ex(s->enc, NULL, NULL, NULL, op->iv) != 1)
		return -EIO;
	if (op->aad_len != 0 && EVP_EncryptUpdate(s->enc, NULL, &n, op->aad, (int)op->aad_len) != 1)
		return -EIO;
	if (EVP_EncryptUpdate(s->enc, op->data, &n, op->data, (int)op->data_len) != 1 ||
	    (size_t)n != op->data_len || EVP_EncryptFinal_ex(s->enc, op->data + n, &n) != 1)
		return -EIO;
	if (alg == MXP_ESP_ALG_AES_GCM_128 || alg == MXP_ESP_ALG_AES_GCM_256)
		return EVP_CIPHER_CTX_ctrl(s->enc, EVP_CTRL_GCM_GET_TAG, (int)op->icv_len,
					   op->icv) == 1 ? 0 : -EIO;
	return hmac(s, op, op->icv);
}

static int
ossl_open(void *be, void *priv, enum mxp_esp_alg alg, const struct mxp_esp_crypto_op *op)
{
	struct ossl_sa *s = priv;
	int n;

	if (alg == MXP_ESP_ALG_AES_GCM_128 || alg == MXP_ESP_ALG_AES_GCM_256) {
		if (EVP_DecryptInit_ex(s->dec, NULL, NULL, NULL, op->iv) != 1 ||
		    EVP_CIPHER_CTX_ctrl(s->dec, EVP_CTRL_GCM_SET_TAG, (int)op->icv_len,
					op->icv) != 1 ||
		    EVP_DecryptUpdate(s->dec, NULL, &n, op->aad, (int)op->aad_len) != 1 ||
		    EVP_DecryptUpdate(s->dec, op->data, &n, op->data, (int)op->data_len) != 1)
			return -EIO;
		/* Final checks the tag (constant time inside OpenSSL). */
		return EVP_DecryptFinal_ex(s->dec, op->data + n, &n) == 1 ? 0 : -EBADMSG;
	}
	uint8_t want[16];
	if (hmac(s, op, want) != 0)
		return -EIO;
	int bad = esp_ct_cmp(want, op->icv, op->icv_len);
	explicit_bzero(want, sizeof(want));
	if (bad)
		return -EBADMSG;
	if (EVP_DecryptInit_ex(s->dec, NULL, NULL, NULL, op->iv) != 1 ||
	    EVP_DecryptUpdate(s->dec, op->data, &n, op->data, (int)op->data_len) != 1 ||
	    (size_t)n != op->data_len || EVP_DecryptFinal_ex(s->dec, op->data + n, &n) != 1)
		return -EIO;
	return 0;
}

const struct mxp_esp_crypto_ops mxp_esp_crypto_openssl_ops = {
	.name = "openssl",
	.sa_init = ossl_sa_init,
	.sa_fini = ossl_sa_fini,
	.seal = ossl_seal,
	.open = ossl_open,
};

int esp_openssl_rand(void *arg, uint8_t *buf, size_t len);

int
esp_openssl_rand(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -EIO;
}
