/* SPDX-License-Identifier: BSD-3-Clause */
/* Control-socket commands: the request handed to each command, and the conference commands. */
#ifndef MIXPLANE_CLI_H
#define MIXPLANE_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "mxp_ctl.h"

struct cli_req {
	int argc;
	char **argv;
	bool json;
	const uint8_t *body;   /**< data sent with -i (keys), not NUL-terminated */
	uint32_t body_len;
	struct mxp_buf *out;
};

struct cli_cmd {
	const char *words;  /**< "show ports" */
	const char *args;   /**< argument synopsis for help */
	const char *help;
	int (*fn)(struct cli_req *r, int argi);
};

/* cli_conf.c: the lab commands for conferences and legs. */
int mxp_cli_conf_create(struct cli_req *r, int argi);
int mxp_cli_conf_delete(struct cli_req *r, int argi);
int mxp_cli_conf_set(struct cli_req *r, int argi);
int mxp_cli_leg_add(struct cli_req *r, int argi);
int mxp_cli_leg_delete(struct cli_req *r, int argi);
int mxp_cli_leg_set(struct cli_req *r, int argi);
int mxp_cli_leg_key_add(struct cli_req *r, int argi);
int mxp_cli_leg_key_activate(struct cli_req *r, int argi);
int mxp_cli_leg_key_remove(struct cli_req *r, int argi);
int mxp_cli_show_conferences(struct cli_req *r, int argi);
int mxp_cli_show_conference(struct cli_req *r, int argi);
int mxp_cli_show_leg(struct cli_req *r, int argi);

#define MXP_CLI_CONF_COMMANDS \
	{ "conference create", "[mode switch|forward|mix] [topn N] [ptime MS] [max-legs N] [name NAME]", \
	  "create a conference; prints its id", mxp_cli_conf_create }, \
	{ "conference delete", "ID", "delete a conference and its legs (keys wiped)", \
	  mxp_cli_conf_delete }, \
	{ "conference set", "ID topn N | ID floor LEG|none", \
	  "top-N speakers (0: all); floor control: only LEG is forwarded", \
	  mxp_cli_conf_set }, \
	{ "leg add", "CONF [ipv4|ipv6] [port IDX] [local-port P] [remote ADDR PORT] [rtcp-port P] " \
		     "[rtcp-mux] [mode M] [strict] [asymmetric] [plain] [pt LIST] [event-pt N] [audio-level-id N] " \
		     "[label TEXT] -i KEYS", \
	  "add a leg; keys come with -i: 'in a=crypto:...' and 'out a=crypto:...' lines", \
	  mxp_cli_leg_add }, \
	{ "leg delete", "LEG", "remove a leg (keys wiped); prints its last counters", \
	  mxp_cli_leg_delete }, \
	{ "leg set", "LEG [mode M] [remote ADDR PORT] [strict on|off] [asymmetric on|off] [mute on|off]", \
	  "change a leg (mute: it listens, nothing it sends is forwarded)", \
	  mxp_cli_leg_set }, \
	{ "leg key add", "LEG in|out -i KEY", "add a key (a=crypto with an MKI) for a rekey", \
	  mxp_cli_leg_key_add }, \
	{ "leg key activate", "LEG MKI", "send with the outbound key of this MKI from now on", \
	  mxp_cli_leg_key_activate }, \
	{ "leg key remove", "LEG in|out MKI", "remove (and wipe) a key after the overlap", \
	  mxp_cli_leg_key_remove }, \
	{ "show conferences", "", "conferences: mode, legs, key groups, packets", \
	  mxp_cli_show_conferences }, \
	{ "show conference", "ID", "a conference: its key groups and legs", \
	  mxp_cli_show_conference }, \
	{ "show leg", "ID", "a leg: addresses, keys (fingerprints), counters", mxp_cli_show_leg },

#endif
