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
#include <netinet/in.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

/* rte_ip_frag_table_del_expired_entries() is experimental in DPDK 22.11. */
#define ALLOW_EXPERIMENTAL_API 1

#include <rte_cycles.h>
#include <rte_ip_frag.h>
#include <rte_malloc.h>

#include "mp_priv.h"
#include "mxp_esp.h"
#include "mxp_mp.h"
#include "mxp_mp_sdp.h"
#include "mxp_mp_trans.h"
#include "mxp_mrfp.h"
#include "mxp_sctp.h"
#include "mxp_srtp_sdes.h"
#include "neigh.h"

bool
mxp_mp_plane_enabled(const struct mxp_mp_plane *mp)
{
	return mp != NULL && mp->enabled;
}

/* ---- small helpers ---------------------------------------------------------------------- */

/* The port whose address family and routes reach peer (the request's port first). */
static struct mxp_port *
port_for(struct mxp_mp_plane *mp, const struct mxp_ip *peer, struct mxp_port *hint)
{
	struct mxp_ip nh;
	if (hint && mxp_port_next_hop(hint, peer, &nh))
		return hint;
	for (uint16_t i = 0; i < mp->ports->nb_ports; i++)
		if (mxp_port_next_hop(&mp->ports->port[i], peer, &nh))
			return &mp->ports->port[i];
	return NULL;
}

/* ---- sending ---------------------------------------------------------------------------- */

/* The len bytes at buf in a chain of mbufs from mp->pool (an Mp packet may reach 64 kB). */
static struct rte_mbuf *
mbuf_from(struct mxp_mp_plane *mp, const uint8_t *buf, size_t len)
{
	struct rte_mbuf *head = NULL;
	while (len > 0) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp->pool);
		if (m == NULL)
			goto fail;
		uint16_t n = (uint16_t)RTE_MIN(len, (size_t)rte_pktmbuf_tailroom(m));
		memcpy(rte_pktmbuf_append(m, n), buf, n);
		if (head == NULL) {
			head = m;
		} else if (rte_pktmbuf_chain(head, m) != 0) {
			rte_pktmbuf_free(m);
			goto fail;
		}
		buf += n;
		len -= n;
	}
	return head;
fail:
	rte_pktmbuf_free(head);
	return NULL;
}

/* Put the Ethernet header in front of the IP packet in m (the neighbour table writes the
 * destination MAC) and hand it to the neighbour table. */
static int
send_frame(struct mxp_mp_plane *mp, struct mxp_port *p, const struct mxp_ip *dst,
	   struct rte_mbuf *m)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(*eh));
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	memset(&eh->dst_addr, 0, sizeof(eh->dst_addr));
	rte_ether_addr_copy(&p->mac, &eh->src_addr);
	eh->ether_type = rte_cpu_to_be_16(dst->af == AF_INET ? RTE_ETHER_TYPE_IPV4
							     : RTE_ETHER_TYPE_IPV6);
	m->port = p->port_id;
	mxp_neigh_send(mp->ports, p, dst, m);
	return 0;
}

/*
 * Send one IP packet (in pkt, len bytes) on port p, fragmenting it (rte_ip_frag) when it is
 * bigger than the port's MTU. Fragments carry a fresh identification; IPv4 ones lose DF.
 */
static int
send_ip(struct mxp_mp_plane *mp, struct mxp_port *p, const struct mxp_ip *dst, uint8_t *pkt,
	size_t len)
{
	uint16_t mtu = RTE_MIN(p->cfg.mtu, MP_MTU_PAYLOAD);
	struct rte_mbuf *in, *frags[MP_BUF / (1280 - 48) + 1];
	int32_t n;

	uint32_t ident = ++mp->ident;
	if (len > mtu && dst->af == AF_INET) {
		mxp_be_wr16(pkt + 4, (uint16_t)ident);
		mxp_be_wr16(pkt + 6, 0); /* neither DF nor MF, offset 0 */
	}
	in = mbuf_from(mp, pkt, len);
	if (in == NULL) {
		mp->c.send_failed++;
		return -ENOMEM;
	}
	if (len <= mtu) {
		if (send_frame(mp, p, dst, in) != 0) {
			mp->c.send_failed++;
			return -ENOSPC;
		}
		return 0;
	}
	if (dst->af == AF_INET)
		n = rte_ipv4_fragment_packet(in, frags, RTE_DIM(frags), mtu, mp->pool, mp->pool);
	else
		n = rte_ipv6_fragment_packet(in, frags, RTE_DIM(frags), mtu, mp->pool, mp->pool);
	rte_pktmbuf_free(in); /* the fragments hold references to its data */
	if (n < 0) {
		mp->c.send_failed++;
		return n;
	}
	for (int32_t i = 0; i < n; i++) {
		struct rte_mbuf *f = frags[i];
		if (dst->af == AF_INET) {
			struct rte_ipv4_hdr *h = rte_pktmbuf_mtod(f, struct rte_ipv4_hdr *);
			h->hdr_checksum = rte_ipv4_cksum(h);
		} else {
			/* rte_ipv6_fragment_packet() leaves the identification 0 */
			struct rte_ipv6_fragment_ext *fh = rte_pktmbuf_mtod_offset(
				f, struct rte_ipv6_fragment_ext *, sizeof(struct rte_ipv6_hdr));
			fh->id = rte_cpu_to_be_32(ident);
		}
		mp->c.fragments_sent++;
		if (send_frame(mp, p, dst, f) != 0) {
			mp->c.send_failed++;
			rte_pktmbuf_free_bulk(frags + i + 1, (unsigned int)(n - i - 1));
			return -ENOSPC;
		}
	}
	return 0;
}

