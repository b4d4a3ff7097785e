/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: ESP inbound on whole IP packets (frame parse, policy, SAD, replay, ICV,
 * padding) with the intel-ipsec-mb backend. The first input byte picks one of four SAs
 * (one per algorithm, ESN on two of them) and whether to seal the rest with the matching
 * outbound SA first, so that the fuzzer also reaches the code after the ICV check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxp_esp.h"

static struct mxp_esp_crypto crypto;
static struct mxp_esp_ep *ep, *peer;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
setup(void)
{
	static const char *const sas[] = {
		"spi=0x1001 alg=aes-gcm-128 key=000102030405060708090a0b0c0d0e0f10111213",
		"spi=0x1002 alg=aes-gcm-256 esn=on key=000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f20212223",
		"spi=0x1003 alg=aes-cbc-128-hmac-sha1-96 key=000102030405060708090a0b0c0d0e0f "
		"auth-key=000102030405060708090a0b0c0d0e0f10111213 encap=udp",
		"spi=0x1004 alg=aes-cbc-128-hmac-sha256-128 esn=on window=64 "
		"key=000102030405060708090a0b0c0d0e0f auth-key=000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f",
	};
	char err[200], line[400];
	if (mxp_esp_crypto_open(&crypto, "ipsec-mb") != 0 &&
	    mxp_esp_crypto_open(&crypto, "openssl") != 0)
		abort();
	size_t sz = (mxp_esp_ep_size(8, 4) + 63) & ~(size_t)63;
	ep = aligned_alloc(64, sz);
	peer = aligned_alloc(64, sz);
	mxp_esp_ep_init(ep, 8, 4, &crypto, false);
	mxp_esp_ep_init(peer, 8, 4, &crypto, false);
	for (int i = 0; i < 4; i++) {
		struct mxp_esp_sa_params p;
		snprintf(line, sizeof(line), "in %s local=192.0.2.2 peer=192.0.2.1", sas[i]);
		if (mxp_esp_sa_params_parse(&p, line, err, sizeof(err)) != 0 ||
		    mxp_esp_ep_sa_add(ep, &p, err, sizeof(err)) != 0)
			abort();
		snprintf(line, sizeof(line), "out %s local=192.0.2.1 peer=192.0.2.2", sas[i]);
		if (mxp_esp_sa_params_parse(&p, line, err, sizeof(err)) != 0 ||
		    mxp_esp_ep_sa_add(peer, &p, err, sizeof(err)) != 0)
			abort();
	}
	struct mxp_esp_peer pe = { .out_spi = 0x1001 };
	mxp_ip_parse("192.0.2.1", &pe.addr, NULL);
	mxp_esp_ep_peer_add(ep, &pe);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pkt[70000];
	if (ep == NULL)
		setup();
	if (size < 1 || size > 65535)
		return 0;
	uint8_t sel = data[0];
	size_t len;
	if (sel & 0x80) {
		/* Seal data[1..] with outbound SA (sel & 3) and let the fuzzer flip bits in
		 * the sealed packet through the following byte. */
		struct mxp_esp_sa *o = mxp_esp_ep_sa_at(peer, sel & 3);
		size_t el;
		if (o == NULL || mxp_esp_sa_outbound(o, data + 1, size - 1, 17, pkt + 28,
						     sizeof(pkt) - 28, &el) != MXP_ESP_DROP_NONE)
			return 0;
		struct mxp_esp_meta m = { .udp_encap = mxp_esp_sa_params_get(o)->udp_encap,
					  .sport = 4500, .dport = 4500 };
		mxp_ip_parse("192.0.2.1", &m.src, NULL);
		mxp_ip_parse("192.0.2.2", &m.dst, NULL);
		size_t hl = mxp_esp_frame_hdr_len(&m);
		memmove(pkt + hl, pkt + 28, el);
		int n = mxp_esp_frame_build(pkt, sizeof(pkt), &m, el);
		if (n < 0)
			return 0;
		len = (size_t)n;
		if (sel & 0x40 && size > 2)
			pkt[data[1] % len] ^= (uint8_t)(1u << (data[2] & 7));
	} else {
		memcpy(pkt, data + 1, size - 1);
		len = size - 1;
	}
	struct mxp_esp_meta m;
	size_t off, el;
	struct mxp_esp_rx rx;
	enum mxp_esp_drop d = mxp_esp_frame_parse(pkt, len, &m, &off, &el);
	if (d == MXP_ESP_DROP_NONE) {
		d = mxp_esp_ep_input(ep, &m, pkt + off, el, &rx);
		if (d == MXP_ESP_DROP_NONE && (rx.off + rx.len > el))
			abort();
	}
	return 0;
}
