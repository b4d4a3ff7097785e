/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * lib/media: announcements converted outside the transaction that starts them.
 *
 * mxp_announcement_load() reads and converts a file at once: a 10-minute 48 kHz WAV costs
 * about 1.4 s, during which its caller (the control core, inside the Mp transaction that
 * starts the signal) answers nothing. mxp_announcement_open() does only the cheap part at
 * once (the file opens, its header is valid, its length is accepted) and returns an
 * announcement that is either ready (a conversion of a few milliseconds is still done
 * inline) or queued for the loader: one thread, created by the first queued announcement
 * with the CPU affinity of the thread that queued it (the control core's CPU) and the
 * lowest priority (nice 19), so the control core's own work always comes first. The
 * loader reads the file from the descriptor the check opened and converts it, one
 * announcement at a time (memory: one file's decoded samples besides the outputs).
 *
 * A generator that plays a queued announcement waits, silent and without advancing, until
 * it is ready (mxp_siggen_run() reads mxp_announcement_state(), one atomic load); one whose
 * conversion failed (the file shrank under the loader, a read error, no memory) ends at
 * once, and its owner reports the signal as failed. Nothing here blocks a worker.
 *
 * Threading: open, list, poll and free on the control core; state from any thread.
 */
#ifndef MXP_MEDIA_ANNOUNCE_H
#define MXP_MEDIA_ANNOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_media_signal.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where an announcement's conversion stands. */
enum mxp_ann_state {
	MXP_ANN_READY = 0,         /**< converted: pcm8, pcm16 and samples8 may be read */
	MXP_ANN_QUEUED,            /**< waiting for the loader */
	MXP_ANN_CONVERTING,        /**< the loader works on it */
	MXP_ANN_FAILED,            /**< the conversion failed: mxp_announcement_error() says why */
};

/** Conversions estimated below this many multiply-adds (a few ms) are done inline. */
#define MXP_ANN_INLINE_WORK 4000000u
/** Announcements queued or converting at most; the next open gets -EBUSY. */
#define MXP_ANN_MAX_QUEUED 128

/**
 * Open an announcement: the checks of mxp_announcement_load() (the file, its format, its
 * header, its length: the same errors), then the conversion, inline when it is cheap
 * (below MXP_ANN_INLINE_WORK), else queued for the loader thread (control core).
 * @param path  the file.
 * @param a     receives the announcement (MXP_ANN_READY or MXP_ANN_QUEUED), one reference
 *              (the caller's; the loader holds its own while it has the announcement).
 * @return 0, the errors of mxp_announcement_load(), or -EBUSY (MXP_ANN_MAX_QUEUED
 *         conversions queued already) / -EAGAIN (the loader thread could not be started).
 */
int mxp_announcement_open(const char *path, struct mxp_announcement **a, char *err,
			  size_t errlen);

/** Where the conversion stands (any thread: an acquire load; READY publishes the audio). */
enum mxp_ann_state mxp_announcement_state(const struct mxp_announcement *a);

/** Why the conversion failed ("" unless MXP_ANN_FAILED). */
const char *mxp_announcement_error(const struct mxp_announcement *a);

/** What `show announcements` reports of one announcement in memory. */
struct mxp_announcement_info {
	char name[64];
	enum mxp_ann_state state;
	uint32_t src_rate;         /**< Hz, of the file */
	uint32_t duration_ms;      /**< from the header while it is not converted */
	uint64_t bytes;            /**< the converted audio's memory (0 until READY) */
	uint32_t refs;             /**< its holders: the cache, generators, the loader */
	uint32_t convert_ms;       /**< how long the conversion took (READY, FAILED) */
	char error[160];           /**< FAILED: why */
};

/**
 * Every announcement in memory (converted, queued, or playing after it left a cache),
 * newest first (control core).
 * @return how many there are (more than max: only max were written).
 */
unsigned int mxp_announcement_list(struct mxp_announcement_info *out, unsigned int max);

/**
 * Conversions that ended (converted or failed) since the last call, oldest first, for the
 * log (control core). At most 32 are kept between calls; older ones are dropped and counted
 * in *lost (may be NULL).
 * @return how many entries were written.
 */
unsigned int mxp_announcement_poll(struct mxp_announcement_info *out, unsigned int max,
				   uint64_t *lost);

/** Announcements queued or converting. */
unsigned int mxp_announcement_loader_busy(void);

/**
 * Wait until the loader has nothing queued or converting (not while it is held), at most
 * timeout_ms. @return 0, or -ETIMEDOUT.
 */
int mxp_announcement_loader_drain(unsigned int timeout_ms);

/**
 * Conversions estimated below work multiply-adds are done inline by mxp_announcement_open()
 * (default MXP_ANN_INLINE_WORK); UINT64_MAX: every one, as before the loader existed (for
 * benchmarks comparing the two); 0: none. @return the previous value.
 */
uint64_t mxp_announcement_inline_max(uint64_t work);

/** Hold the loader (no conversion starts while held) or let it go on: for tests. */
void mxp_announcement_loader_hold(bool hold);

/**
 * Stop the loader thread (daemon exit): queued conversions fail ("the loader stopped"),
 * the one running stops at its next step; returns once the thread has ended. A later open
 * starts a new loader.
 */
void mxp_announcement_loader_stop(void);

#ifdef __cplusplus
}
#endif

#endif
