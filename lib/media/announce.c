/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Announcements: audio files read and converted once, on the control core's CPU, to 16-bit
 * PCM at both mix rates; workers then read them without a copy.
 *
 * Formats: RIFF WAVE (format 1 PCM 16-bit, 6 A-law, 7 mu-law, or WAVE_FORMAT_EXTENSIBLE
 * with one of them), mono; raw G.711 and L16 named by their extension. Conversion to 8 and
 * 16 kHz is a windowed-sinc (Blackman) resampler with its cutoff below the lower Nyquist
 * frequency, computed in double precision, with the taps a table per fractional phase (see
 * struct rs): 60 s of 44.1 kHz converts in well under 0.5 s, 10 minutes of 48 kHz in about
 * 1.4 s.
 *
 * That is too long for the Mp transaction that starts a signal, so mxp_announcement_open()
 * checks the file (it opens, its header is valid, its length is accepted) and converts it
 * inline only when that is cheap; a longer one is queued for the loader, a thread on the
 * control core's CPU at nice 19, which reads the file from the descriptor the check opened
 * (what was checked is what plays, even if the name is replaced meanwhile) and converts it
 * in steps, looking between steps whether it is still wanted. Its state (an atomic, release
 * on READY) tells a generator when the audio may be read (mxp_media_announce.h).
 *
 * Every announcement made here is on a registry (show announcements); the loader's queue,
 * the registry and the list of finished conversions share one mutex, which no worker ever
 * takes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* gettid, pthread_setname_np, CPU affinity */
#endif
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mxp_media_announce.h"
#include "mxp_media_codec.h"
#include "mxp_media_signal.h"

#define MAX_SECONDS 600
#define HALF_ZC 12       /* zero crossings of the lower rate on each side of the filter */
#define MAX_CHUNKS 4096  /* RIFF chunks walked before the data chunk */
#define READ_STEP (256u << 10) /* bytes the loader reads and decodes per step */
#define STEP_WORK 400000 /* multiply-adds of a resampler step (a fraction of a ms) */
#define DONE_KEEP 32     /* finished conversions kept for mxp_announcement_poll() */
#define LOADER_NICE 19

/* An announcement with what only this file sees (pub first: the public pointer is ours). */
struct ann_priv {
	struct mxp_announcement pub;
	uint32_t state;          /* enum mxp_ann_state, atomic (release when READY) */
	uint32_t cancel;         /* atomic: freed or the loader stops: leave it */
	int fd;                  /* queued: the file, open since the check; else -1 */
	unsigned int fmt, rate;
	uint64_t data_off, data_len; /* the samples in the file, as checked */
	uint64_t n;              /* source samples */
	uint64_t convert_ns;
	char error[160];
	struct ann_priv *qnext;  /* the loader's queue */
	struct ann_priv *rprev, *rnext; /* the registry */
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work;     /* the loader: a job, hold or stop changed */
	pthread_cond_t idle;     /* a job ended: drain, free */
	bool running, stop, hold;
	pthread_t th;
	struct ann_priv *head, *tail, *cur;
	unsigned int nq;
	struct ann_priv *reg;
	struct mxp_announcement_info done[DONE_KEEP];
	unsigned int ndone;
	uint64_t done_lost;
} ld = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

static inline struct ann_priv *
priv(const struct mxp_announcement *a)
{
	return (struct ann_priv *)(uintptr_t)a;
}

static uint64_t
ns_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Blackman window on [-1, 1]. */
static double
blackman(double x)
{
	return 0.42 + 0.5 * cos(M_PI * x) + 0.08 * cos(2.0 * M_PI * x);
}

static unsigned int
gcd(unsigned int a, unsigned int b)
{
	while (b != 0) {
		unsigned int r = a % b;
		a = b;
		b = r;
	}
	return a;
}

/*
 * A resampler of n samples at rate in to rate out (identity when equal), run in steps.
 *
 * Output sample k sits at t = k * in / out input samples. With in / out reduced to P / L,
 * t = q + p / L for whole q and p in [0, L): only L fractional phases occur (80 for
 * 44.1 -> 8 kHz, 1 for 48 -> 16 kHz), so the filter taps of each phase are computed once
 * into a table and the loop over the output is multiply-adds only.
 */
