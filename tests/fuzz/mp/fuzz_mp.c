/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer: the H.248 text parser, then the encoder and the mxp package on what parsed;
 * a message that parses must re-encode and parse again. */
#include <stdlib.h>
#include <string.h>

#include "mxp_mp.h"

static struct mxp_mp_msg m, m2;
static char out[MXP_MP_MSG_MAX * 4];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digit map that compiles writes back to text that compiles to the same map; the
 * matcher runs over the input's bytes as events and clock steps. */
static void
digitmap(struct mxp_mp_str v, const uint8_t *data, size_t size)
{
	static struct mxp_mp_digitmap dm, dm2;
	static char txt[8192];
	struct mxp_mp_error e;
	if (mxp_mp_digitmap_compile(v, NULL, &dm, &e) != 0) {
		if (e.code != 400 && e.code != 449 && e.code != 501 && e.code != 519)
			abort();
		return;
	}
	if (mxp_mp_digitmap_format(&dm, txt, sizeof(txt)) < 0 ||
	    mxp_mp_digitmap_compile(mxp_mp_str_c(txt), NULL, &dm2, &e) != 0 ||
	    memcmp(&dm, &dm2, sizeof(dm)) != 0)
		abort();
	struct mxp_mp_dm_state st;
	uint64_t now = 1;
	mxp_mp_dm_start(&dm, &st, now);
	for (size_t i = 0; i < size && i < 256; i++) {
		now += data[i];
		mxp_mp_dm_event(&dm, &st, (char)data[i], data[i] & 1, now);
		mxp_mp_dm_timer(&dm, &st, now * 8);
		if (st.ndigits > MXP_MP_DM_DIGITS_MAX)
			abort();
	}
}

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
		const struct mxp_mp_props *dms = &m.cmds[i].digitmaps;
		for (uint16_t k = 0; k < dms->n; k++)
			if (m.props[dms->first + k].op == '=')
				digitmap(m.props[dms->first + k].value, data, size);
	}
	for (uint16_t i = 0; i < m.nprops; i++) {
		struct mxp_mp_str n, v; /* dd/ce { DigitMap = ... } */
		if (mxp_mp_event_digitmap(m.props[i].value, &n, &v, &e) == 0 && v.p != NULL)
			digitmap(v, data, size);
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
