/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/media codecs against an independent implementation (ffmpeg's pcm_mulaw, pcm_alaw,
 * adpcm_g722) and the resampler against its specification (passband, stopband, delay).
 */
#include "mxp_test.h"
#include "mxp_media_codec.h"
#include "media_test_util.h"

MXP_TEST(g711_decode_all_codes_match_ffmpeg)
{
	uint8_t codes[256];
	for (int i = 0; i < 256; i++)
		codes[i] = (uint8_t)i;
	for (int law = 0; law < 2; law++) {
		uint8_t *ff = NULL;
		long n = tu_ff_convert(codes, 256,
				       law ? "-f mulaw -ar 8000 -ac 1" : "-f alaw -ar 8000 -ac 1",
				       "-f s16le -acodec pcm_s16le", &ff);
		if (!MXP_CHECK(t, n == 512))
			continue;
		int16_t ours[256];
		if (law)
			mxp_media_ulaw_decode(ours, codes, 256);
		else
			mxp_media_alaw_decode(ours, codes, 256);
		MXP_CHECK_MEM(t, ours, ff, 512);
		free(ff);
	}
}

MXP_TEST(g711_encode_all_values_match_ffmpeg)
{
	static int16_t ramp[65536];
	static uint8_t ours[65536];
	for (int i = 0; i < 65536; i++)
		ramp[i] = (int16_t)(i - 32768);
	for (int law = 0; law < 2; law++) {
		uint8_t *ff = NULL;
		long n = tu_ff_convert(ramp, sizeof(ramp), "-f s16le -ar 8000 -ac 1",
				       law ? "-f mulaw -acodec pcm_mulaw" : "-f alaw -acodec pcm_alaw",
				       &ff);
		if (!MXP_CHECK(t, n == 65536))
			continue;
		if (law)
			mxp_media_ulaw_encode(ours, ramp, 65536);
		else
			mxp_media_alaw_encode(ours, ramp, 65536);
		/*
		 * ffmpeg's encoder picks the nearest reconstruction value; ours uses the G.711
		 * decision levels (mu-law segment edges 31, 95, ..., 4063 on the 14-bit scale;
		 * the decision level is not the midpoint where the step size doubles). Where the
		 * two differ, both must have chosen one of the two levels that straddle x.
		 */
		unsigned diff = 0, apart = 0;
		int16_t (*dec)(uint8_t) = law ? mxp_media_ulaw_dec1 : mxp_media_alaw_dec1;
		for (int i = 0; i < 65536; i++) {
			if (ours[i] == ff[i])
				continue;
			diff++;
			int a = dec(ours[i]), b = dec(ff[i]), x = ramp[i];
			if (!((a <= x && x <= b) || (b <= x && x <= a)))
				apart++;
		}
		printf("#   %s: %u of 65536 codes differ from ffmpeg (segment edges, ties), "
		       "%u not straddling\n", law ? "mu-law" : "A-law", diff, apart);
		MXP_CHECK_EQ(t, apart, 0);
		MXP_CHECK(t, diff <= 1024);
		free(ff);
	}
}

MXP_TEST(g711_roundtrip_and_single_sample)
{
	for (int v = -32768; v < 32768; v += 7) {
		uint8_t u = mxp_media_ulaw_enc1((int16_t)v), a = mxp_media_alaw_enc1((int16_t)v);
		int eu = abs(mxp_media_ulaw_dec1(u) - v), ea = abs(mxp_media_alaw_dec1(a) - v);
		/* quantisation error bounded by half the largest step (1024 for mu, 512 for A)
		 * plus the clipping at full scale */
		if (eu > 1100 || ea > 1100) {
			MXP_CHECK(t, eu <= 1100 && ea <= 1100);
			break;
		}
	}
	MXP_CHECK_EQ(t, mxp_media_ulaw_enc1(0), 0xff);
	MXP_CHECK_EQ(t, mxp_media_alaw_enc1(0), 0xd5);
	uint8_t b[160];
	int16_t x[160];
	tu_tone(x, 160, 1000, 8000, 8000, 0);
	mxp_media_ulaw_encode(b, x, 160);
	uint64_t e = 0;
	for (int i = 0; i < 160; i++)
		e += (uint64_t)((int64_t)mxp_media_ulaw_dec1(b[i]) * mxp_media_ulaw_dec1(b[i]));
	MXP_CHECK_EQ(t, mxp_media_g711_energy(b, 160, 1), e);
}

#define G722_N 32000 /* 2 s at 16 kHz */

