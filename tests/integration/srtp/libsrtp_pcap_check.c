/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libsrtp_pcap_check: the independent oracle for srtp-pcap. Unprotects every RTP/RTCP
 * UDP payload of a pcap with libsrtp2 (not our engine) and prints one line per packet:
 *
 *   rtp  <ssrc> <seq> ok <payload hex>      rtcp <ssrc> ok <packet hex>
 *   rtp  <ssrc> <seq> fail <libsrtp status>
 *
 * usage: libsrtp_pcap_check SUITE BASE64(key||salt) [MKI_VALUE MKI_LEN] < nothing, FILE.pcap
 * Ethernet or raw IPv4 captures, UDP over IPv4 only (what the integration test writes).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>
#include <srtp2/srtp.h>

static int
b64(const char *s, uint8_t *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0, n = 0;
	for (; *s && *s != '='; s++) {
		const char *p = strchr(a, *s);
		if (p == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(p - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static void
hex(const uint8_t *p, int n)
{
	for (int i = 0; i < n; i++)
		printf("%02x", p[i]);
}

int
main(int argc, char **argv)
{
	if (argc != 4 && argc != 6) {
		fprintf(stderr, "usage: %s SUITE BASE64KEY [MKI LEN] FILE.pcap\n", argv[0]);
		return 2;
	}
	const char *suite = argv[1];
	srtp_policy_t p;
	memset(&p, 0, sizeof(p));
	if (strcmp(suite, "AES_CM_128_HMAC_SHA1_80") == 0) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	} else if (strcmp(suite, "AES_CM_128_HMAC_SHA1_32") == 0) {
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	} else if (strcmp(suite, "AES_256_CM_HMAC_SHA1_80") == 0) {
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
	} else if (strcmp(suite, "AES_256_CM_HMAC_SHA1_32") == 0) {
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtcp);
	} else if (strcmp(suite, "AEAD_AES_128_GCM") == 0) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	} else if (strcmp(suite, "AEAD_AES_256_GCM") == 0) {
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtcp);
	} else {
		fprintf(stderr, "unknown suite %s\n", suite);
		return 2;
	}
	uint8_t key[64];
	if (b64(argv[2], key) < 0)
		return 2;
	srtp_master_key_t mk, *mkp = &mk;
	uint8_t mki[8] = { 0 };
	int use_mki = argc == 6;
	if (use_mki) {
		unsigned long long v = strtoull(argv[3], NULL, 10);
		unsigned int len = (unsigned int)atoi(argv[4]);
		for (unsigned int i = 0; i < len && i < 8; i++)
			mki[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
		mk.key = key;
		mk.mki_id = mki;
		mk.mki_size = len;
		p.keys = &mkp;
		p.num_master_keys = 1;
	} else {
		p.key = key;
	}
	p.ssrc.type = ssrc_any_inbound;
	p.window_size = 1024;
	srtp_t s;
	srtp_init();
	if (srtp_create(&s, &p) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_create failed\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *pc = pcap_open_offline(argv[argc - 1], err);
	if (pc == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	int l2 = pcap_datalink(pc) == DLT_EN10MB ? 14 : 0;
	struct pcap_pkthdr *h;
	const u_char *d;
	while (pcap_next_ex(pc, &h, &d) == 1) {
		if (h->caplen < (unsigned)l2 + 28)
			continue;
		const u_char *ip = d + l2;
		if ((ip[0] >> 4) != 4 || ip[9] != 17)
			continue;
		int ihl = (ip[0] & 15) * 4;
		const u_char *udp = ip + ihl;
		int len = ((udp[4] << 8) | udp[5]) - 8;
		uint8_t b[2048];
		if (len < 12 || len > (int)sizeof(b))
			continue;
		memcpy(b, udp + 8, (size_t)len);
		uint32_t ssrc;
		int rtcp = b[1] >= 192 && b[1] <= 223;
		memcpy(&ssrc, b + (rtcp ? 4 : 8), 4);
		srtp_err_status_t st = rtcp ? srtp_unprotect_rtcp_mki(s, b, &len, use_mki) :
					      srtp_unprotect_mki(s, b, &len, use_mki);
		if (rtcp)
			printf("rtcp %u ", ntohl(ssrc));
		else
			printf("rtp %u %u ", ntohl(ssrc), (unsigned)(b[2] << 8 | b[3]));
		if (st == srtp_err_status_ok) {
			printf("ok ");
			if (rtcp)
				hex(b, len);
			else
				hex(b + 12, len - 12);
			printf("\n");
		} else {
			printf("fail %d\n", st);
		}
	}
	pcap_close(pc);
	srtp_dealloc(s);
	return 0;
}
