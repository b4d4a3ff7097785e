/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * H.248 text encoder: long tokens with one descriptor per line and tab indentation, or
 * compact tokens without optional white space. SDP goes between the braces of Local and
 * Remote unindented, its lines intact, '}' escaped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mp_priv.h"

struct wr {
	char *o;
	size_t cap, n;
	bool full;
	enum mxp_mp_style st;
	int ind;
};

static void
put(struct wr *w, const char *s, size_t len)
{
	if (w->full || w->n + len >= w->cap) {
		w->full = true;
		return;
	}
	memcpy(w->o + w->n, s, len);
	w->n += len;
}

static void
puts_(struct wr *w, const char *s)
{
	put(w, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
putf(struct wr *w, const char *fmt, ...)
{
	char tmp[96];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		w->full = true;
		return;
	}
	put(w, tmp, (size_t)n);
}

static void
putstr(struct wr *w, struct mxp_mp_str s)
{
	if (s.p != NULL)
		put(w, s.p, s.len);
}

static const char *
T(const struct wr *w, enum mp_tok_id t)
{
	return w->st == MXP_MP_STYLE_LONG ? mp_toks[t].lng : mp_toks[t].cmp;
}

static void
newline(struct wr *w)
{
	if (w->st != MXP_MP_STYLE_LONG)
		return;
	puts_(w, "\n");
	for (int i = 0; i < w->ind; i++)
		puts_(w, "\t");
}

/* "Name = " or "N=" */
static void
key(struct wr *w, enum mp_tok_id t)
{
	puts_(w, T(w, t));
	puts_(w, w->st == MXP_MP_STYLE_LONG ? " = " : "=");
}

static void
open_(struct wr *w)
{
	puts_(w, w->st == MXP_MP_STYLE_LONG ? " {" : "{");
	w->ind++;
	newline(w);
}

static void
close_(struct wr *w)
{
	w->ind--;
	newline(w);
	puts_(w, "}");
}

static void
comma(struct wr *w)
{
	puts_(w, ",");
	newline(w);
}

static void
ctx_id(struct wr *w, uint32_t c)
{
	if (c == MXP_MP_CTX_NULL)
		puts_(w, "-");
	else if (c == MXP_MP_CTX_CHOOSE)
		puts_(w, "$");
	else if (c == MXP_MP_CTX_ALL)
		puts_(w, "*");
	else
		putf(w, "%u", c);
}

static void
error_desc(struct wr *w, uint16_t code, struct mxp_mp_str text)
{
	key(w, TK_ERROR);
	putf(w, "%u", code);
	puts_(w, w->st == MXP_MP_STYLE_LONG ? " { \"" : "{\"");
	for (uint32_t i = 0; i < text.len; i++) {
		char c = text.p[i];
		put(w, c == '"' ? "'" : (c == '\r' || c == '\n') ? " " : &c, 1);
	}
	puts_(w, w->st == MXP_MP_STYLE_LONG ? "\" }" : "\"}");
}

static void
sdp(struct wr *w, enum mp_tok_id t, struct mxp_mp_str s)
{
	puts_(w, T(w, t));
	puts_(w, w->st == MXP_MP_STYLE_LONG ? " {\n" : "{\n");
	for (uint32_t i = 0; i < s.len; i++) {
		if (s.p[i] == '}' && (i == 0 || s.p[i - 1] != '\\'))
			puts_(w, "\\");
		put(w, &s.p[i], 1);
	}
	if (s.len == 0 || s.p[s.len - 1] != '\n')
		puts_(w, "\n");
	/* The brace starts its own line, unindented: Wireshark's SDP dissector (and others)
	 * would take indentation before it for an SDP line. */
	puts_(w, "}");
}

/* Properties on one line: "{ a = 1, b = 2 }" (long) or "{a=1,b=2}". */
static void
iopen(struct wr *w)
{
	puts_(w, w->st == MXP_MP_STYLE_LONG ? " { " : "{");
}

static void
iclose(struct wr *w)
{
	puts_(w, w->st == MXP_MP_STYLE_LONG ? " }" : "}");
}

static void
props(struct wr *w, const struct mxp_mp_msg *m, struct mxp_mp_props run, bool *first)
{
	for (uint16_t i = 0; i < run.n; i++) {
		const struct mxp_mp_prop *p = &m->props[run.first + i];
		if (!*first)
			puts_(w, w->st == MXP_MP_STYLE_LONG ? ", " : ",");
		*first = false;
		putstr(w, p->name);
		if (p->op != 0) {
			if (w->st == MXP_MP_STYLE_LONG)
				putf(w, " %c ", p->op);
			else
				put(w, &p->op, 1);
			putstr(w, p->value);
		} else if (p->value.len != 0) {
			/* event parameters */
			puts_(w, "{");
			putstr(w, p->value);
			puts_(w, "}");
		}
	}
}

static const char *
mode_tok(const struct wr *w, enum mxp_mp_mode m)
{
	switch (m) {
	case MXP_MP_MODE_SENDONLY: return T(w, TK_SENDONLY);
	case MXP_MP_MODE_RECVONLY: return T(w, TK_RECVONLY);
	case MXP_MP_MODE_SENDRECV: return T(w, TK_SENDRECV);
	case MXP_MP_MODE_INACTIVE: return T(w, TK_INACTIVE);
	case MXP_MP_MODE_LOOPBACK: return T(w, TK_LOOPBACK);
	default: return NULL;
	}
}

static void
stream(struct wr *w, const struct mxp_mp_msg *m, const struct mxp_mp_stream *s)
{
	bool first = true;
	key(w, TK_STREAM);
	putf(w, "%u", s->id);
	open_(w);
	if (s->mode != MXP_MP_MODE_UNSET || s->lc_props.n != 0) {
		puts_(w, T(w, TK_LOCALCONTROL));
		iopen(w);
		bool f2 = true;
		if (s->mode != MXP_MP_MODE_UNSET) {
			key(w, TK_MODE);
			puts_(w, mode_tok(w, s->mode));
			f2 = false;
		}
		props(w, m, s->lc_props, &f2);
		iclose(w);
		first = false;
	}
	if (s->has_local) {
		if (!first)
			comma(w);
		sdp(w, TK_LOCAL, s->local);
		first = false;
	}
	if (s->has_remote) {
		if (!first)
			comma(w);
		sdp(w, TK_REMOTE, s->remote);
		first = false;
	}
	if (s->has_stats) {
		if (!first)
			comma(w);
		puts_(w, T(w, TK_STATS));
		iopen(w);
		bool f2 = true;
		props(w, m, s->stats, &f2);
		iclose(w);
	}
	close_(w);
}

static void
command(struct wr *w, const struct mxp_mp_msg *m, const struct mxp_mp_cmd *c)
{
	static const enum mp_tok_id names[MXP_MP_CMD_MAX] = { TK_ADD, TK_MODIFY, TK_MOVE,
		TK_SUBTRACT, TK_AUDITVALUE, TK_AUDITCAP, TK_NOTIFY, TK_SERVICECHANGE };
	if (c->optional)
		puts_(w, "O-");
	if (c->wildcard_reply)
		puts_(w, "W-");
	key(w, names[c->type]);
	putstr(w, c->term);
	bool any = c->has_media || c->has_events || c->has_signals || c->has_audit ||
		   c->stats.n != 0 || c->has_services || c->has_error || c->has_packages ||
		   c->digitmaps.n != 0;
	if (!any)
		return;
	open_(w);
	bool first = true;
	if (c->has_media) {
		puts_(w, T(w, TK_MEDIA));
		open_(w);
		bool f2 = true;
		if (c->ts_props.n != 0) {
			puts_(w, T(w, TK_TERMSTATE));
			iopen(w);
			bool f3 = true;
			props(w, m, c->ts_props, &f3);
			iclose(w);
			f2 = false;
		}
		for (uint8_t i = 0; i < c->nstreams; i++) {
			if (!f2)
				comma(w);
			stream(w, m, &c->streams[i]);
			f2 = false;
		}
		close_(w);
		first = false;
	}
	if (c->has_events) {
		if (!first)
			comma(w);
		bool obs = c->type == MXP_MP_CMD_NOTIFY;
		if (!obs && c->events.n == 0) {
			puts_(w, T(w, TK_EVENTS));
		} else {
			key(w, obs ? TK_OBSEVENTS : TK_EVENTS);
			putf(w, "%u", c->events_rid);
			iopen(w);
			bool f2 = true;
			props(w, m, c->events, &f2);
			iclose(w);
		}
		first = false;
	}
	for (uint16_t i = 0; i < c->digitmaps.n; i++) {
		/* DigitMap = name { value } (H.248.1 B.2 digitMapDescriptor) */
		const struct mxp_mp_prop *p = &m->props[c->digitmaps.first + i];
		if (!first)
			comma(w);
		key(w, TK_DIGITMAP);
		putstr(w, p->name);
		if (p->op == '=') {
			puts_(w, w->st != MXP_MP_STYLE_LONG ? "{" : p->name.len ? " { " : "{ ");
			putstr(w, p->value);
			puts_(w, w->st == MXP_MP_STYLE_LONG ? " }" : "}");
		}
		first = false;
	}
	if (c->has_signals) {
		if (!first)
			comma(w);
		puts_(w, T(w, TK_SIGNALS));
		puts_(w, "{");
		putstr(w, c->signals);
		puts_(w, "}");
		first = false;
	}
	if (c->has_audit) {
		static const struct { enum mp_tok_id t; uint32_t bit; } items[] = {
			{ TK_MEDIA, MXP_MP_AUDIT_MEDIA }, { TK_EVENTS, MXP_MP_AUDIT_EVENTS },
			{ TK_SIGNALS, MXP_MP_AUDIT_SIGNALS }, { TK_STATS, MXP_MP_AUDIT_STATS },
			{ TK_OBSEVENTS, MXP_MP_AUDIT_OBSEVENTS },
			{ TK_PACKAGES, MXP_MP_AUDIT_PACKAGES },
			{ TK_DIGITMAP, MXP_MP_AUDIT_DIGITMAP },
			{ TK_EVENTBUFFER, MXP_MP_AUDIT_EVBUFFER },
		};
		if (!first)
			comma(w);
		puts_(w, T(w, TK_AUDIT));
		puts_(w, w->st == MXP_MP_STYLE_LONG ? " {" : "{");
		bool f2 = true;
		for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
			if (!(c->audit & items[i].bit))
				continue;
			if (!f2)
				puts_(w, w->st == MXP_MP_STYLE_LONG ? ", " : ",");
			else if (w->st == MXP_MP_STYLE_LONG)
				puts_(w, " ");
			puts_(w, T(w, items[i].t));
			f2 = false;
		}
		puts_(w, w->st == MXP_MP_STYLE_LONG && !f2 ? " }" : "}");
		first = false;
	}
	if (c->stats.n != 0) {
		if (!first)
			comma(w);
		puts_(w, T(w, TK_STATS));
		iopen(w);
		bool f2 = true;
		props(w, m, c->stats, &f2);
		iclose(w);
		first = false;
	}
	if (c->has_packages) {
		if (!first)
			comma(w);
		puts_(w, T(w, TK_PACKAGES));
		iopen(w);
		for (uint16_t i = 0; i < c->packages.n; i++) {
			const struct mxp_mp_prop *p = &m->props[c->packages.first + i];
			if (i)
				puts_(w, w->st == MXP_MP_STYLE_LONG ? ", " : ",");
			putstr(w, p->name);
			puts_(w, "-");
			putstr(w, p->value);
		}
		iclose(w);
		first = false;
	}
	if (c->has_services) {
		if (!first)
			comma(w);
		puts_(w, T(w, TK_SERVICES));
		open_(w);
		bool f2 = true;
		const struct { enum mp_tok_id t; struct mxp_mp_str v; } sv[] = {
			{ TK_METHOD, c->sc_method }, { TK_REASON, c->sc_reason },
			{ TK_SCADDRESS, c->sc_address }, { TK_PROFILE, c->sc_profile },
			{ TK_MGCID, c->sc_mgcid },
		};
		for (size_t i = 0; i < sizeof(sv) / sizeof(sv[0]); i++) {
			if (sv[i].v.len == 0)
				continue;
			if (!f2)
				comma(w);
			key(w, sv[i].t);
			putstr(w, sv[i].v);
			f2 = false;
		}
		if (c->sc_delay != 0) {
			if (!f2)
				comma(w);
			key(w, TK_DELAY);
			putf(w, "%u", c->sc_delay);
			f2 = false;
		}
		if (c->sc_version != 0) {
			if (!f2)
				comma(w);
			key(w, TK_VERSION);
			putf(w, "%u", c->sc_version);
		}
		close_(w);
		first = false;
	}
	if (c->has_error) {
		if (!first)
			comma(w);
		error_desc(w, c->err_code, c->err_text);
	}
	close_(w);
}

