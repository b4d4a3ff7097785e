/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/srtp internals: the context layout, key slots, replay windows and small helpers
 * shared by the control path (srtp_ctx.c, srtp_kdf.c) and the packet path (srtp_packet.c).
 */
#ifndef MXP_SRTP_PRIV_H
#define MXP_SRTP_PRIV_H

#include <stdalign.h>
#include <string.h>

#include "mxp_srtp.h"
#include "mxp_srtp_driver.h"

#define MXP_LIKELY(x) __builtin_expect(!!(x), 1)
#define MXP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Replay bitmap: a ring of 64-bit words, a power of two of them, at least window + 64 bits
 * (RFC 6479), so the word of the newest index never holds bits still inside the window. */
#define SRTP_RWIN_MAX_WORDS 32

/* KDF labels (RFC 3711 4.3.1, 4.3.2). */
enum srtp_label {
	SRTP_LABEL_RTP_ENC = 0x00,
	SRTP_LABEL_RTP_AUTH = 0x01,
	SRTP_LABEL_RTP_SALT = 0x02,
	SRTP_LABEL_RTCP_ENC = 0x03,
	SRTP_LABEL_RTCP_AUTH = 0x04,
	SRTP_LABEL_RTCP_SALT = 0x05,
};

/* Session keys derived from one master key for one of RTP or RTCP. */
struct srtp_session {
	struct mxp_crypto_key ck;  /* driver state: expanded AES key + HMAC pads, or GCM key */
	uint8_t salt[16];          /* session salt (14 or 12 bytes), zero padded */
	uint64_t r;                /* index DIV kdr these keys were derived for */
	bool ready;                /* ck holds a driver key (key_fini needed) */
};

/* One master key slot. */
struct srtp_key {
	struct srtp_session rtp;
	struct srtp_session rtcp;
	bool in_use;
	bool soft;
	bool exhausted;
	uint8_t mki_len;
	uint8_t mki[MXP_SRTP_MAX_MKI_LEN];
	uint64_t srtp_used, srtcp_used;
	struct mxp_srtp_key_usage *shared; /* limits apply to this total (several contexts) */
	uint64_t srtp_limit, srtcp_limit;
	uint64_t srtp_soft, srtcp_soft;
	uint64_t srtp_next_ev, srtcp_next_ev; /* usage at which key_use() looks again */
	uint8_t master_key[MXP_SRTP_MAX_KEY_LEN];
	uint8_t master_salt[MXP_SRTP_MAX_SALT_LEN];
} __attribute__((aligned(64)));

/* A replay window over a 64-bit index. */
struct srtp_rwin {
	uint64_t top;              /* highest accepted index (valid when started) */
	bool started;
	uint64_t bits[SRTP_RWIN_MAX_WORDS];
};

struct mxp_srtp_ctx {
	/* Read for every packet. */
	const struct mxp_crypto_driver *drv;
	const struct mxp_srtp_suite_info *si;
	uint32_t ssrc;
	uint8_t dir;
	bool ssrc_known;
	bool aead;
	uint8_t tag_len;          /* SRTP tag */
	uint8_t rtcp_tag_len;     /* SRTCP tag */
	uint8_t mki_len;          /* MKI length of every key (0: none) */
	int8_t active;            /* slot protect uses, -1: none */
	uint8_t kdr_log2;         /* 0xff: kdr = 0 */
	bool srtcp_unencrypted;
	uint8_t nkeys;
	uint32_t window;          /* replay window in packets */
	uint32_t rwin_words;      /* words in use in the bitmaps (power of two) */
	uint64_t rwin_bitmask;    /* rwin_words * 64 - 1 */
	uint32_t roc_init;        /* ROC of the first packet when not started */
	uint32_t srtcp_next;      /* outbound: next SRTCP index */
	uint8_t soft_percent;
	uint32_t events;          /* MXP_SRTP_EV_*: srtp_event(), mxp_srtp_ctx_events() */
	uint32_t other_ssrc;      /* inbound: SSRC of the last packet dropped as ssrc_mismatch */
	struct srtp_rwin rtp;
	struct srtp_rwin rtcp;
	struct mxp_srtp_stats st;
	struct srtp_key keys[MXP_SRTP_MAX_KEYS];
	uint32_t magic;
} __attribute__((aligned(64)));

