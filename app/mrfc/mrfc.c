/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mrfc: plays the AS/MRFC side of Mp for operators, tests and the demo.
 *
 *   mrfc [options] add [ctx=$] [legs=N] [remote=IP:PORT] [mode=mix] ...
 *   mrfc [options] modify term=T|* [streammode=..] [rekey=on mki=N] [remote=IP:PORT] ...
 *   mrfc [options] subtract term=T|* | audit [term=T|*] | raw TEXT
 *   mrfc [options] listen [duration=S] [count=N]   (print and answer Notify)
 *   mrfc [options] scenario FILE        (one command per line, state kept between lines)
 *   mrfc [options] churn trace=FILE policy=P [speed=S] [rekey=two-step] [dry-run=on]
 *                                       (joins, leaves and group rekeys by a policy)
 *   mrfc [options] flood kind=garbage|audit|retransmit rate=N|max seconds=S
 *                                       (Mp overload: mrfc_flood.c)
 *   mrfc [options] fleet file=FLEET [script=FILE] (several MRFPs at once: mrfc_fleet.c)
 *   mrfc keygen --mrfp A --mrfc A --mrfp-out F --mrfc-out F [--alg N] [--udp] [--esn]
 *   mrfc [options] esp-seal | esp-open  (hex packets on stdin: ESP interop checks)
 *
 * Every command accepts expect=CODE: it then succeeds only if the reply carries that
 * H.248.8 error code. Exit status: 0 success, 1 usage or local error, 2 an H.248 error
 * reply (or a different one than expected), 3 no reply before the give-up timer.
 * See doc/mp.md ("mrfc") for the options and the participant key file format.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "mrfc.h"
#include "mxp_mp_sdp.h"
#include "mxp_secret_file.h"

#define LEGS_MAX 4096 /* churn: a town hall of 1000 and its comings and goings */
#define ARGS_MAX 32

struct leg {
	char term[72];
	uint32_t ctx;
	char mrfp_addr[64];
	uint16_t mrfp_port;
	char remote_addr[64];
	uint16_t remote_port;
	unsigned int pt;
	/* its codec when pt is add's codec= (NAME, CLOCK, fmtp without spaces), and add's
	 * dtmf=: a modify without pt= sends the same in its Remote (else a codec change) */
	char codec[32];
	unsigned int codec_clock;
	char fmtp[200];
	unsigned int event_pt;
	char tx[160];  /* participant sends with this (our Remote a=crypto) */
	char rx[160];  /* participant receives with this (our Local a=crypto) */
	char rx2[160]; /* during a two-step rekey: the next Local key, installed, not active */
	bool gone;
	uint32_t churn_id; /* churn: the trace's participant */
};

struct session {
	struct mrfc_io io;
	enum mxp_mp_style style;
	char mid[80];
	uint32_t next_tid;
	uint32_t ctx;
	struct leg legs[LEGS_MAX];
	unsigned int nlegs;
	const char *keys_out;
	bool keys_failed;             /* --keys-out could not be written: the command fails */
	struct mxp_mp_retx_params retx;
	int quiet;
	bool no_ocp;                  /* --no-ocp: no ocp/mg_overload request after ServiceChange */
	struct mrfc_ocp ocp;          /* H.248.11: the rate of new contexts sent (mrfc_ocp.c) */
};

static struct mxp_mp_msg req, rep;
static bool show_keys;
static bool mute; /* churn: no per-command result lines (its own report instead) */
static bool replies_off; /* fleet: the MRFP's replies are not echoed on stdout */
static unsigned int last_code; /* the H.248 error code of the last reply judged (0: none) */
void (*mrfc_on_service_change)(struct session *s, uint32_t tid, const struct mxp_mp_cmd *sc);

/*
 * Print Mp text with SRTP key material replaced by a fingerprint: "inline:<key>" becomes
 * "inline:<fp:0a1b2c3d>" (first 8 hex digits of SHA-256 of the base64 text). Keys are never
 * printed unless --show-keys (lab) is given.
 */
static void
print_redacted(FILE *f, const char *text, size_t len)
{
	size_t i = 0;
	while (i < len) {
		const char *hit = show_keys ? NULL : memmem(text + i, len - i, "inline:", 7);
		if (hit == NULL) {
			fwrite(text + i, 1, len - i, f);
			break;
		}
		size_t at = (size_t)(hit - text) + 7;
		fwrite(text + i, 1, at - i, f);
		size_t e = at;
		while (e < len && text[e] != '|' && text[e] != ';' && text[e] != ' ' &&
		       text[e] != '\r' && text[e] != '\n')
			e++;
		uint8_t md[32];
		unsigned int ml = 0;
		EVP_Digest(text + at, e - at, md, &ml, EVP_sha256(), NULL);
		fprintf(f, "<fp:%02x%02x%02x%02x>", md[0], md[1], md[2], md[3]);
		i = e;
	}
	if (len == 0 || text[len - 1] != '\n')
		fputc('\n', f);
}
static char txt[MXP_MP_MSG_MAX], rtxt[MXP_MP_MSG_MAX + 1];

/* key=value arguments of a command */
struct kv {
	int n;
	const char *k[ARGS_MAX], *v[ARGS_MAX];
	char store[2048];
};

static int
kv_parse(struct kv *kv, int argc, char **argv)
{
	size_t used = 0;
	kv->n = 0;
	for (int i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]);
		if (kv->n >= ARGS_MAX || used + l + 1 > sizeof(kv->store))
			return -1;
		char *s = kv->store + used;
		memcpy(s, argv[i], l + 1);
		used += l + 1;
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			fprintf(stderr, "mrfc: expected key=value, got '%s'\n", s);
			return -1;
		}
		*eq = '\0';
		kv->k[kv->n] = s;
		kv->v[kv->n++] = eq + 1;
	}
	return 0;
}

static const char *
kv_get(const struct kv *kv, const char *k, const char *def)
{
	for (int i = 0; i < kv->n; i++)
		if (strcmp(kv->k[i], k) == 0)
			return kv->v[i];
	return def;
}

static bool
kv_check(const struct kv *kv, const char *const *allowed)
{
	for (int i = 0; i < kv->n; i++) {
		bool ok = strcmp(kv->k[i], "expect") == 0 || strcmp(kv->k[i], "ctx") == 0;
		for (int j = 0; allowed[j] != NULL && !ok; j++)
			ok = strcmp(kv->k[i], allowed[j]) == 0;
		if (!ok) {
			fprintf(stderr, "mrfc: unknown argument '%s'\n", kv->k[i]);
			return false;
		}
	}
	return true;
}

static int
split_hostport(const char *s, char *host, size_t hl, uint16_t *port)
{
	struct mxp_ip a;
	if (mxp_ip_port_parse(s, &a, port) != 0)
		return -1;
	mxp_ip_format(&a, host, hl);
	return 0;
}

static uint32_t
ctx_arg(const struct session *s, const struct kv *kv, uint32_t def)
{
	const char *c = kv_get(kv, "ctx", NULL);
	if (c == NULL)
		return def;
	if (strcmp(c, "$") == 0)
		return MXP_MP_CTX_CHOOSE;
	if (strcmp(c, "*") == 0)
		return MXP_MP_CTX_ALL;
	if (strcmp(c, "-") == 0)
		return MXP_MP_CTX_NULL;
	return (uint32_t)strtoul(c, NULL, 0);
}

/*
 * The MRFP's own requests (Notify with the events we asked for, ServiceChange at its
 * start): print them on f and answer each transaction, so the MRFP stops retransmitting.
 * m is the parsed message (views into text). Returns how many Notify commands it carried.
 */
static uint32_t new_tid(struct session *s);
static struct mxp_mp_msg areply;
static char aterm[MXP_MP_CMDS_MAX][80];
static char atxt[MXP_MP_MSG_MAX]; /* not txt: that may be a request being retransmitted */

static int
answer_requests(struct session *s, const struct mxp_mp_msg *m, const char *text, size_t len,
		FILE *f)
{
	int notifies = 0;
	bool any = false, sc = false;
	unsigned int nt = 0;
	mxp_mp_msg_init(&areply, s->mid);
	for (uint16_t i = 0; i < m->ntrans; i++) {
		const struct mxp_mp_trans *t = &m->trans[i];
		if (t->kind != MXP_MP_TRANS_REQUEST)
			continue;
		any = true;
		if (mxp_mp_msg_add_trans(&areply, MXP_MP_TRANS_REPLY, t->id) == NULL)
			break;
		for (uint16_t a = 0; a < t->nactions; a++) {
			const struct mxp_mp_action *ac = &m->actions[t->first_action + a];
			if (mxp_mp_msg_add_action(&areply, ac->ctx) == NULL)
				break;
			for (uint16_t c = 0; c < ac->ncmds && nt < MXP_MP_CMDS_MAX; c++) {
				const struct mxp_mp_cmd *cm = &m->cmds[ac->first_cmd + c];
				snprintf(aterm[nt], sizeof(aterm[nt]), "%.*s",
					 (int)(cm->term.len < 79 ? cm->term.len : 79),
					 cm->term.p ? cm->term.p : "ROOT");
				struct mxp_mp_cmd *rc = mxp_mp_msg_add_cmd(&areply, cm->type, aterm[nt++]);
				if (rc == NULL)
					break;
				if (cm->type == MXP_MP_CMD_SERVICE_CHANGE) {
					rc->has_services = true;
					rc->sc_version = 3;
					if (mrfc_on_service_change != NULL)
						mrfc_on_service_change(s, t->id, cm);
					sc |= !mxp_mp_str_eq(cm->sc_method, "Graceful") &&
					      !mxp_mp_str_eq(cm->sc_method, "Forced");
				}
				if (mrfc_ocp_in_notify(m, cm))
					mrfc_ocp_notified(&s->ocp, mxp_clock_ms());
				notifies += cm->type == MXP_MP_CMD_NOTIFY;
			}
		}
	}
	if (!any)
		return 0;
	if (f != NULL) {
		fwrite(text, 1, len, f); /* the MRFP's requests carry no key */
		if (len && text[len - 1] != '\n')
			fputc('\n', f);
		fflush(f);
	}
	int n = mxp_mp_encode(&areply, s->style, atxt, sizeof(atxt));
	int se = n > 0 ? mrfc_io_send(&s->io, atxt, (size_t)n) : 0;
	if (se != 0)
		fprintf(stderr, "mrfc: send: %s\n", strerror(-se));
	if (sc && !s->no_ocp) {
		/* the MRFP (re)started: ask it for ocp/mg_overload on ROOT (H.248.11). Sent once,
		 * not waited for: its reply is taken and dropped like any other; a lost one
		 * is sent again at the MRFP's next ServiceChange or with `mrfc ocp on`. */
		n = mrfc_ocp_request_text(atxt, sizeof(atxt), s->mid, new_tid(s), true);
		if (n > 0 && mrfc_io_send(&s->io, atxt, (size_t)n) == 0 && !s->quiet)
			fprintf(stderr, "mrfc: asked the MRFP for ocp/mg_overload on ROOT\n");
	}
	return notifies;
}

