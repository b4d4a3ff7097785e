/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mp digit maps (H.248.1 7.1.14, B.2): the grammar (valid maps written back in their
 * canonical form, invalid ones refused with their code and position), the DigitMap
 * descriptor and the event parameter in messages, and matching with a fake clock: the
 * three ways a collection completes (UM, PM, FM), the start, short and long timers, timer
 * letters and the Z duration modifier.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mxp_mp.h"
#include "mxp_test.h"

static int
compile(const char *s, struct mxp_mp_digitmap *dm, struct mxp_mp_error *e)
{
	return mxp_mp_digitmap_compile(mxp_mp_str_c(s), NULL, dm, e);
}

MXP_TEST(valid_maps_written_back)
{
	static const struct { const char *in, *out; } v[] = {
		{ "(1xx|2x.F)", "(1xx|2x.F)" },
		{ "xxx", "xxx" },
		{ " ( 1 | 2 ) ", "(1|2)" },
		{ "(a|b|k)", "(A|B|K)" },
		{ "[1-4B]x", "[1-4B]x" },
		{ "[0-9]", "x" },
		{ "[12]x", "[12]x" },
		{ "T:5,S:2,L:9,(0|00|[1-7]xxx|8xxxxxxx|Fxxxxxxx|Exx|91xxxxxxxxxx|9011x.)",
		  "T:5,S:2,L:9,(0|00|[1-7]xxx|8xxxxxxx|Fxxxxxxx|Exx|91xxxxxxxxxx|9011x.)" },
		{ "z:20, (Z1x|1xx)", "Z:20,(Z1x|1xx)" },
		{ "(xxS4|xxL3|xxx)", "(xxS4|xxL3|xxx)" },
		{ "L:0,x.", "L:0,x." },
		{ "Tx", "Tx" },
		{ "(1x ; a comment\n|2x)", "(1x|2x)" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct mxp_mp_digitmap dm;
		struct mxp_mp_error e;
		char out[256];
		int r = compile(v[i].in, &dm, &e);
		MXP_CHECK_EQ(t, r, 0);
		if (r != 0) {
			fprintf(stderr, "# %s: %s\n", v[i].in, e.text);
			continue;
		}
		MXP_CHECK(t, mxp_mp_digitmap_format(&dm, out, sizeof(out)) > 0);
		MXP_CHECK_STR(t, out, v[i].out);
		/* the canonical form compiles to the same map */
		struct mxp_mp_digitmap dm2;
		MXP_CHECK_EQ(t, compile(out, &dm2, &e), 0);
		MXP_CHECK(t, memcmp(&dm, &dm2, sizeof(dm)) == 0);
	}
	struct mxp_mp_digitmap dm;
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, compile("T:5,S:2,(1xx|2x.F)", &dm, &e), 0);
	MXP_CHECK(t, dm.t == 5 && dm.s == 2 && dm.l == MXP_MP_DM_L_DEFAULT &&
		     dm.z == MXP_MP_DM_Z_DEFAULT && dm.nalts == 2 && dm.npos == 6);
	char small[4];
	MXP_CHECK_EQ(t, mxp_mp_digitmap_format(&dm, small, sizeof(small)), -ENOSPC);
}

