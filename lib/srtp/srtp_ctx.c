/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Contexts and master keys: the control path of lib/srtp. Nothing here runs per packet
 * except when the key derivation rate forces a re-derivation (srtp_packet.c).
 */
#include <errno.h>
#include <stdio.h>

#include <openssl/evp.h>

#include "srtp_priv.h"

static const struct mxp_srtp_suite_info suites[MXP_SRTP_SUITE_COUNT] = {
	[MXP_SRTP_AES_CM_128_HMAC_SHA1_80] = {
		.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80, .name = "AES_CM_128_HMAC_SHA1_80",
		.key_len = 16, .salt_len = 14, .srtp_tag_len = 10, .srtcp_tag_len = 10,
	},
	[MXP_SRTP_AES_CM_128_HMAC_SHA1_32] = {
		.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_32, .name = "AES_CM_128_HMAC_SHA1_32",
		.key_len = 16, .salt_len = 14, .srtp_tag_len = 4, .srtcp_tag_len = 10,
	},
	[MXP_SRTP_AES_256_CM_HMAC_SHA1_80] = {
		.suite = MXP_SRTP_AES_256_CM_HMAC_SHA1_80, .name = "AES_256_CM_HMAC_SHA1_80",
		.key_len = 32, .salt_len = 14, .srtp_tag_len = 10, .srtcp_tag_len = 10,
	},
	[MXP_SRTP_AES_256_CM_HMAC_SHA1_32] = {
		.suite = MXP_SRTP_AES_256_CM_HMAC_SHA1_32, .name = "AES_256_CM_HMAC_SHA1_32",
		.key_len = 32, .salt_len = 14, .srtp_tag_len = 4, .srtcp_tag_len = 10,
	},
	[MXP_SRTP_AEAD_AES_128_GCM] = {
		.suite = MXP_SRTP_AEAD_AES_128_GCM, .name = "AEAD_AES_128_GCM",
		.key_len = 16, .salt_len = 12, .srtp_tag_len = 16, .srtcp_tag_len = 16,
		.aead = true,
	},
	[MXP_SRTP_AEAD_AES_256_GCM] = {
		.suite = MXP_SRTP_AEAD_AES_256_GCM, .name = "AEAD_AES_256_GCM",
		.key_len = 32, .salt_len = 12, .srtp_tag_len = 16, .srtcp_tag_len = 16,
		.aead = true,
	},
};

const struct mxp_srtp_suite_info *
mxp_srtp_suite_info(enum mxp_srtp_suite suite)
{
	if ((unsigned int)suite == 0 || (unsigned int)suite >= MXP_SRTP_SUITE_COUNT)
		return NULL;
	return &suites[suite];
}

enum mxp_srtp_suite
mxp_srtp_suite_by_name(const char *name)
{
	if (name == NULL)
		return MXP_SRTP_SUITE_INVALID;
	for (unsigned int s = 1; s < MXP_SRTP_SUITE_COUNT; s++)
		if (strcmp(suites[s].name, name) == 0)
			return (enum mxp_srtp_suite)s;
	return MXP_SRTP_SUITE_INVALID;
}

#define REASON_NAME_(n, s, d) s,
#define REASON_DESC_(n, s, d) d,
static const char *const reason_names[] = { MXP_SRTP_REASONS(REASON_NAME_) };
static const char *const reason_descs[] = { MXP_SRTP_REASONS(REASON_DESC_) };

const char *
mxp_srtp_reason_name(unsigned int reason)
{
	return reason < MXP_SRTP_R_COUNT ? reason_names[reason] : "?";
}

const char *
mxp_srtp_reason_desc(unsigned int reason)
{
	return reason < MXP_SRTP_R_COUNT ? reason_descs[reason] : "?";
}

size_t
mxp_srtp_ctx_size(void)
{
	return (sizeof(struct mxp_srtp_ctx) + MXP_SRTP_CTX_ALIGN - 1) &
	       ~(size_t)(MXP_SRTP_CTX_ALIGN - 1);
}

static int
fail(char *err, size_t errlen, int rc, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return rc;
}

