/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lab commands: conferences and legs through the same lib/conf API the Mp control
 * plane uses. Keys arrive only in the request body (mixplanectl -i FILE or stdin),
 * never on the command line, and are wiped as soon as lib/conf has them. Output shows
 * key fingerprints, never keys.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "cli.h"
#include "cli_keys.h"
#include "mxp_conf.h"
#include "mxp_conf_quality.h"
#include "ports.h"

#define CONF_ERR(r) ((r) == -ENOENT ? MXP_CTL_NOTFOUND : (r) == -EINVAL || (r) == -ENOTSUP ? MXP_CTL_USAGE : MXP_CTL_ERR)

static const char *
ipstr(const struct mxp_ip *ip, char *b)
{
	return mxp_ip_format(ip, b, 64);
}

static void
mki_str(const uint8_t *mki, uint8_t len, char *b, size_t blen)
{
	uint64_t v;
	mxp_srtp_mki_value(mki, len, &v);
	if (len == 0)
		snprintf(b, blen, "-");
	else
		snprintf(b, blen, "%" PRIu64 ":%u", v, len);
}

/* ---- conferences ------------------------------------------------------------------------- */

static int
cmd_conf_create(struct cli_req *r, int i)
{
	struct mxp_conf_params p = { .mode = MXP_CONF_SWITCH };
	uint32_t v;
	for (; i < r->argc; i += 2) {
		const char *k = r->argv[i], *a = i + 1 < r->argc ? r->argv[i + 1] : NULL;
		if (!strcmp(k, "mode") && a) {
			if (mxp_conf_mode_parse(a, &p.mode))
				return cli_fail(r, MXP_CTL_USAGE, "mode '%s': expected switch, forward or mix", a);
		} else if (!strcmp(k, "topn") && a) {
			if (cli_u32_arg(a, 65535, &v))
				return cli_fail(r, MXP_CTL_USAGE, "topn '%s': expected 0..65535", a);
			p.topn = (uint16_t)v;
		} else if (!strcmp(k, "name") && a) {
			snprintf(p.name, sizeof(p.name), "%s", a);
		} else if (!strcmp(k, "ptime") && a) {
			if (cli_u32_arg(a, 40, &v) || (v != 10 && v != 20 && v != 30 && v != 40))
				return cli_fail(r, MXP_CTL_USAGE, "ptime '%s': expected 10, 20, 30 or 40", a);
			p.ptime = (uint16_t)v;
		} else if (!strcmp(k, "max-legs") && a) {
			if (cli_u32_arg(a, 1u << 20, &v) || v == 0)
				return cli_fail(r, MXP_CTL_USAGE, "max-legs '%s': expected 1..1048576", a);
			p.max_legs = v;
		} else {
			return cli_fail(r, MXP_CTL_USAGE, "conference create: unexpected '%s'", k);
		}
	}
	if (mxp_cli_draining())
		return cli_fail(r, MXP_CTL_DRAINING, "conference create: the daemon is draining "
				"(mixplanectl drain): no new conferences");
	uint32_t id;
	char err[256] = "";
	int rc = mxp_conf_create(r->ctx->conf, &p, &id, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "conference create: %s", err);
	if (r->json)
		mxp_buf_printf(r->out, "{\"id\":%u}", id);
	else
		mxp_buf_printf(r->out, "conference %u (%s) on worker %u\n", id,
			       mxp_conf_mode_name(p.mode), 0);
	if (!r->json) {
		struct mxp_conf_info ci;
		mxp_conf_get(r->ctx->conf, id, &ci);
		mxp_buf_reset(r->out);
		mxp_buf_printf(r->out, "conference %u (%s) on worker %u\n", id,
			       mxp_conf_mode_name(p.mode), ci.worker);
	}
	return MXP_CTL_OK;
}

static int
conf_id_arg(struct cli_req *r, int i, uint32_t *id)
{
	if (i >= r->argc || cli_u32_arg(r->argv[i], UINT32_MAX, id))
		return -EINVAL;
	return 0;
}

static int
cmd_conf_delete(struct cli_req *r, int i)
{
	uint32_t id;
	if (r->argc != i + 1 || conf_id_arg(r, i, &id))
		return MXP_CTL_USAGE;
	char err[256] = "";
	int rc = mxp_conf_destroy(r->ctx->conf, id, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "conference delete: %s", err);
	mxp_buf_printf(r->out, r->json ? "{\"deleted\":%u}" : "conference %u deleted\n", id);
	return MXP_CTL_OK;
}

static int
cmd_conf_set(struct cli_req *r, int i)
{
	uint32_t id, v;
	if (r->argc != i + 3 || conf_id_arg(r, i, &id))
		return MXP_CTL_USAGE;
	const char *what = r->argv[i + 1], *val = r->argv[i + 2];
	char err[256] = "";
	int rc;
	if (!strcmp(what, "topn")) {
		if (cli_u32_arg(val, 65535, &v))
			return cli_fail(r, MXP_CTL_USAGE, "topn '%s': expected 0..65535", val);
		rc = mxp_conf_set_topn(r->ctx->conf, id, (uint16_t)v, err, sizeof(err));
	} else if (!strcmp(what, "floor")) {
		if (!strcmp(val, "none") || !strcmp(val, "open"))
			v = 0;
		else if (cli_u32_arg(val, UINT32_MAX, &v))
			return cli_fail(r, MXP_CTL_USAGE, "floor '%s': expected a leg id or none", val);
		rc = mxp_conf_set_floor(r->ctx->conf, id, v, err, sizeof(err));
	} else {
		return MXP_CTL_USAGE;
	}
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "conference set: %s", err);
	mxp_buf_printf(r->out, r->json ? "{\"id\":%u,\"%s\":%u}" : "conference %u: %s %u\n", id,
		       what, v);
	return MXP_CTL_OK;
}

/* ---- legs ----------------------------------------------------------------------------------- */

static int
parse_pt_list(const char *s, struct mxp_leg_params *p)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", s);
	char *save, *tok;
	p->n_pt = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint32_t v;
		if (cli_u32_arg(tok, 127, &v) || p->n_pt == MXP_CONF_MAX_PT)
			return -EINVAL;
		p->pt[p->n_pt++] = (uint8_t)v;
	}
	return p->n_pt ? 0 : -EINVAL;
}

/*
 * `codec NAME/CLOCK[:PT]`: a payload type the leg sends and receives, in order of
 * preference (the first the mixer decodes is what the leg hears). PT defaults to the
 * static one (PCMU 0, PCMA 8, G722 9) or the lowest dynamic type 96..127 not taken.
 */
static int
parse_codec(struct cli_req *r, const char *a, struct mxp_leg_params *p)
{
	char name[32];
	unsigned int clock = 0, pt = 256;
	int n = 0;
	if (sscanf(a, "%31[^/]/%u%n", name, &clock, &n) != 2 ||
	    (a[n] != '\0' && (sscanf(a + n, ":%u", &pt) != 1 || pt > 127)))
		return cli_fail(r, MXP_CTL_USAGE, "codec '%s': expected NAME/CLOCK[:PT], e.g. "
				"AMR-WB/16000:96", a);
	enum mxp_media_codec c = mxp_media_codec_from_name(name, clock);
	if (c == MXP_MEDIA_CODEC_NONE || c == MXP_MEDIA_CODEC_L16_8K ||
	    c == MXP_MEDIA_CODEC_L16_16K)
		return cli_fail(r, MXP_CTL_USAGE, "codec '%s': not supported (PCMU/8000, PCMA/8000, "
				"G722/8000, AMR/8000, AMR-WB/16000, opus/48000, or a plugin's)", a);
	bool fixed = c == MXP_MEDIA_CODEC_PCMU || c == MXP_MEDIA_CODEC_PCMA ||
		     c == MXP_MEDIA_CODEC_G722;
	if (pt == 256 && fixed)
		pt = c == MXP_MEDIA_CODEC_PCMU ? 0 : c == MXP_MEDIA_CODEC_PCMA ? 8 : 9;
	for (unsigned int d = 96; pt == 256 && d <= 127; d++) {
		bool used = d == (unsigned int)p->event_pt;
		for (unsigned int i = 0; i < p->n_pt; i++)
			used |= p->pt[i] == d;
		if (!used)
			pt = d;
	}
	if (pt == 256 || p->n_pt == MXP_CONF_MAX_PT)
		return cli_fail(r, MXP_CTL_USAGE, "codec '%s': no payload type left", a);
	for (unsigned int i = 0; i < p->n_pt; i++)
		if (p->pt[i] == pt)
			return cli_fail(r, MXP_CTL_USAGE, "codec '%s': payload type %u given twice", a,
					pt);
	if (fixed && pt != (c == MXP_MEDIA_CODEC_PCMU ? 0u : c == MXP_MEDIA_CODEC_PCMA ? 8u : 9u))
		return cli_fail(r, MXP_CTL_USAGE, "codec '%s': %s has a static payload type", a, name);
	if (!fixed && pt < 96)
		return cli_fail(r, MXP_CTL_USAGE, "codec '%s': use a dynamic payload type 96..127", a);
	p->pt[p->n_pt++] = (uint8_t)pt;
	if (!fixed) {
		struct mxp_leg_codec *lc = &p->codecs[p->n_codecs++];
		lc->pt = (uint8_t)pt;
		lc->codec = (uint8_t)c;
		char err[160];
		int rc = mxp_media_fmtp_parse(c, "", &lc->fmtp, err, sizeof(err));
		if (rc != 0)
			return cli_fail(r, MXP_CTL_USAGE, "codec '%s': %s", a, err);
	}
	return 0;
}

