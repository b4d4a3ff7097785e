/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * srtp-pcap: decrypt SRTP/SRTCP in a pcap or pcapng capture (mixplanectl capture's and
 * dpdk-dumpcap's included: Ethernet, one interface block per port) into plain RTP/RTCP that
 * Wireshark can play, or encrypt plain RTP/RTCP the other way, given RFC 4568 a=crypto
 * lines per SSRC or per address:port. Reports, per stream, packets, authentication
 * failures, replays and other drops.
 *
 *   srtp-pcap decrypt|encrypt [options] IN OUT
 *     -k 'SELECTOR a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:...'   (repeatable)
 *     -K FILE      the same, one per line ('#' comments): keeps keys off the command line
 *   SELECTOR: ssrc=0x1234abcd | ssrc=305441741 | dst=IP:PORT | src=IP:PORT | any
 *             (omitted: any). dst/src also match RTCP on PORT+1.
 *     --drop-other   leave out UDP/non-UDP packets that no key selects (default: copy)
 *     --keep-failed  copy packets that fail authentication unchanged (default: drop)
 *     --roc N        encrypt: rollover counter of the first packet (default 0)
 *     --json         print the report as one JSON line
 *     -q             no report
 *
 * Exit status: 0 done, 1 some packets failed, 2 bad usage or input.
 * Uses lib/srtp's engine over plain buffers: no DPDK EAL. Keys are never printed; the
 * report shows their fingerprints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "mxp_srtp.h"
#include "mxp_srtp_sdes.h"
#include "pcap_pkt.h"

#define MAX_SPECS 64
#define MAX_STREAMS 1024
#define BUF_MAX (65536 + MXP_SRTP_MAX_TRAILER + 64)

enum sel_kind { SEL_ANY, SEL_SSRC, SEL_DST, SEL_SRC };

struct spec {
	enum sel_kind kind;
	uint32_t ssrc;
	struct mxp_ip addr;
	uint16_t port;
	char text[96];             /* the selector as given, for the report */
	struct mxp_sdes_crypto crypto;
};

struct stream {
	const struct spec *spec;
	uint32_t ssrc;
	struct mxp_srtp_ctx *ctx;
	char from[64], to[64];
	uint64_t rtp, rtcp, bytes;
	uint64_t drops[MXP_SRTP_R_COUNT];
};

static struct spec specs[MAX_SPECS];
static unsigned int nspecs;
static struct stream streams[MAX_STREAMS];
static unsigned int nstreams;
static bool encrypt;
static uint32_t roc0;

static struct {
	uint64_t frames, udp_other, non_udp, truncated, failed, no_stream_room;
} tot;

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "srtp-pcap: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

static void
usage(FILE *o)
{
	fprintf(o,
		"usage: srtp-pcap decrypt|encrypt [options] IN.pcap[ng] OUT.pcap\n"
		"  -k 'SELECTOR a=crypto:TAG SUITE inline:KEY||SALT[|LIFETIME][|MKI:LEN] [PARAMS]'\n"
		"  -K FILE        key lines from a file, one per line ('#' comments)\n"
		"  SELECTOR       ssrc=N | dst=IP:PORT | src=IP:PORT | any (default any);\n"
		"                 dst/src also match RTCP on PORT+1\n"
		"  --drop-other   leave out packets no key selects (default: copy them)\n"
		"  --keep-failed  copy packets that fail authentication (default: drop them)\n"
		"  --roc N        encrypt: ROC of the first packet of each stream (default 0)\n"
		"  --json         report as one JSON line;  -q  no report\n"
		"Suites: AES_CM_128_HMAC_SHA1_80/_32, AES_256_CM_HMAC_SHA1_80/_32,\n"
		"        AEAD_AES_128_GCM, AEAD_AES_256_GCM\n");
}

/* "SELECTOR a=crypto:..." or "a=crypto:..." */
static void
add_spec(const char *line, const char *where)
{
	char err[200];
	if (nspecs == MAX_SPECS)
		die("%s: more than %d keys", where, MAX_SPECS);
	struct spec *sp = &specs[nspecs];
	memset(sp, 0, sizeof(*sp));
	while (*line == ' ' || *line == '\t')
		line++;
	const char *attr = line;
	size_t sl = strcspn(line, " \t");
	bool has_sel = strncmp(line, "ssrc=", 5) == 0 || strncmp(line, "dst=", 4) == 0 ||
		       strncmp(line, "src=", 4) == 0 || (sl == 3 && strncmp(line, "any", 3) == 0);
	sp->kind = SEL_ANY;
	snprintf(sp->text, sizeof(sp->text), "any");
	if (has_sel) {
		char sel[96];
		if (sl >= sizeof(sel))
			die("%s: selector too long", where);
		memcpy(sel, line, sl);
		sel[sl] = '\0';
		snprintf(sp->text, sizeof(sp->text), "%s", sel);
		attr = line + sl;
		if (strncmp(sel, "ssrc=", 5) == 0) {
			char *end;
			unsigned long v = strtoul(sel + 5, &end, 0);
			if (*end != '\0' || sel[5] == '\0' || v > UINT32_MAX)
				die("%s: bad SSRC in '%s'", where, sel);
			sp->kind = SEL_SSRC;
			sp->ssrc = (uint32_t)v;
		} else if (strncmp(sel, "dst=", 4) == 0 || strncmp(sel, "src=", 4) == 0) {
			sp->kind = sel[0] == 'd' ? SEL_DST : SEL_SRC;
			if (mxp_ip_port_parse(sel + 4, &sp->addr, &sp->port) != 0)
				die("%s: bad address:port in '%s' (use 1.2.3.4:5004 or [::1]:5004)",
				    where, sel);
		}
	}
	while (*attr == ' ' || *attr == '\t')
		attr++;
	size_t al = strlen(attr);
	while (al > 0 && (attr[al - 1] == '\n' || attr[al - 1] == '\r' || attr[al - 1] == ' '))
		al--;
	if (al == 0)
		die("%s: selector '%s' without an a=crypto line", where, sp->text);
	if (mxp_sdes_parse(attr, al, &sp->crypto, err, sizeof(err)) != 0)
		die("%s: a=crypto for %s: %s", where, sp->text, err);
	nspecs++;
}

static void
read_key_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024], where[300];
	unsigned int no = 0;
	if (f == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f) != NULL) {
		no++;
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '\n' || *p == '\r' || *p == '\0')
			continue;
		snprintf(where, sizeof(where), "%s:%u", path, no);
		add_spec(p, where);
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
}

