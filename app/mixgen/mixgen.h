/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mixgen: SRTP-aware traffic generator and analyser for mixplane.
 *
 * It plays N participants in M conferences over one DPDK port. Each participant is a leg
 * of the daemon: it sends SRTP audio (a tone of its own frequency, a WAV file or a
 * synthetic payload) with real ptime pacing, at a set rate or as fast as it can, and it
 * receives, authenticates, decrypts and checks what the daemon sends back.
 *
 * Files (one concern each):
 *   main.c    the run: options, EAL, setup, trials, search, report, teardown
 *   opts.c    command line
 *   port.c    the DPDK port, ARP/ND for the participants' addresses
 *   ctl.c     setting conferences up: the lab CLI (mixplanectl) backend, key generation
 *   gen.c     the generator: packet templates, pacing, SRTP protect bursts
 *   ana.c     the analyser: streams, SRTP unprotect bursts, loss, latency, jitter, audio
 *   audio.c   tones, WAV files, Goertzel spectrum checks
 *   report.c  progress line, final table, JSON line
 *   pcap.c    --pcap-out
 *
 * Threads: the data loop (gen + ana) runs on one lcore, or gen and ana on two. The main
 * lcore sets up, shows progress and decides when trials end. Generator state belongs to
 * the generating lcore, analyser state to the analysing lcore; the main lcore reads their
 * 64-bit counters (single writer, aligned: torn reads cannot happen on x86-64) and talks
 * to them through the mg_data flags below.
 */
#ifndef MIXGEN_H
#define MIXGEN_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mxp_pkt.h"
#include "mxp_srtp.h"

#define MG_BURST 32
#define MG_MAX_PARTS 8192
#define MG_MAX_CONFS 1024
#define MG_MAX_KEYS 2          /* old and new key across a rekey */
#define MG_LABEL_LEN 32
#define MG_PATH_LEN 512
#define MG_PROBE_LEN 12        /* probe element: sender index (4) + send time (8) */
#define MG_EXT_LEN 20          /* RTP extension block carrying the probe */
#define MG_RTP_HDR 12
#define MG_TAG_LEN 10          /* AES_CM_128_HMAC_SHA1_80 */
#define MG_LAT_BUCKETS 1024
#define MG_MAX_PAYLOAD 1400
#define MG_MAX_TRIALS 64
#define MG_MAX_CHECKS 16
#define MG_MIX_GAP 800                 /* mix mode: samples of silence every second */

/* Exit statuses. */
#define MG_EXIT_OK 0
#define MG_EXIT_CHECK 1        /* ran, and a check failed */
#define MG_EXIT_SETUP 2        /* bad arguments, daemon unreachable, port down... */

enum mg_mode { MG_SWITCH = 1, MG_FORWARD = 2, MG_MIX = 3 };
enum mg_keys { MG_KEYS_INDIVIDUAL = 0, MG_KEYS_GROUP = 1 };
enum mg_rate { MG_RATE_REALTIME = 0, MG_RATE_PPS, MG_RATE_MAX };
enum mg_audio { MG_AUDIO_TONE = 0, MG_AUDIO_WAV, MG_AUDIO_PATTERN };
enum mg_checkmode { MG_CHECK_FULL = 0, MG_CHECK_SAMPLE };
enum mg_codec { MG_PCMU = 0, MG_PCMA = 8 };

/* One SRTP master key (suite AES_CM_128_HMAC_SHA1_80: 16-byte key, 14-byte salt). */
struct mg_key {
	uint8_t key[16];
	uint8_t salt[14];
	uint8_t mki[4];
	uint8_t mki_len;
	uint32_t mki_val;
};

/* ---- options ------------------------------------------------------------------------------ */

/* --impair: what netem would do to the packets mixgen sends (impair.c). */
struct mg_impair {
	bool on;
	double loss, dup, reorder;     /* probabilities 0..1 */
	double delay_ms, jitter_ms;    /* each packet waits delay ± jitter */
	double reorder_ms;             /* extra wait of a reordered packet (-1: 1.5 × ptime) */
	uint64_t seed;
};

