/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet capture of a leg or a conference (mxp_conf_capture.h).
 *
 * Worker side: a conference whose ncap is non-zero has a capture of it or of one of its
 * legs; only then does a packet look further (conf_cap_pkt): the leg's LEG_CAPTURE bit and
 * the conference's cap. A captured frame is copied by rte_pcapng_copy() into a mbuf of the
 * capture pool (an enhanced packet block around the frame: interface = the DPDK port,
 * direction, queue = the worker) and enqueued on the capture's ring; a full ring or an
 * empty pool is counted, never waited for. The worker stops copying at the packet bound.
 *
 * Control side: mxp_conf_capture_poll() writes what the rings hold with
 * rte_pcapng_write_packets(), within the bounds, and ends captures. Starting and stopping
 * are commands to the conference's worker (CONF_CMD_CAPTURE), so the worker never sees a
 * capture being freed. A leg or conference that goes away takes its flags with it (its
 * memory is zeroed when reused); the poll notices it is gone and ends the capture.
 */
/* rte_pcapng is experimental in DPDK 22.11 (its ABI may change; the API is stable since) */
#define ALLOW_EXPERIMENTAL_API 1

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <rte_ring.h>

#include "conf_priv.h"
#include "mxp_conf_capture.h"

#define CAP_RING 8192      /* copies waiting for the control core, per capture */
#define CAP_POOL 8191      /* copies in flight, every capture together */
#define CAP_POOL_CACHE 64
#define CAP_ENDED_KEPT 16  /* ended captures show captures still lists */
#define CAP_SLOTS (MXP_CAPTURE_MAX_RUNNING + CAP_ENDED_KEPT)
#define CAP_WRITE_BURST 256

/* What the worker reads and writes (its counters on their own line). */
struct conf_cap {
	struct rte_ring *ring;
	struct rte_mempool *pool;
	uint32_t max_pkts;
	uint16_t port_id[MXP_CONF_MAX_PORTS];
	/* written by the worker only */
	uint64_t taken __rte_cache_aligned;  /* copies enqueued */
	uint64_t ring_full;
	uint64_t no_mbuf;
} __rte_cache_aligned;

struct conf_cap_args {
	struct mxp_conf *cf;
	struct mxp_leg *leg;                 /* NULL: the conference's capture (or a leg gone) */
	struct conf_cap *cap;
	bool on;
	bool leg_gone;                       /* off: the leg left already; only ncap moves */
};

/* A capture (control core). */
struct cap {
	uint32_t id;                         /* 0: a free slot */
	uint32_t leg_id, conf_id;
	uint8_t end;                         /* enum mxp_capture_end */
	bool stopping;                       /* ended, but its worker has not confirmed */
	int write_errno;
	int fd;
	rte_pcapng_t *pcapng;
	struct conf_cap *wc;
	uint32_t max_seconds, max_packets;
	uint64_t max_bytes;
	uint64_t packets, bytes, discarded;
	uint64_t start_ms, end_ms;
	uint64_t tsc0, ns0, hz;              /* wall clock (ns) at TSC tsc0; TSC frequency */
	uint64_t seq;                        /* start order, for the list */
	char path[MXP_CAPTURE_PATH_MAX];
};

struct conf_cap_sys {
	struct rte_mempool *pool;
	uint32_t next_id;
	uint64_t next_seq;
	struct cap c[CAP_SLOTS];
};

static const char *const end_names[] = {
	[MXP_CAPTURE_RUNNING] = "running",
	[MXP_CAPTURE_END_STOPPED] = "stopped",
	[MXP_CAPTURE_END_SECONDS] = "seconds",
	[MXP_CAPTURE_END_PACKETS] = "packets",
	[MXP_CAPTURE_END_BYTES] = "bytes",
	[MXP_CAPTURE_END_LEG_GONE] = "leg-removed",
	[MXP_CAPTURE_END_CONF_GONE] = "conference-removed",
	[MXP_CAPTURE_END_WRITE_ERROR] = "write-error",
	[MXP_CAPTURE_END_SHUTDOWN] = "shutdown",
};

const char *
mxp_capture_end_name(enum mxp_capture_end e)
{
	return (unsigned int)e < RTE_DIM(end_names) ? end_names[e] : "?";
}

