/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mrfc fleet: one MRFC controlling several MRFPs (doc/mp.md "mrfc fleet", doc/deployment.md
 * "Many MRFPs under one MRFC").
 *
 *   mrfc [options] fleet file=FLEET [script=FILE|-] [audit=S] [rebuild=on]
 *
 * FLEET names the MRFPs, one a line: `name=A sa=FILE [mrfp=IP] [port=N] [local-port=N]
 * [transport=udp|sctp] [keys=FILE] [crypto=openssl|ipsec-mb]`. Each gets a session of its
 * own (mrfc.c: ESP SAs, MID, transactions, legs). Commands come one a line from the script
 * (stdin by default) and are answered with result lines on stdout:
 *
 *   place conf=NAME [legs=N] [on=A] [add options]   the MRFP with the most headroom
 *   join conf=NAME [legs=N] [add options]            more legs, on the conference's MRFP
 *   leave conf=NAME term=T | end conf=NAME           Subtract on the conference's MRFP
 *   status | audit | wait S [mrfp=A state=up|down|draining]
 *   cascade conf=NAME across=A,B                     a part on B joined by cascade legs
 *
 * Headroom is ROOT's load report (lib/mrfp mrfp_load.c: mxp/capacity, mxp/load), refreshed
 * by an AuditValue of ROOT on every MRFP before each placement and every audit= seconds.
 * An MRFP that leaves a transaction unanswered past the retransmission give-up is down:
 * its conferences are reported lost and placements go elsewhere; a ServiceChange from it
 * (Restart, Disconnected...) makes it usable again, and with rebuild=on its lost
 * conferences are created again there. ServiceChange Graceful (drain) or an Add refused
 * with 502/503 stops placements on it; its conferences stay. Media never moves.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "mrfc.h"

#define FLEET_MAX 32
#define FCONF_MAX 4096
#define NAME_LEN 48
#define LINE_MAX_LEN 4096
#define FARGS_MAX 40

struct member {
	char name[NAME_LEN];
	char sa[1024], keys[1024], backend[32];
	struct mxp_ip mrfp;           /* mrfp= of the fleet file (af 0: the SA's peer) */
	struct session *s;
	bool down, draining;
	bool have_load, load_known;
	uint64_t contexts, legs, capacity, load;
	/* ServiceChange seen by the hook, handled by process_events() */
	bool ev_graceful, ev_forced, ev_back;
	char ev_method[24];
	bool have_sc_tid;
	uint32_t sc_tid;              /* the last ServiceChange: its retransmissions change nothing */
};

struct fconf {
	bool used, lost;
	char name[NAME_LEN];
	int member;
	uint32_t ctx;
	unsigned int legs;
	char args[LINE_MAX_LEN];      /* the add options of its place (rebuild) */
};

struct fleet {
	struct member m[FLEET_MAX];
	int n;
	struct fconf c[FCONF_MAX];
	uint32_t audit_ms;            /* 0: no periodic audit */
	uint64_t next_audit;
	bool rebuild;
	int failed;                   /* commands that failed (the exit status) */
};

static struct fleet *g_fleet; /* for the ServiceChange hook */

/* ---- members -------------------------------------------------------------------------- */

static struct member *
member_find(struct fleet *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->m[i].name, name) == 0)
			return &f->m[i];
	return NULL;
}

static int
member_fd(struct member *m)
{
	struct mrfc_io *io = mrfc_session_io(m->s);
	if (io->fd_plain >= 0)
		return io->fd_plain;
	return io->udp_encap ? io->fd_udp : io->fd_raw;
}

static int
member_open(struct member *m)
{
	struct mrfc_io *io = mrfc_session_io(m->s);
	char err[256];
	io->mrfp = m->mrfp;
	int rc = mrfc_session_open(m->s, m->sa, false, m->backend, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "mrfc fleet: %s: %s\n", m->name, err);
	return rc;
}

/*
 * A fresh transport: a restarted MRFP's ESP sequence numbers start again at 1, which the
 * old inbound SA's anti-replay window would drop. Our own outbound sequence continues
 * (FILE.seq), which a restarted MRFP accepts as well as a live one.
 */
static void
member_reopen(struct member *m)
{
	struct mrfc_io *io = mrfc_session_io(m->s);
	mrfc_io_close(io);
	io->fd_plain = io->fd_raw = io->fd_udp = -1;
	io->ep = NULL;
	io->out_sa = NULL;
	io->sctp = NULL;
	if (member_open(m) != 0)
		m->down = true;
}

static unsigned int
member_confs(const struct fleet *f, int idx, bool lost)
{
	unsigned int n = 0;
	for (int i = 0; i < FCONF_MAX; i++)
		n += f->c[i].used && f->c[i].member == idx && f->c[i].lost == lost;
	return n;
}

