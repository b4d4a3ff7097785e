/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cli_keys.h"

static int
kerr(char *err, size_t len, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return code;
}

/*
 * a=crypto value (RFC 4568 9.1): "TAG SUITE inline:KEY||SALT[|LIFETIME][|MKI:LEN] [params]".
 * Only inline keys; session parameters are refused.
 */
int
mxp_cli_crypto_to_key(const char *line, struct mxp_conf_key *k, char *err, size_t errlen)
{
	char buf[512];
	memset(k, 0, sizeof(*k));
	if (strncmp(line, "a=", 2) == 0)
		line += 2;
	if (strncmp(line, "crypto:", 7) == 0)
		line += 7;
	if (strlen(line) >= sizeof(buf))
		return kerr(err, errlen, -EINVAL, "a=crypto line too long");
	snprintf(buf, sizeof(buf), "%s", line);
	char *save, *tag = strtok_r(buf, " \t", &save), *suite = strtok_r(NULL, " \t", &save),
		    *kp = strtok_r(NULL, " \t", &save), *extra = strtok_r(NULL, " \t", &save);
	int rc = 0;
	if (tag == NULL || suite == NULL || kp == NULL) {
		rc = kerr(err, errlen, -EINVAL, "expected 'TAG SUITE inline:KEY'");
		goto out;
	}
	if (extra) {
		rc = kerr(err, errlen, -EINVAL, "session parameter '%.32s' is not supported", extra);
		goto out;
	}
	k->suite = mxp_srtp_suite_by_name(suite);
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(k->suite);
	if (si == NULL) {
		rc = kerr(err, errlen, -EINVAL, "unsupported crypto suite '%.48s'", suite);
		goto out;
	}
	if (strncmp(kp, "inline:", 7) != 0) {
		rc = kerr(err, errlen, -EINVAL, "key method must be inline");
		goto out;
	}
	char *b64 = kp + 7, *life = strchr(b64, '|'), *mki = NULL;
	if (life) {
		*life++ = '\0';
		mki = strchr(life, '|');
		if (mki)
			*mki++ = '\0';
		else if (strchr(life, ':')) {
			mki = life;
			life = NULL;
		}
	}
	uint8_t raw[96];
	size_t bl = strlen(b64);
	size_t want = (size_t)si->key_len + si->salt_len;
	if (bl == 0 || bl % 4 || bl > 128) {
		rc = kerr(err, errlen, -EINVAL, "inline key is not base64 of %zu bytes", want);
		goto out;
	}
	int n = EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)bl);
	if (n < 0) {
		rc = kerr(err, errlen, -EINVAL, "inline key is not valid base64");
		goto out;
	}
	n -= (b64[bl - 1] == '=') + (b64[bl - 2] == '=');
	if ((size_t)n != want) {
		rc = kerr(err, errlen, -EINVAL, "inline key is %d bytes, %s needs %zu (key || salt)", n,
			  si->name, want);
		explicit_bzero(raw, sizeof(raw));
		goto out;
	}
	memcpy(k->key, raw, si->key_len);
	memcpy(k->salt, raw + si->key_len, si->salt_len);
	explicit_bzero(raw, sizeof(raw));
	if (life) {
		char *end;
		if (strncmp(life, "2^", 2) == 0) {
			unsigned long e = strtoul(life + 2, &end, 10);
			if (*end || e > 48) {
				rc = kerr(err, errlen, -EINVAL, "lifetime '%.16s' must be 2^0..2^48", life);
				goto out;
			}
			k->lifetime = 1ull << e;
		} else {
			k->lifetime = strtoull(life, &end, 10);
			if (*end || k->lifetime == 0) {
				rc = kerr(err, errlen, -EINVAL, "lifetime '%.16s' is not a number", life);
				goto out;
			}
		}
	}
	if (mki) {
		char *colon = strchr(mki, ':'), *end;
		if (colon == NULL) {
			rc = kerr(err, errlen, -EINVAL, "MKI must be VALUE:LENGTH");
			goto out;
		}
		*colon = '\0';
		unsigned long long v = strtoull(mki, &end, 10);
		unsigned long l = strtoul(colon + 1, &colon, 10);
		if (*end || *colon || l == 0 || l > 8 || (l < 8 && v >> (8 * l))) {
			rc = kerr(err, errlen, -EINVAL, "MKI must be VALUE:LENGTH with LENGTH 1..8");
			goto out;
		}
		k->mki_len = (uint8_t)l;
		for (unsigned long i = 0; i < l; i++)
			k->mki[l - 1 - i] = (uint8_t)(v >> (8 * i));
	}
