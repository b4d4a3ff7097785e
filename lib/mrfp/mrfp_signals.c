/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The 3GPP Mp profile's packages (TS 29.333 5.14, doc/mp.md "Packages"): which the MRFP
 * supports (Packages descriptors of audits, events requested), and Signals descriptors
 * mapped onto lib/conf's signals:
 *
 *   Signals on leg/N (Add, Modify)      toward that participant (mxp_conf_leg_signal_start)
 *   Signals on Modify = * (a context)   into the conference: every participant hears it
 *                                       (mxp_conf_signal_start), H.248's "each termination"
 *                                       played once for all
 *
 * A descriptor holds one signal or one SignalList (played in order); a new descriptor
 * replaces what plays (KeepActive: the same signal playing goes on), an empty one stops it.
 * Completion (g/sc) is notified to the legs whose Events descriptor asked for g/sc, when the
 * signal's NotifyCompletion covers the way it ended (default: TimeOut).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_common.h>

#include "mrfp_priv.h"

/* ---- packages ------------------------------------------------------------------------------ */

enum pkg_state {
	PKG_YES = 1, /* supported */
	PKG_NO,      /* listed by TS 29.333 (optional) or a standard one we know: not supported */
};

static const struct {
	const char *name;
	uint8_t version;
	uint8_t state;
	const char *what;
} pkgs[] = {
	{ "g", 2, PKG_YES, "Generic (H.248.1 E.1)" },
	{ "root", 2, PKG_YES, "Base Root (H.248.1 E.2)" },
	{ "tonegen", 1, PKG_YES, "Tone Generator (H.248.1 E.3)" },
	{ "dg", 1, PKG_YES, "Basic DTMF Generator (H.248.1 E.5)" },
	{ "dd", 1, PKG_YES, "DTMF Detection (H.248.1 E.6)" },
	{ "cg", 1, PKG_YES, "Call Progress Tones Generator (H.248.1 E.7)" },
	{ "nt", 1, PKG_YES, "Network (H.248.1 E.11)" },
	{ "rtp", 1, PKG_YES, "RTP (H.248.1 E.12)" },
	{ "srvtn", 1, PKG_YES, "Basic Services Tones Generation (Q.1950)" },
	{ "an", 1, PKG_YES, "Generic Announcement (H.248.7)" },
	{ "aasb", 1, PKG_YES, "Advanced Audio Server Base (H.248.9): play only" },
	{ "ocp", 1, PKG_YES, "Overload Control (H.248.11): ocp/mg_overload on ROOT" },
	{ MXP_MP_PROFILE_MXP_NAME, 1, PKG_YES, "mixplane (doc/mp.md)" },
	/* optional in TS 29.333, or standard ones an MRFC may try: refused */
	{ "tonedet", 0, PKG_NO, "Tone Detection (H.248.1 E.4; dd is supported)" },
	{ "cd", 0, PKG_NO, "Call Progress Tones Detection (H.248.1 E.8)" },
	{ "xcg", 0, PKG_NO, "Expanded Call Progress Tones Generator (Q.1950)" },
	{ "xsrvtn", 0, PKG_NO, "Expanded Services Tones Generation (Q.1950)" },
	{ "aasdc", 0, PKG_NO, "AAS Digit Collection (H.248.9)" },
	{ "aasrec", 0, PKG_NO, "AAS Recording (H.248.9)" },
	{ "aassm", 0, PKG_NO, "AAS Segment Management (H.248.9)" },
	{ "ctyp", 0, PKG_NO, "Call Type Discrimination (H.248.2)" },
	{ "stimal", 0, PKG_NO, "Stimulus Analogue Lines (H.248.23)" },
	{ "threegup", 0, PKG_NO, "3G User Plane (TS 29.232)" },
};

/* The package of "pkg/item": its row, or -1 (unknown). */
static int
pkg_of(struct mxp_mp_str name, struct mxp_mp_str *item)
{
	const char *sl = memchr(name.p, '/', name.len);
	if (sl == NULL)
		return -1;
	struct mxp_mp_str pk = { name.p, (uint32_t)(sl - name.p) };
	if (item) {
		item->p = sl + 1;
		item->len = (uint32_t)(name.p + name.len - sl - 1);
	}
	for (unsigned int i = 0; i < RTE_DIM(pkgs); i++)
		if (mxp_mp_str_eq(pk, pkgs[i].name))
			return (int)i;
	return -1;
}

