/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "worker.h"

void
mxp_stats_sum(struct mxp_worker *const *wk, uint16_t nb_workers, const struct mxp_ctl_stats *cst,
	      struct mxp_worker_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (uint16_t i = 0; i < nb_workers; i++) {
		const struct mxp_worker_stats *w = &wk[i]->st;
		/* Plain 64-bit loads: a counter read while a worker bumps it is off by one. */
		s->rx_pkts += w->rx_pkts;
		s->rx_bytes += w->rx_bytes;
		s->tx_pkts += w->tx_pkts;
		s->tx_bytes += w->tx_bytes;
		s->arp_replies += w->arp_replies;
		s->echo_replies += w->echo_replies;
		s->to_control += w->to_control;
		s->polls += w->polls;
		s->busy_polls += w->busy_polls;
		for (int d = 0; d < MXP_DROP_MAX; d++)
			s->drops[d] += w->drops[d];
	}
	for (int d = 0; d < MXP_DROP_MAX; d++)
		s->drops[d] += cst->drops[d];
}
