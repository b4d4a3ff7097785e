/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Opus frame codec (lib/media/codec_opus.c, RFC 7587), fullband (PCM at 48 kHz): fmtp,
 * the duration of hand-built tables of contents (RFC 6716 3.2), tones through our encoder
 * and decoder, every packet time, the bandwidth maxplaybackrate allows (a 14 kHz tone
 * passes only in fullband), DTX, in-band FEC, and interoperability with ffmpeg: our packets
 * in an Ogg Opus file (RFC 7845, muxed here) decoded by ffmpeg's native decoder (not
 * libopus), and ffmpeg's libopus packets (demuxed here) decoded by ours.
 */
#include <errno.h>

#include "mxp_test.h"
#include "mxp_media_codec.h"
#include "codec_opus.h"
#include "media_test_util.h"

static const struct mxp_media_codec_ops *O = &mxp_media_opus_ops;

#define FS 48000              /* the codec's PCM rate */
#define SPMS (FS / 1000)      /* samples a ms */
#define MAXN (120 * SPMS)     /* samples of the longest packet, 120 ms */

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
	MXP_CHECK_EQ(t, O->rate, 48000); /* fullband PCM */
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
	/* RFC 7587's default maxplaybackrate is 48000: fullband */
	MXP_CHECK_STR(t, buf, "maxplaybackrate=48000;sprop-maxcapturerate=48000;useinbandfec=1");
	MXP_CHECK_EQ(t, n, (int)strlen(buf));

	/* what changes nothing of what we send compares equal to the defaults */
	MXP_CHECK_EQ(t, fmtp("maxplaybackrate=48000; sprop-maxcapturerate=48000; stereo=1; "
			     "sprop-stereo=1; minptime=10; ptime=20; maxptime=120; "
			     "maxaveragebitrate=24000; x-unknown=7; flag",
			     &f, err, sizeof(err)), 0);
	MXP_CHECK_MEM(t, &f, &zero, sizeof(f));
	/* above super-wideband's 24000 is fullband too */
	MXP_CHECK_EQ(t, fmtp("maxplaybackrate=32000", &g, err, sizeof(err)), 0);
	MXP_CHECK_MEM(t, &f, &g, sizeof(f));

	/* maxplaybackrate to the bandwidth we send (NB, MB, WB, SWB, FB) and back to the rate
	 * we say; two blocks are equal exactly when the rates are */
	static const struct {
		const char *s;
		unsigned r;
	} pr[] = {
		{"maxplaybackrate=8000", 8000},   {"maxplaybackrate=8001", 12000},
		{"maxplaybackrate=12000", 12000}, {"maxplaybackrate=12001", 16000},
		{"maxplaybackrate=16000", 16000}, {"maxplaybackrate=16001", 24000},
		{"maxplaybackrate=24000", 24000}, {"maxplaybackrate=24001", 48000},
		{"maxplaybackrate=44100", 48000}, {"maxplaybackrate=48000", 48000},
	};
	struct mxp_media_fmtp pf[MXP_NCASES(pr)];
	for (unsigned i = 0; i < MXP_NCASES(pr); i++) {
		char want[96];
		MXP_CHECK_EQ(t, fmtp(pr[i].s, &pf[i], err, sizeof(err)), 0);
		O->fmtp_format(&pf[i], buf, sizeof(buf));
		snprintf(want, sizeof(want),
			 "maxplaybackrate=%u;sprop-maxcapturerate=%u;useinbandfec=1", pr[i].r,
			 pr[i].r);
		if (!MXP_CHECK(t, strcmp(buf, want) == 0))
			printf("#   %s -> %s, want %s\n", pr[i].s, buf, want);
		for (unsigned j = 0; j < i; j++)
			MXP_CHECK(t, (memcmp(&pf[i], &pf[j], sizeof(pf[i])) == 0) ==
					       (pr[i].r == pr[j].r));
	}

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
		int dur; /* 48 kHz units (and samples), -1 malformed */
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
	int16_t pcm[MAXN];
	for (unsigned i = 0; i < MXP_NCASES(c); i++) {
		/* the payload in a buffer of exactly its length: ASan sees any read past it */
		uint8_t *p = malloc(c[i].len);
		memcpy(p, c[i].b, c[i].len);
		int got = dur(p, c[i].len);
		if (!MXP_CHECK(t, got == c[i].dur))
			printf("#   case %u: duration %d, want %d\n", i, got, c[i].dur);
		struct mxp_media_rx_info info;
		int n = O->decode(d, p, c[i].len, pcm, MAXN, &info);
		MXP_CHECK_EQ(t, n, c[i].dur); /* the RTP clock is the PCM rate */
		free(p);
	}
	uint8_t one = 0x08;
	MXP_CHECK_EQ(t, dur(&one, 0), -1);
	MXP_CHECK_EQ(t, dur(NULL, 0), -1);
	MXP_CHECK_EQ(t, O->decode(d, &one, 0, pcm, MAXN, NULL), -1);
	/* cap too small for the packet */
	uint8_t p60[2] = {0x18, 1};
	MXP_CHECK_EQ(t, O->decode(d, p60, 2, pcm, 2879, NULL), -1);
	MXP_CHECK_EQ(t, O->decode(d, p60, 2, pcm, 2880, NULL), 2880);
	uint8_t p120[2] = {0x83, 48}; /* 120 ms: the cap is met exactly by MAXN */
	MXP_CHECK_EQ(t, O->decode(d, p120, 2, pcm, MAXN - 1, NULL), -1);
	MXP_CHECK_EQ(t, O->decode(d, p120, 2, pcm, MAXN, NULL), MAXN);
	/* rx_info: an empty frame is one the sender did not send */
	struct mxp_media_rx_info info;
	MXP_CHECK_EQ(t, O->decode(d, &one, 1, pcm, MAXN, &info), 960);
	MXP_CHECK(t, info.speech == 0 && info.no_data == 1 && info.cmr == -1 && info.mode == 0);
	uint8_t two[5] = {0x0b, 0x82, 0, 3, 4}; /* VBR: an empty frame, then 2 bytes */
	MXP_CHECK_EQ(t, O->decode(d, two, 5, pcm, MAXN, &info), 1920);
	MXP_CHECK(t, info.speech == 1 && info.no_data == 1);
	O->dec_destroy(d);
}

