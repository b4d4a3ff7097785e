/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mixgen main: build the scenario, set it up on the daemon, resolve the daemon's MAC, run
 * (one run, or an RFC 2544 style zero-loss search), check, report, tear down.
 *
 * The main lcore runs the sequence below; it also runs the data loop when no other lcore
 * is given (the usual layout on a two-core machine: the daemon's worker on one core,
 * mixgen and the daemon's sleeping control core on the other).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_random.h>
#include <rte_ring.h>

#include "mixgen.h"

struct mg g;

#define ROLE_TX 1u
#define ROLE_RX 2u

static unsigned int main_roles;
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	g.d.stop_trial = true;
}

/* ---- the data loop ------------------------------------------------------------------------- */

static inline void
data_step(unsigned int roles)
{
	uint64_t now = rte_rdtsc();
	uint32_t work = 0;
	if (roles & ROLE_RX)
		work += mg_ana_poll(&g, now);
	if (roles & ROLE_TX) {
		work += mg_gen_poll(&g, now);
		if (g.o.flood.on)
			work += mg_flood_poll(&g, now, mg_gen_backlogged());
	}
	/* Time spent with work, written by the lcore running the analyser (or the generator
	 * when it runs alone). */
	if (work && ((roles & ROLE_RX) || !(g.o.tx_lcore != g.o.rx_lcore && g.o.rx_lcore >= 0)))
		g.d.busy_tsc += rte_rdtsc() - now;
}

static int
data_loop(void *arg)
{
	unsigned int roles = (unsigned int)(uintptr_t)arg;
	mxp_srtp_thread_init();
	while (!g.d.stop)
		data_step(roles);
	mxp_srtp_thread_fini();
	return 0;
}

/* Let time pass until the TSC reaches `until` (or a stop): run the data loop here when the
 * main lcore has data roles, show progress. */
static uint64_t prog_next;
static uint64_t run_t0;
static uint64_t legs_next;
static struct mg_cmd *cmds;
static uint32_t legs_rekeys;
static char legs_err[512];

static void idle_until(uint64_t until);

/*
 * --legs: when the file changes (mrfc rewrites it after a rekey), give the receivers the
 * new keys first, then switch the senders, as a participant would on a new SDP answer.
 */
static void
legs_follow(struct mg *m)
{
	static bool busy;
	if (busy || !mg_legs_changed(m->o.legs))
		return;
	busy = true;
	uint64_t want = mg_cmd_rx_done;
	int n = mg_legs_poll(m, m->o.legs, cmds, false, legs_err, sizeof(legs_err));
	if (n > 0) {
		want += (uint64_t)n;
		uint64_t end = rte_rdtsc() + m->tsc_hz;
		while (__atomic_load_n(&mg_cmd_rx_done, __ATOMIC_ACQUIRE) < want &&
		       rte_rdtsc() < end)
			idle_until(rte_rdtsc() + m->tsc_hz / 2000);
	}
	int t = n >= 0 ? mg_legs_poll(m, m->o.legs, cmds, true, legs_err, sizeof(legs_err)) : -1;
	if (n > 0 || t > 0)
		legs_rekeys++;
	/* A writer that truncates and rewrites (mrfc) can be caught half way: look again,
	 * and give up only when the file stays unreadable for a second. */
	static uint32_t failures;
	if (n < 0 || t < 0) {
		if (++failures < 50) {
			mg_legs_retry();
			legs_err[0] = '\0';
		} else {
			fprintf(stderr, "mixgen: --legs: %s\n", legs_err);
		}
	} else {
		failures = 0;
	}
	busy = false;
}

static void
idle_until(uint64_t until)
{
	for (;;) {
		uint64_t now = rte_rdtsc();
		if (now >= until || g.d.stop_trial)
			return;
		if (main_roles) {
			for (int i = 0; i < 64; i++)
				data_step(main_roles);
		} else {
			usleep(500);
		}
		if (g.o.progress && now >= prog_next) {
			prog_next = now + g.tsc_hz / 4;
			mg_progress(&g, (double)(now - run_t0) / (double)g.tsc_hz, false);
		}
		if (g.o.legs && g.d.tx_on && now >= legs_next) {
			legs_next = now + g.tsc_hz / 200;
			legs_follow(&g);
		}
	}
}

static void
busy_wait(struct mg *m)
{
	(void)m;
	for (int i = 0; i < 64; i++)
		data_step(main_roles);
}

/* ---- scenario -------------------------------------------------------------------------------- */

/* Random SSRC (unique in the scenario: under a shared key they must be), sequence number
 * and timestamp. */
static void
part_random(struct mg *m, struct mg_part *p)
{
	for (;;) {
		p->ssrc = (uint32_t)rte_rand();
		bool dup = p->ssrc == 0;
		for (uint32_t j = 0; j < m->nparts && !dup; j++)
			dup = &m->parts[j] != p && m->parts[j].ssrc == p->ssrc;
		if (!dup)
			break;
	}
	p->seq = (uint16_t)rte_rand();
	p->ts = (uint32_t)rte_rand();
	p->ts_base = p->ts;
}

/* Legs from a file: keys and addresses are given; the rest as for our own scenarios. */
static int
scenario_from_file(struct mg *m, char *err, size_t errlen)
{
	if (mg_legs_load(m, m->o.legs, err, errlen) != 0)
		return -1;
	uint32_t maxn = 0;
	for (uint32_t c = 0; c < m->nconfs; c++)
		maxn = m->confs[c].n > maxn ? m->confs[c].n : maxn;
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		uint32_t given = p->ssrc;
		p->ssrc = 0;
		if (given)
			p->ssrc = given;
		else
			part_random(m, p);
		if (given) {
			p->seq = (uint16_t)rte_rand();
			p->ts = (uint32_t)rte_rand();
			p->ts_base = p->ts;
		}
		p->rx_group = i;
	}
	for (uint32_t k = 0; k < maxn; k++)
		for (uint32_t c = 0; c < m->nconfs; c++)
			if (k < m->confs[c].n && m->parts[m->confs[c].first + k].send)
				m->senders[m->nsenders++] = m->confs[c].first + k;
	return 0;
}

