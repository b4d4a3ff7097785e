/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the SDP subset parser, then encode and parse again. */
#include <stdlib.h>

#include "mxp_mp_sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxp_sdp s, s2;
	struct mxp_mp_error e;
	static char out[16384];
	if (mxp_sdp_parse((const char *)data, size, &s, &e) != 0) {
		if (e.pos > size)
			abort();
		return 0;
	}
	int n = mxp_sdp_encode(&s, out, sizeof(out));
	if (n > 0 && mxp_sdp_parse(out, (size_t)n, &s2, &e) != 0)
		abort();
	return 0;
}
