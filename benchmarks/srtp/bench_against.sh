#!/bin/sh
# bench_against.sh TREE OUT: build this benchmarks/srtp/bench_srtp.c against the lib/srtp and
# crypto drivers of another, already built tree (e.g. the pre-change one), so that before
# and after run the same benchmark code on the same machine in one session. Rows the older
# API lacks (streams, key sessions) are left out (MXP_SRTP_API_VERSION).
#   benchmarks/srtp/bench_against.sh /work/baseline /tmp/bench_srtp_base
#   taskset -c 1 /tmp/bench_srtp_base -t 0.5 -s AES_CM_128_HMAC_SHA1_80
set -e
tree=$1 out=$2
here=$(dirname "$0")
[ -f "$tree/build/lib/srtp/libmxp_srtp.a" ] || { echo "build $tree first (ninja -C $tree/build)" >&2; exit 2; }
drivers=$(ls "$tree"/build/drivers/crypto/*/libmxp_crypto_*.a)
srtp2=$(pkg-config --exists libsrtp2 && echo "$(pkg-config --cflags --libs libsrtp2)")
cc -std=c11 -O2 -g -D_GNU_SOURCE -march=corei7 -include rte_config.h \
    -I"$tree/build" -I"$tree/lib/srtp" $(pkg-config --cflags libdpdk openssl) \
    "$here/bench_srtp.c" -o "$out" \
    -Wl,--whole-archive $drivers -Wl,--no-whole-archive "$tree/build/lib/srtp/libmxp_srtp.a" \
    $(pkg-config --libs libdpdk openssl) -lIPSec_MB $srtp2
