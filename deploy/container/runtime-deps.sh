#!/bin/bash
# The Debian packages holding the shared libraries the given programs load (ldd), one per
# line, sorted: the final stage of the Containerfile installs exactly these (no -dev, no
# compilers). libc6 is in every Debian image and is left out.
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 PROGRAM..." >&2; exit 2; }

package_of() {   # usrmerge: dpkg knows a library under /usr/lib or /lib, ldd may name either
    local lib=$1 real p
    real=$(readlink -f "$lib")
    for p in "$lib" "$real" "/usr$lib" "/usr$real" "${lib#/usr}" "${real#/usr}"; do
        dpkg-query -S "$p" 2>/dev/null | sed -n '1s/:.*//p' | grep . && return 0
    done
    echo "runtime-deps: no Debian package holds $lib" >&2
    return 1
}

libs=$(for prog in "$@"; do
    ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
    if ldd "$prog" | grep -q 'not found'; then
        echo "runtime-deps: $prog: a library is missing" >&2
        exit 1
    fi
done | sort -u)
for lib in $libs; do package_of "$lib"; done | grep -v -x 'libc6' | sort -u
