/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ESP packet processing over plain buffers, written once for every backend (RFC 4303
 * transport mode; RFC 4106 for GCM; RFC 3602 + RFC 2404 / RFC 4868 for CBC + HMAC).
 *
 * Inbound order (as libsrtp unprotects): sequence number estimate (ESN) -> replay check ->
 * ICV check and decrypt -> padding check -> commit the window. A packet that fails any step
 * leaves the SA as it was.
 */
#include <errno.h>

#include "esp_priv.h"

static inline enum mxp_esp_drop
sa_drop(struct mxp_esp_sa *sa, enum mxp_esp_drop d)
{
	sa->stats.drops[d]++;
	return d;
}

/* GCM nonce: the 4-byte salt that follows the key, then the 8-byte IV from the packet. */
static inline void
gcm_nonce(const struct mxp_esp_sa *sa, const uint8_t *iv, uint8_t nonce[12])
{
	memcpy(nonce, sa->p.key + sa->p.key_len - ESP_GCM_SALT_LEN, ESP_GCM_SALT_LEN);
	memcpy(nonce + ESP_GCM_SALT_LEN, iv, ESP_GCM_IV_LEN);
}

/* GCM AAD (RFC 4106 5): SPI | seq, or SPI | seq-hi | seq-lo with ESN. */
static inline size_t
gcm_aad(const struct mxp_esp_sa *sa, uint64_t seq, uint8_t aad[12])
{
	mxp_be_wr32(aad, sa->p.spi);
	if (sa->p.esn) {
		mxp_be_wr32(aad + 4, (uint32_t)(seq >> 32));
		mxp_be_wr32(aad + 8, (uint32_t)seq);
		return 12;
	}
	mxp_be_wr32(aad + 4, (uint32_t)seq);
	return 8;
}

enum mxp_esp_drop
mxp_esp_sa_inbound(struct mxp_esp_sa *sa, uint8_t *esp, size_t len, struct mxp_esp_rx *rx)
{
	const struct esp_alg_info *ai = sa->info;
	const size_t hdr = ESP_HDR_LEN + ai->iv_len;

	if (len < hdr + 2 + ai->icv_len)
		return sa_drop(sa, MXP_ESP_DROP_SHORT);
	size_t ct_len = len - hdr - ai->icv_len;
	if (!ai->aead && (ct_len == 0 || ct_len % ESP_CBC_BLOCK != 0))
		return sa_drop(sa, MXP_ESP_DROP_BAD_LENGTH);

	uint32_t seq_lo = mxp_be_rd32(esp + 4);
	uint64_t seq = sa->p.esn ? mxp_esp_replay_esn(&sa->replay, seq_lo) : seq_lo;
	enum mxp_esp_drop d = mxp_esp_replay_check(&sa->replay, seq);
	if (d != MXP_ESP_DROP_NONE)
		return sa_drop(sa, d);

	uint8_t *icv = esp + hdr + ct_len;
	uint8_t nonce[12], aad[12], icv_rx[16];
	struct mxp_esp_crypto_op op = {
		.data = esp + hdr,
		.data_len = ct_len,
		.icv_len = ai->icv_len,
	};
	if (ai->aead) {
		gcm_nonce(sa, esp + ESP_HDR_LEN, nonce);
		op.iv = nonce;
		op.aad = aad;
		op.aad_len = gcm_aad(sa, seq, aad);
		op.icv = icv;
	} else {
		op.iv = esp + ESP_HDR_LEN;
		op.auth = esp;
		op.auth_len = hdr + ct_len;
		memcpy(icv_rx, icv, ai->icv_len);
		op.icv = icv_rx;
		if (sa->p.esn) {
			/* RFC 4303 2.2.1: seq-hi is authenticated after the payload, not sent;
			 * the ICV field is free to hold it while the HMAC runs. */
			mxp_be_wr32(icv, (uint32_t)(seq >> 32));
			op.auth_len += 4;
		}
	}
	int rc = sa->crypto->ops->open(sa->crypto->be, sa->priv, sa->p.alg, &op);
	if (rc == -EBADMSG)
		return sa_drop(sa, MXP_ESP_DROP_BAD_ICV);
	if (rc != 0)
		return sa_drop(sa, MXP_ESP_DROP_CRYPTO);

	uint8_t *pt = esp + hdr;
	uint8_t pad = pt[ct_len - 2], nh = pt[ct_len - 1];
	if ((size_t)pad + 2 > ct_len)
		return sa_drop(sa, MXP_ESP_DROP_BAD_PADDING);
	/* RFC 4303 2.4: the default padding is 1, 2, 3, ...; check it. */
	for (unsigned int i = 0; i < pad; i++)
		if (pt[ct_len - 2 - pad + i] != (uint8_t)(i + 1))
			return sa_drop(sa, MXP_ESP_DROP_BAD_PADDING);

	mxp_esp_replay_commit(&sa->replay, seq);
	if (nh == MXP_ESP_NH_NONE)
		return sa_drop(sa, MXP_ESP_DROP_DUMMY);

	rx->sa = sa;
	rx->seq = seq;
	rx->next_proto = nh;
	rx->off = hdr;
	rx->len = ct_len - 2 - pad;
	sa->stats.packets++;
	sa->stats.bytes += rx->len;
	return MXP_ESP_DROP_NONE;
}

