/* SPDX-License-Identifier: BSD-3-Clause */
/* Security associations: algorithm table, parameters, set-up and tear-down. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/socket.h>

#include <openssl/evp.h>

#include "esp_priv.h"

const struct esp_alg_info esp_algs[MXP_ESP_ALG_MAX] = {
	[MXP_ESP_ALG_AES_GCM_128] = { "aes-gcm-128", 20, 0, ESP_GCM_IV_LEN, 4, 16, 1 },
	[MXP_ESP_ALG_AES_GCM_256] = { "aes-gcm-256", 36, 0, ESP_GCM_IV_LEN, 4, 16, 1 },
	[MXP_ESP_ALG_AES_CBC_HMAC_SHA1] = { "aes-cbc-128-hmac-sha1-96", 16, 20, ESP_CBC_IV_LEN,
					    ESP_CBC_BLOCK, 12, 0 },
	[MXP_ESP_ALG_AES_CBC_HMAC_SHA256] = { "aes-cbc-128-hmac-sha256-128", 16, 32,
					      ESP_CBC_IV_LEN, ESP_CBC_BLOCK, 16, 0 },
};

#define DROP_NAME_(n, s, d) s,
#define DROP_DESC_(n, s, d) d,
static const char *const drop_names[] = { MXP_ESP_DROPS(DROP_NAME_) };
static const char *const drop_descs[] = { MXP_ESP_DROPS(DROP_DESC_) };

const char *
mxp_esp_drop_name(enum mxp_esp_drop d)
{
	return (unsigned int)d < MXP_ESP_DROP_MAX ? drop_names[d] : "?";
}

const char *
mxp_esp_drop_desc(enum mxp_esp_drop d)
{
	return (unsigned int)d < MXP_ESP_DROP_MAX ? drop_descs[d] : "?";
}

const char *
mxp_esp_alg_name(enum mxp_esp_alg alg)
{
	return (unsigned int)alg < MXP_ESP_ALG_MAX ? esp_algs[alg].name : NULL;
}

enum mxp_esp_alg
mxp_esp_alg_from_name(const char *name)
{
	for (int a = 1; a < MXP_ESP_ALG_MAX; a++)
		if (strcasecmp(name, esp_algs[a].name) == 0)
			return (enum mxp_esp_alg)a;
	return MXP_ESP_ALG_NONE;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode hex (an optional 0x prefix) into out; returns the length or -1. */
static int
hex_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	if (n >= 2 && s[0] == '0' && (s[1] | 0x20) == 'x') {
		s += 2;
		n -= 2;
	}
	if (n % 2 != 0 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int h = hexval((unsigned char)s[2 * i]), l = hexval((unsigned char)s[2 * i + 1]);
		if (h < 0 || l < 0)
			return -1;
		out[i] = (uint8_t)(h << 4 | l);
	}
	return (int)(n / 2);
}

static int
parse_u32(const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || end == s || x > UINT32_MAX || s[0] == '-')
		return -1;
	*v = (uint32_t)x;
	return 0;
}

static int
parse_onoff(const char *s, bool *v)
{
	if (strcasecmp(s, "on") == 0 || strcasecmp(s, "yes") == 0 || strcmp(s, "1") == 0)
		*v = true;
	else if (strcasecmp(s, "off") == 0 || strcasecmp(s, "no") == 0 || strcmp(s, "0") == 0)
		*v = false;
	else
		return -1;
	return 0;
}