/*
 * The enhanced packet block's timestamp (pcapng: interface units, here ns; high word
 * first, each in the file's byte order, which is the host's). DPDK 22.11's rte_pcapng
 * converts the TSC with one process-wide anchor it sets at its first conversion and moves
 * from whichever thread converts, and dates packets centuries ahead when a TSC value
 * precedes it: the worker stores the TSC here instead, and the control core converts it
 * with the capture's own anchor before writing.
 */
#define EPB_TS_HI 12
#define EPB_TS_LO 16

static inline void
epb_ts_set(struct rte_mbuf *m, uint64_t v)
{
	uint32_t hl[2] = { (uint32_t)(v >> 32), (uint32_t)v };
	memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, EPB_TS_HI), hl, sizeof(hl));
}

static inline uint64_t
epb_ts_get(const struct rte_mbuf *m)
{
	uint32_t hl[2];
	memcpy(hl, rte_pktmbuf_mtod_offset(m, const uint8_t *, EPB_TS_HI), sizeof(hl));
	return (uint64_t)hl[0] << 32 | hl[1];
}

/* ---- worker ---------------------------------------------------------------------------------- */

static void
cap_copy(struct mxp_conf_worker *w, struct conf_cap *c, const struct rte_mbuf *m,
	 uint16_t port_idx, bool out)
{
	if (c->taken >= c->max_pkts)
		return;
	uint64_t tsc = rte_get_tsc_cycles();
	struct rte_mbuf *cp = rte_pcapng_copy(c->port_id[port_idx % MXP_CONF_MAX_PORTS], w->idx, m,
					      c->pool, MXP_CAPTURE_SNAPLEN, tsc,
					      out ? RTE_PCAPNG_DIRECTION_OUT
						  : RTE_PCAPNG_DIRECTION_IN);
	if (unlikely(cp == NULL)) {
		c->no_mbuf++;
		return;
	}
	epb_ts_set(cp, tsc); /* the TSC; the control core makes it wall-clock time */
	if (unlikely(rte_ring_enqueue(c->ring, cp) != 0)) {
		c->ring_full++;
		rte_pktmbuf_free(cp);
		return;
	}
	c->taken++;
}

void
conf_cap_pkt(struct mxp_conf_worker *w, const struct mxp_leg *l, const struct rte_mbuf *m,
	     uint16_t port_idx, bool out)
{
	if (l->state & LEG_CAPTURE)
		cap_copy(w, l->cap, m, port_idx, out);
	if (l->conf->cap != NULL)
		cap_copy(w, l->conf->cap, m, port_idx, out);
}

void
conf_cmd_capture(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct conf_cap_args *a = c->u.cap;
	struct mxp_conf *cf = a->cf;
	(void)w;
	if (a->on) {
		if (a->leg != NULL) {
			a->leg->cap = a->cap;
			a->leg->state |= LEG_CAPTURE;
		} else {
			cf->cap = a->cap;
		}
		cf->ncap++;
	} else {
		if (a->leg != NULL) {
			a->leg->state &= (uint8_t)~LEG_CAPTURE;
			a->leg->cap = NULL;
		} else if (!a->leg_gone) {
			cf->cap = NULL;
		}
		if (cf->ncap)
			cf->ncap--;
	}
	c->result = 0;
}

/* ---- control core ------------------------------------------------------------------------------ */

static struct conf_cap_sys *
cap_sys(struct mxp_conf_sys *sys)
{
	if (sys->cap == NULL) {
		sys->cap = rte_zmalloc("mxp_cap_sys", sizeof(*sys->cap), 0);
		if (sys->cap != NULL)
			sys->cap->next_id = 1;
	}
	return sys->cap;
}

static struct rte_mempool *
cap_pool(struct mxp_conf_sys *sys, struct conf_cap_sys *cs)
{
	if (cs->pool == NULL) {
		char name[RTE_MEMPOOL_NAMESIZE];
		snprintf(name, sizeof(name), "mxp_cap_%" PRIxPTR, (uintptr_t)sys & 0xffffffu);
		cs->pool = rte_pktmbuf_pool_create(name, CAP_POOL, CAP_POOL_CACHE, 0,
						   (uint16_t)rte_pcapng_mbuf_size(MXP_CAPTURE_SNAPLEN),
						   SOCKET_ID_ANY);
	}
	return cs->pool;
}

