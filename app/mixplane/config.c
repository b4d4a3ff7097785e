/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration file (INI, read with rte_cfgfile). Every key is validated and every
 * error names the file, the section, the key and what is wrong. Unknown sections and
 * keys are errors: a typo must not silently fall back to a default.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_cfgfile.h>

#include "mixplane.h"

#define DEFAULT_SOCKET "/run/mixplane/mixplane.sock"

struct cfg_err {
	char *buf;
	size_t len;
	const char *path;
};

static int
fail(struct cfg_err *e, const char *section, const char *key, const char *fmt, ...)
{
	int n;
	if (section && key)
		n = snprintf(e->buf, e->len, "%s: [%s] %s: ", e->path, section, key);
	else if (section)
		n = snprintf(e->buf, e->len, "%s: [%s]: ", e->path, section);
	else
		n = snprintf(e->buf, e->len, "%s: ", e->path);
	if (n < 0 || (size_t)n >= e->len)
		return -EINVAL;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->buf + n, e->len - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Syntax pass with line numbers, which rte_cfgfile does not report. */
static int
prescan(FILE *f, struct cfg_err *e)
{
	char line[1024];
	char sections[64][64];
	unsigned int nsec = 0;
	char keys[64][64];
	unsigned int nkeys = 0;
	unsigned int lineno = 0;
	bool in_section = false;

	while (fgets(line, sizeof(line), f)) {
		lineno++;
		size_t l = strlen(line);
		if (l == sizeof(line) - 1 && line[l - 1] != '\n')
			return fail(e, NULL, NULL, "line %u: longer than %zu characters", lineno,
				    sizeof(line) - 2);
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		char *end = s + strlen(s);
		while (end > s && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (*s == '\0' || *s == ';' || *s == '#')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (close == NULL || close[1] != '\0' || close == s + 1)
				return fail(e, NULL, NULL,
					    "line %u: malformed section header '%s' (expected [name])",
					    lineno, s);
			*close = '\0';
			for (unsigned int i = 0; i < nsec; i++)
				if (strcmp(sections[i], s + 1) == 0)
					return fail(e, NULL, NULL, "line %u: section [%s] appears twice",
						    lineno, s + 1);
			if (nsec == 64)
				return fail(e, NULL, NULL, "line %u: more than 64 sections", lineno);
			snprintf(sections[nsec++], sizeof(sections[0]), "%s", s + 1);
			nkeys = 0;
			in_section = true;
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL)
			return fail(e, NULL, NULL, "line %u: expected 'key = value', got '%s'", lineno,
				    s);
		if (!in_section)
			return fail(e, NULL, NULL, "line %u: key outside of any [section]", lineno);
		char *k = s, *kend = eq;
		while (kend > k && isspace((unsigned char)kend[-1]))
			kend--;
		*kend = '\0';
		if (*k == '\0')
			return fail(e, NULL, NULL, "line %u: empty key", lineno);
		for (unsigned int i = 0; i < nkeys; i++)
			if (strcmp(keys[i], k) == 0)
				return fail(e, sections[nsec - 1], k, "line %u: key given twice",
					    lineno);
		if (nkeys < 64)
			snprintf(keys[nkeys++], sizeof(keys[0]), "%s", k);
	}
	return 0;
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

static int
parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcasecmp(v, "on") ||
	    !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcasecmp(v, "off") ||
	    !strcmp(v, "0")) {
		*out = false;
		return 0;
	}
	return -EINVAL;
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

static const struct {
	const char *name;
	uint32_t level;
} log_levels[] = {
	{ "emerg", RTE_LOG_EMERG }, { "alert", RTE_LOG_ALERT }, { "crit", RTE_LOG_CRIT },
	{ "err", RTE_LOG_ERR },     { "warning", RTE_LOG_WARNING }, { "notice", RTE_LOG_NOTICE },
	{ "info", RTE_LOG_INFO },   { "debug", RTE_LOG_DEBUG },
};

static int
check_keys(struct rte_cfgfile *cf, const char *sec, const char *const allowed[],
	   struct cfg_err *e)
{
	struct rte_cfgfile_entry ent[64];
	int n = rte_cfgfile_section_entries(cf, sec, ent, 64);
	for (int i = 0; i < n; i++) {
		bool ok = false;
		for (int k = 0; allowed[k]; k++)
			ok |= strcmp(ent[i].name, allowed[k]) == 0;
		if (!ok) {
			char list[512] = "";
			for (int k = 0; allowed[k]; k++) {
				strncat(list, k ? ", " : "", sizeof(list) - strlen(list) - 1);
				strncat(list, allowed[k], sizeof(list) - strlen(list) - 1);
			}
			return fail(e, sec, ent[i].name, "unknown key (known keys: %s)", list);
		}
		if (ent[i].value[0] == '\0')
			return fail(e, sec, ent[i].name, "empty value");
	}
	return 0;
}

static int
load_global(struct rte_cfgfile *cf, struct mxp_cfg *c, struct cfg_err *e)
{
	static const char *const keys[] = { "socket", "workers", "mbufs", "mbuf_cache", "mbuf_size",
					    "rx_desc", "tx_desc", "ctl_ring", "log_level",
					    "codec_plugins", NULL };
	const char *s = "mixplane", *v;
	uint32_t x;

	if (!rte_cfgfile_has_section(cf, s))
		return 0;
	int r = check_keys(cf, s, keys, e);
	if (r)
		return r;
	if ((v = rte_cfgfile_get_entry(cf, s, "socket"))) {
		if (v[0] != '/')
			return fail(e, s, "socket", "'%s' must be an absolute path", v);
		if (strlen(v) >= sizeof(c->socket))
			return fail(e, s, "socket", "path longer than %zu characters",
				    sizeof(c->socket) - 1);
		snprintf(c->socket, sizeof(c->socket), "%s", v);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "codec_plugins"))) {
		char buf[1024];
		snprintf(buf, sizeof(buf), "%s", v);
		char *save, *tok;
		for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			if (c->nb_codec_plugins == RTE_DIM(c->codec_plugins))
				return fail(e, s, "codec_plugins", "at most %zu plugins",
					    RTE_DIM(c->codec_plugins));
			if (tok[0] != '/' || strlen(tok) >= sizeof(c->codec_plugins[0]))
				return fail(e, s, "codec_plugins", "'%s' is not an absolute path "
					    "(shorter than %zu)", tok, sizeof(c->codec_plugins[0]));
			snprintf(c->codec_plugins[c->nb_codec_plugins++],
				 sizeof(c->codec_plugins[0]), "%s", tok);
		}
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "workers"))) {
		r = parse_lcores(v, c->worker_lcores, MXP_MAX_WORKERS, &c->nb_worker_lcores);
		if (r)
			return fail(e, s, "workers",
				    "'%s' is not a list of distinct lcore ids below %d (e.g. 1 or 1,2 or 1-3)",
				    v, RTE_MAX_LCORE);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "mbufs"))) {
		if (parse_u32(v, 1023, 1u << 24, &c->mbufs))
			return fail(e, s, "mbufs", "'%s' is not a number between 1023 and %u", v,
				    1u << 24);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "mbuf_cache"))) {
		if (parse_u32(v, 0, RTE_MEMPOOL_CACHE_MAX_SIZE, &c->mbuf_cache))
			return fail(e, s, "mbuf_cache", "'%s' is not a number between 0 and %d", v,
				    RTE_MEMPOOL_CACHE_MAX_SIZE);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "mbuf_size"))) {
		if (parse_u32(v, 2048, 16384, &c->mbuf_size))
			return fail(e, s, "mbuf_size", "'%s' is not a number between 2048 and 16384", v);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "rx_desc"))) {
		if (parse_u32(v, 64, 16384, &x))
			return fail(e, s, "rx_desc", "'%s' is not a number between 64 and 16384", v);
		c->rx_desc = (uint16_t)x;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "tx_desc"))) {
		if (parse_u32(v, 64, 16384, &x))
			return fail(e, s, "tx_desc", "'%s' is not a number between 64 and 16384", v);
		c->tx_desc = (uint16_t)x;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "ctl_ring"))) {
		if (parse_u32(v, 64, 65536, &x) || (x & (x - 1)))
			return fail(e, s, "ctl_ring", "'%s' is not a power of two between 64 and 65536",
				    v);
		c->ctl_ring = x;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "log_level"))) {
		bool ok = false;
		for (size_t i = 0; i < RTE_DIM(log_levels); i++)
			if (strcasecmp(v, log_levels[i].name) == 0) {
				c->log_level = log_levels[i].level;
				ok = true;
			}
		if (!ok)
			return fail(e, s, "log_level",
				    "'%s' is not one of emerg, alert, crit, err, warning, notice, info, debug",
				    v);
	}
	return 0;
}