/* Send an inner packet (UDP, or SCTP for mp_sctp.c) to peer inside ESP. */
int
mp_send_esp(struct mxp_mp_plane *mp, struct mxp_port *hint, const struct mxp_ip *peer,
	    uint8_t next_proto, const uint8_t *inner, size_t len)
{
	struct mxp_port *p = port_for(mp, peer, hint);
	if (p == NULL) {
		mp->c.send_failed++;
		return -EHOSTUNREACH;
	}
	uint8_t *esp = mp->ebuf;
	size_t elen;
	struct mxp_esp_meta em;
	enum mxp_esp_drop dr = mxp_esp_ep_output(mp->ep, peer, inner, len, next_proto, esp,
						 sizeof(mp->ebuf), &elen, &em);
	if (dr != MXP_ESP_DROP_NONE) {
		mp->c.send_failed++;
		return -EPERM;
	}
	size_t hl = mxp_esp_frame_hdr_len(&em);
	memcpy(mp->obuf + hl, esp, elen);
	int tl = mxp_esp_frame_build(mp->obuf, sizeof(mp->obuf), &em, elen);
	if (tl < 0) {
		mp->c.send_failed++;
		return tl;
	}
	return send_ip(mp, p, peer, mp->obuf, (size_t)tl);
}

/* Send Mp text to peer:port, inside ESP unless plaintext (over SCTP to an SCTP MRFC). */
static int
send_mp(struct mxp_mp_plane *mp, struct mxp_port *hint, const struct mxp_ip *peer,
	uint16_t peer_port, bool plaintext, const char *text, size_t len)
{
	if (!plaintext && mp_sctp_owns(mp, peer))
		return mp_sctp_send(mp, text, len);
	struct mxp_port *p = port_for(mp, peer, hint);
	const struct mxp_ip *src = p ? mxp_port_addr(p, peer->af) : NULL;
	if (src == NULL) {
		mp->c.send_failed++;
		return -EHOSTUNREACH;
	}
	uint8_t *udp = mp->ubuf;
	int ul = mxp_esp_udp_build(udp, sizeof(mp->ubuf), src, peer, MXP_MP_PORT, peer_port,
				   (const uint8_t *)text, len);
	if (ul < 0) {
		mp->c.send_failed++;
		return ul;
	}
	if (!plaintext)
		return mp_send_esp(mp, p, peer, 17, udp, (size_t)ul);
	/* an IP header in front of the UDP datagram */
	size_t hl = mxp_ip_hdr_write(mp->obuf, src, peer, IPPROTO_UDP, 64, 0, 0, (uint16_t)ul);
	memcpy(mp->obuf + hl, udp, (size_t)ul);
	return send_ip(mp, p, peer, mp->obuf, hl + (size_t)ul);
}

/* ---- replies ------------------------------------------------------------------------------ */

static void
mp_count_error(struct mxp_mp_plane *mp, unsigned int code)
{
	mxp_mrfp_count_error(mp->mrfp, code);
}

static enum mxp_mp_style
reply_style(const struct mxp_mp_plane *mp)
{
	if (mp->cfg->mp.compact >= 0)
		return mp->cfg->mp.compact ? MXP_MP_STYLE_COMPACT : MXP_MP_STYLE_LONG;
	return mp->cur.style;
}

/* Encode rep, falling back to a 533 error if it does not fit; returns the length. */
static int
encode_reply(struct mxp_mp_plane *mp, uint32_t tid)
{
	enum mxp_mp_style st = reply_style(mp);
	int n = mxp_mp_encode(&mp->rep, st, mp->reply, MP_REPLY_MAX);
	if (n >= 0 && (size_t)n < MP_REPLY_MAX)
		return n;
	mp->c.reply_too_big++;
	mxp_mp_msg_init(&mp->rep, mp->mid);
	struct mxp_mp_trans *t = mxp_mp_msg_add_trans(&mp->rep, MXP_MP_TRANS_REPLY, tid);
	t->has_error = true;
	t->err_code = MXP_MP_E_REPLY_TOO_BIG;
	t->err_text = mxp_mp_str_c("the reply exceeds the largest message: fewer commands or "
				   "terminations per transaction");
	mp_count_error(mp, MXP_MP_E_REPLY_TOO_BIG);
	return mxp_mp_encode(&mp->rep, st, mp->reply, MP_REPLY_MAX);
}

/* Send a short message of ours (Pending, TransactionResponseAck) built in msg. */
static void
send_small(struct mxp_mp_plane *mp, struct mxp_mp_msg *msg, struct mxp_port *p,
	   const struct mxp_ip *peer, uint16_t port, bool plain)
{
	char text[256];
	int n = mxp_mp_encode(msg, reply_style(mp), text, sizeof(text));
	if (n > 0)
		send_mp(mp, p, peer, port, plain, text, (size_t)n);
}

static void
send_pending(struct mxp_mp_plane *mp, uint32_t tid)
{
	struct mxp_mp_msg *pm = &mp->small;
	mxp_mp_msg_init(pm, mp->mid);
	mxp_mp_msg_add_trans(pm, MXP_MP_TRANS_PENDING, tid);
	send_small(mp, pm, mp->cur.port, &mp->cur.peer, mp->cur.peer_port, mp->cur.plain);
	mp->c.pendings++;
}

/* lib/mrfp: the transaction being applied has taken [mp] pending_ms. */
static void
mrfp_send_pending(void *arg)
{
	struct mxp_mp_plane *mp = arg;
	send_pending(mp, mp->cur.tid);
}

/* Did a reply (to one of our requests) carry an error anywhere? */
static bool
reply_has_error(const struct mxp_mp_msg *msg, const struct mxp_mp_trans *tr)
{
	if (tr->has_error)
		return true;
	for (uint16_t a = 0; a < tr->nactions; a++) {
		const struct mxp_mp_action *ac = &msg->actions[tr->first_action + a];
		if (ac->has_error)
			return true;
		for (uint16_t k = 0; k < ac->ncmds; k++)
			if (msg->cmds[ac->first_cmd + k].has_error)
				return true;
	}
	return false;
}

