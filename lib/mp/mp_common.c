/* SPDX-License-Identifier: BSD-3-Clause */
/* Token table, error codes and texts, message builders. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mp_priv.h"

const struct mp_tok mp_toks[TK_MAX] = {
	[TK_ADD] = { "Add", "A" },
	[TK_AUDIT] = { "Audit", "AT" },
	[TK_AUDITCAP] = { "AuditCapability", "AC" },
	[TK_AUDITVALUE] = { "AuditValue", "AV" },
	[TK_CONTEXT] = { "Context", "C" },
	[TK_DIGITMAP] = { "DigitMap", "DM" },
	[TK_ERROR] = { "Error", "ER" },
	[TK_EVENTBUFFER] = { "EventBuffer", "EB" },
	[TK_EVENTS] = { "Events", "E" },
	[TK_IMMACK] = { "ImmAckRequired", "IA" },
	[TK_INACTIVE] = { "Inactive", "IN" },
	[TK_LOCAL] = { "Local", "L" },
	[TK_LOCALCONTROL] = { "LocalControl", "O" },
	[TK_LOOPBACK] = { "Loopback", "LB" },
	[TK_MEDIA] = { "Media", "M" },
	[TK_MEGACO] = { "MEGACO", "!" },
	[TK_METHOD] = { "Method", "MT" },
	[TK_MGCID] = { "MgcIdToTry", "MG" },
	[TK_MODE] = { "Mode", "MO" },
	[TK_MODEM] = { "Modem", "MD" },
	[TK_MODIFY] = { "Modify", "MF" },
	[TK_MOVE] = { "Move", "MV" },
	[TK_MUX] = { "Mux", "MX" },
	[TK_NOTIFY] = { "Notify", "N" },
	[TK_OBSEVENTS] = { "ObservedEvents", "OE" },
	[TK_PACKAGES] = { "Packages", "PG" },
	[TK_PENDING] = { "Pending", "PN" },
	[TK_PROFILE] = { "Profile", "PF" },
	[TK_REASON] = { "Reason", "RE" },
	[TK_RECVONLY] = { "ReceiveOnly", "RC" },
	[TK_REMOTE] = { "Remote", "R" },
	[TK_REPLY] = { "Reply", "P" },
	[TK_RESERVEDGROUP] = { "ReservedGroup", "RG" },
	[TK_RESERVEDVALUE] = { "ReservedValue", "RV" },
	[TK_RESPONSEACK] = { "TransactionResponseAck", "K" },
	[TK_SENDONLY] = { "SendOnly", "SO" },
	[TK_SENDRECV] = { "SendReceive", "SR" },
	[TK_SERVICECHANGE] = { "ServiceChange", "SC" },
	[TK_SCADDRESS] = { "ServiceChangeAddress", "AD" },
	[TK_SERVICES] = { "Services", "SV" },
	[TK_SERVICESTATES] = { "ServiceStates", "SI" },
	[TK_SIGNALS] = { "Signals", "SG" },
	[TK_STATS] = { "Statistics", "SA" },
	[TK_STREAM] = { "Stream", "ST" },
	[TK_SUBTRACT] = { "Subtract", "S" },
	[TK_TERMSTATE] = { "TerminationState", "TS" },
	[TK_TRANSACTION] = { "Transaction", "T" },
	[TK_VERSION] = { "Version", "V" },
	[TK_DELAY] = { "Delay", "DL" },
	[TK_BUFFER] = { "Buffer", "BF" },
	[TK_TOPOLOGY] = { "Topology", "TP" },
	[TK_PRIORITY] = { "Priority", "PR" },
	[TK_EMERGENCY] = { "Emergency", "EG" },
	[TK_EMERGENCYOFF] = { "EmergencyOff", "EGO" },
	[TK_IEPS] = { "IEPSCall", "IEPS" },
	[TK_CONTEXTATTR] = { "ContextAttr", "CT" },
	[TK_CONTEXTAUDIT] = { "ContextAudit", "CA" },
	[TK_RESTART] = { "Restart", "RS" },
	[TK_ON] = { "ON", "ON" },
	[TK_OFF] = { "OFF", "OFF" },
};

static const struct {
	uint16_t code;
	const char *name;
} errnames[] = {
	{ 400, "Syntax error in message" },
	{ 401, "Protocol Error" },
	{ 402, "Unauthorized" },
	{ 403, "Syntax error in transaction request" },
	{ 406, "Version not supported" },
	{ 410, "Incorrect identifier" },
	{ 411, "The transaction refers to an unknown ContextID" },
	{ 412, "No ContextIDs available" },
	{ 413, "Number of transactions in message exceeds maximum" },
	{ 421, "Unknown action or illegal combination of actions" },
	{ 422, "Syntax error in action" },
	{ 430, "Unknown TerminationID" },
	{ 431, "No TerminationID matched a wildcard" },
	{ 432, "Out of TerminationIDs or no TerminationID available" },
	{ 433, "TerminationID is already in a context" },
	{ 434, "Max number of terminations in a context exceeded" },
	{ 435, "Termination ID is not in specified context" },
	{ 440, "Unsupported or unknown package" },
	{ 441, "Missing remote or local descriptor" },
	{ 442, "Syntax error in command" },
	{ 443, "Unsupported or unknown command" },
	{ 444, "Unsupported or unknown descriptor" },
	{ 445, "Unsupported or unknown property" },
	{ 446, "Unsupported or unknown parameter" },
	{ 447, "Descriptor not legal in this command" },
	{ 448, "Descriptor appears twice in a command" },
	{ 449, "Unsupported or unknown parameter or property value" },
	{ 450, "No such property in this package" },
	{ 456, "Property appears twice in this descriptor" },
	{ 457, "Missing parameter in signal or event" },
	{ 500, "Internal software failure in the MG" },
	{ 501, "Not implemented" },
	{ 502, "Not ready" },
	{ 503, "Service unavailable" },
	{ 504, "Command received from unauthorized entity" },
	{ 510, "Insufficient resources" },
	{ 512, "Media Gateway unequipped to detect requested Event" },
	{ 515, "Unsupported media type" },
	{ 517, "Unsupported or invalid mode" },
	{ 519, "Out of space to store digit map" },
	{ 520, "Digit Map undefined in the MG" },
	{ 533, "Response exceeds maximum transport PDU size" },
};

const char *
mxp_mp_errcode_name(unsigned int code)
{
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].code == code)
			return errnames[i].name;
	return "Unknown error";
}

static const char *const cmd_names[MXP_MP_CMD_MAX] = {
	"Add", "Modify", "Move", "Subtract", "AuditValue", "AuditCapability", "Notify",
	"ServiceChange",
};

const char *
mxp_mp_cmd_name(enum mxp_mp_cmd_type t)
{
	return (unsigned int)t < MXP_MP_CMD_MAX ? cmd_names[t] : "?";
}

size_t
mp_lwsp_skip(const char *b, size_t i, size_t n)
{
	while (i < n) {
		char c = b[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			i++;
		} else if (c == ';') {
			while (i < n && b[i] != '\n' && b[i] != '\r')
				i++;
		} else {
			break;
		}
	}
	return i;
}

void
mp_error_text(struct mxp_mp_error *err, const char *prefix, const char *fmt, va_list ap)
{
	char msg[MXP_MP_TEXT_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	int k = snprintf(err->text, sizeof(err->text), "%s", prefix);
	size_t off = k > 0 && (size_t)k < sizeof(err->text) ? (size_t)k : 0;
	size_t m = strnlen(msg, sizeof(err->text) - off - 1);
	memcpy(err->text + off, msg, m);
	err->text[off + m] = '\0';
}

int
mxp_mp_error_set(struct mxp_mp_error *err, unsigned int code, const char *base, size_t pos,
		 const char *fmt, ...)
{
	char where[64] = "";
	va_list ap;

	err->code = (uint16_t)code;
	err->pos = (uint32_t)pos;
	if (base != NULL) {
		unsigned int line = 1, col = 1;
		for (size_t i = 0; i < pos; i++) {
			if (base[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		snprintf(where, sizeof(where), "line %u col %u (byte %zu): ", line, col, pos);
	}
	va_start(ap, fmt);
	mp_error_text(err, where, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

struct mxp_mp_str
mxp_mp_str_c(const char *s)
{
	struct mxp_mp_str r = { s, s != NULL ? (uint32_t)strlen(s) : 0 };
	return r;
}

bool
mxp_mp_str_eq(struct mxp_mp_str s, const char *c)
{
	size_t n = strlen(c);
	return s.len == n && strncasecmp(s.p, c, n) == 0;
}

void
mxp_mp_msg_init(struct mxp_mp_msg *msg, const char *mid)
{
	memset(msg, 0, sizeof(*msg));
	msg->version = 3;
	msg->mid = mxp_mp_str_c(mid);
}

struct mxp_mp_trans *
mxp_mp_msg_add_trans(struct mxp_mp_msg *msg, enum mxp_mp_trans_kind kind, uint32_t id)
{
	if (msg->ntrans >= MXP_MP_TRANS_MAX)
		return NULL;
	struct mxp_mp_trans *t = &msg->trans[msg->ntrans++];
	memset(t, 0, sizeof(*t));
	t->kind = kind;
	t->id = id;
	t->id_last = id;
	t->first_action = msg->nactions;
	return t;
}

struct mxp_mp_action *
mxp_mp_msg_add_action(struct mxp_mp_msg *msg, uint32_t ctx)
{
	if (msg->ntrans == 0 || msg->nactions >= MXP_MP_ACTIONS_MAX)
		return NULL;
	struct mxp_mp_trans *t = &msg->trans[msg->ntrans - 1];
	struct mxp_mp_action *a = &msg->actions[msg->nactions++];
	memset(a, 0, sizeof(*a));
	a->ctx = ctx;
	a->first_cmd = msg->ncmds;
	t->nactions++;
	return a;
}

struct mxp_mp_cmd *
mxp_mp_msg_add_cmd(struct mxp_mp_msg *msg, enum mxp_mp_cmd_type type, const char *term)
{
	if (msg->nactions == 0 || msg->ncmds >= MXP_MP_CMDS_MAX)
		return NULL;
	struct mxp_mp_action *a = &msg->actions[msg->nactions - 1];
	struct mxp_mp_cmd *c = &msg->cmds[msg->ncmds++];
	memset(c, 0, sizeof(*c));
	c->type = type;
	if (term == NULL || strcmp(term, "$") == 0) {
		c->term_kind = MXP_MP_TERM_CHOOSE;
		c->term = mxp_mp_str_c("$");
	} else if (strcmp(term, "*") == 0) {
		c->term_kind = MXP_MP_TERM_ALL;
		c->term = mxp_mp_str_c("*");
	} else if (strcasecmp(term, "ROOT") == 0) {
		c->term_kind = MXP_MP_TERM_ROOT;
		c->term = mxp_mp_str_c("ROOT");
	} else {
		c->term_kind = MXP_MP_TERM_NAME;
		c->term = mxp_mp_str_c(term);
	}
	a->ncmds++;
	return c;
}

struct mxp_mp_prop *
mxp_mp_msg_add_prop(struct mxp_mp_msg *msg, struct mxp_mp_props *run, const char *name, char op,
		    const char *value)
{
	if (msg->nprops >= MXP_MP_PROPS_MAX)
		return NULL;
	if (run->n == 0)
		run->first = msg->nprops;
	else if (run->first + run->n != msg->nprops)
		return NULL; /* runs are contiguous: only the last run can grow */
	struct mxp_mp_prop *p = &msg->props[msg->nprops++];
	p->name = mxp_mp_str_c(name);
	p->op = op;
	p->value = mxp_mp_str_c(value);
	run->n++;
	return p;
}

bool
mxp_mp_str_uint(struct mxp_mp_str s, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;
	if (s.len == 0 || s.len > 10)
		return false;
	for (uint32_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
	}
	if (x > max)
		return false;
	*v = (uint32_t)x;
	return true;
}