void
mrfp_packages_reply(struct mxp_mrfp *m, struct mxp_mp_cmd *rc)
{
	rc->has_packages = true;
	for (unsigned int i = 0; i < RTE_DIM(pkgs); i++)
		if (pkgs[i].state == PKG_YES)
			mxp_mp_msg_add_prop(m->rep, &rc->packages, pkgs[i].name, '-',
					    mrfp_arena_printf(m, "%u", pkgs[i].version));
}

unsigned int
mrfp_pkg_event(struct mxp_mp_str n, uint8_t *bit, char *t, size_t tl)
{
	int nl = (int)(n.len > 40 ? 40 : n.len);
	static const struct { const char *name; uint8_t bit; } evs[] = {
		{ MXP_MP_EV_AUTHFAIL, MXP_MRFP_EV_AUTHFAIL }, { MXP_MP_EV_KEYLIMIT, MXP_MRFP_EV_KEYLIMIT },
		{ MXP_MP_EV_SSRC, MXP_MRFP_EV_SSRC }, { MXP_MP_EV_DTMF, MXP_MRFP_EV_DTMF },
		{ "g/sc", MXP_MRFP_EV_SC }, { "g/cause", MXP_MRFP_EV_CAUSE },
		{ "dd/std", MXP_MRFP_EV_DD }, { "dd/ce", MXP_MRFP_EV_CE },
	};
	for (unsigned int i = 0; i < RTE_DIM(evs); i++)
		if (mxp_mp_str_eq(n, evs[i].name)) {
			*bit = evs[i].bit;
			return 0;
		}
	struct mxp_mp_str item;
	int k = pkg_of(n, &item);
	if (k < 0) {
		snprintf(t, tl, "event %.*s: unknown package", nl, n.p);
		return MXP_MP_E_UNKNOWN_PKG;
	}
	if (pkgs[k].state == PKG_NO) {
		snprintf(t, tl, "event %.*s: package %s, %s, is not supported", nl, n.p,
			 pkgs[k].name, pkgs[k].what);
		return MXP_MP_E_UNKNOWN_PKG;
	}
	snprintf(t, tl, "the MRFP cannot detect %.*s", nl, n.p);
	return MXP_MP_E_EVENT;
}

/* ---- signals: checking a descriptor ---------------------------------------------------------- */

/* Call progress and service tones the tone table has (lib/media/mxp_media_signal.h). */
static const char *const cg_tones[] = { "dt", "rt", "bt", "ct", "sit", "wt", "pt", "cw", "cr" };
static const char *const srvtn_tones[] = { "rdt", "conf", "ht", "mwt" };

static bool
in_list(struct mxp_mp_str item, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mxp_mp_str_eq(item, l[i]))
			return true;
	return false;
}

/* A tone "cg/rt" / "srvtn/conf" the table has: copied into out. */
static bool
tone_name(struct mxp_mp_str v, char *out, size_t ol)
{
	struct mxp_mp_str item;
	int k = pkg_of(v, &item);
	if (k < 0)
		return false;
	bool ok = (mxp_mp_str_eq((struct mxp_mp_str){ v.p, (uint32_t)(item.p - v.p - 1) }, "cg") &&
		   in_list(item, cg_tones, RTE_DIM(cg_tones))) ||
		  (mxp_mp_str_eq((struct mxp_mp_str){ v.p, (uint32_t)(item.p - v.p - 1) }, "srvtn") &&
		   in_list(item, srvtn_tones, RTE_DIM(srvtn_tones)));
	if (ok)
		snprintf(out, ol, "%.*s", (int)v.len, v.p);
	return ok;
}

