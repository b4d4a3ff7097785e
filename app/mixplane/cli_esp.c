/* SPDX-License-Identifier: BSD-3-Clause */
/* CLI of the Mp control plane: show mp, show esp, esp sa add/delete; counters for telemetry. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

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
	struct mp_counters mc;
	mp_counters_get(&mc);
	const uint64_t *v = (const uint64_t *)&mc;
	const uint64_t *ebc = mp_err_by_code();
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
		mxp_json_str(&j, "transport", mp_sctp_state() ? "sctp" : "udp");
		mxp_json_str(&j, "sctp_association", mp_sctp_state());
		mxp_json_u64(&j, "service_change_attempts", mp.sc_attempts);
		for (size_t k = 0; k < RTE_DIM(counter_names); k++)
			mxp_json_u64(&j, counter_names[k], v[k]);
		mxp_json_u64(&j, "plaintext_dropped", plain_drops);
		mxp_json_u64(&j, "not_in_policy_dropped", policy_drops);
		mxp_json_obj_open(&j, "errors_by_code");
		for (size_t k = 0; k < MXP_MRFP_ERR_CODES; k++)
			if (ebc[k]) {
				char code[8];
				snprintf(code, sizeof(code), "%zu", k);
				mxp_json_u64(&j, code, ebc[k]);
			}
		mxp_json_obj_close(&j);
		mxp_json_u64(&j, "reply_cache", mp.rc ? mxp_mp_rcache_count(mp.rc) : 0);
		mxp_json_u64(&j, "reply_cache_bytes", mp.rc ? mxp_mp_rcache_bytes_used(mp.rc) : 0);
		mxp_json_u64(&j, "reply_cache_capacity", mxp.cfg.mp.reply_cache);
		mxp_json_u64(&j, "outstanding_requests", outstanding());
		mxp_json_u64(&j, "legs", mp_nlegs());
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
		       mxp_mp_rcache_bytes_used(mp.rc) / 1024, mp_nlegs(), plain_drops, policy_drops);
	if (mp_sctp_state())
		mxp_buf_printf(r->out, "H.248 over SCTP: association to the MRFC %s\n\n",
			       mp_sctp_state());
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
	for (size_t k = 0; k < MXP_MRFP_ERR_CODES; k++)
		if (ebc[k]) {
			if (!any)
				mxp_buf_printf(r->out, "\nerrors by H.248.8 code:\n");
			any = true;
			mxp_buf_printf(r->out, "  %zu %-50s %" PRIu64 "\n", k,
				       mxp_mp_errcode_name((unsigned)k), ebc[k]);
		}
	return MXP_CTL_OK;
}

int
mxp_cli_show_esp(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	if (!mp.enabled) {
		mxp_buf_printf(r->out, r->json ? "{\"enabled\":false}\n"
					       : "no ESP: the Mp control plane is off\n");
		return MXP_CTL_OK;
	}
	struct mxp_json j;
	struct mxp_table t;
	static const char *const hdr[] = { "dir", "spi", "alg", "local", "peer", "encap", "key",
					   ">seq", ">packets", ">bytes", ">drops" };
	uint32_t n = mxp_esp_ep_sa_count(mp.ep);
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_bool(&j, "enabled", true);
		mxp_json_str(&j, "backend", mp.crypto.ops ? mp.crypto.ops->name : NULL);
		mxp_json_arr_open(&j, "sas");
	} else if (mxp_table_init(&t, RTE_DIM(hdr), hdr) != 0) {
		return MXP_CTL_ERR;
	}
	for (uint32_t k = 0; k < n; k++) {
		struct mxp_esp_sa *sa = mxp_esp_ep_sa_at(mp.ep, k);
		if (sa == NULL)
			break;
		const struct mxp_esp_sa_params *p = mxp_esp_sa_params_get(sa);
		const struct mxp_esp_sa_stats *st = mxp_esp_sa_stats_get(sa);
		char fp[9], la[64], pa[64], spi[16], c[4][24];
		uint64_t drops = 0;
		for (int d = 1; d < MXP_ESP_DROP_MAX; d++)
			drops += st->drops[d];
		mxp_esp_sa_fingerprint(sa, fp);
		mxp_ip_format(&p->local, la, sizeof(la));
		mxp_ip_format(&p->peer, pa, sizeof(pa));
		snprintf(spi, sizeof(spi), "0x%08x", p->spi);
		if (r->json) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_str(&j, "dir", p->dir == MXP_ESP_DIR_IN ? "in" : "out");
			mxp_json_str(&j, "spi", spi);
			mxp_json_str(&j, "alg", mxp_esp_alg_name(p->alg));
			mxp_json_str(&j, "local", la);
			mxp_json_str(&j, "peer", pa);
			mxp_json_bool(&j, "udp_encap", p->udp_encap);
			if (p->udp_encap) {
				mxp_json_u64(&j, "local_port", p->local_port);
				mxp_json_u64(&j, "peer_port", p->peer_port);
			}
			mxp_json_bool(&j, "esn", p->esn);
			if (p->dir == MXP_ESP_DIR_IN)
				mxp_json_u64(&j, "window", p->window ? p->window : MXP_ESP_WINDOW_DEFAULT);
			mxp_json_str(&j, "fingerprint", fp);
			mxp_json_u64(&j, "seq", mxp_esp_sa_seq(sa));
			mxp_json_u64(&j, "packets", st->packets);
			mxp_json_u64(&j, "bytes", st->bytes);
			mxp_json_u64(&j, "drops", drops);
			mxp_json_obj_open(&j, "drops_by_reason");
			for (int d = 1; d < MXP_ESP_DROP_MAX; d++)
				if (st->drops[d])
					mxp_json_u64(&j, mxp_esp_drop_name((enum mxp_esp_drop)d),
						     st->drops[d]);
			mxp_json_obj_close(&j);
			mxp_json_obj_close(&j);
		} else {
			snprintf(c[0], 24, "%" PRIu64, mxp_esp_sa_seq(sa));
			snprintf(c[1], 24, "%" PRIu64, st->packets);
			snprintf(c[2], 24, "%" PRIu64, st->bytes);
			snprintf(c[3], 24, "%" PRIu64, drops);
			const char *row[] = { p->dir == MXP_ESP_DIR_IN ? "in" : "out", spi,
					      mxp_esp_alg_name(p->alg), la, pa,
					      p->udp_encap ? "udp-4500" : "esp", fp, c[0], c[1], c[2],
					      c[3] };
			mxp_table_row(&t, row);
		}
	}
	const uint64_t *e = mxp_esp_ep_counters(mp.ep);
	uint32_t np = mxp_esp_ep_peer_count(mp.ep);
	if (r->json) {
		mxp_json_arr_close(&j);
		mxp_json_arr_open(&j, "peers");
		for (uint32_t k = 0; k < np; k++) {
			struct mxp_esp_peer pe;
			char a[64], spi[16];
			if (mxp_esp_ep_peer_at(mp.ep, k, &pe) != 0)
				break;
			snprintf(spi, sizeof(spi), "0x%08x", pe.out_spi);
			mxp_json_obj_open(&j, NULL);
			mxp_json_str(&j, "address", mxp_ip_format(&pe.addr, a, sizeof(a)));
			mxp_json_str(&j, "out_spi", pe.out_spi ? spi : NULL);
			mxp_json_obj_close(&j);
		}
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
	mxp_buf_printf(r->out, "\npolicy (hosts that may send Mp):");
	for (uint32_t k = 0; k < np; k++) {
		struct mxp_esp_peer pe;
		char a[64];
		if (mxp_esp_ep_peer_at(mp.ep, k, &pe) != 0)
			break;
		mxp_buf_printf(r->out, " %s", mxp_ip_format(&pe.addr, a, sizeof(a)));
		if (pe.out_spi)
			mxp_buf_printf(r->out, " (replies 0x%08x)", pe.out_spi);
		else
			mxp_buf_printf(r->out, " (no reply SA)");
	}
	mxp_buf_printf(r->out, "%s\naccepted %" PRIu64 "; dropped:", np ? "" : " none",
		       e[0]);
	bool any = false;
	for (int d = 1; d < MXP_ESP_DROP_MAX; d++)
		if (e[d]) {
			mxp_buf_printf(r->out, " %s=%" PRIu64, mxp_esp_drop_name((enum mxp_esp_drop)d),
				       e[d]);
			any = true;
		}
	mxp_buf_printf(r->out, "%s\n", any ? "" : " nothing");
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
	if (r->body_len == 0) {
		mxp_buf_printf(r->out, "esp sa add: give the 'sa ...' and 'peer ...' lines with -i FILE "
				       "(keys never go on the command line)\n");
		return MXP_CTL_USAGE;
	}
	/* The lines of a key file, from the request body; all or nothing (lib/esp). */
	char err[256] = "";
	int n = mxp_esp_keybuf_load(mp.ep, "input", (const char *)r->body, r->body_len, err,
				    sizeof(err));
	if (n < 0) {
		mxp_buf_printf(r->out, "esp sa add: %s; nothing was added\n",
			       err[0] ? err : strerror(-n));
		return n == -EINVAL ? MXP_CTL_USAGE : MXP_CTL_ERR;
	}
	MXP_LOG(NOTICE, "Mp: %d ESP security association(s) added from the CLI", n);
	if (r->json)
		mxp_buf_printf(r->out, "{\"added\":%d}\n", n);
	else
		mxp_buf_printf(r->out, "%d SA(s) added\n", n);
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
	struct mxp_ip dst;
	memset(&dst, 0, sizeof(dst));
	if (r->argc == i + 3 && mxp_ip_parse(r->argv[i + 2], &dst, NULL) != 0)
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

