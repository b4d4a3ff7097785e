/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mrfp's overload control (H.248.11 ocp, mrfp_overload.c): driven past its marks by a
 * fake reply cache (ops.cache_fill) or by transactions that take all the time (the fake
 * clock), the MRFP refuses new contexts with 510 and changes nothing, sends ocp/mg_overload
 * on ROOT once per overload (again only after ocp_notify_ms) and only when asked, keeps
 * answering commands on existing contexts, and takes new contexts again when the pressure
 * ends (below the low mark).
 */
#include "mrfp_harness.h"

static uint32_t cache_used, cache_cap = 100;

static void
fake_cache(void *arg, uint32_t *used, uint32_t *cap)
{
	(void)arg;
	*used = cache_used;
	*cap = cache_cap;
}

/* The harness's MRFP replaced by one that sees the fake reply cache. */
static struct env
env_cache(void)
{
	struct env e = env_new();
	mxp_mrfp_destroy(e.m);
	struct mxp_mrfp_config c = cfg_default();
	struct mxp_mrfp_ops o = ops;
	o.cache_fill = fake_cache;
	char err[256];
	e.m = mxp_mrfp_create(&c, e.sys, &o, err, sizeof(err));
	if (e.m == NULL)
		abort();
	cache_used = 0;
	cache_cap = 100;
	return e;
}

/* An Add to context $ (seed s): the reply. */
static const char *
add_new(struct env *e, unsigned int tid, unsigned int s)
{
	return transact(e, "Transaction = %u { Context = $ { Add = $ { %s } } }", tid,
			media("", crypto(s, 1), PEER_IP, 8000 + 2 * s, crypto(s + 1, 1)));
}

static const char *
request_ocp(struct env *e, unsigned int tid)
{
	return transact(e, "Transaction = %u { Context = - { Modify = ROOT { Events = 7 { "
			"ocp/mg_overload } } } }", tid);
}

