/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_srtp: SRTP protect/unprotect throughput on one core, in one run.
 *
 * For each suite, packet size (172 = G.711 20 ms RTP, 1200) and direction it measures, on
 * the same packets: our engine with each crypto driver (bursts of 32 through
 * mxp_srtp_*_pkts), Debian's libsrtp2 (one packet per call), and the intel-ipsec-mb
 * ceiling (a raw loop over the same buffers: AES-CTR + HMAC-SHA1 with the synchronous
 * burst API, or direct AES-GCM calls; also the job API with chained cipher+hash jobs, the
 * way DPDK's aesni_mb PMD drives the library).
 *
 * Method: a pass is POOL packets (one stream) in 1280-byte slots on transparent huge
 * pages (as mbufs sit on hugepages: no TLB misses). Before each pass, untimed, the packets
 * are restored and the context is re-created (the replay window would refuse a second
 * pass); only the protect/unprotect calls are timed (TSC around each burst). Before each
 * burst, untimed, the packet headers are read, as the worker's parse/classify step does
 * before it hands a burst to SRTP. The 172-byte packets therefore sit in
 * L2, as after DDIO delivery; the 1200-byte ones spill to L3. Mpps = packets / timed
 * seconds.
 *
 * Each row is the best of 5 interleaved rounds (see run_group()); a group measured while
 * a probe shows the core disturbed (another thread on its sibling) is measured again.
 *
 * Prints a table and one JSON line. Never run by the test suite.
 *
 *   taskset -c 1 build/benchmarks/srtp/bench_srtp [-t seconds] [-s suite] [-q]
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <x86intrin.h>

#include "mxp_build_config.h"
#include "mxp_srtp.h"
#include "mxp_srtp_driver.h"

#include <unistd.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#if MXP_HAVE_LIBSRTP2
#include <srtp2/srtp.h>
#endif
#if MXP_HAVE_IPSEC_MB
#include <intel-ipsec-mb.h>
#endif

#define BURST 32
#define POOL 2048

/* packets per call; the -b sweep varies it (a power of two up to BURST) */
static unsigned int burst = BURST;
#define SSRC 0x11223344u
#define MAXPKT 1280

static const uint8_t KEY[32] = { 0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3,
				 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a,
				 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6, 0x01, 0x02 };
static const uint8_t SALT[14] = { 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
				  0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6 };

static uint8_t (*plain)[MAXPKT];  /* POOL plaintext packets */
static uint8_t (*wire)[MAXPKT];   /* POOL protected packets */
static uint32_t wire_len[POOL];
static uint8_t (*work)[MAXPKT];   /* what gets processed */
static uint32_t work_len[POOL];
static double budget = 1.0;       /* seconds per implementation and row */
static const char *only_impl;     /* -i: run only implementations starting with this */
static const char *only_op;       /* -o: protect or unprotect */

static bool
want(const char *impl, bool unprotect)
{
	if (only_op != NULL && strcmp(only_op, unprotect ? "unprotect" : "protect") != 0)
		return false;
	return only_impl == NULL || strncmp(impl, only_impl, strlen(only_impl)) == 0;
}

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct rte_mbuf *mbufs[POOL];
static void *huge_alloc(size_t n);

/* TSC ticks per second, calibrated against CLOCK_MONOTONIC at start. */
static double tsc_hz;

static void
tsc_calibrate(void)
{
	double t0 = now();
	uint64_t c0 = __rdtsc();
	while (now() - t0 < 0.2)
		;
	tsc_hz = (double)(__rdtsc() - c0) / (now() - t0);
}


/*
 * Untimed, before each burst: read the packet headers (and the mbuf headers), as the
 * worker's parse/classify step has done before it hands a burst to SRTP. Payload lines
 * are not touched. Every implementation gets the same treatment.
 */
static volatile uint8_t sink;

static void
touch(unsigned int at, bool mbuf)
{
	uint8_t x = 0;
	for (unsigned int i = at; i < at + burst; i++) {
		if (mbuf)
			x ^= rte_pktmbuf_mtod(mbufs[i], uint8_t *)[42] ^ (uint8_t)mbufs[i]->l2_len;
		else
			x ^= work[i][0] ^ work[i][8];
	}
	sink = x;
}

static void
make_plain(size_t size)
{
	for (unsigned int i = 0; i < POOL; i++) {
		uint8_t *b = plain[i];
		memset(b, 0, MAXPKT);
		b[0] = 0x80;
		b[1] = 0;
		b[2] = (uint8_t)(i >> 8);
		b[3] = (uint8_t)i;
		b[4] = (uint8_t)(i >> 4);
		b[8] = SSRC >> 24;
		b[9] = (uint8_t)(SSRC >> 16);
		b[10] = (uint8_t)(SSRC >> 8);
		b[11] = (uint8_t)SSRC;
		for (size_t k = 12; k < size; k++)
			b[k] = (uint8_t)(k * 7 + i);
	}
}

/*
 * A "null" crypto driver: no cipher, an all-zero tag. Rows "mxp/null" measure what the
 * engine itself costs per packet (parse, index, replay, MKI, IV, trailer, commit,
 * counters, mbuf handling) without any crypto. Never the default (lowest priority).
 */
static int null_probe(char *e, size_t l) { (void)e; (void)l; return 0; }
static int null_thread_init(void) { return 0; }
static void null_thread_fini(void) {}
#if MXP_SRTP_API_VERSION >= 2
static size_t
null_key_size(enum mxp_crypto_alg a, size_t kl)
{
	(void)a; (void)kl;
	return 64;
}
#endif
static int
null_key_init(struct mxp_crypto_key *k, enum mxp_crypto_alg a, const uint8_t *key, size_t kl,
	      const uint8_t *ak)
{
	(void)k; (void)a; (void)key; (void)kl; (void)ak;
	return 0;
}
static void null_key_fini(struct mxp_crypto_key *k) { (void)k; }
static int
null_keystream(const uint8_t *key, size_t kl, const uint8_t iv[16], uint8_t *out, size_t len)
{
	(void)key; (void)kl; (void)iv;
	memset(out, 0x5a, len);
	return 0;
}
static void null_ctr(struct mxp_crypto_op *op[], uint16_t n) { (void)op; (void)n; }
static void
null_hmac(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		memset(op[i]->tag, 0, sizeof(op[i]->tag));
}
static void
null_gcm_check(struct mxp_crypto_op *op[], uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		op[i]->tag_ok = op[i]->rx_tag[0] == 0 && op[i]->rx_tag[15] == 0;
}
static const struct mxp_crypto_driver null_driver = {
	.name = "null", .priority = -100, .probe = null_probe,
	.thread_init = null_thread_init, .thread_fini = null_thread_fini,
#if MXP_SRTP_API_VERSION >= 2
	.key_size = null_key_size,
#endif
	.key_init = null_key_init, .key_fini = null_key_fini, .keystream = null_keystream,
	.ctr = null_ctr, .hmac = null_hmac, .gcm_enc = null_hmac, .gcm_dec = null_gcm_check,
	.gcm_tag = null_gcm_check,
};
MXP_CRYPTO_DRIVER_REGISTER(null_driver)

/* --- our engine -------------------------------------------------------------------------- */

static struct mxp_srtp_ctx *
ctx_new(enum mxp_srtp_suite s, enum mxp_srtp_dir d, const char *drv)
{
	char err[160];
	struct mxp_srtp_params p = { .suite = s, .dir = d, .driver = drv, .ssrc = SSRC };
	struct mxp_srtp_ctx *c = aligned_alloc(MXP_SRTP_CTX_ALIGN, mxp_srtp_ctx_size());
	if (c == NULL || mxp_srtp_ctx_init(c, &p, err, sizeof(err)) != 0 ||
	    mxp_srtp_ctx_key_add(c, KEY, SALT, NULL, 0, 0) != 0) {
		fprintf(stderr, "bench_srtp: context: %s\n", err);
		exit(1);
	}
	return c;
}

static void
ctx_free(struct mxp_srtp_ctx *c)
{
	mxp_srtp_ctx_fini(c);
	free(c);
}

#if MXP_SRTP_API_VERSION >= 2
static struct mxp_srtp_key *
key_new(enum mxp_srtp_suite s, const char *drv, void *mem)
{
	char err[160] = "";
	struct mxp_srtp_key_params p = { .suite = s, .driver = drv, .key = KEY, .salt = SALT };
	struct mxp_srtp_key *k = mem ? mem : aligned_alloc(MXP_SRTP_KEY_ALIGN,
							   mxp_srtp_key_size(s, drv));
	if (k == NULL || mxp_srtp_key_init(k, &p, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_srtp: key session: %s\n", err);
		exit(1);
	}
	return k;
}

static struct mxp_srtp_stream *
stream_new(enum mxp_srtp_dir d, uint32_t ssrc, struct mxp_srtp_key *k, void *mem)
{
	char err[160] = "";
	struct mxp_srtp_stream_params p = { .dir = d, .ssrc = ssrc };
	struct mxp_srtp_stream *st = mem ? mem : aligned_alloc(MXP_SRTP_STREAM_ALIGN,
							      mxp_srtp_stream_size(0));
	if (st == NULL || mxp_srtp_stream_init(st, &p, err, sizeof(err)) != 0 ||
	    mxp_srtp_stream_key_add(st, k) != 0) {
		fprintf(stderr, "bench_srtp: stream: %s\n", err);
		exit(1);
	}
	return st;
}
#endif

/* Protect the pool once with our engine (ipsec_mb) to get the wire packets. */
static void
make_wire(enum mxp_srtp_suite s, size_t size)
{
	struct mxp_srtp_ctx *o = ctx_new(s, MXP_SRTP_OUTBOUND, NULL);
	for (unsigned int i = 0; i < POOL; i++) {
		size_t len = size;
		memcpy(wire[i], plain[i], size);
		if (mxp_srtp_protect(o, wire[i], &len, MAXPKT) != MXP_SRTP_R_OK) {
			fprintf(stderr, "bench_srtp: protect failed\n");
			exit(1);
		}
		wire_len[i] = (uint32_t)len;
	}
	ctx_free(o);
}

/* With the null driver, unprotect needs packets protected by the null driver. */
static void
null_rewire(enum mxp_srtp_suite s, size_t size)
{
	struct mxp_srtp_ctx *o = ctx_new(s, MXP_SRTP_OUTBOUND, "null");
	for (unsigned int i = 0; i < POOL; i++) {
		size_t len = size;
		memcpy(work[i], plain[i], size);
		if (mxp_srtp_protect(o, work[i], &len, MAXPKT) != MXP_SRTP_R_OK)
			exit(1);
		work_len[i] = (uint32_t)len;
	}
	ctx_free(o);
}

static void
restore(bool protected_, size_t size)
{
	for (unsigned int i = 0; i < POOL; i++) {
		uint32_t l = protected_ ? wire_len[i] : (uint32_t)size;
		memcpy(work[i], protected_ ? wire[i] : plain[i], l);
		work_len[i] = l;
	}
}

/* Our engine over plain buffers, one context (or, with @p stream, one stream and its key
 * session: the same packet path through the stream API). */
static double
bench_mxp(enum mxp_srtp_suite s, size_t size, bool unprotect, const char *drv, bool stream)
{
	struct mxp_srtp_ctx *cs[BURST];
	struct mxp_srtp_pkt pk[BURST];
	uint8_t r[BURST];
	double t = 0;
	uint64_t done = 0;
#if MXP_SRTP_API_VERSION >= 2
	struct mxp_srtp_stream *ss[BURST];
	struct mxp_srtp_key *k = NULL;
	struct mxp_srtp_stream *st = NULL;
#else
	(void)stream;
#endif

	while (t < budget) {
		restore(unprotect, size);
		if (unprotect && strcmp(drv, "null") == 0)
			null_rewire(s, size);
		enum mxp_srtp_dir dir = unprotect ? MXP_SRTP_INBOUND : MXP_SRTP_OUTBOUND;
		struct mxp_srtp_ctx *c = NULL;
#if MXP_SRTP_API_VERSION >= 2
		if (stream) {
			k = key_new(s, drv, NULL);
			st = stream_new(dir, SSRC, k, NULL);
			for (unsigned int i = 0; i < burst; i++)
				ss[i] = st;
		} else
#endif
		{
			c = ctx_new(s, dir, drv);
			for (unsigned int i = 0; i < burst; i++)
				cs[i] = c;
		}
		uint64_t cyc = 0;
		for (unsigned int at = 0; at < POOL; at += burst) {
			touch(at, false);
			uint64_t c0 = __rdtsc();
			for (unsigned int i = 0; i < burst; i++) {
				pk[i].data = work[at + i];
				pk[i].len = work_len[at + i];
				pk[i].room = MAXPKT - work_len[at + i];
			}
			uint16_t ok;
#if MXP_SRTP_API_VERSION >= 2
			if (stream)
				ok = unprotect ? mxp_srtp_stream_unprotect_pkts(ss, pk, (uint16_t)burst, r) :
						 mxp_srtp_stream_protect_pkts(ss, pk, (uint16_t)burst, r);
			else
#endif
				ok = unprotect ? mxp_srtp_unprotect_pkts(cs, pk, (uint16_t)burst, r) :
						 mxp_srtp_protect_pkts(cs, pk, (uint16_t)burst, r);
			if (ok != burst) {
				fprintf(stderr, "bench_srtp: %s failed: %s\n", drv,
					mxp_srtp_reason_name(r[0]));
				exit(1);
			}
			cyc += __rdtsc() - c0;
		}
		t += (double)cyc / tsc_hz;
		done += POOL;
		if (c != NULL)
			ctx_free(c);
#if MXP_SRTP_API_VERSION >= 2
		if (st != NULL) {
			mxp_srtp_stream_fini(st);
			mxp_srtp_key_fini(k);
			free(st);
			free(k);
			st = NULL;
		}
#endif
	}
	return (double)done / t / 1e6;
}

/*
 * The same through the mbuf burst API (-m): packets in mbufs from a DPDK mempool on
 * hugepages, behind 42 bytes of Ethernet/IPv4/UDP headers, as the data path sees them.
 */
static struct rte_mempool *mpool;
static char eal_dir[128];

static double
bench_mxp_mbuf(enum mxp_srtp_suite s, size_t size, bool unprotect, const char *drv)
{
	struct mxp_srtp_ctx *cs[BURST];
	uint8_t r[BURST];
	double t = 0;
	uint64_t done = 0;

	while (t < budget) {
		restore(unprotect, size);
		if (unprotect && strcmp(drv, "null") == 0)
			null_rewire(s, size);
		for (unsigned int i = 0; i < POOL; i++) {
			struct rte_mbuf *m = mbufs[i];
			rte_pktmbuf_reset(m);
			uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(42 + work_len[i]));
			memset(p, 0, 42);
			memcpy(p + 42, work[i], work_len[i]);
			m->l2_len = 14;
			m->l3_len = 20;
			m->l4_len = 8;
		}
		struct mxp_srtp_ctx *c = ctx_new(s, unprotect ? MXP_SRTP_INBOUND : MXP_SRTP_OUTBOUND,
						 drv);
		uint64_t cyc = 0;
		for (unsigned int at = 0; at < POOL; at += BURST) {
			touch(at, true);
			uint64_t c0 = __rdtsc();
			for (int i = 0; i < BURST; i++)
				cs[i] = c;
			uint16_t ok = unprotect ?
				mxp_srtp_unprotect_burst(cs, &mbufs[at], BURST, r) :
				mxp_srtp_protect_burst(cs, &mbufs[at], BURST, r);
			if (ok != BURST) {
				fprintf(stderr, "bench_srtp: mbuf %s failed: %s\n", drv,
					mxp_srtp_reason_name(r[BURST - 1]));
				exit(1);
			}
			cyc += __rdtsc() - c0;
		}
		t += (double)cyc / tsc_hz;
		done += POOL;
		ctx_free(c);
	}
	return (double)done / t / 1e6;
}

static void
mbuf_init(const char *prog)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=bench_srtp%d", (int)getpid());
	snprintf(eal_dir, sizeof(eal_dir), "/var/run/dpdk/bench_srtp%d", (int)getpid());
	char *argv[] = { (char *)prog, "--in-memory", "-m", "128", "--no-pci", prefix,
			 "--log-level=lib.*:error", "--no-telemetry", "-l", "0", NULL };
	/* -l 0 is the EAL's idea of its lcore; the thread stays where taskset put it */
	cpu_set_t keep;
	sched_getaffinity(0, sizeof(keep), &keep);
	if (rte_eal_init(10, argv) < 0) {
		fprintf(stderr, "bench_srtp: -m needs hugepages (rte_eal_init failed)\n");
		exit(1);
	}
	sched_setaffinity(0, sizeof(keep), &keep);
	mpool = rte_pktmbuf_pool_create("bench", POOL + 512, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					SOCKET_ID_ANY);
	if (mpool == NULL || rte_pktmbuf_alloc_bulk(mpool, mbufs, POOL) != 0) {
		fprintf(stderr, "bench_srtp: no mbufs\n");
		exit(1);
	}
}

