/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Digit maps (H.248.1 7.1.14, text encoding B.2 digitMapValue): a compiler into positions
 * and a matcher that runs the alternatives side by side (a set of active positions, one
 * bit each), with the start, short and long timers and the Z duration modifier.
 *
 * Matching (7.1.14.5): every event extends the dial string when some alternative takes
 * it. The collection completes with an unambiguous match (UM) as soon as an alternative is
 * complete and none can take another event; otherwise a timer runs: the start timer before
 * the first event, then the long timer while every alternative needs more events, the short
 * timer once one is complete but a longer one could still match; a timer letter (T, S, L)
 * reached in an alternative chooses the timer itself (L before S before T). When the timer
 * expires, or an event arrives that no alternative takes, the collection completes with a
 * full match (FM) when an alternative was complete, with a partial match (PM) otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mp_priv.h"

#define EV_COUNT 21                     /* 0-9, A-K */
#define EV_DIGITS 0x3ffu                /* "x": 0-9 */

struct dmc {
	const char *s;                  /* the value */
	size_t n, i;
	const char *base;
	struct mxp_mp_digitmap *dm;
	struct mxp_mp_error *e;
};

static int __attribute__((format(printf, 3, 4)))
dm_fail(struct dmc *c, unsigned int code, const char *fmt, ...)
{
	char t[MXP_MP_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	size_t pos = c->base ? (size_t)(c->s - c->base) + c->i : c->i;
	mxp_mp_error_set(c->e, code, c->base, pos, "DigitMap: %s", t);
	return code == MXP_MP_E_DM_SPACE ? -E2BIG : -EINVAL;
}

static int
dm_peek(struct dmc *c)
{
	c->i = mp_lwsp_skip(c->s, c->i, c->n);
	return c->i < c->n ? (unsigned char)c->s[c->i] : 0;
}

/* 0-9 -> 0..9, A-K -> 10..20 (either case); -1 otherwise. */
static int
ev_index(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch |= 0x20;
	if (ch >= 'a' && ch <= 'k')
		return 10 + ch - 'a';
	return -1;
}

static const char *
show_char(int ch)
{
	static __thread char b[8];
	if (ch == 0)
		return "the end";
	if (ch < 0x21 || ch > 0x7e)
		snprintf(b, sizeof(b), "0x%02x", ch);
	else
		snprintf(b, sizeof(b), "'%c'", ch);
	return b;
}

static int
bad_char(struct dmc *c, int ch, const char *where)
{
	if (ch == '#' || ch == '*')
		return dm_fail(c, MXP_MP_E_SYNTAX, "'%c' is no digit map letter: the DTMF package "
			       "maps %s to %c (H.248.1 E.6)", ch, ch == '#' ? "#" : "*",
			       ch == '#' ? 'F' : 'E');
	return dm_fail(c, MXP_MP_E_SYNTAX, "unexpected %s %s", show_char(ch), where);
}

static struct mxp_mp_dm_pos *
pos_new(struct dmc *c)
{
	if (c->dm->npos >= MXP_MP_DM_POS_MAX) {
		dm_fail(c, MXP_MP_E_DM_SPACE, "more than %d positions", MXP_MP_DM_POS_MAX);
		return NULL;
	}
	struct mxp_mp_dm_pos *p = &c->dm->pos[c->dm->npos++];
	memset(p, 0, sizeof(*p));
	p->alt = (uint8_t)(c->dm->nalts - 1);
	return p;
}

/* "[" *((DIGIT "-" DIGIT) / letter) "]": the set. */
static int
range(struct dmc *c, uint32_t *set)
{
	*set = 0;
	c->i++; /* '[' */
	for (;;) {
		int ch = dm_peek(c);
		if (ch == ']') {
			c->i++;
			break;
		}
		int k = ev_index(ch);
		if (k < 0) {
			if (ch && strchr("TtSsLlZz", ch))
				return dm_fail(c, MXP_MP_E_NOT_IMPL, "the letter %c inside [ ] is not "
					       "implemented", ch & ~0x20);
			return bad_char(c, ch, "inside [ ]");
		}
		c->i++;
		if (k < 10 && dm_peek(c) == '-') {
			c->i++;
			int hi = dm_peek(c);
			if (hi < '0' || hi > '9')
				return dm_fail(c, MXP_MP_E_SYNTAX, "a range is DIGIT-DIGIT");
			if (hi - '0' < k)
				return dm_fail(c, MXP_MP_E_BAD_VALUE, "range %d-%c is backwards", k, hi);
			c->i++;
			for (int d = k; d <= hi - '0'; d++)
				*set |= 1u << d;
		} else {
			*set |= 1u << k;
		}
	}
	if (*set == 0)
		return dm_fail(c, MXP_MP_E_SYNTAX, "[ ] matches no event");
	return 0;
}

/* One digitString, up to '|', ')' or the end. */
static int
digit_string(struct dmc *c)
{
	struct mxp_mp_digitmap *dm = c->dm;
	if (dm->nalts >= MXP_MP_DM_ALTS_MAX)
		return dm_fail(c, MXP_MP_E_DM_SPACE, "more than %d alternatives",
			       MXP_MP_DM_ALTS_MAX);
	dm->alt_first[dm->nalts++] = dm->npos;
	size_t start = c->i;
	bool events = false;
	for (;;) {
		int ch = dm_peek(c);
		if (ch == 0 || ch == '|' || ch == ')')
			break;
		struct mxp_mp_dm_pos *p = pos_new(c);
		if (p == NULL)
			return -E2BIG;
		int up = ch & ~0x20;
		if (up == 'T' || up == 'S' || up == 'L') {
			p->flags = up == 'T' ? MXP_MP_DM_F_TIMER_T :
				   up == 'S' ? MXP_MP_DM_F_TIMER_S : MXP_MP_DM_F_TIMER_L;
			c->i++;
			if (dm_peek(c) == '.')
				return dm_fail(c, MXP_MP_E_SYNTAX, "'.' after the timer letter %c", up);
			continue;
		}
		if (up == 'Z') {
			p->flags |= MXP_MP_DM_F_LONG;
			c->i++;
			ch = dm_peek(c);
		}
		if (ch == 'x' || ch == 'X') {
			p->set = EV_DIGITS;
			c->i++;
		} else if (ch == '[') {
			if (range(c, &p->set) != 0)
				return -EINVAL;
		} else if (ev_index(ch) >= 0) {
			p->set = 1u << ev_index(ch);
			c->i++;
		} else {
			return bad_char(c, ch, (p->flags & MXP_MP_DM_F_LONG) ? "after Z" :
					"in a digit string");
		}
		events = true;
		if (dm_peek(c) == '.') {
			p->flags |= MXP_MP_DM_F_DOT;
			c->i++;
		}
	}
	if (!events) {
		c->i = start;
		return dm_fail(c, MXP_MP_E_SYNTAX, "a digit string needs an event position");
	}
	return 0;
}

/* ["T:" 1*2DIGIT ","] ... ["Z:" 1*2DIGIT ","] */
static int
timers(struct dmc *c)
{
	for (;;) {
		size_t at = c->i;
		int ch = dm_peek(c);
		int up = ch & ~0x20;
		if (up != 'T' && up != 'S' && up != 'L' && up != 'Z')
			return 0;
		c->i++;
		if (dm_peek(c) != ':') {
			c->i = at; /* a timer letter of the digit string */
			return 0;
		}
		c->i++;
		dm_peek(c);
		unsigned int v = 0, nd = 0;
		while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9' && nd < 3) {
			v = v * 10 + (unsigned int)(c->s[c->i] - '0');
			c->i++;
			nd++;
		}
		if (nd == 0 || nd > 2)
			return dm_fail(c, MXP_MP_E_SYNTAX, "timer %c is 1 or 2 digits", up);
		uint8_t bit = up == 'T' ? MXP_MP_DM_GIVEN_T : up == 'S' ? MXP_MP_DM_GIVEN_S :
			      up == 'L' ? MXP_MP_DM_GIVEN_L : MXP_MP_DM_GIVEN_Z;
		if (c->dm->given & bit) {
			c->i = at;
			return dm_fail(c, MXP_MP_E_SYNTAX, "timer %c given twice", up);
		}
		c->dm->given |= bit;
		*(up == 'T' ? &c->dm->t : up == 'S' ? &c->dm->s : up == 'L' ? &c->dm->l :
			      &c->dm->z) = (uint8_t)v;
		if (dm_peek(c) != ',')
			return dm_fail(c, MXP_MP_E_SYNTAX, "expected ',' after timer %c", up);
		c->i++;
	}
}