static void
member_down(struct fleet *f, struct member *m, const char *why)
{
	if (m->down)
		return;
	int idx = (int)(m - f->m);
	m->down = true;
	m->have_load = false;
	printf("down mrfp=%s reason=%s\n", m->name, why);
	for (int i = 0; i < FCONF_MAX; i++) {
		struct fconf *c = &f->c[i];
		if (c->used && c->member == idx && !c->lost) {
			c->lost = true;
			printf("lost conf=%s mrfp=%s ctx=%u legs=%u\n", c->name, m->name, c->ctx,
			       c->legs);
		}
	}
	mrfc_session_forget(m->s, 0);
	member_reopen(m);
}

/* The result of a transaction on m: 3 (no reply before the give-up timer) takes it down
 * (1, a local error or bad arguments, does not). Returns rc. */
static int
member_rc(struct fleet *f, struct member *m, int rc)
{
	if (rc == 3)
		member_down(f, m, "no-reply");
	return rc;
}

/* AuditValue of ROOT's statistics: the load report. 0, or mrfc's exit status. */
static int
member_audit(struct fleet *f, struct member *m)
{
	char *argv[] = { "audit", "ctx=-", "term=ROOT", "what=stats", NULL };
	int rc = member_rc(f, m, mrfc_session_run(m->s, 4, argv));
	if (rc == 2) {
		unsigned int code = mrfc_last_code();
		if ((code == 502 || code == 503) && !m->draining) {
			m->draining = true;
			printf("draining mrfp=%s code=%u\n", m->name, code);
		}
		return rc;
	}
	if (rc != 0)
		return rc;
	m->have_load = mrfc_reply_stat("mxp/capacity", &m->capacity) == 0;
	mrfc_reply_stat("mxp/contexts", &m->contexts);
	mrfc_reply_stat("mxp/legs", &m->legs);
	m->load_known = mrfc_reply_stat("mxp/load", &m->load) == 0;
	uint64_t dr = 0;
	if (mrfc_reply_stat("mxp/draining", &dr) == 0 && dr != 0 && !m->draining) {
		/* an MRFP that reports its drain (1): no Graceful ServiceChange needed */
		m->draining = true;
		printf("draining mrfp=%s report=mxp/draining\n", m->name);
	}
	return 0;
}

static void
audit_all(struct fleet *f)
{
	for (int i = 0; i < f->n; i++)
		if (!f->m[i].down)
			member_audit(f, &f->m[i]);
	f->next_audit = f->audit_ms ? mxp_clock_ms() + f->audit_ms : 0;
}

/* ---- conferences ---------------------------------------------------------------------- */

static struct fconf *
conf_find(struct fleet *f, const char *name)
{
	for (int i = 0; i < FCONF_MAX; i++)
		if (f->c[i].used && strcmp(f->c[i].name, name) == 0)
			return &f->c[i];
	return NULL;
}

/* Split a line into words (in place). */
static int
split(char *line, char **argv, int max)
{
	int argc = 0;
	char *save = NULL;
	for (char *t = strtok_r(line, " \t", &save); t != NULL && argc < max;
	     t = strtok_r(NULL, " \t", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	return argc;
}

static const char *
arg_get(int argc, char **argv, const char *key)
{
	size_t kl = strlen(key);
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], key, kl) == 0 && argv[i][kl] == '=')
			return argv[i] + kl + 1;
	return NULL;
}

/*
 * Add the conference's legs on m: `add ctx=C legs=N <opts>` where opts are the place
 * line's words other than conf= and on=. 0 with *ctx set, or mrfc's exit status.
 */
static int
add_on(struct fleet *f, struct member *m, uint32_t ctx_in, const char *opts, uint32_t *ctx)
{
	char line[LINE_MAX_LEN], ctxw[32];
	char *argv[FARGS_MAX + 2];
	snprintf(line, sizeof(line), "%s", opts);
	if (ctx_in == 0)
		snprintf(ctxw, sizeof(ctxw), "ctx=$");
	else
		snprintf(ctxw, sizeof(ctxw), "ctx=%u", ctx_in);
	argv[0] = "add";
	argv[1] = ctxw;
	int argc = 2 + split(line, argv + 2, FARGS_MAX - 2);
	int rc = member_rc(f, m, mrfc_session_run(m->s, argc, argv));
	if (rc == 0)
		*ctx = mrfc_session_ctx(m->s);
	return rc;
}

/* The add options of a place/join line: every word but the command, conf= and on=. */
static void
add_opts(int argc, char **argv, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "conf=", 5) == 0 || strncmp(argv[i], "on=", 3) == 0)
			continue;
		int n = snprintf(out + o, cap - o, "%s%s", o ? " " : "", argv[i]);
		if (n < 0 || (size_t)n >= cap - o)
			break;
		o += (size_t)n;
	}
}

static unsigned int
legs_of(int argc, char **argv)
{
	const char *l = arg_get(argc, argv, "legs");
	return l ? (unsigned int)strtoul(l, NULL, 10) : 1;
}

/* Is a better than b for a new conference? Not under overload control (H.248.11), then
 * most capacity, then least load, then order. */
