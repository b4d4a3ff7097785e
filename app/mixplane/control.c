/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control core (main lcore). It sleeps in epoll until something happens:
 *  - a worker rang the doorbell: frames in the control ring (ARP, neighbour
 *    discovery, ESP/UDP 4500/Mp control traffic);
 *  - the CLI socket has a client;
 *  - the Prometheus endpoint has a client (metrics.c: its own epoll set, one fd here);
 *  - the 100 ms timer (neighbour retransmissions and aging);
 *  - SIGINT/SIGTERM (signalfd): leave the loop for a graceful shutdown.
 * It never busy-polls: an idle daemon costs nothing on the main lcore.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
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

#include "cli.h"
#include "control.h"
#include "metrics.h"
#include "mixplane.h"
#include "mp_plane.h"
#include "mxp_conf.h"
#include "mxp_conf_capture.h"
#include "mxp_ctl.h"
#include "neigh.h"
#include "worker.h"

/*
 * Limits that keep a hostile local client (root or the daemon's owner: others are refused)
 * from stalling the control core, which also runs the Mp plane and the timers, or from
 * exhausting its memory. A connection carries one request and one reply, so:
 *  - at most MAX_CLIENTS connections; the next one is answered "busy" (cli_busy);
 *  - a request announcing more than CLIENT_MAX_REQUEST bytes is refused at its header,
 *    before any of it is buffered (cli_oversize): key files, the largest requests, are
 *    a few KiB;
 *  - a connection must have sent its request and read its reply within CLIENT_TIMEOUT_MS
 *    of being accepted, or it is closed (cli_timeout): a trickling request or a reader
 *    that never reads holds its slot and its one reply no longer than that;
 *  - one wakeup reads at most CLIENT_READ_BUDGET bytes of a client (epoll is
 *    level-triggered: the rest waits for the next turn of the loop), and nothing past the
 *    first frame: pipelined requests are never read.
 * So CLI memory is bounded by MAX_CLIENTS x (CLIENT_MAX_REQUEST + one reply).
 */
#define MAX_CLIENTS 32
#define CLIENT_TIMEOUT_MS 5000
#define CLIENT_MAX_REQUEST (1u << 20)
#define CLIENT_READ_BUDGET (64u << 10)

struct client {
	int fd;
	uint32_t uid;
	uint64_t deadline_ms;
	struct mxp_buf in;
	struct mxp_buf out;
	size_t out_off;
};

/* The loop's state, and the subsystems it was given. */
struct ctl {
	const struct mxp_control_params *p;
	struct client clients[MAX_CLIENTS];
	int epfd, listen_fd, sig_fd, timer_fd;
};

/* ---- frames from the workers --------------------------------------------------------- */

static void
handle_arp(struct ctl *k, struct mxp_port *p, struct rte_mbuf *m,
	   const struct mxp_pkt_meta *meta)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	const uint8_t *a = f + meta->l2_len;
	uint16_t op = mxp_be_rd16(a + 6);
	struct rte_ether_addr sha;
	memcpy(&sha, a + 8, 6);
	bool for_us = mxp_port_is_local(p, &meta->dst);

	/* RFC 826: update an existing entry from any ARP; create one only when it is for us. */
	if (meta->src.v4 != 0 && !rte_is_multicast_ether_addr(&sha))
		mxp_neigh_learn(k->p->ports, p, &meta->src, &sha, for_us);
	if (op == 1 && for_us) {
		uint32_t len = mxp_pkt_arp_reply(f, &p->mac);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		mxp_ports_tx(k->p->ports, p, m);
		return;
	}
	rte_pktmbuf_free(m);
}

static void
handle_nd(struct ctl *k, struct mxp_port *p, struct rte_mbuf *m,
	  const struct mxp_pkt_meta *meta)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct mxp_nd_info nd;
	static const uint8_t unspec[16];

	if (mxp_pkt_nd_parse(f, meta, &nd) != MXP_DROP_NONE) {
		k->p->cst->drops[MXP_DROP_ND_MALFORMED]++;
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
			mxp_neigh_learn(k->p->ports, p, &meta->src, &nd.lladdr, true);
		/* Reply to the soliciting host, or to all nodes for a DAD probe. */
		struct rte_ether_addr dst_mac;
		memcpy(&dst_mac, nd.has_lladdr ? &nd.lladdr : (struct rte_ether_addr *)(f + 6), 6);
		uint32_t len = mxp_pkt_build_na(f, &p->mac, &nd.target, &meta->src, &dst_mac,
						!src_unspec);
		m->data_len = (uint16_t)len;
		m->pkt_len = len;
		mxp_ports_tx(k->p->ports, p, m);
		return;
	}
	/* NA: update the entry we may be resolving (RFC 4861 7.2.5), do not create. */
	if (nd.has_lladdr)
		mxp_neigh_learn(k->p->ports, p, &nd.target, &nd.lladdr, false);
	rte_pktmbuf_free(m);
}

