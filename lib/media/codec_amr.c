/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AMR-NB and AMR-WB frame codecs (RFC 4867) behind struct mxp_media_codec_ops.
 *
 * The speech codecs are libraries: opencore-amrnb (AMR-NB decoder and encoder),
 * opencore-amrwb (AMR-WB decoder), vo-amrwbenc (AMR-WB encoder). They take and produce one
 * frame in the storage format (RFC 4867 section 5.3: a header octet FT << 3 | Q << 2, then
 * the speech bits, most significant first, padded to an octet); amr_payload.c converts
 * between that and the RTP payload formats. The libraries allocate in their init
 * functions only (dec_create / enc_create, control core); decode and encode do not.
 *
 * The fmtp block (struct amr_fmtp below, in struct mxp_media_fmtp) is zero for the
 * defaults: bandwidth-efficient, every mode, mode-change-period 1, DTX on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opencore-amrnb/interf_dec.h>
#include <opencore-amrnb/interf_enc.h>
#include <opencore-amrwb/dec_if.h>
#include <vo-amrwbenc/enc_if.h>

#include "amr_payload.h"
#include "mxp_media_codec.h"

/* Parsed a=fmtp, stored in struct mxp_media_fmtp. Zero = default everywhere. */
struct amr_fmtp {
	uint8_t octet_align;   /* octet-align=1 */
	uint8_t mcp2;          /* mode-change-period=2 */
	uint8_t mcn;           /* mode-change-neighbor=1 */
	uint8_t mcc2;          /* mode-change-capability=2 */
	uint8_t no_dtx;        /* dtx=0 (private extension, not in RFC 4867) */
	uint8_t rsvd;
	uint16_t mode_set;     /* bit m: mode m allowed; 0 = all modes (no mode-set) */
};
_Static_assert(sizeof(struct amr_fmtp) <= MXP_MEDIA_FMTP_SIZE, "fmtp block");

static struct amr_fmtp
fmtp_get(const struct mxp_media_fmtp *f)
{
	struct amr_fmtp a;
	memcpy(&a, f->b, sizeof(a));
	return a;
}

static unsigned
mode_mask(const struct amr_fmtp *a, bool wb)
{
	unsigned all = (1u << (amr_max_mode(wb) + 1)) - 1;
	return a->mode_set != 0 ? a->mode_set & all : all;
}

/* ---- fmtp ---- */

static void
seterr(char *err, size_t errlen, const char *fmt, const char *codec, const char *what)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, fmt, codec, what);
}

