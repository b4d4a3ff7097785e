/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mxp-srtp-peer: conference participants for integration tests, on kernel UDP sockets,
 * with libsrtp2 doing the SRTP — an implementation independent of mixplane's.
 *
 *   mxp-srtp-peer --bind ADDR [--suite NAME] [--rx PORT,KEY]... [--tx SPORT,DST,DPORT,KEY,SSRC,ID]...
 *                 [--count N] [--interval-ms M] [--wait-ms W] [--replay N] [--forge N]
 *                 [--raw-out FILE] [--ready-file FILE] [--expect N]
 * --tx SPORT,DST,DPORT,KEY,SSRC,ID,TONE sends 20 ms PCMU frames of a TONE Hz sine instead
 * of test payloads (--tone-ms MS: MS ms per packet, 10-120, every MS ms: give
 * --interval-ms the same value); each --rx port reports the smallest and largest audio
 * payload it received ("min_payload", "max_payload"); --pcm-dir DIR writes what each --rx port hears, decoded (PCMU/PCMA),
 * to DIR/PORT.raw (s16le, 8 kHz) for spectral checks; RFC 3389 comfort noise (PT 13) is
 * counted apart ("cn", and the last one's level "cn_level"), not played.
 * --dtmf DIGITS (0-9 * # A-D) makes every sender, after its COUNT media packets, send each
 * digit as an RFC 4733 telephone event (payload type --dtmf-pt, default 101): 100 ms of
 * event packets every 20 ms, the first with the marker bit, then three end packets, then
 * 100 ms of media (silence) before the next digit.
 * --wait-ms is how long to keep receiving after sending; --expect N ends it as soon as N
 * packets arrived in total.
 *
 * KEY is base64 key||salt (optionally ":MKI:LEN", several separated by ';'), or "plain". Each --tx sends COUNT packets (every M ms) whose
 * payload is self-describing: magic, sender ID, sender sequence number and a filler
 * derived from both, so a receiver can tell exactly who it heard and that the bytes are
 * intact. --replay N re-sends the last SRTP packet N times; --forge N sends N more packets
 * with one bit of the payload flipped after protection; --pad-bad N sends N more whose RTP
 * padding count (encrypted) runs past the payload. Receivers decrypt and count per
 * sender ID. At the end one JSON document goes to stdout:
 *   {"sent":{"ID":n,...},"rx":{"PORT":{"packets":n,"auth_fail":n,"bad_payload":n,
 *    "from":{"ID":n},"ssrcs":[...],"hashes":[...]}}}
 * "hashes" (with --raw-out) lists a 64-bit FNV hash of each received SRTP packet as it
 * was on the wire, and the sender's side writes the hashes of what it sent, so forward
 * mode can be checked for byte identity.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <math.h>

#include <openssl/evp.h>
#include <srtp2/srtp.h>

#define MAX_RX 128
#define MAX_TX 16
#define MAX_IDS 256
#define MAGIC 0x4d585054u /* "MXPT" */
#define PAYLOAD 160

struct rx {
	uint16_t port;
	int fd;
	bool plain;
	srtp_t s;
	bool mki;
	unsigned int mki_index;
	uint64_t packets, auth_fail, bad_payload, from[MAX_IDS];
	uint32_t ssrcs[16];
	int nssrc;
	uint64_t *hashes;
	uint32_t nhash, caphash;
	FILE *pcm;        /* decoded G.711 audio received, s16le 8 kHz */
	uint16_t last_seq;
	bool have_seq;
	int min_pl, max_pl; /* audio payload bytes received */
	uint64_t cn;        /* RFC 3389 comfort noise packets (PT 13): not audio */
	int cn_level;       /* the last one's noise level (-dBov), -1 none */
};

struct tx {
	uint16_t sport;
	int fd;
	struct sockaddr_storage dst;
	socklen_t dlen;
	bool plain;
	srtp_t s;
	bool mki;
	unsigned int mki_index;
	uint32_t ssrc, id;
	uint16_t seq;
	uint32_t ts;
	uint64_t sent;
	double tone;      /* Hz: send 20 ms PCMU frames of this tone instead of test payloads */
	double phase;
	uint8_t last[2048];
	int last_len;
};

static struct rx rxs[MAX_RX];
static int nrx;
static struct tx txs[MAX_TX];
static int ntx;
static const char *suite = "AES_CM_128_HMAC_SHA1_80";
static struct sockaddr_storage bind_addr;
static int af;
static FILE *raw_out;
static uint64_t expect; /* stop waiting once this many packets arrived in total */

static void
die(const char *fmt, const char *a)
{
	fprintf(stderr, "mxp-srtp-peer: ");
	fprintf(stderr, fmt, a);
	fprintf(stderr, "\n");
	exit(2);
}

static uint64_t
fnv(const uint8_t *p, int n)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static void
policy(srtp_policy_t *pol, bool inbound, uint32_t ssrc, uint8_t *key)
{
	memset(pol, 0, sizeof(*pol));
	if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_80")) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
	} else if (!strcmp(suite, "AES_CM_128_HMAC_SHA1_32")) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&pol->rtcp);
	} else if (!strcmp(suite, "AES_256_CM_HMAC_SHA1_80")) {
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol->rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&pol->rtcp);
	} else if (!strcmp(suite, "AEAD_AES_128_GCM")) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
	} else {
		die("unknown suite %s", suite);
	}
	pol->ssrc.type = inbound ? ssrc_any_inbound : ssrc_specific;
	pol->ssrc.value = ssrc;
	pol->key = key;
	pol->window_size = 128;
}

