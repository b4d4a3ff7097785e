/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Commands of the control socket. Each command renders a human table or, with
 * --json, a JSON document; both come from the same counters as telemetry.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_version.h>

#include "cli.h"
#include "mixplane.h"
#include "mxp_conf.h"
#include "mxp_crypto.h"
#include "neigh.h"
#include "worker.h"

static int cmd_help(struct cli_req *r, int argi);

int
cli_fail(struct cli_req *r, int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mxp_buf_reset(r->out);
	mxp_buf_vprintf(r->out, fmt, ap);
	va_end(ap);
	mxp_buf_add(r->out, "\n", 1);
	return status;
}

int
cli_u32_arg(const char *s, uint32_t max, uint32_t *v)
{
	char *end;
	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || x > max)
		return -EINVAL;
	*v = (uint32_t)x;
	return 0;
}

static const char *
fmt_u64(char *b, uint64_t v)
{
	snprintf(b, 24, "%" PRIu64, v);
	return b;
}

static const char *
fmt_mac(char *b, const struct rte_ether_addr *m)
{
	snprintf(b, 18, RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(m));
	return b;
}

static const char *
fmt_prefix(char *b, size_t len, const struct mxp_ip *ip, uint8_t plen)
{
	char a[64];
	snprintf(b, len, "%s/%u", mxp_ip_format(ip, a, sizeof(a)), plen);
	return b;
}

static int
cmd_version(struct cli_req *r, int argi)
{
	if (r->argc != argi)
		return MXP_CTL_USAGE;
	uint64_t up = (mxp_now_ms() - r->ctx->start_ms) / 1000;
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_str(&j, "version", MXP_VERSION);
		mxp_json_str(&j, "dpdk", rte_version());
		mxp_json_str(&j, "ipsec_mb", mxp_crypto_ipsec_mb_version());
		mxp_json_u64(&j, "uptime_s", up);
		mxp_json_str(&j, "config", r->ctx->cfg->path);
		mxp_json_bool(&j, "draining", mxp_cli_draining());
		mxp_json_obj_close(&j);
	} else {
		mxp_buf_printf(r->out,
			       "mixplane %s\n%s\nintel-ipsec-mb %s\nuptime %" PRIu64
			       " s\nconfig %s\n",
			       MXP_VERSION, rte_version(), mxp_crypto_ipsec_mb_version(), up, r->ctx->cfg->path);
		if (mxp_cli_draining())
			mxp_buf_printf(r->out, "draining (mixplanectl health ready says how long)\n");
	}
	return MXP_CTL_OK;
}