struct rs {
	unsigned int in, out, P, L;
	long r, w;               /* taps j - q in [-r, r]: w of them */
	double *h;               /* L x w taps; NULL when in == out */
	size_t m;                /* output samples */
};

static void
rs_shape(struct rs *s, size_t n, unsigned int in, unsigned int out, double *fc, double *half)
{
	s->in = in;
	s->out = out;
	s->m = (size_t)((uint64_t)n * out / in);
	*fc = 0.45 * (in < out ? in : out);         /* Hz: below the lower Nyquist */
	*half = HALF_ZC * (double)in / (2.0 * *fc); /* filter half-width, input samples */
	unsigned int c = gcd(in, out);
	s->P = in / c;
	s->L = out / c;
	s->r = (long)ceil(*half) + 1;
	s->w = 2 * s->r + 1;
	s->h = NULL;
}

/* Multiply-adds the conversion of n samples at in to out costs (the inline or queue rule). */
static uint64_t
rs_work(size_t n, unsigned int in, unsigned int out)
{
	struct rs s;
	double fc, half;
	rs_shape(&s, n, in, out, &fc, &half);
	return in == out ? s.m : (uint64_t)s.m * (uint64_t)s.w;
}

static int
rs_init(struct rs *s, size_t n, unsigned int in, unsigned int out)
{
	double fc, half;
	rs_shape(s, n, in, out, &fc, &half);
	if (in == out)
		return 0;
	double g = 2.0 * fc / in; /* passband gain of the sinc */
	long r = s->r, w = s->w;
	unsigned int L = s->L;
	s->h = malloc((size_t)L * (size_t)w * sizeof(*s->h));
	if (s->h == NULL)
		return -ENOMEM;
	/* those with |d| > half are zero, as they were left out */
	for (unsigned int p = 0; p < L; p++)
		for (long i = -r; i <= r; i++) {
			double d = (double)i - (double)p / L; /* j - t */
			double a = 2.0 * fc / in * d;
			double sn = d == 0 ? 1.0 : sin(M_PI * a) / (M_PI * a);
			s->h[(size_t)p * (size_t)w + (size_t)(i + r)] =
				fabs(d) > half ? 0.0 : g * sn * blackman(d / half);
		}
	return 0;
}

/* Output samples [k0, k1) of x (n samples) into y. Not inlined: the fuzz build leaves this
 * per-sample kernel out of its coverage tracing by name (tests/fuzz/coverage-ignore.txt). */
static __attribute__((noinline)) void
rs_run(const struct rs *s, const int16_t *x, size_t n, int16_t *y, size_t k0, size_t k1)
{
	if (s->h == NULL) {
		memcpy(y + k0, x + k0, (k1 - k0) * sizeof(*y));
		return;
	}
	long r = s->r;
	for (size_t k = k0; k < k1; k++) {
		uint64_t num = (uint64_t)k * s->P;
		long q = (long)(num / s->L);
		const double *hp = s->h + (size_t)(num % s->L) * (size_t)s->w + r; /* hp[j - q] */
		long lo = q - r < 0 ? 0 : q - r, hi = q + r < (long)n ? q + r : (long)n - 1;
		double acc = 0;
		for (long j = lo; j <= hi; j++)
			acc += x[j] * hp[j - q];
		y[k] = (int16_t)(acc > 32767 ? 32767 : acc < -32768 ? -32768 : lrint(acc));
	}
}

static int
fail(char *err, size_t errlen, int code, const char *fmt, const char *arg)
{
	if (err != NULL && errlen)
		snprintf(err, errlen, fmt, arg);
	return code;
}

/* Decode bytes of a WAV/raw format into 16-bit PCM at x; returns the samples written. */
static size_t
decode(int16_t *x, const uint8_t *p, size_t bytes, unsigned int fmt)
{
	size_t cnt = fmt == 1 ? bytes / 2 : bytes;
	if (fmt == 1)
		for (size_t i = 0; i < cnt; i++)
			x[i] = (int16_t)rd16(p + 2 * i);
	else if (fmt == 6)
		mxp_media_alaw_decode(x, p, (unsigned int)cnt);
	else
		mxp_media_ulaw_decode(x, p, (unsigned int)cnt);
	return cnt;
}

/* ---- the header: from memory or from a file ------------------------------------------------ */

