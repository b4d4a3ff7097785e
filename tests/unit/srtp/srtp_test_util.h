/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the lib/srtp unit tests. */
#ifndef SRTP_TEST_UTIL_H
#define SRTP_TEST_UTIL_H

#include <stdlib.h>

#include "mxp_build_config.h"
#include "mxp_srtp.h"
#include "mxp_test.h"

/* Drivers every test runs against. */
static const char *const test_drivers[] = {
#if MXP_HAVE_IPSEC_MB
	"ipsec_mb",
#endif
	"openssl",
};
#define N_TEST_DRIVERS (sizeof(test_drivers) / sizeof(test_drivers[0]))

static const enum mxp_srtp_suite test_suites[] = {
	MXP_SRTP_AES_CM_128_HMAC_SHA1_80, MXP_SRTP_AES_CM_128_HMAC_SHA1_32,
	MXP_SRTP_AES_256_CM_HMAC_SHA1_80, MXP_SRTP_AES_256_CM_HMAC_SHA1_32,
	MXP_SRTP_AEAD_AES_128_GCM,        MXP_SRTP_AEAD_AES_256_GCM,
};
#define N_TEST_SUITES (sizeof(test_suites) / sizeof(test_suites[0]))

/* Two master keys and salts (any suite takes the first key_len / salt_len bytes) and two
 * 4-byte MKIs, shared by the tests and by the libsrtp2 sessions of srtp_test_lib.h. */
static const uint8_t MK1[32] = { 0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3,
				 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a,
				 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6, 0x51, 0x52 };
static const uint8_t MS1[14] = { 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
				 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d };
static const uint8_t MK2[32] = { 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b,
				 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36,
				 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f, 0x40 };
static const uint8_t MS2[14] = { 0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96,
				 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d };
static const uint8_t MKI1[4] = { 0xde, 0xad, 0x00, 0x01 };
static const uint8_t MKI2[4] = { 0xde, 0xad, 0x00, 0x02 };

/* Allocate and initialise a context; aborts the process on failure (a test bug). */
static inline struct mxp_srtp_ctx *
test_ctx_new(const struct mxp_srtp_params *p)
{
	char err[160];
	struct mxp_srtp_ctx *c = aligned_alloc(MXP_SRTP_CTX_ALIGN, mxp_srtp_ctx_size());
	if (c == NULL || mxp_srtp_ctx_init(c, p, err, sizeof(err)) != 0) {
		printf("# test_ctx_new: %s\n", err);
		abort();
	}
	return c;
}

static inline void
test_ctx_free(struct mxp_srtp_ctx *c)
{
	mxp_srtp_ctx_fini(c);
	free(c);
}

/* Allocate and initialise a key session; aborts on failure (a test bug). */
static inline struct mxp_srtp_key *
test_key_new(const struct mxp_srtp_key_params *p)
{
	char err[160] = "";
	size_t n = mxp_srtp_key_size(p->suite, p->driver);
	struct mxp_srtp_key *k = n ? aligned_alloc(MXP_SRTP_KEY_ALIGN, n) : NULL;
	if (k == NULL || mxp_srtp_key_init(k, p, err, sizeof(err)) != 0) {
		printf("# test_key_new: %s\n", err);
		abort();
	}
	return k;
}

static inline void
test_key_free(struct mxp_srtp_key *k)
{
	mxp_srtp_key_fini(k);
	free(k);
}

/* Allocate (exactly mxp_srtp_stream_size_dir() bytes: an outbound stream is smaller, and
 * ASan sees any access beyond it) and initialise a stream. */
static inline struct mxp_srtp_stream *
test_stream_new(const struct mxp_srtp_stream_params *p)
{
	char err[160] = "";
	size_t n = mxp_srtp_stream_size_dir(p->replay_window, p->dir);
	struct mxp_srtp_stream *s = n ? aligned_alloc(MXP_SRTP_STREAM_ALIGN, n) : NULL;
	if (s == NULL || mxp_srtp_stream_init(s, p, err, sizeof(err)) != 0) {
		printf("# test_stream_new: %s\n", err);
		abort();
	}
	return s;
}

static inline void
test_stream_free(struct mxp_srtp_stream *s)
{
	mxp_srtp_stream_fini(s);
	free(s);
}

/* Build an RTP packet: V=2, PT 0, seq, ts, ssrc, payload of n bytes pattern-filled. */
static inline size_t
test_rtp(uint8_t *b, uint16_t seq, uint32_t ts, uint32_t ssrc, size_t n, uint8_t fill)
{
	b[0] = 0x80;
	b[1] = 0x00;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	for (size_t i = 0; i < n; i++)
		b[12 + i] = (uint8_t)(fill + i);
	return 12 + n;
}

/* Build an RTCP receiver report with one report block (32 bytes). */
static inline size_t
test_rtcp(uint8_t *b, uint32_t ssrc, uint8_t fill)
{
	memset(b, fill, 32);
	b[0] = 0x81;
	b[1] = 201;
	b[2] = 0;
	b[3] = 7;
	b[4] = (uint8_t)(ssrc >> 24);
	b[5] = (uint8_t)(ssrc >> 16);
	b[6] = (uint8_t)(ssrc >> 8);
	b[7] = (uint8_t)ssrc;
	return 32;
}

#endif