static bool
roomier(const struct member *a, const struct member *b)
{
	bool oa = mrfc_session_ocp(a->s)->active, ob = mrfc_session_ocp(b->s)->active;
	if (oa != ob)
		return ob;
	if (a->capacity != b->capacity)
		return a->capacity > b->capacity;
	uint64_t la = a->load_known ? a->load : 0, lb = b->load_known ? b->load : 0;
	return la < lb;
}

static int
cmd_place(struct fleet *f, int argc, char **argv)
{
	const char *name = arg_get(argc, argv, "conf"), *on = arg_get(argc, argv, "on");
	if (name == NULL || strlen(name) >= NAME_LEN || strchr(name, '=') != NULL) {
		fprintf(stderr, "mrfc fleet: place conf=NAME (at most %d characters)\n",
			NAME_LEN - 1);
		return 1;
	}
	if (conf_find(f, name) != NULL) {
		printf("unplaced conf=%s reason=exists\n", name);
		return 1;
	}
	struct fconf *c = NULL;
	for (int i = 0; i < FCONF_MAX && c == NULL; i++)
		if (!f->c[i].used)
			c = &f->c[i];
	if (c == NULL) {
		printf("unplaced conf=%s reason=too-many-conferences\n", name);
		return 1;
	}
	if (on != NULL && member_find(f, on) == NULL) {
		fprintf(stderr, "mrfc fleet: on=%s: no such MRFP in the fleet file\n", on);
		return 1;
	}
	unsigned int legs = legs_of(argc, argv);
	char opts[LINE_MAX_LEN];
	add_opts(argc, argv, opts, sizeof(opts));
	audit_all(f); /* fresh load reports (and a lost MRFP found before we choose) */
	bool tried[FLEET_MAX] = { false };
	for (;;) {
		struct member *best = NULL;
		/* an MRFP whose overload control holds new contexts back (its leaky bucket is
		 * full: mrfc_ocp.c) only when no other has room */
		for (int pass = 0; pass < 2 && best == NULL; pass++) {
			for (int i = 0; i < f->n; i++) {
				struct member *m = &f->m[i];
				if (tried[i] || m->down || m->draining ||
				    (on && strcmp(on, m->name) != 0))
					continue;
				if (m->have_load && m->capacity < legs)
					continue;
				if (m->load_known && m->load >= 95)
					continue;
				if (pass == 0 &&
				    mrfc_ocp_wait_ms(mrfc_session_ocp(m->s), mxp_clock_ms()) > 0)
					continue;
				if (best == NULL || roomier(m, best))
					best = m;
			}
		}
		if (best == NULL) {
			printf("unplaced conf=%s reason=no-mrfp-with-room\n", name);
			return 2;
		}
		tried[best - f->m] = true;
		uint32_t ctx = 0;
		int rc = add_on(f, best, 0, opts, &ctx);
		if (rc == 0) {
			memset(c, 0, sizeof(*c));
			c->used = true;
			snprintf(c->name, sizeof(c->name), "%s", name);
			c->member = (int)(best - f->m);
			c->ctx = ctx;
			c->legs = legs;
			snprintf(c->args, sizeof(c->args), "%s", opts);
			/* the report, as it will be, until the next audit */
			best->capacity = best->capacity >= legs ? best->capacity - legs : 0;
			best->legs += legs;
			best->contexts++;
			printf("placed conf=%s mrfp=%s ctx=%u legs=%u\n", name, best->name, ctx, legs);
			return 0;
		}
		if (rc == 3) {
			continue; /* down (reported): the next one */
		}
		unsigned int code = rc == 2 ? mrfc_last_code() : 0;
		if (code == 502 || code == 503) {
			/* draining (or not ready): no more placements there */
			if (!best->draining)
				printf("draining mrfp=%s code=%u\n", best->name, code);
			best->draining = true;
		} else if (code == 510) {
			best->capacity = 0; /* full until its next report */
		} else {
			/* the request itself is wrong: another MRFP would refuse it too */
			printf("unplaced conf=%s reason=error-%u\n", name, code);
			return rc;
		}
		printf("refused conf=%s mrfp=%s code=%u\n", name, best->name, code);
	}
}

static int
cmd_join(struct fleet *f, int argc, char **argv)
{
	const char *name = arg_get(argc, argv, "conf");
	struct fconf *c = name ? conf_find(f, name) : NULL;
	if (c == NULL || c->lost) {
		printf("error join conf=%s reason=%s\n", name ? name : "-", c ? "lost" : "unknown");
		return 1;
	}
	struct member *m = &f->m[c->member];
	char opts[LINE_MAX_LEN];
	add_opts(argc, argv, opts, sizeof(opts));
	uint32_t ctx;
	int rc = add_on(f, m, c->ctx, opts, &ctx);
	if (rc == 0) {
		unsigned int legs = legs_of(argc, argv);
		c->legs += legs;
		printf("joined conf=%s mrfp=%s ctx=%u legs=%u\n", c->name, m->name, c->ctx, c->legs);
	}
	return rc;
}

