/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mrfp driven directly: H.248 text is parsed with lib/mp, applied to a conference
 * system whose commands run inline (no worker thread), and the reply (encoded again with
 * lib/mp) and lib/conf's state are checked. The daemon's callbacks are fakes: two ports
 * with fixed addresses, a route table of one subnet, a clock the test moves, and Pending
 * and Notify recorded instead of sent.
 */
#include "mrfp_harness.h"

/* ---- Add ------------------------------------------------------------------------------------ */

MXP_TEST(add_creates_context_and_leg)
{
	struct env e = env_new();
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
				 media("", crypto(1, 1), PEER_IP, 8000, crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t c = reply_ctx(r), l = reply_leg(r, "Add");
	MXP_CHECK(t, c != 0 && l != 0);
	MXP_CHECK(t, strstr(r, "Reply = 1") != NULL);
	/* the Local SDP as the MRFP filled it in: our address and the allocated port */
	struct mxp_leg_info li = leg(&e, l);
	char want[64];
	snprintf(want, sizeof(want), "m=audio %u RTP/SAVP 0", li.local_port);
	MXP_CHECK(t, strstr(r, "c=IN IP4 192.0.2.2") != NULL);
	MXP_CHECK(t, strstr(r, want) != NULL);
	MXP_CHECK(t, strstr(r, "a=crypto") == NULL); /* the MRFC's keys are not sent back */
	MXP_CHECK_EQ(t, li.conf_id, c);
	MXP_CHECK_EQ(t, li.port_idx, 0);
	MXP_CHECK(t, li.remote_known);
	struct mxp_ip peer_ip = ip(PEER_IP);
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &peer_ip));
	MXP_CHECK_EQ(t, li.remote_port, 8000);
	MXP_CHECK_EQ(t, li.n_in_keys, 1);
	MXP_CHECK_EQ(t, li.n_out_keys, 1);
	MXP_CHECK_EQ(t, li.mode, MXP_SM_SENDRECV);
	struct mxp_conf_info ci;
	MXP_CHECK_EQ(t, mxp_conf_get(e.sys, c, &ci), 0);
	MXP_CHECK_EQ(t, ci.mode, MXP_CONF_SWITCH);
	/* the MRFP's record: who added it (Notify goes there) */
	const struct mxp_mrfp_leg *rec = mxp_mrfp_leg_find(e.m, l);
	MXP_CHECK(t, rec != NULL);
	if (rec) {
		MXP_CHECK_EQ(t, rec->ctx, c);
		MXP_CHECK_EQ(t, rec->peer.port, 2944);
		MXP_CHECK_EQ(t, rec->afthresh, 10);
	}
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->legs, 1);
	/* a second Add to that context joins it; mode and mute from the package */
	r = transact(&e, "Transaction = 2 { Context = %u { Add = $ { %s } } }", c,
		     media("mxp/mute = on", crypto(3, 1), OTHER_IP, 8002, crypto(4, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, reply_ctx(r), c);
	uint32_t l2 = reply_leg(r, "Add");
	li = leg(&e, l2);
	MXP_CHECK_EQ(t, li.conf_id, c);
	MXP_CHECK(t, li.muted);
	MXP_CHECK_EQ(t, li.port_idx, 1); /* the port whose route reaches the Remote address */
	MXP_CHECK(t, strstr(r, "c=IN IP4 198.51.100.2") != NULL);
	MXP_CHECK_EQ(t, nconfs(&e), 1);
	/* a mix conference from mxp/mode */
	r = transact(&e, "Transaction = 3 { Context = $ { Add = $ { Media { TerminationState { "
		     "mxp/mode = mix }, Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n"
		     "%s\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio 8010 RTP/SAVP 0\n%s\n} } } } } }",
		     crypto(5, 1), PEER_IP, crypto(6, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, mxp_conf_get(e.sys, reply_ctx(r), &ci), 0);
	MXP_CHECK_EQ(t, ci.mode, MXP_CONF_MIX);
	MXP_CHECK_EQ(t, nconfs(&e), 2);
	env_free(&e);
}

MXP_TEST(add_generates_the_local_key_or_refuses)
{
	struct env e = env_new();
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
				 media("", "", PEER_IP, 8000, crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "a=crypto:1 " SUITE " inline:") != NULL);
	MXP_CHECK(t, strstr(r, "|2^31|1:4") != NULL); /* the participant's MKI length */
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->keys_generated, 1);
	MXP_CHECK_EQ(t, leg(&e, reply_leg(r, "Add")).n_out_keys, 1);
	/* the answer's a=crypto has the tag of the offer's line (RFC 4568 7.1.2) */
	char tagged[200];
	snprintf(tagged, sizeof(tagged), "a=crypto:3 %s", crypto(4, 1) + strlen("a=crypto:1 "));
	r = transact(&e, "Transaction = 2 { Context = $ { Add = $ { %s } } }",
		     media("", "", PEER_IP, 8010, tagged));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "a=crypto:3 " SUITE " inline:") != NULL);
	MXP_CHECK(t, strstr(r, "a=crypto:1 ") == NULL);
	env_free(&e);

	struct mxp_mrfp_config c = cfg_default();
	c.generate_keys = false;
	e = env_new_cfg(&c);
	r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
		     media("", "", PEER_IP, 8000, crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), MXP_MP_E_MISSING_DESC);
	MXP_CHECK(t, strstr(r, "generate_keys is off") != NULL);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->keys_generated, 0);
	env_free(&e);
}

/* An a=crypto line of tag, suite, the key of seed and MKI mki (4 bytes; 0: none), then
 * tail (session parameters). */
static const char *
crypto_alt(unsigned int tag, enum mxp_srtp_suite suite, unsigned int seed, unsigned int mki,
	   const char *tail)
{
	static char lines[8][200];
	static unsigned int next;
	char *b = lines[next++ % 8];
	struct mxp_sdes_crypto c = { .tag = tag, .suite = suite, .nkeys = 1 };
	key_bytes(seed, c.keys[0].key, c.keys[0].salt);
	c.keys[0].lifetime = UINT64_C(1) << 31;
	c.keys[0].lifetime_log2 = 31;
	c.keys[0].mki_len = mki ? 4 : 0;
	c.keys[0].mki[3] = (uint8_t)mki;
	int n = snprintf(b, 200, "a=crypto:");
	int k = mxp_sdes_encode(&c, b + n, (size_t)(200 - n));
	if (k < 0)
		abort();
	snprintf(b + n + k, (size_t)(200 - n - k), "%s", tail);
	return b;
}

static bool
has_key_of(const struct mxp_leg_info *li, unsigned int seed)
{
	uint8_t key[16], salt[14];
	char fp[9];
	key_bytes(seed, key, salt);
	mxp_srtp_key_fingerprint(key, 16, salt, 14, fp);
	return li->n_in_keys == 1 && strcmp(li->in_keys[0].fp, fp) == 0;
}

/*
 * A SIP phone offers SRTP suites as alternatives, each a=crypto line with a key of its own
 * and no MKI (RFC 4568 5.1); the answer accepts one by its tag. The MRFP takes one: of
 * Local's suite when the MRFC gives Local's key, else the first it can use (its generated
 * key then answers that line's tag and suite), and of the leg's suite on a re-INVITE.
 * These offers were refused ("every key of a direction must use the same suite").
 */
