/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 4568 a=crypto parser and encoder (grammar in RFC 4568 section 9.2; SRTP key params
 * in 6.1, session params in 6.3). Strict: what is not in the grammar is an error with a
 * message that names the field, never the key.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mxp_base64.h"
#include "mxp_srtp_sdes.h"
#include "srtp_priv.h"

struct cur {
	const char *p;
	const char *end;
};

static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int
fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	if (err != NULL && errlen > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal number of 1..maxdigits digits into *v (no overflow for maxdigits <= 19). */
static bool
take_uint(struct cur *c, unsigned int maxdigits, uint64_t *v)
{
	unsigned int n = 0;
	bool over = false;
	*v = 0;
	while (c->p < c->end && is_digit(*c->p) && n < maxdigits + 1) {
		uint64_t d = (uint64_t)(*c->p - '0');
		over |= *v > (UINT64_MAX - d) / 10; /* only 20 digits can pass 2^64 - 1 */
		*v = *v * 10 + d;
		c->p++;
		n++;
	}
	return n >= 1 && n <= maxdigits && !over;
}

/* A printable token for error messages: up to 32 characters of a non-secret field. */
static int
tok_len(const char *p, const char *end, const char *stops)
{
	int n = 0;
	while (p + n < end && n < 32 && !is_ws(p[n]) && strchr(stops, p[n]) == NULL)
		n++;
	return n;
}

/* inline:<key||salt>[|lifetime][|mki:len] up to ';', space or end. */
static int
parse_key(struct cur *c, const struct mxp_srtp_suite_info *si, unsigned int idx,
	  struct mxp_sdes_key *k, char *err, size_t errlen)
{
	static const char method[] = "inline:";
	int ml = tok_len(c->p, c->end, ":;");

	if ((size_t)(c->end - c->p) < sizeof(method) - 1 ||
	    strncmp(c->p, method, sizeof(method) - 1) != 0) {
		bool word = ml > 0 && ml <= 12;
		for (int i = 0; i < ml && word; i++)
			word = (c->p[i] >= 'a' && c->p[i] <= 'z') || (c->p[i] >= 'A' && c->p[i] <= 'Z');
		/* name the method only when it looks like one: never echo key bytes */
		if (word && c->p + ml < c->end && c->p[ml] == ':')
			return fail(err, errlen, -ENOTSUP,
				    "key %u: key method '%.*s' not supported (only inline)", idx + 1,
				    ml, c->p);
		return fail(err, errlen, -EINVAL, "key %u: expected 'inline:'", idx + 1);
	}
	c->p += sizeof(method) - 1;

	const char *ks = c->p;
	while (c->p < c->end && *c->p != '|' && *c->p != ';' && !is_ws(*c->p))
		c->p++;
	uint8_t raw[MXP_SRTP_MAX_KEY_LEN + MXP_SRTP_MAX_SALT_LEN + 3];
	int n = mxp_base64_decode(ks, (size_t)(c->p - ks), raw, sizeof(raw));
	size_t want = (size_t)si->key_len + si->salt_len;
	if (n < 0) {
		srtp_wipe(raw, sizeof(raw));
		return fail(err, errlen, -EINVAL, "key %u: key||salt is not valid base64",
			    idx + 1);
	}
	if ((size_t)n != want) {
		srtp_wipe(raw, sizeof(raw));
		return fail(err, errlen, -EINVAL,
			    "key %u: key||salt is %d bytes, %s needs %zu (%u + %u)", idx + 1, n,
			    si->name, want, si->key_len, si->salt_len);
	}
	memcpy(k->key, raw, si->key_len);
	memcpy(k->salt, raw + si->key_len, si->salt_len);
	srtp_wipe(raw, sizeof(raw));

	/* up to two '|' fields: lifetime (has no ':') then MKI (has ':') */
	for (int field = 0; field < 2 && c->p < c->end && *c->p == '|'; field++) {
		c->p++;
		int fl = tok_len(c->p, c->end, "|;");
		const char *colon = memchr(c->p, ':', (size_t)fl);
		if (colon == NULL) {
			if (field == 1 || k->lifetime != 0 || k->mki_len != 0)
				return fail(err, errlen, -EINVAL,
					    "key %u: lifetime '%.*s' after the MKI or twice",
					    idx + 1, fl, c->p);
			uint64_t v;
			const char *ls = c->p;
			if (c->end - c->p >= 2 && c->p[0] == '2' && c->p[1] == '^') {
				c->p += 2;
				if (!take_uint(c, 2, &v) || v == 0 || v > 48)
					return fail(err, errlen, -EINVAL,
						    "key %u: lifetime 2^n needs n in 1..48", idx + 1);
				k->lifetime_log2 = (uint8_t)v;
				k->lifetime = UINT64_C(1) << v;
			} else {
				if (!take_uint(c, 15, &v) || v == 0 ||
				    v > MXP_SRTP_MAX_SRTP_PACKETS)
					return fail(err, errlen, -EINVAL,
						    "key %u: lifetime '%.*s' is not a number in "
						    "1..2^48", idx + 1, fl, ls);
				k->lifetime = v;
			}
		} else {
			uint64_t val, len;
			const char *ms = c->p;
			if (k->mki_len != 0)
				return fail(err, errlen, -EINVAL, "key %u: two MKI fields", idx + 1);
			/* RFC 4568 9.2: 1*DIGIT; an 8-byte MKI takes up to 20 (2^64 - 1) */
			if (!take_uint(c, 20, &val) || c->p >= c->end || *c->p != ':')
				return fail(err, errlen, -EINVAL,
					    "key %u: MKI value '%.*s' is not a decimal number",
					    idx + 1, fl, ms);
			c->p++;
			if (!take_uint(c, 3, &len) || len == 0 || len > 128)
				return fail(err, errlen, -EINVAL,
					    "key %u: MKI length must be 1..128", idx + 1);
			if (len > MXP_SRTP_MAX_MKI_LEN)
				return fail(err, errlen, -ENOTSUP,
					    "key %u: MKI length %u is above the supported %d",
					    idx + 1, (unsigned int)len, MXP_SRTP_MAX_MKI_LEN);
			if (len < 8 && (val >> (8 * len)) != 0)
				return fail(err, errlen, -EINVAL,
					    "key %u: MKI value %llu does not fit in %u bytes",
					    idx + 1, (unsigned long long)val, (unsigned int)len);
			k->mki_len = (uint8_t)len;
			for (unsigned int i = 0; i < len; i++) {
				unsigned int sh = 8 * (unsigned int)(len - 1 - i);
				k->mki[i] = sh < 64 ? (uint8_t)(val >> sh) : 0;
			}
		}
		if (c->p < c->end && *c->p != '|' && *c->p != ';' && !is_ws(*c->p))
			return fail(err, errlen, -EINVAL,
				    "key %u: unexpected character after lifetime/MKI", idx + 1);
	}
	if (c->p < c->end && *c->p == '|')
		return fail(err, errlen, -EINVAL, "key %u: too many '|' fields", idx + 1);
	return 0;
}

static int
parse_session_param(struct cur *c, struct mxp_sdes_crypto *o, char *err, size_t errlen)
{
	const char *s = c->p;
	while (c->p < c->end && !is_ws(*c->p))
		c->p++;
	int n = (int)(c->p - s);
	/* Messages show the parameter name only: a value (FEC_KEY=inline:...) may be a key. */
	const char *eq = memchr(s, '=', (size_t)n);
	int shown = eq ? (int)(eq - s) : n;
	if (shown > 32)
		shown = 32;
	struct cur v;
	uint64_t x;

#define IS(name) (n == (int)sizeof(name) - 1 && memcmp(s, name, (size_t)n) == 0)
#define HAS(prefix) (n >= (int)sizeof(prefix) - 1 && memcmp(s, prefix, sizeof(prefix) - 1) == 0)
	if (HAS("KDR=")) {
		v = (struct cur){ s + 4, c->p };
		if (!take_uint(&v, 2, &x) || v.p != c->p || x > 24)
			return fail(err, errlen, -EINVAL,
				    "session parameter %.*s: must be 0..24", shown, s);
		o->kdr_present = true;
		o->kdr_log2 = (uint8_t)x;
		return 0;
	}
	if (HAS("WSH=")) {
		v = (struct cur){ s + 4, c->p };
		if (!take_uint(&v, 9, &x) || v.p != c->p || x < 64)
			return fail(err, errlen, -EINVAL,
				    "session parameter %.*s: must be a number >= 64", shown, s);
		o->wsh = (uint32_t)x;
		return 0;
	}
	if (IS("UNENCRYPTED_SRTCP")) {
		o->unencrypted_srtcp = true;
		return 0;
	}
	if (IS("UNENCRYPTED_SRTP") || IS("UNAUTHENTICATED_SRTP") || HAS("FEC_ORDER=") ||
	    HAS("FEC_KEY="))
		return fail(err, errlen, -ENOTSUP,
			    "session parameter %.*s is not supported: mixplane always encrypts "
			    "and authenticates SRTP and does no FEC", shown, s);
	if (n > 0 && s[0] == '-')
		return 0; /* optional extension we do not know: ignored (RFC 4568 6.3.7) */
#undef IS
#undef HAS
	return fail(err, errlen, -ENOTSUP, "unknown session parameter '%.*s'", shown, s);
}

static int
parse(struct cur *c, struct mxp_sdes_crypto *o, char *err, size_t errlen)
{
	uint64_t v;
	int rc;

	/* optional "a=" and "crypto:" */
	if (c->end - c->p >= 2 && memcmp(c->p, "a=", 2) == 0)
		c->p += 2;
	if (c->end - c->p >= 7 && memcmp(c->p, "crypto:", 7) == 0)
		c->p += 7;
	while (c->end > c->p && (c->end[-1] == '\n' || c->end[-1] == '\r'))
		c->end--;

	if (!take_uint(c, 9, &v) || v == 0)
		return fail(err, errlen, -EINVAL, "tag must be a number of 1 to 9 digits, not 0");
	o->tag = (uint32_t)v;
	if (c->p >= c->end || !is_ws(*c->p))
		return fail(err, errlen, -EINVAL, "expected a space after the tag");
	while (c->p < c->end && is_ws(*c->p))
		c->p++;

	int sl = tok_len(c->p, c->end, "");
	char name[33];
	memcpy(name, c->p, (size_t)sl);
	name[sl] = '\0';
	o->suite = mxp_srtp_suite_by_name(name);
	if (o->suite == MXP_SRTP_SUITE_INVALID)
		return fail(err, errlen, -ENOTSUP, "crypto suite '%s' is not supported", name);
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(o->suite);
	c->p += sl;
	if (c->p >= c->end || !is_ws(*c->p))
		return fail(err, errlen, -EINVAL, "expected key parameters after %s", si->name);
	while (c->p < c->end && is_ws(*c->p))
		c->p++;

	for (;;) {
		if (o->nkeys == MXP_SRTP_MAX_KEYS)
			return fail(err, errlen, -ENOTSUP, "more than %d keys", MXP_SRTP_MAX_KEYS);
		rc = parse_key(c, si, o->nkeys, &o->keys[o->nkeys], err, errlen);
		if (rc != 0)
			return rc;
		o->nkeys++;
		if (c->p < c->end && *c->p == ';') {
			c->p++;
			continue;
		}
		break;
	}
	for (unsigned int i = 1; i < o->nkeys; i++)
		if (o->keys[i].mki_len != o->keys[0].mki_len)
			return fail(err, errlen, -EINVAL, "all keys must have MKIs of one length");
	if (o->nkeys > 1 && o->keys[0].mki_len == 0)
		return fail(err, errlen, -EINVAL, "several keys need MKIs to tell them apart");
	for (unsigned int i = 0; i < o->nkeys; i++)
		for (unsigned int j = i + 1; j < o->nkeys; j++)
			if (o->keys[i].mki_len &&
			    memcmp(o->keys[i].mki, o->keys[j].mki, o->keys[i].mki_len) == 0)
				return fail(err, errlen, -EINVAL, "keys %u and %u share an MKI",
					    i + 1, j + 1);

	while (c->p < c->end) {
		if (!is_ws(*c->p))
			return fail(err, errlen, -EINVAL, "expected a space before session parameters");
		while (c->p < c->end && is_ws(*c->p))
			c->p++;
		if (c->p < c->end && (rc = parse_session_param(c, o, err, errlen)) != 0)
			return rc;
	}
	return 0;
}

int
mxp_sdes_parse(const char *line, size_t len, struct mxp_sdes_crypto *out, char *err,
	       size_t errlen)
{
	if (line == NULL || out == NULL)
		return fail(err, errlen, -EINVAL, "NULL argument");
	memset(out, 0, sizeof(*out));
	struct cur c = { line, line + len };
	int rc = parse(&c, out, err, errlen);
	if (rc != 0)
		srtp_wipe(out, sizeof(*out));
	return rc;
}

void
mxp_sdes_wipe(struct mxp_sdes_crypto *c)
{
	if (c != NULL)
		srtp_wipe(c, sizeof(*c));
}

int
mxp_sdes_encode(const struct mxp_sdes_crypto *c, char *buf, size_t buflen)
{
	const struct mxp_srtp_suite_info *si = c ? mxp_srtp_suite_info(c->suite) : NULL;
	char tmp[MXP_SDES_MAX_LINE];
	size_t o = 0;
	int rc = -EINVAL;

	if (si == NULL || c->tag == 0 || c->tag > 999999999 || c->nkeys == 0 ||
	    c->nkeys > MXP_SRTP_MAX_KEYS || buf == NULL)
		return -EINVAL;
#define PUT(...) \
	do { \
		int w_ = snprintf(tmp + o, sizeof(tmp) - o, __VA_ARGS__); \
		if (w_ < 0 || (size_t)w_ >= sizeof(tmp) - o) \
			goto out; \
		o += (size_t)w_; \
	} while (0)
	PUT("%u %s ", c->tag, si->name);
	for (unsigned int i = 0; i < c->nkeys; i++) {
		const struct mxp_sdes_key *k = &c->keys[i];
		uint8_t raw[MXP_SRTP_MAX_KEY_LEN + MXP_SRTP_MAX_SALT_LEN];
		if (k->mki_len > MXP_SRTP_MAX_MKI_LEN || (i > 0 && k->mki_len != c->keys[0].mki_len))
			goto out;
		PUT("%sinline:", i ? ";" : "");
		memcpy(raw, k->key, si->key_len);
		memcpy(raw + si->key_len, k->salt, si->salt_len);
		if (sizeof(tmp) - o < 80) {
			srtp_wipe(raw, sizeof(raw));
			goto out;
		}
		o += mxp_base64_encode(raw, (size_t)si->key_len + si->salt_len, tmp + o);
		srtp_wipe(raw, sizeof(raw));
		if (k->lifetime_log2)
			PUT("|2^%u", k->lifetime_log2);
		else if (k->lifetime)
			PUT("|%llu", (unsigned long long)k->lifetime);
		if (k->mki_len) {
			uint64_t v;
			if (!mxp_srtp_mki_value(k->mki, k->mki_len, &v))
				goto out; /* not expressible as a 64-bit decimal */
			PUT("|%llu:%u", (unsigned long long)v, k->mki_len);
		}
	}
	if (c->kdr_present)
		PUT(" KDR=%u", c->kdr_log2);
	if (c->unencrypted_srtcp)
		PUT(" UNENCRYPTED_SRTCP");
	if (c->wsh)
		PUT(" WSH=%u", c->wsh);
#undef PUT
	rc = -ENOSPC;
	if (o + 1 <= buflen) {
		memcpy(buf, tmp, o);
		buf[o] = '\0';
		rc = (int)o;
	}
out:
	srtp_wipe(tmp, sizeof(tmp));
	return rc;
}

void
mxp_sdes_to_params(const struct mxp_sdes_crypto *c, struct mxp_srtp_params *p)
{
	p->suite = c->suite;
	/* RFC 4568 6.3.1: KDR=n means a rate of 2^n (KDR=0: every packet); absent: never. */
	p->kdr = c->kdr_present ? UINT32_C(1) << c->kdr_log2 : 0;
	p->srtcp_unencrypted = c->unencrypted_srtcp;
	if (c->wsh) {
		uint32_t w = c->wsh;
		if (w < MXP_SRTP_REPLAY_WINDOW_MIN)
			w = MXP_SRTP_REPLAY_WINDOW_MIN;
		if (w > MXP_SRTP_REPLAY_WINDOW_MAX)
			w = MXP_SRTP_REPLAY_WINDOW_MAX;
		p->replay_window = w;
	}
}

int
mxp_sdes_add_keys(struct mxp_srtp_ctx *ctx, const struct mxp_sdes_crypto *c)
{
	for (unsigned int i = 0; i < c->nkeys; i++) {
		const struct mxp_sdes_key *k = &c->keys[i];
		int rc = mxp_srtp_ctx_key_add(ctx, k->key, k->salt, k->mki, k->mki_len,
					      k->lifetime);
		if (rc != 0)
			return rc;
	}
	return 0;
}
