/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mxp_be.h"
#include "mxp_ctl.h"

void
mxp_buf_init(struct mxp_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void
mxp_buf_free(struct mxp_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

void
mxp_buf_reset(struct mxp_buf *b)
{
	b->len = 0;
	b->oom = false;
}

static int
reserve(struct mxp_buf *b, size_t extra)
{
	if (b->oom)
		return -ENOMEM;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->oom = true;
		return -ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int
mxp_buf_add(struct mxp_buf *b, const void *p, size_t n)
{
	if (reserve(b, n) != 0)
		return -ENOMEM;
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int
mxp_buf_vprintf(struct mxp_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || reserve(b, (size_t)n) != 0)
		return -ENOMEM;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int
mxp_buf_printf(struct mxp_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = mxp_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

const char *
mxp_buf_str(struct mxp_buf *b)
{
	if (b->p == NULL && reserve(b, 0) != 0)
		return "";
	b->p[b->len] = '\0';
	return b->p;
}

/* ---- JSON ---------------------------------------------------------------------- */

void
mxp_json_init(struct mxp_json *j, struct mxp_buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
}

static void
json_escape(struct mxp_buf *b, const char *s)
{
	mxp_buf_add(b, "\"", 1);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': mxp_buf_add(b, "\\\"", 2); break;
		case '\\': mxp_buf_add(b, "\\\\", 2); break;
		case '\n': mxp_buf_add(b, "\\n", 2); break;
		case '\r': mxp_buf_add(b, "\\r", 2); break;
		case '\t': mxp_buf_add(b, "\\t", 2); break;
		default:
			if (*p < 0x20)
				mxp_buf_printf(b, "\\u%04x", *p);
			else
				mxp_buf_add(b, p, 1);
		}
	}
	mxp_buf_add(b, "\"", 1);
}

static void
json_key(struct mxp_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		mxp_buf_add(j->b, ",", 1);
	j->need_comma[j->depth] = true;
	if (key) {
		json_escape(j->b, key);
		mxp_buf_add(j->b, ":", 1);
	}
}

static void
json_open(struct mxp_json *j, const char *key, char c)
{
	json_key(j, key);
	mxp_buf_add(j->b, &c, 1);
	if (j->depth + 1 < (int)(sizeof(j->need_comma) / sizeof(j->need_comma[0])))
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void
json_close(struct mxp_json *j, char c)
{
	mxp_buf_add(j->b, &c, 1);
	if (j->depth > 0)
		j->depth--;
}

void mxp_json_obj_open(struct mxp_json *j, const char *key) { json_open(j, key, '{'); }
void mxp_json_obj_close(struct mxp_json *j) { json_close(j, '}'); }
void mxp_json_arr_open(struct mxp_json *j, const char *key) { json_open(j, key, '['); }
void mxp_json_arr_close(struct mxp_json *j) { json_close(j, ']'); }

void
mxp_json_str(struct mxp_json *j, const char *key, const char *val)
{
	json_key(j, key);
	if (val == NULL)
		mxp_buf_add(j->b, "null", 4);
	else
		json_escape(j->b, val);
}

void
mxp_json_u64(struct mxp_json *j, const char *key, uint64_t val)
{
	json_key(j, key);
	mxp_buf_printf(j->b, "%llu", (unsigned long long)val);
}

void
mxp_json_i64(struct mxp_json *j, const char *key, int64_t val)
{
	json_key(j, key);
	mxp_buf_printf(j->b, "%lld", (long long)val);
}

void
mxp_json_dbl(struct mxp_json *j, const char *key, double val)
{
	json_key(j, key);
	if (val != val || val > 1e300 || val < -1e300)
		mxp_buf_add(j->b, "null", 4);
	else
		mxp_buf_printf(j->b, "%.6g", val);
}

void
mxp_json_bool(struct mxp_json *j, const char *key, bool val)
{
	json_key(j, key);
	mxp_buf_add(j->b, val ? "true" : "false", val ? 4 : 5);
}

void
mxp_json_null(struct mxp_json *j, const char *key)
{
	json_key(j, key);
	mxp_buf_add(j->b, "null", 4);
}

/* ---- tables -------------------------------------------------------------------- */

int
mxp_table_init(struct mxp_table *t, unsigned int ncols, const char *const headers[])
{
	memset(t, 0, sizeof(*t));
	if (ncols == 0 || ncols > 16)
		return -EINVAL;
	t->ncols = ncols;
	for (unsigned int c = 0; c < ncols; c++)
		t->right[c] = headers[c][0] == '>';
	const char *h[16];
	for (unsigned int c = 0; c < ncols; c++)
		h[c] = headers[c] + (t->right[c] ? 1 : 0);
	return mxp_table_row(t, h) == 0 ? 0 : -ENOMEM;
}

int
mxp_table_row(struct mxp_table *t, const char *const cells[])
{
	if (t->nrows == t->cap) {
		unsigned int cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, sizeof(char *) * cap * t->ncols);
		if (c == NULL)
			return -ENOMEM;
		t->cells = c;
		t->cap = cap;
	}
	for (unsigned int c = 0; c < t->ncols; c++) {
		t->cells[t->nrows * t->ncols + c] = strdup(cells[c] ? cells[c] : "");
		if (t->cells[t->nrows * t->ncols + c] == NULL) {
			for (unsigned int k = 0; k < c; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			return -ENOMEM;
		}
	}
	t->nrows++;
	return 0;
}

void
mxp_table_render(struct mxp_table *t, struct mxp_buf *b)
{
	size_t w[16] = { 0 };

	for (unsigned int r = 0; r < t->nrows; r++)
		for (unsigned int c = 0; c < t->ncols; c++) {
			size_t l = strlen(t->cells[r * t->ncols + c]);
			if (l > w[c])
				w[c] = l;
		}
	for (unsigned int r = 0; r < t->nrows; r++) {
		for (unsigned int c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			bool last = c + 1 == t->ncols;
			if (t->right[c])
				mxp_buf_printf(b, "%*s", (int)w[c], s);
			else if (last)
				mxp_buf_printf(b, "%s", s);
			else
				mxp_buf_printf(b, "%-*s", (int)w[c], s);
			if (!last)
				mxp_buf_add(b, "  ", 2);
		}
		mxp_buf_add(b, "\n", 1);
	}
	mxp_table_free(t);
}

void
mxp_table_free(struct mxp_table *t)
{
	for (unsigned int i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* ---- words and frames ------------------------------------------------------------ */

int
mxp_ctl_split(char *line, char *argv[], int max)
{
	int n = 0;
	char *r = line, *w = line;

	for (;;) {
		while (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r')
			r++;
		if (*r == '\0')
			return n;
		if (n == max)
			return -E2BIG;
		argv[n++] = w;
		while (*r && *r != ' ' && *r != '\t' && *r != '\n' && *r != '\r') {
			if (*r == '"') {
				r++;
				while (*r && *r != '"') {
					if (*r == '\\' && r[1])
						r++;
					*w++ = *r++;
				}
				if (*r != '"')
					return -EINVAL;
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++; /* the separator; w <= r - 1, so terminating at w is safe */
		*w = '\0';
		w = r;
	}
}

int
mxp_ctl_add_word(struct mxp_buf *b, const char *w)
{
	bool plain = w[0] != '\0' && strpbrk(w, " \t\r\n\"\\") == NULL;
	if (b->len)
		mxp_buf_add(b, " ", 1);
	if (plain)
		return mxp_buf_add(b, w, strlen(w));
	mxp_buf_add(b, "\"", 1);
	for (const char *p = w; *p; p++) {
		if (*p == '"' || *p == '\\')
			mxp_buf_add(b, "\\", 1);
		mxp_buf_add(b, p, 1);
	}
	return mxp_buf_add(b, "\"", 1);
}

/*
 * send() with MSG_NOSIGNAL: a peer that closed its end (the daemon refusing a user, a
 * client gone) is -EPIPE here, never a SIGPIPE that kills the writer. write() for a
 * descriptor that is not a socket.
 */
static int
write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
	bool sock = true;
	while (n) {
		ssize_t w = sock ? send(fd, c, n, MSG_NOSIGNAL) : write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOTSOCK && sock) {
				sock = false;
				continue;
			}
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int
mxp_ctl_send_frame(int fd, const void *hdr, size_t hlen, const void *body, size_t blen)
{
	if (hlen + blen > MXP_CTL_MAX_FRAME)
		return -EMSGSIZE;
	uint32_t n = (uint32_t)(hlen + blen);
	uint8_t l[4];
	mxp_be_wr32(l, n);
	int r = write_all(fd, l, 4);
	if (r == 0)
		r = write_all(fd, hdr, hlen);
	if (r == 0 && blen)
		r = write_all(fd, body, blen);
	return r;
}

static int
read_all(int fd, void *p, size_t n)
{
	uint8_t *c = p;
	while (n) {
		ssize_t r = read(fd, c, n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ECONNRESET;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

int
mxp_ctl_recv_frame(int fd, struct mxp_buf *b)
{
	uint8_t l[4];
	int r = read_all(fd, l, 4);
	if (r)
		return r;
	uint32_t n = mxp_be_rd32(l);
	if (n > MXP_CTL_MAX_FRAME)
		return -EMSGSIZE;
	mxp_buf_reset(b);
	if (reserve(b, n) != 0)
		return -ENOMEM;
	r = read_all(fd, b->p, n);
	if (r)
		return r;
	b->len = n;
	b->p[n] = '\0';
	return 0;
}

int
mxp_ctl_frame_ready(const uint8_t *data, size_t len, uint32_t *plen)
{
	if (len < 4)
		return 0;
	uint32_t n = mxp_be_rd32(data);
	if (n > MXP_CTL_MAX_FRAME)
		return -EMSGSIZE;
	if (len - 4 < n)
		return 0;
	*plen = n;
	return 1;
}

const char *
mxp_ctl_socket_path(const char *given)
{
	if (given != NULL && given[0] != '\0')
		return given;
	const char *env = getenv("MIXPLANE_SOCKET");
	return env != NULL && env[0] != '\0' ? env : MXP_CTL_DEFAULT_SOCKET;
}

int
mxp_ctl_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int
mxp_ctl_send_request(int fd, uint8_t flags, const char *line, size_t len, const void *body,
		     size_t blen)
{
	struct mxp_buf hdr;
	mxp_buf_init(&hdr);
	mxp_buf_add(&hdr, &flags, 1);
	mxp_buf_add(&hdr, line, len);
	mxp_buf_add(&hdr, "", 1);
	int r = hdr.oom ? -ENOMEM : mxp_ctl_send_frame(fd, hdr.p, hdr.len, body, body ? blen : 0);
	mxp_buf_free(&hdr);
	return r;
}
