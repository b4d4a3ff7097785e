/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's configuration table, without the daemon: config.c is included here so its
 * table and value parser can be walked. Every key: its default parses, a valid value is
 * stored, out-of-range and malformed values are refused with a message that says what is
 * allowed. Whole files: the defaults are those of the daemon before the table existed,
 * [esp] and the old [mp] spelling give the same fields, both is refused, cross-key checks
 * and line numbers in errors. The reference lists every key.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../../app/mixplane/config.c"

#include "mxp_test.h"

static struct mxp_cfg scratch;

/* The struct a section's keys are stored in, inside the scratch configuration. */
static void *
section_obj(const struct cfg_section *s, size_t *size)
{
	*size = s->repeat ? s->stride : s->base ? sizeof(struct mxp_mp_cfg) : sizeof(scratch);
	return (char *)&scratch + s->base;
}

/* A field of 1, 2, 4 or 8 bytes, read as unsigned, or as signed when sign is set. */
static int64_t
load_num(const void *p, size_t size, bool sign)
{
	uint64_t v = 0;
	memcpy(&v, p, size); /* little-endian */
	if (sign && size < 8 && (v >> (8 * size - 1) & 1))
		v |= ~(uint64_t)0 << (8 * size);
	return (int64_t)v;
}

static bool
accepts(const struct cfg_key *k, const char *v, void *obj)
{
	char why[512];
	return parse_value(k, v, obj, why, sizeof(why)) == 0;
}

/* Refused, and the message quotes the value and contains want (if not NULL). */
static bool
refuses(struct mxp_test_ctx *t, const struct cfg_key *k, const char *v, void *obj, const char *want)
{
	char why[512] = "";
	if (parse_value(k, v, obj, why, sizeof(why)) == 0) {
		mxp_test_fail(t, __FILE__, __LINE__, "%s: '%s' accepted", k->name, v);
		return false;
	}
	if (want && strstr(why, want) == NULL) {
		mxp_test_fail(t, __FILE__, __LINE__, "%s: '%s': message '%s' lacks '%s'", k->name,
			      v, why, want);
		return false;
	}
	return true;
}

static char keyfile[64], loosefile[64];

static void
make_keyfiles(void)
{
	if (keyfile[0])
		return;
	snprintf(keyfile, sizeof(keyfile), "/tmp/mxp_cfgkeyXXXXXX");
	snprintf(loosefile, sizeof(loosefile), "/tmp/mxp_cfgloseXXXXXX");
	close(mkstemp(keyfile));
	close(mkstemp(loosefile));
	chmod(keyfile, 0600);
	chmod(loosefile, 0644);
}

/* A valid value of each type (IP families as the key wants). */
static const char *
valid_sample(const struct cfg_key *k)
{
	switch (k->type) {
	case CFG_BOOL: return "yes";
	case CFG_STR: return "net_null0";
	case CFG_PATH: return "/run/x";
	case CFG_PATHS: return "/a.so, /b.so";
	case CFG_KEYFILE: return keyfile;
	case CFG_LCORES: return "1,3-5";
	case CFG_IP: return k->flags & CFG_V6 ? "2001:db8::1" : "192.0.2.1";
	case CFG_PREFIX: return k->flags & CFG_V6 ? "2001:db8::10/64" : "192.0.2.10/24";
	case CFG_MAC: return "02:00:00:00:00:01";
	default: return NULL;
	}
}

/* "%u" of x, in a static buffer (one at a time). */
static const char *
num(uint64_t x)
{
	static char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, x);
	return buf;
}

