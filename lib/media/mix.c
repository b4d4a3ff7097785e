/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conference mixer: active-leg list, the tick, top-N talker selection with
 * hysteresis, 32-bit accumulation, limiter, shared mix and private mix-minus-self,
 * talker slots (private-mix state and encoder), the frame pool lent to the legs for a
 * tick, SIMD variant selection.
 */
#include <errno.h>
#include <string.h>

#include "media_priv.h"

/* ---- SIMD selection --------------------------------------------------------------------- */

bool
mxp_media_simd_supported(enum mxp_media_simd v)
{
	switch (v) {
	case MXP_MEDIA_SIMD_AUTO:
	case MXP_MEDIA_SIMD_C:
		return true;
	case MXP_MEDIA_SIMD_AVX2:
		return __builtin_cpu_supports("avx2");
	case MXP_MEDIA_SIMD_AVX512:
		return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
	default:
		return false;
	}
}

enum mxp_media_simd
mxp_media_simd_best(void)
{
	if (mxp_media_simd_supported(MXP_MEDIA_SIMD_AVX512))
		return MXP_MEDIA_SIMD_AVX512;
	if (mxp_media_simd_supported(MXP_MEDIA_SIMD_AVX2))
		return MXP_MEDIA_SIMD_AVX2;
	return MXP_MEDIA_SIMD_C;
}

const char *
mxp_media_simd_name(enum mxp_media_simd v)
{
	static const char *const names[] = {"auto", "c", "avx2", "avx512"};
	return (unsigned)v < MXP_MEDIA_SIMD_COUNT ? names[v] : "?";
}

const struct media_simd_ops *
media_simd_ops_get(enum mxp_media_simd v)
{
	if (v == MXP_MEDIA_SIMD_AUTO)
		v = mxp_media_simd_best();
	if (!mxp_media_simd_supported(v))
		return NULL;
	switch (v) {
	case MXP_MEDIA_SIMD_AVX512:
		return &media_simd_avx512;
	case MXP_MEDIA_SIMD_AVX2:
		return &media_simd_avx2;
	default:
		return &media_simd_c;
	}
}

/* ---- mixer setup ------------------------------------------------------------------------ */

static void
mixer_defaults(struct mxp_media_mixer_params *p)
{
	if (p->ptime_ms == 0)
		p->ptime_ms = 20;
	if (p->max_talkers == 0)
		p->max_talkers = 3;
	if (p->hysteresis_db == 0)
		p->hysteresis_db = 6;
	if (p->limit == 0)
		p->limit = 29000;
}

static bool
mixer_params_ok(const struct mxp_media_mixer_params *p)
{
	return (p->ptime_ms == 10 || p->ptime_ms == 20 || p->ptime_ms == 30 ||
		p->ptime_ms == 40) &&
	       p->max_legs > 0 && p->max_legs <= (1u << 24) &&
	       p->max_talkers + p->max_cascade <= MXP_MEDIA_MAX_TALKERS &&
	       (p->rate == 0 || p->rate == 8000 || p->rate == 16000 || p->rate == 48000) &&
	       p->simd < MXP_MEDIA_SIMD_COUNT && p->limit <= 32767;
}

/*
 * Memory: the mixer, its talker slots, then legs[] and active[]. The buffers a tick works
 * in (frames lent to legs, accumulator, shared and private mixes) are the thread's
 * (struct media_scratch): a frame buffer holds the longest ptime at 48 kHz. A silent
 * tick's shared mix is zero_frame, never written.
 */
struct mixer_layout {
	size_t ts, legs, total;
	unsigned n_frames;
};

static __thread struct media_scratch scratch;
static const int16_t zero_frame[MXP_MEDIA_MAX_FRAME];

/* Test hook (media_priv.h): not on the data path, which passes the scratch along. */
const int16_t *
media_leg_frame(const struct mxp_media_leg *l)
{
	return l->frame_ok && l->mixer != NULL && l->frame != MEDIA_NO_FRAME ?
		       scratch.frames[l->frame] :
		       NULL;
}

