/* SPDX-License-Identifier: BSD-3-Clause */
/* The request heads the Prometheus endpoint takes (metrics_http.h). */
#include <string.h>

#include "metrics_http.h"

bool
mxp_metrics_http_head_complete(const char *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (p[i] == '\n' && (p[i + 1] == '\n' ||
				     (p[i + 1] == '\r' && i + 2 < n && p[i + 2] == '\n')))
			return true;
	return false;
}

int
mxp_metrics_http_route(const char *p, size_t n, bool *head)
{
	size_t i = 0;
	*head = false;
	while (i < n && (p[i] == '\r' || p[i] == '\n')) /* RFC 9112 2.2: empty lines first */
		i++;
	const char *line = p + i;
	const char *eol = memchr(line, '\n', n - i);
	if (eol == NULL)
		return 400;
	size_t len = (size_t)(eol - line);
	if (len && line[len - 1] == '\r')
		len--;
	/* method SP target SP HTTP/1.x */
	const char *sp1 = memchr(line, ' ', len);
	if (sp1 == NULL || sp1 == line)
		return 400;
	const char *target = sp1 + 1;
	const char *sp2 = memchr(target, ' ', len - (size_t)(target - line));
	if (sp2 == NULL || sp2 == target || *target != '/')
		return 400;
	const char *version = sp2 + 1;
	size_t vlen = len - (size_t)(version - line);
	if (vlen != 8 || memcmp(version, "HTTP/1.", 7) != 0 || version[7] < '0' ||
	    version[7] > '9')
		return 400;
	size_t mlen = (size_t)(sp1 - line);
	for (size_t k = 0; k < mlen; k++)
		if (line[k] < 'A' || line[k] > 'Z')
			return 400;
	size_t tlen = (size_t)(sp2 - target);
	const char *q = memchr(target, '?', tlen);
	if (q)
		tlen = (size_t)(q - target);
	if (tlen != 8 || memcmp(target, "/metrics", 8) != 0)
		return 404;
	*head = mlen == 4 && memcmp(line, "HEAD", 4) == 0;
	if (!*head && !(mlen == 3 && memcmp(line, "GET", 3) == 0))
		return 405;
	return 200;
}