static bool
addr_match(const struct spec *sp, const struct mxp_ip *addr, uint16_t port, bool rtcp)
{
	if (!mxp_ip_equal(&sp->addr, addr))
		return false;
	return port == sp->port || (rtcp && port == sp->port + 1);
}

static const struct spec *
select_spec(const struct frame *f, uint32_t ssrc, bool rtcp)
{
	for (int pass = 0; pass < 4; pass++)
		for (unsigned int i = 0; i < nspecs; i++) {
			const struct spec *sp = &specs[i];
			if (pass == 0 && sp->kind == SEL_SSRC && sp->ssrc == ssrc)
				return sp;
			if (pass == 1 && sp->kind == SEL_DST &&
			    addr_match(sp, &f->dst, f->dport, rtcp))
				return sp;
			if (pass == 2 && sp->kind == SEL_SRC &&
			    addr_match(sp, &f->src, f->sport, rtcp))
				return sp;
			if (pass == 3 && sp->kind == SEL_ANY)
				return sp;
		}
	return NULL;
}

static struct stream *
stream_for(const struct spec *sp, uint32_t ssrc, const struct frame *f)
{
	for (unsigned int i = 0; i < nstreams; i++)
		if (streams[i].spec == sp && streams[i].ssrc == ssrc)
			return &streams[i];
	if (nstreams == MAX_STREAMS)
		return NULL;
	struct stream *s = &streams[nstreams];
	char err[200];
	struct mxp_srtp_params p = {
		.dir = encrypt ? MXP_SRTP_OUTBOUND : MXP_SRTP_INBOUND,
		.ssrc = ssrc,
		.roc = encrypt ? roc0 : 0,
	};
	mxp_sdes_to_params(&sp->crypto, &p);
	s->ctx = aligned_alloc(MXP_SRTP_CTX_ALIGN, mxp_srtp_ctx_size());
	if (s->ctx == NULL)
		die("out of memory");
	if (mxp_srtp_ctx_init(s->ctx, &p, err, sizeof(err)) != 0)
		die("stream 0x%08x: %s", ssrc, err);
	int rc = mxp_sdes_add_keys(s->ctx, &sp->crypto);
	if (rc != 0)
		die("stream 0x%08x: cannot add keys: %s", ssrc, strerror(-rc));
	s->spec = sp;
	s->ssrc = ssrc;
	mxp_ip_port_format(&f->src, f->sport, s->from, sizeof(s->from));
	mxp_ip_port_format(&f->dst, f->dport, s->to, sizeof(s->to));
	nstreams++;
	return s;
}

