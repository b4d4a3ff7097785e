/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The control-socket protocol between the daemon and mixplanectl, and the output
 * helpers (growing buffer, JSON writer, aligned text tables) both sides use.
 *
 * Wire format (unix stream socket, one request and one response per connection):
 *   frame    = length(u32, big endian) payload
 *   request  = flags(u8) command-line NUL body
 *   response = status(u8) text
 * flags: MXP_CTL_F_JSON asks for JSON output. body carries data the CLI reads from a
 * file or stdin (key material), never from the command line.
 * A peer the daemon will not serve (another user: SO_PEERCRED; too many clients) gets one
 * response at once, before its request is read (MXP_CTL_DENIED or MXP_CTL_ERR and the
 * reason as text), and the connection is closed: the client's send may then fail with
 * EPIPE/ECONNRESET while that response is still waiting to be read. The daemon answers a
 * request whose header announces more than it reads (1 MiB, below MXP_CTL_MAX_FRAME: see
 * app/mixplane/control.c) the same way (MXP_CTL_ERR), before reading the rest.
 */
#ifndef MXP_CTL_H
#define MXP_CTL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MXP_CTL_MAX_FRAME (64u << 20) /**< largest frame either side accepts */
#define MXP_CTL_MAX_ARGS 64
#define MXP_CTL_F_JSON 0x01

/** Response status codes (also mixplanectl's exit codes). */
enum mxp_ctl_status {
	MXP_CTL_OK = 0,
	MXP_CTL_ERR = 1,       /**< the command failed */
	MXP_CTL_USAGE = 2,     /**< unknown command or bad arguments */
	MXP_CTL_NOTFOUND = 3,  /**< the object named does not exist */
	MXP_CTL_DENIED = 4,    /**< the peer is not allowed (another user than root and the daemon's) */
	/* 5 is mixplanectl's own: the daemon cannot be reached */
	MXP_CTL_NOT_LIVE = 6,  /**< health live: a worker stopped polling (the answer is the reason) */
	MXP_CTL_NOT_READY = 7, /**< health ready: not ready for new work (the answer says why) */
	MXP_CTL_DRAINING = 8,  /**< refused: the daemon drains (mixplanectl drain), no new work */
};

/** A growing byte buffer. On allocation failure it sets oom and drops further output. */
struct mxp_buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

void mxp_buf_init(struct mxp_buf *b);
void mxp_buf_free(struct mxp_buf *b);
void mxp_buf_reset(struct mxp_buf *b);
/** Append raw bytes. Returns 0 or -ENOMEM. */
int mxp_buf_add(struct mxp_buf *b, const void *p, size_t n);
int mxp_buf_printf(struct mxp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int mxp_buf_vprintf(struct mxp_buf *b, const char *fmt, va_list ap);
/** NUL-terminated view of the buffer (the NUL is not counted in len). */
const char *mxp_buf_str(struct mxp_buf *b);

/**
 * JSON writer. Keys are given for members of objects and NULL for array elements
 * and the top-level value. Strings are escaped per RFC 8259.
 */
struct mxp_json {
	struct mxp_buf *b;
	int depth;
	bool need_comma[32];
};

void mxp_json_init(struct mxp_json *j, struct mxp_buf *b);
void mxp_json_obj_open(struct mxp_json *j, const char *key);
void mxp_json_obj_close(struct mxp_json *j);
void mxp_json_arr_open(struct mxp_json *j, const char *key);
void mxp_json_arr_close(struct mxp_json *j);
void mxp_json_str(struct mxp_json *j, const char *key, const char *val);
void mxp_json_u64(struct mxp_json *j, const char *key, uint64_t val);
void mxp_json_i64(struct mxp_json *j, const char *key, int64_t val);
void mxp_json_dbl(struct mxp_json *j, const char *key, double val);
void mxp_json_bool(struct mxp_json *j, const char *key, bool val);
void mxp_json_null(struct mxp_json *j, const char *key);

/** A text table: columns sized to their widest cell, numbers right-aligned. */
struct mxp_table {
	unsigned int ncols;
	unsigned int nrows;
	unsigned int cap;
	char **cells;          /**< nrows+1 rows (header first) of ncols strings */
	bool right[16];        /**< right-align column */
};

/** Start a table; headers are copied. A header starting with '>' is right-aligned. */
int mxp_table_init(struct mxp_table *t, unsigned int ncols, const char *const headers[]);
/** Add a row of ncols printf-formatted cells: fmt applies to each vararg string pair. */
int mxp_table_row(struct mxp_table *t, const char *const cells[]);
/** Render into b and free the table. */
void mxp_table_render(struct mxp_table *t, struct mxp_buf *b);
void mxp_table_free(struct mxp_table *t);

/**
 * Split a command line into words: whitespace separates, double quotes group,
 * backslash escapes inside quotes. Modifies line in place.
 * Returns the number of words, or -EINVAL (unterminated quote) / -E2BIG.
 */
int mxp_ctl_split(char *line, char *argv[], int max);

/**
 * Append one word to a command line for mxp_ctl_split(): a blank first when the line is
 * not empty, and the word in double quotes (with '"' and '\\' escaped) when it is empty or
 * holds blanks or quotes. Returns 0 or -ENOMEM.
 */
int mxp_ctl_add_word(struct mxp_buf *b, const char *w);

/** Where a client finds the daemon: $MIXPLANE_SOCKET, else this. */
#define MXP_CTL_DEFAULT_SOCKET "/run/mixplane/mixplane.sock"

/**
 * The client's side, shared by mixplanectl and mixgen.
 *
 * mxp_ctl_socket_path: the socket a client uses: given when not NULL or empty, else
 * $MIXPLANE_SOCKET when set and not empty, else MXP_CTL_DEFAULT_SOCKET.
 *
 * mxp_ctl_connect: a blocking, close-on-exec connection to the control socket at path.
 * Returns the descriptor, or -ENAMETOOLONG (path longer than sun_path) or the -errno of
 * socket() or connect() (-ENOENT, -ECONNREFUSED: no daemon; -EACCES: permissions).
 *
 * mxp_ctl_send_request: one request on fd: flags, the command line (len bytes, words as
 * mxp_ctl_add_word() joins them), its NUL and the body (blen bytes, may be NULL). Returns
 * 0 or -errno; on -EPIPE or -ECONNRESET the daemon may have answered before it closed (a
 * refusal), so read the reply anyway.
 */
const char *mxp_ctl_socket_path(const char *given);
int mxp_ctl_connect(const char *path);
int mxp_ctl_send_request(int fd, uint8_t flags, const char *line, size_t len, const void *body,
			 size_t blen);

/**
 * Blocking helpers for the client: send one frame / read one frame into b.
 * Sending never raises SIGPIPE (MSG_NOSIGNAL on a socket): a peer that closed its end is
 * -EPIPE (or -ECONNRESET), and a reply it sent before closing can still be read.
 * Receiving returns -ECONNRESET when the peer closed before a whole frame arrived.
 */
int mxp_ctl_send_frame(int fd, const void *hdr, size_t hlen, const void *body, size_t blen);
int mxp_ctl_recv_frame(int fd, struct mxp_buf *b);

/**
 * Incremental frame parsing for a non-blocking server: given the bytes received so
 * far, returns 1 when a whole frame is present (payload at data+4, *plen bytes),
 * 0 when more bytes are needed, -EMSGSIZE when the announced length is too big.
 */
int mxp_ctl_frame_ready(const uint8_t *data, size_t len, uint32_t *plen);

#endif