static int
load_port(struct rte_cfgfile *cf, const char *s, struct mxp_port_cfg *p, struct cfg_err *e)
{
	static const char *const keys[] = { "device", "ipv4", "ipv6", "gateway4", "gateway6",
					    "mtu", "mac", NULL };
	const char *v;
	uint32_t x;
	int r = check_keys(cf, s, keys, e);
	if (r)
		return r;

	snprintf(p->section, sizeof(p->section), "%s", s);
	p->mtu = 1500;
	v = rte_cfgfile_get_entry(cf, s, "device");
	if (v == NULL)
		return fail(e, s, "device",
			    "missing: give a PCI address (0000:03:00.0) or a virtual device (net_tap0,iface=mxp0)");
	if (strlen(v) >= sizeof(p->device))
		return fail(e, s, "device", "longer than %zu characters", sizeof(p->device) - 1);
	snprintf(p->device, sizeof(p->device), "%s", v);

	if ((v = rte_cfgfile_get_entry(cf, s, "ipv4"))) {
		if (mxp_ip_parse(v, &p->ip4, &p->plen4) || p->ip4.af != AF_INET ||
		    strchr(v, '/') == NULL || p->plen4 == 0 || p->plen4 > 31)
			return fail(e, s, "ipv4",
				    "'%s' is not an IPv4 address with a prefix length 1-31 (e.g. 192.0.2.10/24)",
				    v);
		p->has_ip4 = true;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "ipv6"))) {
		if (mxp_ip_parse(v, &p->ip6, &p->plen6) || p->ip6.af != AF_INET6 ||
		    strchr(v, '/') == NULL || p->plen6 == 0 || p->plen6 > 127 || p->ip6.v6[0] == 0xff)
			return fail(e, s, "ipv6",
				    "'%s' is not a unicast IPv6 address with a prefix length 1-127 (e.g. 2001:db8::10/64)",
				    v);
		p->has_ip6 = true;
	}
	if (!p->has_ip4 && !p->has_ip6)
		return fail(e, s, NULL, "needs an address: set ipv4 and/or ipv6");
	if ((v = rte_cfgfile_get_entry(cf, s, "gateway4"))) {
		if (!p->has_ip4)
			return fail(e, s, "gateway4", "given without ipv4");
		if (mxp_ip_parse(v, &p->gw4, NULL) || p->gw4.af != AF_INET)
			return fail(e, s, "gateway4", "'%s' is not an IPv4 address", v);
		if (!mxp_ip_prefix_match(&p->gw4, &p->ip4, p->plen4))
			return fail(e, s, "gateway4", "'%s' is not inside the port's subnet", v);
		p->has_gw4 = true;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "gateway6"))) {
		if (!p->has_ip6)
			return fail(e, s, "gateway6", "given without ipv6");
		if (mxp_ip_parse(v, &p->gw6, NULL) || p->gw6.af != AF_INET6)
			return fail(e, s, "gateway6", "'%s' is not an IPv6 address", v);
		bool ll = p->gw6.v6[0] == 0xfe && (p->gw6.v6[1] & 0xc0) == 0x80;
		if (!ll && !mxp_ip_prefix_match(&p->gw6, &p->ip6, p->plen6))
			return fail(e, s, "gateway6",
				    "'%s' is neither link-local nor inside the port's subnet", v);
		p->has_gw6 = true;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "mtu"))) {
		if (parse_u32(v, 1280, 9000, &x))
			return fail(e, s, "mtu", "'%s' is not a number between 1280 and 9000", v);
		p->mtu = (uint16_t)x;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "mac"))) {
		if (parse_mac(v, &p->mac))
			return fail(e, s, "mac", "'%s' is not a unicast MAC address (aa:bb:cc:dd:ee:ff)",
				    v);
		p->has_mac = true;
	}
	return 0;
}

