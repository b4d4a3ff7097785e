/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Mp control plane (control core): H.248 text transactions from the MRFC, carried in
 * ESP (IP protocol 50 or UDP 4500), applied to the conferences through lib/conf — the same
 * API the lab CLI uses — and answered through the peer's outbound SA.
 *
 *   frame → [IP reassembly] → lib/esp endpoint (policy, SAD, anti-replay, ICV, decrypt)
 *         → inner UDP 2944 → lib/mp parse → reply cache → apply each command all or
 *         nothing → encode the reply → cache → ESP → [IP fragmentation] → neighbour → NIC
 *
 * Mp in the clear (UDP 2944) is dropped and counted unless the lab flag allows it. The
 * daemon's own requests (ServiceChange Restart at start, Notify for requested events) are
 * retransmitted on H.248 timers until the MRFC answers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_cycles.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "cli.h"
#include "mp_plane.h"
#include "mxp_esp.h"
#include "mxp_mp.h"
#include "mxp_mp_sdp.h"
#include "mxp_mp_trans.h"
#include "mxp_srtp_sdes.h"

#define MP_BUF 9216              /* largest IP packet handled (reassembled) */
#define MP_MTU_PAYLOAD 1500      /* IP packet size before fragmenting */
#define MP_RCACHE_N 1024
#define MP_REPLY_MAX 8192
#define MP_OUT_MAX 64            /* outstanding requests of ours (Notify, ServiceChange) */
#define MP_ARENA 32768
#define MP_PENDING_CMDS 16       /* transactions this large get a TransactionPending first */
#define MP_POLL_MS 1000          /* event polling interval */

/* Counters (also telemetry /mixplane/mp). */
#define MP_COUNTERS(X) \
	X(messages, "Mp messages received (after ESP)") \
	X(requests, "transactions received") \
	X(replies, "replies sent") \
	X(replies_cached, "retransmitted requests answered from the reply cache") \
	X(pendings, "TransactionPending sent") \
	X(errors, "commands or transactions answered with an error") \
	X(parse_errors, "messages that did not parse") \
	X(plaintext_accepted, "Mp in the clear accepted (lab flag)") \
	X(not_udp_2944, "ESP payloads that were not UDP to port 2944") \
	X(reassembled, "IP packets reassembled from fragments") \
	X(fragments_sent, "IP fragments sent") \
	X(reply_too_big, "replies replaced by error 533") \
	X(requests_sent, "requests of ours (ServiceChange, Notify)") \
	X(retransmissions, "retransmissions of our requests") \
	X(gave_up, "requests of ours never answered") \
	X(notifies, "Notify sent") \
	X(send_failed, "replies or requests that could not be sent (no SA, no route)")

struct mp_counters {
#define MP_C_(n, d) uint64_t n;
	MP_COUNTERS(MP_C_)
#undef MP_C_
};

/* Events an MRFC asked for on a leg. */
struct mp_leg {
	uint32_t leg, ctx;
	uint32_t rid;
	bool ev_authfail, ev_keylimit, ev_ssrc;
	uint32_t afthresh;
	uint64_t af_notified;       /* auth failures already reported */
	bool ssrc_known;
	uint32_t ssrc;
};

/* A request of ours waiting for its reply. */
struct mp_out {
	bool used;
	uint32_t tid;
	struct mxp_ip peer;
	uint16_t peer_port;
	struct mxp_mp_retx retx;
	size_t len;
	char text[2048];
};

static struct {
	bool enabled;
	struct mxp_esp_crypto crypto;
	struct mxp_esp_ep *ep;
	struct mxp_mp_rcache *rc;
	struct rte_ip_frag_tbl *frag;
	struct rte_ip_frag_death_row dr;
	struct mp_counters c;
	uint64_t err_by_code[600];
	struct mp_leg *legs;
	uint32_t nlegs, cap;
	struct mp_out out[MP_OUT_MAX];
	uint32_t next_tid;
	uint64_t next_poll;
	char mid[80];
	uint8_t buf[MP_BUF];         /* the packet being processed */
	uint8_t obuf[MP_BUF];        /* the packet being sent */
	char reply[MP_REPLY_MAX];
	char arena[MP_ARENA];        /* strings of the reply being built */
	size_t arena_used;
	struct mxp_mp_msg msg, rep;  /* big: kept off the stack */
} mp;

bool
mxp_mp_plane_enabled(void)
{
	return mp.enabled;
}

/* ---- small helpers ---------------------------------------------------------------------- */

static void
to_esp_addr(const struct mxp_ip *ip, struct mxp_esp_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = ip->af;
	if (ip->af == AF_INET)
		memcpy(a->a, &ip->v4, 4);
	else
		memcpy(a->a, ip->v6, 16);
}

static struct mxp_ip
from_esp_addr(const struct mxp_esp_addr *a)
{
	struct mxp_ip ip = { .af = a->family };
	if (a->family == AF_INET)
		memcpy(&ip.v4, a->a, 4);
	else
		memcpy(ip.v6, a->a, 16);
	return ip;
}

static const char *
arena_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static const char *
arena_printf(const char *fmt, ...)
{
	va_list ap;
	size_t room = MP_ARENA - mp.arena_used;
	char *p = mp.arena + mp.arena_used;
	va_start(ap, fmt);
	int n = vsnprintf(p, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return "";
	mp.arena_used += (size_t)n + 1;
	return p;
}

/* The port whose address family and routes reach peer (the request's port first). */
static struct mxp_port *
port_for(const struct mxp_ip *peer, struct mxp_port *hint)
{
	struct mxp_ip nh;
	if (hint && mxp_port_next_hop(hint, peer, &nh))
		return hint;
	for (uint16_t i = 0; i < mxp.nb_ports; i++)
		if (mxp_port_next_hop(&mxp.ports[i], peer, &nh))
			return &mxp.ports[i];
	return NULL;
}

static const struct mxp_ip *
port_addr(const struct mxp_port *p, uint8_t af)
{
	if (af == AF_INET)
		return p->cfg.has_ip4 ? &p->cfg.ip4 : NULL;
	return p->cfg.has_ip6 ? &p->cfg.ip6 : NULL;
}

/* ---- sending ---------------------------------------------------------------------------- */

/* Send one IP packet (in pkt, len bytes) on port p, fragmenting it when it is too big. */
static int
send_ip(struct mxp_port *p, const struct mxp_ip *dst, const uint8_t *pkt, size_t len)
{
	uint16_t type = dst->af == AF_INET ? 0x0800 : 0x86dd;
	size_t mtu = p->cfg.mtu < MP_MTU_PAYLOAD ? p->cfg.mtu : MP_MTU_PAYLOAD;
	size_t hl = dst->af == AF_INET ? (size_t)(pkt[0] & 0xf) * 4 : 40;
	size_t off = 0, payload = len - hl;
	static uint32_t ident = 0x4d58;

	ident++;
	do {
		size_t chunk = len <= mtu ? payload : ((mtu - hl - (dst->af == AF_INET6 ? 8 : 0)) & ~7u);
		if (chunk > payload - off)
			chunk = payload - off;
		bool more = off + chunk < payload, frag = len > mtu;
		struct rte_mbuf *m = rte_pktmbuf_alloc(mxp.pool);
		if (m == NULL) {
			mp.c.send_failed++;
			return -ENOMEM;
		}
		size_t fl = 14 + hl + (frag && dst->af == AF_INET6 ? 8 : 0) + chunk;
		uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)fl);
		if (f == NULL) {
			rte_pktmbuf_free(m);
			mp.c.send_failed++;
			return -ENOSPC;
		}
		memset(f, 0, 6);
		memcpy(f + 6, &p->mac, 6);
		f[12] = (uint8_t)(type >> 8);
		f[13] = (uint8_t)type;
		uint8_t *ip = f + 14;
		memcpy(ip, pkt, hl);
		if (!frag) {
			memcpy(ip + hl, pkt + hl, payload);
		} else if (dst->af == AF_INET) {
			uint16_t tot = (uint16_t)(hl + chunk), fo = (uint16_t)(off / 8);
			ip[2] = (uint8_t)(tot >> 8);
			ip[3] = (uint8_t)tot;
			ip[4] = (uint8_t)(ident >> 8);
			ip[5] = (uint8_t)ident;
			ip[6] = (uint8_t)((more ? 0x20 : 0) | (fo >> 8));
			ip[7] = (uint8_t)fo;
			ip[10] = ip[11] = 0;
			uint16_t ck = (uint16_t)~rte_raw_cksum(ip, hl);
			memcpy(ip + 10, &ck, 2);
			memcpy(ip + hl, pkt + hl + off, chunk);
			mp.c.fragments_sent++;
		} else {
			uint16_t plen = (uint16_t)(8 + chunk);
			ip[4] = (uint8_t)(plen >> 8);
			ip[5] = (uint8_t)plen;
			uint8_t *fh = ip + 40;
			fh[0] = pkt[6];          /* the original next header */
			ip[6] = 44;              /* fragment header */
			fh[1] = 0;
			uint16_t fo = (uint16_t)(off | (more ? 1 : 0));
			fh[2] = (uint8_t)(fo >> 8);
			fh[3] = (uint8_t)fo;
			uint32_t id = rte_cpu_to_be_32(ident);
			memcpy(fh + 4, &id, 4);
			memcpy(fh + 8, pkt + hl + off, chunk);
			mp.c.fragments_sent++;
		}
		m->port = p->port_id;
		mxp_neigh_send(p, dst, m);
		off += chunk;
	} while (off < payload);
	return 0;
}

