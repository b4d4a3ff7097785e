/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Anti-replay window: the RFC 6479 bitmap. The window of W bits lives in a ring of
 * nblocks 64-bit blocks (a power of two, one block more than W needs) so that sliding the
 * window forward clears whole blocks instead of shifting bits. Checking never changes the
 * window; committing happens only after the ICV has been verified.
 */
#include <errno.h>

#include "esp_priv.h"

int
mxp_esp_replay_init(struct mxp_esp_replay *r, uint32_t window)
{
	if (window == 0)
		window = MXP_ESP_WINDOW_DEFAULT;
	if (window < MXP_ESP_WINDOW_MIN || window > MXP_ESP_WINDOW_MAX || window % 64 != 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->window = window;
	r->nblocks = mxp_align32pow2(window / 64 + 1);
	return 0;
}

enum mxp_esp_drop
mxp_esp_replay_check(const struct mxp_esp_replay *r, uint64_t seq)
{
	if (seq == 0)
		return MXP_ESP_DROP_BAD_SEQ;
	if (seq > r->top)
		return MXP_ESP_DROP_NONE;
	if (r->top - seq >= r->window)
		return MXP_ESP_DROP_TOO_OLD;
	uint64_t block = (seq >> 6) & (r->nblocks - 1);
	if (r->bitmap[block] & (UINT64_C(1) << (seq & 63)))
		return MXP_ESP_DROP_REPLAY;
	return MXP_ESP_DROP_NONE;
}

void
mxp_esp_replay_commit(struct mxp_esp_replay *r, uint64_t seq)
{
	if (seq > r->top) {
		uint64_t cur = r->top >> 6, nxt = seq >> 6;
		uint64_t diff = nxt - cur;
		if (diff > r->nblocks)
			diff = r->nblocks;
		for (uint64_t i = 1; i <= diff; i++)
			r->bitmap[(cur + i) & (r->nblocks - 1)] = 0;
		r->top = seq;
	}
	r->bitmap[(seq >> 6) & (r->nblocks - 1)] |= UINT64_C(1) << (seq & 63);
}

uint64_t
mxp_esp_replay_esn(const struct mxp_esp_replay *r, uint32_t seq_lo)
{
	uint32_t tl = (uint32_t)r->top, th = (uint32_t)(r->top >> 32);
	uint32_t w = r->window;
	uint32_t seqh;

	if (tl >= w - 1) {
		/* Case A: the window lies within one 2^32 subspace. */
		seqh = seq_lo >= tl - w + 1 ? th : th + 1;
	} else {
		/* Case B: the window spans two subspaces. */
		seqh = seq_lo >= tl - w + 1 ? th - 1 : th;
		if (th == 0 && seqh == UINT32_MAX)
			seqh = 0; /* nothing below the first subspace */
	}
	return (uint64_t)seqh << 32 | seq_lo;
}
