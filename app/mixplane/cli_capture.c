/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture commands (lib/conf conf_capture.c): capture a leg's or a conference's
 * packets, in and out, to a pcapng file the daemon writes; stop it; list captures.
 *
 *   capture leg ID file PATH [seconds S] [packets P] [bytes B[k|M|G]] [overwrite]
 *   capture conference ID file PATH [...]
 *   capture stop [ID]
 *   show captures
 *
 * The file: an absolute path whose directory exists; created owner-only (0600), never
 * through a symbolic link; an existing file is refused unless 'overwrite' is given (and
 * then only a regular file, which is emptied and made 0600). A command that fails leaves
 * no file behind (nor changes an existing one, but for a worker that stops answering).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "mixplane.h"
#include "mxp_conf_capture.h"
#include "ports.h"

#define CAP_ERR(r) ((r) == -ENOENT ? MXP_CTL_NOTFOUND : (r) == -EINVAL ? MXP_CTL_USAGE : \
		    MXP_CTL_ERR)

/* Bytes, with an optional k/M/G suffix (powers of 1024). */
static int
bytes_arg(const char *s, uint64_t *v)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || x > MXP_CAPTURE_MAX_BYTES)
		return -EINVAL;
	unsigned int shift = 0;
	if (*end == 'k' || *end == 'K')
		shift = 10;
	else if (*end == 'm' || *end == 'M')
		shift = 20;
	else if (*end == 'g' || *end == 'G')
		shift = 30;
	if (shift)
		end++;
	if (*end != '\0' || x > (MXP_CAPTURE_MAX_BYTES >> shift))
		return -EINVAL;
	*v = (uint64_t)x << shift;
	return 0;
}

/* Open the capture file as the header says into *fdp; *created: we made it (remove it on
 * failure). Returns MXP_CTL_OK or the failure's status (the reply says why). */
static int
open_file(struct cli_req *r, const char *path, bool overwrite, int *fdp, bool *created)
{
	*created = false;
	*fdp = -1;
	if (path[0] != '/')
		return cli_fail(r, MXP_CTL_USAGE, "file '%s': give an absolute path", path);
	if (strlen(path) >= MXP_CAPTURE_PATH_MAX)
		return cli_fail(r, MXP_CTL_USAGE, "file: longer than %d characters",
				MXP_CAPTURE_PATH_MAX - 1);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*created = true;
	} else if (errno == EEXIST && overwrite) {
		fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		struct stat st;
		if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
			close(fd);
			return cli_fail(r, MXP_CTL_USAGE, "file %s: not a regular file", path);
		}
	} else if (errno == EEXIST) {
		return cli_fail(r, MXP_CTL_USAGE, "file %s exists (add 'overwrite' to replace it)",
				path);
	}
	if (fd < 0)
		return cli_fail(r, MXP_CTL_ERR, "file %s: %s%s", path, strerror(errno),
				errno == ELOOP ? " (a symbolic link: refused)" : "");
	if (fchmod(fd, 0600) != 0) {
		int e = errno;
		close(fd);
		if (*created)
			unlink(path);
		return cli_fail(r, MXP_CTL_ERR, "file %s: chmod: %s", path, strerror(e));
	}
	*fdp = fd;
	return MXP_CTL_OK;
}

