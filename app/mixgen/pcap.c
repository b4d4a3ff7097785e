/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --pcap-out: the scenario's streams as a classic pcap file (Ethernet), for replay with
 * Pktgen-DPDK (-s P:FILE) or tcpreplay. The packets are exactly what mixgen would send:
 * addressed to the daemon's MAC, address and leg ports, SRTP-protected with the keys the
 * daemon was given (plain RTP with --plain legs), sequence numbers, timestamps and SRTP
 * indexes running on through the whole file. Packet k goes out at k / rate seconds (the
 * realtime schedule unless --rate PPS); the probe's send time is 0 (meaningless on replay).
 *
 * A replayed SRTP capture is accepted once: the second pass repeats every SRTP index and
 * the daemon's replay protection drops it (doc/benchmarking.md, "Pktgen").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mixgen.h"

static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* pcap headers are in the writer's byte order */
}

int
mg_pcap_write(struct mg *m, const char *path, double seconds, uint64_t packets, char *err,
	      size_t errlen)
{
	bool plain = m->o.plain;
	double pps = m->o.rate == MG_RATE_PPS ? m->o.pps : m->nsenders * 1000.0 / m->o.ptime_ms;
	uint64_t total = packets ? packets : (uint64_t)(seconds * pps);
	seconds = (double)total / pps;
	if (m->nsenders == 0 || total == 0)
		return MG_ERR(err, errlen, "--pcap-out: the scenario has no sender");
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return MG_ERR(err, errlen, "--pcap-out %s: %s", path, strerror(errno));
	uint8_t gh[24];
	put32(gh, 0xa1b2c3d4);
	gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0; /* version 2.4 (host order shorts) */
	uint16_t v2 = 2, v4 = 4;
	memcpy(gh + 4, &v2, 2);
	memcpy(gh + 6, &v4, 2);
	put32(gh + 8, 0);
	put32(gh + 12, 0);
	put32(gh + 16, 65535);
	put32(gh + 20, 1); /* LINKTYPE_ETHERNET */
	bool ok = fwrite(gh, 1, sizeof(gh), f) == sizeof(gh);
	uint8_t frame[2048], rh[16];
	uint64_t bytes = 0;
	for (uint64_t k = 0; ok && k < total; k++) {
		struct mg_part *p = &m->parts[m->senders[k % m->nsenders]];
		uint32_t len = mg_gen_frame(m, p, frame, sizeof(frame), 0, false);
		if (len == 0) {
			fclose(f);
			return MG_ERR(err, errlen, "--pcap-out: building packet %lu failed",
				      (unsigned long)k);
		}
		double t = (double)k / pps;
		put32(rh, (uint32_t)t);
		put32(rh + 4, (uint32_t)((t - (uint32_t)t) * 1e6));
		put32(rh + 8, len);
		put32(rh + 12, len);
		ok = fwrite(rh, 1, 16, f) == 16 && fwrite(frame, 1, len, f) == len;
		bytes += len;
	}
	if (fclose(f) != 0 || !ok)
		return MG_ERR(err, errlen, "--pcap-out %s: write failed", path);
	if (!plain && total < 24576)
		fprintf(stderr, "mixgen: note: Pktgen-DPDK 23.06 repeats a pcap of fewer than 24576 "
				"packets to fill its pool: every repeat is an SRTP replay the daemon drops\n");
	if (!m->o.quiet)
		fprintf(stderr, "mixgen: wrote %lu packets (%.1f s at %.0f pps, %lu bytes of frames) "
				"to %s%s\n",
			(unsigned long)total, seconds, pps, (unsigned long)bytes, path,
			plain ? " (plain RTP)" : "");
	return 0;
}
