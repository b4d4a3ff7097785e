/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mp unit tests: every command and reply form in long and compact tokens, round trips
 * through the encoder, every error with its code and byte position, the limits, the mxp
 * package.
 */
#include <errno.h>
#include <stdlib.h>

#include "mxp_mp.h"
#include "test_mp.h"

static struct mxp_mp_msg m1, m2;
static char out1[MXP_MP_MSG_MAX * 2], out2[MXP_MP_MSG_MAX * 2];

/* parse -> encode(style) -> parse -> encode(style): the two encodings must be equal. */
static int
round_trip(struct mxp_test_ctx *t, const char *text, enum mxp_mp_style st)
{
	struct mxp_mp_error e;
	int rc = mxp_mp_parse(text, strlen(text), &m1, &e);
	if (rc != 0)
		printf("#   parse: %s\n", e.text);
	MXP_CHECK_EQ(t, rc, 0);
	int n1 = mxp_mp_encode(&m1, st, out1, sizeof(out1));
	MXP_CHECK(t, n1 > 0);
	rc = mxp_mp_parse(out1, (size_t)n1, &m2, &e);
	if (rc != 0)
		printf("#   reparse: %s\n%s\n", e.text, out1);
	MXP_CHECK_EQ(t, rc, 0);
	int n2 = mxp_mp_encode(&m2, st, out2, sizeof(out2));
	MXP_CHECK_EQ(t, n1, n2);
	if (n1 == n2 && n1 > 0)
		MXP_CHECK_MEM(t, out1, out2, (size_t)n1);
	return rc;
}

static const char *const requests[] = {
	/* Add with everything, long tokens */
	"MEGACO/3 [192.0.2.1]:2944\r\n"
	"Transaction = 1 {\r\n"
	"  Context = $ {\r\n"
	"    Add = $ {\r\n"
	"      Media { TerminationState { mxp/mode = mix, mxp/topn = 3 },\r\n"
	"        Stream = 1 { LocalControl { Mode = SendReceive, mxp/strict = on },\r\n"
	"          Local { v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/SAVP 0\r\n },\r\n"
	"          Remote { v=0\r\nc=IN IP4 198.51.100.7\r\nm=audio 40000 RTP/SAVP 0\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n }\r\n"
	"        } },\r\n"
	"      Events = 7 { mxp/authfail, mxp/keylimit }\r\n"
	"    }\r\n  }\r\n}\r\n",
	/* the same, compact */
	"!/3 [192.0.2.1]:2944\nT=1{C=${A=${M{TS{mxp/mode=mix,mxp/topn=3},ST=1{O{MO=SR,mxp/strict=on},"
	"L{\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n},R{\nv=0\nc=IN IP4 198.51.100.7\n"
	"m=audio 40000 RTP/SAVP 0\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\n"
	"}}},E=7{mxp/authfail,mxp/keylimit}}}}",
	/* Modify with wildcard, several modes and an implicit stream */
	"MEGACO/3 <mrfc.example.net>:2944\nTransaction = 2 { Context = 17 {"
	" Modify = * { Media { LocalControl { Mode = ReceiveOnly } } },"
	" Modify = leg/2 { Media { Stream = 1 { LocalControl { Mode = SendOnly } } } },"
	" O-Modify = leg/3 { Media { Stream = 1 { LocalControl { Mode = Inactive } } } },"
	" W-Modify = leg/4 { Media { Stream = 1 { LocalControl { Mode = Loopback } } } } } }",
	/* Move */
	"!/3 [192.0.2.1]:2944 T=3{C=4{MV=leg/1{M{ST=1{O{MO=IN}}}}}}",
	/* Subtract with statistics audit, AuditValue, AuditCapability */
	"MEGACO/3 [2001:db8::1]:2944\nTransaction = 4 { Context = 17 {"
	" Subtract = leg/1 { Audit { Statistics } },"
	" Subtract = leg/2,"
	" AuditValue = leg/3 { Audit { Media, Statistics, Events } },"
	" AuditCapability = ROOT { Audit { } } } }",
	"!/3 [2001:db8::1]:2944\nT=4{C=17{S=leg/1{AT{SA}},S=leg/2,AV=leg/3{AT{M,SA,E}},AC=ROOT{AT{}}}}",
	/* Notify with time stamps and parameters */
	"MEGACO/3 [192.0.2.2]:2944\nTransaction = 5 { Context = 17 { Notify = leg/1 {"
	" ObservedEvents = 7 { 20261128T04500000:mxp/authfail { count=12 }, mxp/ssrc } } } }",
	/* ServiceChange Restart to ROOT */
	"MEGACO/3 [192.0.2.2]:2944\nTransaction = 6 { Context = - { ServiceChange = ROOT {"
	" Services { Method = Restart, Reason = \"901 Cold Boot\", Delay = 5,"
	" ServiceChangeAddress = 2944, Profile = mxp/1, Version = 3 } } } }",
	"!/3 [192.0.2.2]:2944\nT=6{C=-{SC=ROOT{SV{MT=RS,RE=\"901 Cold Boot\",DL=5,AD=2944,PF=mxp/1,V=3}}}}",
	/* several transactions and actions in one message */
	"MEGACO/3 [192.0.2.1]:2944\nTransaction = 8 { Context = 1 { Subtract = leg/1 },"
	" Context = 2 { Subtract = leg/1 } }\nTransaction = 9 { Context = * { AuditValue = * {"
	" Audit { Media } } } }",
};

