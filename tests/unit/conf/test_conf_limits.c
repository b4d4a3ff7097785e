/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pools and tables full (issue 16, faults survived): the header-mbuf pool and the mbuf pool
 * run dry while the transmitted packets are held (a transmit queue that does not drain), the
 * conference table and the media port range (the legs' bound) fill. Each refusal is counted
 * under its reason or answered with its error, nothing leaks, and once the pressure ends
 * (packets transmitted, a conference or leg deleted) service is back: no new drop, the
 * pools at their idle figures.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "mxp_conf.h"
#include "mxp_pkt.h"
#include "mxp_test.h"
#include "conf_priv.h"

#include "conf_test_util.h"

#define HDRS 40   /* the small header-mbuf pool */
#define MBUFS 16  /* the small mbuf pool (key-group copies, generated packets) */

static struct rte_mempool *big_pool; /* what the participants' frames come from */

static int
add_leg(struct mxp_conf_sys *sys, uint32_t conf, struct peer *pr, char *err, size_t errlen)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = pr->addr.af;
	lp.remote_known = true;
	lp.remote = pr->addr;
	lp.remote_port = pr->port;
	lp.mode = MXP_SM_SENDRECV;
	conf_key(&lp.in, pr->in_key);
	conf_key(&lp.out, pr->out_key);
	err[0] = '\0';
	return mxp_conf_leg_add(sys, conf, &lp, &pr->leg, err, errlen);
}

/* One SRTP packet of participant pr, into the conference system (and out: flushed). */
static void
send_one(struct peer *pr)
{
	uint8_t buf[256 + SRTP_MAX_TRAILER_LEN];
	buf[0] = 0x80;
	buf[1] = 0;
	buf[2] = (uint8_t)(pr->seq >> 8);
	buf[3] = (uint8_t)pr->seq;
	uint32_t v = htonl(pr->ts);
	memcpy(buf + 4, &v, 4);
	v = htonl(pr->ssrc);
	memcpy(buf + 8, &v, 4);
	memset(buf + 12, 0x5a, PAYLOAD);
	int len = 12 + PAYLOAD;
	pr->seq++;
	pr->ts += 160;
	if (srtp_protect(pr->tx, buf, &len) != srtp_err_status_ok)
		abort();
	if (!tu_rx(tu_frame(big_pool, &pr->leg, &pr->addr, pr->port, buf, (uint16_t)len)))
		abort();
	mxp_conf_flush(g_w);
}

static uint32_t
conf_new(struct mxp_conf_sys *sys)
{
	struct mxp_conf_params cp = { .mode = MXP_CONF_SWITCH };
	uint32_t id = 0;
	char err[128];
	if (mxp_conf_create(sys, &cp, &id, err, sizeof(err)))
		abort();
	return id;
}

/*
 * Header mbufs: a talker and 24 listeners of one key group (one shared payload, a header
 * mbuf per listener). HDRS of them, and the sent packets held: the second packet gets 16
 * headers, the third none; each missing copy is a no_mbuf drop. Transmitted, the pool is
 * full again and a packet reaches every listener.
 */
