/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A codec plugin for the tests, built as a shared library the daemon loads with
 * [mixplane] codec_plugins: "X-L16F", 16-bit PCM at 16 kHz on a 48 kHz RTP clock in 10 ms
 * frames behind one header byte giving the frame count (lossless, so a test can compare
 * what comes out with what went in). Self-contained, as a plugin must be: it uses
 * lib/media's header for the table's types only, none of its functions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxp_media_codec.h"

#define FRAME 160 /* samples in 10 ms at 16 kHz */

struct xl_enc {
	unsigned samples; /* per packet */
};

static int
xl_fmtp_parse(const char *fmtp, struct mxp_media_fmtp *f, char *err, size_t errlen)
{
	(void)f;
	if (fmtp != NULL && fmtp[0] != '\0') {
		snprintf(err, errlen, "X-L16F takes no parameters ('%s')", fmtp);
		return -EINVAL;
	}
	return 0;
}

static int
xl_fmtp_format(const struct mxp_media_fmtp *f, char *buf, size_t cap)
{
	(void)f;
	return snprintf(buf, cap, "%s", "");
}

static void *
xl_dec_create(const struct mxp_media_fmtp *f)
{
	(void)f;
	return malloc(1);
}

static void *
xl_enc_create(const struct mxp_media_fmtp *f, unsigned ptime_ms)
{
	(void)f;
	struct xl_enc *e = malloc(sizeof(*e));
	if (e != NULL)
		e->samples = ptime_ms * 16;
	return e;
}

static size_t
xl_mem(const struct mxp_media_fmtp *f)
{
	(void)f;
	return sizeof(struct xl_enc);
}

static int
xl_duration(const struct mxp_media_fmtp *f, const uint8_t *pl, unsigned len)
{
	(void)f;
	if (len < 1 || pl[0] == 0 || pl[0] > 12 || len != 1u + pl[0] * FRAME * 2u)
		return -1;
	return pl[0] * FRAME * 3;
}

static int
xl_decode(void *dec, const uint8_t *pl, unsigned len, int16_t *pcm, unsigned cap,
	  struct mxp_media_rx_info *info)
{
	(void)dec;
	int d = xl_duration(NULL, pl, len);
	if (d < 0 || (unsigned)d / 3 > cap)
		return -1;
	unsigned n = (unsigned)d / 3;
	for (unsigned i = 0; i < n; i++)
		pcm[i] = (int16_t)(uint16_t)(pl[1 + 2 * i] << 8 | pl[2 + 2 * i]);
	if (info != NULL) {
		memset(info, 0, sizeof(*info));
		info->cmr = -1;
		info->speech = pl[0];
	}
	return (int)n;
}

static int
xl_encode(void *enc, const int16_t *pcm, unsigned n, uint8_t *out, unsigned cap)
{
	struct xl_enc *e = enc;
	if (n != e->samples || cap < 1 + 2 * n)
		return -1;
	out[0] = (uint8_t)(n / FRAME);
	for (unsigned i = 0; i < n; i++) {
		out[1 + 2 * i] = (uint8_t)((uint16_t)pcm[i] >> 8);
		out[2 + 2 * i] = (uint8_t)pcm[i];
	}
	return (int)(1 + 2 * n);
}

const struct mxp_media_codec_ops mxp_codec_plugin = {
	.abi = MXP_MEDIA_CODEC_ABI,
	.name = "X-L16F",
	.clock = 48000,
	.rate = 16000,
	.frame_ms = 10,
	.max_payload = 1 + 12 * FRAME * 2,
	.fmtp_parse = xl_fmtp_parse,
	.fmtp_format = xl_fmtp_format,
	.dec_create = xl_dec_create,
	.dec_destroy = free,
	.enc_create = xl_enc_create,
	.enc_destroy = free,
	.dec_mem = xl_mem,
	.enc_mem = xl_mem,
	.duration = xl_duration,
	.decode = xl_decode,
	.encode = xl_encode,
};
