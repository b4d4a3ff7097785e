/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control side of the conference system (control core only): validation, port
 * allocation, key groups, output streams and SSRCs, and the commands that make
 * workers apply changes between bursts.
 *
 * Every operation validates and allocates everything first, then posts one command to
 * the owner worker and waits for it, so a failure changes nothing. Structure (lists,
 * pointers) is changed only by workers inside commands; the control core reads it only
 * when no command is in flight, which is always the case outside conf_post().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_random.h>

#include "conf_priv.h"
#include "mxp_srtp_sdes.h"

static uint64_t tsc_hz;

uint64_t
mxp_conf_tsc_hz(void)
{
	return tsc_hz;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
errf(char *err, size_t len, int code, const char *fmt, ...)
{
	if (err && len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, len, fmt, ap);
		va_end(ap);
	}
	return code;
}

static const char *const mode_names[] = { [MXP_CONF_SWITCH] = "switch",
					  [MXP_CONF_FORWARD] = "forward",
					  [MXP_CONF_MIX] = "mix" };
static const char *const sm_names[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

const char *
mxp_conf_mode_name(enum mxp_conf_mode m)
{
	return (m >= MXP_CONF_SWITCH && m <= MXP_CONF_MIX) ? mode_names[m] : "?";
}

int
mxp_conf_mode_parse(const char *s, enum mxp_conf_mode *m)
{
	for (int i = MXP_CONF_SWITCH; i <= MXP_CONF_MIX; i++)
		if (strcmp(s, mode_names[i]) == 0) {
			*m = (enum mxp_conf_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *
mxp_stream_mode_name(enum mxp_stream_mode m)
{
	return (unsigned int)m <= MXP_SM_INACTIVE ? sm_names[m] : "?";
}

int
mxp_stream_mode_parse(const char *s, enum mxp_stream_mode *m)
{
	for (int i = 0; i <= MXP_SM_INACTIVE; i++)
		if (strcmp(s, sm_names[i]) == 0) {
			*m = (enum mxp_stream_mode)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- SRTP context memory --------------------------------------------------------------- */

struct mxp_srtp_ctx *
conf_srtp_alloc(struct mxp_conf_sys *sys)
{
	return rte_zmalloc("mxp_srtp_ctx", sys->srtp_ctx_size, MXP_SRTP_CTX_ALIGN);
}

void
conf_srtp_free(struct mxp_srtp_ctx *ctx)
{
	if (ctx == NULL)
		return;
	mxp_srtp_ctx_fini(ctx);
	rte_free(ctx);
}

int
conf_srtp_setup(struct mxp_conf_sys *sys, struct mxp_srtp_ctx *ctx, enum mxp_srtp_dir dir,
		const struct mxp_conf_keys *keys, uint32_t ssrc, bool learn, uint32_t window,
		char *err, size_t errlen)
{
	struct mxp_srtp_params p = {
		.suite = keys->key[0].suite,
		.dir = dir,
		.driver = sys->p.srtp_driver,
		.replay_window = window,
		.ssrc = ssrc,
		.ssrc_learn = learn,
		.kdr = keys->kdr,
	};
	int r = mxp_srtp_ctx_init(ctx, &p, err, errlen);
	if (r)
		return r;
	for (unsigned int i = 0; i < keys->nkeys; i++) {
		const struct mxp_conf_key *k = &keys->key[i];
		r = mxp_srtp_ctx_key_add(ctx, k->key, k->salt, k->mki, k->mki_len, k->lifetime);
		if (r) {
			mxp_srtp_ctx_fini(ctx);
			return errf(err, errlen, r, "key %u: %s", i + 1,
				    r == -EEXIST ? "MKI given twice" : "cannot be installed");
		}
	}
	if (dir == MXP_SRTP_OUTBOUND && keys->nkeys) {
		const struct mxp_conf_key *k = &keys->key[keys->active];
		mxp_srtp_ctx_key_activate(ctx, k->mki, k->mki_len);
	}
	return 0;
}

static void
key_digest(const struct mxp_conf_key *k, uint8_t out[32])
{
	uint8_t buf[1 + MXP_SRTP_MAX_KEY_LEN + MXP_SRTP_MAX_SALT_LEN];
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(k->suite);
	unsigned int n = 0;
	buf[n++] = (uint8_t)k->suite;
	memcpy(buf + n, k->key, si->key_len);
	n += si->key_len;
	memcpy(buf + n, k->salt, si->salt_len);
	n += si->salt_len;
	unsigned int olen = 32;
	EVP_Digest(buf, n, out, &olen, EVP_sha256(), NULL);
	explicit_bzero(buf, sizeof(buf));
}

static void
key_fp(const struct mxp_conf_key *k, char fp[9])
{
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(k->suite);
	if (si == NULL || mxp_srtp_key_fingerprint(k->key, si->key_len, k->salt, si->salt_len, fp))
		snprintf(fp, 9, "--------");
}

int
mxp_conf_keys_add_sdes(struct mxp_conf_keys *ks, const struct mxp_sdes_crypto *c, bool outbound,
		       char *err, size_t errlen)
{
	if (outbound && c->unencrypted_srtcp)
		return errf(err, errlen, -EINVAL,
			    "UNENCRYPTED_SRTCP: the mixer never sends RTCP in the clear on an SRTP leg");
	if (ks->nkeys + c->nkeys > MXP_SRTP_MAX_KEYS)
		return errf(err, errlen, -ENOSPC, "more than %d keys for one direction",
			    MXP_SRTP_MAX_KEYS);
	uint32_t kdr = c->kdr_present ? 1u << c->kdr_log2 : 0;
	if (ks->nkeys && kdr != ks->kdr)
		return errf(err, errlen, -EINVAL, "every key of a direction needs the same KDR");
	ks->kdr = kdr;
	for (unsigned int i = 0; i < c->nkeys; i++) {
		struct mxp_conf_key *k = &ks->key[ks->nkeys++];
		memset(k, 0, sizeof(*k));
		k->suite = c->suite;
		memcpy(k->key, c->keys[i].key, sizeof(k->key));
		memcpy(k->salt, c->keys[i].salt, sizeof(k->salt));
		memcpy(k->mki, c->keys[i].mki, sizeof(k->mki));
		k->mki_len = c->keys[i].mki_len;
		k->lifetime = c->keys[i].lifetime;
	}
	return 0;
}

/* Validate a key set for a direction; err names the direction and key. */
static int
check_keys(const struct mxp_conf_keys *ks, const char *dir, char *err, size_t errlen)
{
	if (ks->nkeys == 0)
		return errf(err, errlen, -EINVAL, "%s: no SRTP key (give an a=crypto line)", dir);
	if (ks->nkeys > MXP_SRTP_MAX_KEYS)
		return errf(err, errlen, -EINVAL, "%s: more than %d keys", dir, MXP_SRTP_MAX_KEYS);
	if (ks->active >= ks->nkeys)
		return errf(err, errlen, -EINVAL, "%s: active key %u does not exist", dir, ks->active);
	for (unsigned int i = 0; i < ks->nkeys; i++) {
		const struct mxp_conf_key *k = &ks->key[i];
		if (mxp_srtp_suite_info(k->suite) == NULL)
			return errf(err, errlen, -EINVAL, "%s key %u: unsupported suite", dir, i + 1);
		if (k->suite != ks->key[0].suite)
			return errf(err, errlen, -EINVAL,
				    "%s key %u: every key of a direction must use the same suite", dir,
				    i + 1);
		if (k->mki_len > MXP_SRTP_MAX_MKI_LEN || k->mki_len != ks->key[0].mki_len)
			return errf(err, errlen, -EINVAL,
				    "%s key %u: MKI lengths must be equal (RFC 4568 6.1)", dir, i + 1);
		if (ks->nkeys > 1 && k->mki_len == 0)
			return errf(err, errlen, -EINVAL, "%s: several keys need an MKI each", dir);
		for (unsigned int j = 0; j < i; j++)
			if (k->mki_len && !memcmp(k->mki, ks->key[j].mki, k->mki_len))
				return errf(err, errlen, -EINVAL, "%s: MKI of key %u repeats key %u",
					    dir, i + 1, j + 1);
	}
	return 0;
}

/* ---- system ----------------------------------------------------------------------------- */

struct mxp_conf_sys *
mxp_conf_sys_create(const struct mxp_conf_sys_params *p, char *err, size_t errlen)
{
	if (p->nb_workers == 0 || p->nb_workers > MXP_CONF_MAX_WORKERS || p->pool == NULL ||
	    p->hdr_pool == NULL || p->port_min == 0 || p->port_max <= p->port_min ||
	    p->nb_addrs > MXP_CONF_MAX_PORTS * 2) {
		errf(err, errlen, -EINVAL, "conference system: bad parameters");
		return NULL;
	}
	tsc_hz = rte_get_tsc_hz();
	struct mxp_conf_sys *sys = rte_zmalloc("mxp_conf_sys", sizeof(*sys), RTE_CACHE_LINE_SIZE);
	if (sys == NULL)
		goto nomem;
	sys->p = *p;
	sys->srtp_ctx_size = mxp_srtp_ctx_size();
	sys->next_conf_id = sys->next_leg_id = sys->next_kg_id = 1;
	memset(sys->addr_by_port, -1, sizeof(sys->addr_by_port));
	for (uint16_t i = 0; i < p->nb_addrs; i++) {
		sys->addr[i].a = p->addrs[i];
		sys->addr[i].table = rte_zmalloc("mxp_conf_table", 65536 * sizeof(uintptr_t),
						 RTE_CACHE_LINE_SIZE);
		sys->addr[i].next = p->port_min & ~1u;
		if (p->addrs[i].port_idx >= MXP_CONF_MAX_PORTS)
			goto nomem;
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
	sys->confs = rte_hash_create(&hp);
	snprintf(name, sizeof(name), "mxp_legs%u", inst);
	hp.entries = 1 << 18;
	sys->legs = rte_hash_create(&hp);
	snprintf(name, sizeof(name), "mxp_ssrcs%u", inst);
	hp.entries = 1 << 20;
	hp.key_len = 36;
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
	errf(err, errlen, -ENOMEM, "conference system: out of memory (%s)",
	     rte_strerror(rte_errno));
	mxp_conf_sys_destroy(sys);
	return NULL;
}

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
	if (c != NULL && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		rte_free(c);
}

static void conf_cmd_exec(struct mxp_conf_worker *w, struct mxp_conf_cmd *c);

void
conf_cmd_take(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	uint32_t posted = CONF_CMD_POSTED;
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
	if (sys->p.inline_workers || !__atomic_load_n(&w->attached, __ATOMIC_ACQUIRE)) {
		/* No thread polls this worker (tests, start-up, shutdown): run it here. */
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
		conf_cmd_take(w, c);
		return 0;
	}
	__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED); /* the worker's reference */
	if (rte_ring_enqueue(w->cmd_ring, c) != 0) {
		__atomic_sub_fetch(&c->refs, 1, __ATOMIC_RELAXED);
		return -EBUSY;
	}
	/* A worker runs commands between bursts, within microseconds: spin briefly, then
	 * sleep in short naps so a busy control core does not starve its neighbours. */
	uint32_t timeout = sys->p.cmd_timeout_ms ? sys->p.cmd_timeout_ms : CONF_CMD_TIMEOUT_MS;
	uint64_t start = now_ms();
	for (unsigned int spins = 0;
	     __atomic_load_n(&c->state, __ATOMIC_ACQUIRE) != CONF_CMD_DONE; spins++) {
		if (spins < 20000) {
			rte_pause();
			continue;
		}
		if (now_ms() - start > timeout) {
			/* Withdraw it, unless the worker is running it right now (then it
			 * finishes within microseconds: keep waiting). */
			uint32_t posted = CONF_CMD_POSTED;
			if (__atomic_compare_exchange_n(&c->state, &posted, CONF_CMD_ABANDONED, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				return -ETIMEDOUT;
		}
		struct timespec ts = { 0, 20000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

int
mxp_conf_worker_stats(struct mxp_conf_sys *sys, uint16_t idx, struct mxp_conf_worker_stats *st)
{
	if (sys == NULL || idx >= sys->p.nb_workers || st == NULL)
		return -EINVAL;
	const struct mxp_conf_worker *w = sys->w[idx];
	st->cmds_run = __atomic_load_n(&w->cmds_run, __ATOMIC_RELAXED);
	st->cmds_abandoned = __atomic_load_n(&w->cmds_abandoned, __ATOMIC_RELAXED);
	return 0;
}

/* Wait until every attached worker passed a quiescent point. */
static void
rcu_sync(struct mxp_conf_sys *sys)
{
	if (sys->p.inline_workers)
		return;
	rte_rcu_qsbr_synchronize(sys->rcu, RTE_QSBR_THRID_INVALID);
}

static struct mxp_conf_ctl *
find_conf(struct mxp_conf_sys *sys, uint32_t id)
{
	void *d;
	return rte_hash_lookup_data(sys->confs, &id, &d) >= 0 ? d : NULL;
}

static struct mxp_leg_ctl *
find_leg(struct mxp_conf_sys *sys, uint32_t id)
{
	void *d;
	return rte_hash_lookup_data(sys->legs, &id, &d) >= 0 ? d : NULL;
}

/* ---- output streams and SSRCs ----------------------------------------------------------------- */

struct ssrc_key {
	uint8_t digest[32];
	uint32_t ssrc;
};

static uint32_t
ssrc_alloc(struct mxp_conf_sys *sys, const uint8_t digest[32])
{
	struct ssrc_key k;
	memcpy(k.digest, digest, 32);
	for (;;) {
		k.ssrc = (uint32_t)rte_rand();
		if (k.ssrc == 0)
			continue;
		if (rte_hash_lookup(sys->ssrcs, &k) < 0 && rte_hash_add_key(sys->ssrcs, &k) >= 0)
			return k.ssrc;
	}
}

static void
ssrc_release(struct mxp_conf_sys *sys, const uint8_t digest[32], uint32_t ssrc)
{
	struct ssrc_key k;
	memcpy(k.digest, digest, 32);
	k.ssrc = ssrc;
	rte_hash_del_key(sys->ssrcs, &k);
}

static void
ostream_free(struct mxp_conf_sys *sys, struct mxp_ostream *os)
{
	if (os == NULL)
		return;
	if (os->kg)
		ssrc_release(sys, os->kg->digest, os->ssrc);
	conf_srtp_free(os->ctx);
	rte_free(os->mtx);
	rte_free(os);
}

void
conf_ostream_free(struct mxp_conf_sys *sys, struct mxp_ostream *os)
{
	ostream_free(sys, os);
}

static struct mxp_ostream *
ostream_new(struct mxp_conf_sys *sys, struct mxp_keygroup *kg, struct mxp_leg *src, char *err,
	    size_t errlen)
{
	struct mxp_ostream *os = rte_zmalloc("mxp_ostream", sizeof(*os), RTE_CACHE_LINE_SIZE);
	if (os == NULL)
		return NULL;
	os->kg = kg;
	os->src = src;
	os->ssrc = ssrc_alloc(sys, kg->digest);
	os->seq = (uint16_t)rte_rand();
	if (!kg->plain) {
		struct mxp_conf_keys ks = { .nkeys = 1, .active = 0 };
		ks.key[0] = kg->key;
		os->ctx = conf_srtp_alloc(sys);
		int r = os->ctx ? conf_srtp_setup(sys, os->ctx, MXP_SRTP_OUTBOUND, &ks, os->ssrc,
						  false, 0, err, errlen)
				: -ENOMEM;
		if (r == 0)
			r = mxp_srtp_ctx_key_share_usage(os->ctx, kg->key.mki, kg->key.mki_len,
							 &kg->usage);
		explicit_bzero(&ks, sizeof(ks));
		if (r) {
			rte_free(os->ctx);
			os->ctx = NULL;
			ostream_free(sys, os);
			return NULL;
		}
	}
	return os;
}

struct mxp_ostream *
conf_ostream_new(struct mxp_conf_sys *sys, struct mxp_keygroup *kg, struct mxp_leg *src, char *err,
		 size_t errlen)
{
	return ostream_new(sys, kg, src, err, errlen);
}

static bool
is_sender(uint8_t mode)
{
	return mode == MXP_SM_SENDRECV || mode == MXP_SM_SENDONLY;
}

static bool
is_receiver(uint8_t mode)
{
	return mode == MXP_SM_SENDRECV || mode == MXP_SM_RECVONLY;
}

/* ---- conferences ------------------------------------------------------------------------- */

static void
cmd_conf_add(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.cf;
	TAILQ_INSERT_TAIL(&w->confs, cf, next);
	w->nconfs++;
	if (cf->mixer != NULL)
		conf_mix_heap_add(w, cf);
}

static void
cmd_conf_del(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.cf;
	TAILQ_REMOVE(&w->confs, cf, next);
	w->nconfs--;
	if (cf->heap_idx != UINT32_MAX)
		conf_mix_heap_del(w, cf);
}

static void
cmd_conf_set(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.topn.cf;
	cf->topn = c->u.topn.topn;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cf->legs, in_conf)
		l->in_topn = cf->topn == 0;
}

int
mxp_conf_create(struct mxp_conf_sys *sys, const struct mxp_conf_params *p, uint32_t *id,
		char *err, size_t errlen)
{
	if (p->mode != MXP_CONF_SWITCH && p->mode != MXP_CONF_FORWARD && p->mode != MXP_CONF_MIX)
		return errf(err, errlen, -EINVAL, "unknown conference mode %d", p->mode);
	if (p->replay_window &&
	    (p->replay_window < MXP_SRTP_REPLAY_WINDOW_MIN || p->replay_window > MXP_SRTP_REPLAY_WINDOW_MAX))
		return errf(err, errlen, -EINVAL, "replay window must be %d..%d",
			    MXP_SRTP_REPLAY_WINDOW_MIN, MXP_SRTP_REPLAY_WINDOW_MAX);
	if (p->topn && p->mode == MXP_CONF_FORWARD)
		return errf(err, errlen, -EINVAL, "topn applies to switch and mix conferences");
	if (p->mode == MXP_CONF_MIX && p->topn > MXP_MEDIA_MAX_TALKERS)
		return errf(err, errlen, -EINVAL, "mix: topn (talkers mixed) is at most %d",
			    MXP_MEDIA_MAX_TALKERS);

	/* The least loaded worker owns the new conference. */
	uint16_t best = 0;
	for (uint16_t i = 1; i < sys->p.nb_workers; i++)
		if (sys->w[i]->nconfs < sys->w[best]->nconfs)
			best = i;
	struct mxp_conf *cf = rte_zmalloc("mxp_conf", sizeof(*cf), RTE_CACHE_LINE_SIZE);
	struct mxp_conf_ctl *cc = rte_zmalloc("mxp_conf_ctl", sizeof(*cc), 0);
	if (cf == NULL || cc == NULL) {
		rte_free(cf);
		rte_free(cc);
		return errf(err, errlen, -ENOMEM, "out of memory");
	}
	cf->id = sys->next_conf_id++;
	cf->worker = best;
	cf->heap_idx = UINT32_MAX;
	cf->mode = (uint8_t)p->mode;
	cf->topn = p->topn;
	cf->replay_window = p->replay_window;
	cf->created_ms = now_ms();
	TAILQ_INIT(&cf->legs);
	TAILQ_INIT(&cf->kgs);
	snprintf(cf->name, sizeof(cf->name), "%s", p->name);
	cf->ptime = p->ptime ? p->ptime : 20;
	cf->max_legs = p->max_legs ? p->max_legs : 1024;
	if (cf->mode == MXP_CONF_MIX) {
		int r = conf_mix_conf_init(sys, cf, err, errlen);
		if (r) {
			rte_free(cf);
			rte_free(cc);
			return r;
		}
	}
	cc->conf = cf;
	cc->id = cf->id;
	cc->worker = best;
	if (rte_hash_add_key_data(sys->confs, &cf->id, cc) < 0) {
		rte_free(cf);
		rte_free(cc);
		return errf(err, errlen, -ENOSPC, "too many conferences");
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_CONF_ADD);
	int r = c ? 0 : -ENOMEM;
	if (c) {
		c->u.cf = cf;
		r = conf_post(sys, best, c);
		conf_cmd_put(c);
	}
	if (r) {
		/* Nothing ran: the worker never saw the conference. */
		rte_hash_del_key(sys->confs, &cf->id);
		conf_mix_conf_free(cf);
		rte_free(cf);
		rte_free(cc);
		return errf(err, errlen, r, "worker %u did not take the conference", best);
	}
	*id = cf->id;
	return 0;
}

static void
cmd_conf_floor(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct mxp_conf *cf = c->u.floor.cf;
	cf->floor = c->u.floor.leg;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cf->legs, in_conf)
		if (l->ml) /* mix: who is mixed in follows the floor */
			mxp_media_leg_set_mute(l->ml, l->muted || (cf->floor && cf->floor != l));
	(void)w;
}

int
mxp_conf_set_floor(struct mxp_conf_sys *sys, uint32_t id, uint32_t leg_id, char *err,
		   size_t errlen)
{
	struct mxp_conf_ctl *cc = find_conf(sys, id);
	if (cc == NULL)
		return errf(err, errlen, -ENOENT, "no conference %u", id);
	struct mxp_leg *l = NULL;
	if (leg_id) {
		struct mxp_leg_ctl *lc = find_leg(sys, leg_id);
		if (lc == NULL)
			return errf(err, errlen, -ENOENT, "no leg %u", leg_id);
		if (lc->conf != cc)
			return errf(err, errlen, -EINVAL, "leg %u is not in conference %u", leg_id, id);
		l = lc->leg;
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_FLOOR);
	if (c == NULL)
		return errf(err, errlen, -ENOMEM, "out of memory");
	c->u.floor.cf = cc->conf;
	c->u.floor.leg = l;
	int r = conf_post(sys, cc->worker, c);
	conf_cmd_put(c);
	return r ? errf(err, errlen, r, "worker %u did not answer", cc->worker) : 0;
}

int
mxp_conf_set_topn(struct mxp_conf_sys *sys, uint32_t id, uint16_t topn, char *err, size_t errlen)
{
	struct mxp_conf_ctl *cc = find_conf(sys, id);
	if (cc == NULL)
		return errf(err, errlen, -ENOENT, "no conference %u", id);
	if (cc->conf->mode != MXP_CONF_SWITCH && topn)
		return errf(err, errlen, -EINVAL, "topn applies to switch conferences only");
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_TOPN);
	if (c == NULL)
		return errf(err, errlen, -ENOMEM, "out of memory");
	c->u.topn.cf = cc->conf;
	c->u.topn.topn = topn;
	int r = conf_post(sys, cc->worker, c);
	conf_cmd_put(c);
	return r ? errf(err, errlen, r, "worker %u did not answer", cc->worker) : 0;
}

int
mxp_conf_destroy(struct mxp_conf_sys *sys, uint32_t id, char *err, size_t errlen)
{
	struct mxp_conf_ctl *cc = find_conf(sys, id);
	if (cc == NULL)
		return errf(err, errlen, -ENOENT, "no conference %u", id);
	struct mxp_leg *l;
	while ((l = TAILQ_FIRST(&cc->conf->legs)) != NULL) {
		int r = mxp_conf_leg_remove(sys, l->id, NULL, err, errlen);
		if (r)
			return r;
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_CONF_DEL);
	int r = c ? 0 : -ENOMEM;
	if (c) {
		c->u.cf = cc->conf;
		r = conf_post(sys, cc->worker, c);
		conf_cmd_put(c);
	}
	if (r)
		return errf(err, errlen, r, "worker %u did not answer", cc->worker);
	rte_hash_del_key(sys->confs, &id);
	rcu_sync(sys);
	conf_mix_conf_free(cc->conf);
	rte_free(cc->conf);
	rte_free(cc);
	return 0;
}

/* ---- legs ------------------------------------------------------------------------------- */

static int
find_addr(struct mxp_conf_sys *sys, uint8_t af, uint16_t port_idx)
{
	for (uint16_t i = 0; i < sys->p.nb_addrs; i++)
		if (sys->addr[i].a.ip.af == af && sys->addr[i].a.port_idx == port_idx)
			return i;
	return -1;
}

/* Reserve the RTP port (and RTCP = +1 unless muxed). Returns the port or -errno. */
static int
port_alloc(struct mxp_conf_sys *sys, struct mxp_conf_addr_rt *a, uint16_t want, bool mux)
{
	if (want) {
		if (want < 1024 || (!mux && want == 65535))
			return -EINVAL;
		if (a->table[want] || (!mux && a->table[want + 1]))
			return -EADDRINUSE;
		return want;
	}
	uint32_t span = (uint32_t)(sys->p.port_max - (sys->p.port_min & ~1u)) / 2 + 1;
	uint16_t p = a->next;
	for (uint32_t i = 0; i < span; i++) {
		if (p < (sys->p.port_min & ~1u) || p + 1u > sys->p.port_max)
			p = sys->p.port_min & ~1u;
		if (a->table[p] == 0 && a->table[p + 1] == 0) {
			a->next = (uint16_t)(p + 2);
			return p;
		}
		p = (uint16_t)(p + 2);
	}
	return -ENOSPC;
}

static void
table_set(struct mxp_conf_addr_rt *a, uint16_t port, uintptr_t v)
{
	__atomic_store_n(&a->table[port], v, __ATOMIC_RELEASE);
}

static void
cmd_leg_add(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct leg_add_args *a = &c->u.leg_add;
	struct mxp_leg *l = a->leg;
	struct mxp_conf *cf = l->conf;
	if (a->new_kg) {
		TAILQ_INSERT_TAIL(&cf->kgs, a->new_kg, next);
		cf->nkgs++;
	}
	TAILQ_INSERT_TAIL(&cf->legs, l, in_conf);
	cf->nlegs++;
	TAILQ_INSERT_TAIL(&l->kg->members, l, in_group);
	l->kg->nmembers++;
	l->kg->nrecv += is_receiver(l->mode);
	if (l->ml) {
		conf_mix_leg_link(l);
		mxp_media_leg_set_mute(l->ml, l->muted || (cf->floor && cf->floor != l));
	}
	for (uint32_t i = 0; i < a->nos; i++) {
		struct mxp_ostream *os = a->os[i];
		TAILQ_INSERT_TAIL(&os->src->streams, os, by_sender);
		TAILQ_INSERT_TAIL(&os->kg->streams, os, by_group);
		os->kg->nstreams++;
	}
	(void)w;
}

static struct mxp_keygroup *
kg_find(struct mxp_conf *cf, const uint8_t digest[32])
{
	struct mxp_keygroup *kg;
	TAILQ_FOREACH(kg, &cf->kgs, next)
		if (memcmp(kg->digest, digest, 32) == 0)
			return kg;
	return NULL;
}

static void kg_free(struct mxp_conf_sys *sys, struct mxp_keygroup *kg);

static struct mxp_keygroup *
kg_new(struct mxp_conf_sys *sys, struct mxp_conf *cf, const struct mxp_conf_key *k,
       const uint8_t digest[32], bool plain)
{
	struct mxp_keygroup *kg = rte_zmalloc("mxp_kg", sizeof(*kg), RTE_CACHE_LINE_SIZE);
	if (kg == NULL)
		return NULL;
	kg->id = sys->next_kg_id++;
	kg->plain = plain;
	memcpy(kg->digest, digest, 32);
	if (plain) {
		snprintf(kg->fp, sizeof(kg->fp), "plain");
	} else {
		kg->key = *k;
		key_fp(k, kg->fp);
	}
	TAILQ_INIT(&kg->members);
	TAILQ_INIT(&kg->streams);
	if (cf->mode == MXP_CONF_MIX && conf_mix_kg_alloc(sys, kg, NULL, 0) != 0) {
		kg_free(sys, kg);
		return NULL;
	}
	return kg;
}

static void
kg_free(struct mxp_conf_sys *sys, struct mxp_keygroup *kg)
{
	if (kg == NULL)
		return;
	conf_mix_kg_free(sys, kg);
	explicit_bzero(&kg->key, sizeof(kg->key));
	rte_free(kg);
}

static void
leg_free(struct mxp_conf_sys *sys, struct mxp_leg *l)
{
	if (l == NULL)
		return;
	conf_mix_leg_free(sys, l);
	conf_srtp_free(l->in);
	explicit_bzero(l->in_digest, sizeof(l->in_digest));
	rte_free(l);
}

/* The key group digest for a leg's active outbound key (or the plain group). */
static void
out_digest(const struct mxp_leg_params *p, const struct mxp_conf_keys *out, uint8_t d[32])
{
	if (p->plain)
		memset(d, 0, 32);
	else
		key_digest(&out->key[out->active], d);
}

/*
 * Build the streams a new or changed membership needs: the sender's stream to each
 * group of the conference (plus new_kg), and every sender's stream to new_kg.
 * Fills os[] and returns how many, or -errno.
 */
static int
streams_for(struct mxp_conf_sys *sys, struct mxp_conf *cf, struct mxp_leg *l, bool l_sends,
	    struct mxp_keygroup *new_kg, struct mxp_ostream ***out, char *err, size_t errlen)
{
	if (cf->mode != MXP_CONF_SWITCH) {
		*out = NULL;
		return 0;
	}
	uint32_t cap = cf->nkgs + 1 + cf->nlegs + 1, n = 0;
	struct mxp_ostream **os = rte_zmalloc("mxp_os_tmp", cap * sizeof(*os), 0);
	if (os == NULL)
		return -ENOMEM;
	struct mxp_keygroup *kg;
	if (l_sends) {
		TAILQ_FOREACH(kg, &cf->kgs, next)
			if ((os[n] = ostream_new(sys, kg, l, err, errlen)) == NULL)
				goto fail;
			else
				n++;
		if (new_kg) {
			if ((os[n] = ostream_new(sys, new_kg, l, err, errlen)) == NULL)
				goto fail;
			n++;
		}
	}
	if (new_kg) {
		struct mxp_leg *s;
		TAILQ_FOREACH(s, &cf->legs, in_conf) {
			if (s == l || !is_sender(s->mode))
				continue;
			if ((os[n] = ostream_new(sys, new_kg, s, err, errlen)) == NULL)
				goto fail;
			n++;
		}
	}
	*out = os;
	return (int)n;
fail:
	for (uint32_t i = 0; i < n; i++)
		ostream_free(sys, os[i]);
	rte_free(os);
	if (err && err[0] == '\0')
		errf(err, errlen, -ENOMEM, "out of memory for output streams");
	return -ENOMEM;
}

int
mxp_conf_leg_add(struct mxp_conf_sys *sys, uint32_t conf_id, const struct mxp_leg_params *p,
		 struct mxp_leg_info *info, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	struct mxp_conf_ctl *cc = find_conf(sys, conf_id);
	if (cc == NULL)
		return errf(err, errlen, -ENOENT, "no conference %u", conf_id);
	struct mxp_conf *cf = cc->conf;
	int ai = find_addr(sys, p->af, p->port_idx);
	if (ai < 0)
		return errf(err, errlen, -EINVAL, "port %u has no %s address", p->port_idx,
			    p->af == AF_INET6 ? "IPv6" : "IPv4");
	if ((unsigned int)p->mode > MXP_SM_INACTIVE)
		return errf(err, errlen, -EINVAL, "bad stream mode");
	if (p->remote_known && (p->remote.af != p->af || p->remote_port == 0))
		return errf(err, errlen, -EINVAL,
			    "remote address must be of the local address' family, with a port");
	if (p->n_pt > MXP_CONF_MAX_PT)
		return errf(err, errlen, -EINVAL, "more than %d payload types", MXP_CONF_MAX_PT);
	for (unsigned int i = 0; i < p->n_pt; i++)
		if (p->pt[i] > 127)
			return errf(err, errlen, -EINVAL, "payload type %u is not 0..127", p->pt[i]);
	if (p->audio_level_id > 14)
		return errf(err, errlen, -EINVAL, "audio level extension id must be 1..14");
	struct mxp_leg *first = TAILQ_FIRST(&cf->legs);
	if (first && first->plain != p->plain)
		return errf(err, errlen, -EINVAL,
			    "a conference is all SRTP or all plain RTP: plain legs would receive decrypted media");
	if (p->plain) {
		if (p->in.nkeys || p->out.nkeys)
			return errf(err, errlen, -EINVAL, "a plain RTP leg takes no keys");
		if (!p->remote_known)
			return errf(err, errlen, -EINVAL,
				    "a plain RTP leg needs its remote address (no latching without SRTP)");
	} else {
		int r = check_keys(&p->in, "inbound (participant) key", err, errlen);
		if (r == 0)
			r = check_keys(&p->out, "outbound (mixer) key", err, errlen);
		if (r)
			return r;
	}
	/* Forward mode: receivers decrypt the senders' bytes, so in == out == conference key. */
	uint8_t din[32] = { 0 }, dout[32];
	out_digest(p, &p->out, dout);
	if (!p->plain)
		key_digest(&p->in.key[p->in.active], din);
	if (cf->mode == MXP_CONF_FORWARD) {
		bool plain_conf = cf->fwd_key_set && !memcmp(cf->fwd_digest, (uint8_t[32]){ 0 }, 32);
		if (!p->plain && memcmp(din, dout, 32) != 0)
			return errf(err, errlen, -EINVAL,
				    "forward mode: the leg's inbound and outbound keys must both be the conference key");
		if (cf->fwd_key_set && (memcmp(cf->fwd_digest, dout, 32) != 0 || plain_conf != p->plain))
			return errf(err, errlen, -EINVAL,
				    "forward mode: the leg's key differs from the conference key");
	}

	struct mxp_conf_addr_rt *a = &sys->addr[ai];
	int port = port_alloc(sys, a, p->local_port, p->rtcp_mux);
	if (port < 0)
		return errf(err, errlen, port,
			    port == -EADDRINUSE ? "local port %u (or its RTCP port) is in use"
			    : port == -EINVAL   ? "local port %u is not in 1024..65534"
						: "no free port pair in the media range (%u)",
			    port == -ENOSPC ? sys->p.port_max : p->local_port);

	struct mxp_leg *l = rte_zmalloc("mxp_leg", sizeof(*l), RTE_CACHE_LINE_SIZE);
	struct mxp_leg_ctl *lc = rte_zmalloc("mxp_leg_ctl", sizeof(*lc), 0);
	struct leg_add_args args = { 0 };
	struct mxp_keygroup *new_kg = NULL;
	int r = -ENOMEM;
	if (l == NULL || lc == NULL)
		goto fail;
	l->id = sys->next_leg_id;
	l->owner = cc->worker;
	l->port_idx = p->port_idx;
	l->addr_idx = (uint16_t)ai;
	l->af = p->af;
	l->mode = (uint8_t)p->mode;
	l->strict = p->strict;
	l->plain = p->plain;
	l->rtcp_mux = p->rtcp_mux;
	l->remote_known = p->remote_known;
	l->local_ip = a->a.ip;
	l->src_mac = a->a.mac;
	l->local_port = (uint16_t)port;
	l->local_rtcp_port = p->rtcp_mux ? (uint16_t)port : (uint16_t)(port + 1);
	if (p->remote_known) {
		l->remote_ip = p->remote;
		l->remote_port = p->remote_port;
		l->remote_rtcp_port = p->remote_rtcp_port ? p->remote_rtcp_port
				      : p->rtcp_mux	  ? p->remote_port
							  : (uint16_t)(p->remote_port + 1);
	}
	conf_leg_tmpl(l);
	l->conf = cf;
	l->audio_level_id = p->audio_level_id;
	l->level = 127;
	l->in_topn = cf->topn == 0;
	l->any_pt = p->n_pt == 0;
	for (unsigned int i = 0; i < p->n_pt; i++)
		l->pt_ok[p->pt[i] / 64] |= 1ull << (p->pt[i] % 64);
	TAILQ_INIT(&l->streams);
	snprintf(l->label, sizeof(l->label), "%s", p->label);
	memcpy(l->in_digest, din, 32);
	if (!p->plain) {
		l->in = conf_srtp_alloc(sys);
		if (l->in == NULL)
			goto fail;
		r = conf_srtp_setup(sys, l->in, MXP_SRTP_INBOUND, &p->in, 0, true, cf->replay_window,
				    err, errlen);
		if (r) {
			rte_free(l->in);
			l->in = NULL;
			goto fail;
		}
	}
	struct mxp_keygroup *kg = kg_find(cf, dout);
	if (kg == NULL) {
		kg = new_kg = kg_new(sys, cf, p->plain ? NULL : &p->out.key[p->out.active], dout, p->plain);
		if (kg == NULL) {
			r = -ENOMEM;
			goto fail;
		}
	}
	l->kg = kg;
	if (cf->mode == MXP_CONF_MIX) {
		if (cf->nlegs >= cf->max_legs) {
			r = errf(err, errlen, -ENOSPC, "the mixer is full (%u legs)", cf->max_legs);
			goto fail;
		}
		r = conf_mix_leg_alloc(sys, cf, l, p, err, errlen);
		if (r)
			goto fail;
	}
	int n = streams_for(sys, cf, l, is_sender(l->mode), new_kg, &args.os, err, errlen);
	if (n < 0) {
		r = n;
		goto fail;
	}
	args.nos = (uint32_t)n;
	args.leg = l;
	args.new_kg = new_kg;
	lc->leg = l;
	lc->conf = cc;
	lc->in = p->in;
	lc->out = p->out;
	lc->kg_id = kg->id;
	if (rte_hash_add_key_data(sys->legs, &l->id, lc) < 0) {
		r = -ENOSPC;
		goto fail_streams;
	}
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_LEG_ADD);
	r = c ? 0 : -ENOMEM;
	if (c) {
		c->u.leg_add = args;
		r = conf_post(sys, cc->worker, c);
		conf_cmd_put(c);
	}
	if (r) {
		/* Nothing ran: undo the preparations. */
		rte_hash_del_key(sys->legs, &l->id);
		if (r != -ENOMEM)
			errf(err, errlen, r, "worker %u did not answer", cc->worker);
		goto fail_streams;
	}
	rte_free(args.os);
	sys->next_leg_id++;
	cc->nlegs++;
	if (cf->mode == MXP_CONF_FORWARD && !cf->fwd_key_set) {
		memcpy(cf->fwd_digest, dout, 32);
		cf->fwd_key_set = true;
	}
	/* Published last: from here on packets to the port find a fully linked leg. */
	table_set(a, l->local_port, (uintptr_t)l);
	if (!p->rtcp_mux)
		table_set(a, l->local_rtcp_port, (uintptr_t)l | TABLE_RTCP);
	a->used++;
	if (info)
		mxp_conf_leg_get(sys, l->id, info);
	return 0;

fail_streams:
	for (uint32_t i = 0; i < args.nos; i++)
		ostream_free(sys, args.os[i]);
	rte_free(args.os);
fail:
	leg_free(sys, l);
	kg_free(sys, new_kg);
	if (lc)
		explicit_bzero(lc, sizeof(*lc));
	rte_free(lc);
	if (err && err[0] == '\0')
		errf(err, errlen, r, "out of memory");
	return r;
}

/* ---- removal ------------------------------------------------------------------------------- */

/* Unlink an output stream from its sender and its group (worker). */
static void
os_unlink(struct mxp_ostream *os)
{
	TAILQ_REMOVE(&os->src->streams, os, by_sender);
	TAILQ_REMOVE(&os->kg->streams, os, by_group);
	os->kg->nstreams--;
}

/*
 * Worker: unlink a leg and whatever only it kept alive. The streams to free are
 * collected in the args' array (sized by the control core beforehand).
 */
static void
cmd_leg_del(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct leg_del_args *a = &c->u.leg_del;
	struct mxp_leg *l = a->leg;
	struct mxp_conf *cf = l->conf;
	uint32_t n = 0;
	struct mxp_ostream *os;

	while ((os = TAILQ_FIRST(&l->streams)) != NULL) {
		os_unlink(os);
		a->dead[n++] = os;
	}
	if (l->ml) {
		conf_mix_leg_unlink(l);
		for (unsigned int t = 0; t < cf->n_prev_talkers; t++)
			if (cf->prev_talkers[t] == l)
				cf->prev_talkers[t] = cf->prev_talkers[--cf->n_prev_talkers];
	}
	TAILQ_REMOVE(&cf->legs, l, in_conf);
	cf->nlegs--;
	if (l->in) {
		struct mxp_srtp_stats st;
		mxp_srtp_ctx_stats(l->in, &st);
		cf->dec_gone += st.decryptions;
	}
	if (cf->floor == l) {
		cf->floor = NULL; /* the floor holder left: the floor opens */
		struct mxp_leg *o;
		TAILQ_FOREACH(o, &cf->legs, in_conf)
			if (o->ml)
				mxp_media_leg_set_mute(o->ml, o->muted);
	}
	TAILQ_REMOVE(&l->kg->members, l, in_group);
	l->kg->nmembers--;
	l->kg->nrecv -= is_receiver(l->mode);
	if (l->kg->nmembers == 0) {
		/* The group goes, and with it every stream encrypted for it. */
		while ((os = TAILQ_FIRST(&l->kg->streams)) != NULL) {
			os_unlink(os);
			a->dead[n++] = os;
		}
		TAILQ_REMOVE(&cf->kgs, l->kg, next);
		cf->nkgs--;
		cf->enc_gone += l->kg->encryptions;
		a->dead_kg = l->kg;
	}
	a->ndead = n;
	(void)w;
}

int
mxp_conf_leg_remove(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_info *last,
		    char *err, size_t errlen)
{
	struct mxp_leg_ctl *lc = find_leg(sys, leg_id);
	if (lc == NULL)
		return errf(err, errlen, -ENOENT, "no leg %u", leg_id);
	struct mxp_leg *l = lc->leg;
	struct mxp_conf *cf = l->conf;
	uint32_t maxdead = cf->nkgs + (l->kg->nmembers == 1 ? cf->nlegs : 0) + 1;
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_LEG_DEL);
	struct mxp_ostream **dead = rte_zmalloc("mxp_leg_del", maxdead * sizeof(*dead), 0);
	if (c == NULL || dead == NULL) {
		conf_cmd_put(c);
		rte_free(dead);
		return errf(err, errlen, -ENOMEM, "out of memory");
	}
	/* No new packet finds the leg; those in flight are handled before the ack. */
	struct mxp_conf_addr_rt *ar = &sys->addr[l->addr_idx];
	table_set(ar, l->local_port, 0);
	if (!l->rtcp_mux)
		table_set(ar, l->local_rtcp_port, 0);
	c->u.leg_del.leg = l;
	c->u.leg_del.dead = dead;
	int r = conf_post(sys, lc->conf->worker, c);
	if (r) {
		/* Nothing ran: the leg stays, packets find it again. */
		table_set(ar, l->local_port, (uintptr_t)l);
		if (!l->rtcp_mux)
			table_set(ar, l->local_rtcp_port, (uintptr_t)l | TABLE_RTCP);
		conf_cmd_put(c);
		rte_free(dead);
		return errf(err, errlen, r, "worker %u did not answer", lc->conf->worker);
	}
	ar->used--;
	struct leg_del_args *a = &c->u.leg_del;
	if (last)
		mxp_conf_leg_get(sys, leg_id, last);
	rte_hash_del_key(sys->legs, &leg_id);
	lc->conf->nlegs--;
	/* Other workers may still hold the leg from the table: wait them out. */
	rcu_sync(sys);
	for (uint32_t i = 0; i < a->ndead; i++)
		ostream_free(sys, a->dead[i]);
	if (a->dead_kg)
		kg_free(sys, a->dead_kg);
	leg_free(sys, l);
	explicit_bzero(lc, sizeof(*lc));
	rte_free(lc);
	rte_free(dead);
	conf_cmd_put(c);
	return 0;
}

/* ---- modification ---------------------------------------------------------------------------- */

static void
cmd_leg_mod(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	struct leg_mod_args *a = &c->u.leg_mod;
	struct mxp_leg *l = a->leg;
	const struct mxp_leg_mod *m = &a->m;
	struct mxp_conf *cf = l->conf;
	struct mxp_ostream *os;

	/* mix: the group's per-codec listener counts follow mode and group changes */
	if (l->ml && is_receiver(l->mode))
		l->kg->nrecv_codec[l->out_codec]--;
	if (m->add_in_key)
		c->result = mxp_srtp_ctx_key_add(l->in, m->in_key.key, m->in_key.salt, m->in_key.mki,
						 m->in_key.mki_len, m->in_key.lifetime);
	if (m->remove_in)
		mxp_srtp_ctx_key_remove(l->in, m->remove_mki, m->remove_mki_len);
	if (m->set_mode) {
		l->kg->nrecv -= is_receiver(l->mode);
		l->mode = (uint8_t)m->mode;
		l->kg->nrecv += is_receiver(l->mode);
	}
	if (m->set_strict)
		l->strict = m->strict;
	if (m->set_mute)
		l->muted = m->mute;
	if (m->set_remote) {
		l->remote_ip = m->remote;
		l->remote_port = m->remote_port;
		l->remote_rtcp_port = m->remote_rtcp_port;
		l->remote_known = true;
		conf_leg_tmpl(l);
	}
	if (a->drop_own)
		while ((os = TAILQ_FIRST(&l->streams)) != NULL) {
			os_unlink(os);
			a->dead[a->ndead++] = os;
		}
	if (a->to_kg) {
		struct mxp_keygroup *old = l->kg;
		if (a->to_kg_new) {
			TAILQ_INSERT_TAIL(&cf->kgs, a->to_kg, next);
			cf->nkgs++;
		}
		TAILQ_REMOVE(&old->members, l, in_group);
		old->nmembers--;
		old->nrecv -= is_receiver(l->mode);
		TAILQ_INSERT_TAIL(&a->to_kg->members, l, in_group);
		a->to_kg->nmembers++;
		a->to_kg->nrecv += is_receiver(l->mode);
		l->kg = a->to_kg;
		if (old->nmembers == 0) {
			while ((os = TAILQ_FIRST(&old->streams)) != NULL) {
				os_unlink(os);
				a->dead[a->ndead++] = os;
			}
			TAILQ_REMOVE(&cf->kgs, old, next);
			cf->nkgs--;
			cf->enc_gone += old->encryptions;
			a->dead_kg = old;
		}
	}
	for (uint32_t i = 0; i < a->nadd; i++) {
		os = a->add[i];
		TAILQ_INSERT_TAIL(&os->src->streams, os, by_sender);
		TAILQ_INSERT_TAIL(&os->kg->streams, os, by_group);
		os->kg->nstreams++;
	}
	if (l->ml) {
		if (is_receiver(l->mode))
			l->kg->nrecv_codec[l->out_codec]++;
		mxp_media_leg_set_mode(l->ml, (enum mxp_media_mode)l->mode);
		mxp_media_leg_set_mute(l->ml, l->muted || (cf->floor && cf->floor != l));
		if (a->new_priv) {
			/* the private mix now goes out under the new group's key */
			a->old_priv = l->priv;
			l->priv = a->new_priv;
		}
	}
	(void)w;
}

static int
find_mki(const struct mxp_conf_keys *ks, const uint8_t *mki, uint8_t len)
{
	for (unsigned int i = 0; i < ks->nkeys; i++)
		if (ks->key[i].mki_len == len && !memcmp(ks->key[i].mki, mki, len))
			return (int)i;
	return -1;
}

static void
keys_remove(struct mxp_conf_keys *ks, unsigned int i)
{
	explicit_bzero(&ks->key[i], sizeof(ks->key[i]));
	for (unsigned int j = i; j + 1 < ks->nkeys; j++)
		ks->key[j] = ks->key[j + 1];
	ks->nkeys--;
	explicit_bzero(&ks->key[ks->nkeys], sizeof(ks->key[0]));
	if (ks->active > i)
		ks->active--;
}

int
mxp_conf_leg_modify(struct mxp_conf_sys *sys, uint32_t leg_id, const struct mxp_leg_mod *m,
		    char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	struct mxp_leg_ctl *lc = find_leg(sys, leg_id);
	if (lc == NULL)
		return errf(err, errlen, -ENOENT, "no leg %u", leg_id);
	struct mxp_leg *l = lc->leg;
	struct mxp_conf *cf = l->conf;
	struct mxp_conf_sys_params *sp = &sys->p;
	(void)sp;

	/* Validate everything first. */
	if (m->set_mode && (unsigned int)m->mode > MXP_SM_INACTIVE)
		return errf(err, errlen, -EINVAL, "bad stream mode");
	if (m->set_remote && (m->remote.af != l->af || m->remote_port == 0))
		return errf(err, errlen, -EINVAL,
			    "remote address must be of the local address' family, with a port");
	if ((m->add_in_key || m->add_out_key || m->remove_in || m->remove_out) && l->plain)
		return errf(err, errlen, -EINVAL, "a plain RTP leg has no keys");
	if (cf->mode == MXP_CONF_FORWARD && (m->add_out_key || m->activate_out || m->add_in_key))
		return errf(err, errlen, -ENOTSUP,
			    "forward mode: rekey the conference key on every leg (remove and add the legs)");
	struct mxp_conf_keys in = lc->in, out = lc->out;
	int r = 0;
	if (m->add_in_key) {
		if (in.nkeys == MXP_SRTP_MAX_KEYS)
			r = errf(err, errlen, -ENOSPC, "inbound: already %d keys", MXP_SRTP_MAX_KEYS);
		else {
			in.key[in.nkeys++] = m->in_key;
			r = check_keys(&in, "inbound (participant) key", err, errlen);
		}
	}
	if (!r && m->add_out_key) {
		if (out.nkeys == MXP_SRTP_MAX_KEYS)
			r = errf(err, errlen, -ENOSPC, "outbound: already %d keys", MXP_SRTP_MAX_KEYS);
		else {
			out.key[out.nkeys++] = m->out_key;
			r = check_keys(&out, "outbound (mixer) key", err, errlen);
		}
	}
	int act = -1;
	if (!r && m->activate_out) {
		act = find_mki(&out, m->activate_mki, m->activate_mki_len);
		if (act < 0)
			r = errf(err, errlen, -ENOENT, "outbound: no key with that MKI");
	}
	if (!r && m->remove_in) {
		int i = find_mki(&in, m->remove_mki, m->remove_mki_len);
		if (i < 0)
			r = errf(err, errlen, -ENOENT, "inbound: no key with that MKI");
		else if (in.nkeys == 1)
			r = errf(err, errlen, -EINVAL, "inbound: cannot remove the last key");
		else
			keys_remove(&in, (unsigned int)i);
	}
	if (!r && m->remove_out) {
		int i = find_mki(&out, m->remove_mki, m->remove_mki_len);
		if (i < 0)
			r = errf(err, errlen, -ENOENT, "outbound: no key with that MKI");
		else if (i == (act >= 0 ? act : out.active))
			r = errf(err, errlen, -EINVAL, "outbound: cannot remove the active key");
		else {
			keys_remove(&out, (unsigned int)i);
			if (act > i)
				act--;
		}
	}
	if (r) {
		explicit_bzero(&in, sizeof(in));
		explicit_bzero(&out, sizeof(out));
		return r;
	}
	if (act >= 0)
		out.active = (uint8_t)act;

	/* Prepare group moves and streams. */
	struct mxp_conf_cmd *c = conf_cmd_new(CONF_CMD_LEG_MOD);
	if (c == NULL) {
		explicit_bzero(&in, sizeof(in));
		explicit_bzero(&out, sizeof(out));
		return errf(err, errlen, -ENOMEM, "out of memory");
	}
	struct leg_mod_args *a = &c->u.leg_mod;
	a->leg = l;
	a->m = *m;
	bool was_sender = is_sender(l->mode);
	bool sender = m->set_mode ? is_sender((uint8_t)m->mode) : was_sender;
	uint32_t cap = 2 * (cf->nkgs + cf->nlegs + 2);
	a->add = rte_zmalloc("mxp_mod_add", cap * sizeof(*a->add), 0);
	a->dead = rte_zmalloc("mxp_mod_dead", cap * sizeof(*a->dead), 0);
	if (a->add == NULL || a->dead == NULL) {
		r = errf(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	if (act >= 0 && cf->mode != MXP_CONF_FORWARD) {
		uint8_t d[32];
		key_digest(&out.key[out.active], d);
		if (memcmp(d, l->kg->digest, 32) != 0) {
			a->to_kg = kg_find(cf, d);
			if (a->to_kg == NULL) {
				a->to_kg = kg_new(sys, cf, &out.key[out.active], d, false);
				a->to_kg_new = true;
				if (a->to_kg == NULL) {
					r = errf(err, errlen, -ENOMEM, "out of memory");
					goto out;
				}
			}
		}
	}
	if (cf->mode == MXP_CONF_MIX && a->to_kg) {
		a->new_priv = conf_mix_priv_new(sys, l, a->to_kg, err, errlen);
		if (a->new_priv == NULL)
			goto nomem;
	}
	if (cf->mode == MXP_CONF_SWITCH) {
		/* Streams for a new group: from every sender (including this leg). */
		if (a->to_kg_new) {
			struct mxp_leg *s;
			TAILQ_FOREACH(s, &cf->legs, in_conf) {
				bool s_sends = s == l ? sender : is_sender(s->mode);
				if (!s_sends || (s == l && was_sender && !sender))
					continue;
				if ((a->add[a->nadd] = ostream_new(sys, a->to_kg, s, err, errlen)) == NULL)
					goto nomem;
				a->nadd++;
			}
		}
		/* This leg starts sending: one stream to each existing group. */
		if (sender && !was_sender) {
			struct mxp_keygroup *kg;
			TAILQ_FOREACH(kg, &cf->kgs, next) {
				if ((a->add[a->nadd] = ostream_new(sys, kg, l, err, errlen)) == NULL)
					goto nomem;
				a->nadd++;
			}
		}
		a->drop_own = was_sender && !sender;
	}
	r = conf_post(sys, cf->worker, c);
	if (r) {
		/* Nothing ran: undo the preparations. */
		r = errf(err, errlen, r, "worker %u did not answer", cf->worker);
		goto out;
	}
	if (c->result) {
		/* Only the SRTP key installation can fail, and it was validated: report it. */
		r = errf(err, errlen, c->result, "inbound key could not be installed");
	}
	/* Commit the control-side view. */
	explicit_bzero(&lc->in, sizeof(lc->in));
	explicit_bzero(&lc->out, sizeof(lc->out));
	lc->in = in;
	lc->out = out;
	if (a->to_kg)
		lc->kg_id = a->to_kg->id;
	rcu_sync(sys);
	for (uint32_t i = 0; i < a->ndead; i++)
		ostream_free(sys, a->dead[i]);
	kg_free(sys, a->dead_kg);
	ostream_free(sys, a->old_priv);
	a->new_priv = NULL;
	a->nadd = 0;
	a->to_kg_new = false;
	goto out;
nomem:
	if (err && err[0] == '\0')
		errf(err, errlen, -ENOMEM, "out of memory");
	r = -ENOMEM;
out:
	ostream_free(sys, a->new_priv);
	for (uint32_t i = 0; i < a->nadd; i++)
		ostream_free(sys, a->add[i]);
	if (a->to_kg_new)
		kg_free(sys, a->to_kg);
	rte_free(a->add);
	rte_free(a->dead);
	explicit_bzero(&in, sizeof(in));
	explicit_bzero(&out, sizeof(out));
	explicit_bzero(&a->m, sizeof(a->m)); /* it may carry keys */
	conf_cmd_put(c);
	return r;
}

/* ---- the worker's side of commands ------------------------------------------------------- */

static void
conf_cmd_exec(struct mxp_conf_worker *w, struct mxp_conf_cmd *c)
{
	switch (c->type) {
	case CONF_CMD_CONF_ADD: cmd_conf_add(w, c); break;
	case CONF_CMD_CONF_DEL: cmd_conf_del(w, c); break;
	case CONF_CMD_FLOOR: cmd_conf_floor(w, c); break;
	case CONF_CMD_TOPN: cmd_conf_set(w, c); break;
	case CONF_CMD_LEG_ADD: cmd_leg_add(w, c); break;
	case CONF_CMD_LEG_DEL: cmd_leg_del(w, c); break;
	case CONF_CMD_LEG_MOD: cmd_leg_mod(w, c); break;
	}
}

/* ---- snapshots -------------------------------------------------------------------------------- */
/* Counters are read while the owner worker updates them (aligned 64-bit loads). */

int
mxp_conf_get(struct mxp_conf_sys *sys, uint32_t id, struct mxp_conf_info *info)
{
	struct mxp_conf_ctl *cc = find_conf(sys, id);
	if (cc == NULL)
		return -ENOENT;
	struct mxp_conf *cf = cc->conf;
	memset(info, 0, sizeof(*info));
	info->id = cf->id;
	info->mode = (enum mxp_conf_mode)cf->mode;
	info->topn = cf->topn;
	info->worker = cf->worker;
	info->floor = cf->floor ? cf->floor->id : 0;
	if (cf->mixer) {
		struct mxp_media_mixer_stats ms;
		mxp_media_mixer_stats_get(cf->mixer, &ms);
		info->mix_ticks = ms.ticks;
		info->mix_late_ticks = ms.late_ticks;
		info->mix_talker_changes = ms.talker_changes;
	}
	info->nlegs = cf->nlegs;
	info->nkeygroups = cf->nkgs;
	info->rx_pkts = cf->rx_pkts;
	info->tx_pkts = cf->tx_pkts;
	info->created_ms = cf->created_ms;
	snprintf(info->name, sizeof(info->name), "%s", cf->name);
	struct mxp_keygroup *kg;
	info->encryptions = cf->enc_gone;
	info->decryptions = cf->dec_gone;
	TAILQ_FOREACH(kg, &cf->kgs, next)
		info->encryptions += kg->encryptions;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cf->legs, in_conf)
		if (l->in) {
			struct mxp_srtp_stats st;
			mxp_srtp_ctx_stats(l->in, &st);
			info->decryptions += st.decryptions;
		}
	return 0;
}

int
mxp_conf_leg_get(struct mxp_conf_sys *sys, uint32_t leg_id, struct mxp_leg_info *info)
{
	struct mxp_leg_ctl *lc = find_leg(sys, leg_id);
	if (lc == NULL)
		return -ENOENT;
	struct mxp_leg *l = lc->leg;
	memset(info, 0, sizeof(*info));
	info->id = l->id;
	info->conf_id = l->conf->id;
	info->keygroup_id = l->kg->id;
	info->port_idx = l->port_idx;
	info->local = l->local_ip;
	info->local_port = l->local_port;
	info->local_rtcp_port = l->local_rtcp_port;
	info->remote_known = l->remote_known;
	info->remote = l->remote_ip;
	info->remote_port = l->remote_port;
	info->remote_rtcp_port = l->remote_rtcp_port;
	info->rtcp_mux = l->rtcp_mux;
	info->strict = l->strict;
	info->plain = l->plain;
	info->muted = l->muted;
	info->mode = (enum mxp_stream_mode)l->mode;
	snprintf(info->label, sizeof(info->label), "%s", l->label);
	info->st = l->st;
	if (l->ml) {
		struct mxp_media_leg_stats ms;
		mxp_media_leg_stats_get(l->ml, &ms);
		info->st.jb_depth_ms = ms.depth_ms;
		info->st.jb_late = ms.rx[MXP_MEDIA_RX_LATE];
		info->st.jb_lost = ms.lost;
		info->st.concealed = ms.concealed;
	}
	info->out_active = -1;
	if (!l->plain) {
		info->in_suite = lc->in.key[0].suite;
		info->out_suite = lc->out.key[0].suite;
		info->n_in_keys = lc->in.nkeys;
		info->n_out_keys = lc->out.nkeys;
		for (unsigned int i = 0; i < lc->in.nkeys; i++) {
			key_fp(&lc->in.key[i], info->in_keys[i].fp);
			memcpy(info->in_keys[i].mki, lc->in.key[i].mki, MXP_SRTP_MAX_MKI_LEN);
			info->in_keys[i].mki_len = lc->in.key[i].mki_len;
			info->in_keys[i].lifetime = lc->in.key[i].lifetime;
		}
		for (unsigned int i = 0; i < lc->out.nkeys; i++) {
			key_fp(&lc->out.key[i], info->out_keys[i].fp);
			memcpy(info->out_keys[i].mki, lc->out.key[i].mki, MXP_SRTP_MAX_MKI_LEN);
			info->out_keys[i].mki_len = lc->out.key[i].mki_len;
			info->out_keys[i].lifetime = lc->out.key[i].lifetime;
		}
		info->out_active = (int8_t)lc->out.active;
		struct mxp_srtp_stream_info si;
		mxp_srtp_ctx_stream_info(l->in, &si);
		info->st.ssrc = si.ssrc;
		info->st.ssrc_known = si.ssrc_known;
		struct mxp_srtp_stats st;
		mxp_srtp_ctx_stats(l->in, &st);
		info->st.auth_failures = st.drops[MXP_SRTP_R_AUTH];
		info->st.replays = st.drops[MXP_SRTP_R_REPLAY];
		info->st.too_old = st.drops[MXP_SRTP_R_TOO_OLD];
	}
	return 0;
}

uint32_t
mxp_conf_list(struct mxp_conf_sys *sys, uint32_t *ids, uint32_t max)
{
	uint32_t n = 0, it = 0;
	const void *key;
	void *data;
	while (rte_hash_iterate(sys->confs, &key, &data, &it) >= 0) {
		if (n < max)
			ids[n] = *(const uint32_t *)key;
		n++;
	}
	/* ascending */
	uint32_t m = n < max ? n : max;
	for (uint32_t i = 1; i < m; i++)
		for (uint32_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint32_t t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	return n;
}

int
mxp_conf_legs(struct mxp_conf_sys *sys, uint32_t conf_id, uint32_t *ids, uint32_t max)
{
	struct mxp_conf_ctl *cc = find_conf(sys, conf_id);
	if (cc == NULL)
		return -ENOENT;
	uint32_t n = 0;
	struct mxp_leg *l;
	TAILQ_FOREACH(l, &cc->conf->legs, in_conf) {
		if (n < max)
			ids[n] = l->id;
		n++;
	}
	return (int)n;
}

int
mxp_conf_keygroups(struct mxp_conf_sys *sys, uint32_t conf_id, struct mxp_keygroup_info *out,
		   uint32_t max)
{
	struct mxp_conf_ctl *cc = find_conf(sys, conf_id);
	if (cc == NULL)
		return -ENOENT;
	uint32_t n = 0;
	struct mxp_keygroup *kg;
	TAILQ_FOREACH(kg, &cc->conf->kgs, next) {
		if (n < max) {
			struct mxp_keygroup_info *k = &out[n];
			memset(k, 0, sizeof(*k));
			k->id = kg->id;
			memcpy(k->fingerprint, kg->fp, sizeof(k->fingerprint));
			k->members = kg->nmembers;
			k->streams = kg->nstreams;
			k->encryptions = kg->encryptions;
			k->sent = kg->sent;
		}
		n++;
	}
	return (int)n;
}

void
mxp_conf_sys_destroy(struct mxp_conf_sys *sys)
{
	if (sys == NULL)
		return;
	if (sys->confs) {
		uint32_t ids[256];
		uint32_t n;
		/* Workers are stopped: commands run inline. */
		sys->p.inline_workers = true;
		while ((n = mxp_conf_list(sys, ids, RTE_DIM(ids))) > 0) {
			uint32_t m = n < RTE_DIM(ids) ? n : RTE_DIM(ids);
			for (uint32_t i = 0; i < m; i++)
				mxp_conf_destroy(sys, ids[i], NULL, 0);
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
	for (uint16_t i = 0; i < MXP_CONF_MAX_PORTS * 2; i++)
		rte_free(sys->addr[i].table);
	rte_hash_free(sys->confs);
	rte_hash_free(sys->legs);
	rte_hash_free(sys->ssrcs);
	rte_free(sys->rcu);
	rte_free(sys);
}
