/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TEST_MP_H
#define TEST_MP_H
#include <errno.h>
#include "mxp_test.h"
void test_sdp_parse(struct mxp_test_ctx *t);
void test_sdp_errors(struct mxp_test_ctx *t);
void test_sdp_encode_round_trip(struct mxp_test_ctx *t);
void test_rcache_basic(struct mxp_test_ctx *t);
void test_rcache_refusals_give_room(struct mxp_test_ctx *t);
void test_rcache_expires_when_idle(struct mxp_test_ctx *t);
void test_rcache_against_model(struct mxp_test_ctx *t);
void test_retx_timeline(struct mxp_test_ctx *t);
void test_signals_parse(struct mxp_test_ctx *t);
void test_signals_errors(struct mxp_test_ctx *t);
void test_packages_descriptor(struct mxp_test_ctx *t);
void test_profile_split(struct mxp_test_ctx *t);
#endif