/* Send req and wait for its reply (retransmitting per the H.248 timers). 0, 3 (timeout),
 * 1 (local error). The reply's text is in rtxt and parsed in rep. */
static int
transact_text(struct session *s, const char *text, size_t len, uint32_t tid, bool have_tid)
{
	struct mxp_mp_retx r;
	uint64_t now = mxp_clock_ms();
	if (!s->quiet)
		print_redacted(stderr, text, len);
	int se = mrfc_io_send(&s->io, text, len);
	if (se != 0) {
		/* the errno of the call that failed (not the errno of whatever ran last) */
		fprintf(stderr, "mrfc: send: %s\n", strerror(-se));
		return 1;
	}
	mxp_mp_retx_start(&r, &s->retx, now);
	for (;;) {
		int wait = (int)(r.next > mxp_clock_ms() ? r.next - mxp_clock_ms() : 0);
		int n = mrfc_io_recv(&s->io, rtxt, sizeof(rtxt), wait);
		if (n < 0) {
			fprintf(stderr, "mrfc: receive: %s\n", strerror(-n));
			return 1;
		}
		if (n > 0) {
			struct mxp_mp_error e;
			if (mxp_mp_parse(rtxt, (size_t)n, &rep, &e) != 0) {
				fprintf(stderr, "mrfc: unparsable message ignored: %s\n", e.text);
				continue;
			}
			if (rep.has_error) {
				print_redacted(stdout, rtxt, (size_t)n);
				return 0; /* message-level error answers whatever we sent */
			}
			/* a Notify or ServiceChange of the MRFP's crossing our request */
			answer_requests(s, &rep, rtxt, (size_t)n, stderr);
			bool mine = false, pending = false;
			for (uint16_t i = 0; i < rep.ntrans; i++) {
				if (!have_tid || rep.trans[i].id == tid) {
					if (rep.trans[i].kind == MXP_MP_TRANS_PENDING)
						pending = true;
					else if (rep.trans[i].kind == MXP_MP_TRANS_REPLY)
						mine = true;
				}
			}
			if (mine) {
				if (!replies_off)
					print_redacted(stdout, rtxt, (size_t)n);
				fflush(stdout);
				return 0;
			}
			if (pending) {
				mxp_mp_retx_pending(&r, mxp_clock_ms());
				if (!s->quiet)
					fprintf(stderr, "mrfc: transaction %u pending\n", tid);
			}
			continue;
		}
		int pr = mxp_mp_retx_poll(&r, mxp_clock_ms());
		if (pr < 0) {
			fprintf(stderr, "mrfc: no reply to transaction %u after %u sends\n", tid,
				r.sent);
			return 3;
		}
		if (pr > 0 && s->io.sctp == NULL) { /* H.248.4: SCTP retransmits, we do not */
			if (!s->quiet)
				fprintf(stderr, "mrfc: retransmitting transaction %u\n", tid);
			if (mrfc_io_send(&s->io, text, len) != 0)
				return 1;
		}
	}
}

static int
transact(struct session *s)
{
	int n = mxp_mp_encode(&req, s->style, txt, sizeof(txt));
	if (n < 0) {
		fprintf(stderr, "mrfc: request does not fit in %d bytes\n", MXP_MP_MSG_MAX);
		return 1;
	}
	return transact_text(s, txt, (size_t)n, req.trans[0].id, true);
}

/* Judge the reply against expect=: 0 when as expected, else 2. Prints a result line. */
static int
judge(const char *what, const struct kv *kv)
{
	unsigned int code = 0;
	const char *text = "";
	int tl = 0;
	if (rep.has_error) {
		code = rep.err_code;
		text = rep.err_text.p;
		tl = (int)rep.err_text.len;
	}
	for (uint16_t t = 0; t < rep.ntrans && code == 0; t++) {
		if (rep.trans[t].has_error) {
			code = rep.trans[t].err_code;
			text = rep.trans[t].err_text.p;
			tl = (int)rep.trans[t].err_text.len;
		}
		for (uint16_t a = 0; a < rep.trans[t].nactions && code == 0; a++) {
			const struct mxp_mp_action *ac = &rep.actions[rep.trans[t].first_action + a];
			if (ac->has_error) {
				code = ac->err_code;
				text = ac->err_text.p;
				tl = (int)ac->err_text.len;
			}
			for (uint16_t c = 0; c < ac->ncmds && code == 0; c++)
				if (rep.cmds[ac->first_cmd + c].has_error) {
					code = rep.cmds[ac->first_cmd + c].err_code;
					text = rep.cmds[ac->first_cmd + c].err_text.p;
					tl = (int)rep.cmds[ac->first_cmd + c].err_text.len;
				}
		}
	}
	unsigned int want = (unsigned int)strtoul(kv_get(kv, "expect", "0"), NULL, 10);
	last_code = code;
	if (code == 0) {
		if (!mute)
			printf("result %s ok\n", what);
	} else
		printf("result %s error %u %s: %.*s\n", what, code, mxp_mp_errcode_name(code), tl,
		       text ? text : "");
	if (code != want) {
		if (want != 0)
			fprintf(stderr, "mrfc: expected error %u, got %u\n", want, code);
		return 2;
	}
	return 0;
}

static uint32_t
new_tid(struct session *s)
{
	return s->next_tid++;
}

static void
keys_write(struct session *s)
{
	if (s->keys_out == NULL)
		return;
	int fd = mxp_secret_file_open(s->keys_out);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		fprintf(stderr, "mrfc: --keys-out %s: %s\n", s->keys_out,
			fd < 0 ? mxp_secret_file_strerror(fd) : strerror(errno));
		if (fd >= 0)
			close(fd);
		s->keys_failed = true;
		return;
	}
	char fbuf[4096]; /* the stdio buffer holds keys: wiped below */
	setvbuf(f, fbuf, _IOFBF, sizeof(fbuf));
	fprintf(f, "# mixplane participant keys v1 (secret: mode 0600), written by mrfc\n"
		   "# leg <ctx> <term> <mrfp-addr> <mrfp-port> <participant-addr> "
		   "<participant-port> <pt> [codec=NAME/CLOCK] [fmtp=PARAMS] [dtmf=PT]\n# tx <a=crypto value the participant sends with>\n"
		   "# rx <a=crypto value the participant receives with>\n");
	for (unsigned int i = 0; i < s->nlegs; i++) {
		const struct leg *l = &s->legs[i];
		if (l->gone)
			continue;
		fprintf(f, "leg %u %s %s %u %s %u %u", l->ctx, l->term, l->mrfp_addr,
			l->mrfp_port, l->remote_addr, l->remote_port, l->pt);
		if (l->codec[0])
			fprintf(f, " codec=%s/%u", l->codec, l->codec_clock);
		if (l->fmtp[0])
			fprintf(f, " fmtp=%s", l->fmtp);
		if (l->event_pt)
			fprintf(f, " dtmf=%u", l->event_pt);
		fputc('\n', f);
		if (l->tx[0])
			fprintf(f, "tx %s\n", l->tx);
		if (l->rx[0])
			fprintf(f, "rx %s\n", l->rx);
		if (l->rx2[0])
			fprintf(f, "rx %s\n", l->rx2);
	}
	bool bad = ferror(f) != 0;
	bad |= fclose(f) != 0;
	explicit_bzero(fbuf, sizeof(fbuf));
	if (bad) {
		fprintf(stderr, "mrfc: --keys-out %s: write failed: the file does not hold every "
			"leg's keys\n", s->keys_out);
		s->keys_failed = true;
	}
}

/* The optional tokens after a keys file's leg line (keys_write's). */
static void
leg_codec_read(struct leg *l, const char *rest)
{
	char tok[256];
	int used = 0;
	while (sscanf(rest, "%255s%n", tok, &used) == 1) {
		rest += used;
		unsigned int clock;
		char name[32];
		if (strncmp(tok, "codec=", 6) == 0 &&
		    sscanf(tok + 6, "%31[^/]/%u", name, &clock) == 2) {
			snprintf(l->codec, sizeof(l->codec), "%s", name);
			l->codec_clock = clock;
		} else if (strncmp(tok, "fmtp=", 5) == 0) {
			snprintf(l->fmtp, sizeof(l->fmtp), "%.199s", tok + 5);
		} else if (strncmp(tok, "dtmf=", 5) == 0) {
			l->event_pt = (unsigned int)strtoul(tok + 5, NULL, 10);
		}
	}
}

/*
 * Load the legs of an existing participant key file, so that one mrfc run can modify or
 * subtract what an earlier run added (the file is the state carried between runs).
 */
static void
keys_read(struct session *s)
{
	if (s->keys_out == NULL)
		return;
	FILE *f = fopen(s->keys_out, "r");
	if (f == NULL)
		return;
	char line[512];
	struct leg *l = NULL;
	while (fgets(line, sizeof(line), f) && s->nlegs < LEGS_MAX) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "leg ", 4) == 0) {
			l = &s->legs[s->nlegs];
			memset(l, 0, sizeof(*l));
			unsigned int mport, rport;
			int used = 0;
			if (sscanf(line + 4, "%u %71s %63s %u %63s %u %u%n", &l->ctx, l->term,
				   l->mrfp_addr, &mport, l->remote_addr, &rport, &l->pt, &used) != 7) {
				l = NULL;
				continue;
			}
			leg_codec_read(l, line + 4 + used);
			l->mrfp_port = (uint16_t)mport;
			l->remote_port = (uint16_t)rport;
			s->nlegs++;
		} else if (l && strncmp(line, "tx ", 3) == 0) {
			snprintf(l->tx, sizeof(l->tx), "%.159s", line + 3);
		} else if (l && strncmp(line, "rx ", 3) == 0) {
			if (l->rx[0] == '\0')
				snprintf(l->rx, sizeof(l->rx), "%.159s", line + 3);
			else
				snprintf(l->rx2, sizeof(l->rx2), "%.159s", line + 3);
		}
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
}

/* The tx and rx a=crypto values of the last leg of a key file (keys_write's format). */
static int
peer_keys(const char *path, char tx[160], char rx[160])
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	char line[512];
	tx[0] = rx[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strncmp(line, "leg ", 4) == 0)
			tx[0] = rx[0] = '\0';
		else if (strncmp(line, "tx ", 3) == 0)
			snprintf(tx, 160, "%.159s", line + 3);
		else if (strncmp(line, "rx ", 3) == 0 && rx[0] == '\0')
			snprintf(rx, 160, "%.159s", line + 3);
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return tx[0] && rx[0] ? 0 : -1;
}

