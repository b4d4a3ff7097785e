/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the SRTP/SRTCP receive path (unprotect, verify-only, bursts) on
 * attacker-controlled bytes, plus a round trip that checks properties:
 *   - verify-only never changes a byte, whatever the input;
 *   - a protected packet unprotects to the original;
 *   - the same packet with one bit flipped (anywhere) is never accepted.
 *
 * First input byte: suite (bits 0-2, mod 6), MKI on (bit 3), mode (bits 4-5), RTCP (bit 6),
 * driver (bit 7: ipsec_mb or openssl). The rest is the packet (or packets).
 */
#include <stdlib.h>
#include <string.h>

#include "mxp_build_config.h"
#include "mxp_srtp.h"

static const uint8_t KEY[32] = { 0x4b, 0x45, 0x59, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
				 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29 };
static const uint8_t SALT[14] = { 0x53, 0x41, 0x4c, 0x54, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t MKI[2] = { 0x01, 0x02 };

static struct mxp_srtp_ctx *in, *out;

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static void
setup(struct mxp_srtp_ctx *c, enum mxp_srtp_suite s, enum mxp_srtp_dir d, bool mki,
      const char *drv, uint32_t ssrc)
{
	struct mxp_srtp_params p = { .suite = s, .dir = d, .driver = drv, .ssrc = ssrc,
				     .ssrc_learn = d == MXP_SRTP_INBOUND && ssrc == 0 };
	CHECK(mxp_srtp_ctx_init(c, &p, NULL, 0) == 0);
	CHECK(mxp_srtp_ctx_key_add(c, KEY, SALT, mki ? MKI : NULL, mki ? 2 : 0, 0) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[4096 + 64], copy[4096 + 64];

	if (in == NULL) {
		in = aligned_alloc(MXP_SRTP_CTX_ALIGN, mxp_srtp_ctx_size());
		out = aligned_alloc(MXP_SRTP_CTX_ALIGN, mxp_srtp_ctx_size());
	}
	if (size < 1 || size > 4096)
		return 0;
	uint8_t sel = data[0];
	enum mxp_srtp_suite suite = (enum mxp_srtp_suite)(1 + (sel & 7) % 6);
	bool mki = sel & 8, rtcp = sel & 64;
	int mode = (sel >> 4) & 3;
	const char *drv = (sel & 128) || !MXP_HAVE_IPSEC_MB ? "openssl" : "ipsec_mb";
	data++;
	size--;
	memcpy(buf, data, size);
	size_t len = size;

	switch (mode) {
	case 0: /* unprotect as is (learning the SSRC if it authenticates) */
		setup(in, suite, MXP_SRTP_INBOUND, mki, drv, 0);
		if (rtcp)
			(void)mxp_srtcp_unprotect(in, buf, &len);
		else
			(void)mxp_srtp_unprotect(in, buf, &len);
		CHECK(len <= size);
		break;
	case 1: { /* verify-only leaves every byte alone */
		setup(in, suite, MXP_SRTP_INBOUND, mki, drv, 0);
		struct mxp_srtp_pkt pk = { .data = buf, .len = (uint32_t)size };
		uint8_t r;
		if (rtcp)
			(void)mxp_srtcp_verify_pkts(&in, &pk, 1, &r);
		else
			(void)mxp_srtp_verify_pkts(&in, &pk, 1, &r);
		CHECK(pk.len == size && memcmp(buf, data, size) == 0);
		break;
	}
	case 2: { /* protect, then unprotect intact and with one bit flipped */
		if (size < 3)
			break;
		size_t flip = (size_t)data[0] << 8 | data[1];
		memmove(buf, buf + 2, size - 2);
		len = size - 2;
		uint32_t ssrc = 0x5eed0000u | data[0];
		if (len >= (rtcp ? 8u : 12u)) { /* make it a V=2 packet of our SSRC */
			buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3f));
			if (rtcp)
				buf[1] = 200;
			uint8_t *s = buf + (rtcp ? 4 : 8);
			s[0] = (uint8_t)(ssrc >> 24);
			s[1] = (uint8_t)(ssrc >> 16);
			s[2] = (uint8_t)(ssrc >> 8);
			s[3] = (uint8_t)ssrc;
		}
		setup(out, suite, MXP_SRTP_OUTBOUND, mki, drv, ssrc);
		memcpy(copy, buf, len);
		size_t plain_len = len;
		enum mxp_srtp_reason r = rtcp ? mxp_srtcp_protect(out, buf, &len, sizeof(buf)) :
						mxp_srtp_protect(out, buf, &len, sizeof(buf));
		if (r != MXP_SRTP_R_OK)
			break;
		bool flipped = flip / 8 < len;
		if (flipped)
			buf[flip / 8] ^= (uint8_t)(1u << (flip % 8));
		/* the other driver receives */
		setup(in, suite, MXP_SRTP_INBOUND, mki,
		      strcmp(drv, "openssl") == 0 && MXP_HAVE_IPSEC_MB ? "ipsec_mb" : "openssl",
		      ssrc);
		r = rtcp ? mxp_srtcp_unprotect(in, buf, &len) : mxp_srtp_unprotect(in, buf, &len);
		if (flipped)
			CHECK(r != MXP_SRTP_R_OK);
		else
			CHECK(r == MXP_SRTP_R_OK && len == plain_len && memcmp(buf, copy, len) == 0);
		break;
	}
	default: { /* a burst: the input cut into packets at 0xff bytes, one context */
		struct mxp_srtp_pkt pk[32];
		struct mxp_srtp_ctx *cs[32];
		uint8_t r[32];
		uint16_t n = 0;
		size_t start = 0;
		setup(in, suite, MXP_SRTP_INBOUND, mki, drv, 0);
		for (size_t i = 0; i <= size && n < 32; i++) {
			if (i == size || buf[i] == 0xff) {
				pk[n] = (struct mxp_srtp_pkt){ .data = buf + start,
							       .len = (uint32_t)(i - start) };
				cs[n++] = in;
				start = i + 1;
			}
		}
		uint16_t ok = rtcp ? mxp_srtcp_unprotect_pkts(cs, pk, n, r) :
				     mxp_srtp_unprotect_pkts(cs, pk, n, r);
		unsigned int good = 0;
		for (uint16_t i = 0; i < n; i++) {
			CHECK(r[i] < MXP_SRTP_R_COUNT);
			good += r[i] == MXP_SRTP_R_OK;
		}
		CHECK(good == ok);
		break;
	}
	}
	mxp_srtp_ctx_fini(in);
	if (mode == 2)
		mxp_srtp_ctx_fini(out);
	return 0;
}
