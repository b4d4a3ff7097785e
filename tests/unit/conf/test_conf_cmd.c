/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control -> worker commands with a real worker thread that the test can stall.
 *
 * A command is owned by the heap, not by the poster's stack: when a worker does not take a
 * command within the system's timeout, the operation fails with -ETIMEDOUT and changes
 * nothing, and when the worker gets to the command later it discards it (counted). Before,
 * the command lived on the caller's stack frame and a worker that woke up after the
 * timeout ran it from a dead frame.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "mxp_conf.h"
#include "mxp_test.h"
#include "mxp_time.h"

static struct rte_mempool *pool, *hdr_pool;
static uint64_t drops[MXP_DROP_MAX];
static const struct rte_ether_addr our_mac = { { 2, 0, 0, 0, 0, 0x10 } };

static int stall_req, stalled, stop, ready;

static void
io_tx(void *arg, uint16_t port, struct rte_mbuf *m)
{
	(void)arg, (void)port;
	rte_pktmbuf_free(m);
}

static bool
io_neigh(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_ether_addr *mac)
{
	(void)arg, (void)port, (void)dst;
	memset(mac, 0x22, sizeof(*mac));
	return true;
}

static void
io_punt(void *arg, uint16_t port, const struct mxp_ip *dst, struct rte_mbuf *m)
{
	(void)arg, (void)port, (void)dst;
	rte_pktmbuf_free(m);
}

static void
nap(unsigned int us)
{
	struct timespec ts = { 0, (long)us * 1000 };
	nanosleep(&ts, NULL);
}

/* Worker 1 of a two-worker system: it never stalls. */
static int ready1;
static uint64_t drops1[MXP_DROP_MAX];

static void *
worker1_main(void *arg)
{
	static const struct mxp_conf_io io = { .tx = io_tx, .neigh = io_neigh, .punt = io_punt };
	struct mxp_conf_worker *w = mxp_conf_worker_attach(arg, 1, &io, NULL, drops1);
	if (w == NULL)
		abort();
	__atomic_store_n(&ready1, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		mxp_conf_worker_poll(w);
	mxp_conf_worker_detach(w);
	return NULL;
}

/* The worker lcore's loop (worker 0), with a switch that makes it stop polling (a stalled
 * worker). */
static void *
worker_main(void *arg)
{
	static const struct mxp_conf_io io = { .tx = io_tx, .neigh = io_neigh, .punt = io_punt };
	struct mxp_conf_worker *w = mxp_conf_worker_attach(arg, 0, &io, NULL, drops);
	if (w == NULL)
		abort();
	__atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		if (__atomic_load_n(&stall_req, __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&stalled, 1, __ATOMIC_RELEASE);
			while (__atomic_load_n(&stall_req, __ATOMIC_ACQUIRE) &&
			       !__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
				nap(200);
			__atomic_store_n(&stalled, 0, __ATOMIC_RELEASE);
			continue;
		}
		mxp_conf_worker_poll(w);
	}
	mxp_conf_worker_detach(w);
	return NULL;
}

static void
wait_flag(int *flag, int value)
{
	while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != value)
		nap(100);
}

static struct mxp_conf_sys *
sys_start_n(pthread_t *th, uint32_t timeout_ms, uint16_t nb_workers)
{
	struct mxp_conf_sys_params p = {
		.nb_workers = nb_workers,
		.nb_addrs = 1,
		.port_min = 20000,
		.port_max = 29999,
		.pool = pool,
		.hdr_pool = hdr_pool,
		.cmd_timeout_ms = timeout_ms,
	};
	p.addrs[0] = (struct mxp_conf_addr){ .port_idx = 0, .ip = mxp_ip4(htonl(0xc0000202)),
					     .mac = our_mac };
	char err[256];
	struct mxp_conf_sys *sys = mxp_conf_sys_create(&p, err, sizeof(err));
	if (sys == NULL) {
		printf("# %s\n", err);
		abort();
	}
	stop = stall_req = stalled = ready = ready1 = 0;
	if (pthread_create(&th[0], NULL, worker_main, sys) != 0)
		abort();
	wait_flag(&ready, 1);
	if (nb_workers > 1) {
		if (pthread_create(&th[1], NULL, worker1_main, sys) != 0)
			abort();
		wait_flag(&ready1, 1);
	}
	return sys;
}

static struct mxp_conf_sys *
sys_start(pthread_t *th, uint32_t timeout_ms)
{
	return sys_start_n(th, timeout_ms, 1);
}

static void
sys_stop_n(struct mxp_conf_sys *sys, pthread_t *th, unsigned int n)
{
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	mxp_conf_sys_destroy(sys);
}

static void
sys_stop(struct mxp_conf_sys *sys, pthread_t th)
{
	sys_stop_n(sys, &th, 1);
}

static void
stall(bool on)
{
	__atomic_store_n(&stall_req, on, __ATOMIC_RELEASE);
	if (on)
		wait_flag(&stalled, 1);
}

