/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket's commands (cli.c and the cli_*.c files). The control loop hands each
 * request to mxp_cli_handle() with the subsystems the commands may use (struct
 * mxp_cli_ctx); commands reach them through their public functions only.
 *
 * Adding commands: a file defines a table `const struct cli_cmd mxp_cli_NAME_cmds[]` ending
 * with MXP_CLI_END, declares it below, and cli.c's list of tables gets one line.
 */
#ifndef MIXPLANE_CLI_H
#define MIXPLANE_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "mxp_ctl.h"

struct mxp_cfg;
struct mxp_ports;
struct mxp_worker;
struct mxp_conf_sys;
struct mxp_mp_plane;
struct mxp_ctl_stats;
struct rte_mempool;

/* What the commands may use; every pointer outlives the control loop. */
struct mxp_cli_ctx {
	const struct mxp_cfg *cfg;
	struct mxp_ports *ports;
	struct mxp_worker *const *workers;
	uint16_t nb_workers;
	struct mxp_conf_sys *conf;        /**< lib/conf's control API (control core) */
	struct mxp_mp_plane *mp;          /**< status and ESP endpoint (mp_plane.h) */
	const struct rte_mempool *pool;
	const struct rte_mempool *hdr_pool;
	const struct mxp_ctl_stats *cst;
	uint64_t start_ms;
};

struct cli_req {
	const struct mxp_cli_ctx *ctx;
	int argc;
	char **argv;
	bool json;
	const uint8_t *body;   /**< data sent with -i (keys), not NUL-terminated */
	uint32_t body_len;
	struct mxp_buf *out;
};

struct cli_cmd {
	const char *words;  /**< "show ports"; NULL ends a table */
	const char *args;   /**< argument synopsis for help */
	const char *help;
	int (*fn)(struct cli_req *r, int argi);
};

#define MXP_CLI_END { NULL, NULL, NULL, NULL }

/** cli_conf.c: conferences and legs (the lab commands). */
extern const struct cli_cmd mxp_cli_conf_cmds[];
/** cli_signal.c: tones, announcements, DTMF (leg/conference play, stop-signal, show tones). */
extern const struct cli_cmd mxp_cli_signal_cmds[];
/**
 * cli_signal.c: [media] announcement_preload: each name of list (spaces or commas; `*`:
 * every regular file of dir) checked and converted into the signal cache, at most 32;
 * a long one is queued for lib/media's loader. Logs each. @return how many were taken.
 */
unsigned int mxp_cli_announcement_preload(struct mxp_conf_sys *conf, const char *list,
					  const char *dir);
/** cli_signal.c: log the conversions the announcement loader finished (control timer). */
void mxp_cli_announcements_timer(void);
/** cli_record.c: conference record, show recordings. */
extern const struct cli_cmd mxp_cli_record_cmds[];
/** cli_record.c: a conference's recording in show conference (j: its JSON object, else a
 * line of text; nothing if it never recorded). */
void cli_record_conf(struct cli_req *r, struct mxp_json *j, uint32_t conf_id);
/** cli_capture.c: capture leg/conference, capture stop, show captures. */
extern const struct cli_cmd mxp_cli_capture_cmds[];
/** cli_esp.c: show mp, show esp, esp sa/peer commands. */
extern const struct cli_cmd mxp_cli_mp_cmds[];
/** cli_top.c: show top (mixplanectl top's snapshot). */
extern const struct cli_cmd mxp_cli_top_cmds[];

/** cli_top.c: whether the MRFC went silent, as `show top` and the metrics (metrics.c) see it:
 *  a request of ours given up makes it silent until one is answered. Each reader keeps
 *  its own w (zeroed at first) and passes it every status it reads. */
struct mxp_mrfc_silence {
	uint64_t seen_gave_up, seen_answered;
	bool silent;
};
struct mxp_mp_status;
bool mxp_mrfc_watch(struct mxp_mrfc_silence *w, const struct mxp_mp_status *st);
/**
 * cli_top.c: is the MRFC reachable? Over SCTP: the association is up. Over UDP: it answered
 * our ServiceChange, and (gave_up false) no request of ours was given up on since its last
 * answer. *known is false when Mp is off or no MRFC is configured. Returns why, in words.
 */
const char *mxp_mrfc_reach(const struct mxp_mp_status *st, bool gave_up, bool *known, bool *up);
/** cli_health.c: health live, health ready, drain. */
extern const struct cli_cmd mxp_cli_health_cmds[];
/** cli_health.c: true once `drain` was run (conference create is refused). */
bool mxp_cli_draining(void);
/** cli_health.c: the control core's 100 ms tick (worker liveness samples); true when a drain
 * is over (the last conference ended or its delay passed) and the daemon should exit. */
bool mxp_cli_health_timer(const struct mxp_cli_ctx *ctx, uint64_t now_ms);

/** Replace the reply with one formatted line ("...\n"); returns status. */
int cli_fail(struct cli_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/** Decimal argument 0..max (digits only); 0 or -EINVAL. */
int cli_u32_arg(const char *s, uint32_t max, uint32_t *v);

/** Handle one control-socket request; fills out, returns an enum mxp_ctl_status. */
int mxp_cli_handle(const struct mxp_cli_ctx *ctx, const uint8_t *req, uint32_t len,
		   uint32_t peer_uid, struct mxp_buf *out);

#endif