static int
cmd_ports(struct cli_req *r, int argi)
{
	if (r->argc != argi)
		return MXP_CTL_USAGE;
	struct mxp_json j;
	struct mxp_table t;
	static const char *const hdr[] = { "port", "device", "mac", "link", "addresses",
					   ">rx-pkts", ">rx-bytes", ">rx-errors", ">rx-missed",
					   ">tx-pkts", ">tx-bytes", ">tx-errors" };
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_arr_open(&j, NULL);
	} else if (mxp_table_init(&t, RTE_DIM(hdr), hdr) != 0) {
		return MXP_CTL_ERR;
	}
	for (uint16_t i = 0; i < r->ctx->ports->nb_ports; i++) {
		struct mxp_port *p = &r->ctx->ports->port[i];
		struct rte_eth_stats es;
		struct rte_eth_link link;
		mxp_port_counters(p, &es, &link);
		char mac[18], a4[64] = "", a6[64] = "", ll[64], gw4[64] = "", gw6[64] = "";
		fmt_mac(mac, &p->mac);
		if (p->cfg.has_ip4)
			fmt_prefix(a4, sizeof(a4), &p->cfg.ip4, p->cfg.plen4);
		if (p->cfg.has_ip6)
			fmt_prefix(a6, sizeof(a6), &p->cfg.ip6, p->cfg.plen6);
		fmt_prefix(ll, sizeof(ll), &p->ll6, 64);
		if (p->cfg.has_gw4)
			mxp_ip_format(&p->cfg.gw4, gw4, sizeof(gw4));
		if (p->cfg.has_gw6)
			mxp_ip_format(&p->cfg.gw6, gw6, sizeof(gw6));
		if (r->json) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_str(&j, "name", p->cfg.section);
			mxp_json_u64(&j, "port_id", p->port_id);
			mxp_json_str(&j, "device", p->cfg.device);
			mxp_json_str(&j, "mac", mac);
			mxp_json_bool(&j, "link_up", link.link_status == RTE_ETH_LINK_UP);
			mxp_json_u64(&j, "speed_mbps", link.link_speed);
			mxp_json_u64(&j, "mtu", p->cfg.mtu);
			mxp_json_str(&j, "ipv4", p->cfg.has_ip4 ? a4 : NULL);
			mxp_json_str(&j, "ipv6", p->cfg.has_ip6 ? a6 : NULL);
			mxp_json_str(&j, "ipv6_link_local", ll);
			mxp_json_str(&j, "gateway4", p->cfg.has_gw4 ? gw4 : NULL);
			mxp_json_str(&j, "gateway6", p->cfg.has_gw6 ? gw6 : NULL);
			mxp_json_u64(&j, "rx_packets", es.ipackets);
			mxp_json_u64(&j, "rx_bytes", es.ibytes);
			mxp_json_u64(&j, "rx_errors", es.ierrors);
			mxp_json_u64(&j, "rx_missed", es.imissed);
			mxp_json_u64(&j, "rx_nombuf", es.rx_nombuf);
			mxp_json_u64(&j, "tx_packets", es.opackets);
			mxp_json_u64(&j, "tx_bytes", es.obytes);
			mxp_json_u64(&j, "tx_errors", es.oerrors);
			mxp_json_obj_close(&j);
		} else {
			char linkb[32], addrs[160], n[8][24];
			if (link.link_status == RTE_ETH_LINK_UP)
				snprintf(linkb, sizeof(linkb), "up %uG", link.link_speed / 1000);
			else
				snprintf(linkb, sizeof(linkb), "down");
			snprintf(addrs, sizeof(addrs), "%s%s%s", a4, a4[0] && a6[0] ? " " : "", a6);
			const char *row[] = { p->cfg.section, p->cfg.device, mac, linkb, addrs,
					      fmt_u64(n[0], es.ipackets), fmt_u64(n[1], es.ibytes),
					      fmt_u64(n[2], es.ierrors), fmt_u64(n[3], es.imissed),
					      fmt_u64(n[4], es.opackets), fmt_u64(n[5], es.obytes),
					      fmt_u64(n[6], es.oerrors) };
			mxp_table_row(&t, row);
		}
	}
	if (r->json)
		mxp_json_arr_close(&j);
	else
		mxp_table_render(&t, r->out);
	return MXP_CTL_OK;
}