static int
load_media(struct rte_cfgfile *cf, struct mxp_cfg *c, struct cfg_err *e)
{
	static const char *const keys[] = { "port_min", "port_max", "header_mbufs",
					    "opus_complexity", NULL };
	const char *s = "media", *v;
	uint32_t x;

	if (!rte_cfgfile_has_section(cf, s))
		return 0;
	int r = check_keys(cf, s, keys, e);
	if (r)
		return r;
	if ((v = rte_cfgfile_get_entry(cf, s, "port_min"))) {
		if (parse_u32(v, 1024, 65534, &x) || (x & 1))
			return fail(e, s, "port_min", "'%s' is not an even port between 1024 and 65534", v);
		c->media_port_min = (uint16_t)x;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "port_max"))) {
		if (parse_u32(v, 1025, 65535, &x))
			return fail(e, s, "port_max", "'%s' is not a port between 1025 and 65535", v);
		c->media_port_max = (uint16_t)x;
	}
	if (c->media_port_max < c->media_port_min + 1u)
		return fail(e, s, "port_max", "%u leaves no port pair above port_min %u",
			    c->media_port_max, c->media_port_min);
	if ((v = rte_cfgfile_get_entry(cf, s, "header_mbufs"))) {
		if (parse_u32(v, 1023, 1u << 24, &c->hdr_mbufs))
			return fail(e, s, "header_mbufs", "'%s' is not a number between 1023 and %u", v,
				    1u << 24);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "opus_complexity"))) {
		if (parse_u32(v, 0, 10, &x))
			return fail(e, s, "opus_complexity", "'%s' is not a number between 0 and 10",
				    v);
		c->opus_complexity = (int)x;
	}
	return 0;
}