/* Strict unsigned decimal in [s, e): -1 if not a number or above max. */
static long
parse_uint(const char *s, const char *e, long max)
{
	long v = 0;
	if (s == e)
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	return v;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* First c in [s, e), or NULL. */
static const char *
find_char(const char *s, const char *e, char c)
{
	for (; s < e; s++)
		if (*s == c)
			return s;
	return NULL;
}

static bool
name_is(const char *s, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

static int
amr_fmtp_parse(bool wb, const char *fmtp, struct mxp_media_fmtp *f, char *err, size_t errlen)
{
	const char *cn = wb ? "AMR-WB" : "AMR";
	struct amr_fmtp a;
	const char *s = fmtp;

	memset(&a, 0, sizeof(a));
	while (s != NULL && *s != '\0') {
		const char *end = strchr(s, ';'), *eq, *n0, *n1, *v0, *v1;
		if (end == NULL)
			end = s + strlen(s);
		n0 = s;
		while (n0 < end && is_space(*n0))
			n0++;
		eq = find_char(n0, end, '=');
		n1 = eq != NULL ? eq : end;
		while (n1 > n0 && is_space(n1[-1]))
			n1--;
		v0 = eq != NULL ? eq + 1 : end;
		while (v0 < end && is_space(*v0))
			v0++;
		v1 = end;
		while (v1 > v0 && is_space(v1[-1]))
			v1--;
		s = *end == ';' ? end + 1 : end;
		size_t nl = (size_t)(n1 - n0);
		if (nl == 0)
			continue; /* empty element (";;", trailing ';') */

		long v;
		if (name_is(n0, nl, "mode-set")) {
			unsigned m = 0;
			const char *p = v0;
			if (v0 == v1)
				goto bad;
			while (p < v1) {
				const char *c = find_char(p, v1, ','), *q0 = p, *q1;
				q1 = c != NULL ? c : v1;
				while (q0 < q1 && is_space(*q0))
					q0++;
				while (q1 > q0 && is_space(q1[-1]))
					q1--;
				v = parse_uint(q0, q1, amr_max_mode(wb));
				if (v < 0)
					goto bad;
				m |= 1u << v;
				if (c == NULL)
					break;
				p = c + 1;
				if (p == v1)
					goto bad; /* trailing comma */
			}
			a.mode_set = (uint16_t)(m == (1u << (amr_max_mode(wb) + 1)) - 1 ? 0 : m);
			continue;
		}
		if (name_is(n0, nl, "octet-align") || name_is(n0, nl, "mode-change-neighbor") ||
		    name_is(n0, nl, "crc") || name_is(n0, nl, "robust-sorting") ||
		    name_is(n0, nl, "dtx")) {
			v = parse_uint(v0, v1, 1);
			if (v < 0)
				goto bad;
			if (name_is(n0, nl, "octet-align"))
				a.octet_align = (uint8_t)v;
			else if (name_is(n0, nl, "mode-change-neighbor"))
				a.mcn = (uint8_t)v;
			else if (name_is(n0, nl, "dtx"))
				a.no_dtx = (uint8_t)!v;
			else if (v == 1)
				goto unsupported;
			continue;
		}
		if (name_is(n0, nl, "mode-change-period") ||
		    name_is(n0, nl, "mode-change-capability")) {
			v = parse_uint(v0, v1, 2);
			if (v < 1)
				goto bad;
			if (name_is(n0, nl, "mode-change-period"))
				a.mcp2 = v == 2;
			else
				a.mcc2 = v == 2;
			continue;
		}
		if (name_is(n0, nl, "max-red")) {
			/* the maximum redundancy the receiver accepts: we send none */
			if (parse_uint(v0, v1, 65535) < 0)
				goto bad;
			continue;
		}
		if (name_is(n0, nl, "interleaving")) {
			if (parse_uint(v0, v1, 65535) < 0)
				goto bad;
			goto unsupported;
		}
		if (name_is(n0, nl, "channels")) {
			v = parse_uint(v0, v1, 255);
			if (v < 1)
				goto bad;
			if (v != 1)
				goto unsupported;
			continue;
		}
		continue; /* RFC 4867 section 8.1: unknown parameters are ignored */
bad: {
			char what[48];
			snprintf(what, sizeof(what), "%.*s", (int)nl, n0);
			seterr(err, errlen, "%s: bad value for %s", cn, what);
			return -EINVAL;
		}
unsupported: {
			char what[80];
			snprintf(what, sizeof(what), "%.*s=%.*s", (int)nl, n0, (int)(v1 - v0), v0);
			seterr(err, errlen, "%s: %s not supported", cn, what);
			return -ENOTSUP;
		}
	}
	memcpy(f->b, &a, sizeof(a));
	return 0;
}

static int
nb_fmtp_parse(const char *fmtp, struct mxp_media_fmtp *f, char *err, size_t errlen)
{
	return amr_fmtp_parse(false, fmtp, f, err, errlen);
}

static int
wb_fmtp_parse(const char *fmtp, struct mxp_media_fmtp *f, char *err, size_t errlen)
{
	return amr_fmtp_parse(true, fmtp, f, err, errlen);
}

/* snprintf-like append: *len counts what would have been written. */
static void
append(char *buf, size_t cap, int *len, const char *s)
{
	size_t l = strlen(s);
	if (buf != NULL && (size_t)*len < cap) {
		size_t room = cap - (size_t)*len - 1;
		size_t c = l < room ? l : room;
		memcpy(buf + *len, s, c);
		buf[(size_t)*len + c] = '\0';
	}
	*len += (int)l;
}

static int
amr_fmtp_format(bool wb, const struct mxp_media_fmtp *f, char *buf, size_t cap)
{
	struct amr_fmtp a = fmtp_get(f);
	int len = 0;
	char tmp[32];

	if (buf != NULL && cap > 0)
		buf[0] = '\0';
	if (a.octet_align)
		append(buf, cap, &len, "octet-align=1");
	if (a.mode_set != 0) {
		append(buf, cap, &len, len ? ";mode-set=" : "mode-set=");
		bool first = true;
		for (unsigned m = 0; m <= amr_max_mode(wb); m++)
			if (a.mode_set & (1u << m)) {
				snprintf(tmp, sizeof(tmp), first ? "%u" : ",%u", m);
				append(buf, cap, &len, tmp);
				first = false;
			}
	}
	if (a.mcp2)
		append(buf, cap, &len, len ? ";mode-change-period=2" : "mode-change-period=2");
	if (a.mcc2)
		append(buf, cap, &len,
		       len ? ";mode-change-capability=2" : "mode-change-capability=2");
	if (a.mcn)
		append(buf, cap, &len, len ? ";mode-change-neighbor=1" : "mode-change-neighbor=1");
	/* dtx=0 is ours (the encoder's), not an SDP parameter: not printed */
	return len;
}

static int
nb_fmtp_format(const struct mxp_media_fmtp *f, char *buf, size_t cap)
{
	return amr_fmtp_format(false, f, buf, cap);
}

static int
wb_fmtp_format(const struct mxp_media_fmtp *f, char *buf, size_t cap)
{
	return amr_fmtp_format(true, f, buf, cap);
}

/* ---- decoder ---- */

struct amr_dec {
	bool wb;
	bool octet_align;
	uint8_t last_mode;   /* mode of the last speech frame decoded */
	void *st;            /* library state */
};

static void *
amr_dec_create(bool wb, const struct mxp_media_fmtp *f)
{
	struct amr_fmtp a = fmtp_get(f);
	struct amr_dec *d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->wb = wb;
	d->octet_align = a.octet_align != 0;
	d->st = wb ? D_IF_init() : Decoder_Interface_init();
	if (d->st == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

static void *
nb_dec_create(const struct mxp_media_fmtp *f)
{
	return amr_dec_create(false, f);
}

static void *
wb_dec_create(const struct mxp_media_fmtp *f)
{
	return amr_dec_create(true, f);
}

static void
amr_dec_destroy(void *dec)
{
	struct amr_dec *d = dec;
	if (d == NULL)
		return;
	if (d->wb)
		D_IF_exit(d->st);
	else
		Decoder_Interface_exit(d->st);
	free(d);
}

/*
 * Library state sizes are not public: measured as the heap growth of
 * Decoder_Interface_init / Encoder_Interface_init / D_IF_init / E_IF_init (mallinfo2) with
 * opencore-amr 0.1.6 and vo-amrwbenc 0.1.3 on x86-64: 2576, 3664, 5456, 5312 bytes.
 */
#define AMR_NB_DEC_LIB 2600
#define AMR_NB_ENC_LIB 3700
#define AMR_WB_DEC_LIB 5500
#define AMR_WB_ENC_LIB 5350

static size_t
nb_dec_mem(const struct mxp_media_fmtp *f)
{
	return sizeof(struct amr_dec) + AMR_NB_DEC_LIB;
}

static size_t
wb_dec_mem(const struct mxp_media_fmtp *f)
{
	return sizeof(struct amr_dec) + AMR_WB_DEC_LIB;
}

static inline unsigned
frame_samples(bool wb)
{
	return wb ? 320 : 160;
}

/* One frame in storage format into the library. */
static void
lib_decode(struct amr_dec *d, const uint8_t *sf, int16_t *pcm)
{
	if (d->wb)
		D_IF_decode(d->st, sf, pcm, 0);
	else
		Decoder_Interface_Decode(d->st, sf, pcm, 0);
}

static int
amr_duration(bool wb, const struct mxp_media_fmtp *f, const uint8_t *pl, unsigned len)
{
	struct amr_toc toc;
	if (amr_parse(wb, fmtp_get(f).octet_align != 0, pl, len, &toc) != 0)
		return -1;
	return (int)(toc.n * frame_samples(wb)); /* clock = sample rate */
}

static int
nb_duration(const struct mxp_media_fmtp *f, const uint8_t *pl, unsigned len)
{
	return amr_duration(false, f, pl, len);
}

static int
wb_duration(const struct mxp_media_fmtp *f, const uint8_t *pl, unsigned len)
{
	return amr_duration(true, f, pl, len);
}

static int
amr_decode(void *dec, const uint8_t *pl, unsigned len, int16_t *pcm, unsigned cap,
	   struct mxp_media_rx_info *info)
{
	struct amr_dec *d = dec;
	struct mxp_media_rx_info ri = {.cmr = -1};
	struct amr_toc toc;
	unsigned spf = frame_samples(d->wb);
	uint8_t sf[1 + AMR_MAX_FRAME_BYTES] = {0};
	const unsigned sid = d->wb ? AMR_FT_WB_SID : AMR_FT_NB_SID;

	if (amr_parse(d->wb, d->octet_align, pl, len, &toc) != 0 || toc.n * spf > cap) {
		if (info != NULL)
			*info = ri;
		return -1;
	}
	if (toc.cmr <= amr_max_mode(d->wb))
		ri.cmr = (int8_t)toc.cmr; /* 15: none; reserved values are ignored */
	for (unsigned i = 0; i < toc.n; i++) {
		const struct amr_frame *fr = &toc.f[i];
		bool good = fr->q && fr->bits > 0;
		if (good) {
			sf[0] = (uint8_t)(fr->ft << 3 | 4);
			amr_frame_bits(pl, len, fr, sf + 1);
			if (fr->ft == sid) {
				ri.sid++;
			} else {
				ri.speech++;
				d->last_mode = fr->ft;
			}
		} else {
			/*
			 * Damaged (Q = 0), AMR-WB SPEECH_LOST and NO_DATA: the libraries take no
			 * bad-frame indication but NO_DATA, which they conceal (in speech) or
			 * continue comfort noise with (in DTX).
			 */
			sf[0] = AMR_FT_NO_DATA << 3 | 4;
			if (fr->ft == AMR_FT_NO_DATA)
				ri.no_data++;
			else
				ri.damaged++;
		}
		lib_decode(d, sf, pcm + i * spf);
	}
	ri.mode = d->last_mode;
	if (info != NULL)
		*info = ri;
	return (int)(toc.n * spf);
}

static int
amr_conceal(void *dec, int16_t *pcm, unsigned n)
{
	struct amr_dec *d = dec;
	unsigned spf = frame_samples(d->wb);
	uint8_t sf[1] = {AMR_FT_NO_DATA << 3 | 4};

	if (n == 0 || n % spf != 0)
		return -1;
	for (unsigned i = 0; i < n; i += spf)
		lib_decode(d, sf, pcm + i);
	return (int)n;
}

/* ---- encoder ---- */

struct amr_enc {
	bool wb;
	bool octet_align;
	bool dtx;
	bool mcp2, mcn;
	uint8_t nframes;     /* frames per packet */
	uint8_t mode;        /* current mode */
	uint8_t target;      /* mode the last CMR asked for (within the mode-set) */
	uint16_t mask;       /* mode-set */
	uint32_t frame_no;   /* frames encoded */
	void *st;
};

static unsigned
highest_at_most(unsigned mask, unsigned m)
{
	for (int i = (int)m; i >= 0; i--)
		if (mask & (1u << i))
			return (unsigned)i;
	for (unsigned i = 0; i < 16; i++) /* none below: the lowest */
		if (mask & (1u << i))
			return i;
	return 0;
}

static void *
amr_enc_create(bool wb, const struct mxp_media_fmtp *f, unsigned ptime_ms)
{
	struct amr_fmtp a = fmtp_get(f);
	struct amr_enc *e;

	if (ptime_ms == 0 || ptime_ms % 20 != 0 || ptime_ms / 20 > AMR_MAX_FRAMES)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return NULL;
	e->wb = wb;
	e->octet_align = a.octet_align != 0;
	e->dtx = a.no_dtx == 0;
	e->mcp2 = a.mcp2 != 0;
	e->mcn = a.mcn != 0;
	e->nframes = (uint8_t)(ptime_ms / 20);
	e->mask = (uint16_t)mode_mask(&a, wb);
	/* AMR: the highest mode of the mode-set (12.2 by default); AMR-WB: 12.65 or the
	 * highest below it (the common VoLTE default, as 3GPP TS 26.114 recommends),
	 * the lowest of the mode-set if it has nothing at or below 12.65. A CMR moves it. */
	e->mode = (uint8_t)highest_at_most(e->mask, wb ? 2 : 7);
	e->target = e->mode;
	e->st = wb ? E_IF_init() : Encoder_Interface_init(e->dtx);
	if (e->st == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

static void *
nb_enc_create(const struct mxp_media_fmtp *f, unsigned ptime_ms)
{
	return amr_enc_create(false, f, ptime_ms);
}

static void *
wb_enc_create(const struct mxp_media_fmtp *f, unsigned ptime_ms)
{
	return amr_enc_create(true, f, ptime_ms);
}

static void
amr_enc_destroy(void *enc)
{
	struct amr_enc *e = enc;
	if (e == NULL)
		return;
	if (e->wb)
		E_IF_exit(e->st);
	else
		Encoder_Interface_exit(e->st);
	free(e);
}

static size_t
nb_enc_mem(const struct mxp_media_fmtp *f)
{
	return sizeof(struct amr_enc) + AMR_NB_ENC_LIB;
}

static size_t
wb_enc_mem(const struct mxp_media_fmtp *f)
{
	return sizeof(struct amr_enc) + AMR_WB_ENC_LIB;
}

static void
amr_enc_request(void *enc, int cmr)
{
	struct amr_enc *e = enc;
	if (cmr == 15) { /* no request (any more): back to the mode we start with */
		e->target = (uint8_t)highest_at_most(e->mask, e->wb ? 2 : 7);
		return;
	}
	if (cmr < 0 || cmr > (int)amr_max_mode(e->wb))
		return; /* reserved values: ignored */
	e->target = (uint8_t)highest_at_most(e->mask, (unsigned)cmr);
}

/* Before each frame: move towards the requested mode where the mode-change rules allow. */
static void
mode_step(struct amr_enc *e)
{
	if (e->mode == e->target || (e->mcp2 && (e->frame_no & 1)))
		return;
	if (!e->mcn) {
		e->mode = e->target;
		return;
	}
	int step = e->target > e->mode ? 1 : -1;
	for (int m = e->mode + step; m >= 0 && m <= 8; m += step)
		if (e->mask & (1u << m)) {
			e->mode = (uint8_t)m;
			return;
		}
}

static int
amr_encode(void *enc, const int16_t *pcm, unsigned n, uint8_t *out, unsigned cap)
{
	struct amr_enc *e = enc;
	unsigned spf = frame_samples(e->wb);
	uint8_t sf[AMR_MAX_FRAMES][128]; /* a storage frame is at most 61 bytes */
	struct amr_pack_frame fr[AMR_MAX_FRAMES];
	unsigned nodata = 0;

	if (n != e->nframes * spf)
		return -1;
	for (unsigned i = 0; i < e->nframes; i++) {
		int r;
		mode_step(e);
		if (e->wb)
			r = E_IF_encode(e->st, e->mode, pcm + i * spf, sf[i], e->dtx);
		else
			r = Encoder_Interface_Encode(e->st, (enum Mode)e->mode, pcm + i * spf,
						     sf[i], 0);
		e->frame_no++;
		if (r < 1)
			return -1;
		unsigned ft = (sf[i][0] >> 3) & 15;
		int bits = amr_ft_bits(e->wb, ft);
		if (bits < 0 || (unsigned)r < 1 + ((unsigned)bits + 7) / 8)
			return -1;
		fr[i].ft = (uint8_t)ft;
		fr[i].q = 1;
		fr[i].data = sf[i] + 1;
		nodata += ft == AMR_FT_NO_DATA;
	}
	if (nodata == e->nframes)
		return 0; /* DTX: nothing to send this packet time */
	return amr_pack(e->wb, e->octet_align, AMR_CMR_NONE, fr, e->nframes, out, cap);
}

static void
amr_enc_state(const void *enc, struct mxp_media_codec_state *st)
{
	const struct amr_enc *e = enc;
	memset(st, 0, sizeof(*st));
	st->mode = (int8_t)e->mode;
	st->complexity = -1;
	st->cmr_sent = -1; /* we send CMR 15: no request */
	st->bitrate = amr_mode_bitrate(e->wb, e->mode);
	st->dtx = e->dtx;
	st->fec = false;
}

/*
 * max_payload, 120 ms (6 frames) of the highest mode, octet-aligned (the larger format):
 * AMR 1 + 6 + 6 x 31 = 193, AMR-WB 1 + 6 + 6 x 60 = 367.
 */
const struct mxp_media_codec_ops mxp_media_amr_ops = {
	.abi = MXP_MEDIA_CODEC_ABI,
	.name = "AMR",
	.clock = 8000,
	.rate = 8000,
	.frame_ms = 20,
	.max_payload = 193,
	.fmtp_parse = nb_fmtp_parse,
	.fmtp_format = nb_fmtp_format,
	.dec_create = nb_dec_create,
	.dec_destroy = amr_dec_destroy,
	.enc_create = nb_enc_create,
	.enc_destroy = amr_enc_destroy,
	.dec_mem = nb_dec_mem,
	.enc_mem = nb_enc_mem,
	.duration = nb_duration,
	.decode = amr_decode,
	.conceal = amr_conceal,
	.encode = amr_encode,
	.enc_request = amr_enc_request,
	.enc_state = amr_enc_state,
};

const struct mxp_media_codec_ops mxp_media_amrwb_ops = {
	.abi = MXP_MEDIA_CODEC_ABI,
	.name = "AMR-WB",
	.clock = 16000,
	.rate = 16000,
	.frame_ms = 20,
	.max_payload = 367,
	.fmtp_parse = wb_fmtp_parse,
	.fmtp_format = wb_fmtp_format,
	.dec_create = wb_dec_create,
	.dec_destroy = amr_dec_destroy,
	.enc_create = wb_enc_create,
	.enc_destroy = amr_enc_destroy,
	.dec_mem = wb_dec_mem,
	.enc_mem = wb_enc_mem,
	.duration = wb_duration,
	.decode = amr_decode,
	.conceal = amr_conceal,
	.encode = amr_encode,
	.enc_request = amr_enc_request,
	.enc_state = amr_enc_state,
};
