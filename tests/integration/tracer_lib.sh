# tracer_lib.sh — sourced by the tracer's integration tests: paths, a private temp dir, checks.
set -euo pipefail
: "${PT_BIN:?set by CTest}" "${PT_TESTS:?set by CTest}"
PROFTRACE=$PT_BIN/proftrace
WRITER=$PT_TESTS/tracer_tool_writer
CHECK=$PT_TESTS/tracer_tool_check
T=$(mktemp -d "/tmp/pt-$(basename "$0" .sh)-XXXXXX")
PIDS_TO_KILL=()
cleanup() {
    for p in "${PIDS_TO_KILL[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
# wait_for FILE [TENTHS]: until FILE exists
wait_for() {
    local n=${2:-300}
    while [ ! -e "$1" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    [ -e "$1" ] || fail "timed out waiting for $1"
}
# babeltrace2's event count (lines of its pretty output that are events)
bt_count() { babeltrace2 "$1" 2>/dev/null | grep -c '^\[' || true; }
# `proftrace record`; in sanitized builds with the sanitizer runtime preloaded first in the
# traced processes (record keeps it before the shim, which needs it)
pt_record() {
    if [ -n "${PT_PRELOAD_FIRST:-}" ]; then
        LD_PRELOAD=$PT_PRELOAD_FIRST "$PROFTRACE" record "$@"
    else
        "$PROFTRACE" record "$@"
    fi
}
