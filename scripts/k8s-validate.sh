#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Validate deploy/kubernetes/ offline: the base and every overlay rendered, every document
# against the Kubernetes API schemas (kubernetes-models) and the Multus CRD, and the
# deployment's policies (deploy/kubernetes/validate/validate.mjs says which).
#
#   scripts/k8s-validate.sh [DIR]     DIR: a deploy/kubernetes tree (default: this one's)
#
# The pinned npm packages (deploy/kubernetes/validate/package.json and package-lock.json) are
# installed once into $MXP_K8S_CACHE (default ~/.cache/mixplane/k8s-validate), outside the
# repository; only that first install needs the npm registry. Exit 0 valid, 1 invalid,
# 2 cannot run (no node/npm, registry unreachable).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$top/deploy/kubernetes}
src=$top/deploy/kubernetes/validate
cache=${MXP_K8S_CACHE:-${HOME:-/root}/.cache/mixplane/k8s-validate}

command -v node >/dev/null && command -v npm >/dev/null || {
    echo "k8s-validate: node and npm are needed (Debian: apt-get install nodejs npm)" >&2
    exit 2
}
mkdir -p "$cache"
# (Re)install when the pinned versions changed.
if ! cmp -s "$src/package-lock.json" "$cache/package-lock.json" || [ ! -d "$cache/node_modules" ]; then
    cp "$src/package.json" "$src/package-lock.json" "$cache/"
    if ! (cd "$cache" && npm ci --no-audit --no-fund --loglevel=error >"$cache/npm.log" 2>&1); then
        echo "k8s-validate: cannot install the validator's npm packages into $cache" >&2
        echo "  (npm ci needs the npm registry once: is https://registry.npmjs.org reachable?" >&2
        echo "   npm's log: $cache/npm.log)" >&2
        tail -5 "$cache/npm.log" >&2 || true
        rm -f "$cache/package-lock.json"
        exit 2
    fi
fi
cp "$src/validate.mjs" "$cache/validate.mjs"
exec node "$cache/validate.mjs" "$dir"