static struct leg *
leg_find(struct session *s, const char *term)
{
	for (unsigned int i = 0; i < s->nlegs; i++)
		if (!s->legs[i].gone && strcmp(s->legs[i].term, term) == 0)
			return &s->legs[i];
	return NULL;
}

/* SDP text buffers that live until the request is encoded */
static char sdp_local[LEGS_MAX][512], sdp_remote[LEGS_MAX][512];
static char crypto_l[LEGS_MAX][160], crypto_r[LEGS_MAX][160];

static unsigned int sdp_event_pt; /* add dtmf=PT: offer telephone-event/8000 on PT */
static unsigned int sdp_level_id; /* add audiolevel=ID: a=extmap of RFC 6464's level */
/* add codec=NAME/CLOCK:PT [fmtp=PARAMS]: a dynamic payload type (AMR-WB/16000:96) */
static char sdp_codec[32], sdp_fmtp[200];
static unsigned int sdp_codec_clock, sdp_codec_pt;

/* A leg's codec from add's codec=, fmtp= and dtmf= when pt is the codec's (fmtp without
 * spaces: one token of the keys file). */
static void
leg_codec_set(struct leg *l, unsigned int pt)
{
	l->codec[0] = l->fmtp[0] = '\0';
	l->codec_clock = 0;
	l->event_pt = sdp_event_pt;
	if (sdp_codec[0] == '\0' || pt != sdp_codec_pt)
		return;
	snprintf(l->codec, sizeof(l->codec), "%s", sdp_codec);
	l->codec_clock = sdp_codec_clock;
	size_t k = 0;
	for (const char *c = sdp_fmtp; *c && k + 1 < sizeof(l->fmtp); c++)
		if (*c != ' ' && *c != '\t')
			l->fmtp[k++] = *c;
	l->fmtp[k] = '\0';
}

static int
build_sdp2(char *out, size_t cap, const char *addr, uint16_t port, bool choose, unsigned int pt,
	   bool srtp, const char *crypto, const char *crypto2, int family)
{
	struct mxp_sdp sd = { 0 };
	sd.has_conn = true;
	sd.addr.af = (uint8_t)family;
	sd.conn_choose = choose;
	if (!choose) {
		struct mxp_ip a;
		if (mxp_ip_parse(addr, &a, NULL) != 0)
			return -1;
		sd.addr = a;
	}
	sd.has_media = true;
	sd.port_choose = choose;
	sd.port = port;
	sd.srtp = srtp;
	sd.npts = 1;
	sd.pts[0] = (uint8_t)pt;
	if (pt == 0 || pt == 8) {
		sd.nrtpmap = 1;
		sd.rtpmap[0].pt = (uint8_t)pt;
		sd.rtpmap[0].encoding = mxp_mp_str_c(pt == 0 ? "PCMU" : "PCMA");
		sd.rtpmap[0].clock = 8000;
	} else if (sdp_codec[0] != '\0' && pt == sdp_codec_pt) {
		sd.nrtpmap = 1;
		sd.rtpmap[0].pt = (uint8_t)pt;
		sd.rtpmap[0].encoding = mxp_mp_str_c(sdp_codec);
		sd.rtpmap[0].clock = sdp_codec_clock;
		if (sdp_fmtp[0] != '\0') {
			sd.nfmtp = 1;
			sd.fmtp[0].pt = (uint8_t)pt;
			sd.fmtp[0].params = mxp_mp_str_c(sdp_fmtp);
		}
	}
	if (sdp_event_pt) {
		sd.pts[sd.npts++] = (uint8_t)sdp_event_pt;
		sd.rtpmap[sd.nrtpmap].pt = (uint8_t)sdp_event_pt;
		sd.rtpmap[sd.nrtpmap].encoding = mxp_mp_str_c("telephone-event");
		sd.rtpmap[sd.nrtpmap++].clock = 8000;
	}
	sd.ptime = 20;
	sd.audio_level_id = (uint8_t)sdp_level_id;
	if (crypto != NULL && crypto[0])
		sd.crypto[sd.ncrypto++] = mxp_mp_str_c(crypto);
	if (crypto2 != NULL && crypto2[0])
		sd.crypto[sd.ncrypto++] = mxp_mp_str_c(crypto2);
	return mxp_sdp_encode(&sd, out, cap);
}

static int
build_sdp(char *out, size_t cap, const char *addr, uint16_t port, bool choose, unsigned int pt,
	  bool srtp, const char *crypto, int family)
{
	return build_sdp2(out, cap, addr, port, choose, pt, srtp, crypto, NULL, family);
}

static void
conf_props(struct mxp_mp_cmd *c, const struct kv *kv)
{
	static char tsv[4][40];
	const char *mode = kv_get(kv, "mode", NULL), *topn = kv_get(kv, "topn", NULL);
	if (mode != NULL) {
		snprintf(tsv[0], sizeof(tsv[0]), "%s", mode);
		mxp_mp_msg_add_prop(&req, &c->ts_props, "mxp/mode", '=', tsv[0]);
	}
	if (topn != NULL) {
		snprintf(tsv[1], sizeof(tsv[1]), "%s", topn);
		mxp_mp_msg_add_prop(&req, &c->ts_props, "mxp/topn", '=', tsv[1]);
	}
}

static void
leg_props(struct mxp_mp_stream *st, const struct kv *kv)
{
	const char *v;
	if ((v = kv_get(kv, "strict", NULL)) != NULL)
		mxp_mp_msg_add_prop(&req, &st->lc_props, "mxp/strict", '=', v);
	if ((v = kv_get(kv, "asymmetric", NULL)) != NULL)
		mxp_mp_msg_add_prop(&req, &st->lc_props, "mxp/asymmetric", '=', v);
	if ((v = kv_get(kv, "cascade", NULL)) != NULL)
		mxp_mp_msg_add_prop(&req, &st->lc_props, "mxp/cascade", '=', v);
	if ((v = kv_get(kv, "keygroup", NULL)) != NULL)
		mxp_mp_msg_add_prop(&req, &st->lc_props, "mxp/keygroup", '=', v);
	if ((v = kv_get(kv, "plainrtp", NULL)) != NULL)
		mxp_mp_msg_add_prop(&req, &st->lc_props, "mxp/plainrtp", '=', v);
}

static enum mxp_mp_mode
stream_mode(const char *s)
{
	if (s == NULL)
		return MXP_MP_MODE_UNSET;
	if (strcasecmp(s, "sendrecv") == 0)
		return MXP_MP_MODE_SENDRECV;
	if (strcasecmp(s, "sendonly") == 0)
		return MXP_MP_MODE_SENDONLY;
	if (strcasecmp(s, "recvonly") == 0)
		return MXP_MP_MODE_RECVONLY;
	if (strcasecmp(s, "inactive") == 0)
		return MXP_MP_MODE_INACTIVE;
	return MXP_MP_MODE_LOOPBACK;
}

/*
 * H.248.11 at the MGC: a new context goes to an overloaded MRFP only at the admitted rate
 * (mrfc_ocp.c). Wait for the leaky bucket, answering what the MRFP sends meanwhile (more
 * ocp/mg_overload cut the rate further). 0, or -1 on a receive error.
 */
static int
ocp_pace(struct session *s)
{
	uint64_t w;
	while (!mrfc_ocp_admit(&s->ocp, mxp_clock_ms())) {
		w = mrfc_ocp_wait_ms(&s->ocp, mxp_clock_ms());
		if (!s->quiet)
			fprintf(stderr, "mrfc: the MRFP is overloaded (ocp/mg_overload): new context "
				"in %" PRIu64 " ms (admitted rate %.1f/s)\n", w, s->ocp.rate);
		uint64_t until = mxp_clock_ms() + w;
		while (mxp_clock_ms() < until)
			if (mrfc_session_poll(s, (int)(until - mxp_clock_ms())) < 0)
				return -1;
	}
	return 0;
}

/*
 * ocp on|off: ask the MRFP for ocp/mg_overload on ROOT (Modify ROOT, Events), or stop it
 * (an empty Events descriptor). mrfc asks on its own after each ServiceChange of the MRFP
 * (not with --no-ocp).
 */
static int
cmd_ocp(struct session *s, int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "on") != 0 && strcmp(argv[1], "off") != 0)) {
		fprintf(stderr, "mrfc ocp: on or off\n");
		return 1;
	}
	uint32_t tid = new_tid(s);
	int n = mrfc_ocp_request_text(txt, sizeof(txt), s->mid, tid, strcmp(argv[1], "on") == 0);
	if (n < 0)
		return 1;
	int rc = transact_text(s, txt, (size_t)n, tid, true);
	if (rc != 0)
		return rc;
	struct kv kv = { 0 };
	return judge("ocp", &kv);
}

