/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtp-pcap: locate the UDP payload of a captured frame and rewrite the frame after the
 * payload changed length (IPv4/IPv6 lengths, IPv4 header checksum, UDP length and
 * checksum).
 */
#ifndef SRTP_PCAP_PKT_H
#define SRTP_PCAP_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mxp_ip.h"

/** Where the layers of one frame are. */
struct frame {
	int ipv;              /* 4 or 6 */
	size_t l3;            /* offset of the IP header */
	size_t l4;            /* offset of the UDP header */
	size_t payload;       /* offset of the UDP payload */
	size_t payload_len;
	struct mxp_ip src, dst;
	uint16_t sport, dport;
};

/** Link types srtp-pcap understands (pcap DLT values). */
bool frame_linktype_supported(int dlt);

/**
 * Parse a frame down to UDP. Returns 1 for a UDP datagram (fills @p f), 0 for anything
 * else (not IP, not UDP, fragment, inconsistent lengths).
 */
int frame_parse(int dlt, const uint8_t *pkt, size_t caplen, struct frame *f);

/**
 * The UDP payload at f->payload changed length from f->payload_len to @p new_len (the
 * caller moved the bytes that follow, if any): fix the IP and UDP lengths and checksums.
 * Returns the new frame length.
 */
size_t frame_fix(uint8_t *pkt, size_t caplen, const struct frame *f, size_t new_len);


#endif
