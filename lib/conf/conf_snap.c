/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the control core reads (snapshots of conferences, legs and key groups, what to
 * notify about a leg's keys and SSRC, and memory). Counters are read while the owner worker
 * updates them (aligned 64-bit loads); lists and arrays are walked outside commands, when
 * only commands change them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf_priv.h"

int
mxp_conf_get(struct mxp_conf_sys *sys, uint32_t id, struct mxp_conf_info *info)
{
	struct mxp_conf_ctl *cc = conf_find(sys, id);
	if (cc == NULL)
		return -ENOENT;
	struct mxp_conf *cf = cc->conf;
	memset(info, 0, sizeof(*info));
	info->id = cf->id;
	info->mode = (enum mxp_conf_mode)cf->mode;
	info->topn = cf->topn;
	info->worker = cf->worker;
	info->floor = cf->floor ? cf->floor->id : 0;
	if (cf->mixer) {
		struct mxp_media_mixer_stats ms;
		mxp_media_mixer_stats_get(cf->mixer, &ms);
		info->mix_ticks = ms.ticks;
		info->mix_late_ticks = ms.late_ticks;
		info->mix_talker_changes = ms.talker_changes;
		info->mix_rate = ms.rate;
	}
	info->nlegs = cf->nlegs;
	info->ncascade = cf->ncascade;
	info->nkeygroups = cf->nkgs;
	info->rx_pkts = cf->rx_pkts;
	info->tx_pkts = cf->tx_pkts;
	info->created_ms = cf->created_ms;
	snprintf(info->name, sizeof(info->name), "%s", cf->name);
	struct mxp_keygroup *kg;
	info->encryptions = cf->enc_gone;
	info->decryptions = cf->dec_gone;
	TAILQ_FOREACH(kg, &cf->kgs, next)
		info->encryptions += kg->encryptions;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cf->legs, in_conf)
		if (l->in) {
			struct mxp_srtp_stats st;
			mxp_srtp_stream_stats(l->in, &st);
			info->decryptions += st.decryptions;
		}
	return 0;
}

static void
key_info(const struct conf_kmeta *k, struct mxp_leg_key_info *ki)
{
	memcpy(ki->fp, k->fp, sizeof(ki->fp));
	memcpy(ki->mki, k->mki, MXP_SRTP_MAX_MKI_LEN);
	ki->mki_len = k->mki_len;
	ki->lifetime = k->lifetime;
}

