/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a stream of RTP packets (header fields, payload, arrival time) into a
 * leg of a mixer, with ticks in between, exercising classification, events, the jitter
 * buffer, decoders (all codecs), concealment and time scaling. Input format, repeated:
 *   u8 op (bit 0-1: 0 packet, 1 tick, 2 mode/mute/codec change, 3 packet + tick; bit 7:
 *   leg), u8 pt-selector, u16 seq, u32 ts, u8 ssrc-selector, u8 flags, u16 dt_us/16,
 *   u8 len, then len payload bytes.
 * flags: bit 0 marker, bit 1 level present (byte 10), bits 2-5 where the payload starts in
 * its buffer. Op 2 with bit 0 of the ts field set also calls mxp_media_leg_fini().
 * Audio goes by reference: every packet is copied into a malloc'd buffer that the leg
 * returns through its release callback; ASan sees a buffer used after its release, freed
 * twice or never returned (the count is checked after each input too).
 */
#include <stdlib.h>
#include <string.h>

#include "mxp_media.h"

static long live; /* buffers the legs hold */

static void release(void *ref, void *arg);

#ifndef FUZZ_FRAME_CODECS
static const uint8_t pts[8] = {0, 8, 9, 96, 97, 101, 13, 55};

/* leg i's parameters: G.711, G.722, L16 */
static void
leg_params(struct mxp_media_leg_params *p, int i)
{
	static const uint8_t c[5] = {MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_PCMA,
				     MXP_MEDIA_CODEC_G722, MXP_MEDIA_CODEC_L16_8K,
				     MXP_MEDIA_CODEC_L16_16K};
	*p = (struct mxp_media_leg_params){.ptime_ms = 20, .event_pt = 101, .cn_pt = 13,
					   .out_codec = MXP_MEDIA_CODEC_PCMU, .max_payload = 640,
					   .n_pt = 5, .release = release, .id = (uint32_t)i};
	for (int k = 0; k < 5; k++) {
		p->pt_map[k].pt = pts[k];
		p->pt_map[k].codec = c[k];
	}
}
#define OUT_CODECS 5 /* op 2 moves the out codec among PCMU .. L16 16 kHz */
#else
/* fuzz_media_frame_leg.c: PCMU, G.722 and the frame codecs (AMR-WB bandwidth-efficient,
 * Opus with FEC, AMR octet-aligned); leg 0 hears AMR-WB, leg 1 Opus (their private
 * encoders), so loss, FEC, codec concealment, CMR and DTX run on fuzzed payloads. The
 * decoders and encoders are made once and kept across inputs. */
static const uint8_t pts[8] = {0, 9, 96, 97, 98, 101, 13, 55};

static void
leg_params(struct mxp_media_leg_params *p, int i)
{
	static const uint8_t c[5] = {MXP_MEDIA_CODEC_PCMU, MXP_MEDIA_CODEC_G722,
				     MXP_MEDIA_CODEC_AMR_WB, MXP_MEDIA_CODEC_OPUS,
				     MXP_MEDIA_CODEC_AMR};
	static const char *const fmtp[5] = {"", "", "", "useinbandfec=1;usedtx=1",
					    "octet-align=1"};
	static void *dec[2][5];
	static struct mxp_media_fmtp f[5];
	static struct mxp_media_coder enc[2];
	*p = (struct mxp_media_leg_params){.ptime_ms = 20, .event_pt = 101, .cn_pt = 13,
					   .max_payload = 640, .n_pt = 5, .release = release,
					   .id = (uint32_t)i};
	for (int k = 0; k < 5; k++) {
		char err[64];
		p->pt_map[k].pt = pts[k];
		p->pt_map[k].codec = c[k];
		if (k >= 2) {
			if (dec[i][k] == NULL) {
				mxp_media_fmtp_parse((enum mxp_media_codec)c[k], fmtp[k], &f[k], err,
						     sizeof(err));
				dec[i][k] = mxp_media_codec_ops((enum mxp_media_codec)c[k])
						    ->dec_create(&f[k]);
			}
			p->dec[k] = dec[i][k];
			p->fmtp[k] = f[k];
		}
	}
	p->out_codec = c[2 + i];
	if (enc[i].x == NULL)
		mxp_media_coder_init_frame(&enc[i], (enum mxp_media_codec)c[2 + i], &f[2 + i], 20);
	p->priv_enc = &enc[i];
}
#define OUT_CODECS 2 /* op 2 moves the out codec between PCMU and G.722 (no frame codec) */
#endif

