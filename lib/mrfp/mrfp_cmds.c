/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mp commands applied to the conferences (control core): Add, Modify, Move, Subtract,
 * AuditValue and AuditCapability mapped onto lib/conf's control API, the one the lab CLI
 * uses.
 *
 * A context is a conference, a termination "leg/N" is leg N. Every command is checked
 * completely (package properties, events, SDP, every a=crypto, what lib/conf will accept)
 * before anything changes, so a failed command changes nothing. A command that fails ends
 * the transaction unless it is optional (O-), H.248.1 8.2.2.
 *
 * Keys (doc/mp.md "Keys and rekeying"): the a=crypto lines of a Remote descriptor are the
 * participant's keys, those of Local the keys the mixer sends with, the first one active.
 * In a Modify each descriptor replaces the previous one: listed MKIs are installed,
 * unlisted ones removed, so a rekey without loss is a Modify listing old and new (the new
 * one is installed beside the old) followed by one listing the new first (the switch).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <rte_hash.h>

#include "mrfp_priv.h"
#include "mxp_conf_quality.h"
#include "mxp_srtp_sdes.h"

/* ---- small helpers --------------------------------------------------------------------- */

/* "leg/N" -> N */
static bool
term_leg(struct mxp_mp_str t, uint32_t *leg)
{
	if (t.len < 5 || t.len > 14 || strncasecmp(t.p, "leg/", 4) != 0)
		return false;
	uint64_t v = 0;
	for (uint32_t i = 4; i < t.len; i++) {
		if (t.p[i] < '0' || t.p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(t.p[i] - '0');
	}
	*leg = (uint32_t)v;
	return v != 0 && v <= UINT32_MAX;
}

/* H.248 modes are the MG's view of the termination; lib/conf's are the participant's. */
static int
mode_from_mp(enum mxp_mp_mode m, enum mxp_stream_mode *out)
{
	switch (m) {
	case MXP_MP_MODE_SENDRECV: *out = MXP_SM_SENDRECV; return 0;
	case MXP_MP_MODE_SENDONLY: *out = MXP_SM_RECVONLY; return 0;  /* the MRFP only sends */
	case MXP_MP_MODE_RECVONLY: *out = MXP_SM_SENDONLY; return 0;  /* the MRFP only receives */
	case MXP_MP_MODE_INACTIVE: *out = MXP_SM_INACTIVE; return 0;
	default: return -ENOTSUP;
	}
}

static enum mxp_mp_mode
mode_to_mp(enum mxp_stream_mode m)
{
	switch (m) {
	case MXP_SM_RECVONLY: return MXP_MP_MODE_SENDONLY;
	case MXP_SM_SENDONLY: return MXP_MP_MODE_RECVONLY;
	case MXP_SM_INACTIVE: return MXP_MP_MODE_INACTIVE;
	default: return MXP_MP_MODE_SENDRECV;
	}
}

static enum mxp_conf_mode
conf_mode(enum mxp_mp_conf_mode m)
{
	return m == MXP_MP_CONF_FORWARD ? MXP_CONF_FORWARD :
	       m == MXP_MP_CONF_MIX	? MXP_CONF_MIX :
					  MXP_CONF_SWITCH;
}

static struct mxp_ip
sdp_ip(const struct mxp_sdp *sd)
{
	return sd->addr;
}

/* lib/conf errno -> H.248.8 code */
static unsigned int
conf_code(int r)
{
	switch (r) {
	case -ENOENT: return MXP_MP_E_UNKNOWN_TERM;
	case -ENOSPC:
	case -EADDRINUSE:
	case -ENOMEM:
	case -EBUSY: return MXP_MP_E_RESOURCES;
	case -ENOTSUP: return MXP_MP_E_NOT_IMPL;
	case -ETIMEDOUT: return MXP_MP_E_NOT_READY;
	default: return MXP_MP_E_BAD_VALUE;
	}
}

/* ---- mxp/record ------------------------------------------------------------------------ */

/* The H.248 code of a recording's start or stop error. */
static unsigned int
rec_code(int r)
{
	switch (r) {
	case -ENODEV: return MXP_MP_E_NOT_IMPL;        /* no [media] recording_dir */
	case -ENOSPC:
	case -EDQUOT:
	case -ENOMEM:
	case -EBUSY: return MXP_MP_E_RESOURCES;
	case -ETIMEDOUT: return MXP_MP_E_NOT_READY;
	case -ENOENT:
	case -EINVAL:
	case -ENOTSUP:
	case -EEXIST:
	case -EALREADY: return MXP_MP_E_BAD_VALUE;    /* the value cannot be done as given */
	default: return MXP_MP_E_INTERNAL;            /* the directory refused (EACCES, EROFS) */
	}
}

/*
 * mxp/record=NAME on a context: start recording (nothing if it records to NAME already);
 * *started says a recording was started here (mxp_conf_record_abort() undoes it). "off" is
 * applied last, by record_off(). 0 or an H.248 code with text in t.
 */
static unsigned int
record_start(struct mxp_mrfp *m, uint32_t ctx, const struct mxp_mp_pkg *pkg, bool *started,
	     char *t, size_t tl)
{
	*started = false;
	if ((pkg->present & MXP_MP_PKG_RECMAX) &&
	    (!(pkg->present & MXP_MP_PKG_RECORD) || mxp_mp_str_eq(pkg->record, "off"))) {
		snprintf(t, tl, "mxp/recmax goes with mxp/record = NAME.wav");
		return MXP_MP_E_BAD_VALUE;
	}
	if (!(pkg->present & MXP_MP_PKG_RECORD) || mxp_mp_str_eq(pkg->record, "off"))
		return 0;
	char name[MXP_REC_NAME_LEN], err[320] = "";
	snprintf(name, sizeof(name), "%.*s", (int)pkg->record.len, pkg->record.p);
	struct mxp_rec_info in;
	if (mxp_conf_record_get(m->conf, ctx, &in) == 0 && in.state == MXP_REC_ACTIVE &&
	    strcmp(in.name, name) == 0)
		return 0;
	struct mxp_rec_params p = { .name = name, .max_seconds = pkg->recmax };
	int r = mxp_conf_record_start(m->conf, ctx, &p, err, sizeof(err));
	if (r) {
		snprintf(t, tl, "mxp/record: %s", err);
		return rec_code(r);
	}
	*started = true;
	return 0;
}

/* mxp/record=off: stop the context's recording (none is not an error). */
static unsigned int
record_off(struct mxp_mrfp *m, uint32_t ctx, const struct mxp_mp_pkg *pkg, char *t, size_t tl)
{
	if (!(pkg->present & MXP_MP_PKG_RECORD) || !mxp_mp_str_eq(pkg->record, "off"))
		return 0;
	char err[320] = "";
	int r = mxp_conf_record_stop(m->conf, ctx, err, sizeof(err));
	if (r == 0 || r == -ESRCH)
		return 0;
	snprintf(t, tl, "mxp/record: %s", err);
	return rec_code(r);
}

/* mxp/record=NAME on a context that is not (or will not be) a mix conference. */
static bool
record_needs_mix(const struct mxp_mp_pkg *pkg, enum mxp_conf_mode mode)
{
	return (pkg->present & MXP_MP_PKG_RECORD) && !mxp_mp_str_eq(pkg->record, "off") &&
	       mode != MXP_CONF_MIX;
}

/* The a=crypto lines of an SDP as a key set; 0 or an H.248 code with text in t. */
static unsigned int
sdp_keys(const struct mxp_sdp *sd, struct mxp_conf_keys *ks, bool outbound, char *t, size_t tl)
{
	memset(ks, 0, sizeof(*ks));
	for (unsigned int i = 0; i < sd->ncrypto; i++) {
		struct mxp_sdes_crypto c;
		char e[160];
		int r = mxp_sdes_parse(sd->crypto[i].p, sd->crypto[i].len, &c, e, sizeof(e));
		if (r == 0)
			r = mxp_conf_keys_add_sdes(ks, &c, outbound, e, sizeof(e));
		mxp_sdes_wipe(&c);
		if (r) {
			snprintf(t, tl, "%s a=crypto %u: %.120s", outbound ? "Local" : "Remote", i + 1, e);
			explicit_bzero(ks, sizeof(*ks));
			return r == -ENOSPC ? MXP_MP_E_RESOURCES : MXP_MP_E_BAD_VALUE;
		}
	}
	return 0;
}

/* Whether an a=crypto line's key parameters (its third field: "tag suite key-params
 * [session-params]") give an MKI ("|mki:length" after a key): read from the text, for a
 * line lib/srtp does not parse. */
static bool
raw_has_mki(const char *p, size_t len)
{
	size_t i = 0;
	while (i < len && (p[i] == ' ' || p[i] == '\t'))
		i++;
	for (int field = 0; field < 2; field++) { /* past the tag and the suite */
		while (i < len && p[i] != ' ' && p[i] != '\t')
			i++;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
	}
	bool after_bar = false;
	for (; i < len && p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n'; i++) {
		if (p[i] == '|' || p[i] == ';')
			after_bar = p[i] == '|';
		else if (p[i] == ':' && after_bar)
			return true;
	}
	return false;
}

/*
 * An offer's a=crypto lines are alternatives, of which the answer accepts one by its tag
 * (RFC 4568 5.1, 7.1.2): SIP phones commonly offer AES_CM_128_HMAC_SHA1_80 and _32, each
 * with a key of its own and no MKI. Mp's key sets (rekeying, doc/mp.md) are several lines
 * too, each key with an MKI. Lines are taken as alternatives only when none gives an MKI
 * (no key set has such a line); any MKI makes them a key set for sdp_keys(), taken whole
 * or refused, so that a rekey with a mistake in its new key (its suite, its MKI length) is
 * an error, never a key dropped in silence. Alternatives are narrowed to one: the first
 * that lib/srtp takes (parsed, no KDR) whose suite is want, else the first that it takes.
 * 0, or an error when it takes none (nothing is changed then).
 */
static unsigned int
sdp_crypto_choose(struct mxp_sdp *rs, enum mxp_srtp_suite want, char *t, size_t tl)
{
	if (rs == NULL || rs->ncrypto < 2)
		return 0;
	enum mxp_srtp_suite suite[MXP_SDP_CRYPTO_MAX];
	bool usable[MXP_SDP_CRYPTO_MAX], any_mki = false;
	char why[100] = "";
	for (unsigned int i = 0; i < rs->ncrypto; i++) {
		struct mxp_sdes_crypto c;
		char e[100];
		int r = mxp_sdes_parse(rs->crypto[i].p, rs->crypto[i].len, &c, e, sizeof(e));
		usable[i] = r == 0 && !c.kdr_present;
		suite[i] = r == 0 ? c.suite : MXP_SRTP_SUITE_INVALID;
		if (r == 0 && c.kdr_present)
			snprintf(e, sizeof(e), "KDR is not supported");
		if (!usable[i] && why[0] == '\0')
			snprintf(why, sizeof(why), "%u: %.90s", i + 1, e);
		for (unsigned int k = 0; r == 0 && k < c.nkeys; k++)
			any_mki |= c.keys[k].mki_len > 0;
		if (r != 0)
			any_mki |= raw_has_mki(rs->crypto[i].p, rs->crypto[i].len);
		mxp_sdes_wipe(&c);
	}
	if (any_mki)
		return 0; /* a key set: sdp_keys() takes (or refuses) every line */
	int pick = -1;
	for (unsigned int i = 0; i < rs->ncrypto && pick < 0; i++)
		if (usable[i] && suite[i] == want)
			pick = (int)i;
	for (unsigned int i = 0; i < rs->ncrypto && pick < 0; i++)
		if (usable[i])
			pick = (int)i;
	if (pick < 0) {
		snprintf(t, tl, "Remote: no a=crypto of its %u alternatives is usable (%s)",
			 rs->ncrypto, why);
		return MXP_MP_E_BAD_VALUE;
	}
	rs->crypto[0] = rs->crypto[pick];
	rs->ncrypto = 1;
	return 0;
}

static bool
same_mki(const uint8_t *a, uint8_t al, const uint8_t *b, uint8_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

static const char *
mki_str(const uint8_t *mki, uint8_t len, char *b, size_t bl)
{
	uint64_t v;
	mxp_srtp_mki_value(mki, len, &v);
	snprintf(b, bl, len ? "%" PRIu64 : "(none)", v);
	return b;
}

/* An a=rtpmap of RFC 4733 telephone-event. */
static bool
is_te(const struct mxp_sdp_rtpmap *m)
{
	return m->encoding.len == 15 && strncasecmp(m->encoding.p, "telephone-event", 15) == 0;
}

/* The RFC 4733 telephone-event payload type of an m= line (a=rtpmap:N telephone-event/8000),
 * 0 when it has none: a mix conference detects and reports those events instead of mixing.
 * (sdp_one_set_per_codec() has left one, at the audio's clock.) */
static int16_t
sdp_event_pt(const struct mxp_sdp *sd)
{
	for (uint8_t i = 0; i < sd->nrtpmap; i++) {
		const struct mxp_sdp_rtpmap *m = &sd->rtpmap[i];
		if (is_te(m) && m->pt >= 96 && memchr(sd->pts, m->pt, sd->npts) != NULL)
			return m->pt;
	}
	return 0;
}

/* Events requested in a command: MXP_MRFP_EV_* bits, or an error on the reply command. */
static int
events_check(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c,
	     uint8_t *mask, struct mxp_mp_cmd *rc)
{
	*mask = 0;
	for (uint16_t i = 0; i < c->events.n; i++) {
		struct mxp_mp_str n = msg->props[c->events.first + i].name;
		char t[MXP_MP_TEXT_MAX];
		uint8_t bit = 0;
		unsigned int code = mrfp_pkg_event(n, &bit, t, sizeof(t));
		if (code == 0 && bit == MXP_MRFP_EV_CE) /* its digit map */
			code = mrfp_dm_event(m, msg, c, &msg->props[c->events.first + i], t, sizeof(t));
		if (code) {
			mrfp_cmd_error(m, rc, code, "%s", t);
			return -1;
		}
		*mask |= bit;
	}
	return 0;
}

static void
events_record(struct mxp_mrfp *m, struct mxp_mrfp_leg *l, const struct mxp_mp_cmd *c, uint8_t mask,
	      const struct mxp_mp_pkg *pkg)
{
	if (pkg->present & MXP_MP_PKG_AFTHRESH)
		l->afthresh = pkg->authfail_threshold;
	if (!c->has_events)
		return;
	const uint8_t digits = MXP_MRFP_EV_DTMF | MXP_MRFP_EV_DD | MXP_MRFP_EV_CE;
	if ((mask & digits) && !(l->ev & digits)) {
		/* report the digits from now on, not those received before the request */
		struct mxp_leg_info li;
		if (mxp_conf_leg_get(m->conf, l->leg, &li) == 0)
			l->dtmf_seen = mxp_leg_dtmf_count(li.st.dtmf_log);
	}
	l->ev = mask;
	l->rid = c->events_rid;
	/* dd/ce: a new collection with the descriptor's digit map, or none (H.248.1 7.1.14.5) */
	mrfp_dm_collect(m, l, mask & MXP_MRFP_EV_CE);
}

/* The lib/media codec an a=rtpmap names (MXP_MEDIA_CODEC_NONE for others), and its name. */
static enum mxp_media_codec
rtpmap_codec(const struct mxp_sdp_rtpmap *m, char *name, size_t nl)
{
	snprintf(name, nl, "%.*s", (int)(m->encoding.len < nl - 1 ? m->encoding.len : nl - 1),
		 m->encoding.p);
	return mxp_media_codec_from_name(name, m->clock);
}

/* The a=rtpmap of payload type pt, or NULL. */
static const struct mxp_sdp_rtpmap *
sdp_rtpmap_of(const struct mxp_sdp *sd, uint8_t pt)
{
	for (uint8_t k = 0; k < sd->nrtpmap; k++)
		if (sd->rtpmap[k].pt == pt)
			return &sd->rtpmap[k];
	return NULL;
}

/* The a=fmtp parameters of payload type pt ("" without one). */
static void
sdp_fmtp_of(const struct mxp_sdp *sd, uint8_t pt, char *buf, size_t bl)
{
	buf[0] = '\0';
	for (uint8_t k = 0; k < sd->nfmtp; k++)
		if (sd->fmtp[k].pt == pt)
			snprintf(buf, bl, "%.*s",
				 (int)(sd->fmtp[k].params.len < bl - 1 ? sd->fmtp[k].params.len
								       : bl - 1),
				 sd->fmtp[k].params.p);
}

/* Take payload types drop[0..nd) out of a description: m= line, a=rtpmap, a=fmtp. */
static void
sdp_drop_pts(struct mxp_sdp *sd, const uint8_t *drop, unsigned int nd)
{
	uint8_t n = 0;
	for (uint8_t k = 0; k < sd->npts; k++)
		if (memchr(drop, sd->pts[k], nd) == NULL)
			sd->pts[n++] = sd->pts[k];
	sd->npts = n;
	n = 0;
	for (uint8_t k = 0; k < sd->nrtpmap; k++)
		if (memchr(drop, sd->rtpmap[k].pt, nd) == NULL)
			sd->rtpmap[n++] = sd->rtpmap[k];
	sd->nrtpmap = n;
	n = 0;
	for (uint8_t k = 0; k < sd->nfmtp; k++)
		if (memchr(drop, sd->fmtp[k].pt, nd) == NULL)
			sd->fmtp[n++] = sd->fmtp[k];
	sd->nfmtp = n;
}

/*
 * One parameter set per codec: an offer may list a codec several times with different
 * parameters (a VoLTE phone offers AMR-WB bandwidth-efficient and octet-aligned, and AMR
 * likewise: 3GPP TS 26.114 6.2.2.2), and a leg decodes each codec with one set. The leg
 * takes the first of each frame codec in the m= line's order of preference; the others
 * leave both descriptions (m= line, a=rtpmap, a=fmtp) before anything uses them, so the
 * answer (the reply's Local) lists only what the MRFP accepts (RFC 3264 6.1) and the
 * participant's packets of a type left out count as unknown_pt. The codecs are read
 * where the leg's come from: Remote's m= line, else Local's. A payload type whose
 * parameters do not parse stays, for sdp_codecs() to name.
 */
static void
sdp_one_set_per_codec(struct mxp_sdp *ls, struct mxp_sdp *rs)
{
	struct mxp_sdp *sd = rs != NULL && rs->npts ? rs : ls;
	if (sd == NULL)
		return;
	bool seen[MXP_MEDIA_CODEC_COUNT] = { false };
	struct mxp_media_fmtp first[MXP_MEDIA_CODEC_COUNT];
	uint8_t drop[MXP_SDP_PT_MAX];
	unsigned int nd = 0;
	for (uint8_t i = 0; i < sd->npts; i++) {
		uint8_t pt = sd->pts[i];
		const struct mxp_sdp_rtpmap *m = sdp_rtpmap_of(sd, pt);
		char name[32], fmtp[256], e[64];
		enum mxp_media_codec c = m ? rtpmap_codec(m, name, sizeof(name)) : MXP_MEDIA_CODEC_NONE;
		struct mxp_media_fmtp f;
		memset(&f, 0, sizeof(f));
		sdp_fmtp_of(sd, pt, fmtp, sizeof(fmtp));
		if (!mxp_media_codec_is_frame(c) ||
		    mxp_media_fmtp_parse(c, fmtp, &f, e, sizeof(e)) != 0)
			continue;
		if (!seen[c]) {
			seen[c] = true;
			first[c] = f;
		} else if (memcmp(&f, &first[c], sizeof(f)) != 0) {
			drop[nd++] = pt; /* (the same set again stays: one decoder serves both) */
		}
	}
	/*
	 * One telephone-event type: the first at the clock of the audio it goes with (RFC
	 * 4733 2.1: its timestamps are the audio's; a VoLTE offer lists it at 16000 for
	 * AMR-WB and at 8000 for AMR), else the first listed.
	 */
	uint32_t clock = 0;
	{
		struct mxp_sdp left = *sd;
		sdp_drop_pts(&left, drop, nd);
		clock = mxp_sdp_media_clock(&left);
	}
	int keep = -1;
	for (int pass = 0; pass < 2 && keep < 0; pass++)
		for (uint8_t i = 0; i < sd->npts && keep < 0; i++)
			for (uint8_t k = 0; k < sd->nrtpmap; k++) {
				const struct mxp_sdp_rtpmap *m = &sd->rtpmap[k];
				if (m->pt == sd->pts[i] && m->pt >= 96 && is_te(m) &&
				    (pass == 1 || m->clock == clock))
					keep = m->pt;
			}
	for (uint8_t k = 0; k < sd->nrtpmap; k++) {
		const struct mxp_sdp_rtpmap *m = &sd->rtpmap[k];
		if (is_te(m) && m->pt != keep && memchr(sd->pts, m->pt, sd->npts) != NULL &&
		    memchr(drop, m->pt, nd) == NULL && nd < MXP_SDP_PT_MAX)
			drop[nd++] = m->pt;
	}
	if (nd == 0)
		return;
	if (rs != NULL)
		sdp_drop_pts(rs, drop, nd);
	if (ls != NULL)
		sdp_drop_pts(ls, drop, nd);
}

/*
 * mix: the formats the mixer takes from a participant: G.711 and G.722 (0, 8, 9), the
 * frame and plugin codecs it knows by their a=rtpmap, telephone-event and comfort noise.
 * Any other (EVS, GSM, G.729, L16, a dynamic type without a=rtpmap) leaves both descriptions,
 * so that the answer lists only what the MRFP decodes (RFC 3264 6.1) and the phone does
 * not choose a format whose every packet would be refused (unknown_pt). An offer with no
 * audio format the mixer decodes is left as it is: lib/conf refuses it (449).
 */
static void
sdp_mix_formats(struct mxp_sdp *ls, struct mxp_sdp *rs)
{
	struct mxp_sdp *sd = rs != NULL && rs->npts ? rs : ls;
	if (sd == NULL)
		return;
	uint8_t drop[MXP_SDP_PT_MAX];
	unsigned int nd = 0;
	bool audio = false;
	for (uint8_t i = 0; i < sd->npts; i++) {
		uint8_t pt = sd->pts[i];
		const struct mxp_sdp_rtpmap *m = sdp_rtpmap_of(sd, pt);
		bool cn = pt == 13 || (m != NULL && m->encoding.len == 2 &&
				       strncasecmp(m->encoding.p, "CN", 2) == 0);
		bool ev = m != NULL && is_te(m);
		char name[32];
		/* the static G.711 and G.722 types, and a dynamic one of a frame or plugin
		 * codec (what sdp_codecs() gives lib/conf); not L16, nor G.711 under a
		 * dynamic number */
		bool dec = pt == 0 || pt == 8 || pt == 9 ||
			   (m != NULL && !cn && !ev &&
			    mxp_media_codec_is_frame(rtpmap_codec(m, name, sizeof(name))));
		audio |= dec;
		if (!dec && !cn && !ev)
			drop[nd++] = pt;
	}
	if (nd == 0 || !audio)
		return;
	if (rs != NULL)
		sdp_drop_pts(rs, drop, nd);
	if (ls != NULL)
		sdp_drop_pts(ls, drop, nd);
}

/*
 * The codecs of an m= line's dynamic payload types (a=rtpmap, a=fmtp) for lib/conf: AMR,
 * AMR-WB, Opus, plugin codecs, with their parameters. Encodings the mixer does not decode
 * (telephone-event, CN, others) are left out. 0, or an H.248 code with text in t: 449 for
 * parameters the codec refuses (crc=1, a bad mode-set...).
 */
static unsigned int
sdp_codecs(const struct mxp_sdp *sd, struct mxp_leg_params *lp, char *t, size_t tl)
{
	lp->n_codecs = 0;
	for (uint8_t i = 0; i < sd->nrtpmap && lp->n_codecs < MXP_CONF_MAX_PT; i++) {
		const struct mxp_sdp_rtpmap *m = &sd->rtpmap[i];
		char name[32];
		enum mxp_media_codec c = rtpmap_codec(m, name, sizeof(name));
		bool listed = false;
		for (uint8_t k = 0; k < sd->npts; k++)
			listed |= sd->pts[k] == m->pt;
		if (!mxp_media_codec_is_frame(c) || !listed)
			continue; /* (an rtpmap of a type the m= line does not offer: unused) */
		/* channels: mono only, but opus/48000/2 is how RFC 7587 names mono too */
		if (m->channels > 1 && c != MXP_MEDIA_CODEC_OPUS) {
			snprintf(t, tl, "a=rtpmap:%u %s/%u/%u: only one channel is supported", m->pt,
				 name, m->clock, m->channels);
			return MXP_MP_E_BAD_VALUE;
		}
		char fmtp[256];
		sdp_fmtp_of(sd, m->pt, fmtp, sizeof(fmtp));
		struct mxp_leg_codec *lc = &lp->codecs[lp->n_codecs];
		char err[120];
		if (mxp_media_fmtp_parse(c, fmtp, &lc->fmtp, err, sizeof(err)) != 0) {
			snprintf(t, tl, "a=fmtp:%u: %.120s", m->pt, err);
			return MXP_MP_E_BAD_VALUE;
		}
		lc->pt = m->pt;
		lc->codec = (uint8_t)c;
		lp->n_codecs++;
	}
	return 0;
}

/* Remember the media description of a leg (payload types, rtpmap, ptime) for audits. */
static void
media_record(struct mxp_mrfp_leg *l, const struct mxp_sdp *sd)
{
	if (sd == NULL || sd->npts == 0)
		return;
	l->npts = sd->npts;
	memcpy(l->pts, sd->pts, sd->npts);
	l->ptime = sd->ptime;
	l->nrtpmap = 0;
	for (uint8_t i = 0; i < sd->nrtpmap && l->nrtpmap < RTE_DIM(l->rtpmap); i++) {
		const struct mxp_sdp_rtpmap *m = &sd->rtpmap[i];
		if (m->encoding.len >= sizeof(l->rtpmap[0].enc))
			continue;
		l->rtpmap[l->nrtpmap].pt = m->pt;
		l->rtpmap[l->nrtpmap].clock = m->clock;
		l->rtpmap[l->nrtpmap].channels = m->channels;
		memcpy(l->rtpmap[l->nrtpmap].enc, m->encoding.p, m->encoding.len);
		l->rtpmap[l->nrtpmap].enc[m->encoding.len] = '\0';
		l->nrtpmap++;
	}
}

static void
media_apply(struct mxp_sdp *sd, const struct mxp_mrfp_leg *l)
{
	if (l == NULL || l->npts == 0) {
		sd->npts = 1;
		sd->pts[0] = 0;
		return;
	}
	sd->npts = l->npts;
	memcpy(sd->pts, l->pts, l->npts);
	sd->ptime = l->ptime;
	sd->nrtpmap = l->nrtpmap;
	for (uint8_t i = 0; i < l->nrtpmap; i++) {
		sd->rtpmap[i].pt = l->rtpmap[i].pt;
		sd->rtpmap[i].clock = l->rtpmap[i].clock;
		sd->rtpmap[i].channels = l->rtpmap[i].channels;
		sd->rtpmap[i].encoding = mxp_mp_str_c(l->rtpmap[i].enc);
	}
}

/* The a=fmtp of what the leg receives from the MRFP (a frame codec's parameters as the
 * MRFP uses them), in place of the one the request had for that payload type. */
static void
sdp_set_fmtp(struct mxp_sdp *sd, const struct mxp_leg_info *li)
{
	if (!mxp_media_codec_is_frame((enum mxp_media_codec)li->codec))
		return;
	uint8_t k = 0;
	while (k < sd->nfmtp && sd->fmtp[k].pt != li->codec_pt)
		k++;
	if (k == sd->nfmtp) {
		if (k == MXP_SDP_PT_MAX)
			return;
		sd->nfmtp++;
	}
	sd->fmtp[k].pt = li->codec_pt;
	sd->fmtp[k].params = mxp_mp_str_c(li->fmtp);
}

static const char *
sdp_text(struct mxp_mrfp *m, const struct mxp_sdp *sd)
{
	char *out = m->arena + m->arena_used;
	int n = mxp_sdp_encode(sd, out, MRFP_ARENA - m->arena_used);
	if (n < 0)
		return "";
	m->arena_used += (size_t)n + 1;
	return out;
}

/* SDP of a leg's side for replies and audits: addresses from lib/conf, media from the
 * plane's record. Never a key: audits do not return key material. */
static const char *
leg_sdp(struct mxp_mrfp *m, const struct mxp_leg_info *li, const struct mxp_mrfp_leg *l, bool local)
{
	struct mxp_sdp sd;
	memset(&sd, 0, sizeof(sd));
	sd.has_conn = true;
	sd.has_media = true;
	sd.srtp = !li->plain;
	const struct mxp_ip *ip = local ? &li->local : &li->remote;
	sd.addr.af = li->local.af;
	if (!local && !li->remote_known) {
		sd.conn_choose = sd.port_choose = true;
	} else {
		sd.addr = *ip;
		sd.port = local ? li->local_port : li->remote_port;
	}
	media_apply(&sd, l);
	sd.audio_level_id = li->audio_level_id; /* the leg's, fixed while it lives */
	if (local)
		sdp_set_fmtp(&sd, li);
	return sdp_text(m, &sd);
}

/*
 * The Local SDP of an Add reply: the request's Local as the MRFP fills it in (address and
 * port allocated, payload types of Local or else Remote; a=crypto only if the MRFP made it).
 */
static const char *
add_reply_sdp(struct mxp_mrfp *m, const struct mxp_sdp *ls, const struct mxp_sdp *rs,
	      const struct mxp_leg_info *li, const char *gen_crypto)
{
	struct mxp_sdp sd;
	if (ls)
		sd = *ls;
	else
		memset(&sd, 0, sizeof(sd));
	sd.origin.len = 0;
	sd.session.len = 0;
	sd.has_conn = true;
	sd.conn_choose = false;
	sd.addr = li->local;
	sd.has_media = true;
	sd.port_choose = false;
	sd.port = li->local_port;
	sd.srtp = !li->plain;
	sd.dir = MXP_MP_MODE_UNSET; /* the mode is LocalControl's */
	sd.audio_level_id = li->audio_level_id; /* what the leg uses, from Remote or Local */
	if (sd.npts == 0 && rs) {
		/* Remote's formats, with their parameters (an a=fmtp says which payload format:
		 * AMR's octet-align, RFC 4867 8.3.1) */
		sd.npts = rs->npts;
		memcpy(sd.pts, rs->pts, rs->npts);
		sd.nrtpmap = rs->nrtpmap;
		memcpy(sd.rtpmap, rs->rtpmap, sizeof(sd.rtpmap));
		sd.nfmtp = rs->nfmtp;
		memcpy(sd.fmtp, rs->fmtp, sizeof(sd.fmtp));
		if (sd.ptime == 0)
			sd.ptime = rs->ptime;
	}
	if (sd.npts == 0) {
		sd.npts = 1;
		sd.pts[0] = 0;
	}
	/* a dynamic payload type of the answer needs its a=rtpmap (RFC 4566 6): Remote's
	 * (and its a=fmtp) where Local lists the type without one */
	for (uint8_t i = 0; rs && i < sd.npts; i++) {
		uint8_t pt = sd.pts[i];
		bool has = false;
		for (uint8_t k = 0; k < sd.nrtpmap; k++)
			has |= sd.rtpmap[k].pt == pt;
		for (uint8_t k = 0; !has && pt >= 96 && k < rs->nrtpmap; k++)
			if (rs->rtpmap[k].pt == pt && sd.nrtpmap < MXP_SDP_PT_MAX) {
				sd.rtpmap[sd.nrtpmap++] = rs->rtpmap[k];
				has = true;
				bool hf = false;
				for (uint8_t j = 0; j < sd.nfmtp; j++)
					hf |= sd.fmtp[j].pt == pt;
				for (uint8_t j = 0; !hf && j < rs->nfmtp; j++)
					if (rs->fmtp[j].pt == pt && sd.nfmtp < MXP_SDP_PT_MAX) {
						sd.fmtp[sd.nfmtp++] = rs->fmtp[j];
						hf = true;
					}
			}
	}
	sdp_set_fmtp(&sd, li);
	/* The MRFC knows the keys it gave: they are not sent back (fewer keys on the wire). A
	 * key the MRFP generated is the MRFC's only way to learn it. */
	sd.ncrypto = 0;
	if (gen_crypto) {
		sd.ncrypto = 1;
		sd.crypto[0] = mxp_mp_str_c(gen_crypto);
	}
	return sdp_text(m, &sd);
}

/*
 * The MRFP makes the key it sends with (Local a=crypto) when the MRFC gives none: same suite
 * and MKI length as the participant's first key, 2^31 packets, fresh from getrandom(2).
 * The attribute (with the key) goes into the reply arena; the key set receives it.
 */
static int
gen_local_key(struct mxp_mrfp *m, const struct mxp_conf_keys *in, const struct mxp_sdp *rs,
	      struct mxp_conf_keys *out, const char **line)
{
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(in->key[0].suite);
	struct mxp_sdes_crypto c;
	memset(&c, 0, sizeof(c));
	if (si == NULL)
		return -EINVAL;
	/* the answer's a=crypto carries the tag of the offer's line it accepts (RFC 4568
	 * 7.1.2): the participant's first, whose suite it takes */
	c.tag = 1;
	if (rs != NULL && rs->ncrypto > 0) {
		struct mxp_sdes_crypto o;
		if (mxp_sdes_parse(rs->crypto[0].p, rs->crypto[0].len, &o, NULL, 0) == 0)
			c.tag = o.tag;
		mxp_sdes_wipe(&o);
	}
	c.suite = in->key[0].suite;
	c.nkeys = 1;
	c.keys[0].lifetime = UINT64_C(1) << 31;
	c.keys[0].lifetime_log2 = 31;
	c.keys[0].mki_len = in->key[0].mki_len;
	if (c.keys[0].mki_len)
		c.keys[0].mki[c.keys[0].mki_len - 1] = 1;
	if (getrandom(c.keys[0].key, si->key_len, 0) != (ssize_t)si->key_len ||
	    getrandom(c.keys[0].salt, si->salt_len, 0) != (ssize_t)si->salt_len) {
		mxp_sdes_wipe(&c);
		return -EIO;
	}
	char *buf = m->arena + m->arena_used;
	int n = mxp_sdes_encode(&c, buf, MRFP_ARENA - m->arena_used);
	int r = n < 0 ? n : mxp_conf_keys_add_sdes(out, &c, true, NULL, 0);
	mxp_sdes_wipe(&c);
	if (r)
		return r;
	m->arena_used += (size_t)n + 1;
	*line = buf;
	m->cnt.keys_generated++;
	return 0;
}

static void
add_stats(struct mxp_mrfp *m, struct mxp_mp_stream *st, const struct mxp_leg_info *li,
	  const struct mxp_leg_quality *q)
{
	const struct mxp_mrfp_leg *l = mxp_mrfp_leg_find(m, li->id);
	const struct mxp_leg_stats *s = &li->st;
	st->has_stats = true;
#define STAT(name, v) mxp_mp_msg_add_prop(m->rep, &st->stats, name, '=', \
					  mrfp_arena_printf(m, "%" PRIu64, (uint64_t)(v)))
	STAT("rtp/ps", s->tx_pkts);
	STAT("rtp/pr", s->rx_pkts);
	STAT("nt/os", s->tx_bytes);
	STAT("nt/or", s->rx_bytes);
	if (l != NULL)
		STAT("nt/dur", m->ops.now_ms(m->ops.arg) - l->created_ms);
	/* packet loss of the participant's stream as the MRFP sees it (mix: the jitter
	 * buffer's), and the jitter the participant reports of ours (RTCP RR, ms at the
	 * stream's clock: lib/conf's quality estimate) */
	STAT("rtp/pl", s->rx_pkts + s->jb_lost ? s->jb_lost * 100 / (s->rx_pkts + s->jb_lost) : 0);
	STAT("rtp/jit", q != NULL && q->out_valid ? (uint64_t)(q->out_jitter_ms + 0.5)
						 : s->remote_jitter / 8);
	/* E.12 delay: the one-way delay, half the round trip the participant's RTCP reports
	 * measure (RFC 3550 6.4.1, LSR/DLSR), ms; absent until one is measured */
	if (q != NULL && q->rtt_measured)
		STAT("rtp/delay", (uint64_t)(q->rtt_ms / 2 + 0.5));
	STAT("mxp/authfail", s->auth_failures);
	STAT("mxp/replay", s->replays + s->too_old);
	STAT("mxp/latched", s->latches);
	STAT("mxp/srcmismatch", s->source_mismatch);
	/* the call quality estimate of the worse direction (doc/media.md, "Call quality"):
	 * MOS x 100 and its R, absent while neither direction has one */
	if (q != NULL && (q->in_valid || q->out_valid)) {
		const struct mxp_media_emodel_result *e =
			q->in_valid && (!q->out_valid || q->in.mos <= q->out.mos) ? &q->in : &q->out;
		STAT("mxp/mos", (uint64_t)(e->mos * 100 + 0.5));
		STAT("mxp/rfactor", (uint64_t)(e->r + 0.5));
	}
	/* every refused packet: the total, and each reason once it happened (doc/mp.md) */
	uint64_t refused = 0;
	for (int k = 0; k < MXP_LEG_DROP_COUNT; k++)
		refused += s->drops[k];
	STAT("mxp/refused", refused);
	for (int k = 0; k < MXP_LEG_DROP_COUNT; k++) {
		const char *name = s->drops[k] ? mrfp_arena_printf(m, "mxp/drop_%s",
				  mxp_leg_drop_name((enum mxp_leg_drop)k)) : "";
		if (name[0]) /* "" also when the arena is full */
			STAT(name, s->drops[k]);
	}
#undef STAT
}

static void
reply_term(struct mxp_mrfp *m, struct mxp_mp_cmd *rc, uint32_t leg)
{
	rc->term_kind = MXP_MP_TERM_NAME;
	rc->term = mxp_mp_str_c(mrfp_arena_printf(m, "leg/%u", leg));
}

/* ---- Add ------------------------------------------------------------------------------- */

struct action_state {
	uint32_t ctx;              /* resolved context id, 0 = none yet */
	bool created;              /* this action created it ($) */
};

static const struct mxp_mp_stream *
stream1(const struct mxp_mp_cmd *c)
{
	return c->nstreams ? &c->streams[0] : NULL;
}

/* Context-level properties on an Add to an existing context must agree with it. */
static int
add_ctx_props(struct mxp_mrfp *m, const struct mxp_mp_pkg *pkg, uint32_t ctx, struct mxp_mp_cmd *rc)
{
	struct mxp_conf_info ci;
	if (mxp_conf_get(m->conf, ctx, &ci) != 0)
		return 0;
	if ((pkg->present & MXP_MP_PKG_MODE) && conf_mode(pkg->mode) != ci.mode) {
		mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE, "context %u is a %s conference", ctx,
			       mxp_conf_mode_name(ci.mode));
		return -1;
	}
	if ((pkg->present & MXP_MP_PKG_TOPN) && pkg->topn != ci.topn) {
		mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
			       "mxp/topn differs from context %u's (%u): change it with Modify", ctx,
			       ci.topn);
		return -1;
	}
	if (pkg->present & MXP_MP_PKG_FLOOR) {
		mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE, "mxp/floor: give the floor with Modify");
		return -1;
	}
	if (record_needs_mix(pkg, ci.mode)) {
		mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
			       "mxp/record: context %u is a %s conference: only mix conferences have "
			       "a shared mix to record", ctx, mxp_conf_mode_name(ci.mode));
		return -1;
	}
	return 0;
}

