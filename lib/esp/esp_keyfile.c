/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key files (format in doc/security.md):
 *
 *   # comment
 *   sa in  spi=0x00001001 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 key=<40 hex>
 *   sa out spi=0x00002001 alg=aes-gcm-128 local=192.0.2.2 peer=192.0.2.1 key=<40 hex>
 *   peer 192.0.2.1 out-spi=0x00002001
 *
 * Loaded all or nothing; the file's bytes and the parsed keys are wiped after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esp_priv.h"

#define KEYFILE_MAX (256 * 1024)

struct kf_entry {
	int is_peer;
	struct mxp_esp_sa_params sa;
	struct mxp_esp_peer peer;
	/* Pass 2, peers: the policy entry this one replaced (had_prior), for the rollback. */
	int had_prior;
	struct mxp_esp_peer prior;
};

/* The policy entry for addr, if there is one. */
static int
peer_lookup(const struct mxp_esp_ep *ep, const struct mxp_ip *addr,
	    struct mxp_esp_peer *out)
{
	for (uint32_t i = 0; mxp_esp_ep_peer_at(ep, i, out) == 0; i++)
		if (mxp_ip_equal(&out->addr, addr))
			return 1;
	return 0;
}

static int
parse_peer(const char *s, struct mxp_esp_peer *pe, char *err, size_t errlen)
{
	char addr[64];
	size_t n = 0;

	memset(pe, 0, sizeof(*pe));
	while (*s == ' ' || *s == '\t')
		s++;
	while (s[n] != '\0' && s[n] != ' ' && s[n] != '\t' && n < sizeof(addr) - 1)
		n++;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (mxp_ip_parse(addr, &pe->addr, NULL) != 0) {
		snprintf(err, errlen, "peer: bad address '%s'", addr);
		return -EINVAL;
	}
	s += n;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\0' || *s == '#')
		return 0;
	if (strncasecmp(s, "out-spi=", 8) != 0) {
		snprintf(err, errlen, "peer: expected out-spi=, got '%.30s'", s);
		return -EINVAL;
	}
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s + 8, &end, 0);
	while (*end == ' ' || *end == '\t')
		end++;
	if (errno != 0 || v > UINT32_MAX || end == s + 8 || (*end != '\0' && *end != '#')) {
		snprintf(err, errlen, "peer: bad out-spi");
		return -EINVAL;
	}
	pe->out_spi = (uint32_t)v;
	return 0;
}

/* Parse and apply the text of a key file (NUL-terminated, modified in place). */
static int
load_text(struct mxp_esp_ep *ep, const char *name, char *buf, char *err, size_t errlen)
{
	size_t nent = 0, cap = 0;
	struct kf_entry *ents = NULL;
	int rc = 0, nsa = 0;

	/* Pass 1: parse every line. */
	char *line = buf;
	for (unsigned int lineno = 1; line != NULL && *line != '\0'; lineno++) {
		char *nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		char *s = line;
		line = nl != NULL ? nl + 1 : NULL;
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		size_t l = strlen(s);
		while (l > 0 && (s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
			s[--l] = '\0';
		if (*s == '\0' || *s == '#')
			continue;
		if (nent == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct kf_entry *n = calloc(ncap, sizeof(*n));
			if (n == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			if (ents != NULL) {
				memcpy(n, ents, nent * sizeof(*n));
				mxp_crypto_wipe(ents, cap * sizeof(*ents));
				free(ents);
			}
			ents = n;
			cap = ncap;
		}
		struct kf_entry *e = &ents[nent];
		char msg[160];
		if (strncasecmp(s, "sa", 2) == 0 && (s[2] == ' ' || s[2] == '\t')) {
			rc = mxp_esp_sa_params_parse(&e->sa, s + 3, msg, sizeof(msg));
		} else if (strncasecmp(s, "peer", 4) == 0 && (s[4] == ' ' || s[4] == '\t')) {
			e->is_peer = 1;
			rc = parse_peer(s + 5, &e->peer, msg, sizeof(msg));
		} else {
			snprintf(msg, sizeof(msg), "expected 'sa' or 'peer'");
			rc = -EINVAL;
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s:%u: %s", name, lineno, msg);
			goto out;
		}
		nent++;
	}

	/* Pass 2: apply, undoing on failure. An SA that exists makes the load fail (EEXIST), so
	 * every SA applied was added by this load; a peer line replaces an existing policy entry,
	 * so what it replaced is kept to be put back. */
	size_t i;
	for (i = 0; i < nent; i++) {
		char msg[160];
		if (ents[i].is_peer) {
			ents[i].had_prior = peer_lookup(ep, &ents[i].peer.addr, &ents[i].prior);
			rc = mxp_esp_ep_peer_add(ep, &ents[i].peer);
			snprintf(msg, sizeof(msg), "policy full");
		} else {
			rc = mxp_esp_ep_sa_add(ep, &ents[i].sa, msg, sizeof(msg));
			nsa++;
		}
		if (rc != 0) {
			snprintf(err, errlen, "%s: entry %zu: %s", name, i + 1, msg);
			break;
		}
	}
	if (rc != 0) {
		/* Newest first, so that a peer given twice ends with what it had before the load;
		 * a replaced entry is rewritten in its own slot. */
		for (size_t j = i; j-- > 0;) {
			if (ents[j].is_peer && ents[j].had_prior)
				mxp_esp_ep_peer_add(ep, &ents[j].prior);
			else if (ents[j].is_peer)
				mxp_esp_ep_peer_del(ep, &ents[j].peer.addr);
			else
				mxp_esp_ep_sa_del(ep, ents[j].sa.dir, ents[j].sa.spi,
						  &ents[j].sa.local);
		}
	}
out:
	if (ents != NULL) {
		mxp_crypto_wipe(ents, cap * sizeof(*ents));
		free(ents);
	}
	return rc != 0 ? rc : nsa;
}

int
mxp_esp_keyfile_load(struct mxp_esp_ep *ep, const char *path, unsigned int flags, char *err,
		     size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > KEYFILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
			 KEYFILE_MAX);
		close(fd);
		return -EINVAL;
	}
	if ((st.st_mode & 077) != 0 && !(flags & MXP_ESP_KEYFILE_ANY_MODE)) {
		snprintf(err, errlen, "%s: mode %03o lets others read the keys; chmod 600 it",
			 path, (unsigned int)(st.st_mode & 0777));
		close(fd);
		return -EPERM;
	}
	size_t size = (size_t)st.st_size;
	char *buf = malloc(size + 1);
	if (buf == NULL) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	int rc = load_text(ep, path, buf, err, errlen);
	mxp_crypto_wipe(buf, size + 1);
	free(buf);
	return rc;
}

int
mxp_esp_keybuf_load(struct mxp_esp_ep *ep, const char *name, const char *text, size_t len,
		    char *err, size_t errlen)
{
	if (len > KEYFILE_MAX) {
		snprintf(err, errlen, "%s: more than %d bytes", name, KEYFILE_MAX);
		return -EINVAL;
	}
	char *buf = malloc(len + 1);
	if (buf == NULL)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		mxp_crypto_wipe(buf, len + 1);
		free(buf);
		snprintf(err, errlen, "%s: a NUL byte in the text", name);
		return -EINVAL;
	}
	int rc = load_text(ep, name, buf, err, errlen);
	mxp_crypto_wipe(buf, len + 1);
	free(buf);
	return rc;
}