/* A signal request checked and turned into what lib/conf plays; 0 or an H.248 code. */
static unsigned int
sig_req(const struct mxp_mp_signal *s, struct mrfp_sigreq *r, char *t, size_t tl)
{
	int nl = (int)(s->name.len > 40 ? 40 : s->name.len);
	struct mxp_mp_str item;
	memset(r, 0, sizeof(*r));
	int k = pkg_of(s->name, &item);
	if (k < 0) {
		snprintf(t, tl, "signal %.*s: unknown package", nl, s->name.p);
		return MXP_MP_E_UNKNOWN_PKG;
	}
	if (pkgs[k].state == PKG_NO) {
		snprintf(t, tl, "signal %.*s: package %s, %s, is not supported", nl, s->name.p,
			 pkgs[k].name, pkgs[k].what);
		return MXP_MP_E_UNKNOWN_PKG;
	}
	snprintf(r->sigid, sizeof(r->sigid), "%.*s", nl, s->name.p);
	r->notify = s->notify ? s->notify : MXP_MP_NC_TIMEOUT; /* H.248.1 7.1.11 default */
	r->keep = s->keep_active;
	r->in_list = s->in_list;
	r->list_id = s->list_id;
	r->has_rid = s->has_rid;
	r->rid = s->rid;
	r->s.duration_ms = s->has_duration ? s->duration_ms : 0;
	if (s->direction > 1) {
		snprintf(t, tl, "signal %.*s: only the external direction (toward the participant)",
			 nl, s->name.p);
		return MXP_MP_E_BAD_VALUE;
	}
	const char *pk = pkgs[k].name;
	uint8_t allowed = 0; /* parameters the signal takes: 1 an, 2 noc, 4 tl, 8 iter */
	if (strcmp(pk, "cg") == 0 || strcmp(pk, "srvtn") == 0) {
		if (!tone_name(s->name, r->s.name, sizeof(r->s.name)))
			goto unequipped;
		r->s.kind = MXP_SIGNAL_TONE;
	} else if (strcmp(pk, "tonegen") == 0) {
		if (!mxp_mp_str_eq(item, "pt"))
			goto unequipped;
		struct mxp_mp_str tlv = mxp_mp_signal_param(s, "tl");
		if (tlv.len >= 2 && tlv.p[0] == '[' && tlv.p[tlv.len - 1] == ']') {
			tlv.p++;
			tlv.len -= 2;
		}
		while (tlv.len && (tlv.p[0] == ' '))
			tlv.p++, tlv.len--;
		while (tlv.len && (tlv.p[tlv.len - 1] == ' '))
			tlv.len--;
		if (tlv.len == 0 || memchr(tlv.p, ',', tlv.len) != NULL ||
		    !tone_name(tlv, r->s.name, sizeof(r->s.name))) {
			snprintf(t, tl, "tonegen/pt: tl is one tone id of cg or srvtn (e.g. tl=cg/rt)");
			return MXP_MP_E_BAD_VALUE;
		}
		r->s.kind = MXP_SIGNAL_TONE;
		allowed = 4;
	} else if (strcmp(pk, "dg") == 0) {
		/* d0-d9, ds (*), do (#), da-dd */
		static const char ids[] = "0123456789*#ABCD";
		static const char *const names[] = { "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7",
						     "d8", "d9", "ds", "do", "da", "db", "dc", "dd" };
		unsigned int d;
		for (d = 0; d < 16 && !mxp_mp_str_eq(item, names[d]); d++)
			;
		if (d == 16)
			goto unequipped;
		r->s.kind = MXP_SIGNAL_DTMF;
		r->s.name[0] = ids[d];
	} else if (strcmp(pk, "an") == 0 || strcmp(pk, "aasb") == 0) {
		/* an/apf { an, noc }, aasb/play { an, iter }: the same announcement play;
		 * an/apv (variable announcements), other aasb signals: not supported */
		bool aasb = strcmp(pk, "aasb") == 0;
		if (!mxp_mp_str_eq(item, aasb ? "play" : "apf"))
			goto unequipped;
		struct mxp_mp_str an = mxp_mp_signal_param(s, "an");
		if (an.len >= 2 && an.p[0] == '"' && an.p[an.len - 1] == '"') {
			an.p++;
			an.len -= 2;
		}
		bool ok = an.p != NULL && an.len > 0 && an.len < sizeof(r->s.name) - 5 &&
			  an.p[0] != '.';
		for (uint32_t i = 0; ok && i < an.len; i++) {
			char c = an.p[i];
			ok = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
			     c == '_' || c == '-' || (c == '.' && an.p[i - 1] != '.');
		}
		if (!ok) {
			snprintf(t, tl, "%s: an (the announcement id, 1..58 of A-Za-z0-9_-.) "
				 "is required", r->sigid);
			return MXP_MP_E_BAD_VALUE;
		}
		/* an id without an extension names <id>.wav in the announcement directory */
		snprintf(r->s.name, sizeof(r->s.name), "%.*s%s", (int)an.len, an.p,
			 memchr(an.p, '.', an.len) ? "" : ".wav");
		r->s.kind = MXP_SIGNAL_ANNOUNCEMENT;
		struct mxp_mp_str noc = mxp_mp_signal_param(s, aasb ? "iter" : "noc");
		uint32_t x = 1;
		if (noc.len && (!mxp_mp_str_uint(noc, 65535, &x) || x == 0)) {
			snprintf(t, tl, "%s: %s (number of plays) is 1..65535", r->sigid,
				 aasb ? "iter" : "noc");
			return MXP_MP_E_BAD_VALUE;
		}
		r->s.repeat = (uint16_t)x;
		allowed = aasb ? (1 | 8) : (1 | 2);
	} else {
		goto unequipped; /* g, root, nt, rtp, dd, mxp: no signals */
	}
	for (uint8_t i = 0; i < s->nparams; i++) {
		struct mxp_mp_str pn = s->params[i].name;
		if (((allowed & 1) && mxp_mp_str_eq(pn, "an")) ||
		    ((allowed & 2) && mxp_mp_str_eq(pn, "noc")) ||
		    ((allowed & 4) && mxp_mp_str_eq(pn, "tl")) ||
		    ((allowed & 8) && mxp_mp_str_eq(pn, "iter")))
			continue;
		snprintf(t, tl, "signal %.*s: parameter %.*s not supported", nl, s->name.p,
			 (int)(pn.len > 20 ? 20 : pn.len), pn.p);
		return MXP_MP_E_UNKNOWN_PARM;
	}
	return 0;
unequipped:
	snprintf(t, tl, "the MRFP cannot generate %.*s", nl, s->name.p);
	return MXP_MP_E_SIGNAL;
}