/* ---- Move ------------------------------------------------------------------------------ */

/*
 * lib/conf keeps no key material, so a Move re-creates the leg from the keys the request
 * gives: they must be the leg's own (same MKIs, same keys by fingerprint, the same active
 * one), which makes putting the leg back exact if the target refuses it. A rekey is a
 * Modify of its own.
 */
static unsigned int
move_keys_check(const struct mxp_leg_params *lp, const struct mxp_leg_info *mv, char *t, size_t tl)
{
	const struct { const struct mxp_conf_keys *ks; const struct mxp_leg_key_info *have;
		       uint8_t nhave; const char *dir; } d[2] = {
		{ &lp->in, mv->in_keys, mv->n_in_keys, "Remote" },
		{ &lp->out, mv->out_keys, mv->n_out_keys, "Local" },
	};
	for (int k = 0; k < 2; k++) {
		if (d[k].ks->nkeys != d[k].nhave) {
			snprintf(t, tl, "%s lists %u key(s), the leg has %u: a moved leg keeps its keys "
				 "(the MRFP keeps none to copy; rekey with Modify)", d[k].dir,
				 d[k].ks->nkeys, d[k].nhave);
			return d[k].ks->nkeys == 0 ? MXP_MP_E_MISSING_DESC : MXP_MP_E_BAD_VALUE;
		}
		for (uint8_t i = 0; i < d[k].ks->nkeys; i++) {
			const struct mxp_conf_key *key = &d[k].ks->key[i];
			const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(key->suite);
			char fp[9];
			mxp_srtp_key_fingerprint(key->key, si->key_len, key->salt, si->salt_len, fp);
			bool same = false;
			for (uint8_t h = 0; h < d[k].nhave && !same; h++)
				same = same_mki(d[k].have[h].mki, d[k].have[h].mki_len, key->mki,
						key->mki_len) && strcmp(d[k].have[h].fp, fp) == 0;
			if (!same) {
				snprintf(t, tl, "%s key %u is not one of the leg's: a moved leg keeps its "
					 "keys (rekey with Modify)", d[k].dir, i + 1);
				return MXP_MP_E_BAD_VALUE;
			}
		}
	}
	const struct mxp_leg_key_info *act = mv->out_active >= 0 ? &mv->out_keys[mv->out_active] : NULL;
	if (act && !same_mki(act->mki, act->mki_len, lp->out.key[0].mki, lp->out.key[0].mki_len)) {
		snprintf(t, tl, "Local: the first a=crypto must be the key the leg sends with");
		return MXP_MP_E_BAD_VALUE;
	}
	return 0;
}

