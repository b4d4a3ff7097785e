/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf's data path with libsrtp2 as the participants: frames go in through
 * mxp_conf_rx() and mxp_conf_flush() (commands run inline, no worker thread), come out
 * through the io callbacks, and each receiver decrypts them with libsrtp2 using the key
 * the mixer sends with. Checks exact payloads, key groups (one encryption per group),
 * forward mode, stream modes, latching, bad input and removal.
 */
#include <arpa/inet.h>
#include <stdlib.h>

#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <srtp2/srtp.h>

#include "mxp_conf.h"
#include "mxp_media_codec.h"
#include "mxp_rtp.h"
#include "mxp_srtp_sdes.h"
#include "mxp_test.h"
#include "conf_priv.h"

#include "conf_test_util.h"

static uint64_t out_lifetime; /* lifetime of the mixer's keys of the next legs, 0 = none */

static int
add_leg(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, enum mxp_stream_mode mode,
	bool strict)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = pr->addr.af;
	lp.remote_known = true;
	lp.remote = pr->addr;
	lp.remote_port = pr->port;
	lp.mode = mode;
	lp.strict = strict;
	conf_key(&lp.in, pr->in_key);
	conf_key(&lp.out, pr->out_key);
	lp.out.key[0].lifetime = out_lifetime;
	char err[256] = "";
	int r = mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, sizeof(err));
	if (r)
		printf("# leg_add: %s\n", err);
	return r;
}

static void
rtp_packet(struct peer *pr, uint8_t *buf, int *len)
{
	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = (uint8_t)(pr->seq >> 8);
	buf[3] = (uint8_t)pr->seq;
	uint32_t v = htonl(pr->ts);
	memcpy(buf + 4, &v, 4);
	v = htonl(pr->ssrc);
	memcpy(buf + 8, &v, 4);
	for (int i = 0; i < PAYLOAD; i++)
		buf[12 + i] = (uint8_t)(pr->seq + i * 3);
	*len = 12 + PAYLOAD;
	pr->seq++;
	pr->ts += 160;
}


static void
send_from(struct peer *pr, const struct mxp_ip *src, uint16_t sport, uint8_t plain[256], int *plen)
{
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	int len;
	rtp_packet(pr, buf, &len);
	memcpy(plain, buf, (size_t)len);
	*plen = len;
	if (srtp_protect(pr->tx, buf, &len) != srtp_err_status_ok)
		abort();
	tu_deliver(tu_frame(pool, &pr->leg, src, sport, buf, (uint16_t)len));
}

static void
send_srtp(struct peer *pr, uint8_t plain[256], int *plen)
{
	send_from(pr, &pr->addr, pr->port, plain, plen);
}

/* Decrypt what was sent to a peer; returns how many frames it got, checks each. */
struct got {
	unsigned int n;
	uint8_t rtp[8][256];
	int len[8];
	uint8_t wire[8][256];
	int wire_len[8];
};

static unsigned int
collect(struct mxp_test_ctx *t, struct peer *pr, struct got *g)
{
	memset(g, 0, sizeof(*g));
	for (unsigned int i = 0; i < nsent; i++) {
		struct rte_mbuf *m = sent[i].m;
		uint8_t f[512];
		uint32_t flen = rte_pktmbuf_pkt_len(m);
		if (flen > sizeof(f))
			continue;
		/* chains (header + shared payload) are linearised into f */
		const uint8_t *fp = rte_pktmbuf_read(m, 0, flen, f);
		struct mxp_pkt_meta meta;
		if (mxp_pkt_parse(fp, flen, 0, &meta) != MXP_PKT_UDP)
			continue;
		if (!mxp_ip_equal(&meta.dst, &pr->addr) || meta.dport != pr->port)
			continue;
		MXP_CHECK(t, meta.sport == pr->leg.local_port);
		MXP_CHECK(t, memcmp(fp, &peer_mac, 6) == 0);
		int len = (int)meta.l4_payload_len;
		uint8_t buf[512];
		memcpy(buf, fp + meta.l2_len + meta.l3_len + 8, (size_t)len);
		if (g->n < 8) {
			memcpy(g->wire[g->n], buf, (size_t)len);
			g->wire_len[g->n] = len;
		}
		if (srtp_unprotect(pr->rx, buf, &len) != srtp_err_status_ok) {
			MXP_CHECK(t, !"receiver's libsrtp2 rejected a packet");
			continue;
		}
		if (g->n < 8) {
			memcpy(g->rtp[g->n], buf, (size_t)len);
			g->len[g->n] = len;
		}
		g->n++;
	}
	return g->n;
}

static uint32_t
new_conf(struct mxp_conf_sys *sys, enum mxp_conf_mode mode)
{
	struct mxp_conf_params cp = { .mode = mode };
	uint32_t id = 0;
	char err[128];
	if (mxp_conf_create(sys, &cp, &id, err, sizeof(err)))
		abort();
	return id;
}

static uint64_t
kg_encryptions(struct mxp_conf_sys *sys, uint32_t conf)
{
	struct mxp_conf_info ci;
	mxp_conf_get(sys, conf, &ci);
	return ci.encryptions;
}

/* ---- tests ----------------------------------------------------------------------------------- */

MXP_TEST(switch_individual_keys)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer p[3];
	peer_init(&p[0], 1, 11, "192.0.2.101", 5000);
	peer_init(&p[1], 2, 12, "192.0.2.102", 5002);
	peer_init(&p[2], 3, 13, "192.0.2.103", 5004);
	for (int i = 0; i < 3; i++)
		MXP_CHECK_EQ(t, add_leg(sys, c, &p[i], MXP_SM_SENDRECV, false), 0);
	MXP_CHECK(t, p[0].leg.local_port != p[1].leg.local_port);
	MXP_CHECK_EQ(t, p[0].leg.local_port % 2, 0);

	uint8_t plain[256];
	int plen;
	struct got g1, g2, g0;
	for (int k = 0; k < 5; k++) {
		send_srtp(&p[0], plain, &plen);
		mxp_conf_flush(g_w);
		MXP_CHECK_EQ(t, collect(t, &p[1], &g1), 1);
		MXP_CHECK_EQ(t, collect(t, &p[2], &g2), 1);
		MXP_CHECK_EQ(t, collect(t, &p[0], &g0), 0); /* never back to the sender */
		/* exact payload and timestamp; SSRC and sequence are the output stream's */
		MXP_CHECK_EQ(t, g1.len[0], plen);
		MXP_CHECK_MEM(t, g1.rtp[0] + 12, plain + 12, PAYLOAD);
		MXP_CHECK_MEM(t, g1.rtp[0] + 4, plain + 4, 4);
		MXP_CHECK_MEM(t, g2.rtp[0] + 12, plain + 12, PAYLOAD);
		MXP_CHECK(t, memcmp(g1.rtp[0] + 8, g2.rtp[0] + 8, 4) != 0 ||
				     memcmp(p[1].out_key, p[2].out_key, 30) != 0);
		sent_clear();
	}
	/* Individual keys: one encryption per receiver. */
	MXP_CHECK_EQ(t, kg_encryptions(sys, c), 10);
	struct mxp_leg_info li;
	mxp_conf_leg_get(sys, p[0].leg.id, &li);
	MXP_CHECK_EQ(t, li.st.rx_pkts, 5);
	MXP_CHECK(t, li.st.ssrc_known && li.st.ssrc == p[0].ssrc);
	mxp_conf_leg_get(sys, p[1].leg.id, &li);
	MXP_CHECK_EQ(t, li.st.tx_pkts, 5);
	/* The conference's counts are since its creation: a receiver (and its key group) and
	 * the sender leaving take nothing away. */
	struct mxp_conf_info ci;
	char err[128];
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, p[2].leg.id, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, kg_encryptions(sys, c), 10);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, p[0].leg.id, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_get(sys, c, &ci), 0);
	MXP_CHECK_EQ(t, ci.encryptions, 10);
	MXP_CHECK_EQ(t, ci.decryptions, 5);
	MXP_CHECK_EQ(t, ci.nkeygroups, 1);
	for (int i = 0; i < 3; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}

/*
 * Top-N ranks legs by the audio level they announce (RFC 6464); a leg that announces none
 * is always forwarded. It must be from its first packet, and right after N changes, not
 * from the next 20 ms timer tick (the test polls no timers).
 */
MXP_TEST(topn_unranked_legs_forwarded_at_once)
{
	struct mxp_conf_sys *sys = sys_new();
	struct mxp_conf_params cp = { .mode = MXP_CONF_SWITCH, .topn = 1 };
	uint32_t c = 0;
	char err[128];
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c, err, sizeof(err)), 0);
	struct peer p[3];
	peer_init(&p[0], 21, 31, "192.0.2.121", 5100);
	peer_init(&p[1], 22, 32, "192.0.2.122", 5102);
	peer_init(&p[2], 23, 33, "192.0.2.123", 5104);
	for (int i = 0; i < 3; i++)
		MXP_CHECK_EQ(t, add_leg(sys, c, &p[i], MXP_SM_SENDRECV, false), 0);
	uint8_t plain[256];
	int plen;
	struct got g;
	for (int round = 0; round < 2; round++) {
		if (round == 1) /* N changes: still forwarded at once */
			MXP_CHECK_EQ(t, mxp_conf_set_topn(sys, c, 2, err, sizeof(err)), 0);
		send_srtp(&p[0], plain, &plen);
		send_srtp(&p[1], plain, &plen);
		mxp_conf_flush(g_w);
		MXP_CHECK_EQ(t, collect(t, &p[2], &g), 2);
		sent_clear();
	}
	struct mxp_leg_info li;
	mxp_conf_leg_get(sys, p[0].leg.id, &li);
	MXP_CHECK_EQ(t, li.st.topn_filtered, 0);
	for (int i = 0; i < 3; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}

/*
 * A switch conference sends each receiver an SRTCP sender report for the stream it gets
 * (RFC 3550 6.4.1), encrypted under the receiver's key: libsrtp2 decrypts it; it names the
 * output stream's SSRC and counts the packets sent on it. Reports are due on a timer: the
 * worker is polled until one arrives (or 5 s pass: the first is due within 3.1 s, RFC 3550
 * 6.3 with half the minimum interval, looked for every 0.5 s).
 */
MXP_TEST(switch_sends_sender_reports)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer s, r;
	peer_init(&s, 41, 51, "192.0.2.141", 5200);
	peer_init(&r, 42, 52, "192.0.2.142", 5202);
	MXP_CHECK_EQ(t, add_leg(sys, c, &s, MXP_SM_SENDRECV, false), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &r, MXP_SM_SENDRECV, false), 0);
	uint8_t plain[256];
	int plen;
	struct got g;
	for (int k = 0; k < 3; k++)
		send_srtp(&s, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &r, &g), 3);
	uint32_t ssrc = mxp_be_rd32(g.rtp[0] + 8);
	sent_clear();
	bool got_sr = false;
	uint64_t end = rte_get_tsc_cycles() + 5 * rte_get_tsc_hz();
	while (!got_sr && rte_get_tsc_cycles() < end) {
		mxp_conf_worker_poll(g_w);
		for (unsigned int i = 0; i < nsent && !got_sr; i++) {
			struct rte_mbuf *m = sent[i].m;
			uint8_t f[512], buf[512];
			uint32_t flen = rte_pktmbuf_pkt_len(m);
			const uint8_t *fp = rte_pktmbuf_read(m, 0, flen, f);
			struct mxp_pkt_meta meta;
			if (flen > sizeof(f) || mxp_pkt_parse(fp, flen, 0, &meta) != MXP_PKT_UDP ||
			    !mxp_ip_equal(&meta.dst, &r.addr))
				continue;
			int len = (int)meta.l4_payload_len;
			memcpy(buf, fp + meta.l2_len + meta.l3_len + 8, (size_t)len);
			MXP_CHECK_EQ(t, meta.dport, r.port + 1); /* no rtcp-mux: the next port */
			MXP_CHECK_EQ(t, srtp_unprotect_rtcp(r.rx, buf, &len), srtp_err_status_ok);
			MXP_CHECK(t, len >= 28 && buf[1] == 200);       /* an SR */
			MXP_CHECK_EQ(t, mxp_be_rd32(buf + 4), ssrc);   /* of the stream r gets */
			MXP_CHECK_EQ(t, mxp_be_rd32(buf + 20), 3);     /* sender's packet count */
			got_sr = true;
		}
		sent_clear();
	}
	MXP_CHECK(t, got_sr);
	peer_fini(&s), peer_fini(&r);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(key_group_encrypts_once)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer p[5];
	char a[32];
	for (int i = 0; i < 5; i++) {
		snprintf(a, sizeof(a), "192.0.2.%d", 110 + i);
		/* every receiver shares the mixer's key 99; each sends with its own */
		peer_init(&p[i], (unsigned int)(20 + i), 99, a, (uint16_t)(6000 + 2 * i));
		MXP_CHECK_EQ(t, add_leg(sys, c, &p[i], i == 0 ? MXP_SM_SENDRECV : MXP_SM_RECVONLY,
					false), 0);
	}
	struct mxp_keygroup_info kg[4];
	MXP_CHECK_EQ(t, mxp_conf_keygroups(sys, c, kg, 4), 1);
	MXP_CHECK_EQ(t, kg[0].members, 5);
	uint8_t plain[256];
	int plen;
	const int N = 20;
	unsigned int got = 0;
	for (int k = 0; k < N; k++) {
		send_srtp(&p[0], plain, &plen);
		mxp_conf_flush(g_w);
		struct got g[5];
		/* the sender is in the group too, and still never hears itself */
		MXP_CHECK_EQ(t, collect(t, &p[0], &g[0]), 0);
		for (int i = 1; i < 5; i++) {
			got += collect(t, &p[i], &g[i]);
			MXP_CHECK_MEM(t, g[i].rtp[0] + 12, plain + 12, PAYLOAD);
		}
		/* the SRTP bytes are identical for every member of the group */
		for (int i = 2; i < 5; i++)
			MXP_CHECK(t, g[i].wire_len[0] == g[1].wire_len[0] &&
					     !memcmp(g[i].wire[0], g[1].wire[0], (size_t)g[1].wire_len[0]));
		sent_clear();
	}
	MXP_CHECK_EQ(t, got, 4 * N);
	mxp_conf_keygroups(sys, c, kg, 4);
	MXP_CHECK_EQ(t, kg[0].encryptions, N);   /* once per packet, not per receiver */
	MXP_CHECK_EQ(t, kg[0].sent, 4 * N);
	for (int i = 0; i < 5; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}

