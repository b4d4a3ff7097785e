/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Setting the scenario up on the daemon.
 *
 * A backend (struct mg_ctl_ops) creates conferences and legs and hands back what the
 * daemon allocated (leg id, local address and port). Today there is one, the lab CLI:
 * mixplanectl's protocol spoken to the control socket from this process (or, with
 * --mixplanectl PATH, that program run per command); an Mp backend (mrfc over ESP) plugs in
 * beside it with the same calls, so a scenario is driven either way.
 *
 * Keys come from getrandom(2). They reach the daemon only in a request's body (what
 * `mixplanectl -i FILE` sends; the program gets it on a pipe), never on a command line or
 * in a file, and every buffer that held one is wiped. --keys-dir DIR keeps a copy of each
 * key sent, in files of mode 0600, for offline decryption of captures.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mixgen.h"
#include "mxp_ctl.h"
#include "mxp_secret_file.h"
#include "mxp_srtp_sdes.h"

#define CTL_TIMEOUT_MS 15000

extern char **environ;
#define CTL_OUT_MAX (1u << 20)

/* ---- keys --------------------------------------------------------------------------------- */

int
mg_keys_generate(struct mg_key *k, uint32_t mki, char *err, size_t errlen)
{
	uint8_t raw[30];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return MG_ERR(err, errlen, "getrandom: %s", strerror(errno));
		}
		got += (size_t)r;
	}
	memset(k, 0, sizeof(*k));
	memcpy(k->key, raw, 16);
	memcpy(k->salt, raw + 16, 14);
	explicit_bzero(raw, sizeof(raw));
	if (mki) {
		k->mki_val = mki;
		k->mki_len = 4;
		k->mki[0] = (uint8_t)(mki >> 24);
		k->mki[1] = (uint8_t)(mki >> 16);
		k->mki[2] = (uint8_t)(mki >> 8);
		k->mki[3] = (uint8_t)mki;
	}
	return 0;
}

int
mg_key_crypto_value(const struct mg_key *k, char *out, size_t cap)
{
	struct mxp_sdes_crypto c;
	memset(&c, 0, sizeof(c));
	c.tag = 1;
	c.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	c.nkeys = 1;
	memcpy(c.keys[0].key, k->key, sizeof(k->key));
	memcpy(c.keys[0].salt, k->salt, sizeof(k->salt));
	c.keys[0].mki_len = k->mki_len;
	memcpy(c.keys[0].mki, k->mki, k->mki_len);
	int n = mxp_sdes_encode(&c, out, cap);
	mxp_sdes_wipe(&c);
	return n < 0 ? n : 0;
}

/* ---- key text, and key files kept for the user (--keys-dir) ------------------------------------ */

int
mg_keydir_open(struct mg *m, char *err, size_t errlen)
{
	m->keydir[0] = '\0';
	if (m->o.keys_dir == NULL)
		return 0;
	if (mkdir(m->o.keys_dir, 0700) != 0 && errno != EEXIST)
		return MG_ERR(err, errlen, "--keys-dir %s: %s", m->o.keys_dir, strerror(errno));
	snprintf(m->keydir, sizeof(m->keydir), "%s", m->o.keys_dir);
	return 0;
}

/* With --keys-dir, keep a copy of what the daemon was sent (mode 0600): offline
 * decryption of a capture needs it. Without, keys live in memory only. */
static int
key_record(struct mg *m, const char *name, const char *text, size_t len, char *err,
	   size_t errlen)
{
	if (m->keydir[0] == '\0')
		return 0;
	char path[MG_PATH_LEN + 64];
	snprintf(path, sizeof(path), "%s/%s", m->keydir, name);
	int fd = mxp_secret_file_open(path);
	if (fd < 0)
		return MG_ERR(err, errlen, "%s: %s", path, mxp_secret_file_strerror(fd));
	ssize_t w = write(fd, text, len);
	close(fd);
	if (w != (ssize_t)len)
		return MG_ERR(err, errlen, "%s: short write", path);
	return 0;
}

/* "in a=crypto:1 ..." / "out a=crypto:1 ..." for a participant's leg add: what
 * `mixplanectl -i FILE leg add` reads from its file. Returns its length, or -1. */
