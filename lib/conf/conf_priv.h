/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/conf internals. Hot structures are owned by one worker; see mxp_conf.h. */
#ifndef MXP_CONF_PRIV_H
#define MXP_CONF_PRIV_H

#include <sys/queue.h>

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "mxp_conf.h"
#include "mxp_media.h"
#include "mxp_rtp.h"

#define CONF_BURST 64              /* packets queued between flushes */
#define CONF_MAX_OUT 256           /* payloads protected per burst call */
#define CONF_TICK_MS 20            /* top-N and RTCP timer */
#define CONF_RTCP_INTERVAL_MS 5000 /* RFC 3550 minimum interval */
#define CONF_CMD_TIMEOUT_MS 2000
#define TABLE_RTCP 1ul             /* low bit of a table entry: the RTCP port */

struct mxp_leg;
struct mxp_keygroup;
struct mxp_conf;

/*
 * An output stream: what one sender (switch) or the mixer (mix) sends under one key
 * group's key. Own SSRC, own sequence numbers, own SRTP context.
 */
struct mxp_ostream {
	TAILQ_ENTRY(mxp_ostream) by_sender;  /* sender's list of streams (one per group) */
	TAILQ_ENTRY(mxp_ostream) by_group;   /* group's list of streams */
	struct mxp_keygroup *kg;
	struct mxp_leg *src;
	struct mxp_srtp_ctx *ctx;            /* NULL for plain-RTP groups */
	uint32_t ssrc;
	uint16_t seq;
	uint32_t last_ts;                    /* RTP timestamp of the last packet sent */
	uint64_t last_tsc;
	uint64_t pkts, octets;               /* for sender reports */
	uint64_t next_sr_tsc;
	struct mxp_media_tx *mtx;            /* mix: a talker's private encoder and RTP state */
	bool marker_next;                    /* mix: next packet starts a talkspurt */
};
TAILQ_HEAD(mxp_ostream_list, mxp_ostream);

TAILQ_HEAD(mxp_leg_list, mxp_leg);

/* Legs of a conference sharing an outbound master key. */
struct mxp_keygroup {
	TAILQ_ENTRY(mxp_keygroup) next;
	uint32_t id;
	uint8_t digest[32];                  /* SHA-256(suite || key || salt || mki) */
	char fp[9];
	bool plain;
	struct mxp_conf_key key;             /* wiped when the group goes */
	struct mxp_leg_list members;
	uint32_t nmembers;
	uint32_t nrecv;                      /* members whose mode lets them receive */
	struct mxp_ostream_list streams;
	uint32_t nstreams;
	uint64_t encryptions;
	uint64_t sent;
	/* the key's use by every stream the group encrypts, its lifetime checked against the
	 * total (RFC 4568: packets under the master key, whatever their SSRC) */
	struct mxp_srtp_key_usage usage;
	/* mix: the shared mix under this key, one stream per output codec */
	struct mxp_ostream *mix[MXP_MEDIA_CODEC_COUNT];
	uint32_t nrecv_codec[MXP_MEDIA_CODEC_COUNT]; /* receiving members per output codec */
};
TAILQ_HEAD(mxp_kg_list, mxp_keygroup);

/* RFC 3550 A.1/A.8 receive statistics of a leg's inbound stream. */
struct mxp_rx_rtp {
	uint16_t max_seq;
	uint32_t cycles;
	uint32_t base_seq;
	uint32_t received;
	uint32_t expected_prior, received_prior;
	uint32_t jitter;       /* RTP units << 4 */
	int64_t transit;
	bool started;
	uint32_t lsr;          /* middle 32 bits of the last SR's NTP time */
	uint64_t lsr_tsc;
};