static int
scenario_build(struct mg *m, char *err, size_t errlen)
{
	const struct mg_opts *o = &m->o;
	if (o->legs)
		return scenario_from_file(m, err, errlen);
	m->nconfs = o->confs;
	m->nparts = o->confs * o->parts;
	m->confs = calloc(m->nconfs, sizeof(*m->confs));
	m->parts = calloc(m->nparts, sizeof(*m->parts));
	m->senders = calloc(m->nparts, sizeof(*m->senders));
	if (m->confs == NULL || m->parts == NULL || m->senders == NULL)
		return MG_ERR(err, errlen, "out of memory");
	uint32_t nsend = o->senders < 0 ? o->parts : (uint32_t)o->senders;
	for (uint32_t c = 0; c < m->nconfs; c++) {
		struct mg_conf *cf = &m->confs[c];
		cf->idx = c;
		cf->first = c * o->parts;
		cf->n = o->parts;
		cf->nsend = nsend;
		cf->nrecv = o->parts;
		if ((o->mode == MG_FORWARD || o->keys == MG_KEYS_GROUP) &&
		    mg_keys_generate(&cf->group_key, m->mki ? 1 : 0, err, errlen) != 0)
			return -1;
	}
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		struct mg_conf *cf = &m->confs[i / o->parts];
		uint32_t k = i - cf->first;
		p->idx = i;
		p->conf = cf->idx;
		snprintf(p->label, sizeof(p->label), "c%up%u", cf->idx, k);
		p->port = (uint16_t)(o->udp_base + 2 * i);
		p->send = k < nsend;
		p->recv = true;
		part_random(m, p);
		p->n_tx_keys = p->n_rx_keys = 1;
		if (o->mode == MG_FORWARD) {
			p->tx_key[0] = cf->group_key;
			p->rx_key[0] = cf->group_key;
		} else {
			if (mg_keys_generate(&p->tx_key[0], m->mki ? 1 : 0, err, errlen) != 0)
				return -1;
			if (o->keys == MG_KEYS_GROUP)
				p->rx_key[0] = cf->group_key;
			else if (mg_keys_generate(&p->rx_key[0], m->mki ? 1 : 0, err, errlen) != 0)
				return -1;
		}
		p->rx_group = o->keys == MG_KEYS_GROUP || o->mode == MG_FORWARD ? cf->idx : i;
		if (p->send)
			m->senders[m->nsenders++] = i;
	}
	/* Interleave the conferences' senders so that every conference gets its share of a
	 * burst: the round robin goes c0s0, c1s0, ..., c0s1, c1s1, ... */
	uint32_t w = 0;
	for (uint32_t k = 0; k < nsend; k++)
		for (uint32_t c = 0; c < m->nconfs; c++)
			m->senders[w++] = c * o->parts + k;
	return 0;
}

static void
scenario_wipe(struct mg *m)
{
	if (m->parts)
		explicit_bzero(m->parts, sizeof(*m->parts) * m->nparts);
	if (m->confs)
		explicit_bzero(m->confs, sizeof(*m->confs) * m->nconfs);
}

static int
setup_daemon(struct mg *m, char *err, size_t errlen)
{
	for (uint32_t c = 0; c < m->nconfs; c++) {
		struct mg_conf *cf = &m->confs[c];
		if (m->ctl->conf_create(m, cf, err, errlen) != 0)
			return -1;
		for (uint32_t i = cf->first; i < cf->first + cf->n; i++)
			if (m->ctl->leg_add(m, cf, &m->parts[i], err, errlen) != 0)
				return -1;
	}
	/* One daemon address (its port's): resolve it. */
	for (uint32_t i = 1; i < m->nparts; i++)
		if (!mxp_ip_equal(&m->parts[i].mixer_ip, &m->parts[0].mixer_ip))
			return MG_ERR(err, errlen, "the daemon gave legs several local addresses; "
						   "mixgen plays them all on one port and address");
	return 0;
}

static void
teardown_daemon(struct mg *m)
{
	char err[512];
	if (m->ctl == NULL || m->o.keep)
		return;
	for (uint32_t c = 0; c < m->nconfs; c++)
		if (m->confs[c].created && m->ctl->conf_delete(m, &m->confs[c], err, sizeof(err)))
			fprintf(stderr, "mixgen: warning: %s\n", err);
}

/* The daemon's drop counters: name/value pairs of mixplanectl's "show drops --json". */
struct drops {
	uint32_t n;
	char name[96][40];
	uint64_t v[96];
};

static void
drops_parse(const char *json, struct drops *d)
{
	d->n = 0;
	const char *s = json;
	while (d->n < 96 && (s = strchr(s, '"')) != NULL) {
		const char *e = strchr(s + 1, '"');
		if (e == NULL || e[1] != ':')
			break;
		char *end;
		snprintf(d->name[d->n], sizeof(d->name[0]), "%.*s", (int)(e - s - 1), s + 1);
		d->v[d->n++] = strtoull(e + 2, &end, 10);
		s = end;
	}
}

static struct drops drops_before;

static bool
drops_take(struct mg *m, struct drops *d)
{
	static char buf[16384];
	d->n = 0;
	if (m->ctl->drops_show == NULL || m->ctl->drops_show(m, buf, sizeof(buf)) != 0)
		return false;
	drops_parse(buf, d);
	return d->n > 0;
}

/*
 * Drop reasons that concern media (the daemon's other ports may see traffic of their own:
 * neighbour discovery, stray IPv6, Mp): these fail the "daemon drops" check.
 */
static bool
media_drop(const char *name)
{
	static const char *const media[] = { "tx_full", "no_mbuf", "neigh_", "udp_no_leg",
					     "udp_checksum", "udp_malformed", "ipv4_checksum",
					     "rtp_", "source_mismatch", "leg_not_sending",
					     "ssrc_collision", "srtp_", "handoff_full", NULL };
	for (int i = 0; media[i]; i++)
		if (strncmp(name, media[i], strlen(media[i])) == 0)
			return true;
	return false;
}

/* What the daemon dropped during the run, as a JSON object of the non-zero counters.
 * Returns the count under media reasons (*other gets the rest). */
static uint64_t
drops_delta(const struct drops *a, const struct drops *b, char *out, size_t cap,
	    uint64_t *other)
{
	size_t n = 0;
	uint64_t total = 0, media = 0;
	n += (size_t)snprintf(out, cap, "{");
	for (uint32_t i = 0; i < b->n; i++) {
		uint64_t before = 0;
		for (uint32_t j = 0; j < a->n; j++)
			if (strcmp(a->name[j], b->name[i]) == 0)
				before = a->v[j];
		uint64_t dv = b->v[i] - before;
		if (dv == 0 || n + 64 >= cap)
			continue;
		n += (size_t)snprintf(out + n, cap - n, "%s\"%s\":%" PRIu64, total ? "," : "",
				      b->name[i], dv);
		total += dv;
		if (media_drop(b->name[i]))
			media += dv;
	}
	snprintf(out + n, cap - n, "}");
	if (other)
		*other = total - media;
	return media;
}

