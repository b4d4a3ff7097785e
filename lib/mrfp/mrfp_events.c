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
 *   g/sc {SigID=S, Meth=TO|EV|SD|NC[, SLID=L][, RID=R]}
 *                                           a signal ended (mrfp_signals.c)
 *
 * Each condition is reported once (authfail: once per threshold), whatever the poll rate.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_hash.h>

#include "mrfp_priv.h"

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
dtmf_check(struct mxp_mrfp *m, struct mxp_mrfp_leg *l, const struct mxp_leg_stats *st)
{
	static const char *const tid[16] = { "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7",
					     "d8", "d9", "ds", "do", "da", "db", "dc", "dd" };
	uint64_t lg = st->dtmf_log;
	uint16_t n = (uint16_t)(mxp_leg_dtmf_count(lg) - l->dtmf_seen);
	if (n == 0)
		return;
	char prm[64];
	if (n > MXP_LEG_DTMF_LOG) {
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
	}
	l->dtmf_seen = mxp_leg_dtmf_count(lg);
	if (digit)
		mrfp_signals_event(m, l->ctx, l->leg);
}

/* Returns false when the leg is gone (removed by the CLI or with its conference). */
static bool
poll_leg(struct mxp_mrfp *m, struct mxp_mrfp_leg *l)
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
	if (l->ev & (MXP_MRFP_EV_DTMF | MXP_MRFP_EV_DD))
		dtmf_check(m, l, &li.st);
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
	(void)now_ms;
	/* signals that ended first: their g/sc goes out before the legs' own events */
	if (m->nsq)
		mrfp_signals_poll(m);
	while (rte_hash_iterate(m->legs, &key, &data, &it) >= 0) {
		struct mxp_mrfp_leg *l = data;
		bool alive = l->ev ? poll_leg(m, l) : mxp_conf_leg_get(m->conf, l->leg,
								       &(struct mxp_leg_info){ 0 }) == 0;
		if (!alive && ngone < RTE_DIM(gone))
			gone[ngone++] = l->leg;
	}
	/* Legs removed behind the MRFP's back: forget them (not while iterating). */
	for (uint32_t i = 0; i < ngone; i++)
		mxp_mrfp_leg_forget(m, gone[i]);
}