static void
release(void *ref, void *arg)
{
	(void)arg;
	live--;
	free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct mxp_media_leg *leg[2];
	static struct mxp_media_mixer *mix;
	static size_t lsz;
	struct mxp_media_leg_params p;
	if (mix == NULL) {
		struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 2};
		mix = aligned_alloc(64, (mxp_media_mixer_size(&mp) + 63) & ~(size_t)63);
		for (int i = 0; i < 2; i++) {
			leg_params(&p, i);
			lsz = (mxp_media_leg_size(&p) + 63) & ~(size_t)63;
			leg[i] = aligned_alloc(64, lsz);
			if (leg[i] == NULL || mxp_media_leg_init(leg[i], &p, NULL, 0) != 0)
				abort();
		}
	}
	/* fresh state per input */
	struct mxp_media_mixer_params mp = {.ptime_ms = 20, .max_legs = 2};
	mxp_media_mixer_init(mix, &mp, 1000000);
	for (int i = 0; i < 2; i++) {
		leg_params(&p, i);
		mxp_media_leg_init(leg[i], &p, NULL, 0);
		mxp_media_mixer_leg_add(mix, leg[i]);
	}
	uint64_t now = 1000000;
	size_t off = 0;
	while (off + 14 <= size) {
		const uint8_t *h = data + off;
		uint8_t op = h[0] & 3;
		struct mxp_media_leg *l = leg[h[0] >> 7];
		now += (uint64_t)(h[11] << 8 | h[12]) * 16;
		uint8_t len = h[13];
		off += 14;
		if (len > size - off)
			len = (uint8_t)(size - off);
		if (op == 0 || op == 3) {
			unsigned at = (h[9] >> 2) & 15;
			uint8_t *buf = malloc(at + len + 1u);
			if (buf == NULL)
				abort();
			memcpy(buf + at, data + off, len);
			struct mxp_media_pkt pkt = {
				.ref = buf, .payload = buf + at, .len = len,
				.seq = (uint16_t)(h[2] << 8 | h[3]),
				.ts = (uint32_t)h[4] << 24 | (uint32_t)h[5] << 16 |
				      (uint32_t)h[6] << 8 | h[7],
				.ssrc = h[8] & 3, .pt = pts[h[1] & 7], .marker = h[9] & 1,
				.level = (h[9] & 2) ? (uint8_t)(h[10] & 0x7f) : MXP_MEDIA_LEVEL_NONE,
			};
			struct mxp_media_event ev;
			if (mxp_media_rx_taken(mxp_media_leg_rx(l, &pkt, now, &ev)))
				live++;
			else
				free(buf);
		}
		if (op == 1 || op == 3) {
			if (now < mxp_media_mixer_next_tick(mix))
				now = mxp_media_mixer_next_tick(mix);
			const struct mxp_media_mix_result *r = mxp_media_mix_tick(mix, now);
			/* touch every output sample so ASan sees stale pointers */
			volatile int32_t sum = 0;
			for (int k = 0; k < MXP_MEDIA_N_RATES; k++)
				for (unsigned i = 0; r->shared[k] && i < r->shared_samples[k]; i++)
					sum += r->shared[k][i];
			for (unsigned t = 0; t < r->n_talkers; t++) {
				for (unsigned i = 0; i < r->talkers[t].samples; i++)
					sum += r->talkers[t].pcm[i];
				/* the private stream's encoder lives in the talker slot */
				uint8_t enc[MXP_MEDIA_MAX_FRAME * 2];
				mxp_media_encode(r->talkers[t].coder, r->talkers[t].pcm,
						 r->talkers[t].samples, enc, sizeof(enc));
			}
			(void)sum;
			if (mxp_media_mixer_buffered(mix) != (unsigned long)live)
				abort(); /* the legs hold what they say they hold */
		}
		if (op == 2) {
			mxp_media_leg_set_mode(l, (enum mxp_stream_mode)(h[1] & 3));
			mxp_media_leg_set_mute(l, h[2] & 1);
			mxp_media_leg_set_out_codec(l, (enum mxp_media_codec)(1 + h[3] % OUT_CODECS));
			if (h[7] & 1)
				mxp_media_leg_fini(l);
		}
		off += len;
	}
	for (int i = 0; i < 2; i++) {
		mxp_media_mixer_leg_remove(mix, leg[i]);
		mxp_media_leg_fini(leg[i]);
	}
	if (live != 0)
		abort(); /* a buffer the legs took was not returned */
	/* the decoders on raw bytes */
	struct mxp_media_g722_state st;
	mxp_media_g722_init(&st);
	int16_t out[2 * 256];
	mxp_media_g722_decode(&st, out, data, size > 256 ? 256 : (unsigned)size);
	return 0;
}
