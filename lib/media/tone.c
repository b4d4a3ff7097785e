/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tones: the country sets of call progress and service tones, DTMF pairs, and the signal
 * generator (tones, announcements, digit strings) the mix tick runs.
 *
 * Values: "itu" is ITU-T E.180 (and its Supplement 2) as recommended: 425 Hz tones, dial
 * tone continuous, ringing 1 s on / 4 s off, busy 0.5 / 0.5 s, congestion 0.25 / 0.25 s,
 * special information tone 950 / 1400 / 1800 Hz of 330 ms each then 1 s of silence
 * (ITU-T Q.35). "us" follows ANSI T1.401 (precise tone plan), "uk" the BT SIN 350 tones,
 * "de" the Deutsche Telekom 1TR110 tones. A country set names only what differs; the rest
 * comes from "itu". DTMF frequencies are ITU-T Q.23.
 */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <string.h>
#include <strings.h>

#include "mxp_media_announce.h"
#include "mxp_media_signal.h"

#define RATE 16000

#define NTONES(a) (sizeof(a) / sizeof((a)[0]))
#define S1(ms_, f_) { .ms = (ms_), .freq = { (f_), 0 } }
#define S2(ms_, f_, g_) { .ms = (ms_), .freq = { (f_), (g_) } }
#define OFF(ms_) { .ms = (ms_), .freq = { 0, 0 } }

static const struct mxp_tone_def itu_tones[] = {
	{ "cg/dt", "dial tone", { -10, 0 }, 1, { S1(0, 425) }, false },
	{ "cg/rt", "ringing tone", { -10, 0 }, 2, { S1(1000, 425), OFF(4000) }, true },
	{ "cg/bt", "busy tone", { -10, 0 }, 2, { S1(500, 425), OFF(500) }, true },
	{ "cg/ct", "congestion tone", { -10, 0 }, 2, { S1(250, 425), OFF(250) }, true },
	{ "cg/sit", "special information tone", { -14, 0 }, 4,
	  { S1(330, 950), S1(330, 1400), S1(330, 1800), OFF(1000) }, true },
	{ "cg/wt", "warning tone (call is recorded)", { -14, 0 }, 2,
	  { S1(400, 1400), OFF(15000) }, true },
	{ "cg/pt", "payphone recognition tone", { -14, 0 }, 3,
	  { S1(200, 1200), S1(200, 800), OFF(2000) }, true },
	{ "cg/cw", "call waiting tone", { -14, 0 }, 3, { S1(200, 425), OFF(200), S1(200, 425) },
	  false },
	{ "cg/cr", "caller waiting tone", { -14, 0 }, 2, { S1(250, 425), OFF(4750) }, true },
	{ "srvtn/rdt", "recall dial tone", { -10, 0 }, 7,
	  { S1(100, 425), OFF(100), S1(100, 425), OFF(100), S1(100, 425), OFF(100),
	    S1(0, 425) }, false },
	{ "srvtn/conf", "confirmation tone", { -10, 0 }, 5,
	  { S1(100, 425), OFF(100), S1(100, 425), OFF(100), S1(100, 425) }, false },
	{ "srvtn/ht", "held tone", { -14, 0 }, 4,
	  { S1(100, 425), OFF(100), S1(100, 425), OFF(2700) }, true },
	{ "srvtn/mwt", "message waiting tone", { -10, 0 }, 2, { S1(100, 425), OFF(100) }, true },
	{ "srvtn/ro1", "off-hook warning tone", { -4, -4 }, 2,
	  { S2(100, 1400, 2060), OFF(100) }, true },
	{ "srvtn/neg", "negative indication tone", { -10, 0 }, 2, { S1(400, 425), OFF(400) },
	  false },
	{ "srvtn/join", "conference join tone", { -14, -14 }, 2,
	  { S1(150, 1000), S1(150, 1400) }, false },
	{ "srvtn/leave", "conference leave tone", { -14, -14 }, 2,
	  { S1(150, 1400), S1(150, 1000) }, false },
};

