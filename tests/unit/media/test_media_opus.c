/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Opus frame codec (lib/media/codec_opus.c, RFC 7587): fmtp, the duration of hand-built
 * tables of contents (RFC 6716 3.2), tones through our encoder and decoder, every packet
 * time, DTX, in-band FEC, and interoperability with ffmpeg: our packets in an Ogg Opus file
 * (RFC 7845, muxed here) decoded by ffmpeg's native decoder (not libopus), and ffmpeg's
 * libopus packets (demuxed here) decoded by ours.
 */
#include <errno.h>

#include "mxp_test.h"
#include "mxp_media_codec.h"
#include "codec_opus.h"
#include "media_test_util.h"

static const struct mxp_media_codec_ops *O = &mxp_media_opus_ops;

static int
fmtp(const char *s, struct mxp_media_fmtp *f, char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	err[0] = '\0';
	return O->fmtp_parse(s, f, err, errlen);
}

MXP_TEST(opus_table)
{
	MXP_CHECK_EQ(t, O->abi, MXP_MEDIA_CODEC_ABI);
	MXP_CHECK_STR(t, O->name, "opus");
	MXP_CHECK_EQ(t, O->clock, 48000);
	MXP_CHECK_EQ(t, O->rate, 16000);
	MXP_CHECK_EQ(t, O->frame_ms, 10); /* packet times of 10, 20, 30 ... 120 ms */
	MXP_CHECK(t, O->max_payload >= 1000 && O->max_payload <= 1280);
	MXP_CHECK(t, O->conceal != NULL && O->enc_state != NULL && O->enc_request == NULL);
	struct mxp_media_fmtp f = {0};
	MXP_CHECK(t, O->dec_mem(&f) > 10000 && O->dec_mem(&f) < 100000);
	MXP_CHECK(t, O->enc_mem(&f) > 10000 && O->enc_mem(&f) < 100000);
	printf("#   decoder %zu bytes, encoder %zu bytes\n", O->dec_mem(&f), O->enc_mem(&f));
}

MXP_TEST(opus_fmtp_parse_format)
{
	struct mxp_media_fmtp f, g, zero = {0};
	char err[128], buf[256];
	MXP_CHECK_EQ(t, fmtp("", &f, err, sizeof(err)), 0);
	MXP_CHECK_MEM(t, &f, &zero, sizeof(f));
	MXP_CHECK_EQ(t, fmtp(NULL, &f, err, sizeof(err)), 0);
	MXP_CHECK_MEM(t, &f, &zero, sizeof(f));
	int n = O->fmtp_format(&f, buf, sizeof(buf));
	MXP_CHECK_STR(t, buf, "maxplaybackrate=16000;sprop-maxcapturerate=16000;useinbandfec=1");
	MXP_CHECK_EQ(t, n, (int)strlen(buf));

	/* what changes nothing of what we send compares equal to the defaults */
	MXP_CHECK_EQ(t, fmtp("maxplaybackrate=48000; sprop-maxcapturerate=48000; stereo=1; "
			     "sprop-stereo=1; minptime=10; ptime=20; maxptime=120; "
			     "maxaveragebitrate=24000; x-unknown=7; flag",
			     &f, err, sizeof(err)), 0);
	MXP_CHECK_MEM(t, &f, &zero, sizeof(f));
	MXP_CHECK_EQ(t, fmtp("maxplaybackrate=24000", &g, err, sizeof(err)), 0);
	MXP_CHECK_MEM(t, &f, &g, sizeof(f));

	MXP_CHECK_EQ(t, fmtp(" maxplaybackrate = 8000 ;useinbandfec=1;usedtx=1;"
			     "MaxAverageBitrate=20000;", &f, err, sizeof(err)), 0);
	O->fmtp_format(&f, buf, sizeof(buf));
	MXP_CHECK_STR(t, buf, "maxplaybackrate=8000;sprop-maxcapturerate=8000;"
			      "maxaveragebitrate=20000;useinbandfec=1;usedtx=1");
	void *e = O->enc_create(&f, 20);
	struct mxp_media_codec_state st;
	O->enc_state(e, &st);
	MXP_CHECK_EQ(t, st.bitrate, 20000);
	MXP_CHECK(t, st.dtx && st.fec);
	MXP_CHECK_EQ(t, st.mode, -1);
	MXP_CHECK_EQ(t, st.cmr_sent, -1);
	O->enc_destroy(e);

	MXP_CHECK_EQ(t, fmtp("maxplaybackrate=12000;cbr=1;useinbandfec=0", &f, err, sizeof(err)), 0);
	n = O->fmtp_format(&f, buf, sizeof(buf));
	MXP_CHECK_STR(t, buf, "maxplaybackrate=12000;sprop-maxcapturerate=12000;cbr=1;useinbandfec=1");
	/* snprintf semantics */
	char small[12];
	MXP_CHECK_EQ(t, O->fmtp_format(&f, small, sizeof(small)), n);
	MXP_CHECK_STR(t, small, "maxplaybac"
				"k");
	MXP_CHECK_EQ(t, O->fmtp_format(&f, NULL, 0), n);
	e = O->enc_create(&f, 20);
	O->enc_state(e, &st);
	MXP_CHECK_EQ(t, st.bitrate, 24000);
	MXP_CHECK(t, !st.dtx && !st.fec);
	O->enc_destroy(e);

	static const struct {
		const char *s, *param;
	} bad[] = {
		{"maxaveragebitrate=5999", "maxaveragebitrate"},
		{"maxaveragebitrate=510001", "maxaveragebitrate"},
		{"maxplaybackrate=", "maxplaybackrate"},
		{"maxplaybackrate=7999", "maxplaybackrate"},
		{"sprop-maxcapturerate=96000", "sprop-maxcapturerate"},
		{"usedtx=2", "usedtx"},
		{"useinbandfec=yes", "useinbandfec"},
		{"cbr=-1", "cbr"},
		{"stereo=1.0", "stereo"},
		{"sprop-stereo", "sprop-stereo"},
		{"ptime=0", "ptime"},
		{"minptime=121", "minptime"},
		{"maxptime=99999999999999999999", "maxptime"},
		{"usedtx=1;maxaveragebitrate=1 2", "maxaveragebitrate"},
	};
	for (unsigned i = 0; i < MXP_NCASES(bad); i++) {
		int rc = fmtp(bad[i].s, &f, err, sizeof(err));
		if (!MXP_CHECK(t, rc == -EINVAL && strstr(err, bad[i].param) != NULL))
			printf("#   '%s' -> %d '%s'\n", bad[i].s, rc, err);
	}
	printf("#   e.g. %s\n", err);
}

