/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Conferences, legs, key groups and output streams: the conference data path.
 *
 * Ownership. A conference and everything in it (legs, key groups, output streams, SRTP
 * contexts) belong to one worker. Only that worker reads or writes them on the packet
 * path. The control core changes them by posting a command that the owner runs between
 * two bursts and acknowledges (mxp_conf_worker_poll()); it learns state the same way
 * (snapshots). The one structure workers share is the classification table (local
 * address, UDP port) → leg, written by the control core and read under RCU (rte_rcu_qsbr):
 * memory of a removed leg is wiped and freed only after every worker passed a quiescent
 * point. A packet that arrives on a worker that does not own its leg is handed to the
 * owner over a ring.
 *
 * Control API (mxp_conf_create(), mxp_conf_leg_add(), ...) runs on the control core only;
 * the lab CLI and the Mp control plane both call it. Worker API (mxp_conf_rx(),
 * mxp_conf_flush(), mxp_conf_worker_poll()) runs on each worker lcore.
 *
 * Modes:
 *  - switch:  decrypt each sender's packet with its key, re-encrypt it once per key group
 *             (an output stream per sender and group, own SSRC and sequence), replicate to
 *             the group's receivers;
 *  - forward: every leg uses the conference key; verify tag and replay window without
 *             decrypting and replicate the packet byte for byte;
 *  - mix:     decode, mix, encode (lib/media).
 */
#ifndef MXP_CONF_H
#define MXP_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mxp_drop.h"
#include "mxp_media.h"
#include "mxp_media_codec.h"
#include "mxp_pkt.h"
#include "mxp_srtp.h"

#define MXP_CONF_MAX_PORTS 16
#define MXP_CONF_MAX_WORKERS 64
#define MXP_CONF_MAX_PT 16
#define MXP_CONF_NAME_LEN 64

/** Conference modes. */
enum mxp_conf_mode {
	MXP_CONF_SWITCH = 1,
	MXP_CONF_FORWARD = 2,
	MXP_CONF_MIX = 3,
};

/* enum mxp_stream_mode and its predicates are lib/media's (mxp_media.h). */

const char *mxp_conf_mode_name(enum mxp_conf_mode m);
/** Parse "switch", "forward", "mix". Returns 0 or -EINVAL. */
int mxp_conf_mode_parse(const char *s, enum mxp_conf_mode *m);
const char *mxp_stream_mode_name(enum mxp_stream_mode m);
/** Parse "sendrecv", "sendonly", "recvonly", "inactive". Returns 0 or -EINVAL. */
int mxp_stream_mode_parse(const char *s, enum mxp_stream_mode *m);

/** One SRTP master key as signalled in SDES (RFC 4568). Wiped by whoever owns it. */
struct mxp_conf_key {
	enum mxp_srtp_suite suite;
	uint8_t key[MXP_SRTP_MAX_KEY_LEN];
	uint8_t salt[MXP_SRTP_MAX_SALT_LEN];
	uint8_t mki[MXP_SRTP_MAX_MKI_LEN];
	uint8_t mki_len;
	uint64_t lifetime;       /**< packets; 0 = the RFC 3711 maxima */
};

/** The keys of one direction of a leg. */
struct mxp_conf_keys {
	uint8_t nkeys;
	uint8_t active;          /**< index of the key protect uses (outbound) */
	uint32_t kdr;            /**< key derivation rate (RFC 3711 4.3.1), 0 = derive once */
	struct mxp_conf_key key[MXP_SRTP_MAX_KEYS];
};

struct mxp_sdes_crypto;

/**
 * Append the keys of a parsed a=crypto attribute (lib/srtp's mxp_sdes_parse()) to a
 * direction's key set. The lab CLI and the Mp control plane both use it.
 * @param outbound  the mixer's key: UNENCRYPTED_SRTCP is refused (RTCP is never sent in
 *                  the clear on an SRTP leg).
 * @return 0, -EINVAL / -ENOSPC with err naming the problem (never the key).
 */
int mxp_conf_keys_add_sdes(struct mxp_conf_keys *ks, const struct mxp_sdes_crypto *c,
			   bool outbound, char *err, size_t errlen);

/** Conference parameters. */
struct mxp_conf_params {
	enum mxp_conf_mode mode;
	uint16_t topn;           /**< switch: forward only the N loudest senders, 0 = all;
				      mix: talkers mixed, 0 = 3 */
	uint32_t replay_window;  /**< SRTP replay window of its legs; 0 = default (128) */
	uint32_t max_legs;       /**< mix: capacity of the mixer; 0 = 1024 */
	uint16_t ptime;          /**< mix: packet time in ms (10, 20, 30, 40); 0 = 20 */
	char name[MXP_CONF_NAME_LEN];
};

/** mix: a dynamic payload type (SDP a=rtpmap and a=fmtp): its codec and parameters. */
struct mxp_leg_codec {
	uint8_t pt;
	uint8_t codec;               /**< enum mxp_media_codec */
	struct mxp_media_fmtp fmtp;  /**< mxp_media_fmtp_parse() of its a=fmtp */
};

/**
 * Where a leg's inbound SRTP stream stands (RFC 3711 3.3.1): the highest index it accepted,
 * as rollover counter and sequence number. A leg re-created elsewhere (Mp's Move) resumes
 * from it, so that a participant whose sequence number has wrapped is still accepted, and
 * nothing it sent before (SRTP or SRTCP) can be replayed after.
 */
struct mxp_leg_rx_state {
	bool valid;              /**< the stream had accepted a packet (ssrc, roc, s_l set) */
	uint32_t ssrc;           /**< the participant's SSRC, which the state belongs to */
	uint32_t roc;
	uint16_t s_l;
	bool srtcp_valid;        /**< the stream had accepted an SRTCP packet (ssrc set) */
	uint32_t srtcp_index;    /**< the highest SRTCP index it accepted */
};

/** A latched leg's port that is a guess (RTP's from RTCP's, or RTCP's from RTP's). */
#define MXP_LEG_RTP_GUESSED 0x1
#define MXP_LEG_RTCP_GUESSED 0x2

