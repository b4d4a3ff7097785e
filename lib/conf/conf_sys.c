/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The conference system: creation and teardown, the workers' attach/poll/detach, the
 * control -> worker commands, RCU, and the small object pools.
 *
 * Every control operation validates and allocates everything first, then posts one command
 * to the owner worker and waits for it, so a failure changes nothing. Structure (lists,
 * arrays, pointers) is changed only by workers inside commands; the control core reads it
 * only when no command is in flight, which is always the case outside conf_post().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_pause.h>

#include "conf_priv.h"

static uint64_t tsc_hz;

uint64_t
mxp_conf_tsc_hz(void)
{
	return tsc_hz;
}

int
conf_errf(char *err, size_t len, int code, const char *fmt, ...)
{
	if (err && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* ---- pools ------------------------------------------------------------------------------------ */

#define POOL_CHUNK 64 /* objects per chunk */

void
conf_pool_init(struct conf_pool *p, const char *name, size_t size)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->size = (size + RTE_CACHE_LINE_SIZE - 1) & ~(size_t)(RTE_CACHE_LINE_SIZE - 1);
}

void *
conf_pool_get(struct conf_pool *p)
{
	if (p->free == NULL) {
		if (p->nchunks == p->cap_chunks) {
			uint32_t cap = p->cap_chunks ? 2 * p->cap_chunks : 16;
			void **c = rte_realloc(p->chunks, cap * sizeof(*c), 0);
			if (c == NULL)
				return NULL;
			p->chunks = c;
			p->cap_chunks = cap;
		}
		uint8_t *chunk = rte_zmalloc(p->name, p->size * POOL_CHUNK, RTE_CACHE_LINE_SIZE);
		if (chunk == NULL)
			return NULL;
		p->chunks[p->nchunks++] = chunk;
		for (int i = POOL_CHUNK - 1; i >= 0; i--) {
			void *o = chunk + (size_t)i * p->size;
			*(void **)o = p->free;
			p->free = o;
		}
	}
	void *o = p->free;
	p->free = *(void **)o;
	memset(o, 0, p->size);
	p->used++;
	return o;
}

void
conf_pool_put(struct conf_pool *p, void *obj)
{
	if (obj == NULL)
		return;
	explicit_bzero(obj, p->size); /* objects may hold keys or addresses */
	*(void **)obj = p->free;
	p->free = obj;
	p->used--;
}

uint64_t
conf_pool_bytes(const struct conf_pool *p)
{
	return (uint64_t)p->nchunks * POOL_CHUNK * p->size;
}

void
conf_pool_fini(struct conf_pool *p)
{
	for (uint32_t i = 0; i < p->nchunks; i++) {
		explicit_bzero(p->chunks[i], p->size * POOL_CHUNK);
		rte_free(p->chunks[i]);
	}
	rte_free(p->chunks);
	memset(p, 0, sizeof(*p));
}

/* ---- the system ------------------------------------------------------------------------------- */

struct mxp_conf_sys *
mxp_conf_sys_create(const struct mxp_conf_sys_params *p, char *err, size_t errlen)
{
	if (p->nb_workers == 0 || p->nb_workers > MXP_CONF_MAX_WORKERS || p->pool == NULL ||
	    p->hdr_pool == NULL || p->port_min == 0 || p->port_max <= p->port_min ||
	    p->nb_addrs > MXP_CONF_MAX_PORTS * 2) {
		conf_errf(err, errlen, -EINVAL, "conference system: bad parameters");
		return NULL;
	}
	/* a port has at most one address per family: a packet's port and family find it */
	for (uint16_t i = 0; i < p->nb_addrs; i++) {
		if (p->addrs[i].port_idx >= MXP_CONF_MAX_PORTS) {
			conf_errf(err, errlen, -EINVAL, "address %u: port %u, the most is %u", i,
				  p->addrs[i].port_idx, MXP_CONF_MAX_PORTS - 1);
			return NULL;
		}
		for (uint16_t j = 0; j < i; j++)
			if (p->addrs[j].port_idx == p->addrs[i].port_idx &&
			    p->addrs[j].ip.af == p->addrs[i].ip.af) {
				conf_errf(err, errlen, -EINVAL,
					  "addresses %u and %u: two IPv%c addresses on port %u", j, i,
					  p->addrs[i].ip.af == AF_INET6 ? '6' : '4', p->addrs[i].port_idx);
				return NULL;
			}
	}
	tsc_hz = rte_get_tsc_hz();
	conf_rtcp_clock_init();
	struct mxp_conf_sys *sys = rte_zmalloc("mxp_conf_sys", sizeof(*sys), RTE_CACHE_LINE_SIZE);
	if (sys == NULL)
		goto nomem;
	sys->p = *p;
	sys->next_conf_id = sys->next_leg_id = sys->next_kg_id = 1;
	conf_pool_init(&sys->leg_pool, "mxp_legs", sizeof(struct mxp_leg));
	conf_pool_init(&sys->lc_pool, "mxp_leg_ctls", sizeof(struct mxp_leg_ctl));
	/* an output stream and its SRTP stream (outbound, the smallest window: it only guards
	 * against reusing an index) in one object */
	conf_pool_init(&sys->os_pool, "mxp_ostreams",
		       sizeof(struct mxp_ostream) +
			       mxp_srtp_stream_size_dir(MXP_SRTP_REPLAY_WINDOW_MIN,
							MXP_SRTP_OUTBOUND));
	conf_pool_init(&sys->kg_pool, "mxp_keygroups", sizeof(struct mxp_keygroup));
	conf_pool_init(&sys->conf_pool, "mxp_confs", sizeof(struct mxp_conf));
	memset(sys->addr_by_port, -1, sizeof(sys->addr_by_port));
	for (uint16_t i = 0; i < p->nb_addrs; i++) {
		sys->addr[i].a = p->addrs[i];
		conf_rtcp_cname_init(&sys->addr[i]);
		sys->addr[i].table = rte_zmalloc("mxp_conf_table", 65536 * sizeof(uintptr_t),
						 RTE_CACHE_LINE_SIZE);
		sys->addr[i].next = p->port_min & ~1u;
		sys->addr_by_port[p->addrs[i].port_idx][p->addrs[i].ip.af == AF_INET6] = (int8_t)i;
		if (sys->addr[i].table == NULL)
			goto nomem;
	}
	size_t rsz = rte_rcu_qsbr_get_memsize(p->nb_workers);
	sys->rcu = rte_zmalloc("mxp_conf_rcu", rsz, RTE_CACHE_LINE_SIZE);
	if (sys->rcu == NULL || rte_rcu_qsbr_init(sys->rcu, p->nb_workers) != 0)
		goto nomem;
	static unsigned int instance;
	char name[RTE_HASH_NAMESIZE];
	unsigned int inst = __atomic_fetch_add(&instance, 1, __ATOMIC_RELAXED);
	struct rte_hash_parameters hp = { .entries = 1 << 16, .key_len = sizeof(uint32_t),
					  .hash_func = rte_hash_crc, .socket_id = SOCKET_ID_ANY };
	snprintf(name, sizeof(name), "mxp_confs%u", inst);
	hp.name = name;
	/* extendable buckets: a create fails only when the table holds CONF_MAX_CONFS (without,
	 * a full bucket refused a new id near the bound even after a destroy freed a slot) */
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	sys->confs = rte_hash_create(&hp);
	hp.extra_flag = 0;
	snprintf(name, sizeof(name), "mxp_legs%u", inst);
	hp.entries = 1 << 18;
	sys->legs = rte_hash_create(&hp);
	snprintf(name, sizeof(name), "mxp_ssrcs%u", inst);
	hp.entries = 1 << 20;
	hp.key_len = 12; /* struct ssrc_key: master key id, SSRC */
	sys->ssrcs = rte_hash_create(&hp);
	if (sys->confs == NULL || sys->legs == NULL || sys->ssrcs == NULL)
		goto nomem;
	for (uint16_t i = 0; i < p->nb_workers; i++) {
		struct mxp_conf_worker *w = rte_zmalloc("mxp_conf_worker", sizeof(*w),
							 RTE_CACHE_LINE_SIZE);
		if (w == NULL)
			goto nomem;
		sys->w[i] = w;
		w->sys = sys;
		w->idx = i;
		TAILQ_INIT(&w->confs);
		w->mix_heap = rte_zmalloc("mxp_mix_heap", sizeof(*w->mix_heap) * CONF_MAX_CONFS,
					  RTE_CACHE_LINE_SIZE);
		if (w->mix_heap == NULL)
			goto nomem;
		snprintf(name, sizeof(name), "mxp_cmd%u_%u", inst, i);
		w->cmd_ring = rte_ring_create(name, 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "mxp_hoff%u_%u", inst, i);
		w->handoff = rte_ring_create(name, 4096, SOCKET_ID_ANY, RING_F_SC_DEQ);
		if (w->cmd_ring == NULL || w->handoff == NULL)
			goto nomem;
	}
	return sys;
nomem:
	conf_errf(err, errlen, -ENOMEM, "conference system: out of memory (%s)",
		  rte_strerror(rte_errno));
	mxp_conf_sys_destroy(sys);
	return NULL;
}

void
mxp_conf_sys_destroy(struct mxp_conf_sys *sys)
{
	if (sys == NULL)
		return;
	conf_capture_sys_free(sys); /* files closed before their targets go */
	if (sys->confs) {
		uint32_t ids[256];
		uint32_t n, before = UINT32_MAX;
		/* Workers are stopped: commands run inline (and cannot fail but for memory:
		 * stop if a round removes nothing). */
		sys->p.inline_workers = true;
		conf_rec_sys_free(sys); /* every recording ends as a valid file */
		while ((n = mxp_conf_list(sys, ids, RTE_DIM(ids))) > 0 && n < before) {
			uint32_t m = n < RTE_DIM(ids) ? n : RTE_DIM(ids);
			for (uint32_t i = 0; i < m; i++)
				mxp_conf_destroy(sys, ids[i], NULL, 0);
			before = n;
		}
	}
	for (uint16_t i = 0; i < MXP_CONF_MAX_WORKERS; i++) {
		struct mxp_conf_worker *w = sys->w[i];
		if (w == NULL)
			continue;
		if (w->cmd_ring) {
			/* commands whose posters gave up while the worker stalled */
			struct mxp_conf_cmd *c;
			while (rte_ring_dequeue(w->cmd_ring, (void **)&c) == 0)
				conf_cmd_take(w, c);
		}
		if (w->handoff) {
			struct rte_mbuf *m;
			while (rte_ring_dequeue(w->handoff, (void **)&m) == 0)
				rte_pktmbuf_free(m);
		}
		rte_ring_free(w->cmd_ring);
		rte_ring_free(w->handoff);
		rte_free(w->mix_heap);
		rte_free(w);
	}
	conf_signal_sys_free(sys);
	for (uint16_t i = 0; i < MXP_CONF_MAX_PORTS * 2; i++)
		rte_free(sys->addr[i].table);
	rte_hash_free(sys->confs);
	rte_hash_free(sys->legs);
	rte_hash_free(sys->ssrcs);
	rte_free(sys->rcu);
	conf_pool_fini(&sys->leg_pool);
	conf_pool_fini(&sys->lc_pool);
	for (unsigned int i = 0; i < CONF_KSET_MAX; i++)
		conf_pool_fini(&sys->kset_pool[i]);
	conf_pool_fini(&sys->os_pool);
	conf_pool_fini(&sys->kg_pool);
	conf_pool_fini(&sys->conf_pool);
	rte_free(sys);
}

struct mxp_conf_ctl *
conf_find(struct mxp_conf_sys *sys, uint32_t id)
{
	void *d;
	return rte_hash_lookup_data(sys->confs, &id, &d) >= 0 ? d : NULL;
}

struct mxp_leg_ctl *
conf_find_leg(struct mxp_conf_sys *sys, uint32_t id)
{
	void *d;
	return rte_hash_lookup_data(sys->legs, &id, &d) >= 0 ? d : NULL;
}

void
conf_rcu_sync(struct mxp_conf_sys *sys)
{
	if (sys->p.inline_workers)
		return;
	rte_rcu_qsbr_synchronize(sys->rcu, RTE_QSBR_THRID_INVALID);
}

/* ---- commands --------------------------------------------------------------------------------- */

struct mxp_conf_cmd *
conf_cmd_new(enum conf_cmd_type type)
{
	struct mxp_conf_cmd *c = rte_zmalloc("mxp_conf_cmd", sizeof(*c), 0);
	if (c == NULL)
		return NULL;
	c->type = type;
	c->state = CONF_CMD_POSTED;
	c->refs = 1;
	return c;
}

void
conf_cmd_put(struct mxp_conf_cmd *c)
{
	if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		explicit_bzero(c, sizeof(*c)); /* a modification may carry keys */
		rte_free(c);
	}
}

