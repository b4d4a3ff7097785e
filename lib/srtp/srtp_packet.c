/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The SRTP/SRTCP packet path over plain buffers (RFC 3711 3.3 and 3.4, RFC 7714 8-9).
 *
 * The packets of a call belong to streams (contexts run theirs). A call is cut into chunks
 * of up to CHUNK packets whose streams share a crypto driver. A chunk
 * runs in phases, so that the driver sees whole arrays and intel-ipsec-mb fills its lanes:
 *
 *   protect:    prepare (parse, index, replay/reuse check and commit, key usage, IV,
 *               ROC or E|index trailer)  ->  AES-CM then HMAC, or GCM  ->  write MKI, tag
 *   unprotect:  prepare (parse, index estimate, replay check, MKI, key usage, IV)
 *               ->  HMAC (or GCM decrypt/tag)  ->  in packet order: constant-time tag
 *               compare, re-check the window, commit ROC/window/usage  ->  AES-CM decrypt
 *               of the packets that passed
 *
 * The window is re-checked at commit, so two copies of one packet in one chunk are caught.
 * A packet whose key must be re-derived (key derivation rate: contexts only) is finished
 * after its chunk, one at a time, with the same functions.
 *
 * Key usage is counted in the key session, for every stream that uses it (RFC 3711 9.2 and
 * the RFC 4568 lifetime are per master key); its limits stop every such stream.
 *
 * Trailers (RFC 3711 figure 1/2, RFC 7714 figure 1/2; libsrtp agrees):
 *   SRTP  HMAC: hdr | payload | MKI | tag          GCM: hdr | payload | tag | MKI
 *   SRTCP HMAC: hdr | payload | E+index | MKI | tag
 *         GCM:  hdr | payload | tag | E+index | MKI
 */
#include "srtp_priv.h"

#define CHUNK 32

#define M_PROTECT SRTP_M_PROTECT
#define M_UNPROTECT SRTP_M_UNPROTECT
#define M_VERIFY SRTP_M_VERIFY

struct job {
	struct mxp_crypto_op op; /* first: the driver sees &job->op */
	struct mxp_srtp_stream *s;
	struct mxp_srtp_key *k;
	struct mxp_srtp_pkt *pkt;
	uint64_t index;
	uint32_t plen;            /* RTP/RTCP length without trailer */
	uint32_t hlen;            /* RTP header length (AAD for GCM) */
	uint32_t ssrc;
	uint32_t eidx;            /* SRTCP: E flag | index as on the wire */
	uint16_t pi;              /* position in the call */
	bool defer;
	bool aead;
	uint8_t saved[4];         /* bytes under the ROC / E|index written for the MAC */
	uint8_t rxtag[16];        /* copy of the received tag, taken before the packet is
				   written (SRTP HMAC: avoids a store-forwarding stall) */
	uint8_t aad[12];          /* SRTCP GCM with E=1: first 8 bytes || E|index */
};

/* --- small pieces ---------------------------------------------------------------------- */

/* RTP header length (12 + CSRCs + extension), or 0 if not a V=2 header within len. */
static inline uint32_t
rtp_hlen(const uint8_t *p, uint32_t len)
{
	if (len < 12 || (p[0] & 0xc0) != 0x80)
		return 0;
	uint32_t h = 12 + 4u * (p[0] & 0x0f);
	if (p[0] & 0x10) {
		if (h + 4 > len)
			return 0;
		h += 4 + 4u * mxp_be_rd16(p + h + 2);
	}
	return h <= len ? h : 0;
}

/* AES-CM IV: (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16). */
static inline void
iv_cm(uint8_t iv[16], const uint8_t salt[16], uint32_t ssrc, uint64_t index)
{
	mxp_be_wr64(iv, mxp_be_rd64(salt) ^ ssrc);
	mxp_be_wr64(iv + 8, mxp_be_rd64(salt + 8) ^ (index << 16));
}

/* GCM IV: salt XOR (00 00 | SSRC | hi16 | lo32): SRTP: hi16:lo32 = ROC:SEQ (48-bit index);
 * SRTCP: 00 00 | 0:index31. */
static inline void
iv_gcm(uint8_t iv[16], const uint8_t salt[16], uint32_t ssrc, uint64_t index48)
{
	mxp_be_wr64(iv, mxp_be_rd64(salt) ^ ((uint64_t)ssrc << 16 | (index48 >> 32 & 0xffff)));
	mxp_be_wr32(iv + 8, mxp_be_rd32(salt + 8) ^ (uint32_t)index48);
	mxp_be_wr32(iv + 12, 0);
}

/* Key for an inbound packet: by MKI, or the single key. */
static inline struct mxp_srtp_key *
key_for_mki(struct mxp_srtp_stream *s, const uint8_t *mki)
{
	if (s->mki_len == 0)
		return s->active >= 0 ? s->keys[s->active] : NULL;
	for (int i = 0; i < MXP_SRTP_MAX_KEYS; i++) {
		struct mxp_srtp_key *k = s->keys[i];
		if (k != NULL && memcmp(k->mki, mki, s->mki_len) == 0)
			return k;
	}
	return NULL;
}