/** Leg parameters for mxp_conf_leg_add(). Zero-initialise, then fill. */
struct mxp_leg_params {
	/** 0: the leg gets a new id. Else this id, one the system gave before and no leg
	 *  has now (a leg re-created elsewhere keeps its id: Mp's Move). */
	uint32_t id;
	uint8_t af;              /**< AF_INET or AF_INET6: which local address */
	uint16_t port_idx;       /**< daemon port the local address is on */
	uint16_t local_port;     /**< 0: allocate an even port from the media range */
	bool remote_known;       /**< false: learn it from the first authenticated packet */
	struct mxp_ip remote;
	uint16_t remote_port;
	uint16_t remote_rtcp_port; /**< 0: remote_port + 1 (or remote_port with rtcp_mux) */
	/** With remote_known: which ports are guesses (MXP_LEG_RTP_GUESSED,
	 *  MXP_LEG_RTCP_GUESSED), learnt from the leg's first packet of that kind from the
	 *  remote address, even on a strict leg. A leg latched from one kind of packet guesses
	 *  the other's port (mxp_leg_info.remote_guessed); Mp's Move passes it on. */
	uint8_t remote_guessed;
	bool rtcp_mux;           /**< RTP and RTCP on one port (RFC 5761) */
	enum mxp_stream_mode mode;
	bool strict;             /**< never latch to another source address */
	/**
	 * An asymmetric endpoint: authenticated media from any source address and port is
	 * accepted, and the destination (remote) never moves. Needs SRTP and remote_known;
	 * excludes strict. The default (neither) latches, RFC 4961 symmetric RTP.
	 */
	bool asymmetric;
	bool plain;              /**< plain RTP, no SRTP (lab only) */
	/**
	 * mix: a cascade leg, the link to another MRFP's part of the same conference. It is
	 * always mixed (a slot of its own, outside topn), hears the mix of the legs that are
	 * not cascade legs (so never its own input, nor what another cascade leg brings: no
	 * echo, no relay, no loop), and its input is heard by every other leg. A conference
	 * holds at most mxp_conf_max_cascade() of them; switch and forward refuse them.
	 */
	bool cascade;
	struct mxp_conf_keys in; /**< the participant's keys (Remote SDP) */
	struct mxp_conf_keys out;/**< the keys the mixer sends with (Local SDP) */
	uint8_t n_pt;            /**< accepted RTP payload types; 0 = any */
	uint8_t pt[MXP_CONF_MAX_PT];
	uint8_t audio_level_id;  /**< RFC 6464 extension id, 0 = none */
	int16_t event_pt;        /**< mix: RFC 4733 telephone-event payload type, 0 = none */
	/** What the payload types of pt[] without a static meaning (PCMU 0, PCMA 8, G722 9)
	 *  carry: AMR, AMR-WB, Opus, a plugin codec. mix: the first of pt[] the mixer decodes
	 *  is the one the leg receives. switch: the first of pt[] that is PCMU, PCMA, G722 or
	 *  one of these is what the MRFP's signals toward the leg are encoded in. */
	uint8_t n_codecs;
	struct mxp_leg_codec codecs[MXP_CONF_MAX_PT];
	char label[MXP_CONF_NAME_LEN];
	/** RTP clock (Hz) of what the participant sends (its SDP's first payload type: a=rtpmap
	 *  or RFC 3551); 0 = from pt[] and codecs[] (mix: its codec; else 8000) */
	uint32_t rtp_clock;
	/** The SDP's bandwidths, each used only with its MXP_LEG_BW_* bit in bw_given: b=AS
	 *  (kbit/s, the session's; else 64), RFC 3556 b=RS and b=RR (bit/s, RTCP's senders'
	 *  and receivers' shares; else 1.25% and 3.75% of the session's). RS = RR = 0: no RTCP */
	uint8_t bw_given;
	uint32_t bw_as, bw_rs, bw_rr;
	/** The participant's stream goes on from here (mxp_leg_info.rx_state of the leg this
	 *  one replaces); valid = false: a new stream */
	struct mxp_leg_rx_state rx_resume;
};
#define MXP_LEG_BW_AS 0x1
#define MXP_LEG_BW_RS 0x2
#define MXP_LEG_BW_RR 0x4

/**
 * Why a leg's packet was refused: every packet of a leg that is not delivered is counted
 * under exactly one of these, per leg (mxp_leg_stats.drops[]), besides the worker's drop
 * reason (mxp_drop.h; the jitter buffer's reasons have none). Filtered packets (top-N,
 * floor) are not refusals and keep their own counters. Add new reasons at the end.
 * X(ENUM_SUFFIX, "name", "description")
 */
#define MXP_LEG_DROPS(X) \
	X(RTP_MALFORMED, "rtp_malformed", "RTP/RTCP header truncated or invalid (version, CSRC list, extension, padding)") \
	X(UNKNOWN_PT, "unknown_pt", "RTP payload type not configured for the leg") \
	X(NOT_SENDING, "not_sending", "media from a leg whose stream mode is recvonly or inactive") \
	X(SOURCE_MISMATCH, "source_mismatch", "from another address and not authenticated (or a strict/plain leg)") \
	X(SSRC_COLLISION, "ssrc_collision", "SSRC already used by another leg under the same key") \
	X(SRTP_AUTH, "srtp_auth", "SRTP/SRTCP authentication tag does not match") \
	X(SRTP_REPLAY, "srtp_replay", "SRTP/SRTCP packet index already received") \
	X(SRTP_TOO_OLD, "srtp_too_old", "SRTP/SRTCP packet index behind the replay window") \
	X(SRTP_UNKNOWN_MKI, "srtp_unknown_mki", "MKI matches none of the leg's keys") \
	X(SRTP_KEY_EXHAUSTED, "srtp_key_exhausted", "master key reached its usage limit") \
	X(SRTP_SSRC, "srtp_ssrc", "SSRC differs from the one learnt first") \
	X(SRTP_OTHER, "srtp_other", "SRTP packet shorter than header and trailer, or another SRTP failure") \
	X(TOO_LARGE, "too_large", "mix: audio payload longer than the jitter buffer takes (120 ms of the codec), or a packet in an external buffer too big for one pool mbuf") \
	X(BAD_PAYLOAD, "bad_payload", "mix: empty or malformed audio or telephone-event payload") \
	X(DUPLICATE, "duplicate", "mix: sequence number already received") \
	X(LATE, "late", "mix: arrived after its playout time (or left behind it after late ticks)") \
	X(OUTLIER, "outlier", "mix: far off the stream's timeline (a second one in step restarts the stream)") \
	X(FLUSHED, "flushed", "mix: taken into the jitter buffer, then discarded unplayed when the stream restarted (new SSRC, sequence or timestamp jump)") \
	X(NO_MBUF, "no_mbuf", "switch: no mbuf for a key group's copy; mix: none for the copy of a packet in an external buffer")