/* --flood: hostile packets beside the honest ones (flood.c) */
enum mg_flood_kind {
	MG_FLOOD_FORGED,     /* a participant's header, random payload and tag */
	MG_FLOOD_REPLAY,     /* a packet the participant sent earlier, again */
	MG_FLOOD_MALFORMED,  /* RTP version 0 */
	MG_FLOOD_RTCP,       /* SRTCP with a random tag */
	MG_FLOOD_UNKNOWN,    /* UDP to a port without a leg */
	MG_FLOOD_KINDS
};

struct mg_flood {
	bool on;
	bool max;                      /* as fast as the port takes them */
	double pps;
	uint32_t kinds;                /* bit per enum mg_flood_kind */
	uint64_t seed;
};

struct mg_opts {
	/* port */
	const char *port;              /* devargs or ethdev name; NULL: the first port */
	struct mxp_ip ip;              /* participants' address */
	uint8_t ip_plen;
	struct mxp_ip gateway;         /* next hop towards the daemon (0: on-link) */
	uint16_t udp_base;             /* first participant RTP port */
	uint32_t link_timeout_ms;
	uint32_t mbufs;
	/* setup */
	const char *ctl;               /* "mixplanectl", "file" (--legs) or "none" */
	const char *legs;              /* --legs FILE */
	struct mxp_ip peer;            /* --ctl none: the daemon's address */
	struct rte_ether_addr peer_mac;/* --ctl none: its MAC (no ARP) */
	bool has_peer_mac;
	uint16_t peer_port_base;       /* --ctl none: its first leg port */
	const char *socket;            /* daemon control socket */
	const char *mixplanectl;       /* path of the CLI */
	const char *keys_dir;          /* keep key files there (else a private temp dir) */
	bool keep;                     /* do not delete conferences at the end */
	bool mki;                      /* keys with a 4-byte MKI (needed to rekey) */
	double rekey_at;               /* rekey every leg this many seconds into the run */
	/* scenario */
	uint32_t confs;
	uint32_t parts;                /* per conference */
	int32_t senders;               /* per conference; -1: everybody */
	enum mg_mode mode;
	enum mg_keys keys;
	uint16_t topn;
	/* media */
	enum mg_audio audio;
	const char *wav_in;
	enum mg_codec codec;
	uint32_t ptime_ms;
	uint32_t size;                 /* SRTP packet bytes (pattern payload) */
	uint32_t tone_base, tone_step; /* Hz */
	bool probe;                    /* carry the probe extension */
	uint8_t probe_ext_id;
	/* rate */
	enum mg_rate rate;
	double pps;                    /* total offered packets per second (MG_RATE_PPS) */
	double duration_s;
	double drain_s;
	/* analysis */
	enum mg_checkmode check;
	uint32_t sample;               /* with MG_CHECK_SAMPLE: authenticate 1 in N */
	const char *wav_dir;
	double wav_max_s;
	bool expect_self;              /* a participant should hear itself (never, today) */
	/* search */
	bool search;
	double search_max;             /* pps; 0 = as fast as the generator goes */
	double search_min;
	double search_res;             /* relative resolution, 0.01 = 1 % */
	double trial_s;
	double loss_tol;               /* accepted loss ratio (0 = zero loss) */
	/* output */
	const char *json_out;
	const char *pcap_out;
	double pcap_s;                 /* seconds of streams in the pcap */
	uint64_t pcap_packets;         /* packets in the pcap (0: pcap_s worth) */
	bool plain;                    /* plain RTP legs, no SRTP (lab) */
	const char *keys_out;
	bool quiet;
	bool progress;
	bool table_all;
	/* faults (tests): corrupt the key mixgen sends or receives with */
	bool fault_tx_key;
	bool fault_rx_key;
	/* network impairment of what mixgen sends */
	struct mg_impair impair;
	uint32_t impair_queue;         /* packets the delay queue holds */
	/* hostile traffic beside the participants' */
	struct mg_flood flood;
	/* threads */
	int tx_lcore, rx_lcore;        /* -1: choose */
	bool gen_only;                 /* generate only, receive nothing (generator speed) */
};

/* ---- scenario ----------------------------------------------------------------------------- */

