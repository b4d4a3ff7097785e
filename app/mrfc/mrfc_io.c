/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mrfc transport: H.248 text over UDP in the clear (lab), or inside ESP in user space
 * (lib/esp with the OpenSSL backend): raw IP protocol 50 sockets, or UDP port 4500 for
 * RFC 3948 encapsulation. The kernel does no ESP here. With --transport sctp the H.248
 * messages travel over an SCTP association (mrfc_sctp.c) whose packets are the ESP
 * payloads (next header 132) instead of UDP datagrams.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mrfc.h"
#include "mxp_sctp.h"

static socklen_t
sockaddr_of(const struct mxp_ip *a, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->af == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		memcpy(&s6->sin6_addr, a->v6, 16);
		return sizeof(*s6);
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	s4->sin_family = AF_INET;
	s4->sin_port = htons(port);
	memcpy(&s4->sin_addr, &a->v4, 4);
	return sizeof(*s4);
}

static void
addr_of(const struct sockaddr_storage *ss, struct mxp_ip *a, uint16_t *port)
{
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		*a = mxp_ip_from_bytes(AF_INET6, &s6->sin6_addr);
		*port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		*a = mxp_ip_from_bytes(AF_INET, &s4->sin_addr);
		*port = ntohs(s4->sin_port);
	}
}