static void
mixer_layout(const struct mxp_media_mixer_params *p, struct mixer_layout *lo)
{
	unsigned slots = p->max_talkers + (p->cascade_slots_added ? 0 : p->max_cascade);
	lo->n_frames = MEDIA_FRAMES(p->max_talkers + p->max_cascade);
	lo->ts = MXP_ALIGN_CEIL(sizeof(struct mxp_media_mixer), MEDIA_CACHE_LINE);
	lo->legs = lo->ts + MXP_ALIGN_CEIL(slots * sizeof(struct media_talker),
					MEDIA_CACHE_LINE);
	lo->total = lo->legs + 2 * (size_t)p->max_legs * sizeof(struct mxp_media_leg *);
}

size_t
mxp_media_mixer_size(const struct mxp_media_mixer_params *params)
{
	struct mxp_media_mixer_params p = *params;
	struct mixer_layout lo;
	mixer_defaults(&p);
	if (!mixer_params_ok(&p))
		return 0;
	mixer_layout(&p, &lo);
	return lo.total;
}

static void
mixer_rs_shared_reset(struct mxp_media_mixer *m)
{
	memset(m->rs_fb_wb, 0, sizeof(m->rs_fb_wb));
	memset(m->rs_wb_nb, 0, sizeof(m->rs_wb_nb));
}

static uint32_t
mixer_rate(const struct mxp_media_mixer *m)
{
	if (m->p.rate != 0)
		return m->p.rate;
	return m->n_fullband > 0 ? 48000 : m->n_wideband > 0 ? 16000 : 8000;
}

int
mxp_media_mixer_init(struct mxp_media_mixer *m, const struct mxp_media_mixer_params *params,
		     uint64_t now_us)
{
	struct mxp_media_mixer_params p = *params;
	mixer_defaults(&p);
	if (!mixer_params_ok(&p))
		return -EINVAL;
	const struct media_simd_ops *ops = media_simd_ops_get((enum mxp_media_simd)p.simd);
	if (ops == NULL)
		return -ENOTSUP;
	struct mixer_layout lo;
	mixer_layout(&p, &lo);
	memset(m, 0, lo.legs);
	m->p = p;
	m->ops = ops;
	m->n_frames = (uint8_t)lo.n_frames;
	unsigned inline_slots = p.max_talkers + (p.cascade_slots_added ? 0 : p.max_cascade);
	for (unsigned k = 0; k < inline_slots; k++)
		m->ts[k] = (struct media_talker *)((uint8_t *)m + lo.ts) + k;
	m->ts_avail = (uint8_t)((1u << inline_slots) - 1);
	m->legs = (struct mxp_media_leg **)((uint8_t *)m + lo.legs);
	m->active = m->legs + p.max_legs;
	m->ptime_us = (uint64_t)p.ptime_ms * 1000;
	m->next_tick_us = now_us;
	m->rate = mixer_rate(m);
	m->lim_gain = 1.0f;
	m->was_silent = true;
	mixer_rs_shared_reset(m);
	return 0;
}

enum mxp_media_simd
mxp_media_mixer_simd(const struct mxp_media_mixer *m)
{
	return m->ops->id;
}

static bool
leg_receives(const struct mxp_media_leg *l)
{
	return mxp_stream_mode_receives(l->mode);
}

void
media_mixer_leg_update(struct mxp_media_mixer *m, struct mxp_media_leg *l, int sign)
{
	if (leg_receives(l))
		m->n_out[mxp_media_rate_idx(mxp_media_codec_rate(l->out_codec))] +=
			(uint32_t)sign;
	if (l->wideband)
		m->n_wideband += (uint32_t)sign;
	if (l->fullband && leg_receives(l))
		m->n_fullband += (uint32_t)sign;
}

void
media_mixer_activate(struct mxp_media_mixer *m, struct mxp_media_leg *l)
{
	l->act_idx = (int32_t)m->n_active;
	m->active[m->n_active++] = l;
}

static void
deactivate(struct mxp_media_mixer *m, struct mxp_media_leg *l)
{
	uint32_t i = (uint32_t)l->act_idx;
	struct mxp_media_leg *last = m->active[--m->n_active];
	m->active[i] = last;
	last->act_idx = (int32_t)i;
	l->act_idx = -1;
}