/* leave conf=NAME term=T: one leg; end conf=NAME (or leave without term=): all of them. */
static int
cmd_end(struct fleet *f, int argc, char **argv, bool leave)
{
	const char *name = arg_get(argc, argv, "conf"), *term = arg_get(argc, argv, "term");
	struct fconf *c = name ? conf_find(f, name) : NULL;
	if (c == NULL) {
		printf("error %s conf=%s reason=unknown\n", argv[0], name ? name : "-");
		return 1;
	}
	struct member *m = &f->m[c->member];
	if (c->lost) {
		/* nothing left on the MRFP to subtract: the record goes */
		if (!leave || term == NULL)
			c->used = false;
		printf("ended conf=%s mrfp=%s ctx=%u lost\n", c->name, m->name, c->ctx);
		return 0;
	}
	char ctxw[32], termw[96];
	snprintf(ctxw, sizeof(ctxw), "ctx=%u", c->ctx);
	snprintf(termw, sizeof(termw), "term=%s", leave && term ? term : "*");
	char *av[] = { "subtract", ctxw, termw, NULL };
	int rc = member_rc(f, m, mrfc_session_run(m->s, 3, av));
	if (rc == 3)
		return rc; /* down: reported lost */
	if (leave && term != NULL) {
		if (rc == 0) {
			c->legs = c->legs ? c->legs - 1 : 0;
			printf("left conf=%s mrfp=%s term=%s\n", c->name, m->name, term);
		}
		if (rc != 0 || c->legs > 0)
			return rc;
		/* the last leg: the context ended with it */
	} else if (rc != 0 && mrfc_last_code() != 411) {
		return rc; /* 411: the MRFP no longer knows the context: ended anyway */
	}
	printf("ended conf=%s mrfp=%s ctx=%u\n", c->name, m->name, c->ctx);
	c->used = false;
	return 0;
}

static void
print_status(struct fleet *f)
{
	for (int i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];
		printf("mrfp %s %s", m->name, m->down ? "down" : m->draining ? "draining" : "up");
		if (m->have_load && !m->down) {
			printf(" contexts=%llu legs=%llu capacity=%llu",
			       (unsigned long long)m->contexts, (unsigned long long)m->legs,
			       (unsigned long long)m->capacity);
			if (m->load_known)
				printf(" load=%llu", (unsigned long long)m->load);
		}
		const struct mrfc_ocp *o = mrfc_session_ocp(m->s);
		if (o->active) /* H.248.11: new contexts held to the admitted rate */
			printf(" overload=on admitted=%.1f/s", o->rate);
		printf(" confs=%u lost=%u\n", member_confs(f, i, false), member_confs(f, i, true));
	}
	for (int i = 0; i < FCONF_MAX; i++) {
		struct fconf *c = &f->c[i];
		if (c->used)
			printf("conf %s mrfp=%s ctx=%u legs=%u state=%s\n", c->name,
			       f->m[c->member].name, c->ctx, c->legs, c->lost ? "lost" : "live");
	}
}

/*
 * cascade conf=NAME across=A,B (doc/deployment.md, "Cascaded conferences"): conference NAME,
 * a mix conference placed on A, gets a second part on B, recorded as conference NAME@B
 * (`join conf=NAME@B` adds B's participants), joined to A's by one cascade leg on each
 * (mxp/cascade=on) with keys of their own, crossed:
 *   on A: add ctx=CA legs=1 cascade=on remote=<B's address>:40000   (a placeholder)
 *   on B: add ctx=$ mode=mix legs=1 cascade=on peerkeys=<A's key file>
 *         remote=<A's cascade leg address:port>
 *   on A: modify ctx=CA term=<A's cascade leg> remote=<B's cascade leg address:port>
 * peerkeys= reads A's cascade leg's keys from A's key file (keys= of the fleet file, needed
 * on both). Each part stays a conference of its own if the other's MRFP is lost; a lost
 * part's rebuild does not cascade it again.
 */