/* Where the bytes are: memory, or a file descriptor. */
struct src {
	const uint8_t *mem;
	int fd;
	uint64_t len;
};

/* Up to n bytes at off (fewer at the end); -errno on a read error. */
static ssize_t
src_read(const struct src *s, uint64_t off, void *buf, size_t n)
{
	if (off >= s->len)
		return 0;
	if (n > s->len - off)
		n = (size_t)(s->len - off);
	if (s->mem != NULL) {
		memcpy(buf, s->mem + off, n);
		return (ssize_t)n;
	}
	size_t got = 0;
	while (got < n) {
		ssize_t r = pread(s->fd, (uint8_t *)buf + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

struct hdr {
	unsigned int fmt, rate;
	uint64_t data_off, data_len;
};

/* Find fmt and data of a RIFF WAVE file. */
static int
wav_parse(const struct src *s, struct hdr *h, char *err, size_t errlen)
{
	uint8_t b[40];
	if (s->len < 12 || src_read(s, 0, b, 12) != 12 || memcmp(b, "RIFF", 4) != 0 ||
	    memcmp(b + 8, "WAVE", 4) != 0)
		return fail(err, errlen, -EINVAL, "%s: not a RIFF WAVE file", "announcement");
	bool have_fmt = false, have_data = false;
	unsigned int bits = 0, ch = 0, chunks = 0;
	for (uint64_t off = 12; off + 8 <= s->len;) {
		if (++chunks > MAX_CHUNKS)
			return fail(err, errlen, -EINVAL, "%s: too many chunks before the data",
				    "WAV");
		if (src_read(s, off, b, 8) != 8)
			return fail(err, errlen, -EIO, "%s: read error", "WAV");
		uint32_t sz = rd32(b + 4);
		uint64_t avail = s->len - off - 8;
		if (memcmp(b, "fmt ", 4) == 0) {
			if (sz < 16 || sz > avail)
				return fail(err, errlen, -EINVAL, "%s: truncated fmt chunk", "WAV");
			size_t want = sz < sizeof(b) ? sz : sizeof(b);
			if (src_read(s, off + 8, b, want) != (ssize_t)want)
				return fail(err, errlen, -EIO, "%s: read error", "WAV");
			h->fmt = rd16(b);
			ch = rd16(b + 2);
			h->rate = rd32(b + 4);
			bits = rd16(b + 14);
			if (h->fmt == 0xfffe) { /* WAVE_FORMAT_EXTENSIBLE: the sub-format's code */
				if (sz < 40)
					return fail(err, errlen, -EINVAL,
						    "%s: truncated WAVE_FORMAT_EXTENSIBLE", "WAV");
				h->fmt = rd16(b + 24);
			}
			have_fmt = true;
		} else if (memcmp(b, "data", 4) == 0) {
			h->data_off = off + 8;
			/* a file truncated before the check: what is there */
			h->data_len = sz <= avail ? sz : avail;
			have_data = true;
			break;
		}
		off += 8 + (uint64_t)sz + (sz & 1);
	}
	if (!have_fmt || !have_data)
		return fail(err, errlen, -EINVAL, "%s: no fmt or no data chunk", "WAV");
	if (ch != 1)
		return fail(err, errlen, -EINVAL, "%s: only mono is supported", "WAV");
	if (!((h->fmt == 1 && bits == 16) || ((h->fmt == 6 || h->fmt == 7) && bits == 8)))
		return fail(err, errlen, -EINVAL,
			    "%s: only 16-bit PCM, A-law or mu-law (8-bit) are supported", "WAV");
	if (h->rate != 8000 && h->rate != 16000 && h->rate != 32000 && h->rate != 44100 &&
	    h->rate != 48000)
		return fail(err, errlen, -EINVAL,
			    "%s: sample rate not 8000, 16000, 32000, 44100 or 48000", "WAV");
	return 0;
}

/* The format (by extension, and the WAV header), where the samples are, and their count. */
static int
header(const struct src *s, const char *path, struct hdr *h, uint64_t *n, char *err,
       size_t errlen)
{
	memset(h, 0, sizeof(*h));
	const char *ext = strrchr(path, '.');
	ext = ext != NULL ? ext + 1 : "";
	int rc = 0;
	if (strcasecmp(ext, "wav") == 0) {
		rc = wav_parse(s, h, err, errlen);
	} else {
		h->data_len = s->len;
		if (strcasecmp(ext, "ul") == 0 || strcasecmp(ext, "pcmu") == 0 ||
		    strcasecmp(ext, "ulaw") == 0 || strcasecmp(ext, "u8") == 0)
			h->fmt = 7, h->rate = 8000;
		else if (strcasecmp(ext, "al") == 0 || strcasecmp(ext, "pcma") == 0 ||
			 strcasecmp(ext, "alaw") == 0)
			h->fmt = 6, h->rate = 8000;
		else if (strcasecmp(ext, "l16") == 0 || strcasecmp(ext, "raw") == 0 ||
			 strcasecmp(ext, "sw") == 0)
			h->fmt = 1, h->rate = 8000;
		else if (strcasecmp(ext, "l16w") == 0 || strcasecmp(ext, "sw16") == 0)
			h->fmt = 1, h->rate = 16000;
		else
			rc = fail(err, errlen, -EINVAL, "%s: unknown extension (wav, ul, al, l16, "
				  "l16w)", path);
	}
	if (rc != 0)
		return rc;
	if (h->fmt == 1)
		h->data_len &= ~(uint64_t)1; /* whole samples */
	*n = h->fmt == 1 ? h->data_len / 2 : h->data_len;
	if (*n > (uint64_t)MAX_SECONDS * h->rate)
		return fail(err, errlen, -EFBIG, "%s: longer than 10 minutes", path);
	if (*n < h->rate / 100)
		return fail(err, errlen, -EINVAL, "%s: shorter than 10 ms", path);
	return 0;
}

/* ---- the registry ---------------------------------------------------------------------------- */

static struct ann_priv *
ann_new(const char *path, const struct hdr *h, uint64_t n)
{
	struct ann_priv *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->pub.refs = 1;
	p->pub.src_rate = h->rate;
	const char *base = strrchr(path, '/');
	snprintf(p->pub.name, sizeof(p->pub.name), "%s", base != NULL ? base + 1 : path);
	p->fd = -1;
	p->fmt = h->fmt;
	p->rate = h->rate;
	p->data_off = h->data_off;
	p->data_len = h->data_len;
	p->n = n;
	p->state = MXP_ANN_QUEUED;
	pthread_mutex_lock(&ld.mu);
	p->rnext = ld.reg;
	if (ld.reg != NULL)
		ld.reg->rprev = p;
	ld.reg = p;
	pthread_mutex_unlock(&ld.mu);
	return p;
}

/* What show announcements says of p (the lock held). */
static void
info_of(const struct ann_priv *p, struct mxp_announcement_info *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->name, sizeof(o->name), "%s", p->pub.name);
	o->state = (enum mxp_ann_state)__atomic_load_n(&p->state, __ATOMIC_ACQUIRE);
	o->src_rate = p->rate;
	o->duration_ms = (uint32_t)(p->n * 1000 / p->rate);
	if (o->state == MXP_ANN_READY)
		o->bytes = (uint64_t)p->pub.samples8 * 2 * 3; /* 8 kHz and twice as many at 16 */
	o->refs = __atomic_load_n(&p->pub.refs, __ATOMIC_RELAXED);
	o->convert_ms = (uint32_t)(p->convert_ns / 1000000);
	if (o->state == MXP_ANN_FAILED)
		snprintf(o->error, sizeof(o->error), "%s", p->error);
}

/* ---- the conversion -------------------------------------------------------------------------- */

/*
 * Between two steps: still wanted (not freed, the loader not stopped, and, the loader's own
 * job, someone besides the loader holds it)? The loader also yields there: a wakeup of the
 * control core only asks for a reschedule at the next tick or return to the kernel (lazy
 * preemption of fair tasks, even of one at nice 19), so a loader that never entered the
 * kernel would delay the control core by up to a tick; a yield every step (a fraction of
 * a millisecond of work) lets it run at once.
 */
static bool
wanted(struct ann_priv *p, bool loader)
{
	if (loader)
		sched_yield();
	if (__atomic_load_n(&p->cancel, __ATOMIC_RELAXED))
		return false;
	return !loader || __atomic_load_n(&p->pub.refs, __ATOMIC_RELAXED) > 1;
}

static int
failf(struct ann_priv *p, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
failf(struct ann_priv *p, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	return code;
}

/* Both rates from x (n samples), in steps; pub gets the audio. */
static int
produce(struct ann_priv *p, const int16_t *x, size_t n, bool loader)
{
	struct rs r8, r16;
	int16_t *y8 = NULL, *y16 = NULL;
	int rc = rs_init(&r8, n, p->rate, 8000);
	if (rc == 0 && (rc = rs_init(&r16, n, p->rate, 16000)) != 0)
		free(r8.h);
	if (rc != 0)
		return failf(p, -ENOMEM, "out of memory");
	y8 = malloc((r8.m ? r8.m : 1) * sizeof(*y8));
	y16 = malloc((r16.m ? r16.m : 1) * sizeof(*y16));
	if (y8 == NULL || y16 == NULL)
		rc = failf(p, -ENOMEM, "out of memory");
	for (int v = 0; v < 2 && rc == 0; v++) {
		const struct rs *s = v ? &r16 : &r8;
		int16_t *y = v ? y16 : y8;
		size_t step = STEP_WORK / (size_t)s->w + 1;
		for (size_t k = 0; rc == 0 && k < s->m; k += step) {
			rs_run(s, x, n, y, k, k + step < s->m ? k + step : s->m);
			if (!wanted(p, loader))
				rc = failf(p, -ECANCELED, "cancelled");
		}
	}
	free(r8.h);
	free(r16.h);
	if (rc != 0) {
		free(y8);
		free(y16);
		return rc;
	}
	/* both versions cover the same time: whole 8 kHz samples */
	size_t n8 = r8.m;
	if (r16.m / 2 < n8)
		n8 = r16.m / 2;
	p->pub.samples8 = (uint32_t)n8;
	p->pub.pcm8 = y8;
	p->pub.pcm16 = y16;
	return 0;
}

/* Read p's samples from its file in steps, decode them, produce both rates. A file that no
 * longer has what the check saw (it shrank, a read error) fails here. */
static int
convert_file(struct ann_priv *p, bool loader)
{
	int16_t *x = malloc((p->n ? p->n : 1) * sizeof(*x));
	uint8_t *buf = malloc(READ_STEP);
	int rc = 0;
	if (x == NULL || buf == NULL)
		rc = failf(p, -ENOMEM, "out of memory");
	struct src s = { .fd = p->fd, .len = UINT64_MAX };
	size_t k = 0;
	for (uint64_t off = 0; rc == 0 && off < p->data_len;) {
		size_t want = p->data_len - off < READ_STEP ? (size_t)(p->data_len - off) :
							      READ_STEP;
		ssize_t got = src_read(&s, p->data_off + off, buf, want);
		if (got < 0)
			rc = failf(p, -EIO, "read error at byte %llu: %s",
				   (unsigned long long)(p->data_off + off), strerror((int)-got));
		else if ((size_t)got < want)
			rc = failf(p, -EIO, "data truncated: the file ends at byte %llu, its "
				   "checked data chunk at %llu",
				   (unsigned long long)(p->data_off + off + (uint64_t)got),
				   (unsigned long long)(p->data_off + p->data_len));
		else if (!wanted(p, loader))
			rc = failf(p, -ECANCELED, "cancelled");
		if (rc == 0) {
			k += decode(x + k, buf, want, p->fmt);
			off += want;
		}
	}
	free(buf);
	if (rc == 0)
		rc = produce(p, x, k, loader);
	free(x);
	return rc;
}

/* The end of a conversion: its state (release: the audio before it) and, for the log, a
 * record (the lock held). */
static void
finish(struct ann_priv *p, int rc, uint64_t t0)
{
	p->convert_ns = ns_now() - t0;
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	__atomic_store_n(&p->state, rc == 0 ? MXP_ANN_READY : MXP_ANN_FAILED, __ATOMIC_RELEASE);
	if (ld.ndone == DONE_KEEP) {
		memmove(ld.done, ld.done + 1, (DONE_KEEP - 1) * sizeof(ld.done[0]));
		ld.ndone--;
		ld.done_lost++;
	}
	info_of(p, &ld.done[ld.ndone++]);
}

/* ---- the loader ------------------------------------------------------------------------------ */

static void *
loader_main(void *arg)
{
	(void)arg;
	/* the lowest priority on the control core's CPU: the control core's own work first */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), LOADER_NICE) != 0) {
		/* not fatal: it then shares the CPU at the control core's priority */
	}
	sched_yield(); /* the thread that started it (the control core) goes on first */
	pthread_mutex_lock(&ld.mu);
	for (;;) {
		while (!ld.stop && (ld.hold || ld.head == NULL))
			pthread_cond_wait(&ld.work, &ld.mu);
		if (ld.stop)
			break;
		struct ann_priv *p = ld.head;
		ld.head = p->qnext;
		if (ld.head == NULL)
			ld.tail = NULL;
		p->qnext = NULL;
		ld.cur = p;
		__atomic_store_n(&p->state, MXP_ANN_CONVERTING, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&ld.mu);
		uint64_t t0 = ns_now();
		int rc = wanted(p, true) ? convert_file(p, true)
					 : failf(p, -ECANCELED, "cancelled");
		pthread_mutex_lock(&ld.mu);
		finish(p, rc, t0);
		/* the loader's reference: never the one that frees (the owner frees once the
		 * count reads zero, as for a worker's) */
		(void)mxp_announcement_put(&p->pub);
		ld.nq--;
		ld.cur = NULL;
		pthread_cond_broadcast(&ld.idle);
	}
	pthread_mutex_unlock(&ld.mu);
	return NULL;
}

