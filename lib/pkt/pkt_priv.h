/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef MXP_PKT_PRIV_H
#define MXP_PKT_PRIV_H

#include <stdint.h>
#include <string.h>

#include <rte_ip.h>

#include "mxp_pkt.h"

#endif