static int
cmd_stats(struct cli_req *r, int argi)
{
	if (r->argc != argi)
		return MXP_CTL_USAGE;
	struct mxp_worker_stats s;
	mxp_stats_sum(r->ctx->workers, r->ctx->nb_workers, r->ctx->cst, &s);
	uint64_t drops = 0;
	for (int d = 1; d < MXP_DROP_MAX; d++)
		drops += s.drops[d];
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_u64(&j, "uptime_s", (mxp_now_ms() - r->ctx->start_ms) / 1000);
		mxp_json_u64(&j, "rx_packets", s.rx_pkts);
		mxp_json_u64(&j, "rx_bytes", s.rx_bytes);
		mxp_json_u64(&j, "tx_packets", s.tx_pkts);
		mxp_json_u64(&j, "tx_bytes", s.tx_bytes);
		mxp_json_u64(&j, "echo_replies", s.echo_replies);
		mxp_json_u64(&j, "to_control", s.to_control);
		mxp_json_u64(&j, "drops", drops);
		mxp_json_obj_open(&j, "control");
		mxp_json_u64(&j, "rx", r->ctx->cst->rx);
		mxp_json_u64(&j, "arp_learned", r->ctx->cst->arp_learned);
		mxp_json_u64(&j, "nd_learned", r->ctx->cst->nd_learned);
		mxp_json_u64(&j, "arp_requests_sent", r->ctx->cst->arp_requests_sent);
		mxp_json_u64(&j, "ns_sent", r->ctx->cst->ns_sent);
		mxp_json_u64(&j, "cli_requests", r->ctx->cst->cli_requests);
		mxp_json_u64(&j, "cli_errors", r->ctx->cst->cli_errors);
		mxp_json_u64(&j, "cli_denied", r->ctx->cst->cli_denied);
		mxp_json_u64(&j, "cli_busy", r->ctx->cst->cli_busy);
		mxp_json_u64(&j, "cli_oversize", r->ctx->cst->cli_oversize);
		mxp_json_u64(&j, "cli_timeout", r->ctx->cst->cli_timeout);
		mxp_json_obj_close(&j);
		mxp_json_arr_open(&j, "workers");
		for (uint16_t i = 0; i < r->ctx->nb_workers; i++) {
			const struct mxp_worker *w = r->ctx->workers[i];
			mxp_json_obj_open(&j, NULL);
			mxp_json_u64(&j, "worker", w->idx);
			mxp_json_u64(&j, "lcore", w->lcore);
			mxp_json_u64(&j, "rx_packets", w->st.rx_pkts);
			mxp_json_u64(&j, "tx_packets", w->st.tx_pkts);
			mxp_json_u64(&j, "polls", w->st.polls);
			mxp_json_u64(&j, "busy_polls", w->st.busy_polls);
			struct mxp_conf_worker_stats cw;
			bool got = mxp_conf_worker_stats(r->ctx->conf, w->idx, &cw) == 0;
			mxp_json_bool(&j, "unresponsive", got && cw.unresponsive);
			mxp_json_u64(&j, "mix_copies", got ? cw.mix_copies : 0);
			mxp_json_obj_close(&j);
		}
		mxp_json_arr_close(&j);
		mxp_json_obj_close(&j);
		return MXP_CTL_OK;
	}
	mxp_buf_printf(r->out,
		       "uptime        %" PRIu64 " s\n"
		       "rx            %" PRIu64 " packets, %" PRIu64 " bytes\n"
		       "tx            %" PRIu64 " packets, %" PRIu64 " bytes\n"
		       "echo replies  %" PRIu64 "\n"
		       "to control    %" PRIu64 "\n"
		       "drops         %" PRIu64 " (mixplanectl show drops)\n"
		       "control core  %" PRIu64 " frames, %" PRIu64 " ARP + %" PRIu64
		       " ND learned, %" PRIu64 " ARP + %" PRIu64 " NS sent, %" PRIu64
		       " CLI requests\n\n",
		       (mxp_now_ms() - r->ctx->start_ms) / 1000, s.rx_pkts, s.rx_bytes, s.tx_pkts,
		       s.tx_bytes, s.echo_replies, s.to_control, drops, r->ctx->cst->rx,
		       r->ctx->cst->arp_learned, r->ctx->cst->nd_learned, r->ctx->cst->arp_requests_sent,
		       r->ctx->cst->ns_sent, r->ctx->cst->cli_requests);
	static const char *const hdr[] = { ">worker", ">lcore", ">rx-pkts", ">tx-pkts", ">polls",
					   ">busy%", "commands" };
	struct mxp_table t;
	if (mxp_table_init(&t, RTE_DIM(hdr), hdr) != 0)
		return MXP_CTL_ERR;
	for (uint16_t i = 0; i < r->ctx->nb_workers; i++) {
		const struct mxp_worker *w = r->ctx->workers[i];
		char n[6][24];
		snprintf(n[5], 24, "%.1f",
			 w->st.polls ? 100.0 * (double)w->st.busy_polls / (double)w->st.polls : 0.0);
		struct mxp_conf_worker_stats cw;
		bool unresp = mxp_conf_worker_stats(r->ctx->conf, w->idx, &cw) == 0 &&
			      cw.unresponsive;
		const char *row[] = { fmt_u64(n[0], w->idx), fmt_u64(n[1], w->lcore),
				      fmt_u64(n[2], w->st.rx_pkts), fmt_u64(n[3], w->st.tx_pkts),
				      fmt_u64(n[4], w->st.polls), n[5],
				      unresp ? "unresponsive" : "taken" };
		mxp_table_row(&t, row);
	}
	mxp_table_render(&t, r->out);
	return MXP_CTL_OK;
}

