/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mrfp while draining (mxp_mrfp_set_draining, mixplanectl drain): an Add or a Move that
 * would create a context is refused with 503 and changes nothing; every command on an
 * existing context goes on; when draining is off again, new contexts are taken.
 */
#include "mrfp_harness.h"

static unsigned int
n_confs(struct env *e)
{
	return mxp_conf_list(e->sys, NULL, 0);
}

MXP_TEST(new_contexts_refused_existing_ones_served)
{
	struct env e = env_new();
	uint32_t c1;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c1);
	MXP_CHECK(t, l1 != 0 && c1 != 0);
	mxp_mrfp_set_draining(e.m, true);

	/* Add to context $: 503, no conference, no leg */
	const char *r = transact(&e, "Transaction = 100 { Context = $ { Add = $ { %s } } }",
				 media("", crypto(3, 1), PEER_IP, 8010, crypto(4, 1)));
	MXP_CHECK_EQ(t, err_code(r), 503);
	MXP_CHECK(t, strstr(r, "draining") != NULL);
	MXP_CHECK(t, strstr(r, "Context = -") != NULL);
	MXP_CHECK_EQ(t, n_confs(&e), 1);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->err_by_code[503], 1);

	/* an Add to the existing context, a Modify, an audit: served */
	char ctx[16];
	snprintf(ctx, sizeof(ctx), "%u", c1);
	uint32_t l2 = add_leg(t, &e, ctx, 5, NULL);
	MXP_CHECK(t, l2 != 0);
	r = transact(&e, "Transaction = 101 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "LocalControl { Mode = ReceiveOnly } } } } } }", c1, l2);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 102 { Context = %u { AuditValue = * { Audit { } } } }", c1);
	MXP_CHECK_EQ(t, err_code(r), 0);

	/* Move of a leg to context $ would create one: 503, the leg stays where it was */
	r = transact(&e, "Transaction = 103 { Context = $ { Move = leg/%u { %s } } }", l2,
		     media("", crypto(5, 1), PEER_IP, 8010, crypto(6, 1)));
	MXP_CHECK_EQ(t, err_code(r), 503);
	struct mxp_leg_info li;
	MXP_CHECK(t, mxp_conf_leg_get(e.sys, l2, &li) == 0 && li.conf_id == c1);
	MXP_CHECK_EQ(t, n_confs(&e), 1);

	/* Subtract goes on: the context ends with its last leg */
	r = transact(&e, "Transaction = 104 { Context = %u { Subtract = * } }", c1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, n_confs(&e), 0);

	/* not draining: new contexts again */
	mxp_mrfp_set_draining(e.m, false);
	MXP_CHECK(t, add_leg(t, &e, "$", 7, NULL) != 0);
	MXP_CHECK_EQ(t, n_confs(&e), 1);
	env_free(&e);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(new_contexts_refused_existing_ones_served),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
