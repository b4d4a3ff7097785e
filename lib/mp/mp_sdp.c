/* SPDX-License-Identifier: BSD-3-Clause */
/* SDP subset for Local/Remote descriptors. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "mp_priv.h"
#include "mxp_mp_sdp.h"
#include "mxp_rtp_clock.h"

struct sdp_line {
	const char *t;
	size_t len, pos;
	unsigned int no;
};

static int __attribute__((format(printf, 4, 5)))
sdp_fail(struct mxp_mp_error *err, unsigned int code, const struct sdp_line *l,
	 const char *fmt, ...)
{
	char where[32];
	va_list ap;
	memset(err, 0, sizeof(*err));
	err->code = (uint16_t)code;
	err->pos = (uint32_t)l->pos;
	snprintf(where, sizeof(where), "SDP line %u: ", l->no);
	va_start(ap, fmt);
	mp_error_text(err, where, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Next space-separated field of [*p, end). */
static bool
field(const char **p, const char *end, struct mxp_mp_str *f)
{
	while (*p < end && **p == ' ')
		(*p)++;
	const char *s = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	f->p = s;
	f->len = (uint32_t)(*p - s);
	return f->len != 0;
}

static int
conn(const struct sdp_line *l, struct mxp_sdp *s, struct mxp_mp_error *err)
{
	const char *p = l->t + 2, *end = l->t + l->len;
	struct mxp_mp_str nt, at, addr;
	if (!field(&p, end, &nt) || !field(&p, end, &at) || !field(&p, end, &addr) ||
	    !mxp_mp_str_eq(nt, "IN"))
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "expected c=IN IP4|IP6 <address>");
	int fam = mxp_mp_str_eq(at, "IP4") ? AF_INET : mxp_mp_str_eq(at, "IP6") ? AF_INET6 : 0;
	if (fam == 0)
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "address type '%.*s' is not IP4 or IP6",
				(int)(at.len > 10 ? 10 : at.len), at.p);
	s->has_conn = true;
	s->addr = (struct mxp_ip){ .af = (uint8_t)fam };
	s->conn_choose = false;
	if (addr.len == 1 && addr.p[0] == '$') {
		s->conn_choose = true;
		return 0;
	}
	char a[64];
	/* "addr/ttl" (multicast) is not for us */
	if (addr.len >= sizeof(a) || memchr(addr.p, '/', addr.len) != NULL)
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "bad connection address");
	memcpy(a, addr.p, addr.len);
	a[addr.len] = '\0';
	if (inet_pton(fam, a, s->addr.v6) != 1)
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "'%s' is not an %s address", a,
				fam == AF_INET ? "IPv4" : "IPv6");
	return 0;
}

static int
media(const struct sdp_line *l, struct mxp_sdp *s, struct mxp_mp_error *err)
{
	const char *p = l->t + 2, *end = l->t + l->len;
	struct mxp_mp_str mt, port, proto, f;
	uint32_t v;
	if (s->has_media)
		return sdp_fail(err, MXP_MP_E_NOT_IMPL, l, "only one m= line is supported");
	if (!field(&p, end, &mt) || !field(&p, end, &port) || !field(&p, end, &proto))
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "expected m=audio <port> <proto> <fmt>...");
	if (!mxp_mp_str_eq(mt, "audio"))
		return sdp_fail(err, MXP_MP_E_MEDIA_TYPE, l, "media '%.*s' is not audio",
				(int)(mt.len > 16 ? 16 : mt.len), mt.p);
	s->has_media = true;
	if (port.len == 1 && port.p[0] == '$')
		s->port_choose = true;
	else if (!mxp_mp_str_uint(port, 65535, &v))
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "bad port");
	else
		s->port = (uint16_t)v;
	if (mxp_mp_str_eq(proto, "RTP/SAVP"))
		s->srtp = true;
	else if (!mxp_mp_str_eq(proto, "RTP/AVP"))
		return sdp_fail(err, MXP_MP_E_MEDIA_TYPE, l, "transport '%.*s' is not RTP/AVP or "
				"RTP/SAVP", (int)(proto.len > 16 ? 16 : proto.len), proto.p);
	while (field(&p, end, &f)) {
		if (!mxp_mp_str_uint(f, 127, &v))
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "payload type '%.*s' is not 0..127",
					(int)(f.len > 8 ? 8 : f.len), f.p);
		if (s->npts >= MXP_SDP_PT_MAX)
			return sdp_fail(err, MXP_MP_E_RESOURCES, l, "more than %d payload types",
					MXP_SDP_PT_MAX);
		s->pts[s->npts++] = (uint8_t)v;
	}
	if (s->npts == 0)
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "no payload type");
	return 0;
}

