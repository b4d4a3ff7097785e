/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The `mix` conference mode on the worker: decrypted RTP goes into each leg's jitter buffer
 * (lib/media); every ptime the conference's mixer pulls one frame from every active leg,
 * picks the talkers and mixes. Then:
 *  - each talker gets its private mix-minus-self: encoded with the talker's own encoder,
 *    under the talker's own SSRC, encrypted with its key group's key, sent to it alone;
 *  - everybody else hears the shared mix: encoded ONCE PER CODEC, then for each key group
 *    given its own RTP header (the group's stream SSRC, sequence, timestamp), encrypted
 *    ONCE PER KEY GROUP and replicated to the group's listeners of that codec.
 * Encoders belong to output streams (the shared encoder per codec here; a talker's private
 * stream is encoded with its lib/media talker slot's coder, res->talkers[i].coder), so
 * encoder state and RTP timestamps stay continuous when a leg moves between the shared
 * and its private mix. What a tick produces leaves through the emit pipeline (conf_emit.c),
 * as switched packets do.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "conf_priv.h"
#include "codec_opus.h"

#define RTP_HDR 12

static inline uint64_t
tsc_us(uint64_t tsc)
{
	return tsc / (mxp_conf_tsc_hz() / 1000000);
}

/* Low noise (-66 dBov) the DTX encoders of silent mixes are fed: an LCG, amplitude 16. */
static int16_t cn_noise[MXP_MEDIA_MAX_FRAME];

static void
cn_noise_init(void)
{
	for (uint32_t i = 0, x = 1; i < MXP_MEDIA_MAX_FRAME; i++) {
		x = x * 1103515245u + 12345u;
		cn_noise[i] = (int16_t)((int32_t)(x >> 16 & 31) - 16);
	}
}

/* The system's Opus encoder complexity, on an encoder just made (control core). */
static void
enc_tune(const struct mxp_conf_sys *sys, struct mxp_media_coder *e)
{
	if (e->codec == MXP_MEDIA_CODEC_OPUS && sys->p.opus_complexity_set)
		mxp_media_opus_set_complexity(e->xs, sys->p.opus_complexity);
}

/* What a payload type of the leg carries: its a=rtpmap (n_codecs), else the static
 * meaning; *f gets its parameters. */
static enum mxp_media_codec
pt_codec(const struct mxp_leg_params *p, uint8_t pt, const struct mxp_media_fmtp **f)
{
	static const struct mxp_media_fmtp none;
	*f = &none;
	for (unsigned int i = 0; i < p->n_codecs; i++)
		if (p->codecs[i].pt == pt) {
			*f = &p->codecs[i].fmtp;
			return (enum mxp_media_codec)p->codecs[i].codec;
		}
	switch (pt) {
	case 0: return MXP_MEDIA_CODEC_PCMU;
	case 8: return MXP_MEDIA_CODEC_PCMA;
	case 9: return MXP_MEDIA_CODEC_G722;
	default: return MXP_MEDIA_CODEC_NONE;
	}
}

/* The format slot of the conference for what a leg receives (control core): PCMU, PCMA
 * and G722 have their own; a frame codec's (codec, parameters, payload type) takes one of
 * the frame slots, shared with the legs that receive the same. -ENOSPC if all are taken. */
/* Bytes a shared-mix encoder of format slot s holds (show memory). */
static size_t
enc_bytes(const struct mxp_conf *cf, int s)
{
	const struct mxp_media_codec_ops *o =
		mxp_media_codec_ops((enum mxp_media_codec)cf->fmt[s].codec);
	return sizeof(struct mxp_media_coder) +
	       (o != NULL && o->enc_mem != NULL ? o->enc_mem(&cf->fmt[s].fmtp) : 0);
}

static int
fmt_slot(struct mxp_conf *cf, enum mxp_media_codec c, const struct mxp_media_fmtp *f,
	 uint8_t pt, uint8_t *new_fmt)
{
	if (!mxp_media_codec_is_frame(c)) {
		cf->fmt[c].codec = (uint8_t)c;
		cf->fmt[c].pt = pt;
		return (int)c;
	}
	int free_slot = -1;
	for (int s = CONF_MIX_FMT_FRAME; s < CONF_MIX_FMTS; s++) {
		struct conf_mix_fmt *x = &cf->fmt[s];
		if (x->codec == c && x->pt == pt && memcmp(&x->fmtp, f, sizeof(*f)) == 0)
			return s;
		if (x->codec == MXP_MEDIA_CODEC_NONE && free_slot < 0)
			free_slot = s;
	}
	if (free_slot < 0)
		return -ENOSPC;
	cf->fmt[free_slot].codec = (uint8_t)c;
	cf->fmt[free_slot].pt = pt;
	cf->fmt[free_slot].fmtp = *f;
	*new_fmt = (uint8_t)free_slot; /* given back if what takes it fails */
	return free_slot;
}

/* A mix leg's jitter buffer keeps the received mbufs; it returns each here once played. */
static void
mix_release(void *ref, void *arg)
{
	(void)arg;
	rte_pktmbuf_free(ref);
}

/* ---- control side: allocation ---------------------------------------------------------------- */

unsigned int
mxp_conf_max_cascade(unsigned int topn)
{
	unsigned int talkers = topn ? topn : 3;
	unsigned int room = talkers < MXP_MEDIA_MAX_TALKERS ? MXP_MEDIA_MAX_TALKERS - talkers : 0;
	return room < MXP_CONF_MAX_CASCADE ? room : MXP_CONF_MAX_CASCADE;
}

int
conf_mix_conf_init(struct mxp_conf_sys *sys, struct mxp_conf *cf, char *err, size_t errlen)
{
	if (cn_noise[0] == 0)
		cn_noise_init(); /* control core, before any worker ticks a mix */
	struct mxp_media_mixer_params mp = {
		.ptime_ms = cf->ptime,
		.max_legs = cf->max_legs,
		.max_talkers = (uint8_t)(cf->topn ? cf->topn : 3),
	};
	if (mp.max_talkers > MXP_MEDIA_MAX_TALKERS) {
		snprintf(err, errlen, "mix: at most %d talkers", MXP_MEDIA_MAX_TALKERS);
		return -EINVAL;
	}
	mp.max_cascade = (uint8_t)mxp_conf_max_cascade(cf->topn);
	mp.cascade_slots_added = true; /* a conference that never cascades: no slot for it */
	cf->max_cascade = mp.max_cascade;
	size_t sz = mxp_media_mixer_size(&mp);
	if (sz == 0) {
		snprintf(err, errlen, "mix: bad ptime %u (10, 20, 30 or 40 ms)", cf->ptime);
		return -EINVAL;
	}
	cf->mixer = rte_zmalloc("mxp_mixer", sz, 64);
	cf->mixer_size = sz;
	if (cf->mixer == NULL) {
		snprintf(err, errlen, "mix: out of memory for a mixer of %u legs", cf->max_legs);
		return -ENOMEM;
	}
	/*
	 * The first tick within one ptime, at a phase spread by the conference id (golden
	 * ratio): conferences created together do not all tick in the same poll, so the
	 * worker's work (and its longest pause) is spread over the ptime.
	 */
	uint64_t ptime_us = (uint64_t)cf->ptime * 1000;
	uint64_t phase = ((uint64_t)(uint32_t)(cf->id * 0x9e3779b9u) * ptime_us) >> 32;
	int r = mxp_media_mixer_init(cf->mixer, &mp, tsc_us(rte_rdtsc()) + phase);
	if (r) {
		rte_free(cf->mixer);
		cf->mixer = NULL;
		snprintf(err, errlen, "mix: mixer set-up failed");
		return r;
	}
	sys->mem.mixers++;
	sys->mem.mixer_bytes += sz;
	return 0;
}

void
conf_mix_conf_free(struct mxp_conf_sys *sys, struct mxp_conf *cf)
{
	conf_rec_conf_free(sys, cf);
	conf_signal_conf_free(sys, cf);
	for (int c = 0; c < CONF_MIX_FMTS; c++)
		if (cf->enc[c]) {
			mxp_media_coder_fini(cf->enc[c]);
			rte_free(cf->enc[c]);
			cf->enc[c] = NULL;
			sys->mem.mixer_bytes -= enc_bytes(cf, c);
		}
	if (cf->mixer == NULL)
		return;
	rte_free(cf->mixer);
	cf->mixer = NULL;
	sys->mem.mixers--;
	sys->mem.mixer_bytes -= cf->mixer_size;
	for (unsigned int i = 0; i < cf->nxslot; i++) {
		rte_free(cf->xslot[i]);
		cf->xslot[i] = NULL;
		sys->mem.mixer_bytes -= mxp_media_mixer_slot_size();
	}
	cf->nxslot = 0;
}

int
conf_mix_xslot_new(struct mxp_conf_sys *sys, struct mxp_conf *cf, void **slot, char *err,
		   size_t errlen)
{
	(void)sys;
	*slot = NULL;
	/* the mixer's slots: max_talkers of its own and one per cascade leg it has had at
	 * most at once (never given back: a conference that cascades keeps cascading) */
	if (cf->mode != MXP_CONF_MIX || cf->nxslot >= cf->ncascade + 1u ||
	    cf->nxslot >= RTE_DIM(cf->xslot))
		return 0;
	*slot = rte_zmalloc("mxp_mix_slot", mxp_media_mixer_slot_size(), 64);
	if (*slot == NULL)
		return conf_errf(err, errlen, -ENOMEM, "out of memory for a cascade slot");
	return 0;
}

bool
conf_mix_xslot_give(struct mxp_conf *cf, void *slot)
{
	return slot != NULL && mxp_media_mixer_slot_add(cf->mixer, slot) == 0;
}

void
conf_mix_xslot_done(struct mxp_conf_sys *sys, struct mxp_conf *cf, void *slot, bool in)
{
	if (slot == NULL)
		return;
	if (!in) {
		rte_free(slot);
		return;
	}
	cf->xslot[cf->nxslot++] = slot;
	sys->mem.mixer_bytes += mxp_media_mixer_slot_size();
}

/* Free what a build made (control core, once no worker can use it). */
void
conf_mix_legset_free(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct conf_mix_legset *s)
{
	sys->mem.media_bytes -= s->codec_bytes;
	for (unsigned int i = 0; i < RTE_DIM(s->dec); i++)
		if (s->dec[i] != NULL)
			mxp_media_codec_ops((enum mxp_media_codec)(MXP_MEDIA_CODEC_AMR + i))
				->dec_destroy(s->dec[i]);
	if (s->priv_enc != NULL) {
		mxp_media_coder_fini(s->priv_enc);
		rte_free(s->priv_enc);
	}
	if (s->ml != NULL) {
		rte_free(s->ml);
		sys->mem.media_legs--;
		sys->mem.media_bytes -= s->ml_size;
	}
	/* a slot it took and nobody installed an encoder for goes back (see fmt_release) */
	if (s->new_fmt != 0 && cf != NULL && cf->enc[s->new_fmt] == NULL)
		memset(&cf->fmt[s->new_fmt], 0, sizeof(cf->fmt[s->new_fmt]));
	memset(s, 0, sizeof(*s));
}

/*
 * Make the media leg of leg l for parameters p (its codecs, event type, mode, cascade):
 * decoders, the private encoder, the format slot it hears. On error nothing is left
 * (the slot given back).
 */
int
conf_mix_legset_build(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_leg *l,
		      const struct mxp_leg_params *p, struct conf_mix_legset *s, char *err,
		      size_t errlen)
{
	memset(s, 0, sizeof(*s));
	struct mxp_media_leg_params mp = {
		.id = l->id,
		.opaque = l,
		.ptime_ms = cf->ptime,
		.event_pt = p->event_pt ? p->event_pt : -1,
		.cn_pt = 13,
		.mode = (uint8_t)p->mode,
		.release = mix_release,
		.cascade = p->cascade,
	};
	/* Audio payload types: the leg's list, or PCMU/PCMA/G722 if it gave none. */
	static const uint8_t dflt[] = { 0, 8, 9 };
	const uint8_t *pts = p->n_pt ? p->pt : dflt;
	unsigned int npt = p->n_pt ? p->n_pt : RTE_DIM(dflt);
	enum mxp_media_codec out = MXP_MEDIA_CODEC_NONE;
	const struct mxp_media_fmtp *out_f = NULL;
	uint8_t out_pt = 0;
	int r = 0;
	for (unsigned int i = 0; i < npt && mp.n_pt < MXP_MEDIA_MAX_PT; i++) {
		const struct mxp_media_fmtp *f;
		enum mxp_media_codec c = pt_codec(p, pts[i], &f);
		if (c == MXP_MEDIA_CODEC_NONE)
			continue; /* not decoded: its packets count as unknown_pt */
		if (mxp_media_codec_is_frame(c)) {
			/* a registered codec: leg_params_check() checked codecs[] */
			const struct mxp_media_codec_ops *o = mxp_media_codec_ops(c);
			void **d = &s->dec[c - MXP_MEDIA_CODEC_AMR];
			if (*d == NULL) { /* one decoder per codec: the first PT's parameters */
				*d = o->dec_create(f);
				if (*d == NULL) {
					snprintf(err, errlen, "mix: out of memory for a %s decoder",
						 o->name);
					r = -ENOMEM;
					goto fail;
				}
				uint32_t b = o->dec_mem ? (uint32_t)o->dec_mem(f) : 0;
				s->codec_bytes += b;
				sys->mem.media_bytes += b;
			} else {
				bool same = false;
				for (unsigned int j = 0; j < mp.n_pt; j++)
					same |= mp.pt_map[j].codec == c &&
						memcmp(&mp.fmtp[j], f, sizeof(*f)) == 0;
				if (!same) {
					snprintf(err, errlen, "mix: payload type %u: %s with other "
						 "parameters than an earlier payload type (one set "
						 "per codec)", pts[i], o->name);
					r = -ENOTSUP;
					goto fail;
				}
			}
			mp.dec[mp.n_pt] = *d;
			mp.fmtp[mp.n_pt] = *f;
		}
		mp.pt_map[mp.n_pt].pt = pts[i];
		mp.pt_map[mp.n_pt].codec = (uint8_t)c;
		mp.n_pt++;
		if (out == MXP_MEDIA_CODEC_NONE) {
			out = c; /* the first one is what the leg receives */
			out_f = f;
			out_pt = pts[i];
		}
	}
	if (out == MXP_MEDIA_CODEC_NONE) {
		snprintf(err, errlen, "mix: the leg offers no payload type the mixer decodes "
				      "(PCMU 0, PCMA 8, G722 9, or AMR, AMR-WB, opus by a=rtpmap)");
		r = -EINVAL;
		goto fail;
	}
	mp.out_codec = (uint8_t)out;
	if (mxp_media_codec_is_frame(out)) {
		s->priv_enc = rte_zmalloc("mxp_priv_enc", sizeof(*s->priv_enc), 64);
		r = s->priv_enc == NULL ? -ENOMEM :
			mxp_media_coder_init_frame(s->priv_enc, out, out_f, cf->ptime);
		if (r != 0) {
			rte_free(s->priv_enc);
			s->priv_enc = NULL;
			snprintf(err, errlen, r == -EINVAL ? "mix: %s cannot send %u ms packets" :
				 "mix: out of memory for a %s encoder", mxp_media_codec_name(out),
				 cf->ptime);
			goto fail;
		}
		enc_tune(sys, s->priv_enc);
		const struct mxp_media_codec_ops *o = mxp_media_codec_ops(out);
		uint32_t b = (o->enc_mem ? (uint32_t)o->enc_mem(out_f) : 0) +
			     (uint32_t)sizeof(*s->priv_enc);
		s->codec_bytes += b;
		sys->mem.media_bytes += b;
		mp.priv_enc = s->priv_enc;
	}
	size_t sz = mxp_media_leg_size(&mp);
	if (sz == 0) { /* the parameters do not make a leg: say which one */
		char why[160];
		mxp_media_leg_check(&mp, why, sizeof(why));
		snprintf(err, errlen, "mix: %s", why);
		r = -EINVAL;
		goto fail;
	}
	int slot = fmt_slot(cf, out, out_f, out_pt, &s->new_fmt);
	if (slot < 0) {
		snprintf(err, errlen, "mix: the conference already sends %d frame-codec formats "
			 "(codec, parameters, payload type)", CONF_MIX_FMTS - CONF_MIX_FMT_FRAME);
		r = -ENOSPC;
		goto fail;
	}
	s->ml = rte_zmalloc("mxp_media_leg", sz, 64);
	if (s->ml == NULL || mxp_media_leg_init(s->ml, &mp, err, errlen) != 0) {
		rte_free(s->ml);
		s->ml = NULL;
		if (err != NULL && err[0] == '\0')
			snprintf(err, errlen, "mix: out of memory for the leg");
		r = -ENOMEM;
		goto fail;
	}
	s->ml_size = (uint32_t)sz;
	sys->mem.media_legs++;
	sys->mem.media_bytes += sz;
	s->out_codec = (uint8_t)slot;
	s->out_pt = out_pt;
	/* RFC 3389 comfort noise in silence, if it said it takes PT 13 (the static CN, clock
	 * 8000: G.711's and G.722's); AMR and Opus have their own (SID, DTX) */
	bool cn_clock = out == MXP_MEDIA_CODEC_PCMU || out == MXP_MEDIA_CODEC_PCMA ||
			out == MXP_MEDIA_CODEC_G722;
	for (unsigned int i = 0; i < p->n_pt && cn_clock; i++)
		s->cn_out |= p->pt[i] == 13;
	return 0;
fail:
	conf_mix_legset_free(sys, cf, s);
	return r;
}

int
conf_mix_leg_alloc(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_leg *l,
		   const struct mxp_leg_params *p, char *err, size_t errlen)
{
	struct conf_mix_legset s;
	int r = conf_mix_legset_build(sys, cf, l, p, &s, err, errlen);
	if (r)
		return r;
	struct mxp_leg_ctl *lc = l->lc;
	memcpy(lc->dec, s.dec, sizeof(lc->dec));
	lc->priv_enc = s.priv_enc;
	lc->codec_bytes = s.codec_bytes;
	lc->new_fmt = s.new_fmt; /* given back if the leg add fails (fmt_release) */
	l->ml = s.ml;
	l->ml_size = s.ml_size;
	l->out_codec = s.out_codec;
	l->out_pt = s.out_pt;
	l->cn_out = s.cn_out;
	l->priv = conf_mix_priv_new(sys, l, l->kg, err, errlen);
	if (l->priv == NULL) {
		conf_mix_leg_free(sys, l);
		return -ENOMEM;
	}
	return 0;
}

static void
ml_stats_add(struct mxp_media_leg_stats *to, const struct mxp_media_leg_stats *x)
{
	for (unsigned int i = 0; i < RTE_DIM(to->rx); i++)
		to->rx[i] += x->rx[i];
	to->reordered += x->reordered;
	to->lost += x->lost;
	to->concealed += x->concealed;
	to->played += x->played;
	to->silence += x->silence;
	to->accelerated += x->accelerated;
	to->expanded += x->expanded;
	to->resyncs += x->resyncs;
	to->flushed += x->flushed;
	to->events += x->events;
	to->fec_recovered += x->fec_recovered;
}

void
conf_mix_ml_stats(const struct mxp_leg *l, struct mxp_media_leg_stats *ms)
{
	mxp_media_leg_stats_get(l->ml, ms);
	if (l->lc != NULL && l->lc->ml_prior != NULL)
		ml_stats_add(ms, l->lc->ml_prior);
}

int
conf_mix_ml_retire(struct mxp_leg_ctl *lc, const struct mxp_media_leg *old)
{
	if (lc->ml_prior == NULL)
		lc->ml_prior = rte_zmalloc("mxp_ml_prior", sizeof(*lc->ml_prior), 0);
	if (lc->ml_prior == NULL)
		return -ENOMEM;
	struct mxp_media_leg_stats ms;
	mxp_media_leg_stats_get(old, &ms);
	ml_stats_add(lc->ml_prior, &ms);
	return 0;
}

struct mxp_ostream *
conf_mix_priv_new(struct mxp_conf_sys *sys, struct mxp_leg *l, struct mxp_keygroup *kg,
		  char *err, size_t errlen)
{
	/* The private mix stream: its own SSRC under the group's key; the encoder is the
	 * mixer's talker slot's while the leg talks (lib/media). */
	struct mxp_ostream *os = conf_ostream_new(sys, kg, NULL, err, errlen);
	if (os == NULL)
		return NULL;
	os->last_ts = (uint32_t)rte_rand();
	os->marker_next = true;
	os->src = l;
	return os;
}

/* The frame codecs' decoders and private encoder of a leg (after its media leg is gone). */
void
conf_mix_codecs_free(struct mxp_conf_sys *sys, struct mxp_leg_ctl *lc)
{
	sys->mem.media_bytes -= lc->codec_bytes;
	lc->codec_bytes = 0;
	for (unsigned int i = 0; i < RTE_DIM(lc->dec); i++)
		if (lc->dec[i] != NULL) {
			mxp_media_codec_ops((enum mxp_media_codec)(MXP_MEDIA_CODEC_AMR + i))
				->dec_destroy(lc->dec[i]);
			lc->dec[i] = NULL;
		}
	if (lc->priv_enc != NULL) {
		mxp_media_coder_fini(lc->priv_enc);
		rte_free(lc->priv_enc);
		lc->priv_enc = NULL;
	}
}

/*
 * A frame-format slot this leg's add took is given back if the add failed: no encoder was
 * installed for it (the worker installs one only for an add that succeeded), so no leg
 * and no stream uses it. A slot in use stays for the conference's life.
 */
static void
fmt_release(struct mxp_leg *l)
{
	struct mxp_leg_ctl *lc = l->lc;
	if (lc == NULL || lc->new_fmt == 0 || l->conf == NULL)
		return;
	struct mxp_conf *cf = l->conf;
	if (cf->enc[lc->new_fmt] == NULL)
		memset(&cf->fmt[lc->new_fmt], 0, sizeof(cf->fmt[lc->new_fmt]));
	lc->new_fmt = 0;
}

void
conf_mix_leg_free(struct mxp_conf_sys *sys, struct mxp_leg *l)
{
	fmt_release(l);
	conf_signal_leg_free(sys, l);
	if (l->priv) {
		conf_ostream_free(sys, l->priv);
		l->priv = NULL;
	}
	if (l->ml) {
		rte_free(l->ml);
		l->ml = NULL;
		sys->mem.media_legs--;
		sys->mem.media_bytes -= l->ml_size;
	}
}

int
conf_mix_prep(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_keygroup *kg,
	      uint8_t codec, struct conf_mix_prep *mp, char *err, size_t errlen)
{
	memset(mp, 0, sizeof(*mp));
	mp->kg = kg;
	mp->codec = codec;
	if (kg->mix[codec] == NULL) {
		mp->os = conf_ostream_new(sys, kg, NULL, err, errlen);
		if (mp->os == NULL)
			return -ENOMEM;
		mp->os->last_ts = (uint32_t)rte_rand();
		mp->os->marker_next = true;
	}
	if (cf->enc[codec] == NULL) {
		mp->enc = rte_zmalloc("mxp_mix_enc", sizeof(*mp->enc), 64);
		if (mp->enc == NULL) {
			conf_mix_prep_free(sys, mp);
			return -ENOMEM;
		}
		enum mxp_media_codec c = (enum mxp_media_codec)cf->fmt[codec].codec;
		int r = mxp_media_codec_is_frame(c) ?
				mxp_media_coder_init_frame(mp->enc, c, &cf->fmt[codec].fmtp,
							   cf->ptime) :
				mxp_media_coder_init(mp->enc, c);
		if (r == 0)
			enc_tune(sys, mp->enc);
		if (r != 0) {
			rte_free(mp->enc);
			mp->enc = NULL;
			conf_mix_prep_free(sys, mp);
			snprintf(err, errlen, "mix: cannot set up the %s encoder of the shared mix",
				 mxp_media_codec_name(c));
			return r;
		}
		mp->enc_bytes = (uint32_t)enc_bytes(cf, codec);
		sys->mem.mixer_bytes += mp->enc_bytes;
	}
	return 0;
}

void
conf_mix_prep_apply(struct mxp_conf *cf, struct conf_mix_prep *mp)
{
	if (mp->os) {
		mp->kg->mix[mp->codec] = mp->os;
		mp->os = NULL;
	}
	if (mp->enc) {
		cf->enc[mp->codec] = mp->enc;
		mp->enc = NULL;
	}
}

void
conf_mix_prep_free(struct mxp_conf_sys *sys, struct conf_mix_prep *mp)
{
	conf_ostream_free(sys, mp->os);
	if (mp->enc) {
		mxp_media_coder_fini(mp->enc);
		rte_free(mp->enc);
		sys->mem.mixer_bytes -= mp->enc_bytes;
	}
	memset(mp, 0, sizeof(*mp));
}

void
conf_mix_kg_free(struct mxp_conf_sys *sys, struct mxp_keygroup *kg)
{
	for (int c = 0; c < CONF_MIX_FMTS; c++) {
		conf_ostream_free(sys, kg->mix[c]);
		kg->mix[c] = NULL;
	}
}

/* ---- worker side ------------------------------------------------------------------------------- */

void
conf_mix_count(struct mxp_leg *l, int sign)
{
	if (mxp_stream_mode_receives(l->mode)) {
		l->kg->nrecv_codec[l->out_codec] += (uint32_t)sign;
		l->kg->nrecv_cn[l->out_codec] += l->cn_out ? (uint32_t)sign : 0;
	}
}

int
conf_mix_leg_link(struct mxp_leg *l)
{
	int r = mxp_media_mixer_leg_add(l->conf->mixer, l->ml);
	conf_mix_count(l, +1);
	return r;
}

void
conf_mix_leg_unlink(struct mxp_leg *l)
{
	conf_signal_leg_unlink(l);
	mxp_media_mixer_leg_remove(l->conf->mixer, l->ml);
	mxp_media_leg_fini(l->ml); /* the mbufs it still holds */
	conf_mix_count(l, -1);
}

void
conf_mix_rx(struct mxp_conf_worker *w, struct mxp_leg *l, struct rte_mbuf *m, const uint8_t *p,
	    uint32_t len, const struct mxp_rtp_info *ri, uint64_t now_tsc)
{
	uint32_t plen;
	if (mxp_rtp_padding(p, len, ri, &plen) != MXP_RTP_OK) {
		l->st.other_drops++;
		conf_leg_count(l, MXP_DROP_RTP_PADDING);
		w->drops[MXP_DROP_RTP_PADDING]++;
		rte_pktmbuf_free(m);
		return;
	}
	if (__builtin_expect((uintptr_t)p < (uintptr_t)m ||
				     (uintptr_t)p + ri->hdr_len - (uintptr_t)m >
					     MXP_MEDIA_PAYLOAD_OFF_MAX,
			     0)) {
		/*
		 * The jitter buffer keeps the payload as an offset from the mbuf of at most
		 * 64 KB: data in a buffer of its own right after the mbuf always is. An mbuf
		 * attached to an external buffer (mlx5's multi-packet receive queues, mprq_en)
		 * may not be: its RTP packet goes on in a copy, in one of the pool's mbufs. One
		 * that needs more than one (a jumbo frame) is dropped: the leg reads a payload
		 * whole.
		 */
		ptrdiff_t at = p - rte_pktmbuf_mtod(m, const uint8_t *);
		struct rte_mbuf *c = rte_pktmbuf_copy(m, w->sys->p.pool, (uint32_t)at, len);
		enum mxp_drop why = c == NULL ? MXP_DROP_NO_MBUF : MXP_DROP_L2_SEGMENTED;
		rte_pktmbuf_free(m);
		if (c == NULL || c->nb_segs != 1) {
			rte_pktmbuf_free(c);
			l->st.other_drops++;
			conf_leg_count(l, why);
			w->drops[why]++;
			return;
		}
		m = c;
		p = rte_pktmbuf_mtod(m, const uint8_t *);
		w->mix_copies++;
	}
	struct mxp_media_pkt pkt = {
		.ref = m,
		.payload = p + ri->hdr_len,
		.len = (uint16_t)plen,
		.seq = ri->seq,
		.ts = ri->ts,
		.ssrc = ri->ssrc,
		.pt = ri->pt,
		.marker = ri->marker,
		.level = MXP_MEDIA_LEVEL_NONE,
	};
	uint8_t lv;
	bool vad;
	if (l->audio_level_id && mxp_rtp_audio_level(p, ri, l->audio_level_id, &lv, &vad))
		pkt.level = lv;
	struct mxp_media_event ev = { 0 };
	enum mxp_media_rx_result r = mxp_media_leg_rx(l->ml, &pkt, tsc_us(now_tsc), &ev);
	if (r == MXP_MEDIA_RX_EVENT && (ev.type & MXP_MEDIA_EVENT_START)) {
		/* START or START|END: an event whose first packet we got already ends */
		l->st.dtmf++;
		uint64_t lg = ((l->st.dtmf_log << 8) & ((1ull << (8 * MXP_LEG_DTMF_LOG)) - 1)) |
			      ev.event | (uint64_t)(uint16_t)l->st.dtmf << 48;
		__atomic_store_n(&l->st.dtmf_log, lg, __ATOMIC_RELAXED);
	}
	switch (r) {
	case MXP_MEDIA_RX_UNKNOWN_PT:
		l->st.other_drops++;
		w->drops[MXP_DROP_RTP_PAYLOAD_TYPE]++;
		break;
	case MXP_MEDIA_RX_NOT_SENDING:
		l->st.not_sending++;
		break;
	case MXP_MEDIA_RX_DUPLICATE:
	case MXP_MEDIA_RX_LATE:
	case MXP_MEDIA_RX_OUTLIER:
	case MXP_MEDIA_RX_BAD_PAYLOAD:
	case MXP_MEDIA_RX_TOO_LARGE:
		/*
		 * The jitter buffer dropped it: not accepted, a drop of the leg's ("other";
		 * the media leg's rx counters say which, late ones also as jb_late). No
		 * worker drop reason names these (lib/pkt/mxp_drop.h has none for the
		 * jitter buffer), so none is counted rather than a wrong one.
		 */
		l->st.other_drops++;
		break;
	default: /* audio, resync, event, comfort noise */
		l->rx_pkts++;
		l->rx_bytes += len;
		l->conf->rx_pkts++;
		break;
	}
	if (!mxp_media_rx_taken(r))
		rte_pktmbuf_free(m); /* else the leg holds it until played (mix_release) */
}

/*
 * Build an RTP packet in a fresh mbuf: the fixed header, room for cc CSRCs and ext bytes of
 * header extension (the X bit set when ext > 0; the caller writes both at *extra), then the
 * payload.
 */
static struct rte_mbuf *
rtp_mbuf_x(struct mxp_conf_worker *w, uint32_t ssrc, uint16_t seq, uint32_t ts, uint8_t pt,
	   bool marker, unsigned int cc, unsigned int ext, uint8_t **extra,
	   const uint8_t *payload, unsigned int plen)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(w->sys->p.pool);
	if (m == NULL) {
		w->drops[MXP_DROP_NO_MBUF]++;
		return NULL;
	}
	unsigned int hl = RTP_HDR + 4 * cc + ext;
	uint8_t *h = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + plen));
	h[0] = (uint8_t)(0x80 | (ext ? 0x10 : 0) | cc); /* V=2, X, CC */
	h[1] = (uint8_t)((marker ? 0x80 : 0) | pt);
	mxp_be_wr16(h + 2, seq);
	mxp_be_wr32(h + 4, ts);
	mxp_be_wr32(h + 8, ssrc);
	if (extra != NULL)
		*extra = h + RTP_HDR;
	memcpy(h + hl, payload, plen);
	return m;
}

