/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What participants say and how mixgen tells who it heard.
 *
 * Every sender plays a loop of encoded payload bytes; packet k of a sender carries the
 * payload_len bytes at offset k * payload_len (mod the loop length). Receivers know the
 * loop and the sender's first timestamp, so they compare every decrypted payload with the
 * bytes that must be there. The loop is:
 *   tone     3 s of a sine at the participant's own frequency (base + i * step Hz, i its
 *            place in the conference), G.711 encoded with lib/media;
 *   wav      the file (8 kHz, mono, 16-bit PCM), encoded;
 *   pattern  pseudo-random bytes (throughput runs: --size sets the packet size).
 *
 * Who heard whom: the analyser sums the decoded audio of each receiver's streams by RTP
 * timestamp into one recording (what a client would play); at the end the Goertzel
 * algorithm measures the amplitude of every conference member's frequency in it.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_random.h>

#include "mixgen.h"

#include "mxp_media_codec.h"

#define TONE_LOOP 24000 /* 3 s: a whole number of periods of any integer frequency, and of
			 * every ptime from 10 to 60 ms */
#define TONE_AMPLITUDE 6000.0

static void
encode(enum mg_codec c, uint8_t *out, const int16_t *in, uint32_t n)
{
	if (c == MG_PCMA)
		mxp_media_alaw_encode(out, in, n);
	else
		mxp_media_ulaw_encode(out, in, n);
}

void
mg_audio_decode(enum mg_codec c, const uint8_t *in, int16_t *out, uint32_t n)
{
	if (c == MG_PCMA)
		mxp_media_alaw_decode(out, in, n);
	else
		mxp_media_ulaw_decode(out, in, n);
}

/* Read an 8 kHz mono 16-bit PCM WAV file. */
static int
wav_read(const char *path, int16_t **pcm, uint32_t *n, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return MG_ERR(err, errlen, "--audio %s: %s", path, strerror(errno));
	uint8_t h[12];
	if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) {
		fclose(f);
		return MG_ERR(err, errlen, "--audio %s: not a RIFF/WAVE file", path);
	}
	bool fmt_ok = false;
	for (;;) {
		uint8_t ch[8];
		if (fread(ch, 1, 8, f) != 8) {
			fclose(f);
			return MG_ERR(err, errlen, "--audio %s: no data chunk", path);
		}
		uint32_t sz = (uint32_t)ch[4] | (uint32_t)ch[5] << 8 | (uint32_t)ch[6] << 16 |
			      (uint32_t)ch[7] << 24;
		if (memcmp(ch, "fmt ", 4) == 0) {
			uint8_t fm[40];
			if (sz < 16 || sz > sizeof(fm) || fread(fm, 1, sz, f) != sz) {
				fclose(f);
				return MG_ERR(err, errlen, "--audio %s: bad fmt chunk", path);
			}
			unsigned fmt = fm[0] | fm[1] << 8, ch_n = fm[2] | fm[3] << 8;
			unsigned rate = fm[4] | fm[5] << 8 | fm[6] << 16 | (unsigned)fm[7] << 24;
			unsigned bits = fm[14] | fm[15] << 8;
			if (fmt != 1 || ch_n != 1 || rate != 8000 || bits != 16) {
				fclose(f);
				return MG_ERR(err, errlen,
					      "--audio %s: format %u, %u channel(s), %u Hz, %u bits; "
					      "mixgen plays 8 kHz mono 16-bit PCM (convert with: ffmpeg "
					      "-i IN -ar 8000 -ac 1 -c:a pcm_s16le OUT.wav)",
					      path, fmt, ch_n, rate, bits);
			}
			fmt_ok = true;
			if (sz & 1)
				fseek(f, 1, SEEK_CUR);
			continue;
		}
		if (memcmp(ch, "data", 4) == 0) {
			if (!fmt_ok) {
				fclose(f);
				return MG_ERR(err, errlen, "--audio %s: data before fmt", path);
			}
			uint32_t cnt = sz / 2;
			if (cnt < 8000) {
				fclose(f);
				return MG_ERR(err, errlen, "--audio %s: shorter than one second", path);
			}
			*pcm = malloc((size_t)cnt * 2);
			if (*pcm == NULL || fread(*pcm, 2, cnt, f) != cnt) {
				free(*pcm);
				fclose(f);
				return MG_ERR(err, errlen, "--audio %s: truncated", path);
			}
			*n = cnt;
			fclose(f);
			return 0;
		}
		fseek(f, (long)(sz + (sz & 1)), SEEK_CUR);
	}
}

