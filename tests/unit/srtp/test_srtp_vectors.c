/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Known-answer tests: RFC 3711 appendix B.2/B.3, RFC 6188 section 7, RFC 7714 sections
 * 16-17 (tests/vectors/srtp_vectors.h), each run against every crypto driver, through the
 * driver directly and through the packet engine.
 */
#include <errno.h>

#include "mxp_srtp_driver.h"
#include "srtp_priv.h"
#include "srtp_test_util.h"
#include "srtp_vectors.h"

static const struct mxp_crypto_driver *
driver(struct mxp_test_ctx *t, const char *name)
{
	int rc;
	char err[160];
	const struct mxp_crypto_driver *d = mxp_crypto_driver_find(name, &rc, err, sizeof(err));
	if (!MXP_CHECK(t, d != NULL))
		printf("#   %s\n", err);
	return d;
}

/* Every driver the build promises is registered and runnable. */
MXP_TEST(drivers_registered)
{
	for (size_t d = 0; d < N_TEST_DRIVERS; d++)
		MXP_CHECK(t, driver(t, test_drivers[d]) != NULL);
	int rc;
	MXP_CHECK(t, mxp_crypto_driver_find("no_such_driver", &rc, NULL, 0) == NULL);
	MXP_CHECK_EQ(t, rc, -ENOENT);
	const struct mxp_crypto_driver *best = mxp_crypto_driver_find(NULL, &rc, NULL, 0);
	MXP_CHECK(t, best != NULL && strcmp(best->name, test_drivers[0]) == 0);
}

/* RFC 3711 B.2 and RFC 6188 7.1: the driver's AES-CM keystream (used by the KDF). */
MXP_TEST(keystream_vectors)
{
	for (size_t d = 0; d < N_TEST_DRIVERS; d++) {
		const struct mxp_crypto_driver *drv = driver(t, test_drivers[d]);
		if (drv == NULL)
			continue;
		for (size_t v = 0; v < MXP_NCASES(srtp_vec_keystream); v++) {
			const struct srtp_vec_keystream *x = &srtp_vec_keystream[v];
			uint8_t key[32], iv[16], want[64];
			int kl = mxp_test_hex(x->key, key, sizeof(key));
			MXP_CHECK_EQ(t, mxp_test_hex(x->iv, iv, sizeof(iv)), 16);
			int wl = mxp_test_hex(x->keystream, want, sizeof(want));
			size_t total = (size_t)x->block * 16 + (size_t)wl;
			uint8_t *out = malloc(total);
			/* Generate from block 0 so the counter really runs up to the block. */
			MXP_CHECK_EQ(t, drv->keystream(key, (size_t)kl, iv, out, total), 0);
			if (!MXP_CHECK_MEM(t, out + (size_t)x->block * 16, want, (size_t)wl))
				printf("#   %s, driver %s\n", x->ref, drv->name);
			free(out);
		}
	}
}

/* RFC 3711 B.3 and RFC 6188 7.2: key derivation. */
MXP_TEST(kdf_vectors)
{
	for (size_t d = 0; d < N_TEST_DRIVERS; d++) {
		const struct mxp_crypto_driver *drv = driver(t, test_drivers[d]);
		if (drv == NULL)
			continue;
		for (size_t v = 0; v < MXP_NCASES(srtp_vec_kdf); v++) {
			const struct srtp_vec_kdf *x = &srtp_vec_kdf[v];
			uint8_t mk[32], ms[14], want[128], out[128];
			int kl = mxp_test_hex(x->master_key, mk, sizeof(mk));
			int sl = mxp_test_hex(x->master_salt, ms, sizeof(ms));
			int wl = mxp_test_hex(x->out, want, sizeof(want));
			MXP_CHECK_EQ(t, srtp_kdf(drv, mk, (size_t)kl, ms, (size_t)sl, x->label, 0, out,
						 (size_t)wl), 0);
			if (!MXP_CHECK_MEM(t, out, want, (size_t)wl))
				printf("#   %s, driver %s\n", x->ref, drv->name);
		}
	}
}

/*
 * RFC 3711 B.2 through the packet engine: with SSRC 0 and index 0 the IV is the session
 * salt * 2^16, so protecting a zero payload must yield the B.2 keystream.
 */
MXP_TEST(engine_aes_cm_keystream)
{
	uint8_t key[16], salt[14], auth[20] = { 0 }, want[48];
	mxp_test_hex("2B7E151628AED2A6ABF7158809CF4F3C", key, sizeof(key));
	mxp_test_hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD", salt, sizeof(salt));
	mxp_test_hex(srtp_vec_keystream[0].keystream, want, sizeof(want));

	for (size_t d = 0; d < N_TEST_DRIVERS; d++) {
		struct mxp_srtp_params p = {
			.suite = MXP_SRTP_AES_CM_128_HMAC_SHA1_80,
			.dir = MXP_SRTP_OUTBOUND,
			.driver = test_drivers[d],
			.ssrc = 0,
		};
		struct mxp_srtp_ctx *c = test_ctx_new(&p);
		MXP_CHECK_EQ(t, mxp_srtp_ctx_key_add_session(c, key, salt, auth), 0);
		uint8_t pkt[128] = { 0x80 };
		size_t len = 12 + 48;
		MXP_CHECK_EQ(t, mxp_srtp_protect(c, pkt, &len, sizeof(pkt)), MXP_SRTP_R_OK);
		MXP_CHECK_EQ(t, len, 12 + 48 + 10);
		MXP_CHECK_MEM(t, pkt + 12, want, 48);
		test_ctx_free(c);
	}
}