static const char *const replies[] = {
	"MEGACO/3 [192.0.2.2]:2944\nReply = 1 { Context = 17 { Add = leg/1 { Media {"
	" Stream = 1 { Local {\nv=0\r\nc=IN IP4 192.0.2.2\r\nm=audio 20000 RTP/SAVP 0\r\n"
	"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31|2:4\r\n"
	"} } } } } }",
	"!/3 [192.0.2.2]:2944\nP=4{C=17{S=leg/1{M{ST=1{SA{rtp/ps=1200,rtp/pr=1180,rtp/pl=3}}}},S=leg/2}}",
	"MEGACO/3 [192.0.2.2]:2944\nReply = 4 { Context = 17 { Subtract = leg/1 { Statistics {"
	" rtp/ps = 1200, rtp/pr = 1180 } } } }",
	"MEGACO/3 [192.0.2.2]:2944\nReply = 11 { Context = 99 { Error = 411 {"
	" \"context 99 unknown\" } } }",
	"MEGACO/3 [192.0.2.2]:2944\nReply = 12 { Error = 400 { \"line 2 col 5: expected '{'\" } }",
	"MEGACO/3 [192.0.2.2]:2944\nReply = 13 { ImmAckRequired, Context = 5 {"
	" Modify = leg/1, Modify = leg/2 { Error = 430 { \"no leg/2\" } } } }",
	"!/3 [192.0.2.2]:2944\nPN=14{}",
	"MEGACO/3 [192.0.2.2]:2944\nPending = 14 { }\nReply = 15 { Context = - {"
	" ServiceChange = ROOT { Services { ServiceChangeAddress = [192.0.2.1]:2944, Version = 3 } }"
	" } }",
	"MEGACO/3 [192.0.2.1]:2944\nTransactionResponseAck { 13 }\nK { 20-25 }",
	"MEGACO/3 [192.0.2.2]:2944\nError = 406 { \"version 4 not supported\" }",
	"MEGACO/3 [192.0.2.2]:2944\nReply = 16 { Context = 5 { Notify = leg/1 } }",
};

MXP_TEST(requests_round_trip_long_and_compact)
{
	for (size_t i = 0; i < MXP_NCASES(requests); i++) {
		round_trip(t, requests[i], MXP_MP_STYLE_LONG);
		round_trip(t, requests[i], MXP_MP_STYLE_COMPACT);
	}
}

MXP_TEST(replies_round_trip_long_and_compact)
{
	for (size_t i = 0; i < MXP_NCASES(replies); i++) {
		round_trip(t, replies[i], MXP_MP_STYLE_LONG);
		round_trip(t, replies[i], MXP_MP_STYLE_COMPACT);
	}
}

MXP_TEST(long_and_compact_parse_the_same)
{
	static const int pairs[][2] = { { 0, 1 }, { 4, 5 } };
	for (size_t k = 0; k < MXP_NCASES(pairs); k++) {
		struct mxp_mp_error e;
		MXP_CHECK_EQ(t, mxp_mp_parse(requests[pairs[k][0]], strlen(requests[pairs[k][0]]), &m1,
					     &e), 0);
		MXP_CHECK_EQ(t, mxp_mp_parse(requests[pairs[k][1]], strlen(requests[pairs[k][1]]), &m2,
					     &e), 0);
		/* The message ids are the same; so must be the long encodings. */
		int n1 = mxp_mp_encode(&m1, MXP_MP_STYLE_LONG, out1, sizeof(out1));
		int n2 = mxp_mp_encode(&m2, MXP_MP_STYLE_LONG, out2, sizeof(out2));
		MXP_CHECK(t, n1 > 0 && n2 > 0);
		if (n1 > 0 && n2 > 0) {
			/* SDP line ends differ (CRLF vs LF) in the sources: compare without CRs */
			char *a = out1, *b = out2, *w;
			for (w = a; *a; a++)
				if (*a != '\r')
					*w++ = *a;
			*w = 0;
			for (w = b; *b; b++)
				if (*b != '\r')
					*w++ = *b;
			*w = 0;
			MXP_CHECK_STR(t, out1, out2);
		}
	}
}

