/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Streams: one SSRC in one direction, its replay state inline, references to the key
 * sessions it uses. The control path of streams; the packet path is srtp_packet.c.
 */
#include <errno.h>
#include <stdio.h>

#include "srtp_priv.h"

static bool
window_ok(uint32_t window)
{
	return window >= MXP_SRTP_REPLAY_WINDOW_MIN && window <= MXP_SRTP_REPLAY_WINDOW_MAX;
}

size_t
mxp_srtp_stream_size(uint32_t replay_window)
{
	return mxp_srtp_stream_size_dir(replay_window, MXP_SRTP_INBOUND);
}

size_t
mxp_srtp_stream_size_dir(uint32_t replay_window, enum mxp_srtp_dir dir)
{
	uint32_t w = replay_window ? replay_window : MXP_SRTP_REPLAY_WINDOW_DEFAULT;
	if (dir != MXP_SRTP_INBOUND && dir != MXP_SRTP_OUTBOUND)
		return 0;
	return window_ok(w) ? srtp_stream_bytes(w, dir == MXP_SRTP_OUTBOUND) : 0;
}

/* A resumed window: every index at or below top counts as received. The rest of top's
 * word stays clear, as srtp_rwin_commit() expects of the indices above top. */
static void
window_seen_fill(const struct mxp_srtp_stream *s, uint64_t *bits, uint64_t top)
{
	unsigned int tw = (unsigned int)((top & s->wbits) >> 6);
	for (unsigned int i = 0; i <= s->wmask; i++)
		bits[i] = i == tw ? (top & 63) == 63 ? ~UINT64_C(0)
						      : (UINT64_C(1) << ((top & 63) + 1)) - 1
				  : ~UINT64_C(0);
}

void
srtp_stream_setup(struct mxp_srtp_stream *s, const struct mxp_srtp_stream_params *p,
		  uint32_t window)
{
	memset(s, 0, srtp_stream_bytes(window, p->dir == MXP_SRTP_OUTBOUND));
	s->active = -1;
	s->window = (uint16_t)window;
	s->wbits = (uint16_t)(srtp_rwin_words(window) * 64 - 1);
	s->wmask = (uint8_t)(srtp_rwin_words(window) - 1);
	s->flags = (p->dir == MXP_SRTP_OUTBOUND ? SF_OUT : 0) | (p->ssrc_learn ? 0 : SF_SSRC_KNOWN) |
		   (p->srtcp_unencrypted ? SF_SRTCP_UNENC : 0);
	s->ssrc = p->ssrc;
	s->rtp_top = (uint64_t)p->roc << 16;
	if (p->dir == MXP_SRTP_OUTBOUND)
		srtp_cold(s)->rtcp_idx = p->srtcp_index;
	if (p->s_l_valid) {
		uint64_t top = (uint64_t)p->roc << 16 | p->s_l;
		srtp_rtp_commit(s, top);
		if (p->window_seen && p->dir == MXP_SRTP_INBOUND)
			window_seen_fill(s, s->ring, top);
	}
	if (p->srtcp_seen && p->dir == MXP_SRTP_INBOUND) {
		srtp_rtcp_commit(s, p->srtcp_index);
		window_seen_fill(s, srtp_rtcp_ring(s), p->srtcp_index);
	}
	s->magic = SRTP_STREAM_MAGIC;
}

int
mxp_srtp_stream_init(struct mxp_srtp_stream *s, const struct mxp_srtp_stream_params *p,
		     char *err, size_t errlen)
{
	char msg[160];

	if (s == NULL || p == NULL)
		return srtp_fail(err, errlen, -EINVAL, "NULL stream or parameters");
	if (((uintptr_t)s & (MXP_SRTP_STREAM_ALIGN - 1)) != 0)
		return srtp_fail(err, errlen, -EINVAL, "stream memory is not 64-byte aligned");
	if (p->dir != MXP_SRTP_INBOUND && p->dir != MXP_SRTP_OUTBOUND)
		return srtp_fail(err, errlen, -EINVAL, "direction must be inbound or outbound");
	uint32_t window = p->replay_window ? p->replay_window : MXP_SRTP_REPLAY_WINDOW_DEFAULT;
	if (!window_ok(window)) {
		snprintf(msg, sizeof(msg), "replay window %u outside %u..%u", p->replay_window,
			 MXP_SRTP_REPLAY_WINDOW_MIN, MXP_SRTP_REPLAY_WINDOW_MAX);
		return srtp_fail(err, errlen, -EINVAL, msg);
	}
	if (p->ssrc_learn && p->dir != MXP_SRTP_INBOUND)
		return srtp_fail(err, errlen, -EINVAL, "ssrc_learn is for inbound streams only");
	if (p->srtcp_index >= (UINT32_C(1) << 31))
		return srtp_fail(err, errlen, -EINVAL, "SRTCP index must be below 2^31");
	if (p->srtcp_seen && p->dir != MXP_SRTP_INBOUND)
		return srtp_fail(err, errlen, -EINVAL, "srtcp_seen is for inbound streams only");
	srtp_stream_setup(s, p, window);
	return 0;
}

