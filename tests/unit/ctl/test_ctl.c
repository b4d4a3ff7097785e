/* SPDX-License-Identifier: BSD-3-Clause */
/* lib/ctl: JSON escaping, text tables, word splitting, frame parsing, the client side. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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

/*
 * The client's side (mixplanectl and mixgen): which socket, connecting, and the request as
 * the daemon reads it (flags, the command line, its NUL, the body) in one frame.
 */
MXP_TEST(client_side)
{
	/* the socket: given, else $MIXPLANE_SOCKET, else the default; empty counts as unset */
	unsetenv("MIXPLANE_SOCKET");
	MXP_CHECK_STR(t, mxp_ctl_socket_path(NULL), MXP_CTL_DEFAULT_SOCKET);
	MXP_CHECK_STR(t, mxp_ctl_socket_path(""), MXP_CTL_DEFAULT_SOCKET);
	setenv("MIXPLANE_SOCKET", "/tmp/from-env.sock", 1);
	MXP_CHECK_STR(t, mxp_ctl_socket_path(NULL), "/tmp/from-env.sock");
	MXP_CHECK_STR(t, mxp_ctl_socket_path("/tmp/given.sock"), "/tmp/given.sock");
	setenv("MIXPLANE_SOCKET", "", 1);
	MXP_CHECK_STR(t, mxp_ctl_socket_path(NULL), MXP_CTL_DEFAULT_SOCKET);
	unsetenv("MIXPLANE_SOCKET");

	/* connecting: too long a path, nobody listening, a listener */
	char lng[sizeof(((struct sockaddr_un *)0)->sun_path) + 8];
	memset(lng, 'x', sizeof(lng) - 1);
	lng[0] = '/';
	lng[sizeof(lng) - 1] = '\0';
	MXP_CHECK_EQ(t, mxp_ctl_connect(lng), -ENAMETOOLONG);
	char path[64];
	snprintf(path, sizeof(path), "/tmp/mxp-ctl-test-%d.sock", (int)getpid());
	unlink(path);
	MXP_CHECK_EQ(t, mxp_ctl_connect(path), -ENOENT);
	int ls = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	MXP_CHECK_EQ(t, bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
	MXP_CHECK_EQ(t, listen(ls, 1), 0);
	int fd = mxp_ctl_connect(path);
	MXP_CHECK(t, fd >= 0);
	int peer = accept(ls, NULL, NULL);
	MXP_CHECK(t, peer >= 0);

	/* the request, read back as a frame */
	struct mxp_buf line, got;
	mxp_buf_init(&line);
	mxp_buf_init(&got);
	mxp_ctl_add_word(&line, "leg");
	mxp_ctl_add_word(&line, "add");
	mxp_ctl_add_word(&line, "a b");
	static const char body[] = "in a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x\n";
	MXP_CHECK_EQ(t, mxp_ctl_send_request(fd, MXP_CTL_F_JSON, line.p, line.len, body,
					     sizeof(body) - 1), 0);
	MXP_CHECK_EQ(t, mxp_ctl_recv_frame(peer, &got), 0);
	size_t want = 1 + line.len + 1 + sizeof(body) - 1;
	MXP_CHECK_EQ(t, got.len, want);
	if (got.len == want) {
		MXP_CHECK_EQ(t, (uint8_t)got.p[0], MXP_CTL_F_JSON);
		MXP_CHECK(t, memcmp(got.p + 1, "leg add \"a b\"", line.len) == 0);
		MXP_CHECK_EQ(t, got.p[1 + line.len], '\0');
		MXP_CHECK(t, memcmp(got.p + 2 + line.len, body, sizeof(body) - 1) == 0);
	}
	/* no body: the line and its NUL only */
	MXP_CHECK_EQ(t, mxp_ctl_send_request(fd, 0, line.p, line.len, NULL, 0), 0);
	MXP_CHECK_EQ(t, mxp_ctl_recv_frame(peer, &got), 0);
	MXP_CHECK_EQ(t, got.len, 1 + line.len + 1);
	/* the daemon gone: the send fails with EPIPE, no SIGPIPE */
	close(peer);
	struct mxp_buf big;
	mxp_buf_init(&big);
	for (int i = 0; i < 4096; i++)
		mxp_buf_add(&big, "0123456789abcdef0123456789abcdef0123456789abcdef01234567890abcde", 64);
	int r = mxp_ctl_send_request(fd, 0, line.p, line.len, big.p, big.len);
	MXP_CHECK(t, r == -EPIPE || r == -ECONNRESET);
	mxp_buf_free(&big);
	mxp_buf_free(&line);
	mxp_buf_free(&got);
	close(fd);
	close(ls);
	unlink(path);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(json_document),
	MXP_CASE(table_alignment),
	MXP_CASE(split_words),
	MXP_CASE(add_word_round_trip),
	MXP_CASE(frames),
	MXP_CASE(client_side),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
