/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AMR-NB and AMR-WB (RFC 4867) frame codecs: the payload parser and packer against
 * hand-built vectors and a bit-by-bit reference packetizer written here from the RFC, the
 * codec tables (fmtp, decoder, encoder, CMR, DTX) through struct mxp_media_codec_ops, and
 * interoperability with ffmpeg's own AMR decoders (amrnb, amrwb: not opencore) through
 * AMR storage files (RFC 4867 section 5).
 */
#include "mxp_test.h"
#include "mxp_media_codec.h"
#include "media_test_util.h"
#include "amr_payload.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <opencore-amrnb/interf_dec.h>
#include <opencore-amrnb/interf_enc.h>
#include <opencore-amrwb/dec_if.h>
#include <vo-amrwbenc/enc_if.h>

/* Speech bits per frame type, typed from 3GPP TS 26.101 / TS 26.201 table 1a (-1: the
 * payload is discarded, RFC 4867 section 4.3.2). Kept separate from amr_payload.c. */
static const int ref_nb_bits[16] = {95, 103, 118, 134, 148, 159, 204, 244, 39,
				    -1, -1, -1, -1, -1, -1, 0};
static const int ref_wb_bits[16] = {132, 177, 253, 285, 317, 365, 397, 461, 477, 40,
				    -1, -1, -1, -1, 0, 0};

static int
ref_bits(bool wb, unsigned ft)
{
	return wb ? ref_wb_bits[ft & 15] : ref_nb_bits[ft & 15];
}

/* ---- reference bit writer / reader: one bit at a time ---- */

struct bw {
	uint8_t b[1024];
	unsigned n; /* bits written */
};

static void
bw_put(struct bw *w, unsigned v, unsigned c)
{
	while (c-- > 0) {
		if ((v >> c) & 1)
			w->b[w->n / 8] |= (uint8_t)(0x80 >> (w->n % 8));
		w->n++;
	}
}

static void
bw_data(struct bw *w, const uint8_t *d, unsigned bits)
{
	for (unsigned i = 0; i < bits; i++)
		bw_put(w, (d[i / 8] >> (7 - i % 8)) & 1, 1);
}

static unsigned
bw_get(const uint8_t *p, unsigned *pos, unsigned c)
{
	unsigned v = 0;
	while (c-- > 0) {
		v = v << 1 | ((p[*pos / 8] >> (7 - *pos % 8)) & 1);
		(*pos)++;
	}
	return v;
}

struct rframe {
	unsigned ft, q;
	uint8_t d[64]; /* speech bits, MSB first */
};

/*
 * RFC 4867 section 4.3 (bandwidth-efficient) / 4.4 (octet-aligned), written from the text:
 * CMR, ToC (F, FT, Q [, P P]), the frames' bits, octet padding. bits[] overrides the
 * frame lengths (so reserved types can be built); n may exceed 6.
 */
static unsigned
ref_pack(bool wb, bool oa, unsigned cmr, const struct rframe *f, unsigned n, uint8_t *out)
{
	struct bw w;
	memset(&w, 0, sizeof(w));
	bw_put(&w, cmr, 4);
	if (oa)
		bw_put(&w, 0, 4);
	for (unsigned i = 0; i < n; i++) {
		bw_put(&w, i + 1 < n, 1);
		bw_put(&w, f[i].ft, 4);
		bw_put(&w, f[i].q, 1);
		if (oa)
			bw_put(&w, 0, 2);
	}
	for (unsigned i = 0; i < n; i++) {
		int b = ref_bits(wb, f[i].ft);
		bw_data(&w, f[i].d, b > 0 ? (unsigned)b : 0);
		if (oa)
			w.n = (w.n + 7) & ~7u;
	}
	unsigned len = (w.n + 7) / 8;
	memcpy(out, w.b, len);
	return len;
}

/* Reference depacketizer of a well-formed payload into storage-format frames (header octet
 * FT << 3 | Q << 2, then the bits): returns the frame count; sf[i] at i * 64. */
static unsigned
ref_unpack(bool wb, bool oa, const uint8_t *pl, unsigned *cmr, uint8_t sf[][64])
{
	unsigned pos = 0, n = 0, ft[16], q[16], f = 1;
	*cmr = bw_get(pl, &pos, 4);
	if (oa)
		pos += 4;
	while (f && n < 16) {
		f = bw_get(pl, &pos, 1);
		ft[n] = bw_get(pl, &pos, 4);
		q[n] = bw_get(pl, &pos, 1);
		if (oa)
			pos += 2;
		n++;
	}
	for (unsigned i = 0; i < n; i++) {
		int b = ref_bits(wb, ft[i]);
		memset(sf[i], 0, 64);
		sf[i][0] = (uint8_t)(ft[i] << 3 | q[i] << 2);
		for (int k = 0; k < b; k++)
			if (bw_get(pl, &pos, 1))
				sf[i][1 + k / 8] |= (uint8_t)(0x80 >> (k % 8));
		if (oa)
			pos = (pos + 7) & ~7u;
	}
	return n;
}

static void
rand_frame(struct rframe *f, bool wb, unsigned ft, unsigned q, uint32_t *seed)
{
	memset(f, 0, sizeof(*f));
	f->ft = ft;
	f->q = q;
	int b = ref_bits(wb, ft);
	for (int i = 0; i < (b + 7) / 8; i++)
		f->d[i] = (uint8_t)tu_rand(seed);
	if (b > 0 && (b & 7))
		f->d[b / 8] &= (uint8_t)(0xff << (8 - (b & 7)));
}

static const struct mxp_media_codec_ops *
ops_of(bool wb)
{
	return wb ? &mxp_media_amrwb_ops : &mxp_media_amr_ops;
}

static struct mxp_media_fmtp
fmtp(bool wb, const char *s)
{
	struct mxp_media_fmtp f;
	char err[128];
	memset(&f, 0, sizeof(f));
	if (ops_of(wb)->fmtp_parse(s, &f, err, sizeof(err)) != 0)
		printf("#   fmtp \"%s\": %s\n", s, err);
	return f;
}

/* Every truncation and one extra byte are malformed, for duration and decode alike. */
static void
check_truncations(struct mxp_test_ctx *t, bool wb, bool oa, const uint8_t *pl, unsigned len)
{
	const struct mxp_media_codec_ops *o = ops_of(wb);
	struct mxp_media_fmtp f = fmtp(wb, oa ? "octet-align=1" : "");
	void *d = o->dec_create(&f);
	static int16_t pcm[6 * 320];
	uint8_t *buf = malloc(len + 1);
	unsigned bad_dur = 0, bad_dec = 0;

	for (unsigned l = 0; l < len; l++) {
		/* an exactly sized copy: ASan sees a read beyond l */
		uint8_t *exact = malloc(l ? l : 1);
		memcpy(exact, pl, l);
		bad_dur += o->duration(&f, exact, l) != -1;
		bad_dec += o->decode(d, exact, l, pcm, 6 * 320, NULL) != -1;
		free(exact);
	}
	memcpy(buf, pl, len);
	buf[len] = 0;
	bad_dur += o->duration(&f, buf, len + 1) != -1;
	bad_dec += o->decode(d, buf, len + 1, pcm, 6 * 320, NULL) != -1;
	MXP_CHECK_EQ(t, bad_dur, 0);
	MXP_CHECK_EQ(t, bad_dec, 0);
	free(buf);
	o->dec_destroy(d);
}

/* ---- payload format ---- */

