/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/esp: ESP (RFC 4303) in transport mode, over IP protocol 50 or UDP-encapsulated
 * (RFC 3948, port 4500), for the Mp control interface.
 *
 * Layers, bottom up:
 *  - crypto backends behind ::mxp_esp_crypto_ops: lib/crypto's single-buffer transforms
 *    (intel-ipsec-mb for the daemon, OpenSSL for mrfc); the packet logic is written once
 *    above them;
 *  - a security association (::mxp_esp_sa): keys, sequence number, anti-replay window
 *    (RFC 6479 bitmap, ESN per RFC 4303 appendix A), and mxp_esp_sa_inbound() /
 *    mxp_esp_sa_outbound() over plain buffers that start at the SPI;
 *  - an endpoint (::mxp_esp_ep): the SAD keyed by (SPI, local address), the policy (which
 *    peers may send Mp, which outbound SA replies use) and one counter per drop reason;
 *  - frame helpers to parse and build the outer IPv4/IPv6 [+UDP 4500] headers and the inner
 *    UDP header, for callers that hold whole IP packets (the daemon, tests).
 *
 * Nothing here logs, prints or allocates per packet. Keys are copied into the SA, never
 * printed (mxp_esp_sa_fingerprint() gives the first 8 hex digits of their SHA-256) and wiped
 * by mxp_esp_sa_fini() / mxp_esp_ep_sa_del().
 */
#ifndef MXP_ESP_H
#define MXP_ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_crypto.h"
#include "mxp_ip.h"