/*
 * The lifetime of a key group's key counts every packet under it, whichever sender's stream
 * (RFC 4568: packets under the master key): two senders' streams share one count, and the
 * group stops sending when the total reaches it; the drops say why and the usage the
 * control plane notifies is the total.
 */
MXP_TEST(key_group_lifetime_shared)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer p[3];
	char a[32];
	out_lifetime = 10;
	for (int i = 0; i < 3; i++) {
		snprintf(a, sizeof(a), "192.0.2.%d", 130 + i);
		peer_init(&p[i], (unsigned int)(40 + i), 77, a, (uint16_t)(6100 + 2 * i));
		MXP_CHECK_EQ(t, add_leg(sys, c, &p[i], MXP_SM_SENDRECV, false), 0);
	}
	out_lifetime = 0;
	struct mxp_keygroup_info kg[2];
	MXP_CHECK_EQ(t, mxp_conf_keygroups(sys, c, kg, 2), 1);
	uint8_t plain[256];
	int plen;
	/* 4 from each of p0 and p1: 8 encryptions, two streams under one key */
	for (int k = 0; k < 8; k++) {
		send_srtp(&p[k % 2], plain, &plen);
		mxp_conf_flush(g_w);
	}
	sent_clear();
	mxp_conf_keygroups(sys, c, kg, 2);
	MXP_CHECK_EQ(t, kg[0].encryptions, 8);
	/* 4 more from p0: its stream has used 4 of 10 alone, but the key 8: 2 go out */
	for (int k = 0; k < 4; k++) {
		send_srtp(&p[0], plain, &plen);
		mxp_conf_flush(g_w);
	}
	struct got g;
	MXP_CHECK_EQ(t, collect(t, &p[2], &g), 2);
	sent_clear();
	mxp_conf_keygroups(sys, c, kg, 2);
	MXP_CHECK_EQ(t, kg[0].encryptions, 10);
	MXP_CHECK_EQ(t, drops[MXP_DROP_SRTP_KEY_EXHAUSTED], 2);
	/* p1's stream is spent too */
	send_srtp(&p[1], plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &p[2], &g), 0);
	sent_clear();
	MXP_CHECK_EQ(t, drops[MXP_DROP_SRTP_KEY_EXHAUSTED], 3);
	struct mxp_leg_events ev;
	MXP_CHECK_EQ(t, mxp_conf_leg_events(sys, p[2].leg.id, &ev), 0);
	MXP_CHECK_EQ(t, ev.n_out, 1);
	MXP_CHECK(t, ev.out[0].active);
	MXP_CHECK_EQ(t, ev.out[0].srtp_used, 10);
	MXP_CHECK_EQ(t, ev.out[0].srtp_limit, 10);
	for (int i = 0; i < 3; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}

/*
 * Many mix conferences on one worker, a third of them ended again in between: every live
 * one ticks (the worker's tick heap keeps them all, removal included), the ended ones are
 * gone. Polls until each live conference ticked three times (a condition, not a sleep).
 */
