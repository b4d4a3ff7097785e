/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf internals. Hot structures are owned by one worker; see mxp_conf.h.
 *
 * Layout rule (VPP's ipsec_sa_t style): what the worker reads or writes for every packet and
 * every tick sits in the first cache lines of a structure, checked at compile time by
 * CONF_HOT() below; configuration, statistics and labels follow. The files:
 *
 *   conf_sys.c    the system, workers, control -> worker commands, memory accounting
 *   conf_conf.c   conferences (create, destroy, floor, top-N)
 *   conf_leg.c    legs (add, remove, modify), local ports, the classification table
 *   conf_keys.c   keys, key groups and their receiver arrays, output streams, SSRCs
 *   conf_snap.c   what the control core reads: snapshots, key usage, memory
 *   conf_rx.c     worker: classification and the flush (validate, inbound crypto, modes)
 *   conf_emit.c   worker: the one emit pipeline (stamp, protect, replicate, transmit), timers
 *   conf_mix.c    the mix mode (control side allocation, worker rx and tick)
 *   conf_rtcp.c   RTCP: receive statistics, compound reports (SR/RR/SDES/BYE), intervals
 *   conf_signal.c signals: tones, announcements, DTMF (control side and the mix tick's part)
 *   conf_capture.c packet capture of a leg or a conference (worker copies, control writes)
 */
#ifndef MXP_CONF_PRIV_H
#define MXP_CONF_PRIV_H

#include <stddef.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "mxp_conf.h"
#include "mxp_media.h"
#include "mxp_rtp.h"
#include "mxp_time.h"

#define CONF_BURST 64              /* packets queued between flushes */
#define CONF_MAX_OUT 256           /* payloads waiting for protect and replication */
#define CONF_TICK_MS 20            /* top-N and RTCP timer */
#define CONF_RTCP_MIN_MS 5000      /* RFC 3550 6.2 minimum interval (half of it for the first) */
#define CONF_RTCP_SESSION_BW 8000  /* bytes/s a participant's session is taken to use (64
				    * kbit/s): RTCP gets 5% of it (RFC 3550 6.2) */
#define CONF_RTCP_MAX_SR 12        /* sender reports in one compound; more rotate */
#define CONF_SR_WALK_MS 500        /* how often a conference's legs are looked at for reports */
#define CONF_CN_FEED_MS 320        /* silence the DTX encoder is fed (its hangover and SID) */
#define CONF_CN_REPEAT_MS 160      /* then its SID is resent every 160 ms (AMR's SID rate) */
#define CONF_CN_LEVEL_DBOV 70      /* RFC 3389 CN to G.711/G.722 listeners: -70 dBov */
#define CONF_CMD_TIMEOUT_MS 2000
/* mix: output formats a conference's shared mix is encoded in (per key group): slots 1-3
 * are PCMU, PCMA and G722 (their codec ids), slots 4-7 frame-codec formats (codec,
 * parameters, payload type) the conference's legs receive, taken as legs join and kept
 * for the conference's life */
#define CONF_MIX_FMTS 8
#define CONF_MIX_FMT_FRAME 4
_Static_assert(MXP_MEDIA_CODEC_G722 < CONF_MIX_FMT_FRAME, "static codecs fit below the frame slots");
#define TABLE_RTCP 1ul             /* low bit of a table entry: the RTCP port */

/* A field lies within the first n cache lines of its structure. */
#define CONF_HOT(type, field, lines) \
	_Static_assert(offsetof(type, field) + sizeof(((type *)0)->field) <= (lines) * 64, \
		       #type "." #field " left the hot cache lines")

struct mxp_leg;
struct mxp_keygroup;
struct mxp_conf;
struct conf_sig;       /* conf_signal.c: a leg's signal */
struct conf_sig_conf;  /* conf_signal.c: a conference's signals */
struct conf_sig_sys;   /* conf_signal.c: tone set, announcement cache, completions */
struct conf_rec;       /* conf_record.c: a conference's recording */
struct conf_rec_sys;   /* conf_record.c: the recordings */
struct conf_cap;       /* conf_capture.c: a capture's worker side (ring, counters) */
struct conf_cap_args;  /* conf_capture.c: the command that starts or stops one */
struct conf_cap_sys;   /* conf_capture.c: the captures (control core) */

/* ---- small pools ---------------------------------------------------------------------------- */

/*
 * Fixed-size objects carved from chunks of hugepage memory (control core only): dense, one
 * allocation per 64 objects instead of one rte_malloc element each. Objects are zeroed when
 * taken and wiped when returned; chunks are kept for reuse.
 */
struct conf_pool {
	const char *name;
	size_t size;                 /* object size, a multiple of 64 */
	void *free;                  /* free list through the first word */
	void **chunks;
	uint32_t nchunks, cap_chunks;
	uint64_t used;               /* objects handed out */
};

void conf_pool_init(struct conf_pool *p, const char *name, size_t size);
void *conf_pool_get(struct conf_pool *p);
void conf_pool_put(struct conf_pool *p, void *obj);
void conf_pool_fini(struct conf_pool *p);
/* Bytes reserved (chunks). */
uint64_t conf_pool_bytes(const struct conf_pool *p);

/* ---- output streams ------------------------------------------------------------------------- */

/*
 * An output stream: what one sender (switch) or the mixer (a shared mix per codec, or a
 * talker's private mix) sends under one key group's key. Own SSRC, own sequence numbers,
 * own SRTP stream (index, counters), which refers to the group's key session: the keys
 * themselves are shared, never copied per stream. The SRTP stream lives in the same pool
 * object, right after this structure (conf_ostream_new()).
 */
struct mxp_ostream {
	/* line 0: what a packet reads and writes */
	struct mxp_srtp_stream *s;           /* NULL for plain-RTP groups */
	struct mxp_keygroup *kg;
	uint32_t ssrc;
	uint16_t seq;
	bool marker_next;                    /* mix: the next packet starts a talkspurt */
	bool self_group;                     /* switch: its sender receives in kg too */
	uint32_t last_ts;                    /* RTP timestamp of the last packet sent */
	uint64_t last_tsc;
	uint64_t pkts, octets;               /* for sender reports */
	SLIST_ENTRY(mxp_ostream) by_sender;  /* switch: the sender's streams, one per group:
					      * a switched packet walks them */
	/* cold: timers and control */
	uint64_t seen_pkts, seen_tsc;        /* RTCP: pkts when last looked at, and since when */
	uint32_t ssrc_reg;                   /* the SSRC registered for it (ssrc may have moved) */
	uint64_t last_time;                  /* mix private: conference ticks when it last sent */
	struct mxp_leg *src;                 /* switch: the sender; mix: the talker or NULL */
	TAILQ_ENTRY(mxp_ostream) by_group;   /* the group's streams (reports, SSRC checks) */
} __rte_cache_aligned;
CONF_HOT(struct mxp_ostream, by_sender, 1);
SLIST_HEAD(mxp_ostream_slist, mxp_ostream);
TAILQ_HEAD(mxp_ostream_list, mxp_ostream);

/* ---- receivers -------------------------------------------------------------------------------- */

#define RCV_ON 0x1       /* the leg's mode lets it receive and its address is known */
#define RCV_TALKER 0x2   /* mix: a talker this tick (hears its private mix, not the shared) */

/*
 * One receiver of a key group: everything a copy needs, in a dense per-group array that
 * replication walks front to back (no list walk, no visit of the leg). The template holds
 * the Ethernet/IP/UDP header towards the participant, the next hop's MAC included once
 * resolved; a copy is a header copy and two checksum additions.
 */
struct conf_rcv {
	struct mxp_pkt_udp_tmpl t;           /* line 0: the header; line 1: partial sums */
	struct mxp_leg *leg;
	uint64_t mac_gen;                    /* neighbour generation + 1 of the MAC in t; 0 none */
	uint16_t port_idx;
	uint8_t flags;                       /* RCV_* */
	uint8_t codec;                       /* mix: the codec the leg receives */
	uint32_t pad_;
	uint64_t tx_pkts, tx_bytes, rtcp_tx;
} __rte_cache_aligned;
_Static_assert(sizeof(struct conf_rcv) == 128, "a receiver is two cache lines");

/* ---- key groups ------------------------------------------------------------------------------- */

/* Legs of a conference sharing an outbound master key. */
struct mxp_keygroup {
	/* line 0: replication and the mix tick */
	struct conf_rcv *rcv;                /* its receivers (every member), dense */
	uint32_t nrcv;                       /* members */
	uint32_t nrecv;                      /* members whose mode lets them receive */
	uint64_t encryptions;
	uint64_t sent;
	uint32_t nrecv_codec[CONF_MIX_FMTS]; /* mix: receiving members per codec */
	/* line 1 */
	struct mxp_ostream *mix[CONF_MIX_FMTS]; /* mix: the shared mix per codec */
	/* cold */
	uint32_t rcv_cap;
	uint32_t id;
	TAILQ_ENTRY(mxp_keygroup) next;
	uint8_t digest[32];                  /* the group: conf_group_digest() (key and MKI) */
	uint64_t key_id;                     /* the master key: conf_key_id() */
	uint32_t spare_ssrc;                 /* registered, for a stream that must move (worker
					      * takes it, atomically); 0 = none left */
	char fp[9];
	bool plain;
	uint8_t suite;                       /* enum mxp_srtp_suite */
	uint8_t mki_len;
	uint8_t mki[MXP_SRTP_MAX_MKI_LEN];
	uint64_t lifetime;
	/* The key session every stream of the group encrypts with (derived once, on the
	 * control core); it counts their packets together against the key's lifetime (RFC
	 * 4568: packets under the master key, whatever their SSRC). NULL for plain and
	 * forward groups (nothing is encrypted for them). The key itself is not kept. */
	struct mxp_srtp_key *ks;
	struct mxp_ostream_list streams;
	uint32_t nstreams;
	/* mix: receiving members per format that listed CN (PT 13): when all of a G.711 or
	 * G.722 format's do, its shared mix sends them RFC 3389 comfort noise in silence */
	uint32_t nrecv_cn[CONF_MIX_FMTS];
} __rte_cache_aligned;
CONF_HOT(struct mxp_keygroup, nrecv_codec, 1);
CONF_HOT(struct mxp_keygroup, mix, 2);
TAILQ_HEAD(mxp_kg_list, mxp_keygroup);

/* ---- legs ------------------------------------------------------------------------------------- */

/* leg flags (line 0) */
#define LEG_PLAIN 0x01
#define LEG_STRICT 0x02
#define LEG_RTCP_MUX 0x04
#define LEG_REMOTE_KNOWN 0x08
#define LEG_SSRC_CONFLICT 0x10
#define LEG_MUTED 0x20
#define LEG_AF6 0x40
#define LEG_ASYM 0x80 /* any authenticated source, no latching */
/* leg state (line 1) */
#define LEG_SSRC_KNOWN 0x01
#define LEG_IN_TOPN 0x02
#define LEG_TOPN_PREV 0x04
#define LEG_CAPTURE 0x08   /* its packets are captured (leg->cap) */
/* A latched leg's port of the other kind is a guess until a packet of that kind comes
 * (conf_latch()): RTP's is RTCP's minus 1, RTCP's is RTP's plus 1 (without rtcp-mux). A
 * NAT maps them as it likes, so even a strict leg takes that port once, from the address
 * it latched to. */
#define LEG_RTP_GUESSED 0x10
#define LEG_RTCP_GUESSED 0x20
/* MXP_LEG_*_GUESSED <-> LEG_*_GUESSED */
#define LEG_GUESSED_OF(g) ((uint8_t)((((g) & MXP_LEG_RTP_GUESSED) ? LEG_RTP_GUESSED : 0) | \
				     (((g) & MXP_LEG_RTCP_GUESSED) ? LEG_RTCP_GUESSED : 0)))
