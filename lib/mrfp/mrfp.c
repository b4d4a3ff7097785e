/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MRFP context: creation, the leg records, the reply arena, error counting, the
 * TransactionPending clock, Notify messages.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash.h>

#include "mrfp_priv.h"

#define MRFP_LEGS_MAX (1u << 18)

struct mxp_mrfp *
mxp_mrfp_create(const struct mxp_mrfp_config *cfg, struct mxp_conf_sys *conf,
		const struct mxp_mrfp_ops *ops, char *err, size_t errlen)
{
	static atomic_uint instance;
	if (cfg == NULL || conf == NULL || ops == NULL || ops->port_addr == NULL ||
	    ops->route == NULL || ops->now_ms == NULL) {
		snprintf(err, errlen, "mrfp: configuration, conference system, port_addr, route "
			 "and now_ms are required");
		return NULL;
	}
	struct mxp_mrfp *m = calloc(1, sizeof(*m));
	if (m == NULL || (m->plans = calloc(MRFP_WILD_MAX, mrfp_plan_size())) == NULL) {
		free(m);
		snprintf(err, errlen, "mrfp: out of memory");
		return NULL;
	}
	m->cfg = *cfg;
	m->ops = *ops;
	m->conf = conf;
	char name[RTE_HASH_NAMESIZE];
	snprintf(name, sizeof(name), "mxp_mrfp_legs%u", atomic_fetch_add(&instance, 1));
	struct rte_hash_parameters hp = { .name = name,
					  .entries = cfg->legs_max ? cfg->legs_max : MRFP_LEGS_MAX,
					  .key_len = sizeof(uint32_t), .socket_id = SOCKET_ID_ANY };
	m->legs = rte_hash_create(&hp);
	if (m->legs == NULL || mrfp_ocp_init(m) != 0) {
		rte_hash_free(m->legs);
		snprintf(err, errlen, "mrfp: out of memory for %u leg records", hp.entries);
		free(m->plans);
		free(m);
		return NULL;
	}
	return m;
}

void
mxp_mrfp_destroy(struct mxp_mrfp *m)
{
	if (m == NULL)
		return;
	const void *key;
	void *data;
	uint32_t it = 0;
	while (rte_hash_iterate(m->legs, &key, &data, &it) >= 0)
		free(data);
	rte_hash_free(m->legs);
	mrfp_ocp_fini(m);
	free(m->sq);
	mrfp_dm_free(m);
	explicit_bzero(m->plans, MRFP_WILD_MAX * mrfp_plan_size());
	free(m->plans);
	explicit_bzero(m->arena, sizeof(m->arena));
	free(m);
}

/* ---- profile ---------------------------------------------------------------------------- */

/* The 3GPP profile's name and version: the built-in ones unless the operator set them
 * (mxp_mrfp_profile_3gpp_set, before any MRFP exists). */
static char p3_name[65] = MXP_MP_PROFILE_3GPP_NAME;
static uint32_t p3_ver = MXP_MP_PROFILE_3GPP_VERSION;
static char p3_full[80] = MXP_MP_PROFILE_3GPP_NAME "/1";

int
mxp_mrfp_profile_3gpp_set(const char *name_version, char *err, size_t errlen)
{
	struct mxp_mp_str name;
	uint32_t v = 0;
	bool ok = name_version != NULL &&
		  mxp_mp_profile_split(mxp_mp_str_c(name_version), &name, &v) == 0 &&
		  name.len >= 1 && name.len <= 64 && v >= 1 && v <= 99 &&
		  ((name.p[0] | 0x20) >= 'a' && (name.p[0] | 0x20) <= 'z');
	for (uint32_t i = 1; ok && i < name.len; i++) {
		char c = name.p[i];
		ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
	}
	if (!ok) {
		snprintf(err, errlen, "profile '%.40s': expected NAME/VERSION, NAME a letter and up "
			 "to 63 letters, digits or '_', VERSION 1..99 (e.g. %s/%u)",
			 name_version ? name_version : "", MXP_MP_PROFILE_3GPP_NAME,
			 MXP_MP_PROFILE_3GPP_VERSION);
		return -EINVAL;
	}
	snprintf(p3_name, sizeof(p3_name), "%.*s", (int)name.len, name.p);
	p3_ver = v;
	snprintf(p3_full, sizeof(p3_full), "%s/%u", p3_name, p3_ver);
	return 0;
}

const char *
mxp_mrfp_profile_name(enum mxp_mrfp_profile p)
{
	return p == MXP_MRFP_PROFILE_MXP ? MXP_MP_PROFILE_MXP_NAME "/1" : p3_full;
}

int
mxp_mrfp_profile_negotiate(enum mxp_mrfp_profile p, struct mxp_mp_str reply_profile,
			   uint32_t *version, char *err, size_t errlen)
{
	const char *ours = p == MXP_MRFP_PROFILE_MXP ? MXP_MP_PROFILE_MXP_NAME : p3_name;
	uint32_t our_ver = p == MXP_MRFP_PROFILE_MXP ? MXP_MP_PROFILE_MXP_VERSION : p3_ver;
	struct mxp_mp_str name;
	uint32_t v;
	if (reply_profile.len == 0) {
		*version = our_ver;
		return 0;
	}
	if (mxp_mp_profile_split(reply_profile, &name, &v) != 0) {
		snprintf(err, errlen, "the MRFC's profile '%.*s' is not name/version",
			 (int)(reply_profile.len > 40 ? 40 : reply_profile.len), reply_profile.p);
		return -ENOTSUP;
	}
	if (!mxp_mp_str_eq(name, ours) || v > our_ver) {
		snprintf(err, errlen, "the MRFC offers profile %.*s/%u; the MRFP speaks %s/1..%u",
			 (int)(name.len > 40 ? 40 : name.len), name.p, v, ours, our_ver);
		return -ENOTSUP;
	}
	*version = v;
	return 0;
}