static int
cmd_cascade(struct fleet *f, int argc, char **argv)
{
	const char *name = arg_get(argc, argv, "conf"), *across = arg_get(argc, argv, "across");
	char an[NAME_LEN] = "", bn[NAME_LEN] = "";
	if (name == NULL || across == NULL || sscanf(across, "%47[^,],%47s", an, bn) != 2) {
		fprintf(stderr, "mrfc fleet: cascade conf=NAME across=A,B\n");
		return 1;
	}
	struct fconf *c = conf_find(f, name), *slot = NULL;
	struct member *ma = member_find(f, an), *mb = member_find(f, bn);
	char bname[NAME_LEN + 8];
	snprintf(bname, sizeof(bname), "%s@%s", name, bn);
	for (int i = 0; i < FCONF_MAX && slot == NULL; i++)
		if (!f->c[i].used)
			slot = &f->c[i];
	const char *why = c == NULL ? "unknown-conference" : ma == NULL || mb == NULL ?
			  "unknown-mrfp" : ma == mb ? "same-mrfp" : c->lost ? "lost" :
			  &f->m[c->member] != ma ? "not-on-first-mrfp" : mb->down ? "second-mrfp-down" :
			  mb->draining ? "second-mrfp-draining" :
			  !ma->keys[0] || !mb->keys[0] ? "needs-keys-files" :
			  strlen(bname) >= NAME_LEN || conf_find(f, bname) ? "bad-second-name" :
			  slot == NULL ? "too-many-conferences" : NULL;
	if (why != NULL) {
		printf("error cascade conf=%s reason=%s\n", name ? name : "-", why);
		return 1;
	}
	char ctxw[32], rem[96], host[64], term[72], addr_a[64], addr_b[64], termw[96];
	uint16_t port_a, port_b;
	/* A's cascade leg, toward a placeholder port of B's address */
	snprintf(ctxw, sizeof(ctxw), "ctx=%u", c->ctx);
	mxp_ip_format(&mrfc_session_io(mb->s)->mrfp, host, sizeof(host));
	snprintf(rem, sizeof(rem), "remote=%s%s%s:40000", strchr(host, ':') ? "[" : "", host,
		 strchr(host, ':') ? "]" : "");
	char *a1[] = { "add", ctxw, "legs=1", "cascade=on", rem, NULL };
	int rc = member_rc(f, ma, mrfc_session_run(ma->s, 5, a1));
	if (rc == 0 && mrfc_session_last_leg(ma->s, c->ctx, term, sizeof(term), addr_a,
					     sizeof(addr_a), &port_a) != 0)
		rc = 1;
	if (rc != 0) {
		printf("error cascade conf=%s reason=first-leg rc=%d\n", name, rc);
		return rc;
	}
	/* B's part and its cascade leg, keys crossed with A's */
	char pk[1100];
	snprintf(pk, sizeof(pk), "peerkeys=%s", ma->keys);
	snprintf(rem, sizeof(rem), "remote=%s%s%s:%u", strchr(addr_a, ':') ? "[" : "", addr_a,
		 strchr(addr_a, ':') ? "]" : "", port_a);
	char *a2[] = { "add", "ctx=$", "mode=mix", "legs=1", "cascade=on", pk, rem, NULL };
	rc = member_rc(f, mb, mrfc_session_run(mb->s, 7, a2));
	uint32_t ctx_b = rc == 0 ? mrfc_session_ctx(mb->s) : 0;
	char term_b[72];
	if (rc == 0 && mrfc_session_last_leg(mb->s, ctx_b, term_b, sizeof(term_b), addr_b,
					     sizeof(addr_b), &port_b) != 0)
		rc = 1;
	if (rc != 0) {
		/* A's cascade leg goes again: it leads nowhere */
		snprintf(termw, sizeof(termw), "term=%s", term);
		char *u[] = { "subtract", ctxw, termw, NULL };
		member_rc(f, ma, mrfc_session_run(ma->s, 3, u));
		printf("error cascade conf=%s reason=second-part rc=%d\n", name, rc);
		return rc;
	}
	memset(slot, 0, sizeof(*slot));
	slot->used = true;
	snprintf(slot->name, sizeof(slot->name), "%s", bname);
	slot->member = (int)(mb - f->m);
	slot->ctx = ctx_b;
	slot->legs = 1;
	snprintf(slot->args, sizeof(slot->args), "mode=mix");
	mb->legs++;
	mb->contexts++;
	/* A's cascade leg toward B's */
	snprintf(termw, sizeof(termw), "term=%s", term);
	snprintf(rem, sizeof(rem), "remote=%s%s%s:%u", strchr(addr_b, ':') ? "[" : "", addr_b,
		 strchr(addr_b, ':') ? "]" : "", port_b);
	char *a3[] = { "modify", ctxw, termw, rem, NULL };
	rc = member_rc(f, ma, mrfc_session_run(ma->s, 4, a3));
	if (rc != 0) {
		printf("error cascade conf=%s reason=first-leg-remote rc=%d\n", name, rc);
		return rc;
	}
	c->legs++;
	printf("cascaded conf=%s mrfp=%s ctx=%u term=%s to conf=%s mrfp=%s ctx=%u term=%s\n",
	       name, ma->name, c->ctx, term, bname, mb->name, ctx_b, term_b);
	return 0;
}

/* ---- the MRFPs' own requests ---------------------------------------------------------- */

static void
on_service_change(struct session *s, uint32_t tid, const struct mxp_mp_cmd *sc)
{
	struct fleet *f = g_fleet;
	for (int i = 0; f != NULL && i < f->n; i++) {
		struct member *m = &f->m[i];
		if (m->s != s)
			continue;
		if (m->have_sc_tid && m->sc_tid == tid)
			continue;
		m->have_sc_tid = true;
		m->sc_tid = tid;
		snprintf(m->ev_method, sizeof(m->ev_method), "%.*s",
			 (int)(sc->sc_method.len < 23 ? sc->sc_method.len : 23),
			 sc->sc_method.p ? sc->sc_method.p : "");
		if (strcasecmp(m->ev_method, "Graceful") == 0)
			m->ev_graceful = true;
		else if (strcasecmp(m->ev_method, "Forced") == 0)
			m->ev_forced = true;
		else
			m->ev_back = true;
	}
}

