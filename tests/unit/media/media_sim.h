/* SPDX-License-Identifier: BSD-3-Clause */
/* A small conference simulator for the lib/media tests and benchmark: RTP sources with
 * their own tone, codec and clock, a network with delay/loss/duplication, legs, a mixer. */
#ifndef MEDIA_SIM_H
#define MEDIA_SIM_H

#include <stdlib.h>

#include "mxp_media.h"
#include "media_test_util.h"

struct sim_src {
	enum mxp_media_codec codec;
	uint8_t pt;
	double freq, amp;        /* tone; amp 0 = silence (still sends) */
	double noise;            /* added uniform noise amplitude */
	uint32_t ssrc, ts;
	uint16_t seq;
	uint64_t pos;            /* samples generated (codec rate) */
	unsigned ptime_ms;
	struct mxp_media_coder enc;
	uint32_t rnd;
};

static inline void
sim_src_init(struct sim_src *s, enum mxp_media_codec codec, uint8_t pt, double freq,
	     double amp, uint32_t ssrc, unsigned ptime_ms)
{
	memset(s, 0, sizeof(*s));
	s->codec = codec;
	s->pt = pt;
	s->freq = freq;
	s->amp = amp;
	s->ssrc = ssrc;
	s->seq = (uint16_t)(ssrc * 7919u);
	s->ts = ssrc * 104729u;
	s->ptime_ms = ptime_ms;
	s->rnd = ssrc | 1;
	mxp_media_coder_init(&s->enc, codec);
}

/* Build the next packet into buf (>= 1280 bytes); pkt points into buf. */
static inline void
sim_src_next(struct sim_src *s, uint8_t *buf, struct mxp_media_pkt *pkt)
{
	unsigned rate = mxp_media_codec_rate(s->codec);
	unsigned n = s->ptime_ms * rate / 1000;
	int16_t pcm[MXP_MEDIA_MAX_FRAME];
	for (unsigned i = 0; i < n; i++) {
		double v = s->amp * sin(2 * M_PI * s->freq * (double)(s->pos + i) / rate);
		if (s->noise > 0)
			v += s->noise * ((double)(tu_rand(&s->rnd) & 0xffff) / 32768.0 - 1.0);
		pcm[i] = (int16_t)lrint(v);
	}
	int len = mxp_media_encode(&s->enc, pcm, n, buf, 1280);
	memset(pkt, 0, sizeof(*pkt));
	pkt->payload = buf;
	pkt->len = (uint16_t)len;
	pkt->seq = s->seq++;
	pkt->ts = s->ts;
	pkt->ssrc = s->ssrc;
	pkt->pt = s->pt;
	pkt->level = MXP_MEDIA_LEVEL_NONE;
	s->ts += mxp_media_codec_ts_units(s->codec, (unsigned)len);
	s->pos += n;
}

static inline uint8_t
sim_pt_of(enum mxp_media_codec c)
{
	switch (c) {
	case MXP_MEDIA_CODEC_PCMU:
		return 0;
	case MXP_MEDIA_CODEC_PCMA:
		return 8;
	case MXP_MEDIA_CODEC_G722:
		return 9;
	case MXP_MEDIA_CODEC_L16_8K:
		return 96;
	default:
		return 97;
	}
}

/*
 * Packet buffers. A leg keeps audio by reference: every packet delivered to a leg gets a
 * buffer of its own (malloc'd, like the mbuf of a received packet); the leg returns the
 * ones it took through sim_release, the others are freed at once. Under ASan a buffer
 * freed twice, used after its release or never released is an error.
 */
static uint64_t sim_bufs_live;     /* buffers a leg holds now */
static uint64_t sim_bufs_released; /* buffers legs have returned */

static inline void
sim_release(void *ref, void *arg)
{
	(void)arg;
	sim_bufs_live--;
	sim_bufs_released++;
	free(ref);
}

/* mxp_media_leg_rx() with the payload in a buffer of its own. */
static inline enum mxp_media_rx_result
sim_leg_rx(struct mxp_media_leg *l, const struct mxp_media_pkt *p, uint64_t now_us,
	   struct mxp_media_event *ev)
{
	uint8_t *b = malloc(p->len ? p->len : 1);
	if (b == NULL)
		abort();
	memcpy(b, p->payload, p->len);
	struct mxp_media_pkt q = *p;
	q.ref = b;
	q.payload = b;
	enum mxp_media_rx_result r = mxp_media_leg_rx(l, &q, now_us, ev);
	if (mxp_media_rx_taken(r))
		sim_bufs_live++;
	else
		free(b);
	return r;
}

