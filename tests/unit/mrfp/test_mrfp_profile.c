/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mrfp and the 3GPP Mp profile (TS 29.333; procedures of TS 23.333): transaction
 * sequences an MRFC sends, written from the procedures, with the standard packages:
 *
 *   audit of packages               AuditValue / AuditCapability with Audit { Packages }
 *   unsupported optional packages   440, 501, 512, 513, 446: the right code, nothing changed
 *   digit collection (switch)       Events { dd/std, mxp/dtmf }, RFC 4733 digits sent by a
 *                                   participant of a switch conference, one Notify per digit
 *   announcement to one leg         Signals { an/apf } + Events { g/sc }: completion Notify
 *   tone into a conference          Modify = * { Signals { cg/... } }
 *   ServiceChangeProfile            the MRFC's profile, negotiation of the version
 *   statistics                      nt/dur, rtp/pl, rtp/jit beside rtp/ps, nt/os
 *
 * The signals themselves are lib/conf's (mxp_conf_leg_signal_start() and friends); while
 * lib/conf only has their stubs ("not implemented yet"), the announcement and tone
 * sequences check what the MRFP does up to lib/conf (513 and nothing left behind) and say
 * so in the TAP output.
 */
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "mrfp_harness.h"
#include "mxp_mp_trans.h"

/* lib/conf plays signals (not its stubs). */
static bool
signals_work(struct env *e)
{
	char err[160];
	int r = mxp_conf_signal_configure(e->sys, NULL, NULL, err, sizeof(err));
	return r != -ENOTSUP;
}

static unsigned int notified(const char *s);

/*
 * Run the conference in real time (the mix ticks every 20 ms) and poll the MRFP's events
 * until a Notify containing s went out; gives up after max_ms (a limit, not a timing).
 */
static bool
run_until_notified(struct env *e, const char *s, unsigned int max_ms)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), next = t0;
	while (rte_rdtsc() < t0 + hz * max_ms / 1000) {
		mxp_conf_worker_poll(g_w);
		if (rte_rdtsc() >= next) {
			mxp_mrfp_events_poll(e->m, 0);
			if (notified(s))
				return true;
			next += hz / 100;
		}
	}
	return false;
}

/* An announcement directory with welcome.wav: 200 ms of 440 Hz, 8 kHz 16-bit mono. */
static char ann_dir[64];

static bool
make_announcement(void)
{
	snprintf(ann_dir, sizeof(ann_dir), "/tmp/mxp_mrfp_ann_XXXXXX");
	if (mkdtemp(ann_dir) == NULL)
		return false;
	char path[128];
	snprintf(path, sizeof(path), "%s/welcome.wav", ann_dir);
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return false;
	const uint32_t n = 1600, rate = 8000, bytes = n * 2;
	uint8_t h[44];
	memcpy(h, "RIFF", 4);
	uint32_t v = 36 + bytes;
	memcpy(h + 4, &v, 4);
	memcpy(h + 8, "WAVEfmt ", 8);
	v = 16;
	memcpy(h + 16, &v, 4);
	uint16_t w = 1;
	memcpy(h + 20, &w, 2); /* PCM */
	memcpy(h + 22, &w, 2); /* mono */
	memcpy(h + 24, &rate, 4);
	v = rate * 2;
	memcpy(h + 28, &v, 4);
	w = 2;
	memcpy(h + 32, &w, 2);
	w = 16;
	memcpy(h + 34, &w, 2);
	memcpy(h + 36, "data", 4);
	memcpy(h + 40, &bytes, 4);
	fwrite(h, 1, sizeof(h), f);
	for (uint32_t i = 0; i < n; i++) {
		int16_t x = (int16_t)(8000.0 * sin(2.0 * M_PI * 440.0 * i / rate));
		fwrite(&x, 2, 1, f);
	}
	return fclose(f) == 0;
}

static void
remove_announcement(void)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/welcome.wav", ann_dir);
	unlink(path);
	rmdir(ann_dir);
}

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
	   uint32_t ts, bool end)
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
	rtp[13] = (uint8_t)((end ? 0x80 : 0) | 10); /* E bit, volume -10 dBm0 */
	rtp[14] = 0;
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

/* ---- audits ---------------------------------------------------------------------------------- */

