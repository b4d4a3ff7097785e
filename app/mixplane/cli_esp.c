/* SPDX-License-Identifier: BSD-3-Clause */
/* CLI of the Mp control plane: show mp, show esp, esp sa add/delete; counters for telemetry. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mp_priv.h"

static const char *const counter_names[] = {
#define MP_N_(n, d) #n,
	MP_COUNTERS(MP_N_)
#undef MP_N_
};
static const char *const counter_descs[] = {
#define MP_D_(n, d) d,
	MP_COUNTERS(MP_D_)
#undef MP_D_
};

unsigned int
mxp_mp_plane_counters(const char **names, uint64_t *values, unsigned int max)
{
	const uint64_t *v = (const uint64_t *)&mp.c;
	unsigned int n = 0;
	for (size_t i = 0; i < RTE_DIM(counter_names) && n < max; i++, n++) {
		names[n] = counter_names[i];
		values[n] = v[i];
	}
	if (mp.ep) {
		const uint64_t *e = mxp_esp_ep_counters(mp.ep);
		for (int d = 1; d < MXP_ESP_DROP_MAX && n < max; d++, n++) {
			names[n] = mxp_esp_drop_name((enum mxp_esp_drop)d);
			values[n] = e[d];
		}
	}
	return n;
}

static const char *const sc_names[] = { "none", "sent", "answered", "failed" };

static unsigned int
outstanding(void)
{
	unsigned int n = 0;
	for (int k = 0; k < MP_OUT_MAX; k++)
		n += mp.out[k].used;
	return n;
}

int
mxp_cli_show_mp(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	const uint64_t *v = (const uint64_t *)&mp.c;
	const uint64_t *e = mp.ep ? mxp_esp_ep_counters(mp.ep) : NULL;
	uint64_t plain_drops = e ? e[MXP_ESP_DROP_PLAINTEXT] : 0;
	uint64_t policy_drops = e ? e[MXP_ESP_DROP_NOT_IN_POLICY] : 0;
	char mrfc[64] = "";
	if (mxp.cfg.mp.has_mrfc)
		mxp_ip_format(&mxp.cfg.mp.mrfc, mrfc, sizeof(mrfc));
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_bool(&j, "enabled", mp.enabled);
		mxp_json_bool(&j, "allow_plaintext_mp", mxp.cfg.mp.allow_plaintext);
		mxp_json_str(&j, "mid", mp.enabled ? mp.mid : NULL);
		mxp_json_str(&j, "mrfc", mxp.cfg.mp.has_mrfc ? mrfc : NULL);
		mxp_json_str(&j, "service_change", sc_names[mp.sc]);
		mxp_json_u64(&j, "service_change_attempts", mp.sc_attempts);
		for (size_t k = 0; k < RTE_DIM(counter_names); k++)
			mxp_json_u64(&j, counter_names[k], v[k]);
		mxp_json_u64(&j, "plaintext_dropped", plain_drops);
		mxp_json_u64(&j, "not_in_policy_dropped", policy_drops);
		mxp_json_obj_open(&j, "errors_by_code");
		for (size_t k = 0; k < RTE_DIM(mp.err_by_code); k++)
			if (mp.err_by_code[k]) {
				char code[8];
				snprintf(code, sizeof(code), "%zu", k);
				mxp_json_u64(&j, code, mp.err_by_code[k]);
			}
		mxp_json_obj_close(&j);
		mxp_json_u64(&j, "reply_cache", mp.rc ? mxp_mp_rcache_count(mp.rc) : 0);
		mxp_json_u64(&j, "reply_cache_bytes", mp.rc ? mxp_mp_rcache_bytes_used(mp.rc) : 0);
		mxp_json_u64(&j, "reply_cache_capacity", mxp.cfg.mp.reply_cache);
		mxp_json_u64(&j, "outstanding_requests", outstanding());
		mxp_json_u64(&j, "legs", mp.nlegs);
		mxp_json_obj_close(&j);
		return MXP_CTL_OK;
	}
	if (!mp.enabled) {
		mxp_buf_printf(r->out, "the Mp control plane is off (no [mp] section)\n");
		return MXP_CTL_OK;
	}
	mxp_buf_printf(r->out,
		       "Mp over %s, message id %s%s\n"
		       "MRFC %s, ServiceChange %s (%u attempt%s), %u request(s) of ours outstanding\n"
		       "reply cache %u/%u replies, %zu KiB; %u legs known to the plane\n"
		       "Mp in the clear dropped: %" PRIu64 "; from hosts not in the policy: %" PRIu64
		       "\n\n",
		       mxp_esp_ep_sa_count(mp.ep) ? "ESP" : "nothing (plaintext lab mode)", mp.mid,
		       mxp.cfg.mp.allow_plaintext ? ", PLAINTEXT ALLOWED (lab)" : "",
		       mxp.cfg.mp.has_mrfc ? mrfc : "not configured", sc_names[mp.sc],
		       mp.sc_attempts, mp.sc_attempts == 1 ? "" : "s", outstanding(),
		       mxp_mp_rcache_count(mp.rc), mxp.cfg.mp.reply_cache,
		       mxp_mp_rcache_bytes_used(mp.rc) / 1024, mp.nlegs, plain_drops, policy_drops);
	static const char *const hdr[] = { "counter", ">value", "meaning" };
	struct mxp_table t;
	if (mxp_table_init(&t, 3, hdr) != 0)
		return MXP_CTL_ERR;
	for (size_t k = 0; k < RTE_DIM(counter_names); k++) {
		char n[24];
		snprintf(n, sizeof(n), "%" PRIu64, v[k]);
		const char *row[] = { counter_names[k], n, counter_descs[k] };
		mxp_table_row(&t, row);
	}
	mxp_table_render(&t, r->out);
	bool any = false;
	for (size_t k = 0; k < RTE_DIM(mp.err_by_code); k++)
		if (mp.err_by_code[k]) {
			if (!any)
				mxp_buf_printf(r->out, "\nerrors by H.248.8 code:\n");
			any = true;
			mxp_buf_printf(r->out, "  %zu %-50s %" PRIu64 "\n", k,
				       mxp_mp_errcode_name((unsigned)k), mp.err_by_code[k]);
		}
	return MXP_CTL_OK;
}

int
mxp_cli_show_esp(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	if (!mp.enabled) {
		mxp_buf_printf(r->out, r->json ? "{\"enabled\":false}" : "no ESP: the Mp control plane is off\n");
		return MXP_CTL_OK;
	}
	struct mxp_json j;
	struct mxp_table t;
	static const char *const hdr[] = { "dir", "spi", "alg", "local", "peer", "encap", "key",
					   ">packets", ">bytes", ">drops" };
	uint32_t n = mxp_esp_ep_sa_count(mp.ep);
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_arr_open(&j, "sas");
	} else {
		mxp_table_init(&t, RTE_DIM(hdr), hdr);
	}
	for (uint32_t k = 0; k < n; k++) {
		struct mxp_esp_sa *sa = mxp_esp_ep_sa_at(mp.ep, k);
		const struct mxp_esp_sa_params *p = mxp_esp_sa_params_get(sa);
		const struct mxp_esp_sa_stats *s = mxp_esp_sa_stats_get(sa);
		char fp[9], la[64], pa[64], spi[16], c[3][24];
		uint64_t drops = 0;
		for (int d = 1; d < MXP_ESP_DROP_MAX; d++)
			drops += s->drops[d];
		mxp_esp_sa_fingerprint(sa, fp);
		mxp_esp_addr_str(&p->local, la, sizeof(la));
		mxp_esp_addr_str(&p->peer, pa, sizeof(pa));
		snprintf(spi, sizeof(spi), "0x%08x", p->spi);
		if (r->json) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_str(&j, "dir", p->dir == MXP_ESP_DIR_IN ? "in" : "out");
			mxp_json_str(&j, "spi", spi);
			mxp_json_str(&j, "alg", mxp_esp_alg_name(p->alg));
			mxp_json_str(&j, "local", la);
			mxp_json_str(&j, "peer", pa);
			mxp_json_bool(&j, "udp_encap", p->udp_encap);
			mxp_json_str(&j, "fingerprint", fp);
			mxp_json_u64(&j, "seq", mxp_esp_sa_seq(sa));
			mxp_json_u64(&j, "packets", s->packets);
			mxp_json_u64(&j, "bytes", s->bytes);
			mxp_json_u64(&j, "drops", drops);
			mxp_json_obj_close(&j);
		} else {
			snprintf(c[0], 24, "%" PRIu64, s->packets);
			snprintf(c[1], 24, "%" PRIu64, s->bytes);
			snprintf(c[2], 24, "%" PRIu64, drops);
			const char *row[] = { p->dir == MXP_ESP_DIR_IN ? "in" : "out", spi,
					      mxp_esp_alg_name(p->alg), la, pa, p->udp_encap ? "udp" : "esp",
					      fp, c[0], c[1], c[2] };
			mxp_table_row(&t, row);
		}
	}
	const uint64_t *e = mxp_esp_ep_counters(mp.ep);
	if (r->json) {
		mxp_json_arr_close(&j);
		mxp_json_u64(&j, "accepted", e[0]);
		mxp_json_obj_open(&j, "drops");
		for (int d = 1; d < MXP_ESP_DROP_MAX; d++)
			mxp_json_u64(&j, mxp_esp_drop_name((enum mxp_esp_drop)d), e[d]);
		mxp_json_obj_close(&j);
		mxp_json_obj_close(&j);
		return MXP_CTL_OK;
	}
	mxp_table_render(&t, r->out);
	mxp_buf_printf(r->out, "\naccepted %" PRIu64 "; drops:", e[0]);
	bool any = false;
	for (int d = 1; d < MXP_ESP_DROP_MAX; d++)
		if (e[d]) {
			mxp_buf_printf(r->out, " %s=%" PRIu64, mxp_esp_drop_name((enum mxp_esp_drop)d), e[d]);
			any = true;
		}
	mxp_buf_printf(r->out, "%s\n", any ? "" : " none");
	return MXP_CTL_OK;
}

int
mxp_cli_esp_sa_add(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	if (!mp.enabled) {
		mxp_buf_printf(r->out, "esp sa add: the Mp control plane is off (add an [mp] section)\n");
		return MXP_CTL_ERR;
	}
	/* Same lines as a key file; all or nothing. */
	char line[1024];
	unsigned int added = 0, lineno = 0;
	uint32_t pos = 0;
	struct { uint32_t spi; uint8_t dir; struct mxp_esp_addr local; } done[64];
	int rc = MXP_CTL_OK;
	while (pos < r->body_len && rc == MXP_CTL_OK) {
		uint32_t e = pos;
		while (e < r->body_len && r->body[e] != '\n')
			e++;
		lineno++;
		size_t l = e - pos < sizeof(line) - 1 ? e - pos : sizeof(line) - 1;
		memcpy(line, r->body + pos, l);
		line[l] = '\0';
		pos = e + 1;
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		char err[256] = "";
		if (strncmp(s, "sa ", 3) == 0) {
			struct mxp_esp_sa_params p;
			int x = mxp_esp_sa_params_parse(&p, s + 3, err, sizeof(err));
			if (x == 0)
				x = mxp_esp_ep_sa_add(mp.ep, &p, err, sizeof(err));
			if (x == 0 && added < RTE_DIM(done)) {
				done[added].spi = p.spi;
				done[added].dir = (uint8_t)p.dir;
				done[added].local = p.local;
				added++;
			}
			mxp_esp_sa_params_wipe(&p);
			if (x) {
				mxp_buf_printf(r->out, "esp sa add: line %u: %s\n", lineno,
					       x == -EEXIST ? "an SA with this SPI exists" : err);
				rc = MXP_CTL_USAGE;
			}
		} else if (strncmp(s, "peer ", 5) == 0) {
			struct mxp_esp_peer pe = { 0 };
			char addr[64] = "";
			unsigned long spi = 0;
			if (sscanf(s + 5, "%63s out-spi=%li", addr, (long *)&spi) < 1 ||
			    mxp_esp_addr_parse(&pe.addr, addr) != 0) {
				mxp_buf_printf(r->out, "esp sa add: line %u: expected 'peer ADDR [out-spi=SPI]'\n",
					       lineno);
				rc = MXP_CTL_USAGE;
			} else {
				pe.out_spi = (uint32_t)spi;
				mxp_esp_ep_peer_add(mp.ep, &pe);
			}
		} else {
			mxp_buf_printf(r->out, "esp sa add: line %u: expected 'sa ...' or 'peer ...'\n", lineno);
			rc = MXP_CTL_USAGE;
		}
		explicit_bzero(line, sizeof(line));
	}
	if (rc != MXP_CTL_OK) {
		for (unsigned int k = 0; k < added; k++)
			mxp_esp_ep_sa_del(mp.ep, done[k].dir, done[k].spi, &done[k].local);
		return rc;
	}
	mxp_buf_printf(r->out, r->json ? "{\"added\":%u}" : "%u SA(s) added\n", added);
	return MXP_CTL_OK;
}

