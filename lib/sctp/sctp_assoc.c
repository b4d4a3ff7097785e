/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sctp over usrsctp in AF_CONN mode. Each holder is one "connection address" of the
 * stack (usrsctp_register_address(holder)): the stack hands the holder's packets to
 * conn_output(holder, ...), and mxp_sctp_input(holder, ...) feeds usrsctp_conninput(holder,
 * ...). Both ends of a link use their own holder as the address; the SCTP ports tell the
 * associations apart.
 *
 * The sockets are one-to-one (SOCK_STREAM), non-blocking, without receive callbacks: after
 * every input and timer tick the holder drains its socket with usrsctp_recvv() (messages
 * and SCTP_ASSOC_CHANGE notifications) and, when listening, accepts. Callbacks are thus
 * never called from inside usrsctp, so they may send.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <usrsctp.h>

#include "mxp_sctp.h"

#define HOLDERS_MAX 16
#define SNDBUF (256 * 1024)
#define RCVBUF (256 * 1024)

struct mxp_sctp {
	struct mxp_sctp_params p;
	struct socket *lso;          /* listening socket (listen side) */
	struct socket *so;           /* the association's socket */
	enum mxp_sctp_state st;
	struct mxp_sctp_counters c;
	bool registered;
	bool skip;                   /* the message being received is too big: to its end */
	size_t rlen;                 /* bytes of the message being received */
	uint8_t rbuf[];              /* max_msg bytes */
};

static struct mxp_sctp *holders[HOLDERS_MAX];
static unsigned int nholders;
static uint64_t last_tick_ms;

static bool
holder_live(const void *addr)
{
	for (unsigned int i = 0; i < HOLDERS_MAX; i++)
		if (holders[i] != NULL && holders[i] == addr)
			return true;
	return false;
}

/* usrsctp's output: one SCTP packet of the holder addr. Holders that are gone (a closing
 * association's last timer) send nothing. */
static int
conn_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
	(void)tos;
	(void)set_df;
	if (!holder_live(addr))
		return EHOSTUNREACH;
	struct mxp_sctp *s = addr;
	s->c.pkts_out++;
	int r = s->p.output(s->p.arg, buf, len);
	return r < 0 ? -r : 0;
}

/* The first holder starts usrsctp: no UDP encapsulation port, no threads but its idle
 * iterator, no debug output. */
static void
stack_start(void)
{
	if (nholders > 0)
		return;
	usrsctp_init_nothreads(0, conn_output, NULL);
	/* no ECN: the outer IP header is ESP's, the stack never sees its ECN bits */
	usrsctp_sysctl_set_sctp_ecn_enable(0);
	last_tick_ms = 0;
}

static void
stack_stop(void)
{
	if (nholders > 0)
		return;
	/* usrsctp_finish() fails while associations are being freed: tick until it succeeds */
	for (int i = 0; i < 100 && usrsctp_finish() != 0; i++)
		usrsctp_handle_timers(100);
}

size_t
mxp_sctp_size(size_t max_msg)
{
	return sizeof(struct mxp_sctp) + max_msg;
}

static int
sockopt(struct socket *so, int level, int name, const void *v, socklen_t len, const char *what,
	char *err, size_t errlen)
{
	if (usrsctp_setsockopt(so, level, name, v, len) == 0)
		return 0;
	int e = errno;
	if (err)
		snprintf(err, errlen, "usrsctp_setsockopt(%s): %s", what, strerror(e));
	return -e;
}

static struct sockaddr_conn
conn_addr(struct mxp_sctp *s, uint16_t port)
{
	struct sockaddr_conn sc;
	memset(&sc, 0, sizeof(sc));
	sc.sconn_family = AF_CONN;
	sc.sconn_port = htons(port);
	sc.sconn_addr = s;
	return sc;
}