/* A key's usage reached its next threshold: raise the events on the key session. */
static __attribute__((noinline)) void
key_event(struct mxp_srtp_key *k, bool rtcp, uint64_t u)
{
	uint64_t soft = rtcp ? k->srtcp_soft : k->srtp_soft;
	uint64_t lim = rtcp ? k->srtcp_limit : k->srtp_limit;
	if (u >= soft && !k->soft) {
		__atomic_store_n(&k->soft, true, __ATOMIC_RELAXED);
		srtp_event(&k->events, MXP_SRTP_EV_KEY_SOFT);
	}
	if (u >= lim) {
		__atomic_store_n(&k->exhausted, true, __ATOMIC_RELAXED);
		srtp_event(&k->events, MXP_SRTP_EV_KEY_EXHAUSTED);
	}
	/* next use that needs a look: the soft threshold if still ahead, else the limit */
	uint64_t next = (u < soft) ? soft : (u < lim ? lim : UINT64_MAX);
	if (rtcp)
		k->srtcp_next_ev = next;
	else
		k->srtp_next_ev = next;
}

/*
 * Count one use of a key; one compare, events at the soft threshold and the limit. The
 * count is the key session's, every stream together; one worker writes it, the control
 * thread may read it (relaxed atomic load and store: plain moves on x86).
 */
static inline void
key_use(struct mxp_srtp_key *k, bool rtcp)
{
	uint64_t *used = rtcp ? &k->srtcp_used : &k->srtp_used;
	uint64_t u = __atomic_load_n(used, __ATOMIC_RELAXED) + 1;
	__atomic_store_n(used, u, __ATOMIC_RELAXED);
	if (MXP_UNLIKELY(u >= (rtcp ? k->srtcp_next_ev : k->srtp_next_ev)))
		key_event(k, rtcp, u);
}

static inline bool
key_spent(const struct mxp_srtp_key *k, bool rtcp)
{
	return rtcp ? k->srtcp_used >= k->srtcp_limit : k->srtp_used >= k->srtp_limit;
}

/* Index DIV kdr for a key of a context with a key derivation rate. */
static inline uint64_t
kdr_r(const struct mxp_srtp_key *k, uint64_t index)
{
	return index >> k->kdr_log2;
}

/* --- prepare: per packet, before crypto ------------------------------------------------- */

/* Fill the crypto op of a job from its session keys: the driver key @p ck and the session
 * salt (the IV depends on it). */
static inline __attribute__((always_inline)) void
fill_op(struct job *j, bool rtcp, enum srtp_mode mode, const struct mxp_crypto_key *ck,
	const uint8_t *salt)
{
	struct mxp_crypto_op *op = &j->op;
	uint8_t *p = j->pkt->data;

	op->key = ck;
	op->buf = p;
	if (!rtcp) {
		op->cipher_off = j->hlen;
		op->cipher_len = j->plen - j->hlen;
		if (j->aead) {
			iv_gcm(op->iv, salt, j->ssrc, j->index);
			op->aad = p;
			op->aad_len = j->hlen;
			op->rx_tag = p + j->plen;
		} else {
			iv_cm(op->iv, salt, j->ssrc, j->index);
			/* M = authenticated portion || ROC (RFC 3711 4.2). The ROC goes where
			 * the trailer starts; unprotect saves and restores those bytes. */
			if (mode != M_PROTECT) {
				/* With an MKI the tag may lie under the ROC: keep a copy. Without,
				 * its first 4 bytes are the saved ones (check_commit). */
				if (j->s->mki_len)
					srtp_tag_copy(j->rxtag, p + j->plen + j->s->mki_len,
						      j->s->tag_len);
				memcpy(j->saved, p + j->plen, 4);
			}
			mxp_be_wr32(p + j->plen, (uint32_t)(j->index >> 16));
			op->auth_len = j->plen + 4;
		}
		return;
	}
	bool e = j->eidx >> 31;
	op->cipher_off = 8;
	op->cipher_len = e ? j->plen - 8 : 0;
	if (j->aead) {
		iv_gcm(op->iv, salt, j->ssrc, j->index);
		op->rx_tag = p + j->plen;
		if (e) {
			memcpy(j->aad, p, 8);
			mxp_be_wr32(j->aad + 8, j->eidx);
			op->aad = j->aad;
			op->aad_len = 12;
		} else {
			/* E=0: AAD = whole packet || E|index; make it contiguous in the spot
			 * where the tag goes (RFC 7714 9.2). */
			if (mode != M_PROTECT) {
				memcpy(j->saved, p + j->plen, 4);
				memcpy(j->rxtag, p + j->plen, 16);
				op->rx_tag = j->rxtag;
			}
			mxp_be_wr32(p + j->plen, j->eidx);
			op->aad = p;
			op->aad_len = j->plen + 4;
		}
	} else {
		iv_cm(op->iv, salt, j->ssrc, j->index);
		/* The E|index word is part of the authenticated portion (RFC 3711 3.4). */
		if (mode == M_PROTECT)
			mxp_be_wr32(p + j->plen, j->eidx);
		op->auth_len = j->plen + 4;
	}
}

