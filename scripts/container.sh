#!/usr/bin/env bash
# Build and test the mixplane container image with podman (doc/deployment.md, "Container image").
#
#   scripts/container.sh base    the Debian 12 base image: mmdebstrap bookworm, imported
#                                with podman import (skipped when it exists; --fresh redoes it)
#   scripts/container.sh build   podman build of deploy/container/Containerfile (base first if
#                                missing); the image is mixplane:latest
#   scripts/container.sh test    the end-to-end test of the image (the daemon in a container on
#                                a veth, mrfc over ESP, mixgen media, podman stop):
#                                tests/integration/basic/test_container.py
#   scripts/container.sh all     base, build and test, each timed
#   scripts/container.sh probe   which podman options work on this machine (printed)
#   scripts/container.sh clean   remove the images (mixplane, its build stage, the base)
#
# Options: --fresh (base: make it again; build: --no-cache), --image NAME (mixplane:latest).
# Needs root, podman, runc (or crun), mmdebstrap (scripts/lib.sh MXP_PACKAGES).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

MXP_IMAGE=${MXP_IMAGE:-localhost/mixplane:latest}
MXP_BASE_IMAGE=${MXP_BASE_IMAGE:-localhost/mixplane-base:bookworm}
MXP_BUILD_STAGE_IMAGE=${MXP_BUILD_STAGE_IMAGE:-localhost/mixplane-build:cache}
fresh=0
cmd=
while [ $# -gt 0 ]; do
    case $1 in
        base|build|test|all|probe|clean) cmd=$1 ;;
        --fresh) fresh=1 ;;
        --image) shift; MXP_IMAGE=$1 ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) mxp_die "unknown argument '$1' (try --help)" ;;
    esac
    shift
done
[ -n "$cmd" ] || { sed -n '2,17p' "$0"; exit 2; }

mxp_need_root
for t in podman mmdebstrap; do
    command -v "$t" >/dev/null || mxp_die "$t is missing: scripts/setup.sh or apt-get install $t"
done

# ---- what podman needs here ---------------------------------------------------------------
# The defaults fail in some sandboxes (this project's CI VMs among them):
#  - crun 1.8 refuses a cgroup v1/v2 hybrid host ("cgroups in hybrid mode not supported"):
#    runc works there;
#  - podman raises RLIMIT_NOFILE/NPROC of the container to 1048576/4194304, which a root
#    without CAP_SYS_RESOURCE may not ("setrlimit RLIMIT_NOFILE: Operation not permitted"):
#    keep the limits podman itself runs with.
# probe tries the plain defaults first and keeps the first set that starts a container.
# The chosen options are exported for the e2e test: MXP_PODMAN_GLOBAL, MXP_PODMAN_RUN.
podman_probe() {
    [ -n "${MXP_PODMAN_PROBED:-}" ] && return 0
    local nofile nproc runtime opts
    # podman lowers its own RLIMIT_NPROC to 32768 when it may not raise it
    nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] && nofile=1048576
    nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
    local tried=()
    for runtime in "" runc crun; do
        [ -n "$runtime" ] && ! command -v "$runtime" >/dev/null && continue
        for opts in "" "--ulimit nofile=$nofile:$nofile --ulimit nproc=$nproc:$nproc"; do
            local g=()
            [ -n "$runtime" ] && g=(--runtime "$runtime")
            # shellcheck disable=SC2086
            if out=$(podman "${g[@]}" run --rm --network none $opts "$MXP_BASE_IMAGE" true 2>&1); then
                MXP_PODMAN_GLOBAL="${g[*]}"
                MXP_PODMAN_RUN=$opts
                MXP_PODMAN_PROBED=1
                export MXP_PODMAN_GLOBAL MXP_PODMAN_RUN MXP_PODMAN_PROBED
                return 0
            fi
            tried+=("runtime=${runtime:-default} ${opts:-(no options)}: $(echo "$out" | tail -1)")
        done
    done
    printf '  %s\n' "${tried[@]}" >&2
    mxp_die "podman cannot start a container here (tried the above)"
}

pm() {   # podman with the global options the probe chose
    # shellcheck disable=SC2086
    podman ${MXP_PODMAN_GLOBAL:-} "$@"
}

image_exists() { podman image exists "$1"; }