/* A fresh socket with every option of the holder, bound to its port. */
static struct socket *
open_socket(struct mxp_sctp *s, char *err, size_t errlen)
{
	struct socket *so = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0,
					   NULL);
	if (so == NULL) {
		snprintf(err, errlen, "usrsctp_socket: %s", strerror(errno));
		return NULL;
	}
	const struct mxp_sctp_timers *t = &s->p.timers;
	int one = 1, sb = SNDBUF, rb = RCVBUF;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 }; /* close = ABORT, at once */
	struct sctp_event ev = { .se_assoc_id = SCTP_FUTURE_ASSOC, .se_type = SCTP_ASSOC_CHANGE,
				 .se_on = 1 };
	struct sctp_initmsg im = { .sinit_num_ostreams = 1, .sinit_max_instreams = 16,
				   .sinit_max_attempts = (uint16_t)(t->max_init_retrans + 1),
				   .sinit_max_init_timeo = (uint16_t)t->rto_max_ms };
	struct sctp_rtoinfo rto = { .srto_assoc_id = SCTP_FUTURE_ASSOC,
				    .srto_initial = t->rto_initial_ms, .srto_max = t->rto_max_ms,
				    .srto_min = t->rto_min_ms };
	struct sctp_assocparams ap = { .sasoc_assoc_id = SCTP_FUTURE_ASSOC,
				       .sasoc_asocmaxrxt = t->max_retrans };
	struct sctp_paddrparams pp;
	memset(&pp, 0, sizeof(pp));
	pp.spp_address.ss_family = AF_CONN;
	pp.spp_assoc_id = SCTP_FUTURE_ASSOC;
	pp.spp_flags = SPP_PMTUD_DISABLE | (t->hb_interval_ms ? SPP_HB_ENABLE : 0);
	pp.spp_pathmtu = s->p.mtu;
	pp.spp_hbinterval = t->hb_interval_ms;
	pp.spp_pathmaxrxt = t->max_retrans;
	struct sockaddr_conn sc = conn_addr(s, s->p.local_port);
	int r = usrsctp_set_non_blocking(so, 1) == 0 ? 0 : -errno;
	if (r)
		snprintf(err, errlen, "usrsctp_set_non_blocking: %s", strerror(-r));
	if (r == 0)
		r = sockopt(so, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg), "SO_LINGER", err, errlen);
	if (r == 0)
		r = sockopt(so, SOL_SOCKET, SO_SNDBUF, &sb, sizeof(sb), "SO_SNDBUF", err, errlen);
	if (r == 0)
		r = sockopt(so, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb), "SO_RCVBUF", err, errlen);
	if (r == 0)
		r = sockopt(so, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one), "SCTP_NODELAY", err,
			    errlen);
	if (r == 0)
		r = sockopt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one),
			    "SCTP_RECVRCVINFO", err, errlen);
	if (r == 0)
		r = sockopt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev), "SCTP_EVENT", err,
			    errlen);
	if (r == 0 && (t->max_init_retrans || t->rto_max_ms))
		r = sockopt(so, IPPROTO_SCTP, SCTP_INITMSG, &im, sizeof(im), "SCTP_INITMSG", err,
			    errlen);
	if (r == 0 && (t->rto_initial_ms || t->rto_min_ms || t->rto_max_ms))
		r = sockopt(so, IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto), "SCTP_RTOINFO",
			    err, errlen);
	if (r == 0 && t->max_retrans)
		r = sockopt(so, IPPROTO_SCTP, SCTP_ASSOCINFO, &ap, sizeof(ap), "SCTP_ASSOCINFO",
			    err, errlen);
	if (r == 0)
		r = sockopt(so, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &pp, sizeof(pp),
			    "SCTP_PEER_ADDR_PARAMS", err, errlen);
	if (r == 0 && usrsctp_bind(so, (struct sockaddr *)&sc, sizeof(sc)) != 0) {
		r = -errno;
		snprintf(err, errlen, "usrsctp_bind(port %u): %s", s->p.local_port, strerror(-r));
	}
	if (r != 0) {
		usrsctp_close(so);
		return NULL;
	}
	return so;
}

int
mxp_sctp_init(struct mxp_sctp *s, const struct mxp_sctp_params *p, char *err, size_t errlen)
{
	if (p->output == NULL || p->recv == NULL || p->event == NULL) {
		snprintf(err, errlen, "lib/sctp: output, recv and event callbacks are required");
		return -EINVAL;
	}
	if (p->max_msg == 0 || p->max_msg > (1u << 20) || p->mtu < 576 || p->local_port == 0 ||
	    p->peer_port == 0) {
		snprintf(err, errlen, "lib/sctp: bad parameters (max_msg 1..1 MiB, mtu >= 576, "
				      "ports 1..65535)");
		return -EINVAL;
	}
	if (nholders == HOLDERS_MAX) {
		snprintf(err, errlen, "lib/sctp: at most %d holders", HOLDERS_MAX);
		return -ENOSPC;
	}
	memset(s, 0, sizeof(*s));
	s->p = *p;
	int r;
	stack_start();
	for (unsigned int i = 0; i < HOLDERS_MAX; i++) {
		if (holders[i] == NULL) {
			holders[i] = s;
			break;
		}
	}
	nholders++;
	usrsctp_register_address(s);
	s->registered = true;
	if (p->listen) {
		s->lso = open_socket(s, err, errlen);
		if (s->lso == NULL) {
			mxp_sctp_fini(s);
			return -EIO;
		}
		if (usrsctp_listen(s->lso, 1) != 0) {
			r = -errno;
			snprintf(err, errlen, "usrsctp_listen: %s", strerror(-r));
			mxp_sctp_fini(s);
			return r;
		}
		s->st = MXP_SCTP_ST_LISTENING;
	}
	return 0;
}