MXP_TEST(mix_ticks_many_conferences)
{
	struct mxp_conf_sys *sys = sys_new();
	enum { N = 40 };
	uint32_t id[N];
	char err[128];
	for (int i = 0; i < N; i++) {
		struct mxp_conf_params cp = { .mode = MXP_CONF_MIX, .max_legs = 4 };
		MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &id[i], err, sizeof(err)), 0);
	}
	for (int i = 0; i < N; i += 3)
		MXP_CHECK_EQ(t, mxp_conf_destroy(sys, id[i], err, sizeof(err)), 0);
	uint64_t deadline = rte_rdtsc() + 5 * rte_get_tsc_hz();
	bool all = false;
	while (!all && rte_rdtsc() < deadline) {
		mxp_conf_worker_poll(g_w);
		all = true;
		for (int i = 1; i < N && all; i++) {
			struct mxp_conf_info ci;
			if (i % 3 != 0)
				all = mxp_conf_get(sys, id[i], &ci) == 0 && ci.mix_ticks >= 3;
		}
	}
	MXP_CHECK(t, all);
	for (int i = 0; i < N; i++) {
		struct mxp_conf_info ci;
		MXP_CHECK_EQ(t, mxp_conf_get(sys, id[i], &ci) == 0, i % 3 != 0);
	}
	/* the worker's counters hold its conferences' ticks, and keep them when they go */
	uint64_t live = 0;
	struct mxp_conf_worker_stats ws, after;
	for (int i = 1; i < N; i++) {
		struct mxp_conf_info ci;
		if (i % 3 != 0 && mxp_conf_get(sys, id[i], &ci) == 0)
			live += ci.mix_ticks;
	}
	MXP_CHECK_EQ(t, mxp_conf_worker_stats(sys, 0, &ws), 0);
	MXP_CHECK(t, ws.mix_ticks >= live && live >= 3 * (N - (N + 2) / 3));
	MXP_CHECK(t, ws.mix_late_ticks <= ws.mix_ticks);
	/* and they can all go */
	for (int i = 1; i < N; i++)
		if (i % 3 != 0)
			MXP_CHECK_EQ(t, mxp_conf_destroy(sys, id[i], err, sizeof(err)), 0);
	mxp_conf_worker_poll(g_w);
	MXP_CHECK_EQ(t, mxp_conf_worker_stats(sys, 0, &after), 0);
	MXP_CHECK_EQ(t, after.mix_ticks, ws.mix_ticks);
	MXP_CHECK_EQ(t, after.mix_late_ticks, ws.mix_late_ticks);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(forward_mode)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_FORWARD);
	struct peer p[3];
	for (int i = 0; i < 3; i++) {
		char a[32];
		snprintf(a, sizeof(a), "192.0.2.%d", 120 + i);
		peer_init(&p[i], 50, 50, a, (uint16_t)(7000 + 2 * i)); /* the conference key */
		p[i].ssrc = 0x5000 + (uint32_t)i;
		srtp_dealloc(p[i].tx);
		p[i].tx = srtp_session(p[i].in_key, false, p[i].ssrc);
		MXP_CHECK_EQ(t, add_leg(sys, c, &p[i], MXP_SM_SENDRECV, false), 0);
	}
	/* A leg with another key is refused in forward mode, nothing changes. */
	struct peer bad;
	peer_init(&bad, 51, 51, "192.0.2.130", 7100);
	MXP_CHECK_EQ(t, add_leg(sys, c, &bad, MXP_SM_SENDRECV, false), -EINVAL);
	struct mxp_conf_info ci;
	mxp_conf_get(sys, c, &ci);
	MXP_CHECK_EQ(t, ci.nlegs, 3);

	uint8_t plain[256];
	int plen;
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	int len;
	rtp_packet(&p[0], buf, &len);
	memcpy(plain, buf, (size_t)len);
	plen = len;
	srtp_protect(p[0].tx, buf, &len);
	tu_deliver(tu_frame(pool, &p[0].leg, &p[0].addr, p[0].port, buf, (uint16_t)len));
	mxp_conf_flush(g_w);
	struct got g;
	MXP_CHECK_EQ(t, collect(t, &p[1], &g), 1);
	MXP_CHECK(t, g.wire_len[0] == len && !memcmp(g.wire[0], buf, (size_t)len)); /* unchanged */
	MXP_CHECK_MEM(t, g.rtp[0], plain, (size_t)plen);
	MXP_CHECK_EQ(t, collect(t, &p[2], &g), 1);
	sent_clear();
	/* The same packet again: replay, dropped. */
	tu_deliver(tu_frame(pool, &p[0].leg, &p[0].addr, p[0].port, buf, (uint16_t)len));
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, nsent, 0);
	MXP_CHECK_EQ(t, drops[MXP_DROP_SRTP_REPLAY], 1);
	/* A forged one: a payload bit flipped. */
	send_srtp(&p[0], plain, &plen); /* advances seq; sent normally */
	mxp_conf_flush(g_w);
	sent_clear();
	rtp_packet(&p[0], buf, &len);
	srtp_protect(p[0].tx, buf, &len);
	buf[20] ^= 1;
	tu_deliver(tu_frame(pool, &p[0].leg, &p[0].addr, p[0].port, buf, (uint16_t)len));
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, nsent, 0);
	MXP_CHECK_EQ(t, drops[MXP_DROP_SRTP_AUTH], 1);
	mxp_conf_get(sys, c, &ci);
	MXP_CHECK_EQ(t, ci.encryptions, 0);
	MXP_CHECK_EQ(t, ci.decryptions, 0); /* verified, never decrypted */
	for (int i = 0; i < 3; i++)
		peer_fini(&p[i]);
	peer_fini(&bad);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(stream_modes)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer s, ro, so, in;
	peer_init(&s, 60, 70, "192.0.2.140", 8000);
	peer_init(&ro, 61, 71, "192.0.2.141", 8002);
	peer_init(&so, 62, 72, "192.0.2.142", 8004);
	peer_init(&in, 63, 73, "192.0.2.143", 8006);
	add_leg(sys, c, &s, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &ro, MXP_SM_RECVONLY, false);
	add_leg(sys, c, &so, MXP_SM_SENDONLY, false);
	add_leg(sys, c, &in, MXP_SM_INACTIVE, false);
	uint8_t plain[256];
	int plen;
	struct got g;
	send_srtp(&s, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &ro, &g), 1);   /* recvonly hears */
	MXP_CHECK_EQ(t, collect(t, &so, &g), 0);   /* sendonly hears nothing */
	MXP_CHECK_EQ(t, collect(t, &in, &g), 0);   /* inactive hears nothing */
	sent_clear();
	send_srtp(&ro, plain, &plen);              /* recvonly sends nothing into it */
	send_srtp(&in, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, nsent, 0);
	MXP_CHECK_EQ(t, drops[MXP_DROP_LEG_NOT_SENDING], 2);
	send_srtp(&so, plain, &plen);              /* sendonly talks */
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &s, &g), 1);
	MXP_CHECK_EQ(t, collect(t, &ro, &g), 1);
	sent_clear();
	/* Mode change: the recvonly leg becomes sendrecv and is heard. */
	struct mxp_leg_mod m = { .set_mode = true, .mode = MXP_SM_SENDRECV };
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, ro.leg.id, &m, NULL, 0), 0);
	send_srtp(&ro, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &s, &g), 1);
	MXP_CHECK_MEM(t, g.rtp[0] + 12, plain + 12, PAYLOAD);
	sent_clear();
	peer_fini(&s), peer_fini(&ro), peer_fini(&so), peer_fini(&in);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(latching_and_strict)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b, st;
	peer_init(&a, 80, 90, "192.0.2.150", 9000);
	peer_init(&b, 81, 91, "192.0.2.151", 9002);
	peer_init(&st, 82, 92, "192.0.2.152", 9004);
	add_leg(sys, c, &a, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &b, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &st, MXP_SM_SENDRECV, true);
	uint8_t plain[256];
	int plen;
	struct mxp_ip nat = ip("198.51.100.7");
	/* From a NAT address, authenticated: a moves there. */
	send_from(&a, &nat, 40000, plain, &plen);
	mxp_conf_flush(g_w);
	struct mxp_leg_info li;
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &nat) && li.remote_port == 40000);
	MXP_CHECK_EQ(t, li.st.latches, 1);
	struct got g;
	MXP_CHECK_EQ(t, collect(t, &b, &g), 1);
	sent_clear();
	/* From another address with a bad tag: dropped, no move. */
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	int len;
	rtp_packet(&a, buf, &len);
	srtp_protect(a.tx, buf, &len);
	buf[len - 1] ^= 0x80;
	struct mxp_ip evil = ip("203.0.113.66");
	tu_deliver(tu_frame(pool, &a.leg, &evil, 4444, buf, (uint16_t)len));
	mxp_conf_flush(g_w);
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &nat));
	MXP_CHECK_EQ(t, li.st.source_mismatch, 1);
	MXP_CHECK_EQ(t, drops[MXP_DROP_SOURCE_MISMATCH], 1);
	MXP_CHECK_EQ(t, nsent, 0);
	/* A strict leg never moves, even for a valid packet. */
	send_from(&st, &nat, 40002, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, nsent, 0);
	mxp_conf_leg_get(sys, st.leg.id, &li);
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &st.addr));
	MXP_CHECK_EQ(t, drops[MXP_DROP_SOURCE_MISMATCH], 2);
	/* forget_remote: a has no address (nothing is sent to it) until its next
	 * authenticated packet, which it latches to, as a leg added without one */
	struct mxp_leg_mod fm;
	char err[200];
	memset(&fm, 0, sizeof(fm));
	fm.forget_remote = true;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, a.leg.id, &fm, err, sizeof(err)), 0);
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, !li.remote_known && li.remote_port == 0);
	sent_clear();
	send_srtp(&b, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, nsent, 1); /* to st; a would hear b too, but has no address now */
	MXP_CHECK_EQ(t, collect(t, &st, &g), 1);
	sent_clear();
	struct mxp_ip nat2 = ip("198.51.100.9");
	send_from(&a, &nat2, 40004, plain, &plen);
	mxp_conf_flush(g_w);
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, li.remote_known && mxp_ip_equal(&li.remote, &nat2) && li.remote_port == 40004);
	MXP_CHECK_EQ(t, collect(t, &b, &g), 1);
	sent_clear();
	fm.set_remote = true; /* not both */
	fm.remote = nat;
	fm.remote_port = 40000;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, a.leg.id, &fm, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "forget_remote") != NULL);
	peer_fini(&a), peer_fini(&b), peer_fini(&st);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(bad_input_counted)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b;
	peer_init(&a, 100, 110, "192.0.2.160", 9100);
	peer_init(&b, 101, 111, "192.0.2.161", 9102);
	add_leg(sys, c, &a, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &b, MXP_SM_SENDRECV, false);
	static const struct {
		const char *hex;
		enum mxp_drop d;
	} rows[] = {
		{ "8000", MXP_DROP_RTP_TRUNCATED },
		{ "40000001 00000001 00001064 aabbccdd", MXP_DROP_RTP_VERSION },
		{ "8f000001 00000001 00001064 aabbccdd", MXP_DROP_RTP_CSRC },
		{ "90000001 00000001 00001064 bede0009 aabbccdd", MXP_DROP_RTP_EXT },
		/* right header, garbage tag */
		{ "80000001 00000001 00001064 aabbccddeeff00112233445566778899", MXP_DROP_SRTP_AUTH },
	};
	for (size_t i = 0; i < RTE_DIM(rows); i++) {
		uint8_t p[64];
		int n = mxp_test_hex(rows[i].hex, p, sizeof(p));
		uint64_t before = drops[rows[i].d];
		tu_deliver(tu_frame(pool, &a.leg, &a.addr, a.port, p, (uint16_t)n));
		mxp_conf_flush(g_w);
		if (!MXP_CHECK(t, drops[rows[i].d] == before + 1))
			printf("#   row %zu expected %s\n", i, mxp_drop_name(rows[i].d));
	}
	/* Padding beyond the payload is seen after decryption. */
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	int len;
	rtp_packet(&a, buf, &len);
	buf[0] |= 0x20;
	buf[len - 1] = 200;
	srtp_protect(a.tx, buf, &len);
	tu_deliver(tu_frame(pool, &a.leg, &a.addr, a.port, buf, (uint16_t)len));
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, drops[MXP_DROP_RTP_PADDING], 1);
	/* A wrong SSRC after the first packet fixed it. */
	uint8_t plain[256];
	int plen;
	send_srtp(&a, plain, &plen);
	mxp_conf_flush(g_w);
	srtp_dealloc(a.tx);
	a.ssrc ^= 0xffff;
	a.tx = srtp_session(a.in_key, false, a.ssrc);
	send_srtp(&a, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, drops[MXP_DROP_SRTP_SSRC], 1);
	MXP_CHECK_EQ(t, nsent, 1); /* only the good packet went to b */
	sent_clear();
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(removal_stops_delivery)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b, d;
	peer_init(&a, 120, 130, "192.0.2.170", 9200);
	peer_init(&b, 121, 131, "192.0.2.171", 9202);
	peer_init(&d, 122, 131, "192.0.2.172", 9204); /* same group as b */
	add_leg(sys, c, &a, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &b, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &d, MXP_SM_SENDRECV, false);
	uint8_t plain[256];
	int plen;
	struct got g;
	send_srtp(&a, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &b, &g), 1);
	sent_clear();
	struct mxp_leg_info last;
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, b.leg.id, &last, NULL, 0), 0);
	MXP_CHECK_EQ(t, last.st.tx_pkts, 1);
	send_srtp(&a, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &b, &g), 0);
	MXP_CHECK_EQ(t, collect(t, &d, &g), 1);
	sent_clear();
	/* packets to the removed leg's port are no longer a leg's */
	uint64_t before = drops[MXP_DROP_UDP_NO_LEG];
	send_srtp(&b, plain, &plen);
	MXP_CHECK_EQ(t, drops[MXP_DROP_UDP_NO_LEG], before + 1);
	struct mxp_leg_info li;
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), -ENOENT);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, b.leg.id, NULL, NULL, 0), -ENOENT);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, NULL, 0), 0);
	MXP_CHECK_EQ(t, mxp_conf_list(sys, NULL, 0), 0);
	peer_fini(&a), peer_fini(&b), peer_fini(&d);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(hundred_legs_ipv6)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	static struct peer p[100];
	for (int i = 0; i < 100; i++) {
		char a[64];
		snprintf(a, sizeof(a), "2001:db8::%x", 0x100 + i);
		/* half in one key group, half with individual keys */
		peer_init(&p[i], (unsigned int)(200 + i), i % 2 ? 999u : (unsigned int)(400 + i), a,
			  (uint16_t)(10000 + 2 * i));
		MXP_CHECK_EQ(t, add_leg(sys, c, &p[i], i == 0 ? MXP_SM_SENDRECV : MXP_SM_RECVONLY,
					false), 0);
	}
	struct mxp_conf_info ci;
	mxp_conf_get(sys, c, &ci);
	MXP_CHECK_EQ(t, ci.nlegs, 100);
	MXP_CHECK_EQ(t, ci.nkeygroups, 51);
	uint8_t plain[256];
	int plen;
	send_srtp(&p[0], plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, nsent, 99);
	unsigned int ok = 0;
	struct got g;
	for (int i = 1; i < 100; i++)
		if (collect(t, &p[i], &g) == 1 && !memcmp(g.rtp[0] + 12, plain + 12, PAYLOAD))
			ok++;
	MXP_CHECK_EQ(t, ok, 99);
	/* 50 individual groups (minus the sender's own) + 1 shared = 50 encryptions */
	MXP_CHECK_EQ(t, kg_encryptions(sys, c), 50);
	sent_clear();
	for (int i = 0; i < 100; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(validation_changes_nothing)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a;
	peer_init(&a, 140, 150, "192.0.2.180", 9300);
	struct mxp_leg_params lp;
	char err[256];
	memset(&lp, 0, sizeof(lp));
	lp.af = AF_INET;
	conf_key(&lp.in, a.in_key);
	conf_key(&lp.out, a.out_key);
	lp.out.key[0].suite = MXP_SRTP_SUITE_INVALID;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, NULL, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "outbound") != NULL);
	conf_key(&lp.out, a.out_key);
	lp.in.nkeys = 0;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, NULL, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "inbound") != NULL);
	conf_key(&lp.in, a.in_key);
	/* A key derivation rate is refused by name (session keys are derived once, on the
	 * control core, and shared by every stream under the key), from SDES too. */
	lp.in.kdr = 1u << 16;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, NULL, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK(t, strstr(err, "KDR") != NULL);
	struct mxp_sdes_crypto sc;
	static const char line[] = "1 AES_CM_128_HMAC_SHA1_80 "
				   "inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20 KDR=10";
	MXP_CHECK_EQ(t, mxp_sdes_parse(line, strlen(line), &sc, err, sizeof(err)), 0);
	MXP_CHECK(t, sc.kdr_present);
	struct mxp_conf_keys ks = { 0 };
	MXP_CHECK_EQ(t, mxp_conf_keys_add_sdes(&ks, &sc, false, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK(t, strstr(err, "KDR") != NULL);
	MXP_CHECK_EQ(t, ks.nkeys, 0);
	explicit_bzero(&sc, sizeof(sc));
	conf_key(&lp.in, a.in_key);
	lp.local_port = 21000;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, NULL, err, sizeof(err)), -EADDRINUSE);
	lp.local_port = 21001; /* its RTCP port is 21002, but 21001 is the first leg's RTCP */
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, NULL, err, sizeof(err)), -EADDRINUSE);
	lp.local_port = 0;
	lp.af = AF_INET6;
	lp.remote_known = true;
	lp.remote = ip("192.0.2.1");
	lp.remote_port = 5;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, NULL, err, sizeof(err)), -EINVAL);
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c + 100, &lp, NULL, err, sizeof(err)), -ENOENT);
	struct mxp_conf_info ci;
	mxp_conf_get(sys, c, &ci);
	MXP_CHECK_EQ(t, ci.nlegs, 1);
	struct mxp_conf_params cp = { .mode = (enum mxp_conf_mode)9 };
	uint32_t id;
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &id, err, sizeof(err)), -EINVAL);
	/* A remote address given without an RTCP port: the rule of leg_add applies (the RTP
	 * port with rtcp-mux, else the next), whichever call sets it. */
	memset(&lp, 0, sizeof(lp));
	lp.af = AF_INET;
	lp.plain = true;
	lp.rtcp_mux = true;
	lp.remote_known = true; /* a plain leg cannot latch */
	lp.remote = ip("192.0.2.8");
	lp.remote_port = 6000;
	uint32_t c2 = new_conf(sys, MXP_CONF_SWITCH); /* a conference is all plain or all SRTP */
	struct mxp_leg_info li;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c2, &lp, &li, err, sizeof(err)), 0);
	uint32_t pl_id = li.id;
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	m.set_remote = true;
	m.remote = ip("192.0.2.9");
	m.remote_port = 7000;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, pl_id, &m, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, pl_id, &li), 0);
	MXP_CHECK_EQ(t, li.remote_rtcp_port, 7000);
	/* A plain leg has no keys to activate: refused by name, not ignored. */
	memset(&m, 0, sizeof(m));
	m.activate_out = true;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, pl_id, &m, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "plain") != NULL);
	/* nor can it forget its address: it could not learn it again */
	memset(&m, 0, sizeof(m));
	m.forget_remote = true;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, pl_id, &m, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "plain") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, pl_id, &li), 0);
	MXP_CHECK(t, li.remote_known && li.remote_port == 7000);
	peer_fini(&a);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(floor_and_mute)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b, l;
	peer_init(&a, 160, 170, "192.0.2.190", 9400);
	peer_init(&b, 161, 171, "192.0.2.191", 9402);
	peer_init(&l, 162, 172, "192.0.2.192", 9404);
	add_leg(sys, c, &a, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &b, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &l, MXP_SM_RECVONLY, false);
	uint8_t plain[256];
	int plen;
	struct got g;
	/* a holds the floor: b is not forwarded, a is */
	MXP_CHECK_EQ(t, mxp_conf_set_floor(sys, c, a.leg.id, NULL, 0), 0);
	send_srtp(&b, plain, &plen);
	send_srtp(&a, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &l, &g), 1);
	MXP_CHECK_MEM(t, g.rtp[0] + 12, plain + 12, PAYLOAD);
	sent_clear();
	struct mxp_leg_info li;
	mxp_conf_leg_get(sys, b.leg.id, &li);
	MXP_CHECK_EQ(t, li.st.floor_filtered, 1);
	struct mxp_conf_info ci;
	mxp_conf_get(sys, c, &ci);
	MXP_CHECK_EQ(t, ci.floor, a.leg.id);
	/* a leg of another conference cannot hold this floor */
	uint32_t c2 = new_conf(sys, MXP_CONF_SWITCH);
	MXP_CHECK_EQ(t, mxp_conf_set_floor(sys, c2, a.leg.id, NULL, 0), -EINVAL);
	/* muting the floor holder silences it too */
	struct mxp_leg_mod m = { .set_mute = true, .mute = true };
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, a.leg.id, &m, NULL, 0), 0);
	send_srtp(&a, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, nsent, 0);
	/* open floor, unmuted: everyone is heard again */
	m.mute = false;
	mxp_conf_leg_modify(sys, a.leg.id, &m, NULL, 0);
	MXP_CHECK_EQ(t, mxp_conf_set_floor(sys, c, 0, NULL, 0), 0);
	send_srtp(&a, plain, &plen);
	send_srtp(&b, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &l, &g), 2);
	sent_clear();
	/* the floor holder leaves: the floor opens */
	mxp_conf_set_floor(sys, c, b.leg.id, NULL, 0);
	mxp_conf_leg_remove(sys, b.leg.id, NULL, NULL, 0);
	mxp_conf_get(sys, c, &ci);
	MXP_CHECK_EQ(t, ci.floor, 0);
	peer_fini(&a), peer_fini(&b), peer_fini(&l);
	mxp_conf_sys_destroy(sys);
}

/*
 * What the conference state occupies goes back to nothing once everything is removed, in
 * every mode, after a refused rekey and a leg that leaves its group empty: no key session,
 * stream or receiver array is left behind (a session left behind would also keep its keys
 * in memory, unwiped). Group moves by rekey end at zero too: rekey_moves_*.
 */
MXP_TEST(memory_returns_to_zero)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	struct mxp_conf_memory m0, m;
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m0), 0);
	uint32_t cs = new_conf(sys, MXP_CONF_SWITCH), cm = new_conf(sys, MXP_CONF_MIX);
	struct peer p[6];
	for (int i = 0; i < 6; i++) {
		char a[32];
		snprintf(a, sizeof(a), "192.0.2.%d", 200 + i);
		/* legs 0-1 and 3-4 share their group's key, 2 and 5 have their own */
		peer_init(&p[i], 300 + i, i % 3 == 2 ? 400 + i : 390 + i / 3, a, (uint16_t)(7000 + 2 * i));
		MXP_CHECK_EQ(t, add_leg(sys, i < 3 ? cs : cm, &p[i], MXP_SM_SENDRECV, false), 0);
	}
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m), 0);
	MXP_CHECK_EQ(t, m.confs, 2);
	MXP_CHECK_EQ(t, m.legs, 6);
	MXP_CHECK_EQ(t, m.keygroups, 4);
	MXP_CHECK_EQ(t, m.srtp_ctxs, 6);
	MXP_CHECK(t, m.keys >= 6 + 4); /* one per participant key and per group key */
	MXP_CHECK_EQ(t, m.media_legs, 3);
	MXP_CHECK(t, m.total_bytes > 0 && m.reserved_bytes >= m.total_bytes);
	/* a second key without MKIs is refused (nothing changes), then leg 2 leaves its
	 * group empty */
	struct mxp_leg_mod mod = { .add_out_key = true };
	mod.out_key.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	key_fill(mod.out_key.key, 77);
	memcpy(mod.out_key.salt, mod.out_key.key + 16, 14);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, p[4].leg.id, &mod, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "MKI") != NULL); /* two keys need MKIs: nothing changed */
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, p[2].leg.id, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, p[5].leg.id, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m), 0);
	MXP_CHECK_EQ(t, m.keygroups, 2);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, cm, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, cs, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m), 0);
	MXP_CHECK_EQ(t, m.confs, 0);
	MXP_CHECK_EQ(t, m.legs, 0);
	MXP_CHECK_EQ(t, m.keygroups, 0);
	MXP_CHECK_EQ(t, m.ostreams, 0);
	MXP_CHECK_EQ(t, m.srtp_ctxs, 0);
	MXP_CHECK_EQ(t, m.keys, 0);
	MXP_CHECK_EQ(t, m.key_bytes, 0);
	MXP_CHECK_EQ(t, m.srtp_bytes, 0);
	MXP_CHECK_EQ(t, m.rcv_bytes, 0);
	MXP_CHECK_EQ(t, m.media_legs, 0);
	MXP_CHECK_EQ(t, m.mixers, 0);
	MXP_CHECK_EQ(t, m.total_bytes, 0);
	for (int i = 0; i < 6; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}