static void talker_join(struct mxp_media_mixer *m, struct mxp_media_leg *l, unsigned i);

size_t
mxp_media_mixer_slot_size(void)
{
	return MXP_ALIGN_CEIL(sizeof(struct media_talker), MEDIA_CACHE_LINE);
}

int
mxp_media_mixer_slot_add(struct mxp_media_mixer *m, void *mem)
{
	if (!m->p.cascade_slots_added || mem == NULL)
		return -EINVAL;
	if ((unsigned)__builtin_popcount(m->ts_avail) >= (unsigned)m->p.max_talkers +
								  m->p.max_cascade)
		return -ENOSPC;
	unsigned k = (unsigned)__builtin_ctz(~(unsigned)m->ts_avail);
	memset(mem, 0, sizeof(struct media_talker));
	m->ts[k] = mem;
	m->ts_avail |= (uint8_t)(1u << k);
	return 0;
}

unsigned
mxp_media_mixer_slots_missing(const struct mxp_media_mixer *m)
{
	/* slots a talker set of max_talkers and one more cascade leg than now takes */
	unsigned need = (unsigned)m->p.max_talkers + m->n_cascade + 1u;
	unsigned have = (unsigned)__builtin_popcount(m->ts_avail);
	return need > have ? need - have : 0;
}

/* A cascade leg takes a slot for as long as it is attached (the tick never drops it). */
static void
cascade_pin(struct mxp_media_mixer *m, struct mxp_media_leg *l)
{
	if (l->talker_slot < 0) {
		talker_join(m, l, m->n_talkers);
		l->talker_slot = (int8_t)m->n_talkers++;
		m->st.talker_changes++;
	}
	m->n_cascade++;
}

int
mxp_media_mixer_leg_add(struct mxp_media_mixer *m, struct mxp_media_leg *l)
{
	if (l->mixer != NULL)
		return -EBUSY;
	if (l->ptime_ms != m->p.ptime_ms)
		return -EINVAL;
	if (m->n_legs >= m->p.max_legs ||
	    (l->cascade && (m->n_cascade >= m->p.max_cascade || mxp_media_mixer_slots_missing(m))))
		return -ENOSPC;
	l->mixer = m;
	l->mix_idx = (int32_t)m->n_legs;
	m->legs[m->n_legs++] = l;
	media_mixer_leg_update(m, l, +1);
	if (l->n_buffered > 0)
		media_mixer_activate(m, l);
	if (l->cascade)
		cascade_pin(m, l);
	return 0;
}

static void
talker_drop(struct mxp_media_mixer *m, unsigned i)
{
	if (m->talkers[i]->cascade)
		m->n_cascade--;
	m->talkers[i]->talker_slot = -1;
	m->ts_used &= (uint8_t)~(1u << m->tslot[i]);
	for (unsigned j = i + 1; j < m->n_talkers; j++) {
		m->talkers[j - 1] = m->talkers[j];
		m->tslot[j - 1] = m->tslot[j];
	}
	m->n_talkers--;
	m->st.talker_changes++;
}

int
mxp_media_mixer_leg_set_cascade(struct mxp_media_mixer *m, struct mxp_media_leg *l, bool on)
{
	if (l->mixer != m)
		return -EINVAL;
	if (on == l->cascade)
		return 0;
	if (on) {
		if (m->n_cascade >= m->p.max_cascade || mxp_media_mixer_slots_missing(m))
			return -ENOSPC;
		/* an ordinary talker moves to a cascade slot: the local set has room again */
		l->cascade = true;
		cascade_pin(m, l);
		return 0;
	}
	for (unsigned i = 0; i < m->n_talkers; i++)
		if (m->talkers[i] == l) {
			talker_drop(m, i); /* counts it out of n_cascade while still flagged */
			break;
		}
	l->cascade = false;
	for (unsigned i = 0; i < m->n_talkers; i++)
		m->talkers[i]->talker_slot = (int8_t)i;
	return 0;
}

