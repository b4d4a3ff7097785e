/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key sessions: a master key's SRTP and SRTCP session keys, derived once on the control
 * thread and shared by the streams that use the key (srtp_stream.c), with the key's usage
 * counted for all of them. The packet path reads and counts them in srtp_packet.c.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include "srtp_priv.h"

static enum mxp_crypto_alg
alg_of(const struct mxp_srtp_suite_info *si)
{
	return si->aead ? MXP_CRYPTO_AES_GCM : MXP_CRYPTO_AES_CM_HMAC_SHA1;
}

/* One driver key, rounded up to whole cache lines; 0 if unsupported or too large. */
static size_t
ck_bytes(const struct mxp_srtp_suite_info *si, const struct mxp_crypto_driver *drv)
{
	size_t n = drv->key_size(alg_of(si), si->key_len);
	n = (n + 63) & ~(size_t)63;
	return n <= MXP_CRYPTO_KEY_SIZE ? n : 0;
}

size_t
srtp_key_bytes(const struct mxp_srtp_suite_info *si, const struct mxp_crypto_driver *drv)
{
	size_t ck = ck_bytes(si, drv);
	return ck ? SRTP_KEY_HDR + 2 * ck : 0;
}

size_t
mxp_srtp_key_size(enum mxp_srtp_suite suite, const char *driver)
{
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(suite);
	int rc;

	if (si == NULL)
		return 0;
	const struct mxp_crypto_driver *drv = mxp_crypto_driver_find(driver, &rc, NULL, 0);
	return drv ? srtp_key_bytes(si, drv) : 0;
}

static uint64_t
soft_of(uint64_t limit, uint8_t percent)
{
	return limit / 100 * percent + (limit % 100) * percent / 100;
}

int
srtp_key_setup(struct mxp_srtp_key *k, const struct srtp_key_setup *p)
{
	const struct mxp_srtp_suite_info *si = p->si;
	size_t ck = ck_bytes(si, p->drv);

	memset(k, 0, SRTP_KEY_HDR);
	k->drv = p->drv;
	k->suite = (uint8_t)si->suite;
	k->ck_size = (uint16_t)ck;
	k->mki_len = (uint8_t)p->mki_len;
	if (p->mki_len)
		memcpy(k->mki, p->mki, p->mki_len);
	k->srtp_limit = MXP_SRTP_MAX_SRTP_PACKETS;
	k->srtcp_limit = MXP_SRTP_MAX_SRTCP_PACKETS;
	if (p->lifetime != 0 && p->lifetime < k->srtp_limit)
		k->srtp_limit = p->lifetime;
	if (p->lifetime != 0 && p->lifetime < k->srtcp_limit)
		k->srtcp_limit = p->lifetime;
	k->srtp_soft = soft_of(k->srtp_limit, p->soft_percent);
	k->srtcp_soft = soft_of(k->srtcp_limit, p->soft_percent);
	k->srtp_next_ev = k->srtp_soft < k->srtp_limit ? k->srtp_soft : k->srtp_limit;
	k->srtcp_next_ev = k->srtcp_soft < k->srtcp_limit ? k->srtcp_soft : k->srtcp_limit;
	k->kdr_log2 = p->kdr_log2;
	k->refcnt = 1;

	bool ok[2] = { false, false };
	int rc = 0;
	for (int rtcp = 0; rtcp < 2 && rc == 0; rtcp++) {
		uint8_t *salt = rtcp ? k->rtcp_salt : k->rtp_salt;
		struct mxp_crypto_key *dk = srtp_key_ck_mut(k, rtcp);
		if (p->key != NULL) {
			rc = srtp_kdf_session(p->drv, si, p->key, p->salt, rtcp, p->r[rtcp], dk, salt);
			k->kdr_r[rtcp] = p->r[rtcp];
		} else {
			rc = p->drv->key_init(dk, alg_of(si), p->skey, si->key_len,
					      si->aead ? NULL : p->sauth) ? -EIO : 0;
			if (rc == 0)
				memcpy(salt, p->ssalt, si->salt_len);
		}
		ok[rtcp] = rc == 0;
	}
	if (rc == 0 && p->key != NULL)
		rc = srtp_fingerprint_bytes(p->key, si->key_len, p->salt, si->salt_len, k->fp);
	if (rc != 0) {
		for (int rtcp = 0; rtcp < 2; rtcp++)
			if (ok[rtcp])
				p->drv->key_fini(srtp_key_ck_mut(k, rtcp));
		srtp_wipe(k, SRTP_KEY_HDR + 2 * ck);
		return -EIO;
	}
	k->magic = SRTP_KEY_MAGIC;
	return 0;
}