/* How much one counter grew between a and b. */
static uint64_t
drop_delta_of(const struct drops *a, const struct drops *b, const char *name)
{
	uint64_t before = 0, after = 0;
	for (uint32_t j = 0; j < a->n; j++)
		if (strcmp(a->name[j], name) == 0)
			before = a->v[j];
	for (uint32_t i = 0; i < b->n; i++)
		if (strcmp(b->name[i], name) == 0)
			after = b->v[i];
	return after - before;
}

/* ---- trials ---------------------------------------------------------------------------------- */

struct snap {
	uint64_t *tx_pkts, *tx_full, *tx_pfail;
	struct mg_rx_stats *rx;
	uint64_t *heard;
	uint64_t heard_n;
};

static int
snap_alloc(struct mg *m, struct snap *s)
{
	s->heard_n = 0;
	for (uint32_t c = 0; c < m->nconfs; c++)
		s->heard_n += (uint64_t)m->confs[c].n * m->confs[c].n;
	s->tx_pkts = calloc(m->nparts, sizeof(uint64_t));
	s->tx_full = calloc(m->nparts, sizeof(uint64_t));
	s->tx_pfail = calloc(m->nparts, sizeof(uint64_t));
	s->rx = calloc(m->nparts, sizeof(*s->rx));
	s->heard = calloc(s->heard_n, sizeof(uint64_t));
	return s->tx_pkts && s->tx_full && s->tx_pfail && s->rx && s->heard ? 0 : -ENOMEM;
}

static void
snap_free(struct snap *s)
{
	free(s->tx_pkts);
	free(s->tx_full);
	free(s->tx_pfail);
	free(s->rx);
	free(s->heard);
	memset(s, 0, sizeof(*s));
}

static void
snap_take(struct mg *m, struct snap *s)
{
	for (uint32_t i = 0; i < m->nparts; i++) {
		s->tx_pkts[i] = m->parts[i].tx.pkts;
		s->tx_full[i] = m->parts[i].tx.tx_full;
		s->tx_pfail[i] = m->parts[i].tx.protect_fail;
		s->rx[i] = m->parts[i].rx;
	}
	memcpy(s->heard, m->heard_mem, s->heard_n * sizeof(uint64_t));
}

static uint64_t
rx_errors(const struct mg_rx_stats *a, const struct mg_rx_stats *b)
{
	return (a->auth_fail - b->auth_fail) + (a->replay - b->replay) +
	       (a->other_fail - b->other_fail) + (a->unknown_mki - b->unknown_mki) +
	       (a->bad_probe - b->bad_probe) +
	       (a->bad_payload - b->bad_payload) + (a->self - b->self) +
	       (a->wrong_conf - b->wrong_conf) + (a->unknown_ssrc - b->unknown_ssrc);
}

/*
 * Expected and received between two snapshots. Receiver r expects what every other sender
 * of its conference sent (and what the port refused, which is loss too); with the probe the
 * count is per pair, without it per receiver.
 */
static void
trial_count(struct mg *m, const struct snap *a, const struct snap *b, struct mg_trial *t,
	    uint64_t *exp_out, uint64_t *rcv_out, double secs)
{
	uint64_t off = 0;
	t->expected = t->received = t->lost = t->extra = t->errors = 0;
	t->sent = t->tx_full = t->protect_fail = 0;
	for (uint32_t i = 0; i < m->nparts; i++) {
		t->sent += b->tx_pkts[i] - a->tx_pkts[i];
		t->tx_full += b->tx_full[i] - a->tx_full[i];
		t->protect_fail += b->tx_pfail[i] - a->tx_pfail[i];
	}
	for (uint32_t c = 0; c < m->nconfs; c++) {
		struct mg_conf *cf = &m->confs[c];
		for (uint32_t r = cf->first; r < cf->first + cf->n; r++) {
			struct mg_part *pr = &m->parts[r];
			uint64_t e = 0, got = 0;
			for (uint32_t s = cf->first; s < cf->first + cf->n; s++) {
				if (s == r || !m->parts[s].send || !pr->recv)
					continue;
				uint64_t es = (b->tx_pkts[s] - a->tx_pkts[s]) +
					      (b->tx_full[s] - a->tx_full[s]);
				uint64_t k = off + (uint64_t)(r - cf->first) * cf->n + (s - cf->first);
				uint64_t gs = b->heard[k] - a->heard[k];
				e += es;
				if (m->o.probe && m->o.mode != MG_MIX) {
					got += gs;
					if (gs < es)
						t->lost += es - gs;
					else
						t->extra += gs - es;
				}
			}
			if (m->o.mode == MG_MIX) {
				/* The mixer sends one packet per ptime while anybody else talks. */
				bool others = cf->nsend > (pr->send ? 1u : 0u);
				e = others && pr->recv ? (uint64_t)(secs * 1000.0 / m->o.ptime_ms + 0.5) : 0;
				got = b->rx[r].pkts - a->rx[r].pkts;
				if (got < e)
					t->lost += e - got;
				else
					t->extra += got - e;
			} else if (!m->o.probe) {
				got = b->rx[r].pkts - a->rx[r].pkts;
				if (got < e)
					t->lost += e - got;
				else
					t->extra += got - e;
			}
			t->expected += e;
			t->received += got;
			t->errors += rx_errors(&b->rx[r], &a->rx[r]);
			if (exp_out) {
				exp_out[r] = e;
				rcv_out[r] = got;
			}
		}
		off += (uint64_t)cf->n * cf->n;
	}
}

static struct snap s_begin, s_end;

/* ---- rekeying --------------------------------------------------------------------------------- */

static double rekey_ms = -1;
static char rekey_err[512];

static bool
cmds_wait(struct mg *m, volatile uint64_t *done, uint64_t want)
{
	uint64_t end = rte_rdtsc() + 5 * m->tsc_hz;
	while (__atomic_load_n(done, __ATOMIC_ACQUIRE) < want) {
		if (rte_rdtsc() > end || m->d.stop_trial)
			return false;
		idle_until(rte_rdtsc() + m->tsc_hz / 2000);
	}
	return true;
}

/*
 * Give every leg new keys both ways under MKI 2, without losing a packet:
 *   1. the daemon learns the participant's new key (in) and its own new key (out), beside
 *      the old ones; our receivers learn the daemon's new key (streams accept both by MKI);
 *   2. the participants switch to their new key (the daemon accepts both);
 *   3. the daemon switches its output to the new key (leg key activate);
 *   4. after 200 ms, the old keys are removed from the daemon (and wiped there).
 * Forward mode: one new conference key, both ways. Group keys: one new group key.
 */
