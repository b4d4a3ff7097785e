/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mbuf bursts on top of the plain-buffer packet path: locate the RTP/RTCP packet at
 * l2_len + l3_len + l4_len, run the packets, append or trim the trailer, and move the
 * failures (with their contexts and reasons) to the end of the arrays, keeping order.
 */
#include <rte_mbuf.h>

#include "srtp_priv.h"

#define MCHUNK 64

typedef uint16_t (*pkts_fn)(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[], uint16_t n,
			    uint8_t reason[]);

/*
 * Process mb[at .. at+m) and make the array look like [good | bad | unprocessed] again:
 * on entry [g .. at) holds the bad packets of earlier chunks.
 */
static inline uint16_t
mbuf_chunk(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint8_t reason[], uint16_t g,
	   uint16_t at, uint16_t m, pkts_fn fn)
{
	struct mxp_srtp_pkt pk[MCHUNK];
	struct mxp_srtp_ctx *pc[MCHUNK];
	uint8_t pr[MCHUNK];
	uint16_t map[MCHUNK];
	uint8_t rs[MCHUNK];
	uint16_t olen[MCHUNK];
	uint16_t np = 0;

	for (uint16_t i = 0; i < m; i++) {
		struct rte_mbuf *b = mb[at + i];
		uint32_t off = (uint32_t)b->l2_len + b->l3_len + b->l4_len;
		if (MXP_UNLIKELY(b->nb_segs != 1 || off > b->data_len)) {
			rs[i] = MXP_SRTP_R_MBUF;
			ctx[at + i]->st.drops[MXP_SRTP_R_MBUF]++;
			continue;
		}
		pk[np].data = rte_pktmbuf_mtod_offset(b, uint8_t *, off);
		pk[np].len = b->data_len - off;
		pk[np].room = rte_pktmbuf_tailroom(b);
		olen[np] = (uint16_t)pk[np].len;
		pc[np] = ctx[at + i];
		map[np] = i;
		np++;
	}
	uint16_t ok = np ? fn(pc, pk, np, pr) : 0;
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
	struct mxp_srtp_ctx *gc[MCHUNK], *bc[MCHUNK];
	uint8_t br[MCHUNK];
	uint16_t ng = 0, nb = 0;
	for (uint16_t i = 0; i < m; i++) {
		if (rs[i] == MXP_SRTP_R_OK) {
			gm[ng] = mb[at + i];
			gc[ng++] = ctx[at + i];
		} else {
			bm[nb] = mb[at + i];
			bc[nb] = ctx[at + i];
			br[nb++] = rs[i];
		}
	}
	if (bad_before) {
		memmove(&mb[g + ng], &mb[g], bad_before * sizeof(mb[0]));
		memmove(&ctx[g + ng], &ctx[g], bad_before * sizeof(ctx[0]));
		memmove(&reason[g + ng], &reason[g], bad_before * sizeof(reason[0]));
	}
	for (uint16_t i = 0; i < ng; i++) {
		mb[g + i] = gm[i];
		ctx[g + i] = gc[i];
		reason[g + i] = MXP_SRTP_R_OK;
	}
	for (uint16_t i = 0; i < nb; i++) {
		uint16_t to = g + ng + bad_before + i;
		mb[to] = bm[i];
		ctx[to] = bc[i];
		reason[to] = br[i];
	}
	return ng;
}

static inline uint16_t
mbuf_run(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n, uint8_t reason[],
	 pkts_fn fn)
{
	uint16_t g = 0;

	for (uint16_t at = 0; at < n;) {
		uint16_t m = n - at < MCHUNK ? n - at : MCHUNK;
		g += mbuf_chunk(ctx, mb, reason, g, at, m, fn);
		at += m;
	}
	for (uint16_t i = 0; i < g; i++)
		reason[i] = MXP_SRTP_R_OK;
	return g;
}

uint16_t
mxp_srtp_protect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
		       uint8_t reason[])
{
	return mbuf_run(ctx, mb, n, reason, mxp_srtp_protect_pkts);
}

uint16_t
mxp_srtp_unprotect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
			 uint8_t reason[])
{
	return mbuf_run(ctx, mb, n, reason, mxp_srtp_unprotect_pkts);
}

uint16_t
mxp_srtp_verify_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
		      uint8_t reason[])
{
	return mbuf_run(ctx, mb, n, reason, mxp_srtp_verify_pkts);
}

uint16_t
mxp_srtcp_protect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
			uint8_t reason[])
{
	return mbuf_run(ctx, mb, n, reason, mxp_srtcp_protect_pkts);
}

uint16_t
mxp_srtcp_unprotect_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
			  uint8_t reason[])
{
	return mbuf_run(ctx, mb, n, reason, mxp_srtcp_unprotect_pkts);
}

uint16_t
mxp_srtcp_verify_burst(struct mxp_srtp_ctx *ctx[], struct rte_mbuf *mb[], uint16_t n,
		       uint8_t reason[])
{
	return mbuf_run(ctx, mb, n, reason, mxp_srtcp_verify_pkts);
}