/* --- many streams: the data path's case ------------------------------------------------ */

/*
 * nmany SSRC streams, the packets of a pass spread over them in turn (packet i of the run
 * goes to stream i mod nmany, with that stream's next sequence number), so that, as on a
 * worker with thousands of legs, the state of each packet's stream is cold. Kinds:
 *   0  streams under one key session (a key group: encrypt once per group, or forward);
 *   1  contexts, each with its own copy of the key (what lib/conf did with the v1 API);
 *   2  streams, each with its own key session (per-leg keys).
 * The objects sit back to back on transparent huge pages, as in an rte_malloc'd pool.
 * Prefetching follows the data path: contexts are prefetched a burst ahead (addresses
 * only, as lib/conf does with mxp_srtp_ctx_prefetch()); streams two bursts ahead, and their
 * key sessions one burst ahead, once the stream's first line is in cache.
 * Unprotect needs packets protected per stream: made untimed by a sender per stream.
 */
static unsigned int nmany = 10000;

#define MANY_SSRC(i) (0x40000000u + (uint32_t)(i))

struct many {
	int kind;
	bool un;
	unsigned int n;
	size_t osz;             /* bytes per stream or context */
	size_t ksz;             /* bytes per key session (kinds 0 and 2) */
	uint8_t *objs, *keys;   /* receivers (or senders, for protect) */
	uint8_t *txo, *txk;     /* the senders that make the wire packets for unprotect */
	uint16_t *seq;
	unsigned int next;
};