MXP_TEST(refused_and_notified_once_per_overload)
{
	struct env e = env_cache();
	const struct mxp_mrfp_counters *k = mxp_mrfp_counters(e.m);
	MXP_CHECK_EQ(t, err_code(request_ocp(&e, 1)), 0);
	uint32_t c1;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c1);
	MXP_CHECK(t, l1 != 0 && c1 != 0);
	MXP_CHECK_EQ(t, n_notify, 0);
	MXP_CHECK_EQ(t, k->overloaded, 0);

	/* 69 % of the cache: not yet; 70 %: overloaded */
	cache_used = 69;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 2, 3)), 0);
	MXP_CHECK(t, !mxp_mrfp_refused(e.m));
	MXP_CHECK_EQ(t, nconfs(&e), 2);
	cache_used = 70;
	uint64_t legs0 = k->legs;
	for (unsigned int i = 0; i < 3; i++) {
		const char *r = add_new(&e, 10 + i, 5 + 2 * i);
		MXP_CHECK_EQ(t, err_code(r), 510);
		MXP_CHECK(t, strstr(r, "overloaded") != NULL);
		MXP_CHECK(t, strstr(r, "Context = -") != NULL);
		/* refused whole: its reply may give its room in the reply cache */
		MXP_CHECK(t, mxp_mrfp_refused(e.m));
	}
	MXP_CHECK_EQ(t, nconfs(&e), 2);
	MXP_CHECK_EQ(t, k->legs, legs0);
	MXP_CHECK_EQ(t, k->ocp_refused, 3);
	MXP_CHECK_EQ(t, k->err_by_code[510], 3);
	MXP_CHECK_EQ(t, k->overloaded, 1);
	MXP_CHECK_EQ(t, k->ocp_episodes, 1);
	/* one Notify for the three, on ROOT in the null context, with the request's id */
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK_EQ(t, k->ocp_notifies, 1);
	MXP_CHECK(t, strstr(notify_text[0], "Context = -") != NULL);
	MXP_CHECK(t, strstr(notify_text[0], "Notify = ROOT") != NULL);
	MXP_CHECK(t, strstr(notify_text[0], "ObservedEvents = 7") != NULL);
	MXP_CHECK(t, strstr(notify_text[0], "ocp/mg_overload") != NULL);

	/* existing contexts are served: Add to one, Modify, audits, Subtract */
	char ctx[16];
	snprintf(ctx, sizeof(ctx), "%u", c1);
	uint32_t l2 = add_leg(t, &e, ctx, 20, NULL);
	MXP_CHECK(t, l2 != 0);
	MXP_CHECK(t, !mxp_mrfp_refused(e.m));
	const char *r = transact(&e, "Transaction = 30 { Context = %u { Modify = leg/%u { Media { "
				 "Stream = 1 { LocalControl { Mode = ReceiveOnly } } } } } }", c1, l2);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 31 { Context = %u { AuditValue = * { Audit { } } } }", c1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 32 { Context = - { AuditValue = ROOT { Audit { Events } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "Events = 7") != NULL && strstr(r, "ocp/mg_overload") != NULL);
	r = transact(&e, "Transaction = 33 { Context = %u { Subtract = leg/%u } }", c1, l2);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, !mxp_mrfp_refused(e.m));
	/* a refusal after a command that ran is no whole refusal */
	r = transact(&e, "Transaction = 35 { Context = - { Modify = ROOT { Events = 7 { "
		     "ocp/mg_overload } } }, Context = $ { Add = $ { %s } } }",
		     media("", crypto(70, 1), PEER_IP, 8140, crypto(71, 1)));
	MXP_CHECK_EQ(t, err_code(r), 510);
	MXP_CHECK(t, !mxp_mrfp_refused(e.m));
	/* a Move to context $ would create one: refused, the leg stays */
	r = transact(&e, "Transaction = 34 { Context = $ { Move = leg/%u { %s } } }", l1,
		     media("", crypto(1, 1), PEER_IP, 8002, crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), 510);
	MXP_CHECK(t, mxp_mrfp_refused(e.m));
	MXP_CHECK_EQ(t, leg(&e, l1).conf_id, c1);
	MXP_CHECK_EQ(t, n_notify, 1);

	/* still overloaded ocp_notify_ms later: the next refused Add notifies again */
	now_ms_val += 999;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 40, 41)), 510);
	MXP_CHECK_EQ(t, n_notify, 1);
	now_ms_val += 1;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 41, 43)), 510);
	MXP_CHECK_EQ(t, n_notify, 2);

	/* between the marks: still overloaded (hysteresis); below the low mark: over */
	cache_used = 50;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 50, 51)), 510);
	cache_used = 49;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 51, 53)), 0);
	MXP_CHECK_EQ(t, k->overloaded, 0);
	MXP_CHECK_EQ(t, nconfs(&e), 3);

	/* a new overload notifies at once */
	cache_used = 90;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 60, 61)), 510);
	MXP_CHECK_EQ(t, n_notify, 3);
	MXP_CHECK_EQ(t, k->ocp_episodes, 2);
	MXP_CHECK_EQ(t, k->ocp_refused, 9);
	env_free(&e);
}

MXP_TEST(no_notify_unless_asked)
{
	struct env e = env_cache();
	const struct mxp_mrfp_counters *k = mxp_mrfp_counters(e.m);
	cache_used = 80;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 1, 1)), 510);
	MXP_CHECK_EQ(t, n_notify, 0);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	/* asked, then stopped with an empty Events descriptor */
	MXP_CHECK_EQ(t, err_code(request_ocp(&e, 2)), 0);
	MXP_CHECK_EQ(t, err_code(transact(&e, "Transaction = 3 { Context = - { Modify = ROOT { "
					  "Events } } }")), 0);
	now_ms_val += 5000;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 4, 3)), 510);
	MXP_CHECK_EQ(t, n_notify, 0);
	const char *r = transact(&e, "Transaction = 5 { Context = - { AuditValue = ROOT { Audit { "
				 "Events } } } }");
	MXP_CHECK(t, strstr(r, "ocp/mg_overload") == NULL);
	/* a Notify that could not go out is not counted */
	MXP_CHECK_EQ(t, err_code(request_ocp(&e, 6)), 0);
	notify_result = -EHOSTUNREACH;
	now_ms_val += 5000;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 7, 5)), 510);
	MXP_CHECK_EQ(t, k->ocp_notifies, 0);
	MXP_CHECK_EQ(t, k->ocp_refused, 3);
	env_free(&e);
}