enum mxp_leg_drop {
#define MXP_LEG_DROP_ENUM_(e, n, d) MXP_LEG_DROP_##e,
	MXP_LEG_DROPS(MXP_LEG_DROP_ENUM_)
#undef MXP_LEG_DROP_ENUM_
	MXP_LEG_DROP_COUNT
};

/** Name ("too_large") and description of a leg drop reason; "?" if out of range. */
const char *mxp_leg_drop_name(enum mxp_leg_drop d);
const char *mxp_leg_drop_desc(enum mxp_leg_drop d);

/** Counters of one leg. */
struct mxp_leg_stats {
	uint64_t rx_pkts, rx_bytes;      /**< RTP accepted from the participant */
	uint64_t rtcp_rx;                /**< SRTCP/RTCP accepted */
	uint64_t tx_pkts, tx_bytes;      /**< RTP sent to the participant */
	uint64_t rtcp_tx;
	/** RTCP compounds the MRFP sent the participant led by a sender report, by a receiver
	 *  report (RFC 3550 6.4), and BYEs among them (6.6) */
	uint64_t rtcp_sr, rtcp_rr, rtcp_bye;
	uint64_t drops[MXP_LEG_DROP_COUNT]; /**< packets refused, per reason (every one) */
	uint64_t auth_failures, replays, too_old, other_drops;
	uint64_t source_mismatch;        /**< from another address and not authenticated */
	uint64_t latches;                /**< remote address moved to an authenticated source */
	uint64_t not_sending;            /**< media from a leg whose mode forbids it */
	uint64_t topn_filtered;          /**< not forwarded: not among the top-N speakers */
	uint64_t floor_filtered;         /**< not forwarded: muted, or another leg holds the floor */
	uint64_t dtmf;                   /**< mix: RFC 4733 events (digits) received */
	/**
	 * mix: the last MXP_LEG_DTMF_LOG events, one byte each (the newest in bits 0-7, 0-9,
	 * 10 '*', 11 '#', 12-15 A-D, others per RFC 4734), and the low 16 bits of dtmf in bits
	 * 48-63: one word, stored at once, so a reader on another core sees digits and count
	 * that belong together (mxp_leg_dtmf_count(), mxp_leg_dtmf_event()).
	 */
	uint64_t dtmf_log;
	uint32_t jb_depth_ms;            /**< mix: jitter buffer depth */
	uint64_t jb_late, jb_lost, concealed; /**< mix: late packets, lost, concealed samples */
	uint64_t fec_recovered;          /**< mix: lost packets rebuilt from in-band FEC (Opus) */
	uint64_t last_rx_tsc;            /**< TSC of the last accepted packet, 0 = never */
	uint32_t ssrc;                   /**< inbound SSRC (0 with ssrc_known false) */
	bool ssrc_known;
	uint32_t remote_fraction_lost;   /**< from the participant's last RR, 0..255 */
	uint32_t remote_jitter;          /**< from the participant's last RR, RTP units */
};

/** How many events mxp_leg_stats.dtmf_log keeps. */
#define MXP_LEG_DTMF_LOG 6

/** The low 16 bits of the event count a dtmf_log word belongs to. */
static inline uint16_t
mxp_leg_dtmf_count(uint64_t log)
{
	return (uint16_t)(log >> 48);
}

/** The k-th most recent event of a dtmf_log word (k < MXP_LEG_DTMF_LOG; 0 = the newest). */
static inline uint8_t
mxp_leg_dtmf_event(uint64_t log, unsigned int k)
{
	return (uint8_t)(log >> (8 * k));
}

/** The character of an RFC 4733 DTMF event (0-9 * # A-D), or 0 for other events. */
static inline char
mxp_leg_dtmf_char(uint8_t ev)
{
	return ev < 16 ? "0123456789*#ABCD"[ev] : 0;
}

/** A leg as the control core sees it. */
struct mxp_leg_info {
	uint32_t id;
	uint32_t conf_id;
	struct mxp_leg_rx_state rx_state; /**< its inbound SRTP stream (plain legs: none) */
	uint32_t keygroup_id;
	uint16_t port_idx;
	struct mxp_ip local;
	uint16_t local_port;
	uint16_t local_rtcp_port;
	bool remote_known;
	struct mxp_ip remote;
	uint16_t remote_port;
	uint16_t remote_rtcp_port;
	uint8_t remote_guessed;      /**< MXP_LEG_*_GUESSED: a port not learnt yet */
	bool rtcp_mux, strict, plain;
	bool asymmetric;
	bool muted;
	bool cascade;                /**< a cascade leg (mxp_leg_params.cascade) */
	uint8_t audio_level_id;      /**< RFC 6464 extension id (mxp_leg_params), 0 = none */
	enum mxp_stream_mode mode;
	enum mxp_srtp_suite in_suite, out_suite;
	/** The keys of each direction: fingerprint and MKI, never the key. */
	struct mxp_leg_key_info {
		char fp[9];
		uint8_t mki[MXP_SRTP_MAX_MKI_LEN];
		uint8_t mki_len;
		uint64_t lifetime;
	} in_keys[MXP_SRTP_MAX_KEYS], out_keys[MXP_SRTP_MAX_KEYS];
	uint8_t n_in_keys, n_out_keys;
	int8_t out_active;
	char label[MXP_CONF_NAME_LEN];
	struct mxp_leg_stats st;
	/** mix: the codec the leg receives, its payload type and a=fmtp, the state of the
	 *  leg's private encoder (frame codecs) and what its last packet said (CMR, DTX) */
	uint8_t codec;               /**< enum mxp_media_codec, NONE outside mix */
	uint8_t codec_pt;
	bool cn_listed;              /**< G.711, G.722: it listed CN (13) */
	bool cn;                     /**< ... and so did every listener of its format in its key
				      *  group: it gets RFC 3389 comfort noise in silence */
	char fmtp[256];               /**< its a=fmtp as the answer gives it */
	struct mxp_media_codec_state enc;
	struct mxp_media_rx_info rx_codec;
	/** What its payload types, codecs, telephone-event type and clock are, as a number
	 *  (mxp_conf_codecs_sig()): equal for equal descriptions */
	uint64_t codecs_sig;
	uint32_t codec_changes;      /**< codec changes by mxp_conf_leg_modify() */
};