MXP_TEST(add_request_fields)
{
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_mp_parse(requests[0], strlen(requests[0]), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.version, 3);
	MXP_CHECK(t, mxp_mp_str_eq(m1.mid, "[192.0.2.1]:2944"));
	MXP_CHECK_EQ(t, m1.ntrans, 1);
	MXP_CHECK_EQ(t, m1.trans[0].kind, MXP_MP_TRANS_REQUEST);
	MXP_CHECK_EQ(t, m1.trans[0].id, 1);
	MXP_CHECK_EQ(t, m1.actions[0].ctx, MXP_MP_CTX_CHOOSE);
	const struct mxp_mp_cmd *c = &m1.cmds[0];
	MXP_CHECK_EQ(t, c->type, MXP_MP_CMD_ADD);
	MXP_CHECK_EQ(t, c->term_kind, MXP_MP_TERM_CHOOSE);
	MXP_CHECK_EQ(t, c->nstreams, 1);
	MXP_CHECK_EQ(t, c->streams[0].id, 1);
	MXP_CHECK_EQ(t, c->streams[0].mode, MXP_MP_MODE_SENDRECV);
	MXP_CHECK(t, c->streams[0].has_local && c->streams[0].has_remote);
	MXP_CHECK(t, c->streams[0].local.len > 0 && c->streams[0].local.p[0] == 'v');
	MXP_CHECK(t, c->has_events);
	MXP_CHECK_EQ(t, c->events_rid, 7);
	MXP_CHECK_EQ(t, c->events.n, 2);
	MXP_CHECK(t, mxp_mp_str_eq(m1.props[c->events.first + 1].name, "mxp/keylimit"));
	struct mxp_mp_pkg pkg;
	MXP_CHECK_EQ(t, mxp_mp_pkg_get(&m1, c, requests[0], &pkg, &e), 0);
	MXP_CHECK_EQ(t, pkg.mode, MXP_MP_CONF_MIX);
	MXP_CHECK_EQ(t, pkg.topn, 3);
	MXP_CHECK_EQ(t, pkg.strict, 1);
	MXP_CHECK_EQ(t, pkg.plain_rtp, -1);
	MXP_CHECK_EQ(t, pkg.present, MXP_MP_PKG_MODE | MXP_MP_PKG_TOPN | MXP_MP_PKG_STRICT);
}