/* The daemon's own requests: a reply or a Pending for one of them. */
static void
answer_to_ours(struct mxp_mp_plane *mp, const struct mxp_mp_msg *msg,
	       const struct mxp_mp_trans *tr, struct mxp_port *p, const struct mxp_ip *peer,
	       uint16_t port, bool plain)
{
	if (tr->kind == MXP_MP_TRANS_REPLY && tr->imm_ack) {
		/* ImmAckRequired: acknowledge at once (H.248.1 D.1.4) */
		struct mxp_mp_msg *am = &mp->small;
		mxp_mp_msg_init(am, mp->mid);
		struct mxp_mp_trans *k = mxp_mp_msg_add_trans(am, MXP_MP_TRANS_ACK, tr->id);
		if (k)
			k->id_last = tr->id;
		send_small(mp, am, p, peer, port, plain);
	}
	for (int i = 0; i < MP_OUT_MAX; i++) {
		struct mp_out *o = &mp->out[i];
		if (!o->used || o->tid != tr->id)
			continue;
		if (tr->kind == MXP_MP_TRANS_PENDING) {
			mxp_mp_retx_pending(&o->retx, mxp_now_ms());
			if (o->retx.pendings > mxp_mrfp_pending_limit(mp->mrfp)) {
				o->used = false; /* root/MGCOriginatedPendingLimit exceeded */
				mp->c.gave_up++;
			}
			return;
		}
		o->used = false;
		bool bad = reply_has_error(msg, tr);
		mp->c.answered++;
		mp->c.answered_error += bad;
		if (o->service_change && !bad) {
			/* ServiceChangeProfile negotiation (H.248.1 11.3): the MRFC may answer
			 * with a lower version of our profile; another profile is refused */
			char pe[160];
			uint32_t ver = 0;
			struct mxp_mp_str prof = { NULL, 0 };
			for (uint16_t a = 0; a < tr->nactions; a++) {
				const struct mxp_mp_action *ac = &msg->actions[tr->first_action + a];
				for (uint16_t k = 0; k < ac->ncmds; k++)
					if (msg->cmds[ac->first_cmd + k].has_services)
						prof = msg->cmds[ac->first_cmd + k].sc_profile;
			}
			enum mxp_mrfp_profile ours = (enum mxp_mrfp_profile)mp->cfg->mp.profile;
			if (mxp_mrfp_profile_negotiate(ours, prof, &ver, pe, sizeof(pe)) != 0) {
				MXP_LOG(WARNING, "Mp: ServiceChange: %s", pe);
				bad = true;
			} else if (prof.len) {
				MXP_LOG(NOTICE, "Mp: the MRFC speaks %.*s", (int)prof.len, prof.p);
			}
		}
		if (o->service_change) {
			mp->sc = bad ? MXP_MP_SC_FAILED : MXP_MP_SC_ANSWERED;
			if (bad)
				mp->sc_retry_at = mxp_now_ms() + MP_SC_RETRY_MS;
			MXP_LOG(NOTICE, "Mp: the MRFC answered ServiceChange Restart%s",
				bad ? " with an error (retrying later)" : "");
		}
		return;
	}
}

static void
reply_parse_error(struct mxp_mp_plane *mp, const struct mxp_mp_error *e, struct mxp_port *p,
		  const struct mxp_ip *peer, uint16_t port, bool plain)
{
	mxp_mp_msg_init(&mp->rep, mp->mid);
	if (e->have_tid) {
		struct mxp_mp_trans *t = mxp_mp_msg_add_trans(&mp->rep, MXP_MP_TRANS_REPLY, e->tid);
		t->has_error = true;
		t->err_code = e->code;
		t->err_text = mxp_mp_str_c(e->text);
	} else {
		mp->rep.has_error = true;
		mp->rep.err_code = e->code;
		mp->rep.err_text = mxp_mp_str_c(e->text);
	}
	mp_count_error(mp, e->code);
	int n = mxp_mp_encode(&mp->rep, reply_style(mp), mp->reply, MP_REPLY_MAX);
	if (n > 0 && send_mp(mp, p, peer, port, plain, mp->reply, (size_t)n) == 0)
		mp->c.replies++;
}

static void
trans_error(struct mxp_mp_plane *mp, uint32_t tid, unsigned int code, const char *text)
{
	mxp_mp_msg_init(&mp->rep, mp->mid);
	struct mxp_mp_trans *t = mxp_mp_msg_add_trans(&mp->rep, MXP_MP_TRANS_REPLY, tid);
	t->has_error = true;
	t->err_code = (uint16_t)code;
	t->err_text = mxp_mp_str_c(text);
	mp_count_error(mp, code);
}