/* `fmtp PARAMS`: the format parameters of the codec just before (SDP a=fmtp syntax). */
static int
parse_fmtp(struct cli_req *r, const char *a, struct mxp_leg_params *p, bool after_codec)
{
	if (!after_codec || p->n_codecs == 0 ||
	    p->codecs[p->n_codecs - 1].pt != p->pt[p->n_pt - 1])
		return cli_fail(r, MXP_CTL_USAGE, "fmtp '%s': give it right after the codec it "
				"belongs to (codec AMR-WB/16000 fmtp octet-align=1)", a);
	struct mxp_leg_codec *lc = &p->codecs[p->n_codecs - 1];
	char err[160];
	int rc = mxp_media_fmtp_parse((enum mxp_media_codec)lc->codec, a, &lc->fmtp, err,
				      sizeof(err));
	if (rc != 0)
		return cli_fail(r, MXP_CTL_USAGE, "fmtp '%s': %s", a, err);
	return 0;
}

static int
parse_remote(struct cli_req *r, int i, struct mxp_ip *ip, uint16_t *port)
{
	uint32_t v;
	if (i + 1 >= r->argc || mxp_ip_parse(r->argv[i], ip, NULL) ||
	    cli_u32_arg(r->argv[i + 1], 65535, &v) || v == 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* The last telephone events of a leg, oldest first ("5#", "?" for non-DTMF events). */
static const char *
dtmf_last(const struct mxp_leg_stats *s, char *buf)
{
	uint64_t lg = s->dtmf_log;
	unsigned int n = mxp_leg_dtmf_count(lg);
	if (s->dtmf > 0xffff || n > MXP_LEG_DTMF_LOG) /* past 65535 the 16-bit count wrapped */
		n = MXP_LEG_DTMF_LOG;
	unsigned int o = 0;
	for (unsigned int k = n; k-- > 0;) {
		char c = mxp_leg_dtmf_char(mxp_leg_dtmf_event(lg, k));
		buf[o++] = c ? c : '?';
	}
	buf[o] = 0;
	return buf;
}

/* ---- call quality (mxp_conf_quality.h, doc/media.md "Call quality") ------------------------ */

static void
quality_dir_json(struct mxp_json *j, const struct mxp_media_emodel_result *e)
{
	mxp_json_dbl(j, "ppl", e->ppl);
	mxp_json_dbl(j, "burst_r", e->burst_r);
	mxp_json_dbl(j, "delay_ms", e->ta_ms);
	mxp_json_dbl(j, "ie", e->ie);
	mxp_json_dbl(j, "bpl", e->bpl);
	mxp_json_dbl(j, "ie_eff", e->ie_eff);
	mxp_json_dbl(j, "id", e->id);
	mxp_json_dbl(j, "r", e->r);
	mxp_json_dbl(j, "mos", e->mos);
}

static const char *
quality_codec_name(const struct mxp_leg_quality *q)
{
	return q->codec == MXP_MEDIA_CODEC_NONE
		       ? "PCMU"
		       : mxp_media_codec_name((enum mxp_media_codec)q->codec);
}

/* "quality" (scalars), "quality_in" and "quality_out" (null when not estimated): one level of
 * objects, as telemetry's /mixplane/leg,ID carries them */
static void
quality_json(struct mxp_json *j, const struct mxp_leg_quality *q)
{
	mxp_json_obj_open(j, "quality");
	mxp_json_str(j, "codec", quality_codec_name(q));
	mxp_json_bool(j, "codec_assumed", q->codec_assumed || q->codec == MXP_MEDIA_CODEC_NONE);
	mxp_json_u64(j, "ptime_ms", q->ptime_ms);
	if (q->rtt_measured)
		mxp_json_dbl(j, "rtt_ms", q->rtt_ms);
	else
		mxp_json_null(j, "rtt_ms");
	mxp_json_dbl(j, "network_ms", q->net_ms);
	if (q->in_valid || q->out_valid)
		mxp_json_dbl(j, "mos", q->mos);
	else
		mxp_json_null(j, "mos");
	mxp_json_obj_close(j);
	if (q->in_valid) {
		mxp_json_obj_open(j, "quality_in");
		mxp_json_u64(j, "expected", q->in_expected);
		mxp_json_u64(j, "lost", q->in_lost);
		mxp_json_u64(j, "jitter_buffer_ms", q->in_jb_ms);
		quality_dir_json(j, &q->in);
		mxp_json_obj_close(j);
	} else {
		mxp_json_null(j, "quality_in");
	}
	if (q->out_valid) {
		mxp_json_obj_open(j, "quality_out");
		mxp_json_u64(j, "fraction_lost", q->out_fraction_lost);
		mxp_json_dbl(j, "jitter_ms", q->out_jitter_ms);
		quality_dir_json(j, &q->out);
		mxp_json_obj_close(j);
	} else {
		mxp_json_null(j, "quality_out");
	}
}

/* "4.38" or "-" when neither direction is estimated */
static const char *
quality_mos_str(const struct mxp_leg_quality *q, char *b, size_t n)
{
	if (q->in_valid || q->out_valid)
		snprintf(b, n, "%.2f", q->mos);
	else
		snprintf(b, n, "-");
	return b;
}

static void
leg_json(struct mxp_json *j, const struct mxp_leg_info *li, const struct mxp_leg_quality *q)
{
	char a[64], mk[32];
	uint64_t hz = mxp_conf_tsc_hz();
	uint64_t now = rte_rdtsc();
	mxp_json_u64(j, "id", li->id);
	mxp_json_u64(j, "conference", li->conf_id);
	mxp_json_u64(j, "keygroup", li->keygroup_id);
	mxp_json_str(j, "label", li->label);
	mxp_json_str(j, "mode", mxp_stream_mode_name(li->mode));
	mxp_json_u64(j, "port", li->port_idx);
	mxp_json_str(j, "local", ipstr(&li->local, a));
	mxp_json_u64(j, "local_port", li->local_port);
	mxp_json_u64(j, "local_rtcp_port", li->local_rtcp_port);
	if (li->remote_known) {
		mxp_json_str(j, "remote", ipstr(&li->remote, a));
		mxp_json_u64(j, "remote_port", li->remote_port);
		mxp_json_u64(j, "remote_rtcp_port", li->remote_rtcp_port);
		mxp_json_bool(j, "remote_port_guessed", li->remote_guessed & MXP_LEG_RTP_GUESSED);
		mxp_json_bool(j, "remote_rtcp_port_guessed",
			      li->remote_guessed & MXP_LEG_RTCP_GUESSED);
	} else {
		mxp_json_null(j, "remote");
	}
	mxp_json_bool(j, "rtcp_mux", li->rtcp_mux);
	mxp_json_bool(j, "strict", li->strict);
	mxp_json_bool(j, "asymmetric", li->asymmetric);
	mxp_json_bool(j, "cascade", li->cascade);
	mxp_json_bool(j, "plain", li->plain);
	mxp_json_bool(j, "muted", li->muted);
	if (!li->plain) {
		const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(li->in_suite);
		const struct mxp_srtp_suite_info *so = mxp_srtp_suite_info(li->out_suite);
		mxp_json_str(j, "in_suite", si ? si->name : "?");
		mxp_json_str(j, "out_suite", so ? so->name : "?");
		mxp_json_arr_open(j, "in_keys");
		for (unsigned int k = 0; k < li->n_in_keys; k++) {
			mxp_json_obj_open(j, NULL);
			mxp_json_str(j, "fingerprint", li->in_keys[k].fp);
			mki_str(li->in_keys[k].mki, li->in_keys[k].mki_len, mk, sizeof(mk));
			mxp_json_str(j, "mki", mk);
			mxp_json_obj_close(j);
		}
		mxp_json_arr_close(j);
		mxp_json_arr_open(j, "out_keys");
		for (unsigned int k = 0; k < li->n_out_keys; k++) {
			mxp_json_obj_open(j, NULL);
			mxp_json_str(j, "fingerprint", li->out_keys[k].fp);
			mki_str(li->out_keys[k].mki, li->out_keys[k].mki_len, mk, sizeof(mk));
			mxp_json_str(j, "mki", mk);
			mxp_json_bool(j, "active", (int)k == li->out_active);
			mxp_json_obj_close(j);
		}
		mxp_json_arr_close(j);
	}
	const struct mxp_leg_stats *s = &li->st;
	if (s->ssrc_known)
		mxp_json_u64(j, "ssrc", s->ssrc);
	else
		mxp_json_null(j, "ssrc");
	mxp_json_u64(j, "rx_packets", s->rx_pkts);
	mxp_json_u64(j, "rx_bytes", s->rx_bytes);
	mxp_json_u64(j, "rtcp_rx", s->rtcp_rx);
	mxp_json_u64(j, "tx_packets", s->tx_pkts);
	mxp_json_u64(j, "tx_bytes", s->tx_bytes);
	mxp_json_u64(j, "rtcp_tx", s->rtcp_tx);
	mxp_json_u64(j, "rtcp_sr", s->rtcp_sr);
	mxp_json_u64(j, "rtcp_rr", s->rtcp_rr);
	mxp_json_u64(j, "rtcp_bye", s->rtcp_bye);
	mxp_json_u64(j, "auth_failures", s->auth_failures);
	mxp_json_u64(j, "replays", s->replays);
	mxp_json_u64(j, "too_old", s->too_old);
	mxp_json_u64(j, "source_mismatch", s->source_mismatch);
	mxp_json_u64(j, "other_drops", s->other_drops);
	/* every refused packet, per reason (doc/conferences.md, "Refused packets") */
	uint64_t refused = 0;
	mxp_json_obj_open(j, "drops");
	for (int k = 0; k < MXP_LEG_DROP_COUNT; k++) {
		mxp_json_u64(j, mxp_leg_drop_name((enum mxp_leg_drop)k), s->drops[k]);
		refused += s->drops[k];
	}
	mxp_json_obj_close(j);
	mxp_json_u64(j, "refused", refused);
	mxp_json_u64(j, "not_sending", s->not_sending);
	mxp_json_u64(j, "topn_filtered", s->topn_filtered);
	mxp_json_u64(j, "floor_filtered", s->floor_filtered);
	mxp_json_u64(j, "dtmf", s->dtmf);
	char dl[MXP_LEG_DTMF_LOG + 1];
	mxp_json_str(j, "dtmf_last", dtmf_last(s, dl));
	mxp_json_u64(j, "jitter_buffer_ms", s->jb_depth_ms);
	if (li->codec != MXP_MEDIA_CODEC_NONE) {
		mxp_json_str(j, "codec", mxp_media_codec_name((enum mxp_media_codec)li->codec));
		mxp_json_u64(j, "codec_clock",
			     mxp_media_codec_clock((enum mxp_media_codec)li->codec));
		mxp_json_u64(j, "codec_pt", li->codec_pt);
		mxp_json_str(j, "fmtp", li->fmtp);
		if (li->enc.mode >= 0)
			mxp_json_u64(j, "codec_mode", (uint64_t)li->enc.mode);
		else
			mxp_json_null(j, "codec_mode");
		if (li->enc.bitrate)
			mxp_json_u64(j, "codec_bitrate", li->enc.bitrate);
		else
			mxp_json_null(j, "codec_bitrate");
		mxp_json_bool(j, "dtx", li->enc.dtx);
		mxp_json_bool(j, "cn_listed", li->cn_listed);
		mxp_json_bool(j, "comfort_noise_cn", li->cn);
		if (li->enc.complexity >= 0)
			mxp_json_u64(j, "codec_complexity", (uint64_t)li->enc.complexity);
		if (li->rx_codec.cmr >= 0)
			mxp_json_u64(j, "cmr_received", (uint64_t)li->rx_codec.cmr);
		else
			mxp_json_null(j, "cmr_received");
		mxp_json_bool(j, "sender_in_dtx", li->rx_codec.sid > 0 || li->rx_codec.no_data > 0);
	}
	mxp_json_u64(j, "codec_changes", li->codec_changes);
	mxp_json_u64(j, "late", s->jb_late);
	mxp_json_u64(j, "lost", s->jb_lost);
	mxp_json_u64(j, "concealed_samples", s->concealed);
	mxp_json_u64(j, "fec_recovered", s->fec_recovered);
	mxp_json_u64(j, "latches", s->latches);
	mxp_json_u64(j, "remote_fraction_lost", s->remote_fraction_lost);
	mxp_json_u64(j, "remote_jitter", s->remote_jitter);
	if (s->last_rx_tsc && hz)
		mxp_json_dbl(j, "last_seen_s", (double)(now - s->last_rx_tsc) / (double)hz);
	else
		mxp_json_null(j, "last_seen_s");
	if (q != NULL)
		quality_json(j, q);
}

/* The codec options of leg add and leg set (pt, codec, fmtp, event-pt), in order. */
struct codec_opts {
	bool pt_given, codec_given, last_codec, ev_given;
};

/* k with its value a: -1 if it was a codec option (taken), 0 if not, or a CLI error status. */
static int
codec_opt(struct cli_req *r, const char *k, const char *a, struct mxp_leg_params *p,
	  struct codec_opts *o)
{
	bool was_codec = o->last_codec;
	o->last_codec = false;
	if (a == NULL)
		return 0;
	if (!strcmp(k, "pt")) {
		if (o->codec_given)
			return cli_fail(r, MXP_CTL_USAGE, "pt: give either pt or codec options");
		if (parse_pt_list(a, p))
			return cli_fail(r, MXP_CTL_USAGE, "pt '%s': expected payload types 0..127, e.g. 0,8,101", a);
		o->pt_given = true;
	} else if (!strcmp(k, "codec")) {
		if (o->pt_given)
			return cli_fail(r, MXP_CTL_USAGE, "codec: give either pt or codec options");
		int rc = parse_codec(r, a, p);
		if (rc)
			return rc;
		o->codec_given = o->last_codec = true;
	} else if (!strcmp(k, "fmtp")) {
		int rc = parse_fmtp(r, a, p, was_codec);
		if (rc)
			return rc;
	} else if (!strcmp(k, "event-pt")) {
		uint32_t v;
		if (cli_u32_arg(a, 127, &v) || v < 96)
			return cli_fail(r, MXP_CTL_USAGE, "event-pt '%s': expected a dynamic type 96..127", a);
		p->event_pt = (int16_t)v;
		o->ev_given = true;
	} else {
		return 0;
	}
	return -1;
}

static int
cmd_leg_add(struct cli_req *r, int i)
{
	struct mxp_leg_params p;
	uint32_t conf, v;
	memset(&p, 0, sizeof(p));
	if (conf_id_arg(r, i, &conf))
		return MXP_CTL_USAGE;
	p.af = AF_INET;
	bool af_given = false, port_given = false;
	struct codec_opts co = { 0 };
	for (i++; i < r->argc; i++) {
		const char *k = r->argv[i], *a = i + 1 < r->argc ? r->argv[i + 1] : NULL;
		int cr = codec_opt(r, k, a, &p, &co);
		if (cr > 0)
			return cr;
		if (cr < 0) {
			i++;
			continue;
		}
		if (!strcmp(k, "ipv4") || !strcmp(k, "ipv6")) {
			p.af = k[3] == '6' ? AF_INET6 : AF_INET;
			af_given = true;
		} else if (!strcmp(k, "rtcp-mux")) {
			p.rtcp_mux = true;
		} else if (!strcmp(k, "strict")) {
			p.strict = true;
		} else if (!strcmp(k, "asymmetric")) {
			p.asymmetric = true;
		} else if (!strcmp(k, "cascade")) {
			p.cascade = true;
		} else if (!strcmp(k, "plain")) {
			p.plain = true;
		} else if (!strcmp(k, "remote")) {
			if (parse_remote(r, i + 1, &p.remote, &p.remote_port))
				return cli_fail(r, MXP_CTL_USAGE, "remote: expected ADDRESS PORT");
			p.remote_known = true;
			i += 2;
		} else if (a == NULL) {
			return cli_fail(r, MXP_CTL_USAGE, "leg add: '%s' needs a value", k);
		} else if (!strcmp(k, "port")) {
			if (cli_u32_arg(a, MXP_MAX_PORTS - 1, &v) || v >= r->ctx->ports->nb_ports)
				return cli_fail(r, MXP_CTL_USAGE, "port '%s': no such port (0..%u)", a,
						r->ctx->ports->nb_ports - 1);
			p.port_idx = (uint16_t)v;
			port_given = true;
			i++;
		} else if (!strcmp(k, "local-port")) {
			if (cli_u32_arg(a, 65535, &v) || v < 1024)
				return cli_fail(r, MXP_CTL_USAGE, "local-port '%s': expected 1024..65535", a);
			p.local_port = (uint16_t)v;
			i++;
		} else if (!strcmp(k, "rtcp-port")) {
			if (cli_u32_arg(a, 65535, &v) || v == 0)
				return cli_fail(r, MXP_CTL_USAGE, "rtcp-port '%s': expected 1..65535", a);
			p.remote_rtcp_port = (uint16_t)v;
			i++;
		} else if (!strcmp(k, "mode")) {
			if (mxp_stream_mode_parse(a, &p.mode))
				return cli_fail(r, MXP_CTL_USAGE,
						"mode '%s': expected sendrecv, sendonly, recvonly or inactive", a);
			i++;
		} else if (!strcmp(k, "audio-level-id")) {
			if (cli_u32_arg(a, 14, &v) || v == 0)
				return cli_fail(r, MXP_CTL_USAGE, "audio-level-id '%s': expected 1..14", a);
			p.audio_level_id = (uint8_t)v;
			i++;
		} else if (!strcmp(k, "label")) {
			snprintf(p.label, sizeof(p.label), "%s", a);
			i++;
		} else {
			return cli_fail(r, MXP_CTL_USAGE, "leg add: unexpected '%s'", k);
		}
	}
	if (!af_given && p.remote_known)
		p.af = p.remote.af;
	if (!port_given && p.remote_known && mxp_ports_route(r->ctx->ports, &p.remote) >= 0)
		p.port_idx = (uint16_t)mxp_ports_route(r->ctx->ports, &p.remote); /* the port that reaches it */
	char err[256] = "";
	if (!p.plain) {
		int rc = mxp_cli_keys_parse(r->body, r->body_len, &p.in, &p.out, err, sizeof(err));
		if (rc) {
			explicit_bzero(&p, sizeof(p));
			return cli_fail(r, MXP_CTL_USAGE, "leg add: keys: %s", err);
		}
	} else if (r->body_len) {
		return cli_fail(r, MXP_CTL_USAGE, "leg add: a plain leg takes no keys");
	}
	struct mxp_leg_info li;
	int rc = mxp_conf_leg_add(r->ctx->conf, conf, &p, &li, err, sizeof(err));
	explicit_bzero(&p, sizeof(p));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "leg add: %s", err);
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		leg_json(&j, &li, NULL);
		mxp_json_obj_close(&j);
	} else {
		char a[64];
		mxp_buf_printf(r->out, "leg %u in conference %u: local %s port %u (RTCP %u), key group %u\n",
			       li.id, conf, ipstr(&li.local, a), li.local_port, li.local_rtcp_port,
			       li.keygroup_id);
	}
	return MXP_CTL_OK;
}

