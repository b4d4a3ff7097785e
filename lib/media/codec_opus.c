/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opus (RFC 6716) in RTP (RFC 7587) behind struct mxp_media_codec_ops, on libopus.
 *
 * Fullband: the decoder runs at 48 kHz (libopus renders whatever bandwidth the peer sends
 * at that rate) and the encoder takes 48 kHz input; a conference with a participant that
 * hears Opus mixes at 48 kHz. What we send is limited to the bandwidth the peer's
 * maxplaybackrate allows (fullband, the RFC 7587 default, when it says nothing). We always
 * send mono (RFC 7587 section 6.1 allows it whatever stereo says); the decoder is mono and
 * downmixes a stereo stream.
 *
 * One Opus packet per packet time: 10, 20, 40, 60, 80, 100 and 120 ms are frame sizes
 * libopus encodes in one call; 30, 50, 70, 90 and 110 ms are that many 10 ms frames joined
 * by the repacketizer into one code-3 packet (an Opus packet's frames all have the same
 * duration, and 10 ms is the longest one that divides these).
 *
 * The libopus states live in memory allocated by dec_create/enc_create
 * (opus_*_get_size + opus_*_init); decode and encode do not allocate.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opus.h>

#include "codec_opus.h"
#include "mxp_media_codec.h"

#define OPUS_CLOCK 48000
#define OPUS_RATE 48000
#define OPUS_SPMS (OPUS_RATE / 1000)   /* PCM samples per ms */
#define OPUS_MAX_SAMPLES (120 * OPUS_SPMS)
#define OPUS_MAX_FRAME_BYTES 1275      /* RFC 6716 3.2.1 */
/* Largest payload we accept and send: one maximal Opus frame, the size of a packet of
 * 120 ms at 85 kbit/s; the encoder keeps every packet within it. */
#define OPUS_MAX_PAYLOAD 1275
#define OPUS_DEFAULT_BITRATE 24000
#define OPUS_MAX_FRAMES 11             /* 110 ms as 10 ms frames */

/* The parsed fmtp, what of it shapes the encoder, normalised so that two blocks that
 * configure the same encoder compare equal (zero = RFC 7587 default). */
struct opus_fmtp {
	uint32_t bitrate;   /* maxaveragebitrate, 0 = OPUS_DEFAULT_BITRATE */
	uint8_t bw;         /* from maxplaybackrate: 0 fullband, 1 mediumband, 2 narrowband,
			       3 wideband, 4 super-wideband */
	uint8_t cbr;        /* cbr=1 */
	uint8_t fec;        /* useinbandfec=1 */
	uint8_t dtx;        /* usedtx=1 */
};
_Static_assert(sizeof(struct opus_fmtp) <= sizeof(struct mxp_media_fmtp), "fmtp block");

static void
fmtp_get(const struct mxp_media_fmtp *f, struct opus_fmtp *o)
{
	memset(o, 0, sizeof(*o));
	if (f != NULL)
		memcpy(o, f, sizeof(*o));
}

/* One parameter's range; what the parser does with the value. */
struct param {
	const char *name;
	unsigned long lo, hi;
};

enum {
	P_MAXPLAYBACKRATE, P_SPROP_MAXCAPTURERATE, P_MAXAVERAGEBITRATE, P_STEREO,
	P_SPROP_STEREO, P_CBR, P_USEINBANDFEC, P_USEDTX, P_MINPTIME, P_MAXPTIME, P_PTIME,
	P_COUNT
};

static const struct param params[P_COUNT] = {
	[P_MAXPLAYBACKRATE] = {"maxplaybackrate", 8000, 48000},
	[P_SPROP_MAXCAPTURERATE] = {"sprop-maxcapturerate", 8000, 48000},
	[P_MAXAVERAGEBITRATE] = {"maxaveragebitrate", 6000, 510000},
	[P_STEREO] = {"stereo", 0, 1},
	[P_SPROP_STEREO] = {"sprop-stereo", 0, 1},
	[P_CBR] = {"cbr", 0, 1},
	[P_USEINBANDFEC] = {"useinbandfec", 0, 1},
	[P_USEDTX] = {"usedtx", 0, 1},
	[P_MINPTIME] = {"minptime", 3, 120},
	[P_MAXPTIME] = {"maxptime", 3, 1000},
	[P_PTIME] = {"ptime", 3, 120},
};