MXP_TEST(offer_crypto_alternatives_narrowed_to_one)
{
	struct env e = env_new();
	const enum mxp_srtp_suite s80 = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
				  s32 = MXP_SRTP_AES_CM_128_HMAC_SHA1_32;
	char offer[600];
	snprintf(offer, sizeof(offer), "%s\n%s", crypto_alt(1, s80, 2, 0, ""),
		 crypto_alt(2, s32, 3, 0, ""));
	/* no Local key: the first alternative, answered with its tag */
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s } } }",
				 media("", "", PEER_IP, 8000, offer));
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("# %s\n", r);
	uint32_t c1 = reply_ctx(r), l1 = reply_leg(r, "Add");
	struct mxp_leg_info li = leg(&e, l1);
	MXP_CHECK_EQ(t, li.in_suite, s80);
	MXP_CHECK(t, has_key_of(&li, 2));
	MXP_CHECK(t, strstr(r, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") != NULL);
	MXP_CHECK(t, strstr(r, "a=crypto:2 ") == NULL);
	/* the MRFC's Local key is _32: the alternative of that suite */
	r = transact(&e, "Transaction = 2 { Context = $ { Add = $ { %s } } }",
		     media("", crypto_alt(1, s32, 4, 0, ""), PEER_IP, 8010, offer));
	MXP_CHECK_EQ(t, err_code(r), 0);
	li = leg(&e, reply_leg(r, "Add"));
	MXP_CHECK_EQ(t, li.in_suite, s32);
	MXP_CHECK(t, has_key_of(&li, 3));
	/* a line lib/srtp cannot take (KDR, an unknown suite) is passed over */
	snprintf(offer, sizeof(offer), "%s\n%s\n%s", crypto_alt(1, s80, 5, 0, " KDR=10"),
		 "a=crypto:2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm",
		 crypto_alt(3, s80, 6, 0, ""));
	r = transact(&e, "Transaction = 3 { Context = $ { Add = $ { %s } } }",
		     media("", "", PEER_IP, 8020, offer));
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("# %s\n", r);
	li = leg(&e, reply_leg(r, "Add"));
	MXP_CHECK(t, has_key_of(&li, 6));
	MXP_CHECK(t, strstr(r, "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:") != NULL);
	/* none usable: refused with the first one's reason, nothing made */
	uint32_t before = nconfs(&e);
	snprintf(offer, sizeof(offer), "%s\n%s", crypto_alt(1, s80, 5, 0, " KDR=10"),
		 "a=crypto:2 F8_128_HMAC_SHA1_80 inline:MTIzNDU2Nzg5QUJDREUwMTIzNDU2Nzg5QUJjZGVm");
	r = transact(&e, "Transaction = 4 { Context = $ { Add = $ { %s } } }",
		     media("", "", PEER_IP, 8030, offer));
	MXP_CHECK_EQ(t, err_code(r), MXP_MP_E_BAD_VALUE);
	MXP_CHECK(t, strstr(r, "no a=crypto of its 2 alternatives is usable") != NULL &&
		     strstr(r, "KDR") != NULL && strstr(r, ")") != NULL);
	MXP_CHECK_EQ(t, nconfs(&e), before);
	/* a key set (one suite, every line with an MKI) is still taken whole */
	snprintf(offer, sizeof(offer), "%s\n%s", crypto_alt(1, s80, 7, 1, ""),
		 crypto_alt(2, s80, 8, 2, ""));
	r = transact(&e, "Transaction = 5 { Context = $ { Add = $ { %s } } }",
		     media("", crypto(9, 1), PEER_IP, 8040, offer));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t lset = reply_leg(r, "Add"), cset = reply_ctx(r);
	MXP_CHECK_EQ(t, leg(&e, lset).n_in_keys, 2);
	/* a botched rekey stays an error, its new key never dropped in silence: an MKI on a
	 * leg without, another MKI length, a line lib/srtp refuses (its MKI read from the
	 * text), another suite */
	char bad_len[200];
	snprintf(bad_len, sizeof(bad_len), "%s|9:1", crypto_alt(3, s80, 12, 0, ""));
	const char *botched[5][3] = {
		{ crypto_alt(1, s80, 2, 0, ""), crypto_alt(2, s80, 11, 7, ""), NULL },
		{ crypto_alt(1, s80, 2, 0, ""), crypto_alt(2, s80, 13, 3, " FEC_ORDER=FEC_SRTP"), NULL },
		{ crypto_alt(1, s80, 7, 1, ""), crypto_alt(2, s80, 8, 2, ""), bad_len },
		{ crypto_alt(1, s80, 7, 1, ""), crypto_alt(2, s80, 8, 2, ""),
		  crypto_alt(3, s80, 13, 3, " FEC_ORDER=FEC_SRTP") },
		{ crypto_alt(1, s80, 7, 1, ""), crypto_alt(2, s80, 8, 2, ""),
		  crypto_alt(3, s32, 14, 3, "") }, /* the new key of another suite */
	};
	for (unsigned int i = 0; i < 5; i++) {
		uint32_t bl = i < 2 ? l1 : lset, bc = i < 2 ? c1 : cset;
		snprintf(offer, sizeof(offer), "%s\n%s\n%s", botched[i][0], botched[i][1],
			 botched[i][2] ? botched[i][2] : "");
		r = transact(&e, "Transaction = %u { Context = %u { Modify = leg/%u { Media { "
			     "Stream = 1 { Remote {\nv=0\nc=IN IP4 %s\nm=audio 8000 RTP/SAVP 0\n%s\n} "
			     "} } } } }", 20 + i, bc, bl, PEER_IP, offer);
		MXP_CHECK_EQ(t, err_code(r), MXP_MP_E_BAD_VALUE);
		if (err_code(r) != MXP_MP_E_BAD_VALUE)
			printf("# botched rekey %u: %s\n", i, r);
	}
	li = leg(&e, l1);
	MXP_CHECK(t, has_key_of(&li, 2));
	struct mxp_leg_info ls = leg(&e, lset);
	MXP_CHECK_EQ(t, ls.n_in_keys, 2);
	/* its keys are still those of seeds 7 and 8 */
	for (unsigned int k = 0; k < 2 && ls.n_in_keys == 2; k++) {
		uint8_t key[16], salt[14];
		char fp[9];
		key_bytes(7 + k, key, salt);
		mxp_srtp_key_fingerprint(key, 16, salt, 14, fp);
		MXP_CHECK_STR(t, ls.in_keys[k].fp, fp);
	}
	/* whitespace before the tag: the MKI is still read from the text */
	snprintf(offer, sizeof(offer), "%s\na=crypto: 2%s", crypto_alt(1, s80, 2, 0, ""),
		 strchr(crypto_alt(2, s80, 13, 7, " FEC_ORDER=FEC_SRTP"), ' '));
	r = transact(&e, "Transaction = 29 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "Remote {\nv=0\nc=IN IP4 %s\nm=audio 8000 RTP/SAVP 0\n%s\n} } } } } }",
		     c1, l1, PEER_IP, offer);
	MXP_CHECK_EQ(t, err_code(r), MXP_MP_E_BAD_VALUE);
	/* a Modify takes the alternative of the leg's suite, whatever Local's is */
	r = transact(&e, "Transaction = 30 { Context = $ { Add = $ { %s } } }",
		     media("", crypto_alt(1, s80, 4, 0, ""), PEER_IP, 8050, crypto_alt(1, s32, 3, 0, "")));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t lx = reply_leg(r, "Add"), cx = reply_ctx(r);
	MXP_CHECK_EQ(t, leg(&e, lx).in_suite, s32);
	snprintf(offer, sizeof(offer), "%s\n%s", crypto_alt(1, s80, 10, 0, ""),
		 crypto_alt(2, s32, 3, 0, ""));
	r = transact(&e, "Transaction = 31 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n}, "
		     "Remote {\nv=0\nc=IN IP4 %s\nm=audio 8050 RTP/SAVP 0\n%s\n} } } } } }",
		     cx, lx, crypto_alt(1, s80, 4, 0, ""), PEER_IP, offer);
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("# %s\n", r);
	li = leg(&e, lx);
	MXP_CHECK(t, li.in_suite == s32 && has_key_of(&li, 3));
	/* a re-INVITE offering _32 first: the leg keeps its suite and key (a refresh) */
	snprintf(offer, sizeof(offer), "%s\n%s", crypto_alt(1, s32, 3, 0, ""),
		 crypto_alt(2, s80, 2, 0, ""));
	r = transact(&e, "Transaction = 6 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "Remote {\nv=0\nc=IN IP4 %s\nm=audio 8000 RTP/SAVP 0\n%s\n} } } } } }",
		     c1, l1, PEER_IP, offer);
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("# %s\n", r);
	li = leg(&e, l1);
	MXP_CHECK_EQ(t, li.in_suite, s80);
	MXP_CHECK(t, has_key_of(&li, 2));
	env_free(&e);
}

/*
 * A Modify refused at its last step (Remote's codecs: here a fifth frame-codec format in a
 * mix conference, which sends at most four) changes nothing: a leg that had no Remote
 * address before (it learns it from the participant's first packet) has none after. It
 * kept the refused command's address.
 */
