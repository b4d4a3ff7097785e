/* SPDX-License-Identifier: BSD-3-Clause */
/* Mixing kernels: the plain C reference (the SIMD variants must match it bit for bit). */
#include <math.h>
#include <stdlib.h>

#include "media_priv.h"

static void
c_acc_add(int32_t *acc, const int16_t *x, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		acc[i] += x[i];
}

static int32_t
c_peak(const int32_t *acc, const int16_t *self, unsigned n)
{
	int32_t m = 0;
	for (unsigned i = 0; i < n; i++) {
		int32_t v = acc[i] - self[i];
		v = v < 0 ? -v : v;
		m = v > m ? v : m;
	}
	return m;
}

static inline int16_t
sat16(int32_t v)
{
	return (int16_t)(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
}

static void
c_out(int16_t *dst, const int32_t *acc, const int16_t *self, unsigned n, float g0, float dg)
{
	if (g0 == 1.0f && dg == 0.0f) {
		for (unsigned i = 0; i < n; i++)
			dst[i] = sat16(acc[i] - self[i]);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		float g = g0 + dg * (float)(i + 1);
		float v = (float)(acc[i] - self[i]) * g;
		long r = lrintf(v);
		dst[i] = sat16(r > INT32_MAX ? INT32_MAX : (r < INT32_MIN ? INT32_MIN : (int32_t)r));
	}
}

static uint64_t
c_energy(const int16_t *x, unsigned n)
{
	uint64_t e = 0;
	for (unsigned i = 0; i < n; i++)
		e += (uint64_t)((int32_t)x[i] * x[i]);
	return e;
}

const struct media_simd_ops media_simd_c = {
	.id = MXP_MEDIA_SIMD_C,
	.acc_add = c_acc_add,
	.peak = c_peak,
	.out = c_out,
	.energy = c_energy,
};