static int
leg_keys_text(struct mg *m, const struct mg_part *p, char *buf, size_t cap, char *err,
	      size_t errlen)
{
	char in[MXP_SDES_MAX_LINE], out[MXP_SDES_MAX_LINE];
	int n = -1;
	if (mg_key_crypto_value(&p->tx_key[0], in, sizeof(in)) ||
	    mg_key_crypto_value(&p->rx_key[0], out, sizeof(out)))
		(void)MG_ERR(err, errlen, "key encoding failed");
	else
		n = snprintf(buf, cap,
			     "# %s: mixgen participant keys (conference %u, leg %s)\n"
			     "in a=crypto:%s\nout a=crypto:%s\n",
			     p->label, m->confs[p->conf].id, p->label, in, out);
	explicit_bzero(in, sizeof(in));
	explicit_bzero(out, sizeof(out));
	if (n < 0 || (size_t)n >= cap)
		return n < 0 ? -1 : MG_ERR(err, errlen, "key text too long");
	return n;
}

/*
 * The participants' keys in mrfc's participant key file format (doc/mp.md), mode 0600:
 *   leg <conf> <leg> <mixer-addr> <mixer-port> <participant-addr> <participant-port> <pt>
 *   tx <a=crypto value the participant sends with>
 *   rx <a=crypto value the participant receives with>
 * plus a "ssrc" line per leg (mixgen's own addition: the participant's SSRC).
 */
int
mg_keys_write(struct mg *m, const char *path, char *err, size_t errlen)
{
	int fd = mxp_secret_file_open(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		const char *why = fd < 0 ? mxp_secret_file_strerror(fd) : strerror(errno);
		if (fd >= 0)
			close(fd);
		return MG_ERR(err, errlen, "--keys-out %s: %s", path, why);
	}
	char fbuf[4096]; /* the stdio buffer holds keys: wiped below */
	setvbuf(f, fbuf, _IOFBF, sizeof(fbuf));
	fprintf(f, "# mixplane participant keys v1 (secret: mode 0600), written by mixgen\n"
		   "# leg <ctx> <term> <mrfp-addr> <mrfp-port> <participant-addr> "
		   "<participant-port> <pt>\n# tx <a=crypto value the participant sends with>\n"
		   "# rx <a=crypto value the participant receives with>\n# ssrc <participant SSRC>\n");
	char a[64], b[64], v[MXP_SDES_MAX_LINE];
	mxp_ip_format(&m->o.ip, b, sizeof(b));
	for (uint32_t i = 0; i < m->nparts; i++) {
		const struct mg_part *p = &m->parts[i];
		mxp_ip_format(&p->mixer_ip, a, sizeof(a));
		fprintf(f, "leg %u %u %s %u %s %u %u\n", m->confs[p->conf].id, p->leg_id, a,
			p->mixer_port, b, p->port, (unsigned int)m->o.codec);
		mg_key_crypto_value(&p->tx_key[0], v, sizeof(v));
		fprintf(f, "tx %s\n", v);
		mg_key_crypto_value(&p->rx_key[0], v, sizeof(v));
		fprintf(f, "rx %s\nssrc %u\n", v, p->ssrc);
	}
	explicit_bzero(v, sizeof(v));
	bool bad = ferror(f) != 0;
	bad |= fclose(f) != 0;
	explicit_bzero(fbuf, sizeof(fbuf));
	if (bad)
		return MG_ERR(err, errlen, "--keys-out %s: write failed", path);
	return 0;
}

/* ---- running mixplanectl ---------------------------------------------------------------------- */

struct cmd_result {
	int status;          /* exit status, or -1 when it could not run / timed out */
	char out[16384];
	char errtxt[2048];
};

/* Run mixplanectl [-s SOCK] [-i -] ARGS... with a deadline (--mixplanectl PATH); the body
 * (keys) goes to its standard input through a pipe, never to a file. */
