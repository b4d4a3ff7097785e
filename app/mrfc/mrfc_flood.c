/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mrfc flood: Mp traffic beyond what an MRFC sends, inside the same valid ESP, to show
 * what the MRFP does under it (doc/reliability.md "Mp floods").
 *
 *   mrfc flood kind=garbage|audit|retransmit|add rate=N|max seconds=S [drain=MS] [ocp=on|off]
 *
 *   garbage     random printable bytes where H.248 text should be (a message without a
 *               header): the MRFP can only drop them (H.248.1 Annex D: no transaction to
 *               answer) and count them
 *   audit       new transactions (AuditValue of ROOT, each its own TransactionId) as fast
 *               as asked, never waiting: each must get a reply, a Pending, or a 5xx error
 *   retransmit  one AuditValue transaction sent again and again under the same id: each
 *               copy must be answered from the reply cache (the same reply), never executed
 *               again
 *   add         new transactions that create a context each (Add to context $ of one SRTP
 *               leg toward our own address), never waiting, after asking for
 *               ocp/mg_overload on ROOT (ocp=on, the default; H.248.11): the MRFP's overload
 *               control must refuse them with 510 and notify ocp/mg_overload before its reply
 *               cache is full. The Notify is answered; the reply that tells each 510 apart
 *               ("overloaded" or "reply cache full") is timed. The contexts created are
 *               subtracted afterwards (at most 64 transactions outstanding), which the MRFP
 *               must answer even while overloaded. No rate control here: the flood shows
 *               the MRFP's side (mrfc add paces new contexts, mrfc_ocp.c).
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

/* kind=add: what the overload control did */
struct flood_ocp {
	int request_code;            /* the reply to Modify ROOT Events (-1: none, 0: ok) */
	uint64_t notifies, refused_overload, refused_cache, refused_other, created;
	double first_notify_ms, first_overload_ms, first_cache_ms; /* since the start; -1 */
	uint64_t subtracted, subtract_errors, subtract_unanswered;
	uint32_t *ctx;               /* the contexts created */
};

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

/* ---- kind=add ------------------------------------------------------------------------- */

static char add_addr[64];
static bool add_v6;
static const struct mrfc_suite *add_suite;

static int
add_prepare(struct mrfc_io *io)
{
	add_suite = mrfc_suite_find("AES_CM_128_HMAC_SHA1_80");
	add_v6 = io->local.af == AF_INET6;
	if (add_suite == NULL || io->local.af == 0 ||
	    mxp_ip_format(&io->local, add_addr, sizeof(add_addr)) == NULL) {
		fprintf(stderr, "mrfc flood: kind=add needs our own address (--local or the SA's)\n");
		return -1;
	}
	return 0;
}

/* An Add to context $ of one SRTP leg toward our address (fresh keys each). */
static int
add_text(char *buf, size_t cap, const char *mid, uint64_t tid, uint64_t i)
{
	char kl[160], kr[160];
	if (mrfc_crypto_line(add_suite, 1, 1, kl, sizeof(kl)) != 0 ||
	    mrfc_crypto_line(add_suite, 1, 1, kr, sizeof(kr)) != 0)
		return -1;
	const char *v = add_v6 ? "IP6" : "IP4";
	int n = snprintf(buf, cap, "MEGACO/3 %s\nTransaction = %" PRIu64 " {\n  Context = $ { Add = $ "
			 "{ Media { Stream = 1 { LocalControl { Mode = SendReceive }, Local {\nv=0\n"
			 "c=IN %s $\nm=audio $ RTP/SAVP 0\na=crypto:%s\n}, Remote {\nv=0\nc=IN %s %s\n"
			 "m=audio %u RTP/SAVP 0\na=crypto:%s\n} } } } }\n}\n", mid, tid, v, kl, v,
			 add_addr, (unsigned int)(30000 + 2 * (i % 10000)), kr);
	explicit_bzero(kl, sizeof(kl));
	explicit_bzero(kr, sizeof(kr));
	return n > 0 && (size_t)n < cap ? n : -1;
}