static struct mxp_srtp_ctx *
vec_ctx(const struct srtp_vec_packet *x, const char *drv, enum mxp_srtp_dir dir, uint32_t ssrc)
{
	uint8_t key[32], salt[12];
	struct mxp_srtp_params p = {
		.suite = (enum mxp_srtp_suite)x->suite,
		.dir = dir,
		.driver = drv,
		.ssrc = ssrc,
		.srtcp_unencrypted = x->rtcp && !x->rtcp_encrypted,
	};
	struct mxp_srtp_ctx *c = test_ctx_new(&p);
	mxp_test_hex(x->key, key, sizeof(key));
	mxp_test_hex(x->salt, salt, sizeof(salt));
	if (mxp_srtp_ctx_key_add_session(c, key, salt, NULL) != 0)
		abort();
	if (x->rtcp)
		mxp_srtp_ctx_set_srtcp_index(c, x->srtcp_index);
	return c;
}

/* RFC 7714 16-17: protect, unprotect, verify-only, replay and forgery, per driver. */
MXP_TEST(gcm_packet_vectors)
{
	for (size_t d = 0; d < N_TEST_DRIVERS; d++) {
		for (size_t v = 0; v < MXP_NCASES(srtp_vec_packets); v++) {
			const struct srtp_vec_packet *x = &srtp_vec_packets[v];
			uint8_t plain[256], prot[256], buf[256];
			int pl = mxp_test_hex(x->plain, plain, sizeof(plain));
			int el = mxp_test_hex(x->protected_, prot, sizeof(prot));
			uint32_t ssrc = mxp_be_rd32(plain + (x->rtcp ? 4 : 8));
			size_t len;
			enum mxp_srtp_reason (*protect)(struct mxp_srtp_ctx *, uint8_t *, size_t *,
							size_t) =
				x->rtcp ? mxp_srtcp_protect : mxp_srtp_protect;
			enum mxp_srtp_reason (*unprotect)(struct mxp_srtp_ctx *, uint8_t *,
							  size_t *) =
				x->rtcp ? mxp_srtcp_unprotect : mxp_srtp_unprotect;
			printf("# %s, driver %s\n", x->ref, test_drivers[d]);

			struct mxp_srtp_ctx *o = vec_ctx(x, test_drivers[d], MXP_SRTP_OUTBOUND, ssrc);
			memcpy(buf, plain, (size_t)pl);
			len = (size_t)pl;
			MXP_CHECK_EQ(t, protect(o, buf, &len, sizeof(buf)), MXP_SRTP_R_OK);
			MXP_CHECK_EQ(t, len, el);
			MXP_CHECK_MEM(t, buf, prot, (size_t)el);
			test_ctx_free(o);

			/* verify-only leaves the packet alone, then unprotect sees a replay */
			struct mxp_srtp_ctx *i = vec_ctx(x, test_drivers[d], MXP_SRTP_INBOUND, ssrc);
			struct mxp_srtp_pkt pk = { .data = buf, .len = (uint32_t)el };
			uint8_t r = 0xff;
			memcpy(buf, prot, (size_t)el);
			uint16_t ok = x->rtcp ? mxp_srtcp_verify_pkts(&i, &pk, 1, &r) :
						mxp_srtp_verify_pkts(&i, &pk, 1, &r);
			MXP_CHECK_EQ(t, ok, 1);
			MXP_CHECK_EQ(t, r, MXP_SRTP_R_OK);
			MXP_CHECK_EQ(t, pk.len, el);
			MXP_CHECK_MEM(t, buf, prot, (size_t)el);
			len = (size_t)el;
			MXP_CHECK_EQ(t, unprotect(i, buf, &len), MXP_SRTP_R_REPLAY);
			test_ctx_free(i);

			/* unprotect */
			i = vec_ctx(x, test_drivers[d], MXP_SRTP_INBOUND, ssrc);
			memcpy(buf, prot, (size_t)el);
			len = (size_t)el;
			MXP_CHECK_EQ(t, unprotect(i, buf, &len), MXP_SRTP_R_OK);
			MXP_CHECK_EQ(t, len, pl);
			MXP_CHECK_MEM(t, buf, plain, (size_t)pl);
			test_ctx_free(i);

			/* a flipped bit anywhere authenticated is an auth failure */
			for (int at = 0; at < el; at += 7) {
				i = vec_ctx(x, test_drivers[d], MXP_SRTP_INBOUND, ssrc);
				memcpy(buf, prot, (size_t)el);
				buf[at] ^= 0x10;
				len = (size_t)el;
				enum mxp_srtp_reason rr = unprotect(i, buf, &len);
				/* flipping the version bits or the SSRC or the index fails earlier */
				MXP_CHECK(t, rr != MXP_SRTP_R_OK);
				test_ctx_free(i);
			}
		}
	}
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(drivers_registered),
	MXP_CASE(keystream_vectors),
	MXP_CASE(kdf_vectors),
	MXP_CASE(engine_aes_cm_keystream),
	MXP_CASE(gcm_packet_vectors),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
