/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core (main lcore). It sleeps in epoll until something happens:
 *  - a worker rang the doorbell: frames in the control ring (ARP, neighbour
 *    discovery, ESP/UDP 4500/Mp control traffic);
 *  - the CLI socket has a client;
 *  - the 100 ms timer (neighbour retransmissions and aging);
 *  - SIGINT/SIGTERM (signalfd): leave the loop for a graceful shutdown.
 * It never busy-polls: an idle daemon costs nothing on the main lcore.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>

#include "mixplane.h"
#include "mp_plane.h"
#include "mxp_time.h"

#define MAX_CLIENTS 32
#define CLIENT_TIMEOUT_MS 5000

struct client {
	int fd;
	uint32_t uid;
	uint64_t deadline_ms;
	struct mxp_buf in;
	struct mxp_buf out;
	size_t out_off;
};

static struct client clients[MAX_CLIENTS];
static int epfd = -1, listen_fd = -1, sig_fd = -1, timer_fd = -1;

uint64_t
mxp_now_ms(void)
{
	return mxp_clock_ms();
}

void
mxp_control_tx(struct mxp_port *p, struct rte_mbuf *m)
{
	/* Worker 0 sends for the control core: ports keep one tx queue per worker. */
	m->port = p->port_id;
	if (rte_ring_enqueue(mxp.workers[0]->tx_ring, m) != 0) {
		mxp.cst.drops[MXP_DROP_TX_FULL]++;
		rte_pktmbuf_free(m);
	}
}

/* ---- frames from the workers --------------------------------------------------------- */

static void
handle_arp(struct mxp_port *p, struct rte_mbuf *m, const struct mxp_pkt_meta *meta)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *a = f + meta->l2_len;
	uint16_t op = mxp_be_rd16(a + 6);
	struct rte_ether_addr sha;
	memcpy(&sha, a + 8, 6);
	bool for_us = mxp_port_is_local(p, &meta->dst);

	/* RFC 826: update an existing entry from any ARP; create one only when it is for us. */
	if (meta->src.v4 != 0 && !rte_is_multicast_ether_addr(&sha))
		mxp_neigh_learn(p, &meta->src, &sha, for_us);
	if (op == 1 && for_us) {
		uint32_t len = mxp_pkt_arp_reply(f, &p->mac);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		mxp_control_tx(p, m);
		return;
	}
	rte_pktmbuf_free(m);
}

static void
handle_nd(struct mxp_port *p, struct rte_mbuf *m, const struct mxp_pkt_meta *meta)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct mxp_nd_info nd;
	static const uint8_t unspec[16];

	if (mxp_pkt_nd_parse(f, meta, &nd) != MXP_DROP_NONE) {
		mxp.cst.drops[MXP_DROP_ND_MALFORMED]++;
		rte_pktmbuf_free(m);
		return;
	}
	bool src_unspec = memcmp(meta->src.v6, unspec, 16) == 0;
	if (nd.type == MXP_ICMP6_NS) {
		if (!mxp_port_is_local(p, &nd.target)) {
			rte_pktmbuf_free(m);
			return;
		}
		if (!src_unspec && nd.has_lladdr)
			mxp_neigh_learn(p, &meta->src, &nd.lladdr, true);
		/* Reply to the soliciting host, or to all nodes for a DAD probe. */
		struct rte_ether_addr dst_mac;
		memcpy(&dst_mac, nd.has_lladdr ? &nd.lladdr : (struct rte_ether_addr *)(f + 6), 6);
		uint32_t len = mxp_pkt_build_na(f, &p->mac, &nd.target, &meta->src, &dst_mac,
						!src_unspec);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		mxp_control_tx(p, m);
		return;
	}
	/* NA: update the entry we may be resolving (RFC 4861 7.2.5), do not create. */
	if (nd.has_lladdr)
		mxp_neigh_learn(p, &nd.target, &nd.lladdr, false);
	rte_pktmbuf_free(m);
}

static void
handle_frame(struct rte_mbuf *m)
{
	uint16_t idx = mxp.port_of_id[m->port];
	struct mxp_pkt_meta meta;

	mxp.cst.rx++;
	if (idx >= mxp.nb_ports) {
		rte_pktmbuf_free(m);
		return;
	}
	struct mxp_port *p = &mxp.ports[idx];
	/* The worker validated it; parse again for the fields (cheap, control path). */
	enum mxp_pkt_kind k = mxp_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *),
					    rte_pktmbuf_data_len(m),
					    MXP_PKT_L3_CKSUM_GOOD | MXP_PKT_L4_CKSUM_GOOD, &meta);
	switch (k) {
	case MXP_PKT_ARP:
		handle_arp(p, m, &meta);
		return;
	case MXP_PKT_ICMP6:
		handle_nd(p, m, &meta);
		return;
	default:
		/* ESP, UDP 4500, Mp on UDP 2944 and IP fragments: the Mp control plane. */
		mxp_mp_plane_input(p, m);
		return;
	}
}