# The apt sources this machine uses (deb.debian.org unless configured otherwise): the base
# image gets the same mirror for bookworm, bookworm-updates and bookworm-security.
debian_mirrors() {
    local main=http://deb.debian.org/debian sec=http://deb.debian.org/debian-security u
    for u in $(grep -h -E '^(URIs:|deb )' /etc/apt/sources.list /etc/apt/sources.list.d/* \
                   2>/dev/null | grep -o -E 'https?://[^ ]*debian[^ ]*'); do
        case $u in
            *debian-security*) sec=${u%/} ;;
            *debian) main=${u%/} ;;
        esac
    done
    echo "deb $main bookworm main"
    echo "deb $main bookworm-updates main"
    echo "deb $sec bookworm-security main"
}

do_base() {
    if image_exists "$MXP_BASE_IMAGE" && [ $fresh -eq 0 ]; then
        mxp_say "base: $MXP_BASE_IMAGE exists (--fresh to make it again)"
        return 0
    fi
    local tmp t0 mirrors=()
    tmp=$(mktemp -d /var/tmp/mxp-base.XXXXXX) || mxp_die "mktemp failed"
    mapfile -t mirrors < <(debian_mirrors)
    mxp_say "base: mmdebstrap --variant=minbase bookworm (${mirrors[0]#deb })"
    t0=$SECONDS
    # No manual pages, documentation (but the copyright files) or translations, in the base
    # and in everything installed on it later (the dpkg options stay in the image).
    if ! mmdebstrap --variant=minbase --mode=root --include=ca-certificates \
            --aptopt='APT::Install-Recommends "false"' \
            --dpkgopt='path-exclude=/usr/share/man/*' \
            --dpkgopt='path-exclude=/usr/share/doc/*' \
            --dpkgopt='path-include=/usr/share/doc/*/copyright' \
            --dpkgopt='path-exclude=/usr/share/locale/*' \
            --dpkgopt='path-exclude=/usr/share/info/*' \
            bookworm "$tmp/rootfs.tar" "${mirrors[@]}" >"$tmp/mmdebstrap.log" 2>&1; then
        tail -20 "$tmp/mmdebstrap.log" >&2
        rm -rf "$tmp"
        mxp_die "mmdebstrap failed (log above)"
    fi
    mxp_say "base: podman import as $MXP_BASE_IMAGE"
    podman import --quiet --change 'CMD ["/bin/bash"]' --message "mmdebstrap minbase bookworm" \
        "$tmp/rootfs.tar" "$MXP_BASE_IMAGE" >/dev/null || { rm -rf "$tmp"; mxp_die "podman import failed"; }
    rm -rf "$tmp"
    mxp_say "base: done in $((SECONDS - t0)) s"
}

do_build() {
    image_exists "$MXP_BASE_IMAGE" || do_base
    podman_probe
    local t0 nc=()
    [ $fresh -eq 1 ] && nc=(--no-cache)
    mxp_say "build: podman build -f deploy/container/Containerfile -t $MXP_IMAGE (the source tree)"
    t0=$SECONDS
    # shellcheck disable=SC2086
    podman build ${MXP_PODMAN_GLOBAL:-} "${nc[@]}" --network host $MXP_PODMAN_RUN --layers \
        --build-arg BASE="$MXP_BASE_IMAGE" \
        --ignorefile "$MXP_TOP/deploy/container/containerignore" \
        -f "$MXP_TOP/deploy/container/Containerfile" -t "$MXP_IMAGE" "$MXP_TOP" ||
        mxp_die "podman build failed"
    mxp_say "build: done in $((SECONDS - t0)) s"
    # Keep the build stage tagged (its -dev packages layer is the slow part of the next
    # build), then drop what earlier builds left untagged.
    # shellcheck disable=SC2086
    podman build ${MXP_PODMAN_GLOBAL:-} --network host $MXP_PODMAN_RUN --layers --quiet \
        --build-arg BASE="$MXP_BASE_IMAGE" --target build -t "$MXP_BUILD_STAGE_IMAGE" \
        --ignorefile "$MXP_TOP/deploy/container/containerignore" \
        -f "$MXP_TOP/deploy/container/Containerfile" "$MXP_TOP" >/dev/null ||
        mxp_warn "could not tag the build stage (the next build starts from the packages)"
    podman image prune -f >/dev/null 2>&1 || true
    podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "^($MXP_IMAGE|$MXP_BASE_IMAGE) "
}

do_test() {
    image_exists "$MXP_IMAGE" || do_build
    podman_probe
    [ -x "$MXP_BUILD/app/mixplane/mixplane" ] || mxp_build "$MXP_BUILD"
    mxp_say "test: tests/integration/basic/test_container.py against $MXP_IMAGE"
    local t0=$SECONDS rc
    MXP_IMAGE=$MXP_IMAGE MXP_CONTAINER_NO_BUILD=1 MXP_BUILD=$MXP_BUILD MXP_SOURCE=$MXP_TOP \
        PYTHONPATH="$MXP_TOP/tests/integration" PYTHONDONTWRITEBYTECODE=1 \
        flock /tmp/mxp-integ.lock /usr/bin/python3 "$MXP_TOP/tests/integration/basic/test_container.py"
    rc=$?
    mxp_say "test: exit $rc in $((SECONDS - t0)) s"
    return $rc
}

case $cmd in
    probe)
        image_exists "$MXP_BASE_IMAGE" || do_base
        podman_probe
        echo "podman global options: ${MXP_PODMAN_GLOBAL:-(none)}"
        echo "podman run options:    ${MXP_PODMAN_RUN:-(none)}" ;;
    base) do_base ;;
    build) do_build ;;
    test) do_test ;;
    all)
        t_all=$SECONDS
        do_base && do_build && do_test
        rc=$?
        mxp_say "all: $((SECONDS - t_all)) s"
        exit $rc ;;
    clean)
        podman rmi -f "$MXP_IMAGE" "$MXP_BUILD_STAGE_IMAGE" "$MXP_BASE_IMAGE" 2>/dev/null
        podman image prune -f >/dev/null
        mxp_say "clean: images removed" ;;
esac