MXP_TEST(refused_modify_forgets_the_new_remote)
{
	struct env e = env_new();
	static const char *const fmt[4] = {
		"96\na=rtpmap:96 AMR/8000", "97\na=rtpmap:97 AMR-WB/16000",
		"98\na=rtpmap:98 AMR/8000\na=fmtp:98 octet-align=1", "111\na=rtpmap:111 opus/48000/2",
	};
	uint32_t ctx = 0;
	for (unsigned int i = 0; i < 4; i++) {
		char c[16];
		snprintf(c, sizeof(c), i ? "%u" : "$", ctx);
		const char *r = transact(&e, "Transaction = %u { Context = %s { Add = $ { Media { "
			"TerminationState { mxp/mode = mix }, Stream = 1 { "
			"Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP %.3s\n%s\n}, "
			"Remote {\nv=0\nc=IN IP4 %s\nm=audio %u RTP/SAVP %s\n%s\n} } } } } }",
			1 + i, c, fmt[i], crypto(1, 1), PEER_IP, 8000 + 2 * i, fmt[i],
			crypto(2 + i, 1));
		MXP_CHECK_EQ(t, err_code(r), 0);
		if (err_code(r))
			printf("# %s\n", r);
		if (i == 0)
			ctx = reply_ctx(r);
	}
	const char *r = transact(&e, "Transaction = 5 { Context = %u { Add = $ { Media { Stream = 1 { "
		"Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n}, "
		"Remote {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n} } } } } }", ctx,
		crypto(1, 1), crypto(9, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t l = reply_leg(r, "Add");
	MXP_CHECK(t, l != 0 && !leg(&e, l).remote_known);
	r = transact(&e, "Transaction = 6 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 9000 RTP/SAVP 100\na=rtpmap:100 AMR-WB/16000\n"
		"a=fmtp:100 octet-align=1\n} } } } } }", ctx, l, PEER_IP);
	MXP_CHECK(t, err_code(r) != 0 && strstr(r, "Remote's codecs") != NULL &&
		     strstr(r, "nothing changed") != NULL);
	struct mxp_leg_info li = leg(&e, l);
	MXP_CHECK(t, !li.remote_known);
	MXP_CHECK_EQ(t, li.remote_port, 0);
	MXP_CHECK_EQ(t, li.codec, MXP_MEDIA_CODEC_PCMU);
	/* the same address with its own codec is taken */
	r = transact(&e, "Transaction = 7 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 9000 RTP/SAVP 0\n} } } } } }", ctx, l, PEER_IP);
	MXP_CHECK_EQ(t, err_code(r), 0);
	li = leg(&e, l);
	MXP_CHECK(t, li.remote_known && li.remote_port == 9000);
	env_free(&e);
}

/*
 * A VoLTE phone's offer (3GPP TS 26.114): AMR-WB and AMR each twice, bandwidth-efficient
 * first, then octet-aligned, and telephone-event at two clocks. The MRFP takes the first
 * parameter set of each codec: the Add succeeds (it was refused: one set per codec), the
 * reply's Local (the answer) lists only the payload types taken, the leg hears AMR-WB on
 * 116, and a re-INVITE with the same offer changes nothing while one that puts the
 * octet-aligned AMR-WB first moves the leg to 107.
 */
#define VOLTE_RTPMAP                                                                      \
	"a=rtpmap:116 AMR-WB/16000\na=fmtp:116 mode-change-capability=2;max-red=0\n"     \
	"a=rtpmap:107 AMR-WB/16000\na=fmtp:107 octet-align=1;mode-change-capability=2\n" \
	"a=rtpmap:118 AMR/8000\na=fmtp:118 mode-change-capability=2;max-red=0\n"         \
	"a=rtpmap:96 AMR/8000\na=fmtp:96 octet-align=1;mode-change-capability=2\n"       \
	"a=rtpmap:111 telephone-event/16000\na=fmtp:111 0-15\n"                          \
	"a=rtpmap:110 telephone-event/8000\na=fmtp:110 0-15\n"

MXP_TEST(volte_offer_one_parameter_set_per_codec)
{
	struct env e = env_new();
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { Media { "
		"TerminationState { mxp/mode = mix }, Stream = 1 { "
		"Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 116 107 118 96 111 110\n%s\n}, "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8020 RTP/SAVP 116 107 118 96 111 110\n"
		VOLTE_RTPMAP "%s\n} } } } } }", crypto(1, 1), PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("# %s\n", r);
	uint32_t c = reply_ctx(r), l = reply_leg(r, "Add");
	/* one telephone-event type, at the clock of the first codec (AMR-WB: 16000) */
	MXP_CHECK(t, strstr(r, "m=audio") != NULL && (strstr(r, "RTP/SAVP 116 118 111\r\n") != NULL ||
						      strstr(r, "RTP/SAVP 116 118 111\n") != NULL));
	MXP_CHECK(t, strstr(r, "a=rtpmap:110") == NULL);
	MXP_CHECK(t, strstr(r, "a=rtpmap:107") == NULL && strstr(r, "a=rtpmap:96") == NULL &&
		     strstr(r, "a=fmtp:107") == NULL && strstr(r, "a=fmtp:96") == NULL);
	MXP_CHECK(t, strstr(r, "a=rtpmap:116 AMR-WB/16000") != NULL &&
		     strstr(r, "a=rtpmap:118 AMR/8000") != NULL);
	struct mxp_leg_info li = leg(&e, l);
	MXP_CHECK_EQ(t, li.codec, MXP_MEDIA_CODEC_AMR_WB);
	MXP_CHECK_EQ(t, li.codec_pt, 116);
	MXP_CHECK(t, strstr(li.fmtp, "octet-align=1") == NULL);
	uint64_t sig = li.codecs_sig;
	/* the same offer again (a session refresh): nothing changes */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8020 RTP/SAVP 116 107 118 96 111 110\n"
		VOLTE_RTPMAP "%s\n} } } } } }", c, l, PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	li = leg(&e, l);
	MXP_CHECK(t, li.codecs_sig == sig && li.codec_changes == 0);
	/* octet-aligned first: the leg moves to it, the answer lists it and not 116 */
	r = transact(&e, "Transaction = 3 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8020 RTP/SAVP 107 116 96 118 111 110\n"
		VOLTE_RTPMAP "%s\n} } } } } }", c, l, PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	if (err_code(r))
		printf("# %s\n", r);
	li = leg(&e, l);
	MXP_CHECK_EQ(t, li.codec_pt, 107);
	MXP_CHECK(t, strstr(li.fmtp, "octet-align=1") != NULL);
	MXP_CHECK_EQ(t, li.codec_changes, 1);
	MXP_CHECK(t, strstr(r, "a=rtpmap:107 AMR-WB/16000") != NULL &&
		     strstr(r, "a=rtpmap:116") == NULL);
	/* the answer keeps each format's parameters: 96 is octet-aligned AMR too */
	MXP_CHECK(t, strstr(r, "a=fmtp:96 octet-align=1") != NULL);
	MXP_CHECK(t, strstr(r, "a=fmtp:107 octet-align=1") != NULL);
	MXP_CHECK(t, strstr(r, "a=fmtp:111 0-15") != NULL);
	/* AMR first: its telephone-event is the one at 8000 */
	r = transact(&e, "Transaction = 5 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8020 RTP/SAVP 96 107 111 110\n"
		VOLTE_RTPMAP "%s\n} } } } } }", c, l, PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "a=rtpmap:110 telephone-event/8000") != NULL &&
		     strstr(r, "a=rtpmap:111") == NULL);
	MXP_CHECK_EQ(t, leg(&e, l).codec_pt, 96);
	/* a long a=fmtp comes back whole */
	r = transact(&e, "Transaction = 4 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8020 RTP/SAVP 107 110\n"
		"a=rtpmap:107 AMR-WB/16000\na=fmtp:107 octet-align=1; mode-set=0,1,2,3,4,5,6; "
		"mode-change-period=2; mode-change-capability=2; mode-change-neighbor=1\n"
		"a=rtpmap:110 telephone-event/8000\n%s\n} } } } } }", c, l, PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "a=fmtp:107 octet-align=1;mode-set=0,1,2,3,4,5,6;"
			       "mode-change-period=2;mode-change-capability=2;"
			       "mode-change-neighbor=1\r\n") != NULL ||
		     strstr(r, "a=fmtp:107 octet-align=1;mode-set=0,1,2,3,4,5,6;"
			       "mode-change-period=2;mode-change-capability=2;"
			       "mode-change-neighbor=1\n") != NULL);
	env_free(&e);
}

/*
 * mix: the answer lists only what the mixer decodes (RFC 3264 6.1): an offer that puts EVS
 * and GSM first is answered with PCMU and telephone-event, so the phone does not send a
 * format every packet of which would be refused. A switch conference forwards any format
 * and keeps them; an offer with nothing the mixer decodes is still refused.
 */
MXP_TEST(mix_answer_lists_only_what_it_decodes)
{
	struct env e = env_new();
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { Media { "
		"TerminationState { mxp/mode = mix }, Stream = 1 { "
		"Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 100 3 0 101\n%s\n}, "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8020 RTP/SAVP 100 3 0 101\n"
		"a=rtpmap:100 EVS/16000\na=rtpmap:101 telephone-event/8000\n%s\n} } } } } }",
		crypto(1, 1), PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t c = reply_ctx(r), l = reply_leg(r, "Add");
	MXP_CHECK(t, strstr(r, "RTP/SAVP 0 101\r\n") != NULL || strstr(r, "RTP/SAVP 0 101\n") != NULL);
	MXP_CHECK(t, strstr(r, "a=rtpmap:100") == NULL);
	MXP_CHECK_EQ(t, leg(&e, l).codec, MXP_MEDIA_CODEC_PCMU);
	/* a re-INVITE with only EVS: refused, nothing changes */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8020 RTP/SAVP 100\na=rtpmap:100 EVS/16000\n"
		"%s\n} } } } } }", c, l, PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK_EQ(t, leg(&e, l).codec, MXP_MEDIA_CODEC_PCMU);
	/* EVS and L16 are left out before telephone-event is narrowed: the AMR leg keeps the
	 * one at 8000 */
	r = transact(&e, "Transaction = 4 { Context = %u { Add = $ { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8040 RTP/SAVP 100 97 98 101 102\n"
		"a=rtpmap:100 EVS/16000\na=rtpmap:97 L16/16000\na=rtpmap:98 AMR/8000\n"
		"a=rtpmap:101 telephone-event/16000\na=rtpmap:102 telephone-event/8000\n"
		"%s\n} } } } } }", c, PEER_IP, crypto(6, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "RTP/SAVP 98 102\r\n") != NULL || strstr(r, "RTP/SAVP 98 102\n") != NULL);
	MXP_CHECK_EQ(t, leg(&e, reply_leg(r, "Add")).codec, MXP_MEDIA_CODEC_AMR);
	/* switch: forwarded as offered */
	r = transact(&e, "Transaction = 3 { Context = $ { Add = $ { Media { Stream = 1 { "
		"Remote {\nv=0\nc=IN IP4 %s\nm=audio 8030 RTP/SAVP 100 0\n"
		"a=rtpmap:100 EVS/16000\n%s\n} } } } } }", PEER_IP, crypto(4, 1));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "RTP/SAVP 100 0") != NULL && strstr(r, "a=rtpmap:100 EVS/16000") != NULL);
	env_free(&e);
}

/* ---- every error code, each changing nothing --------------------------------------------- */

MXP_TEST(every_error_code_changes_nothing)
{
	struct env e = env_new();
	uint32_t c1, c2;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c1);
	uint32_t l2 = add_leg(t, &e, "$", 3, &c2);
	struct mxp_leg_info busy = leg(&e, l1);
	char ml[2048];
	snprintf(ml, sizeof(ml), "%s", media("", crypto(9, 1), PEER_IP, 8100, crypto(10, 1)));
	char fwd[2048];
	snprintf(fwd, sizeof(fwd),
		 "Media { TerminationState { mxp/mode = forward }, Stream = 1 { Local {\nv=0\n"
		 "c=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n}, Remote {\nv=0\nc=IN IP4 %s\n"
		 "m=audio 8200 RTP/SAVP 0\n%s\n} } }", crypto(11, 1), PEER_IP, crypto(11, 1));
	uint32_t cf;
	const char *r = transact(&e, "Transaction = 5 { Context = $ { Add = $ { %s } } }", fwd);
	MXP_CHECK_EQ(t, err_code(r), 0);
	cf = reply_ctx(r);
	uint32_t lf = reply_leg(r, "Add");
	/* a context whose legs lib/conf removed behind the MRFP's back (the lab CLI) */
	uint32_t ce;
	uint32_t le = add_leg(t, &e, "$", 13, &ce);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(e.sys, le, NULL, NULL, 0), 0);

	struct {
		const char *what;
		char text[4096];
		unsigned int code;
	} cases[64];
	unsigned int n = 0;
#define CASE(w, c, ...) do { \
	cases[n].what = (w); \
	cases[n].code = (c); \
	snprintf(cases[n].text, sizeof(cases[n].text), __VA_ARGS__); \
	n++; \
} while (0)
	CASE("Add naming a termination", 430, "Transaction = 20 { Context = $ { Add = leg/77 { %s } } }", ml);
	CASE("Add of a termination in a context", 433,
	     "Transaction = 21 { Context = $ { Add = leg/%u { %s } } }", l1, ml);
	CASE("Add without Media", 441, "Transaction = 22 { Context = $ { Add = $ } }");
	CASE("Add in the null context", 421, "Transaction = 23 { Context = - { Add = $ { %s } } }", ml);
	CASE("Add in context *", 421, "Transaction = 24 { Context = * { Add = $ { %s } } }", ml);
	CASE("an unknown context", 411, "Transaction = 25 { Context = 99999 { Add = $ { %s } } }", ml);
	CASE("RTP/AVP without the lab flag", 515,
	     "Transaction = 26 { Context = $ { Add = $ { Media { Stream = 1 { Local {\nv=0\n"
	     "c=IN IP4 $\nm=audio $ RTP/AVP 0\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio 8100 RTP/AVP 0\n"
	     "} } } } } }", PEER_IP);
	CASE("mxp/plainrtp without the lab flag", 449,
	     "Transaction = 27 { Context = $ { Add = $ { Media { Stream = 1 { LocalControl { "
	     "mxp/plainrtp = on }, Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/AVP 0\n}, Remote {\nv=0\n"
	     "c=IN IP4 %s\nm=audio 8100 RTP/AVP 0\n} } } } } }", PEER_IP);
	CASE("Loopback", 517, "Transaction = 28 { Context = $ { Add = $ { %s } } }",
	     media("", crypto(9, 1), PEER_IP, 8100, crypto(10, 1)) /* mode replaced below */);
	char *lb = strstr(cases[n - 1].text, "SendReceive");
	memcpy(lb, "Loopback   ", 11);
	CASE("no Remote a=crypto", 441, "Transaction = 29 { Context = $ { Add = $ { %s } } }",
	     media("", crypto(9, 1), PEER_IP, 8100, ""));
	CASE("a bad a=crypto", 449, "Transaction = 30 { Context = $ { Add = $ { %s } } }",
	     media("", crypto(9, 1), PEER_IP, 8100,
		   "a=crypto:1 " SUITE " inline:c2hvcnQ=|2^31|1:4"));
	CASE("a signal of an unknown package", 440,
	     "Transaction = 31 { Context = %u { Modify = leg/%u { Signals { al/ri } } } }", c1, l1);
	CASE("a variable announcement (a switch conference plays tones)", 513,
	     "Transaction = 31 { Context = %u { Modify = leg/%u { Signals { an/apv { an = 1 } } "
	     "} } }", c1, l1);
	CASE("an event of another package", 440,
	     "Transaction = 32 { Context = %u { Modify = leg/%u { Events = 1 { al/on } } } }", c1, l1);
	CASE("an event mxp does not have", 512,
	     "Transaction = 33 { Context = %u { Modify = leg/%u { Events = 1 { mxp/nosuch } } } }", c1, l1);
	CASE("a Local address that is not ours", 449,
	     "Transaction = 34 { Context = $ { Add = $ { Media { Stream = 1 { Local {\nv=0\n"
	     "c=IN IP4 203.0.113.9\nm=audio $ RTP/SAVP 0\n%s\n}, Remote {\nv=0\nc=IN IP4 %s\n"
	     "m=audio 8100 RTP/SAVP 0\n%s\n} } } } } }", crypto(9, 1), PEER_IP, crypto(10, 1));
	CASE("a Local port in use", 510,
	     "Transaction = 35 { Context = $ { Add = $ { Media { Stream = 1 { Local {\nv=0\n"
	     "c=IN IP4 $\nm=audio %u RTP/SAVP 0\n%s\n}, Remote {\nv=0\nc=IN IP4 %s\n"
	     "m=audio 8100 RTP/SAVP 0\n%s\n} } } } } }", busy.local_port, crypto(9, 1), PEER_IP,
	     crypto(10, 1));
	CASE("two streams", 501,
	     "Transaction = 36 { Context = $ { Add = $ { Media { Stream = 1 { Local {\nv=0\n"
	     "c=IN IP4 $\nm=audio $ RTP/SAVP 0\n} }, Stream = 2 { Local {\nv=0\nc=IN IP4 $\n"
	     "m=audio $ RTP/SAVP 0\n} } } } } }");
	CASE("mxp/floor on Add", 449, "Transaction = 37 { Context = %u { Add = $ { Media { "
	     "TerminationState { mxp/floor = open }, Stream = 1 { Local {\nv=0\nc=IN IP4 $\n"
	     "m=audio $ RTP/SAVP 0\n%s\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio 8100 RTP/SAVP 0\n%s\n"
	     "} } } } } }", c1, crypto(9, 1), PEER_IP, crypto(10, 1));
	CASE("Add with another mode than the context's", 449, "Transaction = 38 { Context = %u { "
	     "Add = $ { Media { TerminationState { mxp/mode = mix }, Stream = 1 { Local {\nv=0\n"
	     "c=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n}, Remote {\nv=0\nc=IN IP4 %s\n"
	     "m=audio 8100 RTP/SAVP 0\n%s\n} } } } } }", c1, crypto(9, 1), PEER_IP, crypto(10, 1));
	CASE("Notify to the MRFP", 501, "Transaction = 39 { Context = %u { Notify = leg/%u { "
	     "ObservedEvents = 1 { mxp/ssrc } } } }", c1, l1);
	CASE("Context * with a wildcard", 501,
	     "Transaction = 40 { Context = * { Modify = * { Media { LocalControl { Mode = Inactive } } } } }");
	CASE("Context * with an unknown termination", 430,
	     "Transaction = 41 { Context = * { Modify = leg/99999 } }");
	CASE("Context * naming legs of two contexts", 435,
	     "Transaction = 42 { Context = * { Modify = leg/%u, Modify = leg/%u } }", l1, l2);
	CASE("a leg of another context", 435,
	     "Transaction = 43 { Context = %u { Modify = leg/%u } }", c1, l2);
	CASE("Modify in the null context", 421, "Transaction = 44 { Context = - { Modify = leg/%u } }", l1);
	CASE("Modify in context $", 411, "Transaction = 45 { Context = $ { Modify = leg/%u } }", l1);
	CASE("changing the mode of a running conference", 501, "Transaction = 46 { Context = %u { "
	     "Modify = leg/%u { Media { TerminationState { mxp/mode = mix } } } } }", c1, l1);
	CASE("mxp/topn outside switch", 449, "Transaction = 47 { Context = %u { "
	     "Modify = leg/%u { Media { TerminationState { mxp/topn = 2 } } } } }", cf, lf);
	CASE("mxp/keygroup on Modify", 449, "Transaction = 48 { Context = %u { "
	     "Modify = leg/%u { Media { Stream = 1 { LocalControl { mxp/keygroup = a } } } } } }", c1, l1);
	CASE("Remote with Modify = *", 449, "Transaction = 49 { Context = %u { Modify = * { Media { "
	     "Stream = 1 { Remote {\nv=0\nc=IN IP4 %s\nm=audio 8100 RTP/SAVP 0\n} } } } } }", c1, PEER_IP);
	CASE("another Local port", 501, "Transaction = 50 { Context = %u { Modify = leg/%u { Media { "
	     "Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio %u RTP/SAVP 0\n} } } } } }", c1, l1,
	     busy.local_port + 100);
	CASE("mxp/plainrtp change", 449, "Transaction = 51 { Context = %u { Modify = leg/%u { Media { "
	     "Stream = 1 { LocalControl { mxp/plainrtp = on } } } } } }", c1, l1);
	CASE("a rekey in forward mode", 501, "Transaction = 52 { Context = %u { Modify = leg/%u { "
	     "Media { Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n%s\n} } } } } }",
	     cf, lf, crypto(11, 1), crypto(12, 2));
	CASE("a new key under an MKI in use", 449, "Transaction = 53 { Context = %u { Modify = leg/%u { "
	     "Media { Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n} } } } } }",
	     c1, l1, crypto(40, 1));
	CASE("mxp/floor naming a leg of another context", 449, "Transaction = 54 { Context = %u { "
	     "Modify = leg/%u { Media { TerminationState { mxp/floor = leg/%u } } } } }", c1, l1, l2);
	CASE("asymmetric on a leg whose remote lib/conf refuses", 449, "Transaction = 55 { Context = %u { "
	     "Modify = leg/%u { Media { Stream = 1 { LocalControl { mxp/strict = on } } } }, "
	     "Modify = leg/%u { Media { Stream = 1 { LocalControl { mxp/asymmetric = on } } } } } }",
	     c1, l1, l1);
	CASE("audit of EventBuffer", 501, "Transaction = 56 { Context = %u { AuditValue = leg/%u { "
	     "Audit { EventBuffer } } } }", c1, l1);
	CASE("ServiceChange of a leg", 501, "Transaction = 57 { Context = %u { ServiceChange = leg/%u { "
	     "Services { Method = Forced } } } }", c1, l1);
	CASE("Subtract of an unknown leg", 430, "Transaction = 58 { Context = %u { Subtract = leg/99999 } }", c1);
	CASE("a wildcard matching nothing", 431, "Transaction = 59 { Context = %u { Modify = * { Media { "
	     "LocalControl { Mode = Inactive } } } } }", ce);
	CASE("an unknown mxp property", 450, "Transaction = 64 { Context = %u { Modify = leg/%u { "
	     "Media { TerminationState { mxp/nosuch = 1 } } } } }", c1, l1);
	CASE("a property twice", 456, "Transaction = 65 { Context = %u { Modify = leg/%u { Media { "
	     "Stream = 1 { LocalControl { mxp/mute = on, mxp/mute = off } } } } } }", c1, l1);
	CASE("a property of another package", 440, "Transaction = 66 { Context = %u { Modify = leg/%u { "
	     "Media { TerminationState { tdmc/ec = on } } } } }", c1, l1);
	CASE("a bad Remote SDP", 449, "Transaction = 67 { Context = %u { Modify = leg/%u { Media { "
	     "Stream = 1 { Remote {\nv=0\nc=IN IP4 999.1.1.1\nm=audio 8100 RTP/SAVP 0\n} } } } } }",
	     c1, l1);
	CASE("AuditCapability of an unknown leg", 430, "Transaction = 61 { Context = - { "
	     "AuditCapability = leg/99999 { Audit { } } } }");
	CASE("AuditCapability of Signals", 501, "Transaction = 62 { Context = %u { "
	     "AuditCapability = leg/%u { Audit { Signals } } } }", c1, l1);
	CASE("AuditCapability = * without a context", 431, "Transaction = 63 { Context = - { "
	     "AuditCapability = * { Audit { Media } } } }");
#undef CASE
	/* the "asymmetric" case changes leg 1 to strict first: the transaction stops at the
	 * second Modify, the first one stays (H.248.1 8.2.2); undo it after */
	for (unsigned int i = 0; i < n; i++) {
		uint32_t before = nconfs(&e);
		uint64_t errs = mxp_mrfp_counters(e.m)->err_by_code[cases[i].code];
		struct mxp_leg_info b1 = leg(&e, l1), b2 = leg(&e, l2);
		r = transact(&e, "%s", cases[i].text);
		unsigned int got = err_code(r);
		if (got != cases[i].code)
			fprintf(stderr, "# %s: expected %u\n# %s\n", cases[i].what, cases[i].code, r);
		MXP_CHECK_EQ(t, got, cases[i].code);
		MXP_CHECK_EQ(t, nconfs(&e), before);
		MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->err_by_code[cases[i].code], errs + 1);
		struct mxp_leg_info a1 = leg(&e, l1), a2 = leg(&e, l2);
		bool strict_case = strstr(cases[i].what, "asymmetric") != NULL;
		MXP_CHECK(t, a1.id == l1 && a2.id == l2);
		MXP_CHECK_EQ(t, a1.strict, b1.strict || strict_case);
		MXP_CHECK_EQ(t, a1.asymmetric, b1.asymmetric);
		MXP_CHECK_EQ(t, a1.mode, b1.mode);
		MXP_CHECK_EQ(t, a1.n_out_keys, b1.n_out_keys);
		MXP_CHECK_EQ(t, a1.n_in_keys, b1.n_in_keys);
		MXP_CHECK_EQ(t, a1.muted, b1.muted);
		MXP_CHECK_EQ(t, a2.mode, b2.mode);
		if (strict_case)
			transact(&e, "Transaction = 99 { Context = %u { Modify = leg/%u { Media { "
				 "Stream = 1 { LocalControl { mxp/strict = off } } } } } }", c1, l1);
	}
	/* an optional command that fails does not end the transaction */
	r = transact(&e, "Transaction = 70 { Context = %u { O-Modify = leg/99999, Modify = leg/%u { "
		     "Media { LocalControl { Mode = Inactive } } } } }", c1, l1);
	MXP_CHECK_EQ(t, err_code(r), 430);
	MXP_CHECK_EQ(t, leg(&e, l1).mode, MXP_SM_INACTIVE);
	env_free(&e);
}

