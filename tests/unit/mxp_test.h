/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxp_test: a minimal unit-test harness printing TAP (meson's 'tap' protocol).
 *
 *   MXP_TEST(name) { MXP_CHECK(t, x == 1); }
 *   static const struct mxp_test_case cases[] = { MXP_CASE(name), ... };
 *   int main(int argc, char **argv) { return mxp_test_main(cases, MXP_NCASES(cases), argc, argv); }
 *
 * A failed check records file:line and the expression and lets the case go on,
 * so one run shows every failing check. Optional argv[1] runs only cases whose
 * name contains it.
 */
#ifndef MXP_TEST_H
#define MXP_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct mxp_test_ctx {
	const char *name;
	unsigned int checks;
	unsigned int failures;
	const char *skip;    /**< set by MXP_SKIP: the case reports "ok # SKIP" with this reason */
};

typedef void (*mxp_test_fn)(struct mxp_test_ctx *t);

struct mxp_test_case {
	const char *name;
	mxp_test_fn fn;
};

#define MXP_TEST(fn) static void fn(struct mxp_test_ctx *t)
#define MXP_CASE(fn) { #fn, fn }
#define MXP_NCASES(a) (sizeof(a) / sizeof((a)[0]))

void mxp_test_fail(struct mxp_test_ctx *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int mxp_test_check(struct mxp_test_ctx *t, int ok, const char *file, int line, const char *expr);

/** Check a condition; on failure report it and continue. Evaluates to the condition. */
#define MXP_CHECK(t, cond) mxp_test_check((t), !!(cond), __FILE__, __LINE__, #cond)

/** Skip the rest of the case (call it, then return): TAP "ok N - name # SKIP why". */
#define MXP_SKIP(t, why) ((t)->skip = (why))

/** Check two integers are equal, printing both values on failure. */
#define MXP_CHECK_EQ(t, a, b) do { \
	long long va_ = (long long)(a), vb_ = (long long)(b); \
	(t)->checks++; \
	if (va_ != vb_) \
		mxp_test_fail((t), __FILE__, __LINE__, "%s == %s (%lld != %lld)", #a, #b, va_, vb_); \
} while (0)

/** Check two byte ranges are equal, printing a hex dump of both on failure. */
#define MXP_CHECK_MEM(t, a, b, n) \
	mxp_test_check_mem((t), __FILE__, __LINE__, #a, (const void *)(a), #b, (const void *)(b), (n))

/** Check a NUL-terminated string equals an expected one. */
#define MXP_CHECK_STR(t, a, b) do { \
	const char *sa_ = (a), *sb_ = (b); \
	(t)->checks++; \
	if (sa_ == NULL || sb_ == NULL || strcmp(sa_, sb_) != 0) \
		mxp_test_fail((t), __FILE__, __LINE__, "%s == %s (\"%s\" != \"%s\")", #a, #b, \
			sa_ ? sa_ : "(null)", sb_ ? sb_ : "(null)"); \
} while (0)

int mxp_test_check_mem(struct mxp_test_ctx *t, const char *file, int line, const char *an,
		       const void *a, const char *bn, const void *b, size_t n);

/** Run the cases, print TAP, return the process exit status (0 when all passed). */
int mxp_test_main(const struct mxp_test_case *cases, size_t n, int argc, char **argv);

/**
 * Decode a hex string (whitespace ignored) into out. Returns the byte count, or -1 if
 * the string is not hex or does not fit. Test vectors in tests/vectors/ are hex strings.
 */
int mxp_test_hex(const char *hex, uint8_t *out, size_t cap);

/**
 * Initialise DPDK's EAL for a unit test that needs mbufs or rings: no hugepages,
 * no PCI, no shared config files (--no-shconf), quiet logs. Safe to call twice.
 * Returns 0 or a negative errno.
 */
int mxp_test_eal_init(const char *prog);

#endif
