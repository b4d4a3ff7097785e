/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_keys.h"
#include "mxp_srtp_sdes.h"

static int
kerr(char *err, size_t len, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return code;
}

int
mxp_cli_crypto_to_key(const char *line, struct mxp_conf_key *k, char *err, size_t errlen)
{
	struct mxp_sdes_crypto c;
	struct mxp_conf_keys ks = { 0 };
	int rc = mxp_sdes_parse(line, strlen(line), &c, err, errlen);
	if (rc == 0 && c.nkeys != 1)
		rc = kerr(err, errlen, -EINVAL, "one inline key expected, the line has %u",
			  c.nkeys);
	if (rc == 0)
		rc = mxp_conf_keys_add_sdes(&ks, &c, false, err, errlen);
	mxp_sdes_wipe(&c);
	if (rc == 0)
		*k = ks.key[0];
	explicit_bzero(&ks, sizeof(ks));
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
	struct mxp_sdes_crypto c;
	char e2[200];
	int rc = mxp_sdes_parse(val, strlen(val), &c, e2, sizeof(e2));
	if (rc == 0)
		rc = mxp_conf_keys_add_sdes(ks, &c, dir == 1, e2, sizeof(e2));
	mxp_sdes_wipe(&c);
	if (rc)
		return kerr(err, el, rc, "line %u: %s", lineno, e2);
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