/*
 * KEY is "plain", or one or more "BASE64[:MKI:LEN]" separated by ';' (several keys with
 * MKIs: a receiver during a rekey overlap; a sender uses the last one).
 */
static srtp_t
session(const char *spec, bool inbound, uint32_t ssrc, bool *plain, bool *use_mki,
	unsigned int *mki_index)
{
	if (!strcmp(spec, "plain")) {
		*plain = true;
		return NULL;
	}
	static uint8_t keys[8][96], mkis[8][16];
	static srtp_master_key_t mk[8], *mkp[8];
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", spec);
	unsigned int n = 0;
	bool with_mki = false;
	char *save, *item;
	for (item = strtok_r(buf, ";", &save); item && n < 8; item = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(item, ':');
		unsigned long mki = 0, mlen = 0;
		if (colon) {
			*colon = '\0';
			if (sscanf(colon + 1, "%lu:%lu", &mki, &mlen) != 2 || mlen == 0 || mlen > 8)
				die("bad MKI in key spec %s", "(not shown)");
			with_mki = true;
		}
		int kl = EVP_DecodeBlock(keys[n], (const unsigned char *)item, (int)strlen(item));
		if (kl < 30)
			die("bad base64 key %s", "(not shown)");
		for (unsigned long i = 0; i < mlen; i++)
			mkis[n][mlen - 1 - i] = (uint8_t)(mki >> (8 * i));
		mk[n].key = keys[n];
		mk[n].mki_id = mkis[n];
		mk[n].mki_size = (unsigned int)mlen;
		mkp[n] = &mk[n];
		n++;
	}
	srtp_policy_t pol;
	policy(&pol, inbound, ssrc, keys[0]);
	if (with_mki) {
		pol.key = NULL;
		pol.keys = mkp;
		pol.num_master_keys = n;
	}
	srtp_t s;
	if (srtp_create(&s, &pol) != srtp_err_status_ok)
		die("srtp_create failed for suite %s", suite);
	memset(keys, 0, sizeof(keys));
	*plain = false;
	*use_mki = with_mki;
	*mki_index = n - 1;
	return s;
}

