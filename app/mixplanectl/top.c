/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mixplanectl top: the live view. Every interval it asks the daemon for one `show top`
 * snapshot sized to the terminal and draws it: home and clear-screen, the frame, nothing
 * else (no colours, no alternate screen), so it reads the same over ssh, on a dumb terminal
 * and in a log. Keys: q quits, p / r sort by participants / packet rate, space refreshes.
 * Ctrl-C, SIGTERM and SIGHUP quit too; the terminal's settings are restored on every exit.
 *
 * The daemon computes the rates against its previous sample (cli_top.c), so the first
 * frame may have none: --once takes a sample, waits one interval and prints the second.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "mixplanectl.h"
#include "mxp_time.h"

#define TOP_MAX_ROWS 200     /* the daemon's limit on conferences in one answer */

struct top_opts {
	double interval;     /* seconds */
	unsigned int count;  /* conferences; 0 = as many as fit */
	const char *sort;
	bool once, json;
};

static volatile sig_atomic_t quit_sig;
static volatile sig_atomic_t resized;

static struct termios saved_tio;
static bool tio_saved;

static void
top_usage(FILE *f)
{
	fprintf(f,
		"usage: mixplanectl [-s SOCKET] top [-d SECONDS] [-n COUNT] [--sort participants|rate]\n"
		"                                   [--once [--json]]\n"
		"  -d, --interval S   refresh every S seconds (default 1, 0.1 to 3600)\n"
		"  -n, --count N      show at most N conferences (default: as many as fit; 20 with --once)\n"
		"      --sort KEY     participants (default) or rate (packets/s in + out)\n"
		"      --once         print one frame and exit: two samples one interval apart, as\n"
		"                     rates need two\n"
		"  -j, --json         with --once: one JSON document (the second sample's); without:\n"
		"                     one JSON document per line, every interval\n"
		"keys: q quit, p sort by participants, r sort by packet rate, space refresh now\n");
}

static void
on_signal(int sig)
{
	if (sig == SIGWINCH)
		resized = 1;
	else
		quit_sig = sig;
}

static void
term_restore(void)
{
	if (tio_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tio_saved = false;
	}
}

/* Keys without Enter and without echo; Ctrl-C still raises SIGINT (ISIG stays on). */
static void
term_keys(void)
{
	struct termios t;
	if (tcgetattr(STDIN_FILENO, &saved_tio) != 0)
		return;
	tio_saved = true;
	t = saved_tio;
	t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

static unsigned int
env_uint(const char *name)
{
	const char *v = getenv(name);
	char *end;
	if (v == NULL || *v == '\0')
		return 0;
	unsigned long x = strtoul(v, &end, 10);
	return *end == '\0' && x < 100000 ? (unsigned int)x : 0;
}

/* The terminal's size: TIOCGWINSZ on the output, else $COLUMNS / $LINES, else 80 x 24. */
static void
term_size(unsigned int *cols, unsigned int *lines)
{
	struct winsize ws;
	*cols = *lines = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		*cols = ws.ws_col;
		*lines = ws.ws_row;
	}
	if (*cols == 0)
		*cols = env_uint("COLUMNS");
	if (*lines == 0)
		*lines = env_uint("LINES");
	if (*cols == 0)
		*cols = 80;
	if (*lines == 0)
		*lines = 24;
}

/* Wait up to s seconds; false when a signal asked to quit. */
static bool
wait_s(double s)
{
	uint64_t end = mxp_clock_ms() + (uint64_t)(s * 1000);
	while (!quit_sig) {
		uint64_t now = mxp_clock_ms();
		if (now >= end)
			return true;
		poll(NULL, 0, (int)(end - now));
	}
	return false;
}

static int
write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(STDOUT_FILENO, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * One `show top` request. cols/lines 0: no limit on the text's size. Returns 0 with the
 * reply's text in reply (after the status byte), or an exit status after telling stderr.
 */
static int
snapshot(const char *sock, const struct top_opts *o, unsigned int cols, unsigned int lines,
	 bool json, struct mxp_buf *reply)
{
	char line[160];
	unsigned int count = o->count;
	if (count == 0)
		count = lines ? lines : 20;
	if (count > TOP_MAX_ROWS)
		count = TOP_MAX_ROWS;
	int n = snprintf(line, sizeof(line), "show top sort %s count %u", o->sort, count);
	if (cols)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " width %u", cols);
	if (lines)
		n += snprintf(line + n, sizeof(line) - (size_t)n, " height %u", lines);
	struct mxp_buf body;
	mxp_buf_init(&body);
	int r = mxpctl_request(sock, line, (size_t)n, json ? MXP_CTL_F_JSON : 0, &body, reply);
	if (r != 0)
		return r;
	if (reply->len < 1) {
		fprintf(stderr, "mixplanectl: empty reply from the daemon\n");
		return 1;
	}
	int status = (uint8_t)reply->p[0];
	if (status != MXP_CTL_OK) {
		fprintf(stderr, "mixplanectl: %.*s", (int)(reply->len - 1), reply->p + 1);
		return status;
	}
	return 0;
}

