/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxp/record through Mp (lib/mrfp): a context's recording started on Add and by Modify,
 * reported by AuditValue, stopped with mxp/record = off and when the context ends; wrong
 * values get their H.248 error and change nothing (no context, no leg, no file).
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mrfp_harness.h"

static char dir[64];

static bool
file_exists(const char *name)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	struct stat st;
	return stat(path, &st) == 0;
}

static void
rm(const char *name)
{
	char path[160];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
}

static struct env
env_rec(void)
{
	struct env e = env_new();
	char err[256];
	if (mxp_conf_record_dir(e.sys, dir, err, sizeof(err)) != 0)
		abort();
	return e;
}

static enum mxp_rec_state
rec_state(struct env *e, uint32_t ctx, char *name)
{
	struct mxp_rec_info in;
	if (mxp_conf_record_get(e->sys, ctx, &in) != 0)
		return (enum mxp_rec_state)-1;
	if (name)
		strcpy(name, in.name);
	return in.state;
}

MXP_TEST(add_starts_audit_reports_off_stops)
{
	struct env e = env_rec();
	rm("ctx.wav");
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
				 media("mxp/mode = mix, mxp/record = ctx.wav, mxp/recmax = 600",
				       crypto(1, 1), PEER_IP, 8002, crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t c = reply_ctx(r), l1 = reply_leg(r, "Add");
	char name[MXP_REC_NAME_LEN] = "";
	MXP_CHECK_EQ(t, rec_state(&e, c, name), MXP_REC_ACTIVE);
	MXP_CHECK(t, strcmp(name, "ctx.wav") == 0 && file_exists("ctx.wav"));
	struct mxp_rec_info in;
	MXP_CHECK(t, mxp_conf_record_get(e.sys, c, &in) == 0 && in.max_seconds == 600);
	/* a second Add naming the same file: nothing new */
	r = transact(&e, "Transaction = 2 { Context = %u { Add = $ { %s } } }", c,
		     media("mxp/record = ctx.wav", crypto(3, 1), PEER_IP, 8006, crypto(4, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, reply_leg(r, "Add") != 0);
	r = transact(&e, "Transaction = 3 { Context = %u { AuditValue = leg/%u { Audit { Media } } } }",
		     c, l1);
	MXP_CHECK(t, strstr(r, "mxp/record = ctx.wav") != NULL || strstr(r, "mxp/record=ctx.wav"));
	r = transact(&e, "Transaction = 4 { Context = %u { Modify = * { Media { "
		     "TerminationState { mxp/record = off } } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, rec_state(&e, c, NULL), MXP_REC_STOPPED);
	r = transact(&e, "Transaction = 5 { Context = %u { AuditValue = leg/%u { Audit { Media } } } }",
		     c, l1);
	MXP_CHECK(t, strstr(r, "mxp/record = off") != NULL);
	/* off again: nothing to stop, not an error */
	r = transact(&e, "Transaction = 6 { Context = %u { Modify = leg/%u { Media { "
		     "TerminationState { mxp/record = off } } } } }", c, l1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	/* Modify starts one; the context's end finishes it */
	rm("mod.wav");
	r = transact(&e, "Transaction = 7 { Context = %u { Modify = leg/%u { Media { "
		     "TerminationState { mxp/record = mod.wav } } } } }", c, l1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, rec_state(&e, c, name), MXP_REC_ACTIVE);
	MXP_CHECK(t, strcmp(name, "mod.wav") == 0);
	r = transact(&e, "Transaction = 8 { Context = %u { Subtract = * } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, rec_state(&e, c, NULL), MXP_REC_CONF_GONE);
	MXP_CHECK(t, file_exists("mod.wav"));
	rm("ctx.wav");
	rm("mod.wav");
	env_free(&e);
}

/* Each wrong value: its code, and nothing changed. */
MXP_TEST(refusals_change_nothing)
{
	struct env e = env_rec();
	rm("x.wav");
	uint32_t c, sw;
	uint32_t l1 = add_leg(t, &e, "$", 1, &sw); /* a switch context */
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
				 media("mxp/mode = mix, mxp/record = m.wav", crypto(3, 1), PEER_IP,
				       8006, crypto(4, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	c = reply_ctx(r);
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = * { Media { "
		     "TerminationState { mxp/record = off } } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	rm("m.wav");
	uint32_t confs = nconfs(&e);
	struct {
		const char *what;
		unsigned int code;
		const char *text;
	} cases[] = {
		{ "a switch context, new", 449, "Context = $ { Add = $ { %s } }" },
		{ "a path", 449, "Context = $ { Add = $ { %s } }" },
		{ "not .wav", 449, "Context = $ { Add = $ { %s } }" },
		{ "recmax alone", 449, "Context = $ { Add = $ { %s } }" },
	};
	const char *lc[] = { "mxp/record = x.wav", "mxp/mode = mix, mxp/record = ../x.wav",
			     "mxp/mode = mix, mxp/record = x.txt", "mxp/mode = mix, mxp/recmax = 5" };
	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		char body[4096];
		snprintf(body, sizeof(body), cases[i].text,
			 media(lc[i], crypto(5, 1), PEER_IP, 8010, crypto(6, 1)));
		r = transact(&e, "Transaction = %u { %s }", 10 + i, body);
		if (!MXP_CHECK(t, err_code(r) == cases[i].code))
			printf("# %s: %s\n", cases[i].what, r);
		MXP_CHECK_EQ(t, nconfs(&e), confs);
	}
	MXP_CHECK(t, !file_exists("x.wav"));
	/* Modify of the switch context */
	r = transact(&e, "Transaction = 20 { Context = %u { Modify = leg/%u { Media { "
		     "TerminationState { mxp/record = x.wav } } } } }", sw, l1);
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK(t, strstr(r, "switch") != NULL);
	/* an existing file: 449, the leg of the Add is not kept */
	char path[160];
	snprintf(path, sizeof(path), "%s/taken.wav", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	MXP_CHECK(t, fd >= 0);
	close(fd);
	int legs = mxp_conf_legs(e.sys, c, NULL, 0);
	r = transact(&e, "Transaction = 21 { Context = %u { Add = $ { %s } } }", c,
		     media("mxp/record = taken.wav", crypto(7, 1), PEER_IP, 8014, crypto(8, 1)));
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK(t, strstr(r, "exists") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, c, NULL, 0), legs);
	MXP_CHECK_EQ(t, rec_state(&e, c, NULL), MXP_REC_STOPPED); /* m.wav's, from before */
	/* the same on the Add that would create the context: no context */
	uint32_t before = nconfs(&e);
	r = transact(&e, "Transaction = 24 { Context = $ { Add = $ { %s } } }",
		     media("mxp/mode = mix, mxp/record = taken.wav", crypto(7, 1), PEER_IP, 8014,
			   crypto(8, 1)));
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK_EQ(t, nconfs(&e), before);
	unlink(path);
	/* recording already to another file: 449 */
	rm("a.wav");
	rm("b.wav");
	uint32_t lc1 = 0;
	int nl = mxp_conf_legs(e.sys, c, &lc1, 1);
	MXP_CHECK(t, nl >= 1);
	r = transact(&e, "Transaction = 22 { Context = %u { Modify = leg/%u { Media { "
		     "TerminationState { mxp/record = a.wav } } } } }", c, lc1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 23 { Context = %u { Modify = leg/%u { Media { "
		     "TerminationState { mxp/record = b.wav } } } } }", c, lc1);
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK(t, !file_exists("b.wav"));
	rm("a.wav");
	env_free(&e);
	/* no directory configured: 501 */
	struct env e2 = env_new();
	r = transact(&e2, "Transaction = 30 { Context = $ { Add = $ { %s } } }",
		     media("mxp/mode = mix, mxp/record = x.wav", crypto(1, 1), PEER_IP, 8002,
			   crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), 501);
	MXP_CHECK(t, strstr(r, "recording_dir") != NULL);
	env_free(&e2);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(add_starts_audit_reports_off_stops),
	MXP_CASE(refusals_change_nothing),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	snprintf(dir, sizeof(dir), "/tmp/mxp_mrfp_rec_%d", (int)getpid());
	if (mkdir(dir, 0700) != 0)
		return 1;
	int r = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	rmdir(dir);
	return r;
}
