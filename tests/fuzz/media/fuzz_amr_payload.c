/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the RFC 4867 payload parser and the AMR / AMR-WB decoders. Input: one
 * byte of flags (bit 0: AMR-WB, bit 1: octet-aligned, bit 2: fmtp text instead), then the
 * RTP payload (exactly sized: ASan sees any read beyond it). Checks:
 *  - duration() and decode() agree: both reject, or decode writes duration samples;
 *  - a parsed payload repacked by amr_pack() parses to the same table of contents and the
 *    same speech bits, and has the same length (only padding / reserved bits may differ);
 *  - fmtp text (bit 2): what parses formats to text that parses and formats the same.
 */
#include <stdlib.h>
#include <string.h>

#include "amr_payload.h"
#include "mxp_media_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static void *dec[4];
	static struct mxp_media_fmtp fm[4];
	static int16_t pcm[AMR_MAX_FRAMES * 320];
	if (size < 1)
		return 0;
	unsigned sel = data[0] & 3;
	bool wb = sel & 1, oa = (sel & 2) != 0;
	const struct mxp_media_codec_ops *o = wb ? &mxp_media_amrwb_ops : &mxp_media_amr_ops;
	if (dec[sel] == NULL) {
		char err[64];
		if (o->fmtp_parse(oa ? "octet-align=1" : "", &fm[sel], err, sizeof(err)) != 0)
			abort();
		dec[sel] = o->dec_create(&fm[sel]);
		if (dec[sel] == NULL)
			abort();
	}
	if (data[0] & 4) {
		char *txt = malloc(size), err[96] = "", a[256], b[256];
		struct mxp_media_fmtp f1, f2;
		memcpy(txt, data + 1, size - 1);
		txt[size - 1] = '\0';
		memset(&f1, 0, sizeof(f1));
		memset(&f2, 0, sizeof(f2));
		if (o->fmtp_parse(txt, &f1, err, sizeof(err)) == 0) {
			int na = o->fmtp_format(&f1, a, sizeof(a));
			if (na < 0 || (size_t)na >= sizeof(a) ||
			    o->fmtp_parse(a, &f2, err, sizeof(err)) != 0 ||
			    o->fmtp_format(&f2, b, sizeof(b)) != na || strcmp(a, b) != 0)
				abort();
		} else if (err[0] == '\0') {
			abort(); /* a refusal says why */
		}
		free(txt);
		return 0;
	}
	size_t len = size - 1;
	uint8_t *pl = malloc(len ? len : 1);
	memcpy(pl, data + 1, len);

	int dur = o->duration(&fm[sel], pl, (unsigned)len);
	struct mxp_media_rx_info info;
	int n = o->decode(dec[sel], pl, (unsigned)len, pcm, AMR_MAX_FRAMES * 320, &info);
	if (dur != n)
		abort(); /* clock = sample rate: duration in samples */
	if (dur > 0) {
		if (dur % (wb ? 320 : 160) != 0 || dur > AMR_MAX_FRAMES * (wb ? 320 : 160))
			abort();
		if (info.speech + info.sid + info.no_data + info.damaged != dur / (wb ? 320 : 160))
			abort();
		struct amr_toc a, b;
		uint8_t bits[AMR_MAX_FRAMES][AMR_MAX_FRAME_BYTES], bits2[AMR_MAX_FRAME_BYTES];
		struct amr_pack_frame pf[AMR_MAX_FRAMES];
		uint8_t re[512];
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		if (amr_parse(wb, oa, pl, (unsigned)len, &a) != 0)
			abort();
		for (unsigned i = 0; i < a.n; i++) {
			amr_frame_bits(pl, (unsigned)len, &a.f[i], bits[i]);
			pf[i] = (struct amr_pack_frame){a.f[i].ft, a.f[i].q, bits[i]};
		}
		int rl = amr_pack(wb, oa, a.cmr, pf, a.n, re, sizeof(re));
		if (rl != (int)len || amr_parse(wb, oa, re, (unsigned)rl, &b) != 0 ||
		    memcmp(&a, &b, sizeof(a)) != 0)
			abort();
		for (unsigned i = 0; i < b.n; i++) {
			amr_frame_bits(re, (unsigned)rl, &b.f[i], bits2);
			if (memcmp(bits2, bits[i], (b.f[i].bits + 7u) / 8) != 0)
				abort();
		}
	}
	free(pl);
	return 0;
}
