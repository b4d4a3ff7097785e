/* SPDX-License-Identifier: BSD-3-Clause */
/* Internals of the Mp plane, shared by its two files: mp_plane.c (transport, transactions,
 * the daemon's own requests) and mp_sctp.c (H.248.4, Mp over SCTP). Nothing else includes
 * it: the rest of the daemon uses mp_plane.h. */
#ifndef MIXPLANE_MP_PRIV_H
#define MIXPLANE_MP_PRIV_H

#include <rte_ip_frag.h>

#include "mp_plane.h"
#include "mxp_esp.h"
#include "mxp_mp.h"
#include "mxp_mp_trans.h"
#include "mxp_mrfp.h"

struct mxp_sctp;

/* The SCTP association of [mp] transport = sctp (mp_sctp.c). */
struct mp_sctp {
	struct mxp_sctp *a;
	bool on;
	bool was_up;        /* an association was up once: ServiceChange Disconnected next */
	bool resend;        /* a new association: send our unanswered requests again */
	uint64_t retry_at;  /* when to associate again (IDLE) */
	uint32_t backoff_ms;
};

#define MP_BUF 65536             /* largest IP packet handled (reassembled) */
#define MP_MTU_PAYLOAD 1500      /* IP packet size before fragmenting */
#define MP_REPLY_MAX MXP_MP_MSG_MAX
#define MP_OUT_MAX 64            /* outstanding requests of ours (Notify, ServiceChange) */
#define MP_SC_RETRY_MS 30000     /* a ServiceChange nobody answered is tried again */

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

struct mxp_mp_plane {
	bool enabled;
	const struct mxp_cfg *cfg;
	struct mxp_ports *ports;
	struct mxp_conf_sys *conf;
	struct rte_mempool *pool;
	struct mxp_ctl_stats *cst;
	struct mxp_esp_crypto crypto;
	struct mxp_esp_ep *ep;
	struct mxp_mp_rcache *rc;
	struct rte_ip_frag_tbl *frag;
	struct rte_ip_frag_death_row dr;
	struct mxp_mp_counters c;
	struct mxp_mrfp *mrfp;       /* the commands applied to the conferences */
	struct mp_out out[MP_OUT_MAX];
	uint32_t next_tid;
	uint32_t ident;              /* IP identification of the fragments we send */
	uint64_t next_poll;
	enum mxp_mp_sc_state sc;
	uint32_t sc_attempts;
	uint64_t sc_retry_at;
	bool draining;               /* mxp_mp_plane_drain(): Graceful, never Restart */
	uint64_t drain_end_ms;       /* the drain's delay passes here */
	struct mp_cur cur;
	char mid[80];
	uint8_t buf[MP_BUF];         /* the packet being processed */
	uint8_t obuf[MP_BUF];        /* the packet being sent */
	uint8_t ubuf[MP_BUF];        /* the UDP datagram being sent */
	uint8_t ebuf[MP_BUF];        /* its ESP packet */
	char reply[MP_REPLY_MAX + 1];
	struct mxp_mp_msg msg, rep;  /* big: kept off the stack */
	struct mxp_mp_msg small;     /* a Pending or an ack of ours */
	struct mp_sctp sctp;         /* [mp] transport = sctp (mp_sctp.c) */
	int (*load_pct)(void *arg);  /* ROOT's mxp/load (main.c: the workers' busy polls) */
	void *load_arg;
};

/* mp_plane.c, for mp_sctp.c */
/** Parse and apply one Mp message from peer:port (the text is wiped afterwards). */
void mp_handle_text(struct mxp_mp_plane *mp, struct mxp_port *p, const struct mxp_ip *peer,
		    uint16_t port, bool plain, const char *text, size_t len);
/** Send an inner packet of protocol next_proto to peer in ESP (its outbound SA). */
int mp_send_esp(struct mxp_mp_plane *mp, struct mxp_port *hint, const struct mxp_ip *peer,
		uint8_t next_proto, const uint8_t *inner, size_t len);
/** ServiceChange on ROOT to [mp] mrfc: Restart "901 Cold Boot", or Disconnected "900
 * Service Restored" once the MRFC is back. */
void mp_service_change(struct mxp_mp_plane *mp, bool disconnected);

/* mp_sctp.c: H.248.4, Mp over an SCTP association to [mp] mrfc ([mp] transport = sctp) */
/** Open the association (no-op for UDP). @return 0, or -errno with err filled. */
int mp_sctp_init(struct mxp_mp_plane *mp, char *err, size_t errlen);
void mp_sctp_fini(struct mxp_mp_plane *mp);
/** True when messages to peer go over the association (transport sctp, peer = mrfc). */
bool mp_sctp_owns(const struct mxp_mp_plane *mp, const struct mxp_ip *peer);
/** Send one Mp message over the association. @return 0, -ENOTCONN, -errno. */
int mp_sctp_send(struct mxp_mp_plane *mp, const char *text, size_t len);
/** An SCTP packet from peer, out of ESP. */
void mp_sctp_input(struct mxp_mp_plane *mp, const struct mxp_ip *peer, const uint8_t *pkt,
		   size_t len);
/** usrsctp's timers and re-association, from the plane's timer. */
void mp_sctp_timer(struct mxp_mp_plane *mp, uint64_t now_ms);
/** "up", "connecting", "idle" (waiting to try again), or NULL for UDP. */
const char *mp_sctp_state(const struct mxp_mp_plane *mp);

#endif