MXP_TEST(amr_payload_hand_built_vectors)
{
	/* Worked out bit by bit from RFC 4867 sections 4.3 and 4.4. */
	static const struct {
		bool wb, oa;
		const char *hex;
		unsigned cmr, n, ft0, q0;
	} v[] = {
		/* CMR 15, one NO_DATA: 1111 0 1111 1 + 6 pad | 1111 0000, 0 1111 1 00 */
		{false, false, "f7c0", 15, 1, 15, 1},
		{false, true, "f07c", 15, 1, 15, 1},
		/* AMR SID (FT 8, 39 bits, all ones): 1111 0 1000 1 + 39 x 1 + 7 pad */
		{false, false, "f47fffffffff80", 15, 1, 8, 1},
		{false, true, "f044fffffffffe", 15, 1, 8, 1},
		/* AMR-WB SID (FT 9, 40 bits, all ones) */
		{true, false, "f4ffffffffffc0", 15, 1, 9, 1},
		{true, true, "f04cffffffffff", 15, 1, 9, 1},
		/* AMR-WB SPEECH_LOST (FT 14, no bits) */
		{true, false, "f740", 15, 1, 14, 1},
		{true, true, "f074", 15, 1, 14, 1},
		/* CMR 2, three NO_DATA frames: 0010 111111 111111 011111 + 2 pad */
		{false, false, "2fff7c", 2, 3, 15, 1},
		{false, true, "20fcfc7c", 2, 3, 15, 1},
		{true, false, "2fff7c", 2, 3, 15, 1},
		/* CMR 7, NO_DATA with Q = 0: 0111 0 1111 0 */
		{false, false, "77 80", 7, 1, 15, 0},
		/* AMR 4.75 (FT 0, 95 bits, all ones): 1111 0 0000 1 + 95 x 1 + 7 pad;
		 * octet-aligned: the frame's last octet is 7 ones and a padding bit */
		{false, false, "f07f ffffffffffffffffffffff 80", 15, 1, 0, 1},
		{false, true, "f004 ffffffffffffffffffffff fe", 15, 1, 0, 1},
		/* CMR 0; SID (all ones), NO_DATA, 4.75 damaged (Q = 0, all ones):
		 * 0000 110001 111111 000000, 39 + 95 ones, 4 pad */
		{false, false, "0c7f03 ffffffffffffffffffffffffffffffff f0", 0, 3, 8, 1},
		{false, true, "00c4fc00 fffffffffe ffffffffffffffffffffff fe", 0, 3, 8, 1},
	};
	for (unsigned i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t pl[64], re[64];
		int len = mxp_test_hex(v[i].hex, pl, sizeof(pl));
		struct amr_toc toc;
		struct mxp_media_fmtp f = fmtp(v[i].wb, v[i].oa ? "octet-align=1" : "");
		MXP_CHECK_EQ(t, ops_of(v[i].wb)->duration(&f, pl, (unsigned)len),
			     (int)(v[i].n * (v[i].wb ? 320 : 160)));
		if (!MXP_CHECK(t, amr_parse(v[i].wb, v[i].oa, pl, (unsigned)len, &toc) == 0))
			continue;
		MXP_CHECK_EQ(t, toc.cmr, v[i].cmr);
		MXP_CHECK_EQ(t, toc.n, v[i].n);
		MXP_CHECK_EQ(t, toc.f[0].ft, v[i].ft0);
		MXP_CHECK_EQ(t, toc.f[0].q, v[i].q0);
		/* the packer makes the same bytes from the same frames */
		uint8_t data[AMR_MAX_FRAMES][AMR_MAX_FRAME_BYTES];
		struct amr_pack_frame pf[AMR_MAX_FRAMES];
		for (unsigned k = 0; k < toc.n; k++) {
			amr_frame_bits(pl, (unsigned)len, &toc.f[k], data[k]);
			pf[k] = (struct amr_pack_frame){toc.f[k].ft, toc.f[k].q, data[k]};
		}
		MXP_CHECK_EQ(t, amr_pack(v[i].wb, v[i].oa, toc.cmr, pf, toc.n, re, sizeof(re)), len);
		MXP_CHECK_MEM(t, re, pl, (size_t)len);
		if (toc.f[0].bits > 0) /* SID of all ones */
			MXP_CHECK_EQ(t, data[0][0], 0xff);
		check_truncations(t, v[i].wb, v[i].oa, pl, (unsigned)len);
	}
}

MXP_TEST(amr_payload_every_frame_type)
{
	uint32_t seed = 12345;
	for (int wb = 0; wb < 2; wb++)
		for (int oa = 0; oa < 2; oa++)
			for (unsigned ft = 0; ft < 16; ft++) {
				struct rframe fr;
				uint8_t pl[128], re[128];
				rand_frame(&fr, wb, ft, 1, &seed);
				unsigned len = ref_pack(wb, oa, 15, &fr, 1, pl);
				int bits = ref_bits(wb, ft);
				struct mxp_media_fmtp f = fmtp(wb, oa ? "octet-align=1" : "");
				int dur = ops_of(wb)->duration(&f, pl, len);
				if (bits < 0) {
					/* reserved: discarded (as built with no bits, and with some) */
					MXP_CHECK_EQ(t, dur, -1);
					pl[len] = 0;
					MXP_CHECK_EQ(t, ops_of(wb)->duration(&f, pl, len + 1), -1);
					continue;
				}
				/* sizes: BE 10 bits + frame, padded; OA 2 octets + frame octets */
				unsigned want = oa ? 2 + ((unsigned)bits + 7) / 8
						   : (10 + (unsigned)bits + 7) / 8;
				MXP_CHECK_EQ(t, len, want);
				MXP_CHECK_EQ(t, dur, wb ? 320 : 160);
				struct amr_toc toc;
				if (!MXP_CHECK(t, amr_parse(wb, oa, pl, len, &toc) == 0))
					continue;
				MXP_CHECK_EQ(t, toc.f[0].bits, bits);
				uint8_t d[AMR_MAX_FRAME_BYTES + 1];
				amr_frame_bits(pl, len, &toc.f[0], d);
				MXP_CHECK_MEM(t, d, fr.d, ((unsigned)bits + 7) / 8);
				struct amr_pack_frame pf = {(uint8_t)ft, 1, fr.d};
				MXP_CHECK_EQ(t, amr_pack_size(wb, oa, &pf, 1), (int)len);
				MXP_CHECK_EQ(t, amr_pack(wb, oa, 15, &pf, 1, re, sizeof(re)),
					     (int)len);
				MXP_CHECK_MEM(t, re, pl, len);
				check_truncations(t, wb, oa, pl, len);
			}
	/* max_payload: 6 frames of the highest mode, octet-aligned, fit exactly */
	for (int wb = 0; wb < 2; wb++) {
		struct rframe fr[6];
		uint8_t pl[512];
		for (int i = 0; i < 6; i++)
			rand_frame(&fr[i], wb, wb ? 8 : 7, 1, &seed);
		MXP_CHECK_EQ(t, ref_pack(wb, true, 15, fr, 6, pl), ops_of(wb)->max_payload);
		MXP_CHECK(t, ref_pack(wb, false, 15, fr, 6, pl) <= ops_of(wb)->max_payload);
	}
}