MXP_TEST(invalid_maps_refused_with_their_code)
{
	static const struct { const char *in; unsigned int code; unsigned int pos; } v[] = {
		{ "", 400, 0 },
		{ "(1xx", 400, 4 },
		{ "(1xx|)", 400, 5 },
		{ "1xx)", 400, 3 },
		{ "1|2", 400, 1 },
		{ "(1#)", 400, 2 },
		{ "(1*)", 400, 2 },
		{ "[9-2]", 449, 3 },
		{ "[]", 400, 2 },
		{ "[1-]", 400, 3 },
		{ "T:5,T:6,x", 400, 4 },
		{ "T:100,x", 400, 5 },
		{ "T:5 x", 400, 4 },
		{ "T:,x", 400, 2 },
		{ "(S)", 400, 1 },
		{ "(1|S)", 400, 3 },
		{ "x..", 400, 2 },
		{ "Z", 400, 1 },
		{ "ZS", 400, 1 },
		{ "S.", 400, 1 },
		{ "[1S]", 501, 2 },
		{ "(1x)2", 400, 4 },
		{ "(1y)", 400, 2 },
		{ "{1}", 400, 0 },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct mxp_mp_digitmap dm;
		struct mxp_mp_error e;
		int r = compile(v[i].in, &dm, &e);
		MXP_CHECK_EQ(t, r, -EINVAL);
		MXP_CHECK_EQ(t, e.code, v[i].code);
		MXP_CHECK_EQ(t, e.pos, v[i].pos);
		if (e.code != v[i].code || e.pos != v[i].pos)
			fprintf(stderr, "# '%s': %u at %u: %s\n", v[i].in, e.code, e.pos, e.text);
	}
	struct mxp_mp_digitmap dm;
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, compile("(1#)", &dm, &e), -EINVAL);
	MXP_CHECK(t, strstr(e.text, "F") != NULL); /* the hint: # is F */
	/* limits: 519 Out of space to store digit map */
	char big[1024] = "(";
	for (int i = 0; i < MXP_MP_DM_ALTS_MAX + 1; i++)
		strcat(big, i ? "|1" : "1");
	strcat(big, ")");
	MXP_CHECK_EQ(t, compile(big, &dm, &e), -E2BIG);
	MXP_CHECK_EQ(t, e.code, 519);
	memset(big, 0, sizeof(big));
	memset(big, 'x', MXP_MP_DM_POS_MAX + 1);
	MXP_CHECK_EQ(t, compile(big, &dm, &e), -E2BIG);
	MXP_CHECK_EQ(t, e.code, 519);
	big[MXP_MP_DM_POS_MAX] = '\0';
	MXP_CHECK_EQ(t, compile(big, &dm, &e), 0);
}

MXP_TEST(names_and_event_parameters)
{
	MXP_CHECK(t, mxp_mp_digitmap_name_ok(mxp_mp_str_c("dm1")));
	MXP_CHECK(t, mxp_mp_digitmap_name_ok(mxp_mp_str_c("A_b9")));
	MXP_CHECK(t, !mxp_mp_digitmap_name_ok(mxp_mp_str_c("1dm")));
	MXP_CHECK(t, !mxp_mp_digitmap_name_ok(mxp_mp_str_c("d-m")));
	MXP_CHECK(t, !mxp_mp_digitmap_name_ok(mxp_mp_str_c("")));
	char longname[80];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	MXP_CHECK(t, !mxp_mp_digitmap_name_ok(mxp_mp_str_c(longname)));

	struct mxp_mp_str n, v;
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_mp_event_digitmap(mxp_mp_str_c("DigitMap = dm1"), &n, &v, &e), 0);
	MXP_CHECK(t, mxp_mp_str_eq(n, "dm1") && v.len == 0);
	MXP_CHECK_EQ(t, mxp_mp_event_digitmap(mxp_mp_str_c("KA, DM={ (1xx|2x.F) }, ST=1"), &n, &v,
					      &e), 0);
	MXP_CHECK(t, n.len == 0 && v.len == 12 && memcmp(v.p, " (1xx|2x.F) ", 12) == 0);
	MXP_CHECK_EQ(t, mxp_mp_event_digitmap(mxp_mp_str_c(""), &n, &v, &e), 0);
	MXP_CHECK(t, n.p == NULL && v.p == NULL);
	MXP_CHECK_EQ(t, mxp_mp_event_digitmap(mxp_mp_str_c("KeepActive"), &n, &v, &e), 0);
	MXP_CHECK(t, n.p == NULL && v.p == NULL);
	static const char *const bad[] = { "DigitMap", "DigitMap = 1abc", "DM={(1x)",
					   "DM=a,DM=b", "DigitMap = {(1x)} }" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		MXP_CHECK_EQ(t, mxp_mp_event_digitmap(mxp_mp_str_c(bad[i]), &n, &v, &e), -EINVAL);
		MXP_CHECK_EQ(t, e.code, 400);
	}
}