static int
rekey(struct mg *m, char *err, size_t errlen)
{
	const struct mg_ctl_ops *c = m->ctl;
	uint64_t t0 = rte_rdtsc();
	if (c->key_add == NULL || c->key_activate == NULL)
		return MG_ERR(err, errlen, "the %s backend cannot rekey", c->name);
	struct mg_key *ck = calloc(m->nconfs, sizeof(*ck));
	struct mg_key *tx = calloc(m->nparts, sizeof(*tx)), *rx = calloc(m->nparts, sizeof(*rx));
	int rc = -1;
	if (ck == NULL || tx == NULL || rx == NULL) {
		(void)MG_ERR(err, errlen, "out of memory");
		goto out;
	}
	bool shared = m->o.mode == MG_FORWARD || m->o.keys == MG_KEYS_GROUP;
	for (uint32_t i = 0; i < m->nconfs; i++)
		if (shared && mg_keys_generate(&ck[i], 2, err, errlen) != 0)
			goto out;
	uint64_t want_rx = mg_cmd_rx_done, want_tx = mg_cmd_tx_done;
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		if (m->o.mode == MG_FORWARD)
			tx[i] = ck[p->conf];
		else if (mg_keys_generate(&tx[i], 2, err, errlen) != 0)
			goto out;
		if (shared)
			rx[i] = ck[p->conf];
		else if (mg_keys_generate(&rx[i], 2, err, errlen) != 0)
			goto out;
		if (c->key_add(m, p, false, &tx[i], err, errlen) != 0 ||
		    c->key_add(m, p, true, &rx[i], err, errlen) != 0)
			goto out;
		cmds[i] = (struct mg_cmd){ .type = MG_CMD_RX_KEY_ADD, .part = i, .key = rx[i] };
		if (rte_ring_enqueue(mg_cmd_rx, &cmds[i]) != 0) {
			(void)MG_ERR(err, errlen, "command ring full");
			goto out;
		}
		want_rx++;
	}
	if (!cmds_wait(m, &mg_cmd_rx_done, want_rx)) {
		(void)MG_ERR(err, errlen, "the analyser did not take the new keys");
		goto out;
	}
	for (uint32_t i = 0; i < m->nparts; i++) {
		if (!m->parts[i].send)
			continue;
		struct mg_cmd *x = &cmds[m->nparts + i];
		*x = (struct mg_cmd){ .type = MG_CMD_TX_KEY_SWITCH, .part = i, .key = tx[i] };
		if (rte_ring_enqueue(mg_cmd_tx, x) != 0) {
			(void)MG_ERR(err, errlen, "command ring full");
			goto out;
		}
		want_tx++;
	}
	if (!cmds_wait(m, &mg_cmd_tx_done, want_tx)) {
		(void)MG_ERR(err, errlen, "the generator did not take the new keys");
		goto out;
	}
	for (uint32_t i = 0; i < m->nparts; i++)
		if (c->key_activate(m, &m->parts[i], 2, err, errlen) != 0)
			goto out;
	rekey_ms = (double)(rte_rdtsc() - t0) * 1000.0 / (double)m->tsc_hz;
	idle_until(rte_rdtsc() + m->tsc_hz / 5);
	for (uint32_t i = 0; c->key_remove && i < m->nparts; i++)
		if (c->key_remove(m, &m->parts[i], false, 1, err, errlen) != 0 ||
		    c->key_remove(m, &m->parts[i], true, 1, err, errlen) != 0)
			goto out;
	rc = 0;
out:
	if (ck)
		explicit_bzero(ck, sizeof(*ck) * m->nconfs);
	if (tx)
		explicit_bzero(tx, sizeof(*tx) * m->nparts);
	if (rx)
		explicit_bzero(rx, sizeof(*rx) * m->nparts);
	free(ck);
	free(tx);
	free(rx);
	return rc;
}

/*
 * One trial: send at pps (0 = as fast as possible) for secs, stop, wait until nothing has
 * arrived for 50 ms (at most --drain seconds), count.
 */
static void
trial_run(struct mg *m, double pps, double secs, struct mg_trial *t, uint64_t *exp_out,
	  uint64_t *rcv_out)
{
	static struct drops d0, d1;
	memset(t, 0, sizeof(*t));
	t->target_pps = pps;
	bool drops = m->o.search && drops_take(m, &d0);
	snap_take(m, &s_begin);
	uint64_t b0 = m->d.busy_tsc, bp0 = m->gen_backpressure, il0 = m->impair.dropped;
	m->d.tx_pps = pps;
	m->d.tx_limit = 0;
	__atomic_add_fetch(&m->d.tx_epoch, 1, __ATOMIC_RELEASE);
	uint64_t t0 = rte_rdtsc();
	m->d.tx_on = true;
	if (m->o.rekey_at > 0 && !m->o.search) {
		idle_until(t0 + (uint64_t)(m->o.rekey_at * (double)m->tsc_hz));
		if (!m->d.stop_trial && rekey(m, rekey_err, sizeof(rekey_err)) != 0)
			fprintf(stderr, "mixgen: rekey: %s\n", rekey_err);
		else if (rekey_err[0] == '\0' && m->d.stop_trial)
			snprintf(rekey_err, sizeof(rekey_err), "interrupted");
	}
	idle_until(t0 + (uint64_t)(secs * (double)m->tsc_hz));
	m->d.tx_on = false;
	uint64_t t1 = rte_rdtsc();
	uint64_t b1 = m->d.busy_tsc, bp1 = m->gen_backpressure, il1 = m->impair.dropped;
	/* drain */
	uint64_t quiet = m->tsc_hz / 20, end = t1 + (uint64_t)(m->o.drain_s * (double)m->tsc_hz);
	for (;;) {
		idle_until(rte_rdtsc() + m->tsc_hz / 200);
		uint64_t now = rte_rdtsc();
		if (now >= end || m->d.stop_trial)
			break;
		if (now - t1 > quiet && now - m->d.rx_last_tsc > quiet)
			break;
	}
	snap_take(m, &s_end);
	t->secs = (double)(t1 - t0) / (double)m->tsc_hz;
	t->mixgen_idle = t1 > t0 ? 1.0 - (double)(b1 - b0) / (double)(t1 - t0) : 0;
	if (t->mixgen_idle < 0)
		t->mixgen_idle = 0;
	if (drops && drops_take(m, &d1))
		drops_delta(&d0, &d1, t->daemon_drops, sizeof(t->daemon_drops), NULL);
	trial_count(m, &s_begin, &s_end, t, exp_out, rcv_out, t->secs);
	/* --impair drops count as offered: the generator built them at the rate asked. */
	t->offered_pps = (double)(t->sent + t->tx_full + (il1 - il0)) / t->secs;
	t->rx_pps = (double)t->received / t->secs;
	t->backpressure = bp1 - bp0;
	bool short_rate = pps == 0 || t->offered_pps < 0.98 * pps;
	t->gen_limited = short_rate && t->backpressure == 0;
	uint64_t allowed = (uint64_t)(m->o.loss_tol * (double)t->expected);
	/* A trial passes when nothing was lost and the port took the whole offered rate
	 * (as fast as possible, pps 0, always falls short by definition). */
	t->pass = t->lost <= allowed && t->errors == 0 && t->protect_fail == 0 &&
		  t->expected > 0 && t->backpressure == 0 && (pps == 0 || !short_rate);
}

