/* SPDX-License-Identifier: BSD-3-Clause */
/* SDP subset: fields, '$', errors with codes, encode/parse round trip. */
#include <sys/socket.h>

#include "mxp_mp_sdp.h"
#include "test_mp.h"

/*
 * b= lines (RFC 4566 5.8 AS, RFC 3556 RS and RR): the values, the media level over the
 * session level, types that are not used skipped, b=RS:0 b=RR:0 kept as given (RTCP off),
 * the encoder writes them back; and the clock of the payload type a participant sends.
 */
static void
sdp_bandwidth(struct mxp_test_ctx *t)
{
	const char *x =
		"v=0\r\n"
		"c=IN IP4 192.0.2.9\r\n"
		"b=AS:256\r\n"
		"b=RR:3000\r\n"
		"b=CT:1000\r\n"
		"t=0 0\r\n"
		"m=audio 40000 RTP/AVP 101 13 96 0\r\n"
		"b=AS:64\r\n"
		"b=TIAS:64000\r\n"
		"b=RS:800\r\n"
		"a=rtpmap:101 telephone-event/8000\r\n"
		"a=rtpmap:96 AMR-WB/16000\r\n";
	struct mxp_sdp s, r;
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_sdp_parse(x, strlen(x), &s, &e), 0);
	MXP_CHECK_EQ(t, s.bw, MXP_SDP_BW_AS | MXP_SDP_BW_RS | MXP_SDP_BW_RR);
	MXP_CHECK_EQ(t, s.bw_as, 64);   /* the media level's */
	MXP_CHECK_EQ(t, s.bw_rs, 800);
	MXP_CHECK_EQ(t, s.bw_rr, 3000); /* the session level's */
	/* the first payload type that is neither an event nor CN: AMR-WB's 16 kHz */
	MXP_CHECK_EQ(t, mxp_sdp_media_clock(&s), 16000);
	char out[1024];
	int n = mxp_sdp_encode(&s, out, sizeof(out));
	MXP_CHECK(t, n > 0 && strstr(out, "b=AS:64\r\nb=RS:800\r\nb=RR:3000\r\n") != NULL);
	MXP_CHECK_EQ(t, mxp_sdp_parse(out, (size_t)n, &r, &e), 0);
	MXP_CHECK(t, r.bw == s.bw && r.bw_as == 64 && r.bw_rs == 800 && r.bw_rr == 3000);

	const char *off = "m=audio 4000 RTP/AVP 9\nb=RS:0\nb=RR:0\n";
	MXP_CHECK_EQ(t, mxp_sdp_parse(off, strlen(off), &s, &e), 0);
	MXP_CHECK(t, s.bw == (MXP_SDP_BW_RS | MXP_SDP_BW_RR) && s.bw_rs == 0 && s.bw_rr == 0);
	MXP_CHECK_EQ(t, mxp_sdp_media_clock(&s), 8000); /* G.722: 8000 (RFC 3551) */
	const char *none = "m=audio 4000 RTP/AVP 111 0\na=rtpmap:111 opus/48000/2\n";
	MXP_CHECK_EQ(t, mxp_sdp_parse(none, strlen(none), &s, &e), 0);
	MXP_CHECK_EQ(t, s.bw, 0);
	MXP_CHECK_EQ(t, mxp_sdp_media_clock(&s), 48000);
	const char *l16 = "m=audio 4000 RTP/AVP 97 11\na=rtpmap:97 L16/16000\n";
	MXP_CHECK_EQ(t, mxp_sdp_parse(l16, strlen(l16), &s, &e), 0);
	MXP_CHECK_EQ(t, mxp_sdp_media_clock(&s), 16000);
	const char *stat = "m=audio 4000 RTP/AVP 11\n";
	MXP_CHECK_EQ(t, mxp_sdp_parse(stat, strlen(stat), &s, &e), 0);
	MXP_CHECK_EQ(t, mxp_sdp_media_clock(&s), 44100);
	const char *dyn = "m=audio 4000 RTP/AVP 98\n"; /* dynamic without a=rtpmap */
	MXP_CHECK_EQ(t, mxp_sdp_parse(dyn, strlen(dyn), &s, &e), 0);
	MXP_CHECK_EQ(t, mxp_sdp_media_clock(&s), 0);
}