int
mxp_cli_esp_peer_delete(struct cli_req *r, int i)
{
	struct mxp_ip a;
	if (r->argc != i + 1 || mxp_ip_parse(r->argv[i], &a, NULL) != 0)
		return MXP_CTL_USAGE;
	if (!mp.enabled) {
		mxp_buf_printf(r->out, "esp peer delete: the Mp control plane is off\n");
		return MXP_CTL_ERR;
	}
	if (mxp_esp_ep_peer_del(mp.ep, &a) != 0) {
		mxp_buf_printf(r->out, "esp peer delete: %s is not in the policy\n", r->argv[i]);
		return MXP_CTL_NOTFOUND;
	}
	mxp_buf_printf(r->out, r->json ? "{\"deleted\":\"%s\"}\n"
				       : "%s removed from the policy: its Mp is dropped from now on\n",
		       r->argv[i]);
	return MXP_CTL_OK;
}

/* ---- telemetry (DPDK's telemetry thread: reads counters, never changes anything) -------- */

int
mxp_tel_mp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "enabled", mp.enabled);
	if (!mp.enabled)
		return 0;
	rte_tel_data_add_dict_string(d, "service_change", sc_names[mp.sc]);
	struct mp_counters mc;
	mp_counters_get(&mc);
	const uint64_t *v = (const uint64_t *)&mc;
	const uint64_t *ebc = mp_err_by_code();
	for (size_t k = 0; k < RTE_DIM(counter_names); k++)
		rte_tel_data_add_dict_u64(d, counter_names[k], v[k]);
	const uint64_t *e = mxp_esp_ep_counters(mp.ep);
	rte_tel_data_add_dict_u64(d, "plaintext_dropped", e[MXP_ESP_DROP_PLAINTEXT]);
	rte_tel_data_add_dict_u64(d, "not_in_policy_dropped", e[MXP_ESP_DROP_NOT_IN_POLICY]);
	rte_tel_data_add_dict_u64(d, "reply_cache", mxp_mp_rcache_count(mp.rc));
	rte_tel_data_add_dict_u64(d, "legs", mp_nlegs());
	struct rte_tel_data *codes = rte_tel_data_alloc();
	if (codes == NULL)
		return 0;
	rte_tel_data_start_dict(codes);
	for (size_t k = 0; k < MXP_MRFP_ERR_CODES; k++)
		if (ebc[k]) {
			char code[8];
			snprintf(code, sizeof(code), "%zu", k);
			rte_tel_data_add_dict_u64(codes, code, ebc[k]);
		}
	rte_tel_data_add_dict_container(d, "errors_by_code", codes, 0);
	return 0;
}