/* The first error of a reply transaction (transaction, action or command), 0 if none. */
static uint16_t
tr_error(const struct mxp_mp_msg *m, const struct mxp_mp_trans *tr, struct mxp_mp_str *text)
{
	if (tr->has_error) {
		*text = tr->err_text;
		return tr->err_code;
	}
	for (uint16_t a = 0; a < tr->nactions; a++) {
		const struct mxp_mp_action *ac = &m->actions[tr->first_action + a];
		for (uint16_t c = 0; c < ac->ncmds; c++)
			if (m->cmds[ac->first_cmd + c].has_error) {
				*text = m->cmds[ac->first_cmd + c].err_text;
				return m->cmds[ac->first_cmd + c].err_code;
			}
		if (ac->has_error) {
			*text = ac->err_text;
			return ac->err_code;
		}
	}
	return 0;
}

static bool
str_has(struct mxp_mp_str s, const char *what)
{
	size_t n = strlen(what);
	for (uint32_t i = 0; s.p && i + n <= s.len; i++)
		if (memcmp(s.p + i, what, n) == 0)
			return true;
	return false;
}

/* A request of the MRFP's carrying ocp/mg_overload: answered; true. */
static bool
answer_ocp(struct mrfc_io *io, const char *mid, const struct mxp_mp_msg *m,
	   const struct mxp_mp_trans *tr)
{
	if (tr->kind != MXP_MP_TRANS_REQUEST)
		return false;
	for (uint16_t a = 0; a < tr->nactions; a++) {
		const struct mxp_mp_action *ac = &m->actions[tr->first_action + a];
		for (uint16_t c = 0; c < ac->ncmds; c++) {
			if (!mrfc_ocp_in_notify(m, &m->cmds[ac->first_cmd + c]))
				continue;
			char r[256];
			int n = snprintf(r, sizeof(r), "MEGACO/3 %s\nReply = %u {\n  Context = - { "
					 "Notify = ROOT }\n}\n", mid, tr->id);
			mrfc_io_send(io, r, (size_t)n);
			return true;
		}
	}
	return false;
}

/* What the reply to one Add says. */
static void
add_outcome(struct flood_ocp *oc, const struct mxp_mp_msg *m, const struct mxp_mp_trans *tr,
	    uint16_t code, struct mxp_mp_str text, double at_ms)
{
	if (code == 0) {
		if (tr->nactions > 0)
			oc->ctx[oc->created++] = m->actions[tr->first_action].ctx;
	} else if (code == 510 && str_has(text, "overloaded")) {
		if (oc->refused_overload++ == 0)
			oc->first_overload_ms = at_ms;
	} else if (code == 510 && str_has(text, "reply cache full")) {
		if (oc->refused_cache++ == 0)
			oc->first_cache_ms = at_ms;
	} else {
		oc->refused_other++;
	}
}

/* Modify ROOT, Events = tid { ocp/mg_overload }: the reply's code (0 ok), -1 none. */
static int
ocp_request(struct mrfc_io *io, const char *mid, uint32_t tid, struct flood_ocp *oc)
{
	char q[512];
	int n = mrfc_ocp_request_text(q, sizeof(q), mid, tid, true);
	for (int attempt = 0; n > 0 && attempt < 3; attempt++) {
		mrfc_io_send(io, q, (size_t)n);
		uint64_t until = clock_ns() + 1000000000ull;
		while (clock_ns() < until) {
			int r = mrfc_io_recv(io, fbuf, sizeof(fbuf) - 1,
					     (int)((until - clock_ns()) / 1000000) + 1);
			struct mxp_mp_error e;
			if (r <= 0 || mxp_mp_parse(fbuf, (size_t)r, &frep, &e) != 0)
				continue;
			for (uint16_t t = 0; t < frep.ntrans; t++) {
				const struct mxp_mp_trans *tr = &frep.trans[t];
				if (answer_ocp(io, mid, &frep, tr))
					oc->notifies++;
				struct mxp_mp_str et;
				if (tr->kind == MXP_MP_TRANS_REPLY && tr->id == tid)
					return tr_error(&frep, tr, &et);
			}
		}
	}
	return -1;
}

static void
send_subtract(struct mrfc_io *io, const char *mid, uint64_t tid, uint32_t ctx)
{
	char q[256];
	int l = snprintf(q, sizeof(q), "MEGACO/3 %s\nTransaction = %" PRIu64 " {\n  Context = %u "
			 "{ Subtract = * }\n}\n", mid, tid, ctx);
	mrfc_io_send(io, q, (size_t)l);
}

