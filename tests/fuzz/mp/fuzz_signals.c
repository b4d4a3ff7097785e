/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: a Signals descriptor body (mxp_mp_signals_parse), a ServiceChangeProfile value
 * (mxp_mp_profile_split), and the same bytes as the body of a whole request so that the
 * message parser's Signals and Packages descriptors see them too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxp_mp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mxp_mp_signals sg;
	struct mxp_mp_error e;
	struct mxp_mp_str body = { (const char *)data, (uint32_t)size };
	if (size > MXP_MP_MSG_MAX)
		return 0;
	if (mxp_mp_signals_parse(body, NULL, &sg, &e) == 0) {
		if (sg.n > MXP_MP_SIGS_MAX)
			abort();
		for (uint8_t i = 0; i < sg.n; i++) {
			const struct mxp_mp_signal *s = &sg.sig[i];
			if (s->nparams > MXP_MP_SIG_PARAMS_MAX || s->name.len == 0 ||
			    s->name.p < body.p || s->name.p + s->name.len > body.p + size)
				abort();
			(void)mxp_mp_signal_param(s, "an");
		}
	} else if (e.pos > size || e.code == 0) {
		abort();
	}
	struct mxp_mp_str n;
	uint32_t v;
	if (mxp_mp_profile_split(body, &n, &v) == 0 && (v == 0 || v > 99 || n.len == 0))
		abort();
	static char msgbuf[MXP_MP_MSG_MAX + 256];
	static struct mxp_mp_msg msg;
	int k = snprintf(msgbuf, sizeof(msgbuf),
			 "!/3 [192.0.2.1]:2944\nT=1{C=1{MF=leg/1{SG{%.*s}}}}", (int)size,
			 (const char *)data);
	if (k > 0 && (size_t)k < sizeof(msgbuf) &&
	    mxp_mp_parse(msgbuf, (size_t)k, &msg, &e) == 0 && msg.ncmds > 0 &&
	    msg.cmds[0].has_signals)
		(void)mxp_mp_signals_parse(msg.cmds[0].signals, msgbuf, &sg, &e);
	return 0;
}