/* The telephone-event payload type add_codec_leg gives its legs (0: none). */
static int16_t g_event_pt;

/* A mix leg of frame codecs: `spec` is "pt:codec/clock:fmtp;..." entries like "96:AMR-WB/16000:
 * octet-align=1" (the first is what the leg hears). */
static int
add_codec_leg(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, const char *const *pts,
	      unsigned int n, char *err, size_t errlen)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = pr->addr.af;
	lp.remote_known = true;
	lp.remote = pr->addr;
	lp.remote_port = pr->port;
	conf_key(&lp.in, pr->in_key);
	conf_key(&lp.out, pr->out_key);
	lp.event_pt = g_event_pt;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int pt, clock;
		char name[32], fmtp[64] = "";
		if (sscanf(pts[i], "%u:%31[^/]/%u:%63[^\n]", &pt, name, &clock, fmtp) < 3)
			return -EINVAL;
		lp.pt[lp.n_pt++] = (uint8_t)pt;
		enum mxp_media_codec c = mxp_media_codec_from_name(name, clock);
		if (!mxp_media_codec_is_frame(c))
			continue;
		struct mxp_leg_codec *lc = &lp.codecs[lp.n_codecs++];
		lc->pt = (uint8_t)pt;
		lc->codec = (uint8_t)c;
		if (mxp_media_fmtp_parse(c, fmtp, &lc->fmtp, err, errlen) != 0)
			return -EINVAL;
	}
	err[0] = '\0';
	return mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, errlen);
}

MXP_TEST(frame_codec_legs)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	struct mxp_conf_memory m0, m1, m;
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m0), 0);
	uint32_t cm = new_conf(sys, MXP_CONF_MIX);
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m1), 0);
	struct peer p[8];
	for (int i = 0; i < 8; i++) {
		char a[32];
		snprintf(a, sizeof(a), "192.0.2.%d", 150 + i);
		peer_init(&p[i], 500 + i, 600 + i, a, (uint16_t)(7400 + 2 * i));
	}
	static const char *const l0[] = {"96:AMR-WB/16000:octet-align=1", "111:opus/48000:",
					 "0:PCMU/8000"};
	static const char *const l1[] = {"111:opus/48000:useinbandfec=1"};
	static const char *const l2[] = {"97:AMR-WB/16000:"};
	static const char *const l3[] = {"98:AMR/8000:"};
	static const char *const l4[] = {"99:AMR/8000:mode-set=0"};
	static const char *const twice[] = {"96:AMR-WB/16000:octet-align=1", "97:AMR-WB/16000:"};
	MXP_CHECK_EQ(t, add_codec_leg(sys, cm, &p[0], l0, 3, err, sizeof(err)), 0);
	struct mxp_leg_info li;
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, p[0].leg.id, &li), 0);
	MXP_CHECK_EQ(t, li.codec, MXP_MEDIA_CODEC_AMR_WB);
	MXP_CHECK_EQ(t, li.codec_pt, 96);
	MXP_CHECK(t, strstr(li.fmtp, "octet-align=1") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m), 0);
	/* two decoders and a private encoder beside the media leg */
	MXP_CHECK(t, m.media_bytes > m1.media_bytes + 20000);
	MXP_CHECK_EQ(t, add_codec_leg(sys, cm, &p[1], l1, 1, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, add_codec_leg(sys, cm, &p[2], l2, 1, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, add_codec_leg(sys, cm, &p[3], l3, 1, err, sizeof(err)), 0);
	/* a fifth frame-codec format: refused, nothing changes */
	struct mxp_conf_memory before;
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &before), 0);
	MXP_CHECK_EQ(t, add_codec_leg(sys, cm, &p[4], l4, 1, err, sizeof(err)), -ENOSPC);
	MXP_CHECK(t, strstr(err, "4 frame-codec formats") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m), 0);
	MXP_CHECK_EQ(t, m.legs, before.legs);
	MXP_CHECK_EQ(t, m.media_bytes, before.media_bytes);
	MXP_CHECK_EQ(t, m.mixer_bytes, before.mixer_bytes);
	/* the same format again shares a slot: accepted */
	MXP_CHECK_EQ(t, add_codec_leg(sys, cm, &p[5], l3, 1, err, sizeof(err)), 0);
	/* one parameter set per codec within a leg */
	MXP_CHECK_EQ(t, add_codec_leg(sys, cm, &p[6], twice, 2, err, sizeof(err)), -ENOTSUP);
	MXP_CHECK(t, strstr(err, "one set per codec") != NULL);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, p[0].leg.id, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, cm, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m), 0);
	MXP_CHECK_EQ(t, m.media_bytes, m0.media_bytes);
	MXP_CHECK_EQ(t, m.mixer_bytes, m0.mixer_bytes);
	MXP_CHECK_EQ(t, m.total_bytes, m0.total_bytes);
	for (int i = 0; i < 8; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}

/* ---- group moves, rekeys and the SSRC registry --------------------------------------------- */
/* A leg with one-byte MKIs on its inbound and outbound keys (0: none). */
static int
add_leg_keys(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr,
	     enum mxp_stream_mode mode, uint8_t in_mki, uint8_t out_mki)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = pr->addr.af;
	lp.remote_known = true;
	lp.remote = pr->addr;
	lp.remote_port = pr->port;
	lp.mode = mode;
	conf_key(&lp.in, pr->in_key);
	conf_key(&lp.out, pr->out_key);
	lp.in.key[0].mki_len = in_mki ? 1 : 0;
	lp.in.key[0].mki[0] = in_mki;
	lp.out.key[0].mki_len = out_mki ? 1 : 0;
	lp.out.key[0].mki[0] = out_mki;
	char err[256] = "";
	int r = mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, sizeof(err));
	if (r)
		printf("# leg_add: %s\n", err);
	return r;
}

static int
add_leg_mki(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, enum mxp_stream_mode mode,
	    uint8_t mki)
{
	return add_leg_keys(sys, conf, pr, mode, 0, mki);
}

/* every stream a leg sends belongs to a group the conference still has */
static bool
streams_in_live_groups(struct mxp_conf_sys *sys, uint32_t leg_id)
{
	struct mxp_leg_ctl *lc = conf_find_leg(sys, leg_id);
	struct mxp_leg *l = lc->leg;
	struct mxp_ostream *os;
	bool ok = true;
	SLIST_FOREACH(os, &l->streams, by_sender) {
		struct mxp_keygroup *kg;
		bool found = false;
		TAILQ_FOREACH(kg, &l->conf->kgs, next)
			found |= kg == os->kg;
		if (!found) {
			printf("#   leg %u has a stream to a group not in the conference (kg id %u)\n",
			       leg_id, os->kg->id);
			ok = false;
		}
	}
	return ok;
}

/*
 * A recvonly leg alone in its group re-negotiates: sendrecv and a new outbound key, in one
 * modification. It must end with streams to live groups only, and everything must go back
 * to zero when the legs leave.
 */
static void
mode_and_rekey(struct mxp_test_ctx *t, bool existing)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer s, l;
	peer_init(&s, 500, 510, "192.0.2.50", 5500);
	peer_init(&l, 501, 511, "192.0.2.51", 5502);
	MXP_CHECK_EQ(t, add_leg_mki(sys, c, &s, MXP_SM_SENDRECV, 1), 0);
	MXP_CHECK_EQ(t, add_leg_mki(sys, c, &l, MXP_SM_RECVONLY, 1), 0);
	struct mxp_leg_mod m = { .set_mode = true, .mode = MXP_SM_SENDRECV, .add_out_key = true,
				 .activate_out = true, .activate_mki_len = 1 };
	m.activate_mki[0] = 2;
	m.out_key.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	uint8_t k[30];
	key_fill(k, existing ? 510 : 777); /* s's group key, or a new one */
	memcpy(m.out_key.key, k, 16);
	memcpy(m.out_key.salt, k + 16, 14);
	m.out_key.mki_len = 1;
	m.out_key.mki[0] = 2;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, l.leg.id, &m, err, sizeof(err)), 0);
	MXP_CHECK(t, streams_in_live_groups(sys, l.leg.id));
	/* a new group takes the freed group's pool slot */
	struct peer x;
	peer_init(&x, 502, 512, "192.0.2.52", 5504);
	MXP_CHECK_EQ(t, add_leg_mki(sys, c, &x, MXP_SM_SENDRECV, 1), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, l.leg.id, NULL, err, sizeof(err)), 0);
	/* two senders left, s and x, in a group each: every group has a stream from each */
	struct mxp_keygroup_info kgi[8];
	int nkg = mxp_conf_keygroups(sys, c, kgi, 8);
	MXP_CHECK_EQ(t, nkg, 2);
	for (int i = 0; i < nkg && i < 8; i++)
		MXP_CHECK_EQ(t, kgi[i].streams, 2);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);
	struct mxp_conf_memory mm;
	mxp_conf_memory(sys, &mm);
	MXP_CHECK_EQ(t, mm.ostreams, 0);
	MXP_CHECK_EQ(t, mm.keys, 0);
	MXP_CHECK_EQ(t, mm.keygroups, 0);
	peer_fini(&s), peer_fini(&l), peer_fini(&x);
	mxp_conf_sys_destroy(sys);
}

MXP_TEST(unhold_and_rekey_to_new_group) { mode_and_rekey(t, false); }
MXP_TEST(unhold_and_rekey_to_existing_group) { mode_and_rekey(t, true); }


/*
 * A participant sends under a key group's key with the SSRC of one of our output streams:
 * the stream moves to a fresh SSRC on the worker. The SSRC registry (sys->ssrcs) must end
 * empty when everything is gone.
 */
MXP_TEST(ssrc_move_keeps_registry)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer s, r, x;
	peer_init(&s, 600, 610, "192.0.2.60", 5600);
	peer_init(&r, 601, 611, "192.0.2.61", 5602);
	MXP_CHECK_EQ(t, add_leg(sys, c, &s, MXP_SM_SENDRECV, false), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &r, MXP_SM_SENDRECV, false), 0);
	uint8_t plain[256];
	int plen;
	struct got g;
	send_srtp(&s, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &r, &g), 1);
	uint32_t out_ssrc = (uint32_t)g.rtp[0][8] << 24 | (uint32_t)g.rtp[0][9] << 16 |
			    (uint32_t)g.rtp[0][10] << 8 | g.rtp[0][11];
	sent_clear();
	/* x sends under r's group key (611) with that SSRC */
	peer_init(&x, 611, 612, "192.0.2.62", 5604);
	srtp_dealloc(x.tx);
	x.ssrc = out_ssrc;
	x.tx = srtp_session(x.in_key, false, x.ssrc);
	MXP_CHECK_EQ(t, add_leg(sys, c, &x, MXP_SM_SENDRECV, false), 0);
	send_srtp(&x, plain, &plen);
	mxp_conf_flush(g_w);
	sent_clear();
	send_srtp(&s, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &r, &g), 1);
	uint32_t moved = (uint32_t)g.rtp[0][8] << 24 | (uint32_t)g.rtp[0][9] << 16 |
			 (uint32_t)g.rtp[0][10] << 8 | g.rtp[0][11];
	MXP_CHECK(t, moved != out_ssrc);
	sent_clear();
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, rte_hash_count(sys->ssrcs), 0);
	peer_fini(&s), peer_fini(&r), peer_fini(&x);
	mxp_conf_sys_destroy(sys);
}