struct mxp_leg {
	TAILQ_ENTRY(mxp_leg) in_conf;
	TAILQ_ENTRY(mxp_leg) in_group;
	uint32_t id;
	uint16_t owner;
	uint16_t port_idx;
	uint16_t addr_idx;
	uint8_t af;
	uint8_t mode;                        /* enum mxp_stream_mode */
	bool strict, plain, rtcp_mux, remote_known;
	bool ssrc_conflict;
	uint8_t audio_level_id;
	uint8_t level;                       /* smoothed -dBov, 127 = silence */
	bool in_topn;
	bool topn_prev;
	bool muted;
	uint16_t local_port, local_rtcp_port;
	struct mxp_ip local_ip;
	struct mxp_ip remote_ip;
	uint16_t remote_port, remote_rtcp_port;
	struct rte_ether_addr src_mac;
	struct mxp_pkt_udp_tmpl tmpl_rtp;    /* headers towards the participant */
	struct mxp_pkt_udp_tmpl tmpl_rtcp;
	struct rte_ether_addr dst_mac;       /* next hop, valid while mac_gen is current */
	uint64_t mac_gen;                    /* neighbour generation + 1; 0 = not cached */
	struct mxp_conf *conf;
	struct mxp_srtp_ctx *in;             /* the participant's keys, SRTP and SRTCP */
	uint8_t in_digest[32];               /* of its first key: SSRC collision checks */
	struct mxp_keygroup *kg;             /* group whose streams this leg receives */
	struct mxp_ostream_list streams;     /* this leg's packets, one stream per group */
	uint64_t pt_ok[2];                   /* bitmap of accepted payload types */
	bool any_pt;
	uint64_t level_tsc;
	struct mxp_rx_rtp rx;
	/* mix */
	struct mxp_media_leg *ml;            /* jitter buffer, decoder, level */
	struct mxp_ostream *priv;            /* its private mix-minus-self */
	uint8_t out_codec;                   /* enum mxp_media_codec it receives */
	uint8_t out_pt;
	bool mix_talker;                     /* in the last tick's talker set */
	struct mxp_leg_stats st;
	char label[MXP_CONF_NAME_LEN];
};

struct mxp_conf {
	TAILQ_ENTRY(mxp_conf) next;
	uint32_t id;
	uint16_t worker;
	uint8_t mode;
	uint16_t topn;
	uint32_t replay_window;
	struct mxp_leg *floor;               /* NULL: open floor */
	struct mxp_leg_list legs;
	uint32_t nlegs;
	struct mxp_kg_list kgs;
	uint32_t nkgs;
	uint64_t rx_pkts, tx_pkts;
	uint64_t enc_gone, dec_gone;         /* of key groups and legs that left (cumulative counts) */
	uint64_t created_ms;
	/* mix */
	struct mxp_media_mixer *mixer;
	uint32_t heap_idx;                   /* mix: place in the owner's tick heap, or UINT32_MAX */
	struct mxp_media_coder enc[MXP_MEDIA_CODEC_COUNT]; /* the shared mix, once per codec */
	uint32_t max_legs;
	uint16_t ptime;
	uint64_t mix_ticks, mix_sent;
	struct mxp_leg *prev_talkers[MXP_MEDIA_MAX_TALKERS];
	unsigned int n_prev_talkers;
	uint8_t fwd_digest[32];              /* forward mode: the conference key */
	bool fwd_key_set;
	char name[MXP_CONF_NAME_LEN];
};
TAILQ_HEAD(mxp_conf_list, mxp_conf);

/*
 * Control -> worker commands. Typed, and owned by the heap, never by the poster's stack:
 * the poster and the worker each hold a reference and whoever drops the last frees it.
 * A command runs only if the worker takes it from POSTED to RUNNING; a poster that gives
 * up (timeout) takes it from POSTED to ABANDONED instead, and then nothing of it ever runs:
 * the poster undoes its preparations and reports -ETIMEDOUT, so every operation stays all
 * or nothing even when a worker stalls.
 */
enum conf_cmd_type {
	CONF_CMD_CONF_ADD = 1,
	CONF_CMD_CONF_DEL,
	CONF_CMD_FLOOR,
	CONF_CMD_TOPN,
	CONF_CMD_LEG_ADD,
	CONF_CMD_LEG_DEL,
	CONF_CMD_LEG_MOD,
};

