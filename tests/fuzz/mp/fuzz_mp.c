/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the H.248 text parser, then the encoder and the mxp package on what parsed;
 * a message that parses must re-encode and parse again. */
#include <stdlib.h>
#include <string.h>

#include "mxp_mp.h"

static struct mxp_mp_msg m, m2;
static char out[MXP_MP_MSG_MAX * 4];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxp_mp_error e;
	if (mxp_mp_parse((const char *)data, size, &m, &e) != 0) {
		if (e.code < 400 || e.code > 599 || e.pos > size)
			abort();
		return 0;
	}
	for (uint16_t i = 0; i < m.ncmds; i++) {
		struct mxp_mp_pkg pkg;
		mxp_mp_pkg_get(&m, &m.cmds[i], (const char *)data, &pkg, &e);
	}
	for (int st = 0; st < 2; st++) {
		int n = mxp_mp_encode(&m, st, out, sizeof(out));
		if (n < 0)
			continue;
		if ((size_t)n <= MXP_MP_MSG_MAX && mxp_mp_parse(out, (size_t)n, &m2, &e) != 0 &&
		    e.code != 400)
			abort(); /* our own encoding must parse (or hit a size/nesting limit) */
	}
	return 0;
}