static inline __attribute__((always_inline)) enum mxp_srtp_reason
prepare(struct mxp_srtp_stream *s, struct mxp_srtp_pkt *pkt, struct job *j, bool rtcp,
	enum srtp_mode mode)
{
	uint8_t *p = pkt->data;
	uint32_t len = pkt->len;
	struct mxp_srtp_key *k;
	uint32_t tag_len = rtcp ? s->rtcp_tag_len : s->tag_len;
	uint32_t trailer = tag_len + s->mki_len + (rtcp ? 4 : 0);
	/* once: the stores into the packet below would make the compiler read it again */
	const uint8_t f = s->flags;

	j->s = s;
	j->pkt = pkt;
	j->aead = f & SF_AEAD;
	j->defer = false;

	if (mode == M_PROTECT) {
		if (MXP_UNLIKELY(!(f & SF_OUT)))
			return MXP_SRTP_R_WRONG_DIR;
		j->plen = len;
		if (!rtcp) {
			j->hlen = rtp_hlen(p, len);
			if (MXP_UNLIKELY(j->hlen == 0))
				return MXP_SRTP_R_BAD_HEADER;
			j->ssrc = mxp_be_rd32(p + 8);
		} else {
			if (MXP_UNLIKELY(len < 8 || (p[0] & 0xc0) != 0x80))
				return MXP_SRTP_R_BAD_HEADER;
			j->ssrc = mxp_be_rd32(p + 4);
		}
		if (MXP_UNLIKELY(j->ssrc != s->ssrc))
			return MXP_SRTP_R_SSRC_MISMATCH;
		if (MXP_UNLIKELY(s->active < 0))
			return MXP_SRTP_R_NO_KEY;
		k = s->keys[s->active];
		if (MXP_UNLIKELY(pkt->room < trailer))
			return MXP_SRTP_R_NO_ROOM;
		if (MXP_UNLIKELY(key_spent(k, rtcp)))
			return MXP_SRTP_R_KEY_EXHAUSTED;
		if (!rtcp) {
			uint64_t idx;
			if (MXP_UNLIKELY(!srtp_estimate_index(s, mxp_be_rd16(p + 2), &idx)))
				return MXP_SRTP_R_TOO_OLD;
			/* Never protect two packets with one index: that reuses keystream. */
			enum mxp_srtp_reason r = srtp_rtp_check(s, idx);
			if (MXP_UNLIKELY(r != MXP_SRTP_R_OK))
				return r;
			srtp_rtp_commit(s, idx);
			j->index = idx;
		} else {
			struct srtp_stream_cold *x = srtp_cold(s);
			if (MXP_UNLIKELY(x->rtcp_idx >= (UINT32_C(1) << 31)))
				return MXP_SRTP_R_KEY_EXHAUSTED;
			j->index = x->rtcp_idx++;
			j->eidx = (uint32_t)j->index | (f & SF_SRTCP_UNENC ? 0 : UINT32_C(1) << 31);
		}
		key_use(k, rtcp);
	} else {
		if (MXP_UNLIKELY(f & SF_OUT))
			return MXP_SRTP_R_WRONG_DIR;
		if (MXP_UNLIKELY(len < (rtcp ? 8u : 12u) + trailer))
			return MXP_SRTP_R_BAD_HEADER;
		uint32_t plen = len - trailer;
		const uint8_t *mki;
		j->plen = plen;
		if (!rtcp) {
			j->hlen = rtp_hlen(p, plen);
			if (MXP_UNLIKELY(j->hlen == 0))
				return MXP_SRTP_R_BAD_HEADER;
			j->ssrc = mxp_be_rd32(p + 8);
			mki = j->aead ? p + plen + tag_len : p + plen;
		} else {
			if (MXP_UNLIKELY((p[0] & 0xc0) != 0x80))
				return MXP_SRTP_R_BAD_HEADER;
			j->ssrc = mxp_be_rd32(p + 4);
			const uint8_t *e = j->aead ? p + plen + tag_len : p + plen;
			j->eidx = mxp_be_rd32(e);
			mki = e + 4;
		}
		/*
		 * Another SSRC under this key: authenticated first (check_commit() then reports
		 * ssrc_mismatch), so that only the key's holder can make the participant look
		 * like it changed its SSRC; a forgery is an authentication failure. Its index is
		 * that of a new stream (ROC 0, RFC 3711 3.3.1) and this stream's replay window
		 * does not apply. With a key derivation rate the check would derive session keys
		 * for another index: such packets are dropped unauthenticated.
		 */
		bool other = MXP_UNLIKELY((f & SF_SSRC_KNOWN) && j->ssrc != s->ssrc);
		if (MXP_UNLIKELY(other && (f & SF_KDR)))
			return srtp_other_ssrc(s, j->ssrc);
		k = key_for_mki(s, mki);
		if (MXP_UNLIKELY(k == NULL))
			return s->mki_len ? MXP_SRTP_R_UNKNOWN_MKI : MXP_SRTP_R_NO_KEY;
		enum mxp_srtp_reason r = MXP_SRTP_R_OK;
		if (!rtcp) {
			if (MXP_UNLIKELY(other))
				j->index = mxp_be_rd16(p + 2);
			else if (MXP_UNLIKELY(!srtp_estimate_index(s, mxp_be_rd16(p + 2), &j->index)))
				return MXP_SRTP_R_TOO_OLD;
			else
				r = srtp_rtp_check(s, j->index);
		} else {
			j->index = j->eidx & 0x7fffffff;
			if (!other)
				r = srtp_rtcp_check(s, j->index);
		}
		if (MXP_UNLIKELY(r != MXP_SRTP_R_OK))
			return r;
		if (MXP_UNLIKELY(key_spent(k, rtcp)))
			return MXP_SRTP_R_KEY_EXHAUSTED;
	}
	j->k = k;
	if (MXP_UNLIKELY(f & SF_KDR) && kdr_r(k, j->index) != k->kdr_r[rtcp]) {
		j->defer = true;
		return MXP_SRTP_R_OK;
	}
	fill_op(j, rtcp, mode, srtp_key_ck(k, rtcp), rtcp ? k->rtcp_salt : k->rtp_salt);
	return MXP_SRTP_R_OK;
}