MXP_TEST(audit_reports_the_packages)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_leg(t, &e, "$", 1, &c);
	static const char *const mandatory[] = { "g", "root", "nt", "rtp", "dd", "tonegen", "cg",
						 "srvtn", "an", "aasb", "mxp" };
	const char *reqs[3];
	char b[3][200];
	snprintf(b[0], sizeof(b[0]), "Transaction = 1 { Context = - { AuditValue = ROOT { Audit { "
		 "Packages } } } }");
	snprintf(b[1], sizeof(b[1]), "Transaction = 2 { Context = %u { AuditValue = leg/%u { "
		 "Audit { Packages, Media } } } }", c, l);
	snprintf(b[2], sizeof(b[2]), "Transaction = 3 { Context = - { AuditCapability = ROOT { "
		 "Audit { Packages } } } }");
	for (int k = 0; k < 3; k++)
		reqs[k] = b[k];
	for (int k = 0; k < 3; k++) {
		const char *r = transact(&e, "%s", reqs[k]);
		MXP_CHECK_EQ(t, err_code(r), 0);
		/* lib/mp reads the reply back: every supported package with its version */
		struct mxp_mp_msg *pm = &req; /* (the request is done with) */
		struct mxp_mp_error pe;
		static char copy[65536];
		snprintf(copy, sizeof(copy), "%s", r);
		MXP_CHECK_EQ(t, mxp_mp_parse(copy, strlen(copy), pm, &pe), 0);
		const struct mxp_mp_cmd *rc = &pm->cmds[0];
		MXP_CHECK(t, rc->has_packages);
		for (size_t i = 0; i < RTE_DIM(mandatory); i++) {
			bool found = false;
			for (uint16_t j = 0; j < rc->packages.n; j++) {
				const struct mxp_mp_prop *p = &pm->props[rc->packages.first + j];
				found |= mxp_mp_str_eq(p->name, mandatory[i]) && p->value.len > 0 &&
					 p->value.p[0] >= '1' && p->value.p[0] <= '9';
			}
			if (!found)
				printf("#   %s not in %s\n", mandatory[i], r);
			MXP_CHECK(t, found);
		}
		/* an optional package the MRFP lacks is not claimed */
		/* nor the expanded tone packages, whose signal names are unconfirmed (doc/mp.md) */
		MXP_CHECK(t, strstr(r, "xcg-") == NULL && strstr(r, "xsrvtn-") == NULL);
		MXP_CHECK(t, strstr(r, "aasdc") == NULL && strstr(r, "cd-") == NULL);
	}
	MXP_CHECK(t, strstr(transact(&e, "%s", reqs[1]), "Packages { g-2, root-2") != NULL);
	env_free(&e);
}

MXP_TEST(unsupported_packages_answered_with_their_codes)
{
	struct env e = env_new();
	uint32_t c, cm;
	uint32_t l = add_leg(t, &e, "$", 1, &c);
	uint32_t lm = add_te_leg(t, &e, "$", "mix", 3, &cm);
	static const struct { uint16_t code; bool mix; const char *what; } rows[] = {
		{ 440, false, "Events = 3 { aasdc/dc }" },           /* optional: not supported */
		{ 512, false, "Events = 3 { ocp/mg_overload }" },   /* ROOT's, not a leg's */
		{ 440, false, "Events = 3 { foo/bar }" },            /* unknown package */
		{ 457, false, "Events = 3 { dd/ce }" },              /* needs a DigitMap */
		{ 512, false, "Events = 3 { nt/netfail }" },         /* a package we have, an event not */
		{ 440, true, "Signals { aasrec/record }" },
		{ 513, true, "Signals { aasb/playrec }" },            /* aasb: play only */
		{ 446, true, "Signals { aasb/play { an = 1, sp = 2 } }" },
		{ 440, true, "Signals { xcg/spec }" },
		{ 513, true, "Signals { an/apv { an = 1 } }" },       /* variable announcements */
		{ 513, true, "Signals { cg/nosuch }" },
		{ 446, true, "Signals { an/apf { an = 1, av = x } }" },
		{ 449, true, "Signals { an/apf { noc = 2 } }" },      /* no announcement id */
		{ 449, true, "Signals { tonegen/pt { tl = [cg/rt, cg/bt] } }" },
		{ 501, true, "Signals { cg/rt, cg/bt }" },            /* two at once */
		{ 400, true, "Signals { cg/rt { Duration = } }" },
		/* a switch conference plays signals (lib/conf test_conf_signal.c); a forward
		 * one refuses them: digits_in_a_forward_conference */
	};
	for (size_t i = 0; i < RTE_DIM(rows); i++) {
		uint64_t errs = mxp_mrfp_counters(e.m)->err_by_code[rows[i].code];
		const char *r = transact(&e, "Transaction = %zu { Context = %u { Modify = leg/%u { "
					 "%s%s } } }", 100 + i, rows[i].mix ? cm : c,
					 rows[i].mix ? lm : l, rows[i].what[0] == 'S' ?
					 "Events = 77 { g/sc }, " : "", rows[i].what);
		if (err_code(r) == rows[i].code && i == 3)
			MXP_CHECK(t, strstr(r, "DigitMap") != NULL);
		if (err_code(r) != rows[i].code)
			printf("#   %s: %s\n", rows[i].what, r);
		MXP_CHECK_EQ(t, err_code(r), rows[i].code);
		MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->err_by_code[rows[i].code], errs + 1);
		/* nothing changed: the events of the leg are still none */
		const struct mxp_mrfp_leg *rec = mxp_mrfp_leg_find(e.m, rows[i].mix ? lm : l);
		MXP_CHECK(t, rec != NULL && rec->ev == 0);
	}
	/* Signals are legal in Add and Modify only (lib/mp refuses them in audits: 447) */
	const char *r = transact(&e, "Transaction = 200 { Context = %u { AuditValue = leg/%u { "
				 "Signals { cg/rt } } } }", cm, lm);
	MXP_CHECK(t, strstr(r, "PARSE ERROR 447") != NULL);
	env_free(&e);
}

