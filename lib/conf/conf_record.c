/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Recordings of mix conferences: the shared mix to a WAV file (16-bit PCM, mono).
 *
 * Worker: the mix tick, after the signals, calls conf_rec_tick(), which takes a buffer from
 * the recording's free ring, copies the tick's shared mix at the mix rate into it (a silent
 * tick copies nothing) and queues it on the full ring. Both rings are single producer and
 * single consumer and hold every buffer, so the full ring never refuses; when the free ring
 * is empty (the control core did not keep up: a slow disk) the tick is counted as dropped
 * and the next buffer carries the gap, which the file gets as silence: its length stays
 * the time recorded. Nothing is allocated, locked or called into the kernel on the worker.
 *
 * Control core: mxp_conf_record_poll() drains the full rings, converts what the worker
 * queued to the file's rate if the mix rate changed (lib/media's resampler), writes
 * through a staging buffer, gives the buffers back and fixes the header up every second (a
 * crash leaves a file readable up to then). A write error (disk full or another) stops that
 * recording only: the worker lets go of it in a command, what was written is kept, the
 * header says how much. The conference's deletion and the system's destruction finish a
 * recording the same way.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "conf_priv.h"

#define REC_HDR 44                  /* canonical PCM WAV header */
#define REC_FIX_MS 1000             /* header fixed up this often */
#define REC_BURST 64                /* buffers drained per recording and poll */
#define REC_STAGE 32768             /* bytes written at once */
#define REC_MAX_DATA (0xffffffffu - REC_HDR - REC_STAGE) /* RIFF sizes are 32-bit */

/* What a worker queues per tick. */
struct conf_rec_buf {
	uint32_t gap;                        /* ticks missing before this one */
	uint16_t rate;                       /* of pcm (silent: the mix rate) */
	uint16_t samples;                    /* 0: a silent tick */
	int16_t pcm[MXP_MEDIA_MAX_FRAME];
};

struct conf_rec {
	/* worker */
	struct rte_ring *free;               /* control -> worker: empty buffers */
	struct rte_ring *full;               /* worker -> control: a tick each */
	uint32_t gap;                        /* ticks not queued since the last one */
	uint64_t dropped;                    /* no free buffer (read by the control core) */
	uint64_t late;                       /* ticks the mixer skipped */
	/* control core */
	struct mxp_conf *cf;
	uint16_t worker;
	uint16_t ptime;
	bool attached;                       /* the worker has it (cf->rec) */
	bool wfail;                          /* a write failed: nothing more is written */
	int fd;
	struct mxp_rec_info info;
	uint64_t start_ms, stop_ms, fix_ms;
	uint64_t data;                       /* bytes of samples written */
	uint64_t fixed;                      /* data when the header was last written */
	uint64_t samples;                    /* in the file */
	struct conf_rec_buf *bufs;
	struct mxp_media_rs rs;              /* the mix rate -> the file's, when they differ */
	size_t nstage;
	uint8_t stage[REC_STAGE];
	struct conf_rec *next;
};

struct conf_rec_sys {
	char dir[256];
	struct conf_rec *active;
	struct mxp_rec_info hist[MXP_REC_HISTORY]; /* hist[0] newest */
	unsigned int nhist;
	struct mxp_rec_stats st;
};

const char *
mxp_rec_state_name(enum mxp_rec_state s)
{
	static const char *const names[] = {
		[MXP_REC_ACTIVE] = "active",         [MXP_REC_STOPPED] = "stopped",
		[MXP_REC_MAX_TIME] = "max-time",     [MXP_REC_DISK_FULL] = "disk-full",
		[MXP_REC_WRITE_ERROR] = "write-error", [MXP_REC_SIZE_LIMIT] = "size-limit",
		[MXP_REC_CONF_GONE] = "conference-deleted", [MXP_REC_SHUTDOWN] = "shutdown",
	};
	return (unsigned int)s < RTE_DIM(names) && names[s] ? names[s] : "unknown";
}

/* ---- worker side ---------------------------------------------------------------------------- */

void
conf_cmd_record(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.rec.cf;
	cf->rec = c->u.rec.rec;
	mxp_media_mixer_keep_shared(cf->mixer, cf->rec != NULL);
	(void)w;
}

