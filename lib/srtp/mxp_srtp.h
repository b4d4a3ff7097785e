/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * mxp_srtp: SRTP and SRTCP (RFC 3711, RFC 6188, RFC 7714) for the mixplane data path.
 *
 * Two objects carry the state:
 *  - a key session (struct mxp_srtp_key) is one master key with its MKI and lifetime, and
 *    the SRTP and SRTCP session keys derived from it once, at mxp_srtp_key_init(), on the
 *    calling (control) thread. The master key itself is not kept (its fingerprint is).
 *    The session counts the packets of every stream that uses it against its limits
 *    (RFC 3711 9.2, RFC 4568 lifetime: per master key, whatever the SSRC);
 *  - a stream (struct mxp_srtp_stream) is one SSRC in one direction: rollover counter,
 *    highest sequence number, the SRTP replay window and (inbound) the SRTCP one (stored
 *    inline, sized by the window), the outbound SRTCP index, counters, and references to up to
 *    MXP_SRTP_MAX_KEYS key sessions told apart by their MKI. Several output streams under
 *    one master key are several streams with different SSRCs referring to one key session
 *    (RFC 3711 section 9.1 forbids two streams with one SSRC under one key), the way
 *    libsrtp's srtp_stream_clone() shares the key and keeps only the replay state per SSRC.
 *
 * A context (struct mxp_srtp_ctx) is the convenience form of the earlier API: a stream and
 * the key sessions it owns, in one allocation; it alone supports a key derivation rate.
 *
 * The caller allocates: mxp_srtp_key_size() / mxp_srtp_stream_size() (or the smaller
 * mxp_srtp_stream_size_dir() of an outbound stream) / mxp_srtp_ctx_size() bytes aligned
 * to 64, then the matching _init(). Nothing on the packet path allocates,
 * locks, logs or makes a system call. A stream, and the key sessions it uses, is used by one
 * worker thread; the crypto driver keeps per-thread state (see mxp_srtp_thread_init()).
 * Key sessions and streams are set up, changed and freed while the worker does not use them
 * (by the worker itself, or by the control thread while the caller keeps them away from
 * the worker); any thread may take events (atomic) and read a key session's usage
 * (mxp_srtp_key_info(), relaxed atomic loads) at any time.
 *
 * Packet API, two layers, each over streams (mxp_srtp_stream_*) and over contexts:
 *  - plain buffers (struct mxp_srtp_pkt, no DPDK EAL needed): mxp_srtp_stream_protect_pkts()
 *    / mxp_srtp_protect_pkts() and friends, plus one-packet helpers;
 *  - mbuf bursts: mxp_srtp_stream_protect_burst() / mxp_srtp_protect_burst() and friends.
 *    The RTP/RTCP packet starts at offset l2_len + l3_len + l4_len of a single-segment
 *    mbuf and runs to the end of its data. Protect appends the tag and MKI with rte_pktmbuf_append(), unprotect trims them
 *    with rte_pktmbuf_trim(). The call returns how many succeeded; the failures are moved
 *    to the end of the array, in the same call, with a reason each. The caller fixes the
 *    IP/UDP lengths and checksums afterwards.
 *
 * Unprotect order (per packet): parse, estimate the index (RFC 3711 3.3.1), replay check,
 * select the key by MKI, key usage limit, authenticate (constant-time compare), then commit
 * the ROC and replay window, then decrypt. The window is re-checked at commit so that two
 * copies of one packet in one burst are caught.
 *
 * Errors on the control path are a negative errno and, where a human reads it, a message in
 * the caller's buffer. The packet path never fails loudly: each dropped packet gets a
 * reason (enum mxp_srtp_reason) and is counted per stream.
 *
 * Keys are never printed; use mxp_srtp_key_fingerprint(). Key material is wiped with
 * explicit_bzero() by mxp_srtp_key_fini(), when a context's key is removed and by
 * mxp_srtp_ctx_fini().
 */
#ifndef MXP_SRTP_H
#define MXP_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct rte_mbuf;

/** API generation: 2 has key sessions and streams (absent: contexts only). */
#define MXP_SRTP_API_VERSION 2

/** Crypto suites (RFC 4568 names). Values are stable; 0 is invalid. */
enum mxp_srtp_suite {
	MXP_SRTP_SUITE_INVALID = 0,
	MXP_SRTP_AES_CM_128_HMAC_SHA1_80 = 1, /**< RFC 3711/4568 */
	MXP_SRTP_AES_CM_128_HMAC_SHA1_32 = 2, /**< RFC 3711/4568 */
	MXP_SRTP_AES_256_CM_HMAC_SHA1_80 = 3, /**< RFC 6188 */
	MXP_SRTP_AES_256_CM_HMAC_SHA1_32 = 4, /**< RFC 6188 */
	MXP_SRTP_AEAD_AES_128_GCM = 5,        /**< RFC 7714, 16-byte tag */
	MXP_SRTP_AEAD_AES_256_GCM = 6,        /**< RFC 7714, 16-byte tag */
	MXP_SRTP_SUITE_COUNT
};