/* ---- digit collection ------------------------------------------------------------------------- */

MXP_TEST(digit_collection_in_a_switch_conference)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_te_leg(t, &e, "$", "switch", 1, &c);
	add_te_leg(t, &e, "$", NULL, 5, NULL); /* another conference: hears nothing of it */
	char ctx[16];
	snprintf(ctx, sizeof(ctx), "%u", c);
	uint32_t l2 = add_te_leg(t, &e, ctx, NULL, 3, NULL); /* a listener in the same one */
	struct mxp_leg_info li = leg(&e, l);
	struct sender sd;
	sender_init(&sd, 2, 0x4444); /* the participant's key: the Remote one, seed 1 + 1 */
	/* a digit before the request is not reported */
	event_srtp(&sd, 0x4444, &li, 9, 1000, false);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { "
				 "Events = 5 { dd/std, mxp/dtmf } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 0);
	/* "5": three packets of one event (same timestamp), then "#" */
	event_srtp(&sd, 0x4444, &li, 5, 2000, false);
	event_srtp(&sd, 0x4444, &li, 5, 2000, false);
	event_srtp(&sd, 0x4444, &li, 5, 2000, true);
	event_srtp(&sd, 0x4444, &li, 11, 3000, false);
	MXP_CHECK_EQ(t, leg(&e, l).st.dtmf, 3);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 4);
	MXP_CHECK_EQ(t, notified("dd/std{tid=d5}"), 1);
	MXP_CHECK_EQ(t, notified("dd/std{tid=do}"), 1);
	MXP_CHECK_EQ(t, notified("mxp/dtmf{digit=\"5\"}"), 1);
	MXP_CHECK_EQ(t, notified("mxp/dtmf{digit=\"#\"}"), 1);
	MXP_CHECK_EQ(t, notified("ObservedEvents = 5"), 4);
	/* oldest first */
	MXP_CHECK(t, strstr(notify_text[0], "d5") != NULL || strstr(notify_text[0], "\"5\"") != NULL);
	/* the digits were forwarded to the other participant like any payload */
	MXP_CHECK(t, leg(&e, l2).st.tx_pkts >= 4);
	/* each event once, whatever the poll rate */
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 4);
	/* only dd/std requested: no mxp/dtmf */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Events = 6 { dd/std } } } }",
		     c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	event_srtp(&sd, 0x4444, &li, 0, 4000, false);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 5);
	MXP_CHECK(t, strstr(notify_text[4], "ObservedEvents = 6 { dd/std{tid=d0} }") != NULL);
	/* the audit shows what is requested */
	r = transact(&e, "Transaction = 3 { Context = %u { AuditValue = leg/%u { Audit { Events } } } }",
		     c, l);
	MXP_CHECK(t, strstr(r, "Events = 6 { dd/std }") != NULL);
	sender_fini(&sd);
	env_free(&e);
}