void
conf_rec_tick(struct conf_rec *rec, const struct mxp_media_mix_result *res)
{
	if (res->skipped)
		__atomic_store_n(&rec->late, rec->late + res->skipped, __ATOMIC_RELAXED);
	struct conf_rec_buf *b;
	if (rte_ring_sc_dequeue(rec->free, (void **)&b) != 0) {
		rec->gap += 1 + res->skipped;
		__atomic_store_n(&rec->dropped, rec->dropped + 1, __ATOMIC_RELAXED);
		return;
	}
	b->gap = rec->gap + res->skipped;
	rec->gap = 0;
	unsigned int i = mxp_media_rate_idx(res->rate);
	for (unsigned int j = 0; res->shared[i] == NULL && j < MXP_MEDIA_N_RATES; j++)
		i = j; /* cannot happen: the mixer keeps the mix rate's (keep_shared) */
	b->rate = (uint16_t)res->rate;
	b->samples = 0;
	if (!res->silent && res->shared[i] != NULL) {
		b->rate = (uint16_t)mxp_media_rate_of_idx(i);
		b->samples = res->shared_samples[i];
		memcpy(b->pcm, res->shared[i], b->samples * sizeof(b->pcm[0]));
	}
	/* the full ring holds every buffer: it cannot refuse */
	(void)rte_ring_sp_enqueue(rec->full, b);
}

/* ---- control side: the file --------------------------------------------------------------------- */

static void
wav_header(uint8_t h[REC_HDR], uint32_t rate, uint32_t data)
{
	memcpy(h, "RIFF", 4);
	uint32_t v[] = { REC_HDR - 8 + data, 16, 1 | 1u << 16, rate, rate * 2, 2 | 16u << 16,
			 data };
	memcpy(h + 8, "WAVEfmt ", 8);
	for (unsigned int i = 0; i < 7; i++)
		v[i] = rte_cpu_to_le_32(v[i]);
	memcpy(h + 4, &v[0], 4);
	memcpy(h + 16, &v[1], 20);
	memcpy(h + 36, "data", 4);
	memcpy(h + 40, &v[6], 4);
}

static uint64_t
rec_elapsed(const struct conf_rec *rec)
{
	return (rec->stop_ms ? rec->stop_ms : mxp_clock_ms()) - rec->start_ms;
}

/* A write error or a limit: the recording stops at the next chance (state set once). */
static void
rec_fail(struct conf_rec *rec, enum mxp_rec_state s, int e)
{
	if (rec->info.state != MXP_REC_ACTIVE)
		return;
	rec->info.state = s;
	rec->info.err = e;
	rec->stop_ms = mxp_clock_ms();
}

static void
rec_flush(struct conf_rec *rec)
{
	size_t off = 0;
	while (off < rec->nstage && !rec->wfail) {
		ssize_t n = pwrite(rec->fd, rec->stage + off, rec->nstage - off,
				   (off_t)(REC_HDR + rec->data));
		rec->info.writes++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			rec->wfail = true;
			rec_fail(rec, e == ENOSPC || e == EDQUOT ? MXP_REC_DISK_FULL :
				      MXP_REC_WRITE_ERROR, e);
			break;
		}
		off += (size_t)n;
		rec->data += (uint64_t)n;
	}
	rec->nstage = 0;
}

static inline void
rec_put(struct conf_rec *rec, int16_t s)
{
	uint16_t le = rte_cpu_to_le_16((uint16_t)s);
	memcpy(rec->stage + rec->nstage, &le, 2);
	rec->nstage += 2;
	rec->samples++;
	if (rec->nstage == REC_STAGE)
		rec_flush(rec);
}

static void
rec_zeros(struct conf_rec *rec, uint64_t n)
{
	while (n-- && rec->info.state == MXP_REC_ACTIVE)
		rec_put(rec, 0);
}

/* Write the header: sizes of what is in the file (an even number of data bytes). */
static void
rec_fixup(struct conf_rec *rec)
{
	uint8_t h[REC_HDR];
	uint64_t data = rec->data & ~1ull;
	wav_header(h, rec->info.rate ? rec->info.rate : 8000, (uint32_t)data);
	if (pwrite(rec->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) &&
	    rec->info.state == MXP_REC_ACTIVE) {
		rec->wfail = true;
		rec_fail(rec, MXP_REC_WRITE_ERROR, errno ? errno : EIO);
	}
	rec->fixed = rec->data;
	rec->fix_ms = mxp_clock_ms();
}

