/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK port mixgen plays its participants on: one receive and one transmit queue.
 * The participants share one IPv4 address; mixgen answers ARP for it and resolves the
 * daemon's MAC (or the gateway's) with ARP before anything is sent.
 *
 * Frames the analyser must answer (ARP replies) go to the generator over a ring, so that
 * only one lcore ever transmits on the queue.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "mixgen.h"

#define RX_DESC 2048
#define TX_DESC 2048

struct rte_ring *mg_arp_ring;

int
mg_port_open(struct mg *m, char *err, size_t errlen)
{
	struct mg_port *p = &m->port;
	uint16_t pid = RTE_MAX_ETHPORTS;

	if (m->o.port) {
		char name[RTE_ETH_NAME_MAX_LEN];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(m->o.port, ","), m->o.port);
		if (rte_eth_dev_get_port_by_name(name, &pid) != 0) {
			int r = rte_dev_probe(m->o.port);
			if (r != 0 || rte_eth_dev_get_port_by_name(name, &pid) != 0)
				return MG_ERR(err, errlen,
					      "--port %s: cannot probe the device: %s (a PCI device "
					      "must be bound to vfio-pci; a memif needs hugepages)",
					      m->o.port, strerror(r < 0 ? -r : ENODEV));
		}
	} else {
		uint16_t id;
		RTE_ETH_FOREACH_DEV(id) {
			pid = id;
			break;
		}
		if (pid == RTE_MAX_ETHPORTS)
			return MG_ERR(err, errlen,
				      "no DPDK port: give one with --port DEVARGS or an EAL --vdev "
				      "(e.g. --vdev=net_memif0,role=client,socket=/run/mixplane/memif.sock)");
	}
	p->port_id = pid;
	rte_eth_dev_get_name_by_port(pid, p->name);

	struct rte_eth_dev_info info;
	int r = rte_eth_dev_info_get(pid, &info);
	if (r != 0)
		return MG_ERR(err, errlen, "%s: cannot read device info: %s", p->name, strerror(-r));
	int socket = rte_eth_dev_socket_id(pid);
	if (socket < 0)
		socket = (int)rte_socket_id();
	p->pool = rte_pktmbuf_pool_create("mg_pool", m->o.mbufs, 256, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (p->pool == NULL)
		return MG_ERR(err, errlen, "cannot create a pool of %u mbufs: %s (hugepages?)",
			      m->o.mbufs, rte_strerror(rte_errno));

	struct rte_eth_conf conf;
	memset(&conf, 0, sizeof(conf));
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_CHECKSUM)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_CHECKSUM & info.rx_offload_capa;
	r = rte_eth_dev_configure(pid, 1, 1, &conf);
	if (r != 0)
		return MG_ERR(err, errlen, "%s: configure failed: %s", p->name, strerror(-r));
	uint16_t nrx = RX_DESC, ntx = TX_DESC;
	rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nrx, &ntx);
	r = rte_eth_rx_queue_setup(pid, 0, nrx, socket, NULL, p->pool);
	if (r == 0)
		r = rte_eth_tx_queue_setup(pid, 0, ntx, socket, NULL);
	if (r != 0)
		return MG_ERR(err, errlen, "%s: queue setup failed: %s", p->name, strerror(-r));
	r = rte_eth_dev_start(pid);
	if (r != 0)
		return MG_ERR(err, errlen, "%s: start failed: %s%s", p->name, strerror(-r),
			      strstr(info.driver_name, "memif") ?
				      " (a memif client needs the daemon's memif server listening "
				      "on its socket: is the daemon running with that port?)" : "");
	rte_eth_promiscuous_enable(pid);
	rte_eth_macaddr_get(pid, &p->mac);

	mg_arp_ring = rte_ring_create("mg_arp", 256, socket, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (mg_arp_ring == NULL)
		return MG_ERR(err, errlen, "cannot create the ARP ring");

	/* Wait for the link: a memif client is up once the server accepted it. */
	uint64_t hz = rte_get_tsc_hz();
	uint64_t end = rte_rdtsc() + hz * m->o.link_timeout_ms / 1000;
	struct rte_eth_link link;
	for (;;) {
		memset(&link, 0, sizeof(link));
		rte_eth_link_get_nowait(pid, &link);
		if (link.link_status == RTE_ETH_LINK_UP)
			break;
		if (rte_rdtsc() > end)
			return MG_ERR(err, errlen,
				      "%s: the link is still down after %.1f s (is the daemon "
				      "running with this port, e.g. its memif server on the same "
				      "socket?)",
				      p->name, m->o.link_timeout_ms / 1000.0);
		usleep(20000);
	}
	return 0;
}

void
mg_port_close(struct mg *m)
{
	struct mg_port *p = &m->port;
	if (p->pool == NULL)
		return;
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
	rte_ring_free(mg_arp_ring);
	mg_arp_ring = NULL;
}

