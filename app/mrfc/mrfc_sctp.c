/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mrfc --transport sctp: H.248.4 over SCTP inside ESP, the MRFC side. The MRFP opens the
 * association (TS 29.333): mrfc listens on its H.248 port (lib/sctp over usrsctp, AF_CONN:
 * the SCTP packets travel as ESP payloads of next header 132 through mrfc_io.c), waits for
 * it, and queues the whole H.248 messages it delivers for mrfc_io_recv(). At exit the
 * association is aborted: the MRFP sees it lost and associates again for the next run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mrfc.h"
#include "mxp_sctp.h"

#define QLEN 8

struct mrfc_sctp {
	struct mxp_sctp *a;
	unsigned int qh, qn;
	size_t qlen[QLEN];
	char q[QLEN][MXP_MP_MSG_MAX + 1];
	int verbose;
};

/* mrfc's timers: the MRFP's (mp_sctp.c), so both ends notice a loss alike. */
static const struct mxp_sctp_timers mrfc_timers = {
	.rto_initial_ms = 1000, .rto_min_ms = 200, .rto_max_ms = 1000, .hb_interval_ms = 1000,
	.max_retrans = 4, .max_init_retrans = 4,
};

static int
out(void *arg, const uint8_t *pkt, size_t len)
{
	return mrfc_io_send_esp(arg, MXP_SCTP_IPPROTO, pkt, len);
}

static void
recv_msg(void *arg, uint8_t *msg, size_t len)
{
	struct mrfc_io *io = arg;
	struct mrfc_sctp *m = io->sctp;
	if (m->qn == QLEN || len > MXP_MP_MSG_MAX) {
		fprintf(stderr, "mrfc: SCTP message of %zu bytes dropped (%s)\n", len,
			m->qn == QLEN ? "queue full" : "too large");
		return;
	}
	unsigned int i = (m->qh + m->qn++) % QLEN;
	memcpy(m->q[i], msg, len);
	m->q[i][len] = '\0';
	m->qlen[i] = len;
}

static void
event(void *arg, enum mxp_sctp_event ev)
{
	struct mrfc_io *io = arg;
	if (io->verbose || ev != MXP_SCTP_EV_COMM_UP)
		fprintf(stderr, "mrfc: SCTP association: %s\n", mxp_sctp_event_name(ev));
}

int
mrfc_sctp_open(struct mrfc_io *io, char *err, size_t errlen)
{
	struct mrfc_sctp *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->a = malloc(mxp_sctp_size(MXP_MP_MSG_MAX));
	if (m->a == NULL) {
		free(m);
		return -ENOMEM;
	}
	io->sctp = m;
	struct mxp_sctp_params p = { .listen = true, .local_port = io->local_mp_port,
				     .peer_port = io->mp_port, .ppid = MXP_SCTP_PPID_H248,
				     .mtu = 1200, .max_msg = MXP_MP_MSG_MAX, .timers = mrfc_timers,
				     .output = out, .recv = recv_msg, .event = event, .arg = io };
	char e[200];
	int r = mxp_sctp_init(m->a, &p, e, sizeof(e));
	if (r) {
		snprintf(err, errlen, "SCTP: %s", e);
		free(m->a);
		free(m);
		io->sctp = NULL;
	}
	return r;
}

bool
mrfc_sctp_up(const struct mrfc_io *io)
{
	return mxp_sctp_state_get(io->sctp->a) == MXP_SCTP_ST_UP;
}

void
mrfc_sctp_close(struct mrfc_io *io)
{
	struct mrfc_sctp *m = io->sctp;
	if (m == NULL)
		return;
	mxp_sctp_fini(m->a); /* ABORT */
	free(m->a);
	explicit_bzero(m, sizeof(*m));
	free(m);
	io->sctp = NULL;
}

int
mrfc_sctp_send(struct mrfc_io *io, const char *msg, size_t len)
{
	int r = mxp_sctp_send(io->sctp->a, msg, len);
	if (r == -ENOTCONN)
		fprintf(stderr, "mrfc: no SCTP association with the MRFP\n");
	return r;
}

void
mrfc_sctp_input(struct mrfc_io *io, const uint8_t *pkt, size_t len)
{
	mxp_sctp_input(io->sctp->a, pkt, len);
}

void
mrfc_sctp_tick(struct mrfc_io *io)
{
	(void)io;
	mxp_sctp_timer(mxp_clock_ms());
}

int
mrfc_sctp_take(struct mrfc_io *io, char *buf, size_t cap)
{
	struct mrfc_sctp *m = io->sctp;
	if (m->qn == 0)
		return 0;
	unsigned int i = m->qh;
	m->qh = (m->qh + 1) % QLEN;
	m->qn--;
	size_t n = m->qlen[i];
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, m->q[i], n);
	buf[n] = '\0';
	explicit_bzero(m->q[i], m->qlen[i]);
	return (int)n;
}
