/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP requests the Prometheus endpoint takes (metrics_http.c): the head of a request
 * read from a socket, judged without I/O, so that a fuzzer can drive it
 * (tests/fuzz/app/fuzz_metrics_http.c).
 */
#ifndef MIXPLANE_METRICS_HTTP_H
#define MIXPLANE_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

/** Whether p[0..n) holds a blank line (CRLF CRLF, or LF LF): the end of a request head. */
bool mxp_metrics_http_head_complete(const char *p, size_t n);

/**
 * The status for a complete request head p[0..n) (empty lines before the request line are
 * skipped): 200 for `GET` or `HEAD /metrics` (a query string is ignored), 404 for another
 * path, 405 for another method on /metrics, 400 for a request line that is not
 * `METHOD SP /TARGET SP HTTP/1.x` (METHOD in capitals). *head is set for HEAD.
 */
int mxp_metrics_http_route(const char *p, size_t n, bool *head);

#endif
