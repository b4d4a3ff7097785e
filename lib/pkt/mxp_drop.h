/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Drop reasons: every packet mixplane does not deliver is counted under exactly one
 * of these. The table is shared by the parser, the workers, the CLI (`show drops`)
 * and telemetry (`/mixplane/drops`). Add new reasons at the end of their group.
 */
#ifndef MXP_DROP_H
#define MXP_DROP_H

/* X(ENUM_SUFFIX, "name", "description") */
#define MXP_DROP_REASONS(X) \
	X(RUNT, "runt", "frame shorter than an Ethernet header") \
	X(L2_NOT_FOR_US, "l2_not_for_us", "destination MAC is neither ours, broadcast nor a multicast we listen to") \
	X(L2_ETHERTYPE, "l2_ethertype", "EtherType not handled (VLAN tags, LLDP, ...)") \
	X(L2_SEGMENTED, "l2_segmented", "frame spans several mbufs (bigger than one buffer)") \
	X(ARP_MALFORMED, "arp_malformed", "ARP packet truncated or not Ethernet/IPv4") \
	X(ARP_NOT_FOR_US, "arp_not_for_us", "ARP for an address that is not ours") \
	X(IPV4_MALFORMED, "ipv4_malformed", "IPv4 header truncated, bad version, IHL or total length") \
	X(IPV4_CHECKSUM, "ipv4_checksum", "IPv4 header checksum wrong") \
	X(IPV4_FRAGMENT, "ipv4_fragment", "IPv4 fragment (not reassembled)") \
	X(IPV6_MALFORMED, "ipv6_malformed", "IPv6 header or extension header truncated or inconsistent") \
	X(IPV6_FRAGMENT, "ipv6_fragment", "IPv6 fragment (not reassembled)") \
	X(IP_NOT_FOR_US, "ip_not_for_us", "destination IP address is not one of ours") \
	X(IP_PROTO, "ip_proto", "IP protocol not handled (TCP, SCTP, ...)") \
	X(ICMP_MALFORMED, "icmp_malformed", "ICMP/ICMPv6 message truncated") \
	X(ICMP_CHECKSUM, "icmp_checksum", "ICMP/ICMPv6 checksum wrong") \
	X(ICMP_TYPE, "icmp_type", "ICMP/ICMPv6 type not handled") \
	X(ND_MALFORMED, "nd_malformed", "IPv6 neighbour discovery message invalid (RFC 4861 checks)") \
	X(UDP_MALFORMED, "udp_malformed", "UDP header truncated or length inconsistent with IP") \
	X(UDP_CHECKSUM, "udp_checksum", "UDP checksum wrong (or zero over IPv6)") \
	X(UDP_NO_LEG, "udp_no_leg", "UDP to a local port that no leg uses") \
	X(CTL_RING_FULL, "ctl_ring_full", "control core busy: control-plane packet ring full") \
	X(CTL_UNHANDLED, "ctl_unhandled", "control-plane packet (ESP, UDP 4500, Mp) but no control plane accepts it") \
	X(NEIGH_UNRESOLVED, "neigh_unresolved", "next hop did not answer ARP / neighbour solicitation") \
	X(NEIGH_QUEUE_FULL, "neigh_queue_full", "too many packets waiting for the same next hop to resolve") \
	X(TX_FULL, "tx_full", "transmit queue full") \
	X(PORT_FAULT, "port_fault", "the port's driver faulted in a burst (DPDK 22.11 memif: the peer went away mid-burst); the burst is lost, the worker goes on") \
	X(NO_MBUF, "no_mbuf", "mbuf pool exhausted") \
	X(SHUTDOWN, "shutdown", "daemon shutting down") \
	X(RTP_TRUNCATED, "rtp_truncated", "RTP/RTCP shorter than its fixed header") \
	X(RTP_VERSION, "rtp_version", "RTP/RTCP version is not 2") \
	X(RTP_CSRC, "rtp_csrc", "RTP CSRC list runs past the end of the packet") \
	X(RTP_EXT, "rtp_ext", "RTP header extension runs past the end of the packet") \
	X(RTP_PADDING, "rtp_padding", "RTP padding count zero or longer than the payload") \
	X(RTP_PAYLOAD_TYPE, "rtp_payload_type", "RTP payload type not configured for the leg") \
	X(SOURCE_MISMATCH, "source_mismatch", "from an address other than the leg's remote, and not authenticated") \
	X(LEG_NOT_SENDING, "leg_not_sending", "media from a leg whose stream mode is recvonly or inactive") \
	X(SSRC_COLLISION, "ssrc_collision", "SSRC already used by another stream under the same key") \
	X(SRTP_AUTH, "srtp_auth", "SRTP/SRTCP authentication tag does not match") \
	X(SRTP_REPLAY, "srtp_replay", "SRTP/SRTCP packet index already received") \
	X(SRTP_TOO_OLD, "srtp_too_old", "SRTP/SRTCP packet index behind the replay window") \
	X(SRTP_UNKNOWN_MKI, "srtp_unknown_mki", "MKI matches none of the leg's keys") \
	X(SRTP_KEY_EXHAUSTED, "srtp_key_exhausted", "master key reached its usage limit") \
	X(SRTP_SSRC, "srtp_ssrc", "SSRC differs from the leg's stream") \
	X(SRTP_BAD_HEADER, "srtp_bad_header", "SRTP/SRTCP packet shorter than header and trailer") \
	X(SRTP_OTHER, "srtp_other", "SRTP context without key or other SRTP failure") \
	X(SRTP_PROTECT, "srtp_protect", "outbound SRTP failed (key exhausted, no room)") \
	X(HANDOFF_FULL, "handoff_full", "ring to the worker owning the leg is full")

enum mxp_drop {
	MXP_DROP_NONE = 0,
#define MXP_DROP_ENUM_(e, n, d) MXP_DROP_##e,
	MXP_DROP_REASONS(MXP_DROP_ENUM_)
#undef MXP_DROP_ENUM_
	MXP_DROP_MAX
};

/** Short lower-case name of a drop reason ("ipv4_checksum"), "none" or "unknown". */
const char *mxp_drop_name(enum mxp_drop d);

/** One-line description of a drop reason. */
const char *mxp_drop_desc(enum mxp_drop d);

#endif