MXP_TEST(amr_payload_three_frames_and_limits)
{
	uint32_t seed = 777;
	for (int wb = 0; wb < 2; wb++)
		for (int oa = 0; oa < 2; oa++) {
			struct rframe fr[8];
			uint8_t pl[512], re[512];
			/* speech, SID, damaged speech; CMR 5 */
			rand_frame(&fr[0], wb, 0, 1, &seed);
			rand_frame(&fr[1], wb, wb ? 9 : 8, 1, &seed);
			rand_frame(&fr[2], wb, wb ? 8 : 7, 0, &seed);
			unsigned len = ref_pack(wb, oa, 5, fr, 3, pl);
			struct mxp_media_fmtp f = fmtp(wb, oa ? "octet-align=1" : "");
			MXP_CHECK_EQ(t, ops_of(wb)->duration(&f, pl, len), 3 * (wb ? 320 : 160));
			struct amr_toc toc;
			MXP_CHECK(t, amr_parse(wb, oa, pl, len, &toc) == 0);
			MXP_CHECK_EQ(t, toc.cmr, 5);
			MXP_CHECK_EQ(t, toc.n, 3);
			struct amr_pack_frame pf[3];
			for (int i = 0; i < 3; i++) {
				uint8_t d[AMR_MAX_FRAME_BYTES];
				MXP_CHECK_EQ(t, toc.f[i].ft, fr[i].ft);
				MXP_CHECK_EQ(t, toc.f[i].q, fr[i].q);
				amr_frame_bits(pl, len, &toc.f[i], d);
				MXP_CHECK_MEM(t, d, fr[i].d, (toc.f[i].bits + 7u) / 8);
				pf[i] = (struct amr_pack_frame){(uint8_t)fr[i].ft, (uint8_t)fr[i].q,
								fr[i].d};
			}
			MXP_CHECK_EQ(t, amr_pack(wb, oa, 5, pf, 3, re, sizeof(re)), (int)len);
			MXP_CHECK_MEM(t, re, pl, len);
			MXP_CHECK_EQ(t, amr_pack(wb, oa, 5, pf, 3, re, len - 1), -1); /* cap */
			check_truncations(t, wb, oa, pl, len);

			/* 6 frames: 120 ms; 7 frames: rejected */
			for (int i = 0; i < 8; i++)
				rand_frame(&fr[i], wb, (unsigned)i % 3, 1, &seed);
			len = ref_pack(wb, oa, 15, fr, 6, pl);
			MXP_CHECK_EQ(t, ops_of(wb)->duration(&f, pl, len), 6 * (wb ? 320 : 160));
			len = ref_pack(wb, oa, 15, fr, 7, pl);
			MXP_CHECK_EQ(t, ops_of(wb)->duration(&f, pl, len), -1);
			struct amr_pack_frame p7[7];
			for (int i = 0; i < 7; i++)
				p7[i] = (struct amr_pack_frame){(uint8_t)fr[i].ft, 1, fr[i].d};
			MXP_CHECK_EQ(t, amr_pack(wb, oa, 15, p7, 7, re, sizeof(re)), -1);
			/* a reserved type among good frames */
			rand_frame(&fr[1], wb, 12, 1, &seed);
			len = ref_pack(wb, oa, 15, fr, 3, pl);
			MXP_CHECK_EQ(t, ops_of(wb)->duration(&f, pl, len), -1);
			/* empty; a ToC whose last entry says more follow (F = 1) */
			MXP_CHECK_EQ(t, ops_of(wb)->duration(&f, pl, 0), -1);
			uint8_t fmore[2] = {0xf0, 0xfc}; /* OA: F=1 FT=15 */
			uint8_t fmore_be[2] = {0xff, 0xc0}; /* BE: 1111 1 1111 1 */
			MXP_CHECK_EQ(t, ops_of(wb)->duration(&f, oa ? fmore : fmore_be, 2), -1);
		}
}

/* ---- decoder ---- */

/* Frames encoded by the libraries directly (a speech-like signal), in storage format. */
static unsigned
lib_encode(bool wb, unsigned mode, unsigned nf, uint8_t sf[][64], int16_t *x)
{
	unsigned spf = wb ? 320 : 160;
	tu_speechlike(x, nf * spf, wb ? 16000 : 8000, 3);
	void *e = wb ? E_IF_init() : Encoder_Interface_init(0);
	for (unsigned i = 0; i < nf; i++) {
		memset(sf[i], 0, 64);
		if (wb)
			E_IF_encode(e, (int)mode, x + i * spf, sf[i], 0);
		else
			Encoder_Interface_Encode(e, (enum Mode)mode, x + i * spf, sf[i], 0);
	}
	if (wb)
		E_IF_exit(e);
	else
		Encoder_Interface_exit(e);
	return nf;
}

static void
lib_decode_all(bool wb, uint8_t sf[][64], unsigned nf, int16_t *y)
{
	void *d = wb ? D_IF_init() : Decoder_Interface_init();
	for (unsigned i = 0; i < nf; i++) {
		if (wb)
			D_IF_decode(d, sf[i], y + i * 320, 0);
		else
			Decoder_Interface_Decode(d, sf[i], y + i * 160, 0);
	}
	if (wb)
		D_IF_exit(d);
	else
		Decoder_Interface_exit(d);
}

#define DEC_NF 60 /* 1.2 s */

MXP_TEST(amr_decode_both_formats_identical_pcm)
{
	static uint8_t sf[DEC_NF][64];
	static int16_t x[DEC_NF * 320], ref[DEC_NF * 320], y[2][DEC_NF * 320];
	for (int wb = 0; wb < 2; wb++) {
		const struct mxp_media_codec_ops *o = ops_of(wb);
		unsigned spf = wb ? 320 : 160;
		for (unsigned mode = 0; mode <= (wb ? 8u : 7u); mode++) {
			lib_encode(wb, mode, DEC_NF, sf, x);
			lib_decode_all(wb, sf, DEC_NF, ref);
			for (int oa = 0; oa < 2; oa++) {
				struct mxp_media_fmtp f = fmtp(wb, oa ? "octet-align=1" : "");
				void *d = o->dec_create(&f);
				unsigned out = 0, speech = 0, fail = 0;
				/* 3 frames per packet (60 ms) */
				for (unsigned i = 0; i < DEC_NF; i += 3) {
					struct rframe fr[3];
					uint8_t pl[256];
					for (int k = 0; k < 3; k++) {
						fr[k].ft = (sf[i + k][0] >> 3) & 15;
						fr[k].q = (sf[i + k][0] >> 2) & 1;
						memcpy(fr[k].d, sf[i + k] + 1, 63);
					}
					unsigned len = ref_pack(wb, oa, 15, fr, 3, pl);
					struct mxp_media_rx_info info;
					int n = o->decode(d, pl, len, y[oa] + out, 3 * spf, &info);
					fail += n != (int)(3 * spf);
					if (n > 0)
						out += (unsigned)n;
					speech += info.speech;
					fail += info.cmr != -1 || info.mode != mode;
				}
				MXP_CHECK_EQ(t, fail, 0);
				MXP_CHECK_EQ(t, out, DEC_NF * spf);
				MXP_CHECK_EQ(t, speech, DEC_NF);
				o->dec_destroy(d);
			}
			/* BE and OA of the same frames decode to the same PCM, the library's */
			MXP_CHECK_MEM(t, y[0], y[1], DEC_NF * spf * 2);
			MXP_CHECK_MEM(t, y[0], ref, DEC_NF * spf * 2);
			double snr = tu_snr(x, y[0], DEC_NF * spf, 0);
			(void)snr;
		}
	}
}