int
mxp_conf_leg_get(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_info *info)
{
	struct mxp_leg_ctl *lc = conf_find_leg(sys, leg_id);
	if (lc == NULL)
		return -ENOENT;
	struct mxp_leg *l = lc->leg;
	memset(info, 0, sizeof(*info));
	info->id = l->id;
	info->conf_id = l->conf->id;
	if (l->in != NULL) {
		struct mxp_srtp_stream_info si;
		mxp_srtp_stream_info(l->in, &si);
		info->rx_state.valid = si.started && si.ssrc_known;
		info->rx_state.ssrc = si.ssrc;
		info->rx_state.roc = si.roc;
		info->rx_state.s_l = si.s_l;
		info->rx_state.srtcp_valid = si.srtcp_started && si.ssrc_known;
		info->rx_state.srtcp_index = si.srtcp_index;
	}
	info->keygroup_id = l->kg->id;
	info->port_idx = l->port_idx;
	info->local = l->local_ip;
	info->local_port = l->local_port;
	info->local_rtcp_port = l->local_rtcp_port;
	info->remote_known = (l->flags & LEG_REMOTE_KNOWN) != 0;
	if (info->remote_known)
		info->remote = conf_leg_remote(l);
	info->remote_port = l->remote_port;
	info->remote_guessed = LEG_GUESSED_TO(l->state);
	info->remote_rtcp_port = l->remote_rtcp_port;
	info->rtcp_mux = (l->flags & LEG_RTCP_MUX) != 0;
	info->strict = (l->flags & LEG_STRICT) != 0;
	info->asymmetric = (l->flags & LEG_ASYM) != 0;
	info->cascade = l->lc != NULL && l->lc->cascade;
	info->codecs_sig = l->lc != NULL ? l->lc->codecs_sig : 0;
	info->codec_changes = l->lc != NULL ? l->lc->codec_changes : 0;
	info->audio_level_id = l->audio_level_id;
	info->plain = (l->flags & LEG_PLAIN) != 0;
	info->muted = (l->flags & LEG_MUTED) != 0;
	info->mode = (enum mxp_stream_mode)l->mode;
	snprintf(info->label, sizeof(info->label), "%s", l->label);

	struct mxp_leg_stats *st = &info->st;
	st->rx_pkts = l->rx_pkts;
	st->rx_bytes = l->rx_bytes;
	st->rtcp_rx = l->st.rtcp_rx;
	st->tx_pkts = l->st.tx_pkts;
	st->tx_bytes = l->st.tx_bytes;
	st->rtcp_tx = l->st.rtcp_tx;
	if (l->rcv_idx != UINT32_MAX) { /* what its current entry sent (a removed leg has none) */
		const struct conf_rcv *e = conf_leg_rcv(l);
		st->tx_pkts += e->tx_pkts;
		st->tx_bytes += e->tx_bytes;
		st->rtcp_tx += e->rtcp_tx;
	}
	for (unsigned int k = 0; k < MXP_LEG_DROP_COUNT; k++)
		st->drops[k] = l->st.drops[k];
	st->drops[MXP_LEG_DROP_NOT_SENDING] = l->st.not_sending;
	st->drops[MXP_LEG_DROP_SOURCE_MISMATCH] = l->st.source_mismatch;
	st->other_drops = l->st.other_drops;
	st->source_mismatch = l->st.source_mismatch;
	st->latches = l->st.latches;
	st->not_sending = l->st.not_sending;
	st->topn_filtered = l->st.topn_filtered;
	st->floor_filtered = l->st.floor_filtered;
	st->dtmf = l->st.dtmf;
	st->dtmf_log = __atomic_load_n(&l->st.dtmf_log, __ATOMIC_RELAXED);
	st->last_rx_tsc = l->last_rx_tsc;
	st->ssrc = l->ssrc;
	st->ssrc_known = (l->state & LEG_SSRC_KNOWN) != 0;
	st->remote_fraction_lost = l->st.remote_fraction_lost;
	st->remote_jitter = l->st.remote_jitter;
	st->rtcp_sr = l->rtx.sr;
	st->rtcp_rr = l->rtx.rr;
	st->rtcp_bye = l->rtx.bye;
	if (l->conf->mode == MXP_CONF_MIX) {
		struct mxp_media_leg_stats ms;
		conf_mix_ml_stats(l, &ms);
		st->jb_depth_ms = ms.depth_ms;
		const struct conf_mix_fmt *f = &l->conf->fmt[l->out_codec];
		const struct mxp_media_codec_ops *o = mxp_media_codec_ops(f->codec);
		info->codec = f->codec;
		info->codec_pt = l->out_pt;
		/* the group's counts are the worker's: a snapshot's view, as the statistics */
		info->cn_listed = l->cn_out != 0;
		info->cn = l->cn_out && l->kg->nrecv_cn[l->out_codec] ==
					       l->kg->nrecv_codec[l->out_codec];
		info->enc.mode = info->enc.cmr_sent = info->enc.complexity = -1;
		if (o != NULL) {
			o->fmtp_format(&f->fmtp, info->fmtp, sizeof(info->fmtp));
			if (lc->priv_enc != NULL && o->enc_state != NULL)
				o->enc_state(lc->priv_enc->xs, &info->enc);
		}
		mxp_media_leg_codec_info(l->ml, &info->rx_codec);
		st->jb_late = ms.rx[MXP_MEDIA_RX_LATE];
		/* the jitter buffer's refusals (lib/conf counted them as other_drops only) */
		st->drops[MXP_LEG_DROP_UNKNOWN_PT] += ms.rx[MXP_MEDIA_RX_UNKNOWN_PT];
		st->drops[MXP_LEG_DROP_TOO_LARGE] += ms.rx[MXP_MEDIA_RX_TOO_LARGE];
		st->drops[MXP_LEG_DROP_BAD_PAYLOAD] += ms.rx[MXP_MEDIA_RX_BAD_PAYLOAD];
		st->drops[MXP_LEG_DROP_DUPLICATE] += ms.rx[MXP_MEDIA_RX_DUPLICATE];
		st->drops[MXP_LEG_DROP_LATE] += ms.rx[MXP_MEDIA_RX_LATE];
		st->drops[MXP_LEG_DROP_OUTLIER] += ms.rx[MXP_MEDIA_RX_OUTLIER];
		st->drops[MXP_LEG_DROP_FLUSHED] += ms.flushed;
		st->jb_lost = ms.lost;
		st->concealed = ms.concealed;
		st->fec_recovered = ms.fec_recovered;
	}
	info->out_active = -1;
	if (!(l->flags & LEG_PLAIN)) {
		const struct conf_kset *ks = lc->keys;
		info->in_suite = (enum mxp_srtp_suite)conf_kin(ks, 0)->suite;
		info->out_suite = (enum mxp_srtp_suite)conf_kout(ks, 0)->suite;
		info->n_in_keys = ks->nin;
		info->n_out_keys = ks->nout;
		for (unsigned int i = 0; i < ks->nin; i++)
			key_info(conf_kin(ks, i), &info->in_keys[i]);
		for (unsigned int i = 0; i < ks->nout; i++)
			key_info(conf_kout(ks, i), &info->out_keys[i]);
		info->out_active = (int8_t)ks->out_active;
		struct mxp_srtp_stream_info si;
		mxp_srtp_stream_info(l->in, &si);
		st->ssrc = si.ssrc;
		st->ssrc_known = si.ssrc_known;
		struct mxp_srtp_stats ss;
		mxp_srtp_stream_stats(l->in, &ss);
		st->auth_failures = ss.drops[MXP_SRTP_R_AUTH];
		st->replays = ss.drops[MXP_SRTP_R_REPLAY];
		st->too_old = ss.drops[MXP_SRTP_R_TOO_OLD];
	}
	return 0;
}