MXP_TEST(g722_decode_bitexact_with_ffmpeg)
{
	static int16_t x[G722_N], ours[G722_N];
	tu_speechlike(x, G722_N, 16000, 7);
	uint8_t *code = NULL, *ffpcm = NULL;
	long nc = tu_ff_convert(x, sizeof(x), "-f s16le -ar 16000 -ac 1", "-acodec g722 -f g722",
				&code);
	if (!MXP_CHECK(t, nc == G722_N / 2))
		return;
	long np = tu_ff_convert(code, (size_t)nc, "-f g722", "-f s16le -acodec pcm_s16le", &ffpcm);
	MXP_CHECK(t, np == (long)sizeof(ours));
	struct mxp_media_g722_state st;
	mxp_media_g722_init(&st);
	/* decode in 20 ms packets to exercise state carried across calls */
	unsigned o = 0;
	for (long i = 0; i < nc; i += 160)
		o += mxp_media_g722_decode(&st, ours + o, code + i, 160);
	MXP_CHECK_EQ(t, o, G722_N);
	if (np == (long)sizeof(ours))
		MXP_CHECK_MEM(t, ours, ffpcm, sizeof(ours));
	printf("#   SNR of ffmpeg encode + our decode: %.1f dB\n", tu_snr(x, ours, G722_N, 22));
	free(code);
	free(ffpcm);
}

MXP_TEST(g722_encode_against_ffmpeg)
{
	static int16_t x[G722_N], ffdec[G722_N];
	static uint8_t ours[G722_N / 2];
	tu_speechlike(x, G722_N, 16000, 11);
	struct mxp_media_coder enc;
	MXP_CHECK_EQ(t, mxp_media_coder_init(&enc, MXP_MEDIA_CODEC_G722), 0);
	for (unsigned i = 0; i < G722_N; i += 320)
		MXP_CHECK_EQ(t, mxp_media_encode(&enc, x + i, 320, ours + i / 2, 160), 160);
	uint8_t *ffcode = NULL, *ffpcm = NULL, *ffpcm2 = NULL;
	long nc = tu_ff_convert(x, sizeof(x), "-f s16le -ar 16000 -ac 1", "-acodec g722 -f g722",
				&ffcode);
	MXP_CHECK(t, nc == G722_N / 2);
	unsigned same = 0;
	for (long i = 0; i < nc && i < G722_N / 2; i++)
		same += ours[i] == ffcode[i];
	/* ours decoded by ffmpeg */
	long np = tu_ff_convert(ours, sizeof(ours), "-f g722", "-f s16le -acodec pcm_s16le", &ffpcm);
	long np2 = tu_ff_convert(ffcode, (size_t)nc, "-f g722", "-f s16le -acodec pcm_s16le",
				 &ffpcm2);
	if (MXP_CHECK(t, np == (long)sizeof(ffdec) && np2 == np)) {
		memcpy(ffdec, ffpcm, sizeof(ffdec));
		/* G.722 delay through both QMFs is 22 samples */
		double snr_ours = tu_snr(x, ffdec, G722_N, 22);
		memcpy(ffdec, ffpcm2, sizeof(ffdec));
		double snr_ff = tu_snr(x, ffdec, G722_N, 22);
		printf("#   codewords identical to ffmpeg's encoder: %u of %d; SNR ours %.2f dB, "
		       "ffmpeg %.2f dB\n", same, G722_N / 2, snr_ours, snr_ff);
		MXP_CHECK(t, snr_ours > 20.0);
		MXP_CHECK(t, snr_ours > snr_ff - 0.5);
	}
	free(ffcode);
	free(ffpcm);
	free(ffpcm2);
}

MXP_TEST(l16_network_order)
{
	int16_t x[3] = {0x1234, -2, 0x7fff}, y[3];
	uint8_t b[6];
	mxp_media_l16_encode(b, x, 3);
	static const uint8_t want[6] = {0x12, 0x34, 0xff, 0xfe, 0x7f, 0xff};
	MXP_CHECK_MEM(t, b, want, 6);
	mxp_media_l16_decode(y, b, 3);
	MXP_CHECK_MEM(t, y, x, sizeof(x));
	MXP_CHECK_EQ(t, mxp_media_codec_from_name("g722", 8000), MXP_MEDIA_CODEC_G722);
	MXP_CHECK_EQ(t, mxp_media_codec_from_name("L16", 16000), MXP_MEDIA_CODEC_L16_16K);
	MXP_CHECK_EQ(t, mxp_media_codec_from_name("G722", 16000), MXP_MEDIA_CODEC_NONE);
	MXP_CHECK_EQ(t, mxp_media_codec_ts_units(MXP_MEDIA_CODEC_G722, 160), 160);
	MXP_CHECK_EQ(t, mxp_media_codec_samples(MXP_MEDIA_CODEC_G722, 160), 320);
}