static int
ctl_spawn(struct mg *m, const char *body, size_t blen, struct cmd_result *r,
	  const char *const *args)
{
	const char *argv[48];
	int n = 0;
	argv[n++] = m->o.mixplanectl;
	if (m->o.socket) {
		argv[n++] = "-s";
		argv[n++] = m->o.socket;
	}
	if (body) {
		argv[n++] = "-i";
		argv[n++] = "-";
	}
	for (int i = 0; args[i] && n < 46; i++)
		argv[n++] = args[i];
	argv[n] = NULL;

	int po[2], pe[2], pi[2] = { -1, -1 };
	r->status = -1;
	r->out[0] = r->errtxt[0] = '\0';
	/* The body is a few hundred bytes: it fits in the pipe, written before the child runs. */
	if (body && blen >= 65536) {
		snprintf(r->errtxt, sizeof(r->errtxt), "request body too large");
		return -1;
	}
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC) || (body && pipe2(pi, O_CLOEXEC))) {
		snprintf(r->errtxt, sizeof(r->errtxt), "pipe: %s", strerror(errno));
		return -1;
	}
	/* posix_spawn (vfork-like in glibc): no copy of this process's page tables, so the
	 * data loop on this lcore stalls for microseconds, not milliseconds. */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (body)
		posix_spawn_file_actions_adddup2(&fa, pi[0], 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	pid_t pid;
	/* the child gets SIGPIPE's default back (mixgen ignores it: main.c) */
	posix_spawnattr_t at;
	sigset_t def;
	posix_spawnattr_init(&at);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	int se = posix_spawnp(&pid, argv[0], &fa, &at, (char *const *)argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	int werr = 0; /* the keys did not all reach the child's stdin */
	if (body) {
		close(pi[0]);
		ssize_t w = se == 0 ? write(pi[1], body, blen) : (ssize_t)blen;
		werr = w < 0 ? errno : w != (ssize_t)blen ? EIO : 0;
		close(pi[1]);
	}
	if (se != 0) {
		close(po[0]);
		close(po[1]);
		close(pe[0]);
		close(pe[1]);
		r->status = 127;
		snprintf(r->errtxt, sizeof(r->errtxt), "cannot run %s: %s", argv[0], strerror(se));
		return -1;
	}
	close(po[1]);
	close(pe[1]);
	size_t no = 0, ne = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool open_o = true, open_e = true, timed_out = false;
	while (open_o || open_e) {
		struct pollfd pf[2] = { { .fd = open_o ? po[0] : -1, .events = POLLIN },
					{ .fd = open_e ? pe[0] : -1, .events = POLLIN } };
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= CTL_TIMEOUT_MS) {
			timed_out = true;
			break;
		}
		/* While a run is on and this lcore also moves packets, keep moving them. */
		int pr = poll(pf, 2, m->busy_wait ? 0 : (int)(CTL_TIMEOUT_MS - el));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0 && m->busy_wait)
			m->busy_wait(m);
		if (pr <= 0)
			continue;
		char tmp[4096];
		if (pf[0].revents) {
			ssize_t k = read(po[0], tmp, sizeof(tmp));
			if (k <= 0) {
				open_o = false;
			} else {
				size_t c = (size_t)k < sizeof(r->out) - 1 - no ? (size_t)k :
									   sizeof(r->out) - 1 - no;
				memcpy(r->out + no, tmp, c);
				no += c;
			}
		}
		if (pf[1].revents) {
			ssize_t k = read(pe[0], tmp, sizeof(tmp));
			if (k <= 0) {
				open_e = false;
			} else {
				size_t c = (size_t)k < sizeof(r->errtxt) - 1 - ne ? (size_t)k :
									       sizeof(r->errtxt) - 1 - ne;
				memcpy(r->errtxt + ne, tmp, c);
				ne += c;
			}
		}
	}
	r->out[no] = '\0';
	r->errtxt[ne] = '\0';
	close(po[0]);
	close(pe[0]);
	if (timed_out)
		kill(pid, SIGKILL);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* Strip the trailing newline of error messages. */
	while (ne > 0 && (r->errtxt[ne - 1] == '\n' || r->errtxt[ne - 1] == '\r'))
		r->errtxt[--ne] = '\0';
	if (timed_out) {
		snprintf(r->errtxt, sizeof(r->errtxt), "%s did not answer within %d s", argv[0],
			 CTL_TIMEOUT_MS / 1000);
		return -1;
	}
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	if (werr != 0 && r->status == 0)
		r->status = -1;
	if (werr != 0) {
		/* what the child said (it most likely exited early: usage) after why it failed */
		char said[sizeof(r->errtxt)];
		snprintf(said, sizeof(said), "%s", r->errtxt);
		snprintf(r->errtxt, sizeof(r->errtxt),
			 "could not send the keys to %s's stdin (%s)%s%.1500s", argv[0],
			 strerror(werr), said[0] ? ": " : "", said);
	}
	return r->status == 0 ? 0 : -1;
}