static int
parse_opts(int argc, char **argv, struct top_opts *o)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'd' }, { "count", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 'S' },     { "once", no_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },           { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static char name[] = "mixplanectl top"; /* getopt's messages start with argv[0] */
	int c;
	char *end;
	argv[0] = name;
	optind = 1;
	while ((c = getopt_long(argc, argv, "d:n:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->interval = strtod(optarg, &end);
			if (*end || !(o->interval >= 0.1 && o->interval <= 3600)) {
				fprintf(stderr, "mixplanectl top: interval '%s': 0.1 to 3600 seconds\n",
					optarg);
				return 2;
			}
			break;
		case 'n': {
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || optarg[0] == '-' || v < 1 || v > TOP_MAX_ROWS) {
				fprintf(stderr, "mixplanectl top: count '%s': 1 to %d\n", optarg,
					TOP_MAX_ROWS);
				return 2;
			}
			o->count = (unsigned int)v;
			break;
		}
		case 'S':
			if (strcmp(optarg, "participants") != 0 && strcmp(optarg, "rate") != 0) {
				fprintf(stderr, "mixplanectl top: sort '%s': participants or rate\n",
					optarg);
				return 2;
			}
			o->sort = optarg;
			break;
		case 'o': o->once = true; break;
		case 'j': o->json = true; break;
		case 'h': top_usage(stdout); return -1;
		default: top_usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		top_usage(stderr);
		return 2;
	}
	return 0;
}

/* --once: two samples one interval apart, the second printed. */
static int
top_once(const char *sock, const struct top_opts *o, struct mxp_buf *reply)
{
	unsigned int cols = 0, lines = 0;
	if (!o->json) {
		term_size(&cols, &lines);
		lines = 0; /* the whole frame: it scrolls like any command's output */
	}
	int r = snapshot(sock, o, cols, lines, o->json, reply);
	if (r != 0)
		return r;
	if (!wait_s(o->interval))
		return 128 + quit_sig;
	r = snapshot(sock, o, cols, lines, o->json, reply);
	if (r != 0)
		return r;
	size_t n = reply->len - 1;
	if (write_all(reply->p + 1, n) != 0 || (n && reply->p[n] != '\n' && write_all("\n", 1)))
		return 1;
	return 0;
}

/* Read the keys typed since the last look; false to quit. *redraw when one asks for it. */
static bool
read_keys(struct top_opts *o, bool *redraw)
{
	char k[32];
	ssize_t n = read(STDIN_FILENO, k, sizeof(k));
	for (ssize_t i = 0; i < n; i++) {
		switch (k[i]) {
		case 'q': case 'Q': return false;
		case 'p': o->sort = "participants"; *redraw = true; break;
		case 'r': o->sort = "rate"; *redraw = true; break;
		case ' ': case '\f': *redraw = true; break;
		default: break;
		}
	}
	return true;
}

static int
top_loop(const char *sock, struct top_opts *o, struct mxp_buf *reply)
{
	bool keys = isatty(STDIN_FILENO) && !o->json;
	const char *term = getenv("TERM");
	/* a screen: a terminal that understands home and clear (not TERM=dumb) */
	bool screen = isatty(STDOUT_FILENO) && !o->json && !(term && strcmp(term, "dumb") == 0);
	if (keys)
		term_keys();
	struct mxp_buf frame;
	mxp_buf_init(&frame);
	int rc = 0;
	bool first = true;
	while (!quit_sig) {
		unsigned int cols = 0, lines = 0;
		if (!o->json)
			term_size(&cols, &lines);
		if (!screen)
			lines = 0;
		resized = 0;
		rc = snapshot(sock, o, cols, lines, o->json, reply);
		if (rc != 0)
			break;
		mxp_buf_reset(&frame);
		size_t n = reply->len - 1;
		const char *text = reply->p + 1;
		if (screen) {
			mxp_buf_add(&frame, "\033[H\033[2J", 7);
			/* no newline after the last line: the screen must not scroll */
			while (n && text[n - 1] == '\n')
				n--;
			mxp_buf_add(&frame, text, n);
		} else {
			if (!first && !o->json)
				mxp_buf_add(&frame, "\n", 1);
			mxp_buf_add(&frame, text, n);
			if (n && text[n - 1] != '\n')
				mxp_buf_add(&frame, "\n", 1);
		}
		first = false;
		if (frame.oom || write_all(frame.p, frame.len) != 0) {
			rc = 1;
			break;
		}
		/* until the next refresh: keys, a resize, or a signal */
		uint64_t end = mxp_clock_ms() + (uint64_t)(o->interval * 1000);
		bool redraw = false, go = true;
		while (go && !redraw && !quit_sig && !resized) {
			uint64_t now = mxp_clock_ms();
			if (now >= end)
				break;
			struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
			int pr = poll(&pfd, keys ? 1 : 0, (int)(end - now));
			if (pr > 0 && (pfd.revents & (POLLIN | POLLHUP))) {
				go = read_keys(o, &redraw);
				if (pfd.revents & POLLHUP)
					keys = false;
			}
		}
		if (!go)
			break;
	}
	if (screen)
		write_all("\n", 1);
	term_restore();
	mxp_buf_free(&frame);
	return rc;
}

int
mxpctl_top(const char *sock, int argc, char **argv, bool json)
{
	struct top_opts o = { .interval = 1.0, .sort = "participants", .json = json };
	int r = parse_opts(argc, argv, &o);
	if (r != 0)
		return r < 0 ? 0 : r;
	if (o.once && o.count == 0)
		o.count = 20;

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGWINCH, &sa, NULL);

	struct mxp_buf reply;
	mxp_buf_init(&reply);
	r = o.once ? top_once(sock, &o, &reply) : top_loop(sock, &o, &reply);
	mxp_buf_free(&reply);
	if (r == 0 && (quit_sig == SIGTERM || quit_sig == SIGHUP))
		r = 128 + quit_sig; /* q and Ctrl-C are the normal ways out: 0 */
	return r;
}