MXP_TEST(descriptor_in_messages)
{
	static struct mxp_mp_msg msg;
	struct mxp_mp_error e;
	const char *ok = "MEGACO/3 [192.0.2.2]:2944\nTransaction = 7 { Context = - { "
			 "Modify = ROOT { DigitMap = dm1 { T:5,(1xx|2x.F) } } } }";
	MXP_CHECK_EQ(t, mxp_mp_parse(ok, strlen(ok), &msg, &e), 0);
	const struct mxp_mp_cmd *c = &msg.cmds[0];
	MXP_CHECK_EQ(t, c->digitmaps.n, 1);
	const struct mxp_mp_prop *p = &msg.props[c->digitmaps.first];
	MXP_CHECK(t, mxp_mp_str_eq(p->name, "dm1") && p->op == '=');
	MXP_CHECK(t, p->value.len == 14 && memcmp(p->value.p, "T:5,(1xx|2x.F)", 14) == 0);
	/* compact, unnamed, and a name alone; events with a digit map parameter */
	const char *ok2 = "!/3 [192.0.2.2]:2944 T=8{C=5{MF=leg/3{DM={(1x)},E=9{dd/ce{DM=dm1}}}}}";
	MXP_CHECK_EQ(t, mxp_mp_parse(ok2, strlen(ok2), &msg, &e), 0);
	MXP_CHECK(t, msg.cmds[0].digitmaps.n == 1 && msg.props[msg.cmds[0].digitmaps.first].name.len == 0);
	const char *ok3 = "!/3 [192.0.2.2]:2944 T=8{C=5{MF=leg/3{DM=dm2}}}";
	MXP_CHECK_EQ(t, mxp_mp_parse(ok3, strlen(ok3), &msg, &e), 0);
	p = &msg.props[msg.cmds[0].digitmaps.first];
	MXP_CHECK(t, mxp_mp_str_eq(p->name, "dm2") && p->op == 0);
	/* a bad digit map: 400 at the offending character, in the transaction */
	const char *bad = "MEGACO/3 [192.0.2.2]:2944\nTransaction = 9 { Context = - { "
			  "Modify = ROOT { DigitMap = dm1 { (1xx|2x.#) } } } }";
	MXP_CHECK(t, mxp_mp_parse(bad, strlen(bad), &msg, &e) != 0);
	MXP_CHECK_EQ(t, e.code, 400);
	MXP_CHECK_EQ(t, e.pos, (uint32_t)(strchr(bad, '#') - bad));
	MXP_CHECK(t, e.have_tid && e.tid == 9);
	static const struct { const char *m; unsigned int code; } errs[] = {
		{ "MEGACO/3 [192.0.2.2]:2944\nTransaction = 9 { Context = - { Modify = ROOT { "
		  "DigitMap = 9dm { (1x) } } } }", 400 },
		{ "MEGACO/3 [192.0.2.2]:2944\nTransaction = 9 { Context = - { Modify = ROOT { "
		  "DigitMap { (1x) } } } }", 400 },
		{ "MEGACO/3 [192.0.2.2]:2944\nTransaction = 9 { Context = 1 { AuditValue = leg/1 { "
		  "DigitMap = a { (1x) } } } }", 447 },
		{ "MEGACO/3 [192.0.2.2]:2944\nTransaction = 9 { Context = - { Modify = ROOT { "
		  "DigitMap = a { T:1,T:2,x } } } }", 400 },
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		MXP_CHECK(t, mxp_mp_parse(errs[i].m, strlen(errs[i].m), &msg, &e) != 0);
		MXP_CHECK_EQ(t, e.code, errs[i].code);
	}
	/* a reply with two digit maps encodes and parses back */
	static struct mxp_mp_msg rep, back;
	char out[1024];
	mxp_mp_msg_init(&rep, "[192.0.2.1]:2944");
	mxp_mp_msg_add_trans(&rep, MXP_MP_TRANS_REPLY, 3);
	mxp_mp_msg_add_action(&rep, MXP_MP_CTX_NULL);
	struct mxp_mp_cmd *rc = mxp_mp_msg_add_cmd(&rep, MXP_MP_CMD_AUDIT_VALUE, "ROOT");
	mxp_mp_msg_add_prop(&rep, &rc->digitmaps, "dm1", '=', "(1xx|2x.F)");
	mxp_mp_msg_add_prop(&rep, &rc->digitmaps, "dm2", '=', "T:5,x");
	MXP_CHECK(t, mxp_mp_encode(&rep, MXP_MP_STYLE_LONG, out, sizeof(out)) > 0);
	MXP_CHECK(t, strstr(out, "DigitMap = dm1 { (1xx|2x.F) },") != NULL);
	MXP_CHECK_EQ(t, mxp_mp_parse(out, strlen(out), &back, &e), 0);
	MXP_CHECK_EQ(t, back.cmds[0].digitmaps.n, 2);
	MXP_CHECK(t, mxp_mp_encode(&rep, MXP_MP_STYLE_COMPACT, out, sizeof(out)) > 0);
	MXP_CHECK(t, strstr(out, "DM=dm2{T:5,x}") != NULL);
	MXP_CHECK_EQ(t, mxp_mp_parse(out, strlen(out), &back, &e), 0);
}