struct mg_conf {
	uint32_t idx;
	uint32_t id;                   /* the daemon's conference id */
	uint32_t first, n;             /* participants [first, first + n) */
	uint32_t nsend, nrecv;
	struct mg_key group_key;       /* forward mode; switch with --keys group */
	bool created;
};

/* Counters the generator writes. */
struct mg_tx_stats {
	uint64_t pkts;
	uint64_t bytes;
	uint64_t protect_fail;
	uint64_t tx_full;              /* the port did not take them (unused: back-pressure) */
	uint64_t no_mbuf;
	uint64_t rekeyed;              /* sent under a key other than the first */
	uint64_t impair_lost;          /* built, then dropped by --impair (not in pkts) */
};

/* Counters the analyser writes, per receiving participant. */
struct mg_rx_stats {
	uint64_t pkts;                 /* SRTP packets accepted (authenticated or counted) */
	uint64_t bytes;
	uint64_t auth_fail;
	uint64_t replay;
	uint64_t other_fail;           /* other unprotect failures */
	uint64_t unknown_mki;          /* under a key (MKI) we were not given (yet) */
	uint64_t bad_probe;            /* authenticated but the probe is missing or wrong */
	uint64_t bad_payload;          /* payload differs from what the sender sent */
	uint64_t unknown_ssrc;         /* stream table full */
	uint64_t self;                 /* heard its own packets */
	uint64_t wrong_conf;           /* heard a participant of another conference */
	uint64_t seq_gap;              /* packets missing by sequence number */
	uint64_t dup;
	uint64_t reorder;
	uint64_t ts_jump;              /* RTP timestamp did not follow the sequence number */
	uint64_t srtcp_ok;
	uint64_t srtcp_fail;
	uint64_t srtcp_unknown_mki;    /* of srtcp_fail: under an MKI we did not have (yet) */
	uint64_t onsets;               /* mix: tone onsets of other members detected */
	uint64_t rekeyed;              /* authenticated under a key other than the first */
	uint64_t lat_n, lat_sum_ns, lat_min_ns, lat_max_ns;
};

struct mg_part {
	uint32_t idx;
	uint32_t conf;
	char label[MG_LABEL_LEN];
	uint16_t port;                 /* our RTP port (RTCP: port + 1) */
	bool send, recv;
	uint32_t ssrc;
	uint32_t freq;                 /* tone, Hz */
	/* the daemon's side */
	uint32_t leg_id;
	struct mxp_ip mixer_ip;
	uint16_t mixer_port, mixer_rtcp_port;
	/* keys: tx = what we send with (the leg's "in"), rx = what the daemon sends with */
	struct mg_key tx_key[MG_MAX_KEYS];
	struct mg_key rx_key[MG_MAX_KEYS];
	uint8_t n_tx_keys, n_rx_keys, tx_active;
	uint32_t rx_group;             /* index of the rx key group (same rx key) */
	/* generator state (generating lcore) */
	struct mxp_srtp_ctx *txc;
	uint8_t hdr[64];               /* Ethernet + IPv4 + UDP of our RTP packets */
	uint16_t hdr_len;
	uint32_t hdr_sum;              /* folded-later partial sum of pseudo header + UDP hdr */
	uint16_t seq;
	uint32_t ts;
	uint32_t ts_base;              /* timestamp of the first packet */
	uint32_t audio_slot;           /* which audio loop */
	uint32_t audio_start;          /* offset of the first packet in the loop */
	uint32_t audio_pos;            /* byte offset of the next packet in the loop */
	uint64_t tx_built;
	volatile uint64_t onset_tsc;   /* mix: TSC of the last packet where the tone resumed */
	struct mg_tx_stats tx;
	/* analyser state (analysing lcore) */
	struct mg_rx_stats rx;
	uint32_t nstreams;
	uint32_t hmask;
	int32_t *htab;                 /* ssrc hash -> stream index, -1 empty */
	uint64_t *heard_pkts;          /* per sender in the conference (index - conf.first) */
	uint16_t *absent;              /* mix: frames each member's tone has been absent */
	int32_t *pcm;                  /* received audio, summed, by 8 kHz sample slot */
	uint32_t pcm_len;
	uint64_t arp_requests_answered;
};

