/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Overload control (H.248.11, package ocp version 1; doc/mp.md "Overload control").
 *
 * The MRFP is overloaded while either of two measures is over its mark:
 *
 *   reply cache   entries held (ops.cache_fill) reach ocp_high_pct of its capacity (70 %);
 *                 the overload lasts until they fall below ocp_low_pct (50 %). Every new
 *                 transaction takes an entry for reply_ttl_ms, so this is the arrival rate
 *                 over the last reply_ttl_ms, seen before the cache is full (when the
 *                 daemon has to refuse everything, 510 "reply cache full").
 *   busy share    the time from a transaction's start to its reply going out, summed over
 *                 a window of ocp_window_ms (1 s), reaches ocp_busy_pct of it (90 %): the
 *                 control core does little else than transactions arriving back to back.
 *                 The clock counts milliseconds; a transaction counts the millisecond
 *                 boundaries it spans, which sums to the time spent on average.
 *
 * While overloaded, a command that would create a context (Add or Move to context $) is
 * refused with 510 "Insufficient resources" and changes nothing; commands on existing
 * contexts (Add to one, Modify, Subtract, audits) are applied as before, so calls can end.
 * If the MRFC asked for it (Modify of ROOT, Events = R { ocp/mg_overload }), a refused Add
 * makes a Notify of ocp/mg_overload on ROOT due, at most once per ocp_notify_ms (1 s) and
 * at once in a new overload: H.248.11 has the MG notify when Adds arrive while overloaded,
 * and the MGC cut its rate per notification; a flood of Adds gets one Notify a second.
 * The Notify goes out after the transaction's reply (mxp_mrfp_reply_wipe), never inside it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mrfp_priv.h"

#define OCP_EVENT "ocp/mg_overload"

struct mrfp_ocp {
	uint32_t high, low, busy, window_ms, notify_ms;
	/* what the MRFC asked for */
	bool requested;
	uint32_t rid;
	struct mxp_mrfp_peer peer;
	/* measures */
	bool cache_hot, busy_hot;
	uint64_t win_start, busy_ms;
	bool open;                    /* a transaction began, its reply is not out yet */
	/* the overload */
	bool over, notified;          /* notified: in this overload */
	uint64_t notified_ms;
	bool due;                     /* a Notify to send once the reply is out */
};

static uint32_t
or_default(uint32_t v, uint32_t def)
{
	return v ? v : def;
}

int
mrfp_ocp_init(struct mxp_mrfp *m)
{
	struct mrfp_ocp *o = calloc(1, sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	o->high = or_default(m->cfg.ocp_high_pct, 70);
	o->low = or_default(m->cfg.ocp_low_pct, 50);
	if (o->low > o->high)
		o->low = o->high;
	o->busy = or_default(m->cfg.ocp_busy_pct, 90);
	o->window_ms = or_default(m->cfg.ocp_window_ms, 1000);
	o->notify_ms = or_default(m->cfg.ocp_notify_ms, 1000);
	o->win_start = m->ops.now_ms(m->ops.arg);
	m->ocp = o;
	return 0;
}

void
mrfp_ocp_fini(struct mxp_mrfp *m)
{
	free(m->ocp);
	m->ocp = NULL;
}

void
mrfp_ocp_begin(struct mxp_mrfp *m)
{
	struct mrfp_ocp *o = m->ocp;
	uint64_t now = m->start_ms;
	o->open = true;
	if (now - o->win_start >= o->window_ms) {
		o->busy_hot = o->busy_ms * 100 >= (uint64_t)o->busy * (now - o->win_start);
		o->win_start = now;
		o->busy_ms = 0;
	}
	if (m->ops.cache_fill != NULL) {
		uint32_t used = 0, cap = 0;
		m->ops.cache_fill(m->ops.arg, &used, &cap);
		uint64_t u = (uint64_t)used * 100;
		if (cap == 0)
			o->cache_hot = false;
		else if (!o->cache_hot && u >= (uint64_t)o->high * cap)
			o->cache_hot = true;
		else if (o->cache_hot && u < (uint64_t)o->low * cap)
			o->cache_hot = false;
	}
	bool over = o->cache_hot || o->busy_hot;
	if (over && !o->over) {
		m->cnt.ocp_episodes++;
		o->notified = false;
	}
	o->over = over;
	m->cnt.overloaded = over;
}

void
mrfp_ocp_end(struct mxp_mrfp *m)
{
	struct mrfp_ocp *o = m->ocp;
	if (o == NULL || !o->open)
		return;
	o->open = false;
	uint64_t now = m->ops.now_ms(m->ops.arg);
	o->busy_ms += now > m->start_ms ? now - m->start_ms : 0;
	if (!o->due)
		return;
	o->due = false;
	struct mxp_mrfp_notify n = { .ctx = MXP_MP_CTX_NULL, .rid = o->rid, .event = OCP_EVENT,
				     .params = "", .peer = o->peer };
	snprintf(n.term, sizeof(n.term), "ROOT");
	if (m->ops.notify && m->ops.notify(m->ops.arg, &n) == 0) {
		m->cnt.notifies++;
		m->cnt.ocp_notifies++;
	}
}

bool
mrfp_ocp_refuse(struct mxp_mrfp *m, struct mxp_mp_cmd *rc)
{
	struct mrfp_ocp *o = m->ocp;
	if (!o->over)
		return false;
	m->cnt.ocp_refused++;
	m->tr_refused = m->tr_cmds == 1; /* the transaction's first command */
	if (o->requested && (!o->notified || m->start_ms - o->notified_ms >= o->notify_ms)) {
		o->due = true;
		o->notified = true;
		o->notified_ms = m->start_ms;
	}
	mrfp_cmd_error(m, rc, MXP_MP_E_RESOURCES,
		       "the MRFP is overloaded (H.248.11): no new contexts for now, retry later "
		       "or elsewhere%s", o->requested ? " (ocp/mg_overload)" : "");
	return true;
}

int
mrfp_ocp_events_check(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, struct mxp_mp_cmd *rc)
{
	for (uint16_t i = 0; i < c->events.n; i++) {
		const struct mxp_mp_prop *p = &m->req->props[c->events.first + i];
		if (mxp_mp_str_eq(p->name, OCP_EVENT))
			continue;
		char t[MXP_MP_TEXT_MAX];
		uint8_t bit;
		unsigned int code = mrfp_pkg_event(p->name, &bit, t, sizeof(t));
		int nl = (int)(p->name.len > 40 ? 40 : p->name.len);
		if (code == 0) /* an event of the legs */
			mrfp_cmd_error(m, rc, MXP_MP_E_EVENT, "%.*s is an event of a termination, "
				       "not of ROOT (ROOT: ocp/mg_overload)", nl, p->name.p);
		else
			mrfp_cmd_error(m, rc, code, "%s", t);
		return -1;
	}
	return 0;
}

void
mrfp_ocp_events_set(struct mxp_mrfp *m, const struct mxp_mp_cmd *c)
{
	struct mrfp_ocp *o = m->ocp;
	/* an empty descriptor stops the reports (H.248.1 7.1.9) */
	o->requested = c->events.n > 0;
	o->rid = c->events_rid;
	o->peer = m->peer;
}

void
mrfp_ocp_audit_events(struct mxp_mrfp *m, struct mxp_mp_cmd *rc)
{
	if (!m->ocp->requested)
		return;
	rc->has_events = true;
	rc->events_rid = m->ocp->rid;
	mxp_mp_msg_add_prop(m->rep, &rc->events, OCP_EVENT, 0, "");
}