/*
 * Take the leg out of its context and add it to ctx under the same id and port; if the
 * target refuses it, put it back as it was. 0, the target's error (nothing changed), or
 * -EIO when the leg could not be put back either (it is gone).
 */
static int
move_leg(struct mxp_mrfp *m, const struct mxp_leg_info *mv, uint32_t ctx,
	 const struct mxp_leg_params *lp, bool remote_from_leg, struct mxp_leg_info *li,
	 char *err, size_t el)
{
	struct mxp_leg_params back = *lp;
	back.mode = mv->mode;
	back.strict = mv->strict;
	back.asymmetric = mv->asymmetric;
	back.cascade = mv->cascade;
	back.remote_known = mv->remote_known;
	back.remote = mv->remote;
	back.remote_port = mv->remote_port;
	back.remote_rtcp_port = mv->remote_rtcp_port;
	back.remote_guessed = mv->remote_guessed;
	snprintf(back.label, sizeof(back.label), "%s", mv->label);
	/* What the target refuses of the leg (its mode, a forward conference's key, a full
	 * mixer, cascade slots): before the leg leaves, so that the leg stays as it is */
	int r = mxp_conf_leg_add_check(m->conf, ctx, lp, err, el);
	if (r) {
		size_t n = strlen(err);
		snprintf(err + n, el - n, " (nothing changed)");
		explicit_bzero(&back, sizeof(back));
		return r;
	}
	/* The participant's SRTP stream goes on where it was (its rollover counter: past a
	 * sequence-number wrap a new stream would estimate ROC 0 and refuse every packet). */
	struct mxp_leg_info last;
	r = mxp_conf_leg_remove(m->conf, mv->id, &last, err, el);
	if (r == 0) {
		struct mxp_leg_params np = *lp;
		np.rx_resume = last.rx_state;
		back.rx_resume = last.rx_state;
		/* the remote as the leg left: mv was read while its worker could still latch
		 * (a port learnt meanwhile, a guess that is not one any more) */
		back.remote_known = last.remote_known;
		back.remote = last.remote;
		back.remote_port = last.remote_port;
		back.remote_rtcp_port = last.remote_rtcp_port;
		back.remote_guessed = last.remote_guessed;
		if (remote_from_leg) {
			np.remote_known = last.remote_known;
			np.remote = last.remote;
			np.remote_port = last.remote_port;
			np.remote_rtcp_port = last.remote_rtcp_port;
			np.remote_guessed = last.remote_guessed;
		}
		r = mxp_conf_leg_add(m->conf, ctx, &np, li, err, el);
		explicit_bzero(&np, sizeof(np));
		if (r) {
			char e2[120];
			size_t n = strlen(err);
			snprintf(err + n, el - n, " (nothing changed)");
			if (mxp_conf_leg_add(m->conf, mv->conf_id, &back, NULL, e2, sizeof(e2)) != 0) {
				snprintf(err, el, "leg/%u could not be put back into context %u: %s",
					 mv->id, mv->conf_id, e2);
				mxp_mrfp_leg_forget(m, mv->id);
				r = -EIO;
			} else if (mv->muted) {
				struct mxp_leg_mod md = { .set_mute = true, .mute = true };
				mxp_conf_leg_modify(m->conf, mv->id, &md, NULL, 0);
			}
		}
	}
	explicit_bzero(&back, sizeof(back));
	return r;
}

