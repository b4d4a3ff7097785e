/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture of one leg or one conference (conf_capture.c): the owning worker copies
 * the leg's frames as they cross the wire (inbound before any decryption, outbound after
 * protection: SRTP stays encrypted, keys are never written) into pcapng blocks
 * (rte_pcapng_copy) and hands them to the control core through a ring; the control core
 * writes them to a file and stops the capture at its bounds (time, packets, bytes), when
 * asked, or when its leg or conference goes away. A leg without a capture costs one test
 * of a byte of its conference's hot line per packet.
 */
#ifndef MXP_CONF_CAPTURE_H
#define MXP_CONF_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_conf.h"

#define MXP_CAPTURE_DEF_SECONDS 60
#define MXP_CAPTURE_DEF_PACKETS 100000u
#define MXP_CAPTURE_DEF_BYTES (64ull << 20)
#define MXP_CAPTURE_MAX_SECONDS 3600
#define MXP_CAPTURE_MAX_PACKETS 10000000u
#define MXP_CAPTURE_MAX_BYTES (1ull << 30)
#define MXP_CAPTURE_MIN_BYTES 4096u       /**< the file's headers fit */
#define MXP_CAPTURE_MAX_RUNNING 8         /**< captures running at once */
#define MXP_CAPTURE_SNAPLEN 2048          /**< bytes of a frame kept (longer: truncated) */
#define MXP_CAPTURE_PATH_MAX 256

/** What to capture and where. Exactly one of leg_id and conf_id is non-zero. */
struct mxp_conf_capture_params {
	uint32_t leg_id;
	uint32_t conf_id;
	int fd;                      /**< open for writing; taken (closed) by the call */
	const char *path;            /**< shown by mxp_conf_capture_list() */
	uint32_t max_seconds;        /**< 1..MXP_CAPTURE_MAX_SECONDS */
	uint32_t max_packets;        /**< 1..MXP_CAPTURE_MAX_PACKETS */
	uint64_t max_bytes;          /**< MXP_CAPTURE_MIN_BYTES..MXP_CAPTURE_MAX_BYTES: file size */
	uint16_t nb_ports;           /**< the daemon's ports: port index -> DPDK port id */
	uint16_t port_id[MXP_CONF_MAX_PORTS];
};

/** Why a capture ended. */
enum mxp_capture_end {
	MXP_CAPTURE_RUNNING = 0,
	MXP_CAPTURE_END_STOPPED,     /**< mxp_conf_capture_stop() */
	MXP_CAPTURE_END_SECONDS,     /**< its time bound */
	MXP_CAPTURE_END_PACKETS,     /**< its packet bound: exactly max_packets written */
	MXP_CAPTURE_END_BYTES,       /**< the next packet would have passed max_bytes */
	MXP_CAPTURE_END_LEG_GONE,    /**< its leg was removed */
	MXP_CAPTURE_END_CONF_GONE,   /**< its conference was removed */
	MXP_CAPTURE_END_WRITE_ERROR, /**< writing the file failed (disk full?) */
	MXP_CAPTURE_END_SHUTDOWN,    /**< the daemon stopped */
};

/** Name of an end ("running", "stopped", "seconds", ...). */
const char *mxp_capture_end_name(enum mxp_capture_end e);

/** A capture as mxp_conf_capture_list() reports it. */
struct mxp_conf_capture_info {
	uint32_t id;
	uint32_t leg_id;             /**< 0: a conference capture */
	uint32_t conf_id;
	uint8_t end;                 /**< enum mxp_capture_end */
	int write_errno;             /**< MXP_CAPTURE_END_WRITE_ERROR: why */
	char path[MXP_CAPTURE_PATH_MAX];
	uint32_t max_seconds, max_packets;
	uint64_t max_bytes;
	uint64_t packets;            /**< written to the file */
	uint64_t bytes;              /**< the file's size */
	uint64_t ring_full;          /**< copies the ring to the control core refused */
	uint64_t no_mbuf;            /**< frames not copied: the capture pool was empty */
	uint64_t discarded;          /**< copies made but not written (past a bound) */
	uint64_t elapsed_ms;         /**< running so far, or until it ended */
};

/**
 * Start capturing a leg (params->leg_id) or a whole conference (params->conf_id) into
 * params->fd (control core). The file gets a pcapng section header (no comment but the
 * target), one interface block per DPDK port, then one enhanced packet block per frame
 * with its direction. A leg has at most one capture at a time, a conference at most one
 * conference capture; at most MXP_CAPTURE_MAX_RUNNING run at once.
 * @param id  receives the capture's id (never 0).
 * @return 0, -ENOENT (no such leg / conference), -EINVAL (bounds out of range, both or
 *         neither target; err says which), -EBUSY (already captured, or too many
 *         captures), -ENOMEM, -EIO (the file header could not be written), -ETIMEDOUT (the
 *         worker did not answer). fd is closed whatever the result (on an error the caller
 *         removes the file it made).
 */
int mxp_conf_capture_start(struct mxp_conf_sys *sys, const struct mxp_conf_capture_params *p,
			   uint32_t *id, char *err, size_t errlen);

/**
 * Stop capture @p id (0: every running capture), write what it copied so far (within its
 * bounds) and close its file (control core).
 * @return 0, -ENOENT (no such capture), -EALREADY (it had ended: info says why),
 *         -ETIMEDOUT (the worker did not answer: retried by mxp_conf_capture_poll()).
 */
int mxp_conf_capture_stop(struct mxp_conf_sys *sys, uint32_t id, char *err, size_t errlen);

/**
 * Control core timer (every 100 ms or so): write what the workers copied, end captures at
 * their bounds or whose target went away.
 */
void mxp_conf_capture_poll(struct mxp_conf_sys *sys);

/**
 * Running captures and the last ended ones (oldest first), at most @p max.
 * @return how many were written to @p out.
 */
unsigned int mxp_conf_capture_list(struct mxp_conf_sys *sys, struct mxp_conf_capture_info *out,
				   unsigned int max);

#endif