/** Largest master key (AES-256), master salt (AES-CM: 14 bytes) and MKI, in bytes. */
#define MXP_SRTP_MAX_KEY_LEN 32
#define MXP_SRTP_MAX_SALT_LEN 14
#define MXP_SRTP_MAX_MKI_LEN 16
/** Longest trailer protect adds: SRTCP index (4) + MKI + tag (16). */
#define MXP_SRTP_MAX_TRAILER (4 + MXP_SRTP_MAX_MKI_LEN + 16)

/**
 * An MKI (big-endian bytes, as on the wire) as the integer SDES writes ("|MKI:length",
 * RFC 4568 6.1): the value of its last 8 bytes.
 * @param mki  @p len bytes.
 * @param len  0 (no MKI: the value is 0) to MXP_SRTP_MAX_MKI_LEN.
 * @param v    receives the value.
 * @return true when the whole MKI fits (any bytes before the last 8 are zero), false when
 *         it is not expressible as a 64-bit number (*v then holds its last 8 bytes).
 */
static inline bool
mxp_srtp_mki_value(const uint8_t *mki, size_t len, uint64_t *v)
{
	bool fits = true;
	*v = 0;
	for (size_t i = 0; i < len; i++) {
		if (len - i > 8 && mki[i] != 0)
			fits = false;
		*v = *v << 8 | mki[i];
	}
	return fits;
}

/** What a suite needs and adds. */
struct mxp_srtp_suite_info {
	enum mxp_srtp_suite suite;
	const char *name;        /**< RFC 4568 name, e.g. "AES_CM_128_HMAC_SHA1_80" */
	uint8_t key_len;         /**< master (and session) key length */
	uint8_t salt_len;        /**< master (and session) salt length: 14, or 12 for GCM */
	uint8_t srtp_tag_len;    /**< SRTP tag: 10, 4 or 16 */
	uint8_t srtcp_tag_len;   /**< SRTCP tag: 10 for every HMAC suite (RFC 4568 6.2), 16 for GCM */
	bool aead;               /**< AES-GCM */
};

/**
 * Describe a suite.
 * @return the description, or NULL if @p suite is not a supported suite.
 */
const struct mxp_srtp_suite_info *mxp_srtp_suite_info(enum mxp_srtp_suite suite);

/**
 * Look a suite up by its RFC 4568 name (case-sensitive, as in SDP).
 * @return the suite, or MXP_SRTP_SUITE_INVALID if the name is unknown.
 */
enum mxp_srtp_suite mxp_srtp_suite_by_name(const char *name);

/** Direction of a context. */
enum mxp_srtp_dir {
	MXP_SRTP_INBOUND = 0,  /**< unprotect / verify */
	MXP_SRTP_OUTBOUND = 1, /**< protect */
};

/** Default and largest replay window, in packets (the same size is used for SRTCP). */
#define MXP_SRTP_REPLAY_WINDOW_DEFAULT 128
#define MXP_SRTP_REPLAY_WINDOW_MIN 64
#define MXP_SRTP_REPLAY_WINDOW_MAX 1024

/** Master keys a context holds at once (old and new key across a rekey, and spares). */
#define MXP_SRTP_MAX_KEYS 4

/** Hard key usage limits (RFC 3711 section 9.2). */
#define MXP_SRTP_MAX_SRTP_PACKETS (UINT64_C(1) << 48)
#define MXP_SRTP_MAX_SRTCP_PACKETS (UINT64_C(1) << 31)

/** Context parameters. Zero-initialise, then set what you need. */
struct mxp_srtp_params {
	enum mxp_srtp_suite suite;
	enum mxp_srtp_dir dir;
	/** Crypto driver by name ("ipsec_mb", "openssl"); NULL picks the best available. */
	const char *driver;
	/** Replay window in packets: 0 = MXP_SRTP_REPLAY_WINDOW_DEFAULT, else MIN..MAX. */
	uint32_t replay_window;
	/** SSRC of the stream. Packets with another SSRC are dropped (ssrc_mismatch). */
	uint32_t ssrc;
	/**
	 * Inbound only: ignore @c ssrc and take the SSRC of the first packet that
	 * authenticates; from then on it is fixed (event MXP_SRTP_EV_SSRC_LEARNED).
	 */
	bool ssrc_learn;
	/**
	 * Key derivation rate (RFC 3711 4.3.1): 0 (derive once) or a power of two from
	 * 1 to 2^24 (re-derive session keys every @c kdr packets).
	 */
	uint32_t kdr;
	/** Rollover counter of the first packet (usually 0; RFC 3711 3.3.1). */
	uint32_t roc;
	/**
	 * If true, the stream is already running: @c s_l is the highest sequence number
	 * sent or received with ROC @c roc, the next index is estimated against it and the
	 * index (roc, s_l) itself is treated as used. If false, the first packet that is
	 * protected or authenticated fixes s_l.
	 */
	bool s_l_valid;
	uint16_t s_l;
	/** Outbound: SRTCP index of the first SRTCP packet (31 bits, usually 0). */
	uint32_t srtcp_index;
	/** Outbound: send SRTCP with E=0 (RFC 4568 UNENCRYPTED_SRTCP); still authenticated. */
	bool srtcp_unencrypted;
	/**
	 * A key raises MXP_SRTP_EV_KEY_SOFT when its usage reaches this percentage of its
	 * limit (0 = 90).
	 */
	uint8_t key_soft_percent;
};

