/* SPDX-License-Identifier: BSD-3-Clause */
/* DPDK telemetry commands under /mixplane/ (telemetry.c). */
#ifndef MIXPLANE_TELEMETRY_H
#define MIXPLANE_TELEMETRY_H

#include <stdint.h>

struct mxp_ports;
struct mxp_worker;
struct mxp_mp_plane;
struct mxp_ctl_stats;

/* What the handlers read; every pointer outlives the daemon's run. */
struct mxp_tel_ctx {
	const char *socket;               /**< the control socket (state of the control core) */
	uint64_t start_ms;
	const struct mxp_ports *ports;
	struct mxp_worker *const *workers;
	uint16_t nb_workers;
	const struct mxp_ctl_stats *cst;
	const struct mxp_mp_plane *mp;    /**< set once the plane exists, NULL before */
};

/**
 * Register the /mixplane/ commands. DPDK 22.11's handlers take no argument: telemetry.c
 * keeps ctx (the caller's, which must outlive the run) for them.
 * @return 0, or -1 when a command could not be registered (telemetry disabled?).
 */
int mxp_telemetry_register(const struct mxp_tel_ctx *ctx);

#endif