/* Send Mp text to peer:port, inside ESP unless plaintext. */
static int
send_mp(struct mxp_port *hint, const struct mxp_ip *peer, uint16_t peer_port, bool plaintext,
	const char *text, size_t len)
{
	struct mxp_port *p = port_for(peer, hint);
	const struct mxp_ip *src = p ? port_addr(p, peer->af) : NULL;
	if (src == NULL) {
		mp.c.send_failed++;
		return -EHOSTUNREACH;
	}
	struct mxp_esp_addr s, d;
	to_esp_addr(src, &s);
	to_esp_addr(peer, &d);
	static uint8_t udp[MP_BUF];
	int ul = mxp_esp_udp_build(udp, sizeof(udp), &s, &d, MXP_MP_PORT, peer_port,
				   (const uint8_t *)text, len);
	if (ul < 0) {
		mp.c.send_failed++;
		return ul;
	}
	size_t plen;
	if (plaintext) {
		/* an IP header in front of the UDP datagram */
		size_t hl = peer->af == AF_INET ? 20 : 40;
		uint8_t *ip = mp.obuf;
		memset(ip, 0, hl);
		if (peer->af == AF_INET) {
			uint16_t tot = (uint16_t)(hl + (size_t)ul);
			ip[0] = 0x45;
			ip[2] = (uint8_t)(tot >> 8);
			ip[3] = (uint8_t)tot;
			ip[8] = 64;
			ip[9] = 17;
			memcpy(ip + 12, s.a, 4);
			memcpy(ip + 16, d.a, 4);
			uint16_t ck = (uint16_t)~rte_raw_cksum(ip, hl);
			memcpy(ip + 10, &ck, 2);
		} else {
			ip[0] = 0x60;
			ip[4] = (uint8_t)(ul >> 8);
			ip[5] = (uint8_t)ul;
			ip[6] = 17;
			ip[7] = 64;
			memcpy(ip + 8, s.a, 16);
			memcpy(ip + 24, d.a, 16);
		}
		memcpy(ip + hl, udp, (size_t)ul);
		plen = hl + (size_t)ul;
	} else {
		static uint8_t esp[MP_BUF];
		size_t elen;
		struct mxp_esp_meta em;
		enum mxp_esp_drop dr = mxp_esp_ep_output(mp.ep, &d, udp, (size_t)ul, 17, esp,
							 sizeof(esp), &elen, &em);
		if (dr != MXP_ESP_DROP_NONE) {
			mp.c.send_failed++;
			return -EPERM;
		}
		size_t hl = mxp_esp_frame_hdr_len(&em);
		memcpy(mp.obuf + hl, esp, elen);
		int tl = mxp_esp_frame_build(mp.obuf, sizeof(mp.obuf), &em, elen);
		if (tl < 0) {
			mp.c.send_failed++;
			return tl;
		}
		plen = (size_t)tl;
	}
	return send_ip(p, peer, mp.obuf, plen);
}

/* ---- replies ------------------------------------------------------------------------------ */

static void
count_error(unsigned int code)
{
	mp.c.errors++;
	if (code < RTE_DIM(mp.err_by_code))
		mp.err_by_code[code]++;
}