static void
check_uint(struct mxp_test_ctx *t, const struct cfg_key *k, void *obj)
{
	char range[48];
	snprintf(range, sizeof(range), "%u..%u", k->min, k->max);
	MXP_CHECK(t, accepts(k, num(k->min), obj));
	MXP_CHECK_EQ(t, load_num((char *)obj + k->off, k->size, false), k->min);
	MXP_CHECK(t, accepts(k, num(k->max), obj));
	MXP_CHECK_EQ(t, load_num((char *)obj + k->off, k->size, false), k->max);
	if (k->min > 0)
		MXP_CHECK(t, refuses(t, k, num(k->min - 1), obj, range));
	MXP_CHECK(t, refuses(t, k, num((uint64_t)k->max + 1), obj, range));
	MXP_CHECK(t, refuses(t, k, "-1", obj, range));
	MXP_CHECK(t, refuses(t, k, "99999999999999999999", obj, range));
	if (k->flags & CFG_EVEN)
		MXP_CHECK(t, refuses(t, k, num(k->min + 1), obj, "even"));
	if (k->flags & CFG_POW2)
		MXP_CHECK(t, refuses(t, k, num(k->min + 1), obj, "power of two"));
}

static void
check_choice(struct mxp_test_ctx *t, const struct cfg_key *k, void *obj)
{
	const char *f = (char *)obj + k->off;
	for (const struct cfg_choice *c = k->choices; c->name; c++) {
		MXP_CHECK(t, accepts(k, c->name, obj));
		if (k->type == CFG_CHOICE)
			MXP_CHECK_EQ(t, load_num(f, k->size, true), c->value);
		else
			MXP_CHECK_STR(t, f, c->name);
	}
	MXP_CHECK(t, refuses(t, k, "bogus", obj, k->choices[0].name));
}

/* Malformed values of the other types, and what their messages say. */
static const struct {
	enum cfg_type type;
	unsigned int flags;  /**< only for keys with these flags (0: all of the type) */
	const char *value, *want;
} refusals[] = {
	{ CFG_BOOL, 0, "maybe", "is not yes or no" },
	{ CFG_PATH, 0, "run/x", "absolute path" },
	{ CFG_PATHS, 0, "a.so", "absolute path" },
	{ CFG_PATHS, 0, "/a /b /c", "at most 2 paths" },
	{ CFG_KEYFILE, 0, "/nonexistent/x.sa", "No such file" },
	{ CFG_KEYFILE, 0, "/tmp", "not a regular file" },
	{ CFG_KEYFILE, 0, "x.sa", "absolute path" },
	{ CFG_LCORES, 0, "1,1", "distinct" },
	{ CFG_LCORES, 0, "3-1", "lcore ids" },
	{ CFG_LCORES, 0, "0-127", "at most 64" },
	{ CFG_IP, 0, "192.0.2.300", "address" },
	{ CFG_IP, 0, "192.0.2.1/24", "address" },
	{ CFG_IP, CFG_V4, "2001:db8::1", "IPv4 address" },
	{ CFG_IP, CFG_V6, "192.0.2.1", "IPv6 address" },
	{ CFG_PREFIX, CFG_V4, "192.0.2.1/32", "prefix length 1-31" },
	{ CFG_PREFIX, CFG_V4, "192.0.2.1", "prefix length" },
	{ CFG_PREFIX, CFG_V4, "2001:db8::1/64", "IPv4 address with a prefix length" },
	{ CFG_PREFIX, CFG_V6, "2001:db8::1/128", "prefix length 1-127" },
	{ CFG_PREFIX, CFG_V6, "2001:db8::1", "prefix length" },
	{ CFG_PREFIX, CFG_V6, "ff02::1/64", "unicast IPv6" },
	{ CFG_PREFIX, CFG_V6, "192.0.2.1/24", "IPv6 address with a prefix length" },
	{ CFG_MAC, 0, "01:00:5e:00:00:01", "unicast MAC" },
	{ CFG_MAC, 0, "02:00:00:00:00", "unicast MAC" },
};

