/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mp commands applied to the conferences (control core): Add, Modify, Subtract and
 * AuditValue mapped onto lib/conf's control API (the one the lab CLI uses). Each command is
 * validated completely before anything changes, and fails as a whole.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mp_priv.h"
#include "mxp_srtp_sdes.h"

/* ---- mapping helpers ---------------------------------------------------------------------- */

static bool
term_leg(const struct mxp_mp_cmd *c, uint32_t *leg)
{
	if (c->term_kind != MXP_MP_TERM_NAME || c->term.len < 5 || c->term.len > 14 ||
	    strncasecmp(c->term.p, "leg/", 4) != 0)
		return false;
	uint32_t v = 0;
	for (uint32_t i = 4; i < c->term.len; i++) {
		if (c->term.p[i] < '0' || c->term.p[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(c->term.p[i] - '0');
	}
	*leg = v;
	return v != 0;
}

/* H.248 modes are the MG's view; lib/conf's are the participant's. */
static int
mode_from_mp(enum mxp_mp_mode m, enum mxp_stream_mode *out)
{
	switch (m) {
	case MXP_MP_MODE_SENDRECV: *out = MXP_SM_SENDRECV; return 0;
	case MXP_MP_MODE_SENDONLY: *out = MXP_SM_RECVONLY; return 0;  /* MG only sends */
	case MXP_MP_MODE_RECVONLY: *out = MXP_SM_SENDONLY; return 0;  /* MG only receives */
	case MXP_MP_MODE_INACTIVE: *out = MXP_SM_INACTIVE; return 0;
	default: return -ENOTSUP;
	}
}

static enum mxp_mp_mode
mode_to_mp(enum mxp_stream_mode m)
{
	switch (m) {
	case MXP_SM_RECVONLY: return MXP_MP_MODE_SENDONLY;
	case MXP_SM_SENDONLY: return MXP_MP_MODE_RECVONLY;
	case MXP_SM_INACTIVE: return MXP_MP_MODE_INACTIVE;
	default: return MXP_MP_MODE_SENDRECV;
	}
}

/* Parse the a=crypto lines of an SDP into a key set; 0, or an H.248 code with text. */
static unsigned int
sdp_keys(const struct mxp_sdp *sd, struct mxp_conf_keys *ks, bool outbound, char *t, size_t tl)
{
	memset(ks, 0, sizeof(*ks));
	for (unsigned int i = 0; i < sd->ncrypto; i++) {
		struct mxp_sdes_crypto c;
		char e[160];
		int r = mxp_sdes_parse(sd->crypto[i].p, sd->crypto[i].len, &c, e, sizeof(e));
		if (r == 0)
			r = mxp_conf_keys_add_sdes(ks, &c, outbound, e, sizeof(e));
		mxp_sdes_wipe(&c);
		if (r) {
			snprintf(t, tl, "%s a=crypto %u: %.120s", outbound ? "Local" : "Remote", i + 1, e);
			explicit_bzero(ks, sizeof(*ks));
			return MXP_MP_E_BAD_VALUE;
		}
	}
	return 0;
}

static struct mp_leg *
mpleg_find(uint32_t leg)
{
	for (uint32_t i = 0; i < mp.nlegs; i++)
		if (mp.legs[i].leg == leg)
			return &mp.legs[i];
	return NULL;
}

static void
mpleg_forget(uint32_t leg)
{
	for (uint32_t i = 0; i < mp.nlegs; i++)
		if (mp.legs[i].leg == leg) {
			mp.legs[i] = mp.legs[--mp.nlegs];
			return;
		}
}

/* Remember which mxp events the MRFC asked for on a leg (Events descriptor). */
static void
mpleg_events(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c, uint32_t leg, uint32_t ctx,
	     uint32_t afthresh)
{
	struct mp_leg *l = mpleg_find(leg);
	if (l == NULL) {
		if (mp.nlegs == mp.cap) {
			uint32_t cap = mp.cap ? mp.cap * 2 : 64;
			struct mp_leg *n = realloc(mp.legs, cap * sizeof(*n));
			if (n == NULL)
				return;
			mp.legs = n;
			mp.cap = cap;
		}
		l = &mp.legs[mp.nlegs++];
		memset(l, 0, sizeof(*l));
		l->leg = leg;
		l->ctx = ctx;
		l->afthresh = mxp.cfg.mp.afthresh;
	}
	if (afthresh)
		l->afthresh = afthresh;
	if (!c->has_events)
		return;
	l->rid = c->events_rid;
	l->ev_authfail = l->ev_keylimit = l->ev_ssrc = false;
	for (uint16_t i = 0; i < c->events.n; i++) {
		struct mxp_mp_str n = msg->props[c->events.first + i].name;
		if (mxp_mp_str_eq(n, MXP_MP_EV_AUTHFAIL))
			l->ev_authfail = true;
		else if (mxp_mp_str_eq(n, MXP_MP_EV_KEYLIMIT))
			l->ev_keylimit = true;
		else if (mxp_mp_str_eq(n, MXP_MP_EV_SSRC))
			l->ev_ssrc = true;
	}
}

/* Local SDP of a leg for replies and audits. */
static const char *
leg_sdp(const struct mxp_leg_info *li, bool local)
{
	struct mxp_sdp sd;
	memset(&sd, 0, sizeof(sd));
	sd.has_conn = true;
	sd.family = local ? li->local.af : li->remote.af;
	const struct mxp_ip *ip = local ? &li->local : &li->remote;
	if (!local && !li->remote_known) {
		sd.conn_choose = true;
		sd.port_choose = true;
		sd.family = li->local.af;
	} else if (ip->af == AF_INET) {
		memcpy(sd.addr, &ip->v4, 4);
	} else {
		memcpy(sd.addr, ip->v6, 16);
	}
	sd.has_media = true;
	sd.port = local ? li->local_port : li->remote_port;
	sd.srtp = !li->plain;
	sd.npts = 1;
	sd.pts[0] = 0;
	sd.ptime = 20;
	char *out = mp.arena + mp.arena_used;
	size_t room = MP_ARENA - mp.arena_used;
	int n = mxp_sdp_encode(&sd, out, room);
	if (n < 0)
		return "";
	mp.arena_used += (size_t)n + 1;
	return out;
}

static void
add_stats(struct mxp_mp_cmd *rc, const struct mxp_leg_info *li)
{
	struct mxp_mp_stream *st = &rc->streams[0];
	const struct mxp_leg_stats *s = &li->st;
	st->has_stats = true;
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "rtp/ps", '=', mp_arena_printf("%" PRIu64, s->tx_pkts));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "rtp/pr", '=', mp_arena_printf("%" PRIu64, s->rx_pkts));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "nt/os", '=', mp_arena_printf("%" PRIu64, s->tx_bytes));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "nt/or", '=', mp_arena_printf("%" PRIu64, s->rx_bytes));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "mxp/authfail", '=',
			    mp_arena_printf("%" PRIu64, s->auth_failures));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "mxp/replay", '=', mp_arena_printf("%" PRIu64, s->replays));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "mxp/latched", '=', mp_arena_printf("%" PRIu64, s->latches));
}