/* Tone check of 48 kHz audio: level of f in dBFS (Goertzel) and the power of what is not
 * the tone, relative to the tone (dB): the least-squares sinusoid at f subtracted in each
 * block of 25 ms (1200 samples: a whole number of periods of any multiple of 40 Hz, and
 * most block edges inside a packet). A sinusoid a block rather than one for the whole:
 * libopus's decoder at 48 kHz moves a tone's phase (by up to about 1.5 samples) where the
 * sender switches between hybrid and CELT modes (ffmpeg's libopus does, at 5 kHz), which
 * is not noise; a glitch or noise anywhere still counts. */
static void
tone_measure(const int16_t *x, unsigned n, double f, double *level, double *resid_db)
{
	enum { B = 25 * SPMS };
	double w = 2 * M_PI * f / FS, tone = 0, rest = 0;
	for (unsigned o = 0; o + B <= n; o += B) {
		double a = 0, b = 0;
		for (unsigned i = 0; i < B; i++) {
			a += x[o + i] * cos(w * i);
			b += x[o + i] * sin(w * i);
		}
		a *= 2.0 / B;
		b *= 2.0 / B;
		for (unsigned i = 0; i < B; i++) {
			double s = a * cos(w * i) + b * sin(w * i), r = x[o + i] - s;
			tone += s * s;
			rest += r * r;
		}
	}
	*level = tu_tone_dbfs(x, n, f, FS);
	*resid_db = 10 * log10((rest + 1e-9) / (tone + 1e-9));
}

/* The power of x between f0 and f1 (DFT of 20 ms blocks: bins of 50 Hz), as the level in
 * dBFS of a sine of that power: what a codec that codes a band's energy rather than its
 * waveform (CELT at low bit rates) keeps of a tone in that band. */