int
mxp_mp_digitmap_compile(struct mxp_mp_str value, const char *base, struct mxp_mp_digitmap *dm,
			struct mxp_mp_error *err)
{
	struct dmc c = { .s = value.p, .n = value.len, .base = base, .dm = dm, .e = err };
	memset(dm, 0, sizeof(*dm));
	dm->t = MXP_MP_DM_T_DEFAULT;
	dm->s = MXP_MP_DM_S_DEFAULT;
	dm->l = MXP_MP_DM_L_DEFAULT;
	dm->z = MXP_MP_DM_Z_DEFAULT;
	if (value.p == NULL)
		return dm_fail(&c, MXP_MP_E_SYNTAX, "empty digit map");
	int r = timers(&c);
	if (r != 0)
		return r;
	int ch = dm_peek(&c);
	if (ch == 0)
		return dm_fail(&c, MXP_MP_E_SYNTAX, "expected a digit string or '('");
	if (ch == '(') {
		c.i++;
		for (;;) {
			if ((r = digit_string(&c)) != 0)
				return r;
			ch = dm_peek(&c);
			if (ch == ')')
				break;
			if (ch != '|')
				return dm_fail(&c, MXP_MP_E_SYNTAX, "expected '|' or ')', found the end");
			c.i++;
		}
		c.i++;
	} else if ((r = digit_string(&c)) != 0) {
		return r;
	}
	ch = dm_peek(&c);
	if (ch != 0)
		return ch == '|' ? dm_fail(&c, MXP_MP_E_SYNTAX, "alternatives go inside ( )")
				 : bad_char(&c, ch, "after the digit map");
	dm->alt_first[dm->nalts] = dm->npos;
	return 0;
}

