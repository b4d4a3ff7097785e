/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Legs (control core): local ports and the classification table, add / remove / modify
 * with everything validated and prepared first, and the worker's side of those commands.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <rte_malloc.h>

#include "conf_priv.h"

/* ---- ports and the classification table ------------------------------------------------------- */

/* The remote RTCP port when none is given (0): the RTP port with rtcp-mux, else the next. */
static uint16_t
remote_rtcp_port(const struct mxp_leg *l, uint16_t rtp_port, uint16_t rtcp_port)
{
	if (rtcp_port)
		return rtcp_port;
	return (l->flags & LEG_RTCP_MUX) ? rtp_port : (uint16_t)(rtp_port + 1);
}

static int
find_addr(struct mxp_conf_sys *sys, uint8_t af, uint16_t port_idx)
{
	for (uint16_t i = 0; i < sys->p.nb_addrs; i++)
		if (sys->addr[i].a.ip.af == af && sys->addr[i].a.port_idx == port_idx)
			return i;
	return -1;
}

/* Reserve the RTP port (and RTCP = +1 unless muxed). Returns the port or -errno. */
static int
port_alloc(struct mxp_conf_sys *sys, struct mxp_conf_addr_rt *a, uint16_t want, bool mux)
{
	if (want) {
		if (want < 1024 || (!mux && want == 65535))
			return -EINVAL;
		if (a->table[want] || (!mux && a->table[want + 1]))
			return -EADDRINUSE;
		return want;
	}
	uint32_t span = (uint32_t)(sys->p.port_max - (sys->p.port_min & ~1u)) / 2 + 1;
	uint16_t p = a->next;
	for (uint32_t i = 0; i < span; i++) {
		if (p < (sys->p.port_min & ~1u) || p + 1u > sys->p.port_max)
			p = sys->p.port_min & ~1u;
		if (a->table[p] == 0 && a->table[p + 1] == 0) {
			a->next = (uint16_t)(p + 2);
			return p;
		}
		p = (uint16_t)(p + 2);
	}
	return -ENOSPC;
}

static void
table_set(struct mxp_conf_addr_rt *a, uint16_t port, uintptr_t v)
{
	__atomic_store_n(&a->table[port], v, __ATOMIC_RELEASE);
}

static void
table_publish(struct mxp_conf_sys *sys, struct mxp_leg *l, bool on)
{
	struct mxp_conf_addr_rt *a = &sys->addr[l->addr_idx];
	table_set(a, l->local_port, on ? (uintptr_t)l : 0);
	if (!(l->flags & LEG_RTCP_MUX))
		table_set(a, l->local_rtcp_port, on ? (uintptr_t)l | TABLE_RTCP : 0);
}

/* ---- streams (worker, inside commands) ---------------------------------------------------------- */

static void
os_link(struct mxp_ostream *os)
{
	SLIST_INSERT_HEAD(&os->src->streams, os, by_sender);
	TAILQ_INSERT_TAIL(&os->kg->streams, os, by_group);
	os->kg->nstreams++;
	os->self_group = os->src->kg == os->kg;
}

static void
os_unlink(struct mxp_ostream *os)
{
	SLIST_REMOVE(&os->src->streams, os, mxp_ostream, by_sender);
	TAILQ_REMOVE(&os->kg->streams, os, by_group);
	os->kg->nstreams--;
}

/* A group lost its last member: it goes, and with it every stream encrypted for it. */
static void
kg_unlink_empty(struct mxp_conf *cf, struct mxp_keygroup *kg, struct mxp_ostream **dead,
		uint32_t *ndead)
{
	struct mxp_ostream *os;
	while ((os = TAILQ_FIRST(&kg->streams)) != NULL) {
		os_unlink(os);
		dead[(*ndead)++] = os;
	}
	TAILQ_REMOVE(&cf->kgs, kg, next);
	cf->nkgs--;
	cf->enc_gone += kg->encryptions;
	if (cf->fwd_kg == kg)
		cf->fwd_kg = NULL;
}

static void
kg_link(struct mxp_conf *cf, struct mxp_keygroup *kg)
{
	TAILQ_INSERT_TAIL(&cf->kgs, kg, next);
	cf->nkgs++;
}

/* ---- add ------------------------------------------------------------------------------------------ */

void
conf_cmd_leg_add(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct leg_add_args *a = &c->u.leg_add;
	struct mxp_leg *l = a->leg;
	struct mxp_conf *cf = l->conf;
	if (a->new_kg)
		kg_link(cf, a->new_kg);
	TAILQ_INSERT_TAIL(&cf->legs, l, in_conf);
	cf->nlegs++;
	conf_rcv_grow_apply(&a->grow);
	conf_rcv_join(l->kg, l);
	if (cf->mode == MXP_CONF_FORWARD)
		cf->fwd_kg = l->kg;
	if (cf->mode == MXP_CONF_MIX) {
		conf_mix_prep_apply(cf, &a->mix);
		a->xslot_in = conf_mix_xslot_give(cf, a->xslot);
		if (conf_mix_leg_link(l) != 0)
			w->mixer_refusals++; /* checked on the control core: never */
		mxp_media_leg_set_mute(l->ml, (l->flags & LEG_MUTED) ||
						      (cf->floor && cf->floor != l));
	}
	for (uint32_t i = 0; i < a->nos; i++)
		os_link(a->os[i]);
	(void)w;
}

static void
leg_free(struct mxp_conf_sys *sys, struct mxp_leg *l, struct mxp_leg_ctl *lc)
{
	if (l != NULL && l->conf && l->conf->mode == MXP_CONF_MIX)
		conf_mix_leg_free(sys, l); /* the media leg, before the decoders it uses */
	else if (l != NULL)
		conf_signal_leg_free(sys, l); /* switch: its signal and stream (mix: above) */
	if (lc != NULL) {
		conf_mix_codecs_free(sys, lc);
		conf_kset_free(sys, lc->keys, true); /* the sessions' references */
		rte_free(lc->ml_prior);
		conf_pool_put(&sys->lc_pool, lc);
	}
	if (l == NULL)
		return;
	conf_in_stream_free(sys, l->in);
	conf_pool_put(&sys->leg_pool, l); /* wipes the digest of its key */
}

/*
 * The session a key of this conference already has, if any: its group's, or another leg's
 * (a key several legs were given, e.g. before a group rekey is activated, or the conference
 * key of forward mode). Sessions are shared only within a conference: its worker alone uses
 * them, so their counters need no atomics. Matched on key, MKI and lifetime.
 */
static struct mxp_srtp_key *
shared_session(struct mxp_conf *cf, const struct mxp_conf_key *k)
{
	uint8_t d[32];
	conf_group_digest(k, d);
	struct mxp_keygroup *kg = conf_kg_find(cf, d);
	if (kg != NULL && kg->ks != NULL && kg->lifetime == k->lifetime)
		return kg->ks;
	struct mxp_leg *o;
	TAILQ_FOREACH(o, &cf->legs, in_conf) {
		const struct mxp_leg_ctl *lc = o->lc;
		if (lc == NULL || lc->keys == NULL)
			continue;
		for (unsigned int i = 0; i < (unsigned int)lc->keys->nin + lc->keys->nout; i++) {
			const struct conf_kmeta *m = &lc->keys->k[i];
			if (m->ks != NULL && m->lifetime == k->lifetime && !memcmp(m->gdigest, d, 32))
				return m->ks;
		}
	}
	return NULL;
}

/*
 * The leg's keys as the control core keeps them (sessions and metadata: the caller's key
 * bytes are not kept), the participant's stream, and its inbound sessions on the stream.
 * Outbound keys get a session too (derived now, on the control core) unless nothing is
 * ever encrypted with them (forward mode).
 */
