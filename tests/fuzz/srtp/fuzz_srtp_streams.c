/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: streams sharing a key session, on attacker-controlled bytes. Properties:
 *   - a burst spread over three inbound streams of one session: every reason is valid, the
 *     count returned is the number of MXP_SRTP_R_OK, and the session counted exactly the
 *     packets that went through, whatever stream they belonged to;
 *   - verify-only over the streams never changes a byte;
 *   - round trip: two outbound streams of one session protect the packets, two inbound
 *     streams of another session (same master key) unprotect them to the originals; with
 *     one bit flipped in one packet, that packet and only that one fails; a packet handed
 *     to the other SSRC's stream is ssrc_mismatch (authentic) or a replay, never accepted;
 *   - a lifetime taken from the input stops the senders at exactly that many packets.
 *
 * First input byte: suite (bits 0-2, mod 6), MKI on (bit 3), RTCP (bit 4), mode (bits 5-6),
 * driver (bit 7: ipsec_mb or openssl). The rest: packets separated by 0xff bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "mxp_build_config.h"
#include "mxp_srtp.h"

static const uint8_t KEY[32] = { 0x53, 0x54, 0x52, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
				 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29 };
static const uint8_t SALT[14] = { 0x4d, 0x41, 0x4c, 0x54, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t MKI[3] = { 0x0a, 0x0b, 0x0c };

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define NS 3
#define MAXP 32
#define SSRC(i) (0x5eed0001u + (uint32_t)(i))

/* Memory for two sessions and 2 * NS streams, allocated once. */
static struct mxp_srtp_key *kin, *kout;
static struct mxp_srtp_stream *in[NS], *out[NS];

static void
key_setup(struct mxp_srtp_key *k, enum mxp_srtp_suite s, bool mki, const char *drv,
	  uint64_t lifetime)
{
	struct mxp_srtp_key_params p = { .suite = s, .driver = drv, .key = KEY, .salt = SALT,
					 .mki = mki ? MKI : NULL, .mki_len = mki ? 3 : 0,
					 .lifetime = lifetime };
	CHECK(mxp_srtp_key_init(k, &p, NULL, 0) == 0);
}

static void
stream_setup(struct mxp_srtp_stream *s, enum mxp_srtp_dir d, uint32_t ssrc, bool learn,
	     struct mxp_srtp_key *k)
{
	/* outbound: lib/conf's output streams (the smallest window, no SRTCP ring) */
	struct mxp_srtp_stream_params p = {
		.dir = d, .ssrc = ssrc, .ssrc_learn = learn,
		.replay_window = d == MXP_SRTP_OUTBOUND ? MXP_SRTP_REPLAY_WINDOW_MIN : 0 };
	CHECK(mxp_srtp_stream_init(s, &p, NULL, 0) == 0);
	CHECK(mxp_srtp_stream_key_add(s, k) == 0);
}

/* Cut buf[0..size) at 0xff bytes into at most MAXP packets. */
static uint16_t
cut(uint8_t *buf, size_t size, struct mxp_srtp_pkt pk[MAXP], uint32_t room)
{
	uint16_t n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= size && n < MAXP; i++) {
		if (i == size || buf[i] == 0xff) {
			pk[n++] = (struct mxp_srtp_pkt){ .data = buf + start,
							 .len = (uint32_t)(i - start), .room = room };
			start = i + 1;
		}
	}
	return n;
}