/* RFC 2544 style: the highest offered rate at which a trial loses nothing. */
static void
search(struct mg *m, struct mg_result *r)
{
	const struct mg_opts *o = &m->o;
	double hi = o->search_max, lo = o->search_min;
	r->searched = true;
	r->zero_loss_pps = 0;
	struct mg_trial *t;

	/* First trial at the top: given, or what the generator does flat out. */
	t = &r->trials[r->ntrials++];
	trial_run(m, hi, o->trial_s, t, NULL, NULL);
	if (hi == 0) /* what went through: the generator's or the daemon's limit */
		hi = t->offered_pps;
	if (t->pass) {
		r->zero_loss_pps = t->offered_pps;
		r->search_gen_limited = t->gen_limited;
		r->run = *t;
		return;
	}
	struct mg_trial best = { 0 };
	while (!m->d.stop_trial && hi - lo > o->search_res * hi && r->ntrials < MG_MAX_TRIALS) {
		double mid = (hi + lo) / 2;
		t = &r->trials[r->ntrials++];
		usleep(100000);
		trial_run(m, mid, o->trial_s, t, NULL, NULL);
		if (t->pass) {
			lo = mid;
			best = *t;
		} else {
			hi = mid;
		}
	}
	/* The lower bound is an assumption until a trial passed there. */
	if (best.pass) {
		r->zero_loss_pps = best.offered_pps;
		r->run = best;
	} else if (!m->d.stop_trial && r->ntrials < MG_MAX_TRIALS) {
		t = &r->trials[r->ntrials++];
		trial_run(m, lo, o->trial_s, t, NULL, NULL);
		if (t->pass) {
			r->zero_loss_pps = t->offered_pps;
			r->run = *t;
		} else {
			r->run = *t;
		}
	}
}

/* ---- checks ---------------------------------------------------------------------------------- */

static void
check_add(struct mg_result *r, bool pass, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
check_add(struct mg_result *r, bool pass, const char *name, const char *fmt, ...)
{
	if (r->nchecks == MG_MAX_CHECKS)
		return;
	struct mg_check *c = &r->checks[r->nchecks++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->pass = pass;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
	if (!pass)
		r->ok = false;
}

/* Sum a counter over the participants. */
#define SUM_RX(m, field) ({ \
	uint64_t s_ = 0; \
	for (uint32_t i_ = 0; i_ < (m)->nparts; i_++) \
		s_ += (m)->parts[i_].rx.field; \
	s_; })

/*
 * A tone's amplitude in a recording: the mean of Goertzel magnitudes over 250 ms blocks
 * (4 Hz bins; the tones are 100 Hz apart). One Goertzel over the whole recording would be
 * coherent, so a phase step in the middle (a stream that changes after a rekey resumes at
 * another RTP timestamp offset) could cancel most of a tone that is plainly there.
 */
static double
blockwise_amplitude(const int32_t *pcm, uint32_t n, double f)
{
	const uint32_t blk = 2000;
	if (n < 2 * blk)
		return mg_goertzel(pcm, n, f);
	double sum = 0;
	uint32_t nb = 0;
	for (uint32_t o = 0; o + blk <= n; o += blk, nb++)
		sum += mg_goertzel(pcm + o, blk, f);
	return sum / nb;
}

static void
spectrum_check(struct mg *m, struct mg_result *r)
{
	uint32_t bad = 0, checked = 0;
	char first_bad[200] = "";
	/* Analyse from 0.3 s after the start to 0.1 s before the end of sending. */
	double secs = m->o.duration_s;
	uint32_t from = 2400, to = (uint32_t)((secs - 0.1) * 8000);
	for (uint32_t i = 0; i < m->nparts; i++) {
		struct mg_part *p = &m->parts[i];
		struct mg_conf *cf = &m->confs[p->conf];
		if (p->pcm == NULL || cf->n > m->nfreq)
			continue;
		if (to > p->pcm_len)
			to = p->pcm_len;
		if (to <= from + 800)
			continue;
		char *h = calloc(1, (size_t)cf->n * (MG_LABEL_LEN + 1) + 1);
		r->heard[i] = h;
		checked++;
		for (uint32_t s = cf->first; s < cf->first + cf->n; s++) {
			struct mg_part *q = &m->parts[s];
			double a = blockwise_amplitude(p->pcm + from, to - from, q->freq);
			/* Sent at amplitude 6000: heard above a quarter, absent below 1/20. */
			bool heard = a > 1500, absent = a < 300;
			bool want = q->send && q != p;
			/* Mixing or switching only the loudest N: anybody else may be absent. */
			bool maybe = m->topn && cf->nsend > m->topn && want;
			if (heard) {
				strcat(h, h[0] ? " " : "");
				strcat(h, q->label);
			}
			if (!maybe && ((want && !heard) || (!want && !absent))) {
				if (bad++ == 0)
					snprintf(first_bad, sizeof(first_bad),
						 "%s hears %s at amplitude %.0f (%s)", p->label, q->label,
						 a, want ? "expected about 6000" : "expected silence");
			}
		}
	}
	if (checked)
		check_add(r, bad == 0, "who hears whom (spectrum)",
			  bad ? "%u wrong: %s" : "%u recordings: every sender heard by every other "
						"member, nobody hears itself or a silent member%s",
			  bad ? bad : checked, first_bad);
}