/* The other types: a valid value, then malformed ones. */
static void
check_other(struct mxp_test_ctx *t, const struct cfg_key *k, void *obj)
{
	const char *good = valid_sample(k);
	const char *f = (char *)obj + k->off;
	const unsigned int *count = (const unsigned int *)((char *)obj + k->aux);

	MXP_CHECK(t, good != NULL && accepts(k, good, obj));
	if (k->has)
		MXP_CHECK(t, *(bool *)((char *)obj + k->has - 1));
	if (k->type == CFG_PATHS)
		MXP_CHECK_EQ(t, *count, 2);
	if (k->type == CFG_LCORES)
		MXP_CHECK_EQ(t, *count, 4);
	if (k->type == CFG_BOOL)
		MXP_CHECK(t, accepts(k, "off", obj) && !*(const bool *)f);
	if (k->type == CFG_KEYFILE)
		MXP_CHECK(t, refuses(t, k, loosefile, obj, "has mode 644"));
	if (k->type == CFG_STR || k->type == CFG_PATH) {
		char *longv = calloc(1, k->size + 1);
		memset(longv, 'a', k->size);
		longv[0] = '/';
		MXP_CHECK(t, refuses(t, k, longv, obj, "longer than"));
		free(longv);
	}
	for (size_t i = 0; i < RTE_DIM(refusals); i++)
		if (refusals[i].type == k->type &&
		    (k->flags & refusals[i].flags) == refusals[i].flags)
			MXP_CHECK(t, refuses(t, k, refusals[i].value, obj, refusals[i].want));
}

MXP_TEST(every_key)
{
	make_keyfiles();
	for (size_t i = 0; i < RTE_DIM(sections); i++) {
		const struct cfg_section *s = &sections[i];
		size_t objsize;
		void *obj = section_obj(s, &objsize);
		MXP_CHECK(t, s->title != NULL && s->nkeys > 0);
		for (const struct cfg_key *k = s->keys; k < s->keys + s->nkeys; k++) {
			memset(&scratch, 0, sizeof(scratch));
			MXP_CHECK(t, k->doc != NULL && k->doc[0] != '\0');
			MXP_CHECK(t, k->off + k->size <= objsize);
			MXP_CHECK(t, find_key(s, k->name) == k); /* names are unique */
			MXP_CHECK(t, !(k->flags & CFG_REQUIRED) || (k->missing && !k->def));
			if (k->def && !accepts(k, k->def, obj))
				mxp_test_fail(t, __FILE__, __LINE__,
					      "[%s] %s: default '%s' refused", s->name, k->name,
					      k->def);
			if (k->type != CFG_STR) /* any text is a device */
				MXP_CHECK(t, refuses(t, k, "x\"y", obj, "x\"y"));
			if (k->type == CFG_UINT)
				check_uint(t, k, obj);
			else if (k->type == CFG_CHOICE || k->type == CFG_CHOICE_STR)
				check_choice(t, k, obj);
			else
				check_other(t, k, obj);
		}
	}
}

/* Write text to a temporary file and load it; the file is removed. */
static int
load(const char *text, struct mxp_cfg *c, char *err, size_t errlen)
{
	char path[] = "/tmp/mxp_cfgXXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	size_t len = strlen(text);
	ssize_t w = write(fd, text, len);
	close(fd);
	int r = w == (ssize_t)len ? mxp_cfg_load(path, c, err, errlen) : -EIO;
	unlink(path);
	return r;
}

#define PORT0 "[port0]\ndevice = net_null0\nipv4 = 192.0.2.2/24\n"

static struct mxp_cfg cfg, cfg2;