static void
move_done(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, struct action_state *as,
	  struct mxp_mp_cmd *rc, const struct mxp_leg_info *mv, const struct mxp_mp_pkg *pkg,
	  uint8_t evmask, const struct mxp_sdp *media, const struct mxp_sdp *ls,
	  const struct mxp_sdp *rs, struct mxp_leg_info *li)
{
	if (pkg->mute == 1 || (pkg->mute < 0 && mv->muted)) {
		struct mxp_leg_mod md = { .set_mute = true, .mute = true };
		mxp_conf_leg_modify(m->conf, li->id, &md, NULL, 0);
	}
	/* H.248: a context without terminations ceases to exist. */
	if (mxp_conf_legs(m->conf, mv->conf_id, NULL, 0) == 0)
		mxp_conf_destroy(m->conf, mv->conf_id, NULL, 0);
	struct mxp_mrfp_leg *l = mrfp_leg_get(m, li->id);
	if (l == NULL && (l = mrfp_leg_new(m, li->id, as->ctx)) != NULL)
		l->peer = m->peer;
	if (l) {
		l->ctx = as->ctx;
		events_record(m, l, c, evmask, pkg);
		media_record(l, media);
	}
	reply_term(m, rc, li->id);
	rc->has_media = true;
	rc->nstreams = 1;
	rc->streams[0].id = c->streams[0].id;
	rc->streams[0].has_local = true;
	rc->streams[0].local = mxp_mp_str_c(add_reply_sdp(m, ls, rs, li, NULL));
}

static void
do_add(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c,
       const char *base, struct action_state *as, struct mxp_mp_cmd *rc,
       const struct mxp_leg_info *mv)
{
	struct mxp_mp_pkg pkg;
	struct mxp_mp_error e;
	char t[MXP_MP_TEXT_MAX];
	uint8_t evmask;
	const char *cmd = mv ? "Move" : "Add";

	if (mv == NULL && c->term_kind != MXP_MP_TERM_CHOOSE) {
		uint32_t leg;
		struct mxp_leg_info li;
		if (c->term_kind == MXP_MP_TERM_NAME && term_leg(c->term, &leg) &&
		    mxp_conf_leg_get(m->conf, leg, &li) == 0)
			return mrfp_cmd_error(m, rc, MXP_MP_E_TERM_IN_CTX,
					      "termination %.*s is already in context %u",
					      (int)c->term.len, c->term.p, li.conf_id);
		return mrfp_cmd_error(m, rc, MXP_MP_E_UNKNOWN_TERM,
				      "Add takes $: the MRFP names its terminations leg/N");
	}
	if (mxp_mp_pkg_get(msg, c, base, &pkg, &e) != 0)
		return mrfp_cmd_error(m, rc, e.code, "%s", e.text);
	if (events_check(m, msg, c, &evmask, rc) != 0)
		return;
	if (as->ctx && add_ctx_props(m, &pkg, as->ctx, rc) != 0)
		return;
	if (!as->ctx && (pkg.present & MXP_MP_PKG_FLOOR))
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE, "mxp/floor: give the floor with Modify");
	if (!as->ctx && record_needs_mix(&pkg, conf_mode(pkg.mode)))
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
				      "mxp/record: only mix conferences have a shared mix to record "
				      "(mxp/mode = mix)");
	if (mv && (pkg.present & (MXP_MP_PKG_RECORD | MXP_MP_PKG_RECMAX)))
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
				      "mxp/record: give it with Add or Modify, not Move");
	if (c->nstreams > 1)
		return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL, "one audio stream per termination");
	const struct mxp_mp_stream *st = stream1(c);
	if (st == NULL || (!st->has_local && !st->has_remote))
		return mrfp_cmd_error(m, rc, MXP_MP_E_MISSING_DESC,
				    "%s needs a Media descriptor with Local and/or Remote%s", cmd,
				    mv ? " (the leg is re-created: its SDP and keys as on Add)" : "");
	struct mxp_sdp ls, rs;
	bool has_local = st->has_local, has_remote = st->has_remote;
	if (has_local && mxp_sdp_parse(st->local.p, st->local.len, &ls, &e) != 0)
		return mrfp_cmd_error(m, rc, e.code, "Local: %s", e.text);
	if (has_remote && mxp_sdp_parse(st->remote.p, st->remote.len, &rs, &e) != 0)
		return mrfp_cmd_error(m, rc, e.code, "Remote: %s", e.text);
	{
		/* mix: what the mixer decodes first, so that the telephone-event kept is the one
		 * at the clock of a codec that stays */
		enum mxp_conf_mode amode = conf_mode(pkg.mode);
		struct mxp_conf_info aci;
		if (as->ctx && mxp_conf_get(m->conf, as->ctx, &aci) == 0)
			amode = aci.mode;
		if (amode == MXP_CONF_MIX)
			sdp_mix_formats(has_local ? &ls : NULL, has_remote ? &rs : NULL);
	}
	sdp_one_set_per_codec(has_local ? &ls : NULL, has_remote ? &rs : NULL);
	bool plain = pkg.plain_rtp == 1;
	if (mv && pkg.plain_rtp < 0)
		plain = mv->plain;
	if (mv && plain != mv->plain)
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
				      "mxp/plainrtp cannot change on a leg (Subtract and Add it)");
	if (plain && !m->cfg.allow_plaintext)
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
				      "mxp/plainrtp needs the lab flag allow_plaintext_mp");
	if (!plain && ((has_local && !ls.srtp) || (has_remote && !rs.srtp)))
		return mrfp_cmd_error(m, rc, MXP_MP_E_MEDIA_TYPE, "RTP/SAVP expected (SRTP is mandatory)");
	if (plain && ((has_local && ls.srtp) || (has_remote && rs.srtp)))
		return mrfp_cmd_error(m, rc, MXP_MP_E_MEDIA_TYPE, "mxp/plainrtp=on takes RTP/AVP");

	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.plain = plain;
	lp.strict = pkg.strict == 1;
	lp.asymmetric = pkg.asymmetric == 1;
	lp.cascade = pkg.cascade == 1;
	if (mv) {
		lp.id = mv->id;
		lp.strict = pkg.strict >= 0 ? pkg.strict == 1 : mv->strict;
		lp.asymmetric = pkg.asymmetric >= 0 ? pkg.asymmetric == 1 : mv->asymmetric;
		lp.cascade = pkg.cascade >= 0 ? pkg.cascade == 1 : mv->cascade;
		lp.rtcp_mux = mv->rtcp_mux;
	}
	lp.af = has_local && ls.has_conn && !ls.conn_choose ? ls.addr.af :
		has_remote && rs.has_conn ? rs.addr.af :
		has_local && ls.has_conn ? ls.addr.af : AF_INET;
	/* The local address: the one Local names; else that of the port which reaches the
	 * Remote address (its subnet, else its gateway); else our first of that family. */
	bool found = false;
	bool local_named = has_local && ls.has_conn && !ls.conn_choose;
	if (mv) {
		struct mxp_ip want = local_named ? sdp_ip(&ls) : mv->local;
		if (!mxp_ip_equal(&want, &mv->local) ||
		    (has_local && ls.has_media && !ls.port_choose && ls.port != mv->local_port))
			return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL,
					      "Local: a moved leg keeps its address and port %u "
					      "(give $ or the same)", mv->local_port);
		lp.af = mv->local.af;
		lp.port_idx = mv->port_idx;
		found = true;
	}
	if (!found && !local_named && has_remote && rs.has_conn && !rs.conn_choose &&
	    rs.addr.af == lp.af) {
		struct mxp_ip dst = sdp_ip(&rs);
		int r = m->ops.route(m->ops.arg, &dst);
		if (r >= 0 && r < m->cfg.nb_ports &&
		    m->ops.port_addr(m->ops.arg, (uint16_t)r, lp.af) != NULL) {
			lp.port_idx = (uint16_t)r;
			found = true;
		}
	}
	for (uint16_t i = 0; i < m->cfg.nb_ports && !found; i++) {
		const struct mxp_ip *a = m->ops.port_addr(m->ops.arg, i, lp.af);
		if (a == NULL)
			continue;
		if (!has_local || !ls.has_conn || ls.conn_choose) {
			found = true;
		} else {
			struct mxp_ip want = sdp_ip(&ls);
			found = mxp_ip_equal(a, &want);
		}
		if (found)
			lp.port_idx = i;
	}
	if (!found)
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE, "Local c=: no %s address of this MRFP%s",
				      lp.af == AF_INET6 ? "IPv6" : "IPv4",
				      has_local && ls.has_conn && !ls.conn_choose ? " is that one" : "");
	lp.local_port = has_local && ls.has_media && !ls.port_choose ? ls.port : 0;
	if (mv) {
		lp.local_port = mv->local_port;
		if (mv->remote_known) { /* kept unless Remote names another */
			lp.remote_known = true;
			lp.remote = mv->remote;
			lp.remote_port = mv->remote_port;
			lp.remote_rtcp_port = mv->remote_rtcp_port;
			lp.remote_guessed = mv->remote_guessed;
		}
	}
	/* A Move keeps the leg's remote unless Remote names another address or port (its
	 * own: what the leg learnt of them, its RTCP port, stays, as on Modify) */
	bool remote_from_leg = mv != NULL;
	bool names_remote = has_remote && rs.has_conn && !rs.conn_choose && rs.has_media &&
			    !rs.port_choose;
	if (names_remote && mv != NULL && mv->remote_known) {
		struct mxp_ip named = sdp_ip(&rs);
		names_remote = !mxp_ip_equal(&named, &mv->remote) || rs.port != mv->remote_port;
	}
	if (names_remote) {
		remote_from_leg = false;
		lp.remote_known = true;
		lp.remote = sdp_ip(&rs);
		lp.remote_port = rs.port;
		lp.remote_rtcp_port = 0;
		lp.remote_guessed = 0;
		if (lp.remote.af != lp.af)
			return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
					      "Remote c= and Local c= are of different families");
	} else if (remote_from_leg && lp.remote_known && lp.remote.af != lp.af) {
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
				      "Local c= is not of the family of the leg's remote address");
	}
	const struct mxp_sdp *media = has_remote && rs.npts ? &rs : has_local ? &ls : NULL;
	if (media) {
		lp.n_pt = media->npts;
		memcpy(lp.pt, media->pts, media->npts);
		lp.event_pt = sdp_event_pt(media);
		lp.audio_level_id = media->audio_level_id; /* a=extmap: RFC 6464 levels */
		unsigned int code = sdp_codecs(media, &lp, t, sizeof(t));
		if (code != 0)
			return mrfp_cmd_error(m, rc, code, "%s", t);
		lp.rtp_clock = mxp_sdp_media_clock(media); /* RTCP: jitter units, SR timestamps */
	}
	/* RTCP's bandwidth (b=AS, RFC 3556 b=RS/b=RR): the Remote's b= lines, else the Local's */
	_Static_assert(MXP_SDP_BW_AS == MXP_LEG_BW_AS && MXP_SDP_BW_RS == MXP_LEG_BW_RS &&
		       MXP_SDP_BW_RR == MXP_LEG_BW_RR, "b= bits");
	const struct mxp_sdp *bws = has_remote && rs.bw ? &rs : has_local ? &ls : NULL;
	if (bws)
		lp.bw_given = bws->bw, lp.bw_as = bws->bw_as, lp.bw_rs = bws->bw_rs, lp.bw_rr = bws->bw_rr;
	lp.mode = mv ? mv->mode : MXP_SM_SENDRECV;
	if (st->mode != MXP_MP_MODE_UNSET && mode_from_mp(st->mode, &lp.mode) != 0)
		return mrfp_cmd_error(m, rc, MXP_MP_E_MODE, "stream mode Loopback is not supported");
	snprintf(lp.label, sizeof(lp.label), "%.*s", (int)(pkg.keygroup.len < 60 ? pkg.keygroup.len : 60),
		 pkg.keygroup.p ? pkg.keygroup.p : "");
	if (mv && !(pkg.present & MXP_MP_PKG_KEYGROUP))
		snprintf(lp.label, sizeof(lp.label), "%s", mv->label);
	const char *gen = NULL;
	if (!plain) {
		unsigned int code = has_local ? sdp_keys(&ls, &lp.out, true, t, sizeof(t)) : 0;
		/* of Remote's alternatives, the one of the moved leg's suite, else of Local's */
		enum mxp_srtp_suite want = mv ? mv->in_suite :
				      lp.out.nkeys ? lp.out.key[0].suite : MXP_SRTP_SUITE_INVALID;
		if (code == 0 && has_remote)
			code = sdp_crypto_choose(&rs, want, t, sizeof(t));
		if (code == 0 && has_remote)
			code = sdp_keys(&rs, &lp.in, false, t, sizeof(t));
		if (code == 0 && lp.in.nkeys == 0) {
			snprintf(t, sizeof(t), "%s: the participant's key (Remote a=crypto) is missing",
				 has_remote ? "Remote SDP has no a=crypto" : "no Remote descriptor");
			code = MXP_MP_E_MISSING_DESC;
		}
		if (code == 0 && mv)
			code = move_keys_check(&lp, mv, t, sizeof(t));
		if (code == 0 && lp.out.nkeys == 0) {
			if (!m->cfg.generate_keys) {
				snprintf(t, sizeof(t), "Local has no a=crypto and [mp] generate_keys is off");
				code = MXP_MP_E_MISSING_DESC;
			} else if (gen_local_key(m, &lp.in, has_remote ? &rs : NULL, &lp.out, &gen) != 0) {
				snprintf(t, sizeof(t), "could not generate the Local key");
				code = MXP_MP_E_INTERNAL;
			}
		}
		if (code) {
			explicit_bzero(&lp, sizeof(lp));
			return mrfp_cmd_error(m, rc, code, "%s", t);
		}
	}
	/* Context $: the first Add creates the conference. */
	if (as->ctx == 0) {
		struct mxp_conf_params cp = { .mode = conf_mode(pkg.mode) };
		if (pkg.present & MXP_MP_PKG_TOPN)
			cp.topn = pkg.topn;
		char err[200] = "";
		uint32_t id;
		int r = mxp_conf_create(m->conf, &cp, &id, err, sizeof(err));
		if (r) {
			explicit_bzero(&lp, sizeof(lp));
			return mrfp_cmd_error(m, rc, r == -ENOSPC ? MXP_MP_E_NO_CTX_IDS : conf_code(r), "%s",
					      err);
		}
		as->ctx = id;
		as->created = true;
	}
	struct mxp_leg_info li;
	char err[200] = "";
	int r;
	if (mv) {
		r = move_leg(m, mv, as->ctx, &lp, remote_from_leg, &li, err, sizeof(err));
		explicit_bzero(&lp, sizeof(lp));
		if (r)
			return mrfp_cmd_error(m, rc, r == -EIO ? MXP_MP_E_INTERNAL : conf_code(r),
					      "%s", err);
		return move_done(m, c, as, rc, mv, &pkg, evmask, media, has_local ? &ls : NULL,
				 has_remote ? &rs : NULL, &li);
	}
	r = mxp_conf_leg_add(m->conf, as->ctx, &lp, &li, err, sizeof(err));
	explicit_bzero(&lp, sizeof(lp));
	if (r)
		return mrfp_cmd_error(m, rc, conf_code(r), "%s", err);
	if (pkg.mute == 1) {
		struct mxp_leg_mod md = { .set_mute = true, .mute = true };
		if ((r = mxp_conf_leg_modify(m->conf, li.id, &md, err, sizeof(err))) != 0) {
			mxp_conf_leg_remove(m->conf, li.id, NULL, NULL, 0);
			return mrfp_cmd_error(m, rc, conf_code(r), "mute: %s", err);
		}
	}
	struct mxp_mrfp_leg *l = mrfp_leg_new(m, li.id, as->ctx);
	if (l == NULL) {
		mxp_conf_leg_remove(m->conf, li.id, NULL, NULL, 0);
		return mrfp_cmd_error(m, rc, MXP_MP_E_RESOURCES, "out of memory for the leg's record");
	}
	l->peer = m->peer;
	/* the context's recording: last, undone with the leg if refused */
	bool rec_started;
	unsigned int code = record_start(m, as->ctx, &pkg, &rec_started, t, sizeof(t));
	if (code == 0)
		code = record_off(m, as->ctx, &pkg, t, sizeof(t));
	if (code) {
		mxp_mrfp_leg_forget(m, li.id);
		mxp_conf_leg_remove(m->conf, li.id, NULL, NULL, 0);
		return mrfp_cmd_error(m, rc, code, "%s", t);
	}
	events_record(m, l, c, evmask, &pkg);
	media_record(l, media);
	reply_term(m, rc, li.id);
	rc->has_media = true;
	rc->nstreams = 1;
	rc->streams[0].id = st->id;
	rc->streams[0].has_local = true;
	rc->streams[0].local = mxp_mp_str_c(add_reply_sdp(m, has_local ? &ls : NULL,
							  has_remote ? &rs : NULL, &li, gen));
}

