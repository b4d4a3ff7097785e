#!/usr/bin/env bash
# Prepare this machine for mixplane: Debian packages, hugepages, a release build.
# Safe to run again: it only does what is missing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
mxp_need_root
mxp_install_packages
mxp_hugepages "${MXP_HUGEPAGES:-1024}"
mxp_say "building in $MXP_BUILD"
mxp_build "$MXP_BUILD"
mxp_say "ready: $MXP_BUILD/app/mixplane/mixplane, $MXP_BUILD/app/mixplanectl/mixplanectl"
