/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The harness of the lib/mrfp unit tests (test_mrfp.c, test_mrfp_profile.c): a conference
 * system with inline workers, the daemon's callbacks as fakes (two ports with fixed
 * addresses, a route table of one subnet, a clock the test moves, Pending and Notify
 * recorded instead of sent), H.248 text in and out through lib/mp.
 */
#ifndef MRFP_HARNESS_H
#define MRFP_HARNESS_H
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-variable"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "mxp_conf.h"
#include "mxp_mp.h"
#include "mxp_mrfp.h"
#include "mxp_pkt.h"
#include "mxp_srtp.h"
#include "mxp_srtp_sdes.h"
#include "mxp_test.h"

#define SUITE "AES_CM_128_HMAC_SHA1_80"
#define PEER_IP "192.0.2.10"      /* the participants (port 0's subnet) */
#define OTHER_IP "198.51.100.20"  /* a participant routed through port 1 */

static struct rte_mempool *pool, *hdr_pool;
static struct mxp_conf_worker *g_w;
static uint64_t drops[MXP_DROP_MAX];
static const struct rte_ether_addr our_mac = { { 2, 0, 0, 0, 0, 0x10 } };
static const struct rte_ether_addr peer_mac = { { 2, 0, 0, 0, 0, 0x20 } };
static struct mxp_ip port0_v4, port0_v6, port1_v4;

/* ---- the fake daemon --------------------------------------------------------------------- */

static uint64_t now_ms_val = 1000;
static uint64_t tick_ms;           /* added at every call of the clock */
static unsigned int n_pending;
static int notify_result;          /* what the fake Notify returns */
static unsigned int n_notify;
static char notify_text[16][1024]; /* each Notify as the daemon would send it (long style) */

static struct mxp_ip
ip(const char *s)
{
	struct mxp_ip a;
	if (mxp_ip_parse(s, &a, NULL))
		abort();
	return a;
}

static const struct mxp_ip *
fake_port_addr(void *arg, uint16_t port_idx, uint8_t af)
{
	(void)arg;
	if (port_idx == 0)
		return af == AF_INET ? &port0_v4 : &port0_v6;
	if (port_idx == 1 && af == AF_INET)
		return &port1_v4;
	return NULL;
}

/* 198.51.100.0/24 is reached through port 1; everything else has no route. */
static int
fake_route(void *arg, const struct mxp_ip *dst)
{
	(void)arg;
	struct mxp_ip net = ip("198.51.100.0");
	if (dst->af == AF_INET && memcmp(&dst->v4, &net.v4, 3) == 0)
		return 1;
	return -1;
}

static uint64_t
fake_now(void *arg)
{
	(void)arg;
	now_ms_val += tick_ms;
	return now_ms_val;
}

static void
fake_pending(void *arg)
{
	(void)arg;
	n_pending++;
}

static int
fake_notify(void *arg, const struct mxp_mrfp_notify *n)
{
	(void)arg;
	static struct mxp_mp_msg msg;
	if (notify_result != 0)
		return notify_result;
	mxp_mp_msg_init(&msg, "[192.0.2.2]:2944");
	if (mxp_mrfp_notify_build(&msg, 100 + n_notify, n) != 0)
		return -ENOSPC;
	if (n_notify < 16 && mxp_mp_encode(&msg, MXP_MP_STYLE_LONG, notify_text[n_notify],
					   sizeof(notify_text[0])) > 0)
		n_notify++;
	return 0;
}

/* What the conferences send: dropped (the tests look at state and counters). */
static void
io_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg, (void)port;
	rte_pktmbuf_free(m);
}

static bool
io_neigh(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_ether_addr *mac)
{
	(void)arg, (void)port, (void)dst;
	*mac = peer_mac;
	return true;
}

static void
io_punt(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	(void)dst;
	io_tx(arg, port, m);
}

static const struct mxp_conf_io io = { .tx = io_tx, .neigh = io_neigh, .punt = io_punt };

static const struct mxp_mrfp_ops ops = { .port_addr = fake_port_addr, .route = fake_route,
					 .now_ms = fake_now, .send_pending = fake_pending,
					 .notify = fake_notify };