/* Send a frame now, from the lcore that owns the queue. */
static void
tx_now(struct mg *m, const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *mb = rte_pktmbuf_alloc(m->port.pool);
	if (mb == NULL)
		return;
	uint8_t *d = (uint8_t *)rte_pktmbuf_append(mb, (uint16_t)len);
	memcpy(d, frame, len);
	if (rte_eth_tx_burst(m->port.port_id, 0, &mb, 1) != 1)
		rte_pktmbuf_free(mb);
}

int
mg_port_resolve(struct mg *m, const struct mxp_ip *dst, uint32_t timeout_ms, char *err,
		size_t errlen)
{
	struct mxp_ip target = *dst;
	if (m->o.has_peer_mac) {
		m->daemon_mac = m->o.peer_mac;
		m->daemon_mac_known = true;
		return 0;
	}
	if (m->o.gateway.af == AF_INET && !mxp_ip_prefix_match(dst, &m->o.ip, m->o.ip_plen))
		target = m->o.gateway;
	else if (!mxp_ip_prefix_match(dst, &m->o.ip, m->o.ip_plen)) {
		char a[64], b[64];
		return MG_ERR(err, errlen,
			      "the daemon's address %s is not in the participants' subnet %s/%u: "
			      "give --gateway or another --ip",
			      mxp_ip_format(dst, a, sizeof(a)), mxp_ip_format(&m->o.ip, b, sizeof(b)),
			      m->o.ip_plen);
	}
	uint8_t frame[MXP_PKT_ARP_LEN];
	uint32_t len = mxp_pkt_build_arp_request(frame, &m->port.mac, m->o.ip.v4, target.v4);
	uint64_t hz = rte_get_tsc_hz();
	uint64_t end = rte_rdtsc() + hz * timeout_ms / 1000, next = 0;
	m->daemon_mac_known = false;
	m->resolve_ip = target.v4;
	while (!m->daemon_mac_known) {
		uint64_t now = rte_rdtsc();
		if (now > end) {
			char a[64];
			return MG_ERR(err, errlen,
				      "no ARP reply from %s within %.1f s (is the daemon using this "
				      "port and address?)",
				      mxp_ip_format(&target, a, sizeof(a)), timeout_ms / 1000.0);
		}
		if (now >= next) {
			tx_now(m, frame, len);
			next = now + hz / 5;
		}
		struct rte_mbuf *mb[MG_BURST];
		uint16_t n = rte_eth_rx_burst(m->port.port_id, 0, mb, MG_BURST);
		for (uint16_t i = 0; i < n; i++) {
			struct mxp_pkt_meta meta;
			if (mxp_pkt_parse(rte_pktmbuf_mtod(mb[i], uint8_t *),
					  rte_pktmbuf_data_len(mb[i]), 0, &meta) == MXP_PKT_ARP &&
			    mg_port_arp_input(m, mb[i], &meta))
				continue;
			rte_pktmbuf_free(mb[i]);
		}
		/* ARP replies the analyser queued (none yet: nothing else runs). */
		struct rte_mbuf *q;
		while (rte_ring_dequeue(mg_arp_ring, (void **)&q) == 0)
			if (rte_eth_tx_burst(m->port.port_id, 0, &q, 1) != 1)
				rte_pktmbuf_free(q);
		if (n == 0)
			usleep(1000);
	}
	return 0;
}

bool
mg_port_arp_input(struct mg *m, struct rte_mbuf *mb, const struct mxp_pkt_meta *meta)
{
	uint8_t *f = rte_pktmbuf_mtod(mb, uint8_t *);
	const uint8_t *a = f + 14;
	uint16_t op = (uint16_t)(a[6] << 8 | a[7]);
	uint32_t sip, tip;
	memcpy(&sip, a + 14, 4);
	memcpy(&tip, a + 24, 4);

	/* Learn the daemon's (or gateway's) MAC from any ARP it sends. */
	if (sip == m->resolve_ip && m->resolve_ip != 0) {
		memcpy(&m->daemon_mac, a + 8, 6);
		__atomic_store_n(&m->daemon_mac_known, true, __ATOMIC_RELEASE);
	}
	if (op != 1 || tip != m->o.ip.v4) {
		rte_pktmbuf_free(mb);
		return true;
	}
	uint32_t len = mxp_pkt_arp_reply(f, &m->port.mac);
	if (rte_pktmbuf_data_len(mb) > len)
		rte_pktmbuf_trim(mb, (uint16_t)(rte_pktmbuf_data_len(mb) - len));
	m->arp_replies_sent++;
	if (rte_ring_enqueue(mg_arp_ring, mb) != 0)
		rte_pktmbuf_free(mb);
	(void)meta;
	return true;
}