static int
cmd_leg_delete(struct cli_req *r, int i)
{
	uint32_t id;
	if (r->argc != i + 1 || conf_id_arg(r, i, &id))
		return MXP_CTL_USAGE;
	struct mxp_leg_info last;
	struct mxp_leg_quality q; /* the estimate just before it goes */
	bool have_q = mxp_conf_leg_quality(r->ctx->conf, id, &q) == 0;
	char err[256] = "";
	int rc = mxp_conf_leg_remove(r->ctx->conf, id, &last, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "leg delete: %s", err);
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		leg_json(&j, &last, have_q ? &q : NULL);
		mxp_json_obj_close(&j);
	} else {
		mxp_buf_printf(r->out,
			       "leg %u deleted: rx %" PRIu64 " packets, tx %" PRIu64
			       " packets, %" PRIu64 " auth failures, %" PRIu64 " replays\n",
			       id, last.st.rx_pkts, last.st.tx_pkts, last.st.auth_failures,
			       last.st.replays);
	}
	return MXP_CTL_OK;
}

static int
cmd_leg_set(struct cli_req *r, int i)
{
	uint32_t id;
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	if (conf_id_arg(r, i, &id) || r->argc == i + 1)
		return MXP_CTL_USAGE;
	/* codec, fmtp, pt, event-pt: the leg's new codec list, whole (as leg add takes it) */
	struct mxp_leg_params cp;
	memset(&cp, 0, sizeof(cp));
	struct codec_opts co = { 0 };
	for (i++; i < r->argc; i++) {
		const char *k = r->argv[i], *a = i + 1 < r->argc ? r->argv[i + 1] : NULL;
		int cr = codec_opt(r, k, a, &cp, &co);
		if (cr > 0)
			return cr;
		if (cr < 0) {
			i++;
			continue;
		}
		if (!strcmp(k, "mode") && a) {
			if (mxp_stream_mode_parse(a, &m.mode))
				return cli_fail(r, MXP_CTL_USAGE, "mode '%s': expected sendrecv, sendonly, recvonly or inactive", a);
			m.set_mode = true;
			i++;
		} else if (!strcmp(k, "remote")) {
			if (parse_remote(r, i + 1, &m.remote, &m.remote_port))
				return cli_fail(r, MXP_CTL_USAGE, "remote: expected ADDRESS PORT");
			m.remote_rtcp_port = 0; /* the leg's rule: its RTP port with rtcp-mux, else + 1 */
			m.set_remote = true;
			i += 2;
		} else if (!strcmp(k, "strict") && a && (!strcmp(a, "on") || !strcmp(a, "off"))) {
			m.set_strict = true;
			m.strict = !strcmp(a, "on");
			i++;
		} else if (!strcmp(k, "asymmetric") && a && (!strcmp(a, "on") || !strcmp(a, "off"))) {
			m.set_asymmetric = true;
			m.asymmetric = !strcmp(a, "on");
			i++;
		} else if (!strcmp(k, "cascade") && a && (!strcmp(a, "on") || !strcmp(a, "off"))) {
			m.set_cascade = true;
			m.cascade = !strcmp(a, "on");
			i++;
		} else if (!strcmp(k, "mute") && a && (!strcmp(a, "on") || !strcmp(a, "off"))) {
			m.set_mute = true;
			m.mute = !strcmp(a, "on");
			i++;
		} else {
			return cli_fail(r, MXP_CTL_USAGE, "leg set: unexpected '%s'", k);
		}
	}
	if (co.ev_given && !co.pt_given && !co.codec_given)
		return cli_fail(r, MXP_CTL_USAGE, "event-pt: give it with the leg's codecs (codec or pt)");
	if (co.pt_given || co.codec_given)
		mxp_leg_mod_set_codecs(&m, &cp);
	char err[256] = "";
	int rc = mxp_conf_leg_modify(r->ctx->conf, id, &m, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "leg set: %s", err);
	mxp_buf_printf(r->out, r->json ? "{\"id\":%u}" : "leg %u changed\n", id);
	return MXP_CTL_OK;
}