#define SRTP_CTX_MAGIC 0x53525450u /* "SRTP" */

/* --- helpers -------------------------------------------------------------------------- */

/*
 * Raise an event bit (owner worker). Another thread (the control core) takes the bits with
 * mxp_srtp_ctx_events(), an atomic exchange: a read-modify-write here keeps a bit raised
 * while it clears from being lost or reported twice. Release: what the event is about (key
 * usage, the learned SSRC) is written before the bit. Rare (thresholds, first packet).
 */
static inline void
srtp_event(struct mxp_srtp_ctx *c, uint32_t bit)
{
	__atomic_fetch_or(&c->events, bit, __ATOMIC_RELEASE);
}

/* Inbound: a packet with another SSRC than the stream's is dropped; remember its SSRC for
 * mxp_srtp_ctx_stream_info() (read by the control core: an atomic store). */
static inline enum mxp_srtp_reason
srtp_other_ssrc(struct mxp_srtp_ctx *c, uint32_t ssrc)
{
	__atomic_store_n(&c->other_ssrc, ssrc, __ATOMIC_RELAXED);
	return MXP_SRTP_R_SSRC_MISMATCH;
}

static inline uint16_t
srtp_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t
srtp_be32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
}

static inline void
srtp_put_be32(uint8_t *p, uint32_t v)
{
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
}

static inline uint64_t
srtp_be64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
}

static inline void
srtp_put_be64(uint8_t *p, uint64_t v)
{
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
}

/* Wipe secrets: not optimised away. */
static inline void
srtp_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}

/* Constant-time comparison of n bytes: 0 if equal. */
static inline unsigned int
srtp_ct_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	unsigned int d = 0;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned int)(a[i] ^ b[i]);
	return d;
}

/*
 * Constant-time comparison of an SRTP/SRTCP tag (4, 10 or 16 bytes) with word loads: 0 if
 * equal. The branch is on the suite's tag length, never on the data.
 */
static inline uint64_t
srtp_tag_diff(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint64_t x, y, d;
	uint32_t u, v;
	uint16_t s, t;

	if (n == 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u ^ v;
	}
	memcpy(&x, a, 8);
	memcpy(&y, b, 8);
	d = x ^ y;
	if (n == 10) {
		memcpy(&s, a + 8, 2);
		memcpy(&t, b + 8, 2);
		return d | (uint16_t)(s ^ t);
	}
	if (n == 16) {
		memcpy(&x, a + 8, 8);
		memcpy(&y, b + 8, 8);
		return d | (x ^ y);
	}
	return d | srtp_ct_diff(a + 8, b + 8, n - 8);
}

/*
 * Constant-time tag compare when the received tag's first 4 bytes were saved aside
 * (@p head) and the rest is still in the packet (@p tail): SRTP with HMAC and no MKI.
 */
static inline uint64_t
srtp_tag_diff_split(const uint8_t *a, const uint8_t *head, const uint8_t *tail, size_t n)
{
	uint32_t u, v;
	uint64_t d;

	memcpy(&u, a, 4);
	memcpy(&v, head, 4);
	d = u ^ v;
	if (n == 10) {
		uint16_t s, t;
		memcpy(&u, a + 4, 4);
		memcpy(&v, tail, 4);
		memcpy(&s, a + 8, 2);
		memcpy(&t, tail + 4, 2);
		return d | (u ^ v) | (uint16_t)(s ^ t);
	}
	return d | srtp_ct_diff(a + 4, tail, n - 4);
}

/* Copy a tag of 4, 10 or 16 bytes with word moves. */
static inline void
srtp_tag_copy(uint8_t *dst, const uint8_t *src, size_t n)
{
	uint64_t x;
	uint32_t u;
	uint16_t s;

	if (n == 4) {
		memcpy(&u, src, 4);
		memcpy(dst, &u, 4);
	} else if (n == 10) {
		memcpy(&x, src, 8);
		memcpy(&s, src + 8, 2);
		memcpy(dst, &x, 8);
		memcpy(dst + 8, &s, 2);
	} else {
		for (size_t i = 0; i < n; i++)
			dst[i] = src[i];
	}
}

/* --- replay window (RFC 6479 style) --------------------------------------------------- */