MXP_TEST(other_command_fields)
{
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_mp_parse(requests[2], strlen(requests[2]), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.ncmds, 4);
	MXP_CHECK_EQ(t, m1.cmds[0].term_kind, MXP_MP_TERM_ALL);
	MXP_CHECK_EQ(t, m1.cmds[0].streams[0].mode, MXP_MP_MODE_RECVONLY);
	MXP_CHECK_EQ(t, m1.cmds[1].streams[0].mode, MXP_MP_MODE_SENDONLY);
	MXP_CHECK(t, m1.cmds[2].optional && !m1.cmds[2].wildcard_reply);
	MXP_CHECK(t, m1.cmds[3].wildcard_reply && !m1.cmds[3].optional);
	MXP_CHECK_EQ(t, m1.cmds[3].streams[0].mode, MXP_MP_MODE_LOOPBACK);
	MXP_CHECK(t, mxp_mp_str_eq(m1.cmds[1].term, "leg/2"));
	MXP_CHECK(t, mxp_mp_str_eq(m1.mid, "<mrfc.example.net>:2944"));

	MXP_CHECK_EQ(t, mxp_mp_parse(requests[4], strlen(requests[4]), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.cmds[0].type, MXP_MP_CMD_SUBTRACT);
	MXP_CHECK_EQ(t, m1.cmds[0].audit, MXP_MP_AUDIT_STATS);
	MXP_CHECK(t, !m1.cmds[1].has_audit);
	MXP_CHECK_EQ(t, m1.cmds[2].type, MXP_MP_CMD_AUDIT_VALUE);
	MXP_CHECK_EQ(t, m1.cmds[2].audit, MXP_MP_AUDIT_MEDIA | MXP_MP_AUDIT_STATS | MXP_MP_AUDIT_EVENTS);
	MXP_CHECK_EQ(t, m1.cmds[3].type, MXP_MP_CMD_AUDIT_CAP);
	MXP_CHECK_EQ(t, m1.cmds[3].term_kind, MXP_MP_TERM_ROOT);

	MXP_CHECK_EQ(t, mxp_mp_parse(requests[6], strlen(requests[6]), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.cmds[0].type, MXP_MP_CMD_NOTIFY);
	MXP_CHECK_EQ(t, m1.cmds[0].events.n, 2);
	MXP_CHECK(t, mxp_mp_str_eq(m1.props[m1.cmds[0].events.first].name, "mxp/authfail"));
	MXP_CHECK(t, mxp_mp_str_eq(m1.props[m1.cmds[0].events.first].value, " count=12 "));

	MXP_CHECK_EQ(t, mxp_mp_parse(requests[7], strlen(requests[7]), &m1, &e), 0);
	const struct mxp_mp_cmd *c = &m1.cmds[0];
	MXP_CHECK_EQ(t, m1.actions[0].ctx, MXP_MP_CTX_NULL);
	MXP_CHECK(t, mxp_mp_str_eq(c->sc_method, "Restart"));
	MXP_CHECK(t, mxp_mp_str_eq(c->sc_reason, "\"901 Cold Boot\""));
	MXP_CHECK_EQ(t, c->sc_delay, 5);
	MXP_CHECK_EQ(t, c->sc_version, 3);
	MXP_CHECK(t, mxp_mp_str_eq(c->sc_profile, "mxp/1"));

	MXP_CHECK_EQ(t, mxp_mp_parse(requests[9], strlen(requests[9]), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.ntrans, 2);
	MXP_CHECK_EQ(t, m1.trans[0].nactions, 2);
	MXP_CHECK_EQ(t, m1.trans[1].id, 9);
	MXP_CHECK_EQ(t, m1.actions[2].ctx, MXP_MP_CTX_ALL);
}

MXP_TEST(reply_fields)
{
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_mp_parse(replies[1], strlen(replies[1]), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.trans[0].kind, MXP_MP_TRANS_REPLY);
	MXP_CHECK_EQ(t, m1.cmds[0].streams[0].stats.n, 3);
	MXP_CHECK(t, mxp_mp_str_eq(m1.props[m1.cmds[0].streams[0].stats.first + 2].value, "3"));
	MXP_CHECK_EQ(t, mxp_mp_parse(replies[3], strlen(replies[3]), &m1, &e), 0);
	MXP_CHECK(t, m1.actions[0].has_error);
	MXP_CHECK_EQ(t, m1.actions[0].err_code, 411);
	MXP_CHECK(t, mxp_mp_str_eq(m1.actions[0].err_text, "context 99 unknown"));
	MXP_CHECK_EQ(t, mxp_mp_parse(replies[4], strlen(replies[4]), &m1, &e), 0);
	MXP_CHECK(t, m1.trans[0].has_error && m1.trans[0].err_code == 400);
	MXP_CHECK_EQ(t, mxp_mp_parse(replies[5], strlen(replies[5]), &m1, &e), 0);
	MXP_CHECK(t, m1.trans[0].imm_ack);
	MXP_CHECK(t, m1.cmds[1].has_error && m1.cmds[1].err_code == 430);
	MXP_CHECK_EQ(t, mxp_mp_parse(replies[7], strlen(replies[7]), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.trans[0].kind, MXP_MP_TRANS_PENDING);
	MXP_CHECK_EQ(t, m1.trans[0].id, 14);
	MXP_CHECK(t, mxp_mp_str_eq(m1.cmds[0].sc_address, "[192.0.2.1]:2944"));
	MXP_CHECK_EQ(t, mxp_mp_parse(replies[8], strlen(replies[8]), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.ntrans, 2);
	MXP_CHECK_EQ(t, m1.trans[1].kind, MXP_MP_TRANS_ACK);
	MXP_CHECK_EQ(t, m1.trans[1].id, 20);
	MXP_CHECK_EQ(t, m1.trans[1].id_last, 25);
	MXP_CHECK_EQ(t, mxp_mp_parse(replies[9], strlen(replies[9]), &m1, &e), 0);
	MXP_CHECK(t, m1.has_error && m1.err_code == 406 && m1.ntrans == 0);
}

MXP_TEST(case_whitespace_and_comments)
{
	const char *x =
		"; leading comment\n  \t\n"
		"megaco/3   [192.0.2.1]:2944 ; trailing comment\n"
		"tRaNsAcTiOn=1{context   =\t$;comment inside\n{add=$ { media { stream=1 {"
		" localcontrol { mode = sendreceive } } } } } }   \n; done\n";
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_mp_parse(x, strlen(x), &m1, &e), 0);
	MXP_CHECK_EQ(t, m1.cmds[0].streams[0].mode, MXP_MP_MODE_SENDRECV);
	MXP_CHECK_EQ(t, m1.trans[0].id, 1);
}

struct err_row {
	const char *why;
	const char *text;
	uint16_t code;
	int pos;        /* -1: do not check */
	int tid;        /* -1: no transaction id known */
};

static const struct err_row err_rows[] = {
	{ "empty", "", 400, 0, -1 },
	{ "not MEGACO", "HTTP/1.1 200 OK", 400, 0, -1 },
	{ "version 4", "MEGACO/4 [1.2.3.4]:2944 T=1{C=1{S=a}}", 406, 7, -1 },
	{ "no SEP after version", "MEGACO/3[1.2.3.4] T=1{C=1{S=a}}", 400, 8, -1 },
	{ "unterminated mid", "MEGACO/3 [1.2.3.4 T=1{C=1{S=a}}", 400, 17, -1 },
	{ "bad keyword", "MEGACO/3 [1.2.3.4]:2944 Transact=1{C=1{S=a}}", 400, 24, -1 },
	{ "missing =", "MEGACO/3 [1.2.3.4]:2944 T 1{C=1{S=a}}", 400, 26, -1 },
	{ "tid not a number", "MEGACO/3 [1.2.3.4]:2944 T=x1{C=1{S=a}}", 400, 26, -1 },
	{ "tid too big", "MEGACO/3 [1.2.3.4]:2944 T=4294967296{C=1{S=a}}", 400, 26, -1 },
	{ "missing brace after tid", "MEGACO/3 [1.2.3.4]:2944 T=5 C=1{S=a}}", 400, 28, 5 },
	{ "not a Context", "MEGACO/3 [1.2.3.4]:2944 T=5{X=1{S=a}}", 400, 28, 5 },
	{ "context id 0", "MEGACO/3 [1.2.3.4]:2944 T=5{C=0{S=a}}", 410, 30, 5 },
	{ "context id reserved", "MEGACO/3 [1.2.3.4]:2944 T=5{C=4294967295{S=a}}", 410, 30, 5 },
	{ "empty action", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{}}", 422, 32, 5 },
	{ "unknown command", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{Jump=a}}", 443, 32, 5 },
	{ "context property", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{TP{a,b,isolate},S=a}}", 501, 32, 5 },
	{ "unknown descriptor", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{Colour{}}}}", 444, 36, 5 },
	{ "descriptor illegal", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{S=a{M{}}}}", 447, 36, 5 },
	{ "descriptor twice", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{M{},M{}}}}", 448, 41, 5 },
	{ "eventbuffer not implemented", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{EB{g/sc}}}}", 501,
	  36, 5 },
	{ "bad digit map", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{DM=x{(1#)}}}}", 400, 43, 5 },
	{ "bad mode", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{M{O{MO=sideways}}}}}", 517, 43, 5 },
	{ "mode twice", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{M{O{MO=SR,MO=SO}}}}}", 456, 48, 5 },
	{ "Local twice", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{M{L{v=0},L{v=0}}}}}", 448, 45, 5 },
	{ "AuditValue without Audit", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{AV=a}}", 442, 36, 5 },
	{ "Notify without events", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{N=a{ER=1{}}}}", 442, 43, 5 },
	{ "unknown audit item", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{AV=a{AT{Colour}}}}", 444, 40, 5 },
	{ "unknown SC parameter", "MEGACO/3 [1.2.3.4]:2944 T=5{C=-{SC=ROOT{SV{Colour=1}}}}", 446,
	  43, 5 },
	{ "unterminated Local", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{M{L{v=0", 400, 40, 5 },
	{ "unterminated quote", "MEGACO/3 [1.2.3.4]:2944 P=5{ER=400{\"abc}}", 400, 35, 5 },
	{ "garbage after message", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{S=a}} }", 400, 38, 5 },
	{ "stream id 0", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{A=a{M{ST=0{}}}}}", 410, 41, 5 },
	{ "Error in a request", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{ER=400{}}}", 422, 32, 5 },
	{ "segmented reply", "MEGACO/3 [1.2.3.4]:2944 P=5/1/1{C=1{S=a}}", 501, 27, 5 },
	{ "error in second transaction names it",
	  "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{S=a}} T=6{C=1{S=a{X}}}", 444, 50, 6 },
	{ "NUL byte", "MEGACO/3 [1.2.3.4]:2944 T=5{C=1\0{S=a}}", 400, 31, -1 },
	{ "termination id too long",
	  "MEGACO/3 [1.2.3.4]:2944 T=5{C=1{S=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}",
	  410, 34, 5 },
};

MXP_TEST(every_error_with_code_and_position)
{
	for (size_t i = 0; i < MXP_NCASES(err_rows); i++) {
		const struct err_row *r = &err_rows[i];
		struct mxp_mp_error e;
		size_t len = strlen(r->text);
		if (strcmp(r->why, "NUL byte") == 0)
			len = strlen(r->text) + 1 + strlen(r->text + strlen(r->text) + 1);
		int rc = mxp_mp_parse(r->text, len, &m1, &e);
		int ok = rc != 0 && e.code == r->code && (r->pos < 0 || (int)e.pos == r->pos) &&
			 (r->tid < 0 ? !e.have_tid : (e.have_tid && (int)e.tid == r->tid));
		if (!ok)
			printf("#   row %zu (%s): rc %d code %u pos %u tid %d/%u: %s\n", i, r->why, rc,
			       e.code, e.pos, e.have_tid, e.tid, e.text);
		MXP_CHECK(t, ok);
		MXP_CHECK(t, strstr(e.text, "line 1 col") == e.text);
	}
}

MXP_TEST(limits_fail_cleanly)
{
	static char big[MXP_MP_MSG_MAX * 3];
	struct mxp_mp_error e;
	const char *hdr = "MEGACO/3 [1.2.3.4]:2944\n";

	/* oversized */
	memset(big, ' ', sizeof(big));
	memcpy(big, hdr, strlen(hdr));
	MXP_CHECK_EQ(t, mxp_mp_parse(big, MXP_MP_MSG_MAX + 1, &m1, &e), -EINVAL);
	MXP_CHECK_EQ(t, e.code, 400);
	MXP_CHECK_EQ(t, e.pos, MXP_MP_MSG_MAX);
	MXP_CHECK(t, strstr(e.text, "exceeds") != NULL);

	/* nested deeper than the limit, in events parameters and in descriptors */
	size_t n = (size_t)sprintf(big, "%sT=1{C=1{A=a{E=1{x/y", hdr);
	for (int i = 0; i < 40; i++)
		big[n++] = '{';
	for (int i = 0; i < 40; i++)
		big[n++] = '}';
	n += (size_t)sprintf(big + n, "}}}}");
	MXP_CHECK_EQ(t, mxp_mp_parse(big, n, &m1, &e), -EINVAL);
	MXP_CHECK_EQ(t, e.code, 400);
	MXP_CHECK(t, strstr(e.text, "nesting") != NULL);
	n = (size_t)sprintf(big, "%sT=1{C=1{A=a{M{ST=1{O{", hdr);
	for (int i = 0; i < 30; i++)
		n += (size_t)sprintf(big + n, "M{");
	MXP_CHECK_EQ(t, mxp_mp_parse(big, n, &m1, &e), -EINVAL);
	MXP_CHECK_EQ(t, e.code, 400);

	/* deep nesting of 5000 braces: no stack exhaustion, clean error */
	n = (size_t)sprintf(big, "%sT=1{C=1{A=a{SG", hdr);
	for (int i = 0; i < 5000; i++)
		big[n++] = '{';
	MXP_CHECK_EQ(t, mxp_mp_parse(big, n, &m1, &e), -EINVAL);
	MXP_CHECK_EQ(t, e.code, 400);

	/* too many transactions */
	n = (size_t)sprintf(big, "%s", hdr);
	for (int i = 0; i < MXP_MP_TRANS_MAX + 1; i++)
		n += (size_t)sprintf(big + n, "T=%d{C=1{S=a}}\n", i + 1);
	MXP_CHECK_EQ(t, mxp_mp_parse(big, n, &m1, &e), -E2BIG);
	MXP_CHECK_EQ(t, e.code, 413);

	/* too many commands */
	n = (size_t)sprintf(big, "%sT=1{C=1{", hdr);
	for (int i = 0; i < MXP_MP_CMDS_MAX + 1; i++)
		n += (size_t)sprintf(big + n, "%sS=t%d", i ? "," : "", i);
	n += (size_t)sprintf(big + n, "}}");
	MXP_CHECK_EQ(t, mxp_mp_parse(big, n, &m1, &e), -E2BIG);
	MXP_CHECK_EQ(t, e.code, 510);
	MXP_CHECK(t, e.have_tid && e.tid == 1);

	/* too many properties */
	n = (size_t)sprintf(big, "%sT=1{C=1{A=a{M{TS{", hdr);
	for (int i = 0; i < MXP_MP_PROPS_MAX + 1; i++)
		n += (size_t)sprintf(big + n, "%sx/p%d=1", i ? "," : "", i);
	n += (size_t)sprintf(big + n, "}}}}}");
	MXP_CHECK_EQ(t, mxp_mp_parse(big, n, &m1, &e), -E2BIG);
	MXP_CHECK_EQ(t, e.code, 510);

	/* too many streams */
	n = (size_t)sprintf(big, "%sT=1{C=1{A=a{M{ST=1{O{MO=SR}},ST=2{O{MO=SR}},ST=3{O{MO=SR}}}}}}",
			    hdr);
	MXP_CHECK_EQ(t, mxp_mp_parse(big, n, &m1, &e), -ENOTSUP);
	MXP_CHECK_EQ(t, e.code, 501);

	/* too many actions */
	n = (size_t)sprintf(big, "%sT=1{", hdr);
	for (int i = 0; i < MXP_MP_ACTIONS_MAX + 1; i++)
		n += (size_t)sprintf(big + n, "%sC=%d{S=a}", i ? "," : "", i + 1);
	n += (size_t)sprintf(big + n, "}");
	MXP_CHECK_EQ(t, mxp_mp_parse(big, n, &m1, &e), -E2BIG);
	MXP_CHECK_EQ(t, e.code, 510);
}

MXP_TEST(encoder_builders_and_errors)
{
	struct mxp_mp_msg *m = &m1;
	mxp_mp_msg_init(m, "[192.0.2.2]:2944");
	MXP_CHECK(t, mxp_mp_msg_add_trans(m, MXP_MP_TRANS_REPLY, 42) != NULL);
	MXP_CHECK(t, mxp_mp_msg_add_action(m, 7) != NULL);
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(m, MXP_MP_CMD_SUBTRACT, "leg/9");
	MXP_CHECK(t, c != NULL);
	c->has_media = true;
	c->nstreams = 1;
	c->streams[0].id = 1;
	c->streams[0].has_stats = true;
	MXP_CHECK(t, mxp_mp_msg_add_prop(m, &c->streams[0].stats, "rtp/ps", '=', "100") != NULL);
	MXP_CHECK(t, mxp_mp_msg_add_prop(m, &c->streams[0].stats, "rtp/pr", '=', "99") != NULL);
	c = mxp_mp_msg_add_cmd(m, MXP_MP_CMD_MODIFY, "leg/1");
	c->has_error = true;
	c->err_code = 430;
	c->err_text = mxp_mp_str_c("unknown \"leg/1\"");
	int n = mxp_mp_encode(m, MXP_MP_STYLE_COMPACT, out1, sizeof(out1));
	MXP_CHECK(t, n > 0);
	MXP_CHECK_STR(t, out1, "!/3 [192.0.2.2]:2944\nP=42{C=7{S=leg/9{M{ST=1{SA{rtp/ps=100,"
		      "rtp/pr=99}}}},MF=leg/1{ER=430{\"unknown 'leg/1'\"}}}}\n");
	/* every prefix of the buffer is too small */
	for (int cap = 1; cap <= n; cap++)
		if (mxp_mp_encode(m, MXP_MP_STYLE_COMPACT, out2, (size_t)cap) != -ENOSPC) {
			MXP_CHECK_EQ(t, cap, -1);
			break;
		}
	MXP_CHECK_EQ(t, mxp_mp_encode(m, MXP_MP_STYLE_COMPACT, out2, (size_t)n + 1), n);
	/* a Pending carries no actions */
	mxp_mp_msg_init(m, "[192.0.2.2]:2944");
	mxp_mp_msg_add_trans(m, MXP_MP_TRANS_PENDING, 5);
	MXP_CHECK(t, mxp_mp_encode(m, MXP_MP_STYLE_LONG, out1, sizeof(out1)) > 0);
	MXP_CHECK_STR(t, out1, "MEGACO/3 [192.0.2.2]:2944\nPending = 5 { }\n");
	mxp_mp_msg_add_action(m, 1);
	MXP_CHECK_EQ(t, mxp_mp_encode(m, MXP_MP_STYLE_LONG, out1, sizeof(out1)), -EINVAL);
	/* pools run out cleanly */
	mxp_mp_msg_init(m, "x");
	for (int i = 0; i < MXP_MP_TRANS_MAX; i++)
		MXP_CHECK(t, mxp_mp_msg_add_trans(m, MXP_MP_TRANS_REQUEST, (uint32_t)i) != NULL);
	MXP_CHECK(t, mxp_mp_msg_add_trans(m, MXP_MP_TRANS_REQUEST, 99) == NULL);
	/* '}' in SDP is escaped and comes back */
	mxp_mp_msg_init(m, "[192.0.2.2]:2944");
	mxp_mp_msg_add_trans(m, MXP_MP_TRANS_REPLY, 1);
	mxp_mp_msg_add_action(m, 3);
	c = mxp_mp_msg_add_cmd(m, MXP_MP_CMD_ADD, "leg/1");
	c->has_media = true;
	c->nstreams = 1;
	c->streams[0].id = 1;
	c->streams[0].has_local = true;
	c->streams[0].local = mxp_mp_str_c("v=0\r\ns=a}b\r\n");
	n = mxp_mp_encode(m, MXP_MP_STYLE_LONG, out1, sizeof(out1));
	MXP_CHECK(t, strstr(out1, "s=a\\}b") != NULL);
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_mp_parse(out1, (size_t)n, &m2, &e), 0);
	MXP_CHECK(t, mxp_mp_str_eq(m2.cmds[0].streams[0].local, "v=0\r\ns=a\\}b"));
	MXP_CHECK_STR(t, mxp_mp_errcode_name(411), "The transaction refers to an unknown ContextID");
	MXP_CHECK_STR(t, mxp_mp_errcode_name(999), "Unknown error");
}

MXP_TEST(mxp_package_errors)
{
	static const struct { const char *props; uint16_t code; } rows[] = {
		{ "mxp/mode=switch", 0 },
		{ "mxp/mode=forward,mxp/topn=16,mxp/keygroup=g-1_a,mxp/afthresh=10,mxp/plainrtp=off", 0 },
		{ "mxp/mode=stereo", 449 },
		{ "mxp/topn=0", 449 },
		{ "mxp/topn=17", 449 },
		{ "mxp/strict=maybe", 449 },
		{ "mxp/keygroup=a.b", 449 },
		{ "mxp/mode#mix", 449 },
		{ "mxp/colour=red", 450 },
		{ "tdmc/ec=on", 440 },
		{ "mxp/mode=mix,mxp/mode=switch", 456 },
	};
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		char text[512];
		struct mxp_mp_error e;
		struct mxp_mp_pkg pkg;
		snprintf(text, sizeof(text), "MEGACO/3 [1.2.3.4]:2944 T=1{C=${A=${M{TS{%s}}}}}",
			 rows[i].props);
		MXP_CHECK_EQ(t, mxp_mp_parse(text, strlen(text), &m1, &e), 0);
		int rc = mxp_mp_pkg_get(&m1, &m1.cmds[0], text, &pkg, &e);
		if ((rows[i].code == 0) != (rc == 0) || e.code != rows[i].code)
			printf("#   row %zu: rc %d code %u %s\n", i, rc, e.code, e.text);
		MXP_CHECK_EQ(t, rc == 0, rows[i].code == 0);
		MXP_CHECK_EQ(t, e.code, rows[i].code);
		if (rows[i].code != 0)
			MXP_CHECK(t, e.pos > 40 && e.pos < strlen(text));
	}
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(requests_round_trip_long_and_compact),
	MXP_CASE(replies_round_trip_long_and_compact),
	MXP_CASE(long_and_compact_parse_the_same),
	MXP_CASE(add_request_fields),
	MXP_CASE(other_command_fields),
	MXP_CASE(reply_fields),
	MXP_CASE(case_whitespace_and_comments),
	MXP_CASE(every_error_with_code_and_position),
	MXP_CASE(limits_fail_cleanly),
	MXP_CASE(encoder_builders_and_errors),
	MXP_CASE(mxp_package_errors),
	{ "sdp_parse", test_sdp_parse },
	{ "sdp_errors", test_sdp_errors },
	{ "sdp_encode_round_trip", test_sdp_encode_round_trip },
	{ "rcache_basic", test_rcache_basic },
	{ "rcache_refusals_give_room", test_rcache_refusals_give_room },
	{ "rcache_expires_when_idle", test_rcache_expires_when_idle },
	{ "rcache_against_model", test_rcache_against_model },
	{ "retx_timeline", test_retx_timeline },
	{ "signals_parse", test_signals_parse },
	{ "signals_errors", test_signals_errors },
	{ "packages_descriptor", test_packages_descriptor },
	{ "profile_split", test_profile_split },
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
