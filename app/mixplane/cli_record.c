/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recording commands (lib/conf conf_record.c): start and stop a mix conference's recording
 * to a WAV file in [media] recording_dir, and list the recordings. The Mp control plane
 * drives the same API with the mxp/record property (lib/mrfp).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "cli.h"
#include "mxp_conf.h"

static int
rec_status(int r)
{
	switch (r) {
	case -ENOENT: return MXP_CTL_NOTFOUND;
	case -EINVAL:
	case -ENOTSUP: return MXP_CTL_USAGE;
	default: return MXP_CTL_ERR;
	}
}

/* "disk full", "write error (Input/output error)", ... */
static void
rec_reason(const struct mxp_rec_info *in, char *b, size_t n)
{
	switch (in->state) {
	case MXP_REC_DISK_FULL: snprintf(b, n, "disk full"); break;
	case MXP_REC_WRITE_ERROR: snprintf(b, n, "write error (%s)", strerror(in->err)); break;
	case MXP_REC_MAX_TIME: snprintf(b, n, "max-seconds %u reached", in->max_seconds); break;
	case MXP_REC_SIZE_LIMIT: snprintf(b, n, "the WAV size limit (4 GiB) reached"); break;
	case MXP_REC_CONF_GONE: snprintf(b, n, "conference deleted"); break;
	case MXP_REC_SHUTDOWN: snprintf(b, n, "daemon shut down"); break;
	default: b[0] = '\0'; break;
	}
}

/* One line: "recording to a.wav: ..." or "stopped: disk full after 12.0 s (a.wav, ...)". */
static void
rec_line(struct mxp_buf *out, const struct mxp_rec_info *in)
{
	char why[96];
	rec_reason(in, why, sizeof(why));
	if (in->state == MXP_REC_ACTIVE)
		mxp_buf_printf(out, "recording to %s for %.1f s", in->name,
			       (double)in->elapsed_ms / 1000);
	else
		mxp_buf_printf(out, "stopped%s%s after %.1f s (%s", why[0] ? ": " : "", why,
			       (double)in->elapsed_ms / 1000, in->name);
	mxp_buf_printf(out, "%s%.1f s of audio at %u Hz, %" PRIu64 " bytes, %" PRIu64
		       " ticks dropped, %" PRIu64 " late%s\n", in->state == MXP_REC_ACTIVE ? ": " : ", ",
		       (double)in->audio_ms / 1000, in->rate, in->bytes, in->dropped, in->late,
		       in->state == MXP_REC_ACTIVE ? "" : ")");
}

static void
rec_json(struct mxp_json *j, const struct mxp_rec_info *in)
{
	char why[96];
	rec_reason(in, why, sizeof(why));
	mxp_json_u64(j, "conference", in->conf_id);
	mxp_json_str(j, "file", in->name);
	mxp_json_str(j, "state", mxp_rec_state_name(in->state));
	mxp_json_str(j, "reason", why);
	if (in->state == MXP_REC_WRITE_ERROR)
		mxp_json_i64(j, "errno", in->err);
	mxp_json_u64(j, "rate", in->rate);
	mxp_json_u64(j, "max_seconds", in->max_seconds);
	mxp_json_u64(j, "elapsed_ms", in->elapsed_ms);
	mxp_json_u64(j, "audio_ms", in->audio_ms);
	mxp_json_u64(j, "bytes", in->bytes);
	mxp_json_u64(j, "frames", in->frames);
	mxp_json_u64(j, "dropped", in->dropped);
	mxp_json_u64(j, "late", in->late);
	mxp_json_u64(j, "converted", in->converted);
	mxp_json_u64(j, "writes", in->writes);
}

void
cli_record_conf(struct cli_req *r, struct mxp_json *j, uint32_t conf_id)
{
	struct mxp_rec_info in;
	bool have = mxp_conf_record_get(r->ctx->conf, conf_id, &in) == 0;
	if (j != NULL) {
		if (!have) {
			mxp_json_null(j, "recording");
			return;
		}
		mxp_json_obj_open(j, "recording");
		rec_json(j, &in);
		mxp_json_obj_close(j);
	} else if (have) {
		mxp_buf_printf(r->out, "recording: ");
		rec_line(r->out, &in);
	}
}

