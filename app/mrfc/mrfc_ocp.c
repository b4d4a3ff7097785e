/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The MGC side of H.248.11 overload control (doc/mp.md "Overload control"), one instance
 * per MRFP: a leaky bucket restrictor on the Adds that create contexts, whose admitted rate
 * adapts to the MRFP's ocp/mg_overload notifications.
 *
 *   control starts    at the first ocp/mg_overload: the admitted rate is half the rate of
 *                     new-context Adds offered over the last one to two seconds (at least
 *                     MIN_RATE)
 *   restriction       a leaky bucket of BUCKET Adds leaking at the admitted rate: an Add
 *                     goes when the bucket has room for it, else it waits (or goes to
 *                     another MRFP: mrfc fleet)
 *   adaptation        each further notification cuts the rate to DECREASE of itself; each
 *                     RAISE_MS without one raises it by INCREASE of itself (at least 1/s):
 *                     cut fast, raise slowly, so the notifications converge to a low rate
 *   control ends      END_MS after the last notification
 *
 * The MRFP notifies at most once a second (lib/mrfp mrfp_overload.c), so the cut applies at
 * most once a second too. Every value is in milliseconds of mxp_clock_ms.
 */
#include <math.h>

#include "mrfc.h"

#define MIN_RATE 1.0      /* Adds a second */
#define BUCKET 5.0        /* Adds let through in a burst */
#define DECREASE 0.5
#define INCREASE 0.1
#define RAISE_MS 1000
#define END_MS 20000
#define OFFER_WINDOW_MS 1000

/* Leak the bucket and adapt the rate up to now. */
static void
advance(struct mrfc_ocp *o, uint64_t now)
{
	if (!o->active)
		return;
	if (now > o->last_ms) {
		o->bucket -= o->rate * (double)(now - o->last_ms) / 1000.0;
		if (o->bucket < 0)
			o->bucket = 0;
		o->last_ms = now;
	}
	while (o->active && now - o->raised_ms >= RAISE_MS) {
		o->rate += fmax(1.0, o->rate * INCREASE);
		o->raised_ms += RAISE_MS;
	}
	if (now - o->notified_ms >= END_MS) {
		o->active = false;
		o->ended++;
	}
}

void
mrfc_ocp_notified(struct mrfc_ocp *o, uint64_t now)
{
	advance(o, now);
	o->notifies++;
	if (!o->active) {
		/* the offered rate over the last window and this one, as it stands */
		double offered = (double)(o->win_prev + o->win_n) * 1000.0 /
				 (double)(OFFER_WINDOW_MS + (now - o->win_start));
		o->active = true;
		o->rate = fmax(MIN_RATE, offered * DECREASE);
		o->bucket = 0;
		o->last_ms = now;
		o->started++;
	} else {
		o->rate = fmax(MIN_RATE, o->rate * DECREASE);
	}
	o->notified_ms = o->raised_ms = now;
}

/* Count an offered Add (window of the offered rate). */
static void
offer(struct mrfc_ocp *o, uint64_t now)
{
	if (now - o->win_start >= OFFER_WINDOW_MS) {
		o->win_prev = now - o->win_start < 2 * OFFER_WINDOW_MS ? o->win_n : 0;
		o->win_start = now;
		o->win_n = 0;
	}
	o->win_n++;
}

uint64_t
mrfc_ocp_wait_ms(struct mrfc_ocp *o, uint64_t now)
{
	advance(o, now);
	if (!o->active || o->bucket + 1.0 <= BUCKET)
		return 0;
	return (uint64_t)ceil((o->bucket + 1.0 - BUCKET) * 1000.0 / o->rate);
}

bool
mrfc_ocp_admit(struct mrfc_ocp *o, uint64_t now)
{
	offer(o, now);
	if (mrfc_ocp_wait_ms(o, now) > 0) {
		o->restricted++;
		return false;
	}
	if (o->active)
		o->bucket += 1.0;
	o->admitted++;
	return true;
}

int
mrfc_ocp_request_text(char *buf, size_t cap, const char *mid, uint32_t tid, bool on)
{
	int n = on ? snprintf(buf, cap, "MEGACO/3 %s\nTransaction = %u {\n  Context = - { Modify = "
			      "ROOT { Events = %u { ocp/mg_overload } } }\n}\n", mid, tid, tid)
		   : snprintf(buf, cap, "MEGACO/3 %s\nTransaction = %u {\n  Context = - { Modify = "
			      "ROOT { Events } }\n}\n", mid, tid);
	return n > 0 && (size_t)n < cap ? n : -1;
}

bool
mrfc_ocp_in_notify(const struct mxp_mp_msg *m, const struct mxp_mp_cmd *c)
{
	if (c->type != MXP_MP_CMD_NOTIFY)
		return false;
	for (uint16_t i = 0; i < c->events.n; i++)
		if (mxp_mp_str_eq(m->props[c->events.first + i].name, "ocp/mg_overload"))
			return true;
	return false;
}
