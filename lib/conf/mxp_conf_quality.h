/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Call quality of a leg (control core): an ITU-T G.107 E-model estimate (R, MOS) of each
 * direction from what the MRFP knows of the leg, computed with lib/media's
 * mxp_media_emodel_estimate(). doc/media.md, "Call quality", gives the inputs and their limits.
 *
 *   in   the participant's audio as the MRFP plays it (mix: the jitter buffer's losses,
 *        late packets included; switch: RFC 3550 A.1 sequence accounting); delay:
 *        packetization + network + jitter buffer
 *   out  the MRFP's audio as the participant hears it: the loss fraction of the
 *        participant's last RTCP report; delay: packetization + network + a receive
 *        buffer of twice the jitter it reports
 *
 * The network's one-way delay is half the round trip measured from the participant's
 * reports (RFC 3550 6.4.1, LSR/DLSR) when it sent one, else MXP_CONF_QUALITY_NET_MS.
 */
#ifndef MXP_CONF_QUALITY_H
#define MXP_CONF_QUALITY_H

#include <stdbool.h>
#include <stdint.h>

#include "mxp_media_quality.h"

struct mxp_conf_sys;

/** Network one-way delay assumed when the leg has no measured round trip (ms). */
#define MXP_CONF_QUALITY_NET_MS 20
/** Packetization assumed outside mix conferences (ms): their ptime is not known. */
#define MXP_CONF_QUALITY_PTIME_MS 20

/** The estimate of a leg and the inputs used. */
struct mxp_leg_quality {
	uint32_t leg_id;
	uint32_t conf_id;
	uint8_t codec;           /**< enum mxp_media_codec scored (NONE: assumed G.711) */
	bool codec_assumed;      /**< not a mix conference: G.711 (or the static PT) assumed */
	uint16_t ptime_ms;       /**< packetization */
	bool rtt_measured;       /**< rtt_ms is from RTCP; else net_ms is the default */
	double rtt_ms;           /**< measured round trip (0 if none) */
	double net_ms;           /**< one-way network delay used */
	/* in */
	bool in_valid;           /**< the MRFP received audio of the leg */
	uint64_t in_expected;    /**< packets expected (received or lost) */
	uint64_t in_lost;        /**< of them lost or discarded (late); mix: without those
				  *   Opus's in-band FEC rebuilt */
	uint32_t in_jb_ms;       /**< jitter-buffer delay (mix): its adaptive target */
	struct mxp_media_emodel_result in;
	/* out */
	bool out_valid;          /**< the participant reported on what it receives */
	uint32_t out_fraction_lost; /**< its last report's fraction lost, 0..255 */
	double out_jitter_ms;    /**< the interarrival jitter it reports */
	struct mxp_media_emodel_result out;
	/** the lower MOS of the valid directions (5 when neither is: sorts last) */
	double mos;
};

/**
 * Estimate a leg's quality (control core). Reads the worker's counters without stopping
 * it: a snapshot, as mxp_conf_leg_get(). Forward conferences: only the out direction is
 * not estimated (the MRFP relays the participants' reports without reading them), the in
 * direction from the sequence numbers.
 * @return 0, -ENOENT (no such leg), -EINVAL (NULL argument).
 */
int mxp_conf_leg_quality(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_quality *q);

#endif