/* A payload: the TOC byte then the given bytes. */
static int
dur(const uint8_t *p, unsigned len)
{
	return O->duration(NULL, p, len);
}

MXP_TEST(opus_duration_toc)
{
	static const struct {
		uint8_t b[12];
		unsigned len;
		int dur; /* 48 kHz units, -1 malformed */
	} c[] = {
		{{0x08, 0xaa}, 2, 960},          /* config 1 SILK NB 20 ms, code 0 */
		{{0x08}, 1, 960},                /* code 0, empty frame (DTX) */
		{{0x00, 1, 2, 3}, 4, 480},       /* config 0: 10 ms */
		{{0x18, 1}, 2, 2880},            /* config 3: 60 ms */
		{{0x80, 1}, 2, 120},             /* config 16 CELT NB 2.5 ms */
		{{0xf8, 1}, 2, 960},             /* config 31 CELT FB 20 ms */
		{{0x68, 1}, 2, 960},             /* config 13 hybrid SWB 20 ms */
		{{0x09, 1, 2}, 3, 1920},         /* code 1: two equal frames */
		{{0x09}, 1, 1920},               /* code 1: two empty frames */
		{{0x09, 1}, 2, -1},              /* code 1: odd length */
		{{0x19, 1, 2}, 3, 5760},         /* code 1 of 60 ms: 120 ms */
		{{0x0a, 1, 7, 8, 9}, 5, 1920},   /* code 2: 1 + 2 bytes */
		{{0x0a, 5, 7}, 3, -1},           /* code 2: first frame past the end */
		{{0x0a}, 1, -1},                 /* code 2: no length byte */
		{{0x0a, 252}, 2, -1},            /* code 2: two-byte length missing */
		{{0x1b, 0x02, 1, 2}, 4, 5760},   /* code 3 CBR, 2 x 60 ms = 120 ms */
		{{0x1b, 0x03, 1, 2, 3}, 5, -1},  /* 3 x 60 ms > 120 ms */
		{{0x83, 48}, 2, 5760},           /* 48 x 2.5 ms */
		{{0x83, 49}, 2, -1},             /* 49 x 2.5 ms */
		{{0x0b, 0x00}, 2, -1},           /* code 3, M = 0 */
		{{0x0b}, 1, -1},                 /* code 3 without count byte */
		{{0x0b, 0x03, 1, 2}, 4, -1},     /* CBR: 2 bytes do not split into 3 */
		{{0x0b, 0x82, 1, 5, 6, 7}, 6, 1920}, /* VBR M = 2: 1 + 3 bytes */
		{{0x0b, 0x82, 9, 5}, 4, -1},     /* VBR: length past the end */
		{{0x0b, 0x41, 2, 5, 6, 0, 0}, 7, 960}, /* padding 2 bytes, M = 1 */
		{{0x0b, 0x41, 9, 5}, 4, -1},     /* padding past the end */
		{{0x0b, 0x41}, 2, -1},           /* padding length missing */
	};
	void *d = O->dec_create(NULL);
	int16_t pcm[2000];
	for (unsigned i = 0; i < MXP_NCASES(c); i++) {
		/* the payload in a buffer of exactly its length: ASan sees any read past it */
		uint8_t *p = malloc(c[i].len);
		memcpy(p, c[i].b, c[i].len);
		int got = dur(p, c[i].len);
		if (!MXP_CHECK(t, got == c[i].dur))
			printf("#   case %u: duration %d, want %d\n", i, got, c[i].dur);
		struct mxp_media_rx_info info;
		int n = O->decode(d, p, c[i].len, pcm, 2000, &info);
		MXP_CHECK_EQ(t, n, c[i].dur < 0 ? -1 : c[i].dur / 3);
		free(p);
	}
	uint8_t one = 0x08;
	MXP_CHECK_EQ(t, dur(&one, 0), -1);
	MXP_CHECK_EQ(t, dur(NULL, 0), -1);
	MXP_CHECK_EQ(t, O->decode(d, &one, 0, pcm, 2000, NULL), -1);
	/* cap too small for the packet */
	uint8_t p60[2] = {0x18, 1};
	MXP_CHECK_EQ(t, O->decode(d, p60, 2, pcm, 959, NULL), -1);
	MXP_CHECK_EQ(t, O->decode(d, p60, 2, pcm, 960, NULL), 960);
	/* rx_info: an empty frame is one the sender did not send */
	struct mxp_media_rx_info info;
	MXP_CHECK_EQ(t, O->decode(d, &one, 1, pcm, 2000, &info), 320);
	MXP_CHECK(t, info.speech == 0 && info.no_data == 1 && info.cmr == -1 && info.mode == 0);
	uint8_t two[5] = {0x0b, 0x82, 0, 3, 4}; /* VBR: an empty frame, then 2 bytes */
	MXP_CHECK_EQ(t, O->decode(d, two, 5, pcm, 2000, &info), 640);
	MXP_CHECK(t, info.speech == 1 && info.no_data == 1);
	O->dec_destroy(d);
}