#define LEG_GUESSED_TO(st) ((uint8_t)((((st) & LEG_RTP_GUESSED) ? MXP_LEG_RTP_GUESSED : 0) | \
				      (((st) & LEG_RTCP_GUESSED) ? MXP_LEG_RTCP_GUESSED : 0)))

/*
 * RTCP state of a leg (conf_rtcp.c). The participant's stream as received (RFC 3550 A.1
 * sequence accounting, A.8 jitter): what every authenticated RTP packet updates sits in the
 * leg's second hot line (conf_rtcp_rx_hot); the rest, and its last sender report, is cold
 * (conf_rtcp_rx). tx: the reports the MRFP sends it (timer only).
 */
struct conf_rtcp_rx_hot {
	uint32_t received;
	uint32_t cycles;                     /* sequence number cycles << 16 */
	uint32_t transit;                    /* of the last packet, RTP units */
	uint32_t jitter;                     /* RFC 3550 A.8: << 4 */
	uint32_t mult;                       /* RTP units per TSC cycle << 32; 0 = no packet yet */
	uint16_t max_seq;
	uint16_t pad_;
};

struct conf_rtcp_rx {
	uint32_t base_seq;
	uint32_t bad_seq;
	uint32_t expected_prior, received_prior;
	uint32_t lsr;                        /* middle 32 bits of its last SR's NTP time, 0 none */
	uint32_t clock;                      /* RTP clock (Hz) of what it sends; 0 = the codec's */
	uint64_t lsr_tsc;                    /* when that SR came */
};

struct conf_rtcp_tx {
	uint64_t next_tsc;                   /* its next compound is due; 0 = not scheduled */
	uint32_t avg_size;                   /* RFC 3550 avg_rtcp_size, bytes with IP and UDP */
	uint32_t cursor;                     /* switch: the first stream of the next compound */
	uint32_t sr, rr, bye;                /* compounds led by an SR, by an RR; BYEs */
	float bw_s, bw_r;                    /* RTCP bytes/s of senders, of receivers (RFC 3556
					      * RS, RR); both 0: no RTCP to it */
};

/* Counters a leg keeps apart from the hot lines (see struct mxp_leg_stats). */
struct conf_leg_cold_stats {
	/* refusals lib/conf decides (the jitter buffer's, not_sending and source_mismatch
	 * are added by the snapshot from their own counters) */
	/* 32-bit (they wrap after 2^32 refusals of one reason; the snapshot widens them):
	 * 64-bit counters would add a cache line to every leg */
	uint32_t drops[MXP_LEG_DROP_COUNT];
	uint64_t rtcp_rx;
	uint64_t other_drops;
	uint64_t source_mismatch;
	uint64_t latches;
	uint64_t not_sending;
	uint64_t topn_filtered;
	uint64_t floor_filtered;
	uint64_t dtmf;
	uint64_t dtmf_log;
	uint64_t tx_pkts, tx_bytes, rtcp_tx; /* of receiver entries the leg had before a move */
	uint32_t remote_fraction_lost;
	uint32_t remote_jitter;
	uint32_t rtt;                        /* round trip of its last report block (LSR/DLSR),
					      * 1/65536 s, plus 1; 0 = none yet (conf_quality.c) */
};