/* Build an RTP packet (header + payload) in a fresh mbuf. */
static inline struct rte_mbuf *
rtp_mbuf(struct mxp_conf_worker *w, uint32_t ssrc, uint16_t seq, uint32_t ts, uint8_t pt,
	 bool marker, const uint8_t *payload, unsigned int plen)
{
	return rtp_mbuf_x(w, ssrc, seq, ts, pt, marker, 0, 0, NULL, payload, plen);
}

/* RFC 6464's level of a frame: 0..127, -dBov of its mean power, rounded (127: silence). */
static uint8_t
frame_level(const int16_t *pcm, unsigned int n)
{
	uint64_t sq = 0;
	for (unsigned int i = 0; i < n; i++)
		sq += (uint64_t)((int32_t)pcm[i] * pcm[i]);
	if (sq == 0)
		return 127;
	double dbov = -10.0 * log10((double)sq / n / (32768.0 * 32768.0));
	return dbov <= 0 ? 0 : dbov >= 127 ? 127 : (uint8_t)lround(dbov);
}

/*
 * A cascade leg's packet when the leg has an audio level extension id: the mixer's RTP
 * header of RFC 3550 section 7.1 (the CSRC list names the local talkers whose audio it
 * carries, at most 15) and RFC 6464's one-byte extension with the level of what it carries,
 * so that the other MRFP sees who speaks and how loud without decoding.
 */