static int
cmd_add(struct session *s, const struct kv *kv)
{
	static const char *const ok[] = { "legs", "remote", "pt", "suite", "mki", "mode", "topn",
					   "strict", "asymmetric", "keygroup", "plainrtp", "events", "keys",
					   "dtmf", "codec", "fmtp", "localkey", "cascade", "peerkeys",
					   "audiolevel", NULL };
	if (!kv_check(kv, ok))
		return 1;
	/* events=on (authfail, keylimit), off, or a list: authfail,keylimit,ssrc,dtmf */
	static const char *const evnames[] = { MXP_MP_EV_AUTHFAIL, MXP_MP_EV_KEYLIMIT,
					       MXP_MP_EV_SSRC, MXP_MP_EV_DTMF };
	const char *evs = kv_get(kv, "events", "on");
	unsigned int evmask = 0;
	if (strcmp(evs, "on") == 0) {
		evmask = 3;
	} else if (strcmp(evs, "off") != 0) {
		char list[128];
		snprintf(list, sizeof(list), "%s", evs);
		for (char *sv, *e = strtok_r(list, ",", &sv); e; e = strtok_r(NULL, ",", &sv)) {
			unsigned int i = 0;
			while (i < 4 && strcmp(e, evnames[i] + 4) != 0 && strcmp(e, evnames[i]) != 0)
				i++;
			if (i == 4) {
				fprintf(stderr, "mrfc add: events=%s: '%s' is none of authfail, keylimit, "
					"ssrc, dtmf\n", evs, e);
				return 1;
			}
			evmask |= 1u << i;
		}
	}
	const char *dt = kv_get(kv, "dtmf", NULL);
	sdp_event_pt = 0;
	if (dt != NULL) {
		char *end;
		unsigned long v = strtoul(dt, &end, 10);
		if (*end || v < 96 || v > 127) {
			fprintf(stderr, "mrfc add: dtmf=%s: the telephone-event payload type, 96..127\n",
				dt);
			return 1;
		}
		sdp_event_pt = (unsigned int)v;
	}
	/* audiolevel=ID: both SDPs carry a=extmap:ID ...ssrc-audio-level (RFC 6464): the leg
	 * reads and (a cascade leg) writes the level in that one-byte extension */
	const char *al = kv_get(kv, "audiolevel", NULL);
	sdp_level_id = 0;
	if (al != NULL) {
		char *end;
		unsigned long v = strtoul(al, &end, 10);
		if (*end || v < 1 || v > 14) {
			fprintf(stderr, "mrfc add: audiolevel=%s: the extension id, 1..14\n", al);
			return 1;
		}
		sdp_level_id = (unsigned int)v;
	}
	/* keys=group: one Local key for every leg of this Add (one key group: the MRFP
	 * encrypts each packet once for all of them); individual (default): one per leg. */
	const char *keys = kv_get(kv, "keys", "individual");
	bool group = strcmp(keys, "group") == 0;
	if (!group && strcmp(keys, "individual") != 0) {
		fprintf(stderr, "mrfc add: keys=%s: expected individual or group\n", keys);
		return 1;
	}
	unsigned int n = (unsigned int)strtoul(kv_get(kv, "legs", "1"), NULL, 10);
	unsigned int pt = (unsigned int)strtoul(kv_get(kv, "pt", "0"), NULL, 10);
	const char *codec = kv_get(kv, "codec", NULL);
	sdp_codec[0] = sdp_fmtp[0] = '\0';
	if (codec != NULL) {
		int used = 0;
		if (sscanf(codec, "%31[^/]/%u:%u%n", sdp_codec, &sdp_codec_clock, &sdp_codec_pt,
			   &used) != 3 || codec[used] != '\0' || sdp_codec_pt < 96 ||
		    sdp_codec_pt > 127) {
			fprintf(stderr, "mrfc add: codec=%s: expected NAME/CLOCK:PT with a dynamic "
				"payload type, e.g. AMR-WB/16000:96\n", codec);
			return 1;
		}
		pt = sdp_codec_pt;
		snprintf(sdp_fmtp, sizeof(sdp_fmtp), "%s", kv_get(kv, "fmtp", ""));
	} else if (kv_get(kv, "fmtp", NULL) != NULL) {
		fprintf(stderr, "mrfc add: fmtp= goes with codec=\n");
		return 1;
	}
	unsigned int mki = (unsigned int)strtoul(kv_get(kv, "mki", "1"), NULL, 10);
	const struct mrfc_suite *suite = mrfc_suite_find(kv_get(kv, "suite",
								"AES_CM_128_HMAC_SHA1_80"));
	bool plain = strcmp(kv_get(kv, "plainrtp", "off"), "on") == 0;
	/* Subtracted legs leave the table (long scenarios add and remove thousands). */
	unsigned int live = 0;
	for (unsigned int i = 0; i < s->nlegs; i++)
		if (!s->legs[i].gone)
			s->legs[live++] = s->legs[i];
	s->nlegs = live;
	char rhost[64];
	uint16_t rport;
	if (split_hostport(kv_get(kv, "remote", "198.51.100.1:40000"), rhost, sizeof(rhost),
			   &rport) != 0 || n == 0 || n > 32 || suite == NULL ||
	    s->nlegs + n > LEGS_MAX) {
		fprintf(stderr, "mrfc add: bad remote=, legs= (1..32) or suite=\n");
		return 1;
	}
	uint32_t ctx = ctx_arg(s, kv, s->ctx ? s->ctx : MXP_MP_CTX_CHOOSE);
	if (ctx == MXP_MP_CTX_CHOOSE && ocp_pace(s) != 0)
		return 1;
	/* localkey=current (keys=group): join the context's key group, i.e. receive with the
	 * key its live legs receive with (the group key), not a new one. */
	const char *cur_key = NULL;
	const char *lk = kv_get(kv, "localkey", "new");
	if (strcmp(lk, "current") == 0) {
		if (!group) {
			fprintf(stderr, "mrfc add: localkey=current goes with keys=group\n");
			return 1;
		}
		for (unsigned int i = 0; i < s->nlegs && cur_key == NULL; i++)
			if (!s->legs[i].gone && s->legs[i].ctx == ctx && s->legs[i].rx[0])
				cur_key = s->legs[i].rx;
	} else if (strcmp(lk, "new") != 0) {
		fprintf(stderr, "mrfc add: localkey=%s: expected new or current\n", lk);
		return 1;
	}
	/* peerkeys=FILE (a cascade leg): the keys of the other MRFP's cascade leg, the last
	 * leg of that mrfc's key file, crossed: what it sends with is our Remote key, what it
	 * receives with our Local key */
	static char peer_tx[160], peer_rx[160];
	const char *pk = kv_get(kv, "peerkeys", NULL);
	if (pk != NULL && (n != 1 || plain || peer_keys(pk, peer_tx, peer_rx) != 0)) {
		fprintf(stderr, "mrfc add: peerkeys=%s: one SRTP leg and a key file with a leg's "
			"tx and rx lines\n", pk);
		return 1;
	}
	struct mxp_ip ra;
	mxp_ip_parse(rhost, &ra, NULL);
	mxp_mp_msg_init(&req, s->mid);
	uint32_t tid = new_tid(s);
	mxp_mp_msg_add_trans(&req, MXP_MP_TRANS_REQUEST, tid);
	mxp_mp_msg_add_action(&req, ctx);
	for (unsigned int i = 0; i < n; i++) {
		struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&req, MXP_MP_CMD_ADD, "$");
		if (c == NULL)
			return 1;
		c->has_media = true;
		if (i == 0)
			conf_props(c, kv);
		c->nstreams = 1;
		struct mxp_mp_stream *st = &c->streams[0];
		st->id = 1;
		st->mode = MXP_MP_MODE_SENDRECV;
		leg_props(st, kv);
		crypto_l[i][0] = crypto_r[i][0] = '\0';
		if (!plain && (mrfc_crypto_line(suite, 1, mki, crypto_l[i], sizeof(crypto_l[i])) != 0 ||
			       mrfc_crypto_line(suite, 1, mki, crypto_r[i], sizeof(crypto_r[i])) != 0))
			return 1;
		if (!plain && group && i > 0)
			memcpy(crypto_l[i], crypto_l[0], sizeof(crypto_l[i]));
		if (!plain && group && cur_key != NULL)
			snprintf(crypto_l[i], sizeof(crypto_l[i]), "%s", cur_key);
		if (pk != NULL) {
			snprintf(crypto_l[i], sizeof(crypto_l[i]), "%s", peer_tx);
			snprintf(crypto_r[i], sizeof(crypto_r[i]), "%s", peer_rx);
			explicit_bzero(peer_tx, sizeof(peer_tx));
			explicit_bzero(peer_rx, sizeof(peer_rx));
		}
		if (build_sdp(sdp_local[i], sizeof(sdp_local[i]), NULL, 0, true, pt, !plain,
			      crypto_l[i], ra.af) < 0 ||
		    build_sdp(sdp_remote[i], sizeof(sdp_remote[i]), rhost, (uint16_t)(rport + 2 * i),
			      false, pt, !plain, crypto_r[i], ra.af) < 0)
			return 1;
		st->has_local = st->has_remote = true;
		st->local = mxp_mp_str_c(sdp_local[i]);
		st->remote = mxp_mp_str_c(sdp_remote[i]);
		if (evmask) {
			c->has_events = true;
			c->events_rid = tid;
			for (unsigned int e = 0; e < 4; e++)
				if (evmask & (1u << e))
					mxp_mp_msg_add_prop(&req, &c->events, evnames[e], 0, "");
		}
	}
	int rc = transact(s);
	if (rc != 0)
		return rc;
	rc = judge("add", kv);
	/* Record the legs the reply created: context, termination, the MRFP's address. */
	for (uint16_t a = 0; a < rep.nactions; a++) {
		const struct mxp_mp_action *ac = &rep.actions[a];
		if (ac->ncmds == 0)
			continue;
		s->ctx = ac->ctx;
		for (uint16_t c = 0; c < ac->ncmds && c < n; c++) {
			const struct mxp_mp_cmd *cm = &rep.cmds[ac->first_cmd + c];
			if (cm->type != MXP_MP_CMD_ADD || cm->has_error || s->nlegs >= LEGS_MAX)
				continue;
			struct leg *l = &s->legs[s->nlegs++];
			memset(l, 0, sizeof(*l));
			l->ctx = ac->ctx;
			snprintf(l->term, sizeof(l->term), "%.*s", (int)cm->term.len, cm->term.p);
			snprintf(l->remote_addr, sizeof(l->remote_addr), "%s", rhost);
			l->remote_port = (uint16_t)(rport + 2 * c);
			l->pt = pt;
			leg_codec_set(l, pt);
			_Static_assert(sizeof(l->tx) == sizeof(crypto_r[0]) &&
				       sizeof(l->rx) == sizeof(crypto_l[0]), "a=crypto line sizes");
			memcpy(l->tx, crypto_r[c], sizeof(l->tx));
			memcpy(l->rx, crypto_l[c], sizeof(l->rx));
			if (cm->nstreams > 0 && cm->streams[0].has_local) {
				struct mxp_sdp sd;
				struct mxp_mp_error e;
				if (mxp_sdp_parse(cm->streams[0].local.p, cm->streams[0].local.len, &sd,
						  &e) == 0) {
					mxp_sdp_addr_str(&sd, l->mrfp_addr, sizeof(l->mrfp_addr));
					l->mrfp_port = sd.port;
				}
			}
			if (!mute)
				printf("leg ctx=%u term=%s mrfp=%s:%u\n", l->ctx, l->term,
				       l->mrfp_addr, l->mrfp_port);
		}
	}
	keys_write(s);
	for (unsigned int i = 0; i < n; i++) {
		explicit_bzero(crypto_l[i], sizeof(crypto_l[i]));
		explicit_bzero(crypto_r[i], sizeof(crypto_r[i]));
		explicit_bzero(sdp_local[i], sizeof(sdp_local[i]));
		explicit_bzero(sdp_remote[i], sizeof(sdp_remote[i]));
	}
	return rc;
}

