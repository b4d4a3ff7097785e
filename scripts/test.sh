#!/usr/bin/env bash
# Run every test suite: installs what is missing, builds, runs, prints a summary, and
# exits non-zero on any failure.
#
#   build/       release build: unit + integration suites
#   build-asan/  ASan + UBSan build: unit suite
#   build-fuzz/  clang + libFuzzer + ASan/UBSan: fuzz suite (every parser)
#
# Options: --no-asan, --no-fuzz, --no-integration (for quick local runs; CI runs all),
#          --fuzz-runs N (default 20000 random inputs per target).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

asan=1 fuzz=1 integ=1 fuzz_runs=20000
while [ $# -gt 0 ]; do
    case $1 in
        --no-asan) asan=0 ;;
        --no-fuzz) fuzz=0 ;;
        --no-integration) integ=0 ;;
        --fuzz-runs) shift; fuzz_runs=$1 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) mxp_die "unknown option $1" ;;
    esac
    shift
done

mxp_need_root
mxp_install_packages
mxp_hugepages "${MXP_HUGEPAGES:-1024}"
cd "$MXP_TOP"

export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
results=()
failed=0

# run_suite LABEL BUILDDIR SUITE...
run_suite() {
    local label=$1 dir=$2; shift 2
    local args=() s
    for s in "$@"; do args+=(--suite "$s"); done
    mxp_say "$label: meson test ${*} in $dir"
    meson test -C "$dir" "${args[@]}" --print-errorlogs --num-processes 1
    local rc=$?
    local summary
    summary=$(/usr/bin/python3 - "$dir/meson-logs/testlog.json" <<'PY'
import json, sys
ok = fail = 0
names = []
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t["result"] in ("OK", "EXPECTEDFAIL", "SKIP"):
        ok += 1
    else:
        fail += 1
        names.append(t["name"])
print("%d passed, %d failed%s" % (ok, fail, (": " + ", ".join(names)) if names else ""))
PY
)
    results+=("$(printf '%-34s %s' "$label" "$summary")")
    [ $rc -eq 0 ] || failed=1
}

mxp_say "building build/ (release)"
mxp_build build
run_suite "unit (release)" build unit
if [ $integ -eq 1 ]; then
    run_suite "integration (release)" build integration
fi

if [ $asan -eq 1 ]; then
    mxp_say "building build-asan/ (ASan + UBSan)"
    mxp_build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false
    run_suite "unit (ASan+UBSan)" build-asan unit
fi

if [ $fuzz -eq 1 ]; then
    mxp_say "building build-fuzz/ (clang, libFuzzer, ASan + UBSan)"
    CC=clang mxp_build build-fuzz -Dfuzz=true -Dfuzz_runs="$fuzz_runs" \
        -Db_sanitize=address,undefined -Db_lundef=false -Dbenchmarks=false
    meson configure build-fuzz -Dfuzz_runs="$fuzz_runs" >/dev/null
    run_suite "fuzz ($fuzz_runs runs per target)" build-fuzz fuzz
    # The fuzzing campaign's short mode (scripts/reliability.sh fuzz): its table and JSON
    # line over every target; a finding fails the run.
    mxp_say "fuzz campaign (short): tests/reliability/fuzz_campaign.py --runs 2000"
    if /usr/bin/python3 tests/reliability/fuzz_campaign.py --build build-fuzz --runs 2000; then
        results+=("$(printf '%-34s %s' "fuzz campaign (short)" "passed")")
    else
        results+=("$(printf '%-34s %s' "fuzz campaign (short)" "FAILED")")
        failed=1
    fi
fi

echo
mxp_say "summary"
for r in "${results[@]}"; do echo "  $r"; done
if [ $failed -ne 0 ]; then
    printf '\033[31mFAILED\033[0m\n'
    exit 1
fi
printf '\033[32mALL PASSED\033[0m\n'