/** Required alignment of the context memory. */
#define MXP_SRTP_CTX_ALIGN 64

/** Opaque context; the caller allocates mxp_srtp_ctx_size() bytes. */
struct mxp_srtp_ctx;

/** Bytes to allocate for one context (aligned to MXP_SRTP_CTX_ALIGN). */
size_t mxp_srtp_ctx_size(void);

/**
 * Initialise a context.
 *
 * @param ctx     mxp_srtp_ctx_size() bytes aligned to MXP_SRTP_CTX_ALIGN.
 * @param p       parameters; not referenced after the call.
 * @param err     receives a one-line message on failure (may be NULL).
 * @param errlen  size of @p err.
 * @return 0, or
 *   -EINVAL  bad suite, direction, window, kdr, ssrc_learn on outbound, misaligned @p ctx;
 *   -ENOENT  the named driver is not registered;
 *   -ENOTSUP the driver cannot run on this CPU or does not support the suite.
 */
int mxp_srtp_ctx_init(struct mxp_srtp_ctx *ctx, const struct mxp_srtp_params *p, char *err,
		      size_t errlen);

/** Wipe keys and state. The memory can be freed or initialised again. NULL is a no-op. */
void mxp_srtp_ctx_fini(struct mxp_srtp_ctx *ctx);

/**
 * Add a master key and derive its session keys. The first key added to a context becomes
 * the active one.
 * All keys of a context carry MKIs of the same length (RFC 4568 6.1); with mki_len 0 the
 * context holds a single key.
 *
 * @param ctx       the context.
 * @param key       master key, suite key_len bytes.
 * @param salt      master salt, suite salt_len bytes.
 * @param mki       MKI value as sent on the wire (big-endian), @p mki_len bytes.
 * @param mki_len   0 (no MKI) to MXP_SRTP_MAX_MKI_LEN.
 * @param lifetime  RFC 4568 lifetime in packets, applied to SRTP and to SRTCP separately,
 *                  capped by 2^48 (SRTP) and 2^31 (SRTCP); 0 = those maxima.
 * @return 0, or
 *   -EINVAL  bad MKI length, or an MKI length different from the keys already present;
 *   -EEXIST  a key with this MKI is already present (or a key without MKI);
 *   -ENOSPC  MXP_SRTP_MAX_KEYS keys already present;
 *   -EIO     the driver failed to set up the derived keys.
 */
int mxp_srtp_ctx_key_add(struct mxp_srtp_ctx *ctx, const uint8_t *key, const uint8_t *salt,
			 const uint8_t *mki, size_t mki_len, uint64_t lifetime);

/**
 * Remove a master key and wipe it. Removing the active key leaves an outbound context
 * without a key (packets are dropped with reason no_key until another is activated).
 * @return 0, or -ENOENT if no key has this MKI.
 */
int mxp_srtp_ctx_key_remove(struct mxp_srtp_ctx *ctx, const uint8_t *mki, size_t mki_len);

/**
 * Make a key the one protect uses (outbound; harmless on inbound, where the MKI in each
 * packet selects the key).
 * @return 0, or -ENOENT if no key has this MKI.
 */
int mxp_srtp_ctx_key_activate(struct mxp_srtp_ctx *ctx, const uint8_t *mki, size_t mki_len);

/**
 * Prefetch what the next packet of a context reads first (its state and the first key's
 * session keys): call it when the packet is queued, a burst before the crypto runs. With
 * thousands of streams each context is cold when its packet arrives.
 */
void mxp_srtp_ctx_prefetch(const struct mxp_srtp_ctx *ctx);

/**
 * Per-key information for operators (never the key itself): a context's key
 * (mxp_srtp_ctx_key_info()) or a key session (mxp_srtp_key_info()).
 */
struct mxp_srtp_key_info {
	uint8_t mki[MXP_SRTP_MAX_MKI_LEN];
	uint8_t mki_len;
	bool active;
	char fingerprint[9];  /**< mxp_srtp_key_fingerprint() of key||salt */
	uint64_t srtp_used;   /**< SRTP packets protected or authenticated with this key */
	uint64_t srtcp_used;  /**< SRTCP packets protected or authenticated with this key */
	uint64_t srtp_total;  /**< the count the limits apply to: srtp_used (every stream of
			       *   the session together) */
	uint64_t srtcp_total; /**< likewise for SRTCP: srtcp_used */
	uint64_t srtp_limit;  /**< min(lifetime, 2^48) */
	uint64_t srtcp_limit; /**< min(lifetime, 2^31) */
	bool soft;            /**< usage passed key_soft_percent of a limit */
	bool exhausted;       /**< a limit is reached; packets under this key are dropped */
};

/**
 * Describe the key in slot @p slot (0..MXP_SRTP_MAX_KEYS-1).
 * @return 0, -ENOENT if the slot is empty, -EINVAL if @p slot is out of range.
 */