/* "12:4" or "12" → MKI bytes (the length from the leg's keys when not given). */
static int
parse_mki_arg(const char *s, uint8_t len_hint, uint8_t *mki, uint8_t *len)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned long l = len_hint;
	if (errno || end == s)
		return -EINVAL;
	if (*end == ':') {
		l = strtoul(end + 1, &end, 10);
	}
	if (*end || l == 0 || l > 8 || (l < 8 && v >> (8 * l)))
		return -EINVAL;
	*len = (uint8_t)l;
	for (unsigned long k = 0; k < l; k++)
		mki[l - 1 - k] = (uint8_t)(v >> (8 * k));
	return 0;
}

static int
cmd_leg_key_add(struct cli_req *r, int i)
{
	uint32_t id;
	if (r->argc != i + 2 || conf_id_arg(r, i, &id) ||
	    (strcmp(r->argv[i + 1], "in") && strcmp(r->argv[i + 1], "out")))
		return MXP_CTL_USAGE;
	bool in = !strcmp(r->argv[i + 1], "in");
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	char err[256] = "";
	int rc = mxp_cli_key_parse_one(r->body, r->body_len, in ? &m.in_key : &m.out_key, err,
				       sizeof(err));
	if (rc)
		return cli_fail(r, MXP_CTL_USAGE, "leg key add: %s", err);
	m.add_in_key = in;
	m.add_out_key = !in;
	rc = mxp_conf_leg_modify(r->ctx->conf, id, &m, err, sizeof(err));
	explicit_bzero(&m, sizeof(m));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "leg key add: %s", err);
	mxp_buf_printf(r->out, r->json ? "{\"id\":%u}" : "leg %u: key added\n", id);
	return MXP_CTL_OK;
}

