#!/bin/sh
# mixplane-entrypoint: what the image runs.
#
#   (no arguments)          the daemon: mixplane $MXP_EAL_ARGS [--no-huge] -- -f $MXP_CONFIG
#   -l 2-5 -a 0000:03:00.0  the daemon with these EAL options instead of $MXP_EAL_ARGS
#   mixplanectl ARGS, mrfc ARGS, mixgen ARGS, srtp-pcap ARGS, sh ...
#                           that program (the tools ship in the same image)
#
# Environment:
#   MXP_CONFIG      the configuration file (/etc/mixplane/mixplane.ini, mounted)
#   MXP_EAL_ARGS    EAL options ("-l 0,1 --no-pci --file-prefix mixplane")
#   MXP_HUGEPAGES   auto (default): hugepages when a hugetlbfs is mounted on /dev/hugepages
#                   and this user may write to it, else --no-huge with a warning;
#                   yes: refuse to start without them; no: always --no-huge
#   MXP_NO_HUGE_MB  memory for --no-huge (512 MiB)
#
# The daemon is exec'd: it is the container's process 1 and gets SIGTERM from
# `podman stop` / the kubelet directly (it blocks SIGTERM and reads it from a signalfd,
# which works for process 1), stops its workers and exits 0.
set -eu

prog=mixplane-entrypoint
case "${1:-}" in
    mixplanectl|mrfc|mixgen|srtp-pcap|mixplane)
        exec "$@" ;;
    sh|bash|/*)
        exec "$@" ;;
    ''|-*)
        ;;
    *)
        echo "$prog: unknown command '$1' (mixplanectl, mrfc, mixgen, srtp-pcap, sh, or EAL options for the daemon)" >&2
        exit 2 ;;
esac

config=${MXP_CONFIG:-/etc/mixplane/mixplane.ini}
if [ ! -r "$config" ]; then
    echo "$prog: cannot read the configuration $config (uid $(id -u)): mount it, e.g." \
         "-v /etc/mixplane:/etc/mixplane:ro; an example is in" \
         "/usr/local/share/mixplane/mixplane.ini.example" >&2
    exit 2
fi

if [ $# -gt 0 ]; then
    eal="$*"
else
    eal=${MXP_EAL_ARGS:--l 0,1 --no-pci --file-prefix mixplane}
fi

huge_ok() {
    grep -q '^[^ ]* /dev/hugepages hugetlbfs ' /proc/mounts && [ -w /dev/hugepages ]
}
case "${MXP_HUGEPAGES:-auto}" in
    yes)
        huge_ok || { echo "$prog: MXP_HUGEPAGES=yes but no hugetlbfs writable by uid" \
                          "$(id -u) is mounted on /dev/hugepages" >&2; exit 2; } ;;
    no)
        eal="$eal --no-huge -m ${MXP_NO_HUGE_MB:-512}" ;;
    auto)
        case " $eal " in
            *" --no-huge "*) ;;
            *) if ! huge_ok; then
                   echo "$prog: warning: no hugetlbfs writable by uid $(id -u) on" \
                        "/dev/hugepages: running with --no-huge -m ${MXP_NO_HUGE_MB:-512}" \
                        "(slower; memif needs hugepages)" >&2
                   eal="$eal --no-huge -m ${MXP_NO_HUGE_MB:-512}"
               fi ;;
        esac ;;
    *)
        echo "$prog: MXP_HUGEPAGES must be auto, yes or no" >&2
        exit 2 ;;
esac

# $eal is split on spaces on purpose: it is a list of options.
# shellcheck disable=SC2086
exec /usr/local/bin/mixplane $eal -- -f "$config"