/* A decimal value (no sign, no spaces inside) in [lo, hi]. */
static int
parse_uint(const char *s, size_t n, unsigned long lo, unsigned long hi, unsigned long *v)
{
	unsigned long x = 0;
	if (n == 0 || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (unsigned long)(s[i] - '0');
	}
	if (x < lo || x > hi)
		return -1;
	*v = x;
	return 0;
}

static int
opus_fmtp_parse(const char *fmtp, struct mxp_media_fmtp *f, char *err, size_t errlen)
{
	struct opus_fmtp o = {0};
	const char *p = fmtp != NULL ? fmtp : "";
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ';')
			p++;
		if (*p == '\0')
			break;
		const char *key = p;
		while (*p != '\0' && *p != '=' && *p != ';' && *p != ' ' && *p != '\t')
			p++;
		size_t klen = (size_t)(p - key);
		while (*p == ' ' || *p == '\t')
			p++;
		const char *val = "";
		size_t vlen = 0;
		if (*p == '=') {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			val = p;
			while (*p != '\0' && *p != ';')
				p++;
			vlen = (size_t)(p - val);
			while (vlen > 0 && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
				vlen--;
		}
		int k;
		for (k = 0; k < P_COUNT; k++)
			if (strlen(params[k].name) == klen &&
			    strncasecmp(params[k].name, key, klen) == 0)
				break;
		if (k == P_COUNT)
			continue; /* unknown: ignored (RFC 4566: not understood, not used) */
		unsigned long v;
		if (parse_uint(val, vlen, params[k].lo, params[k].hi, &v) != 0) {
			if (err != NULL && errlen > 0)
				snprintf(err, errlen, "opus: bad %s '%.*s' (%lu-%lu)", params[k].name,
					 (int)(vlen > 32 ? 32 : vlen), val, params[k].lo,
					 params[k].hi);
			return -EINVAL;
		}
		switch (k) {
		case P_MAXPLAYBACKRATE:
			/* the bandwidth the peer can play */
			o.bw = v <= 8000 ? 2 : v <= 12000 ? 1 : v <= 16000 ? 3 : v <= 24000 ? 4 : 0;
			break;
		case P_MAXAVERAGEBITRATE:
			o.bitrate = (uint32_t)v == OPUS_DEFAULT_BITRATE ? 0 : (uint32_t)v;
			break;
		case P_CBR:
			o.cbr = (uint8_t)v;
			break;
		case P_USEINBANDFEC:
			o.fec = (uint8_t)v;
			break;
		case P_USEDTX:
			o.dtx = (uint8_t)v;
			break;
		default: /* sprop-maxcapturerate, stereo, sprop-stereo, ptimes: accepted */
			break;
		}
	}
	memset(f, 0, sizeof(*f));
	memcpy(f, &o, sizeof(o));
	return 0;
}

unsigned
mxp_media_opus_play_rate(const struct mxp_media_fmtp *f)
{
	struct opus_fmtp o;
	fmtp_get(f, &o);
	static const unsigned rate[5] = {48000, 12000, 8000, 16000, 24000};
	return rate[o.bw < 5 ? o.bw : 0];
}

/*
 * Our side of the Local SDP: we play and capture at 48 kHz (at most what the peer said it
 * plays, which is what our encoder sends), mono (default stereo=0), we
 * decode in-band FEC (mxp_media_opus_decode_fec), so the peer may send it; DTX and CBR
 * and the bit rate are mirrored from the peer's parameters, which is what our encoder does.
 */
static int
opus_fmtp_format(const struct mxp_media_fmtp *f, char *buf, size_t cap)
{
	struct opus_fmtp o;
	fmtp_get(f, &o);
	unsigned r = mxp_media_opus_play_rate(f);
	char br[32] = "";
	if (o.bitrate != 0)
		snprintf(br, sizeof(br), ";maxaveragebitrate=%u", (unsigned)o.bitrate);
	return snprintf(buf, cap, "maxplaybackrate=%u;sprop-maxcapturerate=%u%s%s;useinbandfec=1%s",
			r, r, br, o.cbr ? ";cbr=1" : "", o.dtx ? ";usedtx=1" : "");
}

/* --- decoder --- */

struct opus_dec {
	OpusDecoder *st;
};

#define ALIGN16(x) (((x) + 15) & ~(size_t)15)

static size_t
opus_dec_mem(const struct mxp_media_fmtp *f)
{
	(void)f;
	return ALIGN16(sizeof(struct opus_dec)) + (size_t)opus_decoder_get_size(1);
}