static int
cmd_leg_key_activate(struct cli_req *r, int i)
{
	uint32_t id;
	struct mxp_leg_info li;
	if (r->argc != i + 2 || conf_id_arg(r, i, &id))
		return MXP_CTL_USAGE;
	if (mxp_conf_leg_get(r->ctx->conf, id, &li))
		return cli_fail(r, MXP_CTL_NOTFOUND, "leg key activate: no leg %u", id);
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	uint8_t hint = li.n_out_keys ? li.out_keys[0].mki_len : 0;
	if (parse_mki_arg(r->argv[i + 1], hint, m.activate_mki, &m.activate_mki_len))
		return cli_fail(r, MXP_CTL_USAGE, "leg key activate: MKI '%s': expected VALUE or VALUE:LENGTH",
				r->argv[i + 1]);
	m.activate_out = true;
	char err[256] = "";
	int rc = mxp_conf_leg_modify(r->ctx->conf, id, &m, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "leg key activate: %s", err);
	mxp_buf_printf(r->out, r->json ? "{\"id\":%u}" : "leg %u: outbound key switched\n", id);
	return MXP_CTL_OK;
}

static int
cmd_leg_key_remove(struct cli_req *r, int i)
{
	uint32_t id;
	struct mxp_leg_info li;
	if (r->argc != i + 3 || conf_id_arg(r, i, &id) ||
	    (strcmp(r->argv[i + 1], "in") && strcmp(r->argv[i + 1], "out")))
		return MXP_CTL_USAGE;
	bool in = !strcmp(r->argv[i + 1], "in");
	if (mxp_conf_leg_get(r->ctx->conf, id, &li))
		return cli_fail(r, MXP_CTL_NOTFOUND, "leg key remove: no leg %u", id);
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	uint8_t hint = in ? (li.n_in_keys ? li.in_keys[0].mki_len : 0)
			  : (li.n_out_keys ? li.out_keys[0].mki_len : 0);
	if (parse_mki_arg(r->argv[i + 2], hint, m.remove_mki, &m.remove_mki_len))
		return cli_fail(r, MXP_CTL_USAGE, "leg key remove: MKI '%s': expected VALUE or VALUE:LENGTH",
				r->argv[i + 2]);
	m.remove_in = in;
	m.remove_out = !in;
	char err[256] = "";
	int rc = mxp_conf_leg_modify(r->ctx->conf, id, &m, err, sizeof(err));
	if (rc)
		return cli_fail(r, CONF_ERR(rc), "leg key remove: %s", err);
	mxp_buf_printf(r->out, r->json ? "{\"id\":%u}" : "leg %u: key removed and wiped\n", id);
	return MXP_CTL_OK;
}

/* ---- show ----------------------------------------------------------------------------------- */

static int
cmd_show_conferences(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	uint32_t n = mxp_conf_list(r->ctx->conf, NULL, 0);
	uint32_t *ids = calloc(n ? n : 1, sizeof(*ids));
	if (ids == NULL)
		return MXP_CTL_ERR;
	n = mxp_conf_list(r->ctx->conf, ids, n);
	struct mxp_json j;
	struct mxp_table t;
	static const char *const hdr[] = { ">id", "name", "mode", ">topn", ">worker", ">legs",
					   ">keygroups", ">rx-pkts", ">tx-pkts", ">encryptions" };
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_arr_open(&j, NULL);
	} else {
		mxp_table_init(&t, RTE_DIM(hdr), hdr);
	}
	for (uint32_t k = 0; k < n; k++) {
		struct mxp_conf_info ci;
		if (mxp_conf_get(r->ctx->conf, ids[k], &ci))
			continue;
		if (r->json) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_u64(&j, "id", ci.id);
			mxp_json_str(&j, "name", ci.name);
			mxp_json_str(&j, "mode", mxp_conf_mode_name(ci.mode));
			mxp_json_u64(&j, "topn", ci.topn);
			mxp_json_u64(&j, "worker", ci.worker);
			mxp_json_u64(&j, "legs", ci.nlegs);
			mxp_json_u64(&j, "cascade_legs", ci.ncascade);
			mxp_json_u64(&j, "keygroups", ci.nkeygroups);
			mxp_json_u64(&j, "rx_packets", ci.rx_pkts);
			mxp_json_u64(&j, "tx_packets", ci.tx_pkts);
			mxp_json_u64(&j, "encryptions", ci.encryptions);
			mxp_json_u64(&j, "decryptions", ci.decryptions);
			mxp_json_obj_close(&j);
		} else {
			char c[8][24];
			snprintf(c[0], 24, "%u", ci.id);
			snprintf(c[1], 24, "%u", ci.topn);
			snprintf(c[2], 24, "%u", ci.worker);
			snprintf(c[3], 24, "%u", ci.nlegs);
			snprintf(c[4], 24, "%u", ci.nkeygroups);
			snprintf(c[5], 24, "%" PRIu64, ci.rx_pkts);
			snprintf(c[6], 24, "%" PRIu64, ci.tx_pkts);
			snprintf(c[7], 24, "%" PRIu64, ci.encryptions);
			const char *row[] = { c[0], ci.name[0] ? ci.name : "-", mxp_conf_mode_name(ci.mode),
					      c[1], c[2], c[3], c[4], c[5], c[6], c[7] };
			mxp_table_row(&t, row);
		}
	}
	free(ids);
	if (r->json)
		mxp_json_arr_close(&j);
	else if (n == 0) {
		mxp_table_free(&t);
		mxp_buf_printf(r->out, "no conferences\n");
	} else
		mxp_table_render(&t, r->out);
	return MXP_CTL_OK;
}