void
mxp_media_mixer_leg_remove(struct mxp_media_mixer *m, struct mxp_media_leg *l)
{
	if (l->mixer != m)
		return;
	for (unsigned i = 0; i < m->n_talkers; i++)
		if (m->talkers[i] == l) {
			talker_drop(m, i);
			break;
		}
	for (unsigned t = 0; t < m->n_talkers; t++)
		m->talkers[t]->talker_slot = (int8_t)t;
	if (l->act_idx >= 0)
		deactivate(m, l);
	uint32_t i = (uint32_t)l->mix_idx;
	struct mxp_media_leg *last = m->legs[--m->n_legs];
	m->legs[i] = last;
	last->mix_idx = (int32_t)i;
	media_mixer_leg_update(m, l, -1);
	l->mixer = NULL;
	l->mix_idx = -1;
	l->talker_slot = -1;
}

uint64_t
mxp_media_mixer_next_tick(const struct mxp_media_mixer *m)
{
	return m->next_tick_us;
}

void
mxp_media_mixer_keep_shared(struct mxp_media_mixer *m, bool on)
{
	m->keep_shared = on;
}

void
mxp_media_mixer_stats_get(const struct mxp_media_mixer *m, struct mxp_media_mixer_stats *st)
{
	*st = m->st;
	st->legs = m->n_legs;
	st->active_legs = m->n_active;
	st->rate = mixer_rate(m);
}

uint32_t
mxp_media_mixer_buffered(const struct mxp_media_mixer *m)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->n_legs; i++)
		n += media_leg_held(m->legs[i]);
	return n;
}

/* ---- limiter ---------------------------------------------------------------------------- */

#define LIM_BLOCK_MS 2
#define LIM_RELEASE 0.02f /* per block: recovers from -6 dB in ~70 ms */

/*
 * dst = limit(acc - self). The gain envelope is computed per 2 ms block from that block's
 * peak and the next one's (a look-ahead inside the frame, so the gain is already down
 * when a peak arrives), ramps linearly within a block, and recovers slowly. When nothing
 * exceeds the ceiling and the gain is 1 this is one saturating subtract.
 */
static bool
limit_frame(const struct media_simd_ops *ops, float *gain, int16_t *dst, const int32_t *acc,
	    const int16_t *self, unsigned n, unsigned rate, int32_t ceiling)
{
	unsigned B = rate / 1000 * LIM_BLOCK_MS;
	unsigned nb = n / B;
	float t[MXP_MEDIA_MAX_FRAME / 16];
	bool over = false;

	for (unsigned b = 0; b < nb; b++) {
		int32_t pk = ops->peak(acc + b * B, self + b * B, B);
		/* a little under the ceiling so that float rounding of the ramp stays below */
		t[b] = pk > ceiling ? (float)ceiling * 0.999f / (float)pk : 1.0f;
		over |= pk > ceiling;
	}
	if (!over && *gain == 1.0f) {
		ops->out(dst, acc, self, n, 1.0f, 0.0f);
		return false;
	}
	float g = *gain;
	for (unsigned b = 0; b < nb; b++) {
		if (g > t[b])
			g = t[b]; /* only at a frame's first block: instant attack */
		float e = g + LIM_RELEASE > 1.0f ? 1.0f : g + LIM_RELEASE;
		if (t[b] < e)
			e = t[b];
		if (b + 1 < nb && t[b + 1] < e)
			e = t[b + 1];
		ops->out(dst + b * B, acc + b * B, self + b * B, B, g, (e - g) / (float)B);
		g = e;
	}
	*gain = g;
	return true;
}

/* ---- talker selection ------------------------------------------------------------------- */

/*
 * A leg joins the talker set at list position i and takes a free talker slot: its private
 * stream starts from the shared mix's limiter state, with a fresh encoder for its out
 * codec that stays with it while it talks.
 */
static void
talker_join(struct mxp_media_mixer *m, struct mxp_media_leg *l, unsigned i)
{
	unsigned k = (unsigned)__builtin_ctz((unsigned)m->ts_avail & ~(unsigned)m->ts_used);
	struct media_talker *t = m->ts[k];
	unsigned orate = mxp_media_codec_rate(l->out_codec);

	m->ts_used |= (uint8_t)(1u << k);
	m->talkers[i] = l;
	m->tslot[i] = (uint8_t)k;
	t->lim_gain = m->lim_gain;
	mxp_media_rs_init(&t->rs, m->rate, orate);
	/* a frame codec's encoder is the leg's own (made on the control core) */
	if (!mxp_media_codec_is_frame(l->out_codec))
		mxp_media_coder_init(&t->coder, (enum mxp_media_codec)l->out_codec);
}

