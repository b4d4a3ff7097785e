/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Crypto driver registry. Drivers register from constructors before main(); the table is
 * read-only afterwards, so lookups need no lock.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "srtp_priv.h"

#define MAX_DRIVERS 8

static const struct mxp_crypto_driver *drivers[MAX_DRIVERS];
static unsigned int ndrivers;
static char driver_names[MAX_DRIVERS * 16];

int
mxp_crypto_driver_register(const struct mxp_crypto_driver *drv)
{
	if (ndrivers == MAX_DRIVERS)
		return -ENOSPC;
	for (unsigned int i = 0; i < ndrivers; i++)
		if (strcmp(drivers[i]->name, drv->name) == 0)
			return -EEXIST;
	/* Keep the table sorted best first. */
	unsigned int at = ndrivers;
	while (at > 0 && drivers[at - 1]->priority < drv->priority) {
		drivers[at] = drivers[at - 1];
		at--;
	}
	drivers[at] = drv;
	ndrivers++;

	size_t off = 0;
	driver_names[0] = '\0';
	for (unsigned int i = 0; i < ndrivers && off < sizeof(driver_names); i++)
		off += (size_t)snprintf(driver_names + off, sizeof(driver_names) - off, "%s%s",
					i ? " " : "", drivers[i]->name);
	return 0;
}

const char *
mxp_srtp_drivers(void)
{
	return driver_names;
}

const struct mxp_crypto_driver *
mxp_crypto_driver_find(const char *name, int *rc, char *err, size_t errlen)
{
	char why[128] = "";

	*rc = -ENOENT;
	if (ndrivers == 0) {
		if (err != NULL)
			snprintf(err, errlen,
				 "no SRTP crypto driver is linked (link mxp_crypto_drivers_dep)");
		return NULL;
	}
	for (unsigned int i = 0; i < ndrivers; i++) {
		if (name != NULL && strcmp(name, drivers[i]->name) != 0)
			continue;
		if (drivers[i]->probe(why, sizeof(why)) == 0) {
			*rc = 0;
			return drivers[i];
		}
		if (name != NULL) {
			*rc = -ENOTSUP;
			if (err != NULL)
				snprintf(err, errlen, "crypto driver '%s' cannot run here: %s",
					 name, why);
			return NULL;
		}
	}
	if (err != NULL) {
		if (name != NULL)
			snprintf(err, errlen, "unknown crypto driver '%s' (have: %s)", name,
				 driver_names);
		else
			snprintf(err, errlen, "no crypto driver can run here (have: %s)",
				 driver_names);
	}
	if (name == NULL)
		*rc = -ENOTSUP;
	return NULL;
}

int
mxp_srtp_thread_init(void)
{
	char why[8];

	for (unsigned int i = 0; i < ndrivers; i++) {
		if (drivers[i]->probe(why, sizeof(why)) != 0)
			continue;
		int rc = drivers[i]->thread_init();
		if (rc != 0)
			return rc;
	}
	return 0;
}

void
mxp_srtp_thread_fini(void)
{
	for (unsigned int i = 0; i < ndrivers; i++)
		drivers[i]->thread_fini();
}