static int
cmd_drops(struct cli_req *r, int argi)
{
	bool all = false;
	if (r->argc == argi + 1 && strcmp(r->argv[argi], "all") == 0)
		all = true;
	else if (r->argc != argi)
		return MXP_CTL_USAGE;
	struct mxp_worker_stats s;
	mxp_stats_sum(r->ctx->workers, r->ctx->nb_workers, r->ctx->cst, &s);
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		for (int d = 1; d < MXP_DROP_MAX; d++)
			mxp_json_u64(&j, mxp_drop_name((enum mxp_drop)d), s.drops[d]);
		mxp_json_obj_close(&j);
		return MXP_CTL_OK;
	}
	static const char *const hdr[] = { "reason", ">packets", "description" };
	struct mxp_table t;
	if (mxp_table_init(&t, RTE_DIM(hdr), hdr) != 0)
		return MXP_CTL_ERR;
	unsigned int shown = 0;
	for (int d = 1; d < MXP_DROP_MAX; d++) {
		if (!all && s.drops[d] == 0)
			continue;
		char n[24];
		const char *row[] = { mxp_drop_name((enum mxp_drop)d), fmt_u64(n, s.drops[d]),
				      mxp_drop_desc((enum mxp_drop)d) };
		mxp_table_row(&t, row);
		shown++;
	}
	if (shown == 0) {
		mxp_table_free(&t);
		mxp_buf_printf(r->out, "no drops (mixplanectl show drops all lists every reason)\n");
		return MXP_CTL_OK;
	}
	mxp_table_render(&t, r->out);
	return MXP_CTL_OK;
}

static const char *const neigh_state[] = { "free", "incomplete", "reachable", "stale",
					   "failed" };

static int
cmd_neighbours(struct cli_req *r, int argi)
{
	if (r->argc != argi)
		return MXP_CTL_USAGE;
	struct mxp_json j;
	struct mxp_table t;
	static const char *const hdr[] = { "port", "address", "mac", "state", ">age-s" };
	if (r->json) {
		mxp_json_init(&j, r->out);
		mxp_json_arr_open(&j, NULL);
	} else if (mxp_table_init(&t, RTE_DIM(hdr), hdr) != 0) {
		return MXP_CTL_ERR;
	}
	uint64_t now = mxp_now_ms();
	for (uint16_t i = 0; i < r->ctx->ports->nb_ports; i++) {
		const struct mxp_port *p = &r->ctx->ports->port[i];
		for (uint32_t s = 0; s < MXP_NEIGH_SLOTS; s++) {
			const struct mxp_neigh *n = &p->neigh->slot[s];
			if (n->state == MXP_NEIGH_FREE)
				continue;
			char ip[64], mac[18], age[24];
			mxp_ip_format(&n->ip, ip, sizeof(ip));
			bool known = n->state == MXP_NEIGH_REACHABLE || n->state == MXP_NEIGH_STALE;
			if (known)
				fmt_mac(mac, &n->mac);
			else
				snprintf(mac, sizeof(mac), "-");
			uint64_t a = n->confirmed_ms ? (now - n->confirmed_ms) / 1000 : 0;
			if (r->json) {
				mxp_json_obj_open(&j, NULL);
				mxp_json_str(&j, "port", p->cfg.section);
				mxp_json_str(&j, "address", ip);
				mxp_json_str(&j, "mac", known ? mac : NULL);
				mxp_json_str(&j, "state", neigh_state[n->state]);
				if (n->confirmed_ms)
					mxp_json_u64(&j, "age_s", a);
				else
					mxp_json_null(&j, "age_s");
				mxp_json_obj_close(&j);
			} else {
				if (n->confirmed_ms)
					fmt_u64(age, a);
				else
					snprintf(age, sizeof(age), "-");
				const char *row[] = { p->cfg.section, ip, mac, neigh_state[n->state],
						      age };
				mxp_table_row(&t, row);
			}
		}
	}
	if (r->json)
		mxp_json_arr_close(&j);
	else
		mxp_table_render(&t, r->out);
	return MXP_CTL_OK;
}

