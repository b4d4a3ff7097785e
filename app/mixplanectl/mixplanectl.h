/* SPDX-License-Identifier: BSD-3-Clause */
/* mixplanectl's parts: the request to the daemon (main.c) and the live view (top.c). */
#ifndef MIXPLANECTL_H
#define MIXPLANECTL_H

#include <stddef.h>
#include <stdint.h>

#include "mxp_ctl.h"

/** Exit status when the daemon cannot be reached. */
#define MXPCTL_EXIT_UNREACHABLE 5

/**
 * Send one command line of len bytes (flags: MXP_CTL_F_JSON) with body to the daemon's
 * control socket sock; reply gets the status byte and the text.
 * @return 0, or an exit status (2 bad socket path, MXP_CTL_DENIED when the socket's
 *   permissions refuse this user, MXPCTL_EXIT_UNREACHABLE) after telling stderr why. A
 *   daemon's refusal (status MXP_CTL_DENIED and why) arrives as a reply.
 */
int mxpctl_request(const char *sock, const char *line, size_t len, uint8_t flags,
		   const struct mxp_buf *body, struct mxp_buf *reply);

/** `mixplanectl top ARGS...` (argv[0] is "top"); json: --json given before it. Exit status. */
int mxpctl_top(const char *sock, int argc, char **argv, bool json);

#endif