struct mxp_leg {
	/* ---- line 0: read for every packet, written by commands and latching ---- */
	struct mxp_conf *conf;
	struct mxp_srtp_stream *in;          /* the participant's stream, SRTP and SRTCP */
	union {
		struct mxp_media_leg *ml;    /* mix: jitter buffer, decoder, level */
		struct mxp_ostream_slist streams; /* switch: its packets, one stream per group */
	};
	uint64_t pt_ok[2];                   /* accepted RTP payload types (all ones: any) */
	uint8_t remote[16];                  /* remote address (IPv4: the first 4 bytes) */
	uint16_t remote_port, remote_rtcp_port;
	uint16_t owner;                      /* worker */
	uint8_t mode;                        /* enum mxp_stream_mode */
	uint8_t flags;                       /* LEG_* */
	/* ---- line 1: written for every packet ---- */
	uint64_t rx_pkts, rx_bytes;          /* RTP accepted */
	uint64_t last_rx_tsc;
	uint32_t ssrc;                       /* inbound SSRC once LEG_SSRC_KNOWN */
	uint8_t level;                       /* smoothed -dBov, 127 = silence */
	uint8_t audio_level_id;              /* RFC 6464 extension id, 0 = none */
	uint8_t state;                       /* LEG_SSRC_KNOWN, LEG_IN_TOPN, ... */
	uint8_t event_pt;                    /* switch, forward: RFC 4733 payload type, 0 = none */
	uint64_t level_tsc;
	struct conf_rtcp_rx_hot rs;          /* RTCP receive statistics */
	/* ---- cold: control, statistics, labels ---- */
	uint32_t id;
	uint32_t rcv_idx;                    /* its entry in kg->rcv[] */
	struct mxp_keygroup *kg;             /* the group whose streams it receives */
	TAILQ_ENTRY(mxp_leg) in_conf;
	uint16_t port_idx, addr_idx;
	uint16_t local_port, local_rtcp_port;
	struct mxp_ip local_ip;
	struct rte_ether_addr src_mac;
	uint32_t dtmf_ts;                    /* switch, forward: RTP timestamp of the last event */
	uint64_t in_key_id;                  /* of its active key: SSRC collision checks */
	struct mxp_leg_ctl *lc;              /* its control-core bookkeeping (control core) */
	struct mxp_ostream *priv;            /* mix: its private mix-minus-self */
	uint8_t out_codec;                   /* mix: the format slot it receives (cf->fmt) */
	uint8_t out_pt;
	uint8_t cn_out;                      /* mix: it listed CN (13) and hears G.711/G.722 */
	uint32_t ml_size;                    /* mix: bytes of ml */
	struct conf_sig *sig;                /* mix: its signal state (made at its first one) */
	struct conf_cap *cap;                /* its capture, with LEG_CAPTURE */
	struct conf_leg_cold_stats st;
	struct conf_rtcp_rx rrx;
	struct conf_rtcp_tx rtx;
	char label[MXP_CONF_NAME_LEN];
} __rte_cache_aligned;
CONF_HOT(struct mxp_leg, flags, 1);
CONF_HOT(struct mxp_leg, level_tsc, 2);
/* nine cache lines: a field added must find a hole (pahole / gdb ptype /o) or say why */
_Static_assert(sizeof(struct mxp_leg) == 9 * 64, "struct mxp_leg is 576 bytes");
CONF_HOT(struct mxp_leg, rs, 2);
TAILQ_HEAD(mxp_leg_list, mxp_leg);

/*
 * The leg's refusal counter for a worker drop reason, on the owning worker. not_sending
 * and source_mismatch have counters of their own (the snapshot copies them into drops[]);
 * reasons that are no leg's (handoff_full: counted by a worker that does not own the leg)
 * count nothing here.
 */
static inline void
conf_leg_count(struct mxp_leg *l, enum mxp_drop d)
{
	enum mxp_leg_drop r;
	switch (d) {
	case MXP_DROP_RTP_TRUNCATED:
	case MXP_DROP_RTP_VERSION:
	case MXP_DROP_RTP_CSRC:
	case MXP_DROP_RTP_EXT:
	case MXP_DROP_RTP_PADDING: r = MXP_LEG_DROP_RTP_MALFORMED; break;
	case MXP_DROP_RTP_PAYLOAD_TYPE: r = MXP_LEG_DROP_UNKNOWN_PT; break;
	case MXP_DROP_SSRC_COLLISION: r = MXP_LEG_DROP_SSRC_COLLISION; break;
	case MXP_DROP_SRTP_AUTH: r = MXP_LEG_DROP_SRTP_AUTH; break;
	case MXP_DROP_SRTP_REPLAY: r = MXP_LEG_DROP_SRTP_REPLAY; break;
	case MXP_DROP_SRTP_TOO_OLD: r = MXP_LEG_DROP_SRTP_TOO_OLD; break;
	case MXP_DROP_SRTP_UNKNOWN_MKI: r = MXP_LEG_DROP_SRTP_UNKNOWN_MKI; break;
	case MXP_DROP_SRTP_KEY_EXHAUSTED: r = MXP_LEG_DROP_SRTP_KEY_EXHAUSTED; break;
	case MXP_DROP_SRTP_SSRC: r = MXP_LEG_DROP_SRTP_SSRC; break;
	case MXP_DROP_SRTP_BAD_HEADER:
	case MXP_DROP_SRTP_OTHER: r = MXP_LEG_DROP_SRTP_OTHER; break;
	case MXP_DROP_NO_MBUF: r = MXP_LEG_DROP_NO_MBUF; break;
	/* only a mix leg's packet in an external buffer too big for a pool mbuf (conf_mix_rx) */
	case MXP_DROP_L2_SEGMENTED: r = MXP_LEG_DROP_TOO_LARGE; break;
	default: return;
	}
	l->st.drops[r]++;
}

/* The leg's remote address as an mxp_ip. */
static inline struct mxp_ip
conf_leg_remote(const struct mxp_leg *l)
{
	struct mxp_ip a;
	memset(&a, 0, sizeof(a));
	a.af = (l->flags & LEG_AF6) ? AF_INET6 : AF_INET;
	memcpy(a.v6, l->remote, (l->flags & LEG_AF6) ? 16 : 4);
	return a;
}

/* The leg's receiver entry. */
static inline struct conf_rcv *
conf_leg_rcv(const struct mxp_leg *l)
{
	return &l->kg->rcv[l->rcv_idx];
}

/* ---- conferences ------------------------------------------------------------------------------ */

