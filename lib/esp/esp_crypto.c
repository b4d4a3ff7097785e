/* SPDX-License-Identifier: BSD-3-Clause */
/* Backend instances by name. */
#include <errno.h>
#include <sys/random.h>

#include "esp_priv.h"
#include "mxp_build_config.h"

int esp_openssl_rand(void *arg, uint8_t *buf, size_t len);
void *esp_ipsecmb_alloc(void);
void esp_ipsecmb_free(void *be);

#if !MXP_HAVE_IPSEC_MB
const struct mxp_esp_crypto_ops *const mxp_esp_crypto_ipsecmb_ops = NULL;
#endif

static int __attribute__((unused))
esp_getrandom(void *arg, uint8_t *buf, size_t len)
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
mxp_esp_crypto_open(struct mxp_esp_crypto *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	if (strcmp(name, "openssl") == 0) {
		c->ops = &mxp_esp_crypto_openssl_ops;
		c->rand = esp_openssl_rand;
		return 0;
	}
#if MXP_HAVE_IPSEC_MB
	if (strcmp(name, "ipsec-mb") == 0) {
		c->be = esp_ipsecmb_alloc();
		if (c->be == NULL)
			return -ENOMEM;
		c->ops = mxp_esp_crypto_ipsecmb_ops;
		c->rand = esp_getrandom;
		return 0;
	}
#endif
	return -ENOENT;
}

void
mxp_esp_crypto_close(struct mxp_esp_crypto *c)
{
#if MXP_HAVE_IPSEC_MB
	if (c->ops == mxp_esp_crypto_ipsecmb_ops && c->be != NULL)
		esp_ipsecmb_free(c->be);
#endif
	memset(c, 0, sizeof(*c));
}
