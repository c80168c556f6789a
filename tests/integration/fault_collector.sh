#!/usr/bin/env bash
# fault_collector.sh — the collector is SIGKILLed in the middle of a traced service's run and
# started again: the service never notices (same output, same exit status), what it recorded
# while no collector ran is readable meanwhile (from its ring), and once the service ends the trace
# holds every one of its calls exactly once, none lost.
source "$(dirname "$0")/fault_lib.sh"
K=500
col=
svc=
PT_CLEANUP+=('[ -n "$col" ] && kill -KILL "$col" 2>/dev/null' '[ -n "$svc" ] && kill -KILL "$svc" 2>/dev/null')
printf '1\n2\n3\n4\n5\n6\n' | "$TOOL" steps $K >"$T/plain.out"

start_collector() {
    "$PROFTRACE" collect -o "$T/tr" >"$T/col.out" 2>>"$T/col.err" 7>&- 8<&- &
    col=$!
    # ready once it has printed the environment (metadata written, witness started)
    for _ in $(seq 500); do grep -q '^PROFTRACE_DIR=' "$T/col.out" 2>/dev/null && break; sleep 0.02; done
}
# step N: one step of the service, waiting for its answer.
step() {
    echo "$1" >&7
    IFS= read -r -t 60 line <&8 || fail "service did not answer step $1"
    echo "$line" >>"$T/tr.out"
}
# unlinks the trace holds now (read by a reader while the collector runs or is dead).
unlinks_now() { "$PROFTRACE" events "$T/tr" 2>/dev/null | grep -c '\] unlink(' || true; }

start_collector
mkfifo "$T/in" "$T/out"
PROFTRACE_DIR=$T/tr LD_PRELOAD=$SHIM "$TOOL" steps $K <"$T/in" >"$T/out" &
svc=$!
exec 7>"$T/in" 8<"$T/out"
step 1
step 2
kill -KILL "$col"
wait "$col" 2>/dev/null || true
col=
step 3
step 4
n=$(unlinks_now)
[ "$n" = $((4 * K)) ] || fail "with the collector dead, $n unlinks readable, want $((4 * K))"
ok "collector killed after step 2: the $n calls of steps 1-4 are readable meanwhile"
start_collector
step 5
step 6
exec 7>&-
wait "$svc"
rc=$?
svc=
exec 8<&-
[ "$rc" = 0 ] || fail "service exited $rc"
cmp -s "$T/plain.out" "$T/tr.out" || fail "service output differs: $(diff "$T/plain.out" "$T/tr.out")"
for _ in $(seq 300); do [ -z "$(ls "$T/tr/rings")" ] && break; sleep 0.02; done
kill -TERM "$col"
wait "$col" || true
col=
"$PROFTRACE" events "$T/tr" >"$T/events" 2>"$T/events.err"
[ ! -s "$T/events.err" ] || fail "damage: $(head -3 "$T/events.err")"
n=$(grep -c '\] unlink(' "$T/events" || true)
l=$(lost_sum "$T/events")
[ "$n" = $((6 * K)) ] || fail "after the restart: $n unlinks, want $((6 * K)) (each exactly once)"
[ "$l" = 0 ] || fail "$l events lost"
grep -q '\] exit(status=0)' "$T/events" || fail "the service's exit is missing"
[ -z "$(ls "$T/tr/rings")" ] || fail "ring not finished after the service ended"
ok "collector restarted: all $n calls once, 0 lost, service output and exit unchanged"
