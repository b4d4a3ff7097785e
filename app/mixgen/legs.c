/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --legs FILE: play legs that somebody else set up, from a participant key file in mrfc's
 * format (doc/mp.md; mixgen --keys-out writes the same):
 *
 *   leg <ctx> <term> <mrfp-addr> <mrfp-port> <participant-addr> <participant-port> <pt>
 *   tx <a=crypto value the participant sends with>
 *   rx <a=crypto value the participant receives with>
 *   ssrc <participant SSRC>                  (optional, mixgen's addition)
 *
 * Legs with the same <ctx> form a conference. Every participant address must be the same
 * (mixgen plays one address). This is how a scenario set up over Mp (mrfc over ESP) is
 * played: mrfc --keys-out FILE add legs=N ..., then mixgen --legs FILE. The keys are parsed
 * by lib/srtp's RFC 4568 parser.
 *
 * When the file changes during the run (mrfc rewrites it after a rekey), the new keys are
 * taken: a new tx key is switched to, a new rx key is added beside the old one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_ring.h>

#include "mixgen.h"
#include "mxp_srtp_sdes.h"

struct fleg {
	uint32_t ctx;
	char term[MG_LABEL_LEN];
	struct mxp_ip mixer, part;
	uint16_t mixer_port, part_port;
	uint8_t pt;
	bool has_tx, has_rx, has_ssrc;
	struct mg_key tx, rx;
	uint32_t ssrc;
};

static int
key_from_sdes(const char *v, struct mg_key *k, char *err, size_t errlen)
{
	struct mxp_sdes_crypto c;
	char e[160];
	if (mxp_sdes_parse(v, strlen(v), &c, e, sizeof(e)) != 0)
		return MG_ERR(err, errlen, "%s", e);
	int rc = 0;
	if (c.suite != MXP_SRTP_AES_CM_128_HMAC_SHA1_80)
		rc = MG_ERR(err, errlen, "suite %s: mixgen plays AES_CM_128_HMAC_SHA1_80",
			    mxp_srtp_suite_info(c.suite)->name);
	else if (c.keys[0].mki_len != 0 && c.keys[0].mki_len != 4)
		rc = MG_ERR(err, errlen, "MKI of %u bytes: mixgen handles 4", c.keys[0].mki_len);
	if (rc == 0) {
		memset(k, 0, sizeof(*k));
		/* The last inline key is the newest (after a rekey). */
		const struct mxp_sdes_key *s = &c.keys[c.nkeys - 1];
		memcpy(k->key, s->key, 16);
		memcpy(k->salt, s->salt, 14);
		k->mki_len = s->mki_len;
		memcpy(k->mki, s->mki, s->mki_len);
		for (unsigned int i = 0; i < s->mki_len; i++)
			k->mki_val = k->mki_val << 8 | s->mki[i];
	}
	mxp_sdes_wipe(&c);
	return rc;
}

/* Parse the file into at most max legs. Returns how many, or -1 with err. */
static int
parse(const char *path, struct fleg *legs, uint32_t max, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return MG_ERR(err, errlen, "--legs %s: %s", path, strerror(errno));
	char line[1024], e[300];
	uint32_t n = 0, no = 0;
	struct fleg *cur = NULL;
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		no++;
		line[strcspn(line, "\r\n")] = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (strncmp(s, "leg ", 4) == 0) {
			if (n == max) {
				rc = MG_ERR(err, errlen, "--legs %s: more than %u legs", path, max);
				break;
			}
			cur = &legs[n++];
			memset(cur, 0, sizeof(*cur));
			char term[128], ma[64], pa[64];
			unsigned int ctx, mp, pp, pt;
			if (sscanf(s + 4, "%u %127s %63s %u %63s %u %u", &ctx, term, ma, &mp, pa, &pp,
				   &pt) != 7 || mp == 0 || mp > 65535 || pp == 0 || pp > 65534 ||
			    pt > 127 || mxp_ip_parse(ma, &cur->mixer, NULL) ||
			    mxp_ip_parse(pa, &cur->part, NULL)) {
				rc = MG_ERR(err, errlen,
					    "--legs %s:%u: expected 'leg CTX TERM MRFP-ADDR MRFP-PORT "
					    "PARTICIPANT-ADDR PARTICIPANT-PORT PT'", path, no);
				break;
			}
			cur->ctx = ctx;
			snprintf(cur->term, sizeof(cur->term), "%.*s", (int)sizeof(cur->term) - 1, term);
			cur->mixer_port = (uint16_t)mp;
			cur->part_port = (uint16_t)pp;
			cur->pt = (uint8_t)pt;
		} else if (cur && (strncmp(s, "tx ", 3) == 0 || strncmp(s, "rx ", 3) == 0)) {
			bool tx = s[0] == 't';
			if (key_from_sdes(s + 3, tx ? &cur->tx : &cur->rx, e, sizeof(e)) != 0) {
				rc = MG_ERR(err, errlen, "--legs %s:%u: %s key: %s", path, no,
					    tx ? "tx" : "rx", e);
				break;
			}
			if (tx)
				cur->has_tx = true;
			else
				cur->has_rx = true;
		} else if (cur && strncmp(s, "ssrc ", 5) == 0) {
			cur->ssrc = (uint32_t)strtoul(s + 5, NULL, 10);
			cur->has_ssrc = cur->ssrc != 0;
		} else {
			rc = MG_ERR(err, errlen, "--legs %s:%u: unexpected '%.40s'", path, no, s);
		}
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	for (uint32_t i = 0; rc == 0 && i < n; i++)
		if (!legs[i].has_tx || !legs[i].has_rx)
			rc = MG_ERR(err, errlen, "--legs %s: leg %s has no %s key", path, legs[i].term,
				    legs[i].has_tx ? "rx" : "tx");
	if (rc == 0 && n < 2)
		rc = MG_ERR(err, errlen, "--legs %s: %u leg(s); a conference needs two", path, n);
	if (rc != 0) {
		explicit_bzero(legs, sizeof(*legs) * max);
		return -1;
	}
	return (int)n;
}

static struct timespec legs_mtime;

int
mg_legs_load(struct mg *m, const char *path, char *err, size_t errlen)
{
	struct fleg *legs = calloc(MG_MAX_PARTS, sizeof(*legs));
	if (legs == NULL)
		return MG_ERR(err, errlen, "out of memory");
	int n = parse(path, legs, MG_MAX_PARTS, err, errlen);
	if (n < 0) {
		free(legs);
		return -1;
	}
	struct stat st;
	if (stat(path, &st) == 0)
		legs_mtime = st.st_mtim;
	/* Conferences in order of first appearance; legs of a conference kept together. */
	uint32_t *order = calloc((size_t)n, sizeof(*order)), *cids = calloc((size_t)n, sizeof(*cids));
	m->confs = calloc((size_t)n, sizeof(*m->confs));
	m->parts = calloc((size_t)n, sizeof(*m->parts));
	m->senders = calloc((size_t)n, sizeof(*m->senders));
	int rc = -1;
	if (order == NULL || cids == NULL || m->confs == NULL || m->parts == NULL ||
	    m->senders == NULL) {
		(void)MG_ERR(err, errlen, "out of memory");
		goto out;
	}
	uint32_t nc = 0, k = 0;
	for (int i = 0; i < n; i++) {
		bool seen = false;
		for (uint32_t c = 0; c < nc; c++)
			seen |= cids[c] == legs[i].ctx;
		if (!seen)
			cids[nc++] = legs[i].ctx;
	}
	for (uint32_t c = 0; c < nc; c++)
		for (int i = 0; i < n; i++)
			if (legs[i].ctx == cids[c])
				order[k++] = (uint32_t)i;
	m->nconfs = nc;
	m->nparts = (uint32_t)n;
	m->o.parts = 0;
	bool mki = legs[0].tx.mki_len != 0;
	for (uint32_t j = 0; j < (uint32_t)n; j++) {
		const struct fleg *l = &legs[order[j]];
		struct mg_part *p = &m->parts[j];
		uint32_t c = 0;
		while (cids[c] != l->ctx)
			c++;
		struct mg_conf *cf = &m->confs[c];
		if (cf->n == 0) {
			cf->idx = c;
			cf->id = l->ctx;
			cf->first = j;
		}
		cf->n++;
		if (cf->n > m->o.parts)
			m->o.parts = cf->n;
		if (!mxp_ip_equal(&l->part, &legs[0].part) || l->part.af != AF_INET) {
			(void)MG_ERR(err, errlen, "--legs %s: mixgen plays one IPv4 participant "
						  "address; leg %s has another", path, l->term);
			goto out;
		}
		if ((l->tx.mki_len != 0) != mki || (l->rx.mki_len != 0) != mki) {
			(void)MG_ERR(err, errlen, "--legs %s: keys with and without MKI", path);
			goto out;
		}
		for (uint32_t q = 0; q < j; q++)
			if (m->parts[q].port == l->part_port) {
				(void)MG_ERR(err, errlen, "--legs %s: port %u used twice", path,
					     l->part_port);
				goto out;
			}
		p->idx = j;
		p->conf = c;
		snprintf(p->label, sizeof(p->label), "%s", l->term);
		p->port = l->part_port;
		p->leg_id = j + 1;
		p->mixer_ip = l->mixer;
		p->mixer_port = l->mixer_port;
		p->mixer_rtcp_port = (uint16_t)(l->mixer_port + 1);
		p->tx_key[0] = l->tx;
		p->rx_key[0] = l->rx;
		p->n_tx_keys = p->n_rx_keys = 1;
		p->ssrc = l->ssrc;
		p->recv = true;
	}
	m->o.ip.v4 = legs[0].part.v4;
	m->mki = mki;
	/* The report says "group" when every conference's legs receive under one key. */
	bool group = true;
	for (uint32_t j = 1; j < (uint32_t)n; j++) {
		const struct fleg *a = &legs[order[j]], *b = &legs[order[j - 1]];
		if (a->ctx == b->ctx && memcmp(&a->rx, &b->rx, sizeof(a->rx)) != 0)
			group = false;
	}
	m->o.keys = group ? MG_KEYS_GROUP : MG_KEYS_INDIVIDUAL;
	for (uint32_t c = 0; c < nc; c++) {
		struct mg_conf *cf = &m->confs[c];
		uint32_t nsend = m->o.senders < 0 || (uint32_t)m->o.senders > cf->n ? cf->n :
											  (uint32_t)m->o.senders;
		cf->nsend = nsend;
		cf->nrecv = cf->n;
		cf->created = true; /* nothing to undo: somebody else owns them */
		for (uint32_t j = cf->first; j < cf->first + cf->n; j++)
			m->parts[j].send = j - cf->first < nsend;
	}
	rc = 0;
out:
	explicit_bzero(legs, sizeof(*legs) * MG_MAX_PARTS);
	free(legs);
	free(order);
	free(cids);
	return rc;
}

/*
 * Called by the main lcore a few times a second: if the file changed, send the data lcores
 * the new keys (a changed tx key: switch to it; a changed rx key: accept it beside the
 * old). cmds has room for 2 * nparts commands.
 */
/* Look again at the next poll (the file was caught half written). */
void
mg_legs_retry(void)
{
	legs_mtime.tv_sec = 0;
	legs_mtime.tv_nsec = 0;
}

bool
mg_legs_changed(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0 || (st.st_mtim.tv_sec == legs_mtime.tv_sec &&
				     st.st_mtim.tv_nsec == legs_mtime.tv_nsec))
		return false;
	legs_mtime = st.st_mtim;
	return true;
}