/* ---- speaking the CLI's protocol ourselves (the default) ---------------------------------------- */

/*
 * Everything mixplanectl does for one command, in this process: the same request
 * (lib/ctl's client side: flags, words, and the body `-i FILE` would read) on a new
 * connection to the control socket, and its answer sorted as mixplanectl sorts it (status
 * as its exit status, text on "stdout" when the command succeeded, else on "stderr"). A
 * process spawned per command cost about 7 ms of this lcore; a rekey of thousands of legs
 * was five such processes a leg.
 */
static int
ctl_socket(struct mg *m, const char *body, size_t blen, struct cmd_result *r,
	   const char *const *args)
{
	const char *sock = mxp_ctl_socket_path(m->o.socket);
	struct mxp_buf line, reply;
	uint8_t flags = 0;
	int fd = -1, rc = -1;
	mxp_buf_init(&line);
	mxp_buf_init(&reply);
	r->status = -1;
	r->out[0] = r->errtxt[0] = '\0';
	for (int i = 0; args[i]; i++) {
		if (strcmp(args[i], "--json") == 0)
			flags |= MXP_CTL_F_JSON;
		else
			mxp_ctl_add_word(&line, args[i]);
	}
	if (line.oom) {
		snprintf(r->errtxt, sizeof(r->errtxt), "out of memory");
		goto out;
	}
	fd = mxp_ctl_connect(sock);
	if (fd < 0) {
		if (fd == -ENAMETOOLONG) {
			snprintf(r->errtxt, sizeof(r->errtxt), "socket path too long: %s", sock);
			r->status = 2;
		} else {
			snprintf(r->errtxt, sizeof(r->errtxt), "cannot connect to %s: %s", sock,
				 strerror(-fd));
			r->status = 5;
		}
		goto out;
	}
	int e = mxp_ctl_send_request(fd, flags, line.p, line.len, body, blen);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A daemon refusing us answers before it reads: the send may fail with the answer
	 * waiting. While a run is on and this lcore also moves packets, keep moving them. */
	for (bool waiting = e == 0 || e == -EPIPE || e == -ECONNRESET; waiting;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= CTL_TIMEOUT_MS) {
			snprintf(r->errtxt, sizeof(r->errtxt),
				 "the daemon did not answer within %d s", CTL_TIMEOUT_MS / 1000);
			goto out;
		}
		int pr = poll(&pf, 1, m->busy_wait ? 0 : (int)(CTL_TIMEOUT_MS - el));
		if (pr == 0 && m->busy_wait)
			m->busy_wait(m);
		if (pr > 0) {
			e = mxp_ctl_recv_frame(fd, &reply);
			waiting = false;
		}
	}
	if (e != 0 || reply.len < 1) {
		snprintf(r->errtxt, sizeof(r->errtxt), "%s: %s", sock,
			 e ? strerror(-e) : "empty reply from the daemon");
		r->status = 5;
		goto out;
	}
	r->status = (uint8_t)reply.p[0];
	char *dst = r->status == MXP_CTL_OK ? r->out : r->errtxt;
	size_t cap = r->status == MXP_CTL_OK ? sizeof(r->out) : sizeof(r->errtxt);
	size_t n = reply.len - 1 < cap - 1 ? reply.len - 1 : cap - 1;
	memcpy(dst, reply.p + 1, n);
	while (n > 0 && dst != r->out && (dst[n - 1] == '\n' || dst[n - 1] == '\r'))
		n--;
	dst[n] = '\0';
	rc = r->status == MXP_CTL_OK ? 0 : -1;
out:
	if (fd >= 0)
		close(fd);
	mxp_buf_free(&line);
	mxp_buf_free(&reply);
	return rc;
}