struct mxp_conf {
	/* line 0: per packet */
	uint8_t mode;
	uint8_t ncap;                        /* captures of it or its legs: 0 = none (the one
					      * test a packet pays when nobody captures) */
	uint16_t topn;
	uint16_t worker;
	struct mxp_leg *floor;               /* NULL: open floor */
	struct mxp_keygroup *fwd_kg;         /* forward mode: the one group (every leg) */
	uint64_t rx_pkts, tx_pkts;
	struct mxp_media_mixer *mixer;
	/* cold */
	uint32_t id;
	TAILQ_ENTRY(mxp_conf) next;
	uint32_t replay_window;
	struct mxp_leg_list legs;
	uint32_t nlegs;
	struct mxp_kg_list kgs;
	uint32_t nkgs;
	uint64_t enc_gone, dec_gone;         /* of key groups and legs that left (cumulative counts) */
	uint64_t created_ms;
	uint64_t next_sr_walk;               /* TSC of the next look for due reports */
	/* mix */
	size_t mixer_size;
	uint32_t heap_idx;                   /* mix: place in the owner's tick heap, or UINT32_MAX */
	/* the shared mix's encoder per codec, for the codecs its legs receive (allocated when
	 * the first leg of a codec joins) */
	struct mxp_media_coder *enc[CONF_MIX_FMTS];
	/* the formats of the slots (codec NONE: free); written before a leg of it is linked */
	struct conf_mix_fmt {
		uint8_t codec;                   /* enum mxp_media_codec */
		uint8_t pt;
		struct mxp_media_fmtp fmtp;
	} fmt[CONF_MIX_FMTS];
	uint32_t max_legs;
	uint16_t ptime;
	uint64_t mix_time;                   /* ticks elapsed, skipped ones included */
	uint64_t next_cmr_walk;              /* TSC: look at the listeners' AMR CMRs again */
	int8_t shared_cmr[CONF_MIX_FMTS];    /* the mode each shared AMR encoder was asked for */
	/* comfort noise of a silent shared mix per format, resent every CONF_CN_REPEAT_MS:
	 * AMR, AMR-WB with DTX: the last silence descriptor its encoder made; G.711, G.722:
	 * an RFC 3389 CN payload (the noise level) */
	struct conf_mix_cn {
		uint16_t ticks;                  /* ticks of silence so far */
		uint8_t len;                     /* cached SID or CN payload, 0 = none */
		uint8_t pay[32];
	} cn[CONF_MIX_FMTS];
	struct mxp_leg *prev_talkers[MXP_MEDIA_MAX_TALKERS];
	unsigned int n_prev_talkers;
	uint32_t ncascade;                   /* mix: its cascade legs (control core) */
	uint32_t ssrc_conflicts;             /* legs refused with LEG_SSRC_CONFLICT (worker) */
	uint8_t max_cascade;                 /* mix: how many it can hold (the mixer's slots) */
	uint8_t nxslot;                      /* mix: cascade slots given to the mixer (control) */
	void *xslot[MXP_CONF_MAX_CASCADE];   /* their memory, freed with the mixer */
	uint8_t fwd_digest[32];              /* forward mode: the conference key */
	bool fwd_key_set;
	struct conf_sig_conf *sig;           /* mix: signals (made at the first one) */
	struct conf_rec *rec;                /* mix: its recording (set by CONF_CMD_RECORD) */
	struct conf_cap *cap;                /* its conference capture, or NULL */
	char name[MXP_CONF_NAME_LEN];
} __rte_cache_aligned;
CONF_HOT(struct mxp_conf, mixer, 1);
TAILQ_HEAD(mxp_conf_list, mxp_conf);

/* ---- control -> worker commands ----------------------------------------------------------------- */

/*
 * Typed, and owned by the heap, never by the poster's stack: the poster and the worker each
 * hold a reference and whoever drops the last frees it. A command runs only if the worker
 * takes it from POSTED to RUNNING; a poster that gives up (timeout) takes it from POSTED to
 * ABANDONED instead, and then nothing of it ever runs: the poster undoes its preparations
 * and reports -ETIMEDOUT, so every operation stays all or nothing even when a worker stalls.
 */
enum conf_cmd_type {
	CONF_CMD_CONF_ADD = 1,
	CONF_CMD_CONF_DEL,
	CONF_CMD_FLOOR,
	CONF_CMD_TOPN,
	CONF_CMD_LEG_ADD,
	CONF_CMD_LEG_DEL,
	CONF_CMD_LEG_MOD,
	CONF_CMD_SIGNAL,
	CONF_CMD_RECORD,
	CONF_CMD_CAPTURE,
};

enum conf_cmd_state {
	CONF_CMD_POSTED = 0,
	CONF_CMD_RUNNING,
	CONF_CMD_DONE,
	CONF_CMD_ABANDONED,
};

/*
 * Mix: what a leg's codec needs before the leg joins a group, prepared on the control core
 * and installed by the command: the group's shared-mix stream of that codec and the
 * conference's encoder of it, when they do not exist yet.
 */
/* mix: what a leg's codecs make (conf_mix_legset_build()): its media leg, the decoders
 * and private encoder it uses, the format slot it hears */
struct conf_mix_legset {
	struct mxp_media_leg *ml;
	uint32_t ml_size;
	void *dec[MXP_MEDIA_CODEC_COUNT - MXP_MEDIA_CODEC_AMR];
	struct mxp_media_coder *priv_enc;
	uint32_t codec_bytes;
	uint8_t out_codec;                   /* format slot (cf->fmt) */
	uint8_t out_pt;
	uint8_t cn_out;
	uint8_t new_fmt;                     /* a frame-format slot it took, 0 = none */
};

struct conf_mix_prep {
	struct mxp_keygroup *kg;
	uint8_t codec;
	struct mxp_ostream *os;              /* kg->mix[codec] */
	struct mxp_media_coder *enc;         /* conf->enc[codec] */
	uint32_t enc_bytes;                  /* what enc holds (show memory) */
};

/* A receiver array that must grow before a member joins (the worker copies and swaps). */
struct conf_rcv_grow {
	struct mxp_keygroup *kg;
	struct conf_rcv *arr;                /* in: the larger array; out: the old one to free */
	uint32_t cap;
};

/* Members of the command that adds a leg. */
struct leg_add_args {
	struct mxp_leg *leg;
	void *xslot;                         /* mix: a cascade slot for the mixer, or NULL */
	bool xslot_in;                       /* the worker gave it to the mixer */
	struct mxp_keygroup *new_kg;         /* NULL when the leg joins an existing group */
	struct conf_rcv_grow grow;           /* kg NULL: the group has room */
	struct mxp_ostream **os;             /* new streams: the leg's own + others' to new_kg */
	uint32_t nos;
	struct conf_mix_prep mix;            /* mix: what its codec needs first */
};

/* Members of the command that removes a leg; the worker fills dead[] (sized beforehand). */
struct leg_del_args {
	struct mxp_leg *leg;
	struct mxp_keygroup *dead_kg;        /* set by the worker when the group emptied */
	struct mxp_ostream **dead;           /* streams unlinked */
	uint32_t ndead;
};

/* What a modification changes on the worker (a copy of the caller's request). */
struct leg_mod_args {
	struct mxp_leg *leg;
	void *xslot;                         /* mix: a cascade slot for the mixer, or NULL */
	bool xslot_in;                       /* the worker gave it to the mixer */
	struct mxp_leg_mod m;
	struct mxp_keygroup *to_kg;          /* move to this group (activate_out) */
	bool to_kg_new;
	struct conf_rcv_grow grow;           /* to_kg needs a larger receiver array */
	struct mxp_ostream **add;            /* streams to link */
	uint32_t nadd;
	bool drop_own;                       /* the leg stops sending: unlink its streams */
	struct mxp_ostream **dead;           /* filled by the worker */
	uint32_t ndead;
	struct mxp_keygroup *dead_kg;
	struct mxp_ostream *new_priv;        /* mix: private stream under the new group key */
	struct mxp_ostream *old_priv;        /* mix: the one it replaced (freed afterwards) */
	struct conf_mix_prep mix;            /* mix: the new group's shared stream of its codec */
	struct mxp_srtp_key *add_in_ks;      /* inbound key session to add (derived already) */
	struct mxp_srtp_key *rm_in_ks;       /* inbound key session to stop using */
	uint64_t in_key_id;                  /* the inbound master key it uses now; 0 = same */
	/* set_codecs (the description changed): */
	bool codecs;
	bool new_slot;                       /* mix: it hears another format: new streams */
	struct mxp_media_coder *old_sw_enc;  /* switch: its old signal encoder (worker out) */
	uint8_t event_pt;
	uint64_t pt_ok[2];
	uint32_t clock;
	struct conf_mix_legset ms;           /* mix: in: the new set; out: the old one */
};