static struct rte_mbuf *
cascade_mbuf(struct mxp_conf_worker *w, const struct mxp_media_mix_result *res,
	     const struct mxp_media_mix_talker *tk, const struct mxp_leg *tl,
	     const struct mxp_ostream *os, uint32_t ts, const uint8_t *payload, unsigned int plen)
{
	uint32_t csrc[15];
	unsigned int cc = 0;
	for (unsigned int t = 0; t < res->n_talkers && cc < RTE_DIM(csrc); t++) {
		const struct mxp_leg *ol = mxp_media_leg_opaque(res->talkers[t].leg);
		if (res->talkers[t].cascade || ol == NULL || !(ol->state & LEG_SSRC_KNOWN))
			continue;
		csrc[cc++] = ol->ssrc;
	}
	uint8_t *h;
	struct rte_mbuf *m = rtp_mbuf_x(w, os->ssrc, os->seq, ts, tl->out_pt, os->marker_next, cc,
					8, &h, payload, plen); /* one extension word */
	if (m == NULL)
		return NULL;
	for (unsigned int i = 0; i < cc; i++)
		mxp_be_wr32(h + 4 * i, csrc[i]);
	uint8_t *x = h + 4 * cc;
	x[0] = 0xbe; /* RFC 8285 one-byte header, one 32-bit word */
	x[1] = 0xde;
	x[2] = 0;
	x[3] = 1;
	x[4] = (uint8_t)(tl->audio_level_id << 4); /* L = 0: one byte */
	x[5] = (uint8_t)(0x80 | frame_level(tk->pcm, tk->samples)); /* V: it carries speech */
	x[6] = x[7] = 0;
	return m;
}