/* Subtract every context the flood created, 64 transactions outstanding at most. */
static void
subtract_all(struct mrfc_io *io, const char *mid, uint32_t tid0, struct flood_ocp *oc)
{
	uint64_t n = oc->created, sent = 0, done = 0;
	uint8_t *ans = calloc(n ? n : 1, 1);
	if (ans == NULL)
		return;
	uint64_t last_progress = clock_ns(), last_resend = last_progress;
	while (done < n && clock_ns() - last_progress < 10000000000ull) {
		while (sent < n && sent - done < 64) {
			send_subtract(io, mid, tid0 + sent, oc->ctx[sent]);
			sent++;
		}
		if (clock_ns() - last_resend > 1000000000ull &&
		    clock_ns() - last_progress > 1000000000ull) {
			/* a reply lost: the same transactions again (answered from the cache) */
			last_resend = clock_ns();
			for (uint64_t j = 0; j < sent; j++)
				if (!ans[j])
					send_subtract(io, mid, tid0 + j, oc->ctx[j]);
		}
		int r = mrfc_io_recv(io, fbuf, sizeof(fbuf) - 1, 20);
		struct mxp_mp_error e;
		if (r <= 0 || mxp_mp_parse(fbuf, (size_t)r, &frep, &e) != 0)
			continue;
		for (uint16_t t = 0; t < frep.ntrans; t++) {
			const struct mxp_mp_trans *tr = &frep.trans[t];
			if (answer_ocp(io, mid, &frep, tr)) {
				oc->notifies++;
				continue;
			}
			uint64_t j = tr->id - tid0;
			if (tr->kind != MXP_MP_TRANS_REPLY || tr->id < tid0 || j >= sent || ans[j])
				continue;
			ans[j] = 1;
			done++;
			last_progress = clock_ns();
			struct mxp_mp_str et;
			if (tr_error(&frep, tr, &et))
				oc->subtract_errors++;
			else
				oc->subtracted++;
		}
	}
	oc->subtract_unanswered = n - done;
	free(ans);
}