/* --- after crypto ---------------------------------------------------------------------- */

/* Protect: place MKI and tag (and the SRTCP E|index word), set the new length. */
static inline __attribute__((always_inline)) void
finish_protect(struct job *j, bool rtcp)
{
	struct mxp_srtp_stream *s = j->s;
	uint8_t *t = j->pkt->data + j->plen;
	uint32_t mki_len = s->mki_len;
	const uint8_t *mki = j->k->mki;

	if (!rtcp) {
		if (j->aead) {
			memcpy(t, j->op.tag, 16);
			memcpy(t + 16, mki, mki_len);
		} else {
			memcpy(t, mki, mki_len);
			memcpy(t + mki_len, j->op.tag, s->tag_len);
		}
		j->pkt->len = j->plen + mki_len + s->tag_len;
	} else {
		if (j->aead) {
			memcpy(t, j->op.tag, 16);
			mxp_be_wr32(t + 16, j->eidx);
			memcpy(t + 20, mki, mki_len);
		} else {
			/* E|index is already at t. */
			memcpy(t + 4, mki, mki_len);
			memcpy(t + 4 + mki_len, j->op.tag, s->rtcp_tag_len);
		}
		j->pkt->len = j->plen + 4 + mki_len + s->rtcp_tag_len;
	}
}

/* Unprotect/verify: compare the tag, re-check and commit the replay state. */
static inline __attribute__((always_inline)) enum mxp_srtp_reason
check_commit(struct job *j, bool rtcp, enum srtp_mode mode)
{
	struct mxp_srtp_stream *s = j->s;
	uint8_t *p = j->pkt->data;
	const uint8_t *rx_tag;
	uint64_t diff;

	if (!j->aead) {
		if (!rtcp) {
			if (s->mki_len)
				diff = srtp_tag_diff(j->op.tag, j->rxtag, s->tag_len);
			else
				diff = srtp_tag_diff_split(j->op.tag, j->saved, p + j->plen + 4,
							   s->tag_len);
			memcpy(p + j->plen, j->saved, 4);
		} else {
			rx_tag = p + j->plen + 4 + s->mki_len;
			diff = srtp_tag_diff(j->op.tag, rx_tag, s->rtcp_tag_len);
		}
	} else {
		if (rtcp && !(j->eidx >> 31))
			memcpy(p + j->plen, j->saved, 4);
		diff = !j->op.tag_ok;
	}
	if (diff != 0)
		return MXP_SRTP_R_AUTH;

	/* Authenticated: now the state may change. Re-check against what earlier packets of
	 * this call committed. */
	if (MXP_UNLIKELY(!(s->flags & SF_SSRC_KNOWN))) {
		s->ssrc = j->ssrc;
		s->flags |= SF_SSRC_KNOWN;
		srtp_event(&srtp_cold(s)->events, MXP_SRTP_EV_SSRC_LEARNED);
	} else if (MXP_UNLIKELY(j->ssrc != s->ssrc)) {
		return srtp_other_ssrc(s, j->ssrc);
	}
	enum mxp_srtp_reason r = rtcp ? srtp_rtcp_check(s, j->index) : srtp_rtp_check(s, j->index);
	if (MXP_UNLIKELY(r != MXP_SRTP_R_OK))
		return r;
	if (MXP_UNLIKELY(key_spent(j->k, rtcp)))
		return MXP_SRTP_R_KEY_EXHAUSTED;
	if (rtcp)
		srtp_rtcp_commit(s, j->index);
	else
		srtp_rtp_commit(s, j->index);
	key_use(j->k, rtcp);

	if (mode != M_VERIFY)
		j->pkt->len = j->plen;
	return MXP_SRTP_R_OK;
}

