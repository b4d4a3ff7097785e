/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SRTP key derivation (RFC 3711 section 4.3; AES-256 PRF: RFC 6188 section 3; GCM master
 * salt of 96 bits: RFC 7714 section 11, zero-padded to the 112 bits the PRF takes).
 *
 *   key_id = label || r          (8 + 48 bits, r = index DIV kdr, 0 when kdr = 0)
 *   x      = key_id XOR master_salt, right-aligned on the 112-bit salt
 *   PRF_n(k_master, x) = first n bits of AES-CM(k_master) with IV x * 2^16
 *
 * The keystream comes from the key session's driver, so a driver's AES-CTR is exercised by
 * the RFC 3711 B.3 and RFC 6188 7.2 vectors too.
 */
#include <errno.h>

#include "srtp_priv.h"

int
srtp_kdf(const struct mxp_crypto_driver *drv, const uint8_t *mkey, size_t mkey_len,
	 const uint8_t *msalt, size_t msalt_len, uint8_t label, uint64_t r, uint8_t *out,
	 size_t n)
{
	uint8_t iv[16] = { 0 };

	if (msalt_len > 14)
		return -EINVAL;
	memcpy(iv, msalt, msalt_len);
	iv[7] ^= label;
	for (int i = 0; i < 6; i++)
		iv[8 + i] ^= (uint8_t)(r >> (8 * (5 - i)));
	return drv->keystream(mkey, mkey_len, iv, out, n);
}

int
srtp_kdf_session(const struct mxp_crypto_driver *drv, const struct mxp_srtp_suite_info *si,
		 const uint8_t *mkey, const uint8_t *msalt, bool rtcp, uint64_t r,
		 struct mxp_crypto_key *ck, uint8_t salt_out[16])
{
	uint8_t ekey[MXP_SRTP_MAX_KEY_LEN], akey[MXP_CRYPTO_HMAC_KEY_LEN];
	uint8_t salt[16] = { 0 };
	uint8_t base = rtcp ? SRTP_LABEL_RTCP_ENC : SRTP_LABEL_RTP_ENC;
	int rc;

	rc = srtp_kdf(drv, mkey, si->key_len, msalt, si->salt_len, base, r, ekey, si->key_len);
	if (rc == 0 && !si->aead)
		rc = srtp_kdf(drv, mkey, si->key_len, msalt, si->salt_len, (uint8_t)(base + 1), r,
			      akey, sizeof(akey));
	if (rc == 0)
		rc = srtp_kdf(drv, mkey, si->key_len, msalt, si->salt_len, (uint8_t)(base + 2), r,
			      salt, si->salt_len);
	if (rc == 0)
		rc = drv->key_init(ck, si->aead ? MXP_CRYPTO_AES_GCM : MXP_CRYPTO_AES_CM_HMAC_SHA1,
				   ekey, si->key_len, si->aead ? NULL : akey);
	if (rc == 0)
		memcpy(salt_out, salt, 16);
	srtp_wipe(ekey, sizeof(ekey));
	srtp_wipe(akey, sizeof(akey));
	srtp_wipe(salt, sizeof(salt));
	return rc == 0 ? 0 : -EIO;
}