static void
select_talkers(struct mxp_media_mixer *m, struct mxp_media_leg **cand, unsigned nc)
{
	int32_t hyst = (int32_t)m->p.hysteresis_db << 8;

	/* leaders that stopped speaking, were muted or went recvonly leave at once (a
	 * cascade leg keeps its slot: it is mixed only while eligible) */
	for (unsigned i = 0; i < m->n_talkers;) {
		if (!m->talkers[i]->eligible && !m->talkers[i]->cascade)
			talker_drop(m, i);
		else
			i++;
	}
	/* cand[] is sorted loudest first and holds no current talker */
	unsigned ci = 0;
	while (m->n_talkers - m->n_cascade < m->p.max_talkers && ci < nc) {
		struct mxp_media_leg *l = cand[ci++];
		l->talker_slot = 0;
		talker_join(m, l, m->n_talkers++);
		m->st.talker_changes++;
	}
	/* a challenger replaces the quietest talker only when louder by the hysteresis */
	while (ci < nc && m->n_talkers > m->n_cascade) {
		/* the quietest talker that is not a cascade leg (those are never displaced) */
		unsigned w = m->n_talkers;
		for (unsigned i = 0; i < m->n_talkers; i++)
			if (!m->talkers[i]->cascade &&
			    (w == m->n_talkers || m->talkers[i]->loud_q8 < m->talkers[w]->loud_q8))
				w = i;
		if (cand[ci]->loud_q8 <= m->talkers[w]->loud_q8 + hyst)
			break;
		m->talkers[w]->talker_slot = -1;
		m->ts_used &= (uint8_t)~(1u << m->tslot[w]);
		talker_join(m, cand[ci++], w);
		m->st.talker_changes += 2;
	}
	for (unsigned i = 0; i < m->n_talkers; i++)
		m->talkers[i]->talker_slot = (int8_t)i;
}

/* ---- the tick --------------------------------------------------------------------------- */