/*
 * Counters of packets that went through, added per run of packets of one stream
 * (struct tally) rather than per packet.
 */
struct tally {
	struct mxp_srtp_stream *s;
	uint32_t pkts, clear;
	uint64_t bytes;
};

static inline void
tally_flush(struct tally *t, bool rtcp, enum srtp_mode mode)
{
	struct mxp_srtp_stream *s = t->s;
	if (s == NULL)
		return;
	unsigned int v = mode == M_VERIFY;
	if (rtcp) {
		struct srtp_stream_cold *x = srtp_cold(s);
		x->srtcp_pkts[v] += t->pkts;
		x->srtcp_clear += t->clear;
	} else {
		s->srtp_pkts[v] += t->pkts;
	}
	s->bytes += t->bytes;
	t->s = NULL;
	t->pkts = t->clear = 0;
	t->bytes = 0;
}

/* Count a packet that went through. SRTCP with E=0 is counted apart (no cipher ran);
 * verify-only runs none either, which its own counter says. */
static inline void
tally_add(struct tally *t, const struct job *j, bool rtcp, enum srtp_mode mode)
{
	if (MXP_UNLIKELY(j->s != t->s)) {
		tally_flush(t, rtcp, mode);
		t->s = j->s;
	}
	t->pkts++;
	t->bytes += j->plen;
	t->clear += rtcp && mode != M_VERIFY && !(j->eidx >> 31);
}

/* --- crypto phases ------------------------------------------------------------------------ */

static inline void
crypto_protect(const struct mxp_crypto_driver *drv, struct mxp_crypto_op **cm, uint16_t ncm,
	       struct mxp_crypto_op **gcm, uint16_t ngcm)
{
	if (ncm) {
		drv->ctr(cm, ncm);
		drv->hmac(cm, ncm);
	}
	if (ngcm)
		drv->gcm_enc(gcm, ngcm);
}

static inline void
crypto_check(const struct mxp_crypto_driver *drv, struct mxp_crypto_op **cm, uint16_t ncm,
	     struct mxp_crypto_op **gcm, uint16_t ngcm, enum srtp_mode mode)
{
	if (ncm)
		drv->hmac(cm, ncm);
	if (ngcm) {
		if (mode == M_VERIFY)
			drv->gcm_tag(gcm, ngcm);
		else
			drv->gcm_dec(gcm, ngcm);
	}
}

/*
 * A packet whose session keys must be re-derived for its index (KDR != 0, contexts only):
 * derive into a temporary driver key from the master key the context keeps, run the packet
 * alone, and keep the new keys in the session if the stream moved on.
 */
static enum mxp_srtp_reason
run_deferred(struct job *j, bool rtcp, enum srtp_mode mode)
{
	struct mxp_srtp_stream *s = j->s;
	struct mxp_srtp_ctx *c = srtp_stream_ctx(s);
	struct mxp_srtp_key *k = j->k;
	const struct mxp_crypto_driver *drv = s->drv;
	struct mxp_crypto_op *op = &j->op;
	enum mxp_srtp_reason r = MXP_SRTP_R_OK;
	uint64_t want = kdr_r(k, j->index);
	struct mxp_crypto_key tmp;
	uint8_t salt[16];
	unsigned int slot = 0;

	while (slot < MXP_SRTP_MAX_KEYS && srtp_ctx_key(c, slot) != k)
		slot++;
	const struct srtp_ctx_slot *cs = &c->x.slot[slot < MXP_SRTP_MAX_KEYS ? slot : 0];
	if (slot == MXP_SRTP_MAX_KEYS || !cs->has_master ||
	    srtp_kdf_session(drv, c->x.si, cs->master_key, cs->master_salt, rtcp, want, &tmp,
			     salt) != 0) {
		/* Cannot happen with a working driver; drop rather than use wrong keys. A
		 * failed derivation may have left key bytes in tmp and salt: wipe them too. */
		r = MXP_SRTP_R_NO_KEY;
		goto wipe;
	}
	fill_op(j, rtcp, mode, &tmp, salt);
	if (mode == M_PROTECT) {
		crypto_protect(drv, j->aead ? NULL : &op, !j->aead, j->aead ? &op : NULL, j->aead);
		finish_protect(j, rtcp);
	} else {
		crypto_check(drv, j->aead ? NULL : &op, !j->aead, j->aead ? &op : NULL, j->aead,
			     mode);
		r = check_commit(j, rtcp, mode);
		if (r == MXP_SRTP_R_OK && mode == M_UNPROTECT && !j->aead)
			drv->ctr(&op, 1);
	}
	if (r == MXP_SRTP_R_OK && want > k->kdr_r[rtcp]) {
		struct mxp_crypto_key *cur = srtp_key_ck_mut(k, rtcp);
		drv->key_fini(cur);
		memcpy(cur, &tmp, k->ck_size);
		memcpy(rtcp ? k->rtcp_salt : k->rtp_salt, salt, sizeof(salt));
		k->kdr_r[rtcp] = want;
	} else {
		drv->key_fini(&tmp);
	}
wipe:
	srtp_wipe(&tmp, k->ck_size);
	srtp_wipe(salt, sizeof(salt));
	return r;
}

