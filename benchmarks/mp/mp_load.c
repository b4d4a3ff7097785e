/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mp_load: an MRFC load generator for the daemon's Mp control plane. It keeps W conferences
 * cycling through Add (Context = $, one leg with Local and Remote SDP and a=crypto) and
 * Subtract (the leg; the context ends with it), W transactions in flight, over ESP in IP
 * protocol 50 (lib/esp, keys from an mrfc-side key file). Each request message also carries
 * the TransactionResponseAck of the reply that triggered it, as an MRFC that acknowledges
 * would, so the daemon's reply cache is freed early. Prints a table and one JSON line.
 *
 *   mp_load --sa FILE [--seconds S (5)] [--window W (8)] [--backend openssl|ipsec-mb]
 *           [--remote ADDR:PORT (198.51.100.7:40000)] [--no-ack]
 *
 * Must run where the MRFC address of the key file is configured (ip netns exec).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mxp_esp.h"
#include "mxp_mp.h"

#define WMAX 256
#define SAMPLES (1u << 21)

enum { S_IDLE, S_ADD, S_SUB };

struct slot {
	int state;
	uint32_t tid;
	uint32_t ctx, leg;
	double sent;
	unsigned int retx;
	uint32_t ack;           /* tid to acknowledge with the next request, 0 = none */
};

static struct mxp_esp_ep *ep;
static struct mxp_ip local, mrfp;
static int fd = -1;
static struct mxp_mp_msg msg, rep;
static struct slot slots[WMAX];
static unsigned int window = 8;
static uint32_t next_tid;
static bool ack = true;
static char lsdp[512], rsdp[512], mid[80];
static uint64_t n_add, n_sub, n_err, n_retx, n_pending, n_bad;
static uint64_t err_codes[600];
static float *lat_add, *lat_sub;
static uint64_t nla, nls;

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
b64(const uint8_t *in, int n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, n);
}

static int
send_text(const char *text, size_t len)
{
	static uint8_t udp[MXP_MP_MSG_MAX + 64], esp[MXP_MP_MSG_MAX + 256];
	int ul = mxp_esp_udp_build(udp, sizeof(udp), &local, &mrfp, MXP_MP_PORT, MXP_MP_PORT,
				   (const uint8_t *)text, len);
	size_t el;
	struct mxp_esp_meta m;
	if (ul < 0 || mxp_esp_ep_output(ep, &mrfp, udp, (size_t)ul, 17, esp, sizeof(esp), &el, &m) !=
			      MXP_ESP_DROP_NONE)
		return -1;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (mrfp.af == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, &mrfp.v4, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, mrfp.v6, 16);
		sl = sizeof(*s6);
	}
	return sendto(fd, esp, el, 0, (struct sockaddr *)&ss, sl) == (ssize_t)el ? 0 : -1;
}

/* Send the slot's next request (and the ack it carries). */
static void
slot_send(struct slot *s, bool retransmit)
{
	static char text[MXP_MP_MSG_MAX];
	mxp_mp_msg_init(&msg, mid);
	if (!retransmit) {
		s->tid = next_tid++;
		s->retx = 0;
	}
	mxp_mp_msg_add_trans(&msg, MXP_MP_TRANS_REQUEST, s->tid);
	if (s->state == S_ADD) {
		mxp_mp_msg_add_action(&msg, MXP_MP_CTX_CHOOSE);
		struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&msg, MXP_MP_CMD_ADD, "$");
		c->has_media = true;
		c->nstreams = 1;
		c->streams[0].id = 1;
		c->streams[0].mode = MXP_MP_MODE_SENDRECV;
		c->streams[0].has_local = c->streams[0].has_remote = true;
		c->streams[0].local = mxp_mp_str_c(lsdp);
		c->streams[0].remote = mxp_mp_str_c(rsdp);
	} else {
		mxp_mp_msg_add_action(&msg, s->ctx);
		static char term[24]; /* the message refers to it until encoded */
		snprintf(term, sizeof(term), "leg/%u", s->leg);
		struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&msg, MXP_MP_CMD_SUBTRACT, NULL);
		c->term_kind = MXP_MP_TERM_NAME;
		c->term = mxp_mp_str_c(term);
		c->has_audit = true;
		c->audit = MXP_MP_AUDIT_STATS;
	}
	if (ack && s->ack) {
		struct mxp_mp_trans *k = mxp_mp_msg_add_trans(&msg, MXP_MP_TRANS_ACK, s->ack);
		if (k)
			k->id_last = s->ack;
	}
	int n = mxp_mp_encode(&msg, MXP_MP_STYLE_COMPACT, text, sizeof(text));
	s->sent = now();
	if (n > 0 && send_text(text, (size_t)n) != 0)
		n_bad++;
}