/* tx false: post the receivers' new keys; tx true: switch the senders to theirs. */
int
mg_legs_poll(struct mg *m, const char *path, struct mg_cmd *cmds, bool tx, char *err,
	     size_t errlen)
{
	struct fleg *legs = calloc(MG_MAX_PARTS, sizeof(*legs));
	if (legs == NULL)
		return MG_ERR(err, errlen, "out of memory");
	int n = parse(path, legs, MG_MAX_PARTS, err, errlen);
	int changed = 0;
	for (int i = 0; i < n; i++) {
		struct mg_part *p = NULL;
		for (uint32_t j = 0; j < m->nparts && p == NULL; j++)
			if (strcmp(m->parts[j].label, legs[i].term) == 0)
				p = &m->parts[j];
		if (p == NULL)
			continue; /* a leg added later is not played */
		const struct mg_key *last_rx = &p->rx_key[p->n_rx_keys - 1];
		const struct mg_key *last_tx = &p->tx_key[p->n_tx_keys - 1];
		if (!tx && memcmp(legs[i].rx.key, last_rx->key, 16) != 0 &&
		    p->n_rx_keys < MG_MAX_KEYS) {
			struct mg_cmd *c = &cmds[p->idx];
			*c = (struct mg_cmd){ .type = MG_CMD_RX_KEY_ADD, .part = p->idx, .key = legs[i].rx };
			if (rte_ring_enqueue(mg_cmd_rx, c) == 0)
				changed++;
		}
		if (tx && p->send && memcmp(legs[i].tx.key, last_tx->key, 16) != 0 &&
		    p->n_tx_keys < MG_MAX_KEYS) {
			struct mg_cmd *c = &cmds[m->nparts + p->idx];
			*c = (struct mg_cmd){ .type = MG_CMD_TX_KEY_SWITCH, .part = p->idx,
					      .key = legs[i].tx };
			if (rte_ring_enqueue(mg_cmd_tx, c) == 0)
				changed++;
		}
	}
	explicit_bzero(legs, sizeof(*legs) * MG_MAX_PARTS);
	free(legs);
	return n < 0 ? -1 : changed;
}
