/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/srtp internals: the context layout, key slots, replay windows and small helpers
 * shared by the control path (srtp_ctx.c, srtp_kdf.c) and the packet path (srtp_packet.c).
 */
#ifndef MXP_SRTP_PRIV_H
#define MXP_SRTP_PRIV_H

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "mxp_be.h"
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

/* --- key sessions ------------------------------------------------------------------------ */

/*
 * A key session: one master key's SRTP and SRTCP session keys, derived once, shared by the
 * streams that use the key. What an SRTP packet reads and writes is line 0 (usage, salt,
 * MKI); an SRTCP packet line 1, and also the MKI in line 0 when the stream has MKIs (written
 * by protect, matched by unprotect); line 2 is for the control path. The driver keys follow:
 * the SRTP one at SRTP_KEY_HDR, the SRTCP one ck_size bytes later.
 *
 * The worker that owns the streams writes the usage counters and flags (relaxed atomic
 * stores, one writer); the control thread reads them with relaxed loads. The master key
 * is not kept, only 4 bytes of its fingerprint.
 */
#define SRTP_KEY_HDR 192

struct mxp_srtp_key {
	/* line 0: every SRTP packet */
	uint64_t srtp_used;        /* SRTP packets under the key, every stream together */
	uint64_t srtp_next_ev;     /* usage at which key_use() looks again */
	uint64_t srtp_limit;       /* min(lifetime, 2^48) */
	uint8_t rtp_salt[16];      /* SRTP session salt (14 or 12 bytes), zero padded */
	uint8_t mki[MXP_SRTP_MAX_MKI_LEN];
	/* line 1: every SRTCP packet; suite and driver */
	alignas(64) uint64_t srtcp_used;
	uint64_t srtcp_next_ev;
	uint64_t srtcp_limit;      /* min(lifetime, 2^31) */
	const struct mxp_crypto_driver *drv;
	uint8_t rtcp_salt[16];
	uint16_t ck_size;          /* bytes of one driver key (drv->key_size) */
	uint8_t suite;             /* enum mxp_srtp_suite */
	uint8_t mki_len;
	bool soft;                 /* usage passed the soft threshold (event raised) */
	bool exhausted;            /* a limit was reached (event raised) */
	uint8_t kdr_log2;          /* contexts with a key derivation rate; 0xff: none */
	/* line 2: control path */
	alignas(64) uint64_t srtp_soft;
	uint64_t srtcp_soft;
	uint64_t kdr_r[2];         /* kdr_log2 != 0xff: index DIV kdr of the SRTP/SRTCP keys */
	uint32_t events;           /* MXP_SRTP_EV_KEY_*: taken by mxp_srtp_key_events() */
	uint32_t refcnt;           /* control thread only */
	uint32_t magic;
	uint8_t fp[4];             /* first bytes of SHA-256(master key || master salt) */
	/* driver keys */
	alignas(64) uint8_t ck[];
};

#define SRTP_KEY_MAGIC 0x4b455953u /* "KEYS" */

/* Field f of type lies wholly within cache line n (0-based). */
#define SRTP_IN_LINE(type, f, n) \
	(offsetof(type, f) >= (n) * 64 && \
	 offsetof(type, f) + sizeof(((type *)0)->f) <= ((n) + 1) * 64)

/* The packet path's cost is one line per SRTP packet: what it reads must stay in line 0
 * (alignas would silently push a grown line 0 into line 1). */
_Static_assert(SRTP_IN_LINE(struct mxp_srtp_key, srtp_used, 0) &&
		       SRTP_IN_LINE(struct mxp_srtp_key, srtp_next_ev, 0) &&
		       SRTP_IN_LINE(struct mxp_srtp_key, srtp_limit, 0) &&
		       SRTP_IN_LINE(struct mxp_srtp_key, rtp_salt, 0) &&
		       SRTP_IN_LINE(struct mxp_srtp_key, mki, 0),
	       "key line 0: what every SRTP packet reads");