MXP_TEST(defaults)
{
	char err[512] = "";
	int r = load(PORT0, &cfg, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	/* The values the daemon had before the table. */
	MXP_CHECK_STR(t, cfg.socket, "/run/mixplane/mixplane.sock");
	MXP_CHECK_EQ(t, cfg.nb_worker_lcores, 0);
	MXP_CHECK_EQ(t, cfg.nb_codec_plugins, 0);
	MXP_CHECK_EQ(t, cfg.mbufs, 16383);
	MXP_CHECK_EQ(t, cfg.mbuf_cache, 256);
	MXP_CHECK_EQ(t, cfg.mbuf_size, 2048);
	MXP_CHECK_EQ(t, cfg.rx_desc, 1024);
	MXP_CHECK_EQ(t, cfg.tx_desc, 1024);
	MXP_CHECK_EQ(t, cfg.ctl_ring, 1024);
	MXP_CHECK_EQ(t, cfg.log_level, RTE_LOG_INFO);
	MXP_CHECK_EQ(t, cfg.media_port_min, 20000);
	MXP_CHECK_EQ(t, cfg.media_port_max, 29999);
	MXP_CHECK_EQ(t, cfg.hdr_mbufs, 65535);
	MXP_CHECK_EQ(t, cfg.opus_complexity, -1);
	MXP_CHECK_EQ(t, cfg.mp.enabled, false);
	MXP_CHECK_EQ(t, cfg.nb_ports, 1);
	MXP_CHECK_STR(t, cfg.ports[0].section, "port0");
	MXP_CHECK_STR(t, cfg.ports[0].device, "net_null0");
	MXP_CHECK_EQ(t, cfg.ports[0].mtu, 1500);
	MXP_CHECK(t, cfg.ports[0].has_ip4 && !cfg.ports[0].has_ip6 && !cfg.ports[0].has_mac);
	MXP_CHECK_EQ(t, cfg.ports[0].plen4, 24);

	r = load(PORT0 "[mp]\n[esp]\nallow_plaintext_mp = yes\n", &cfg, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	const struct mxp_mp_cfg *m = &cfg.mp;
	MXP_CHECK(t, m->enabled && m->allow_plaintext && !m->generate_keys && !m->has_mrfc);
	MXP_CHECK_STR(t, m->sa_file, "");
	MXP_CHECK_STR(t, m->esp_backend, "ipsec-mb");
	MXP_CHECK_EQ(t, m->mrfc_port, 2944);
	MXP_CHECK_EQ(t, m->compact, -1);
	MXP_CHECK_EQ(t, m->afthresh, 50);
	MXP_CHECK_EQ(t, m->keylimit_percent, 90);
	MXP_CHECK_EQ(t, m->reply_cache, 65536);
	MXP_CHECK_EQ(t, m->reply_cache_mb, 32);
	MXP_CHECK_EQ(t, m->reply_ttl_ms, 30000);
	MXP_CHECK_EQ(t, m->pending_ms, 100);
	MXP_CHECK_EQ(t, m->retx_initial_ms, 250);
	MXP_CHECK_EQ(t, m->retx_max_ms, 4000);
	MXP_CHECK_EQ(t, m->retx_giveup_ms, 30000);
	MXP_CHECK_EQ(t, m->event_poll_ms, 1000);
}

MXP_TEST(values)
{
	char err[512] = "";
	int r = load("# a comment\n[mixplane]\nworkers = 2-3 ; two\nlog_level = DEBUG\n"
		     "codec_plugins = /a.so,/b.so\n[media]\nopus_complexity = 0\n"
		     "[port1]\ndevice = net_null1\nipv6 = 2001:db8::2/64\ngateway6 = fe80::1\n"
		     "mac = 02:00:00:00:00:02\n" PORT0 "gateway4 = 192.0.2.1\nmtu = 9000\n"
		     "[mp]\ncompact = no\nmrfc = 2001:db8::1\n[esp]\nallow_plaintext_mp = on\n",
		     &cfg, err, sizeof(err));
	MXP_CHECK_EQ(t, r, 0);
	MXP_CHECK_EQ(t, cfg.nb_worker_lcores, 2);
	MXP_CHECK_EQ(t, cfg.worker_lcores[1], 3);
	MXP_CHECK_EQ(t, cfg.log_level, RTE_LOG_DEBUG);
	MXP_CHECK_EQ(t, cfg.nb_codec_plugins, 2);
	MXP_CHECK_STR(t, cfg.codec_plugins[1], "/b.so");
	MXP_CHECK_EQ(t, cfg.opus_complexity, 0);
	/* ports in the order of their numbers, whatever the file's order */
	MXP_CHECK_EQ(t, cfg.nb_ports, 2);
	MXP_CHECK_STR(t, cfg.ports[0].section, "port0");
	MXP_CHECK_STR(t, cfg.ports[1].section, "port1");
	MXP_CHECK(t, cfg.ports[0].has_gw4 && cfg.ports[0].mtu == 9000);
	MXP_CHECK(t, cfg.ports[1].has_ip6 && cfg.ports[1].has_gw6 && cfg.ports[1].has_mac &&
		     !cfg.ports[1].has_ip4);
	MXP_CHECK_EQ(t, cfg.ports[1].mac.addr_bytes[5], 2);
	MXP_CHECK_EQ(t, cfg.ports[1].plen6, 64);
	MXP_CHECK(t, cfg.mp.enabled && cfg.mp.compact == 0 && cfg.mp.has_mrfc &&
		     cfg.mp.mrfc.af == AF_INET6 && cfg.mp.allow_plaintext);
}

MXP_TEST(moved_keys)
{
	char err[512] = "";
	make_keyfiles();
	char text[512];
	/* Old and new spelling fill the same fields; the old one warns once a key. */
	snprintf(text, sizeof(text), PORT0 "[mp]\nsa_file = %s\nesp_backend = openssl\n"
		 "allow_plaintext_mp = yes\n", keyfile);
	char *warnings = NULL;
	size_t wlen = 0;
	warn_to = open_memstream(&warnings, &wlen);
	MXP_CHECK_EQ(t, load(text, &cfg, err, sizeof(err)), 0);
	fclose(warn_to);
	warn_to = NULL;
	MXP_CHECK(t, strstr(warnings, "line 5: warning: [mp] sa_file is deprecated: write it as "
				      "[esp] sa_file\n") != NULL);
	MXP_CHECK(t, strstr(warnings, "line 6: warning: [mp] esp_backend is deprecated: write it "
				      "as [esp] backend\n") != NULL);
	MXP_CHECK(t, strstr(warnings, "line 7: warning: [mp] allow_plaintext_mp is deprecated: "
				      "write it as [esp] allow_plaintext_mp\n") != NULL);
	size_t nl = 0;
	for (const char *w = warnings; *w; w++)
		nl += *w == '\n';
	MXP_CHECK_EQ(t, nl, 3);
	free(warnings);
	snprintf(text, sizeof(text), PORT0 "[mp]\n[esp]\nsa_file = %s\nbackend = openssl\n"
		 "allow_plaintext_mp = yes\n", keyfile);
	MXP_CHECK_EQ(t, load(text, &cfg2, err, sizeof(err)), 0);
	MXP_CHECK_STR(t, cfg.mp.sa_file, keyfile);
	MXP_CHECK_STR(t, cfg2.mp.sa_file, keyfile);
	MXP_CHECK_STR(t, cfg.mp.esp_backend, "openssl");
	MXP_CHECK_STR(t, cfg2.mp.esp_backend, "openssl");
	MXP_CHECK(t, cfg.mp.allow_plaintext && cfg2.mp.allow_plaintext);
	/* Both: refused, at the old one's line. */
	snprintf(text, sizeof(text), PORT0 "[mp]\nsa_file = %s\n[esp]\nsa_file = %s\n", keyfile,
		 keyfile);
	MXP_CHECK_EQ(t, load(text, &cfg, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "line 5: [mp] sa_file: also given as [esp] sa_file (line 7)"));
	/* Mixed: each key in one place is fine. */
	snprintf(text, sizeof(text), PORT0 "[mp]\nesp_backend = openssl\n[esp]\nsa_file = %s\n",
		 keyfile);
	MXP_CHECK_EQ(t, load(text, &cfg, err, sizeof(err)), 0);
	MXP_CHECK_STR(t, cfg.mp.esp_backend, "openssl");
	/* The missing key file is named where the file keeps its ESP keys. */
	MXP_CHECK_EQ(t, load(PORT0 "[mp]\n", &cfg, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "[esp] sa_file: missing"));
	MXP_CHECK_EQ(t, load(PORT0 "[mp]\nesp_backend = openssl\n", &cfg, err, sizeof(err)),
		     -EINVAL);
	MXP_CHECK(t, strstr(err, "[mp] sa_file: missing"));
}

/* Each file is refused with a message holding want. */
MXP_TEST(errors)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{ "", "no [portN] section" },
		{ "[mixplane]\n", "no [portN] section" },
		{ "x = 1\n", "line 1: key outside of any [section]" },
		{ "[port0\n", "line 1: malformed section header" },
		{ "[]\n", "line 1: malformed section header" },
		{ "[port0]\n= 1\n", "line 2: empty key" },
		{ "[port0]\nnonsense\n", "line 2: expected 'key = value', got 'nonsense'" },
		{ PORT0 "[port0]\n", "line 4: section [port0] appears twice (first on line 1)" },
		{ PORT0 "ipv4 = 192.0.2.3/24\n",
		  "line 4: [port0] ipv4: key given twice (first on line 3)" },
		{ PORT0 "[port-1]\n", "line 4: [port-1]: unknown section" },
		{ PORT0 "[mixplane]\nmbufs =\n", "line 5: [mixplane] mbufs: empty value" },
		{ PORT0 "[mixplane]\nmbufs = 1e6\n",
		  "line 5: [mixplane] mbufs: '1e6' is not a number 1023..16777216" },
		{ "[port0]\nipv4 = 192.0.2.2/24\n", "line 1: [port0] device: missing" },
		{ "[port0]\ndevice = x\n", "line 1: [port0]: needs an address" },
		{ PORT0 "gateway6 = fe80::1\n", "line 4: [port0] gateway6: given without ipv6" },
		{ PORT0 "[port1]\ndevice = net_null0\nipv4 = 192.0.2.3/24\n",
		  "line 5: [port1] device: 'net_null0' is already used by [port0]" },
		{ PORT0 "[media]\nport_min = 30000\nport_max = 30000\n",
		  "line 6: [media] port_max: 30000 leaves no port pair above port_min 30000" },
		{ PORT0 "[media]\nport_min = 1024\n", NULL },
		{ PORT0 "[mp]\nallow_plaintext_mp = yes\nretx_initial_ms = 500\n"
			"retx_max_ms = 499\n",
		  "line 7: [mp] retx_max_ms: 499 is below retx_initial_ms 500" },
		{ PORT0 "[mp]\nallow_plaintext_mp = yes\nprofile_name = 3gpp/1\n",
		  "[mp] profile_name: '3gpp/1': expected NAME/VERSION" },
		{ PORT0 "[mp]\nallow_plaintext_mp = yes\nprofile_name = threegmrfp/0\n",
		  "[mp] profile_name: 'threegmrfp/0': expected NAME/VERSION" },
		{ PORT0 "[mp]\nallow_plaintext_mp = yes\nprofile_name = threegmrfp\n",
		  "[mp] profile_name: 'threegmrfp': expected NAME/VERSION" },
		{ PORT0 "[mp]\nallow_plaintext_mp = yes\nprofile = mxp\nprofile_name = a/1\n",
		  "[mp] profile_name: applies to profile = 3gpp" },
		{ PORT0 "[mp]\nallow_plaintext_mp = yes\nprofile_name = threeg_mrfp2/3\n", NULL },
		{ PORT0 "[esp]\nbackend = openssl\n", "line 4: [esp]: given without [mp]" },
		{ PORT0 "[mp]\nbackend = openssl\n",
		  "line 5: [mp] backend: unknown key (known keys: enabled, mrfc," },
	};
	char err[512];
	for (size_t i = 0; i < RTE_DIM(cases); i++) {
		err[0] = '\0';
		int r = load(cases[i].text, &cfg, err, sizeof(err));
		if (cases[i].want == NULL) {
			MXP_CHECK_EQ(t, r, 0);
			continue;
		}
		MXP_CHECK_EQ(t, r, -EINVAL);
		if (strstr(err, cases[i].want) == NULL || strncmp(err, "/tmp/mxp_cfg", 12) != 0)
			mxp_test_fail(t, __FILE__, __LINE__, "case %zu: '%s' lacks '%s'", i, err,
				      cases[i].want);
	}
	MXP_CHECK_EQ(t, mxp_cfg_load("/nonexistent.ini", &cfg, err, sizeof(err)), -ENOENT);
	MXP_CHECK(t, strstr(err, "/nonexistent.ini: cannot open: No such file"));
	/* A small error buffer is cut, never overrun. */
	char tiny[8];
	MXP_CHECK_EQ(t, load("[x]\n", &cfg, tiny, sizeof(tiny)), -EINVAL);
	MXP_CHECK_EQ(t, strlen(tiny), sizeof(tiny) - 1);
}

