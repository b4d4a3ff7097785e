/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Files that hold keys (mixgen --keys-dir and --keys-out, mrfc --keys-out and
 * keys-history=FILE): written with mode 0600 whatever the file was before.
 */
#ifndef MXP_SECRET_FILE_H
#define MXP_SECRET_FILE_H

/**
 * Open @p path to write secrets: created with mode 0600, or an existing regular file
 * truncated and set to mode 0600. A symbolic link is refused (-ELOOP), and so is anything
 * that is not a regular file (-EINVAL: a device such as /dev/null, whose mode must not
 * change, a FIFO, a directory), before anything is changed. Returns the descriptor
 * (close-on-exec), or -errno.
 */
int mxp_secret_file_open(const char *path);

/** Why mxp_secret_file_open() failed, for a message: strerror(), or "not a regular file",
 *  or "a symbolic link (refused)". */
const char *mxp_secret_file_strerror(int e);

#endif