static void
handle_text(struct mxp_mp_plane *mp, struct mxp_port *p, const struct mxp_ip *peer, uint16_t port,
	    bool plain, const char *text, size_t len)
{
	struct mxp_mp_error e;
	mp->c.messages++;
	mp->cur = (struct mp_cur){ .port = p, .peer = *peer, .peer_port = port, .plain = plain,
				  .style = len && text[0] == '!' ? MXP_MP_STYLE_COMPACT
								 : MXP_MP_STYLE_LONG };
	if (mxp_mp_parse(text, len, &mp->msg, &e) != 0) {
		mp->c.parse_errors++;
		reply_parse_error(mp, &e, p, peer, port, plain);
		goto out;
	}
	if (mp->msg.has_error)
		goto out; /* a message-level error from the MRFC: nothing to answer */
	struct mxp_mp_peer mpeer = { .addr = *peer, .port = port };
	for (uint16_t i = 0; i < mp->msg.ntrans; i++) {
		const struct mxp_mp_trans *tr = &mp->msg.trans[i];
		if (tr->kind == MXP_MP_TRANS_ACK) {
			mp->c.acks++;
			mxp_mp_rcache_ack(mp->rc, &mpeer, tr->id, tr->id_last);
			continue;
		}
		if (tr->kind != MXP_MP_TRANS_REQUEST) {
			answer_to_ours(mp, &mp->msg, tr, p, peer, port, plain);
			continue;
		}
		mp->c.requests++;
		mp->cur.tid = tr->id;
		mp->cur.start_ms = mxp_now_ms();
		const char *cached;
		size_t clen;
		bool refused = false;
		switch (mxp_mp_rcache_begin(mp->rc, &mpeer, tr->id, mp->cur.start_ms, &cached, &clen)) {
		case MXP_MP_RC_REPLIED:
			/* A retransmission: the same bytes, never applied twice. */
			memcpy(mp->reply, cached, clen);
			if (send_mp(mp, p, peer, port, plain, mp->reply, clen) == 0)
				mp->c.replies_cached++;
			explicit_bzero(mp->reply, clen);
			continue;
		case MXP_MP_RC_IN_PROGRESS:
			send_pending(mp, tr->id);
			continue;
		case MXP_MP_RC_FULL:
			/* No room to remember the reply: applying would risk applying a
			 * retransmission twice. Refuse; the MRFC may retry later. */
			mp->c.cache_full++;
			trans_error(mp, tr->id, MXP_MP_E_RESOURCES,
				    "reply cache full (more transactions within reply_ttl_ms than "
				    "[mp] reply_cache holds): retry later");
			break;
		case MXP_MP_RC_NEW:
			mxp_mp_msg_init(&mp->rep, mp->mid);
			mxp_mrfp_apply(mp->mrfp, &mp->msg, tr, text, &mp->rep,
				       &(struct mxp_mrfp_peer){ .addr = *peer, .port = port });
			refused = mxp_mrfp_refused(mp->mrfp);
			break;
		}
		int n = encode_reply(mp, tr->id);
		if (n < 0) {
			/* cannot happen (a 533 always fits); never leave an entry in progress */
			trans_error(mp, tr->id, MXP_MP_E_INTERNAL, "reply could not be encoded");
			n = mxp_mp_encode(&mp->rep, MXP_MP_STYLE_LONG, mp->reply, MP_REPLY_MAX);
		}
		int fr = n > 0 ? mxp_mp_rcache_finish(mp->rc, &mpeer, tr->id, mp->reply, (size_t)n,
						      mxp_now_ms()) : -EINVAL;
		if (fr == -E2BIG)
			mp->c.reply_too_big++;
		else if (fr == 0 && refused)
			mxp_mp_rcache_refusal(mp->rc, &mpeer, tr->id); /* overload: room for others */
		if (n > 0 && send_mp(mp, p, peer, port, plain, mp->reply, (size_t)n) == 0)
			mp->c.replies++;
		if (n > 0)
			explicit_bzero(mp->reply, (size_t)n);
		mxp_mrfp_reply_wipe(mp->mrfp); /* generated keys */
	}
out:
	/* The request text may hold keys: wipe it. */
	explicit_bzero((void *)(uintptr_t)text, len);
}

/* mp_sctp.c: a whole message from the association. */
void
mp_handle_text(struct mxp_mp_plane *mp, struct mxp_port *p, const struct mxp_ip *peer,
	       uint16_t port, bool plain, const char *text, size_t len)
{
	handle_text(mp, p, peer, port, plain, text, len);
}

/* ---- input ---------------------------------------------------------------------------------- */

/*
 * Fragments the reassembly gave up on are on the death row: sets that timed out, overlapping
 * or duplicate fragments, more than RTE_LIBRTE_IP_FRAG_MAX_FRAG of them, no room in the
 * table. Count each under the endpoint's reassembly reason, then free them.
 */
static void
frag_discards(struct mxp_mp_plane *mp)
{
	for (uint32_t i = 0; i < mp->dr.cnt; i++)
		mxp_esp_ep_count(mp->ep, MXP_ESP_DROP_REASSEMBLY);
	rte_ip_frag_free_death_row(&mp->dr, 0);
}

/* Process a whole IP packet (reassembled if it was fragmented) in mp->buf. */
static void
input_ip(struct mxp_mp_plane *mp, struct mxp_port *p, size_t len)
{
	struct mxp_esp_meta em;
	size_t eoff, elen;
	uint8_t *ip = mp->buf;
	bool v4 = (ip[0] >> 4) == 4;
	uint8_t proto = v4 ? ip[9] : ip[6];
	size_t hl = v4 ? (size_t)(ip[0] & 0xf) * 4 : 40;

	/* Mp in the clear, UDP 2944: the lab flag and the policy decide. */
	if (proto == IPPROTO_UDP && len >= hl + 8 && mxp_be_rd16(ip + hl + 2) == MXP_MP_PORT) {
		struct mxp_ip peer = mxp_ip_from_bytes(v4 ? AF_INET : AF_INET6, ip + (v4 ? 12 : 8));
		if (mxp_esp_ep_plain_input(mp->ep, &peer) != MXP_ESP_DROP_NONE)
			return;
		mp->c.plaintext_accepted++;
		uint16_t sport = mxp_be_rd16(ip + hl);
		size_t ul = mxp_be_rd16(ip + hl + 4);
		if (ul < 8 || hl + ul > len)
			return;
		handle_text(mp, p, &peer, sport, true, (const char *)ip + hl + 8, ul - 8);
		return;
	}
	enum mxp_esp_drop d = mxp_esp_frame_parse(ip, len, &em, &eoff, &elen);
	if (d != MXP_ESP_DROP_NONE) {
		mxp_esp_ep_count(mp->ep, d);
		return;
	}
	struct mxp_esp_rx rx;
	if (mxp_esp_ep_input(mp->ep, &em, ip + eoff, elen, &rx) != MXP_ESP_DROP_NONE)
		return; /* counted by the endpoint */
	uint16_t sp, dp;
	size_t po, pl;
	const uint8_t *inner = ip + eoff + rx.off;
	if (rx.next_proto == MXP_SCTP_IPPROTO) {
		mp_sctp_input(mp, &em.src, inner, rx.len);
		return;
	}
	if (rx.next_proto != 17 || mxp_esp_udp_parse(inner, rx.len, &sp, &dp, &po, &pl) != 0 ||
	    dp != MXP_MP_PORT) {
		mp->c.not_udp_2944++;
		return;
	}
	handle_text(mp, p, &em.src, sp, false, (const char *)inner + po, pl);
}