void
srtp_key_release(struct mxp_srtp_key *k)
{
	size_t n = SRTP_KEY_HDR;
	if (k->magic == SRTP_KEY_MAGIC) {
		k->drv->key_fini(srtp_key_ck_mut(k, false));
		k->drv->key_fini(srtp_key_ck_mut(k, true));
		n += 2 * (size_t)k->ck_size;
	}
	srtp_wipe(k, n);
}

int
mxp_srtp_key_init(struct mxp_srtp_key *k, const struct mxp_srtp_key_params *p, char *err,
		  size_t errlen)
{
	char msg[160];
	int rc;

	if (k == NULL || p == NULL)
		return srtp_fail(err, errlen, -EINVAL, "NULL key session or parameters");
	if (((uintptr_t)k & (MXP_SRTP_KEY_ALIGN - 1)) != 0)
		return srtp_fail(err, errlen, -EINVAL, "key session memory is not 64-byte aligned");
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(p->suite);
	if (si == NULL)
		return srtp_fail(err, errlen, -EINVAL, "unknown crypto suite");
	if (p->key == NULL || p->salt == NULL)
		return srtp_fail(err, errlen, -EINVAL, "NULL master key or salt");
	if (p->mki_len > MXP_SRTP_MAX_MKI_LEN || (p->mki_len > 0 && p->mki == NULL)) {
		snprintf(msg, sizeof(msg), "MKI length %zu above %u or MKI missing", p->mki_len,
			 MXP_SRTP_MAX_MKI_LEN);
		return srtp_fail(err, errlen, -EINVAL, msg);
	}
	if (p->soft_percent > 100)
		return srtp_fail(err, errlen, -EINVAL, "soft_percent above 100");
	const struct mxp_crypto_driver *drv = mxp_crypto_driver_find(p->driver, &rc, msg,
								     sizeof(msg));
	if (drv == NULL)
		return srtp_fail(err, errlen, rc, msg);
	if (ck_bytes(si, drv) == 0) {
		snprintf(msg, sizeof(msg), "crypto driver '%s' does not support %s", drv->name,
			 si->name);
		return srtp_fail(err, errlen, -ENOTSUP, msg);
	}
	struct srtp_key_setup ks = {
		.si = si,
		.drv = drv,
		.key = p->key,
		.salt = p->salt,
		.mki = p->mki,
		.mki_len = p->mki_len,
		.lifetime = p->lifetime,
		.soft_percent = p->soft_percent ? p->soft_percent : 90,
		.kdr_log2 = 0xff,
	};
	if (srtp_key_setup(k, &ks) != 0)
		return srtp_fail(err, errlen, -EIO,
				 "the crypto driver failed to set up the session keys");
	return 0;
}

void
mxp_srtp_key_fini(struct mxp_srtp_key *k)
{
	if (k != NULL)
		srtp_key_release(k);
}

struct mxp_srtp_key *
mxp_srtp_key_get(struct mxp_srtp_key *k)
{
	k->refcnt++;
	return k;
}

bool
mxp_srtp_key_put(struct mxp_srtp_key *k)
{
	/* A put without its get is the caller's bug: debug builds stop at it. Release builds
	 * (NDEBUG) keep the count at 0, where a wrap to 2^32 - 1 would keep the session
	 * forever, and answer "not the last" so that nothing is freed twice. */
	assert(k->refcnt > 0);
	if (k->refcnt == 0)
		return false;
	return --k->refcnt == 0;
}

uint32_t
mxp_srtp_key_events(struct mxp_srtp_key *k)
{
	return srtp_events_take(&k->events);
}

int
mxp_srtp_key_info(const struct mxp_srtp_key *k, struct mxp_srtp_key_info *info)
{
	if (k == NULL || info == NULL || k->magic != SRTP_KEY_MAGIC)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	memcpy(info->mki, k->mki, k->mki_len);
	info->mki_len = k->mki_len;
	srtp_fingerprint_hex(k->fp, info->fingerprint);
	info->srtp_used = __atomic_load_n(&k->srtp_used, __ATOMIC_RELAXED);
	info->srtcp_used = __atomic_load_n(&k->srtcp_used, __ATOMIC_RELAXED);
	info->srtp_total = info->srtp_used;
	info->srtcp_total = info->srtcp_used;
	info->srtp_limit = k->srtp_limit;
	info->srtcp_limit = k->srtcp_limit;
	info->soft = __atomic_load_n(&k->soft, __ATOMIC_RELAXED);
	info->exhausted = __atomic_load_n(&k->exhausted, __ATOMIC_RELAXED);
	return 0;
}