static void
cmd_error(struct mxp_mp_cmd *c, unsigned int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
cmd_error(struct mxp_mp_cmd *c, unsigned int code, const char *fmt, ...)
{
	char t[MXP_MP_TEXT_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	for (char *q = t; *q; q++)
		if (*q == '"')
			*q = '\'';
	c->has_error = true;
	c->err_code = (uint16_t)code;
	c->err_text = mxp_mp_str_c(arena_printf("%s", t));
	count_error(code);
}

/* Encode rep, falling back to a 533 error if it does not fit; returns the length. */
static int
encode_reply(uint32_t tid)
{
	enum mxp_mp_style st = mxp.cfg.mp.compact ? MXP_MP_STYLE_COMPACT : MXP_MP_STYLE_LONG;
	int n = mxp_mp_encode(&mp.rep, st, mp.reply, sizeof(mp.reply));
	if (n >= 0 && (size_t)n <= MP_REPLY_MAX - 1)
		return n;
	mp.c.reply_too_big++;
	mxp_mp_msg_init(&mp.rep, mp.mid);
	struct mxp_mp_trans *t = mxp_mp_msg_add_trans(&mp.rep, MXP_MP_TRANS_REPLY, tid);
	t->has_error = true;
	t->err_code = MXP_MP_E_REPLY_TOO_BIG;
	t->err_text = mxp_mp_str_c("reply exceeds the maximum message size; audit fewer terminations");
	count_error(MXP_MP_E_REPLY_TOO_BIG);
	return mxp_mp_encode(&mp.rep, st, mp.reply, sizeof(mp.reply));
}

/* ---- mapping helpers ---------------------------------------------------------------------- */

static bool
term_leg(const struct mxp_mp_cmd *c, uint32_t *leg)
{
	if (c->term_kind != MXP_MP_TERM_NAME || c->term.len < 5 || c->term.len > 14 ||
	    strncasecmp(c->term.p, "leg/", 4) != 0)
		return false;
	uint32_t v = 0;
	for (uint32_t i = 4; i < c->term.len; i++) {
		if (c->term.p[i] < '0' || c->term.p[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(c->term.p[i] - '0');
	}
	*leg = v;
	return v != 0;
}

/* H.248 modes are the MG's view; lib/conf's are the participant's. */
static int
mode_from_mp(enum mxp_mp_mode m, enum mxp_stream_mode *out)
{
	switch (m) {
	case MXP_MP_MODE_SENDRECV: *out = MXP_SM_SENDRECV; return 0;
	case MXP_MP_MODE_SENDONLY: *out = MXP_SM_RECVONLY; return 0;  /* MG only sends */
	case MXP_MP_MODE_RECVONLY: *out = MXP_SM_SENDONLY; return 0;  /* MG only receives */
	case MXP_MP_MODE_INACTIVE: *out = MXP_SM_INACTIVE; return 0;
	default: return -ENOTSUP;
	}
}

static enum mxp_mp_mode
mode_to_mp(enum mxp_stream_mode m)
{
	switch (m) {
	case MXP_SM_RECVONLY: return MXP_MP_MODE_SENDONLY;
	case MXP_SM_SENDONLY: return MXP_MP_MODE_RECVONLY;
	case MXP_SM_INACTIVE: return MXP_MP_MODE_INACTIVE;
	default: return MXP_MP_MODE_SENDRECV;
	}
}

/* Parse the a=crypto lines of an SDP into a key set; 0, or an H.248 code with text. */
static unsigned int
sdp_keys(const struct mxp_sdp *sd, struct mxp_conf_keys *ks, bool outbound, char *t, size_t tl)
{
	memset(ks, 0, sizeof(*ks));
	for (unsigned int i = 0; i < sd->ncrypto; i++) {
		struct mxp_sdes_crypto c;
		char e[160];
		int r = mxp_sdes_parse(sd->crypto[i].p, sd->crypto[i].len, &c, e, sizeof(e));
		if (r == 0)
			r = mxp_conf_keys_add_sdes(ks, &c, outbound, e, sizeof(e));
		mxp_sdes_wipe(&c);
		if (r) {
			snprintf(t, tl, "%s a=crypto %u: %.120s", outbound ? "Local" : "Remote", i + 1, e);
			explicit_bzero(ks, sizeof(*ks));
			return MXP_MP_E_BAD_VALUE;
		}
	}
	return 0;
}

static struct mp_leg *
mpleg_find(uint32_t leg)
{
	for (uint32_t i = 0; i < mp.nlegs; i++)
		if (mp.legs[i].leg == leg)
			return &mp.legs[i];
	return NULL;
}

static void
mpleg_forget(uint32_t leg)
{
	for (uint32_t i = 0; i < mp.nlegs; i++)
		if (mp.legs[i].leg == leg) {
			mp.legs[i] = mp.legs[--mp.nlegs];
			return;
		}
}

/* Remember which mxp events the MRFC asked for on a leg (Events descriptor). */
static void
mpleg_events(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c, uint32_t leg, uint32_t ctx,
	     uint32_t afthresh)
{
	struct mp_leg *l = mpleg_find(leg);
	if (l == NULL) {
		if (mp.nlegs == mp.cap) {
			uint32_t cap = mp.cap ? mp.cap * 2 : 64;
			struct mp_leg *n = realloc(mp.legs, cap * sizeof(*n));
			if (n == NULL)
				return;
			mp.legs = n;
			mp.cap = cap;
		}
		l = &mp.legs[mp.nlegs++];
		memset(l, 0, sizeof(*l));
		l->leg = leg;
		l->ctx = ctx;
		l->afthresh = mxp.cfg.mp.afthresh;
	}
	if (afthresh)
		l->afthresh = afthresh;
	if (!c->has_events)
		return;
	l->rid = c->events_rid;
	l->ev_authfail = l->ev_keylimit = l->ev_ssrc = false;
	for (uint16_t i = 0; i < c->events.n; i++) {
		struct mxp_mp_str n = msg->props[c->events.first + i].name;
		if (mxp_mp_str_eq(n, MXP_MP_EV_AUTHFAIL))
			l->ev_authfail = true;
		else if (mxp_mp_str_eq(n, MXP_MP_EV_KEYLIMIT))
			l->ev_keylimit = true;
		else if (mxp_mp_str_eq(n, MXP_MP_EV_SSRC))
			l->ev_ssrc = true;
	}
}

/* Local SDP of a leg for replies and audits. */
static const char *
leg_sdp(const struct mxp_leg_info *li, bool local)
{
	struct mxp_sdp sd;
	memset(&sd, 0, sizeof(sd));
	sd.has_conn = true;
	sd.family = local ? li->local.af : li->remote.af;
	const struct mxp_ip *ip = local ? &li->local : &li->remote;
	if (!local && !li->remote_known) {
		sd.conn_choose = true;
		sd.port_choose = true;
		sd.family = li->local.af;
	} else if (ip->af == AF_INET) {
		memcpy(sd.addr, &ip->v4, 4);
	} else {
		memcpy(sd.addr, ip->v6, 16);
	}
	sd.has_media = true;
	sd.port = local ? li->local_port : li->remote_port;
	sd.srtp = !li->plain;
	sd.npts = 1;
	sd.pts[0] = 0;
	sd.ptime = 20;
	char *out = mp.arena + mp.arena_used;
	size_t room = MP_ARENA - mp.arena_used;
	int n = mxp_sdp_encode(&sd, out, room);
	if (n < 0)
		return "";
	mp.arena_used += (size_t)n + 1;
	return out;
}

static void
add_stats(struct mxp_mp_cmd *rc, const struct mxp_leg_info *li)
{
	struct mxp_mp_stream *st = &rc->streams[0];
	const struct mxp_leg_stats *s = &li->st;
	st->has_stats = true;
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "rtp/ps", '=', arena_printf("%" PRIu64, s->tx_pkts));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "rtp/pr", '=', arena_printf("%" PRIu64, s->rx_pkts));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "nt/os", '=', arena_printf("%" PRIu64, s->tx_bytes));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "nt/or", '=', arena_printf("%" PRIu64, s->rx_bytes));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "mxp/authfail", '=',
			    arena_printf("%" PRIu64, s->auth_failures));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "mxp/replay", '=', arena_printf("%" PRIu64, s->replays));
	mxp_mp_msg_add_prop(&mp.rep, &st->stats, "mxp/latched", '=', arena_printf("%" PRIu64, s->latches));
}

static int
conf_code(int r)
{
	switch (r) {
	case -ENOENT: return MXP_MP_E_UNKNOWN_CTX;
	case -ENOSPC: return MXP_MP_E_RESOURCES;
	case -EADDRINUSE: return MXP_MP_E_RESOURCES;
	case -ENOMEM: return MXP_MP_E_RESOURCES;
	case -ENOTSUP: return MXP_MP_E_NOT_IMPL;
	case -ETIMEDOUT: return MXP_MP_E_NOT_READY;
	default: return MXP_MP_E_BAD_VALUE;
	}
}

/* ---- commands ------------------------------------------------------------------------------ */

struct action_state {
	uint32_t ctx;              /* resolved context id, 0 = none yet */
	bool created;              /* this action created it ($) */
};

static const struct mxp_mp_stream *
stream1(const struct mxp_mp_cmd *c)
{
	return c->nstreams ? &c->streams[0] : NULL;
}