enum conf_cmd_state {
	CONF_CMD_POSTED = 0,
	CONF_CMD_RUNNING,
	CONF_CMD_DONE,
	CONF_CMD_ABANDONED,
};

/* Members of the command that adds a leg. */
struct leg_add_args {
	struct mxp_leg *leg;
	struct mxp_keygroup *new_kg;         /* NULL when the leg joins an existing group */
	struct mxp_ostream **os;             /* new streams: the leg's own + others' to new_kg */
	uint32_t nos;
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
	struct mxp_leg_mod m;
	struct mxp_keygroup *to_kg;          /* move to this group (activate_out) */
	bool to_kg_new;
	struct mxp_ostream **add;            /* streams to link */
	uint32_t nadd;
	bool drop_own;                       /* the leg stops sending: unlink its streams */
	struct mxp_ostream **dead;           /* filled by the worker */
	uint32_t ndead;
	struct mxp_keygroup *dead_kg;
	struct mxp_ostream *new_priv;        /* mix: private stream under the new group key */
	struct mxp_ostream *old_priv;        /* mix: the one it replaced (freed afterwards) */
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
	} u;
};

/* A packet waiting for the flush. */
struct conf_pending {
	struct rte_mbuf *m;
	struct mxp_leg *leg;
	struct mxp_ip src;
	uint16_t sport;
	uint16_t port_idx;
	bool rtcp;
	bool latch;
};

/* One replica to build after protect: payload for a group (or all receivers). */
struct conf_out {
	struct rte_mbuf *m;                  /* RTP/RTCP at offset 0 (after protect) */
	struct mxp_keygroup *kg;             /* receivers: its members... */
	struct mxp_conf *conf;               /* ...or, forward mode (kg NULL), every leg */
	struct mxp_leg *skip;                /* the sender: never gets its own packet */
	struct mxp_ostream *os;
	bool rtcp;
	int8_t mix_codec;                    /* mix: receivers of this codec that do not talk */
	struct mxp_leg *only;                /* mix: a private stream's one receiver */
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
	struct rte_ring *cmd_ring;           /* control → worker: commands */
	struct rte_ring *handoff;            /* other workers → this one: frames */
	uint64_t cmds_run;                   /* commands run */
	uint64_t cmds_abandoned;             /* commands dropped: the poster gave up waiting */
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
	struct conf_out out[CONF_MAX_OUT];   /* payloads waiting for protect/replication */
} __rte_cache_aligned;

/* Control-core bookkeeping of a leg (keys stay here, never on the packet path). */
struct mxp_leg_ctl {
	struct mxp_leg *leg;
	struct mxp_conf_ctl *conf;
	struct mxp_conf_keys in, out;        /* wiped on removal */
	uint32_t kg_id;
};

struct mxp_conf_ctl {
	struct mxp_conf *conf;
	uint32_t id;
	uint16_t worker;
	uint32_t nlegs;
};

struct mxp_conf_addr_rt {
	struct mxp_conf_addr a;
	uintptr_t *table;                    /* 65536 entries: leg | TABLE_RTCP, 0 = free */
	uint32_t used;
	uint16_t next;                       /* allocation cursor */
};

struct mxp_conf_sys {
	struct mxp_conf_sys_params p;
	struct mxp_conf_addr_rt addr[MXP_CONF_MAX_PORTS * 2];
	struct mxp_conf_worker *w[MXP_CONF_MAX_WORKERS];
	struct rte_rcu_qsbr *rcu;
	struct rte_hash *confs;              /* id → struct mxp_conf_ctl * */
	struct rte_hash *legs;               /* id → struct mxp_leg_ctl * */
	struct rte_hash *ssrcs;              /* digest || ssrc → 1: output SSRCs per key */
	int8_t addr_by_port[MXP_CONF_MAX_PORTS][2]; /* [port][0 v4, 1 v6] → addr index, -1 */
	uint32_t next_conf_id, next_leg_id, next_kg_id;
	size_t srtp_ctx_size;
};

/* conf_ctl.c */
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