int
mxp_esp_sa_params_parse(struct mxp_esp_sa_params *p, const char *line, char *err,
			size_t errlen)
{
	char word[160];
	const char *s = line;
	int first = 1, rc = -EINVAL;
	bool have_spi = false, have_key = false;

	memset(p, 0, sizeof(*p));
	while (*s != '\0') {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#' || *s == '\n' || *s == '\r')
			break;
		size_t n = 0;
		while (s[n] != '\0' && s[n] != ' ' && s[n] != '\t' && s[n] != '\n' && s[n] != '\r')
			n++;
		if (n >= sizeof(word)) {
			snprintf(err, errlen, "word too long at column %zu", (size_t)(s - line) + 1);
			goto out;
		}
		memcpy(word, s, n);
		word[n] = '\0';
		s += n;
		if (first) {
			first = 0;
			if (strcasecmp(word, "in") == 0) {
				p->dir = MXP_ESP_DIR_IN;
				continue;
			}
			if (strcasecmp(word, "out") == 0) {
				p->dir = MXP_ESP_DIR_OUT;
				continue;
			}
			snprintf(err, errlen, "expected 'in' or 'out', got '%.40s'", word);
			goto out;
		}
		char *eq = strchr(word, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "expected name=value, got '%.40s'", word);
			goto out;
		}
		*eq = '\0';
		const char *k = word, *v = eq + 1;
		int bad = 0;
		if (strcasecmp(k, "spi") == 0) {
			bad = parse_u32(v, &p->spi);
			have_spi = true;
		} else if (strcasecmp(k, "alg") == 0) {
			p->alg = mxp_esp_alg_from_name(v);
			bad = p->alg == MXP_ESP_ALG_NONE;
		} else if (strcasecmp(k, "local") == 0) {
			bad = mxp_ip_parse(v, &p->local, NULL);
		} else if (strcasecmp(k, "peer") == 0) {
			bad = mxp_ip_parse(v, &p->peer, NULL);
		} else if (strcasecmp(k, "encap") == 0) {
			if (strcasecmp(v, "udp") == 0) {
				p->udp_encap = true;
			} else if (strcasecmp(v, "none") == 0) {
				p->udp_encap = false;
			} else {
				bad = 1;
			}
		} else if (strcasecmp(k, "local-port") == 0 || strcasecmp(k, "peer-port") == 0) {
			uint32_t port;
			bad = parse_u32(v, &port) != 0 || port == 0 || port > 65535;
			if (!bad && (k[0] | 0x20) == 'l')
				p->local_port = (uint16_t)port;
			else if (!bad)
				p->peer_port = (uint16_t)port;
		} else if (strcasecmp(k, "esn") == 0) {
			bad = parse_onoff(v, &p->esn);
		} else if (strcasecmp(k, "window") == 0) {
			bad = parse_u32(v, &p->window);
		} else if (strcasecmp(k, "seq") == 0) {
			char *end = NULL;
			errno = 0;
			unsigned long long x = strtoull(v, &end, 0);
			bad = v[0] == '\0' || v[0] == '-' || *end != '\0' || errno != 0;
			p->seq = bad ? 0 : x;
		} else if (strcasecmp(k, "key") == 0) {
			int l = hex_decode(v, strlen(v), p->key, sizeof(p->key));
			bad = l <= 0;
			p->key_len = bad ? 0 : (uint8_t)l;
			have_key = true;
		} else if (strcasecmp(k, "auth-key") == 0) {
			int l = hex_decode(v, strlen(v), p->auth_key, sizeof(p->auth_key));
			bad = l <= 0;
			p->auth_key_len = bad ? 0 : (uint8_t)l;
		} else {
			snprintf(err, errlen, "unknown SA parameter '%.40s'", k);
			goto out;
		}
		if (bad) {
			/* Never echo a key's value. */
			if (strcasecmp(k, "key") == 0 || strcasecmp(k, "auth-key") == 0)
				snprintf(err, errlen, "%s: not hex, or longer than %d bytes", k,
					 MXP_ESP_KEY_MAX);
			else
				snprintf(err, errlen, "bad value for %s: '%.40s'", k, v);
			goto out;
		}
	}
	if (first) {
		snprintf(err, errlen, "empty SA");
		goto out;
	}
	if (!have_spi || !have_key || p->alg == MXP_ESP_ALG_NONE) {
		snprintf(err, errlen, "an SA needs spi=, alg= and key=");
		goto out;
	}
	if (p->udp_encap) {
		if (p->local_port == 0)
			p->local_port = MXP_ESP_NATT_PORT;
		if (p->peer_port == 0)
			p->peer_port = MXP_ESP_NATT_PORT;
	}
	rc = mxp_esp_sa_params_check(p, err, errlen);
out:
	mxp_crypto_wipe(word, sizeof(word));
	if (rc != 0)
		mxp_esp_sa_params_wipe(p);
	return rc;
}

