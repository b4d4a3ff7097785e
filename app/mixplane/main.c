/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mixplane: EAL arguments, then "--" and mixplane's own:
 *     mixplane [EAL options] -- -f FILE
 * The main lcore becomes the control core; every worker lcore polls the ports.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pdump.h>

#include "cli.h"
#include "control.h"
#include "metrics.h"
#include "mixplane.h"
#include "mp_plane.h"
#include "mxp_media_announce.h"
#include "neigh.h"
#include "telemetry.h"
#include "worker.h"

/* The daemon: main.c owns every part and hands each the pointers it needs. */
struct mxp_daemon {
	struct mxp_cfg cfg;
	struct rte_mempool *pool;
	struct rte_mempool *hdr_pool; /**< small mbufs: one Ethernet/IP/UDP header per receiver */
	struct mxp_ports ports;
	struct mxp_worker *workers[MXP_MAX_WORKERS];
	uint16_t nb_workers;
	struct mxp_ctl_link link;     /**< workers → control core */
	struct mxp_conf_sys *conf;    /**< conferences */
	struct mxp_mp_plane *mp;      /**< the Mp control plane */
	struct mxp_cli_ctx cli;       /**< what CLI commands may use */
	struct mxp_tel_ctx tel;       /**< what telemetry reads */
	struct mxp_metrics *metrics;  /**< the Prometheus endpoint, NULL when off */
	volatile bool stop;           /**< workers exit their loop when set */
	bool pdump;                   /**< rte_pdump_init() succeeded */
	uint64_t start_ms;
	struct mxp_ctl_stats cst;
};

static struct mxp_daemon mxp;
int mxp_logtype;

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [EAL options] -- -f FILE [-v]\n"
		"  -f FILE   configuration file (INI; see doc/configuration.md)\n"
		"  -c        check the configuration file and exit\n"
		"  --config-reference  print every configuration key (Markdown) and exit\n"
		"  -V        print the version and exit\n"
		"  -h        this help\n"
		"Example (one worker on lcore 1, a veth via af_packet):\n"
		"  %s -l 0,1 --no-pci --file-prefix mxp -- -f /etc/mixplane/mixplane.ini\n",
		prog, prog);
}

