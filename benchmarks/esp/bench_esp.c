/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP seal + open throughput for every transform on both backends, for Mp-sized packets
 * (UDP + a 600-byte transaction) and 1400-byte ones. One core, one packet at a time, as
 * the control core runs. Prints a table and one JSON line. Not a test: no assertions on
 * time. Usage: bench_esp [seconds-per-case (0.3)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mxp_esp.h"

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0.3;
	static const enum mxp_esp_alg algs[] = { MXP_ESP_ALG_AES_GCM_128, MXP_ESP_ALG_AES_GCM_256,
		MXP_ESP_ALG_AES_CBC_HMAC_SHA1, MXP_ESP_ALG_AES_CBC_HMAC_SHA256 };
	static const char *const be[] = { "ipsec-mb", "openssl" };
	static const size_t sizes[] = { 608, 1400 };
	struct mxp_esp_sa *o = aligned_alloc(64, (mxp_esp_sa_size() + 63) & ~(size_t)63);
	struct mxp_esp_sa *in = aligned_alloc(64, (mxp_esp_sa_size() + 63) & ~(size_t)63);
	static uint8_t pl[2048], pkt[2200];
	char json[4096];
	size_t jl = (size_t)snprintf(json, sizeof(json), "{\"bench\":\"esp\",\"results\":[");

	printf("%-10s %-28s %6s %12s %10s\n", "backend", "transform", "bytes", "pkts/s", "MB/s");
	for (size_t b = 0; b < 2; b++) {
		struct mxp_esp_crypto c;
		if (mxp_esp_crypto_open(&c, be[b]) != 0)
			continue;
		for (size_t a = 0; a < 4; a++)
			for (size_t s = 0; s < 2; s++) {
				struct mxp_esp_sa_params p = { .spi = 0x1234, .alg = algs[a],
							       .window = 1024 };
				char err[128];
				mxp_ip_parse("10.0.0.1", &p.local, NULL);
				mxp_ip_parse("10.0.0.2", &p.peer, NULL);
				p.key_len = a == 0 ? 20 : a == 1 ? 36 : 16;
				p.auth_key_len = a == 2 ? 20 : a == 3 ? 32 : 0;
				memset(p.key, 7, sizeof(p.key));
				memset(p.auth_key, 9, sizeof(p.auth_key));
				p.dir = MXP_ESP_DIR_OUT;
				mxp_esp_sa_init(o, &p, &c, err, sizeof(err));
				p.dir = MXP_ESP_DIR_IN;
				mxp_esp_sa_init(in, &p, &c, err, sizeof(err));
				uint64_t n = 0;
				double t0 = now(), t;
				do {
					for (int k = 0; k < 64; k++) {
						size_t len;
						struct mxp_esp_rx rx;
						mxp_esp_sa_outbound(o, pl, sizes[s], 17, pkt, sizeof(pkt),
								    &len);
						if (mxp_esp_sa_inbound(in, pkt, len, &rx) !=
						    MXP_ESP_DROP_NONE)
							abort();
						n++;
					}
					t = now() - t0;
				} while (t < secs);
				double pps = (double)n / t;
				printf("%-10s %-28s %6zu %12.0f %10.1f\n", be[b],
				       mxp_esp_alg_name(algs[a]), sizes[s], pps,
				       pps * (double)sizes[s] / 1e6);
				jl += (size_t)snprintf(json + jl, sizeof(json) - jl,
						       "%s{\"backend\":\"%s\",\"alg\":\"%s\",\"bytes\":%zu,"
						       "\"seal_open_per_s\":%.0f}",
						       jl > 40 ? "," : "", be[b], mxp_esp_alg_name(algs[a]),
						       sizes[s], pps);
				mxp_esp_sa_fini(o);
				mxp_esp_sa_fini(in);
			}
		mxp_esp_crypto_close(&c);
	}
	printf("(one seal and one open per packet, one core)\n%s]}\n", json);
	free(o);
	free(in);
	return 0;
}