/* Tone check of 16 kHz audio: level of f in dBFS (Goertzel) and the power of what is not
 * the tone, relative to the tone (dB): the least-squares sinusoid at f subtracted, over a
 * whole number of periods (n a multiple of 16 samples: 1 kHz and 5 kHz fit). */
static void
tone_measure(const int16_t *x, unsigned n, double f, double *level, double *resid_db)
{
	n &= ~15u;
	double a = 0, b = 0, w = 2 * M_PI * f / 16000;
	for (unsigned i = 0; i < n; i++) {
		a += x[i] * cos(w * i);
		b += x[i] * sin(w * i);
	}
	a *= 2.0 / n;
	b *= 2.0 / n;
	double tone = 0, rest = 0;
	for (unsigned i = 0; i < n; i++) {
		double s = a * cos(w * i) + b * sin(w * i), r = x[i] - s;
		tone += s * s;
		rest += r * r;
	}
	*level = tu_tone_dbfs(x, n, f, 16000);
	*resid_db = 10 * log10((rest + 1e-9) / (tone + 1e-9));
}

static int
tone_ok(struct mxp_test_ctx *t, const char *what, const int16_t *x, unsigned n, double f,
	double want_dbfs)
{
	double lvl, res;
	tone_measure(x, n, f, &lvl, &res);
	/* the strongest of a few candidate frequencies must be f */
	static const double cand[] = {250, 500, 1000, 2000, 3000, 4000, 5000, 6000, 7000};
	double best = -1e9, bf = 0;
	for (unsigned i = 0; i < MXP_NCASES(cand); i++) {
		double l = tu_tone_dbfs(x, n, cand[i], 16000);
		if (l > best) {
			best = l;
			bf = cand[i];
		}
	}
	printf("#   %s: %.0f Hz at %.1f dBFS (want %.1f), rest %.1f dB, strongest %.0f Hz\n",
	       what, f, lvl, want_dbfs, res, bf);
	int ok = MXP_CHECK(t, fabs(lvl - want_dbfs) < 2.0);
	ok &= MXP_CHECK(t, res < -15);
	ok &= MXP_CHECK(t, bf == f);
	return ok;
}