/* ---- Modify, rekey, rollback ------------------------------------------------------------- */

MXP_TEST(modify_changes_mode_remote_and_floor)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c);
	add_leg(t, &e, "$", 3, NULL); /* another context */
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { Media { "
				 "Stream = 1 { LocalControl { Mode = ReceiveOnly, mxp/strict = on }, "
				 "Remote {\nv=0\nc=IN IP4 192.0.2.11\nm=audio 9000 RTP/SAVP 0\n} } } } } }",
				 c, l1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	struct mxp_leg_info li = leg(&e, l1);
	MXP_CHECK_EQ(t, li.mode, MXP_SM_SENDONLY); /* the MG receives only: the participant sends */
	MXP_CHECK(t, li.strict);
	MXP_CHECK_EQ(t, li.remote_port, 9000);
	struct mxp_ip want = ip("192.0.2.11");
	MXP_CHECK(t, mxp_ip_equal(&li.remote, &want));
	/* the floor to a leg, and open again */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Media { "
		     "TerminationState { mxp/floor = leg/%u } } } } }", c, l1, l1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	struct mxp_conf_info ci;
	mxp_conf_get(e.sys, c, &ci);
	MXP_CHECK_EQ(t, ci.floor, l1);
	r = transact(&e, "Transaction = 3 { Context = %u { Modify = leg/%u { Media { "
		     "TerminationState { mxp/floor = open, mxp/topn = 2 } } } } }", c, l1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	mxp_conf_get(e.sys, c, &ci);
	MXP_CHECK_EQ(t, ci.floor, 0);
	MXP_CHECK_EQ(t, ci.topn, 2);
	env_free(&e);
}

static int
out_active_mki(const struct mxp_leg_info *li)
{
	if (li->out_active < 0 || li->out_active >= li->n_out_keys)
		return -1;
	return li->out_keys[li->out_active].mki[li->out_keys[li->out_active].mki_len - 1];
}

MXP_TEST(rekey_in_two_steps)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_leg(t, &e, "$", 1, &c); /* Local crypto(1, MKI 1), Remote crypto(2, MKI 1) */
	struct mxp_leg_info li = leg(&e, l);
	char fp_old[9];
	memcpy(fp_old, li.out_keys[0].fp, 9);
	/* step 1: old and new listed, old first: the new one is installed beside the old */
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { Media { "
				 "Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n%s\n}, "
				 "Remote {\nv=0\nc=IN IP4 %s\nm=audio 8002 RTP/SAVP 0\n%s\n%s\n} } } } } }",
				 c, l, crypto(1, 1), crypto(21, 2), PEER_IP, crypto(2, 1), crypto(22, 2));
	MXP_CHECK_EQ(t, err_code(r), 0);
	li = leg(&e, l);
	MXP_CHECK_EQ(t, li.n_out_keys, 2);
	MXP_CHECK_EQ(t, li.n_in_keys, 2);
	MXP_CHECK_EQ(t, out_active_mki(&li), 1);
	/* step 2: the new one first, the old one no longer listed: switch and remove */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Media { "
		     "Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n}, "
		     "Remote {\nv=0\nc=IN IP4 %s\nm=audio 8002 RTP/SAVP 0\n%s\n} } } } } }",
		     c, l, crypto(21, 2), PEER_IP, crypto(22, 2));
	MXP_CHECK_EQ(t, err_code(r), 0);
	li = leg(&e, l);
	MXP_CHECK_EQ(t, li.n_out_keys, 1);
	MXP_CHECK_EQ(t, li.n_in_keys, 1);
	MXP_CHECK_EQ(t, out_active_mki(&li), 2);
	MXP_CHECK(t, strcmp(li.out_keys[0].fp, fp_old) != 0);
	MXP_CHECK_EQ(t, li.in_keys[0].mki[3], 2);
	/* both in one Modify (phase 1 installs and switches, phase 2 removes) */
	r = transact(&e, "Transaction = 3 { Context = %u { Modify = leg/%u { Media { "
		     "Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n%s\n} } } } } }",
		     c, l, crypto(31, 3));
	MXP_CHECK_EQ(t, err_code(r), 0);
	li = leg(&e, l);
	MXP_CHECK_EQ(t, li.n_out_keys, 1);
	MXP_CHECK_EQ(t, out_active_mki(&li), 3);
	env_free(&e);
}

/*
 * Modify = * with a new Local key and mxp/asymmetric: the plan passes for both legs, lib/conf
 * refuses asymmetric on the second (strict) leg in phase 1: the first leg, already changed,
 * is rolled back (asymmetric off, the new key removed, the old one active).
 */
MXP_TEST(failed_phase1_rolls_back_every_leg)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Add = $ { %s } } }", c,
				 media("mxp/strict = on", crypto(1, 1), PEER_IP, 8010, crypto(4, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t l2 = reply_leg(r, "Add");
	MXP_CHECK(t, l1 < l2);
	struct mxp_leg_info b1 = leg(&e, l1), b2 = leg(&e, l2);
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = * { Media { Stream = 1 { "
		     "LocalControl { Mode = Inactive, mxp/asymmetric = on }, Local {\nv=0\nc=IN IP4 $\n"
		     "m=audio $ RTP/SAVP 0\n%s\n%s\n} } } } } }", c, crypto(1, 1), crypto(50, 2));
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK(t, strstr(r, "(nothing chang") != NULL); /* the text is cut at 160 bytes */
	struct mxp_leg_info a1 = leg(&e, l1), a2 = leg(&e, l2);
	MXP_CHECK_EQ(t, a1.asymmetric, false);
	MXP_CHECK_EQ(t, a1.mode, b1.mode);
	MXP_CHECK_EQ(t, a1.n_out_keys, b1.n_out_keys);
	MXP_CHECK_EQ(t, out_active_mki(&a1), out_active_mki(&b1));
	MXP_CHECK_EQ(t, a2.asymmetric, false);
	MXP_CHECK_EQ(t, a2.mode, b2.mode);
	MXP_CHECK_EQ(t, a2.n_out_keys, b2.n_out_keys);
	MXP_CHECK_EQ(t, out_active_mki(&a2), out_active_mki(&b2));
	/* the same Modify without asymmetric goes through on both */
	r = transact(&e, "Transaction = 3 { Context = %u { Modify = * { Media { Stream = 1 { "
		     "LocalControl { Mode = Inactive }, Local {\nv=0\nc=IN IP4 $\n"
		     "m=audio $ RTP/SAVP 0\n%s\n%s\n} } } } } }", c, crypto(1, 1), crypto(50, 2));
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, leg(&e, l1).n_out_keys, 2);
	MXP_CHECK(t, leg(&e, l2).strict); /* the Move's descriptors apply */
	env_free(&e);
}

/*
 * A failing command ends the transaction: the commands after it are not applied, those
 * before it keep their effect (H.248.1 8.2.2: commands are not transactional across each
 * other), and a context the action created is removed again when it ends up empty.
 */
MXP_TEST(failing_command_ends_the_transaction)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { Media { "
				 "LocalControl { Mode = Inactive } } }, Modify = leg/99999, Modify = "
				 "leg/%u { Media { Stream = 1 { LocalControl { mxp/mute = on } } } } } }",
				 c, l1, l1);
	MXP_CHECK_EQ(t, err_code(r), 430);
	MXP_CHECK_EQ(t, leg(&e, l1).mode, MXP_SM_INACTIVE);
	MXP_CHECK(t, !leg(&e, l1).muted);
	MXP_CHECK(t, strstr(r, "mute") == NULL); /* the third command got no reply */
	/* Context $: the first Add fails: nothing is created, the reply names no context */
	r = transact(&e, "Transaction = 2 { Context = $ { Add = $ { %s }, Add = $ { %s } } }",
		     media("", crypto(5, 1), PEER_IP, 8100, ""),
		     media("", crypto(6, 1), PEER_IP, 8102, crypto(7, 1)));
	MXP_CHECK_EQ(t, err_code(r), 441);
	MXP_CHECK_EQ(t, nconfs(&e), 1);
	MXP_CHECK(t, strstr(r, "Context = -") != NULL);
	/* the second Add fails: the first leg and its context stay */
	r = transact(&e, "Transaction = 3 { Context = $ { Add = $ { %s }, Add = $ { %s } } }",
		     media("", crypto(6, 1), PEER_IP, 8102, crypto(7, 1)),
		     media("", crypto(5, 1), PEER_IP, 8100, ""));
	MXP_CHECK_EQ(t, err_code(r), 441);
	MXP_CHECK_EQ(t, nconfs(&e), 2);
	env_free(&e);
}

/* ---- wildcards, Subtract, Audit ---------------------------------------------------------- */

MXP_TEST(wildcards_and_subtract)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c);
	uint32_t l2 = 0;
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Add = $ { %s } } }", c,
				 media("", crypto(3, 1), PEER_IP, 8010, crypto(4, 1)));
	l2 = reply_leg(r, "Add");
	uint32_t c2;
	uint32_t l3 = add_leg(t, &e, "$", 5, &c2);
	/* Modify = * changes every leg of the context, none of another */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = * { Media { Stream = 1 { "
		     "LocalControl { mxp/mute = on } } } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, leg(&e, l1).muted && leg(&e, l2).muted);
	MXP_CHECK(t, !leg(&e, l3).muted);
	/* Context = * with a named termination: the termination's context */
	r = transact(&e, "Transaction = 3 { Context = * { Modify = leg/%u { Media { Stream = 1 { "
		     "LocalControl { mxp/mute = off } } } } } }", l3);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK_EQ(t, reply_ctx(r), c2);
	/* AuditValue = *: one reply command per leg */
	r = transact(&e, "Transaction = 4 { Context = %u { AuditValue = * { Audit { Media } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	char a1[32], a2[32];
	snprintf(a1, sizeof(a1), "AuditValue = leg/%u", l1);
	snprintf(a2, sizeof(a2), "AuditValue = leg/%u", l2);
	MXP_CHECK(t, strstr(r, a1) != NULL && strstr(r, a2) != NULL);
	/* Subtract = *: every leg, with statistics; the empty context ends */
	r = transact(&e, "Transaction = 5 { Context = %u { Subtract = * } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	snprintf(a1, sizeof(a1), "Subtract = leg/%u", l1);
	snprintf(a2, sizeof(a2), "Subtract = leg/%u", l2);
	MXP_CHECK(t, strstr(r, a1) != NULL && strstr(r, a2) != NULL);
	MXP_CHECK(t, strstr(r, "rtp/ps") != NULL);
	MXP_CHECK_EQ(t, leg(&e, l1).id, 0);
	MXP_CHECK_EQ(t, leg(&e, l2).id, 0);
	MXP_CHECK(t, mxp_mrfp_leg_find(e.m, l1) == NULL);
	struct mxp_conf_info ci;
	MXP_CHECK_EQ(t, mxp_conf_get(e.sys, c, &ci), -ENOENT);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->legs, 1);
	/* Subtract without statistics when the Audit descriptor asks for none */
	r = transact(&e, "Transaction = 6 { Context = %u { Subtract = leg/%u { Audit { } } } }", c2, l3);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "rtp/ps") == NULL);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	env_free(&e);
}

/* A new context of n legs (keys from seed on, two seeds a leg); its id. */
static uint32_t
ctx_of_legs(struct mxp_test_ctx *t, struct env *e, unsigned int n, unsigned int seed)
{
	uint32_t c;
	add_leg(t, e, "$", seed, &c);
	char cs[16];
	snprintf(cs, sizeof(cs), "%u", c);
	for (unsigned int i = 1; i < n; i++)
		add_leg(t, e, cs, seed + 2 * i, NULL);
	return c;
}

/* A wildcard audit answers for at most 64 legs (their statistics fill a reply). */
MXP_TEST(wildcard_audit_of_too_many_legs)
{
	struct env e = env_new();
	uint32_t c = ctx_of_legs(t, &e, 65, 1);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, c, NULL, 0), 65);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { AuditValue = * { Audit { } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 510);
	/* Modify = * takes them all */
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = * { Media { Stream = 1 { "
		     "LocalControl { mxp/mute = on } } } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t ids[65];
	mxp_conf_legs(e.sys, c, ids, 65);
	unsigned int muted = 0;
	for (int i = 0; i < 65; i++)
		muted += leg(&e, ids[i]).muted;
	MXP_CHECK_EQ(t, muted, 65);
	env_free(&e);
}

/*
 * Subtract = * removes every leg of a large context: one wildcard reply for `*` when the
 * legs' replies with statistics would not fit in a reply (or with W-), never a list cut
 * off with legs left behind; a few legs still get a reply each with statistics.
 */
MXP_TEST(subtract_wildcard_of_many_legs)
{
	struct env e = env_new();
	uint32_t c = ctx_of_legs(t, &e, 100, 1);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, c, NULL, 0), 100);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->legs, 100);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Subtract = * } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "Subtract = *") != NULL);
	MXP_CHECK(t, strstr(r, "Subtract = leg/") == NULL);
	struct mxp_conf_info ci;
	MXP_CHECK_EQ(t, mxp_conf_get(e.sys, c, &ci), -ENOENT);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->legs, 0);
	/* ten legs: their statistics would not fit (about 8 do) */
	c = ctx_of_legs(t, &e, 10, 300);
	r = transact(&e, "Transaction = 2 { Context = %u { Subtract = * } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "Subtract = *") != NULL && strstr(r, "rtp/ps") == NULL);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	/* ten legs without statistics: a reply each */
	c = ctx_of_legs(t, &e, 10, 400);
	r = transact(&e, "Transaction = 3 { Context = %u { Subtract = * { Audit { } } } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	unsigned int each = 0;
	for (const char *p = r; (p = strstr(p, "Subtract = leg/")) != NULL; p++)
		each++;
	MXP_CHECK_EQ(t, each, 10u);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	/* two legs with W-: one wildcard reply */
	c = ctx_of_legs(t, &e, 2, 500);
	r = transact(&e, "Transaction = 4 { Context = %u { W-Subtract = * } }", c);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "Subtract = *") != NULL && strstr(r, "Subtract = leg/") == NULL);
	MXP_CHECK_EQ(t, nconfs(&e), 0);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->legs, 0);
	env_free(&e);
}