static unsigned int
reply_error(const struct mxp_mp_trans *t)
{
	if (t->has_error)
		return t->err_code;
	for (uint16_t a = 0; a < t->nactions; a++) {
		const struct mxp_mp_action *ac = &rep.actions[t->first_action + a];
		if (ac->has_error)
			return ac->err_code;
		for (uint16_t c = 0; c < ac->ncmds; c++)
			if (rep.cmds[ac->first_cmd + c].has_error)
				return rep.cmds[ac->first_cmd + c].err_code;
	}
	return 0;
}

static void
on_reply(const struct mxp_mp_trans *t)
{
	struct slot *s = NULL;
	for (unsigned int i = 0; i < window; i++)
		if (slots[i].state != S_IDLE && slots[i].tid == t->id)
			s = &slots[i];
	if (s == NULL)
		return; /* a late duplicate */
	if (t->kind == MXP_MP_TRANS_PENDING) {
		n_pending++;
		s->sent = now(); /* the daemon works on it: wait again */
		return;
	}
	double rtt = now() - s->sent;
	unsigned int code = reply_error(t);
	s->ack = t->id;
	if (code) {
		n_err++;
		if (code < 600)
			err_codes[code]++;
		s->state = S_ADD; /* start over with a new conference */
		slot_send(s, false);
		return;
	}
	if (s->state == S_ADD) {
		const struct mxp_mp_action *ac = &rep.actions[t->first_action];
		const struct mxp_mp_cmd *c = &rep.cmds[ac->first_cmd];
		s->ctx = ac->ctx;
		s->leg = (uint32_t)strtoul(c->term.p + 4, NULL, 10);
		n_add++;
		if (nla < SAMPLES)
			lat_add[nla++] = (float)rtt;
		s->state = S_SUB;
	} else {
		n_sub++;
		if (nls < SAMPLES)
			lat_sub[nls++] = (float)rtt;
		s->state = S_ADD;
	}
	slot_send(s, false);
}

static void
receive(void)
{
	static uint8_t pkt[65536];
	for (;;) {
		ssize_t n = recv(fd, pkt, sizeof(pkt), MSG_DONTWAIT);
		if (n <= 0)
			return;
		struct mxp_esp_meta m;
		size_t off, len;
		struct mxp_esp_rx rx;
		if (mxp_esp_frame_parse(pkt, (size_t)n, &m, &off, &len) != MXP_ESP_DROP_NONE ||
		    mxp_esp_ep_input(ep, &m, pkt + off, len, &rx) != MXP_ESP_DROP_NONE)
			continue;
		uint16_t sp, dp;
		size_t po, pl;
		const uint8_t *inner = pkt + off + rx.off;
		if (mxp_esp_udp_parse(inner, rx.len, &sp, &dp, &po, &pl) != 0)
			continue;
		struct mxp_mp_error e;
		if (mxp_mp_parse((const char *)inner + po, pl, &rep, &e) != 0) {
			n_bad++;
			continue;
		}
		for (uint16_t i = 0; i < rep.ntrans; i++)
			if (rep.trans[i].kind == MXP_MP_TRANS_REPLY ||
			    rep.trans[i].kind == MXP_MP_TRANS_PENDING)
				on_reply(&rep.trans[i]);
	}
}

static int
cmpf(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return x < y ? -1 : x > y;
}