/* Start the loader (the lock held): the caller's CPU affinity (the control core's). */
static int
loader_start(void)
{
	if (ld.running)
		return 0;
	cpu_set_t cpus;
	bool pin = pthread_getaffinity_np(pthread_self(), sizeof(cpus), &cpus) == 0;
	pthread_attr_t at;
	pthread_attr_init(&at);
	if (pin)
		pthread_attr_setaffinity_np(&at, sizeof(cpus), &cpus);
	int r = pthread_create(&ld.th, &at, loader_main, NULL);
	pthread_attr_destroy(&at);
	if (r != 0)
		return -EAGAIN;
	pthread_setname_np(ld.th, "mxp-annload");
	ld.running = true;
	ld.stop = false;
	return 0;
}

void
mxp_announcement_loader_stop(void)
{
	pthread_mutex_lock(&ld.mu);
	if (!ld.running) {
		pthread_mutex_unlock(&ld.mu);
		return;
	}
	ld.stop = true;
	for (struct ann_priv *p; (p = ld.head) != NULL;) {
		ld.head = p->qnext;
		p->qnext = NULL;
		failf(p, -ECANCELED, "the loader stopped");
		finish(p, -ECANCELED, ns_now());
		(void)mxp_announcement_put(&p->pub);
		ld.nq--;
	}
	ld.tail = NULL;
	if (ld.cur != NULL)
		__atomic_store_n(&ld.cur->cancel, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&ld.work);
	pthread_cond_broadcast(&ld.idle);
	pthread_t th = ld.th;
	pthread_mutex_unlock(&ld.mu);
	pthread_join(th, NULL);
	pthread_mutex_lock(&ld.mu);
	ld.running = false;
	ld.stop = false;
	pthread_mutex_unlock(&ld.mu);
}

