/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libsrtp2 (the oracle) sessions for the lib/srtp tests, keyed with the master keys of
 * srtp_test_util.h. Empty without libsrtp2 (MXP_HAVE_LIBSRTP2 0).
 */
#ifndef SRTP_TEST_LIB_H
#define SRTP_TEST_LIB_H

#include "srtp_test_util.h"

#if MXP_HAVE_LIBSRTP2
#include <string.h>

#include <srtp2/srtp.h>

/* libsrtp wants key || salt in one buffer. */
struct lib_key {
	uint8_t buf[48];
	srtp_master_key_t mk;
};

/* The libsrtp policy of a suite; aborts on a suite it does not know (a test bug). */
static inline void
lib_policy_suite(srtp_policy_t *p, enum mxp_srtp_suite s, bool rtcp_unencrypted)
{
	switch (s) {
	case MXP_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp);
		break;
	case MXP_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p->rtcp); /* RFC 4568 6.2 */
		break;
	case MXP_SRTP_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
		break;
	case MXP_SRTP_AES_256_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p->rtcp);
		break;
	case MXP_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		break;
	case MXP_SRTP_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p->rtcp);
		break;
	default:
		abort();
	}
	if (rtcp_unencrypted)
		p->rtcp.sec_serv = sec_serv_auth;
}

/*
 * A libsrtp session with one or two master keys (MK1/MS1, then MK2/MS2; MKI1 and MKI2 of
 * mki_len bytes when mki_len > 0), for the SSRCs @p type says: ssrc_any_inbound,
 * ssrc_any_outbound, or ssrc_specific (@p ssrc). @p keys (nkeys of them) holds the key
 * bytes while the session is created. Aborts if libsrtp refuses (a test bug).
 */
static inline srtp_t
lib_session(enum mxp_srtp_suite s, srtp_ssrc_type_t type, uint32_t ssrc, size_t mki_len,
	    int nkeys, bool rtcp_unencrypted, struct lib_key keys[])
{
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(s);
	srtp_policy_t p;
	srtp_master_key_t *kp[2];
	srtp_t sess;

	if (nkeys < 1 || nkeys > 2)
		abort();
	memset(&p, 0, sizeof(p));
	lib_policy_suite(&p, s, rtcp_unencrypted);
	p.ssrc.type = type;
	p.ssrc.value = ssrc;
	p.window_size = 128;
	for (int i = 0; i < nkeys; i++) {
		memcpy(keys[i].buf, i ? MK2 : MK1, si->key_len);
		memcpy(keys[i].buf + si->key_len, i ? MS2 : MS1, si->salt_len);
		keys[i].mk.key = keys[i].buf;
		keys[i].mk.mki_id = (unsigned char *)(i ? MKI2 : MKI1);
		keys[i].mk.mki_size = (unsigned int)mki_len;
		kp[i] = &keys[i].mk;
	}
	if (mki_len) {
		p.keys = kp;
		p.num_master_keys = (unsigned long)nkeys;
	} else {
		p.key = keys[0].buf;
	}
	if (srtp_create(&sess, &p) != srtp_err_status_ok)
		abort();
	return sess;
}
#endif /* MXP_HAVE_LIBSRTP2 */

#endif /* SRTP_TEST_LIB_H */
