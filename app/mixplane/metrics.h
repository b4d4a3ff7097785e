/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Prometheus endpoint (metrics.c): `GET /metrics` on a TCP socket ([metrics] listen),
 * answered by the control core from the counters the CLI reads. Its sockets live in an
 * epoll set of their own, which the control loop watches as one descriptor.
 */
#ifndef MIXPLANE_METRICS_H
#define MIXPLANE_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct mxp_metrics;
struct mxp_cfg;
struct mxp_cli_ctx;

/**
 * Open the endpoint: bind and listen on cfg's [metrics] listen address (nothing when it
 * has none). ctx is what the pages are made of: it may be filled later, before the control
 * loop runs.
 * @param out  the endpoint, or NULL when it is off.
 * @return 0; -errno with err naming the address and the reason (address in use, not an
 *         address of this host, permission).
 */
int mxp_metrics_create(const struct mxp_cfg *cfg, const struct mxp_cli_ctx *ctx,
		       struct mxp_metrics **out, char *err, size_t errlen);

/** The descriptor the control loop watches (readable: call mxp_metrics_poll()). */
int mxp_metrics_fd(const struct mxp_metrics *m);

/** Accept, read, answer and write what is ready, without blocking. NULL is a no-op. */
void mxp_metrics_poll(struct mxp_metrics *m);

/** Close connections past their deadline (from the control loop's timer). NULL: no-op. */
void mxp_metrics_expire(struct mxp_metrics *m, uint64_t now_ms);

/** Close every connection and the socket, free m. NULL is a no-op. */
void mxp_metrics_destroy(struct mxp_metrics *m);

#endif