#ifdef __cplusplus
extern "C" {
#endif

/** IP protocol number of ESP. */
#define MXP_ESP_IPPROTO 50
/** UDP port of UDP-encapsulated ESP (RFC 3948). */
#define MXP_ESP_NATT_PORT 4500
/** IP protocol "no next header": an ESP dummy packet (RFC 4303 2.6). */
#define MXP_ESP_NH_NONE 59

/** Smallest and largest anti-replay windows (bits); the window is a multiple of 64. */
#define MXP_ESP_WINDOW_MIN 64
#define MXP_ESP_WINDOW_MAX 2048
#define MXP_ESP_WINDOW_DEFAULT 128

/** Largest key material: AES-256 key + 4-byte salt, or a 32-byte HMAC-SHA-256 key. */
#define MXP_ESP_KEY_MAX 36

/** Worst-case bytes ESP adds to a payload: SPI+SEQ (8), IV (16), pad (15) + 2, ICV (16). */
#define MXP_ESP_OVERHEAD_MAX (8 + 16 + 15 + 2 + 16)

/** ESP transforms. */
enum mxp_esp_alg {
	MXP_ESP_ALG_NONE = 0,
	MXP_ESP_ALG_AES_GCM_128,        /**< RFC 4106, 16-byte ICV, key 16 + salt 4 */
	MXP_ESP_ALG_AES_GCM_256,        /**< RFC 4106, 16-byte ICV, key 32 + salt 4 */
	MXP_ESP_ALG_AES_CBC_HMAC_SHA1,  /**< RFC 3602 + RFC 2404: AES-128-CBC, HMAC-SHA1-96 */
	MXP_ESP_ALG_AES_CBC_HMAC_SHA256,/**< RFC 3602 + RFC 4868: AES-128-CBC, HMAC-SHA-256-128 */
	MXP_ESP_ALG_MAX
};

/** Name of an algorithm as used in key files ("aes-gcm-128", ...), or NULL. */
const char *mxp_esp_alg_name(enum mxp_esp_alg alg);
/** Algorithm from its key-file name (case-insensitive); MXP_ESP_ALG_NONE if unknown. */
enum mxp_esp_alg mxp_esp_alg_from_name(const char *name);

/**
 * Drop reasons, one table: enum name, short name and description. Every packet the endpoint refuses is
 * counted under exactly one of them.
 */
#define MXP_ESP_DROPS(X) \
	X(NONE,          "none", "accepted") \
	X(MALFORMED,     "malformed", "outer IP/UDP header malformed or truncated") \
	X(REASSEMBLY,    "reassembly", "IP fragment discarded by reassembly (timed out, overlapping, too many, table full)") \
	X(SHORT,         "short", "ESP packet shorter than header, IV, padding trailer and ICV") \
	X(KEEPALIVE,     "keepalive", "NAT-keepalive on UDP 4500 (RFC 3948 2.3), not an error") \
	X(NOT_ESP,       "not_esp", "UDP 4500 payload with a non-ESP marker (IKE is not spoken here)") \
	X(NO_SA,         "no_sa", "no inbound SA for this SPI and destination") \
	X(SA_PEER,       "sa_peer", "source address or encapsulation differs from the SA's peer") \
	X(SA_PORT,       "sa_port", "UDP-encapsulated from the SA's peer, but not from its peer-port to its local-port (a NAT rebinding?)") \
	X(NOT_IN_POLICY, "not_in_policy", "peer not allowed to send Mp by the policy") \
	X(PLAINTEXT,     "plaintext", "Mp in the clear refused (allow-plaintext-mp is off)") \
	X(BAD_SEQ,       "bad_seq", "sequence number 0") \
	X(TOO_OLD,       "too_old", "sequence number left of the anti-replay window") \
	X(REPLAY,        "replay", "sequence number already received") \
	X(BAD_ICV,       "bad_icv", "integrity check value mismatch") \
	X(BAD_LENGTH,    "bad_length", "ciphertext not a whole number of cipher blocks") \
	X(BAD_PADDING,   "bad_padding", "padding length or padding bytes malformed") \
	X(DUMMY,         "dummy", "dummy packet (next header 59), discarded") \
	X(SEQ_OVERFLOW,  "seq_overflow", "outbound sequence number exhausted: the SA must be replaced") \
	X(NO_OUT_SA,     "no_out_sa", "no outbound SA for this peer") \
	X(TOO_BIG,       "too_big", "output buffer too small") \
	X(CRYPTO,        "crypto", "crypto backend failure")

#define MXP_ESP_DROP_ENUM_(n, s, d) MXP_ESP_DROP_##n,
/** Why a packet was dropped; MXP_ESP_DROP_NONE means it was accepted. */
enum mxp_esp_drop { MXP_ESP_DROPS(MXP_ESP_DROP_ENUM_) MXP_ESP_DROP_MAX };
#undef MXP_ESP_DROP_ENUM_

/** Short lower-case name of a drop reason ("bad_icv"), or "?" if out of range. */
const char *mxp_esp_drop_name(enum mxp_esp_drop d);
/** One-line description of a drop reason. */
const char *mxp_esp_drop_desc(enum mxp_esp_drop d);

/* ------------------------------------------------------------------------------------------
 * Crypto backends
 */

/** Bytes of per-SA key schedule a backend may use (inside ::mxp_esp_sa). */
#define MXP_ESP_CRYPTO_PRIV_SIZE 1280

/**
 * One transform over a contiguous buffer: lib/crypto's single-buffer operation
 * (::mxp_crypto_sym_op: iv, aad, aad_len, data, data_len, auth, auth_len, icv, icv_len).
 */
#define mxp_esp_crypto_op mxp_crypto_sym_op

/**
 * A crypto backend as an SA sees it: lib/crypto's transforms under their ESP names, chosen
 * once when an SA is set up, never tested per packet.
 */
struct mxp_esp_crypto_ops {
	const char *name; /**< "ipsec-mb" or "openssl" */
	/** Expand keys into priv (MXP_ESP_CRYPTO_PRIV_SIZE bytes, 64-byte aligned). 0 or -errno.
	 *  A GCM key may be given with or without its 4-byte salt. */
	int (*sa_init)(void *be, void *priv, enum mxp_esp_alg alg, const uint8_t *key,
		       size_t key_len, const uint8_t *auth_key, size_t auth_key_len);
	/** Release what sa_init took and wipe priv. */
	void (*sa_fini)(void *be, void *priv);
	/** Encrypt data in place and write the ICV. 0 or -errno. */
	int (*seal)(void *be, void *priv, enum mxp_esp_alg alg, const struct mxp_esp_crypto_op *op);
	/** Check the ICV in constant time, then decrypt in place. 0, -EBADMSG or -errno. */
	int (*open)(void *be, void *priv, enum mxp_esp_alg alg, const struct mxp_esp_crypto_op *op);
};

/**
 * A backend instance: its ops, its state (a lib/crypto backend: for intel-ipsec-mb, the
 * thread's managers), and the source of random bytes used for IVs (a CSPRNG; tests may
 * substitute a deterministic one). One instance serves one thread.
 */
struct mxp_esp_crypto {
	const struct mxp_esp_crypto_ops *ops;
	void *be;
	int (*rand)(void *arg, uint8_t *buf, size_t len); /**< 0 or -errno */
	void *rand_arg;
};

/**
 * Set up a backend instance by name: "ipsec-mb" or "openssl" (mxp_crypto_sym_open()).
 * Allocates the backend's state (setup time only); IVs come from getrandom(2) (ipsec-mb)
 * or RAND_bytes (OpenSSL).
 * @return 0, -ENOENT for an unknown or unbuilt backend, -ENOTSUP (no AES-NI), -ENOMEM.
 */
int mxp_esp_crypto_open(struct mxp_esp_crypto *c, const char *name);
/** Release a backend instance opened by mxp_esp_crypto_open(). */
void mxp_esp_crypto_close(struct mxp_esp_crypto *c);

/* ------------------------------------------------------------------------------------------
 * Addresses and SA parameters
 */

/* Addresses are struct mxp_ip (lib/common mxp_ip.h): mxp_ip_parse(), mxp_ip_format(),
 * mxp_ip_equal(). */

enum mxp_esp_dir { MXP_ESP_DIR_IN = 0, MXP_ESP_DIR_OUT = 1 };

/** What an SA is configured with (manual keying). */
struct mxp_esp_sa_params {
	enum mxp_esp_dir dir;
	uint32_t spi;                /**< not 0..255 (reserved, RFC 4303 2.1) */
	enum mxp_esp_alg alg;
	struct mxp_ip local;   /**< our address: the SAD key of inbound SAs with the SPI */
	struct mxp_ip peer;    /**< the other end: inbound packets must come from it */
	bool udp_encap;              /**< RFC 3948 UDP encapsulation */
	uint16_t local_port;         /**< UDP encapsulation: our port (4500) */
	uint16_t peer_port;          /**< UDP encapsulation: the peer's port (4500, or NATed) */
	bool esn;                    /**< 64-bit extended sequence numbers */
	uint32_t window;             /**< inbound: anti-replay window in bits, 0 for default */
	/** where the SA starts ("seq=", resuming an SA): outbound the last number sent (the
	 *  next packet carries seq + 1), inbound the highest one received; 0 for a new SA.
	 *  Without ESN at most 2^32 - 1 (an outbound SA there can send nothing). */
	uint64_t seq;
	uint8_t key[MXP_ESP_KEY_MAX];/**< cipher key; for GCM followed by the 4-byte salt */
	uint8_t key_len;             /**< 20 or 36 for GCM, 16 for CBC */
	uint8_t auth_key[MXP_ESP_KEY_MAX]; /**< HMAC key (CBC suites) */
	uint8_t auth_key_len;        /**< 20 for SHA1, 32 for SHA-256 */
};

/**
 * Parse one SA from its key-file form (see doc/security.md), e.g.
 * "in spi=0x1001 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 key=<hex> [encap=udp]
 *  [local-port=4500] [peer-port=4500] [esn=on] [window=128] [seq=N] [auth-key=<hex>]".
 * @param err  receives a message naming the offending word (never key material)
 * @return 0 or -EINVAL.
 */
int mxp_esp_sa_params_parse(struct mxp_esp_sa_params *p, const char *line, char *err,
			    size_t errlen);

/** Check parameters: key lengths match the algorithm, SPI not reserved, window range. */
int mxp_esp_sa_params_check(const struct mxp_esp_sa_params *p, char *err, size_t errlen);

/** Wipe parameters (they hold keys). */
void mxp_esp_sa_params_wipe(struct mxp_esp_sa_params *p);

/* ------------------------------------------------------------------------------------------
 * Security association
 */

/** Per-SA counters. */
struct mxp_esp_sa_stats {
	uint64_t packets;     /**< accepted (in) or sent (out) */
	uint64_t bytes;       /**< inner payload bytes */
	uint64_t drops[MXP_ESP_DROP_MAX];
};

struct mxp_esp_sa;

/** Bytes to allocate for an SA (64-byte aligned). */
size_t mxp_esp_sa_size(void);

/**
 * Initialise an SA in caller memory: copy and expand the keys with the backend, reset the
 * sequence number and the window. For outbound GCM SAs, draw the 64-bit IV base from c->rand.
 * @param sa  mxp_esp_sa_size() bytes, 64-byte aligned
 * @param c   the backend instance, which must outlive the SA
 * @return 0, -EINVAL (bad parameters, message in err), or the backend's -errno.
 */
int mxp_esp_sa_init(struct mxp_esp_sa *sa, const struct mxp_esp_sa_params *p,
		    const struct mxp_esp_crypto *c, char *err, size_t errlen);

/** Release the backend state and wipe the SA's keys. */
void mxp_esp_sa_fini(struct mxp_esp_sa *sa);

/** The SA's parameters (read-only; keys included: never print them). */
const struct mxp_esp_sa_params *mxp_esp_sa_params_get(const struct mxp_esp_sa *sa);
/** The SA's counters. */
const struct mxp_esp_sa_stats *mxp_esp_sa_stats_get(const struct mxp_esp_sa *sa);
/** Next outbound sequence number (last sent + 1) or highest accepted inbound one. */
uint64_t mxp_esp_sa_seq(const struct mxp_esp_sa *sa);
/**
 * Outbound: set the counter, the next packet uses seq + 1. Inbound: reset the window with
 * seq as its top (already received). For tests (overflow, ESN) and resuming an SA.
 */
void mxp_esp_sa_seq_set(struct mxp_esp_sa *sa, uint64_t seq);

/**
 * Fingerprint of the SA's key material: the first 8 hex digits of SHA-256(key | auth_key),
 * NUL-terminated in out[9]. Safe to log.
 */
void mxp_esp_sa_fingerprint(const struct mxp_esp_sa *sa, char out[9]);

/** Result of a successful inbound packet. */
struct mxp_esp_rx {
	struct mxp_esp_sa *sa;
	uint64_t seq;        /**< full (ESN) sequence number */
	uint8_t next_proto;  /**< inner protocol (17 for UDP) */
	size_t off;          /**< inner payload offset in the buffer given */
	size_t len;          /**< inner payload length */
};

/**
 * Process one inbound ESP packet with a known SA: anti-replay check, ICV check (constant
 * time), decrypt in place, padding check, then commit the window. Nothing in the SA changes
 * unless the packet is accepted; the drop is counted in the SA.
 * @param esp  the packet from the SPI to the ICV, decrypted in place
 * @return MXP_ESP_DROP_NONE with rx filled, or the reason the packet was dropped.
 */
enum mxp_esp_drop mxp_esp_sa_inbound(struct mxp_esp_sa *sa, uint8_t *esp, size_t len,
				     struct mxp_esp_rx *rx);

/**
 * Build one outbound ESP packet: SPI, next sequence number, IV, encrypted payload with
 * padding and trailer, ICV.
 * @param payload    inner payload (e.g. UDP header + Mp text); may not overlap out
 * @param next_proto inner protocol
 * @param out        receives the ESP packet (from the SPI)
 * @param out_len    receives its length (at most len + MXP_ESP_OVERHEAD_MAX)
 * @return MXP_ESP_DROP_NONE, SEQ_OVERFLOW (the counter would wrap: the SA refuses),
 *         TOO_BIG, CRYPTO.
 */
enum mxp_esp_drop mxp_esp_sa_outbound(struct mxp_esp_sa *sa, const uint8_t *payload,
				      size_t len, uint8_t next_proto, uint8_t *out, size_t cap,
				      size_t *out_len);

/* ------------------------------------------------------------------------------------------
 * Anti-replay window (RFC 6479), exposed for its table-driven test.
 */

struct mxp_esp_replay {
	uint64_t top;        /**< highest sequence number accepted */
	uint32_t window;     /**< bits */
	uint32_t nblocks;    /**< power of two, > window / 64 */
	uint64_t bitmap[MXP_ESP_WINDOW_MAX / 64 * 2];
};

/** Reset a window of the given size (a multiple of 64 in [64, 2048]). 0 or -EINVAL. */
int mxp_esp_replay_init(struct mxp_esp_replay *r, uint32_t window);
/** Check a sequence number without recording it: NONE, BAD_SEQ, TOO_OLD or REPLAY. */
enum mxp_esp_drop mxp_esp_replay_check(const struct mxp_esp_replay *r, uint64_t seq);
/** Record an accepted sequence number (after its ICV checked). */
void mxp_esp_replay_commit(struct mxp_esp_replay *r, uint64_t seq);
/**
 * Infer the full 64-bit sequence number from its low 32 bits (RFC 4303 appendix A2.2).
 */
uint64_t mxp_esp_replay_esn(const struct mxp_esp_replay *r, uint32_t seq_lo);

/* ------------------------------------------------------------------------------------------
 * Endpoint: SAD, policy, counters
 */

/** Outer headers of an ESP packet, as parsed from (or to be built into) an IP packet. */
struct mxp_esp_meta {
	struct mxp_ip src;
	struct mxp_ip dst;
	bool udp_encap;       /**< ESP inside UDP (RFC 3948) */
	uint16_t sport, dport;/**< UDP ports when udp_encap */
};

/** A peer of the policy: it may send Mp; replies to it use out_spi. */
struct mxp_esp_peer {
	struct mxp_ip addr;
	uint32_t out_spi;     /**< 0: the peer may send but gets no reply SA (counted NO_OUT_SA) */
};

struct mxp_esp_ep;

/** Bytes to allocate for an endpoint holding max_sa SAs and max_peers policy entries. */
size_t mxp_esp_ep_size(uint32_t max_sa, uint32_t max_peers);

/**
 * Initialise an endpoint in caller memory (mxp_esp_ep_size() bytes, 64-byte aligned).
 * @param c                backend for every SA of this endpoint
 * @param allow_plaintext  lab flag: accept Mp in the clear from policy peers
 * @return 0 or -EINVAL.
 */
int mxp_esp_ep_init(struct mxp_esp_ep *ep, uint32_t max_sa, uint32_t max_peers,
		    const struct mxp_esp_crypto *c, bool allow_plaintext);

/** Remove (and wipe) every SA. */
void mxp_esp_ep_fini(struct mxp_esp_ep *ep);

/**
 * Add an SA. Inbound SAs are keyed by (SPI, local address); outbound ones by SPI.
 * @return 0, -EEXIST (same key), -ENOSPC, -EINVAL (message in err), backend -errno.
 */
int mxp_esp_ep_sa_add(struct mxp_esp_ep *ep, const struct mxp_esp_sa_params *p, char *err,
		      size_t errlen);
/** Remove an SA and wipe its keys. dst is the local address for inbound SAs, ignored for
 * outbound ones. @return 0 or -ENOENT. */
int mxp_esp_ep_sa_del(struct mxp_esp_ep *ep, enum mxp_esp_dir dir, uint32_t spi,
		      const struct mxp_ip *dst);
/** Find an SA (NULL if absent). */
struct mxp_esp_sa *mxp_esp_ep_sa_find(struct mxp_esp_ep *ep, enum mxp_esp_dir dir, uint32_t spi,
				      const struct mxp_ip *dst);
/** Number of SAs, and the i-th one (for listings; i < count). */
uint32_t mxp_esp_ep_sa_count(const struct mxp_esp_ep *ep);
struct mxp_esp_sa *mxp_esp_ep_sa_at(struct mxp_esp_ep *ep, uint32_t i);

/** Add or replace a policy peer. @return 0, -ENOSPC, -EINVAL. */
int mxp_esp_ep_peer_add(struct mxp_esp_ep *ep, const struct mxp_esp_peer *peer);
/** Remove a policy peer. @return 0 or -ENOENT. */
int mxp_esp_ep_peer_del(struct mxp_esp_ep *ep, const struct mxp_ip *addr);
/** Number of policy peers, and a copy of the i-th one (listings). @return 0 or -ENOENT. */
uint32_t mxp_esp_ep_peer_count(const struct mxp_esp_ep *ep);
int mxp_esp_ep_peer_at(const struct mxp_esp_ep *ep, uint32_t i, struct mxp_esp_peer *out);

/**
 * Inbound: policy check of the source, SAD lookup by (SPI, dst), SA selector check (source
 * address, and UDP encapsulation and peer port), then mxp_esp_sa_inbound().
 * @return NONE with rx filled, or the drop reason (counted in the endpoint).
 */
enum mxp_esp_drop mxp_esp_ep_input(struct mxp_esp_ep *ep, const struct mxp_esp_meta *m,
				   uint8_t *esp, size_t len, struct mxp_esp_rx *rx);

/**
 * Mp received in the clear from src: NONE if the lab flag allows it and src is a policy
 * peer, otherwise PLAINTEXT or NOT_IN_POLICY (counted).
 */
enum mxp_esp_drop mxp_esp_ep_plain_input(struct mxp_esp_ep *ep, const struct mxp_ip *src);

/**
 * Outbound to a peer through the policy's outbound SA: the ESP packet in out, and in m the
 * outer addresses and UDP ports to send it with.
 * @return NONE, NO_OUT_SA, or mxp_esp_sa_outbound()'s reason (counted).
 */
enum mxp_esp_drop mxp_esp_ep_output(struct mxp_esp_ep *ep, const struct mxp_ip *peer,
				    const uint8_t *payload, size_t len, uint8_t next_proto,
				    uint8_t *out, size_t cap, size_t *out_len,
				    struct mxp_esp_meta *m);

/** Count a drop the caller detected (e.g. MALFORMED from mxp_esp_frame_parse()). */
void mxp_esp_ep_count(struct mxp_esp_ep *ep, enum mxp_esp_drop d);
/** The endpoint's counters, one per drop reason (index NONE counts accepted packets). */
const uint64_t *mxp_esp_ep_counters(const struct mxp_esp_ep *ep);

/* ------------------------------------------------------------------------------------------
 * Key files
 */

/** Accept key files readable by group or others (tests, labs). */
#define MXP_ESP_KEYFILE_ANY_MODE 0x1

/**
 * Load a key file into an endpoint: "sa ..." lines (mxp_esp_sa_params_parse()) and
 * "peer <addr> [out-spi=<spi>]" lines, '#' comments. All or nothing: on any error no SA or
 * peer of the file is left in the endpoint. The file buffer and parameters are wiped.
 * @return the number of SAs added, -EPERM (mode allows group/other access and flags lack
 *         MXP_ESP_KEYFILE_ANY_MODE), -errno of open/read, -EINVAL with "file:line: ..." in err.
 */
int mxp_esp_keyfile_load(struct mxp_esp_ep *ep, const char *path, unsigned int flags, char *err,
			 size_t errlen);

/**
 * The same from text in memory (manual keying from the CLI): "sa" and "peer" lines, all or
 * nothing. The copy made of the text and the parsed keys are wiped; the caller wipes its own.
 * @param name  names the source in messages ("name:line: ...")
 * @return the number of SAs added, -EINVAL with the line in err, -ENOMEM, or an endpoint error.
 */
int mxp_esp_keybuf_load(struct mxp_esp_ep *ep, const char *name, const char *text, size_t len,
			char *err, size_t errlen);

/* ------------------------------------------------------------------------------------------
 * Frames: outer IPv4/IPv6 [+ UDP] headers, and the inner UDP header
 */

/**
 * Parse an IP packet carrying ESP (protocol 50, or UDP to/from port 4500 with a non-zero
 * first word). On success esp_off/esp_len locate the ESP packet.
 * @return NONE, MALFORMED, KEEPALIVE (0xff on 4500), NOT_ESP (non-ESP marker or another
 *         protocol).
 */
enum mxp_esp_drop mxp_esp_frame_parse(const uint8_t *pkt, size_t len, struct mxp_esp_meta *m,
				      size_t *esp_off, size_t *esp_len);

/** Bytes of outer headers mxp_esp_frame_build() writes before the ESP packet. */
size_t mxp_esp_frame_hdr_len(const struct mxp_esp_meta *m);

/**
 * Write the outer IPv4/IPv6 [+UDP] headers for an ESP packet of esp_len bytes that the
 * caller has placed at buf + mxp_esp_frame_hdr_len(m). @return total length, or -ENOSPC.
 */
int mxp_esp_frame_build(uint8_t *buf, size_t cap, const struct mxp_esp_meta *m, size_t esp_len);

/**
 * Build a UDP header + payload (checksum over the pseudo-header of src/dst) into out.
 * @return total length or -ENOSPC.
 */
int mxp_esp_udp_build(uint8_t *out, size_t cap, const struct mxp_ip *src,
		      const struct mxp_ip *dst, uint16_t sport, uint16_t dport,
		      const uint8_t *payload, size_t len);

/**
 * Parse an inner UDP header (transport mode: the checksum is not verified, ESP already
 * authenticated the bytes; RFC 3948 3.1.2). @return 0 or -EINVAL.
 */
int mxp_esp_udp_parse(const uint8_t *p, size_t len, uint16_t *sport, uint16_t *dport,
		      size_t *payload_off, size_t *payload_len);

#ifdef __cplusplus
}
#endif
#endif /* MXP_ESP_H */