/* ---- leg records ------------------------------------------------------------------------ */

struct mxp_mrfp_leg *
mrfp_leg_get(struct mxp_mrfp *m, uint32_t leg)
{
	void *d;
	return rte_hash_lookup_data(m->legs, &leg, &d) >= 0 ? d : NULL;
}

const struct mxp_mrfp_leg *
mxp_mrfp_leg_find(const struct mxp_mrfp *m, uint32_t leg)
{
	void *d;
	return m && rte_hash_lookup_data(m->legs, &leg, &d) >= 0 ? d : NULL;
}

struct mxp_mrfp_leg *
mrfp_leg_new(struct mxp_mrfp *m, uint32_t leg, uint32_t ctx)
{
	struct mxp_mrfp_leg *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->leg = leg;
	l->ctx = ctx;
	l->afthresh = m->cfg.afthresh;
	l->created_ms = m->ops.now_ms(m->ops.arg);
	if (rte_hash_add_key_data(m->legs, &leg, l) < 0) {
		free(l);
		return NULL;
	}
	m->cnt.legs++;
	return l;
}

void
mxp_mrfp_leg_forget(struct mxp_mrfp *m, uint32_t leg)
{
	struct mxp_mrfp_leg *l = mrfp_leg_get(m, leg);
	if (l == NULL)
		return;
	rte_hash_del_key(m->legs, &leg);
	m->cnt.legs--;
	free(l);
}

void
mxp_mrfp_set_draining(struct mxp_mrfp *m, bool on)
{
	m->draining = on;
}

/* ---- counters, arena, errors ------------------------------------------------------------ */

const struct mxp_mrfp_counters *
mxp_mrfp_counters(const struct mxp_mrfp *m)
{
	return &m->cnt;
}

void
mxp_mrfp_count_error(struct mxp_mrfp *m, unsigned int code)
{
	m->cnt.errors++;
	if (code < RTE_DIM(m->cnt.err_by_code))
		m->cnt.err_by_code[code]++;
}

const char *
mrfp_arena_printf(struct mxp_mrfp *m, const char *fmt, ...)
{
	va_list ap;
	size_t room = MRFP_ARENA - m->arena_used;
	char *p = m->arena + m->arena_used;
	va_start(ap, fmt);
	int n = vsnprintf(p, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return "";
	m->arena_used += (size_t)n + 1;
	return p;
}

void
mxp_mrfp_reply_wipe(struct mxp_mrfp *m)
{
	explicit_bzero(m->arena, m->arena_used); /* generated keys */
	m->arena_used = 0;
	mrfp_ocp_end(m); /* the reply is out: a due ocp/mg_overload Notify may go */
}

void
mrfp_cmd_error(struct mxp_mrfp *m, struct mxp_mp_cmd *c, unsigned int code, const char *fmt, ...)
{
	char t[MXP_MP_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	for (char *q = t; *q; q++)
		if (*q == '"')
			*q = '\'';
	c->has_error = true;
	c->err_code = (uint16_t)code;
	c->err_text = mxp_mp_str_c(mrfp_arena_printf(m, "%s", t));
	mxp_mrfp_count_error(m, code);
}

void
mrfp_pending_check(struct mxp_mrfp *m)
{
	if (m->pending_sent || m->ops.send_pending == NULL ||
	    m->ops.now_ms(m->ops.arg) - m->start_ms < m->cfg.pending_ms)
		return;
	m->pending_sent = true;
	m->ops.send_pending(m->ops.arg);
}

/* ---- Notify ----------------------------------------------------------------------------- */

void
mrfp_notify(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, const char *event,
	    const char *params)
{
	struct mxp_mrfp_notify n = { .ctx = l->ctx, .leg = l->leg, .rid = l->rid, .event = event,
				     .params = params, .peer = l->peer };
	snprintf(n.term, sizeof(n.term), "leg/%u", l->leg);
	if (m->ops.notify && m->ops.notify(m->ops.arg, &n) == 0)
		m->cnt.notifies++;
}

int
mxp_mrfp_notify_build(struct mxp_mp_msg *msg, uint32_t tid, const struct mxp_mrfp_notify *n)
{
	if (mxp_mp_msg_add_trans(msg, MXP_MP_TRANS_REQUEST, tid) == NULL ||
	    mxp_mp_msg_add_action(msg, n->ctx) == NULL)
		return -ENOSPC;
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(msg, MXP_MP_CMD_NOTIFY, NULL);
	if (c == NULL)
		return -ENOSPC;
	c->term_kind = strcmp(n->term, "ROOT") == 0 ? MXP_MP_TERM_ROOT : MXP_MP_TERM_NAME;
	c->term = mxp_mp_str_c(n->term);
	c->has_events = true;
	c->events_rid = n->rid;
	return mxp_mp_msg_add_prop(msg, &c->events, n->event, 0, n->params) ? 0 : -ENOSPC;
}
