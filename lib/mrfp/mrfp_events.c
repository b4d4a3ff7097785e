/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events the MRFC asked for (Events descriptor of Add or Modify), detected by polling the
 * legs every [mp] event_poll_ms on the control core and reported with Notify:
 *
 *   mxp/authfail {count=N}                  SRTP authentication failures passed the leg's
 *                                           threshold (mxp/afthresh, [mp] authfail_threshold)
 *                                           again since the last report
 *   mxp/ssrc {new=S}                        the participant's SSRC was learned
 *   mxp/ssrc {old=S, new=T, dropped=N}      packets under another SSRC (T: the last one's)
 *                                           arrive: the participant changed it; they are
 *                                           dropped (before their SRTP tag is checked)
 *   mxp/keylimit {dir=in|out, mki=M, used=U, limit=L, state=soft|exhausted}
 *                                           a master key passed [mp] keylimit_percent of its
 *                                           limit (lifetime, 2^48) or reached it: rekey
 *   mxp/dtmf {digit="D"}, dd/std {tid=dN}   an RFC 4733 digit started (every mode)
 *   dd/ce {ds="DIGITS", Meth=UM|PM|FM}      digits collected with a digit map completed
 *                                           (H.248.1 E.6.2; timers on the control core's
 *                                           clock, checked at every poll)
 *   g/sc {SigID=S, Meth=TO|EV|SD|NC[, SLID=L][, RID=R]}
 *                                           a signal ended (mrfp_signals.c)
 *
 * Each condition is reported once (authfail: once per threshold), whatever the poll rate.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_hash.h>

#include "mrfp_priv.h"

static void dm_sweep(struct mxp_mrfp *m);
static void dm_digit(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, char c, uint64_t now);
static void dm_timer(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, uint64_t now);

static struct mxp_mrfp_keynote *
note_of(struct mxp_mrfp_leg *l, uint8_t dir, const struct mxp_leg_key_usage *u)
{
	for (uint8_t i = 0; i < l->nnotes; i++)
		if (l->notes[i].dir == dir && l->notes[i].mki_len == u->mki_len &&
		    memcmp(l->notes[i].mki, u->mki, u->mki_len) == 0)
			return &l->notes[i];
	if (l->nnotes == RTE_DIM(l->notes))
		return NULL;
	struct mxp_mrfp_keynote *n = &l->notes[l->nnotes++];
	memset(n, 0, sizeof(*n));
	n->dir = dir;
	n->mki_len = u->mki_len;
	memcpy(n->mki, u->mki, u->mki_len);
	return n;
}

static void
key_check(struct mxp_mrfp *m, struct mxp_mrfp_leg *l, uint8_t dir,
	  const struct mxp_leg_key_usage *u)
{
	/* The limit that is nearest: SRTP packets, or SRTCP packets. */
	uint64_t used = u->srtp_used, limit = u->srtp_limit;
	if (u->srtcp_limit && u->srtcp_used * (double)u->srtp_limit >
				      u->srtp_used * (double)u->srtcp_limit) {
		used = u->srtcp_used;
		limit = u->srtcp_limit;
	}
	if (limit == 0 || used == 0)
		return;
	uint8_t state = used >= limit ? 2 :
			used * 100.0 >= (double)limit * m->cfg.keylimit_percent ? 1 : 0;
	struct mxp_mrfp_keynote *n = state ? note_of(l, dir, u) : NULL;
	if (n == NULL || n->state >= state)
		return;
	n->state = state;
	uint64_t mki;
	mxp_srtp_mki_value(u->mki, u->mki_len, &mki);
	char prm[160];
	snprintf(prm, sizeof(prm), "dir=%s,mki=%" PRIu64 ",used=%" PRIu64 ",limit=%" PRIu64
		 ",state=%s", dir ? "out" : "in", mki, used, limit,
		 state == 2 ? "exhausted" : "soft");
	mrfp_notify(m, l, MXP_MP_EV_KEYLIMIT, prm);
}

/*
 * RFC 4733 events the leg logged since the last report (every mode: lib/conf's mixer, or its
 * switch and forward rx path), oldest first, one Notify each: up to MXP_LEG_DTMF_LOG per
 * poll (more in one poll interval are counted, not named). mxp/dtmf names the digit
 * (digit="5", event=N for other events and 255 for a forward leg's encrypted one); dd/std
 * (H.248.1 E.6) its tone id (tid=d0..d9, ds *, do #, da..dd), digits only. A digit stops
 * the leg's signal unless it is KeepActive (H.248.1 7.1.11).
 */
static void
dtmf_check(struct mxp_mrfp *m, struct mxp_mrfp_leg *l, const struct mxp_leg_stats *st,
	   uint64_t now)
{
	static const char *const tid[16] = { "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7",
					     "d8", "d9", "ds", "do", "da", "db", "dc", "dd" };
	uint64_t lg = st->dtmf_log;
	uint16_t n = (uint16_t)(mxp_leg_dtmf_count(lg) - l->dtmf_seen);
	if (n == 0)
		return;
	char prm[64];
	if (n > MXP_LEG_DTMF_LOG) {
		if (l->ev & MXP_MRFP_EV_CE)
			m->cnt.dd_lost += n - MXP_LEG_DTMF_LOG; /* the collection misses them */
		if (l->ev & MXP_MRFP_EV_DTMF) {
			snprintf(prm, sizeof(prm), "missed=%u", n - MXP_LEG_DTMF_LOG);
			mrfp_notify(m, l, MXP_MP_EV_DTMF, prm);
		}
		n = MXP_LEG_DTMF_LOG;
	}
	bool digit = false;
	for (unsigned int k = n; k-- > 0;) {
		uint8_t ev = mxp_leg_dtmf_event(lg, k);
		char c = mxp_leg_dtmf_char(ev);
		digit |= c != 0;
		if (l->ev & MXP_MRFP_EV_DTMF) {
			if (c)
				snprintf(prm, sizeof(prm), "digit=\"%c\"", c); /* # is no SafeChar */
			else
				snprintf(prm, sizeof(prm), "event=%u", ev);
			mrfp_notify(m, l, MXP_MP_EV_DTMF, prm);
		}
		if ((l->ev & MXP_MRFP_EV_DD) && c) {
			snprintf(prm, sizeof(prm), "tid=%s", tid[ev]);
			mrfp_notify(m, l, "dd/std", prm);
		}
		if ((l->ev & MXP_MRFP_EV_CE) && c)
			dm_digit(m, l, c, now);
	}
	l->dtmf_seen = mxp_leg_dtmf_count(lg);
	if (digit)
		mrfp_signals_event(m, l->ctx, l->leg);
}

/* Returns false when the leg is gone (removed by the CLI or with its conference). */
static bool
poll_leg(struct mxp_mrfp *m, struct mxp_mrfp_leg *l, uint64_t now)
{
	struct mxp_leg_info li;
	if (mxp_conf_leg_get(m->conf, l->leg, &li) != 0)
		return false;
	char prm[96];
	if ((l->ev & MXP_MRFP_EV_AUTHFAIL) && l->afthresh &&
	    li.st.auth_failures >= l->af_notified + l->afthresh) {
		l->af_notified = li.st.auth_failures;
		snprintf(prm, sizeof(prm), "count=%" PRIu64, li.st.auth_failures);
		mrfp_notify(m, l, MXP_MP_EV_AUTHFAIL, prm);
	}
	if (l->ev & (MXP_MRFP_EV_DTMF | MXP_MRFP_EV_DD | MXP_MRFP_EV_CE))
		dtmf_check(m, l, &li.st, now);
	if (l->ev & MXP_MRFP_EV_CE)
		dm_timer(m, l, now);
	if (!(l->ev & (MXP_MRFP_EV_SSRC | MXP_MRFP_EV_KEYLIMIT)) || li.plain)
		return true;
	struct mxp_leg_events ev;
	if (mxp_conf_leg_events(m->conf, l->leg, &ev) != 0)
		return true;
	if (l->ev & MXP_MRFP_EV_SSRC) {
		if (li.st.ssrc_known && !l->ssrc_notified) {
			l->ssrc_notified = true;
			snprintf(prm, sizeof(prm), "new=%" PRIu32, li.st.ssrc);
			mrfp_notify(m, l, MXP_MP_EV_SSRC, prm);
		}
		if (ev.ssrc_mismatch > l->mismatch_notified) {
			l->mismatch_notified = ev.ssrc_mismatch;
			snprintf(prm, sizeof(prm), "old=%" PRIu32 ",new=%" PRIu32 ",dropped=%" PRIu64,
				 li.st.ssrc, ev.ssrc_other, ev.ssrc_mismatch);
			mrfp_notify(m, l, MXP_MP_EV_SSRC, prm);
		}
	}
	if (l->ev & MXP_MRFP_EV_KEYLIMIT) {
		for (uint8_t i = 0; i < ev.n_in; i++)
			key_check(m, l, 0, &ev.in[i]);
		for (uint8_t i = 0; i < ev.n_out; i++)
			key_check(m, l, 1, &ev.out[i]);
	}
	return true;
}

void
mxp_mrfp_events_poll(struct mxp_mrfp *m, uint64_t now_ms)
{
	const void *key;
	void *data;
	uint32_t it = 0, gone[64], ngone = 0;
	/* the clock the digit map timers started on (the caller's may be another one) */
	(void)now_ms;
	uint64_t now = m->ops.now_ms(m->ops.arg);
	/* signals that ended first: their g/sc goes out before the legs' own events */
	if (m->nsq)
		mrfp_signals_poll(m);
	while (rte_hash_iterate(m->legs, &key, &data, &it) >= 0) {
		struct mxp_mrfp_leg *l = data;
		bool alive = l->ev ? poll_leg(m, l, now) : mxp_conf_leg_get(m->conf, l->leg,
								       &(struct mxp_leg_info){ 0 }) == 0;
		if (!alive && ngone < RTE_DIM(gone))
			gone[ngone++] = l->leg;
	}
	/* Legs removed behind the MRFP's back: forget them (not while iterating). */
	for (uint32_t i = 0; i < ngone; i++)
		mxp_mrfp_leg_forget(m, gone[i]);
	if (m->dm)
		dm_sweep(m);
}

/* ---- digit maps and dd/ce collections (H.248.1 7.1.14, E.6) ---------------------------------- */

#define MRFP_DM_NAMED_MAX 32           /* named digit maps the MRFP stores (519 beyond) */

struct mrfp_dmname {
	char name[MXP_MP_DM_NAME_MAX + 1];
	struct mxp_mp_digitmap map;
};

struct mrfp_dmcoll {
	uint32_t leg;
	struct mxp_mp_digitmap map;
	struct mxp_mp_dm_state st;
};

struct mrfp_dm {
	uint32_t nnamed;
	struct mrfp_dmname named[MRFP_DM_NAMED_MAX];
	struct mxp_mp_digitmap pending;     /* the map of the dd/ce being applied */
	struct mxp_mp_digitmap scratch;
	uint32_t ncoll, capcoll;
	struct mrfp_dmcoll *coll;
};

static struct mrfp_dm *
dm_get(struct mxp_mrfp *m)
{
	if (m->dm == NULL)
		m->dm = calloc(1, sizeof(*m->dm));
	return m->dm;
}

void
mrfp_dm_free(struct mxp_mrfp *m)
{
	if (m->dm == NULL)
		return;
	free(m->dm->coll);
	free(m->dm);
	m->dm = NULL;
}

static struct mrfp_dmname *
dm_named(struct mrfp_dm *d, struct mxp_mp_str name)
{
	for (uint32_t i = 0; d && i < d->nnamed; i++)
		if (mxp_mp_str_eq(name, d->named[i].name))
			return &d->named[i];
	return NULL;
}

/* The command's DigitMap descriptor named name (length 0: the unnamed one) with a value. */
static const struct mxp_mp_prop *
cmd_dm(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c, struct mxp_mp_str name)
{
	for (uint16_t i = 0; i < c->digitmaps.n; i++) {
		const struct mxp_mp_prop *p = &msg->props[c->digitmaps.first + i];
		if (p->op == '=' && p->name.len == name.len &&
		    (name.len == 0 || strncasecmp(p->name.p, name.p, name.len) == 0))
			return p;
	}
	return NULL;
}

int
mrfp_dm_check(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c,
	      struct mxp_mp_cmd *rc)
{
	struct mrfp_dm *d = dm_get(m);
	if (d == NULL) {
		mrfp_cmd_error(m, rc, MXP_MP_E_RESOURCES, "out of memory for digit maps");
		return -1;
	}
	uint32_t fresh = 0;
	for (uint16_t i = 0; i < c->digitmaps.n; i++) {
		const struct mxp_mp_prop *p = &msg->props[c->digitmaps.first + i];
		int nl = (int)p->name.len;
		if (p->op != '=') {
			/* "DigitMap = name": one the MRFP has (or this command defines) */
			if (dm_named(d, p->name) == NULL && cmd_dm(msg, c, p->name) == NULL) {
				mrfp_cmd_error(m, rc, MXP_MP_E_DM_UNDEF, "digit map %.*s is not defined",
					       nl, p->name.p);
				return -1;
			}
			continue;
		}
		struct mxp_mp_error e;
		if (mxp_mp_digitmap_compile(p->value, NULL, &d->scratch, &e) != 0) {
			mrfp_cmd_error(m, rc, e.code, "%s", e.text);
			return -1;
		}
		if (p->name.len && dm_named(d, p->name) == NULL)
			fresh++;
	}
	if (d->nnamed + fresh > MRFP_DM_NAMED_MAX) {
		mrfp_cmd_error(m, rc, MXP_MP_E_DM_SPACE, "the MRFP stores %d named digit maps",
			       MRFP_DM_NAMED_MAX);
		return -1;
	}
	return 0;
}

void
mrfp_dm_commit(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c)
{
	struct mrfp_dm *d = m->dm;
	for (uint16_t i = 0; d && i < c->digitmaps.n; i++) {
		const struct mxp_mp_prop *p = &msg->props[c->digitmaps.first + i];
		if (p->op != '=' || p->name.len == 0)
			continue; /* a reference, or the command's own unnamed map */
		struct mrfp_dmname *n = dm_named(d, p->name);
		if (n == NULL) {
			if (d->nnamed >= MRFP_DM_NAMED_MAX)
				continue; /* checked before */
			n = &d->named[d->nnamed++];
			snprintf(n->name, sizeof(n->name), "%.*s", (int)p->name.len, p->name.p);
		}
		struct mxp_mp_error e;
		if (mxp_mp_digitmap_compile(p->value, NULL, &n->map, &e) != 0)
			d->nnamed--; /* checked before: not reached */
	}
}

unsigned int
mrfp_dm_event(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c,
	      const struct mxp_mp_prop *ev, char *t, size_t tl)
{
	struct mrfp_dm *d = dm_get(m);
	struct mxp_mp_str name, value;
	struct mxp_mp_error e;
	if (d == NULL) {
		snprintf(t, tl, "out of memory for digit maps");
		return MXP_MP_E_RESOURCES;
	}
	if (mxp_mp_event_digitmap(ev->value, &name, &value, &e) != 0) {
		snprintf(t, tl, "dd/ce: %s", e.text);
		return e.code;
	}
	if (name.p == NULL && value.p == NULL) {
		/* the command's unnamed DigitMap descriptor */
		const struct mxp_mp_prop *p = cmd_dm(msg, c, (struct mxp_mp_str){ NULL, 0 });
		if (p == NULL) {
			snprintf(t, tl, "dd/ce needs a digit map: dd/ce { DigitMap = NAME } or "
				 "{ DigitMap = { ... } }");
			return MXP_MP_E_MISSING_PARM;
		}
		value = p->value;
	} else if (name.p) {
		const struct mxp_mp_prop *p = cmd_dm(msg, c, name);
		const struct mrfp_dmname *n = dm_named(d, name);
		if (p) {
			value = p->value; /* defined by this command */
		} else if (n) {
			d->pending = n->map;
			return 0;
		} else {
			snprintf(t, tl, "dd/ce: digit map %.*s is not defined", (int)name.len, name.p);
			return MXP_MP_E_DM_UNDEF;
		}
	}
	if (mxp_mp_digitmap_compile(value, NULL, &d->pending, &e) != 0) {
		snprintf(t, tl, "dd/ce: %s", e.text);
		return e.code;
	}
	return 0;
}

static struct mrfp_dmcoll *
coll_find(struct mrfp_dm *d, uint32_t leg)
{
	for (uint32_t i = 0; d && i < d->ncoll; i++)
		if (d->coll[i].leg == leg)
			return &d->coll[i];
	return NULL;
}

static void
coll_drop(struct mrfp_dm *d, struct mrfp_dmcoll *k)
{
	*k = d->coll[--d->ncoll];
}

void
mrfp_dm_collect(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, bool on)
{
	struct mrfp_dm *d = m->dm;
	struct mrfp_dmcoll *k = coll_find(d, l->leg);
	if (!on) {
		if (k)
			coll_drop(d, k); /* the new Events descriptor has no dd/ce */
		return;
	}
	if (k == NULL) {
		if (d->ncoll == d->capcoll) {
			uint32_t cap = d->capcoll ? d->capcoll * 2 : 8;
			struct mrfp_dmcoll *n = realloc(d->coll, cap * sizeof(*n));
			if (n == NULL) {
				m->cnt.dd_lost++; /* no collection: no dd/ce */
				return;
			}
			d->coll = n;
			d->capcoll = cap;
		}
		k = &d->coll[d->ncoll++];
		k->leg = l->leg;
	}
	/* a new Events descriptor with dd/ce starts the collection again (H.248.1 7.1.14.5) */
	k->map = d->pending;
	mxp_mp_dm_start(&k->map, &k->st, m->ops.now_ms(m->ops.arg));
}

static void
dm_done(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, struct mrfp_dmcoll *k,
	enum mxp_mp_dm_result r)
{
	if (r == MXP_MP_DM_MORE)
		return;
	char prm[MXP_MP_DM_DIGITS_MAX + 32];
	snprintf(prm, sizeof(prm), "ds=\"%s\",Meth=%s", k->st.digits, mxp_mp_dm_method(r));
	mrfp_notify(m, l, "dd/ce", prm);
}

static void
dm_digit(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, char c, uint64_t now)
{
	struct mrfp_dmcoll *k = coll_find(m->dm, l->leg);
	if (k == NULL || k->st.done)
		return;
	/* RFC 4733 events carry no duration the MRFP measures: every digit is a short one */
	dm_done(m, l, k, mxp_mp_dm_event(&k->map, &k->st, mxp_mp_dm_letter(c), false, now));
}

static void
dm_timer(struct mxp_mrfp *m, const struct mxp_mrfp_leg *l, uint64_t now)
{
	struct mrfp_dmcoll *k = coll_find(m->dm, l->leg);
	if (k != NULL && !k->st.done)
		dm_done(m, l, k, mxp_mp_dm_timer(&k->map, &k->st, now));
}

void
mrfp_dm_audit(struct mxp_mrfp *m, struct mxp_mp_cmd *rc)
{
	struct mrfp_dm *d = m->dm;
	for (uint32_t i = 0; d && i < d->nnamed; i++) {
		char v[MXP_MP_DM_POS_MAX * 32 + 64];
		if (mxp_mp_digitmap_format(&d->named[i].map, v, sizeof(v)) < 0)
			continue;
		mxp_mp_msg_add_prop(m->rep, &rc->digitmaps, mrfp_arena_printf(m, "%s", d->named[i].name),
				    '=', mrfp_arena_printf(m, "%s", v));
	}
}

/* Collections of legs the MRFP no longer has (Subtract, the CLI) go. */
static void
dm_sweep(struct mxp_mrfp *m)
{
	struct mrfp_dm *d = m->dm;
	for (uint32_t i = 0; i < d->ncoll;) {
		if (mrfp_leg_get(m, d->coll[i].leg) == NULL)
			coll_drop(d, &d->coll[i]);
		else
			i++;
	}
}
