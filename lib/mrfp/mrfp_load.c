/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the MRFP tells an MRFC that places conferences (doc/mp.md "Load on ROOT"): the
 * statistics of an AuditValue on ROOT. mxp/contexts and mxp/legs are counts; mxp/capacity
 * is how many more legs the configured limits leave room for (the media port range and the
 * leg records); mxp/draining is 1 while the daemon drains; mxp/load is the busiest worker's share of busy polls, when the daemon
 * measures it. An MRFC compares MRFPs by them; none of them moves media.
 *
 * And the Base Root package (H.248.1 E.2, root version 2, doc/mp.md "Base Root"): the
 * MRFP-wide properties an AuditValue of ROOT reports with their values in force, and the
 * ones a Modify of ROOT may set: the MRFC's timers, which the MRFP applies to the
 * retransmission of its own requests (mxp_mrfp_retx_params(), mxp_mrfp_pending_limit()).
 */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "mrfp_priv.h"
#include "mxp_mp_trans.h"

#define MRFP_LEGS_DEFAULT (1u << 18) /* mrfp.c's leg records when legs_max is 0 */
#define MRFP_CONFS_MAX (1u << 16)    /* lib/conf's conference table (conf_priv.h) */
#define MRFP_TERMS_MAX 1024u         /* a conference's legs: mxp_conf_params.max_legs 0 */
#define MRFP_PENDING_LIMIT 4u        /* MGCOriginatedPendingLimit until the MRFC sets one */
#define MRFP_TIMER_MAX 60000u        /* ms: the longest timer a Modify of ROOT may set */
#define MRFP_PENDINGS_MAX 100u       /* the largest MGCOriginatedPendingLimit it may set */
#define MRFP_E_PROP_ILLEGAL 455u     /* H.248.8 "Property illegal in this Descriptor" */

void
mrfp_root_load(struct mxp_mrfp *m, struct mxp_mp_cmd *rc)
{
	struct mxp_conf_memory mem;
	if (mxp_conf_memory(m->conf, &mem) != 0)
		memset(&mem, 0, sizeof(mem));
	/* the smaller room of the two limits: port pairs for legs, records of Mp legs */
	uint64_t legs = mem.legs, records = m->cnt.legs;
	uint64_t rlimit = m->cfg.legs_max ? m->cfg.legs_max : MRFP_LEGS_DEFAULT;
	uint64_t cap = rlimit > records ? rlimit - records : 0;
	if (m->cfg.media_pairs != 0) {
		uint64_t pairs = m->cfg.media_pairs > legs ? m->cfg.media_pairs - legs : 0;
		cap = pairs < cap ? pairs : cap;
	}
	mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/contexts", '=',
			    mrfp_arena_printf(m, "%u", mem.confs));
	mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/legs", '=',
			    mrfp_arena_printf(m, "%" PRIu64, legs));
	mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/capacity", '=',
			    mrfp_arena_printf(m, "%" PRIu64, cap));
	/* 1 after mixplanectl drain: no new contexts here (ServiceChange Graceful sent) */
	mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/draining", '=', m->draining ? "1" : "0");
	int load = m->ops.load_pct != NULL ? m->ops.load_pct(m->ops.arg) : -1;
	if (load >= 0)
		mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/load", '=',
				    mrfp_arena_printf(m, "%d", load > 100 ? 100 : load));
}

void
mrfp_root_load_names(struct mxp_mrfp *m, struct mxp_mp_cmd *rc)
{
	mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/contexts", 0, "");
	mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/legs", 0, "");
	mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/capacity", 0, "");
	mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/draining", 0, "");
	if (m->ops.load_pct != NULL)
		mxp_mp_msg_add_prop(m->rep, &rc->stats, "mxp/load", 0, "");
}

/* ---- the Base Root package (H.248.1 E.2) ----------------------------------------------------- */

