/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/conf's packet capture (conf_capture.c) with an inline worker: frames go in through
 * mxp_conf_rx()/mxp_conf_flush(), the capture file is parsed here as pcapng (section,
 * enhanced packet blocks, their direction option) and compared with the frames the test
 * sent and the conference sent. Bounds, the end of a leg or conference, refusals, and the
 * conference's capture count going back to 0 (the data path's one test) are checked.
 * Plain-RTP legs: what is captured does not depend on SRTP (test_capture.py decrypts).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "mxp_conf.h"
#include "mxp_conf_capture.h"
#include "mxp_test.h"
#include "conf_priv.h"

#include "conf_test_util.h" /* the io callbacks, a system with one inline worker */

#define MAX_EPB 1024

struct part {
	struct mxp_ip addr;
	uint16_t port;
	uint16_t seq;
	struct mxp_leg_info leg;
};

static uint32_t
new_conf(struct mxp_conf_sys *sys)
{
	struct mxp_conf_params cp = { .mode = MXP_CONF_SWITCH };
	uint32_t id = 0;
	char err[128];
	if (mxp_conf_create(sys, &cp, &id, err, sizeof(err)))
		abort();
	return id;
}

static void
add_part(struct mxp_conf_sys *sys, uint32_t conf, struct part *p, uint16_t port)
{
	memset(p, 0, sizeof(*p));
	p->addr = ip("192.0.2.1");
	p->port = port;
	struct mxp_leg_params lp;
	memset(&lp, 0, sizeof(lp));
	lp.af = AF_INET;
	lp.remote_known = true;
	lp.remote = p->addr;
	lp.remote_port = port;
	lp.mode = MXP_SM_SENDRECV;
	lp.plain = true;
	char err[256] = "";
	if (mxp_conf_leg_add(sys, conf, &lp, &p->leg, err, sizeof(err))) {
		printf("# leg_add: %s\n", err);
		abort();
	}
}

/* One plain RTP packet from a participant, through the data path. */
static void
send_rtp(struct part *p)
{
	uint8_t rtp[12 + 160];
	rtp[0] = 0x80;
	rtp[1] = 0;
	rtp[2] = (uint8_t)(p->seq >> 8);
	rtp[3] = (uint8_t)p->seq;
	memset(rtp + 4, 0, 4);
	uint32_t ssrc = 0x1000u + p->port;
	rtp[8] = (uint8_t)(ssrc >> 24), rtp[9] = (uint8_t)(ssrc >> 16);
	rtp[10] = (uint8_t)(ssrc >> 8), rtp[11] = (uint8_t)ssrc;
	memset(rtp + 12, p->seq & 0xff, 160);
	p->seq++;
	if (!tu_rx(tu_frame(pool, &p->leg, &p->addr, p->port, rtp, sizeof(rtp))))
		abort();
	mxp_conf_flush(g_w);
}

/* ---- the file ----------------------------------------------------------------------------- */

struct epb {
	bool in, out;          /* the direction option */
	uint16_t sport, dport; /* of the frame's UDP header */
	uint32_t caplen;
};

struct pcapng {
	unsigned int sections, other;
	unsigned int n;
	struct epb e[MAX_EPB];
	char comment[128];
};

static uint32_t
rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Parse a pcapng file in the host's byte order (as written); false if malformed. */
static bool
parse(const char *path, struct pcapng *pc)
{
	memset(pc, 0, sizeof(*pc));
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return false;
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	size_t off = 0;
	while (off + 12 <= len) {
		uint32_t type = rd32(buf + off), blen = rd32(buf + off + 4);
		if (blen < 12 || blen % 4 || off + blen > len || rd32(buf + off + blen - 4) != blen)
			return false;
		const uint8_t *b = buf + off;
		if (type == 0x0A0D0D0A) {
			pc->sections++;
			/* options after the 24-byte header: the first comment */
			for (size_t o = 24; o + 4 <= blen - 4;) {
				uint16_t code, olen;
				memcpy(&code, b + o, 2);
				memcpy(&olen, b + o + 2, 2);
				if (code == 0)
					break;
				if (code == 1 && pc->comment[0] == '\0')
					snprintf(pc->comment, sizeof(pc->comment), "%.*s", (int)olen, b + o + 4);
				o += 4 + ((olen + 3u) & ~3u);
			}
		} else if (type == 6 && pc->n < MAX_EPB) {
			struct epb *e = &pc->e[pc->n++];
			e->caplen = rd32(b + 20);
			const uint8_t *fr = b + 28;
			if (e->caplen >= 14 + 20 + 8) {
				e->sport = (uint16_t)(fr[34] << 8 | fr[35]);
				e->dport = (uint16_t)(fr[36] << 8 | fr[37]);
			}
			for (size_t o = 28 + ((e->caplen + 3u) & ~3u); o + 4 <= blen - 4;) {
				uint16_t code, olen;
				memcpy(&code, b + o, 2);
				memcpy(&olen, b + o + 2, 2);
				if (code == 0)
					break;
				if (code == 2 && olen == 4) {
					uint32_t fl = rd32(b + o + 4);
					e->in = (fl & 3) == 1;
					e->out = (fl & 3) == 2;
				}
				o += 4 + ((olen + 3u) & ~3u);
			}
		} else if (type != 1) {
			pc->other++;
		}
		off += blen;
	}
	return off == len;
}