static int
conf_code(int r)
{
	switch (r) {
	case -ENOENT: return MXP_MP_E_UNKNOWN_CTX;
	case -ENOSPC: return MXP_MP_E_RESOURCES;
	case -EADDRINUSE: return MXP_MP_E_RESOURCES;
	case -ENOMEM: return MXP_MP_E_RESOURCES;
	case -ENOTSUP: return MXP_MP_E_NOT_IMPL;
	case -ETIMEDOUT: return MXP_MP_E_NOT_READY;
	default: return MXP_MP_E_BAD_VALUE;
	}
}

/* ---- commands ------------------------------------------------------------------------------ */

struct action_state {
	uint32_t ctx;              /* resolved context id, 0 = none yet */
	bool created;              /* this action created it ($) */
};

static const struct mxp_mp_stream *
stream1(const struct mxp_mp_cmd *c)
{
	return c->nstreams ? &c->streams[0] : NULL;
}

static void
do_add(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c, const char *base,
       struct action_state *as, struct mxp_mp_cmd *rc, struct mxp_port *hint)
{
	struct mxp_mp_pkg pkg;
	struct mxp_mp_error e;
	char t[MXP_MP_TEXT_MAX];
	if (c->term_kind != MXP_MP_TERM_CHOOSE) {
		uint32_t leg;
		struct mxp_leg_info li;
		if (term_leg(c, &leg) && mxp_conf_leg_get(mxp.conf, leg, &li) == 0)
			return mp_cmd_error(rc, MXP_MP_E_TERM_IN_CTX, "termination %.*s is already in context %u",
					 (int)c->term.len, c->term.p, li.conf_id);
		return mp_cmd_error(rc, MXP_MP_E_UNKNOWN_TERM,
				 "Add takes $ (the MRFP names its terminations leg/N)");
	}
	if (mxp_mp_pkg_get(msg, c, base, &pkg, &e) != 0)
		return mp_cmd_error(rc, e.code, "%s", e.text);
	const struct mxp_mp_stream *st = stream1(c);
	if (st == NULL || !st->has_local)
		return mp_cmd_error(rc, MXP_MP_E_MISSING_DESC,
				 "Add needs a Local descriptor (the key the MRFP sends with)");
	if (c->nstreams > 1)
		return mp_cmd_error(rc, MXP_MP_E_NOT_IMPL, "one audio stream per termination");
	struct mxp_sdp ls, rs;
	if (mxp_sdp_parse(st->local.p, st->local.len, &ls, &e) != 0)
		return mp_cmd_error(rc, e.code, "Local: %s", e.text);
	bool has_remote = st->has_remote;
	if (has_remote && mxp_sdp_parse(st->remote.p, st->remote.len, &rs, &e) != 0)
		return mp_cmd_error(rc, e.code, "Remote: %s", e.text);
	bool plain = pkg.plain_rtp == 1;
	if (plain && !mxp.cfg.mp.allow_plaintext)
		return mp_cmd_error(rc, MXP_MP_E_BAD_VALUE,
				 "mxp/plainrtp needs the lab flag allow_plaintext_mp");
	if (!plain && (!ls.srtp || (has_remote && !rs.srtp)))
		return mp_cmd_error(rc, MXP_MP_E_MEDIA_TYPE, "RTP/SAVP expected (SRTP is mandatory)");

	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.plain = plain;
	lp.strict = pkg.strict == 1;
	lp.af = ls.has_conn ? ls.family : has_remote && rs.has_conn ? rs.family : AF_INET;
	/* A Local address must be ours. */
	bool found = false;
	for (uint16_t i = 0; i < mxp.nb_ports && !found; i++) {
		const struct mxp_ip *a = mp_port_addr(&mxp.ports[i], lp.af);
		if (a == NULL)
			continue;
		struct mxp_ip want = { .af = lp.af };
		if (lp.af == AF_INET)
			memcpy(&want.v4, ls.addr, 4);
		else
			memcpy(want.v6, ls.addr, 16);
		if (ls.conn_choose || !ls.has_conn || mxp_ip_equal(a, &want)) {
			lp.port_idx = i;
			found = true;
		}
	}
	if (!found)
		return mp_cmd_error(rc, MXP_MP_E_BAD_VALUE, "Local c=: not an address of this MRFP");
	lp.local_port = ls.port_choose ? 0 : ls.port;
	if (has_remote && rs.has_conn && !rs.conn_choose && rs.has_media && !rs.port_choose) {
		lp.remote_known = true;
		lp.remote.af = rs.family;
		if (rs.family == AF_INET)
			memcpy(&lp.remote.v4, rs.addr, 4);
		else
			memcpy(lp.remote.v6, rs.addr, 16);
		lp.remote_port = rs.port;
	}
	if (has_remote) {
		lp.n_pt = rs.npts;
		memcpy(lp.pt, rs.pts, rs.npts);
	}
	lp.mode = MXP_SM_SENDRECV;
	if (st->mode != MXP_MP_MODE_UNSET && mode_from_mp(st->mode, &lp.mode) != 0)
		return mp_cmd_error(rc, MXP_MP_E_MODE, "stream mode not supported (Loopback)");
	snprintf(lp.label, sizeof(lp.label), "%.*s", (int)(pkg.keygroup.len < 60 ? pkg.keygroup.len : 60),
		 pkg.keygroup.p ? pkg.keygroup.p : "");
	if (!plain) {
		unsigned int code = sdp_keys(&ls, &lp.out, true, t, sizeof(t));
		if (code == 0 && has_remote)
			code = sdp_keys(&rs, &lp.in, false, t, sizeof(t));
		if (code == 0 && (lp.out.nkeys == 0 || lp.in.nkeys == 0)) {
			snprintf(t, sizeof(t), "%s SDP has no a=crypto", lp.out.nkeys ? "Remote" : "Local");
			code = MXP_MP_E_MISSING_DESC;
		}
		if (code) {
			explicit_bzero(&lp, sizeof(lp));
			return mp_cmd_error(rc, code, "%s", t);
		}
	}
	/* Context $: the first Add creates the conference. */
	if (as->ctx == 0) {
		struct mxp_conf_params cp = { .mode = MXP_CONF_SWITCH, .topn = 0 };
		if (pkg.mode == MXP_MP_CONF_FORWARD)
			cp.mode = MXP_CONF_FORWARD;
		else if (pkg.mode == MXP_MP_CONF_MIX)
			cp.mode = MXP_CONF_MIX;
		if (pkg.present & MXP_MP_PKG_TOPN)
			cp.topn = pkg.topn;
		char err[200] = "";
		uint32_t id;
		int r = mxp_conf_create(mxp.conf, &cp, &id, err, sizeof(err));
		if (r) {
			explicit_bzero(&lp, sizeof(lp));
			return mp_cmd_error(rc, r == -ENOTSUP ? MXP_MP_E_NOT_IMPL : conf_code(r), "%s", err);
		}
		as->ctx = id;
		as->created = true;
	}
	struct mxp_leg_info li;
	char err[200] = "";
	int r = mxp_conf_leg_add(mxp.conf, as->ctx, &lp, &li, err, sizeof(err));
	explicit_bzero(&lp, sizeof(lp));
	if (r)
		return mp_cmd_error(rc, r == -ENOSPC || r == -EADDRINUSE ? MXP_MP_E_RESOURCES : conf_code(r),
				 "%s", err);
	rc->term_kind = MXP_MP_TERM_NAME;
	rc->term = mxp_mp_str_c(mp_arena_printf("leg/%u", li.id));
	rc->has_media = true;
	rc->nstreams = 1;
	rc->streams[0].id = 1;
	rc->streams[0].has_local = true;
	rc->streams[0].local = mxp_mp_str_c(leg_sdp(&li, true));
	mpleg_events(msg, c, li.id, as->ctx,
		     (pkg.present & MXP_MP_PKG_AFTHRESH) ? pkg.authfail_threshold : 0);
	(void)hint;
}

