#!/usr/bin/env bash
# tracer_reserve_flood.sh — a thread that floods and deletes under `proftrace record`, default mode,
# 128 KiB buffers: the flood outruns the collector and bulk queries are lost (counted exactly), but
# every delete is in the trace (before the reserve, 81 of 300 were). The 300 deletes (no stacks)
# fit the buffer's reserve even if the collector never ran in between.
source "$(dirname "$0")/tracer_lib.sh"
FLOOD=$PT_TESTS/tracer_tool_flood
Q=1000000 D=300
PROFTRACE_STACKS=none pt_record -o "$T/tr" --buffer-size 128k -- "$FLOOD" $Q $D >"$T/out" 2>"$T/err" ||
    fail "record failed: $(cat "$T/err")"
grep -q "queries $Q deletes $D bad 0" "$T/out" || fail "the program: $(cat "$T/out")"
"$PROFTRACE" events "$T/tr" >"$T/events" 2>"$T/events.err"
[ ! -s "$T/events.err" ] || fail "damage: $(head -3 "$T/events.err")"
deletes=$(grep -c '\] shm_unlink(' "$T/events" || true)
queries=$(grep -c '\] RegQueryValueExA(' "$T/events" || true)
lost=$({ grep -o '\] lost(count=[0-9]*' "$T/events" || true; } | grep -o '[0-9]*$' |
    awk '{s += $1} END {print s + 0}')
[ "$deletes" = $D ] || fail "$deletes of $D deletes in the trace ($lost events lost)"
[ "$lost" -gt 0 ] || fail "nothing lost: the flood did not fill the buffer, the reserve was not tried"
[ $((queries + lost)) = $Q ] || fail "$queries queries read + $lost lost != $Q"
grep -q "^proftrace: 1 processes, [0-9]* events, $lost lost; " "$T/err" ||
    fail "summary disagrees with the trace ($lost lost): $(cat "$T/err")"
echo "reserve: all $D deletes kept while $lost of $Q queries were lost"
