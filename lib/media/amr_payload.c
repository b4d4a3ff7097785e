/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 4867 payload parser and packer (see amr_payload.h). */
#include "amr_payload.h"

/*
 * Speech bits per frame type: 3GPP TS 26.101 table 1a (AMR) and TS 26.201 table 1a
 * (AMR-WB), as RFC 4867 section 4.3.2 refers to them. -1: reserved, the payload is
 * discarded (AMR FT 9-14: the GSM-EFR, TDMA-EFR and PDC-EFR SIDs and "for future use";
 * AMR-WB FT 10-13). AMR-WB FT 14 (SPEECH_LOST) and FT 15 (NO_DATA): no bits.
 */
static const int16_t nb_bits[16] = {95, 103, 118, 134, 148, 159, 204, 244, 39,
				    -1, -1, -1, -1, -1, -1, 0};
static const int16_t wb_bits[16] = {132, 177, 253, 285, 317, 365, 397, 461, 477, 40,
				    -1, -1, -1, -1, 0, 0};
static const uint16_t nb_rate[8] = {4750, 5150, 5900, 6700, 7400, 7950, 10200, 12200};
static const uint16_t wb_rate[9] = {6600, 8850, 12650, 14250, 15850, 18250, 19850, 23050,
				    23850};

int
amr_ft_bits(bool wb, unsigned ft)
{
	if (ft > 15)
		return -1;
	return wb ? wb_bits[ft] : nb_bits[ft];
}

unsigned
amr_mode_bitrate(bool wb, unsigned mode)
{
	if (mode > amr_max_mode(wb))
		return 0;
	return wb ? wb_rate[mode] : nb_rate[mode];
}

/* c (<= 8) bits at bit position p; the caller checked p + c <= 8 * len. */
static unsigned
getbits(const uint8_t *pl, unsigned len, uint32_t p, unsigned c)
{
	uint32_t b = p >> 3;
	unsigned v = (unsigned)pl[b] << 8;
	if (b + 1 < len)
		v |= pl[b + 1];
	return (v >> (16 - (p & 7) - c)) & ((1u << c) - 1);
}

int
amr_parse(bool wb, bool octet_align, const uint8_t *pl, unsigned len, struct amr_toc *toc)
{
	const uint64_t total = (uint64_t)len * 8;
	uint64_t p;
	unsigned n = 0, f = 1;

	if (len == 0)
		return -1;
	toc->cmr = (uint8_t)(pl[0] >> 4);
	p = octet_align ? 8 : 4;
	/* table of contents: until an entry with F = 0 */
	while (f) {
		unsigned e, w = octet_align ? 8 : 6;
		if (n == AMR_MAX_FRAMES || p + w > total)
			return -1;
		e = getbits(pl, len, (uint32_t)p, w);
		if (octet_align)
			e >>= 2; /* P bits: ignored */
		f = e >> 5;
		unsigned ft = (e >> 1) & 15;
		int bits = amr_ft_bits(wb, ft);
		if (bits < 0)
			return -1;
		toc->f[n].ft = (uint8_t)ft;
		toc->f[n].q = (uint8_t)(e & 1);
		toc->f[n].bits = (uint16_t)bits;
		n++;
		p += w;
	}
	/* frames */
	for (unsigned i = 0; i < n; i++) {
		toc->f[i].off = (uint32_t)p;
		p += toc->f[i].bits;
		if (octet_align)
			p = (p + 7) & ~(uint64_t)7;
		if (p > total)
			return -1;
	}
	/* nothing after the frames but the padding to an octet */
	if (total - p >= 8)
		return -1;
	toc->n = (uint8_t)n;
	return 0;
}

void
amr_frame_bits(const uint8_t *pl, unsigned len, const struct amr_frame *f, uint8_t *out)
{
	unsigned nb = (f->bits + 7u) / 8;
	uint32_t p = f->off;
	unsigned s = p & 7;

	for (unsigned k = 0; k < nb; k++, p += 8) {
		uint32_t b = p >> 3;
		unsigned v = (unsigned)pl[b] << s;
		if (s != 0 && b + 1 < len)
			v |= pl[b + 1] >> (8 - s);
		out[k] = (uint8_t)v;
	}
	if (f->bits & 7)
		out[nb - 1] &= (uint8_t)(0xff << (8 - (f->bits & 7)));
}

int
amr_pack_size(bool wb, bool octet_align, const struct amr_pack_frame *fr, unsigned n)
{
	unsigned bits = octet_align ? 8 + 8 * n : 4 + 6 * n;

	if (n == 0 || n > AMR_MAX_FRAMES)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		int b = amr_ft_bits(wb, fr[i].ft);
		if (b < 0)
			return -1;
		bits += octet_align ? ((unsigned)b + 7) & ~7u : (unsigned)b;
	}
	return (int)((bits + 7) / 8);
}

/* OR c (<= 8) bits v at bit position p of out (zeroed, cap bytes). */
static void
putbits(uint8_t *out, unsigned cap, uint32_t p, unsigned v, unsigned c)
{
	uint32_t b = p >> 3;
	unsigned s = p & 7;
	unsigned w = (v & ((1u << c) - 1)) << (16 - s - c); /* in a 16-bit window at byte b */
	out[b] |= (uint8_t)(w >> 8);
	if (b + 1 < cap)
		out[b + 1] |= (uint8_t)w;
}

int
amr_pack(bool wb, bool octet_align, unsigned cmr, const struct amr_pack_frame *fr,
	 unsigned n, uint8_t *out, unsigned cap)
{
	int size = amr_pack_size(wb, octet_align, fr, n);
	uint32_t p;

	if (size < 0 || cmr > 15 || (unsigned)size > cap)
		return -1;
	for (int i = 0; i < size; i++)
		out[i] = 0;
	putbits(out, (unsigned)size, 0, cmr, 4);
	p = octet_align ? 8 : 4;
	for (unsigned i = 0; i < n; i++) {
		unsigned e = (i + 1 < n ? 32u : 0u) | (unsigned)(fr[i].ft & 15) << 1 |
			     (fr[i].q ? 1u : 0u);
		if (octet_align) {
			putbits(out, (unsigned)size, p, e << 2, 8);
			p += 8;
		} else {
			putbits(out, (unsigned)size, p, e, 6);
			p += 6;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned bits = (unsigned)amr_ft_bits(wb, fr[i].ft);
		for (unsigned k = 0; k < bits / 8; k++, p += 8)
			putbits(out, (unsigned)size, p, fr[i].data[k], 8);
		if (bits & 7) {
			putbits(out, (unsigned)size, p, fr[i].data[bits / 8] >> (8 - (bits & 7)),
				bits & 7);
			p += bits & 7;
		}
		if (octet_align)
			p = (p + 7) & ~7u;
	}
	return size;
}