/* The legs a command names (T or *) in context ctx; returns how many, or -code. */
static int
cmd_legs(const struct mxp_mp_cmd *c, uint32_t ctx, uint32_t *legs, uint32_t max,
	 struct mxp_mp_cmd *rc)
{
	if (c->term_kind == MXP_MP_TERM_ALL) {
		int n = mxp_conf_legs(mxp.conf, ctx, legs, max);
		if (n <= 0) {
			mp_cmd_error(rc, MXP_MP_E_NO_TERM_MATCH, "context %u has no terminations", ctx);
			return -1;
		}
		return n < (int)max ? n : (int)max;
	}
	uint32_t leg;
	struct mxp_leg_info li;
	if (!term_leg(c, &leg) || mxp_conf_leg_get(mxp.conf, leg, &li) != 0) {
		mp_cmd_error(rc, MXP_MP_E_UNKNOWN_TERM, "Unknown TerminationID %.*s", (int)c->term.len,
			  c->term.p);
		return -1;
	}
	if (li.conf_id != ctx) {
		mp_cmd_error(rc, MXP_MP_E_TERM_NOT_IN_CTX, "%.*s is in context %u, not %u", (int)c->term.len,
			  c->term.p, li.conf_id, ctx);
		return -1;
	}
	legs[0] = leg;
	return 1;
}

