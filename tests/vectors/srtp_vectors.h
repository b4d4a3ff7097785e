/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Known-answer vectors for SRTP/SRTCP, copied from the RFCs (section given per vector).
 * Hex strings; whitespace is ignored (mxp_test_hex()). Every crypto driver runs all of them
 * (tests/unit/srtp/test_srtp_vectors.c).
 *
 * Each value below was also recomputed with Python's `cryptography` package (an AES/GCM
 * implementation independent of ours) when it was entered.
 */
#ifndef MXP_SRTP_VECTORS_H
#define MXP_SRTP_VECTORS_H

#include <stdbool.h>
#include <stdint.h>

/* AES counter-mode keystream: blocks starting at block number `block` of AES-CTR(key, iv). */
struct srtp_vec_keystream {
	const char *ref;
	const char *key;
	const char *iv;
	uint32_t block;
	const char *keystream;
};

static const struct srtp_vec_keystream srtp_vec_keystream[] = {
	{
		.ref = "RFC 3711 B.2 (AES-CM keystream, blocks 0000-0002)",
		.key = "2B7E151628AED2A6ABF7158809CF4F3C",
		.iv = "F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000",
		.block = 0,
		.keystream = "E03EAD0935C95E80E166B16DD92B4EB4"
			     "D23513162B02D0F72A43A2FE4A5F97AB"
			     "41E95B3BB0A2E8DD477901E4FCA894C0",
	},
	{
		.ref = "RFC 3711 B.2 (AES-CM keystream, blocks FEFF-FF01)",
		.key = "2B7E151628AED2A6ABF7158809CF4F3C",
		.iv = "F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000",
		.block = 0xfeff,
		.keystream = "EC8CDF7398607CB0F2D21675EA9EA1E4"
			     "362B7C3C6773516318A077D7FC5073AE"
			     "6A2CC3787889374FBEB4C81B17BA6C44",
	},
	{
		.ref = "RFC 6188 7.1 (AES-256-CM keystream)",
		.key = "57f82fe3613fd170a85ec93c40b1f092 2ec4cb0dc025b58272147cc438944a98",
		.iv = "f0f1f2f3f4f5f6f7f8f9fafbfcfd0000",
		.block = 0,
		.keystream = "92bdd28a93c3f52511c677d08b5515a4"
			     "9da71b2378a854f67050756ded165bac"
			     "63c4868b7096d88421b563b8c94c9a31",
	},
};

/* Key derivation: PRF output for one label (kdr = 0, so r = 0). */
struct srtp_vec_kdf {
	const char *ref;
	const char *master_key;
	const char *master_salt;
	uint8_t label;
	const char *out;
};

static const struct srtp_vec_kdf srtp_vec_kdf[] = {
	{
		.ref = "RFC 3711 B.3 (cipher key, label 0x00)",
		.master_key = "E1F97A0D3E018BE0D64FA32C06DE4139",
		.master_salt = "0EC675AD498AFEEBB6960B3AABE6",
		.label = 0x00,
		.out = "C61E7A93744F39EE10734AFE3FF7A087",
	},
	{
		.ref = "RFC 3711 B.3 (cipher salt, label 0x02)",
		.master_key = "E1F97A0D3E018BE0D64FA32C06DE4139",
		.master_salt = "0EC675AD498AFEEBB6960B3AABE6",
		.label = 0x02,
		.out = "30CBBC08863D8C85D49DB34A9AE1",
	},
	{
		.ref = "RFC 3711 B.3 (authentication key, label 0x01, all 94 bytes)",
		.master_key = "E1F97A0D3E018BE0D64FA32C06DE4139",
		.master_salt = "0EC675AD498AFEEBB6960B3AABE6",
		.label = 0x01,
		.out = "CEBE321F6FF7716B6FD4AB49AF256A15"
		       "6D38BAA48F0A0ACF3C34E2359E6CDBCE"
		       "E049646C43D9327AD175578EF7227098"
		       "6371C10C9A369AC2F94A8C5FBCDDDC25"
		       "6D6E919A48B610EF17C2041E47403576"
		       "6B68642C59BBFC2F34DB60DBDFB2",
	},
	{
		.ref = "RFC 6188 7.2 (AES-256 PRF, cipher key)",
		.master_key = "f0f04914b513f2763a1b1fa130f10e29 98f6f6e43e4309d1e622a0e332b9f1b6",
		.master_salt = "3b04803de51ee7c96423ab5b78d2",
		.label = 0x00,
		.out = "5ba1064e30ec51613cad926c5a28ef73 1ec7fb397f70a960653caf06554cd8c4",
	},
	{
		.ref = "RFC 6188 7.2 (AES-256 PRF, cipher salt)",
		.master_key = "f0f04914b513f2763a1b1fa130f10e29 98f6f6e43e4309d1e622a0e332b9f1b6",
		.master_salt = "3b04803de51ee7c96423ab5b78d2",
		.label = 0x02,
		.out = "fa31791685ca444a9e07c6c64e93",
	},
	{
		.ref = "RFC 6188 7.2 (AES-256 PRF, authentication key)",
		.master_key = "f0f04914b513f2763a1b1fa130f10e29 98f6f6e43e4309d1e622a0e332b9f1b6",
		.master_salt = "3b04803de51ee7c96423ab5b78d2",
		.label = 0x01,
		.out = "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05",
	},
};

