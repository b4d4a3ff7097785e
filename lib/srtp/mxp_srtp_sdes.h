/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * RFC 4568 SDP Security Descriptions: parse and encode `a=crypto` attributes.
 *
 *   a=crypto:<tag> <suite> inline:<base64(key||salt)>[|<lifetime>][|<MKI>:<length>]
 *            [;inline:...] [<session-param> ...]
 *
 * lifetime is decimal or 2^n; MKI is a decimal value and its length in bytes. Several
 * inline keys are separated by ';' and then all carry an MKI of the same length.
 * Session parameters: KDR=n (0..24), UNENCRYPTED_SRTCP and WSH=n are supported;
 * UNENCRYPTED_SRTP, UNAUTHENTICATED_SRTP, FEC_ORDER and FEC_KEY are refused with a message
 * naming them; an unknown parameter is refused unless it starts with '-' (RFC 4568 6.3.7,
 * optional parameters), which is ignored.
 *
 * Error messages never contain key material. The parsed structure holds keys: wipe it
 * with mxp_sdes_wipe() when done.
 */
#ifndef MXP_SRTP_SDES_H
#define MXP_SRTP_SDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_srtp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Longest attribute value mxp_sdes_encode() can produce, with NUL. */
#define MXP_SDES_MAX_LINE 512

/** One inline key of an a=crypto attribute. */
struct mxp_sdes_key {
	uint8_t key[MXP_SRTP_MAX_KEY_LEN];
	uint8_t salt[MXP_SRTP_MAX_SALT_LEN];
	uint64_t lifetime;       /**< packets; 0 when the attribute gives none */
	uint8_t lifetime_log2;   /**< n when written as 2^n, 0 when decimal or absent */
	uint8_t mki_len;         /**< 0 when no MKI */
	uint8_t mki[MXP_SRTP_MAX_MKI_LEN]; /**< MKI value, big-endian, mki_len bytes */
};

/** One parsed a=crypto attribute. */
struct mxp_sdes_crypto {
	uint32_t tag;            /**< 1..999999999 */
	enum mxp_srtp_suite suite;
	unsigned int nkeys;      /**< 1..MXP_SRTP_MAX_KEYS */
	struct mxp_sdes_key keys[MXP_SRTP_MAX_KEYS];
	bool kdr_present;
	uint8_t kdr_log2;        /**< KDR=n: re-derive every 2^n packets (RFC 4568 6.3.1;
				      KDR=0 is every packet, no KDR is never) */
	bool unencrypted_srtcp;  /**< UNENCRYPTED_SRTCP */
	uint32_t wsh;            /**< WSH=n (replay window hint), 0 when absent */
};

/**
 * Parse one a=crypto attribute. Accepts "a=crypto:...", "crypto:..." or the value alone,
 * with trailing CR/LF.
 *
 * @param line    the text (need not be NUL-terminated).
 * @param len     its length.
 * @param out     receives the result; wiped on failure.
 * @param err     receives a one-line reason on failure (never key bytes); may be NULL.
 * @param errlen  size of @p err.
 * @return 0, or -EINVAL (syntax or values), -ENOTSUP (unsupported suite, key method or
 *         session parameter).
 */
int mxp_sdes_parse(const char *line, size_t len, struct mxp_sdes_crypto *out, char *err,
		   size_t errlen);

/**
 * Encode an attribute value (without "a=crypto:"), e.g.
 * "1 AES_CM_128_HMAC_SHA1_80 inline:...|2^20|1:4 KDR=0".
 * @return the length written (NUL excluded), -EINVAL for an invalid structure, or
 *         -ENOSPC if @p buflen is too small.
 */
int mxp_sdes_encode(const struct mxp_sdes_crypto *c, char *buf, size_t buflen);

/** Wipe a parsed attribute (explicit_bzero). */
void mxp_sdes_wipe(struct mxp_sdes_crypto *c);

/**
 * Fill the suite, key derivation rate, replay window (from WSH, capped to the supported
 * range) and SRTCP encryption of context parameters from an attribute. Other fields of
 * @p p are left as they are.
 */
void mxp_sdes_to_params(const struct mxp_sdes_crypto *c, struct mxp_srtp_params *p);

/**
 * Add every key of an attribute to a context (the first one becomes active if the context
 * has none). Returns 0 or the first error of mxp_srtp_ctx_key_add().
 */
int mxp_sdes_add_keys(struct mxp_srtp_ctx *ctx, const struct mxp_sdes_crypto *c);

#ifdef __cplusplus
}
#endif

#endif /* MXP_SRTP_SDES_H */