/* conference record CONF start FILE [max-seconds S] [overwrite] | CONF stop */
static int
cmd_record(struct cli_req *r, int i)
{
	uint32_t id;
	if (i + 1 >= r->argc || cli_u32_arg(r->argv[i], UINT32_MAX, &id))
		return MXP_CTL_USAGE;
	const char *what = r->argv[i + 1];
	char err[320] = "";
	if (!strcmp(what, "stop")) {
		if (r->argc != i + 2)
			return cli_fail(r, MXP_CTL_USAGE, "conference record %u stop: no more arguments",
					id);
		int rc = mxp_conf_record_stop(r->ctx->conf, id, err, sizeof(err));
		if (rc)
			return cli_fail(r, rec_status(rc), "conference record: %s", err);
	} else if (!strcmp(what, "start")) {
		if (i + 2 >= r->argc)
			return cli_fail(r, MXP_CTL_USAGE, "conference record %u start: give a FILE name",
					id);
		struct mxp_rec_params p = { .name = r->argv[i + 2] };
		for (int k = i + 3; k < r->argc; k++) {
			if (!strcmp(r->argv[k], "overwrite")) {
				p.overwrite = true;
			} else if (!strcmp(r->argv[k], "max-seconds") && k + 1 < r->argc) {
				if (cli_u32_arg(r->argv[k + 1], 7 * 86400, &p.max_seconds) ||
				    p.max_seconds == 0)
					return cli_fail(r, MXP_CTL_USAGE,
							"max-seconds '%s': expected 1..604800",
							r->argv[k + 1]);
				k++;
			} else {
				return cli_fail(r, MXP_CTL_USAGE, "conference record: unexpected '%s'",
						r->argv[k]);
			}
		}
		int rc = mxp_conf_record_start(r->ctx->conf, id, &p, err, sizeof(err));
		if (rc)
			return cli_fail(r, rec_status(rc), "conference record: %s%s", err,
					rc == -EEXIST && !p.overwrite && strstr(err, "being written") == NULL ?
						" (overwrite replaces it)" : "");
	} else {
		return cli_fail(r, MXP_CTL_USAGE, "conference record: '%s': expected start or stop",
				what);
	}
	struct mxp_rec_info in;
	if (mxp_conf_record_get(r->ctx->conf, id, &in))
		return MXP_CTL_ERR;
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		rec_json(&j, &in);
		mxp_json_obj_close(&j);
	} else {
		mxp_buf_printf(r->out, "conference %u: ", id);
		rec_line(r->out, &in);
	}
	return MXP_CTL_OK;
}

static int
cmd_show_recordings(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	struct mxp_rec_info in[64 + MXP_REC_HISTORY];
	unsigned int n = mxp_conf_record_list(r->ctx->conf, in, RTE_DIM(in));
	struct mxp_rec_stats st;
	mxp_conf_record_stats(r->ctx->conf, &st);
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_u64(&j, "active", st.active);
		mxp_json_u64(&j, "started", st.started);
		mxp_json_u64(&j, "stopped", st.stopped);
		mxp_json_u64(&j, "disk_full", st.disk_full);
		mxp_json_u64(&j, "write_errors", st.write_errors);
		mxp_json_u64(&j, "dropped", st.dropped);
		mxp_json_arr_open(&j, "recordings");
		for (unsigned int k = 0; k < n; k++) {
			mxp_json_obj_open(&j, NULL);
			rec_json(&j, &in[k]);
			mxp_json_obj_close(&j);
		}
		mxp_json_arr_close(&j);
		mxp_json_obj_close(&j);
		return MXP_CTL_OK;
	}
	mxp_buf_printf(r->out, "recordings: %u active, %" PRIu64 " started, %" PRIu64
		       " stopped (%" PRIu64 " disk full, %" PRIu64 " write errors), %" PRIu64
		       " ticks dropped\n", st.active, st.started, st.stopped, st.disk_full,
		       st.write_errors, st.dropped);
	for (unsigned int k = 0; k < n; k++) {
		mxp_buf_printf(r->out, "  conference %u: ", in[k].conf_id);
		rec_line(r->out, &in[k]);
	}
	return MXP_CTL_OK;
}

const struct cli_cmd mxp_cli_record_cmds[] = {
	{ "conference record", "CONF start FILE [max-seconds S] [overwrite] | CONF stop",
	  "record a mix conference's shared mix to FILE (a .wav name in [media] recording_dir)",
	  cmd_record },
	{ "show recordings", "", "recordings: the active ones, the last finished ones, totals",
	  cmd_show_recordings },
	MXP_CLI_END
};