static void *
opus_dec_create(const struct mxp_media_fmtp *f)
{
	struct opus_dec *d = aligned_alloc(16, ALIGN16(opus_dec_mem(f)));
	if (d == NULL)
		return NULL;
	d->st = (OpusDecoder *)((uint8_t *)d + ALIGN16(sizeof(*d)));
	if (opus_decoder_init(d->st, OPUS_RATE, 1) != OPUS_OK) {
		free(d);
		return NULL;
	}
	return d;
}

static void
opus_dec_destroy(void *dec)
{
	free(dec);
}

/* Samples at 48 kHz of a valid packet, -1 if malformed (the whole table of contents and
 * every frame length checked, within [pl, pl + len)). */
static int
packet_check(const uint8_t *pl, unsigned len, const unsigned char *frames[48], short size[48],
	     int *nframes)
{
	unsigned char toc;
	if (pl == NULL || len == 0 || len > 0x7fffffff)
		return -1;
	int nf = opus_packet_parse(pl, (opus_int32)len, &toc, frames, size, NULL);
	if (nf <= 0)
		return -1;
	int ns = opus_packet_get_nb_samples(pl, (opus_int32)len, OPUS_CLOCK);
	if (ns <= 0 || ns > 120 * OPUS_CLOCK / 1000)
		return -1;
	*nframes = nf;
	return ns;
}

static int
opus_duration(const struct mxp_media_fmtp *f, const uint8_t *pl, unsigned len)
{
	(void)f;
	short size[48];
	int nf;
	return packet_check(pl, len, NULL, size, &nf);
}

static int
opus_decode_pl(void *dec, const uint8_t *pl, unsigned len, int16_t *pcm, unsigned cap,
	       struct mxp_media_rx_info *info)
{
	struct opus_dec *d = dec;
	short size[48];
	int nf;
	if (packet_check(pl, len, NULL, size, &nf) < 0)
		return -1;
	int n = opus_decode(d->st, pl, (opus_int32)len, pcm,
			    (int)(cap < OPUS_MAX_SAMPLES ? cap : OPUS_MAX_SAMPLES), 0);
	if (n < 0)
		return -1;
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->cmr = -1;
		/* a frame of 0 bytes is one the sender did not send (DTX: libopus's encoder makes
		 * TOC-only packets of such frames); libopus decodes it, and a 1-byte frame, as
		 * lost: concealment, or comfort noise after DTX */
		for (int i = 0; i < nf; i++) {
			if (size[i] <= 1)
				info->no_data++;
			else
				info->speech++;
		}
	}
	return n;
}

static int
opus_conceal(void *dec, int16_t *pcm, unsigned n)
{
	struct opus_dec *d = dec;
	if (n == 0 || n > OPUS_MAX_SAMPLES || n % (OPUS_RATE / 400) != 0)
		return -1;
	int r = opus_decode(d->st, NULL, 0, pcm, (int)n, 0);
	return r < 0 ? -1 : r;
}

int
mxp_media_opus_decode_fec(void *dec, const uint8_t *next_pl, unsigned len, int16_t *pcm,
			  unsigned n)
{
	struct opus_dec *d = dec;
	short size[48];
	int nf;
	if (n == 0 || n > OPUS_MAX_SAMPLES || n % (OPUS_RATE / 400) != 0 ||
	    packet_check(next_pl, len, NULL, size, &nf) < 0)
		return -1;
	int r = opus_decode(d->st, next_pl, (opus_int32)len, pcm, (int)n, 1);
	return r < 0 ? -1 : r;
}

int
mxp_media_opus_has_fec(const uint8_t *pl, unsigned len)
{
	const unsigned char *frames[48];
	short size[48];
	int nf;
	if (packet_check(pl, len, frames, size, &nf) < 0)
		return -1;
	unsigned config = pl[0] >> 3;
	if (config >= 16 || size[0] == 0) /* CELT only: no LBRR; empty frame */
		return 0;
	/* SILK frames per Opus frame: 10/20 ms -> 1, 40 ms -> 2, 60 ms -> 3 (SILK-only
	 * configurations 0-11); hybrid (12-15) frames are 10 or 20 ms */
	static const uint8_t silk_frames[4] = {1, 1, 2, 3};
	unsigned nsf = config < 12 ? silk_frames[config & 3] : 1;
	unsigned stereo = (pl[0] >> 2) & 1;
	/* the first bits of the range-coded frame are the VAD flags, one per SILK frame,
	 * then the LBRR flag (per channel when stereo), each coded with probability 1/2 */
	unsigned b = frames[0][0];
	int lbrr = (b >> (7 - nsf)) & 1;
	if (stereo)
		lbrr |= (b >> (6 - 2 * nsf)) & 1;
	return lbrr;
}

