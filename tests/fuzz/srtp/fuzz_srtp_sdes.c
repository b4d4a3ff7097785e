/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the RFC 4568 a=crypto parser. Properties: no crash; a line that
 * parses encodes, and the encoding parses back to the same structure; a failed parse
 * leaves the output zeroed and writes a NUL-terminated message.
 */
#include <string.h>

#include "mxp_srtp_sdes.h"

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct mxp_sdes_crypto zero;
	struct mxp_sdes_crypto a, b;
	char err[128], line[MXP_SDES_MAX_LINE];

	memset(err, 'x', sizeof(err));
	if (mxp_sdes_parse((const char *)data, size, &a, err, sizeof(err)) != 0) {
		CHECK(memcmp(&a, &zero, sizeof(a)) == 0);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		return 0;
	}
	int n = mxp_sdes_encode(&a, line, sizeof(line));
	if (n < 0) /* MKI values above 2^64 cannot be encoded: the only refusal */
		return 0;
	CHECK(mxp_sdes_parse(line, (size_t)n, &b, err, sizeof(err)) == 0);
	CHECK(memcmp(&a, &b, sizeof(a)) == 0);
	struct mxp_srtp_params p = { 0 };
	mxp_sdes_to_params(&a, &p);
	CHECK(p.suite == a.suite);
	mxp_sdes_wipe(&a);
	mxp_sdes_wipe(&b);
	return 0;
}