/* Default leg params: all codecs mapped to their usual PTs, events on 101, CN on 13. */
static inline void
sim_leg_params(struct mxp_media_leg_params *p, uint32_t id, enum mxp_media_codec out,
	       unsigned ptime_ms)
{
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->ptime_ms = (uint16_t)ptime_ms;
	static const enum mxp_media_codec all[] = {
		MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMA, MXP_MEDIA_CODEC_G722,
		MXP_MEDIA_CODEC_L16_8K, MXP_MEDIA_CODEC_L16_16K,
	};
	for (unsigned i = 0; i < 5; i++) {
		p->pt_map[i].pt = sim_pt_of(all[i]);
		p->pt_map[i].codec = (uint8_t)all[i];
	}
	p->n_pt = 5;
	p->event_pt = 101;
	p->cn_pt = 13;
	p->out_codec = (uint8_t)out;
	p->max_payload = 1280;
	p->release = sim_release;
}

static inline struct mxp_media_leg *
sim_leg_new(const struct mxp_media_leg_params *p)
{
	size_t sz = mxp_media_leg_size(p);
	if (sz == 0)
		return NULL;
	struct mxp_media_leg *l = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	char err[128];
	if (l == NULL || mxp_media_leg_init(l, p, err, sizeof(err)) != 0) {
		printf("# leg init: %s\n", err);
		free(l);
		return NULL;
	}
	return l;
}

/* Return what the leg holds, then free it. */
static inline void
sim_leg_free(struct mxp_media_leg *l)
{
	if (l != NULL)
		mxp_media_leg_fini(l);
	free(l);
}

static inline struct mxp_media_mixer *
sim_mixer_new(const struct mxp_media_mixer_params *p, uint64_t now)
{
	size_t sz = mxp_media_mixer_size(p);
	if (sz == 0)
		return NULL;
	struct mxp_media_mixer *m = aligned_alloc(64, (sz + 63) & ~(size_t)63);
	if (m == NULL || mxp_media_mixer_init(m, p, now) != 0) {
		free(m);
		return NULL;
	}
	return m;
}

/* A packet in flight: delivered at t_us. */
struct sim_pkt {
	uint64_t t_us;
	uint32_t leg;
	struct mxp_media_pkt pkt;
	uint8_t buf[1280];
};

/* A tiny priority queue of in-flight packets (binary heap by delivery time). */
struct sim_net {
	struct sim_pkt *q;
	unsigned n, cap;
};

static inline void
sim_net_init(struct sim_net *net, unsigned cap)
{
	net->q = calloc(cap, sizeof(*net->q));
	net->n = 0;
	net->cap = cap;
}

static inline void
sim_net_free(struct sim_net *net)
{
	free(net->q);
}

static inline void
sim_swap(struct sim_pkt *a, struct sim_pkt *b)
{
	struct sim_pkt t = *a;
	*a = *b;
	*b = t;
	a->pkt.payload = a->buf;
	b->pkt.payload = b->buf;
}

static inline void
sim_net_push(struct sim_net *net, uint64_t t_us, uint32_t leg, const struct mxp_media_pkt *p)
{
	if (net->n == net->cap)
		return;
	struct sim_pkt *e = &net->q[net->n];
	e->t_us = t_us;
	e->leg = leg;
	e->pkt = *p;
	memcpy(e->buf, p->payload, p->len);
	e->pkt.payload = e->buf;
	unsigned i = net->n++;
	while (i > 0 && net->q[(i - 1) / 2].t_us > net->q[i].t_us) {
		sim_swap(&net->q[(i - 1) / 2], &net->q[i]);
		i = (i - 1) / 2;
	}
}

/* Pop the earliest packet due at or before t_us into out; 0 if none. */
static inline int
sim_net_pop(struct sim_net *net, uint64_t t_us, struct sim_pkt *out)
{
	if (net->n == 0 || net->q[0].t_us > t_us)
		return 0;
	*out = net->q[0];
	out->pkt.payload = out->buf;
	net->q[0] = net->q[--net->n];
	net->q[0].pkt.payload = net->q[0].buf;
	unsigned i = 0;
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;
		if (l < net->n && net->q[l].t_us < net->q[m].t_us)
			m = l;
		if (r < net->n && net->q[r].t_us < net->q[m].t_us)
			m = r;
		if (m == i)
			break;
		sim_swap(&net->q[i], &net->q[m]);
		i = m;
	}
	return 1;
}

#endif