static int
setup_port(struct mxp_port *p, uint16_t idx, char *err, size_t errlen)
{
	const struct mxp_port_cfg *pc = &p->cfg;
	uint16_t pid;
	char name[RTE_ETH_NAME_MAX_LEN];

	p->idx = idx;
	/* The device name is the devargs up to the first comma. */
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(pc->device, ","), pc->device);
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
		int r = rte_dev_probe(pc->device);
		if (r != 0 || rte_eth_dev_get_port_by_name(name, &pid) != 0) {
			snprintf(err, errlen,
				 "[%s] device: cannot probe '%s': %s (is the device bound to a DPDK "
				 "driver, or the interface present?)",
				 pc->section, pc->device, strerror(r < 0 ? -r : ENODEV));
			return -ENODEV;
		}
	}
	p->port_id = pid;
	snprintf(p->name, sizeof(p->name), "%s", name);

	struct rte_eth_dev_info info;
	int r = rte_eth_dev_info_get(pid, &info);
	if (r != 0) {
		snprintf(err, errlen, "[%s] device: cannot read device info: %s", pc->section,
			 strerror(-r));
		return r;
	}
	p->memif = info.driver_name != NULL && strcmp(info.driver_name, "net_memif") == 0;
	uint16_t nq = mxp.nb_workers;
	if (info.max_rx_queues < nq || info.max_tx_queues < nq) {
		snprintf(err, errlen,
			 "[%s] device: '%s' has %u rx / %u tx queues but %u workers need one each "
			 "(for af_packet add qpairs=%u)",
			 pc->section, pc->device, info.max_rx_queues, info.max_tx_queues, nq, nq);
		return -EINVAL;
	}
	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (nq > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM & info.rx_offload_capa;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	r = rte_eth_dev_configure(pid, nq, nq, &conf);
	if (r != 0) {
		snprintf(err, errlen, "[%s] device: configure failed: %s", pc->section,
			 strerror(-r));
		return r;
	}
	uint16_t nrx = mxp.cfg.rx_desc, ntx = mxp.cfg.tx_desc;
	rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	int socket = rte_eth_dev_socket_id(pid);
	for (uint16_t q = 0; q < nq; q++) {
		r = rte_eth_rx_queue_setup(pid, q, nrx, socket, NULL, mxp.pool);
		if (r == 0)
			r = rte_eth_tx_queue_setup(pid, q, ntx, socket, NULL);
		if (r != 0) {
			snprintf(err, errlen, "[%s] device: queue %u setup failed: %s", pc->section,
				 q, strerror(-r));
			return r;
		}
	}
	if (pc->has_mac) {
		r = rte_eth_dev_default_mac_addr_set(pid, (struct rte_ether_addr *)&pc->mac);
		if (r != 0) {
			snprintf(err, errlen, "[%s] mac: the device refuses a new MAC: %s",
				 pc->section, strerror(-r));
			return r;
		}
	}
	r = rte_eth_dev_set_mtu(pid, pc->mtu);
	if (r != 0 && r != -ENOTSUP)
		MXP_LOG(WARNING, "[%s] mtu %u: %s (keeping the device's)", pc->section, pc->mtu,
			strerror(-r));
	r = rte_eth_dev_start(pid);
	if (r != 0) {
		snprintf(err, errlen, "[%s] device: start failed: %s", pc->section, strerror(-r));
		return r;
	}
	/* Neighbour discovery uses multicast; ignore devices that cannot filter it. */
	rte_eth_allmulticast_enable(pid);
	rte_eth_macaddr_get(pid, &p->mac);
	p->ll6 = mxp_ip6_link_local(&p->mac);
	p->snm_ll6 = mxp_ip6_solicited_node(&p->ll6);
	if (pc->has_ip6)
		p->snm6 = mxp_ip6_solicited_node(&pc->ip6);
	else
		p->snm6 = p->snm_ll6;
	p->neigh = mxp_neigh_table_create();
	if (p->neigh == NULL) {
		snprintf(err, errlen, "[%s]: out of memory for the neighbour table", pc->section);
		return -ENOMEM;
	}
	mxp.ports.port_of_id[pid] = idx;
	char a[64];
	MXP_LOG(INFO, "%s: %s port %u mac " RTE_ETHER_ADDR_PRT_FMT " %s%s", pc->section,
		pc->device, pid, RTE_ETHER_ADDR_BYTES(&p->mac),
		pc->has_ip4 ? mxp_ip_format(&pc->ip4, a, sizeof(a)) : "",
		pc->has_ip6 ? " +ipv6" : "");
	return 0;
}

/*
 * ROOT's mxp/load (lib/mrfp, asked on the control core by each ROOT audit): the busiest
 * worker's share of polls that found packets since the previous audit, in percent.
 */
static int
workers_load_pct(void *arg)
{
	static uint64_t polls0[MXP_MAX_WORKERS], busy0[MXP_MAX_WORKERS];
	(void)arg;
	int most = 0;
	for (uint16_t i = 0; i < mxp.nb_workers; i++) {
		const struct mxp_worker_stats *st = &mxp.workers[i]->st;
		uint64_t polls = st->polls - polls0[i], busy = st->busy_polls - busy0[i];
		polls0[i] = st->polls;
		busy0[i] = st->busy_polls;
		int pct = polls ? (int)(busy * 100 / polls) : 0;
		most = pct > most ? pct : most;
	}
	return most;
}

static int
setup_workers(char *err, size_t errlen)
{
	unsigned int lc[MXP_MAX_WORKERS], n = 0;

	if (mxp.cfg.nb_worker_lcores) {
		for (unsigned int i = 0; i < mxp.cfg.nb_worker_lcores; i++) {
			unsigned int l = mxp.cfg.worker_lcores[i];
			if (!rte_lcore_is_enabled(l) || l == rte_get_main_lcore()) {
				snprintf(err, errlen,
					 "%s: [mixplane] workers: lcore %u is %s (EAL lcores: give it "
					 "with -l)",
					 mxp.cfg.path, l,
					 l == rte_get_main_lcore() ? "the main (control) lcore"
								   : "not enabled in EAL");
				return -EINVAL;
			}
			lc[n++] = l;
		}
	} else {
		unsigned int l;
		RTE_LCORE_FOREACH_WORKER(l) {
			if (n < MXP_MAX_WORKERS)
				lc[n++] = l;
		}
	}
	if (n == 0) {
		snprintf(err, errlen,
			 "no worker lcore: give EAL at least two lcores, e.g. -l 0,1 (lcore 0 "
			 "becomes the control core)");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct mxp_worker *w = rte_zmalloc_socket("mxp_worker", sizeof(*w),
							  RTE_CACHE_LINE_SIZE,
							  (int)rte_lcore_to_socket_id(lc[i]));
		if (w == NULL)
			return -ENOMEM;
		char rn[RTE_RING_NAMESIZE];
		snprintf(rn, sizeof(rn), "mxp_wtx%u", i);
		w->tx_ring = rte_ring_create(rn, 1024, (int)rte_lcore_to_socket_id(lc[i]),
					     RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->tx_ring == NULL) {
			rte_free(w);
			return -ENOMEM;
		}
		w->lcore = lc[i];
		w->idx = (uint16_t)i;
		w->ports = &mxp.ports;
		w->link = &mxp.link;
		w->stop = &mxp.stop;
		w->mp_enabled = mxp.cfg.mp.enabled;
		mxp.workers[mxp.nb_workers++] = w;
	}
	return 0;
}