/* One received stream: (receiver, SSRC). */
struct mg_stream {
	uint32_t ssrc;
	uint32_t recv;
	int32_t sender;                /* participant index, -1 until a probe names it */
	struct mxp_srtp_ctx *ctx;
	uint64_t pkts;
	uint64_t decrypted;
	bool started;
	uint16_t max_seq;
	uint32_t cycles;               /* seq wraps << 16 */
	uint32_t base_ext;
	uint32_t last_ts;
	uint32_t ts0;
	int64_t slot0;                 /* audio sample slot of ts0 */
	bool rec_started;
	uint64_t win;                  /* duplicate detection: bit i = max_ext - i seen */
	double jitter_ns;
	int64_t last_transit_ns;
	bool have_transit;
};

/* ---- global state --------------------------------------------------------------------------- */

struct mg_lat_hist {
	uint64_t b[MG_LAT_BUCKETS];    /* log-linear buckets, see ana.c */
};

struct mg_port {
	uint16_t port_id;
	char name[64];
	struct rte_ether_addr mac;
	struct rte_mempool *pool;
	bool multi_seg;
};

/* Set by the main lcore, read by the data lcores. */
struct mg_data {
	volatile bool stop;            /* leave the loops */
	volatile bool stop_trial;      /* end the current trial now (signal) */
	volatile bool tx_on;           /* generate */
	volatile uint64_t tx_epoch;    /* bumped at each trial start */
	volatile double tx_pps;        /* offered rate of the current trial */
	volatile uint64_t tx_limit;    /* stop after this many packets (0: none) */
	volatile bool tx_done;         /* the generator reached tx_limit or was turned off */
	volatile bool rec_audio;       /* analyser writes PCM */
	volatile uint64_t rec_t0_tsc;  /* TSC of audio sample slot 0 */
	volatile uint64_t rx_last_tsc; /* TSC of the last packet the analyser took */
	uint64_t busy_tsc;             /* TSC cycles the data loop spent on work */
};

struct mg {
	struct mg_opts o;
	struct mg_port port;
	struct mg_conf *confs;
	uint32_t nconfs;
	struct mg_part *parts;
	uint32_t nparts;
	uint32_t *senders;             /* indices of sending participants, round robin */
	uint32_t nsenders;
	struct mg_stream *streams;
	uint32_t nstreams, maxstreams;
	struct mxp_srtp_ctx *ctx_pool; /* maxstreams contexts */
	size_t ctx_size;
	int32_t *by_port;              /* UDP port -> participant index, -1 */
	struct rte_ether_addr daemon_mac;
	bool daemon_mac_known;
	uint32_t resolve_ip;           /* address whose ARP gives daemon_mac */
	struct mg_data d;
	uint64_t tsc_hz;
	double ns_per_tsc;
	bool mki;                      /* keys carry a 4-byte MKI */
	bool record;                   /* keep what receivers heard (WAV, spectrum check) */
	int32_t *htab_mem;
	uint64_t *heard_mem;
	uint64_t gen_no_mbuf;
	uint64_t gen_backpressure;     /* polls that found the port's queue still full */
	struct {                       /* --impair (generating lcore writes) */
		uint64_t dropped, duplicated, dup_sent, delayed, reordered;
		uint64_t overflow;             /* delay queue full: sent undelayed */
		uint64_t overflow_dropped;     /* ... and no room to send either */
		uint64_t dup_no_mbuf;          /* no mbuf for a duplicate */
		uint64_t queued;               /* in the delay queue now */
	} impair;
	struct {                       /* --flood (generating lcore writes) */
		uint64_t sent[MG_FLOOD_KINDS]; /* taken by the port, per kind */
		uint64_t tried;                /* built or tried (the rate's schedule) */
		uint64_t not_taken;            /* the port's queue was full: freed */
		uint64_t not_ready;            /* a replay before its original went out */
		uint64_t no_mbuf;
	} flood;
	/* audio loops (encoded): slot s at audio + s * audio_stride */
	uint8_t *audio;
	uint32_t audio_len;            /* bytes per loop */
	uint32_t audio_stride;         /* audio_len + payload_len (the head repeated) */
	uint32_t nfreq;                /* distinct tone frequencies */
	uint16_t topn;                 /* talkers the daemon forwards or mixes (0: all) */
	uint16_t *absent_mem;
	uint32_t payload_len;          /* RTP payload bytes */
	uint32_t rtp_len;              /* RTP header + extension + payload */
	uint32_t ts_step;              /* RTP timestamp units per packet */
	/* analyser totals */
	struct mg_lat_hist lat;
	uint64_t rx_other;             /* frames that were not for a participant */
	uint64_t rx_frames;
	uint64_t rx_bad;               /* invalid frames (checksum...) */
	uint64_t arp_replies_sent;
	/* --keys-dir: where copies of the keys sent are kept ("" without) */
	char keydir[MG_PATH_LEN];
	/* pcap */
	void *pcap;
	/* setup backend */
	const struct mg_ctl_ops *ctl;
	void (*busy_wait)(struct mg *m); /* run the data loop while waiting for the CLI */
	char err[512];
};

