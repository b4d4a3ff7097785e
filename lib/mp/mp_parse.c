/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * H.248.1 Annex B text parser (the subset in doc/mp.md): recursive descent over the
 * caller's buffer, no allocation, views into the buffer, every failure an H.248.8 code
 * with the byte position (and line/column) where it was detected.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mp_priv.h"

struct parser {
	const char *b;
	size_t n, i;
	int depth;
	bool reply;               /* inside a transaction reply */
	struct mxp_mp_msg *m;
	struct mxp_mp_error *e;
	bool have_tid;
	uint32_t tid;
	int rc;                   /* errno-style result of the first error */
};

#define FAIL(p, code, ...) fail_at((p), (p)->i, (code), __VA_ARGS__)

static int __attribute__((format(printf, 4, 5)))
fail_at(struct parser *p, size_t pos, unsigned int code, const char *fmt, ...)
{
	char msg[MXP_MP_TEXT_MAX];
	va_list ap;

	if (p->e->code != 0)
		return p->rc; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mxp_mp_error_set(p->e, code, p->b, pos, "%s", msg);
	p->e->have_tid = p->have_tid;
	p->e->tid = p->tid;
	p->rc = code == MXP_MP_E_RESOURCES || code == MXP_MP_E_TOO_MANY_TRANS ||
		code == MXP_MP_E_DM_SPACE ? -E2BIG :
		code == MXP_MP_E_NOT_IMPL ? -ENOTSUP : -EINVAL;
	return p->rc;
}

static bool
is_safe(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c != 0 && strchr("+-&!_/'?@^`~*$\\()%|.", c) != NULL;
}

/* LWSP: whitespace, line ends and comments (';' to the end of the line). */
static void
lwsp(struct parser *p)
{
	p->i = mp_lwsp_skip(p->b, p->i, p->n);
}

static int
peek(struct parser *p)
{
	lwsp(p);
	return p->i < p->n ? (unsigned char)p->b[p->i] : 0;
}

static bool
accept(struct parser *p, char c)
{
	if (peek(p) == (unsigned char)c) {
		p->i++;
		return true;
	}
	return false;
}

static const char *
show(int c)
{
	static __thread char s[8];
	if (c == 0)
		return "end of message";
	if (c < 0x20 || c > 0x7e)
		snprintf(s, sizeof(s), "0x%02x", c);
	else
		snprintf(s, sizeof(s), "'%c'", c);
	return s;
}

static int
expect(struct parser *p, char c, const char *where)
{
	if (accept(p, c))
		return 0;
	return FAIL(p, MXP_MP_E_SYNTAX, "expected '%c' %s, found %s", c, where, show(peek(p)));
}

static int
lbrkt(struct parser *p, const char *where)
{
	if (expect(p, '{', where) != 0)
		return p->rc;
	if (++p->depth > MXP_MP_DEPTH_MAX)
		return fail_at(p, p->i - 1, MXP_MP_E_SYNTAX, "nesting deeper than %d levels",
			       MXP_MP_DEPTH_MAX);
	return 0;
}

static int
rbrkt(struct parser *p, const char *where)
{
	if (expect(p, '}', where) != 0)
		return p->rc;
	p->depth--;
	return 0;
}

/* A run of SafeChars (a token, NAME, pkgdName, VALUE or id). */
static int
word(struct parser *p, struct mxp_mp_str *w, const char *what)
{
	lwsp(p);
	size_t s = p->i;
	while (p->i < p->n && is_safe((unsigned char)p->b[p->i]))
		p->i++;
	if (p->i == s)
		return FAIL(p, MXP_MP_E_SYNTAX, "expected %s, found %s", what, show(peek(p)));
	w->p = p->b + s;
	w->len = (uint32_t)(p->i - s);
	return 0;
}

static bool
tok_is(struct mxp_mp_str w, enum mp_tok_id t)
{
	return mxp_mp_str_eq(w, mp_toks[t].lng) || mxp_mp_str_eq(w, mp_toks[t].cmp);
}

static int
tok_find(struct mxp_mp_str w, const enum mp_tok_id *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (tok_is(w, set[i]))
			return (int)set[i];
	return -1;
}

static int
uint32_of(struct parser *p, struct mxp_mp_str w, uint32_t *v, const char *what)
{
	if (mxp_mp_str_uint(w, UINT32_MAX, v))
		return 0;
	return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_SYNTAX, "%s: '%.*s' is not a 32-bit number",
		       what, (int)(w.len > 20 ? 20 : w.len), w.p);
}

/* A run of digits only (transaction ids, which a '/' may follow in segmented replies). */
static int
digits(struct parser *p, uint32_t *v, const char *what)
{
	lwsp(p);
	struct mxp_mp_str w = { p->b + p->i, 0 };
	while (p->i < p->n && p->b[p->i] >= '0' && p->b[p->i] <= '9')
		p->i++;
	w.len = (uint32_t)(p->b + p->i - w.p);
	if (w.len == 0 || (p->i < p->n && is_safe((unsigned char)p->b[p->i]) && p->b[p->i] != '/'))
		return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_SYNTAX, "expected %s", what);
	return uint32_of(p, w, v, what);
}

static int
number(struct parser *p, uint32_t *v, const char *what)
{
	struct mxp_mp_str w;
	if (word(p, &w, what) != 0)
		return p->rc;
	return uint32_of(p, w, v, what);
}

/* quotedString: DQUOTE ... DQUOTE (no escapes in H.248 text). View excludes the quotes. */
static int
quoted(struct parser *p, struct mxp_mp_str *s)
{
	lwsp(p);
	if (p->i >= p->n || p->b[p->i] != '"')
		return FAIL(p, MXP_MP_E_SYNTAX, "expected '\"'");
	size_t start = ++p->i;
	while (p->i < p->n && p->b[p->i] != '"')
		p->i++;
	if (p->i >= p->n)
		return fail_at(p, start - 1, MXP_MP_E_SYNTAX, "unterminated quoted string");
	s->p = p->b + start;
	s->len = (uint32_t)(p->i - start);
	p->i++;
	return 0;
}

