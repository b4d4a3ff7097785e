/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 4568 a=crypto: the RFC's own examples, table-driven rejections (each with the word
 * its message must contain, and a check that no key material leaks into it), encode/parse
 * round trips, and a context built from a parsed line interoperating with libsrtp2.
 */
#include <errno.h>

#include "mxp_srtp_sdes.h"
#include "srtp_test_util.h"

/* RFC 4568 section 4 example; base64 decoded with Python's base64 module. */
#define RFC_LINE "a=crypto:1 AES_CM_128_HMAC_SHA1_80 " \
	"inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4"
#define RFC_KEYSALT "3d2d6e40255e7821426a75667239293f2c2335685c603d265d7b71695051"
#define K30 "YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU2"
#define K46 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ=="

MXP_TEST(rfc4568_example)
{
	struct mxp_sdes_crypto c;
	char err[200] = "";
	uint8_t ks[30];

	MXP_CHECK_EQ(t, mxp_sdes_parse(RFC_LINE "\r\n", strlen(RFC_LINE) + 2, &c, err, sizeof(err)),
		     0);
	MXP_CHECK_EQ(t, c.tag, 1);
	MXP_CHECK_EQ(t, c.suite, MXP_SRTP_AES_CM_128_HMAC_SHA1_80);
	MXP_CHECK_EQ(t, c.nkeys, 1);
	mxp_test_hex(RFC_KEYSALT, ks, sizeof(ks));
	MXP_CHECK_MEM(t, c.keys[0].key, ks, 16);
	MXP_CHECK_MEM(t, c.keys[0].salt, ks + 16, 14);
	MXP_CHECK_EQ(t, c.keys[0].lifetime, 1 << 20);
	MXP_CHECK_EQ(t, c.keys[0].lifetime_log2, 20);
	MXP_CHECK_EQ(t, c.keys[0].mki_len, 4);
	MXP_CHECK_MEM(t, c.keys[0].mki, "\0\0\0\1", 4);
	char out[MXP_SDES_MAX_LINE];
	int n = mxp_sdes_encode(&c, out, sizeof(out));
	MXP_CHECK_STR(t, out, &RFC_LINE[strlen("a=crypto:")]);
	MXP_CHECK_EQ(t, n, strlen(RFC_LINE) - strlen("a=crypto:"));
	MXP_CHECK_EQ(t, mxp_sdes_encode(&c, out, (size_t)n), -ENOSPC);
	mxp_sdes_wipe(&c);
	MXP_CHECK_EQ(t, c.keys[0].key[0], 0);
}