/* One tick the worker queued, at the file's rate. */
static void
rec_buf(struct conf_rec *rec, const struct conf_rec_buf *b)
{
	if (rec->info.rate == 0) { /* the first tick decides the file's rate */
		rec->info.rate = b->rate;
		rec_fixup(rec);
	}
	uint32_t f = rec->info.rate;
	uint64_t per_tick = (uint64_t)rec->ptime * f / 1000;
	rec->info.frames += 1 + b->gap;
	rec_zeros(rec, per_tick * b->gap);
	if (b->samples == 0) {
		rec_zeros(rec, per_tick);
	} else if (b->rate == f) {
		for (unsigned int i = 0; i < b->samples; i++)
			rec_put(rec, b->pcm[i]);
	} else { /* lib/media's resampler (its filters), continuous across ticks */
		int16_t y[MXP_MEDIA_MAX_FRAME]; /* a tick at the file's rate */
		if (rec->rs.from != b->rate || rec->rs.to != f)
			mxp_media_rs_init(&rec->rs, b->rate, f);
		rec->info.converted++;
		unsigned int n = mxp_media_rs_run(&rec->rs, y, b->pcm, b->samples);
		for (unsigned int i = 0; i < n; i++)
			rec_put(rec, y[i]);
	}
	if (rec->info.max_seconds && rec->samples >= (uint64_t)rec->info.max_seconds * f)
		rec_fail(rec, MXP_REC_MAX_TIME, 0);
	if (rec->data + rec->nstage >= REC_MAX_DATA)
		rec_fail(rec, MXP_REC_SIZE_LIMIT, 0);
}

/* Drain what the worker queued; writes it while the recording is active. */
static unsigned int
rec_drain(struct conf_rec *rec, unsigned int max)
{
	unsigned int total = 0;
	void *bufs[REC_BURST];
	while (total < max) {
		unsigned int n = rte_ring_sc_dequeue_burst(rec->full, bufs, RTE_DIM(bufs), NULL);
		if (n == 0)
			break;
		for (unsigned int i = 0; i < n; i++)
			if (rec->info.state == MXP_REC_ACTIVE)
				rec_buf(rec, bufs[i]);
		rte_ring_sp_enqueue_bulk(rec->free, bufs, n, NULL);
		total += n;
	}
	if (rec->nstage)
		rec_flush(rec); /* what a limit stopped at is written too */
	return total;
}

/* ---- control side: life ------------------------------------------------------------------------ */

static struct conf_rec_sys *
rec_sys(struct mxp_conf_sys *sys)
{
	if (sys->rec == NULL)
		sys->rec = rte_zmalloc("mxp_rec_sys", sizeof(*sys->rec), 0);
	return sys->rec;
}

static void
rec_free(struct conf_rec *rec)
{
	if (rec == NULL)
		return;
	rte_ring_free(rec->free);
	rte_ring_free(rec->full);
	rte_free(rec->bufs);
	if (rec->fd >= 0)
		close(rec->fd);
	rte_free(rec);
}

/* The worker lets go of it (NULL: it already did, its conference is gone). */
static int
rec_detach(struct mxp_conf_sys *sys, struct conf_rec *rec)
{
	if (!rec->attached)
		return 0;
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_RECORD);
	if (c == NULL)
		return -ENOMEM;
	c->u.rec.cf = rec->cf;
	c->u.rec.rec = NULL;
	int r = conf_post(sys, rec->worker, c);
	conf_cmd_put(c);
	if (r == 0)
		rec->attached = false;
	return r;
}

static void
rec_info(const struct conf_rec *rec, struct mxp_rec_info *info)
{
	*info = rec->info;
	info->elapsed_ms = rec_elapsed(rec);
	info->bytes = REC_HDR + rec->data;
	info->audio_ms = info->rate ? (rec->data / 2) * 1000 / info->rate : 0;
	info->dropped = __atomic_load_n(&rec->dropped, __ATOMIC_RELAXED);
	info->late = __atomic_load_n(&rec->late, __ATOMIC_RELAXED);
}

/*
 * End a recording whose worker let go of it: the rest of what it queued is written (if the
 * recording is still active, i.e. stopped on purpose), the header fixed up, the file's
 * data cut to an even length, and it goes to the history.
 */