/* Whole packets protected with session keys given directly (RFC 7714 16-17). */
struct srtp_vec_packet {
	const char *ref;
	int suite;            /* enum mxp_srtp_suite */
	bool rtcp;
	bool rtcp_encrypted;  /* SRTCP E flag */
	uint32_t srtcp_index;
	const char *key;      /* session encryption key */
	const char *salt;     /* session salt */
	const char *plain;
	const char *protected_;
};

#define RFC7714_KEY128 "000102030405060708090a0b0c0d0e0f"
#define RFC7714_KEY256 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define RFC7714_SALT "517569642070726f2071756f"
#define RFC7714_RTP \
	"8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976" \
	"69736120 696e2070 61727465 73207472 6573"
#define RFC7714_RTCP \
	"81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61" \
	"deadbeef deadbeef deadbeef deadbeef deadbeef"

/* Suite numbers as in enum mxp_srtp_suite (kept literal so this header stands alone). */
#define SRTP_VEC_GCM128 5
#define SRTP_VEC_GCM256 6

static const struct srtp_vec_packet srtp_vec_packets[] = {
	{
		.ref = "RFC 7714 16.1 (AEAD_AES_128_GCM, SRTP)",
		.suite = SRTP_VEC_GCM128,
		.key = RFC7714_KEY128, .salt = RFC7714_SALT,
		.plain = RFC7714_RTP,
		.protected_ = "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca"
			      "be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1"
			      "6a9152cf 765ee439 0cce",
	},
	{
		.ref = "RFC 7714 16.2 (AEAD_AES_256_GCM, SRTP)",
		.suite = SRTP_VEC_GCM256,
		.key = RFC7714_KEY256, .salt = RFC7714_SALT,
		.plain = RFC7714_RTP,
		.protected_ = "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa"
			      "b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff"
			      "d6b0f9bb 7878d7a7 6c13",
	},
	{
		.ref = "RFC 7714 17.1 (AEAD_AES_128_GCM, SRTCP, encrypted)",
		.suite = SRTP_VEC_GCM128, .rtcp = true, .rtcp_encrypted = true,
		.srtcp_index = 0x5d4,
		.key = RFC7714_KEY128, .salt = RFC7714_SALT,
		.plain = RFC7714_RTCP,
		.protected_ = "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7"
			      "6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458"
			      "96cf4d2f c5abf872 45d9eade 800005d4",
	},
	{
		.ref = "RFC 7714 17.2 (AEAD_AES_256_GCM, SRTCP, encrypted)",
		.suite = SRTP_VEC_GCM256, .rtcp = true, .rtcp_encrypted = true,
		.srtcp_index = 0x5d4,
		.key = RFC7714_KEY256, .salt = RFC7714_SALT,
		.plain = RFC7714_RTCP,
		.protected_ = "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d"
			      "bffe0a50 a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c"
			      "4446839f 57ff6f6c b26ac3be 800005d4",
	},
	{
		.ref = "RFC 7714 17.3 (AEAD_AES_128_GCM, SRTCP, authentication only)",
		.suite = SRTP_VEC_GCM128, .rtcp = true, .rtcp_encrypted = false,
		.srtcp_index = 0x5d4,
		.key = RFC7714_KEY128, .salt = RFC7714_SALT,
		.plain = RFC7714_RTCP,
		.protected_ = RFC7714_RTCP "841dd968 3dd78ec9 2ae58790 125f62b3 000005d4",
	},
	{
		.ref = "RFC 7714 17.4 (AEAD_AES_256_GCM, SRTCP, authentication only)",
		.suite = SRTP_VEC_GCM256, .rtcp = true, .rtcp_encrypted = false,
		.srtcp_index = 0x5d4,
		.key = RFC7714_KEY256, .salt = RFC7714_SALT,
		.plain = RFC7714_RTCP,
		.protected_ = RFC7714_RTCP "91db4afb feee5a97 8fab4393 ed2615fe 000005d4",
	},
};

#endif /* MXP_SRTP_VECTORS_H */