out:
	explicit_bzero(buf, sizeof(buf));
	if (rc)
		explicit_bzero(k, sizeof(*k));
	return rc;
}

/* Iterate lines of the body; fn(dir, value) for each key line. */
static int
each_line(const uint8_t *body, uint32_t len, char *err, size_t errlen,
	  int (*fn)(void *ctx, int dir, const char *val, unsigned int lineno, char *err, size_t el),
	  void *ctx)
{
	char line[600];
	unsigned int lineno = 0;
	uint32_t pos = 0;
	int rc = 0;
	while (pos < len && rc == 0) {
		uint32_t e = pos;
		while (e < len && body[e] != '\n')
			e++;
		lineno++;
		uint32_t l = e - pos;
		if (l >= sizeof(line)) {
			rc = kerr(err, errlen, -EINVAL, "line %u too long", lineno);
			break;
		}
		memcpy(line, body + pos, l);
		line[l] = '\0';
		pos = e + 1;
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		char *t = s + strlen(s);
		while (t > s && (t[-1] == '\r' || t[-1] == ' ' || t[-1] == '\t'))
			*--t = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		int dir = -1;
		if (strncmp(s, "in ", 3) == 0 || strncmp(s, "in\t", 3) == 0) {
			dir = 0;
			s += 3;
		} else if (strncmp(s, "out ", 4) == 0 || strncmp(s, "out\t", 4) == 0) {
			dir = 1;
			s += 4;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		rc = fn(ctx, dir, s, lineno, err, errlen);
	}
	explicit_bzero(line, sizeof(line));
	return rc;
}

struct two {
	struct mxp_conf_keys *in, *out;
};

static int
add_two(void *ctx, int dir, const char *val, unsigned int lineno, char *err, size_t el)
{
	struct two *t = ctx;
	if (dir < 0)
		return kerr(err, el, -EINVAL, "line %u: start with 'in' (the participant's key) or "
					      "'out' (the key the mixer sends with)", lineno);
	struct mxp_conf_keys *ks = dir ? t->out : t->in;
	if (ks->nkeys == MXP_SRTP_MAX_KEYS)
		return kerr(err, el, -EINVAL, "line %u: more than %d keys for one direction", lineno,
			    MXP_SRTP_MAX_KEYS);
	char e2[200];
	int rc = mxp_cli_crypto_to_key(val, &ks->key[ks->nkeys], e2, sizeof(e2));
	if (rc)
		return kerr(err, el, rc, "line %u: %s", lineno, e2);
	ks->nkeys++;
	return 0;
}

int
mxp_cli_keys_parse(const uint8_t *body, uint32_t len, struct mxp_conf_keys *in,
		   struct mxp_conf_keys *out, char *err, size_t errlen)
{
	memset(in, 0, sizeof(*in));
	memset(out, 0, sizeof(*out));
	struct two t = { in, out };
	int rc = each_line(body, len, err, errlen, add_two, &t);
	if (rc == 0 && (in->nkeys == 0 || out->nkeys == 0))
		rc = kerr(err, errlen, -EINVAL,
			  "need an 'in' and an 'out' a=crypto line (send them with mixplanectl -i FILE)");
	if (rc) {
		explicit_bzero(in, sizeof(*in));
		explicit_bzero(out, sizeof(*out));
	}
	return rc;
}

struct one {
	struct mxp_conf_key *k;
	unsigned int n;
};

static int
add_one(void *ctx, int dir, const char *val, unsigned int lineno, char *err, size_t el)
{
	struct one *o = ctx;
	(void)dir;
	if (o->n++)
		return kerr(err, el, -EINVAL, "line %u: exactly one key expected", lineno);
	char e2[200];
	int rc = mxp_cli_crypto_to_key(val, o->k, e2, sizeof(e2));
	return rc ? kerr(err, el, rc, "line %u: %s", lineno, e2) : 0;
}

int
mxp_cli_key_parse_one(const uint8_t *body, uint32_t len, struct mxp_conf_key *k, char *err,
		      size_t errlen)
{
	struct one o = { k, 0 };
	int rc = each_line(body, len, err, errlen, add_one, &o);
	if (rc == 0 && o.n == 0)
		rc = kerr(err, errlen, -EINVAL, "no a=crypto line (send it with mixplanectl -i FILE)");
	if (rc)
		explicit_bzero(k, sizeof(*k));
	return rc;
}