/* Feed a string of events (one ms apart from now); returns the last result. */
static enum mxp_mp_dm_result
feed(const struct mxp_mp_digitmap *dm, struct mxp_mp_dm_state *st, const char *evs,
     uint64_t *now)
{
	enum mxp_mp_dm_result r = MXP_MP_DM_MORE;
	for (const char *p = evs; *p; p++)
		r = mxp_mp_dm_event(dm, st, *p, false, ++*now);
	return r;
}

MXP_TEST(matching_unambiguous_partial_full)
{
	struct mxp_mp_digitmap dm;
	struct mxp_mp_dm_state st;
	struct mxp_mp_error e;
	uint64_t now = 1000;
	MXP_CHECK_EQ(t, compile("(1xx|2x.F)", &dm, &e), 0);
	/* 1xx: unambiguous after three digits */
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK(t, st.timer == 'T' && st.deadline_ms == now + MXP_MP_DM_T_DEFAULT * 1000);
	MXP_CHECK_EQ(t, feed(&dm, &st, "12", &now), MXP_MP_DM_MORE);
	MXP_CHECK(t, st.timer == 'L' && st.deadline_ms == now + MXP_MP_DM_L_DEFAULT * 1000);
	MXP_CHECK_EQ(t, feed(&dm, &st, "3", &now), MXP_MP_DM_UM);
	MXP_CHECK_STR(t, st.digits, "123");
	MXP_CHECK(t, st.done && st.deadline_ms == 0);
	MXP_CHECK_EQ(t, feed(&dm, &st, "4", &now), MXP_MP_DM_MORE); /* ignored once done */
	MXP_CHECK_STR(t, st.digits, "123");
	/* 2x.F: any number of digits, then # (F) */
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "2", &now), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, feed(&dm, &st, "5555", &now), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, mxp_mp_dm_letter('#'), false, ++now),
		     MXP_MP_DM_UM);
	MXP_CHECK_STR(t, st.digits, "25555F");
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "2F", &now), MXP_MP_DM_UM); /* zero digits */
	MXP_CHECK_STR(t, st.digits, "2F");
	/* the long timer ends a partial match */
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "25", &now), MXP_MP_DM_MORE);
	uint64_t dl = st.deadline_ms;
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, dl - 1), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, dl), MXP_MP_DM_PM);
	MXP_CHECK_STR(t, st.digits, "25");
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, dl + 100000), MXP_MP_DM_MORE);
	/* an unmatched event: partial match, the event is not in the dial string */
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "3", &now), MXP_MP_DM_PM);
	MXP_CHECK_STR(t, st.digits, "");
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "1A", &now), MXP_MP_DM_PM);
	MXP_CHECK_STR(t, st.digits, "1");
	/* not a digit map event: ignored */
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, '#', false, now), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, st.ndigits, 0);

	/* full match: 12 is complete but 123 could follow -> short timer, then FM */
	MXP_CHECK_EQ(t, compile("S:3,(12|123)", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "12", &now), MXP_MP_DM_MORE);
	MXP_CHECK(t, st.timer == 'S' && st.deadline_ms == now + 3000);
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, now + 2999), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, now + 3000), MXP_MP_DM_FM);
	MXP_CHECK_STR(t, st.digits, "12");
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "123", &now), MXP_MP_DM_UM);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "129", &now), MXP_MP_DM_FM); /* unmatched after a full one */
	MXP_CHECK_STR(t, st.digits, "12");
}