int
mxp_esp_sa_params_check(const struct mxp_esp_sa_params *p, char *err, size_t errlen)
{
	if ((unsigned int)p->alg >= MXP_ESP_ALG_MAX || p->alg == MXP_ESP_ALG_NONE) {
		snprintf(err, errlen, "unknown algorithm");
		return -EINVAL;
	}
	const struct esp_alg_info *ai = &esp_algs[p->alg];
	if (p->spi < 256) {
		snprintf(err, errlen, "SPI %u is reserved (0..255)", p->spi);
		return -EINVAL;
	}
	if (p->key_len != ai->key_len) {
		snprintf(err, errlen, "%s needs a %u-byte key%s, got %u bytes", ai->name,
			 ai->key_len, ai->aead ? " (key then 4-byte salt)" : "", p->key_len);
		return -EINVAL;
	}
	if (p->auth_key_len != ai->auth_key_len) {
		snprintf(err, errlen, "%s needs a %u-byte auth-key, got %u bytes", ai->name,
			 ai->auth_key_len, p->auth_key_len);
		return -EINVAL;
	}
	if (p->dir != MXP_ESP_DIR_IN && p->dir != MXP_ESP_DIR_OUT) {
		snprintf(err, errlen, "bad direction");
		return -EINVAL;
	}
	if (!p->esn && p->seq > UINT32_MAX) {
		snprintf(err, errlen, "seq %" PRIu64 " needs esn=on (without ESN at most %u)",
			 p->seq, UINT32_MAX);
		return -EINVAL;
	}
	if (p->local.af == 0 || p->peer.af == 0) {
		snprintf(err, errlen, "an SA needs local= and peer= addresses");
		return -EINVAL;
	}
	if (p->local.af != p->peer.af) {
		snprintf(err, errlen, "local and peer addresses are of different families");
		return -EINVAL;
	}
	if (p->window != 0 && (p->window < MXP_ESP_WINDOW_MIN || p->window > MXP_ESP_WINDOW_MAX ||
			       p->window % 64 != 0)) {
		snprintf(err, errlen, "window %u: must be a multiple of 64 in [%d, %d]", p->window,
			 MXP_ESP_WINDOW_MIN, MXP_ESP_WINDOW_MAX);
		return -EINVAL;
	}
	if (p->udp_encap && (p->local_port == 0 || p->peer_port == 0)) {
		snprintf(err, errlen, "UDP encapsulation needs local and peer ports");
		return -EINVAL;
	}
	return 0;
}

void
mxp_esp_sa_params_wipe(struct mxp_esp_sa_params *p)
{
	mxp_crypto_wipe(p, sizeof(*p));
}

size_t
mxp_esp_sa_size(void)
{
	return sizeof(struct mxp_esp_sa);
}

int
mxp_esp_sa_init(struct mxp_esp_sa *sa, const struct mxp_esp_sa_params *p,
		const struct mxp_esp_crypto *c, char *err, size_t errlen)
{
	int rc = mxp_esp_sa_params_check(p, err, errlen);
	if (rc != 0)
		return rc;
	memset(sa, 0, sizeof(*sa));
	sa->p = *p;
	sa->crypto = c;
	sa->info = &esp_algs[p->alg];
	if (p->dir == MXP_ESP_DIR_IN) {
		rc = mxp_esp_replay_init(&sa->replay, p->window);
		if (rc != 0) {
			snprintf(err, errlen, "bad window");
			goto fail;
		}
	} else if (sa->info->aead) {
		uint8_t b[8];
		rc = c->rand(c->rand_arg, b, sizeof(b));
		if (rc != 0) {
			snprintf(err, errlen, "no random bytes for the IV base");
			goto fail;
		}
		for (int i = 0; i < 8; i++)
			sa->iv_base = sa->iv_base << 8 | b[i];
	}
	rc = c->ops->sa_init(c->be, sa->priv, p->alg, p->key, p->key_len, p->auth_key,
			     p->auth_key_len);
	if (rc != 0) {
		snprintf(err, errlen, "%s backend refused the keys (%d)", c->ops->name, rc);
		goto fail;
	}
	sa->in_use = 1;
	if (p->seq != 0)
		mxp_esp_sa_seq_set(sa, p->seq);
	return 0;
fail:
	mxp_crypto_wipe(sa, sizeof(*sa));
	return rc;
}

void
mxp_esp_sa_fini(struct mxp_esp_sa *sa)
{
	if (sa->in_use && sa->crypto != NULL)
		sa->crypto->ops->sa_fini(sa->crypto->be, sa->priv);
	mxp_crypto_wipe(sa, sizeof(*sa));
}

const struct mxp_esp_sa_params *
mxp_esp_sa_params_get(const struct mxp_esp_sa *sa)
{
	return &sa->p;
}

const struct mxp_esp_sa_stats *
mxp_esp_sa_stats_get(const struct mxp_esp_sa *sa)
{
	return &sa->stats;
}

uint64_t
mxp_esp_sa_seq(const struct mxp_esp_sa *sa)
{
	return sa->p.dir == MXP_ESP_DIR_OUT ? sa->seq : sa->replay.top;
}

void
mxp_esp_sa_seq_set(struct mxp_esp_sa *sa, uint64_t seq)
{
	if (sa->p.dir == MXP_ESP_DIR_OUT) {
		sa->seq = seq;
	} else {
		mxp_esp_replay_init(&sa->replay, sa->replay.window);
		mxp_esp_replay_commit(&sa->replay, seq);
	}
}

void
mxp_esp_sa_fingerprint(const struct mxp_esp_sa *sa, char out[9])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	snprintf(out, 9, "????????");
	if (ctx == NULL)
		return;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, sa->p.key, sa->p.key_len) == 1 &&
	    EVP_DigestUpdate(ctx, sa->p.auth_key, sa->p.auth_key_len) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen >= 4)
		snprintf(out, 9, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
	EVP_MD_CTX_free(ctx);
	mxp_crypto_wipe(md, sizeof(md));
}