/* ---- writing one back ---------------------------------------------------------------------- */

static void
put_ev(char *b, size_t *k, int e)
{
	b[(*k)++] = e < 10 ? (char)('0' + e) : (char)('A' + e - 10);
}

int
mxp_mp_digitmap_format(const struct mxp_mp_digitmap *dm, char *out, size_t cap)
{
	char b[MXP_MP_DM_POS_MAX * 32 + 64];
	size_t k = 0;
	static const struct { uint8_t bit; char c; } tm[] = { { MXP_MP_DM_GIVEN_T, 'T' },
		{ MXP_MP_DM_GIVEN_S, 'S' }, { MXP_MP_DM_GIVEN_L, 'L' }, { MXP_MP_DM_GIVEN_Z, 'Z' } };
	for (size_t i = 0; i < sizeof(tm) / sizeof(tm[0]); i++) {
		if (!(dm->given & tm[i].bit))
			continue;
		uint8_t v = tm[i].c == 'T' ? dm->t : tm[i].c == 'S' ? dm->s :
			    tm[i].c == 'L' ? dm->l : dm->z;
		k += (size_t)snprintf(b + k, sizeof(b) - k, "%c:%u,", tm[i].c, v);
	}
	bool list = dm->nalts > 1;
	if (list)
		b[k++] = '(';
	for (uint8_t a = 0; a < dm->nalts; a++) {
		if (a)
			b[k++] = '|';
		for (uint8_t i = dm->alt_first[a]; i < dm->alt_first[a + 1]; i++) {
			const struct mxp_mp_dm_pos *p = &dm->pos[i];
			if (p->flags & MXP_MP_DM_F_TIMERS) {
				b[k++] = (p->flags & MXP_MP_DM_F_TIMER_T) ? 'T' :
					 (p->flags & MXP_MP_DM_F_TIMER_S) ? 'S' : 'L';
				continue;
			}
			if (p->flags & MXP_MP_DM_F_LONG)
				b[k++] = 'Z';
			if (p->set == EV_DIGITS) {
				b[k++] = 'x';
			} else if ((p->set & (p->set - 1)) == 0) {
				put_ev(b, &k, __builtin_ctz(p->set));
			} else {
				b[k++] = '[';
				for (int e = 0; e < EV_COUNT; e++) {
					if (!(p->set & (1u << e)))
						continue;
					int hi = e;
					while (hi < 9 && (p->set & (1u << (hi + 1))))
						hi++;
					put_ev(b, &k, e);
					if (hi >= e + 2) {
						b[k++] = '-';
						put_ev(b, &k, hi);
						e = hi;
					}
				}
				b[k++] = ']';
			}
			if (p->flags & MXP_MP_DM_F_DOT)
				b[k++] = '.';
		}
	}
	if (list)
		b[k++] = ')';
	if (k + 1 > cap)
		return -ENOSPC;
	memcpy(out, b, k);
	out[k] = '\0';
	return (int)k;
}

bool
mxp_mp_digitmap_name_ok(struct mxp_mp_str name)
{
	if (name.len == 0 || name.len > MXP_MP_DM_NAME_MAX)
		return false;
	for (uint32_t i = 0; i < name.len; i++) {
		int ch = (unsigned char)name.p[i];
		bool alpha = (ch | 0x20) >= 'a' && (ch | 0x20) <= 'z';
		if (!alpha && (i == 0 || !((ch >= '0' && ch <= '9') || ch == '_')))
			return false;
	}
	return true;
}