static char tmpl[64];

/* RTP frames of a leg in a capture, one direction (RTCP, e.g. BYEs, are on other ports). */
static unsigned int
rtp_frames(const struct pcapng *pc, const struct part *p, bool in)
{
	unsigned int n = 0;
	for (unsigned int i = 0; i < pc->n; i++) {
		const struct epb *e = &pc->e[i];
		if (in ? e->in && e->sport == p->port && e->dport == p->leg.local_port
		       : e->out && e->sport == p->leg.local_port && e->dport == p->port)
			n++;
	}
	return n;
}

static int
tmp_fd(char path[64])
{
	snprintf(path, 64, "/tmp/mxp-cap-test-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	return fd;
}

static struct mxp_conf_capture_params
params(int fd, uint32_t leg, uint32_t conf)
{
	return (struct mxp_conf_capture_params){ .leg_id = leg, .conf_id = conf, .fd = fd,
						 .path = tmpl, .max_seconds = 60,
						 .max_packets = 1000, .max_bytes = 1 << 20,
						 .nb_ports = 1 };
}

static const struct mxp_conf_capture_info *
info_of(struct mxp_conf_sys *sys, uint32_t id, struct mxp_conf_capture_info v[32])
{
	unsigned int n = mxp_conf_capture_list(sys, v, 32);
	for (unsigned int i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

static uint8_t
conf_ncap(struct mxp_conf_sys *sys, uint32_t conf)
{
	struct mxp_conf_ctl *cc = conf_find(sys, conf);
	return cc ? cc->conf->ncap : 0xff;
}

/* ---- cases -------------------------------------------------------------------------------- */

/* A leg's packets in and out, nothing of the others; the capture count goes back to 0. */
MXP_TEST(leg_in_and_out)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t conf = new_conf(sys);
	struct part a, b, c;
	add_part(sys, conf, &a, 5000);
	add_part(sys, conf, &b, 5002);
	add_part(sys, conf, &c, 5004);
	send_rtp(&a); /* before the capture: not in it */
	char path[64];
	int fd = tmp_fd(path);
	uint32_t id = 0;
	char err[256] = "";
	struct mxp_conf_capture_params p = params(fd, a.leg.id, 0);
	MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id, err, sizeof(err)), 0);
	MXP_CHECK(t, id != 0 && conf_ncap(sys, conf) == 1);
	for (int i = 0; i < 5; i++) {
		send_rtp(&a);
		send_rtp(&b);
		send_rtp(&c);
	}
	mxp_conf_capture_poll(sys);
	MXP_CHECK_EQ(t, mxp_conf_capture_stop(sys, id, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, conf_ncap(sys, conf), 0);
	struct pcapng pc;
	MXP_CHECK(t, parse(path, &pc));
	MXP_CHECK_EQ(t, pc.sections, 1u);
	MXP_CHECK(t, strstr(pc.comment, "leg") != NULL);
	unsigned int in = 0, out = 0, wrong = 0;
	for (unsigned int i = 0; i < pc.n; i++) {
		const struct epb *e = &pc.e[i];
		if (e->in && e->sport == a.port && e->dport == a.leg.local_port)
			in++;
		else if (e->out && e->sport == a.leg.local_port && e->dport == a.port)
			out++;
		else
			wrong++;
	}
	MXP_CHECK_EQ(t, in, 5u);
	MXP_CHECK_EQ(t, out, 10u);
	MXP_CHECK_EQ(t, wrong, 0u);
	struct mxp_conf_capture_info v[32];
	const struct mxp_conf_capture_info *ci = info_of(sys, id, v);
	MXP_CHECK(t, ci != NULL && ci->packets == 15 && ci->end == MXP_CAPTURE_END_STOPPED);
	/* stopping it again: it ended */
	MXP_CHECK_EQ(t, mxp_conf_capture_stop(sys, id, err, sizeof(err)), -EALREADY);
	unlink(path);
	mxp_conf_sys_destroy(sys);
}

/* The packet bound is exact; a conference capture sees every leg. */
MXP_TEST(bounds_and_conference)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t conf = new_conf(sys);
	struct part a, b;
	add_part(sys, conf, &a, 5000);
	add_part(sys, conf, &b, 5002);
	char path[64], path2[64];
	uint32_t id = 0, cid = 0;
	char err[256] = "";
	struct mxp_conf_capture_params p = params(tmp_fd(path), a.leg.id, 0);
	p.max_packets = 3;
	MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id, err, sizeof(err)), 0);
	p = params(tmp_fd(path2), 0, conf);
	MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &cid, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, conf_ncap(sys, conf), 2);
	for (int i = 0; i < 4; i++) {
		send_rtp(&a);
		send_rtp(&b);
	}
	mxp_conf_capture_poll(sys);
	struct mxp_conf_capture_info v[32];
	const struct mxp_conf_capture_info *ci = info_of(sys, id, v);
	MXP_CHECK(t, ci != NULL && ci->end == MXP_CAPTURE_END_PACKETS && ci->packets == 3);
	MXP_CHECK_EQ(t, conf_ncap(sys, conf), 1);
	struct pcapng pc;
	MXP_CHECK(t, parse(path, &pc));
	MXP_CHECK_EQ(t, pc.n, 3u);
	MXP_CHECK_EQ(t, mxp_conf_capture_stop(sys, cid, err, sizeof(err)), 0);
	MXP_CHECK(t, parse(path2, &pc));
	MXP_CHECK_EQ(t, pc.n, 16u); /* 8 in, 8 out */
	MXP_CHECK_EQ(t, conf_ncap(sys, conf), 0);
	unlink(path);
	unlink(path2);
	mxp_conf_sys_destroy(sys);
}