/* b=<type>:<bandwidth> (RFC 4566 5.8): AS, and RFC 3556's RS and RR; others skipped. */
static int
bandwidth(const struct sdp_line *l, struct mxp_sdp *s, struct mxp_mp_error *err)
{
	const char *a = l->t + 2, *end = l->t + l->len;
	const char *colon = memchr(a, ':', (size_t)(end - a));
	if (colon == NULL || colon == a)
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "expected b=<type>:<bandwidth>");
	struct mxp_mp_str type = { a, (uint32_t)(colon - a) };
	struct mxp_mp_str val = { colon + 1, (uint32_t)(end - colon - 1) };
	uint8_t bit = mxp_mp_str_eq(type, "AS") ? MXP_SDP_BW_AS :
		      mxp_mp_str_eq(type, "RS") ? MXP_SDP_BW_RS :
		      mxp_mp_str_eq(type, "RR") ? MXP_SDP_BW_RR : 0;
	if (bit == 0)
		return 0; /* CT, TIAS, X-...: not used */
	uint32_t x;
	/* AS in kbit/s up to 10 Tbit/s, RS and RR in bit/s up to 4 Gbit/s */
	if (!mxp_mp_str_uint(val, bit == MXP_SDP_BW_AS ? 10000000u : UINT32_MAX, &x))
		return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "b=%.*s: '%.*s' is not a bandwidth",
				(int)type.len, type.p, (int)(val.len > 16 ? 16 : val.len), val.p);
	s->bw |= bit;
	*(bit == MXP_SDP_BW_AS ? &s->bw_as : bit == MXP_SDP_BW_RS ? &s->bw_rs : &s->bw_rr) = x;
	return 0;
}

static int
attribute(const struct sdp_line *l, struct mxp_sdp *s, struct mxp_mp_error *err)
{
	const char *a = l->t + 2, *end = l->t + l->len;
	size_t n = (size_t)(end - a);
	const char *colon = memchr(a, ':', n);
	size_t nl = colon != NULL ? (size_t)(colon - a) : n;
	const char *v = colon != NULL ? colon + 1 : end;
	struct mxp_mp_str name = { a, (uint32_t)nl };

	if (mxp_mp_str_eq(name, "rtpmap")) {
		const char *p = v;
		struct mxp_mp_str pt, enc;
		uint32_t x;
		if (!field(&p, end, &pt) || !mxp_mp_str_uint(pt, 127, &x) || !field(&p, end, &enc))
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "expected a=rtpmap:<pt> <enc>/<clock>");
		if (s->nrtpmap >= MXP_SDP_PT_MAX)
			return sdp_fail(err, MXP_MP_E_RESOURCES, l, "too many rtpmap lines");
		for (uint8_t i = 0; i < s->nrtpmap; i++)
			if (s->rtpmap[i].pt == x)
				return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "a second a=rtpmap for "
						"payload type %u", x);
		struct mxp_sdp_rtpmap *r = &s->rtpmap[s->nrtpmap];
		memset(r, 0, sizeof(*r));
		r->pt = (uint8_t)x;
		const char *sl = memchr(enc.p, '/', enc.len);
		if (sl == NULL)
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "rtpmap without a clock rate");
		r->encoding.p = enc.p;
		r->encoding.len = (uint32_t)(sl - enc.p);
		struct mxp_mp_str rest = { sl + 1, (uint32_t)(enc.p + enc.len - sl - 1) };
		const char *sl2 = memchr(rest.p, '/', rest.len);
		struct mxp_mp_str clk = { rest.p, sl2 ? (uint32_t)(sl2 - rest.p) : rest.len };
		if (!mxp_mp_str_uint(clk, 1000000, &r->clock) || r->clock == 0)
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "bad clock rate");
		if (sl2 != NULL) {
			struct mxp_mp_str ch = { sl2 + 1, (uint32_t)(rest.p + rest.len - sl2 - 1) };
			if (!mxp_mp_str_uint(ch, 255, &x))
				return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "bad channel count");
			r->channels = (uint8_t)x;
		}
		s->nrtpmap++;
	} else if (mxp_mp_str_eq(name, "fmtp")) {
		const char *p = v;
		struct mxp_mp_str pt;
		uint32_t x;
		if (!field(&p, end, &pt) || !mxp_mp_str_uint(pt, 127, &x))
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "expected a=fmtp:<pt> <parameters>");
		if (s->nfmtp >= MXP_SDP_PT_MAX)
			return sdp_fail(err, MXP_MP_E_RESOURCES, l, "too many fmtp lines");
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *e = end;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		for (uint8_t i = 0; i < s->nfmtp; i++)
			if (s->fmtp[i].pt == x)
				return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "a second a=fmtp for "
						"payload type %u", x);
		s->fmtp[s->nfmtp].pt = (uint8_t)x;
		s->fmtp[s->nfmtp].params.p = p;
		s->fmtp[s->nfmtp].params.len = (uint32_t)(e - p);
		s->nfmtp++;
	} else if (mxp_mp_str_eq(name, "extmap")) {
		/* a=extmap:<id>[/<direction>] <URI> [<attributes>] (RFC 8285): only the audio
		 * level's is used; other extensions are not sent nor read */
		const char *p = v;
		struct mxp_mp_str idf, uri;
		if (!field(&p, end, &idf) || !field(&p, end, &uri))
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "expected a=extmap:<id> <URI>");
		const char *sl = memchr(idf.p, '/', idf.len);
		if (sl != NULL)
			idf.len = (uint32_t)(sl - idf.p);
		uint32_t x;
		if (!mxp_mp_str_uint(idf, 65535, &x))
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "a=extmap: bad id");
		if (mxp_mp_str_eq(uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level")) {
			if (x < 1 || x > 14)
				return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "a=extmap: the audio "
						"level's id must be 1..14 (one-byte headers)");
			s->audio_level_id = (uint8_t)x;
		}
	} else if (mxp_mp_str_eq(name, "ptime")) {
		struct mxp_mp_str f = { v, (uint32_t)(end - v) };
		uint32_t x;
		if (!mxp_mp_str_uint(f, 1000, &x) || x == 0)
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "ptime must be 1..1000 ms");
		s->ptime = (uint16_t)x;
	} else if (mxp_mp_str_eq(name, "sendrecv") || mxp_mp_str_eq(name, "sendonly") ||
		   mxp_mp_str_eq(name, "recvonly") || mxp_mp_str_eq(name, "inactive")) {
		s->dir = mxp_mp_str_eq(name, "sendrecv") ? MXP_MP_MODE_SENDRECV :
			 mxp_mp_str_eq(name, "sendonly") ? MXP_MP_MODE_SENDONLY :
			 mxp_mp_str_eq(name, "recvonly") ? MXP_MP_MODE_RECVONLY :
							   MXP_MP_MODE_INACTIVE;
	} else if (mxp_mp_str_eq(name, "crypto")) {
		if (s->ncrypto >= MXP_SDP_CRYPTO_MAX)
			return sdp_fail(err, MXP_MP_E_RESOURCES, l, "more than %d a=crypto lines",
					MXP_SDP_CRYPTO_MAX);
		if (v >= end)
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, l, "empty a=crypto");
		s->crypto[s->ncrypto].p = v;
		s->crypto[s->ncrypto].len = (uint32_t)(end - v);
		s->ncrypto++;
	}
	return 0;
}