int
mxp_srtp_ctx_init(struct mxp_srtp_ctx *c, const struct mxp_srtp_params *p, char *err,
		  size_t errlen)
{
	char msg[160];
	int rc;

	if (c == NULL || p == NULL)
		return fail(err, errlen, -EINVAL, "NULL context or parameters");
	if (((uintptr_t)c & (MXP_SRTP_CTX_ALIGN - 1)) != 0)
		return fail(err, errlen, -EINVAL, "context memory is not 64-byte aligned");
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(p->suite);
	if (si == NULL)
		return fail(err, errlen, -EINVAL, "unknown crypto suite");
	if (p->dir != MXP_SRTP_INBOUND && p->dir != MXP_SRTP_OUTBOUND)
		return fail(err, errlen, -EINVAL, "direction must be inbound or outbound");
	uint32_t window = p->replay_window ? p->replay_window : MXP_SRTP_REPLAY_WINDOW_DEFAULT;
	if (window < MXP_SRTP_REPLAY_WINDOW_MIN || window > MXP_SRTP_REPLAY_WINDOW_MAX) {
		snprintf(msg, sizeof(msg), "replay window %u outside %u..%u", p->replay_window,
			 MXP_SRTP_REPLAY_WINDOW_MIN, MXP_SRTP_REPLAY_WINDOW_MAX);
		return fail(err, errlen, -EINVAL, msg);
	}
	if (p->kdr != 0 && ((p->kdr & (p->kdr - 1)) != 0 || p->kdr > (UINT32_C(1) << 24))) {
		snprintf(msg, sizeof(msg),
			 "key derivation rate %u is not 0 or a power of two up to 2^24", p->kdr);
		return fail(err, errlen, -EINVAL, msg);
	}
	if (p->ssrc_learn && p->dir != MXP_SRTP_INBOUND)
		return fail(err, errlen, -EINVAL, "ssrc_learn is for inbound contexts only");
	if (p->srtcp_index >= (UINT32_C(1) << 31))
		return fail(err, errlen, -EINVAL, "SRTCP index must be below 2^31");
	if (p->key_soft_percent > 100)
		return fail(err, errlen, -EINVAL, "key_soft_percent above 100");
	const struct mxp_crypto_driver *drv = mxp_crypto_driver_find(p->driver, &rc, msg,
								     sizeof(msg));
	if (drv == NULL)
		return fail(err, errlen, rc, msg);

	memset(c, 0, sizeof(*c));
	c->drv = drv;
	c->si = si;
	c->dir = (uint8_t)p->dir;
	c->ssrc = p->ssrc;
	c->ssrc_known = !p->ssrc_learn;
	c->aead = si->aead;
	c->tag_len = si->srtp_tag_len;
	c->rtcp_tag_len = si->srtcp_tag_len;
	c->active = -1;
	c->kdr_log2 = p->kdr ? (uint8_t)__builtin_ctz(p->kdr) : 0xff;
	c->srtcp_unencrypted = p->srtcp_unencrypted;
	c->window = window;
	uint32_t words = (window + 63) / 64 + 1, pow2 = 1;
	while (pow2 < words)
		pow2 <<= 1;
	c->rwin_words = pow2;
	c->rwin_bitmask = (uint64_t)pow2 * 64 - 1;
	c->roc_init = p->roc;
	c->srtcp_next = p->srtcp_index;
	c->soft_percent = p->key_soft_percent ? p->key_soft_percent : 90;
	if (p->s_l_valid)
		srtp_rwin_commit(c, &c->rtp, (uint64_t)p->roc << 16 | p->s_l);
	c->magic = SRTP_CTX_MAGIC;
	return 0;
}

static void
key_release(struct mxp_srtp_ctx *c, struct srtp_key *k)
{
	srtp_session_release(c, &k->rtp);
	srtp_session_release(c, &k->rtcp);
	srtp_wipe(k, sizeof(*k));
}