/* One frame: returns false if it must be left out of the output. */
static bool
process(int dlt, uint8_t *buf, struct pcap_pkthdr *h, bool drop_other, bool keep_failed)
{
	struct frame f;

	tot.frames++;
	if (h->caplen < h->len) {
		tot.truncated++;
		return !drop_other;
	}
	if (!frame_parse(dlt, buf, h->caplen, &f)) {
		tot.non_udp++;
		return !drop_other;
	}
	uint8_t *rtp = buf + f.payload;
	size_t len = f.payload_len;
	/* RTP or RTCP version 2 (RFC 5761 4: RTCP packet types 192..223) */
	if (len < 8 || (rtp[0] & 0xc0) != 0x80) {
		tot.udp_other++;
		return !drop_other;
	}
	bool rtcp = rtp[1] >= 192 && rtp[1] <= 223;
	if (!rtcp && len < 12) {
		tot.udp_other++;
		return !drop_other;
	}
	uint32_t ssrc;
	memcpy(&ssrc, rtp + (rtcp ? 4 : 8), 4);
	ssrc = ntohl(ssrc);
	const struct spec *sp = select_spec(&f, ssrc, rtcp);
	if (sp == NULL) {
		tot.udp_other++;
		return !drop_other;
	}
	struct stream *s = stream_for(sp, ssrc, &f);
	if (s == NULL) {
		tot.no_stream_room++;
		return !drop_other;
	}
	/* Whatever follows the UDP payload in the frame (padding) is dropped by frame_fix.
	 * A GCM packet that fails authentication has been decrypted in place: keep a copy
	 * if failures are to be passed on unchanged. */
	static uint8_t orig[BUF_MAX];
	if (keep_failed)
		memcpy(orig, rtp, len);
	size_t olen = len;
	size_t cap = BUF_MAX - f.payload;
	enum mxp_srtp_reason r;
	if (encrypt)
		r = rtcp ? mxp_srtcp_protect(s->ctx, rtp, &len, cap) :
			   mxp_srtp_protect(s->ctx, rtp, &len, cap);
	else
		r = rtcp ? mxp_srtcp_unprotect(s->ctx, rtp, &len) :
			   mxp_srtp_unprotect(s->ctx, rtp, &len);
	if (r != MXP_SRTP_R_OK) {
		s->drops[r]++;
		tot.failed++;
		if (keep_failed)
			memcpy(rtp, orig, olen);
		return keep_failed;
	}
	if (rtcp)
		s->rtcp++;
	else
		s->rtp++;
	s->bytes += len;
	size_t n = frame_fix(buf, h->caplen, &f, len);
	h->caplen = h->len = (bpf_u_int32)n;
	return true;
}

