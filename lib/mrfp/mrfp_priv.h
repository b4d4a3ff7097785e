/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of lib/mrfp: the context, shared by mrfp.c, mrfp_cmds.c and mrfp_events.c. */
#ifndef MXP_MRFP_PRIV_H
#define MXP_MRFP_PRIV_H

#include <rte_hash.h>

#include "mxp_mrfp.h"

#define MRFP_ARENA 32768          /* strings of the reply being built (may hold keys) */
#define MRFP_WILD_MAX 4096        /* legs a wildcard Modify or Subtract names */

struct mrfp_leg_plan;

struct mxp_mrfp {
	struct mxp_mrfp_config cfg;
	struct mxp_mrfp_ops ops;
	struct mxp_conf_sys *conf;
	struct rte_hash *legs;        /* leg id -> struct mxp_mrfp_leg * */
	struct mxp_mrfp_counters cnt;
	/* the transaction being applied */
	struct mxp_mp_msg *rep;
	struct mxp_mrfp_peer peer;
	uint64_t start_ms;
	bool pending_sent;
	/* scratch of wildcard commands (kept off the stack) */
	uint32_t wild[MRFP_WILD_MAX];
	struct mrfp_leg_plan *plans;  /* MRFP_WILD_MAX of them */
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

/* mrfp_cmds.c */
size_t mrfp_plan_size(void);

#endif