void
mxp_srtp_ctx_fini(struct mxp_srtp_ctx *c)
{
	if (c == NULL)
		return;
	if (c->magic == SRTP_CTX_MAGIC)
		for (unsigned int i = 0; i < MXP_SRTP_MAX_KEYS; i++)
			if (c->keys[i].in_use)
				key_release(c, &c->keys[i]);
	srtp_wipe(c, sizeof(*c));
}

static int
key_find(const struct mxp_srtp_ctx *c, const uint8_t *mki, size_t mki_len)
{
	for (int i = 0; i < MXP_SRTP_MAX_KEYS; i++) {
		const struct srtp_key *k = &c->keys[i];
		if (k->in_use && k->mki_len == mki_len &&
		    (mki_len == 0 || memcmp(k->mki, mki, mki_len) == 0))
			return i;
	}
	return -1;
}

static uint64_t
soft_of(const struct mxp_srtp_ctx *c, uint64_t limit)
{
	return limit / 100 * c->soft_percent + (limit % 100) * c->soft_percent / 100;
}

/* Find a free slot for a key with this MKI; fills the common fields. */
static int
key_slot_new(struct mxp_srtp_ctx *c, const uint8_t *mki, size_t mki_len, uint64_t lifetime)
{
	if (c == NULL || c->magic != SRTP_CTX_MAGIC || mki_len > MXP_SRTP_MAX_MKI_LEN ||
	    (mki_len > 0 && mki == NULL))
		return -EINVAL;
	if (c->nkeys > 0 && mki_len != c->mki_len)
		return c->mki_len == 0 ? -EEXIST : -EINVAL;
	if (key_find(c, mki, mki_len) >= 0)
		return -EEXIST;
	int slot = -1;
	for (int i = 0; i < MXP_SRTP_MAX_KEYS && slot < 0; i++)
		if (!c->keys[i].in_use)
			slot = i;
	if (slot < 0)
		return -ENOSPC;
	struct srtp_key *k = &c->keys[slot];
	memset(k, 0, sizeof(*k));
	k->mki_len = (uint8_t)mki_len;
	if (mki_len)
		memcpy(k->mki, mki, mki_len);
	k->srtp_limit = MXP_SRTP_MAX_SRTP_PACKETS;
	k->srtcp_limit = MXP_SRTP_MAX_SRTCP_PACKETS;
	if (lifetime != 0 && lifetime < k->srtp_limit)
		k->srtp_limit = lifetime;
	if (lifetime != 0 && lifetime < k->srtcp_limit)
		k->srtcp_limit = lifetime;
	k->srtp_soft = soft_of(c, k->srtp_limit);
	k->srtcp_soft = soft_of(c, k->srtcp_limit);
	k->srtp_next_ev = k->srtp_soft < k->srtp_limit ? k->srtp_soft : k->srtp_limit;
	k->srtcp_next_ev = k->srtcp_soft < k->srtcp_limit ? k->srtcp_soft : k->srtcp_limit;
	return slot;
}

static void
key_slot_commit(struct mxp_srtp_ctx *c, int slot)
{
	c->keys[slot].in_use = true;
	c->mki_len = c->keys[slot].mki_len;
	c->nkeys++;
	if (c->active < 0)
		c->active = (int8_t)slot;
}

/* The r (index DIV kdr) the next packets of the stream will use. */
static uint64_t
current_r(const struct mxp_srtp_ctx *c, bool rtcp)
{
	if (c->kdr_log2 == 0xff)
		return 0;
	uint64_t idx;
	if (rtcp)
		idx = c->dir == MXP_SRTP_OUTBOUND ? c->srtcp_next :
		      (c->rtcp.started ? c->rtcp.top : 0);
	else
		idx = c->rtp.started ? c->rtp.top : (uint64_t)c->roc_init << 16;
	return idx >> c->kdr_log2;
}