/** A key group: legs of a conference whose outbound master key is the same. */
struct mxp_keygroup_info {
	uint32_t id;
	char fingerprint[9];
	uint32_t members;            /**< legs using this key */
	uint32_t streams;            /**< output streams encrypted under it */
	uint64_t encryptions;        /**< packets encrypted (once per group, not per member) */
	uint64_t sent;               /**< RTP packets sent to members (replicas) */
};

/** A conference as the control core sees it. */
struct mxp_conf_info {
	uint32_t id;
	enum mxp_conf_mode mode;
	uint16_t topn;
	uint16_t worker;
	uint32_t floor;              /**< leg holding the floor, 0 = open floor */
	uint32_t nlegs;              /**< every leg, cascade legs included */
	uint32_t ncascade;           /**< of which cascade legs (not participants) */
	uint32_t nkeygroups;
	uint64_t rx_pkts, tx_pkts;
	uint64_t encryptions, decryptions; /**< since creation, key groups and legs gone included */
	uint64_t created_ms;
	uint64_t mix_ticks, mix_late_ticks, mix_talker_changes;
	uint32_t mix_rate;        /**< mix mode: the rate it mixes at (8000, 16000, 48000) */
	char name[MXP_CONF_NAME_LEN];
};

/* ---- the system ------------------------------------------------------------------------ */

/** One local address conferences can use. */
struct mxp_conf_addr {
	uint16_t port_idx;
	struct mxp_ip ip;
	struct rte_ether_addr mac;   /**< the port's MAC, source of every frame */
};

/**
 * How a worker sends and resolves, provided by the daemon (or a test). Called on the
 * worker's own thread.
 */
struct mxp_conf_io {
	/** Queue a complete frame for transmission on a port (takes the mbuf). */
	void (*tx)(void *arg, uint16_t port_idx, struct rte_mbuf *m);
	/** MAC of the next hop towards dst on a port; false when unresolved. */
	bool (*neigh)(void *arg, uint16_t port_idx, const struct mxp_ip *dst,
		      struct rte_ether_addr *mac);
	/** Hand a frame with an unresolved destination to the control core (takes it). */
	void (*punt)(void *arg, uint16_t port_idx, const struct mxp_ip *dst, struct rte_mbuf *m);
	/**
	 * Optional: a counter the daemon bumps whenever any neighbour entry changes. While
	 * it stands still, a leg reuses the next-hop MAC it looked up last.
	 */
	const uint64_t *neigh_gen;
};

struct mxp_conf_sys_params {
	uint16_t nb_workers;
	uint16_t nb_addrs;
	struct mxp_conf_addr addrs[MXP_CONF_MAX_PORTS * 2];
	uint16_t port_min;           /**< media port range, inclusive, even start */
	uint16_t port_max;
	struct rte_mempool *pool;    /**< payload mbufs (copies for each key group) */
	struct rte_mempool *hdr_pool;/**< small mbufs for per-receiver headers */
	const char *srtp_driver;     /**< NULL: the SRTP library's default */
	/**
	 * Tests without worker threads: commands run at once on the caller's thread
	 * instead of being posted to a worker.
	 */
	bool inline_workers;
	/**
	 * How long the control core waits for a worker to run a command, in ms (0: 2000).
	 * An operation whose worker does not answer in time fails with -ETIMEDOUT and
	 * changes nothing: the command is withdrawn, the worker discards it when it gets to
	 * it.
	 */
	uint32_t cmd_timeout_ms;
	/**
	 * mix: the complexity (0-10) of the Opus encoders (shared and private mixes), when
	 * opus_complexity_set; else libopus's 5 (doc/media.md: cost per encode halves at 0).
	 */
	bool opus_complexity_set;
	uint8_t opus_complexity;
};

struct mxp_conf_sys;
struct mxp_conf_worker;

/**
 * Create the conference system (control core, before the workers start).
 * @return the system, or NULL with err filled.
 */
struct mxp_conf_sys *mxp_conf_sys_create(const struct mxp_conf_sys_params *p, char *err,
					 size_t errlen);
/** Destroy every conference and the system (after the workers stopped). */
void mxp_conf_sys_destroy(struct mxp_conf_sys *sys);

/* ---- control API (control core) ---------------------------------------------------------- */

/**
 * Create a conference on the least loaded worker. A worker that let a command time out
 * and has not taken one since (mxp_conf_worker_stats() unresponsive) is passed over while
 * another answers; if the chosen worker does not take the conference within the command
 * timeout, the next least loaded responsive one is tried once.
 * @param id  receives the conference id (never 0).
 * @return 0, -EINVAL (bad mode/params; err says which), -ENOMEM, -ETIMEDOUT (no worker
 *         answered; nothing is left).
 */
int mxp_conf_create(struct mxp_conf_sys *sys, const struct mxp_conf_params *p, uint32_t *id,
		    char *err, size_t errlen);

/** Delete a conference and all its legs (keys wiped). -ENOENT if unknown. */
int mxp_conf_destroy(struct mxp_conf_sys *sys, uint32_t id, char *err, size_t errlen);

/**
 * Floor control: only the leg holding the floor is forwarded (others keep listening);
 * leg_id 0 opens the floor again. -ENOENT (conference or leg), -EINVAL (leg of another
 * conference).
 */
int mxp_conf_set_floor(struct mxp_conf_sys *sys, uint32_t id, uint32_t leg_id, char *err,
		       size_t errlen);

/** Change the top-N of a conference. -ENOENT, -EINVAL. */
int mxp_conf_set_topn(struct mxp_conf_sys *sys, uint32_t id, uint16_t topn, char *err,
		      size_t errlen);

/**
 * Add a leg: allocate (or take the requested) local port pair, set up its SRTP contexts,
 * join or create its key group, create the output streams it needs.
 * All or nothing: on error nothing changed. The caller's key material is not kept;
 * wipe it after the call.
 * @param info  receives the leg as created (local address and port).
 * @return 0, -ENOENT (no such conference), -EINVAL (err says which parameter),
 *         -EADDRINUSE (requested port taken), -ENOSPC (port range exhausted), -ENOMEM,
 *         -EEXIST (p->id is in use or was never given).
 */
