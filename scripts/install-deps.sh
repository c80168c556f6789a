#!/usr/bin/env bash
# install-deps.sh — installs the Debian 12 packages proftrace builds and tests with (as root).
# Skips apt entirely when everything is already there, so repeated runs are fast and offline.
set -euo pipefail
packages=(build-essential cmake pkg-config libelf-dev libcapstone-dev strace
          babeltrace2 gdb python3 util-linux mount procps sqlite3 coreutils
          jq chromium clang libclang-rt-14-dev libpython3.11-testsuite postgresql-15
          libdw-dev libdebuginfod1 libc6-dbg debuginfod binutils xz-utils iproute2
          man-db dpkg-dev zsh)
# libdw-dev: symbolized stacks (functions, file:line, inlined calls); libdebuginfod1: libdw's
# debuginfod client when DEBUGINFOD_URLS is set; libc6-dbg: libc's own frames by build-id;
# debuginfod, binutils, xz-utils, iproute2: the symbolization test's server, strip and
# MiniDebugInfo, and its private network namespace; man-db, dpkg-dev, zsh: the manual pages,
# the Debian package's Depends:, zsh completion.
# Peers measured side by side by bench/run (not needed by the tests).
bench_packages=(lttng-tools liblttng-ust-dev uftrace ltrace)
[ "${PT_BENCH:-0}" = 1 ] && packages+=("${bench_packages[@]}")
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q "${missing[@]}"
fi