MXP_TEST(audit_value)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_leg(t, &e, "$", 1, &c);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { "
				 "Events = 44 { mxp/authfail, mxp/ssrc } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	r = transact(&e, "Transaction = 2 { Context = %u { AuditValue = leg/%u { Audit { Media, "
		     "Statistics, Events } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	struct mxp_leg_info li = leg(&e, l);
	char want[64];
	snprintf(want, sizeof(want), "m=audio %u RTP/SAVP 0", li.local_port);
	MXP_CHECK(t, strstr(r, want) != NULL);
	MXP_CHECK(t, strstr(r, "m=audio 8002 RTP/SAVP 0") != NULL); /* Remote */
	MXP_CHECK(t, strstr(r, "mxp/strict = off") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/mute = off") != NULL);
	MXP_CHECK(t, strstr(r, "rtp/ps = 0") != NULL);
	MXP_CHECK(t, strstr(r, "Events = 44") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/authfail") != NULL && strstr(r, "mxp/ssrc") != NULL);
	MXP_CHECK(t, strstr(r, "inline:") == NULL); /* never a key */
	/* ROOT: the number of contexts */
	r = transact(&e, "Transaction = 3 { Context = - { AuditValue = ROOT { Audit { Statistics } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "mxp/contexts = 1") != NULL);
	/* ServiceChange of ROOT (an MRFC announcing itself) is acknowledged */
	r = transact(&e, "Transaction = 4 { Context = - { ServiceChange = ROOT { Services { "
		     "Method = Handoff } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "ServiceChange = ROOT") != NULL);
	MXP_CHECK(t, strstr(r, "Version = 3") != NULL);
	env_free(&e);
}

/* ---- Move ---------------------------------------------------------------------------------- */

/* Move = leg/N into context ctx with the leg's keys (those add_leg() gave it). */
static const char *
move(struct env *e, uint32_t tid, const char *ctx, uint32_t l, unsigned int s, const char *lc)
{
	return transact(e, "Transaction = %u { Context = %s { Move = leg/%u { %s } } }", tid, ctx, l,
			media(lc, crypto(s, 1), PEER_IP, 8000 + 2 * s, crypto(s + 1, 1)));
}

MXP_TEST(move_between_contexts)
{
	struct env e = env_new();
	uint32_t c1, c2;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c1);
	uint32_t l2;
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Add = $ { %s } } }", c1,
				 media("", crypto(3, 1), PEER_IP, 8006, crypto(4, 1)));
	l2 = reply_leg(r, "Add");
	uint32_t l3 = add_leg(t, &e, "$", 5, &c2);
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "LocalControl { mxp/mute = on } } }, Events = 5 { mxp/authfail } } } }", c1, l1);
	MXP_CHECK_EQ(t, err_code(r), 0);
	struct mxp_leg_info b = leg(&e, l1);
	char cbuf[16];
	snprintf(cbuf, sizeof(cbuf), "%u", c2);
	r = move(&e, 3, cbuf, l1, 1, "");
	MXP_CHECK_EQ(t, err_code(r), 0);
	char want[64];
	snprintf(want, sizeof(want), "Move = leg/%u", l1);
	MXP_CHECK(t, strstr(r, want) != NULL);
	MXP_CHECK_EQ(t, reply_ctx(r), c2);
	struct mxp_leg_info a = leg(&e, l1);
	MXP_CHECK_EQ(t, a.id, l1);               /* the same termination */
	MXP_CHECK_EQ(t, a.conf_id, c2);
	MXP_CHECK_EQ(t, a.local_port, b.local_port);
	MXP_CHECK(t, mxp_ip_equal(&a.local, &b.local));
	MXP_CHECK_EQ(t, a.remote_port, b.remote_port);
	MXP_CHECK(t, a.muted);                   /* kept */
	MXP_CHECK_EQ(t, a.n_in_keys, 1);
	MXP_CHECK_STR(t, a.in_keys[0].fp, b.in_keys[0].fp);
	MXP_CHECK_STR(t, a.out_keys[0].fp, b.out_keys[0].fp);
	snprintf(want, sizeof(want), "m=audio %u RTP/SAVP 0", b.local_port);
	MXP_CHECK(t, strstr(r, want) != NULL);
	const struct mxp_mrfp_leg *rec = mxp_mrfp_leg_find(e.m, l1);
	MXP_CHECK(t, rec != NULL && rec->ctx == c2 && rec->ev == MXP_MRFP_EV_AUTHFAIL && rec->rid == 5);
	int n = mxp_conf_legs(e.sys, c2, NULL, 0);
	MXP_CHECK_EQ(t, n, 2);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, c1, NULL, 0), 1);
	MXP_CHECK_EQ(t, leg(&e, l2).conf_id, c1);
	MXP_CHECK_EQ(t, leg(&e, l3).conf_id, c2);
	/* the last leg of a context moves: the context ends */
	r = move(&e, 4, cbuf, l2, 3, "mxp/strict = on");
	MXP_CHECK_EQ(t, err_code(r), 0);
	struct mxp_conf_info ci;
	MXP_CHECK_EQ(t, mxp_conf_get(e.sys, c1, &ci), -ENOENT);
	MXP_CHECK(t, leg(&e, l2).strict); /* the Move's descriptors apply */
	/* into a new context ($) */
	r = move(&e, 5, "$", l3, 5, "");
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t c3 = reply_ctx(r);
	MXP_CHECK(t, c3 != 0 && c3 != c2);
	MXP_CHECK_EQ(t, leg(&e, l3).conf_id, c3);
	MXP_CHECK_EQ(t, nconfs(&e), 2);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, c2, NULL, 0), 2);
	/* lib/conf gives a leg an earlier id only if it is free and was given before */
	struct mxp_leg_params lp = { .id = 99999, .af = AF_INET };
	MXP_CHECK_EQ(t, mxp_conf_leg_add(e.sys, c2, &lp, NULL, NULL, 0), -EEXIST);
	lp.id = l1;
	MXP_CHECK_EQ(t, mxp_conf_leg_add(e.sys, c2, &lp, NULL, NULL, 0), -EEXIST);
	env_free(&e);
}