/* Check an index against the window: OK, REPLAY or TOO_OLD. Does not modify. */
static inline enum mxp_srtp_reason
srtp_rwin_check(const struct mxp_srtp_ctx *c, const struct srtp_rwin *w, uint64_t idx)
{
	if (!w->started || idx > w->top)
		return MXP_SRTP_R_OK;
	if (w->top - idx >= c->window)
		return MXP_SRTP_R_TOO_OLD;
	uint64_t bit = idx & c->rwin_bitmask;
	if (w->bits[bit >> 6] & (UINT64_C(1) << (bit & 63)))
		return MXP_SRTP_R_REPLAY;
	return MXP_SRTP_R_OK;
}

/* Record an index that passed srtp_rwin_check(). */
static inline void
srtp_rwin_commit(const struct mxp_srtp_ctx *c, struct srtp_rwin *w, uint64_t idx)
{
	uint32_t wmask = c->rwin_words - 1;

	if (!w->started) {
		memset(w->bits, 0, sizeof(uint64_t) * c->rwin_words);
		w->top = idx;
		w->started = true;
	} else if (idx > w->top) {
		uint64_t from = w->top >> 6, to = idx >> 6;
		if (to - from >= c->rwin_words) {
			memset(w->bits, 0, sizeof(uint64_t) * c->rwin_words);
		} else {
			for (uint64_t i = from + 1; i <= to; i++)
				w->bits[i & wmask] = 0;
		}
		w->top = idx;
	}
	uint64_t bit = idx & c->rwin_bitmask;
	w->bits[bit >> 6] |= UINT64_C(1) << (bit & 63);
}

/* --- SRTP index estimation (RFC 3711 3.3.1 and appendix A) ---------------------------- */

/*
 * Estimate the 48-bit index of a packet with sequence number seq. Returns false when the
 * estimate falls outside 0 .. 2^48-1 (a packet from before ROC 0, or past ROC 2^32-1).
 */
static inline bool
srtp_estimate_index(const struct mxp_srtp_ctx *c, uint16_t seq, uint64_t *idx)
{
	if (!c->rtp.started) {
		*idx = (uint64_t)c->roc_init << 16 | seq;
		return true;
	}
	uint64_t roc = c->rtp.top >> 16;
	uint32_t s_l = (uint32_t)(c->rtp.top & 0xffff);
	int64_t v = (int64_t)roc;
	if (s_l < 32768) {
		if ((int32_t)seq - (int32_t)s_l > 32768)
			v = (int64_t)roc - 1;
	} else {
		if ((int32_t)s_l - 32768 > (int32_t)seq)
			v = (int64_t)roc + 1;
	}
	if (v < 0 || v > (int64_t)UINT32_MAX)
		return false;
	*idx = (uint64_t)v << 16 | seq;
	return true;
}

/* --- internal entry points ------------------------------------------------------------- */

/* Derive the session keys of one master key for RTP (rtcp=false) or RTCP, for index r. */
int srtp_kdf_session(const struct mxp_srtp_ctx *c, const struct srtp_key *k, bool rtcp,
		     uint64_t r, struct srtp_session *out);
/* Release a session's driver state and wipe it. */
void srtp_session_release(const struct mxp_srtp_ctx *c, struct srtp_session *s);
/* RFC 3711 4.3.3 PRF: n bytes of AES-CM keystream for label, index DIV kdr = r. */
int srtp_kdf(const struct mxp_crypto_driver *drv, const uint8_t *mkey, size_t mkey_len,
	     const uint8_t *msalt, size_t msalt_len, uint8_t label, uint64_t r, uint8_t *out,
	     size_t n);

/*
 * Tests only (tests/unit/srtp): add a key whose *session* keys are given directly, as the
 * RFC 7714 vectors are. The same session key and salt serve RTP and RTCP.
 */
int mxp_srtp_ctx_key_add_session(struct mxp_srtp_ctx *ctx, const uint8_t *skey,
				 const uint8_t *ssalt, const uint8_t *sauth);

/* Set the outbound SRTCP index (tests: the RFC vectors use index 0x5d4). */
void mxp_srtp_ctx_set_srtcp_index(struct mxp_srtp_ctx *ctx, uint32_t index);

#endif /* MXP_SRTP_PRIV_H */