static double
band_dbfs(const int16_t *x, unsigned n, double f0, double f1)
{
	enum { B = 20 * SPMS };
	static double cs[B], sn[B];
	if (sn[1] == 0)
		for (unsigned i = 0; i < B; i++) {
			cs[i] = cos(2 * M_PI * i / B);
			sn[i] = sin(2 * M_PI * i / B);
		}
	double p = 0;
	unsigned nb = 0;
	for (unsigned o = 0; o + B <= n; o += B, nb++)
		for (unsigned k = (unsigned)ceil(f0 / 50); k <= f1 / 50 && k < B / 2; k++) {
			double re = 0, im = 0;
			for (unsigned i = 0; i < B; i++) {
				re += x[o + i] * cs[(k * i) % B];
				im += x[o + i] * sn[(k * i) % B];
			}
			p += 2 * (re * re + im * im) / ((double)B * B); /* bins k and B - k */
		}
	p = nb > 0 ? p / nb : 0; /* mean power; a sine of amplitude A has A^2 / 2 */
	return 20 * log10(sqrt(2 * p) / 32767 + 1e-12);
}

/* Frame duration of a TOC configuration (RFC 6716 table 2), in units of 2.5 ms. */
static unsigned
toc_frame_q(unsigned cfg)
{
	static const uint8_t silk[4] = {4, 8, 16, 24}, celt[4] = {1, 2, 4, 8};
	return cfg < 12 ? silk[cfg & 3] : cfg < 16 ? (cfg & 1 ? 8u : 4u) : celt[cfg & 3];
}

