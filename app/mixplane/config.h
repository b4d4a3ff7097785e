/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's configuration: what config.c reads from the INI file. One table of keys in
 * config.c drives parsing, validation, defaults and the reference (mixplane
 * --config-reference, pasted into doc/configuration.md).
 */
#ifndef MXP_CONFIG_H
#define MXP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>

#include "mxp_pkt.h"

#define MXP_MAX_PORTS 16
#define MXP_MAX_WORKERS 64

/** [portN]: one port. */
struct mxp_port_cfg {
	char section[32];        /**< "port0" */
	char device[256];        /**< PCI address or vdev string */
	bool has_ip4, has_ip6, has_gw4, has_gw6, has_mac;
	struct mxp_ip ip4, ip6, gw4, gw6;
	uint8_t plen4, plen6;
	uint16_t mtu;
	struct rte_ether_addr mac;
};

/**
 * [mp]: the Mp control interface (H.248 over ESP), and [esp]: its ESP (sa_file,
 * esp_backend, allow_plaintext; the file spells them [esp] sa_file, backend,
 * allow_plaintext_mp, or, deprecated, in [mp]).
 */
struct mxp_mp_cfg {
	bool enabled;            /**< the section is present (and enabled is not no) */
	char sa_file[4096];      /**< lib/esp key file: "sa" and "peer" lines */
	bool allow_plaintext;    /**< lab only: accept Mp in the clear from policy peers */
	bool has_mrfc;
	struct mxp_ip mrfc;      /**< where ServiceChange and Notify go */
	uint16_t mrfc_port;
	int8_t compact;          /**< replies: 1 compact, 0 long tokens, -1 as the request */
	int8_t profile;          /**< enum mxp_mrfp_profile: 0 3GPP (TS 29.333), 1 mxp/1 */
	char profile_name[80];   /**< "NAME/VERSION" the 3GPP profile is announced as; "": built-in */
	bool generate_keys;      /**< make the Local key when an Add's Local has no a=crypto */
	char esp_backend[16];    /**< "ipsec-mb" or "openssl" */
	uint32_t afthresh;       /**< authentication failures before mxp/authfail is notified */
	uint32_t keylimit_percent; /**< mxp/keylimit soft notification, % of a key's limit */
	uint32_t reply_cache;    /**< reply cache entries */
	uint32_t reply_cache_mb; /**< reply cache bytes, MiB */
	uint32_t reply_ttl_ms;   /**< how long replies are kept (H.248 LONG-TIMER) */
	uint32_t ocp_high_pct, ocp_low_pct, ocp_busy_pct; /**< overload marks (H.248.11) */
	uint32_t pending_ms;     /**< TransactionPending once a transaction takes this long */
	uint32_t retx_initial_ms, retx_max_ms, retx_giveup_ms; /**< our requests' timers */
	uint32_t event_poll_ms;  /**< how often legs are checked for requested events */
	int8_t transport;        /**< MXP_MP_TRANSPORT_*: UDP 2944 or SCTP (H.248.4) */
};

enum { MXP_MP_TRANSPORT_UDP = 0, MXP_MP_TRANSPORT_SCTP = 1 };

/** [metrics]: the Prometheus endpoint (metrics.c). */
struct mxp_metrics_cfg {
	bool enabled;            /**< listen was given */
	char listen[64];         /**< "ADDR:PORT" as written */
	struct mxp_ip addr;
	uint16_t port;
};

struct mxp_cfg {
	char path[4096];
	char socket[108];        /**< control socket path (sun_path size) */
	/** codec plugins: shared libraries loaded at start (absolute paths) */
	char codec_plugins[2][256];
	unsigned int nb_codec_plugins;
	unsigned int worker_lcores[MXP_MAX_WORKERS];
	unsigned int nb_worker_lcores;   /**< 0: every EAL lcore except the main one */
	uint32_t mbufs;
	uint32_t mbuf_cache;
	uint32_t mbuf_size;      /**< data room of each mbuf (bytes after the headroom) */
	uint16_t rx_desc;
	uint16_t tx_desc;
	uint32_t ctl_ring;
	uint32_t log_level;      /**< RTE_LOG_* */
	uint16_t media_port_min; /**< [media] port_min */
	uint16_t media_port_max; /**< [media] port_max */
	uint32_t hdr_mbufs;      /**< [media] header_mbufs: per-receiver header buffers */
	int opus_complexity;     /**< [media] opus_complexity 0-10, -1: libopus's default */
	char tone_country[8];    /**< [media] tone_country: the tone set (lib/media tone.c) */
	char announcement_dir[256]; /**< [media] announcement_dir, "" = none */
	/** [media] announcement_preload: names in announcement_dir or `*`, "" = none */
	char announcement_preload[1024];
	char recording_dir[120]; /**< [media] recording_dir, "" = none (lib/conf conf_record.c) */
	struct mxp_port_cfg ports[MXP_MAX_PORTS];
	unsigned int nb_ports;
	struct mxp_mp_cfg mp;
	struct mxp_metrics_cfg metrics;
};

/**
 * Load and validate a configuration file. Needs no EAL.
 *
 * @param path the INI file
 * @param cfg filled with the file's values and the defaults of the keys it does not give
 * @param err on error, a message naming the file, the line, the section, the key, what is
 *	wrong and what is allowed
 * @param errlen size of err
 * @return 0; -EINVAL for a file that is not valid; -errno when it cannot be read;
 *	-ENOMEM. Warnings (deprecated spellings) go to stderr, one line each.
 */
int mxp_cfg_load(const char *path, struct mxp_cfg *cfg, char *err, size_t errlen);

/**
 * Print the reference of every section and key (Markdown: a heading, a paragraph and a
 * table per section), as doc/configuration.md carries it between its "generated" markers.
 * Needs no EAL.
 */
void mxp_cfg_reference(FILE *f);

#endif