/* A frame a worker could not address: resolve its next hop, then send it. */
static void
handle_punt(struct rte_mbuf *m)
{
	uint16_t idx = mxp.port_of_id[m->port];
	uint8_t f[128];
	const uint8_t *h = rte_pktmbuf_read(m, 0, RTE_MIN(rte_pktmbuf_pkt_len(m), sizeof(f)), f);
	struct mxp_ip dst = { 0 };
	if (idx >= mxp.nb_ports || h == NULL || rte_pktmbuf_pkt_len(m) < 34) {
		rte_pktmbuf_free(m);
		return;
	}
	if (h[12] == 0x08 && h[13] == 0x00) {
		dst.af = AF_INET;
		memcpy(&dst.v4, h + 14 + 16, 4);
	} else if (rte_pktmbuf_pkt_len(m) >= 54) {
		dst.af = AF_INET6;
		memcpy(dst.v6, h + 14 + 24, 16);
	} else {
		rte_pktmbuf_free(m);
		return;
	}
	mxp_neigh_send(&mxp.ports[idx], &dst, m);
}

static void
drain_ring(void)
{
	struct rte_mbuf *m[MXP_BURST];
	unsigned int n;
	do {
		n = rte_ring_dequeue_burst(mxp.ctl_ring, (void **)m, MXP_BURST, NULL);
		for (unsigned int i = 0; i < n; i++)
			handle_frame(m[i]);
	} while (n == MXP_BURST);
	do {
		n = rte_ring_dequeue_burst(mxp.punt_ring, (void **)m, MXP_BURST, NULL);
		for (unsigned int i = 0; i < n; i++)
			handle_punt(m[i]);
	} while (n == MXP_BURST);
}

/* ---- the CLI socket ------------------------------------------------------------------ */

static int
listen_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			MXP_LOG(ERR, "cannot create %s: %s", dir, strerror(errno));
			return -errno;
		}
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A live daemon answers on the socket: refuse to steal it. A stale file goes. */
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		close(fd);
		MXP_LOG(ERR, "another mixplane is already listening on %s", path);
		return -EADDRINUSE;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	/* Owner-only from the moment it exists. */
	mode_t old = umask(0177);
	int r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r != 0 || chmod(path, 0600) != 0 || listen(fd, 16) != 0) {
		r = -errno;
		MXP_LOG(ERR, "cannot listen on %s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	return fd;
}

static void
client_close(struct client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	/* Requests may carry key material: wipe before freeing. */
	if (c->in.p)
		explicit_bzero(c->in.p, c->in.cap);
	mxp_buf_free(&c->in);
	mxp_buf_free(&c->out);
}

static void
client_accept(void)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0 ||
		    (cr.uid != 0 && cr.uid != geteuid())) {
			mxp.cst.cli_denied++;
			close(fd);
			continue;
		}
		struct client *c = NULL;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i].fd < 0) {
				c = &clients[i];
				break;
			}
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->uid = cr.uid;
		c->deadline_ms = mxp_now_ms() + CLIENT_TIMEOUT_MS;
		mxp_buf_init(&c->in);
		mxp_buf_init(&c->out);
		c->out_off = 0;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

static void
client_write(struct client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t w = write(c->fd, c->out.p + c->out_off, c->out.len - c->out_off);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_close(c);
			return;
		}
		c->out_off += (size_t)w;
	}
	client_close(c);
}