static void
do_add(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c, const char *base,
       struct action_state *as, struct mxp_mp_cmd *rc, struct mxp_port *hint)
{
	struct mxp_mp_pkg pkg;
	struct mxp_mp_error e;
	char t[MXP_MP_TEXT_MAX];
	if (c->term_kind != MXP_MP_TERM_CHOOSE) {
		uint32_t leg;
		struct mxp_leg_info li;
		if (term_leg(c, &leg) && mxp_conf_leg_get(mxp.conf, leg, &li) == 0)
			return cmd_error(rc, MXP_MP_E_TERM_IN_CTX, "termination %.*s is already in context %u",
					 (int)c->term.len, c->term.p, li.conf_id);
		return cmd_error(rc, MXP_MP_E_UNKNOWN_TERM,
				 "Add takes $ (the MRFP names its terminations leg/N)");
	}
	if (mxp_mp_pkg_get(msg, c, base, &pkg, &e) != 0)
		return cmd_error(rc, e.code, "%s", e.text);
	const struct mxp_mp_stream *st = stream1(c);
	if (st == NULL || !st->has_local)
		return cmd_error(rc, MXP_MP_E_MISSING_DESC,
				 "Add needs a Local descriptor (the key the MRFP sends with)");
	if (c->nstreams > 1)
		return cmd_error(rc, MXP_MP_E_NOT_IMPL, "one audio stream per termination");
	struct mxp_sdp ls, rs;
	if (mxp_sdp_parse(st->local.p, st->local.len, &ls, &e) != 0)
		return cmd_error(rc, e.code, "Local: %s", e.text);
	bool has_remote = st->has_remote;
	if (has_remote && mxp_sdp_parse(st->remote.p, st->remote.len, &rs, &e) != 0)
		return cmd_error(rc, e.code, "Remote: %s", e.text);
	bool plain = pkg.plain_rtp == 1;
	if (plain && !mxp.cfg.mp.allow_plaintext)
		return cmd_error(rc, MXP_MP_E_BAD_VALUE,
				 "mxp/plainrtp needs the lab flag allow_plaintext_mp");
	if (!plain && (!ls.srtp || (has_remote && !rs.srtp)))
		return cmd_error(rc, MXP_MP_E_MEDIA_TYPE, "RTP/SAVP expected (SRTP is mandatory)");

	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.plain = plain;
	lp.strict = pkg.strict == 1;
	lp.af = ls.has_conn ? ls.family : has_remote && rs.has_conn ? rs.family : AF_INET;
	/* A Local address must be ours. */
	bool found = false;
	for (uint16_t i = 0; i < mxp.nb_ports && !found; i++) {
		const struct mxp_ip *a = port_addr(&mxp.ports[i], lp.af);
		if (a == NULL)
			continue;
		struct mxp_ip want = { .af = lp.af };
		if (lp.af == AF_INET)
			memcpy(&want.v4, ls.addr, 4);
		else
			memcpy(want.v6, ls.addr, 16);
		if (ls.conn_choose || !ls.has_conn || mxp_ip_equal(a, &want)) {
			lp.port_idx = i;
			found = true;
		}
	}
	if (!found)
		return cmd_error(rc, MXP_MP_E_BAD_VALUE, "Local c=: not an address of this MRFP");
	lp.local_port = ls.port_choose ? 0 : ls.port;
	if (has_remote && rs.has_conn && !rs.conn_choose && rs.has_media && !rs.port_choose) {
		lp.remote_known = true;
		lp.remote.af = rs.family;
		if (rs.family == AF_INET)
			memcpy(&lp.remote.v4, rs.addr, 4);
		else
			memcpy(lp.remote.v6, rs.addr, 16);
		lp.remote_port = rs.port;
	}
	if (has_remote) {
		lp.n_pt = rs.npts;
		memcpy(lp.pt, rs.pts, rs.npts);
	}
	lp.mode = MXP_SM_SENDRECV;
	if (st->mode != MXP_MP_MODE_UNSET && mode_from_mp(st->mode, &lp.mode) != 0)
		return cmd_error(rc, MXP_MP_E_MODE, "stream mode not supported (Loopback)");
	snprintf(lp.label, sizeof(lp.label), "%.*s", (int)(pkg.keygroup.len < 60 ? pkg.keygroup.len : 60),
		 pkg.keygroup.p ? pkg.keygroup.p : "");
	if (!plain) {
		unsigned int code = sdp_keys(&ls, &lp.out, true, t, sizeof(t));
		if (code == 0 && has_remote)
			code = sdp_keys(&rs, &lp.in, false, t, sizeof(t));
		if (code == 0 && (lp.out.nkeys == 0 || lp.in.nkeys == 0)) {
			snprintf(t, sizeof(t), "%s SDP has no a=crypto", lp.out.nkeys ? "Remote" : "Local");
			code = MXP_MP_E_MISSING_DESC;
		}
		if (code) {
			explicit_bzero(&lp, sizeof(lp));
			return cmd_error(rc, code, "%s", t);
		}
	}
	/* Context $: the first Add creates the conference. */
	if (as->ctx == 0) {
		struct mxp_conf_params cp = { .mode = MXP_CONF_SWITCH, .topn = 0 };
		if (pkg.mode == MXP_MP_CONF_FORWARD)
			cp.mode = MXP_CONF_FORWARD;
		else if (pkg.mode == MXP_MP_CONF_MIX)
			cp.mode = MXP_CONF_MIX;
		if (pkg.present & MXP_MP_PKG_TOPN)
			cp.topn = pkg.topn;
		char err[200] = "";
		uint32_t id;
		int r = mxp_conf_create(mxp.conf, &cp, &id, err, sizeof(err));
		if (r) {
			explicit_bzero(&lp, sizeof(lp));
			return cmd_error(rc, r == -ENOTSUP ? MXP_MP_E_NOT_IMPL : conf_code(r), "%s", err);
		}
		as->ctx = id;
		as->created = true;
	}
	struct mxp_leg_info li;
	char err[200] = "";
	int r = mxp_conf_leg_add(mxp.conf, as->ctx, &lp, &li, err, sizeof(err));
	explicit_bzero(&lp, sizeof(lp));
	if (r)
		return cmd_error(rc, r == -ENOSPC || r == -EADDRINUSE ? MXP_MP_E_RESOURCES : conf_code(r),
				 "%s", err);
	rc->term_kind = MXP_MP_TERM_NAME;
	rc->term = mxp_mp_str_c(arena_printf("leg/%u", li.id));
	rc->has_media = true;
	rc->nstreams = 1;
	rc->streams[0].id = 1;
	rc->streams[0].has_local = true;
	rc->streams[0].local = mxp_mp_str_c(leg_sdp(&li, true));
	mpleg_events(msg, c, li.id, as->ctx,
		     (pkg.present & MXP_MP_PKG_AFTHRESH) ? pkg.authfail_threshold : 0);
	(void)hint;
}

/* The legs a command names (T or *) in context ctx; returns how many, or -code. */
static int
cmd_legs(const struct mxp_mp_cmd *c, uint32_t ctx, uint32_t *legs, uint32_t max,
	 struct mxp_mp_cmd *rc)
{
	if (c->term_kind == MXP_MP_TERM_ALL) {
		int n = mxp_conf_legs(mxp.conf, ctx, legs, max);
		if (n <= 0) {
			cmd_error(rc, MXP_MP_E_NO_TERM_MATCH, "context %u has no terminations", ctx);
			return -1;
		}
		return n < (int)max ? n : (int)max;
	}
	uint32_t leg;
	struct mxp_leg_info li;
	if (!term_leg(c, &leg) || mxp_conf_leg_get(mxp.conf, leg, &li) != 0) {
		cmd_error(rc, MXP_MP_E_UNKNOWN_TERM, "Unknown TerminationID %.*s", (int)c->term.len,
			  c->term.p);
		return -1;
	}
	if (li.conf_id != ctx) {
		cmd_error(rc, MXP_MP_E_TERM_NOT_IN_CTX, "%.*s is in context %u, not %u", (int)c->term.len,
			  c->term.p, li.conf_id, ctx);
		return -1;
	}
	legs[0] = leg;
	return 1;
}

static bool
has_key_mki(const struct mxp_leg_key_info *k, unsigned int n, const struct mxp_conf_key *key)
{
	for (unsigned int i = 0; i < n; i++)
		if (k[i].mki_len == key->mki_len && !memcmp(k[i].mki, key->mki, key->mki_len))
			return true;
	return false;
}