/* Skip a balanced { } or [ ] group starting at the opening bracket; s gets the inside. */
static int
balanced(struct parser *p, struct mxp_mp_str *s)
{
	char open = p->b[p->i], close = open == '{' ? '}' : ']';
	int d = 0;
	size_t start = p->i;
	bool inq = false;

	for (; p->i < p->n; p->i++) {
		char c = p->b[p->i];
		if (inq) {
			inq = c != '"';
			continue;
		}
		if (c == '"') {
			inq = true;
		} else if (c == '\\' && p->i + 1 < p->n) {
			p->i++;
		} else if (c == open) {
			if (p->depth + ++d > MXP_MP_DEPTH_MAX)
				return FAIL(p, MXP_MP_E_SYNTAX, "nesting deeper than %d levels",
					    MXP_MP_DEPTH_MAX);
		} else if (c == close && --d == 0) {
			s->p = p->b + start + 1;
			s->len = (uint32_t)(p->i - start - 1);
			p->i++;
			return 0;
		}
	}
	return fail_at(p, start, MXP_MP_E_SYNTAX, "unbalanced '%c'", open);
}

/* VALUE / quotedString / [list] / {list}: raw view (quotes kept). */
static int
value(struct parser *p, struct mxp_mp_str *v, const char *what)
{
	int c = peek(p);
	size_t s = p->i;
	if (c == '"') {
		struct mxp_mp_str q;
		if (quoted(p, &q) != 0)
			return p->rc;
	} else if (c == '[' || c == '{') {
		struct mxp_mp_str in;
		if (balanced(p, &in) != 0)
			return p->rc;
	} else {
		return word(p, v, what);
	}
	v->p = p->b + s;
	v->len = (uint32_t)(p->i - s);
	return 0;
}

static struct mxp_mp_prop *
prop_new(struct parser *p, struct mxp_mp_props *run)
{
	if (p->m->nprops >= MXP_MP_PROPS_MAX) {
		FAIL(p, MXP_MP_E_RESOURCES, "more than %d properties, events or statistics",
		     MXP_MP_PROPS_MAX);
		return NULL;
	}
	if (run->n == 0)
		run->first = p->m->nprops;
	else if (run->first + run->n != p->m->nprops) {
		FAIL(p, MXP_MP_E_DESC_TWICE, "descriptor appears twice");
		return NULL;
	}
	run->n++;
	struct mxp_mp_prop *pr = &p->m->props[p->m->nprops++];
	memset(pr, 0, sizeof(*pr));
	return pr;
}

/* propertyParm = pkgdName parmValue; parmValue = "=" alt / "#" / ">" / "<" VALUE. */
static int
property(struct parser *p, struct mxp_mp_str name, struct mxp_mp_props *run)
{
	struct mxp_mp_prop *pr = prop_new(p, run);
	if (pr == NULL)
		return p->rc;
	pr->name = name;
	int c = peek(p);
	if (c == '=' || c == '#' || c == '>' || c == '<') {
		p->i++;
		pr->op = (char)c;
		return value(p, &pr->value, "a property value");
	}
	return FAIL(p, MXP_MP_E_SYNTAX, "expected '=' after property '%.*s'", (int)name.len,
		    name.p);
}

static int
error_desc(struct parser *p, uint16_t *code, struct mxp_mp_str *text)
{
	uint32_t c;
	if (expect(p, '=', "after Error") != 0 || number(p, &c, "an error code") != 0)
		return p->rc;
	if (c > 999)
		return FAIL(p, MXP_MP_E_SYNTAX, "error code %u is not 1..999", c);
	*code = (uint16_t)c;
	text->p = NULL;
	text->len = 0;
	if (lbrkt(p, "after the error code") != 0)
		return p->rc;
	if (peek(p) == '"' && quoted(p, text) != 0)
		return p->rc;
	return rbrkt(p, "after the error text");
}

static int
mode_of(struct parser *p, enum mxp_mp_mode *mode)
{
	static const enum mp_tok_id modes[] = { TK_SENDONLY, TK_RECVONLY, TK_SENDRECV,
						TK_INACTIVE, TK_LOOPBACK };
	struct mxp_mp_str w;
	if (word(p, &w, "a stream mode") != 0)
		return p->rc;
	switch (tok_find(w, modes, 5)) {
	case TK_SENDONLY: *mode = MXP_MP_MODE_SENDONLY; return 0;
	case TK_RECVONLY: *mode = MXP_MP_MODE_RECVONLY; return 0;
	case TK_SENDRECV: *mode = MXP_MP_MODE_SENDRECV; return 0;
	case TK_INACTIVE: *mode = MXP_MP_MODE_INACTIVE; return 0;
	case TK_LOOPBACK: *mode = MXP_MP_MODE_LOOPBACK; return 0;
	default:
		return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_MODE, "unknown stream mode '%.*s'",
			       (int)(w.len > 30 ? 30 : w.len), w.p);
	}
}

/* LocalControl { Mode=..., ReservedGroup=..., pkg/prop=... } */
static int
local_control(struct parser *p, struct mxp_mp_stream *st)
{
	if (lbrkt(p, "after LocalControl") != 0)
		return p->rc;
	do {
		struct mxp_mp_str w;
		if (word(p, &w, "a LocalControl parameter") != 0)
			return p->rc;
		if (tok_is(w, TK_MODE)) {
			if (st->mode != MXP_MP_MODE_UNSET)
				return FAIL(p, MXP_MP_E_PROP_TWICE, "Mode appears twice");
			if (expect(p, '=', "after Mode") != 0 || mode_of(p, &st->mode) != 0)
				return p->rc;
		} else if (tok_is(w, TK_RESERVEDGROUP) || tok_is(w, TK_RESERVEDVALUE)) {
			struct mxp_mp_str v;
			if (expect(p, '=', "after Reserved") != 0 || value(p, &v, "ON or OFF") != 0)
				return p->rc;
		} else if (property(p, w, &st->lc_props) != 0) {
			return p->rc;
		}
	} while (accept(p, ','));
	return rbrkt(p, "to close LocalControl");
}