/* ---- show memory ------------------------------------------------------------------------- */

/* One kind of conference state: how many objects, how many bytes. */
struct mem_row {
	const char *key;   /**< JSON and telemetry */
	const char *name;  /**< text */
	uint64_t count;
	uint64_t bytes;
};

#define MEM_ROWS_MAX 16

/*
 * The rows of the report, one line per kind: a new field of struct mxp_conf_memory is one
 * more line here. The rows' bytes add up to total_bytes.
 */
static unsigned int
mem_rows(const struct mxp_conf_memory *m, struct mem_row r[MEM_ROWS_MAX])
{
	const struct mem_row rows[] = {
		{ "conferences", "conferences", m->confs, m->conf_bytes },
		{ "legs", "legs", m->legs, m->leg_bytes },
		{ "key_groups", "key groups", m->keygroups, m->keygroup_bytes },
		{ "receiver_arrays", "receiver arrays", m->keygroups, m->rcv_bytes },
		{ "output_streams", "output streams", m->ostreams, m->ostream_bytes },
		{ "srtp_streams", "SRTP streams", m->srtp_ctxs, m->srtp_bytes },
		{ "srtp_keys", "SRTP key sessions", m->keys, m->key_bytes },
		{ "media_legs", "media legs", m->media_legs, m->media_bytes },
		{ "mixers", "mixers", m->mixers, m->mixer_bytes },
	};
	RTE_BUILD_BUG_ON(RTE_DIM(rows) > MEM_ROWS_MAX);
	memcpy(r, rows, sizeof(rows));
	return RTE_DIM(rows);
}

/* The mbuf pools the daemon created. */
struct mem_pool {
	const char *key;
	const struct rte_mempool *mp;
};

static unsigned int
mem_pools(const struct mxp_cli_ctx *ctx, struct mem_pool p[2])
{
	unsigned int n = 0;
	if (ctx->pool != NULL)
		p[n++] = (struct mem_pool){ "mbufs", ctx->pool };
	if (ctx->hdr_pool != NULL)
		p[n++] = (struct mem_pool){ "header_mbufs", ctx->hdr_pool };
	return n;
}

static uint64_t
pool_elt_bytes(const struct rte_mempool *mp)
{
	return (uint64_t)mp->header_size + mp->elt_size + mp->trailer_size;
}

/* Available (the ring and the lcore caches) once, so in use + available = size. */
static unsigned int
pool_avail(const struct rte_mempool *mp)
{
	return RTE_MIN(rte_mempool_avail_count(mp), mp->size);
}

/* DPDK's malloc heap of the idx-th socket; false when it has no memory. */
static bool
heap_stats(unsigned int idx, int *sid, struct rte_malloc_socket_stats *s)
{
	*sid = rte_socket_id_by_idx(idx);
	return *sid >= 0 && rte_malloc_get_socket_stats(*sid, s) == 0 && s->heap_totalsz_bytes > 0;
}

/* "448 B" below 10 KiB, then KiB, MiB, GiB with one decimal (JSON has the exact bytes). */
static const char *
fmt_bytes(char *b, uint64_t v)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
	if (v < 10240) {
		snprintf(b, 24, "%" PRIu64 " B", v);
		return b;
	}
	double x = (double)v / 1024;
	unsigned int u = 0;
	while (x >= 1024 && u + 1 < RTE_DIM(unit)) {
		x /= 1024;
		u++;
	}
	snprintf(b, 24, "%.1f %s", x, unit[u]);
	return b;
}

/* Render a table whose rows may end in empty cells, without the trailing blanks. */
static void
table_render_trimmed(struct mxp_table *t, struct mxp_buf *out)
{
	struct mxp_buf tmp;
	mxp_buf_init(&tmp);
	mxp_table_render(t, &tmp);
	const char *p = mxp_buf_str(&tmp), *end = p + tmp.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl : end;
		size_t len = (size_t)(e - p);
		while (len && p[len - 1] == ' ')
			len--;
		mxp_buf_add(out, p, len);
		mxp_buf_add(out, "\n", 1);
		p = e + 1;
	}
	if (tmp.oom)
		out->oom = true;
	mxp_buf_free(&tmp);
}