int mxp_srtp_ctx_key_info(const struct mxp_srtp_ctx *ctx, unsigned int slot,
			  struct mxp_srtp_key_info *info);

/**
 * Fingerprint of a key for logs and the CLI: the first 8 hex digits (lowercase) of
 * SHA-256(key || salt), NUL-terminated in @p out_hex.
 * @return 0, -EINVAL on NULL arguments or lengths above MXP_SRTP_MAX_KEY_LEN /
 *         MXP_SRTP_MAX_SALT_LEN, -EIO if hashing failed.
 */
int mxp_srtp_key_fingerprint(const uint8_t *key, size_t key_len, const uint8_t *salt,
			     size_t salt_len, char out_hex[9]);

/* --- drop reasons --------------------------------------------------------------------- */

/** X-macro table of packet outcomes: name, description. */
#define MXP_SRTP_REASONS(X) \
	X(OK, "ok", "processed") \
	X(AUTH, "auth_failed", "authentication tag does not match") \
	X(REPLAY, "replay", "packet index already seen (or already used to protect)") \
	X(TOO_OLD, "too_old", "packet index is behind the replay window") \
	X(BAD_HEADER, "bad_header", "not RTP/RTCP version 2, or shorter than its header and trailer") \
	X(UNKNOWN_MKI, "unknown_mki", "MKI in the packet matches no key of the context") \
	X(KEY_EXHAUSTED, "key_exhausted", "master key reached its usage limit (2^48, 2^31 or lifetime)") \
	X(NO_ROOM, "no_room", "no tailroom for the tag and MKI") \
	X(NO_KEY, "no_key", "context has no (active) key") \
	X(SSRC_MISMATCH, "ssrc_mismatch", "authentic, but SSRC differs from the context's stream") \
	X(WRONG_DIR, "wrong_direction", "protect on an inbound context or unprotect on outbound") \
	X(MBUF, "bad_mbuf", "multi-segment mbuf or header offsets past the data")

#define MXP_SRTP_REASON_ENUM_(n, s, d) MXP_SRTP_R_##n,
/** Outcome of one packet; MXP_SRTP_R_OK is 0. */
enum mxp_srtp_reason {
	MXP_SRTP_REASONS(MXP_SRTP_REASON_ENUM_)
	MXP_SRTP_R_COUNT
};
#undef MXP_SRTP_REASON_ENUM_

/** Short name of a reason ("auth_failed"), or "?" if out of range. */
const char *mxp_srtp_reason_name(unsigned int reason);
/** One-line description of a reason, or "?" if out of range. */
const char *mxp_srtp_reason_desc(unsigned int reason);

/* --- counters and events -------------------------------------------------------------- */

/**
 * Per-stream counters (a context's are its stream's). Read by the owner thread with
 * mxp_srtp_stream_stats() or mxp_srtp_ctx_stats().
 */
struct mxp_srtp_stats {
	uint64_t srtp_protected;    /**< SRTP packets protected */
	uint64_t srtp_unprotected;  /**< SRTP packets authenticated and decrypted */
	uint64_t srtp_verified;     /**< SRTP packets authenticated by verify-only */
	uint64_t srtcp_protected;
	uint64_t srtcp_unprotected;
	uint64_t srtcp_verified;
	uint64_t bytes_protected;   /**< RTP/RTCP bytes before protect */
	uint64_t bytes_unprotected; /**< RTP/RTCP bytes after unprotect (or verified) */
	uint64_t encryptions;       /**< cipher operations run by protect */
	uint64_t decryptions;       /**< cipher operations run by unprotect */
	uint64_t drops[MXP_SRTP_R_COUNT]; /**< per reason; drops[MXP_SRTP_R_OK] stays 0 */
};

/** Copy the counters of a context. */
void mxp_srtp_ctx_stats(const struct mxp_srtp_ctx *ctx, struct mxp_srtp_stats *st);

/**
 * Event bits, raised on the packet path and collected with mxp_srtp_key_events() (key
 * events, on key sessions), mxp_srtp_stream_events() (SSRC learned) or
 * mxp_srtp_ctx_events() (a context: both).
 */
#define MXP_SRTP_EV_KEY_SOFT (1u << 0)     /**< a key passed its soft usage threshold */
#define MXP_SRTP_EV_KEY_EXHAUSTED (1u << 1) /**< a key reached a limit; rekey now */
#define MXP_SRTP_EV_SSRC_LEARNED (1u << 2) /**< ssrc_learn took the SSRC of a packet */

/**
 * Return the pending event bits of a context (its stream's and its key sessions') and clear
 * them, with atomic exchanges: it may run on another thread than the one that owns the
 * context (the control core polling a worker's context); a bit raised concurrently is
 * returned by this call or by the next, never lost.
 */
uint32_t mxp_srtp_ctx_events(struct mxp_srtp_ctx *ctx);

