/* SPDX-License-Identifier: BSD-3-Clause */
/* Single-buffer backends by name; the CSPRNG of the intel-ipsec-mb backend. */
#include <errno.h>
#include <sys/random.h>

#include "crypto_priv.h"
#include "mxp_build_config.h"

#if !MXP_HAVE_IPSEC_MB
const struct mxp_crypto_sym_ops *const crypto_imb_sym_ops = NULL;

int
crypto_imb_sym_open(struct mxp_crypto_sym *s)
{
	(void)s;
	return -ENOENT;
}

void
crypto_imb_sym_close(struct mxp_crypto_sym *s)
{
	(void)s;
}

const char *
mxp_crypto_ipsec_mb_version(void)
{
	return "none";
}
#endif

size_t
mxp_crypto_sym_key_len(enum mxp_crypto_sym_alg alg)
{
	switch (alg) {
	case MXP_CRYPTO_SYM_AES_128_GCM:
	case MXP_CRYPTO_SYM_AES_128_CBC_HMAC_SHA1:
	case MXP_CRYPTO_SYM_AES_128_CBC_HMAC_SHA256:
		return 16;
	case MXP_CRYPTO_SYM_AES_256_GCM:
		return 32;
	default:
		return 0;
	}
}

int
crypto_getrandom(void *arg, uint8_t *buf, size_t len)
{
	(void)arg;
	while (len > 0) {
		ssize_t n = getrandom(buf, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int
mxp_crypto_sym_open(struct mxp_crypto_sym *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	if (strcmp(name, crypto_ossl_sym_ops.name) == 0) {
		s->ops = &crypto_ossl_sym_ops;
		return 0;
	}
	if (crypto_imb_sym_ops != NULL && strcmp(name, crypto_imb_sym_ops->name) == 0)
		return crypto_imb_sym_open(s);
	return -ENOENT;
}

void
mxp_crypto_sym_close(struct mxp_crypto_sym *s)
{
	if (s->ops != NULL && s->ops == crypto_imb_sym_ops && s->be != NULL)
		crypto_imb_sym_close(s);
	memset(s, 0, sizeof(*s));
}
