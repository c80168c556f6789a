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
# pt_collect_start DIR: `proftrace collect -o DIR` in the background (its pid in $collector, its
# environment in DIR.env, its stderr in DIR.err), once it has printed the environment; then
# pt_collected CMD... runs CMD traced by it (with the sanitizer runtime first, as pt_record does).
# Stopping $collector (SIGSTOP) is how a test makes sure that nothing drains a buffer meanwhile.
pt_collect_start() {
    : >"$1.env" # there before tail follows it
    "$PROFTRACE" collect --no-journal -o "$1" >"$1.env" 2>"$1.err" &
    collector=$!
    PIDS_TO_KILL+=("$collector")
    timeout 60 grep -m1 -q '^PROFTRACE_DIR=' <(tail -n +1 -f "$1.env") ||
        fail "collect printed no environment: $(cat "$1.err")"
    pt_collected_env=("LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$(sed -n 's/^LD_PRELOAD=//p' "$1.env")"
        "PROFTRACE_DIR=$(sed -n 's/^PROFTRACE_DIR=//p' "$1.env")")
}
pt_collected() { env "${pt_collected_env[@]}" "$@"; }
# pt_collect_stop: SIGINT to the collector; fails if it does
pt_collect_stop() { kill -INT "$collector" && wait "$collector" || fail "collect failed"; }