static int
cmd_show_conference(struct cli_req *r, int i)
{
	uint32_t id;
	if (r->argc != i + 1 || conf_id_arg(r, i, &id))
		return MXP_CTL_USAGE;
	struct mxp_conf_info ci;
	if (mxp_conf_get(r->ctx->conf, id, &ci))
		return cli_fail(r, MXP_CTL_NOTFOUND, "no conference %u", id);
	int nk = mxp_conf_keygroups(r->ctx->conf, id, NULL, 0);
	int nl = mxp_conf_legs(r->ctx->conf, id, NULL, 0);
	struct mxp_keygroup_info *kg = calloc((size_t)(nk > 0 ? nk : 1), sizeof(*kg));
	uint32_t *legs = calloc((size_t)(nl > 0 ? nl : 1), sizeof(*legs));
	if (kg == NULL || legs == NULL) {
		free(kg);
		free(legs);
		return MXP_CTL_ERR;
	}
	nk = mxp_conf_keygroups(r->ctx->conf, id, kg, (uint32_t)nk);
	nl = mxp_conf_legs(r->ctx->conf, id, legs, (uint32_t)nl);
	char casc[48] = "";
	if (ci.ncascade)
		snprintf(casc, sizeof(casc), " (%u cascade)", ci.ncascade);
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_u64(&j, "id", ci.id);
		mxp_json_str(&j, "name", ci.name);
		mxp_json_str(&j, "mode", mxp_conf_mode_name(ci.mode));
		mxp_json_u64(&j, "topn", ci.topn);
		if (ci.floor)
			mxp_json_u64(&j, "floor", ci.floor);
		else
			mxp_json_null(&j, "floor");
		mxp_json_u64(&j, "worker", ci.worker);
		mxp_json_u64(&j, "participants", ci.nlegs - ci.ncascade);
		mxp_json_u64(&j, "cascade_legs", ci.ncascade);
		mxp_json_u64(&j, "rx_packets", ci.rx_pkts);
		mxp_json_u64(&j, "tx_packets", ci.tx_pkts);
		mxp_json_u64(&j, "encryptions", ci.encryptions);
		mxp_json_u64(&j, "decryptions", ci.decryptions);
		mxp_json_u64(&j, "mix_ticks", ci.mix_ticks);
		mxp_json_u64(&j, "mix_late_ticks", ci.mix_late_ticks);
		mxp_json_u64(&j, "mix_rate", ci.mix_rate);
		mxp_json_u64(&j, "mix_talker_changes", ci.mix_talker_changes);
		cli_record_conf(r, &j, id);
		mxp_json_arr_open(&j, "keygroups");
		for (int k = 0; k < nk; k++) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_u64(&j, "id", kg[k].id);
			mxp_json_str(&j, "fingerprint", kg[k].fingerprint);
			mxp_json_u64(&j, "members", kg[k].members);
			mxp_json_u64(&j, "streams", kg[k].streams);
			mxp_json_u64(&j, "encryptions", kg[k].encryptions);
			mxp_json_u64(&j, "sent", kg[k].sent);
			mxp_json_obj_close(&j);
		}
		mxp_json_arr_close(&j);
		mxp_json_arr_open(&j, "legs");
		for (int k = 0; k < nl; k++) {
			struct mxp_leg_info li;
			struct mxp_leg_quality q;
			if (mxp_conf_leg_get(r->ctx->conf, legs[k], &li) ||
			    mxp_conf_leg_quality(r->ctx->conf, legs[k], &q))
				continue;
			mxp_json_obj_open(&j, NULL);
			leg_json(&j, &li, &q);
			mxp_json_obj_close(&j);
		}
		mxp_json_arr_close(&j);
		mxp_json_obj_close(&j);
	} else {
		mxp_buf_printf(r->out,
			       "conference %u%s%s: %s, topn %u, worker %u, %d legs%s, %d key groups\n"
			       "packets in %" PRIu64 ", out %" PRIu64 ", encryptions %" PRIu64
			       ", decryptions %" PRIu64 "\n\n",
			       ci.id, ci.name[0] ? " " : "", ci.name, mxp_conf_mode_name(ci.mode), ci.topn,
			       ci.worker, nl, casc, nk, ci.rx_pkts, ci.tx_pkts, ci.encryptions, ci.decryptions);
		cli_record_conf(r, NULL, id);
		static const char *const kh[] = { ">keygroup", "fingerprint", ">members", ">streams",
						  ">encryptions", ">sent" };
		struct mxp_table t;
		mxp_table_init(&t, RTE_DIM(kh), kh);
		for (int k = 0; k < nk; k++) {
			char c[5][24];
			snprintf(c[0], 24, "%u", kg[k].id);
			snprintf(c[1], 24, "%u", kg[k].members);
			snprintf(c[2], 24, "%u", kg[k].streams);
			snprintf(c[3], 24, "%" PRIu64, kg[k].encryptions);
			snprintf(c[4], 24, "%" PRIu64, kg[k].sent);
			const char *row[] = { c[0], kg[k].fingerprint, c[1], c[2], c[3], c[4] };
			mxp_table_row(&t, row);
		}
		mxp_table_render(&t, r->out);
		mxp_buf_add(r->out, "\n", 1);
		static const char *const lh[] = { ">leg", "label", "mode", "local", "remote", ">kg",
						  "ssrc", ">rx-pkts", ">tx-pkts", ">auth-fail",
						  ">replays", ">latches", ">mos" };
		mxp_table_init(&t, RTE_DIM(lh), lh);
		for (int k = 0; k < nl; k++) {
			struct mxp_leg_info li;
			struct mxp_leg_quality q;
			if (mxp_conf_leg_get(r->ctx->conf, legs[k], &li) ||
			    mxp_conf_leg_quality(r->ctx->conf, legs[k], &q))
				continue;
			char c[11][80], a[64];
			snprintf(c[0], 80, "%u", li.id);
			snprintf(c[1], 80, "%s:%u", ipstr(&li.local, a), li.local_port);
			if (li.remote_known)
				snprintf(c[2], 80, "%s:%u", ipstr(&li.remote, a), li.remote_port);
			else
				snprintf(c[2], 80, "(learning)");
			snprintf(c[3], 80, "%u", li.keygroup_id);
			if (li.st.ssrc_known)
				snprintf(c[4], 80, "%08x", li.st.ssrc);
			else
				snprintf(c[4], 80, "-");
			snprintf(c[5], 80, "%" PRIu64, li.st.rx_pkts);
			snprintf(c[6], 80, "%" PRIu64, li.st.tx_pkts);
			snprintf(c[7], 80, "%" PRIu64, li.st.auth_failures);
			snprintf(c[8], 80, "%" PRIu64, li.st.replays);
			snprintf(c[9], 80, "%" PRIu64, li.st.latches);
			quality_mos_str(&q, c[10], 80);
			const char *row[] = { c[0], li.label[0] ? li.label : "-",
					      mxp_stream_mode_name(li.mode), c[1], c[2], c[3], c[4],
					      c[5], c[6], c[7], c[8], c[9], c[10] };
			mxp_table_row(&t, row);
		}
		mxp_table_render(&t, r->out);
	}
	free(kg);
	free(legs);
	return MXP_CTL_OK;
}

static void
quality_dir_text(struct mxp_buf *b, const struct mxp_media_emodel_result *e)
{
	mxp_buf_printf(b, "R %.1f MOS %.2f (loss %.2f %%, delay %.0f ms; Ie %.0f Bpl %.1f: "
		       "Ie,eff %.1f, Id %.1f)\n",
		       e->r, e->mos, e->ppl, e->ta_ms, e->ie, e->bpl, e->ie_eff, e->id);
}

static void
quality_text(struct mxp_buf *b, const struct mxp_leg_quality *q)
{
	mxp_buf_printf(b, "  quality  %s%s, ptime %u ms, network %.1f ms (%s)\n",
		       quality_codec_name(q),
		       q->codec_assumed || q->codec == MXP_MEDIA_CODEC_NONE ? " (assumed)" : "",
		       q->ptime_ms, q->net_ms,
		       q->rtt_measured ? "half the RTCP round trip" : "default");
	if (q->in_valid) {
		mxp_buf_printf(b, "    in     %" PRIu64 " of %" PRIu64 " packets lost, jitter buffer "
			       "%u ms: ", q->in_lost, q->in_expected, q->in_jb_ms);
		quality_dir_text(b, &q->in);
	} else {
		mxp_buf_printf(b, "    in     no audio received yet\n");
	}
	if (q->out_valid) {
		mxp_buf_printf(b, "    out    reported %u/256 lost, jitter %.1f ms: ",
			       q->out_fraction_lost, q->out_jitter_ms);
		quality_dir_text(b, &q->out);
	} else {
		mxp_buf_printf(b, "    out    no RTCP report from the participant yet\n");
	}
}