static void
memory_json(struct cli_req *r, const struct mxp_conf_memory *m, const struct mem_row *row,
	    unsigned int nrows, const struct mem_pool *pool, unsigned int npools)
{
	struct mxp_json j;
	mxp_json_init(&j, r->out);
	mxp_json_obj_open(&j, NULL);
	for (unsigned int i = 0; i < nrows; i++) {
		mxp_json_obj_open(&j, row[i].key);
		mxp_json_u64(&j, "count", row[i].count);
		mxp_json_u64(&j, "bytes", row[i].bytes);
		if (row[i].count)
			mxp_json_u64(&j, "bytes_each", row[i].bytes / row[i].count);
		else
			mxp_json_null(&j, "bytes_each");
		mxp_json_obj_close(&j);
	}
	mxp_json_u64(&j, "total_bytes", m->total_bytes);
	if (m->legs)
		mxp_json_u64(&j, "bytes_per_participant", m->total_bytes / m->legs);
	else
		mxp_json_null(&j, "bytes_per_participant");
	mxp_json_u64(&j, "reserved_bytes", m->reserved_bytes);
	mxp_json_u64(&j, "buffered_packets", m->buffered_pkts);
	for (unsigned int i = 0; i < npools; i++) {
		const struct rte_mempool *mp = pool[i].mp;
		mxp_json_obj_open(&j, pool[i].key);
		mxp_json_str(&j, "pool", mp->name);
		unsigned int avail = pool_avail(mp);
		mxp_json_u64(&j, "in_use", mp->size - avail);
		mxp_json_u64(&j, "available", avail);
		mxp_json_u64(&j, "size", mp->size);
		mxp_json_u64(&j, "bytes_each", pool_elt_bytes(mp));
		mxp_json_u64(&j, "bytes", mp->size * pool_elt_bytes(mp));
		mxp_json_obj_close(&j);
	}
	for (unsigned int i = 0; i < rte_socket_count(); i++) {
		int sid;
		struct rte_malloc_socket_stats s;
		if (!heap_stats(i, &sid, &s))
			continue;
		char key[32];
		snprintf(key, sizeof(key), "heap_socket%d", sid);
		mxp_json_obj_open(&j, key);
		mxp_json_u64(&j, "socket", (uint64_t)sid);
		mxp_json_u64(&j, "total_bytes", s.heap_totalsz_bytes);
		mxp_json_u64(&j, "allocated_bytes", s.heap_allocsz_bytes);
		mxp_json_u64(&j, "free_bytes", s.heap_freesz_bytes);
		mxp_json_u64(&j, "largest_free_bytes", s.greatest_free_size);
		mxp_json_obj_close(&j);
	}
	mxp_json_obj_close(&j);
}