static int
cmd_modify(struct session *s, const struct kv *kv)
{
	static const char *const ok[] = { "term", "streammode", "rekey", "mki", "suite", "remote",
					   "pt", "mode", "topn", "strict", "asymmetric", "keygroup", "mute",
					   "floor", "activate", "cascade", NULL };
	if (!kv_check(kv, ok))
		return 1;
	const char *term = kv_get(kv, "term", NULL);
	const struct mrfc_suite *suite = mrfc_suite_find(kv_get(kv, "suite",
								"AES_CM_128_HMAC_SHA1_80"));
	if (term == NULL || suite == NULL) {
		fprintf(stderr, "mrfc modify: term= is required\n");
		return 1;
	}
	bool rekey = strcmp(kv_get(kv, "rekey", "off"), "on") == 0;
	const char *activate = kv_get(kv, "activate", rekey ? "now" : NULL);
	/*
	 * Rekeying (doc/mp.md "Keys and rekeying"): activate=now (one step) replaces the keys;
	 * activate=later installs the new ones beside the old (the MRFP keeps sending with the
	 * old Local key; the participant may send with either), and a later "activate=MKI"
	 * switches the MRFP to the new Local key and drops the old keys.
	 */
	bool later = rekey && activate != NULL && strcmp(activate, "later") == 0;
	bool do_switch = !rekey && activate != NULL;
	if (rekey && !later && strcmp(activate, "now") != 0) {
		fprintf(stderr, "mrfc modify: with rekey=on, activate= is now or later\n");
		return 1;
	}
	unsigned int mki = (unsigned int)strtoul(kv_get(kv, "mki", "2"), NULL, 10);
	const char *remote = kv_get(kv, "remote", NULL);
	struct leg *l = leg_find(s, term);
	/* the Remote's payload type: the leg's unless pt= changes it (a re-INVITE: the MRFP
	 * takes a Remote m= line with other codecs as a codec change) */
	const char *ptv = kv_get(kv, "pt", NULL);
	unsigned int pt = ptv ? (unsigned int)strtoul(ptv, NULL, 10) : l != NULL ? l->pt : 0;
	bool all = strcmp(term, "*") == 0;
	/* The first live leg stands for '*' (its current keys are the group's). */
	struct leg *ref = l;
	for (unsigned int i = 0; all && i < s->nlegs && ref == NULL; i++)
		if (!s->legs[i].gone)
			ref = &s->legs[i];
	if ((later || do_switch) && ref == NULL) {
		fprintf(stderr, "mrfc modify: a two-step rekey needs the leg's keys (--keys-out)\n");
		return 1;
	}
	if (do_switch && ref->rx2[0] == '\0') {
		fprintf(stderr, "mrfc modify: activate=%s: no key installed by rekey=on "
				"activate=later\n", activate);
		return 1;
	}
	mxp_mp_msg_init(&req, s->mid);
	mxp_mp_msg_add_trans(&req, MXP_MP_TRANS_REQUEST, new_tid(s));
	mxp_mp_msg_add_action(&req, ctx_arg(s, kv, s->ctx));
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&req, MXP_MP_CMD_MODIFY, term);
	c->has_media = true;
	conf_props(c, kv);
	c->nstreams = 1;
	struct mxp_mp_stream *st = &c->streams[0];
	st->id = 1;
	st->mode = stream_mode(kv_get(kv, "streammode", NULL));
	leg_props(st, kv);
	const char *v;
	if ((v = kv_get(kv, "mute", NULL)) != NULL)
		mxp_mp_msg_add_prop(&req, &st->lc_props, "mxp/mute", '=', v);
	if ((v = kv_get(kv, "floor", NULL)) != NULL)
		mxp_mp_msg_add_prop(&req, &c->ts_props, "mxp/floor", '=', v);
	crypto_l[0][0] = crypto_r[0][0] = '\0';
	/* Local a=crypto lines: the first is the key the MRFP sends with. */
	const char *l1 = NULL, *l2 = NULL, *r1 = NULL, *r2 = NULL;
	/* RFC 4568 tags tell the lines of one m= apart: the new key takes the other tag */
	unsigned int tag = later && strtoul(ref->rx, NULL, 10) == 1 ? 2 : 1;
	if (rekey) {
		if (mrfc_crypto_line(suite, tag, mki, crypto_l[0], sizeof(crypto_l[0])) != 0)
			return 1;
		l1 = later ? ref->rx : crypto_l[0];
		l2 = later ? crypto_l[0] : NULL;
	} else if (do_switch) {
		l1 = ref->rx2;
	}
	if (l1 != NULL) {
		build_sdp2(sdp_local[0], sizeof(sdp_local[0]), NULL, 0, true, pt, true, l1, l2,
			   s->io.mrfp.af);
		st->has_local = true;
		st->local = mxp_mp_str_c(sdp_local[0]);
	}
	if (remote != NULL || ((rekey || do_switch) && !all)) {
		char rh[64];
		uint16_t rp;
		if (remote != NULL) {
			if (split_hostport(remote, rh, sizeof(rh), &rp) != 0)
				return 1;
		} else if (l != NULL) {
			snprintf(rh, sizeof(rh), "%s", l->remote_addr);
			rp = l->remote_port;
		} else {
			fprintf(stderr, "mrfc modify: rekey of an unknown leg needs remote=\n");
			return 1;
		}
		if (rekey) {
			/*
			 * The participant may go on sending with its old key until it has the new
			 * one: the Remote lists both (now and later alike), with distinct tags. The
			 * old one leaves with the next rekey or the switch of a two-step one.
			 */
			bool both = l != NULL && l->tx[0] != '\0';
			unsigned int rtag = both && strtoul(l->tx, NULL, 10) == 1 ? 2 : 1;
			if (mrfc_crypto_line(suite, rtag, mki, crypto_r[0],
					     sizeof(crypto_r[0])) != 0)
				return 1;
			r1 = both ? l->tx : crypto_r[0];
			r2 = both ? crypto_r[0] : NULL;
		} else if (do_switch) {
			r1 = l->tx; /* the new one since rekey=on activate=later */
		}
		/* without pt=: the leg's own codec (and events), as its add offered them */
		char g_codec[32], g_fmtp[200];
		unsigned int g_clock = sdp_codec_clock, g_cpt = sdp_codec_pt, g_ev = sdp_event_pt;
		memcpy(g_codec, sdp_codec, sizeof(g_codec));
		memcpy(g_fmtp, sdp_fmtp, sizeof(g_fmtp));
		if (ptv == NULL && l != NULL) {
			snprintf(sdp_codec, sizeof(sdp_codec), "%s", l->codec);
			sdp_codec_clock = l->codec_clock;
			sdp_codec_pt = l->pt;
			snprintf(sdp_fmtp, sizeof(sdp_fmtp), "%s", l->fmtp);
			sdp_event_pt = l->event_pt;
		}
		build_sdp2(sdp_remote[0], sizeof(sdp_remote[0]), rh, rp, false, pt, true, r1, r2,
			   s->io.mrfp.af);
		memcpy(sdp_codec, g_codec, sizeof(g_codec));
		memcpy(sdp_fmtp, g_fmtp, sizeof(g_fmtp));
		sdp_codec_clock = g_clock, sdp_codec_pt = g_cpt, sdp_event_pt = g_ev;
		st->has_remote = true;
		st->remote = mxp_mp_str_c(sdp_remote[0]);
		if (l != NULL) {
			snprintf(l->remote_addr, sizeof(l->remote_addr), "%s", rh);
			l->remote_port = rp;
		}
	}
	int rc = transact(s);
	if (rc != 0)
		return rc;
	rc = judge("modify", kv);
	if (rc == 0 && l != NULL && st->has_remote && ptv != NULL) {
		l->pt = pt; /* a codec change: what the leg has now */
		leg_codec_set(l, pt);
	}
	if (rc == 0 && (rekey || do_switch)) {
		for (unsigned int i = 0; i < s->nlegs; i++) {
			struct leg *x = &s->legs[i];
			if (x->gone || (!all && x != l))
				continue;
			if (later) {
				/* receive with both during the overlap; send with the new key */
				snprintf(x->rx2, sizeof(x->rx2), "%s", crypto_l[0]);
			} else if (do_switch) {
				memcpy(x->rx, x->rx2, sizeof(x->rx)); /* same size */
				explicit_bzero(x->rx2, sizeof(x->rx2));
			} else {
				snprintf(x->rx, sizeof(x->rx), "%s", crypto_l[0]);
				explicit_bzero(x->rx2, sizeof(x->rx2));
			}
			if (crypto_r[0][0])
				snprintf(x->tx, sizeof(x->tx), "%s", crypto_r[0]);
		}
		keys_write(s);
	}
	explicit_bzero(crypto_l[0], sizeof(crypto_l[0]));
	explicit_bzero(crypto_r[0], sizeof(crypto_r[0]));
	explicit_bzero(sdp_local[0], sizeof(sdp_local[0]));
	explicit_bzero(sdp_remote[0], sizeof(sdp_remote[0]));
	return rc;
}

static int
cmd_subtract_audit(struct session *s, const struct kv *kv, bool subtract)
{
	static const char *const ok[] = { "term", "what", NULL };
	if (!kv_check(kv, ok))
		return 1;
	const char *term = kv_get(kv, "term", subtract ? NULL : "*");
	/* audit what=: media,stats (default), stats, or terminations (an empty descriptor: the
	 * terminations only, small whatever the context's size) */
	const char *what = kv_get(kv, "what", subtract ? "stats" : "media,stats");
	unsigned int audit = 0;
	if (strcmp(what, "media,stats") == 0)
		audit = MXP_MP_AUDIT_MEDIA | MXP_MP_AUDIT_STATS;
	else if (strcmp(what, "stats") == 0)
		audit = MXP_MP_AUDIT_STATS;
	else if (strcmp(what, "terminations") != 0 || subtract) {
		fprintf(stderr, "mrfc %s: what=%s: expected media,stats, stats or terminations%s\n",
			subtract ? "subtract" : "audit", what, subtract ? " (audit only)" : "");
		return 1;
	}
	if (term != NULL && strcmp(term, "last") == 0) {
		/* scenarios: the most recently added live leg */
		term = NULL;
		for (unsigned int k = s->nlegs; k-- > 0;)
			if (!s->legs[k].gone) {
				term = s->legs[k].term;
				break;
			}
	}
	if (term == NULL) {
		fprintf(stderr, "mrfc subtract: term= is required\n");
		return 1;
	}
	mxp_mp_msg_init(&req, s->mid);
	mxp_mp_msg_add_trans(&req, MXP_MP_TRANS_REQUEST, new_tid(s));
	mxp_mp_msg_add_action(&req, ctx_arg(s, kv, s->ctx ? s->ctx : MXP_MP_CTX_ALL));
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&req, subtract ? MXP_MP_CMD_SUBTRACT :
						  MXP_MP_CMD_AUDIT_VALUE, term);
	c->has_audit = true;
	c->audit = audit;
	int rc = transact(s);
	if (rc != 0)
		return rc;
	rc = judge(subtract ? "subtract" : "audit", kv);
	/* Print statistics as "stat <term> <name> <value>" lines for scripts. */
	for (uint16_t i = 0; i < rep.ncmds; i++) {
		const struct mxp_mp_cmd *cm = &rep.cmds[i];
		struct mxp_mp_props runs[1 + MXP_MP_STREAMS_MAX];
		int nr = 0;
		runs[nr++] = cm->stats;
		for (uint8_t k = 0; k < cm->nstreams; k++)
			runs[nr++] = cm->streams[k].stats;
		for (int r = 0; r < nr; r++)
			for (uint16_t k = 0; k < runs[r].n; k++) {
				const struct mxp_mp_prop *p = &rep.props[runs[r].first + k];
				if (!mute)
					printf("stat %.*s %.*s %.*s\n", (int)cm->term.len, cm->term.p,
				       (int)p->name.len, p->name.p, (int)p->value.len, p->value.p);
			}
		if (subtract && rc == 0 && !cm->has_error) {
			for (unsigned int k = 0; k < s->nlegs; k++)
				if (strcmp(term, "*") == 0 ||
				    mxp_mp_str_eq(cm->term, s->legs[k].term))
					s->legs[k].gone = true;
		}
	}
	if (subtract && rc == 0) {
		keys_write(s);
		bool any = false;
		for (unsigned int k = 0; k < s->nlegs; k++)
			any |= !s->legs[k].gone;
		if (!any)
			s->ctx = 0; /* the last Subtract ended the context */
	}
	return rc;
}

