#!/usr/bin/env bash
# rotate_live.sh — `proftrace live` following a rotating collection shows the finding while the
# run continues. Under `proftrace collect --max-size 2m`, a holder maps two shared-memory objects
# and load fills enough chunks that the holder's are dropped; only then does `live --findings`
# start (so it starts from the oldest chunk's checkpoint, the hold being in no chunk left); more
# load rotates under it; a third process removes the objects and the holder shows it still runs.
# live must print the deleted-while-held finding while the holder is still running (it waits for
# its end of input, which the test gives only after the finding was printed), and print it once.
set -euo pipefail
: "${PT_BIN:?}" "${PT_TESTS:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/rotate_live.XXXXXX")
prefix=/ptrot-live-$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "/dev/shm$prefix-0" "/dev/shm$prefix-1"
    [ -n "${PT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pt=$PT_BIN/proftrace
load=$PT_TESTS/rotate_load
mkdir -p "$work/hive"
export WINSIM_HIVE_ROOT=$work/hive

: >"$work/env"
"$pt" collect --max-size 2m -o "$work/T" >"$work/env" 2>"$work/collect.err" &
collector=$!
pids+=("$collector")
timeout 60 grep -m1 -q '^PROFTRACE_DIR=' <(tail -n +1 -f "$work/env") || fail "collect printed no environment"
traced() {
    env LD_PRELOAD="$(sed -n 's/^LD_PRELOAD=//p' "$work/env")" \
        PROFTRACE_DIR="$(sed -n 's/^PROFTRACE_DIR=//p' "$work/env")" "$@"
}
traced_exec() { # in the background: $! is then the traced program's pid
    exec env LD_PRELOAD="$(sed -n 's/^LD_PRELOAD=//p' "$work/env")" \
        PROFTRACE_DIR="$(sed -n 's/^PROFTRACE_DIR=//p' "$work/env")" "$@"
}
mkfifo "$work/go"
traced_exec "$load" hold "$prefix" 2 2000 <"$work/go" >"$work/held" &
holder=$!
pids+=("$holder")
exec 3>"$work/go"
timeout 60 grep -m1 -q holding <(tail -n +1 -f "$work/held") || fail "the holder did not hold"
# load until the oldest chunk left has a checkpoint the live client will start from (the chunks
# with the holder's mmap dropped): bounded, waiting on the directory itself
deadline=$((SECONDS + 240))
until first=$(ls "$work/T/chunks" | grep -E '^[0-9]+$' | head -n1) && [ "$((10#$first))" -gt 3 ] &&
    [ -f "$work/T/chunks/$first/.checkpoint" ]; do
    [ $SECONDS -lt $deadline ] || fail "the collection did not rotate within 240 s"
    traced "$load" load 20000
done
: >"$work/live.out"
"$pt" live --findings "$work/T" >"$work/live.out" 2>"$work/live.err" 3>&- &
live=$!
pids+=("$live")
traced "$load" load 30000
traced "$load" delete "$prefix" 2
echo tick >&3 # the holder shows it lives after the delete
timeout 120 grep -m1 -q "FINDING deleted-while-held" <(tail -n +1 -f "$work/live.out") ||
    { cat "$work/live.err"; fail "live printed no finding within 120 s"; }
kill -0 "$holder" 2>/dev/null || fail "the holder had ended when the finding was printed"
grep -q "pid $holder (rotate_load) mmap .*: has it mapped" "$work/live.out" ||
    fail "the finding does not show the hold (carried from the checkpoint)"
echo "ok: live (started at chunk $first) printed the finding while the holder still ran"
exec 3>&-
wait "$holder" || fail "holder"
kill -INT "$live"
st=0
wait "$live" || st=$?
[ "$st" -eq 0 ] || fail "live exited with $st on SIGINT"
kill -INT "$collector"
wait "$collector" || fail "collect"
n=$(grep -c "FINDING deleted-while-held" "$work/live.out")
[ "$n" -eq 2 ] || fail "live printed $n deleted-while-held findings, wanted 2 (one per object)"
if grep -q "FINDING (updated)" "$work/live.out"; then
    grep -q "ENOENT" "$work/live.out" || fail "an update without the victim"
fi
echo "ok: each finding printed once (and updated with its victim at most)"