/* An SRTCP receiver report of the participant (SSRC 0x1234), protected by its context, to
 * the leg's RTCP port; kept (when kept != NULL) to be replayed. */
static void
send_srtcp_rr(struct sender *sd, const struct mxp_leg_info *li, uint8_t *kept, size_t *kept_len)
{
	uint8_t p[8 + MXP_SRTP_MAX_TRAILER + 4];
	p[0] = 0x80, p[1] = 201, p[2] = 0, p[3] = 1;
	uint32_t ssrc_be = htonl(0x1234);
	memcpy(p + 4, &ssrc_be, 4);
	size_t len = 8;
	if (mxp_srtcp_protect(sd->ctx, p, &len, sizeof(p)) != 0)
		abort();
	if (kept != NULL) {
		memcpy(kept, p, len);
		*kept_len = len;
	}
	struct mxp_leg_info to = *li;
	to.remote_port = li->remote_rtcp_port; /* send_to_leg() sends from remote_port */
	to.local_port = li->local_rtcp_port;   /* to local_port */
	send_to_leg(&to, p, len);
}

/*
 * A Move re-creates the leg in the other context: the participant's SRTP stream goes on
 * where it was. Past a sequence-number wrap (ROC 1) a new stream would estimate ROC 0 and
 * refuse every packet as forged (RFC 3711 3.3.1).
 */