static void
rekey_moves(struct mxp_test_ctx *t, enum mxp_conf_mode mode)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	uint32_t c = new_conf(sys, mode);
	struct peer p[4];
	for (int i = 0; i < 4; i++) {
		char a[32];
		snprintf(a, sizeof(a), "192.0.2.%d", 80 + i);
		peer_init(&p[i], 700 + i, i < 2 ? 710 : 720 + i, a, (uint16_t)(5700 + 2 * i));
		MXP_CHECK_EQ(t, add_leg_mki(sys, c, &p[i], i == 3 ? MXP_SM_RECVONLY : MXP_SM_SENDRECV, 1), 0);
	}
	/* leg 3 (alone) moves to leg 2's group; leg 0 (shared) moves to a new group; leg 1 follows */
	struct { int leg; unsigned int seed; } moves[] = { { 3, 722 }, { 0, 777 }, { 1, 777 }, { 2, 710 } };
	for (unsigned int k = 0; k < RTE_DIM(moves); k++) {
		struct mxp_leg_mod m = { .add_out_key = true, .activate_out = true, .activate_mki_len = 1,
					 .remove_out = true, .remove_mki_len = 1 };
		m.activate_mki[0] = 2;
		m.remove_mki[0] = 1;
		m.out_key.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
		uint8_t kk[30];
		key_fill(kk, moves[k].seed);
		memcpy(m.out_key.key, kk, 16);
		memcpy(m.out_key.salt, kk + 16, 14);
		m.out_key.mki_len = 1;
		m.out_key.mki[0] = 2;
		int r = mxp_conf_leg_modify(sys, p[moves[k].leg].leg.id, &m, err, sizeof(err));
		if (r)
			printf("# modify: %s\n", err);
		MXP_CHECK_EQ(t, r, 0);
		/* now swap MKIs back so the next round can use 2 again */
		struct mxp_leg_mod m2 = { .add_out_key = true, .activate_out = true, .activate_mki_len = 1,
					  .remove_out = true, .remove_mki_len = 1 };
		m2.activate_mki[0] = 1; m2.remove_mki[0] = 2;
		m2.out_key = m.out_key; m2.out_key.mki[0] = 1;
		r = mxp_conf_leg_modify(sys, p[moves[k].leg].leg.id, &m2, err, sizeof(err));
		if (r)
			printf("# modify2: %s\n", err);
		MXP_CHECK_EQ(t, r, 0);
		uint8_t plain[256];
		int plen;
		for (int i = 0; i < 4; i++)
			send_srtp(&p[i], plain, &plen);
		mxp_conf_flush(g_w);
		for (int q = 0; q < 50; q++)
			mxp_conf_worker_poll(g_w);
		sent_clear();
		/* the move happened: the leg is in the group of whoever holds its new key */
		uint32_t kg[4];
		for (int i = 0; i < 4; i++) {
			struct mxp_leg_info li;
			MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, p[i].leg.id, &li), 0);
			kg[i] = li.keygroup_id;
			if (mode == MXP_CONF_SWITCH)
				MXP_CHECK(t, streams_in_live_groups(sys, p[i].leg.id));
		}
		if (k == 0) /* leg 3 took leg 2's key */
			MXP_CHECK_EQ(t, kg[3], kg[2]);
		if (k == 1) /* leg 0 left legs 0-1's group for a key nobody had */
			MXP_CHECK(t, kg[0] != kg[1] && kg[0] != kg[2]);
		if (k == 2) /* leg 1 followed it */
			MXP_CHECK_EQ(t, kg[1], kg[0]);
		if (k == 3) /* leg 2 took the key legs 0-1 had: their old group is gone, a new one */
			MXP_CHECK(t, kg[2] != kg[3] && kg[2] != kg[0]);
	}
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);
	struct mxp_conf_memory mm;
	mxp_conf_memory(sys, &mm);
	MXP_CHECK_EQ(t, mm.ostreams, 0);
	MXP_CHECK_EQ(t, mm.keys, 0);
	MXP_CHECK_EQ(t, mm.keygroups, 0);
	MXP_CHECK_EQ(t, mm.rcv_bytes, 0);
	MXP_CHECK_EQ(t, mm.total_bytes, 0);
	MXP_CHECK_EQ(t, rte_hash_count(sys->ssrcs), 0);
	for (int i = 0; i < 4; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}
MXP_TEST(rekey_moves_switch) { rekey_moves(t, MXP_CONF_SWITCH); }
MXP_TEST(rekey_moves_mix) { rekey_moves(t, MXP_CONF_MIX); }

/* A participant's next 20 ms PCMU packet (a loud 440 Hz tone, or near silence),
 * SRTP-protected by its libsrtp2 session, into buf; returns its length. */
static int
pcmu_srtp(struct peer *pr, bool loud, uint8_t buf[256 + SRTP_MAX_TRAILER_LEN])
{
	buf[0] = 0x80;
	buf[1] = 0;
	mxp_be_wr16(buf + 2, pr->seq);
	mxp_be_wr32(buf + 4, pr->ts);
	mxp_be_wr32(buf + 8, pr->ssrc);
	for (int i = 0; i < 160; i++) {
		double x = loud ? 12000.0 * __builtin_sin(2 * 3.14159265 * 440.0 * (pr->ts + i) / 8000.0)
				: (double)((i * 7) % 5 - 2);
		buf[12 + i] = mxp_media_ulaw_enc1((int16_t)x);
	}
	int len = 12 + 160;
	pr->seq++;
	pr->ts += 160;
	if (srtp_protect(pr->tx, buf, &len) != srtp_err_status_ok)
		abort();
	return len;
}

static void
send_pcmu(struct peer *pr, bool loud)
{
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	int len = pcmu_srtp(pr, loud, buf);
	tu_deliver(tu_frame(pool, &pr->leg, &pr->addr, pr->port, buf, (uint16_t)len));
}

/*
 * A talker's private mix-minus-self is its own RTP stream: each talkspurt starts with the
 * marker bit, sequence numbers run on without a gap across talkspurts, and the timestamp
 * follows real time across the silence between them (packets checked after libsrtp2
 * decrypted them with the key the participant holds).
 */
MXP_TEST(mix_private_stream_talkspurts)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b;
	peer_init(&a, 800, 810, "192.0.2.90", 5800);
	peer_init(&b, 801, 811, "192.0.2.91", 5802);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, false), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, false), 0);
	struct rx { uint32_t ssrc, ts; uint16_t seq; bool marker; } got[400];
	unsigned int ngot = 0;
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	/* a talks 0.5 s, is silent 1.5 s (beyond the talker hangover), talks again 0.5 s */
	for (unsigned int k = 0; k < 125;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			send_pcmu(&a, k < 25 || k >= 100);
			send_pcmu(&b, false);
			k++;
		}
		mxp_conf_worker_poll(g_w);
		for (unsigned int i = 0; i < nsent; i++) {
			uint8_t f[512];
			uint32_t flen = rte_pktmbuf_pkt_len(sent[i].m);
			const uint8_t *fp = rte_pktmbuf_read(sent[i].m, 0, flen, f);
			struct mxp_pkt_meta meta;
			if (fp && mxp_pkt_parse(fp, flen, 0, &meta) == MXP_PKT_UDP &&
			    meta.dport == a.port && ngot < RTE_DIM(got)) {
				uint8_t buf[512];
				int len = (int)meta.l4_payload_len;
				memcpy(buf, fp + meta.l2_len + meta.l3_len + 8, (size_t)len);
				MXP_CHECK(t, srtp_unprotect(a.rx, buf, &len) == srtp_err_status_ok);
				got[ngot++] = (struct rx){ mxp_be_rd32(buf + 8), mxp_be_rd32(buf + 4),
							   mxp_be_rd16(buf + 2), (buf[1] & 0x80) != 0 };
			}
		}
		sent_clear();
	}
	/* the private stream is the one a heard first (it talked first) */
	MXP_CHECK(t, ngot > 40);
	uint32_t priv = ngot ? got[0].ssrc : 0;
	unsigned int runs = 0, n = 0;
	const struct rx *prev = NULL;
	for (unsigned int i = 0; i < ngot; i++) {
		if (got[i].ssrc != priv)
			continue; /* the shared mix (b is silent: none is expected) */
		n++;
		/* within a talkspurt the timestamp moves by a frame, or by a few when a late
		 * mix tick (a loaded machine: this test runs in real time) skipped their time;
		 * a talkspurt starts after the 1.5 s of silence, far more than any such skip */
		if (prev == NULL || (uint32_t)(got[i].ts - prev->ts) > 160 * 20) {
			/* a talkspurt starts: marked, the sequence runs on, the timestamp moved with
			 * the time that passed (a multiple of the frame, more than the silence) */
			runs++;
			MXP_CHECK(t, got[i].marker);
			if (prev != NULL) {
				uint32_t dts = got[i].ts - prev->ts;
				MXP_CHECK_EQ(t, dts % 160, 0);
				MXP_CHECK(t, dts >= 160 * 40 && dts <= 160 * 100);
				MXP_CHECK_EQ(t, (uint16_t)(got[i].seq - prev->seq), 1);
			}
		} else {
			MXP_CHECK(t, !got[i].marker);
			MXP_CHECK_EQ(t, (uint16_t)(got[i].seq - prev->seq), 1);
			MXP_CHECK(t, got[i].ts != prev->ts && (got[i].ts - prev->ts) % 160 == 0);
		}
		prev = &got[i];
	}
	MXP_CHECK_EQ(t, runs, 2);
	MXP_CHECK(t, n >= 40);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}


/*
 * A mix leg's packets in mbufs attached to external buffers (as mlx5's multi-packet
 * receive queues deliver them): the data is far from the mbuf, beyond the 64 KB the jitter
 * buffer can reach from it (lib/media keeps payload - ref in 16 bits). Each packet goes on
 * in a copy: every one is accepted, the other participant hears it (loud, after libsrtp2
 * decrypted the mix), the worker counts the copies, and every external buffer is released
 * at once (its free callback ran). A packet too big for one of the pool's mbufs is dropped,
 * counted as l2_segmented (the leg reads a payload whole).
 */
enum { EXT_N = 60, EXT_SLOT = 4096 };
static unsigned int ext_freed;
static struct rte_mbuf_ext_shared_info ext_sh[EXT_N + 1];

static void
ext_free_cb(void *addr, void *opaque)
{
	(void)addr;
	(void)opaque;
	ext_freed++;
}

/* The peer's frame carrying rtp, built in external buffer k of area and attached to a
 * fresh mbuf; *far: whether its data is beyond a slot's reach of the mbuf. */
static struct rte_mbuf *
ext_frame(uint8_t *area, unsigned int k, const struct peer *pr, const uint8_t *rtp,
	  uint16_t rtplen, bool *far)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	if (m == NULL)
		abort();
	uint8_t *x = area + (1u << 20) + (size_t)k * EXT_SLOT;
	struct mxp_pkt_udp_addr a = { .src_mac = peer_mac, .dst_mac = our_mac, .src = pr->addr,
				      .dst = pr->leg.local, .sport = pr->port,
				      .dport = pr->leg.local_port };
	uint16_t hl = mxp_pkt_udp_hdr_len(pr->addr.af);
	memcpy(x + hl, rtp, rtplen);
	mxp_pkt_build_udp(x, &a, rtplen, mxp_pkt_payload_sum(rtp, rtplen));
	ext_sh[k].free_cb = ext_free_cb;
	ext_sh[k].fcb_opaque = NULL;
	rte_mbuf_ext_refcnt_set(&ext_sh[k], 1);
	rte_pktmbuf_attach_extbuf(m, x, (rte_iova_t)(uintptr_t)x, EXT_SLOT, &ext_sh[k]);
	m->data_off = 0;
	m->data_len = (uint16_t)(hl + rtplen);
	m->pkt_len = m->data_len;
	*far = (uintptr_t)x < (uintptr_t)m || (uintptr_t)x - (uintptr_t)m > 65535;
	return m;
}

MXP_TEST(mix_leg_takes_external_buffer_mbufs)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b;
	peer_init(&a, 820, 830, "192.0.2.92", 5804);
	peer_init(&b, 821, 831, "192.0.2.93", 5806);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, false), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, false), 0);
	/* the external buffers: one area, a slot per packet, 1 MB past its start so that no
	 * slot is within 64 KB after an mbuf of the pool (checked, packet by packet) */
	uint8_t *area = malloc((1u << 20) + (EXT_N + 1) * EXT_SLOT);
	if (area == NULL)
		abort();
	struct mxp_conf_worker_stats w0, w1;
	MXP_CHECK_EQ(t, mxp_conf_worker_stats(sys, 0, &w0), 0);
	ext_freed = 0;
	unsigned int far = 0, loud = 0, heard = 0;
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	for (unsigned int k = 0; k < EXT_N;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
			int len = pcmu_srtp(&a, true, buf);
			bool f;
			tu_deliver(ext_frame(area, k, &a, buf, (uint16_t)len, &f));
			far += f;
			send_pcmu(&b, false);
			k++;
		}
		mxp_conf_worker_poll(g_w);
		for (unsigned int i = 0; i < nsent; i++) {
			uint8_t fb[512];
			uint32_t flen = rte_pktmbuf_pkt_len(sent[i].m);
			const uint8_t *fp = rte_pktmbuf_read(sent[i].m, 0, flen, fb);
			struct mxp_pkt_meta meta;
			if (fp == NULL || mxp_pkt_parse(fp, flen, 0, &meta) != MXP_PKT_UDP ||
			    meta.dport != b.port)
				continue;
			uint8_t pb[512];
			int len = (int)meta.l4_payload_len;
			memcpy(pb, fp + meta.l2_len + meta.l3_len + 8, (size_t)len);
			if (!MXP_CHECK(t, srtp_unprotect(b.rx, pb, &len) == srtp_err_status_ok))
				continue;
			heard++;
			int peak = 0;
			for (int i2 = 12; i2 < len; i2++) {
				int v = abs(mxp_media_ulaw_dec1(pb[i2]));
				peak = v > peak ? v : peak;
			}
			loud += peak > 3000;
		}
		sent_clear();
	}
	struct mxp_leg_info li;
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, a.leg.id, &li), 0);
	MXP_CHECK_EQ(t, mxp_conf_worker_stats(sys, 0, &w1), 0);
	printf("# %u of %u packets far from their mbuf; leg a accepted %llu, dropped %llu; "
	       "%llu copies; b heard %u mixed packets, %u loud; %u external buffers freed\n",
	       far, EXT_N, (unsigned long long)li.st.rx_pkts,
	       (unsigned long long)li.st.other_drops,
	       (unsigned long long)(w1.mix_copies - w0.mix_copies), heard, loud, ext_freed);
	MXP_CHECK_EQ(t, far, EXT_N);
	MXP_CHECK_EQ(t, li.st.rx_pkts, EXT_N);
	MXP_CHECK_EQ(t, li.st.other_drops, 0);
	MXP_CHECK_EQ(t, w1.mix_copies - w0.mix_copies, EXT_N);
	MXP_CHECK_EQ(t, ext_freed, EXT_N);
	MXP_CHECK(t, loud >= EXT_N / 2);

	/* a 2,500-byte payload: more than one mbuf of the pool holds */
	static uint8_t big[2600 + SRTP_MAX_TRAILER_LEN];
	big[0] = 0x80;
	big[1] = 0;
	mxp_be_wr16(big + 2, a.seq++);
	mxp_be_wr32(big + 4, a.ts);
	mxp_be_wr32(big + 8, a.ssrc);
	memset(big + 12, 0x55, 2500);
	a.ts += 2500;
	int blen = 12 + 2500;
	if (srtp_protect(a.tx, big, &blen) != srtp_err_status_ok)
		abort();
	uint64_t seg0 = g_w->drops[MXP_DROP_L2_SEGMENTED];
	bool f;
	tu_deliver(ext_frame(area, EXT_N, &a, big, (uint16_t)blen, &f));
	mxp_conf_worker_poll(g_w);
	sent_clear();
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, a.leg.id, &li), 0);
	MXP_CHECK(t, f);
	MXP_CHECK_EQ(t, g_w->drops[MXP_DROP_L2_SEGMENTED] - seg0, 1);
	MXP_CHECK_EQ(t, li.st.other_drops, 1);
	MXP_CHECK_EQ(t, li.st.drops[MXP_LEG_DROP_TOO_LARGE], 1); /* the leg's reason for it */
	MXP_CHECK_EQ(t, li.st.rx_pkts, EXT_N);
	MXP_CHECK_EQ(t, ext_freed, EXT_N + 1);
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
	free(area);
}