static void
do_modify(const struct mxp_mp_msg *msg, const struct mxp_mp_cmd *c, const char *base,
	  uint32_t ctx, struct mxp_mp_cmd *rc)
{
	struct mxp_mp_pkg pkg;
	struct mxp_mp_error e;
	char t[MXP_MP_TEXT_MAX];
	static uint32_t legs[4096];
	int n = cmd_legs(c, ctx, legs, RTE_DIM(legs), rc);
	if (n < 0)
		return;
	if (mxp_mp_pkg_get(msg, c, base, &pkg, &e) != 0)
		return cmd_error(rc, e.code, "%s", e.text);
	struct mxp_conf_info ci;
	mxp_conf_get(mxp.conf, ctx, &ci);
	if (pkg.present & MXP_MP_PKG_MODE) {
		enum mxp_conf_mode want = pkg.mode == MXP_MP_CONF_FORWARD ? MXP_CONF_FORWARD
					  : pkg.mode == MXP_MP_CONF_MIX   ? MXP_CONF_MIX
									  : MXP_CONF_SWITCH;
		if (want != ci.mode)
			return cmd_error(rc, MXP_MP_E_NOT_IMPL,
					 "changing the mode of a running conference is not supported");
	}
	const struct mxp_mp_stream *st = stream1(c);
	struct mxp_leg_mod m;
	memset(&m, 0, sizeof(m));
	struct mxp_sdp ls, rs;
	struct mxp_conf_keys lk = { 0 }, rk = { 0 };
	if (st && st->mode != MXP_MP_MODE_UNSET) {
		if (mode_from_mp(st->mode, &m.mode) != 0)
			return cmd_error(rc, MXP_MP_E_MODE, "stream mode not supported (Loopback)");
		m.set_mode = true;
	}
	if (pkg.present & MXP_MP_PKG_STRICT) {
		m.set_strict = true;
		m.strict = pkg.strict == 1;
	}
	if (st && st->has_local) {
		if (mxp_sdp_parse(st->local.p, st->local.len, &ls, &e) != 0)
			return cmd_error(rc, e.code, "Local: %s", e.text);
		unsigned int code = sdp_keys(&ls, &lk, true, t, sizeof(t));
		if (code)
			return cmd_error(rc, code, "%s", t);
		if (lk.nkeys > 1)
			return cmd_error(rc, MXP_MP_E_BAD_VALUE, "Local: one new key per Modify");
	}
	if (st && st->has_remote) {
		if (mxp_sdp_parse(st->remote.p, st->remote.len, &rs, &e) != 0) {
			explicit_bzero(&lk, sizeof(lk));
			return cmd_error(rc, e.code, "Remote: %s", e.text);
		}
		unsigned int code = sdp_keys(&rs, &rk, false, t, sizeof(t));
		if (code == 0 && rk.nkeys > 1)
			code = MXP_MP_E_BAD_VALUE, snprintf(t, sizeof(t), "Remote: one new key per Modify");
		if (code) {
			explicit_bzero(&lk, sizeof(lk));
			return cmd_error(rc, code, "%s", t);
		}
		if (rs.has_conn && !rs.conn_choose && rs.has_media && !rs.port_choose) {
			m.set_remote = true;
			m.remote.af = rs.family;
			if (rs.family == AF_INET)
				memcpy(&m.remote.v4, rs.addr, 4);
			else
				memcpy(m.remote.v6, rs.addr, 16);
			m.remote_port = rs.port;
			m.remote_rtcp_port = (uint16_t)(rs.port + 1);
		}
	}
	if (pkg.present & MXP_MP_PKG_TOPN) {
		char err[200] = "";
		int r = mxp_conf_set_topn(mxp.conf, ctx, pkg.topn, err, sizeof(err));
		if (r) {
			explicit_bzero(&lk, sizeof(lk));
			explicit_bzero(&rk, sizeof(rk));
			return cmd_error(rc, conf_code(r), "%s", err);
		}
	}
	/* Apply to each leg; a key equal to one the leg has (same MKI) is no change. */
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info li;
		struct mxp_leg_mod lm = m;
		char err[200] = "";
		if (mxp_conf_leg_get(mxp.conf, legs[i], &li) != 0)
			continue;
		if (m.set_remote && li.remote_known && mxp_ip_equal(&li.remote, &m.remote) &&
		    li.remote_port == m.remote_port)
			lm.set_remote = false;
		if (rk.nkeys && !has_key_mki(li.in_keys, li.n_in_keys, &rk.key[0])) {
			if (li.n_in_keys == MXP_SRTP_MAX_KEYS) {
				/* make room: the oldest key leaves (its overlap is over) */
				struct mxp_leg_mod rm = { .remove_in = true };
				memcpy(rm.remove_mki, li.in_keys[0].mki, sizeof(rm.remove_mki));
				rm.remove_mki_len = li.in_keys[0].mki_len;
				mxp_conf_leg_modify(mxp.conf, legs[i], &rm, NULL, 0);
			}
			lm.add_in_key = true;
			lm.in_key = rk.key[0];
		}
		if (lk.nkeys && !has_key_mki(li.out_keys, li.n_out_keys, &lk.key[0])) {
			if (li.n_out_keys == MXP_SRTP_MAX_KEYS) {
				int old = li.out_active == 0 ? 1 : 0;
				struct mxp_leg_mod rm = { .remove_out = true };
				memcpy(rm.remove_mki, li.out_keys[old].mki, sizeof(rm.remove_mki));
				rm.remove_mki_len = li.out_keys[old].mki_len;
				mxp_conf_leg_modify(mxp.conf, legs[i], &rm, NULL, 0);
			}
			lm.add_out_key = true;
			lm.out_key = lk.key[0];
			lm.activate_out = true;
			memcpy(lm.activate_mki, lk.key[0].mki, sizeof(lm.activate_mki));
			lm.activate_mki_len = lk.key[0].mki_len;
		}
		int r = mxp_conf_leg_modify(mxp.conf, legs[i], &lm, err, sizeof(err));
		explicit_bzero(&lm, sizeof(lm));
		if (r) {
			explicit_bzero(&lk, sizeof(lk));
			explicit_bzero(&rk, sizeof(rk));
			return cmd_error(rc, conf_code(r), "leg/%u: %s", legs[i], err);
		}
		mpleg_events(msg, c, legs[i], ctx,
			     (pkg.present & MXP_MP_PKG_AFTHRESH) ? pkg.authfail_threshold : 0);
	}
	explicit_bzero(&lk, sizeof(lk));
	explicit_bzero(&rk, sizeof(rk));
}

static void
do_subtract(const struct mxp_mp_cmd *c, uint32_t ctx, struct mxp_mp_action *ra)
{
	static uint32_t legs[4096];
	struct mxp_mp_cmd *rc = &mp.rep.cmds[mp.rep.ncmds - 1];
	int n = cmd_legs(c, ctx, legs, RTE_DIM(legs), rc);
	if (n < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info last;
		char err[200] = "";
		if (i > 0) {
			rc = mxp_mp_msg_add_cmd(&mp.rep, MXP_MP_CMD_SUBTRACT, NULL);
			if (rc == NULL)
				break;
		}
		int r = mxp_conf_leg_remove(mxp.conf, legs[i], &last, err, sizeof(err));
		rc->term_kind = MXP_MP_TERM_NAME;
		rc->term = mxp_mp_str_c(arena_printf("leg/%u", legs[i]));
		if (r) {
			cmd_error(rc, conf_code(r), "%s", err);
			continue;
		}
		mpleg_forget(legs[i]);
		rc->has_media = true;
		rc->nstreams = 1;
		rc->streams[0].id = 1;
		add_stats(rc, &last);
	}
	/* H.248: a context without terminations ceases to exist. */
	if (mxp_conf_legs(mxp.conf, ctx, NULL, 0) == 0)
		mxp_conf_destroy(mxp.conf, ctx, NULL, 0);
	(void)ra;
}

static void
do_audit(const struct mxp_mp_cmd *c, uint32_t ctx, struct mxp_mp_cmd *rc)
{
	static uint32_t legs[64];
	if (c->term_kind == MXP_MP_TERM_ROOT) {
		rc->term_kind = MXP_MP_TERM_ROOT;
		return;
	}
	int n = cmd_legs(c, ctx, legs, RTE_DIM(legs), rc);
	if (n < 0)
		return;
	uint32_t want = c->has_audit && c->audit ? c->audit : MXP_MP_AUDIT_MEDIA;
	for (int i = 0; i < n; i++) {
		struct mxp_leg_info li;
		if (i > 0 && (rc = mxp_mp_msg_add_cmd(&mp.rep, MXP_MP_CMD_AUDIT_VALUE, NULL)) == NULL)
			break;
		if (mxp_conf_leg_get(mxp.conf, legs[i], &li) != 0)
			continue;
		rc->term_kind = MXP_MP_TERM_NAME;
		rc->term = mxp_mp_str_c(arena_printf("leg/%u", legs[i]));
		rc->has_media = true;
		rc->nstreams = 1;
		struct mxp_mp_stream *st = &rc->streams[0];
		st->id = 1;
		if (want & MXP_MP_AUDIT_MEDIA) {
			st->mode = mode_to_mp(li.mode);
			st->has_local = st->has_remote = true;
			st->local = mxp_mp_str_c(leg_sdp(&li, true));
			st->remote = mxp_mp_str_c(leg_sdp(&li, false));
		}
		if (want & MXP_MP_AUDIT_STATS)
			add_stats(rc, &li);
	}
}

/* ---- transactions --------------------------------------------------------------------------- */