/* An output stream's packet was built: its sender state moves on (the talkspurt has
 * started; what RTCP sender reports count). */
static inline void
ostream_sent(struct mxp_ostream *os, int plen, uint64_t now_tsc)
{
	os->marker_next = false;
	os->pkts++;
	os->octets += (unsigned int)plen;
	os->last_tsc = now_tsc;
}

/* The two above for conf_signal.c (a leg's private stream while a signal plays). */
struct rte_mbuf *
conf_mix_rtp_mbuf(struct mxp_conf_worker *w, uint32_t ssrc, uint16_t seq, uint32_t ts, uint8_t pt,
		  bool marker, const uint8_t *payload, unsigned int plen)
{
	return rtp_mbuf(w, ssrc, seq, ts, pt, marker, payload, plen);
}

void
conf_mix_ostream_sent(struct mxp_ostream *os, int plen, uint64_t now_tsc)
{
	ostream_sent(os, plen, now_tsc);
}

uint32_t
conf_mix_priv_ts(struct mxp_conf *cf, struct mxp_leg *l)
{
	struct mxp_ostream *os = l->priv;
	/* the stream's clock follows real time across the ticks it did not send; the tick is
	 * recorded even when no packet can be built for it (no mbuf), so it is counted once */
	uint32_t units = mxp_media_codec_clock((enum mxp_media_codec)cf->fmt[l->out_codec].codec) *
			 cf->ptime / 1000;
	if (os->pkts)
		os->last_ts += units * (uint32_t)(cf->mix_time - os->last_time);
	os->last_time = cf->mix_time;
	return os->last_ts;
}