static double
pct(float *v, uint64_t n, double p)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmpf);
	return v[(uint64_t)(p * (double)(n - 1))] * 1e3;
}

int
main(int argc, char **argv)
{
	const char *sa = NULL, *backend = "openssl", *remote = "198.51.100.7:40000";
	double secs = 5;
	static const struct option lo[] = {
		{ "sa", required_argument, NULL, 's' }, { "seconds", required_argument, NULL, 't' },
		{ "window", required_argument, NULL, 'w' }, { "backend", required_argument, NULL, 'b' },
		{ "remote", required_argument, NULL, 'r' }, { "no-ack", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': sa = optarg; break;
		case 't': secs = atof(optarg); break;
		case 'w': window = (unsigned int)atoi(optarg); break;
		case 'b': backend = optarg; break;
		case 'r': remote = optarg; break;
		case 'n': ack = false; break;
		default: return 2;
		}
	}
	if (sa == NULL || window == 0 || window > WMAX) {
		fprintf(stderr, "usage: mp_load --sa FILE [--seconds S] [--window 1..%d] "
				"[--backend openssl|ipsec-mb] [--remote ADDR:PORT] [--no-ack]\n", WMAX);
		return 2;
	}
	static struct mxp_esp_crypto cr;
	if (mxp_esp_crypto_open(&cr, backend) != 0) {
		fprintf(stderr, "mp_load: no %s backend\n", backend);
		return 1;
	}
	size_t sz = (mxp_esp_ep_size(8, 4) + 63) & ~(size_t)63;
	ep = aligned_alloc(64, sz);
	mxp_esp_ep_init(ep, 8, 4, &cr, false);
	char err[256];
	if (mxp_esp_keyfile_load(ep, sa, 0, err, sizeof(err)) < 0) {
		fprintf(stderr, "mp_load: %s\n", err);
		return 1;
	}
	struct mxp_esp_sa *out_sa = NULL;
	for (uint32_t i = 0; i < mxp_esp_ep_sa_count(ep); i++) {
		const struct mxp_esp_sa_params *p = mxp_esp_sa_params_get(mxp_esp_ep_sa_at(ep, i));
		if (p->dir == MXP_ESP_DIR_OUT) {
			out_sa = mxp_esp_ep_sa_at(ep, i);
			local = p->local;
			mrfp = p->peer;
			if (p->udp_encap) {
				fprintf(stderr, "mp_load: IP protocol 50 SAs only\n");
				return 1;
			}
		}
	}
	/* mrfc keeps the outbound sequence number of a shared SA in FILE.seq: continue it, or
	 * the MRFP's anti-replay window drops our first packets as replays. */
	char seqf[4200];
	snprintf(seqf, sizeof(seqf), "%s.seq", sa);
	FILE *sf = fopen(seqf, "r");
	if (sf != NULL && out_sa != NULL) {
		unsigned long spi;
		unsigned long long seq;
		if (fscanf(sf, "%lx %llu", &spi, &seq) == 2 &&
		    spi == mxp_esp_sa_params_get(out_sa)->spi)
			mxp_esp_sa_seq_set(out_sa, seq);
	}
	if (sf != NULL)
		fclose(sf);
	fd = socket(mrfp.af, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ESP);
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (local.af == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, &local.v4, 4);
		sl = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, local.v6, 16);
		sl = sizeof(*s6);
	}
	int rcvbuf = 8 << 20;
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		perror("mp_load: raw socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	char la[64], ra[64], rhost[64];
	unsigned int rport = 40000;
	if (sscanf(remote, "%63[^:]:%u", rhost, &rport) != 2)
		return 2;
	snprintf(mid, sizeof(mid), "[%s]:2944", mxp_ip_format(&local, la, sizeof(la)));
	(void)ra;
	uint8_t k[60];
	char kl[64], kr[64];
	if (getrandom(k, sizeof(k), 0) != sizeof(k))
		return 1;
	b64(k, 30, kl);
	b64(k + 30, 30, kr);
	explicit_bzero(k, sizeof(k));
	snprintf(lsdp, sizeof(lsdp), "v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/SAVP 0\r\na=ptime:20\r\n"
		 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^31|1:4\r\n", kl);
	snprintf(rsdp, sizeof(rsdp), "v=0\r\nc=IN IP4 %s\r\nm=audio %u RTP/SAVP 0\r\n"
		 "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\n"
		 "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s|2^31|1:4\r\n", rhost, rport, kr);
	lat_add = calloc(SAMPLES, sizeof(float));
	lat_sub = calloc(SAMPLES, sizeof(float));
	uint32_t r32;
	next_tid = getrandom(&r32, sizeof(r32), 0) == sizeof(r32) ? 1 + r32 % 1000000000u : 1;

	double t0 = now(), end = t0 + secs;
	for (unsigned int i = 0; i < window; i++) {
		slots[i].state = S_ADD;
		slot_send(&slots[i], false);
	}
	while (now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		poll(&p, 1, 10);
		receive();
		double t = now();
		for (unsigned int i = 0; i < window; i++)
			if (slots[i].state != S_IDLE && t - slots[i].sent > 1.0) {
				n_retx++; /* H.248: retransmit the same transaction */
				slots[i].retx++;
				slot_send(&slots[i], true);
			}
	}
	double el = now() - t0;
	uint64_t tx = n_add + n_sub;
	double p50a = pct(lat_add, nla, 0.5), p99a = pct(lat_add, nla, 0.99);
	double p50s = pct(lat_sub, nls, 0.5), p99s = pct(lat_sub, nls, 0.99);
	printf("%-44s %12.0f\n", "transactions/s (Add or Subtract, answered)", (double)tx / el);
	printf("%-44s %12.0f\n", "Add+Subtract pairs/s", (double)n_sub / el);
	printf("%-44s %12u\n", "window (transactions in flight)", window);
	printf("%-44s %9.2f ms / %.2f ms\n", "Add round trip p50 / p99", p50a, p99a);
	printf("%-44s %9.2f ms / %.2f ms\n", "Subtract round trip p50 / p99", p50s, p99s);
	printf("%-44s %12llu\n", "error replies", (unsigned long long)n_err);
	printf("%-44s %12llu\n", "retransmissions (1 s without a reply)", (unsigned long long)n_retx);
	printf("%-44s %12llu\n", "TransactionPending received", (unsigned long long)n_pending);
	printf("{\"bench\":\"mp_daemon_load\",\"seconds\":%.2f,\"window\":%u,\"ack\":%s,"
	       "\"transactions\":%llu,\"transactions_per_s\":%.0f,\"pairs_per_s\":%.0f,"
	       "\"add_rtt_ms_p50\":%.3f,\"add_rtt_ms_p99\":%.3f,\"subtract_rtt_ms_p50\":%.3f,"
	       "\"subtract_rtt_ms_p99\":%.3f,\"errors\":%llu,\"retransmissions\":%llu,"
	       "\"pendings\":%llu,\"send_errors\":%llu,\"error_codes\":{",
	       el, window, ack ? "true" : "false", (unsigned long long)tx, (double)tx / el,
	       (double)n_sub / el, p50a, p99a, p50s, p99s, (unsigned long long)n_err,
	       (unsigned long long)n_retx, (unsigned long long)n_pending,
	       (unsigned long long)n_bad);
	bool first = true;
	for (int i = 0; i < 600; i++)
		if (err_codes[i]) {
			printf("%s\"%d\":%llu", first ? "" : ",", i, (unsigned long long)err_codes[i]);
			first = false;
		}
	printf("}}\n");
	explicit_bzero(lsdp, sizeof(lsdp));
	explicit_bzero(rsdp, sizeof(rsdp));
	sf = out_sa ? fopen(seqf, "w") : NULL;
	if (sf != NULL) {
		fprintf(sf, "%x %llu\n", mxp_esp_sa_params_get(out_sa)->spi,
			(unsigned long long)mxp_esp_sa_seq(out_sa));
		fclose(sf);
	}
	mxp_esp_ep_fini(ep);
	return n_err || tx == 0 ? 2 : 0;
}