MXP_TEST(header_pool_dry_counted_and_recovers)
{
	struct mxp_conf_sys *sys = sys_new();
	unsigned int idle = rte_mempool_avail_count(hdr_pool);
	MXP_CHECK_EQ(t, idle, HDRS);
	uint32_t c = conf_new(sys);
	enum { NL = 24 };
	struct peer p[NL + 1];
	char err[256];
	for (unsigned int i = 0; i <= NL; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "192.0.2.%u", 100 + i);
		peer_init(&p[i], 1 + i, 500, addr, (uint16_t)(9000 + 2 * i)); /* one out key */
		MXP_CHECK_EQ(t, add_leg(sys, c, &p[i], err, sizeof(err)), 0);
	}
	send_one(&p[0]);
	MXP_CHECK_EQ(t, nsent, NL);
	MXP_CHECK_EQ(t, drops[MXP_DROP_NO_MBUF], 0);
	send_one(&p[0]);
	MXP_CHECK_EQ(t, nsent, HDRS);
	MXP_CHECK_EQ(t, drops[MXP_DROP_NO_MBUF], 2 * NL - HDRS);
	send_one(&p[0]);
	MXP_CHECK_EQ(t, nsent, HDRS);
	MXP_CHECK_EQ(t, drops[MXP_DROP_NO_MBUF], 3 * NL - HDRS);
	MXP_CHECK_EQ(t, rte_mempool_avail_count(hdr_pool), 0);

	/* the queue drains: every header back, the next packet reaches everyone, no new drop */
	sent_clear();
	MXP_CHECK_EQ(t, rte_mempool_avail_count(hdr_pool), idle);
	uint64_t d = drops[MXP_DROP_NO_MBUF];
	send_one(&p[0]);
	MXP_CHECK_EQ(t, nsent, NL);
	MXP_CHECK_EQ(t, drops[MXP_DROP_NO_MBUF], d);
	sent_clear();
	MXP_CHECK_EQ(t, rte_mempool_avail_count(hdr_pool), idle);
	struct mxp_conf_info ci;
	mxp_conf_get(sys, c, &ci);
	MXP_CHECK_EQ(t, ci.tx_pkts, NL + (HDRS - NL) + 0 + NL); /* what went out */
	for (unsigned int i = 0; i <= NL; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
	sent_clear(); /* its BYEs */
	MXP_CHECK_EQ(t, rte_mempool_avail_count(hdr_pool), idle);
}

/*
 * Mbufs: a talker and 8 listeners of 8 key groups (a copy of the payload per group but the
 * last, from the mbuf pool). MBUFS of them and the sent packets held: the copies run out and
 * each missing one is counted as no_mbuf, for the system and for the talker's leg.
 * Transmitted, the pool is back to its idle figure and nothing more is dropped.
 */
MXP_TEST(mbuf_pool_dry_counted_and_recovers)
{
	struct mxp_conf_sys *sys = sys_new();
	unsigned int idle = rte_mempool_avail_count(pool);
	uint32_t c = conf_new(sys);
	enum { NL = 8 };
	struct peer p[NL + 1];
	char err[256];
	for (unsigned int i = 0; i <= NL; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "192.0.2.%u", 150 + i);
		peer_init(&p[i], 40 + i, 600 + i, addr, (uint16_t)(9100 + 2 * i)); /* own keys */
		MXP_CHECK_EQ(t, add_leg(sys, c, &p[i], err, sizeof(err)), 0);
	}
	MXP_CHECK_EQ(t, rte_mempool_avail_count(pool), idle); /* legs take no mbuf */
	unsigned int copies = NL - 1, tx = 0;
	for (unsigned int k = 0; k < 4; k++) {
		send_one(&p[0]);
		tx += NL;
	}
	/* 4 packets want 4 * 7 copies; the pool had MBUFS */
	uint64_t want = 4 * copies, got = idle;
	MXP_CHECK_EQ(t, drops[MXP_DROP_NO_MBUF], want - got);
	MXP_CHECK_EQ(t, nsent, tx - (want - got));
	MXP_CHECK_EQ(t, rte_mempool_avail_count(pool), 0);
	struct mxp_leg_info li;
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, p[0].leg.id, &li), 0);
	MXP_CHECK_EQ(t, li.st.drops[MXP_LEG_DROP_NO_MBUF], want - got);

	sent_clear();
	MXP_CHECK_EQ(t, rte_mempool_avail_count(pool), idle);
	uint64_t d = drops[MXP_DROP_NO_MBUF];
	send_one(&p[0]);
	MXP_CHECK_EQ(t, nsent, NL);
	MXP_CHECK_EQ(t, drops[MXP_DROP_NO_MBUF], d);
	sent_clear();
	MXP_CHECK_EQ(t, rte_mempool_avail_count(pool), idle);
	for (unsigned int i = 0; i <= NL; i++)
		peer_fini(&p[i]);
	mxp_conf_sys_destroy(sys);
	sent_clear();
	MXP_CHECK_EQ(t, rte_mempool_avail_count(pool), idle);
}