/* Local { octetString } / Remote { }: raw SDP, '}' escaped as "\}". */
static int
octets(struct parser *p, struct mxp_mp_str *s, const char *what)
{
	if (lbrkt(p, what) != 0)
		return p->rc;
	size_t start = p->i;
	while (p->i < p->n && p->b[p->i] != '}') {
		if (p->b[p->i] == '\\' && p->i + 1 < p->n && p->b[p->i + 1] == '}')
			p->i++;
		p->i++;
	}
	if (p->i >= p->n)
		return fail_at(p, start, MXP_MP_E_SYNTAX, "unterminated descriptor %s", what);
	size_t end = p->i;
	while (start < end && strchr(" \t\r\n", p->b[start]) != NULL)
		start++;
	while (end > start && strchr(" \t\r\n", p->b[end - 1]) != NULL)
		end--;
	s->p = p->b + start;
	s->len = (uint32_t)(end - start);
	p->i++;
	p->depth--;
	return 0;
}

/* Statistics { pkgdName [= value], ... } */
static int
statistics(struct parser *p, struct mxp_mp_props *run)
{
	if (lbrkt(p, "after Statistics") != 0)
		return p->rc;
	if (peek(p) != '}') {
		do {
			struct mxp_mp_str w;
			if (word(p, &w, "a statistic name") != 0)
				return p->rc;
			struct mxp_mp_prop *pr = prop_new(p, run);
			if (pr == NULL)
				return p->rc;
			pr->name = w;
			if (accept(p, '=')) {
				pr->op = '=';
				if (value(p, &pr->value, "a statistic value") != 0)
					return p->rc;
			}
		} while (accept(p, ','));
	}
	return rbrkt(p, "to close Statistics");
}

static struct mxp_mp_stream *
stream_get(struct parser *p, struct mxp_mp_cmd *c, uint16_t id)
{
	for (uint8_t k = 0; k < c->nstreams; k++)
		if (c->streams[k].id == id)
			return &c->streams[k];
	if (c->nstreams >= MXP_MP_STREAMS_MAX) {
		FAIL(p, MXP_MP_E_NOT_IMPL, "more than %d streams per termination",
		     MXP_MP_STREAMS_MAX);
		return NULL;
	}
	struct mxp_mp_stream *st = &c->streams[c->nstreams++];
	memset(st, 0, sizeof(*st));
	st->id = id;
	return st;
}

static int
stream_parm(struct parser *p, struct mxp_mp_str w, struct mxp_mp_stream *st)
{
	if (tok_is(w, TK_LOCAL)) {
		if (st->has_local)
			return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_DESC_TWICE,
				       "Local appears twice in stream %u", st->id);
		st->has_local = true;
		return octets(p, &st->local, "after Local");
	}
	if (tok_is(w, TK_REMOTE)) {
		if (st->has_remote)
			return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_DESC_TWICE,
				       "Remote appears twice in stream %u", st->id);
		st->has_remote = true;
		return octets(p, &st->remote, "after Remote");
	}
	if (tok_is(w, TK_LOCALCONTROL))
		return local_control(p, st);
	if (tok_is(w, TK_STATS)) {
		st->has_stats = true;
		return statistics(p, &st->stats);
	}
	return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_UNKNOWN_DESC,
		       "unknown stream descriptor '%.*s'", (int)(w.len > 30 ? 30 : w.len), w.p);
}

/* TerminationState { ServiceStates=..., Buffer=..., pkg/prop=... } */
static int
term_state(struct parser *p, struct mxp_mp_cmd *c)
{
	if (lbrkt(p, "after TerminationState") != 0)
		return p->rc;
	if (peek(p) != '}') {
		do {
			struct mxp_mp_str w, v;
			if (word(p, &w, "a TerminationState parameter") != 0)
				return p->rc;
			if (tok_is(w, TK_SERVICESTATES) || tok_is(w, TK_BUFFER)) {
				if (expect(p, '=', "after ServiceStates") != 0 ||
				    value(p, &v, "a value") != 0)
					return p->rc;
			} else if (property(p, w, &c->ts_props) != 0) {
				return p->rc;
			}
		} while (accept(p, ','));
	}
	return rbrkt(p, "to close TerminationState");
}

static int
media(struct parser *p, struct mxp_mp_cmd *c)
{
	if (c->has_media)
		return FAIL(p, MXP_MP_E_DESC_TWICE, "Media appears twice");
	c->has_media = true;
	if (lbrkt(p, "after Media") != 0)
		return p->rc;
	if (peek(p) == '}')
		return rbrkt(p, "to close Media");
	do {
		struct mxp_mp_str w;
		if (word(p, &w, "a Media parameter") != 0)
			return p->rc;
		if (tok_is(w, TK_STREAM)) {
			uint32_t id;
			if (expect(p, '=', "after Stream") != 0)
				return p->rc;
			lwsp(p);
			size_t at = p->i;
			if (number(p, &id, "a stream id") != 0)
				return p->rc;
			if (id == 0 || id > 65535)
				return fail_at(p, at, MXP_MP_E_BAD_ID, "stream id %u out of range", id);
			struct mxp_mp_stream *st = stream_get(p, c, (uint16_t)id);
			if (st == NULL || lbrkt(p, "after the stream id") != 0)
				return p->rc;
			do {
				struct mxp_mp_str sw;
				if (word(p, &sw, "a stream parameter") != 0 || stream_parm(p, sw, st) != 0)
					return p->rc;
			} while (accept(p, ','));
			if (rbrkt(p, "to close Stream") != 0)
				return p->rc;
		} else if (tok_is(w, TK_TERMSTATE)) {
			if (term_state(p, c) != 0)
				return p->rc;
		} else {
			/* Stream parameters without a Stream descriptor: stream 1. */
			struct mxp_mp_stream *st = stream_get(p, c, 1);
			if (st == NULL || stream_parm(p, w, st) != 0)
				return p->rc;
		}
	} while (accept(p, ','));
	return rbrkt(p, "to close Media");
}