static void
report(bool json)
{
	if (json) {
		printf("{\"mode\":\"%s\",\"frames\":%llu,\"streams\":[", encrypt ? "encrypt" : "decrypt",
		       (unsigned long long)tot.frames);
		for (unsigned int i = 0; i < nstreams; i++) {
			const struct stream *s = &streams[i];
			struct mxp_srtp_key_info ki;
			mxp_srtp_ctx_key_info(s->ctx, 0, &ki);
			printf("%s{\"ssrc\":%u,\"selector\":\"%s\",\"from\":\"%s\",\"to\":\"%s\","
			       "\"suite\":\"%s\",\"key\":\"%s\",\"rtp\":%llu,\"rtcp\":%llu",
			       i ? "," : "", s->ssrc, s->spec->text, s->from, s->to,
			       mxp_srtp_suite_info(s->spec->crypto.suite)->name, ki.fingerprint,
			       (unsigned long long)s->rtp, (unsigned long long)s->rtcp);
			for (unsigned int r = 1; r < MXP_SRTP_R_COUNT; r++)
				printf(",\"%s\":%llu", mxp_srtp_reason_name(r),
				       (unsigned long long)s->drops[r]);
			printf("}");
		}
		printf("],\"udp_other\":%llu,\"non_udp\":%llu,\"truncated\":%llu,\"failed\":%llu}\n",
		       (unsigned long long)tot.udp_other, (unsigned long long)tot.non_udp,
		       (unsigned long long)tot.truncated, (unsigned long long)tot.failed);
		return;
	}
	printf("%-10s %-22s -> %-22s %-23s %-8s %7s %6s %6s %6s %6s %6s\n", "ssrc", "from", "to",
	       "suite", "key", "rtp", "rtcp", "auth", "replay", "old", "other");
	for (unsigned int i = 0; i < nstreams; i++) {
		const struct stream *s = &streams[i];
		struct mxp_srtp_key_info ki;
		uint64_t other = 0;
		mxp_srtp_ctx_key_info(s->ctx, 0, &ki);
		for (unsigned int r = 1; r < MXP_SRTP_R_COUNT; r++)
			if (r != MXP_SRTP_R_AUTH && r != MXP_SRTP_R_REPLAY && r != MXP_SRTP_R_TOO_OLD)
				other += s->drops[r];
		printf("0x%08x %-22s -> %-22s %-23s %-8s %7llu %6llu %6llu %6llu %6llu %6llu\n",
		       s->ssrc, s->from, s->to, mxp_srtp_suite_info(s->spec->crypto.suite)->name,
		       ki.fingerprint, (unsigned long long)s->rtp, (unsigned long long)s->rtcp,
		       (unsigned long long)s->drops[MXP_SRTP_R_AUTH],
		       (unsigned long long)s->drops[MXP_SRTP_R_REPLAY],
		       (unsigned long long)s->drops[MXP_SRTP_R_TOO_OLD], (unsigned long long)other);
		for (unsigned int r = 1; r < MXP_SRTP_R_COUNT; r++)
			if (s->drops[r] && r != MXP_SRTP_R_AUTH && r != MXP_SRTP_R_REPLAY &&
			    r != MXP_SRTP_R_TOO_OLD)
				printf("           %llu x %s: %s\n", (unsigned long long)s->drops[r],
				       mxp_srtp_reason_name(r), mxp_srtp_reason_desc(r));
	}
	printf("%llu frames; not selected: %llu UDP, %llu other; truncated: %llu\n",
	       (unsigned long long)tot.frames, (unsigned long long)tot.udp_other,
	       (unsigned long long)tot.non_udp, (unsigned long long)tot.truncated);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "drop-other", no_argument, NULL, 'D' }, { "keep-failed", no_argument, NULL, 'F' },
		{ "roc", required_argument, NULL, 'R' },  { "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },       { NULL, 0, NULL, 0 },
	};
	bool drop_other = false, keep_failed = false, json = false, quiet = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "k:K:qh", lo, NULL)) != -1) {
		switch (opt) {
		case 'k':
			add_spec(optarg, "-k");
			/* keep the key out of /proc/PID/cmdline from now on */
			explicit_bzero(optarg, strlen(optarg));
			break;
		case 'K':
			read_key_file(optarg);
			break;
		case 'D':
			drop_other = true;
			break;
		case 'F':
			keep_failed = true;
			break;
		case 'R': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 0);
			if (*end != '\0' || v > UINT32_MAX)
				die("bad --roc '%s'", optarg);
			roc0 = (uint32_t)v;
			break;
		}
		case 'J':
			json = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (argc - optind != 3) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "decrypt") == 0)
		encrypt = false;
	else if (strcmp(argv[optind], "encrypt") == 0)
		encrypt = true;
	else
		die("first argument must be 'decrypt' or 'encrypt', not '%s'", argv[optind]);
	if (nspecs == 0)
		die("no keys: give -k 'SELECTOR a=crypto:...' or -K FILE");

	char ebuf[PCAP_ERRBUF_SIZE];
	pcap_t *in = pcap_open_offline(argv[optind + 1], ebuf);
	if (in == NULL)
		die("%s: %s", argv[optind + 1], ebuf);
	int dlt = pcap_datalink(in);
	if (!frame_linktype_supported(dlt))
		die("%s: link type %s (%d) not supported (Ethernet, Linux cooked, raw IP, "
		    "loopback)", argv[optind + 1],
		    pcap_datalink_val_to_name(dlt) ? pcap_datalink_val_to_name(dlt) : "?", dlt);
	pcap_t *dead = pcap_open_dead(dlt, 262144);
	pcap_dumper_t *out = pcap_dump_open(dead, argv[optind + 2]);
	if (out == NULL)
		die("%s: %s", argv[optind + 2], pcap_geterr(dead));

	static uint8_t buf[BUF_MAX];
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(in, &h, &data)) == 1) {
		struct pcap_pkthdr oh = *h;
		size_t n = h->caplen < sizeof(buf) - MXP_SRTP_MAX_TRAILER ? h->caplen :
									    sizeof(buf) - MXP_SRTP_MAX_TRAILER;
		memcpy(buf, data, n);
		oh.caplen = (bpf_u_int32)n;
		if (process(dlt, buf, &oh, drop_other, keep_failed))
			pcap_dump((u_char *)out, &oh, buf);
	}
	if (rc == -1)
		die("%s: %s", argv[optind + 1], pcap_geterr(in));
	pcap_dump_close(out);
	pcap_close(dead);
	pcap_close(in);

	if (!quiet)
		report(json);
	for (unsigned int i = 0; i < nstreams; i++) {
		mxp_srtp_ctx_fini(streams[i].ctx);
		free(streams[i].ctx);
	}
	for (unsigned int i = 0; i < nspecs; i++)
		mxp_sdes_wipe(&specs[i].crypto);
	return tot.failed ? 1 : 0;
}