int
mxp_tel_esp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (!mp.enabled)
		return 0;
	const uint64_t *e = mxp_esp_ep_counters(mp.ep);
	rte_tel_data_add_dict_u64(d, "accepted", e[0]);
	struct rte_tel_data *drops = rte_tel_data_alloc();
	if (drops == NULL)
		return 0;
	rte_tel_data_start_dict(drops);
	for (int k = 1; k < MXP_ESP_DROP_MAX; k++)
		rte_tel_data_add_dict_u64(drops, mxp_esp_drop_name((enum mxp_esp_drop)k), e[k]);
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	uint32_t n = mxp_esp_ep_sa_count(mp.ep);
	for (uint32_t k = 0; k < n && k < 64; k++) {
		struct mxp_esp_sa *sa = mxp_esp_ep_sa_at(mp.ep, k);
		if (sa == NULL)
			break;
		const struct mxp_esp_sa_params *p = mxp_esp_sa_params_get(sa);
		const struct mxp_esp_sa_stats *st = mxp_esp_sa_stats_get(sa);
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (c == NULL)
			return 0;
		char name[32], a[64], fp[9];
		uint64_t dr = 0;
		for (int x = 1; x < MXP_ESP_DROP_MAX; x++)
			dr += st->drops[x];
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_string(c, "alg", mxp_esp_alg_name(p->alg));
		rte_tel_data_add_dict_string(c, "peer", mxp_ip_format(&p->peer, a, sizeof(a)));
		rte_tel_data_add_dict_string(c, "encap", p->udp_encap ? "udp" : "esp");
		mxp_esp_sa_fingerprint(sa, fp);
		rte_tel_data_add_dict_string(c, "fingerprint", fp);
		rte_tel_data_add_dict_u64(c, "seq", mxp_esp_sa_seq(sa));
		rte_tel_data_add_dict_u64(c, "packets", st->packets);
		rte_tel_data_add_dict_u64(c, "bytes", st->bytes);
		rte_tel_data_add_dict_u64(c, "drops", dr);
		snprintf(name, sizeof(name), "%s_0x%08x", p->dir == MXP_ESP_DIR_IN ? "in" : "out",
			 p->spi);
		rte_tel_data_add_dict_container(d, name, c, 0);
	}
	return 0;
}