/* One command: through the daemon's socket, or through the CLI named by --mixplanectl. */
static int
ctl_run(struct mg *m, const char *body, size_t blen, struct cmd_result *r,
	const char *const *args)
{
	return m->o.mixplanectl ? ctl_spawn(m, body, blen, r, args)
				: ctl_socket(m, body, blen, r, args);
}

static int
ctl_fail(char *err, size_t errlen, const char *what, const struct cmd_result *r)
{
	const char *why = r->errtxt[0] ? r->errtxt : "no message";
	if (r->status == 5)
		return MG_ERR(err, errlen, "%s: the daemon cannot be reached: %s", what, why);
	if (r->status == 127)
		return MG_ERR(err, errlen, "%s: %s", what, why);
	return MG_ERR(err, errlen, "%s failed (status %d): %s", what, r->status, why);
}

static int
lab_check(struct mg *m, char *err, size_t errlen)
{
	static struct cmd_result r;
	const char *args[] = { "show", "version", NULL };
	if (ctl_run(m, NULL, 0, &r, args) != 0)
		return ctl_fail(err, errlen, "mixplanectl show version", &r);
	return 0;
}

static int
lab_conf_create(struct mg *m, struct mg_conf *c, char *err, size_t errlen)
{
	static struct cmd_result r;
	char name[48], topn[16], ptime[16];
	snprintf(name, sizeof(name), "mixgen-%d-%u", (int)getpid(), c->idx);
	snprintf(topn, sizeof(topn), "%u", m->topn);
	snprintf(ptime, sizeof(ptime), "%u", m->o.ptime_ms);
	const char *mode = m->o.mode == MG_FORWARD ? "forward" : m->o.mode == MG_MIX ? "mix" :
										       "switch";
	const char *args[] = { "--json", "conference", "create", "mode", mode, "topn", topn,
			       "name", name, m->o.mode == MG_MIX ? "ptime" : NULL, ptime, NULL };
	if (ctl_run(m, NULL, 0, &r, args) != 0)
		return ctl_fail(err, errlen, "conference create", &r);
	uint64_t id;
	if (!mg_json_u64(r.out, "id", &id))
		return MG_ERR(err, errlen, "conference create: unexpected answer '%.100s'", r.out);
	c->id = (uint32_t)id;
	c->created = true;
	return 0;
}

static int
lab_leg_add(struct mg *m, struct mg_conf *c, struct mg_part *p, char *err, size_t errlen)
{
	static struct cmd_result r;
	char keys[3 * MXP_SDES_MAX_LINE], name[MG_LABEL_LEN + 16], conf[16], addr[64], port[16],
		pt[8];
	int klen = 0;
	snprintf(pt, sizeof(pt), "%u", (unsigned int)m->o.codec);
	if (!m->o.plain) {
		klen = leg_keys_text(m, p, keys, sizeof(keys), err, errlen);
		snprintf(name, sizeof(name), "%s.keys", p->label);
		if (klen < 0 || key_record(m, name, keys, (size_t)klen, err, errlen) != 0) {
			explicit_bzero(keys, sizeof(keys));
			return -1;
		}
	}
	snprintf(conf, sizeof(conf), "%u", c->id);
	mxp_ip_format(&m->o.ip, addr, sizeof(addr));
	snprintf(port, sizeof(port), "%u", p->port);
	const char *mode = p->send && p->recv ? "sendrecv" : p->send ? "sendonly" :
					     p->recv ? "recvonly" : "inactive";
	/* A mixer decodes: tell it our codec (the first payload type is what it sends). */
	const char *args[] = { "--json", "leg", "add", conf, "ipv4", "remote", addr, port,
			       "mode", mode, "label", p->label, "pt", pt,
			       m->o.plain ? "plain" : NULL, NULL };
	int rc = ctl_run(m, m->o.plain ? NULL : keys, (size_t)klen, &r, args);
	explicit_bzero(keys, sizeof(keys));
	if (rc != 0)
		return ctl_fail(err, errlen, "leg add", &r);
	uint64_t id, lp, lrp;
	char local[64];
	if (!mg_json_u64(r.out, "id", &id) || !mg_json_u64(r.out, "local_port", &lp) ||
	    !mg_json_str(r.out, "local", local, sizeof(local)))
		return MG_ERR(err, errlen, "leg add: unexpected answer '%.200s'", r.out);
	if (!mg_json_u64(r.out, "local_rtcp_port", &lrp))
		lrp = lp + 1;
	p->leg_id = (uint32_t)id;
	p->mixer_port = (uint16_t)lp;
	p->mixer_rtcp_port = (uint16_t)lrp;
	if (mxp_ip_parse(local, &p->mixer_ip, NULL) != 0 || p->mixer_ip.af != AF_INET)
		return MG_ERR(err, errlen, "leg add: the daemon's address '%s' is not IPv4", local);
	return 0;
}