struct env {
	struct mxp_conf_sys *sys;
	struct mxp_mrfp *m;
};

static struct mxp_mrfp_config
cfg_default(void)
{
	return (struct mxp_mrfp_config){ .nb_ports = 2, .generate_keys = true, .afthresh = 10,
					 .keylimit_percent = 80, .pending_ms = 100,
					 .legs_max = 1024 };
}

static struct env
env_new_cfg(const struct mxp_mrfp_config *cfg)
{
	struct mxp_conf_sys_params p = {
		.nb_workers = 1, .nb_addrs = 3, .port_min = 20000, .port_max = 29999,
		.pool = pool, .hdr_pool = hdr_pool, .inline_workers = true,
	};
	p.addrs[0] = (struct mxp_conf_addr){ .port_idx = 0, .ip = port0_v4, .mac = our_mac };
	p.addrs[1] = (struct mxp_conf_addr){ .port_idx = 0, .ip = port0_v6, .mac = our_mac };
	p.addrs[2] = (struct mxp_conf_addr){ .port_idx = 1, .ip = port1_v4, .mac = our_mac };
	char err[256];
	struct env e = { 0 };
	e.sys = mxp_conf_sys_create(&p, err, sizeof(err));
	if (e.sys == NULL) {
		fprintf(stderr, "mxp_conf_sys_create: %s\n", err);
		abort();
	}
	memset(drops, 0, sizeof(drops));
	g_w = mxp_conf_worker_attach(e.sys, 0, &io, NULL, drops);
	e.m = mxp_mrfp_create(cfg, e.sys, &ops, err, sizeof(err));
	if (g_w == NULL || e.m == NULL) {
		fprintf(stderr, "mxp_mrfp_create: %s\n", err);
		abort();
	}
	n_pending = n_notify = 0;
	notify_result = 0;
	tick_ms = 0;
	return e;
}

static struct env
env_new(void)
{
	struct mxp_mrfp_config c = cfg_default();
	return env_new_cfg(&c);
}

static void
env_free(struct env *e)
{
	mxp_mrfp_destroy(e->m);
	mxp_conf_worker_detach(g_w);
	mxp_conf_sys_destroy(e->sys);
}

/* ---- requests and replies ------------------------------------------------------------------ */

static char reqbuf[16384];
static char reply[65536];
static struct mxp_mp_msg req, rep;
static const struct mxp_mrfp_peer mrfc = { .port = 2944 };

/* Apply the transaction "Transaction = ... " (the header is added) and return the reply. */
static const char *
transact(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
transact(struct env *e, const char *fmt, ...)
{
	int n = snprintf(reqbuf, sizeof(reqbuf), "MEGACO/3 [192.0.2.1]:2944\n");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reqbuf + n, sizeof(reqbuf) - (size_t)n, fmt, ap);
	va_end(ap);
	struct mxp_mp_error pe;
	if (mxp_mp_parse(reqbuf, strlen(reqbuf), &req, &pe) != 0) {
		snprintf(reply, sizeof(reply), "PARSE ERROR %u: %s", pe.code, pe.text);
		return reply;
	}
	struct mxp_mrfp_peer from = mrfc;
	from.addr = ip("192.0.2.1");
	mxp_mp_msg_init(&rep, "[192.0.2.2]:2944");
	mxp_mrfp_apply(e->m, &req, &req.trans[0], reqbuf, &rep, &from);
	if (mxp_mp_encode(&rep, MXP_MP_STYLE_LONG, reply, sizeof(reply)) < 0)
		snprintf(reply, sizeof(reply), "ENCODE ERROR");
	mxp_mrfp_reply_wipe(e->m);
	return reply;
}

/* The first error code of a reply, 0 when it has none. */
static unsigned int
err_code(const char *r)
{
	if (strncmp(r, "PARSE ERROR", 11) == 0 || strncmp(r, "ENCODE ERROR", 12) == 0) {
		fprintf(stderr, "# %s\n", r);
		return 999;
	}
	const char *p = strstr(r, "Error = ");
	return p ? (unsigned int)atoi(p + 8) : 0;
}

