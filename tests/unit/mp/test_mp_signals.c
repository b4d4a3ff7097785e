/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mp: Signals descriptors (H.248.1 7.1.11, B.2), Packages descriptors and profile
 * values, written from the grammar: every generic parameter, lists, package parameters,
 * each error with its code.
 */
#include <string.h>

#include "mxp_mp.h"
#include "test_mp.h"

static struct mxp_mp_msg msg;
static char out[MXP_MP_MSG_MAX];

static bool
eq(struct mxp_mp_str s, const char *c)
{
	return s.len == strlen(c) && memcmp(s.p, c, s.len) == 0;
}

/* Parse a whole request and the Signals body of its first command. */
static int
sigs_of(const char *text, struct mxp_mp_signals *sg, struct mxp_mp_error *e)
{
	int r = mxp_mp_parse(text, strlen(text), &msg, e);
	if (r != 0)
		return r;
	if (!msg.cmds[0].has_signals)
		return -ENOENT;
	return mxp_mp_signals_parse(msg.cmds[0].signals, text, sg, e);
}

void
test_signals_parse(struct mxp_test_ctx *t)
{
	static const char *const req =
		"MEGACO/3 [192.0.2.1]:2944\nTransaction = 1 { Context = 1 { Modify = leg/1 {"
		" Signals { an/apf { an = 17, noc = 3, NotifyCompletion = { TimeOut, "
		"InterruptByNewSignalsDescr }, RequestID = 42 },\n"
		"  SignalList = 7 { cg/rt { Duration = 2500, SY = TO }, srvtn/conf { KA, ST = 1 } },\n"
		"  tonegen/pt { tl = [cg/bt], SPADirection = External } }, Events = 42 { g/sc } } } }";
	struct mxp_mp_signals sg;
	struct mxp_mp_error e;
	int r = sigs_of(req, &sg, &e);
	if (r)
		printf("#   %s\n", e.text);
	MXP_CHECK_EQ(t, r, 0);
	MXP_CHECK_EQ(t, sg.n, 4);
	MXP_CHECK(t, eq(sg.sig[0].name, "an/apf"));
	MXP_CHECK(t, eq(mxp_mp_signal_param(&sg.sig[0], "an"), "17"));
	MXP_CHECK(t, eq(mxp_mp_signal_param(&sg.sig[0], "NOC"), "3")); /* names: any case */
	MXP_CHECK_EQ(t, mxp_mp_signal_param(&sg.sig[0], "av").len, 0);
	MXP_CHECK_EQ(t, sg.sig[0].notify, MXP_MP_NC_TIMEOUT | MXP_MP_NC_INTBYSIGS);
	MXP_CHECK(t, sg.sig[0].has_rid && sg.sig[0].rid == 42);
	MXP_CHECK(t, !sg.sig[0].in_list);
	MXP_CHECK(t, eq(sg.sig[1].name, "cg/rt"));
	MXP_CHECK(t, sg.sig[1].in_list && sg.sig[1].list_id == 7);
	MXP_CHECK(t, sg.sig[1].has_duration && sg.sig[1].duration_ms == 2500);
	MXP_CHECK_EQ(t, sg.sig[1].type, MXP_MP_SIG_TIMEOUT);
	MXP_CHECK(t, eq(sg.sig[2].name, "srvtn/conf"));
	MXP_CHECK(t, sg.sig[2].in_list && sg.sig[2].keep_active && sg.sig[2].stream == 1);
	MXP_CHECK(t, eq(sg.sig[3].name, "tonegen/pt"));
	MXP_CHECK(t, eq(mxp_mp_signal_param(&sg.sig[3], "tl"), "[cg/bt]"));
	MXP_CHECK_EQ(t, sg.sig[3].direction, 1);
	MXP_CHECK(t, !sg.sig[3].in_list);

	/* compact tokens, and the empty descriptor (stop every signal) */
	r = sigs_of("!/3 [192.0.2.1]:2944\nT=2{C=1{MF=leg/1{SG{cg/bt{NC={TO,IBE,OR,IT},DR=300,SY=BR}}}}}",
		    &sg, &e);
	MXP_CHECK_EQ(t, r, 0);
	MXP_CHECK_EQ(t, sg.n, 1);
	MXP_CHECK_EQ(t, sg.sig[0].notify, MXP_MP_NC_TIMEOUT | MXP_MP_NC_INTBYEVENT |
				 MXP_MP_NC_OTHER | MXP_MP_NC_ITERATION);
	MXP_CHECK_EQ(t, sg.sig[0].type, MXP_MP_SIG_BRIEF);
	MXP_CHECK_EQ(t, sg.sig[0].duration_ms, 300);
	r = sigs_of("!/3 [192.0.2.1]:2944\nT=3{C=1{MF=leg/1{SG{}}}}", &sg, &e);
	MXP_CHECK_EQ(t, r, 0);
	MXP_CHECK_EQ(t, sg.n, 0);
	/* the descriptor survives a round trip through the encoder as it was */
	MXP_CHECK_EQ(t, mxp_mp_parse(req, strlen(req), &msg, &e), 0);
	int n = mxp_mp_encode(&msg, MXP_MP_STYLE_COMPACT, out, sizeof(out));
	MXP_CHECK(t, n > 0);
	MXP_CHECK(t, strstr(out, "SG{ an/apf { an = 17") != NULL);
}

