/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK telemetry commands under /mixplane/, so dpdk-telemetry.py and any telemetry
 * client read the same counters as mixplanectl. Handlers run in DPDK's telemetry
 * thread and only read counters. State that only the control core may read (lib/conf's
 * control API) is asked of the control core the way mixplanectl asks: a request on the
 * control socket, whose JSON reply becomes the telemetry data (tel_from_cli).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_telemetry.h>
#include <rte_version.h>

#include "mp_plane.h"
#include "mxp_ctl.h"
#include "mxp_esp.h"
#include "neigh.h"
#include "telemetry.h"
#include "worker.h"

/* The daemon's parts the handlers read (mxp_telemetry_register). */
static const struct mxp_tel_ctx *tel;

static const struct mxp_mp_plane *
tel_plane(void)
{
	return __atomic_load_n(&tel->mp, __ATOMIC_ACQUIRE);
}

static int
tel_version(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", MXP_VERSION);
	rte_tel_data_add_dict_string(d, "dpdk", rte_version());
	rte_tel_data_add_dict_u64(d, "uptime_s", (mxp_now_ms() - tel->start_ms) / 1000);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mxp_worker_stats s;
	uint64_t drops = 0;
	mxp_stats_sum(tel->workers, tel->nb_workers, tel->cst, &s);
	for (int i = 1; i < MXP_DROP_MAX; i++)
		drops += s.drops[i];
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "rx_packets", s.rx_pkts);
	rte_tel_data_add_dict_u64(d, "rx_bytes", s.rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", s.tx_pkts);
	rte_tel_data_add_dict_u64(d, "tx_bytes", s.tx_bytes);
	rte_tel_data_add_dict_u64(d, "echo_replies", s.echo_replies);
	rte_tel_data_add_dict_u64(d, "to_control", s.to_control);
	rte_tel_data_add_dict_u64(d, "drops", drops);
	rte_tel_data_add_dict_u64(d, "control_rx", tel->cst->rx);
	rte_tel_data_add_dict_u64(d, "arp_learned", tel->cst->arp_learned);
	rte_tel_data_add_dict_u64(d, "nd_learned", tel->cst->nd_learned);
	rte_tel_data_add_dict_u64(d, "cli_requests", tel->cst->cli_requests);
	return 0;
}

static int
tel_drops(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mxp_worker_stats s;
	mxp_stats_sum(tel->workers, tel->nb_workers, tel->cst, &s);
	rte_tel_data_start_dict(d);
	for (int i = 1; i < MXP_DROP_MAX; i++)
		rte_tel_data_add_dict_u64(d, mxp_drop_name((enum mxp_drop)i), s.drops[i]);
	return 0;
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	for (uint16_t i = 0; i < tel->ports->nb_ports; i++) {
		const struct mxp_port *p = &tel->ports->port[i];
		struct rte_tel_data *c = rte_tel_data_alloc();
		if (c == NULL)
			return -ENOMEM;
		struct rte_eth_stats es;
		struct rte_eth_link link;
		mxp_port_counters(p, &es, &link);
		char mac[18], a[64], b[80];
		rte_tel_data_start_dict(c);
		rte_tel_data_add_dict_u64(c, "port_id", p->port_id);
		rte_tel_data_add_dict_string(c, "device", p->cfg.device);
		snprintf(mac, sizeof(mac), RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&p->mac));
		rte_tel_data_add_dict_string(c, "mac", mac);
		rte_tel_data_add_dict_u64(c, "link_up", link.link_status == RTE_ETH_LINK_UP);
		if (p->cfg.has_ip4) {
			snprintf(b, sizeof(b), "%s/%u", mxp_ip_format(&p->cfg.ip4, a, sizeof(a)),
				 p->cfg.plen4);
			rte_tel_data_add_dict_string(c, "ipv4", b);
		}
		if (p->cfg.has_ip6) {
			snprintf(b, sizeof(b), "%s/%u", mxp_ip_format(&p->cfg.ip6, a, sizeof(a)),
				 p->cfg.plen6);
			rte_tel_data_add_dict_string(c, "ipv6", b);
		}
		rte_tel_data_add_dict_u64(c, "rx_packets", es.ipackets);
		rte_tel_data_add_dict_u64(c, "rx_bytes", es.ibytes);
		rte_tel_data_add_dict_u64(c, "rx_errors", es.ierrors);
		rte_tel_data_add_dict_u64(c, "rx_missed", es.imissed);
		rte_tel_data_add_dict_u64(c, "tx_packets", es.opackets);
		rte_tel_data_add_dict_u64(c, "tx_bytes", es.obytes);
		rte_tel_data_add_dict_u64(c, "tx_errors", es.oerrors);
		rte_tel_data_add_dict_container(d, p->cfg.section, c, 0);
	}
	return 0;
}

