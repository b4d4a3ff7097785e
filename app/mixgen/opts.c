/* SPDX-License-Identifier: BSD-3-Clause */
/* mixgen command line (after the EAL arguments and "--"). See doc/mixgen.md. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mixgen.h"

void
mg_usage(FILE *f)
{
	fprintf(f,
		"usage: mixgen [EAL options] -- [options]\n"
		"Plays conference participants against mixplane and checks what comes back.\n"
		"\n"
		"Port:\n"
		"  --port DEV            ethdev name or devargs to probe (default: the first port EAL\n"
		"                        created, e.g. with --vdev=net_memif0,role=client,socket=PATH)\n"
		"  --ip ADDR/PLEN        the participants' IPv4 address (198.18.0.100/24)\n"
		"  --gateway ADDR        next hop towards the daemon when it is not on-link\n"
		"  --udp-base PORT       first participant RTP port (40000); participant i uses +2i\n"
		"  --link-timeout S      give up when the link is not up after S seconds (10)\n"
		"  --mbufs N             packet buffers (65535)\n"
		"Setup (conferences and keys):\n"
		"  --ctl mixplanectl     set up through the lab CLI (default)\n"
		"  --legs FILE           play legs somebody else set up (mrfc --keys-out FILE: its\n"
		"                        participant key file); new keys in the file during the\n"
		"                        run are taken (rekey)\n"
		"  --ctl none            set nothing up: send to --peer ADDR, ports from\n"
		"                        --peer-port PORT (20000), MAC --peer-mac (else ARP); for\n"
		"                        generator speed runs (--vdev net_null0 --gen-only)\n"
		"  -s, --socket PATH     the daemon's control socket (default: $MIXPLANE_SOCKET, else\n"
		"                        /run/mixplane/mixplane.sock, as mixplanectl)\n"
		"  --mixplanectl PATH    run this CLI for each command instead of speaking to the\n"
		"                        socket directly\n"
		"  --keys-dir DIR        also write every key sent to a file there (0600); default:\n"
		"                        keys are kept in memory only\n"
		"  --keep                leave the conferences in the daemon at the end\n"
		"  --mki                 keys carry a 4-byte MKI (1, then 2 after a rekey)\n"
		"  --rekey-at S          S seconds into the run, give every leg new keys both ways\n"
		"                        (MKI 2): add them, switch the participants, then the\n"
		"                        daemon's output, remove the old ones; checks no packet is\n"
		"                        lost across it (implies --mki)\n"
		"Scenario:\n"
		"  --confs M             conferences (1)\n"
		"  --participants N      participants per conference (3)\n"
		"  --senders K           the first K of each conference talk, the others listen (all)\n"
		"  --mode MODE           switch, forward or mix (switch)\n"
		"  --keys individual|group  mixer keys: one per leg, or one per conference (individual;\n"
		"                        forward mode always uses one conference key)\n"
		"  --topn N              switch: forward the N loudest (0 = all)\n"
		"  --plain               plain RTP legs without SRTP (lab: the crypto-free baseline,\n"
		"                        and Pktgen captures that may be replayed)\n"
		"Media:\n"
		"  --audio tone|pattern|FILE.wav  what participants say (tone: each its own frequency)\n"
		"  --codec pcmu|pcma     (pcmu)\n"
		"  --ptime MS            packet time (20)\n"
		"  --size BYTES          --audio pattern: SRTP packet size, UDP payload (172)\n"
		"  --tone-base HZ, --tone-step HZ   participant i's tone: base + i*step (400, 100)\n"
		"  --no-probe            no probe header extension (no per-packet latency, no sender\n"
		"                        identification except by spectrum)\n"
		"  --probe-ext-id N      RFC 8285 one-byte extension id of the probe (7)\n"
		"Rate:\n"
		"  --rate realtime|PPS|max  realtime: one packet per ptime per sender; PPS: that many\n"
		"                        packets per second in total; max: as fast as possible\n"
		"  --duration S          seconds of sending (5)\n"
		"  --drain S             keep receiving after the last packet (0.3)\n"
		"Analysis:\n"
		"  --check full|sample[:N]  validate (checksums), authenticate and decrypt every\n"
		"                        packet (full), or the first and 1 in N of each stream and\n"
		"                        count the rest by their headers (sample:16)\n"
		"  --wav-dir DIR         write what each participant heard to DIR/<label>.wav\n"
		"  --wav-seconds S       longest recording (30)\n"
		"Zero-loss throughput search (RFC 2544 style):\n"
		"  --search              binary search of the highest offered rate without loss\n"
		"  --search-max PPS      upper bound (default: as fast as the generator goes)\n"
		"  --search-min PPS      lower bound (1000)\n"
		"  --resolution R        stop when the interval is below R times the rate (0.01)\n"
		"  --trial S             seconds per trial (2)\n"
		"  --loss-tolerance R    accepted loss ratio of a trial (0)\n"
		"Output:\n"
		"  --json FILE           also write the final JSON line to FILE\n"
		"  --pcap-out FILE       write S seconds of the scenario's streams as a pcap and exit\n"
		"  --pcap-seconds S      (10)\n"
		"  --pcap-packets N      exactly N packets instead (Pktgen repeats a pcap of fewer\n"
		"                        than 24576 packets inside its pool: see doc/benchmarking.md)\n"
		"  --keys-out FILE       the participants' keys and legs (0600), mrfc's participant\n"
		"                        key file format: to decrypt a capture or a --pcap-out file\n"
		"  --quiet               no progress line, no table (JSON line only)\n"
		"  --no-progress         no live progress line\n"
		"  --table-all           one table row per participant even for large scenarios\n"
		"Threads:\n"
		"  --tx-lcore N, --rx-lcore N  run the generator and the analyser on these lcores\n"
		"                        (default: both on the main lcore, or on the first worker)\n"
		"  --gen-only            generate only (generator speed; nothing is received)\n"
		"Faults (tests):\n"
		"  --fault wrong-tx-key|wrong-rx-key  use another key than the daemon was given\n"
		"Network impairment of what mixgen sends (user-space netem, seeded):\n"
		"  --impair SPEC         comma-separated: loss=P, dup=P, reorder=P (P: 0.01 or 1%%),\n"
		"                        delay=MS, jitter=MS (each packet waits delay +- jitter),\n"
		"                        reorder-ms=MS (a reordered packet's extra wait; 1.5 x\n"
		"                        ptime), seed=N (1); e.g. loss=1%%,reorder=5%%,delay=20,\n"
		"                        jitter=20,dup=0.5%%. Dropped packets and duplicate copies\n"
		"                        are counted apart from what was sent (doc/mixgen.md)\n"
		"  --impair-queue N      packets the delay queue holds (65536)\n"
		"Hostile traffic beside the participants' (overload and abuse tests):\n"
		"  --flood SPEC          rate=PPS|max (required), kinds=forged+replay+malformed+\n"
		"                        rtcp+unknown (all), seed=N (1): packets aimed at the legs\n"
		"                        that the daemon must refuse, each under its drop reason;\n"
		"                        the run checks the daemon's counters against what was\n"
		"                        sent (doc/mixgen.md)\n"
		"\n"
		"Exit status: 0 every check passed, 1 a check failed, 2 setup error (arguments, daemon,\n"
		"port, keys).\n");
}

enum {
	O_PORT = 256, O_IP, O_GATEWAY, O_UDP_BASE, O_LINK_TIMEOUT, O_MBUFS, O_CTL, O_MIXPLANECTL,
	O_KEYS_DIR, O_KEEP, O_CONFS, O_PARTS, O_SENDERS, O_MODE, O_KEYS, O_TOPN, O_AUDIO,
	O_CODEC, O_PTIME, O_SIZE, O_TONE_BASE, O_TONE_STEP, O_NO_PROBE, O_PROBE_EXT, O_RATE,
	O_DURATION, O_DRAIN, O_CHECK, O_WAV_DIR, O_WAV_SECONDS, O_SEARCH, O_SEARCH_MAX,
	O_SEARCH_MIN, O_RES, O_TRIAL, O_LOSS_TOL, O_JSON, O_PCAP_OUT, O_PCAP_SECONDS,
	O_PCAP_PACKETS, O_PLAIN, O_MKI, O_REKEY_AT, O_LEGS, O_KEYS_OUT, O_QUIET, O_NO_PROGRESS, O_TABLE_ALL, O_TX_LCORE, O_RX_LCORE,
	O_GEN_ONLY, O_FAULT, O_IMPAIR, O_IMPAIR_QUEUE, O_FLOOD, O_HELP, O_PEER, O_PEER_MAC, O_PEER_PORT,
};

static const struct option longopts[] = {
	{ "port", required_argument, NULL, O_PORT },
	{ "ip", required_argument, NULL, O_IP },
	{ "gateway", required_argument, NULL, O_GATEWAY },
	{ "udp-base", required_argument, NULL, O_UDP_BASE },
	{ "link-timeout", required_argument, NULL, O_LINK_TIMEOUT },
	{ "mbufs", required_argument, NULL, O_MBUFS },
	{ "ctl", required_argument, NULL, O_CTL },
	{ "socket", required_argument, NULL, 's' },
	{ "mixplanectl", required_argument, NULL, O_MIXPLANECTL },
	{ "keys-dir", required_argument, NULL, O_KEYS_DIR },
	{ "keep", no_argument, NULL, O_KEEP },
	{ "confs", required_argument, NULL, O_CONFS },
	{ "participants", required_argument, NULL, O_PARTS },
	{ "senders", required_argument, NULL, O_SENDERS },
	{ "mode", required_argument, NULL, O_MODE },
	{ "keys", required_argument, NULL, O_KEYS },
	{ "topn", required_argument, NULL, O_TOPN },
	{ "audio", required_argument, NULL, O_AUDIO },
	{ "codec", required_argument, NULL, O_CODEC },
	{ "ptime", required_argument, NULL, O_PTIME },
	{ "size", required_argument, NULL, O_SIZE },
	{ "tone-base", required_argument, NULL, O_TONE_BASE },
	{ "tone-step", required_argument, NULL, O_TONE_STEP },
	{ "no-probe", no_argument, NULL, O_NO_PROBE },
	{ "probe-ext-id", required_argument, NULL, O_PROBE_EXT },
	{ "rate", required_argument, NULL, O_RATE },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "drain", required_argument, NULL, O_DRAIN },
	{ "check", required_argument, NULL, O_CHECK },
	{ "wav-dir", required_argument, NULL, O_WAV_DIR },
	{ "wav-seconds", required_argument, NULL, O_WAV_SECONDS },
	{ "search", no_argument, NULL, O_SEARCH },
	{ "search-max", required_argument, NULL, O_SEARCH_MAX },
	{ "search-min", required_argument, NULL, O_SEARCH_MIN },
	{ "resolution", required_argument, NULL, O_RES },
	{ "trial", required_argument, NULL, O_TRIAL },
	{ "loss-tolerance", required_argument, NULL, O_LOSS_TOL },
	{ "json", required_argument, NULL, O_JSON },
	{ "pcap-out", required_argument, NULL, O_PCAP_OUT },
	{ "pcap-seconds", required_argument, NULL, O_PCAP_SECONDS },
	{ "pcap-packets", required_argument, NULL, O_PCAP_PACKETS },
	{ "plain", no_argument, NULL, O_PLAIN },
	{ "mki", no_argument, NULL, O_MKI },
	{ "legs", required_argument, NULL, O_LEGS },
	{ "rekey-at", required_argument, NULL, O_REKEY_AT },
	{ "keys-out", required_argument, NULL, O_KEYS_OUT },
	{ "quiet", no_argument, NULL, O_QUIET },
	{ "no-progress", no_argument, NULL, O_NO_PROGRESS },
	{ "table-all", no_argument, NULL, O_TABLE_ALL },
	{ "tx-lcore", required_argument, NULL, O_TX_LCORE },
	{ "rx-lcore", required_argument, NULL, O_RX_LCORE },
	{ "gen-only", no_argument, NULL, O_GEN_ONLY },
	{ "fault", required_argument, NULL, O_FAULT },
	{ "impair", required_argument, NULL, O_IMPAIR },
	{ "impair-queue", required_argument, NULL, O_IMPAIR_QUEUE },
	{ "flood", required_argument, NULL, O_FLOOD },
	{ "help", no_argument, NULL, O_HELP },
	{ "peer", required_argument, NULL, O_PEER },
	{ "peer-mac", required_argument, NULL, O_PEER_MAC },
	{ "peer-port", required_argument, NULL, O_PEER_PORT },
	{ NULL, 0, NULL, 0 },
};

static int
bad(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "mixgen: --%s '%s': expected %s\n", opt, val, want);
	return -EINVAL;
}

static bool
u64_arg(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	errno = 0;
	if (s[0] == '-' || s[0] == '\0')
		return false;
	unsigned long long x = strtoull(s, &end, 10);
	if (errno || *end || x < min || x > max)
		return false;
	*v = x;
	return true;
}

static bool
dbl_arg(const char *s, double min, double max, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (errno || *end || end == s || !isfinite(x) || x < min || x > max)
		return false;
	*v = x;
	return true;
}

/* "1000", "2.5k", "1.2M" packets per second. */
static bool
pps_arg(const char *s, double *v)
{
	char *end;
	errno = 0;
	double x = strtod(s, &end);
	if (errno || end == s || !isfinite(x) || x <= 0)
		return false;
	if (*end == 'k' || *end == 'K')
		x *= 1e3, end++;
	else if (*end == 'm' || *end == 'M')
		x *= 1e6, end++;
	if (*end)
		return false;
	*v = x;
	return true;
}

