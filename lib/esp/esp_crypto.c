/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP's crypto backends: lib/crypto's single-buffer transforms under ESP's transform names.
 * Nothing here talks to intel-ipsec-mb or OpenSSL: lib/crypto owns the managers, the key
 * expansion and the per-packet calls (doc/srtp.md, "Crypto backends").
 */
#include <errno.h>
#include <stdlib.h>

#include "esp_priv.h"

_Static_assert(MXP_CRYPTO_SYM_KEY_SIZE <= MXP_ESP_CRYPTO_PRIV_SIZE, "SA priv too small");

/* The instance behind mxp_esp_crypto.be: the lib/crypto backend and ops named after it. */
struct esp_backend {
	struct mxp_esp_crypto_ops ops;
	struct mxp_crypto_sym sym;
};

static const enum mxp_crypto_sym_alg sym_alg[MXP_ESP_ALG_MAX] = {
	[MXP_ESP_ALG_AES_GCM_128] = MXP_CRYPTO_SYM_AES_128_GCM,
	[MXP_ESP_ALG_AES_GCM_256] = MXP_CRYPTO_SYM_AES_256_GCM,
	[MXP_ESP_ALG_AES_CBC_HMAC_SHA1] = MXP_CRYPTO_SYM_AES_128_CBC_HMAC_SHA1,
	[MXP_ESP_ALG_AES_CBC_HMAC_SHA256] = MXP_CRYPTO_SYM_AES_128_CBC_HMAC_SHA256,
};

static int
esp_sa_init(void *be, void *priv, enum mxp_esp_alg alg, const uint8_t *key, size_t key_len,
	    const uint8_t *auth_key, size_t auth_key_len)
{
	const struct esp_backend *b = be;

	if ((unsigned int)alg >= MXP_ESP_ALG_MAX || sym_alg[alg] == MXP_CRYPTO_SYM_NONE)
		return -EINVAL;
	/* A GCM key comes with its salt (RFC 4106 8.1); the salt goes into the nonce. */
	size_t need = mxp_crypto_sym_key_len(sym_alg[alg]);
	if (key_len < need)
		return -EINVAL;
	return b->sym.ops->key_init(b->sym.be, priv, sym_alg[alg], key, need, auth_key,
				    auth_key_len);
}

static void
esp_sa_fini(void *be, void *priv)
{
	const struct esp_backend *b = be;

	b->sym.ops->key_fini(b->sym.be, priv);
}

static int
esp_seal(void *be, void *priv, enum mxp_esp_alg alg, const struct mxp_esp_crypto_op *op)
{
	const struct esp_backend *b = be;

	return b->sym.ops->seal(b->sym.be, priv, sym_alg[alg], op);
}

static int
esp_open(void *be, void *priv, enum mxp_esp_alg alg, const struct mxp_esp_crypto_op *op)
{
	const struct esp_backend *b = be;

	return b->sym.ops->open(b->sym.be, priv, sym_alg[alg], op);
}

int
mxp_esp_crypto_open(struct mxp_esp_crypto *c, const char *name)
{
	struct esp_backend *b = calloc(1, sizeof(*b));
	int rc;

	memset(c, 0, sizeof(*c));
	if (b == NULL)
		return -ENOMEM;
	rc = mxp_crypto_sym_open(&b->sym, name);
	if (rc != 0) {
		free(b);
		return rc;
	}
	b->ops = (struct mxp_esp_crypto_ops){
		.name = b->sym.ops->name,
		.sa_init = esp_sa_init,
		.sa_fini = esp_sa_fini,
		.seal = esp_seal,
		.open = esp_open,
	};
	c->ops = &b->ops;
	c->be = b;
	c->rand = b->sym.ops->rand;
	return 0;
}

void
mxp_esp_crypto_close(struct mxp_esp_crypto *c)
{
	struct esp_backend *b = c->be;

	if (b != NULL) {
		mxp_crypto_sym_close(&b->sym);
		free(b);
	}
	memset(c, 0, sizeof(*c));
}