static int
cmd_show_leg(struct cli_req *r, int i)
{
	uint32_t id;
	if (r->argc != i + 1 || conf_id_arg(r, i, &id))
		return MXP_CTL_USAGE;
	struct mxp_leg_info li;
	struct mxp_leg_quality q;
	if (mxp_conf_leg_get(r->ctx->conf, id, &li) || mxp_conf_leg_quality(r->ctx->conf, id, &q))
		return cli_fail(r, MXP_CTL_NOTFOUND, "no leg %u", id);
	struct mxp_json j;
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		leg_json(&j, &li, &q);
		mxp_json_obj_close(&j);
		return MXP_CTL_OK;
	}
	char a[64], mk[32];
	const struct mxp_leg_stats *s = &li.st;
	mxp_buf_printf(r->out, "leg %u%s%s in conference %u, key group %u, %s%s%s%s%s\n", li.id,
		       li.label[0] ? " " : "", li.label, li.conf_id, li.keygroup_id,
		       mxp_stream_mode_name(li.mode), li.cascade ? ", cascade" : "",
		       li.strict ? ", strict" : "",
		       li.asymmetric ? ", asymmetric" : "", li.plain ? ", plain RTP" : "");
	mxp_buf_printf(r->out, "  local    %s port %u, RTCP %u%s\n", ipstr(&li.local, a),
		       li.local_port, li.local_rtcp_port, li.rtcp_mux ? " (muxed)" : "");
	if (li.remote_known)
		mxp_buf_printf(r->out, "  remote   %s port %u%s, RTCP %u%s, latched %" PRIu64
			       " times\n", ipstr(&li.remote, a), li.remote_port,
			       (li.remote_guessed & MXP_LEG_RTP_GUESSED) ? " (guessed)" : "",
			       li.remote_rtcp_port,
			       (li.remote_guessed & MXP_LEG_RTCP_GUESSED) ? " (guessed)" : "",
			       s->latches);
	else
		mxp_buf_printf(r->out, "  remote   not known yet (learnt from the first authenticated packet)\n");
	if (!li.plain) {
		const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(li.in_suite);
		mxp_buf_printf(r->out, "  in keys  %s:", si ? si->name : "?");
		for (unsigned int k = 0; k < li.n_in_keys; k++) {
			mki_str(li.in_keys[k].mki, li.in_keys[k].mki_len, mk, sizeof(mk));
			mxp_buf_printf(r->out, " %s (MKI %s)", li.in_keys[k].fp, mk);
		}
		si = mxp_srtp_suite_info(li.out_suite);
		mxp_buf_printf(r->out, "\n  out keys %s:", si ? si->name : "?");
		for (unsigned int k = 0; k < li.n_out_keys; k++) {
			mki_str(li.out_keys[k].mki, li.out_keys[k].mki_len, mk, sizeof(mk));
			mxp_buf_printf(r->out, " %s (MKI %s)%s", li.out_keys[k].fp, mk,
				       (int)k == li.out_active ? " active" : "");
		}
		mxp_buf_add(r->out, "\n", 1);
	}
	if (s->ssrc_known)
		mxp_buf_printf(r->out, "  ssrc     %08x\n", s->ssrc);
	char dl[MXP_LEG_DTMF_LOG + 1];
	mxp_buf_printf(r->out,
		       "  rx       %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " RTCP\n"
		       "  tx       %" PRIu64 " packets, %" PRIu64 " bytes, %" PRIu64 " RTCP\n"
		       "  dropped  %" PRIu64 " auth failures, %" PRIu64 " replays, %" PRIu64
		       " too old, %" PRIu64 " wrong source, %" PRIu64 " other, %" PRIu64
		       " while not sending\n"
		       "  top-N    %" PRIu64 " packets not forwarded\n"
		       "  floor    %" PRIu64 " packets not forwarded (muted or floor elsewhere)%s\n"
		       "  reported loss %u/256, jitter %u (from the participant's RTCP)\n"
		       "  mix      jitter buffer %u ms, %" PRIu64 " late, %" PRIu64 " lost, %" PRIu64
		       " samples concealed, %" PRIu64 " DTMF digits%s%s\n",
		       s->rx_pkts, s->rx_bytes, s->rtcp_rx, s->tx_pkts, s->tx_bytes, s->rtcp_tx,
		       s->auth_failures, s->replays, s->too_old, s->source_mismatch, s->other_drops,
		       s->not_sending, s->topn_filtered, s->floor_filtered, li.muted ? ", muted" : "",
		       s->remote_fraction_lost, s->remote_jitter, s->jb_depth_ms, s->jb_late, s->jb_lost,
		       s->concealed, s->dtmf, s->dtmf ? ", last " : "", dtmf_last(s, dl));
	if (li.codec != MXP_MEDIA_CODEC_NONE) {
		mxp_buf_printf(r->out, "  codec    %s/%u, payload type %u%s%s",
			       mxp_media_codec_name((enum mxp_media_codec)li.codec),
			       mxp_media_codec_clock((enum mxp_media_codec)li.codec), li.codec_pt,
			       li.fmtp[0] ? ", fmtp " : "", li.fmtp);
		if (li.enc.mode >= 0)
			mxp_buf_printf(r->out, ", mode %d", li.enc.mode);
		if (li.enc.bitrate)
			mxp_buf_printf(r->out, ", %u bit/s", li.enc.bitrate);
		if (li.enc.complexity >= 0)
			mxp_buf_printf(r->out, ", complexity %d", li.enc.complexity);
		if (mxp_media_codec_is_frame((enum mxp_media_codec)li.codec))
			mxp_buf_printf(r->out, ", DTX %s", li.enc.dtx ? "on" : "off");
		else
			mxp_buf_printf(r->out, ", comfort noise %s",
				       li.cn ? "RFC 3389 (CN 13)" :
				       li.cn_listed ? "off (CN 13 listed, but not by every "
						      "listener of its key group)" :
						      "off (CN 13 not listed)");
		if (li.rx_codec.cmr >= 0)
			mxp_buf_printf(r->out, ", CMR received %d", li.rx_codec.cmr);
		if (li.rx_codec.sid > 0 || li.rx_codec.no_data > 0)
			mxp_buf_printf(r->out, ", participant in DTX");
		if (li.codec_changes)
			mxp_buf_printf(r->out, ", %u codec change%s", li.codec_changes,
				       li.codec_changes == 1 ? "" : "s");
		mxp_buf_printf(r->out, "\n");
	}
	uint64_t refused = 0;
	for (int k = 0; k < MXP_LEG_DROP_COUNT; k++)
		refused += s->drops[k];
	mxp_buf_printf(r->out, "  refused  %" PRIu64 " packets", refused);
	for (int k = 0, n = 0; k < MXP_LEG_DROP_COUNT; k++)
		if (s->drops[k])
			mxp_buf_printf(r->out, "%s%s %" PRIu64, n++ ? ", " : ": ",
				       mxp_leg_drop_name((enum mxp_leg_drop)k), s->drops[k]);
	mxp_buf_add(r->out, "\n", 1);
	if (s->last_rx_tsc && mxp_conf_tsc_hz())
		mxp_buf_printf(r->out, "  last seen %.1f s ago\n",
			       (double)(rte_rdtsc() - s->last_rx_tsc) / (double)mxp_conf_tsc_hz());
	quality_text(r->out, &q);
	return MXP_CTL_OK;
}

/*
 * show legs worst [N] [conference C]: the N legs of lowest MOS (of every conference, or of
 * one), lowest first. One pass over the legs with a bounded sorted array: O(legs * log N)
 * comparisons, N entries of memory; legs with neither direction estimated are left out.
 */