const struct mxp_media_mix_result *
mxp_media_mix_tick(struct mxp_media_mixer *m, uint64_t now_us)
{
	struct mxp_media_mix_result *res = &m->res;
	/* the ticking thread's scratch, looked up once (a TLS access may be a call) */
	struct media_scratch *sc = &scratch;
	uint32_t skipped = 0;

	if (now_us >= m->next_tick_us + m->ptime_us) {
		skipped = (uint32_t)((now_us - m->next_tick_us) / m->ptime_us);
		m->st.late_ticks += skipped;
	}
	m->next_tick_us += (uint64_t)(skipped + 1) * m->ptime_us;
	m->tick++;
	m->st.ticks++;

	uint32_t rate = mixer_rate(m);
	if (rate != m->rate) {
		m->rate = rate;
		mixer_rs_shared_reset(m);
	}
	unsigned n = m->p.ptime_ms * rate / 1000;
	struct leg_tick_ctx c = {
		.now_us = now_us, .mix_rate = rate, .skipped = skipped, .ops = m->ops,
	};

	/*
	 * Pull every active leg; keep the loudest eligible non-talkers, sorted. Each leg
	 * decodes into a frame buffer lent from the pool; the buffer stays lent only to an
	 * eligible talker or a candidate, and returns when the candidate falls off the list,
	 * so the talkers, the 2N candidates and the leg in flight never need more than
	 * 3N + 1 buffers, however many legs speak.
	 */
	struct mxp_media_leg *cand[2 * MXP_MEDIA_MAX_TALKERS];
	unsigned nc = 0, maxc = 2u * m->p.max_talkers;
	uint32_t pulled = m->n_active;
	m->n_free = m->n_frames;
	for (unsigned f = 0; f < m->n_frames; f++)
		m->free_frames[f] = (uint8_t)f;
	for (uint32_t i = 0; i < 3 && i < m->n_active; i++)
		media_leg_prefetch_state(m->active[i]);
	for (uint32_t i = 0; i < m->n_active;) {
		struct mxp_media_leg *l = m->active[i];
		/*
		 * Legs ahead, in three stages a leg apart: three ahead its state (the lines the
		 * tick reads), two ahead the descriptor of the packet it will play (its line 0
		 * is in cache by now), one ahead that packet's payload, where the descriptor
		 * points into the caller's buffer. 20 ms after they were written all three are
		 * cold when a conference has thousands of legs.
		 */
		if (i + 3 < m->n_active)
			media_leg_prefetch_state(m->active[i + 3]);
		if (i + 2 < m->n_active)
			media_leg_prefetch_slot(m->active[i + 2]);
		if (i + 1 < m->n_active)
			media_leg_prefetch_payload(m->active[i + 1]);
		if (m->n_free == 0) { /* cannot happen: 3N + 1 frames suffice */
			/* the leg is not pulled: what it produced last tick is gone (its
			 * frame is lent to another leg now), so it is neither mixed nor
			 * kept as a talker */
			l->eligible = false;
			l->frame_ok = false;
			l->frame = MEDIA_NO_FRAME;
			m->st.pool_empty++;
			i++;
			continue;
		}
		c.frame_idx = m->free_frames[m->n_free - 1];
		c.frame = sc->frames[c.frame_idx];
		media_leg_tick(l, &c);
		if (l->eligible && l->talker_slot >= 0) {
			m->n_free--; /* a talker's frame is mixed */
		} else if (l->eligible) {
			struct mxp_media_leg *last = nc == maxc ? cand[maxc - 1] : NULL;
			unsigned j = nc < maxc ? nc++ : maxc;
			while (j > 0 && cand[j - 1]->loud_q8 < l->loud_q8) {
				if (j < maxc)
					cand[j] = cand[j - 1];
				j--;
			}
			if (j < maxc) {
				cand[j] = l;
				m->n_free--;
				if (last != NULL) /* fell off the list: its frame is free again */
					m->free_frames[m->n_free++] = last->frame;
			}
		}
		if (media_leg_idle(l) && !l->eligible)
			deactivate(m, l); /* the last active leg moved to i */
		else
			i++;
	}
	/* talkers that went idle or detached were not pulled: they are not eligible */
	for (unsigned i = 0; i < m->n_talkers; i++)
		if (m->talkers[i]->act_idx < 0)
			m->talkers[i]->eligible = false;
	select_talkers(m, cand, nc);

	res->tick = m->tick;
	res->skipped = skipped;
	res->rate = (uint16_t)rate;
	res->active_legs = pulled;
	res->n_talkers = m->n_talkers;
	/* mixed: the talkers but the cascade legs that are not eligible this tick */
	unsigned n_local = m->n_talkers - m->n_cascade, n_mixed = n_local;
	for (unsigned i = 0; i < m->n_talkers; i++)
		n_mixed += m->talkers[i]->cascade && m->talkers[i]->eligible;
	res->silent = n_mixed == 0;
	/*
	 * The shared mix at each rate some leg receives: made at the mix rate, 16 kHz from
	 * 48, 8 kHz from 16 (or from the mix at 8); a rate above the mix rate (a codec wider
	 * than what its peer plays: Opus to a wideband peer; a fixed mixer rate) upsampled
	 * from the mix.
	 */
	unsigned ri = mxp_media_rate_idx(rate);
	bool need[MXP_MEDIA_N_RATES];
	for (unsigned r = 0; r < MXP_MEDIA_N_RATES; r++)
		need[r] = m->n_out[r] > 0;
	need[ri] |= m->keep_shared;
	bool need_any = need[0] || need[1] || need[2];
	const int16_t *mix[MXP_MEDIA_N_RATES] = {sc->shared_nb, sc->shared_wb, sc->shared_fb};
	mix[ri] = sc->shared;

	if (n_mixed == 0) {
		/* silence is the constant zero frame: a silent tick writes no samples (the
		 * caller sends nothing for it anyway, see res->silent) */
		mix[0] = mix[1] = mix[2] = zero_frame;
		if (!m->was_silent) {
			m->was_silent = true;
			m->lim_gain = 1.0f;
		}
	} else {
		if (m->was_silent) {
			mixer_rs_shared_reset(m);
			m->was_silent = false;
		}
		memset(sc->acc, 0, n * sizeof(sc->acc[0]));
		for (unsigned i = 0; i < m->n_talkers; i++)
			if (!m->talkers[i]->cascade)
				m->ops->acc_add(sc->acc, sc->frames[m->talkers[i]->frame], n);
		if (m->n_cascade > 0) {
			/* the cascade legs hear the local talkers only; the rest hear them too */
			memcpy(sc->acc_local, sc->acc, n * sizeof(sc->acc[0]));
			for (unsigned i = 0; i < m->n_talkers; i++)
				if (m->talkers[i]->cascade && m->talkers[i]->eligible)
					m->ops->acc_add(sc->acc, sc->frames[m->talkers[i]->frame],
							n);
		}
		if (need_any)
			m->st.limited_frames += limit_frame(m->ops, &m->lim_gain, sc->shared,
							    sc->acc, zero_frame, n, rate, m->p.limit);
		if (ri == 2 && (need[1] || need[0]))
			media_rs_run(m->rs_fb_wb, 48000, 16000, sc->shared_wb, sc->shared, n);
		if (ri > 0 && need[0])
			media_rs_run(m->rs_wb_nb, 16000, 8000, sc->shared_nb, mix[1],
				     m->p.ptime_ms * 16u);
		/* (the histories of the directions a rate below does not use) */
		if (ri == 0 && need[1])
			media_rs_run(m->rs_wb_nb, rate, 16000, sc->shared_wb, sc->shared, n);
		if (ri < 2 && need[2])
			media_rs_run(m->rs_fb_wb, rate, 48000, sc->shared_fb, sc->shared, n);
	}
	for (unsigned r = 0; r < MXP_MEDIA_N_RATES; r++) {
		res->shared[r] = need[r] ? mix[r] : NULL;
		res->shared_samples[r] =
			need[r] ? (uint16_t)(m->p.ptime_ms * (mxp_media_rate_of_idx(r) / 1000u)) : 0;
	}

	/* private mixes: everyone else, at the talker's output rate */
	for (unsigned i = 0; i < m->n_talkers; i++) {
		struct mxp_media_leg *l = m->talkers[i];
		struct media_talker *ts = m->ts[m->tslot[i]];
		struct mxp_media_mix_talker *t = &res->talkers[i];
		unsigned orate = mxp_media_codec_rate(l->out_codec);
		if (ts->rs.from != rate || ts->rs.to != orate)
			mxp_media_rs_init(&ts->rs, rate, orate);
		bool fc = mxp_media_codec_is_frame(l->out_codec);
		if (!fc && ts->coder.codec != l->out_codec) /* codec changed while talking */
			mxp_media_coder_init(&ts->coder, (enum mxp_media_codec)l->out_codec);
		int16_t *priv = sc->priv[i], *priv_out = sc->priv_out[i];
		t->leg = l;
		t->id = l->id;
		t->rate = (uint16_t)orate;
		t->coder = fc ? leg_xtab(l)->priv_enc : &ts->coder;
		t->cascade = l->cascade;
		t->silent = l->cascade && n_local == 0;
		if (t->silent) {
			/* nothing local to send the other MRFP: zeros, which the caller skips */
			t->samples = (uint16_t)(m->p.ptime_ms * orate / 1000);
			t->pcm = zero_frame;
			ts->lim_gain = 1.0f;
			continue;
		}
		if (l->cascade)
			m->st.limited_frames += limit_frame(m->ops, &ts->lim_gain, priv,
							    sc->acc_local, zero_frame, n, rate,
							    m->p.limit);
		else
			m->st.limited_frames += limit_frame(m->ops, &ts->lim_gain, priv, sc->acc,
							    sc->frames[l->frame], n, rate,
							    m->p.limit);
		if (orate != rate) {
			t->samples = (uint16_t)mxp_media_rs_run(&ts->rs, priv_out, priv, n);
			t->pcm = priv_out;
		} else {
			t->samples = (uint16_t)n;
			t->pcm = priv;
		}
	}
	return res;
}