static void
many_build(struct many *m, enum mxp_srtp_suite s, int kind, bool un)
{
	enum mxp_srtp_dir dir = un ? MXP_SRTP_INBOUND : MXP_SRTP_OUTBOUND;
	char err[160] = "";

	memset(m, 0, sizeof(*m));
	m->kind = kind;
	m->un = un;
	m->n = nmany;
	m->seq = calloc(m->n, sizeof(m->seq[0]));
	if (kind == 1) {
		m->osz = mxp_srtp_ctx_size();
		m->objs = huge_alloc(m->osz * m->n);
		for (unsigned int i = 0; i < m->n; i++) {
			struct mxp_srtp_ctx *c = (struct mxp_srtp_ctx *)(m->objs + i * m->osz);
			struct mxp_srtp_params p = { .suite = s, .dir = dir, .ssrc = MANY_SSRC(i) };
			if (mxp_srtp_ctx_init(c, &p, err, sizeof(err)) != 0 ||
			    mxp_srtp_ctx_key_add(c, KEY, SALT, NULL, 0, 0) != 0) {
				fprintf(stderr, "bench_srtp: context: %s\n", err);
				exit(1);
			}
		}
	}
#if MXP_SRTP_API_VERSION >= 2
	else {
		unsigned int nk = kind == 0 ? 1 : m->n;
		m->osz = mxp_srtp_stream_size(0);
		m->ksz = mxp_srtp_key_size(s, NULL);
		m->objs = huge_alloc(m->osz * m->n);
		m->keys = huge_alloc(m->ksz * nk);
		for (unsigned int i = 0; i < nk; i++)
			key_new(s, NULL, m->keys + i * m->ksz);
		for (unsigned int i = 0; i < m->n; i++)
			stream_new(dir, MANY_SSRC(i),
				   (struct mxp_srtp_key *)(m->keys + (kind == 0 ? 0 : i * m->ksz)),
				   m->objs + i * m->osz);
	}
	if (un) { /* one sender stream per SSRC, under one key session */
		size_t so = mxp_srtp_stream_size(0);
		m->txk = huge_alloc(mxp_srtp_key_size(s, NULL));
		m->txo = huge_alloc(so * m->n);
		key_new(s, NULL, m->txk);
		for (unsigned int i = 0; i < m->n; i++)
			stream_new(MXP_SRTP_OUTBOUND, MANY_SSRC(i), (struct mxp_srtp_key *)m->txk,
				   m->txo + i * so);
	}
#else
	if (un) { /* v1 API: a sender context per SSRC */
		size_t so = mxp_srtp_ctx_size();
		m->txo = huge_alloc(so * m->n);
		for (unsigned int i = 0; i < m->n; i++) {
			struct mxp_srtp_ctx *c = (struct mxp_srtp_ctx *)(m->txo + i * so);
			struct mxp_srtp_params p = { .suite = s, .dir = MXP_SRTP_OUTBOUND,
						     .ssrc = MANY_SSRC(i) };
			if (mxp_srtp_ctx_init(c, &p, err, sizeof(err)) != 0 ||
			    mxp_srtp_ctx_key_add(c, KEY, SALT, NULL, 0, 0) != 0)
				exit(1);
		}
	}
#endif
}