static bool
has_key_mki(const struct mxp_leg_key_info *k, unsigned int n, const struct mxp_conf_key *key)
{
	for (unsigned int i = 0; i < n; i++)
		if (k[i].mki_len == key->mki_len && !memcmp(k[i].mki, key->mki, key->mki_len))
			return true;
	return false;
}

static void
do_modify(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c, const char *base,
	  uint32_t ctx, struct mxp_mp_cmd *rc)
{
	struct mxp_mp_pkg pkg;
	struct mxp_mp_error e;
	char t[MXP_MP_TEXT_MAX];
	static uint32_t legs[4096];
	int n = cmd_legs(c, ctx, legs, RTE_DIM(legs), rc);
	if (n < 0)
		return;
	if (mxp_mp_pkg_get(msg, c, base, &pkg, &e) != 0)
		return mp_cmd_error(rc, e.code, "%s", e.text);
	struct mxp_conf_info ci;
	mxp_conf_get(mxp.conf, ctx, &ci);
	if (pkg.present & MXP_MP_PKG_MODE) {
		enum mxp_conf_mode want = pkg.mode == MXP_MP_CONF_FORWARD ? MXP_CONF_FORWARD
					  : pkg.mode == MXP_MP_CONF_MIX   ? MXP_CONF_MIX
									  : MXP_CONF_SWITCH;
		if (want != ci.mode)
			return mp_cmd_error(rc, MXP_MP_E_NOT_IMPL,
					 "changing the mode of a running conference is not supported");
	}
	const struct mxp_mp_stream *st = stream1(c);
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	struct mxp_sdp ls, rs;
	struct mxp_conf_keys lk = { 0 }, rk = { 0 };
	if (st && st->mode != MXP_MP_MODE_UNSET) {
		if (mode_from_mp(st->mode, &m.mode) != 0)
			return mp_cmd_error(rc, MXP_MP_E_MODE, "stream mode not supported (Loopback)");
		m.set_mode = true;
	}
	if (pkg.present & MXP_MP_PKG_STRICT) {
		m.set_strict = true;
		m.strict = pkg.strict == 1;
	}
	if (st && st->has_local) {
		if (mxp_sdp_parse(st->local.p, st->local.len, &ls, &e) != 0)
			return mp_cmd_error(rc, e.code, "Local: %s", e.text);
		unsigned int code = sdp_keys(&ls, &lk, true, t, sizeof(t));
		if (code)
			return mp_cmd_error(rc, code, "%s", t);
		if (lk.nkeys > 1)
			return mp_cmd_error(rc, MXP_MP_E_BAD_VALUE, "Local: one new key per Modify");
	}
	if (st && st->has_remote) {
		if (mxp_sdp_parse(st->remote.p, st->remote.len, &rs, &e) != 0) {
			explicit_bzero(&lk, sizeof(lk));
			return mp_cmd_error(rc, e.code, "Remote: %s", e.text);
		}
		unsigned int code = sdp_keys(&rs, &rk, false, t, sizeof(t));
		if (code == 0 && rk.nkeys > 1)
			code = MXP_MP_E_BAD_VALUE, snprintf(t, sizeof(t), "Remote: one new key per Modify");
		if (code) {
			explicit_bzero(&lk, sizeof(lk));
			return mp_cmd_error(rc, code, "%s", t);
		}
		if (rs.has_conn && !rs.conn_choose && rs.has_media && !rs.port_choose) {
			m.set_remote = true;
			m.remote.af = rs.family;
			if (rs.family == AF_INET)
				memcpy(&m.remote.v4, rs.addr, 4);
			else
				memcpy(m.remote.v6, rs.addr, 16);
			m.remote_port = rs.port;
			m.remote_rtcp_port = (uint16_t)(rs.port + 1);
		}
	}
	if (pkg.present & MXP_MP_PKG_TOPN) {
		char err[200] = "";
		int r = mxp_conf_set_topn(mxp.conf, ctx, pkg.topn, err, sizeof(err));
		if (r) {
			explicit_bzero(&lk, sizeof(lk));
			explicit_bzero(&rk, sizeof(rk));
			return mp_cmd_error(rc, conf_code(r), "%s", err);
		}
	}
	/* Apply to each leg; a key equal to one the leg has (same MKI) is no change. */
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info li;
		struct mxp_leg_mod lm = m;
		char err[200] = "";
		if (mxp_conf_leg_get(mxp.conf, legs[i], &li) != 0)
			continue;
		if (m.set_remote && li.remote_known && mxp_ip_equal(&li.remote, &m.remote) &&
		    li.remote_port == m.remote_port)
			lm.set_remote = false;
		if (rk.nkeys && !has_key_mki(li.in_keys, li.n_in_keys, &rk.key[0])) {
			if (li.n_in_keys == MXP_SRTP_MAX_KEYS) {
				/* make room: the oldest key leaves (its overlap is over) */
				struct mxp_leg_mod rm = { .remove_in = true };
				memcpy(rm.remove_mki, li.in_keys[0].mki, sizeof(rm.remove_mki));
				rm.remove_mki_len = li.in_keys[0].mki_len;
				mxp_conf_leg_modify(mxp.conf, legs[i], &rm, NULL, 0);
			}
			lm.add_in_key = true;
			lm.in_key = rk.key[0];
		}
		if (lk.nkeys && !has_key_mki(li.out_keys, li.n_out_keys, &lk.key[0])) {
			if (li.n_out_keys == MXP_SRTP_MAX_KEYS) {
				int old = li.out_active == 0 ? 1 : 0;
				struct mxp_leg_mod rm = { .remove_out = true };
				memcpy(rm.remove_mki, li.out_keys[old].mki, sizeof(rm.remove_mki));
				rm.remove_mki_len = li.out_keys[old].mki_len;
				mxp_conf_leg_modify(mxp.conf, legs[i], &rm, NULL, 0);
			}
			lm.add_out_key = true;
			lm.out_key = lk.key[0];
			lm.activate_out = true;
			memcpy(lm.activate_mki, lk.key[0].mki, sizeof(lm.activate_mki));
			lm.activate_mki_len = lk.key[0].mki_len;
		}
		int r = mxp_conf_leg_modify(mxp.conf, legs[i], &lm, err, sizeof(err));
		explicit_bzero(&lm, sizeof(lm));
		if (r) {
			explicit_bzero(&lk, sizeof(lk));
			explicit_bzero(&rk, sizeof(rk));
			return mp_cmd_error(rc, conf_code(r), "leg/%u: %s", legs[i], err);
		}
		mpleg_events(msg, c, legs[i], ctx,
			     (pkg.present & MXP_MP_PKG_AFTHRESH) ? pkg.authfail_threshold : 0);
	}
	explicit_bzero(&lk, sizeof(lk));
	explicit_bzero(&rk, sizeof(rk));
}