static void
conf_cmd_exec(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	switch (c->type) {
	case CONF_CMD_CONF_ADD: conf_cmd_conf_add(w, c); break;
	case CONF_CMD_CONF_DEL: conf_cmd_conf_del(w, c); break;
	case CONF_CMD_FLOOR: conf_cmd_floor(w, c); break;
	case CONF_CMD_TOPN: conf_cmd_topn(w, c); break;
	case CONF_CMD_LEG_ADD: conf_cmd_leg_add(w, c); break;
	case CONF_CMD_LEG_DEL: conf_cmd_leg_del(w, c); break;
	case CONF_CMD_LEG_MOD: conf_cmd_leg_mod(w, c); break;
	case CONF_CMD_SIGNAL: conf_cmd_signal(w, c); break;
	case CONF_CMD_RECORD: conf_cmd_record(w, c); break;
	case CONF_CMD_CAPTURE: conf_cmd_capture(w, c); break;
	}
}

void
conf_cmd_take(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	uint32_t posted = CONF_CMD_POSTED;
	if (__atomic_load_n(&w->unresponsive, __ATOMIC_RELAXED))
		__atomic_store_n(&w->unresponsive, 0, __ATOMIC_RELEASE); /* running again */
	if (__atomic_compare_exchange_n(&c->state, &posted, CONF_CMD_RUNNING, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		conf_cmd_exec(w, c);
		w->cmds_run++;
		__atomic_store_n(&c->state, CONF_CMD_DONE, __ATOMIC_RELEASE);
	} else {
		w->cmds_abandoned++; /* the poster gave up and undid its side */
	}
	conf_cmd_put(c);
}

int
conf_post(struct mxp_conf_sys *sys, uint16_t worker, struct mxp_conf_cmd *c)
{
	struct mxp_conf_worker *w = sys->w[worker];
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED); /* the worker's reference */
	if (sys->p.inline_workers || !__atomic_load_n(&w->attached, __ATOMIC_ACQUIRE)) {
		/* No thread polls this worker (tests, start-up, shutdown): run it here. */
		conf_cmd_take(w, c);
		return 0;
	}
	if (rte_ring_enqueue(w->cmd_ring, c) != 0) {
		__atomic_sub_fetch(&c->refs, 1, __ATOMIC_RELAXED);
		return -EBUSY;
	}
	/* A worker runs commands between bursts, within microseconds: spin briefly, then
	 * sleep in short naps so a busy control core does not starve its neighbours. */
	uint32_t timeout = sys->p.cmd_timeout_ms ? sys->p.cmd_timeout_ms : CONF_CMD_TIMEOUT_MS;
	uint64_t start = mxp_clock_ms();
	for (unsigned int spins = 0;
	     __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != CONF_CMD_DONE; spins++) {
		if (spins < 20000) {
			rte_pause();
			continue;
		}
		if (mxp_clock_ms() - start > timeout) {
			/* Withdraw it, unless the worker is running it right now (then it
			 * finishes within microseconds: keep waiting). */
			uint32_t posted = CONF_CMD_POSTED;
			if (__atomic_compare_exchange_n(&c->state, &posted, CONF_CMD_ABANDONED, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
				__atomic_store_n(&w->unresponsive, 1, __ATOMIC_RELEASE);
				return -ETIMEDOUT;
			}
		}
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* ---- workers ---------------------------------------------------------------------------------- */

struct mxp_conf_worker *
mxp_conf_worker_attach(struct mxp_conf_sys *sys, uint16_t idx, const struct mxp_conf_io *io,
		       void *io_arg, uint64_t *drops)
{
	if (idx >= sys->p.nb_workers)
		return NULL;
	struct mxp_conf_worker *w = sys->w[idx];
	w->io = *io;
	w->io_arg = io_arg;
	w->drops = drops;
	mxp_srtp_thread_init();
	if (!sys->p.inline_workers) {
		rte_rcu_qsbr_thread_register(sys->rcu, idx);
		rte_rcu_qsbr_thread_online(sys->rcu, idx);
	}
	w->next_tick_tsc = rte_rdtsc();
	__atomic_store_n(&w->attached, true, __ATOMIC_RELEASE);
	return w;
}

void
mxp_conf_worker_detach(struct mxp_conf_worker *w)
{
	if (w == NULL)
		return;
	mxp_conf_flush(w);
	/* Run what the control core may still have posted. */
	struct mxp_conf_cmd *c;
	while (rte_ring_dequeue(w->cmd_ring, (void **)&c) == 0)
		conf_cmd_take(w, c);
	__atomic_store_n(&w->attached, false, __ATOMIC_RELEASE);
	if (!w->sys->p.inline_workers) {
		rte_rcu_qsbr_thread_offline(w->sys->rcu, w->idx);
		rte_rcu_qsbr_thread_unregister(w->sys->rcu, w->idx);
	}
	mxp_srtp_thread_fini();
}

void
mxp_conf_worker_poll(struct mxp_conf_worker *w)
{
	struct mxp_conf_sys *sys = w->sys;
	struct mxp_conf_cmd *c;

	if (w->npend)
		mxp_conf_flush(w);
	while (rte_ring_dequeue(w->cmd_ring, (void **)&c) == 0)
		conf_cmd_take(w, c);
	/* Frames another worker received for our legs. */
	struct rte_mbuf *m[32];
	unsigned int n = rte_ring_dequeue_burst(w->handoff, (void **)m, RTE_DIM(m), NULL);
	for (unsigned int i = 0; i < n; i++) {
		struct mxp_pkt_meta meta;
		if (mxp_pkt_parse(rte_pktmbuf_mtod(m[i], uint8_t *), rte_pktmbuf_data_len(m[i]),
				  MXP_PKT_L3_CKSUM_GOOD | MXP_PKT_L4_CKSUM_GOOD,
				  &meta) != MXP_PKT_UDP ||
		    !mxp_conf_rx(w, m[i]->hash.usr, m[i], &meta)) {
			w->drops[MXP_DROP_UDP_NO_LEG]++;
			rte_pktmbuf_free(m[i]);
		}
	}
	if (w->npend)
		mxp_conf_flush(w);
	uint64_t now = rte_rdtsc();
	conf_mix_poll(w, now);
	if (now >= w->next_tick_tsc) {
		w->next_tick_tsc = now + mxp_conf_tsc_hz() * CONF_TICK_MS / 1000;
		conf_tick(w, now);
	}
	if (!sys->p.inline_workers)
		rte_rcu_qsbr_quiescent(sys->rcu, w->idx);
}

int
mxp_conf_worker_stats(struct mxp_conf_sys *sys, uint16_t idx, struct mxp_conf_worker_stats *st)
{
	if (sys == NULL || idx >= sys->p.nb_workers || st == NULL)
		return -EINVAL;
	const struct mxp_conf_worker *w = sys->w[idx];
	st->cmds_run = __atomic_load_n(&w->cmds_run, __ATOMIC_RELAXED);
	st->cmds_abandoned = __atomic_load_n(&w->cmds_abandoned, __ATOMIC_RELAXED);
	st->mixer_refusals = __atomic_load_n(&w->mixer_refusals, __ATOMIC_RELAXED);
	st->mix_copies = __atomic_load_n(&w->mix_copies, __ATOMIC_RELAXED);
	st->unresponsive = __atomic_load_n(&w->unresponsive, __ATOMIC_ACQUIRE) != 0;
	st->mix_ticks = sys->mix_ticks_gone[idx];
	st->mix_late_ticks = sys->mix_late_gone[idx];
	uint32_t it = 0;
	const void *key;
	void *data;
	while (rte_hash_iterate(sys->confs, &key, &data, &it) >= 0) {
		const struct mxp_conf_ctl *cc = data;
		struct mxp_media_mixer_stats ms;
		if (cc->worker != idx || cc->conf->mixer == NULL)
			continue;
		mxp_media_mixer_stats_get(cc->conf->mixer, &ms);
		st->mix_ticks += ms.ticks;
		st->mix_late_ticks += ms.late_ticks;
	}
	return 0;
}
