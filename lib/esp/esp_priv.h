/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/esp private definitions. */
#ifndef MXP_ESP_PRIV_H
#define MXP_ESP_PRIV_H

#include <string.h>

#include "mxp_align.h"
#include "mxp_be.h"
#include "mxp_crypto.h"
#include "mxp_esp.h"

#define ESP_HDR_LEN 8
#define ESP_GCM_IV_LEN 8
#define ESP_GCM_SALT_LEN 4
#define ESP_CBC_IV_LEN 16
#define ESP_CBC_BLOCK 16

/** Static properties of a transform. */
struct esp_alg_info {
	const char *name;
	uint8_t key_len;       /**< including the salt for GCM */
	uint8_t auth_key_len;  /**< 0 for AEAD */
	uint8_t iv_len;        /**< bytes on the wire */
	uint8_t block;         /**< padding alignment of payload + trailer */
	uint8_t icv_len;
	uint8_t aead;
};

extern const struct esp_alg_info esp_algs[MXP_ESP_ALG_MAX];

struct mxp_esp_sa {
	/* Hot state first. */
	uint8_t priv[MXP_ESP_CRYPTO_PRIV_SIZE] __attribute__((aligned(64)));
	const struct mxp_esp_crypto *crypto;
	const struct esp_alg_info *info;
	uint64_t seq;                   /**< out: last sent; in: unused (see replay.top) */
	uint64_t iv_base;               /**< out, GCM: random IV base, IV = base + seq */
	struct mxp_esp_replay replay;   /**< in */
	struct mxp_esp_sa_stats stats;
	struct mxp_esp_sa_params p;
	uint8_t in_use;
} __attribute__((aligned(64)));

#endif
