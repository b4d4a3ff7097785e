/* SPDX-License-Identifier: BSD-3-Clause */
/* Key material sent with a CLI request (mixplanectl -i): "in"/"out" a=crypto lines. */
#ifndef MIXPLANE_CLI_KEYS_H
#define MIXPLANE_CLI_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "mxp_conf.h"

/**
 * Parse a body of lines "in a=crypto:..." / "out a=crypto:..." (the "a=" is optional,
 * blank lines and '#' comments are skipped) into the two key sets of a leg. Several
 * lines per direction give several keys (each needs an MKI); the first "out" key is the
 * active one. On error err names the line and the problem, never the key.
 */
int mxp_cli_keys_parse(const uint8_t *body, uint32_t len, struct mxp_conf_keys *in,
		       struct mxp_conf_keys *out, char *err, size_t errlen);

/** Parse a body holding exactly one a=crypto line (optionally prefixed "in"/"out"). */
int mxp_cli_key_parse_one(const uint8_t *body, uint32_t len, struct mxp_conf_key *k, char *err,
			  size_t errlen);

/** Convert one a=crypto attribute with exactly one inline key (lib/srtp's parser). */
int mxp_cli_crypto_to_key(const char *line, struct mxp_conf_key *k, char *err, size_t errlen);

#endif