int
mrfc_flood(struct mrfc_io *io, const char *mid, uint32_t first_tid, int argc, char **argv)
{
	const char *kind = "audit";
	double rate = 0, seconds = 5;
	bool max = false, ocp_on = true;
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
		} else if (strcmp(a, "ocp=on") == 0 || strcmp(a, "ocp=off") == 0) {
			ocp_on = a[5] == 'n';
		} else if (strncmp(a, "drain=", 6) == 0) {
			drain_ms = strtoul(a + 6, &end, 10);
			if (*end || drain_ms > 60000) {
				fprintf(stderr, "mrfc flood: drain=%s: 0..60000 ms\n", a + 6);
				return 1;
			}
		} else {
			fprintf(stderr, "mrfc flood: unknown argument '%s' (kind=, rate=, seconds=, "
				"drain=, ocp=)\n", a);
			return 1;
		}
	}
	int k = strcmp(kind, "garbage") == 0 ? 0 : strcmp(kind, "audit") == 0 ? 1 :
		strcmp(kind, "retransmit") == 0 ? 2 : strcmp(kind, "add") == 0 ? 3 : -1;
	bool tracked = k == 1 || k == 3; /* new transactions, each answered once */
	if (k < 0) {
		fprintf(stderr, "mrfc flood: kind=%s: garbage, audit, retransmit or add\n", kind);
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
	double *sent_at = tracked ? calloc(cap, sizeof(double)) : NULL;
	uint8_t *answered = tracked ? calloc(cap, 1) : NULL;
	double *lat = calloc(cap, sizeof(double));
	struct flood_ocp oc = { .request_code = -1, .first_notify_ms = -1, .first_overload_ms = -1,
				.first_cache_ms = -1 };
	oc.ctx = k == 3 ? calloc(cap, sizeof(uint32_t)) : NULL;
	if ((tracked && (sent_at == NULL || answered == NULL)) || lat == NULL ||
	    (k == 3 && oc.ctx == NULL)) {
		free(oc.ctx);
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
	int fd = io->mode == MRFC_PLAIN ? io->fd_plain : io->udp_encap ? io->fd_udp : io->fd_raw;
	if (k == 3) {
		if (ocp_on)
			oc.request_code = ocp_request(io, mid, first_tid + (uint32_t)cap, &oc);
		if (add_prepare(io) != 0) {
			free(sent_at);
			free(answered);
			free(lat);
			free(oc.ctx);
			return 1;
		}
	}
	uint64_t t0 = clock_ns(), end = t0 + (uint64_t)(seconds * 1e9);
	double last_send_ms = 0;
	unsigned int replies_in_a_row = 0;
	/* Room for the replies of a burst while we send (root: beyond rmem_max). */
	int rcvbuf = 64 << 20;
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
			} else if (k == 3) {
				mlen = add_text(msg, sizeof(msg), mid, (uint64_t)first_tid + i, i);
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
				/* a Notify or ServiceChange of the MRFP's: not ours (ocp/mg_overload
				 * of kind=add is counted and answered) */
				if (k == 3 && answer_ocp(io, mid, &frep, tr)) {
					oc.notifies++;
					if (oc.first_notify_ms < 0)
						oc.first_notify_ms = now_ms - (double)t0 / 1e6;
				} else {
					st.other++;
				}
				continue;
			}
			uint64_t i = tr->id - first_tid;
			if (k == 3 && (tr->id < first_tid || i >= cap))
				continue; /* not one of the flood's (the Events request's) */
			st.replies++;
			struct mxp_mp_str et = { NULL, 0 };
			uint16_t code = tr_error(&frep, tr, &et);
			if (code)
				count_code(&st, code);
			if (tracked) {
				if (tr->id < first_tid || i >= cap)
					continue;
				if (answered[i]++) {
					st.dup_replies++;
					continue;
				}
				if (k == 3)
					add_outcome(&oc, &frep, tr, code, et,
						    now_ms - (double)t0 / 1e6);
				lat[st.lat_n++] = now_ms - sent_at[i];
				st.lat_sum_ms += now_ms - sent_at[i];
			}
		}
	}
	uint64_t unanswered = 0;
	if (k == 3)
		subtract_all(io, mid, first_tid + (uint32_t)cap + 1, &oc);
	if (tracked)
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
	if (k == 3)
		printf("  ocp: request %d, Notify %" PRIu64 " (first at %.0f ms), 510 overloaded %"
		       PRIu64 " (first at %.0f ms), 510 reply cache full %" PRIu64 " (first at %.0f "
		       "ms), other errors %" PRIu64 "; contexts created %" PRIu64 ", subtracted %"
		       PRIu64 " (errors %" PRIu64 ", unanswered %" PRIu64 ")\n", oc.request_code,
		       oc.notifies, oc.first_notify_ms, oc.refused_overload, oc.first_overload_ms,
		       oc.refused_cache, oc.first_cache_ms, oc.refused_other, oc.created,
		       oc.subtracted, oc.subtract_errors, oc.subtract_unanswered);
	if (tracked)
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
	if (k == 3)
		printf(",\"ocp\":{\"request_code\":%d,\"notifies\":%" PRIu64 ",\"first_notify_ms\":"
		       "%.1f,\"refused_overload\":%" PRIu64 ",\"first_overload_ms\":%.1f,"
		       "\"refused_cache\":%" PRIu64 ",\"first_cache_ms\":%.1f,\"refused_other\":%"
		       PRIu64 ",\"created\":%" PRIu64 ",\"subtracted\":%" PRIu64 ",\"subtract_errors\":%"
		       PRIu64 ",\"subtract_unanswered\":%" PRIu64 "}", oc.request_code, oc.notifies,
		       oc.first_notify_ms, oc.refused_overload, oc.first_overload_ms,
		       oc.refused_cache, oc.first_cache_ms, oc.refused_other, oc.created,
		       oc.subtracted, oc.subtract_errors, oc.subtract_unanswered);
	if (tracked)
		printf(",\"unanswered\":%" PRIu64 ",\"answered_twice\":%" PRIu64 ",\"latency_ms\":"
		       "{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}", unanswered, st.dup_replies, p50,
		       p99, pmax);
	printf("}\n");
	fflush(stdout);
	free(sent_at);
	free(answered);
	free(lat);
	free(oc.ctx);
	return 0;
}