static void
rec_finish(struct conf_rec_sys *rs, struct conf_rec *rec, enum mxp_rec_state why)
{
	rec_drain(rec, UINT32_MAX);
	rec_fail(rec, why, 0); /* no-op if a write error or a limit came first */
	rec->data &= ~1ull;
	if (ftruncate(rec->fd, (off_t)(REC_HDR + rec->data)) != 0 && rec->info.err == 0)
		rec->info.err = errno;
	rec_fixup(rec);
	switch (rec->info.state) {
	case MXP_REC_DISK_FULL: rs->st.disk_full++; break;
	case MXP_REC_WRITE_ERROR: rs->st.write_errors++; break;
	default: break;
	}
	rs->st.stopped++;
	rs->st.active--;
	rs->st.dropped += rec->dropped;
	struct conf_rec **pp = &rs->active;
	while (*pp != rec)
		pp = &(*pp)->next;
	*pp = rec->next;
	struct mxp_rec_info info;
	rec_info(rec, &info);
	memmove(&rs->hist[1], &rs->hist[0], (MXP_REC_HISTORY - 1) * sizeof(rs->hist[0]));
	rs->hist[0] = info;
	if (rs->nhist < MXP_REC_HISTORY)
		rs->nhist++;
	rec_free(rec);
}

int
mxp_conf_record_dir(struct mxp_conf_sys *sys, const char *dir, char *err, size_t errlen)
{
	struct conf_rec_sys *rs = rec_sys(sys);
	if (rs == NULL)
		return conf_errf(err, errlen, -ENOMEM, "recordings: out of memory");
	if (dir == NULL || dir[0] == '\0') {
		rs->dir[0] = '\0';
		return 0;
	}
	if (dir[0] != '/')
		return conf_errf(err, errlen, -EINVAL, "recording directory '%s' is not absolute",
				 dir);
	if (strlen(dir) >= sizeof(rs->dir) - MXP_REC_NAME_LEN)
		return conf_errf(err, errlen, -EINVAL, "recording directory: at most %zu characters",
				 sizeof(rs->dir) - MXP_REC_NAME_LEN - 1);
	snprintf(rs->dir, sizeof(rs->dir), "%s", dir);
	return 0;
}

static int
name_check(const char *name, char *err, size_t errlen)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n >= MXP_REC_NAME_LEN)
		return conf_errf(err, errlen, -EINVAL, "recording name: 1 to %d characters",
				 MXP_REC_NAME_LEN - 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
		      c == '_' || c == '-' || c == '.'))
			return conf_errf(err, errlen, -EINVAL,
					 "recording name: only letters, digits, '_', '-' and '.' "
					 "(a file in the recording directory, no path)");
	}
	if (name[0] == '.')
		return conf_errf(err, errlen, -EINVAL, "recording name '%s' starts with '.'", name);
	if (n < 5 || strcasecmp(name + n - 4, ".wav") != 0)
		return conf_errf(err, errlen, -EINVAL, "recording name '%s' does not end in .wav",
				 name);
	return 0;
}

