/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Health, readiness and drain: `health live`, `health ready`, `drain [delay S]`.
 *
 * Kubernetes runs the first two as the pod's liveness and readiness probes and the third
 * as its preStop hook (doc/deployment.md). The control core owns the state below (one
 * daemon, one control loop) and samples the workers from its 100 ms timer
 * (mxp_cli_health_timer), which also ends a drain: the loop quits as on SIGTERM once the
 * last conference has ended or the delay has passed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "cli.h"
#include "mixplane.h"
#include "mp_plane.h"
#include "mxp_conf.h"
#include "worker.h"

/* A worker whose poll counter has not moved for this long is stuck (it polls its queues
 * millions of times a second when idle). */
#define LIVE_STALL_MS 2000
#define DRAIN_DEFAULT_S 600
#define DRAIN_MAX_S 86400

static struct {
	/* liveness: each worker's poll counter and when it last moved */
	uint64_t polls[RTE_MAX_LCORE];
	uint64_t moved_ms[RTE_MAX_LCORE];
	bool sampled;
	/* drain */
	bool draining;
	bool told_mrfc;          /* ServiceChange Graceful went out */
	uint64_t drain_start_ms;
	uint64_t drain_end_ms;   /* the delay passes here */
} hs;

static const char *const sc_names[] = { "none", "sent", "answered", "failed" };

static void
sample_workers(const struct mxp_cli_ctx *ctx, uint64_t now)
{
	for (uint16_t i = 0; i < ctx->nb_workers && i < RTE_MAX_LCORE; i++) {
		uint64_t p = __atomic_load_n(&ctx->workers[i]->st.polls, __ATOMIC_RELAXED);
		if (!hs.sampled || p != hs.polls[i]) {
			hs.polls[i] = p;
			hs.moved_ms[i] = now;
		}
	}
	hs.sampled = true;
}

static uint32_t
conferences(const struct mxp_cli_ctx *ctx)
{
	return ctx->conf ? mxp_conf_list(ctx->conf, NULL, 0) : 0;
}

static uint64_t
drain_left_s(uint64_t now)
{
	return hs.drain_end_ms > now ? (hs.drain_end_ms - now + 999) / 1000 : 0;
}

bool
mxp_cli_draining(void)
{
	return hs.draining;
}

bool
mxp_cli_health_timer(const struct mxp_cli_ctx *ctx, uint64_t now)
{
	sample_workers(ctx, now);
	if (!hs.draining)
		return false;
	uint32_t n = conferences(ctx);
	if (n == 0) {
		MXP_LOG(NOTICE, "drain: the last conference has ended after %" PRIu64
			" ms: shutting down", now - hs.drain_start_ms);
		return true;
	}
	if (now >= hs.drain_end_ms) {
		MXP_LOG(NOTICE, "drain: the delay has passed with %u conference(s) left: shutting "
			"down", n);
		return true;
	}
	return false;
}

/* ---- health live ------------------------------------------------------------------------- */

static int
cmd_live(struct cli_req *r, int argi)
{
	if (r->argc != argi)
		return MXP_CTL_USAGE;
	uint64_t now = mxp_now_ms();
	sample_workers(r->ctx, now);
	char why[160] = "";
	uint64_t worst = 0;
	for (uint16_t i = 0; i < r->ctx->nb_workers && i < RTE_MAX_LCORE; i++) {
		uint64_t idle = now - hs.moved_ms[i];
		if (idle > LIVE_STALL_MS && idle > worst) {
			worst = idle;
			snprintf(why, sizeof(why), "worker %u (lcore %u) has not polled for %" PRIu64
				 " ms", r->ctx->workers[i]->idx, r->ctx->workers[i]->lcore, idle);
		}
	}
	bool live = why[0] == '\0';
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_bool(&j, "live", live);
		mxp_json_str(&j, "reason", live ? NULL : why);
		mxp_json_u64(&j, "workers", r->ctx->nb_workers);
		mxp_json_u64(&j, "stall_ms", LIVE_STALL_MS);
		mxp_json_obj_close(&j);
	} else if (live) {
		mxp_buf_printf(r->out, "live: %u worker(s) polling\n", r->ctx->nb_workers);
	} else {
		mxp_buf_printf(r->out, "not live: %s\n", why);
	}
	return live ? MXP_CTL_OK : MXP_CTL_NOT_LIVE;
}

/* ---- health ready ------------------------------------------------------------------------ */

/* What is not ready, first reason only (the line a probe's event shows); "" when ready. */
static void
not_ready(const struct mxp_cli_ctx *ctx, const struct mxp_mp_status *st, uint64_t now,
	  char *why, size_t len, bool *ports_up)
{
	why[0] = '\0';
	*ports_up = true;
	for (uint16_t i = 0; i < ctx->ports->nb_ports; i++) {
		struct rte_eth_link link;
		if (rte_eth_link_get_nowait(ctx->ports->port[i].port_id, &link) != 0 ||
		    link.link_status != RTE_ETH_LINK_UP) {
			*ports_up = false;
			if (!why[0])
				snprintf(why, len, "%s (%s) link down", ctx->ports->port[i].cfg.section,
					 ctx->ports->port[i].cfg.device);
		}
	}
	if (why[0])
		return;
	if (hs.draining) {
		snprintf(why, len, "draining: %u conference(s) left, exits in %" PRIu64 " s at the "
			 "latest", conferences(ctx), drain_left_s(now));
		return;
	}
	if (!st->enabled)
		return;
	if (st->esp_sas == 0 && !st->allow_plaintext) {
		snprintf(why, len, "no ESP SA loaded (Mp needs [esp] sa_file or esp sa add)");
		return;
	}
	if (st->sctp_state != NULL && strcmp(st->sctp_state, "up") != 0) {
		snprintf(why, len, "the SCTP association to the MRFC is %s", st->sctp_state);
		return;
	}
	if (st->has_mrfc && st->sc != MXP_MP_SC_ANSWERED)
		snprintf(why, len, "the MRFC has not answered ServiceChange Restart (%s, %u "
			 "attempt(s))", sc_names[st->sc], st->sc_attempts);
}

