/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/sctp: two holders in one process (an MRFP that connects, an MRFC that listens) wired
 * back to back through their output callbacks: no kernel socket, a fake clock for the
 * timers. The wire can drop every Nth packet or everything; the SCTP packets are inspected
 * (DATA chunks: PPID, stream, ordered).
 *
 * usrsctp reads the time twice: the ticks it is given (mxp_sctp_timer) and gettimeofday()
 * (when a chunk was sent: a T3 timeout resends only chunks older than the RTO). This
 * executable defines gettimeofday() so that both follow the fake clock (the shared
 * libusrsctp resolves it here first): the test runs in milliseconds with no sleep.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "mxp_sctp.h"
#include "mxp_test.h"

#define QMAX 8192
#define PKT_MAX 1500

struct side;

struct pkt {
	struct side *to;
	size_t len;
	uint8_t b[PKT_MAX];
};

static struct pkt *q;
static unsigned int qh, qt;

struct msg {
	size_t len;
	uint8_t *b;
};

struct side {
	struct mxp_sctp *s;
	struct side *peer;
	struct msg msgs[16];
	unsigned int nmsgs;
	enum mxp_sctp_event ev[16];
	unsigned int nev;
};

static struct side A, B;
static uint64_t now_ms = 1000;

int
gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	(void)tz;
	uint64_t us = (1700000000000ull + now_ms) * 1000;
	tv->tv_sec = (time_t)(us / 1000000);
	tv->tv_usec = (suseconds_t)(us % 1000000);
	return 0;
}
static unsigned int drop_every;  /* drop every Nth packet on the wire (0: none) */
static bool wire_cut;            /* drop everything */
static uint64_t wire_pkts, wire_dropped;
/* what the DATA chunks on the wire carried */
static uint64_t data_chunks, data_ppid_other, data_sid_other, data_unordered;

static void
inspect(const uint8_t *p, size_t len)
{
	size_t off = 12;
	while (off + 4 <= len) {
		uint8_t type = p[off], flags = p[off + 1];
		size_t cl = (size_t)p[off + 2] << 8 | p[off + 3];
		if (cl < 4 || off + cl > len)
			break;
		if (type == 0 && cl >= 16) { /* DATA: TSN, stream, SSN, PPID */
			data_chunks++;
			uint16_t sid = (uint16_t)(p[off + 8] << 8 | p[off + 9]);
			uint32_t ppid;
			memcpy(&ppid, p + off + 12, 4);
			data_ppid_other += ntohl(ppid) != MXP_SCTP_PPID_H248;
			data_sid_other += sid != 0;
			data_unordered += (flags & 0x04) != 0;
		}
		off += (cl + 3) & ~(size_t)3;
	}
}

static int
output(void *arg, const uint8_t *pkt, size_t len)
{
	struct side *from = arg;
	wire_pkts++;
	inspect(pkt, len);
	if (wire_cut || (drop_every && wire_pkts % drop_every == 0)) {
		wire_dropped++;
		return 0;
	}
	if (len > PKT_MAX || (qt + 1) % QMAX == qh)
		return -ENOBUFS;
	struct pkt *k = &q[qt];
	qt = (qt + 1) % QMAX;
	k->to = from->peer;
	k->len = len;
	memcpy(k->b, pkt, len);
	return 0;
}

static void
on_recv(void *arg, uint8_t *m, size_t len)
{
	struct side *sd = arg;
	if (sd->nmsgs == 16)
		return;
	struct msg *g = &sd->msgs[sd->nmsgs++];
	g->b = malloc(len);
	memcpy(g->b, m, len);
	g->len = len;
}

static void
on_event(void *arg, enum mxp_sctp_event ev)
{
	struct side *sd = arg;
	if (sd->nev < 16)
		sd->ev[sd->nev++] = ev;
}

/* Deliver what is on the wire, then let 10 ms pass. */
static void
step(void)
{
	while (qh != qt) {
		struct pkt *k = &q[qh];
		qh = (qh + 1) % QMAX;
		mxp_sctp_input(k->to->s, k->b, k->len);
	}
	now_ms += 10;
	mxp_sctp_timer(now_ms);
}

/* Step until cond holds or max_ms of fake time passed; true if it held. */
#define RUN_UNTIL(cond, max_ms) ({ \
	uint64_t end_ = now_ms + (max_ms); \
	while (!(cond) && now_ms < end_) \
		step(); \
	(bool)(cond); })

static const struct mxp_sctp_timers timers = {
	.rto_initial_ms = 300, .rto_min_ms = 100, .rto_max_ms = 1000, .hb_interval_ms = 1000,
	.max_retrans = 3, .max_init_retrans = 3,
};

