/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signals descriptors (H.248.1 7.1.11; text encoding B.2):
 *
 *   signalsDescriptor = Signals { [signalParm *("," signalParm)] }
 *   signalParm        = signalList / signalRequest
 *   signalList        = SignalList "=" id { signalRequest *("," signalRequest) }
 *   signalRequest     = pkg/name [ { sigParameter *("," sigParameter) } ]
 *   sigParameter      = Stream "=" id / SignalType "=" (OnOff / TimeOut / Brief) /
 *                       Duration "=" ms / NotifyCompletion "=" { reason *("," reason) } /
 *                       KeepActive / SPADirection "=" (Ext / Int / Both) /
 *                       RequestID "=" id / name "=" value (a package parameter)
 *
 * and ServiceChangeProfile values ("name/version"). Nothing is allocated: the result holds
 * views into the body.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "mp_priv.h"

struct sp {
	const char *b;       /* body */
	size_t n, i;
	const char *base;    /* message text, for positions */
	struct mxp_mp_error *err;
};

static int
sp_fail(struct sp *s, unsigned int code, const char *what)
{
	size_t pos = s->base ? (size_t)(s->b + s->i - s->base) : s->i;
	mxp_mp_error_set(s->err, code, s->base, pos, "Signals: %s", what);
	return code == MXP_MP_E_RESOURCES ? -E2BIG : -EINVAL;
}

/* White space and comments (';' to the end of the line). */
static void
sp_ws(struct sp *s)
{
	s->i = mp_lwsp_skip(s->b, s->i, s->n);
}

static bool
sp_accept(struct sp *s, char c)
{
	sp_ws(s);
	if (s->i < s->n && s->b[s->i] == c) {
		s->i++;
		return true;
	}
	return false;
}

static bool
name_char(char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_' ||
	       c == '/' || c == '*' || c == '-' || c == '.';
}

/* A NAME or pkgdName ("an/apf", "noc", "KeepActive"). */
static int
sp_word(struct sp *s, struct mxp_mp_str *w, const char *what)
{
	sp_ws(s);
	size_t st = s->i;
	while (s->i < s->n && name_char(s->b[s->i]))
		s->i++;
	if (s->i == st || s->i - st > 64)
		return sp_fail(s, MXP_MP_E_SYNTAX, what);
	w->p = s->b + st;
	w->len = (uint32_t)(s->i - st);
	return 0;
}

/* A value: quoted string, [list] or {list} (balanced), or a run of SafeChars. */
static int
sp_value(struct sp *s, struct mxp_mp_str *v)
{
	sp_ws(s);
	size_t st = s->i;
	if (s->i < s->n && s->b[s->i] == '"') {
		s->i++;
		while (s->i < s->n && s->b[s->i] != '"')
			s->i++;
		if (s->i == s->n)
			return sp_fail(s, MXP_MP_E_SYNTAX, "unterminated quoted string");
		s->i++;
	} else if (s->i < s->n && (s->b[s->i] == '[' || s->b[s->i] == '{')) {
		char open = s->b[s->i], close = open == '[' ? ']' : '}';
		int d = 0;
		for (; s->i < s->n; s->i++) {
			if (s->b[s->i] == open)
				d++;
			else if (s->b[s->i] == close && --d == 0)
				break;
			if (d > 4)
				return sp_fail(s, MXP_MP_E_SYNTAX, "value nested too deep");
		}
		if (s->i == s->n)
			return sp_fail(s, MXP_MP_E_SYNTAX, "unbalanced value");
		s->i++;
	} else {
		while (s->i < s->n && s->b[s->i] != ',' && s->b[s->i] != '}' && s->b[s->i] != '{' &&
		       s->b[s->i] != ' ' && s->b[s->i] != '\t' && s->b[s->i] != '\r' &&
		       s->b[s->i] != '\n' && s->b[s->i] != ';' && s->b[s->i] != '=')
			s->i++;
	}
	if (s->i == st)
		return sp_fail(s, MXP_MP_E_SYNTAX, "expected a value");
	v->p = s->b + st;
	v->len = (uint32_t)(s->i - st);
	return 0;
}

static bool
is(struct mxp_mp_str w, const char *lng, const char *cmp)
{
	return mxp_mp_str_eq(w, lng) || (cmp != NULL && mxp_mp_str_eq(w, cmp));
}