MXP_TEST(amr_decode_damaged_no_data_and_conceal)
{
	static uint8_t sf[DEC_NF][64];
	static int16_t x[DEC_NF * 320], a[320 * 3], b[320 * 3], c[320 * 3];
	for (int wb = 0; wb < 2; wb++) {
		const struct mxp_media_codec_ops *o = ops_of(wb);
		unsigned spf = wb ? 320 : 160, mode = wb ? 2 : 7;
		struct mxp_media_fmtp f = fmtp(wb, "");
		lib_encode(wb, mode, DEC_NF, sf, x);
		void *d[4];
		for (int k = 0; k < 4; k++)
			d[k] = o->dec_create(&f);
		/* the same 20 packets of history into four decoders */
		for (unsigned i = 0; i < 20; i++) {
			struct rframe fr;
			uint8_t pl[128];
			fr.ft = mode;
			fr.q = 1;
			memcpy(fr.d, sf[i] + 1, 63);
			unsigned len = ref_pack(wb, false, 15, &fr, 1, pl);
			for (int k = 0; k < 4; k++)
				o->decode(d[k], pl, len, a, spf, NULL);
		}
		/* then frame 20 as good (d0), damaged Q = 0 (d1), NO_DATA (d2), concealed (d3) */
		struct rframe fr;
		uint8_t pl[128];
		struct mxp_media_rx_info info;
		fr.ft = mode;
		memcpy(fr.d, sf[20] + 1, 63);
		fr.q = 1;
		unsigned len = ref_pack(wb, false, 15, &fr, 1, pl);
		MXP_CHECK_EQ(t, o->decode(d[0], pl, len, a, spf, &info), (int)spf);
		MXP_CHECK_EQ(t, info.speech, 1);
		MXP_CHECK_EQ(t, info.damaged, 0);
		fr.q = 0;
		len = ref_pack(wb, false, 15, &fr, 1, pl);
		MXP_CHECK_EQ(t, o->decode(d[1], pl, len, b, spf, &info), (int)spf);
		MXP_CHECK_EQ(t, info.speech, 0);
		MXP_CHECK_EQ(t, info.damaged, 1);
		fr.ft = 15;
		fr.q = 1;
		len = ref_pack(wb, false, 3, &fr, 1, pl);
		MXP_CHECK_EQ(t, o->decode(d[2], pl, len, c, spf, &info), (int)spf);
		MXP_CHECK_EQ(t, info.no_data, 1);
		MXP_CHECK_EQ(t, info.damaged, 0);
		MXP_CHECK_EQ(t, info.cmr, 3);
		MXP_CHECK_EQ(t, info.mode, mode); /* of the last speech frame */
		MXP_CHECK_MEM(t, b, c, spf * 2);       /* damaged = lost: concealed */
		MXP_CHECK(t, memcmp(a, b, spf * 2) != 0); /* not what the good frame gives */
		/* concealment: not silence (it continues the speech) */
		MXP_CHECK(t, tu_max_step(c, spf) > 0);
		MXP_CHECK(t, o->conceal != NULL);
		MXP_CHECK_EQ(t, o->conceal(d[3], a, spf), (int)spf);
		MXP_CHECK_MEM(t, a, c, spf * 2);
		MXP_CHECK_EQ(t, o->conceal(d[3], a, spf + 1), -1);
		MXP_CHECK_EQ(t, o->conceal(d[3], a, 3 * spf), (int)(3 * spf));
		/* cap below the payload's samples: -1, nothing written */
		fr.ft = 15;
		len = ref_pack(wb, false, 15, &fr, 1, pl);
		memset(a, 0x55, sizeof(a));
		MXP_CHECK_EQ(t, o->decode(d[0], pl, len, a, spf - 1, &info), -1);
		MXP_CHECK_EQ(t, a[0], 0x5555);
		/* AMR-WB SPEECH_LOST (FT 14) is a lost frame: counted damaged */
		if (wb) {
			fr.ft = 14;
			len = ref_pack(wb, false, 15, &fr, 1, pl);
			MXP_CHECK_EQ(t, o->decode(d[0], pl, len, a, spf, &info), (int)spf);
			MXP_CHECK_EQ(t, info.damaged, 1);
		}
		/* a SID frame is counted as such; reserved CMR values read as none */
		fr.ft = wb ? 9 : 8;
		memset(fr.d, 0x5a, sizeof(fr.d));
		len = ref_pack(wb, false, 12, &fr, 1, pl);
		MXP_CHECK_EQ(t, o->decode(d[0], pl, len, a, spf, &info), (int)spf);
		MXP_CHECK_EQ(t, info.sid, 1);
		MXP_CHECK_EQ(t, info.cmr, -1);
		for (int k = 0; k < 4; k++)
			o->dec_destroy(d[k]);
	}
}

/* ---- fmtp ---- */

MXP_TEST(amr_fmtp_parse_format)
{
	static const struct {
		bool wb;
		const char *in, *out;
	} ok[] = {
		{false, "", ""},
		{false, NULL, ""},
		{false, "octet-align=0", ""},
		{false, "octet-align=1", "octet-align=1"},
		{false, " octet-align = 1 ; mode-set=0, 2,7 ", "octet-align=1;mode-set=0,2,7"},
		{false, "mode-set=7,0,2", "mode-set=0,2,7"},
		{false, "mode-set=0,1,2,3,4,5,6,7", ""}, /* all = the default */
		{true, "mode-set=0,1,2,3,4,5,6,7", "mode-set=0,1,2,3,4,5,6,7"},
		{true, "mode-set=0,1,2,3,4,5,6,7,8", ""},
		{true, "mode-set=8", "mode-set=8"},
		{false, "mode-change-period=2;mode-change-neighbor=1;mode-change-capability=2",
		 "mode-change-period=2;mode-change-capability=2;mode-change-neighbor=1"},
		{false, "mode-change-period=1;mode-change-neighbor=0;mode-change-capability=1", ""},
		{false, "MODE-SET=1;Octet-Align=1", "octet-align=1;mode-set=1"},
		{false, "max-red=220;crc=0;robust-sorting=0;channels=1", ""},
		{false, "foo=bar;x;octet-align=1;;", "octet-align=1"}, /* unknown: ignored */
		{true, "dtx=0", ""}, /* private: not in the SDP */
	};
	for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		const struct mxp_media_codec_ops *o = ops_of(ok[i].wb);
		struct mxp_media_fmtp f, g;
		char err[128] = "", buf[128];
		memset(&f, 0, sizeof(f));
		int rc = o->fmtp_parse(ok[i].in, &f, err, sizeof(err));
		if (!MXP_CHECK(t, rc == 0)) {
			printf("#   \"%s\": %d %s\n", ok[i].in, rc, err);
			continue;
		}
		int n = o->fmtp_format(&f, buf, sizeof(buf));
		MXP_CHECK_STR(t, buf, ok[i].out);
		MXP_CHECK_EQ(t, n, strlen(ok[i].out));
		/* round trip: the formatted text parses to the same block (dtx aside) */
		memset(&g, 0, sizeof(g));
		MXP_CHECK_EQ(t, o->fmtp_parse(buf, &g, err, sizeof(err)), 0);
		if (strcmp(ok[i].in ? ok[i].in : "", "dtx=0") != 0)
			MXP_CHECK_MEM(t, &f, &g, sizeof(f));
		/* snprintf semantics */
		char small[5];
		MXP_CHECK_EQ(t, o->fmtp_format(&f, small, sizeof(small)), n);
		MXP_CHECK_EQ(t, strncmp(small, buf, 4), 0);
		MXP_CHECK(t, strlen(small) <= 4);
		MXP_CHECK_EQ(t, o->fmtp_format(&f, NULL, 0), n);
	}
	/* the mode-set of the zero block and of "" is every mode: the same block */
	struct mxp_media_fmtp z, e;
	memset(&z, 0, sizeof(z));
	e = fmtp(false, "mode-set=0,1,2,3,4,5,6,7");
	MXP_CHECK_MEM(t, &z, &e, sizeof(z));

	static const struct {
		bool wb;
		const char *in;
		int rc;
		const char *err;
	} bad[] = {
		{false, "crc=1", -ENOTSUP, "AMR: crc=1 not supported"},
		{true, "robust-sorting=1", -ENOTSUP, "AMR-WB: robust-sorting=1 not supported"},
		{false, "interleaving=1", -ENOTSUP, "AMR: interleaving=1 not supported"},
		{false, "channels=2", -ENOTSUP, "AMR: channels=2 not supported"},
		{false, "octet-align=2", -EINVAL, "AMR: bad value for octet-align"},
		{false, "octet-align=", -EINVAL, "AMR: bad value for octet-align"},
		{false, "octet-align", -EINVAL, "AMR: bad value for octet-align"},
		{false, "mode-set=8", -EINVAL, "AMR: bad value for mode-set"},
		{true, "mode-set=9", -EINVAL, "AMR-WB: bad value for mode-set"},
		{false, "mode-set=", -EINVAL, "AMR: bad value for mode-set"},
		{false, "mode-set=1,,2", -EINVAL, "AMR: bad value for mode-set"},
		{false, "mode-set=1,", -EINVAL, "AMR: bad value for mode-set"},
		{false, "mode-set=a", -EINVAL, "AMR: bad value for mode-set"},
		{false, "mode-set=-1", -EINVAL, "AMR: bad value for mode-set"},
		{false, "mode-change-period=3", -EINVAL, "AMR: bad value for mode-change-period"},
		{false, "mode-change-period=0", -EINVAL, "AMR: bad value for mode-change-period"},
		{false, "mode-change-capability=3", -EINVAL,
		 "AMR: bad value for mode-change-capability"},
		{false, "mode-change-neighbor=yes", -EINVAL,
		 "AMR: bad value for mode-change-neighbor"},
		{false, "max-red=x", -EINVAL, "AMR: bad value for max-red"},
		{false, "crc=2", -EINVAL, "AMR: bad value for crc"},
		{false, "channels=0", -EINVAL, "AMR: bad value for channels"},
		{false, "dtx=2", -EINVAL, "AMR: bad value for dtx"},
	};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct mxp_media_fmtp f;
		char err[128] = "";
		memset(&f, 0, sizeof(f));
		int rc = ops_of(bad[i].wb)->fmtp_parse(bad[i].in, &f, err, sizeof(err));
		MXP_CHECK_EQ(t, rc, bad[i].rc);
		MXP_CHECK_STR(t, err, bad[i].err);
	}
}