/* Move = leg/N into the action's context (or a new one, $). */
static void
do_move(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c,
	const char *base, struct action_state *as, struct mxp_mp_cmd *rc)
{
	uint32_t leg;
	struct mxp_leg_info li;
	if (c->term_kind != MXP_MP_TERM_NAME)
		return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL, "Move of one named termination");
	if (!term_leg(c->term, &leg) || mxp_conf_leg_get(m->conf, leg, &li) != 0)
		return mrfp_cmd_error(m, rc, MXP_MP_E_UNKNOWN_TERM, "Unknown TerminationID %.*s",
				      (int)(c->term.len > 64 ? 64 : c->term.len), c->term.p);
	if (li.conf_id == as->ctx)
		return mrfp_cmd_error(m, rc, MXP_MP_E_TERM_IN_CTX, "leg/%u is already in context %u",
				      leg, li.conf_id);
	do_add(m, msg, c, base, as, rc, &li);
	explicit_bzero(&li, sizeof(li));
}

/* ---- which terminations a command names ------------------------------------------------ */

/* The legs a command names (T or *) in context ctx; returns how many, or -1 (error set). */
static int
cmd_legs(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, uint32_t ctx, uint32_t *legs, uint32_t max,
	 struct mxp_mp_cmd *rc)
{
	if (c->term_kind == MXP_MP_TERM_ALL) {
		int n = mxp_conf_legs(m->conf, ctx, legs, max);
		if (n <= 0) {
			mrfp_cmd_error(m, rc, MXP_MP_E_NO_TERM_MATCH, "context %u has no terminations", ctx);
			return -1;
		}
		if (n > (int)max) {
			mrfp_cmd_error(m, rc, MXP_MP_E_RESOURCES, "more than %u terminations for a wildcard",
				       max);
			return -1;
		}
		return n;
	}
	uint32_t leg;
	struct mxp_leg_info li;
	if (c->term_kind != MXP_MP_TERM_NAME || !term_leg(c->term, &leg) ||
	    mxp_conf_leg_get(m->conf, leg, &li) != 0) {
		mrfp_cmd_error(m, rc, MXP_MP_E_UNKNOWN_TERM, "Unknown TerminationID %.*s",
			       (int)(c->term.len > 64 ? 64 : c->term.len), c->term.p);
		return -1;
	}
	if (li.conf_id != ctx) {
		mrfp_cmd_error(m, rc, MXP_MP_E_TERM_NOT_IN_CTX, "%.*s is in context %u, not %u",
			       (int)c->term.len, c->term.p, li.conf_id, ctx);
		return -1;
	}
	legs[0] = leg;
	return 1;
}

/* ---- Modify ---------------------------------------------------------------------------- */

/* The key changes of one direction of a leg. */
struct key_plan {
	uint8_t nadd, nrem;
	struct mxp_conf_key add[MXP_SRTP_MAX_KEYS];
	uint8_t rem_mki[MXP_SRTP_MAX_KEYS][MXP_SRTP_MAX_MKI_LEN];
	uint8_t rem_len[MXP_SRTP_MAX_KEYS];
	bool activate;            /* outbound: switch to want[0] */
	uint8_t act_mki[MXP_SRTP_MAX_MKI_LEN], act_len;
	uint8_t old_mki[MXP_SRTP_MAX_MKI_LEN], old_len; /* the active key before */
};

/* What one leg's Modify does. */
struct mrfp_leg_plan {
	uint32_t leg;
	struct mxp_leg_info li;   /* before: for rollback */
	struct mxp_leg_mod base;  /* mode, remote, strict, mute */
	bool has_base;
	struct key_plan in, out;
	bool applied;             /* phase 1 done */
};

/*
 * Plan one direction: want is the complete key set the descriptor lists (want.key[0] the
 * active one), have what the leg holds. Returns 0 or an H.248 code with text.
 */
static unsigned int
plan_keys(const struct mxp_conf_keys *want, const struct mxp_leg_key_info *have, uint8_t nhave,
	  int active, enum mxp_srtp_suite suite, const char *dir, struct key_plan *pl, char *t,
	  size_t tl)
{
	char mb[24];
	memset(pl, 0, sizeof(*pl));
	if (want->nkeys == 0)
		return 0; /* no a=crypto: keys unchanged */
	for (uint8_t i = 0; i < want->nkeys; i++) {
		const struct mxp_conf_key *k = &want->key[i];
		const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(k->suite);
		if (k->suite != suite) {
			snprintf(t, tl, "%s key %u: suite %s differs from the leg's %s", dir, i + 1,
				 si ? si->name : "?", mxp_srtp_suite_info(suite) ?
				 mxp_srtp_suite_info(suite)->name : "?");
			return MXP_MP_E_BAD_VALUE;
		}
		if (nhave && k->mki_len != have[0].mki_len) {
			snprintf(t, tl, "%s key %u: MKI length %u, the leg's keys have %u (RFC 4568 6.1)",
				 dir, i + 1, k->mki_len, have[0].mki_len);
			return MXP_MP_E_BAD_VALUE;
		}
		char fp[9];
		mxp_srtp_key_fingerprint(k->key, si->key_len, k->salt, si->salt_len, fp);
		int found = -1;
		for (uint8_t h = 0; h < nhave; h++)
			if (same_mki(have[h].mki, have[h].mki_len, k->mki, k->mki_len))
				found = h;
		if (found >= 0 && strcmp(have[found].fp, fp) != 0) {
			if (k->mki_len == 0)
				snprintf(t, tl, "%s: a new key needs an MKI beside the old one (RFC 4568 "
					 "MKI); the leg's key has none", dir);
			else
				snprintf(t, tl, "%s: MKI %s already holds another key: a new key needs "
					 "a new MKI", dir, mki_str(k->mki, k->mki_len, mb, sizeof(mb)));
			return MXP_MP_E_BAD_VALUE;
		}
		if (found < 0)
			pl->add[pl->nadd++] = *k;
	}
	for (uint8_t h = 0; h < nhave; h++) {
		bool listed = false;
		for (uint8_t i = 0; i < want->nkeys; i++)
			listed |= same_mki(have[h].mki, have[h].mki_len, want->key[i].mki,
					   want->key[i].mki_len);
		if (!listed) {
			memcpy(pl->rem_mki[pl->nrem], have[h].mki, MXP_SRTP_MAX_MKI_LEN);
			pl->rem_len[pl->nrem++] = have[h].mki_len;
		}
	}
	if (active >= 0 && active < nhave) {
		memcpy(pl->old_mki, have[active].mki, MXP_SRTP_MAX_MKI_LEN);
		pl->old_len = have[active].mki_len;
		if (!same_mki(pl->old_mki, pl->old_len, want->key[0].mki, want->key[0].mki_len)) {
			pl->activate = true;
			memcpy(pl->act_mki, want->key[0].mki, MXP_SRTP_MAX_MKI_LEN);
			pl->act_len = want->key[0].mki_len;
		}
	}
	/* New keys go in before old ones leave: all of them must fit at once. */
	if (nhave + pl->nadd > MXP_SRTP_MAX_KEYS) {
		snprintf(t, tl, "%s: %u keys installed and %u new ones exceed %d at once: leave out "
			 "old MKIs in an earlier Modify", dir, nhave, pl->nadd, MXP_SRTP_MAX_KEYS);
		return MXP_MP_E_RESOURCES;
	}
	return 0;
}

/* Plan the Modify of one leg; 0 or an H.248 code with text. */
static unsigned int
plan_leg(struct mxp_mrfp *m, uint32_t leg, const struct mxp_mp_pkg *pkg,
	 const struct mxp_mp_stream *st, const struct mxp_sdp *ls, const struct mxp_sdp *rs,
	 const struct mxp_conf_keys *lk, const struct mxp_conf_keys *rk, enum mxp_conf_mode cmode,
	 struct mrfp_leg_plan *pl, char *t, size_t tl)
{
	memset(pl, 0, sizeof(*pl));
	pl->leg = leg;
	if (mxp_conf_leg_get(m->conf, leg, &pl->li) != 0) {
		snprintf(t, tl, "leg/%u is gone", leg);
		return MXP_MP_E_UNKNOWN_TERM;
	}
	const struct mxp_leg_info *li = &pl->li;
	struct mxp_leg_mod *md = &pl->base;
	if (st && st->mode != MXP_MP_MODE_UNSET) {
		if (mode_from_mp(st->mode, &md->mode) != 0) {
			snprintf(t, tl, "stream mode Loopback is not supported");
			return MXP_MP_E_MODE;
		}
		md->set_mode = md->mode != li->mode;
	}
	if (pkg->strict >= 0 && (pkg->strict == 1) != li->strict) {
		md->set_strict = true;
		md->strict = pkg->strict == 1;
	}
	if (pkg->asymmetric >= 0 && (pkg->asymmetric == 1) != li->asymmetric) {
		md->set_asymmetric = true;
		md->asymmetric = pkg->asymmetric == 1;
	}
	if (pkg->mute >= 0 && (pkg->mute == 1) != li->muted) {
		md->set_mute = true;
		md->mute = pkg->mute == 1;
	}
	if (pkg->cascade >= 0 && (pkg->cascade == 1) != li->cascade) {
		md->set_cascade = true;
		md->cascade = pkg->cascade == 1;
	}
	if (pkg->plain_rtp >= 0 && (pkg->plain_rtp == 1) != li->plain) {
		snprintf(t, tl, "mxp/plainrtp cannot change on a leg (Subtract and Add it)");
		return MXP_MP_E_BAD_VALUE;
	}
	if (ls && ls->has_media && !ls->port_choose && ls->port != li->local_port) {
		snprintf(t, tl, "Local m=: a leg keeps its port %u (give $ or the same)", li->local_port);
		return MXP_MP_E_NOT_IMPL;
	}
	if (rs && rs->has_conn && !rs->conn_choose && rs->has_media && !rs->port_choose) {
		struct mxp_ip ip = sdp_ip(rs);
		if (ip.af != li->local.af) {
			snprintf(t, tl, "Remote c=: not of the leg's address family");
			return MXP_MP_E_BAD_VALUE;
		}
		if (!li->remote_known || !mxp_ip_equal(&ip, &li->remote) || rs->port != li->remote_port) {
			md->set_remote = true;
			md->remote = ip;
			md->remote_port = rs->port;
			md->remote_rtcp_port = 0; /* lib/conf: the RTP port with rtcp-mux, else + 1 */
		}
	}
	pl->has_base = md->set_mode || md->set_strict || md->set_asymmetric || md->set_mute ||
		       md->set_cascade || md->set_remote;
	if ((lk->nkeys || rk->nkeys) && li->plain) {
		snprintf(t, tl, "a plain RTP leg has no keys");
		return MXP_MP_E_BAD_VALUE;
	}
	unsigned int code = plan_keys(rk, li->in_keys, li->n_in_keys, -1, li->in_suite,
				      "Remote", &pl->in, t, tl);
	if (code == 0)
		code = plan_keys(lk, li->out_keys, li->n_out_keys, li->out_active, li->out_suite,
				 "Local", &pl->out, t, tl);
	if (code)
		return code;
	bool rekey = pl->in.nadd || pl->in.nrem || pl->out.nadd || pl->out.nrem || pl->out.activate;
	if (rekey && cmode == MXP_CONF_FORWARD) {
		snprintf(t, tl, "forward mode: the conference key cannot change on a running leg");
		return MXP_MP_E_NOT_IMPL;
	}
	return 0;
}

static int
leg_mod(struct mxp_mrfp *m, uint32_t leg, const struct mxp_leg_mod *md, char *err, size_t el)
{
	return mxp_conf_leg_modify(m->conf, leg, md, err, el);
}

