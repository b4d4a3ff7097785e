/* SPDX-License-Identifier: BSD-3-Clause */
/* Mixing kernels, AVX2 (function-level target: the build baseline is -march=corei7). */
#include <immintrin.h>

#include "media_priv.h"

#define AVX2 __attribute__((target("avx2")))

AVX2 static void
avx2_acc_add(int32_t *acc, const int16_t *x, unsigned n)
{
	for (unsigned i = 0; i < n; i += 16) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
		__m256i lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(v));
		__m256i hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(v, 1));
		__m256i a0 = _mm256_loadu_si256((const __m256i *)(acc + i));
		__m256i a1 = _mm256_loadu_si256((const __m256i *)(acc + i + 8));
		_mm256_storeu_si256((__m256i *)(acc + i), _mm256_add_epi32(a0, lo));
		_mm256_storeu_si256((__m256i *)(acc + i + 8), _mm256_add_epi32(a1, hi));
	}
}

AVX2 static inline __m256i
diff8(const int32_t *acc, const int16_t *self)
{
	__m256i s = _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)self));
	return _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)acc), s);
}

AVX2 static int32_t
avx2_peak(const int32_t *acc, const int16_t *self, unsigned n)
{
	__m256i m = _mm256_setzero_si256();
	for (unsigned i = 0; i < n; i += 8)
		m = _mm256_max_epi32(m, _mm256_abs_epi32(diff8(acc + i, self + i)));
	__m128i r = _mm_max_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256(m, 1));
	r = _mm_max_epi32(r, _mm_shuffle_epi32(r, 0x4e));
	r = _mm_max_epi32(r, _mm_shuffle_epi32(r, 0xb1));
	return _mm_cvtsi128_si32(r);
}

AVX2 static void
avx2_out(int16_t *dst, const int32_t *acc, const int16_t *self, unsigned n, float g0, float dg)
{
	if (g0 == 1.0f && dg == 0.0f) {
		for (unsigned i = 0; i < n; i += 16) {
			__m256i a = diff8(acc + i, self + i), b = diff8(acc + i + 8, self + i + 8);
			__m256i p = _mm256_packs_epi32(a, b); /* per 128-bit lane: a0 b0 a1 b1 */
			p = _mm256_permute4x64_epi64(p, 0xd8);
			_mm256_storeu_si256((__m256i *)(dst + i), p);
		}
		return;
	}
	const __m256 vg0 = _mm256_set1_ps(g0), vdg = _mm256_set1_ps(dg);
	__m256i idx = _mm256_setr_epi32(1, 2, 3, 4, 5, 6, 7, 8);
	const __m256i eight = _mm256_set1_epi32(8);
	for (unsigned i = 0; i < n; i += 16) {
		__m256 g_a = _mm256_add_ps(vg0, _mm256_mul_ps(vdg, _mm256_cvtepi32_ps(idx)));
		idx = _mm256_add_epi32(idx, eight);
		__m256 g_b = _mm256_add_ps(vg0, _mm256_mul_ps(vdg, _mm256_cvtepi32_ps(idx)));
		idx = _mm256_add_epi32(idx, eight);
		__m256 fa = _mm256_mul_ps(_mm256_cvtepi32_ps(diff8(acc + i, self + i)), g_a);
		__m256 fb = _mm256_mul_ps(_mm256_cvtepi32_ps(diff8(acc + i + 8, self + i + 8)), g_b);
		__m256i p = _mm256_packs_epi32(_mm256_cvtps_epi32(fa), _mm256_cvtps_epi32(fb));
		p = _mm256_permute4x64_epi64(p, 0xd8);
		_mm256_storeu_si256((__m256i *)(dst + i), p);
	}
}

AVX2 static uint64_t
avx2_energy(const int16_t *x, unsigned n)
{
	/* pmaddwd pairs fit in int32 except (-32768)^2 * 2 = 2^31: accumulate pairs as
	 * unsigned 32-bit and widen every iteration, so nothing can overflow. */
	__m256i acc = _mm256_setzero_si256();
	for (unsigned i = 0; i < n; i += 16) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
		__m256i p = _mm256_madd_epi16(v, v); /* 8 x uint32 (as bits) */
		acc = _mm256_add_epi64(acc, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(p)));
		acc = _mm256_add_epi64(acc, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(p, 1)));
	}
	__m128i r = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
	return (uint64_t)_mm_cvtsi128_si64(r) + (uint64_t)_mm_extract_epi64(r, 1);
}

const struct media_simd_ops media_simd_avx2 = {
	.id = MXP_MEDIA_SIMD_AVX2,
	.acc_add = avx2_acc_add,
	.peak = avx2_peak,
	.out = avx2_out,
	.energy = avx2_energy,
};
