/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the MRFP tells an MRFC that places conferences (doc/mp.md "Load on ROOT"): the
 * statistics of an AuditValue on ROOT. mxp/contexts and mxp/legs are counts; mxp/capacity
 * is how many more legs the configured limits leave room for (the media port range and the
 * leg records); mxp/draining is 1 while the daemon drains; mxp/load is the busiest worker's share of busy polls, when the daemon
 * measures it. An MRFC compares MRFPs by them; none of them moves media.
 */
#include <inttypes.h>
#include <string.h>

#include "mrfp_priv.h"

#define MRFP_LEGS_DEFAULT (1u << 18) /* mrfp.c's leg records when legs_max is 0 */

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