static int
memory_text(struct cli_req *r, const struct mxp_conf_memory *m, const struct mem_row *row,
	    unsigned int nrows, const struct mem_pool *pool, unsigned int npools)
{
	static const char *const hdr[] = { "conference state", ">count", ">bytes", ">bytes-each" };
	struct mxp_table t;
	char n[6][24];
	if (mxp_table_init(&t, RTE_DIM(hdr), hdr) != 0)
		return MXP_CTL_ERR;
	for (unsigned int i = 0; i < nrows; i++) {
		if (row[i].count)
			fmt_bytes(n[2], row[i].bytes / row[i].count);
		else
			snprintf(n[2], 24, "-");
		const char *c[] = { row[i].name, fmt_u64(n[0], row[i].count),
				    fmt_bytes(n[1], row[i].bytes), n[2] };
		mxp_table_row(&t, c);
	}
	const char *tot[] = { "total", "", fmt_bytes(n[0], m->total_bytes), "" };
	mxp_table_row(&t, tot);
	if (m->legs)
		fmt_bytes(n[1], m->total_bytes / m->legs);
	else
		snprintf(n[1], 24, "-");
	const char *pp[] = { "per participant", fmt_u64(n[0], m->legs), "", n[1] };
	mxp_table_row(&t, pp);
	const char *res[] = { "reserved", "", fmt_bytes(n[0], m->reserved_bytes), "" };
	mxp_table_row(&t, res);
	const char *buf[] = { "buffered packets", fmt_u64(n[0], m->buffered_pkts), "", "" };
	mxp_table_row(&t, buf);
	table_render_trimmed(&t, r->out);
	mxp_buf_add(r->out, "\n", 1);

	static const char *const ph[] = { "mbuf pool", ">in-use", ">available", ">size",
					  ">bytes-each", ">bytes" };
	if (mxp_table_init(&t, RTE_DIM(ph), ph) != 0)
		return MXP_CTL_ERR;
	for (unsigned int i = 0; i < npools; i++) {
		const struct rte_mempool *mp = pool[i].mp;
		unsigned int avail = pool_avail(mp);
		const char *c[] = { mp->name, fmt_u64(n[0], mp->size - avail), fmt_u64(n[1], avail),
				    fmt_u64(n[2], mp->size), fmt_bytes(n[3], pool_elt_bytes(mp)),
				    fmt_bytes(n[4], mp->size * pool_elt_bytes(mp)) };
		mxp_table_row(&t, c);
	}
	mxp_table_render(&t, r->out);
	mxp_buf_add(r->out, "\n", 1);

	static const char *const hh[] = { "DPDK heap", ">total", ">allocated", ">free",
					  ">largest-free" };
	if (mxp_table_init(&t, RTE_DIM(hh), hh) != 0)
		return MXP_CTL_ERR;
	for (unsigned int i = 0; i < rte_socket_count(); i++) {
		int sid;
		struct rte_malloc_socket_stats s;
		if (!heap_stats(i, &sid, &s))
			continue;
		snprintf(n[0], 24, "socket %d", sid);
		const char *c[] = { n[0], fmt_bytes(n[1], s.heap_totalsz_bytes),
				    fmt_bytes(n[2], s.heap_allocsz_bytes),
				    fmt_bytes(n[3], s.heap_freesz_bytes),
				    fmt_bytes(n[4], s.greatest_free_size) };
		mxp_table_row(&t, c);
	}
	mxp_table_render(&t, r->out);
	return MXP_CTL_OK;
}

/* Conference state from lib/conf (control API: this runs on the control core), mbuf pools, heap. */
static int
cmd_memory(struct cli_req *r, int argi)
{
	if (r->argc != argi)
		return MXP_CTL_USAGE;
	struct mxp_conf_memory m;
	struct mem_row row[MEM_ROWS_MAX];
	struct mem_pool pool[2];
	if (mxp_conf_memory(r->ctx->conf, &m) != 0) {
		mxp_buf_printf(r->out, "no conference system\n");
		return MXP_CTL_ERR;
	}
	unsigned int nrows = mem_rows(&m, row);
	unsigned int npools = mem_pools(r->ctx, pool);
	if (r->json) {
		memory_json(r, &m, row, nrows, pool, npools);
		return MXP_CTL_OK;
	}
	return memory_text(r, &m, row, nrows, pool, npools);
}

static const struct cli_cmd cmds[] = {
	{ "help", "", "list the commands", cmd_help },
	{ "show version", "", "version of the daemon and its libraries, uptime", cmd_version },
	{ "show ports", "", "ports: link, addresses, packet/byte/error counters", cmd_ports },
	{ "show stats", "", "packet counters in total and per worker", cmd_stats },
	{ "show drops", "[all]", "dropped packets per reason (all: every reason)", cmd_drops },
	{ "show neighbours", "", "ARP and IPv6 neighbour table", cmd_neighbours },
	{ "show neighbors", "", "same as show neighbours", cmd_neighbours },
	{ "show memory", "", "memory: conference state per kind, mbuf pools, DPDK heap",
	  cmd_memory },
	MXP_CLI_END
};