int
mg_audio_init(struct mg *m, char *err, size_t errlen)
{
	const struct mg_opts *o = &m->o;
	uint32_t mki_len = m->mki ? 4 : 0, tag = o->plain ? 0 : MG_TAG_LEN;
	uint32_t ext = o->probe ? MG_EXT_LEN : 0;

	m->ts_step = o->ptime_ms * 8;
	int16_t *wav = NULL;
	uint32_t wav_n = 0;
	if (o->audio == MG_AUDIO_WAV && wav_read(o->wav_in, &wav, &wav_n, err, errlen) != 0)
		return -1;
	if (o->audio == MG_AUDIO_PATTERN) {
		if (o->size < MG_RTP_HDR + ext + mki_len + tag + 1)
			return MG_ERR(err, errlen, "--size %u leaves no payload", o->size);
		m->payload_len = o->size - MG_RTP_HDR - ext - mki_len - tag;
	} else {
		m->payload_len = m->ts_step; /* G.711: one byte per sample */
	}
	if (m->payload_len > MG_MAX_PAYLOAD) {
		free(wav);
		return MG_ERR(err, errlen, "payload of %u bytes is too large", m->payload_len);
	}
	m->rtp_len = MG_RTP_HDR + ext + m->payload_len;

	uint32_t nslots = 1;
	if (o->audio == MG_AUDIO_TONE) {
		m->audio_len = TONE_LOOP;
		uint32_t maxn = 0;
		for (uint32_t c = 0; c < m->nconfs; c++)
			if (m->confs[c].n > maxn)
				maxn = m->confs[c].n;
		m->nfreq = (3800 - o->tone_base) / o->tone_step + 1;
		nslots = maxn < m->nfreq ? maxn : m->nfreq;
	} else if (o->audio == MG_AUDIO_WAV) {
		m->audio_len = wav_n;
	} else {
		m->audio_len = TONE_LOOP;
	}
	m->audio_stride = m->audio_len + m->payload_len;
	m->audio = malloc((size_t)nslots * m->audio_stride);
	int16_t *pcm = malloc((size_t)m->audio_len * sizeof(int16_t));
	if (m->audio == NULL || pcm == NULL) {
		free(pcm);
		free(wav);
		return MG_ERR(err, errlen, "out of memory for audio");
	}
	for (uint32_t s = 0; s < nslots; s++) {
		uint8_t *loop = m->audio + (size_t)s * m->audio_stride;
		if (o->audio == MG_AUDIO_TONE) {
			double f = o->tone_base + (double)s * o->tone_step;
			for (uint32_t i = 0; i < m->audio_len; i++)
				pcm[i] = (int16_t)lrint(TONE_AMPLITUDE * sin(2 * M_PI * f * i / 8000.0));
			/* Mix mode: 100 ms of silence at the start of every second. Where the tone
			 * resumes in a receiver's mix gives the latency through the mixer (per tick:
			 * the mix has no per-packet identity). */
			if (o->mode == MG_MIX)
				for (uint32_t i = 0; i < m->audio_len; i++)
					if (i % 8000 < MG_MIX_GAP)
						pcm[i] = 0;
			encode(o->codec, loop, pcm, m->audio_len);
		} else if (o->audio == MG_AUDIO_WAV) {
			encode(o->codec, loop, wav, m->audio_len);
		} else {
			uint64_t x = 0x9e3779b97f4a7c15ull;
			for (uint32_t i = 0; i < m->audio_len; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				loop[i] = (uint8_t)x;
			}
		}
		/* The tail repeats the head, so a payload never wraps. */
		memcpy(loop + m->audio_len, loop, m->payload_len);
	}
	free(pcm);
	free(wav);
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		uint32_t k = i - m->confs[p->conf].first;
		p->audio_slot = o->audio == MG_AUDIO_TONE ? k % nslots : 0;
		p->freq = o->audio == MG_AUDIO_TONE ? o->tone_base + p->audio_slot * o->tone_step : 0;
		/* Senders start at different places of a shared loop; in mix mode the tones'
		 * gaps are staggered by 120 ms so that the mix is never silent. */
		if (o->audio == MG_AUDIO_TONE)
			p->audio_start = o->mode == MG_MIX ? (k % 8) * 960 : 0;
		else
			p->audio_start = (uint32_t)((uint64_t)k * 7919 * m->payload_len % m->audio_len);
		p->audio_pos = p->audio_start;
	}
	return 0;
}

double
mg_goertzel(const int32_t *pcm, uint32_t n, double f)
{
	double w = 2 * M_PI * f / 8000.0, c = 2 * cos(w);
	double s1 = 0, s2 = 0;
	for (uint32_t i = 0; i < n; i++) {
		double s0 = (double)pcm[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	double power = s1 * s1 + s2 * s2 - c * s1 * s2;
	if (power < 0)
		power = 0;
	return 2 * sqrt(power) / n;
}

static void
le16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
le32(uint8_t *p, uint32_t v)
{
	le16(p, v);
	le16(p + 2, v >> 16);
}

int
mg_wav_write(const char *path, const int32_t *pcm, uint32_t n, char *err, size_t errlen)
{
	int32_t peak = 0;
	for (uint32_t i = 0; i < n; i++) {
		int32_t a = pcm[i] < 0 ? -pcm[i] : pcm[i];
		if (a > peak)
			peak = a;
	}
	/* Several streams summed can exceed 16 bits: scale the whole file down, never clip. */
	double scale = peak > 32767 ? 32767.0 / peak : 1.0;
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return MG_ERR(err, errlen, "%s: %s", path, strerror(errno));
	uint8_t h[44];
	memcpy(h, "RIFF", 4);
	le32(h + 4, 36 + n * 2);
	memcpy(h + 8, "WAVEfmt ", 8);
	le32(h + 16, 16);
	le16(h + 20, 1);
	le16(h + 22, 1);
	le32(h + 24, 8000);
	le32(h + 28, 16000);
	le16(h + 32, 2);
	le16(h + 34, 16);
	memcpy(h + 36, "data", 4);
	le32(h + 40, n * 2);
	bool ok = fwrite(h, 1, 44, f) == 44;
	int16_t buf[4096];
	for (uint32_t i = 0; ok && i < n; i += 4096) {
		uint32_t k = n - i < 4096 ? n - i : 4096;
		for (uint32_t j = 0; j < k; j++)
			buf[j] = (int16_t)lrint(pcm[i + j] * scale);
		uint8_t le[8192];
		for (uint32_t j = 0; j < k; j++)
			le16(le + 2 * j, (uint16_t)buf[j]);
		ok = fwrite(le, 2, k, f) == k;
	}
	if (fclose(f) != 0 || !ok)
		return MG_ERR(err, errlen, "%s: write failed", path);
	return 0;
}