static void
client_read(struct client *c)
{
	for (;;) {
		char tmp[4096];
		ssize_t r = read(c->fd, tmp, sizeof(tmp));
		if (r == 0) {
			client_close(c);
			return;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			client_close(c);
			return;
		}
		if (mxp_buf_add(&c->in, tmp, (size_t)r) != 0) {
			client_close(c);
			return;
		}
		explicit_bzero(tmp, sizeof(tmp));
	}
	uint32_t plen;
	int ready = mxp_ctl_frame_ready((const uint8_t *)c->in.p, c->in.len, &plen);
	if (ready < 0) {
		client_close(c);
		return;
	}
	if (ready == 0)
		return;

	struct mxp_buf body;
	mxp_buf_init(&body);
	mxp.cst.cli_requests++;
	uint8_t status = (uint8_t)mxp_cli_handle((const uint8_t *)c->in.p + 4, plen, c->uid, &body);
	if (status != MXP_CTL_OK)
		mxp.cst.cli_errors++;
	if (body.oom) {
		mxp_buf_reset(&body);
		mxp_buf_printf(&body, "out of memory building the reply\n");
		status = MXP_CTL_ERR;
	}
	explicit_bzero(c->in.p, c->in.len);
	mxp_buf_reset(&c->out);
	uint32_t n = (uint32_t)(body.len + 1);
	uint8_t hdr[5];
	mxp_be_wr32(hdr, n);
	hdr[4] = status;
	mxp_buf_add(&c->out, hdr, sizeof(hdr));
	mxp_buf_add(&c->out, body.p ? body.p : "", body.len);
	mxp_buf_free(&body);
	if (c->out.oom) {
		client_close(c);
		return;
	}
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	client_write(c);
}

static void
clients_expire(uint64_t now)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i].fd >= 0 && now > clients[i].deadline_ms)
			client_close(&clients[i]);
}

/* ---- the loop ------------------------------------------------------------------------ */

static int
setup(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		clients[i].fd = -1;
	/* The control core waits microseconds for a worker to run its command (lib/conf
	 * conf_post); the default 50 us timer slack would stretch every one of those waits. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;

	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	sig_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sig_fd < 0 || timer_fd < 0)
		return -errno;
	struct itimerspec its = { .it_interval = { 0, 100000000 }, .it_value = { 0, 100000000 } };
	timerfd_settime(timer_fd, 0, &its, NULL);

	listen_fd = listen_socket(mxp.cfg.socket);
	if (listen_fd < 0)
		return listen_fd;

	static int tags[4];
	int fds[4] = { sig_fd, timer_fd, listen_fd, mxp.ctl_doorbell };
	for (int i = 0; i < 4; i++) {
		tags[i] = i;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tags[i] };
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fds[i], &ev) != 0)
			return -errno;
	}
	return 0;
}

static void
teardown(void)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		client_close(&clients[i]);
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(mxp.cfg.socket);
	}
	if (sig_fd >= 0)
		close(sig_fd);
	if (timer_fd >= 0)
		close(timer_fd);
	if (epfd >= 0)
		close(epfd);
}

int
mxp_control_run(void)
{
	int r = setup();
	if (r < 0) {
		teardown();
		return r;
	}
	MXP_LOG(NOTICE, "ready: %u port(s), %u worker(s), control socket %s", mxp.nb_ports,
		mxp.nb_workers, mxp.cfg.socket);
	bool quit = false;
	while (!quit) {
		/* Announce that we sleep, then look once more so no doorbell is missed. */
		__atomic_store_n(&mxp.ctl_sleeping, 1, __ATOMIC_SEQ_CST);
		int timeout = rte_ring_count(mxp.ctl_ring) || rte_ring_count(mxp.punt_ring) ? 0 : -1;
		struct epoll_event ev[16];
		int n = epoll_wait(epfd, ev, 16, timeout);
		__atomic_store_n(&mxp.ctl_sleeping, 0, __ATOMIC_SEQ_CST);
		if (n < 0 && errno != EINTR) {
			MXP_LOG(ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			void *tag = ev[i].data.ptr;
			if ((char *)tag >= (char *)clients &&
			    (char *)tag < (char *)(clients + MAX_CLIENTS)) {
				struct client *c = tag;
				if (ev[i].events & EPOLLOUT)
					client_write(c);
				else
					client_read(c);
				continue;
			}
			switch (*(int *)tag) {
			case 0: {
				struct signalfd_siginfo si;
				if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
					MXP_LOG(NOTICE, "signal %u: shutting down", si.ssi_signo);
					quit = true;
				}
				break;
			}
			case 1: {
				uint64_t ticks;
				if (read(timer_fd, &ticks, sizeof(ticks)) > 0) {
					uint64_t now = mxp_now_ms();
					for (uint16_t k = 0; k < mxp.nb_ports; k++)
						mxp_neigh_timer(&mxp.ports[k], now);
					mxp_mp_plane_timer(now);
					clients_expire(now);
				}
				break;
			}
			case 2:
				client_accept();
				break;
			case 3: {
				uint64_t v;
				ssize_t rr = read(mxp.ctl_doorbell, &v, sizeof(v));
				(void)rr;
				break;
			}
			}
		}
		drain_ring();
	}
	teardown();
	return 0;
}
