/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab commands for signals (lib/conf conf_signal.c): play a tone, an announcement or DTMF
 * to a leg or into a conference, stop it, and list the tone table. The Mp control plane
 * drives the same API from H.248 Signals descriptors.
 *
 * Announcements: `announcement load` and [media] announcement_preload convert files before
 * any signal needs them (into lib/conf's cache, converted by lib/media's loader thread);
 * `show announcements` lists what is in memory; the control core's timer logs each
 * conversion the loader finished (mxp_cli_announcements_timer).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "mixplane.h"
#include "mxp_conf.h"
#include "mxp_media_announce.h"
#include "mxp_media_signal.h"

/* Announcements a preload converts at most: half of lib/conf's cache of 64, so signals
 * still find room for the files they name without evicting the preloaded ones. */
#define PRELOAD_MAX 32
/* Announcements show announcements lists at most (the cache and those still playing after
 * they left it). */
#define SHOW_MAX 384

#define CONF_ERR(r) ((r) == -ENOENT ? MXP_CTL_NOTFOUND : \
		     (r) == -EINVAL || (r) == -ENOTSUP || (r) == -EACCES ? MXP_CTL_USAGE : \
		     MXP_CTL_ERR)

/* TARGET tone NAME|announcement FILE|dtmf DIGITS [duration MS] [repeat N] [replace] [tag N] */
static int
parse_signal(struct cli_req *r, int i, uint32_t *target, struct mxp_signal *s)
{
	memset(s, 0, sizeof(*s));
	if (i + 2 >= r->argc || cli_u32_arg(r->argv[i], UINT32_MAX, target))
		return MXP_CTL_USAGE;
	const char *kind = r->argv[i + 1], *name = r->argv[i + 2];
	if (!strcmp(kind, "tone"))
		s->kind = MXP_SIGNAL_TONE;
	else if (!strcmp(kind, "announcement"))
		s->kind = MXP_SIGNAL_ANNOUNCEMENT;
	else if (!strcmp(kind, "dtmf"))
		s->kind = MXP_SIGNAL_DTMF;
	else
		return cli_fail(r, MXP_CTL_USAGE, "'%s': expected tone, announcement or dtmf", kind);
	if (strlen(name) >= sizeof(s->name))
		return cli_fail(r, MXP_CTL_USAGE, "'%s': longer than %zu characters", name,
				sizeof(s->name) - 1);
	snprintf(s->name, sizeof(s->name), "%s", name);
	uint32_t v;
	for (i += 3; i < r->argc; i++) {
		const char *k = r->argv[i], *a = i + 1 < r->argc ? r->argv[i + 1] : NULL;
		if (!strcmp(k, "replace")) {
			s->replace = true;
			continue;
		}
		if (a == NULL)
			return cli_fail(r, MXP_CTL_USAGE, "'%s' needs a value", k);
		if (!strcmp(k, "duration")) {
			if (cli_u32_arg(a, 24u * 3600 * 1000, &v))
				return cli_fail(r, MXP_CTL_USAGE, "duration '%s': expected ms", a);
			s->duration_ms = v;
		} else if (!strcmp(k, "repeat")) {
			if (cli_u32_arg(a, 65535, &v))
				return cli_fail(r, MXP_CTL_USAGE, "repeat '%s': expected 0..65535", a);
			s->repeat = (uint16_t)v;
		} else if (!strcmp(k, "tag")) {
			if (cli_u32_arg(a, UINT32_MAX, &v))
				return cli_fail(r, MXP_CTL_USAGE, "tag '%s': expected a number", a);
			s->tag = v;
		} else {
			return cli_fail(r, MXP_CTL_USAGE, "unexpected '%s'", k);
		}
		i++;
	}
	return MXP_CTL_OK;
}

static int
play(struct cli_req *r, int i, bool leg)
{
	uint32_t id;
	struct mxp_signal s;
	int st = parse_signal(r, i, &id, &s);
	if (st != MXP_CTL_OK)
		return st;
	char err[256] = "";
	int rc = leg ? mxp_conf_leg_signal_start(r->ctx->conf, id, &s, err, sizeof(err)) :
		       mxp_conf_signal_start(r->ctx->conf, id, &s, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "%s play: %s", leg ? "leg" : "conference", err);
	if (r->json)
		mxp_buf_printf(r->out, "{\"%s\":%u,\"playing\":\"%s\",\"tag\":%u}",
			       leg ? "leg" : "conference", id, s.name, s.tag);
	else
		mxp_buf_printf(r->out, "%s %u: playing %s\n", leg ? "leg" : "conference", id,
			       s.name);
	return MXP_CTL_OK;
}

static int
cli_leg_play(struct cli_req *r, int i)
{
	return play(r, i, true);
}

static int
cli_conf_play(struct cli_req *r, int i)
{
	return play(r, i, false);
}