/* A plain RTP leg on a given local port. */
static int
leg_add(struct mxp_conf_sys *sys, uint32_t conf, uint16_t port, uint32_t *id)
{
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = AF_INET;
	lp.local_port = port;
	lp.plain = true;
	lp.remote_known = true;
	lp.remote = mxp_ip4(htonl(0xc0000265));
	lp.remote_port = (uint16_t)(port + 10000);
	lp.mode = MXP_SM_SENDRECV;
	struct mxp_leg_info li;
	char err[256];
	int r = mxp_conf_leg_add(sys, conf, &lp, &li, err, sizeof(err));
	if (r == 0 && id)
		*id = li.id;
	return r;
}

static unsigned int
nconfs(struct mxp_conf_sys *sys)
{
	uint32_t ids[8];
	return mxp_conf_list(sys, ids, 8);
}

static int
nlegs(struct mxp_conf_sys *sys, uint32_t conf)
{
	uint32_t ids[8];
	return mxp_conf_legs(sys, conf, ids, 8);
}

MXP_TEST(stalled_worker_changes_nothing)
{
	pthread_t th;
	struct mxp_conf_sys *sys = sys_start(&th, 100);
	char err[256];
	uint32_t c1 = 0, c2 = 0, l1 = 0, l2 = 0;
	struct mxp_conf_params cp = { .mode = MXP_CONF_SWITCH };
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c1, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, leg_add(sys, c1, 20000, &l1), 0);

	stall(true);
	/* every kind of command times out and leaves things as they were */
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c2, err, sizeof(err)), -ETIMEDOUT);
	MXP_CHECK(t, strstr(err, "did not") != NULL);
	MXP_CHECK_EQ(t, nconfs(sys), 1);
	MXP_CHECK_EQ(t, leg_add(sys, c1, 20002, NULL), -ETIMEDOUT);
	MXP_CHECK_EQ(t, nlegs(sys, c1), 1);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, l1, NULL, err, sizeof(err)), -ETIMEDOUT);
	struct mxp_leg_info li;
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, l1, &li), 0);
	struct mxp_leg_mod m = { .set_mute = true, .mute = true };
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, l1, &m, err, sizeof(err)), -ETIMEDOUT);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, l1, &li), 0);
	MXP_CHECK(t, !li.muted);
	MXP_CHECK_EQ(t, mxp_conf_set_topn(sys, c1, 2, err, sizeof(err)), -ETIMEDOUT);
	MXP_CHECK_EQ(t, mxp_conf_set_floor(sys, c1, l1, err, sizeof(err)), -ETIMEDOUT);
	struct mxp_conf_info ci;
	MXP_CHECK_EQ(t, mxp_conf_get(sys, c1, &ci), 0);
	MXP_CHECK_EQ(t, ci.floor, 0);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c1, err, sizeof(err)), -ETIMEDOUT);
	MXP_CHECK_EQ(t, nconfs(sys), 1);
	MXP_CHECK_EQ(t, nlegs(sys, c1), 1); /* the leg is not half removed either */
	struct mxp_conf_worker_stats ws;
	MXP_CHECK_EQ(t, mxp_conf_worker_stats(sys, 0, &ws), 0);
	MXP_CHECK_EQ(t, ws.cmds_abandoned, 0);

	/* The worker wakes up: it finds the withdrawn commands in its ring and drops them
	 * without running any (ASan would catch a use of freed preparations). */
	uint64_t run_before = ws.cmds_run;
	stall(false);
	for (int i = 0; i < 20000; i++) {
		mxp_conf_worker_stats(sys, 0, &ws);
		if (ws.cmds_abandoned >= 7)
			break;
		nap(100);
	}
	MXP_CHECK_EQ(t, ws.cmds_abandoned, 7);
	MXP_CHECK_EQ(t, ws.cmds_run, run_before);

	/* Nothing was left reserved or half done: the same operations now succeed. */
	MXP_CHECK_EQ(t, leg_add(sys, c1, 20002, &l2), 0);
	MXP_CHECK_EQ(t, nlegs(sys, c1), 2);
	MXP_CHECK_EQ(t, mxp_conf_leg_modify(sys, l1, &m, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_leg_get(sys, l1, &li), 0);
	MXP_CHECK(t, li.muted);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, l1, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, nlegs(sys, c1), 1);
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c2, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, nconfs(sys), 2);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c1, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, nconfs(sys), 1);
	sys_stop(sys, th);
}

static int unstalled; /* set just before the worker is let go */

static void *
unstall_later(void *arg)
{
	nap(*(unsigned int *)arg);
	__atomic_store_n(&unstalled, 1, __ATOMIC_RELEASE);
	stall(false);
	return NULL;
}