/* Undo phase 1 of a leg: new keys out, the old key active again, the base restored. */
static void
rollback_leg(struct mxp_mrfp *m, struct mrfp_leg_plan *pl)
{
	const struct mxp_leg_info *li = &pl->li;
	struct mxp_leg_mod md;
	if (pl->out.activate) {
		memset(&md, 0, sizeof(md));
		md.activate_out = true;
		memcpy(md.activate_mki, pl->out.old_mki, MXP_SRTP_MAX_MKI_LEN);
		md.activate_mki_len = pl->out.old_len;
		leg_mod(m, pl->leg, &md, NULL, 0);
	}
	for (uint8_t i = 0; i < pl->in.nadd; i++) {
		memset(&md, 0, sizeof(md));
		md.remove_in = true;
		memcpy(md.remove_mki, pl->in.add[i].mki, MXP_SRTP_MAX_MKI_LEN);
		md.remove_mki_len = pl->in.add[i].mki_len;
		leg_mod(m, pl->leg, &md, NULL, 0);
	}
	for (uint8_t i = 0; i < pl->out.nadd; i++) {
		memset(&md, 0, sizeof(md));
		md.remove_out = true;
		memcpy(md.remove_mki, pl->out.add[i].mki, MXP_SRTP_MAX_MKI_LEN);
		md.remove_mki_len = pl->out.add[i].mki_len;
		leg_mod(m, pl->leg, &md, NULL, 0);
	}
	if (pl->has_base) {
		memset(&md, 0, sizeof(md));
		md.set_mode = pl->base.set_mode;
		md.mode = li->mode;
		md.set_strict = pl->base.set_strict;
		md.strict = li->strict;
		md.set_asymmetric = pl->base.set_asymmetric;
		md.asymmetric = li->asymmetric;
		md.set_mute = pl->base.set_mute;
		md.mute = li->muted;
		md.set_cascade = pl->base.set_cascade;
		md.cascade = li->cascade;
		/* the address only if the leg still has the command's: one the participant's
		 * packets latched to since then stays */
		struct mxp_leg_info now;
		bool ours = pl->base.set_remote && mxp_conf_leg_get(m->conf, pl->leg, &now) == 0 &&
			    now.remote_known && mxp_ip_equal(&now.remote, &pl->base.remote) &&
			    now.remote_port == pl->base.remote_port;
		if (ours && li->remote_known) {
			md.set_remote = true;
			md.remote = li->remote;
			md.remote_port = li->remote_port;
			md.remote_rtcp_port = li->remote_rtcp_port;
			md.remote_guessed = li->remote_guessed;
		} else if (ours) {
			md.forget_remote = true; /* it had none: learnt again */
		}
		leg_mod(m, pl->leg, &md, NULL, 0);
	}
}

/* Phase 1: base changes, new keys, the switch to the new Local key. Reversible. */
static int
apply_phase1(struct mxp_mrfp *m, struct mrfp_leg_plan *pl, char *err, size_t el)
{
	uint8_t steps = pl->in.nadd > pl->out.nadd ? pl->in.nadd : pl->out.nadd;
	if (steps == 0 && (pl->has_base || pl->out.activate))
		steps = 1;
	for (uint8_t i = 0; i < steps; i++) {
		struct mxp_leg_mod md;
		memset(&md, 0, sizeof(md));
		if (i == 0 && pl->has_base)
			md = pl->base;
		if (i < pl->in.nadd) {
			md.add_in_key = true;
			md.in_key = pl->in.add[i];
		}
		if (i < pl->out.nadd) {
			md.add_out_key = true;
			md.out_key = pl->out.add[i];
		}
		if (i + 1 == steps && pl->out.activate) {
			md.activate_out = true;
			memcpy(md.activate_mki, pl->out.act_mki, MXP_SRTP_MAX_MKI_LEN);
			md.activate_mki_len = pl->out.act_len;
		}
		int r = leg_mod(m, pl->leg, &md, err, el);
		explicit_bzero(&md, sizeof(md));
		if (r) {
			/* steps before this one are undone by rollback_leg() of what is recorded */
			pl->in.nadd = i < pl->in.nadd ? i : pl->in.nadd;
			pl->out.nadd = i < pl->out.nadd ? i : pl->out.nadd;
			pl->out.activate = false;
			pl->has_base = pl->has_base && i > 0;
			return r;
		}
	}
	pl->applied = true;
	return 0;
}

/* Phase 2: keys the descriptors no longer list leave (in and out share one MKI per call). */
static int
apply_phase2(struct mxp_mrfp *m, struct mrfp_leg_plan *pl, char *err, size_t el)
{
	bool done_out[MXP_SRTP_MAX_KEYS] = { false };
	for (uint8_t i = 0; i < pl->in.nrem; i++) {
		struct mxp_leg_mod md = { .remove_in = true };
		memcpy(md.remove_mki, pl->in.rem_mki[i], MXP_SRTP_MAX_MKI_LEN);
		md.remove_mki_len = pl->in.rem_len[i];
		for (uint8_t o = 0; o < pl->out.nrem; o++)
			if (!done_out[o] && same_mki(pl->out.rem_mki[o], pl->out.rem_len[o],
						     md.remove_mki, md.remove_mki_len)) {
				md.remove_out = true;
				done_out[o] = true;
				break;
			}
		int r = leg_mod(m, pl->leg, &md, err, el);
		if (r)
			return r;
	}
	for (uint8_t o = 0; o < pl->out.nrem; o++) {
		if (done_out[o])
			continue;
		struct mxp_leg_mod md = { .remove_out = true };
		memcpy(md.remove_mki, pl->out.rem_mki[o], MXP_SRTP_MAX_MKI_LEN);
		md.remove_mki_len = pl->out.rem_len[o];
		int r = leg_mod(m, pl->leg, &md, err, el);
		if (r)
			return r;
	}
	return 0;
}

static void
do_modify(struct mxp_mrfp *m, const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c,
	  const char *base, uint32_t ctx, struct mxp_mp_cmd *rc)
{
	uint32_t *legs = m->wild;
	struct mrfp_leg_plan *plans = m->plans;
	struct mxp_mp_pkg pkg;
	struct mxp_mp_error e;
	char t[MXP_MP_TEXT_MAX] = "";
	uint8_t evmask;

	int n = cmd_legs(m, c, ctx, legs, MRFP_WILD_MAX, rc);
	if (n < 0)
		return;
	if (mxp_mp_pkg_get(msg, c, base, &pkg, &e) != 0)
		return mrfp_cmd_error(m, rc, e.code, "%s", e.text);
	if (events_check(m, msg, c, &evmask, rc) != 0)
		return;
	struct mxp_conf_info ci;
	if (mxp_conf_get(m->conf, ctx, &ci) != 0)
		return mrfp_cmd_error(m, rc, MXP_MP_E_UNKNOWN_CTX, "context %u ended", ctx);
	if ((pkg.present & MXP_MP_PKG_MODE) && conf_mode(pkg.mode) != ci.mode)
		return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL,
				      "context %u is a %s conference: the mode of a running "
				      "conference does not change", ctx, mxp_conf_mode_name(ci.mode));
	if ((pkg.present & MXP_MP_PKG_TOPN) && ci.mode != MXP_CONF_SWITCH)
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE, "mxp/topn applies to switch conferences");
	if (pkg.present & MXP_MP_PKG_KEYGROUP)
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
				      "mxp/keygroup is given on Add (the Local key decides the group)");
	if (record_needs_mix(&pkg, ci.mode))
		return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
				      "mxp/record: context %u is a %s conference: only mix conferences "
				      "have a shared mix to record", ctx, mxp_conf_mode_name(ci.mode));
	uint32_t floor_leg = 0;
	bool set_floor = (pkg.present & MXP_MP_PKG_FLOOR) != 0;
	if (set_floor && !mxp_mp_str_eq(pkg.floor, "open")) {
		struct mxp_leg_info fl;
		if (!term_leg(pkg.floor, &floor_leg) || mxp_conf_leg_get(m->conf, floor_leg, &fl) ||
		    fl.conf_id != ctx)
			return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
					      "mxp/floor: %.*s is not a termination of context %u",
					      (int)pkg.floor.len, pkg.floor.p, ctx);
	}
	const struct mxp_mp_stream *st = stream1(c);
	if (c->nstreams > 1)
		return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL, "one audio stream per termination");
	struct mxp_sdp ls, rs;
	const struct mxp_sdp *lsp = NULL, *rsp = NULL;
	if (st && st->has_local) {
		if (mxp_sdp_parse(st->local.p, st->local.len, &ls, &e) != 0)
			return mrfp_cmd_error(m, rc, e.code, "Local: %s", e.text);
		lsp = &ls;
	}
	if (st && st->has_remote) {
		if (mxp_sdp_parse(st->remote.p, st->remote.len, &rs, &e) != 0)
			return mrfp_cmd_error(m, rc, e.code, "Remote: %s", e.text);
		if (c->term_kind == MXP_MP_TERM_ALL)
			return mrfp_cmd_error(m, rc, MXP_MP_E_BAD_VALUE,
					      "Remote describes one participant: not with Modify = *");
		rsp = &rs;
	}
	if (ci.mode == MXP_CONF_MIX) /* first: see do_add() */
		sdp_mix_formats(lsp ? &ls : NULL, rsp ? &rs : NULL);
	sdp_one_set_per_codec(lsp ? &ls : NULL, rsp ? &rs : NULL);
	struct mxp_conf_keys lk = { 0 }, rk = { 0 };
	unsigned int code = lsp ? sdp_keys(lsp, &lk, true, t, sizeof(t)) : 0;
	if (code == 0 && rsp) {
		/* of Remote's alternatives, the one of the leg's suite (which a Modify keeps) */
		struct mxp_leg_info wl;
		enum mxp_srtp_suite want = mxp_conf_leg_get(m->conf, legs[0], &wl) == 0 ?
						   wl.in_suite :
						   MXP_SRTP_SUITE_INVALID;
		code = sdp_crypto_choose(&rs, want, t, sizeof(t));
	}
	if (code == 0 && rsp)
		code = sdp_keys(rsp, &rk, false, t, sizeof(t));
	/* Check every leg before changing any. */
	for (int i = 0; i < n && code == 0; i++) {
		code = plan_leg(m, legs[i], &pkg, st, lsp, rsp, &lk, &rk, ci.mode, &plans[i], t, sizeof(t));
		if (code && n > 1) {
			char t2[MXP_MP_TEXT_MAX];
			snprintf(t2, sizeof(t2), "leg/%u: %s", legs[i], t);
			memcpy(t, t2, sizeof(t));
		}
	}
	explicit_bzero(&lk, sizeof(lk));
	explicit_bzero(&rk, sizeof(rk));
	/* A re-INVITE: the payload types of Remote's m= line are the participant's codecs now
	 * (a Modify without Remote, or whose Remote has no m= line, keeps them). Remote names
	 * one termination. */
	struct mxp_leg_mod cm;
	struct mxp_leg_params cp; /* cm points to it */
	bool codecs = false;
	if (code == 0 && rsp && rsp->npts && n == 1) {
		memset(&cp, 0, sizeof(cp));
		cp.n_pt = rsp->npts;
		memcpy(cp.pt, rsp->pts, rsp->npts);
		cp.event_pt = sdp_event_pt(rsp);
		code = sdp_codecs(rsp, &cp, t, sizeof(t));
		cp.rtp_clock = mxp_sdp_media_clock(rsp);
		if (code == 0 && mxp_conf_codecs_sig(&cp) != plans[0].li.codecs_sig) {
			memset(&cm, 0, sizeof(cm));
			mxp_leg_mod_set_codecs(&cm, &cp);
			codecs = true;
		}
	}
	/* the recording first: a refused name changes nothing; undone if a leg fails */
	bool rec_started = false;
	if (code == 0)
		code = record_start(m, ctx, &pkg, &rec_started, t, sizeof(t));
	if (code) {
		for (int i = 0; i < n; i++)
			explicit_bzero(&plans[i], sizeof(plans[i]));
		return mrfp_cmd_error(m, rc, code, "%s", t);
	}
	/* Phase 1 on every leg (undone on all of them if one fails), then phase 2. */
	char err[200] = "";
	int r = 0, failed = -1;
	for (int i = 0; i < n && r == 0; i++) {
		mrfp_pending_check(m);
		r = apply_phase1(m, &plans[i], err, sizeof(err));
		if (r)
			failed = i;
	}
	if (r) {
		for (int i = failed; i >= 0; i--)
			rollback_leg(m, &plans[i]);
		for (int i = 0; i < n; i++)
			explicit_bzero(&plans[i], sizeof(plans[i]));
		if (rec_started)
			mxp_conf_record_abort(m->conf, ctx);
		return mrfp_cmd_error(m, rc, conf_code(r), "leg/%u: %s (nothing changed)", legs[failed], err);
	}
	/* the codecs last: refused (the mixer cannot take them), phase 1 is undone */
	if (codecs && (r = leg_mod(m, legs[0], &cm, err, sizeof(err))) != 0) {
		rollback_leg(m, &plans[0]);
		for (int i = 0; i < n; i++)
			explicit_bzero(&plans[i], sizeof(plans[i]));
		if (rec_started)
			mxp_conf_record_abort(m->conf, ctx);
		return mrfp_cmd_error(m, rc, conf_code(r), "leg/%u: Remote's codecs: %s (nothing changed)",
				      legs[0], err);
	}
	for (int i = 0; i < n && r == 0; i++) {
		r = apply_phase2(m, &plans[i], err, sizeof(err));
		if (r)
			failed = i;
	}
	for (int i = 0; i < n; i++)
		explicit_bzero(&plans[i], sizeof(plans[i]));
	if (r)
		return mrfp_cmd_error(m, rc, conf_code(r),
				      "leg/%u: %s: new keys are in place, old ones not all removed", legs[failed],
				      err);
	if (pkg.present & MXP_MP_PKG_TOPN) {
		r = mxp_conf_set_topn(m->conf, ctx, pkg.topn, err, sizeof(err));
		if (r)
			return mrfp_cmd_error(m, rc, conf_code(r), "mxp/topn: %s", err);
	}
	if (set_floor) {
		r = mxp_conf_set_floor(m->conf, ctx, floor_leg, err, sizeof(err));
		if (r)
			return mrfp_cmd_error(m, rc, conf_code(r), "mxp/floor: %s", err);
	}
	if ((code = record_off(m, ctx, &pkg, t, sizeof(t))) != 0)
		return mrfp_cmd_error(m, rc, code, "%s", t);
	for (int i = 0; i < n; i++) {
		struct mxp_mrfp_leg *l = mrfp_leg_get(m, legs[i]);
		if (l == NULL)
			l = mrfp_leg_new(m, legs[i], ctx);
		if (l == NULL)
			continue;
		events_record(m, l, c, evmask, &pkg);
		media_record(l, rsp && rsp->npts ? rsp : lsp);
	}
	/* new codecs: the reply's Local says what the MRFP receives and sends now */
	struct mxp_leg_info li;
	if (codecs && st && mxp_conf_leg_get(m->conf, legs[0], &li) == 0) {
		rc->has_media = true;
		rc->nstreams = 1;
		rc->streams[0].id = st->id;
		rc->streams[0].has_local = true;
		rc->streams[0].local = mxp_mp_str_c(add_reply_sdp(m, lsp, rsp, &li, NULL));
	}
}