int
mxp_srtp_ctx_key_add(struct mxp_srtp_ctx *c, const uint8_t *key, const uint8_t *salt,
		     const uint8_t *mki, size_t mki_len, uint64_t lifetime)
{
	if (key == NULL || salt == NULL)
		return -EINVAL;
	int slot = key_slot_new(c, mki, mki_len, lifetime);
	if (slot < 0)
		return slot;
	struct srtp_key *k = &c->keys[slot];
	memcpy(k->master_key, key, c->si->key_len);
	memcpy(k->master_salt, salt, c->si->salt_len);
	if (srtp_kdf_session(c, k, false, current_r(c, false), &k->rtp) != 0 ||
	    srtp_kdf_session(c, k, true, current_r(c, true), &k->rtcp) != 0) {
		key_release(c, k);
		return -EIO;
	}
	key_slot_commit(c, slot);
	return 0;
}

int
mxp_srtp_ctx_key_add_session(struct mxp_srtp_ctx *c, const uint8_t *skey, const uint8_t *ssalt,
			     const uint8_t *sauth)
{
	int slot = key_slot_new(c, NULL, 0, 0);
	if (slot < 0)
		return slot;
	struct srtp_key *k = &c->keys[slot];
	enum mxp_crypto_alg alg = c->aead ? MXP_CRYPTO_AES_GCM : MXP_CRYPTO_AES_CM_HMAC_SHA1;
	struct srtp_session *ss[2] = { &k->rtp, &k->rtcp };
	for (int i = 0; i < 2; i++) {
		if (c->drv->key_init(&ss[i]->ck, alg, skey, c->si->key_len,
				     c->aead ? NULL : sauth) != 0) {
			key_release(c, k);
			return -EIO;
		}
		ss[i]->ready = true;
		memcpy(ss[i]->salt, ssalt, c->si->salt_len);
	}
	/* No master key: a KDR re-derivation would be wrong, so refuse KDR here. */
	if (c->kdr_log2 != 0xff) {
		key_release(c, k);
		return -EINVAL;
	}
	key_slot_commit(c, slot);
	return 0;
}

void
mxp_srtp_ctx_set_srtcp_index(struct mxp_srtp_ctx *c, uint32_t index)
{
	c->srtcp_next = index & 0x7fffffff;
}

int
mxp_srtp_ctx_key_remove(struct mxp_srtp_ctx *c, const uint8_t *mki, size_t mki_len)
{
	if (c == NULL || c->magic != SRTP_CTX_MAGIC)
		return -EINVAL;
	int slot = key_find(c, mki, mki_len);
	if (slot < 0)
		return -ENOENT;
	key_release(c, &c->keys[slot]);
	c->nkeys--;
	if (c->active == slot)
		c->active = -1;
	return 0;
}

int
mxp_srtp_ctx_key_activate(struct mxp_srtp_ctx *c, const uint8_t *mki, size_t mki_len)
{
	if (c == NULL || c->magic != SRTP_CTX_MAGIC)
		return -EINVAL;
	int slot = key_find(c, mki, mki_len);
	if (slot < 0)
		return -ENOENT;
	c->active = (int8_t)slot;
	return 0;
}

int
mxp_srtp_key_fingerprint(const uint8_t *key, size_t key_len, const uint8_t *salt,
			 size_t salt_len, char out_hex[9])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t md[EVP_MAX_MD_SIZE];
	uint8_t buf[MXP_SRTP_MAX_KEY_LEN + MXP_SRTP_MAX_SALT_LEN];
	unsigned int mdlen = 0;

	if (key == NULL || out_hex == NULL || (salt == NULL && salt_len != 0) ||
	    key_len > MXP_SRTP_MAX_KEY_LEN || salt_len > MXP_SRTP_MAX_SALT_LEN)
		return -EINVAL;
	memcpy(buf, key, key_len);
	if (salt_len)
		memcpy(buf + key_len, salt, salt_len);
	int ok = EVP_Digest(buf, key_len + salt_len, md, &mdlen, EVP_sha256(), NULL);
	srtp_wipe(buf, sizeof(buf));
	if (!ok || mdlen < 4)
		return -EIO;
	for (int i = 0; i < 4; i++) {
		out_hex[2 * i] = hex[md[i] >> 4];
		out_hex[2 * i + 1] = hex[md[i] & 15];
	}
	out_hex[8] = '\0';
	return 0;
}