/** Stream state for the CLI and for tests. */
struct mxp_srtp_stream_info {
	uint32_t ssrc;
	bool ssrc_known;
	/**
	 * Inbound: the SSRC of the last packet dropped because it carried another SSRC than
	 * @c ssrc (meaningful once the ssrc_mismatch counter is not 0). Such packets count as
	 * ssrc_mismatch only once authenticated (as the first packet of a new stream, ROC 0);
	 * a forged one is an authentication failure and changes nothing here. (With a key
	 * derivation rate they are dropped unauthenticated.)
	 */
	uint32_t other_ssrc;
	bool started;          /**< an SRTP packet fixed s_l */
	uint32_t roc;
	uint16_t s_l;
	uint32_t srtcp_index;  /**< outbound: next SRTCP index; inbound: highest received */
	bool srtcp_started;    /**< inbound: an SRTCP packet was accepted (srtcp_index set) */
	uint32_t replay_window;
	const char *driver;    /**< name of the crypto driver of the stream (context) */
};

/** Describe the stream state of a context. */
void mxp_srtp_ctx_stream_info(const struct mxp_srtp_ctx *ctx, struct mxp_srtp_stream_info *si);

/* --- key sessions ---------------------------------------------------------------------- */

/** Required alignment of key session and stream memory. */
#define MXP_SRTP_KEY_ALIGN 64
#define MXP_SRTP_STREAM_ALIGN 64

/**
 * Opaque key session: one master key's SRTP and SRTCP session keys, shared by the streams
 * that use it. Its first cache lines hold what the packet path reads (usage counters and
 * their next thresholds, limits, salts, MKI), the driver keys follow.
 */
struct mxp_srtp_key;

/** Key session parameters. Zero-initialise, then set what you need. */
struct mxp_srtp_key_params {
	enum mxp_srtp_suite suite;
	/** Crypto driver by name ("ipsec_mb", "openssl"); NULL picks the best available. */
	const char *driver;
	const uint8_t *key;      /**< master key, suite key_len bytes (not kept) */
	const uint8_t *salt;     /**< master salt, suite salt_len bytes (not kept) */
	const uint8_t *mki;      /**< MKI as sent on the wire (big-endian), mki_len bytes */
	size_t mki_len;          /**< 0 (no MKI) to MXP_SRTP_MAX_MKI_LEN */
	/**
	 * RFC 4568 lifetime in packets, applied to SRTP and to SRTCP separately, capped by
	 * 2^48 (SRTP) and 2^31 (SRTCP); 0 = those maxima. Every stream using the session
	 * counts against it.
	 */
	uint64_t lifetime;
	/** MXP_SRTP_EV_KEY_SOFT when usage reaches this percentage of a limit (0 = 90). */
	uint8_t soft_percent;
};

/**
 * Bytes to allocate for a key session of this suite on this driver: a multiple of 64, the
 * header (3 cache lines) and the two driver keys, each as large as the driver needs for the
 * suite (ipsec_mb: 256 bytes for AES-128-CM + HMAC-SHA1, 1024 for GCM).
 * @param driver  driver name, or NULL for the best available (as mxp_srtp_key_init()).
 * @return the size, or 0 if the suite is unknown or the driver is unknown or cannot run.
 */
size_t mxp_srtp_key_size(enum mxp_srtp_suite suite, const char *driver);

/**
 * Derive the SRTP and SRTCP session keys of a master key and set them up in the driver (on
 * the calling thread: the control thread). The session starts with one reference
 * (mxp_srtp_key_get()/put()). There is no key derivation rate: the keys are derived once
 * (use a context for KDR != 0).
 *
 * @param key     mxp_srtp_key_size(p->suite, p->driver) bytes aligned to MXP_SRTP_KEY_ALIGN.
 * @param p       parameters; neither they nor the key bytes are referenced after the call.
 * @param err     receives a one-line message on failure (may be NULL); never key bytes.
 * @param errlen  size of @p err.
 * @return 0, or
 *   -EINVAL  NULL or misaligned @p key, NULL key or salt, bad suite, MKI length above
 *            MXP_SRTP_MAX_MKI_LEN (or NULL MKI with a length), soft_percent above 100;
 *   -ENOENT  the named driver is not registered;
 *   -ENOTSUP the driver cannot run on this CPU or does not support the suite;
 *   -EIO     the driver failed to set up the derived keys (nothing is left to release).
 */
int mxp_srtp_key_init(struct mxp_srtp_key *key, const struct mxp_srtp_key_params *p, char *err,
		      size_t errlen);

/**
 * Release the driver keys and wipe the whole session (explicit_bzero). Whoever calls it
 * makes sure no stream refers to it any more. NULL is a no-op.
 */
void mxp_srtp_key_fini(struct mxp_srtp_key *key);

/**
 * Take a reference (control thread only: a plain counter, no atomics). The count is the
 * owner's bookkeeping: mxp_srtp_stream_key_add() and _remove() do not touch it.
 * @return @p key.
 */
struct mxp_srtp_key *mxp_srtp_key_get(struct mxp_srtp_key *key);

/**
 * Drop a reference (control thread only).
 *
 * A put at count 0 (more puts than gets) is a caller bug: builds without NDEBUG (meson's
 * debug and debugoptimized) abort on an assertion; release builds (NDEBUG) leave the count
 * at 0 and return false, so the caller frees nothing a second time.
 * @return true when that was the last one: the caller then calls mxp_srtp_key_fini() and
 *         frees the memory. false otherwise.
 */