static unsigned int
sig_code(int r)
{
	switch (r) {
	case -ENOTSUP: return MXP_MP_E_SIGNAL;
	case -ENOENT:
	case -EINVAL:
	case -EACCES: return MXP_MP_E_BAD_VALUE;
	case -ENODEV: return MXP_MP_E_SIGNAL;
	case -ETIMEDOUT:
	case -EBUSY: return MXP_MP_E_NOT_READY;
	default: return MXP_MP_E_RESOURCES;
	}
}

int
mrfp_signals_check(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, const char *base,
		   enum mxp_conf_mode mode, struct mrfp_sigplan *plan, struct mxp_mp_cmd *rc)
{
	struct mxp_mp_signals *sg = &m->sigs;
	struct mxp_mp_error e;
	memset(plan, 0, sizeof(*plan));
	plan->present = true;
	if (mxp_mp_signals_parse(c->signals, base, sg, &e) != 0) {
		mrfp_cmd_error(m, rc, e.code, "%s", e.text);
		return -1;
	}
	if (c->term_kind == MXP_MP_TERM_ROOT || c->type == MXP_MP_CMD_MOVE) {
		mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL, "Signals on leg/N (one participant) or "
			       "Modify = * (the conference), in Add and Modify");
		return -1;
	}
	uint32_t lists = 0, singles = 0, last_list = UINT32_MAX;
	for (uint8_t i = 0; i < sg->n; i++) {
		char t[MXP_MP_TEXT_MAX];
		unsigned int code = sig_req(&sg->sig[i], &plan->q[i], t, sizeof(t));
		if (code) {
			mrfp_cmd_error(m, rc, code, "%s", t);
			return -1;
		}
		if (!sg->sig[i].in_list)
			singles++;
		else if (sg->sig[i].list_id != last_list)
			lists++, last_list = sg->sig[i].list_id;
	}
	if (singles + lists > 1) {
		mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL, "one signal or one SignalList at a time "
			       "per termination (signals do not play simultaneously)");
		return -1;
	}
	plan->n = sg->n;
	if (sg->n && mode == MXP_CONF_FORWARD) {
		/* lib/conf plays signals in mix and switch conferences (conf_signal.c) */
		mrfp_cmd_error(m, rc, MXP_MP_E_SIGNAL, "signals cannot play in a forward "
			       "conference: the participants encrypt under their shared "
			       "conference key, which the MRFP holds only to authenticate what it "
			       "relays (it never encrypts there)");
		return -1;
	}
	/* what lib/conf would refuse (a missing announcement file...), before the command
	 * changes anything (H.248.1 8.2.2) */
	for (uint8_t i = 0; i < plan->n; i++) {
		char err[160] = "";
		int r = mxp_conf_signal_check(m->conf, &plan->q[i].s, err, sizeof(err));
		if (r != 0) {
			mrfp_cmd_error(m, rc, sig_code(r), "%s: %s", plan->q[i].sigid, err);
			return -1;
		}
	}
	return 0;
}