MXP_TEST(busy_control_core)
{
	/* no reply cache to look at: the time spent in transactions decides. The fake clock
	 * moves 5 ms at each reading: a transaction (read at its start and when its reply is
	 * out) is busy for half of the time, over a mark of 40 %. */
	struct mxp_mrfp_config c = cfg_default();
	c.ocp_busy_pct = 40;
	struct env e = env_new_cfg(&c);
	const struct mxp_mrfp_counters *k = mxp_mrfp_counters(e.m);
	MXP_CHECK_EQ(t, err_code(request_ocp(&e, 1)), 0);
	/* transactions back to back, each taking the clock forward: busy all the time */
	tick_ms = 5;
	for (unsigned int i = 0; i < 200; i++)
		transact(&e, "Transaction = %u { Context = - { AuditValue = ROOT { Audit { } } } }",
			 10 + i);
	const char *r = add_new(&e, 300, 1);
	MXP_CHECK_EQ(t, err_code(r), 510);
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK_EQ(t, k->overloaded, 1);
	/* the control core idle for two windows: new contexts again */
	tick_ms = 0;
	now_ms_val += 2000;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 301, 3)), 0);
	MXP_CHECK_EQ(t, k->overloaded, 0);
	MXP_CHECK_EQ(t, nconfs(&e), 1);
	env_free(&e);
}

MXP_TEST(root_modify_checked)
{
	struct env e = env_cache();
	static const struct { unsigned int code; const char *cmd; } rows[] = {
		{ 512, "Context = - { Modify = ROOT { Events = 3 { dd/std } } }" },
		{ 440, "Context = - { Modify = ROOT { Events = 3 { foo/bar } } }" },
		{ 440, "Context = - { Modify = ROOT { Events = 3 { ocp/mg_overload, cd/dt } } }" },
		{ 501, "Context = - { Modify = ROOT { Events = 3 { ocp/mg_overload }, Signals { "
		       "cg/rt } } }" },
		/* a bad root/ property: the Events descriptor with it is not taken either */
		{ 449, "Context = - { Modify = ROOT { Media { TerminationState { "
		       "root/normalMGCExecutionTime = 0 } }, Events = 3 { ocp/mg_overload } } }" },
	};
	for (size_t i = 0; i < RTE_DIM(rows); i++) {
		const char *r = transact(&e, "Transaction = %zu { %s }", 10 + i, rows[i].cmd);
		if (err_code(r) != rows[i].code)
			printf("# %s\n%s\n", rows[i].cmd, r);
		MXP_CHECK_EQ(t, err_code(r), rows[i].code);
	}
	/* nothing was asked by the refused ones */
	cache_used = 100;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 30, 1)), 510);
	MXP_CHECK_EQ(t, n_notify, 0);
	/* with a root/ property in the same Modify: both taken */
	const char *q = transact(&e, "Transaction = 31 { Context = - { Modify = ROOT { Media { "
				 "TerminationState { root/normalMGCExecutionTime = 500 } }, Events = 4 { "
				 "ocp/mg_overload } } } }");
	MXP_CHECK_EQ(t, err_code(q), 0);
	now_ms_val += 1000;
	MXP_CHECK_EQ(t, err_code(add_new(&e, 32, 3)), 510);
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK(t, strstr(notify_text[0], "ObservedEvents = 4") != NULL);
	/* ocp is listed among the packages, version 1 */
	const char *r = transact(&e, "Transaction = 40 { Context = - { AuditValue = ROOT { Audit { "
				 "Packages } } } }");
	MXP_CHECK(t, strstr(r, "ocp-1") != NULL);
	env_free(&e);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(refused_and_notified_once_per_overload),
	MXP_CASE(no_notify_unless_asked),
	MXP_CASE(busy_control_core),
	MXP_CASE(root_modify_checked),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