static const struct mxp_tone_def us_tones[] = {
	{ "cg/dt", "dial tone", { -13, -13 }, 1, { S2(0, 350, 440) }, false },
	{ "cg/rt", "audible ringing", { -19, -19 }, 2, { S2(2000, 440, 480), OFF(4000) }, true },
	{ "cg/bt", "busy tone", { -24, -24 }, 2, { S2(500, 480, 620), OFF(500) }, true },
	{ "cg/ct", "reorder tone", { -24, -24 }, 2, { S2(250, 480, 620), OFF(250) }, true },
	{ "cg/cw", "call waiting tone", { -13, 0 }, 1, { S1(300, 440) }, false },
	{ "srvtn/rdt", "recall dial tone", { -13, -13 }, 7,
	  { S2(100, 350, 440), OFF(100), S2(100, 350, 440), OFF(100), S2(100, 350, 440),
	    OFF(100), S2(0, 350, 440) }, false },
	{ "srvtn/conf", "confirmation tone", { -13, -13 }, 5,
	  { S2(100, 350, 440), OFF(100), S2(100, 350, 440), OFF(100), S2(100, 350, 440) },
	  false },
	{ "srvtn/ro1", "off-hook warning (receiver off-hook)", { -4, -4 }, 4,
	  { S2(100, 1400, 2060), OFF(100), S2(100, 2450, 2600), OFF(100) }, true },
};

static const struct mxp_tone_def uk_tones[] = {
	{ "cg/dt", "dial tone", { -10, -10 }, 1, { S2(0, 350, 440) }, false },
	{ "cg/rt", "ringing tone", { -19, -19 }, 4,
	  { S2(400, 400, 450), OFF(200), S2(400, 400, 450), OFF(2000) }, true },
	{ "cg/bt", "busy tone", { -14, 0 }, 2, { S1(375, 400), OFF(375) }, true },
	{ "cg/ct", "congestion (equipment engaged) tone", { -14, 0 }, 4,
	  { S1(400, 400), OFF(350), S1(225, 400), OFF(525) }, true },
	{ "cg/cw", "call waiting tone", { -14, 0 }, 2, { S1(100, 400), OFF(2900) }, false },
};

static const struct mxp_tone_def de_tones[] = {
	{ "cg/dt", "Waehlton", { -10, 0 }, 1, { S1(0, 425) }, false },
	{ "cg/rt", "Freiton", { -10, 0 }, 2, { S1(1000, 425), OFF(4000) }, true },
	{ "cg/bt", "Besetztton", { -10, 0 }, 2, { S1(480, 425), OFF(480) }, true },
	{ "cg/ct", "Gassenbesetztton", { -10, 0 }, 2, { S1(240, 425), OFF(240) }, true },
	{ "cg/cw", "Anklopfton", { -14, 0 }, 4,
	  { S1(200, 425), OFF(200), S1(200, 425), OFF(5000) }, true },
};

static const struct mxp_tone_set sets[] = {
	{ "itu", "ITU-T E.180 recommended values", itu_tones, NTONES(itu_tones) },
	{ "us", "United States (ANSI T1.401)", us_tones, NTONES(us_tones) },
	{ "uk", "United Kingdom (BT SIN 350)", uk_tones, NTONES(uk_tones) },
	{ "de", "Germany (1TR110)", de_tones, NTONES(de_tones) },
};

const struct mxp_tone_set *
mxp_tone_sets(unsigned int *n)
{
	*n = sizeof(sets) / sizeof(sets[0]);
	return sets;
}

const struct mxp_tone_set *
mxp_tone_set_find(const char *name)
{
	for (unsigned int i = 0; name != NULL && i < sizeof(sets) / sizeof(sets[0]); i++)
		if (strcasecmp(sets[i].name, name) == 0)
			return &sets[i];
	return NULL;
}

static const struct mxp_tone_def *
find_in(const struct mxp_tone_set *set, const char *name)
{
	for (unsigned int i = 0; i < set->ntones; i++) {
		const char *n = set->tones[i].name;
		const char *slash = strchr(n, '/');
		if (strcmp(n, name) == 0 || (slash != NULL && strcmp(slash + 1, name) == 0))
			return &set->tones[i];
	}
	return NULL;
}

const struct mxp_tone_def *
mxp_tone_find(const struct mxp_tone_set *set, const char *name)
{
	if (name == NULL || name[0] == '\0')
		return NULL;
	const struct mxp_tone_def *t = set != NULL ? find_in(set, name) : NULL;
	return t != NULL ? t : find_in(&sets[0], name);
}

double
mxp_tone_amplitude(int dbm0)
{
	/* a full-scale sine (peak 32767) is +3.14 dBm0 (ITU-T G.711) */
	return 32767.0 * pow(10.0, (dbm0 - 3.14) / 20.0);
}

bool
mxp_dtmf_freqs(char d, uint16_t *low, uint16_t *high)
{
	static const char keys[] = "123A456B789C*0#D";
	static const uint16_t row[4] = { 697, 770, 852, 941 };
	static const uint16_t col[4] = { 1209, 1336, 1477, 1633 };
	if (d >= 'a' && d <= 'd')
		d = (char)(d - 'a' + 'A');
	const char *p = d != '\0' ? strchr(keys, d) : NULL;
	if (p == NULL)
		return false;
	*low = row[(p - keys) / 4];
	*high = col[(p - keys) % 4];
	return true;
}