static void
many_free(struct many *m)
{
	free(m->seq);
	/* the memory of a benchmark run is not reused: release it whole (keys are test keys) */
	free(m->objs);
	free(m->keys);
	free(m->txo);
	free(m->txk);
}

/* Untimed: the next POOL packets (plain, or protected by their stream's sender) in work[],
 * and the object of each. */
static void
many_fill(struct many *m, size_t size, struct mxp_srtp_ctx *cx[POOL], void *sx_[POOL])
{
	for (unsigned int i = 0; i < POOL; i++) {
		unsigned int st = m->next;
		m->next = m->next + 1 == m->n ? 0 : m->next + 1;
		uint8_t *b = work[i];
		uint16_t q = m->seq[st]++;
		memcpy(b, plain[i], size);
		b[2] = (uint8_t)(q >> 8);
		b[3] = (uint8_t)q;
		b[8] = (uint8_t)(MANY_SSRC(st) >> 24);
		b[9] = (uint8_t)(MANY_SSRC(st) >> 16);
		b[10] = (uint8_t)(MANY_SSRC(st) >> 8);
		b[11] = (uint8_t)MANY_SSRC(st);
		size_t len = size;
		if (m->un) {
			enum mxp_srtp_reason r;
#if MXP_SRTP_API_VERSION >= 2
			struct mxp_srtp_stream *tx = (struct mxp_srtp_stream *)(m->txo +
				st * mxp_srtp_stream_size(0));
			r = mxp_srtp_stream_protect(tx, b, &len, MAXPKT);
#else
			struct mxp_srtp_ctx *tx = (struct mxp_srtp_ctx *)(m->txo +
				st * mxp_srtp_ctx_size());
			r = mxp_srtp_protect(tx, b, &len, MAXPKT);
#endif
			if (r != MXP_SRTP_R_OK) {
				fprintf(stderr, "bench_srtp: many: sender failed: %s\n",
					mxp_srtp_reason_name(r));
				exit(1);
			}
		}
		work_len[i] = (uint32_t)len;
		cx[i] = (struct mxp_srtp_ctx *)(m->objs + st * m->osz);
		sx_[i] = m->objs + st * m->osz;
	}
}

static double
bench_many(enum mxp_srtp_suite s, size_t size, bool un, int kind)
{
	static struct mxp_srtp_ctx *cx[POOL];
	static void *obj[POOL];
	struct mxp_srtp_pkt pk[BURST];
	uint8_t r[BURST];
	struct many m;
	double t = 0;
	uint64_t done = 0;

	many_build(&m, s, kind, un);
	/* one untimed pass so that every object has been touched once, as in steady state */
	many_fill(&m, size, cx, obj);
	while (t < budget) {
		many_fill(&m, size, cx, obj);
		uint64_t cyc = 0;
		for (unsigned int at = 0; at < POOL; at += BURST) {
			touch(at, false);
			uint64_t c0 = __rdtsc();
			for (int i = 0; i < BURST; i++) {
				pk[i].data = work[at + i];
				pk[i].len = work_len[at + i];
				pk[i].room = MAXPKT - work_len[at + i];
			}
			uint16_t ok;
			if (kind == 1) {
				/* lib/conf's way: the next burst's contexts (addresses only) */
				for (int i = 0; at + BURST < POOL && i < BURST; i++)
					mxp_srtp_ctx_prefetch(cx[at + BURST + i]);
				ok = un ? mxp_srtp_unprotect_pkts(&cx[at], pk, BURST, r) :
					  mxp_srtp_protect_pkts(&cx[at], pk, BURST, r);
			}
#if MXP_SRTP_API_VERSION >= 2
			else {
				/* two steps: the streams two bursts ahead, then, their first line
				 * in cache, their keys one burst ahead (at the start of a pass the
				 * pipeline fills itself) */
				struct mxp_srtp_stream *ss[BURST];
				for (int i = 0; i < BURST; i++) {
					ss[i] = obj[at + i];
					if (at == 0) {
						mxp_srtp_stream_prefetch(obj[BURST + i]);
						mxp_srtp_stream_prefetch_keys(ss[i]);
					}
					if (at + 2 * BURST < POOL)
						mxp_srtp_stream_prefetch(obj[at + 2 * BURST + i]);
					if (at + BURST < POOL)
						mxp_srtp_stream_prefetch_keys(obj[at + BURST + i]);
				}
				ok = un ? mxp_srtp_stream_unprotect_pkts(ss, pk, BURST, r) :
					  mxp_srtp_stream_protect_pkts(ss, pk, BURST, r);
			}
#else
			else
				ok = 0;
#endif
			if (ok != BURST) {
				fprintf(stderr, "bench_srtp: many (kind %d) failed: %s\n", kind,
					mxp_srtp_reason_name(r[0]));
				exit(1);
			}
			cyc += __rdtsc() - c0;
		}
		t += (double)cyc / tsc_hz;
		done += POOL;
	}
	many_free(&m);
	return (double)done / t / 1e6;
}

/* --- libsrtp2 ------------------------------------------------------------------------------ */