/* ---- signals: playing, interrupting, completing ------------------------------------------- */

static struct mrfp_sigq *
sq_find(struct mxp_mrfp *m, uint32_t ctx, uint32_t leg)
{
	for (uint32_t i = 0; i < m->nsq; i++)
		if (m->sq[i].ctx == ctx && m->sq[i].leg == leg)
			return &m->sq[i];
	return NULL;
}

static void
sq_drop(struct mxp_mrfp *m, struct mrfp_sigq *q)
{
	*q = m->sq[--m->nsq];
}

static struct mrfp_sigq *
sq_new(struct mxp_mrfp *m, uint32_t ctx, uint32_t leg)
{
	if (m->nsq == m->capsq) {
		uint32_t cap = m->capsq ? m->capsq * 2 : 16;
		struct mrfp_sigq *n = realloc(m->sq, cap * sizeof(*n));
		if (n == NULL)
			return NULL;
		m->sq = n;
		m->capsq = cap;
	}
	struct mrfp_sigq *q = &m->sq[m->nsq++];
	memset(q, 0, sizeof(*q));
	q->ctx = ctx;
	q->leg = leg;
	return q;
}

/* g/sc to the legs that asked for it: the leg's own, or every leg of the conference. */
static void
notify_sc(struct mxp_mrfp *m, const struct mrfp_sigq *q, const struct mrfp_sigreq *r,
	  const char *meth)
{
	char prm[128];
	int n = snprintf(prm, sizeof(prm), "SigID=%s,Meth=%s", r->sigid, meth);
	if (r->in_list)
		n += snprintf(prm + n, sizeof(prm) - (size_t)n, ",SLID=%" PRIu32, r->list_id);
	if (r->has_rid)
		snprintf(prm + n, sizeof(prm) - (size_t)n, ",RID=%" PRIu32, r->rid);
	if (q->leg) {
		const struct mxp_mrfp_leg *l = mxp_mrfp_leg_find(m, q->leg);
		if (l && (l->ev & MXP_MRFP_EV_SC))
			mrfp_notify(m, l, "g/sc", prm);
		return;
	}
	uint32_t ids[256];
	int nl = mxp_conf_legs(m->conf, q->ctx, ids, RTE_DIM(ids));
	for (int i = 0; i < nl && i < (int)RTE_DIM(ids); i++) {
		const struct mxp_mrfp_leg *l = mxp_mrfp_leg_find(m, ids[i]);
		if (l && (l->ev & MXP_MRFP_EV_SC))
			mrfp_notify(m, l, "g/sc", prm);
	}
}

/* Start q->q[q->cur]; 0 or a negative errno with err filled. */
static int
sq_start(struct mxp_mrfp *m, struct mrfp_sigq *q, char *err, size_t errlen)
{
	struct mrfp_sigreq *r = &q->q[q->cur];
	r->s.tag = q->tag = ++m->sig_seq ? m->sig_seq : ++m->sig_seq;
	return q->leg ? mxp_conf_leg_signal_start(m->conf, q->leg, &r->s, err, errlen) :
			mxp_conf_signal_start(m->conf, q->ctx, &r->s, err, errlen);
}

