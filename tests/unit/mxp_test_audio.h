/* SPDX-License-Identifier: BSD-3-Clause */
/* Audio checks shared by the unit tests that look at what was heard or written. */
#ifndef MXP_TEST_AUDIO_H
#define MXP_TEST_AUDIO_H

#include <math.h>
#include <stdint.h>

/*
 * Amplitude of the component at freq (Hz) in x[0..n), sampled at rate: Goertzel over a Hann
 * window, compensated for the window's gain, so a sine of amplitude A reads A. Fewer than
 * two samples read 0.
 */
static inline double
mxp_test_tone_amp(const int16_t *x, unsigned int n, double freq, double rate)
{
	if (n < 2)
		return 0;
	double w = 2.0 * M_PI * freq / rate, k = 2.0 * cos(w), s1 = 0, s2 = 0, wsum = 0;
	for (unsigned int i = 0; i < n; i++) {
		double h = 0.5 - 0.5 * cos(2.0 * M_PI * i / (n - 1));
		wsum += h;
		double s = x[i] * h + k * s1 - s2;
		s2 = s1;
		s1 = s;
	}
	double re = s1 - s2 * cos(w), im = s2 * sin(w);
	return 2.0 * sqrt(re * re + im * im) / wsum;
}

#endif