static int
load_mp(struct rte_cfgfile *cf, struct mxp_cfg *c, struct cfg_err *e)
{
	static const char *const keys[] = { "enabled", "sa_file", "allow_plaintext_mp", "mrfc",
					    "mrfc_port", "compact", "generate_keys", "esp_backend",
					    "authfail_threshold", "keylimit_percent", "reply_cache",
					    "reply_cache_mb", "reply_ttl_ms", "pending_ms",
					    "retx_initial_ms", "retx_max_ms", "retx_giveup_ms",
					    "event_poll_ms", NULL };
	const char *s = "mp", *v;
	uint32_t x;
	struct mxp_mp_cfg *m = &c->mp;
	/* Numbers: key, range, field. */
	const struct {
		const char *key;
		uint32_t min, max;
		uint32_t *field;
	} nums[] = {
		{ "authfail_threshold", 1, 1000000, &m->afthresh },
		{ "keylimit_percent", 1, 100, &m->keylimit_percent },
		{ "reply_cache", 64, 1u << 20, &m->reply_cache },
		{ "reply_cache_mb", 1, 4096, &m->reply_cache_mb },
		{ "reply_ttl_ms", 1000, 600000, &m->reply_ttl_ms },
		{ "pending_ms", 0, 60000, &m->pending_ms },
		{ "retx_initial_ms", 10, 60000, &m->retx_initial_ms },
		{ "retx_max_ms", 10, 600000, &m->retx_max_ms },
		{ "retx_giveup_ms", 100, 3600000, &m->retx_giveup_ms },
		{ "event_poll_ms", 100, 60000, &m->event_poll_ms },
	};

	if (!rte_cfgfile_has_section(cf, s))
		return 0;
	int r = check_keys(cf, s, keys, e);
	if (r)
		return r;
	m->enabled = true;
	m->mrfc_port = 2944;
	m->compact = -1;
	m->generate_keys = false;
	snprintf(m->esp_backend, sizeof(m->esp_backend), "ipsec-mb");
	m->afthresh = 50;
	m->keylimit_percent = 90;
	m->reply_cache = 65536;
	m->reply_cache_mb = 32;
	m->reply_ttl_ms = 30000;
	m->pending_ms = 100;
	m->retx_initial_ms = 250;
	m->retx_max_ms = 4000;
	m->retx_giveup_ms = 30000;
	m->event_poll_ms = 1000;
	if ((v = rte_cfgfile_get_entry(cf, s, "enabled")) && parse_bool(v, &m->enabled))
		return fail(e, s, "enabled", "'%s' is not yes or no", v);
	if ((v = rte_cfgfile_get_entry(cf, s, "sa_file"))) {
		if (v[0] != '/' || strlen(v) >= sizeof(m->sa_file))
			return fail(e, s, "sa_file", "'%s' must be an absolute path", v);
		struct stat st;
		if (stat(v, &st) != 0)
			return fail(e, s, "sa_file", "'%s': %s", v, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return fail(e, s, "sa_file", "'%s' is not a regular file", v);
		if (st.st_mode & 077)
			return fail(e, s, "sa_file",
				    "'%s' has mode %03o: the keys must be readable by the owner only "
				    "(chmod 600)", v, (unsigned int)(st.st_mode & 0777));
		snprintf(m->sa_file, sizeof(m->sa_file), "%s", v);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "allow_plaintext_mp"))) {
		if (parse_bool(v, &m->allow_plaintext))
			return fail(e, s, "allow_plaintext_mp", "'%s' is not yes or no", v);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "compact"))) {
		bool b;
		if (strcasecmp(v, "auto") == 0)
			m->compact = -1;
		else if (parse_bool(v, &b) == 0)
			m->compact = b;
		else
			return fail(e, s, "compact",
				    "'%s' is not yes, no or auto (answer in the request's style)", v);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "generate_keys")) &&
	    parse_bool(v, &m->generate_keys))
		return fail(e, s, "generate_keys", "'%s' is not yes or no", v);
	if ((v = rte_cfgfile_get_entry(cf, s, "esp_backend"))) {
		if (strcmp(v, "ipsec-mb") != 0 && strcmp(v, "openssl") != 0)
			return fail(e, s, "esp_backend", "'%s' is not ipsec-mb or openssl", v);
		snprintf(m->esp_backend, sizeof(m->esp_backend), "%s", v);
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "mrfc"))) {
		if (mxp_ip_parse(v, &m->mrfc, NULL) || strchr(v, '/'))
			return fail(e, s, "mrfc", "'%s' is not an IPv4 or IPv6 address", v);
		m->has_mrfc = true;
	}
	if ((v = rte_cfgfile_get_entry(cf, s, "mrfc_port"))) {
		if (parse_u32(v, 1, 65535, &x))
			return fail(e, s, "mrfc_port", "'%s' is not a port 1..65535", v);
		m->mrfc_port = (uint16_t)x;
	}
	for (size_t i = 0; i < RTE_DIM(nums); i++)
		if ((v = rte_cfgfile_get_entry(cf, s, nums[i].key)) &&
		    parse_u32(v, nums[i].min, nums[i].max, nums[i].field))
			return fail(e, s, nums[i].key, "'%s' is not a number %u..%u", v, nums[i].min,
				    nums[i].max);
	if (m->retx_max_ms < m->retx_initial_ms)
		return fail(e, s, "retx_max_ms", "%u is below retx_initial_ms %u", m->retx_max_ms,
			    m->retx_initial_ms);
	if (m->enabled && m->sa_file[0] == '\0' && !m->allow_plaintext)
		return fail(e, s, "sa_file",
			    "missing: Mp is only accepted inside ESP (give the SA key file, or "
			    "allow_plaintext_mp = yes in a lab)");
	return 0;
}