bool mxp_srtp_key_put(struct mxp_srtp_key *key);

/**
 * Return the pending event bits of a key session (MXP_SRTP_EV_KEY_SOFT,
 * MXP_SRTP_EV_KEY_EXHAUSTED) and clear them, in one atomic exchange; any thread. Each is
 * raised once per session, by the packet of whichever stream crossed the threshold.
 */
uint32_t mxp_srtp_key_events(struct mxp_srtp_key *key);

/**
 * Describe a key session for operators (never the key): fingerprint, MKI, usage by every
 * stream together (srtp_used = srtp_total), limits, soft, exhausted. Any thread (relaxed
 * atomic loads of what the worker writes). @c active is false.
 * @return 0, or -EINVAL on NULL arguments or a session not initialised.
 */
int mxp_srtp_key_info(const struct mxp_srtp_key *key, struct mxp_srtp_key_info *info);

/* --- streams ----------------------------------------------------------------------------- */

/**
 * Opaque stream: one SSRC in one direction, referring to its key sessions. Its first cache
 * line holds what every packet reads; then the SRTP counters and the SRTP replay ring (an
 * SRTP packet touches two lines for windows up to 128), the SRTCP ring (inbound streams
 * only), SRTCP state and the drop counters.
 */
struct mxp_srtp_stream;

/** Stream parameters. Zero-initialise, then set what you need. */
struct mxp_srtp_stream_params {
	enum mxp_srtp_dir dir;
	/** SSRC of the stream. Packets with another SSRC are dropped (ssrc_mismatch). */
	uint32_t ssrc;
	/**
	 * Inbound only: ignore @c ssrc and take the SSRC of the first packet that
	 * authenticates; from then on it is fixed (event MXP_SRTP_EV_SSRC_LEARNED).
	 */
	bool ssrc_learn;
	/**
	 * Replay window in packets (SRTP and SRTCP alike): 0 = MXP_SRTP_REPLAY_WINDOW_DEFAULT,
	 * else MIN..MAX. Must not exceed the window the memory was sized for
	 * (mxp_srtp_stream_size(), or mxp_srtp_stream_size_dir() with this @c dir: an
	 * inbound stream in memory sized for an outbound one would overrun it).
	 */
	uint32_t replay_window;
	/** Rollover counter of the first packet (usually 0; RFC 3711 3.3.1). */
	uint32_t roc;
	/** As in struct mxp_srtp_params: the stream is already running at (roc, s_l). */
	bool s_l_valid;
	uint16_t s_l;
	/** Inbound, with s_l_valid: every index of the replay window up to (roc, s_l) counts
	 *  as received (a stream resumed elsewhere whose replay list is not carried: what was
	 *  sent before cannot be replayed; a packet reordered across the resumption is lost). */
	bool window_seen;
	/** Outbound: SRTCP index of the first SRTCP packet (31 bits, usually 0). Inbound,
	 *  with srtcp_seen: the highest SRTCP index the stream had accepted where it ran
	 *  before (mxp_srtp_stream_info.srtcp_index). */
	uint32_t srtcp_index;
	/** Inbound: the stream resumes an SRTCP stream at srtcp_index, and every index of the
	 *  replay window up to it counts as received (as window_seen does for SRTP). */
	bool srtcp_seen;
	/** Outbound: send SRTCP with E=0 (RFC 4568 UNENCRYPTED_SRTCP); still authenticated. */
	bool srtcp_unencrypted;
};

/**
 * Bytes to allocate for a stream with this replay window (0 = the default): a multiple of
 * 64. The replay rings take only the 64-bit words the window needs (a power of two, at least
 * window + 64 bits): 256 bytes for windows 64 and 128, 704 for 1024.
 * @return the size, or 0 if the window is outside MIN..MAX.
 */
size_t mxp_srtp_stream_size(uint32_t replay_window);

/**
 * Bytes to allocate for a stream of this direction: an outbound stream numbers its SRTCP
 * packets itself and keeps no SRTCP replay ring, so with the smallest window it takes 192
 * bytes rather than 256. mxp_srtp_stream_size() is the inbound size, enough for either.
 * @return the size, or 0 if the window is outside MIN..MAX or @p dir is neither direction.
 */
size_t mxp_srtp_stream_size_dir(uint32_t replay_window, enum mxp_srtp_dir dir);

/**
 * Initialise a stream without keys (packets get no_key until mxp_srtp_stream_key_add()).
 *
 * @param s       mxp_srtp_stream_size_dir(window, p->dir) bytes (mxp_srtp_stream_size(window)
 *                are enough for either direction) aligned to MXP_SRTP_STREAM_ALIGN.
 * @param p       parameters; not referenced after the call.
 * @param err     receives a one-line message on failure (may be NULL).
 * @param errlen  size of @p err.
 * @return 0, or
 *   -EINVAL  NULL or misaligned @p s, bad direction or window, ssrc_learn on outbound,
 *            SRTCP index of 2^31 or more.
 */
int mxp_srtp_stream_init(struct mxp_srtp_stream *s, const struct mxp_srtp_stream_params *p,
			 char *err, size_t errlen);