#if MXP_HAVE_LIBSRTP2
static srtp_t
lib_new(enum mxp_srtp_suite s, bool inbound)
{
	srtp_policy_t p;
	static uint8_t k[48];
	const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info(s);
	srtp_t sess;

	memset(&p, 0, sizeof(p));
	switch (s) {
	case MXP_SRTP_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		break;
	case MXP_SRTP_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		break;
	case MXP_SRTP_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&p.rtp);
		break;
	case MXP_SRTP_AES_256_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&p.rtp);
		break;
	case MXP_SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		break;
	default:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(&p.rtp);
		break;
	}
	p.rtcp = p.rtp;
	memcpy(k, KEY, si->key_len);
	memcpy(k + si->key_len, SALT, si->salt_len);
	p.key = k;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_specific;
	p.ssrc.value = SSRC;
	p.window_size = 128;
	if (srtp_create(&sess, &p) != srtp_err_status_ok) {
		fprintf(stderr, "bench_srtp: srtp_create failed\n");
		exit(1);
	}
	return sess;
}

static double
bench_libsrtp(enum mxp_srtp_suite s, size_t size, bool unprotect)
{
	double t = 0;
	uint64_t done = 0;

	while (t < budget) {
		restore(unprotect, size);
		srtp_t sess = lib_new(s, unprotect);
		uint64_t cyc = 0;
		for (unsigned int at = 0; at < POOL; at += BURST) {
			touch(at, false);
			uint64_t c0 = __rdtsc();
			for (unsigned int i = at; i < at + BURST; i++) {
				int len = (int)work_len[i];
				srtp_err_status_t st = unprotect ? srtp_unprotect(sess, work[i], &len) :
								   srtp_protect(sess, work[i], &len);
				if (st != srtp_err_status_ok) {
					fprintf(stderr, "bench_srtp: libsrtp failed: %d\n", st);
					exit(1);
				}
			}
			cyc += __rdtsc() - c0;
		}
		t += (double)cyc / tsc_hz;
		done += POOL;
		srtp_dealloc(sess);
	}
	return (double)done / t / 1e6;
}
#endif

/* --- intel-ipsec-mb ceiling ----------------------------------------------------------------- */

#if MXP_HAVE_IPSEC_MB
static IMB_MGR *mgr;
static alignas(16) uint32_t enc_keys[60], dec_keys[60];
static alignas(16) uint8_t ipad[32], opad[32];
static struct gcm_key_data gkey;
static IMB_JOB jobs[BURST];
static alignas(16) uint8_t ivs[BURST][16];
static uint8_t tags[BURST][20];

static void
ceiling_keys(size_t key_len)
{
	uint8_t block[64];
	if (key_len == 16) {
		IMB_AES_KEYEXP_128(mgr, KEY, enc_keys, dec_keys);
		IMB_AES128_GCM_PRE(mgr, KEY, &gkey);
	} else {
		IMB_AES_KEYEXP_256(mgr, KEY, enc_keys, dec_keys);
		IMB_AES256_GCM_PRE(mgr, KEY, &gkey);
	}
	memset(block, 0x36 ^ 0x5a, sizeof(block));
	IMB_SHA1_ONE_BLOCK(mgr, block, ipad);
	memset(block, 0x5c ^ 0x5a, sizeof(block));
	IMB_SHA1_ONE_BLOCK(mgr, block, opad);
}

/* One chained AES-CTR + HMAC-SHA1 job (modes 1 and 3): cipher-then-hash to protect,
 * hash-then-cipher to unprotect. */
static void
chain_fill(IMB_JOB *j, uint8_t *p, uint32_t clen, size_t key_len, const uint8_t *iv,
	   uint8_t *tag, size_t size, bool unprotect)
{
	j->src = p;
	j->dst = p + 12;
	j->cipher_start_src_offset_in_bytes = 12;
	j->msg_len_to_cipher_in_bytes = clen;
	j->enc_keys = enc_keys;
	j->dec_keys = enc_keys;
	j->key_len_in_bytes = key_len;
	j->iv = iv;
	j->iv_len_in_bytes = 16;
	j->cipher_mode = IMB_CIPHER_CNTR;
	j->cipher_direction = unprotect ? IMB_DIR_DECRYPT : IMB_DIR_ENCRYPT;
	j->chain_order = unprotect ? IMB_ORDER_HASH_CIPHER : IMB_ORDER_CIPHER_HASH;
	j->hash_alg = IMB_AUTH_HMAC_SHA_1;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = size + 4;
	j->auth_tag_output = tag;
	j->auth_tag_output_len_in_bytes = 20;
	j->u.HMAC._hashed_auth_key_xor_ipad = ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = opad;
}

/*
 * mode 0: cipher burst + hash burst; 1: chained jobs through the job API; 2: GCM direct;
 * 3: chained jobs (cipher-then-hash to protect, hash-then-cipher to unprotect) through the
 * generic burst API (IMB_GET_NEXT_BURST / IMB_SUBMIT_BURST): would one chained job per
 * packet beat two single-purpose bursts?
 */