static uint64_t inline_max = MXP_ANN_INLINE_WORK;

uint64_t
mxp_announcement_inline_max(uint64_t work)
{
	return __atomic_exchange_n(&inline_max, work, __ATOMIC_RELAXED);
}

void
mxp_announcement_loader_hold(bool hold)
{
	pthread_mutex_lock(&ld.mu);
	ld.hold = hold;
	pthread_cond_broadcast(&ld.work);
	pthread_mutex_unlock(&ld.mu);
}

unsigned int
mxp_announcement_loader_busy(void)
{
	pthread_mutex_lock(&ld.mu);
	unsigned int n = ld.nq;
	pthread_mutex_unlock(&ld.mu);
	return n;
}

int
mxp_announcement_loader_drain(unsigned int timeout_ms)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += timeout_ms / 1000;
	dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (dl.tv_nsec >= 1000000000) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000;
	}
	int rc = 0;
	pthread_mutex_lock(&ld.mu);
	while (ld.nq > 0 && rc == 0)
		if (pthread_cond_timedwait(&ld.idle, &ld.mu, &dl) == ETIMEDOUT)
			rc = ld.nq > 0 ? -ETIMEDOUT : 0;
	pthread_mutex_unlock(&ld.mu);
	return rc;
}

/* ---- the public calls ------------------------------------------------------------------------ */