uint32_t
mxp_conf_list(struct mxp_conf_sys *sys, uint32_t *ids, uint32_t max)
{
	uint32_t n = 0, it = 0;
	const void *key;
	void *data;
	while (rte_hash_iterate(sys->confs, &key, &data, &it) >= 0) {
		if (n < max)
			ids[n] = *(const uint32_t *)key;
		n++;
	}
	/* ascending */
	uint32_t m = n < max ? n : max;
	for (uint32_t i = 1; i < m; i++)
		for (uint32_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint32_t t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return n;
}

int
mxp_conf_legs(struct mxp_conf_sys *sys, uint32_t conf_id, uint32_t *ids, uint32_t max)
{
	struct mxp_conf_ctl *cc = conf_find(sys, conf_id);
	if (cc == NULL)
		return -ENOENT;
	uint32_t n = 0;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cc->conf->legs, in_conf) {
		if (n < max)
			ids[n] = l->id;
		n++;
	}
	return (int)n;
}

int
mxp_conf_keygroups(struct mxp_conf_sys *sys, uint32_t conf_id, struct mxp_keygroup_info *out,
		   uint32_t max)
{
	struct mxp_conf_ctl *cc = conf_find(sys, conf_id);
	if (cc == NULL)
		return -ENOENT;
	uint32_t n = 0;
	struct mxp_keygroup *kg;
	TAILQ_FOREACH(kg, &cc->conf->kgs, next) {
		if (n < max) {
			struct mxp_keygroup_info *k = &out[n];
			memset(k, 0, sizeof(*k));
			k->id = kg->id;
			memcpy(k->fingerprint, kg->fp, sizeof(k->fingerprint));
			k->members = kg->nrcv;
			k->streams = kg->nstreams;
			k->encryptions = kg->encryptions;
			k->sent = kg->sent;
		}
		n++;
	}
	return (int)n;
}

/* ---- key usage and SSRC changes --------------------------------------------------------------- */

/* A key session's use so far (relaxed loads of what the worker counts). */
static void
usage_of(const struct mxp_srtp_key *ks, uint64_t *srtp, uint64_t *srtcp)
{
	struct mxp_srtp_key_info ki;
	if (ks != NULL && mxp_srtp_key_info(ks, &ki) == 0) {
		*srtp = ki.srtp_total;
		*srtcp = ki.srtcp_total;
	}
}

static void
limits(const struct conf_kmeta *k, struct mxp_leg_key_usage *u)
{
	uint64_t lt = k->lifetime ? k->lifetime : UINT64_MAX;
	u->srtp_limit = lt < MXP_SRTP_MAX_SRTP_PACKETS ? lt : MXP_SRTP_MAX_SRTP_PACKETS;
	u->srtcp_limit = lt < MXP_SRTP_MAX_SRTCP_PACKETS ? lt : MXP_SRTP_MAX_SRTCP_PACKETS;
	memcpy(u->mki, k->mki, sizeof(u->mki));
	u->mki_len = k->mki_len;
}

