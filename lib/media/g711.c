/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * G.711 mu-law and A-law (ITU-T G.711 (11/88) tables 1a and 2a). The encoders follow the
 * standard's segment/mantissa construction on 14-bit (mu-law) and 13-bit (A-law) input,
 * taken from the top bits of the 16-bit sample; the decoders are 256-entry tables built by
 * gen_tables.py from the same construction. tests/unit/media checks both against ffmpeg.
 */
#include "mxp_media_codec.h"
#include "media_tables.h"

static inline int
ilog2u(unsigned v)
{
	return 31 - __builtin_clz(v);
}

uint8_t
mxp_media_ulaw_enc1(int16_t x)
{
	int v = x >> 2; /* 14-bit */
	unsigned mask = 0xff;

	if (v < 0) {
		v = -v;
		mask = 0x7f;
	}
	if (v > 8159)
		v = 8159;
	v += 33; /* bias: segment boundaries become powers of two */
	int seg = ilog2u((unsigned)v) - 5;
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((unsigned)(seg << 4) | ((unsigned)(v >> (seg + 1)) & 0xf)) ^ mask);
}

uint8_t
mxp_media_alaw_enc1(int16_t x)
{
	int v = x >> 3; /* 13-bit */
	unsigned mask = 0xd5;

	if (v < 0) {
		v = -v - 1;
		mask = 0x55;
	}
	int seg = v < 32 ? 0 : ilog2u((unsigned)v) - 4;
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	unsigned m = seg < 2 ? ((unsigned)v >> 1) & 0xf : ((unsigned)v >> seg) & 0xf;
	return (uint8_t)(((unsigned)(seg << 4) | m) ^ mask);
}

int16_t
mxp_media_ulaw_dec1(uint8_t u)
{
	return mxp_ulaw_dec_tab[u];
}

int16_t
mxp_media_alaw_dec1(uint8_t a)
{
	return mxp_alaw_dec_tab[a];
}

/*
 * Encoding tables, indexed by the bits the encoders look at (14 for mu-law, 13 for
 * A-law): built once at start from the construction above, so a mixed frame is encoded
 * with one load per sample (24 KB, in cache while conferences tick).
 */
static uint8_t ulaw_enc_tab[1 << 14], alaw_enc_tab[1 << 13];

__attribute__((constructor)) static void
g711_tables(void)
{
	for (int v = -(1 << 13); v < (1 << 13); v++)
		ulaw_enc_tab[v & 0x3fff] = mxp_media_ulaw_enc1((int16_t)(v * 4));
	for (int v = -(1 << 12); v < (1 << 12); v++)
		alaw_enc_tab[v & 0x1fff] = mxp_media_alaw_enc1((int16_t)(v * 8));
}

void
mxp_media_ulaw_encode(uint8_t *out, const int16_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = ulaw_enc_tab[(uint16_t)in[i] >> 2];
}

void
mxp_media_alaw_encode(uint8_t *out, const int16_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = alaw_enc_tab[(uint16_t)in[i] >> 3];
}

void
mxp_media_ulaw_decode(int16_t *out, const uint8_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = mxp_ulaw_dec_tab[in[i]];
}

void
mxp_media_alaw_decode(int16_t *out, const uint8_t *in, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = mxp_alaw_dec_tab[in[i]];
}

uint64_t
mxp_media_g711_energy(const uint8_t *in, unsigned n, int ulaw)
{
	const uint32_t *sq = ulaw ? mxp_ulaw_sq_tab : mxp_alaw_sq_tab;
	uint64_t e0 = 0, e1 = 0;
	unsigned i = 0;

	for (; i + 2 <= n; i += 2) {
		e0 += sq[in[i]];
		e1 += sq[in[i + 1]];
	}
	if (i < n)
		e0 += sq[in[i]];
	return e0 + e1;
}
