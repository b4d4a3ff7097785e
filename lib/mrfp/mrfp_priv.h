/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of lib/mrfp: the context, shared by mrfp.c, mrfp_cmds.c and mrfp_events.c. */
#ifndef MXP_MRFP_PRIV_H
#define MXP_MRFP_PRIV_H

#include <rte_hash.h>

#include "mxp_mrfp.h"

#define MRFP_ARENA 32768          /* strings of the reply being built (may hold keys) */
#define MRFP_WILD_MAX 4096        /* legs a wildcard Modify or Subtract names */

struct mrfp_leg_plan;
struct mrfp_ocp;

/* One signal of a Signals descriptor, checked, as lib/conf plays it. */
struct mrfp_sigreq {
	struct mxp_signal s;
	char sigid[24];               /* "an/apf": SigID of g/sc */
	uint8_t notify;               /* MXP_MP_NC_* (default TimeOut) */
	bool keep, in_list, has_rid;
	uint32_t list_id, rid;
};

/* A Signals descriptor checked, before the command changes anything. */
struct mrfp_sigplan {
	bool present;
	uint8_t n;                    /* 0: stop what plays */
	struct mrfp_sigreq q[MXP_MP_SIGS_MAX];
};

/* What plays on one target: a leg, or a conference (leg 0). */
struct mrfp_sigq {
	uint32_t ctx, leg;
	uint32_t tag;                 /* of the signal playing (lib/conf's tag); 0: none */
	uint8_t n, cur;               /* a SignalList plays q[0..n-1] in order */
	struct mrfp_sigreq q[MXP_MP_SIGS_MAX];
};

struct mxp_mrfp {
	struct mxp_mrfp_config cfg;
	struct mxp_mrfp_ops ops;
	struct mxp_conf_sys *conf;
	struct rte_hash *legs;        /* leg id -> struct mxp_mrfp_leg * */
	struct mxp_mrfp_counters cnt;
	bool draining;                /* mxp_mrfp_set_draining(): no new contexts */
	struct mrfp_ocp *ocp;         /* overload control (mrfp_overload.c) */
	/* the transaction being applied */
	struct mxp_mp_msg *rep;
	const struct mxp_mp_msg *req;
	struct mxp_mrfp_peer peer;
	uint64_t start_ms;
	bool pending_sent;
	uint32_t tr_cmds;             /* commands of the transaction begun so far */
	bool tr_refused;              /* its first command was refused by the overload control,
				       * and nothing else ran: mxp_mrfp_refused() */
	/* scratch of wildcard commands (kept off the stack) */
	uint32_t wild[MRFP_WILD_MAX];
	struct mrfp_leg_plan *plans;  /* MRFP_WILD_MAX of them */
	/* signals */
	struct mxp_mp_signals sigs;   /* scratch of the descriptor being checked */
	struct mrfp_sigplan sigplan;
	struct mrfp_sigq *sq;         /* targets with a signal playing */
	uint32_t nsq, capsq;
	uint32_t sig_seq;             /* tags of started signals */
	/* root/ properties the MRFC set with Modify = ROOT (mrfp_load.c); 0: not set */
	uint32_t root_mgc_exec_ms, root_mgc_prov_ms, root_mgc_pending_limit;
	struct mrfp_dm *dm;           /* digit maps and collections (mrfp_events.c) */
	size_t arena_used;
	char arena[MRFP_ARENA];
};