int
mxp_cli_esp_sa_delete(struct cli_req *r, int i)
{
	if (r->argc < i + 2 || r->argc > i + 3 || !mp.enabled)
		return MXP_CTL_USAGE;
	bool in = !strcmp(r->argv[i], "in");
	if (!in && strcmp(r->argv[i], "out"))
		return MXP_CTL_USAGE;
	char *end;
	unsigned long spi = strtoul(r->argv[i + 1], &end, 0);
	if (*end)
		return MXP_CTL_USAGE;
	struct mxp_esp_addr dst;
	memset(&dst, 0, sizeof(dst));
	if (r->argc == i + 3 && mxp_esp_addr_parse(&dst, r->argv[i + 2]) != 0)
		return MXP_CTL_USAGE;
	if (in && r->argc == i + 2) {
		/* the only inbound SA with this SPI, whatever its local address */
		for (uint32_t k = 0; k < mxp_esp_ep_sa_count(mp.ep); k++) {
			const struct mxp_esp_sa_params *p =
				mxp_esp_sa_params_get(mxp_esp_ep_sa_at(mp.ep, k));
			if (p->dir == MXP_ESP_DIR_IN && p->spi == spi)
				dst = p->local;
		}
	}
	if (mxp_esp_ep_sa_del(mp.ep, in ? MXP_ESP_DIR_IN : MXP_ESP_DIR_OUT, (uint32_t)spi, &dst) != 0) {
		mxp_buf_printf(r->out, "esp sa delete: no %s SA 0x%08lx\n", in ? "inbound" : "outbound", spi);
		return MXP_CTL_NOTFOUND;
	}
	mxp_buf_printf(r->out, r->json ? "{\"deleted\":%lu}" : "SA 0x%08lx deleted, keys wiped\n", spi);
	return MXP_CTL_OK;
}
