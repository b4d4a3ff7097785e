/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/crypto on OpenSSL 3 (libcrypto): cipher contexts with their key set, HMAC from
 * precomputed inner/outer hash states, and one-buffer AES-CTR, AES-GCM and AES-CBC.
 *
 * A context is created when a key is set up; per packet only the IV changes, so nothing
 * on the packet path allocates. HMAC keeps the hash states after key ^ ipad and key ^ opad
 * and copies them per packet: OpenSSL 3.0's EVP_MAC and EVP_MD_CTX_copy allocate on every
 * (re)initialisation, the low-level SHA functions do not (they are deprecated in 3.0 but
 * present; crypto_ossl.c alone silences the deprecation).
 */
#ifndef MXP_CRYPTO_OSSL_H
#define MXP_CRYPTO_OSSL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "mxp_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** AES modes a cipher context is made for. */
enum mxp_crypto_ossl_mode {
	MXP_CRYPTO_OSSL_CTR = 1, /**< AES-CTR, full 16-byte counter block as the IV */
	MXP_CRYPTO_OSSL_GCM,     /**< AES-GCM, 12-byte IV */
	MXP_CRYPTO_OSSL_CBC,     /**< AES-CBC without padding */
};

/**
 * A cipher context for @p mode with a 16- or 32-byte key set, in the encrypt direction
 * (or the decrypt one: CBC needs its own decryption context). NULL on a bad key length or
 * out of memory. Free with mxp_crypto_ossl_cipher_free().
 */
EVP_CIPHER_CTX *mxp_crypto_ossl_cipher_new(enum mxp_crypto_ossl_mode mode, const uint8_t *key,
					   size_t key_len, bool encrypt);
/** Free a context and the key schedule in it (OpenSSL cleanses it). NULL is fine. */
void mxp_crypto_ossl_cipher_free(EVP_CIPHER_CTX *x);

/** AES-CTR over @p len bytes in place from counter block @p iv. 0 or -EIO. */
int mxp_crypto_ossl_ctr(EVP_CIPHER_CTX *x, const uint8_t iv[16], uint8_t *data, size_t len);
/** AES-CBC over @p len bytes in place (a multiple of 16), in the context's direction. */
int mxp_crypto_ossl_cbc(EVP_CIPHER_CTX *x, const uint8_t iv[16], uint8_t *data, size_t len);
/** GCM encrypt @p len bytes in place and write a @p tag_len-byte tag. 0 or -EIO. */
int mxp_crypto_ossl_gcm_seal(EVP_CIPHER_CTX *x, const uint8_t *iv, const uint8_t *aad,
			     size_t aad_len, uint8_t *data, size_t len, uint8_t *tag,
			     size_t tag_len);
/**
 * GCM decrypt @p len bytes of @p in into @p out (may equal @p in), or into nothing when
 * @p out is NULL (check only), and let OpenSSL compare the tag with @p tag in constant
 * time. Leaves the context in the decrypt direction (mxp_crypto_ossl_gcm_seal() turns it
 * back). 0, -EBADMSG or -EIO.
 */
int mxp_crypto_ossl_gcm_open(EVP_CIPHER_CTX *x, const uint8_t *iv, const uint8_t *aad,
			     size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
			     const uint8_t *tag, size_t tag_len);

/** HMAC key state: the hash states after one block of key ^ ipad and key ^ opad. */
struct mxp_crypto_ossl_hmac {
	union {
		SHA_CTX sha1;
		SHA256_CTX sha256;
	} inner, outer;
	enum mxp_crypto_hash hash;
};

/** Set up @p h. 0, or -EINVAL (key longer than MXP_CRYPTO_HMAC_KEY_MAX, unknown hash). */
int mxp_crypto_ossl_hmac_init(struct mxp_crypto_ossl_hmac *h, enum mxp_crypto_hash hash,
			      const uint8_t *key, size_t key_len);
/** HMAC of @p len bytes: the whole digest (20 or 32 bytes) into @p md. */
void mxp_crypto_ossl_hmac(const struct mxp_crypto_ossl_hmac *h, const uint8_t *data,
			  size_t len, uint8_t *md);

#ifdef __cplusplus
}
#endif

#endif /* MXP_CRYPTO_OSSL_H */
