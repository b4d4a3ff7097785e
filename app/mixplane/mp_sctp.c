/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mp over SCTP (H.248.4, [mp] transport = sctp): one association, which the MRFP opens to
 * [mp] mrfc:mrfc_port, carried inside ESP as IP protocol 132 (lib/sctp: usrsctp in AF_CONN
 * mode, no kernel SCTP; its timers run from the plane's 100 ms timer on the control core).
 *
 *   SCTP packet from usrsctp → mp_send_esp(next header 132) → IP → neighbour → NIC
 *   ESP payload of next header 132 → mp_sctp_input → usrsctp → one whole H.248 message
 *     → mp_handle_text (reply cache, lib/mrfp) → reply → mp_sctp_send
 *
 * Single stream (0), PPID 7, ordered. The H.248 retransmission timers do not apply (the
 * association retransmits; mp_plane.c does not resend to an SCTP MRFC), the reply cache
 * still does. When the association is lost (ABORT, the MRFC silent past the heartbeats, or
 * the INIT never answered) it is as if the MRFC went away: ServiceChange is "not answered"
 * again, the conferences stay, and the MRFP associates again after a backoff (0.5 s doubling
 * to 8 s, back to 0.5 s once an association came up), then sends ServiceChange: Restart
 * "901 Cold Boot" the first time, Disconnected "900 Service Restored" after a loss. Once
 * that ServiceChange is answered, the requests of ours still unanswered (a Notify that could
 * not be sent while the association was down, or sent on the one that was lost) are sent
 * again on the new association, until their give-up time ([mp] retx_giveup_ms) ends them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_malloc.h>

#include "mp_priv.h"
#include "mxp_sctp.h"

#define MP_SCTP_MTU 1200       /* SCTP packets: IPv6 + ESP (+ UDP 4500) stay under 1280 */
#define MP_SCTP_MAX_MSG 65536  /* lib/mp refuses more than MXP_MP_MSG_MAX with 400 */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 8000

/* A heartbeat a second after the last answer, each with a 1 s timeout, lost after 5 in a
 * row: a silent MRFC is lost after about 10 s. An INIT is tried 5 times a second apart. */
static const struct mxp_sctp_timers mp_sctp_timers = {
	.rto_initial_ms = 1000, .rto_min_ms = 200, .rto_max_ms = 1000, .hb_interval_ms = 1000,
	.max_retrans = 4, .max_init_retrans = 4,
};

bool
mp_sctp_owns(const struct mxp_mp_plane *mp, const struct mxp_ip *peer)
{
	return mp->sctp.on && mxp_ip_equal(peer, &mp->cfg->mp.mrfc);
}

static int
sctp_output(void *arg, const uint8_t *pkt, size_t len)
{
	struct mxp_mp_plane *mp = arg;
	return mp_send_esp(mp, NULL, &mp->cfg->mp.mrfc, MXP_SCTP_IPPROTO, pkt, len);
}

static void
sctp_recv(void *arg, uint8_t *msg, size_t len)
{
	struct mxp_mp_plane *mp = arg;
	mp_handle_text(mp, NULL, &mp->cfg->mp.mrfc, mp->cfg->mp.mrfc_port, false, (const char *)msg,
		       len);
}

static void
lost(struct mxp_mp_plane *mp, const char *why)
{
	bool was = mp->c.sctp_up != 0;
	mp->c.sctp_up = 0;
	mp->sc = MXP_MP_SC_NONE; /* the MRFC went away: nothing answered any more */
	if (was) {
		mp->sctp.backoff_ms = BACKOFF_MIN_MS;
		MXP_LOG(WARNING, "Mp: SCTP association to the MRFC %s: conferences kept, "
				 "associating again", why);
	}
	mp->sctp.retry_at = mxp_now_ms() + mp->sctp.backoff_ms;
	mp->sctp.backoff_ms = RTE_MIN(mp->sctp.backoff_ms * 2, (uint32_t)BACKOFF_MAX_MS);
}

static void
sctp_event(void *arg, enum mxp_sctp_event ev)
{
	struct mxp_mp_plane *mp = arg;
	switch (ev) {
	case MXP_SCTP_EV_COMM_UP:
	case MXP_SCTP_EV_RESTART:
		if (ev == MXP_SCTP_EV_COMM_UP)
			mp->c.sctp_comm_up++;
		else
			mp->c.sctp_restarts++;
		mp->c.sctp_up = 1;
		mp->sctp.backoff_ms = BACKOFF_MIN_MS;
		MXP_LOG(NOTICE, "Mp: SCTP association to the MRFC %s",
			ev == MXP_SCTP_EV_COMM_UP ? "up" : "restarted by the MRFC");
		mp_service_change(mp, mp->sctp.was_up);
		mp->sctp.was_up = true;
		mp->sctp.resend = true; /* once the ServiceChange is answered (mp_sctp_timer) */
		break;
	case MXP_SCTP_EV_COMM_LOST:
		mp->c.sctp_comm_lost++;
		lost(mp, "lost");
		break;
	case MXP_SCTP_EV_SHUTDOWN_COMP:
		mp->c.sctp_comm_lost++;
		lost(mp, "shut down by the MRFC");
		break;
	case MXP_SCTP_EV_CANT_START:
		lost(mp, "could not be opened");
		break;
	}
}

static void
associate(struct mxp_mp_plane *mp)
{
	int r = mxp_sctp_connect(mp->sctp.a);
	if (r == 0) {
		mp->c.sctp_connects++;
		return;
	}
	if (r == -EALREADY)
		return;
	MXP_LOG(WARNING, "Mp: SCTP: cannot open the association: %s", strerror(-r));
	lost(mp, "could not be opened");
}

int
mp_sctp_init(struct mxp_mp_plane *mp, char *err, size_t errlen)
{
	const struct mxp_mp_cfg *cfg = &mp->cfg->mp;
	if (cfg->transport != MXP_MP_TRANSPORT_SCTP)
		return 0;
	if (!cfg->has_mrfc) {
		snprintf(err, errlen, "%s: [mp] transport = sctp needs [mp] mrfc (the MRFP opens "
				      "the association)", mp->cfg->path);
		return -EINVAL;
	}
	mp->sctp.a = rte_zmalloc("mxp_sctp", mxp_sctp_size(MP_SCTP_MAX_MSG), 64);
	if (mp->sctp.a == NULL) {
		snprintf(err, errlen, "[mp] transport = sctp: out of memory");
		return -ENOMEM;
	}
	struct mxp_sctp_params p = { .listen = false, .local_port = MXP_MP_PORT,
				     .peer_port = cfg->mrfc_port, .ppid = MXP_SCTP_PPID_H248,
				     .mtu = MP_SCTP_MTU, .max_msg = MP_SCTP_MAX_MSG,
				     .timers = mp_sctp_timers, .output = sctp_output,
				     .recv = sctp_recv, .event = sctp_event, .arg = mp };
	char e[200] = "";
	int r = mxp_sctp_init(mp->sctp.a, &p, e, sizeof(e));
	if (r) {
		snprintf(err, errlen, "[mp] transport = sctp: %s", e);
		rte_free(mp->sctp.a);
		mp->sctp.a = NULL;
		return r;
	}
	mp->sctp.on = true;
	mp->sctp.backoff_ms = BACKOFF_MIN_MS;
	MXP_LOG(NOTICE, "Mp: H.248 over SCTP (H.248.4) to the MRFC, port %u, inside ESP",
		cfg->mrfc_port);
	associate(mp);
	return 0;
}

void
mp_sctp_fini(struct mxp_mp_plane *mp)
{
	if (mp->sctp.a != NULL) {
		mxp_sctp_fini(mp->sctp.a); /* ABORT if up */
		rte_free(mp->sctp.a);
	}
	memset(&mp->sctp, 0, sizeof(mp->sctp));
}

int
mp_sctp_send(struct mxp_mp_plane *mp, const char *text, size_t len)
{
	int r = mxp_sctp_send(mp->sctp.a, text, len);
	if (r == -ENOTCONN)
		mp->c.sctp_not_sent++;
	else if (r < 0)
		mp->c.send_failed++;
	return r;
}

void
mp_sctp_input(struct mxp_mp_plane *mp, const struct mxp_ip *peer, const uint8_t *pkt,
	      size_t len)
{
	if (!mp->sctp.on || !mxp_ip_equal(peer, &mp->cfg->mp.mrfc)) {
		mp->c.not_udp_2944++; /* SCTP from another host: ours goes to [mp] mrfc only */
		return;
	}
	mxp_sctp_input(mp->sctp.a, pkt, len);
}

/* A new association whose ServiceChange was answered: the requests of ours nobody answered
 * (not sent while the association was down, or lost with the previous one) go again. */
static void
resend_unanswered(struct mxp_mp_plane *mp)
{
	for (int i = 0; i < MP_OUT_MAX; i++) {
		struct mp_out *o = &mp->out[i];
		if (!o->used || o->service_change || !mp_sctp_owns(mp, &o->peer))
			continue;
		if (mp_sctp_send(mp, o->text, o->len) == 0)
			mp->c.retransmissions++;
	}
}

void
mp_sctp_timer(struct mxp_mp_plane *mp, uint64_t now_ms)
{
	if (!mp->sctp.on)
		return;
	mxp_sctp_timer(now_ms);
	if (mp->sctp.resend && mp->c.sctp_up && mp->sc == MXP_MP_SC_ANSWERED) {
		mp->sctp.resend = false;
		resend_unanswered(mp);
	}
	if (mxp_sctp_state_get(mp->sctp.a) == MXP_SCTP_ST_IDLE && now_ms >= mp->sctp.retry_at)
		associate(mp);
}

const char *
mp_sctp_state(const struct mxp_mp_plane *mp)
{
	return mp->sctp.on ? mxp_sctp_state_name(mxp_sctp_state_get(mp->sctp.a)) : NULL;
}