/* ---- the DigitMap parameter of an event ---------------------------------------------------- */

int
mxp_mp_event_digitmap(struct mxp_mp_str params, struct mxp_mp_str *name, struct mxp_mp_str *value,
		      struct mxp_mp_error *err)
{
	size_t n = params.len, i = 0;
	const char *s = params.p;
	*name = *value = (struct mxp_mp_str){ NULL, 0 };
	memset(err, 0, sizeof(*err));
	while (i < n) {
		/* one parameter: up to a ',' outside braces and quotes */
		i = mp_lwsp_skip(s, i, n);
		size_t ks = i;
		while (i < n && s[i] != '=' && s[i] != ',' && s[i] != '{' &&
		       !strchr(" \t\r\n", s[i]))
			i++;
		struct mxp_mp_str key = { s + ks, (uint32_t)(i - ks) };
		i = mp_lwsp_skip(s, i, n);
		bool dm = mxp_mp_str_eq(key, "DigitMap") || mxp_mp_str_eq(key, "DM");
		if (dm && (i >= n || s[i] != '='))
			return mxp_mp_error_set(err, MXP_MP_E_SYNTAX, NULL, i,
						"expected '=' after DigitMap");
		if (i < n && s[i] == '=')
			i = mp_lwsp_skip(s, i + 1, n);
		size_t vs = i;
		int depth = 0;
		bool inq = false;
		for (; i < n; i++) {
			char ch = s[i];
			if (inq) {
				inq = ch != '"';
			} else if (ch == '"') {
				inq = true;
			} else if (ch == '{') {
				depth++;
			} else if (ch == '}') {
				if (--depth < 0)
					break;
			} else if (ch == ',' && depth == 0) {
				break;
			}
		}
		if (depth != 0 || inq)
			return mxp_mp_error_set(err, MXP_MP_E_SYNTAX, NULL, vs,
						"unbalanced braces or quotes in event parameters");
		if (dm) {
			if (name->p || value->p)
				return mxp_mp_error_set(err, MXP_MP_E_SYNTAX, NULL, ks,
							"DigitMap given twice");
			size_t ve = i;
			while (ve > vs && strchr(" \t\r\n", s[ve - 1]))
				ve--;
			if (vs < ve && s[vs] == '{') {
				if (s[ve - 1] != '}')
					return mxp_mp_error_set(err, MXP_MP_E_SYNTAX, NULL, vs,
								"expected '}' to close the digit map");
				*value = (struct mxp_mp_str){ s + vs + 1, (uint32_t)(ve - vs - 2) };
			} else {
				*name = (struct mxp_mp_str){ s + vs, (uint32_t)(ve - vs) };
				if (!mxp_mp_digitmap_name_ok(*name))
					return mxp_mp_error_set(err, MXP_MP_E_SYNTAX, NULL, vs,
								"DigitMap = NAME or DigitMap = { ... }");
			}
		}
		if (i < n && s[i] == ',')
			i++;
	}
	return 0;
}

/* ---- matching ---------------------------------------------------------------------------- */

const char *
mxp_mp_dm_method(enum mxp_mp_dm_result r)
{
	return r == MXP_MP_DM_UM ? "UM" : r == MXP_MP_DM_PM ? "PM" : r == MXP_MP_DM_FM ? "FM" : "";
}

char
mxp_mp_dm_letter(char dtmf)
{
	if (dtmf == '*')
		return 'E';
	if (dtmf == '#')
		return 'F';
	int k = ev_index((unsigned char)dtmf);
	return k < 0 ? 0 : k < 10 ? dtmf : (char)('A' + k - 10);
}

static void
bit_set(uint64_t *a, unsigned int b)
{
	a[b / 64] |= 1ull << (b % 64);
}

static bool
bit_get(const uint64_t *a, unsigned int b)
{
	return (a[b / 64] >> (b % 64)) & 1;
}

/* Position p of alternative alt becomes active, with what it reaches without an event. */
static void
activate(const struct mxp_mp_digitmap *dm, uint64_t *act, uint8_t alt, unsigned int p)
{
	for (;;) {
		if (p >= dm->alt_first[alt + 1]) {
			bit_set(act, dm->npos + alt); /* complete */
			return;
		}
		if (bit_get(act, p))
			return;
		bit_set(act, p);
		if (!(dm->pos[p].flags & (MXP_MP_DM_F_DOT | MXP_MP_DM_F_TIMERS)))
			return;
		p++; /* "x." may occur zero times; a timer letter takes no event */
	}
}