/*
 * Whole files of every size: the reader's buffer grows as it reads (4 KB, doubled), so a
 * file of many buffers' worth loads as a small one does; one byte over the 1 MiB limit is
 * refused, and so is a NUL byte in any buffer.
 */
MXP_TEST(file_sizes)
{
	static char big[MAX_FILE + 2];
	char err[512];
	const size_t sizes[] = { 4095, 4096, 4097, 10000, 65536 + 7, MAX_FILE };
	for (size_t k = 0; k < RTE_DIM(sizes); k++) {
		/* comment lines, then PORT0 at the end: what the last buffer holds counts */
		size_t n = 0, body = sizes[k] - strlen(PORT0);
		while (n < body) {
			size_t line = body - n < 60 ? body - n : 60;
			memset(big + n, '#', line);
			n += line;
			big[n - 1] = '\n';
		}
		memcpy(big + n, PORT0, strlen(PORT0) + 1);
		err[0] = '\0';
		int r = load(big, &cfg, err, sizeof(err));
		if (r != 0)
			printf("#   %zu bytes: %s\n", sizes[k], err);
		MXP_CHECK_EQ(t, r, 0);
		MXP_CHECK_EQ(t, cfg.nb_ports, 1u);
	}
	/* one byte over */
	memset(big, '#', MAX_FILE + 1);
	big[MAX_FILE + 1] = '\0';
	MXP_CHECK(t, load(big, &cfg, err, sizeof(err)) != 0);
	MXP_CHECK(t, strstr(err, "larger than 1048576 bytes") != NULL);
	/* a NUL byte in the third buffer */
	char path[] = "/tmp/mxp_cfgXXXXXX";
	int fd = mkstemp(path);
	MXP_CHECK(t, fd >= 0);
	memset(big, '#', 20000);
	big[19999] = '\n';
	big[15000] = '\0';
	MXP_CHECK_EQ(t, write(fd, big, 20000), 20000);
	close(fd);
	MXP_CHECK(t, mxp_cfg_load(path, &cfg, err, sizeof(err)) != 0);
	MXP_CHECK(t, strstr(err, "contains a NUL byte") != NULL);
	unlink(path);
}