/* Events [= rid { pkg/evt [{params}], ... }] and ObservedEvents = rid { [ts:] pkg/evt ... } */
static int
events(struct parser *p, struct mxp_mp_cmd *c, bool observed)
{
	if (c->has_events)
		return FAIL(p, MXP_MP_E_DESC_TWICE, "%s appears twice",
			    observed ? "ObservedEvents" : "Events");
	c->has_events = true;
	if (!observed && peek(p) != '=')
		return 0; /* "Events" alone: no events */
	if (expect(p, '=', "after Events") != 0 || number(p, &c->events_rid, "a request id") != 0 ||
	    lbrkt(p, "after the request id") != 0)
		return p->rc;
	do {
		struct mxp_mp_str w;
		if (word(p, &w, "an event name") != 0)
			return p->rc;
		if (observed && accept(p, ':')) {
			/* timestamp (8DIGIT "T" 8DIGIT) ":" name */
			if (word(p, &w, "an event name after the time stamp") != 0)
				return p->rc;
		}
		struct mxp_mp_prop *pr = prop_new(p, &c->events);
		if (pr == NULL)
			return p->rc;
		pr->name = w;
		if (peek(p) == '{') {
			if (balanced(p, &pr->value) != 0)
				return p->rc;
		}
	} while (accept(p, ','));
	return rbrkt(p, "to close the events");
}

/* Packages { name "-" version, ... } (H.248.1 B.2 packagesItem = NAME "-" UINT16). */
static int
packages(struct parser *p, struct mxp_mp_cmd *c)
{
	if (lbrkt(p, "after Packages") != 0)
		return p->rc;
	if (peek(p) == '}')
		return rbrkt(p, "to close Packages");
	do {
		struct mxp_mp_str w;
		if (word(p, &w, "a package name-version") != 0)
			return p->rc;
		const char *dash = NULL;
		for (uint32_t k = w.len; k-- > 0;)
			if (w.p[k] == '-') {
				dash = w.p + k;
				break;
			}
		if (dash == NULL || dash == w.p || dash == w.p + w.len - 1)
			return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_SYNTAX,
				       "a Packages item is name-version");
		struct mxp_mp_prop *pr = prop_new(p, &c->packages);
		if (pr == NULL)
			return p->rc;
		pr->name = (struct mxp_mp_str){ w.p, (uint32_t)(dash - w.p) };
		pr->value = (struct mxp_mp_str){ dash + 1, (uint32_t)(w.p + w.len - dash - 1) };
		pr->op = '-';
	} while (accept(p, ','));
	return rbrkt(p, "to close Packages");
}

/*
 * DigitMap = name [{ digitMapValue }] / DigitMap = { digitMapValue } (H.248.1 B.2
 * digitMapDescriptor): name and the body kept as views, the body compiled once here so that
 * a bad digit map is refused with its position.
 */
static int
digitmap(struct parser *p, struct mxp_mp_cmd *c)
{
	struct mxp_mp_str name = { NULL, 0 }, body = { NULL, 0 };
	if (expect(p, '=', "after DigitMap") != 0)
		return p->rc;
	if (peek(p) != '{') {
		if (word(p, &name, "a digit map name or '{'") != 0)
			return p->rc;
		if (!mxp_mp_digitmap_name_ok(name))
			return fail_at(p, (size_t)(name.p - p->b), MXP_MP_E_SYNTAX,
				       "a digit map name is a letter and up to %d letters, digits or "
				       "'_'", MXP_MP_DM_NAME_MAX - 1);
	}
	if (peek(p) == '{') {
		if (balanced(p, &body) != 0)
			return p->rc;
		while (body.len && strchr(" \t\r\n", body.p[0]) != NULL) {
			body.p++;
			body.len--;
		}
		while (body.len && strchr(" \t\r\n", body.p[body.len - 1]) != NULL)
			body.len--;
		struct mxp_mp_digitmap dm;
		struct mxp_mp_error e;
		if (mxp_mp_digitmap_compile(body, NULL, &dm, &e) != 0)
			return fail_at(p, (size_t)(body.p - p->b) + e.pos, e.code, "%s", e.text);
	}
	struct mxp_mp_prop *pr = prop_new(p, &c->digitmaps);
	if (pr == NULL)
		return p->rc;
	pr->name = name.p ? name : (struct mxp_mp_str){ p->b + p->i, 0 };
	if (body.p) {
		pr->op = '=';
		pr->value = body;
	}
	return 0;
}

static int
audit(struct parser *p, struct mxp_mp_cmd *c)
{
	static const struct { enum mp_tok_id t; uint32_t bit; } items[] = {
		{ TK_MEDIA, MXP_MP_AUDIT_MEDIA }, { TK_EVENTS, MXP_MP_AUDIT_EVENTS },
		{ TK_SIGNALS, MXP_MP_AUDIT_SIGNALS }, { TK_STATS, MXP_MP_AUDIT_STATS },
		{ TK_OBSEVENTS, MXP_MP_AUDIT_OBSEVENTS }, { TK_PACKAGES, MXP_MP_AUDIT_PACKAGES },
		{ TK_DIGITMAP, MXP_MP_AUDIT_DIGITMAP }, { TK_EVENTBUFFER, MXP_MP_AUDIT_EVBUFFER },
	};
	if (c->has_audit)
		return FAIL(p, MXP_MP_E_DESC_TWICE, "Audit appears twice");
	c->has_audit = true;
	if (lbrkt(p, "after Audit") != 0)
		return p->rc;
	if (peek(p) == '}')
		return rbrkt(p, "to close Audit");
	do {
		struct mxp_mp_str w;
		if (word(p, &w, "an audit item") != 0)
			return p->rc;
		size_t k;
		for (k = 0; k < sizeof(items) / sizeof(items[0]); k++)
			if (tok_is(w, items[k].t))
				break;
		if (k == sizeof(items) / sizeof(items[0]))
			return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_UNKNOWN_DESC,
				       "unknown audit item '%.*s'", (int)(w.len > 30 ? 30 : w.len),
				       w.p);
		c->audit |= items[k].bit;
		if (peek(p) == '{') {
			/* individual audit (v2): the whole descriptor is audited */
			struct mxp_mp_str in;
			if (balanced(p, &in) != 0)
				return p->rc;
		}
	} while (accept(p, ','));
	return rbrkt(p, "to close Audit");
}