static void
close_assoc(struct mxp_sctp *s)
{
	if (s->so != NULL) {
		usrsctp_close(s->so); /* SO_LINGER 0: ABORT if still up */
		s->so = NULL;
	}
	s->rlen = 0;
	s->skip = false;
	s->st = s->p.listen ? MXP_SCTP_ST_LISTENING : MXP_SCTP_ST_IDLE;
}

void
mxp_sctp_fini(struct mxp_sctp *s)
{
	close_assoc(s);
	if (s->lso != NULL) {
		usrsctp_close(s->lso);
		s->lso = NULL;
	}
	if (s->registered) {
		usrsctp_deregister_address(s);
		s->registered = false;
		for (unsigned int i = 0; i < HOLDERS_MAX; i++)
			if (holders[i] == s)
				holders[i] = NULL;
		nholders--;
		stack_stop();
	}
	explicit_bzero(s->rbuf, s->p.max_msg);
	s->st = MXP_SCTP_ST_IDLE;
}

int
mxp_sctp_connect(struct mxp_sctp *s)
{
	if (s->p.listen)
		return -EINVAL;
	if (s->st != MXP_SCTP_ST_IDLE)
		return -EALREADY;
	close_assoc(s);
	char err[128];
	s->so = open_socket(s, err, sizeof(err));
	if (s->so == NULL)
		return -EIO;
	struct sockaddr_conn sc = conn_addr(s, s->p.peer_port);
	if (usrsctp_connect(s->so, (struct sockaddr *)&sc, sizeof(sc)) != 0 &&
	    errno != EINPROGRESS) {
		int e = errno;
		close_assoc(s);
		return -e;
	}
	s->st = MXP_SCTP_ST_CONNECTING;
	return 0;
}

static void
on_notification(struct mxp_sctp *s, const uint8_t *buf, size_t len)
{
	const union sctp_notification *n = (const union sctp_notification *)buf;
	if (len < sizeof(n->sn_header) || n->sn_header.sn_type != SCTP_ASSOC_CHANGE ||
	    len < sizeof(struct sctp_assoc_change))
		return;
	enum mxp_sctp_event ev;
	switch (n->sn_assoc_change.sac_state) {
	case SCTP_COMM_UP:
		s->st = MXP_SCTP_ST_UP;
		s->c.comm_up++;
		ev = MXP_SCTP_EV_COMM_UP;
		break;
	case SCTP_RESTART:
		s->st = MXP_SCTP_ST_UP;
		s->c.restarts++;
		ev = MXP_SCTP_EV_RESTART;
		break;
	case SCTP_COMM_LOST:
		s->c.comm_lost++;
		ev = MXP_SCTP_EV_COMM_LOST;
		close_assoc(s);
		break;
	case SCTP_SHUTDOWN_COMP:
		s->c.shutdowns++;
		ev = MXP_SCTP_EV_SHUTDOWN_COMP;
		close_assoc(s);
		break;
	case SCTP_CANT_STR_ASSOC:
		s->c.cant_start++;
		ev = MXP_SCTP_EV_CANT_START;
		close_assoc(s);
		break;
	default:
		return;
	}
	s->p.event(s->p.arg, ev);
}

/* A piece of a user message (MSG_EOR on its last piece). */
static void
on_data(struct mxp_sctp *s, const uint8_t *buf, size_t len, const struct sctp_rcvinfo *ri,
	bool eor)
{
	if (!s->skip && s->rlen + len > s->p.max_msg) {
		s->skip = true;
		s->c.msgs_too_big++;
	}
	if (!s->skip) {
		memcpy(s->rbuf + s->rlen, buf, len);
		s->rlen += len;
	}
	if (!eor)
		return;
	bool deliver = !s->skip;
	if (deliver && ntohl(ri->rcv_ppid) != s->p.ppid) {
		s->c.msgs_bad_ppid++;
		deliver = false;
	}
	size_t n = s->rlen;
	s->rlen = 0;
	s->skip = false;
	if (deliver) {
		s->c.msgs_in++;
		s->c.bytes_in += n;
		s->p.recv(s->p.arg, s->rbuf, n);
	}
	explicit_bzero(s->rbuf, n);
}