static bool
cap_running(const struct cap *k)
{
	return k->id != 0 && k->end == MXP_CAPTURE_RUNNING;
}

/* Post the start or stop of a capture to its conference's worker. */
static int
cap_post(struct mxp_conf_sys *sys, struct mxp_conf_ctl *cc, struct conf_cap_args *a)
{
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_CAPTURE);
	if (c == NULL)
		return -ENOMEM;
	c->u.cap = a;
	int r = conf_post(sys, cc->worker, c);
	conf_cmd_put(c);
	return r;
}

/* Write what the ring holds, within the bounds (a bound or a write error reached sets
 * k->end; what comes after is discarded and counted). */
static void
cap_write(struct cap *k)
{
	struct rte_mbuf *m[CAP_WRITE_BURST];
	unsigned int n;
	while ((n = rte_ring_dequeue_burst(k->wc->ring, (void **)m, RTE_DIM(m), NULL)) > 0) {
		unsigned int ok = 0;
		uint64_t add = 0;
		if (k->end == MXP_CAPTURE_RUNNING || k->stopping) {
			while (ok < n && k->end != MXP_CAPTURE_END_WRITE_ERROR) {
				uint64_t len = rte_pktmbuf_pkt_len(m[ok]);
				if (k->packets + ok >= k->max_packets) {
					if (k->end == MXP_CAPTURE_RUNNING)
						k->end = MXP_CAPTURE_END_PACKETS;
					break;
				}
				if (k->bytes + add + len > k->max_bytes) {
					if (k->end == MXP_CAPTURE_RUNNING)
						k->end = MXP_CAPTURE_END_BYTES;
					break;
				}
				add += len;
				ok++;
			}
		}
		for (unsigned int i = 0; i < ok; i++) {
			uint64_t t = epb_ts_get(m[i]);
			int64_t d = (int64_t)(t - k->tsc0); /* a worker's TSC may trail ours a bit */
			uint64_t ns = d >= 0 ? k->ns0 + (uint64_t)((unsigned __int128)d * 1000000000u /
								    k->hz)
					     : k->ns0 - (uint64_t)((unsigned __int128)-d * 1000000000u /
								    k->hz);
			epb_ts_set(m[i], ns);
		}
		if (ok > 0) {
			ssize_t wr = rte_pcapng_write_packets(k->pcapng, m, (uint16_t)ok);
			if (wr < 0 || (uint64_t)wr != add) {
				k->write_errno = wr < 0 ? (errno ? errno : EIO) : ENOSPC;
				k->end = MXP_CAPTURE_END_WRITE_ERROR;
				if (wr > 0)
					k->bytes += (uint64_t)wr;
			} else {
				k->packets += ok;
				k->bytes += add;
				if (k->packets >= k->max_packets && k->end == MXP_CAPTURE_RUNNING)
					k->end = MXP_CAPTURE_END_PACKETS;
			}
		}
		k->discarded += n - ok;
		rte_pktmbuf_free_bulk(m, n);
	}
}

/*
 * End a capture with a reason: its worker stops copying (a command, unless its target is
 * gone), then what it copied is written and the file closed. Returns 0, or the command's
 * error (the capture stays 'stopping' and the poll retries).
 */