/* The conference system: one local address per configured IPv4/IPv6 address. */
static int
setup_conferences(char *err, size_t errlen)
{
	struct mxp_conf_sys_params p = {
		.nb_workers = mxp.nb_workers,
		.port_min = mxp.cfg.media_port_min,
		.port_max = mxp.cfg.media_port_max,
		.pool = mxp.pool,
		.hdr_pool = mxp.hdr_pool,
		.opus_complexity_set = mxp.cfg.opus_complexity >= 0,
		.opus_complexity = (uint8_t)(mxp.cfg.opus_complexity >= 0 ? mxp.cfg.opus_complexity : 0),
	};
	for (uint16_t i = 0; i < mxp.ports.nb_ports; i++) {
		const struct mxp_port *pt = &mxp.ports.port[i];
		if (pt->cfg.has_ip4)
			p.addrs[p.nb_addrs++] = (struct mxp_conf_addr){ .port_idx = i, .ip = pt->cfg.ip4,
									.mac = pt->mac };
		if (pt->cfg.has_ip6)
			p.addrs[p.nb_addrs++] = (struct mxp_conf_addr){ .port_idx = i, .ip = pt->cfg.ip6,
									.mac = pt->mac };
	}
	mxp.conf = mxp_conf_sys_create(&p, err, errlen);
	if (mxp.conf == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < mxp.nb_workers; i++)
		mxp.workers[i]->conf = mxp.conf;
	/* signals: the tone set and the announcement directory (lib/conf conf_signal.c) */
	int r = mxp_conf_signal_configure(mxp.conf, mxp.cfg.tone_country,
					  mxp.cfg.announcement_dir, err, errlen);
	/* recordings (lib/conf conf_record.c) */
	return r ? r : mxp_conf_record_dir(mxp.conf, mxp.cfg.recording_dir, err, errlen);
}

/*
 * DPDK's packet-capture framework: dpdk-dumpcap and dpdk-pdump attach as secondary
 * processes (--file-prefix of the daemon) and ask, over the multi-process channel, for
 * rx/tx callbacks on the ports; until one does, nothing runs per packet. Secondary
 * processes (dpdk-proc-info too) need the daemon's hugepage files and runtime directory:
 * the EAL options that take them away are named in the log.
 */
/* The EAL option that keeps secondary processes out, or NULL (before rte_eal_init(), which
 * rewrites argv). */
static const char *
eal_no_secondary(int eal_argc, char **eal_argv)
{
	static const char *const opts[] = { "--no-huge", "--in-memory", "--huge-unlink",
					    "--no-shconf" };
	for (int i = 1; i < eal_argc; i++)
		for (size_t k = 0; k < RTE_DIM(opts); k++)
			if (strncmp(eal_argv[i], opts[k], strlen(opts[k])) == 0)
				return opts[k];
	return NULL;
}

static void
setup_pdump(const char *no_secondary)
{
	if (no_secondary != NULL) {
		MXP_LOG(NOTICE,
			"packet capture: dpdk-dumpcap, dpdk-pdump and dpdk-proc-info cannot attach "
			"(EAL option %s: secondary processes need the hugepage files and the "
			"runtime directory); mixplanectl capture still works",
			no_secondary);
		return;
	}
	if (rte_pdump_init() != 0) {
		MXP_LOG(WARNING, "packet capture: rte_pdump_init failed: %s (dpdk-dumpcap will not "
			"attach)", rte_strerror(rte_errno));
		return;
	}
	mxp.pdump = true;
	const char *rd = rte_eal_get_runtime_dir();
	const char *prefix = strrchr(rd, '/') ? strrchr(rd, '/') + 1 : rd;
	MXP_LOG(INFO, "packet capture: dpdk-dumpcap --file-prefix=%s -i PORT attaches", prefix);
}

