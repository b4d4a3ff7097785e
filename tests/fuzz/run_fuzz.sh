#!/bin/sh
# run_fuzz.sh FUZZER SEEDS CORPUS RUNS: run a libFuzzer target over the committed seeds
# plus a fixed number of random runs. New inputs go to CORPUS (in the build tree), never
# into the committed seeds.
set -e
fuzzer=$1 seeds=$2 corpus=$3 runs=$4
mkdir -p "$corpus" "$seeds"
exec "$fuzzer" -runs="$runs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$corpus/" "$corpus" "$seeds"
