/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Base64 (RFC 4648 section 4 alphabet), for SDES key parameters (RFC 4568): lib/srtp parses
 * and writes them, mrfc makes them. No DPDK.
 */
#ifndef MXP_BASE64_H
#define MXP_BASE64_H

#include <stddef.h>
#include <stdint.h>

/** Characters mxp_base64_encode() writes for n bytes, without the terminating NUL. */
#define MXP_BASE64_LEN(n) (((n) + 2) / 3 * 4)

/**
 * Encode n bytes with padding into out (MXP_BASE64_LEN(n) + 1 bytes: the text and a NUL).
 * @return the text length, MXP_BASE64_LEN(n)
 */
size_t mxp_base64_encode(const uint8_t *in, size_t n, char *out);

/**
 * Decode n characters strictly: padding optional but only at the end, unused bits zero,
 * nothing outside the alphabet.
 * @return the decoded length, or -1 when the text is not valid base64 or out (cap bytes)
 *         is too small
 */
int mxp_base64_decode(const char *s, size_t n, uint8_t *out, size_t cap);

#endif