/* Leg adds that fail (the event payload type is the codec's) say why with -EINVAL and
 * leave no frame-format slot behind: a fifth format still fits afterwards. */
MXP_TEST(failed_frame_leg_adds_keep_no_format_slot)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	uint32_t cm = new_conf(sys, MXP_CONF_MIX);
	struct peer p[8];
	for (int i = 0; i < 8; i++) {
		char a[32];
		snprintf(a, sizeof(a), "192.0.2.%d", 150 + i);
		peer_init(&p[i], 500 + i, 600 + i, a, (uint16_t)(7400 + 2 * i));
	}
	struct mxp_conf_memory m0, m;
	mxp_conf_memory(sys, &m0);
	for (int i = 0; i < 4; i++) {
		char spec[64];
		snprintf(spec, sizeof(spec), "%d:opus/48000:", 100 + i);
		const char *l[] = { spec };
		g_event_pt = (int16_t)(100 + i);
		int r = add_codec_leg(sys, cm, &p[i], l, 1, err, sizeof(err));
		MXP_CHECK_EQ(t, r, -EINVAL);
		MXP_CHECK(t, strstr(err, "event") != NULL);
	}
	g_event_pt = 0;
	mxp_conf_memory(sys, &m);
	MXP_CHECK_EQ(t, m.media_bytes, m0.media_bytes);
	MXP_CHECK_EQ(t, m.mixer_bytes, m0.mixer_bytes);
	static const char *const ok[] = {"96:AMR-WB/16000:"};
	MXP_CHECK_EQ(t, add_codec_leg(sys, cm, &p[5], ok, 1, err, sizeof(err)), 0);
	mxp_conf_destroy(sys, cm, err, sizeof(err));
	for (int i = 0; i < 8; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
}

/* One PCMU talker, two AMR listeners in two key groups, the talker pausing (the AMR
 * encoder's DTX sends nothing): both groups' shared-mix streams keep the same timeline
 * (the timestamps run on through DTX for every group, not only the first). */
MXP_TEST(dtx_shared_mix_timestamps_in_every_group)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b, d;
	peer_init(&a, 900, 910, "192.0.2.95", 5900);
	peer_init(&b, 901, 911, "192.0.2.96", 5902);
	peer_init(&d, 902, 912, "192.0.2.97", 5904);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, false), 0);
	static const char *const amr[] = {"98:AMR/8000:"};
	MXP_CHECK_EQ(t, add_codec_leg(sys, c, &b, amr, 1, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, add_codec_leg(sys, c, &d, amr, 1, err, sizeof(err)), 0);
	struct rx { uint32_t ssrc, ts; uint16_t seq; bool marker; int len; } got[2][600];
	unsigned int ngot[2] = {0, 0};
	struct peer *ls[2] = {&b, &d};
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	for (unsigned int k = 0; k < 150;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			send_pcmu(&a, k < 25 || (k >= 60 && k < 70) || k >= 120);
			k++;
		}
		mxp_conf_worker_poll(g_w);
		for (unsigned int i = 0; i < nsent; i++) {
			uint8_t f[1600];
			uint32_t flen = rte_pktmbuf_pkt_len(sent[i].m);
			const uint8_t *fp = rte_pktmbuf_read(sent[i].m, 0, flen, f);
			struct mxp_pkt_meta meta;
			if (fp == NULL || mxp_pkt_parse(fp, flen, 0, &meta) != MXP_PKT_UDP)
				continue;
			for (int j = 0; j < 2; j++)
				if (meta.dport == ls[j]->port && ngot[j] < 600) {
					uint8_t buf[1600];
					int len = (int)meta.l4_payload_len;
					memcpy(buf, fp + meta.l2_len + meta.l3_len + 8, (size_t)len);
					if (srtp_unprotect(ls[j]->rx, buf, &len) != srtp_err_status_ok)
						continue;
					got[j][ngot[j]++] = (struct rx){ mxp_be_rd32(buf + 8), mxp_be_rd32(buf + 4),
						mxp_be_rd16(buf + 2), (buf[1] & 0x80) != 0, len - 12 };
				}
		}
		sent_clear();
	}
	for (int j = 0; j < 2; j++)
		printf("#   listener %d: %u packets, timestamps over %u units\n", j, ngot[j],
		       ngot[j] ? got[j][ngot[j] - 1].ts - got[j][0].ts : 0);
	MXP_CHECK(t, ngot[0] > 50);
	MXP_CHECK_EQ(t, ngot[0], ngot[1]);
	/* a speech packet after a DTX gap (its previous packet a silence descriptor, a few
	 * bytes) starts a talkspurt: the marker bit. A speech packet after speech is not a
	 * talkspurt even if its timestamp moved by more than a frame: on a loaded machine
	 * (this test runs in real time) a late mix tick skips a frame's time. */
	unsigned int spurts = 0;
	for (int j = 0; j < 2; j++)
		for (unsigned int i = 1; i < ngot[j]; i++)
			if (got[j][i].ts - got[j][i - 1].ts > 160 && got[j][i].len > 12 &&
			    got[j][i - 1].len <= 12) {
				MXP_CHECK(t, got[j][i].marker);
				spurts++;
			}
	MXP_CHECK(t, spurts >= 2);
	if (ngot[0] && ngot[1])
		MXP_CHECK_EQ(t, got[0][ngot[0] - 1].ts - got[0][0].ts, got[1][ngot[1] - 1].ts - got[1][0].ts);
	peer_fini(&a), peer_fini(&b), peer_fini(&d);
	mxp_conf_sys_destroy(sys);
}

/* Leg parameters' codec fields from "pt:codec/clock:fmtp" entries (add_codec_leg's). */
static int
codec_fields(struct mxp_leg_params *lp, const char *const *pts, unsigned int n, char *err,
	     size_t errlen)
{
	lp->n_pt = lp->n_codecs = 0;
	for (unsigned int i = 0; i < n; i++) {
		unsigned int pt, clock;
		char name[32], fmtp[64] = "";
		if (sscanf(pts[i], "%u:%31[^/]/%u:%63[^\n]", &pt, name, &clock, fmtp) < 3)
			return -EINVAL;
		lp->pt[lp->n_pt++] = (uint8_t)pt;
		enum mxp_media_codec c = mxp_media_codec_from_name(name, clock);
		if (!mxp_media_codec_is_frame(c))
			continue;
		struct mxp_leg_codec *lc = &lp->codecs[lp->n_codecs++];
		lc->pt = (uint8_t)pt;
		lc->codec = (uint8_t)c;
		if (mxp_media_fmtp_parse(c, fmtp, &lc->fmtp, err, errlen) != 0)
			return -EINVAL;
	}
	return 0;
}

static int
set_codecs(struct mxp_conf_sys *sys, uint32_t leg, const char *const *pts, unsigned int n,
	   char *err, size_t errlen)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	if (codec_fields(&lp, pts, n, err, errlen) != 0)
		return -EINVAL;
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	mxp_leg_mod_set_codecs(&m, &lp);
	err[0] = '\0';
	return mxp_conf_leg_modify(sys, leg, &m, err, errlen);
}

/* What a listener got in a time window: packets per payload type, their SSRCs. */
struct heard {
	unsigned int pcmu, amr, other, amr_ok;
	uint32_t pcmu_ssrc, amr_ssrc;
};

/* Run the mixer for n packet times, a talking (and b sending silence in PCMU), and sort
 * what b hears; b's AMR payloads are checked with lib/media's AMR table-of-contents
 * reader (a 20 ms payload). */
static void
talk_and_listen(struct peer *a, struct peer *b, unsigned int n, struct heard *h)
{
	memset(h, 0, sizeof(*h));
	const struct mxp_media_codec_ops *amr = mxp_media_codec_ops(MXP_MEDIA_CODEC_AMR);
	struct mxp_media_fmtp f;
	char e[64];
	mxp_media_fmtp_parse(MXP_MEDIA_CODEC_AMR, "", &f, e, sizeof(e));
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc();
	sent_clear();
	for (unsigned int k = 0; k < n;) {
		if (rte_rdtsc() >= t0 + (uint64_t)k * hz / 50) {
			send_pcmu(a, true);
			send_pcmu(b, false);
			k++;
		}
		mxp_conf_worker_poll(g_w);
		for (unsigned int i = 0; i < nsent; i++) {
			uint8_t fr[1600];
			uint32_t flen = rte_pktmbuf_pkt_len(sent[i].m);
			const uint8_t *fp = rte_pktmbuf_read(sent[i].m, 0, flen, fr);
			struct mxp_pkt_meta meta;
			if (fp == NULL || mxp_pkt_parse(fp, flen, 0, &meta) != MXP_PKT_UDP ||
			    meta.dport != b->port)
				continue;
			uint8_t buf[1600];
			int len = (int)meta.l4_payload_len;
			memcpy(buf, fp + meta.l2_len + meta.l3_len + 8, (size_t)len);
			if (srtp_unprotect(b->rx, buf, &len) != srtp_err_status_ok || len <= 12)
				continue;
			uint8_t pt = buf[1] & 0x7f;
			if (pt == 0) {
				h->pcmu++;
				h->pcmu_ssrc = mxp_be_rd32(buf + 8);
			} else if (pt == 98) {
				h->amr++;
				h->amr_ssrc = mxp_be_rd32(buf + 8);
				h->amr_ok += amr->duration(&f, buf + 12, (unsigned int)len - 12) == 160;
			} else {
				h->other++;
			}
		}
		sent_clear();
	}
}

/*
 * A re-INVITE changes a participant's codec: mxp_conf_leg_modify(set_codecs). In a mix
 * conference the listener moves from PCMU to AMR (payload type 98, a new stream) and
 * back; its old payload type is refused once it is no longer listed; the same
 * description again changes nothing; a bad one is refused and changes nothing; the
 * decoders and encoders of a replaced media leg are freed (memory back to where it was).
 * In a switch conference the accepted payload types follow.
 */
