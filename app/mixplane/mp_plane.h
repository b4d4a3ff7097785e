/* SPDX-License-Identifier: BSD-3-Clause */
/* The Mp control plane of the daemon: H.248 text over ESP, applied to lib/conf. */
#ifndef MIXPLANE_MP_PLANE_H
#define MIXPLANE_MP_PLANE_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "mixplane.h"

/**
 * Set up the ESP endpoint (SA key file), the reply cache, and send ServiceChange Restart
 * to the configured MRFC. Does nothing when the configuration has no [mp] section.
 * @return 0, or -errno with err naming the file, line and problem.
 */
int mxp_mp_plane_init(char *err, size_t errlen);

/** Wipe every SA and free the plane (shutdown). */
void mxp_mp_plane_fini(void);

/**
 * A control frame from a worker: ESP (IP protocol 50), UDP 4500, UDP 2944, or an IP
 * fragment addressed to us. Takes the mbuf. Control core only.
 */
void mxp_mp_plane_input(struct mxp_port *p, struct rte_mbuf *m);

/** Retransmissions of the daemon's own requests, event polling. About every 100 ms. */
void mxp_mp_plane_timer(uint64_t now_ms);

/** True when the plane runs (an [mp] section was given). */
bool mxp_mp_plane_enabled(void);

/* CLI and telemetry */
int mxp_cli_show_mp(struct cli_req *r, int argi);
int mxp_cli_show_esp(struct cli_req *r, int argi);
int mxp_cli_esp_sa_add(struct cli_req *r, int argi);
int mxp_cli_esp_sa_delete(struct cli_req *r, int argi);

#define MXP_CLI_MP_COMMANDS \
	{ "show mp", "", "Mp control plane: transactions, replies, errors by code, notifies", \
	  mxp_cli_show_mp }, \
	{ "show esp", "", "ESP security associations (fingerprints) and drops per reason", \
	  mxp_cli_show_esp }, \
	{ "esp sa add", "-i FILE", "add SAs and policy peers ('sa ...' and 'peer ...' lines)", \
	  mxp_cli_esp_sa_add }, \
	{ "esp sa delete", "in|out SPI [LOCAL-ADDRESS]", "remove an SA and wipe its keys", \
	  mxp_cli_esp_sa_delete },

/** Counters for telemetry: fills a name→value list; returns how many. */
unsigned int mxp_mp_plane_counters(const char **names, uint64_t *values, unsigned int max);

#endif
