/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The interface between lib/srtp and its crypto drivers (drivers/crypto/<name>/).
 *
 * lib/srtp does the protocol (header parsing, IVs, ROC, replay, MKI, trailers); a driver
 * does bulk crypto over arrays of operations, so that a burst of packets becomes a burst
 * of intel-ipsec-mb jobs. A context picks its driver once, at mxp_srtp_ctx_init(); the
 * packet path calls the driver's function pointers without testing the suite.
 *
 * Drivers register themselves from a constructor (MXP_CRYPTO_DRIVER_REGISTER) and are
 * linked with link_whole, so linking mxp_crypto_drivers_dep is enough to have them.
 */
#ifndef MXP_SRTP_DRIVER_H
#define MXP_SRTP_DRIVER_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Largest storage a driver may ask for one session key set (cipher key + auth key, or GCM
 * key): every key_size() answer is at most this.
 */
#define MXP_CRYPTO_KEY_SIZE 1088

/**
 * Opaque per-key driver state, 64-byte aligned, wiped by lib/srtp after key_fini. Only the
 * first key_size(alg, key_len) bytes exist: lib/srtp packs session keys at that size (a key
 * session holds its SRTP and SRTCP keys back to back), so a driver must never touch more.
 */
struct mxp_crypto_key {
	alignas(64) uint8_t opaque[MXP_CRYPTO_KEY_SIZE];
};

/** Length of an HMAC-SHA1 session authentication key (RFC 3711 4.3.2: n_a = 160). */
#define MXP_CRYPTO_HMAC_KEY_LEN 20

/**
 * One crypto operation on one packet. lib/srtp fills the fields; the driver reads them and
 * writes @c tag (and the packet bytes it en/decrypts).
 */
struct mxp_crypto_op {
	const struct mxp_crypto_key *key;
	uint8_t *buf;           /**< packet start */
	uint32_t auth_len;      /**< HMAC: authenticate buf[0 .. auth_len) */
	uint32_t cipher_off;    /**< AES-CM/GCM: en/decrypt buf[cipher_off .. +cipher_len) */
	uint32_t cipher_len;
	uint32_t aad_len;       /**< GCM: length of the AAD */
	const uint8_t *aad;     /**< GCM: the AAD (usually buf) */
	const uint8_t *rx_tag;  /**< GCM decrypt/verify: the 16-byte tag received */
	alignas(16) uint8_t iv[16]; /**< AES-CM: full 16-byte counter block; GCM: 12-byte IV */
	alignas(8) uint8_t tag[20]; /**< out: HMAC-SHA1 (20 bytes) or GCM tag (16 bytes) */
	bool tag_ok;            /**< out, GCM decrypt/verify: rx_tag matched (constant time) */
};

/** Session key algorithms a driver is asked to set up. */
enum mxp_crypto_alg {
	MXP_CRYPTO_AES_CM_HMAC_SHA1 = 1, /**< AES-CTR (128/256) + HMAC-SHA1 */
	MXP_CRYPTO_AES_GCM = 2,          /**< AES-GCM (128/256) with 16-byte tag */
};

/** A crypto driver: every pointer is mandatory. */
struct mxp_crypto_driver {
	const char *name;
	int priority; /**< the highest available priority is the default */

	/** Can the driver run here (CPU features, library)? 0 or -ENOTSUP with a message. */
	int (*probe)(char *err, size_t errlen);
	/** Allocate the calling thread's state (idempotent). 0 or -ENOMEM. */
	int (*thread_init)(void);
	/** Free the calling thread's state. */
	void (*thread_fini)(void);

	/**
	 * Bytes of struct mxp_crypto_key a session key set of this algorithm and AES key length
	 * (16 or 32) uses: a multiple of 64, at most MXP_CRYPTO_KEY_SIZE; 0 if unsupported.
	 */
	size_t (*key_size)(enum mxp_crypto_alg alg, size_t key_len);
	/**
	 * Set up a session key set in key_size(alg, key_len) bytes. @p auth_key is
	 * MXP_CRYPTO_HMAC_KEY_LEN bytes for MXP_CRYPTO_AES_CM_HMAC_SHA1 and NULL for GCM.
	 * Returns 0 or a negative errno. The state must not point into itself: lib/srtp may
	 * move it with memcpy (key derivation rate).
	 */
	int (*key_init)(struct mxp_crypto_key *k, enum mxp_crypto_alg alg, const uint8_t *key,
			size_t key_len, const uint8_t *auth_key);
	/** Release what key_init acquired (lib/srtp wipes the key_size() bytes afterwards). */
	void (*key_fini)(struct mxp_crypto_key *k);

	/**
	 * AES counter-mode keystream for the key derivation function (RFC 3711 4.3.3):
	 * @p len bytes of AES-CTR(@p key, @p iv) into @p out. Returns 0 or -EIO.
	 */
	int (*keystream)(const uint8_t *key, size_t key_len, const uint8_t iv[16], uint8_t *out,
			 size_t len);

	/** AES-CM in place over [cipher_off, +cipher_len) of each op (cipher_len may be 0). */
	void (*ctr)(struct mxp_crypto_op *op[], uint16_t n);
	/** HMAC-SHA1 over buf[0 .. auth_len) of each op, 20 bytes into op->tag. */
	void (*hmac)(struct mxp_crypto_op *op[], uint16_t n);
	/** GCM encrypt in place; 16-byte tag into op->tag. */
	void (*gcm_enc)(struct mxp_crypto_op *op[], uint16_t n);
	/**
	 * GCM decrypt in place and check the tag of the ciphertext against op->rx_tag in
	 * constant time: op->tag_ok. The payload is overwritten even when the tag is wrong.
	 */
	void (*gcm_dec)(struct mxp_crypto_op *op[], uint16_t n);
	/** GCM tag check only (verify-only mode): op->tag_ok; the packet is not written. */
	void (*gcm_tag)(struct mxp_crypto_op *op[], uint16_t n);
};

/** Register a driver (called from a constructor). Returns 0, -ENOSPC or -EEXIST. */
int mxp_crypto_driver_register(const struct mxp_crypto_driver *drv);

/**
 * Find a registered driver by name, or the best available one if @p name is NULL.
 * On failure returns NULL, sets *rc to -ENOENT (no such driver) or -ENOTSUP (it cannot run
 * here) and writes a message to @p err.
 */
const struct mxp_crypto_driver *mxp_crypto_driver_find(const char *name, int *rc, char *err,
						       size_t errlen);

/** Register @p drv at program start. */
#define MXP_CRYPTO_DRIVER_REGISTER(drv) \
	__attribute__((constructor)) static void mxp_crypto_register_##drv(void) \
	{ \
		(void)mxp_crypto_driver_register(&(drv)); \
	}

#ifdef __cplusplus
}
#endif

#endif /* MXP_SRTP_DRIVER_H */
