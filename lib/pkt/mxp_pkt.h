/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Packet parsing and building: Ethernet, ARP, IPv4, IPv6 (with extension headers),
 * ICMP, ICMPv6 (echo, neighbour discovery) and UDP.
 *
 * Addresses (struct mxp_ip), big-endian helpers and checksums are lib/common's (mxp_ip.h,
 * mxp_be.h, mxp_cksum.h). Parsers work on a flat buffer (the first mbuf segment) so that
 * fuzzers and tools need no EAL. They never read outside [frame, frame + len) and they validate every
 * length and checksum before a caller may trust a field. RTP/RTCP are in mxp_rtp.h.
 */
#ifndef MXP_PKT_H
#define MXP_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "mxp_be.h"
#include "mxp_cksum.h"
#include "mxp_drop.h"
#include "mxp_ip.h"

/** What a parsed frame is. */
enum mxp_pkt_kind {
	MXP_PKT_DROP = 0, /**< see mxp_pkt_meta.drop */
	MXP_PKT_ARP,
	MXP_PKT_ICMP4,
	MXP_PKT_ICMP6,
	MXP_PKT_UDP,
	MXP_PKT_ESP,      /**< IP protocol 50 */
};

/** Result of mxp_pkt_parse(). Offsets are from the start of the frame. */
struct mxp_pkt_meta {
	uint16_t l2_len;   /**< Ethernet header */
	uint16_t l3_len;   /**< IP header including IPv6 extension headers */
	uint16_t l4_len;   /**< UDP: 8; ICMP/ESP: 0 */
	uint16_t l4_payload_len; /**< bytes after l2+l3+l4, trailing Ethernet padding excluded */
	uint8_t kind;      /**< enum mxp_pkt_kind */
	uint8_t drop;      /**< enum mxp_drop when kind == MXP_PKT_DROP */
	uint8_t proto;     /**< IP protocol of the payload */
	uint8_t hop_limit; /**< IPv4 TTL / IPv6 hop limit */
	uint16_t sport;    /**< UDP source port, host order */
	uint16_t dport;    /**< UDP destination port, host order */
	struct mxp_ip src;
	struct mxp_ip dst;
};

/** Checks the caller (or the NIC) already did; set from mbuf offload flags. */
#define MXP_PKT_L3_CKSUM_GOOD 0x1
#define MXP_PKT_L4_CKSUM_GOOD 0x2

/**
 * Parse a frame down to its L4 payload and validate it.
 *
 * @param frame  first byte of the Ethernet header
 * @param len    bytes available at frame
 * @param flags  MXP_PKT_*_CKSUM_GOOD: skip checksum checks the hardware already did
 * @param m      filled with offsets, addresses and ports; m->drop says why on failure
 * @return the packet kind; MXP_PKT_DROP with m->drop set when the frame is invalid or
 *         of a kind mixplane does not handle. For MXP_DROP_IPV4_FRAGMENT and
 *         MXP_DROP_IPV6_FRAGMENT, src, dst and l3_len (up to the fragment header) are set.
 */
enum mxp_pkt_kind mxp_pkt_parse(const uint8_t *frame, uint32_t len, unsigned int flags,
				struct mxp_pkt_meta *m);

/** IPv6 link-local address fe80::/64 with the modified EUI-64 of mac (RFC 4291 2.5.1). */
struct mxp_ip mxp_ip6_link_local(const struct rte_ether_addr *mac);

/** Solicited-node multicast address ff02::1:ffXX:XXXX of ip (RFC 4291 2.7.1). */
struct mxp_ip mxp_ip6_solicited_node(const struct mxp_ip *ip);

/** Ethernet multicast address 33:33:xx:xx:xx:xx of an IPv6 multicast address. */
void mxp_ether_ip6_mcast(const struct mxp_ip *ip, struct rte_ether_addr *mac);

/* ---- in-place replies ------------------------------------------------------------- */

/**
 * Turn a parsed ARP request for our address into the reply, in place.
 * Returns the frame length to send.
 */
uint32_t mxp_pkt_arp_reply(uint8_t *frame, const struct rte_ether_addr *our_mac);

/**
 * Turn a parsed ICMP echo request into the echo reply in place (swap addresses,
 * fix checksums incrementally). Returns the frame length to send, or 0 when the
 * message is not an echo request.
 */