static int
tone_ok(struct mxp_test_ctx *t, const char *what, const int16_t *x, unsigned n, double f,
	double want_dbfs)
{
	double lvl, res;
	tone_measure(x, n, f, &lvl, &res);
	/* the strongest of a few candidate frequencies must be f */
	static const double cand[] = {250,  500,   1000,  2000,  3000,  4000,  5000,  6000,
				      7000, 8000,  10000, 12000, 14000, 16000, 18000, 20000};
	double best = -1e9, bf = 0;
	for (unsigned i = 0; i < MXP_NCASES(cand); i++) {
		double l = tu_tone_dbfs(x, n, cand[i], FS);
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
#define NS (FS * SECS)
#define SKIP (100 * SPMS) /* the codec's start and delay: the first 100 ms */

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
	static int16_t in[NS + MAXN], out[NS + MAXN];
	tu_tone(in, NS + MAXN, f, 8000, FS, 0); /* -12.3 dBFS */
	unsigned n = SPMS * ptime, got = 0, bytes = 0, pk = 0, bad = 0;
	for (unsigned off = 0; off + n <= NS; off += n) {
		uint8_t pl[1500];
		int len = O->encode(e, in + off, n, pl, sizeof(pl));
		if (!MXP_CHECK(t, len > 2 && len <= O->max_payload))
			break;
		bytes += (unsigned)len;
		pk++;
		/* 30, 50, 70, 90, 110 ms: one code-3 packet of 10 ms frames (SILK, hybrid or
		 * CELT) */
		if (ptime % 20 != 0 && ptime != 10 &&
		    ((pl[0] & 3) != 3 || (pl[1] & 63) != ptime / 10 ||
		     toc_frame_q(pl[0] >> 3) != 4))
			bad++;
		if (O->duration(&fp, pl, (unsigned)len) != (int)(48 * ptime))
			bad++;
		struct mxp_media_rx_info info;
		int k = O->decode(d, pl, (unsigned)len, out + got, MAXN, &info);
		if (k != (int)n)
			bad++;
		else
			got += n;
	}
	MXP_CHECK_EQ(t, bad, 0);
	char what[64];
	snprintf(what, sizeof(what), "ours->ours %u ms, %.1f kbit/s", ptime,
		 bytes * 8.0 / (pk * ptime));
	if (MXP_CHECK(t, got >= 3 * NS / 4))
		tone_ok(t, what, out + SKIP, got - SKIP, f, 20 * log10(8000.0 / 32767));
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
		int bw; /* 0 NB, 1 MB, 2 WB, 3 SWB, 4 FB */
	} c[] = {{"", 4},
		 {"maxplaybackrate=48000", 4},
		 {"maxplaybackrate=24001", 4},
		 {"maxplaybackrate=24000", 3},
		 {"maxplaybackrate=16000", 2},
		 {"maxplaybackrate=12000", 1},
		 {"maxplaybackrate=8000", 0}};
	static const char *const bwname[5] = {"NB", "MB", "WB", "SWB", "FB"};
	for (unsigned k = 0; k < MXP_NCASES(c); k++) {
		struct mxp_media_fmtp fp;
		char err[64];
		MXP_CHECK_EQ(t, fmtp(c[k].fmtp, &fp, err, sizeof(err)), 0);
		void *e = O->enc_create(&fp, 20);
		int16_t pcm[20 * SPMS];
		unsigned over = 0;
		int maxbw = -1;
		for (int f = 0; f < 50; f++) {
			tu_speechlike(pcm, 20 * SPMS, FS, (uint32_t)f + 1);
			uint8_t pl[1500];
			int len = O->encode(e, pcm, 20 * SPMS, pl, sizeof(pl));
			if (!MXP_CHECK(t, len > 2))
				break;
			unsigned cfg = pl[0] >> 3;
			/* SILK 0-3 NB, 4-7 MB, 8-11 WB; hybrid 12-13 SWB, 14-15 FB; CELT 16-19 NB,
			 * 20-23 WB, 24-27 SWB, 28-31 FB */
			int bw = cfg < 12 ? (int)cfg / 4 : cfg < 14 ? 3 : cfg < 16 ? 4 :
				 cfg < 20 ? 0 : (int)(cfg - 12) / 4;
			if (bw > maxbw)
				maxbw = bw;
			over += bw > c[k].bw;
		}
		printf("#   %-22s widest bandwidth sent %s\n", c[k].fmtp[0] ? c[k].fmtp : "(none)",
		       maxbw >= 0 ? bwname[maxbw] : "-");
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
	int16_t pcm[20 * SPMS] = {0};
	uint8_t out[8];
	MXP_CHECK_EQ(t, O->encode(e, pcm, 320, out, sizeof(out)), -1); /* 20 ms at 16 kHz */
	MXP_CHECK_EQ(t, O->encode(e, pcm, 10 * SPMS, out, sizeof(out)), -1);
	MXP_CHECK_EQ(t, O->encode(e, pcm, 20 * SPMS, out, 2), -1);
	MXP_CHECK(t, O->encode(e, pcm, 20 * SPMS, out, sizeof(out)) >= 0);
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
		unsigned n = SPMS * pt[k], zero = 0, sent = 0, total = 0;
		int16_t pcm[MAXN];
		uint32_t seed = 7;
		/* 2 s of a speech-like signal's first 200 ms, then near-silence */
		for (unsigned f = 0; f < 2000 / pt[k]; f++) {
			if (f * pt[k] < 200)
				tu_speechlike(pcm, n, FS, seed + f);
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
				MXP_CHECK_EQ(t, O->decode(d, pl, (unsigned)len, pcm, MAXN, NULL),
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
	int16_t z[20 * SPMS] = {0};
	unsigned zero = 0;
	for (int f = 0; f < 50; f++) {
		uint8_t pl[1500];
		zero += O->encode(e, z, 20 * SPMS, pl, sizeof(pl)) <= 0;
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
	enum { NP = 100, N = 20 * SPMS };
	static int16_t in[NP * N];
	static uint8_t pl[NP][1500];
	int len[NP];
	tu_speechlike(in, NP * N, FS, 3);
	unsigned fec = 0;
	for (int k = 0; k < NP; k++) {
		len[k] = O->encode(e, in + k * N, N, pl[k], 1500);
		MXP_CHECK(t, len[k] > 2);
		int h = mxp_media_opus_has_fec(pl[k], (unsigned)len[k]);
		MXP_CHECK(t, h == 0 || h == 1);
		fec += h == 1;
	}
	printf("#   %u of %d packets carry FEC for the one before\n", fec, NP);
	MXP_CHECK(t, fec >= NP / 2);
	/* reference: every packet; then packet L lost, recovered by FEC or concealed */
	static int16_t ref[NP * N], viafec[NP * N], viaplc[NP * N];
	void *d0 = O->dec_create(&fp), *d1 = O->dec_create(&fp), *d2 = O->dec_create(&fp);
	double gain = 0;
	unsigned lost = 0;
	for (int k = 0; k < NP; k++) {
		MXP_CHECK_EQ(t, O->decode(d0, pl[k], (unsigned)len[k], ref + k * N, N, NULL), N);
		int miss = k >= 10 && k % 10 == 0 && k + 1 < NP;
		if (miss) {
			MXP_CHECK_EQ(t, mxp_media_opus_decode_fec(d1, pl[k + 1], (unsigned)len[k + 1],
								   viafec + k * N, N), N);
			MXP_CHECK_EQ(t, O->conceal(d2, viaplc + k * N, N), N);
			double sf = tu_snr(ref + k * N, viafec + k * N, N, 0);
			double sp = tu_snr(ref + k * N, viaplc + k * N, N, 0);
			gain += sf - sp;
			lost++;
		} else {
			O->decode(d1, pl[k], (unsigned)len[k], viafec + k * N, N, NULL);
			O->decode(d2, pl[k], (unsigned)len[k], viaplc + k * N, N, NULL);
		}
	}
	printf("#   lost packets: FEC beats concealment by %.1f dB SNR on average\n",
	       gain / lost);
	MXP_CHECK(t, gain / lost > 3);
	/* conceal and decode_fec: multiples of 2.5 ms (120 samples) up to 120 ms only; a
	 * malformed packet fails */
	static int16_t pcm[MAXN + 120];
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, 120), 120);
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, MAXN), MAXN);
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, MAXN + 120), -1);
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, 40), -1); /* 2.5 ms at 16 kHz */
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, 33), -1);
	MXP_CHECK_EQ(t, O->conceal(d2, pcm, 0), -1);
	MXP_CHECK_EQ(t, mxp_media_opus_decode_fec(d2, pl[1], (unsigned)len[1], pcm, MAXN), MAXN);
	MXP_CHECK_EQ(t, mxp_media_opus_decode_fec(d2, pl[1], (unsigned)len[1], pcm, MAXN + 120),
		     -1);
	MXP_CHECK_EQ(t, mxp_media_opus_decode_fec(d2, pl[1], (unsigned)len[1], pcm, 320), -1);
	uint8_t badp[2] = {0x09, 1};
	MXP_CHECK_EQ(t, mxp_media_opus_decode_fec(d2, badp, 2, pcm, N), -1);
	MXP_CHECK_EQ(t, mxp_media_opus_has_fec(badp, 2), -1);
	uint8_t celt[3] = {0xf8, 0xff, 0xff};
	MXP_CHECK_EQ(t, mxp_media_opus_has_fec(celt, 3), 0);
	/* no FEC asked for: none sent */
	void *e2 = O->enc_create(NULL, 20);
	fec = 0;
	for (int k = 0; k < 20; k++) {
		uint8_t b[1500];
		int l = O->encode(e2, in + k * N, N, b, sizeof(b));
		MXP_CHECK(t, l > 2);
		fec += mxp_media_opus_has_fec(b, (unsigned)l) != 0;
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

/* Encode ns samples of in (48 kHz) with ours at ptime, fmtp fp, into an Ogg Opus file at
 * path. Returns 0, or -1 (a check failed: the encoder, the file or a packet). */
static int
ogg_write_ours(struct mxp_test_ctx *t, const char *path, const struct mxp_media_fmtp *fp,
	       const int16_t *in, unsigned ns, unsigned ptime)
{
	void *e = O->enc_create(fp, ptime);
	FILE *f = fopen(path, "wb");
	if (!MXP_CHECK(t, f != NULL && e != NULL)) {
		if (f != NULL)
			fclose(f);
		O->enc_destroy(e);
		return -1;
	}
	uint8_t head[19];
	memcpy(head, "OpusHead", 8);
	head[8] = 1;
	head[9] = 1;          /* channels */
	le(head + 10, 0, 2);  /* pre-skip: the tone check skips the start anyway */
	le(head + 12, FS, 4); /* input sample rate */
	le(head + 16, 0, 2);  /* gain */
	head[18] = 0;         /* mapping family */
	ogg_page(f, head, sizeof(head), 0x02, 0, 0);
	uint8_t tags[8 + 4 + 8 + 4];
	memcpy(tags, "OpusTags", 8);
	le(tags + 8, 8, 4);
	memcpy(tags + 12, "mixplane", 8);
	le(tags + 20, 0, 4);
	ogg_page(f, tags, sizeof(tags), 0, 0, 1);
	unsigned n = SPMS * ptime, np = ns / n;
	uint64_t gran = 0;
	int rc = 0;
	for (unsigned i = 0; i < np; i++) {
		uint8_t pl[1500];
		int len = O->encode(e, in + i * n, n, pl, sizeof(pl));
		if (!MXP_CHECK(t, len > 2 && len <= O->max_payload)) {
			printf("#   packet %u: encode %d\n", i, len);
			rc = -1;
			break;
		}
		gran += 48 * ptime;
		ogg_page(f, pl, (size_t)len, i + 1 == np ? 0x04 : 0, gran, i + 2);
	}
	fclose(f);
	O->enc_destroy(e);
	return rc;
}

/* An Ogg Opus file decoded by ffmpeg's native decoder to 48 kHz mono: the sample count
 * (the samples malloc'd in *pcm), or -1. */
static long
ffmpeg_native_decode(const char *path, const char *raw, int16_t **pcm)
{
	char args[512];
	snprintf(args, sizeof(args), "-c:a opus -i %s -f s16le -ac 1 -ar %d %s", path, FS, raw);
	*pcm = NULL;
	if (tu_ffmpeg(args) != 0)
		return -1;
	uint8_t *b = NULL;
	long bl = tu_read(raw, &b);
	if (bl < 0)
		return -1;
	*pcm = (int16_t *)b;
	return bl / 2;
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
		char path[128], raw[128];
		snprintf(path, sizeof(path), "%s/ours%d.opus", tu_tmpdir(), k);
		snprintf(raw, sizeof(raw), "%s/ff%d.raw", tu_tmpdir(), k);
		static int16_t in[NS];
		tu_tone(in, NS, freq[k], 8000, FS, 0);
		if (ogg_write_ours(t, path, NULL, in, NS, ptime[k]) != 0)
			continue;
		int16_t *y = NULL;
		long ns = ffmpeg_native_decode(path, raw, &y);
		MXP_CHECK(t, ns >= 0);
		printf("#   ffmpeg (native opus decoder) decoded %ld samples of %u\n", ns, NS);
		if (MXP_CHECK(t, ns >= NS - 3000)) {
			char what[64];
			snprintf(what, sizeof(what), "ours->ffmpeg native, %u ms", ptime[k]);
			tone_ok(t, what, y + SKIP, (unsigned)ns - 2 * SKIP, freq[k],
				20 * log10(8000.0 / 32767));
		}
		free(y);
	}
}