void
test_sdp_parse(struct mxp_test_ctx *t)
{
	sdp_bandwidth(t);
	const char *x =
		"v=0\r\n"
		"o=mrfc 1 2 IN IP4 192.0.2.1\r\n"
		"s=conference\r\n"
		"c=IN IP4 192.0.2.9\r\n"
		"t=0 0\r\n"
		"   m=audio 40000 RTP/SAVP 96 0 8\r\n"
		"c=IN IP6 2001:db8::7\r\n"
		"a=rtpmap:96 opus/48000/2\r\n"
		"a=rtpmap:0 PCMU/8000\r\n"
		"a=fmtp:96 useinbandfec=1; usedtx=1  \r\n"
		"a=ptime:20\r\n"
		"a=recvonly\r\n"
		"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^20|1:4\r\n"
		"a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj\r\n"
		"a=x-unknown:whatever\r\n";
	struct mxp_sdp s;
	struct mxp_mp_error e;
	MXP_CHECK_EQ(t, mxp_sdp_parse(x, strlen(x), &s, &e), 0);
	MXP_CHECK(t, mxp_mp_str_eq(s.session, "conference"));
	MXP_CHECK(t, s.has_conn && !s.conn_choose);
	MXP_CHECK_EQ(t, s.addr.af, AF_INET6); /* media-level c= overrides */
	MXP_CHECK_EQ(t, s.addr.v6[15], 7);
	MXP_CHECK(t, s.has_media && s.srtp && !s.port_choose);
	MXP_CHECK_EQ(t, s.port, 40000);
	MXP_CHECK_EQ(t, s.npts, 3);
	MXP_CHECK_EQ(t, s.pts[0], 96);
	MXP_CHECK_EQ(t, s.nrtpmap, 2);
	MXP_CHECK(t, mxp_mp_str_eq(s.rtpmap[0].encoding, "opus"));
	MXP_CHECK_EQ(t, s.rtpmap[0].clock, 48000);
	MXP_CHECK_EQ(t, s.rtpmap[0].channels, 2);
	MXP_CHECK_EQ(t, s.nfmtp, 1);
	MXP_CHECK_EQ(t, s.fmtp[0].pt, 96);
	MXP_CHECK(t, mxp_mp_str_eq(s.fmtp[0].params, "useinbandfec=1; usedtx=1"));
	MXP_CHECK_EQ(t, s.ptime, 20);
	MXP_CHECK_EQ(t, s.dir, MXP_MP_MODE_RECVONLY);
	MXP_CHECK_EQ(t, s.ncrypto, 2);
	MXP_CHECK(t, mxp_mp_str_eq(s.crypto[1], "2 AES_CM_128_HMAC_SHA1_32 "
				   "inline:NzB4d1BINUAvLEw6UzF3WSJ+PSdFcGdUJShpX1Zj"));

	const char *choose = "c=IN IP4 $\nm=audio $ RTP/AVP 0\n";
	MXP_CHECK_EQ(t, mxp_sdp_parse(choose, strlen(choose), &s, &e), 0);
	MXP_CHECK(t, s.conn_choose && s.port_choose && !s.srtp);
	char a[64];
	MXP_CHECK_STR(t, mxp_sdp_addr_str(&s, a, sizeof(a)), "$");
}