/* ServiceChangeAddress / MgcIdToTry values may be an mId: [addr]:port or <name>:port. */
static int
mid_value(struct parser *p, struct mxp_mp_str *v)
{
	int c = peek(p);
	size_t s = p->i;
	if (c == '[' || c == '<') {
		char close = c == '[' ? ']' : '>';
		while (p->i < p->n && p->b[p->i] != close && p->i - s < 64)
			p->i++;
		if (p->i >= p->n || p->b[p->i] != close)
			return fail_at(p, s, MXP_MP_E_SYNTAX, "unterminated address");
		p->i++;
		if (p->i < p->n && p->b[p->i] == ':') {
			p->i++;
			while (p->i < p->n && p->b[p->i] >= '0' && p->b[p->i] <= '9')
				p->i++;
		}
		v->p = p->b + s;
		v->len = (uint32_t)(p->i - s);
		return 0;
	}
	return value(p, v, "an address");
}

static int
services(struct parser *p, struct mxp_mp_cmd *c)
{
	static const enum mp_tok_id parms[] = { TK_METHOD, TK_REASON, TK_DELAY, TK_SCADDRESS,
						TK_PROFILE, TK_VERSION, TK_MGCID };
	if (c->has_services)
		return FAIL(p, MXP_MP_E_DESC_TWICE, "Services appears twice");
	c->has_services = true;
	if (lbrkt(p, "after Services") != 0)
		return p->rc;
	do {
		struct mxp_mp_str w;
		if (word(p, &w, "a ServiceChange parameter") != 0)
			return p->rc;
		int t = tok_find(w, parms, sizeof(parms) / sizeof(parms[0]));
		if (t < 0) {
			if (w.len > 2 && (w.p[0] | 0x20) == 'x' && (w.p[1] == '-' || w.p[1] == '+')) {
				struct mxp_mp_str v;
				if (expect(p, '=', "after an extension") != 0 ||
				    value(p, &v, "a value") != 0)
					return p->rc;
				continue;
			}
			if (w.len == 17 && (w.p[8] | 0x20) == 't')
				continue; /* time stamp */
			return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_UNKNOWN_PARM,
				       "unknown ServiceChange parameter '%.*s'",
				       (int)(w.len > 30 ? 30 : w.len), w.p);
		}
		if (expect(p, '=', "after a ServiceChange parameter") != 0)
			return p->rc;
		switch (t) {
		case TK_METHOD:
			if (value(p, &c->sc_method, "a method") != 0)
				return p->rc;
			break;
		case TK_REASON:
			if (value(p, &c->sc_reason, "a reason") != 0)
				return p->rc;
			break;
		case TK_DELAY:
			if (number(p, &c->sc_delay, "a delay") != 0)
				return p->rc;
			break;
		case TK_SCADDRESS:
			if (mid_value(p, &c->sc_address) != 0)
				return p->rc;
			break;
		case TK_PROFILE:
			if (value(p, &c->sc_profile, "a profile") != 0)
				return p->rc;
			break;
		case TK_VERSION:
			if (number(p, &c->sc_version, "a version") != 0)
				return p->rc;
			break;
		case TK_MGCID:
			if (mid_value(p, &c->sc_mgcid) != 0)
				return p->rc;
			break;
		}
	} while (accept(p, ','));
	return rbrkt(p, "to close Services");
}

static int
term_id(struct parser *p, struct mxp_mp_cmd *c)
{
	struct mxp_mp_str w;
	if (word(p, &w, "a termination id") != 0)
		return p->rc;
	c->term = w;
	if (w.len == 1 && w.p[0] == '$')
		c->term_kind = MXP_MP_TERM_CHOOSE;
	else if (w.len == 1 && w.p[0] == '*')
		c->term_kind = MXP_MP_TERM_ALL;
	else if (mxp_mp_str_eq(w, "ROOT"))
		c->term_kind = MXP_MP_TERM_ROOT;
	else if (w.len > 64)
		return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_BAD_ID,
			       "termination id longer than 64 characters");
	else
		c->term_kind = MXP_MP_TERM_NAME;
	return 0;
}

static const enum mp_tok_id cmd_toks[] = { TK_ADD, TK_MODIFY, TK_MOVE, TK_SUBTRACT,
	TK_AUDITVALUE, TK_AUDITCAP, TK_NOTIFY, TK_SERVICECHANGE };

/* Descriptors each request may carry (H.248.1 7.2); replies may carry any we parse. */
static bool
desc_legal(enum mxp_mp_cmd_type t, enum mp_tok_id d)
{
	switch (t) {
	case MXP_MP_CMD_ADD:
	case MXP_MP_CMD_MODIFY:
	case MXP_MP_CMD_MOVE:
		return d == TK_MEDIA || d == TK_EVENTS || d == TK_SIGNALS || d == TK_AUDIT ||
		       d == TK_STATS || d == TK_DIGITMAP || d == TK_MUX || d == TK_MODEM ||
		       d == TK_EVENTBUFFER;
	case MXP_MP_CMD_SUBTRACT:
	case MXP_MP_CMD_AUDIT_VALUE:
	case MXP_MP_CMD_AUDIT_CAP:
		return d == TK_AUDIT;
	case MXP_MP_CMD_NOTIFY:
		return d == TK_OBSEVENTS || d == TK_ERROR;
	case MXP_MP_CMD_SERVICE_CHANGE:
		return d == TK_SERVICES;
	default:
		return false;
	}
}