static void
handle_frame(struct ctl *k, struct rte_mbuf *m)
{
	struct mxp_port *p = mxp_ports_of_id(k->p->ports, m->port);
	struct mxp_pkt_meta meta;

	k->p->cst->rx++;
	if (p == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	/* The worker validated it; parse again for the fields (cheap, control path). */
	enum mxp_pkt_kind kind = mxp_pkt_parse(rte_pktmbuf_mtod(m, uint8_t *),
					       rte_pktmbuf_data_len(m),
					       MXP_PKT_L3_CKSUM_GOOD | MXP_PKT_L4_CKSUM_GOOD, &meta);
	switch (kind) {
	case MXP_PKT_ARP:
		handle_arp(k, p, m, &meta);
		return;
	case MXP_PKT_ICMP6:
		handle_nd(k, p, m, &meta);
		return;
	default:
		/* ESP, UDP 4500, Mp on UDP 2944 and IP fragments: the Mp control plane. */
		mxp_mp_plane_input(k->p->mp, p, m);
		return;
	}
}

/* A frame a worker could not address: resolve its next hop, then send it. */
static void
handle_punt(struct ctl *k, struct rte_mbuf *m)
{
	struct mxp_port *p = mxp_ports_of_id(k->p->ports, m->port);
	uint8_t f[128];
	const uint8_t *h = rte_pktmbuf_read(m, 0, RTE_MIN(rte_pktmbuf_pkt_len(m), sizeof(f)), f);
	struct mxp_ip dst = { 0 };
	if (p == NULL || h == NULL || rte_pktmbuf_pkt_len(m) < 34) {
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
	mxp_neigh_send(k->p->ports, p, &dst, m);
}

static void
drain_ring(struct ctl *k)
{
	struct rte_mbuf *m[MXP_BURST];
	unsigned int n;
	do {
		n = rte_ring_dequeue_burst(k->p->link->ctl_ring, (void **)m, MXP_BURST, NULL);
		for (unsigned int i = 0; i < n; i++)
			handle_frame(k, m[i]);
	} while (n == MXP_BURST);
	do {
		n = rte_ring_dequeue_burst(k->p->link->punt_ring, (void **)m, MXP_BURST, NULL);
		for (unsigned int i = 0; i < n; i++)
			handle_punt(k, m[i]);
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
client_close(struct ctl *k, struct client *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(k->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	/* Requests may carry key material: wipe before freeing. */
	if (c->in.p)
		explicit_bzero(c->in.p, c->in.cap);
	mxp_buf_free(&c->in);
	mxp_buf_free(&c->out);
}

/*
 * Answer a peer the daemon will not serve with one response frame, then close: the
 * client prints why instead of dying of a broken pipe. The socket is fresh and the
 * reply short, so the non-blocking send fits its buffer; if it does not, close anyway.
 */
static void
client_refuse(int fd, enum mxp_ctl_status status, const char *why)
{
	uint8_t st = (uint8_t)status;
	(void)mxp_ctl_send_frame(fd, &st, 1, why, strlen(why));
	close(fd);
}

static void
client_accept(struct ctl *k)
{
	for (;;) {
		int fd = accept4(k->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cr;
		socklen_t cl = sizeof(cr);
		char why[160];
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0) {
			k->p->cst->cli_denied++;
			snprintf(why, sizeof(why), "the daemon cannot read this connection's "
				 "credentials (SO_PEERCRED: %s)\n", strerror(errno));
			client_refuse(fd, MXP_CTL_DENIED, why);
			continue;
		}
		uid_t owner = geteuid();
		if (cr.uid != 0 && cr.uid != owner) {
			k->p->cst->cli_denied++;
			if (owner == 0)
				snprintf(why, sizeof(why), "the daemon refused this user (uid %u): "
					 "only uid 0 (the daemon's owner) may use its control socket\n",
					 (unsigned int)cr.uid);
			else
				snprintf(why, sizeof(why), "the daemon refused this user (uid %u): "
					 "only uid 0 and uid %u (the daemon's owner) may use its "
					 "control socket\n", (unsigned int)cr.uid, (unsigned int)owner);
			client_refuse(fd, MXP_CTL_DENIED, why);
			continue;
		}
		struct client *c = NULL;
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (k->clients[i].fd < 0) {
				c = &k->clients[i];
				break;
			}
		if (c == NULL) {
			k->p->cst->cli_busy++;
			snprintf(why, sizeof(why), "the daemon is busy: %d control connections are "
				 "open; try again\n", MAX_CLIENTS);
			client_refuse(fd, MXP_CTL_ERR, why);
			continue;
		}
		c->fd = fd;
		c->uid = cr.uid;
		c->deadline_ms = mxp_now_ms() + CLIENT_TIMEOUT_MS;
		mxp_buf_init(&c->in);
		mxp_buf_init(&c->out);
		c->out_off = 0;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
		epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev);
	}
}

static void
client_write(struct ctl *k, struct client *c)
{
	while (c->out_off < c->out.len) {
		ssize_t w = write(c->fd, c->out.p + c->out_off, c->out.len - c->out_off);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			client_close(k, c);
			return;
		}
		c->out_off += (size_t)w;
	}
	client_close(k, c);
}

/* Whether the request frame is complete (1), incomplete (0), or too large (-EMSGSIZE). */
static int
request_ready(const struct client *c, uint32_t *plen)
{
	if (c->in.len >= 4 && mxp_be_rd32((const uint8_t *)c->in.p) > CLIENT_MAX_REQUEST)
		return -EMSGSIZE;
	return mxp_ctl_frame_ready((const uint8_t *)c->in.p, c->in.len, plen);
}

static void
client_read(struct ctl *k, struct client *c)
{
	uint32_t plen = 0;
	int ready = 0;
	for (size_t got = 0; got < CLIENT_READ_BUDGET && ready == 0;) {
		char tmp[4096];
		ssize_t r = read(c->fd, tmp, sizeof(tmp));
		if (r == 0) {
			client_close(k, c);
			return;
		}
		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			client_close(k, c);
			return;
		}
		got += (size_t)r;
		int a = mxp_buf_add(&c->in, tmp, (size_t)r);
		explicit_bzero(tmp, sizeof(tmp));
		if (a != 0) {
			client_close(k, c);
			return;
		}
		ready = request_ready(c, &plen);
	}
	if (ready < 0) {
		/* Say why before closing: mixplanectl prints it (its send may fail first). */
		char why[160];
		k->p->cst->cli_oversize++;
		snprintf(why, sizeof(why), "the request is too large: %u bytes announced, the "
			 "daemon reads at most %u\n", mxp_be_rd32((const uint8_t *)c->in.p),
			 CLIENT_MAX_REQUEST);
		uint8_t st = MXP_CTL_ERR;
		(void)mxp_ctl_send_frame(c->fd, &st, 1, why, strlen(why));
		client_close(k, c);
		return;
	}
	if (ready == 0)
		return;

	struct mxp_buf body;
	mxp_buf_init(&body);
	k->p->cst->cli_requests++;
	uint8_t status = (uint8_t)mxp_cli_handle(k->p->cli, (const uint8_t *)c->in.p + 4, plen,
						 c->uid, &body);
	if (status != MXP_CTL_OK)
		k->p->cst->cli_errors++;
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
		client_close(k, c);
		return;
	}
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = c };
	epoll_ctl(k->epfd, EPOLL_CTL_MOD, c->fd, &ev);
	client_write(k, c);
}