MXP_TEST(reference)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	MXP_CHECK(t, f != NULL);
	if (f == NULL)
		return;
	mxp_cfg_reference(f);
	fclose(f);
	const char *prev = buf;
	char want[128];
	for (size_t i = 0; i < RTE_DIM(sections); i++) {
		const struct cfg_section *s = &sections[i];
		snprintf(want, sizeof(want), "## `[%s%s]`", s->name, s->repeat ? "0" : "");
		const char *h = strstr(prev, want);
		MXP_CHECK(t, h != NULL);
		if (h == NULL)
			continue;
		/* Each key in its section, in the table's order. */
		for (unsigned int n = 0; n < s->nkeys; n++) {
			snprintf(want, sizeof(want), "\n| `%s` | ", s->keys[n].name);
			const char *k = strstr(h, want);
			MXP_CHECK(t, k != NULL);
			if (k)
				h = k;
		}
		prev = h;
	}
	MXP_CHECK(t, strstr(buf, "`esp_backend` (now `backend`)") != NULL);
	free(buf);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(every_key), MXP_CASE(defaults), MXP_CASE(values),
	MXP_CASE(moved_keys), MXP_CASE(errors), MXP_CASE(file_sizes), MXP_CASE(reference),
};

int
main(int argc, char **argv)
{
	int r = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	if (keyfile[0]) {
		unlink(keyfile);
		unlink(loosefile);
	}
	return r;
}
