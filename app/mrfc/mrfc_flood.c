/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mrfc flood: Mp traffic beyond what an MRFC sends, inside the same valid ESP, to show
 * what the MRFP does under it (doc/reliability.md "Mp floods").
 *
 *   mrfc flood kind=garbage|audit|retransmit rate=N|max seconds=S [drain=MS]
 *
 *   garbage     random printable bytes where H.248 text should be (a message without a
 *               header): the MRFP can only drop them (H.248.1 Annex D: no transaction to
 *               answer) and count them
 *   audit       new transactions (AuditValue of ROOT, each its own TransactionId) as fast
 *               as asked, never waiting: each must get a reply, a Pending, or a 5xx error
 *   retransmit  one AuditValue transaction sent again and again under the same id: each
 *               copy must be answered from the reply cache (the same reply), never executed
 *               again
 *
 * Open loop: sending never waits for replies; replies are taken between sends and for
 * drain= milliseconds (2000) after the last. Prints one table and one JSON line
 * ("mrfc":"flood") with what was sent, answered (by kind of answer and error code), how
 * fast, and the reply latency; exit 0 when it ran (the caller judges the figures).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "mrfc.h"

#define FLOOD_MAX_TRANS 4000000u
#define FLOOD_CODES 16

static struct mxp_mp_msg frep;
static char fbuf[MXP_MP_MSG_MAX + 1];

struct flood_stats {
	uint64_t sent, send_fail;
	uint64_t replies, pending, errors, msg_errors, other;
	uint64_t dup_replies;        /* a second reply to one transaction */
	uint16_t code[FLOOD_CODES];
	uint64_t code_n[FLOOD_CODES];
	uint64_t lat_n;
	double lat_sum_ms;
};

static void
count_code(struct flood_stats *st, uint16_t code)
{
	st->errors++;
	for (unsigned int i = 0; i < FLOOD_CODES; i++) {
		if (st->code_n[i] == 0 || st->code[i] == code) {
			st->code[i] = code;
			st->code_n[i]++;
			return;
		}
	}
}