/*
 * RFC 3711 3.3.1 estimates a packet's index from the state the packets before it left, one
 * packet at a time; a chunk estimates all of its packets before it commits any. Would an
 * earlier packet of the same stream in this chunk, once accepted, change the estimate of
 * the one with sequence number seq (a stream's first packets across a wrap of the
 * sequence number; a jump of more than 2^15 in two steps)? Then that packet starts the
 * next chunk, after the earlier ones are committed (or refused).
 *
 * struct chunk_streams keeps the chunk's streams so far with the highest index estimated
 * for each (packets under another SSRC have no index of their stream and are left out),
 * behind a 64-bit filter so that a chunk of distinct streams costs a bit test a packet.
 */
struct chunk_streams {
	uint64_t filter;
	uint16_t n;
	const struct mxp_srtp_stream *s[CHUNK];
	uint64_t top[CHUNK];
};

static inline uint64_t
cs_bit(const struct mxp_srtp_stream *s)
{
	return UINT64_C(1) << (((uintptr_t)s * UINT64_C(0x9e3779b97f4a7c15)) >> 58);
}

/* The stream's entry, or -1. */
static inline int
cs_find(const struct chunk_streams *c, const struct mxp_srtp_stream *s)
{
	if (MXP_LIKELY(!(c->filter & cs_bit(s))))
		return -1;
	for (uint16_t x = 0; x < c->n; x++)
		if (c->s[x] == s)
			return x;
	return -1;
}

static inline void
cs_add(struct chunk_streams *c, const struct mxp_srtp_stream *s, uint64_t idx)
{
	int x = cs_find(c, s);
	if (x >= 0) {
		if (idx > c->top[x])
			c->top[x] = idx;
		return;
	}
	c->filter |= cs_bit(s);
	c->s[c->n] = s;
	c->top[c->n++] = idx;
}

static inline bool
estimate_moves(const struct chunk_streams *c, const struct mxp_srtp_stream *s, uint16_t seq)
{
	int x = cs_find(c, s);
	if (MXP_LIKELY(x < 0))
		return false;
	bool started = s->flags & SF_RTP_STARTED;
	uint64_t top = started && s->rtp_top > c->top[x] ? s->rtp_top : c->top[x];
	uint64_t now = 0, then = 0;
	bool ok_now = srtp_estimate_index_from(s->rtp_top, started, seq, &now);
	bool ok_then = srtp_estimate_index_from(top, true, seq, &then);
	return ok_now != ok_then || (ok_now && now != then);
}

/* One chunk: n packets (n <= CHUNK) whose streams share a driver. */
static inline __attribute__((always_inline)) uint16_t
run_chunk(struct mxp_srtp_stream *ss[], struct mxp_srtp_pkt pkt[], uint16_t n, uint8_t reason[],
	  bool rtcp, enum srtp_mode mode, uint16_t *consumed)
{
	struct job jobs[CHUNK];
	struct mxp_crypto_op *cm[CHUNK], *gcm[CHUNK];
	struct chunk_streams cst; /* unprotect RTP: the streams of the chunk's jobs */
	uint16_t nj = 0, ncm = 0, ngcm = 0, ndefer = 0, ok = 0;
	const struct mxp_crypto_driver *drv = ss[0]->drv;

	/* Start the header cache miss of every packet of the chunk at once, otherwise the
	 * first byte of each packet stalls prepare() in turn. (Prefetching the trailer too
	 * measured slower: it fills the line-fill buffers for little gain.) */
	for (uint16_t i = 0; i < n; i++)
		__builtin_prefetch(pkt[i].data);
	cst.filter = 0;
	cst.n = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct job *j = &jobs[nj];
		/* a chunk ends where the driver changes */
		if (MXP_UNLIKELY(ss[i]->drv != drv)) {
			n = i;
			break;
		}
		/* ... and where a packet's index depends on an earlier one's commit */
		if (!rtcp && mode != M_PROTECT && pkt[i].len >= 4 &&
		    estimate_moves(&cst, ss[i], mxp_be_rd16(pkt[i].data + 2))) {
			n = i;
			break;
		}
		enum mxp_srtp_reason r = prepare(ss[i], &pkt[i], j, rtcp, mode);
		reason[i] = (uint8_t)r;
		if (MXP_UNLIKELY(r != MXP_SRTP_R_OK)) {
			srtp_drop(ss[i], r);
			continue;
		}
		j->pi = i;
		/* another SSRC under the stream's key is a new stream: no index of this one */
		if (!rtcp && mode != M_PROTECT &&
		    !((ss[i]->flags & SF_SSRC_KNOWN) && j->ssrc != ss[i]->ssrc))
			cs_add(&cst, ss[i], j->index);
		nj++;
		if (MXP_UNLIKELY(j->defer))
			ndefer++;
		else if (j->aead)
			gcm[ngcm++] = &j->op;
		else
			cm[ncm++] = &j->op;
	}

	struct tally tl = { 0 };
	if (mode == M_PROTECT) {
		crypto_protect(drv, cm, ncm, gcm, ngcm);
		for (uint16_t x = 0; x < nj; x++) {
			if (MXP_UNLIKELY(jobs[x].defer))
				continue;
			finish_protect(&jobs[x], rtcp);
			tally_add(&tl, &jobs[x], rtcp, mode);
			ok++;
		}
	} else {
		uint16_t ndec = 0;
		crypto_check(drv, cm, ncm, gcm, ngcm, mode);
		for (uint16_t x = 0; x < nj; x++) {
			struct job *j = &jobs[x];
			if (MXP_UNLIKELY(j->defer))
				continue;
			enum mxp_srtp_reason r = check_commit(j, rtcp, mode);
			if (MXP_UNLIKELY(r != MXP_SRTP_R_OK)) {
				reason[j->pi] = (uint8_t)r;
				srtp_drop(j->s, r);
				continue;
			}
			tally_add(&tl, j, rtcp, mode);
			ok++;
			if (mode == M_UNPROTECT && !j->aead && j->op.cipher_len)
				cm[ndec++] = &j->op;
		}
		if (ndec)
			drv->ctr(cm, ndec);
	}
	tally_flush(&tl, rtcp, mode);

	if (MXP_UNLIKELY(ndefer)) {
		for (uint16_t x = 0; x < nj; x++) {
			struct job *j = &jobs[x];
			if (!j->defer)
				continue;
			enum mxp_srtp_reason r = run_deferred(j, rtcp, mode);
			reason[j->pi] = (uint8_t)r;
			if (r == MXP_SRTP_R_OK) {
				tally_add(&tl, j, rtcp, mode);
				ok++;
			} else {
				srtp_drop(j->s, r);
			}
		}
		tally_flush(&tl, rtcp, mode);
	}
	*consumed = n;
	return ok;
}