_Static_assert(SRTP_IN_LINE(struct mxp_srtp_key, srtcp_used, 1) &&
		       SRTP_IN_LINE(struct mxp_srtp_key, srtcp_next_ev, 1) &&
		       SRTP_IN_LINE(struct mxp_srtp_key, srtcp_limit, 1) &&
		       SRTP_IN_LINE(struct mxp_srtp_key, rtcp_salt, 1) &&
		       SRTP_IN_LINE(struct mxp_srtp_key, ck_size, 1),
	       "key line 1: what every SRTCP packet reads");
_Static_assert(offsetof(struct mxp_srtp_key, srtp_soft) == 128, "key line 2");
_Static_assert(offsetof(struct mxp_srtp_key, ck) == SRTP_KEY_HDR, "key header");

/* Largest key session (any suite, any driver): what a context reserves per key slot. */
#define SRTP_KEY_MAX_SIZE (SRTP_KEY_HDR + 2 * MXP_CRYPTO_KEY_SIZE)

/* The driver key of the SRTP (rtcp = false) or SRTCP session. */
static inline const struct mxp_crypto_key *
srtp_key_ck(const struct mxp_srtp_key *k, bool rtcp)
{
	return (const struct mxp_crypto_key *)(k->ck + (rtcp ? k->ck_size : 0));
}

static inline struct mxp_crypto_key *
srtp_key_ck_mut(struct mxp_srtp_key *k, bool rtcp)
{
	return (struct mxp_crypto_key *)(k->ck + (rtcp ? k->ck_size : 0));
}

/*
 * Start the cache misses of what an SRTP packet reads of a key session: line 0 and the SRTP
 * driver key's first 4 lines (AES-128-CM + HMAC-SHA1 entirely). Addresses only: nothing of
 * the session is read, so the call does not wait for the very miss it starts.
 */
static inline void
srtp_key_prefetch(const struct mxp_srtp_key *k)
{
	__builtin_prefetch(k);
	for (unsigned int off = 0; off < 256; off += 64)
		__builtin_prefetch(k->ck + off);
}

/* --- streams ----------------------------------------------------------------------------- */

/* Stream flags (struct mxp_srtp_stream.flags). */
#define SF_OUT 0x01          /* outbound */
#define SF_SSRC_KNOWN 0x02   /* ssrc is fixed (given, or learned) */
#define SF_RTP_STARTED 0x04  /* rtp_top holds the highest SRTP index */
#define SF_RTCP_STARTED 0x08 /* inbound: cold rtcp_idx holds the highest SRTCP index */
#define SF_SRTCP_UNENC 0x10  /* outbound: SRTCP with E=0 */
#define SF_AEAD 0x20         /* the keys are AES-GCM */
#define SF_KDR 0x40          /* a context with a key derivation rate (only contexts have one) */

/*
 * A stream: one SSRC in one direction. Line 0 is what every packet reads (rtp_top and the
 * flags are written by it); line 1 starts with the SRTP counters, then the SRTP replay ring
 * (with a window of 128 or less it ends in line 1: an SRTP packet touches two lines), the
 * SRTCP ring, and struct srtp_stream_cold (SRTCP state and counters, drops, events).
 */
