/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration file (INI). One table of sections and keys (name, type, range, default,
 * field, description) drives the parsing, the validation, the error messages, the defaults
 * and the reference printed by `mixplane --config-reference` (doc/configuration.md).
 * What one key cannot check alone (port_min below port_max, a gateway inside its port's
 * subnet) is a small check function per section, run after the table pass.
 *
 * Every error names the file, the line, the section, the key, what is wrong and what is
 * allowed. Unknown sections and keys are errors: a typo must not silently fall back to a
 * default. Needs no EAL: `mixplane -c` and the reference run before rte_eal_init().
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <rte_common.h>
#include <rte_config.h>
#include <rte_log.h>

#include "config.h"

#define MAX_FILE (1u << 20)
#define MAX_SECTIONS 64
#define MAX_ENTRIES 1024
#define MAX_VALUE 4095

/** Where warnings go; NULL: stderr (tests and fuzzers that include this file set it). */
static FILE *warn_to;

/* ---- the file: sections and "key = value" entries with their line numbers ------------ */

struct ini_ent {
	const char *key, *val;
	unsigned int line;
};

struct ini_sec {
	const char *name;
	unsigned int line;
	unsigned int first, n;       /**< its entries: ent[first .. first + n) */
	const struct cfg_section *def;
	unsigned int idx;            /**< N of a repeated section [nameN] */
};

struct ini {
	char *text;
	struct ini_sec sec[MAX_SECTIONS];
	unsigned int nsec;
	struct ini_ent ent[MAX_ENTRIES];
	unsigned int nent;
};

struct cfg_ctx {
	char *err;
	size_t errlen;
	const char *path;
	struct ini *ini;
	struct mxp_cfg *c;
};

static int
vfail(struct cfg_ctx *x, unsigned int line, const char *sec, const char *key, const char *fmt,
      va_list ap)
{
	size_t n = 0;
	int w = snprintf(x->err, x->errlen, "%s: ", x->path);
	if (w > 0)
		n += (size_t)w;
	if (line && n < x->errlen) {
		w = snprintf(x->err + n, x->errlen - n, "line %u: ", line);
		if (w > 0)
			n += (size_t)w;
	}
	if (sec && n < x->errlen) {
		w = key ? snprintf(x->err + n, x->errlen - n, "[%s] %s: ", sec, key)
			: snprintf(x->err + n, x->errlen - n, "[%s]: ", sec);
		if (w > 0)
			n += (size_t)w;
	}
	if (n < x->errlen)
		vsnprintf(x->err + n, x->errlen - n, fmt, ap);
	return -EINVAL;
}

