/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Conferences (control core): create on the least loaded worker, destroy, floor and top-N;
 * and the worker's side of those commands.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_malloc.h>

#include "conf_priv.h"

static const char *const mode_names[] = { [MXP_CONF_SWITCH] = "switch",
					  [MXP_CONF_FORWARD] = "forward",
					  [MXP_CONF_MIX] = "mix" };
static const char *const sm_names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

static const char *const leg_drop_names[] = {
#define X(e, n, d) n,
	MXP_LEG_DROPS(X)
#undef X
};
static const char *const leg_drop_descs[] = {
#define X(e, n, d) d,
	MXP_LEG_DROPS(X)
#undef X
};

const char *
mxp_leg_drop_name(enum mxp_leg_drop d)
{
	return (unsigned int)d < MXP_LEG_DROP_COUNT ? leg_drop_names[d] : "?";
}

const char *
mxp_leg_drop_desc(enum mxp_leg_drop d)
{
	return (unsigned int)d < MXP_LEG_DROP_COUNT ? leg_drop_descs[d] : "?";
}

const char *
mxp_conf_mode_name(enum mxp_conf_mode m)
{
	return (m >= MXP_CONF_SWITCH && m <= MXP_CONF_MIX) ? mode_names[m] : "?";
}

int
mxp_conf_mode_parse(const char *s, enum mxp_conf_mode *m)
{
	for (int i = MXP_CONF_SWITCH; i <= MXP_CONF_MIX; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum mxp_conf_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *
mxp_stream_mode_name(enum mxp_stream_mode m)
{
	return (unsigned int)m <= MXP_SM_INACTIVE ? sm_names[m] : "?";
}

int
mxp_stream_mode_parse(const char *s, enum mxp_stream_mode *m)
{
	for (int i = 0; i <= MXP_SM_INACTIVE; i++)
		if (strcmp(s, sm_names[i]) == 0) {
			*m = (enum mxp_stream_mode)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- worker side -------------------------------------------------------------------------------- */

void
conf_cmd_conf_add(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.cf;
	TAILQ_INSERT_TAIL(&w->confs, cf, next);
	w->nconfs++;
	if (cf->mixer != NULL)
		conf_mix_heap_add(w, cf);
}

void
conf_cmd_conf_del(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.cf;
	TAILQ_REMOVE(&w->confs, cf, next);
	w->nconfs--;
	if (cf->heap_idx != UINT32_MAX)
		conf_mix_heap_del(w, cf);
}

void
conf_cmd_topn(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.topn.cf;
	cf->topn = c->u.topn.topn;
	struct mxp_leg *l;
	if (cf->topn == 0) {
		TAILQ_FOREACH(l, &cf->legs, in_conf)
			l->state |= LEG_IN_TOPN;
	} else {
		conf_topn_update(cf, rte_rdtsc()); /* now, not at the next tick: no gap */
	}
	(void)w;
}

void
conf_cmd_floor(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.floor.cf;
	cf->floor = c->u.floor.leg;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cf->legs, in_conf)
		if (cf->mode == MXP_CONF_MIX) /* who is mixed in follows the floor */
			mxp_media_leg_set_mute(l->ml, (l->flags & LEG_MUTED) ||
							      (cf->floor && cf->floor != l));
	(void)w;
}

/* ---- control side ------------------------------------------------------------------------------ */

static void
conf_free(struct mxp_conf_sys *sys, struct mxp_conf *cf)
{
	conf_mix_conf_free(sys, cf);
	conf_pool_put(&sys->conf_pool, cf);
}

/*
 * The least loaded worker other than skip among those that answer commands; when none
 * answers, the least loaded of all (it may have recovered: the command will tell), or
 * UINT16_MAX when skip is set and no other worker answers.
 */
static uint16_t
conf_pick_worker(const struct mxp_conf_sys *sys, uint16_t skip)
{
	uint16_t best = UINT16_MAX, any = UINT16_MAX;
	for (uint16_t i = 0; i < sys->p.nb_workers; i++) {
		if (i == skip)
			continue;
		const struct mxp_conf_worker *w = sys->w[i];
		if (any == UINT16_MAX || w->nconfs < sys->w[any]->nconfs)
			any = i;
		if (!__atomic_load_n(&w->unresponsive, __ATOMIC_ACQUIRE) &&
		    (best == UINT16_MAX || w->nconfs < sys->w[best]->nconfs))
			best = i;
	}
	if (best != UINT16_MAX || skip != UINT16_MAX)
		return best;
	return any;
}

/* The conference to its worker: 0, or the error of a command that never ran. */
static int
conf_add_post(struct mxp_conf_sys *sys, struct mxp_conf *cf, uint16_t worker)
{
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_CONF_ADD);
	if (c == NULL)
		return -ENOMEM;
	c->u.cf = cf;
	int r = conf_post(sys, worker, c);
	conf_cmd_put(c);
	return r;
}

/* Nothing ran: no worker saw the conference. Undo the control core's side. */
static int __rte_format_printf(7, 8)
conf_add_undo(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_conf_ctl *cc, int r,
	      char *err, size_t errlen, const char *fmt, ...)
{
	rte_hash_del_key(sys->confs, &cf->id);
	conf_free(sys, cf);
	rte_free(cc);
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

int
mxp_conf_create(struct mxp_conf_sys *sys, const struct mxp_conf_params *p, uint32_t *id,
		char *err, size_t errlen)
{
	if (p->mode != MXP_CONF_SWITCH && p->mode != MXP_CONF_FORWARD && p->mode != MXP_CONF_MIX)
		return conf_errf(err, errlen, -EINVAL, "unknown conference mode %d", p->mode);
	if (p->replay_window && (p->replay_window < MXP_SRTP_REPLAY_WINDOW_MIN ||
				 p->replay_window > MXP_SRTP_REPLAY_WINDOW_MAX))
		return conf_errf(err, errlen, -EINVAL, "replay window must be %d..%d",
				 MXP_SRTP_REPLAY_WINDOW_MIN, MXP_SRTP_REPLAY_WINDOW_MAX);
	if (p->topn && p->mode == MXP_CONF_FORWARD)
		return conf_errf(err, errlen, -EINVAL, "topn applies to switch and mix conferences");
	if (p->mode == MXP_CONF_MIX && p->topn > MXP_MEDIA_MAX_TALKERS)
		return conf_errf(err, errlen, -EINVAL, "mix: topn (talkers mixed) is at most %d",
				 MXP_MEDIA_MAX_TALKERS);

	/* The least loaded worker owns the new conference, one that answers commands first. */
	uint16_t best = conf_pick_worker(sys, UINT16_MAX);
	struct mxp_conf *cf = conf_pool_get(&sys->conf_pool);
	struct mxp_conf_ctl *cc = rte_zmalloc("mxp_conf_ctl", sizeof(*cc), 0);
	if (cf == NULL || cc == NULL) {
		conf_pool_put(&sys->conf_pool, cf);
		rte_free(cc);
		return conf_errf(err, errlen, -ENOMEM, "out of memory");
	}
	cf->id = sys->next_conf_id++;
	cf->worker = best;
	cf->heap_idx = UINT32_MAX;
	cf->mode = (uint8_t)p->mode;
	cf->topn = p->topn;
	cf->replay_window = p->replay_window;
	cf->created_ms = mxp_clock_ms();
	TAILQ_INIT(&cf->legs);
	TAILQ_INIT(&cf->kgs);
	snprintf(cf->name, sizeof(cf->name), "%s", p->name);
	cf->ptime = p->ptime ? p->ptime : 20;
	cf->max_legs = p->max_legs ? p->max_legs : 1024;
	memset(cf->shared_cmr, -1, sizeof(cf->shared_cmr)); /* no mode asked for yet */
	if (cf->mode == MXP_CONF_MIX) {
		int r = conf_mix_conf_init(sys, cf, err, errlen);
		if (r) {
			conf_free(sys, cf);
			rte_free(cc);
			return r;
		}
	}
	cc->conf = cf;
	cc->worker = best;
	if (rte_hash_add_key_data(sys->confs, &cf->id, cc) < 0) {
		conf_free(sys, cf);
		rte_free(cc);
		return conf_errf(err, errlen, -ENOSPC, "the conference table is full (%u conferences)",
				 (unsigned int)rte_hash_count(sys->confs));
	}
	int r = conf_add_post(sys, cf, best);
	if (r == -ETIMEDOUT) {
		/* That worker stalled (it is now marked): another that answers takes it. */
		uint16_t next = conf_pick_worker(sys, best);
		if (next != UINT16_MAX) {
			uint16_t first = best;
			best = next;
			cf->worker = cc->worker = best;
			r = conf_add_post(sys, cf, best);
			if (r)
				return conf_add_undo(sys, cf, cc, r, err, errlen,
						     "workers %u and %u did not take the conference",
						     first, best);
		}
	}
	if (r)
		return conf_add_undo(sys, cf, cc, r, err, errlen,
				     "worker %u did not take the conference", best);
	*id = cf->id;
	return 0;
}

int
mxp_conf_set_floor(struct mxp_conf_sys *sys, uint32_t id, uint32_t leg_id, char *err,
		   size_t errlen)
{
	struct mxp_conf_ctl *cc = conf_find(sys, id);
	if (cc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no conference %u", id);
	struct mxp_leg *l = NULL;
	if (leg_id) {
		struct mxp_leg_ctl *lc = conf_find_leg(sys, leg_id);
		if (lc == NULL)
			return conf_errf(err, errlen, -ENOENT, "no leg %u", leg_id);
		if (lc->conf != cc)
			return conf_errf(err, errlen, -EINVAL, "leg %u is not in conference %u",
					 leg_id, id);
		l = lc->leg;
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_FLOOR);
	if (c == NULL)
		return conf_errf(err, errlen, -ENOMEM, "out of memory");
	c->u.floor.cf = cc->conf;
	c->u.floor.leg = l;
	int r = conf_post(sys, cc->worker, c);
	conf_cmd_put(c);
	return r ? conf_errf(err, errlen, r, "worker %u did not answer", cc->worker) : 0;
}

int
mxp_conf_set_topn(struct mxp_conf_sys *sys, uint32_t id, uint16_t topn, char *err, size_t errlen)
{
	struct mxp_conf_ctl *cc = conf_find(sys, id);
	if (cc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no conference %u", id);
	if (cc->conf->mode != MXP_CONF_SWITCH) {
		if (topn)
			return conf_errf(err, errlen, -EINVAL,
					 "topn applies to switch conferences only");
		return 0; /* nothing to change: a mix conference's talkers are set at creation */
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_TOPN);
	if (c == NULL)
		return conf_errf(err, errlen, -ENOMEM, "out of memory");
	c->u.topn.cf = cc->conf;
	c->u.topn.topn = topn;
	int r = conf_post(sys, cc->worker, c);
	conf_cmd_put(c);
	return r ? conf_errf(err, errlen, r, "worker %u did not answer", cc->worker) : 0;
}

int
mxp_conf_destroy(struct mxp_conf_sys *sys, uint32_t id, char *err, size_t errlen)
{
	struct mxp_conf_ctl *cc = conf_find(sys, id);
	if (cc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no conference %u", id);
	struct mxp_leg *l;
	while ((l = TAILQ_FIRST(&cc->conf->legs)) != NULL) {
		int r = mxp_conf_leg_remove(sys, l->id, NULL, err, errlen);
		if (r)
			return r;
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_CONF_DEL);
	int r = c ? 0 : -ENOMEM;
	if (c) {
		c->u.cf = cc->conf;
		r = conf_post(sys, cc->worker, c);
		conf_cmd_put(c);
	}
	if (r)
		return conf_errf(err, errlen, r, "worker %u did not answer", cc->worker);
	rte_hash_del_key(sys->confs, &id);
	conf_rcu_sync(sys);
	if (cc->conf->mixer) { /* its worker is done with it: the ticks are final */
		struct mxp_media_mixer_stats ms;
		mxp_media_mixer_stats_get(cc->conf->mixer, &ms);
		sys->mix_ticks_gone[cc->worker] += ms.ticks;
		sys->mix_late_gone[cc->worker] += ms.late_ticks;
	}
	conf_free(sys, cc->conf);
	rte_free(cc);
	return 0;
}