/* Open and check a file: its descriptor (the caller's), size and header. */
static int
check_file(const char *path, int *fd, struct hdr *h, uint64_t *n, char *err, size_t errlen)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return fail(err, errlen, errno == ENOENT ? -ENOENT : -EIO, "%s: cannot open",
			    path);
	struct stat st;
	int rc = 0;
	if (fstat(*fd, &st) != 0 || !S_ISREG(st.st_mode))
		rc = fail(err, errlen, -EINVAL, "%s: not a regular file", path);
	/* the longest accepted: 10 minutes of 16-bit 48 kHz, plus headers */
	else if (st.st_size > (off_t)MAX_SECONDS * 48000 * 2 + 65536)
		rc = fail(err, errlen, -EFBIG, "%s: longer than 10 minutes", path);
	else
		rc = header(&(struct src){ .fd = *fd, .len = (uint64_t)st.st_size }, path, h, n,
			    err, errlen);
	if (rc != 0) {
		close(*fd);
		*fd = -1;
	}
	return rc;
}

/* The conversion of a file checked (its fd in p), now (the caller's thread). */
static int
convert_now(struct ann_priv *p, const char *path, char *err, size_t errlen)
{
	uint64_t t0 = ns_now();
	int rc = convert_file(p, false);
	pthread_mutex_lock(&ld.mu);
	p->convert_ns = ns_now() - t0;
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	__atomic_store_n(&p->state, rc == 0 ? MXP_ANN_READY : MXP_ANN_FAILED, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ld.mu);
	if (rc != 0) {
		if (err != NULL && errlen)
			snprintf(err, errlen, "%s: %s", path, p->error);
		mxp_announcement_free(&p->pub);
	}
	return rc;
}