static int __rte_format_printf(5, 6)
fail(struct cfg_ctx *x, unsigned int line, const char *sec, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfail(x, line, sec, key, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct ini_sec *
ini_section(const struct ini *ini, const char *sec)
{
	for (unsigned int i = 0; i < ini->nsec; i++)
		if (strcmp(ini->sec[i].name, sec) == 0)
			return &ini->sec[i];
	return NULL;
}

static const struct ini_ent *
ini_entry(const struct ini *ini, const char *sec, const char *key)
{
	const struct ini_sec *s = ini_section(ini, sec);
	for (unsigned int i = 0; s && i < s->n; i++)
		if (strcmp(ini->ent[s->first + i].key, key) == 0)
			return &ini->ent[s->first + i];
	return NULL;
}

/* An error about a key (or, key NULL, a section), at the line that gives it. */
static int __rte_format_printf(4, 5)
failk(struct cfg_ctx *x, const char *sec, const char *key, const char *fmt, ...)
{
	const struct ini_ent *e = key ? ini_entry(x->ini, sec, key) : NULL;
	const struct ini_sec *s = ini_section(x->ini, sec);
	va_list ap;
	va_start(ap, fmt);
	vfail(x, e ? e->line : s ? s->line : 0, sec, key, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* One line: a comment (';' anywhere, '#' first), "[section]" or "key = value". */
static int
ini_line(struct cfg_ctx *x, char *s, unsigned int line)
{
	struct ini *ini = x->ini;
	char *semi = strchr(s, ';');
	if (semi)
		*semi = '\0';
	s = trim(s);
	if (*s == '\0' || *s == '#')
		return 0;
	if (*s == '[') {
		char *close = strchr(s, ']');
		if (close == NULL || close[1] != '\0' || close == s + 1)
			return fail(x, line, NULL, NULL,
				    "malformed section header '%s' (expected [name])", s);
		*close = '\0';
		const struct ini_sec *first = ini_section(ini, s + 1);
		if (first)
			return fail(x, line, NULL, NULL,
				    "section [%s] appears twice (first on line %u)", s + 1,
				    first->line);
		if (ini->nsec == MAX_SECTIONS)
			return fail(x, line, NULL, NULL, "more than %d sections", MAX_SECTIONS);
		ini->sec[ini->nsec++] = (struct ini_sec){ .name = s + 1, .line = line,
							  .first = ini->nent };
		return 0;
	}
	char *eq = strchr(s, '=');
	if (eq == NULL)
		return fail(x, line, NULL, NULL, "expected 'key = value', got '%s'", s);
	if (ini->nsec == 0)
		return fail(x, line, NULL, NULL, "key outside of any [section]");
	*eq = '\0';
	char *k = trim(s), *v = trim(eq + 1);
	struct ini_sec *sec = &ini->sec[ini->nsec - 1];
	if (*k == '\0')
		return fail(x, line, NULL, NULL, "empty key");
	const struct ini_ent *first = ini_entry(ini, sec->name, k);
	if (first)
		return fail(x, line, sec->name, k, "key given twice (first on line %u)",
			    first->line);
	if (strlen(v) > MAX_VALUE)
		return fail(x, line, sec->name, k, "value longer than %u characters", MAX_VALUE);
	if (ini->nent == MAX_ENTRIES)
		return fail(x, line, NULL, NULL, "more than %d keys", MAX_ENTRIES);
	ini->ent[ini->nent++] = (struct ini_ent){ .key = k, .val = v, .line = line };
	sec->n++;
	return 0;
}

static int
ini_read(struct cfg_ctx *x)
{
	FILE *f = fopen(x->path, "r");
	if (f == NULL) {
		int r = -errno;
		fail(x, 0, NULL, NULL, "cannot open: %s", strerror(errno));
		return r;
	}
	/* the text, in a buffer that grows as it is read (a configuration is a few KB: no
	 * megabyte for each load), up to one byte more than the limit */
	size_t n = 0, cap = 0;
	char *t = NULL;
	int rerr = 0;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 4096;
			if (ncap > MAX_FILE + 1)
				ncap = MAX_FILE + 1;
			char *nt = n < MAX_FILE + 1 ? realloc(t, ncap + 1) : NULL;
			if (nt == NULL) {
				if (n >= MAX_FILE + 1)
					break; /* the limit is passed: refused below */
				free(t);
				x->ini->text = NULL;
				fclose(f);
				return -ENOMEM;
			}
			t = nt;
			x->ini->text = t;
			cap = ncap;
		}
		size_t got = fread(t + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			rerr = ferror(f) ? errno : 0;
			break;
		}
	}
	fclose(f);
	if (t == NULL) {
		t = malloc(1);
		if (t == NULL)
			return -ENOMEM;
		x->ini->text = t;
	}
	if (rerr) {
		fail(x, 0, NULL, NULL, "cannot read: %s", strerror(rerr));
		return -rerr;
	}
	if (n > MAX_FILE)
		return fail(x, 0, NULL, NULL, "larger than %u bytes", MAX_FILE);
	t[n] = '\0';
	if (strlen(t) != n)
		return fail(x, 0, NULL, NULL, "contains a NUL byte: not a text file");
	unsigned int line = 0;
	for (char *s = t, *nl; s < t + n; s = nl + 1) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = t + n;
		*nl = '\0';
		int r = ini_line(x, s, ++line);
		if (r)
			return r;
	}
	return 0;
}

/* ---- value types -------------------------------------------------------------------- */

enum cfg_type {
	CFG_UINT,      /**< decimal number min..max (flags: EVEN, POW2, PORTNUM) */
	CFG_BOOL,      /**< yes/no, true/false, on/off, 1/0 */
	CFG_CHOICE,    /**< one of choices[], stored as its value */
	CFG_CHOICE_STR, /**< one of choices[], stored as its name (a char array) */
	CFG_STR,       /**< text shorter than the field */
	CFG_PATH,      /**< absolute path shorter than the field */
	CFG_PATHS,     /**< up to max absolute paths (char [max][len]); count at aux */
	CFG_KEYFILE,   /**< absolute path of a regular file only its owner can read */
	CFG_LCORES,    /**< "1", "1,3", "2-5" (unsigned int []); count at aux */
	CFG_IP,        /**< an address without prefix (flags: V4, V6 for one family only) */
	CFG_PREFIX,    /**< address/prefix length min..max (flag V4 or V6); length at aux */
	CFG_MAC,       /**< unicast MAC address */
};

#define CFG_EVEN     (1u << 0)  /**< UINT: even */
#define CFG_POW2     (1u << 1)  /**< UINT: power of two */
#define CFG_PORTNUM  (1u << 2)  /**< UINT: a UDP port (says "port", not "number") */
#define CFG_V4       (1u << 3)  /**< IP, PREFIX: IPv4 only */
#define CFG_V6       (1u << 4)  /**< IP, PREFIX: IPv6 only */
#define CFG_REQUIRED (1u << 5)  /**< the section must give the key */

struct cfg_choice {
	const char *name;
	int value;
	bool alias;  /**< accepted, not listed */
};

struct cfg_key {
	const char *name;
	enum cfg_type type;
	size_t off, size;    /**< the field in the section's struct */
	size_t has;          /**< offset + 1 of a bool set when the file gives the key, or 0 */
	size_t aux;          /**< offset of the count (PATHS, LCORES) or prefix length (PREFIX) */
	uint32_t min, max;   /**< UINT, PREFIX: range; PATHS: how many */
	unsigned int flags;
	const struct cfg_choice *choices;  /**< CHOICE, CHOICE_STR; ends with a NULL name */
	const char *def;     /**< default, in the file's syntax (parsed like a value); or NULL */
	const char *def_doc; /**< the default for the reference when def is NULL */
	const char *missing; /**< REQUIRED: what to give */
	const char *doc;     /**< the reference's description (Markdown, one paragraph) */
};

#define FIELD(T, f) .off = offsetof(T, f), .size = sizeof(((T *)0)->f)
#define HAS(T, f) .has = offsetof(T, f) + 1

static void
store_int(void *p, size_t size, long v)
{
	switch (size) {
	case 1: *(uint8_t *)p = (uint8_t)v; break;
	case 2: *(uint16_t *)p = (uint16_t)v; break;
	case 4: *(uint32_t *)p = (uint32_t)v; break;
	default: *(uint64_t *)p = (uint64_t)v; break;
	}
}

static int
parse_u32(const char *v, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || *end != '\0' || x < min || x > max)
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

static const struct cfg_choice bool_choices[] = {
	{ "yes", 1, false }, { "no", 0, false },  { "true", 1, true }, { "false", 0, true },
	{ "on", 1, true },   { "off", 0, true },  { "1", 1, true },    { "0", 0, true },
	{ NULL, 0, false },
};

static const struct cfg_choice *
choose(const struct cfg_choice *ch, const char *v)
{
	for (; ch->name; ch++)
		if (strcasecmp(ch->name, v) == 0)
			return ch;
	return NULL;
}

/* "a, b or c": the listed (not alias) choices. */
static void
choice_list(const struct cfg_choice *ch, const char *quote, char *buf, size_t len)
{
	size_t n = 0, total = 0;
	for (const struct cfg_choice *c = ch; c->name; c++)
		total += !c->alias;
	buf[0] = '\0';
	for (; ch->name; ch++) {
		if (ch->alias)
			continue;
		n++;
		size_t l = strlen(buf);
		snprintf(buf + l, len - l, "%s%s%s%s", n == 1 ? "" : n == total ? " or " : ", ",
			 quote, ch->name, quote);
	}
}

/* "1", "1,3", "2-5" → list of lcore ids. */
static int
parse_lcores(const char *v, unsigned int *out, unsigned int max, unsigned int *n)
{
	const char *p = v;
	*n = 0;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		unsigned long a = strtoul(p, &end, 10), b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			b = strtoul(p, &end, 10);
			p = end;
		}
		if (b < a || b >= RTE_MAX_LCORE)
			return -EINVAL;
		for (unsigned long i = a; i <= b; i++) {
			if (*n == max)
				return -E2BIG;
			for (unsigned int j = 0; j < *n; j++)
				if (out[j] == i)
					return -EINVAL;
			out[(*n)++] = (unsigned int)i;
		}
		if (*p == ',')
			p++;
		else if (*p)
			return -EINVAL;
	}
	return *n ? 0 : -EINVAL;
}

