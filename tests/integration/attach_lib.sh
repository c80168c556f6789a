# attach_lib.sh — sourced by the attach tests: paths, a private temp dir, processes started here
# killed on exit (by pid), waits that wait for a line, never for a time.
set -euo pipefail
: "${PT_BIN:?set by CTest}" "${PT_TESTS:?set by CTest}"
PROFTRACE=$PT_BIN/proftrace
T=$(mktemp -d "/tmp/pt-$(basename "$0" .sh)-XXXXXX")
NS=att$$x$RANDOM # shared-memory names of this run
PIDS=()
cleanup() {
    local p
    exec 3>&- 4<&- 2>/dev/null || true
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] || rm -rf "$T"
    rm -rf /dev/shm/"$NS"* /dev/shm/winsim."$NS".*
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
    exit 1
}
# wait_grep FILE PATTERN [SECONDS]: until a line of FILE matches (the event, however late)
wait_grep() {
    local n=$((${3:-120} * 20))
    until grep -q -- "$2" "$1" 2>/dev/null; do
        n=$((n - 1))
        [ $n -gt 0 ] || fail "timed out waiting for '$2' in $1"
        sleep 0.05
    done
}
# read_line FD WANT: the next line on FD must be WANT
read_line() {
    local line
    IFS= read -r -t 120 line <&"$1" || fail "no line (wanted '$2')"
    [ "$line" = "$2" ] || fail "got '$line', wanted '$2'"
}
# counter FILE: the progress counter attach_tool_busy keeps in FILE
counter() { od -An -tu8 -N8 "$1" | tr -d ' '; }
# wait_advance FILE FROM: until the counter is past FROM (the program makes progress)
wait_advance() {
    local n=2400
    while [ "$(counter "$1")" -le "$2" ]; do
        n=$((n - 1))
        [ $n -gt 0 ] || fail "the program made no progress past $2"
        sleep 0.05
    done
}