void
mxp_mp_plane_input(struct mxp_mp_plane *mp, struct mxp_port *p, struct rte_mbuf *m)
{
	if (!mp->enabled) {
		mp->cst->drops[MXP_DROP_CTL_UNHANDLED]++;
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	bool v4 = rte_pktmbuf_data_len(m) > 14 && f[12] == 0x08 && f[13] == 0x00;
	if (rte_pktmbuf_data_len(m) < 14 + 20) {
		mp->c.malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	uint8_t *ip = f + 14;
	bool frag = v4 ? (mxp_be_rd16(ip + 6) & 0x3fff) != 0 : ip[6] == IPPROTO_FRAGMENT;
	if (frag) {
		/* Reassemble (rte_ip_frag): large Mp transactions arrive in fragments. */
		/* l3_len covers the IPv6 fragment header: rte_ip_frag strips l2_len + l3_len from
		 * every fragment but the first */
		m->l2_len = 14;
		m->l3_len = v4 ? (ip[0] & 0xf) * 4
			       : sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_ipv6_fragment_ext);
		uint64_t tsc = rte_rdtsc();
		struct rte_mbuf *r;
		if (v4) {
			r = rte_ipv4_frag_reassemble_packet(mp->frag, &mp->dr, m, tsc,
							    (struct rte_ipv4_hdr *)ip);
		} else {
			struct rte_ipv6_hdr *h6 = (struct rte_ipv6_hdr *)ip;
			struct rte_ipv6_fragment_ext *fh = rte_ipv6_frag_get_ipv6_fragment_header(h6);
			r = fh ? rte_ipv6_frag_reassemble_packet(mp->frag, &mp->dr, m, tsc, h6, fh) : NULL;
			if (fh == NULL) {
				/* the fragment header is not the first extension header */
				mxp_esp_ep_count(mp->ep, MXP_ESP_DROP_REASSEMBLY);
				rte_pktmbuf_free(m);
			}
		}
		frag_discards(mp);
		if (r == NULL)
			return; /* more fragments to come, or refused and counted */
		m = r;
		mp->c.reassembled++;
	}
	size_t len = rte_pktmbuf_pkt_len(m) - 14;
	if (len > sizeof(mp->buf)) {
		mp->c.too_big++;
		rte_pktmbuf_free(m);
		return;
	}
	const void *src = rte_pktmbuf_read(m, 14, (uint32_t)len, mp->buf);
	if (src != mp->buf && src != NULL)
		memcpy(mp->buf, src, len);
	rte_pktmbuf_free(m);
	if (src == NULL) {
		mp->c.malformed++;
		return;
	}
	/* trim Ethernet padding */
	size_t iplen = v4 ? mxp_be_rd16(mp->buf + 2) : 40 + (size_t)mxp_be_rd16(mp->buf + 4);
	if (iplen > len) {
		mp->c.malformed++;
		explicit_bzero(mp->buf, len);
		return;
	}
	input_ip(mp, p, iplen);
	explicit_bzero(mp->buf, iplen);
}

/* ---- the daemon's own requests --------------------------------------------------------------- */

static bool
own_plaintext(const struct mxp_mp_plane *mp)
{
	return mp->cfg->mp.allow_plaintext && mxp_esp_ep_sa_count(mp->ep) == 0;
}

/* Send the request built in mp->rep to peer:port and retransmit it until answered. */
static void
send_request(struct mxp_mp_plane *mp, const struct mxp_ip *peer, uint16_t port,
	     bool service_change)
{
	struct mp_out *o = NULL;
	for (int i = 0; i < MP_OUT_MAX && o == NULL; i++)
		if (!mp->out[i].used)
			o = &mp->out[i];
	if (o == NULL) {
		/* too many unanswered: the oldest is given up */
		o = &mp->out[0];
		for (int i = 1; i < MP_OUT_MAX; i++)
			if (mp->out[i].retx.deadline < o->retx.deadline)
				o = &mp->out[i];
		mp->c.gave_up++;
	}
	int n = mxp_mp_encode(&mp->rep, MXP_MP_STYLE_LONG, o->text, sizeof(o->text));
	if (n < 0)
		return;
	o->used = true;
	o->service_change = service_change;
	o->tid = mp->rep.trans[0].id;
	o->peer = *peer;
	o->peer_port = port;
	o->len = (size_t)n;
	struct mxp_mp_retx_params rp = { .initial_ms = mp->cfg->mp.retx_initial_ms,
					 .max_ms = mp->cfg->mp.retx_max_ms,
					 .give_up_ms = mp->cfg->mp.retx_giveup_ms };
	mxp_mrfp_retx_params(mp->mrfp, &rp); /* the MRFC's root/ timers (Modify = ROOT) */
	mxp_mp_retx_start(&o->retx, &rp, mxp_now_ms());
	mp->c.requests_sent++;
	send_mp(mp, NULL, &o->peer, o->peer_port, own_plaintext(mp), o->text, o->len);
}

static uint32_t
next_tid(struct mxp_mp_plane *mp)
{
	uint32_t t = mp->next_tid++;
	if (mp->next_tid == 0 || mp->next_tid > MXP_MP_CTX_MAX)
		mp->next_tid = 1;
	return t;
}

/* ServiceChange on ROOT, Graceful: out of service in delay_s seconds (H.248.1 7.2.8). */
static void
build_graceful(struct mxp_mp_plane *mp, uint32_t delay_s)
{
	mxp_mp_msg_init(&mp->rep, mp->mid);
	mxp_mp_msg_add_trans(&mp->rep, MXP_MP_TRANS_REQUEST, next_tid(mp));
	mxp_mp_msg_add_action(&mp->rep, MXP_MP_CTX_NULL);
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&mp->rep, MXP_MP_CMD_SERVICE_CHANGE, "ROOT");
	c->has_services = true;
	c->sc_method = mxp_mp_str_c("Graceful");
	c->sc_reason = mxp_mp_str_c("\"905 Termination taken out of service\"");
	c->sc_delay = delay_s;
	MXP_LOG(NOTICE, "Mp: ServiceChange Graceful, delay %u s, to the MRFC", delay_s);
}