static void
clients_expire(struct ctl *k, uint64_t now)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (k->clients[i].fd >= 0 && now > k->clients[i].deadline_ms) {
			k->p->cst->cli_timeout++;
			client_close(k, &k->clients[i]);
		}
}

/* ---- the loop ------------------------------------------------------------------------ */

static int
setup(struct ctl *k)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		k->clients[i].fd = -1;
	/* The control core waits microseconds for a worker to run its command (lib/conf
	 * conf_post); the default 50 us timer slack would stretch every one of those waits. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	k->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (k->epfd < 0)
		return -errno;

	sigset_t ss;
	sigemptyset(&ss);
	sigaddset(&ss, SIGINT);
	sigaddset(&ss, SIGTERM);
	k->sig_fd = signalfd(-1, &ss, SFD_NONBLOCK | SFD_CLOEXEC);
	k->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (k->sig_fd < 0 || k->timer_fd < 0)
		return -errno;
	struct itimerspec its = { .it_interval = { 0, 100000000 }, .it_value = { 0, 100000000 } };
	timerfd_settime(k->timer_fd, 0, &its, NULL);

	k->listen_fd = listen_socket(k->p->socket);
	if (k->listen_fd < 0)
		return k->listen_fd;

	static int tags[5];
	int fds[5] = { k->sig_fd, k->timer_fd, k->listen_fd, k->p->link->doorbell,
		       k->p->metrics ? mxp_metrics_fd(k->p->metrics) : -1 };
	for (int i = 0; i < 5 && fds[i] >= 0; i++) {
		tags[i] = i;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &tags[i] };
		if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, fds[i], &ev) != 0)
			return -errno;
	}
	return 0;
}

static void
teardown(struct ctl *k)
{
	for (int i = 0; i < MAX_CLIENTS; i++)
		client_close(k, &k->clients[i]);
	if (k->listen_fd >= 0) {
		close(k->listen_fd);
		unlink(k->p->socket);
	}
	if (k->sig_fd >= 0)
		close(k->sig_fd);
	if (k->timer_fd >= 0)
		close(k->timer_fd);
	if (k->epfd >= 0)
		close(k->epfd);
}

int
mxp_control_run(const struct mxp_control_params *p)
{
	static struct ctl ctl; /* one control loop */
	struct ctl *k = &ctl;
	*k = (struct ctl){ .p = p, .epfd = -1, .listen_fd = -1, .sig_fd = -1, .timer_fd = -1 };
	int r = setup(k);
	if (r < 0) {
		teardown(k);
		return r;
	}
	MXP_LOG(NOTICE, "ready: %u port(s), %u worker(s), control socket %s", p->ports->nb_ports,
		p->cli->nb_workers, p->socket);
	bool quit = false;
	while (!quit) {
		/* Announce that we sleep, then look once more so no doorbell is missed. */
		__atomic_store_n(&p->link->sleeping, 1, __ATOMIC_SEQ_CST);
		bool more = rte_ring_count(p->link->ctl_ring) || rte_ring_count(p->link->punt_ring);
		int timeout = more ? 0 : -1;
		struct epoll_event ev[16];
		int n = epoll_wait(k->epfd, ev, 16, timeout);
		__atomic_store_n(&p->link->sleeping, 0, __ATOMIC_SEQ_CST);
		if (n < 0 && errno != EINTR) {
			MXP_LOG(ERR, "epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			void *tag = ev[i].data.ptr;
			if ((char *)tag >= (char *)k->clients &&
			    (char *)tag < (char *)(k->clients + MAX_CLIENTS)) {
				struct client *c = tag;
				if (ev[i].events & EPOLLOUT)
					client_write(k, c);
				else
					client_read(k, c);
				continue;
			}
			switch (*(int *)tag) {
			case 0: {
				struct signalfd_siginfo si;
				if (read(k->sig_fd, &si, sizeof(si)) == sizeof(si)) {
					MXP_LOG(NOTICE, "signal %u: shutting down", si.ssi_signo);
					quit = true;
				}
				break;
			}
			case 1: {
				uint64_t ticks;
				if (read(k->timer_fd, &ticks, sizeof(ticks)) > 0) {
					uint64_t now = mxp_now_ms();
					mxp_neigh_timer(p->ports, now);
					mxp_mp_plane_timer(p->mp, now);
					mxp_conf_record_poll(p->cli->conf); /* recordings */
					mxp_conf_capture_poll(p->cli->conf); /* capture files */
					mxp_cli_announcements_timer(); /* conversions: the log */
					clients_expire(k, now);
					mxp_metrics_expire(p->metrics, now);
					if (mxp_cli_health_timer(p->cli, now))
						quit = true; /* drained (mixplanectl drain) */
				}
				break;
			}
			case 2:
				client_accept(k);
				break;
			case 3: {
				uint64_t v;
				ssize_t rr = read(p->link->doorbell, &v, sizeof(v));
				(void)rr;
				break;
			}
			case 4:
				mxp_metrics_poll(p->metrics);
				break;
			}
		}
		drain_ring(k);
	}
	teardown(k);
	return 0;
}