static void
apply_transaction(const struct mxp_mp_msg *msg, const struct mxp_mp_trans *tr, const char *base,
		  struct mxp_port *hint)
{
	mp.arena_used = 0;
	mxp_mp_msg_init(&mp.rep, mp.mid);
	mxp_mp_msg_add_trans(&mp.rep, MXP_MP_TRANS_REPLY, tr->id);
	for (uint16_t a = 0; a < tr->nactions; a++) {
		const struct mxp_mp_action *act = &msg->actions[tr->first_action + a];
		struct action_state as = { 0 };
		struct mxp_mp_action *ra = mxp_mp_msg_add_action(&mp.rep, act->ctx);
		if (ra == NULL)
			break;
		if (act->ctx == MXP_MP_CTX_ALL) {
			ra->has_error = true;
			ra->err_code = MXP_MP_E_NOT_IMPL;
			ra->err_text = mxp_mp_str_c("Context=* is not supported");
			count_error(MXP_MP_E_NOT_IMPL);
			continue;
		}
		if (act->ctx != MXP_MP_CTX_CHOOSE && act->ctx != MXP_MP_CTX_NULL) {
			struct mxp_conf_info ci;
			if (mxp_conf_get(mxp.conf, act->ctx, &ci) != 0) {
				ra->has_error = true;
				ra->err_code = MXP_MP_E_UNKNOWN_CTX;
				ra->err_text = mxp_mp_str_c(arena_printf("context %u unknown", act->ctx));
				count_error(MXP_MP_E_UNKNOWN_CTX);
				continue;
			}
			as.ctx = act->ctx;
		}
		for (uint16_t k = 0; k < act->ncmds; k++) {
			const struct mxp_mp_cmd *c = &msg->cmds[act->first_cmd + k];
			struct mxp_mp_cmd *rc = mxp_mp_msg_add_cmd(&mp.rep, c->type,
								   c->term_kind == MXP_MP_TERM_ALL ? "*"
								   : c->term_kind == MXP_MP_TERM_ROOT ? "ROOT"
													: NULL);
			if (rc == NULL)
				break;
			if (c->term_kind == MXP_MP_TERM_NAME) {
				rc->term_kind = MXP_MP_TERM_NAME;
				rc->term = c->term;
			}
			bool need_ctx = c->type != MXP_MP_CMD_SERVICE_CHANGE &&
					c->type != MXP_MP_CMD_ADD &&
					!(c->type == MXP_MP_CMD_AUDIT_VALUE && c->term_kind == MXP_MP_TERM_ROOT);
			if (need_ctx && as.ctx == 0) {
				cmd_error(rc, MXP_MP_E_UNKNOWN_CTX, "%s needs an existing context",
					  mxp_mp_cmd_name(c->type));
			} else if (c->has_signals && c->signals.len > 0) {
				cmd_error(rc, MXP_MP_E_NOT_IMPL, "the MRFP plays no signals");
			} else {
				switch (c->type) {
				case MXP_MP_CMD_ADD:
					if (act->ctx == MXP_MP_CTX_NULL)
						cmd_error(rc, MXP_MP_E_UNKNOWN_ACTION, "Add in the null context");
					else
						do_add(msg, c, base, &as, rc, hint);
					break;
				case MXP_MP_CMD_MODIFY:
					do_modify(msg, c, base, as.ctx, rc);
					break;
				case MXP_MP_CMD_SUBTRACT:
					do_subtract(c, as.ctx, ra);
					break;
				case MXP_MP_CMD_AUDIT_VALUE:
					do_audit(c, as.ctx, rc);
					break;
				case MXP_MP_CMD_SERVICE_CHANGE:
					/* an MRFC announcing itself: acknowledged */
					rc->has_services = true;
					rc->sc_version = 3;
					break;
				default:
					cmd_error(rc, MXP_MP_E_NOT_IMPL, "%s is not supported by the MRFP",
						  mxp_mp_cmd_name(c->type));
				}
			}
			if (rc->has_error && !c->optional)
				break; /* H.248.1 8.2.2: the rest of the action is not executed */
		}
		/* A context created by this action that ended up empty goes away again. */
		if (as.created && mxp_conf_legs(mxp.conf, as.ctx, NULL, 0) == 0) {
			mxp_conf_destroy(mxp.conf, as.ctx, NULL, 0);
			as.ctx = 0;
		}
		ra->ctx = as.ctx ? as.ctx : act->ctx == MXP_MP_CTX_NULL ? MXP_MP_CTX_NULL : MXP_MP_CTX_CHOOSE;
		if (ra->ctx == MXP_MP_CTX_CHOOSE)
			ra->ctx = MXP_MP_CTX_NULL;
	}
}

/* The daemon's own requests: a reply or a Pending for one of them. */
static void
answer_to_ours(const struct mxp_mp_trans *tr)
{
	for (int i = 0; i < MP_OUT_MAX; i++) {
		struct mp_out *o = &mp.out[i];
		if (!o->used || o->tid != tr->id)
			continue;
		if (tr->kind == MXP_MP_TRANS_PENDING)
			mxp_mp_retx_pending(&o->retx, mxp_now_ms());
		else
			o->used = false;
		return;
	}
}

static void
reply_parse_error(const struct mxp_mp_error *e, struct mxp_port *p, const struct mxp_ip *peer,
		  uint16_t port, bool plain)
{
	mp.arena_used = 0;
	mxp_mp_msg_init(&mp.rep, mp.mid);
	if (e->have_tid) {
		struct mxp_mp_trans *t = mxp_mp_msg_add_trans(&mp.rep, MXP_MP_TRANS_REPLY, e->tid);
		t->has_error = true;
		t->err_code = e->code;
		t->err_text = mxp_mp_str_c(arena_printf("%s", e->text));
	} else {
		mp.rep.has_error = true;
		mp.rep.err_code = e->code;
		mp.rep.err_text = mxp_mp_str_c(arena_printf("%s", e->text));
	}
	count_error(e->code);
	int n = mxp_mp_encode(&mp.rep, MXP_MP_STYLE_LONG, mp.reply, sizeof(mp.reply));
	if (n > 0 && send_mp(p, peer, port, plain, mp.reply, (size_t)n) == 0)
		mp.c.replies++;
}

static void
handle_text(struct mxp_port *p, const struct mxp_ip *peer, uint16_t port, bool plain,
	    const char *text, size_t len)
{
	struct mxp_mp_error e;
	mp.c.messages++;
	if (mxp_mp_parse(text, len, &mp.msg, &e) != 0) {
		mp.c.parse_errors++;
		reply_parse_error(&e, p, peer, port, plain);
		return;
	}
	if (mp.msg.has_error)
		return; /* a message-level error from the MRFC: nothing to answer */
	struct mxp_mp_peer mpeer = { .family = peer->af, .port = port };
	memcpy(mpeer.addr, peer->af == AF_INET ? (const void *)&peer->v4 : peer->v6,
	       peer->af == AF_INET ? 4 : 16);
	for (uint16_t i = 0; i < mp.msg.ntrans; i++) {
		const struct mxp_mp_trans *tr = &mp.msg.trans[i];
		if (tr->kind == MXP_MP_TRANS_ACK) {
			mxp_mp_rcache_ack(mp.rc, &mpeer, tr->id, tr->id_last);
			continue;
		}
		if (tr->kind != MXP_MP_TRANS_REQUEST) {
			answer_to_ours(tr);
			continue;
		}
		mp.c.requests++;
		const char *cached;
		size_t clen;
		uint64_t now = mxp_now_ms();
		switch (mxp_mp_rcache_begin(mp.rc, &mpeer, tr->id, now, &cached, &clen)) {
		case MXP_MP_RC_REPLIED:
			/* A retransmission: the same bytes, never applied twice. */
			memcpy(mp.reply, cached, clen);
			if (send_mp(p, peer, port, plain, mp.reply, clen) == 0)
				mp.c.replies_cached++;
			continue;
		case MXP_MP_RC_IN_PROGRESS:
			break; /* answered below with Pending */
		case MXP_MP_RC_NEW: {
			uint32_t ncmds = 0;
			for (uint16_t a = 0; a < tr->nactions; a++)
				ncmds += mp.msg.actions[tr->first_action + a].ncmds;
			if (ncmds >= MP_PENDING_CMDS) {
				/* Large transactions: tell the MRFC we are on it before the work. */
				mxp_mp_msg_init(&mp.rep, mp.mid);
				mxp_mp_msg_add_trans(&mp.rep, MXP_MP_TRANS_PENDING, tr->id);
				int pn = mxp_mp_encode(&mp.rep, MXP_MP_STYLE_LONG, mp.reply, sizeof(mp.reply));
				if (pn > 0 && send_mp(p, peer, port, plain, mp.reply, (size_t)pn) == 0)
					mp.c.pendings++;
			}
			apply_transaction(&mp.msg, tr, text, p);
			int n = encode_reply(tr->id);
			if (n < 0)
				continue;
			mxp_mp_rcache_finish(mp.rc, &mpeer, tr->id, mp.reply, (size_t)n, mxp_now_ms());
			if (send_mp(p, peer, port, plain, mp.reply, (size_t)n) == 0)
				mp.c.replies++;
			explicit_bzero(mp.reply, (size_t)n);
			continue;
		}
		}
		mxp_mp_msg_init(&mp.rep, mp.mid);
		mxp_mp_msg_add_trans(&mp.rep, MXP_MP_TRANS_PENDING, tr->id);
		int n = mxp_mp_encode(&mp.rep, MXP_MP_STYLE_LONG, mp.reply, sizeof(mp.reply));
		if (n > 0 && send_mp(p, peer, port, plain, mp.reply, (size_t)n) == 0)
			mp.c.pendings++;
	}
	/* The request text may hold keys: wipe it. */
	explicit_bzero((void *)(uintptr_t)text, len);
}