extern struct mg g;

/* ---- functions ---------------------------------------------------------------------------- */

/* opts.c */
int mg_opts_parse(struct mg_opts *o, int argc, char **argv);
void mg_usage(FILE *f);

/* port.c */
extern struct rte_ring *mg_arp_ring;  /* analyser -> generator: ARP replies to send */
int mg_port_open(struct mg *m, char *err, size_t errlen);
void mg_port_close(struct mg *m);
/* Resolve the daemon's MAC (ARP from the participants' address). */
int mg_port_resolve(struct mg *m, const struct mxp_ip *dst, uint32_t timeout_ms, char *err,
		    size_t errlen);
/* Answer an ARP/ND frame if it asks for a participant address, learn from replies.
 * Returns true when the mbuf was consumed (sent or freed). */
bool mg_port_arp_input(struct mg *m, struct rte_mbuf *mb, const struct mxp_pkt_meta *meta);

/* ctl.c: setting the scenario up on the daemon */
struct mg_ctl_ops {
	const char *name;
	int (*check)(struct mg *m, char *err, size_t errlen);
	int (*conf_create)(struct mg *m, struct mg_conf *c, char *err, size_t errlen);
	int (*leg_add)(struct mg *m, struct mg_conf *c, struct mg_part *p, char *err,
		       size_t errlen);
	int (*conf_delete)(struct mg *m, struct mg_conf *c, char *err, size_t errlen);
	/* Rekeying (MKI): add a key to the leg's in (participant) or out (mixer) side,
	 * switch the mixer's output to the key with this MKI, remove a key. Optional. */
	int (*key_add)(struct mg *m, struct mg_part *p, bool out, const struct mg_key *k,
		       char *err, size_t errlen);
	int (*key_activate)(struct mg *m, struct mg_part *p, uint32_t mki, char *err,
			    size_t errlen);
	int (*key_remove)(struct mg *m, struct mg_part *p, bool out, uint32_t mki, char *err,
			  size_t errlen);
	/* Daemon-side view for the report (JSON text into buf), optional. */
	int (*conf_show)(struct mg *m, struct mg_conf *c, char *buf, size_t cap);
	int (*drops_show)(struct mg *m, char *buf, size_t cap);
};
const struct mg_ctl_ops *mg_ctl_find(const char *name);
int mg_keys_generate(struct mg_key *k, uint32_t mki, char *err, size_t errlen);
/* The a=crypto value "1 AES_CM_128_HMAC_SHA1_80 inline:...[|MKI:4]" (lib/srtp's encoder). */
int mg_key_crypto_value(const struct mg_key *k, char *out, size_t cap);
int mg_keydir_open(struct mg *m, char *err, size_t errlen);
int mg_keys_write(struct mg *m, const char *path, char *err, size_t errlen);
/* Tiny JSON accessors for mixplanectl's output (top-level keys). */
bool mg_json_u64(const char *json, const char *key, uint64_t *v);
bool mg_json_str(const char *json, const char *key, char *out, size_t cap);