/*
 * Mark this tick's talkers in their receiver entries (they hear their private mix); a leg
 * that starts talking starts a talkspurt on its private stream (marker bit).
 */
static void
talkers_mark(struct mxp_conf *cf, const struct mxp_media_mix_result *res)
{
	for (unsigned int t = 0; t < res->n_talkers; t++) {
		struct mxp_leg *tl = mxp_media_leg_opaque(res->talkers[t].leg);
		if (tl != NULL && tl->priv != NULL && !(conf_leg_rcv(tl)->flags & RCV_TALKER))
			tl->priv->marker_next = true;
	}
	for (unsigned int t = 0; t < cf->n_prev_talkers; t++)
		conf_leg_rcv(cf->prev_talkers[t])->flags &= (uint8_t)~RCV_TALKER;
	cf->n_prev_talkers = 0;
	for (unsigned int t = 0; t < res->n_talkers; t++) {
		struct mxp_leg *tl = mxp_media_leg_opaque(res->talkers[t].leg);
		if (tl != NULL) {
			conf_leg_rcv(tl)->flags |= RCV_TALKER;
			cf->prev_talkers[cf->n_prev_talkers++] = tl;
		}
	}
}

/*
 * The shared mix of a format whose codec takes mode requests (AMR CMR) follows the lowest
 * mode its listeners ask for: what one listener can take, all can. Looked at every
 * CONF_SR_WALK_MS, not every tick (it walks the receivers).
 */