static void
do_subtract(const struct mxp_mp_cmd *c, uint32_t ctx, struct mxp_mp_action *ra)
{
	static uint32_t legs[4096];
	struct mxp_mp_cmd *rc = &mp.rep.cmds[mp.rep.ncmds - 1];
	int n = cmd_legs(c, ctx, legs, RTE_DIM(legs), rc);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info last;
		char err[200] = "";
		if (i > 0) {
			rc = mxp_mp_msg_add_cmd(&mp.rep, MXP_MP_CMD_SUBTRACT, NULL);
			if (rc == NULL)
				break;
		}
		int r = mxp_conf_leg_remove(mxp.conf, legs[i], &last, err, sizeof(err));
		rc->term_kind = MXP_MP_TERM_NAME;
		rc->term = mxp_mp_str_c(mp_arena_printf("leg/%u", legs[i]));
		if (r) {
			mp_cmd_error(rc, conf_code(r), "%s", err);
			continue;
		}
		mpleg_forget(legs[i]);
		rc->has_media = true;
		rc->nstreams = 1;
		rc->streams[0].id = 1;
		add_stats(rc, &last);
	}
	/* H.248: a context without terminations ceases to exist. */
	if (mxp_conf_legs(mxp.conf, ctx, NULL, 0) == 0)
		mxp_conf_destroy(mxp.conf, ctx, NULL, 0);
	(void)ra;
}