void
test_sdp_errors(struct mxp_test_ctx *t)
{
	static const struct { const char *sdp; uint16_t code; unsigned int line; } rows[] = {
		{ "v=1\n", 449, 1 },
		{ "v=0\nc=IN IP5 1.2.3.4\n", 449, 2 },
		{ "c=IN IP4 1.2.3.999\n", 449, 1 },
		{ "c=IN IP4 224.1.1.1/127\n", 449, 1 },
		{ "c=IN IP4 1.1.1.1\nc=IN IP4 1.1.1.2\n", 449, 2 },
		{ "m=video 4000 RTP/AVP 31\n", 515, 1 },
		{ "m=audio 4000 UDP/TLS/RTP/SAVPF 0\n", 515, 1 },
		{ "m=audio 70000 RTP/AVP 0\n", 449, 1 },
		{ "m=audio 4000 RTP/AVP 128\n", 449, 1 },
		{ "m=audio 4000 RTP/AVP\n", 449, 1 },
		{ "m=audio 4000 RTP/AVP 0\nm=audio 4002 RTP/AVP 0\n", 501, 2 },
		{ "m=audio 4 RTP/AVP 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", 510, 1 },
		{ "a=rtpmap:0 PCMU\n", 449, 1 },
		{ "a=rtpmap:0 PCMU/0\n", 449, 1 },
		{ "a=ptime:0\n", 449, 1 },
		{ "a=fmtp:x mode-set=1\n", 449, 1 },
		{ "a=fmtp:97 a=1\na=fmtp:97 b=2\n", 449, 2 },
		{ "a=rtpmap:96 opus/48000\na=rtpmap:96 AMR/8000\n", 449, 2 },
		{ "a=crypto:\n", 449, 1 },
		{ "a=crypto:1 a\na=crypto:2 b\na=crypto:3 c\na=crypto:4 d\na=crypto:5 e\n", 510, 5 },
		{ "v=0\nthis is not sdp\n", 449, 2 },
		{ "v=0\nb=AS:x\n", 449, 2 },
		{ "m=audio 4000 RTP/AVP 0\nb=RS:-1\n", 449, 2 },
		{ "m=audio 4000 RTP/AVP 0\nb=RR:4294967296\n", 449, 2 },
		{ "b=RR\n", 449, 1 },
		{ "b=:5\n", 449, 1 },
		{ "b=AS:10000001\n", 449, 1 },
	};
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		struct mxp_sdp s;
		struct mxp_mp_error e;
		int rc = mxp_sdp_parse(rows[i].sdp, strlen(rows[i].sdp), &s, &e);
		char want[32];
		snprintf(want, sizeof(want), "SDP line %u:", rows[i].line);
		if (rc == 0 || e.code != rows[i].code || strstr(e.text, want) != e.text)
			printf("#   row %zu: rc %d code %u '%s'\n", i, rc, e.code, e.text);
		MXP_CHECK(t, rc != 0);
		MXP_CHECK_EQ(t, e.code, rows[i].code);
		MXP_CHECK(t, strstr(e.text, want) == e.text);
	}
	/* A NUL inside a line (found by fuzz_sdp): refused, not truncated. */
	static const char nul[] = "v=0\na=crypto:\0001 AES\n";
	struct mxp_sdp s;
	struct mxp_mp_error e;
	MXP_CHECK(t, mxp_sdp_parse(nul, sizeof(nul) - 1, &s, &e) != 0);
	MXP_CHECK(t, strstr(e.text, "control character 0x00") != NULL);
}

void
test_sdp_encode_round_trip(struct mxp_test_ctx *t)
{
	struct mxp_sdp s = { 0 }, r;
	struct mxp_mp_error e;
	char out[1024], out2[1024];
	s.has_conn = true;
	s.addr = mxp_ip_from_bytes(AF_INET, (const uint8_t[]){ 192, 0, 2, 2 });
	s.has_media = true;
	s.port = 20000;
	s.srtp = true;
	s.npts = 2;
	s.pts[0] = 0;
	s.pts[1] = 101;
	s.nrtpmap = 1;
	s.rtpmap[0].pt = 101;
	s.rtpmap[0].encoding = mxp_mp_str_c("telephone-event");
	s.rtpmap[0].clock = 8000;
	s.nfmtp = 1;
	s.fmtp[0].pt = 101;
	s.fmtp[0].params = mxp_mp_str_c("0-15");
	s.ptime = 20;
	s.dir = MXP_MP_MODE_SENDRECV;
	s.ncrypto = 1;
	s.crypto[0] = mxp_mp_str_c("1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31|2:4");
	int n = mxp_sdp_encode(&s, out, sizeof(out));
	MXP_CHECK(t, n > 0);
	MXP_CHECK(t, strstr(out, "m=audio 20000 RTP/SAVP 0 101\r\n") != NULL);
	MXP_CHECK(t, strstr(out, "c=IN IP4 192.0.2.2\r\n") != NULL);
	MXP_CHECK(t, strstr(out, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n") !=
			     NULL);
	MXP_CHECK_EQ(t, mxp_sdp_parse(out, (size_t)n, &r, &e), 0);
	int n2 = mxp_sdp_encode(&r, out2, sizeof(out2));
	MXP_CHECK_EQ(t, n, n2);
	MXP_CHECK_STR(t, out, out2);
	MXP_CHECK_EQ(t, mxp_sdp_encode(&s, out, 40), -ENOSPC);
}