static bool
is_port_section(const char *s, unsigned int *idx)
{
	if (strncmp(s, "port", 4) != 0 || !isdigit((unsigned char)s[4]))
		return false;
	char *end;
	unsigned long n = strtoul(s + 4, &end, 10);
	if (*end != '\0' || n >= MXP_MAX_PORTS)
		return false;
	*idx = (unsigned int)n;
	return true;
}

int
mxp_cfg_load(const char *path, struct mxp_cfg *c, char *err, size_t errlen)
{
	struct cfg_err e = { .buf = err, .len = errlen, .path = path };
	int r;

	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(c->socket, sizeof(c->socket), "%s", DEFAULT_SOCKET);
	c->mbufs = 16383;
	c->mbuf_cache = 256;
	c->mbuf_size = 2048;
	c->rx_desc = 1024;
	c->tx_desc = 1024;
	c->ctl_ring = 1024;
	c->log_level = RTE_LOG_INFO;
	c->media_port_min = 20000;
	c->media_port_max = 29999;
	c->hdr_mbufs = 65535;
	c->opus_complexity = -1;

	FILE *f = fopen(path, "r");
	if (f == NULL) {
		r = -errno;
		fail(&e, NULL, NULL, "cannot open: %s", strerror(errno));
		return r;
	}
	r = prescan(f, &e);
	fclose(f);
	if (r)
		return r;

	struct rte_cfgfile *cf = rte_cfgfile_load(path, 0);
	if (cf == NULL)
		return fail(&e, NULL, NULL, "cannot be parsed as an INI file");

	int nsec = rte_cfgfile_num_sections(cf, NULL, 0);
	char(*names)[CFG_NAME_LEN] = calloc((size_t)(nsec > 0 ? nsec : 1), CFG_NAME_LEN);
	char **np = calloc((size_t)(nsec > 0 ? nsec : 1), sizeof(char *));
	if (names == NULL || np == NULL) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < nsec; i++)
		np[i] = names[i];
	rte_cfgfile_sections(cf, np, nsec);

	bool seen[MXP_MAX_PORTS] = { false };
	for (int i = 0; i < nsec; i++) {
		unsigned int idx;
		if (strcmp(names[i], "mixplane") == 0 || strcmp(names[i], "media") == 0 ||
		    strcmp(names[i], "mp") == 0)
			continue;
		if (is_port_section(names[i], &idx)) {
			seen[idx] = true;
			continue;
		}
		r = fail(&e, names[i], NULL,
			 "unknown section (known: [mixplane], [media], [mp], [port0] ... [port%d])",
			 MXP_MAX_PORTS - 1);
		goto out;
	}
	r = load_global(cf, c, &e);
	if (r == 0)
		r = load_media(cf, c, &e);
	if (r == 0)
		r = load_mp(cf, c, &e);
	if (r)
		goto out;
	for (unsigned int i = 0; i < MXP_MAX_PORTS; i++) {
		if (!seen[i])
			continue;
		char s[16];
		snprintf(s, sizeof(s), "port%u", i);
		r = load_port(cf, s, &c->ports[c->nb_ports], &e);
		if (r)
			goto out;
		for (unsigned int j = 0; j < c->nb_ports; j++)
			if (strcmp(c->ports[j].device, c->ports[c->nb_ports].device) == 0) {
				r = fail(&e, s, "device", "'%s' is already used by [%s]",
					 c->ports[j].device, c->ports[j].section);
				goto out;
			}
		c->nb_ports++;
	}
	if (c->nb_ports == 0) {
		r = fail(&e, NULL, NULL, "no [portN] section: at least one port is needed");
		goto out;
	}
	r = 0;
out:
	free(np);
	free(names);
	rte_cfgfile_close(cf);
	return r;
}
