#!/usr/bin/env bash
# Run the project's benchmarks (doc/benchmarking.md): installs what is missing, builds,
# runs each named benchmark pinned to the last CPU, prints its table as it goes and
# collects every benchmark's JSON line into one file.
#
#   ./scripts/bench.sh                 # the in-process ones: srtp srtp_burst esp mp media codec datapath mix mix_codec mix_transcode rekey
#   ./scripts/bench.sh --quick         # the same, shorter measurements
#   ./scripts/bench.sh conf mp_daemon latency rekey_live rekey_capture  # the daemon ones (minutes; root)
#   ./scripts/bench.sh all             # everything
#   ./scripts/bench.sh charts          # the benchmarks behind the charts (doc/img)
#   ./scripts/bench.sh --out FILE ...  # JSON lines to FILE (default bench-results/<time>.jsonl)
#   ./scripts/bench.sh --plot ...      # and PNG charts of them (in FILE without .jsonl/)
#   ./scripts/bench.sh --plot-dir DIR  # the charts in DIR instead
#   ./scripts/bench.sh --plot-only FILE|DIR...  # charts of saved results; runs nothing
#
# Exit status: 0 when every benchmark ran and printed its JSON line (and every chart was
# drawn), 1 otherwise. The figures themselves are never judged here: read them against
# doc/benchmarking.md.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

IN_PROCESS=(srtp srtp_burst esp mp media codec datapath mix mix_codec mix_transcode rekey)
DAEMON=(conf mp_daemon latency rekey_live rekey_capture)
CHARTS=(srtp datapath mix mix_codec mix_transcode rekey conf latency)
PLOT=$MXP_TOP/benchmarks/common/plot.py
usage() {
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
    echo "benchmarks: ${IN_PROCESS[*]} ${DAEMON[*]} all charts"
}

quick=0 out= names=() plot=0 plot_dir= plot_only=()
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --out) [ $# -ge 2 ] || mxp_die "--out needs a file"; out=$2; shift ;;
        --plot) plot=1 ;;
        --plot-dir) [ $# -ge 2 ] || mxp_die "--plot-dir needs a directory"; plot=1; plot_dir=$2; shift ;;
        --plot-only) [ $# -ge 2 ] || mxp_die "--plot-only needs a results file or directory"
                     plot_only+=("$2"); shift ;;
        -h|--help) usage; exit 0 ;;
        all) names+=("${IN_PROCESS[@]}" "${DAEMON[@]}") ;;
        charts) names+=("${CHARTS[@]}") ;;
        -*) usage >&2; mxp_die "unknown option $1" ;;
        *) ok=0
           for n in "${IN_PROCESS[@]}" "${DAEMON[@]}"; do [ "$n" = "$1" ] && ok=1; done
           [ $ok = 1 ] || { usage >&2; mxp_die "unknown benchmark '$1'"; }
           names+=("$1") ;;
    esac
    shift
done

# charts_dir FILE: where the charts of a results file go by default (FILE without .jsonl/)
charts_dir() {
    local d=${1%.jsonl}
    [ "$d" != "$1" ] || d=$1.charts
    echo "$d"
}

# plot_results DIR FILE...: the charts of saved JSON lines (benchmarks/common/plot.py)
plot_results() {
    local dir=$1; shift
    mxp_say "charts of $* in $dir"
    /usr/bin/python3 "$PLOT" --out "$dir" "$@"
}

