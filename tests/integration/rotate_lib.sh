# rotate_lib.sh — what the rotate_* scripts share: a private work directory and shared-memory
# prefix, removed at exit with every process started; fail(); a collector started in the
# background once it has printed its environment; commands and a holder traced by it.
set -euo pipefail
: "${PT_BIN:?}" "${PT_TESTS:?}"
pt=$PT_BIN/proftrace
load=$PT_TESTS/rotate_load
work=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX")
prefix=/ptrot-$(basename "$0" .sh)-$$
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "/dev/shm$prefix"-*
    [ -n "${PT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
mkdir -p "$work/hive"

# collect_start NAME ARGS...: `proftrace collect ARGS -o $work/T` in the background (its pid in
# $collector, its output in $work/NAME.env and NAME.err), once it has printed the environment of
# the processes it traces. traced and hold_start then use that collector.
collect_start() {
    local n=$1 envfile=$work/$1.env
    shift
    : >"$envfile"
    # fd 3 closed in it: a holder's input FIFO must end when the test closes it
    "$pt" collect "$@" -o "$work/T" >"$envfile" 2>"$work/$n.err" 3>&- &
    collector=$!
    pids+=("$collector")
    timeout 60 grep -m1 -q '^PROFTRACE_DIR=' <(tail -n +1 -f "$envfile") ||
        { cat "$work/$n.err" >&2; fail "collect printed no environment"; }
    traced_env=("LD_PRELOAD=$(sed -n 's/^LD_PRELOAD=//p' "$envfile")"
        "PROFTRACE_DIR=$(sed -n 's/^PROFTRACE_DIR=//p' "$envfile")")
}
# traced CMD...: CMD traced by the last collector started. traced_exec: the same in place of the
# shell, so that in the background $! is CMD's pid.
traced() { env "${traced_env[@]}" "$@"; }
traced_exec() { exec env "${traced_env[@]}" "$@"; }
# hold_start ARGS...: `rotate_load hold ARGS` traced, in the background (its pid in $holder), its
# input the FIFO $work/go the test keeps open on fd 3, its output $work/held; returns once it holds.
hold_start() {
    mkfifo "$work/go"
    : >"$work/held" # there before the holder opens it (its input, a FIFO, is opened first)
    traced_exec "$load" hold "$@" <"$work/go" >"$work/held" &
    holder=$!
    pids+=("$holder")
    exec 3>"$work/go"
    timeout 60 grep -m1 -q holding <(tail -n +1 -f "$work/held") || fail "the holder did not hold"
}