static int
stop(struct cli_req *r, int i, bool leg)
{
	uint32_t id;
	if (r->argc != i + 1 || cli_u32_arg(r->argv[i], UINT32_MAX, &id))
		return MXP_CTL_USAGE;
	char err[256] = "";
	int rc = leg ? mxp_conf_leg_signal_stop(r->ctx->conf, id, err, sizeof(err)) :
		       mxp_conf_signal_stop(r->ctx->conf, id, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "%s stop-signal: %s", leg ? "leg" : "conference",
				err);
	mxp_buf_printf(r->out, r->json ? "{\"stopped\":%u}" : "signal of %u stopped\n", id);
	return MXP_CTL_OK;
}

static int
cli_leg_stop_signal(struct cli_req *r, int i)
{
	return stop(r, i, true);
}

static int
cli_conf_stop_signal(struct cli_req *r, int i)
{
	return stop(r, i, false);
}

/* "425", "350+440", "-" */
static void
freq_str(const struct mxp_tone_seg *g, char *b, size_t n)
{
	if (g->freq[0] == 0)
		snprintf(b, n, "-");
	else if (g->freq[1] == 0)
		snprintf(b, n, "%u", g->freq[0]);
	else
		snprintf(b, n, "%u+%u", g->freq[0], g->freq[1]);
}

static int
cli_show_tones(struct cli_req *r, int i)
{
	const char *name = i < r->argc ? r->argv[i] : mxp_conf_signal_country(r->ctx->conf);
	const struct mxp_tone_set *set = mxp_tone_set_find(name);
	if (set == NULL || r->argc > i + 1) {
		unsigned int n;
		const struct mxp_tone_set *all = mxp_tone_sets(&n);
		mxp_buf_reset(r->out);
		mxp_buf_printf(r->out, "unknown tone country '%s'; known:", name);
		for (unsigned int k = 0; k < n; k++)
			mxp_buf_printf(r->out, " %s", all[k].name);
		mxp_buf_printf(r->out, "\n");
		return MXP_CTL_USAGE;
	}
	const struct mxp_tone_set *itu = mxp_tone_set_find("itu");
	/* the set's own tones, then the ITU ones it takes over */
	const struct mxp_tone_def *list[64];
	unsigned int nl = 0;
	for (unsigned int k = 0; k < set->ntones && nl < 64; k++)
		list[nl++] = &set->tones[k];
	for (unsigned int k = 0; set != itu && k < itu->ntones && nl < 64; k++)
		if (mxp_tone_find(set, itu->tones[k].name) == &itu->tones[k])
			list[nl++] = &itu->tones[k];
	struct mxp_json j;
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_str(&j, "country", set->name);
		mxp_json_str(&j, "description", set->desc);
		mxp_json_arr_open(&j, "tones");
	} else {
		mxp_buf_printf(r->out, "tone set %s: %s\n", set->name, set->desc);
		mxp_buf_printf(r->out, "%-12s %-34s %-9s %s\n", "name", "tone", "dBm0",
			       "cadence (Hz/ms ...)");
	}
	for (unsigned int k = 0; k < nl; k++) {
		const struct mxp_tone_def *d = list[k];
		char cad[256] = "";
		size_t off = 0;
		for (unsigned int g = 0; g < d->nseg && off < sizeof(cad); g++) {
			char f[16];
			freq_str(&d->seg[g], f, sizeof(f));
			if (d->seg[g].ms)
				off += (size_t)snprintf(cad + off, sizeof(cad) - off, "%s%s/%u",
							g ? " " : "", f, d->seg[g].ms);
			else
				off += (size_t)snprintf(cad + off, sizeof(cad) - off, "%s%s/steady",
							g ? " " : "", f);
		}
		if (off < sizeof(cad))
			snprintf(cad + off, sizeof(cad) - off, "%s", d->repeat ? " (repeats)" : "");
		char lvl[16];
		if (d->level[1] && d->level[1] != d->level[0])
			snprintf(lvl, sizeof(lvl), "%d/%d", d->level[0], d->level[1]);
		else
			snprintf(lvl, sizeof(lvl), "%d", d->level[0]);
		if (r->json) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_str(&j, "name", d->name);
			mxp_json_str(&j, "description", d->desc);
			mxp_json_i64(&j, "level_dbm0", d->level[0]);
			mxp_json_str(&j, "cadence", cad);
			mxp_json_bool(&j, "repeats", d->repeat);
			mxp_json_bool(&j, "from_itu", set != itu && d >= itu->tones &&
							  d < itu->tones + itu->ntones);
			mxp_json_obj_close(&j);
		} else {
			mxp_buf_printf(r->out, "%-12s %-34s %-9s %s\n", d->name, d->desc, lvl, cad);
		}
	}
	if (r->json) {
		mxp_json_arr_close(&j);
		mxp_json_obj_close(&j);
	}
	return MXP_CTL_OK;
}