static int
tel_neighbours(const char *cmd, const char *params, struct rte_tel_data *d)
{
	rte_tel_data_start_dict(d);
	unsigned int n = 0;
	for (uint16_t i = 0; i < tel->ports->nb_ports; i++) {
		const struct mxp_port *p = &tel->ports->port[i];
		for (uint32_t s = 0; s < MXP_NEIGH_SLOTS; s++) {
			struct rte_ether_addr mac;
			const struct mxp_neigh *e = &p->neigh->slot[s];
			if (e->state == MXP_NEIGH_FREE)
				continue;
			struct mxp_ip ip = e->ip;
			char key[96], a[64], m[18];
			snprintf(key, sizeof(key), "%s %s", p->cfg.section,
				 mxp_ip_format(&ip, a, sizeof(a)));
			if (mxp_neigh_lookup(p->neigh, &ip, &mac))
				snprintf(m, sizeof(m), RTE_ETHER_ADDR_PRT_FMT, RTE_ETHER_ADDR_BYTES(&mac));
			else
				snprintf(m, sizeof(m), "unresolved");
			if (++n > RTE_TEL_MAX_DICT_ENTRIES)
				return 0;
			rte_tel_data_add_dict_string(d, key, m);
		}
	}
	return 0;
}

/* ---- state of the control core, through the control socket ------------------------------ */

/* How long a telemetry client waits for the control core (which may wait for a worker). */
#define TEL_CLI_TIMEOUT_S 5

/*
 * A small reader for the JSON the daemon's own writer (mxp_json) produces: an object whose
 * members are scalars or objects of scalars (DPDK 22.11 telemetry nests one level).
 */
struct jrd {
	const char *p, *end;
};