static int
cap_finish(struct mxp_conf_sys *sys, struct cap *k, enum mxp_capture_end why)
{
	if (k->end == MXP_CAPTURE_RUNNING) {
		k->end = (uint8_t)why;
		k->end_ms = mxp_clock_ms();
	}
	k->stopping = true;
	struct mxp_conf_ctl *cc = conf_find(sys, k->conf_id);
	if (cc != NULL) {
		struct conf_cap_args a = { .cf = cc->conf, .cap = k->wc, .on = false };
		if (k->leg_id != 0) {
			struct mxp_leg_ctl *lc = conf_find_leg(sys, k->leg_id);
			if (lc != NULL && lc->leg->cap == k->wc)
				a.leg = lc->leg;
			else
				a.leg_gone = true;
		}
		int r = cap_post(sys, cc, &a);
		if (r != 0)
			return r;
	}
	cap_write(k); /* the last copies, within the bounds */
	k->stopping = false;
	rte_pcapng_close(k->pcapng); /* closes fd */
	k->pcapng = NULL;
	k->fd = -1;
	struct rte_mbuf *m;
	while (rte_ring_dequeue(k->wc->ring, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	/* the worker's counters stay readable: keep them in the slot's copy */
	rte_ring_free(k->wc->ring);
	k->wc->ring = NULL;
	return 0;
}

static struct cap *
cap_slot(struct conf_cap_sys *cs)
{
	struct cap *free_slot = NULL, *oldest = NULL;
	for (unsigned int i = 0; i < CAP_SLOTS; i++) {
		struct cap *k = &cs->c[i];
		if (k->id == 0) {
			free_slot = k;
			break;
		}
		if (!cap_running(k) && !k->stopping && (oldest == NULL || k->seq < oldest->seq))
			oldest = k;
	}
	if (free_slot != NULL)
		return free_slot;
	if (oldest != NULL) {
		rte_free(oldest->wc);
		memset(oldest, 0, sizeof(*oldest));
	}
	return oldest;
}

static int
cap_start(struct mxp_conf_sys *sys, const struct mxp_conf_capture_params *p, uint32_t *id,
	  bool *fd_taken, char *err, size_t errlen)
{
	if (sys == NULL || p == NULL || id == NULL)
		return conf_errf(err, errlen, -EINVAL, "no parameters");
	if ((p->leg_id == 0) == (p->conf_id == 0))
		return conf_errf(err, errlen, -EINVAL, "capture: give a leg or a conference");
	if (p->max_seconds < 1 || p->max_seconds > MXP_CAPTURE_MAX_SECONDS)
		return conf_errf(err, errlen, -EINVAL, "seconds %u: expected 1..%u", p->max_seconds,
				 MXP_CAPTURE_MAX_SECONDS);
	if (p->max_packets < 1 || p->max_packets > MXP_CAPTURE_MAX_PACKETS)
		return conf_errf(err, errlen, -EINVAL, "packets %u: expected 1..%u", p->max_packets,
				 MXP_CAPTURE_MAX_PACKETS);
	if (p->max_bytes < MXP_CAPTURE_MIN_BYTES || p->max_bytes > MXP_CAPTURE_MAX_BYTES)
		return conf_errf(err, errlen, -EINVAL, "bytes %" PRIu64 ": expected %u..%llu",
				 p->max_bytes, MXP_CAPTURE_MIN_BYTES, MXP_CAPTURE_MAX_BYTES);
	if (p->nb_ports == 0 || p->nb_ports > MXP_CONF_MAX_PORTS || p->fd < 0)
		return conf_errf(err, errlen, -EINVAL, "capture: no ports or no file");

	struct mxp_conf_ctl *cc;
	struct mxp_leg *leg = NULL;
	if (p->leg_id != 0) {
		struct mxp_leg_ctl *lc = conf_find_leg(sys, p->leg_id);
		if (lc == NULL)
			return conf_errf(err, errlen, -ENOENT, "no leg %u", p->leg_id);
		leg = lc->leg;
		cc = lc->conf;
	} else {
		cc = conf_find(sys, p->conf_id);
		if (cc == NULL)
			return conf_errf(err, errlen, -ENOENT, "no conference %u", p->conf_id);
	}
	struct conf_cap_sys *cs = cap_sys(sys);
	if (cs == NULL)
		return conf_errf(err, errlen, -ENOMEM, "capture: out of memory");
	unsigned int running = 0;
	for (unsigned int i = 0; i < CAP_SLOTS; i++) {
		const struct cap *k = &cs->c[i];
		if (!cap_running(k) && !k->stopping)
			continue;
		running++;
		if (k->leg_id == p->leg_id && k->conf_id == cc->conf->id)
			return conf_errf(err, errlen, -EBUSY, "%s %u is being captured already "
					 "(capture %u)", p->leg_id ? "leg" : "conference",
					 p->leg_id ? p->leg_id : p->conf_id, k->id);
	}
	if (running >= MXP_CAPTURE_MAX_RUNNING)
		return conf_errf(err, errlen, -EBUSY,
				 "%u captures are running already (the most): stop one first",
				 running);
	if (cap_pool(sys, cs) == NULL)
		return conf_errf(err, errlen, -ENOMEM,
				 "capture: cannot create its mbuf pool (%u mbufs): out of memory",
				 CAP_POOL);
	struct cap *k = cap_slot(cs);
	if (k == NULL)
		return conf_errf(err, errlen, -EBUSY, "capture: no free slot");
	struct conf_cap *wc = rte_zmalloc("mxp_cap", sizeof(*wc), RTE_CACHE_LINE_SIZE);
	if (wc == NULL)
		return conf_errf(err, errlen, -ENOMEM, "capture: out of memory");
	uint32_t cid = cs->next_id;
	char rn[RTE_RING_NAMESIZE];
	snprintf(rn, sizeof(rn), "mxp_cap_%" PRIxPTR "_%u", (uintptr_t)sys & 0xffffu, cid);
	wc->ring = rte_ring_create(rn, CAP_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (wc->ring == NULL) {
		rte_free(wc);
		return conf_errf(err, errlen, -ENOMEM, "capture: cannot create its ring");
	}
	wc->pool = cs->pool;
	wc->max_pkts = p->max_packets;
	for (uint16_t i = 0; i < MXP_CONF_MAX_PORTS; i++)
		wc->port_id[i] = p->port_id[i < p->nb_ports ? i : 0];

	/* The file: emptied (an overwrite), then the section and interface blocks. */
	char comment[96];
	if (leg != NULL)
		snprintf(comment, sizeof(comment), "mixplane capture of leg %u (conference %u)",
			 p->leg_id, cc->conf->id);
	else
		snprintf(comment, sizeof(comment), "mixplane capture of conference %u",
			 p->conf_id);
	rte_pcapng_t *pc = NULL;
	if (ftruncate(p->fd, 0) == 0 && lseek(p->fd, 0, SEEK_SET) == 0)
		pc = rte_pcapng_fdopen(p->fd, NULL, NULL, "mixplane", comment);
	if (pc == NULL) {
		int e = errno;
		rte_ring_free(wc->ring);
		rte_free(wc);
		return conf_errf(err, errlen, -EIO, "capture: cannot write the file header: %s",
				 strerror(e ? e : EIO));
	}
	*fd_taken = true;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t tsc0 = rte_get_tsc_cycles();
	struct stat st;
	uint64_t hdr_bytes = fstat(p->fd, &st) == 0 ? (uint64_t)st.st_size : 0;

	struct conf_cap_args a = { .cf = cc->conf, .leg = leg, .cap = wc, .on = true };
	int r = cap_post(sys, cc, &a);
	if (r != 0) {
		rte_pcapng_close(pc); /* closes fd */
		rte_ring_free(wc->ring);
		rte_free(wc);
		return conf_errf(err, errlen, r, "worker %u did not answer", cc->worker);
	}
	*k = (struct cap){ .id = cid, .leg_id = p->leg_id, .conf_id = cc->conf->id,
			   .fd = p->fd, .pcapng = pc, .wc = wc, .max_seconds = p->max_seconds,
			   .max_packets = p->max_packets, .max_bytes = p->max_bytes,
			   .bytes = hdr_bytes, .start_ms = mxp_clock_ms(), .seq = cs->next_seq++,
			   .tsc0 = tsc0, .hz = rte_get_tsc_hz() ? rte_get_tsc_hz() : 1,
			   .ns0 = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec };
	snprintf(k->path, sizeof(k->path), "%s", p->path ? p->path : "");
	cs->next_id = cid + 1 ? cid + 1 : 1;
	*id = cid;
	return 0;
}

int
mxp_conf_capture_start(struct mxp_conf_sys *sys, const struct mxp_conf_capture_params *p,
		       uint32_t *id, char *err, size_t errlen)
{
	bool taken = false;
	int r = cap_start(sys, p, id, &taken, err, errlen);
	if (r != 0 && !taken && p != NULL && p->fd >= 0)
		close(p->fd);
	return r;
}

int
mxp_conf_capture_stop(struct mxp_conf_sys *sys, uint32_t id, char *err, size_t errlen)
{
	struct conf_cap_sys *cs = sys->cap;
	bool found = false;
	int rc = 0;
	for (unsigned int i = 0; cs != NULL && i < CAP_SLOTS; i++) {
		struct cap *k = &cs->c[i];
		if (k->id == 0 || (id != 0 && k->id != id))
			continue;
		found = true;
		if (!cap_running(k) && !k->stopping) {
			if (id != 0)
				return conf_errf(err, errlen, -EALREADY, "capture %u ended already (%s)",
						 id, mxp_capture_end_name(k->end));
			continue;
		}
		int r = cap_finish(sys, k, MXP_CAPTURE_END_STOPPED);
		if (r != 0 && rc == 0)
			rc = conf_errf(err, errlen, r, "capture %u: the worker did not answer "
					"(it is retried)", k->id);
	}
	if (!found && id != 0)
		return conf_errf(err, errlen, -ENOENT, "no capture %u", id);
	return rc;
}

void
mxp_conf_capture_poll(struct mxp_conf_sys *sys)
{
	struct conf_cap_sys *cs = sys->cap;
	if (cs == NULL)
		return;
	uint64_t now = mxp_clock_ms();
	for (unsigned int i = 0; i < CAP_SLOTS; i++) {
		struct cap *k = &cs->c[i];
		if (k->stopping) {
			cap_finish(sys, k, (enum mxp_capture_end)k->end);
			continue;
		}
		if (!cap_running(k))
			continue;
		cap_write(k);
		enum mxp_capture_end why = (enum mxp_capture_end)k->end;
		if (why == MXP_CAPTURE_RUNNING) {
			if (conf_find(sys, k->conf_id) == NULL)
				why = MXP_CAPTURE_END_CONF_GONE;
			else if (k->leg_id != 0 && conf_find_leg(sys, k->leg_id) == NULL)
				why = MXP_CAPTURE_END_LEG_GONE;
			else if (now - k->start_ms >= (uint64_t)k->max_seconds * 1000)
				why = MXP_CAPTURE_END_SECONDS;
		}
		if (why != MXP_CAPTURE_RUNNING) {
			k->end = MXP_CAPTURE_RUNNING; /* cap_finish() records why and when */
			cap_finish(sys, k, why);
		}
	}
}

unsigned int
mxp_conf_capture_list(struct mxp_conf_sys *sys, struct mxp_conf_capture_info *out,
		      unsigned int max)
{
	struct conf_cap_sys *cs = sys->cap;
	if (cs == NULL)
		return 0;
	const struct cap *order[CAP_SLOTS];
	unsigned int n = 0;
	for (unsigned int i = 0; i < CAP_SLOTS; i++)
		if (cs->c[i].id != 0)
			order[n++] = &cs->c[i];
	for (unsigned int i = 1; i < n; i++) /* by start, oldest first */
		for (unsigned int j = i; j > 0 && order[j - 1]->seq > order[j]->seq; j--) {
			const struct cap *t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	uint64_t now = mxp_clock_ms();
	unsigned int k = 0;
	for (; k < n && k < max; k++) {
		const struct cap *c = order[k];
		struct mxp_conf_capture_info *o = &out[k];
		memset(o, 0, sizeof(*o));
		o->id = c->id;
		o->leg_id = c->leg_id;
		o->conf_id = c->conf_id;
		o->end = c->end;
		o->write_errno = c->write_errno;
		snprintf(o->path, sizeof(o->path), "%s", c->path);
		o->max_seconds = c->max_seconds;
		o->max_packets = c->max_packets;
		o->max_bytes = c->max_bytes;
		o->packets = c->packets;
		o->bytes = c->bytes;
		o->discarded = c->discarded;
		o->ring_full = __atomic_load_n(&c->wc->ring_full, __ATOMIC_RELAXED);
		o->no_mbuf = __atomic_load_n(&c->wc->no_mbuf, __ATOMIC_RELAXED);
		o->elapsed_ms = (c->end == MXP_CAPTURE_RUNNING ? now : c->end_ms) - c->start_ms;
	}
	return k;
}

void
conf_capture_sys_free(struct mxp_conf_sys *sys)
{
	struct conf_cap_sys *cs = sys->cap;
	if (cs == NULL)
		return;
	for (unsigned int i = 0; i < CAP_SLOTS; i++) {
		struct cap *k = &cs->c[i];
		if (cap_running(k) || k->stopping) {
			/* workers are stopped: the command runs here */
			bool inl = sys->p.inline_workers;
			sys->p.inline_workers = true;
			cap_finish(sys, k, MXP_CAPTURE_END_SHUTDOWN);
			sys->p.inline_workers = inl;
		}
		rte_free(k->wc);
	}
	rte_mempool_free(cs->pool);
	rte_free(cs);
	sys->cap = NULL;
}
