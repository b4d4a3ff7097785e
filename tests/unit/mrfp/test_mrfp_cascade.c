/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxp/cascade through Mp (lib/mrfp): a cascade leg added to a mix context, reported by
 * AuditValue, turned off and on again by Modify; a switch context, a context whose cascade
 * slots are taken and a bad value get their H.248 errors and change nothing.
 */
#include "mrfp_harness.h"

static unsigned int
ncascade(struct env *e, uint32_t ctx)
{
	struct mxp_conf_info ci;
	return mxp_conf_get(e->sys, ctx, &ci) == 0 ? ci.ncascade : 9999;
}

static unsigned int
nlegs(struct env *e, uint32_t ctx)
{
	struct mxp_conf_info ci;
	return mxp_conf_get(e->sys, ctx, &ci) == 0 ? ci.nlegs : 9999;
}

MXP_TEST(add_audit_modify)
{
	struct env e = env_new();
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
				 media("mxp/mode = mix, mxp/cascade = on", crypto(1, 1), PEER_IP,
				       8002, crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t c = reply_ctx(r), l = reply_leg(r, "Add");
	MXP_CHECK(t, leg(&e, l).cascade);
	MXP_CHECK_EQ(t, ncascade(&e, c), 1u);
	r = transact(&e, "Transaction = 2 { Context = %u { AuditValue = leg/%u { Audit { Media } } } }",
		     c, l);
	MXP_CHECK(t, strstr(r, "mxp/cascade=on") != NULL || strstr(r, "mxp/cascade = on") != NULL);
	/* an ordinary participant beside it */
	r = transact(&e, "Transaction = 3 { Context = %u { Add = $ { %s } } }", c,
		     media("", crypto(5, 1), PEER_IP, 8010, crypto(6, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t lp = reply_leg(r, "Add");
	MXP_CHECK(t, !leg(&e, lp).cascade);
	/* Modify: off, then on again */
	r = transact(&e, "Transaction = 4 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "LocalControl { mxp/cascade = off } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, !leg(&e, l).cascade);
	MXP_CHECK_EQ(t, ncascade(&e, c), 0u);
	r = transact(&e, "Transaction = 5 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "LocalControl { mxp/cascade = on } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, leg(&e, l).cascade);
	r = transact(&e, "Transaction = 6 { Context = %u { AuditValue = leg/%u { Audit { Media } } } }",
		     c, lp);
	MXP_CHECK(t, strstr(r, "mxp/cascade=off") != NULL || strstr(r, "mxp/cascade = off") != NULL);
	env_free(&e);
}

/* a=extmap of RFC 6464's audio level in Remote: the leg (a cascade leg writes the level
 * and names its talkers with it) gets the id, the reply's Local and audits say it, a
 * Modify keeps it; an id a one-byte header cannot carry is refused, nothing made. */
MXP_TEST(audio_level_extmap)
{
	struct env e = env_new();
	char rem[600];
	snprintf(rem, sizeof(rem), "%s\na=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
		 crypto(2, 1));
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
				 media("mxp/mode = mix, mxp/cascade = on", crypto(1, 1), PEER_IP,
				       8002, rem));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level") != NULL);
	uint32_t c = reply_ctx(r), l = reply_leg(r, "Add");
	MXP_CHECK_EQ(t, leg(&e, l).audio_level_id, 3);
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "Remote {\nv=0\nc=IN IP4 %s\nm=audio 8004 RTP/SAVP 0\n} } } } } }", c, l,
		     PEER_IP);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, leg(&e, l).audio_level_id, 3);
	r = transact(&e, "Transaction = 3 { Context = %u { AuditValue = leg/%u { Audit { Media } } } }",
		     c, l);
	MXP_CHECK(t, strstr(r, "a=extmap:3 urn:ietf:params:rtp-hdrext:ssrc-audio-level") != NULL);
	/* 15 does not fit a one-byte header: 449, no context made */
	uint32_t before = nconfs(&e);
	snprintf(rem, sizeof(rem), "%s\na=extmap:15 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
		 crypto(4, 1));
	r = transact(&e, "Transaction = 4 { Context = $ { Add = $ { %s } } }",
		     media("mxp/mode = mix", crypto(3, 1), PEER_IP, 8006, rem));
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK(t, strstr(r, "1..14") != NULL);
	MXP_CHECK_EQ(t, nconfs(&e), before);
	/* other extensions are not used, and not refused */
	snprintf(rem, sizeof(rem), "%s\na=extmap:2/sendrecv urn:ietf:params:rtp-hdrext:toffset",
		 crypto(6, 1));
	r = transact(&e, "Transaction = 5 { Context = $ { Add = $ { %s } } }",
		     media("mxp/mode = mix", crypto(5, 1), PEER_IP, 8008, rem));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, leg(&e, reply_leg(r, "Add")).audio_level_id, 0);
	MXP_CHECK(t, strstr(r, "extmap") == NULL);
	env_free(&e);
}

MXP_TEST(refusals_change_nothing)
{
	struct env e = env_new();
	/* a switch context: 501, no context made */
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
				 media("mxp/cascade = on", crypto(1, 1), PEER_IP, 8002,
				       crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), MXP_MP_E_NOT_IMPL);
	MXP_CHECK(t, strstr(r, "cascade legs need a mix conference") != NULL);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	/* a bad value: 449 */
	r = transact(&e, "Transaction = 2 { Context = $ { Add = $ { %s } } }",
		     media("mxp/mode = mix, mxp/cascade = yes", crypto(1, 1), PEER_IP, 8002,
			   crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), MXP_MP_E_BAD_VALUE);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	/* a mix context of 8 talkers has no cascade slot: 510, the context keeps its leg */
	r = transact(&e, "Transaction = 3 { Context = $ { Add = $ { %s } } }",
		     media("mxp/mode = mix, mxp/topn = 8", crypto(1, 1), PEER_IP, 8002,
			   crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t c = reply_ctx(r), l = reply_leg(r, "Add");
	r = transact(&e, "Transaction = 4 { Context = %u { Add = $ { %s } } }", c,
		     media("mxp/cascade = on", crypto(3, 1), PEER_IP, 8004, crypto(4, 1)));
	MXP_CHECK_EQ(t, err_code(r), MXP_MP_E_RESOURCES);
	MXP_CHECK(t, strstr(r, "cascade legs") != NULL);
	MXP_CHECK_EQ(t, nlegs(&e, c), 1u);
	r = transact(&e, "Transaction = 5 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "LocalControl { mxp/cascade = on } } } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), MXP_MP_E_RESOURCES);
	MXP_CHECK(t, !leg(&e, l).cascade);
	MXP_CHECK_EQ(t, ncascade(&e, c), 0u);
	env_free(&e);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(add_audit_modify),
	MXP_CASE(refusals_change_nothing),
	MXP_CASE(audio_level_extmap),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