if [ ${#plot_only[@]} -gt 0 ]; then
    [ ${#names[@]} -eq 0 ] && [ -z "$out" ] && [ $quick = 0 ] ||
        mxp_die "--plot-only runs nothing: no benchmark names, --out or --quick"
    files=()
    for p in "${plot_only[@]}"; do
        if [ -d "$p" ]; then
            for f in "$p"/*.jsonl; do [ -e "$f" ] && files+=("$f"); done
        elif [ -e "$p" ]; then files+=("$p")
        else mxp_die "--plot-only $p: no such file or directory"; fi
    done
    [ ${#files[@]} -gt 0 ] || mxp_die "--plot-only: no .jsonl file in ${plot_only[*]}"
    if [ -z "$plot_dir" ]; then
        if [ ${#plot_only[@]} -eq 1 ] && [ -d "${plot_only[0]}" ]; then plot_dir=${plot_only[0]}
        else plot_dir=$(charts_dir "${files[0]}"); fi
    fi
    plot_results "$plot_dir" "${files[@]}"
    exit $?
fi
[ ${#names[@]} -gt 0 ] || names=("${IN_PROCESS[@]}")

mxp_need_root
mxp_install_packages
mxp_hugepages "${MXP_HUGEPAGES:-1024}"
mxp_build "$MXP_BUILD"

ncpu=$(nproc)
cpu=$((ncpu - 1))       # the measured core; everything else stays on the others
pin=(taskset -c "$cpu")
if [ -z "$out" ]; then
    mkdir -p "$MXP_TOP/bench-results"
    out="$MXP_TOP/bench-results/$(date -u +%Y%m%dT%H%M%SZ).jsonl"
fi
# the first line says where and how (the charts' captions)
/usr/bin/python3 "$PLOT" --meta "$([ $quick = 1 ] && echo quick || echo full)" > "$out" ||
    mxp_die "cannot write $out"

B=$MXP_BUILD/benchmarks
PY=/usr/bin/python3
cmd_for() {
    case $1 in
        srtp)     if [ $quick = 1 ]; then echo "${pin[*]} $B/srtp/bench_srtp -q"
                  else echo "${pin[*]} $B/srtp/bench_srtp -m"; fi ;;
        srtp_burst) if [ $quick = 1 ]; then echo "${pin[*]} $B/srtp/bench_srtp -b -t 0.25"
                  else echo "${pin[*]} $B/srtp/bench_srtp -b"; fi ;;
        esp)      echo "${pin[*]} $B/esp/bench_esp" ;;
        mp)       echo "${pin[*]} $B/mp/bench_mp" ;;
        media)    if [ $quick = 1 ]; then echo "${pin[*]} $B/media/bench_media 0.1"
                  else echo "${pin[*]} $B/media/bench_media 0.4"; fi ;;
        codec)    if [ $quick = 1 ]; then echo "${pin[*]} $B/media/bench_codec --quick"
                  else echo "${pin[*]} $B/media/bench_codec"; fi ;;
        datapath) echo "$B/datapath/bench_datapath -l $cpu --no-pci --file-prefix mxpbench" \
                       "--huge-unlink --log-level lib.eal:warning -- $([ $quick = 1 ] && echo --quick)" ;;
        mix)      echo "$B/mix/bench_mix -l $cpu --no-pci --file-prefix mxpbench --huge-unlink" \
                       "--log-level lib.eal:warning -- $([ $quick = 1 ] && echo --seconds 0.5 --max-participants 4000)" ;;
        # the codec variants, short (key groups, 2 s runs): Opus conferences (silent legs in
        # DTX) after PCMU, and Opus-PCMU transcoding sessions after PCMU-PCMU
        mix_codec) echo "$B/mix/bench_mix -l $cpu --no-pci --file-prefix mxpbench --huge-unlink" \
                       "--log-level lib.eal:warning -- --codec opus --keys group" \
                       "$([ $quick = 1 ] && echo --seconds 0.5 --max-participants 4000 || echo --seconds 2)" ;;
        mix_transcode) echo "$B/mix/bench_mix -l $cpu --no-pci --file-prefix mxpbench --huge-unlink" \
                       "--log-level lib.eal:warning -- --transcode opus:pcmu --keys group" \
                       "$([ $quick = 1 ] && echo --seconds 0.5 --max-participants 4000 || echo --seconds 2)" ;;
        rekey)    echo "$PY $MXP_TOP/benchmarks/rekey/rekey_policy.py" ;;
        conf)     if [ $quick = 1 ]; then echo "$PY $MXP_TOP/benchmarks/conf/bench_conf.py --quick --wait-quiet 5"
                  else echo "$PY $MXP_TOP/benchmarks/conf/bench_conf.py"; fi ;;
        latency)  echo "$PY $MXP_TOP/benchmarks/conf/bench_latency.py $([ $quick = 1 ] && echo --quick)" ;;
        rekey_live) echo "$PY $MXP_TOP/benchmarks/rekey/rekey_live.py $([ $quick = 1 ] && echo --quick)" ;;
        rekey_capture) echo "$PY $MXP_TOP/benchmarks/rekey/rekey_capture.py $([ $quick = 1 ] && echo --quick)" ;;
        mp_daemon) echo "$PY $MXP_TOP/benchmarks/mp/bench_mp_daemon.py" ;;
    esac
}

declare -A result
failed=0
for n in "${names[@]}"; do
    c=$(cmd_for "$n")
    mxp_say "$n: $c"
    log=$(mktemp)
    # shellcheck disable=SC2086  # the command line is a list of words
    MXP_BUILD=$MXP_BUILD $c 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    json=$(grep '^{' "$log" | tail -n 1)
    rm -f "$log"
    if [ "$rc" -eq 0 ] && [ -n "$json" ]; then
        printf '%s\n' "$json" >> "$out"
        result[$n]="ok"
    else
        failed=1
        result[$n]="FAILED (exit $rc$([ -z "$json" ] && echo ', no JSON line'))"
    fi
done

echo
printf '%-13s %s\n' benchmark result
for n in "${names[@]}"; do printf '%-13s %s\n' "$n" "${result[$n]}"; done
echo "JSON lines: $out"
if [ $plot = 1 ]; then
    plot_results "${plot_dir:-$(charts_dir "$out")}" "$out" || failed=1
fi
exit $failed