static const char *const ann_states[] = {
	[MXP_ANN_READY] = "ready",
	[MXP_ANN_QUEUED] = "queued",
	[MXP_ANN_CONVERTING] = "converting",
	[MXP_ANN_FAILED] = "failed",
};

/* The newest announcement of that name in memory (the cache's). */
static bool
ann_find(const char *name, struct mxp_announcement_info *out)
{
	static struct mxp_announcement_info l[SHOW_MAX];
	unsigned int n = mxp_announcement_list(l, SHOW_MAX);
	for (unsigned int k = 0; k < n && k < SHOW_MAX; k++)
		if (strcmp(l[k].name, name) == 0) {
			*out = l[k];
			return true;
		}
	return false;
}

/* Check an announcement and put it into the cache, converted or queued for the loader. */
static int
ann_load(struct mxp_conf_sys *conf, const char *name, struct mxp_announcement_info *in,
	 char *err, size_t errlen)
{
	struct mxp_signal s = { .kind = MXP_SIGNAL_ANNOUNCEMENT };
	if (strlen(name) >= sizeof(s.name)) {
		snprintf(err, errlen, "'%s': longer than %zu characters", name,
			 sizeof(s.name) - 1);
		return -EINVAL;
	}
	snprintf(s.name, sizeof(s.name), "%s", name);
	int rc = mxp_conf_signal_check(conf, &s, err, errlen);
	if (rc == 0 && !ann_find(name, in))
		memset(in, 0, sizeof(*in));
	return rc;
}

static int
cli_announcement_load(struct cli_req *r, int i)
{
	if (r->argc != i + 1)
		return MXP_CTL_USAGE;
	char err[256] = "";
	struct mxp_announcement_info in;
	int rc = ann_load(r->ctx->conf, r->argv[i], &in, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "announcement load: %s", err);
	if (r->json)
		mxp_buf_printf(r->out, "{\"announcement\":\"%s\",\"state\":\"%s\","
			       "\"duration_ms\":%u,\"src_rate\":%u,\"bytes\":%" PRIu64 "}",
			       r->argv[i], ann_states[in.state], in.duration_ms, in.src_rate,
			       in.bytes);
	else
		mxp_buf_printf(r->out, "announcement %s: %s (%u.%03u s at %u Hz%s)\n", r->argv[i],
			       in.state == MXP_ANN_READY ? "converted" :
			       "converting in the background", in.duration_ms / 1000,
			       in.duration_ms % 1000, in.src_rate,
			       in.state == MXP_ANN_READY ? "" : "; show announcements");
	return MXP_CTL_OK;
}

static int
cli_show_announcements(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	static struct mxp_announcement_info l[SHOW_MAX];
	unsigned int n = mxp_announcement_list(l, SHOW_MAX), shown = n < SHOW_MAX ? n : SHOW_MAX;
	uint64_t total = 0;
	for (unsigned int k = 0; k < shown; k++)
		total += l[k].bytes;
	struct mxp_json j;
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_u64(&j, "count", n);
		mxp_json_u64(&j, "bytes", total);
		mxp_json_u64(&j, "loader_busy", mxp_announcement_loader_busy());
		mxp_json_arr_open(&j, "announcements");
	} else {
		mxp_buf_printf(r->out, "%u announcement(s) in memory, %" PRIu64 " KiB; the loader "
			       "has %u queued or converting\n", n, total / 1024,
			       mxp_announcement_loader_busy());
		mxp_buf_printf(r->out, "%-32s %-10s %10s %8s %9s %5s %10s %s\n", "name", "state",
			       "duration_s", "rate_hz", "mem_kib", "refs", "convert_ms", "error");
	}
	for (unsigned int k = 0; k < shown; k++) {
		const struct mxp_announcement_info *a = &l[k];
		if (r->json) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_str(&j, "name", a->name);
			mxp_json_str(&j, "state", ann_states[a->state]);
			mxp_json_u64(&j, "duration_ms", a->duration_ms);
			mxp_json_u64(&j, "src_rate", a->src_rate);
			mxp_json_u64(&j, "bytes", a->bytes);
			mxp_json_u64(&j, "refs", a->refs);
			mxp_json_u64(&j, "convert_ms", a->convert_ms);
			if (a->state == MXP_ANN_FAILED)
				mxp_json_str(&j, "error", a->error);
			mxp_json_obj_close(&j);
		} else {
			bool failed = a->state == MXP_ANN_FAILED;
			mxp_buf_printf(r->out, "%-32s %-10s %6u.%03u %8u %9" PRIu64
				       " %5u %10u%s%s\n", a->name, ann_states[a->state],
				       a->duration_ms / 1000, a->duration_ms % 1000, a->src_rate,
				       a->bytes / 1024, a->refs, a->convert_ms, failed ? " " : "",
				       failed ? a->error : "");
		}
	}
	if (r->json) {
		mxp_json_arr_close(&j);
		mxp_json_obj_close(&j);
	}
	return MXP_CTL_OK;
}