#define SECS 1
#define NS (16000 * SECS)

/* Encode a tone with ours at ptime, decode with ours, check it; every packet's duration. */
static void
roundtrip(struct mxp_test_ctx *t, double f, unsigned ptime, const char *fm)
{
	struct mxp_media_fmtp fp;
	char err[64];
	MXP_CHECK_EQ(t, fmtp(fm, &fp, err, sizeof(err)), 0);
	void *e = O->enc_create(&fp, ptime), *d = O->dec_create(&fp);
	if (!MXP_CHECK(t, e != NULL && d != NULL))
		return;
	static int16_t in[NS + 1920], out[NS + 1920];
	tu_tone(in, NS + 1920, f, 8000, 16000, 0); /* -12.3 dBFS */
	unsigned n = 16 * ptime, got = 0, bytes = 0, pk = 0, bad = 0;
	for (unsigned off = 0; off + n <= NS; off += n) {
		uint8_t pl[1500];
		int len = O->encode(e, in + off, n, pl, sizeof(pl));
		if (!MXP_CHECK(t, len > 2 && len <= O->max_payload))
			break;
		bytes += (unsigned)len;
		pk++;
		/* 30, 50, 70, 90, 110 ms: one code-3 packet of 10 ms frames */
		if (ptime % 20 != 0 && ptime != 10 &&
		    ((pl[0] & 3) != 3 || (pl[1] & 63) != ptime / 10 || ((pl[0] >> 3) & 3) != 0))
			bad++;
		if (O->duration(&fp, pl, (unsigned)len) != (int)(48 * ptime))
			bad++;
		struct mxp_media_rx_info info;
		int k = O->decode(d, pl, (unsigned)len, out + got, 1920, &info);
		if (k != (int)n)
			bad++;
		else
			got += n;
	}
	MXP_CHECK_EQ(t, bad, 0);
	char what[64];
	snprintf(what, sizeof(what), "ours->ours %u ms, %.1f kbit/s", ptime,
		 bytes * 8.0 / (pk * ptime));
	/* skip the first 100 ms (the codec's start and delay) */
	if (MXP_CHECK(t, got >= 12000))
		tone_ok(t, what, out + 1600, got - 1600, f, 20 * log10(8000.0 / 32767));
	O->enc_destroy(e);
	O->dec_destroy(d);
}

MXP_TEST(opus_tones_ours)
{
	roundtrip(t, 1000, 20, "");
	roundtrip(t, 5000, 20, "");
	roundtrip(t, 1000, 20, "maxaveragebitrate=12000;cbr=1");
	roundtrip(t, 5000, 20, "maxaveragebitrate=64000;useinbandfec=1");
}

/* The bandwidth of what we send (TOC config, RFC 6716 table 2) follows maxplaybackrate. */
MXP_TEST(opus_bandwidth)
{
	static const struct {
		const char *fmtp;
		int bw; /* 0 NB, 1 MB, 2 WB */
	} c[] = {{"", 2}, {"maxplaybackrate=48000", 2}, {"maxplaybackrate=16000", 2},
		 {"maxplaybackrate=12000", 1}, {"maxplaybackrate=8000", 0}};
	for (unsigned k = 0; k < MXP_NCASES(c); k++) {
		struct mxp_media_fmtp fp;
		char err[64];
		fmtp(c[k].fmtp, &fp, err, sizeof(err));
		void *e = O->enc_create(&fp, 20);
		int16_t pcm[320];
		unsigned over = 0;
		int maxbw = -1;
		for (int f = 0; f < 50; f++) {
			tu_speechlike(pcm, 320, 16000, (uint32_t)f + 1);
			uint8_t pl[1500];
			int len = O->encode(e, pcm, 320, pl, sizeof(pl));
			if (!MXP_CHECK(t, len > 2))
				break;
			unsigned cfg = pl[0] >> 3;
			/* SILK 0-3 NB, 4-7 MB, 8-11 WB; CELT 16-19 NB, 20-23 WB; hybrid >= SWB */
			int bw = cfg < 12 ? (int)cfg / 4 : cfg < 16 ? 3 : cfg < 20 ? 0 : cfg < 24 ? 2 : 3;
			if (bw > maxbw)
				maxbw = bw;
			over += bw > c[k].bw;
		}
		printf("#   %-22s widest bandwidth sent %s\n", c[k].fmtp[0] ? c[k].fmtp : "(none)",
		       maxbw == 0 ? "NB" : maxbw == 1 ? "MB" : maxbw == 2 ? "WB" : "SWB/FB");
		MXP_CHECK_EQ(t, over, 0);
		MXP_CHECK_EQ(t, maxbw, c[k].bw);
		O->enc_destroy(e);
	}
}