/* ---- Subtract -------------------------------------------------------------------------- */

/*
 * Whether a reply per leg, each with its statistics (add_stats(): 15 properties and one per
 * drop reason that happened, with one to spare), fits in the reply message besides what it
 * holds (the first command's reply is there already).
 */
static bool
subtract_replies_fit(struct mxp_mrfp *m, const uint32_t *legs, int n, bool stats)
{
	if (m->rep->ncmds - 1u + (unsigned int)n > MXP_MP_CMDS_MAX)
		return false;
	if (!stats)
		return true;
	unsigned int props = m->rep->nprops;
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info li;
		props += 16;
		if (mxp_conf_leg_get(m->conf, legs[i], &li) == 0)
			for (int k = 0; k < MXP_LEG_DROP_COUNT; k++)
				props += li.st.drops[k] != 0;
		if (props > MXP_MP_PROPS_MAX)
			return false;
	}
	return true;
}

static void
do_subtract(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, uint32_t ctx, struct mxp_mp_cmd *rc)
{
	uint32_t *legs = m->wild;
	int n = cmd_legs(m, c, ctx, legs, MRFP_WILD_MAX, rc);
	if (n < 0)
		return;
	/* Statistics unless the Audit descriptor asks for nothing (H.248.1 7.2.3). */
	bool stats = !c->has_audit || (c->audit & MXP_MP_AUDIT_STATS);
	/*
	 * Every termination named goes. Each gets its own reply, with its statistics, when
	 * they all fit in the reply (64 commands, 128 properties: about 8 legs' statistics);
	 * a W- command, or more terminations than that, gets one wildcard reply for `*`
	 * without statistics (H.248.1 6.1: a wildcarded response), never a cut-off list.
	 */
	bool one = c->term_kind == MXP_MP_TERM_ALL &&
		   (c->wildcard_reply || !subtract_replies_fit(m, legs, n, stats));
	unsigned int failed = 0;
	int first_err = 0;
	char first_text[200] = "";
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info last;
		char err[200] = "";
		if (one) {
			mrfp_pending_check(m);
			int r = mxp_conf_leg_remove(m->conf, legs[i], NULL, err, sizeof(err));
			if (r == 0) {
				mxp_mrfp_leg_forget(m, legs[i]);
			} else if (failed++ == 0) {
				first_err = r;
				snprintf(first_text, sizeof(first_text), "leg/%u: %s", legs[i], err);
			}
			continue;
		}
		if (i > 0) {
			mrfp_pending_check(m);
			rc = mxp_mp_msg_add_cmd(m->rep, MXP_MP_CMD_SUBTRACT, NULL);
			if (rc == NULL)
				abort(); /* subtract_replies_fit() counted them */
		}
		reply_term(m, rc, legs[i]);
		struct mxp_leg_quality q; /* the estimate just before the leg goes */
		bool have_q = stats && mxp_conf_leg_quality(m->conf, legs[i], &q) == 0;
		int r = mxp_conf_leg_remove(m->conf, legs[i], &last, err, sizeof(err));
		if (r) {
			mrfp_cmd_error(m, rc, conf_code(r), "%s", err);
			continue;
		}
		if (stats) {
			rc->has_media = true;
			rc->nstreams = 1;
			rc->streams[0].id = 1;
			add_stats(m, &rc->streams[0], &last, have_q ? &q : NULL);
		}
		mxp_mrfp_leg_forget(m, legs[i]);
	}
	if (one) {
		rc->term_kind = MXP_MP_TERM_ALL;
		rc->term = mxp_mp_str_c("*");
		if (failed)
			mrfp_cmd_error(m, rc, conf_code(first_err), "%u of %d terminations not "
				       "subtracted (the others are): %s", failed, n, first_text);
	}
	/* H.248: a context without terminations ceases to exist. */
	if (mxp_conf_legs(m->conf, ctx, NULL, 0) == 0)
		mxp_conf_destroy(m->conf, ctx, NULL, 0);
}

/* ---- AuditValue ------------------------------------------------------------------------ */

static void
do_audit(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, uint32_t ctx, struct mxp_mp_cmd *rc)
{
	uint32_t *legs = m->wild; /* at most 64: their statistics fill a reply */
	uint32_t want = c->has_audit ? c->audit : MXP_MP_AUDIT_MEDIA;
	if (c->term_kind == MXP_MP_TERM_ROOT) {
		rc->term_kind = MXP_MP_TERM_ROOT;
		if (want & MXP_MP_AUDIT_STATS)
			mrfp_root_load(m, rc); /* mrfp_load.c */
		if (want & MXP_MP_AUDIT_MEDIA)
			mrfp_root_props(m, rc); /* mrfp_load.c: root/ properties */
		if (want & MXP_MP_AUDIT_EVENTS)
			mrfp_ocp_audit_events(m, rc); /* mrfp_overload.c */
		if (want & MXP_MP_AUDIT_PACKAGES)
			mrfp_packages_reply(m, rc);
		if (want & MXP_MP_AUDIT_DIGITMAP)
			mrfp_dm_audit(m, rc); /* the MRFP's named digit maps */
		return;
	}
	int n = cmd_legs(m, c, ctx, legs, 64, rc);
	if (n < 0)
		return;
	if (want & ~(MXP_MP_AUDIT_MEDIA | MXP_MP_AUDIT_STATS | MXP_MP_AUDIT_EVENTS |
		     MXP_MP_AUDIT_PACKAGES | MXP_MP_AUDIT_SIGNALS | MXP_MP_AUDIT_DIGITMAP))
		return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL,
				      "audit of Media, Statistics, Events, Signals, Packages and "
				      "DigitMap only (no EventBuffer, ObservedEvents)");
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info li;
		if (i > 0 && (rc = mxp_mp_msg_add_cmd(m->rep, MXP_MP_CMD_AUDIT_VALUE, NULL)) == NULL)
			break;
		reply_term(m, rc, legs[i]);
		if (mxp_conf_leg_get(m->conf, legs[i], &li) != 0)
			continue;
		const struct mxp_mrfp_leg *l = mxp_mrfp_leg_find(m, legs[i]);
		if (want & (MXP_MP_AUDIT_MEDIA | MXP_MP_AUDIT_STATS)) {
			rc->has_media = true;
			rc->nstreams = 1;
			rc->streams[0].id = 1;
		}
		struct mxp_mp_stream *st = &rc->streams[0];
		if (want & MXP_MP_AUDIT_MEDIA) {
			st->mode = mode_to_mp(li.mode);
			st->has_local = st->has_remote = true;
			st->local = mxp_mp_str_c(leg_sdp(m, &li, l, true));
			st->remote = mxp_mp_str_c(leg_sdp(m, &li, l, false));
			/* the leg's package properties, as a MRFC would set them */
			mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/strict", '=',
					    li.strict ? "on" : "off");
			mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/asymmetric", '=',
					    li.asymmetric ? "on" : "off");
			mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/mute", '=',
					    li.muted ? "on" : "off");
			mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/cascade", '=',
					    li.cascade ? "on" : "off");
			/* the context's recording: its file while it records */
			struct mxp_rec_info ri;
			bool rec = mxp_conf_record_get(m->conf, li.conf_id, &ri) == 0 &&
				   ri.state == MXP_REC_ACTIVE;
			mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/record", '=',
					    rec ? mrfp_arena_printf(m, "%s", ri.name) : "off");
		}
		if (want & MXP_MP_AUDIT_STATS) {
			struct mxp_leg_quality q;
			bool have_q = mxp_conf_leg_quality(m->conf, li.id, &q) == 0;
			add_stats(m, st, &li, have_q ? &q : NULL);
		}
		if ((want & MXP_MP_AUDIT_EVENTS) && l && l->ev) {
			rc->has_events = true;
			rc->events_rid = l->rid;
			if (l->ev & MXP_MRFP_EV_AUTHFAIL)
				mxp_mp_msg_add_prop(m->rep, &rc->events, MXP_MP_EV_AUTHFAIL, 0, "");
			if (l->ev & MXP_MRFP_EV_KEYLIMIT)
				mxp_mp_msg_add_prop(m->rep, &rc->events, MXP_MP_EV_KEYLIMIT, 0, "");
			if (l->ev & MXP_MRFP_EV_SSRC)
				mxp_mp_msg_add_prop(m->rep, &rc->events, MXP_MP_EV_SSRC, 0, "");
			if (l->ev & MXP_MRFP_EV_DTMF)
				mxp_mp_msg_add_prop(m->rep, &rc->events, MXP_MP_EV_DTMF, 0, "");
			if (l->ev & MXP_MRFP_EV_SC)
				mxp_mp_msg_add_prop(m->rep, &rc->events, "g/sc", 0, "");
			if (l->ev & MXP_MRFP_EV_CAUSE)
				mxp_mp_msg_add_prop(m->rep, &rc->events, "g/cause", 0, "");
			if (l->ev & MXP_MRFP_EV_DD)
				mxp_mp_msg_add_prop(m->rep, &rc->events, "dd/std", 0, "");
			if (l->ev & MXP_MRFP_EV_CE)
				mxp_mp_msg_add_prop(m->rep, &rc->events, "dd/ce", 0, "");
		}
		if (want & MXP_MP_AUDIT_DIGITMAP)
			mrfp_dm_audit(m, rc); /* digit maps are the MRFP's, for every leg */
		if (want & MXP_MP_AUDIT_SIGNALS) {
			/* what plays toward the leg (its own signal, else the conference's) */
			const char *sig = mrfp_signals_playing(m, li.conf_id, legs[i]);
			if (sig == NULL)
				sig = mrfp_signals_playing(m, li.conf_id, 0);
			rc->has_signals = true;
			/* a copy: the table of what plays may move before the reply is encoded */
			rc->signals = mxp_mp_str_c(sig ? mrfp_arena_printf(m, "%s", sig) : "");
		}
		if (want & MXP_MP_AUDIT_PACKAGES)
			mrfp_packages_reply(m, rc);
	}
}

/* ---- AuditCapability ------------------------------------------------------------------- */

/* What a leg reports (Statistics of AuditValue and Subtract; the drop_* ones come on top). */
static const char *const cap_stats[] = { "rtp/ps", "rtp/pr", "nt/os", "nt/or", "nt/dur",
					 "rtp/pl", "rtp/jit", "mxp/authfail",
					 "mxp/replay", "mxp/latched", "mxp/srcmismatch",
					 "mxp/refused", "mxp/mos", "mxp/rfactor" };

/*
 * What a leg can receive, as SDP: a mix conference decodes PCMU, PCMA, G.722, the frame
 * codecs the daemon has (AMR, AMR-WB, Opus, plugins; dynamic types from 96 on) and RFC 4733
 * events; switch and forward pass any payload on, so the leg's own media is what it takes.
 */
static const char *
cap_sdp(struct mxp_mrfp *m, const struct mxp_leg_info *li, const struct mxp_mrfp_leg *l,
	enum mxp_conf_mode mode)
{
	if (mode != MXP_CONF_MIX)
		return leg_sdp(m, li, l, true);
	struct mxp_sdp sd;
	memset(&sd, 0, sizeof(sd));
	sd.has_conn = sd.has_media = true;
	sd.srtp = !li->plain;
	sd.addr = li->local;
	sd.port = li->local_port;
	static const uint8_t fixed[] = { 0, 8, 9 }; /* PCMU, PCMA, G.722 (RFC 3551) */
	for (unsigned int i = 0; i < RTE_DIM(fixed); i++)
		sd.pts[sd.npts++] = fixed[i];
	uint8_t pt = 96;
	for (int c = MXP_MEDIA_CODEC_AMR; c < MXP_MEDIA_CODEC_COUNT && sd.npts < MXP_SDP_PT_MAX - 1;
	     c++) {
		const struct mxp_media_codec_ops *o = mxp_media_codec_ops((enum mxp_media_codec)c);
		if (o == NULL)
			continue;
		sd.rtpmap[sd.nrtpmap++] = (struct mxp_sdp_rtpmap){
			.pt = pt, .clock = o->clock, .encoding = mxp_mp_str_c(o->name),
			.channels = c == MXP_MEDIA_CODEC_OPUS ? 2 : 0 }; /* RFC 7587: opus/48000/2 */
		sd.pts[sd.npts++] = pt++;
	}
	sd.rtpmap[sd.nrtpmap++] = (struct mxp_sdp_rtpmap){
		.pt = pt, .clock = 8000, .encoding = mxp_mp_str_c("telephone-event") };
	sd.pts[sd.npts++] = pt;
	return sdp_text(m, &sd);
}

/* The capabilities of one leg into a reply command. */
static void
cap_leg(struct mxp_mrfp *m, struct mxp_mp_cmd *rc, const struct mxp_leg_info *li, uint32_t want)
{
	struct mxp_conf_info ci;
	if (mxp_conf_get(m->conf, li->conf_id, &ci) != 0)
		ci.mode = MXP_CONF_SWITCH;
	const struct mxp_mrfp_leg *l = mxp_mrfp_leg_find(m, li->id);
	struct mxp_mp_stream *st = &rc->streams[0];
	if (want & (MXP_MP_AUDIT_MEDIA | MXP_MP_AUDIT_STATS)) {
		rc->has_media = true;
		rc->nstreams = 1;
		st->id = 1;
	}
	if (want & MXP_MP_AUDIT_MEDIA) {
		/* every mode; the package's leg properties with the values they take */
		mxp_mp_msg_add_prop(m->rep, &st->lc_props, "Mode", '=',
				    "[SendOnly,ReceiveOnly,SendReceive,Inactive]");
		mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/strict", '=', "[on,off]");
		mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/asymmetric", '=', "[on,off]");
		mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/mute", '=', "[on,off]");
		mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/cascade", '=', "[on,off]");
		mxp_mp_msg_add_prop(m->rep, &st->lc_props, "mxp/afthresh", '=', "[0:4294967295]");
		st->has_local = true;
		st->local = mxp_mp_str_c(cap_sdp(m, li, l, ci.mode));
	}
	if (want & MXP_MP_AUDIT_STATS) {
		st->has_stats = true;
		for (unsigned int i = 0; i < RTE_DIM(cap_stats); i++)
			mxp_mp_msg_add_prop(m->rep, &st->stats, cap_stats[i], 0, "");
	}
	if (want & MXP_MP_AUDIT_EVENTS) {
		rc->has_events = true;
		if (!li->plain) {
			mxp_mp_msg_add_prop(m->rep, &rc->events, MXP_MP_EV_AUTHFAIL, 0, "");
			mxp_mp_msg_add_prop(m->rep, &rc->events, MXP_MP_EV_KEYLIMIT, 0, "");
			mxp_mp_msg_add_prop(m->rep, &rc->events, MXP_MP_EV_SSRC, 0, "");
		}
		/* RFC 4733 digits in every mode (forward SRTP: the digit stays encrypted) */
		mxp_mp_msg_add_prop(m->rep, &rc->events, MXP_MP_EV_DTMF, 0, "");
		mxp_mp_msg_add_prop(m->rep, &rc->events, "dd/std", 0, "");
		mxp_mp_msg_add_prop(m->rep, &rc->events, "g/sc", 0, "");
		mxp_mp_msg_add_prop(m->rep, &rc->events, "g/cause", 0, "");
	}
}

