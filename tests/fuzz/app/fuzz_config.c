/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer: arbitrary configuration files into the daemon's INI reader and key table
 * (app/mixplane/config.c, included). Every input is loaded or refused with a message that
 * names the file; nothing may crash, leak or read past the text.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../../app/mixplane/config.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct mxp_cfg cfg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static char path[64];
	char err[1024];

	if (fd < 0) {
		fd = memfd_create("mxp_cfg", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		warn_to = fopen("/dev/null", "w");
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	err[0] = '\0';
	int r = mxp_cfg_load(path, &cfg, err, sizeof(err));
	if (r != 0 && strncmp(err, path, strlen(path)) != 0)
		abort(); /* every error names the file */
	if (r == 0 && (cfg.nb_ports == 0 || cfg.nb_ports > MXP_MAX_PORTS))
		abort();
	return 0;
}