static inline __attribute__((always_inline)) uint16_t
run(struct mxp_srtp_stream *ss[], struct mxp_srtp_pkt pkt[], uint16_t n, uint8_t reason[],
    bool rtcp, enum srtp_mode mode)
{
	uint16_t ok = 0, at = 0;

	while (at < n) {
		uint16_t m = n - at < CHUNK ? n - at : CHUNK, used;
		ok += run_chunk(ss + at, pkt + at, m, reason + at, rtcp, mode, &used);
		at += used;
	}
	return ok;
}

/* --- over streams ------------------------------------------------------------------------- */

uint16_t
mxp_srtp_stream_protect_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
			     uint16_t n, uint8_t reason[])
{
	return run(s, pkt, n, reason, false, M_PROTECT);
}

uint16_t
mxp_srtp_stream_unprotect_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
			       uint16_t n, uint8_t reason[])
{
	return run(s, pkt, n, reason, false, M_UNPROTECT);
}

uint16_t
mxp_srtp_stream_verify_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[], uint16_t n,
			    uint8_t reason[])
{
	return run(s, pkt, n, reason, false, M_VERIFY);
}

uint16_t
mxp_srtcp_stream_protect_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
			      uint16_t n, uint8_t reason[])
{
	return run(s, pkt, n, reason, true, M_PROTECT);
}

uint16_t
mxp_srtcp_stream_unprotect_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
				uint16_t n, uint8_t reason[])
{
	return run(s, pkt, n, reason, true, M_UNPROTECT);
}

uint16_t
mxp_srtcp_stream_verify_pkts(struct mxp_srtp_stream *s[], struct mxp_srtp_pkt pkt[],
			     uint16_t n, uint8_t reason[])
{
	return run(s, pkt, n, reason, true, M_VERIFY);
}

uint16_t
srtp_run_pkts(struct mxp_srtp_stream *ss[], struct mxp_srtp_pkt pkt[], uint16_t n,
	      uint8_t reason[], bool rtcp, int mode)
{
	switch (mode * 2 + rtcp) {
	case M_PROTECT * 2:
		return mxp_srtp_stream_protect_pkts(ss, pkt, n, reason);
	case M_PROTECT * 2 + 1:
		return mxp_srtcp_stream_protect_pkts(ss, pkt, n, reason);
	case M_UNPROTECT * 2:
		return mxp_srtp_stream_unprotect_pkts(ss, pkt, n, reason);
	case M_UNPROTECT * 2 + 1:
		return mxp_srtcp_stream_unprotect_pkts(ss, pkt, n, reason);
	case M_VERIFY * 2:
		return mxp_srtp_stream_verify_pkts(ss, pkt, n, reason);
	default:
		return mxp_srtcp_stream_verify_pkts(ss, pkt, n, reason);
	}
}

/* --- over contexts: their streams, CHUNK at a time ------------------------------------------- */