/* ---- encoder ---- */

/* Encode one packet of a tone; the frame types of the payload (parsed independently). */
static int
enc_packet(void *e, bool wb, bool oa, unsigned nf, uint64_t *pos, double amp, unsigned *ft,
	   uint8_t *out)
{
	static int16_t x[6 * 320];
	unsigned spf = wb ? 320 : 160;
	tu_tone(x, nf * spf, wb ? 3000 : 1000, amp, wb ? 16000 : 8000, *pos);
	*pos += nf * spf;
	int n = ops_of(wb)->encode(e, x, nf * spf, out, 512);
	if (n > 0) {
		uint8_t sf[16][64];
		unsigned cmr;
		unsigned k = ref_unpack(wb, oa, out, &cmr, sf);
		for (unsigned i = 0; i < k && i < nf; i++)
			ft[i] = sf[i][0] >> 3;
	}
	return n;
}

MXP_TEST(amr_encoder_modes_and_cmr)
{
	uint8_t out[512];
	unsigned ft[6];
	uint64_t pos = 0;
	struct mxp_media_codec_state st;

	/* defaults: AMR starts at 12.2, AMR-WB at 12.65; CMR 15 sent; DTX on */
	for (int wb = 0; wb < 2; wb++) {
		const struct mxp_media_codec_ops *o = ops_of(wb);
		struct mxp_media_fmtp f = fmtp(wb, "");
		void *e = o->enc_create(&f, 20);
		o->enc_state(e, &st);
		MXP_CHECK_EQ(t, st.mode, wb ? 2 : 7);
		MXP_CHECK_EQ(t, st.cmr_sent, -1);
		MXP_CHECK_EQ(t, st.bitrate, wb ? 12650 : 12200);
		MXP_CHECK(t, st.dtx);
		int n = enc_packet(e, wb, false, 1, &pos, 8000, ft, out);
		MXP_CHECK_EQ(t, n, (10 + (wb ? 253 : 244) + 7) / 8);
		MXP_CHECK_EQ(t, out[0] >> 4, 15);
		MXP_CHECK_EQ(t, ft[0], wb ? 2 : 7);
		/* CMR to each mode: followed at once (period 1, no neighbour rule) */
		unsigned bad = 0;
		for (int m = 0; m <= (wb ? 8 : 7); m++) {
			o->enc_request(e, m);
			enc_packet(e, wb, false, 1, &pos, 8000, ft, out);
			o->enc_state(e, &st);
			bad += ft[0] != (unsigned)m || st.mode != m ||
			       st.bitrate != amr_mode_bitrate(wb, (unsigned)m);
		}
		MXP_CHECK_EQ(t, bad, 0);
		o->enc_request(e, 12); /* reserved: ignored */
		enc_packet(e, wb, false, 1, &pos, 8000, ft, out);
		MXP_CHECK_EQ(t, ft[0], wb ? 8 : 7);
		o->enc_request(e, 15); /* no request any more: back to the starting mode */
		enc_packet(e, wb, false, 1, &pos, 8000, ft, out);
		MXP_CHECK_EQ(t, ft[0], wb ? 2 : 7);
		o->enc_destroy(e);
		MXP_CHECK(t, o->enc_create(&f, 30) == NULL);
		MXP_CHECK(t, o->enc_create(&f, 140) == NULL);
		MXP_CHECK(t, o->enc_create(&f, 0) == NULL);
		MXP_CHECK(t, o->dec_mem(&f) > 1000 && o->enc_mem(&f) > 1000);
	}

	/* mode-set 0,2,5 (AMR): starts at 5; CMR 7 -> 5, CMR 4 -> 2, CMR 1 -> 0; CMR 2 -> 2 */
	{
		const struct mxp_media_codec_ops *o = ops_of(false);
		struct mxp_media_fmtp f = fmtp(false, "mode-set=0,2,5;octet-align=1");
		void *e = o->enc_create(&f, 60);
		static const int req[] = {-1, 7, 4, 1, 2, 6};
		static const unsigned want[] = {5, 5, 2, 0, 2, 5};
		for (unsigned i = 0; i < 6; i++) {
			if (req[i] >= 0)
				o->enc_request(e, req[i]);
			int n = enc_packet(e, false, true, 3, &pos, 8000, ft, out);
			MXP_CHECK(t, n > 0);
			MXP_CHECK_EQ(t, ft[0], want[i]);
			MXP_CHECK_EQ(t, ft[2], want[i]);
		}
		o->enc_destroy(e);
	}
	/* AMR-WB mode-set 0,1 : starts at 1 (highest at or below 12.65); 3,8: starts at 3 */
	{
		struct mxp_media_fmtp f = fmtp(true, "mode-set=0,1");
		void *e = mxp_media_amrwb_ops.enc_create(&f, 20);
		mxp_media_amrwb_ops.enc_state(e, &st);
		MXP_CHECK_EQ(t, st.mode, 1);
		mxp_media_amrwb_ops.enc_destroy(e);
		f = fmtp(true, "mode-set=3,8");
		e = mxp_media_amrwb_ops.enc_create(&f, 20);
		mxp_media_amrwb_ops.enc_state(e, &st);
		MXP_CHECK_EQ(t, st.mode, 3);
		mxp_media_amrwb_ops.enc_request(e, 8);
		enc_packet(e, true, false, 1, &pos, 8000, ft, out);
		MXP_CHECK_EQ(t, ft[0], 8);
		mxp_media_amrwb_ops.enc_destroy(e);
	}
	/* mode-change-period=2: a change takes effect on even frames only (3 frames per
	 * packet: frames 0 1 2 | 3 4 5 | ...) */
	{
		const struct mxp_media_codec_ops *o = ops_of(false);
		struct mxp_media_fmtp f = fmtp(false, "mode-change-period=2");
		void *e = o->enc_create(&f, 60);
		enc_packet(e, false, false, 3, &pos, 8000, ft, out); /* frames 0-2 at 7 */
		o->enc_request(e, 4);
		enc_packet(e, false, false, 3, &pos, 8000, ft, out); /* frames 3, 4, 5 */
		MXP_CHECK_EQ(t, ft[0], 7); /* frame 3: odd, no change */
		MXP_CHECK_EQ(t, ft[1], 4);
		MXP_CHECK_EQ(t, ft[2], 4);
		o->enc_request(e, 1);
		enc_packet(e, false, false, 3, &pos, 8000, ft, out); /* frames 6, 7, 8 */
		MXP_CHECK_EQ(t, ft[0], 1);
		o->enc_destroy(e);
	}
	/* mode-change-neighbor=1 with mode-set 0,2,5,7: 7 -> 5 -> 2 -> 0, one step a frame;
	 * with period 2 as well: one step every other frame */
	{
		const struct mxp_media_codec_ops *o = ops_of(false);
		struct mxp_media_fmtp f = fmtp(false, "mode-set=0,2,5,7;mode-change-neighbor=1");
		void *e = o->enc_create(&f, 120);
		o->enc_request(e, 0);
		enc_packet(e, false, false, 6, &pos, 8000, ft, out);
		static const unsigned w1[6] = {5, 2, 0, 0, 0, 0};
		for (int i = 0; i < 6; i++)
			MXP_CHECK_EQ(t, ft[i], w1[i]);
		o->enc_request(e, 6); /* not in the set: 5, two steps up */
		enc_packet(e, false, false, 6, &pos, 8000, ft, out);
		static const unsigned w2[6] = {2, 5, 5, 5, 5, 5};
		for (int i = 0; i < 6; i++)
			MXP_CHECK_EQ(t, ft[i], w2[i]);
		o->enc_destroy(e);
		f = fmtp(false, "mode-set=0,2,5,7;mode-change-neighbor=1;mode-change-period=2");
		e = o->enc_create(&f, 120);
		o->enc_request(e, 0);
		enc_packet(e, false, false, 6, &pos, 8000, ft, out);
		static const unsigned w3[6] = {5, 5, 2, 2, 0, 0};
		for (int i = 0; i < 6; i++)
			MXP_CHECK_EQ(t, ft[i], w3[i]);
		o->enc_destroy(e);
	}
	/* cap too small, wrong sample count */
	{
		struct mxp_media_fmtp f = fmtp(false, "");
		void *e = mxp_media_amr_ops.enc_create(&f, 20);
		int16_t x[160] = {0};
		MXP_CHECK_EQ(t, mxp_media_amr_ops.encode(e, x, 160, out, 10), -1);
		MXP_CHECK_EQ(t, mxp_media_amr_ops.encode(e, x, 150, out, 512), -1);
		mxp_media_amr_ops.enc_destroy(e);
	}
}