/**
 * Wipe the stream (explicit_bzero of all its bytes). It does not drop references to its
 * key sessions: their owner does. NULL is a no-op.
 */
void mxp_srtp_stream_fini(struct mxp_srtp_stream *s);

/**
 * Let the stream use a key session. All keys of a stream have the same suite, driver and
 * MKI length (RFC 4568 6.1); with MKI length 0 the stream holds a single key. The first key
 * added becomes the active one (the one protect uses). Does not take a reference.
 * @return 0, or
 *   -EINVAL  NULL or uninitialised arguments; a suite, driver or MKI length other than that
 *            of the keys already present;
 *   -EEXIST  this session, or one with the same MKI, is present (or a key without MKI);
 *   -ENOSPC  MXP_SRTP_MAX_KEYS keys already present.
 */
int mxp_srtp_stream_key_add(struct mxp_srtp_stream *s, struct mxp_srtp_key *key);

/**
 * Stop using a key session (the session itself is untouched). Removing the active key
 * leaves an outbound stream without a key (no_key) until another is activated.
 * @return 0, -ENOENT if the stream does not use @p key, -EINVAL on NULL arguments.
 */
int mxp_srtp_stream_key_remove(struct mxp_srtp_stream *s, const struct mxp_srtp_key *key);

/**
 * Make a key the one protect uses (outbound; harmless on inbound, where the MKI in each
 * packet selects the key).
 * @return 0, -ENOENT if the stream does not use @p key, -EINVAL on NULL arguments.
 */
int mxp_srtp_stream_key_activate(struct mxp_srtp_stream *s, const struct mxp_srtp_key *key);

/**
 * The key session of a stream with this MKI (with @p mki_len 0: the key without MKI).
 * @return the session, or NULL if none.
 */
struct mxp_srtp_key *mxp_srtp_stream_key_find(const struct mxp_srtp_stream *s,
					       const uint8_t *mki, size_t mki_len);

/**
 * Move an outbound stream to a new SSRC (after an SSRC collision under the same key): a
 * fresh index space (ROC 0, the first packet fixes the sequence number, SRTCP index 0),
 * the same keys (SSRC is part of every IV: nothing to derive), counters kept. No
 * allocation, no key derivation: callable on the worker.
 * @return 0, or -EINVAL for NULL, an uninitialised or an inbound stream.
 */
int mxp_srtp_stream_set_ssrc(struct mxp_srtp_stream *s, uint32_t ssrc);

/** Copy the counters of a stream (owner thread). */
void mxp_srtp_stream_stats(const struct mxp_srtp_stream *s, struct mxp_srtp_stats *st);

/** Describe the stream state (@c driver: "none" before the first key). */
void mxp_srtp_stream_info(const struct mxp_srtp_stream *s, struct mxp_srtp_stream_info *si);

/**
 * Return the pending event bits of a stream (MXP_SRTP_EV_SSRC_LEARNED) and clear them, in
 * one atomic exchange; any thread. Key events are raised on the key sessions
 * (mxp_srtp_key_events()).
 */
uint32_t mxp_srtp_stream_events(struct mxp_srtp_stream *s);

/**
 * Prefetch what a packet of the stream reads first: its first two cache lines (state,
 * SRTP counters, and for windows up to 128 the SRTP replay ring). Call it when the packet is
 * queued, a burst before the crypto runs; with thousands of streams each is cold.
 */
void mxp_srtp_stream_prefetch(const struct mxp_srtp_stream *s);

/**
 * Prefetch the hot lines of the stream's active (else first) key session: its SRTP line and
 * the SRTP driver key. It reads the stream's first line: call it once that line is in cache
 * (a step after mxp_srtp_stream_prefetch()).
 */
void mxp_srtp_stream_prefetch_keys(const struct mxp_srtp_stream *s);

/* --- per-thread set-up ------------------------------------------------------------------ */

/**
 * Prepare the calling thread for the packet path: each registered driver allocates its
 * per-thread state (the intel-ipsec-mb manager). Call once on each worker lcore before its
 * loop; otherwise the first burst on a thread does it.
 * @return 0, or -ENOMEM.
 */
int mxp_srtp_thread_init(void);

/** Release the calling thread's driver state. */
void mxp_srtp_thread_fini(void);

/** Names of the registered drivers, best first, separated by spaces (static storage). */
const char *mxp_srtp_drivers(void);

/* --- plain-buffer packet API ------------------------------------------------------------ */

/** One packet in memory. */
struct mxp_srtp_pkt {
	uint8_t *data;  /**< first byte of the RTP/RTCP header */
	uint32_t len;   /**< in: packet length; out: length after the operation */
	uint32_t room;  /**< bytes writable after data + len (protect needs the trailer) */
};

/**
 * Protect n RTP packets in place: encrypt, append MKI and tag. ctx[i] protects pkt[i];
 * contexts may repeat. pkt[i].len grows by the trailer.
 * @param reason  reason[i] receives the outcome of pkt[i] (MXP_SRTP_R_OK on success).
 * @return the number of packets protected.
 */
uint16_t mxp_srtp_protect_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[],
			       uint16_t n, uint8_t reason[]);