static int
leg_keys(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_leg *l,
	 struct mxp_leg_ctl *lc, const struct mxp_leg_params *p, char *err, size_t errlen)
{
	lc->keys = conf_kset_new(sys, p->in.nkeys, p->out.nkeys);
	if (lc->keys == NULL)
		return conf_errf(err, errlen, -ENOMEM, "out of memory for the keys");
	lc->keys->out_active = p->out.active;
	for (unsigned int i = 0; i < p->in.nkeys; i++) {
		int r = conf_kmeta_fill(sys, conf_kin(lc->keys, i), &p->in.key[i], true,
					shared_session(cf, &p->in.key[i]), err,
					errlen);
		if (r)
			return r;
	}
	for (unsigned int i = 0; i < p->out.nkeys; i++) {
		int r = conf_kmeta_fill(sys, conf_kout(lc->keys, i), &p->out.key[i],
					cf->mode != MXP_CONF_FORWARD,
					shared_session(cf, &p->out.key[i]), err, errlen);
		if (r)
			return r;
	}
	l->in = conf_in_stream_new(sys, cf->replay_window, &p->rx_resume, err, errlen);
	if (l->in == NULL)
		return -ENOMEM;
	for (unsigned int i = 0; i < p->in.nkeys; i++) {
		int r = mxp_srtp_stream_key_add(l->in, conf_kin(lc->keys, i)->ks);
		if (r)
			return conf_errf(err, errlen, r, "inbound key %u: %s", i + 1,
					 r == -EEXIST ? "MKI given twice" : "cannot be installed");
	}
	return 0;
}

/* Give the conference's groups their spare SSRCs back where a stream moved (control core). */
static void
spares(struct mxp_conf_sys *sys, struct mxp_conf *cf)
{
	struct mxp_keygroup *kg;
	TAILQ_FOREACH(kg, &cf->kgs, next)
		conf_kg_spare(sys, kg);
}

/* The key group digest for a leg's active outbound key (or the plain group). */
static void
out_digest(const struct mxp_leg_params *p, const struct mxp_conf_keys *out, uint8_t d[32])
{
	if (p->plain)
		memset(d, 0, 32);
	else
		conf_group_digest(&out->key[out->active], d);
}

/*
 * Build the streams a new or changed membership needs: the sender's stream to each
 * group of the conference (plus new_kg), and every sender's stream to new_kg.
 * Fills os[] and returns how many, or -errno.
 */
static int
streams_for(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_leg *l, bool l_sends,
	    struct mxp_keygroup *new_kg, struct mxp_ostream ***out, char *err, size_t errlen)
{
	*out = NULL;
	if (cf->mode != MXP_CONF_SWITCH)
		return 0;
	uint32_t cap = cf->nkgs + 1 + cf->nlegs + 1, n = 0;
	struct mxp_ostream **os = rte_zmalloc("mxp_os_tmp", cap * sizeof(*os), 0);
	if (os == NULL)
		return -ENOMEM;
	struct mxp_keygroup *kg;
	if (l_sends) {
		TAILQ_FOREACH(kg, &cf->kgs, next)
			if ((os[n] = conf_ostream_new(sys, kg, l, err, errlen)) == NULL)
				goto fail;
			else
				n++;
		if (new_kg) {
			if ((os[n] = conf_ostream_new(sys, new_kg, l, err, errlen)) == NULL)
				goto fail;
			n++;
		}
	}
	if (new_kg) {
		struct mxp_leg *s;
		TAILQ_FOREACH(s, &cf->legs, in_conf) {
			if (s == l || !mxp_stream_mode_sends(s->mode))
				continue;
			if ((os[n] = conf_ostream_new(sys, new_kg, s, err, errlen)) == NULL)
				goto fail;
			n++;
		}
	}
	*out = os;
	return (int)n;
fail:
	for (uint32_t i = 0; i < n; i++)
		conf_ostream_free(sys, os[i]);
	rte_free(os);
	if (err && err[0] == '\0')
		conf_errf(err, errlen, -ENOMEM, "out of memory for output streams");
	return -ENOMEM;
}

/* An asymmetric leg's combinations: strict, plain and an unknown remote contradict it. */
static int
conf_asym_check(bool strict, bool plain, bool remote_known, char *err, size_t errlen)
{
	if (strict)
		return conf_errf(err, errlen, -EINVAL,
				 "strict and asymmetric contradict each other: strict accepts media "
				 "from the remote address only, asymmetric from any authenticated source");
	if (plain)
		return conf_errf(err, errlen, -EINVAL,
				 "asymmetric needs SRTP: a plain RTP leg cannot authenticate other "
				 "sources (it accepts its remote address only)");
	if (!remote_known)
		return conf_errf(err, errlen, -EINVAL,
				 "an asymmetric leg needs its remote address: it is never learnt from "
				 "where media comes from");
	return 0;
}

/*
 * A leg that becomes a cascade leg: only in a mix conference (switch and forward have no
 * mix-minus to keep a cascade leg's input from going back or on to another cascade leg),
 * and only while the conference has a cascade slot left.
 */
static int
conf_cascade_check(const struct mxp_conf *cf, char *err, size_t errlen)
{
	if (cf->mode != MXP_CONF_MIX)
		return conf_errf(err, errlen, -ENOTSUP,
				 "cascade legs need a mix conference: conference %u is a %s "
				 "conference", cf->id, cf->mode == MXP_CONF_SWITCH ? "switch" : "forward");
	if (cf->ncascade >= cf->max_cascade)
		return conf_errf(err, errlen, -ENOSPC,
				 "conference %u already has its %u cascade legs (at most %u beside "
				 "%u talkers)", cf->id, cf->ncascade, (unsigned int)cf->max_cascade,
				 cf->topn ? cf->topn : 3);
	return 0;
}

/* The codec fields of leg parameters (payload types, codecs) are consistent. */
static int
codecs_check(const struct mxp_leg_params *p, char *err, size_t errlen)
{
	if (p->n_pt > MXP_CONF_MAX_PT)
		return conf_errf(err, errlen, -EINVAL, "more than %d payload types",
				 MXP_CONF_MAX_PT);
	for (unsigned int i = 0; i < p->n_pt; i++)
		if (p->pt[i] > 127)
			return conf_errf(err, errlen, -EINVAL, "payload type %u is not 0..127",
					 p->pt[i]);
	if (p->n_codecs > MXP_CONF_MAX_PT)
		return conf_errf(err, errlen, -EINVAL, "more than %d codecs", MXP_CONF_MAX_PT);
	for (unsigned int i = 0; i < p->n_codecs; i++) {
		const struct mxp_leg_codec *c = &p->codecs[i];
		bool listed = false;
		for (unsigned int k = 0; k < p->n_pt; k++)
			listed |= p->pt[k] == c->pt;
		if (!mxp_media_codec_is_frame((enum mxp_media_codec)c->codec) ||
		    mxp_media_codec_ops((enum mxp_media_codec)c->codec) == NULL)
			return conf_errf(err, errlen, -EINVAL, "payload type %u: codec %u is not a "
					 "frame codec lib/media has", c->pt, c->codec);
		if (!listed || c->pt == p->event_pt || c->pt == 13)
			return conf_errf(err, errlen, -EINVAL, "payload type %u of a codec: not in "
					 "the leg's list, or the event or CN payload type", c->pt);
		for (unsigned int k = 0; k < i; k++)
			if (p->codecs[k].pt == c->pt)
				return conf_errf(err, errlen, -EINVAL, "payload type %u given twice",
						 c->pt);
	}
	return 0;
}

