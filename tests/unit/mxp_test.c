/* SPDX-License-Identifier: BSD-3-Clause */
#include "mxp_test.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>

void
mxp_test_fail(struct mxp_test_ctx *t, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	t->failures++;
	printf("#   FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int
mxp_test_check(struct mxp_test_ctx *t, int ok, const char *file, int line, const char *expr)
{
	t->checks++;
	if (!ok)
		mxp_test_fail(t, file, line, "%s", expr);
	return ok;
}

static void
hexdump(const char *name, const uint8_t *p, size_t n)
{
	printf("#   %s:", name);
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", (i % 32) == 0 ? "\n#     " : "", p[i]);
	printf("\n");
}

int
mxp_test_check_mem(struct mxp_test_ctx *t, const char *file, int line, const char *an,
		   const void *a, const char *bn, const void *b, size_t n)
{
	t->checks++;
	if (memcmp(a, b, n) == 0)
		return 1;
	size_t at = 0;
	while (((const uint8_t *)a)[at] == ((const uint8_t *)b)[at])
		at++;
	mxp_test_fail(t, file, line, "%s == %s (%zu bytes, first difference at byte %zu)", an, bn,
		      n, at);
	hexdump(an, a, n);
	hexdump(bn, b, n);
	return 0;
}

int
mxp_test_hex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = hex; *p != '\0'; p++) {
		int v;
		if (isspace((unsigned char)*p))
			continue;
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= cap)
			return -1;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	return hi < 0 ? (int)n : -1;
}

static char eal_dir[128];

/* Leave no /var/run/dpdk/<prefix> behind (--no-shconf still creates the directory). */
static void
eal_cleanup(void)
{
	rte_eal_cleanup();
	if (eal_dir[0])
		rmdir(eal_dir);
}

int
mxp_test_eal_init(const char *prog)
{
	static int done;
	char prefix[64];

	if (done)
		return 0;
	snprintf(prefix, sizeof(prefix), "--file-prefix=mxput%d", (int)getpid());
	char *argv[] = {
		(char *)prog, "--no-huge", "-m", "512", "--no-pci", "--no-shconf", prefix,
		"--log-level=lib.*:error", "--no-telemetry", "-l", "0", NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	if (rte_eal_init(argc, argv) < 0)
		return -rte_errno;
	snprintf(eal_dir, sizeof(eal_dir), "/var/run/dpdk/mxput%d", (int)getpid());
	atexit(eal_cleanup);
	done = 1;
	return 0;
}

int
mxp_test_main(const struct mxp_test_case *cases, size_t n, int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned int failed = 0, run = 0;

	printf("TAP version 13\n");
	size_t selected = 0;
	for (size_t i = 0; i < n; i++)
		if (filter == NULL || strstr(cases[i].name, filter) != NULL)
			selected++;
	printf("1..%zu\n", selected);
	for (size_t i = 0; i < n; i++) {
		if (filter != NULL && strstr(cases[i].name, filter) == NULL)
			continue;
		struct mxp_test_ctx t = { .name = cases[i].name };
		cases[i].fn(&t);
		run++;
		if (t.skip != NULL && t.failures == 0) {
			printf("ok %u - %s # SKIP %s\n", run, t.name, t.skip);
		} else if (t.failures != 0) {
			failed++;
			printf("not ok %u - %s (%u of %u checks failed)\n", run, t.name, t.failures,
			       t.checks);
		} else if (t.checks == 0) {
			/* A case that checks nothing proves nothing: count it as a failure. */
			failed++;
			printf("not ok %u - %s (made no checks)\n", run, t.name);
		} else {
			printf("ok %u - %s (%u checks)\n", run, t.name, t.checks);
		}
		fflush(stdout);
	}
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