/* NotifyCompletion = { reason, ... } */
static int
sp_notify(struct sp *s, uint8_t *bits)
{
	static const struct { const char *lng, *cmp; uint8_t bit; } r[] = {
		{ "TimeOut", "TO", MXP_MP_NC_TIMEOUT },
		{ "InterruptByEvent", "IBE", MXP_MP_NC_INTBYEVENT },
		{ "InterruptByNewSignalsDescr", "IBS", MXP_MP_NC_INTBYSIGS },
		{ "OtherReason", "OR", MXP_MP_NC_OTHER },
		{ "Iteration", "IT", MXP_MP_NC_ITERATION },
	};
	if (!sp_accept(s, '{'))
		return sp_fail(s, MXP_MP_E_SYNTAX, "expected '{' after NotifyCompletion =");
	do {
		struct mxp_mp_str w;
		if (sp_word(s, &w, "expected a NotifyCompletion reason") != 0)
			return s->err->code == MXP_MP_E_RESOURCES ? -E2BIG : -EINVAL;
		size_t k;
		for (k = 0; k < sizeof(r) / sizeof(r[0]); k++)
			if (is(w, r[k].lng, r[k].cmp))
				break;
		if (k == sizeof(r) / sizeof(r[0]))
			return sp_fail(s, MXP_MP_E_BAD_VALUE, "unknown NotifyCompletion reason");
		*bits |= r[k].bit;
	} while (sp_accept(s, ','));
	if (!sp_accept(s, '}'))
		return sp_fail(s, MXP_MP_E_SYNTAX, "expected '}' to close NotifyCompletion");
	return 0;
}

/* One sigParameter of sig. */
static int
sp_param(struct sp *s, struct mxp_mp_signal *sig, uint32_t *seen)
{
	struct mxp_mp_str w, v;
	int r = sp_word(s, &w, "expected a signal parameter");
	if (r)
		return r;
	if (is(w, "KeepActive", "KA")) {
		if (*seen & 1)
			return sp_fail(s, MXP_MP_E_DESC_TWICE, "KeepActive twice");
		*seen |= 1;
		sig->keep_active = true;
		return 0;
	}
	if (!sp_accept(s, '='))
		return sp_fail(s, MXP_MP_E_SYNTAX, "expected '=' after a signal parameter");
	if (is(w, "NotifyCompletion", "NC")) {
		if (*seen & 2)
			return sp_fail(s, MXP_MP_E_DESC_TWICE, "NotifyCompletion twice");
		*seen |= 2;
		return sp_notify(s, &sig->notify);
	}
	if ((r = sp_value(s, &v)) != 0)
		return r;
	uint32_t x;
	if (is(w, "Duration", "DR")) {
		if (*seen & 4)
			return sp_fail(s, MXP_MP_E_DESC_TWICE, "Duration twice");
		*seen |= 4;
		if (!mxp_mp_str_uint(v, 86400000u, &x))
			return sp_fail(s, MXP_MP_E_BAD_VALUE, "Duration is milliseconds (0..86400000)");
		sig->has_duration = true;
		sig->duration_ms = x;
	} else if (is(w, "SignalType", "SY")) {
		if (*seen & 8)
			return sp_fail(s, MXP_MP_E_DESC_TWICE, "SignalType twice");
		*seen |= 8;
		sig->type = is(v, "OnOff", "OO")      ? MXP_MP_SIG_ONOFF :
			    is(v, "TimeOut", "TO")    ? MXP_MP_SIG_TIMEOUT :
			    is(v, "Brief", "BR")      ? MXP_MP_SIG_BRIEF :
							MXP_MP_SIG_DEFAULT;
		if (sig->type == MXP_MP_SIG_DEFAULT)
			return sp_fail(s, MXP_MP_E_BAD_VALUE, "SignalType is OnOff, TimeOut or Brief");
	} else if (is(w, "Stream", "ST")) {
		if (!mxp_mp_str_uint(v, 65535, &x) || x == 0)
			return sp_fail(s, MXP_MP_E_BAD_VALUE, "Stream is 1..65535");
		sig->stream = (uint16_t)x;
	} else if (is(w, "RequestID", "RQ")) {
		if (!mxp_mp_str_uint(v, UINT32_MAX, &x))
			return sp_fail(s, MXP_MP_E_BAD_VALUE, "RequestID is a number");
		sig->has_rid = true;
		sig->rid = x;
	} else if (is(w, "SPADirection", "SPADI") || is(w, "Direction", NULL)) {
		sig->direction = is(v, "External", "EXT") ? 1 : is(v, "Internal", "INT") ? 2 :
				 is(v, "Both", NULL) ? 3 : 0;
		if (sig->direction == 0)
			return sp_fail(s, MXP_MP_E_BAD_VALUE, "Direction is External, Internal or Both");
	} else if (is(w, "Intersignal", "SPAIS")) {
		if (!mxp_mp_str_uint(v, 65535, &x))
			return sp_fail(s, MXP_MP_E_BAD_VALUE, "Intersignal delay is 0..65535 ms");
	} else {
		/* a package parameter */
		for (uint8_t k = 0; k < sig->nparams; k++)
			if (sig->params[k].name.len == w.len &&
			    strncasecmp(sig->params[k].name.p, w.p, w.len) == 0)
				return sp_fail(s, MXP_MP_E_DESC_TWICE, "a signal parameter twice");
		if (sig->nparams == MXP_MP_SIG_PARAMS_MAX)
			return sp_fail(s, MXP_MP_E_RESOURCES, "too many signal parameters");
		sig->params[sig->nparams].name = w;
		sig->params[sig->nparams].value = v;
		sig->nparams++;
	}
	return 0;
}