int
mxp_announcement_load(const char *path, struct mxp_announcement **out, char *err, size_t errlen)
{
	*out = NULL;
	int fd;
	struct hdr h;
	uint64_t n;
	int rc = check_file(path, &fd, &h, &n, err, errlen);
	if (rc != 0)
		return rc;
	struct ann_priv *p = ann_new(path, &h, n);
	if (p == NULL) {
		close(fd);
		return -ENOMEM;
	}
	p->fd = fd;
	rc = convert_now(p, path, err, errlen);
	if (rc == 0)
		*out = &p->pub;
	return rc;
}

int
mxp_announcement_open(const char *path, struct mxp_announcement **out, char *err,
		      size_t errlen)
{
	*out = NULL;
	int fd;
	struct hdr h;
	uint64_t n;
	int rc = check_file(path, &fd, &h, &n, err, errlen);
	if (rc != 0)
		return rc;
	uint64_t work = rs_work((size_t)n, h.rate, 8000) + rs_work((size_t)n, h.rate, 16000);
	struct ann_priv *p = ann_new(path, &h, n);
	if (p == NULL) {
		close(fd);
		return -ENOMEM;
	}
	p->fd = fd;
	if (work < __atomic_load_n(&inline_max, __ATOMIC_RELAXED) ||
	    __atomic_load_n(&inline_max, __ATOMIC_RELAXED) == UINT64_MAX) {
		rc = convert_now(p, path, err, errlen);
		if (rc == 0)
			*out = &p->pub;
		return rc;
	}
	pthread_mutex_lock(&ld.mu);
	if (ld.nq >= MXP_ANN_MAX_QUEUED)
		rc = fail(err, errlen, -EBUSY, "%s: the announcement loader has too many "
			  "conversions queued", path);
	else if ((rc = loader_start()) != 0)
		fail(err, errlen, rc, "%s: cannot start the announcement loader", path);
	if (rc == 0) {
		p->pub.refs = 2; /* the caller's and the loader's */
		if (ld.tail != NULL)
			ld.tail->qnext = p;
		else
			ld.head = p;
		ld.tail = p;
		ld.nq++;
		pthread_cond_broadcast(&ld.work);
	}
	pthread_mutex_unlock(&ld.mu);
	if (rc != 0) {
		mxp_announcement_free(&p->pub);
		return rc;
	}
	*out = &p->pub;
	return 0;
}