MXP_TEST(slow_worker_within_timeout)
{
	pthread_t th, un;
	struct mxp_conf_sys *sys = sys_start(&th, 5000);
	char err[256];
	uint32_t c = 0;
	struct mxp_conf_params cp = { .mode = MXP_CONF_MIX };
	stall(true);
	unsigned int us = 30000;
	pthread_create(&un, NULL, unstall_later, &us);
	/* the worker takes the command when it wakes, well within the timeout: the call
	 * returns only after the stall ended (it waited for the worker, not around it) */
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, __atomic_load_n(&unstalled, __ATOMIC_ACQUIRE), 1);
	pthread_join(un, NULL);
	MXP_CHECK_EQ(t, nconfs(sys), 1);
	struct mxp_conf_worker_stats ws;
	mxp_conf_worker_stats(sys, 0, &ws);
	MXP_CHECK_EQ(t, ws.cmds_abandoned, 0);
	MXP_CHECK_EQ(t, ws.cmds_run, 1);
	MXP_CHECK_EQ(t, leg_add(sys, c, 20010, NULL), 0);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c, err, sizeof(err)), 0);
	sys_stop(sys, th);
}

static uint16_t
worker_of(struct mxp_conf_sys *sys, uint32_t conf)
{
	struct mxp_conf_info ci;
	return mxp_conf_get(sys, conf, &ci) == 0 ? ci.worker : UINT16_MAX;
}

static bool
unresponsive(struct mxp_conf_sys *sys, uint16_t w)
{
	struct mxp_conf_worker_stats ws;
	return mxp_conf_worker_stats(sys, w, &ws) == 0 && ws.unresponsive;
}

/*
 * Two workers, worker 0 stalled: the conference meant for it (both idle: the first) goes
 * to worker 1 once worker 0 let the command time out, and, worker 0 now marked
 * unresponsive, the next ones go to worker 1 at once (no second timeout) although worker
 * 0 is less loaded; worker 1's conference takes legs meanwhile. Worker 0 resumed takes
 * the abandoned command, is no longer marked, and gets the next conference again.
 */
MXP_TEST(stalled_worker_passed_over_for_new_conferences)
{
	pthread_t th[2];
	struct mxp_conf_sys *sys = sys_start_n(th, 300, 2);
	char err[256];
	struct mxp_conf_params cp = { .mode = MXP_CONF_SWITCH };
	uint32_t c[4] = { 0 };
	MXP_CHECK(t, !unresponsive(sys, 0) && !unresponsive(sys, 1));
	stall(true);
	uint64_t t0 = mxp_clock_ms();
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c[0], err, sizeof(err)), 0);
	uint64_t t1 = mxp_clock_ms();
	MXP_CHECK_EQ(t, worker_of(sys, c[0]), 1);
	MXP_CHECK(t, t1 - t0 >= 300); /* it waited for worker 0 first */
	MXP_CHECK(t, unresponsive(sys, 0) && !unresponsive(sys, 1));
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c[1], err, sizeof(err)), 0);
	uint64_t t2 = mxp_clock_ms();
	MXP_CHECK_EQ(t, worker_of(sys, c[1]), 1);
	printf("#   first create %" PRIu64 " ms (one timeout), second %" PRIu64 " ms\n", t1 - t0,
	       t2 - t1);
	MXP_CHECK_EQ(t, leg_add(sys, c[1], 20100, NULL), 0);
	MXP_CHECK_EQ(t, nconfs(sys), 2);

	stall(false);
	for (int i = 0; i < 20000 && unresponsive(sys, 0); i++)
		nap(100);
	MXP_CHECK(t, !unresponsive(sys, 0));
	struct mxp_conf_worker_stats ws;
	MXP_CHECK_EQ(t, mxp_conf_worker_stats(sys, 0, &ws), 0);
	MXP_CHECK_EQ(t, ws.cmds_abandoned, 1); /* the second create never tried worker 0 */
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c[2], err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, worker_of(sys, c[2]), 0);
	MXP_CHECK_EQ(t, leg_add(sys, c[2], 20102, NULL), 0);

	/* both stalled is not possible here (worker 1 never stalls); with worker 0 stalled
	 * again and a conference on it, its commands still time out and change nothing */
	stall(true);
	MXP_CHECK_EQ(t, leg_add(sys, c[2], 20104, NULL), -ETIMEDOUT);
	MXP_CHECK(t, unresponsive(sys, 0));
	MXP_CHECK_EQ(t, mxp_conf_create(sys, &cp, &c[3], err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, worker_of(sys, c[3]), 1);
	stall(false);
	for (int i = 0; i < 4; i++)
		MXP_CHECK_EQ(t, mxp_conf_destroy(sys, c[i], err, sizeof(err)), 0);
	sys_stop_n(sys, th, 2);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(stalled_worker_changes_nothing),
	MXP_CASE(slow_worker_within_timeout),
	MXP_CASE(stalled_worker_passed_over_for_new_conferences),
};

int
main(int argc, char **argv)
{
	if (mxp_test_eal_init(argv[0]) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("cmd_pool", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("cmd_hdr", 1023, 0, 0, 256, 0);
	if (pool == NULL || hdr_pool == NULL)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