/* signalRequest = pkg/name [ { sigParameter, ... } ] */
static int
sp_request(struct sp *s, struct mxp_mp_signals *out, struct mxp_mp_str name, bool in_list,
	   uint32_t list_id)
{
	if (memchr(name.p, '/', name.len) == NULL || name.p[0] == '/' ||
	    name.p[name.len - 1] == '/')
		return sp_fail(s, MXP_MP_E_SYNTAX, "a signal is named package/signal");
	if (out->n == MXP_MP_SIGS_MAX)
		return sp_fail(s, MXP_MP_E_RESOURCES, "more than 8 signals");
	struct mxp_mp_signal *sig = &out->sig[out->n++];
	memset(sig, 0, sizeof(*sig));
	sig->name = name;
	sig->in_list = in_list;
	sig->list_id = list_id;
	if (!sp_accept(s, '{'))
		return 0;
	uint32_t seen = 0;
	do {
		int r = sp_param(s, sig, &seen);
		if (r)
			return r;
	} while (sp_accept(s, ','));
	if (!sp_accept(s, '}'))
		return sp_fail(s, MXP_MP_E_SYNTAX, "expected '}' to close the signal's parameters");
	return 0;
}

int
mxp_mp_signals_parse(struct mxp_mp_str body, const char *base, struct mxp_mp_signals *out,
		     struct mxp_mp_error *err)
{
	struct sp s = { .b = body.p, .n = body.len, .base = base, .err = err };
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	sp_ws(&s);
	if (s.i == s.n)
		return 0;
	do {
		struct mxp_mp_str w;
		int r = sp_word(&s, &w, "expected a signal or SignalList");
		if (r)
			return r;
		if (is(w, "SignalList", "SL")) {
			struct mxp_mp_str v;
			uint32_t id;
			if (!sp_accept(&s, '='))
				return sp_fail(&s, MXP_MP_E_SYNTAX, "expected '=' after SignalList");
			if ((r = sp_value(&s, &v)) != 0)
				return r;
			if (!mxp_mp_str_uint(v, 65535, &id))
				return sp_fail(&s, MXP_MP_E_BAD_VALUE, "a SignalList id is 0..65535");
			if (!sp_accept(&s, '{'))
				return sp_fail(&s, MXP_MP_E_SYNTAX, "expected '{' after the SignalList id");
			do {
				if ((r = sp_word(&s, &w, "expected a signal in the list")) != 0 ||
				    (r = sp_request(&s, out, w, true, id)) != 0)
					return r;
			} while (sp_accept(&s, ','));
			if (!sp_accept(&s, '}'))
				return sp_fail(&s, MXP_MP_E_SYNTAX, "expected '}' to close SignalList");
		} else if ((r = sp_request(&s, out, w, false, 0)) != 0) {
			return r;
		}
	} while (sp_accept(&s, ','));
	sp_ws(&s);
	if (s.i != s.n)
		return sp_fail(&s, MXP_MP_E_SYNTAX, "expected ',' or the end of Signals");
	return 0;
}

struct mxp_mp_str
mxp_mp_signal_param(const struct mxp_mp_signal *s, const char *name)
{
	for (uint8_t k = 0; k < s->nparams; k++)
		if (mxp_mp_str_eq(s->params[k].name, name))
			return s->params[k].value;
	return (struct mxp_mp_str){ NULL, 0 };
}

int
mxp_mp_profile_split(struct mxp_mp_str v, struct mxp_mp_str *name, uint32_t *version)
{
	const char *sl = v.len ? memchr(v.p, '/', v.len) : NULL;
	if (sl == NULL || sl == v.p)
		return -EINVAL;
	struct mxp_mp_str nm = { v.p, (uint32_t)(sl - v.p) };
	struct mxp_mp_str ver = { sl + 1, (uint32_t)(v.p + v.len - sl - 1) };
	uint32_t x;
	if (nm.len > 64 || !mxp_mp_str_uint(ver, 99, &x) || x == 0)
		return -EINVAL;
	for (uint32_t k = 0; k < nm.len; k++)
		if (!name_char(nm.p[k]) || nm.p[k] == '/')
			return -EINVAL;
	*name = nm;
	*version = x;
	return 0;
}
