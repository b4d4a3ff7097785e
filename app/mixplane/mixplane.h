/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mixplane daemon: what every part of it shares (logging, the control paths' clock,
 * the burst size, the control core's counters). It names no subsystem: each has its own
 * header (ports.h, neigh.h, worker.h, mp_plane.h, cli.h, telemetry.h, control.h) and
 * doc/design.md "The daemon's parts" says which may call which.
 */
#ifndef MIXPLANE_H
#define MIXPLANE_H

#include <stddef.h>
#include <stdint.h>

#include <rte_log.h>

#include "config.h"
#include "mxp_drop.h"
#include "mxp_time.h"

#define MXP_BURST 32

extern int mxp_logtype;
#define MXP_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_##level, mxp_logtype, "mixplane: " fmt "\n", ##__VA_ARGS__)

/** Milliseconds on a monotonic clock (control paths; workers use the TSC). */
static inline uint64_t
mxp_now_ms(void)
{
	return mxp_clock_ms();
}

/* Counters of the control core. control.c, neigh.c/ports.c and mp_plane.c each count
 * theirs through the pointer they are given; the CLI, telemetry and stats.c read them. */
struct mxp_ctl_stats {
	uint64_t rx;             /**< packets received from workers */
	uint64_t arp_learned;
	uint64_t nd_learned;
	uint64_t arp_requests_sent;
	uint64_t ns_sent;
	uint64_t cli_requests;
	uint64_t cli_errors;
	uint64_t cli_denied;
	uint64_t cli_busy;       /**< connections refused: all MAX_CLIENTS slots taken */
	uint64_t cli_oversize;   /**< requests refused at a header announcing too many bytes */
	uint64_t cli_timeout;    /**< connections closed unfinished after CLIENT_TIMEOUT_MS */
	uint64_t drops[MXP_DROP_MAX];
};

/** Load and register the codec plugins of the configuration (codec_plugins.c). */
int mxp_codec_plugins_load(const struct mxp_cfg *cfg, char *err, size_t errlen);

#endif
