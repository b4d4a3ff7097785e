/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/crypto private definitions. Includes neither intel-ipsec-mb's nor OpenSSL's headers. */
#ifndef MXP_CRYPTO_PRIV_H
#define MXP_CRYPTO_PRIV_H

#include "mxp_crypto.h"

/** One HMAC block (RFC 2104): @p key ^ @p pad, then @p pad up to MXP_CRYPTO_HMAC_KEY_MAX. */
static inline void
crypto_hmac_block(uint8_t block[MXP_CRYPTO_HMAC_KEY_MAX], const uint8_t *key, size_t key_len,
		  uint8_t pad)
{
	memset(block, pad, MXP_CRYPTO_HMAC_KEY_MAX);
	for (size_t i = 0; i < key_len; i++)
		block[i] ^= key[i];
}

static inline bool
crypto_sym_is_gcm(enum mxp_crypto_sym_alg alg)
{
	return alg == MXP_CRYPTO_SYM_AES_128_GCM || alg == MXP_CRYPTO_SYM_AES_256_GCM;
}

static inline enum mxp_crypto_hash
crypto_sym_hash(enum mxp_crypto_sym_alg alg)
{
	return alg == MXP_CRYPTO_SYM_AES_128_CBC_HMAC_SHA1 ? MXP_CRYPTO_SHA1 : MXP_CRYPTO_SHA256;
}

/** getrandom(2) until @p len bytes: 0 or -errno. */
int crypto_getrandom(void *arg, uint8_t *buf, size_t len);

/** The backends' single-buffer transforms and their set-up (crypto_imb.c, crypto_ossl.c). */
extern const struct mxp_crypto_sym_ops *const crypto_imb_sym_ops;
int crypto_imb_sym_open(struct mxp_crypto_sym *s);
void crypto_imb_sym_close(struct mxp_crypto_sym *s);
extern const struct mxp_crypto_sym_ops crypto_ossl_sym_ops;

#endif