struct mxp_srtp_stream {
	/* line 0 */
	struct mxp_srtp_key *keys[MXP_SRTP_MAX_KEYS]; /* NULL: free slot */
	const struct mxp_crypto_driver *drv; /* of the keys (NULL before the first) */
	uint64_t rtp_top;       /* SF_RTP_STARTED: highest SRTP index; else ROC of the first << 16 */
	uint32_t ssrc;
	uint16_t magic;
	uint16_t window;        /* replay window in packets */
	uint16_t wbits;         /* ring bits - 1: words * 64 - 1 (words a power of two) */
	uint8_t flags;          /* SF_* */
	uint8_t mki_len;        /* MKI length of every key (0: none) */
	int8_t active;          /* slot protect uses (inbound: the key without MKI); -1: none */
	uint8_t tag_len;        /* SRTP tag */
	uint8_t rtcp_tag_len;   /* SRTCP tag */
	uint8_t wmask;          /* ring words - 1 */
	/* line 1 */
	uint64_t srtp_pkts[2];  /* [0] protected (outbound) or unprotected (inbound), [1] verified */
	uint64_t bytes;         /* RTP/RTCP bytes before protect, after unprotect (or verified) */
	/* SRTP ring, SRTCP ring (inbound only; srtp_ring_words() each), cold part */
	uint64_t ring[];
};

struct srtp_stream_cold {
	uint64_t srtcp_pkts[2]; /* as srtp_pkts */
	uint64_t srtcp_clear;   /* SRTCP protected or unprotected with E=0 (no cipher run) */
	uint32_t rtcp_idx;      /* outbound: next SRTCP index; inbound: highest accepted */
	uint32_t other_ssrc;    /* inbound: SSRC of the last authentic packet of another stream */
	uint32_t events;        /* MXP_SRTP_EV_SSRC_LEARNED */
	uint32_t drops[MXP_SRTP_R_COUNT];
};

#define SRTP_STREAM_MAGIC 0x5354u /* "ST" */

_Static_assert(offsetof(struct mxp_srtp_stream, srtp_pkts) == 64, "stream line 0");
_Static_assert(sizeof(struct mxp_srtp_stream) == 88, "stream header");

/*
 * Ring words for a window (>= 1): at least window + 64 bits, a power of two, i.e. the
 * smallest power of two above (window + 63) / 64. A constant expression for constant
 * windows, so that the layout asserts below check what the code computes.
 */
#define SRTP_RWIN_WORDS(w) (UINT32_C(1) << (32 - __builtin_clz(((uint32_t)(w) + 63) / 64)))

static inline uint32_t
srtp_rwin_words(uint32_t window)
{
	return SRTP_RWIN_WORDS(window);
}

/* Largest value of an unsigned field. */
#define SRTP_FIELD_MAX(type, f) (UINT64_MAX >> (64 - 8 * sizeof(((type *)0)->f)))

/* The largest window and its masks fit the stream's fields (srtp_stream_setup() narrows
 * them without a check), and its rings the room a context reserves (SRTP_RWIN_MAX_WORDS). */
_Static_assert(MXP_SRTP_REPLAY_WINDOW_MAX <= SRTP_FIELD_MAX(struct mxp_srtp_stream, window) &&
		       SRTP_RWIN_WORDS(MXP_SRTP_REPLAY_WINDOW_MAX) * 64 - 1 <=
			       SRTP_FIELD_MAX(struct mxp_srtp_stream, wbits) &&
		       SRTP_RWIN_WORDS(MXP_SRTP_REPLAY_WINDOW_MAX) - 1 <=
			       SRTP_FIELD_MAX(struct mxp_srtp_stream, wmask),
	       "the largest replay window fits window, wbits and wmask");
_Static_assert(SRTP_RWIN_WORDS(MXP_SRTP_REPLAY_WINDOW_MAX) <= SRTP_RWIN_MAX_WORDS,
	       "the largest replay window fits SRTP_RWIN_MAX_WORDS");
/* An SRTP packet touches two lines of its stream with the default window. */
_Static_assert(offsetof(struct mxp_srtp_stream, ring) +
			       sizeof(uint64_t) * SRTP_RWIN_WORDS(MXP_SRTP_REPLAY_WINDOW_DEFAULT) <=
		       2 * 64,
	       "the default window's SRTP ring ends in stream line 1");

/*
 * Bytes of a stream with this window (a multiple of 64). An outbound stream has no SRTCP
 * ring: it numbers its SRTCP packets itself and never checks a received index, so its cold
 * part follows the SRTP ring (which guards against protecting two packets with one index).
 */