MXP_TEST(accepted_forms)
{
	static const struct {
		const char *line;
		enum mxp_srtp_suite suite;
		unsigned int nkeys;
		uint64_t lifetime;
		uint8_t mki_len;
		bool kdr;
		uint8_t kdr_log2;
		bool unenc_srtcp;
		uint32_t wsh;
	} rows[] = {
		{ .line = "crypto:7 AES_CM_128_HMAC_SHA1_32 inline:" K30,
		  .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_32, .nkeys = 1 },
		{ .line = "2 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1048576",
		  .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80, .nkeys = 1, .lifetime = 1048576 },
		{ .line = "3 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|5:1",
		  .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80, .nkeys = 1, .mki_len = 1 },
		{ .line = "4 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^31|1:2;inline:" K30 "|2^31|2:2",
		  .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80, .nkeys = 2,
		  .lifetime = UINT64_C(1) << 31, .mki_len = 2 },
		/* the largest 8-byte MKI: 20 digits (RFC 4568 9.2: 1*DIGIT), what encode gives */
		{ .line = "6 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|18446744073709551615:8",
		  .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80, .nkeys = 1, .mki_len = 8 },
		{ .line = "5 AES_256_CM_HMAC_SHA1_80 inline:" K46,
		  .suite = MXP_SRTP_AES_256_CM_HMAC_SHA1_80, .nkeys = 1 },
		{ .line = "5 AES_256_CM_HMAC_SHA1_32 inline:"
			  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLQ", /* no pad */
		  .suite = MXP_SRTP_AES_256_CM_HMAC_SHA1_32, .nkeys = 1 },
		{ .line = "6 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
		  .suite = MXP_SRTP_AEAD_AES_128_GCM, .nkeys = 1 },
		{ .line = "7 AEAD_AES_256_GCM inline:"
			  "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKis=",
		  .suite = MXP_SRTP_AEAD_AES_256_GCM, .nkeys = 1 },
		{ .line = "8 AES_CM_128_HMAC_SHA1_80 inline:" K30
			  " KDR=10 UNENCRYPTED_SRTCP WSH=256 -FOO=1",
		  .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80, .nkeys = 1, .kdr = true,
		  .kdr_log2 = 10, .unenc_srtcp = true, .wsh = 256 },
		{ .line = "999999999  AES_CM_128_HMAC_SHA1_80\tinline:" K30 "  KDR=0",
		  .suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80, .nkeys = 1, .kdr = true },
	};
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		struct mxp_sdes_crypto c;
		char err[200] = "";
		int rc = mxp_sdes_parse(rows[i].line, strlen(rows[i].line), &c, err, sizeof(err));
		if (!MXP_CHECK(t, rc == 0)) {
			printf("#   row %zu: %s\n", i, err);
			continue;
		}
		MXP_CHECK_EQ(t, c.suite, rows[i].suite);
		MXP_CHECK_EQ(t, c.nkeys, rows[i].nkeys);
		MXP_CHECK_EQ(t, c.keys[0].lifetime, rows[i].lifetime);
		MXP_CHECK_EQ(t, c.keys[0].mki_len, rows[i].mki_len);
		MXP_CHECK_EQ(t, c.kdr_present, rows[i].kdr);
		MXP_CHECK_EQ(t, c.kdr_log2, rows[i].kdr_log2);
		MXP_CHECK_EQ(t, c.unencrypted_srtcp, rows[i].unenc_srtcp);
		MXP_CHECK_EQ(t, c.wsh, rows[i].wsh);
		/* encode then parse gives the same structure */
		char out[MXP_SDES_MAX_LINE];
		struct mxp_sdes_crypto d;
		MXP_CHECK(t, mxp_sdes_encode(&c, out, sizeof(out)) > 0);
		MXP_CHECK_EQ(t, mxp_sdes_parse(out, strlen(out), &d, err, sizeof(err)), 0);
		MXP_CHECK(t, memcmp(&c, &d, sizeof(c)) == 0);
		struct mxp_srtp_params p = { 0 };
		mxp_sdes_to_params(&c, &p);
		MXP_CHECK_EQ(t, p.suite, rows[i].suite);
		MXP_CHECK_EQ(t, p.kdr, rows[i].kdr ? 1u << rows[i].kdr_log2 : 0);
		MXP_CHECK_EQ(t, p.replay_window, rows[i].wsh);
		mxp_sdes_wipe(&c);
		mxp_sdes_wipe(&d);
	}
}

