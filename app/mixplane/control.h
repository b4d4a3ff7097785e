/* SPDX-License-Identifier: BSD-3-Clause */
/* The control core's loop (control.c): frames from the workers, the CLI socket, timers. */
#ifndef MIXPLANE_CONTROL_H
#define MIXPLANE_CONTROL_H

struct mxp_ports;
struct mxp_ctl_link;
struct mxp_mp_plane;
struct mxp_cli_ctx;
struct mxp_ctl_stats;
struct mxp_metrics;

/* The subsystems the loop drives; main.c owns them. */
struct mxp_control_params {
	struct mxp_ports *ports;         /**< ARP/ND in, neighbour timers, punted frames */
	struct mxp_ctl_link *link;       /**< the rings from the workers and their doorbell */
	struct mxp_mp_plane *mp;         /**< ESP, UDP 4500, Mp and fragments go there */
	const struct mxp_cli_ctx *cli;   /**< what CLI commands may use */
	const char *socket;              /**< the control socket's path */
	struct mxp_ctl_stats *cst;
	struct mxp_metrics *metrics;     /**< the Prometheus endpoint, NULL when off */
};

/** Run the control core until SIGINT/SIGTERM. Returns 0 or -errno. */
int mxp_control_run(const struct mxp_control_params *p);

#endif
