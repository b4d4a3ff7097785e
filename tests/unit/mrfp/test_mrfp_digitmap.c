/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mrfp digit collection with digit maps (H.248.1 7.1.14, the dd/ce event of E.6):
 * named maps stored with Modify = ROOT { DigitMap = ... }, referenced or given inline by
 * Events { dd/ce { DigitMap = ... } }, RFC 4733 digits sent by a participant of a switch
 * conference collected into one Notify dd/ce { ds = "...", Meth = UM|PM|FM }, the timers
 * on the MRFP's clock (the harness's fake one), audits, and the refusals that change
 * nothing.
 */
#include <stdio.h>

#include "mrfp_harness.h"

/* A leg whose m= line offers telephone-event on payload type 101, in context ctx. */
static uint32_t
add_te_leg(struct mxp_test_ctx *t, struct env *e, const char *ctx, const char *mode,
	   unsigned int s, uint32_t *ctx_out)
{
	char ts[64] = "";
	if (mode)
		snprintf(ts, sizeof(ts), "TerminationState { mxp/mode = %s }, ", mode);
	const char *r = transact(e, "Transaction = %u { Context = %s { Add = $ { Media { %s"
				 "Stream = 1 { LocalControl { Mode = SendReceive }, Local {\nv=0\n"
				 "c=IN IP4 $\nm=audio $ RTP/SAVP 0 101\na=rtpmap:101 telephone-event/8000\n"
				 "%s\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio %u RTP/SAVP 0 101\n"
				 "a=rtpmap:0 PCMU/8000\na=rtpmap:101 telephone-event/8000\n%s\n} } } } } }",
				 20 + s, ctx, ts, crypto(s, 1), PEER_IP, 9000 + 2 * s,
				 crypto(s + 1, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		fprintf(stderr, "# %s\n", r);
	if (ctx_out)
		*ctx_out = reply_ctx(r);
	return reply_leg(r, "Add");
}

/* An RFC 4733 event packet (PT 101) from the participant: event, RTP timestamp ts. */
static void
event_srtp(struct sender *sd, uint32_t ssrc, const struct mxp_leg_info *li, uint8_t event,
	   uint32_t ts)
{
	uint8_t rtp[12 + 4 + MXP_SRTP_MAX_TRAILER];
	memset(rtp, 0, sizeof(rtp));
	rtp[0] = 0x80;
	rtp[1] = 101;
	rtp[2] = (uint8_t)(sd->seq >> 8);
	rtp[3] = (uint8_t)sd->seq;
	sd->seq++;
	uint32_t v = htonl(ts);
	memcpy(rtp + 4, &v, 4);
	v = htonl(ssrc);
	memcpy(rtp + 8, &v, 4);
	rtp[12] = event;
	rtp[13] = 10; /* volume -10 dBm0 */
	rtp[15] = 160;
	size_t len = 12 + 4;
	if (mxp_srtp_protect(sd->ctx, rtp, &len, sizeof(rtp)) != 0)
		abort();
	send_to_leg(li, rtp, len);
}

/* How many of the recorded Notify texts contain s. */
static unsigned int
notified(const char *s)
{
	unsigned int k = 0;
	for (unsigned int i = 0; i < n_notify && i < 16; i++)
		k += strstr(notify_text[i], s) != NULL;
	return k;
}

/* A participant pressing keys: "25#" -> RFC 4733 events 2, 5, 11, one timestamp each. */
struct keys {
	struct sender sd;
	struct mxp_leg_info li;
	uint32_t ts;
};

static void
press(struct env *e, struct keys *k, const char *s)
{
	for (; *s; s++) {
		uint8_t ev = *s == '*' ? 10 : *s == '#' ? 11 : *s >= 'A' ? (uint8_t)(12 + *s - 'A')
										: (uint8_t)(*s - '0');
		event_srtp(&k->sd, 0x4444, &k->li, ev, k->ts += 800);
		mxp_mrfp_events_poll(e->m, 0); /* the log holds a few digits: read each */
	}
}

MXP_TEST(collect_digits_with_a_named_map)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_te_leg(t, &e, "$", "switch", 1, &c);
	struct keys k = { .ts = 1000 };
	k.li = leg(&e, l);
	sender_init(&k.sd, 2, 0x4444); /* the participant's key: the Remote one, seed 1 + 1 */
	/* a named map for every leg, on ROOT */
	const char *r = transact(&e, "Transaction = 1 { Context = - { Modify = ROOT { "
				 "DigitMap = dm1 { (1xx|2x.F) } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { "
		     "Events = 7 { dd/ce { DigitMap = dm1 } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, (mxp_mrfp_leg_find(e.m, l)->ev & MXP_MRFP_EV_CE) != 0);
	/* 2, 5, # (F): 2x.F matches unambiguously at # */
	press(&e, &k, "25");
	MXP_CHECK_EQ(t, n_notify, 0);
	press(&e, &k, "#");
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK(t, strstr(notify_text[0], "ObservedEvents = 7 { dd/ce{ds=\"25F\",Meth=UM} }") != NULL);
	/* collected: further digits are not (until a new Events descriptor) */
	press(&e, &k, "123");
	now_ms_val += 60000;
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 1);
	/* a new Events descriptor starts a new collection: 1xx */
	r = transact(&e, "Transaction = 3 { Context = %u { Modify = leg/%u { "
		     "Events = 8 { dd/ce { DigitMap = dm1 } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	press(&e, &k, "190");
	MXP_CHECK_EQ(t, n_notify, 2);
	MXP_CHECK(t, notified("ObservedEvents = 8 { dd/ce{ds=\"190\",Meth=UM} }") == 1);
	/* audits: the maps, and the requested event */
	r = transact(&e, "Transaction = 4 { Context = - { AuditValue = ROOT { Audit { DigitMap } } } }");
	MXP_CHECK(t, strstr(r, "DigitMap = dm1 { (1xx|2x.F) }") != NULL);
	r = transact(&e, "Transaction = 5 { Context = %u { AuditValue = leg/%u { Audit { Events, "
		     "DigitMap } } } }", c, l);
	MXP_CHECK(t, strstr(r, "Events = 8 { dd/ce }") != NULL);
	MXP_CHECK(t, strstr(r, "DigitMap = dm1 { (1xx|2x.F) }") != NULL);
	/* redefining a name replaces the map (legs collecting keep theirs) */
	r = transact(&e, "Transaction = 6 { Context = - { Modify = ROOT { "
		     "DigitMap = dm1 { T:4,(3x|4) } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 7 { Context = - { AuditValue = ROOT { Audit { DigitMap } } } }");
	MXP_CHECK(t, strstr(r, "DigitMap = dm1 { T:4,(3x|4) }") != NULL);
	/* more digits within one events poll than its log holds while dd/ce is asked for:
	 * the collection cannot see them, and they are counted (dd_lost) */
	r = transact(&e, "Transaction = 8 { Context = %u { Modify = leg/%u { "
		     "Events = 9 { dd/ce { DigitMap = dm1 } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint64_t lost0 = mxp_mrfp_counters(e.m)->dd_lost;
	for (unsigned int i = 0; i < MXP_LEG_DTMF_LOG + 2; i++)
		event_srtp(&k.sd, 0x4444, &k.li, 5, k.ts += 800);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->dd_lost - lost0, 2);
	sender_fini(&k.sd);
	env_free(&e);
}

MXP_TEST(timers_and_inline_maps)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_te_leg(t, &e, "$", "switch", 1, &c);
	struct keys k = { .ts = 1000 };
	k.li = leg(&e, l);
	sender_init(&k.sd, 2, 0x4444);
	/* inline, long timer 2 s: "1" then nothing -> partial match when it expires */
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { "
				 "Events = 9 { dd/ce { DigitMap = { L:2,(1xx|2x.F) } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	press(&e, &k, "1");
	now_ms_val += 1999;
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 0);
	now_ms_val += 1;
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK(t, notified("dd/ce{ds=\"1\",Meth=PM}") == 1);
	/* an event no alternative takes: partial match at once, without it */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { "
		     "Events = 10 { dd/ce { DigitMap = { (1xx|2x.F) } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	press(&e, &k, "3");
	MXP_CHECK_EQ(t, n_notify, 2);
	MXP_CHECK(t, notified("dd/ce{ds=\"\",Meth=PM}") == 1);
	/* full match: 12 complete, 123 possible: the short timer (1 s) ends it with FM */
	r = transact(&e, "Transaction = 3 { Context = %u { Modify = leg/%u { "
		     "Events = 11 { dd/ce { DigitMap = { S:1,(12|123) } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	press(&e, &k, "12");
	MXP_CHECK_EQ(t, n_notify, 2);
	now_ms_val += 1000;
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 3);
	MXP_CHECK(t, notified("dd/ce{ds=\"12\",Meth=FM}") == 1);
	/* the start timer: nothing pressed within T */
	r = transact(&e, "Transaction = 4 { Context = %u { Modify = leg/%u { "
		     "Events = 12 { dd/ce { DigitMap = { T:3,(1x) } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	now_ms_val += 2999;
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 3);
	now_ms_val += 1;
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 4);
	MXP_CHECK(t, notified("ObservedEvents = 12 { dd/ce{ds=\"\",Meth=PM} }") == 1);
	/* the command's own unnamed DigitMap, with dd/std beside: one Notify per digit, then
	 * the collection */
	r = transact(&e, "Transaction = 5 { Context = %u { Modify = leg/%u { DigitMap = { (9x) }, "
		     "Events = 13 { dd/std, dd/ce } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	press(&e, &k, "91");
	MXP_CHECK_EQ(t, n_notify, 7);
	MXP_CHECK(t, notified("dd/ce{ds=\"91\",Meth=UM}") == 1);
	MXP_CHECK(t, notified("dd/std{tid=d9}") == 1);
	/* an Events descriptor without dd/ce ends the collection */
	r = transact(&e, "Transaction = 6 { Context = %u { Modify = leg/%u { "
		     "Events = 14 { dd/ce { DigitMap = { T:1,(1x) } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 7 { Context = %u { Modify = leg/%u { Events = 15 { g/sc } } } }",
		     c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	now_ms_val += 5000;
	press(&e, &k, "1");
	MXP_CHECK_EQ(t, n_notify, 7);
	/* a leg that goes takes its collection with it */
	r = transact(&e, "Transaction = 8 { Context = %u { Modify = leg/%u { "
		     "Events = 16 { dd/ce { DigitMap = { T:1,(1x) } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 9 { Context = %u { Subtract = leg/%u } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	now_ms_val += 5000;
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 7);
	sender_fini(&k.sd);
	env_free(&e);
}

MXP_TEST(bad_digit_maps_change_nothing)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_te_leg(t, &e, "$", "switch", 1, &c);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { "
				 "Events = 3 { dd/std } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	static const struct { unsigned int code; const char *what; } rows[] = {
		{ 457, "Events = 4 { dd/ce }" },
		{ 457, "Events = 4 { dd/ce { KeepActive } }" },
		{ 520, "Events = 4 { dd/ce { DigitMap = nosuch } }" },
		{ 400, "Events = 4 { dd/ce { DigitMap = { (1#) } } }" },
		{ 449, "Events = 4 { dd/ce { DigitMap = { [9-2]x } } }" },
		{ 400, "Events = 4 { dd/ce { DigitMap = 9bad } }" },
		{ 520, "DigitMap = nosuch" },
		/* the map is defined only when the whole command succeeds */
		{ 440, "DigitMap = dmx { (1x) }, Events = 4 { foo/bar }" },
	};
	for (size_t i = 0; i < RTE_DIM(rows); i++) {
		uint64_t errs = mxp_mrfp_counters(e.m)->err_by_code[rows[i].code];
		r = transact(&e, "Transaction = %zu { Context = %u { Modify = leg/%u { %s } } }",
			     10 + i, c, l, rows[i].what);
		if (err_code(r) != rows[i].code)
			printf("#   %s: %s\n", rows[i].what, r);
		MXP_CHECK_EQ(t, err_code(r), rows[i].code);
		MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->err_by_code[rows[i].code], errs + 1);
		MXP_CHECK_EQ(t, mxp_mrfp_leg_find(e.m, l)->ev, MXP_MRFP_EV_DD);
		MXP_CHECK_EQ(t, mxp_mrfp_leg_find(e.m, l)->rid, 3);
	}
	r = transact(&e, "Transaction = 30 { Context = - { AuditValue = ROOT { Audit { DigitMap } } } }");
	MXP_CHECK(t, strstr(r, "dmx") == NULL);
	/* a bad map in a DigitMap descriptor: lib/mp refuses the message (400 at the '#') */
	r = transact(&e, "Transaction = 31 { Context = - { Modify = ROOT { "
		     "DigitMap = dm1 { (1xx|2x.#) } } } }");
	MXP_CHECK(t, strstr(r, "PARSE ERROR 400") != NULL);
	/* 519: the MRFP stores 32 named maps; the 33rd is refused and nothing changes */
	for (int i = 0; i < 32; i++) {
		r = transact(&e, "Transaction = %d { Context = - { Modify = ROOT { "
			     "DigitMap = m%d { (%dx) } } } }", 40 + i, i, i % 10);
		MXP_CHECK_EQ(t, err_code(r), 0);
	}
	r = transact(&e, "Transaction = 80 { Context = - { Modify = ROOT { DigitMap = m5 { (55) }, "
		     "DigitMap = m99 { (9) } } } }");
	MXP_CHECK_EQ(t, err_code(r), 519);
	r = transact(&e, "Transaction = 81 { Context = - { AuditValue = ROOT { Audit { DigitMap } } } }");
	MXP_CHECK(t, strstr(r, "DigitMap = m5 { 5x }") != NULL); /* not 55: nothing changed */
	MXP_CHECK(t, strstr(r, "m99") == NULL);
	/* redefining one of the 32 is fine */
	r = transact(&e, "Transaction = 82 { Context = - { Modify = ROOT { DigitMap = m5 { (55) } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	/* Modify of ROOT with anything else than digit maps is as before */
	r = transact(&e, "Transaction = 83 { Context = - { Modify = ROOT { Events = 1 { g/sc } } } }");
	MXP_CHECK(t, err_code(r) != 0);
	env_free(&e);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(collect_digits_with_a_named_map),
	MXP_CASE(timers_and_inline_maps),
	MXP_CASE(bad_digit_maps_change_nothing),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