static uint64_t
used(const struct mxp_srtp_key *k, bool rtcp)
{
	struct mxp_srtp_key_info ki;
	CHECK(mxp_srtp_key_info(k, &ki) == 0);
	return rtcp ? ki.srtcp_used : ki.srtp_used;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* each packet gets a slot with room for its trailer in the round trip */
	static uint8_t buf[4096], copy[4096], slots[MAXP][4096 + 64], plain[MAXP][4096];

	if (kin == NULL) {
		size_t ks = mxp_srtp_key_size(MXP_SRTP_AEAD_AES_256_GCM, "openssl");
		size_t k2 = mxp_srtp_key_size(MXP_SRTP_AEAD_AES_256_GCM, NULL);
		size_t k3 = mxp_srtp_key_size(MXP_SRTP_AES_256_CM_HMAC_SHA1_80, NULL);
		size_t k4 = mxp_srtp_key_size(MXP_SRTP_AES_256_CM_HMAC_SHA1_80, "openssl");
		ks = ks > k2 ? ks : k2;
		ks = ks > k3 ? ks : k3;
		ks = ks > k4 ? ks : k4;
		kin = aligned_alloc(MXP_SRTP_KEY_ALIGN, ks);
		kout = aligned_alloc(MXP_SRTP_KEY_ALIGN, ks);
		for (int i = 0; i < NS; i++) {
			in[i] = aligned_alloc(MXP_SRTP_STREAM_ALIGN, mxp_srtp_stream_size(0));
			/* exactly their size: ASan sees an access beyond it */
			out[i] = aligned_alloc(MXP_SRTP_STREAM_ALIGN,
					       mxp_srtp_stream_size_dir(MXP_SRTP_REPLAY_WINDOW_MIN,
									MXP_SRTP_OUTBOUND));
		}
	}
	if (size < 1 || size > 4096)
		return 0;
	uint8_t sel = data[0];
	enum mxp_srtp_suite suite = (enum mxp_srtp_suite)(1 + (sel & 7) % 6);
	bool mki = sel & 8, rtcp = sel & 16;
	int mode = (sel >> 5) & 3;
	const char *drv = (sel & 128) || !MXP_HAVE_IPSEC_MB ? "openssl" : "ipsec_mb";
	data++;
	size--;
	memcpy(buf, data, size);

	key_setup(kin, suite, mki, drv, 0);
	for (int i = 0; i < NS; i++)
		stream_setup(in[i], MXP_SRTP_INBOUND, SSRC(i), i == NS - 1, kin);

	struct mxp_srtp_pkt pk[MAXP];
	struct mxp_srtp_stream *cs[MAXP];
	uint8_t r[MAXP];

	switch (mode) {
	case 0: { /* a burst over the inbound streams of one session, as is */
		uint16_t n = cut(buf, size, pk, 0);
		for (uint16_t i = 0; i < n; i++)
			cs[i] = in[i % NS];
		uint16_t ok = rtcp ? mxp_srtcp_stream_unprotect_pkts(cs, pk, n, r) :
				     mxp_srtp_stream_unprotect_pkts(cs, pk, n, r);
		unsigned int good = 0;
		for (uint16_t i = 0; i < n; i++) {
			CHECK(r[i] < MXP_SRTP_R_COUNT);
			good += r[i] == MXP_SRTP_R_OK;
		}
		CHECK(good == ok);
		CHECK(used(kin, rtcp) == ok);
		break;
	}
	case 1: { /* verify-only leaves every byte alone */
		uint16_t n = cut(buf, size, pk, 0);
		for (uint16_t i = 0; i < n; i++)
			cs[i] = in[(i + 1) % NS];
		uint16_t ok = rtcp ? mxp_srtcp_stream_verify_pkts(cs, pk, n, r) :
				     mxp_srtp_stream_verify_pkts(cs, pk, n, r);
		CHECK(memcmp(buf, data, size) == 0);
		CHECK(used(kin, rtcp) == ok);
		break;
	}
	default: { /* round trip through streams sharing sessions; mode 3: a lifetime */
		if (size < 3)
			break;
		size_t flip = (size_t)data[0] << 8 | data[1];
		uint64_t lifetime = mode == 3 ? 1 + data[0] % 16 : 0;
		uint16_t n = cut(buf + 2, size - 2, pk, 0);
		key_setup(kout, suite, mki, drv, lifetime);
		for (int i = 0; i < NS; i++)
			stream_setup(out[i], MXP_SRTP_OUTBOUND, SSRC(i), false, kout);
		/* make each piece a V=2 packet of its stream's SSRC, in its own slot */
		uint16_t m = 0;
		size_t plen[MAXP];
		for (uint16_t i = 0; i < n; i++) {
			uint32_t len = pk[i].len;
			if (len < (rtcp ? 8u : 12u))
				continue;
			uint8_t *p = slots[m];
			memcpy(p, pk[i].data, len);
			uint32_t ssrc = SSRC(m % 2);
			p[0] = (uint8_t)(0x80 | (p[0] & 0x3f));
			if (rtcp) {
				p[1] = 200;
			} else {
				p[2] = 0; /* sequence numbers in order: none is refused as a reuse */
				p[3] = (uint8_t)m;
			}
			uint8_t *s = p + (rtcp ? 4 : 8);
			s[0] = (uint8_t)(ssrc >> 24);
			s[1] = (uint8_t)(ssrc >> 16);
			s[2] = (uint8_t)(ssrc >> 8);
			s[3] = (uint8_t)ssrc;
			memcpy(plain[m], p, len);
			plen[m] = len;
			pk[m] = (struct mxp_srtp_pkt){ .data = p, .len = len, .room = 64 };
			cs[m] = out[m % 2];
			m++;
		}
		uint16_t ok = rtcp ? mxp_srtcp_stream_protect_pkts(cs, pk, m, r) :
				     mxp_srtp_stream_protect_pkts(cs, pk, m, r);
		uint16_t bad_hdr = 0;
		for (uint16_t i = 0; i < m; i++)
			bad_hdr += r[i] == MXP_SRTP_R_BAD_HEADER;
		/* the lifetime is the session's: both streams together stop at it */
		if (lifetime)
			CHECK(ok == (m - bad_hdr < lifetime ? m - bad_hdr : lifetime));
		else
			CHECK(ok == m - bad_hdr);
		CHECK(used(kout, rtcp) == ok);
		/* flip one bit of one protected packet (or of none) */
		uint16_t victim = MAXP;
		if (m > 0 && r[(flip >> 3) % m] == MXP_SRTP_R_OK &&
		    (flip & 7) < 4) {
			victim = (uint16_t)((flip >> 3) % m);
			uint32_t at = (uint32_t)(flip >> 6) % pk[victim].len;
			pk[victim].data[at] ^= (uint8_t)(1u << (flip & 7));
		}
		/* unprotect the protected ones on the inbound streams of the same SSRC */
		struct mxp_srtp_pkt q[MAXP];
		uint16_t map[MAXP], nq = 0;
		for (uint16_t i = 0; i < m; i++) {
			if (r[i] != MXP_SRTP_R_OK)
				continue;
			q[nq] = pk[i];
			cs[nq] = in[i % 2];
			map[nq++] = i;
		}
		uint8_t rr[MAXP];
		uint16_t back = rtcp ? mxp_srtcp_stream_unprotect_pkts(cs, q, nq, rr) :
				       mxp_srtp_stream_unprotect_pkts(cs, q, nq, rr);
		for (uint16_t x = 0; x < nq; x++) {
			uint16_t i = map[x];
			if (i == victim) {
				CHECK(rr[x] != MXP_SRTP_R_OK);
			} else {
				CHECK(rr[x] == MXP_SRTP_R_OK && q[x].len == plen[i] &&
				      memcmp(q[x].data, plain[i], plen[i]) == 0);
			}
		}
		CHECK(back == nq - (victim != MAXP));
		/* a packet of SSRC 0 handed to the stream of SSRC 1: never accepted */
		if (m > 0 && r[0] == MXP_SRTP_R_OK && victim != 0) {
			memcpy(copy, plain[0], plen[0]);
			size_t len = plen[0];
			struct mxp_srtp_stream *o = out[0];
			mxp_srtp_stream_set_ssrc(o, SSRC(0)); /* a fresh index: ROC 0 again */
			enum mxp_srtp_reason x = rtcp ?
				mxp_srtcp_stream_protect(o, copy, &len, sizeof(copy)) :
				mxp_srtp_stream_protect(o, copy, &len, sizeof(copy));
			if (x == MXP_SRTP_R_OK) {
				x = rtcp ? mxp_srtcp_stream_unprotect(in[1], copy, &len) :
					   mxp_srtp_stream_unprotect(in[1], copy, &len);
				CHECK(x == MXP_SRTP_R_SSRC_MISMATCH || x == MXP_SRTP_R_REPLAY ||
				      x == MXP_SRTP_R_TOO_OLD || x == MXP_SRTP_R_KEY_EXHAUSTED);
			}
		}
		for (int i = 0; i < NS; i++)
			mxp_srtp_stream_fini(out[i]);
		mxp_srtp_key_fini(kout);
		break;
	}
	}
	for (int i = 0; i < NS; i++)
		mxp_srtp_stream_fini(in[i]);
	mxp_srtp_key_fini(kin);
	return 0;
}