static double
bench_ceiling(size_t key_len, size_t size, bool unprotect, int mode)
{
	double t = 0;
	uint64_t done = 0;
	uint32_t clen = (uint32_t)size - 12;
	IMB_KEY_SIZE_BYTES ks = key_len == 16 ? IMB_KEY_128_BYTES : IMB_KEY_256_BYTES;

	ceiling_keys(key_len);
	while (t < budget) {
		restore(false, size);
		uint64_t cyc = 0;
		for (unsigned int at = 0; at < POOL; at += burst) {
			touch(at, false);
			uint64_t c0 = __rdtsc();
			if (mode == 0) {
				for (unsigned int i = 0; i < burst; i++) {
					IMB_JOB *j = &jobs[i];
					uint8_t *p = work[at + i];
					j->src = p;
					j->dst = p + 12;
					j->cipher_start_src_offset_in_bytes = 12;
					j->msg_len_to_cipher_in_bytes = clen;
					j->enc_keys = enc_keys;
					j->key_len_in_bytes = key_len;
					j->iv = ivs[i];
					j->iv_len_in_bytes = 16;
					j->hash_start_src_offset_in_bytes = 0;
					j->msg_len_to_hash_in_bytes = size + 4;
					j->auth_tag_output = tags[i];
					j->auth_tag_output_len_in_bytes = 20;
					j->u.HMAC._hashed_auth_key_xor_ipad = ipad;
					j->u.HMAC._hashed_auth_key_xor_opad = opad;
				}
				if (unprotect) {
					IMB_SUBMIT_HASH_BURST_NOCHECK(mgr, jobs, burst, IMB_AUTH_HMAC_SHA_1);
					IMB_SUBMIT_CIPHER_BURST_NOCHECK(mgr, jobs, burst, IMB_CIPHER_CNTR,
									IMB_DIR_ENCRYPT, ks);
				} else {
					IMB_SUBMIT_CIPHER_BURST_NOCHECK(mgr, jobs, burst, IMB_CIPHER_CNTR,
									IMB_DIR_ENCRYPT, ks);
					IMB_SUBMIT_HASH_BURST_NOCHECK(mgr, jobs, burst, IMB_AUTH_HMAC_SHA_1);
				}
			} else if (mode == 1) {
				for (unsigned int i = 0; i < burst; i++) {
					uint8_t *p = work[at + i];
					IMB_JOB *j = IMB_GET_NEXT_JOB(mgr);
					chain_fill(j, p, clen, key_len, ivs[i], tags[i], size, unprotect);
					j = IMB_SUBMIT_JOB_NOCHECK(mgr);
					while (j != NULL)
						j = IMB_GET_COMPLETED_JOB(mgr);
				}
				while (IMB_FLUSH_JOB(mgr) != NULL)
					;
			} else if (mode == 3) {
				IMB_JOB *jp[BURST], *fin[BURST];
				uint32_t got = IMB_GET_NEXT_BURST(mgr, burst, jp);
				if (got < burst) {
					IMB_FLUSH_BURST(mgr, burst, fin);
					got = IMB_GET_NEXT_BURST(mgr, burst, jp);
				}
				for (uint32_t i = 0; i < got; i++) {
					uint8_t *p = work[at + i];
					IMB_JOB *j = jp[i];
					chain_fill(j, p, clen, key_len, ivs[i], tags[i], size, unprotect);
				}
				uint32_t c = IMB_SUBMIT_BURST_NOCHECK(mgr, got, jp);
				if (c < got)
					IMB_FLUSH_BURST(mgr, got - c, fin);
			} else {
				struct gcm_context_data g;
				for (unsigned int i = 0; i < burst; i++) {
					uint8_t *p = work[at + i];
					if (key_len == 16 && unprotect)
						IMB_AES128_GCM_DEC(mgr, &gkey, &g, p + 12, p + 12, clen,
								   ivs[i], p, 12, tags[i], 16);
					else if (key_len == 16)
						IMB_AES128_GCM_ENC(mgr, &gkey, &g, p + 12, p + 12, clen,
								   ivs[i], p, 12, tags[i], 16);
					else if (unprotect)
						IMB_AES256_GCM_DEC(mgr, &gkey, &g, p + 12, p + 12, clen,
								   ivs[i], p, 12, tags[i], 16);
					else
						IMB_AES256_GCM_ENC(mgr, &gkey, &g, p + 12, p + 12, clen,
								   ivs[i], p, 12, tags[i], 16);
				}
			}
			cyc += __rdtsc() - c0;
		}
		t += (double)cyc / tsc_hz;
		done += POOL;
	}
	return (double)done / t / 1e6;
}
#endif

/* Memory on transparent huge pages when the kernel allows it (madvise mode). */
static void *
huge_alloc(size_t n)
{
	size_t sz = (n + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
	void *p = aligned_alloc(2u << 20, sz);
	if (p == NULL) {
		perror("bench_srtp: aligned_alloc");
		exit(1);
	}
	madvise(p, sz, MADV_HUGEPAGE);
	memset(p, 0, sz);
	return p;
}

/* --- driver ---------------------------------------------------------------------------------- */

struct row {
	const char *suite;
	unsigned int size;
	const char *op;
	const char *impl;
	double mpps;
};

static struct row rows[512];
static unsigned int nrows;

static void
add(const char *suite, size_t size, bool unprotect, const char *impl, double mpps)
{
	rows[nrows++] = (struct row){ suite, (unsigned int)size, unprotect ? "unprotect" : "protect",
				      strdup(impl), mpps };
	printf("%-24s %5zu %-9s %-26s %8.2f\n", suite, size, unprotect ? "unprotect" : "protect",
	       impl, mpps);
	fflush(stdout);
}

static double
find(const char *suite, unsigned int size, const char *op, const char *impl)
{
	for (unsigned int i = 0; i < nrows; i++)
		if (strcmp(rows[i].suite, suite) == 0 && rows[i].size == size &&
		    strcmp(rows[i].op, op) == 0 && strcmp(rows[i].impl, impl) == 0)
			return rows[i].mpps;
	return 0;
}

/*
 * One (suite, size, direction) group: every implementation runs ROUNDS times in turn, each
 * time for budget / ROUNDS seconds, and keeps its best round. Interleaving keeps them under
 * the same conditions when something else disturbs the machine.
 */
#define ROUNDS 5

/*
 * Disturbance probe: another busy thread on the sibling hyperthread (or the other vCPU
 * of the same core) halves every figure. A short ceiling run before and after each
 * group must reach 95 % of the best probe seen, else the group is measured again.
 */
static double probe_best;
static unsigned int disturbed;

static double
probe(void)
{
#if MXP_HAVE_IPSEC_MB
	double keep = budget, v;
	budget = 0.05;
	make_plain(172);
	v = bench_ceiling(16, 172, true, 0);
	budget = keep;
	if (v > probe_best)
		probe_best = v;
	return v;
#else
	return 1;
#endif
}

struct runner {
	char name[64];
	/* 0 mxp, 1 libsrtp2, 2..4 ceiling mode kind-2, 5 mxp over mbufs, 6 mxp over a stream,
	 * 7 ceiling mode 3, 10..12 many streams/contexts (bench_many kind - 10) */
	int kind;
	char drv[24];
	double best;
};

static void
run_group(const struct mxp_srtp_suite_info *si, size_t size, bool un, const char *drivers,
	  bool many)
{
	struct runner r[16];
	int nr = 0;
	char list[128], *save = NULL;

	snprintf(list, sizeof(list), "%s", many ? "" : drivers);
	if (many) {
		char k[16];
		if (nmany % 1000 == 0)
			snprintf(k, sizeof(k), "%uk", nmany / 1000);
		else
			snprintf(k, sizeof(k), "%u", nmany);
#if MXP_SRTP_API_VERSION >= 2
		snprintf(r[nr].name, sizeof(r[nr].name), "mxp/%s-streams-1-key", k);
		r[nr++].kind = 10;
#endif
		snprintf(r[nr].name, sizeof(r[nr].name), "mxp/%s-contexts", k);
		r[nr++].kind = 11;
#if MXP_SRTP_API_VERSION >= 2
		snprintf(r[nr].name, sizeof(r[nr].name), "mxp/%s-streams-%s-keys", k, k);
		r[nr++].kind = 12;
#endif
	}
	for (char *d = strtok_r(list, " ", &save); d; d = strtok_r(NULL, " ", &save)) {
		snprintf(r[nr].name, sizeof(r[nr].name), "mxp/%s", d);
		snprintf(r[nr].drv, sizeof(r[nr].drv), "%s", d);
		r[nr++].kind = 0;
#if MXP_SRTP_API_VERSION >= 2
		snprintf(r[nr].name, sizeof(r[nr].name), "mxp-stream/%s", d);
		snprintf(r[nr].drv, sizeof(r[nr].drv), "%s", d);
		r[nr++].kind = 6;
#endif
		if (mpool != NULL) {
			snprintf(r[nr].name, sizeof(r[nr].name), "mxp-mbuf/%s", d);
			snprintf(r[nr].drv, sizeof(r[nr].drv), "%s", d);
			r[nr++].kind = 5;
		}
	}
#if MXP_HAVE_LIBSRTP2
	if (!many) {
		snprintf(r[nr].name, sizeof(r[nr].name), "libsrtp2");
		r[nr++].kind = 1;
	}
#endif
#if MXP_HAVE_IPSEC_MB
	if (many) {
		/* no ceiling row: the raw loop has one key and no per-stream state */
	} else if (si->aead) {
		snprintf(r[nr].name, sizeof(r[nr].name), "ceiling/gcm-direct");
		r[nr++].kind = 4;
	} else {
		snprintf(r[nr].name, sizeof(r[nr].name), "ceiling/burst-api");
		r[nr++].kind = 2;
		snprintf(r[nr].name, sizeof(r[nr].name), "ceiling/job-api");
		r[nr++].kind = 3;
		snprintf(r[nr].name, sizeof(r[nr].name), "ceiling/chain-burst-api");
		r[nr++].kind = 7;
	}
#endif
	double full = budget;
	int attempt;
	for (attempt = 0; attempt < 40; attempt++) {
	double before = probe();
	make_plain(size); /* the probe used the buffers */
	make_wire(si->suite, size);
	budget = full / ROUNDS;
	for (int i = 0; i < nr; i++)
		r[i].best = 0;
	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < nr; i++) {
			double v = 0;
			if (!want(r[i].name, un))
				continue;
			if (r[i].kind >= 10)
				v = bench_many(si->suite, size, un, r[i].kind - 10);
			else if (r[i].kind == 0 || r[i].kind == 6)
				v = bench_mxp(si->suite, size, un, r[i].drv, r[i].kind == 6);
			else if (r[i].kind == 5)
				v = bench_mxp_mbuf(si->suite, size, un, r[i].drv);
#if MXP_HAVE_IPSEC_MB
			else if (r[i].kind == 7)
				v = bench_ceiling(si->key_len, size, un, 3);
#endif
#if MXP_HAVE_LIBSRTP2
			else if (r[i].kind == 1)
				v = bench_libsrtp(si->suite, size, un);
#endif
#if MXP_HAVE_IPSEC_MB
			else
				v = bench_ceiling(si->key_len, size, un, r[i].kind - 2);
#endif
			if (v > r[i].best)
				r[i].best = v;
		}
	}
	budget = full;
	double after = probe();
	/* accept the group if the probe ran at full speed before and after it */
	if (before > 0.95 * probe_best && after > 0.95 * probe_best)
		break;
	fprintf(stderr, "# %s %zu %s: disturbed (probe %.2f/%.2f of %.2f Mpps), again\n",
		si->name, size, un ? "unprotect" : "protect", before, after, probe_best);
	sleep(4);
	}
	if (attempt == 40) {
		printf("# WARNING: %s %zu %s measured while the core was disturbed\n", si->name,
		       size, un ? "unprotect" : "protect");
		disturbed++;
	}
	for (int i = 0; i < nr; i++)
		if (want(r[i].name, un))
			add(si->name, size, un, r[i].name, r[i].best);
}