MXP_TEST(resampler_passband_stopband_and_state)
{
	/* up: 8 -> 16 kHz. A 1 kHz tone passes at 0 dB; its image at 7 kHz is attenuated. */
	enum { N8 = 4000 };
	static int16_t x[N8], y[2 * N8], z[N8];
	struct mxp_media_rs up, down;
	MXP_CHECK_EQ(t, mxp_media_rs_init(&up, 8000, 16000), 0);
	MXP_CHECK_EQ(t, mxp_media_rs_init(&down, 16000, 8000), 0);
	MXP_CHECK_EQ(t, mxp_media_rs_init(&down, 16000, 44100), -EINVAL);
	MXP_CHECK_EQ(t, mxp_media_rs_init(&down, 32000, 16000), -EINVAL);
	MXP_CHECK_EQ(t, mxp_media_rs_init(&down, 16000, 8000), 0);
	tu_tone(x, N8, 1000, 16000, 8000, 0);
	unsigned o = 0;
	for (unsigned i = 0; i < N8; i += 160) /* in 20 ms frames: state carried across */
		o += mxp_media_rs_run(&up, y + o, x + i, 160);
	MXP_CHECK_EQ(t, o, 2 * N8);
	double pass = tu_tone_dbfs(y + 1000, 4096, 1000, 16000);
	double image = tu_tone_dbfs(y + 1000, 4096, 7000, 16000);
	printf("#   up: 1 kHz %.2f dBFS (input %.2f), 7 kHz image %.1f dBFS\n", pass,
	       20 * log10(16000.0 / 32767), image);
	MXP_CHECK(t, fabs(pass - 20 * log10(16000.0 / 32767)) < 0.2);
	MXP_CHECK(t, image < pass - 55);
	/* no discontinuity at frame edges: largest step close to a pure 1 kHz tone's */
	MXP_CHECK(t, tu_max_step(y + 100, 2 * N8 - 100) < 16000 * 2 * M_PI * 1000 / 16000 * 1.05);
	/* down again: round trip SNR, delay 2 x 15.5 samples at 8 kHz = 31 */
	o = 0;
	for (unsigned i = 0; i < 2 * N8; i += 320)
		o += mxp_media_rs_run(&down, z + o, y + i, 320);
	MXP_CHECK_EQ(t, o, N8);
	double snr = tu_snr(x, z, N8 - 100, 31);
	printf("#   8 -> 16 -> 8 kHz round trip SNR %.1f dB\n", snr);
	MXP_CHECK(t, snr > 40);
	/* down: a 6 kHz tone at 16 kHz must not alias to 2 kHz */
	static int16_t w[2 * N8], v[N8];
	mxp_media_rs_init(&down, 16000, 8000);
	tu_tone(w, 2 * N8, 6000, 16000, 16000, 0);
	mxp_media_rs_run(&down, v, w, 2 * N8);
	double alias = tu_tone_dbfs(v + 200, 2048, 2000, 8000);
	printf("#   down: 6 kHz -> alias at 2 kHz %.1f dBFS\n", alias);
	MXP_CHECK(t, alias < -55);
}

/* from -> to -> from in 20 ms frames: the tone passes at 0 dB both ways, the images of
 * the upsampling and what would alias on the way down are far below, frame edges do
 * not click. */