#define SRTP_STREAM_BYTES(w, out)                                                     \
	((sizeof(struct mxp_srtp_stream) +                                             \
	  ((out) ? 1 : 2) * sizeof(uint64_t) * SRTP_RWIN_WORDS(w) +                    \
	  sizeof(struct srtp_stream_cold) + 63) & ~(size_t)63)

static inline size_t
srtp_stream_bytes(uint32_t window, bool out)
{
	return SRTP_STREAM_BYTES(window, out);
}

/* The smallest window's outbound stream (every output stream of lib/conf) saves a line. */
_Static_assert(SRTP_STREAM_BYTES(MXP_SRTP_REPLAY_WINDOW_MIN, true) == 192 &&
		       SRTP_STREAM_BYTES(MXP_SRTP_REPLAY_WINDOW_MIN, false) == 256,
	       "outbound stream of the smallest window: 3 lines");

#define SRTP_STREAM_MAX_SIZE \
	((sizeof(struct mxp_srtp_stream) + 2 * 8 * SRTP_RWIN_MAX_WORDS + \
	  sizeof(struct srtp_stream_cold) + 63) & ~(size_t)63)

/* Words of each replay ring of a stream. */
static inline uint32_t
srtp_ring_words(const struct mxp_srtp_stream *s)
{
	return (uint32_t)s->wmask + 1;
}

static inline struct srtp_stream_cold *
srtp_cold(const struct mxp_srtp_stream *s)
{
	unsigned int rings = s->flags & SF_OUT ? 1 : 2;
	return (struct srtp_stream_cold *)(uintptr_t)(s->ring + rings * srtp_ring_words(s));
}

/* Inbound streams only: an outbound one has no SRTCP ring (srtp_stream_bytes()). */
static inline uint64_t *
srtp_rtcp_ring(const struct mxp_srtp_stream *s)
{
	return (uint64_t *)(uintptr_t)(s->ring + srtp_ring_words(s));
}

/* --- contexts ------------------------------------------------------------------------------ */

/* Per key slot of a context: the master key, kept only with a key derivation rate. */
struct srtp_ctx_slot {
	uint8_t master_key[MXP_SRTP_MAX_KEY_LEN];
	uint8_t master_salt[MXP_SRTP_MAX_SALT_LEN];
	bool has_master;
};

/* The context's driver is its stream's (s->drv, set at init, never changed). */
struct srtp_ctx_ext {
	const struct mxp_srtp_suite_info *si;
	uint32_t magic;
	uint8_t kdr_log2;         /* 0xff: kdr = 0 */
	uint8_t soft_percent;
	struct srtp_ctx_slot slot[MXP_SRTP_MAX_KEYS];
};

/*
 * A context: its stream at offset 0 (room for the largest window), then the key sessions it
 * owns, one per slot (slot i of the context is slot i of its stream), each with room for
 * the largest suite and driver.
 */
struct mxp_srtp_ctx {
	alignas(64) uint8_t stream[SRTP_STREAM_MAX_SIZE];
	alignas(64) struct srtp_ctx_ext x;
	alignas(64) uint8_t keys[MXP_SRTP_MAX_KEYS][SRTP_KEY_MAX_SIZE];
};

#define SRTP_CTX_MAGIC 0x53525450u /* "SRTP" */

_Static_assert(SRTP_KEY_MAX_SIZE % 64 == 0, "key slot alignment");

static inline struct mxp_srtp_stream *
srtp_ctx_stream(const struct mxp_srtp_ctx *c)
{
	return (struct mxp_srtp_stream *)(uintptr_t)c->stream;
}

static inline struct mxp_srtp_key *
srtp_ctx_key(const struct mxp_srtp_ctx *c, unsigned int slot)
{
	return (struct mxp_srtp_key *)(uintptr_t)c->keys[slot];
}

