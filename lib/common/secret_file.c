/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mxp_secret_file.h"

int
mxp_secret_file_open(const char *path)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a reader; no O_TRUNC: nothing changes
	 * before the checks */
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0600);
	if (fd < 0)
		return -errno;
	struct stat st;
	int e = 0;
	if (fstat(fd, &st) != 0)
		e = errno;
	else if (!S_ISREG(st.st_mode))
		e = EINVAL;
	else if (fchmod(fd, 0600) != 0 || ftruncate(fd, 0) != 0)
		e = errno;
	else if (fcntl(fd, F_SETFL, 0) != 0) /* blocking writes */
		e = errno;
	if (e != 0) {
		close(fd);
		return -e;
	}
	return fd;
}

const char *
mxp_secret_file_strerror(int e)
{
	if (e < 0)
		e = -e;
	if (e == EINVAL)
		return "not a regular file";
	if (e == ELOOP)
		return "a symbolic link (refused)";
	return strerror(e);
}