int mxp_conf_leg_add(struct mxp_conf_sys *sys, uint32_t conf_id, const struct mxp_leg_params *p,
		     struct mxp_leg_info *info, char *err, size_t errlen);

/**
 * What mxp_conf_leg_add() would refuse of these parameters in conference conf_id before it
 * allocates anything: the parameters, keys and codecs, the conference's mode (forward's
 * key), cascade slots and a full mixer; not the leg id, the local port nor resources
 * (memory, a mix conference's frame-codec formats). Changes nothing: a leg moved to
 * another conference (Mp's Move) is checked before it leaves its own.
 * @return 0, or the error mxp_conf_leg_add() would return, with err.
 */
int mxp_conf_leg_add_check(struct mxp_conf_sys *sys, uint32_t conf_id,
			   const struct mxp_leg_params *p, char *err, size_t errlen);

/** What mxp_conf_leg_modify() changes: set the flags of the fields to apply. */
struct mxp_leg_mod {
	bool set_mode;
	enum mxp_stream_mode mode;
	bool set_remote;
	struct mxp_ip remote;
	uint16_t remote_port;
	uint16_t remote_rtcp_port; /**< 0: remote_port + 1 (or remote_port with rtcp_mux) */
	uint8_t remote_guessed;    /**< as mxp_leg_params.remote_guessed (Mp's rollback) */
	/** The remote address is unknown again, learnt from the next authenticated packet as
	 *  on a leg added without one (not with set_remote, nor on a plain or an asymmetric
	 *  leg, which need theirs). Mp undoes with it a refused Modify's new Remote. */
	bool forget_remote;
	bool set_strict;
	bool strict;
	/** Asymmetric endpoint on or off (see mxp_leg_params.asymmetric). */
	bool set_asymmetric;
	bool asymmetric;
	/** Mute (floor control): the leg still listens, nothing it sends is forwarded. */
	bool set_mute;
	bool mute;
	/** mix: make it a cascade leg or an ordinary one (mxp_leg_params.cascade). */
	bool set_cascade;
	bool cascade;
	/** Add a key to the inbound (participant) side, e.g. the new MKI of a rekey. */
	bool add_in_key;
	struct mxp_conf_key in_key;
	/** Add a key to the outbound side (moves the leg to the group of that key when
	 *  activated). */
	bool add_out_key;
	struct mxp_conf_key out_key;
	/** Activate the outbound key with this MKI (the switch point of a rekey). */
	bool activate_out;
	uint8_t activate_mki[MXP_SRTP_MAX_MKI_LEN];
	uint8_t activate_mki_len;
	/** Remove the inbound / outbound key with this MKI (end of the overlap). */
	bool remove_in;
	bool remove_out;
	uint8_t remove_mki[MXP_SRTP_MAX_MKI_LEN];
	uint8_t remove_mki_len;
	/**
	 * Change the leg's codecs (a re-INVITE): the codec fields of *codecs (n_pt, pt,
	 * event_pt, n_codecs, codecs, rtp_clock; the rest of it is not read) replace the
	 * leg's, with mxp_leg_params' meaning and checks (mxp_leg_mod_set_codecs() sets
	 * both). *codecs is the caller's and is read only during mxp_conf_leg_modify(). The description the
	 * leg has already (same mxp_conf_codecs_sig()) changes nothing. switch, forward: the
	 * payload types accepted, the event type, RTCP's clock and the codec of later signals
	 * change. mix: the leg gets a new media leg (jitter buffer, decoders, the encoder of
	 * its private mix) and hears its new first codec on the shared mix of that format;
	 * what it heard so far ends (RTCP BYE), its private and shared streams are new SSRCs,
	 * the packets still buffered are dropped (a packet time of quiet at most); its
	 * statistics carry on.
	 */
	bool set_codecs;
	const struct mxp_leg_params *codecs;
};

/** Ask m to change the leg's codecs to those of p (the caller's, which must stay valid
 *  until mxp_conf_leg_modify() returns). */
static inline void
mxp_leg_mod_set_codecs(struct mxp_leg_mod *m, const struct mxp_leg_params *p)
{
	m->set_codecs = true;
	m->codecs = p;
}

/** A number for the codec fields of leg parameters (n_pt, pt, event_pt, n_codecs, codecs,
 *  rtp_clock): equal descriptions give equal numbers (mxp_leg_info.codecs_sig). */
uint64_t mxp_conf_codecs_sig(const struct mxp_leg_params *p);

/** Cascade legs a mix conference of @p topn talkers (0 = 3) can hold: the lib/media slots
 *  left beside the talkers, at most MXP_CONF_MAX_CASCADE. */
#define MXP_CONF_MAX_CASCADE 4
unsigned int mxp_conf_max_cascade(unsigned int topn);

/** Modify a leg; all or nothing. -ENOENT, -EINVAL (err says why), -ENOTSUP (cascade in a
 *  switch or forward conference), -ENOSPC (the conference has its cascade legs). */
int mxp_conf_leg_modify(struct mxp_conf_sys *sys, uint32_t leg_id, const struct mxp_leg_mod *m,
			char *err, size_t errlen);

/**
 * Remove a leg: from the moment this returns the leg gets no further packet; its keys
 * are wiped. The last statistics are returned in @p last (may be NULL).
 * Removing the last leg does not delete the conference (the caller decides).
 */
int mxp_conf_leg_remove(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_info *last,
			char *err, size_t errlen);

/** Snapshot of a conference. -ENOENT. */
int mxp_conf_get(struct mxp_conf_sys *sys, uint32_t id, struct mxp_conf_info *info);
/** Snapshot of a leg. -ENOENT. */
int mxp_conf_leg_get(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_info *info);
/** Usage of one master key of a leg (never the key). */
struct mxp_leg_key_usage {
	uint8_t mki[MXP_SRTP_MAX_MKI_LEN];
	uint8_t mki_len;
	bool active;                 /**< outbound: the key the mixer sends with */
	uint64_t srtp_used;          /**< packets under this key; outbound: summed over every
				      *   stream the key group encrypts with it */
	uint64_t srtcp_used;
	uint64_t srtp_limit;         /**< min(lifetime, 2^48) */
	uint64_t srtcp_limit;        /**< min(lifetime, 2^31) */
};