/* A removed leg or conference ends its capture; the daemon's end closes the rest. */
MXP_TEST(target_gone)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t conf = new_conf(sys), conf2 = new_conf(sys);
	struct part a, b, c;
	add_part(sys, conf, &a, 5000);
	add_part(sys, conf, &b, 5002);
	add_part(sys, conf2, &c, 5004);
	char p1[64], p2[64], p3[64];
	uint32_t id1 = 0, id2 = 0, id3 = 0;
	char err[256] = "";
	struct mxp_conf_capture_params p = params(tmp_fd(p1), b.leg.id, 0);
	MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id1, err, sizeof(err)), 0);
	p = params(tmp_fd(p2), 0, conf2);
	MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id2, err, sizeof(err)), 0);
	p = params(tmp_fd(p3), a.leg.id, 0);
	MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id3, err, sizeof(err)), 0);
	send_rtp(&b);
	MXP_CHECK_EQ(t, mxp_conf_leg_remove(sys, b.leg.id, NULL, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, mxp_conf_destroy(sys, conf2, err, sizeof(err)), 0);
	mxp_conf_capture_poll(sys);
	struct mxp_conf_capture_info v[32];
	const struct mxp_conf_capture_info *ci = info_of(sys, id1, v);
	MXP_CHECK(t, ci != NULL && ci->end == MXP_CAPTURE_END_LEG_GONE && ci->packets >= 2);
	struct pcapng pc;
	MXP_CHECK(t, parse(p1, &pc));
	MXP_CHECK_EQ(t, rtp_frames(&pc, &b, true), 1u);
	MXP_CHECK_EQ(t, rtp_frames(&pc, &b, false), 0u); /* a sent nothing yet */
	ci = info_of(sys, id2, v);
	MXP_CHECK(t, ci != NULL && ci->end == MXP_CAPTURE_END_CONF_GONE);
	MXP_CHECK_EQ(t, conf_ncap(sys, conf), 1); /* a's capture runs on */
	send_rtp(&a);
	mxp_conf_sys_destroy(sys); /* ends a's capture: the file is complete */
	MXP_CHECK(t, parse(p3, &pc));
	MXP_CHECK_EQ(t, rtp_frames(&pc, &a, false), 1u); /* b's packet to a */
	MXP_CHECK_EQ(t, rtp_frames(&pc, &a, true), 1u);  /* a's, after b left */
	unlink(p1);
	unlink(p2);
	unlink(p3);
}