static int
parse_mac(const char *v, struct rte_ether_addr *mac)
{
	unsigned int b[6];
	char tail;
	if (sscanf(v, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac->addr_bytes[i] = (uint8_t)b[i];
	if (mac->addr_bytes[0] & 1)
		return -EINVAL; /* multicast */
	return 0;
}

static const char *
family_name(unsigned int flags)
{
	return flags & CFG_V4 ? "IPv4" : flags & CFG_V6 ? "IPv6" : "IPv4 or IPv6";
}

static bool
family_ok(unsigned int flags, const struct mxp_ip *ip)
{
	return !(flags & CFG_V4 && ip->af != AF_INET) && !(flags & CFG_V6 && ip->af != AF_INET6);
}

/*
 * Parse v as k into obj (the section's struct). On error, why says what is wrong and what
 * is allowed (without the file, section and key, which the caller adds).
 */
static int
parse_value(const struct cfg_key *k, const char *v, void *obj, char *why, size_t whylen)
{
	char *f = (char *)obj + k->off;
	uint32_t x;
	const struct cfg_choice *ch;
	struct stat st;
	char list[256];

	switch (k->type) {
	case CFG_UINT:
		if (parse_u32(v, k->min, k->max, &x) || (k->flags & CFG_EVEN && x & 1) ||
		    (k->flags & CFG_POW2 && x & (x - 1)))
			goto bad_uint;
		store_int(f, k->size, x);
		break;
	case CFG_BOOL:
		if ((ch = choose(bool_choices, v)) == NULL)
			return snprintf(why, whylen, "'%s' is not yes or no", v), -EINVAL;
		*(bool *)f = ch->value;
		break;
	case CFG_CHOICE:
	case CFG_CHOICE_STR:
		if ((ch = choose(k->choices, v)) == NULL) {
			choice_list(k->choices, "", list, sizeof(list));
			return snprintf(why, whylen, "'%s' is not %s", v, list), -EINVAL;
		}
		if (k->type == CFG_CHOICE)
			store_int(f, k->size, ch->value);
		else
			snprintf(f, k->size, "%s", ch->name);
		break;
	case CFG_STR:
		if (strlen(v) >= k->size)
			return snprintf(why, whylen, "longer than %zu characters", k->size - 1),
			       -EINVAL;
		snprintf(f, k->size, "%s", v);
		break;
	case CFG_PATH:
		if (v[0] != '/')
			return snprintf(why, whylen, "'%s' must be an absolute path", v), -EINVAL;
		if (strlen(v) >= k->size)
			return snprintf(why, whylen, "path longer than %zu characters",
					k->size - 1), -EINVAL;
		snprintf(f, k->size, "%s", v);
		break;
	case CFG_KEYFILE:
		if (v[0] != '/' || strlen(v) >= k->size)
			return snprintf(why, whylen, "'%s' must be an absolute path", v), -EINVAL;
		if (stat(v, &st) != 0)
			return snprintf(why, whylen, "'%s': %s", v, strerror(errno)), -EINVAL;
		if (!S_ISREG(st.st_mode))
			return snprintf(why, whylen, "'%s' is not a regular file", v), -EINVAL;
		if (st.st_mode & 077)
			return snprintf(why, whylen,
					"'%s' has mode %03o: the keys must be readable by the "
					"owner only (chmod 600)", v,
					(unsigned int)(st.st_mode & 0777)),
			       -EINVAL;
		snprintf(f, k->size, "%s", v);
		break;
	case CFG_PATHS: {
		unsigned int *count = (unsigned int *)((char *)obj + k->aux);
		size_t elem = k->size / k->max;
		char buf[MAX_VALUE + 1];
		char *save, *tok;
		snprintf(buf, sizeof(buf), "%s", v);
		*count = 0;
		for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (*count == k->max)
				return snprintf(why, whylen, "at most %u paths", k->max), -EINVAL;
			if (tok[0] != '/' || strlen(tok) >= elem)
				return snprintf(why, whylen,
						"'%s' is not an absolute path (shorter than %zu)",
						tok, elem), -EINVAL;
			snprintf(f + elem * (*count)++, elem, "%s", tok);
		}
		if (*count == 0)
			return snprintf(why, whylen, "'%s' gives no path", v), -EINVAL;
		break;
	}
	case CFG_LCORES: {
		unsigned int max = (unsigned int)(k->size / sizeof(unsigned int));
		if (parse_lcores(v, (unsigned int *)f, max, (unsigned int *)((char *)obj + k->aux)))
			return snprintf(why, whylen,
					"'%s' is not a list of at most %u distinct lcore ids below "
					"%d (e.g. 1 or 1,2 or 1-3)", v, max, RTE_MAX_LCORE),
			       -EINVAL;
		break;
	}
	case CFG_IP:
		if (mxp_ip_parse(v, (struct mxp_ip *)f, NULL) || strchr(v, '/') ||
		    !family_ok(k->flags, (struct mxp_ip *)f))
			return snprintf(why, whylen, "'%s' is not an %s address", v,
					family_name(k->flags)), -EINVAL;
		break;
	case CFG_PREFIX: {
		struct mxp_ip *ip = (struct mxp_ip *)f;
		uint8_t *plen = (uint8_t *)obj + k->aux;
		bool v6 = k->flags & CFG_V6;
		if (mxp_ip_parse(v, ip, plen) || !family_ok(k->flags, ip) ||
		    strchr(v, '/') == NULL || *plen < k->min || *plen > k->max ||
		    (v6 && ip->v6[0] == 0xff))
			return snprintf(why, whylen,
					"'%s' is not a%s %s address with a prefix length %u-%u "
					"(e.g. %s)", v, v6 ? " unicast" : "n",
					family_name(k->flags), k->min, k->max,
					v6 ? "2001:db8::10/64" : "192.0.2.10/24"), -EINVAL;
		break;
	}
	case CFG_MAC:
		if (parse_mac(v, (struct rte_ether_addr *)f))
			return snprintf(why, whylen,
					"'%s' is not a unicast MAC address (aa:bb:cc:dd:ee:ff)", v),
			       -EINVAL;
		break;
	}
	if (k->has)
		*(bool *)((char *)obj + k->has - 1) = true;
	return 0;

bad_uint:
	snprintf(why, whylen, "'%s' is not %s %u..%u", v,
		 k->flags & CFG_EVEN ? "an even port" : k->flags & CFG_POW2 ? "a power of two" :
		 k->flags & CFG_PORTNUM ? "a port" : "a number", k->min, k->max);
	return -EINVAL;
}

/* What a key allows, for the reference. */
static void
allowed(const struct cfg_key *k, char *buf, size_t len)
{
	char list[256];
	switch (k->type) {
	case CFG_UINT:
		snprintf(buf, len, "%s%u – %u", k->flags & CFG_EVEN ? "even, " :
			 k->flags & CFG_POW2 ? "power of two, " : "", k->min, k->max);
		break;
	case CFG_BOOL:
		snprintf(buf, len, "`yes` or `no`");
		break;
	case CFG_CHOICE:
	case CFG_CHOICE_STR:
		choice_list(k->choices, "`", list, sizeof(list));
		snprintf(buf, len, "%s", list);
		break;
	case CFG_STR:
		snprintf(buf, len, "text, at most %zu characters", k->size - 1);
		break;
	case CFG_PATH:
		snprintf(buf, len, "absolute path, at most %zu characters", k->size - 1);
		break;
	case CFG_PATHS:
		snprintf(buf, len, "up to %u absolute paths (at most %zu characters each), "
			 "separated by spaces or commas", k->max, k->size / k->max - 1);
		break;
	case CFG_KEYFILE:
		snprintf(buf, len, "absolute path of a regular file of mode `0600`");
		break;
	case CFG_LCORES:
		snprintf(buf, len, "up to %zu lcore ids: `1`, `1,3`, `2-5`",
			 k->size / sizeof(unsigned int));
		break;
	case CFG_IP:
		snprintf(buf, len, "%s address", family_name(k->flags));
		break;
	case CFG_PREFIX:
		snprintf(buf, len, "%s address/prefix length %u – %u%s", family_name(k->flags),
			 k->min, k->max, k->flags & CFG_V6 ? " (unicast)" : "");
		break;
	case CFG_MAC:
		snprintf(buf, len, "unicast MAC address `aa:bb:cc:dd:ee:ff`");
		break;
	}
}

/* ---- the table ---------------------------------------------------------------------- */

static const struct cfg_choice log_levels[] = {
	{ "emerg", RTE_LOG_EMERG, false },     { "alert", RTE_LOG_ALERT, false },
	{ "crit", RTE_LOG_CRIT, false },       { "err", RTE_LOG_ERR, false },
	{ "warning", RTE_LOG_WARNING, false }, { "notice", RTE_LOG_NOTICE, false },
	{ "info", RTE_LOG_INFO, false },       { "debug", RTE_LOG_DEBUG, false },
	{ NULL, 0, false },
};

static const struct cfg_choice compact_choices[] = {
	{ "yes", 1, false }, { "no", 0, false }, { "auto", -1, false }, { "true", 1, true },
	{ "false", 0, true }, { "on", 1, true }, { "off", 0, true },     { "1", 1, true },
	{ "0", 0, true },     { NULL, 0, false },
};

static const struct cfg_choice mp_transports[] = {
	{ "udp", MXP_MP_TRANSPORT_UDP, false }, { "sctp", MXP_MP_TRANSPORT_SCTP, false },
	{ NULL, 0, false },
};

static const struct cfg_choice profile_choices[] = {
	{ "3gpp", 0, false }, { "mxp", 1, false }, { NULL, 0, false },
};

static const struct cfg_choice esp_backends[] = {
	{ "ipsec-mb", 0, false }, { "openssl", 0, false }, { NULL, 0, false },
};

/* lib/media's tone country sets (tone.c) */
static const struct cfg_choice tone_countries[] = {
	{ "itu", 0, false }, { "us", 0, false }, { "uk", 0, false }, { "de", 0, false },
	{ NULL, 0, false },
};

#define G struct mxp_cfg
static const struct cfg_key global_keys[] = {
	{ .name = "socket", .type = CFG_PATH, FIELD(G, socket),
	  .def = "/run/mixplane/mixplane.sock",
	  .doc = "control socket for `mixplanectl`. Its directory is created `0700` if missing; "
		 "the socket is `0600`." },
	{ .name = "workers", .type = CFG_LCORES, FIELD(G, worker_lcores),
	  .aux = offsetof(G, nb_worker_lcores), .def_doc = "every EAL lcore but the main one",
	  .doc = "worker lcores. Each must be enabled in EAL (`-l`) and must not be the main "
		 "lcore, which is the control core." },
	{ .name = "mbufs", .type = CFG_UINT, FIELD(G, mbufs), .min = 1023, .max = 1u << 24,
	  .def = "16383",
	  .doc = "packet buffers in the pool shared by all ports. The daemon refuses to start "
		 "with fewer than the ports' descriptor rings need and says how many." },
	{ .name = "mbuf_cache", .type = CFG_UINT, FIELD(G, mbuf_cache), .min = 0,
	  .max = RTE_MEMPOOL_CACHE_MAX_SIZE, .def = "256", .doc = "per-lcore mempool cache." },
	{ .name = "mbuf_size", .type = CFG_UINT, FIELD(G, mbuf_size), .min = 2048, .max = 16384,
	  .def = "2048",
	  .doc = "data room of each mbuf. With `net_af_packet`, whose fanout reassembles IP "
		 "fragments before the daemon sees them, give frames and mbufs room for the "
		 "largest Mp message: `framesz=16384,blocksz=16384` on the device and "
		 "`mbuf_size = 16384`." },
	{ .name = "rx_desc", .type = CFG_UINT, FIELD(G, rx_desc), .min = 64, .max = 16384,
	  .def = "1024",
	  .doc = "receive descriptors per queue; adjusted to the device's limits." },
	{ .name = "tx_desc", .type = CFG_UINT, FIELD(G, tx_desc), .min = 64, .max = 16384,
	  .def = "1024",
	  .doc = "transmit descriptors per queue; adjusted to the device's limits." },
	{ .name = "ctl_ring", .type = CFG_UINT, FIELD(G, ctl_ring), .min = 64, .max = 65536,
	  .flags = CFG_POW2, .def = "1024",
	  .doc = "size of the ring that carries control-plane frames from workers to the "
		 "control core." },
	{ .name = "log_level", .type = CFG_CHOICE, FIELD(G, log_level), .choices = log_levels,
	  .def = "info",
	  .doc = "for the `mixplane` log type. EAL's own `--log-level` still applies." },
	{ .name = "codec_plugins", .type = CFG_PATHS, FIELD(G, codec_plugins),
	  .aux = offsetof(G, nb_codec_plugins), .max = RTE_DIM(((G *)0)->codec_plugins),
	  .def_doc = "none",
	  .doc = "codec plugins: shared libraries loaded at start (and by `-c`); a plugin that "
		 "cannot be loaded, lacks the `mxp_codec_plugin` table, was built for another "
		 "codec interface version or repeats a codec stops the daemon with that reason. "
		 "See [media.md](media.md#codec-plugins)." },
};

static const struct cfg_key media_keys[] = {
	{ .name = "port_min", .type = CFG_UINT, FIELD(G, media_port_min), .min = 1024,
	  .max = 65534, .flags = CFG_EVEN, .def = "20000",
	  .doc = "first UDP port of the range legs are allocated from (RTP on even ports, RTCP "
		 "on the next)." },
	{ .name = "port_max", .type = CFG_UINT, FIELD(G, media_port_max), .min = 1025,
	  .max = 65535, .flags = CFG_PORTNUM, .def = "29999",
	  .doc = "last port of the range; above `port_min`." },
	{ .name = "header_mbufs", .type = CFG_UINT, FIELD(G, hdr_mbufs), .min = 1023,
	  .max = 1u << 24, .def = "65535",
	  .doc = "small mbufs for the per-receiver Ethernet/IP/UDP headers of replicated "
		 "packets." },
	{ .name = "opus_complexity", .type = CFG_UINT, FIELD(G, opus_complexity), .min = 0,
	  .max = 10, .def_doc = "libopus's 5",
	  .doc = "complexity of the Opus encoders of mix conferences (shared and private "
		 "mixes). An Opus encode is the largest cost of an Opus conference: at 0 it costs "
		 "about half of 5 (`bench_codec`: 54 against 114 µs per 20 ms), for a slightly "
		 "lower quality at the same bit rate. `show leg` reports it." },
	{ .name = "tone_country", .type = CFG_CHOICE_STR, FIELD(G, tone_country),
	  .choices = tone_countries, .def = "itu",
	  .doc = "the tone set signals play: `itu` (ITU-T E.180 values), `us`, `uk` or `de`; "
		 "tones a set lacks come from `itu`. `show tones` lists them. See "
		 "[media.md](media.md#tones-and-announcements)." },
	{ .name = "announcement_dir", .type = CFG_PATH, FIELD(G, announcement_dir),
	  .def_doc = "none (announcements refused)",
	  .doc = "directory announcements are played from (WAV: 16-bit PCM, A-law or mu-law, "
		 "mono, 8-48 kHz; raw `.ul`, `.al`, `.l16`); a signal names a file in it. A file "
		 "is checked when a signal starts and converted then if that is quick; a long one "
		 "is converted in the background (the signal sounds once it is) so the "
		 "transaction is answered at once. See "
		 "[media.md](media.md#tones-and-announcements)." },
	{ .name = "announcement_preload", .type = CFG_STR, FIELD(G, announcement_preload),
	  .def_doc = "none",
	  .doc = "announcements converted at start, before any signal needs them: file names "
		 "in `announcement_dir` separated by spaces or commas, or `*` for every file "
		 "there (at most 32, in name order). Long ones are converted in the background; "
		 "a name that cannot be loaded is logged and skipped. `announcement load FILE` "
		 "does the same at run time; `show announcements` lists them." },
	{ .name = "recording_dir", .type = CFG_PATH, FIELD(G, recording_dir),
	  .def_doc = "none (recordings refused)",
	  .doc = "directory conference recordings are written to (`conference record`, "
		 "`mxp/record`): WAV files, 16-bit PCM mono at the mix rate, created mode 0640. "
		 "See [conferences.md](conferences.md#recording)." },
};
#undef G

#define P struct mxp_port_cfg
static const struct cfg_key port_keys[] = {
	{ .name = "device", .type = CFG_STR, FIELD(P, device), .flags = CFG_REQUIRED,
	  .missing = "give a PCI address (0000:03:00.0) or a virtual device (net_tap0,iface=mxp0)",
	  .doc = "a PCI address (`0000:03:00.0`, bound to `vfio-pci`) or a DPDK virtual device "
		 "with its arguments (`net_af_packet0,iface=veth0`, `net_tap0,iface=mxp0`, "
		 "`net_memif0,role=server`). A device already created by EAL (`-a`, `--vdev`) is "
		 "used as is; otherwise it is probed. Two ports cannot share a device." },
	{ .name = "ipv4", .type = CFG_PREFIX, FIELD(P, ip4), HAS(P, has_ip4),
	  .aux = offsetof(P, plen4), .min = 1, .max = 31, .flags = CFG_V4,
	  .def_doc = "one of ipv4/ipv6", .doc = "the port's IPv4 address with its prefix, "
		 "`192.0.2.10/24`." },
	{ .name = "ipv6", .type = CFG_PREFIX, FIELD(P, ip6), HAS(P, has_ip6),
	  .aux = offsetof(P, plen6), .min = 1, .max = 127, .flags = CFG_V6,
	  .def_doc = "one of ipv4/ipv6",
	  .doc = "the port's global IPv6 address with its prefix. A link-local address (EUI-64 "
		 "of the MAC) is always added and answered for neighbour discovery." },
	{ .name = "gateway4", .type = CFG_IP, FIELD(P, gw4), HAS(P, has_gw4), .flags = CFG_V4,
	  .def_doc = "none",
	  .doc = "next hop for IPv4 destinations outside the subnet; must be inside it "
		 "(needs `ipv4`)." },
	{ .name = "gateway6", .type = CFG_IP, FIELD(P, gw6), HAS(P, has_gw6), .flags = CFG_V6,
	  .def_doc = "none", .doc = "next hop for IPv6; link-local or inside the prefix (needs "
		 "`ipv6`)." },
	{ .name = "mtu", .type = CFG_UINT, FIELD(P, mtu), .min = 1280, .max = 9000, .def = "1500",
	  .doc = "devices that cannot set an MTU (memif, af_packet) keep theirs, with a "
		 "warning." },
	{ .name = "mac", .type = CFG_MAC, FIELD(P, mac), HAS(P, has_mac),
	  .def_doc = "the device's", .doc = "override the device's MAC address." },
};
#undef P

#define M struct mxp_mp_cfg
static const struct cfg_key mp_keys[] = {
	{ .name = "enabled", .type = CFG_BOOL, FIELD(M, enabled), .def = "yes",
	  .doc = "`no` turns the plane off without removing the section." },
	{ .name = "mrfc", .type = CFG_IP, FIELD(M, mrfc), HAS(M, has_mrfc), .def_doc = "none",
	  .doc = "the MRFC's address. ServiceChange Restart goes there at start (retransmitted "
		 "on the H.248 timers, tried again every 30 s until answered), and Notify for "
		 "requested events. Without it Notify goes to the host that added the leg, and no "
		 "ServiceChange is sent. The address needs an outbound SA (a `peer ... out-spi=` "
		 "line)." },
	{ .name = "mrfc_port", .type = CFG_UINT, FIELD(M, mrfc_port), .min = 1, .max = 65535,
	  .flags = CFG_PORTNUM, .def = "2944", .doc = "its H.248 port." },
	{ .name = "transport", .type = CFG_CHOICE, FIELD(M, transport), .choices = mp_transports,
	  .def = "udp",
	  .doc = "`udp`: H.248 over UDP port 2944. `sctp`: H.248.4 over SCTP (one association, "
		 "one stream, PPID 7) that the MRFP opens to `mrfc` (needs it) on `mrfc_port`, "
		 "inside ESP (IP protocol 132, user-space SCTP); everything to that address then "
		 "goes over the association, without H.248 retransmissions. A lost association "
		 "is opened again (backoff 0.5 to 8 s), followed by ServiceChange Disconnected. "
		 "See [mp.md](mp.md), \"SCTP transport\"." },
	{ .name = "compact", .type = CFG_CHOICE, FIELD(M, compact), .choices = compact_choices,
	  .def = "auto",
	  .doc = "token style of what the daemon sends: `auto` answers in the style of the "
		 "request (`MEGACO/3` long, `!/3` compact), `yes`/`no` force compact/long. The "
		 "daemon's own requests are long." },
	{ .name = "profile", .type = CFG_CHOICE, FIELD(M, profile), .choices = profile_choices,
	  .def = "3gpp",
	  .doc = "the H.248 profile ServiceChange announces: `3gpp`, the Mp profile of TS 29.333 "
		 "(`threegmrfp/1`, its standard packages), or `mxp` (`mxp/1`); both speak every "
		 "package of doc/mp.md." },
	{ .name = "profile_name", .type = CFG_STR, FIELD(M, profile_name), .def = "",
	  .doc = "with `profile = 3gpp`: the `NAME/VERSION` ServiceChange announces and the "
		 "MRFC's reply is checked against, for an MRFC that spells TS 29.333's profile "
		 "otherwise than `threegmrfp/1` (the name could not be checked against the "
		 "specification's text here, see [mp.md](mp.md), \"Profile\"). NAME: a letter, "
		 "then up to 63 letters, digits or `_`; VERSION 1..99. Empty: `threegmrfp/1`." },
	{ .name = "generate_keys", .type = CFG_BOOL, FIELD(M, generate_keys), .def = "no",
	  .doc = "`yes`: when an Add's Local descriptor has no `a=crypto`, the MRFP draws the key "
		 "it sends with (getrandom(2); the suite and MKI length of the participant's first "
		 "key, lifetime 2^31) and returns it in the reply's Local SDP — the only case "
		 "where a reply carries a key. `no`: such an Add gets 441 (the MRFC gives the "
		 "Local key)." },
	{ .name = "authfail_threshold", .type = CFG_UINT, FIELD(M, afthresh), .min = 1,
	  .max = 1000000, .def = "50",
	  .doc = "SRTP authentication failures of a leg before `mxp/authfail` is notified (again "
		 "every as many more); a leg's `mxp/afthresh` overrides it." },
	{ .name = "keylimit_percent", .type = CFG_UINT, FIELD(M, keylimit_percent), .min = 1,
	  .max = 100, .def = "90",
	  .doc = "`mxp/keylimit` with `state=soft` once a master key has been used for this share "
		 "of its limit (lifetime or 2^48 / 2^31); `state=exhausted` at the limit." },
	{ .name = "reply_cache", .type = CFG_UINT, FIELD(M, reply_cache), .min = 64,
	  .max = 1u << 20, .def = "65536",
	  .doc = "replies remembered (entries). A retransmitted request gets the stored reply and "
		 "is never applied again; an entry stays until `reply_ttl_ms` passed or the MRFC "
		 "acknowledged it (TransactionResponseAck). When every entry is younger than that, "
		 "new requests get **510** without being applied: size it for the transaction rate "
		 "times the ttl." },
	{ .name = "reply_cache_mb", .type = CFG_UINT, FIELD(M, reply_cache_mb), .min = 1,
	  .max = 4096, .def = "32",
	  .doc = "bytes for the stored replies, MiB of hugepage memory. A reply takes 300 – 1500 "
		 "bytes." },
	{ .name = "reply_ttl_ms", .type = CFG_UINT, FIELD(M, reply_ttl_ms), .min = 1000,
	  .max = 600000, .def = "30000",
	  .doc = "how long a reply is kept (H.248 LONG-TIMER; at least the MRFC's give-up "
		 "time)." },
	{ .name = "ocp_high_pct", .type = CFG_UINT, FIELD(M, ocp_high_pct), .min = 1,
	  .max = 100, .def = "70",
	  .doc = "overload (H.248.11, doc/mp.md \"Overload control\") once the reply cache holds "
		 "this share of `reply_cache`: new contexts get **510** and a requested "
		 "`ocp/mg_overload` is notified, before the cache is full." },
	{ .name = "ocp_low_pct", .type = CFG_UINT, FIELD(M, ocp_low_pct), .min = 0, .max = 100,
	  .def = "50", .doc = "the overload ends when the reply cache holds less than this share "
			      "(at most `ocp_high_pct`)." },
	{ .name = "ocp_busy_pct", .type = CFG_UINT, FIELD(M, ocp_busy_pct), .min = 1,
	  .max = 101, .def = "90",
	  .doc = "overload also while transactions take this share of each second of the control "
		 "core (101: never)." },
	{ .name = "pending_ms", .type = CFG_UINT, FIELD(M, pending_ms), .min = 0, .max = 60000,
	  .def = "100",
	  .doc = "a transaction still being applied after this long gets TransactionPending "
		 "(checked between commands and between the legs of a wildcard). Keep it below the "
		 "MRFC's first retransmission (250 ms for mrfc)." },
	{ .name = "retx_initial_ms", .type = CFG_UINT, FIELD(M, retx_initial_ms), .min = 10,
	  .max = 60000, .def = "250",
	  .doc = "first retransmission of the daemon's own requests (ServiceChange, Notify); the "
		 "interval doubles up to `retx_max_ms`; a TransactionPending from the MRFC stops "
		 "them for 10 s." },
	{ .name = "retx_max_ms", .type = CFG_UINT, FIELD(M, retx_max_ms), .min = 10,
	  .max = 600000, .def = "4000",
	  .doc = "longest interval between retransmissions; at least `retx_initial_ms`." },
	{ .name = "retx_giveup_ms", .type = CFG_UINT, FIELD(M, retx_giveup_ms), .min = 100,
	  .max = 3600000, .def = "30000", .doc = "a request is given up after this long." },
	{ .name = "event_poll_ms", .type = CFG_UINT, FIELD(M, event_poll_ms), .min = 100,
	  .max = 60000, .def = "1000",
	  .doc = "how often the legs with requested events are checked: the delay of a "
		 "Notify." },
};

static const struct cfg_key esp_keys[] = {
	{ .name = "sa_file", .type = CFG_KEYFILE, FIELD(M, sa_file), .def_doc = "none",
	  .doc = "the MRFP side's ESP key file (`mrfc keygen` writes one; format in "
		 "[security.md](security.md)): `sa in`/`sa out` lines and `peer` lines (the "
		 "policy: who may send Mp, and the outbound SA of its replies). Loaded all or "
		 "nothing at start. Required unless `allow_plaintext_mp = yes`. SAs can also be "
		 "added and removed at run time (`mixplanectl esp sa add -i FILE`)." },
	{ .name = "backend", .type = CFG_CHOICE_STR, FIELD(M, esp_backend),
	  .choices = esp_backends, .def = "ipsec-mb",
	  .doc = "ESP crypto: `ipsec-mb` (intel-ipsec-mb, as the data plane) or `openssl`." },
	{ .name = "allow_plaintext_mp", .type = CFG_BOOL, FIELD(M, allow_plaintext), .def = "no",
	  .doc = "**lab only**: also accept Mp in the clear (UDP 2944) from policy peers. "
		 "Conference keys then cross the network readable; the daemon logs the warning "
		 "three times at start and `show mp` says so. With no `sa_file`, the `[mp] mrfc` "
		 "address is the only policy peer. The issue calls this flag "
		 "`allow-plaintext-mp`." },
};
#undef M

#define X struct mxp_metrics_cfg
static const struct cfg_key metrics_keys[] = {
	{ .name = "listen", .type = CFG_STR, FIELD(X, listen), HAS(X, enabled), .def_doc = "off",
	  .doc = "`ADDR:PORT` (`[ADDR]:PORT` for IPv6) of a kernel TCP socket that answers "
		 "`GET /metrics` with the daemon's counters in the Prometheus text format: an "
		 "address of a kernel interface (the management network; the DPDK ports carry no "
		 "TCP), or `0.0.0.0:9464` for every one (9464 by convention). Counts only, never "
		 "a key or a fingerprint. See [deployment.md](deployment.md#prometheus)." },
};
#undef X

/* Keys that moved: the old spelling is still read, with a warning; both is an error. */
static const struct {
	const char *from_sec, *from_key, *to_sec, *to_key;
} moved[] = {
	{ "mp", "sa_file", "esp", "sa_file" },
	{ "mp", "esp_backend", "esp", "backend" },
	{ "mp", "allow_plaintext_mp", "esp", "allow_plaintext_mp" },
};

struct cfg_section {
	const char *name;     /**< the section, or the N-less name of a repeated one */
	unsigned int repeat;  /**< 0: one section; N: name0 .. name(N-1), any of them */
	size_t base;          /**< offset of its struct in struct mxp_cfg */
	size_t stride;        /**< repeated: size of one */
	size_t count;         /**< repeated: offset of the count in struct mxp_cfg */
	const struct cfg_key *keys;
	unsigned int nkeys;
	/** cross-key checks after the table pass: 0 or a failk() */
	int (*check)(struct cfg_ctx *x, const char *sec, void *obj);
	const char *title;    /**< for the reference */
	const char *doc;      /**< for the reference: a paragraph before the table, or NULL */
};

/* [media]: the port range holds at least one RTP/RTCP pair. */
static int
media_check(struct cfg_ctx *x, const char *sec, void *obj)
{
	const struct mxp_cfg *c = obj;
	if (c->media_port_max < c->media_port_min + 1u)
		return failk(x, sec, "port_max", "%u leaves no port pair above port_min %u",
			     c->media_port_max, c->media_port_min);
	return 0;
}

/* [portN]: an address; gateways inside it; a device of its own. */
static int
port_check(struct cfg_ctx *x, const char *sec, void *obj)
{
	struct mxp_port_cfg *p = obj;
	snprintf(p->section, sizeof(p->section), "%s", sec);
	if (!p->has_ip4 && !p->has_ip6)
		return failk(x, sec, NULL, "needs an address: set ipv4 and/or ipv6");
	if (p->has_gw4 && !p->has_ip4)
		return failk(x, sec, "gateway4", "given without ipv4");
	if (p->has_gw4 && !mxp_ip_prefix_match(&p->gw4, &p->ip4, p->plen4))
		return failk(x, sec, "gateway4", "'%s' is not inside the port's subnet",
			     ini_entry(x->ini, sec, "gateway4")->val);
	if (p->has_gw6 && !p->has_ip6)
		return failk(x, sec, "gateway6", "given without ipv6");
	bool ll = p->gw6.v6[0] == 0xfe && (p->gw6.v6[1] & 0xc0) == 0x80;
	if (p->has_gw6 && !ll && !mxp_ip_prefix_match(&p->gw6, &p->ip6, p->plen6))
		return failk(x, sec, "gateway6", "'%s' is neither link-local nor inside the port's "
			     "subnet", ini_entry(x->ini, sec, "gateway6")->val);
	for (const struct mxp_port_cfg *q = x->c->ports; q < p; q++)
		if (strcmp(q->device, p->device) == 0)
			return failk(x, sec, "device", "'%s' is already used by [%s]", p->device,
				     q->section);
	return 0;
}

/* [mp]: the retransmission timers grow. */
static int
mp_check(struct cfg_ctx *x, const char *sec, void *obj)
{
	const struct mxp_mp_cfg *m = obj;
	if (m->retx_max_ms < m->retx_initial_ms)
		return failk(x, sec, "retx_max_ms", "%u is below retx_initial_ms %u",
			     m->retx_max_ms, m->retx_initial_ms);
	if (m->profile_name[0] != '\0') {
		/* NAME/VERSION: a letter, up to 63 letters, digits or '_'; '/'; 1..99 */
		const char *s = m->profile_name, *sl = strchr(s, '/');
		size_t nl = sl ? (size_t)(sl - s) : 0;
		bool ok = sl != NULL && nl >= 1 && nl <= 64 && isalpha((unsigned char)s[0]);
		for (size_t i = 1; ok && i < nl; i++)
			ok = isalnum((unsigned char)s[i]) || s[i] == '_';
		char *end = NULL;
		unsigned long v = ok ? strtoul(sl + 1, &end, 10) : 0;
		ok = ok && isdigit((unsigned char)sl[1]) && *end == '\0' && v >= 1 && v <= 99;
		if (!ok)
			return failk(x, sec, "profile_name", "'%s': expected NAME/VERSION (a letter, "
				     "then up to 63 letters, digits or '_'; VERSION 1..99), e.g. "
				     "threegmrfp/1", s);
		if (m->profile != 0)
			return failk(x, sec, "profile_name", "applies to profile = 3gpp (this "
				     "section has profile = mxp)");
	}
	return 0;
}

/* [metrics]: listen is an address and a port. */
static int
metrics_check(struct cfg_ctx *x, const char *sec, void *obj)
{
	struct mxp_metrics_cfg *m = obj;
	if (m->enabled && mxp_ip_port_parse(m->listen, &m->addr, &m->port) != 0)
		return failk(x, sec, "listen", "'%s' is not ADDR:PORT (0.0.0.0:9464, "
			     "[::]:9464, 192.0.2.10:9464; port 1-65535)", m->listen);
	return 0;
}

static const struct cfg_section sections[] = {
	{ .name = "mixplane", .keys = global_keys, .nkeys = RTE_DIM(global_keys),
	  .title = "the daemon" },
	{ .name = "port", .repeat = MXP_MAX_PORTS, .base = offsetof(struct mxp_cfg, ports),
	  .stride = sizeof(struct mxp_port_cfg), .count = offsetof(struct mxp_cfg, nb_ports),
	  .keys = port_keys, .nkeys = RTE_DIM(port_keys), .check = port_check, .title = "ports",
	  .doc = "At least one. Each port gets one receive and one transmit queue per worker; with "
		 "more than one worker the port uses RSS over IP addresses and UDP ports. A device "
		 "with fewer queues than workers is a configuration error (`net_af_packet` needs "
		 "`qpairs=N`)." },
	{ .name = "media", .keys = media_keys, .nkeys = RTE_DIM(media_keys), .check = media_check,
	  .title = "media ports" },
	{ .name = "mp", .base = offsetof(struct mxp_cfg, mp), .keys = mp_keys,
	  .nkeys = RTE_DIM(mp_keys), .check = mp_check,
	  .title = "the Mp control interface (H.248 over ESP)",
	  .doc = "Without an `[mp]` section the daemon speaks no Mp: ESP, UDP 4500 and UDP 2944 "
		 "frames to its addresses are counted as `ctl_unhandled` and dropped. With it, the "
		 "control core runs the Mp plane described in [mp.md](mp.md) (protocol) and "
		 "[security.md](security.md) (ESP, threat model); its ESP is set in `[esp]`." },
	{ .name = "esp", .base = offsetof(struct mxp_cfg, mp), .keys = esp_keys,
	  .nkeys = RTE_DIM(esp_keys), .title = "ESP of the Mp interface",
	  .doc = "Only with `[mp]`." },
	{ .name = "metrics", .base = offsetof(struct mxp_cfg, metrics), .keys = metrics_keys,
	  .nkeys = RTE_DIM(metrics_keys), .check = metrics_check,
	  .title = "the Prometheus endpoint",
	  .doc = "Without `listen` (the default) the daemon opens no TCP socket." },
};

static const struct cfg_key *
find_key(const struct cfg_section *s, const char *name)
{
	for (unsigned int i = 0; i < s->nkeys; i++)
		if (strcmp(s->keys[i].name, name) == 0)
			return &s->keys[i];
	return NULL;
}

/* ---- loading ------------------------------------------------------------------------ */

/* Which table section a file section is: sets def and idx, or fails. */
static int
match_section(struct cfg_ctx *x, struct ini_sec *is)
{
	for (size_t i = 0; i < RTE_DIM(sections); i++) {
		const struct cfg_section *s = &sections[i];
		size_t l = strlen(s->name);
		if (!s->repeat && strcmp(is->name, s->name) == 0) {
			is->def = s;
			return 0;
		}
		if (s->repeat && strncmp(is->name, s->name, l) == 0 &&
		    isdigit((unsigned char)is->name[l]) &&
		    (is->name[l] != '0' || is->name[l + 1] == '\0')) { /* no leading zero */
			char *end;
			unsigned long n = strtoul(is->name + l, &end, 10);
			if (*end == '\0' && n < s->repeat) {
				is->def = s;
				is->idx = (unsigned int)n;
				return 0;
			}
		}
	}
	char list[256] = "";
	for (size_t i = 0; i < RTE_DIM(sections); i++) {
		size_t l = strlen(list);
		if (sections[i].repeat)
			snprintf(list + l, sizeof(list) - l, "%s[%s0] ... [%s%u]", i ? ", " : "",
				 sections[i].name, sections[i].name, sections[i].repeat - 1);
		else
			snprintf(list + l, sizeof(list) - l, "%s[%s]", i ? ", " : "",
				 sections[i].name);
	}
	return fail(x, is->line, is->name, NULL, "unknown section (known: %s)", list);
}

static bool
is_moved(const char *sec, const char *key)
{
	for (size_t i = 0; i < RTE_DIM(moved); i++)
		if (strcmp(moved[i].from_sec, sec) == 0 && strcmp(moved[i].from_key, key) == 0)
			return true;
	return false;
}

/* Every key of a file section is known and has a value. */
static int
check_keys(struct cfg_ctx *x, const struct ini_sec *is)
{
	for (unsigned int i = 0; i < is->n; i++) {
		const struct ini_ent *e = &x->ini->ent[is->first + i];
		if (find_key(is->def, e->key) == NULL && !is_moved(is->def->name, e->key)) {
			char list[512] = "";
			for (unsigned int k = 0; k < is->def->nkeys; k++) {
				size_t l = strlen(list);
				snprintf(list + l, sizeof(list) - l, "%s%s", k ? ", " : "",
					 is->def->keys[k].name);
			}
			return fail(x, e->line, is->name, e->key, "unknown key (known keys: %s)",
				    list);
		}
		if (e->val[0] == '\0')
			return fail(x, e->line, is->name, e->key, "empty value");
	}
	return 0;
}

static int
apply_defaults(struct cfg_ctx *x, const struct cfg_section *s, const char *sec, void *obj)
{
	char why[512];
	for (const struct cfg_key *k = s->keys; k < s->keys + s->nkeys; k++)
		if (k->def && parse_value(k, k->def, obj, why, sizeof(why)))
			return fail(x, 0, sec, k->name, "built-in default: %s", why);
	return 0;
}

/*
 * The keys of section sec (a file section, or a section the file does not have) into obj.
 * A moved key is read from its old place when the file gives it there.
 */
static int
load_keys(struct cfg_ctx *x, const struct cfg_section *s, const char *sec, void *obj)
{
	char why[512];
	for (unsigned int i = 0; i < s->nkeys; i++) {
		const struct cfg_key *k = &s->keys[i];
		const char *in_sec = sec, *as = k->name;
		const struct ini_ent *e = ini_entry(x->ini, sec, k->name);
		for (size_t m = 0; m < RTE_DIM(moved); m++) {
			if (strcmp(moved[m].to_sec, sec) || strcmp(moved[m].to_key, k->name))
				continue;
			const struct ini_ent *old = ini_entry(x->ini, moved[m].from_sec,
							      moved[m].from_key);
			if (old == NULL)
				continue;
			if (e)
				return fail(x, old->line, moved[m].from_sec, moved[m].from_key,
					    "also given as [%s] %s (line %u): keep only [%s] %s",
					    sec, k->name, e->line, sec, k->name);
			fprintf(warn_to ? warn_to : stderr,
				"mixplane: %s: line %u: warning: [%s] %s is deprecated: "
				"write it as [%s] %s\n", x->path, old->line, moved[m].from_sec,
				moved[m].from_key, sec, k->name);
			e = old;
			in_sec = moved[m].from_sec;
			as = moved[m].from_key;
		}
		if (e == NULL) {
			if (k->flags & CFG_REQUIRED)
				return failk(x, sec, k->name, "missing: %s", k->missing);
			continue;
		}
		if (parse_value(k, e->val, obj, why, sizeof(why)))
			return fail(x, e->line, in_sec, as, "%s", why);
	}
	return s->check ? s->check(x, sec, obj) : 0;
}

/* After every section: what spans sections. */
static int
final_check(struct cfg_ctx *x)
{
	struct mxp_cfg *c = x->c;
	if (c->nb_ports == 0)
		return fail(x, 0, NULL, NULL, "no [portN] section: at least one port is needed");
	bool has_mp = ini_section(x->ini, "mp") != NULL;
	if (!has_mp && ini_section(x->ini, "esp"))
		return failk(x, "esp", NULL, "given without [mp]: ESP carries the Mp interface "
			     "only (add [mp], or remove [esp])");
	if (!has_mp)
		c->mp.enabled = false;
	if (c->mp.enabled && c->mp.sa_file[0] == '\0' && !c->mp.allow_plaintext) {
		/* Name the section the file keeps its ESP keys in. */
		bool old = false;
		for (size_t m = 0; m < RTE_DIM(moved); m++)
			old |= ini_entry(x->ini, moved[m].from_sec, moved[m].from_key) != NULL;
		return failk(x, old ? "mp" : "esp", "sa_file",
			     "missing: Mp is only accepted inside ESP (give the SA key file, or "
			     "allow_plaintext_mp = yes in a lab)");
	}
	return 0;
}

int
mxp_cfg_load(const char *path, struct mxp_cfg *c, char *err, size_t errlen)
{
	struct cfg_ctx x = { .err = err, .errlen = errlen, .path = path, .c = c };
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->opus_complexity = -1; /* libopus's default */
	x.ini = calloc(1, sizeof(*x.ini));
	if (x.ini == NULL)
		return -ENOMEM;
	r = ini_read(&x);
	for (unsigned int i = 0; r == 0 && i < x.ini->nsec; i++) {
		r = match_section(&x, &x.ini->sec[i]);
		if (r == 0)
			r = check_keys(&x, &x.ini->sec[i]);
	}
	/* Sections in the table's order; repeated ones in the order of their numbers. */
	for (size_t i = 0; r == 0 && i < RTE_DIM(sections); i++) {
		const struct cfg_section *s = &sections[i];
		if (!s->repeat) {
			void *obj = (char *)c + s->base;
			r = apply_defaults(&x, s, s->name, obj);
			if (r == 0)
				r = load_keys(&x, s, s->name, obj);
			continue;
		}
		unsigned int *count = (unsigned int *)((char *)c + s->count);
		for (unsigned int n = 0; r == 0 && n < s->repeat; n++)
			for (unsigned int j = 0; r == 0 && j < x.ini->nsec; j++) {
				const struct ini_sec *is = &x.ini->sec[j];
				if (is->def != s || is->idx != n)
					continue;
				void *obj = (char *)c + s->base + s->stride * *count;
				r = apply_defaults(&x, s, is->name, obj);
				if (r == 0)
					r = load_keys(&x, s, is->name, obj);
				if (r == 0)
					(*count)++;
			}
	}
	if (r == 0)
		r = final_check(&x);
	free(x.ini->text);
	free(x.ini);
	return r;
}

/* ---- the reference ------------------------------------------------------------------ */

void
mxp_cfg_reference(FILE *f)
{
	char buf[512];
	for (size_t i = 0; i < RTE_DIM(sections); i++) {
		const struct cfg_section *s = &sections[i];
		if (s->repeat)
			fprintf(f, "## `[%s0]` … `[%s%u]` — %s\n\n", s->name, s->name,
				s->repeat - 1, s->title);
		else
			fprintf(f, "## `[%s]` — %s\n\n", s->name, s->title);
		if (s->doc)
			fprintf(f, "%s\n\n", s->doc);
		fprintf(f, "| key | allowed | default | meaning |\n|---|---|---|---|\n");
		for (unsigned int k = 0; k < s->nkeys; k++) {
			const struct cfg_key *key = &s->keys[k];
			allowed(key, buf, sizeof(buf));
			fprintf(f, "| `%s` | %s | ", key->name, buf);
			if (key->flags & CFG_REQUIRED)
				fprintf(f, "required");
			else if (key->def)
				fprintf(f, "`%s`", key->def);
			else
				fprintf(f, "%s", key->def_doc ? key->def_doc : "—");
			fprintf(f, " | %s |\n", key->doc);
		}
		fprintf(f, "\n");
		const char *from = NULL;
		for (size_t m = 0; m < RTE_DIM(moved); m++) {
			if (strcmp(moved[m].to_sec, s->name) != 0)
				continue;
			if (from == NULL)
				fprintf(f, "Older files give ");
			else
				fprintf(f, ", ");
			from = moved[m].from_sec;
			fprintf(f, "`%s`", moved[m].from_key);
			if (strcmp(moved[m].from_key, moved[m].to_key) != 0)
				fprintf(f, " (now `%s`)", moved[m].to_key);
		}
		if (from)
			fprintf(f, " in `[%s]`. That spelling is still read, with a warning naming "
				"the new place; a file that gives a key in both places is "
				"refused.\n\n", from);
	}
}
