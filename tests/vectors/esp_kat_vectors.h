/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Known-answer vectors for the ESP crypto backends (each backend runs all of them).
 *  - AES-GCM: "The Galois/Counter Mode of Operation (GCM)", McGrew & Viega, test cases 2, 4
 *    and 16 (the vectors RFC 4106 implementations are checked against).
 *  - AES-128-CBC: NIST SP 800-38A F.2.1/F.2.2, first block.
 *  - HMAC-SHA1: RFC 2202 test case 1; HMAC-SHA-256: RFC 4231 test case 1; truncated to
 *    96 and 128 bits as RFC 2404 and RFC 4868 use them.
 * Each value was re-checked with python3-cryptography before being committed.
 */
#ifndef ESP_KAT_VECTORS_H
#define ESP_KAT_VECTORS_H

struct esp_kat_gcm {
	const char *name;
	enum mxp_esp_alg alg;
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

static const struct esp_kat_gcm esp_kat_gcm[] = {
	{
		.name = "gcm tc2 (AES-128, zero key)",
		.alg = MXP_ESP_ALG_AES_GCM_128,
		.key = "00000000000000000000000000000000",
		.iv = "000000000000000000000000",
		.aad = "",
		.pt = "00000000000000000000000000000000",
		.ct = "0388dace60b6a392f328c2b971b2fe78",
		.tag = "ab6e47d42cec13bdf53a67b21257bddf",
	},
	{
		.name = "gcm tc4 (AES-128, AAD, 60-byte plaintext)",
		.alg = MXP_ESP_ALG_AES_GCM_128,
		.key = "feffe9928665731c6d6a8f9467308308",
		.iv = "cafebabefacedbaddecaf888",
		.aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		.pt = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		.ct = "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
		      "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
		.tag = "5bc94fbc3221a5db94fae95ae7121a47",
	},
	{
		.name = "gcm tc16 (AES-256, AAD, 60-byte plaintext)",
		.alg = MXP_ESP_ALG_AES_GCM_256,
		.key = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		.iv = "cafebabefacedbaddecaf888",
		.aad = "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		.pt = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		.ct = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		.tag = "76fc6ece0f4e1768cddf8853bb2d551b",
	},
};

/* CBC block and HMAC of a separate message, in one backend op (auth need not cover data). */
struct esp_kat_cbc_hmac {
	const char *name;
	enum mxp_esp_alg alg;
	const char *key, *iv, *pt, *ct;
	const char *auth_key, *msg, *icv;
};

static const struct esp_kat_cbc_hmac esp_kat_cbc_hmac[] = {
	{
		.name = "AES-128-CBC SP 800-38A + HMAC-SHA1-96 RFC 2202 tc1",
		.alg = MXP_ESP_ALG_AES_CBC_HMAC_SHA1,
		.key = "2b7e151628aed2a6abf7158809cf4f3c",
		.iv = "000102030405060708090a0b0c0d0e0f",
		.pt = "6bc1bee22e409f96e93d7e117393172a",
		.ct = "7649abac8119b246cee98e9b12e9197d",
		.auth_key = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		.msg = "4869205468657265", /* "Hi There" */
		.icv = "b617318655057264e28bc0b6",
	},
	{
		.name = "AES-128-CBC SP 800-38A + HMAC-SHA-256-128 RFC 4231 tc1",
		.alg = MXP_ESP_ALG_AES_CBC_HMAC_SHA256,
		.key = "2b7e151628aed2a6abf7158809cf4f3c",
		.iv = "000102030405060708090a0b0c0d0e0f",
		.pt = "6bc1bee22e409f96e93d7e117393172a",
		.ct = "7649abac8119b246cee98e9b12e9197d",
		.auth_key = "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b",
		.msg = "4869205468657265",
		.icv = "b0344c61d8db38535ca8afceaf0bf12b",
	},
};

#endif
