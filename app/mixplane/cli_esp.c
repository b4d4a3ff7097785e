/* SPDX-License-Identifier: BSD-3-Clause */
/* CLI of the Mp control plane: show mp, show esp, esp sa add/delete, esp peer delete. They
 * read the plane's status snapshot and use its ESP endpoint through lib/esp's API. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "cli.h"
#include "mp_plane.h"
#include "mxp_esp.h"
#include "mxp_mp.h"

static const char *const counter_names[] = {
#define MP_N_(n, d) #n,
	MXP_MP_COUNTERS(MP_N_)
#undef MP_N_
};
static const char *const counter_descs[] = {
#define MP_D_(n, d) d,
	MXP_MP_COUNTERS(MP_D_)
#undef MP_D_
};

static const char *const sc_names[] = { "none", "sent", "answered", "failed" };

static int
cmd_show_mp(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	static struct mxp_mp_status st; /* control core only; 5 kB of counters by code */
	mxp_mp_plane_status(r->ctx->mp, &st);
	const uint64_t *v = (const uint64_t *)&st.c;
	const uint64_t *ebc = st.err_by_code;
	uint64_t plain_drops = st.plaintext_dropped;
	uint64_t policy_drops = st.not_in_policy_dropped;
	char mrfc[64] = "";
	if (st.has_mrfc)
		mxp_ip_format(&st.mrfc, mrfc, sizeof(mrfc));
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_bool(&j, "enabled", st.enabled);
		mxp_json_bool(&j, "allow_plaintext_mp", st.allow_plaintext);
		mxp_json_str(&j, "mid", st.enabled ? st.mid : NULL);
		mxp_json_str(&j, "mrfc", st.has_mrfc ? mrfc : NULL);
		mxp_json_str(&j, "service_change", sc_names[st.sc]);
		mxp_json_str(&j, "transport", st.sctp_state ? "sctp" : "udp");
		mxp_json_str(&j, "sctp_association", st.sctp_state);
		mxp_json_u64(&j, "service_change_attempts", st.sc_attempts);
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
		mxp_json_u64(&j, "reply_cache", st.reply_cache);
		mxp_json_u64(&j, "reply_cache_bytes", st.reply_cache_bytes);
		mxp_json_u64(&j, "reply_cache_capacity", st.reply_cache_capacity);
		mxp_json_u64(&j, "outstanding_requests", st.outstanding);
		mxp_json_u64(&j, "legs", st.legs);
		mxp_json_obj_close(&j);
		return MXP_CTL_OK;
	}
	if (!st.enabled) {
		mxp_buf_printf(r->out, "the Mp control plane is off (no [mp] section)\n");
		return MXP_CTL_OK;
	}
	mxp_buf_printf(r->out,
		       "Mp over %s, message id %s%s\n"
		       "MRFC %s, ServiceChange %s (%u attempt%s), %u request(s) of ours outstanding\n"
		       "reply cache %u/%u replies, %zu KiB; %u legs known to the plane\n"
		       "Mp in the clear dropped: %" PRIu64 "; from hosts not in the policy: %" PRIu64
		       "\n\n",
		       st.esp_sas ? "ESP" : "nothing (plaintext lab mode)", st.mid,
		       st.allow_plaintext ? ", PLAINTEXT ALLOWED (lab)" : "",
		       st.has_mrfc ? mrfc : "not configured", sc_names[st.sc],
		       st.sc_attempts, st.sc_attempts == 1 ? "" : "s", st.outstanding,
		       st.reply_cache, st.reply_cache_capacity,
		       st.reply_cache_bytes / 1024, st.legs, plain_drops, policy_drops);
	if (st.sctp_state)
		mxp_buf_printf(r->out, "H.248 over SCTP: association to the MRFC %s\n\n",
			       st.sctp_state);
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