/* --- encoder --- */

struct opus_enc {
	OpusEncoder *st;
	OpusRepacketizer *rp;   /* NULL when one libopus call makes the packet */
	uint8_t *scratch;       /* nframes * OPUS_MAX_FRAME_BYTES when rp != NULL */
	unsigned n;             /* samples per packet time */
	unsigned frame;         /* samples per libopus call */
	unsigned nframes;
	uint32_t bitrate;
	bool dtx, fec, cbr;
	int complexity;
};

static size_t
enc_bytes(unsigned nframes)
{
	size_t s = ALIGN16(sizeof(struct opus_enc)) + ALIGN16((size_t)opus_encoder_get_size(1));
	if (nframes > 1)
		s += ALIGN16((size_t)opus_repacketizer_get_size()) +
		     (size_t)nframes * OPUS_MAX_FRAME_BYTES;
	return s;
}

static size_t
opus_enc_mem(const struct mxp_media_fmtp *f)
{
	(void)f;
	return enc_bytes(1); /* packet times of 30, 50, 70, 90, 110 ms add up to 15 kB */
}

static void *
opus_enc_create(const struct mxp_media_fmtp *f, unsigned ptime_ms)
{
	struct opus_fmtp o;
	fmtp_get(f, &o);
	if (ptime_ms < 10 || ptime_ms > 120 || ptime_ms % 10 != 0)
		return NULL;
	unsigned frame_ms = ptime_ms;
	if (ptime_ms % 20 != 0 && ptime_ms != 10)
		frame_ms = 10; /* 30, 50, 70, 90, 110 ms: 10 ms frames, repacketized */
	unsigned nframes = ptime_ms / frame_ms;
	size_t sz = enc_bytes(nframes);
	struct opus_enc *e = aligned_alloc(16, ALIGN16(sz));
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	uint8_t *p = (uint8_t *)e + ALIGN16(sizeof(*e));
	e->st = (OpusEncoder *)p;
	p += ALIGN16((size_t)opus_encoder_get_size(1));
	if (nframes > 1) {
		e->rp = (OpusRepacketizer *)p;
		p += ALIGN16((size_t)opus_repacketizer_get_size());
		e->scratch = p;
	}
	e->n = ptime_ms * OPUS_SPMS;
	e->frame = frame_ms * OPUS_SPMS;
	e->nframes = nframes;
	e->bitrate = o.bitrate != 0 ? o.bitrate : OPUS_DEFAULT_BITRATE;
	e->dtx = o.dtx != 0;
	e->fec = o.fec != 0;
	e->cbr = o.cbr != 0;
	e->complexity = MXP_MEDIA_OPUS_COMPLEXITY;
	static const opus_int32 bw[5] = {OPUS_BANDWIDTH_FULLBAND, OPUS_BANDWIDTH_MEDIUMBAND,
					 OPUS_BANDWIDTH_NARROWBAND, OPUS_BANDWIDTH_WIDEBAND,
					 OPUS_BANDWIDTH_SUPERWIDEBAND};
	if (opus_encoder_init(e->st, OPUS_RATE, 1, OPUS_APPLICATION_VOIP) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_BITRATE((opus_int32)e->bitrate)) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_VBR(e->cbr ? 0 : 1)) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_MAX_BANDWIDTH(bw[o.bw < 5 ? o.bw : 0])) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_INBAND_FEC(e->fec ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_PACKET_LOSS_PERC(
					    e->fec ? MXP_MEDIA_OPUS_FEC_LOSS_PERC : 0)) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_DTX(e->dtx ? 1 : 0)) != OPUS_OK ||
	    opus_encoder_ctl(e->st, OPUS_SET_COMPLEXITY(e->complexity)) != OPUS_OK) {
		free(e);
		return NULL;
	}
	return e;
}

static void
opus_enc_destroy(void *enc)
{
	free(enc);
}

int
mxp_media_opus_set_complexity(void *enc, int complexity)
{
	struct opus_enc *e = enc;
	if (complexity < 0 || complexity > 10 ||
	    opus_encoder_ctl(e->st, OPUS_SET_COMPLEXITY(complexity)) != OPUS_OK)
		return -EINVAL;
	e->complexity = complexity;
	return 0;
}