static bool
sides_up(struct mxp_test_ctx *t)
{
	memset(&A, 0, sizeof(A));
	memset(&B, 0, sizeof(B));
	A.peer = &B;
	B.peer = &A;
	qh = qt = 0;
	drop_every = 0;
	wire_cut = false;
	wire_pkts = wire_dropped = 0;
	data_chunks = data_ppid_other = data_sid_other = data_unordered = 0;
	struct mxp_sctp_params p = { .local_port = MXP_SCTP_H248_PORT,
				     .peer_port = MXP_SCTP_H248_PORT, .ppid = MXP_SCTP_PPID_H248,
				     .mtu = 1200, .max_msg = 65536, .timers = timers,
				     .output = output, .recv = on_recv, .event = on_event };
	char err[160] = "";
	A.s = malloc(mxp_sctp_size(p.max_msg));
	B.s = malloc(mxp_sctp_size(p.max_msg));
	p.arg = &B;
	p.listen = true;
	int r = mxp_sctp_init(B.s, &p, err, sizeof(err));
	if (r) {
		mxp_test_fail(t, __FILE__, __LINE__, "init: %s", err);
		return false;
	}
	p.arg = &A;
	p.listen = false;
	r = mxp_sctp_init(A.s, &p, err, sizeof(err));
	if (r)
		mxp_test_fail(t, __FILE__, __LINE__, "init: %s", err);
	MXP_CHECK_EQ(t, mxp_sctp_state_get(B.s), MXP_SCTP_ST_LISTENING);
	return r == 0;
}

static void
sides_down(void)
{
	mxp_sctp_fini(A.s);
	mxp_sctp_fini(B.s);
	free(A.s);
	free(B.s);
	for (unsigned int i = 0; i < A.nmsgs; i++)
		free(A.msgs[i].b);
	for (unsigned int i = 0; i < B.nmsgs; i++)
		free(B.msgs[i].b);
}

static bool
has_event(const struct side *sd, enum mxp_sctp_event ev)
{
	for (unsigned int i = 0; i < sd->nev; i++)
		if (sd->ev[i] == ev)
			return true;
	return false;
}

static void
fill(uint8_t *b, size_t len, unsigned int seed)
{
	/* H.248-looking text, different per message */
	int n = snprintf((char *)b, len, "MEGACO/3 [192.0.2.%u]:2944\nTransaction = %u {", seed,
			 seed);
	for (size_t i = (size_t)n; i < len; i++)
		b[i] = (uint8_t)('a' + (i * 7 + seed) % 26);
}

static void
connect_up(struct mxp_test_ctx *t)
{
	MXP_CHECK_EQ(t, mxp_sctp_connect(A.s), 0);
	MXP_CHECK_EQ(t, mxp_sctp_state_get(A.s), MXP_SCTP_ST_CONNECTING);
	MXP_CHECK(t, RUN_UNTIL(mxp_sctp_state_get(A.s) == MXP_SCTP_ST_UP &&
				       mxp_sctp_state_get(B.s) == MXP_SCTP_ST_UP,
			       20000));
	MXP_CHECK(t, has_event(&A, MXP_SCTP_EV_COMM_UP));
	MXP_CHECK(t, has_event(&B, MXP_SCTP_EV_COMM_UP));
}

/* Messages of 60 KB, 100 B and 30 KB each way, every 5th packet lost: all delivered whole
 * and in order, as DATA with PPID 7 on stream 0, ordered. */
MXP_TEST(big_messages_lossy)
{
	if (!sides_up(t))
		return;
	drop_every = 5;
	connect_up(t);
	static const size_t sizes[3] = { 60 * 1024, 100, 30 * 1024 };
	static uint8_t m[3][60 * 1024];
	for (int i = 0; i < 3; i++) {
		fill(m[i], sizes[i], 10 + (unsigned int)i);
		MXP_CHECK_EQ(t, mxp_sctp_send(A.s, m[i], sizes[i]), 0);
	}
	for (int i = 0; i < 3; i++)
		MXP_CHECK_EQ(t, mxp_sctp_send(B.s, m[2 - i], sizes[2 - i]), 0);
	MXP_CHECK(t, RUN_UNTIL(A.nmsgs == 3 && B.nmsgs == 3, 60000));
	MXP_CHECK_EQ(t, B.nmsgs, 3);
	MXP_CHECK_EQ(t, A.nmsgs, 3);
	for (unsigned int i = 0; i < B.nmsgs && i < 3; i++) {
		MXP_CHECK_EQ(t, B.msgs[i].len, sizes[i]);
		if (B.msgs[i].len == sizes[i])
			MXP_CHECK_MEM(t, B.msgs[i].b, m[i], sizes[i]);
	}
	for (unsigned int i = 0; i < A.nmsgs && i < 3; i++) {
		MXP_CHECK_EQ(t, A.msgs[i].len, sizes[2 - i]);
		if (A.msgs[i].len == sizes[2 - i])
			MXP_CHECK_MEM(t, A.msgs[i].b, m[2 - i], sizes[2 - i]);
	}
	MXP_CHECK(t, wire_dropped > 10); /* the loss really happened */
	MXP_CHECK(t, data_chunks > 2 * (90 * 1024 / 1200));
	MXP_CHECK_EQ(t, data_ppid_other, 0);
	MXP_CHECK_EQ(t, data_sid_other, 0);
	MXP_CHECK_EQ(t, data_unordered, 0);
	const struct mxp_sctp_counters *c = mxp_sctp_counters_get(B.s);
	MXP_CHECK_EQ(t, c->msgs_in, 3);
	MXP_CHECK_EQ(t, c->bytes_in, 90 * 1024 + 100);
	MXP_CHECK_EQ(t, c->msgs_out, 3);
	sides_down();
}