MXP_TEST(amr_encoder_dtx)
{
	uint8_t out[512];
	unsigned ft[6];
	for (int wb = 0; wb < 2; wb++)
		for (int dtx = 0; dtx < 2; dtx++) {
			const struct mxp_media_codec_ops *o = ops_of(wb);
			struct mxp_media_fmtp f = fmtp(wb, dtx ? "" : "dtx=0");
			void *e = o->enc_create(&f, 20);
			struct mxp_media_codec_state st;
			o->enc_state(e, &st);
			MXP_CHECK_EQ(t, st.dtx, dtx);
			uint64_t pos = 0;
			unsigned speech = 0, sid = 0, nodata = 0, zero = 0, bad = 0;
			int last_sid = -1, gap_bad = 0;
			/* 0.5 s of tone, then 2 s of silence */
			for (int i = 0; i < 125; i++) {
				ft[0] = 99;
				int n = enc_packet(e, wb, false, 1, &pos, i < 25 ? 8000 : 0, ft, out);
				if (n == 0) {
					zero++;
					continue;
				}
				if (n < 0) {
					bad++;
					continue;
				}
				if (ft[0] <= (wb ? 8u : 7u)) {
					speech++;
				} else if (ft[0] == (wb ? 9u : 8u)) {
					/* after SID_FIRST, SID_UPDATE every 8th frame */
					if (last_sid >= 0 && sid >= 2 && i - last_sid != 8)
						gap_bad++;
					sid++;
					last_sid = i;
				} else if (ft[0] == 15) {
					nodata++; /* never sent alone */
				} else {
					bad++;
				}
			}
			printf("#   %s dtx=%d: %u speech, %u SID, %u empty packets\n",
			       wb ? "AMR-WB" : "AMR", dtx, speech, sid, zero);
			MXP_CHECK_EQ(t, bad, 0);
			MXP_CHECK_EQ(t, nodata, 0);
			if (dtx) {
				MXP_CHECK(t, speech >= 25 && speech < 40); /* tone + hangover */
				MXP_CHECK(t, sid >= 10 && sid <= 14); /* ~ every 8th of 90+ */
				MXP_CHECK_EQ(t, gap_bad, 0);
				MXP_CHECK(t, zero > 70);
				MXP_CHECK_EQ(t, speech + sid + zero, 125);
			} else {
				MXP_CHECK_EQ(t, speech, 125);
			}
			o->enc_destroy(e);
			/* 40 ms packets: NO_DATA frames go out beside a SID frame */
			if (dtx) {
				e = o->enc_create(&f, 40);
				pos = 0;
				unsigned mixed = 0, empty = 0;
				for (int i = 0; i < 60; i++) {
					ft[0] = ft[1] = 99;
					int n = enc_packet(e, wb, false, 2, &pos, i < 10 ? 8000 : 0,
							   ft, out);
					empty += n == 0;
					mixed += n > 0 && (ft[0] == 15 || ft[1] == 15);
				}
				MXP_CHECK(t, mixed > 0);
				MXP_CHECK(t, empty > 0);
				o->enc_destroy(e);
			}
		}
}

/*
 * Worker functions must not allocate: count the allocator's entries. Plain builds: this
 * binary's malloc, calloc and realloc interpose glibc's (for the libraries too) and
 * forward to it; under AddressSanitizer, its allocation hook counts instead.
 */
static long allocs;

#if defined(__SANITIZE_ADDRESS__)
#define AMR_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define AMR_TEST_ASAN 1
#endif
#endif

#ifdef AMR_TEST_ASAN
int __sanitizer_install_malloc_and_free_hooks(void (*m)(const volatile void *, size_t),
					      void (*f)(const volatile void *));

static void
count_alloc(const volatile void *p, size_t n)
{
	(void)p;
	(void)n;
	allocs++;
}

static void
count_free(const volatile void *p)
{
	(void)p;
}

static void
alloc_count_start(void)
{
	static bool done;
	if (!done) /* both hooks: the runtime refuses a NULL one */
		__sanitizer_install_malloc_and_free_hooks(count_alloc, count_free);
	done = true;
}
#else
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);

void *
malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}

void *
calloc(size_t n, size_t m)
{
	allocs++;
	return __libc_calloc(n, m);
}

void *
realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}

static void
alloc_count_start(void)
{
}
#endif

MXP_TEST(amr_worker_functions_do_not_allocate)
{
	static int16_t x[6 * 320], y[6 * 320];
	uint8_t pl[512];
	alloc_count_start();
	for (int wb = 0; wb < 2; wb++) {
		const struct mxp_media_codec_ops *o = ops_of(wb);
		unsigned spf = wb ? 320 : 160;
		struct mxp_media_fmtp f = fmtp(wb, "");
		long before = allocs;
		void *e = o->enc_create(&f, 120), *d = o->dec_create(&f);
		MXP_CHECK(t, allocs > before); /* the counter sees the libraries' allocations */
		before = allocs;
		for (int i = 0; i < 40; i++) {
			tu_speechlike(x, 6 * spf, wb ? 16000 : 8000, (uint32_t)i + 1);
			if (i >= 20)
				memset(x, 0, sizeof(x)); /* DTX too */
			o->enc_request(e, i % 9);
			int n = o->encode(e, x, 6 * spf, pl, sizeof(pl));
			if (n > 0) {
				o->duration(&f, pl, (unsigned)n);
				o->decode(d, pl, (unsigned)n, y, 6 * spf, NULL);
			} else {
				o->conceal(d, y, 6 * spf);
			}
		}
		MXP_CHECK_EQ(t, allocs - before, 0);
		o->enc_destroy(e);
		o->dec_destroy(d);
	}
}

/* ---- ffmpeg interoperability ---- */

/* Peak frequency on a 50 Hz grid (Goertzel) of n samples at fs. */
static double
peak_freq(const int16_t *x, unsigned n, unsigned fs)
{
	double best = 0, bf = 0;
	for (double fr = 100; fr < fs / 2.0 - 50; fr += 50) {
		double p = tu_goertzel(x, n, fr, fs);
		if (p > best) {
			best = p;
			bf = fr;
		}
	}
	return bf;
}

