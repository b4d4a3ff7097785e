# Shared by the scripts: logging, package installation, hugepages, building.
# shellcheck shell=bash

MXP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MXP_BUILD=${MXP_BUILD:-$MXP_TOP/build}

# Debian packages the project needs to build, test and demo.
MXP_PACKAGES=(
    build-essential pkg-config meson ninja-build clang libclang-rt-14-dev
    dpdk dpdk-dev libdpdk-dev libipsec-mb-dev libsrtp2-dev libssl-dev libpcap-dev
    libusrsctp-dev libopus-dev libopencore-amrnb-dev libopencore-amrwb-dev libvo-amrwbenc-dev
    python3 python3-scapy python3-numpy python3-matplotlib ffmpeg tshark
    iproute2 iputils-ping ethtool procps psmisc util-linux
    tmux
    podman runc mmdebstrap
    prometheus  # promtool: deploy/prometheus checks, basic_metrics
    nodejs
)
# scripts/k8s-validate.sh: npm (Debian's; NodeSource's nodejs bundles its own and conflicts with it)
command -v npm >/dev/null 2>&1 || MXP_PACKAGES+=(npm)

mxp_say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
mxp_warn() { printf '\033[33mwarning:\033[0m %s\n' "$*" >&2; }
mxp_die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

mxp_need_root() {
    [ "$(id -u)" -eq 0 ] || mxp_die "run as root (DPDK needs hugepages and raw network access)"
}

# Install whatever of MXP_PACKAGES is missing (apt-get update only when needed).
mxp_install_packages() {
    local missing=() p
    for p in "${MXP_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    mxp_say "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture: answer no.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq || mxp_die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
        mxp_die "apt-get install failed for: ${missing[*]}"
}

# Reserve 2 MiB hugepages and mount hugetlbfs. Sets MXP_HUGE=1 when usable,
# MXP_HUGE=0 when the machine refuses (callers then use --no-huge).
mxp_hugepages() {
    local want=${1:-1024} f=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
    MXP_HUGE=0
    if [ "${MXP_NO_HUGE:-0}" = 1 ]; then   # try the fallback on a machine that has them
        mxp_warn "MXP_NO_HUGE=1: running with --no-huge (memif needs hugepages)"
        export MXP_HUGE
        return 0
    fi
    if [ -w "$f" ] && [ "$(cat "$f")" -lt "$want" ]; then
        echo "$want" > "$f" 2>/dev/null || true
    fi
    if ! grep -q '^[^ ]* /dev/hugepages hugetlbfs' /proc/mounts; then
        mkdir -p /dev/hugepages
        mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
    fi
    local free
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    if grep -q ' /dev/hugepages hugetlbfs' /proc/mounts && [ "${free:-0}" -ge 256 ]; then
        MXP_HUGE=1
    else
        mxp_warn "hugepages unavailable (free: ${free:-0}); falling back to --no-huge (memif needs hugepages)"
    fi
    export MXP_HUGE
}

# Configure (once) and build a build directory: mxp_build DIR [meson options...]
mxp_build() {
    local dir=$1; shift
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$MXP_TOP" "$@" >/dev/null || mxp_die "meson setup $dir failed"
    fi
    ninja -C "$dir" >/dev/null 2>"$dir.log" || { cat "$dir.log" >&2; rm -f "$dir.log"; mxp_die "build of $dir failed"; }
    rm -f "$dir.log"
}