static int
lab_key_add(struct mg *m, struct mg_part *p, bool out, const struct mg_key *k, char *err,
	    size_t errlen)
{
	static struct cmd_result r;
	char name[MG_LABEL_LEN + 32], leg[16], v[MXP_SDES_MAX_LINE], buf[MXP_SDES_MAX_LINE + 32];
	snprintf(name, sizeof(name), "%s-%s-%u.key", p->label, out ? "out" : "in", k->mki_val);
	if (mg_key_crypto_value(k, v, sizeof(v)) != 0)
		return MG_ERR(err, errlen, "key encoding failed");
	int n = snprintf(buf, sizeof(buf), "%s a=crypto:%s\n", out ? "out" : "in", v);
	explicit_bzero(v, sizeof(v));
	int rc = key_record(m, name, buf, (size_t)n, err, errlen);
	if (rc != 0) {
		explicit_bzero(buf, sizeof(buf));
		return rc;
	}
	snprintf(leg, sizeof(leg), "%u", p->leg_id);
	const char *args[] = { "leg", "key", "add", leg, out ? "out" : "in", NULL };
	rc = ctl_run(m, buf, (size_t)n, &r, args);
	explicit_bzero(buf, sizeof(buf));
	return rc ? ctl_fail(err, errlen, "leg key add", &r) : 0;
}

static int
lab_key_activate(struct mg *m, struct mg_part *p, uint32_t mki, char *err, size_t errlen)
{
	static struct cmd_result r;
	char leg[16], k[24];
	snprintf(leg, sizeof(leg), "%u", p->leg_id);
	snprintf(k, sizeof(k), "%u:4", mki);
	const char *args[] = { "leg", "key", "activate", leg, k, NULL };
	return ctl_run(m, NULL, 0, &r, args) ? ctl_fail(err, errlen, "leg key activate", &r) : 0;
}

static int
lab_key_remove(struct mg *m, struct mg_part *p, bool out, uint32_t mki, char *err, size_t errlen)
{
	static struct cmd_result r;
	char leg[16], k[24];
	snprintf(leg, sizeof(leg), "%u", p->leg_id);
	snprintf(k, sizeof(k), "%u:4", mki);
	const char *args[] = { "leg", "key", "remove", leg, out ? "out" : "in", k, NULL };
	return ctl_run(m, NULL, 0, &r, args) ? ctl_fail(err, errlen, "leg key remove", &r) : 0;
}

static int
lab_conf_delete(struct mg *m, struct mg_conf *c, char *err, size_t errlen)
{
	static struct cmd_result r;
	char conf[16];
	if (!c->created)
		return 0;
	snprintf(conf, sizeof(conf), "%u", c->id);
	const char *args[] = { "conference", "delete", conf, NULL };
	if (ctl_run(m, NULL, 0, &r, args) != 0)
		return ctl_fail(err, errlen, "conference delete", &r);
	c->created = false;
	return 0;
}

static int
lab_conf_show(struct mg *m, struct mg_conf *c, char *buf, size_t cap)
{
	static struct cmd_result r;
	char conf[16];
	snprintf(conf, sizeof(conf), "%u", c->id);
	const char *args[] = { "--json", "show", "conference", conf, NULL };
	if (ctl_run(m, NULL, 0, &r, args) != 0)
		return -1;
	snprintf(buf, cap, "%s", r.out);
	return 0;
}