static int
cmd_raw(struct session *s, const char *text, const struct kv *kv)
{
	static char buf[MXP_MP_MSG_MAX * 2];
	size_t n;
	if (strncasecmp(text, "MEGACO/", 7) == 0 || strncmp(text, "!/", 2) == 0)
		n = (size_t)snprintf(buf, sizeof(buf), "%s", text);
	else
		n = (size_t)snprintf(buf, sizeof(buf), "%s/3 %s\n%s",
				     s->style == MXP_MP_STYLE_LONG ? "MEGACO" : "!", s->mid, text);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	struct mxp_mp_error e;
	bool have = mxp_mp_parse(buf, n, &req, &e) == 0 && req.ntrans > 0;
	if (!have && e.have_tid)
		have = true;
	uint32_t tid = have ? (req.ntrans > 0 ? req.trans[0].id : e.tid) : 0;
	int rc = transact_text(s, buf, n, tid, have);
	if (rc != 0)
		return rc;
	return judge("raw", kv);
}

static int run_command(struct session *s, int argc, char **argv);

/* ---- churn: a join/leave trace, the group key rekeyed by a policy (mrfc_churn.c) ---- */

struct churn {
	struct session *s;
	char remote_host[64];
	uint16_t remote_port;
	const char *mode, *pt, *codec;
	bool two_step;
	unsigned int overlap_ms;
	unsigned int mki;         /* of the current group key */
	FILE *hist;               /* keys-history=FILE: joins, leaves and group keys, timed */
	int hist_errno;           /* the first write to it that failed, or 0 */
	char hist_buf[1024];      /* its stdio buffer: it holds keys, wiped after fclose */
};

/*
 * keys-history=FILE (mode 0600: it holds keys, like --keys-out): one line per event, at
 * the wall clock (CLOCK_REALTIME, as capture timestamps) when its reply arrived, so that a
 * capture of what the MRFP sent can be decrypted afterwards with the keys each participant
 * held (benchmarks/rekey/rekey_capture.py):
 *   join <t> <id> <term> <participant-port> <a=crypto value it receives with>
 *   leave <t> <id> <term>
 *   rekey <t> <mki> <a=crypto value of the group key now in use>
 */
