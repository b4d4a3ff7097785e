/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Sizes and alignment, for the libraries without DPDK (DPDK code uses rte_align32pow2() and
 * RTE_ALIGN_CEIL()). Header only.
 */
#ifndef MXP_ALIGN_H
#define MXP_ALIGN_H

#include <stddef.h>
#include <stdint.h>

/** x rounded up to a multiple of a (a power of two). */
#define MXP_ALIGN_CEIL(x, a) (((x) + (a) - 1) & ~((size_t)(a) - 1))

/** The smallest power of two that is at least x (1 for 0; x at most 2^31). */
static inline uint32_t
mxp_align32pow2(uint32_t x)
{
	return x <= 1 ? 1 : UINT32_C(1) << (32 - __builtin_clz(x - 1));
}

#endif