/*
 * -b: the cost of a packet by the number of packets per call, AES_CM_128_HMAC_SHA1_80, 172
 * bytes, one stream. A worker rarely has 32 packets of one direction at hand: a mix tick
 * protects the few streams of one conference, a lightly loaded port returns a handful of
 * packets per poll. intel-ipsec-mb's AVX-512 multi-buffer HMAC-SHA1 runs 16 lanes whether
 * or not they are full, so small bursts cost it much more per packet; the ipsec_mb driver
 * hands bursts of fewer than 16 to an SSE manager that hashes with the SHA extensions.
 * Columns: our engine with each driver, and intel-ipsec-mb's AVX-512 manager alone (cipher
 * burst then hash burst, no SRTP work: what the driver did for every burst size before).
 * Each figure is the best of ROUNDS interleaved rounds, in ns a packet.
 */
static void
burst_sweep(void)
{
	static const unsigned int sizes[] = { 1, 2, 4, 8, 16, 32 };
	enum mxp_srtp_suite s = MXP_SRTP_AES_CM_128_HMAC_SHA1_80;
	double keep = budget;
	struct {
		unsigned int burst;
		bool un;
		double ns[4]; /* ipsec_mb, openssl, avx512 manager alone, libsrtp2 */
	} res[12];
	unsigned int nres = 0;

	budget = keep / ROUNDS;
	make_plain(172);
	make_wire(s, 172);
	printf("%-6s %-9s %14s %14s %20s %14s   (ns a packet)\n", "burst", "op", "mxp/ipsec_mb",
	       "mxp/openssl", "imb-avx512-alone", "libsrtp2");
	for (unsigned int z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		for (int un = 0; un <= 1; un++) {
			double best[4] = { 0, 0, 0, 0 };
			burst = sizes[z];
			for (int round = 0; round < ROUNDS; round++) {
				double v[4] = { bench_mxp(s, 172, un, "ipsec_mb", true),
						bench_mxp(s, 172, un, "openssl", true), 0, 0 };
#if MXP_HAVE_IPSEC_MB
				v[2] = bench_ceiling(16, 172, un, 0);
#endif
#if MXP_HAVE_LIBSRTP2
				v[3] = bench_libsrtp(s, 172, un);
#endif
				for (int k = 0; k < 4; k++)
					if (v[k] > best[k])
						best[k] = v[k];
			}
			res[nres].burst = burst;
			res[nres].un = un;
			for (int k = 0; k < 4; k++)
				res[nres].ns[k] = best[k] > 0 ? 1e3 / best[k] : 0;
			printf("%-6u %-9s %14.1f %14.1f %20.1f %14.1f\n", burst,
			       un ? "unprotect" : "protect", res[nres].ns[0], res[nres].ns[1],
			       res[nres].ns[2], res[nres].ns[3]);
			fflush(stdout);
			nres++;
		}
	}
	burst = BURST;
	budget = keep;
	printf("{\"bench\":\"srtp_burst\",\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"bytes\":172,"
	       "\"unit\":\"ns_per_packet\",\"rows\":[");
	for (unsigned int i = 0; i < nres; i++)
		printf("%s{\"burst\":%u,\"op\":\"%s\",\"ipsec_mb\":%.1f,\"openssl\":%.1f,"
		       "\"imb_avx512_alone\":%.1f,\"libsrtp2\":%.1f}",
		       i ? "," : "", res[i].burst, res[i].un ? "unprotect" : "protect", res[i].ns[0],
		       res[i].ns[1], res[i].ns[2], res[i].ns[3]);
	printf("]}\n");
}

