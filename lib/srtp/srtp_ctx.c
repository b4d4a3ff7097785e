/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Suites, reasons, fingerprints, and contexts: a context is a stream (srtp_stream.c) at
 * offset 0 of its memory and the key sessions (srtp_key.c) it owns, one per key slot. Only
 * contexts keep master keys, and only with a key derivation rate (srtp_packet.c re-derives
 * the session keys every kdr packets).
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
srtp_suite(unsigned int suite)
{
	return &suites[suite];
}

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
	return sizeof(struct mxp_srtp_ctx);
}

int
mxp_srtp_ctx_init(struct mxp_srtp_ctx *c, const struct mxp_srtp_params *p, char *err,
		  size_t errlen)
{
	char msg[160];
	int rc;

	if (c == NULL || p == NULL)
		return srtp_fail(err, errlen, -EINVAL, "NULL context or parameters");
	if (((uintptr_t)c & (MXP_SRTP_CTX_ALIGN - 1)) != 0)
		return srtp_fail(err, errlen, -EINVAL, "context memory is not 64-byte aligned");
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(p->suite);
	if (si == NULL)
		return srtp_fail(err, errlen, -EINVAL, "unknown crypto suite");
	if (p->dir != MXP_SRTP_INBOUND && p->dir != MXP_SRTP_OUTBOUND)
		return srtp_fail(err, errlen, -EINVAL, "direction must be inbound or outbound");
	uint32_t window = p->replay_window ? p->replay_window : MXP_SRTP_REPLAY_WINDOW_DEFAULT;
	if (window < MXP_SRTP_REPLAY_WINDOW_MIN || window > MXP_SRTP_REPLAY_WINDOW_MAX) {
		snprintf(msg, sizeof(msg), "replay window %u outside %u..%u", p->replay_window,
			 MXP_SRTP_REPLAY_WINDOW_MIN, MXP_SRTP_REPLAY_WINDOW_MAX);
		return srtp_fail(err, errlen, -EINVAL, msg);
	}
	if (p->kdr != 0 && ((p->kdr & (p->kdr - 1)) != 0 || p->kdr > (UINT32_C(1) << 24))) {
		snprintf(msg, sizeof(msg),
			 "key derivation rate %u is not 0 or a power of two up to 2^24", p->kdr);
		return srtp_fail(err, errlen, -EINVAL, msg);
	}
	if (p->ssrc_learn && p->dir != MXP_SRTP_INBOUND)
		return srtp_fail(err, errlen, -EINVAL, "ssrc_learn is for inbound contexts only");
	if (p->srtcp_index >= (UINT32_C(1) << 31))
		return srtp_fail(err, errlen, -EINVAL, "SRTCP index must be below 2^31");
	if (p->key_soft_percent > 100)
		return srtp_fail(err, errlen, -EINVAL, "key_soft_percent above 100");
	const struct mxp_crypto_driver *drv = mxp_crypto_driver_find(p->driver, &rc, msg,
								     sizeof(msg));
	if (drv == NULL)
		return srtp_fail(err, errlen, rc, msg);
	/* 0 or at most SRTP_KEY_MAX_SIZE: ck_bytes() refuses driver keys above
	 * MXP_CRYPTO_KEY_SIZE, so every session fits a slot */
	if (srtp_key_bytes(si, drv) == 0) {
		snprintf(msg, sizeof(msg), "crypto driver '%s' does not support %s", drv->name,
			 si->name);
		return srtp_fail(err, errlen, -ENOTSUP, msg);
	}

	/* the stream and the extension; key slots are set up when keys are added, their
	 * headers are zero until then (mxp_srtp_ctx_events() reads every slot's events) */
	memset(&c->x, 0, sizeof(c->x));
	for (unsigned int i = 0; i < MXP_SRTP_MAX_KEYS; i++)
		memset(c->keys[i], 0, SRTP_KEY_HDR);
	struct mxp_srtp_stream_params sp = {
		.dir = p->dir,
		.ssrc = p->ssrc,
		.ssrc_learn = p->ssrc_learn,
		.replay_window = window,
		.roc = p->roc,
		.s_l_valid = p->s_l_valid,
		.s_l = p->s_l,
		.srtcp_index = p->srtcp_index,
		.srtcp_unencrypted = p->srtcp_unencrypted,
	};
	struct mxp_srtp_stream *s = srtp_ctx_stream(c);
	srtp_stream_setup(s, &sp, window);
	srtp_stream_set_suite(s, drv, si);
	s->flags |= p->kdr ? SF_KDR : 0;
	c->x.si = si;
	c->x.kdr_log2 = p->kdr ? (uint8_t)__builtin_ctz(p->kdr) : 0xff;
	c->x.soft_percent = p->key_soft_percent ? p->key_soft_percent : 90;
	c->x.magic = SRTP_CTX_MAGIC;
	return 0;
}

static bool
ctx_ok(const struct mxp_srtp_ctx *c)
{
	return c != NULL && c->x.magic == SRTP_CTX_MAGIC;
}

