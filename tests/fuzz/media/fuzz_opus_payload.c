/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: an Opus RTP payload (the whole input) through the worker functions of
 * mxp_media_opus_ops and the FEC helpers. duration(), decode(), has_fec() and decode_fec()
 * must agree on whether the payload is valid, decode() must return duration samples (48 kHz
 * clock, 48 kHz PCM: up to 5760 for 120 ms), and none may read outside the payload (ASan:
 * the input is copied into a buffer of exactly its length). The input as text also goes
 * through fmtp_parse and fmtp_format.
 */
#include <stdlib.h>
#include <string.h>

#include "codec_opus.h"
#include "mxp_media_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void *dec;
	static int16_t pcm[5760]; /* 120 ms at 48 kHz */
	const struct mxp_media_codec_ops *o = &mxp_media_opus_ops;
	if (dec == NULL)
		dec = o->dec_create(NULL);
	if (dec == NULL)
		abort();
	uint8_t *pl = malloc(size ? size : 1);
	if (pl == NULL)
		return 0;
	memcpy(pl, data, size);
	unsigned len = (unsigned)size;

	int d = o->duration(NULL, pl, len);
	if (d == 0 || d > 5760 || (d > 0 && d % 120 != 0))
		abort(); /* -1, or 2.5 ms to 120 ms */
	struct mxp_media_rx_info info;
	int n = o->decode(dec, pl, len, pcm, 5760, &info);
	if ((d < 0) != (n < 0) || (d > 0 && n != d))
		abort();
	if (n > 0 && info.speech + info.no_data == 0)
		abort();
	int h = mxp_media_opus_has_fec(pl, len);
	if ((h < 0) != (d < 0) || h > 1)
		abort();
	if (d > 0) {
		int r = mxp_media_opus_decode_fec(dec, pl, len, pcm, (unsigned)d);
		if (r != d)
			abort();
		if (o->conceal(dec, pcm, (unsigned)d) != d)
			abort();
	}

	/* the same bytes as fmtp text */
	char *txt = malloc(size + 1);
	if (txt != NULL) {
		memcpy(txt, data, size);
		txt[size] = '\0';
		struct mxp_media_fmtp f;
		char err[96], buf[160];
		memset(&f, 0, sizeof(f));
		if (o->fmtp_parse(txt, &f, err, sizeof(err)) == 0) {
			int k = o->fmtp_format(&f, buf, sizeof(buf));
			if (k <= 0 || (size_t)k >= sizeof(buf))
				abort();
		}
		free(txt);
	}
	free(pl);
	return 0;
}