/* The context of the reply's first action, 0 if none. */
static uint32_t
reply_ctx(const char *r)
{
	const char *p = strstr(r, "Context = ");
	return p ? (uint32_t)strtoul(p + 10, NULL, 10) : 0;
}

/* The termination the reply's command names ("Add = leg/N"), 0 if none. */
static uint32_t
reply_leg(const char *r, const char *cmd)
{
	char pat[32];
	snprintf(pat, sizeof(pat), "%s = leg/", cmd);
	const char *p = strstr(r, pat);
	return p ? (uint32_t)strtoul(p + strlen(pat), NULL, 10) : 0;
}

/* The key and salt of seed (AES_CM_128_HMAC_SHA1_80). */
static void
key_bytes(unsigned int seed, uint8_t key[16], uint8_t salt[14])
{
	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)(seed * 31 + (unsigned int)i * 7 + 1);
	for (int i = 0; i < 14; i++)
		salt[i] = (uint8_t)(seed * 17 + (unsigned int)i * 5 + 3);
}

/* An a=crypto line with the key of seed, MKI mki (4 bytes), lifetime 2^lt packets. */
static const char *
crypto_lt(unsigned int seed, unsigned int mki, unsigned int lt)
{
	static char lines[8][160];
	static unsigned int next;
	char *b = lines[next++ % 8];
	struct mxp_sdes_crypto c = { .tag = 1, .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80, .nkeys = 1 };
	key_bytes(seed, c.keys[0].key, c.keys[0].salt);
	c.keys[0].lifetime = UINT64_C(1) << lt;
	c.keys[0].lifetime_log2 = (uint8_t)lt;
	c.keys[0].mki_len = 4;
	c.keys[0].mki[3] = (uint8_t)mki;
	int n = snprintf(b, 160, "a=crypto:");
	if (mxp_sdes_encode(&c, b + n, (size_t)(160 - n)) < 0)
		abort();
	return b;
}

static const char *
crypto(unsigned int seed, unsigned int mki)
{
	return crypto_lt(seed, mki, 31);
}

/* Media of an Add: Local (our side, $ address and port) and Remote (the participant). */
static const char *
media(const char *extra_lc, const char *local_crypto, const char *remote_ip, unsigned int rport,
      const char *remote_crypto)
{
	static char bufs[4][2048];
	static unsigned int next;
	char *b = bufs[next++ % 4];
	snprintf(b, sizeof(bufs[0]),
		 "Media { Stream = 1 { LocalControl { Mode = SendReceive%s%s }, "
		 "Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n}, "
		 "Remote {\nv=0\nc=IN IP4 %s\nm=audio %u RTP/SAVP 0\n%s\n} } }",
		 extra_lc[0] ? ", " : "", extra_lc, local_crypto, remote_ip, rport, remote_crypto);
	return b;
}