void
mrfp_signals_apply(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, uint32_t ctx,
		   const struct mrfp_sigplan *plan, struct mxp_mp_cmd *rc)
{
	uint32_t leg = 0;
	if (c->term_kind != MXP_MP_TERM_ALL) {
		/* the leg the command named or created: the reply's "leg/N" */
		if (rc->term.len < 5 || strncasecmp(rc->term.p, "leg/", 4) != 0)
			return;
		leg = (uint32_t)strtoul(rc->term.p + 4, NULL, 10);
	}
	char err[160] = "";
	struct mrfp_sigq *q = sq_find(m, ctx, leg);
	if (q && q->tag) {
		const struct mrfp_sigreq *cur = &q->q[q->cur];
		/* KeepActive: the same signal, still playing, goes on (H.248.1 7.1.11) */
		if (plan->n >= 1 && plan->q[0].keep && strcmp(plan->q[0].sigid, cur->sigid) == 0 &&
		    strcmp(plan->q[0].s.name, cur->s.name) == 0) {
			uint32_t tag = q->tag;
			q->n = plan->n;
			q->cur = 0;
			memcpy(q->q, plan->q, sizeof(q->q));
			q->q[0].s.tag = tag;
			return;
		}
		if (plan->n == 0) {
			/* stopped by the empty descriptor */
			if (cur->notify & MXP_MP_NC_INTBYSIGS)
				notify_sc(m, q, cur, "SD");
			q->tag = 0; /* its end, reported later, is no longer ours */
			if (leg)
				mxp_conf_leg_signal_stop(m->conf, leg, err, sizeof(err));
			else
				mxp_conf_signal_stop(m->conf, ctx, err, sizeof(err));
		}
	}
	if (plan->n == 0) {
		if (q)
			sq_drop(m, q);
		return;
	}
	/* the new signal starts first: if it cannot, what plays goes on untouched */
	bool made = q == NULL;
	if (made && (q = sq_new(m, ctx, leg)) == NULL)
		return mrfp_cmd_error(m, rc, MXP_MP_E_RESOURCES, "out of memory for signals");
	struct mrfp_sigq nq = { .ctx = ctx, .leg = leg, .n = plan->n };
	memcpy(nq.q, plan->q, sizeof(nq.q));
	int r = sq_start(m, &nq, err, sizeof(err));
	if (r) {
		if (made)
			sq_drop(m, q);
		mrfp_cmd_error(m, rc, sig_code(r), "%s: %s", plan->q[0].sigid, err);
		return;
	}
	/* the one playing was interrupted by the new descriptor; its end, reported later,
	 * is no longer ours */
	if (q->tag && (q->q[q->cur].notify & MXP_MP_NC_INTBYSIGS))
		notify_sc(m, q, &q->q[q->cur], "SD");
	*q = nq;
}

void
mrfp_signals_poll(struct mxp_mrfp *m)
{
	struct mxp_signal_done d[32];
	unsigned int n;
	while ((n = mxp_conf_signal_done_poll(m->conf, d, RTE_DIM(d))) > 0) {
		for (unsigned int i = 0; i < n; i++) {
			struct mrfp_sigq *q = sq_find(m, d[i].conf, d[i].leg);
			if (q == NULL || q->tag != d[i].tag)
				continue; /* replaced or stopped by a descriptor: handled then */
			struct mrfp_sigreq *cur = &q->q[q->cur];
			if (d[i].cause == MXP_SIGNAL_COMPLETED) {
				if (cur->notify & MXP_MP_NC_TIMEOUT)
					notify_sc(m, q, cur, "TO");
				char err[160];
				/* a list goes on with its next signal */
				if (q->cur + 1 < q->n) {
					q->cur++;
					if (sq_start(m, q, err, sizeof(err)) == 0)
						continue;
					if (q->q[q->cur].notify & MXP_MP_NC_OTHER)
						notify_sc(m, q, &q->q[q->cur], "NC");
				}
			} else if (cur->notify & MXP_MP_NC_OTHER) {
				notify_sc(m, q, cur, "NC");
			}
			sq_drop(m, q);
		}
		if (n < RTE_DIM(d))
			break;
	}
}

void
mrfp_signals_event(struct mxp_mrfp *m, uint32_t ctx, uint32_t leg)
{
	struct mrfp_sigq *q = sq_find(m, ctx, leg);
	if (q == NULL || q->tag == 0 || q->q[q->cur].keep)
		return;
	/* H.248.1 7.1.11: a detected event stops the signals unless KeepActive */
	struct mrfp_sigreq *cur = &q->q[q->cur];
	if (cur->notify & MXP_MP_NC_INTBYEVENT)
		notify_sc(m, q, cur, "EV");
	q->tag = 0;
	mxp_conf_leg_signal_stop(m->conf, leg, NULL, 0);
	sq_drop(m, q);
}

const char *
mrfp_signals_playing(const struct mxp_mrfp *m, uint32_t ctx, uint32_t leg)
{
	for (uint32_t i = 0; i < m->nsq; i++)
		if (m->sq[i].ctx == ctx && m->sq[i].leg == leg && m->sq[i].tag)
			return m->sq[i].q[m->sq[i].cur].sigid;
	return NULL;
}
