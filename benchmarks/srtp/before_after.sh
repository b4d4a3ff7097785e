#!/bin/sh
# before_after.sh BASE_TREE: bench_srtp before and after in one session (results-2.txt):
# the base tree's own bench_srtp, this tree's, and this benchmark built against the base
# tree's lib/srtp for the many-streams rows; measured thread on cpu 1, two passes.
#   benchmarks/srtp/before_after.sh /work/baseline > benchmarks/srtp/results-2.txt
set -e
base=$1
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
B=$base/build/benchmarks/srtp/bench_srtp
BM=$(mktemp /tmp/bench_srtp_base.XXXXXX)
trap 'rm -f "$BM"' EXIT
"$here/bench_against.sh" "$base" "$BM"
N=build/benchmarks/srtp/bench_srtp
echo "### $(date -u) $(git rev-parse --short HEAD) vs $base"
lscpu | grep "Model name"
for pass in 1 2; do
echo "### pass $pass"
echo "## before: $B -t 0.5 -s AES_CM_128_HMAC_SHA1_80"; taskset -c 1 $B -t 0.5 -s AES_CM_128_HMAC_SHA1_80
echo "## after:  $N -t 0.5 -s AES_CM_128_HMAC_SHA1_80"; taskset -c 1 $N -t 0.5 -s AES_CM_128_HMAC_SHA1_80 -n 0
echo "## before: $B -t 0.5 -s AEAD_AES_128_GCM -i mxp/ipsec"; taskset -c 1 $B -t 0.5 -s AEAD_AES_128_GCM -i mxp/ipsec
echo "## after:  $N -t 0.5 -s AEAD_AES_128_GCM -i mxp"; taskset -c 1 $N -t 0.5 -s AEAD_AES_128_GCM -i mxp -n 0
for s in AES_CM_128_HMAC_SHA1_80 AEAD_AES_128_GCM; do
echo "## before (many): bench_srtp on $base/lib/srtp -t 0.5 -s $s -i mxp/10k"; taskset -c 1 $BM -t 0.5 -s $s -i mxp/10k
echo "## after (many):  $N -t 0.5 -s $s -i mxp/10k"; taskset -c 1 $N -t 0.5 -s $s -i mxp/10k
done
done
echo "### end $(date -u)"