static void
slot_release(struct mxp_srtp_ctx *c, unsigned int slot)
{
	srtp_stream_slot_clear(srtp_ctx_stream(c), slot);
	srtp_key_release(srtp_ctx_key(c, slot));
	srtp_wipe(&c->x.slot[slot], sizeof(c->x.slot[slot]));
}

void
mxp_srtp_ctx_fini(struct mxp_srtp_ctx *c)
{
	if (c == NULL)
		return;
	if (ctx_ok(c))
		for (unsigned int i = 0; i < MXP_SRTP_MAX_KEYS; i++)
			if (srtp_ctx_stream(c)->keys[i] != NULL)
				srtp_key_release(srtp_ctx_key(c, i));
	/* stream, extension and the key slots' headers (srtp_key_release wiped the keys) */
	srtp_wipe(c, offsetof(struct mxp_srtp_ctx, keys));
	for (unsigned int i = 0; i < MXP_SRTP_MAX_KEYS; i++)
		srtp_wipe(c->keys[i], SRTP_KEY_HDR);
}

/* Find a free slot for a key with this MKI: slot i of the context is slot i of its stream,
 * so the stream's rules apply as they are. */
static int
key_slot_new(struct mxp_srtp_ctx *c, const uint8_t *mki, size_t mki_len)
{
	if (!ctx_ok(c) || mki_len > MXP_SRTP_MAX_MKI_LEN || (mki_len > 0 && mki == NULL))
		return -EINVAL;
	return srtp_stream_slot_new(srtp_ctx_stream(c), mki, mki_len);
}

/* The r (index DIV kdr) the next packets of the stream will use. */
static uint64_t
current_r(const struct mxp_srtp_ctx *c, bool rtcp)
{
	const struct mxp_srtp_stream *s = srtp_ctx_stream(c);
	if (c->x.kdr_log2 == 0xff)
		return 0;
	uint64_t idx;
	if (rtcp)
		idx = (s->flags & SF_OUT) || (s->flags & SF_RTCP_STARTED) ?
			      srtp_cold(s)->rtcp_idx : 0;
	else
		idx = s->flags & SF_RTP_STARTED ? s->rtp_top : s->rtp_top & ~UINT64_C(0xffff);
	return idx >> c->x.kdr_log2;
}

static void
setup_common(const struct mxp_srtp_ctx *c, struct srtp_key_setup *ks, const uint8_t *mki,
	     size_t mki_len, uint64_t lifetime)
{
	memset(ks, 0, sizeof(*ks));
	ks->si = c->x.si;
	ks->drv = srtp_ctx_stream(c)->drv;
	ks->mki = mki;
	ks->mki_len = mki_len;
	ks->lifetime = lifetime;
	ks->soft_percent = c->x.soft_percent;
	ks->kdr_log2 = c->x.kdr_log2;
}

int
mxp_srtp_ctx_key_add(struct mxp_srtp_ctx *c, const uint8_t *key, const uint8_t *salt,
		     const uint8_t *mki, size_t mki_len, uint64_t lifetime)
{
	if (key == NULL || salt == NULL)
		return -EINVAL;
	int slot = key_slot_new(c, mki, mki_len);
	if (slot < 0)
		return slot;
	struct srtp_key_setup ks;
	setup_common(c, &ks, mki, mki_len, lifetime);
	ks.key = key;
	ks.salt = salt;
	ks.r[0] = current_r(c, false);
	ks.r[1] = current_r(c, true);
	struct mxp_srtp_key *k = srtp_ctx_key(c, (unsigned int)slot);
	if (srtp_key_setup(k, &ks) != 0)
		return -EIO;
	if (c->x.kdr_log2 != 0xff) {
		/* re-derivation on the packet path needs the master key */
		struct srtp_ctx_slot *cs = &c->x.slot[slot];
		memcpy(cs->master_key, key, c->x.si->key_len);
		memcpy(cs->master_salt, salt, c->x.si->salt_len);
		cs->has_master = true;
	}
	srtp_stream_slot_set(srtp_ctx_stream(c), (unsigned int)slot, k);
	return 0;
}

int
mxp_srtp_ctx_key_add_session(struct mxp_srtp_ctx *c, const uint8_t *skey, const uint8_t *ssalt,
			     const uint8_t *sauth)
{
	int slot = key_slot_new(c, NULL, 0);
	if (slot < 0)
		return slot;
	/* No master key: a KDR re-derivation would be wrong, so refuse KDR here. */
	if (c->x.kdr_log2 != 0xff)
		return -EINVAL;
	struct srtp_key_setup ks;
	setup_common(c, &ks, NULL, 0, 0);
	ks.skey = skey;
	ks.ssalt = ssalt;
	ks.sauth = sauth;
	struct mxp_srtp_key *k = srtp_ctx_key(c, (unsigned int)slot);
	if (srtp_key_setup(k, &ks) != 0)
		return -EIO;
	srtp_stream_slot_set(srtp_ctx_stream(c), (unsigned int)slot, k);
	return 0;
}

