/* SPDX-License-Identifier: BSD-3-Clause */
/* mrfc: the AS/MRFC side of Mp, for operators and tests. */
#ifndef MRFC_H
#define MRFC_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mxp_esp.h"
#include "mxp_mp.h"
#include "mxp_mp_trans.h"
#include "mxp_time.h"

enum mrfc_transport { MRFC_PLAIN, MRFC_ESP };

struct mrfc_io {
	enum mrfc_transport mode;
	struct mxp_ip local, mrfp;
	uint16_t mp_port;             /* H.248 port at the MRFP (2944) */
	uint16_t local_mp_port;       /* our H.248 source port (2944) */
	int fd_plain, fd_raw, fd_udp; /* sockets by transport */
	struct mxp_esp_crypto crypto;
	struct mxp_esp_ep *ep;
	bool udp_encap;
	uint16_t natt_local, natt_peer;
	int verbose;
	bool no_sockets;             /* esp-seal/esp-open: crypto only */
	struct mxp_esp_sa *out_sa;   /* our outbound SA (its sequence number is kept) */
	char seq_file[4200];         /* <sa file>.seq: the outbound sequence between runs */
	bool use_sctp;               /* --transport sctp: H.248.4 inside ESP */
	uint32_t sctp_wait_ms;       /* how long to wait for the MRFP's association */
	struct mrfc_sctp *sctp;      /* mrfc_sctp.c */
};

/* mrfc_io.c */
int mrfc_io_open(struct mrfc_io *io, const char *sa_file, bool plaintext, const char *backend,
		 char *err, size_t errlen);
void mrfc_io_close(struct mrfc_io *io);
int mrfc_io_send(struct mrfc_io *io, const char *msg, size_t len);
/* Wait up to timeout_ms for an Mp message; returns its length, 0 on timeout, <0 on error. */
int mrfc_io_recv(struct mrfc_io *io, char *buf, size_t cap, int timeout_ms);
/* Set by a SIGTERM or SIGINT handler (mrfc listen): mrfc_io_recv() returns 0 at once. */
extern volatile sig_atomic_t mrfc_stop;
/* One inner packet of protocol next_proto to the MRFP in ESP. 0 or -errno. */
int mrfc_io_send_esp(struct mrfc_io *io, uint8_t next_proto, const uint8_t *inner, size_t len);

/* mrfc_sctp.c: --transport sctp (the MRFP opens the association, mrfc listens) */
struct mrfc_sctp;
int mrfc_sctp_open(struct mrfc_io *io, char *err, size_t errlen);
bool mrfc_sctp_up(const struct mrfc_io *io);
void mrfc_sctp_close(struct mrfc_io *io);
int mrfc_sctp_send(struct mrfc_io *io, const char *msg, size_t len);
void mrfc_sctp_input(struct mrfc_io *io, const uint8_t *pkt, size_t len);
void mrfc_sctp_tick(struct mrfc_io *io);
/* A queued H.248 message (NUL-terminated in buf): its length, or 0 when none. */
int mrfc_sctp_take(struct mrfc_io *io, char *buf, size_t cap);

/* mrfc_keys.c */
struct mrfc_suite {
	const char *name;
	unsigned int key_len; /* master key + salt */
};
const struct mrfc_suite *mrfc_suite_find(const char *name);
/* "1 AES_CM_128_HMAC_SHA1_80 inline:<base64>|2^31|<mki>:4" with a fresh CSPRNG key. */
int mrfc_crypto_line(const struct mrfc_suite *s, unsigned int tag, unsigned int mki, char *out,
		     size_t cap);
int mrfc_keygen(int argc, char **argv);

/* mrfc_ocp.c: H.248.11 overload control toward one MRFP (a leaky bucket on new contexts) */
struct mrfc_ocp {
	bool active;                 /* an ocp/mg_overload came in the last 20 s */
	double rate;                 /* admitted new-context Adds a second */
	double bucket;               /* the leaky bucket's content (Adds) */
	uint64_t last_ms, notified_ms, raised_ms;
	uint64_t win_start;          /* the offered rate: Adds of this and the last second */
	uint32_t win_n, win_prev;
	uint64_t notifies, started, ended, admitted, restricted; /* counters */
};
/* An ocp/mg_overload Notify came from the MRFP at now (ms). */
void mrfc_ocp_notified(struct mrfc_ocp *o, uint64_t now);
/* May a new-context Add go now? true: counted as sent; false: restricted (wait, or send
 * it to another MRFP). */