int
mxp_sdp_parse(const char *text, size_t len, struct mxp_sdp *s, struct mxp_mp_error *err)
{
	size_t i = 0;
	unsigned int no = 0;
	bool in_media = false;

	memset(s, 0, sizeof(*s));
	memset(err, 0, sizeof(*err));
	while (i < len) {
		struct sdp_line l = { .no = ++no };
		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		l.t = text + i;
		l.pos = i;
		while (i < len && text[i] != '\n' && text[i] != '\r')
			i++;
		l.len = (size_t)(text + i - l.t);
		if (i < len && text[i] == '\r')
			i++;
		if (i < len && text[i] == '\n')
			i++;
		if (l.len == 0)
			continue;
		for (size_t k = 0; k < l.len; k++)
			if ((unsigned char)l.t[k] < 0x20 && l.t[k] != '\t')
				return sdp_fail(err, MXP_MP_E_BAD_VALUE, &l,
						"control character 0x%02x", (unsigned char)l.t[k]);
		if (l.len < 2 || l.t[1] != '=')
			return sdp_fail(err, MXP_MP_E_BAD_VALUE, &l, "expected <type>=<value>");
		int rc = 0;
		switch (l.t[0]) {
		case 'v':
			if (l.len != 3 || l.t[2] != '0')
				return sdp_fail(err, MXP_MP_E_BAD_VALUE, &l, "SDP version must be 0");
			break;
		case 'o':
			s->origin.p = l.t + 2;
			s->origin.len = (uint32_t)(l.len - 2);
			break;
		case 's':
			s->session.p = l.t + 2;
			s->session.len = (uint32_t)(l.len - 2);
			break;
		case 'c':
			if (!in_media && s->has_conn)
				return sdp_fail(err, MXP_MP_E_BAD_VALUE, &l, "two session c= lines");
			rc = conn(&l, s, err);
			break;
		case 'm':
			rc = media(&l, s, err);
			in_media = true;
			break;
		case 'a':
			rc = attribute(&l, s, err);
			break;
		case 'b': /* a media-level one comes later: it wins */
			rc = bandwidth(&l, s, err);
			break;
		default:
			break; /* t=, i=, ... */
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

uint32_t
mxp_sdp_media_clock(const struct mxp_sdp *s)
{
	for (uint8_t i = 0; i < s->npts; i++) {
		uint8_t pt = s->pts[i];
		const struct mxp_sdp_rtpmap *m = NULL;
		for (uint8_t k = 0; k < s->nrtpmap; k++)
			if (s->rtpmap[k].pt == pt)
				m = &s->rtpmap[k];
		if (pt == 13 || (m && ((m->encoding.len == 15 &&
					strncasecmp(m->encoding.p, "telephone-event", 15) == 0) ||
				       (m->encoding.len == 2 && strncasecmp(m->encoding.p, "CN", 2) == 0))))
			continue;
		return m ? m->clock : mxp_rtp_static_clock(pt);
	}
	return 0;
}

const char *
mxp_sdp_addr_str(const struct mxp_sdp *s, char *buf, size_t len)
{
	if (s->conn_choose)
		snprintf(buf, len, "$");
	else if (!s->has_conn || inet_ntop(s->addr.af, s->addr.v6, buf, (socklen_t)len) == NULL)
		snprintf(buf, len, "-");
	return buf;
}

int
mxp_sdp_encode(const struct mxp_sdp *s, char *out, size_t cap)
{
	char a[64];
	size_t n = 0;
	int r;
#define ADD(...)                                                                    \
	do {                                                                        \
		r = snprintf(out + n, n < cap ? cap - n : 0, __VA_ARGS__);          \
		if (r < 0 || n + (size_t)r >= cap)                                  \
			return -ENOSPC;                                             \
		n += (size_t)r;                                                     \
	} while (0)

	mxp_sdp_addr_str(s, a, sizeof(a));
	const char *ip = s->addr.af == AF_INET6 ? "IP6" : "IP4";
	ADD("v=0\r\n");
	if (s->origin.len != 0)
		ADD("o=%.*s\r\n", (int)s->origin.len, s->origin.p);
	else
		ADD("o=- 0 0 IN %s %s\r\n", ip, s->conn_choose ? "0.0.0.0" : a);
	if (s->session.len != 0)
		ADD("s=%.*s\r\n", (int)s->session.len, s->session.p);
	else
		ADD("s=-\r\n");
	if (s->has_conn)
		ADD("c=IN %s %s\r\n", ip, a);
	ADD("t=0 0\r\n");
	if (s->has_media) {
		if (s->port_choose)
			ADD("m=audio $ %s", s->srtp ? "RTP/SAVP" : "RTP/AVP");
		else
			ADD("m=audio %u %s", s->port, s->srtp ? "RTP/SAVP" : "RTP/AVP");
		for (uint8_t i = 0; i < s->npts; i++)
			ADD(" %u", s->pts[i]);
		ADD("\r\n");
		if (s->bw & MXP_SDP_BW_AS)
			ADD("b=AS:%u\r\n", s->bw_as);
		if (s->bw & MXP_SDP_BW_RS)
			ADD("b=RS:%u\r\n", s->bw_rs);
		if (s->bw & MXP_SDP_BW_RR)
			ADD("b=RR:%u\r\n", s->bw_rr);
		for (uint8_t i = 0; i < s->nrtpmap; i++) {
			const struct mxp_sdp_rtpmap *m = &s->rtpmap[i];
			ADD("a=rtpmap:%u %.*s/%u", m->pt, (int)m->encoding.len, m->encoding.p, m->clock);
			if (m->channels != 0)
				ADD("/%u", m->channels);
			ADD("\r\n");
		}
		for (uint8_t i = 0; i < s->nfmtp; i++)
			if (s->fmtp[i].params.len > 0)
				ADD("a=fmtp:%u %.*s\r\n", s->fmtp[i].pt, (int)s->fmtp[i].params.len,
				    s->fmtp[i].params.p);
		if (s->ptime != 0)
			ADD("a=ptime:%u\r\n", s->ptime);
		if (s->audio_level_id != 0)
			ADD("a=extmap:%u urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n",
			    s->audio_level_id);
		static const char *const dirs[] = { NULL, "sendonly", "recvonly", "sendrecv",
						    "inactive", NULL };
		if ((unsigned int)s->dir < 6 && dirs[s->dir] != NULL)
			ADD("a=%s\r\n", dirs[s->dir]);
		for (uint8_t i = 0; i < s->ncrypto; i++)
			ADD("a=crypto:%.*s\r\n", (int)s->crypto[i].len, s->crypto[i].p);
	}
#undef ADD
	return (int)n;
}