void
mxp_srtp_ctx_set_srtcp_index(struct mxp_srtp_ctx *c, uint32_t index)
{
	srtp_cold(srtp_ctx_stream(c))->rtcp_idx = index & 0x7fffffff;
}

int
mxp_srtp_ctx_key_remove(struct mxp_srtp_ctx *c, const uint8_t *mki, size_t mki_len)
{
	if (!ctx_ok(c))
		return -EINVAL;
	int slot = srtp_stream_slot_find(srtp_ctx_stream(c), mki, mki_len);
	if (slot < 0)
		return -ENOENT;
	slot_release(c, (unsigned int)slot);
	return 0;
}

int
mxp_srtp_ctx_key_activate(struct mxp_srtp_ctx *c, const uint8_t *mki, size_t mki_len)
{
	if (!ctx_ok(c))
		return -EINVAL;
	int slot = srtp_stream_slot_find(srtp_ctx_stream(c), mki, mki_len);
	if (slot < 0)
		return -ENOENT;
	srtp_ctx_stream(c)->active = (int8_t)slot;
	return 0;
}

int
srtp_fingerprint_bytes(const uint8_t *key, size_t key_len, const uint8_t *salt,
		       size_t salt_len, uint8_t out[4])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	uint8_t buf[MXP_SRTP_MAX_KEY_LEN + MXP_SRTP_MAX_SALT_LEN];
	unsigned int mdlen = 0;

	memcpy(buf, key, key_len);
	if (salt_len)
		memcpy(buf + key_len, salt, salt_len);
	int ok = EVP_Digest(buf, key_len + salt_len, md, &mdlen, EVP_sha256(), NULL);
	srtp_wipe(buf, sizeof(buf));
	if (!ok || mdlen < 4)
		return -EIO;
	memcpy(out, md, 4);
	srtp_wipe(md, sizeof(md));
	return 0;
}

void
srtp_fingerprint_hex(const uint8_t fp[4], char out_hex[9])
{
	static const char hex[] = "0123456789abcdef";
	for (int i = 0; i < 4; i++) {
		out_hex[2 * i] = hex[fp[i] >> 4];
		out_hex[2 * i + 1] = hex[fp[i] & 15];
	}
	out_hex[8] = '\0';
}

int
mxp_srtp_key_fingerprint(const uint8_t *key, size_t key_len, const uint8_t *salt,
			 size_t salt_len, char out_hex[9])
{
	uint8_t fp[4];

	if (key == NULL || out_hex == NULL || (salt == NULL && salt_len != 0) ||
	    key_len > MXP_SRTP_MAX_KEY_LEN || salt_len > MXP_SRTP_MAX_SALT_LEN)
		return -EINVAL;
	if (srtp_fingerprint_bytes(key, key_len, salt, salt_len, fp) != 0)
		return -EIO;
	srtp_fingerprint_hex(fp, out_hex);
	return 0;
}

void
mxp_srtp_ctx_prefetch(const struct mxp_srtp_ctx *c)
{
	/* addresses only: reading the stream's active slot here would wait for the very miss */
	__builtin_prefetch(c);
	__builtin_prefetch((const char *)c + 64);
	srtp_key_prefetch(srtp_ctx_key(c, 0));
}

int
mxp_srtp_ctx_key_info(const struct mxp_srtp_ctx *c, unsigned int slot,
		      struct mxp_srtp_key_info *info)
{
	if (c == NULL || info == NULL || slot >= MXP_SRTP_MAX_KEYS)
		return -EINVAL;
	const struct mxp_srtp_stream *s = srtp_ctx_stream(c);
	const struct mxp_srtp_key *k = s->keys[slot];
	if (k == NULL)
		return -ENOENT;
	mxp_srtp_key_info(k, info);
	info->active = s->active == (int)slot;
	return 0;
}

void
mxp_srtp_ctx_stats(const struct mxp_srtp_ctx *c, struct mxp_srtp_stats *st)
{
	mxp_srtp_stream_stats(srtp_ctx_stream(c), st);
}

uint32_t
mxp_srtp_ctx_events(struct mxp_srtp_ctx *c)
{
	/* The control core takes the bits the worker raised and clears them in one step: a bit
	 * raised meanwhile is either in the value returned or left for the next call. Key
	 * events are raised on the context's key sessions, the SSRC event on its stream. The
	 * sessions are at fixed places: the key slots of the stream (which the owner thread
	 * changes) are not read. */
	uint32_t ev = mxp_srtp_stream_events(srtp_ctx_stream(c));
	for (unsigned int i = 0; i < MXP_SRTP_MAX_KEYS; i++)
		ev |= srtp_events_take(&srtp_ctx_key(c, i)->events);
	return ev;
}

void
mxp_srtp_ctx_stream_info(const struct mxp_srtp_ctx *c, struct mxp_srtp_stream_info *si)
{
	mxp_srtp_stream_info(srtp_ctx_stream(c), si);
}