static void
shared_cmr(struct mxp_conf *cf)
{
	int8_t want[CONF_MIX_FMTS];
	memset(want, -1, sizeof(want));
	struct mxp_keygroup *kg;
	TAILQ_FOREACH(kg, &cf->kgs, next) {
		for (uint32_t i = 0; i < kg->nrcv; i++) {
			const struct conf_rcv *r = &kg->rcv[i];
			const struct mxp_media_coder *e = r->codec < CONF_MIX_FMTS ?
								 cf->enc[r->codec] : NULL;
			if (e == NULL || e->x == NULL || e->x->enc_request == NULL ||
			    r->leg == NULL || r->leg->ml == NULL ||
			    !mxp_stream_mode_receives(r->leg->mode))
				continue;
			struct mxp_media_rx_info ri;
			mxp_media_leg_codec_info(r->leg->ml, &ri);
			if (ri.cmr >= 0 && (want[r->codec] < 0 || ri.cmr < want[r->codec]))
				want[r->codec] = ri.cmr;
		}
	}
	for (int c = 0; c < CONF_MIX_FMTS; c++) {
		if (want[c] == cf->shared_cmr[c])
			continue;
		/* nobody asks any more (the listener who did left): CMR 15, the encoder's own
		 * mode again */
		cf->enc[c]->x->enc_request(cf->enc[c]->xs, want[c] >= 0 ? want[c] : 15);
		cf->shared_cmr[c] = want[c];
	}
}