/* One name of a preload. */
static bool
preload_one(struct mxp_conf_sys *conf, const char *name)
{
	char err[256] = "";
	struct mxp_announcement_info in;
	if (ann_load(conf, name, &in, err, sizeof(err)) != 0) {
		MXP_LOG(WARNING, "announcement_preload: %s", err);
		return false;
	}
	MXP_LOG(INFO, "announcement_preload: %s %s (%u.%03u s at %u Hz)", name,
		in.state == MXP_ANN_READY ? "converted" : "queued for the loader",
		in.duration_ms / 1000, in.duration_ms % 1000, in.src_rate);
	return true;
}

unsigned int
mxp_cli_announcement_preload(struct mxp_conf_sys *conf, const char *list, const char *dir)
{
	char buf[sizeof(((struct mxp_cfg *)0)->announcement_preload)];
	snprintf(buf, sizeof(buf), "%s", list);
	unsigned int n = 0;
	char *save;
	for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "*") != 0) {
			if (n < PRELOAD_MAX)
				n += preload_one(conf, tok);
			else
				MXP_LOG(WARNING, "announcement_preload: %s left out (at most %d)",
					tok, PRELOAD_MAX);
			continue;
		}
		/* every regular file of the directory, in name order */
		struct dirent **ents;
		int ne = dir[0] ? scandir(dir, &ents, NULL, alphasort) : -1;
		if (ne < 0) {
			MXP_LOG(WARNING, "announcement_preload: cannot list %s", dir[0] ? dir :
				"(no announcement_dir)");
			continue;
		}
		for (int k = 0; k < ne; k++) {
			char path[512];
			struct stat st;
			snprintf(path, sizeof(path), "%s/%s", dir, ents[k]->d_name);
			if (ents[k]->d_name[0] != '.' && stat(path, &st) == 0 &&
			    S_ISREG(st.st_mode)) {
				if (n < PRELOAD_MAX)
					n += preload_one(conf, ents[k]->d_name);
				else
					MXP_LOG(WARNING, "announcement_preload: %s left out (at "
						"most %d)", ents[k]->d_name, PRELOAD_MAX);
			}
			free(ents[k]);
		}
		free(ents);
	}
	return n;
}

void
mxp_cli_announcements_timer(void)
{
	struct mxp_announcement_info d[8];
	uint64_t lost = 0;
	static uint64_t lost_seen;
	unsigned int n;
	while ((n = mxp_announcement_poll(d, 8, &lost)) > 0) {
		for (unsigned int k = 0; k < n; k++) {
			if (d[k].state == MXP_ANN_READY)
				MXP_LOG(INFO, "announcement %s: converted in %u ms (%u.%03u s at "
					"%u Hz, %" PRIu64 " KiB)", d[k].name, d[k].convert_ms,
					d[k].duration_ms / 1000, d[k].duration_ms % 1000,
					d[k].src_rate, d[k].bytes / 1024);
			else
				MXP_LOG(WARNING, "announcement %s: conversion failed: %s (its "
					"signals end as failed, g/sc NC)", d[k].name, d[k].error);
		}
		if (n < 8)
			break;
	}
	if (lost != lost_seen) {
		MXP_LOG(WARNING, "announcements: %" PRIu64 " conversion end(s) not logged",
			lost - lost_seen);
		lost_seen = lost;
	}
}

#define SIGNAL_ARGS "tone NAME|announcement FILE|dtmf DIGITS [duration MS] [repeat N] [replace] " \
		    "[tag N]"

const struct cli_cmd mxp_cli_signal_cmds[] = {
	{ "leg play", "LEG " SIGNAL_ARGS,
	  "play a tone, an announcement or DTMF to one leg (mix and switch conferences)",
	  cli_leg_play },
	{ "conference play", "CONF " SIGNAL_ARGS,
	  "play a tone, an announcement or DTMF into a mix or switch conference (all hear it)",
	  cli_conf_play },
	{ "leg stop-signal", "LEG", "stop the signal playing to a leg", cli_leg_stop_signal },
	{ "conference stop-signal", "CONF", "stop the conference's signal", cli_conf_stop_signal },
	{ "show tones", "[COUNTRY]", "the tone table (the configured country set by default)",
	  cli_show_tones },
	{ "announcement load", "FILE",
	  "check an announcement of [media] announcement_dir and convert it before a signal "
	  "needs it (a long one in the background)", cli_announcement_load },
	{ "show announcements", "",
	  "announcements in memory: state, duration, source rate, memory, references",
	  cli_show_announcements },
	MXP_CLI_END
};