/* Refusals change nothing and close the descriptor they were given. */
MXP_TEST(refusals)
{
	struct mxp_conf_sys *sys = sys_new();
	uint32_t conf = new_conf(sys);
	struct part a;
	add_part(sys, conf, &a, 5000);
	char path[64], err[256];
	uint32_t id = 0;
	struct {
		uint32_t leg, conf, secs, pkts;
		uint64_t bytes;
		int want;
	} bad[] = {
		{ 9999, 0, 60, 10, 1 << 20, -ENOENT },
		{ 0, 9999, 60, 10, 1 << 20, -ENOENT },
		{ a.leg.id, conf, 60, 10, 1 << 20, -EINVAL },
		{ 0, 0, 60, 10, 1 << 20, -EINVAL },
		{ a.leg.id, 0, 0, 10, 1 << 20, -EINVAL },
		{ a.leg.id, 0, 3601, 10, 1 << 20, -EINVAL },
		{ a.leg.id, 0, 60, 0, 1 << 20, -EINVAL },
		{ a.leg.id, 0, 60, 10000001, 1 << 20, -EINVAL },
		{ a.leg.id, 0, 60, 10, 100, -EINVAL },
		{ a.leg.id, 0, 60, 10, (2ull << 30), -EINVAL },
	};
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		int fd = tmp_fd(path);
		struct mxp_conf_capture_params p = params(fd, bad[i].leg, bad[i].conf);
		p.max_seconds = bad[i].secs;
		p.max_packets = bad[i].pkts;
		p.max_bytes = bad[i].bytes;
		err[0] = '\0';
		MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id, err, sizeof(err)), bad[i].want);
		MXP_CHECK(t, err[0] != '\0');
		MXP_CHECK(t, fcntl(fd, F_GETFD) == -1 && errno == EBADF); /* closed */
		unlink(path);
	}
	MXP_CHECK_EQ(t, mxp_conf_capture_list(sys, NULL, 0), 0u);
	MXP_CHECK_EQ(t, conf_ncap(sys, conf), 0);
	/* one capture per leg; at most MXP_CAPTURE_MAX_RUNNING */
	char paths[MXP_CAPTURE_MAX_RUNNING + 2][64];
	struct part legs[MXP_CAPTURE_MAX_RUNNING];
	for (unsigned int i = 0; i < MXP_CAPTURE_MAX_RUNNING; i++) {
		add_part(sys, conf, &legs[i], (uint16_t)(6000 + 2 * i));
		struct mxp_conf_capture_params p = params(tmp_fd(paths[i]), legs[i].leg.id, 0);
		MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id, err, sizeof(err)), 0);
	}
	struct mxp_conf_capture_params p = params(tmp_fd(paths[MXP_CAPTURE_MAX_RUNNING]),
						  legs[0].leg.id, 0);
	MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id, err, sizeof(err)), -EBUSY);
	p = params(tmp_fd(paths[MXP_CAPTURE_MAX_RUNNING + 1]), a.leg.id, 0);
	MXP_CHECK_EQ(t, mxp_conf_capture_start(sys, &p, &id, err, sizeof(err)), -EBUSY);
	MXP_CHECK(t, strstr(err, "captures are running") != NULL);
	MXP_CHECK_EQ(t, conf_ncap(sys, conf), MXP_CAPTURE_MAX_RUNNING);
	MXP_CHECK_EQ(t, mxp_conf_capture_stop(sys, 0, err, sizeof(err)), 0);
	MXP_CHECK_EQ(t, conf_ncap(sys, conf), 0);
	MXP_CHECK_EQ(t, mxp_conf_capture_stop(sys, 12345, err, sizeof(err)), -ENOENT);
	for (unsigned int i = 0; i < RTE_DIM(paths); i++)
		unlink(paths[i]);
	mxp_conf_sys_destroy(sys);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(leg_in_and_out),
	MXP_CASE(bounds_and_conference),
	MXP_CASE(target_gone),
	MXP_CASE(refusals),
};

int
main(int argc, char **argv)
{
	(void)peer_init, (void)peer_fini, (void)conf_key; /* conf_test_util.h's SRTP part */
	if (mxp_test_eal_init(argv[0]) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	hdr_pool = rte_pktmbuf_pool_create("test_hdr", 4095, 0, 0, 256, 0);
	if (pool == NULL || hdr_pool == NULL)
		return 1;
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