struct mxp_conf_cmd {
	enum conf_cmd_type type;
	uint32_t state;                      /* enum conf_cmd_state, changed atomically */
	uint32_t refs;                       /* poster + worker */
	int result;
	union {
		struct mxp_conf *cf;                              /* CONF_ADD, CONF_DEL */
		struct { struct mxp_conf *cf; struct mxp_leg *leg; } floor;
		struct { struct mxp_conf *cf; uint16_t topn; } topn;
		struct leg_add_args leg_add;
		struct leg_del_args leg_del;
		struct leg_mod_args leg_mod;
		struct conf_sig_args *sig;                        /* SIGNAL (conf_signal.c) */
		struct { struct mxp_conf *cf; struct conf_rec *rec; } rec; /* RECORD: NULL stops */
		struct conf_cap_args *cap;                        /* CAPTURE (conf_capture.c) */
	} u;
};

/* ---- the worker -------------------------------------------------------------------------------- */

/* A packet waiting for the flush. */
struct conf_pending {
	struct rte_mbuf *m;
	struct mxp_leg *leg;
	struct mxp_ip src;
	uint16_t sport;
	uint16_t port_idx;
	bool rtcp;
	bool latch;
	bool confirm;                        /* from the remote's port that is a guess */
};

#define OUT_RTCP 0x1   /* an RTCP packet: SRTCP, the RTCP templates */
#define OUT_STAMP 0x2  /* switch: write the stream's SSRC and sequence number into it */

/*
 * One payload on its way out, whatever the mode: switched (a sender's packet for one key
 * group), forwarded (as received), mixed (a shared mix or a private one), or a report.
 * The emit pipeline takes every one of them through the same stages.
 */
struct conf_out {
	struct rte_mbuf *m;                  /* RTP/RTCP at data offset 0 */
	struct mxp_ostream *os;              /* protect under os (NULL: as is) */
	struct mxp_keygroup *kg;             /* receivers: the group's entries... */
	struct mxp_leg *only;                /* ...or exactly this leg (a private mix) */
	const struct mxp_leg *skip;          /* the sender: never gets its own packet */
	struct mxp_conf *conf;
	uint8_t flags;                       /* OUT_* */
	uint8_t codec;                       /* mix shared: receivers of this codec not talking */
};

/* One entry of a worker's tick heap. */
struct conf_mix_due {
	uint64_t due_us;
	struct mxp_conf *cf;
};

#define CONF_MAX_CONFS (1u << 16) /* conferences in a system (its hash table) */

struct mxp_conf_worker {
	struct mxp_conf_sys *sys;
	uint16_t idx;
	bool attached;
	struct mxp_conf_io io;
	void *io_arg;
	uint64_t *drops;
	struct rte_ring *cmd_ring;           /* control -> worker: commands */
	struct rte_ring *handoff;            /* other workers -> this one: frames */
	uint64_t cmds_run;                   /* commands run */
	uint64_t cmds_abandoned;             /* commands dropped: the poster gave up waiting */
	uint64_t mixer_refusals;             /* the mixer refused what the control core checked */
	uint64_t mix_copies;                 /* mix packets copied out of an external buffer */
	/* a command to it timed out: set by the control core, which then places new
	 * conferences on the other workers; cleared by the worker when it takes a command */
	uint32_t unresponsive;
	struct mxp_conf_list confs;
	uint32_t nconfs;
	uint64_t next_tick_tsc;
	/* mix conferences by their next tick (a binary min-heap): a poll looks at the first
	 * only, so idle conferences cost nothing between their ticks */
	struct conf_mix_due *mix_heap;
	uint32_t mix_n;
	uint16_t npend;
	struct conf_pending pend[CONF_BURST];
	uint16_t nout;
	struct conf_out out[CONF_MAX_OUT];   /* payloads waiting for protect and replication */
} __rte_cache_aligned;

/* ---- the system (control core) ----------------------------------------------------------------- */

/*
 * What the control core keeps of a master key once its session is derived: the session
 * and what operators and the MRFC are told about it, never the key itself (the caller's
 * copy is wiped by the caller; nothing here can leak it).
 */
struct conf_kmeta {
	struct mxp_srtp_key *ks;             /* its session (a reference); NULL: never used to
					      * encrypt or decrypt (a forward leg's outbound key) */
	uint64_t lifetime;
	uint8_t gdigest[32];                 /* conf_group_digest(): its key group */
	uint64_t key_id;                     /* conf_key_id(): the master key */
	uint8_t mki[MXP_SRTP_MAX_MKI_LEN];
	uint8_t mki_len;
	uint8_t suite;
	char fp[9];
};

/* A leg's keys: nin inbound (the participant's), then nout outbound (the mixer's). */
struct conf_kset {
	uint8_t nin, nout;
	uint8_t out_active;                  /* index among the outbound keys */
	uint8_t pad_[5];
	struct conf_kmeta k[];
};
#define CONF_KSET_MAX (2 * MXP_SRTP_MAX_KEYS)

static inline struct conf_kmeta *
conf_kin(const struct conf_kset *s, unsigned int i)
{
	return (struct conf_kmeta *)&s->k[i];
}

static inline struct conf_kmeta *
conf_kout(const struct conf_kset *s, unsigned int i)
{
	return (struct conf_kmeta *)&s->k[s->nin + i];
}

/* Control-core bookkeeping of a leg (keys' sessions and metadata; the data path never
 * reads it). */
struct mxp_leg_ctl {
	struct mxp_leg *leg;
	struct mxp_conf_ctl *conf;
	struct conf_kset *keys;              /* NULL for a plain leg */
	/* mix: the frame codecs' decoders of its media leg (by codec - AMR) and the encoder of
	 * its private mix when it receives a frame codec (made and freed here) */
	void *dec[MXP_MEDIA_CODEC_COUNT - MXP_MEDIA_CODEC_AMR];
	struct mxp_media_coder *priv_enc;
	uint32_t codec_bytes;                /* what the codecs say they hold (show memory) */
	/* switch: what the MRFP's signals toward the leg are encoded in (conf_signal.c's
	 * conf_signal_leg_codec(), at the add): the first of its payload types that is PCMU,
	 * PCMA, G722 or a frame codec of its a=rtpmap, and that one's a=fmtp */
	uint8_t sw_codec, sw_pt;
	struct mxp_media_fmtp sw_fmtp;
	uint8_t new_fmt;                     /* frame-format slot its add took, 0 = none */
	bool cascade;                        /* mix: a cascade leg (its media leg's flag too) */
	uint64_t codecs_sig;                 /* mxp_conf_codecs_sig() of its codecs */
	uint32_t codec_changes;
	/* mix: the statistics of the media legs a codec change replaced (made at the first) */
	struct mxp_media_leg_stats *ml_prior;
};