static void
churn_hist(struct churn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
churn_hist(struct churn *c, const char *fmt, ...)
{
	if (c->hist == NULL)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	va_list ap;
	va_start(ap, fmt);
	char line[512];
	int n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	char *sp = strchr(line, ' ');
	if (sp)
		*sp = '\0';
	/* A line cut short would name a key the MRFP never had: fail the run instead. */
	int e = 0;
	if (n < 0 || (size_t)n >= sizeof(line)) {
		e = EOVERFLOW;
	} else {
		errno = 0;
		if (fprintf(c->hist, "%s %ld.%06ld%s%s\n", line, (long)ts.tv_sec,
			    ts.tv_nsec / 1000, sp ? " " : "", sp ? sp + 1 : "") < 0 ||
		    fflush(c->hist) != 0)
			e = errno ? errno : EIO;
	}
	if (e != 0 && c->hist_errno == 0)
		c->hist_errno = e;
	explicit_bzero(line, sizeof(line));
}

static int
churn_cmd(struct session *s, int argc, char **argv)
{
	struct kv kv;
	if (kv_parse(&kv, argc - 1, argv + 1) != 0)
		return 1;
	int rc;
	if (strcmp(argv[0], "add") == 0)
		rc = cmd_add(s, &kv);
	else if (strcmp(argv[0], "modify") == 0)
		rc = cmd_modify(s, &kv);
	else
		rc = cmd_subtract_audit(s, &kv, true);
	return rc;
}

static int
churn_join(void *arg, uint32_t id)
{
	struct churn *c = arg;
	bool first = true;
	for (unsigned int i = 0; i < c->s->nlegs && first; i++)
		first = c->s->legs[i].gone;
	char remote[96], mode[48], pt[32], mki[32];
	/* participant id -> its own UDP port (room for 10000 at once) */
	snprintf(remote, sizeof(remote), "remote=%s:%u", c->remote_host,
		 (unsigned)(c->remote_port + 2 * (id % 10000)));
	snprintf(mode, sizeof(mode), "mode=%s", c->mode);
	snprintf(pt, sizeof(pt), "pt=%s", c->pt);
	snprintf(mki, sizeof(mki), "mki=%u", first ? 1 : c->mki);
	if (first)
		c->mki = 1;
	char *argv[] = { "add", "legs=1", "keys=group", "localkey=current", remote, pt, mki,
			 first ? mode : NULL, NULL };
	int argc = first ? 8 : 7;
	int rc = churn_cmd(c->s, argc, argv);
	if (rc == 0 && c->s->nlegs > 0) {
		struct leg *l = &c->s->legs[c->s->nlegs - 1];
		l->churn_id = id;
		churn_hist(c, "join %u %s %u %s", id, l->term, l->remote_port, l->rx);
	}
	return rc;
}

static int
churn_leave(void *arg, uint32_t id)
{
	struct churn *c = arg;
	for (unsigned int i = 0; i < c->s->nlegs; i++) {
		struct leg *l = &c->s->legs[i];
		if (!l->gone && l->churn_id == id) {
			char term[96];
			snprintf(term, sizeof(term), "term=%s", l->term);
			char *argv[] = { "subtract", term, NULL };
			int rc = churn_cmd(c->s, 2, argv);
			if (rc == 0)
				churn_hist(c, "leave %u %s", id, l->term);
			return rc;
		}
	}
	fprintf(stderr, "mrfc churn: participant %u leaves but never joined\n", id);
	return 2;
}

/* The group key in use after a rekey: what every live leg now receives with. */
static void
churn_hist_key(struct churn *c)
{
	for (unsigned int i = 0; i < c->s->nlegs; i++)
		if (!c->s->legs[i].gone) {
			churn_hist(c, "rekey %u %s", c->mki, c->s->legs[i].rx);
			return;
		}
}

static int
churn_rekey(void *arg)
{
	struct churn *c = arg;
	bool any = false;
	for (unsigned int i = 0; i < c->s->nlegs && !any; i++)
		any = !c->s->legs[i].gone;
	if (!any)
		return 1;
	char mki[32], act[32];
	c->mki = c->mki >= 0x7fffffffu ? 1 : c->mki + 1;
	snprintf(mki, sizeof(mki), "mki=%u", c->mki);
	if (!c->two_step) {
		char *argv[] = { "modify", "term=*", "rekey=on", mki, NULL };
		int rc = churn_cmd(c->s, 4, argv);
		if (rc == 0)
			churn_hist_key(c);
		return rc;
	}
	/* make before break: the new key beside the old, then the switch */
	char *a1[] = { "modify", "term=*", "rekey=on", "activate=later", mki, NULL };
	int rc = churn_cmd(c->s, 5, a1);
	if (rc != 0)
		return rc;
	if (c->overlap_ms) {
		struct timespec ts = { c->overlap_ms / 1000, (long)(c->overlap_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	snprintf(act, sizeof(act), "activate=%u", c->mki);
	char *a2[] = { "modify", "term=*", act, NULL };
	rc = churn_cmd(c->s, 3, a2);
	if (rc == 0)
		churn_hist_key(c);
	return rc;
}

static int
churn_audit(void *arg)
{
	struct churn *c = arg;
	struct kv kv;
	char *argv[] = { "term=*", "what=terminations", NULL };
	if (kv_parse(&kv, 2, argv) != 0)
		return 1;
	return cmd_subtract_audit(c->s, &kv, false);
}

static int
cmd_churn(struct session *s, const struct kv *kv)
{
	static const char *const ok[] = { "trace", "policy", "speed", "dry-run", "rekey",
					   "overlap", "remote", "mode", "pt", "audit",
					   "keys-history", NULL };
	if (!kv_check(kv, ok))
		return 1;
	struct churn c = { .s = s, .mode = kv_get(kv, "mode", "switch"),
			   .pt = kv_get(kv, "pt", "0") };
	struct mrfc_churn_params p = {
		.trace = kv_get(kv, "trace", NULL),
		.policy = kv_get(kv, "policy", "immediate"),
		.speed = strtod(kv_get(kv, "speed", "1"), NULL),
		.dry_run = strcmp(kv_get(kv, "dry-run", "off"), "on") == 0,
		.quiet = s->quiet,
	};
	const char *rk = kv_get(kv, "rekey", "one-step");
	if (strcmp(rk, "two-step") == 0)
		c.two_step = p.two_step = true;
	else if (strcmp(rk, "one-step") != 0) {
		fprintf(stderr, "mrfc churn: rekey=%s: expected one-step or two-step\n", rk);
		return 1;
	}
	char *end;
	unsigned long ov = strtoul(kv_get(kv, "overlap", "0"), &end, 10);
	if (*end != '\0' || ov > 60000) {
		fprintf(stderr, "mrfc churn: overlap=%s: milliseconds between installing and using "
			"a new key (two-step), 0..60000\n", kv_get(kv, "overlap", ""));
		return 1;
	}
	c.overlap_ms = (unsigned int)ov;
	p.audit_s = strtod(kv_get(kv, "audit", "0"), &end);
	if (*end != '\0' || !(p.audit_s >= 0 && p.audit_s <= 3600)) {
		fprintf(stderr, "mrfc churn: audit=%s: seconds between audits of the conference, "
			"0 (none) .. 3600\n", kv_get(kv, "audit", ""));
		return 1;
	}
	if (p.trace == NULL) {
		fprintf(stderr, "mrfc churn: trace=FILE is required (benchmarks/rekey/"
			"rekey_policy.py --dump-trace KIND writes one)\n");
		return 1;
	}
	if (split_hostport(kv_get(kv, "remote", "198.51.100.1:20000"), c.remote_host,
			   sizeof(c.remote_host), &c.remote_port) != 0 || c.remote_port > 45534) {
		fprintf(stderr, "mrfc churn: remote=IP:PORT, the first participant port at most "
			"45534 (20000 ports above it)\n");
		return 1;
	}
	const char *hist = kv_get(kv, "keys-history", NULL);
	if (hist) {
		int fd = mxp_secret_file_open(hist);
		c.hist = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (c.hist)
			setvbuf(c.hist, c.hist_buf, _IOFBF, sizeof(c.hist_buf));
		if (c.hist == NULL) {
			fprintf(stderr, "mrfc churn: keys-history=%s: %s\n", hist,
				fd < 0 ? mxp_secret_file_strerror(fd) : strerror(errno));
			if (fd >= 0)
				close(fd);
			return 1;
		}
	}
	struct mrfc_churn_ops ops = { churn_join, churn_leave, churn_rekey, churn_audit };
	mute = true;
	int rc = mrfc_churn(&p, &ops, &c);
	mute = false;
	if (c.hist) {
		if (fclose(c.hist) != 0 && c.hist_errno == 0)
			c.hist_errno = errno ? errno : EIO;
		explicit_bzero(c.hist_buf, sizeof(c.hist_buf));
		if (c.hist_errno) {
			fprintf(stderr, "mrfc churn: keys-history=%s: not all written (%s): "
				"do not use it to decrypt a capture\n", hist, strerror(c.hist_errno));
			rc = 1;
		}
	}
	return rc;
}

static int
cmd_scenario(struct session *s, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	unsigned int no = 0;
	if (f == NULL) {
		perror(path);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		no++;
		char *argv[ARGS_MAX + 2];
		int argc = 0;
		char *save = NULL;
		line[strcspn(line, "\r\n")] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "raw ", 4) == 0) {
			/* the rest of the line is the text; "\n" escapes a line break */
			static char text[MXP_MP_MSG_MAX];
			size_t o = 0;
			char *q = p + 4, *exp = strstr(q, " expect=");
			if (exp != NULL)
				*exp = '\0';
			for (; *q && o + 1 < sizeof(text); q++) {
				if (q[0] == '\\' && q[1] == 'n') {
					text[o++] = '\n';
					q++;
				} else {
					text[o++] = *q;
				}
			}
			text[o] = '\0';
			struct kv kv;
			char *ea[1] = { exp ? exp + 1 : NULL };
			kv_parse(&kv, exp ? 1 : 0, ea);
			printf("# %s:%u raw\n", path, no);
			int rc = cmd_raw(s, text, &kv);
			if (rc != 0) {
				fclose(f);
				return rc;
			}
			continue;
		}
		for (char *tok = strtok_r(p, " \t", &save); tok && argc < ARGS_MAX + 1;
		     tok = strtok_r(NULL, " \t", &save))
			argv[argc++] = tok;
		argv[argc] = NULL;
		printf("# %s:%u %s\n", path, no, argv[0]);
		int rc = run_command(s, argc, argv);
		if (rc != 0) {
			fprintf(stderr, "mrfc: %s:%u: '%s' failed (%d)\n", path, no, argv[0], rc);
			fclose(f);
			return rc;
		}
	}
	fclose(f);
	return 0;
}

/* Hex lines on stdin, hex lines on stdout: ESP interop checks against other stacks. */
static int
hexline(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; s[0] && s[1] && s[0] != '\n'; s += 2) {
		unsigned int v;
		if (sscanf(s, "%2x", &v) != 1 || n >= cap)
			return -1;
		out[n++] = (uint8_t)v;
	}
	return (int)n;
}

static int
cmd_esp(struct session *s, bool seal)
{
	static char line[140000];
	static uint8_t in[65536], out[70000];
	int bad = 0;
	while (fgets(line, sizeof(line), stdin) != NULL) {
		int n = hexline(line, in, sizeof(in));
		if (n < 0) {
			printf("error bad-hex\n");
			bad = 1;
			continue;
		}
		if (seal) {
			struct mxp_esp_meta m;
			size_t el;
			enum mxp_esp_drop d = mxp_esp_ep_output(s->io.ep, &s->io.mrfp, in, (size_t)n,
								17, out + 48, sizeof(out) - 48, &el,
								&m);
			if (d != MXP_ESP_DROP_NONE) {
				printf("drop %s\n", mxp_esp_drop_name(d));
				bad = 1;
				continue;
			}
			size_t hl = mxp_esp_frame_hdr_len(&m);
			memmove(out + hl, out + 48, el);
			int tl = mxp_esp_frame_build(out, sizeof(out), &m, el);
			for (int i = 0; i < tl; i++)
				printf("%02x", out[i]);
			printf("\n");
		} else {
			struct mxp_esp_meta m;
			size_t off, el;
			struct mxp_esp_rx rx;
			enum mxp_esp_drop d = mxp_esp_frame_parse(in, (size_t)n, &m, &off, &el);
			if (d == MXP_ESP_DROP_NONE)
				d = mxp_esp_ep_input(s->io.ep, &m, in + off, el, &rx);
			if (d != MXP_ESP_DROP_NONE) {
				printf("drop %s\n", mxp_esp_drop_name(d));
				continue;
			}
			printf("ok %u ", rx.next_proto);
			for (size_t i = 0; i < rx.len; i++)
				printf("%02x", in[off + rx.off + i]);
			printf("\n");
		}
		fflush(stdout);
	}
	return bad;
}

/*
 * listen [duration=S] [count=N]: print and answer what the MRFP sends (the Notify of the
 * events a command asked for, a ServiceChange) for S seconds (default 10), or until N
 * Notify commands arrived. Exit 0; 3 when count= was given and fewer arrived in time.
 */
static void
on_stop_signal(int sig)
{
	(void)sig;
	mrfc_stop = 1;
}

static int
cmd_listen(struct session *s, const struct kv *kv)
{
	static const char *const allowed[] = { "duration", "count", NULL };
	if (!kv_check(kv, allowed))
		return 1;
	char *end;
	const char *d = kv_get(kv, "duration", "10"), *c = kv_get(kv, "count", NULL);
	double dur = strtod(d, &end);
	if (*end || dur <= 0 || dur > 86400) {
		fprintf(stderr, "mrfc listen: duration '%s': seconds, more than 0, at most 86400\n", d);
		return 1;
	}
	long want = 0;
	if (c != NULL) {
		want = strtol(c, &end, 10);
		if (*end || want < 1 || want > 1000000) {
			fprintf(stderr, "mrfc listen: count '%s': 1..1000000 Notify commands\n", c);
			return 1;
		}
	}
	/* SIGTERM or SIGINT ends the listening like its duration: the session closes (over
	 * SCTP the association is aborted, so the MRFP learns it at once and associates
	 * again, rather than after its heartbeats) */
	struct sigaction sa = { .sa_handler = on_stop_signal }; /* no SA_RESTART: poll returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	uint64_t stop = mxp_clock_ms() + (uint64_t)(dur * 1000);
	long got = 0;
	while ((want == 0 || got < want) && mxp_clock_ms() < stop && !mrfc_stop) {
		int n = mrfc_io_recv(&s->io, rtxt, sizeof(rtxt), (int)(stop - mxp_clock_ms()));
		if (n < 0) {
			fprintf(stderr, "mrfc: receive: %s\n", strerror(-n));
			return 1;
		}
		if (n == 0)
			continue;
		struct mxp_mp_error e;
		if (mxp_mp_parse(rtxt, (size_t)n, &rep, &e) != 0) {
			fprintf(stderr, "mrfc: unparsable message ignored: %s\n", e.text);
			continue;
		}
		got += answer_requests(s, &rep, rtxt, (size_t)n, stdout);
	}
	if (want && got < want) {
		fprintf(stderr, "mrfc listen: %ld of %ld Notify in %s s\n", got, want, d);
		return 3;
	}
	return 0;
}

static int
run_command1(struct session *s, int argc, char **argv)
{
	struct kv kv;
	const char *cmd = argv[0];
	if (strcmp(cmd, "raw") == 0) {
		if (argc < 2) {
			fprintf(stderr, "mrfc raw: TEXT missing\n");
			return 1;
		}
		if (kv_parse(&kv, argc - 2, argv + 2) != 0)
			return 1;
		return cmd_raw(s, argv[1], &kv);
	}
	if (strcmp(cmd, "scenario") == 0)
		return argc == 2 ? cmd_scenario(s, argv[1]) : 1;
	if (strcmp(cmd, "flood") == 0)
		return mrfc_flood(&s->io, s->mid, s->next_tid, argc, argv);
	if (strcmp(cmd, "ocp") == 0)
		return cmd_ocp(s, argc, argv);
	if (kv_parse(&kv, argc - 1, argv + 1) != 0)
		return 1;
	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "create") == 0)
		return cmd_add(s, &kv);
	if (strcmp(cmd, "modify") == 0)
		return cmd_modify(s, &kv);
	if (strcmp(cmd, "subtract") == 0)
		return cmd_subtract_audit(s, &kv, true);
	if (strcmp(cmd, "audit") == 0)
		return cmd_subtract_audit(s, &kv, false);
	if (strcmp(cmd, "listen") == 0)
		return cmd_listen(s, &kv);
	if (strcmp(cmd, "churn") == 0)
		return cmd_churn(s, &kv);
	fprintf(stderr, "mrfc: unknown command '%s'\n", cmd);
	return 1;
}

/* One command; one whose --keys-out file could not be written fails (exit status 1): a
 * later run, or a test decrypting captures, would read keys that are not the MRFP's. */
static int
run_command(struct session *s, int argc, char **argv)
{
	s->keys_failed = false;
	int rc = run_command1(s, argc, argv);
	return rc == 0 && s->keys_failed ? 1 : rc;
}

/* ---- sessions for mrfc_fleet.c: one per MRFP, the commands above on each ---------------- */

struct session *
mrfc_session_new(const struct session *tmpl)
{
	struct session *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->style = tmpl->style;
	s->retx = tmpl->retx;
	s->quiet = tmpl->quiet;
	s->no_ocp = tmpl->no_ocp;
	s->io.verbose = tmpl->io.verbose;
	s->io.mp_port = tmpl->io.mp_port;
	s->io.local_mp_port = tmpl->io.local_mp_port;
	s->io.sctp_wait_ms = tmpl->io.sctp_wait_ms;
	s->io.fd_plain = s->io.fd_raw = s->io.fd_udp = -1;
	/* the run's fresh transaction ids (or --tid): each MRFP has its own reply cache */
	s->next_tid = tmpl->next_tid;
	return s;
}

void
mrfc_session_free(struct session *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s->legs, sizeof(s->legs));
	free(s);
}

struct mrfc_ocp *
mrfc_session_ocp(struct session *s)
{
	return &s->ocp;
}

struct mrfc_io *
mrfc_session_io(struct session *s)
{
	return &s->io;
}

/* Open the transport and name ourselves (the MID: our address and H.248 port). */
int
mrfc_session_open(struct session *s, const char *sa, bool plaintext, const char *backend,
		  char *err, size_t errlen)
{
	int rc = mrfc_io_open(&s->io, sa, plaintext, backend, err, errlen);
	char a[64];
	snprintf(s->mid, sizeof(s->mid), "[%s]:%u",
		 s->io.local.af ? mxp_ip_format(&s->io.local, a, sizeof(a)) : "0.0.0.0",
		 s->io.local_mp_port);
	return rc;
}

void
mrfc_session_keys(struct session *s, const char *keys_out)
{
	s->keys_out = keys_out;
	keys_read(s);
}

int
mrfc_session_run(struct session *s, int argc, char **argv)
{
	return run_command(s, argc, argv);
}

uint32_t
mrfc_session_ctx(const struct session *s)
{
	return s->ctx;
}

void
mrfc_session_forget(struct session *s, uint32_t ctx)
{
	for (unsigned int i = 0; i < s->nlegs; i++)
		if (ctx == 0 || s->legs[i].ctx == ctx) {
			s->legs[i].gone = true;
			explicit_bzero(s->legs[i].tx, sizeof(s->legs[i].tx));
			explicit_bzero(s->legs[i].rx, sizeof(s->legs[i].rx));
			explicit_bzero(s->legs[i].rx2, sizeof(s->legs[i].rx2));
		}
	if (ctx == 0 || s->ctx == ctx)
		s->ctx = 0;
	keys_write(s);
}

int
mrfc_session_poll(struct session *s, int timeout_ms)
{
	int n = mrfc_io_recv(&s->io, rtxt, sizeof(rtxt), timeout_ms);
	if (n <= 0)
		return n;
	struct mxp_mp_error e;
	if (mxp_mp_parse(rtxt, (size_t)n, &rep, &e) != 0) {
		fprintf(stderr, "mrfc: unparsable message ignored: %s\n", e.text);
		return 1;
	}
	answer_requests(s, &rep, rtxt, (size_t)n, s->quiet ? NULL : stderr);
	return 1;
}

int
mrfc_session_last_leg(const struct session *s, uint32_t ctx, char *term, size_t tl, char *addr,
		      size_t al, uint16_t *port)
{
	for (unsigned int k = s->nlegs; k-- > 0;) {
		const struct leg *l = &s->legs[k];
		if (!l->gone && l->ctx == ctx) {
			snprintf(term, tl, "%s", l->term);
			snprintf(addr, al, "%s", l->mrfp_addr);
			*port = l->mrfp_port;
			return 0;
		}
	}
	return -1;
}

void
mrfc_output(bool no_results, bool no_replies)
{
	mute = no_results;
	replies_off = no_replies;
}

unsigned int
mrfc_last_code(void)
{
	return last_code;
}

int
mrfc_reply_stat(const char *name, uint64_t *v)
{
	for (uint16_t i = 0; i < rep.ncmds; i++) {
		const struct mxp_mp_props *run = &rep.cmds[i].stats;
		for (uint16_t k = 0; k < run->n; k++) {
			const struct mxp_mp_prop *p = &rep.props[run->first + k];
			if (mxp_mp_str_eq(p->name, name)) {
				*v = strtoull(p->value.p, NULL, 10);
				return 0;
			}
		}
	}
	return -1;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: mrfc [options] COMMAND [key=value...]\n"
		"  --sa FILE          ESP key file (mrfc side; see doc/security.md)\n"
		"  --plaintext        lab only: H.248 over UDP in the clear (no ESP)\n"
		"  --transport T      udp (default) or sctp: H.248.4 inside ESP; the MRFP opens\n"
		"                     the association, mrfc waits for it (--sctp-wait MS, 20000)\n"
		"  --mrfp ADDR        MRFP address (default: the outbound SA's peer)\n"
		"  --local ADDR       our address (default: the outbound SA's local)\n"
		"  --port N           MRFP H.248 port (2944)   --local-port N  ours (2944)\n"
		"  --crypto NAME      ESP backend: openssl (default) or ipsec-mb\n"
		"  --compact          compact H.248 tokens    --tid N  first transaction id\n"
		"  --keys-out FILE    write participant-side SRTP keys (mode 0600)\n"
		"  --retx MS          first retransmission (250)  --timeout MS  give up (30000)\n"
		"  --quiet            do not echo requests on stderr   -v  more detail\n"
		"  --show-keys        lab only: print SRTP keys instead of fingerprints\n"
		"  --no-ocp           do not ask the MRFP for ocp/mg_overload after its\n"
		"                     ServiceChange (H.248.11 overload control)\n"
		"commands: add|create, modify, subtract, audit, listen, raw TEXT, scenario FILE,\n"
		"          ocp on|off (ask for / stop ocp/mg_overload on ROOT)\n"
		"          churn trace=FILE policy=P [speed=S] [rekey=one-step|two-step]\n"
		"                [keys-history=FILE] (who held which key when: doc/mp.md)\n"
		"          flood kind=garbage|audit|retransmit rate=N|max seconds=S (overload tests)\n"
		"          fleet file=FLEET [script=FILE] [audit=S] (several MRFPs, doc/mp.md)\n"
		"          keygen, esp-seal, esp-open (see doc/mp.md)\n");
}