/* Commands from the main lcore to the data lcores (between bursts): key changes. */
enum mg_cmd_type { MG_CMD_RX_KEY_ADD = 1, MG_CMD_TX_KEY_SWITCH = 2 };
struct mg_cmd {
	enum mg_cmd_type type;
	uint32_t part;
	struct mg_key key;
};
extern struct rte_ring *mg_cmd_tx, *mg_cmd_rx;
extern volatile uint64_t mg_cmd_tx_done, mg_cmd_rx_done;
void mg_gen_cmds(struct mg *m);
void mg_ana_cmds(struct mg *m);

/* legs.c: --legs FILE (mrfc's participant key file) */
int mg_legs_load(struct mg *m, const char *path, char *err, size_t errlen);
bool mg_legs_changed(const char *path);
void mg_legs_retry(void);
int mg_legs_poll(struct mg *m, const char *path, struct mg_cmd *cmds, bool tx, char *err,
		 size_t errlen);

/* gen.c */
uint32_t mg_srtp_len(const struct mg *m, const struct mg_part *p);
int mg_gen_init(struct mg *m, char *err, size_t errlen);
void mg_gen_fini(struct mg *m);
/* Run one generator step; returns packets sent. */
uint32_t mg_gen_poll(struct mg *m, uint64_t now);

/* impair.c: --impair. A duplicate copy carries MG_IMPAIR_DUP in mbuf hash.usr (above the
 * participant index) so that it is not counted as a packet the participant sent. */
#define MG_IMPAIR_DUP 0x80000000u
int mg_impair_parse(const char *spec, struct mg_impair *o, char *err, size_t errlen);
int mg_impair_init(struct mg *m, char *err, size_t errlen);
void mg_impair_fini(struct mg *m);
/* The packets mb[0..n) were built: drop, duplicate or delay them. Returns how many of them
 * (and their copies) go out now, in out[0..cap); the others wait in the delay queue. */
uint16_t mg_impair_apply(struct mg *m, struct rte_mbuf **mb, uint16_t n, uint64_t now,
			 struct rte_mbuf **out, uint16_t cap);
/* Delayed packets due by now, oldest first, into out[0..cap). */
uint16_t mg_impair_release(struct mg *m, uint64_t now, struct rte_mbuf **out, uint16_t cap);
void mg_gen_reset_pacing(struct mg *m, uint64_t now);
/* True while packets the port did not take wait to be sent first. */
bool mg_gen_backlogged(void);

/* flood.c: --flood. A flood packet's mbuf hash.usr is MG_FLOOD_MARK | kind. */
#define MG_FLOOD_MARK 0x40000000u
int mg_flood_parse(const char *spec, struct mg_flood *o, char *err, size_t errlen);
int mg_flood_init(struct mg *m, char *err, size_t errlen);
void mg_flood_fini(struct mg *m);
const char *mg_flood_kind_name(unsigned int kind);
/* Keep a frame participant p sent (its first) to replay later; cheap once kept. */
void mg_flood_keep(struct mg *m, const struct mg_part *p, const uint8_t *frame, uint32_t len);
/* Send the flood packets due by now (rate=max: a burst unless port_busy). */
uint32_t mg_flood_poll(struct mg *m, uint64_t now, bool port_busy);

/* The splitmix64 generator (impair.c, flood.c): a pure function of the seed. */
static inline uint64_t
mg_splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Build one packet of participant p into buf (for the pcap): returns frame length. */
uint32_t mg_gen_frame(struct mg *m, struct mg_part *p, uint8_t *buf, uint32_t cap,
		      uint64_t tsc, bool plain);

/* ana.c */
int mg_ana_init(struct mg *m, char *err, size_t errlen);
void mg_ana_fini(struct mg *m);
uint32_t mg_ana_poll(struct mg *m, uint64_t now);
void mg_ana_reset(struct mg *m);
double mg_lat_quantile(const struct mg_lat_hist *h, double q);
double mg_lat_bucket_ns(uint32_t b);

/* audio.c */
int mg_audio_init(struct mg *m, char *err, size_t errlen);
int mg_wav_write(const char *path, const int32_t *pcm, uint32_t n, char *err, size_t errlen);
/* Amplitude (0..32767 scale) of frequency f in n samples at 8 kHz. */
double mg_goertzel(const int32_t *pcm, uint32_t n, double f);
void mg_audio_decode(enum mg_codec c, const uint8_t *in, int16_t *out, uint32_t n);

