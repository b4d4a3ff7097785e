/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes lib/mp's encodings of every message form the MRFP and mrfc send (replies with
 * Local SDP and statistics, errors at each level, Pending, Notify, ServiceChange, ack,
 * requests), long and compact, one file each, for test_tshark.py to dissect.
 *   mp_samples OUTDIR
 */
#include <stdio.h>
#include <string.h>

#include "mxp_mp.h"
#include "mxp_mp_sdp.h"

static struct mxp_mp_msg m;
static char out[MXP_MP_MSG_MAX];
static const char *dir;
static int count;

static int
emit(const char *name)
{
	for (int st = 0; st < 2; st++) {
		int n = mxp_mp_encode(&m, st, out, sizeof(out));
		if (n < 0)
			return 1;
		char path[512];
		snprintf(path, sizeof(path), "%s/%02d-%s-%s.txt", dir, count, name,
			 st ? "compact" : "long");
		FILE *f = fopen(path, "w");
		if (f == NULL)
			return 1;
		fwrite(out, 1, (size_t)n, f);
		fclose(f);
	}
	count++;
	return 0;
}

static const char *mrfp = "[192.0.2.2]:2944", *mrfc = "[192.0.2.1]:2944";

int
main(int argc, char **argv)
{
	int rc = 0;
	char sdp[512];
	if (argc != 2)
		return 1;
	dir = argv[1];

	/* Add reply: the MRFP's address and port in Local */
	struct mxp_sdp sd = { .has_conn = true, .addr = { .af = AF_INET, .v6 = { 192, 0, 2, 2 } },
			      .has_media = true, .port = 20000, .srtp = true, .npts = 1,
			      .ptime = 20, .dir = MXP_MP_MODE_SENDRECV, .ncrypto = 1 };
	sd.crypto[0] = mxp_mp_str_c("1 AES_CM_128_HMAC_SHA1_80 "
				    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz|2^31|1:4");
	mxp_sdp_encode(&sd, sdp, sizeof(sdp));
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REPLY, 4242);
	mxp_mp_msg_add_action(&m, 77);
	for (int i = 0; i < 2; i++) {
		struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_ADD, i ? "leg/2" : "leg/1");
		c->has_media = true;
		c->nstreams = 1;
		c->streams[0].id = 1;
		c->streams[0].has_local = true;
		c->streams[0].local = mxp_mp_str_c(sdp);
	}
	rc |= emit("add-reply");

	/* Subtract reply with statistics */
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REPLY, 4243);
	mxp_mp_msg_add_action(&m, 77);
	struct mxp_mp_cmd *c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_SUBTRACT, "leg/1");
	c->has_media = true;
	c->nstreams = 1;
	c->streams[0].id = 1;
	c->streams[0].has_stats = true;
	mxp_mp_msg_add_prop(&m, &c->streams[0].stats, "rtp/ps", '=', "1500");
	mxp_mp_msg_add_prop(&m, &c->streams[0].stats, "rtp/pr", '=', "1498");
	mxp_mp_msg_add_prop(&m, &c->streams[0].stats, "rtp/pl", '=', "2");
	mxp_mp_msg_add_prop(&m, &c->streams[0].stats, "mxp/authfail", '=', "0");
	rc |= emit("subtract-reply");

	/* AuditValue reply: mode and statistics */
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REPLY, 4244);
	mxp_mp_msg_add_action(&m, 77);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_AUDIT_VALUE, "leg/2");
	c->has_media = true;
	mxp_mp_msg_add_prop(&m, &c->ts_props, "mxp/mode", '=', "mix");
	c->nstreams = 1;
	c->streams[0].id = 1;
	c->streams[0].mode = MXP_MP_MODE_SENDRECV;
	c->streams[0].has_stats = true;
	mxp_mp_msg_add_prop(&m, &c->streams[0].stats, "rtp/ps", '=', "10");
	rc |= emit("audit-reply");

	/* errors: in a command, in an action, for a transaction, for a message */
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REPLY, 4245);
	mxp_mp_msg_add_action(&m, 77);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_MODIFY, "leg/9");
	c->has_error = true;
	c->err_code = 430;
	c->err_text = mxp_mp_str_c("Unknown TerminationID leg/9");
	rc |= emit("command-error");
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REPLY, 4246);
	struct mxp_mp_action *a = mxp_mp_msg_add_action(&m, 99);
	a->has_error = true;
	a->err_code = 411;
	a->err_text = mxp_mp_str_c("context 99 unknown");
	rc |= emit("action-error");
	mxp_mp_msg_init(&m, mrfp);
	struct mxp_mp_trans *t = mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REPLY, 4247);
	t->has_error = true;
	t->err_code = 400;
	t->err_text = mxp_mp_str_c("line 3 col 9 (byte 40): expected '{' after Media");
	rc |= emit("transaction-error");
	mxp_mp_msg_init(&m, mrfp);
	m.has_error = true;
	m.err_code = 406;
	m.err_text = mxp_mp_str_c("version 4 not supported (1..3)");
	rc |= emit("message-error");

	/* Pending */
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_PENDING, 4248);
	rc |= emit("pending");

	/* Notify (MRFP -> MRFC) */
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REQUEST, 9001);
	mxp_mp_msg_add_action(&m, 77);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_NOTIFY, "leg/1");
	c->has_events = true;
	c->events_rid = 4242;
	mxp_mp_msg_add_prop(&m, &c->events, MXP_MP_EV_AUTHFAIL, 0, "count=25");
	rc |= emit("notify");

	/* ServiceChange Restart (MRFP -> MRFC at start) */
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REQUEST, 9000);
	mxp_mp_msg_add_action(&m, MXP_MP_CTX_NULL);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_SERVICE_CHANGE, "ROOT");
	c->has_services = true;
	c->sc_method = mxp_mp_str_c("Restart");
	c->sc_reason = mxp_mp_str_c("\"901 Cold Boot\"");
	c->sc_profile = mxp_mp_str_c(MXP_MP_PROFILE_3GPP_NAME "/1");
	c->sc_version = 3;
	rc |= emit("servicechange");
	c->sc_profile = mxp_mp_str_c("mxp/1");
	rc |= emit("servicechange-mxp");

	/* ServiceChange reply, TransactionResponseAck */
	mxp_mp_msg_init(&m, mrfc);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REPLY, 9000);
	mxp_mp_msg_add_action(&m, MXP_MP_CTX_NULL);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_SERVICE_CHANGE, "ROOT");
	c->has_services = true;
	c->sc_version = 3;
	rc |= emit("servicechange-reply");
	mxp_mp_msg_init(&m, mrfc);
	t = mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_ACK, 4242);
	t->id_last = 4247;
	rc |= emit("response-ack");

	/* Requests mrfc sends */
	mxp_mp_msg_init(&m, mrfc);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REQUEST, 5000);
	mxp_mp_msg_add_action(&m, 77);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_MODIFY, "*");
	c->has_media = true;
	c->nstreams = 1;
	c->streams[0].id = 1;
	c->streams[0].mode = MXP_MP_MODE_RECVONLY;
	mxp_mp_msg_add_prop(&m, &c->streams[0].lc_props, "mxp/strict", '=', "on");
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_SUBTRACT, "leg/1");
	c->has_audit = true;
	c->audit = MXP_MP_AUDIT_STATS;
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_AUDIT_VALUE, "leg/2");
	c->has_audit = true;
	c->audit = MXP_MP_AUDIT_MEDIA | MXP_MP_AUDIT_STATS;
	rc |= emit("requests");

	/* The 3GPP profile: an announcement with its completion asked, digits, a tone to all */
	mxp_mp_msg_init(&m, mrfc);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REQUEST, 5100);
	mxp_mp_msg_add_action(&m, 77);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_MODIFY, "leg/1");
	c->has_events = true;
	c->events_rid = 9;
	mxp_mp_msg_add_prop(&m, &c->events, "g/sc", 0, "");
	mxp_mp_msg_add_prop(&m, &c->events, "dd/std", 0, "");
	c->has_signals = true;
	c->signals = mxp_mp_str_c("an/apf{an=17,noc=2,NotifyCompletion={TimeOut},RequestID=9}");
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_MODIFY, "*");
	c->has_signals = true;
	c->signals = mxp_mp_str_c("srvtn/conf{Duration=500}");
	rc |= emit("signals");
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REQUEST, 9002);
	mxp_mp_msg_add_action(&m, 77);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_NOTIFY, "leg/1");
	c->has_events = true;
	c->events_rid = 9;
	mxp_mp_msg_add_prop(&m, &c->events, "g/sc", 0, "SigID=an/apf,Meth=TO,RID=9");
	rc |= emit("notify-sc");
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REQUEST, 9003);
	mxp_mp_msg_add_action(&m, 77);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_NOTIFY, "leg/1");
	c->has_events = true;
	c->events_rid = 9;
	mxp_mp_msg_add_prop(&m, &c->events, "dd/std", 0, "tid=d5");
	rc |= emit("notify-dd");
	mxp_mp_msg_init(&m, mrfp);
	mxp_mp_msg_add_trans(&m, MXP_MP_TRANS_REPLY, 5101);
	mxp_mp_msg_add_action(&m, MXP_MP_CTX_NULL);
	c = mxp_mp_msg_add_cmd(&m, MXP_MP_CMD_AUDIT_VALUE, "ROOT");
	c->has_packages = true;
	mxp_mp_msg_add_prop(&m, &c->packages, "g", '-', "2");
	mxp_mp_msg_add_prop(&m, &c->packages, "dd", '-', "1");
	mxp_mp_msg_add_prop(&m, &c->packages, "an", '-', "1");
	rc |= emit("packages-reply");
	printf("%d messages\n", count);
	return rc;
}