/* The context of a stream with SF_KDR: only a context's stream (at offset 0 of it) has it. */
static inline struct mxp_srtp_ctx *
srtp_stream_ctx(const struct mxp_srtp_stream *s)
{
	return (struct mxp_srtp_ctx *)(uintptr_t)s;
}

/* --- helpers -------------------------------------------------------------------------- */

/*
 * Raise an event bit (owner worker) in a stream's or a key's event word. Another thread
 * (the control core) takes the bits with srtp_events_take(), an atomic exchange: a
 * read-modify-write here keeps a bit raised while it clears from being lost or reported
 * twice. Release: what the event is about (key usage, the learned SSRC) is written before
 * the bit. Rare (thresholds, first packet).
 */
static inline void
srtp_event(uint32_t *events, uint32_t bit)
{
	__atomic_fetch_or(events, bit, __ATOMIC_RELEASE);
}

/*
 * Take and clear pending event bits (any thread). A plain load first: polling a word with
 * no event only reads its line, so the owner worker keeps it without a cross-core
 * invalidation on every poll. Acquire pairs with the worker's release.
 */
static inline uint32_t
srtp_events_take(uint32_t *events)
{
	if (__atomic_load_n(events, __ATOMIC_RELAXED) == 0)
		return 0;
	return __atomic_exchange_n(events, 0, __ATOMIC_ACQUIRE);
}

/* Inbound: a packet with another SSRC than the stream's is dropped; remember its SSRC for
 * the stream info (read by the control core: an atomic store). */
static inline enum mxp_srtp_reason
srtp_other_ssrc(struct mxp_srtp_stream *s, uint32_t ssrc)
{
	__atomic_store_n(&srtp_cold(s)->other_ssrc, ssrc, __ATOMIC_RELAXED);
	return MXP_SRTP_R_SSRC_MISMATCH;
}

/* Count a dropped packet on its stream (owner worker only, like the rest of the stream). */
static inline void
srtp_drop(struct mxp_srtp_stream *s, enum mxp_srtp_reason r)
{
	srtp_cold(s)->drops[r]++;
}

