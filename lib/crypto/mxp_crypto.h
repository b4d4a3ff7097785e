/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/crypto: the one layer that talks to intel-ipsec-mb and OpenSSL.
 *
 * It owns, once for the whole program, what every user of the two libraries needs: the
 * intel-ipsec-mb managers of a thread and the choice of their architecture (the best one,
 * plus an SSE manager when the CPU has the SHA extensions), key expansion (AES key
 * schedules, GCM key data, HMAC inner/outer hash states), OpenSSL cipher contexts, the
 * choice of a backend by name and the wiping of key material. It depends on neither DPDK
 * nor any other mixplane library, so plain Linux programs (app/mrfc) link it too.
 *
 * Three headers:
 *  - this one: backend-neutral single-buffer transforms (::mxp_crypto_sym_ops), chosen by
 *    name with mxp_crypto_sym_open(); lib/esp runs every packet through them;
 *  - mxp_crypto_imb.h: the intel-ipsec-mb building blocks (managers, keys, one-buffer GCM,
 *    CBC and HMAC) for code that submits its own bursts (drivers/crypto/ipsec_mb);
 *  - mxp_crypto_ossl.h: the OpenSSL building blocks (cipher contexts, HMAC with precomputed
 *    states, GCM) for drivers/crypto/openssl.
 * intel-ipsec-mb's and OpenSSL's headers cannot share a translation unit (intel-ipsec-mb
 * defines SHA1 and friends as macros), hence the two headers.
 *
 * Nothing here logs or prints; nothing in the per-packet functions allocates.
 */
#ifndef MXP_CRYPTO_H
#define MXP_CRYPTO_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Wipe key material (not optimised away). */
static inline void
mxp_crypto_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

/** Constant-time comparison of two tags: true if the @p n bytes are equal. */
static inline bool
mxp_crypto_tag_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= (uint8_t)(a[i] ^ b[i]);
	return d == 0;
}

/** HMAC hash functions. */
enum mxp_crypto_hash {
	MXP_CRYPTO_SHA1 = 1,   /**< 20-byte digest */
	MXP_CRYPTO_SHA256 = 2, /**< 32-byte digest */
};

/** Largest HMAC key: one hash block (longer keys are refused, never hashed down). */
#define MXP_CRYPTO_HMAC_KEY_MAX 64

/* ------------------------------------------------------------------------------------------
 * Single-buffer transforms over either library
 */

/** Transforms of the single-buffer API. */
enum mxp_crypto_sym_alg {
	MXP_CRYPTO_SYM_NONE = 0,
	MXP_CRYPTO_SYM_AES_128_GCM,             /**< 16-byte key, 12-byte nonce, AAD */
	MXP_CRYPTO_SYM_AES_256_GCM,             /**< 32-byte key */
	MXP_CRYPTO_SYM_AES_128_CBC_HMAC_SHA1,   /**< encrypt-then-MAC, HMAC key up to 64 bytes */
	MXP_CRYPTO_SYM_AES_128_CBC_HMAC_SHA256, /**< encrypt-then-MAC */
	MXP_CRYPTO_SYM_MAX
};

/** AES key length of a transform (16 or 32), 0 if unknown. */
size_t mxp_crypto_sym_key_len(enum mxp_crypto_sym_alg alg);

/** Bytes of key state a single-buffer key takes (64-byte aligned storage). */
#define MXP_CRYPTO_SYM_KEY_SIZE 1024

/**
 * One transform over contiguous bytes. Fields a transform does not use are ignored.
 * lib/esp uses this struct as its ::mxp_esp_crypto_op.
 */
struct mxp_crypto_sym_op {
	const uint8_t *iv;   /**< GCM: 12-byte nonce; CBC: 16-byte IV */
	const uint8_t *aad;  /**< GCM: additional authenticated data */
	size_t aad_len;
	uint8_t *data;       /**< bytes encrypted or decrypted in place */
	size_t data_len;     /**< CBC: a multiple of 16 */
	const uint8_t *auth; /**< CBC+HMAC: the bytes authenticated (usually include data) */
	size_t auth_len;
	uint8_t *icv;        /**< seal: where to write the tag; open: the tag received */
	size_t icv_len;      /**< GCM: 4..16; HMAC: at most the digest length */
};

/**
 * A backend's single-buffer transforms. @p be is the backend state of a
 * ::mxp_crypto_sym, @p key MXP_CRYPTO_SYM_KEY_SIZE bytes, 64-byte aligned.
 */
struct mxp_crypto_sym_ops {
	const char *name; /**< "ipsec-mb" or "openssl" */
	/**
	 * Expand keys into @p key. @p key_len is mxp_crypto_sym_key_len(alg); @p auth_key
	 * (CBC+HMAC only) at most MXP_CRYPTO_HMAC_KEY_MAX bytes. 0, -EINVAL or -ENOMEM.
	 */
	int (*key_init)(void *be, void *key, enum mxp_crypto_sym_alg alg, const uint8_t *k,
			size_t key_len, const uint8_t *auth_key, size_t auth_key_len);
	/** Release what key_init took and wipe the key state. */
	void (*key_fini)(void *be, void *key);
	/** Encrypt op->data in place and write the tag. 0 or -EIO. */
	int (*seal)(void *be, const void *key, enum mxp_crypto_sym_alg alg,
		    const struct mxp_crypto_sym_op *op);
	/**
	 * Check the tag in constant time and decrypt in place: 0, -EBADMSG (wrong tag) or
	 * -EIO. CBC+HMAC authenticates before decrypting: a forged packet stays ciphertext.
	 */
	int (*open)(void *be, const void *key, enum mxp_crypto_sym_alg alg,
		    const struct mxp_crypto_sym_op *op);
	/** The backend's CSPRNG (getrandom(2) or RAND_bytes): 0 or -errno. @p arg unused. */
	int (*rand)(void *arg, uint8_t *buf, size_t len);
};

/** A backend instance: its transforms and its state. One instance serves one thread. */
struct mxp_crypto_sym {
	const struct mxp_crypto_sym_ops *ops;
	void *be; /**< intel-ipsec-mb: a struct mxp_crypto_imb; OpenSSL: NULL */
};

/**
 * Open a backend by name, "ipsec-mb" or "openssl" (set-up time: it allocates the
 * intel-ipsec-mb managers).
 * @return 0, -ENOENT (unknown name, or intel-ipsec-mb not built in), -ENOTSUP (the CPU has
 *         no AES-NI code path) or -ENOMEM.
 */
int mxp_crypto_sym_open(struct mxp_crypto_sym *s, const char *name);
/** Release a backend opened by mxp_crypto_sym_open() (zeroes @p s). */
void mxp_crypto_sym_close(struct mxp_crypto_sym *s);

/** intel-ipsec-mb's version ("1.3.0"), or "none" when it is not built in. */
const char *mxp_crypto_ipsec_mb_version(void);

#ifdef __cplusplus
}
#endif

#endif /* MXP_CRYPTO_H */
