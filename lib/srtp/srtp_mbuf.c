/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mbuf bursts on top of the plain-buffer packet path: locate the RTP/RTCP packet at
 * l2_len + l3_len + l4_len, run the packets, append or trim the trailer, and move the
 * failures (with their streams or contexts, and reasons) to the end of the arrays, keeping
 * order. One body serves both object arrays (the flag is a constant in each instance).
 */
#include <rte_mbuf.h>

#include "srtp_priv.h"

#define MCHUNK 64

/* The caller's object array: contexts or streams. */
struct objs {
	struct mxp_srtp_ctx **cx;    /* contexts, or NULL */
	struct mxp_srtp_stream **sx; /* streams, when cx is NULL */
};

static inline __attribute__((always_inline)) uintptr_t
obj_get(const struct objs *o, bool is_ctx, uint16_t i)
{
	return is_ctx ? (uintptr_t)o->cx[i] : (uintptr_t)o->sx[i];
}

static inline __attribute__((always_inline)) void
obj_set(const struct objs *o, bool is_ctx, uint16_t i, uintptr_t v)
{
	if (is_ctx)
		o->cx[i] = (struct mxp_srtp_ctx *)v;
	else
		o->sx[i] = (struct mxp_srtp_stream *)v;
}

static inline __attribute__((always_inline)) struct mxp_srtp_stream *
obj_stream(const struct objs *o, bool is_ctx, uint16_t i)
{
	return is_ctx ? srtp_ctx_stream(o->cx[i]) : o->sx[i];
}

/*
 * Process mb[at .. at+m) and make the array look like [good | bad | unprocessed] again:
 * on entry [g .. at) holds the bad packets of earlier chunks.
 */
static inline __attribute__((always_inline)) uint16_t
mbuf_chunk(const struct objs *o, bool is_ctx, struct rte_mbuf *mb[], uint8_t reason[],
	   uint16_t g, uint16_t at, uint16_t m, bool rtcp, enum srtp_mode mode)
{
	struct mxp_srtp_pkt pk[MCHUNK];
	struct mxp_srtp_stream *pc[MCHUNK];
	uint8_t pr[MCHUNK];
	uint16_t map[MCHUNK];
	uint8_t rs[MCHUNK];
	uint16_t olen[MCHUNK];
	uint16_t np = 0;

	for (uint16_t i = 0; i < m; i++) {
		struct rte_mbuf *b = mb[at + i];
		uint32_t off = (uint32_t)b->l2_len + b->l3_len + b->l4_len;
		struct mxp_srtp_stream *s = obj_stream(o, is_ctx, (uint16_t)(at + i));
		if (MXP_UNLIKELY(b->nb_segs != 1 || off > b->data_len)) {
			rs[i] = MXP_SRTP_R_MBUF;
			srtp_drop(s, MXP_SRTP_R_MBUF);
			continue;
		}
		pk[np].data = rte_pktmbuf_mtod_offset(b, uint8_t *, off);
		pk[np].len = b->data_len - off;
		pk[np].room = rte_pktmbuf_tailroom(b);
		olen[np] = (uint16_t)pk[np].len;
		pc[np] = s;
		map[np] = i;
		np++;
	}
	uint16_t ok = np ? srtp_run_pkts(pc, pk, np, pr, rtcp, mode) : 0;
	for (uint16_t x = 0; x < np; x++) {
		uint16_t i = map[x];
		rs[i] = pr[x];
		if (pr[x] != MXP_SRTP_R_OK)
			continue;
		/* single segment, and protect checked the tailroom: adjust the lengths
		 * directly (what rte_pktmbuf_append/trim would do after their checks) */
		struct rte_mbuf *b = mb[at + i];
		int32_t delta = (int32_t)pk[x].len - (int32_t)olen[x];
		b->data_len = (uint16_t)(b->data_len + delta);
		b->pkt_len = (uint32_t)((int32_t)b->pkt_len + delta);
	}

	uint16_t bad_before = at - g;
	if (ok == m && bad_before == 0)
		return ok;

	/* Split this chunk into good and bad, then slide the earlier bad block. */
	struct rte_mbuf *gm[MCHUNK], *bm[MCHUNK];
	uintptr_t gc[MCHUNK], bc[MCHUNK];
	uint8_t br[MCHUNK];
	uint16_t ng = 0, nb = 0;
	for (uint16_t i = 0; i < m; i++) {
		if (rs[i] == MXP_SRTP_R_OK) {
			gm[ng] = mb[at + i];
			gc[ng++] = obj_get(o, is_ctx, (uint16_t)(at + i));
		} else {
			bm[nb] = mb[at + i];
			bc[nb] = obj_get(o, is_ctx, (uint16_t)(at + i));
			br[nb++] = rs[i];
		}
	}
	if (bad_before) {
		memmove(&mb[g + ng], &mb[g], bad_before * sizeof(mb[0]));
		if (is_ctx)
			memmove(&o->cx[g + ng], &o->cx[g], bad_before * sizeof(o->cx[0]));
		else
			memmove(&o->sx[g + ng], &o->sx[g], bad_before * sizeof(o->sx[0]));
		memmove(&reason[g + ng], &reason[g], bad_before * sizeof(reason[0]));
	}
	for (uint16_t i = 0; i < ng; i++) {
		mb[g + i] = gm[i];
		obj_set(o, is_ctx, (uint16_t)(g + i), gc[i]);
		reason[g + i] = MXP_SRTP_R_OK;
	}
	for (uint16_t i = 0; i < nb; i++) {
		uint16_t to = g + ng + bad_before + i;
		mb[to] = bm[i];
		obj_set(o, is_ctx, to, bc[i]);
		reason[to] = br[i];
	}
	return ng;
}

