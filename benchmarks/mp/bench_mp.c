/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mp transaction cost on one core, without the network and without lib/conf: for each
 * transaction, the MRFC side encodes an Add (two SDPs with a=crypto) and seals it in ESP;
 * the MRFP side opens it, parses it, parses both SDPs and the mxp package, checks the
 * reply cache, encodes the reply with a Local SDP, stores it and seals it; the MRFC opens
 * and parses the reply. Then the same for a Subtract. This bounds what the control core
 * can do per second for Mp (the issue asks for >= 5,000 Add+Subtract/s). Prints a table
 * and one JSON line. Usage: bench_mp [seconds (1)] [backend (ipsec-mb)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxp_esp.h"
#include "mxp_mp.h"
#include "mxp_mp_sdp.h"
#include "mxp_mp_trans.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct mxp_mp_msg req, rep, parsed;
static char txt[MXP_MP_MSG_MAX], rtxt[MXP_MP_MSG_MAX];
static uint8_t pkt[MXP_MP_MSG_MAX + 256];

static struct mxp_esp_ep *
ep_make(struct mxp_esp_crypto *c, const char *me, const char *peer, uint32_t in, uint32_t out)
{
	size_t sz = (mxp_esp_ep_size(4, 2) + 63) & ~(size_t)63;
	struct mxp_esp_ep *ep = aligned_alloc(64, sz);
	char l[300], err[128];
	struct mxp_esp_sa_params p;
	mxp_esp_ep_init(ep, 4, 2, c, false);
	snprintf(l, sizeof(l), "in spi=%u alg=aes-gcm-128 local=%s peer=%s window=2048 "
		 "key=000102030405060708090a0b0c0d0e0f10111213", in, me, peer);
	mxp_esp_sa_params_parse(&p, l, err, sizeof(err));
	mxp_esp_ep_sa_add(ep, &p, err, sizeof(err));
	snprintf(l, sizeof(l), "out spi=%u alg=aes-gcm-128 local=%s peer=%s "
		 "key=000102030405060708090a0b0c0d0e0f10111213", out, me, peer);
	mxp_esp_sa_params_parse(&p, l, err, sizeof(err));
	mxp_esp_ep_sa_add(ep, &p, err, sizeof(err));
	struct mxp_esp_peer pe = { .out_spi = out };
	mxp_ip_parse(peer, &pe.addr, NULL);
	mxp_esp_ep_peer_add(ep, &pe);
	return ep;
}

/* seal text on `from`, open on `to`; returns the text length at *out (in pkt) */
static size_t
carry(struct mxp_esp_ep *from, struct mxp_esp_ep *to, const char *peer_of_from,
      const char *text, size_t len, const char **out)
{
	struct mxp_ip dst;
	struct mxp_esp_meta m;
	size_t el;
	struct mxp_esp_rx rx;
	mxp_ip_parse(peer_of_from, &dst, NULL);
	if (mxp_esp_ep_output(from, &dst, (const uint8_t *)text, len, 17, pkt, sizeof(pkt), &el,
			      &m) != MXP_ESP_DROP_NONE)
		abort();
	if (mxp_esp_ep_input(to, &m, pkt, el, &rx) != MXP_ESP_DROP_NONE)
		abort();
	*out = (const char *)pkt + rx.off;
	return rx.len;
}

/* Cache clock: transactions 10 ms apart, so replies expire (30 s) before the ring (4096)
 * fills, as at a sustained 100 transactions per second per 4096 entries. */
#define CACHE_MS(tid) ((uint64_t)(tid) * 10)

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1.0;
	const char *backend = argc > 2 ? argv[2] : "ipsec-mb";
	struct mxp_esp_crypto c;
	if (mxp_esp_crypto_open(&c, backend) != 0)
		return 1;
	struct mxp_esp_ep *mrfc = ep_make(&c, "192.0.2.1", "192.0.2.2", 2002, 2001);
	struct mxp_esp_ep *mrfp = ep_make(&c, "192.0.2.2", "192.0.2.1", 2001, 2002);
	struct mxp_mp_rcache *rc = malloc(mxp_mp_rcache_size(4096, (size_t)4096 * 2048));
	mxp_mp_rcache_init(rc, 4096, (size_t)4096 * 2048, 30000);
	const char *lsdp = "v=0\r\nc=IN IP4 $\r\nm=audio $ RTP/SAVP 0\r\na=crypto:1 "
			   "AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"
			   "|2^31|1:4\r\n";
	const char *rsdp = "v=0\r\nc=IN IP4 198.51.100.7\r\nm=audio 40000 RTP/SAVP 0\r\n"
			   "a=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 "
			   "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj|2^31|1:4\r\n";
	static const uint8_t peer_ip[4] = { 192, 0, 2, 1 };
	struct mxp_mp_peer peer = { .addr = mxp_ip_from_bytes(AF_INET, peer_ip), .port = 2944 };
	uint64_t n = 0, bytes = 0;
	uint32_t tid = 1;
	double t0 = now(), t;
	do {
		for (int op = 0; op < 2; op++, tid++) {
			/* MRFC: build and send */
			mxp_mp_msg_init(&req, "[192.0.2.1]:2944");
			mxp_mp_msg_add_trans(&req, MXP_MP_TRANS_REQUEST, tid);
			mxp_mp_msg_add_action(&req, op == 0 ? MXP_MP_CTX_CHOOSE : 5);
			struct mxp_mp_cmd *cm = mxp_mp_msg_add_cmd(&req, op == 0 ? MXP_MP_CMD_ADD :
								   MXP_MP_CMD_SUBTRACT,
								   op == 0 ? "$" : "leg/1");
			if (op == 0) {
				cm->has_media = true;
				cm->nstreams = 1;
				cm->streams[0].id = 1;
				cm->streams[0].mode = MXP_MP_MODE_SENDRECV;
				cm->streams[0].has_local = cm->streams[0].has_remote = true;
				cm->streams[0].local = mxp_mp_str_c(lsdp);
				cm->streams[0].remote = mxp_mp_str_c(rsdp);
				mxp_mp_msg_add_prop(&req, &cm->ts_props, "mxp/mode", '=', "mix");
			} else {
				cm->has_audit = true;
				cm->audit = MXP_MP_AUDIT_STATS;
			}
			int len = mxp_mp_encode(&req, MXP_MP_STYLE_LONG, txt, sizeof(txt));
			const char *in;
			size_t il = carry(mrfc, mrfp, "192.0.2.2", txt, (size_t)len, &in);
			bytes += (size_t)len;
			/* MRFP: parse, validate, reply */
			struct mxp_mp_error e;
			if (mxp_mp_parse(in, il, &parsed, &e) != 0)
				abort();
			const char *cached;
			size_t cl;
			if (mxp_mp_rcache_begin(rc, &peer, parsed.trans[0].id, CACHE_MS(tid), &cached,
						 &cl) !=
			    MXP_MP_RC_NEW)
				abort();
			const struct mxp_mp_cmd *pc = &parsed.cmds[0];
			struct mxp_sdp s1, s2;
			struct mxp_mp_pkg pkg;
			mxp_mp_msg_init(&rep, "[192.0.2.2]:2944");
			mxp_mp_msg_add_trans(&rep, MXP_MP_TRANS_REPLY, parsed.trans[0].id);
			mxp_mp_msg_add_action(&rep, 5);
			static char sdp[512];
			if (op == 0) {
				if (mxp_sdp_parse(pc->streams[0].local.p, pc->streams[0].local.len, &s1,
						  &e) != 0 ||
				    mxp_sdp_parse(pc->streams[0].remote.p, pc->streams[0].remote.len,
						  &s2, &e) != 0 ||
				    mxp_mp_pkg_get(&parsed, pc, in, &pkg, &e) != 0)
					abort();
				s1.conn_choose = s1.port_choose = false;
				s1.addr.v6[0] = 192;
				s1.addr.v6[2] = 2;
				s1.addr.v6[3] = 2;
				s1.port = 20000;
				mxp_sdp_encode(&s1, sdp, sizeof(sdp));
				struct mxp_mp_cmd *rcmd = mxp_mp_msg_add_cmd(&rep, MXP_MP_CMD_ADD, "leg/1");
				rcmd->has_media = true;
				rcmd->nstreams = 1;
				rcmd->streams[0].id = 1;
				rcmd->streams[0].has_local = true;
				rcmd->streams[0].local = mxp_mp_str_c(sdp);
			} else {
				struct mxp_mp_cmd *rcmd = mxp_mp_msg_add_cmd(&rep, MXP_MP_CMD_SUBTRACT,
									     "leg/1");
				rcmd->has_media = true;
				rcmd->nstreams = 1;
				rcmd->streams[0].id = 1;
				rcmd->streams[0].has_stats = true;
				mxp_mp_msg_add_prop(&rep, &rcmd->streams[0].stats, "rtp/ps", '=', "1500");
				mxp_mp_msg_add_prop(&rep, &rcmd->streams[0].stats, "rtp/pr", '=', "1498");
			}
			int rl = mxp_mp_encode(&rep, MXP_MP_STYLE_LONG, rtxt, sizeof(rtxt));
			mxp_mp_rcache_finish(rc, &peer, parsed.trans[0].id, rtxt, (size_t)rl,
					      CACHE_MS(tid));
			const char *back;
			size_t bl = carry(mrfp, mrfc, "192.0.2.1", rtxt, (size_t)rl, &back);
			bytes += (size_t)rl;
			/* MRFC: parse the reply */
			if (mxp_mp_parse(back, bl, &parsed, &e) != 0 || parsed.trans[0].id != tid)
				abort();
		}
		n++;
		t = now() - t0;
	} while (t < secs);
	double tps = (double)n / t;
	printf("%-44s %12s\n", "case (one core, ESP aes-gcm-128)", "per second");
	printf("%-44s %12.0f\n", "Add+Subtract pairs (both ends, no network)", tps);
	printf("%-44s %12.0f\n", "transactions", 2 * tps);
	printf("%-44s %12.1f\n", "Mp text MB/s (requests + replies)", (double)bytes / t / 1e6);
	printf("{\"bench\":\"mp\",\"backend\":\"%s\",\"add_subtract_pairs_per_s\":%.0f,"
	       "\"transactions_per_s\":%.0f,\"seconds\":%.2f}\n", backend, tps, 2 * tps, t);
	return 0;
}