MXP_TEST(opus_ptimes)
{
	static const unsigned pt[] = {10, 30, 40, 50, 60, 80, 100, 110, 120};
	for (unsigned i = 0; i < MXP_NCASES(pt); i++)
		roundtrip(t, 1000, pt[i], "");
	static const unsigned no[] = {0, 5, 15, 25, 130};
	for (unsigned i = 0; i < MXP_NCASES(no); i++)
		MXP_CHECK(t, O->enc_create(NULL, no[i]) == NULL);
	/* wrong n, too small an output buffer */
	void *e = O->enc_create(NULL, 20);
	int16_t pcm[320] = {0};
	uint8_t out[8];
	MXP_CHECK_EQ(t, O->encode(e, pcm, 160, out, sizeof(out)), -1);
	MXP_CHECK_EQ(t, O->encode(e, pcm, 320, out, 2), -1);
	O->enc_destroy(e);
}

MXP_TEST(opus_dtx_silence)
{
	struct mxp_media_fmtp fp;
	char err[64];
	MXP_CHECK_EQ(t, fmtp("usedtx=1", &fp, err, sizeof(err)), 0);
	static const unsigned pt[] = {20, 30, 60};
	for (unsigned k = 0; k < MXP_NCASES(pt); k++) {
		void *e = O->enc_create(&fp, pt[k]), *d = O->dec_create(&fp);
		unsigned n = 16 * pt[k], zero = 0, sent = 0, total = 0;
		int16_t pcm[1920];
		uint32_t seed = 7;
		/* 2 s of a speech-like signal's first 200 ms, then near-silence */
		for (unsigned f = 0; f < 2000 / pt[k]; f++) {
			if (f * pt[k] < 200)
				tu_speechlike(pcm, n, 16000, seed + f);
			else
				for (unsigned i = 0; i < n; i++)
					pcm[i] = (int16_t)((int)(tu_rand(&seed) % 5) - 2);
			uint8_t pl[1500];
			int len = O->encode(e, pcm, n, pl, sizeof(pl));
			MXP_CHECK(t, len >= 0);
			if (f * pt[k] < 400)
				continue;
			total++;
			if (len == 0) {
				zero++;
			} else {
				sent++;
				MXP_CHECK_EQ(t, O->decode(d, pl, (unsigned)len, pcm, 1920, NULL),
					     (int)n);
			}
		}
		printf("#   DTX %u ms: %u of %u packet times of silence sent nothing\n", pt[k],
		       zero, total);
		MXP_CHECK(t, zero * 10 >= total * 7);
		O->enc_destroy(e);
		O->dec_destroy(d);
	}
	/* without usedtx every packet time makes a packet */
	void *e = O->enc_create(NULL, 20);
	int16_t z[320] = {0};
	unsigned zero = 0;
	for (int f = 0; f < 50; f++) {
		uint8_t pl[1500];
		zero += O->encode(e, z, 320, pl, sizeof(pl)) == 0;
	}
	MXP_CHECK_EQ(t, zero, 0);
	O->enc_destroy(e);
}