/* A forward conference only authenticates SRTP: a digit is seen starting, not which one. */
MXP_TEST(digits_in_a_forward_conference)
{
	struct env e = env_new();
	/* forward: both keys of every leg are the conference key (seed 7) */
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { Media { "
				 "TerminationState { mxp/mode = forward }, Stream = 1 { Local {\nv=0\n"
				 "c=IN IP4 $\nm=audio $ RTP/SAVP 0 101\n%s\n}, Remote {\nv=0\n"
				 "c=IN IP4 %s\nm=audio 9100 RTP/SAVP 0 101\n"
				 "a=rtpmap:101 telephone-event/8000\n%s\n} } }, "
				 "Events = 5 { mxp/dtmf, dd/std } } } }", crypto(7, 1), PEER_IP,
				 crypto(7, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("#   %s\n", r);
	uint32_t l = reply_leg(r, "Add"), ctx = reply_ctx(r);
	struct mxp_leg_info li = leg(&e, l);
	struct sender sd;
	sender_init(&sd, 7, 0x5555);
	event_srtp(&sd, 0x5555, &li, 5, 1000, false);
	event_srtp(&sd, 0x5555, &li, 5, 1000, true);
	MXP_CHECK_EQ(t, leg(&e, l).st.dtmf, 1);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK_EQ(t, notified("mxp/dtmf{event=255}"), 1);
	MXP_CHECK_EQ(t, notified("dd/std"), 0); /* no digit to name */
	/* signals: 513, the MRFP has no key it may encrypt with there */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Signals { cg/dt } } "
		     "} }", ctx, l);
	MXP_CHECK(t, err_code(r) == 513 && strstr(r, "forward conference") != NULL);
	sender_fini(&sd);
	env_free(&e);
}

/* ---- signals ------------------------------------------------------------------------------------ */

MXP_TEST(announcement_to_one_leg_with_completion)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_te_leg(t, &e, "$", "mix", 1, &c);
	char ctx[16];
	snprintf(ctx, sizeof(ctx), "%u", c);
	uint32_t l2 = add_te_leg(t, &e, ctx, NULL, 3, NULL);
	MXP_CHECK(t, make_announcement());
	char err[160];
	bool works = signals_work(&e);
	if (works)
		MXP_CHECK_EQ(t, mxp_conf_signal_configure(e.sys, NULL, ann_dir, err, sizeof(err)), 0);
	/* TS 23.333 "play announcement": the announcement twice, notify its completion */
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { "
				 "Events = 9 { g/sc }, Signals { an/apf { an = welcome, noc = 2, "
				 "NotifyCompletion = { TimeOut, InterruptByNewSignalsDescr }, "
				 "RequestID = 9 } } } } }", c, l);
	const struct mxp_mrfp_leg *rec = mxp_mrfp_leg_find(e.m, l);
	if (!works) {
		printf("# lib/conf's signals are stubs: the announcement is refused (513); "
		       "completion not checked\n");
		MXP_CHECK_EQ(t, err_code(r), 513);
		MXP_CHECK(t, strstr(r, "an/apf") != NULL);
		/* the command's other parts (events) applied, nothing plays */
		MXP_CHECK(t, rec != NULL && (rec->ev & MXP_MRFP_EV_SC));
		r = transact(&e, "Transaction = 2 { Context = %u { AuditValue = leg/%u { Audit { "
			     "Signals } } } }", c, l);
		MXP_CHECK(t, strstr(r, "Signals{}") != NULL);
		remove_announcement();
		env_free(&e);
		return;
	}
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("#   %s\n", r);
	r = transact(&e, "Transaction = 2 { Context = %u { AuditValue = leg/%u { Audit { Signals } } } }",
		     c, l);
	MXP_CHECK(t, strstr(r, "Signals{an/apf}") != NULL);
	/* played to its end (2 x 200 ms): g/sc Meth=TO, to that leg only, once */
	MXP_CHECK(t, run_until_notified(&e, "g/sc{SigID=an/apf,Meth=TO,RID=9}", 5000));
	MXP_CHECK_EQ(t, n_notify, 1);
	char want[64];
	snprintf(want, sizeof(want), "Notify = leg/%u", l);
	MXP_CHECK(t, strstr(notify_text[0], want) != NULL);
	MXP_CHECK(t, strstr(notify_text[0], "ObservedEvents = 9") != NULL);
	r = transact(&e, "Transaction = 3 { Context = %u { AuditValue = leg/%u { Audit { Signals } } } }",
		     c, l);
	MXP_CHECK(t, strstr(r, "Signals{}") != NULL);
	/* a new descriptor interrupts a playing one: g/sc with Meth=SD at once */
	r = transact(&e, "Transaction = 4 { Context = %u { Modify = leg/%u { Signals { an/apf { "
		     "an = welcome, noc = 500, NC = { IBS } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 5 { Context = %u { Modify = leg/%u { Signals { } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, n_notify, 2);
	MXP_CHECK_EQ(t, notified("g/sc{SigID=an/apf,Meth=SD}"), 1);
	/* KeepActive: the same signal, still playing, goes on (no SD), then a list in order */
	r = transact(&e, "Transaction = 6 { Context = %u { Modify = leg/%u { Signals { cg/dt { "
		     "NC = { IBS, TO } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 7 { Context = %u { Modify = leg/%u { Signals { cg/dt { "
		     "KeepActive, NC = { IBS, TO } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, n_notify, 2);
	r = transact(&e, "Transaction = 8 { Context = %u { Modify = leg/%u { Signals { SignalList = 3 "
		     "{ srvtn/conf { Duration = 100 }, cg/bt { Duration = 100 } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, notified("g/sc{SigID=cg/dt,Meth=SD}"), 1);
	MXP_CHECK(t, run_until_notified(&e, "g/sc{SigID=cg/bt,Meth=TO,SLID=3}", 5000));
	MXP_CHECK_EQ(t, notified("g/sc{SigID=srvtn/conf,Meth=TO,SLID=3}"), 1);
	/* the other participant asked for nothing and heard of nothing */
	snprintf(want, sizeof(want), "Notify = leg/%u", l2);
	MXP_CHECK_EQ(t, notified(want), 0);
	/* the same announcement as H.248.9's aasb/play */
	r = transact(&e, "Transaction = 10 { Context = %u { Modify = leg/%u { Signals { aasb/play { "
		     "an = welcome, iter = 1 } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, run_until_notified(&e, "g/sc{SigID=aasb/play,Meth=TO}", 5000));
	/* a missing announcement file: 449, the leg unchanged */
	r = transact(&e, "Transaction = 9 { Context = %u { Modify = leg/%u { Signals { an/apf { "
		     "an = nosuch } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 449);
	remove_announcement();
	env_free(&e);
}

/*
 * H.248.1 8.2.2 all or nothing: a command whose Signals cannot play (an announcement file
 * that is not there) changes nothing: not the descriptors beside it, not the signal that
 * plays (no SD completion, still audited), and an Add leaves no termination behind.
 */
MXP_TEST(a_signal_that_cannot_play_changes_nothing)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_te_leg(t, &e, "$", "mix", 1, &c);
	if (!signals_work(&e)) {
		printf("# lib/conf's signals are stubs: not checked\n");
		env_free(&e);
		return;
	}
	MXP_CHECK(t, make_announcement());
	char err[160];
	MXP_CHECK_EQ(t, mxp_conf_signal_configure(e.sys, NULL, ann_dir, err, sizeof(err)), 0);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { "
				 "Events = 4 { g/sc }, Signals { cg/dt { NC = { IBS, TO } } } } } }",
				 c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	/* new events and a missing announcement: 449, the events stay those of before */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Events = 5 { dd/std }, "
		     "Signals { an/apf { an = nosuch } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 449);
	const struct mxp_mrfp_leg *rec = mxp_mrfp_leg_find(e.m, l);
	MXP_CHECK(t, rec != NULL && (rec->ev & MXP_MRFP_EV_SC) && !(rec->ev & MXP_MRFP_EV_DD));
	/* the dial tone still plays, and nobody was told it was interrupted */
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, notified("Meth=SD"), 0);
	r = transact(&e, "Transaction = 3 { Context = %u { AuditValue = leg/%u { Audit { Signals } } } }",
		     c, l);
	MXP_CHECK(t, strstr(r, "Signals{cg/dt}") != NULL);
	/* the same for the conference's signal */
	r = transact(&e, "Transaction = 4 { Context = %u { Modify = * { Signals { srvtn/conf { "
		     "NC = { IBS } } } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 5 { Context = %u { Modify = * { Signals { an/apf { "
		     "an = nosuch } } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 449);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, notified("SigID=srvtn/conf,Meth=SD"), 0);
	/* an Add whose announcement is missing: no leg */
	int before = mxp_conf_legs(e.sys, c, NULL, 0);
	char ctx[16];
	snprintf(ctx, sizeof(ctx), "%u", c);
	r = transact(&e, "Transaction = 6 { Context = %s { Add = $ { Signals { an/apf { an = nosuch "
		     "} }, Media { Stream = 1 { LocalControl { Mode = SendReceive }, Local {\nv=0\n"
		     "c=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n}, Remote {\nv=0\nc=IN IP4 %s\n"
		     "m=audio 9100 RTP/SAVP 0\na=rtpmap:0 PCMU/8000\n%s\n} } } } } }",
		     ctx, crypto(11, 1), PEER_IP, crypto(12, 1));
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, c, NULL, 0), before);
	remove_announcement();
	env_free(&e);
}

/*
 * An audit's reply names what plays; a later command of the same transaction that starts
 * a signal on a new target (the MRFP's table of what plays grows) leaves the reply intact.
 */
MXP_TEST(audited_signal_survives_the_transaction)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t first = add_te_leg(t, &e, "$", "mix", 1, &c);
	if (!signals_work(&e)) {
		printf("# lib/conf's signals are stubs: not checked\n");
		env_free(&e);
		return;
	}
	char ctx[16];
	snprintf(ctx, sizeof(ctx), "%u", c);
	const char *r;
	/* 16 targets playing: the table's first size */
	for (unsigned int i = 0; i < 16; i++) {
		uint32_t l = i == 0 ? first : add_te_leg(t, &e, ctx, NULL, 3 + 2 * i, NULL);
		r = transact(&e, "Transaction = %u { Context = %u { Modify = leg/%u { Signals { "
			     "cg/dt } } } }", 100 + i, c, l);
		MXP_CHECK_EQ(t, err_code(r), 0);
	}
	r = transact(&e, "Transaction = 200 { Context = %u { AuditValue = leg/%u { Audit { Signals "
		     "} }, Modify = * { Signals { cg/rt } } } }", c, first);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "Signals{cg/dt}") != NULL);
	env_free(&e);
}