/*
 * The test tone: AMR 700 Hz, AMR-WB 3 kHz (1 kHz at 6.60 and 8.85, which code a 3 kHz
 * tone 5 to 19 dB low: opencore and ffmpeg agree on that, it is the encoder's). Not 1 kHz
 * for AMR: ffmpeg's decoder (floating point, not bit-exact) renders a pure 1 kHz tone of
 * 12.2 kbit/s frames 8 dB low, frames made by opencore's encoder alone, without our code
 * (opencore's decoder renders them at the level sent); at 700 Hz every mode agrees.
 */
static double
tone_freq(bool wb, unsigned mode)
{
	return wb ? (mode < 2 ? 1000 : 3000) : 700;
}

#define SEG_NF 48 /* frames per mode: 0.96 s */
#define TONE_AMP 10000

/*
 * One encoder (ptime 60; AMR bandwidth-efficient, AMR-WB octet-aligned), asked by CMR for
 * each mode in turn, SEG_NF frames of a tone each; its payloads taken apart by the
 * reference depacketizer into an AMR storage file (RFC 4867 section 5: "#!AMR\n" or
 * "#!AMR-WB\n", then the frames), which ffmpeg decodes. Done once per codec.
 */
struct ffrun {
	bool done, ok;
	unsigned nsf;          /* frames */
	unsigned mode_bad;     /* frames whose type was not the mode asked for */
	uint8_t sf[9 * SEG_NF][64];
	long n;                /* samples ffmpeg decoded */
	int16_t *ff;
};

static struct ffrun ffr[2];

static const struct ffrun *
ff_run(bool wb)
{
	struct ffrun *R = &ffr[wb];
	if (R->done)
		return R;
	R->done = true;
	const struct mxp_media_codec_ops *o = ops_of(wb);
	struct mxp_media_fmtp f = fmtp(wb, wb ? "dtx=0;octet-align=1" : "dtx=0");
	void *e = o->enc_create(&f, 60);
	unsigned spf = wb ? 320 : 160, nm = wb ? 9 : 8;
	static int16_t x[3 * 320];
	static uint8_t file[9 * SEG_NF * 64 + 16];
	const char *magic = wb ? "#!AMR-WB\n" : "#!AMR\n";
	size_t fl = strlen(magic);
	uint64_t pos = 0;
	memcpy(file, magic, fl);
	for (unsigned m = 0; m < nm; m++) {
		o->enc_request(e, (int)m);
		for (unsigned i = 0; i < SEG_NF; i += 3) {
			uint8_t pl[512], fr[16][64];
			unsigned cmr;
			tu_tone(x, 3 * spf, tone_freq(wb, m), TONE_AMP, wb ? 16000 : 8000, pos);
			pos += 3 * spf;
			int n = o->encode(e, x, 3 * spf, pl, sizeof(pl));
			if (n <= 0)
				return R;
			unsigned k = ref_unpack(wb, wb, pl, &cmr, fr);
			for (unsigned j = 0; j < k; j++) {
				int b = ref_bits(wb, fr[j][0] >> 3);
				R->mode_bad += (unsigned)(fr[j][0] >> 3) != m || b <= 0;
				memcpy(R->sf[R->nsf++], fr[j], 64);
				memcpy(file + fl, fr[j], 1 + ((unsigned)b + 7) / 8);
				fl += 1 + ((unsigned)b + 7) / 8;
			}
		}
	}
	o->enc_destroy(e);
	char in[128], outp[128], args[512];
	snprintf(in, sizeof(in), "%s/t%d.amr", tu_tmpdir(), wb);
	snprintf(outp, sizeof(outp), "%s/t%d.raw", tu_tmpdir(), wb);
	if (tu_write(in, file, fl) != 0)
		return R;
	snprintf(args, sizeof(args), "-i %s -f s16le -ar %u -ac 1 %s", in, wb ? 16000 : 8000,
		 outp);
	if (tu_ffmpeg(args) != 0)
		return R;
	uint8_t *raw = NULL;
	long nb = tu_read(outp, &raw);
	R->ff = (int16_t *)raw;
	R->n = nb < 0 ? -1 : nb / 2;
	R->ok = R->n == (long)(R->nsf * spf) && R->nsf == nm * SEG_NF;
	return R;
}

MXP_TEST(amr_ffmpeg_decodes_our_encoder_every_mode)
{
	for (int wb = 0; wb < 2; wb++) {
		const struct ffrun *R = ff_run(wb);
		unsigned spf = wb ? 320 : 160, fs = wb ? 16000 : 8000;
		if (!MXP_CHECK(t, R->ok)) {
			printf("#   %s: %u frames, %ld samples from ffmpeg\n", wb ? "AMR-WB" : "AMR",
			       R->nsf, R->n);
			continue;
		}
		MXP_CHECK_EQ(t, R->mode_bad, 0); /* the encoder followed each CMR at once */
		for (unsigned m = 0; m <= (wb ? 8u : 7u); m++) {
			/* the second half of each mode's segment */
			unsigned len = SEG_NF / 2 * spf;
			const int16_t *y = R->ff + (m * SEG_NF + SEG_NF / 2) * spf;
			double freq = tone_freq(wb, m);
			double pk = peak_freq(y, len, fs);
			double lvl = tu_tone_dbfs(y, len, freq, fs);
			double want = 20 * log10(TONE_AMP / 32767.0);
			printf("#   %s mode %u: ffmpeg decodes a %.0f Hz peak at %.2f dBFS (sent "
			       "%.0f Hz at %.2f)\n", wb ? "AMR-WB" : "AMR", m, pk, lvl, freq, want);
			MXP_CHECK(t, fabs(pk - freq) < 1);
			MXP_CHECK(t, fabs(lvl - want) < 3);
		}
	}
}

MXP_TEST(amr_our_decoder_matches_ffmpeg)
{
	/* ffmpeg cannot encode AMR (no libopencore_amrnb / libvo_amrwbenc encoders in
	 * Debian's build): the same frames are decoded by ffmpeg (from the storage file)
	 * and by our decoder (from RTP payloads the reference packetizer built in both
	 * formats); the two decoders are independent implementations of 3GPP's. */
	static int16_t y[9 * SEG_NF * 320];
	for (int wb = 0; wb < 2; wb++) {
		const struct ffrun *R = ff_run(wb);
		const struct mxp_media_codec_ops *o = ops_of(wb);
		unsigned spf = wb ? 320 : 160, fs = wb ? 16000 : 8000;
		if (!MXP_CHECK(t, R->ok))
			continue;
		for (int oa = 0; oa < 2; oa++) {
			struct mxp_media_fmtp f = fmtp(wb, oa ? "octet-align=1" : "");
			void *d = o->dec_create(&f);
			unsigned out = 0;
			for (unsigned i = 0; i + 3 <= R->nsf; i += 3) {
				struct rframe fr[3];
				uint8_t pl[512];
				for (int k = 0; k < 3; k++) {
					fr[k].ft = R->sf[i + k][0] >> 3;
					fr[k].q = 1;
					memcpy(fr[k].d, R->sf[i + k] + 1, 63);
				}
				unsigned len = ref_pack(wb, oa, 15, fr, 3, pl);
				int r = o->decode(d, pl, len, y + out, 3 * spf, NULL);
				if (r > 0)
					out += (unsigned)r;
			}
			o->dec_destroy(d);
			MXP_CHECK_EQ(t, out, R->nsf * spf);
			for (unsigned m = 0; m <= (wb ? 8u : 7u); m++) {
				unsigned at = (m * SEG_NF + SEG_NF / 2) * spf, len = SEG_NF / 2 * spf;
				double freq = tone_freq(wb, m);
				double snr = tu_snr(R->ff + at, y + at, len, 0);
				double pk = peak_freq(y + at, len, fs);
				double lo = tu_tone_dbfs(y + at, len, freq, fs);
				double lf = tu_tone_dbfs(R->ff + at, len, freq, fs);
				printf("#   %s mode %u %s: our decoder vs ffmpeg's: SNR %.1f dB; "
				       "%.0f Hz at %.2f dBFS (ffmpeg %.2f)\n", wb ? "AMR-WB" : "AMR", m,
				       oa ? "OA" : "BE", snr, pk, lo, lf);
				/* two CELP decoders, one fixed point, one floating point, on a pure
				 * tone: SNR 10 to 34 dB, levels within 1.6 dB (measured); frames
				 * decoded wrong would be noise */
				MXP_CHECK(t, snr > 8);
				MXP_CHECK(t, fabs(lo - lf) < 2);
				MXP_CHECK(t, fabs(pk - freq) < 1);
			}
		}
	}
}