enum root_prop {
	ROOT_MAX_CONTEXTS,   /* read-only */
	ROOT_MAX_TERMS,      /* read-only */
	ROOT_MG_EXEC,        /* the MRFP's side: [mp] pending_ms */
	ROOT_MGC_EXEC,       /* writable */
	ROOT_MG_PROV,        /* the MRFP's side: [mp] pending_ms */
	ROOT_MGC_PROV,       /* writable */
	ROOT_MGC_PENDINGS,   /* writable */
	ROOT_MG_PENDINGS,    /* the MRFP's side: one TransactionPending per transaction */
	ROOT_NPROPS
};

static const struct {
	const char *name;
	uint8_t access;      /* 0 read-only (E.2), 1 read-write in E.2 but fixed here, 2 settable */
} root_props[ROOT_NPROPS] = {
	[ROOT_MAX_CONTEXTS] = { "root/maxNumberOfContexts", 0 },
	[ROOT_MAX_TERMS] = { "root/maxTerminationsPerContext", 0 },
	[ROOT_MG_EXEC] = { "root/normalMGExecutionTime", 1 },
	[ROOT_MGC_EXEC] = { "root/normalMGCExecutionTime", 2 },
	[ROOT_MG_PROV] = { "root/MGProvisionalResponseTimerValue", 1 },
	[ROOT_MGC_PROV] = { "root/MGCProvisionalResponseTimerValue", 2 },
	[ROOT_MGC_PENDINGS] = { "root/MGCOriginatedPendingLimit", 2 },
	[ROOT_MG_PENDINGS] = { "root/MGOriginatedPendingLimit", 1 },
};

void
mxp_mrfp_retx_params(const struct mxp_mrfp *m, struct mxp_mp_retx_params *p)
{
	if (m->root_mgc_exec_ms)
		p->initial_ms = m->root_mgc_exec_ms;
	if (m->root_mgc_prov_ms)
		p->pending_ms = m->root_mgc_prov_ms;
}

uint32_t
mxp_mrfp_pending_limit(const struct mxp_mrfp *m)
{
	return m->root_mgc_pending_limit ? m->root_mgc_pending_limit : MRFP_PENDING_LIMIT;
}

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* The value in force of property k. */
static uint64_t
root_value(const struct mxp_mrfp *m, enum root_prop k)
{
	/* the retransmission timers of our requests: the daemon's, the MRFC's over them */
	struct mxp_mp_retx_params rp = { .initial_ms = m->cfg.retx_initial_ms };
	mxp_mp_retx_params_default(&rp);
	mxp_mrfp_retx_params(m, &rp);
	/* every context holds a leg at least: the leg records and the media port pairs bound
	 * both counts */
	uint64_t legs = m->cfg.legs_max ? m->cfg.legs_max : MRFP_LEGS_DEFAULT;
	if (m->cfg.media_pairs)
		legs = min64(legs, m->cfg.media_pairs);
	switch (k) {
	case ROOT_MAX_CONTEXTS: return min64(MRFP_CONFS_MAX, legs);
	case ROOT_MAX_TERMS: return min64(MRFP_TERMS_MAX, legs);
	case ROOT_MG_EXEC:   /* the MRFP answers within pending_ms or sends TransactionPending */
	case ROOT_MG_PROV: return m->cfg.pending_ms;
	case ROOT_MGC_EXEC: return rp.initial_ms;
	case ROOT_MGC_PROV: return rp.pending_ms;
	case ROOT_MGC_PENDINGS: return mxp_mrfp_pending_limit(m);
	case ROOT_MG_PENDINGS: return 1; /* mrfp.c sends one TransactionPending a transaction */
	default: return 0;
	}
}

void
mrfp_root_props(struct mxp_mrfp *m, struct mxp_mp_cmd *rc)
{
	rc->has_media = true;
	for (unsigned int k = 0; k < ROOT_NPROPS; k++)
		mxp_mp_msg_add_prop(m->rep, &rc->ts_props, root_props[k].name, '=',
				    mrfp_arena_printf(m, "%" PRIu64,
						      root_value(m, (enum root_prop)k)));
}

