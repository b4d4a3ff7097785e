/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keys, key groups and output streams (control core; the receiver-array changes at the end
 * run on the worker, inside commands).
 *
 * A key group is the set of legs of a conference whose outbound master key is the same: the
 * group's streams are encrypted once and replicated to its receivers, kept in a dense array
 * of receiver entries (struct conf_rcv) that replication walks front to back. Every output
 * stream under one master key has its own SSRC (RFC 3711 9.1), drawn from a table of the
 * SSRCs in use per key.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <rte_malloc.h>
#include <rte_random.h>

#include "conf_priv.h"
#include "mxp_srtp_sdes.h"

/* ---- keys ------------------------------------------------------------------------------------- */

int
mxp_conf_keys_add_sdes(struct mxp_conf_keys *ks, const struct mxp_sdes_crypto *c, bool outbound,
		       char *err, size_t errlen)
{
	if (outbound && c->unencrypted_srtcp)
		return conf_errf(err, errlen, -EINVAL,
				 "UNENCRYPTED_SRTCP: the mixer never sends RTCP in the clear on an SRTP leg");
	if (ks->nkeys + c->nkeys > MXP_SRTP_MAX_KEYS)
		return conf_errf(err, errlen, -ENOSPC, "more than %d keys for one direction",
				 MXP_SRTP_MAX_KEYS);
	if (c->kdr_present)
		return conf_errf(err, errlen, -ENOTSUP,
				 "KDR (key derivation rate) is not supported: a key's session keys "
				 "are derived once and shared by every stream under it");
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

int
conf_check_keys(const struct mxp_conf_keys *ks, const char *dir, char *err, size_t errlen)
{
	if (ks->nkeys == 0)
		return conf_errf(err, errlen, -EINVAL, "%s: no SRTP key (give an a=crypto line)", dir);
	if (ks->nkeys > MXP_SRTP_MAX_KEYS)
		return conf_errf(err, errlen, -EINVAL, "%s: more than %d keys", dir,
				 MXP_SRTP_MAX_KEYS);
	if (ks->active >= ks->nkeys)
		return conf_errf(err, errlen, -EINVAL, "%s: active key %u does not exist", dir,
				 ks->active);
	if (ks->kdr)
		return conf_errf(err, errlen, -ENOTSUP,
				 "%s: KDR (key derivation rate) is not supported", dir);
	for (unsigned int i = 0; i < ks->nkeys; i++) {
		const struct mxp_conf_key *k = &ks->key[i];
		if (mxp_srtp_suite_info(k->suite) == NULL)
			return conf_errf(err, errlen, -EINVAL, "%s key %u: unsupported suite", dir,
					 i + 1);
		if (k->suite != ks->key[0].suite)
			return conf_errf(err, errlen, -EINVAL,
					 "%s key %u: every key of a direction must use the same suite",
					 dir, i + 1);
		if (k->mki_len > MXP_SRTP_MAX_MKI_LEN || k->mki_len != ks->key[0].mki_len)
			return conf_errf(err, errlen, -EINVAL,
					 "%s key %u: MKI lengths must be equal (RFC 4568 6.1)", dir,
					 i + 1);
		if (ks->nkeys > 1 && k->mki_len == 0)
			return conf_errf(err, errlen, -EINVAL, "%s: several keys need an MKI each",
					 dir);
		for (unsigned int j = 0; j < i; j++)
			if (k->mki_len && !memcmp(k->mki, ks->key[j].mki, k->mki_len))
				return conf_errf(err, errlen, -EINVAL,
						 "%s: MKI of key %u repeats key %u", dir, i + 1, j + 1);
	}
	return 0;
}

static void
digest(const struct mxp_conf_key *k, bool with_mki, uint8_t out[32])
{
	uint8_t buf[1 + MXP_SRTP_MAX_KEY_LEN + MXP_SRTP_MAX_SALT_LEN + 1 + MXP_SRTP_MAX_MKI_LEN];
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(k->suite);
	unsigned int n = 0;
	buf[n++] = (uint8_t)k->suite;
	memcpy(buf + n, k->key, si->key_len);
	n += si->key_len;
	memcpy(buf + n, k->salt, si->salt_len);
	n += si->salt_len;
	if (with_mki) {
		buf[n++] = k->mki_len;
		memcpy(buf + n, k->mki, k->mki_len);
		n += k->mki_len;
	}
	unsigned int olen = 32;
	EVP_Digest(buf, n, out, &olen, EVP_sha256(), NULL);
	explicit_bzero(buf, sizeof(buf));
}

uint64_t
conf_key_id(const struct mxp_conf_key *k)
{
	uint8_t d[32];
	uint64_t id;
	digest(k, false, d);
	memcpy(&id, d, sizeof(id));
	return id;
}

void
conf_group_digest(const struct mxp_conf_key *k, uint8_t out[32])
{
	/* legs given one key with different MKIs must not share what is sent: the MKI is in
	 * every packet */
	digest(k, true, out);
}

void
conf_key_fp(const struct mxp_conf_key *k, char fp[9])
{
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(k->suite);
	if (si == NULL || mxp_srtp_key_fingerprint(k->key, si->key_len, k->salt, si->salt_len, fp))
		snprintf(fp, 9, "--------");
}

/* ---- key sessions and streams ------------------------------------------------------------------- */

struct mxp_srtp_key *
conf_key_new(struct mxp_conf_sys *sys, const struct mxp_conf_key *k, int *rc, char *err,
	     size_t errlen)
{
	size_t sz = mxp_srtp_key_size(k->suite, sys->p.srtp_driver);
	if (sz == 0) {
		*rc = conf_errf(err, errlen, -ENOTSUP,
				"the SRTP driver does not support the key's suite");
		return NULL;
	}
	struct mxp_srtp_key *ks = rte_zmalloc("mxp_srtp_key", sz, MXP_SRTP_KEY_ALIGN);
	if (ks == NULL) {
		*rc = conf_errf(err, errlen, -ENOMEM, "out of memory for a key session");
		return NULL;
	}
	struct mxp_srtp_key_params kp = {
		.suite = k->suite,
		.driver = sys->p.srtp_driver,
		.key = k->key,
		.salt = k->salt,
		.mki = k->mki,
		.mki_len = k->mki_len,
		.lifetime = k->lifetime,
	};
	*rc = mxp_srtp_key_init(ks, &kp, err, errlen);
	if (*rc != 0) {
		explicit_bzero(ks, sz);
		rte_free(ks);
		return NULL;
	}
	sys->mem.keys++;
	sys->mem.key_bytes += sz;
	return ks;
}

void
conf_key_put(struct mxp_conf_sys *sys, struct mxp_srtp_key *ks, enum mxp_srtp_suite suite)
{
	if (ks == NULL || !mxp_srtp_key_put(ks))
		return;
	mxp_srtp_key_fini(ks); /* wipes the session keys */
	rte_free(ks);
	sys->mem.keys--;
	sys->mem.key_bytes -= mxp_srtp_key_size(suite, sys->p.srtp_driver);
}

struct mxp_srtp_stream *
conf_in_stream_new(struct mxp_conf_sys *sys, uint32_t window, const struct mxp_leg_rx_state *from,
		   char *err, size_t errlen)
{
	size_t sz = mxp_srtp_stream_size(window);
	struct mxp_srtp_stream *s = sz ? rte_zmalloc("mxp_srtp_stream", sz, MXP_SRTP_STREAM_ALIGN)
				      : NULL;
	if (s == NULL) {
		conf_errf(err, errlen, -ENOMEM, "out of memory for an SRTP stream");
		return NULL;
	}
	struct mxp_srtp_stream_params sp = { .dir = MXP_SRTP_INBOUND, .ssrc_learn = true,
					     .replay_window = window };
	if (from != NULL && from->valid) {
		/* the participant's stream goes on: its SSRC (another one is a new stream,
		 * refused and reported as ssrc_mismatch as on any leg that has learned one),
		 * its index, and nothing of the window before it may be replayed */
		sp.ssrc_learn = false;
		sp.ssrc = from->ssrc;
		sp.roc = from->roc;
		sp.s_l_valid = true;
		sp.s_l = from->s_l;
		sp.window_seen = true;
	}
	if (from != NULL && from->srtcp_valid) {
		/* and its SRTCP: nothing sent before can be replayed either (under its SSRC,
		 * known even if only SRTCP came) */
		sp.ssrc_learn = false;
		sp.ssrc = from->ssrc;
		sp.srtcp_seen = true;
		sp.srtcp_index = from->srtcp_index;
	}
	if (mxp_srtp_stream_init(s, &sp, err, errlen) != 0) {
		rte_free(s);
		return NULL;
	}
	sys->mem.srtp_streams++;
	sys->mem.srtp_bytes += sz;
	return s;
}

void
conf_in_stream_free(struct mxp_conf_sys *sys, struct mxp_srtp_stream *s)
{
	if (s == NULL)
		return;
	struct mxp_srtp_stream_info si;
	mxp_srtp_stream_info(s, &si);
	size_t sz = mxp_srtp_stream_size(si.replay_window);
	mxp_srtp_stream_fini(s);
	rte_free(s);
	sys->mem.srtp_streams--;
	sys->mem.srtp_bytes -= sz;
}

/* ---- output streams and SSRCs ----------------------------------------------------------------- */

struct ssrc_key {
	uint64_t key_id;
	uint32_t ssrc;
} __attribute__((packed));

/* A random SSRC no other stream under this master key has, registered; 0 if the table
 * is full. */
static uint32_t
ssrc_alloc(struct mxp_conf_sys *sys, uint64_t key_id)
{
	struct ssrc_key k;
	k.key_id = key_id;
	for (unsigned int tries = 0; tries < 64; tries++) {
		k.ssrc = (uint32_t)rte_rand();
		if (k.ssrc == 0)
			continue;
		if (rte_hash_lookup(sys->ssrcs, &k) >= 0)
			continue;
		return rte_hash_add_key(sys->ssrcs, &k) >= 0 ? k.ssrc : 0;
	}
	return 0;
}

static void
ssrc_release(struct mxp_conf_sys *sys, uint64_t key_id, uint32_t ssrc)
{
	struct ssrc_key k;
	k.key_id = key_id;
	k.ssrc = ssrc;
	rte_hash_del_key(sys->ssrcs, &k);
}

void
conf_ostream_free(struct mxp_conf_sys *sys, struct mxp_ostream *os)
{
	if (os == NULL)
		return;
	if (os->kg && os->ssrc_reg) {
		ssrc_release(sys, os->kg->key_id, os->ssrc_reg);
		/* moved by the worker to its group's spare: registered too */
		if (os->ssrc != os->ssrc_reg)
			ssrc_release(sys, os->kg->key_id, os->ssrc);
	}
	if (os->s) {
		mxp_srtp_stream_fini(os->s);
		conf_key_put(sys, os->kg->ks, (enum mxp_srtp_suite)os->kg->suite);
	}
	conf_pool_put(&sys->os_pool, os); /* the SRTP stream is part of the object */
}

struct mxp_ostream *
conf_ostream_new(struct mxp_conf_sys *sys, struct mxp_keygroup *kg, struct mxp_leg *src, char *err,
		 size_t errlen)
{
	struct mxp_ostream *os = conf_pool_get(&sys->os_pool);
	if (os == NULL)
		return NULL;
	os->kg = kg;
	os->src = src;
	os->ssrc = os->ssrc_reg = ssrc_alloc(sys, kg->key_id);
	if (os->ssrc == 0) {
		conf_errf(err, errlen, -ENOSPC, "no output SSRC left under the key");
		conf_pool_put(&sys->os_pool, os);
		return NULL;
	}
	os->seq = (uint16_t)rte_rand();
	if (!kg->plain) {
		/* the stream refers to the group's key session: nothing is derived here */
		struct mxp_srtp_stream *st = (struct mxp_srtp_stream *)(os + 1);
		struct mxp_srtp_stream_params sp = { .dir = MXP_SRTP_OUTBOUND, .ssrc = os->ssrc,
						     .replay_window = MXP_SRTP_REPLAY_WINDOW_MIN };
		if (mxp_srtp_stream_init(st, &sp, err, errlen) != 0 ||
		    mxp_srtp_stream_key_add(st, kg->ks) != 0) {
			conf_ostream_free(sys, os);
			return NULL;
		}
		os->s = st;
		mxp_srtp_key_get(kg->ks);
	}
	return os;
}

/* ---- key groups ------------------------------------------------------------------------------- */

struct mxp_keygroup *
conf_kg_find(struct mxp_conf *cf, const uint8_t digest[32])
{
	struct mxp_keygroup *kg;
	TAILQ_FOREACH(kg, &cf->kgs, next)
		if (memcmp(kg->digest, digest, 32) == 0)
			return kg;
	return NULL;
}

/* Receiver arrays grow by a quarter (a conference of individual keys has groups of one). */
#define RCV_MIN 1

static struct conf_rcv *
rcv_alloc(struct mxp_conf_sys *sys, uint32_t cap)
{
	struct conf_rcv *r = rte_zmalloc("mxp_rcv", (size_t)cap * sizeof(*r), RTE_CACHE_LINE_SIZE);
	if (r)
		sys->mem.rcv_bytes += (uint64_t)cap * sizeof(*r);
	return r;
}

static void
rcv_free(struct mxp_conf_sys *sys, struct conf_rcv *r, uint32_t cap)
{
	if (r == NULL)
		return;
	explicit_bzero(r, (size_t)cap * sizeof(*r));
	rte_free(r);
	sys->mem.rcv_bytes -= (uint64_t)cap * sizeof(*r);
}

struct mxp_keygroup *
conf_kg_new(struct mxp_conf_sys *sys, struct mxp_conf *cf, const struct conf_kmeta *k)
{
	struct mxp_keygroup *kg = conf_pool_get(&sys->kg_pool);
	if (kg == NULL)
		return NULL;
	kg->id = sys->next_kg_id++;
	kg->plain = k == NULL;
	if (kg->plain) {
		memset(kg->digest, 0, 32);
		snprintf(kg->fp, sizeof(kg->fp), "plain");
	} else {
		memcpy(kg->digest, k->gdigest, 32);
		kg->key_id = k->key_id;
		memcpy(kg->fp, k->fp, sizeof(kg->fp));
		kg->suite = k->suite;
		kg->lifetime = k->lifetime;
		kg->mki_len = k->mki_len;
		memcpy(kg->mki, k->mki, k->mki_len);
		/* forward mode relays the senders' packets as they are: nothing to encrypt */
		if (cf->mode != MXP_CONF_FORWARD && k->ks != NULL)
			kg->ks = mxp_srtp_key_get(k->ks);
		conf_kg_spare(sys, kg);
	}
	TAILQ_INIT(&kg->streams);
	kg->rcv_cap = RCV_MIN;
	kg->rcv = rcv_alloc(sys, kg->rcv_cap);
	if (kg->rcv == NULL || (cf->mode != MXP_CONF_FORWARD && !kg->plain && kg->ks == NULL)) {
		conf_kg_free(sys, kg);
		return NULL;
	}
	return kg;
}

/* ---- a leg's keys, as the control core keeps them ----------------------------------------- */

static size_t
kset_size(unsigned int n)
{
	return sizeof(struct conf_kset) + n * sizeof(struct conf_kmeta);
}

struct conf_kset *
conf_kset_new(struct mxp_conf_sys *sys, unsigned int nin, unsigned int nout)
{
	unsigned int n = nin + nout;
	if (n == 0 || n > CONF_KSET_MAX)
		return NULL;
	struct conf_pool *p = &sys->kset_pool[n - 1];
	if (p->size == 0)
		conf_pool_init(p, "mxp_keysets", kset_size(n));
	struct conf_kset *s = conf_pool_get(p);
	if (s != NULL) {
		s->nin = (uint8_t)nin;
		s->nout = (uint8_t)nout;
	}
	return s;
}

void
conf_kset_free(struct mxp_conf_sys *sys, struct conf_kset *s, bool put)
{
	if (s == NULL)
		return;
	unsigned int n = s->nin + s->nout;
	for (unsigned int i = 0; put && i < n; i++)
		conf_key_put(sys, s->k[i].ks, s->k[i].suite);
	conf_pool_put(&sys->kset_pool[n - 1], s);
}

int
conf_kmeta_fill(struct mxp_conf_sys *sys, struct conf_kmeta *m, const struct mxp_conf_key *k,
		bool with_ks, struct mxp_srtp_key *share, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	m->lifetime = k->lifetime;
	conf_group_digest(k, m->gdigest);
	m->key_id = conf_key_id(k);
	memcpy(m->mki, k->mki, k->mki_len);
	m->mki_len = k->mki_len;
	m->suite = (uint8_t)k->suite;
	conf_key_fp(k, m->fp);
	if (!with_ks)
		return 0;
	if (share != NULL) {
		m->ks = mxp_srtp_key_get(share);
		return 0;
	}
	int rc = 0;
	m->ks = conf_key_new(sys, k, &rc, err, errlen);
	return m->ks ? 0 : rc;
}

void
conf_kset_shape(const struct conf_kset *s, bool out, struct mxp_conf_keys *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->nkeys = out ? s->nout : s->nin;
	ks->active = out ? s->out_active : 0;
	for (unsigned int i = 0; i < ks->nkeys; i++) {
		const struct conf_kmeta *m = out ? conf_kout(s, i) : conf_kin(s, i);
		ks->key[i].suite = (enum mxp_srtp_suite)m->suite;
		ks->key[i].mki_len = m->mki_len;
		memcpy(ks->key[i].mki, m->mki, m->mki_len);
		ks->key[i].lifetime = m->lifetime;
	}
}

void
conf_kg_spare(struct mxp_conf_sys *sys, struct mxp_keygroup *kg)
{
	if (kg->plain || __atomic_load_n(&kg->spare_ssrc, __ATOMIC_ACQUIRE) != 0)
		return;
	uint32_t s = ssrc_alloc(sys, kg->key_id);
	__atomic_store_n(&kg->spare_ssrc, s, __ATOMIC_RELEASE);
}

void
conf_kg_free(struct mxp_conf_sys *sys, struct mxp_keygroup *kg)
{
	if (kg == NULL)
		return;
	if (kg->spare_ssrc)
		ssrc_release(sys, kg->key_id, kg->spare_ssrc);
	conf_mix_kg_free(sys, kg);
	rcv_free(sys, kg->rcv, kg->rcv_cap);
	conf_key_put(sys, kg->ks, (enum mxp_srtp_suite)kg->suite);
	conf_pool_put(&sys->kg_pool, kg);
}

/* ---- receiver arrays -------------------------------------------------------------------------- */

int
conf_rcv_reserve(struct mxp_conf_sys *sys, struct mxp_keygroup *kg, struct conf_rcv_grow *g)
{
	memset(g, 0, sizeof(*g));
	if (kg->nrcv < kg->rcv_cap)
		return 0;
	g->cap = kg->rcv_cap + kg->rcv_cap / 4 + 1;
	g->arr = rcv_alloc(sys, g->cap);
	if (g->arr == NULL)
		return -ENOMEM;
	g->kg = kg;
	return 0;
}

void
conf_rcv_grow_apply(struct conf_rcv_grow *g)
{
	if (g->kg == NULL)
		return;
	struct mxp_keygroup *kg = g->kg;
	struct conf_rcv *old = kg->rcv;
	uint32_t oldcap = kg->rcv_cap;
	memcpy(g->arr, old, (size_t)kg->nrcv * sizeof(*old));
	kg->rcv = g->arr;
	kg->rcv_cap = g->cap;
	g->arr = old; /* the control core frees it after the command */
	g->cap = oldcap;
}

void
conf_rcv_grow_done(struct mxp_conf_sys *sys, struct conf_rcv_grow *g)
{
	if (g->kg != NULL)
		rcv_free(sys, g->arr, g->cap);
	memset(g, 0, sizeof(*g));
}

/* The entry's template and flags from the leg's addressing and mode. */
void
conf_rcv_refresh(struct mxp_leg *l)
{
	struct conf_rcv *e = conf_leg_rcv(l);
	struct mxp_ip remote = conf_leg_remote(l);
	struct mxp_pkt_udp_addr a = { .src_mac = l->src_mac, .src = l->local_ip, .dst = remote,
				      .sport = l->local_port, .dport = l->remote_port };
	mxp_pkt_udp_tmpl_init(&e->t, &a);
	e->mac_gen = 0; /* the next copy resolves the next hop */
	e->leg = l;
	e->port_idx = l->port_idx;
	e->codec = l->out_codec;
	e->flags = (uint8_t)((e->flags & RCV_TALKER) |
			     (mxp_stream_mode_receives(l->mode) && (l->flags & LEG_REMOTE_KNOWN)
				      ? RCV_ON
				      : 0));
}

void
conf_rcv_join(struct mxp_keygroup *kg, struct mxp_leg *l)
{
	/* the control core made room beforehand (conf_rcv_reserve) */
	struct conf_rcv *e = &kg->rcv[kg->nrcv];
	memset(e, 0, sizeof(*e));
	l->kg = kg;
	l->rcv_idx = kg->nrcv++;
	conf_rcv_refresh(l);
	kg->nrecv += mxp_stream_mode_receives(l->mode);
}

void
conf_rcv_leave(struct mxp_leg *l)
{
	struct mxp_keygroup *kg = l->kg;
	struct conf_rcv *e = conf_leg_rcv(l);
	/* what it was sent so far stays the leg's */
	l->st.tx_pkts += e->tx_pkts;
	l->st.tx_bytes += e->tx_bytes;
	l->st.rtcp_tx += e->rtcp_tx;
	kg->nrecv -= mxp_stream_mode_receives(l->mode);
	uint32_t last = --kg->nrcv;
	if (l->rcv_idx != last) {
		*e = kg->rcv[last];
		e->leg->rcv_idx = l->rcv_idx;
	}
	memset(&kg->rcv[last], 0, sizeof(kg->rcv[last]));
	l->rcv_idx = UINT32_MAX; /* no entry until it joins a group again */
}