static int
command(struct parser *p, struct mxp_mp_str w)
{
	static const enum mp_tok_id descs[] = { TK_MEDIA, TK_EVENTS, TK_SIGNALS, TK_AUDIT,
		TK_STATS, TK_OBSEVENTS, TK_ERROR, TK_SERVICES, TK_PACKAGES, TK_DIGITMAP, TK_MUX,
		TK_MODEM, TK_EVENTBUFFER, TK_TERMSTATE };
	bool opt = false, wild = false;
	size_t at = (size_t)(w.p - p->b);

	for (int k = 0; k < 2 && w.len > 2 && w.p[1] == '-'; k++) {
		if ((w.p[0] | 0x20) == 'o')
			opt = true;
		else if ((w.p[0] | 0x20) == 'w')
			wild = true;
		else
			break;
		w.p += 2;
		w.len -= 2;
	}
	int t = tok_find(w, cmd_toks, sizeof(cmd_toks) / sizeof(cmd_toks[0]));
	if (t < 0)
		return fail_at(p, at, MXP_MP_E_UNKNOWN_CMD, "unknown command '%.*s'",
			       (int)(w.len > 30 ? 30 : w.len), w.p);
	if (p->m->ncmds >= MXP_MP_CMDS_MAX)
		return fail_at(p, at, MXP_MP_E_RESOURCES, "more than %d commands in a message",
			       MXP_MP_CMDS_MAX);
	struct mxp_mp_cmd *c = &p->m->cmds[p->m->ncmds++];
	memset(c, 0, sizeof(*c));
	p->m->actions[p->m->nactions - 1].ncmds++;
	for (size_t k = 0; k < sizeof(cmd_toks) / sizeof(cmd_toks[0]); k++)
		if ((int)cmd_toks[k] == t)
			c->type = (enum mxp_mp_cmd_type)k;
	c->optional = opt;
	c->wildcard_reply = wild;
	if (expect(p, '=', "after the command") != 0 || term_id(p, c) != 0)
		return p->rc;
	if (peek(p) != '{') {
		if (!p->reply && (c->type == MXP_MP_CMD_AUDIT_VALUE ||
				  c->type == MXP_MP_CMD_AUDIT_CAP || c->type == MXP_MP_CMD_NOTIFY ||
				  c->type == MXP_MP_CMD_SERVICE_CHANGE))
			return FAIL(p, MXP_MP_E_SYNTAX_CMD, "%s needs a descriptor",
				    mxp_mp_cmd_name(c->type));
		return 0;
	}
	if (lbrkt(p, "after the termination id") != 0)
		return p->rc;
	if (p->reply && peek(p) == '}')
		return rbrkt(p, "to close the command");
	do {
		struct mxp_mp_str d;
		if (word(p, &d, "a descriptor") != 0)
			return p->rc;
		size_t dat = (size_t)(d.p - p->b);
		int dt = tok_find(d, descs, sizeof(descs) / sizeof(descs[0]));
		if (dt < 0)
			return fail_at(p, dat, MXP_MP_E_UNKNOWN_DESC, "unknown descriptor '%.*s'",
				       (int)(d.len > 30 ? 30 : d.len), d.p);
		if (!p->reply && !desc_legal(c->type, (enum mp_tok_id)dt))
			return fail_at(p, dat, MXP_MP_E_DESC_ILLEGAL, "%s is not legal in %s",
				       mp_toks[dt].lng, mxp_mp_cmd_name(c->type));
		switch (dt) {
		case TK_MEDIA:
			if (media(p, c) != 0)
				return p->rc;
			break;
		case TK_EVENTS:
		case TK_OBSEVENTS:
			if (events(p, c, dt == TK_OBSEVENTS) != 0)
				return p->rc;
			break;
		case TK_SIGNALS:
			if (c->has_signals)
				return fail_at(p, dat, MXP_MP_E_DESC_TWICE, "Signals appears twice");
			c->has_signals = true;
			if (peek(p) == '{' && balanced(p, &c->signals) != 0)
				return p->rc;
			break;
		case TK_AUDIT:
			if (audit(p, c) != 0)
				return p->rc;
			break;
		case TK_STATS:
			if (statistics(p, &c->stats) != 0)
				return p->rc;
			break;
		case TK_ERROR:
			c->has_error = true;
			if (error_desc(p, &c->err_code, &c->err_text) != 0)
				return p->rc;
			break;
		case TK_SERVICES:
			if (services(p, c) != 0)
				return p->rc;
			break;
		case TK_PACKAGES:
			if (c->has_packages)
				return fail_at(p, dat, MXP_MP_E_DESC_TWICE, "Packages appears twice");
			c->has_packages = true;
			if (packages(p, c) != 0)
				return p->rc;
			break;
		case TK_TERMSTATE:
			if (term_state(p, c) != 0)
				return p->rc;
			break;
		case TK_DIGITMAP:
			if (digitmap(p, c) != 0)
				return p->rc;
			break;
		default:
			return fail_at(p, dat, MXP_MP_E_NOT_IMPL, "%s descriptor not implemented",
				       mp_toks[dt].lng);
		}
	} while (accept(p, ','));
	if (rbrkt(p, "to close the command") != 0)
		return p->rc;
	if (!p->reply) {
		if ((c->type == MXP_MP_CMD_AUDIT_VALUE || c->type == MXP_MP_CMD_AUDIT_CAP) &&
		    !c->has_audit)
			return FAIL(p, MXP_MP_E_SYNTAX_CMD, "%s needs an Audit descriptor",
				    mxp_mp_cmd_name(c->type));
		if (c->type == MXP_MP_CMD_NOTIFY && !c->has_events)
			return FAIL(p, MXP_MP_E_SYNTAX_CMD, "Notify needs ObservedEvents");
		if (c->type == MXP_MP_CMD_SERVICE_CHANGE && !c->has_services)
			return FAIL(p, MXP_MP_E_SYNTAX_CMD, "ServiceChange needs Services");
	}
	return 0;
}