/* What is left of the drain's delay, in whole seconds, at least 1. */
static uint32_t
drain_left_s(const struct mxp_mp_plane *mp)
{
	uint64_t now = mxp_now_ms();
	uint64_t left = mp->drain_end_ms > now ? (mp->drain_end_ms - now + 999) / 1000 : 1;
	return (uint32_t)RTE_MAX(left, 1u);
}

/*
 * ServiceChange on ROOT: Restart (start) or Disconnected (back after losing the MRFC).
 * While draining, an MRFC that comes back (a new SCTP association) hears Graceful with
 * what is left of the delay instead, never that the MRFP is in service.
 */
void
mp_service_change(struct mxp_mp_plane *mp, bool disconnected)
{
	if (mp->draining) {
		build_graceful(mp, drain_left_s(mp));
		mp->sc = MXP_MP_SC_SENT;
		mp->sc_attempts++;
		send_request(mp, &mp->cfg->mp.mrfc, mp->cfg->mp.mrfc_port, true);
		return;
	}
	mxp_mp_msg_init(&mp->rep, mp->mid);
	mxp_mp_msg_add_trans(&mp->rep, MXP_MP_TRANS_REQUEST, next_tid(mp));
	mxp_mp_msg_add_action(&mp->rep, MXP_MP_CTX_NULL);
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&mp->rep, MXP_MP_CMD_SERVICE_CHANGE, "ROOT");
	c->has_services = true;
	c->sc_method = mxp_mp_str_c(disconnected ? "Disconnected" : "Restart");
	c->sc_reason = mxp_mp_str_c(disconnected ? "\"900 Service Restored\""
						 : "\"901 Cold Boot\"");
	c->sc_profile = mxp_mp_str_c(mxp_mrfp_profile_name((enum mxp_mrfp_profile)
							   mp->cfg->mp.profile));
	c->sc_version = 3;
	mp->sc = MXP_MP_SC_SENT;
	mp->sc_attempts++;
	send_request(mp, &mp->cfg->mp.mrfc, mp->cfg->mp.mrfc_port, true);
}

/*
 * mixplanectl drain: lib/mrfp refuses new contexts (503) and [mp] mrfc is told with
 * ServiceChange on ROOT, Method Graceful, Reason 905, ServiceChangeDelay delay_s (H.248.1
 * 7.2.8): the MRFP goes out of service after the delay, the contexts it holds go on until
 * then. Sent as an ordinary request of ours (retransmitted until answered) so that its
 * answer never changes the Restart's state; over SCTP with the association down it goes
 * when the MRFC associates again (mp_service_change). Returns 1 when the MRFC is told, 0
 * when there is nobody to tell (the plane off, or no [mp] mrfc).
 */
int
mxp_mp_plane_drain(struct mxp_mp_plane *mp, uint32_t delay_s)
{
	if (!mp->enabled)
		return 0;
	mp->draining = true;
	mp->drain_end_ms = mxp_now_ms() + (uint64_t)delay_s * 1000;
	mxp_mrfp_set_draining(mp->mrfp, true);
	if (!mp->cfg->mp.has_mrfc)
		return 0;
	if (mp_sctp_owns(mp, &mp->cfg->mp.mrfc) && !mp->c.sctp_up)
		return 1; /* the next association's ServiceChange is the Graceful */
	build_graceful(mp, delay_s);
	send_request(mp, &mp->cfg->mp.mrfc, mp->cfg->mp.mrfc_port, false);
	return 1;
}

/* lib/mrfp: a requested event happened. To [mp] mrfc, or to the peer that added the leg. */
static int
mrfp_notify(void *arg, const struct mxp_mrfp_notify *n)
{
	struct mxp_mp_plane *mp = arg;
	const struct mxp_ip *to = mp->cfg->mp.has_mrfc ? &mp->cfg->mp.mrfc : &n->peer.addr;
	uint16_t port = mp->cfg->mp.has_mrfc ? mp->cfg->mp.mrfc_port : n->peer.port;
	if (to->af == 0) {
		mp->c.send_failed++; /* nobody to tell: a leg made by the CLI, no [mp] mrfc */
		return -EHOSTUNREACH;
	}
	mxp_mp_msg_init(&mp->rep, mp->mid);
	if (mxp_mrfp_notify_build(&mp->rep, next_tid(mp), n) != 0)
		return -ENOSPC;
	MXP_LOG(INFO, "Mp: Notify %s %s{%s}", n->term, n->event, n->params);
	send_request(mp, to, port, false);
	return 0;
}

void
mxp_mp_plane_timer(struct mxp_mp_plane *mp, uint64_t now)
{
	if (!mp->enabled)
		return;
	/* Sets still incomplete after their 2 s are discarded now, not when the table fills. */
	rte_ip_frag_table_del_expired_entries(mp->frag, &mp->dr, rte_rdtsc());
	frag_discards(mp);
	for (int i = 0; i < MP_OUT_MAX; i++) {
		struct mp_out *o = &mp->out[i];
		if (!o->used)
			continue;
		int r = mxp_mp_retx_poll(&o->retx, now);
		if (r < 0) {
			o->used = false;
			mp->c.gave_up++;
			if (o->service_change) {
				mp->sc = MXP_MP_SC_FAILED;
				mp->sc_retry_at = now + MP_SC_RETRY_MS;
				MXP_LOG(WARNING, "Mp: no answer to ServiceChange from the MRFC; trying "
						 "again in %u s", MP_SC_RETRY_MS / 1000);
			}
		} else if (r > 0 && !mp_sctp_owns(mp, &o->peer)) { /* H.248.4: SCTP retransmits */
			mp->c.retransmissions++;
			send_mp(mp, NULL, &o->peer, o->peer_port, own_plaintext(mp), o->text, o->len);
		}
	}
	mp_sctp_timer(mp, now);
	/* An idle cache empties too: its gauge and the overload control see what is held. */
	if (mp->rc)
		mxp_mp_rcache_expire(mp->rc, now);
	if (mp->sc == MXP_MP_SC_FAILED && now >= mp->sc_retry_at) /* Graceful when draining */
		mp_service_change(mp, false);
	if (now >= mp->next_poll) {
		mp->next_poll = now + mp->cfg->mp.event_poll_ms;
		mxp_mrfp_events_poll(mp->mrfp, now);
	}
}