MXP_TEST(matching_timers_letters_and_z)
{
	struct mxp_mp_digitmap dm;
	struct mxp_mp_dm_state st;
	struct mxp_mp_error e;
	uint64_t now = 50;
	/* the start timer: nothing dialled */
	MXP_CHECK_EQ(t, compile("T:3,(1x)", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, now + 2999), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, now + 3000), MXP_MP_DM_PM);
	MXP_CHECK_STR(t, st.digits, "");
	/* x. is complete with nothing: the start timer ends it with a full match */
	MXP_CHECK_EQ(t, compile("T:2,x.", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, now + 2000), MXP_MP_DM_FM);
	/* T:0: no start timer */
	MXP_CHECK_EQ(t, compile("T:0,(1x)", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK(t, st.deadline_ms == 0);
	MXP_CHECK_EQ(t, mxp_mp_dm_timer(&dm, &st, UINT64_MAX), MXP_MP_DM_MORE);
	/* a timer letter chooses the timer: S after 1 instead of the long timer */
	MXP_CHECK_EQ(t, compile("S:2,L:9,(1Sxx|2xx)", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "1", &now), MXP_MP_DM_MORE);
	MXP_CHECK(t, st.timer == 'S' && st.deadline_ms == now + 2000);
	MXP_CHECK_EQ(t, feed(&dm, &st, "5", &now), MXP_MP_DM_MORE);
	MXP_CHECK(t, st.timer == 'L' && st.deadline_ms == now + 9000); /* past the letter */
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "2", &now), MXP_MP_DM_MORE);
	MXP_CHECK(t, st.timer == 'L' && st.deadline_ms == now + 9000);
	/* the start timer runs before the first event, a letter at the start or not */
	MXP_CHECK_EQ(t, compile("T:7,S:2,(Sxx|1x)", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK(t, st.timer == 'T' && st.deadline_ms == now + 7000);
	MXP_CHECK_EQ(t, feed(&dm, &st, "1", &now), MXP_MP_DM_MORE);
	MXP_CHECK(t, st.timer == 'L'); /* past S in the first alternative */
	/* L wins over S when both are reached */
	MXP_CHECK_EQ(t, compile("S:2,L:9,(1Sx|1Lxx)", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, feed(&dm, &st, "1", &now), MXP_MP_DM_MORE);
	MXP_CHECK(t, st.timer == 'L');
	/* Z: a long event takes the Z position; a short one the ordinary one */
	MXP_CHECK_EQ(t, compile("(Z1|1x)", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, '1', true, ++now), MXP_MP_DM_UM);
	MXP_CHECK_STR(t, st.digits, "1");
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, '1', false, ++now), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, '7', false, ++now), MXP_MP_DM_UM);
	MXP_CHECK_STR(t, st.digits, "17");
	/* a long event no Z position takes is an ordinary one */
	MXP_CHECK_EQ(t, compile("(Z1|2x)", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, '2', true, ++now), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, '3', false, ++now), MXP_MP_DM_UM);
	/* the dial string is bounded: the event past it ends the collection */
	MXP_CHECK_EQ(t, compile("x.", &dm, &e), 0);
	mxp_mp_dm_start(&dm, &st, now);
	for (int i = 0; i < MXP_MP_DM_DIGITS_MAX; i++)
		MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, '7', false, ++now), MXP_MP_DM_MORE);
	MXP_CHECK_EQ(t, mxp_mp_dm_event(&dm, &st, '7', false, ++now), MXP_MP_DM_FM);
	MXP_CHECK_EQ(t, st.ndigits, MXP_MP_DM_DIGITS_MAX);
	/* the DTMF letters (H.248.1 E.6) */
	MXP_CHECK(t, mxp_mp_dm_letter('#') == 'F' && mxp_mp_dm_letter('*') == 'E' &&
		     mxp_mp_dm_letter('a') == 'A' && mxp_mp_dm_letter('D') == 'D' &&
		     mxp_mp_dm_letter('5') == '5' && mxp_mp_dm_letter('x') == 0);
	MXP_CHECK_STR(t, mxp_mp_dm_method(MXP_MP_DM_UM), "UM");
	MXP_CHECK_STR(t, mxp_mp_dm_method(MXP_MP_DM_PM), "PM");
	MXP_CHECK_STR(t, mxp_mp_dm_method(MXP_MP_DM_FM), "FM");
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(valid_maps_written_back),
	MXP_CASE(invalid_maps_refused_with_their_code),
	MXP_CASE(names_and_event_parameters),
	MXP_CASE(descriptor_in_messages),
	MXP_CASE(matching_unambiguous_partial_full),
	MXP_CASE(matching_timers_letters_and_z),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