int
mxp_media_opus_set_loss_perc(void *enc, int perc)
{
	struct opus_enc *e = enc;
	if (perc < 0 || perc > 100 ||
	    opus_encoder_ctl(e->st, OPUS_SET_PACKET_LOSS_PERC(perc)) != OPUS_OK)
		return -EINVAL;
	return 0;
}

/*
 * One payload per packet time. With DTX, libopus returns a packet of 1 byte (the TOC, no
 * frame data) for a frame it need not send; a repacketized run of such frames is 2 bytes
 * (TOC and frame count). RFC 7587 section 3.3 says DTX frames are not sent: 0.
 */
static int
opus_encode_pl(void *enc, const int16_t *pcm, unsigned n, uint8_t *out, unsigned cap)
{
	struct opus_enc *e = enc;
	if (n != e->n)
		return -1;
	if (cap > OPUS_MAX_PAYLOAD)
		cap = OPUS_MAX_PAYLOAD;
	int r;
	if (e->rp == NULL) {
		if (cap < 3)
			return -1;
		r = opus_encode(e->st, pcm, (int)e->frame, out, (opus_int32)cap);
	} else {
		/* code 3 with lengths: 2 header bytes, up to 2 length bytes per frame but the
		 * last; the frames share what is left */
		unsigned over = 2 + 2 * (e->nframes - 1);
		if (cap < over + 3 * e->nframes)
			return -1;
		unsigned per = (cap - over) / e->nframes;
		if (per > OPUS_MAX_FRAME_BYTES)
			per = OPUS_MAX_FRAME_BYTES;
		opus_repacketizer_init(e->rp);
		unsigned joined = 0;
		for (unsigned i = 0; i < e->nframes; i++) {
			uint8_t *fb = e->scratch + (size_t)i * OPUS_MAX_FRAME_BYTES;
			int fl = opus_encode(e->st, pcm + (size_t)i * e->frame, (int)e->frame, fb,
					     (opus_int32)per);
			if (fl < 0)
				return -1;
			/* the frames of one packet share a configuration (mode, bandwidth); at the
			 * rare frame where libopus switches, the packet ends early and the rest
			 * of the packet time is lost (the receiver conceals it) */
			if (joined == i && opus_repacketizer_cat(e->rp, fb, fl) == OPUS_OK)
				joined++;
		}
		r = opus_repacketizer_out(e->rp, out, (opus_int32)cap);
	}
	if (r < 0)
		return -1;
	return r <= 2 ? 0 : r;
}

static void
opus_enc_state(const void *enc, struct mxp_media_codec_state *st)
{
	const struct opus_enc *e = enc;
	memset(st, 0, sizeof(*st));
	st->mode = -1;
	st->cmr_sent = -1;
	st->bitrate = e->bitrate;
	st->dtx = e->dtx;
	st->fec = e->fec;
	st->complexity = (int8_t)e->complexity;
}

/* The codec interface's conceal_fec: only when the next packet carries LBRR data. */
static int
opus_conceal_fec(void *dec, const uint8_t *next_pl, unsigned len, int16_t *pcm, unsigned n)
{
	if (mxp_media_opus_has_fec(next_pl, len) != 1)
		return -1;
	return mxp_media_opus_decode_fec(dec, next_pl, len, pcm, n);
}

const struct mxp_media_codec_ops mxp_media_opus_ops = {
	.abi = MXP_MEDIA_CODEC_ABI,
	.name = "opus",
	.clock = OPUS_CLOCK,
	.rate = OPUS_RATE,
	.frame_ms = 10,
	.max_payload = OPUS_MAX_PAYLOAD,
	.fmtp_parse = opus_fmtp_parse,
	.fmtp_format = opus_fmtp_format,
	.dec_create = opus_dec_create,
	.dec_destroy = opus_dec_destroy,
	.enc_create = opus_enc_create,
	.enc_destroy = opus_enc_destroy,
	.dec_mem = opus_dec_mem,
	.enc_mem = opus_enc_mem,
	.duration = opus_duration,
	.decode = opus_decode_pl,
	.conceal = opus_conceal,
	.conceal_fec = opus_conceal_fec,
	.encode = opus_encode_pl,
	.enc_request = NULL,
	.enc_state = opus_enc_state,
};
