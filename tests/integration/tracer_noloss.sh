#!/usr/bin/env bash
# tracer_noloss.sh — `record --no-loss`:
#   1. a 1 M-call burst through a 64 KiB buffer is recorded whole: writers wait for the collector;
#   2. the collector is SIGKILLed in the middle: the program still finishes (writers stop waiting
#      after the bound and lose, counted), and the trace accounts for every call:
#      queries read + lost == queries made.
source "$(dirname "$0")/tracer_lib.sh"
FLOOD=$PT_TESTS/tracer_tool_flood
# lost_in FILE: the sum of the lost markers of a `proftrace events` listing
lost_in() { { grep -o '\] lost(count=[0-9]*' "$1" || true; } | grep -o '[0-9]*$' | awk '{s += $1} END {print s + 0}'; }

Q=1000000
pt_record -o "$T/a" --no-loss --buffer-size 64k -- "$FLOOD" $Q 0 >"$T/a.out" 2>"$T/a.err" ||
    fail "record failed: $(cat "$T/a.err")"
grep -q "queries $Q deletes 0 bad 0" "$T/a.out" || fail "the program: $(cat "$T/a.out")"
"$PROFTRACE" events "$T/a" >"$T/a.events" 2>"$T/a.events.err"
[ ! -s "$T/a.events.err" ] || fail "damage: $(head -3 "$T/a.events.err")"
queries=$(grep -c '\] RegQueryValueExA(' "$T/a.events" || true)
[ "$queries" = $Q ] || fail "--no-loss: $queries of $Q queries, $(lost_in "$T/a.events") lost"
grep -q "^proftrace: 1 processes, [0-9]* events, 0 lost; " "$T/a.err" ||
    fail "summary: $(cat "$T/a.err")"
echo "no-loss: $Q calls through a 64 KiB buffer, none lost"

# 2. The collector dies: a long flood, record killed once it has drained something.
Q=5000000
env ${PT_PRELOAD_FIRST:+LD_PRELOAD=$PT_PRELOAD_FIRST} "$PROFTRACE" record -o "$T/b" --no-loss=200 \
    --buffer-size 64k -- "$FLOOD" $Q 0 "$T/b.done" >"$T/b.out" 2>"$T/b.err" &
rec=$!
PIDS_TO_KILL+=("$rec")
n=0
until ls "$T/b" 2>/dev/null | grep -q '_[0-9]*$' || [ $n -gt 600 ]; do sleep 0.1; n=$((n + 1)); done
ls "$T/b" | grep -q '_[0-9]*$' || fail "the collector never wrote a stream"
kill -9 "$rec"
wait "$rec" 2>/dev/null || true
wait_for "$T/b.done" 1800 # the program finishes without its collector
grep -q "queries $Q deletes 0 bad 0" "$T/b.out" || fail "the program: $(cat "$T/b.out")"
# Its ring stays beside the streams; every reader takes both into account.
n=0
while [ "$("$PROFTRACE" events --kind exit --count "$T/b" 2>/dev/null)" != 1 ] && [ $n -lt 300 ]; do
    sleep 0.1
    n=$((n + 1))
done
"$PROFTRACE" events "$T/b" >"$T/b.events" 2>"$T/b.events.err"
queries=$(grep -c '\] RegQueryValueExA(' "$T/b.events" || true)
lost=$(lost_in "$T/b.events")
[ "$lost" -gt 0 ] || fail "nothing lost although the collector was killed"
[ $((queries + lost)) = $Q ] || fail "collector killed: $queries read + $lost lost != $Q"
echo "no-loss, collector killed: the program finished; $queries read + $lost lost = $Q"