static int
udp_socket(uint16_t port)
{
	int fd = socket(af, SOCK_DGRAM, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int big = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	struct sockaddr_storage sa = bind_addr;
	if (af == AF_INET)
		((struct sockaddr_in *)&sa)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
	if (bind(fd, (struct sockaddr *)&sa, af == AF_INET ? sizeof(struct sockaddr_in)
							   : sizeof(struct sockaddr_in6)) != 0)
		die("cannot bind port: %s", strerror(errno));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static int
fd_for(uint16_t port)
{
	for (int i = 0; i < nrx; i++)
		if (rxs[i].port == port)
			return rxs[i].fd;
	for (int i = 0; i < ntx; i++)
		if (txs[i].sport == port && txs[i].fd >= 0)
			return txs[i].fd;
	return udp_socket(port);
}

/* G.711 mu-law (the test's own, so the mixer's codec is not checking itself). */
static uint8_t
ulaw_enc(int16_t pcm)
{
	int x = pcm, sign = 0;
	if (x < 0) {
		x = -x;
		sign = 0x80;
	}
	if (x > 32635)
		x = 32635;
	x += 0x84;
	int seg = 7;
	for (int m = 0x4000; (x & m) == 0 && seg > 0; m >>= 1)
		seg--;
	return (uint8_t)~(sign | (seg << 4) | ((x >> (seg + 3)) & 0x0f));
}

static int16_t
ulaw_dec(uint8_t u)
{
	u = (uint8_t)~u;
	int t = ((u & 0x0f) << 3) + 0x84;
	t <<= (u & 0x70) >> 4;
	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

static int16_t
alaw_dec(uint8_t a)
{
	a ^= 0x55;
	int t = (a & 0x0f) << 4, seg = (a & 0x70) >> 4;
	if (seg == 0)
		t += 8;
	else
		t = (t + 0x108) << (seg - 1);
	return (int16_t)((a & 0x80) ? t : -t);
}

static void
fill_payload(uint8_t *p, uint32_t id, uint16_t seq)
{
	uint32_t v = htonl(MAGIC);
	memcpy(p, &v, 4);
	v = htonl(id);
	memcpy(p + 4, &v, 4);
	v = htonl(seq);
	memcpy(p + 8, &v, 4);
	for (int i = 12; i < PAYLOAD; i++)
		p[i] = (uint8_t)(id * 37 + seq * 11 + i);
}

static int bad_pad;
static int tone_ms = 20; /* audio per tone packet */

/* One RFC 4733 event packet (RFC 4733 2.3): event, E bit, volume 10, duration. */
static void
send_event(struct tx *t, uint8_t pt, uint8_t event, bool marker, bool end, uint16_t duration,
	   uint32_t ts)
{
	uint8_t buf[512];
	buf[0] = 0x80;
	buf[1] = (uint8_t)(pt | (marker ? 0x80 : 0));
	buf[2] = (uint8_t)(t->seq >> 8);
	buf[3] = (uint8_t)t->seq;
	uint32_t v = htonl(ts);
	memcpy(buf + 4, &v, 4);
	v = htonl(t->ssrc);
	memcpy(buf + 8, &v, 4);
	buf[12] = event;
	buf[13] = (uint8_t)((end ? 0x80 : 0) | 10);
	buf[14] = (uint8_t)(duration >> 8);
	buf[15] = (uint8_t)duration;
	int len = 16;
	if (!t->plain && srtp_protect_mki(t->s, buf, &len, t->mki, t->mki_index) != srtp_err_status_ok)
		die("srtp_protect failed%s", "");
	sendto(t->fd, buf, (size_t)len, 0, (struct sockaddr *)&t->dst, t->dlen);
	t->seq++;
}

static int
dtmf_code(char c)
{
	const char *digits = "0123456789*#ABCD", *p = strchr(digits, c);
	return c && p ? (int)(p - digits) : -1;
}

static void
send_one(struct tx *t, bool forge)
{
	uint8_t buf[2048];
	buf[0] = 0x80;
	buf[1] = 0; /* PCMU */
	buf[2] = (uint8_t)(t->seq >> 8);
	buf[3] = (uint8_t)t->seq;
	uint32_t v = htonl(t->ts);
	memcpy(buf + 4, &v, 4);
	v = htonl(t->ssrc);
	memcpy(buf + 8, &v, 4);
	fill_payload(buf + 12, t->id, t->seq);
	int len = 12 + PAYLOAD;
	unsigned int samples = 160;
	if (t->tone > 0) {
		samples = 8 * (unsigned int)tone_ms;
		len = 12 + (int)samples;
		for (unsigned int i = 0; i < samples; i++) {
			buf[12 + i] = ulaw_enc((int16_t)(8000 * sin(t->phase)));
			t->phase += 2 * M_PI * t->tone / 8000.0;
		}
	}
	if (bad_pad) {
		/* P bit with a padding count larger than the payload (inside the encryption). */
		buf[0] |= 0x20;
		buf[len - 1] = 255;
	}
	if (!t->plain && srtp_protect_mki(t->s, buf, &len, t->mki, t->mki_index) != srtp_err_status_ok)
		die("srtp_protect failed%s", "");
	if (forge)
		buf[20] ^= 0x01;
	sendto(t->fd, buf, (size_t)len, 0, (struct sockaddr *)&t->dst, t->dlen);
	if (raw_out)
		fprintf(raw_out, "%u %016llx\n", t->id, (unsigned long long)fnv(buf, len));
	memcpy(t->last, buf, (size_t)len);
	t->last_len = len;
	t->seq++;
	t->ts += samples;
	if (!forge)
		t->sent++;
}

static void
receive_all(void)
{
	for (int i = 0; i < nrx; i++) {
		struct rx *r = &rxs[i];
		for (;;) {
			uint8_t buf[2048];
			ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
			if (n <= 0)
				break;
			int len = (int)n;
			if (len >= 2 && buf[1] >= 192 && buf[1] <= 223)
				continue; /* RTCP (muxed) is not counted here */
			uint64_t h = fnv(buf, len);
			if (!r->plain && srtp_unprotect_mki(r->s, buf, &len, r->mki) != srtp_err_status_ok) {
				r->auth_fail++;
				continue;
			}
			if (r->nhash == r->caphash) {
				r->caphash = r->caphash ? 2 * r->caphash : 1024;
				r->hashes = realloc(r->hashes, r->caphash * sizeof(uint64_t));
			}
			r->hashes[r->nhash++] = h;
			r->packets++;
			if ((buf[1] & 0x7f) == 13) { /* comfort noise: counted, not played */
				int hc = 12 + 4 * (buf[0] & 0xf);
				r->cn++;
				r->cn_level = len > hc ? buf[hc] & 0x7f : -1;
				r->last_seq = (uint16_t)(buf[2] << 8 | buf[3]);
				r->have_seq = true;
				continue;
			}
			{
				int pl = len - (12 + 4 * (buf[0] & 0xf));
				if ((buf[1] & 0x7f) != 101 && (r->min_pl == 0 || pl < r->min_pl))
					r->min_pl = pl;
				if ((buf[1] & 0x7f) != 101 && pl > r->max_pl)
					r->max_pl = pl;
			}
			if (r->pcm) {
				/* decoded audio, with silence for sequence gaps (a missing packet) */
				int hl0 = 12 + 4 * (buf[0] & 0xf), pt = buf[1] & 0x7f;
				uint16_t sq = (uint16_t)(buf[2] << 8 | buf[3]);
				if (r->have_seq && (uint16_t)(sq - r->last_seq) > 1 &&
				    (uint16_t)(sq - r->last_seq) < 50) {
					int16_t z[160] = { 0 };
					for (int g = 1; g < (uint16_t)(sq - r->last_seq); g++)
						fwrite(z, 2, 160, r->pcm);
				}
				r->last_seq = sq;
				r->have_seq = true;
				for (int k = hl0; k < len; k++) {
					int16_t v = pt == 8 ? alaw_dec(buf[k]) : ulaw_dec(buf[k]);
					fwrite(&v, 2, 1, r->pcm);
				}
				continue;
			}
			uint32_t ssrc;
			memcpy(&ssrc, buf + 8, 4);
			ssrc = ntohl(ssrc);
			bool known = false;
			for (int k = 0; k < r->nssrc; k++)
				known |= r->ssrcs[k] == ssrc;
			if (!known && r->nssrc < 16)
				r->ssrcs[r->nssrc++] = ssrc;
			int hl = 12 + 4 * (buf[0] & 0xf);
			if (len < hl + PAYLOAD) {
				r->bad_payload++;
				continue;
			}
			uint8_t want[PAYLOAD];
			uint32_t id, seq, magic;
			memcpy(&magic, buf + hl, 4);
			memcpy(&id, buf + hl + 4, 4);
			memcpy(&seq, buf + hl + 8, 4);
			id = ntohl(id);
			seq = ntohl(seq);
			fill_payload(want, id, (uint16_t)seq);
			if (ntohl(magic) != MAGIC || id >= MAX_IDS || memcmp(want, buf + hl, PAYLOAD)) {
				r->bad_payload++;
				continue;
			}
			r->from[id]++;
		}
	}
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
wait_rx(int ms)
{
	struct pollfd pfd[MAX_RX];
	for (int i = 0; i < nrx; i++)
		pfd[i] = (struct pollfd){ .fd = rxs[i].fd, .events = POLLIN };
	uint64_t end = now_ms() + (uint64_t)ms;
	for (;;) {
		uint64_t n = now_ms(), total = 0;
		for (int i = 0; i < nrx; i++)
			total += rxs[i].packets + rxs[i].auth_fail + rxs[i].bad_payload;
		if (n >= end || (expect && total >= expect))
			break;
		if (nrx == 0) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
			continue;
		}
		if (poll(pfd, (nfds_t)nrx, (int)(end - n)) > 0)
			receive_all();
	}
}

int
main(int argc, char **argv)
{
	int count = 10, interval = 20, wait = 500, replay = 0, forge = 0, pad_bad = 0;
	int dtmf_pt = 101;
	const char *bind_s = NULL, *ready_file = NULL, *pcm_dir = NULL, *dtmf = NULL;
	char *txspec[MAX_TX], *rxspec[MAX_RX];
	int ntxs = 0, nrxs = 0;
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (v == NULL)
			die("%s needs a value", a);
		if (!strcmp(a, "--bind"))
			bind_s = v;
		else if (!strcmp(a, "--suite"))
			suite = v;
		else if (!strcmp(a, "--rx") && nrxs < MAX_RX)
			rxspec[nrxs++] = argv[i + 1];
		else if (!strcmp(a, "--tx") && ntxs < MAX_TX)
			txspec[ntxs++] = argv[i + 1];
		else if (!strcmp(a, "--count"))
			count = atoi(v);
		else if (!strcmp(a, "--interval-ms"))
			interval = atoi(v);
		else if (!strcmp(a, "--wait-ms"))
			wait = atoi(v);
		else if (!strcmp(a, "--replay"))
			replay = atoi(v);
		else if (!strcmp(a, "--pad-bad"))
			pad_bad = atoi(v);
		else if (!strcmp(a, "--forge"))
			forge = atoi(v);
		else if (!strcmp(a, "--pcm-dir"))
			pcm_dir = v;
		else if (!strcmp(a, "--dtmf"))
			dtmf = v;
		else if (!strcmp(a, "--dtmf-pt"))
			dtmf_pt = atoi(v);
		else if (!strcmp(a, "--tone-ms")) {
			tone_ms = atoi(v);
			if (tone_ms < 10 || tone_ms > 120 || tone_ms % 10)
				die("--tone-ms: 10 to 120, a multiple of 10: %s", v);
		} else if (!strcmp(a, "--expect"))
			expect = strtoull(v, NULL, 10);
		else if (!strcmp(a, "--ready-file"))
			ready_file = v;
		else if (!strcmp(a, "--raw-out")) {
			raw_out = fopen(v, "w");
			if (raw_out == NULL)
				die("cannot write %s", v);
		} else
			die("unknown option %s", a);
	}
	if (bind_s == NULL)
		die("--bind ADDR is required%s", "");
	memset(&bind_addr, 0, sizeof(bind_addr));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&bind_addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&bind_addr;
	if (inet_pton(AF_INET, bind_s, &s4->sin_addr) == 1) {
		af = s4->sin_family = AF_INET;
	} else if (inet_pton(AF_INET6, bind_s, &s6->sin6_addr) == 1) {
		af = s6->sin6_family = AF_INET6;
	} else {
		die("bad address %s", bind_s);
	}
	if (srtp_init() != srtp_err_status_ok)
		die("srtp_init failed%s", "");
	for (int i = 0; i < nrxs; i++) {
		char *save, *port = strtok_r(rxspec[i], ",", &save), *key = strtok_r(NULL, ",", &save);
		if (!port || !key)
			die("--rx wants PORT,KEY: %s", rxspec[i]);
		struct rx *r = &rxs[nrx];
		if (pcm_dir) {
			char path[512];
			snprintf(path, sizeof(path), "%s/%s.raw", pcm_dir, port);
			r->pcm = fopen(path, "wb");
			if (r->pcm == NULL)
				die("cannot write %s", path);
		}
		r->port = (uint16_t)atoi(port);
		r->cn_level = -1;
		r->fd = fd_for(r->port);
		r->s = session(key, true, 0, &r->plain, &r->mki, &r->mki_index);
		nrx++;
	}
	for (int i = 0; i < ntxs; i++) {
		char *save, *f[7];
		f[0] = strtok_r(txspec[i], ",", &save);
		for (int k = 1; k < 7; k++)
			f[k] = strtok_r(NULL, ",", &save);
		if (!f[5])
			die("--tx wants SPORT,DST,DPORT,KEY,SSRC,ID: %s", txspec[i]);
		struct tx *t = &txs[ntx];
		t->fd = -1;
		t->sport = (uint16_t)atoi(f[0]);
		t->fd = fd_for(t->sport);
		memset(&t->dst, 0, sizeof(t->dst));
		if (af == AF_INET) {
			struct sockaddr_in *d = (struct sockaddr_in *)&t->dst;
			d->sin_family = AF_INET;
			inet_pton(AF_INET, f[1], &d->sin_addr);
			d->sin_port = htons((uint16_t)atoi(f[2]));
			t->dlen = sizeof(*d);
		} else {
			struct sockaddr_in6 *d = (struct sockaddr_in6 *)&t->dst;
			d->sin6_family = AF_INET6;
			inet_pton(AF_INET6, f[1], &d->sin6_addr);
			d->sin6_port = htons((uint16_t)atoi(f[2]));
			t->dlen = sizeof(*d);
		}
		t->ssrc = (uint32_t)strtoul(f[4], NULL, 0);
		t->id = (uint32_t)atoi(f[5]);
		t->tone = f[6] ? atof(f[6]) : 0;
		t->s = session(f[3], false, t->ssrc, &t->plain, &t->mki, &t->mki_index);
		t->seq = (uint16_t)(t->id * 1000);
		t->ts = t->id * 100000;
		ntx++;
	}
	if (ready_file) {
		/* Sockets are bound: tell the test it may start the senders. */
		FILE *f = fopen(ready_file, "w");
		if (f)
			fclose(f);
	}
	for (int k = 0; k < count; k++) {
		for (int i = 0; i < ntx; i++)
			send_one(&txs[i], false);
		wait_rx(interval);
	}
	for (const char *d = dtmf; d && *d; d++) {
		int code = dtmf_code(*d);
		if (code < 0)
			die("--dtmf: '%s' has a character that is no DTMF digit", dtmf);
		for (int i = 0; i < ntx; i++)
			txs[i].tone = 0;
		for (int k = 0; k < 5 + 3; k++) {
			for (int i = 0; i < ntx; i++) {
				struct tx *t = &txs[i];
				bool end = k >= 5;
				uint16_t dur = (uint16_t)(160 * (end ? 5 : k + 1));
				send_event(t, (uint8_t)dtmf_pt, (uint8_t)code, k == 0, end, dur, t->ts);
			}
			wait_rx(k >= 4 ? 0 : interval);
		}
		for (int i = 0; i < ntx; i++)
			txs[i].ts += 160 * 5; /* the event's span, then media again */
		for (int k = 0; k < 5; k++) {
			for (int i = 0; i < ntx; i++)
				send_one(&txs[i], false);
			wait_rx(interval);
		}
	}
	for (int k = 0; k < replay; k++)
		for (int i = 0; i < ntx; i++)
			sendto(txs[i].fd, txs[i].last, (size_t)txs[i].last_len, 0,
			       (struct sockaddr *)&txs[i].dst, txs[i].dlen);
	bad_pad = 1;
	for (int k = 0; k < pad_bad; k++) {
		for (int i = 0; i < ntx; i++)
			send_one(&txs[i], false);
		wait_rx(interval);
	}
	bad_pad = 0;
	for (int k = 0; k < forge; k++) {
		for (int i = 0; i < ntx; i++)
			send_one(&txs[i], true);
		wait_rx(interval);
	}
	wait_rx(wait);
	if (raw_out)
		fclose(raw_out);
	for (int i = 0; i < nrx; i++)
		if (rxs[i].pcm)
			fclose(rxs[i].pcm);

	printf("{\"sent\":{");
	for (int i = 0; i < ntx; i++)
		printf("%s\"%u\":%llu", i ? "," : "", txs[i].id, (unsigned long long)txs[i].sent);
	printf("},\"rx\":{");
	for (int i = 0; i < nrx; i++) {
		struct rx *r = &rxs[i];
		printf("%s\"%u\":{\"packets\":%llu,\"auth_fail\":%llu,\"bad_payload\":%llu,"
		       "\"min_payload\":%d,\"max_payload\":%d,\"cn\":%llu,\"cn_level\":%d,"
		       "\"from\":{",
		       i ? "," : "", r->port, (unsigned long long)r->packets,
		       (unsigned long long)r->auth_fail, (unsigned long long)r->bad_payload,
		       r->min_pl, r->max_pl, (unsigned long long)r->cn, r->cn_level);
		bool first = true;
		for (int k = 0; k < MAX_IDS; k++)
			if (r->from[k]) {
				printf("%s\"%d\":%llu", first ? "" : ",", k, (unsigned long long)r->from[k]);
				first = false;
			}
		printf("},\"ssrcs\":[");
		for (int k = 0; k < r->nssrc; k++)
			printf("%s%u", k ? "," : "", r->ssrcs[k]);
		printf("],\"hashes\":[");
		for (uint32_t k = 0; k < r->nhash && raw_out; k++)
			printf("%s\"%016llx\"", k ? "," : "", (unsigned long long)r->hashes[k]);
		printf("]}");
	}
	printf("}}\n");
	return 0;
}