static int
cmd_ready(struct cli_req *r, int argi)
{
	if (r->argc != argi)
		return MXP_CTL_USAGE;
	struct mxp_mp_status st;
	mxp_mp_plane_status(r->ctx->mp, &st);
	uint64_t now = mxp_now_ms();
	char why[200];
	bool ports_up;
	not_ready(r->ctx, &st, now, why, sizeof(why), &ports_up);
	bool ready = why[0] == '\0';
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_bool(&j, "ready", ready);
		mxp_json_str(&j, "reason", ready ? NULL : why);
		mxp_json_bool(&j, "ports_up", ports_up);
		mxp_json_bool(&j, "mp", st.enabled);
		mxp_json_u64(&j, "esp_sas", st.esp_sas);
		mxp_json_str(&j, "service_change", st.enabled ? sc_names[st.sc] : NULL);
		mxp_json_bool(&j, "draining", hs.draining);
		mxp_json_u64(&j, "conferences", conferences(r->ctx));
		mxp_json_obj_close(&j);
	} else if (ready) {
		mxp_buf_printf(r->out, "ready: %u port(s) up%s\n", r->ctx->ports->nb_ports,
			       st.enabled ? (st.has_mrfc ? ", ESP loaded, the MRFC answered"
							 : ", ESP loaded") : "");
	} else {
		mxp_buf_printf(r->out, "not ready: %s\n", why);
	}
	return ready ? MXP_CTL_OK : MXP_CTL_NOT_READY;
}

/* ---- drain ------------------------------------------------------------------------------- */

static int
cmd_drain(struct cli_req *r, int argi)
{
	uint32_t delay = DRAIN_DEFAULT_S;
	for (int i = argi; i < r->argc; i++) {
		if (strcmp(r->argv[i], "delay") == 0 && i + 1 < r->argc) {
			if (cli_u32_arg(r->argv[++i], DRAIN_MAX_S, &delay) != 0 || delay == 0)
				return cli_fail(r, MXP_CTL_USAGE, "drain: delay '%s': seconds, 1..%u",
						r->argv[i], DRAIN_MAX_S);
		} else if (strcmp(r->argv[i], "wait") != 0) { /* mixplanectl's: it waits */
			return MXP_CTL_USAGE;
		}
	}
	uint64_t now = mxp_now_ms();
	uint64_t end = now + (uint64_t)delay * 1000;
	const char *what = "already draining";
	if (!hs.draining || end < hs.drain_end_ms) {
		/* the first drain, or a shorter delay: the MRFC hears of the new one */
		what = hs.draining ? "drain delay shortened" : "draining";
		if (!hs.draining)
			hs.drain_start_ms = now;
		hs.draining = true;
		hs.drain_end_ms = end;
		hs.told_mrfc |= mxp_mp_plane_drain(r->ctx->mp, delay) > 0;
		MXP_LOG(NOTICE, "drain: no new conferences; exit when the last of %u ends or in "
			"%u s", conferences(r->ctx), delay);
	}
	uint32_t n = conferences(r->ctx);
	uint64_t left = drain_left_s(now);
	if (r->json) {
		struct mxp_json j;
		mxp_json_init(&j, r->out);
		mxp_json_obj_open(&j, NULL);
		mxp_json_bool(&j, "draining", true);
		mxp_json_str(&j, "state", what);
		mxp_json_u64(&j, "conferences", n);
		mxp_json_u64(&j, "exits_in_s", left);
		mxp_json_bool(&j, "mrfc_told", hs.told_mrfc);
		mxp_json_obj_close(&j);
	} else {
		mxp_buf_printf(r->out, "%s: %u conference(s); the daemon exits when the last ends "
			       "or in %" PRIu64 " s%s\n", what, n, left,
			       hs.told_mrfc ? " (the MRFC is told: ServiceChange Graceful)" : "");
	}
	return MXP_CTL_OK;
}

const struct cli_cmd mxp_cli_health_cmds[] = {
	{ "health live", "", "liveness: the daemon answers and every worker polls (exit 6 if not)",
	  cmd_live },
	{ "health ready", "", "readiness: ports up, ESP loaded, the MRFC answered, not draining "
	  "(exit 7 if not)", cmd_ready },
	{ "drain", "[delay S] [wait]", "take no new conferences, tell the MRFC (ServiceChange "
	  "Graceful), exit when the last ends or after S s (600)", cmd_drain },
	MXP_CLI_END
};