static void
do_audit(const struct mxp_mp_cmd *c, uint32_t ctx, struct mxp_mp_cmd *rc)
{
	static uint32_t legs[64];
	if (c->term_kind == MXP_MP_TERM_ROOT) {
		rc->term_kind = MXP_MP_TERM_ROOT;
		return;
	}
	int n = cmd_legs(c, ctx, legs, RTE_DIM(legs), rc);
	if (n < 0)
		return;
	uint32_t want = c->has_audit && c->audit ? c->audit : MXP_MP_AUDIT_MEDIA;
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info li;
		if (i > 0 && (rc = mxp_mp_msg_add_cmd(&mp.rep, MXP_MP_CMD_AUDIT_VALUE, NULL)) == NULL)
			break;
		if (mxp_conf_leg_get(mxp.conf, legs[i], &li) != 0)
			continue;
		rc->term_kind = MXP_MP_TERM_NAME;
		rc->term = mxp_mp_str_c(mp_arena_printf("leg/%u", legs[i]));
		rc->has_media = true;
		rc->nstreams = 1;
		struct mxp_mp_stream *st = &rc->streams[0];
		st->id = 1;
		if (want & MXP_MP_AUDIT_MEDIA) {
			st->mode = mode_to_mp(li.mode);
			st->has_local = st->has_remote = true;
			st->local = mxp_mp_str_c(leg_sdp(&li, true));
			st->remote = mxp_mp_str_c(leg_sdp(&li, false));
		}
		if (want & MXP_MP_AUDIT_STATS)
			add_stats(rc, &li);
	}
}