static inline __attribute__((always_inline)) uint16_t
mbuf_run(const struct objs *o, bool is_ctx, struct rte_mbuf *mb[], uint16_t n, uint8_t reason[],
	 bool rtcp, enum srtp_mode mode)
{
	uint16_t g = 0;

	for (uint16_t at = 0; at < n;) {
		uint16_t m = n - at < MCHUNK ? n - at : MCHUNK;
		g += mbuf_chunk(o, is_ctx, mb, reason, g, at, m, rtcp, mode);
		at += m;
	}
	for (uint16_t i = 0; i < g; i++)
		reason[i] = MXP_SRTP_R_OK;
	return g;
}

static uint16_t
ctx_run(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n, uint8_t reason[],
	bool rtcp, enum srtp_mode mode)
{
	struct objs o = { .cx = ctx };
	return mbuf_run(&o, true, mb, n, reason, rtcp, mode);
}

static uint16_t
stream_run(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[], uint16_t n, uint8_t reason[],
	   bool rtcp, enum srtp_mode mode)
{
	struct objs o = { .sx = s };
	return mbuf_run(&o, false, mb, n, reason, rtcp, mode);
}

uint16_t
mxp_srtp_protect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
		       uint8_t reason[])
{
	return ctx_run(ctx, mb, n, reason, false, SRTP_M_PROTECT);
}

uint16_t
mxp_srtp_unprotect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
			 uint8_t reason[])
{
	return ctx_run(ctx, mb, n, reason, false, SRTP_M_UNPROTECT);
}

uint16_t
mxp_srtp_verify_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
		      uint8_t reason[])
{
	return ctx_run(ctx, mb, n, reason, false, SRTP_M_VERIFY);
}

uint16_t
mxp_srtcp_protect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
			uint8_t reason[])
{
	return ctx_run(ctx, mb, n, reason, true, SRTP_M_PROTECT);
}

uint16_t
mxp_srtcp_unprotect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
			  uint8_t reason[])
{
	return ctx_run(ctx, mb, n, reason, true, SRTP_M_UNPROTECT);
}

uint16_t
mxp_srtcp_verify_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
		       uint8_t reason[])
{
	return ctx_run(ctx, mb, n, reason, true, SRTP_M_VERIFY);
}

uint16_t
mxp_srtp_stream_protect_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[], uint16_t n,
			      uint8_t reason[])
{
	return stream_run(s, mb, n, reason, false, SRTP_M_PROTECT);
}

uint16_t
mxp_srtp_stream_unprotect_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[], uint16_t n,
				uint8_t reason[])
{
	return stream_run(s, mb, n, reason, false, SRTP_M_UNPROTECT);
}

uint16_t
mxp_srtp_stream_verify_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[], uint16_t n,
			     uint8_t reason[])
{
	return stream_run(s, mb, n, reason, false, SRTP_M_VERIFY);
}

uint16_t
mxp_srtcp_stream_protect_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[], uint16_t n,
			       uint8_t reason[])
{
	return stream_run(s, mb, n, reason, true, SRTP_M_PROTECT);
}

uint16_t
mxp_srtcp_stream_unprotect_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[],
				 uint16_t n, uint8_t reason[])
{
	return stream_run(s, mb, n, reason, true, SRTP_M_UNPROTECT);
}

uint16_t
mxp_srtcp_stream_verify_burst(struct mxp_srtp_stream *s[], struct rte_mbuf *mb[], uint16_t n,
			      uint8_t reason[])
{
	return stream_run(s, mb, n, reason, true, SRTP_M_VERIFY);
}