int
mxp_conf_record_start(struct mxp_conf_sys *sys, uint32_t conf_id, const struct mxp_rec_params *p,
		      char *err, size_t errlen)
{
	struct mxp_conf_ctl *cc = conf_find(sys, conf_id);
	if (cc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no conference %u", conf_id);
	struct mxp_conf *cf = cc->conf;
	if (cf->mode != MXP_CONF_MIX)
		return conf_errf(err, errlen, -ENOTSUP,
				 "conference %u is a %s conference: only mix conferences have a "
				 "shared mix to record", conf_id,
				 mxp_conf_mode_name((enum mxp_conf_mode)cf->mode));
	struct conf_rec_sys *rs = rec_sys(sys);
	if (rs == NULL)
		return conf_errf(err, errlen, -ENOMEM, "recordings: out of memory");
	for (struct conf_rec *x = rs->active; x; x = x->next)
		if (x->cf == cf)
			return conf_errf(err, errlen, -EALREADY,
					 "conference %u is already recording to %s", conf_id,
					 x->info.name);
	if (rs->dir[0] == '\0')
		return conf_errf(err, errlen, -ENODEV,
				 "no recording directory ([media] recording_dir)");
	int r = name_check(p->name, err, errlen);
	if (r)
		return r;
	if (p->max_seconds > 7 * 86400)
		return conf_errf(err, errlen, -EINVAL, "max-seconds: at most %u", 7 * 86400);
	uint32_t nbufs = p->bufs ? p->bufs : MXP_REC_BUFS;
	if (nbufs < 2 || nbufs > 4096)
		return conf_errf(err, errlen, -EINVAL, "recording buffers: 2 to 4096");
	for (struct conf_rec *x = rs->active; x; x = x->next)
		if (strcmp(x->info.name, p->name) == 0)
			return conf_errf(err, errlen, -EEXIST,
					 "%s is being written by conference %u's recording", p->name,
					 x->info.conf_id);
	struct conf_rec *rec = rte_zmalloc("mxp_rec", sizeof(*rec), RTE_CACHE_LINE_SIZE);
	if (rec == NULL)
		return conf_errf(err, errlen, -ENOMEM, "recording: out of memory");
	rec->fd = -1;
	rec->bufs = rte_malloc("mxp_rec_bufs", sizeof(*rec->bufs) * nbufs,
			       RTE_CACHE_LINE_SIZE);
	char name[RTE_RING_NAMESIZE];
	static uint32_t serials; /* ring names are global to the process */
	uint32_t serial = __atomic_fetch_add(&serials, 1, __ATOMIC_RELAXED);
	snprintf(name, sizeof(name), "mxp_recf%u", serial);
	rec->free = rte_ring_create(name, nbufs, SOCKET_ID_ANY,
				    RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	snprintf(name, sizeof(name), "mxp_recq%u", serial);
	rec->full = rte_ring_create(name, nbufs, SOCKET_ID_ANY,
				    RING_F_SP_ENQ | RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (rec->bufs == NULL || rec->free == NULL || rec->full == NULL) {
		rec_free(rec);
		return conf_errf(err, errlen, -ENOMEM, "recording: out of memory for its buffers");
	}
	for (unsigned int i = 0; i < nbufs; i++) {
		void *b = &rec->bufs[i];
		rte_ring_sp_enqueue(rec->free, b);
	}
	char path[sizeof(rs->dir) + MXP_REC_NAME_LEN + 1];
	snprintf(path, sizeof(path), "%s/%s", rs->dir, p->name);
	/* never through a symbolic link; O_NONBLOCK: a FIFO without a reader is refused
	 * rather than blocking the control core (no effect on a regular file) */
	rec->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK |
				     (p->overwrite ? O_TRUNC : O_EXCL), 0640);
	if (rec->fd < 0) {
		int e = errno;
		rec_free(rec);
		if (e == EEXIST)
			return conf_errf(err, errlen, -EEXIST, "%s exists", p->name);
		if (e == ELOOP)
			return conf_errf(err, errlen, -EINVAL, "%s is a symbolic link", p->name);
		return conf_errf(err, errlen, -e, "cannot create %s: %s", path, strerror(e));
	}
	struct stat sb;
	if (fstat(rec->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		rec_free(rec);
		return conf_errf(err, errlen, -EINVAL, "%s is not a regular file", p->name);
	}
	rec->cf = cf;
	rec->worker = cc->worker;
	rec->ptime = cf->ptime;
	rec->info.conf_id = conf_id;
	snprintf(rec->info.name, sizeof(rec->info.name), "%s", p->name);
	rec->info.max_seconds = p->max_seconds;
	rec->start_ms = mxp_clock_ms();
	rec_fixup(rec); /* a valid (empty) file from the start */
	if (rec->info.state != MXP_REC_ACTIVE) {
		int e = rec->info.err;
		rec_free(rec);
		unlink(path);
		return conf_errf(err, errlen, -e, "cannot write %s: %s", path, strerror(e));
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_RECORD);
	r = c ? 0 : -ENOMEM;
	if (c) {
		c->u.rec.cf = cf;
		c->u.rec.rec = rec;
		r = conf_post(sys, cc->worker, c);
		conf_cmd_put(c);
	}
	if (r) {
		rec_free(rec);
		unlink(path);
		return conf_errf(err, errlen, r, "worker %u did not answer", cc->worker);
	}
	rec->attached = true;
	rec->next = rs->active;
	rs->active = rec;
	rs->st.started++;
	rs->st.active++;
	return 0;
}

int
mxp_conf_record_stop(struct mxp_conf_sys *sys, uint32_t conf_id, char *err, size_t errlen)
{
	struct mxp_conf_ctl *cc = conf_find(sys, conf_id);
	if (cc == NULL)
		return conf_errf(err, errlen, -ENOENT, "no conference %u", conf_id);
	struct conf_rec *rec = sys->rec ? sys->rec->active : NULL;
	while (rec && rec->cf != cc->conf)
		rec = rec->next;
	if (rec == NULL)
		return conf_errf(err, errlen, -ESRCH, "conference %u is not recording", conf_id);
	int r = rec_detach(sys, rec);
	if (r)
		return conf_errf(err, errlen, r, "worker %u did not answer (still recording)",
				 rec->worker);
	rec_finish(sys->rec, rec, MXP_REC_STOPPED);
	return 0;
}

int
mxp_conf_record_abort(struct mxp_conf_sys *sys, uint32_t conf_id)
{
	struct conf_rec_sys *rs = sys->rec;
	struct mxp_rec_info in;
	if (rs == NULL || mxp_conf_record_get(sys, conf_id, &in) != 0 || in.state != MXP_REC_ACTIVE)
		return -ESRCH;
	int r = mxp_conf_record_stop(sys, conf_id, NULL, 0);
	if (r)
		return r;
	char path[sizeof(rs->dir) + MXP_REC_NAME_LEN + 1];
	snprintf(path, sizeof(path), "%s/%s", rs->dir, in.name);
	unlink(path);
	/* as if it never started */
	memmove(&rs->hist[0], &rs->hist[1], (MXP_REC_HISTORY - 1) * sizeof(rs->hist[0]));
	memset(&rs->hist[MXP_REC_HISTORY - 1], 0, sizeof(rs->hist[0]));
	rs->nhist--;
	rs->st.started--;
	rs->st.stopped--;
	return 0;
}

int
mxp_conf_record_get(struct mxp_conf_sys *sys, uint32_t conf_id, struct mxp_rec_info *info)
{
	struct conf_rec_sys *rs = sys->rec;
	if (rs == NULL)
		return -ENOENT;
	for (struct conf_rec *x = rs->active; x; x = x->next)
		if (x->info.conf_id == conf_id) {
			rec_info(x, info);
			return 0;
		}
	for (unsigned int i = 0; i < rs->nhist; i++)
		if (rs->hist[i].conf_id == conf_id) {
			*info = rs->hist[i];
			return 0;
		}
	return -ENOENT;
}

unsigned int
mxp_conf_record_list(struct mxp_conf_sys *sys, struct mxp_rec_info *out, unsigned int max)
{
	struct conf_rec_sys *rs = sys->rec;
	unsigned int n = 0;
	if (rs == NULL)
		return 0;
	for (struct conf_rec *x = rs->active; x && n < max; x = x->next)
		rec_info(x, &out[n++]);
	for (unsigned int i = 0; i < rs->nhist && n < max; i++)
		out[n++] = rs->hist[i];
	return n;
}

void
mxp_conf_record_stats(struct mxp_conf_sys *sys, struct mxp_rec_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (sys->rec == NULL)
		return;
	*st = sys->rec->st;
	for (struct conf_rec *x = sys->rec->active; x; x = x->next)
		st->dropped += __atomic_load_n(&x->dropped, __ATOMIC_RELAXED);
}

unsigned int
mxp_conf_record_poll(struct mxp_conf_sys *sys)
{
	struct conf_rec_sys *rs = sys->rec;
	if (rs == NULL)
		return 0;
	unsigned int total = 0;
	uint64_t now = mxp_clock_ms();
	struct conf_rec *next;
	for (struct conf_rec *rec = rs->active; rec; rec = next) {
		next = rec->next;
		total += rec_drain(rec, REC_BURST * 4);
		if (rec->info.state == MXP_REC_ACTIVE) {
			if (rec->data != rec->fixed && now - rec->fix_ms >= REC_FIX_MS)
				rec_fixup(rec);
			continue;
		}
		/* a write error or a limit: the worker lets go, then it ends (retried at the
		 * next poll if the worker did not answer) */
		if (rec_detach(sys, rec) == 0)
			rec_finish(rs, rec, rec->info.state);
	}
	return total;
}

void
conf_rec_conf_free(struct mxp_conf_sys *sys, struct mxp_conf *cf)
{
	if (sys->rec == NULL || cf->rec == NULL)
		return;
	struct conf_rec *rec = sys->rec->active;
	while (rec && rec->cf != cf)
		rec = rec->next;
	cf->rec = NULL;
	if (rec == NULL)
		return;
	rec->attached = false; /* the worker dropped the conference */
	rec_finish(sys->rec, rec, MXP_REC_CONF_GONE);
}

void
conf_rec_sys_free(struct mxp_conf_sys *sys)
{
	struct conf_rec_sys *rs = sys->rec;
	if (rs == NULL)
		return;
	while (rs->active != NULL) {
		struct conf_rec *rec = rs->active;
		if (rec_detach(sys, rec) != 0) /* cannot happen: the workers are stopped */
			rec->attached = false;
		rec->cf->rec = NULL;
		rec_finish(rs, rec, MXP_REC_SHUTDOWN);
	}
	rte_free(rs);
	sys->rec = NULL;
}