static int
context_id(struct parser *p, uint32_t *ctx)
{
	struct mxp_mp_str w;
	if (word(p, &w, "a context id") != 0)
		return p->rc;
	if (w.len == 1 && (w.p[0] == '-' || w.p[0] == '$' || w.p[0] == '*')) {
		*ctx = w.p[0] == '-' ? MXP_MP_CTX_NULL :
		       w.p[0] == '$' ? MXP_MP_CTX_CHOOSE : MXP_MP_CTX_ALL;
		return 0;
	}
	if (uint32_of(p, w, ctx, "context id") != 0)
		return p->rc;
	if (*ctx == 0 || *ctx > MXP_MP_CTX_MAX)
		return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_BAD_ID,
			       "context id %u is reserved", *ctx);
	return 0;
}

static int
action(struct parser *p, struct mxp_mp_trans *t)
{
	static const enum mp_tok_id ctxprops[] = { TK_TOPOLOGY, TK_PRIORITY, TK_EMERGENCY,
		TK_EMERGENCYOFF, TK_IEPS, TK_CONTEXTATTR, TK_CONTEXTAUDIT };
	struct mxp_mp_str w;
	if (word(p, &w, "Context") != 0)
		return p->rc;
	if (!tok_is(w, TK_CONTEXT))
		return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_SYNTAX,
			       "expected Context, found '%.*s'", (int)(w.len > 30 ? 30 : w.len), w.p);
	if (p->m->nactions >= MXP_MP_ACTIONS_MAX)
		return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_RESOURCES,
			       "more than %d actions in a message", MXP_MP_ACTIONS_MAX);
	struct mxp_mp_action *a = &p->m->actions[p->m->nactions++];
	memset(a, 0, sizeof(*a));
	a->first_cmd = p->m->ncmds;
	t->nactions++;
	if (expect(p, '=', "after Context") != 0 || context_id(p, &a->ctx) != 0)
		return p->rc;
	if (p->reply && peek(p) != '{')
		return 0; /* actionReply = CtxToken EQUAL ContextID [LBRKT ... RBRKT] */
	if (lbrkt(p, "after the context id") != 0)
		return p->rc;
	if (peek(p) == '}')
		return p->reply ? rbrkt(p, "to close the action") :
				  FAIL(p, MXP_MP_E_SYNTAX_ACTION, "empty action");
	do {
		if (a->has_error)
			return FAIL(p, MXP_MP_E_SYNTAX_ACTION, "nothing may follow an Error");
		if (word(p, &w, "a command") != 0)
			return p->rc;
		if (tok_is(w, TK_ERROR)) {
			if (!p->reply)
				return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_SYNTAX_ACTION,
					       "Error in a request");
			a->has_error = true;
			if (error_desc(p, &a->err_code, &a->err_text) != 0)
				return p->rc;
			continue;
		}
		if (tok_find(w, ctxprops, sizeof(ctxprops) / sizeof(ctxprops[0])) >= 0)
			return fail_at(p, (size_t)(w.p - p->b), MXP_MP_E_NOT_IMPL,
				       "context property '%.*s' not implemented",
				       (int)(w.len > 30 ? 30 : w.len), w.p);
		if (command(p, w) != 0)
			return p->rc;
	} while (accept(p, ','));
	return rbrkt(p, "to close the action");
}