void
mxp_srtp_stream_fini(struct mxp_srtp_stream *s)
{
	if (s == NULL)
		return;
	if (s->magic == SRTP_STREAM_MAGIC)
		srtp_wipe(s, srtp_stream_bytes(s->window, s->flags & SF_OUT));
	else
		srtp_wipe(s, sizeof(*s));
}

void
srtp_stream_set_suite(struct mxp_srtp_stream *s, const struct mxp_crypto_driver *drv,
		      const struct mxp_srtp_suite_info *si)
{
	s->drv = drv;
	s->tag_len = si->srtp_tag_len;
	s->rtcp_tag_len = si->srtcp_tag_len;
	s->flags = (uint8_t)((s->flags & ~SF_AEAD) | (si->aead ? SF_AEAD : 0));
}

void
srtp_stream_slot_set(struct mxp_srtp_stream *s, unsigned int slot, struct mxp_srtp_key *k)
{
	s->keys[slot] = k;
	s->mki_len = k->mki_len;
	if (s->active < 0)
		s->active = (int8_t)slot;
}

void
srtp_stream_slot_clear(struct mxp_srtp_stream *s, unsigned int slot)
{
	s->keys[slot] = NULL;
	if (s->active == (int)slot)
		s->active = -1;
}

static int
slot_of(const struct mxp_srtp_stream *s, const struct mxp_srtp_key *k)
{
	for (int i = 0; i < MXP_SRTP_MAX_KEYS; i++)
		if (s->keys[i] == k)
			return i;
	return -1;
}

static bool
usable(const struct mxp_srtp_stream *s)
{
	return s != NULL && s->magic == SRTP_STREAM_MAGIC;
}

int
srtp_stream_slot_find(const struct mxp_srtp_stream *s, const uint8_t *mki, size_t mki_len)
{
	if (mki_len > MXP_SRTP_MAX_MKI_LEN || (mki_len > 0 && mki == NULL))
		return -1;
	for (int i = 0; i < MXP_SRTP_MAX_KEYS; i++) {
		const struct mxp_srtp_key *k = s->keys[i];
		if (k != NULL && k->mki_len == mki_len &&
		    (mki_len == 0 || memcmp(k->mki, mki, mki_len) == 0))
			return i;
	}
	return -1;
}

int
srtp_stream_slot_new(const struct mxp_srtp_stream *s, const uint8_t *mki, size_t mki_len)
{
	int slot = -1;
	bool any = false;

	for (int i = 0; i < MXP_SRTP_MAX_KEYS; i++) {
		if (s->keys[i] != NULL)
			any = true;
		else if (slot < 0)
			slot = i;
	}
	if (any) {
		/* one MKI length for every key (RFC 4568 6.1); without MKI, a single key */
		if (mki_len != s->mki_len)
			return s->mki_len == 0 ? -EEXIST : -EINVAL;
		if (srtp_stream_slot_find(s, mki, mki_len) >= 0)
			return -EEXIST;
	}
	return slot < 0 ? -ENOSPC : slot;
}

int
mxp_srtp_stream_key_add(struct mxp_srtp_stream *s, struct mxp_srtp_key *k)
{
	if (!usable(s) || k == NULL || k->magic != SRTP_KEY_MAGIC)
		return -EINVAL;
	const struct mxp_srtp_key *any = NULL;
	for (unsigned int i = 0; i < MXP_SRTP_MAX_KEYS && any == NULL; i++)
		any = s->keys[i];
	if (any != NULL && (k->suite != any->suite || k->drv != any->drv))
		return -EINVAL;
	/* k itself already here is -EEXIST too: its MKI is found */
	int slot = srtp_stream_slot_new(s, k->mki, k->mki_len);
	if (slot < 0)
		return slot;
	if (any == NULL)
		srtp_stream_set_suite(s, k->drv, srtp_suite(k->suite));
	srtp_stream_slot_set(s, (unsigned int)slot, k);
	return 0;
}

