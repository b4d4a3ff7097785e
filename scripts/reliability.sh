#!/usr/bin/env bash
# The reliability campaign (doc/reliability.md): long runs with figures, apart from
# ./scripts/test.sh, which runs their short modes.
#
#   scripts/reliability.sh soak [--short | --seconds N] [--load PCT] [--max-legs N] [--json F]
#       one daemon for N seconds (3600; --short: 40) under impaired media at PCT % (80) of
#       each mode's capacity calibrated first, in conferences created and deleted back to
#       back, rekeys, libsrtp2 participants, Mp churn with group rekeys and audits;
#       a table and one JSON line; exit 0 when it passed
#   scripts/reliability.sh flood [--short] [--rates R,R,..] [--seconds S] [--json FILE]
#       honest switch conferences while mixgen floods their legs with forged, replayed
#       and malformed packets at rising rates: the good-put curve, table and JSON line
#   scripts/reliability.sh mp-flood [--short] [--seconds S] [--default-marks] [--json FILE]
#       garbage, retransmissions and transactions beyond capacity on Mp (valid ESP)
#       while media flows and the CLI is asked: table and JSON line
#   scripts/reliability.sh fuzz [--runs N | --seconds S | --total N [--seconds S]]
#                               [--ledger DIR] [--targets a,b] [--jobs J] [--merge] [--json F]
#       every libFuzzer target (ASan + UBSan) for N executions or S seconds (60) over the
#       committed seeds; --total N: until the target's ledger of runs adds up to N
#       executions (a long campaign in chunks; --ledger tests/fuzz/ledger keeps the
#       ledgers with the source); --merge adds new coverage to tests/fuzz/seeds
#   scripts/reliability.sh faults [--short] [--json FILE]
#       one daemon through injected faults while media flows: the MRFC away and back (UDP
#       and SCTP), an ESP SA replaced in use and sequence numbers across 2^32, a port flap,
#       a stalled worker, SIGKILL and restart (--short: about 75 s; the long mode: longer
#       outages, more repetitions, about 6 minutes); a table and one JSON line
set -euo pipefail
source "$(dirname "$0")/lib.sh"
mxp_need_root

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }

# lab_run WHAT SCRIPT ARGS...: what every daemon-starting run needs (packages, hugepages
# for memif, an up-to-date build), then the script in tests/reliability.
lab_run() {
    local what=$1 script=$2; shift 2
    mxp_install_packages
    mxp_hugepages 1024
    [ "$MXP_HUGE" = 1 ] || mxp_die "$what needs hugepages (memif)"
    mxp_build "$MXP_BUILD"
    export MXP_BUILD
    exec /usr/bin/python3 "$MXP_TOP/tests/reliability/$script" "$@"
}

[ $# -ge 1 ] || usage
cmd=$1; shift
case "$cmd" in
    soak)
        secs=3600 run_s= json=() load=()
        while [ $# -gt 0 ]; do
            case "$1" in
                --short) secs=40 run_s=5 load=(--max-legs 64 --calibrate-seconds 2) ;;
                --seconds) shift; secs=${1:?--seconds N} ;;
                --load) shift; load+=(--load "${1:?--load PCT}") ;;
                --max-legs) shift; load+=(--max-legs "${1:?--max-legs N}") ;;
                --json) shift; json=(--json "${1:?--json FILE}") ;;
                -h|--help) usage 0 ;;
                *) mxp_die "soak: unknown option '$1'" ;;
            esac
            shift
        done
        lab_run "the soak" soak.py --seconds "$secs" ${run_s:+--run-seconds "$run_s"} "${load[@]}" \
            "${json[@]}"
        ;;
    flood) lab_run "the media flood" flood.py "$@" ;;
    mp-flood) lab_run "the Mp flood" mp_flood.py "$@" ;;
    fuzz)
        mxp_install_packages
        fz="$MXP_TOP/build-fuzz"
        CC=clang mxp_build "$fz" -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false \
            -Dbenchmarks=false
        exec /usr/bin/python3 "$MXP_TOP/tests/reliability/fuzz_campaign.py" --build "$fz" "$@"
        ;;
    faults)
        args=()
        while [ $# -gt 0 ]; do
            case "$1" in
                --short) args+=(--short) ;;
                --json) shift; args+=(--json "${1:?--json FILE}") ;;
                -h|--help) usage 0 ;;
                *) mxp_die "faults: unknown option '$1'" ;;
            esac
            shift
        done
        lab_run "the faults" faults.py "${args[@]}"
        ;;
    -h|--help) usage 0 ;;
    *) mxp_die "unknown sub-command '$cmd' (soak, flood, mp-flood, fuzz, faults)" ;;
esac