/* pcap.c */
int mg_pcap_write(struct mg *m, const char *path, double seconds, uint64_t packets, char *err,
		  size_t errlen);

/* ---- results ------------------------------------------------------------------------------ */

/* One trial: a period of sending at one rate, then draining. */
struct mg_trial {
	double target_pps;             /* 0: as fast as possible */
	double offered_pps;            /* what the generator achieved */
	double rx_pps;                 /* packets received per second */
	double secs;
	uint64_t sent;                 /* taken by the port */
	uint64_t tx_full;              /* offered, not taken by the port (counted as lost) */
	uint64_t protect_fail;
	uint64_t expected;             /* sum over receivers of what their peers sent */
	uint64_t received;
	uint64_t lost;
	uint64_t extra;                /* received more than expected (duplicates) */
	uint64_t errors;               /* auth, replay, payload, probe, self, leak */
	bool gen_limited;              /* the generator fell short of the target rate */
	uint64_t backpressure;         /* generator polls that found the port full (the DUT's
					* input queue, over memif) */
	bool pass;
	char daemon_drops[256];        /* search: what the daemon dropped in the trial (JSON) */
	double mixgen_idle;            /* share of the trial the data loop had nothing to do */
};

struct mg_check {
	char name[64];
	bool pass;
	char detail[256];
};

struct mg_result {
	struct mg_trial run;           /* the run (or the best passing search trial) */
	struct mg_trial trials[MG_MAX_TRIALS];
	uint32_t ntrials;
	bool searched;
	double zero_loss_pps;          /* highest passing offered rate */
	bool search_gen_limited;       /* it passed at the generator's top rate */
	struct mg_check checks[MG_MAX_CHECKS];
	uint32_t nchecks;
	bool ok;
	/* per participant, over the run */
	uint64_t *expected;
	uint64_t *received;
	char **heard;                  /* by spectrum: "c0p1 c0p2", NULL when not checked */
	char **wav;                    /* recording path or NULL */
	double *jitter_us;             /* mean over the participant's streams */
	char daemon_drops[8192];       /* mixplanectl show drops --json, or "" */
};

/* report.c */
void mg_progress(struct mg *m, double t, bool final);
void mg_report_table(struct mg *m, const struct mg_result *r, FILE *f);
void mg_report_json(struct mg *m, const struct mg_result *r, FILE *f);

/* Time helpers. */
static inline uint64_t
mg_ns(struct mg *m, uint64_t tsc)
{
	return (uint64_t)((double)tsc * 1e9 / (double)m->tsc_hz);
}

#define MG_ERR(err, errlen, ...) (snprintf((err), (errlen), __VA_ARGS__), -1)

/*
 * The KEY=VALUE,KEY=VALUE lists of --impair and --flood: mg_kv_start() copies spec into buf
 * (-1 with err when it does not fit), mg_kv_next() gives the next key and its value (NULL
 * at the end, or with *rc = -1 and err when a word has no '=').
 */
static inline int
mg_kv_start(char *buf, size_t cap, const char *spec, char *err, size_t errlen)
{
	if (strlen(spec) >= cap)
		return MG_ERR(err, errlen, "too long");
	snprintf(buf, cap, "%s", spec);
	return 0;
}

static inline char *
mg_kv_next(char *buf, char **save, char **val, int *rc, char *err, size_t errlen)
{
	char *kv = strtok_r(*save == NULL ? buf : NULL, ",", save);
	*rc = 0;
	if (kv == NULL)
		return NULL;
	char *v = strchr(kv, '=');
	if (v == NULL) {
		*rc = MG_ERR(err, errlen, "'%s': expected KEY=VALUE", kv);
		return NULL;
	}
	*v++ = '\0';
	*val = v;
	return kv;
}

/* A seed= value: an unsigned integer (decimal, 0x hex or 0 octal). */
static inline bool
mg_parse_seed(const char *v, uint64_t *seed)
{
	char *end;
	errno = 0;
	unsigned long long s = strtoull(v, &end, 0);
	if (errno != 0 || end == v || *end != '\0' || v[0] == '-')
		return false;
	*seed = s;
	return true;
}

#endif