MXP_TEST(amr_ffmpeg_rtp_packetizer_to_our_decoder)
{
	/* ffmpeg's RTP muxer (rtpenc_amr: octet-aligned, RFC 3267/4867) packetizes the storage
	 * file of our encoder's frames ("-c copy", up to 3 frames a packet by -max_delay); the
	 * payloads arrive on a UDP socket here and go through our parser and decoder: the
	 * frames' bits are the file's, our packer makes the same bytes from them, and the PCM
	 * is the library's own decoding of them. */
	static int16_t y[9 * SEG_NF * 320], ref[9 * SEG_NF * 320];
	for (int wb = 0; wb < 2; wb++) {
		const struct ffrun *R = ff_run(wb);
		const struct mxp_media_codec_ops *o = ops_of(wb);
		unsigned spf = wb ? 320 : 160;
		if (!MXP_CHECK(t, R->ok))
			continue;
		int sk = socket(AF_INET, SOCK_DGRAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET,
					.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
		socklen_t al = sizeof(a);
		/* ffmpeg sends as fast as it can (< 150 packets of < 200 bytes) before the test
		 * reads any: the kernel caps the buffer at rmem_max (doubled), 416 KB by
		 * default, enough for them; a drop would show as a sequence gap */
		int rb = 4 << 20;
		setsockopt(sk, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb));
		if (!MXP_CHECK(t, sk >= 0 && bind(sk, (struct sockaddr *)&a, sizeof(a)) == 0 &&
				       getsockname(sk, (struct sockaddr *)&a, &al) == 0)) {
			close(sk);
			continue;
		}
		unsigned port = ntohs(a.sin_port);
		char args[512];
		snprintf(args, sizeof(args),
			 "-i %s/t%d.amr -c copy -max_delay 50000 -f rtp "
			 "'rtp://127.0.0.1:%u?rtcpport=%u' >/dev/null", tu_tmpdir(), wb, port, port);
		if (!MXP_CHECK(t, tu_ffmpeg(args) == 0)) {
			close(sk);
			continue;
		}
		struct mxp_media_fmtp f = fmtp(wb, "octet-align=1");
		void *d = o->dec_create(&f);
		unsigned pkts = 0, frames = 0, out = 0, bad = 0, multi = 0;
		uint16_t seq = 0;
		uint8_t b[2048];
		ssize_t n;
		while ((n = recv(sk, b, sizeof(b), MSG_DONTWAIT)) > 0) {
			if (n < 12 || (b[1] >= 200 && b[1] <= 204))
				continue; /* RTCP */
			unsigned h = 12 + 4 * (b[0] & 15u);
			if ((b[0] & 0x10) && (size_t)n >= h + 4)
				h += 4 + 4 * (unsigned)(b[h + 2] << 8 | b[h + 3]);
			uint16_t sq = (uint16_t)(b[2] << 8 | b[3]);
			bad += pkts > 0 && sq != (uint16_t)(seq + 1); /* none lost or reordered */
			seq = sq;
			pkts++;
			if ((size_t)n <= h) {
				bad++;
				continue;
			}
			const uint8_t *pl = b + h;
			unsigned len = (unsigned)n - h;
			struct amr_toc toc;
			int dur = o->duration(&f, pl, len);
			if (dur <= 0 || amr_parse(wb, true, pl, len, &toc) != 0) {
				bad++;
				continue;
			}
			multi += toc.n > 1;
			struct amr_pack_frame pf[AMR_MAX_FRAMES];
			unsigned i;
			for (i = 0; i < toc.n && frames < R->nsf; i++, frames++) {
				uint8_t bits[AMR_MAX_FRAME_BYTES];
				amr_frame_bits(pl, len, &toc.f[i], bits);
				bad += toc.f[i].ft != R->sf[frames][0] >> 3 || toc.f[i].q != 1 ||
				       memcmp(bits, R->sf[frames] + 1, (toc.f[i].bits + 7u) / 8) != 0;
				pf[i] = (struct amr_pack_frame){toc.f[i].ft, 1, R->sf[frames] + 1};
			}
			/* our packer makes ffmpeg's bytes from the same frames */
			uint8_t re[512];
			bad += i != toc.n ||
			       amr_pack(wb, true, toc.cmr, pf, toc.n, re, sizeof(re)) != (int)len ||
			       memcmp(re, pl, len) != 0;
			int r = o->decode(d, pl, len, y + out, 6 * spf, NULL);
			bad += r != dur;
			if (r > 0)
				out += (unsigned)r;
		}
		close(sk);
		o->dec_destroy(d);
		printf("#   %s: ffmpeg sent %u RTP packets, %u frames (%u packets of 2 or more)\n",
		       wb ? "AMR-WB" : "AMR", pkts, frames, multi);
		MXP_CHECK_EQ(t, bad, 0);
		/* ffmpeg's muxer does not flush the frames it holds at the end: the last
		 * packet (up to 3 frames) is never sent */
		MXP_CHECK(t, frames <= R->nsf && frames + 3 >= R->nsf);
		MXP_CHECK(t, multi > 0);
		MXP_CHECK_EQ(t, out, frames * spf);
		uint8_t(*sf)[64] = malloc(sizeof(R->sf));
		memcpy(sf, R->sf, sizeof(R->sf));
		lib_decode_all(wb, sf, frames, ref);
		free(sf);
		if (out == frames * spf && frames > 0)
			MXP_CHECK_MEM(t, y, ref, out * 2);
	}
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(amr_payload_hand_built_vectors),
	MXP_CASE(amr_payload_every_frame_type),
	MXP_CASE(amr_payload_three_frames_and_limits),
	MXP_CASE(amr_decode_both_formats_identical_pcm),
	MXP_CASE(amr_decode_damaged_no_data_and_conceal),
	MXP_CASE(amr_fmtp_parse_format),
	MXP_CASE(amr_encoder_modes_and_cmr),
	MXP_CASE(amr_encoder_dtx),
	MXP_CASE(amr_worker_functions_do_not_allocate),
	MXP_CASE(amr_ffmpeg_decodes_our_encoder_every_mode),
	MXP_CASE(amr_our_decoder_matches_ffmpeg),
	MXP_CASE(amr_ffmpeg_rtp_packetizer_to_our_decoder),
};

int
main(int argc, char **argv)
{
	/* Without ffmpeg, the interoperability cases are left out (and said so); the rest run. */
	struct mxp_test_case run[MXP_NCASES(cases)];
	size_t n = 0;
	bool ff = system("ffmpeg -version >/dev/null 2>&1") == 0;
	for (size_t i = 0; i < MXP_NCASES(cases); i++) {
		if (!ff && strstr(cases[i].name, "ffmpeg") != NULL) {
			fprintf(stderr, "SKIP %s: ffmpeg not found\n", cases[i].name);
			continue;
		}
		run[n++] = cases[i];
	}
	int rc = mxp_test_main(run, n, argc, argv);
	for (int wb = 0; wb < 2; wb++)
		free(ffr[wb].ff);
	tu_cleanup_tmpdir();
	return rc;
}