static int
capture_start(struct cli_req *r, int i, bool leg)
{
	struct mxp_conf_capture_params p = {
		.max_seconds = MXP_CAPTURE_DEF_SECONDS,
		.max_packets = MXP_CAPTURE_DEF_PACKETS,
		.max_bytes = MXP_CAPTURE_DEF_BYTES,
	};
	const char *what = leg ? "leg" : "conference";
	uint32_t id;
	if (i >= r->argc || cli_u32_arg(r->argv[i], UINT32_MAX, &id) || id == 0)
		return cli_fail(r, MXP_CTL_USAGE, "capture %s: expected a %s id, then file PATH",
				what, what);
	const char *path = NULL;
	bool overwrite = false;
	for (i++; i < r->argc; i++) {
		const char *k = r->argv[i], *a = i + 1 < r->argc ? r->argv[i + 1] : NULL;
		if (!strcmp(k, "overwrite")) {
			overwrite = true;
			continue;
		}
		if (a == NULL)
			return cli_fail(r, MXP_CTL_USAGE, "'%s' needs a value", k);
		if (!strcmp(k, "file")) {
			path = a;
		} else if (!strcmp(k, "seconds")) {
			if (cli_u32_arg(a, MXP_CAPTURE_MAX_SECONDS, &p.max_seconds) ||
			    p.max_seconds == 0)
				return cli_fail(r, MXP_CTL_USAGE, "seconds '%s': expected 1..%u", a,
						MXP_CAPTURE_MAX_SECONDS);
		} else if (!strcmp(k, "packets")) {
			if (cli_u32_arg(a, MXP_CAPTURE_MAX_PACKETS, &p.max_packets) ||
			    p.max_packets == 0)
				return cli_fail(r, MXP_CTL_USAGE, "packets '%s': expected 1..%u", a,
						MXP_CAPTURE_MAX_PACKETS);
		} else if (!strcmp(k, "bytes")) {
			if (bytes_arg(a, &p.max_bytes) || p.max_bytes < MXP_CAPTURE_MIN_BYTES)
				return cli_fail(r, MXP_CTL_USAGE,
						"bytes '%s': expected %u..%llu (k, M, G suffixes)", a,
						MXP_CAPTURE_MIN_BYTES, MXP_CAPTURE_MAX_BYTES);
		} else {
			return cli_fail(r, MXP_CTL_USAGE, "unexpected '%s'", k);
		}
		i++;
	}
	if (path == NULL)
		return cli_fail(r, MXP_CTL_USAGE, "capture %s: file PATH is required", what);
	bool created;
	int fd;
	int st = open_file(r, path, overwrite, &fd, &created);
	if (st != MXP_CTL_OK)
		return st;
	p.leg_id = leg ? id : 0;
	p.conf_id = leg ? 0 : id;
	p.fd = fd;
	p.path = path;
	p.nb_ports = r->ctx->ports->nb_ports;
	for (uint16_t k = 0; k < p.nb_ports && k < MXP_CONF_MAX_PORTS; k++)
		p.port_id[k] = r->ctx->ports->port[k].port_id;
	char err[256] = "";
	uint32_t cid;
	/* takes fd; checks the target before it touches the file */
	int rc = mxp_conf_capture_start(r->ctx->conf, &p, &cid, err, sizeof(err));
	if (rc != 0) {
		if (created)
			unlink(path);
		return cli_fail(r, CAP_ERR(rc), "capture %s: %s", what, err);
	}
	MXP_LOG(INFO, "capture %u: %s %u to %s (%u s, %u packets, %" PRIu64 " bytes at most)",
		cid, what, id, path, p.max_seconds, p.max_packets, p.max_bytes);
	if (r->json)
		mxp_buf_printf(r->out,
			       "{\"capture\":%u,\"%s\":%u,\"seconds\":%u,\"packets\":%u,"
			       "\"bytes\":%" PRIu64 "}",
			       cid, leg ? "leg" : "conference", id, p.max_seconds, p.max_packets,
			       p.max_bytes);
	else
		mxp_buf_printf(r->out,
			       "capture %u: %s %u to %s (stops after %u s, %u packets or %" PRIu64
			       " bytes; 'capture stop %u' ends it)\n",
			       cid, what, id, path, p.max_seconds, p.max_packets, p.max_bytes, cid);
	return MXP_CTL_OK;
}

static int
cmd_capture_leg(struct cli_req *r, int i)
{
	return capture_start(r, i, true);
}

static int
cmd_capture_conf(struct cli_req *r, int i)
{
	return capture_start(r, i, false);
}

static const struct mxp_conf_capture_info *
find_info(const struct mxp_conf_capture_info *v, unsigned int n, uint32_t id)
{
	for (unsigned int k = 0; k < n; k++)
		if (v[k].id == id)
			return &v[k];
	return NULL;
}

static int
cmd_capture_stop(struct cli_req *r, int i)
{
	uint32_t id = 0;
	if (r->argc > i + 1 || (r->argc == i + 1 && (cli_u32_arg(r->argv[i], UINT32_MAX, &id) ||
						      id == 0)))
		return cli_fail(r, MXP_CTL_USAGE, "capture stop: expected a capture id or nothing "
				"(every capture)");
	char err[256] = "";
	int rc = mxp_conf_capture_stop(r->ctx->conf, id, err, sizeof(err));
	if (rc != 0)
		return cli_fail(r, rc == -ENOENT ? MXP_CTL_NOTFOUND : MXP_CTL_ERR,
				"capture stop: %s", err);
	if (id == 0) {
		mxp_buf_printf(r->out, r->json ? "{\"stopped\":\"all\"}" : "every capture stopped\n");
		return MXP_CTL_OK;
	}
	struct mxp_conf_capture_info v[32];
	unsigned int n = mxp_conf_capture_list(r->ctx->conf, v, RTE_DIM(v));
	const struct mxp_conf_capture_info *c = find_info(v, n, id);
	uint64_t pk = c ? c->packets : 0, by = c ? c->bytes : 0;
	MXP_LOG(INFO, "capture %u stopped: %" PRIu64 " packets, %" PRIu64 " bytes", id, pk, by);
	if (r->json)
		mxp_buf_printf(r->out, "{\"stopped\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
			       id, pk, by);
	else
		mxp_buf_printf(r->out, "capture %u stopped: %" PRIu64 " packets, %" PRIu64 " bytes\n",
			       id, pk, by);
	return MXP_CTL_OK;
}