/** What the control plane notifies about a leg. */
struct mxp_leg_events {
	uint8_t n_in, n_out;
	struct mxp_leg_key_usage in[MXP_SRTP_MAX_KEYS];  /**< the participant's keys */
	struct mxp_leg_key_usage out[MXP_SRTP_MAX_KEYS]; /**< the mixer's keys */
	uint64_t ssrc_mismatch;      /**< packets dropped: they carried another SSRC than the one
				      *   learned first (the participant changed its SSRC). Dropped
				      *   before their tag is checked (lib/srtp binds a context to one
				      *   SSRC): not proof that the participant sent them */
	uint32_t ssrc_other;         /**< the SSRC of the last of them (if ssrc_mismatch > 0) */
	uint64_t key_exhausted_drops;/**< packets dropped: their key reached its limit */
};

/**
 * Key usage and SSRC change counters of a leg (control core). A plain RTP leg reports
 * nothing. -ENOENT if the leg does not exist.
 */
int mxp_conf_leg_events(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_events *ev);
/**
 * Ids of the conferences (ascending), up to max. Returns how many exist (may exceed max).
 */
uint32_t mxp_conf_list(struct mxp_conf_sys *sys, uint32_t *ids, uint32_t max);
/** Ids of a conference's legs, up to max; returns how many, or -ENOENT. */
int mxp_conf_legs(struct mxp_conf_sys *sys, uint32_t conf_id, uint32_t *ids, uint32_t max);
/** Key groups of a conference, up to max; returns how many, or -ENOENT. */
int mxp_conf_keygroups(struct mxp_conf_sys *sys, uint32_t conf_id, struct mxp_keygroup_info *kg,
		       uint32_t max);

/* ---- signals: tones, announcements, DTMF (mix conferences) ------------------------------- */

/*
 * A signal plays toward one participant (a leg signal: only that leg hears it) or into a
 * conference (every participant hears it). The conference's worker generates it from the
 * leg's or the conference's mix tick, without blocking: tones are synthesised from the
 * tone table (lib/media/mxp_media_signal.h, the country set configured with
 * mxp_conf_signal_configure()), announcements are loaded and converted on the control core
 * when a signal starts, cached, and shared read-only. DTMF toward a leg is sent as RFC 4733
 * events when the leg has a telephone-event payload type, as in-band Q.23 tone pairs
 * otherwise (a conference DTMF signal is always in band).
 *
 * Switch conferences play them on a stream of the MRFP's own toward each leg (the leg's
 * group key, PCMU/PCMA/G.722 as the leg accepts), always replacing the switched media;
 * forward conferences refuse them with -ENOTSUP (no key the MRFP may encrypt with).
 *
 * A new signal on a target (leg, or conference) interrupts the one playing there (reported
 * as MXP_SIGNAL_INTERRUPTED). Every signal that started is reported exactly once through
 * mxp_conf_signal_done_poll(), with the caller's tag.
 */

/** What a signal plays. */
enum mxp_signal_kind {
	MXP_SIGNAL_TONE = 1,
	MXP_SIGNAL_ANNOUNCEMENT = 2,
	MXP_SIGNAL_DTMF = 3,
};

#define MXP_SIGNAL_NAME_LEN 64

/** A signal to play. Zero-initialise, then fill. */
struct mxp_signal {
	enum mxp_signal_kind kind;
	/**
	 * TONE: a name of the tone table ("cg/dt", "cg/rt", "cg/bt", "cg/ct", "cg/cw",
	 * "cg/sit", "srvtn/conf", ...; `show tones`); ANNOUNCEMENT: a file name in the
	 * announcement directory (no '/', no ".."); DTMF: the digits, 0-9 * # A-D (at most 32).
	 */
	char name[MXP_SIGNAL_NAME_LEN];
	/** ms to play in all (cut then); 0: the signal's natural length: a tone's cadence
	 *  played repeat times (a repeating tone such as dial or ringing tone: until stopped),
	 *  an announcement repeat times, DTMF: every digit once. DTMF: each digit's tone
	 *  length instead (0 = 100 ms; a 100 ms pause follows each digit) */
	uint32_t duration_ms;
	uint16_t repeat;         /**< plays of an announcement or a tone's cadence; 0 = 1 */
	/** The signal replaces what the target hears instead of being mixed under it. */
	bool replace;
	uint32_t tag;            /**< the caller's id, reported back on completion */
};

/** How a signal ended (mxp_signal_done.cause). */
enum mxp_signal_cause {
	MXP_SIGNAL_COMPLETED = 1,   /**< played to its end (its duration, repeats) */
	MXP_SIGNAL_INTERRUPTED = 2, /**< stopped, replaced by a new signal, or its target left */
	MXP_SIGNAL_FAILED = 3,      /**< could not be played (e.g. the leg has no private stream) */
};

/** A signal that ended. */
struct mxp_signal_done {
	uint32_t conf;
	uint32_t leg;            /**< 0: a conference signal */
	uint32_t tag;
	uint8_t cause;           /**< enum mxp_signal_cause */
};

/**
 * Configure signals (control core): the tone country set and the directory announcements
 * are read from. Either may be NULL (unchanged). The defaults are "itu" and no directory
 * (announcements refused). Changing the directory empties the announcement cache.
 * @return 0, -EINVAL (unknown country set: err lists them; a directory that is not an
 *         absolute path).
 */
int mxp_conf_signal_configure(struct mxp_conf_sys *sys, const char *tone_country,
			      const char *announcement_dir, char *err, size_t errlen);

/** The tone country set in use ("itu", "us", ...). */
const char *mxp_conf_signal_country(struct mxp_conf_sys *sys);

/**
 * Play a signal toward one leg (only it hears it). In a mix conference the leg hears its
 * own mix with the signal under it (or instead, with replace); a leg that hears the
 * shared mix gets its private stream while the signal plays.
 * @return 0 (started; its end is reported with sig->tag), -ENOENT (no such leg),
 *         -ENOTSUP (a forward conference; a switch leg accepting none of PCMU, PCMA,
 *         G722 nor a frame codec of its codecs[]: err says which), -EINVAL
 *         (unknown tone, bad digit, empty name; err says which), -EACCES (an announcement
 *         name with '/' or ".."), -ENOENT / -EINVAL (announcement file missing or not a
 *         supported format: err says which), -ENODEV (no announcement directory
 *         configured), -ENOMEM, -ETIMEDOUT, -EBUSY (the worker did not take the command).
 */
int mxp_conf_leg_signal_start(struct mxp_conf_sys *sys, uint32_t leg_id,
			      const struct mxp_signal *sig, char *err, size_t errlen);

