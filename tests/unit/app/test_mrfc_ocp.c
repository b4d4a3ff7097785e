/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mrfc's H.248.11 overload control (app/mrfc/mrfc_ocp.c, included): no restriction before an
 * ocp/mg_overload; then a leaky bucket at half the offered rate, cut by half at each further
 * notification, raised by a tenth a second without one, ended 20 s after the last.
 */
#include "../../../app/mrfc/mrfc_ocp.c"

#include "mxp_test.h"

/* Offer n Adds spread over [from, from + span) ms; how many were admitted. */
static unsigned int
offer_n(struct mrfc_ocp *o, unsigned int n, uint64_t from, uint64_t span)
{
	unsigned int ok = 0;
	for (unsigned int i = 0; i < n; i++)
		ok += mrfc_ocp_admit(o, from + span * i / n);
	return ok;
}

MXP_TEST(leaky_bucket_adapts)
{
	struct mrfc_ocp o = { 0 };
	uint64_t t0 = 100000;
	/* 100 Adds a second for 2 s, all sent: no control yet */
	MXP_CHECK_EQ(t, offer_n(&o, 200, t0 - 1000, 2000), 200);
	MXP_CHECK(t, !o.active);
	/* the first notification: half of about 100/s */
	mrfc_ocp_notified(&o, t0 + 1000);
	MXP_CHECK(t, o.active);
	MXP_CHECK(t, o.rate > 45 && o.rate <= 50);
	double r0 = o.rate;
	/* a burst of 5 goes, the 6th waits 1/rate */
	MXP_CHECK_EQ(t, offer_n(&o, 6, t0 + 1000, 0), 5);
	uint64_t w = mrfc_ocp_wait_ms(&o, t0 + 1000);
	MXP_CHECK(t, w >= 19 && w <= 23);
	MXP_CHECK(t, mrfc_ocp_admit(&o, t0 + 1000 + w));
	/* over 2 s at 100/s offered: the admitted rate goes, raised by a tenth after each
	 * second without a notification (r0, 1.1 r0, 1.21 r0) */
	unsigned int ok = offer_n(&o, 200, t0 + 1100, 2000);
	MXP_CHECK(t, ok >= 2 * r0 && ok <= 2.2 * r0 + 6);
	double before = o.rate;
	MXP_CHECK(t, before > 1.2 * r0 && before < 1.22 * r0);
	/* a second notification halves it */
	mrfc_ocp_notified(&o, t0 + 3100);
	MXP_CHECK(t, o.rate > before / 2 - 0.01 && o.rate < before / 2 + 0.01);
	double r1 = o.rate;
	/* a second without one: up by a tenth (at least 1/s) */
	mrfc_ocp_wait_ms(&o, t0 + 4100);
	MXP_CHECK(t, o.rate > r1 * 1.1 - 0.01 && o.rate < r1 * 1.1 + 0.01);
	MXP_CHECK_EQ(t, o.notifies, 2);
	MXP_CHECK_EQ(t, o.started, 1);
	/* 20 s after the last notification the control ends */
	mrfc_ocp_wait_ms(&o, t0 + 3100 + 19999);
	MXP_CHECK(t, o.active);
	mrfc_ocp_wait_ms(&o, t0 + 3100 + 20000);
	MXP_CHECK(t, !o.active);
	MXP_CHECK_EQ(t, offer_n(&o, 50, t0 + 24000, 10), 50);
}

MXP_TEST(floor_rate)
{
	/* a notification with nothing offered: the least rate, 1 a second */
	struct mrfc_ocp o = { 0 };
	mrfc_ocp_notified(&o, 5000);
	MXP_CHECK(t, o.rate == 1.0);
	mrfc_ocp_notified(&o, 5001);
	MXP_CHECK(t, o.rate == 1.0);
	MXP_CHECK(t, o.restricted == 0);
}

static const struct mxp_test_case cases[] = {
	MXP_CASE(leaky_bucket_adapts),
	MXP_CASE(floor_rate),
};

int
main(int argc, char **argv)
{
	return mxp_test_main(cases, MXP_NCASES(cases), argc, argv);
}