uint32_t mxp_pkt_icmp4_echo_reply(uint8_t *frame, const struct mxp_pkt_meta *m);

/** Same for ICMPv6 echo (type 128 → 129). Returns 0 when not an echo request. */
uint32_t mxp_pkt_icmp6_echo_reply(uint8_t *frame, const struct mxp_pkt_meta *m);

/* ---- neighbour discovery -------------------------------------------------------------- */

/** ICMPv6 types mixplane handles. */
#define MXP_ICMP6_ECHO_REQUEST 128
#define MXP_ICMP6_ECHO_REPLY 129
#define MXP_ICMP6_NS 135
#define MXP_ICMP6_NA 136

/** What a valid NS or NA says. */
struct mxp_nd_info {
	uint8_t type;               /**< MXP_ICMP6_NS or MXP_ICMP6_NA */
	bool has_lladdr;            /**< source (NS) or target (NA) link-layer option present */
	bool solicited;             /**< NA S flag */
	bool override;              /**< NA O flag */
	struct mxp_ip target;
	struct rte_ether_addr lladdr;
};

/**
 * Validate an NS or NA per RFC 4861 7.1.1/7.1.2 (hop limit 255, code 0, length,
 * target not multicast, options well formed) and extract its content.
 * Returns 0 or MXP_DROP_ND_MALFORMED.
 */
enum mxp_drop mxp_pkt_nd_parse(const uint8_t *frame, const struct mxp_pkt_meta *m,
			       struct mxp_nd_info *nd);

/** Worst-case frame lengths of the builders below (buffers must hold this much). */
#define MXP_PKT_ARP_LEN 60
#define MXP_PKT_ND_LEN 86

/**
 * Build an ARP request (who has target? tell src_ip) into frame.
 * Returns the frame length.
 */
uint32_t mxp_pkt_build_arp_request(uint8_t *frame, const struct rte_ether_addr *src_mac,
				   uint32_t src_ip, uint32_t target_ip);

/**
 * Build an ARP reply from us (mac, ip) to dst_mac/dst_ip into frame.
 * Returns the frame length.
 */
uint32_t mxp_pkt_build_arp_reply(uint8_t *frame, const struct rte_ether_addr *mac, uint32_t ip,
				 const struct rte_ether_addr *dst_mac, uint32_t dst_ip);

/**
 * Build a neighbour solicitation for target from src (our address) with our MAC in
 * the source link-layer option, to the target's solicited-node multicast group.
 */
uint32_t mxp_pkt_build_ns(uint8_t *frame, const struct rte_ether_addr *mac,
			  const struct mxp_ip *src, const struct mxp_ip *target);

/**
 * Build a neighbour advertisement for target (ours), solicited by dst/dst_mac, with
 * the target link-layer option. solicited=false sends it to all-nodes (unsolicited).
 */
uint32_t mxp_pkt_build_na(uint8_t *frame, const struct rte_ether_addr *mac,
			  const struct mxp_ip *target, const struct mxp_ip *dst,
			  const struct rte_ether_addr *dst_mac, bool solicited);

/* ---- UDP headers ------------------------------------------------------------------ */

/** A UDP flow's addressing, as needed to build its Ethernet/IP/UDP header. */
struct mxp_pkt_udp_addr {
	struct rte_ether_addr src_mac;
	struct rte_ether_addr dst_mac;
	struct mxp_ip src;
	struct mxp_ip dst;
	uint16_t sport;   /**< host order */
	uint16_t dport;   /**< host order */
};

/** Length of the Ethernet+IP+UDP header for this family (42 or 62). */
static inline uint16_t
mxp_pkt_udp_hdr_len(uint8_t af)
{
	return af == AF_INET ? 14 + 20 + 8 : 14 + 40 + 8;
}

/** How many packets of a received burst ahead of the one being parsed to prefetch. */
#define MXP_PKT_PREFETCH_AHEAD 4

/**
 * Prefetch what mxp_pkt_parse() will read of a received frame: the headers and, since it
 * verifies the UDP checksum in software, the payload of a voice packet (up to 256 bytes).
 * A NIC leaves the frame in the last-level cache at best; loading its lines one after the
 * other while summing costs more than the checksum itself.
 */