/* mrfp.c */
/** Format into the arena of the reply being built ("" when it is full). */
const char *mrfp_arena_printf(struct mxp_mrfp *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Turn a reply command into an error with code and text (and count it). */
void mrfp_cmd_error(struct mxp_mrfp *m, struct mxp_mp_cmd *c, unsigned int code,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/** Between two commands: TransactionPending once the transaction has taken pending_ms. */
void mrfp_pending_check(struct mxp_mrfp *m);
/** A new record for a leg, or NULL (table full, out of memory). */
struct mxp_mrfp_leg *mrfp_leg_new(struct mxp_mrfp *m, uint32_t leg, uint32_t ctx);
/** The record of a leg (writable), or NULL. */
struct mxp_mrfp_leg *mrfp_leg_get(struct mxp_mrfp *m, uint32_t leg);
/** Report an event of a leg through ops.notify. */
void mrfp_notify(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, const char *event,
		 const char *params);

/* mrfp_signals.c */
/** The supported packages into a reply command's Packages descriptor. */
void mrfp_packages_reply(struct mxp_mrfp *m, struct mxp_mp_cmd *rc);
/** An event an Events descriptor asks for: 0 with its MXP_MRFP_EV_* bit, or an H.248 code
 *  (440, 501, 512) with a text. */
unsigned int mrfp_pkg_event(struct mxp_mp_str name, uint8_t *bit, char *t, size_t tl);
/** Parse and check a command's Signals descriptor into plan (nothing changes); -1 with the
 *  error on rc. mode: the conference's (a forward conference refuses signals). */
int mrfp_signals_check(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, const char *base,
		       enum mxp_conf_mode mode, struct mrfp_sigplan *plan, struct mxp_mp_cmd *rc);
/** Play a checked descriptor on the command's target once the command succeeded. */
void mrfp_signals_apply(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, uint32_t ctx,
			const struct mrfp_sigplan *plan, struct mxp_mp_cmd *rc);
/** Signals that ended: g/sc Notify, the next signal of a list. */
void mrfp_signals_poll(struct mxp_mrfp *m);
/** An event was detected on a leg: its signal stops unless KeepActive. */
void mrfp_signals_event(struct mxp_mrfp *m, uint32_t ctx, uint32_t leg);
/** The SigID playing on a target, or NULL. */
const char *mrfp_signals_playing(const struct mxp_mrfp *m, uint32_t ctx, uint32_t leg);

/* mrfp_cmds.c */
size_t mrfp_plan_size(void);

/* mrfp_events.c: digit maps (H.248.1 7.1.14) and dd/ce collections */
/** Check a command's DigitMap descriptors (nothing changes); -1 with the error on rc. */
int mrfp_dm_check(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c,
		  struct mxp_mp_cmd *rc);
/** Store the named digit maps of a command that succeeded. */
void mrfp_dm_commit(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c);
/** The digit map of a dd/ce request (its DigitMap parameter, else the command's unnamed
 *  DigitMap descriptor) made the one the command's legs collect with; 0, or an H.248 code
 *  (400, 449, 457, 519, 520) with a text. */
unsigned int mrfp_dm_event(struct mxp_mrfp *m, const struct mxp_mp_msg *msg,
			   const struct mxp_mp_cmd *c, const struct mxp_mp_prop *ev, char *t,
			   size_t tl);
/** A leg's Events descriptor was applied: collect (from now) or stop collecting. */
void mrfp_dm_collect(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, bool on);
/** The named digit maps into an AuditValue reply. */
void mrfp_dm_audit(struct mxp_mrfp *m, struct mxp_mp_cmd *rc);
/** Free the digit maps and collections. */
void mrfp_dm_free(struct mxp_mrfp *m);

/* mrfp_load.c */
/** ROOT's load statistics (mxp/contexts, legs, capacity, load) into an AuditValue reply. */
void mrfp_root_load(struct mxp_mrfp *m, struct mxp_mp_cmd *rc);
/** Their names, for AuditCapability of ROOT. */
void mrfp_root_load_names(struct mxp_mrfp *m, struct mxp_mp_cmd *rc);
/** The Base Root package's properties (root/...) into an AuditValue reply of ROOT. */
void mrfp_root_props(struct mxp_mrfp *m, struct mxp_mp_cmd *rc);
/** The same properties for AuditCapability of ROOT: what a Modify may set, the others'
 *  values. */
void mrfp_root_props_cap(struct mxp_mrfp *m, struct mxp_mp_cmd *rc);
/** Modify = ROOT: set the writable root/ properties, all or none (the error on rc). */
void mrfp_root_modify(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, struct mxp_mp_cmd *rc);

/* mrfp_overload.c (H.248.11 ocp) */
int mrfp_ocp_init(struct mxp_mrfp *m);
void mrfp_ocp_fini(struct mxp_mrfp *m);
/** A transaction starts (m->start_ms set): the pressure is measured. */
void mrfp_ocp_begin(struct mxp_mrfp *m);
/** Its reply went out (mxp_mrfp_reply_wipe): its time counted, a due Notify sent. */
void mrfp_ocp_end(struct mxp_mrfp *m);
/** A command would create a context: true (510 on rc) when overloaded. */
bool mrfp_ocp_refuse(struct mxp_mrfp *m, struct mxp_mp_cmd *rc);
/** The Events descriptor of a Modify of ROOT: ocp/mg_overload only (or none): 0, or -1
 *  with the error on rc. */
int mrfp_ocp_events_check(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, struct mxp_mp_cmd *rc);
/** Apply it (checked): ocp/mg_overload asked for by the transaction's peer, or stopped. */
void mrfp_ocp_events_set(struct mxp_mrfp *m, const struct mxp_mp_cmd *c);
/** ROOT's requested events into an AuditValue reply. */
void mrfp_ocp_audit_events(struct mxp_mrfp *m, struct mxp_mp_cmd *rc);

#endif