MXP_TEST(opus_fec_and_conceal)
{
	struct mxp_media_fmtp fp;
	char err[64];
	MXP_CHECK_EQ(t, fmtp("useinbandfec=1", &fp, err, sizeof(err)), 0);
	void *e = O->enc_create(&fp, 20);
	mxp_media_opus_set_loss_perc(e, 20);
	enum { NP = 100 };
	static int16_t in[NP * 320];
	static uint8_t pl[NP][1500];
	int len[NP];
	tu_speechlike(in, NP * 320, 16000, 3);
	unsigned fec = 0;
	for (int k = 0; k < NP; k++) {
		len[k] = O->encode(e, in + k * 320, 320, pl[k], 1500);
		MXP_CHECK(t, len[k] > 2);
		int h = mxp_media_opus_has_fec(pl[k], (unsigned)len[k]);
		MXP_CHECK(t, h == 0 || h == 1);
		fec += h == 1;
	}
	printf("#   %u of %d packets carry FEC for the one before\n", fec, NP);
	MXP_CHECK(t, fec >= NP / 2);
	/* reference: every packet; then packet L lost, recovered by FEC or concealed */
	static int16_t ref[NP * 320], viafec[NP * 320], viaplc[NP * 320];
	void *d0 = O->dec_create(&fp), *d1 = O->dec_create(&fp), *d2 = O->dec_create(&fp);
	double gain = 0;
	unsigned lost = 0;
	for (int k = 0; k < NP; k++) {
		O->decode(d0, pl[k], (unsigned)len[k], ref + k * 320, 320, NULL);
		int miss = k >= 10 && k % 10 == 0 && k + 1 < NP;
		if (miss) {
			MXP_CHECK_EQ(t, mxp_media_opus_decode_fec(d1, pl[k + 1], (unsigned)len[k + 1],
								   viafec + k * 320, 320), 320);
			MXP_CHECK_EQ(t, O->conceal(d2, viaplc + k * 320, 320), 320);
			double sf = tu_snr(ref + k * 320, viafec + k * 320, 320, 0);
			double sp = tu_snr(ref + k * 320, viaplc + k * 320, 320, 0);
			gain += sf - sp;
			lost++;
		} else {
			O->decode(d1, pl[k], (unsigned)len[k], viafec + k * 320, 320, NULL);
			O->decode(d2, pl[k], (unsigned)len[k], viaplc + k * 320, 320, NULL);
		}
	}
	printf("#   lost packets: FEC beats concealment by %.1f dB SNR on average\n",
	       gain / lost);
	MXP_CHECK(t, gain / lost > 3);
	/* conceal: multiples of 2.5 ms only; decode_fec of a malformed packet fails */
	int16_t pcm[1920];
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, 40), 40);
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, 1920), 1920);
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, 33), -1);
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, 0), -1);
	uint8_t badp[2] = {0x09, 1};
	MXP_CHECK_EQ(t, mxp_media_opus_decode_fec(d2, badp, 2, pcm, 320), -1);
	MXP_CHECK_EQ(t, mxp_media_opus_has_fec(badp, 2), -1);
	uint8_t celt[3] = {0xf8, 0xff, 0xff};
	MXP_CHECK_EQ(t, mxp_media_opus_has_fec(celt, 3), 0);
	/* no FEC asked for: none sent */
	void *e2 = O->enc_create(NULL, 20);
	fec = 0;
	for (int k = 0; k < 20; k++) {
		uint8_t b[1500];
		int l = O->encode(e2, in + k * 320, 320, b, sizeof(b));
		fec += mxp_media_opus_has_fec(b, (unsigned)l) == 1;
	}
	MXP_CHECK_EQ(t, fec, 0);
	MXP_CHECK_EQ(t, mxp_media_opus_set_complexity(e2, 11), -EINVAL);
	MXP_CHECK_EQ(t, mxp_media_opus_set_complexity(e2, 0), 0);
	O->enc_destroy(e2);
	O->enc_destroy(e);
	O->dec_destroy(d0);
	O->dec_destroy(d1);
	O->dec_destroy(d2);
}

/* --- Ogg Opus (RFC 3533, RFC 7845): a minimal muxer and demuxer --- */

static uint32_t
ogg_crc(const uint8_t *p, size_t n)
{
	static uint32_t tab[256];
	if (tab[1] == 0)
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t r = i << 24;
			for (int k = 0; k < 8; k++)
				r = r & 0x80000000u ? (r << 1) ^ 0x04c11db7u : r << 1;
			tab[i] = r;
		}
	uint32_t c = 0;
	for (size_t i = 0; i < n; i++)
		c = (c << 8) ^ tab[((c >> 24) ^ p[i]) & 0xff];
	return c;
}

