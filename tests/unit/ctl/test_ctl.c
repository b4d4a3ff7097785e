/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/ctl: JSON escaping, text tables, word splitting, frame parsing. */
#include <errno.h>

#include "mxp_ctl.h"
#include "mxp_test.h"

MXP_TEST(json_document)
{
	struct mxp_buf b;
	struct mxp_json j;
	mxp_buf_init(&b);
	mxp_json_init(&j, &b);
	mxp_json_obj_open(&j, NULL);
	mxp_json_str(&j, "s", "a\"b\\c\n\x01");
	mxp_json_u64(&j, "u", 18446744073709551615ull);
	mxp_json_i64(&j, "i", -5);
	mxp_json_bool(&j, "t", true);
	mxp_json_null(&j, "n");
	mxp_json_arr_open(&j, "a");
	mxp_json_u64(&j, NULL, 1);
	mxp_json_obj_open(&j, NULL);
	mxp_json_dbl(&j, "d", 0.5);
	mxp_json_obj_close(&j);
	mxp_json_arr_close(&j);
	mxp_json_obj_close(&j);
	MXP_CHECK_STR(t, mxp_buf_str(&b),
		      "{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"u\":18446744073709551615,\"i\":-5,"
		      "\"t\":true,\"n\":null,\"a\":[1,{\"d\":0.5}]}");
	mxp_buf_free(&b);
}

MXP_TEST(table_alignment)
{
	struct mxp_buf b;
	struct mxp_table tb;
	static const char *const hdr[] = { "name", ">count", "note" };
	mxp_buf_init(&b);
	MXP_CHECK_EQ(t, mxp_table_init(&tb, 3, hdr), 0);
	const char *r1[] = { "a", "1", "x" };
	const char *r2[] = { "longer", "12345", "y" };
	mxp_table_row(&tb, r1);
	mxp_table_row(&tb, r2);
	mxp_table_render(&tb, &b);
	MXP_CHECK_STR(t, mxp_buf_str(&b),
		      "name    count  note\n"
		      "a           1  x\n"
		      "longer  12345  y\n");
	mxp_buf_free(&b);
}

MXP_TEST(split_words)
{
	char line[128] = "  show  conference \"my conf\" \"a\\\"b\" x\t";
	char *argv[8];
	int n = mxp_ctl_split(line, argv, 8);
	MXP_CHECK_EQ(t, n, 5);
	if (n == 5) {
		MXP_CHECK_STR(t, argv[0], "show");
		MXP_CHECK_STR(t, argv[1], "conference");
		MXP_CHECK_STR(t, argv[2], "my conf");
		MXP_CHECK_STR(t, argv[3], "a\"b");
		MXP_CHECK_STR(t, argv[4], "x");
	}
	char bad[] = "show \"open";
	MXP_CHECK_EQ(t, mxp_ctl_split(bad, argv, 8), -EINVAL);
	char many[] = "a b c d";
	MXP_CHECK_EQ(t, mxp_ctl_split(many, argv, 3), -E2BIG);
	char empty[] = "   ";
	MXP_CHECK_EQ(t, mxp_ctl_split(empty, argv, 3), 0);
}

/* What a client joins with mxp_ctl_add_word, the daemon splits back into the same words. */
MXP_TEST(add_word_round_trip)
{
	const char *words[] = { "leg", "add", "my conf", "a\"b", "back\\slash", "", "x\ty" };
	struct mxp_buf b;
	mxp_buf_init(&b);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		MXP_CHECK_EQ(t, mxp_ctl_add_word(&b, words[i]), 0);
	MXP_CHECK_STR(t, mxp_buf_str(&b), "leg add \"my conf\" \"a\\\"b\" \"back\\\\slash\" \"\" \"x\ty\"");
	char *argv[16];
	int n = mxp_ctl_split(b.p, argv, 16);
	MXP_CHECK_EQ(t, n, 7);
	for (int i = 0; i < n && i < 7; i++)
		MXP_CHECK_STR(t, argv[i], words[i]);
	mxp_buf_free(&b);
}

MXP_TEST(frames)
{
	uint32_t n = 0;
	uint8_t f[8] = { 0, 0, 0, 3, 'a', 'b', 'c', 'd' };
	MXP_CHECK_EQ(t, mxp_ctl_frame_ready(f, 3, &n), 0);
	MXP_CHECK_EQ(t, mxp_ctl_frame_ready(f, 6, &n), 0);
	MXP_CHECK_EQ(t, mxp_ctl_frame_ready(f, 7, &n), 1);
	MXP_CHECK_EQ(t, n, 3);
	uint8_t big[4] = { 0xff, 0, 0, 0 };
	MXP_CHECK_EQ(t, mxp_ctl_frame_ready(big, 4, &n), -EMSGSIZE);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(json_document),
	MXP_CASE(table_alignment),
	MXP_CASE(split_words),
	MXP_CASE(add_word_round_trip),
	MXP_CASE(frames),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