/* A message past the receiver's max_msg is dropped and counted; the next one arrives. */
MXP_TEST(too_big_dropped)
{
	if (!sides_up(t))
		return;
	connect_up(t);
	static uint8_t m[70 * 1024];
	fill(m, sizeof(m), 3);
	MXP_CHECK_EQ(t, mxp_sctp_send(A.s, m, sizeof(m)), 0);
	MXP_CHECK_EQ(t, mxp_sctp_send(A.s, m, 200), 0);
	MXP_CHECK(t, RUN_UNTIL(B.nmsgs == 1, 10000));
	MXP_CHECK_EQ(t, mxp_sctp_counters_get(B.s)->msgs_too_big, 1);
	MXP_CHECK_EQ(t, B.nmsgs, 1);
	if (B.nmsgs == 1) {
		MXP_CHECK_EQ(t, B.msgs[0].len, 200);
		MXP_CHECK_MEM(t, B.msgs[0].b, m, 200);
	}
	sides_down();
}

/* An abort is reported to the peer as lost; the connect side associates again and the
 * listening side accepts the new association. */
MXP_TEST(abort_and_again)
{
	if (!sides_up(t))
		return;
	connect_up(t);
	MXP_CHECK_EQ(t, mxp_sctp_send(A.s, "x", 1), 0);
	mxp_sctp_abort(A.s);
	MXP_CHECK_EQ(t, mxp_sctp_state_get(A.s), MXP_SCTP_ST_IDLE);
	MXP_CHECK(t, RUN_UNTIL(has_event(&B, MXP_SCTP_EV_COMM_LOST), 1000));
	MXP_CHECK_EQ(t, mxp_sctp_state_get(B.s), MXP_SCTP_ST_LISTENING);
	MXP_CHECK_EQ(t, mxp_sctp_send(B.s, "y", 1), -ENOTCONN);
	A.nev = B.nev = 0;
	connect_up(t);
	unsigned int before = B.nmsgs;
	MXP_CHECK_EQ(t, mxp_sctp_send(A.s, "again", 5), 0);
	MXP_CHECK(t, RUN_UNTIL(B.nmsgs == before + 1, 2000));
	/* and the other way: the listening side aborts */
	mxp_sctp_abort(B.s);
	MXP_CHECK_EQ(t, mxp_sctp_state_get(B.s), MXP_SCTP_ST_LISTENING);
	MXP_CHECK(t, RUN_UNTIL(has_event(&A, MXP_SCTP_EV_COMM_LOST), 1000));
	MXP_CHECK_EQ(t, mxp_sctp_state_get(A.s), MXP_SCTP_ST_IDLE);
	sides_down();
}

/* A peer that goes silent (the wire cut) is detected by heartbeats: COMM_LOST both sides. */
MXP_TEST(silent_peer_lost)
{
	if (!sides_up(t))
		return;
	connect_up(t);
	wire_cut = true;
	MXP_CHECK(t, RUN_UNTIL(has_event(&A, MXP_SCTP_EV_COMM_LOST) &&
				       has_event(&B, MXP_SCTP_EV_COMM_LOST),
			       60000));
	MXP_CHECK_EQ(t, mxp_sctp_state_get(A.s), MXP_SCTP_ST_IDLE);
	MXP_CHECK_EQ(t, mxp_sctp_counters_get(A.s)->comm_lost, 1);
	sides_down();
}

/* INIT never answered: CANT_START. */
MXP_TEST(nobody_there)
{
	if (!sides_up(t))
		return;
	wire_cut = true;
	MXP_CHECK_EQ(t, mxp_sctp_connect(A.s), 0);
	MXP_CHECK_EQ(t, mxp_sctp_connect(A.s), -EALREADY);
	MXP_CHECK(t, RUN_UNTIL(has_event(&A, MXP_SCTP_EV_CANT_START), 60000));
	MXP_CHECK_EQ(t, mxp_sctp_state_get(A.s), MXP_SCTP_ST_IDLE);
	MXP_CHECK_EQ(t, mxp_sctp_send(A.s, "x", 1), -ENOTCONN);
	sides_down();
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(big_messages_lossy), MXP_CASE(too_big_dropped), MXP_CASE(abort_and_again),
	MXP_CASE(silent_peer_lost), MXP_CASE(nobody_there),
};

int
main(int argc, char **argv)
{
	q = calloc(QMAX, sizeof(*q));
	int r = mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
	free(q);
	return r;
}