/* The conference table: full, the next create is refused (-ENOSPC, its reason) and changes
 * nothing; after a destroy a conference is created again. */
MXP_TEST(conference_table_full_refused_and_recovers)
{
	struct mxp_conf_sys *sys = sys_new();
	struct mxp_conf_params cp = { .mode = MXP_CONF_SWITCH };
	char err[128] = "";
	uint32_t id = 0, last = 0, n = 0;
	int r;
	while (n <= CONF_MAX_CONFS && (r = mxp_conf_create(sys, &cp, &id, err, sizeof(err))) == 0) {
		last = id;
		n++;
	}
	printf("# %u conferences, then: %s\n", n, err);
	MXP_CHECK_EQ(t, r, -ENOSPC);
	MXP_CHECK(t, strstr(err, "the conference table is full (65536 conferences)") != NULL);
	MXP_CHECK_EQ(t, n, CONF_MAX_CONFS);
	struct mxp_conf_memory m;
	mxp_conf_memory(sys, &m);
	MXP_CHECK_EQ(t, m.confs, n);
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &id, err, sizeof(err)), -ENOSPC);
	mxp_conf_memory(sys, &m);
	MXP_CHECK_EQ(t, m.confs, n);

	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, last, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &id, err, sizeof(err)), 0);
	mxp_conf_memory(sys, &m);
	MXP_CHECK_EQ(t, m.confs, n);
	mxp_conf_sys_destroy(sys);
}

/* The legs' bound, the media port range: full, the next leg is refused (-ENOSPC, the range
 * named) and changes nothing; after a removal a leg is added on the freed pair. */
MXP_TEST(port_range_full_refused_and_recovers)
{
	struct mxp_conf_sys *sys = sys_new(); /* 20000..29999: 5000 pairs */
	uint32_t c = conf_new(sys);
	enum { PAIRS = 5000 };
	struct peer pr;
	peer_init(&pr, 90, 91, "192.0.2.90", 9400);
	char err[256];
	uint32_t first = 0;
	uint16_t first_port = 0;
	for (unsigned int i = 0; i < PAIRS; i++) {
		if (add_leg(sys, c, &pr, err, sizeof(err)) != 0) {
			MXP_CHECK(t, false);
			printf("# leg %u: %s\n", i, err);
			break;
		}
		if (i == 0)
			first = pr.leg.id, first_port = pr.leg.local_port;
	}
	struct mxp_conf_memory m;
	mxp_conf_memory(sys, &m);
	MXP_CHECK_EQ(t, m.legs, PAIRS);
	MXP_CHECK_EQ(t, add_leg(sys, c, &pr, err, sizeof(err)), -ENOSPC);
	printf("# leg %u: %s\n", PAIRS, err);
	MXP_CHECK(t, strstr(err, "no free port pair in the media range 20000-29999") != NULL);
	mxp_conf_memory(sys, &m);
	MXP_CHECK_EQ(t, m.legs, PAIRS);

	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, first, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, add_leg(sys, c, &pr, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, pr.leg.local_port, first_port);
	peer_fini(&pr);
	mxp_conf_sys_destroy(sys);
	sent_clear();
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(header_pool_dry_counted_and_recovers),
	MXP_CASE(mbuf_pool_dry_counted_and_recovers),
	MXP_CASE(conference_table_full_refused_and_recovers),
	MXP_CASE(port_range_full_refused_and_recovers),
};

int
main(int argc, char **argv)
{
	if (mxp_test_eal_init(argv[0]) != 0 || srtp_init() != srtp_err_status_ok)
		return 1;
	big_pool = rte_pktmbuf_pool_create("test_big", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	pool = rte_pktmbuf_pool_create("test_small", MBUFS, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("test_hdr", HDRS, 0, 0, 256, 0);
	if (big_pool == NULL || pool == NULL || hdr_pool == NULL)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