MXP_TEST(rejected_with_reason)
{
	static const struct {
		const char *line;
		int rc;
		const char *says;
	} rows[] = {
		{ "", -EINVAL, "tag" },
		{ "0 AES_CM_128_HMAC_SHA1_80 inline:" K30, -EINVAL, "tag" },
		{ "1234567890 AES_CM_128_HMAC_SHA1_80 inline:" K30, -EINVAL, "tag" },
		{ "1AES_CM_128_HMAC_SHA1_80 inline:" K30, -EINVAL, "space" },
		{ "1 F8_128_HMAC_SHA1_80 inline:" K30, -ENOTSUP, "F8_128_HMAC_SHA1_80" },
		{ "1 AES_CM_128_HMAC_SHA1_80", -EINVAL, "key parameters" },
		{ "1 AES_CM_128_HMAC_SHA1_80 uri:http://x/" K30, -ENOTSUP, "uri" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "x", -EINVAL, "base64" },
		{ "1 AES_CM_128_HMAC_SHA1_80 " K30 "|2^20|1:4", -EINVAL, "inline" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "AAAA", -EINVAL, "33 bytes" },
		{ "1 AES_256_CM_HMAC_SHA1_80 inline:" K30, -EINVAL, "needs 46" },
		{ "1 AEAD_AES_128_GCM inline:" K30, -EINVAL, "needs 28" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:YUJDZGVmZ2hpSktMbW9QUXJzVHVWd3l6MTIzNDU=", -EINVAL,
		  "29 bytes" },
		{ "1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGx==", -EINVAL,
		  "base64" }, /* unused bits set */
		{ "1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaG===", -EINVAL,
		  "base64" },
		{ "1 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0O=DxAREhMUFRYXGBkaGw==", -EINVAL,
		  "base64" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^49", -EINVAL, "lifetime" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^0", -EINVAL, "lifetime" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|0", -EINVAL, "lifetime" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:4|2^20", -EINVAL, "lifetime" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2^20|1:4|7", -EINVAL, "'|'" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:0", -EINVAL, "MKI length" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|2:12|0:1", -EINVAL, "two MKI" }, /* fuzz */
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:129", -EINVAL, "MKI length" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:17", -ENOTSUP, "supported" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|256:1", -EINVAL, "does not fit" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|x:1", -EINVAL, "MKI value" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|18446744073709551616:8", -EINVAL,
		  "MKI value" }, /* 2^64 */
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|100000000000000000000:9", -EINVAL,
		  "MKI value" }, /* 21 digits */
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 ";inline:" K30, -EINVAL, "MKIs" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30 "|2:2", -EINVAL,
		  "one length" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30 "|1:1", -EINVAL,
		  "share" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 "|1:1;inline:" K30 "|2:1;inline:" K30
		  "|3:1;inline:" K30 "|4:1;inline:" K30 "|5:1", -ENOTSUP, "more than" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNENCRYPTED_SRTP", -ENOTSUP,
		  "UNENCRYPTED_SRTP" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " UNAUTHENTICATED_SRTP", -ENOTSUP,
		  "UNAUTHENTICATED_SRTP" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " FEC_ORDER=FEC_SRTP", -ENOTSUP,
		  "FEC_ORDER" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " FEC_KEY=inline:" K30, -ENOTSUP,
		  "FEC_KEY" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=25", -EINVAL, "KDR" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " KDR=x", -EINVAL, "KDR" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " WSH=32", -EINVAL, "WSH" },
		{ "1 AES_CM_128_HMAC_SHA1_80 inline:" K30 " FOO", -ENOTSUP, "FOO" },
	};
	for (size_t i = 0; i < MXP_NCASES(rows); i++) {
		struct mxp_sdes_crypto c;
		char err[200] = "";
		int rc = mxp_sdes_parse(rows[i].line, strlen(rows[i].line), &c, err, sizeof(err));
		bool ok = rc == rows[i].rc && strstr(err, rows[i].says) != NULL;
		/* no key material in the message: neither the base64 nor a long piece of it */
		bool leak = strstr(err, "YUJDZGVm") != NULL || strstr(err, "AAECAwQF") != NULL;
		if (!MXP_CHECK(t, ok && !leak))
			printf("#   row %zu: rc %d (want %d) \"%s\" (want \"%s\")\n", i, rc, rows[i].rc,
			       err, rows[i].says);
		/* a failed parse leaves nothing behind */
		static const struct mxp_sdes_crypto zero;
		MXP_CHECK(t, memcmp(&c, &zero, sizeof(c)) == 0);
	}
}

/* A context built from a parsed line talks to one built from the encoded line. */
MXP_TEST(context_from_line)
{
	static const char line[] = "1 AES_CM_128_HMAC_SHA1_32 inline:" K30 "|2^20|3:1;inline:"
				   "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd|2^20|4:1 WSH=512";
	struct mxp_sdes_crypto c;
	char err[200];
	MXP_CHECK_EQ(t, mxp_sdes_parse(line, sizeof(line) - 1, &c, err, sizeof(err)), 0);
	struct mxp_srtp_params po = { .dir = MXP_SRTP_OUTBOUND, .ssrc = 42 };
	struct mxp_srtp_params pi = { .dir = MXP_SRTP_INBOUND, .ssrc = 42 };
	mxp_sdes_to_params(&c, &po);
	mxp_sdes_to_params(&c, &pi);
	struct mxp_srtp_ctx *o = test_ctx_new(&po), *in = test_ctx_new(&pi);
	MXP_CHECK_EQ(t, mxp_sdes_add_keys(o, &c), 0);
	MXP_CHECK_EQ(t, mxp_sdes_add_keys(in, &c), 0);
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_activate(o, c.keys[1].mki, 1), 0);
	uint8_t b[128];
	size_t len = test_rtp(b, 1, 1, 42, 20, 0);
	MXP_CHECK_EQ(t, mxp_srtp_protect(o, b, &len, sizeof(b)), 0);
	MXP_CHECK_EQ(t, b[len - 5], 4); /* MKI of the second key, then the 4-byte tag */
	MXP_CHECK_EQ(t, mxp_srtp_unprotect(in, b, &len), 0);
	struct mxp_srtp_stream_info si;
	mxp_srtp_ctx_stream_info(in, &si);
	MXP_CHECK_EQ(t, si.replay_window, 512);
	struct mxp_srtp_key_info ki;
	MXP_CHECK_EQ(t, mxp_srtp_ctx_key_info(in, 1, &ki), 0);
	MXP_CHECK_EQ(t, ki.srtp_limit, 1 << 20);
	mxp_sdes_wipe(&c);
	test_ctx_free(o);
	test_ctx_free(in);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(rfc4568_example),
	MXP_CASE(accepted_forms),
	MXP_CASE(rejected_with_reason),
	MXP_CASE(context_from_line),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