struct mxp_conf_ctl {
	struct mxp_conf *conf;
	uint16_t worker;
};

struct mxp_conf_addr_rt {
	struct mxp_conf_addr a;
	uintptr_t *table;                    /* 65536 entries: leg | TABLE_RTCP, 0 = free */
	uint16_t next;                       /* allocation cursor */
	uint8_t cname_len;                   /* RTCP: the MRFP's CNAME on this address */
	char cname[63];
};

/* Bytes held by variable-size objects (what the pools do not count), control core. */
struct conf_mem {
	uint64_t rcv_bytes;                  /* receiver arrays */
	uint64_t srtp_streams, srtp_bytes;   /* inbound SRTP streams */
	uint64_t keys, key_bytes;            /* SRTP key sessions */
	uint64_t media_legs, media_bytes;    /* mix: media legs */
	uint64_t mixers, mixer_bytes;
};

struct mxp_conf_sys {
	struct mxp_conf_sys_params p;
	struct mxp_conf_addr_rt addr[MXP_CONF_MAX_PORTS * 2];
	struct mxp_conf_worker *w[MXP_CONF_MAX_WORKERS];
	struct rte_rcu_qsbr *rcu;
	struct rte_hash *confs;              /* id -> struct mxp_conf_ctl * */
	struct rte_hash *legs;               /* id -> struct mxp_leg_ctl * */
	struct rte_hash *ssrcs;              /* key digest || ssrc -> 1: output SSRCs per key */
	int8_t addr_by_port[MXP_CONF_MAX_PORTS][2]; /* [port][0 v4, 1 v6] -> addr index, -1 */
	uint32_t next_conf_id, next_leg_id, next_kg_id;
	struct conf_pool leg_pool, lc_pool, os_pool, kg_pool, conf_pool;
	struct conf_pool kset_pool[CONF_KSET_MAX]; /* key sets of 1 .. CONF_KSET_MAX keys */
	struct conf_mem mem;
	struct conf_sig_sys *sig;            /* signals (conf_signal.c), made at first use */
	struct conf_rec_sys *rec;            /* recordings (conf_record.c), made at first use */
	struct conf_cap_sys *cap;            /* captures (conf_capture.c), made at first use */
	/* mix ticks (late ones) of deleted conferences, per worker (mxp_conf_worker_stats) */
	uint64_t mix_ticks_gone[MXP_CONF_MAX_WORKERS], mix_late_gone[MXP_CONF_MAX_WORKERS];
};

/* ---- shared helpers (control core) ------------------------------------------------------------- */

