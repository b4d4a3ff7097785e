/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of the Mp control plane: mp_plane.c (transport, transactions, the daemon's own
 * requests) and cli_esp.c (CLI). The commands are applied to lib/conf by lib/mrfp. */
#ifndef MIXPLANE_MP_PRIV_H
#define MIXPLANE_MP_PRIV_H

#include <rte_hash.h>
#include <rte_ip_frag.h>

#include "mp_plane.h"
#include "mxp_esp.h"
#include "mxp_mp.h"
#include "mxp_mp_sdp.h"
#include "mxp_mp_trans.h"
#include "mxp_mrfp.h"

#define MP_BUF 65536             /* largest IP packet handled (reassembled) */
#define MP_MTU_PAYLOAD 1500      /* IP packet size before fragmenting */
#define MP_REPLY_MAX MXP_MP_MSG_MAX
#define MP_OUT_MAX 64            /* outstanding requests of ours (Notify, ServiceChange) */
#define MP_SC_RETRY_MS 30000     /* a ServiceChange nobody answered is tried again */

/* Counters (also telemetry /mixplane/mp). errors, keys_generated and notifies are lib/mrfp's
 * (mp_counters_get() fills them in). */
#define MP_COUNTERS(X) \
	X(messages, "Mp messages received (after ESP)") \
	X(requests, "transactions received") \
	X(replies, "replies sent") \
	X(replies_cached, "retransmitted requests answered from the reply cache") \
	X(pendings, "TransactionPending sent") \
	X(errors, "commands or transactions answered with an error") \
	X(parse_errors, "messages that did not parse") \
	X(cache_full, "requests refused with 510: the reply cache had no room") \
	X(acks, "TransactionResponseAck received") \
	X(plaintext_accepted, "Mp in the clear accepted (lab flag)") \
	X(not_udp_2944, "ESP payloads that were not UDP to port 2944") \
	X(reassembled, "IP packets reassembled from fragments") \
	X(too_big, "IP packets too large to handle (dropped)") \
	X(malformed, "frames for the control plane too short or with an IP length past their end (dropped)") \
	X(fragments_sent, "IP fragments sent") \
	X(reply_too_big, "replies replaced by error 533") \
	X(requests_sent, "requests of ours (ServiceChange, Notify)") \
	X(retransmissions, "retransmissions of our requests") \
	X(answered, "requests of ours answered") \
	X(answered_error, "requests of ours answered with an error") \
	X(gave_up, "requests of ours never answered") \
	X(notifies, "Notify sent") \
	X(keys_generated, "Local keys the MRFP generated (Add without a Local a=crypto)") \
	X(send_failed, "replies or requests that could not be sent (no SA, no route)") \
	X(sctp_up, "SCTP association to the MRFC: 1 up, 0 not (transport = sctp)") \
	X(sctp_connects, "SCTP associations opened (INIT sent)") \
	X(sctp_comm_up, "SCTP associations that came up") \
	X(sctp_comm_lost, "SCTP associations lost (aborted, or the MRFC silent)") \
	X(sctp_restarts, "SCTP associations restarted by the MRFC") \
	X(sctp_not_sent, "messages not sent: the SCTP association was down")

struct mp_counters {
#define MP_C_(n, d) uint64_t n;
	MP_COUNTERS(MP_C_)
#undef MP_C_
};

/* A request of ours waiting for its reply. */
struct mp_out {
	bool used;
	bool service_change;
	uint32_t tid;
	struct mxp_ip peer;
	uint16_t peer_port;
	struct mxp_mp_retx retx;
	size_t len;
	char text[2048];
};

/* The transaction being applied: where its reply (and a Pending) goes. */
struct mp_cur {
	struct mxp_port *port;
	struct mxp_ip peer;
	uint16_t peer_port;
	bool plain;
	uint32_t tid;
	uint64_t start_ms;
	enum mxp_mp_style style;
};

enum mp_sc_state { MP_SC_NONE = 0, MP_SC_SENT, MP_SC_ANSWERED, MP_SC_FAILED };

struct mp_plane {
	bool enabled;
	struct mxp_esp_crypto crypto;
	struct mxp_esp_ep *ep;
	struct mxp_mp_rcache *rc;
	struct rte_ip_frag_tbl *frag;
	struct rte_ip_frag_death_row dr;
	struct mp_counters c;
	struct mxp_mrfp *mrfp;       /* the commands applied to the conferences */
	struct mp_out out[MP_OUT_MAX];
	uint32_t next_tid;
	uint64_t next_poll;
	enum mp_sc_state sc;
	uint32_t sc_attempts;
	uint64_t sc_retry_at;
	struct mp_cur cur;
	char mid[80];
	uint8_t buf[MP_BUF];         /* the packet being processed */
	uint8_t obuf[MP_BUF];        /* the packet being sent */
	char reply[MP_REPLY_MAX + 1];
	struct mxp_mp_msg msg, rep;  /* big: kept off the stack */
};

extern struct mp_plane mp;

/* mp_plane.c, for mp_sctp.c */
/** Parse and apply one Mp message from peer:port (the text is wiped afterwards). */
void mp_handle_text(struct mxp_port *p, const struct mxp_ip *peer, uint16_t port, bool plain,
		    const char *text, size_t len);
/** Send an inner packet of protocol next_proto to peer in ESP (its outbound SA). */
int mp_send_esp(struct mxp_port *hint, const struct mxp_ip *peer, uint8_t next_proto,
		const uint8_t *inner, size_t len);
/** ServiceChange on ROOT to [mp] mrfc: Restart "901 Cold Boot", or Disconnected "900
 * Service Restored" once the MRFC is back. */
void mp_service_change(bool disconnected);

/* mp_sctp.c: H.248.4, Mp over an SCTP association to [mp] mrfc ([mp] transport = sctp) */
/** Open the association (no-op for UDP). @return 0, or -errno with err filled. */
int mp_sctp_init(char *err, size_t errlen);
void mp_sctp_fini(void);
/** True when messages to peer go over the association (transport sctp, peer = mrfc). */
bool mp_sctp_owns(const struct mxp_ip *peer);
/** Send one Mp message over the association. @return 0, -ENOTCONN, -errno. */
int mp_sctp_send(const char *text, size_t len);
/** An SCTP packet from peer, out of ESP. */
void mp_sctp_input(const struct mxp_ip *peer, const uint8_t *pkt, size_t len);
/** usrsctp's timers and re-association, from the plane's timer. */
void mp_sctp_timer(uint64_t now_ms);
/** "up", "connecting", "idle" (waiting to try again), or NULL for UDP. */
const char *mp_sctp_state(void);

/* mp_plane.c, for the CLI and telemetry */
/** The plane's counters with lib/mrfp's (errors, keys_generated, notifies) filled in. */
void mp_counters_get(struct mp_counters *c);
/** Errors answered, by H.248.8 code (MXP_MRFP_ERR_CODES entries; zeros when off). */
const uint64_t *mp_err_by_code(void);
/** Legs lib/mrfp keeps records of. */
uint32_t mp_nlegs(void);

#endif
