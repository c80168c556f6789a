#!/usr/bin/env bash
# rotate_age.sh — `proftrace collect --max-age 8s`: chunks closed every second or so (an eighth of
# the age) while events come, and those whose events are older than the age dropped, with what
# they held carried. A holder maps an object at the start; traffic comes until the first chunk is
# dropped for its age (there is no size cap: only its age can drop it; the test waits for that,
# bounded); the object is then removed while held. The finding must be announced and reported
# with the hold's time although the chunk of its time is gone.
set -euo pipefail
: "${PT_BIN:?}" "${PT_TESTS:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/rotate_age.XXXXXX")
prefix=/ptrot-age-$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "/dev/shm$prefix-0"
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
"$pt" collect --max-age 8s -o "$work/T" >"$work/env" 2>"$work/collect.err" &
collector=$!
pids+=("$collector")
timeout 60 grep -m1 -q '^PROFTRACE_DIR=' <(tail -n +1 -f "$work/env") || fail "no environment"
traced() { env $(grep -E '^(LD_PRELOAD|PROFTRACE_DIR)=' "$work/env") "$@"; }
traced_exec() { exec env $(grep -E '^(LD_PRELOAD|PROFTRACE_DIR)=' "$work/env") "$@"; }
mkfifo "$work/go"
: >"$work/held" # there before the holder opens it (its input, a FIFO, is opened first)
traced_exec "$load" hold "$prefix" 1 2000 <"$work/go" >"$work/held" &
holder=$!
pids+=("$holder")
exec 3>"$work/go"
timeout 60 grep -m1 -q holding <(tail -n +1 -f "$work/held") || fail "the holder did not hold"
# traffic until the first chunk is dropped for its age (bounded: the age is 8 s)
deadline=$((SECONDS + 180))
until [ -f "$work/T/chunks/.dropped" ] && [ ! -d "$work/T/chunks/000001" ]; do
    [ $SECONDS -lt $deadline ] || fail "no chunk was dropped for its age within 180 s"
    traced "$load" load 2000 3>&-
done
traced "$load" delete "$prefix" 1 3>&-
echo tick >&3
timeout 120 grep -m1 -q "finding: deleted-while-held .* while pid $holder " \
    <(tail -n +1 -f "$work/collect.err") || { cat "$work/collect.err"; fail "no finding announced"; }
exec 3>&-
wait "$holder" || fail "holder"
kill -INT "$collector"
wait "$collector" || fail "collect"
grep -q "chunks .* dropped" "$work/collect.err" || fail "collect says nothing of what it dropped"
st=0
"$pt" report --no-symbols "$work/T" >"$work/report.txt" 2>"$work/report.err" || st=$?
[ "$st" -eq 1 ] || { cat "$work/report.err"; fail "report exit $st, wanted 1"; }
grep -q "pid $holder (rotate_load) mmap .*: has it mapped" "$work/report.txt" ||
    fail "the hold is not in the finding"
grep -q "dropped by rotation; state carried from" "$work/report.txt" || fail "no rotation summary"
echo "ok: chunks dropped for their age, the hold carried into the finding"