static void
le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* One page holding one packet (< 255 * 255 bytes). */
static void
ogg_page(FILE *f, const uint8_t *pkt, size_t len, uint8_t flags, uint64_t granule,
	 uint32_t seq)
{
	uint8_t h[27 + 255];
	memcpy(h, "OggS", 4);
	h[4] = 0;
	h[5] = flags;
	le(h + 6, granule, 8);
	le(h + 14, 0x6d787021, 4); /* serial */
	le(h + 18, seq, 4);
	le(h + 22, 0, 4);
	unsigned nseg = (unsigned)(len / 255 + 1);
	h[26] = (uint8_t)nseg;
	for (unsigned i = 0; i < nseg; i++)
		h[27 + i] = (uint8_t)(i + 1 < nseg ? 255 : len % 255);
	size_t hl = 27 + nseg;
	static uint8_t page[27 + 255 + 65025];
	memcpy(page, h, hl);
	memcpy(page + hl, pkt, len);
	le(page + 22, ogg_crc(page, hl + len), 4);
	fwrite(page, 1, hl + len, f);
}

/* Ogg pages into packets; checks each page's CRC. Returns the packet count or -1. */
static int
ogg_packets(const uint8_t *b, size_t n, uint8_t **pk, unsigned *pklen, int max)
{
	int np = 0;
	static uint8_t cur[65536];
	size_t cl = 0;
	size_t off = 0;
	while (off + 27 <= n) {
		if (memcmp(b + off, "OggS", 4) != 0)
			return -1;
		unsigned nseg = b[off + 26];
		if (off + 27 + nseg > n)
			return -1;
		size_t body = 0;
		for (unsigned i = 0; i < nseg; i++)
			body += b[off + 27 + i];
		size_t plen = 27 + nseg + body;
		if (off + plen > n)
			return -1;
		static uint8_t tmp[27 + 255 + 65025];
		memcpy(tmp, b + off, plen);
		memset(tmp + 22, 0, 4);
		uint32_t crc = (uint32_t)b[off + 22] | (uint32_t)b[off + 23] << 8 |
			       (uint32_t)b[off + 24] << 16 | (uint32_t)b[off + 25] << 24;
		if (ogg_crc(tmp, plen) != crc)
			return -1;
		const uint8_t *d = b + off + 27 + nseg;
		for (unsigned i = 0; i < nseg; i++) {
			unsigned l = b[off + 27 + i];
			if (cl + l > sizeof(cur))
				return -1;
			memcpy(cur + cl, d, l);
			cl += l;
			d += l;
			if (l < 255) {
				if (np == max)
					return -1;
				pk[np] = malloc(cl ? cl : 1);
				memcpy(pk[np], cur, cl);
				pklen[np++] = (unsigned)cl;
				cl = 0;
			}
		}
		off += plen;
	}
	return np;
}

static int
have_ffmpeg(void)
{
	return system("command -v ffmpeg >/dev/null 2>&1") == 0;
}

/* (a) our packets in an Ogg Opus file, decoded by ffmpeg's own (non-libopus) decoder */
MXP_TEST(opus_ours_decoded_by_ffmpeg_native)
{
	if (!have_ffmpeg()) {
		printf("# SKIP ffmpeg not installed\n");
		return;
	}
	static const double freq[2] = {1000, 5000};
	static const unsigned ptime[2] = {20, 60};
	for (int k = 0; k < 2; k++) {
		void *e = O->enc_create(NULL, ptime[k]);
		char path[128];
		snprintf(path, sizeof(path), "%s/ours%d.opus", tu_tmpdir(), k);
		FILE *f = fopen(path, "wb");
		if (!MXP_CHECK(t, f != NULL && e != NULL))
			return;
		uint8_t head[19];
		memcpy(head, "OpusHead", 8);
		head[8] = 1;
		head[9] = 1;          /* channels */
		le(head + 10, 0, 2);  /* pre-skip: the tone check skips the start anyway */
		le(head + 12, 16000, 4);
		le(head + 16, 0, 2);  /* gain */
		head[18] = 0;         /* mapping family */
		ogg_page(f, head, sizeof(head), 0x02, 0, 0);
		uint8_t tags[8 + 4 + 8 + 4];
		memcpy(tags, "OpusTags", 8);
		le(tags + 8, 8, 4);
		memcpy(tags + 12, "mixplane", 8);
		le(tags + 20, 0, 4);
		ogg_page(f, tags, sizeof(tags), 0, 0, 1);
		static int16_t in[NS];
		tu_tone(in, NS, freq[k], 8000, 16000, 0);
		unsigned n = 16 * ptime[k], np = NS / n;
		uint64_t gran = 0;
		for (unsigned i = 0; i < np; i++) {
			uint8_t pl[1500];
			int len = O->encode(e, in + i * n, n, pl, sizeof(pl));
			MXP_CHECK(t, len > 2);
			gran += 48 * ptime[k];
			ogg_page(f, pl, (size_t)len, i + 1 == np ? 0x04 : 0, gran, i + 2);
		}
		fclose(f);
		O->enc_destroy(e);
		char args[512], raw[128];
		snprintf(raw, sizeof(raw), "%s/ff%d.raw", tu_tmpdir(), k);
		snprintf(args, sizeof(args), "-c:a opus -i %s -f s16le -ac 1 -ar 16000 %s", path, raw);
		if (!MXP_CHECK(t, tu_ffmpeg(args) == 0))
			continue;
		uint8_t *b = NULL;
		long bl = tu_read(raw, &b);
		unsigned ns = bl > 0 ? (unsigned)bl / 2 : 0;
		printf("#   ffmpeg (native opus decoder) decoded %u samples of %u\n", ns, NS);
		if (MXP_CHECK(t, ns >= NS - 1000)) {
			char what[64];
			snprintf(what, sizeof(what), "ours->ffmpeg native, %u ms", ptime[k]);
			tone_ok(t, what, (const int16_t *)b + 1600, ns - 3200, freq[k],
				20 * log10(8000.0 / 32767));
		}
		free(b);
	}
}