/* conf_worker.c */
/* Rebuild a leg's header templates after its remote address changed. */
void conf_leg_tmpl(struct mxp_leg *l);
void conf_leg_detach_streams(struct mxp_leg *l);
void conf_tick(struct mxp_conf_worker *w, uint64_t now);

/* conf_ctl.c: output streams (an SRTP context under a group's key, a unique SSRC) */
struct mxp_ostream *conf_ostream_new(struct mxp_conf_sys *sys, struct mxp_keygroup *kg,
				     struct mxp_leg *src, char *err, size_t errlen);
void conf_ostream_free(struct mxp_conf_sys *sys, struct mxp_ostream *os);

/* conf_mix.c */
int conf_mix_conf_init(struct mxp_conf_sys *sys, struct mxp_conf *cf, char *err, size_t errlen);
void conf_mix_conf_free(struct mxp_conf *cf);
int conf_mix_leg_alloc(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_leg *l,
		       const struct mxp_leg_params *p, char *err, size_t errlen);
/* A new private stream for a leg moving to another key group (the group key changed). */
struct mxp_ostream *conf_mix_priv_new(struct mxp_conf_sys *sys, struct mxp_leg *l,
				      struct mxp_keygroup *kg, char *err, size_t errlen);
void conf_mix_leg_free(struct mxp_conf_sys *sys, struct mxp_leg *l);
int conf_mix_kg_alloc(struct mxp_conf_sys *sys, struct mxp_keygroup *kg, char *err, size_t errlen);
void conf_mix_kg_free(struct mxp_conf_sys *sys, struct mxp_keygroup *kg);
/* Worker: a leg joins/leaves the mixer and its group's codec counts (inside commands). */
void conf_mix_leg_link(struct mxp_leg *l);
void conf_mix_leg_unlink(struct mxp_leg *l);
/* Worker: an authenticated, decrypted RTP packet of a mix leg (the mbuf is consumed). */
void conf_mix_rx(struct mxp_conf_worker *w, struct mxp_leg *l, struct rte_mbuf *m,
		 const uint8_t *p, uint32_t len, const struct mxp_rtp_info *ri, uint64_t now_tsc);
/* Worker: run the mix ticks that are due. */
void conf_mix_poll(struct mxp_conf_worker *w, uint64_t now_tsc);
/* Worker side: a mix conference starts or stops ticking on this worker. */
void conf_mix_heap_add(struct mxp_conf_worker *w, struct mxp_conf *cf);
void conf_mix_heap_del(struct mxp_conf_worker *w, struct mxp_conf *cf);
/* Worker: send a conf_out (shared with switch mode). */
void conf_replicate(struct mxp_conf_worker *w, struct conf_out *o);

/* conf_rtcp.c */
/* Process an authenticated RTCP compound packet from a leg (stats only). */
void conf_rtcp_input(struct mxp_leg *l, const uint8_t *p, uint32_t len, uint64_t now);
/* Update RFC 3550 receive statistics with an accepted RTP packet. */
void conf_rtp_rx_stats(struct mxp_leg *l, uint16_t seq, uint32_t ts, uint64_t now);
/* Build a sender report for an output stream into buf (plain RTCP). Returns its length. */
uint32_t conf_rtcp_build_sr(const struct mxp_ostream *os, uint64_t now, uint8_t *buf,
			    uint32_t room);

/* Allocate SRTP context memory (hugepage memory, aligned), NULL on failure. */
struct mxp_srtp_ctx *conf_srtp_alloc(struct mxp_conf_sys *sys);
/* Wipe and free. NULL is a no-op. */
void conf_srtp_free(struct mxp_srtp_ctx *ctx);
/* Initialise ctx for a key set; err on failure. */
int conf_srtp_setup(struct mxp_conf_sys *sys, struct mxp_srtp_ctx *ctx, enum mxp_srtp_dir dir,
		    const struct mxp_conf_keys *keys, uint32_t ssrc, bool learn, uint32_t window,
		    char *err, size_t errlen);

#endif