static inline void
mxp_pkt_prefetch(const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m);
	rte_prefetch0(p);
	for (uint32_t off = RTE_CACHE_LINE_SIZE; off < len && off < 256; off += RTE_CACHE_LINE_SIZE)
		rte_prefetch0(p + off);
}

/**
 * Sum of a payload for mxp_pkt_build_udp(): the 16-bit one's complement sum (not
 * inverted) of the bytes. A payload shared by many receivers is summed once.
 */
uint16_t mxp_pkt_payload_sum(const void *payload, uint16_t len);

/**
 * Write the Ethernet, IP and UDP headers of a datagram of payload_len bytes into hdr,
 * with the IP header checksum and the UDP checksum (from payload_sum, see
 * mxp_pkt_payload_sum(); the payload itself is not read, so it may live in another
 * mbuf shared by many receivers).
 *
 * @return the header length (mxp_pkt_udp_hdr_len())
 */
uint16_t mxp_pkt_build_udp(uint8_t *hdr, const struct mxp_pkt_udp_addr *a, uint16_t payload_len,
			   uint16_t payload_sum);

/**
 * A prepared Ethernet/IP/UDP header for one flow: everything but the destination MAC,
 * the lengths and the checksums, plus the partial sums that make writing a header a copy
 * and two additions. Replication writes one per receiver.
 */
struct mxp_pkt_udp_tmpl {
	uint8_t hdr[62];
	uint8_t len;       /**< 42 (IPv4) or 62 (IPv6) */
	uint8_t af;
	uint32_t ip_sum;   /**< IPv4 header sum without total length and checksum */
	uint32_t udp_sum;  /**< pseudo-header (without length) + ports */
};

/** Prepare a template from a flow's addressing (a->dst_mac is not used). */
void mxp_pkt_udp_tmpl_init(struct mxp_pkt_udp_tmpl *t, const struct mxp_pkt_udp_addr *a);

/**
 * Write a header from a template: t->len bytes at hdr, for a payload of payload_len
 * bytes whose sum is payload_sum (mxp_pkt_payload_sum()).
 */
void mxp_pkt_udp_tmpl_write(const struct mxp_pkt_udp_tmpl *t, uint8_t *hdr,
			    const struct rte_ether_addr *dst_mac, uint16_t payload_len,
			    uint16_t payload_sum);

/** Store the next hop's MAC in a template, for mxp_pkt_udp_tmpl_put(). */
static inline void
mxp_pkt_udp_tmpl_set_mac(struct mxp_pkt_udp_tmpl *t, const struct rte_ether_addr *dst_mac)
{
	memcpy(t->hdr, dst_mac, 6);
}

/**
 * Write a header from a template that holds the destination MAC already
 * (mxp_pkt_udp_tmpl_set_mac()): a fixed-size copy and two checksum additions, the step
 * replication repeats for every receiver. Same result as mxp_pkt_udp_tmpl_write().
 */
static inline void
mxp_pkt_udp_tmpl_put(const struct mxp_pkt_udp_tmpl *t, uint8_t *hdr, uint16_t payload_len,
		     uint16_t payload_sum)
{
	uint16_t ulen = (uint16_t)(8 + payload_len);
	uint8_t *udp;
	uint32_t s;

	if (t->af == AF_INET) {
		memcpy(hdr, t->hdr, 42);
		uint16_t tot = (uint16_t)(20 + ulen);
		mxp_be_wr16(hdr + 14 + 2, tot);
		s = t->ip_sum + tot;
		s = (s & 0xffff) + (s >> 16);
		s = (s & 0xffff) + (s >> 16);
		mxp_be_wr16(hdr + 14 + 10, (uint16_t)~s);
		udp = hdr + 14 + 20;
	} else {
		memcpy(hdr, t->hdr, 62);
		mxp_be_wr16(hdr + 14 + 4, ulen);
		udp = hdr + 14 + 40;
	}
	mxp_be_wr16(udp + 4, ulen);
	/* pseudo-header length + UDP length field + payload */
	s = t->udp_sum + 2u * ulen + payload_sum;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	uint16_t ck = (uint16_t)~s;
	mxp_be_wr16(udp + 6, ck == 0 ? 0xffff : ck);
}

#endif