void
mxp_srtp_ctx_prefetch(const struct mxp_srtp_ctx *c)
{
	/* addresses only: reading c->active here would wait for the very miss */
	const char *p = (const char *)c, *k = (const char *)&c->keys[0];
	__builtin_prefetch(p);
	__builtin_prefetch(p + 64);
	for (unsigned int off = 0; off < 256; off += 64)
		__builtin_prefetch(k + off);
}

int
mxp_srtp_ctx_key_share_usage(struct mxp_srtp_ctx *c, const uint8_t *mki, size_t mki_len,
			     struct mxp_srtp_key_usage *u)
{
	if (c == NULL || c->magic != SRTP_CTX_MAGIC || mki_len > MXP_SRTP_MAX_MKI_LEN ||
	    (mki_len > 0 && mki == NULL))
		return -EINVAL;
	int slot = key_find(c, mki, mki_len);
	if (slot < 0)
		return -ENOENT;
	struct srtp_key *k = &c->keys[slot];
	if (k->shared == u)
		return 0;
	if (u != NULL && k->shared == NULL) {
		u->srtp += k->srtp_used;
		u->srtcp += k->srtcp_used;
	}
	k->shared = u;
	/* the next use looks at the thresholds again against the (new) count: the soft one
	 * unless already reported, else the limit (key_use() raises the events) */
	k->srtp_next_ev = !k->soft && k->srtp_soft < k->srtp_limit ? k->srtp_soft : k->srtp_limit;
	k->srtcp_next_ev = !k->soft && k->srtcp_soft < k->srtcp_limit ? k->srtcp_soft :
										k->srtcp_limit;
	return 0;
}

int
mxp_srtp_ctx_key_info(const struct mxp_srtp_ctx *c, unsigned int slot,
		      struct mxp_srtp_key_info *info)
{
	if (c == NULL || info == NULL || slot >= MXP_SRTP_MAX_KEYS)
		return -EINVAL;
	const struct srtp_key *k = &c->keys[slot];
	if (!k->in_use)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	memcpy(info->mki, k->mki, k->mki_len);
	info->mki_len = k->mki_len;
	info->active = c->active == (int)slot;
	mxp_srtp_key_fingerprint(k->master_key, c->si->key_len, k->master_salt,
				 c->si->salt_len, info->fingerprint);
	info->srtp_used = k->srtp_used;
	info->srtcp_used = k->srtcp_used;
	info->shared = k->shared != NULL;
	info->srtp_total = k->shared ? k->shared->srtp : k->srtp_used;
	info->srtcp_total = k->shared ? k->shared->srtcp : k->srtcp_used;
	info->srtp_limit = k->srtp_limit;
	info->srtcp_limit = k->srtcp_limit;
	info->soft = k->soft;
	info->exhausted = k->exhausted;
	return 0;
}

void
mxp_srtp_ctx_stats(const struct mxp_srtp_ctx *c, struct mxp_srtp_stats *st)
{
	*st = c->st;
}

uint32_t
mxp_srtp_ctx_events(struct mxp_srtp_ctx *c)
{
	/* The control core takes the bits the worker raised and clears them in one step: a bit
	 * raised meanwhile is either in the value returned or left for the next call. Acquire
	 * pairs with the worker's release: the state the event is about is visible. */
	return __atomic_exchange_n(&c->events, 0, __ATOMIC_ACQUIRE);
}

void
mxp_srtp_ctx_stream_info(const struct mxp_srtp_ctx *c, struct mxp_srtp_stream_info *si)
{
	memset(si, 0, sizeof(*si));
	si->ssrc = c->ssrc;
	si->ssrc_known = c->ssrc_known;
	si->other_ssrc = __atomic_load_n(&c->other_ssrc, __ATOMIC_RELAXED);
	si->started = c->rtp.started;
	si->roc = c->rtp.started ? (uint32_t)(c->rtp.top >> 16) : c->roc_init;
	si->s_l = (uint16_t)(c->rtp.top & 0xffff);
	si->srtcp_index = c->dir == MXP_SRTP_OUTBOUND ? c->srtcp_next : (uint32_t)c->rtcp.top;
	si->replay_window = c->window;
	si->driver = c->drv->name;
}
