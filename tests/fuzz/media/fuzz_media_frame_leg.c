/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: fuzz_media_leg.c's packet stream into legs whose payload types include
 * the frame codecs (AMR-WB, Opus, AMR): see FUZZ_FRAME_CODECS there. */
#define FUZZ_FRAME_CODECS 1
#include "fuzz_media_leg.c"
