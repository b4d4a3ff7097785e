/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Signals (tones, announcements, DTMF) of mix conferences: the control side (checks,
 * announcement cache, commands) and the worker side (generators run from the mix tick).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf_priv.h"

int
mxp_conf_signal_configure(struct mxp_conf_sys *sys, const char *tone_country,
			  const char *announcement_dir, char *err, size_t errlen)
{
	(void)sys; (void)tone_country; (void)announcement_dir;
	return conf_errf(err, errlen, -ENOTSUP, "signals: not implemented yet");
}

const char *
mxp_conf_signal_country(struct mxp_conf_sys *sys)
{
	(void)sys;
	return "itu";
}

int
mxp_conf_leg_signal_start(struct mxp_conf_sys *sys, uint32_t leg_id, const struct mxp_signal *sig,
			  char *err, size_t errlen)
{
	(void)sys; (void)leg_id; (void)sig;
	return conf_errf(err, errlen, -ENOTSUP, "signals: not implemented yet");
}

int
mxp_conf_signal_start(struct mxp_conf_sys *sys, uint32_t conf_id, const struct mxp_signal *sig,
		      char *err, size_t errlen)
{
	(void)sys; (void)conf_id; (void)sig;
	return conf_errf(err, errlen, -ENOTSUP, "signals: not implemented yet");
}

int
mxp_conf_leg_signal_stop(struct mxp_conf_sys *sys, uint32_t leg_id, char *err, size_t errlen)
{
	(void)sys; (void)leg_id;
	return conf_errf(err, errlen, -ENOTSUP, "signals: not implemented yet");
}

int
mxp_conf_signal_stop(struct mxp_conf_sys *sys, uint32_t conf_id, char *err, size_t errlen)
{
	(void)sys; (void)conf_id;
	return conf_errf(err, errlen, -ENOTSUP, "signals: not implemented yet");
}

unsigned int
mxp_conf_signal_done_poll(struct mxp_conf_sys *sys, struct mxp_signal_done *out, unsigned int max)
{
	(void)sys; (void)out; (void)max;
	return 0;
}