/* ---- transactions --------------------------------------------------------------------------- */

void
mp_apply_transaction(const struct mxp_mp_msg *msg, const struct mxp_mp_trans *tr, const char *base,
		  struct mxp_port *hint)
{
	mp.arena_used = 0;
	mxp_mp_msg_init(&mp.rep, mp.mid);
	mxp_mp_msg_add_trans(&mp.rep, MXP_MP_TRANS_REPLY, tr->id);
	for (uint16_t a = 0; a < tr->nactions; a++) {
		const struct mxp_mp_action *act = &msg->actions[tr->first_action + a];
		struct action_state as = { 0 };
		struct mxp_mp_action *ra = mxp_mp_msg_add_action(&mp.rep, act->ctx);
		if (ra == NULL)
			break;
		if (act->ctx == MXP_MP_CTX_ALL) {
			ra->has_error = true;
			ra->err_code = MXP_MP_E_NOT_IMPL;
			ra->err_text = mxp_mp_str_c("Context=* is not supported");
			mp_count_error(MXP_MP_E_NOT_IMPL);
			continue;
		}
		if (act->ctx != MXP_MP_CTX_CHOOSE && act->ctx != MXP_MP_CTX_NULL) {
			struct mxp_conf_info ci;
			if (mxp_conf_get(mxp.conf, act->ctx, &ci) != 0) {
				ra->has_error = true;
				ra->err_code = MXP_MP_E_UNKNOWN_CTX;
				ra->err_text = mxp_mp_str_c(mp_arena_printf("context %u unknown", act->ctx));
				mp_count_error(MXP_MP_E_UNKNOWN_CTX);
				continue;
			}
			as.ctx = act->ctx;
		}
		for (uint16_t k = 0; k < act->ncmds; k++) {
			const struct mxp_mp_cmd *c = &msg->cmds[act->first_cmd + k];
			struct mxp_mp_cmd *rc = mxp_mp_msg_add_cmd(&mp.rep, c->type,
								   c->term_kind == MXP_MP_TERM_ALL ? "*"
								   : c->term_kind == MXP_MP_TERM_ROOT ? "ROOT"
													: NULL);
			if (rc == NULL)
				break;
			if (c->term_kind == MXP_MP_TERM_NAME) {
				rc->term_kind = MXP_MP_TERM_NAME;
				rc->term = c->term;
			}
			bool need_ctx = c->type != MXP_MP_CMD_SERVICE_CHANGE &&
					c->type != MXP_MP_CMD_ADD &&
					!(c->type == MXP_MP_CMD_AUDIT_VALUE && c->term_kind == MXP_MP_TERM_ROOT);
			if (need_ctx && as.ctx == 0) {
				mp_cmd_error(rc, MXP_MP_E_UNKNOWN_CTX, "%s needs an existing context",
					  mxp_mp_cmd_name(c->type));
			} else if (c->has_signals && c->signals.len > 0) {
				mp_cmd_error(rc, MXP_MP_E_NOT_IMPL, "the MRFP plays no signals");
			} else {
				switch (c->type) {
				case MXP_MP_CMD_ADD:
					if (act->ctx == MXP_MP_CTX_NULL)
						mp_cmd_error(rc, MXP_MP_E_UNKNOWN_ACTION, "Add in the null context");
					else
						do_add(msg, c, base, &as, rc, hint);
					break;
				case MXP_MP_CMD_MODIFY:
					do_modify(msg, c, base, as.ctx, rc);
					break;
				case MXP_MP_CMD_SUBTRACT:
					do_subtract(c, as.ctx, ra);
					break;
				case MXP_MP_CMD_AUDIT_VALUE:
					do_audit(c, as.ctx, rc);
					break;
				case MXP_MP_CMD_SERVICE_CHANGE:
					/* an MRFC announcing itself: acknowledged */
					rc->has_services = true;
					rc->sc_version = 3;
					break;
				default:
					mp_cmd_error(rc, MXP_MP_E_NOT_IMPL, "%s is not supported by the MRFP",
						  mxp_mp_cmd_name(c->type));
				}
			}
			if (rc->has_error && !c->optional)
				break; /* H.248.1 8.2.2: the rest of the action is not executed */
		}
		/* A context created by this action that ended up empty goes away again. */
		if (as.created && mxp_conf_legs(mxp.conf, as.ctx, NULL, 0) == 0) {
			mxp_conf_destroy(mxp.conf, as.ctx, NULL, 0);
			as.ctx = 0;
		}
		ra->ctx = as.ctx ? as.ctx : act->ctx == MXP_MP_CTX_NULL ? MXP_MP_CTX_NULL : MXP_MP_CTX_CHOOSE;
		if (ra->ctx == MXP_MP_CTX_CHOOSE)
			ra->ctx = MXP_MP_CTX_NULL;
	}
}

