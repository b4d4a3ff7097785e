/* SPDX-License-Identifier: BSD-3-Clause */
/* Mixing kernels, AVX-512 F+BW (function-level target). */
#include <immintrin.h>

#include "media_priv.h"

#define AVX512 __attribute__((target("avx512f,avx512bw")))

AVX512 static void
avx512_acc_add(int32_t *acc, const int16_t *x, unsigned n)
{
	for (unsigned i = 0; i < n; i += 16) {
		__m512i v = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)(x + i)));
		__m512i a = _mm512_loadu_si512((const void *)(acc + i));
		_mm512_storeu_si512((void *)(acc + i), _mm512_add_epi32(a, v));
	}
}

AVX512 static inline __m512i
diff16(const int32_t *acc, const int16_t *self)
{
	__m512i s = _mm512_cvtepi16_epi32(_mm256_loadu_si256((const __m256i *)self));
	return _mm512_sub_epi32(_mm512_loadu_si512((const void *)acc), s);
}

AVX512 static int32_t
avx512_peak(const int32_t *acc, const int16_t *self, unsigned n)
{
	__m512i m = _mm512_setzero_si512();
	for (unsigned i = 0; i < n; i += 16)
		m = _mm512_max_epi32(m, _mm512_abs_epi32(diff16(acc + i, self + i)));
	return _mm512_reduce_max_epi32(m);
}

AVX512 static void
avx512_out(int16_t *dst, const int32_t *acc, const int16_t *self, unsigned n, float g0,
	   float dg)
{
	if (g0 == 1.0f && dg == 0.0f) {
		for (unsigned i = 0; i < n; i += 16)
			_mm256_storeu_si256((__m256i *)(dst + i),
					    _mm512_cvtsepi32_epi16(diff16(acc + i, self + i)));
		return;
	}
	const __m512 vg0 = _mm512_set1_ps(g0), vdg = _mm512_set1_ps(dg);
	__m512i idx = _mm512_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
	const __m512i sixteen = _mm512_set1_epi32(16);
	for (unsigned i = 0; i < n; i += 16) {
		__m512 g = _mm512_add_ps(vg0, _mm512_mul_ps(vdg, _mm512_cvtepi32_ps(idx)));
		idx = _mm512_add_epi32(idx, sixteen);
		__m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(diff16(acc + i, self + i)), g);
		_mm256_storeu_si256((__m256i *)(dst + i),
				    _mm512_cvtsepi32_epi16(_mm512_cvtps_epi32(f)));
	}
}

AVX512 static uint64_t
avx512_energy(const int16_t *x, unsigned n)
{
	__m512i acc = _mm512_setzero_si512();
	unsigned i = 0;
	for (; i + 32 <= n; i += 32) {
		__m512i v = _mm512_loadu_si512((const void *)(x + i));
		__m512i p = _mm512_madd_epi16(v, v);
		acc = _mm512_add_epi64(acc, _mm512_cvtepu32_epi64(_mm512_castsi512_si256(p)));
		acc = _mm512_add_epi64(acc, _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(p, 1)));
	}
	uint64_t e = (uint64_t)_mm512_reduce_add_epi64(acc);
	for (; i < n; i++)
		e += (uint64_t)((int32_t)x[i] * x[i]);
	return e;
}

const struct media_simd_ops media_simd_avx512 = {
	.id = MXP_MEDIA_SIMD_AVX512,
	.acc_add = avx512_acc_add,
	.peak = avx512_peak,
	.out = avx512_out,
	.energy = avx512_energy,
};