static void
cleanup(void)
{
	if (mxp.pdump)
		rte_pdump_uninit();
	mxp.pdump = false;
	mxp_metrics_destroy(mxp.metrics);
	mxp.metrics = NULL;
	/* Keys first: SAs and conferences are wiped, their mbufs returned. */
	__atomic_store_n(&mxp.tel.mp, NULL, __ATOMIC_RELEASE);
	mxp_mp_plane_destroy(mxp.mp);
	mxp.mp = NULL;
	mxp_announcement_loader_stop(); /* before the cache it converts for goes */
	mxp_conf_sys_destroy(mxp.conf);
	mxp.conf = NULL;
	for (uint16_t i = 0; i < mxp.ports.nb_ports; i++) {
		struct mxp_port *p = &mxp.ports.port[i];
		rte_eth_dev_stop(p->port_id);
		rte_eth_dev_close(p->port_id);
		mxp_neigh_table_free(p->neigh);
		p->neigh = NULL;
	}
	for (uint16_t i = 0; i < mxp.nb_workers; i++) {
		struct mxp_worker *w = mxp.workers[i];
		struct rte_mbuf *m = NULL;
		while (rte_ring_dequeue(w->tx_ring, (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(w->tx_ring);
		rte_free(w);
	}
	mxp.nb_workers = 0;
	struct rte_ring *rings[2] = { mxp.link.ctl_ring, mxp.link.punt_ring };
	for (int i = 0; i < 2; i++) {
		struct rte_mbuf *m = NULL;
		if (rings[i] == NULL)
			continue;
		while (rte_ring_dequeue(rings[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(rings[i]);
	}
	rte_mempool_free(mxp.pool);
	rte_mempool_free(mxp.hdr_pool);
	if (mxp.link.doorbell > 0)
		close(mxp.link.doorbell);
}

int
main(int argc, char **argv)
{
	char err[8192] = "";
	const char *cfg_path = NULL;
	bool check_only = false;
	const char *prog = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	/* Keys live in this process: no core dumps. */
	struct rlimit nocore = { 0, 0 };
	setrlimit(RLIMIT_CORE, &nocore);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

	/* Signals go to the control core's signalfd: block them in every thread. */
	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &ss, NULL);
	signal(SIGPIPE, SIG_IGN);
	mxp_worker_fault_guard_init();

	/* Application options come after "--"; handle -h/-V/-c without starting EAL. */
	int dd = -1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dd = i;
			break;
		}
	if (dd < 0) {
		for (int i = 1; i < argc; i++) {
			if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
				usage(stdout, prog);
				return 0;
			}
			if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
				printf("mixplane %s\n", MXP_VERSION);
				return 0;
			}
			if (!strcmp(argv[i], "--config-reference")) {
				mxp_cfg_reference(stdout);
				return 0;
			}
		}
		usage(stderr, prog);
		fprintf(stderr, "%s: missing '--' before the application options (-f FILE)\n",
			prog);
		return 2;
	}
	int aargc = argc - dd;
	char **aargv = argv + dd;
	int opt;
	optind = 1;
	static const struct option longopts[] = {
		{ "config-reference", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	while ((opt = getopt_long(aargc, aargv, "f:cVh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'R':
			mxp_cfg_reference(stdout);
			return 0;
		case 'f':
			cfg_path = optarg;
			break;
		case 'c':
			check_only = true;
			break;
		case 'V':
			printf("mixplane %s\n", MXP_VERSION);
			return 0;
		case 'h':
			usage(stdout, prog);
			return 0;
		default:
			usage(stderr, prog);
			return 2;
		}
	}
	if (optind != aargc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, aargv[optind]);
		return 2;
	}
	if (cfg_path == NULL) {
		usage(stderr, prog);
		fprintf(stderr, "%s: -f FILE is required\n", prog);
		return 2;
	}
	if (mxp_cfg_load(cfg_path, &mxp.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	if (mxp_codec_plugins_load(&mxp.cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return 2;
	}
	if (check_only) {
		printf("%s: configuration OK: %u port(s)%s\n", cfg_path, mxp.cfg.nb_ports,
		       mxp.cfg.nb_codec_plugins ? ", codec plugins loaded" : "");
		return 0;
	}

	const char *no_secondary = eal_no_secondary(dd, argv);
	int r = rte_eal_init(dd, argv);
	if (r < 0) {
		fprintf(stderr, "%s: EAL initialisation failed: %s\n", prog, rte_strerror(rte_errno));
		return 1;
	}
	mxp_logtype = rte_log_register_type_and_pick_level("mixplane", RTE_LOG_INFO);
	if (mxp_logtype < 0)
		mxp_logtype = RTE_LOGTYPE_USER1;
	rte_log_set_level(mxp_logtype, mxp.cfg.log_level);
	mxp.start_ms = mxp_now_ms();
	memset(mxp.ports.port_of_id, 0xff, sizeof(mxp.ports.port_of_id));
	mxp.ports.cst = &mxp.cst;

	int rc = 1;
	/* First: a port another process holds is a startup error before any port is set up. */
	r = mxp_metrics_create(&mxp.cfg, &mxp.cli, &mxp.metrics, err, sizeof(err));
	if (r != 0)
		goto fail;
	r = setup_workers(err, sizeof(err));
	if (r != 0) {
		if (err[0] == '\0')
			snprintf(err, sizeof(err), "cannot set up workers: %s", strerror(-r));
		goto fail;
	}
	unsigned int need = mxp.cfg.nb_ports * mxp.nb_workers * (mxp.cfg.rx_desc + mxp.cfg.tx_desc +
								   2 * MXP_BURST) +
			    mxp.cfg.ctl_ring + (mxp.nb_workers + 1) * (mxp.cfg.mbuf_cache + 1024);
	if (mxp.cfg.mbufs < need) {
		snprintf(err, sizeof(err),
			 "%s: [mixplane] mbufs: %u is too few for %u port(s) x %u worker(s) with "
			 "rx_desc %u and tx_desc %u: at least %u are needed",
			 mxp.cfg.path, mxp.cfg.mbufs, mxp.cfg.nb_ports, mxp.nb_workers,
			 mxp.cfg.rx_desc, mxp.cfg.tx_desc, need);
		goto fail;
	}
	mxp.pool = rte_pktmbuf_pool_create("mxp_mbufs", mxp.cfg.mbufs, mxp.cfg.mbuf_cache, 0,
					   (uint16_t)(RTE_PKTMBUF_HEADROOM + mxp.cfg.mbuf_size),
					   (int)rte_socket_id());
	if (mxp.pool == NULL) {
		snprintf(err, sizeof(err),
			 "cannot allocate %u mbufs: %s (reserve more hugepages, or lower "
			 "[mixplane] mbufs)",
			 mxp.cfg.mbufs, rte_strerror(rte_errno));
		goto fail;
	}
	mxp.hdr_pool = rte_pktmbuf_pool_create("mxp_hdrs", mxp.cfg.hdr_mbufs, mxp.cfg.mbuf_cache,
					       0, RTE_PKTMBUF_HEADROOM + 64, (int)rte_socket_id());
	if (mxp.hdr_pool == NULL) {
		snprintf(err, sizeof(err),
			 "cannot allocate %u header mbufs: %s (lower [media] header_mbufs)",
			 mxp.cfg.hdr_mbufs, rte_strerror(rte_errno));
		goto fail;
	}
	mxp.ports.pool = mxp.pool;
	mxp.ports.tx_ring = mxp.workers[0]->tx_ring; /* worker 0 sends for the control core */
	mxp.link.ctl_ring = rte_ring_create("mxp_ctl", mxp.cfg.ctl_ring, (int)rte_socket_id(),
					    RING_F_SC_DEQ);
	mxp.link.punt_ring = rte_ring_create("mxp_punt", mxp.cfg.ctl_ring, (int)rte_socket_id(),
					     RING_F_SC_DEQ);
	mxp.link.doorbell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mxp.link.ctl_ring == NULL || mxp.link.punt_ring == NULL || mxp.link.doorbell < 0) {
		snprintf(err, sizeof(err), "cannot create the control ring: %s",
			 rte_strerror(rte_errno));
		goto fail;
	}
	for (unsigned int i = 0; i < mxp.cfg.nb_ports; i++) {
		mxp.ports.port[i].cfg = mxp.cfg.ports[i];
		r = setup_port(&mxp.ports.port[i], (uint16_t)i, err, sizeof(err));
		mxp.ports.nb_ports = (uint16_t)(i + 1);
		if (r != 0)
			goto fail;
	}
	r = setup_conferences(err, sizeof(err));
	if (r != 0)
		goto fail;
	setup_pdump(no_secondary);
	mxp.tel = (struct mxp_tel_ctx){ .socket = mxp.cfg.socket, .start_ms = mxp.start_ms,
					.ports = &mxp.ports, .workers = mxp.workers,
					.nb_workers = mxp.nb_workers, .cst = &mxp.cst };
	if (mxp_telemetry_register(&mxp.tel) != 0)
		MXP_LOG(WARNING, "telemetry commands not registered (telemetry disabled?)");

	for (uint16_t i = 0; i < mxp.nb_workers; i++) {
		r = rte_eal_remote_launch(mxp_worker_main, mxp.workers[i], mxp.workers[i]->lcore);
		if (r != 0) {
			snprintf(err, sizeof(err), "cannot launch worker on lcore %u: %s",
				 mxp.workers[i]->lcore, strerror(-r));
			__atomic_store_n(&mxp.stop, true, __ATOMIC_RELEASE);
			rte_eal_mp_wait_lcore();
			goto fail;
		}
	}

	/*
	 * Before any control command: a command for a worker that has not attached yet runs on
	 * the control core, which must not overlap the worker's first polls. A worker that
	 * fails to attach returns at once (and says why).
	 */
	for (uint16_t i = 0; i < mxp.nb_workers; i++) {
		int a;
		while ((a = __atomic_load_n(&mxp.workers[i]->attach, __ATOMIC_ACQUIRE)) == 0)
			rte_delay_us_sleep(100);
		if (a < 0) {
			snprintf(err, sizeof(err), "worker %u did not attach to the conferences", i);
			__atomic_store_n(&mxp.stop, true, __ATOMIC_RELEASE);
			rte_eal_mp_wait_lcore();
			goto fail;
		}
	}

	/* After the workers run: ServiceChange needs a worker to transmit. */
	const struct mxp_mp_plane_params mpp = { .cfg = &mxp.cfg, .ports = &mxp.ports,
						 .conf = mxp.conf, .pool = mxp.pool, .cst = &mxp.cst,
						 .load_pct = workers_load_pct };
	mxp.mp = mxp_mp_plane_create(&mpp, err, sizeof(err));
	if (mxp.mp == NULL) {
		__atomic_store_n(&mxp.stop, true, __ATOMIC_RELEASE);
		rte_eal_mp_wait_lcore();
		goto fail;
	}
	__atomic_store_n(&mxp.tel.mp, mxp.mp, __ATOMIC_RELEASE);
	mxp.cli = (struct mxp_cli_ctx){ .cfg = &mxp.cfg, .ports = &mxp.ports, .workers = mxp.workers,
					.nb_workers = mxp.nb_workers, .conf = mxp.conf, .mp = mxp.mp,
					.pool = mxp.pool, .hdr_pool = mxp.hdr_pool, .cst = &mxp.cst,
					.start_ms = mxp.start_ms };
	const struct mxp_control_params cp = { .ports = &mxp.ports, .link = &mxp.link, .mp = mxp.mp,
					       .cli = &mxp.cli, .socket = mxp.cfg.socket,
					       .cst = &mxp.cst, .metrics = mxp.metrics };
	if (mxp.cfg.announcement_preload[0])
		mxp_cli_announcement_preload(mxp.conf, mxp.cfg.announcement_preload,
					     mxp.cfg.announcement_dir);
	r = mxp_control_run(&cp);
	__atomic_store_n(&mxp.stop, true, __ATOMIC_RELEASE);
	rte_eal_mp_wait_lcore();
	if (r != 0) {
		snprintf(err, sizeof(err), "control core failed: %s", strerror(-r));
		goto fail;
	}
	rc = 0;
	MXP_LOG(NOTICE, "stopped");
fail:
	if (rc != 0)
		fprintf(stderr, "%s: %s\n", prog, err);
	cleanup();
	rte_eal_cleanup();
	return rc;
}