/* ---- input ---------------------------------------------------------------------------------- */

/* Process a whole IP packet (reassembled if it was fragmented) in mp.buf. */
static void
input_ip(struct mxp_port *p, size_t len)
{
	struct mxp_esp_meta em;
	size_t eoff, elen;
	uint8_t *ip = mp.buf;
	bool v4 = (ip[0] >> 4) == 4;
	uint8_t proto = v4 ? ip[9] : ip[6];
	size_t hl = v4 ? (size_t)(ip[0] & 0xf) * 4 : 40;

	/* Mp in the clear, UDP 2944: the lab flag and the policy decide. */
	if (proto == 17 && len >= hl + 8 && (ip[hl + 2] << 8 | ip[hl + 3]) == MXP_MP_PORT) {
		struct mxp_esp_addr src;
		memset(&src, 0, sizeof(src));
		src.family = v4 ? AF_INET : AF_INET6;
		memcpy(src.a, ip + (v4 ? 12 : 8), v4 ? 4 : 16);
		if (mxp_esp_ep_plain_input(mp.ep, &src) != MXP_ESP_DROP_NONE)
			return;
		mp.c.plaintext_accepted++;
		struct mxp_ip peer = from_esp_addr(&src);
		uint16_t sport = (uint16_t)(ip[hl] << 8 | ip[hl + 1]);
		size_t ul = (size_t)(ip[hl + 4] << 8 | ip[hl + 5]);
		if (ul < 8 || hl + ul > len)
			return;
		handle_text(p, &peer, sport, true, (const char *)ip + hl + 8, ul - 8);
		return;
	}
	enum mxp_esp_drop d = mxp_esp_frame_parse(ip, len, &em, &eoff, &elen);
	if (d != MXP_ESP_DROP_NONE) {
		mxp_esp_ep_count(mp.ep, d);
		return;
	}
	struct mxp_esp_rx rx;
	if (mxp_esp_ep_input(mp.ep, &em, ip + eoff, elen, &rx) != MXP_ESP_DROP_NONE)
		return; /* counted by the endpoint */
	uint16_t sp, dp;
	size_t po, pl;
	const uint8_t *inner = ip + eoff + rx.off;
	if (rx.next_proto != 17 || mxp_esp_udp_parse(inner, rx.len, &sp, &dp, &po, &pl) != 0 ||
	    dp != MXP_MP_PORT) {
		mp.c.not_udp_2944++;
		return;
	}
	struct mxp_ip peer = from_esp_addr(&em.src);
	handle_text(p, &peer, sp, false, (const char *)inner + po, pl);
}

void
mxp_mp_plane_input(struct mxp_port *p, struct rte_mbuf *m)
{
	if (!mp.enabled) {
		mxp.cst.drops[MXP_DROP_CTL_UNHANDLED]++;
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	bool v4 = rte_pktmbuf_data_len(m) > 14 && f[12] == 0x08 && f[13] == 0x00;
	if (rte_pktmbuf_data_len(m) < 14 + 20) {
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t *ip = f + 14;
	bool frag = v4 ? (((ip[6] << 8) | ip[7]) & 0x3fff) != 0 : ip[6] == 44;
	if (frag) {
		/* Reassemble (rte_ip_frag): large Mp transactions arrive in fragments. */
		m->l2_len = 14;
		m->l3_len = v4 ? (ip[0] & 0xf) * 4 : 40;
		uint64_t tsc = rte_rdtsc();
		struct rte_mbuf *r;
		if (v4) {
			r = rte_ipv4_frag_reassemble_packet(mp.frag, &mp.dr, m, tsc,
							    (struct rte_ipv4_hdr *)ip);
		} else {
			struct rte_ipv6_hdr *h6 = (struct rte_ipv6_hdr *)ip;
			struct rte_ipv6_fragment_ext *fh = rte_ipv6_frag_get_ipv6_fragment_header(h6);
			r = fh ? rte_ipv6_frag_reassemble_packet(mp.frag, &mp.dr, m, tsc, h6, fh) : NULL;
			if (fh == NULL)
				rte_pktmbuf_free(m);
		}
		rte_ip_frag_free_death_row(&mp.dr, 0);
		if (r == NULL)
			return; /* more fragments to come (or refused, freed by the library) */
		m = r;
		mp.c.reassembled++;
	}
	size_t len = rte_pktmbuf_pkt_len(m) - 14;
	if (len > sizeof(mp.buf)) {
		rte_pktmbuf_free(m);
		return;
	}
	const void *src = rte_pktmbuf_read(m, 14, (uint32_t)len, mp.buf);
	if (src != mp.buf && src != NULL)
		memcpy(mp.buf, src, len);
	rte_pktmbuf_free(m);
	if (src == NULL)
		return;
	/* trim Ethernet padding */
	size_t iplen = v4 ? (size_t)(mp.buf[2] << 8 | mp.buf[3]) : 40 + (size_t)(mp.buf[4] << 8 | mp.buf[5]);
	if (iplen > len)
		return;
	input_ip(p, iplen);
	explicit_bzero(mp.buf, iplen);
}

/* ---- the daemon's own requests --------------------------------------------------------------- */

static void
send_request(void)
{
	struct mp_out *o = NULL;
	for (int i = 0; i < MP_OUT_MAX; i++)
		if (!mp.out[i].used) {
			o = &mp.out[i];
			break;
		}
	if (o == NULL) {
		mp.c.gave_up++; /* too many unanswered: drop the oldest by reusing slot 0 */
		o = &mp.out[0];
	}
	int n = mxp_mp_encode(&mp.rep, MXP_MP_STYLE_LONG, o->text, sizeof(o->text));
	if (n < 0)
		return;
	o->used = true;
	o->tid = mp.rep.trans[0].id;
	o->peer = mxp.cfg.mp.mrfc;
	o->peer_port = mxp.cfg.mp.mrfc_port;
	o->len = (size_t)n;
	struct mxp_mp_retx_params rp = { 0 };
	mxp_mp_retx_params_default(&rp);
	mxp_mp_retx_start(&o->retx, &rp, mxp_now_ms());
	mp.c.requests_sent++;
	send_mp(NULL, &o->peer, o->peer_port, mxp.cfg.mp.allow_plaintext && mxp.cfg.mp.sa_file[0] == 0,
		o->text, o->len);
}

static void
service_change(void)
{
	mp.arena_used = 0;
	mxp_mp_msg_init(&mp.rep, mp.mid);
	mxp_mp_msg_add_trans(&mp.rep, MXP_MP_TRANS_REQUEST, mp.next_tid++);
	mxp_mp_msg_add_action(&mp.rep, MXP_MP_CTX_NULL);
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&mp.rep, MXP_MP_CMD_SERVICE_CHANGE, "ROOT");
	c->has_services = true;
	c->sc_method = mxp_mp_str_c("Restart");
	c->sc_reason = mxp_mp_str_c("\"901 Cold Boot\""); /* raw: the quotes are ours */
	c->sc_profile = mxp_mp_str_c("mxp/1");
	c->sc_version = 3;
	send_request();
}

static void
notify(const struct mp_leg *l, const char *event, const char *params)
{
	mp.arena_used = 0;
	mxp_mp_msg_init(&mp.rep, mp.mid);
	mxp_mp_msg_add_trans(&mp.rep, MXP_MP_TRANS_REQUEST, mp.next_tid++);
	mxp_mp_msg_add_action(&mp.rep, l->ctx);
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&mp.rep, MXP_MP_CMD_NOTIFY, NULL);
	c->term_kind = MXP_MP_TERM_NAME;
	c->term = mxp_mp_str_c(arena_printf("leg/%u", l->leg));
	c->has_events = true;
	c->events_rid = l->rid;
	mxp_mp_msg_add_prop(&mp.rep, &c->events, event, 0, params);
	mp.c.notifies++;
	send_request();
}