static inline __attribute__((always_inline)) uint16_t
run_ctx(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[], uint16_t n, uint8_t reason[],
	bool rtcp, enum srtp_mode mode)
{
	struct mxp_srtp_stream *ss[CHUNK];
	uint16_t ok = 0;

	for (uint16_t at = 0; at < n;) {
		uint16_t m = n - at < CHUNK ? n - at : CHUNK;
		for (uint16_t i = 0; i < m; i++)
			ss[i] = srtp_ctx_stream(ctx[at + i]);
		ok += srtp_run_pkts(ss, pkt + at, m, reason + at, rtcp, mode);
		at += m;
	}
	return ok;
}

uint16_t
mxp_srtp_protect_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[], uint16_t n,
		      uint8_t reason[])
{
	return run_ctx(ctx, pkt, n, reason, false, M_PROTECT);
}

uint16_t
mxp_srtp_unprotect_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[], uint16_t n,
			uint8_t reason[])
{
	return run_ctx(ctx, pkt, n, reason, false, M_UNPROTECT);
}

uint16_t
mxp_srtp_verify_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[], uint16_t n,
		     uint8_t reason[])
{
	return run_ctx(ctx, pkt, n, reason, false, M_VERIFY);
}

uint16_t
mxp_srtcp_protect_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[], uint16_t n,
		       uint8_t reason[])
{
	return run_ctx(ctx, pkt, n, reason, true, M_PROTECT);
}

uint16_t
mxp_srtcp_unprotect_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[], uint16_t n,
			 uint8_t reason[])
{
	return run_ctx(ctx, pkt, n, reason, true, M_UNPROTECT);
}

uint16_t
mxp_srtcp_verify_pkts(struct mxp_srtp_ctx *ctx[], struct mxp_srtp_pkt pkt[], uint16_t n,
		      uint8_t reason[])
{
	return run_ctx(ctx, pkt, n, reason, true, M_VERIFY);
}

/* --- one-packet helpers ------------------------------------------------------------------ */

enum mxp_srtp_reason
srtp_run_one(struct mxp_srtp_stream *s, uint8_t *buf, size_t *len, size_t cap, bool rtcp,
	     int mode)
{
	if (s == NULL || buf == NULL || len == NULL || *len > UINT32_MAX || cap < *len)
		return MXP_SRTP_R_BAD_HEADER;
	struct mxp_srtp_pkt pkt = {
		.data = buf,
		.len = (uint32_t)*len,
		.room = (uint32_t)((cap - *len) > UINT32_MAX ? UINT32_MAX : cap - *len),
	};
	uint8_t reason;
	if (srtp_run_pkts(&s, &pkt, 1, &reason, rtcp, mode) == 1)
		*len = pkt.len;
	return (enum mxp_srtp_reason)reason;
}

enum mxp_srtp_reason
mxp_srtp_stream_protect(struct mxp_srtp_stream *s, uint8_t *buf, size_t *len, size_t cap)
{
	return srtp_run_one(s, buf, len, cap, false, M_PROTECT);
}

enum mxp_srtp_reason
mxp_srtp_stream_unprotect(struct mxp_srtp_stream *s, uint8_t *buf, size_t *len)
{
	return srtp_run_one(s, buf, len, len ? *len : 0, false, M_UNPROTECT);
}

enum mxp_srtp_reason
mxp_srtcp_stream_protect(struct mxp_srtp_stream *s, uint8_t *buf, size_t *len, size_t cap)
{
	return srtp_run_one(s, buf, len, cap, true, M_PROTECT);
}

enum mxp_srtp_reason
mxp_srtcp_stream_unprotect(struct mxp_srtp_stream *s, uint8_t *buf, size_t *len)
{
	return srtp_run_one(s, buf, len, len ? *len : 0, true, M_UNPROTECT);
}

enum mxp_srtp_reason
mxp_srtp_protect(struct mxp_srtp_ctx *ctx, uint8_t *buf, size_t *len, size_t cap)
{
	return srtp_run_one(ctx ? srtp_ctx_stream(ctx) : NULL, buf, len, cap, false, M_PROTECT);
}

enum mxp_srtp_reason
mxp_srtp_unprotect(struct mxp_srtp_ctx *ctx, uint8_t *buf, size_t *len)
{
	return srtp_run_one(ctx ? srtp_ctx_stream(ctx) : NULL, buf, len, len ? *len : 0, false,
			    M_UNPROTECT);
}

enum mxp_srtp_reason
mxp_srtcp_protect(struct mxp_srtp_ctx *ctx, uint8_t *buf, size_t *len, size_t cap)
{
	return srtp_run_one(ctx ? srtp_ctx_stream(ctx) : NULL, buf, len, cap, true, M_PROTECT);
}

enum mxp_srtp_reason
mxp_srtcp_unprotect(struct mxp_srtp_ctx *ctx, uint8_t *buf, size_t *len)
{
	return srtp_run_one(ctx ? srtp_ctx_stream(ctx) : NULL, buf, len, len ? *len : 0, true,
			    M_UNPROTECT);
}