/* Every command, in the order help lists them: one line per file of commands (cli.h). */
static const struct cli_cmd *const tables[] = {
	cmds,
	mxp_cli_conf_cmds,
	mxp_cli_signal_cmds,
	mxp_cli_record_cmds,
	mxp_cli_capture_cmds,
	mxp_cli_mp_cmds,
	mxp_cli_top_cmds,
	mxp_cli_health_cmds,
};

#define FOR_EACH_CMD(c) \
	for (size_t t_ = 0; t_ < RTE_DIM(tables); t_++) \
		for (const struct cli_cmd *c = tables[t_]; c->words != NULL; c++)

static int
cmd_help(struct cli_req *r, int argi)
{
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_arr_open(&j, NULL);
		FOR_EACH_CMD(c) {
			mxp_json_obj_open(&j, NULL);
			mxp_json_str(&j, "command", c->words);
			mxp_json_str(&j, "args", c->args);
			mxp_json_str(&j, "help", c->help);
			mxp_json_obj_close(&j);
		}
		mxp_json_arr_close(&j);
		return MXP_CTL_OK;
	}
	mxp_buf_printf(r->out, "commands (add --json to any show command):\n");
	FOR_EACH_CMD(c) {
		char syn[96];
		snprintf(syn, sizeof(syn), "%s%s%s", c->words, c->args[0] ? " " : "", c->args);
		mxp_buf_printf(r->out, "  %-28s %s\n", syn, c->help);
	}
	(void)argi;
	return MXP_CTL_OK;
}

/* Does argv start with the words of cmd? Returns the number of words matched, or 0. */
static int
match(const char *words, int argc, char **argv)
{
	char buf[128];
	char *save, *w;
	int i = 0;
	snprintf(buf, sizeof(buf), "%s", words);
	for (w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save), i++)
		if (i >= argc || strcmp(argv[i], w) != 0)
			return 0;
	return i;
}

int
mxp_cli_handle(const struct mxp_cli_ctx *ctx, const uint8_t *req, uint32_t len, uint32_t peer_uid,
	       struct mxp_buf *out)
{
	char line[1024];
	char *argv[MXP_CTL_MAX_ARGS];
	(void)peer_uid;

	if (len < 2) {
		mxp_buf_printf(out, "malformed request\n");
		return MXP_CTL_USAGE;
	}
	const uint8_t *nul = memchr(req + 1, '\0', len - 1);
	if (nul == NULL || (size_t)(nul - req) > sizeof(line)) {
		mxp_buf_printf(out, "malformed request: command line missing or too long\n");
		return MXP_CTL_USAGE;
	}
	memcpy(line, req + 1, (size_t)(nul - req));
	struct cli_req r = { .ctx = ctx, .json = (req[0] & MXP_CTL_F_JSON) != 0, .out = out,
			     .body = nul + 1, .body_len = (uint32_t)(len - (uint32_t)(nul + 1 - req)) };
	r.argc = mxp_ctl_split(line, argv, MXP_CTL_MAX_ARGS);
	if (r.argc < 0) {
		mxp_buf_printf(out, "%s\n", r.argc == -E2BIG ? "too many words"
							      : "unterminated quote");
		return MXP_CTL_USAGE;
	}
	r.argv = argv;
	if (r.argc == 0)
		return cmd_help(&r, 0);

	int best = 0;
	const struct cli_cmd *c = NULL;
	FOR_EACH_CMD(k) {
		int m = match(k->words, r.argc, argv);
		if (m > best) {
			best = m;
			c = k;
		}
	}
	if (c == NULL) {
		mxp_buf_printf(out, "unknown command '%s'; 'mixplanectl help' lists the commands\n",
			       argv[0]);
		if (strcmp(argv[0], "show") == 0 && r.argc > 1) {
			mxp_buf_reset(out);
			mxp_buf_printf(out,
				       "unknown command 'show %s'; 'mixplanectl help' lists the commands\n",
				       argv[1]);
		}
		return MXP_CTL_USAGE;
	}
	int st = c->fn(&r, best);
	if (st == MXP_CTL_USAGE && out->len == 0)
		mxp_buf_printf(out, "usage: %s%s%s\n", c->words, c->args[0] ? " " : "", c->args);
	return st;
}