/* ---- set-up ------------------------------------------------------------------------------------ */

/* What lib/mrfp asks of the daemon. */
static const struct mxp_ip *
mrfp_port_addr(void *arg, uint16_t port_idx, uint8_t af)
{
	const struct mxp_mp_plane *mp = arg;
	return port_idx < mp->ports->nb_ports ? mxp_port_addr(&mp->ports->port[port_idx], af) : NULL;
}

static int
mrfp_route(void *arg, const struct mxp_ip *dst)
{
	const struct mxp_mp_plane *mp = arg;
	return mxp_ports_route(mp->ports, dst);
}

/* ROOT's mxp/load, from the daemon's workers (doc/mp.md "Load on ROOT"). */
static int
mrfp_load_pct(void *arg)
{
	struct mxp_mp_plane *mp = arg;
	return mp->load_pct(mp->load_arg);
}

/* lib/mrfp's overload control watches the reply cache (doc/mp.md "Overload control"). */
static void
mrfp_cache_fill(void *arg, uint32_t *used, uint32_t *capacity)
{
	const struct mxp_mp_plane *mp = arg;
	*used = mxp_mp_rcache_count(mp->rc);
	*capacity = mp->cfg->mp.reply_cache;
}

static uint64_t
mrfp_now_ms(void *arg)
{
	(void)arg;
	return mxp_now_ms();
}

void
mxp_mp_plane_status(const struct mxp_mp_plane *mp, struct mxp_mp_status *s)
{
	const struct mxp_mp_cfg *cfg = &mp->cfg->mp;
	memset(s, 0, sizeof(*s));
	s->enabled = mp->enabled;
	s->allow_plaintext = cfg->allow_plaintext;
	s->has_mrfc = cfg->has_mrfc;
	if (cfg->has_mrfc)
		s->mrfc = cfg->mrfc;
	snprintf(s->mid, sizeof(s->mid), "%s", mp->mid);
	s->sc = mp->sc;
	s->sc_attempts = mp->sc_attempts;
	for (int k = 0; k < MP_OUT_MAX; k++)
		s->outstanding += mp->out[k].used;
	s->reply_cache_capacity = cfg->reply_cache;
	if (mp->rc) {
		s->reply_cache = mxp_mp_rcache_count(mp->rc);
		s->reply_cache_bytes = mxp_mp_rcache_bytes_used(mp->rc);
	}
	s->c = mp->c;
	if (mp->rc)
		s->c.refusals_evicted = mxp_mp_rcache_evicted(mp->rc);
	if (mp->mrfp) {
		const struct mxp_mrfp_counters *k = mxp_mrfp_counters(mp->mrfp);
		s->c.errors = k->errors;
		s->c.keys_generated = k->keys_generated;
		s->c.notifies = k->notifies;
		s->c.overload_refused = k->ocp_refused;
		s->c.overload_notifies = k->ocp_notifies;
		s->c.overloaded = k->overloaded;
		s->c.dd_lost = k->dd_lost;
		memcpy(s->err_by_code, k->err_by_code, sizeof(s->err_by_code));
		s->legs = (uint32_t)k->legs;
	}
	if (mp->ep) {
		const uint64_t *e = mxp_esp_ep_counters(mp->ep);
		s->esp_sas = mxp_esp_ep_sa_count(mp->ep);
		s->plaintext_dropped = e[MXP_ESP_DROP_PLAINTEXT];
		s->not_in_policy_dropped = e[MXP_ESP_DROP_NOT_IN_POLICY];
	}
	s->esp_backend = mp->crypto.ops ? mp->crypto.ops->name : NULL;
	s->sctp_state = mp_sctp_state(mp);
}

struct mxp_esp_ep *
mxp_mp_plane_esp(const struct mxp_mp_plane *mp)
{
	return mp->enabled ? mp->ep : NULL;
}