int
mxp_dtmf_event(char d)
{
	if (d >= '0' && d <= '9')
		return d - '0';
	switch (d) {
	case '*': return 10;
	case '#': return 11;
	case 'A': case 'a': return 12;
	case 'B': case 'b': return 13;
	case 'C': case 'c': return 14;
	case 'D': case 'd': return 15;
	default: return -1;
	}
}

/* ---- the generator ---------------------------------------------------------------------- */

int
mxp_siggen_init(struct mxp_siggen *g, const struct mxp_siggen_params *p)
{
	memset(g, 0, sizeof(*g));
	if (p->duration_ms > UINT32_MAX / (RATE / 1000))
		return -EINVAL; /* its samples would not fit the 32-bit limit (about 74 h) */
	g->kind = (uint8_t)p->kind;
	g->plays = p->repeat;
	g->limit = p->duration_ms * (RATE / 1000);
	switch (p->kind) {
	case MXP_SIGGEN_TONE:
		if (p->tone == NULL || p->tone->nseg == 0 || p->tone->nseg > MXP_TONE_MAX_SEGS)
			return -EINVAL;
		g->tone = p->tone;
		return 0;
	case MXP_SIGGEN_ANNOUNCEMENT:
		if (p->ann == NULL)
			return -EINVAL;
		g->ann = p->ann;
		return 0;
	case MXP_SIGGEN_DTMF: {
		size_t n = p->digits != NULL ? strlen(p->digits) : 0;
		if (n == 0 || n > MXP_SIGGEN_MAX_DIGITS)
			return -EINVAL;
		for (size_t i = 0; i < n; i++) {
			uint16_t lo, hi;
			if (!mxp_dtmf_freqs(p->digits[i], &lo, &hi))
				return -EINVAL;
		}
		memcpy(g->digits, p->digits, n + 1);
		g->ndigits = (uint8_t)n;
		g->limit = 0; /* duration is each digit's length for DTMF */
		g->digit_on = (p->digit_ms ? p->digit_ms : 100) * (RATE / 1000);
		g->digit_off = (p->gap_ms ? p->gap_ms : 100) * (RATE / 1000);
		g->amp[0] = mxp_tone_amplitude(p->dtmf_level ? p->dtmf_level : -8);
		g->amp[1] = mxp_tone_amplitude(p->dtmf_level ? p->dtmf_level : -6);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

/* Add n samples of two sines at 16 kHz, phase from sample t of the segment, to out. */
static void
synth(double *out, unsigned int n, const uint16_t freq[2], const double amp[2], uint64_t t)
{
	for (int i = 0; i < 2; i++) {
		if (freq[i] == 0 || amp[i] == 0)
			continue;
		/* a resonator, seeded from the exact phase at the start of each chunk (no
		 * drift however long the tone plays) */
		double w = 2.0 * M_PI * freq[i] / RATE;
		double k = 2.0 * cos(w);
		double ph = fmod(w * (double)t, 2.0 * M_PI);
		double y2 = amp[i] * sin(ph - 2.0 * w), y1 = amp[i] * sin(ph - w);
		for (unsigned int j = 0; j < n; j++) {
			double y = k * y1 - y2;
			out[j] += y;
			y2 = y1;
			y1 = y;
		}
	}
}

/* Length in samples of the current segment (UINT64_MAX: endless), and fill what sounds. */
static uint64_t
seg_info(const struct mxp_siggen *g, uint16_t freq[2], double amp[2])
{
	freq[0] = freq[1] = 0;
	amp[0] = amp[1] = 0;
	switch (g->kind) {
	case MXP_SIGGEN_TONE: {
		const struct mxp_tone_seg *s = &g->tone->seg[g->seg];
		freq[0] = s->freq[0];
		freq[1] = s->freq[1];
		amp[0] = mxp_tone_amplitude(g->tone->level[0]);
		amp[1] = mxp_tone_amplitude(g->tone->level[1] ? g->tone->level[1]
							       : g->tone->level[0]);
		return s->ms ? (uint64_t)s->ms * (RATE / 1000) : UINT64_MAX;
	}
	case MXP_SIGGEN_ANNOUNCEMENT:
		return (uint64_t)g->ann->samples8 * 2;
	case MXP_SIGGEN_DTMF:
		if (g->seg % 2 == 0) {
			mxp_dtmf_freqs(g->digits[g->seg / 2], &freq[0], &freq[1]);
			amp[0] = g->amp[0];
			amp[1] = g->amp[1];
			return g->digit_on;
		}
		return g->digit_off;
	default:
		return 0;
	}
}

/* The segment ended: the next one, or the end of the signal. */
static void
seg_next(struct mxp_siggen *g)
{
	g->seg_pos = 0;
	unsigned int nseg = g->kind == MXP_SIGGEN_TONE ? g->tone->nseg :
			    g->kind == MXP_SIGGEN_DTMF ? 2u * g->ndigits : 1u;
	if (++g->seg < nseg)
		return;
	g->seg = 0;
	g->round++;
	bool forever = g->kind == MXP_SIGGEN_TONE && g->tone->repeat && g->plays == 0;
	if (!forever && g->round >= (g->plays ? g->plays : 1u))
		g->done = true;
}

bool
mxp_siggen_run(struct mxp_siggen *g, int16_t *pcm16, int16_t *pcm8, unsigned int n16, bool add)
{
	double buf[2 * 640], buf8[640];
	n16 &= ~1u;
	if (n16 > 2 * 640)
		n16 = 2 * 640;
	memset(buf, 0, sizeof(double) * n16);
	memset(buf8, 0, sizeof(double) * n16 / 2);
	unsigned int i = 0;
	/* an announcement still converting: silence, its time not started; failed: the end */
	enum mxp_ann_state as = g->kind == MXP_SIGGEN_ANNOUNCEMENT && g->ann != NULL ?
				mxp_announcement_state(g->ann) : MXP_ANN_READY;
	if (as == MXP_ANN_FAILED)
		g->done = true;
	while (i < n16 && !g->done && as == MXP_ANN_READY) {
		if (g->limit && g->pos >= g->limit) {
			g->done = true;
			break;
		}
		uint16_t freq[2];
		double amp[2];
		uint64_t len = seg_info(g, freq, amp);
		uint64_t left = len - g->seg_pos;
		if (len == 0 || left == 0) {
			seg_next(g);
			continue;
		}
		uint64_t n = n16 - i;
		if (n > left)
			n = left;
		if (g->limit && n > g->limit - g->pos)
			n = g->limit - g->pos;
		if (g->kind == MXP_SIGGEN_ANNOUNCEMENT) {
			/* chunk boundaries are even: lengths and limits are in whole 8 kHz
			 * samples; the 8 kHz output takes the announcement's own 8 kHz
			 * version (filtered when it was loaded) */
			for (uint64_t j = 0; j < n; j++)
				buf[i + j] = g->ann->pcm16[g->seg_pos + j];
			for (uint64_t j = 0; j < n / 2; j++)
				buf8[i / 2 + j] = g->ann->pcm8[g->seg_pos / 2 + j];
		} else {
			/* tones: every other sample is the same tone sampled at 8 kHz (all of
			 * them below 4 kHz) */
			synth(buf + i, (unsigned int)n, freq, amp, g->seg_pos);
			for (uint64_t j = 0; j < n / 2; j++)
				buf8[i / 2 + j] = buf[i + 2 * j];
		}
		i += (unsigned int)n;
		g->pos += n;
		g->seg_pos += (uint32_t)n;
		if (g->seg_pos >= len)
			seg_next(g);
		if (g->limit && g->pos >= g->limit)
			g->done = true;
	}
	for (unsigned int j = 0; j < n16; j++) {
		double v = buf[j];
		if (pcm16 != NULL) {
			double s = add ? v + pcm16[j] : v;
			pcm16[j] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : lrint(s));
		}
	}
	if (pcm8 != NULL) {
		for (unsigned int j = 0; j < n16 / 2; j++) {
			double v = buf8[j];
			double s = add ? v + pcm8[j] : v;
			pcm8[j] = (int16_t)(s > 32767 ? 32767 : s < -32768 ? -32768 : lrint(s));
		}
	}
	return !g->done;
}

int
mxp_siggen_dtmf_state(const struct mxp_siggen *g, bool *on, uint32_t *on_pos16)
{
	if (g->kind != MXP_SIGGEN_DTMF || g->done)
		return -1;
	*on = g->seg % 2 == 0;
	*on_pos16 = g->seg_pos;
	return g->seg / 2;
}

struct mxp_announcement *
mxp_siggen_release(struct mxp_siggen *g)
{
	struct mxp_announcement *a = g->ann;
	g->ann = NULL;
	g->done = true;
	if (a != NULL && mxp_announcement_put(a))
		return a;
	return NULL;
}