uint64_t
mxp_conf_codecs_sig(const struct mxp_leg_params *p)
{
	uint8_t buf[8 + MXP_CONF_MAX_PT * (3 + MXP_MEDIA_FMTP_SIZE) + MXP_CONF_MAX_PT];
	unsigned int n = 0, npt = p->n_pt < MXP_CONF_MAX_PT ? p->n_pt : MXP_CONF_MAX_PT;
	unsigned int nc = p->n_codecs < MXP_CONF_MAX_PT ? p->n_codecs : MXP_CONF_MAX_PT;
	buf[n++] = (uint8_t)npt;
	memcpy(buf + n, p->pt, npt);
	n += npt;
	buf[n++] = (uint8_t)(p->event_pt & 0xff);
	buf[n++] = (uint8_t)((uint16_t)p->event_pt >> 8);
	buf[n++] = (uint8_t)nc;
	for (unsigned int i = 0; i < nc; i++) {
		buf[n++] = p->codecs[i].pt;
		buf[n++] = p->codecs[i].codec;
		memcpy(buf + n, &p->codecs[i].fmtp, sizeof(p->codecs[i].fmtp));
		n += sizeof(p->codecs[i].fmtp);
	}
	memcpy(buf + n, &p->rtp_clock, sizeof(p->rtp_clock));
	n += sizeof(p->rtp_clock);
	uint8_t d[32];
	unsigned int dl = sizeof(d);
	uint64_t sig = 0;
	if (EVP_Digest(buf, n, d, &dl, EVP_sha256(), NULL) == 1)
		memcpy(&sig, d, sizeof(sig));
	return sig;
}

static int
leg_params_check(struct mxp_conf_sys *sys, struct mxp_conf *cf, const struct mxp_leg_params *p,
		 int ai, char *err, size_t errlen)
{
	if (ai < 0)
		return conf_errf(err, errlen, -EINVAL, "port %u has no %s address", p->port_idx,
				 p->af == AF_INET6 ? "IPv6" : "IPv4");
	if ((unsigned int)p->mode > MXP_SM_INACTIVE)
		return conf_errf(err, errlen, -EINVAL, "bad stream mode");
	if (p->remote_known && (p->remote.af != p->af || p->remote_port == 0))
		return conf_errf(err, errlen, -EINVAL,
				 "remote address must be of the local address' family, with a port");
	int rc = codecs_check(p, err, errlen);
	if (rc)
		return rc;
	if (p->audio_level_id > 14)
		return conf_errf(err, errlen, -EINVAL, "audio level extension id must be 1..14");
	if (p->asymmetric) {
		int r = conf_asym_check(p->strict, p->plain, p->remote_known, err, errlen);
		if (r)
			return r;
	}
	if (p->cascade) {
		int r = conf_cascade_check(cf, err, errlen);
		if (r)
			return r;
	}
	struct mxp_leg *first = TAILQ_FIRST(&cf->legs);
	if (first && !!(first->flags & LEG_PLAIN) != p->plain)
		return conf_errf(err, errlen, -EINVAL,
				 "a conference is all SRTP or all plain RTP: plain legs would receive decrypted media");
	if (p->plain) {
		if (p->in.nkeys || p->out.nkeys)
			return conf_errf(err, errlen, -EINVAL, "a plain RTP leg takes no keys");
		if (!p->remote_known)
			return conf_errf(err, errlen, -EINVAL,
					 "a plain RTP leg needs its remote address (no latching without SRTP)");
		return 0;
	}
	int r = conf_check_keys(&p->in, "inbound (participant) key", err, errlen);
	if (r == 0)
		r = conf_check_keys(&p->out, "outbound (mixer) key", err, errlen);
	(void)sys;
	return r;
}

/* What mxp_conf_leg_add() refuses of the parameters before it allocates (its leg id and
 * port aside). din and dout receive the inbound and outbound keys' group digests. */
static int
leg_add_validate(struct mxp_conf_sys *sys, struct mxp_conf *cf, const struct mxp_leg_params *p,
		 int ai, uint8_t din[32], uint8_t dout[32], char *err, size_t errlen)
{
	int r = leg_params_check(sys, cf, p, ai, err, errlen);
	if (r)
		return r;
	/* Forward mode: receivers decrypt the senders' bytes, MKI included, so in == out ==
	 * the conference key. */
	memset(din, 0, 32);
	out_digest(p, &p->out, dout);
	if (!p->plain)
		conf_group_digest(&p->in.key[p->in.active], din);
	if (cf->mode == MXP_CONF_FORWARD) {
		bool plain_conf = cf->fwd_key_set && !memcmp(cf->fwd_digest, (uint8_t[32]){ 0 }, 32);
		if (!p->plain && memcmp(din, dout, 32) != 0)
			return conf_errf(err, errlen, -EINVAL,
					 "forward mode: the leg's inbound and outbound keys must both be the conference key");
		if (cf->fwd_key_set &&
		    (memcmp(cf->fwd_digest, dout, 32) != 0 || plain_conf != p->plain))
			return conf_errf(err, errlen, -EINVAL,
					 "forward mode: the leg's key differs from the conference key");
	}
	if (cf->mode == MXP_CONF_MIX && cf->nlegs >= cf->max_legs)
		return conf_errf(err, errlen, -ENOSPC, "the mixer is full (%u legs)", cf->max_legs);
	return 0;
}