static void
run_checks(struct mg *m, struct mg_result *r)
{
	const struct mg_trial *t = &r->run;
	r->ok = true;
	if (m->o.gen_only) {
		check_add(r, t->protect_fail == 0 && t->sent > 0, "generator",
			  "%" PRIu64 " packets sent in %.2f s (%.0f pps), %" PRIu64
			  " refused by the port, %" PRIu64 " protect failures",
			  t->sent, t->secs, (double)t->sent / t->secs, t->tx_full, t->protect_fail);
		return;
	}
	if (r->searched) {
		check_add(r, r->zero_loss_pps > 0, "zero-loss rate found",
			  "%.0f packets/s offered without loss%s", r->zero_loss_pps,
			  r->search_gen_limited ? " (the generator's top rate: the daemon may do more)" :
						  "");
		return;
	}
	check_add(r, t->protect_fail == 0 && t->sent > 0 && t->backpressure == 0 &&
			     (t->target_pps == 0 || t->offered_pps >= 0.98 * t->target_pps),
		  "generator",
		  "%" PRIu64 " packets sent at %.0f pps (target %.0f), the port was full %" PRIu64
		  " times, %" PRIu64 " protect failures", t->sent, t->offered_pps, t->target_pps,
		  t->backpressure, t->protect_fail);
	uint64_t allowed = (uint64_t)(m->o.loss_tol * (double)t->expected);
	if (m->o.mode == MG_MIX) {
		/* One mixed packet per ptime per receiver while others talk, give or take the
		 * jitter buffer's fill at the start and its drain and concealment at the end. */
		uint32_t bad = 0;
		char first[160] = "";
		uint64_t slack = 500 / m->o.ptime_ms;
		for (uint32_t i = 0; i < m->nparts; i++) {
			uint64_t e = r->expected[i], g2 = r->received[i];
			if ((e > g2 ? e - g2 : g2 - e) > slack + e / 100 && bad++ == 0)
				snprintf(first, sizeof(first), ": %s got %" PRIu64 " of %" PRIu64,
					 m->parts[i].label, g2, e);
		}
		check_add(r, bad == 0 && t->expected > 0, "mix stream",
			  "%" PRIu64 " mixed packets received, %" PRIu64 " ticks expected (one per "
			  "%u ms per receiver)%s", t->received, t->expected, m->o.ptime_ms, first);
	} else {
	check_add(r, t->lost <= allowed && t->expected > 0, "every packet delivered",
		  "%" PRIu64 " of %" PRIu64 " expected received, %" PRIu64 " lost (%.4f %%)",
		  t->received, t->expected, t->lost,
		  t->expected ? 100.0 * (double)t->lost / (double)t->expected : 0);
	}
	uint64_t auth = SUM_RX(m, auth_fail), rep = SUM_RX(m, replay), oth = SUM_RX(m, other_fail),
		 mki = SUM_RX(m, unknown_mki);
	if (!m->o.plain)
		check_add(r, auth + rep + oth + mki == 0, "SRTP authentication",
			  "%" PRIu64 " authentication failures, %" PRIu64 " replays, %" PRIu64
			  " under an MKI we did not have (yet), %" PRIu64 " other", auth, rep, mki, oth);
	uint64_t bp = SUM_RX(m, bad_payload), bpr = SUM_RX(m, bad_probe);
	if (m->o.mode != MG_MIX)
		check_add(r, bp + bpr == 0, "payload intact",
			  "%" PRIu64 " payloads differ from what was sent, %" PRIu64 " bad probes",
			  bp, bpr);
	uint64_t self = SUM_RX(m, self), leak = SUM_RX(m, wrong_conf), unk = SUM_RX(m, unknown_ssrc);
	check_add(r, self + leak + unk == 0, "right listeners",
		  "%" PRIu64 " packets heard by their own sender, %" PRIu64
		  " from another conference, %" PRIu64 " on unexpected streams", self, leak, unk);
	uint64_t gap = SUM_RX(m, seq_gap), dup = SUM_RX(m, dup), reo = SUM_RX(m, reorder),
		 tsj = m->o.mode == MG_MIX ? 0 : SUM_RX(m, ts_jump); /* a mixer's clock skips DTX */
	if (m->o.impair.on)
		/* Loss, jitter and reordering on the way in reach the receivers as gaps, reordering
		 * or timestamp jumps; duplicates must not: the daemon's replay protection removes
		 * them. */
		check_add(r, dup == 0, "sequence and timestamps",
			  "impaired input: %" PRIu64 " duplicates (must be 0); %" PRIu64
			  " sequence gaps, %" PRIu64 " reordered, %" PRIu64 " timestamp jumps", dup,
			  gap, reo, tsj);
	else
		check_add(r, gap + dup + reo + tsj == 0, "sequence and timestamps",
			  "%" PRIu64 " sequence gaps, %" PRIu64 " duplicates, %" PRIu64
			  " reordered, %" PRIu64 " timestamp jumps", gap, dup, reo, tsj);
	if (m->o.mode == MG_SWITCH && !m->o.plain) {
		uint64_t ok = SUM_RX(m, srtcp_ok), bad = SUM_RX(m, srtcp_fail),
			 unk_mki = SUM_RX(m, srtcp_unknown_mki);
		check_add(r, bad == 0, "SRTCP", "%" PRIu64 " sender reports authenticated, %" PRIu64
			  " failed (%" PRIu64 " under an MKI we did not have yet)", ok, bad, unk_mki);
	}
	if (m->record && m->o.audio == MG_AUDIO_TONE)
		spectrum_check(m, r);
	if (m->o.mode == MG_MIX && m->o.audio == MG_AUDIO_TONE) {
		uint32_t with = 0, want = 0;
		for (uint32_t i = 0; i < m->nparts; i++) {
			if (r->expected[i] == 0 || m->confs[m->parts[i].conf].n > m->nfreq)
				continue;
			want++;
			with += m->parts[i].rx.onsets > 0;
		}
		check_add(r, with == want, "mix latency",
			  "%u of %u receivers timed the other talkers' tone onsets through the mixer "
			  "(per tick): p50 %.1f ms, max %.1f ms", with, want,
			  mg_lat_quantile(&m->lat, 0.5) / 1e6, mg_lat_quantile(&m->lat, 1.0) / 1e6);
	}
	if (m->o.legs && (legs_rekeys || legs_err[0])) {
		uint32_t tx_new = 0, rx_new = 0;
		for (uint32_t i = 0; i < m->nparts; i++) {
			tx_new += m->parts[i].tx.rekeyed > 0;
			rx_new += m->parts[i].rx.rekeyed > 0;
		}
		check_add(r, legs_err[0] == '\0', "keys from --legs",
			  legs_err[0] ? "%s" : "%s%u key change(s) followed: %u senders and %u receivers "
			  "on newer keys", legs_err, legs_rekeys, tx_new, rx_new);
	}
	if (m->o.rekey_at > 0) {
		uint32_t tx_new = 0, rx_new = 0, ns = 0, nr = 0;
		for (uint32_t i = 0; i < m->nparts; i++) {
			const struct mg_part *p = &m->parts[i];
			ns += p->send;
			tx_new += p->send && p->tx.rekeyed > 0;
			nr += p->recv && r->expected[i] > 0;
			rx_new += p->recv && r->expected[i] > 0 && p->rx.rekeyed > 0;
		}
		check_add(r, rekey_err[0] == '\0' && tx_new == ns && rx_new == nr, "rekey",
			  rekey_err[0] ? "failed: %s" : "%s%u of %u senders and %u of %u receivers on the "
			  "new keys (MKI 2), switched in %.0f ms, old keys removed",
			  rekey_err, tx_new, ns, rx_new, nr, rekey_ms);
	}
}