static struct mxp_mp_trans *
trans_new(struct parser *p, size_t at, enum mxp_mp_trans_kind kind)
{
	if (p->m->ntrans >= MXP_MP_TRANS_MAX) {
		fail_at(p, at, MXP_MP_E_TOO_MANY_TRANS, "more than %d transactions in a message",
			MXP_MP_TRANS_MAX);
		return NULL;
	}
	struct mxp_mp_trans *t = &p->m->trans[p->m->ntrans++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->first_action = p->m->nactions;
	return t;
}

static int
transaction(struct parser *p, struct mxp_mp_str w)
{
	static const enum mp_tok_id kinds[] = { TK_TRANSACTION, TK_REPLY, TK_PENDING,
						TK_RESPONSEACK };
	size_t at = (size_t)(w.p - p->b);
	int k = tok_find(w, kinds, 4);
	if (k < 0)
		return fail_at(p, at, MXP_MP_E_SYNTAX, "expected Transaction, Reply, Pending or "
			       "TransactionResponseAck, found '%.*s'", (int)(w.len > 30 ? 30 : w.len),
			       w.p);
	p->have_tid = false;
	if (k == TK_RESPONSEACK) {
		if (lbrkt(p, "after TransactionResponseAck") != 0)
			return p->rc;
		do {
			struct mxp_mp_trans *t = trans_new(p, at, MXP_MP_TRANS_ACK);
			struct mxp_mp_str id;
			if (t == NULL || word(p, &id, "a transaction id") != 0)
				return p->rc;
			/* "id" or "id-id" (one word: '-' is a SafeChar) */
			struct mxp_mp_str a = id, b = { NULL, 0 };
			for (uint32_t j = 0; j < id.len; j++)
				if (id.p[j] == '-') {
					a.len = j;
					b.p = id.p + j + 1;
					b.len = id.len - j - 1;
				}
			if (uint32_of(p, a, &t->id, "transaction id") != 0)
				return p->rc;
			t->id_last = t->id;
			if (b.p != NULL && uint32_of(p, b, &t->id_last, "transaction id") != 0)
				return p->rc;
		} while (accept(p, ','));
		return rbrkt(p, "to close TransactionResponseAck");
	}
	enum mxp_mp_trans_kind kind = k == TK_TRANSACTION ? MXP_MP_TRANS_REQUEST :
				      k == TK_REPLY ? MXP_MP_TRANS_REPLY : MXP_MP_TRANS_PENDING;
	struct mxp_mp_trans *t = trans_new(p, at, kind);
	if (t == NULL || expect(p, '=', "after the transaction keyword") != 0 ||
	    digits(p, &t->id, "a transaction id") != 0)
		return p->rc;
	t->id_last = t->id;
	p->have_tid = true;
	p->tid = t->id;
	if (kind == MXP_MP_TRANS_REPLY && peek(p) == '/')
		return FAIL(p, MXP_MP_E_NOT_IMPL, "segmented replies not implemented");
	if (lbrkt(p, "after the transaction id") != 0)
		return p->rc;
	if (kind == MXP_MP_TRANS_PENDING)
		return rbrkt(p, "to close Pending");
	p->reply = kind == MXP_MP_TRANS_REPLY;
	if (p->reply) {
		struct mxp_mp_str x;
		if (word(p, &x, "Context, Error or ImmAckRequired") != 0)
			return p->rc;
		if (tok_is(x, TK_IMMACK)) {
			t->imm_ack = true;
			if (expect(p, ',', "after ImmAckRequired") != 0 ||
			    word(p, &x, "Context or Error") != 0)
				return p->rc;
		}
		if (0)
			return p->rc;
		if (tok_is(x, TK_ERROR)) {
			t->has_error = true;
			if (error_desc(p, &t->err_code, &t->err_text) != 0)
				return p->rc;
			return rbrkt(p, "to close the reply");
		}
		p->i = (size_t)(x.p - p->b);
	}
	do {
		if (action(p, t) != 0)
			return p->rc;
	} while (accept(p, ','));
	return rbrkt(p, "to close the transaction");
}

/* mId = ("[" address "]" / "<" domain ">") [":" port] / deviceName */
static int
mid(struct parser *p)
{
	size_t s = p->i;
	int c = p->i < p->n ? p->b[p->i] : 0;
	if (c == '[' || c == '<') {
		char close = c == '[' ? ']' : '>';
		p->i++;
		while (p->i < p->n && p->b[p->i] != close) {
			char x = p->b[p->i];
			if (!(is_safe((unsigned char)x) || x == ':') || p->i - s > 66)
				return FAIL(p, MXP_MP_E_SYNTAX, "bad character %s in the message id",
					    show((unsigned char)x));
			p->i++;
		}
		if (p->i >= p->n)
			return fail_at(p, s, MXP_MP_E_SYNTAX, "unterminated message id");
		p->i++;
		if (p->i < p->n && p->b[p->i] == ':') {
			size_t ps = ++p->i;
			while (p->i < p->n && p->b[p->i] >= '0' && p->b[p->i] <= '9' && p->i - ps < 5)
				p->i++;
			if (p->i == ps)
				return FAIL(p, MXP_MP_E_SYNTAX, "expected a port after ':'");
		}
	} else {
		struct mxp_mp_str w;
		if (word(p, &w, "a message id") != 0)
			return p->rc;
	}
	p->m->mid.p = p->b + s;
	p->m->mid.len = (uint32_t)(p->i - s);
	return 0;
}

static int
sep(struct parser *p, const char *after)
{
	size_t s = p->i;
	lwsp(p);
	if (p->i == s)
		return FAIL(p, MXP_MP_E_SYNTAX, "expected white space after %s", after);
	return 0;
}

int
mxp_mp_parse(const char *buf, size_t len, struct mxp_mp_msg *msg, struct mxp_mp_error *err)
{
	struct parser p = { .b = buf, .n = len, .m = msg, .e = err };

	memset(err, 0, sizeof(*err));
	memset(msg, 0, offsetof(struct mxp_mp_msg, trans));
	if (len > MXP_MP_MSG_MAX)
		return fail_at(&p, MXP_MP_MSG_MAX, MXP_MP_E_SYNTAX,
			       "message of %zu bytes exceeds the %d-byte limit", len, MXP_MP_MSG_MAX);
	if (memchr(buf, '\0', len) != NULL)
		return fail_at(&p, (size_t)((const char *)memchr(buf, '\0', len) - buf),
			       MXP_MP_E_SYNTAX, "NUL byte in message");

	struct mxp_mp_str w;
	if (word(&p, &w, "MEGACO/version") != 0)
		return p.rc;
	/* "MEGACO/3" or "!/3" is one word ('/' is a SafeChar). */
	uint32_t slash = 0;
	while (slash < w.len && w.p[slash] != '/')
		slash++;
	struct mxp_mp_str head = { w.p, slash };
	if (!tok_is(head, TK_MEGACO) || slash == w.len)
		return fail_at(&p, (size_t)(w.p - buf), MXP_MP_E_SYNTAX,
			       "message must start with MEGACO/<version> or !/<version>");
	struct mxp_mp_str ver = { w.p + slash + 1, w.len - slash - 1 };
	uint32_t v;
	if (ver.len == 0 || ver.len > 2 || uint32_of(&p, ver, &v, "version") != 0)
		return fail_at(&p, (size_t)(ver.p - buf), MXP_MP_E_SYNTAX, "bad protocol version");
	if (v < 1 || v > 3)
		return fail_at(&p, (size_t)(ver.p - buf), MXP_MP_E_VERSION,
			       "version %u not supported (1..3)", v);
	msg->version = (uint8_t)v;
	if (sep(&p, "the version") != 0 || mid(&p) != 0 || sep(&p, "the message id") != 0)
		return p.rc;
	if (word(&p, &w, "a transaction or Error") != 0)
		return p.rc;
	if (tok_is(w, TK_ERROR)) {
		msg->has_error = true;
		if (error_desc(&p, &msg->err_code, &msg->err_text) != 0)
			return p.rc;
	} else {
		for (;;) {
			if (transaction(&p, w) != 0)
				return p.rc;
			if (peek(&p) == 0)
				break;
			if (word(&p, &w, "a transaction") != 0)
				return p.rc;
		}
	}
	if (peek(&p) != 0)
		return FAIL(&p, MXP_MP_E_SYNTAX, "unexpected %s after the message",
			    show(peek(&p)));
	return 0;
}