int
mxp_announcement_parse(const uint8_t *b, size_t len, const char *path,
		       struct mxp_announcement **out, char *err, size_t errlen)
{
	*out = NULL;
	struct hdr h;
	uint64_t n;
	int rc = header(&(struct src){ .mem = b, .fd = -1, .len = len }, path, &h, &n, err,
			errlen);
	if (rc != 0)
		return rc;
	int16_t *x = malloc((n ? n : 1) * sizeof(*x));
	struct ann_priv *p = x != NULL ? ann_new(path, &h, n) : NULL;
	if (p == NULL) {
		free(x);
		return -ENOMEM;
	}
	decode(x, b + h.data_off, (size_t)h.data_len, h.fmt);
	uint64_t t0 = ns_now();
	rc = produce(p, x, (size_t)n, false);
	free(x);
	p->convert_ns = ns_now() - t0;
	__atomic_store_n(&p->state, rc == 0 ? MXP_ANN_READY : MXP_ANN_FAILED, __ATOMIC_RELEASE);
	if (rc != 0) {
		mxp_announcement_free(&p->pub);
		return rc;
	}
	*out = &p->pub;
	return 0;
}

enum mxp_ann_state
mxp_announcement_state(const struct mxp_announcement *a)
{
	return (enum mxp_ann_state)__atomic_load_n(&priv(a)->state, __ATOMIC_ACQUIRE);
}

const char *
mxp_announcement_error(const struct mxp_announcement *a)
{
	return mxp_announcement_state(a) == MXP_ANN_FAILED ? priv(a)->error : "";
}

unsigned int
mxp_announcement_list(struct mxp_announcement_info *out, unsigned int max)
{
	unsigned int n = 0;
	pthread_mutex_lock(&ld.mu);
	for (struct ann_priv *p = ld.reg; p != NULL; p = p->rnext, n++)
		if (n < max)
			info_of(p, &out[n]);
	pthread_mutex_unlock(&ld.mu);
	return n;
}

unsigned int
mxp_announcement_poll(struct mxp_announcement_info *out, unsigned int max, uint64_t *lost)
{
	pthread_mutex_lock(&ld.mu);
	unsigned int n = ld.ndone < max ? ld.ndone : max;
	memcpy(out, ld.done, n * sizeof(*out));
	memmove(ld.done, ld.done + n, (ld.ndone - n) * sizeof(ld.done[0]));
	ld.ndone -= n;
	if (lost != NULL)
		*lost = ld.done_lost;
	pthread_mutex_unlock(&ld.mu);
	return n;
}

void
mxp_announcement_get(struct mxp_announcement *a)
{
	__atomic_fetch_add(&a->refs, 1, __ATOMIC_RELAXED);
}

bool
mxp_announcement_put(struct mxp_announcement *a)
{
	return __atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0;
}

void
mxp_announcement_free(struct mxp_announcement *a)
{
	if (a == NULL)
		return;
	struct ann_priv *p = priv(a);
	pthread_mutex_lock(&ld.mu);
	/* normally nobody holds it any more, the loader included; a forced free (a system
	 * torn down) takes it back from the loader first */
	for (struct ann_priv **pp = &ld.head, *prev = NULL; *pp != NULL; prev = *pp,
	     pp = &(*pp)->qnext)
		if (*pp == p) {
			*pp = p->qnext;
			if (ld.tail == p)
				ld.tail = prev;
			ld.nq--;
			pthread_cond_broadcast(&ld.idle);
			break;
		}
	if (ld.cur == p) {
		__atomic_store_n(&p->cancel, 1, __ATOMIC_RELAXED);
		while (ld.cur == p)
			pthread_cond_wait(&ld.idle, &ld.mu);
	}
	if (p->rprev != NULL)
		p->rprev->rnext = p->rnext;
	else if (ld.reg == p)
		ld.reg = p->rnext;
	if (p->rnext != NULL)
		p->rnext->rprev = p->rprev;
	pthread_mutex_unlock(&ld.mu);
	if (p->fd >= 0)
		close(p->fd);
	free((void *)p->pub.pcm8);
	free((void *)p->pub.pcm16);
	free(p);
}