int
mxp_srtp_stream_key_remove(struct mxp_srtp_stream *s, const struct mxp_srtp_key *k)
{
	if (!usable(s) || k == NULL)
		return -EINVAL;
	int slot = slot_of(s, k);
	if (slot < 0)
		return -ENOENT;
	srtp_stream_slot_clear(s, (unsigned int)slot);
	return 0;
}

int
mxp_srtp_stream_key_activate(struct mxp_srtp_stream *s, const struct mxp_srtp_key *k)
{
	if (!usable(s) || k == NULL)
		return -EINVAL;
	int slot = slot_of(s, k);
	if (slot < 0)
		return -ENOENT;
	s->active = (int8_t)slot;
	return 0;
}

struct mxp_srtp_key *
mxp_srtp_stream_key_find(const struct mxp_srtp_stream *s, const uint8_t *mki, size_t mki_len)
{
	if (!usable(s))
		return NULL;
	int slot = srtp_stream_slot_find(s, mki, mki_len);
	return slot >= 0 ? s->keys[slot] : NULL;
}

int
mxp_srtp_stream_set_ssrc(struct mxp_srtp_stream *s, uint32_t ssrc)
{
	if (!usable(s) || !(s->flags & SF_OUT))
		return -EINVAL;
	s->ssrc = ssrc;
	s->rtp_top = 0;
	s->flags &= (uint8_t)~(SF_RTP_STARTED | SF_RTCP_STARTED);
	srtp_cold(s)->rtcp_idx = 0;
	return 0;
}

void
mxp_srtp_stream_stats(const struct mxp_srtp_stream *s, struct mxp_srtp_stats *st)
{
	const struct srtp_stream_cold *x = srtp_cold(s);

	memset(st, 0, sizeof(*st));
	uint64_t crypted = s->srtp_pkts[0] + x->srtcp_pkts[0] - x->srtcp_clear;
	if (s->flags & SF_OUT) {
		st->srtp_protected = s->srtp_pkts[0];
		st->srtcp_protected = x->srtcp_pkts[0];
		st->bytes_protected = s->bytes;
		st->encryptions = crypted;
	} else {
		st->srtp_unprotected = s->srtp_pkts[0];
		st->srtp_verified = s->srtp_pkts[1];
		st->srtcp_unprotected = x->srtcp_pkts[0];
		st->srtcp_verified = x->srtcp_pkts[1];
		st->bytes_unprotected = s->bytes;
		st->decryptions = crypted;
	}
	for (unsigned int r = 0; r < MXP_SRTP_R_COUNT; r++)
		st->drops[r] = x->drops[r];
}

void
mxp_srtp_stream_info(const struct mxp_srtp_stream *s, struct mxp_srtp_stream_info *si)
{
	const struct srtp_stream_cold *x = srtp_cold(s);

	memset(si, 0, sizeof(*si));
	si->ssrc = s->ssrc;
	si->ssrc_known = s->flags & SF_SSRC_KNOWN;
	si->other_ssrc = __atomic_load_n(&x->other_ssrc, __ATOMIC_RELAXED);
	si->started = s->flags & SF_RTP_STARTED;
	si->roc = (uint32_t)(s->rtp_top >> 16);
	si->s_l = si->started ? (uint16_t)(s->rtp_top & 0xffff) : 0;
	si->srtcp_index = x->rtcp_idx;
	si->srtcp_started = !(s->flags & SF_OUT) && (s->flags & SF_RTCP_STARTED);
	si->replay_window = s->window;
	si->driver = s->drv ? s->drv->name : "none";
}

uint32_t
mxp_srtp_stream_events(struct mxp_srtp_stream *s)
{
	return srtp_events_take(&srtp_cold(s)->events);
}

void
mxp_srtp_stream_prefetch(const struct mxp_srtp_stream *s)
{
	__builtin_prefetch(s);
	__builtin_prefetch((const char *)s + 64);
}

void
mxp_srtp_stream_prefetch_keys(const struct mxp_srtp_stream *s)
{
	const struct mxp_srtp_key *k = s->active >= 0 ? s->keys[s->active] : s->keys[0];
	if (k == NULL)
		return;
	srtp_key_prefetch(k);
}