void
mxp_mp_plane_timer(uint64_t now)
{
	if (!mp.enabled)
		return;
	for (int i = 0; i < MP_OUT_MAX; i++) {
		struct mp_out *o = &mp.out[i];
		if (!o->used)
			continue;
		int r = mxp_mp_retx_poll(&o->retx, now);
		if (r < 0) {
			o->used = false;
			mp.c.gave_up++;
		} else if (r > 0) {
			mp.c.retransmissions++;
			send_mp(NULL, &o->peer, o->peer_port,
				mxp.cfg.mp.allow_plaintext && mxp.cfg.mp.sa_file[0] == 0, o->text, o->len);
		}
	}
	if (now < mp.next_poll || !mxp.cfg.mp.has_mrfc)
		return;
	mp.next_poll = now + MP_POLL_MS;
	/* Events the MRFC asked for: authentication failures over the threshold, SSRC change. */
	for (uint32_t i = 0; i < mp.nlegs; i++) {
		struct mp_leg *l = &mp.legs[i];
		struct mxp_leg_info li;
		if (!(l->ev_authfail || l->ev_ssrc) || mxp_conf_leg_get(mxp.conf, l->leg, &li) != 0)
			continue;
		if (l->ev_authfail && li.st.auth_failures >= l->af_notified + l->afthresh) {
			l->af_notified = li.st.auth_failures;
			char prm[40];
			snprintf(prm, sizeof(prm), "count=%" PRIu64, li.st.auth_failures);
			notify(l, MXP_MP_EV_AUTHFAIL, prm);
		}
		if (li.st.ssrc_known) {
			if (l->ev_ssrc && l->ssrc_known && l->ssrc != li.st.ssrc) {
				char prm[48];
				snprintf(prm, sizeof(prm), "old=%u,new=%u", l->ssrc, li.st.ssrc);
				notify(l, MXP_MP_EV_SSRC, prm);
			}
			l->ssrc_known = true;
			l->ssrc = li.st.ssrc;
		}
	}
}

/* ---- set-up ------------------------------------------------------------------------------------ */

int
mxp_mp_plane_init(char *err, size_t errlen)
{
	const struct mxp_mp_cfg *cfg = &mxp.cfg.mp;
	if (!cfg->enabled)
		return 0;
	int r = mxp_esp_crypto_open(&mp.crypto, "ipsec-mb");
	if (r)
		r = mxp_esp_crypto_open(&mp.crypto, "openssl");
	if (r) {
		snprintf(err, errlen, "[mp]: no ESP crypto backend: %s", strerror(-r));
		return r;
	}
	size_t sz = mxp_esp_ep_size(256, 64);
	mp.ep = rte_zmalloc("mxp_esp_ep", sz, 64);
	mp.rc = rte_zmalloc("mxp_mp_rcache", mxp_mp_rcache_size(MP_RCACHE_N, MP_REPLY_MAX), 64);
	mp.frag = rte_ip_frag_table_create(64, 8, 512, rte_get_tsc_hz() * 2, SOCKET_ID_ANY);
	if (mp.ep == NULL || mp.rc == NULL || mp.frag == NULL) {
		snprintf(err, errlen, "[mp]: out of memory");
		return -ENOMEM;
	}
	mxp_esp_ep_init(mp.ep, 256, 64, &mp.crypto, cfg->allow_plaintext);
	mxp_mp_rcache_init(mp.rc, MP_RCACHE_N, MP_REPLY_MAX, 30000);
	if (cfg->sa_file[0]) {
		char e[512];
		r = mxp_esp_keyfile_load(mp.ep, cfg->sa_file, 0, e, sizeof(e));
		if (r < 0) {
			snprintf(err, errlen, "[mp] sa_file: %s",
				 r == -EPERM ? "the key file must be mode 0600 (owner only)"
				 : e[0]     ? e
					    : strerror(-r));
			return r;
		}
		MXP_LOG(NOTICE, "Mp: %d ESP security association(s) from %s", r, cfg->sa_file);
	}
	if (cfg->allow_plaintext)
		MXP_LOG(WARNING, "Mp: allow_plaintext_mp is ON: conference keys may cross the network "
				 "in the clear. Lab use only.");
	if (cfg->allow_plaintext && cfg->has_mrfc) {
		/* the configured MRFC may speak in the clear (lab): it must be a policy peer */
		struct mxp_esp_peer pe = { 0 };
		to_esp_addr(&cfg->mrfc, &pe.addr);
		if (mxp_esp_ep_sa_count(mp.ep) == 0)
			mxp_esp_ep_peer_add(mp.ep, &pe);
	}
	/* Our message identifier: the first port's address. */
	const struct mxp_ip *a = mxp.nb_ports ? (port_addr(&mxp.ports[0], AF_INET)
						 ?: port_addr(&mxp.ports[0], AF_INET6))
					      : NULL;
	char as[64] = "0.0.0.0";
	if (a)
		mxp_ip_format(a, as, sizeof(as));
	snprintf(mp.mid, sizeof(mp.mid), "[%s]:%u", as, MXP_MP_PORT);
	mp.next_tid = 9000;
	mp.enabled = true;
	if (cfg->has_mrfc)
		service_change();
	return 0;
}

void
mxp_mp_plane_fini(void)
{
	if (mp.ep) {
		mxp_esp_ep_fini(mp.ep);
		rte_free(mp.ep);
	}
	mxp_esp_crypto_close(&mp.crypto);
	rte_free(mp.rc);
	if (mp.frag) {
		rte_ip_frag_table_destroy(mp.frag);
		rte_ip_frag_free_death_row(&mp.dr, 0);
	}
	free(mp.legs);
	explicit_bzero(mp.buf, sizeof(mp.buf));
	explicit_bzero(mp.reply, sizeof(mp.reply));
	explicit_bzero(mp.arena, sizeof(mp.arena));
	memset(&mp, 0, sizeof(mp));
}

/* ---- CLI and telemetry ----------------------------------------------------------------------- */

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

int
mxp_cli_show_mp(struct cli_req *r, int i)
{
	if (r->argc != i)
		return MXP_CTL_USAGE;
	const uint64_t *v = (const uint64_t *)&mp.c;
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_bool(&j, "enabled", mp.enabled);
		mxp_json_bool(&j, "allow_plaintext_mp", mxp.cfg.mp.allow_plaintext);
		for (size_t k = 0; k < RTE_DIM(counter_names); k++)
			mxp_json_u64(&j, counter_names[k], v[k]);
		mxp_json_obj_open(&j, "errors_by_code");
		for (size_t k = 0; k < RTE_DIM(mp.err_by_code); k++)
			if (mp.err_by_code[k]) {
				char code[8];
				snprintf(code, sizeof(code), "%zu", k);
				mxp_json_u64(&j, code, mp.err_by_code[k]);
			}
		mxp_json_obj_close(&j);
		mxp_json_u64(&j, "reply_cache", mp.rc ? mxp_mp_rcache_count(mp.rc) : 0);
		mxp_json_u64(&j, "legs_with_events", mp.nlegs);
		mxp_json_obj_close(&j);
		return MXP_CTL_OK;
	}
	if (!mp.enabled) {
		mxp_buf_printf(r->out, "the Mp control plane is off (no [mp] section)\n");
		return MXP_CTL_OK;
	}
	mxp_buf_printf(r->out, "Mp over %s, message id %s%s\n\n",
		       mxp.cfg.mp.sa_file[0] ? "ESP" : "nothing (plaintext lab mode)", mp.mid,
		       mxp.cfg.mp.allow_plaintext ? ", PLAINTEXT ALLOWED (lab)" : "");
	static const char *const hdr[] = { "counter", ">value", "meaning" };
	struct mxp_table t;
	mxp_table_init(&t, 3, hdr);
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
			mxp_buf_printf(r->out, "  %zu %-45s %" PRIu64 "\n", k, mxp_mp_errcode_name((unsigned)k),
				       mp.err_by_code[k]);
		}
	mxp_buf_printf(r->out, "\nreply cache: %u entries; legs with requested events: %u\n",
		       mp.rc ? mxp_mp_rcache_count(mp.rc) : 0, mp.nlegs);
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