int
mxp_conf_leg_add_check(struct mxp_conf_sys *sys, uint32_t conf_id,
		       const struct mxp_leg_params *p, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	struct mxp_conf_ctl *cc = conf_find(sys, conf_id);
	if (cc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no conference %u", conf_id);
	uint8_t din[32], dout[32];
	int r = leg_add_validate(sys, cc->conf, p, find_addr(sys, p->af, p->port_idx), din, dout,
				 err, errlen);
	explicit_bzero(din, sizeof(din));
	explicit_bzero(dout, sizeof(dout));
	return r;
}

int
mxp_conf_leg_add(struct mxp_conf_sys *sys, uint32_t conf_id, const struct mxp_leg_params *p,
		 struct mxp_leg_info *info, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	struct mxp_conf_ctl *cc = conf_find(sys, conf_id);
	if (cc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no conference %u", conf_id);
	struct mxp_conf *cf = cc->conf;
	if (p->id != 0 && (p->id >= sys->next_leg_id || conf_find_leg(sys, p->id) != NULL))
		return conf_errf(err, errlen, -EEXIST, "leg id %u is in use or was never given",
				 p->id);
	int ai = find_addr(sys, p->af, p->port_idx);
	uint8_t din[32], dout[32];
	int r = leg_add_validate(sys, cf, p, ai, din, dout, err, errlen);
	if (r)
		return r;
	uint64_t in_key_id = p->plain ? 0 : conf_key_id(&p->in.key[p->in.active]);

	struct mxp_conf_addr_rt *a = &sys->addr[ai];
	int port = port_alloc(sys, a, p->local_port, p->rtcp_mux);
	if (port == -ENOSPC) /* the leg table's bound: a port pair per leg */
		return conf_errf(err, errlen, port,
				 "no free port pair in the media range %u-%u (every pair has a leg)",
				 sys->p.port_min, sys->p.port_max);
	if (port < 0)
		return conf_errf(err, errlen, port,
				 port == -EADDRINUSE ? "local port %u (or its RTCP port) is in use"
						     : "local port %u is not in 1024..65534",
				 p->local_port);

	struct mxp_leg *l = conf_pool_get(&sys->leg_pool);
	struct mxp_leg_ctl *lc = conf_pool_get(&sys->lc_pool);
	struct leg_add_args args = { 0 };
	struct mxp_keygroup *new_kg = NULL;
	r = -ENOMEM;
	if (l == NULL || lc == NULL)
		goto fail;
	l->id = p->id ? p->id : sys->next_leg_id;
	l->conf = cf;
	l->owner = cc->worker;
	l->port_idx = p->port_idx;
	l->addr_idx = (uint16_t)ai;
	l->mode = (uint8_t)p->mode;
	l->flags = (uint8_t)((p->af == AF_INET6 ? LEG_AF6 : 0) | (p->strict ? LEG_STRICT : 0) |
			     (p->asymmetric ? LEG_ASYM : 0) |
			     (p->plain ? LEG_PLAIN : 0) | (p->rtcp_mux ? LEG_RTCP_MUX : 0) |
			     (p->remote_known ? LEG_REMOTE_KNOWN : 0));
	l->local_ip = a->a.ip;
	l->src_mac = a->a.mac;
	l->local_port = (uint16_t)port;
	l->local_rtcp_port = p->rtcp_mux ? (uint16_t)port : (uint16_t)(port + 1);
	if (p->remote_known) {
		memcpy(l->remote, p->remote.v6, p->af == AF_INET6 ? 16 : 4);
		l->remote_port = p->remote_port;
		l->remote_rtcp_port = remote_rtcp_port(l, p->remote_port, p->remote_rtcp_port);
	}
	l->audio_level_id = p->audio_level_id;
	l->event_pt = p->event_pt >= 96 && p->event_pt <= 127 ? (uint8_t)p->event_pt : 0;
	l->level = 127;
	/* forwarded from its first packet if top-N forwards it anyway (no level to rank) */
	l->state = cf->topn == 0 || p->audio_level_id == 0 ? LEG_IN_TOPN : 0;
	if (p->remote_known && !p->rtcp_mux)
		l->state |= LEG_GUESSED_OF(p->remote_guessed);
	if (p->n_pt == 0)
		l->pt_ok[0] = l->pt_ok[1] = UINT64_MAX;
	for (unsigned int i = 0; i < p->n_pt; i++)
		l->pt_ok[p->pt[i] / 64] |= 1ull << (p->pt[i] % 64);
	snprintf(l->label, sizeof(l->label), "%s", p->label);
	conf_rtcp_leg_init(l, p); /* the clock of what it sends, RTCP's bandwidth */
	l->in_key_id = in_key_id;
	if (!p->plain) {
		r = leg_keys(sys, cf, l, lc, p, err, errlen);
		if (r)
			goto fail;
	}
	struct mxp_keygroup *kg = conf_kg_find(cf, dout);
	if (kg == NULL) {
		kg = new_kg = conf_kg_new(sys, cf,
					  p->plain ? NULL : conf_kout(lc->keys, p->out.active));
		if (kg == NULL) {
			r = -ENOMEM;
			goto fail;
		}
	} else if (conf_rcv_reserve(sys, kg, &args.grow) != 0) {
		r = -ENOMEM;
		goto fail;
	}
	l->kg = kg; /* the worker links it (conf_rcv_join); mix set-up needs the group now */
	l->lc = lc; /* mix set-up keeps the leg's codecs there */
	if (cf->mode != MXP_CONF_MIX)
		conf_signal_leg_codec(lc, p); /* switch: the codec of its signals */
	if (cf->mode == MXP_CONF_MIX) {
		r = conf_mix_leg_alloc(sys, cf, l, p, err, errlen);
		if (r == 0)
			r = conf_mix_prep(sys, cf, kg, l->out_codec, &args.mix, err, errlen);
		if (r)
			goto fail;
	}
	int n = streams_for(sys, cf, l, mxp_stream_mode_sends(l->mode), new_kg, &args.os, err,
			    errlen);
	if (n < 0) {
		r = n;
		goto fail;
	}
	args.nos = (uint32_t)n;
	args.leg = l;
	args.new_kg = new_kg;
	lc->leg = l;
	lc->conf = cc;
	l->lc = lc;
	if (p->cascade && (r = conf_mix_xslot_new(sys, cf, &args.xslot, err, errlen)) != 0)
		goto fail_streams;
	if (rte_hash_add_key_data(sys->legs, &l->id, lc) < 0) {
		r = conf_errf(err, errlen, -ENOSPC, "the leg table is full (%u legs)",
			      (unsigned int)rte_hash_count(sys->legs));
		goto fail_streams;
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_LEG_ADD);
	r = c ? 0 : -ENOMEM;
	if (c) {
		c->u.leg_add = args;
		r = conf_post(sys, cc->worker, c);
		args.grow = c->u.leg_add.grow; /* the old array, if the worker swapped */
		args.mix = c->u.leg_add.mix;   /* emptied if the worker installed it */
		args.xslot_in = c->u.leg_add.xslot_in;
		conf_cmd_put(c);
	}
	if (r) {
		/* Nothing ran: undo the preparations. */
		rte_hash_del_key(sys->legs, &l->id);
		if (r != -ENOMEM)
			conf_errf(err, errlen, r, "worker %u did not answer", cc->worker);
		goto fail_streams;
	}
	conf_rcv_grow_done(sys, &args.grow);
	conf_mix_xslot_done(sys, cf, args.xslot, args.xslot_in);
	rte_free(args.os);
	spares(sys, cf);
	if (p->id == 0)
		sys->next_leg_id++;
	if (cf->mode == MXP_CONF_FORWARD && !cf->fwd_key_set) {
		memcpy(cf->fwd_digest, dout, 32);
		cf->fwd_key_set = true;
	}
	lc->cascade = p->cascade;
	lc->codecs_sig = mxp_conf_codecs_sig(p);
	cf->ncascade += p->cascade;
	/* Published last: from here on packets to the port find a fully linked leg. */
	table_publish(sys, l, true);
	if (info)
		mxp_conf_leg_get(sys, l->id, info);
	return 0;

fail_streams:
	conf_mix_xslot_done(sys, cf, args.xslot, false); /* nothing ran */
	for (uint32_t i = 0; i < args.nos; i++)
		conf_ostream_free(sys, args.os[i]);
	rte_free(args.os);
fail:
	/* a grown array the worker never took is the new one: free it */
	if (args.grow.kg)
		conf_rcv_grow_done(sys, &args.grow);
	conf_mix_prep_free(sys, &args.mix); /* its stream refers to the group: first */
	leg_free(sys, l, lc);
	conf_kg_free(sys, new_kg);
	if (err && err[0] == '\0')
		conf_errf(err, errlen, r, "out of memory");
	return r;
}

/* ---- removal ------------------------------------------------------------------------------------- */

/*
 * Worker: unlink a leg and whatever only it kept alive. The streams to free are
 * collected in the args' array (sized by the control core beforehand).
 */
void
conf_cmd_leg_del(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct leg_del_args *a = &c->u.leg_del;
	struct mxp_leg *l = a->leg;
	struct mxp_conf *cf = l->conf;
	uint32_t n = 0;
	struct mxp_ostream *os;

	conf_rtcp_leg_bye(w, l, true, true); /* RFC 3550 6.6, while its streams are linked */
	conf_ssrc_release(l); /* a leg refused for colliding with it may send now */
	if (cf->mode == MXP_CONF_SWITCH)
		while ((os = SLIST_FIRST(&l->streams)) != NULL) {
			os_unlink(os);
			a->dead[n++] = os;
		}
	if (cf->mode != MXP_CONF_MIX)
		conf_signal_leg_unlink(l); /* switch: off its conference's signal list */
	if (cf->mode == MXP_CONF_MIX) {
		conf_mix_leg_unlink(l);
		for (unsigned int t = 0; t < cf->n_prev_talkers; t++)
			if (cf->prev_talkers[t] == l)
				cf->prev_talkers[t] = cf->prev_talkers[--cf->n_prev_talkers];
	}
	TAILQ_REMOVE(&cf->legs, l, in_conf);
	cf->nlegs--;
	if (l->in) {
		struct mxp_srtp_stats st;
		mxp_srtp_stream_stats(l->in, &st);
		cf->dec_gone += st.decryptions;
	}
	if (cf->floor == l) {
		cf->floor = NULL; /* the floor holder left: the floor opens */
		if (cf->mode == MXP_CONF_MIX) {
			struct mxp_leg *o;
			TAILQ_FOREACH(o, &cf->legs, in_conf)
				mxp_media_leg_set_mute(o->ml, o->flags & LEG_MUTED);
		}
	}
	struct mxp_keygroup *kg = l->kg;
	conf_rcv_leave(l);
	if (kg->nrcv == 0) {
		kg_unlink_empty(cf, kg, a->dead, &n);
		a->dead_kg = kg;
	}
	a->ndead = n;
}

int
mxp_conf_leg_remove(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_info *last,
		    char *err, size_t errlen)
{
	struct mxp_leg_ctl *lc = conf_find_leg(sys, leg_id);
	if (lc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no leg %u", leg_id);
	struct mxp_leg *l = lc->leg;
	struct mxp_conf *cf = l->conf;
	uint32_t maxdead = cf->nkgs + (l->kg->nrcv == 1 ? cf->nlegs : 0) + 1;
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_LEG_DEL);
	struct mxp_ostream **dead = rte_zmalloc("mxp_leg_del", maxdead * sizeof(*dead), 0);
	if (c == NULL || dead == NULL) {
		conf_cmd_put(c);
		rte_free(dead);
		return conf_errf(err, errlen, -ENOMEM, "out of memory");
	}
	/* No new packet finds the leg; those in flight are handled before the ack. */
	table_publish(sys, l, false);
	c->u.leg_del.leg = l;
	c->u.leg_del.dead = dead;
	int r = conf_post(sys, lc->conf->worker, c);
	if (r) {
		/* Nothing ran: the leg stays, packets find it again. */
		table_publish(sys, l, true);
		conf_cmd_put(c);
		rte_free(dead);
		return conf_errf(err, errlen, r, "worker %u did not answer", lc->conf->worker);
	}
	struct leg_del_args *a = &c->u.leg_del;
	if (last)
		mxp_conf_leg_get(sys, leg_id, last);
	cf->ncascade -= lc->cascade;
	rte_hash_del_key(sys->legs, &leg_id);
	/* Other workers may still hold the leg from the table: wait them out. */
	conf_rcu_sync(sys);
	/* streams first: each refers to its group (SSRC registry, key session) */
	for (uint32_t i = 0; i < a->ndead; i++)
		conf_ostream_free(sys, a->dead[i]);
	leg_free(sys, l, lc); /* its private mix stream is under its group's key too */
	conf_kg_free(sys, a->dead_kg);
	rte_free(dead);
	conf_cmd_put(c);
	return 0;
}

/* ---- modification -------------------------------------------------------------------------------- */

void
conf_cmd_leg_mod(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct leg_mod_args *a = &c->u.leg_mod;
	struct mxp_leg *l = a->leg;
	const struct mxp_leg_mod *m = &a->m;
	struct mxp_conf *cf = l->conf;
	struct mxp_ostream *os;
	bool mix = cf->mode == MXP_CONF_MIX;

	/* The one step that could fail (it cannot, once validated): first, and then nothing
	 * else changes, so the command stays all or nothing. */
	if (a->add_in_ks) {
		c->result = mxp_srtp_stream_key_add(l->in, a->add_in_ks);
		if (c->result)
			return;
	}
	if (a->rm_in_ks)
		mxp_srtp_stream_key_remove(l->in, a->rm_in_ks);
	if (a->in_key_id != 0 && a->in_key_id != l->in_key_id) {
		conf_ssrc_release(l); /* collisions were under the old key */
		l->in_key_id = a->in_key_id;
	}
	if (a->codecs) /* before its streams change: a signal toward it ends */
		conf_signal_leg_codecs(w, l, &a->old_sw_enc);
	/* streams end: BYE (RFC 3550 6.6), under the old keys */
	if (a->to_kg || a->drop_own || a->new_slot)
		conf_rtcp_leg_bye(w, l, a->to_kg != NULL || a->new_slot, a->drop_own);
	/* mix: the group's per-codec listener counts follow mode, group and codec changes */
	if (mix)
		conf_mix_count(l, -1);
	if (a->codecs) {
		l->pt_ok[0] = a->pt_ok[0];
		l->pt_ok[1] = a->pt_ok[1];
		l->event_pt = a->event_pt;
		if (l->rrx.clock != a->clock) {
			l->rrx.clock = a->clock;
			l->rs.mult = 0; /* RTCP: jitter and transit in the new clock's units from
					 * its next packet on (conf_rtcp_rx_slow) */
		}
	}
	if (mix)
		a->xslot_in = conf_mix_xslot_give(cf, a->xslot);
	if (a->ms.ml) {
		/* mix, a codec change: the new media leg takes the old one's place in the
		 * mixer; what the old one still buffers is released */
		mxp_media_mixer_leg_remove(cf->mixer, l->ml);
		mxp_media_leg_fini(l->ml);
		struct mxp_media_leg *old_ml = l->ml;
		uint32_t old_size = l->ml_size;
		l->ml = a->ms.ml;
		l->ml_size = a->ms.ml_size;
		l->out_codec = a->ms.out_codec;
		l->out_pt = a->ms.out_pt;
		l->cn_out = a->ms.cn_out;
		if (mxp_media_mixer_leg_add(cf->mixer, l->ml) != 0)
			w->mixer_refusals++;
		a->ms.ml = old_ml; /* the control core frees it */
		a->ms.ml_size = old_size;
		if (!a->to_kg) /* (with a group move: below) */
			conf_mix_prep_apply(cf, &a->mix);
	}
	if (m->set_mode) {
		l->kg->nrecv -= mxp_stream_mode_receives(l->mode);
		l->mode = (uint8_t)m->mode;
		l->kg->nrecv += mxp_stream_mode_receives(l->mode);
	}
	if (m->set_strict)
		l->flags = (uint8_t)(m->strict ? l->flags | LEG_STRICT : l->flags & ~LEG_STRICT);
	if (m->set_asymmetric)
		l->flags = (uint8_t)(m->asymmetric ? l->flags | LEG_ASYM : l->flags & ~LEG_ASYM);
	if (m->set_mute)
		l->flags = (uint8_t)(m->mute ? l->flags | LEG_MUTED : l->flags & ~LEG_MUTED);
	if (m->set_cascade && mix) /* checked: a slot is free (given now if the mixer had none) */
		if (mxp_media_mixer_leg_set_cascade(cf->mixer, l->ml, m->cascade) != 0)
			w->mixer_refusals++;
	if (m->set_remote) {
		memset(l->remote, 0, sizeof(l->remote));
		memcpy(l->remote, m->remote.v6, (l->flags & LEG_AF6) ? 16 : 4);
		l->remote_port = m->remote_port;
		l->remote_rtcp_port = remote_rtcp_port(l, m->remote_port, m->remote_rtcp_port);
		l->flags |= LEG_REMOTE_KNOWN;
		l->state = (uint8_t)((l->state & ~(LEG_RTP_GUESSED | LEG_RTCP_GUESSED)) |
				     ((l->flags & LEG_RTCP_MUX) ? 0 : LEG_GUESSED_OF(m->remote_guessed)));
	}
	if (m->forget_remote) { /* as added without one: conf_latch() learns it */
		l->flags &= (uint8_t)~LEG_REMOTE_KNOWN;
		memset(l->remote, 0, sizeof(l->remote));
		l->remote_port = 0;
		l->remote_rtcp_port = 0;
		l->state = (uint8_t)(l->state & ~(LEG_RTP_GUESSED | LEG_RTCP_GUESSED));
	}
	if (a->drop_own)
		while ((os = SLIST_FIRST(&l->streams)) != NULL) {
			os_unlink(os);
			a->dead[a->ndead++] = os;
		}
	if (a->to_kg) {
		struct mxp_keygroup *old = l->kg;
		conf_signal_leg_moved(w, l, a->dead, &a->ndead); /* switch: its signal stream */
		if (a->to_kg_new)
			kg_link(cf, a->to_kg);
		conf_rcv_grow_apply(&a->grow);
		if (mix)
			conf_mix_prep_apply(cf, &a->mix);
		conf_rcv_leave(l);
		conf_rcv_join(a->to_kg, l);
		if (old->nrcv == 0) {
			kg_unlink_empty(cf, old, a->dead, &a->ndead);
			a->dead_kg = old;
		}
	} else {
		conf_rcv_refresh(l); /* mode, address */
	}
	for (uint32_t i = 0; i < a->nadd; i++)
		os_link(a->add[i]);
	if (cf->mode == MXP_CONF_SWITCH)
		SLIST_FOREACH(os, &l->streams, by_sender)
			os->self_group = os->kg == l->kg;
	if (mix) {
		conf_mix_count(l, +1);
		mxp_media_leg_set_mode(l->ml, (enum mxp_stream_mode)l->mode);
		mxp_media_leg_set_mute(l->ml, (l->flags & LEG_MUTED) ||
						      (cf->floor && cf->floor != l));
		if (a->new_priv) {
			/* the private mix now goes out under the new group's key */
			a->old_priv = l->priv;
			l->priv = a->new_priv;
		}
	}
}

static int
find_mki(const struct mxp_conf_keys *ks, const uint8_t *mki, uint8_t len)
{
	for (unsigned int i = 0; i < ks->nkeys; i++)
		if (ks->key[i].mki_len == len && !memcmp(ks->key[i].mki, mki, len))
			return (int)i;
	return -1;
}

/* Remove key i of a key shape and its origin. */
static void
shape_remove(struct mxp_conf_keys *ks, int from[], unsigned int i)
{
	for (unsigned int j = i; j + 1 < ks->nkeys; j++) {
		ks->key[j] = ks->key[j + 1];
		from[j] = from[j + 1];
	}
	ks->nkeys--;
	memset(&ks->key[ks->nkeys], 0, sizeof(ks->key[0]));
	if (ks->active > i)
		ks->active--;
}

/* The shape (suite, MKI, lifetime: never the key bytes) of a key given in a request. */
static struct mxp_conf_key
key_shape(const struct mxp_conf_key *k)
{
	struct mxp_conf_key s;
	memset(&s, 0, sizeof(s));
	s.suite = k->suite;
	s.mki_len = k->mki_len;
	memcpy(s.mki, k->mki, sizeof(s.mki));
	s.lifetime = k->lifetime;
	return s;
}

/*
 * The keys a modification leads to, validated: for each inbound and outbound key of the
 * result, where it comes from (its index in the current set, or -1: the key the request
 * adds), and the outbound key active afterwards. *act is the activated key, or -1.
 */
struct mod_plan {
	int in_from[MXP_SRTP_MAX_KEYS], out_from[MXP_SRTP_MAX_KEYS];
	unsigned int nin, nout, active;
	int act;
};

static int
mod_keys(const struct conf_kset *old, const struct mxp_leg_mod *m, struct mod_plan *pl,
	 char *err, size_t errlen)
{
	struct mxp_conf_keys in, out;
	int r = 0;
	conf_kset_shape(old, false, &in);
	conf_kset_shape(old, true, &out);
	for (unsigned int i = 0; i < MXP_SRTP_MAX_KEYS; i++)
		pl->in_from[i] = pl->out_from[i] = (int)i;
	pl->act = -1;
	if (m->add_in_key) {
		if (in.nkeys == MXP_SRTP_MAX_KEYS)
			return conf_errf(err, errlen, -ENOSPC, "inbound: already %d keys",
					 MXP_SRTP_MAX_KEYS);
		pl->in_from[in.nkeys] = -1;
		in.key[in.nkeys++] = key_shape(&m->in_key);
		r = conf_check_keys(&in, "inbound (participant) key", err, errlen);
	}
	if (!r && m->add_out_key) {
		if (out.nkeys == MXP_SRTP_MAX_KEYS)
			return conf_errf(err, errlen, -ENOSPC, "outbound: already %d keys",
					 MXP_SRTP_MAX_KEYS);
		pl->out_from[out.nkeys] = -1;
		out.key[out.nkeys++] = key_shape(&m->out_key);
		r = conf_check_keys(&out, "outbound (mixer) key", err, errlen);
	}
	if (!r && m->activate_out) {
		pl->act = find_mki(&out, m->activate_mki, m->activate_mki_len);
		if (pl->act < 0)
			r = conf_errf(err, errlen, -ENOENT, "outbound: no key with that MKI");
	}
	if (!r && m->remove_in) {
		int i = find_mki(&in, m->remove_mki, m->remove_mki_len);
		if (i < 0)
			r = conf_errf(err, errlen, -ENOENT, "inbound: no key with that MKI");
		else if (in.nkeys == 1)
			r = conf_errf(err, errlen, -EINVAL, "inbound: cannot remove the last key");
		else
			shape_remove(&in, pl->in_from, (unsigned int)i);
	}
	if (!r && m->remove_out) {
		int i = find_mki(&out, m->remove_mki, m->remove_mki_len);
		if (i < 0)
			r = conf_errf(err, errlen, -ENOENT, "outbound: no key with that MKI");
		else if (i == (pl->act >= 0 ? pl->act : out.active))
			r = conf_errf(err, errlen, -EINVAL, "outbound: cannot remove the active key");
		else {
			shape_remove(&out, pl->out_from, (unsigned int)i);
			if (pl->act > i)
				pl->act--;
		}
	}
	pl->nin = in.nkeys;
	pl->nout = out.nkeys;
	pl->active = pl->act >= 0 ? (unsigned int)pl->act : out.active;
	return r;
}

/*
 * Build the key set of a plan: the keys that stay share their sessions with the current
 * set (their reference moves), a key the request adds gets its metadata and session here.
 * *add_in / *add_out receive the sessions created (NULL if none).
 */
static int
mod_kset(struct mxp_conf_sys *sys, struct mxp_conf *cf, const struct conf_kset *old,
	 const struct mxp_leg_mod *m, const struct mod_plan *pl, struct conf_kset **out,
	 struct mxp_srtp_key **add_in, struct mxp_srtp_key **add_out, char *err, size_t errlen)
{
	struct conf_kset *s = conf_kset_new(sys, pl->nin, pl->nout);
	*out = s;
	*add_in = *add_out = NULL;
	if (s == NULL)
		return conf_errf(err, errlen, -ENOMEM, "out of memory");
	s->out_active = (uint8_t)pl->active;
	for (unsigned int i = 0; i < pl->nin; i++) {
		if (pl->in_from[i] >= 0) {
			*conf_kin(s, i) = *conf_kin(old, (unsigned int)pl->in_from[i]);
			continue;
		}
		int r = conf_kmeta_fill(sys, conf_kin(s, i), &m->in_key, true,
					shared_session(cf, &m->in_key), err, errlen);
		if (r)
			return r;
		*add_in = conf_kin(s, i)->ks;
	}
	for (unsigned int i = 0; i < pl->nout; i++) {
		if (pl->out_from[i] >= 0) {
			*conf_kout(s, i) = *conf_kout(old, (unsigned int)pl->out_from[i]);
			continue;
		}
		int r = conf_kmeta_fill(sys, conf_kout(s, i), &m->out_key,
					cf->mode != MXP_CONF_FORWARD,
					shared_session(cf, &m->out_key), err, errlen);
		if (r)
			return r;
		*add_out = conf_kout(s, i)->ks;
	}
	return 0;
}

/* A key set that did not take effect: drop the sessions it created, keep the shared ones. */
static void
mod_kset_undo(struct mxp_conf_sys *sys, struct conf_kset *s, struct mxp_srtp_key *add_in,
	      struct mxp_srtp_key *add_out, const struct mxp_leg_mod *m)
{
	if (s == NULL)
		return;
	conf_key_put(sys, add_in, m->in_key.suite);
	conf_key_put(sys, add_out, m->out_key.suite);
	conf_kset_free(sys, s, false);
}

int
mxp_conf_leg_modify(struct mxp_conf_sys *sys, uint32_t leg_id, const struct mxp_leg_mod *m,
		    char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	struct mxp_leg_ctl *lc = conf_find_leg(sys, leg_id);
	if (lc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no leg %u", leg_id);
	struct mxp_leg *l = lc->leg;
	struct mxp_conf *cf = l->conf;

	/* Validate everything first. */
	if (m->set_mode && (unsigned int)m->mode > MXP_SM_INACTIVE)
		return conf_errf(err, errlen, -EINVAL, "bad stream mode");
	if (m->set_remote &&
	    (m->remote.af != ((l->flags & LEG_AF6) ? AF_INET6 : AF_INET) || m->remote_port == 0))
		return conf_errf(err, errlen, -EINVAL,
				 "remote address must be of the local address' family, with a port");
	/* strict and asymmetric as they will be (only commands change them: no race) */
	uint8_t fl = __atomic_load_n(&l->flags, __ATOMIC_RELAXED);
	bool strict = m->set_strict ? m->strict : (fl & LEG_STRICT) != 0;
	bool asym = m->set_asymmetric ? m->asymmetric : (fl & LEG_ASYM) != 0;
	if (m->forget_remote && (m->set_remote || (fl & LEG_PLAIN)))
		return conf_errf(err, errlen, -EINVAL,
				 "forget_remote: not with set_remote, nor on a plain RTP leg (it needs "
				 "its remote address)");
	if (asym) {
		int ra = conf_asym_check(strict, (fl & LEG_PLAIN) != 0,
					 !m->forget_remote &&
						 (m->set_remote || (fl & LEG_REMOTE_KNOWN)),
					 err, errlen);
		if (ra)
			return ra;
	}
	bool to_cascade = m->set_cascade && m->cascade && !lc->cascade;
	if (to_cascade) {
		int rc = conf_cascade_check(cf, err, errlen);
		if (rc)
			return rc;
	}
	if ((m->add_in_key || m->add_out_key || m->remove_in || m->remove_out || m->activate_out) &&
	    (l->flags & LEG_PLAIN))
		return conf_errf(err, errlen, -EINVAL, "a plain RTP leg has no keys");
	if (cf->mode == MXP_CONF_FORWARD && (m->add_out_key || m->activate_out || m->add_in_key))
		return conf_errf(err, errlen, -ENOTSUP,
				 "forward mode: rekey the conference key on every leg (remove and add the legs)");
	/* codecs as they will be: checked as an add checks them, changed only if different */
	struct mxp_leg_params np;
	bool codecs = false;
	if (m->set_codecs) {
		if (m->codecs == NULL)
			return conf_errf(err, errlen, -EINVAL, "set_codecs without codecs");
		memset(&np, 0, sizeof(np));
		np.n_pt = m->codecs->n_pt;
		memcpy(np.pt, m->codecs->pt, sizeof(np.pt));
		np.event_pt = m->codecs->event_pt;
		np.n_codecs = m->codecs->n_codecs;
		memcpy(np.codecs, m->codecs->codecs, sizeof(np.codecs));
		np.rtp_clock = m->codecs->rtp_clock;
		np.mode = m->set_mode ? m->mode : (enum mxp_stream_mode)l->mode;
		np.cascade = lc->cascade; /* (a cascade change applies to the new media leg) */
		int rc = codecs_check(&np, err, errlen);
		if (rc)
			return rc;
		codecs = mxp_conf_codecs_sig(&np) != lc->codecs_sig;
	}
	struct mod_plan pl;
	struct conf_kset *nks = NULL;
	struct mxp_srtp_key *add_out_ks = NULL;
	int r = 0;
	if (lc->keys != NULL) {
		r = mod_keys(lc->keys, m, &pl, err, errlen);
		if (r)
			return r;
	}

	/* Prepare the keys, group moves and streams. */
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_LEG_MOD);
	if (c == NULL)
		return conf_errf(err, errlen, -ENOMEM, "out of memory");
	struct leg_mod_args *a = &c->u.leg_mod;
	a->leg = l;
	a->m = *m;
	a->m.codecs = NULL; /* the caller's: never read on the worker */
	if (to_cascade && (r = conf_mix_xslot_new(sys, cf, &a->xslot, err, errlen)) != 0)
		goto out;
	if (lc->keys != NULL) {
		r = mod_kset(sys, cf, lc->keys, m, &pl, &nks, &a->add_in_ks, &add_out_ks, err,
			     errlen);
		if (r)
			goto out;
		/* the inbound session the participant's stream stops using */
		for (unsigned int i = 0; i < lc->keys->nin && m->remove_in; i++) {
			bool kept = false;
			for (unsigned int j = 0; j < pl.nin; j++)
				kept |= pl.in_from[j] == (int)i;
			if (!kept)
				a->rm_in_ks = conf_kin(lc->keys, i)->ks;
		}
		/* SSRC collisions are per master key. While old and new inbound keys overlap
		 * (make before break) the participant may still send under the old one: the
		 * key collisions are checked under changes when a key is removed, to the
		 * newest left (keys are added at the end) */
		if (a->rm_in_ks != NULL && pl.nin > 0)
			a->in_key_id = conf_kin(nks, pl.nin - 1)->key_id;
	}
	bool was_sender = mxp_stream_mode_sends(l->mode);
	bool sender = m->set_mode ? mxp_stream_mode_sends((uint8_t)m->mode) : was_sender;
	uint32_t cap = 2 * (cf->nkgs + cf->nlegs + 2);
	a->add = rte_zmalloc("mxp_mod_add", cap * sizeof(*a->add), 0);
	a->dead = rte_zmalloc("mxp_mod_dead", cap * sizeof(*a->dead), 0);
	if (a->add == NULL || a->dead == NULL)
		goto nomem;
	if (nks != NULL && pl.act >= 0 && cf->mode != MXP_CONF_FORWARD) {
		const struct conf_kmeta *k = conf_kout(nks, nks->out_active);
		if (memcmp(k->gdigest, l->kg->digest, 32) != 0) {
			a->to_kg = conf_kg_find(cf, k->gdigest);
			if (a->to_kg == NULL) {
				a->to_kg = conf_kg_new(sys, cf, k);
				a->to_kg_new = true;
				if (a->to_kg == NULL)
					goto nomem;
			} else if (conf_rcv_reserve(sys, a->to_kg, &a->grow) != 0) {
				goto nomem;
			}
		}
	}
	if (codecs) {
		a->codecs = true;
		a->event_pt = np.event_pt >= 96 && np.event_pt <= 127 ? (uint8_t)np.event_pt : 0;
		if (np.n_pt == 0)
			a->pt_ok[0] = a->pt_ok[1] = UINT64_MAX;
		for (unsigned int i = 0; i < np.n_pt; i++)
			a->pt_ok[np.pt[i] / 64] |= 1ull << (np.pt[i] % 64);
		a->clock = conf_rtcp_clock(&np);
		if (cf->mode == MXP_CONF_MIX) {
			r = conf_mix_legset_build(sys, cf, l, &np, &a->ms, err, errlen);
			if (r)
				goto out;
		}
	}
	/* mix: a codec change that makes it hear another format (a new first codec, or its
	 * parameters) gets new streams; one that keeps the format (payload types added or
	 * reordered, CN, events) keeps its private and shared streams */
	a->new_slot = a->ms.ml != NULL && a->ms.out_codec != l->out_codec;
	if (cf->mode == MXP_CONF_MIX && (a->to_kg || a->new_slot)) {
		/* a new private stream (under the new group's key, or for the new codec) and
		 * the shared mix of its format in its group */
		struct mxp_keygroup *kg = a->to_kg ? a->to_kg : l->kg;
		a->new_priv = conf_mix_priv_new(sys, l, kg, err, errlen);
		if (a->new_priv == NULL ||
		    conf_mix_prep(sys, cf, kg, a->new_slot ? a->ms.out_codec : l->out_codec, &a->mix,
				  err, errlen) != 0)
			goto nomem;
	}
	if (cf->mode == MXP_CONF_SWITCH) {
		/* Streams for a new group: from every sender (including this leg). */
		if (a->to_kg_new) {
			struct mxp_leg *s;
			TAILQ_FOREACH(s, &cf->legs, in_conf) {
				bool s_sends = s == l ? sender : mxp_stream_mode_sends(s->mode);
				if (!s_sends)
					continue;
				a->add[a->nadd] = conf_ostream_new(sys, a->to_kg, s, err, errlen);
				if (a->add[a->nadd] == NULL)
					goto nomem;
				a->nadd++;
			}
		}
		/* This leg starts sending: one stream to each existing group, but not to the group
		 * it leaves if it is that group's last member (the group goes with the move). */
		if (sender && !was_sender) {
			struct mxp_keygroup *kg;
			TAILQ_FOREACH(kg, &cf->kgs, next) {
				if (a->to_kg && kg == l->kg && l->kg->nrcv == 1)
					continue;
				a->add[a->nadd] = conf_ostream_new(sys, kg, l, err, errlen);
				if (a->add[a->nadd] == NULL)
					goto nomem;
				a->nadd++;
			}
		}
		a->drop_own = was_sender && !sender;
	}
	r = conf_post(sys, cf->worker, c);
	if (r) {
		/* Nothing ran: undo the preparations. */
		r = conf_errf(err, errlen, r, "worker %u did not answer", cf->worker);
		goto out;
	}
	if (c->result) {
		/* The inbound key was refused (validated, so it cannot be): the worker changed
		 * nothing; undo the preparations. */
		r = conf_errf(err, errlen, c->result, "inbound key could not be installed");
		goto out;
	}
	if (m->set_cascade && m->cascade != lc->cascade) {
		cf->ncascade = m->cascade ? cf->ncascade + 1 : cf->ncascade - 1;
		lc->cascade = m->cascade;
	}
	/* Commit the control-side view: the new key set replaces the old one; the sessions
	 * of the keys it dropped go once no worker can still use them. */
	struct conf_kset *old = lc->keys;
	if (nks != NULL)
		lc->keys = nks;
	nks = NULL;
	a->add_in_ks = add_out_ks = NULL;
	conf_rcu_sync(sys);
	if (old != lc->keys) {
		for (unsigned int i = 0; i < old->nin; i++) {
			bool kept = false;
			for (unsigned int j = 0; j < pl.nin; j++)
				kept |= pl.in_from[j] == (int)i;
			if (!kept)
				conf_key_put(sys, conf_kin(old, i)->ks, conf_kin(old, i)->suite);
		}
		for (unsigned int i = 0; i < old->nout; i++) {
			bool kept = false;
			for (unsigned int j = 0; j < pl.nout; j++)
				kept |= pl.out_from[j] == (int)i;
			if (!kept)
				conf_key_put(sys, conf_kout(old, i)->ks, conf_kout(old, i)->suite);
		}
		conf_kset_free(sys, old, false);
	}
	if (a->codecs) {
		lc->codecs_sig = mxp_conf_codecs_sig(&np);
		lc->codec_changes++;
		if (cf->mode != MXP_CONF_MIX) {
			/* switch: the old codec's signal encoder goes (its bytes by the old
			 * codec), later signals use the new codec */
			conf_signal_enc_free(sys, lc, a->old_sw_enc);
			a->old_sw_enc = NULL;
			conf_signal_leg_codec(lc, &np);
		}
	}
	if (a->ms.ml) {
		/* the worker swapped the media legs: the old one's decoders and encoder go
		 * with it, its statistics stay with the leg */
		struct conf_mix_legset *o = &a->ms;
		for (unsigned int i = 0; i < RTE_DIM(o->dec); i++) {
			void *d = lc->dec[i];
			lc->dec[i] = o->dec[i];
			o->dec[i] = d;
		}
		struct mxp_media_coder *e = lc->priv_enc;
		lc->priv_enc = o->priv_enc;
		o->priv_enc = e;
		uint32_t b = lc->codec_bytes;
		lc->codec_bytes = o->codec_bytes;
		o->codec_bytes = b;
		o->new_fmt = 0; /* the slot it took is the leg's now */
		conf_mix_ml_retire(lc, o->ml);
		conf_mix_legset_free(sys, cf, o);
	}
	/* streams first: each refers to its group (SSRC registry, key session) */
	for (uint32_t i = 0; i < a->ndead; i++)
		conf_ostream_free(sys, a->dead[i]);
	conf_ostream_free(sys, a->old_priv);
	conf_kg_free(sys, a->dead_kg);
	conf_rcv_grow_done(sys, &a->grow); /* the array the worker replaced */
	a->new_priv = NULL;
	a->nadd = 0;
	a->to_kg_new = false;
	spares(sys, cf);
	goto out;
nomem:
	if (err && err[0] == '\0')
		conf_errf(err, errlen, -ENOMEM, "out of memory");
	r = -ENOMEM;
out:
	conf_mix_xslot_done(sys, cf, a->xslot, a->xslot_in); /* kept if the mixer took it */
	mod_kset_undo(sys, nks, a->add_in_ks, add_out_ks, m); /* NULL once committed */
	conf_mix_prep_free(sys, &a->mix); /* emptied if the worker installed it */
	conf_mix_legset_free(sys, cf, &a->ms); /* a media leg not installed (after the prep:
						* a slot nobody encodes for goes back) */
	conf_ostream_free(sys, a->new_priv);
	for (uint32_t i = 0; i < a->nadd; i++)
		conf_ostream_free(sys, a->add[i]);
	if (a->to_kg_new)
		conf_kg_free(sys, a->to_kg);
	if (a->grow.kg)
		conf_rcv_grow_done(sys, &a->grow); /* not taken: the new array */
	rte_free(a->add);
	rte_free(a->dead);
	conf_cmd_put(c); /* wipes the copy of the request */
	return r;
}