enum mxp_esp_drop
mxp_esp_sa_outbound(struct mxp_esp_sa *sa, const uint8_t *payload, size_t len,
		    uint8_t next_proto, uint8_t *out, size_t cap, size_t *out_len)
{
	const struct esp_alg_info *ai = sa->info;
	const struct mxp_esp_crypto *c = sa->crypto;
	const size_t hdr = ESP_HDR_LEN + ai->iv_len;
	uint64_t max = sa->p.esn ? UINT64_MAX : UINT32_MAX;

	/* RFC 4303 3.3.3: the counter never cycles; the SA must be replaced first. */
	if (sa->seq >= max)
		return sa_drop(sa, MXP_ESP_DROP_SEQ_OVERFLOW);
	size_t plain = len + 2;
	size_t padded = (plain + ai->block - 1) / ai->block * ai->block;
	size_t pad = padded - plain;
	size_t total = hdr + padded + ai->icv_len;
	if (len > cap || total > cap)
		return sa_drop(sa, MXP_ESP_DROP_TOO_BIG);
	uint64_t seq = sa->seq + 1;

	mxp_be_wr32(out, sa->p.spi);
	mxp_be_wr32(out + 4, (uint32_t)seq);
	uint8_t *iv = out + ESP_HDR_LEN;
	if (ai->aead) {
		/* RFC 4106 3.1: the IV must never repeat under a key. A counter does that; a
		 * random base keeps manually keyed SAs that restart from seq 1 apart. */
		uint64_t v = sa->iv_base + seq;
		mxp_be_wr32(iv, (uint32_t)(v >> 32));
		mxp_be_wr32(iv + 4, (uint32_t)v);
	} else if (c->rand(c->rand_arg, iv, ESP_CBC_IV_LEN) != 0) {
		return sa_drop(sa, MXP_ESP_DROP_CRYPTO);
	}
	uint8_t *pt = out + hdr;
	memmove(pt, payload, len);
	for (size_t i = 0; i < pad; i++)
		pt[len + i] = (uint8_t)(i + 1);
	pt[len + pad] = (uint8_t)pad;
	pt[len + pad + 1] = next_proto;

	uint8_t *icv = pt + padded;
	uint8_t nonce[12], aad[12], icv_tmp[16];
	struct mxp_esp_crypto_op op = {
		.data = pt,
		.data_len = padded,
		.icv_len = ai->icv_len,
	};
	if (ai->aead) {
		gcm_nonce(sa, iv, nonce);
		op.iv = nonce;
		op.aad = aad;
		op.aad_len = gcm_aad(sa, seq, aad);
		op.icv = icv;
	} else {
		op.iv = iv;
		op.auth = out;
		op.auth_len = hdr + padded;
		op.icv = icv_tmp;
		if (sa->p.esn) {
			mxp_be_wr32(icv, (uint32_t)(seq >> 32));
			op.auth_len += 4;
		}
	}
	if (c->ops->seal(c->be, sa->priv, sa->p.alg, &op) != 0)
		return sa_drop(sa, MXP_ESP_DROP_CRYPTO);
	if (!ai->aead)
		memcpy(icv, icv_tmp, ai->icv_len);
	sa->seq = seq;
	sa->stats.packets++;
	sa->stats.bytes += len;
	*out_len = total;
	return MXP_ESP_DROP_NONE;
}