/* Fullband: a 14 kHz tone, above what super-wideband carries (12 kHz), through our
 * encoder at each maxplaybackrate, decoded by ours and by ffmpeg's native decoder. When
 * the peer plays fullband (the default) it comes back near its level: at the default 24
 * kbit/s as the energy of its band (CELT codes the band's energy and fills it with noise),
 * at 64 kbit/s as the tone itself; where the peer plays super-wideband or wideband only,
 * nothing of it is left. */
MXP_TEST(opus_fullband)
{
	static const struct {
		const char *fmtp;
		bool pass, tone; /* tone: the tone itself must come back, not just its band */
	} c[] = {
		{"", true, false},
		{"maxaveragebitrate=64000", true, true},
		{"maxplaybackrate=48000;maxaveragebitrate=64000", true, true},
		{"maxplaybackrate=24000", false, false},
		{"maxplaybackrate=24000;maxaveragebitrate=64000", false, false},
		{"maxplaybackrate=16000", false, false},
	};
	const double f = 14000, want = 20 * log10(8000.0 / 32767);
	static int16_t in[NS], out[NS + MAXN];
	tu_tone(in, NS, f, 8000, FS, 0);
	bool ff = have_ffmpeg();
	if (!ff)
		printf("#   ffmpeg not installed: our decoder only\n");
	for (unsigned k = 0; k < MXP_NCASES(c); k++) {
		struct mxp_media_fmtp fp;
		char err[64];
		MXP_CHECK_EQ(t, fmtp(c[k].fmtp, &fp, err, sizeof(err)), 0);
		void *e = O->enc_create(&fp, 20), *d = O->dec_create(&fp);
		if (!MXP_CHECK(t, e != NULL && d != NULL))
			return;
		unsigned n = 20 * SPMS, got = 0, bad = 0;
		for (unsigned off = 0; off + n <= NS; off += n) {
			uint8_t pl[1500];
			int len = O->encode(e, in + off, n, pl, sizeof(pl));
			int m = len > 2 ? O->decode(d, pl, (unsigned)len, out + got, MAXN, NULL)
					: -1;
			if (m == (int)n)
				got += n;
			else
				bad++;
		}
		O->enc_destroy(e);
		O->dec_destroy(d);
		MXP_CHECK_EQ(t, bad, 0);
		/* [0] ours, [1] ffmpeg native: the band 12.5-16 kHz, the tone */
		double band[2] = {0, 0}, tone[2] = {0, 0};
		if (MXP_CHECK(t, got > 2 * SKIP)) {
			band[0] = band_dbfs(out + SKIP, got - SKIP, 12500, 16000);
			tone[0] = tu_tone_dbfs(out + SKIP, got - SKIP, f, FS);
		}
		if (ff) { /* the same tone, encoded afresh, in a file for ffmpeg */
			char path[128], raw[128];
			snprintf(path, sizeof(path), "%s/fb%u.opus", tu_tmpdir(), k);
			snprintf(raw, sizeof(raw), "%s/fb%u.raw", tu_tmpdir(), k);
			int16_t *y = NULL;
			long ns = ogg_write_ours(t, path, &fp, in, NS, 20) == 0 ?
					  ffmpeg_native_decode(path, raw, &y) :
					  -1;
			if (MXP_CHECK(t, ns >= NS - 3000)) {
				unsigned m = (unsigned)ns - 2 * SKIP;
				band[1] = band_dbfs(y + SKIP, m, 12500, 16000);
				tone[1] = tu_tone_dbfs(y + SKIP, m, f, FS);
			}
			free(y);
		}
		printf("#   %-46s 14 kHz at %.1f dBFS -> band 12.5-16 kHz / tone: ours %.1f / "
		       "%.1f, ffmpeg native %.1f / %.1f dBFS\n",
		       c[k].fmtp[0] ? c[k].fmtp : "(none)", want, band[0], tone[0], band[1],
		       tone[1]);
		for (int i = 0; i < (ff ? 2 : 1); i++) {
			if (c[k].pass) {
				MXP_CHECK(t, fabs(band[i] - want) < 3);
				MXP_CHECK(t, !c[k].tone || fabs(tone[i] - want) < 2);
			} else {
				MXP_CHECK(t, band[i] < want - 40);
				MXP_CHECK(t, tone[i] < want - 40);
			}
		}
	}
}