static void
rebuild(struct fleet *f, struct member *m)
{
	int idx = (int)(m - f->m);
	for (int i = 0; i < FCONF_MAX; i++) {
		struct fconf *c = &f->c[i];
		if (!c->used || !c->lost || c->member != idx)
			continue;
		uint32_t ctx;
		int rc = add_on(f, m, 0, c->args, &ctx);
		if (rc != 0) {
			printf("error rebuild conf=%s mrfp=%s rc=%d\n", c->name, m->name, rc);
			if (m->down)
				return;
			continue;
		}
		c->lost = false;
		c->ctx = ctx;
		printf("rebuilt conf=%s mrfp=%s ctx=%u legs=%u\n", c->name, m->name, ctx, c->legs);
	}
	if (!m->down)
		member_audit(f, m); /* its load with them */
}

/* Does m still know its conferences? Audits them one by one until one's context is
 * unknown (411): true then (it restarted; the others went with it). */
static bool
member_restarted(struct fleet *f, struct member *m)
{
	int idx = (int)(m - f->m);
	for (int i = 0; i < FCONF_MAX && !m->down; i++) {
		struct fconf *c = &f->c[i];
		if (!c->used || c->lost || c->member != idx)
			continue;
		char ctxw[32];
		snprintf(ctxw, sizeof(ctxw), "ctx=%u", c->ctx);
		char *av[] = { "audit", ctxw, "term=*", "what=terminations", NULL };
		int rc = member_rc(f, m, mrfc_session_run(m->s, 4, av));
		if (rc == 2 && mrfc_last_code() == 411)
			return true;
	}
	return false;
}

static void
process_events(struct fleet *f)
{
	for (int i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];
		if (m->ev_forced) {
			m->ev_forced = false;
			member_down(f, m, "ServiceChange-Forced");
		}
		if (m->ev_back) {
			m->ev_back = false;
			/*
			 * Restart from an MRFP we use: a restart we had not noticed, or the
			 * retransmission of the one it sent at its start, before we placed
			 * anything there. Its contexts tell which.
			 */
			if (!m->down && strcasecmp(m->ev_method, "Restart") == 0 &&
			    member_confs(f, i, false) > 0 && member_restarted(f, m))
				member_down(f, m, "restarted");
			if (m->down || m->draining) {
				m->down = m->draining = false;
				printf("up mrfp=%s method=%s\n", m->name, m->ev_method);
				member_audit(f, m);
				if (f->rebuild)
					rebuild(f, m);
			}
		}
		if (m->ev_graceful) {
			m->ev_graceful = false;
			if (!m->draining && !m->down) {
				m->draining = true;
				printf("draining mrfp=%s method=Graceful\n", m->name);
			}
		}
	}
	fflush(stdout);
}

/* Answer what the MRFPs sent; wait up to timeout_ms for the first message (or stdin). */
static void
pump(struct fleet *f, int in_fd, int timeout_ms, bool *in_ready)
{
	struct pollfd p[FLEET_MAX + 1];
	int np = 0;
	bool sctp = false;
	for (int i = 0; i < f->n; i++) {
		p[np++] = (struct pollfd){ .fd = member_fd(&f->m[i]), .events = POLLIN };
		sctp |= mrfc_session_io(f->m[i].s)->sctp != NULL;
	}
	if (in_fd >= 0)
		p[np++] = (struct pollfd){ .fd = in_fd, .events = POLLIN };
	if (sctp && (timeout_ms < 0 || timeout_ms > 20))
		timeout_ms = 20; /* its timers */
	int r = poll(p, (nfds_t)np, timeout_ms);
	if (r < 0 && errno != EINTR)
		perror("mrfc fleet: poll");
	for (int i = 0; i < f->n; i++)
		if ((r > 0 && (p[i].revents & POLLIN)) || mrfc_session_io(f->m[i].s)->sctp)
			while (mrfc_session_poll(f->m[i].s, 0) > 0)
				;
	if (in_ready != NULL)
		*in_ready = in_fd >= 0 && r > 0 && (p[np - 1].revents & (POLLIN | POLLHUP));
	process_events(f);
	if (f->next_audit && mxp_clock_ms() >= f->next_audit)
		audit_all(f);
	process_events(f);
}

static int
poll_timeout(const struct fleet *f, uint64_t until)
{
	uint64_t now = mxp_clock_ms(), t = until;
	if (f->next_audit && (t == 0 || f->next_audit < t))
		t = f->next_audit;
	if (t == 0)
		return -1;
	return t > now ? (int)(t - now) : 0;
}

/* wait S [mrfp=A state=up|down|draining]: answer and audit for S seconds, or until A is in
 * that state (3 when it is not in time). */