static int
plane_init(struct mxp_mp_plane *mp, char *err, size_t errlen)
{
	const struct mxp_mp_cfg *cfg = &mp->cfg->mp;
	if (!cfg->enabled)
		return 0;
	int r = mxp_esp_crypto_open(&mp->crypto, cfg->esp_backend);
	if (r) {
		snprintf(err, errlen, "%s: [esp] backend: %s is not available: %s", mp->cfg->path,
			 cfg->esp_backend, strerror(-r));
		return r;
	}
	if (cfg->profile_name[0] != '\0') {
		char pe[200];
		r = mxp_mrfp_profile_3gpp_set(cfg->profile_name, pe, sizeof(pe));
		if (r) { /* the configuration check took it: only a changed rule gets here */
			snprintf(err, errlen, "%s: [mp] profile_name: %s", mp->cfg->path, pe);
			return r;
		}
	}
	size_t rcb = (size_t)cfg->reply_cache_mb << 20;
	mp->ep = rte_zmalloc("mxp_esp_ep", mxp_esp_ep_size(256, 64), 64);
	mp->rc = rte_zmalloc("mxp_mp_rcache", mxp_mp_rcache_size(cfg->reply_cache, rcb), 64);
	mp->frag = rte_ip_frag_table_create(64, 8, 512, rte_get_tsc_hz() * 2, SOCKET_ID_ANY);
	struct mxp_mrfp_config mc = { .nb_ports = mp->ports->nb_ports,
				      .allow_plaintext = cfg->allow_plaintext,
				      .generate_keys = cfg->generate_keys,
				      .afthresh = cfg->afthresh,
				      .keylimit_percent = cfg->keylimit_percent,
				      .pending_ms = cfg->pending_ms,
				      .media_pairs = (uint32_t)(mp->cfg->media_port_max -
								(mp->cfg->media_port_min & ~1u)) / 2 + 1,
				      .profile = (enum mxp_mrfp_profile)cfg->profile,
				      .retx_initial_ms = cfg->retx_initial_ms,
				      .ocp_high_pct = cfg->ocp_high_pct,
				      .ocp_low_pct = cfg->ocp_low_pct ? cfg->ocp_low_pct : 1,
				      .ocp_busy_pct = cfg->ocp_busy_pct };
	struct mxp_mrfp_ops mo = { .port_addr = mrfp_port_addr, .route = mrfp_route,
				   .now_ms = mrfp_now_ms, .send_pending = mrfp_send_pending,
				   .notify = mrfp_notify,
				   .load_pct = mp->load_pct ? mrfp_load_pct : NULL,
				   .cache_fill = mrfp_cache_fill, .arg = mp };
	char me[160] = "";
	mp->mrfp = mxp_mrfp_create(&mc, mp->conf, &mo, me, sizeof(me));
	if (mp->ep == NULL || mp->rc == NULL || mp->frag == NULL || mp->mrfp == NULL) {
		snprintf(err, errlen,
			 "[mp]: out of memory (the reply cache takes reply_cache_mb = %u MiB of "
			 "hugepage memory)", cfg->reply_cache_mb);
		return -ENOMEM;
	}
	mxp_esp_ep_init(mp->ep, 256, 64, &mp->crypto, cfg->allow_plaintext);
	r = mxp_mp_rcache_init(mp->rc, cfg->reply_cache, rcb, cfg->reply_ttl_ms);
	if (r) {
		snprintf(err, errlen, "%s: [mp] reply_cache_mb: %u MiB is too small", mp->cfg->path,
			 cfg->reply_cache_mb);
		return r;
	}
	if (cfg->sa_file[0]) {
		char e[512] = "";
		r = mxp_esp_keyfile_load(mp->ep, cfg->sa_file, 0, e, sizeof(e));
		if (r < 0) {
			snprintf(err, errlen, "%s: [esp] sa_file: %s", mp->cfg->path,
				 r == -EPERM ? "the key file must be mode 0600 (owner only)"
				 : e[0]     ? e
					    : strerror(-r));
			return r;
		}
		MXP_LOG(NOTICE, "Mp: %d ESP security association(s) from %s (%s)", r, cfg->sa_file,
			cfg->esp_backend);
	}
	if (cfg->allow_plaintext) {
		for (int i = 0; i < 3; i++)
			MXP_LOG(WARNING, "Mp: allow_plaintext_mp is ON: Mp from policy peers is "
					 "accepted in the clear, with the conference keys it "
					 "carries. LAB USE ONLY.");
	}
	if (cfg->allow_plaintext && cfg->has_mrfc) {
		/* the configured MRFC may speak in the clear (lab): it must be a policy peer */
		struct mxp_esp_peer pe = { .addr = cfg->mrfc };
		if (mxp_esp_ep_sa_count(mp->ep) == 0)
			mxp_esp_ep_peer_add(mp->ep, &pe);
	}
	/* Our message identifier: the address the MRFC reaches us at (the first port's). */
	const struct mxp_ip *a = NULL;
	for (uint16_t i = 0; i < mp->ports->nb_ports && a == NULL; i++) {
		uint8_t af = cfg->has_mrfc ? cfg->mrfc.af : AF_INET;
		a = mxp_port_addr(&mp->ports->port[i], af) ?: mxp_port_addr(&mp->ports->port[i], AF_INET6);
	}
	char as[64] = "0.0.0.0";
	if (a)
		mxp_ip_format(a, as, sizeof(as));
	snprintf(mp->mid, sizeof(mp->mid), "[%s]:%u", as, MXP_MP_PORT);
	uint32_t rnd;
	mp->next_tid = getrandom(&rnd, sizeof(rnd), 0) == sizeof(rnd) ? 1 + rnd % 1000000000u : 9000;
	mp->enabled = true;
	if (cfg->transport == MXP_MP_TRANSPORT_SCTP)
		return mp_sctp_init(mp, err, errlen); /* ServiceChange once the association is up */
	if (cfg->has_mrfc)
		mp_service_change(mp, false);
	return 0;
}

struct mxp_mp_plane *
mxp_mp_plane_create(const struct mxp_mp_plane_params *p, char *err, size_t errlen)
{
	struct mxp_mp_plane *mp = calloc(1, sizeof(*mp));
	if (mp == NULL) {
		snprintf(err, errlen, "[mp]: out of memory");
		return NULL;
	}
	mp->cfg = p->cfg;
	mp->ports = p->ports;
	mp->conf = p->conf;
	mp->pool = p->pool;
	mp->cst = p->cst;
	mp->load_pct = p->load_pct;
	mp->load_arg = p->load_arg;
	mp->ident = 0x4d58;
	if (plane_init(mp, err, errlen) != 0) {
		mxp_mp_plane_destroy(mp);
		return NULL;
	}
	return mp;
}

void
mxp_mp_plane_destroy(struct mxp_mp_plane *mp)
{
	if (mp == NULL)
		return;
	mp_sctp_fini(mp);
	if (mp->ep) {
		mxp_esp_ep_fini(mp->ep);
		rte_free(mp->ep);
	}
	mxp_esp_crypto_close(&mp->crypto);
	if (mp->rc) {
		mxp_mp_rcache_wipe(mp->rc); /* replies echo the keys of Add */
		rte_free(mp->rc);
	}
	if (mp->frag) {
		rte_ip_frag_table_destroy(mp->frag);
		rte_ip_frag_free_death_row(&mp->dr, 0);
	}
	mxp_mrfp_destroy(mp->mrfp);
	explicit_bzero(mp, sizeof(*mp)); /* buffers, messages and the reply hold keys */
	free(mp);
}