static int
cmd_show_captures(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	struct mxp_conf_capture_info v[32];
	unsigned int n = mxp_conf_capture_list(r->ctx->conf, v, RTE_DIM(v));
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_arr_open(&j, NULL);
		for (unsigned int k = 0; k < n; k++) {
			const struct mxp_conf_capture_info *c = &v[k];
			mxp_json_obj_open(&j, NULL);
			mxp_json_u64(&j, "id", c->id);
			if (c->leg_id)
				mxp_json_u64(&j, "leg", c->leg_id);
			mxp_json_u64(&j, "conference", c->conf_id);
			mxp_json_str(&j, "state", c->end == MXP_CAPTURE_RUNNING ? "running" : "ended");
			mxp_json_str(&j, "end", mxp_capture_end_name((enum mxp_capture_end)c->end));
			if (c->end == MXP_CAPTURE_END_WRITE_ERROR)
				mxp_json_str(&j, "error", strerror(c->write_errno));
			mxp_json_str(&j, "file", c->path);
			mxp_json_u64(&j, "packets", c->packets);
			mxp_json_u64(&j, "bytes", c->bytes);
			mxp_json_u64(&j, "ring_full", c->ring_full);
			mxp_json_u64(&j, "no_mbuf", c->no_mbuf);
			mxp_json_u64(&j, "discarded", c->discarded);
			mxp_json_u64(&j, "elapsed_ms", c->elapsed_ms);
			mxp_json_u64(&j, "max_seconds", c->max_seconds);
			mxp_json_u64(&j, "max_packets", c->max_packets);
			mxp_json_u64(&j, "max_bytes", c->max_bytes);
			mxp_json_obj_close(&j);
		}
		mxp_json_arr_close(&j);
		return MXP_CTL_OK;
	}
	if (n == 0) {
		mxp_buf_printf(r->out, "no captures\n");
		return MXP_CTL_OK;
	}
	static const char *const hdr[] = { ">ID", "TARGET", "STATE", ">PACKETS", ">BYTES",
					   ">RING_FULL", ">NO_MBUF", ">SECONDS", "FILE" };
	struct mxp_table t;
	mxp_table_init(&t, RTE_DIM(hdr), hdr);
	for (unsigned int k = 0; k < n; k++) {
		const struct mxp_conf_capture_info *c = &v[k];
		char id[16], tg[32], pk[24], by[24], rf[24], nm[24], sec[24];
		snprintf(id, sizeof(id), "%u", c->id);
		if (c->leg_id)
			snprintf(tg, sizeof(tg), "leg %u", c->leg_id);
		else
			snprintf(tg, sizeof(tg), "conference %u", c->conf_id);
		snprintf(pk, sizeof(pk), "%" PRIu64, c->packets);
		snprintf(by, sizeof(by), "%" PRIu64, c->bytes);
		snprintf(rf, sizeof(rf), "%" PRIu64, c->ring_full);
		snprintf(nm, sizeof(nm), "%" PRIu64, c->no_mbuf);
		snprintf(sec, sizeof(sec), "%" PRIu64 ".%01" PRIu64, c->elapsed_ms / 1000,
			 c->elapsed_ms % 1000 / 100);
		const char *row[] = { id, tg, mxp_capture_end_name((enum mxp_capture_end)c->end),
				      pk, by, rf, nm, sec, c->path };
		mxp_table_row(&t, row);
	}
	mxp_table_render(&t, r->out);
	return MXP_CTL_OK;
}

const struct cli_cmd mxp_cli_capture_cmds[] = {
	{ "capture leg", "LEG file PATH [seconds S] [packets P] [bytes B[k|M|G]] [overwrite]",
	  "write a leg's packets, in and out, as on the wire (SRTP stays encrypted) to a pcapng "
	  "file (0600); defaults 60 s, 100000 packets, 64M",
	  cmd_capture_leg },
	{ "capture conference", "CONF file PATH [seconds S] [packets P] [bytes B] [overwrite]",
	  "the same for every leg of a conference", cmd_capture_conf },
	{ "capture stop", "[ID]", "stop a capture (no ID: every one) and close its file",
	  cmd_capture_stop },
	{ "show captures", "", "captures running and the last ended ones", cmd_show_captures },
	MXP_CLI_END
};
