/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control paths' clock: monotonic milliseconds (timers, retransmissions, ages). The data
 * path uses the TSC (rte_rdtsc) instead. Header only, no DPDK.
 */
#ifndef MXP_TIME_H
#define MXP_TIME_H

#include <stdint.h>
#include <time.h>

/** Milliseconds of CLOCK_MONOTONIC. */
static inline uint64_t
mxp_clock_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