MXP_TEST(codec_change_by_modify)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	struct mxp_conf_memory m0, m;
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m0), 0);
	uint32_t c = new_conf(sys, MXP_CONF_MIX);
	struct peer a, b;
	peer_init(&a, 920, 930, "192.0.2.110", 6100);
	peer_init(&b, 921, 931, "192.0.2.111", 6102);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, false), 0);
	static const char *const pcmu[] = {"0:PCMU/8000"};
	static const char *const amr[] = {"98:AMR/8000:"};
	MXP_CHECK_EQ(t, add_codec_leg(sys, c, &b, pcmu, 1, err, sizeof(err)), 0);
	struct mxp_leg_info li0, li;
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li0), 0);
	MXP_CHECK_EQ(t, li0.codec, MXP_MEDIA_CODEC_PCMU);
	MXP_CHECK_EQ(t, li0.codec_changes, 0);
	struct heard h;
	talk_and_listen(&a, &b, 25, &h);
	printf("#   PCMU: %u PCMU packets, %u AMR, %u other\n", h.pcmu, h.amr, h.other);
	MXP_CHECK(t, h.pcmu > 15);
	MXP_CHECK_EQ(t, h.amr, 0);
	uint32_t pcmu_ssrc = h.pcmu_ssrc;

	/* to AMR */
	MXP_CHECK_EQ(t, set_codecs(sys, b.leg.id, amr, 1, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), 0);
	MXP_CHECK_EQ(t, li.codec, MXP_MEDIA_CODEC_AMR);
	MXP_CHECK_EQ(t, li.codec_pt, 98);
	MXP_CHECK_EQ(t, li.codec_changes, 1);
	MXP_CHECK(t, li.codecs_sig != li0.codecs_sig);
	uint64_t unknown0 = li.st.drops[MXP_LEG_DROP_UNKNOWN_PT];
	talk_and_listen(&a, &b, 40, &h);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), 0);
	printf("#   AMR: %u PCMU packets, %u AMR (%u of 20 ms), %u other; %" PRIu64
	       " PCMU packets of its own refused\n", h.pcmu, h.amr, h.amr_ok, h.other,
	       li.st.drops[MXP_LEG_DROP_UNKNOWN_PT] - unknown0);
	MXP_CHECK_EQ(t, h.pcmu, 0);
	MXP_CHECK(t, h.amr > 25);
	MXP_CHECK_EQ(t, h.amr_ok, h.amr);
	MXP_CHECK(t, h.amr_ssrc != pcmu_ssrc);
	/* b's own PCMU is no longer one of its payload types */
	MXP_CHECK(t, li.st.drops[MXP_LEG_DROP_UNKNOWN_PT] - unknown0 >= 35);
	/* its statistics carried on across the change */
	MXP_CHECK(t, li.st.rx_pkts >= li0.st.rx_pkts);

	/* the same description: nothing changes */
	MXP_CHECK_EQ(t, set_codecs(sys, b.leg.id, amr, 1, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), 0);
	MXP_CHECK_EQ(t, li.codec_changes, 1);
	/* a bad one (a codec's payload type that is not in the list): refused, unchanged */
	{
		struct mxp_leg_params lp;
		memset(&lp, 0, sizeof(lp));
		MXP_CHECK_EQ(t, codec_fields(&lp, amr, 1, err, sizeof(err)), 0);
		lp.pt[0] = 97;
		struct mxp_leg_mod md;
		memset(&md, 0, sizeof(md));
		mxp_leg_mod_set_codecs(&md, &lp);
		MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, b.leg.id, &md, err, sizeof(err)), -EINVAL);
		MXP_CHECK(t, strstr(err, "payload type 98") != NULL);
		/* none the mixer decodes: refused by the media leg's checks */
		static const char *const cn_only[] = {"13:CN/8000"};
		MXP_CHECK_EQ(t, set_codecs(sys, b.leg.id, cn_only, 1, err, sizeof(err)), -EINVAL);
		MXP_CHECK(t, strstr(err, "no payload type the mixer decodes") != NULL);
		MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), 0);
		MXP_CHECK_EQ(t, li.codec, MXP_MEDIA_CODEC_AMR);
		MXP_CHECK_EQ(t, li.codec_changes, 1);
	}
	/* and back to PCMU */
	MXP_CHECK_EQ(t, set_codecs(sys, b.leg.id, pcmu, 1, err, sizeof(err)), 0);
	talk_and_listen(&a, &b, 25, &h);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), 0);
	MXP_CHECK_EQ(t, li.codec, MXP_MEDIA_CODEC_PCMU);
	MXP_CHECK_EQ(t, li.codec_changes, 2);
	MXP_CHECK(t, h.pcmu > 15);
	MXP_CHECK_EQ(t, h.amr, 0);
	/* CN added: still PCMU, the same format: the streams it hears are kept (same SSRC) */
	pcmu_ssrc = h.pcmu_ssrc;
	static const char *const pcmu_cn[] = {"0:PCMU/8000", "13:CN/8000"};
	MXP_CHECK_EQ(t, set_codecs(sys, b.leg.id, pcmu_cn, 2, err, sizeof(err)), 0);
	talk_and_listen(&a, &b, 25, &h);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), 0);
	MXP_CHECK_EQ(t, li.codec_changes, 3);
	MXP_CHECK(t, li.cn_listed);
	MXP_CHECK(t, h.pcmu > 15);
	MXP_CHECK_EQ(t, h.pcmu_ssrc, pcmu_ssrc);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, b.leg.id, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_memory(sys, &m), 0);
	MXP_CHECK_EQ(t, m.media_bytes, m0.media_bytes);
	MXP_CHECK_EQ(t, m.mixer_bytes, m0.mixer_bytes);
	MXP_CHECK_EQ(t, m.total_bytes, m0.total_bytes);

	/* switch: the payload types accepted follow */
	uint32_t s = new_conf(sys, MXP_CONF_SWITCH);
	MXP_CHECK_EQ(t, add_codec_leg(sys, s, &b, pcmu, 1, err, sizeof(err)), 0);
	static const char *const pcma[] = {"8:PCMA/8000"};
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li0), 0);
	send_pcmu(&b, true);
	mxp_conf_worker_poll(g_w);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), 0);
	MXP_CHECK_EQ(t, li.st.drops[MXP_LEG_DROP_UNKNOWN_PT], li0.st.drops[MXP_LEG_DROP_UNKNOWN_PT]);
	MXP_CHECK_EQ(t, set_codecs(sys, b.leg.id, pcma, 1, err, sizeof(err)), 0);
	send_pcmu(&b, true);
	mxp_conf_worker_poll(g_w);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, b.leg.id, &li), 0);
	MXP_CHECK_EQ(t, li.st.drops[MXP_LEG_DROP_UNKNOWN_PT],
		     li0.st.drops[MXP_LEG_DROP_UNKNOWN_PT] + 1);
	MXP_CHECK_EQ(t, li.codec_changes, 1);
	sent_clear();
	mxp_conf_destroy(sys, s, err, sizeof(err));
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);
}

/* ---- every refused packet is counted, per leg and reason ---------------------------------- */

static uint64_t
leg_refused(struct mxp_conf_sys *sys, uint32_t leg, uint64_t by[MXP_LEG_DROP_COUNT])
{
	struct mxp_leg_info li;
	uint64_t n = 0;
	memset(by, 0, sizeof(uint64_t) * MXP_LEG_DROP_COUNT);
	if (mxp_conf_leg_get(sys, leg, &li) != 0)
		return 0;
	for (int k = 0; k < MXP_LEG_DROP_COUNT; k++) {
		by[k] = li.st.drops[k];
		n += li.st.drops[k];
	}
	return n;
}

/* Deliver a frame, flush, and check it moved exactly the leg's counter for reason r. */
static void
refused_once(struct mxp_test_ctx *t, struct mxp_conf_sys *sys, uint32_t leg, struct rte_mbuf *m,
	     enum mxp_leg_drop r, const char *what)
{
	uint64_t b0[MXP_LEG_DROP_COUNT], b1[MXP_LEG_DROP_COUNT];
	uint64_t n0 = leg_refused(sys, leg, b0);
	tu_deliver(m);
	mxp_conf_flush(g_w);
	uint64_t n1 = leg_refused(sys, leg, b1);
	if (!MXP_CHECK(t, b1[r] == b0[r] + 1 && n1 == n0 + 1))
		printf("#   %s: expected one %s, got %llu more in all\n", what, mxp_leg_drop_name(r),
		       (unsigned long long)(n1 - n0));
}

/* A plain RTP packet (header + payload of len bytes) from a peer; bad_pad: its padding
 * count runs past the payload. */
static struct rte_mbuf *
plain_frame_x(struct peer *pr, uint8_t pt, uint16_t seq, uint32_t ts, unsigned int len,
	      bool bad_pad)
{
	static uint8_t buf[1600];
	buf[0] = bad_pad ? 0xa0 : 0x80;
	buf[1] = pt;
	mxp_be_wr16(buf + 2, seq);
	mxp_be_wr32(buf + 4, ts);
	mxp_be_wr32(buf + 8, pr->ssrc);
	memset(buf + 12, 0xff, len);
	if (bad_pad && len > 0)
		buf[12 + len - 1] = 200;
	return tu_frame(pool, &pr->leg, &pr->addr, pr->port, buf, (uint16_t)(12 + len));
}

static struct rte_mbuf *
plain_frame(struct peer *pr, uint8_t pt, uint16_t seq, uint32_t ts, unsigned int len)
{
	return plain_frame_x(pr, pt, seq, ts, len, false);
}

MXP_TEST(every_refused_packet_counted_per_leg)
{
	/* names and descriptions of every reason */
	for (int k = 0; k < MXP_LEG_DROP_COUNT; k++)
		MXP_CHECK(t, strlen(mxp_leg_drop_name((enum mxp_leg_drop)k)) > 2 &&
				     strlen(mxp_leg_drop_desc((enum mxp_leg_drop)k)) > 10);

	/* switch, SRTP: the header checks, SRTP, source, payload type, stream mode */
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b, r;
	peer_init(&a, 120, 130, "192.0.2.170", 9200);
	peer_init(&b, 121, 131, "192.0.2.171", 9202);
	peer_init(&r, 122, 132, "192.0.2.172", 9204);
	add_leg(sys, c, &a, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &b, MXP_SM_SENDRECV, false);
	add_leg(sys, c, &r, MXP_SM_RECVONLY, false);
	static const struct {
		const char *hex;
		enum mxp_leg_drop d;
	} rows[] = {
		{ "8000", MXP_LEG_DROP_RTP_MALFORMED },
		{ "40000001 00000001 00001064 aabbccdd", MXP_LEG_DROP_RTP_MALFORMED },
		{ "8f000001 00000001 00001064 aabbccdd", MXP_LEG_DROP_RTP_MALFORMED },
		{ "90000001 00000001 00001064 bede0009 aabbccdd", MXP_LEG_DROP_RTP_MALFORMED },
		{ "80000001 00000001 00001064 aabbccddeeff00112233445566778899", MXP_LEG_DROP_SRTP_AUTH },
		{ "80000001 00000001", MXP_LEG_DROP_RTP_MALFORMED },
	};
	for (size_t i = 0; i < RTE_DIM(rows); i++) {
		uint8_t p[64];
		int n = mxp_test_hex(rows[i].hex, p, sizeof(p));
		refused_once(t, sys, a.leg.id, tu_frame(pool, &a.leg, &a.addr, a.port, p, (uint16_t)n),
			     rows[i].d, rows[i].hex);
	}
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	int len;
	/* padding past the payload, seen after decryption */
	rtp_packet(&a, buf, &len);
	buf[0] |= 0x20;
	buf[len - 1] = 200;
	srtp_protect(a.tx, buf, &len);
	refused_once(t, sys, a.leg.id, tu_frame(pool, &a.leg, &a.addr, a.port, buf, (uint16_t)len),
		     MXP_LEG_DROP_RTP_MALFORMED, "padding");
	/* a good packet, then the same one again: a replay */
	rtp_packet(&a, buf, &len);
	srtp_protect(a.tx, buf, &len);
	tu_deliver(tu_frame(pool, &a.leg, &a.addr, a.port, buf, (uint16_t)len));
	mxp_conf_flush(g_w);
	refused_once(t, sys, a.leg.id, tu_frame(pool, &a.leg, &a.addr, a.port, buf, (uint16_t)len),
		     MXP_LEG_DROP_SRTP_REPLAY, "replay");
	/* a bad tag from another address: no latch, a source mismatch */
	rtp_packet(&a, buf, &len);
	srtp_protect(a.tx, buf, &len);
	buf[len - 1] ^= 0x80;
	struct mxp_ip evil = ip("203.0.113.67");
	refused_once(t, sys, a.leg.id, tu_frame(pool, &a.leg, &evil, 4445, buf, (uint16_t)len),
		     MXP_LEG_DROP_SOURCE_MISMATCH, "wrong source");
	/* media from a recvonly leg */
	rtp_packet(&r, buf, &len);
	srtp_protect(r.tx, buf, &len);
	refused_once(t, sys, r.leg.id, tu_frame(pool, &r.leg, &r.addr, r.port, buf, (uint16_t)len),
		     MXP_LEG_DROP_NOT_SENDING, "recvonly");
	/* another SSRC under the leg's key */
	srtp_dealloc(a.tx);
	a.ssrc ^= 0xffff;
	a.tx = srtp_session(a.in_key, false, a.ssrc);
	rtp_packet(&a, buf, &len);
	srtp_protect(a.tx, buf, &len);
	refused_once(t, sys, a.leg.id, tu_frame(pool, &a.leg, &a.addr, a.port, buf, (uint16_t)len),
		     MXP_LEG_DROP_SRTP_SSRC, "other SSRC");
	/* a payload type the leg did not offer */
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	struct peer q;
	peer_init(&q, 123, 133, "192.0.2.173", 9206);
	lp.af = AF_INET;
	lp.remote_known = true;
	lp.remote = q.addr;
	lp.remote_port = q.port;
	lp.n_pt = 1;
	lp.pt[0] = 8;
	conf_key(&lp.in, q.in_key);
	conf_key(&lp.out, q.out_key);
	char err[256] = "";
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, &q.leg, err, sizeof(err)), 0);
	rtp_packet(&q, buf, &len); /* PT 0 */
	srtp_protect(q.tx, buf, &len);
	refused_once(t, sys, q.leg.id, tu_frame(pool, &q.leg, &q.addr, q.port, buf, (uint16_t)len),
		     MXP_LEG_DROP_UNKNOWN_PT, "PT 0 to a PT 8 leg");
	sent_clear();
	peer_fini(&a), peer_fini(&b), peer_fini(&r), peer_fini(&q);
	mxp_conf_sys_destroy(sys);

	/* mix, plain RTP (no SRTP replay check before the jitter buffer): its refusals */
	sys = sys_new();
	c = new_conf(sys, MXP_CONF_MIX);
	struct peer m;
	peer_init(&m, 124, 134, "192.0.2.174", 9208);
	memset(&lp, 0, sizeof(lp));
	lp.af = AF_INET;
	lp.remote_known = true;
	lp.remote = m.addr;
	lp.remote_port = m.port;
	lp.plain = true;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(sys, c, &lp, &m.leg, err, sizeof(err)), 0);
	uint32_t lg = m.leg.id;
	tu_deliver(plain_frame(&m, 0, 100, 16000, 160));
	mxp_conf_flush(g_w);
	refused_once(t, sys, lg, plain_frame(&m, 0, 100, 16000, 160), MXP_LEG_DROP_DUPLICATE,
		     "same sequence number");
	refused_once(t, sys, lg, plain_frame(&m, 0, 101, 16160, 961), MXP_LEG_DROP_TOO_LARGE,
		     "961 bytes of PCMU (120 ms is 960)");
	refused_once(t, sys, lg, plain_frame(&m, 0, 102, 16320, 0), MXP_LEG_DROP_BAD_PAYLOAD,
		     "empty payload");
	refused_once(t, sys, lg, plain_frame(&m, 18, 103, 16480, 160), MXP_LEG_DROP_UNKNOWN_PT,
		     "PT 18 (G.729) to a mix leg");
	refused_once(t, sys, lg, plain_frame(&m, 0, 30000, 16640, 160), MXP_LEG_DROP_OUTLIER,
		     "sequence number far off");
	refused_once(t, sys, lg, plain_frame_x(&m, 0, 104, 16800, 160, true),
		     MXP_LEG_DROP_RTP_MALFORMED, "padding past the payload");
	/* 960 bytes (120 ms) are taken */
	uint64_t by[MXP_LEG_DROP_COUNT];
	uint64_t n0 = leg_refused(sys, lg, by);
	tu_deliver(plain_frame(&m, 0, 105, 16960, 960));
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, leg_refused(sys, lg, by), n0);
	struct mxp_leg_info li;
	mxp_conf_leg_get(sys, lg, &li);
	MXP_CHECK_EQ(t, li.st.rx_pkts, 2);
	/* a new SSRC restarts the stream: the two packets queued (no tick ran) are
	 * discarded unplayed, and counted */
	uint64_t f0 = by[MXP_LEG_DROP_FLUSHED];
	m.ssrc ^= 0x5555;
	tu_deliver(plain_frame(&m, 0, 9000, 500000, 160));
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, leg_refused(sys, lg, by), n0 + 2);
	MXP_CHECK_EQ(t, by[MXP_LEG_DROP_FLUSHED], f0 + 2);
	sent_clear();
	peer_fini(&m);
	mxp_conf_sys_destroy(sys);
}