static void
j_ws(struct jrd *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static bool
j_eat(struct jrd *j, char c)
{
	j_ws(j);
	if (j->p < j->end && *j->p == c) {
		j->p++;
		return true;
	}
	return false;
}

/* A string into s (truncated to len-1; \u escapes outside ASCII become '?'). */
static int
j_str(struct jrd *j, char *s, size_t len)
{
	size_t o = 0;
	if (!j_eat(j, '"'))
		return -EINVAL;
	while (j->p < j->end && *j->p != '"') {
		char c = *j->p++;
		if (c == '\\') {
			if (j->p >= j->end)
				return -EINVAL;
			c = *j->p++;
			switch (c) {
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			case 'u': {
				char h[5] = { 0 };
				if (j->end - j->p < 4)
					return -EINVAL;
				memcpy(h, j->p, 4);
				j->p += 4;
				unsigned long v = strtoul(h, NULL, 16);
				c = v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				break; /* \" \\ \/ */
			}
		}
		if (o + 1 < len)
			s[o++] = c;
	}
	if (!j_eat(j, '"'))
		return -EINVAL;
	s[o] = '\0';
	return 0;
}

/* A scalar into dict d under key k: u64, int, string (fractions too); null adds nothing. */
static int
j_scalar(struct jrd *j, struct rte_tel_data *d, const char *k)
{
	char v[RTE_TEL_MAX_STRING_LEN];
	j_ws(j);
	if (j->p >= j->end)
		return -EINVAL;
	if (*j->p == '"') {
		if (j_str(j, v, sizeof(v)) != 0)
			return -EINVAL;
		rte_tel_data_add_dict_string(d, k, v);
		return 0;
	}
	static const struct {
		const char *word;
		int val;
	} lit[] = { { "true", 1 }, { "false", 0 }, { "null", -1 } };
	for (size_t i = 0; i < RTE_DIM(lit); i++) {
		size_t l = strlen(lit[i].word);
		if ((size_t)(j->end - j->p) >= l && memcmp(j->p, lit[i].word, l) == 0) {
			j->p += l;
			if (lit[i].val >= 0)
				rte_tel_data_add_dict_u64(d, k, (uint64_t)lit[i].val);
			return 0;
		}
	}
	size_t n = 0;
	while (j->p + n < j->end && n + 1 < sizeof(v) && j->p[n] != '\0' &&
	       strchr("+-.0123456789eE", j->p[n]))
		n++;
	if (n == 0)
		return -EINVAL;
	memcpy(v, j->p, n);
	v[n] = '\0';
	j->p += n;
	char *e;
	errno = 0;
	if (v[0] != '-') {
		unsigned long long u = strtoull(v, &e, 10);
		if (*e == '\0' && errno == 0) {
			rte_tel_data_add_dict_u64(d, k, u);
			return 0;
		}
	} else {
		long long x = strtoll(v, &e, 10);
		if (*e == '\0' && errno == 0 && x >= INT32_MIN) {
			rte_tel_data_add_dict_int(d, k, (int)x);
			return 0;
		}
	}
	rte_tel_data_add_dict_string(d, k, v); /* no doubles in 22.11's telemetry */
	return 0;
}

/* Skip an array (telemetry 22.11 nests only dicts one level: arrays are left out). */
static int
j_skip_array(struct jrd *j)
{
	int depth = 0;
	bool str = false;
	while (j->p < j->end) {
		char c = *j->p++;
		if (str) {
			if (c == '\\' && j->p < j->end)
				j->p++;
			else if (c == '"')
				str = false;
		} else if (c == '"') {
			str = true;
		} else if (c == '[' || c == '{') {
			depth++;
		} else if (c == ']' || c == '}') {
			if (--depth == 0)
				return 0;
		}
	}
	return -EINVAL;
}

/* An object into d, already started as a dict; depth 0 may hold objects of scalars. */
static int
j_obj(struct jrd *j, struct rte_tel_data *d, int depth)
{
	if (!j_eat(j, '{'))
		return -EINVAL;
	if (j_eat(j, '}'))
		return 0;
	do {
		char k[RTE_TEL_MAX_STRING_LEN];
		if (j_str(j, k, sizeof(k)) != 0 || !j_eat(j, ':'))
			return -EINVAL;
		j_ws(j);
		if (j->p < j->end && *j->p == '[') {
			if (j_skip_array(j) != 0)
				return -EINVAL;
		} else if (j->p < j->end && *j->p == '{') {
			if (depth > 0)
				return -EINVAL;
			struct rte_tel_data *c = rte_tel_data_alloc();
			if (c == NULL)
				return -ENOMEM;
			rte_tel_data_start_dict(c);
			int r = j_obj(j, c, depth + 1);
			if (r != 0 || rte_tel_data_add_dict_container(d, k, c, 0) != 0) {
				rte_tel_data_free(c);
				return r ? r : -E2BIG;
			}
		} else if (j_scalar(j, d, k) != 0) {
			return -EINVAL;
		}
	} while (j_eat(j, ','));
	return j_eat(j, '}') ? 0 : -EINVAL;
}

/*
 * Run a CLI command on the control core, as mixplanectl does, and turn its JSON reply into
 * d. lib/conf's control API is the control core's alone; the control core never waits for
 * the telemetry thread, so waiting for it here cannot deadlock.
 */
static int
tel_from_cli(const char *cmdline, struct rte_tel_data *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TEL_CLI_TIMEOUT_S };
	struct mxp_buf reply;
	int r = -EIO;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tel->socket);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	mxp_buf_init(&reply);
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = -errno;
		goto out;
	}
	char req[128];
	int n = snprintf(req, sizeof(req), "%c%s", MXP_CTL_F_JSON, cmdline);
	if (n < 0 || (size_t)n >= sizeof(req)) {
		r = -E2BIG;
		goto out;
	}
	r = mxp_ctl_send_frame(fd, req, (size_t)n + 1, NULL, 0); /* with the NUL: no body */
	if (r == 0)
		r = mxp_ctl_recv_frame(fd, &reply);
	if (r != 0)
		goto out;
	if (reply.len < 1 || (uint8_t)reply.p[0] != MXP_CTL_OK) {
		r = -EIO;
		goto out;
	}
	struct jrd j = { .p = reply.p + 1, .end = reply.p + reply.len };
	rte_tel_data_start_dict(d);
	r = j_obj(&j, d, 0);
out:
	close(fd);
	mxp_buf_free(&reply);
	return r;
}

static int
tel_memory(const char *cmd, const char *params, struct rte_tel_data *d)
{
	return tel_from_cli("show memory", d);
}

