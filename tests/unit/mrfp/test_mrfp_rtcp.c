/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RTCP through Mp: the SDP's b= lines (RFC 3556) and RTP clock reach the leg, and the
 * statistic rtp/delay (H.248.1 E.12) is half the round trip the participant's RTCP
 * reports measure (RFC 3550 6.4.1).
 */
#include <time.h>

#include "mrfp_harness.h"
#include "conf_priv.h"

/* An SRTCP packet from the participant's address and RTCP port to the leg's RTCP port. */
static void
send_rtcp_to_leg(const struct mxp_leg_info *li, const uint8_t *p, size_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct mxp_pkt_udp_addr a = { .src_mac = peer_mac, .dst_mac = our_mac, .src = li->remote,
				      .dst = li->local, .sport = li->remote_rtcp_port,
				      .dport = li->local_rtcp_port };
	uint16_t hl = mxp_pkt_udp_hdr_len(AF_INET);
	uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(hl + len));
	memcpy(f + hl, p, len);
	mxp_pkt_build_udp(f, &a, (uint16_t)len, mxp_pkt_payload_sum(p, (uint16_t)len));
	struct mxp_pkt_meta meta;
	if (mxp_pkt_parse(f, rte_pktmbuf_data_len(m), 0, &meta) != MXP_PKT_UDP)
		abort();
	if (!mxp_conf_rx(g_w, li->port_idx, m, &meta))
		rte_pktmbuf_free(m);
	mxp_conf_flush(g_w);
}

/* The value of statistic name in a reply, -1 when absent. */
static long
stat_of(const char *r, const char *name)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "%s = ", name);
	const char *p = strstr(r, pat);
	return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/*
 * rtp/delay: absent while nothing was measured; the participant's RR then echoes an SR
 * time 60 ms before now (the wall clock's NTP time: lib/conf's follows it) with a DLSR of
 * 20 ms: the round trip is 40 ms, rtp/delay 20 (the TSC's rate against the wall clock may
 * move it by a few ms over the test's run).
 */
MXP_TEST(rtp_delay_is_half_the_round_trip)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_leg(t, &e, "$", 1, &c);
	const char *audit = "Transaction = %u { Context = %u { AuditValue = leg/%u { Audit { "
			    "Statistics } } } }";
	const char *r = transact(&e, audit, 2, c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, stat_of(r, "rtp/ps") == 0 && stat_of(r, "rtp/delay") == -1);
	struct mxp_leg_info li = leg(&e, l);
	struct sender sd;
	sender_init(&sd, 2, 0x4242); /* the participant's key: Remote's, seed 1 + 1 */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t ntp = (((uint64_t)ts.tv_sec + 2208988800ull) << 32) |
		       (((uint64_t)ts.tv_nsec << 32) / 1000000000ull);
	uint8_t rr[8 + 24 + MXP_SRTP_MAX_TRAILER] = { 0x81, 201, 0, 7 };
	mxp_be_wr32(rr + 4, 0x4242);
	mxp_be_wr32(rr + 8, 0x1234);                                      /* our stream */
	mxp_be_wr32(rr + 24, (uint32_t)((ntp - (60ull << 32) / 1000) >> 16)); /* LSR */
	mxp_be_wr32(rr + 28, 20 * 65536 / 1000);                          /* DLSR */
	size_t len = 32;
	MXP_CHECK_EQ(t, mxp_srtcp_protect(sd.ctx, rr, &len, sizeof(rr)), 0);
	send_rtcp_to_leg(&li, rr, len);
	r = transact(&e, audit, 3, c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	long d = stat_of(r, "rtp/delay");
	printf("# rtp/delay = %ld\n", d);
	MXP_CHECK(t, d >= 17 && d <= 23);
	sender_fini(&sd);
	env_free(&e);
}

/*
 * The SDP's RTP clock and b= lines reach the leg: Remote's b=RS:0 b=RR:0 turns its RTCP off
 * (RFC 3556), Remote's AMR-WB/16000 is its clock; without b= lines in Remote, Local's count;
 * without any, the defaults (RFC 3550: 5% of 64 kbit/s, a quarter for senders).
 */
MXP_TEST(sdp_bandwidth_and_clock_reach_the_leg)
{
	struct env e = env_new();
	const char *r = transact(&e,
		"Transaction = 1 { Context = $ { Add = $ { Media { Stream = 1 { "
		"LocalControl { Mode = SendReceive }, "
		"Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 96 101\nb=RS:800\n%s\n}, "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8002 RTP/SAVP 101 96\nb=RS:0\nb=RR:0\n"
		"a=rtpmap:96 AMR-WB/16000\na=rtpmap:101 telephone-event/8000\n%s\n} } } } } }",
		crypto(1, 1), PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("# %s\n", r);
	uint32_t c = reply_ctx(r), l = reply_leg(r, "Add");
	struct mxp_leg_ctl *lc = conf_find_leg(e.sys, l);
	if (MXP_CHECK(t, lc != NULL)) {
		MXP_CHECK_EQ(t, lc->leg->rrx.clock, 16000);
		MXP_CHECK(t, lc->leg->rtx.bw_s == 0 && lc->leg->rtx.bw_r == 0);
	}
	/* Remote without b=: Local's RS (800 bit/s), RR from the default session bandwidth */
	r = transact(&e,
		"Transaction = 2 { Context = %u { Add = $ { Media { Stream = 1 { "
		"LocalControl { Mode = SendReceive }, "
		"Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\nb=AS:32\nb=RS:800\n%s\n}, "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8004 RTP/SAVP 9\n%s\n} } } } } }",
		c, crypto(3, 1), PEER_IP, crypto(4, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	lc = conf_find_leg(e.sys, reply_leg(r, "Add"));
	if (MXP_CHECK(t, lc != NULL)) {
		MXP_CHECK_EQ(t, lc->leg->rrx.clock, 8000); /* G.722: 8000 (RFC 3551) */
		MXP_CHECK(t, lc->leg->rtx.bw_s == 100);    /* bytes/s */
		MXP_CHECK(t, lc->leg->rtx.bw_r == 32000 / 8 * 0.0375f);
	}
	uint32_t l3 = add_leg(t, &e, "$", 5, NULL);
	lc = conf_find_leg(e.sys, l3);
	if (MXP_CHECK(t, lc != NULL))
		MXP_CHECK(t, lc->leg->rtx.bw_s == 100 && lc->leg->rtx.bw_r == 300);
	env_free(&e);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(rtp_delay_is_half_the_round_trip),
	MXP_CASE(sdp_bandwidth_and_clock_reach_the_leg),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