static int
lab_drops_show(struct mg *m, char *buf, size_t cap)
{
	static struct cmd_result r;
	const char *args[] = { "--json", "show", "drops", NULL };
	if (ctl_run(m, NULL, 0, &r, args) != 0)
		return -1;
	snprintf(buf, cap, "%s", r.out);
	return 0;
}

static const struct mg_ctl_ops lab_ops = {
	.name = "mixplanectl",
	.check = lab_check,
	.conf_create = lab_conf_create,
	.leg_add = lab_leg_add,
	.conf_delete = lab_conf_delete,
	.key_add = lab_key_add,
	.key_activate = lab_key_activate,
	.key_remove = lab_key_remove,
	.conf_show = lab_conf_show,
	.drops_show = lab_drops_show,
};

/* ---- --legs FILE: somebody else set the legs up ------------------------------------------------ */

static int
file_conf_create(struct mg *m, struct mg_conf *c, char *err, size_t errlen)
{
	(void)m, (void)c, (void)err, (void)errlen;
	return 0;
}

static int
file_leg_add(struct mg *m, struct mg_conf *c, struct mg_part *p, char *err, size_t errlen)
{
	(void)m, (void)c, (void)p, (void)err, (void)errlen;
	return 0;
}

static int
file_drops_show(struct mg *m, char *buf, size_t cap)
{
	/* The daemon's counters, when its control socket is on this machine. */
	return m->o.socket ? lab_drops_show(m, buf, cap) : -1;
}

/* ---- --ctl none: nothing is set up ---------------------------------------------------------- */

static int
none_check(struct mg *m, char *err, size_t errlen)
{
	(void)m, (void)err, (void)errlen;
	return 0;
}

static int
none_conf_create(struct mg *m, struct mg_conf *c, char *err, size_t errlen)
{
	(void)m, (void)err, (void)errlen;
	c->id = c->idx + 1;
	return 0;
}

static int
none_leg_add(struct mg *m, struct mg_conf *c, struct mg_part *p, char *err, size_t errlen)
{
	(void)c, (void)err, (void)errlen;
	p->leg_id = p->idx + 1;
	p->mixer_ip = m->o.peer;
	p->mixer_port = (uint16_t)(m->o.peer_port_base + 2 * p->idx);
	p->mixer_rtcp_port = (uint16_t)(p->mixer_port + 1);
	return 0;
}

static int
none_conf_delete(struct mg *m, struct mg_conf *c, char *err, size_t errlen)
{
	(void)m, (void)c, (void)err, (void)errlen;
	return 0;
}

static const struct mg_ctl_ops none_ops = {
	.name = "none",
	.check = none_check,
	.conf_create = none_conf_create,
	.leg_add = none_leg_add,
	.conf_delete = none_conf_delete,
};

static const struct mg_ctl_ops file_ops = {
	.name = "file",
	.check = none_check,
	.conf_create = file_conf_create,
	.leg_add = file_leg_add,
	.conf_delete = none_conf_delete,
	.drops_show = file_drops_show,
};

const struct mg_ctl_ops *
mg_ctl_find(const char *name)
{
	if (strcmp(name, lab_ops.name) == 0)
		return &lab_ops;
	if (strcmp(name, file_ops.name) == 0)
		return &file_ops;
	if (strcmp(name, none_ops.name) == 0)
		return &none_ops;
	return NULL;
}

/* ---- JSON accessors --------------------------------------------------------------------------- */

static const char *
json_find(const char *json, const char *key)
{
	char pat[80];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *s = strstr(json, pat);
	if (s == NULL)
		return NULL;
	s += strlen(pat);
	while (*s == ' ')
		s++;
	return s;
}

bool
mg_json_u64(const char *json, const char *key, uint64_t *v)
{
	const char *s = json_find(json, key);
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	*v = strtoull(s, NULL, 10);
	return true;
}

bool
mg_json_str(const char *json, const char *key, char *out, size_t cap)
{
	const char *s = json_find(json, key);
	if (s == NULL || *s != '"')
		return false;
	s++;
	size_t n = 0;
	while (*s && *s != '"' && n + 1 < cap)
		out[n++] = *s++;
	out[n] = '\0';
	return *s == '"';
}