static int
cmd_wait(struct fleet *f, int argc, char **argv)
{
	char *end = NULL;
	double sec = argc > 1 ? strtod(argv[1], &end) : -1;
	if (argc < 2 || *end != '\0' || !(sec >= 0 && sec <= 86400)) {
		fprintf(stderr, "mrfc fleet: wait SECONDS [mrfp=A state=up|down|draining]\n");
		return 1;
	}
	const char *mn = arg_get(argc, argv, "mrfp"), *st = arg_get(argc, argv, "state");
	struct member *m = mn ? member_find(f, mn) : NULL;
	if ((mn != NULL) != (st != NULL) || (mn && m == NULL) ||
	    (st && strcmp(st, "up") && strcmp(st, "down") && strcmp(st, "draining"))) {
		fprintf(stderr, "mrfc fleet: wait: mrfp=NAME (of the fleet) and state=up|down|"
			"draining go together\n");
		return 1;
	}
	uint64_t until = mxp_clock_ms() + (uint64_t)(sec * 1000);
	for (;;) {
		if (m != NULL) {
			const char *now = m->down ? "down" : m->draining ? "draining" : "up";
			if (strcmp(now, st) == 0)
				return 0;
		}
		if (mxp_clock_ms() >= until)
			return m != NULL ? 3 : 0;
		pump(f, -1, poll_timeout(f, until), NULL);
	}
}

static int
run_line(struct fleet *f, char *line)
{
	char *argv[FARGS_MAX + 2];
	int argc = split(line, argv, FARGS_MAX);
	if (argc == 0 || argv[0][0] == '#')
		return -1;
	const char *cmd = argv[0];
	int rc;
	if (strcmp(cmd, "place") == 0)
		rc = cmd_place(f, argc, argv);
	else if (strcmp(cmd, "join") == 0)
		rc = cmd_join(f, argc, argv);
	else if (strcmp(cmd, "leave") == 0 || strcmp(cmd, "end") == 0)
		rc = cmd_end(f, argc, argv, strcmp(cmd, "leave") == 0);
	else if (strcmp(cmd, "status") == 0) {
		print_status(f);
		rc = 0;
	} else if (strcmp(cmd, "audit") == 0) {
		audit_all(f);
		print_status(f);
		rc = 0;
	} else if (strcmp(cmd, "wait") == 0)
		rc = cmd_wait(f, argc, argv);
	else if (strcmp(cmd, "cascade") == 0)
		rc = cmd_cascade(f, argc, argv);
	else {
		fprintf(stderr, "mrfc fleet: unknown command '%s' (place, join, leave, end, status, "
			"audit, wait, cascade)\n", cmd);
		rc = 1;
	}
	process_events(f);
	printf("done %s rc=%d\n", cmd, rc);
	fflush(stdout);
	return rc;
}

/* ---- the fleet file ------------------------------------------------------------------- */

static int
fleet_load(struct fleet *f, const struct session *tmpl, const char *path, const char *backend)
{
	FILE *fp = fopen(path, "r");
	if (fp == NULL) {
		perror(path);
		return -1;
	}
	char line[LINE_MAX_LEN];
	unsigned int no = 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		no++;
		line[strcspn(line, "\r\n#")] = '\0';
		char *argv[FARGS_MAX + 2];
		argv[0] = "mrfp";
		int argc = 1 + split(line, argv + 1, FARGS_MAX - 1);
		if (argc == 1)
			continue;
		if (f->n == FLEET_MAX) {
			fprintf(stderr, "%s:%u: at most %d MRFPs\n", path, no, FLEET_MAX);
			goto bad;
		}
		struct member *m = &f->m[f->n];
		memset(m, 0, sizeof(*m));
		const char *name = arg_get(argc, argv, "name"), *sa = arg_get(argc, argv, "sa");
		if (name == NULL || sa == NULL || strlen(name) >= NAME_LEN || member_find(f, name)) {
			fprintf(stderr, "%s:%u: name=NAME (unique) and sa=FILE are required\n", path,
				no);
			goto bad;
		}
		snprintf(m->name, sizeof(m->name), "%s", name);
		snprintf(m->sa, sizeof(m->sa), "%s", sa);
		snprintf(m->backend, sizeof(m->backend), "%s", arg_get(argc, argv, "crypto") ?
			 arg_get(argc, argv, "crypto") : backend);
		m->s = mrfc_session_new(tmpl);
		if (m->s == NULL)
			goto bad;
		f->n++;
		struct mrfc_io *io = mrfc_session_io(m->s);
		for (int i = 1; i < argc; i++) {
			char *v = strchr(argv[i], '=');
			if (v == NULL)
				goto badkey;
			*v++ = '\0';
			const char *k = argv[i];
			if (strcmp(k, "name") == 0 || strcmp(k, "sa") == 0 || strcmp(k, "crypto") == 0)
				continue;
			if (strcmp(k, "mrfp") == 0) {
				if (mxp_ip_parse(v, &m->mrfp, NULL) != 0)
					goto badkey;
			} else if (strcmp(k, "port") == 0) {
				io->mp_port = (uint16_t)atoi(v);
			} else if (strcmp(k, "local-port") == 0) {
				io->local_mp_port = (uint16_t)atoi(v);
			} else if (strcmp(k, "transport") == 0) {
				if (strcmp(v, "udp") && strcmp(v, "sctp"))
					goto badkey;
				io->use_sctp = strcmp(v, "sctp") == 0;
			} else if (strcmp(k, "keys") == 0) {
				snprintf(m->keys, sizeof(m->keys), "%s", v);
			} else {
				goto badkey;
			}
			continue;
badkey:
			fprintf(stderr, "%s:%u: '%s': expected name=, sa=, mrfp=IP, port=N, "
				"local-port=N, transport=udp|sctp, keys=FILE, crypto=NAME\n", path, no,
				argv[i]);
			goto bad;
		}
	}
	fclose(fp);
	if (f->n == 0) {
		fprintf(stderr, "%s: no MRFP\n", path);
		return -1;
	}
	return 0;
