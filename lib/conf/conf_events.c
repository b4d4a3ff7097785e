/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the control plane needs to notify the MRFC about a leg (control core): key usage per
 * master key (the key group's total for the mixer's keys) and SSRC changes. Read-only: counters are read while the owner worker updates
 * them (aligned 64-bit loads, as the other snapshots do); lists are walked outside commands,
 * when only commands change them (conf_ctl.c).
 */
#include <errno.h>
#include <string.h>

#include "conf_priv.h"

static void
usage_of(const struct mxp_srtp_ctx *ctx, const uint8_t *mki, uint8_t mki_len, uint64_t *srtp,
	 uint64_t *srtcp)
{
	struct mxp_srtp_key_info ki;
	for (unsigned int s = 0; s < MXP_SRTP_MAX_KEYS; s++)
		if (mxp_srtp_ctx_key_info(ctx, s, &ki) == 0 && ki.mki_len == mki_len &&
		    memcmp(ki.mki, mki, mki_len) == 0) {
			*srtp += ki.srtp_used;
			*srtcp += ki.srtcp_used;
			return;
		}
}

static void
limits(const struct mxp_conf_key *k, struct mxp_leg_key_usage *u)
{
	uint64_t lt = k->lifetime ? k->lifetime : UINT64_MAX;
	u->srtp_limit = lt < MXP_SRTP_MAX_SRTP_PACKETS ? lt : MXP_SRTP_MAX_SRTP_PACKETS;
	u->srtcp_limit = lt < MXP_SRTP_MAX_SRTCP_PACKETS ? lt : MXP_SRTP_MAX_SRTCP_PACKETS;
	memcpy(u->mki, k->mki, sizeof(u->mki));
	u->mki_len = k->mki_len;
}

int
mxp_conf_leg_events(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_events *ev)
{
	void *d;
	if (rte_hash_lookup_data(sys->legs, &leg_id, &d) < 0)
		return -ENOENT;
	const struct mxp_leg_ctl *lc = d;
	const struct mxp_leg *l = lc->leg;
	memset(ev, 0, sizeof(*ev));
	if (l->plain)
		return 0;
	struct mxp_srtp_stats st;
	mxp_srtp_ctx_stats(l->in, &st);
	ev->ssrc_mismatch = st.drops[MXP_SRTP_R_SSRC_MISMATCH];
	struct mxp_srtp_stream_info si;
	mxp_srtp_ctx_stream_info(l->in, &si);
	ev->ssrc_other = si.other_ssrc;
	ev->key_exhausted_drops = st.drops[MXP_SRTP_R_KEY_EXHAUSTED];
	ev->n_in = lc->in.nkeys;
	for (unsigned int i = 0; i < lc->in.nkeys; i++) {
		const struct mxp_conf_key *k = &lc->in.key[i];
		limits(k, &ev->in[i]);
		usage_of(l->in, k->mki, k->mki_len, &ev->in[i].srtp_used, &ev->in[i].srtcp_used);
	}
	/*
	 * Outbound: the active key is the key group's; every output stream encrypted under it
	 * (one per sender in switch mode) counts against the one master key.
	 */
	ev->n_out = lc->out.nkeys;
	for (unsigned int i = 0; i < lc->out.nkeys; i++) {
		const struct mxp_conf_key *k = &lc->out.key[i];
		struct mxp_leg_key_usage *u = &ev->out[i];
		limits(k, u);
		u->active = i == lc->out.active;
		if (!u->active || l->kg == NULL || l->kg->plain)
			continue;
		if (k->mki_len == l->kg->key.mki_len &&
		    memcmp(k->mki, l->kg->key.mki, k->mki_len) == 0) {
			u->srtp_used = l->kg->usage.srtp; /* aligned 64-bit loads */
			u->srtcp_used = l->kg->usage.srtcp;
		}
	}
	return 0;
}