#define WORST_DEFAULT 10
#define WORST_MAX 1000

static void
worst_insert(struct mxp_leg_quality *w, uint32_t *n, uint32_t max, const struct mxp_leg_quality *q)
{
	if (*n == max && q->mos >= w[*n - 1].mos)
		return;
	uint32_t lo = 0, hi = *n; /* first entry of higher MOS (ties keep the order seen) */
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (w[mid].mos <= q->mos)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t keep = *n < max ? *n : max - 1;
	memmove(&w[lo + 1], &w[lo], (keep - lo) * sizeof(*w));
	w[lo] = *q;
	if (*n < max)
		(*n)++;
}

static int
worst_conf(struct cli_req *r, uint32_t conf_id, struct mxp_leg_quality *w, uint32_t *n,
	   uint32_t max, uint64_t *seen)
{
	int nl = mxp_conf_legs(r->ctx->conf, conf_id, NULL, 0);
	if (nl <= 0)
		return nl;
	uint32_t *legs = calloc((size_t)nl, sizeof(*legs));
	if (legs == NULL)
		return -ENOMEM;
	nl = mxp_conf_legs(r->ctx->conf, conf_id, legs, (uint32_t)nl);
	for (int k = 0; k < nl; k++) {
		struct mxp_leg_quality q;
		if (mxp_conf_leg_quality(r->ctx->conf, legs[k], &q) || !(q.in_valid || q.out_valid))
			continue;
		(*seen)++;
		worst_insert(w, n, max, &q);
	}
	free(legs);
	return 0;
}

static void
fmt_dir(char *ppl, char *rr, char *mos, bool valid, const struct mxp_media_emodel_result *e)
{
	if (!valid) {
		strcpy(ppl, "-");
		strcpy(rr, "-");
		strcpy(mos, "-");
		return;
	}
	snprintf(ppl, 16, "%.2f", e->ppl);
	snprintf(rr, 16, "%.1f", e->r);
	snprintf(mos, 16, "%.2f", e->mos);
}

static int
cmd_show_legs_worst(struct cli_req *r, int i)
{
	uint32_t max = WORST_DEFAULT, conf_id = 0;
	bool one = false;
	while (i < r->argc) {
		const char *a = r->argv[i];
		char *end;
		if (strcmp(a, "conference") == 0 && i + 1 < r->argc) {
			if (conf_id_arg(r, i + 1, &conf_id))
				return cli_fail(r, MXP_CTL_USAGE, "conference '%s': expected an id",
						r->argv[i + 1]);
			one = true;
			i += 2;
			continue;
		}
		unsigned long v = strtoul(a, &end, 10);
		if (*a == 0 || *end != 0 || v == 0 || v > WORST_MAX)
			return cli_fail(r, MXP_CTL_USAGE, "show legs worst: '%s': expected N (1..%u) "
					"or conference ID", a, WORST_MAX);
		max = (uint32_t)v;
		i++;
	}
	struct mxp_leg_quality *w = calloc(max, sizeof(*w));
	if (w == NULL)
		return MXP_CTL_ERR;
	uint32_t n = 0;
	uint64_t seen = 0;
	if (one) {
		int rc = worst_conf(r, conf_id, w, &n, max, &seen);
		if (rc == -ENOENT) {
			free(w);
			return cli_fail(r, MXP_CTL_NOTFOUND, "no conference %u", conf_id);
		}
	} else {
		uint32_t nc = mxp_conf_list(r->ctx->conf, NULL, 0);
		uint32_t *ids = calloc(nc ? nc : 1, sizeof(*ids));
		if (ids == NULL) {
			free(w);
			return MXP_CTL_ERR;
		}
		nc = mxp_conf_list(r->ctx->conf, ids, nc);
		for (uint32_t k = 0; k < nc; k++)
			(void)worst_conf(r, ids[k], w, &n, max, &seen);
		free(ids);
	}
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_u64(&j, "legs_estimated", seen);
		mxp_json_arr_open(&j, "worst");
		for (uint32_t k = 0; k < n; k++) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_u64(&j, "leg", w[k].leg_id);
			mxp_json_u64(&j, "conference", w[k].conf_id);
			quality_json(&j, &w[k]);
			mxp_json_obj_close(&j);
		}
		mxp_json_arr_close(&j);
		mxp_json_obj_close(&j);
	} else if (n == 0) {
		mxp_buf_printf(r->out, "no leg has a quality estimate yet\n");
	} else {
		static const char *const hdr[] = { ">leg", ">conference", "codec", ">in-loss%",
						   ">in-R", ">in-MOS", ">out-loss%", ">out-R",
						   ">out-MOS", ">MOS" };
		struct mxp_table t;
		mxp_table_init(&t, RTE_DIM(hdr), hdr);
		for (uint32_t k = 0; k < n; k++) {
			char c[10][16];
			snprintf(c[0], 16, "%u", w[k].leg_id);
			snprintf(c[1], 16, "%u", w[k].conf_id);
			fmt_dir(c[2], c[3], c[4], w[k].in_valid, &w[k].in);
			fmt_dir(c[5], c[6], c[7], w[k].out_valid, &w[k].out);
			quality_mos_str(&w[k], c[8], 16);
			const char *row[] = { c[0], c[1], quality_codec_name(&w[k]), c[2], c[3], c[4],
					      c[5], c[6], c[7], c[8] };
			mxp_table_row(&t, row);
		}
		mxp_table_render(&t, r->out);
		mxp_buf_printf(r->out, "%u of %" PRIu64 " legs with an estimate\n", n, seen);
	}
	free(w);
	return MXP_CTL_OK;
}

const struct cli_cmd mxp_cli_conf_cmds[] = {
	{ "conference create", "[mode switch|forward|mix] [topn N] [ptime MS] [max-legs N] [name NAME]",
	  "create a conference; prints its id", cmd_conf_create },
	{ "conference delete", "ID", "delete a conference and its legs (keys wiped)",
	  cmd_conf_delete },
	{ "conference set", "ID topn N | ID floor LEG|none",
	  "top-N speakers (0: all); floor control: only LEG is forwarded",
	  cmd_conf_set },
	{ "leg add", "CONF [ipv4|ipv6] [port IDX] [local-port P] [remote ADDR PORT] [rtcp-port P] "
		     "[rtcp-mux] [mode M] [strict] [asymmetric] [cascade] [plain] [pt LIST] [event-pt N] [audio-level-id N] "
		     "[label TEXT] -i KEYS",
	  "add a leg; keys come with -i: 'in a=crypto:...' and 'out a=crypto:...' lines",
	  cmd_leg_add },
	{ "leg delete", "LEG", "remove a leg (keys wiped); prints its last counters",
	  cmd_leg_delete },
	{ "leg set", "LEG [mode M] [remote ADDR PORT] [strict on|off] [asymmetric on|off] [cascade on|off] [mute on|off] [codec NAME/CLOCK[:PT] [fmtp P]]... [pt LIST] [event-pt N]",
	  "change a leg (mute: it listens, nothing it sends is forwarded; codec, pt, event-pt: its whole new codec list, as leg add takes it, a re-INVITE)",
	  cmd_leg_set },
	{ "leg key add", "LEG in|out -i KEY", "add a key (a=crypto with an MKI) for a rekey",
	  cmd_leg_key_add },
	{ "leg key activate", "LEG MKI", "send with the outbound key of this MKI from now on",
	  cmd_leg_key_activate },
	{ "leg key remove", "LEG in|out MKI", "remove (and wipe) a key after the overlap",
	  cmd_leg_key_remove },
	{ "show conferences", "", "conferences: mode, legs, key groups, packets",
	  cmd_show_conferences },
	{ "show conference", "ID", "a conference: its key groups and legs",
	  cmd_show_conference },
	{ "show leg", "ID", "a leg: addresses, keys (fingerprints), counters, call quality",
	  cmd_show_leg },
	{ "show legs worst", "[N] [conference ID]",
	  "the N legs (default 10, at most 1000) of lowest estimated MOS, lowest first",
	  cmd_show_legs_worst },
	MXP_CLI_END
};