/* (b) ffmpeg's libopus packets, demuxed here, decoded by ours */
MXP_TEST(opus_ffmpeg_libopus_decoded_by_ours)
{
	if (!have_ffmpeg()) {
		printf("# SKIP ffmpeg not installed\n");
		return;
	}
	/* 14 kHz: a fullband stream (above super-wideband's 12 kHz) rendered by our decoder, at
	 * a bit rate where libopus codes the tone itself rather than its band's energy */
	static const double freq[3] = {1000, 5000, 14000};
	static const unsigned kbps[3] = {24, 24, 64};
	for (int k = 0; k < 3; k++) {
		char args[512], path[128];
		snprintf(path, sizeof(path), "%s/ff%d.opus", tu_tmpdir(), k);
		snprintf(args, sizeof(args),
			 "-f lavfi -i sine=frequency=%.0f:sample_rate=48000:duration=1 -ac 1 "
			 "-c:a libopus -b:a %uk -frame_duration 20 -application voip %s",
			 freq[k], kbps[k], path);
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
		static int16_t out[NS + MAXN];
		unsigned got = 0, bad = 0;
		for (int i = 2; i < np; i++) {
			int du = O->duration(NULL, pk[i], pl[i]);
			int n = O->decode(d, pk[i], pl[i], out + got, MAXN, NULL);
			if (du != 20 * SPMS || n != 20 * SPMS)
				bad++;
			else if (got + 20 * SPMS <= NS)
				got += 20 * SPMS;
			free(pk[i]);
		}
		free(pk[0]);
		free(pk[1]);
		O->dec_destroy(d);
		MXP_CHECK_EQ(t, bad, 0);
		printf("#   %d ffmpeg/libopus packets, %u samples\n", np - 2, got);
		/* lavfi sine: amplitude 1/8 of full scale */
		char what[64];
		snprintf(what, sizeof(what), "ffmpeg libopus->ours, %.0f kHz", freq[k] / 1000);
		if (MXP_CHECK(t, got > 3 * NS / 4))
			tone_ok(t, what, out + SKIP, got - 2 * SKIP, freq[k], 20 * log10(1.0 / 8));
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
	MXP_CASE(opus_fullband),
	MXP_CASE(opus_ffmpeg_libopus_decoded_by_ours),
};

int
main(int argc, char **argv)
{
	int rc = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	tu_cleanup_tmpdir();
	return rc;
}