/* Fill err (if given) and return code. */
int conf_errf(char *err, size_t len, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
struct mxp_conf_ctl *conf_find(struct mxp_conf_sys *sys, uint32_t id);
struct mxp_leg_ctl *conf_find_leg(struct mxp_conf_sys *sys, uint32_t id);
/* Wait until every attached worker passed a quiescent point. */
void conf_rcu_sync(struct mxp_conf_sys *sys);

/* conf_sys.c: commands */
/* A new command of a type (zeroed, one reference: the caller's), or NULL. */
struct mxp_conf_cmd *conf_cmd_new(enum conf_cmd_type type);
/* Drop a reference; the last one frees the command. */
void conf_cmd_put(struct mxp_conf_cmd *c);
/*
 * Post a command to a worker and wait until it ran (the caller keeps its reference).
 * Returns 0 (it ran), -EBUSY (the worker's ring is full) or -ETIMEDOUT (the worker did not
 * take it within the system's command timeout): on both errors it did not run and never
 * will.
 */
int conf_post(struct mxp_conf_sys *sys, uint16_t worker, struct mxp_conf_cmd *c);
/* Worker: run a command taken from the ring (or inline), unless its poster gave up. */
void conf_cmd_take(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);

/* conf_conf.c / conf_leg.c: the worker's side of commands */
void conf_cmd_conf_add(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
void conf_cmd_conf_del(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
void conf_cmd_floor(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
void conf_cmd_topn(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
void conf_cmd_leg_add(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
void conf_cmd_leg_del(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
void conf_cmd_leg_mod(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);

/* conf_keys.c: keys */
int conf_check_keys(const struct mxp_conf_keys *ks, const char *dir, char *err, size_t errlen);
/*
 * The master key as a 64-bit id: the first bytes of SHA-256(suite || key || salt). Used
 * where two keys taken for one are harmless or 2^-64 unlikely to matter: the SSRC registry
 * (two keys would only share a namespace) and SSRC collisions between legs.
 */
uint64_t conf_key_id(const struct mxp_conf_key *k);
/* The key group of an outbound key: the master key and the MKI it is sent with. */
void conf_group_digest(const struct mxp_conf_key *k, uint8_t out[32]);
/* Give a group a registered spare SSRC if its last one was used (control core). */
void conf_kg_spare(struct mxp_conf_sys *sys, struct mxp_keygroup *kg);
void conf_key_fp(const struct mxp_conf_key *k, char fp[9]);
/* A key session for one master key (derived here, on the control core), one reference. */
struct mxp_srtp_key *conf_key_new(struct mxp_conf_sys *sys, const struct mxp_conf_key *k,
				  int *rc, char *err, size_t errlen);
/* Drop a reference; the last one wipes and frees the session. NULL is a no-op. */
void conf_key_put(struct mxp_conf_sys *sys, struct mxp_srtp_key *ks, enum mxp_srtp_suite suite);
/* A leg's inbound stream (SSRC learned from the first authenticated packet), new or going
 * on from a state (NULL or !valid: new). */
struct mxp_srtp_stream *conf_in_stream_new(struct mxp_conf_sys *sys, uint32_t window,
					   const struct mxp_leg_rx_state *from, char *err,
					   size_t errlen);
void conf_in_stream_free(struct mxp_conf_sys *sys, struct mxp_srtp_stream *s);
/* conf_keys.c: output streams (an SRTP context under a group's key, a unique SSRC) */
struct mxp_ostream *conf_ostream_new(struct mxp_conf_sys *sys, struct mxp_keygroup *kg,
				     struct mxp_leg *src, char *err, size_t errlen);
void conf_ostream_free(struct mxp_conf_sys *sys, struct mxp_ostream *os);
/* conf_keys.c: key groups */
struct mxp_keygroup *conf_kg_find(struct mxp_conf *cf, const uint8_t digest[32]);
/* A new group for an outbound key (NULL: the plain group); it takes a reference on the
 * key's session. */
struct mxp_keygroup *conf_kg_new(struct mxp_conf_sys *sys, struct mxp_conf *cf,
				 const struct conf_kmeta *k);
/* A key set of nin + nout keys (zeroed), from the pool of its size; NULL: no memory. */
struct conf_kset *conf_kset_new(struct mxp_conf_sys *sys, unsigned int nin, unsigned int nout);
/* Free a key set; with put, drop the references its keys hold on their sessions. */
void conf_kset_free(struct mxp_conf_sys *sys, struct conf_kset *s, bool put);
/* Fill a key's metadata from the caller's key and, with with_ks, give it a session: a
 * reference to share (the same key's session in the conference) or a new one derived here.
 * Returns 0 or the error of the derivation (err says why). */
int conf_kmeta_fill(struct mxp_conf_sys *sys, struct conf_kmeta *m, const struct mxp_conf_key *k,
		    bool with_ks, struct mxp_srtp_key *share, char *err, size_t errlen);
/* The key set as struct mxp_conf_keys without key bytes, for conf_check_keys(). */
void conf_kset_shape(const struct conf_kset *s, bool out, struct mxp_conf_keys *ks);
void conf_kg_free(struct mxp_conf_sys *sys, struct mxp_keygroup *kg);
/* Prepare a larger receiver array if kg has no room for one more member (g->kg set). */
int conf_rcv_reserve(struct mxp_conf_sys *sys, struct mxp_keygroup *kg, struct conf_rcv_grow *g);
/* After the command: free the array the worker replaced. */
void conf_rcv_grow_done(struct mxp_conf_sys *sys, struct conf_rcv_grow *g);
/* Worker (inside commands): swap in a grown array. */
void conf_rcv_grow_apply(struct conf_rcv_grow *g);
/* Worker (inside commands): a leg joins or leaves kg's receivers. */
void conf_rcv_join(struct mxp_keygroup *kg, struct mxp_leg *l);
void conf_rcv_leave(struct mxp_leg *l);
/* Worker: rebuild a leg's headers after its remote address or mode changed. */
void conf_rcv_refresh(struct mxp_leg *l);

/* conf_rx.c */
bool conf_latch(struct mxp_leg *l, const struct conf_pending *pe);
/* Worker: a leg leaves or its inbound key changes: SSRC collisions with it end. */
void conf_ssrc_release(struct mxp_leg *l);

/* conf_emit.c: the emit pipeline */
/* Queue a payload for emission (runs the pipeline first when the queue is full). */
void conf_out_push(struct mxp_conf_worker *w, const struct conf_out *o);
/* Stamp, protect, replicate and transmit everything queued. */
void conf_emit(struct mxp_conf_worker *w);
/* Who a top-N conference forwards, from the legs' recent levels (also when N changes). */
void conf_topn_update(struct mxp_conf *cf, uint64_t now);
/* Timers: top-N and RTCP reports. */
void conf_tick(struct mxp_conf_worker *w, uint64_t now);

/* conf_mix.c */
int conf_mix_conf_init(struct mxp_conf_sys *sys, struct mxp_conf *cf, char *err, size_t errlen);
void conf_mix_conf_free(struct mxp_conf_sys *sys, struct mxp_conf *cf);
/* Control: the cascade slot the mixer needs for one more cascade leg (*slot NULL when it
 * has one); 0 or -ENOMEM. Worker: give it to the mixer. Control, after the command: keep
 * it if the worker did, else free it. */
int conf_mix_xslot_new(struct mxp_conf_sys *sys, struct mxp_conf *cf, void **slot, char *err,
		       size_t errlen);
bool conf_mix_xslot_give(struct mxp_conf *cf, void *slot);
void conf_mix_xslot_done(struct mxp_conf_sys *sys, struct mxp_conf *cf, void *slot, bool in);
int conf_mix_leg_alloc(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_leg *l,
		       const struct mxp_leg_params *p, char *err, size_t errlen);
int conf_mix_legset_build(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_leg *l,
			  const struct mxp_leg_params *p, struct conf_mix_legset *s, char *err,
			  size_t errlen);
void conf_mix_legset_free(struct mxp_conf_sys *sys, struct mxp_conf *cf,
			  struct conf_mix_legset *s);
/* The statistics of a leg's media leg, with those of the ones codec changes replaced. */
void conf_mix_ml_stats(const struct mxp_leg *l, struct mxp_media_leg_stats *ms);
/* After a codec change: keep the statistics of the media leg it replaced (control core,
 * the worker done with it). -ENOMEM: they are lost. */
int conf_mix_ml_retire(struct mxp_leg_ctl *lc, const struct mxp_media_leg *old);
/* A new private stream for a leg moving to another key group (the group key changed). */
struct mxp_ostream *conf_mix_priv_new(struct mxp_conf_sys *sys, struct mxp_leg *l,
				      struct mxp_keygroup *kg, char *err, size_t errlen);
void conf_mix_leg_free(struct mxp_conf_sys *sys, struct mxp_leg *l);
void conf_mix_codecs_free(struct mxp_conf_sys *sys, struct mxp_leg_ctl *lc);
void conf_mix_kg_free(struct mxp_conf_sys *sys, struct mxp_keygroup *kg);
/* Prepare what a leg of this codec joining kg needs (nothing if it all exists). */
int conf_mix_prep(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_keygroup *kg,
		  uint8_t codec, struct conf_mix_prep *mp, char *err, size_t errlen);
/* Worker (inside the command): install what was prepared; the control core frees what a
 * command that did not run leaves in it. */
void conf_mix_prep_apply(struct mxp_conf *cf, struct conf_mix_prep *mp);
void conf_mix_prep_free(struct mxp_conf_sys *sys, struct conf_mix_prep *mp);
/* Worker: a leg joins/leaves the mixer and its group's codec counts (inside commands). */
/* 0, or the mixer's refusal (counted in the worker's mixer_refusals by the caller) */
int conf_mix_leg_link(struct mxp_leg *l);
void conf_mix_leg_unlink(struct mxp_leg *l);
/* Worker: count a receiving leg in (+1) or out of (-1) its group's per-codec listeners. */
void conf_mix_count(struct mxp_leg *l, int sign);
/* Worker: an authenticated, decrypted RTP packet of a mix leg (the mbuf is consumed). */
void conf_mix_rx(struct mxp_conf_worker *w, struct mxp_leg *l, struct rte_mbuf *m,
		 const uint8_t *p, uint32_t len, const struct mxp_rtp_info *ri, uint64_t now_tsc);
/* Worker: run the mix ticks that are due. */
void conf_mix_poll(struct mxp_conf_worker *w, uint64_t now_tsc);
/* Worker side: a mix conference starts or stops ticking on this worker. */
void conf_mix_heap_add(struct mxp_conf_worker *w, struct mxp_conf *cf);
void conf_mix_heap_del(struct mxp_conf_worker *w, struct mxp_conf *cf);

/* Build an RTP packet (header + payload) in a fresh mbuf; NULL (counted) without one. */
struct rte_mbuf *conf_mix_rtp_mbuf(struct mxp_conf_worker *w, uint32_t ssrc, uint16_t seq,
				   uint32_t ts, uint8_t pt, bool marker, const uint8_t *payload,
				   unsigned int plen);
/* An output stream's packet was built: its sender state moves on. */
void conf_mix_ostream_sent(struct mxp_ostream *os, int plen, uint64_t now_tsc);
/* A talker's private stream: its timestamp for this tick (its clock runs through the ticks
 * it did not send). */
uint32_t conf_mix_priv_ts(struct mxp_conf *cf, struct mxp_leg *l);

/* conf_signal.c */
/* Worker: a command starting or stopping a signal. */
void conf_cmd_signal(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
/* Worker, in the mix tick after the talkers were marked: the signals' part of the tick
 * (only called while some signal of the conference plays); returns the result to encode. */
const struct mxp_media_mix_result *conf_signal_tick(struct mxp_conf_worker *w,
						    struct mxp_conf *cf,
						    const struct mxp_media_mix_result *res,
						    uint64_t now_tsc);
/* Whether a conference has signals to run this tick (worker). */
bool conf_signal_busy(const struct mxp_conf *cf);
/* Worker: a leg leaves its mixer (its signal ends, interrupted). */
void conf_signal_leg_unlink(struct mxp_leg *l);
/* Worker: the leg's codecs changed: its signal ends; switch: *old_enc to free afterwards. */
void conf_signal_leg_codecs(struct mxp_conf_worker *w, struct mxp_leg *l,
			    struct mxp_media_coder **old_enc);
/* Control core: free a switch leg's old signal encoder (before lc->sw_codec changes). */
void conf_signal_enc_free(struct mxp_conf_sys *sys, struct mxp_leg_ctl *lc,
			  struct mxp_media_coder *e);
/* Control core: free what a leg's / a conference's signals hold. */
void conf_signal_leg_free(struct mxp_conf_sys *sys, struct mxp_leg *l);
void conf_signal_conf_free(struct mxp_conf_sys *sys, struct mxp_conf *cf);
/* Control core: at system destruction. */
void conf_signal_sys_free(struct mxp_conf_sys *sys);

/* conf_record.c */
/* Worker: a command installing (rec) or removing (NULL) a conference's recording. */
void conf_cmd_record(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
/* Worker, in the mix tick after the signals: queue the tick's shared mix. */
void conf_rec_tick(struct conf_rec *rec, const struct mxp_media_mix_result *res);
/* Control core: the conference is freed (its worker let go of it): finish its recording. */
void conf_rec_conf_free(struct mxp_conf_sys *sys, struct mxp_conf *cf);
/* Control core, system destruction (before the conferences go): finish every recording. */
void conf_rec_sys_free(struct mxp_conf_sys *sys);
/* conf_capture.c */
/* Worker: a command starting or stopping a capture. */
void conf_cmd_capture(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);
/* Worker, only when l->conf->ncap: copy a frame of leg l (inbound before its checks and
 * decryption, outbound as sent) to its captures. */
void conf_cap_pkt(struct mxp_conf_worker *w, const struct mxp_leg *l, const struct rte_mbuf *m,
		  uint16_t port_idx, bool out);
/* Control core, at system destruction: end every capture (files closed). */
void conf_capture_sys_free(struct mxp_conf_sys *sys);

/* conf_rtcp.c */
/* The wall clock's anchor for NTP timestamps (at system creation). */
void conf_rtcp_clock_init(void);
/* The MRFP's RTCP CNAME on a local address (at system creation). */
void conf_rtcp_cname_init(struct mxp_conf_addr_rt *a);
/* Process an authenticated RTCP compound packet from a leg (its reports, its last SR). */
void conf_rtcp_input(struct mxp_leg *l, const uint8_t *p, uint32_t len, uint64_t now);
/* The first packet of a leg, and sequence jumps (RFC 3550 A.1's bad_seq). */
void conf_rtcp_rx_slow(struct mxp_leg *l, const struct mxp_rtp_info *ri, uint64_t now);
#define CONF_SEQ_DROPOUT 3000
#define CONF_SEQ_MISORDER 100

/* Update RFC 3550 receive statistics with an authenticated RTP packet (A.1 without the
 * probation: the packets are authenticated; A.8): the leg's hot line only, no division. */
static inline void
conf_rtcp_rx_rtp(struct mxp_leg *l, const struct mxp_rtp_info *ri, uint64_t now)
{
	struct conf_rtcp_rx_hot *r = &l->rs;
	uint16_t udelta = (uint16_t)(ri->seq - r->max_seq);
	if (__builtin_expect(r->mult == 0 || (udelta >= CONF_SEQ_DROPOUT &&
					      udelta <= (1u << 16) - CONF_SEQ_MISORDER), 0)) {
		conf_rtcp_rx_slow(l, ri, now);
		return;
	}
	if (udelta < CONF_SEQ_DROPOUT) {
		if (ri->seq < r->max_seq)
			r->cycles += 1u << 16;
		r->max_seq = ri->seq;
	} /* else duplicate or reordered: counted */
	r->received++;
	/* the arrival in RTP units (mod 2^32): a multiplication by the clock's reciprocal */
	uint32_t arrival = (uint32_t)(((unsigned __int128)now * r->mult) >> 32);
	uint32_t transit = arrival - ri->ts;
	uint32_t d = transit - r->transit;
	r->transit = transit;
	if ((int32_t)d < 0)
		d = 0u - d; /* |D| (2^31 stays 2^31: no signed overflow) */
	r->jitter += d - ((r->jitter + 8) >> 4);
}
/* Worker timer: send the reports of a conference's legs that are due (every mode but
 * forward, whose participants' own reports are relayed). */
void conf_rtcp_walk(struct mxp_conf_worker *w, struct mxp_conf *cf, uint64_t now);
/* Worker, inside the command that removes a leg or changes its streams (before anything is
 * unlinked or moved): with to_leg a BYE to the leg for the streams it gets (it leaves, or
 * moves to another key group: new streams); with own, switch, a BYE to their receivers for
 * the streams of its packets (it leaves or stops sending). RFC 3550 6.6; emitted before
 * the command returns. */
void conf_rtcp_leg_bye(struct mxp_conf_worker *w, struct mxp_leg *l, bool to_leg, bool own);
/* NTP timestamp (RFC 3550 4) of a TSC value. */
uint64_t conf_rtcp_ntp(uint64_t tsc);
/* Control core, a new leg: the RTP clock of what it sends and its RTCP bandwidth. */
void conf_rtcp_leg_init(struct mxp_leg *l, const struct mxp_leg_params *p);
/* The RTP clock of what a leg sends (its SDP's, else its first payload type's); 0 unknown. */
uint32_t conf_rtcp_clock(const struct mxp_leg_params *p);
/* Worker: an output stream of cf moved from SSRC old because leg by sends with it (RFC 3550
 * 8.2): a BYE of old to those that got it (only: its one receiver, a private mix; else its
 * group), and the new SSRC's counts start from 0. */
void conf_rtcp_ssrc_moved(struct mxp_conf_worker *w, struct mxp_conf *cf, struct mxp_ostream *os,
			  uint32_t old, struct mxp_leg *only, const struct mxp_leg *by);

/* ---- signals in switch and forward conferences (conf_signal.c) ------------------------------ */

/* A receiver flag: a signal replaces the switched media toward this leg (its packets come on
 * the MRFP's own stream of the leg's signal; replication skips it for RTP, not RTCP). */
#define RCV_SIGNAL 0x4
_Static_assert((RCV_SIGNAL & (RCV_ON | RCV_TALKER)) == 0, "receiver flags are distinct bits");
/* Worker, from the timer (conf_tick): the signals of a switch conference that are due
 * (only called while one plays or a leg still has RCV_SIGNAL). */
void conf_signal_switch_tick(struct mxp_conf_worker *w, struct mxp_conf *cf, uint64_t now_tsc);
/* worker: the MRFP's own stream toward a switch leg for its signals (NULL: none yet) */
struct mxp_ostream *conf_signal_leg_stream(const struct mxp_leg *l);
/* Switch: the RTP clock of that stream (its codec's; 8000 before any signal). */
uint32_t conf_signal_leg_clock(const struct mxp_leg *l);
/* Worker, inside the command that moves a leg to another key group: its signal stream was
 * under the old group's key: the signal ends (interrupted) and the stream goes to dead[]
 * (freed by the control core before the old group). */
void conf_signal_leg_moved(struct mxp_conf_worker *w, struct mxp_leg *l,
			   struct mxp_ostream **dead, uint32_t *ndead);

/* Switch: remember at a leg's add the codec its signals are encoded in (lc->sw_*). */
void conf_signal_leg_codec(struct mxp_leg_ctl *lc, const struct mxp_leg_params *p);

#endif