static uint64_t
clock_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int
mrfc_flood(struct mrfc_io *io, const char *mid, uint32_t first_tid, int argc, char **argv)
{
	const char *kind = "audit";
	double rate = 0, seconds = 5;
	bool max = false;
	unsigned long drain_ms = 2000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;
		if (strncmp(a, "kind=", 5) == 0) {
			kind = a + 5;
		} else if (strncmp(a, "rate=", 5) == 0) {
			if (strcmp(a + 5, "max") == 0) {
				max = true;
			} else {
				rate = strtod(a + 5, &end);
				if (*end || !(rate > 0 && rate <= 1e6)) {
					fprintf(stderr, "mrfc flood: rate=%s: 1..1000000 messages/s or "
						"max\n", a + 5);
					return 1;
				}
			}
		} else if (strncmp(a, "seconds=", 8) == 0) {
			seconds = strtod(a + 8, &end);
			if (*end || !(seconds > 0 && seconds <= 3600)) {
				fprintf(stderr, "mrfc flood: seconds=%s: 0..3600\n", a + 8);
				return 1;
			}
		} else if (strncmp(a, "drain=", 6) == 0) {
			drain_ms = strtoul(a + 6, &end, 10);
			if (*end || drain_ms > 60000) {
				fprintf(stderr, "mrfc flood: drain=%s: 0..60000 ms\n", a + 6);
				return 1;
			}
		} else {
			fprintf(stderr, "mrfc flood: unknown argument '%s' (kind=, rate=, seconds=, "
				"drain=)\n", a);
			return 1;
		}
	}
	int k = strcmp(kind, "garbage") == 0 ? 0 : strcmp(kind, "audit") == 0 ? 1 :
		strcmp(kind, "retransmit") == 0 ? 2 : -1;
	if (k < 0) {
		fprintf(stderr, "mrfc flood: kind=%s: garbage, audit or retransmit\n", kind);
		return 1;
	}
	if (!max && rate == 0) {
		fprintf(stderr, "mrfc flood: rate=N or rate=max is required\n");
		return 1;
	}
	if (io->sctp != NULL) {
		fprintf(stderr, "mrfc flood: UDP only (SCTP has flow control of its own)\n");
		return 1;
	}
	/* When each transaction was sent (ms), to measure reply latency; sent once. */
	uint64_t cap = max ? FLOOD_MAX_TRANS : (uint64_t)(rate * seconds) + 2;
	if (cap > FLOOD_MAX_TRANS)
		cap = FLOOD_MAX_TRANS;
	double *sent_at = k == 1 ? calloc(cap, sizeof(double)) : NULL;
	uint8_t *answered = k == 1 ? calloc(cap, 1) : NULL;
	double *lat = calloc(cap, sizeof(double));
	if ((k == 1 && (sent_at == NULL || answered == NULL)) || lat == NULL) {
		fprintf(stderr, "mrfc flood: out of memory\n");
		free(sent_at);
		free(answered);
		free(lat);
		return 1;
	}
	struct flood_stats st = { 0 };
	static char msg[1024];
	int mlen = 0;
	if (k == 2)
		mlen = snprintf(msg, sizeof(msg), "MEGACO/3 %s\nTransaction = %u {\n  Context = - "
			        "{ AuditValue = ROOT { Audit { } } }\n}\n", mid, first_tid);
	uint64_t t0 = clock_ns(), end = t0 + (uint64_t)(seconds * 1e9);
	double last_send_ms = 0;
	unsigned int replies_in_a_row = 0;
	/* Room for the replies of a burst while we send (root: beyond rmem_max). */
	int rcvbuf = 64 << 20;
	int fd = io->mode == MRFC_PLAIN ? io->fd_plain : io->udp_encap ? io->fd_udp : io->fd_raw;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (;;) {
		uint64_t now = clock_ns();
		bool sending = now < end && st.sent + st.send_fail < cap;
		uint64_t due = !sending ? 0 : max ? st.sent + st.send_fail + 1 :
			(uint64_t)((double)(now - t0) * rate / 1e9) + 1;
		int burst = 0;
		if (replies_in_a_row) {
			/* take every reply waiting before sending more: our receive buffer must
			 * not be what loses them */
			replies_in_a_row = 0;
			due = 0;
		}
		while (sending && st.sent + st.send_fail < due && burst++ < 64) {
			uint64_t i = st.sent + st.send_fail;
			if (k == 0) {
				uint8_t r[256];
				mlen = 64 + (int)(i % 192);
				if (getrandom(r, (size_t)mlen, 0) != mlen)
					memset(r, 'x', sizeof(r));
				for (int j = 0; j < mlen; j++)
					msg[j] = (char)(' ' + r[j] % 95);
			} else if (k == 1) {
				mlen = snprintf(msg, sizeof(msg), "MEGACO/3 %s\nTransaction = %" PRIu64
						" {\n  Context = - { AuditValue = ROOT { Audit { } } }\n}\n",
						mid, (uint64_t)first_tid + i);
				sent_at[i] = (double)clock_ns() / 1e6;
			}
			if (mrfc_io_send(io, msg, (size_t)mlen) == 0)
				st.sent++;
			else
				st.send_fail++;
			last_send_ms = (double)clock_ns() / 1e6;
		}
		double now_ms = (double)clock_ns() / 1e6;
		if (!sending && now_ms > last_send_ms + (double)drain_ms)
			break;
		int n = mrfc_io_recv(io, fbuf, sizeof(fbuf) - 1, sending ? 0 : 20);
		if (n <= 0)
			continue;
		if (sending)
			replies_in_a_row++;
		struct mxp_mp_error e;
		if (mxp_mp_parse(fbuf, (size_t)n, &frep, &e) != 0) {
			st.other++;
			continue;
		}
		if (frep.has_error) {
			st.msg_errors++;
			count_code(&st, frep.err_code);
			continue;
		}
		for (uint16_t t = 0; t < frep.ntrans; t++) {
			const struct mxp_mp_trans *tr = &frep.trans[t];
			if (tr->kind == MXP_MP_TRANS_PENDING) {
				st.pending++;
				continue;
			}
			if (tr->kind != MXP_MP_TRANS_REPLY) {
				st.other++; /* a Notify or ServiceChange of the MRFP's: not ours */
				continue;
			}
			st.replies++;
			if (tr->has_error)
				count_code(&st, tr->err_code);
			if (k == 1) {
				uint64_t i = tr->id - first_tid;
				if (tr->id < first_tid || i >= cap)
					continue;
				if (answered[i]++) {
					st.dup_replies++;
					continue;
				}
				lat[st.lat_n++] = now_ms - sent_at[i];
				st.lat_sum_ms += now_ms - sent_at[i];
			}
		}
	}
	uint64_t unanswered = 0;
	if (k == 1)
		for (uint64_t i = 0; i < st.sent + st.send_fail && i < cap; i++)
			unanswered += answered[i] == 0;
	qsort(lat, st.lat_n, sizeof(double), cmp_double);
	double p50 = st.lat_n ? lat[st.lat_n / 2] : 0;
	double p99 = st.lat_n ? lat[(st.lat_n * 99) / 100] : 0;
	double pmax = st.lat_n ? lat[st.lat_n - 1] : 0;
	printf("mrfc flood kind=%s: %" PRIu64 " sent in %.1f s (%.0f/s, %" PRIu64 " send "
	       "failures); replies %" PRIu64 " (%.0f/s), pending %" PRIu64 ", errors %" PRIu64
	       " (message-level %" PRIu64 "), other %" PRIu64 "\n", kind, st.sent, seconds,
	       (double)st.sent / seconds, st.send_fail, st.replies, (double)st.replies / seconds,
	       st.pending, st.errors, st.msg_errors, st.other);
	if (k == 1)
		printf("  transactions unanswered %" PRIu64 ", answered twice %" PRIu64 "; reply "
		       "latency ms: p50 %.2f, p99 %.2f, max %.2f\n", unanswered, st.dup_replies,
		       p50, p99, pmax);
	printf("{\"mrfc\":\"flood\",\"kind\":\"%s\",\"rate\":", kind);
	if (max)
		printf("\"max\"");
	else
		printf("%.0f", rate);
	printf(",\"seconds\":%.3f,\"sent\":%" PRIu64 ",\"send_fail\":%" PRIu64 ",\"sent_pps\":%.0f,"
	       "\"replies\":%" PRIu64 ",\"replies_pps\":%.0f,\"pending\":%" PRIu64 ",\"errors\":%"
	       PRIu64 ",\"message_errors\":%" PRIu64 ",\"other\":%" PRIu64, seconds, st.sent,
	       st.send_fail, (double)st.sent / seconds, st.replies, (double)st.replies / seconds,
	       st.pending, st.errors, st.msg_errors, st.other);
	printf(",\"codes\":{");
	for (unsigned int i = 0; i < FLOOD_CODES && st.code_n[i]; i++)
		printf("%s\"%u\":%" PRIu64, i ? "," : "", st.code[i], st.code_n[i]);
	printf("}");
	if (k == 1)
		printf(",\"unanswered\":%" PRIu64 ",\"answered_twice\":%" PRIu64 ",\"latency_ms\":"
		       "{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}", unanswered, st.dup_replies, p50,
		       p99, pmax);
	printf("}\n");
	fflush(stdout);
	free(sent_at);
	free(answered);
	free(lat);
	return 0;
}
