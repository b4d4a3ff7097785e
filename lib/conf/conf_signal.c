/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signals of mix and switch conferences: tones, announcements and DTMF played to one leg or
 * into the whole conference (forward conferences refuse them: mode_check() says why).
 *
 * Control core: a start is checked (mode, tone name, digits, announcement file), the
 * announcement is loaded and converted once (lib/media) and cached by file name, size and
 * modification time, and a generator (struct mxp_siggen, plain data plus one reference
 * on the announcement) goes to the owning worker in a CONF_CMD_SIGNAL command. The
 * per-target state (struct conf_sig) is made at a target's first signal, installed by
 * that command, and kept until the leg or conference is freed.
 *
 * Worker: the mix tick calls conf_signal_tick() after it marked the talkers, while any
 * signal of the conference plays. It works on a copy of the tick's result whose sample
 * buffers are its own (thread-local, like the mixer's): the conference signal is added
 * to (or replaces) the shared mixes and every talker's private mix; a leg signal goes into
 * the leg's private mix if it talks, else the leg is given its private stream for the
 * tick (the shared mix plus the signal, encoded with an encoder of the leg's own) and
 * marked RCV_TALKER so the shared mix's replication skips it, as talkers are. DTMF to a
 * leg with a telephone-event payload type goes as RFC 4733 events on that private stream.
 * Endings are queued to the control core on a per-worker ring (single producer and
 * consumer, fixed-size entries): no allocation, lock or system call on the worker.
 *
 * Switch: no mixer, no decoding. The worker's timer (conf_tick) calls
 * conf_signal_switch_tick() while a signal plays; each 20 ms frame of a leg's signal (or of
 * the conference signal, for every leg) is encoded in a codec the leg accepts and sent on
 * a stream of the MRFP's own toward the leg (struct conf_sig.os: its SSRC registered under
 * the leg's group key), and the leg's receiver entry is flagged RCV_SIGNAL so that the
 * replication of the switched media skips it: the signal replaces what it hears.
 *
 * Announcement memory: the cache holds a reference on each announcement and every
 * generator playing it one more. Only the control core frees, once the cache let go and
 * the count read zero (a worker's last put never frees).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "codec_opus.h"
#include "conf_priv.h"
#include "mxp_media_announce.h"
#include "mxp_media_signal.h"

#define SIG_RING 1024          /* completions a worker can queue before the control polls */
#define SIG_PEND 256           /* completions the control core itself reports */
#define SIG_CACHE 64           /* announcements kept */
#define SIG_ZOMBIES 256        /* announcements out of the cache still playing */
#define SIG_MAX_DIGIT_MS 1000  /* RFC 4733 duration fits 16 bits at 48 kHz */
#define EV_VOLUME 10           /* RFC 4733 volume: -10 dBm0 */
#define EV_END_PKTS 3          /* RFC 4733 2.5.1.4: the end packet sent three times */

/* ---- state -------------------------------------------------------------------------------- */

/* A completion on its way to the control core (a ring element: 16 bytes). */
struct sig_done_ent {
	uint32_t conf, leg, tag, cause;
};

/* The signal of one target: a leg, or a conference. */
struct conf_sig {
	struct mxp_siggen g;
	bool active;
	bool replace;
	bool flagged;            /* leg: RCV_TALKER set by us (its private stream) */
	bool listed;             /* leg: on its conference's list */
	uint32_t tag;
	uint32_t conf_id, leg_id;
	struct mxp_leg *leg;
	struct conf_sig *next;   /* the conference's list of leg signals */
	/* leg: its private stream while it does not talk */
	struct mxp_media_coder enc;      /* G.711, G.722 (set up on the worker: no allocation) */
	struct mxp_media_coder *fenc;    /* frame codecs: the leg's own private encoder */
	uint8_t codec;
	/* RFC 4733 */
	int16_t event_pt;        /* -1: in band */
	bool ev_on;
	int8_t ev_digit;
	uint32_t ev_ts;
	uint32_t ev_dur;         /* the duration its last update said */
	/* leg, switch and forward: the MRFP's own stream toward the leg (an SSRC of its own
	 * under the leg's group key), made at the leg's first signal (or conference signal)
	 * and kept until the leg leaves or moves to another group */
	struct mxp_ostream *os;
	uint32_t sw_ts;          /* RTP timestamp of its last packet */
	uint64_t sw_tsc;         /* the frame time of that packet */
	bool sw_marker;          /* its next packet starts a talkspurt */
	bool sw_ok;              /* its codec is one the worker encodes (else: not heard) */
	uint8_t sw_pt;           /* the payload type of its codec (the leg's) */
	uint8_t sw_fmt;          /* its format (codec, payload type, a=fmtp) in the conference,
				  * 1..255: the legs of one format share a conference signal's
				  * encoding; 0: encoded alone */
	/* a frame codec's encoder (AMR, AMR-WB, Opus), made on the control core at the leg's
	 * first signal and freed with the leg (conf_signal_leg_free) */
	struct mxp_media_coder *sw_enc;
	/* the generator runs at 16 kHz (tones, announcements): its frames upsampled for a
	 * 48 kHz listener (Opus), continuous from frame to frame */
	struct mxp_media_rs up48;
};

struct conf_sig_conf {
	struct conf_sig conf;    /* the conference signal */
	struct conf_sig *legs;   /* leg signals playing, or whose leg still has our flag */
	uint64_t next_tsc;       /* switch: the next frame is due (conf_signal_switch_tick) */
};

struct ann_entry {
	char name[MXP_SIGNAL_NAME_LEN];
	struct mxp_announcement *a;  /* NULL: free */
	int64_t mtime_ns;
	int64_t size;
	uint64_t used;
};

struct conf_sig_sys {
	const struct mxp_tone_set *set;
	char dir[256];
	struct ann_entry cache[SIG_CACHE];
	uint64_t clock;
	struct mxp_announcement *zombies[SIG_ZOMBIES];
	unsigned int nzombies;
	struct rte_ring *done[MXP_CONF_MAX_WORKERS];
	struct mxp_signal_done pend[SIG_PEND];
	unsigned int npend;
	uint64_t lost;           /* completions that found their ring full */
};

/* What a CONF_CMD_SIGNAL command carries (control core's memory, freed after the post). */
struct conf_sig_args {
	struct mxp_conf *cf;
	struct mxp_leg *leg;         /* NULL: the conference signal */
	bool stop;
	struct conf_sig_conf *new_cs;/* installed if the conference has none (else left) */
	struct conf_sig *new_ls;     /* installed if the leg has none */
	struct mxp_siggen g;
	bool replace;
	uint32_t tag;
	int16_t event_pt;
	struct mxp_media_coder *fenc;
	uint8_t codec;
	bool ran;
	/* switch, forward */
	bool install;                /* only install the leg's state and stream (no start) */
	struct mxp_ostream *new_os;  /* installed if the leg's signal has no stream (else left) */
	uint32_t ts0;                /* a new stream's first RTP timestamp (random) */
	uint8_t pt;                  /* the payload type of codec */
	uint8_t sw_fmt;              /* the leg's format id (struct conf_sig.sw_fmt) */
	struct mxp_media_coder *new_enc; /* installed if the leg's signal has none (else left) */
	uint32_t enc_bytes;          /* what new_enc holds (show memory) */
};

/* ---- worker side ---------------------------------------------------------------------------- */

static void
sig_report(struct mxp_conf_worker *w, const struct conf_sig *s, uint8_t cause)
{
	struct conf_sig_sys *ss = w->sys->sig;
	struct sig_done_ent e = { s->conf_id, s->leg_id, s->tag, cause };
	if (ss == NULL || ss->done[w->idx] == NULL ||
	    rte_ring_sp_enqueue_elem(ss->done[w->idx], &e, sizeof(e)) != 0)
		__atomic_add_fetch(&ss->lost, 1, __ATOMIC_RELAXED);
}

/* The signal ends (worker): report it and let go of its announcement. */
static void
sig_end(struct mxp_conf_worker *w, struct conf_sig *s, uint8_t cause)
{
	if (!s->active)
		return;
	if (cause == MXP_SIGNAL_COMPLETED && s->g.ann != NULL &&
	    mxp_announcement_state(s->g.ann) == MXP_ANN_FAILED)
		cause = MXP_SIGNAL_FAILED; /* its conversion failed (lib/media announce.c) */
	sig_report(w, s, cause);
	(void)mxp_siggen_release(&s->g); /* never the last reference: the control core frees */
	s->active = false;
	s->ev_on = false;
}

bool
conf_signal_busy(const struct mxp_conf *cf)
{
	return cf->sig->conf.active || cf->sig->legs != NULL;
}

static void stream_send(struct mxp_conf_worker *w, struct mxp_conf *cf, struct mxp_leg *l,
			struct mxp_ostream *os, uint8_t pt, uint32_t ts, bool marker,
			const uint8_t *pay, unsigned int plen, uint64_t now_tsc);

/* The stream a leg's signal goes out on: its private mix (mix), the MRFP's own (switch). */
static struct mxp_ostream *
sig_stream(const struct mxp_conf *cf, const struct conf_sig *s, const struct mxp_leg *l)
{
	return cf->mode == MXP_CONF_MIX ? l->priv : s->os;
}

/* RFC 4733 2.5.1.4: an event interrupted mid-digit (a new signal, a stop) still ends with
 * its three end packets, carrying the duration it reached. */
static void
ev_interrupt(struct mxp_conf_worker *w, struct mxp_conf *cf, struct conf_sig *s,
	     struct mxp_leg *l)
{
	struct mxp_ostream *os = sig_stream(cf, s, l);
	if (!s->active || !s->ev_on || s->event_pt < 0 || os == NULL)
		return;
	uint8_t p[4];
	p[0] = (uint8_t)mxp_dtmf_event(s->g.digits[s->ev_digit]);
	p[1] = 0x80 | EV_VOLUME;
	mxp_be_wr16(p + 2, (uint16_t)(s->ev_dur > 0xffff ? 0xffff : s->ev_dur));
	uint64_t now = rte_rdtsc();
	for (int i = 0; i < EV_END_PKTS; i++)
		stream_send(w, cf, l, os, (uint8_t)s->event_pt, s->ev_ts, false, p, 4, now);
	s->ev_on = false;
}

/* Switch: the coder of a leg's signal stream for its codec (worker: no allocation; a frame
 * codec's encoder was made on the control core). */
static void
sw_coder(struct conf_sig *s)
{
	enum mxp_media_codec c = (enum mxp_media_codec)s->codec;
	s->fenc = mxp_media_codec_is_frame(c) ? s->sw_enc : NULL;
	if (!mxp_media_codec_is_frame(c))
		mxp_media_coder_init(&s->enc, c);
}

void
conf_cmd_signal(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct conf_sig_args *a = c->u.sig;
	struct mxp_conf *cf = a->cf;
	a->ran = true;
	if (cf->sig == NULL) {
		cf->sig = a->new_cs;
		a->new_cs = NULL;
	}
	struct conf_sig *s;
	if (a->leg != NULL) {
		if (a->leg->sig == NULL) {
			a->leg->sig = a->new_ls;
			a->new_ls = NULL;
		}
		s = a->leg->sig;
		if (s != NULL && s->os == NULL && a->new_os != NULL) {
			/* switch: the MRFP's stream toward the leg, under its group's key */
			s->os = a->new_os;
			a->new_os = NULL;
			s->sw_ts = a->ts0;
			s->sw_tsc = 0;
			s->sw_marker = true;
		}
		if (s != NULL && s->sw_enc == NULL && a->new_enc != NULL) {
			/* switch: a frame codec's encoder, the leg's for its life */
			s->sw_enc = a->new_enc;
			a->new_enc = NULL;
		}
		if (s != NULL && a->install) {
			/* switch: a leg made ready to hear conference signals */
			s->leg = a->leg;
			s->conf_id = cf->id;
			s->leg_id = a->leg->id;
			s->sw_ok = a->codec != MXP_MEDIA_CODEC_NONE;
			s->sw_fmt = a->sw_fmt;
			if (!s->active && s->sw_ok) {
				s->codec = a->codec;
				s->sw_pt = a->pt;
				s->event_pt = a->event_pt;
				sw_coder(s);
			}
			return;
		}
	} else {
		s = &cf->sig->conf;
	}
	if (s == NULL) /* a stop of a target that never had a signal */
		return;
	if (cf->mode != MXP_CONF_MIX && !conf_signal_busy(cf))
		cf->sig->next_tsc = rte_rdtsc(); /* switch: frames from the next timer on */
	if (a->leg != NULL)
		ev_interrupt(w, cf, s, a->leg);
	sig_end(w, s, MXP_SIGNAL_INTERRUPTED); /* H.248: a new signal replaces the old one */
	if (a->stop)
		return;
	s->g = a->g; /* the announcement reference moves to the worker */
	s->replace = a->replace;
	s->tag = a->tag;
	s->conf_id = cf->id;
	s->leg_id = a->leg != NULL ? a->leg->id : 0;
	s->active = true;
	s->ev_on = false;
	mxp_media_rs_init(&s->up48, MXP_MEDIA_RATE_WB, MXP_MEDIA_RATE_FB);
	if (a->leg != NULL) {
		s->leg = a->leg;
		s->event_pt = a->event_pt;
		s->codec = a->codec;
		if (cf->mode == MXP_CONF_MIX) {
			s->fenc = a->fenc;
			if (s->fenc == NULL)
				mxp_media_coder_init(&s->enc, (enum mxp_media_codec)a->codec);
		} else {
			s->sw_pt = a->pt;
			s->sw_fmt = a->sw_fmt;
			sw_coder(s);
		}
		s->sw_ok = true;
		s->sw_marker = true; /* switch: the signal starts a talkspurt on its stream */
		if (!s->listed) {
			s->next = cf->sig->legs;
			cf->sig->legs = s;
			s->listed = true;
		}
	}
}

/*
 * Worker: the leg's codecs changed (mxp_conf_leg_modify). A signal playing toward it ends,
 * interrupted (its encoder is the old codec's: mix, the old private encoder, freed after
 * the command). Switch: the leg's signal state (format, payload type, encoder) is the old
 * codec's: it is made ready again by the next signal (a conference signal playing goes on
 * unheard by the leg); *old_enc gets the encoder for the control core to free.
 */
void
conf_signal_leg_codecs(struct mxp_conf_worker *w, struct mxp_leg *l,
		       struct mxp_media_coder **old_enc)
{
	struct conf_sig *s = l->sig;
	*old_enc = NULL;
	if (s == NULL)
		return;
	if (s->active)
		ev_interrupt(w, l->conf, s, l);
	sig_end(w, s, MXP_SIGNAL_INTERRUPTED);
	s->fenc = NULL;
	if (l->conf->mode != MXP_CONF_MIX) {
		*old_enc = s->sw_enc;
		s->sw_enc = NULL;
		s->sw_ok = false;
		s->sw_fmt = 0;
	}
}

void
conf_signal_enc_free(struct mxp_conf_sys *sys, struct mxp_leg_ctl *lc, struct mxp_media_coder *e)
{
	if (e == NULL)
		return;
	/* its bytes were counted with the leg's codecs (sig_post), for the codec it had */
	const struct mxp_media_codec_ops *o =
		mxp_media_codec_ops((enum mxp_media_codec)lc->sw_codec);
	uint32_t b = (uint32_t)sizeof(*e) +
		     (o != NULL && o->enc_mem != NULL ? (uint32_t)o->enc_mem(&lc->sw_fmtp) : 0);
	b = b < lc->codec_bytes ? b : lc->codec_bytes;
	lc->codec_bytes -= b;
	sys->mem.media_bytes -= b;
	mxp_media_coder_fini(e);
	rte_free(e);
}

void
conf_signal_leg_unlink(struct mxp_leg *l)
{
	struct conf_sig *s = l->sig;
	if (s == NULL || l->conf->sig == NULL)
		return;
	for (struct conf_sig **pp = &l->conf->sig->legs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->listed = false;
	s->flagged = false;
	/* a signal still playing is reported by the control core when the leg is freed
	 * (conf_signal_leg_free), as for a conference deleted with its legs */
}

/* Thread-local work buffers: a tick's result is consumed before the next tick. */
static __thread struct mxp_media_mix_result sres;
static __thread int16_t sh_buf[MXP_MEDIA_N_RATES][MXP_MEDIA_MAX_FRAME];
static __thread int16_t tk_buf[MXP_MEDIA_MAX_TALKERS][MXP_MEDIA_MAX_FRAME];
static __thread int16_t pv_buf[MXP_MEDIA_MAX_FRAME];
static __thread int16_t s48[MXP_MEDIA_MAX_FRAME];
static __thread int16_t s16[MXP_MEDIA_MAX_FRAME / 3];
static __thread int16_t s8[MXP_MEDIA_MAX_FRAME / 6];

/* Samples of a frame of n16 samples at 16 kHz, at rate (8, 16 or 48 kHz). */
static unsigned int
sig_n(unsigned int rate, unsigned int n16)
{
	return rate >= MXP_MEDIA_RATE_FB ? 3 * n16 : rate >= MXP_MEDIA_RATE_WB ? n16 : n16 / 2;
}

/* The generator's frame (p16 at 16 kHz, p8 at 8) at rate: at 48 kHz, p16 upsampled into p48
 * by the signal's own resampler. Call once per frame and rate. */
static const int16_t *
sig_pcm(struct conf_sig *s, unsigned int rate, const int16_t *p16, const int16_t *p8,
	int16_t *p48, unsigned int n16)
{
	if (rate >= MXP_MEDIA_RATE_FB) {
		if (s->up48.to != MXP_MEDIA_RATE_FB)
			mxp_media_rs_init(&s->up48, MXP_MEDIA_RATE_WB, MXP_MEDIA_RATE_FB);
		mxp_media_rs_run(&s->up48, p48, p16, n16);
		return p48;
	}
	return rate >= MXP_MEDIA_RATE_WB ? p16 : p8;
}

/* Mix (saturating) or replace n samples of dst with sig. */
static void
sig_mix(int16_t *dst, const int16_t *sig, unsigned int n, bool replace)
{
	if (replace) {
		memcpy(dst, sig, n * sizeof(*dst));
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		int32_t v = (int32_t)dst[i] + sig[i];
		dst[i] = (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v);
	}
}

static void
stream_send(struct mxp_conf_worker *w, struct mxp_conf *cf, struct mxp_leg *l,
	    struct mxp_ostream *os, uint8_t pt, uint32_t ts, bool marker, const uint8_t *pay,
	    unsigned int plen, uint64_t now_tsc)
{
	struct rte_mbuf *m = conf_mix_rtp_mbuf(w, os->ssrc, os->seq, ts, pt, marker, pay, plen);
	if (m == NULL)
		return;
	os->seq++;
	conf_mix_ostream_sent(os, (int)plen, now_tsc);
	conf_out_push(w, &(struct conf_out){ .m = m, .os = os, .only = l, .conf = cf });
}

static void
priv_send(struct mxp_conf_worker *w, struct mxp_conf *cf, struct mxp_leg *l, uint8_t pt,
	  uint32_t ts, bool marker, const uint8_t *pay, unsigned int plen, uint64_t now_tsc)
{
	stream_send(w, cf, l, l->priv, pt, ts, marker, pay, plen, now_tsc);
}

/*
 * RFC 4733 events of a DTMF signal toward a leg, after the generator ran this tick: an
 * update while a digit sounds (the first with the marker bit), three end packets in the
 * tick its tone stopped. Returns true if an event packet went out this tick.
 */
static bool
sig_events(struct mxp_conf_worker *w, struct mxp_conf *cf, struct conf_sig *s,
	   struct mxp_leg *l, struct mxp_ostream *os, uint32_t ts, unsigned int n16,
	   uint64_t now_tsc)
{
	bool on = false;
	uint32_t pos = 0;
	int d = mxp_siggen_dtmf_state(&s->g, &on, &pos);
	uint32_t clock = mxp_media_codec_clock((enum mxp_media_codec)s->codec);
	uint8_t p[4];
	if (s->ev_on && (d != s->ev_digit || !on)) {
		/* the digit's tone ended within this tick */
		uint32_t dur = (uint32_t)((uint64_t)s->g.digit_on * clock / 16000);
		int ev = mxp_dtmf_event(s->g.digits[s->ev_digit]);
		p[0] = (uint8_t)ev;
		p[1] = 0x80 | EV_VOLUME;
		mxp_be_wr16(p + 2, (uint16_t)(dur > 0xffff ? 0xffff : dur));
		for (int i = 0; i < EV_END_PKTS; i++)
			stream_send(w, cf, l, os, (uint8_t)s->event_pt, s->ev_ts, false, p, 4,
				    now_tsc);
		s->ev_on = false;
		return true;
	}
	if (d < 0 || !on || pos == 0) /* pos 0: the digit starts with the next tick */
		return false;
	bool first = !s->ev_on;
	if (first) {
		/* the event began pos samples (16 kHz) before the end of this tick */
		s->ev_on = true;
		s->ev_digit = (int8_t)d;
		uint32_t into = pos < n16 ? n16 - pos : 0;
		s->ev_ts = ts + (uint32_t)((uint64_t)into * clock / 16000);
	}
	uint32_t dur = (uint32_t)((uint64_t)pos * clock / 16000);
	p[0] = (uint8_t)mxp_dtmf_event(s->g.digits[d]);
	p[1] = EV_VOLUME;
	mxp_be_wr16(p + 2, (uint16_t)(dur > 0xffff ? 0xffff : dur));
	s->ev_dur = dur;
	stream_send(w, cf, l, os, (uint8_t)s->event_pt, s->ev_ts, first, p, 4, now_tsc);
	return true;
}

/* A talker's private mix buffer, copied into ours once per tick. */
static int16_t *
talker_pcm(int slot)
{
	struct mxp_media_mix_talker *t = &sres.talkers[slot];
	if (t->pcm != tk_buf[slot]) {
		memcpy(tk_buf[slot], t->pcm, t->samples * sizeof(int16_t));
		t->pcm = tk_buf[slot];
	}
	return tk_buf[slot];
}

/* One leg signal's part of the tick. */
static void
leg_tick(struct mxp_conf_worker *w, struct mxp_conf *cf, struct conf_sig *s, unsigned int n16,
	 uint64_t now_tsc)
{
	struct mxp_leg *l = s->leg;
	enum mxp_media_codec codec = (enum mxp_media_codec)cf->fmt[l->out_codec].codec;
	unsigned int rate = mxp_media_codec_rate(codec); /* (the mixer makes each codec's) */
	unsigned int n = sig_n(rate, n16), ri = mxp_media_rate_idx(rate);
	bool more = mxp_siggen_run(&s->g, s16, s8, n16, false);
	bool events = s->g.kind == MXP_SIGGEN_DTMF && s->event_pt >= 0;
	const int16_t *sig = events ? NULL : sig_pcm(s, rate, s16, s8, s48, n16);
	int slot = mxp_media_leg_talker_slot(l->ml);
	struct conf_rcv *rcv = conf_leg_rcv(l);
	if (slot >= 0 && slot < sres.n_talkers) {
		/* it talks: the signal goes into its private mix-minus-self */
		if (sig != NULL) {
			sig_mix(talker_pcm(slot), sig, sres.talkers[slot].samples, s->replace);
			sres.talkers[slot].silent = false; /* a cascade leg's mix is not silent */
		}
		if (events)
			sig_events(w, cf, s, l, l->priv, conf_mix_priv_ts(cf, l), n16, now_tsc);
	} else if ((rcv->flags & RCV_ON) && l->priv != NULL) {
		/* it listens to the shared mix: its private stream while the signal plays */
		if (!(rcv->flags & RCV_TALKER))
			l->priv->marker_next = true;
		rcv->flags |= RCV_TALKER;
		s->flagged = true;
		const int16_t *base = sres.shared[ri];
		if (base != NULL && !s->replace)
			memcpy(pv_buf, base, n * sizeof(int16_t));
		else
			memset(pv_buf, 0, n * sizeof(int16_t));
		if (sig != NULL)
			sig_mix(pv_buf, sig, n, s->replace);
		if (!(events && sig_events(w, cf, s, l, l->priv, conf_mix_priv_ts(cf, l), n16,
					   now_tsc))) {
			uint8_t pay[MXP_MEDIA_MAX_FRAME * 2];
			struct mxp_media_coder *e = s->fenc != NULL ? s->fenc : &s->enc;
			int plen = mxp_media_encode(e, pv_buf, n, pay, sizeof(pay));
			uint32_t ts = conf_mix_priv_ts(cf, l);
			if (plen > 0)
				priv_send(w, cf, l, l->out_pt, ts, l->priv->marker_next, pay,
					  (unsigned int)plen, now_tsc);
			else
				l->priv->marker_next = true; /* DTX */
		}
	}
	if (!more)
		sig_end(w, s, MXP_SIGNAL_COMPLETED);
}

const struct mxp_media_mix_result *
conf_signal_tick(struct mxp_conf_worker *w, struct mxp_conf *cf,
		 const struct mxp_media_mix_result *res, uint64_t now_tsc)
{
	struct conf_sig_conf *sc = cf->sig;
	unsigned int n16 = cf->ptime * (MXP_MEDIA_RATE_WB / 1000);
	sres = *res;
	if (sc->conf.active) {
		struct conf_sig *s = &sc->conf;
		bool more = mxp_siggen_run(&s->g, s16, s8, n16, false);
		/* at 48 kHz when a listener or a talker hears Opus */
		bool fb = res->shared[2] != NULL;
		for (unsigned int t = 0; t < sres.n_talkers; t++)
			fb |= sres.talkers[t].rate >= MXP_MEDIA_RATE_FB;
		const int16_t *c48 = fb ? sig_pcm(s, MXP_MEDIA_RATE_FB, s16, s8, s48, n16) : NULL;
		for (int r = 0; r < MXP_MEDIA_N_RATES; r++) {
			if (res->shared[r] == NULL)
				continue; /* nobody receives this rate */
			unsigned int n = sig_n(mxp_media_rate_of_idx((unsigned int)r), n16);
			memcpy(sh_buf[r], res->shared[r], n * sizeof(int16_t));
			sig_mix(sh_buf[r], r == 2 ? c48 : r ? s16 : s8, n, s->replace);
			sres.shared[r] = sh_buf[r];
			sres.shared_samples[r] = (uint16_t)n;
		}
		sres.silent = false;
		/* not into a cascade leg's mix: each MRFP plays its own conference's signals
		 * (the other one's would be heard twice) */
		for (unsigned int t = 0; t < sres.n_talkers; t++)
			if (!sres.talkers[t].cascade)
				sig_mix(talker_pcm((int)t),
					sres.talkers[t].rate >= MXP_MEDIA_RATE_FB   ? c48
					: sres.talkers[t].rate >= MXP_MEDIA_RATE_WB ? s16
										    : s8,
					sres.talkers[t].samples, s->replace);
		if (!more)
			sig_end(w, s, MXP_SIGNAL_COMPLETED);
	}
	for (struct conf_sig **pp = &sc->legs; *pp != NULL;) {
		struct conf_sig *s = *pp;
		struct mxp_leg *l = s->leg;
		if (s->flagged && mxp_media_leg_talker_slot(l->ml) < 0) {
			/* our mark of last tick (a talker's is the mixer's, talkers_mark) */
			conf_leg_rcv(l)->flags &= (uint8_t)~RCV_TALKER;
			s->flagged = false;
		}
		if (!s->active) {
			if (!s->flagged) {
				*pp = s->next;
				s->listed = false;
				continue;
			}
		} else {
			leg_tick(w, cf, s, n16, now_tsc);
		}
		pp = &s->next;
	}
	return &sres;
}

/* ---- switch and forward conferences: the MRFP's own stream toward a leg ------------------- */

#define SW_PTIME_MS 20         /* the frames of a signal toward a switch leg */
#define SW_CATCH_UP 10         /* frames sent at once after a late timer, at most */

static __thread int16_t cs48[MXP_MEDIA_MAX_FRAME];
static __thread int16_t cs16[MXP_MEDIA_MAX_FRAME / 3];
static __thread int16_t cs8[MXP_MEDIA_MAX_FRAME / 6];

/* A conference signal's frame encoded once per format (struct conf_sig.sw_fmt) and sent to
 * every leg of that format: an AMR-WB encoding costs about 0.2 ms, one per leg would not
 * fit a 20 ms tick in a large conference. Reset at each frame. */
#define SW_SHARED 16
#define SW_PAY_MAX (MXP_MEDIA_MAX_FRAME * 2) /* the largest 20 ms payload (L16-like at 48 kHz) */
static __thread struct {
	uint8_t fmt;
	int16_t len;                 /* bytes, 0: DTX, -1: failed */
	uint8_t pay[SW_PAY_MAX];
} sw_shared[SW_SHARED];
static __thread unsigned int sw_nshared;

/* A leg's signal stream stops replacing the switched media: the leg's receiver entry lets
 * the group's packets through again. */
static void
sw_unflag(struct conf_sig *s)
{
	if (!s->flagged)
		return;
	conf_leg_rcv(s->leg)->flags &= (uint8_t)~RCV_SIGNAL;
	s->flagged = false;
	s->sw_marker = true;
}

/* The timestamp of the packet of the frame due at frame_tsc: one frame after the last, or
 * as much later as real time ran while the stream was idle (RFC 3550 5.1). */
static uint32_t
sw_ts(struct conf_sig *s, uint32_t units, uint64_t frame_tsc, uint64_t period)
{
	uint64_t frames = 1;
	if (s->sw_tsc != 0 && frame_tsc > s->sw_tsc)
		frames = (frame_tsc - s->sw_tsc + period / 2) / period;
	if (frames == 0)
		frames = 1;
	s->sw_ts += (uint32_t)(frames * units);
	s->sw_tsc = frame_tsc;
	return s->sw_ts;
}

/* One 20 ms frame toward leg l: its own signal, or the conference's (c16, c8, c48: this
 * frame of it at 16, 8 and 48 kHz, NULL if none plays). */
static void
sw_leg_frame(struct mxp_conf_worker *w, struct mxp_conf *cf, struct conf_sig *s,
	     const int16_t *c16, const int16_t *c8, const int16_t *c48, uint64_t frame_tsc,
	     uint64_t period, uint64_t now_tsc)
{
	struct mxp_leg *l = s->leg;
	unsigned int n16 = SW_PTIME_MS * (MXP_MEDIA_RATE_WB / 1000);
	/* the codec's PCM rate: 48 kHz for Opus, 16 kHz for G.722 and AMR-WB, 8 kHz for
	 * G.711 and AMR */
	unsigned int rate = mxp_media_codec_rate((enum mxp_media_codec)s->codec);
	unsigned int n = sig_n(rate, n16);
	const int16_t *pcm = NULL;
	bool more = true, events = false;
	if (s->active) {
		more = mxp_siggen_run(&s->g, s16, s8, n16, false);
		events = s->g.kind == MXP_SIGGEN_DTMF && s->event_pt >= 0;
		pcm = sig_pcm(s, rate, s16, s8, s48, n16);
	} else if (c16 != NULL && s->sw_ok) {
		pcm = rate >= MXP_MEDIA_RATE_FB ? c48 : rate >= MXP_MEDIA_RATE_WB ? c16 : c8;
	} else {
		sw_unflag(s);
		return;
	}
	struct conf_rcv *rcv = conf_leg_rcv(l);
	if (s->os == NULL || !(rcv->flags & RCV_ON)) {
		/* not receiving (mode, address): the signal runs on unheard */
		sw_unflag(s);
	} else {
		/* set each frame: a refresh of the entry (mode, address) starts it afresh */
		rcv->flags |= RCV_SIGNAL;
		s->flagged = true;
		uint32_t units = mxp_media_codec_clock((enum mxp_media_codec)s->codec) *
				 SW_PTIME_MS / 1000;
		uint32_t ts = sw_ts(s, units, frame_tsc, period);
		if (s->sw_marker)
			s->ev_on = false; /* a new talkspurt: no event carries over */
		bool sent = events && sig_events(w, cf, s, l, s->os, ts, n16, now_tsc);
		bool dtx = false;
		if (!sent) {
			if (events) { /* between digits: silence */
				memset(s8, 0, sizeof(s8[0]) * (n16 / 2));
				memset(s16, 0, sizeof(s16[0]) * n16);
				memset(s48, 0, sizeof(s48[0]) * 3 * n16);
			}
			uint8_t buf[SW_PAY_MAX];
			const uint8_t *pay = buf;
			int plen = -2;
			unsigned int k = 0;
			bool share = !s->active && s->sw_fmt != 0; /* the conference signal */
			while (share && k < sw_nshared && sw_shared[k].fmt != s->sw_fmt)
				k++;
			if (share && k < sw_nshared) {
				pay = sw_shared[k].pay;
				plen = sw_shared[k].len;
			} else {
				enum mxp_media_codec c = (enum mxp_media_codec)s->codec;
				struct mxp_media_coder *e =
					mxp_media_codec_is_frame(c) ? s->fenc : &s->enc;
				plen = e != NULL ? mxp_media_encode(e, pcm, n, buf, sizeof(buf))
						 : -1;
				if (share && k < SW_SHARED) {
					sw_shared[k].fmt = s->sw_fmt;
					sw_shared[k].len = (int16_t)(plen < 0 ? -1 : plen);
					if (plen > 0)
						memcpy(sw_shared[k].pay, buf, (size_t)plen);
					sw_nshared++;
				}
			}
			if (plen > 0)
				stream_send(w, cf, l, s->os, s->sw_pt, ts, s->sw_marker, pay,
					    (unsigned int)plen, now_tsc);
			dtx = plen == 0; /* DTX: nothing this frame, the next packet is marked */
		}
		s->sw_marker = dtx;
		/* RTCP sender reports relate the stream's clock to the frame's own time (a late
		 * tick sends at now_tsc what belongs to frame_tsc) */
		s->os->last_ts = ts;
		s->os->last_tsc = frame_tsc;
	}
	if (s->active && !more)
		sig_end(w, s, MXP_SIGNAL_COMPLETED);
}

/* The leg signal joins its conference's list (so that its flag is looked at again). */
static void
sw_list(struct conf_sig_conf *sc, struct conf_sig *s)
{
	if (s->listed)
		return;
	s->next = sc->legs;
	sc->legs = s;
	s->listed = true;
}

struct mxp_ostream *
conf_signal_leg_stream(const struct mxp_leg *l)
{
	return l->sig != NULL ? l->sig->os : NULL;
}

uint32_t
conf_signal_leg_clock(const struct mxp_leg *l)
{
	if (l->sig == NULL || l->sig->codec == MXP_MEDIA_CODEC_NONE)
		return 8000;
	return mxp_media_codec_clock((enum mxp_media_codec)l->sig->codec);
}

void
conf_signal_switch_tick(struct mxp_conf_worker *w, struct mxp_conf *cf, uint64_t now_tsc)
{
	struct conf_sig_conf *sc = cf->sig;
	uint64_t period = mxp_conf_tsc_hz() * SW_PTIME_MS / 1000;
	unsigned int n16 = SW_PTIME_MS * (MXP_MEDIA_RATE_WB / 1000);
	if (now_tsc > sc->next_tsc + SW_CATCH_UP * period)
		sc->next_tsc = now_tsc - period; /* a long stall: resume, do not flood */
	while (sc->next_tsc <= now_tsc && conf_signal_busy(cf)) {
		uint64_t frame_tsc = sc->next_tsc;
		sc->next_tsc += period;
		const int16_t *c16 = NULL, *c8 = NULL, *c48 = NULL;
		bool more = true;
		sw_nshared = 0;
		if (sc->conf.active) {
			more = mxp_siggen_run(&sc->conf.g, cs16, cs8, n16, false);
			c16 = cs16;
			c8 = cs8;
			c48 = sig_pcm(&sc->conf, MXP_MEDIA_RATE_FB, cs16, cs8, cs48, n16);
		}
		if (c16 != NULL) {
			/* the conference signal: every leg made ready for it hears it */
			struct mxp_leg *l;
			TAILQ_FOREACH(l, &cf->legs, in_conf)
				if (l->sig != NULL && l->sig->os != NULL) {
					sw_list(sc, l->sig);
					sw_leg_frame(w, cf, l->sig, c16, c8, c48, frame_tsc,
						     period, now_tsc);
				}
		} else {
			for (struct conf_sig *s = sc->legs; s != NULL; s = s->next)
				sw_leg_frame(w, cf, s, NULL, NULL, NULL, frame_tsc, period,
					     now_tsc);
		}
		if (sc->conf.active && !more)
			sig_end(w, &sc->conf, MXP_SIGNAL_COMPLETED);
		/* the list keeps the legs that play or still hold our flag */
		for (struct conf_sig **pp = &sc->legs; *pp != NULL;) {
			struct conf_sig *s = *pp;
			if (!s->active && !s->flagged && !sc->conf.active) {
				*pp = s->next;
				s->listed = false;
				continue;
			}
			pp = &s->next;
		}
	}
}

void
conf_signal_leg_moved(struct mxp_conf_worker *w, struct mxp_leg *l, struct mxp_ostream **dead,
		      uint32_t *ndead)
{
	struct conf_sig *s = l->sig;
	if (s == NULL || s->os == NULL)
		return;
	/* the participant now decrypts under the new group's key: a stream under the old
	 * one would not be heard (the next signal gets a stream under the new key) */
	sig_end(w, s, MXP_SIGNAL_INTERRUPTED);
	sw_unflag(s);
	dead[(*ndead)++] = s->os;
	s->os = NULL;
}

/* ---- control side ------------------------------------------------------------------------- */

static struct conf_sig_sys *
sig_sys(struct mxp_conf_sys *sys)
{
	static uint32_t serial;
	if (sys->sig != NULL)
		return sys->sig;
	struct conf_sig_sys *ss = rte_zmalloc("mxp_sig_sys", sizeof(*ss), 64);
	if (ss == NULL)
		return NULL;
	ss->set = mxp_tone_set_find("itu");
	uint32_t id = __atomic_fetch_add(&serial, 1, __ATOMIC_RELAXED);
	for (uint16_t i = 0; i < sys->p.nb_workers && i < MXP_CONF_MAX_WORKERS; i++) {
		char name[RTE_RING_NAMESIZE];
		snprintf(name, sizeof(name), "mxp_sig%u_%u", id, i);
		ss->done[i] = rte_ring_create_elem(name, sizeof(struct sig_done_ent), SIG_RING,
						   SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (ss->done[i] == NULL) {
			for (uint16_t j = 0; j < i; j++)
				rte_ring_free(ss->done[j]);
			rte_free(ss);
			return NULL;
		}
	}
	sys->sig = ss;
	return ss;
}

/* Free the announcements out of the cache that nothing plays any more. */
static void
zombies_scan(struct conf_sig_sys *ss)
{
	for (unsigned int i = 0; i < ss->nzombies;) {
		if (__atomic_load_n(&ss->zombies[i]->refs, __ATOMIC_ACQUIRE) == 0) {
			mxp_announcement_free(ss->zombies[i]);
			ss->zombies[i] = ss->zombies[--ss->nzombies];
		} else {
			i++;
		}
	}
}

/* The cache lets go of an announcement (evicted, replaced, the directory changed): free
 * at once if that was the last reference, else keep it for zombies_scan() once the
 * generators let go. Only for the cache's own reference: an announcement becomes a zombie
 * once, when it leaves the cache. */
static void
ann_drop(struct conf_sig_sys *ss, struct mxp_announcement *a)
{
	if (a == NULL)
		return;
	if (mxp_announcement_put(a)) {
		mxp_announcement_free(a);
		return;
	}
	zombies_scan(ss);
	if (ss->nzombies < SIG_ZOMBIES)
		ss->zombies[ss->nzombies++] = a;
	/* else: kept (leaked) rather than freed under a worker */
}

/* A generator's reference let go on the control core (a signal that did not start, a
 * target freed while it played). The cache still holds the announcement, or it left the
 * cache and is a zombie: either way zombies_scan() frees it, never this (it may be on
 * the zombie list). */
static void
gen_put(struct conf_sig_sys *ss, struct mxp_announcement *a)
{
	if (a == NULL)
		return;
	(void)mxp_announcement_put(a);
	zombies_scan(ss);
}

/* The announcement of a file name, loaded or from the cache, with one reference for the
 * caller (the generator). */
static int
ann_get(struct conf_sig_sys *ss, const char *name, struct mxp_announcement **out, char *err,
	size_t errlen)
{
	if (strchr(name, '/') != NULL || strstr(name, "..") != NULL)
		return conf_errf(err, errlen, -EACCES, "announcement %s: names with '/' or '..' "
				 "are refused (a file name in the announcement directory)", name);
	if (ss->dir[0] == '\0')
		return conf_errf(err, errlen, -ENODEV, "announcement %s: no announcement "
				 "directory configured ([media] announcement_dir)", name);
	char path[sizeof(ss->dir) + MXP_SIGNAL_NAME_LEN + 2];
	snprintf(path, sizeof(path), "%s/%s", ss->dir, name);
	struct stat st;
	if (stat(path, &st) != 0)
		return conf_errf(err, errlen, -ENOENT, "announcement %s: no such file in %s", name,
				 ss->dir);
	int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	struct ann_entry *e = NULL, *victim = &ss->cache[0];
	for (unsigned int i = 0; i < SIG_CACHE; i++) {
		struct ann_entry *x = &ss->cache[i];
		if (x->a != NULL && strcmp(x->name, name) == 0)
			e = x;
		if (x->a == NULL || (victim->a != NULL && x->used < victim->used))
			victim = x;
	}
	ss->clock++;
	if (e != NULL && e->mtime_ns == mt && e->size == (int64_t)st.st_size &&
	    mxp_announcement_state(e->a) != MXP_ANN_FAILED) { /* a failed one: try again */
		e->used = ss->clock;
		mxp_announcement_get(e->a);
		*out = e->a;
		return 0;
	}
	struct mxp_announcement *a;
	char why[200] = "";
	/* checked now, converted now if cheap, else by the loader (lib/media announce.c) */
	int r = mxp_announcement_open(path, &a, why, sizeof(why));
	if (r != 0)
		return conf_errf(err, errlen, r, "announcement %s: %s", name,
				 why[0] ? why : "cannot load");
	if (e == NULL)
		e = victim;
	ann_drop(ss, e->a); /* the changed file's old version, or the least used one */
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->a = a;
	e->mtime_ns = mt;
	e->size = (int64_t)st.st_size;
	e->used = ss->clock;
	mxp_announcement_get(a);
	*out = a;
	return 0;
}

int
mxp_conf_signal_configure(struct mxp_conf_sys *sys, const char *tone_country,
			  const char *announcement_dir, char *err, size_t errlen)
{
	struct conf_sig_sys *ss = sig_sys(sys);
	if (ss == NULL)
		return conf_errf(err, errlen, -ENOMEM, "signals: out of memory");
	const struct mxp_tone_set *set = ss->set;
	if (tone_country != NULL) {
		set = mxp_tone_set_find(tone_country);
		if (set == NULL) {
			unsigned int n;
			const struct mxp_tone_set *all = mxp_tone_sets(&n);
			char list[128] = "";
			for (unsigned int i = 0; i < n; i++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
					 i ? ", " : "", all[i].name);
			return conf_errf(err, errlen, -EINVAL, "unknown tone country %s (%s)",
					 tone_country, list);
		}
	}
	if (announcement_dir != NULL) {
		size_t n = strlen(announcement_dir);
		if (n > 0 && (announcement_dir[0] != '/' || n >= sizeof(ss->dir)))
			return conf_errf(err, errlen, -EINVAL, "announcement directory %s: an "
					 "absolute path of at most %zu characters",
					 announcement_dir, sizeof(ss->dir) - 1);
		if (strcmp(ss->dir, announcement_dir) != 0) {
			for (unsigned int i = 0; i < SIG_CACHE; i++) {
				ann_drop(ss, ss->cache[i].a);
				memset(&ss->cache[i], 0, sizeof(ss->cache[i]));
			}
			snprintf(ss->dir, sizeof(ss->dir), "%s", announcement_dir);
			while (n > 1 && ss->dir[n - 1] == '/')
				ss->dir[--n] = '\0';
		}
	}
	ss->set = set;
	return 0;
}

const char *
mxp_conf_signal_country(struct mxp_conf_sys *sys)
{
	return sys->sig != NULL ? sys->sig->set->name : "itu";
}

/* Check a signal and make its generator (the announcement's reference in a->g.ann). */
static int
sig_prepare(struct conf_sig_sys *ss, const struct mxp_signal *sig, struct conf_sig_args *a,
	    char *err, size_t errlen)
{
	char name[MXP_SIGNAL_NAME_LEN];
	if (memchr(sig->name, '\0', sizeof(sig->name)) == NULL)
		return conf_errf(err, errlen, -EINVAL, "signal name longer than %d characters",
				 MXP_SIGNAL_NAME_LEN - 1);
	memcpy(name, sig->name, sizeof(name));
	if (name[0] == '\0')
		return conf_errf(err, errlen, -EINVAL, "signal without a name");
	struct mxp_siggen_params gp = {
		.duration_ms = sig->duration_ms,
		.repeat = sig->repeat,
	};
	switch (sig->kind) {
	case MXP_SIGNAL_TONE:
		gp.kind = MXP_SIGGEN_TONE;
		gp.tone = mxp_tone_find(ss->set, name);
		if (gp.tone == NULL)
			return conf_errf(err, errlen, -EINVAL, "unknown tone %s (show tones)",
					 name);
		break;
	case MXP_SIGNAL_ANNOUNCEMENT: {
		gp.kind = MXP_SIGGEN_ANNOUNCEMENT;
		int r = ann_get(ss, name, &gp.ann, err, errlen);
		if (r != 0)
			return r;
		break;
	}
	case MXP_SIGNAL_DTMF:
		gp.kind = MXP_SIGGEN_DTMF;
		if (strlen(name) > MXP_SIGGEN_MAX_DIGITS)
			return conf_errf(err, errlen, -EINVAL, "DTMF: at most %d digits",
					 MXP_SIGGEN_MAX_DIGITS);
		for (const char *p = name; *p; p++)
			if (mxp_dtmf_event(*p) < 0)
				return conf_errf(err, errlen, -EINVAL,
						 "DTMF: bad digit '%c' (0-9 * # A-D)", *p);
		if (sig->duration_ms > SIG_MAX_DIGIT_MS)
			return conf_errf(err, errlen, -EINVAL, "DTMF: a digit lasts at most %d ms",
					 SIG_MAX_DIGIT_MS);
		gp.digits = name;
		gp.digit_ms = (uint16_t)sig->duration_ms;
		gp.duration_ms = 0;
		break;
	default:
		return conf_errf(err, errlen, -EINVAL, "unknown signal kind %d", (int)sig->kind);
	}
	if (mxp_siggen_init(&a->g, &gp) != 0) {
		gen_put(ss, gp.ann);
		return conf_errf(err, errlen, -EINVAL, "signal %s: bad parameters", name);
	}
	a->replace = sig->replace;
	a->tag = sig->tag;
	return 0;
}

/* Post a signal command (start or stop) and clean up what it did not take. */
static int
sig_post(struct mxp_conf_sys *sys, struct conf_sig_sys *ss, struct mxp_conf_ctl *cc,
	 struct conf_sig_args *a, char *err, size_t errlen)
{
	struct mxp_conf *cf = cc->conf;
	int r = 0;
	if (cf->sig == NULL) {
		a->new_cs = rte_zmalloc("mxp_sig_conf", sizeof(*a->new_cs), 64);
		r = a->new_cs == NULL ? -ENOMEM : 0;
	}
	if (r == 0 && a->leg != NULL && a->leg->sig == NULL) {
		a->new_ls = rte_zmalloc("mxp_sig_leg", sizeof(*a->new_ls), 64);
		r = a->new_ls == NULL ? -ENOMEM : 0;
	}
	struct mxp_conf_cmd *c = r == 0 ? conf_cmd_new(CONF_CMD_SIGNAL) : NULL;
	if (r == 0 && c == NULL)
		r = -ENOMEM;
	if (r == 0) {
		c->u.sig = a;
		r = conf_post(sys, cc->worker, c);
		conf_cmd_put(c);
	}
	rte_free(a->new_cs);
	rte_free(a->new_ls);
	conf_ostream_free(sys, a->new_os); /* not taken: the leg has its stream */
	a->new_os = NULL;
	if (a->new_enc != NULL) { /* not taken: the leg has its encoder */
		mxp_media_coder_fini(a->new_enc);
		rte_free(a->new_enc);
		a->new_enc = NULL;
	} else if (a->enc_bytes != 0 && a->leg != NULL) { /* freed with the leg's codecs */
		a->leg->lc->codec_bytes += a->enc_bytes;
		sys->mem.media_bytes += a->enc_bytes;
	}
	if (!a->ran)
		gen_put(ss, a->g.ann);
	zombies_scan(ss);
	if (r == -ENOMEM)
		return conf_errf(err, errlen, r, "signals: out of memory");
	return r ? conf_errf(err, errlen, r, "worker %u did not answer", cc->worker) : 0;
}

/*
 * Whether the MRFP can play signals in a conference's mode. Mix: into its mixes. Switch:
 * on streams of its own toward the legs, encrypted under each leg's group key (the key the
 * MRFP sends the switched media with). Forward: no. The MRFP relays the participants'
 * packets as they were encrypted, under the conference key the participants share, and
 * holds no outbound key session (it never encrypts there). A stream of its own under that
 * key would need an SSRC no participant uses under it: participants choose their SSRCs
 * themselves and the MRFP learns them only from their packets, so it cannot rule out
 * keystream reuse (RFC 3711 9.1). Refused, with that reason.
 */
static int
mode_check(const struct mxp_conf *cf, char *err, size_t errlen)
{
	if (cf->mode != MXP_CONF_FORWARD)
		return 0;
	return conf_errf(err, errlen, -ENOTSUP, "signals cannot play in forward conference %u: "
			 "the participants encrypt under their shared conference key, which the "
			 "MRFP holds only to authenticate what it relays (it never encrypts "
			 "there, and no SSRC of its own is safe under a key whose senders choose "
			 "theirs); use a switch or mix conference", cf->id);
}

void
conf_signal_leg_codec(struct mxp_leg_ctl *lc, const struct mxp_leg_params *p)
{
	lc->sw_codec = MXP_MEDIA_CODEC_NONE;
	lc->sw_pt = 0;
	memset(&lc->sw_fmtp, 0, sizeof(lc->sw_fmtp));
	if (p->n_pt == 0) { /* any payload type: RFC 3551's PCMU */
		lc->sw_codec = MXP_MEDIA_CODEC_PCMU;
		return;
	}
	/* the leg's payload types in its order of preference (RFC 3264): the first one the
	 * worker encodes, static (PCMU 0, PCMA 8, G722 9) or a frame codec of its a=rtpmap
	 * (leg_params_check() checked codecs[]: listed, not the event or CN type) */
	for (unsigned int i = 0; i < p->n_pt && i < MXP_CONF_MAX_PT; i++) {
		uint8_t pt = p->pt[i];
		for (unsigned int k = 0; k < p->n_codecs && k < MXP_CONF_MAX_PT; k++)
			if (p->codecs[k].pt == pt) {
				lc->sw_codec = p->codecs[k].codec;
				lc->sw_fmtp = p->codecs[k].fmtp;
				break;
			}
		if (lc->sw_codec == MXP_MEDIA_CODEC_NONE)
			lc->sw_codec = pt == 0 ? MXP_MEDIA_CODEC_PCMU :
				       pt == 8 ? MXP_MEDIA_CODEC_PCMA :
				       pt == 9 ? MXP_MEDIA_CODEC_G722 : MXP_MEDIA_CODEC_NONE;
		if (lc->sw_codec != MXP_MEDIA_CODEC_NONE) {
			lc->sw_pt = pt;
			return;
		}
	}
}

/* Switch: the codec the worker encodes toward a leg (it does not decode: the leg's payload
 * types and a=rtpmap say what it accepts), MXP_MEDIA_CODEC_NONE if none it can. */
static uint8_t
sw_codec(const struct mxp_leg *l)
{
	return l->lc != NULL ? l->lc->sw_codec : MXP_MEDIA_CODEC_NONE;
}

/* Switch: the leg's format id in its conference (struct conf_sig.sw_fmt): that of a leg
 * with the same codec, payload type and a=fmtp, else a new one (0 past 255: alone). */
static uint8_t
sw_fmt_id(const struct mxp_leg *l)
{
	const struct mxp_leg_ctl *lc = l->lc;
	if (l->sig != NULL && l->sig->sw_fmt != 0)
		return l->sig->sw_fmt;
	unsigned int max = 0;
	const struct mxp_leg *x;
	TAILQ_FOREACH(x, &l->conf->legs, in_conf) {
		if (x == l || x->sig == NULL || x->sig->sw_fmt == 0 || x->lc == NULL)
			continue;
		if (x->lc->sw_codec == lc->sw_codec && x->lc->sw_pt == lc->sw_pt &&
		    memcmp(&x->lc->sw_fmtp, &lc->sw_fmtp, sizeof(lc->sw_fmtp)) == 0)
			return x->sig->sw_fmt;
		if (x->sig->sw_fmt > max)
			max = x->sig->sw_fmt;
	}
	return max < 255 ? (uint8_t)(max + 1) : 0;
}

/* Switch: the stream a leg's signal needs (NULL in a->new_os if it has one under its
 * group's key), and its codec. */
static int
sw_prepare(struct mxp_conf_sys *sys, struct mxp_leg *l, struct conf_sig_args *a, char *err,
	   size_t errlen)
{
	a->codec = sw_codec(l);
	a->pt = l->lc->sw_pt;
	a->sw_fmt = sw_fmt_id(l);
	a->event_pt = l->event_pt ? (int16_t)l->event_pt : -1;
	a->ts0 = (uint32_t)rte_rand();
	enum mxp_media_codec c = (enum mxp_media_codec)a->codec;
	if (mxp_media_codec_is_frame(c) && (l->sig == NULL || l->sig->sw_enc == NULL)) {
		/* a frame codec: an encoder of the leg's own, with its a=fmtp, made here (the
		 * codec library allocates) and kept until the leg is freed */
		const struct mxp_media_codec_ops *o = mxp_media_codec_ops(c);
		a->new_enc = rte_zmalloc("mxp_sig_enc", sizeof(*a->new_enc), 64);
		int r = a->new_enc == NULL ? -ENOMEM :
			mxp_media_coder_init_frame(a->new_enc, c, &l->lc->sw_fmtp, SW_PTIME_MS);
		if (r != 0) {
			rte_free(a->new_enc);
			a->new_enc = NULL;
			return conf_errf(err, errlen, r, r == -EINVAL ? "signals toward leg %u: "
					 "%s cannot send %u ms packets" : "signals toward leg %u: "
					 "out of memory for a %s encoder", l->id, o->name,
					 SW_PTIME_MS);
		}
		if (c == MXP_MEDIA_CODEC_OPUS && sys->p.opus_complexity_set)
			mxp_media_opus_set_complexity(a->new_enc->xs, sys->p.opus_complexity);
		a->enc_bytes = (uint32_t)sizeof(*a->new_enc) +
			       (o->enc_mem != NULL ? (uint32_t)o->enc_mem(&l->lc->sw_fmtp) : 0);
	}
	if (l->sig != NULL && l->sig->os != NULL)
		return 0;
	a->new_os = conf_ostream_new(sys, l->kg, l, err, errlen);
	if (a->new_os == NULL) {
		if (a->new_enc != NULL) { /* not posted: nobody else frees it */
			mxp_media_coder_fini(a->new_enc);
			rte_free(a->new_enc);
			a->new_enc = NULL;
		}
		return err && err[0] ? -ENOSPC : conf_errf(err, errlen, -ENOMEM,
							  "signals: out of memory");
	}
	return 0;
}

static int
leg_signal(struct mxp_conf_sys *sys, uint32_t leg_id, const struct mxp_signal *sig, char *err,
	   size_t errlen)
{
	struct conf_sig_sys *ss = sig_sys(sys);
	if (ss == NULL)
		return conf_errf(err, errlen, -ENOMEM, "signals: out of memory");
	struct mxp_leg_ctl *lc = conf_find_leg(sys, leg_id);
	if (lc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no leg %u", leg_id);
	struct mxp_leg *l = lc->leg;
	int r = mode_check(l->conf, err, errlen);
	if (r != 0)
		return r;
	if (sig == NULL && l->sig == NULL)
		return 0; /* a stop, and the leg never had a signal */
	struct conf_sig_args a = { .cf = l->conf, .leg = l, .stop = sig == NULL };
	bool mix = l->conf->mode == MXP_CONF_MIX;
	if (sig != NULL && !mix && sw_codec(l) == MXP_MEDIA_CODEC_NONE)
		return conf_errf(err, errlen, -ENOTSUP, "signals toward leg %u of switch "
				 "conference %u: the leg accepts none of PCMU, PCMA, G722 and "
				 "names no AMR, AMR-WB or opus payload type (a=rtpmap), the "
				 "codecs the MRFP encodes its signals in", leg_id, l->conf->id);
	if (sig != NULL) {
		r = sig_prepare(ss, sig, &a, err, errlen);
		if (r != 0)
			return r;
		if (mix) {
			a.codec = l->conf->fmt[l->out_codec].codec;
			a.fenc = lc->priv_enc;
			a.event_pt = (int16_t)mxp_media_leg_event_pt(l->ml);
		} else {
			r = sw_prepare(sys, l, &a, err, errlen);
			if (r != 0) {
				gen_put(ss, a.g.ann);
				return r;
			}
		}
	}
	return sig_post(sys, ss, lc->conf, &a, err, errlen);
}

static int
conf_signal(struct mxp_conf_sys *sys, uint32_t conf_id, const struct mxp_signal *sig, char *err,
	    size_t errlen)
{
	struct conf_sig_sys *ss = sig_sys(sys);
	if (ss == NULL)
		return conf_errf(err, errlen, -ENOMEM, "signals: out of memory");
	struct mxp_conf_ctl *cc = conf_find(sys, conf_id);
	if (cc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no conference %u", conf_id);
	int r = mode_check(cc->conf, err, errlen);
	if (r != 0)
		return r;
	if (sig == NULL && cc->conf->sig == NULL)
		return 0;
	if (sig != NULL && cc->conf->mode != MXP_CONF_MIX) {
		/* switch: every leg gets its signal state and stream first (once in its life;
		 * one that joins while the signal plays hears the next one) */
		struct mxp_leg *l;
		TAILQ_FOREACH(l, &cc->conf->legs, in_conf) {
			if ((l->sig != NULL && l->sig->os != NULL && l->sig->sw_ok) ||
			    sw_codec(l) == MXP_MEDIA_CODEC_NONE)
				continue; /* ready, or a codec the MRFP cannot encode */
			struct conf_sig_args ia = { .cf = cc->conf, .leg = l, .install = true };
			r = sw_prepare(sys, l, &ia, err, errlen);
			if (r == 0)
				r = sig_post(sys, ss, cc, &ia, err, errlen);
			if (r != 0)
				return r;
		}
	}
	struct conf_sig_args a = { .cf = cc->conf, .stop = sig == NULL };
	if (sig != NULL) {
		r = sig_prepare(ss, sig, &a, err, errlen);
		if (r != 0)
			return r;
	}
	return sig_post(sys, ss, cc, &a, err, errlen);
}

int
mxp_conf_leg_signal_start(struct mxp_conf_sys *sys, uint32_t leg_id, const struct mxp_signal *sig,
			  char *err, size_t errlen)
{
	if (sig == NULL)
		return conf_errf(err, errlen, -EINVAL, "no signal");
	return leg_signal(sys, leg_id, sig, err, errlen);
}

int
mxp_conf_signal_start(struct mxp_conf_sys *sys, uint32_t conf_id, const struct mxp_signal *sig,
		      char *err, size_t errlen)
{
	if (sig == NULL)
		return conf_errf(err, errlen, -EINVAL, "no signal");
	return conf_signal(sys, conf_id, sig, err, errlen);
}

int
mxp_conf_signal_check(struct mxp_conf_sys *sys, const struct mxp_signal *sig, char *err,
		      size_t errlen)
{
	if (sig == NULL)
		return conf_errf(err, errlen, -EINVAL, "no signal");
	struct conf_sig_sys *ss = sig_sys(sys);
	if (ss == NULL)
		return conf_errf(err, errlen, -ENOMEM, "signals: out of memory");
	struct conf_sig_args a = { 0 };
	int r = sig_prepare(ss, sig, &a, err, errlen);
	if (r == 0)
		gen_put(ss, a.g.ann); /* the cache keeps its own reference */
	return r;
}

int
mxp_conf_leg_signal_stop(struct mxp_conf_sys *sys, uint32_t leg_id, char *err, size_t errlen)
{
	return leg_signal(sys, leg_id, NULL, err, errlen);
}

int
mxp_conf_signal_stop(struct mxp_conf_sys *sys, uint32_t conf_id, char *err, size_t errlen)
{
	return conf_signal(sys, conf_id, NULL, err, errlen);
}

/* A completion the control core reports itself (a target freed while it played). */
static void
pend_report(struct mxp_conf_sys *sys, struct conf_sig *s, uint8_t cause)
{
	struct conf_sig_sys *ss = sys->sig;
	if (ss == NULL || !s->active)
		return;
	if (ss->npend < SIG_PEND)
		ss->pend[ss->npend++] = (struct mxp_signal_done){ s->conf_id, s->leg_id, s->tag,
								  cause };
	else
		ss->lost++;
	s->active = false;
	gen_put(ss, s->g.ann);
	s->g.ann = NULL;
}

unsigned int
mxp_conf_signal_done_poll(struct mxp_conf_sys *sys, struct mxp_signal_done *out, unsigned int max)
{
	struct conf_sig_sys *ss = sys->sig;
	if (ss == NULL)
		return 0;
	zombies_scan(ss);
	unsigned int n = 0;
	for (uint16_t i = 0; i < sys->p.nb_workers && n < max; i++) {
		struct sig_done_ent e;
		while (n < max && rte_ring_sc_dequeue_elem(ss->done[i], &e, sizeof(e)) == 0)
			out[n++] = (struct mxp_signal_done){ e.conf, e.leg, e.tag,
							     (uint8_t)e.cause };
	}
	unsigned int k = 0;
	while (n < max && k < ss->npend)
		out[n++] = ss->pend[k++];
	memmove(ss->pend, ss->pend + k, (ss->npend - k) * sizeof(ss->pend[0]));
	ss->npend -= k;
	return n;
}

void
conf_signal_leg_free(struct mxp_conf_sys *sys, struct mxp_leg *l)
{
	if (l->sig == NULL)
		return;
	pend_report(sys, l->sig, MXP_SIGNAL_INTERRUPTED);
	conf_ostream_free(sys, l->sig->os); /* switch: before its group goes */
	if (l->sig->sw_enc != NULL) { /* its bytes: conf_mix_codecs_free() */
		mxp_media_coder_fini(l->sig->sw_enc);
		rte_free(l->sig->sw_enc);
	}
	rte_free(l->sig);
	l->sig = NULL;
}

void
conf_signal_conf_free(struct mxp_conf_sys *sys, struct mxp_conf *cf)
{
	if (cf->sig == NULL)
		return;
	pend_report(sys, &cf->sig->conf, MXP_SIGNAL_INTERRUPTED);
	rte_free(cf->sig);
	cf->sig = NULL;
}

void
conf_signal_sys_free(struct mxp_conf_sys *sys)
{
	struct conf_sig_sys *ss = sys->sig;
	if (ss == NULL)
		return;
	for (unsigned int i = 0; i < SIG_CACHE; i++)
		ann_drop(ss, ss->cache[i].a);
	zombies_scan(ss);
	for (unsigned int i = 0; i < ss->nzombies; i++) /* the workers are gone */
		mxp_announcement_free(ss->zombies[i]);
	for (uint16_t i = 0; i < MXP_CONF_MAX_WORKERS; i++)
		rte_ring_free(ss->done[i]);
	rte_free(ss);
	sys->sig = NULL;
}