int
mxp_mp_encode(const struct mxp_mp_msg *m, enum mxp_mp_style style, char *out, size_t cap)
{
	struct wr w = { .o = out, .cap = cap, .st = style };

	if (cap == 0)
		return -ENOSPC;
	if (m->ntrans > MXP_MP_TRANS_MAX || m->nactions > MXP_MP_ACTIONS_MAX ||
	    m->ncmds > MXP_MP_CMDS_MAX || m->nprops > MXP_MP_PROPS_MAX)
		return -EINVAL;
	putf(&w, "%s/%u ", style == MXP_MP_STYLE_LONG ? "MEGACO" : "!", m->version ? m->version : 3);
	putstr(&w, m->mid);
	puts_(&w, "\n");
	if (m->has_error) {
		error_desc(&w, m->err_code, m->err_text);
		puts_(&w, "\n");
	}
	for (uint16_t ti = 0; ti < m->ntrans; ti++) {
		const struct mxp_mp_trans *t = &m->trans[ti];
		if ((uint32_t)t->first_action + t->nactions > m->nactions)
			return -EINVAL;
		switch (t->kind) {
		case MXP_MP_TRANS_PENDING:
			if (t->nactions != 0)
				return -EINVAL;
			key(&w, TK_PENDING);
			putf(&w, "%u", t->id);
			puts_(&w, style == MXP_MP_STYLE_LONG ? " { }\n" : "{}\n");
			continue;
		case MXP_MP_TRANS_ACK:
			puts_(&w, T(&w, TK_RESPONSEACK));
			puts_(&w, style == MXP_MP_STYLE_LONG ? " { " : "{");
			if (t->id_last > t->id)
				putf(&w, "%u-%u", t->id, t->id_last);
			else
				putf(&w, "%u", t->id);
			puts_(&w, style == MXP_MP_STYLE_LONG ? " }\n" : "}\n");
			continue;
		case MXP_MP_TRANS_REQUEST:
			if (t->nactions == 0)
				return -EINVAL;
			key(&w, TK_TRANSACTION);
			break;
		case MXP_MP_TRANS_REPLY:
			key(&w, TK_REPLY);
			break;
		default:
			return -EINVAL;
		}
		putf(&w, "%u", t->id);
		open_(&w);
		if (t->imm_ack) {
			puts_(&w, T(&w, TK_IMMACK));
			comma(&w);
		}
		if (t->has_error) {
			error_desc(&w, t->err_code, t->err_text);
		}
		for (uint16_t ai = 0; ai < t->nactions && !t->has_error; ai++) {
			const struct mxp_mp_action *a = &m->actions[t->first_action + ai];
			if ((uint32_t)a->first_cmd + a->ncmds > m->ncmds)
				return -EINVAL;
			if (ai != 0)
				comma(&w);
			key(&w, TK_CONTEXT);
			ctx_id(&w, a->ctx);
			open_(&w);
			for (uint16_t ci = 0; ci < a->ncmds; ci++) {
				if (ci != 0)
					comma(&w);
				command(&w, m, &m->cmds[a->first_cmd + ci]);
			}
			if (a->has_error) {
				if (a->ncmds != 0)
					comma(&w);
				error_desc(&w, a->err_code, a->err_text);
			}
			close_(&w);
		}
		close_(&w);
		puts_(&w, "\n");
	}
	if (w.full)
		return -ENOSPC;
	out[w.n] = '\0';
	return (int)w.n;
}
