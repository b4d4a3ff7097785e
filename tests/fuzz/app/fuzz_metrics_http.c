/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: arbitrary bytes as the head of a request to the Prometheus endpoint
 * (app/mixplane/metrics_http.c, included): nothing may crash or read past the input, the
 * status is one of 200, 400, 404, 405, and 200 only for a GET or HEAD of /metrics.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../../app/mixplane/metrics_http.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: ASan sees any read past the end */
	char *p = malloc(size ? size : 1);
	if (p == NULL)
		return 0;
	memcpy(p, data, size);
	/* complete: so is any longer input that starts with it (the daemon reads in pieces) */
	for (size_t k = 0; k <= size && k < 64; k++)
		if (mxp_metrics_http_head_complete(p, k) && !mxp_metrics_http_head_complete(p, size))
			abort();
	bool head = true;
	int st = mxp_metrics_http_route(p, size, &head);
	if (st != 200 && st != 400 && st != 404 && st != 405)
		abort();
	if (head && st != 200)
		abort();
	if (st == 200 && (memmem(p, size, " /metrics", 9) == NULL || memchr(p, '\n', size) == NULL))
		abort();
	free(p);
	return 0;
}