bad:
	fclose(fp);
	return -1;
}

int
mrfc_fleet(const struct session *tmpl, const char *backend, int argc, char **argv)
{
	const char *file = NULL, *script = "-";
	struct fleet *f = calloc(1, sizeof(*f));
	int rc = 1;
	if (f == NULL)
		return 1;
	f->audit_ms = 10000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "file=", 5) == 0) {
			file = a + 5;
		} else if (strncmp(a, "script=", 7) == 0) {
			script = a + 7;
		} else if (strncmp(a, "audit=", 6) == 0) {
			char *end;
			double s = strtod(a + 6, &end);
			if (*end || !(s >= 0 && s <= 3600)) {
				fprintf(stderr, "mrfc fleet: audit=%s: seconds between load audits, 0 "
					"(before placements only) .. 3600\n", a + 6);
				goto out;
			}
			f->audit_ms = (uint32_t)(s * 1000);
		} else if (strcmp(a, "rebuild=on") == 0 || strcmp(a, "rebuild=off") == 0) {
			f->rebuild = strcmp(a, "rebuild=on") == 0;
		} else {
			fprintf(stderr, "mrfc fleet: '%s': expected file=FLEET [script=FILE|-] "
				"[audit=S] [rebuild=on|off]\n", a);
			goto out;
		}
	}
	if (file == NULL) {
		fprintf(stderr, "mrfc fleet: file=FLEET is required (one MRFP a line: name=A "
			"sa=FILE [mrfp=IP] ...; doc/mp.md)\n");
		goto out;
	}
	if (fleet_load(f, tmpl, file, backend) != 0)
		goto out;
	setvbuf(stdout, NULL, _IOLBF, 0);
	g_fleet = f;
	mrfc_on_service_change = on_service_change;
	mrfc_output(true, tmpl != NULL && mrfc_session_io((struct session *)tmpl)->verbose == 0);
	for (int i = 0; i < f->n; i++) {
		struct member *m = &f->m[i];
		if (member_open(m) != 0) {
			if (!mrfc_session_io(m->s)->use_sctp)
				goto out;
			m->down = true; /* no association yet: it comes back by ServiceChange */
			printf("down mrfp=%s reason=no-association\n", m->name);
		}
		if (m->keys[0]) {
			unlink(m->keys); /* the fleet's legs only */
			mrfc_session_keys(m->s, m->keys);
		}
	}
	audit_all(f);
	process_events(f);
	print_status(f);
	printf("done start rc=0\n");
	int in = strcmp(script, "-") == 0 ? STDIN_FILENO : -1;
	FILE *sf = in < 0 ? fopen(script, "r") : NULL;
	if (in < 0 && sf == NULL) {
		perror(script);
		goto out;
	}
	if (sf != NULL)
		in = fileno(sf);
	static char buf[LINE_MAX_LEN * 2];
	size_t have = 0;
	bool eof = false;
	for (;;) {
		char *nl = memchr(buf, '\n', have);
		if (nl != NULL || (eof && have > 0)) {
			size_t l = nl ? (size_t)(nl - buf) : have;
			char line[LINE_MAX_LEN];
			size_t cl = l < sizeof(line) - 1 ? l : sizeof(line) - 1;
			memcpy(line, buf, cl);
			line[cl] = '\0';
			line[strcspn(line, "\r")] = '\0';
			memmove(buf, buf + l + (nl ? 1 : 0), have - l - (nl ? 1 : 0));
			have -= l + (nl ? 1 : 0);
			int r = run_line(f, line);
			if (r > 0)
				f->failed++;
			continue;
		}
		if (eof)
			break;
		bool ready = false;
		pump(f, in, poll_timeout(f, 0), &ready);
		if (!ready)
			continue;
		ssize_t n = read(in, buf + have, sizeof(buf) - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			eof = true;
		else
			have += (size_t)n;
		if (have == sizeof(buf) && memchr(buf, '\n', have) == NULL)
			have = 0; /* a line longer than the buffer: dropped */
	}
	if (sf != NULL)
		fclose(sf);
	rc = f->failed ? 2 : 0;
out:
	mrfc_on_service_change = NULL;
	g_fleet = NULL;
	for (int i = 0; i < f->n; i++) {
		if (f->m[i].s == NULL)
			continue;
		mrfc_io_close(mrfc_session_io(f->m[i].s));
		mrfc_session_free(f->m[i].s);
	}
	free(f);
	return rc;
}