static int
open_bound(int family, int type, int proto, const struct mxp_ip *local, uint16_t port)
{
	int fd = socket(family, type | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(local, port, &ss);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int
mrfc_io_open(struct mrfc_io *io, const char *sa_file, bool plaintext, const char *backend,
	     char *err, size_t errlen)
{
	io->fd_plain = io->fd_raw = io->fd_udp = -1;
	if (plaintext && io->use_sctp) {
		snprintf(err, errlen, "--transport sctp runs inside ESP only (no --plaintext)");
		return -EINVAL;
	}
	if (plaintext) {
		io->mode = MRFC_PLAIN;
		if (io->mrfp.af == 0) {
			snprintf(err, errlen, "--plaintext needs --mrfp");
			return -EINVAL;
		}
		if (io->local.af == 0) {
			io->local.af = io->mrfp.af; /* any address */
		}
		int fd = open_bound(io->mrfp.af, SOCK_DGRAM, 0, &io->local, io->local_mp_port);
		if (fd < 0) {
			snprintf(err, errlen, "UDP socket: %s", strerror(-fd));
			return fd;
		}
		io->fd_plain = fd;
		return 0;
	}
	io->mode = MRFC_ESP;
	if (sa_file == NULL) {
		snprintf(err, errlen, "ESP needs --sa FILE (or --plaintext in a lab)");
		return -EINVAL;
	}
	int rc = mxp_esp_crypto_open(&io->crypto, backend);
	if (rc != 0) {
		snprintf(err, errlen, "crypto backend '%s' not available", backend);
		return rc;
	}
	size_t sz = (mxp_esp_ep_size(16, 8) + 63) & ~(size_t)63;
	io->ep = aligned_alloc(64, sz);
	if (io->ep == NULL || mxp_esp_ep_init(io->ep, 16, 8, &io->crypto, false) != 0)
		return -ENOMEM;
	rc = mxp_esp_keyfile_load(io->ep, sa_file, 0, err, errlen);
	if (rc < 0)
		return rc;
	/* The outbound SA names the MRFP, our address and the encapsulation. */
	struct mxp_esp_sa *out = NULL;
	for (uint32_t i = 0; i < mxp_esp_ep_sa_count(io->ep); i++) {
		struct mxp_esp_sa *sa = mxp_esp_ep_sa_at(io->ep, i);
		const struct mxp_esp_sa_params *p = mxp_esp_sa_params_get(sa);
		if (p->dir == MXP_ESP_DIR_OUT && (io->mrfp.af == 0 ||
						  mxp_ip_equal(&p->peer, &io->mrfp))) {
			out = sa;
			break;
		}
	}
	if (out == NULL) {
		snprintf(err, errlen, "%s: no outbound SA%s", sa_file,
			 io->mrfp.af ? " for the --mrfp address" : "");
		return -EINVAL;
	}
	const struct mxp_esp_sa_params *op = mxp_esp_sa_params_get(out);
	/*
	 * Successive mrfc runs share the SA: continue its sequence number from FILE.seq, or
	 * the MRFP's anti-replay window would rightly drop the next run's first packets.
	 */
	snprintf(io->seq_file, sizeof(io->seq_file), "%s.seq", sa_file);
	io->out_sa = out;
	FILE *sf = fopen(io->seq_file, "r");
	if (sf != NULL) {
		unsigned long spi;
		unsigned long long seq;
		if (fscanf(sf, "%lx %llu", &spi, &seq) == 2 && spi == op->spi)
			mxp_esp_sa_seq_set(out, seq);
		fclose(sf);
	}
	io->mrfp = op->peer;
	io->local = op->local;
	io->udp_encap = op->udp_encap;
	io->natt_local = op->local_port;
	io->natt_peer = op->peer_port;
	/* Make sure the policy sends replies to the MRFP through this SA. */
	struct mxp_esp_peer pe = { .addr = op->peer, .out_spi = op->spi };
	mxp_esp_ep_peer_add(io->ep, &pe);
	if (io->no_sockets)
		return 0;
	if (io->udp_encap)
		rc = open_bound(io->local.af, SOCK_DGRAM, 0, &io->local, io->natt_local);
	else
		rc = open_bound(io->local.af, SOCK_RAW, MXP_ESP_IPPROTO, &io->local, 0);
	if (rc < 0) {
		snprintf(err, errlen, "%s socket: %s", io->udp_encap ? "UDP 4500" : "raw ESP",
			 strerror(-rc));
		return rc;
	}
	if (io->udp_encap)
		io->fd_udp = rc;
	else
		io->fd_raw = rc;
	char fp[9];
	mxp_esp_sa_fingerprint(out, fp);
	if (io->verbose)
		fprintf(stderr, "mrfc: ESP %s spi 0x%08x key %s (%s backend)%s\n",
			mxp_esp_alg_name(op->alg), op->spi, fp, io->crypto.ops->name,
			io->udp_encap ? ", UDP-encapsulated" : "");
	if (!io->use_sctp)
		return 0;
	rc = mrfc_sctp_open(io, err, errlen);
	if (rc)
		return rc;
	/* The MRFP opens the association (TS 29.333): wait for it. */
	uint64_t end = mxp_clock_ms() + io->sctp_wait_ms;
	while (!mrfc_sctp_up(io) && mxp_clock_ms() < end) {
		char none[1];
		rc = mrfc_io_recv(io, none, 0, 20);
		if (rc < 0) {
			snprintf(err, errlen, "receive: %s", strerror(-rc));
			return rc;
		}
	}
	if (!mrfc_sctp_up(io)) {
		snprintf(err, errlen, "no SCTP association from the MRFP within %u ms",
			 io->sctp_wait_ms);
		return -ETIMEDOUT;
	}
	return 0;
}

void
mrfc_io_close(struct mrfc_io *io)
{
	mrfc_sctp_close(io); /* ABORT: goes out before the sockets close */
	if (io->fd_plain >= 0)
		close(io->fd_plain);
	if (io->fd_raw >= 0)
		close(io->fd_raw);
	if (io->fd_udp >= 0)
		close(io->fd_udp);
	if (io->out_sa != NULL && io->seq_file[0]) {
		const struct mxp_esp_sa_params *op = mxp_esp_sa_params_get(io->out_sa);
		int fd = open(io->seq_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		FILE *sf = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (sf != NULL) {
			fprintf(sf, "%x %llu\n", op->spi,
				(unsigned long long)mxp_esp_sa_seq(io->out_sa));
			fclose(sf);
		}
	}
	if (io->ep != NULL) {
		mxp_esp_ep_fini(io->ep);
		free(io->ep);
		mxp_esp_crypto_close(&io->crypto);
	}
}

int
mrfc_io_send_esp(struct mrfc_io *io, uint8_t next_proto, const uint8_t *inner, size_t len)
{
	static uint8_t esp[65536 + 256];
	size_t el;
	struct mxp_esp_meta m;
	enum mxp_esp_drop d = mxp_esp_ep_output(io->ep, &io->mrfp, inner, len, next_proto, esp,
						sizeof(esp), &el, &m);
	if (d != MXP_ESP_DROP_NONE) {
		fprintf(stderr, "mrfc: ESP output: %s\n", mxp_esp_drop_desc(d));
		return -EIO;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sockaddr_of(&io->mrfp, io->udp_encap ? io->natt_peer : 0, &ss);
	int fd = io->udp_encap ? io->fd_udp : io->fd_raw;
	return sendto(fd, esp, el, 0, (struct sockaddr *)&ss, sl) < 0 ? -errno : 0;
}

int
mrfc_io_send(struct mrfc_io *io, const char *msg, size_t len)
{
	if (io->mode == MRFC_PLAIN) {
		struct sockaddr_storage ss;
		socklen_t sl = sockaddr_of(&io->mrfp, io->mp_port, &ss);
		return sendto(io->fd_plain, msg, len, 0, (struct sockaddr *)&ss, sl) < 0 ? -errno : 0;
	}
	if (io->sctp != NULL)
		return mrfc_sctp_send(io, msg, len);
	static uint8_t inner[MXP_MP_MSG_MAX + 64];
	int il = mxp_esp_udp_build(inner, sizeof(inner), &io->local, &io->mrfp, io->local_mp_port,
				   io->mp_port, (const uint8_t *)msg, len);
	if (il < 0)
		return il;
	return mrfc_io_send_esp(io, 17, inner, (size_t)il);
}

volatile sig_atomic_t mrfc_stop;

int
mrfc_io_recv(struct mrfc_io *io, char *buf, size_t cap, int timeout_ms)
{
	int fd = io->mode == MRFC_PLAIN ? io->fd_plain : io->udp_encap ? io->fd_udp : io->fd_raw;
	uint64_t end = mxp_clock_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
	static uint8_t pkt[65536];

	for (;;) {
		if (io->sctp != NULL) {
			/* whole messages the association delivered, then its timers */
			int q = cap ? mrfc_sctp_take(io, buf, cap) : 0;
			if (q > 0)
				return q;
			mrfc_sctp_tick(io);
		}
		int64_t left = (int64_t)(end - mxp_clock_ms());
		if (left < 0)
			left = 0;
		if (io->sctp != NULL && left > 20)
			left = 20; /* tick the SCTP timers meanwhile */
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR) {
			if (mrfc_stop)
				return 0;
			continue;
		}
		if (pr < 0)
			return -errno;
		if (pr == 0 && (io->sctp == NULL || mxp_clock_ms() >= end))
			return 0;
		if (pr == 0)
			continue;
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return -errno;
		struct mxp_esp_meta m = { 0 };
		uint16_t fport;
		addr_of(&from, &m.src, &fport);
		if (io->mode == MRFC_PLAIN) {
			if (!mxp_ip_equal(&m.src, &io->mrfp) || (size_t)n >= cap)
				continue;
			memcpy(buf, pkt, (size_t)n);
			buf[n] = '\0';
			return (int)n;
		}
		uint8_t *esp = pkt;
		size_t el = (size_t)n;
		m.dst = io->local;
		if (io->udp_encap) {
			m.udp_encap = true;
			m.sport = fport;
			m.dport = io->natt_local;
			if (el == 1 && esp[0] == 0xff)
				continue; /* NAT keepalive */
		} else if (io->local.af == AF_INET) {
			/* IPv4 raw sockets deliver the IP header too */
			size_t off;
			if (mxp_esp_frame_parse(pkt, el, &m, &off, &el) != MXP_ESP_DROP_NONE)
				continue;
			esp = pkt + off;
		}
		struct mxp_esp_rx rx;
		enum mxp_esp_drop d = mxp_esp_ep_input(io->ep, &m, esp, el, &rx);
		if (d != MXP_ESP_DROP_NONE) {
			/* Our own outbound packets come back on raw sockets: no SA, say nothing. */
			if (io->verbose && d != MXP_ESP_DROP_NO_SA && d != MXP_ESP_DROP_NOT_IN_POLICY)
				fprintf(stderr, "mrfc: ESP packet dropped: %s\n", mxp_esp_drop_desc(d));
			continue;
		}
		if (rx.next_proto == MXP_SCTP_IPPROTO && io->sctp != NULL) {
			mrfc_sctp_input(io, esp + rx.off, rx.len);
			if (cap == 0)
				return 0; /* waiting for the association: one packet at a time */
			continue;
		}
		uint16_t sp, dp;
		size_t po, pl;
		if (rx.next_proto != 17 ||
		    mxp_esp_udp_parse(esp + rx.off, rx.len, &sp, &dp, &po, &pl) != 0 ||
		    pl >= cap)
			continue;
		memcpy(buf, esp + rx.off + po, pl);
		buf[pl] = '\0';
		return (int)pl;
	}
}