/*
 * Comfort noise of a silent shared mix.
 * AMR and AMR-WB, whose encoders make silence descriptors in DTX: for the first
 * CONF_CN_FEED_MS of silence the encoder is fed low noise and what it sends that is
 * SID-sized is sent and kept; afterwards that SID goes out again every CONF_CN_REPEAT_MS,
 * without encoding. So listeners' decoders play comfort noise, not dead air, for some 16
 * encodes per silence (at ptime 20).
 * G.711 and G.722: an RFC 3389 CN payload (one byte, the level: -CONF_CN_LEVEL_DBOV) at the
 * silence's first tick and every CONF_CN_REPEAT_MS after, sent with PT 13 to the key
 * groups whose listeners of the format all listed CN; the others get nothing, as before.
 * Returns the payload to send this tick (in cf->cn[c], its length there), or NULL.
 */
static const uint8_t *
silent_cn(struct mxp_conf *cf, int c, bool silent, uint8_t *pay, size_t cap)
{
	struct conf_mix_cn *cn = &cf->cn[c];
	if (c < CONF_MIX_FMT_FRAME) {
		if (!silent) {
			cn->ticks = 0;
			return NULL;
		}
		unsigned int every = CONF_CN_REPEAT_MS / cf->ptime ? CONF_CN_REPEAT_MS / cf->ptime : 1;
		bool due = cn->ticks % every == 0;
		if (++cn->ticks == UINT16_MAX)
			cn->ticks = 1; /* keeps the rhythm near enough: one repeat may shift */
		cn->pay[0] = CONF_CN_LEVEL_DBOV;
		cn->len = 1;
		return due ? cn->pay : NULL;
	}
	struct mxp_media_coder *e = cf->enc[c];
	if (!silent || e == NULL || e->x == NULL || e->x->enc_state == NULL ||
	    (cf->fmt[c].codec != MXP_MEDIA_CODEC_AMR && cf->fmt[c].codec != MXP_MEDIA_CODEC_AMR_WB)) {
		cn->ticks = 0;
		return NULL;
	}
	if (cn->ticks == 0) { /* a silence starts: only an encoder with DTX makes SIDs */
		struct mxp_media_codec_state st = { .mode = -1, .cmr_sent = -1 };
		e->x->enc_state(e->xs, &st);
		if (!st.dtx)
			return NULL;
	}
	if (cn->ticks < UINT16_MAX)
		cn->ticks++;
	unsigned int feed = (CONF_CN_FEED_MS + cf->ptime - 1) / cf->ptime;
	unsigned int every = CONF_CN_REPEAT_MS / cf->ptime ? CONF_CN_REPEAT_MS / cf->ptime : 1;
	if (cn->ticks > feed)
		return cn->len != 0 && (cn->ticks - feed) % every == 0 ? cn->pay : NULL;
	unsigned int n = mxp_media_codec_rate((enum mxp_media_codec)cf->fmt[c].codec) *
			 cf->ptime / 1000;
	int r = mxp_media_encode(e, cn_noise, n, pay, cap);
	if (r <= 0 || (size_t)r > sizeof(cn->pay))
		return NULL; /* NO_DATA, or speech the encoder still sends in its hangover */
	memcpy(cn->pay, pay, (size_t)r);
	cn->len = (uint8_t)r;
	return cn->pay;
}