/** Unprotect n SRTP packets in place (authenticate, commit replay state, decrypt, trim). */
uint16_t mxp_srtp_unprotect_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[],
				 uint16_t n, uint8_t reason[]);

/**
 * Verify n SRTP packets without decrypting (conference mode `forward`): check the tag and
 * the replay window and commit the window. The packets are left byte-identical, trailer
 * included; pkt[i].len is unchanged.
 */
uint16_t mxp_srtp_verify_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[],
			      uint16_t n, uint8_t reason[]);

/** SRTCP counterparts: protect appends E|index, MKI and tag (RFC 3711 3.4, RFC 7714 9). */
uint16_t mxp_srtcp_protect_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[],
				uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_unprotect_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[],
				  uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_verify_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[],
			       uint16_t n, uint8_t reason[]);

/**
 * One-packet helpers over a flat buffer (tools, tests, fuzzers).
 * @param buf  the packet; protect needs @p cap >= *len + trailer.
 * @param len  in/out packet length.
 * @param cap  size of @p buf.
 * @return MXP_SRTP_R_OK (0) or the drop reason.
 */
enum mxp_srtp_reason mxp_srtp_protect(struct mxp_srtp_ctx *ctx, uint8_t *buf, size_t *len,
				      size_t cap);
enum mxp_srtp_reason mxp_srtp_unprotect(struct mxp_srtp_ctx *ctx, uint8_t *buf, size_t *len);
enum mxp_srtp_reason mxp_srtcp_protect(struct mxp_srtp_ctx *ctx, uint8_t *buf, size_t *len,
				       size_t cap);
enum mxp_srtp_reason mxp_srtcp_unprotect(struct mxp_srtp_ctx *ctx, uint8_t *buf, size_t *len);

/**
 * The same over streams: s[i] protects pkt[i]; streams may repeat (they must be used by the
 * calling thread only, with their key sessions). Same semantics and code path as the
 * context versions above.
 */
uint16_t mxp_srtp_stream_protect_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
				      uint16_t n, uint8_t reason[]);
uint16_t mxp_srtp_stream_unprotect_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
					uint16_t n, uint8_t reason[]);
uint16_t mxp_srtp_stream_verify_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
				     uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_stream_protect_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
				       uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_stream_unprotect_pkts(struct mxp_srtp_stream *s[],
					 struct mxp_srtp_pkt pkt[], uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_stream_verify_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
				      uint16_t n, uint8_t reason[]);

/** One-packet helpers over a stream (as mxp_srtp_protect() etc.). */
enum mxp_srtp_reason mxp_srtp_stream_protect(struct mxp_srtp_stream *s, uint8_t *buf,
					     size_t *len, size_t cap);
enum mxp_srtp_reason mxp_srtp_stream_unprotect(struct mxp_srtp_stream *s, uint8_t *buf,
					       size_t *len);
enum mxp_srtp_reason mxp_srtcp_stream_protect(struct mxp_srtp_stream *s, uint8_t *buf,
					      size_t *len, size_t cap);
enum mxp_srtp_reason mxp_srtcp_stream_unprotect(struct mxp_srtp_stream *s, uint8_t *buf,
						size_t *len);

/* --- mbuf burst API ------------------------------------------------------------------- */

/**
 * Protect a burst of RTP packets carried in mbufs (see the file comment for the layout).
 * @param ctx     ctx[i] protects mb[i]; contexts may repeat.
 * @param mb      the packets; failures are moved to the end, keeping their order.
 * @param n       number of packets.
 * @param reason  after the call, reason[i] is the outcome of the mbuf now in mb[i]
 *                (MXP_SRTP_R_OK for i < return value). ctx[] is permuted with mb[].
 * @return the number of packets protected (they are mb[0 .. ret-1]).
 */
uint16_t mxp_srtp_protect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
				uint8_t reason[]);
/** Unprotect a burst of SRTP packets; trims MKI and tag. Same conventions. */
uint16_t mxp_srtp_unprotect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[],
				  uint16_t n, uint8_t reason[]);
/** Verify-only (forward mode): tag and replay window, packets left byte-identical. */
uint16_t mxp_srtp_verify_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
			       uint8_t reason[]);
/** SRTCP bursts. */
uint16_t mxp_srtcp_protect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[],
				 uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_unprotect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[],
				   uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_verify_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
				uint8_t reason[]);

/**
 * mbuf bursts over streams: s[i] protects mb[i]; failures are moved to the end with their
 * streams (s[] is permuted with mb[]) and reasons. Same conventions as the context versions.
 */
uint16_t mxp_srtp_stream_protect_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[],
				       uint16_t n, uint8_t reason[]);
uint16_t mxp_srtp_stream_unprotect_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[],
					 uint16_t n, uint8_t reason[]);
uint16_t mxp_srtp_stream_verify_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[],
				      uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_stream_protect_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[],
					uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_stream_unprotect_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[],
					  uint16_t n, uint8_t reason[]);
uint16_t mxp_srtcp_stream_verify_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[],
				       uint16_t n, uint8_t reason[]);

#ifdef __cplusplus
}
#endif

#endif /* MXP_SRTP_H */