int
mxp_conf_leg_events(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_events *ev)
{
	const struct mxp_leg_ctl *lc = conf_find_leg(sys, leg_id);
	if (lc == NULL)
		return -ENOENT;
	const struct mxp_leg *l = lc->leg;
	memset(ev, 0, sizeof(*ev));
	if (l->flags & LEG_PLAIN)
		return 0;
	struct mxp_srtp_stats st;
	mxp_srtp_stream_stats(l->in, &st);
	ev->ssrc_mismatch = st.drops[MXP_SRTP_R_SSRC_MISMATCH];
	struct mxp_srtp_stream_info si;
	mxp_srtp_stream_info(l->in, &si);
	ev->ssrc_other = si.other_ssrc;
	ev->key_exhausted_drops = st.drops[MXP_SRTP_R_KEY_EXHAUSTED];
	const struct conf_kset *ks = lc->keys;
	ev->n_in = ks->nin;
	for (unsigned int i = 0; i < ks->nin; i++) {
		limits(conf_kin(ks, i), &ev->in[i]);
		usage_of(conf_kin(ks, i)->ks, &ev->in[i].srtp_used, &ev->in[i].srtcp_used);
	}
	/*
	 * Outbound: the active key is the key group's; every output stream encrypted under it
	 * (one per sender in switch mode) counts against the one master key.
	 */
	ev->n_out = ks->nout;
	for (unsigned int i = 0; i < ks->nout; i++) {
		const struct conf_kmeta *k = conf_kout(ks, i);
		struct mxp_leg_key_usage *u = &ev->out[i];
		limits(k, u);
		u->active = i == ks->out_active;
		if (u->active && l->kg != NULL && !l->kg->plain && l->kg->ks != NULL &&
		    memcmp(k->gdigest, l->kg->digest, 32) == 0)
			usage_of(l->kg->ks, &u->srtp_used, &u->srtcp_used);
	}
	return 0;
}

/* ---- memory ----------------------------------------------------------------------------------- */

int
mxp_conf_memory(struct mxp_conf_sys *sys, struct mxp_conf_memory *m)
{
	if (sys == NULL || m == NULL)
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->confs = (uint32_t)sys->conf_pool.used;
	m->legs = (uint32_t)sys->leg_pool.used;
	m->keygroups = (uint32_t)sys->kg_pool.used;
	m->ostreams = (uint32_t)sys->os_pool.used;
	m->srtp_ctxs = (uint32_t)sys->mem.srtp_streams;
	m->keys = (uint32_t)sys->mem.keys;
	m->key_bytes = sys->mem.key_bytes;
	m->media_legs = (uint32_t)sys->mem.media_legs;
	m->mixers = (uint32_t)sys->mem.mixers;
	m->conf_bytes = sys->conf_pool.used * sys->conf_pool.size;
	/* a leg: its data-path structure and the control core's bookkeeping of it */
	m->leg_bytes = sys->leg_pool.used * sys->leg_pool.size +
		       sys->lc_pool.used * sys->lc_pool.size;
	for (unsigned int i = 0; i < CONF_KSET_MAX; i++)
		m->leg_bytes += sys->kset_pool[i].used * sys->kset_pool[i].size;
	m->keygroup_bytes = sys->kg_pool.used * sys->kg_pool.size;
	m->ostream_bytes = sys->os_pool.used * sys->os_pool.size;
	m->rcv_bytes = sys->mem.rcv_bytes;
	m->srtp_bytes = sys->mem.srtp_bytes;
	m->media_bytes = sys->mem.media_bytes;
	m->mixer_bytes = sys->mem.mixer_bytes;
	m->total_bytes = m->conf_bytes + m->leg_bytes + m->keygroup_bytes + m->ostream_bytes +
			 m->rcv_bytes + m->srtp_bytes + m->key_bytes + m->media_bytes + m->mixer_bytes;
	/* packets the mix legs' jitter buffers hold (their mbufs) */
	uint32_t it = 0;
	const void *key;
	void *data;
	while (rte_hash_iterate(sys->confs, &key, &data, &it) >= 0) {
		const struct mxp_conf *cf = ((const struct mxp_conf_ctl *)data)->conf;
		if (cf->mixer != NULL)
			m->buffered_pkts += mxp_media_mixer_buffered(cf->mixer);
	}
	m->reserved_bytes = conf_pool_bytes(&sys->conf_pool) + conf_pool_bytes(&sys->leg_pool) +
			    conf_pool_bytes(&sys->lc_pool) +
			    conf_pool_bytes(&sys->kg_pool) + conf_pool_bytes(&sys->os_pool) +
			    m->rcv_bytes + m->srtp_bytes + m->key_bytes + m->media_bytes +
			    m->mixer_bytes;
	for (unsigned int i = 0; i < CONF_KSET_MAX; i++)
		m->reserved_bytes += conf_pool_bytes(&sys->kset_pool[i]);
	return 0;
}