MXP_TEST(move_keeps_the_participants_rollover_counter)
{
	struct env e = env_new();
	uint32_t c1, c2;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c1);
	add_leg(t, &e, "$", 5, &c2);
	struct mxp_leg_info li = leg(&e, l1);
	struct sender a;
	sender_init(&a, 2, 0x1234); /* add_leg(.., 1, ..): the participant's key is seed 2 */
	a.seq = 65534;
	for (int i = 0; i < 2; i++) /* 65534, 65535 */
		good_srtp(&a, 0x1234, &li);
	/* seq 0 under ROC 1, kept to be replayed after the Move, then 1 */
	uint8_t kept[12 + 40 + MXP_SRTP_MAX_TRAILER];
	memset(kept, 0x55, sizeof(kept));
	kept[0] = 0x80;
	kept[1] = 0;
	kept[2] = 0;
	kept[3] = 0;
	uint32_t ssrc_be = htonl(0x1234);
	memcpy(kept + 8, &ssrc_be, 4);
	size_t kept_len = 12 + 40;
	if (mxp_srtp_protect(a.ctx, kept, &kept_len, sizeof(kept)) != 0)
		abort();
	send_to_leg(&li, kept, kept_len);
	a.seq = 1;
	good_srtp(&a, 0x1234, &li);
	li = leg(&e, l1);
	MXP_CHECK_EQ(t, li.st.rx_pkts, 4);
	MXP_CHECK(t, li.rx_state.valid && li.rx_state.roc == 1 && li.rx_state.s_l == 1);
	/* two SRTCP reports, SRTCP index 0 kept to be replayed after the Move */
	uint8_t kept_rtcp[8 + MXP_SRTP_MAX_TRAILER + 4];
	size_t kept_rtcp_len = 0;
	send_srtcp_rr(&a, &li, kept_rtcp, &kept_rtcp_len);
	/* the second from another port of its address (a NAT's): the leg learns its RTCP
	 * port, which the Move keeps, its Remote naming the leg's own address and port */
	struct mxp_leg_info nat = li;
	nat.remote_rtcp_port = 9100;
	send_srtcp_rr(&a, &nat, NULL, NULL);
	li = leg(&e, l1);
	MXP_CHECK_EQ(t, li.st.rtcp_rx, 2);
	MXP_CHECK(t, li.rx_state.srtcp_valid && li.rx_state.srtcp_index == 1);
	MXP_CHECK_EQ(t, li.remote_rtcp_port, 9100);
	char cbuf[16];
	snprintf(cbuf, sizeof(cbuf), "%u", c2);
	MXP_CHECK_EQ(t, err_code(move(&e, 3, cbuf, l1, 1, "")), 0);
	li = leg(&e, l1);
	MXP_CHECK_EQ(t, li.conf_id, c2);
	MXP_CHECK_EQ(t, li.remote_rtcp_port, 9100);
	for (int i = 0; i < 3; i++) /* 2, 3, 4 */
		good_srtp(&a, 0x1234, &li);
	li = leg(&e, l1);
	MXP_CHECK_EQ(t, li.st.rx_pkts, 3);
	MXP_CHECK_EQ(t, li.st.auth_failures, 0);
	MXP_CHECK(t, li.rx_state.roc == 1 && li.rx_state.s_l == 4 && li.rx_state.ssrc == 0x1234);
	/* what was sent before the Move cannot be replayed after it */
	send_to_leg(&li, kept, kept_len);
	MXP_CHECK_EQ(t, leg(&e, l1).st.rx_pkts, 3);
	MXP_CHECK_EQ(t, leg(&e, l1).st.replays, 1);
	/* nor SRTCP: the report of index 0 is a replay, the next index is taken */
	send_to_leg(&(struct mxp_leg_info){ .remote = li.remote, .local = li.local,
					    .remote_port = li.remote_rtcp_port,
					    .local_port = li.local_rtcp_port, .port_idx = li.port_idx },
		    kept_rtcp, kept_rtcp_len);
	MXP_CHECK_EQ(t, leg(&e, l1).st.rtcp_rx, 0);
	MXP_CHECK_EQ(t, leg(&e, l1).st.replays, 2);
	send_srtcp_rr(&a, &li, NULL, NULL);
	MXP_CHECK_EQ(t, leg(&e, l1).st.rtcp_rx, 1);
	MXP_CHECK(t, leg(&e, l1).rx_state.srtcp_index == 2);
	/* another SSRC under the key is a new stream: refused as on any leg past its first */
	struct sender b;
	sender_init(&b, 2, 0x5678);
	good_srtp(&b, 0x5678, &li);
	MXP_CHECK_EQ(t, leg(&e, l1).st.rx_pkts, 3);
	good_srtp(&a, 0x1234, &li);
	MXP_CHECK_EQ(t, leg(&e, l1).st.rx_pkts, 4);
	sender_fini(&b);
	sender_fini(&a);
	env_free(&e);
}

/* A Move the target refuses puts the leg back as it was; refused requests change nothing. */
MXP_TEST(move_refused_changes_nothing)
{
	struct env e = env_new();
	uint32_t c1;
	uint32_t l1 = add_leg(t, &e, "$", 1, &c1);
	uint32_t l2;
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Add = $ { %s } } }", c1,
				 media("", crypto(3, 1), PEER_IP, 8006, crypto(4, 1)));
	l2 = reply_leg(r, "Add");
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Media { Stream = 1 { "
		     "LocalControl { mxp/mute = on } } } } } }", c1, l1);
	/* a forward conference: its legs must all use the conference key, leg 1's differ */
	r = transact(&e, "Transaction = 3 { Context = $ { Add = $ { Media { TerminationState { "
		     "mxp/mode = forward }, Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n"
		     "%s\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio 8200 RTP/SAVP 0\n%s\n} } } } } }",
		     crypto(11, 1), PEER_IP, crypto(11, 1));
	uint32_t cf = reply_ctx(r);
	struct mxp_leg_info b = leg(&e, l1);
	char cbuf[16];
	snprintf(cbuf, sizeof(cbuf), "%u", cf);
	r = move(&e, 4, cbuf, l1, 1, "");
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK(t, strstr(r, "(nothing changed)") != NULL);
	struct mxp_leg_info a = leg(&e, l1);
	MXP_CHECK_EQ(t, a.id, l1);
	MXP_CHECK_EQ(t, a.conf_id, c1);
	MXP_CHECK_EQ(t, a.local_port, b.local_port);
	MXP_CHECK_EQ(t, a.remote_port, b.remote_port);
	MXP_CHECK(t, a.muted);
	MXP_CHECK_EQ(t, a.mode, b.mode);
	MXP_CHECK_STR(t, a.in_keys[0].fp, b.in_keys[0].fp);
	MXP_CHECK_STR(t, a.out_keys[0].fp, b.out_keys[0].fp);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, c1, NULL, 0), 2);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, cf, NULL, 0), 1);
	MXP_CHECK(t, mxp_mrfp_leg_find(e.m, l1) != NULL && mxp_mrfp_leg_find(e.m, l1)->ctx == c1);
	/* refused by the target before the leg leaves: it keeps its own codecs (PCMU), not the
	 * Move's (PCMA), which a leg put back got */
	r = transact(&e, "Transaction = 5 { Context = %u { Move = leg/%u { Media { Stream = 1 { "
		     "Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 8\n%s\n}, "
		     "Remote {\nv=0\nc=IN IP4 %s\nm=audio 8002 RTP/SAVP 8\n%s\n} } } } } }",
		     cf, l1, crypto(1, 1), PEER_IP, crypto(2, 1));
	MXP_CHECK_EQ(t, err_code(r), 449);
	MXP_CHECK(t, strstr(r, "forward mode") != NULL && strstr(r, "(nothing changed)") != NULL);
	a = leg(&e, l1);
	MXP_CHECK_EQ(t, a.codecs_sig, b.codecs_sig);
	MXP_CHECK_EQ(t, a.conf_id, c1);
	MXP_CHECK(t, a.muted);
	MXP_CHECK_EQ(t, mxp_conf_legs(e.sys, cf, NULL, 0), 1);
	/* refused before anything is touched */
	snprintf(cbuf, sizeof(cbuf), "%u", c1);
	char c2buf[16];
	uint32_t c2;
	add_leg(t, &e, "$", 7, &c2);
	snprintf(c2buf, sizeof(c2buf), "%u", c2);
	struct {
		const char *what;
		unsigned int got; /* the code of the reply (the reply's buffer is reused) */
		unsigned int code;
	} refused[] = {
		{ "into its own context", err_code(move(&e, 10, cbuf, l1, 1, "")), 433 },
		{ "another leg's keys", err_code(move(&e, 11, c2buf, l1, 3, "")), 449 },
		{ "into the null context", err_code(move(&e, 12, "-", l1, 1, "")), 421 },
		{ "into context *", err_code(move(&e, 13, "*", l1, 1, "")), 421 },
		{ "an unknown leg", err_code(move(&e, 14, c2buf, 99999, 1, "")), 430 },
		{ "a changed mode of conference", err_code(transact(&e, "Transaction = 15 { Context = %u { "
		  "Move = leg/%u { Media { TerminationState { mxp/mode = mix } } } } }", c2, l1)), 449 },
		{ "without Media", err_code(transact(&e, "Transaction = 16 { Context = %u { Move = leg/%u } }", c2,
		  l1)), 441 },
		{ "a wildcard", err_code(transact(&e, "Transaction = 17 { Context = %u { Move = * } }", c2)), 501 },
		{ "no keys", err_code(transact(&e, "Transaction = 18 { Context = %u { Move = leg/%u { %s } } }",
		  c2, l1, media("", "", PEER_IP, 8002, ""))), 441 },
	};
	for (unsigned int i = 0; i < RTE_DIM(refused); i++) {
		unsigned int got = refused[i].got;
		if (got != refused[i].code)
			fprintf(stderr, "# %s: expected %u\n", refused[i].what, refused[i].code);
		MXP_CHECK_EQ(t, got, refused[i].code);
	}
	(void)l2;
	a = leg(&e, l1);
	MXP_CHECK_EQ(t, a.conf_id, c1);
	MXP_CHECK_EQ(t, a.local_port, b.local_port);
	MXP_CHECK_EQ(t, nconfs(&e), 3);
	env_free(&e);
}

/* ---- AuditCapability ---------------------------------------------------------------------- */

MXP_TEST(audit_capability)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_leg(t, &e, "$", 1, &c);
	struct mxp_leg_info li = leg(&e, l);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { AuditCapability = leg/%u { "
				 "Audit { Media, Events, Statistics } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	char want[64];
	snprintf(want, sizeof(want), "AuditCapability = leg/%u", l);
	MXP_CHECK(t, strstr(r, want) != NULL);
	MXP_CHECK(t, strstr(r, "Mode = [SendOnly,ReceiveOnly,SendReceive,Inactive]") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/strict = [on,off]") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/asymmetric = [on,off]") != NULL);
	/* switch: the leg takes what it was given (the payload is passed on) */
	snprintf(want, sizeof(want), "m=audio %u RTP/SAVP 0\r\n", li.local_port);
	MXP_CHECK(t, strstr(r, want) != NULL);
	MXP_CHECK(t, strstr(r, "mxp/authfail") != NULL && strstr(r, "mxp/keylimit") != NULL &&
		     strstr(r, "mxp/ssrc") != NULL);
	/* digits are detected in every mode */
	MXP_CHECK(t, strstr(r, "mxp/dtmf") != NULL && strstr(r, "dd/std") != NULL);
	MXP_CHECK(t, strstr(r, "rtp/ps") != NULL && strstr(r, "mxp/refused") != NULL);
	MXP_CHECK(t, strstr(r, "rtp/ps =") == NULL); /* names, not values */
	MXP_CHECK(t, strstr(r, "inline:") == NULL);
	/* the null context: the termination wherever it is; an empty Audit: the id only */
	r = transact(&e, "Transaction = 2 { Context = - { AuditCapability = leg/%u { Audit { } } } }", l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "AuditCapability = leg/") != NULL && strstr(r, "Media") == NULL);
	/* a mix leg: the codecs the mixer decodes and RFC 4733 events */
	r = transact(&e, "Transaction = 3 { Context = $ { Add = $ { Media { TerminationState { "
		     "mxp/mode = mix }, Stream = 1 { Local {\nv=0\nc=IN IP4 $\nm=audio $ RTP/SAVP 0\n"
		     "%s\n}, Remote {\nv=0\nc=IN IP4 %s\nm=audio 8010 RTP/SAVP 0\n%s\n} } } } } }",
		     crypto(5, 1), PEER_IP, crypto(6, 1));
	uint32_t cm = reply_ctx(r), lm = reply_leg(r, "Add");
	li = leg(&e, lm);
	r = transact(&e, "Transaction = 4 { Context = %u { AuditCapability = * { Audit { Media, Events } } } }",
		     cm);
	MXP_CHECK_EQ(t, err_code(r), 0);
	snprintf(want, sizeof(want), "m=audio %u RTP/SAVP 0 8 9 ", li.local_port);
	MXP_CHECK(t, strstr(r, want) != NULL);
	MXP_CHECK(t, strstr(r, " telephone-event/8000") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/dtmf") != NULL);
	/* ROOT: what a context can be */
	r = transact(&e, "Transaction = 5 { Context = - { AuditCapability = ROOT { Audit { Media, "
		     "Statistics } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "mxp/mode = [mix,switch,forward]") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/topn = [1:16]") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/plainrtp = off") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/contexts") != NULL);
	/* nothing changed */
	MXP_CHECK_EQ(t, nconfs(&e), 2);
	MXP_CHECK_EQ(t, leg(&e, l).conf_id, c);
	env_free(&e);
}