/* /mixplane/leg,ID: one leg as `show leg ID` shows it, with its refusals per reason. */
static int
tel_leg(const char *cmd, const char *params, struct rte_tel_data *d)
{
	char line[64];
	char *e;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	unsigned long id = strtoul(params, &e, 10);
	if (*e != '\0' || id == 0 || id > UINT32_MAX)
		return -EINVAL;
	snprintf(line, sizeof(line), "show leg %lu", id);
	return tel_from_cli(line, d);
}

/* ---- the Mp plane and its ESP endpoint: status snapshot, lib/esp's listings ------------- */

static int
tel_mp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	static const char *const counter_names[] = {
#define MP_N_(n, dsc) #n,
		MXP_MP_COUNTERS(MP_N_)
#undef MP_N_
	};
	static const char *const sc_names[] = { "none", "sent", "answered", "failed" };
	static struct mxp_mp_status st; /* one request at a time: DPDK's telemetry thread */
	const struct mxp_mp_plane *mp = tel_plane();
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "enabled", mxp_mp_plane_enabled(mp));
	if (!mxp_mp_plane_enabled(mp))
		return 0;
	mxp_mp_plane_status(mp, &st);
	rte_tel_data_add_dict_string(d, "service_change", sc_names[st.sc]);
	const uint64_t *v = (const uint64_t *)&st.c;
	const uint64_t *ebc = st.err_by_code;
	for (size_t k = 0; k < RTE_DIM(counter_names); k++)
		rte_tel_data_add_dict_u64(d, counter_names[k], v[k]);
	rte_tel_data_add_dict_u64(d, "plaintext_dropped", st.plaintext_dropped);
	rte_tel_data_add_dict_u64(d, "not_in_policy_dropped", st.not_in_policy_dropped);
	rte_tel_data_add_dict_u64(d, "reply_cache", st.reply_cache);
	rte_tel_data_add_dict_u64(d, "legs", st.legs);
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

static int
tel_esp(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct mxp_esp_ep *ep = tel_plane() ? mxp_mp_plane_esp(tel_plane()) : NULL;
	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	if (ep == NULL)
		return 0;
	const uint64_t *e = mxp_esp_ep_counters(ep);
	rte_tel_data_add_dict_u64(d, "accepted", e[0]);
	struct rte_tel_data *drops = rte_tel_data_alloc();
	if (drops == NULL)
		return 0;
	rte_tel_data_start_dict(drops);
	for (int k = 1; k < MXP_ESP_DROP_MAX; k++)
		rte_tel_data_add_dict_u64(drops, mxp_esp_drop_name((enum mxp_esp_drop)k), e[k]);
	rte_tel_data_add_dict_container(d, "drops", drops, 0);
	uint32_t n = mxp_esp_ep_sa_count(ep);
	for (uint32_t k = 0; k < n && k < 64; k++) {
		struct mxp_esp_sa *sa = mxp_esp_ep_sa_at(ep, k);
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

static const struct {
	const char *path;
	telemetry_cb fn;
	const char *help;
} cmds[] = {
	{ "/mixplane/version", tel_version, "mixplane version and uptime. No parameters" },
	{ "/mixplane/stats", tel_stats, "mixplane packet counters. No parameters" },
	{ "/mixplane/drops", tel_drops, "mixplane dropped packets per reason. No parameters" },
	{ "/mixplane/ports", tel_ports, "mixplane ports, addresses and counters. No parameters" },
	{ "/mixplane/neighbours", tel_neighbours, "mixplane ARP/ND neighbour table. No parameters" },
	{ "/mixplane/mp", tel_mp, "mixplane Mp control plane counters. No parameters" },
	{ "/mixplane/esp", tel_esp, "mixplane ESP SAs (fingerprints) and drops. No parameters" },
	{ "/mixplane/leg", tel_leg, "mixplane leg: addresses, counters, refused packets per reason "
	  "(as show leg). Parameters: leg id" },
	{ "/mixplane/memory", tel_memory, "mixplane memory: conference state, mbuf pools, heap (as "
	  "show memory). No parameters" },
};

int
mxp_telemetry_register(const struct mxp_tel_ctx *ctx)
{
	int r = 0;
	tel = ctx;
	for (size_t i = 0; i < RTE_DIM(cmds); i++)
		r |= rte_telemetry_register_cmd(cmds[i].path, cmds[i].fn, cmds[i].help);
	return r ? -1 : 0;
}
