/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/crypto on intel-ipsec-mb: the managers of a thread, key expansion, and one-buffer
 * GCM, CBC and HMAC. Only built when intel-ipsec-mb is (MXP_HAVE_IPSEC_MB).
 *
 * Managers. A thread holds two: @c mgr, initialised for the best architecture the CPU
 * offers (AVX-512 with VAES here), and, when the CPU has the SHA extensions, an SSE
 * manager @c sha_ni. The AVX-512 multi-buffer HMAC runs its 16 lanes whether they are full
 * or not, so a burst of fewer than MXP_CRYPTO_IMB_HASH_MB_MIN buffers costs nearly what 16
 * do; the SHA-NI code hashes one or two buffers at a time at nearly the same cost whatever
 * the burst (measured in doc/srtp.md, "Benchmark"). mxp_crypto_imb_hash_mgr() picks.
 *
 * Keys expanded by one manager serve every manager of the same architecture: GCM key data
 * is laid out per architecture, so GCM always runs on @c mgr; AES round keys and the HMAC
 * hash states are plain and may be used by either.
 */
#ifndef MXP_CRYPTO_IMB_H
#define MXP_CRYPTO_IMB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <intel-ipsec-mb.h>

#include "mxp_crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A burst of fewer HMAC jobs than this goes to the SHA-NI manager, if there is one. */
#define MXP_CRYPTO_IMB_HASH_MB_MIN 16

/** The intel-ipsec-mb managers of one thread. */
struct mxp_crypto_imb {
	IMB_MGR *mgr;    /**< the best architecture (init_mb_mgr_auto) */
	IMB_MGR *sha_ni; /**< SSE manager with SHA-NI; NULL if the CPU has no SHA-NI */
	IMB_ARCH arch;   /**< the architecture of @c mgr */
};

/**
 * Can intel-ipsec-mb run here (an AES-NI code path)? Probed once, then cached.
 * @return 0, or -ENOTSUP with a message in @p err (may be NULL).
 */
int mxp_crypto_imb_probe(char *err, size_t errlen);

/** Allocate and initialise a thread's managers. 0, -ENOMEM or -ENOTSUP. */
int mxp_crypto_imb_init(struct mxp_crypto_imb *m);
/** Free the managers (zeroes @p m; safe on a zeroed one). */
void mxp_crypto_imb_fini(struct mxp_crypto_imb *m);

/** The manager for a burst of @p n HMAC jobs. */
static inline IMB_MGR *
mxp_crypto_imb_hash_mgr(const struct mxp_crypto_imb *m, uint32_t n)
{
	return n < MXP_CRYPTO_IMB_HASH_MB_MIN && m->sha_ni != NULL ? m->sha_ni : m->mgr;
}

/**
 * AES key schedules: 11 or 15 round keys (176 or 240 bytes, 16-byte aligned) into @p enc
 * and, unless @p dec is NULL, the decryption schedule into @p dec.
 * @return 0, or -EINVAL if @p key_len is not 16 or 32.
 */
int mxp_crypto_imb_aes_keys(IMB_MGR *m, const uint8_t *key, size_t key_len, void *enc,
			    void *dec);
/** GCM key data for a 16- or 32-byte key. 0 or -EINVAL. */
int mxp_crypto_imb_gcm_keys(IMB_MGR *m, const uint8_t *key, size_t key_len,
			    struct gcm_key_data *g);
/**
 * HMAC (RFC 2104): the hash states after one block of key ^ ipad and key ^ opad, into
 * @p ipad and @p opad (20 bytes for SHA-1, 32 for SHA-256; 16-byte aligned).
 * @return 0, or -EINVAL for a key longer than MXP_CRYPTO_HMAC_KEY_MAX.
 */
int mxp_crypto_imb_hmac_keys(IMB_MGR *m, enum mxp_crypto_hash h, const uint8_t *key,
			     size_t key_len, void *ipad, void *opad);

/** Submit one job and wait for it (a single buffer, not a burst). 0 or -EIO. */
int mxp_crypto_imb_job_run(IMB_MGR *m, IMB_JOB *job);

/** GCM encrypt @p len bytes in place and write a @p tag_len-byte tag. */
void mxp_crypto_imb_gcm_seal(IMB_MGR *m, const struct gcm_key_data *g, size_t key_len,
			     const uint8_t *iv, const uint8_t *aad, size_t aad_len, uint8_t *data,
			     size_t len, uint8_t *tag, size_t tag_len);
/**
 * GCM decrypt @p len bytes in place, write the tag of the ciphertext to @p tag and compare
 * it with @p rx_tag in constant time. The bytes are decrypted even when the tag is wrong.
 * @return true if the tags match.
 */
bool mxp_crypto_imb_gcm_open(IMB_MGR *m, const struct gcm_key_data *g, size_t key_len,
			     const uint8_t *iv, const uint8_t *aad, size_t aad_len, uint8_t *data,
			     size_t len, uint8_t *tag, const uint8_t *rx_tag, size_t tag_len);

/** AES-128-CBC over @p len bytes in place (a multiple of 16). 0 or -EIO. */
int mxp_crypto_imb_cbc(IMB_MGR *m, const void *enc, const void *dec, const uint8_t *iv,
		       uint8_t *data, size_t len, bool encrypt);
/** AES-CTR over @p len bytes in place with a full 16-byte counter block. 0 or -EIO. */
int mxp_crypto_imb_ctr(IMB_MGR *m, const void *enc, size_t key_len, const uint8_t *iv,
		       uint8_t *data, size_t len);
/**
 * HMAC of one buffer from precomputed states (mxp_crypto_imb_hmac_keys()), @p tag_len
 * bytes of it into @p tag (SHA-1: 12 or 20; SHA-256: 16 or 32). 0 or -EIO.
 */
int mxp_crypto_imb_hmac(IMB_MGR *m, enum mxp_crypto_hash h, const void *ipad, const void *opad,
			const uint8_t *data, size_t len, uint8_t *tag, size_t tag_len);

#ifdef __cplusplus
}
#endif

#endif /* MXP_CRYPTO_IMB_H */
