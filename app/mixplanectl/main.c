/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mixplanectl: the operator CLI. Sends one command to the daemon's control socket
 * and prints the reply. Exit status: 0 ok, 1 command failed, 2 usage / unknown
 * command, 3 not found, 4 denied (the daemon refused this user, or the socket's
 * permissions did), 5 cannot reach the daemon, 6 not live, 7 not ready (health), 8 refused
 * while draining. `mixplanectl top` is the live view (top.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mixplanectl.h"
#include "mxp_ctl.h"

#define DEFAULT_SOCKET MXP_CTL_DEFAULT_SOCKET

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: mixplanectl [-s SOCKET] [--json] [-i FILE] COMMAND [ARGS...]\n"
		"  -s, --socket PATH  daemon control socket (default $MIXPLANE_SOCKET or %s)\n"
		"  -j, --json         JSON output (every show command)\n"
		"  -i, --input FILE   send FILE ('-' for stdin) with the command, e.g. keys;\n"
		"                     secrets are never taken from the command line\n"
		"  -h, --help         this help; 'mixplanectl help' lists the daemon's commands\n"
		"  top [OPTIONS]      live view (mixplanectl top --help)\n",
		DEFAULT_SOCKET);
}

static int
read_input(const char *path, struct mxp_buf *b)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "mixplanectl: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (mxp_buf_add(b, tmp, n) != 0 || b->len > MXP_CTL_MAX_FRAME / 2) {
			fprintf(stderr, "mixplanectl: %s is too large\n", path);
			explicit_bzero(tmp, sizeof(tmp));
			if (f != stdin)
				fclose(f);
			return -1;
		}
	}
	explicit_bzero(tmp, sizeof(tmp));
	if (f != stdin)
		fclose(f);
	return 0;
}

/*
 * connect() to the control socket failed with e: say why, for a human, and return the
 * exit status. Permissions are a refusal (4): the socket is owner-only (mode 0600) in an
 * owner-only directory, so only root and the daemon's user get through.
 */
static int
connect_failed(const char *sock, int e)
{
	struct stat st;

	if (e == ENOENT || e == ECONNREFUSED) {
		fprintf(stderr, "mixplanectl: mixplane is not running (no daemon listening on %s)\n",
			sock);
		return MXPCTL_EXIT_UNREACHABLE;
	}
	if (e != EACCES && e != EPERM) {
		fprintf(stderr, "mixplanectl: cannot connect to %s: %s\n", sock, strerror(e));
		return MXPCTL_EXIT_UNREACHABLE;
	}
	if (stat(sock, &st) == 0)
		fprintf(stderr,
			"mixplanectl: permission denied on %s: the socket is mode %04o, owned by "
			"uid %u, and this is uid %u (only root and the daemon's user may use it)\n",
			sock, (unsigned int)(st.st_mode & 07777), (unsigned int)st.st_uid,
			(unsigned int)geteuid());
	else
		fprintf(stderr,
			"mixplanectl: permission denied on %s: this user (uid %u) cannot reach the "
			"socket's directory (only root and the daemon's user may use it)\n",
			sock, (unsigned int)geteuid());
	return MXP_CTL_DENIED;
}

/*
 * The exchange failed with r and no reply was read: the daemon closed the connection
 * without an answer. A refusing daemon answers first (status 4, printed as any reply),
 * so this is a daemon shutting down, or one too old to explain its refusal.
 */
static int
exchange_failed(const char *sock, int r)
{
	if (r == -ECONNRESET || r == -EPIPE)
		fprintf(stderr,
			"mixplanectl: %s: the daemon closed the connection without an answer "
			"(shutting down, or refusing this user, uid %u)\n",
			sock, (unsigned int)geteuid());
	else
		fprintf(stderr, "mixplanectl: %s: %s\n", sock, strerror(-r));
	return MXPCTL_EXIT_UNREACHABLE;
}