bool mrfc_ocp_admit(struct mrfc_ocp *o, uint64_t now);
/* How long until an Add would be admitted (0: now). */
uint64_t mrfc_ocp_wait_ms(struct mrfc_ocp *o, uint64_t now);
/* The Events request of ROOT (Modify ROOT, Events = rid { ocp/mg_overload }, or an empty
 * Events when off) as one transaction tid in mid's message, into buf: its length or -1. */
int mrfc_ocp_request_text(char *buf, size_t cap, const char *mid, uint32_t tid, bool on);
/* Does a Notify command report ocp/mg_overload? */
bool mrfc_ocp_in_notify(const struct mxp_mp_msg *m, const struct mxp_mp_cmd *c);

/* mrfc_flood.c: `mrfc flood ...` (argv[0] is "flood"); transaction ids from first_tid. */
int mrfc_flood(struct mrfc_io *io, const char *mid, uint32_t first_tid, int argc, char **argv);

/* mrfc_churn.c: replay a join/leave trace, rekeying the group key by a policy. */
struct mrfc_churn_params {
	const char *trace;     /* "<seconds> +1|-1 <id>" lines (rekey_policy.py --dump-trace) */
	const char *policy;    /* immediate, interval:T, count:K, bounded:K:E, leave-only:E */
	double speed;          /* trace seconds per wall second */
	bool dry_run;          /* decide only, at the trace's times; send nothing */
	bool two_step;         /* rekeys install the new key, then switch to it */
	bool quiet;            /* the JSON line only */
	double audit_s;        /* audit the conference every audit_s wall seconds (0: never) */
};
struct mrfc_churn_ops {
	int (*join)(void *arg, uint32_t id);   /* 0 done, else failed */
	int (*leave)(void *arg, uint32_t id);
	int (*rekey)(void *arg);               /* 0 done, 1 nobody to rekey, else failed */
	int (*audit)(void *arg);               /* 0 answered without error */
};
/* Exit status as mrfc's: 0 done, 1 bad arguments, 2 a transaction failed. */
int mrfc_churn(const struct mrfc_churn_params *p, const struct mrfc_churn_ops *ops, void *arg);

/* mrfc.c: one MRFP's session (its transport, MID, transactions and legs), for the fleet */
struct session;
/* A session with tmpl's settings (style, timers, ports, verbosity), no transport yet. */
struct session *mrfc_session_new(const struct session *tmpl);
void mrfc_session_free(struct session *s);
struct mrfc_io *mrfc_session_io(struct session *s);
/* Its H.248.11 overload control (ocp/mg_overload seen, the admitted rate of new contexts). */
struct mrfc_ocp *mrfc_session_ocp(struct session *s);
/* Open its transport (mrfc_io_open) and set its MID. 0 or -errno with err filled. */
int mrfc_session_open(struct session *s, const char *sa, bool plaintext, const char *backend,
		      char *err, size_t errlen);
/* Participant key file of its legs (read now, rewritten by each command). */
void mrfc_session_keys(struct session *s, const char *keys_out);
/* One command (add, modify, subtract, audit...): mrfc's exit status for it. */
int mrfc_session_run(struct session *s, int argc, char **argv);
/* The context of the last Add (0: none). */
uint32_t mrfc_session_ctx(const struct session *s);
/* The most recently added live leg of context ctx: its termination and the MRFP's media
 * address and port. 0, or -1 when there is none. */
int mrfc_session_last_leg(const struct session *s, uint32_t ctx, char *term, size_t tl,
			  char *addr, size_t al, uint16_t *port);
/* Forget the legs of context ctx (0: all) without telling the MRFP (it lost them). */
void mrfc_session_forget(struct session *s, uint32_t ctx);
/* Receive one message within timeout_ms and answer its requests: 1, 0 (none) or -errno. */
int mrfc_session_poll(struct session *s, int timeout_ms);
/* Called for each ServiceChange an MRFP sends, retransmissions included (tid tells them
 * apart), before the answer goes out. */
extern void (*mrfc_on_service_change)(struct session *s, uint32_t tid,
				      const struct mxp_mp_cmd *sc);
/* no_results: no "result ok"/"stat"/"leg" lines; no_replies: replies not echoed. */
void mrfc_output(bool no_results, bool no_replies);
/* The H.248 error code of the last reply judged (0: it succeeded). */
unsigned int mrfc_last_code(void);
/* A statistic of the last reply (e.g. ROOT's mxp/capacity): 0, or -1 when absent. */
int mrfc_reply_stat(const char *name, uint64_t *v);

/* mrfc_fleet.c: mrfc fleet file=FLEET [script=FILE] [audit=S] (doc/mp.md "mrfc fleet") */
int mrfc_fleet(const struct session *tmpl, const char *backend, int argc, char **argv);

#endif