static int
cmd_show_esp(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	struct mxp_esp_ep *ep = mxp_mp_plane_esp(r->ctx->mp);
	if (ep == NULL) {
		mxp_buf_printf(r->out, r->json ? "{\"enabled\":false}\n"
					       : "no ESP: the Mp control plane is off\n");
		return MXP_CTL_OK;
	}
	struct mxp_json j;
	struct mxp_table t;
	static const char *const hdr[] = { "dir", "spi", "alg", "local", "peer", "encap", "key",
					   ">seq", ">packets", ">bytes", ">drops" };
	uint32_t n = mxp_esp_ep_sa_count(ep);
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_bool(&j, "enabled", true);
		static struct mxp_mp_status st; /* control core only */
		mxp_mp_plane_status(r->ctx->mp, &st);
		mxp_json_str(&j, "backend", st.esp_backend);
		mxp_json_arr_open(&j, "sas");
	} else if (mxp_table_init(&t, RTE_DIM(hdr), hdr) != 0) {
		return MXP_CTL_ERR;
	}
	for (uint32_t k = 0; k < n; k++) {
		struct mxp_esp_sa *sa = mxp_esp_ep_sa_at(ep, k);
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
	const uint64_t *e = mxp_esp_ep_counters(ep);
	uint32_t np = mxp_esp_ep_peer_count(ep);
	if (r->json) {
		mxp_json_arr_close(&j);
		mxp_json_arr_open(&j, "peers");
		for (uint32_t k = 0; k < np; k++) {
			struct mxp_esp_peer pe;
			char a[64], spi[16];
			if (mxp_esp_ep_peer_at(ep, k, &pe) != 0)
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
		if (mxp_esp_ep_peer_at(ep, k, &pe) != 0)
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

static int
cmd_esp_sa_add(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	struct mxp_esp_ep *ep = mxp_mp_plane_esp(r->ctx->mp);
	if (ep == NULL) {
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
	int n = mxp_esp_keybuf_load(ep, "input", (const char *)r->body, r->body_len, err,
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

static int
cmd_esp_sa_delete(struct cli_req *r, int i)
{
	struct mxp_esp_ep *ep = mxp_mp_plane_esp(r->ctx->mp);
	if (r->argc < i + 2 || r->argc > i + 3 || ep == NULL)
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
		for (uint32_t k = 0; k < mxp_esp_ep_sa_count(ep); k++) {
			const struct mxp_esp_sa_params *p =
				mxp_esp_sa_params_get(mxp_esp_ep_sa_at(ep, k));
			if (p->dir == MXP_ESP_DIR_IN && p->spi == spi)
				dst = p->local;
		}
	}
	if (mxp_esp_ep_sa_del(ep, in ? MXP_ESP_DIR_IN : MXP_ESP_DIR_OUT, (uint32_t)spi, &dst) != 0) {
		mxp_buf_printf(r->out, "esp sa delete: no %s SA 0x%08lx\n", in ? "inbound" : "outbound", spi);
		return MXP_CTL_NOTFOUND;
	}
	mxp_buf_printf(r->out, r->json ? "{\"deleted\":%lu}" : "SA 0x%08lx deleted, keys wiped\n", spi);
	return MXP_CTL_OK;
}

static int
cmd_esp_peer_delete(struct cli_req *r, int i)
{
	struct mxp_ip a;
	struct mxp_esp_ep *ep = mxp_mp_plane_esp(r->ctx->mp);
	if (r->argc != i + 1 || mxp_ip_parse(r->argv[i], &a, NULL) != 0)
		return MXP_CTL_USAGE;
	if (ep == NULL) {
		mxp_buf_printf(r->out, "esp peer delete: the Mp control plane is off\n");
		return MXP_CTL_ERR;
	}
	if (mxp_esp_ep_peer_del(ep, &a) != 0) {
		mxp_buf_printf(r->out, "esp peer delete: %s is not in the policy\n", r->argv[i]);
		return MXP_CTL_NOTFOUND;
	}
	mxp_buf_printf(r->out, r->json ? "{\"deleted\":\"%s\"}\n"
				       : "%s removed from the policy: its Mp is dropped from now on\n",
		       r->argv[i]);
	return MXP_CTL_OK;
}

const struct cli_cmd mxp_cli_mp_cmds[] = {
	{ "show mp", "", "Mp control plane: transactions, replies, errors by code, cache, "
	  "plaintext drops, ServiceChange, Notify", cmd_show_mp },
	{ "show esp", "", "ESP SAs (SPI, peer, algorithm, key fingerprint, counters), policy, "
	  "drops per reason", cmd_show_esp },
	{ "esp sa add", "-i FILE", "add SAs and policy peers ('sa ...' and 'peer ...' lines of a "
	  "key file), all or nothing", cmd_esp_sa_add },
	{ "esp sa delete", "in|out SPI [LOCAL-ADDRESS]", "remove an SA and wipe its keys",
	  cmd_esp_sa_delete },
	{ "esp peer delete", "ADDRESS", "remove a host from the Mp policy",
	  cmd_esp_peer_delete },
	MXP_CLI_END
};