/*
 * AuditCapability (H.248.1 7.2.6): the values a termination's properties, events and
 * statistics can take, not the ones it has (AuditValue). ROOT: what a context can be.
 */
static void
do_audit_cap(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, uint32_t ctx, struct mxp_mp_cmd *rc)
{
	uint32_t want = c->has_audit ? c->audit : MXP_MP_AUDIT_MEDIA;
	if (want & ~(MXP_MP_AUDIT_MEDIA | MXP_MP_AUDIT_STATS | MXP_MP_AUDIT_EVENTS |
		     MXP_MP_AUDIT_PACKAGES))
		return mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL,
				      "capabilities of Media, Statistics, Events and Packages only "
				      "(no Signals, DigitMap, EventBuffer, ObservedEvents)");
	if (want & MXP_MP_AUDIT_PACKAGES)
		mrfp_packages_reply(m, rc);
	if (c->term_kind == MXP_MP_TERM_ROOT) {
		rc->term_kind = MXP_MP_TERM_ROOT;
		if (want & MXP_MP_AUDIT_MEDIA) {
			rc->has_media = true;
			mxp_mp_msg_add_prop(m->rep, &rc->ts_props, "mxp/mode", '=',
					    "[mix,switch,forward]");
			mxp_mp_msg_add_prop(m->rep, &rc->ts_props, "mxp/topn", '=', "[1:16]");
			mxp_mp_msg_add_prop(m->rep, &rc->ts_props, "mxp/record", '=', "[off,NAME.wav]");
			mxp_mp_msg_add_prop(m->rep, &rc->ts_props, "mxp/recmax", '=', "[1:604800]");
			mxp_mp_msg_add_prop(m->rep, &rc->ts_props, "mxp/plainrtp", '=',
					    m->cfg.allow_plaintext ? "[on,off]" : "off");
			mrfp_root_props_cap(m, rc); /* mrfp_load.c: root/ properties */
		}
		if (want & MXP_MP_AUDIT_STATS)
			mrfp_root_load_names(m, rc);
		return;
	}
	uint32_t *legs = m->wild;
	int n;
	struct mxp_leg_info li;
	if (ctx == 0 && c->term_kind == MXP_MP_TERM_NAME) {
		/* the null context: a termination of any context */
		uint32_t leg;
		if (!term_leg(c->term, &leg) || mxp_conf_leg_get(m->conf, leg, &li) != 0)
			return mrfp_cmd_error(m, rc, MXP_MP_E_UNKNOWN_TERM, "Unknown TerminationID %.*s",
					      (int)(c->term.len > 64 ? 64 : c->term.len), c->term.p);
		legs[0] = leg;
		n = 1;
	} else if (ctx == 0) {
		return mrfp_cmd_error(m, rc, MXP_MP_E_NO_TERM_MATCH,
				      "AuditCapability = * needs a context");
	} else if ((n = cmd_legs(m, c, ctx, legs, 64, rc)) < 0) {
		return;
	}
	for (int i = 0; i < n; i++) {
		if (i > 0 && (rc = mxp_mp_msg_add_cmd(m->rep, MXP_MP_CMD_AUDIT_CAP, NULL)) == NULL)
			break;
		reply_term(m, rc, legs[i]);
		if (mxp_conf_leg_get(m->conf, legs[i], &li) == 0)
			cap_leg(m, rc, &li, want);
	}
}

/* ---- transactions ---------------------------------------------------------------------- */

/* Context = * with a named termination: the termination's context. */
static uint32_t
ctx_of(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, struct mxp_mp_cmd *rc)
{
	uint32_t leg;
	struct mxp_leg_info li;
	if (c->term_kind != MXP_MP_TERM_NAME) {
		mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL,
			       "Context = * needs a named termination (not *, $ or ROOT)");
		return 0;
	}
	if (!term_leg(c->term, &leg) || mxp_conf_leg_get(m->conf, leg, &li) != 0) {
		mrfp_cmd_error(m, rc, MXP_MP_E_UNKNOWN_TERM, "Unknown TerminationID %.*s",
			       (int)(c->term.len > 64 ? 64 : c->term.len), c->term.p);
		return 0;
	}
	return li.conf_id;
}

static void
action_error(struct mxp_mrfp *m, struct mxp_mp_action *ra, unsigned int code, const char *text)
{
	ra->has_error = true;
	ra->err_code = (uint16_t)code;
	ra->err_text = mxp_mp_str_c(text);
	mxp_mrfp_count_error(m, code);
}

/*
 * A command's Signals descriptor checked before the command runs: the conference's mode
 * (that of the context, or the mxp/mode an Add creating one gives).
 */
static int
signals_pre(struct mxp_mrfp *m, const struct mxp_mp_cmd *c, const char *base,
	    const struct mxp_mp_action *act, const struct action_state *as, uint32_t ctx,
	    struct mxp_mp_cmd *rc)
{
	enum mxp_conf_mode mode = MXP_CONF_SWITCH;
	struct mxp_conf_info ci;
	uint32_t id = ctx ? ctx : as->ctx;
	if (id && mxp_conf_get(m->conf, id, &ci) == 0) {
		mode = ci.mode;
	} else if (act->ctx == MXP_MP_CTX_CHOOSE) {
		struct mxp_mp_pkg pkg;
		struct mxp_mp_error e;
		if (mxp_mp_pkg_get(m->req, c, base, &pkg, &e) == 0 && (pkg.present & MXP_MP_PKG_MODE))
			mode = conf_mode(pkg.mode);
	}
	if (c->type != MXP_MP_CMD_ADD && c->type != MXP_MP_CMD_MODIFY &&
	    c->type != MXP_MP_CMD_MOVE) {
		mrfp_cmd_error(m, rc, MXP_MP_E_DESC_ILLEGAL, "Signals in Add or Modify");
		return -1;
	}
	return mrfp_signals_check(m, c, base, mode, &m->sigplan, rc);
}

/*
 * Draining (mxp_mrfp_set_draining): an Add or Move that would create a context is refused
 * with 503, so the MRFC places the conference on another MRFP; an action whose context an
 * earlier command created already, or an existing context, goes on. True when refused.
 */
static bool
refuse_new_ctx(struct mxp_mrfp *m, const struct mxp_mp_action *act,
	       const struct action_state *as, struct mxp_mp_cmd *rc)
{
	if (act->ctx != MXP_MP_CTX_CHOOSE || as->ctx != 0)
		return false;
	if (!m->draining)
		return mrfp_ocp_refuse(m, rc); /* overloaded: 510 (mrfp_overload.c) */
	mrfp_cmd_error(m, rc, MXP_MP_E_UNAVAILABLE,
		       "the MRFP is draining: no new contexts (ServiceChange Graceful sent)");
	return true;
}

size_t
mrfp_plan_size(void)
{
	return sizeof(struct mrfp_leg_plan);
}

void
mxp_mrfp_apply(struct mxp_mrfp *m, const struct mxp_mp_msg *msg,
	       const struct mxp_mp_trans *tr, const char *base, struct mxp_mp_msg *reply,
	       const struct mxp_mrfp_peer *peer)
{
	mxp_mrfp_reply_wipe(m);
	m->rep = reply;
	m->req = msg;
	m->peer = peer ? *peer : (struct mxp_mrfp_peer){ 0 };
	m->start_ms = m->ops.now_ms(m->ops.arg);
	m->pending_sent = false;
	m->tr_cmds = 0;
	m->tr_refused = false;
	mrfp_ocp_begin(m); /* overload control: the pressure now */
	mxp_mp_msg_add_trans(m->rep, MXP_MP_TRANS_REPLY, tr->id);
	bool stop = false;
	for (uint16_t a = 0; a < tr->nactions && !stop; a++) {
		const struct mxp_mp_action *act = &msg->actions[tr->first_action + a];
		struct action_state as = { 0 };
		struct mxp_mp_action *ra = mxp_mp_msg_add_action(m->rep, act->ctx);
		if (ra == NULL)
			break;
		bool wild = act->ctx == MXP_MP_CTX_ALL;
		if (!wild && act->ctx != MXP_MP_CTX_CHOOSE && act->ctx != MXP_MP_CTX_NULL) {
			struct mxp_conf_info ci;
			if (mxp_conf_get(m->conf, act->ctx, &ci) != 0) {
				action_error(m, ra, MXP_MP_E_UNKNOWN_CTX,
					     mrfp_arena_printf(m, "context %u unknown", act->ctx));
				break; /* the transaction ends here */
			}
			as.ctx = act->ctx;
		}
		for (uint16_t k = 0; k < act->ncmds; k++) {
			const struct mxp_mp_cmd *c = &msg->cmds[act->first_cmd + k];
			if (k > 0)
				mrfp_pending_check(m);
			m->tr_cmds++;
			struct mxp_mp_cmd *rc = mxp_mp_msg_add_cmd(m->rep, c->type,
								   c->term_kind == MXP_MP_TERM_ALL ? "*"
								   : c->term_kind == MXP_MP_TERM_ROOT ? "ROOT"
													: NULL);
			if (rc == NULL) {
				stop = true;
				break;
			}
			if (c->term_kind == MXP_MP_TERM_NAME) {
				rc->term_kind = MXP_MP_TERM_NAME;
				rc->term = c->term;
			}
			uint32_t ctx = as.ctx;
			if (wild && c->type != MXP_MP_CMD_ADD && c->type != MXP_MP_CMD_MOVE) {
				ctx = ctx_of(m, c, rc);
				if (ctx && as.ctx && ctx != as.ctx)
					mrfp_cmd_error(m, rc, MXP_MP_E_TERM_NOT_IN_CTX,
						       "%.*s is in context %u, the action's other commands in %u",
						       (int)c->term.len, c->term.p, ctx, as.ctx);
				else if (ctx)
					as.ctx = ctx;
			}
			bool need_ctx = (c->type == MXP_MP_CMD_MODIFY &&
					 c->term_kind != MXP_MP_TERM_ROOT) ||
					c->type == MXP_MP_CMD_SUBTRACT ||
					(c->type == MXP_MP_CMD_AUDIT_VALUE &&
					 c->term_kind != MXP_MP_TERM_ROOT);
			if (rc->has_error) {
				/* set by ctx_of(m, ) */
			} else if (c->digitmaps.n && mrfp_dm_check(m, msg, c, rc) != 0) {
				/* the error is on rc (digit maps: stored below once the command
				 * succeeded; Modify = ROOT { DigitMap = ... } defines them for all) */
			} else if (need_ctx && ctx == 0) {
				mrfp_cmd_error(m, rc, act->ctx == MXP_MP_CTX_NULL ? MXP_MP_E_UNKNOWN_ACTION :
						   MXP_MP_E_UNKNOWN_CTX,
					       "%s needs a context (the null context holds no terminations)",
					       mxp_mp_cmd_name(c->type));
			} else if (c->has_signals && signals_pre(m, c, base, act, &as, ctx, rc) != 0) {
				/* the error is on rc */
			} else {
				switch (c->type) {
				case MXP_MP_CMD_ADD:
					if (act->ctx == MXP_MP_CTX_NULL || wild)
						mrfp_cmd_error(m, rc, MXP_MP_E_UNKNOWN_ACTION,
							       "Add goes to context $ or an existing one");
					else if (!refuse_new_ctx(m, act, &as, rc))
						do_add(m, msg, c, base, &as, rc, NULL);
					break;
				case MXP_MP_CMD_MODIFY:
					if (c->term_kind == MXP_MP_TERM_ROOT)
						mrfp_root_modify(m, c, rc); /* mrfp_load.c */
					else
						do_modify(m, msg, c, base, ctx, rc);
					break;
				case MXP_MP_CMD_MOVE:
					if (act->ctx == MXP_MP_CTX_NULL || wild)
						mrfp_cmd_error(m, rc, MXP_MP_E_UNKNOWN_ACTION,
							       "Move goes to context $ or an existing one");
					else if (!refuse_new_ctx(m, act, &as, rc))
						do_move(m, msg, c, base, &as, rc);
					break;
				case MXP_MP_CMD_SUBTRACT:
					do_subtract(m, c, ctx, rc);
					break;
				case MXP_MP_CMD_AUDIT_VALUE:
					do_audit(m, c, ctx, rc);
					break;
				case MXP_MP_CMD_AUDIT_CAP:
					do_audit_cap(m, c, ctx, rc);
					break;
				case MXP_MP_CMD_SERVICE_CHANGE:
					/* an MRFC announcing itself (handover): acknowledged */
					if (c->term_kind != MXP_MP_TERM_ROOT) {
						mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL,
							       "ServiceChange of ROOT only");
						break;
					}
					rc->has_services = true;
					rc->sc_version = 3;
					if (c->sc_profile.len) /* ServiceChangeProfile: ours */
						rc->sc_profile = mxp_mp_str_c(
							mxp_mrfp_profile_name(m->cfg.profile));
					break;
				default:
					mrfp_cmd_error(m, rc, MXP_MP_E_NOT_IMPL, "%s is not supported by the MRFP",
						       mxp_mp_cmd_name(c->type));
				}
			}
			if (c->has_signals && !rc->has_error)
				mrfp_signals_apply(m, c, ctx ? ctx : as.ctx, &m->sigplan, rc);
			if (c->digitmaps.n && !rc->has_error)
				mrfp_dm_commit(m, msg, c);
			if (rc->has_error && !c->optional) {
				stop = true; /* H.248.1 8.2.2: the rest of the transaction is skipped */
				break;
			}
		}
		/* A context created by this action that ended up empty goes away again. */
		if (as.created && mxp_conf_legs(m->conf, as.ctx, NULL, 0) == 0) {
			mxp_conf_destroy(m->conf, as.ctx, NULL, 0);
			as.ctx = 0;
		}
		if (as.ctx)
			ra->ctx = as.ctx;
		else if (act->ctx == MXP_MP_CTX_CHOOSE)
			ra->ctx = MXP_MP_CTX_NULL; /* nothing was created */
	}
	/* refused whole: its first command refused for overload, no other command ran */
	m->tr_refused = m->tr_refused && m->tr_cmds == 1;
}

bool
mxp_mrfp_refused(const struct mxp_mrfp *m)
{
	return m->tr_refused;
}