int
mxpctl_request(const char *sock, const char *line, size_t len, uint8_t flags,
	       const struct mxp_buf *body, struct mxp_buf *reply)
{
	int fd = mxp_ctl_connect(sock);
	if (fd == -ENAMETOOLONG) {
		fprintf(stderr, "mixplanectl: socket path too long: %s\n", sock);
		return 2;
	}
	if (fd < 0)
		return connect_failed(sock, -fd);
	mxp_buf_reset(reply);
	int r = mxp_ctl_send_request(fd, flags, line, len, body->p, body->len);
	/* A daemon refusing this user answers and closes before reading the request: the
	 * send may fail (EPIPE, ECONNRESET) with the refusal waiting to be read. */
	if (r == 0 || r == -EPIPE || r == -ECONNRESET)
		r = mxp_ctl_recv_frame(fd, reply);
	close(fd);
	if (r != 0)
		return exchange_failed(sock, r);
	return 0;
}

/*
 * `drain ... wait` (a preStop hook): once the daemon took the drain, wait until it has
 * exited (its socket gone or refusing), so that nothing signals it before its conferences
 * end. The caller's own deadline (Kubernetes' grace period) bounds the wait.
 */
static int
wait_exit(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	for (;;) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return 1;
		int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		int e = errno;
		close(fd);
		if (r != 0 && (e == ENOENT || e == ECONNREFUSED))
			return 0;
		usleep(200 * 1000);
	}
}

int
main(int argc, char **argv)
{
	const char *sock = NULL;
	const char *input = NULL;
	bool json = false, wait = false;
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' }, { "json", no_argument, NULL, 'j' },
		{ "input", required_argument, NULL, 'i' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* '+': stop at the first word, so command arguments may look like options... */
	while ((c = getopt_long(argc, argv, "+s:ji:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (optarg[0] == '\0') {
				fprintf(stderr, "mixplanectl: -s needs a socket path\n");
				return 2;
			}
			sock = optarg;
			break;
		case 'j': json = true; break;
		case 'i': input = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	sock = mxp_ctl_socket_path(sock);
	if (optind < argc && strcmp(argv[optind], "top") == 0)
		return mxpctl_top(sock, argc - optind, argv + optind, json);
	struct mxp_buf line, body, reply;
	mxp_buf_init(&line);
	mxp_buf_init(&body);
	mxp_buf_init(&reply);
	/* ...except --json, accepted anywhere as operators type it at the end. */
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
			json = true;
		else
			mxp_ctl_add_word(&line, argv[i]);
	}
	/* drain ... wait: return once the daemon has exited (wait_exit) */
	for (int i = optind + 1; i < argc && strcmp(argv[optind], "drain") == 0; i++)
		wait |= strcmp(argv[i], "wait") == 0;
	if (line.len == 0) {
		usage(stderr);
		return 2;
	}
	if (line.len > 1000) {
		fprintf(stderr, "mixplanectl: command line too long\n");
		return 2;
	}
	if (input && read_input(input, &body) != 0)
		return 1;

	uint8_t flags = json ? MXP_CTL_F_JSON : 0;
	int r = mxpctl_request(sock, line.p, line.len, flags, &body, &reply);
	if (body.p)
		explicit_bzero(body.p, body.cap);
	if (r != 0)
		return r;
	if (reply.len < 1) {
		fprintf(stderr, "mixplanectl: empty reply from the daemon\n");
		return 1;
	}
	int status = (uint8_t)reply.p[0];
	const char *text = reply.p + 1;
	size_t tlen = reply.len - 1;
	/* health's answers (ready or not) are its output, for a human or a probe */
	bool answer = status == MXP_CTL_OK || status == MXP_CTL_NOT_LIVE ||
		      status == MXP_CTL_NOT_READY;
	FILE *out = answer ? stdout : stderr;
	if (!answer)
		fputs("mixplanectl: ", out);
	fwrite(text, 1, tlen, out);
	if (tlen && text[tlen - 1] != '\n')
		fputc('\n', out);
	mxp_buf_free(&line);
	mxp_buf_free(&body);
	mxp_buf_free(&reply);
	if (status == MXP_CTL_OK && wait) {
		fflush(stdout);
		return wait_exit(sock);
	}
	return status;
}