void
test_signals_errors(struct mxp_test_ctx *t)
{
	static const struct { const char *body; uint16_t code; } rows[] = {
		{ "an", MXP_MP_E_SYNTAX },                       /* no package */
		{ "an/apf {", MXP_MP_E_SYNTAX },
		{ "an/apf { Duration = -1 }", MXP_MP_E_BAD_VALUE },
		{ "an/apf { Duration = 1, DR = 2 }", MXP_MP_E_DESC_TWICE },
		{ "an/apf { an = 1, an = 2 }", MXP_MP_E_DESC_TWICE },
		{ "an/apf { SignalType = Long }", MXP_MP_E_BAD_VALUE },
		{ "an/apf { NC = { Never } }", MXP_MP_E_BAD_VALUE },
		{ "an/apf { NC = TO }", MXP_MP_E_SYNTAX },
		{ "an/apf { Stream = 0 }", MXP_MP_E_BAD_VALUE },
		{ "an/apf { SPADirection = Up }", MXP_MP_E_BAD_VALUE },
		{ "SignalList = x { cg/rt }", MXP_MP_E_BAD_VALUE },
		{ "SignalList = 1 cg/rt", MXP_MP_E_SYNTAX },
		{ "cg/rt cg/bt", MXP_MP_E_SYNTAX },
		{ "an/apf { a=1, b=2, c=3, d=4, e=5, f=6, g=7, h=8, i=9 }", MXP_MP_E_RESOURCES },
		{ "cg/rt, cg/rt, cg/rt, cg/rt, cg/rt, cg/rt, cg/rt, cg/rt, cg/rt", MXP_MP_E_RESOURCES },
		{ "an/apf { an = \"unterminated }", MXP_MP_E_SYNTAX },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct mxp_mp_signals sg;
		struct mxp_mp_error e;
		int r = mxp_mp_signals_parse(mxp_mp_str_c(rows[i].body), NULL, &sg, &e);
		MXP_CHECK(t, r != 0);
		if (e.code != rows[i].code)
			printf("#   row %zu '%s': code %u (%s)\n", i, rows[i].body, e.code, e.text);
		MXP_CHECK_EQ(t, e.code, rows[i].code);
		MXP_CHECK(t, e.text[0] != '\0');
	}
}