/* ---- main -------------------------------------------------------------------------------------- */

static int
fail(int code, const char *msg)
{
	fprintf(stderr, "mixgen: %s\n", msg);
	return code;
}

int
main(int argc, char **argv)
{
	struct mg *m = &g;
	char err[1024];
	int rc = MG_EXIT_SETUP;

	/* Keys live in this process: no core files. */
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);

	int n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "mixgen: EAL initialisation failed: %s\n", rte_strerror(rte_errno));
		return MG_EXIT_SETUP;
	}
	argv[n] = argv[0];
	if (mg_opts_parse(&m->o, argc - n, argv + n) != 0) {
		rte_eal_cleanup();
		return MG_EXIT_SETUP;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	/* A --mixplanectl child that exits before reading its keys must not kill us: the
	 * write fails with EPIPE and the command fails with a message. */
	signal(SIGPIPE, SIG_IGN);
	m->tsc_hz = rte_get_tsc_hz();
	m->ns_per_tsc = 1e9 / (double)m->tsc_hz;
	m->mki = m->o.mki;
	m->record = m->o.audio != MG_AUDIO_PATTERN && (m->o.wav_dir != NULL ||
						       m->o.audio == MG_AUDIO_TONE) &&
		    !m->o.search && !m->o.pcap_out;
	m->ctl = mg_ctl_find(m->o.ctl);

	struct mg_result res;
	memset(&res, 0, sizeof(res));

	if (scenario_build(m, err, sizeof(err)) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	/* Mix: mix every talker (up to the mixer's 8) unless --topn says otherwise. */
	m->topn = m->o.topn;
	if (m->o.mode == MG_MIX && m->topn == 0)
		m->topn = (uint16_t)(m->confs[0].nsend < 8 ? (m->confs[0].nsend ? m->confs[0].nsend : 1) : 8);
	if (mg_audio_init(m, err, sizeof(err)) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	if (m->ctl->check(m, err, sizeof(err)) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	if (mg_keydir_open(m, err, sizeof(err)) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	if (mg_port_open(m, err, sizeof(err)) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	if (!m->o.quiet)
		fprintf(stderr, "mixgen: port %s up, MAC " RTE_ETHER_ADDR_PRT_FMT
				", setting up %u conference(s) of %u participants through %s\n",
			m->port.name, RTE_ETHER_ADDR_BYTES(&m->port.mac), m->nconfs, m->o.parts,
			m->ctl->name);
	if (setup_daemon(m, err, sizeof(err)) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	if (mg_port_resolve(m, &m->parts[0].mixer_ip, 3000, err, sizeof(err)) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	mg_cmd_tx = rte_ring_create("mg_cmd_tx", 16384, (int)rte_socket_id(),
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
	mg_cmd_rx = rte_ring_create("mg_cmd_rx", 16384, (int)rte_socket_id(),
				    RING_F_SP_ENQ | RING_F_SC_DEQ);
	cmds = calloc(2 * (size_t)m->nparts, sizeof(*cmds));
	if (mg_cmd_tx == NULL || mg_cmd_rx == NULL || cmds == NULL) {
		rc = fail(MG_EXIT_SETUP, "cannot create the command rings");
		goto out;
	}
	if (mg_gen_init(m, err, sizeof(err)) != 0 || mg_ana_init(m, err, sizeof(err)) != 0 ||
	    snap_alloc(m, &s_begin) != 0 || snap_alloc(m, &s_end) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	if (m->o.keys_out && mg_keys_write(m, m->o.keys_out, err, sizeof(err)) != 0) {
		rc = fail(MG_EXIT_SETUP, err);
		goto out;
	}
	if (m->o.pcap_out) {
		if (mg_pcap_write(m, m->o.pcap_out, m->o.pcap_s, m->o.pcap_packets, err,
				  sizeof(err)) != 0) {
			rc = fail(MG_EXIT_SETUP, err);
			goto out;
		}
		m->o.keep = true;
		rc = MG_EXIT_OK;
		goto out;
	}

	/* lcores: --tx-lcore / --rx-lcore, else the first worker, else the main lcore. */
	unsigned int main_lc = rte_get_main_lcore();
	int tx_lc = m->o.tx_lcore, rx_lc = m->o.rx_lcore;
	if (tx_lc < 0 && rx_lc < 0) {
		unsigned int w = rte_get_next_lcore(-1, 1, 0);
		tx_lc = rx_lc = w < RTE_MAX_LCORE ? (int)w : (int)main_lc;
	} else if (tx_lc < 0) {
		tx_lc = rx_lc;
	} else if (rx_lc < 0) {
		rx_lc = tx_lc;
	}
	if (m->o.gen_only)
		rx_lc = -1;
	for (int lc = 0; lc < RTE_MAX_LCORE; lc++) {
		unsigned int roles = (lc == tx_lc ? ROLE_TX : 0) | (lc == rx_lc ? ROLE_RX : 0);
		if (roles == 0)
			continue;
		if (!rte_lcore_is_enabled((unsigned int)lc)) {
			snprintf(err, sizeof(err), "lcore %d is not enabled in EAL (-l)", lc);
			rc = fail(MG_EXIT_SETUP, err);
			goto out;
		}
		if ((unsigned int)lc == main_lc)
			main_roles = roles;
		else
			rte_eal_remote_launch(data_loop, (void *)(uintptr_t)roles, (unsigned int)lc);
	}
	if (main_roles) {
		mxp_srtp_thread_init();
		m->busy_wait = busy_wait;
	}

	bool have_drops = drops_take(m, &drops_before);
	run_t0 = rte_rdtsc();
	prog_next = run_t0;
	m->d.rec_t0_tsc = run_t0;
	m->d.rec_audio = m->record;
	res.expected = calloc(m->nparts, sizeof(uint64_t));
	res.received = calloc(m->nparts, sizeof(uint64_t));
	res.heard = calloc(m->nparts, sizeof(char *));
	res.wav = calloc(m->nparts, sizeof(char *));
	res.jitter_us = calloc(m->nparts, sizeof(double));
	if (m->o.search) {
		search(m, &res);
	} else {
		double pps = m->o.rate == MG_RATE_PPS ? m->o.pps :
			     m->o.rate == MG_RATE_REALTIME ? m->nsenders * 1000.0 / m->o.ptime_ms : 0;
		trial_run(m, pps, m->o.duration_s, &res.run, res.expected, res.received);
		res.ntrials = 0;
	}
	m->d.rec_audio = false;
	/* The daemon's drops over the run and its drain, read while this side still receives:
	 * once it stops, what the daemon still sends (a mixer's next ticks) fills the port and
	 * would count as the daemon's tx_full. */
	static struct drops drops_after;
	bool have_after = have_drops && drops_take(m, &drops_after);
	m->busy_wait = NULL;
	m->d.stop = true;
	rte_eal_mp_wait_lcore();
	if (main_roles)
		mxp_srtp_thread_fini();
	if (m->o.progress)
		mg_progress(m, (double)(rte_rdtsc() - run_t0) / (double)m->tsc_hz, true);

	/* Recordings and jitter. */
	for (uint32_t i = 0; i < m->nstreams; i++) {
		struct mg_stream *st = &m->streams[i];
		res.jitter_us[st->recv] += st->jitter_ns / 1000.0;
	}
	for (uint32_t i = 0; i < m->nparts; i++)
		if (m->parts[i].nstreams)
			res.jitter_us[i] /= m->parts[i].nstreams;
	if (m->o.wav_dir && m->record) {
		mkdir(m->o.wav_dir, 0755);
		for (uint32_t i = 0; i < m->nparts; i++) {
			struct mg_part *p = &m->parts[i];
			if (p->pcm == NULL)
				continue;
			char path[MG_PATH_LEN + 64], name[MG_LABEL_LEN];
			snprintf(name, sizeof(name), "%s", p->label);
			for (char *s = name; *s; s++)
				if (*s == '/')
					*s = '_';
			snprintf(path, sizeof(path), "%s/%s.wav", m->o.wav_dir, name);
			uint32_t len = (uint32_t)((m->o.duration_s + 0.2) * 8000);
			if (len > p->pcm_len)
				len = p->pcm_len;
			if (mg_wav_write(path, p->pcm, len, err, sizeof(err)) == 0)
				res.wav[i] = strdup(path);
			else
				fprintf(stderr, "mixgen: %s\n", err);
		}
	}
	run_checks(m, &res);
	if (have_after) {
		uint64_t other = 0;
		uint64_t nd = drops_delta(&drops_before, &drops_after, res.daemon_drops,
					  sizeof(res.daemon_drops), &other);
		uint64_t replays = drop_delta_of(&drops_before, &drops_after, "srtp_replay");
		if (m->o.flood.on) {
			/* Every flood packet refused under its reason, and nothing else. */
			const uint64_t *fs = m->flood.sent;
			uint64_t auth = drop_delta_of(&drops_before, &drops_after, "srtp_auth");
			uint64_t old = drop_delta_of(&drops_before, &drops_after, "srtp_too_old");
			uint64_t ver = drop_delta_of(&drops_before, &drops_after, "rtp_version");
			uint64_t noleg = drop_delta_of(&drops_before, &drops_after, "udp_no_leg");
			uint64_t want = 0;
			for (unsigned int k = 0; k < MG_FLOOD_KINDS; k++)
				want += fs[k];
			check_add(&res, auth == fs[MG_FLOOD_FORGED] + fs[MG_FLOOD_RTCP],
				  "flood: forged refused", "%" PRIu64 " forged SRTP and %" PRIu64
				  " forged SRTCP sent, %" PRIu64 " refused as srtp_auth",
				  fs[MG_FLOOD_FORGED], fs[MG_FLOOD_RTCP], auth);
			check_add(&res, replays + old == fs[MG_FLOOD_REPLAY], "flood: replays refused",
				  "%" PRIu64 " replays sent, %" PRIu64 " refused as srtp_replay, %" PRIu64
				  " as srtp_too_old", fs[MG_FLOOD_REPLAY], replays, old);
			check_add(&res, ver == fs[MG_FLOOD_MALFORMED], "flood: malformed refused",
				  "%" PRIu64 " malformed sent, %" PRIu64 " refused as rtp_version",
				  fs[MG_FLOOD_MALFORMED], ver);
			check_add(&res, noleg == fs[MG_FLOOD_UNKNOWN], "flood: unknown port refused",
				  "%" PRIu64 " to a port without a leg, %" PRIu64 " refused as udp_no_leg",
				  fs[MG_FLOOD_UNKNOWN], noleg);
			check_add(&res, nd == want, "daemon drops",
				  "%" PRIu64 " flood packets sent, the daemon dropped %" PRIu64
				  " media packets %s", want, nd, res.daemon_drops);
		} else if (m->o.impair.on && !m->o.plain)
			/* Every duplicate copy mixgen sent is one replay the daemon refused, and
			 * nothing else was dropped. */
			check_add(&res, nd == replays && replays == m->impair.dup_sent,
				  "daemon drops", "%" PRIu64 " duplicate copies sent, %" PRIu64
				  " refused as replays; %" PRIu64 " other media drops %s",
				  m->impair.dup_sent, replays, nd - replays, res.daemon_drops);
		else if (!res.searched && !m->o.gen_only)
			check_add(&res, nd == 0, "daemon drops",
				  "the daemon dropped %" PRIu64 " media packets during the run%s %s", nd,
				  other ? " (and other traffic)" : "", res.daemon_drops);
	}
	if (interrupted) {
		check_add(&res, false, "completed", "interrupted by a signal");
	}
	if (!m->o.quiet)
		mg_report_table(m, &res, stdout);
	mg_report_json(m, &res, stdout);
	if (m->o.json_out) {
		FILE *f = fopen(m->o.json_out, "w");
		if (f) {
			mg_report_json(m, &res, f);
			fclose(f);
		} else {
			fprintf(stderr, "mixgen: --json %s: %s\n", m->o.json_out, strerror(errno));
		}
	}
	rc = res.ok ? MG_EXIT_OK : MG_EXIT_CHECK;
out:
	m->d.stop = true;
	rte_eal_mp_wait_lcore();
	teardown_daemon(m);
	mg_gen_fini(m);
	mg_ana_fini(m);
	mg_port_close(m);
	scenario_wipe(m);
	for (uint32_t i = 0; i < m->nparts; i++) {
		if (res.heard)
			free(res.heard[i]);
		if (res.wav)
			free(res.wav[i]);
	}
	free(res.heard);
	free(res.wav);
	free(res.expected);
	free(res.received);
	free(res.jitter_us);
	snap_free(&s_begin);
	snap_free(&s_end);
	free(cmds);
	rte_ring_free(mg_cmd_tx);
	rte_ring_free(mg_cmd_rx);
	free(m->audio);
	free(m->confs);
	free(m->parts);
	free(m->senders);
	rte_eal_cleanup();
	return rc;
}