/**
 * Play a signal into a conference: every participant hears it (the shared mix and every
 * private mix). DTMF is played in band. Returns as mxp_conf_leg_signal_start().
 */
int mxp_conf_signal_start(struct mxp_conf_sys *sys, uint32_t conf_id,
			  const struct mxp_signal *sig, char *err, size_t errlen);

/**
 * Check a signal as a start would, without playing it (control core): tone name, digits,
 * announcement (loaded into the cache, so the start that follows finds it). For a caller
 * that must refuse a command before it changes anything (H.248's all or nothing).
 * @return 0, or the errors of mxp_conf_leg_signal_start() about the signal itself.
 */
int mxp_conf_signal_check(struct mxp_conf_sys *sys, const struct mxp_signal *sig, char *err,
			  size_t errlen);

/**
 * Stop the signal playing toward a leg (reported as MXP_SIGNAL_INTERRUPTED). Nothing
 * playing is not an error.
 * @return 0, -ENOENT (no such leg), -ENOTSUP (a forward conference), -ETIMEDOUT, -EBUSY.
 */
int mxp_conf_leg_signal_stop(struct mxp_conf_sys *sys, uint32_t leg_id, char *err,
			     size_t errlen);

/** Stop the conference signal (not the legs' own). Returns as mxp_conf_leg_signal_stop(). */
int mxp_conf_signal_stop(struct mxp_conf_sys *sys, uint32_t conf_id, char *err, size_t errlen);

/**
 * Signals that ended since the last call, oldest first (control core; call it from a
 * timer, e.g. every 20-100 ms). Each started signal is reported once, with its cause.
 * Signals of a conference or leg that was removed while they played are reported as
 * MXP_SIGNAL_INTERRUPTED. One consumer only (the control plane's timer): each worker
 * keeps up to 1024 ends for it; beyond that, ends are counted as lost and not reported.
 * @return how many entries were written to out (at most max).
 */
unsigned int mxp_conf_signal_done_poll(struct mxp_conf_sys *sys, struct mxp_signal_done *out,
				       unsigned int max);

/* ---- recordings (conf_record.c) ------------------------------------------------------------ */

/*
 * A mix conference's shared mix (what a participant who is not talking hears, conference
 * signals included) recorded to a WAV file: 16-bit PCM, mono, at the mix rate of the first
 * tick recorded. The worker copies each tick's PCM into a buffer taken from a free ring and
 * queues it on a full ring (no allocation, lock or system call; no free buffer: the tick is
 * counted as dropped and recorded as silence, so the file keeps real time); the control
 * core drains and writes (mxp_conf_record_poll()), and fixes the WAV header up every
 * second and at the end. A write error stops that recording only.
 */

#define MXP_REC_NAME_LEN 128       /**< longest file name (within the directory), with NUL */
#define MXP_REC_BUFS 256           /**< ticks a worker can queue (5.12 s at 20 ms) */
#define MXP_REC_HISTORY 16         /**< finished recordings kept for show recordings */

/** Where a recording stands. */
enum mxp_rec_state {
	MXP_REC_ACTIVE = 0,
	MXP_REC_STOPPED,           /**< by the operator (CLI, Mp) */
	MXP_REC_MAX_TIME,          /**< its max-seconds were reached */
	MXP_REC_DISK_FULL,         /**< a write found no space (ENOSPC, EDQUOT) */
	MXP_REC_WRITE_ERROR,       /**< another write error (info.err) */
	MXP_REC_SIZE_LIMIT,        /**< the WAV format's 4 GiB */
	MXP_REC_CONF_GONE,         /**< its conference was deleted */
	MXP_REC_SHUTDOWN,          /**< the daemon stopped */
};

/** "active", "stopped", "max-time", "disk-full", ... */
const char *mxp_rec_state_name(enum mxp_rec_state s);

/** How to start a recording. */
struct mxp_rec_params {
	const char *name;          /**< file name in the directory: [A-Za-z0-9_.-], 1..127
				    *   characters, not starting with '.', ending in ".wav" */
	uint32_t max_seconds;      /**< stop after this much audio; 0: no limit */
	bool overwrite;            /**< replace an existing file of that name (else -EEXIST) */
	uint32_t bufs;             /**< ticks the worker may queue, 2..4096; 0: MXP_REC_BUFS */
};

/** One recording, active or finished. */
struct mxp_rec_info {
	uint32_t conf_id;
	char name[MXP_REC_NAME_LEN];
	enum mxp_rec_state state;
	int err;                   /**< errno of a write error, else 0 */
	uint32_t rate;             /**< of the file; 0 until the first frame was written */
	uint32_t max_seconds;
	uint64_t elapsed_ms;       /**< from start to now (active) or to the stop */
	uint64_t audio_ms;         /**< audio in the file */
	uint64_t bytes;            /**< of the file, header included */
	uint64_t frames;           /**< ticks recorded (written or silent) */
	uint64_t dropped;          /**< ticks a worker found no free buffer for (written as
				    *   silence: the control core did not keep up) */
	uint64_t late;             /**< ticks the worker skipped (late; silence too) */
	uint64_t converted;        /**< ticks mixed at another rate than the file's (the mix
				    *   rate changed since the start), converted */
	uint64_t writes;           /**< write calls */
};

/** System totals. */
struct mxp_rec_stats {
	uint64_t started, stopped;
	uint64_t disk_full;        /**< recordings stopped by a full disk */
	uint64_t write_errors;     /**< recordings stopped by another write error */
	uint64_t dropped;          /**< ticks dropped by every recording so far */
	uint32_t active;
};

/**
 * The directory recordings are written to (control core): an absolute path, or NULL/"" for
 * none (recordings refused with -ENODEV). The directory must exist when a recording starts.
 * @return 0, -EINVAL (not absolute, too long).
 */
int mxp_conf_record_dir(struct mxp_conf_sys *sys, const char *dir, char *err, size_t errlen);

/**
 * Start recording a mix conference's shared mix (control core). The file is created with
 * mode 0640 (less by the process umask), O_EXCL unless p->overwrite, never through a
 * symbolic link.
 * @return 0, -ENOENT (no such conference), -ENOTSUP (not a mix conference: switch and
 *         forward conferences have no shared mix), -EALREADY (already recording), -ENODEV
 *         (no directory configured), -EINVAL (bad name or max_seconds; err says why),
 *         -EEXIST (the file exists, or another recording writes it), another -errno of open(2) (err names the file),
 *         -ENOMEM, -ETIMEDOUT, -EBUSY (the worker did not take the command).
 */
