#!/usr/bin/env bash
# debug_gdb.sh — the gdb extension as users load it (docs/debugging.md), with no PROFTRACE_BIN and
# no proftrace on PATH: from the build tree (`source gdb/proftrace.py`, `gdb -x`, and auto-load of
# build/lib/libproftrace.so-gdb.py once that directory is a safe path) and from an install into a
# temporary prefix (`source PREFIX/share/proftrace/gdb/proftrace.py`, `gdb -x`, and auto-load
# through the prefix's share/gdb/auto-load). Each time, stopped in a traced program
# (tests/events/calls.c at UnmapViewOfFile): the extension names the proftrace of that tree,
# proftrace-events prints the process's last events and proftrace-holds finds the view it still
# maps; nothing raises a Python exception (gdb 13 removes __file__ once a script is loaded).
set -euo pipefail
: "${PT_BIN:?}" "${PT_LIB:?}" "${PT_TESTS:?}" "${PT_SRC:?}"
BUILD=$(dirname "$PT_BIN")
T=$(mktemp -d "${TMPDIR:-/tmp}/pt-debug_gdb.XXXXXX")
TAG=ptgdb$(basename "$T" | sed 's/.*\.//')
trap 'rm -f /dev/shm/'"$TAG"'* /dev/shm/winsim.'"$TAG"'.*; rm -rf "$T"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
mkdir -p "$T/nobin" "$T/hives" "$T/files"
n=0
# in_gdb CASE SHIM WANT-BINARY GDB-OPTION...: the program under gdb, as a user runs it from the
# directory it is in; what the extension printed checked.
in_gdb() {
    local case=$1 shim=$2 want=$3
    shift 3
    n=$((n + 1))
    mkdir -p "$T/t$n"
    env -u PROFTRACE_BIN -u LD_PRELOAD PATH="$T/nobin" PROFTRACE_DIR="$T/t$n" \
        WINSIM_HIVE_ROOT="$T/hives" WINSIM_NAMESPACE="$TAG" WINSIM_SESSION=7 \
        /usr/bin/gdb -q -batch -nx "$@" -ex 'set startup-with-shell off' \
        -ex "set environment LD_PRELOAD ${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$shim" \
        -ex 'break UnmapViewOfFile' -ex run \
        -ex 'echo ==BINARY==\n' -ex 'show proftrace-binary' \
        -ex 'echo ==EVENTS==\n' -ex 'proftrace-events 2' \
        -ex 'echo ==HOLDS==\n' -ex "proftrace-holds winsim.$TAG.s7.$TAG-map" -ex 'echo ==END==\n' \
        -ex kill --args "$PT_TESTS/events_calls" "$TAG" "$T/files" >"$T/gdb$n.log" 2>&1 ||
        fail "$case: gdb: $(tail -5 "$T/gdb$n.log")"
    local log=$T/gdb$n.log
    ! grep -E 'Python Exception|Error occurred in Python|Undefined command' "$log" >&2 ||
        fail "$case: $(cat "$log")"
    sed -n '/^==BINARY==/,/^==EVENTS==/p' "$log" | grep -qxF "proftrace executable: $want" ||
        fail "$case: not $want: $(sed -n '/^==BINARY==/,/^==EVENTS==/p' "$log")"
    local ev
    ev=$(sed -n '/^==EVENTS==/,/^==HOLDS==/p' "$log" | sed '1d;$d')
    [ "$(wc -l <<<"$ev")" = 2 ] && tail -n1 <<<"$ev" |
        grep -qE "^[0-9:.]+ \[[0-9]+ events_calls\] OpenFileMappingA\(FILE_MAP_READ, \"Local\\\\\\\\$TAG-map\"\) = 0x" ||
        fail "$case: proftrace-events 2: $ev"
    sed -n '/^==HOLDS==/,/^==END==/p' "$log" | grep -qE '^shared mapping +dev [0-9]+ ino [0-9]+ +held by pid [0-9]+.*\[alive\]' ||
        fail "$case: proftrace-holds: $(sed -n '/^==HOLDS==/,/^==END==/p' "$log")"
    echo "ok: $case: $want, proftrace-events and proftrace-holds"
}

# ---- the build tree, as docs/debugging.md's workflow: from build/, shim lib/libproftrace.so
cd "$BUILD"
in_gdb "build tree, source" lib/libproftrace.so "$PT_BIN/proftrace" -ex "source $PT_SRC/gdb/proftrace.py"
in_gdb "build tree, -x" lib/libproftrace.so "$PT_BIN/proftrace" -x "$PT_SRC/gdb/proftrace.py"
in_gdb "build tree, auto-load" lib/libproftrace.so "$PT_BIN/proftrace" -iex "add-auto-load-safe-path $BUILD/lib"
# not yet running: the proftrace built with the sources the script is in (in SRC/build)
if [ "$(cd "$PT_SRC/build" 2>/dev/null && pwd -P)" = "$(cd "$BUILD" && pwd -P)" ]; then
    env -u PROFTRACE_BIN PATH="$T/nobin" /usr/bin/gdb -q -batch -nx -ex "source $PT_SRC/gdb/proftrace.py" \
        -ex 'show proftrace-binary' 2>&1 | grep -qxF "proftrace executable: $(cd "$PT_SRC/build/bin" && pwd -P)/proftrace" ||
        fail "build tree: no proftrace before the program runs"
fi

# ---- an install into a temporary prefix, used from elsewhere
P=$T/prefix
cmake --install "$BUILD" --prefix "$P" >"$T/install.log" 2>&1 || fail "cmake --install: $(tail -5 "$T/install.log")"
cd "$T/files"
shim=$P/lib/proftrace/libproftrace.so
in_gdb "install, source" "$shim" "$P/bin/proftrace" -ex "source $P/share/proftrace/gdb/proftrace.py"
in_gdb "install, -x" "$shim" "$P/bin/proftrace" -x "$P/share/proftrace/gdb/proftrace.py"
in_gdb "install, auto-load" "$shim" "$P/bin/proftrace" \
    -iex "add-auto-load-scripts-directory $P/share/gdb/auto-load" -iex "add-auto-load-safe-path $P/share/gdb/auto-load"
env -u PROFTRACE_BIN PATH="$T/nobin" /usr/bin/gdb -q -batch -nx -ex "source $P/share/proftrace/gdb/proftrace.py" \
    -ex 'show proftrace-binary' 2>&1 | grep -qxF "proftrace executable: $P/bin/proftrace" ||
    fail "install: no proftrace before the program runs"
echo "ok: install: the prefix's proftrace before the program runs too"