/* ---- TransactionPending ------------------------------------------------------------------ */

MXP_TEST(pending_once_the_transaction_takes_long)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_leg(t, &e, "$", 1, &c);
	/* a quick transaction: no Pending */
	transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u, Modify = leg/%u } }", c, l, l);
	MXP_CHECK_EQ(t, n_pending, 0);
	/* every clock reading 60 ms later, pending_ms 100: one Pending, however many commands */
	tick_ms = 60;
	transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u, Modify = leg/%u, "
		 "Modify = leg/%u, Modify = leg/%u } }", c, l, l, l, l);
	MXP_CHECK_EQ(t, n_pending, 1);
	transact(&e, "Transaction = 3 { Context = %u { Modify = leg/%u, Modify = leg/%u, "
		 "Modify = leg/%u } }", c, l, l, l);
	MXP_CHECK_EQ(t, n_pending, 2);
	env_free(&e);
}

/* ---- events ------------------------------------------------------------------------------- */

MXP_TEST(events_are_notified_once)
{
	struct env e = env_new();
	uint32_t c;
	uint32_t l = add_leg(t, &e, "$", 1, &c);
	const char *r = transact(&e, "Transaction = 1 { Context = %u { Modify = leg/%u { Media { "
				 "Stream = 1 { LocalControl { mxp/afthresh = 3 } } }, "
				 "Events = 7 { mxp/authfail } } } }", c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	struct mxp_leg_info li = leg(&e, l);
	for (uint16_t s = 0; s < 2; s++)
		bad_srtp(&li, s);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 0); /* 2 failures, threshold 3 */
	bad_srtp(&li, 2);
	MXP_CHECK_EQ(t, leg(&e, l).st.auth_failures, 3);

	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 1);
	char term[32], ctx[32];
	snprintf(term, sizeof(term), "Notify = leg/%u", l);
	snprintf(ctx, sizeof(ctx), "Context = %u", c);
	MXP_CHECK(t, strstr(notify_text[0], term) != NULL);
	MXP_CHECK(t, strstr(notify_text[0], ctx) != NULL);
	MXP_CHECK(t, strstr(notify_text[0], "ObservedEvents = 7") != NULL);
	MXP_CHECK(t, strstr(notify_text[0], "mxp/authfail") != NULL);
	MXP_CHECK(t, strstr(notify_text[0], "count=3") != NULL);
	/* once per threshold: nothing new, nothing said */
	mxp_mrfp_events_poll(e.m, 0);
	bad_srtp(&li, 3);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 1);
	bad_srtp(&li, 4);
	bad_srtp(&li, 5);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 2);
	MXP_CHECK(t, strstr(notify_text[1], "count=6") != NULL);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->notifies, 2);
	/* a Notify the daemon could not send is not counted */
	notify_result = -EHOSTUNREACH;
	for (uint16_t s = 6; s < 9; s++)
		bad_srtp(&li, s);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->notifies, 2);
	/* another Events descriptor replaces the first: authfail is no longer reported */
	notify_result = 0;
	r = transact(&e, "Transaction = 2 { Context = %u { Modify = leg/%u { Events = 8 { mxp/ssrc } } } }",
		     c, l);
	MXP_CHECK_EQ(t, err_code(r), 0);
	for (uint16_t s = 9; s < 15; s++)
		bad_srtp(&li, s);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 2);
	/* a leg removed behind the MRFP's back is forgotten at the next poll */
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(e.sys, l, NULL, NULL, 0), 0);
	MXP_CHECK(t, mxp_mrfp_leg_find(e.m, l) != NULL);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK(t, mxp_mrfp_leg_find(e.m, l) == NULL);
	MXP_CHECK_EQ(t, mxp_mrfp_counters(e.m)->legs, 0);
	env_free(&e);
}

MXP_TEST(ssrc_and_keylimit_events)
{
	struct env e = env_new();
	/* the participant's key (Remote) lives for 2^4 = 16 packets: keylimit_percent 80 makes
	 * 13 packets "soft", 16 "exhausted" */
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s, "
				 "Events = 3 { mxp/ssrc, mxp/keylimit } } } }",
				 media("", crypto(1, 1), PEER_IP, 8000, crypto_lt(2, 1, 4)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t l = reply_leg(r, "Add");
	struct mxp_leg_info li = leg(&e, l);
	struct sender a, b;
	sender_init(&a, 2, 0x1234);
	sender_init(&b, 2, 0x5678);
	good_srtp(&a, 0x1234, &li);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, leg(&e, l).st.rx_pkts, 1);
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK(t, strstr(notify_text[0], "mxp/ssrc{new=4660}") != NULL);
	MXP_CHECK(t, strstr(notify_text[0], "ObservedEvents = 3") != NULL);
	/* another SSRC under the same key: dropped, reported with how many */
	good_srtp(&b, 0x5678, &li);
	good_srtp(&b, 0x5678, &li);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 2);
	MXP_CHECK(t, strstr(notify_text[1], "mxp/ssrc{old=4660,new=22136,dropped=2}") != NULL);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 2); /* once */
	/* key usage: 13 of 16 packets is past 80 % */
	for (int i = 0; i < 11; i++)
		good_srtp(&a, 0x1234, &li);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 2); /* 12: not yet */
	good_srtp(&a, 0x1234, &li);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 3);
	MXP_CHECK(t, strstr(notify_text[2], "mxp/keylimit{dir=in,mki=1,used=13,limit=16,"
				     "state=soft}") != NULL);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 3);
	for (int i = 0; i < 3; i++)
		good_srtp(&a, 0x1234, &li);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 4);
	MXP_CHECK(t, strstr(notify_text[3], "state=exhausted") != NULL);
	MXP_CHECK(t, strstr(notify_text[3], "used=16") != NULL);
	sender_fini(&a);
	sender_fini(&b);
	env_free(&e);
}

MXP_TEST(events_requested_on_add_and_forgotten)
{
	struct env e = env_new();
	const char *r = transact(&e, "Transaction = 1 { Context = $ { Add = $ { %s, "
				 "Events = 9 { mxp/authfail, mxp/keylimit, mxp/ssrc } } } }",
				 media("mxp/afthresh = 1", crypto(1, 1), PEER_IP, 8000, crypto(2, 1)));
	MXP_CHECK_EQ(t, err_code(r), 0);
	uint32_t l = reply_leg(r, "Add");
	const struct mxp_mrfp_leg *rec = mxp_mrfp_leg_find(e.m, l);
	MXP_CHECK(t, rec != NULL);
	if (rec) {
		MXP_CHECK_EQ(t, rec->ev, MXP_MRFP_EV_AUTHFAIL | MXP_MRFP_EV_KEYLIMIT | MXP_MRFP_EV_SSRC);
		MXP_CHECK_EQ(t, rec->rid, 9);
		MXP_CHECK_EQ(t, rec->afthresh, 1);
	}
	struct mxp_leg_info li = leg(&e, l);
	bad_srtp(&li, 1);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 1);
	MXP_CHECK(t, strstr(notify_text[0], "ObservedEvents = 9") != NULL);
	mxp_mrfp_leg_forget(e.m, l);
	MXP_CHECK(t, mxp_mrfp_leg_find(e.m, l) == NULL);
	bad_srtp(&li, 2);
	mxp_mrfp_events_poll(e.m, 0);
	MXP_CHECK_EQ(t, n_notify, 1); /* no record: nobody asked */
	env_free(&e);
}

/* ROOT's load (doc/mp.md "Load on ROOT"): counts, and the room the limits leave */
static int load_answer = -1;
static int
load_pct(void *arg)
{
	(void)arg;
	return load_answer;
}

MXP_TEST(root_load)
{
	struct mxp_mrfp_config c = cfg_default();
	c.media_pairs = 5; /* fewer than legs_max: the port range bounds */
	struct env e = env_new_cfg(&c);
	uint32_t c1;
	add_leg(t, &e, "$", 1, &c1);
	add_leg(t, &e, "$", 3, &c1);
	const char *r = transact(&e, "Transaction = 1 { Context = - { AuditValue = ROOT { Audit { "
				 "Statistics } } } }");
	MXP_CHECK_EQ(t, err_code(r), 0);
	MXP_CHECK(t, strstr(r, "mxp/contexts = 2") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/legs = 2") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/capacity = 3") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/load") == NULL); /* no load_pct: not reported */
	env_free(&e);

	/* the leg records bound, and a load reported */
	c = cfg_default();
	c.legs_max = 8;
	struct mxp_mrfp_ops o = ops;
	o.load_pct = load_pct;
	load_answer = 42;
	char err[200];
	e = env_new_cfg(&c);
	mxp_mrfp_destroy(e.m);
	e.m = mxp_mrfp_create(&c, e.sys, &o, err, sizeof(err));
	MXP_CHECK(t, e.m != NULL);
	add_leg(t, &e, "$", 1, &c1);
	r = transact(&e, "Transaction = 2 { Context = - { AuditValue = ROOT { Audit { "
		     "Statistics } } } }");
	MXP_CHECK(t, strstr(r, "mxp/capacity = 7") != NULL);
	MXP_CHECK(t, strstr(r, "mxp/load = 42") != NULL);
	r = transact(&e, "Transaction = 3 { Context = - { AuditCapability = ROOT { Audit { "
		     "Statistics } } } }");
	MXP_CHECK(t, strstr(r, "mxp/capacity") != NULL && strstr(r, "mxp/load") != NULL);
	env_free(&e);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(add_creates_context_and_leg),
	MXP_CASE(add_generates_the_local_key_or_refuses),
	MXP_CASE(offer_crypto_alternatives_narrowed_to_one),
	MXP_CASE(refused_modify_forgets_the_new_remote),
	MXP_CASE(every_error_code_changes_nothing),
	MXP_CASE(modify_changes_mode_remote_and_floor),
	MXP_CASE(rekey_in_two_steps),
	MXP_CASE(failed_phase1_rolls_back_every_leg),
	MXP_CASE(failing_command_ends_the_transaction),
	MXP_CASE(wildcards_and_subtract),
	MXP_CASE(subtract_wildcard_of_many_legs),
	MXP_CASE(mix_answer_lists_only_what_it_decodes),
	MXP_CASE(move_keeps_the_participants_rollover_counter),
	MXP_CASE(move_between_contexts),
	MXP_CASE(move_refused_changes_nothing),
	MXP_CASE(wildcard_audit_of_too_many_legs),
	MXP_CASE(audit_value),
	MXP_CASE(audit_capability),
	MXP_CASE(pending_once_the_transaction_takes_long),
	MXP_CASE(events_are_notified_once),
	MXP_CASE(ssrc_and_keylimit_events),
	MXP_CASE(events_requested_on_add_and_forgotten),
	MXP_CASE(root_load),
	MXP_CASE(volte_offer_one_parameter_set_per_codec),
};

int
main(int argc, char **argv)
{
	if (harness_init(argv[0]) != 0)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