int mxp_conf_record_start(struct mxp_conf_sys *sys, uint32_t conf_id,
			  const struct mxp_rec_params *p, char *err, size_t errlen);

/**
 * Stop a conference's recording (control core): what the worker queued is written and the
 * header fixed up before it returns.
 * @return 0, -ENOENT (no such conference), -ESRCH (it is not recording), -ETIMEDOUT,
 *         -EBUSY (the worker did not take the command: still recording).
 */
int mxp_conf_record_stop(struct mxp_conf_sys *sys, uint32_t conf_id, char *err, size_t errlen);

/**
 * Undo a start (control core): stop the conference's active recording, delete its file and
 * forget it (a caller whose later step failed, H.248's all or nothing).
 * @return 0, -ESRCH (no active recording), or the errors of mxp_conf_record_stop().
 */
int mxp_conf_record_abort(struct mxp_conf_sys *sys, uint32_t conf_id);

/**
 * A conference's recording: the active one, else the last finished one of that conference
 * id still in the history. @return 0, -ENOENT (none).
 */
int mxp_conf_record_get(struct mxp_conf_sys *sys, uint32_t conf_id, struct mxp_rec_info *info);

/** Active recordings then the finished ones (newest first): how many were written. */
unsigned int mxp_conf_record_list(struct mxp_conf_sys *sys, struct mxp_rec_info *out,
				  unsigned int max);

/** System totals. */
void mxp_conf_record_stats(struct mxp_conf_sys *sys, struct mxp_rec_stats *st);

/**
 * Drain the workers' buffers and write (control core, from its loop: every 10-100 ms).
 * A recording that hit a write error or its limit stops here.
 * @return ticks written.
 */
unsigned int mxp_conf_record_poll(struct mxp_conf_sys *sys);

/* ---- worker API ------------------------------------------------------------------------------ */

/**
 * Attach the calling lcore as worker @p idx (registers with RCU, initialises SRTP's
 * per-thread state). @p drops is the worker's drop counter array (MXP_DROP_MAX entries).
 */
struct mxp_conf_worker *mxp_conf_worker_attach(struct mxp_conf_sys *sys, uint16_t idx,
					       const struct mxp_conf_io *io, void *io_arg,
					       uint64_t *drops);
/** Detach (worker exit). */
void mxp_conf_worker_detach(struct mxp_conf_worker *w);

/**
 * Between bursts: run pending control commands, take packets handed over by other
 * workers, run timers (RTCP, top-N), and report a quiescent state.
 */
void mxp_conf_worker_poll(struct mxp_conf_worker *w);

/**
 * Offer a validated UDP frame (meta from mxp_pkt_parse) to the conferences.
 * @return false when no leg uses its destination (the caller keeps the mbuf and counts
 *         udp_no_leg); true when the conferences took the mbuf (processed, queued for
 *         the next mxp_conf_flush(), handed to another worker, or dropped and counted).
 */
bool mxp_conf_rx(struct mxp_conf_worker *w, uint16_t port_idx, struct rte_mbuf *m,
		 const struct mxp_pkt_meta *meta);

/** Process what mxp_conf_rx() queued: batched SRTP, switching/forwarding, replication. */
void mxp_conf_flush(struct mxp_conf_worker *w);

/**
 * What the conference system's state occupies (control core). Counts and bytes of each
 * kind of object in use; pools reserve memory in chunks, reserved_bytes says how much.
 */
struct mxp_conf_memory {
	uint32_t confs, legs, keygroups, ostreams;
	uint32_t srtp_ctxs;          /**< SRTP streams of the participants (one per SRTP leg) */
	uint32_t media_legs, mixers; /**< mix mode */
	uint64_t conf_bytes;         /**< conferences */
	uint64_t leg_bytes;          /**< legs (hot lines and the rest) */
	uint64_t rcv_bytes;          /**< key groups' receiver arrays (capacity) */
	uint64_t keygroup_bytes;
	uint64_t ostream_bytes;      /**< output streams (SSRC, sequence, their SRTP stream) */
	uint64_t srtp_bytes;         /**< the participants' SRTP streams: windows, counters */
	uint64_t media_bytes;        /**< media legs: jitter buffers, decoders */
	uint64_t mixer_bytes;
	uint64_t total_bytes;        /**< every kind above */
	uint64_t reserved_bytes;     /**< the pools' chunks and the variable-size objects */
	uint64_t buffered_pkts;      /**< packets the jitter buffers hold (their mbufs) */
	uint32_t keys;               /**< SRTP key sessions (one per master key in use) */
	uint64_t key_bytes;          /**< their session keys (shared by the streams under them) */
};

/** Fill @p m. -EINVAL on NULL arguments. */
int mxp_conf_memory(struct mxp_conf_sys *sys, struct mxp_conf_memory *m);

/** Control commands a worker handled. */
struct mxp_conf_worker_stats {
	uint64_t cmds_run;           /**< run between two bursts */
	uint64_t cmds_abandoned;     /**< discarded: the control core had given up waiting */
	/** the mixer refused a leg or a cascade change the control core had checked (a
	 *  mismatch of their views: 0 unless there is a bug) */
	uint64_t mixer_refusals;
	/** packets of mix legs copied into an mbuf of the pool because their data lay outside
	 *  the jitter buffer's reach of the mbuf (an external buffer, e.g. mlx5 with mprq_en) */
	uint64_t mix_copies;
	/** mix ticks of the worker's conferences since the start, deleted ones included, and
	 *  the ticks among them skipped because the worker was late (mxp_conf_info's, summed) */
	uint64_t mix_ticks, mix_late_ticks;
	/** a command to it timed out and it has not taken one since: new conferences go to
	 *  the other workers while it stays so (mxp_conf_create) */
	bool unresponsive;
};

/** Counters of worker @p idx (control core). -EINVAL if there is no such worker. */
int mxp_conf_worker_stats(struct mxp_conf_sys *sys, uint16_t idx,
			  struct mxp_conf_worker_stats *st);

/** TSC frequency used to turn last_rx_tsc into seconds (set by mxp_conf_sys_create). */
uint64_t mxp_conf_tsc_hz(void);

#endif