/* One mix tick of a conference: private mixes to the talkers, the shared mix to the rest. */
static void
mix_tick(struct mxp_conf_worker *w, struct mxp_conf *cf, uint64_t now_us, uint64_t now_tsc)
{
	const struct mxp_media_mix_result *res = mxp_media_mix_tick(cf->mixer, now_us);
	cf->mix_time += 1 + res->skipped;
	/* The tick's own time, which a late tick runs after: the streams' timestamps follow
	 * the ticks, so that is the time RTCP sender reports relate last_ts to (with now, a
	 * tick 15 ms late made the next SR's RTP timestamp 15 ms behind its NTP time). */
	uint64_t due_us = mxp_media_mixer_next_tick(cf->mixer) - (uint64_t)cf->ptime * 1000;
	uint64_t tick_tsc = now_tsc;
	if (now_us > due_us)
		tick_tsc -= (now_us - due_us) * mxp_conf_tsc_hz() / 1000000;
	if (now_tsc >= cf->next_cmr_walk) {
		cf->next_cmr_walk = now_tsc + mxp_conf_tsc_hz() * CONF_SR_WALK_MS / 1000;
		shared_cmr(cf);
	}
	talkers_mark(cf, res);
	if (unlikely(cf->sig != NULL) && conf_signal_busy(cf))
		res = conf_signal_tick(w, cf, res, now_tsc); /* tones, announcements, DTMF */
	if (unlikely(cf->rec != NULL))
		conf_rec_tick(cf->rec, res); /* what a listener hears, signals included */

	for (unsigned int t = 0; t < res->n_talkers; t++) {
		const struct mxp_media_mix_talker *tk = &res->talkers[t];
		struct mxp_leg *tl = mxp_media_leg_opaque(tk->leg);
		if (tl == NULL || !(conf_leg_rcv(tl)->flags & RCV_ON) || tl->priv == NULL)
			continue;
		if (tk->silent) {
			/* a cascade leg while no local leg is mixed: nothing to tell the other
			 * MRFP (its clock runs on; the next packet starts a talkspurt) */
			tl->priv->marker_next = true;
			continue;
		}
		uint8_t pay[MXP_MEDIA_MAX_FRAME * 2];
		int plen = mxp_media_encode(tk->coder, tk->pcm, tk->samples, pay, sizeof(pay));
		if (plen <= 0) {
			tl->priv->marker_next = true; /* DTX: the next packet starts a talkspurt */
			continue;
		}
		struct mxp_ostream *os = tl->priv;
		struct rte_mbuf *m;
		if (unlikely(tk->cascade) && tl->audio_level_id != 0)
			m = cascade_mbuf(w, res, tk, tl, os, conf_mix_priv_ts(cf, tl), pay,
					 (unsigned int)plen);
		else
			m = rtp_mbuf(w, os->ssrc, os->seq, conf_mix_priv_ts(cf, tl), tl->out_pt,
				     os->marker_next, pay, (unsigned int)plen);
		if (m == NULL)
			continue;
		os->seq++;
		ostream_sent(os, plen, tick_tsc);
		/* a private stream has exactly one receiver: the talker */
		conf_out_push(w, &(struct conf_out){ .m = m, .os = os, .only = tl, .conf = cf });
	}
	/* The shared mix: encode once per codec, wrap and encrypt once per key group. */
	for (int c = 1; c < CONF_MIX_FMTS; c++) {
		enum mxp_media_codec codec = (enum mxp_media_codec)cf->fmt[c].codec;
		if (codec == MXP_MEDIA_CODEC_NONE)
			continue;
		unsigned int rate = mxp_media_codec_rate(codec);
		unsigned int units = mxp_media_codec_clock(codec) * cf->ptime / 1000;
		unsigned int ri = mxp_media_rate_idx(rate);
		const int16_t *pcm = res->shared[ri];
		uint16_t samples = res->shared_samples[ri];
		uint8_t pay[MXP_MEDIA_MAX_FRAME * 2];
		int plen = -1;
		const uint8_t *cn = silent_cn(cf, c, res->silent || pcm == NULL, pay, sizeof(pay));
		struct mxp_keygroup *kg;
		TAILQ_FOREACH(kg, &cf->kgs, next) {
			struct mxp_ostream *os = kg->mix[c];
			if (os == NULL || kg->nrecv_codec[c] == 0)
				continue;
			/* the stream's clock runs through silence and skipped ticks */
			os->last_ts += units * (1 + res->skipped);
			os->last_tsc = tick_tsc; /* the time of last_ts (RTCP sender reports) */
			if (res->silent || pcm == NULL) {
				/* DTX: nothing, or the codec's silence descriptor (comfort noise);
				 * the next speech packet marks the talkspurt */
				os->marker_next = true;
				if (cn == NULL)
					continue;
				uint8_t pt = cf->fmt[c].pt;
				if (c < CONF_MIX_FMT_FRAME) { /* RFC 3389: if they all take it */
					if (kg->nrecv_cn[c] != kg->nrecv_codec[c])
						continue;
					pt = 13;
				}
				struct rte_mbuf *m = rtp_mbuf(w, os->ssrc, os->seq++, os->last_ts,
							      pt, false, cn, cf->cn[c].len);
				if (m == NULL)
					continue;
				ostream_sent(os, cf->cn[c].len, tick_tsc);
				os->marker_next = true;
				conf_out_push(w, &(struct conf_out){ .m = m, .os = os, .kg = kg,
								     .conf = cf, .codec = (uint8_t)c });
				continue;
			}
			/* listeners of this codec in this group who are not talking */
			uint32_t talking = 0;
			for (unsigned int t = 0; t < cf->n_prev_talkers; t++) {
				const struct mxp_leg *tl = cf->prev_talkers[t];
				talking += tl->kg == kg && mxp_stream_mode_receives(tl->mode) &&
					   tl->out_codec == c;
			}
			if (talking >= kg->nrecv_codec[c])
				continue;
			if (plen < 0) /* once per format, for the first group that needs it */
				plen = mxp_media_encode(cf->enc[c], pcm, samples, pay, sizeof(pay));
			if (plen <= 0) {
				/* DTX (or an encoder error): nothing this tick, for any group; the
				 * timestamps ran on above, the next packet marks the talkspurt */
				plen = 0;
				os->marker_next = true;
				continue;
			}
			struct rte_mbuf *m = rtp_mbuf(w, os->ssrc, os->seq++, os->last_ts, cf->fmt[c].pt,
						      os->marker_next, pay, (unsigned int)plen);
			if (m == NULL)
				continue;
			ostream_sent(os, plen, tick_tsc);
			conf_out_push(w, &(struct conf_out){ .m = m, .os = os, .kg = kg, .conf = cf,
							     .codec = (uint8_t)c });
		}
	}
}

/* ---- the tick heap (worker side) -------------------------------------------------------------- */

static inline void
heap_set(struct mxp_conf_worker *w, uint32_t i, struct conf_mix_due e)
{
	w->mix_heap[i] = e;
	e.cf->heap_idx = i;
}

static void
heap_up(struct mxp_conf_worker *w, uint32_t i)
{
	struct conf_mix_due e = w->mix_heap[i];
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (w->mix_heap[p].due_us <= e.due_us)
			break;
		heap_set(w, i, w->mix_heap[p]);
		i = p;
	}
	heap_set(w, i, e);
}

static void
heap_down(struct mxp_conf_worker *w, uint32_t i)
{
	struct conf_mix_due e = w->mix_heap[i];
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= w->mix_n)
			break;
		if (c + 1 < w->mix_n && w->mix_heap[c + 1].due_us < w->mix_heap[c].due_us)
			c++;
		if (e.due_us <= w->mix_heap[c].due_us)
			break;
		heap_set(w, i, w->mix_heap[c]);
		i = c;
	}
	heap_set(w, i, e);
}

void
conf_mix_heap_add(struct mxp_conf_worker *w, struct mxp_conf *cf)
{
	if (w->mix_n >= CONF_MAX_CONFS)
		return; /* cannot happen: no more conferences than the system's table holds */
	uint32_t i = w->mix_n++;
	heap_set(w, i, (struct conf_mix_due){ mxp_media_mixer_next_tick(cf->mixer), cf });
	heap_up(w, i);
}

void
conf_mix_heap_del(struct mxp_conf_worker *w, struct mxp_conf *cf)
{
	uint32_t i = cf->heap_idx;
	cf->heap_idx = UINT32_MAX;
	if (i >= w->mix_n || w->mix_heap[i].cf != cf)
		return;
	uint32_t last = --w->mix_n;
	if (i == last)
		return;
	heap_set(w, i, w->mix_heap[last]); /* the last one takes the place: down or up */
	heap_down(w, i);
	heap_up(w, i);
}

void
conf_mix_poll(struct mxp_conf_worker *w, uint64_t now_tsc)
{
	if (w->mix_n == 0)
		return;
	uint64_t now_us = tsc_us(now_tsc);
	/* every conference due, earliest first; each goes back with its next tick */
	bool ticked = false;
	while (w->mix_n && w->mix_heap[0].due_us <= now_us) {
		struct mxp_conf *cf = w->mix_heap[0].cf;
		mix_tick(w, cf, now_us, now_tsc);
		w->mix_heap[0].due_us = mxp_media_mixer_next_tick(cf->mixer);
		heap_down(w, 0);
		ticked = true;
	}
	if (ticked)
		conf_emit(w);
}