static bool
any_complete(const struct mxp_mp_digitmap *dm, const uint64_t *act)
{
	for (uint8_t a = 0; a < dm->nalts; a++)
		if (bit_get(act, dm->npos + a))
			return true;
	return false;
}

/* The timer to run now: a timer letter reached, else the default rule. */
static void
arm(const struct mxp_mp_digitmap *dm, struct mxp_mp_dm_state *st, uint64_t now_ms, bool first)
{
	uint8_t letters = 0;
	for (unsigned int p = 0; p < dm->npos; p++)
		if (bit_get(st->act, p))
			letters |= dm->pos[p].flags & MXP_MP_DM_F_TIMERS;
	/* before the first event the start timer runs, whatever the letters say */
	char t = first || (letters & MXP_MP_DM_F_TIMERS) == MXP_MP_DM_F_TIMER_T ? 'T' :
		 (letters & MXP_MP_DM_F_TIMER_L) ? 'L' : (letters & MXP_MP_DM_F_TIMER_S) ? 'S' :
		 any_complete(dm, st->act) ? 'S' : 'L';
	uint8_t sec = t == 'T' ? dm->t : t == 'S' ? dm->s : dm->l;
	st->timer = t;
	st->deadline_ms = sec ? now_ms + sec * 1000ull : 0;
}

void
mxp_mp_dm_start(const struct mxp_mp_digitmap *dm, struct mxp_mp_dm_state *st, uint64_t now_ms)
{
	memset(st, 0, sizeof(*st));
	for (uint8_t a = 0; a < dm->nalts; a++)
		activate(dm, st->act, a, dm->alt_first[a]);
	arm(dm, st, now_ms, true);
}

static enum mxp_mp_dm_result
finish(const struct mxp_mp_digitmap *dm, struct mxp_mp_dm_state *st)
{
	st->done = true;
	st->deadline_ms = 0;
	st->timer = 0;
	return any_complete(dm, st->act) ? MXP_MP_DM_FM : MXP_MP_DM_PM;
}

enum mxp_mp_dm_result
mxp_mp_dm_event(const struct mxp_mp_digitmap *dm, struct mxp_mp_dm_state *st, char ev,
		bool long_dur, uint64_t now_ms)
{
	if (st->done)
		return MXP_MP_DM_MORE;
	int k = ev_index((unsigned char)ev);
	if (k < 0)
		return MXP_MP_DM_MORE; /* not a digit map event */
	uint32_t bit = 1u << k;
	/* A long event that a Z position takes is a long one; otherwise an ordinary one. */
	bool z_takes = false;
	for (unsigned int p = 0; long_dur && p < dm->npos; p++)
		if (bit_get(st->act, p) && (dm->pos[p].flags & MXP_MP_DM_F_LONG) &&
		    (dm->pos[p].set & bit))
			z_takes = true;
	uint64_t next[sizeof(st->act) / sizeof(st->act[0])] = { 0 };
	bool taken = false;
	for (unsigned int p = 0; p < dm->npos; p++) {
		const struct mxp_mp_dm_pos *q = &dm->pos[p];
		if (!bit_get(st->act, p) || !(q->set & bit))
			continue;
		if ((q->flags & MXP_MP_DM_F_LONG) != 0 ? !z_takes : z_takes)
			continue;
		taken = true;
		activate(dm, next, q->alt, (q->flags & MXP_MP_DM_F_DOT) ? p : p + 1);
	}
	if (!taken || st->ndigits >= MXP_MP_DM_DIGITS_MAX)
		return finish(dm, st); /* the unmatched event is not part of the dial string */
	memcpy(st->act, next, sizeof(next));
	st->digits[st->ndigits++] = k < 10 ? (char)('0' + k) : (char)('A' + k - 10);
	st->digits[st->ndigits] = '\0';
	bool more = false;
	for (unsigned int p = 0; p < dm->npos && !more; p++)
		more = bit_get(st->act, p) && dm->pos[p].set != 0;
	if (!more) {
		st->done = true;
		st->deadline_ms = 0;
		st->timer = 0;
		return MXP_MP_DM_UM;
	}
	arm(dm, st, now_ms, false);
	return MXP_MP_DM_MORE;
}

enum mxp_mp_dm_result
mxp_mp_dm_timer(const struct mxp_mp_digitmap *dm, struct mxp_mp_dm_state *st, uint64_t now_ms)
{
	if (st->done || st->deadline_ms == 0 || now_ms < st->deadline_ms)
		return MXP_MP_DM_MORE;
	return finish(dm, st);
}
