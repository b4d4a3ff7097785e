/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MXP_MP_PRIV_H
#define MXP_MP_PRIV_H

#include <stdarg.h>

#include "mxp_mp.h"

/** A token's long and compact spellings (H.248.1 B.2). */
struct mp_tok {
	const char *lng, *cmp;
};

enum mp_tok_id {
	TK_ADD, TK_AUDIT, TK_AUDITCAP, TK_AUDITVALUE, TK_CONTEXT, TK_DIGITMAP, TK_ERROR,
	TK_EVENTBUFFER, TK_EVENTS, TK_IMMACK, TK_INACTIVE, TK_LOCAL, TK_LOCALCONTROL,
	TK_LOOPBACK, TK_MEDIA, TK_MEGACO, TK_METHOD, TK_MGCID, TK_MODE, TK_MODEM, TK_MODIFY,
	TK_MOVE, TK_MUX, TK_NOTIFY, TK_OBSEVENTS, TK_PACKAGES, TK_PENDING, TK_PROFILE,
	TK_REASON, TK_RECVONLY, TK_REMOTE, TK_REPLY, TK_RESERVEDGROUP, TK_RESERVEDVALUE,
	TK_RESPONSEACK, TK_SENDONLY, TK_SENDRECV, TK_SERVICECHANGE, TK_SCADDRESS, TK_SERVICES,
	TK_SERVICESTATES, TK_SIGNALS, TK_STATS, TK_STREAM, TK_SUBTRACT, TK_TERMSTATE,
	TK_TRANSACTION, TK_VERSION, TK_DELAY, TK_BUFFER, TK_TOPOLOGY, TK_PRIORITY,
	TK_EMERGENCY, TK_EMERGENCYOFF, TK_IEPS, TK_CONTEXTATTR, TK_CONTEXTAUDIT, TK_RESTART,
	TK_ON, TK_OFF, TK_MAX
};

extern const struct mp_tok mp_toks[TK_MAX];

/** Index of the first byte at or after i in b[0..n) that is not LWSP: whitespace, line ends
 *  or a comment (';' to the end of the line). */
size_t mp_lwsp_skip(const char *b, size_t i, size_t n);

/** err->text = prefix then the formatted message, cut to fit (mxp_mp_error_set, SDP). */
void mp_error_text(struct mxp_mp_error *err, const char *prefix, const char *fmt, va_list ap);

#endif