int
main(int argc, char **argv)
{
	const char *only = NULL;
	bool quick = false;
	int opt;

	bool mbuf = false, sweep = false;

	while ((opt = getopt(argc, argv, "t:s:qi:o:mn:bh")) != -1) {
		switch (opt) {
		case 'b':
			sweep = true; /* only the cost by burst size */
			break;
		case 'n':
			nmany = (unsigned int)atoi(optarg); /* streams of the many-streams rows */
			break;
		case 'm':
			mbuf = true; /* also measure the mbuf burst API (EAL, hugepages) */
			break;
		case 'i':
			only_impl = optarg;
			break;
		case 'o':
			only_op = optarg;
			break;
		case 't':
			budget = atof(optarg);
			break;
		case 's':
			only = optarg;
			break;
		case 'q':
			quick = true; /* only AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM at 172 */
			break;
		default:
			fprintf(stderr,
				"usage: %s [-t seconds-per-measurement] [-s suite] [-q] [-i impl-prefix] "
				"[-o protect|unprotect] [-m] [-n streams (0: no many-streams rows)] [-b]\n"
				"Pin it: taskset -c 1 %s\n", argv[0], argv[0]);
			return opt == 'h' ? 0 : 2;
		}
	}
	plain = huge_alloc(sizeof(*plain) * POOL);
	wire = huge_alloc(sizeof(*wire) * POOL);
	work = huge_alloc(sizeof(*work) * POOL);
	tsc_calibrate();
	if (mbuf)
		mbuf_init(argv[0]);
	if (mxp_srtp_thread_init() != 0)
		return 1;
#if MXP_HAVE_LIBSRTP2
	srtp_init();
#endif
#if MXP_HAVE_IPSEC_MB
	mgr = alloc_mb_mgr(0);
	init_mb_mgr_auto(mgr, NULL);
#endif
	cpu_set_t set;
	int ncpu = 0, cpu = sched_getcpu();
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		ncpu = CPU_COUNT(&set);
	printf("# bench_srtp: cpu %d, affinity %d cpu(s)%s, burst %d, pool %d, %.2f s per row\n",
	       cpu, ncpu, ncpu == 1 ? "" : " (NOT PINNED: use taskset -c N)", BURST, POOL, budget);
	printf("# drivers: %s\n", mxp_srtp_drivers());
	if (sweep) {
		burst_sweep();
		return 0;
	}
	for (int i = 0; i < 5; i++)
		probe();
	printf("# probe (ceiling, AES-128-CTR+HMAC-SHA1, 172 B): %.2f Mpps; groups are redone "
	       "when a probe falls below 95 %% of it\n", probe_best);
	if (nmany > 0) {
		size_t cs = mxp_srtp_ctx_size();
#if MXP_SRTP_API_VERSION >= 2
		size_t ss = mxp_srtp_stream_size(0);
		const char *sn = only ? only : "AES_CM_128_HMAC_SHA1_80";
		size_t ks = mxp_srtp_key_size(mxp_srtp_suite_by_name(sn), NULL);
		printf("# many-streams rows (%s): %u streams x %zu B + 1 key session x %zu B = "
		       "%.2f MB; %u key sessions: +%.2f MB; %u contexts x %zu B = %.1f MB\n", sn,
		       nmany, ss, ks, (double)(nmany * ss + ks) / 1e6, nmany,
		       (double)nmany * (double)ks / 1e6, nmany, cs, (double)nmany * (double)cs / 1e6);
#else
		printf("# many-streams rows: %u contexts x %zu B = %.1f MB\n", nmany, cs,
		       (double)nmany * (double)cs / 1e6);
#endif
	}
	printf("%-24s %5s %-9s %-26s %8s\n", "suite", "bytes", "op", "implementation", "Mpps");

	static const size_t sizes[] = { 172, 1200 };
	char drivers[128];
	snprintf(drivers, sizeof(drivers), "%s", mxp_srtp_drivers());
	for (int s = 1; s < MXP_SRTP_SUITE_COUNT; s++) {
		const struct mxp_srtp_suite_info *si = mxp_srtp_suite_info((enum mxp_srtp_suite)s);
		if (only != NULL && strcmp(only, si->name) != 0)
			continue;
		if (quick && s != MXP_SRTP_AES_CM_128_HMAC_SHA1_80 && s != MXP_SRTP_AEAD_AES_128_GCM)
			continue;
		for (size_t z = 0; z < 2; z++) {
			size_t size = sizes[z];
			if (quick && size != 172)
				continue;
			for (int un = 1; un >= 0; un--)
				run_group(si, size, un, drivers, false);
		}
		if (nmany > 0)
			for (int un = 1; un >= 0; un--)
				run_group(si, 172, un, drivers, true);
	}

	/* ratios of interest: ours (ipsec_mb) vs the best ceiling and vs libsrtp2 */
	printf("{\"bench\":\"srtp\",\"cpu\":%d,\"pinned\":%s,\"burst\":%d,\"disturbed_groups\":%u,"
	       "\"rows\":[", cpu, ncpu == 1 ? "true" : "false", BURST, disturbed);
	for (unsigned int i = 0; i < nrows; i++)
		printf("%s{\"suite\":\"%s\",\"bytes\":%u,\"op\":\"%s\",\"impl\":\"%s\",\"mpps\":%.3f}",
		       i ? "," : "", rows[i].suite, rows[i].size, rows[i].op, rows[i].impl,
		       rows[i].mpps);
	printf("],\"ratios\":[");
	bool first = true;
	for (unsigned int i = 0; i < nrows; i++) {
		if (strcmp(rows[i].impl, "mxp/ipsec_mb") != 0)
			continue;
		double lib = find(rows[i].suite, rows[i].size, rows[i].op, "libsrtp2");
		double c0 = find(rows[i].suite, rows[i].size, rows[i].op, "ceiling/burst-api");
		double c1 = find(rows[i].suite, rows[i].size, rows[i].op, "ceiling/job-api");
		double c2 = find(rows[i].suite, rows[i].size, rows[i].op, "ceiling/gcm-direct");
		double ceil = c0 > c1 ? c0 : c1;
		if (c2 > ceil)
			ceil = c2;
		printf("%s{\"suite\":\"%s\",\"bytes\":%u,\"op\":\"%s\",\"mpps\":%.3f,"
		       "\"vs_ceiling\":%.3f,\"vs_libsrtp2\":%.2f}",
		       first ? "" : ",", rows[i].suite, rows[i].size, rows[i].op, rows[i].mpps,
		       ceil > 0 ? rows[i].mpps / ceil : 0, lib > 0 ? rows[i].mpps / lib : 0);
		first = false;
	}
	printf("]}\n");
	if (mpool != NULL) {
		rte_eal_cleanup();
		rmdir(eal_dir); /* the EAL leaves its (empty) runtime directory */
	}
	return 0;
}