int
main(int argc, char **argv)
{
	static struct session s;
	const char *sa = NULL, *backend = "openssl";
	bool plaintext = false;
	static const struct option lo[] = {
		{ "sa", required_argument, NULL, 's' }, { "plaintext", no_argument, NULL, 'P' },
		{ "mrfp", required_argument, NULL, 'm' }, { "local", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' }, { "local-port", required_argument, NULL, 'L' },
		{ "crypto", required_argument, NULL, 'c' }, { "compact", no_argument, NULL, 'C' },
		{ "keys-out", required_argument, NULL, 'k' }, { "retx", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' }, { "quiet", no_argument, NULL, 'q' },
		{ "tid", required_argument, NULL, 'T' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' }, { "show-keys", no_argument, NULL, 'K' },
		{ "transport", required_argument, NULL, 'X' },
		{ "sctp-wait", required_argument, NULL, 'W' },
		{ "no-ocp", no_argument, NULL, 'O' },
		{ NULL, 0, NULL, 0 },
	};
	if (argc >= 2 && strcmp(argv[1], "keygen") == 0)
		return mrfc_keygen(argc - 1, argv + 1);
	s.io.mp_port = MXP_MP_PORT;
	s.io.local_mp_port = MXP_MP_PORT;
	s.io.sctp_wait_ms = 20000;
	/*
	 * A fresh 32-bit transaction id per run (below 2^32 - 2^23: room to count up, also for
	 * mrfc flood's 4 million transactions): runs
	 * that follow each other within the MRFP's reply_ttl_ms must not reuse one, or the MRFP
	 * rightly takes the later request for a retransmission of the earlier, answers it from
	 * its reply cache and never applies it. (16 random bits collided in half of all series
	 * of 250 runs.)
	 */
	uint8_t r[4];
	if (getrandom(r, sizeof(r), 0) == (ssize_t)sizeof(r))
		s.next_tid = 1 + ((uint32_t)r[0] << 24 | (uint32_t)r[1] << 16 | (uint32_t)r[2] << 8 |
				  r[3]) % (UINT32_MAX - (UINT32_C(1) << 23));
	int c;
	while ((c = getopt_long(argc, argv, "+vqh", lo, NULL)) != -1) {
		switch (c) {
		case 's': sa = optarg; break;
		case 'P': plaintext = true; break;
		case 'm':
			if (mxp_ip_parse(optarg, &s.io.mrfp, NULL) != 0) {
				fprintf(stderr, "mrfc: bad --mrfp\n");
				return 1;
			}
			break;
		case 'l':
			if (mxp_ip_parse(optarg, &s.io.local, NULL) != 0) {
				fprintf(stderr, "mrfc: bad --local\n");
				return 1;
			}
			break;
		case 'p': s.io.mp_port = (uint16_t)atoi(optarg); break;
		case 'L': s.io.local_mp_port = (uint16_t)atoi(optarg); break;
		case 'c': backend = optarg; break;
		case 'C': s.style = MXP_MP_STYLE_COMPACT; break;
		case 'k': s.keys_out = optarg; keys_read(&s); break;
		case 'r': s.retx.initial_ms = (uint32_t)atoi(optarg); break;
		case 't': s.retx.give_up_ms = (uint32_t)atoi(optarg); break;
		case 'q': s.quiet = 1; break;
		case 'T': s.next_tid = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'v': s.io.verbose++; break;
		case 'K': show_keys = true; break;
		case 'X':
			if (strcmp(optarg, "sctp") != 0 && strcmp(optarg, "udp") != 0) {
				fprintf(stderr, "mrfc: --transport udp|sctp\n");
				return 1;
			}
			s.io.use_sctp = strcmp(optarg, "sctp") == 0;
			break;
		case 'W': s.io.sctp_wait_ms = (uint32_t)atoi(optarg); break;
		case 'O': s.no_ocp = true; break;
		default: usage(); return c == 'h' ? 0 : 1;
		}
	}
	if (optind >= argc) {
		usage();
		return 1;
	}
	if (s.next_tid == 0)
		s.next_tid = 1;
	if (strcmp(argv[optind], "fleet") == 0)
		return mrfc_fleet(&s, backend, argc - optind, argv + optind);
	char err[256];
	if (plaintext)
		fprintf(stderr, "mrfc: WARNING: --plaintext sends keys in the clear (lab only)\n");
	s.io.no_sockets = strncmp(argv[optind], "esp-", 4) == 0;
	if (s.io.no_sockets)
		s.io.use_sctp = false;
	if (mrfc_session_open(&s, sa, plaintext, backend, err, sizeof(err)) != 0) {
		fprintf(stderr, "mrfc: %s\n", err);
		mrfc_io_close(&s.io);
		return 1;
	}
	int rc;
	if (strcmp(argv[optind], "esp-seal") == 0 || strcmp(argv[optind], "esp-open") == 0)
		rc = s.io.ep ? cmd_esp(&s, argv[optind][4] == 's') : 1;
	else
		rc = run_command(&s, argc - optind, argv + optind);
	mrfc_io_close(&s.io);
	return rc;
}