void
mrfp_root_props_cap(struct mxp_mrfp *m, struct mxp_mp_cmd *rc)
{
	for (unsigned int k = 0; k < ROOT_NPROPS; k++)
		mxp_mp_msg_add_prop(m->rep, &rc->ts_props, root_props[k].name, '=',
				    root_props[k].access == 2 ?
				    mrfp_arena_printf(m, "[1:%u]", k == ROOT_MGC_PENDINGS ?
						      MRFP_PENDINGS_MAX : MRFP_TIMER_MAX) :
				    mrfp_arena_printf(m, "%" PRIu64,
						      root_value(m, (enum root_prop)k)));
}

void
mrfp_root_modify(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, struct mxp_mp_cmd *rc)
{
	rc->term_kind = MXP_MP_TERM_ROOT;
	bool streams = false;
	for (uint8_t i = 0; i < c->nstreams; i++)
		streams |= c->streams[i].has_local || c->streams[i].has_remote ||
			   c->streams[i].lc_props.n > 0 || c->streams[i].stats.n > 0;
	if (streams || c->has_signals)
		return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL, "Modify of ROOT sets root/ "
				      "properties (Media { TerminationState { ... } }) and Events "
				      "(ocp/mg_overload) only");
	if (c->has_events && mrfp_ocp_events_check(m, c, rc) != 0)
		return; /* mrfp_overload.c */
	/* every property checked before any is set: a bad one changes nothing */
	uint32_t val[ROOT_NPROPS];
	bool set[ROOT_NPROPS] = { false };
	for (uint16_t i = 0; i < c->ts_props.n; i++) {
		const struct mxp_mp_prop *p = &m->req->props[c->ts_props.first + i];
		int nl = (int)(p->name.len > 48 ? 48 : p->name.len);
		unsigned int k;
		for (k = 0; k < ROOT_NPROPS && !mxp_mp_str_eq(p->name, root_props[k].name); k++)
			;
		if (k == ROOT_NPROPS) {
			bool root = p->name.len > 5 && strncasecmp(p->name.p, "root/", 5) == 0;
			return mrfp_cmd_error(m, rc, root ? MXP_MP_E_NO_SUCH_PROP :
						  MXP_MP_E_UNKNOWN_PROP,
					      "%.*s: %s", nl, p->name.p, root ?
					      "no such property in root (H.248.1 E.2)" :
					      "ROOT has the root/ properties only");
		}
		if (root_props[k].access == 0)
			return mrfp_cmd_error(m, rc, MRFP_E_PROP_ILLEGAL, "%s is read-only",
					      root_props[k].name);
		if (root_props[k].access == 1)
			return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL,
					      "%s is the MRFP's own (%s); "
					      "the MRFC may set normalMGCExecutionTime, "
					      "MGCProvisionalResponseTimerValue and "
					      "MGCOriginatedPendingLimit", root_props[k].name,
					      k == ROOT_MG_PENDINGS ? "one TransactionPending a "
					      "transaction" : "[mp] pending_ms");
		if (set[k])
			return mrfp_cmd_error(m, rc, MXP_MP_E_PROP_TWICE, "%s twice",
					      root_props[k].name);
		uint32_t max = k == ROOT_MGC_PENDINGS ? MRFP_PENDINGS_MAX : MRFP_TIMER_MAX;
		if (p->op != '=' || !mxp_mp_str_uint(p->value, max, &val[k]) || val[k] == 0)
			return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE, "%s = 1..%u%s",
					      root_props[k].name, max,
					      k == ROOT_MGC_PENDINGS ? "" : " (ms)");
		set[k] = true;
	}
	if (c->has_events)
		mrfp_ocp_events_set(m, c); /* ocp/mg_overload asked for, or stopped */
	if (set[ROOT_MGC_EXEC])
		m->root_mgc_exec_ms = val[ROOT_MGC_EXEC];
	if (set[ROOT_MGC_PROV])
		m->root_mgc_prov_ms = val[ROOT_MGC_PROV];
	if (set[ROOT_MGC_PENDINGS])
		m->root_mgc_pending_limit = val[ROOT_MGC_PENDINGS];
}