int
mg_opts_parse(struct mg_opts *o, int argc, char **argv)
{
	uint64_t u;
	double d;

	memset(o, 0, sizeof(*o));
	mxp_ip_parse("198.18.0.100/24", &o->ip, &o->ip_plen);
	o->udp_base = 40000;
	o->link_timeout_ms = 10000;
	o->mbufs = 65535;
	o->impair_queue = 65536;
	o->ctl = "mixplanectl";
	mxp_ip_parse("198.18.0.1", &o->peer, NULL);
	o->peer_port_base = 20000;
	o->confs = 1;
	o->parts = 3;
	o->senders = -1;
	o->mode = MG_SWITCH;
	o->keys = MG_KEYS_INDIVIDUAL;
	o->audio = MG_AUDIO_TONE;
	o->codec = MG_PCMU;
	o->ptime_ms = 20;
	o->size = 172;
	o->tone_base = 400;
	o->tone_step = 100;
	o->probe = true;
	o->probe_ext_id = 7;
	o->rate = MG_RATE_REALTIME;
	o->duration_s = 5;
	o->drain_s = 0.3;
	o->check = MG_CHECK_FULL;
	o->sample = 16;
	o->wav_max_s = 30;
	o->search_min = 1000;
	o->search_res = 0.01;
	o->trial_s = 2;
	o->pcap_s = 10;
	o->progress = true;
	o->tx_lcore = o->rx_lcore = -1;

	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "s:h", longopts, NULL)) != -1) {
		const char *a = optarg;
		const char *name = NULL;
		for (const struct option *lo = longopts; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		switch (c) {
		case O_PORT: o->port = a; break;
		case O_IP:
			if (mxp_ip_parse(a, &o->ip, &o->ip_plen) || o->ip.af != AF_INET)
				return bad(name, a, "an IPv4 address with a prefix, e.g. 198.18.0.100/24");
			if (!strchr(a, '/'))
				o->ip_plen = 24;
			break;
		case O_GATEWAY:
			if (mxp_ip_parse(a, &o->gateway, NULL) || o->gateway.af != AF_INET)
				return bad(name, a, "an IPv4 address");
			break;
		case O_UDP_BASE:
			if (!u64_arg(a, 1024, 65534, &u) || u % 2)
				return bad(name, a, "an even port 1024..65534");
			o->udp_base = (uint16_t)u;
			break;
		case O_LINK_TIMEOUT:
			if (!dbl_arg(a, 0.1, 3600, &d))
				return bad(name, a, "seconds, 0.1..3600");
			o->link_timeout_ms = (uint32_t)(d * 1000);
			break;
		case O_MBUFS:
			if (!u64_arg(a, 1023, 1u << 24, &u))
				return bad(name, a, "1023..16777216");
			o->mbufs = (uint32_t)u;
			break;
		case O_CTL:
			if (mg_ctl_find(a) == NULL)
				return bad(name, a, "mixplanectl or none");
			o->ctl = a;
			break;
		case O_PEER:
			if (mxp_ip_parse(a, &o->peer, NULL) || o->peer.af != AF_INET)
				return bad(name, a, "an IPv4 address");
			break;
		case O_PEER_MAC:
			if (rte_ether_unformat_addr(a, &o->peer_mac) != 0)
				return bad(name, a, "a MAC address");
			o->has_peer_mac = true;
			break;
		case O_PEER_PORT:
			if (!u64_arg(a, 1024, 65534, &u) || u % 2)
				return bad(name, a, "an even port 1024..65534");
			o->peer_port_base = (uint16_t)u;
			break;
		case 's': o->socket = a; break;
		case O_MIXPLANECTL: o->mixplanectl = a; break;
		case O_KEYS_DIR: o->keys_dir = a; break;
		case O_KEEP: o->keep = true; break;
		case O_CONFS:
			if (!u64_arg(a, 1, MG_MAX_CONFS, &u))
				return bad(name, a, "1..1024");
			o->confs = (uint32_t)u;
			break;
		case O_PARTS:
			if (!u64_arg(a, 2, MG_MAX_PARTS, &u))
				return bad(name, a, "2..8192");
			o->parts = (uint32_t)u;
			break;
		case O_SENDERS:
			if (!u64_arg(a, 0, MG_MAX_PARTS, &u))
				return bad(name, a, "0..8192");
			o->senders = (int32_t)u;
			break;
		case O_MODE:
			if (strcmp(a, "switch") == 0)
				o->mode = MG_SWITCH;
			else if (strcmp(a, "forward") == 0)
				o->mode = MG_FORWARD;
			else if (strcmp(a, "mix") == 0)
				o->mode = MG_MIX;
			else
				return bad(name, a, "switch, forward or mix");
			break;
		case O_KEYS:
			if (strcmp(a, "individual") == 0)
				o->keys = MG_KEYS_INDIVIDUAL;
			else if (strcmp(a, "group") == 0)
				o->keys = MG_KEYS_GROUP;
			else
				return bad(name, a, "individual or group");
			break;
		case O_TOPN:
			if (!u64_arg(a, 0, 65535, &u))
				return bad(name, a, "0..65535");
			o->topn = (uint16_t)u;
			break;
		case O_AUDIO:
			if (strcmp(a, "tone") == 0) {
				o->audio = MG_AUDIO_TONE;
			} else if (strcmp(a, "pattern") == 0) {
				o->audio = MG_AUDIO_PATTERN;
			} else {
				o->audio = MG_AUDIO_WAV;
				o->wav_in = a;
			}
			break;
		case O_CODEC:
			if (strcasecmp(a, "pcmu") == 0)
				o->codec = MG_PCMU;
			else if (strcasecmp(a, "pcma") == 0)
				o->codec = MG_PCMA;
			else
				return bad(name, a, "pcmu or pcma");
			break;
		case O_PTIME:
			if (!u64_arg(a, 10, 60, &u) || u % 10)
				return bad(name, a, "10, 20, 30, 40, 50 or 60 (ms)");
			o->ptime_ms = (uint32_t)u;
			break;
		case O_SIZE:
			if (!u64_arg(a, MG_RTP_HDR + MG_EXT_LEN + MG_TAG_LEN + 4, 1400, &u))
				return bad(name, a, "SRTP bytes, 46..1400");
			o->size = (uint32_t)u;
			break;
		case O_TONE_BASE:
			if (!u64_arg(a, 100, 3500, &u))
				return bad(name, a, "100..3500 Hz");
			o->tone_base = (uint32_t)u;
			break;
		case O_TONE_STEP:
			if (!u64_arg(a, 10, 3000, &u))
				return bad(name, a, "10..3000 Hz");
			o->tone_step = (uint32_t)u;
			break;
		case O_NO_PROBE: o->probe = false; break;
		case O_PROBE_EXT:
			if (!u64_arg(a, 1, 14, &u))
				return bad(name, a, "1..14");
			o->probe_ext_id = (uint8_t)u;
			break;
		case O_RATE:
			if (strcmp(a, "realtime") == 0) {
				o->rate = MG_RATE_REALTIME;
			} else if (strcmp(a, "max") == 0) {
				o->rate = MG_RATE_MAX;
			} else if (pps_arg(a, &o->pps)) {
				o->rate = MG_RATE_PPS;
			} else {
				return bad(name, a, "realtime, max or packets per second (e.g. 250k)");
			}
			break;
		case O_DURATION:
			if (!dbl_arg(a, 0.05, 86400, &o->duration_s))
				return bad(name, a, "seconds, 0.05..86400");
			break;
		case O_DRAIN:
			if (!dbl_arg(a, 0.01, 60, &o->drain_s))
				return bad(name, a, "seconds, 0.01..60");
			break;
		case O_CHECK:
			if (strcmp(a, "full") == 0) {
				o->check = MG_CHECK_FULL;
			} else if (strncmp(a, "sample", 6) == 0) {
				o->check = MG_CHECK_SAMPLE;
				if (a[6] == ':') {
					if (!u64_arg(a + 7, 2, 1u << 20, &u))
						return bad(name, a, "sample:N with N 2..1048576");
					o->sample = (uint32_t)u;
				} else if (a[6]) {
					return bad(name, a, "full or sample[:N]");
				}
			} else {
				return bad(name, a, "full or sample[:N]");
			}
			break;
		case O_WAV_DIR: o->wav_dir = a; break;
		case O_WAV_SECONDS:
			if (!dbl_arg(a, 0.1, 3600, &o->wav_max_s))
				return bad(name, a, "seconds, 0.1..3600");
			break;
		case O_SEARCH: o->search = true; break;
		case O_SEARCH_MAX:
			if (!pps_arg(a, &o->search_max))
				return bad(name, a, "packets per second");
			break;
		case O_SEARCH_MIN:
			if (!pps_arg(a, &o->search_min))
				return bad(name, a, "packets per second");
			break;
		case O_RES:
			if (!dbl_arg(a, 0.0001, 0.5, &o->search_res))
				return bad(name, a, "0.0001..0.5");
			break;
		case O_TRIAL:
			if (!dbl_arg(a, 0.1, 600, &o->trial_s))
				return bad(name, a, "seconds, 0.1..600");
			break;
		case O_LOSS_TOL:
			if (!dbl_arg(a, 0, 0.5, &o->loss_tol))
				return bad(name, a, "a ratio 0..0.5");
			break;
		case O_JSON: o->json_out = a; break;
		case O_PCAP_OUT: o->pcap_out = a; break;
		case O_PCAP_SECONDS:
			if (!dbl_arg(a, 0.02, 3600, &o->pcap_s))
				return bad(name, a, "seconds, 0.02..3600");
			break;
		case O_PCAP_PACKETS:
			if (!u64_arg(a, 1, 1ull << 32, &u))
				return bad(name, a, "1..4294967296 packets");
			o->pcap_packets = u;
			break;
		case O_PLAIN: o->plain = true; break;
		case O_MKI: o->mki = true; break;
		case O_LEGS:
			o->legs = a;
			o->ctl = "file";
			break;
		case O_REKEY_AT:
			if (!dbl_arg(a, 0.05, 86400, &o->rekey_at))
				return bad(name, a, "seconds into the run");
			o->mki = true;
			break;
		case O_KEYS_OUT: o->keys_out = a; break;
		case O_QUIET: o->quiet = true; o->progress = false; break;
		case O_NO_PROGRESS: o->progress = false; break;
		case O_TABLE_ALL: o->table_all = true; break;
		case O_TX_LCORE:
			if (!u64_arg(a, 0, RTE_MAX_LCORE - 1, &u))
				return bad(name, a, "an lcore id");
			o->tx_lcore = (int)u;
			break;
		case O_RX_LCORE:
			if (!u64_arg(a, 0, RTE_MAX_LCORE - 1, &u))
				return bad(name, a, "an lcore id");
			o->rx_lcore = (int)u;
			break;
		case O_GEN_ONLY: o->gen_only = true; break;
		case O_FAULT:
			if (o->plain)
				return bad(name, a, "no --fault with --plain");
			if (strcmp(a, "wrong-tx-key") == 0)
				o->fault_tx_key = true;
			else if (strcmp(a, "wrong-rx-key") == 0)
				o->fault_rx_key = true;
			else
				return bad(name, a, "wrong-tx-key or wrong-rx-key");
			break;
		case O_IMPAIR: {
			char e[200];
			if (mg_impair_parse(a, &o->impair, e, sizeof(e)) != 0) {
				fprintf(stderr, "mixgen: --impair '%s': %s\n", a, e);
				return -EINVAL;
			}
			break;
		}
		case O_FLOOD: {
			char e[200];
			if (mg_flood_parse(a, &o->flood, e, sizeof(e)) != 0) {
				fprintf(stderr, "mixgen: --flood '%s': %s\n", a, e);
				return -EINVAL;
			}
			break;
		}
		case O_IMPAIR_QUEUE:
			if (!u64_arg(a, 16, 1u << 22, &u))
				return bad(name, a, "16..4194304 packets");
			o->impair_queue = (uint32_t)u;
			break;
		case 'h':
		case O_HELP:
			mg_usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "mixgen: see mixgen -- --help\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "mixgen: unexpected argument '%s' (see mixgen -- --help)\n",
			argv[optind]);
		return -EINVAL;
	}
	if (o->senders > (int32_t)o->parts) {
		fprintf(stderr, "mixgen: --senders %d is more than --participants %u\n", o->senders,
			o->parts);
		return -EINVAL;
	}
	if ((uint64_t)o->confs * o->parts > MG_MAX_PARTS) {
		fprintf(stderr, "mixgen: %u conferences of %u participants: at most %d in all\n",
			o->confs, o->parts, MG_MAX_PARTS);
		return -EINVAL;
	}
	if ((uint64_t)o->udp_base + 2ull * o->confs * o->parts > 65535) {
		fprintf(stderr, "mixgen: --udp-base %u leaves no room for %u participants\n",
			o->udp_base, o->confs * o->parts);
		return -EINVAL;
	}
	if (strcmp(o->ctl, "file") == 0 && o->legs == NULL) {
		fprintf(stderr, "mixgen: --ctl file needs --legs FILE\n");
		return -EINVAL;
	}
	if (o->legs && (o->rekey_at > 0 || o->plain || o->confs != 1)) {
		fprintf(stderr, "mixgen: --legs: the file says what to play (no --confs, --plain or "
				"--rekey-at: rekey with mrfc, mixgen follows the file)\n");
		return -EINVAL;
	}
	if (o->mode == MG_MIX && (o->audio == MG_AUDIO_PATTERN || o->plain || o->search)) {
		fprintf(stderr, "mixgen: --mode mix: the mixer decodes what it gets: audio (tone or "
				"WAV), SRTP, no --search (a mixer sends one packet per ptime whatever "
				"comes in)\n");
		return -EINVAL;
	}
	if (o->mode == MG_MIX && o->topn > 8) {
		fprintf(stderr, "mixgen: --topn: a mix conference mixes at most 8 talkers\n");
		return -EINVAL;
	}
	if (o->rekey_at > 0 && o->mode == MG_FORWARD) {
		fprintf(stderr, "mixgen: --rekey-at: the daemon does not rekey a forward conference "
				"in place (its conference key changes by removing and adding the legs)\n");
		return -ENOTSUP;
	}
	if (o->rekey_at > 0 && (o->search || o->plain || o->rekey_at >= o->duration_s)) {
		fprintf(stderr, "mixgen: --rekey-at needs SRTP, no --search, and a time within "
				"--duration\n");
		return -EINVAL;
	}
	if (o->impair.on && o->impair.dup > 0 && o->plain) {
		fprintf(stderr, "mixgen: --impair dup needs SRTP: plain RTP legs have no replay "
				"protection to remove the copies\n");
		return -EINVAL;
	}
	if (o->impair.on && (o->search || o->pcap_out || o->gen_only)) {
		fprintf(stderr, "mixgen: --impair: not with --search (an impaired trial is never "
				"lossless), --pcap-out (a capture is not sent) or --gen-only\n");
		return -EINVAL;
	}
	if (o->flood.on && (o->plain || o->impair.on || o->search || o->pcap_out || o->gen_only)) {
		fprintf(stderr, "mixgen: --flood: not with --plain (a forged packet is only refused "
				"under SRTP), --impair (a dropped original would make its replay honest), "
				"--search, --pcap-out or --gen-only\n");
		return -EINVAL;
	}
	if (o->search && o->rate == MG_RATE_REALTIME)
		o->rate = MG_RATE_MAX;
	if (o->search_max && o->search_max < o->search_min) {
		fprintf(stderr, "mixgen: --search-max is below --search-min\n");
		return -EINVAL;
	}
	return 0;
}