/* Accept a new association (listen side), then read what the socket holds. */
static void
drain(struct mxp_sctp *s)
{
	static uint8_t buf[65536];
	if (s->lso != NULL) {
		struct socket *ns;
		while ((ns = usrsctp_accept(s->lso, NULL, NULL)) != NULL) {
			/* a new association replaces the old one (the MRFP restarted) */
			if (s->so != NULL)
				usrsctp_close(s->so);
			s->so = ns;
			s->rlen = 0;
			s->skip = false;
			usrsctp_set_non_blocking(ns, 1);
		}
	}
	for (int guard = 0; guard < 100000 && s->so != NULL; guard++) {
		struct sctp_rcvinfo ri;
		socklen_t ril = sizeof(ri);
		unsigned int it = 0;
		int flags = 0;
		struct sockaddr_conn from;
		socklen_t fl = sizeof(from);
		memset(&ri, 0, sizeof(ri));
		ssize_t n = usrsctp_recvv(s->so, buf, sizeof(buf), (struct sockaddr *)&from, &fl,
					  &ri, &ril, &it, &flags);
		if (n < 0)
			break; /* EWOULDBLOCK, or the socket has no association */
		if (n == 0 && !(flags & MSG_NOTIFICATION)) {
			/* end of file: the peer shut the association down */
			s->c.shutdowns++;
			close_assoc(s);
			s->p.event(s->p.arg, MXP_SCTP_EV_SHUTDOWN_COMP);
			break;
		}
		if (flags & MSG_NOTIFICATION)
			on_notification(s, buf, (size_t)n);
		else
			on_data(s, buf, (size_t)n, &ri, (flags & MSG_EOR) != 0);
	}
	explicit_bzero(buf, sizeof(buf));
}

void
mxp_sctp_input(struct mxp_sctp *s, const uint8_t *pkt, size_t len)
{
	s->c.pkts_in++;
	usrsctp_conninput(s, pkt, len, 0);
	drain(s);
}

int
mxp_sctp_send(struct mxp_sctp *s, const void *msg, size_t len)
{
	if (s->st != MXP_SCTP_ST_UP || s->so == NULL) {
		s->c.send_failed++;
		return -ENOTCONN;
	}
	if (len > SNDBUF) {
		s->c.send_failed++;
		return -EMSGSIZE;
	}
	struct sctp_sndinfo si = { .snd_sid = 0, .snd_flags = 0, .snd_ppid = htonl(s->p.ppid) };
	ssize_t n = usrsctp_sendv(s->so, msg, len, NULL, 0, &si, sizeof(si), SCTP_SENDV_SNDINFO,
				  0);
	if (n < 0) {
		int e = errno;
		s->c.send_failed++;
		return e == EWOULDBLOCK ? -EAGAIN : -e;
	}
	s->c.msgs_out++;
	s->c.bytes_out += len;
	/* no drain here: callbacks send, and must not be re-entered */
	return 0;
}

void
mxp_sctp_abort(struct mxp_sctp *s)
{
	close_assoc(s);
}

void
mxp_sctp_timer(uint64_t now_ms)
{
	if (nholders == 0)
		return;
	if (last_tick_ms == 0 || now_ms < last_tick_ms)
		last_tick_ms = now_ms;
	uint64_t el = now_ms - last_tick_ms;
	if (el == 0)
		return;
	last_tick_ms = now_ms;
	usrsctp_handle_timers(el > 60000 ? 60000 : (uint32_t)el);
	for (unsigned int i = 0; i < HOLDERS_MAX; i++)
		if (holders[i] != NULL)
			drain(holders[i]);
}

enum mxp_sctp_state
mxp_sctp_state_get(const struct mxp_sctp *s)
{
	return s->st;
}

const struct mxp_sctp_counters *
mxp_sctp_counters_get(const struct mxp_sctp *s)
{
	return &s->c;
}

const char *
mxp_sctp_state_name(enum mxp_sctp_state st)
{
	switch (st) {
	case MXP_SCTP_ST_IDLE:
		return "idle";
	case MXP_SCTP_ST_CONNECTING:
		return "connecting";
	case MXP_SCTP_ST_LISTENING:
		return "listening";
	case MXP_SCTP_ST_UP:
		return "up";
	}
	return "?";
}

const char *
mxp_sctp_event_name(enum mxp_sctp_event ev)
{
	switch (ev) {
	case MXP_SCTP_EV_COMM_UP:
		return "comm_up";
	case MXP_SCTP_EV_COMM_LOST:
		return "comm_lost";
	case MXP_SCTP_EV_RESTART:
		return "restart";
	case MXP_SCTP_EV_SHUTDOWN_COMP:
		return "shutdown_comp";
	case MXP_SCTP_EV_CANT_START:
		return "cant_start";
	}
	return "?";
}