void
test_packages_descriptor(struct mxp_test_ctx *t)
{
	/* an audit reply listing packages: parsed into name and version, encoded back */
	static const char *const rep =
		"MEGACO/3 [192.0.2.2]:2944\nReply = 5 { Context = - { AuditValue = ROOT {"
		" Packages { g-2, root-2, nt-1, rtp-1, dd-1, an-1, mxp-1 } } } }";
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_mp_parse(rep, strlen(rep), &msg, &e), 0);
	const struct mxp_mp_cmd *c = &msg.cmds[0];
	MXP_CHECK(t, c->has_packages);
	MXP_CHECK_EQ(t, c->packages.n, 7);
	MXP_CHECK(t, eq(msg.props[c->packages.first].name, "g"));
	MXP_CHECK(t, eq(msg.props[c->packages.first].value, "2"));
	MXP_CHECK(t, eq(msg.props[c->packages.first + 6].name, "mxp"));
	int n = mxp_mp_encode(&msg, MXP_MP_STYLE_LONG, out, sizeof(out));
	MXP_CHECK(t, n > 0);
	MXP_CHECK(t, strstr(out, "Packages { g-2, root-2, nt-1, rtp-1, dd-1, an-1, mxp-1 }") != NULL);
	n = mxp_mp_encode(&msg, MXP_MP_STYLE_COMPACT, out, sizeof(out));
	MXP_CHECK(t, strstr(out, "PG{g-2,root-2,nt-1,rtp-1,dd-1,an-1,mxp-1}") != NULL);
	/* built with the builders */
	mxp_mp_msg_init(&msg, "[192.0.2.2]:2944");
	mxp_mp_msg_add_trans(&msg, MXP_MP_TRANS_REPLY, 6);
	mxp_mp_msg_add_action(&msg, MXP_MP_CTX_NULL);
	struct mxp_mp_cmd *rc = mxp_mp_msg_add_cmd(&msg, MXP_MP_CMD_AUDIT_VALUE, "ROOT");
	rc->has_packages = true;
	mxp_mp_msg_add_prop(&msg, &rc->packages, "g", '-', "2");
	mxp_mp_msg_add_prop(&msg, &rc->packages, "an", '-', "1");
	n = mxp_mp_encode(&msg, MXP_MP_STYLE_LONG, out, sizeof(out));
	MXP_CHECK(t, strstr(out, "AuditValue = ROOT {") != NULL);
	MXP_CHECK(t, strstr(out, "Packages { g-2, an-1 }") != NULL);
	/* errors */
	static const char *const bad[] = {
		"MEGACO/3 [192.0.2.2]:2944\nReply = 5 { Context = - { AuditValue = ROOT { Packages { g } } } }",
		"MEGACO/3 [192.0.2.2]:2944\nReply = 5 { Context = - { AuditValue = ROOT { Packages { g-1, } } } }",
		"MEGACO/3 [192.0.2.2]:2944\nReply = 5 { Context = - { AuditValue = ROOT { Packages { g-1 }, Packages { } } } }",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		MXP_CHECK(t, mxp_mp_parse(bad[i], strlen(bad[i]), &msg, &e) != 0);
}

void
test_profile_split(struct mxp_test_ctx *t)
{
	struct mxp_mp_str n;
	uint32_t v;
	MXP_CHECK_EQ(t, mxp_mp_profile_split(mxp_mp_str_c(MXP_MP_PROFILE_3GPP_NAME "/1"), &n, &v), 0);
	MXP_CHECK(t, eq(n, MXP_MP_PROFILE_3GPP_NAME) && v == 1);
	MXP_CHECK_EQ(t, mxp_mp_profile_split(mxp_mp_str_c("mxp/12"), &n, &v), 0);
	MXP_CHECK(t, eq(n, "mxp") && v == 12);
	static const char *const bad[] = { "", "mxp", "/1", "mxp/", "mxp/0", "mxp/100", "mxp/1x",
					   "a b/1" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		MXP_CHECK_EQ(t, mxp_mp_profile_split(mxp_mp_str_c(bad[i]), &n, &v), -EINVAL);
}