static void
rs_fullband_pair(struct mxp_test_ctx *t, unsigned lo, unsigned hi, double f,
		 const double *images, unsigned n_images, double alias_in, double alias_out)
{
	enum { MS = 400 };
	static int16_t x[48 * MS], y[48 * MS], z[48 * MS];
	unsigned nlo = lo / 1000 * MS, nhi = hi / 1000 * MS, flo = lo / 50, fhi = hi / 50;
	struct mxp_media_rs up, down;
	double in_db = 20 * log10(16000.0 / 32767);

	MXP_CHECK_EQ(t, mxp_media_rs_init(&up, lo, hi), 0);
	MXP_CHECK_EQ(t, mxp_media_rs_init(&down, hi, lo), 0);
	tu_tone(x, nlo, f, 16000, lo, 0);
	unsigned o = 0;
	for (unsigned i = 0; i < nlo; i += flo)
		o += mxp_media_rs_run(&up, y + o, x + i, flo);
	MXP_CHECK_EQ(t, o, nhi);
	double pass = tu_tone_dbfs(y + nhi / 4, nhi / 2, f, hi);
	printf("#   %u -> %u: %.0f Hz %.2f dBFS (input %.2f)", lo, hi, f, pass, in_db);
	MXP_CHECK(t, fabs(pass - in_db) < 0.3);
	for (unsigned i = 0; i < n_images; i++) {
		double im = tu_tone_dbfs(y + nhi / 4, nhi / 2, images[i], hi);
		printf(", image %.0f Hz %.1f", images[i], im);
		MXP_CHECK(t, im < pass - 60);
	}
	printf("\n");
	MXP_CHECK(t, tu_max_step(y + 200, nhi - 200) < 16000 * 2 * M_PI * f / hi * 1.05);
	o = 0;
	for (unsigned i = 0; i < nhi; i += fhi)
		o += mxp_media_rs_run(&down, z + o, y + i, fhi);
	MXP_CHECK_EQ(t, o, nlo);
	double back = tu_tone_dbfs(z + nlo / 4, nlo / 2, f, lo);
	MXP_CHECK(t, fabs(back - in_db) < 0.5);
	MXP_CHECK(t, tu_max_step(z + 200, nlo - 200) < 16000 * 2 * M_PI * f / lo * 1.05);
	/* down: a tone above the lower rate's Nyquist must not alias */
	mxp_media_rs_init(&down, hi, lo);
	tu_tone(y, nhi, alias_in, 16000, hi, 0);
	for (unsigned i = 0, o2 = 0; i < nhi; i += fhi)
		o2 += mxp_media_rs_run(&down, z + o2, y + i, fhi);
	double alias = tu_tone_dbfs(z + nlo / 4, nlo / 2, alias_out, lo);
	printf("#   %u -> %u: %.0f Hz back %.2f dBFS; %.0f Hz -> alias at %.0f Hz %.1f dBFS\n",
	       hi, lo, f, back, alias_in, alias_out, alias);
	MXP_CHECK(t, alias < in_db - 60);
}

MXP_TEST(resampler_fullband_48k)
{
	/* 16 <-> 48 kHz: 1 kHz; images at 15 and 17 kHz; 10 kHz would alias to 6 kHz */
	const double im16[] = {15000, 17000, 31000};
	rs_fullband_pair(t, 16000, 48000, 1000, im16, 3, 10000, 6000);
	/* 8 <-> 48 kHz (through 16 kHz): images at 7, 9, 15 kHz; 5 kHz would alias to 3 */
	const double im8[] = {7000, 9000, 15000};
	rs_fullband_pair(t, 8000, 48000, 1000, im8, 3, 5000, 3000);
	/* a 7 kHz tone (AMR-WB's top) passes 16 -> 48 within 1 dB */
	static int16_t x[3200], y[9600];
	struct mxp_media_rs up;
	mxp_media_rs_init(&up, 16000, 48000);
	tu_tone(x, 3200, 7000, 16000, 16000, 0);
	MXP_CHECK_EQ(t, mxp_media_rs_run(&up, y, x, 3200), 9600u);
	double top = tu_tone_dbfs(y + 2400, 4800, 7000, 48000);
	printf("#   16 -> 48: 7 kHz %.2f dBFS\n", top);
	MXP_CHECK(t, fabs(top - 20 * log10(16000.0 / 32767)) < 1.0);
	/* full-scale worst case: saturates, never wraps (UBSan builds check the arithmetic) */
	for (unsigned i = 0; i < 3200; i++)
		x[i] = (int16_t)(i & 1 ? -32768 : 32767);
	mxp_media_rs_run(&up, y, x, 3200);
	struct mxp_media_rs down;
	mxp_media_rs_init(&down, 48000, 8000);
	for (unsigned i = 0; i < 9600; i++)
		y[i] = (int16_t)((i / 3) & 1 ? -32768 : 32767);
	MXP_CHECK_EQ(t, mxp_media_rs_run(&down, x, y, 9600), 1600u);
	/* the per-rate index and its inverse */
	static const unsigned rates[MXP_MEDIA_N_RATES] = {8000, 16000, 48000};
	for (unsigned i = 0; i < MXP_MEDIA_N_RATES; i++) {
		MXP_CHECK_EQ(t, mxp_media_rate_of_idx(i), rates[i]);
		MXP_CHECK_EQ(t, mxp_media_rate_idx(rates[i]), i);
	}
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(g711_decode_all_codes_match_ffmpeg),
	MXP_CASE(g711_encode_all_values_match_ffmpeg),
	MXP_CASE(g711_roundtrip_and_single_sample),
	MXP_CASE(g722_decode_bitexact_with_ffmpeg),
	MXP_CASE(g722_encode_against_ffmpeg),
	MXP_CASE(l16_network_order),
	MXP_CASE(resampler_passband_stopband_and_state),
	MXP_CASE(resampler_fullband_48k),
};

int
main(int argc, char **argv)
{
	int rc = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	tu_cleanup_tmpdir();
	return rc;
}