/* Control path: put @p msg in the caller's error buffer (if any), return @p rc. */
static inline int
srtp_fail(char *err, size_t errlen, int rc, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return rc;
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

/* Check an index against a window (bits, started, top): OK, REPLAY or TOO_OLD. */
static inline enum mxp_srtp_reason
srtp_rwin_check(const struct mxp_srtp_stream *s, const uint64_t *bits, bool started,
		uint64_t top, uint64_t idx)
{
	if (!started || idx > top)
		return MXP_SRTP_R_OK;
	if (top - idx >= s->window)
		return MXP_SRTP_R_TOO_OLD;
	uint64_t bit = idx & s->wbits;
	if (bits[bit >> 6] & (UINT64_C(1) << (bit & 63)))
		return MXP_SRTP_R_REPLAY;
	return MXP_SRTP_R_OK;
}

/* Record an index that passed srtp_rwin_check(); returns the new top. */
static inline uint64_t
srtp_rwin_commit(const struct mxp_srtp_stream *s, uint64_t *bits, bool started, uint64_t top,
		 uint64_t idx)
{
	uint32_t wmask = s->wmask;

	if (!started) {
		memset(bits, 0, sizeof(uint64_t) * (wmask + 1));
		top = idx;
	} else if (idx > top) {
		uint64_t from = top >> 6, to = idx >> 6;
		if (to - from > wmask) {
			memset(bits, 0, sizeof(uint64_t) * (wmask + 1));
		} else {
			for (uint64_t i = from + 1; i <= to; i++)
				bits[i & wmask] = 0;
		}
		top = idx;
	}
	uint64_t bit = idx & s->wbits;
	bits[bit >> 6] |= UINT64_C(1) << (bit & 63);
	return top;
}

/* The SRTP window of a stream. */
static inline enum mxp_srtp_reason
srtp_rtp_check(const struct mxp_srtp_stream *s, uint64_t idx)
{
	return srtp_rwin_check(s, s->ring, s->flags & SF_RTP_STARTED, s->rtp_top, idx);
}

static inline void
srtp_rtp_commit(struct mxp_srtp_stream *s, uint64_t idx)
{
	bool started = s->flags & SF_RTP_STARTED;
	s->rtp_top = srtp_rwin_commit(s, s->ring, started, s->rtp_top, idx);
	if (MXP_UNLIKELY(!started))
		s->flags |= SF_RTP_STARTED;
}

/* The SRTCP window of an inbound stream. */
static inline enum mxp_srtp_reason
srtp_rtcp_check(const struct mxp_srtp_stream *s, uint64_t idx)
{
	return srtp_rwin_check(s, srtp_rtcp_ring(s), s->flags & SF_RTCP_STARTED,
			       srtp_cold(s)->rtcp_idx, idx);
}

static inline void
srtp_rtcp_commit(struct mxp_srtp_stream *s, uint64_t idx)
{
	struct srtp_stream_cold *x = srtp_cold(s);
	bool started = s->flags & SF_RTCP_STARTED;
	x->rtcp_idx = (uint32_t)srtp_rwin_commit(s, srtp_rtcp_ring(s), started, x->rtcp_idx, idx);
	if (MXP_UNLIKELY(!started))
		s->flags |= SF_RTCP_STARTED;
}

/* --- SRTP index estimation (RFC 3711 3.3.1 and appendix A) ---------------------------- */

/*
 * Estimate the 48-bit index of a packet with sequence number seq. Returns false when the
 * estimate falls outside 0 .. 2^48-1 (a packet from before ROC 0, or past ROC 2^32-1).
 */
static inline bool
srtp_estimate_index_from(uint64_t top, bool started, uint16_t seq, uint64_t *idx)
{
	if (!started) {
		*idx = (top & ~UINT64_C(0xffff)) | seq;
		return true;
	}
	uint64_t roc = top >> 16;
	uint32_t s_l = (uint32_t)(top & 0xffff);
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

/* The same from the stream's state: the highest index accepted (s_l and ROC), or the
 * initial ROC before its first packet. */
static inline bool
srtp_estimate_index(const struct mxp_srtp_stream *s, uint16_t seq, uint64_t *idx)
{
	return srtp_estimate_index_from(s->rtp_top, s->flags & SF_RTP_STARTED, seq, idx);
}

/* --- internal entry points ------------------------------------------------------------- */

/* RFC 3711 4.3.3 PRF: n bytes of AES-CM keystream for label, index DIV kdr = r. */
int srtp_kdf(const struct mxp_crypto_driver *drv, const uint8_t *mkey, size_t mkey_len,
	     const uint8_t *msalt, size_t msalt_len, uint8_t label, uint64_t r, uint8_t *out,
	     size_t n);

/*
 * Derive the session keys of a master key for RTP (rtcp=false) or RTCP, for index DIV kdr
 * = r, and set them up in the driver key @p ck (drv->key_size() bytes) and @p salt.
 * Returns 0 or -EIO; on failure nothing is left to release.
 */
int srtp_kdf_session(const struct mxp_crypto_driver *drv, const struct mxp_srtp_suite_info *si,
		     const uint8_t *mkey, const uint8_t *msalt, bool rtcp, uint64_t r,
		     struct mxp_crypto_key *ck, uint8_t salt[16]);

/* What a key session is set up from (srtp_key_setup()). */
struct srtp_key_setup {
	const struct mxp_srtp_suite_info *si;
	const struct mxp_crypto_driver *drv;
	const uint8_t *key, *salt;   /* master key and salt; NULL with the session keys below */
	const uint8_t *skey, *ssalt, *sauth; /* tests: session keys for RTP and RTCP alike */
	const uint8_t *mki;
	size_t mki_len;
	uint64_t lifetime;
	uint8_t soft_percent;        /* 1..100 */
	uint8_t kdr_log2;            /* 0xff: none */
	uint64_t r[2];               /* with a KDR: index DIV kdr for SRTP and SRTCP */
};

/* Set up a key session (arguments checked by the caller). 0 or -EIO (k wiped). */
int srtp_key_setup(struct mxp_srtp_key *k, const struct srtp_key_setup *p);
/* Release a key session's driver keys and wipe it. */
void srtp_key_release(struct mxp_srtp_key *k);
/* Bytes of a key session for this suite and driver; 0 if the driver cannot do it. */
size_t srtp_key_bytes(const struct mxp_srtp_suite_info *si, const struct mxp_crypto_driver *drv);

/* Streams: initialise (parameters checked by the caller), give a stream the suite of its
 * keys, put a key in a slot (checks done), take it out, find a slot. */
void srtp_stream_setup(struct mxp_srtp_stream *s, const struct mxp_srtp_stream_params *p,
		       uint32_t window);
void srtp_stream_set_suite(struct mxp_srtp_stream *s, const struct mxp_crypto_driver *drv,
			   const struct mxp_srtp_suite_info *si);
void srtp_stream_slot_set(struct mxp_srtp_stream *s, unsigned int slot, struct mxp_srtp_key *k);
void srtp_stream_slot_clear(struct mxp_srtp_stream *s, unsigned int slot);
/* The slot of the key with this MKI (mki_len 0: the key without MKI), or -1; also -1 for an
 * MKI longer than MXP_SRTP_MAX_MKI_LEN or missing. */
int srtp_stream_slot_find(const struct mxp_srtp_stream *s, const uint8_t *mki, size_t mki_len);
/* The free slot a new key with this MKI (checked by the caller) takes: -EINVAL or -EEXIST
 * (without MKI) for an MKI length other than the keys', -EEXIST for an MKI present, -ENOSPC
 * for no free slot. Shared by streams and contexts. */
int srtp_stream_slot_new(const struct mxp_srtp_stream *s, const uint8_t *mki, size_t mki_len);

/* The packet path over streams (srtp_packet.c), used by the mbuf layer and the contexts. */
uint16_t srtp_run_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[], uint16_t n,
		       uint8_t reason[], bool rtcp, int mode);
enum mxp_srtp_reason srtp_run_one(struct mxp_srtp_stream *s, uint8_t *buf, size_t *len,
				  size_t cap, bool rtcp, int mode);

/* Packet path modes. */
enum srtp_mode {
	SRTP_M_PROTECT,
	SRTP_M_UNPROTECT,
	SRTP_M_VERIFY,
};

/* Suite table lookup without the range check (suite known valid). */
const struct mxp_srtp_suite_info *srtp_suite(unsigned int suite);

/* First 4 bytes of SHA-256(key || salt). 0 or -EIO. */
int srtp_fingerprint_bytes(const uint8_t *key, size_t key_len, const uint8_t *salt,
			   size_t salt_len, uint8_t out[4]);
/* The 8 hex digits of 4 fingerprint bytes. */
void srtp_fingerprint_hex(const uint8_t fp[4], char out_hex[9]);

/*
 * Tests only (tests/unit/srtp): add a key whose *session* keys are given directly, as the
 * RFC 7714 vectors are. The same session key and salt serve RTP and RTCP.
 */
int mxp_srtp_ctx_key_add_session(struct mxp_srtp_ctx *ctx, const uint8_t *skey,
				 const uint8_t *ssalt, const uint8_t *sauth);

/* Set the outbound SRTCP index (tests: the RFC vectors use index 0x5d4). */
void mxp_srtp_ctx_set_srtcp_index(struct mxp_srtp_ctx *ctx, uint32_t index);

#endif /* MXP_SRTP_PRIV_H */