MXP_TEST(tone_into_a_conference)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l1 = add_te_leg(t, &e, "$", "mix", 1, &c);
	char ctx[16];
	snprintf(ctx, sizeof(ctx), "%u", c);
	uint32_t l2 = add_te_leg(t, &e, ctx, NULL, 3, NULL);
	(void)l2;
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { Events = 4 "
				 "{ g/sc } } } }", c, l1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	/* a join tone for everyone: Modify = * names the conference */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = * { Signals { srvtn/conf { "
		     "Duration = 500 } } } } }", c);
	if (!signals_work(&e)) {
		printf("# lib/conf's signals are stubs: the tone is refused (513); completion not "
		       "checked\n");
		MXP_CHECK_EQ(t, err_code(r), 513);
		MXP_CHECK(t, strstr(r, "Modify = *") != NULL);
		env_free(&e);
		return;
	}
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 3 { Context = %u { AuditValue = leg/%u { Audit { Signals } } } }",
		     c, l1);
	MXP_CHECK(t, strstr(r, "Signals{srvtn/conf}") != NULL);
	/* its end: g/sc to the leg that asked (l1), not to l2 */
	MXP_CHECK(t, run_until_notified(&e, "g/sc{SigID=srvtn/conf,Meth=TO}", 5000));
	MXP_CHECK_EQ(t, n_notify, 1);
	char want[64];
	snprintf(want, sizeof(want), "Notify = leg/%u", l1);
	MXP_CHECK(t, strstr(notify_text[0], want) != NULL);
	/* a switch conference plays it too (a stream of the MRFP's own toward each leg) */
	uint32_t cs;
	add_te_leg(t, &e, "$", "switch", 5, &cs);
	r = transact(&e, "Transaction = 4 { Context = %u { Modify = * { Signals { cg/rt } } } }", cs);
	MXP_CHECK_EQ(t, err_code(r), 0);
	env_free(&e);
}

/* ---- the Base Root package ------------------------------------------------------------- */

/* The value of property name in reply r ("root/x = 5"), or -1. */
static long
prop_val(const char *r, const char *name)
{
	char want[80];
	snprintf(want, sizeof(want), "%s = ", name);
	const char *p = strstr(r, want);
	return p ? strtol(p + strlen(want), NULL, 10) : -1;
}

MXP_TEST(root_properties_audited_and_modified)
{
	struct mxp_mrfp_config cfg = cfg_default();
	cfg.legs_max = 100000;
	cfg.media_pairs = 5000;
	cfg.pending_ms = 120;
	cfg.retx_initial_ms = 300;
	struct env e = env_new_cfg(&cfg);
	static const char *const audit = "Context = - { AuditValue = ROOT { Audit { Media } } } }";
	const char *r = transact(&e, "Transaction = 1 { %s", audit);
	MXP_CHECK_EQ(t, err_code(r), 0);
	/* from the configuration: the media port pairs bound the contexts, a conference's
	 * 1024 legs the terminations; the MRFP's timers are [mp] pending_ms, the MRFC's the
	 * retransmission timers of our requests (lib/mp's 10 s after a Pending) */
	static const struct { const char *name; long v; } want[] = {
		{ "root/maxNumberOfContexts", 5000 }, { "root/maxTerminationsPerContext", 1024 },
		{ "root/normalMGExecutionTime", 120 },
		{ "root/MGProvisionalResponseTimerValue", 120 },
		{ "root/normalMGCExecutionTime", 300 },
		{ "root/MGCProvisionalResponseTimerValue", 10000 },
		{ "root/MGCOriginatedPendingLimit", 4 }, { "root/MGOriginatedPendingLimit", 1 },
	};
	for (size_t i = 0; i < RTE_DIM(want); i++) {
		if (prop_val(r, want[i].name) != want[i].v)
			printf("#   %s: %ld in %s\n", want[i].name, prop_val(r, want[i].name), r);
		MXP_CHECK_EQ(t, prop_val(r, want[i].name), want[i].v);
	}
	/* lib/mp reads the reply back */
	static char copy[16384];
	struct mxp_mp_error pe;
	snprintf(copy, sizeof(copy), "%s", r);
	MXP_CHECK_EQ(t, mxp_mp_parse(copy, strlen(copy), &req, &pe), 0);
	MXP_CHECK_EQ(t, req.cmds[0].ts_props.n, RTE_DIM(want));

	/* the MRFC sets its timers: the MRFP uses them for its own requests */
	r = transact(&e, "Transaction = 2 { Context = - { Modify = ROOT { Media { "
		     "TerminationState { root/normalMGCExecutionTime = 500, "
		     "root/MGCProvisionalResponseTimerValue = 2000, "
		     "root/MGCOriginatedPendingLimit = 7 } } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "Modify = ROOT") != NULL);
	struct mxp_mp_retx_params rp = { .initial_ms = 250, .max_ms = 4000, .give_up_ms = 30000,
					 .pending_ms = 10000 };
	mxp_mrfp_retx_params(e.m, &rp);
	MXP_CHECK_EQ(t, rp.initial_ms, 500);
	MXP_CHECK_EQ(t, rp.pending_ms, 2000);
	MXP_CHECK_EQ(t, rp.max_ms, 4000); /* not the MRFC's */
	MXP_CHECK_EQ(t, mxp_mrfp_pending_limit(e.m), 7);
	r = transact(&e, "Transaction = 3 { %s", audit);
	MXP_CHECK_EQ(t, prop_val(r, "root/normalMGCExecutionTime"), 500);
	MXP_CHECK_EQ(t, prop_val(r, "root/MGCProvisionalResponseTimerValue"), 2000);
	MXP_CHECK_EQ(t, prop_val(r, "root/MGCOriginatedPendingLimit"), 7);

	/* AuditCapability: the ranges a Modify may set, the other properties' values */
	r = transact(&e, "Transaction = 4 { Context = - { AuditCapability = ROOT { Audit { "
		     "Media } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "root/normalMGCExecutionTime = [1:60000]") != NULL);
	MXP_CHECK(t, strstr(r, "root/MGCOriginatedPendingLimit = [1:100]") != NULL);
	MXP_CHECK_EQ(t, prop_val(r, "root/maxNumberOfContexts"), 5000);

	/* refused with their codes, and nothing changes (a good one beside a bad one too) */
	static const struct { uint16_t code; const char *ts; } bad[] = {
		{ 455, "root/maxNumberOfContexts = 10" },                     /* read-only */
		{ 455, "root/normalMGCExecutionTime = 800, root/maxTerminationsPerContext = 2" },
		{ 501, "root/normalMGExecutionTime = 50" },                   /* the MRFP's own */
		{ 501, "root/MGProvisionalResponseTimerValue = 50" },
		{ 501, "root/MGOriginatedPendingLimit = 2" },
		{ 449, "root/normalMGCExecutionTime = 800, root/MGCOriginatedPendingLimit = 0" },
		{ 449, "root/normalMGCExecutionTime = 60001" },
		{ 449, "root/MGCProvisionalResponseTimerValue = x" },
		{ 449, "root/MGCOriginatedPendingLimit = 101" },
		{ 456, "root/normalMGCExecutionTime = 800, root/normalMGCExecutionTime = 900" },
		{ 450, "root/maxNumberOfCalls = 1" },
		{ 445, "mxp/mode = mix" },
	};
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		r = transact(&e, "Transaction = %zu { Context = - { Modify = ROOT { Media { "
			     "TerminationState { %s } } } } }", 10 + i, bad[i].ts);
		if (err_code(r) != bad[i].code)
			printf("#   %s: %s\n", bad[i].ts, r);
		MXP_CHECK_EQ(t, err_code(r), bad[i].code);
	}
	r = transact(&e, "Transaction = 40 { %s", audit);
	MXP_CHECK_EQ(t, prop_val(r, "root/normalMGCExecutionTime"), 500);
	MXP_CHECK_EQ(t, prop_val(r, "root/MGCOriginatedPendingLimit"), 7);
	MXP_CHECK_EQ(t, prop_val(r, "root/maxNumberOfContexts"), 5000);
	MXP_CHECK_EQ(t, prop_val(r, "root/normalMGExecutionTime"), 120);
	/* another MRFP starts from its configuration */
	env_free(&e);
	e = env_new();
	r = transact(&e, "Transaction = 1 { %s", audit);
	MXP_CHECK_EQ(t, prop_val(r, "root/normalMGCExecutionTime"), 250); /* lib/mp's default */
	MXP_CHECK_EQ(t, prop_val(r, "root/maxNumberOfContexts"), 1024);   /* legs_max */
	env_free(&e);
}

/* ---- ServiceChange and statistics ---------------------------------------------------------------- */

MXP_TEST(service_change_profile)
{
	struct env e = env_new();
	char want[64];
	const char *r = transact(&e, "Transaction = 1 { Context = - { ServiceChange = ROOT { Services { "
				 "Method = Handoff, Profile = %s/1, Version = 3 } } } }",
				 MXP_MP_PROFILE_3GPP_NAME);
	MXP_CHECK_EQ(t, err_code(r), 0);
	snprintf(want, sizeof(want), "Profile = %s/1", MXP_MP_PROFILE_3GPP_NAME);
	MXP_CHECK(t, strstr(r, want) != NULL);
	env_free(&e);
	struct mxp_mrfp_config cfg = cfg_default();
	cfg.profile = MXP_MRFP_PROFILE_MXP;
	e = env_new_cfg(&cfg);
	r = transact(&e, "Transaction = 1 { Context = - { ServiceChange = ROOT { Services { "
		     "Method = Handoff, Profile = mxp/1 } } } }");
	MXP_CHECK(t, strstr(r, "Profile = mxp/1") != NULL);
	/* no Profile in the request: none in the reply */
	r = transact(&e, "Transaction = 2 { Context = - { ServiceChange = ROOT { Services { "
		     "Method = Handoff } } } }");
	MXP_CHECK(t, strstr(r, "Profile") == NULL);
	env_free(&e);

	/* the MRFC's answer to our ServiceChange (H.248.1 11.3) */
	uint32_t v = 0;
	char err[160];
	MXP_CHECK_EQ(t, mxp_mrfp_profile_negotiate(MXP_MRFP_PROFILE_3GPP, mxp_mp_str_c(""), &v,
						   err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, v, MXP_MP_PROFILE_3GPP_VERSION);
	snprintf(want, sizeof(want), "%s/1", MXP_MP_PROFILE_3GPP_NAME);
	MXP_CHECK_EQ(t, mxp_mrfp_profile_negotiate(MXP_MRFP_PROFILE_3GPP, mxp_mp_str_c(want), &v,
						   err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, v, 1);
	snprintf(want, sizeof(want), "%s/2", MXP_MP_PROFILE_3GPP_NAME);
	MXP_CHECK_EQ(t, mxp_mrfp_profile_negotiate(MXP_MRFP_PROFILE_3GPP, mxp_mp_str_c(want), &v,
						   err, sizeof(err)), -ENOTSUP);
	MXP_CHECK(t, strstr(err, "/2") != NULL);
	MXP_CHECK_EQ(t, mxp_mrfp_profile_negotiate(MXP_MRFP_PROFILE_3GPP, mxp_mp_str_c("mxp/1"), &v,
						   err, sizeof(err)), -ENOTSUP);
	MXP_CHECK_EQ(t, mxp_mrfp_profile_negotiate(MXP_MRFP_PROFILE_MXP, mxp_mp_str_c("mxp/1"), &v,
						   err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_mrfp_profile_negotiate(MXP_MRFP_PROFILE_3GPP, mxp_mp_str_c("garbage"),
						   &v, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK(t, strcmp(mxp_mrfp_profile_name(MXP_MRFP_PROFILE_MXP), "mxp/1") == 0);

	/* the operator's spelling of the 3GPP profile ([mp] profile_name): announced, and the
	 * MRFC's reply checked against it; bad spellings refused, nothing changed */
	static const char *const bad[] = { "", "threegmrfp", "3gmrfp/1", "a-b/1", "x/0", "x/100",
					   "x/1a", "x/", "/1" };
	for (size_t i = 0; i < MXP_NCASES(bad); i++) {
		err[0] = '\0';
		MXP_CHECK_EQ(t, mxp_mrfp_profile_3gpp_set(bad[i], err, sizeof(err)), -EINVAL);
		MXP_CHECK(t, strstr(err, "NAME/VERSION") != NULL);
	}
	snprintf(want, sizeof(want), "%s/1", MXP_MP_PROFILE_3GPP_NAME);
	MXP_CHECK(t, strcmp(mxp_mrfp_profile_name(MXP_MRFP_PROFILE_3GPP), want) == 0);
	MXP_CHECK_EQ(t, mxp_mrfp_profile_3gpp_set("threegppmrfp_x/2", err, sizeof(err)), 0);
	MXP_CHECK(t, strcmp(mxp_mrfp_profile_name(MXP_MRFP_PROFILE_3GPP), "threegppmrfp_x/2") == 0);
	MXP_CHECK_EQ(t, mxp_mrfp_profile_negotiate(MXP_MRFP_PROFILE_3GPP,
						   mxp_mp_str_c("threegppmrfp_x/1"), &v, err,
						   sizeof(err)), 0);
	MXP_CHECK_EQ(t, v, 1);
	MXP_CHECK_EQ(t, mxp_mrfp_profile_negotiate(MXP_MRFP_PROFILE_3GPP, mxp_mp_str_c(want), &v,
						   err, sizeof(err)), -ENOTSUP);
	struct mxp_mrfp_config c3 = cfg_default();
	e = env_new_cfg(&c3);
	r = transact(&e, "Transaction = 3 { Context = - { ServiceChange = ROOT { Services { "
		     "Method = Handoff, Profile = threegppmrfp_x/2 } } } }");
	MXP_CHECK(t, strstr(r, "Profile = threegppmrfp_x/2") != NULL);
	env_free(&e);
	/* back to the built-in name for the cases that follow */
	MXP_CHECK_EQ(t, mxp_mrfp_profile_3gpp_set(want, err, sizeof(err)), 0);
}

MXP_TEST(statistics_of_nt_and_rtp)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_leg(t, &e, "$", 1, &c);
	tick_ms = 0;
	now_ms_val += 2500;
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Subtract = leg/%u { Audit { "
				 "Statistics } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "nt/dur = 2500") != NULL);
	MXP_CHECK(t, strstr(r, "rtp/pl = 0") != NULL);
	MXP_CHECK(t, strstr(r, "rtp/jit = 0") != NULL);
	MXP_CHECK(t, strstr(r, "rtp/ps = 0") != NULL && strstr(r, "nt/os = 0") != NULL);
	env_free(&e);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(audit_reports_the_packages),
	MXP_CASE(unsupported_packages_answered_with_their_codes),
	MXP_CASE(digit_collection_in_a_switch_conference),
	MXP_CASE(digits_in_a_forward_conference),
	MXP_CASE(announcement_to_one_leg_with_completion),
	MXP_CASE(tone_into_a_conference),
	MXP_CASE(audited_signal_survives_the_transaction),
	MXP_CASE(a_signal_that_cannot_play_changes_nothing),
	MXP_CASE(root_properties_audited_and_modified),
	MXP_CASE(service_change_profile),
	MXP_CASE(statistics_of_nt_and_rtp),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