/* (b) ffmpeg's libopus packets, demuxed here, decoded by ours */
MXP_TEST(opus_ffmpeg_libopus_decoded_by_ours)
{
	if (!have_ffmpeg()) {
		printf("# SKIP ffmpeg not installed\n");
		return;
	}
	static const double freq[2] = {1000, 5000};
	for (int k = 0; k < 2; k++) {
		char args[512], path[128];
		snprintf(path, sizeof(path), "%s/ff%d.opus", tu_tmpdir(), k);
		snprintf(args, sizeof(args),
			 "-f lavfi -i sine=frequency=%.0f:sample_rate=48000:duration=1 -ac 1 "
			 "-c:a libopus -b:a 24k -frame_duration 20 -application voip %s",
			 freq[k], path);
		if (!MXP_CHECK(t, tu_ffmpeg(args) == 0))
			continue;
		uint8_t *b = NULL;
		long bl = tu_read(path, &b);
		uint8_t *pk[200];
		unsigned pl[200];
		int np = bl > 0 ? ogg_packets(b, (size_t)bl, pk, pl, 200) : -1;
		free(b);
		if (!MXP_CHECK(t, np > 40))
			continue;
		MXP_CHECK(t, pl[0] >= 19 && memcmp(pk[0], "OpusHead", 8) == 0);
		MXP_CHECK(t, pl[1] >= 8 && memcmp(pk[1], "OpusTags", 8) == 0);
		void *d = O->dec_create(NULL);
		static int16_t out[NS + 2000];
		unsigned got = 0, bad = 0;
		for (int i = 2; i < np; i++) {
			int du = O->duration(NULL, pk[i], pl[i]);
			int n = O->decode(d, pk[i], pl[i], out + got, 1920, NULL);
			if (du != 960 || n != 320)
				bad++;
			else if (got + 320 <= NS)
				got += 320;
			free(pk[i]);
		}
		free(pk[0]);
		free(pk[1]);
		O->dec_destroy(d);
		MXP_CHECK_EQ(t, bad, 0);
		printf("#   %d ffmpeg/libopus packets, %u samples\n", np - 2, got);
		/* lavfi sine: amplitude 1/8 of full scale */
		if (MXP_CHECK(t, got > 12000))
			tone_ok(t, freq[k] == 1000 ? "ffmpeg libopus->ours, 1 kHz"
						   : "ffmpeg libopus->ours, 5 kHz",
				out + 1600, got - 3200, freq[k], 20 * log10(1.0 / 8));
	}
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(opus_table),
	MXP_CASE(opus_fmtp_parse_format),
	MXP_CASE(opus_duration_toc),
	MXP_CASE(opus_tones_ours),
	MXP_CASE(opus_bandwidth),
	MXP_CASE(opus_ptimes),
	MXP_CASE(opus_dtx_silence),
	MXP_CASE(opus_fec_and_conceal),
	MXP_CASE(opus_ours_decoded_by_ffmpeg_native),
	MXP_CASE(opus_ffmpeg_libopus_decoded_by_ours),
};

int
main(int argc, char **argv)
{
	int rc = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	tu_cleanup_tmpdir();
	return rc;
}