/* ---- asymmetric endpoints -------------------------------------------------------------------- */

static int
add_leg_asym(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, bool strict, bool plain,
	     bool remote, char *err, size_t errlen)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = pr->addr.af;
	lp.remote_known = remote;
	lp.remote = pr->addr;
	lp.remote_port = pr->port;
	lp.strict = strict;
	lp.plain = plain;
	lp.asymmetric = true;
	if (!plain) {
		conf_key(&lp.in, pr->in_key);
		conf_key(&lp.out, pr->out_key);
	}
	err[0] = '\0';
	return mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, errlen);
}

MXP_TEST(asymmetric_leg_takes_any_authenticated_source_and_never_moves)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b;
	peer_init(&a, 140, 150, "192.0.2.180", 9300);
	peer_init(&b, 141, 151, "192.0.2.181", 9302);
	char err[256];
	/* contradictions are refused, with a reason, and change nothing */
	MXP_CHECK_EQ(t, add_leg_asym(sys, c, &a, true, false, true, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "strict and asymmetric") != NULL);
	MXP_CHECK_EQ(t, add_leg_asym(sys, c, &a, false, false, false, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "remote address") != NULL);
	uint32_t ids[4];
	MXP_CHECK_EQ(t, mxp_conf_legs(sys, c, ids, 4), 0);
	MXP_CHECK_EQ(t, add_leg_asym(sys, c, &a, false, false, true, err, sizeof(err)), 0);
	add_leg(sys, c, &b, MXP_SM_SENDRECV, false);
	struct mxp_leg_info li;
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, li.asymmetric && !li.strict);

	/* a sends from another port (and another address): taken, the remote stays */
	uint8_t plain[256];
	int plen;
	struct mxp_ip other = ip("198.51.100.9");
	send_from(&a, &a.addr, 9399, plain, &plen);
	send_from(&a, &other, 41000, plain, &plen);
	mxp_conf_flush(g_w);
	struct got g;
	MXP_CHECK_EQ(t, collect(t, &b, &g), 2);
	sent_clear();
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &a.addr) && li.remote_port == a.port);
	MXP_CHECK_EQ(t, li.st.latches, 0);
	MXP_CHECK_EQ(t, li.st.rx_pkts, 2);
	/* what b says goes to a's configured address and port */
	send_srtp(&b, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &a, &g), 1);
	sent_clear();
	/* from elsewhere with a bad tag: an authentication failure, nothing moves */
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	int len;
	rtp_packet(&a, buf, &len);
	srtp_protect(a.tx, buf, &len);
	buf[len - 1] ^= 0x80;
	tu_deliver(tu_frame(pool, &a.leg, &other, 41002, buf, (uint16_t)len));
	mxp_conf_flush(g_w);
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK_EQ(t, li.st.drops[MXP_LEG_DROP_SRTP_AUTH], 1);
	MXP_CHECK_EQ(t, li.st.source_mismatch, 0);
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &a.addr) && li.remote_port == a.port);
	MXP_CHECK_EQ(t, nsent, 0);

	/* modify: strict on an asymmetric leg is refused; asymmetric off latches again */
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	m.set_strict = true;
	m.strict = true;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, a.leg.id, &m, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "strict and asymmetric") != NULL);
	m.set_asymmetric = true; /* both at once: strict on, asymmetric off */
	m.asymmetric = false;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, a.leg.id, &m, err, sizeof(err)), 0);
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, li.strict && !li.asymmetric);
	memset(&m, 0, sizeof(m));
	m.set_strict = true;
	m.strict = false;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, a.leg.id, &m, err, sizeof(err)), 0);
	send_from(&a, &other, 41004, plain, &plen);
	mxp_conf_flush(g_w);
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &other) && li.remote_port == 41004);
	MXP_CHECK_EQ(t, li.st.latches, 1);
	/* and back: asymmetric on (the remote it latched to stays the destination) */
	memset(&m, 0, sizeof(m));
	m.set_asymmetric = true;
	m.asymmetric = true;
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, a.leg.id, &m, err, sizeof(err)), 0);
	send_from(&a, &a.addr, a.port, plain, &plen);
	mxp_conf_flush(g_w);
	mxp_conf_leg_get(sys, a.leg.id, &li);
	MXP_CHECK(t, li.asymmetric && mxp_ip_equal(&li.remote, &other) && li.st.latches == 1);
	sent_clear();
	peer_fini(&a), peer_fini(&b);
	mxp_conf_sys_destroy(sys);

	/* a plain RTP leg cannot be asymmetric (nothing authenticates another source) */
	sys = sys_new();
	c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer p;
	peer_init(&p, 142, 152, "192.0.2.182", 9304);
	MXP_CHECK_EQ(t, add_leg_asym(sys, c, &p, false, true, true, err, sizeof(err)), -EINVAL);
	MXP_CHECK(t, strstr(err, "needs SRTP") != NULL);
	peer_fini(&p);
	mxp_conf_sys_destroy(sys);
}

/* ---- SSRC collisions end ----------------------------------------------------------------------- */

/* pr sends one packet under its MKI session tx */
static void
send_mki(struct peer *pr, srtp_t tx)
{
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	int len;
	rtp_packet(pr, buf, &len);
	if (srtp_protect_mki(tx, buf, &len, 1, 0) != srtp_err_status_ok)
		abort();
	tu_deliver(tu_frame(pool, &pr->leg, &pr->addr, pr->port, buf, (uint16_t)len));
}

static uint64_t
leg_collisions(struct mxp_conf_sys *sys, const struct peer *pr)
{
	struct mxp_leg_info li;
	if (mxp_conf_leg_get(sys, pr->leg.id, &li) != 0)
		abort();
	return li.st.drops[MXP_LEG_DROP_SSRC_COLLISION];
}

/*
 * RFC 3711 9.1: two participants that send under one master key with one SSRC. The second
 * is refused (ssrc_collision) while the first holds the SSRC; once the first leaves, the
 * second is taken. A leg refused so is taken, too, once a rekey gives it a key of its own
 * and its old key is removed (the key its collisions are checked under follows the rekey;
 * during the overlap it may still send under the old one, and still collides). Before, a
 * leg refused once stayed refused for its whole life.
 */
MXP_TEST(ssrc_collision_ends_with_the_leg_or_its_key)
{
	struct mxp_conf_sys *sys = sys_new();
	char err[256];
	uint32_t c = new_conf(sys, MXP_CONF_SWITCH);
	struct peer a, b, d;
	peer_init(&a, 140, 150, "192.0.2.190", 9400);
	peer_init(&b, 141, 151, "192.0.2.191", 9402);
	peer_init(&d, 142, 152, "192.0.2.192", 9404);
	/* b sends with a's key and a's SSRC */
	memcpy(b.in_key, a.in_key, sizeof(b.in_key));
	b.ssrc = a.ssrc;
	srtp_dealloc(b.tx);
	b.tx = srtp_session(b.in_key, false, b.ssrc);
	MXP_CHECK_EQ(t, add_leg(sys, c, &a, MXP_SM_SENDRECV, false), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &b, MXP_SM_SENDRECV, false), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &d, MXP_SM_RECVONLY, false), 0);
	uint8_t plain[256];
	int plen;
	struct got g;
	send_srtp(&a, plain, &plen);
	send_srtp(&b, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &d, &g), 1); /* a's */
	MXP_CHECK_EQ(t, leg_collisions(sys, &b), 1);
	sent_clear();
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, a.leg.id, NULL, err, sizeof(err)), 0);
	send_srtp(&b, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &d, &g), 1); /* b's, now that a left */
	MXP_CHECK_EQ(t, g.len[0], plen);
	MXP_CHECK(t, memcmp(g.rtp[0] + 12, plain + 12, (size_t)plen - 12) == 0);
	MXP_CHECK_EQ(t, leg_collisions(sys, &b), 1);
	sent_clear();

	/* e sends under b's key with b's SSRC (MKI 1): refused; rekeyed to a key of its own
	 * (MKI 2, the old one removed), it is taken */
	struct peer e;
	peer_init(&e, 143, 153, "192.0.2.193", 9406);
	memcpy(e.in_key, b.in_key, sizeof(e.in_key));
	e.ssrc = b.ssrc;
	MXP_CHECK_EQ(t, add_leg_keys(sys, c, &e, MXP_SM_SENDRECV, 1, 0), 0);
	uint8_t mki1 = 1, mki2 = 2;
	srtp_t tx1 = srtp_session_k(e.in_key, false, e.ssrc, &mki1);
	send_mki(&e, tx1);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &d, &g), 0);
	MXP_CHECK_EQ(t, leg_collisions(sys, &e), 1);
	sent_clear();
	uint8_t k2[30];
	key_fill(k2, 999);
	/* make before break: the new key added, the old one kept; e still sends under the
	 * old one, so it still collides */
	struct mxp_leg_mod m = { .add_in_key = true };
	m.in_key.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	memcpy(m.in_key.key, k2, 16);
	memcpy(m.in_key.salt, k2 + 16, 14);
	m.in_key.mki_len = 1;
	m.in_key.mki[0] = 2;
	int r = mxp_conf_leg_modify(sys, e.leg.id, &m, err, sizeof(err));
	if (r)
		printf("# modify: %s\n", err);
	MXP_CHECK_EQ(t, r, 0);
	send_mki(&e, tx1);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &d, &g), 0);
	MXP_CHECK_EQ(t, leg_collisions(sys, &e), 2);
	struct mxp_conf *cfp = conf_find_leg(sys, e.leg.id)->leg->conf;
	MXP_CHECK_EQ(t, cfp->ssrc_conflicts, 1); /* e: a release walks only while one is refused */
	sent_clear();
	/* the old key removed: e is under a key of its own */
	struct mxp_leg_mod m2 = { .remove_in = true, .remove_mki_len = 1 };
	m2.remove_mki[0] = 1;
	r = mxp_conf_leg_modify(sys, e.leg.id, &m2, err, sizeof(err));
	if (r)
		printf("# modify: %s\n", err);
	MXP_CHECK_EQ(t, r, 0);
	srtp_t tx2 = srtp_session_k(k2, false, e.ssrc, &mki2);
	send_mki(&e, tx2);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &d, &g), 1); /* e's, under its own key */
	MXP_CHECK_EQ(t, leg_collisions(sys, &e), 2);
	MXP_CHECK_EQ(t, cfp->ssrc_conflicts, 0);
	/* b, still under the shared key, is unaffected */
	sent_clear();
	send_srtp(&b, plain, &plen);
	mxp_conf_flush(g_w);
	MXP_CHECK_EQ(t, collect(t, &d, &g), 1);
	sent_clear();
	srtp_dealloc(tx1);
	srtp_dealloc(tx2);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);
	peer_fini(&a), peer_fini(&b), peer_fini(&d), peer_fini(&e);
	mxp_conf_sys_destroy(sys);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(mix_private_stream_talkspurts),
	MXP_CASE(mix_leg_takes_external_buffer_mbufs),
	MXP_CASE(rekey_moves_switch),
	MXP_CASE(rekey_moves_mix),
	MXP_CASE(ssrc_move_keeps_registry),
	MXP_CASE(unhold_and_rekey_to_new_group),
	MXP_CASE(unhold_and_rekey_to_existing_group),
	MXP_CASE(memory_returns_to_zero),
	MXP_CASE(frame_codec_legs),
	MXP_CASE(failed_frame_leg_adds_keep_no_format_slot),
	MXP_CASE(dtx_shared_mix_timestamps_in_every_group),
	MXP_CASE(codec_change_by_modify),
	MXP_CASE(floor_and_mute),
	MXP_CASE(switch_individual_keys),
	MXP_CASE(topn_unranked_legs_forwarded_at_once),
	MXP_CASE(switch_sends_sender_reports),
	MXP_CASE(key_group_encrypts_once),
	MXP_CASE(key_group_lifetime_shared),
	MXP_CASE(mix_ticks_many_conferences),
	MXP_CASE(forward_mode),
	MXP_CASE(stream_modes),
	MXP_CASE(latching_and_strict),
	MXP_CASE(bad_input_counted),
	MXP_CASE(removal_stops_delivery),
	MXP_CASE(hundred_legs_ipv6),
	MXP_CASE(validation_changes_nothing),
	MXP_CASE(every_refused_packet_counted_per_leg),
	MXP_CASE(asymmetric_leg_takes_any_authenticated_source_and_never_moves),
	MXP_CASE(ssrc_collision_ends_with_the_leg_or_its_key),
};

int
main(int argc, char **argv)
{
	if (mxp_test_eal_init(argv[0]) != 0 || srtp_init() != srtp_err_status_ok)
		return 1;
	pool = rte_pktmbuf_pool_create("test_pool", 16383, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("test_hdr", 16383, 0, 0, 256, 0);
	if (pool == NULL || hdr_pool == NULL)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