/* Add a leg with keys (seeds s, s + 1) to context ctx ("$" or a number); its id or 0. */
static uint32_t
add_leg(struct mxp_test_ctx *t, struct env *e, const char *ctx, unsigned int s, uint32_t *ctx_out)
{
	const char *r = transact(e, "Transaction = %u { Context = %s { Add = $ { %s } } }", 10 + s,
				 ctx, media("", crypto(s, 1), PEER_IP, 8000 + 2 * s, crypto(s + 1, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		fprintf(stderr, "# %s\n", r);
	if (ctx_out)
		*ctx_out = reply_ctx(r);
	return reply_leg(r, "Add");
}

static uint32_t
nconfs(struct env *e)
{
	return mxp_conf_list(e->sys, NULL, 0);
}

static struct mxp_leg_info
leg(struct env *e, uint32_t id)
{
	struct mxp_leg_info li;
	memset(&li, 0, sizeof(li));
	if (mxp_conf_leg_get(e->sys, id, &li) != 0)
		li.id = 0;
	return li;
}

/* ---- packets from the participants ---- */

static void send_to_leg(const struct mxp_leg_info *li, const uint8_t *rtp, size_t len);

/* A packet to the leg from the participant's address whose SRTP tag is wrong. */
static void
bad_srtp(struct mxp_leg_info *li, uint16_t seq)
{
	uint8_t rtp[12 + 40 + 4 + 10]; /* header, payload, MKI 1 (4 bytes), a tag of 0xab */
	memset(rtp, 0xab, sizeof(rtp));
	memcpy(rtp + 12 + 40, (const uint8_t[]){ 0, 0, 0, 1 }, 4);
	rtp[0] = 0x80;
	rtp[1] = 0;
	rtp[2] = (uint8_t)(seq >> 8);
	rtp[3] = (uint8_t)seq;
	uint32_t ssrc = htonl(0x1234);
	memcpy(rtp + 8, &ssrc, 4);
	send_to_leg(li, rtp, sizeof(rtp));
}

static void
send_to_leg(const struct mxp_leg_info *li, const uint8_t *rtp, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct mxp_pkt_udp_addr a = { .src_mac = peer_mac, .dst_mac = our_mac, .src = li->remote,
				      .dst = li->local, .sport = li->remote_port,
				      .dport = li->local_port };
	uint16_t hl = mxp_pkt_udp_hdr_len(AF_INET);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + len));
	memcpy(f + hl, rtp, len);
	mxp_pkt_build_udp(f, &a, (uint16_t)len, mxp_pkt_payload_sum(rtp, (uint16_t)len));
	struct mxp_pkt_meta meta;
	if (mxp_pkt_parse(f, rte_pktmbuf_data_len(m), 0, &meta) != MXP_PKT_UDP)
		abort();
	if (!mxp_conf_rx(g_w, li->port_idx, m, &meta))
		rte_pktmbuf_free(m);
	mxp_conf_flush(g_w);
}

/* A participant sending with the key of seed (MKI 1) under an SSRC: lib/srtp protects. */
struct sender {
	struct mxp_srtp_ctx *ctx;
	uint16_t seq;
};

static void
sender_init(struct sender *sd, unsigned int seed, uint32_t ssrc)
{
	sd->ctx = rte_zmalloc("sender", mxp_srtp_ctx_size(), MXP_SRTP_CTX_ALIGN);
	struct mxp_srtp_params sp = { .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
				      .dir = MXP_SRTP_OUTBOUND, .ssrc = ssrc };
	uint8_t key[16], salt[14];
	key_bytes(seed, key, salt);
	if (sd->ctx == NULL || mxp_srtp_ctx_init(sd->ctx, &sp, NULL, 0) != 0 ||
	    mxp_srtp_ctx_key_add(sd->ctx, key, salt, (const uint8_t[]){ 0, 0, 0, 1 }, 4, 0) != 0)
		abort();
	sd->seq = 1;
}

static void
sender_fini(struct sender *sd)
{
	mxp_srtp_ctx_fini(sd->ctx);
	rte_free(sd->ctx);
}

/* One authenticated RTP packet from the participant's address to the leg. */
static void
good_srtp(struct sender *sd, uint32_t ssrc, const struct mxp_leg_info *li)
{
	uint8_t rtp[12 + 40 + MXP_SRTP_MAX_TRAILER];
	memset(rtp, 0x55, sizeof(rtp));
	rtp[0] = 0x80;
	rtp[1] = 0;
	rtp[2] = (uint8_t)(sd->seq >> 8);
	rtp[3] = (uint8_t)sd->seq;
	sd->seq++;
	uint32_t v = htonl(ssrc);
	memcpy(rtp + 8, &v, 4);
	size_t len = 12 + 40;
	if (mxp_srtp_protect(sd->ctx, rtp, &len, sizeof(rtp)) != 0)
		abort();
	send_to_leg(li, rtp, len);
}

/* EAL, mbuf pools, the ports' addresses: once, from main(). */
static int
harness_init(const char *argv0)
{
	if (mxp_test_eal_init(argv0) != 0)
		return -1;
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("test_hdr", 4095, 0, 0, 256, 0);
	if (pool == NULL || hdr_pool == NULL)
		return -1;
	port0_v4 = ip("192.0.2.2");
	port0_v6 = ip("2001:db8::2");
	port1_v4 = ip("198.51.100.2");
	return 0;
}

#endif
