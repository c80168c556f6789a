#!/usr/bin/env bash
# tracer_reserve_flood.sh — a thread that floods and deletes, default mode, 128 KiB buffers, under a
# `proftrace collect` that is stopped while it runs: the flood fills its buffer and bulk queries are
# lost (counted exactly), but every delete is in the trace (before the reserve, 81 of 300 were).
# The 300 deletes (no stacks) fit the buffer's reserve although the collector never runs between
# them.
source "$(dirname "$0")/tracer_lib.sh"
FLOOD=$PT_TESTS/tracer_tool_flood
Q=1000000 D=300
pt_collect_start "$T/tr"
kill -STOP "$collector"
PROFTRACE_STACKS=none PROFTRACE_BUFSIZE=128k pt_collected "$FLOOD" $Q $D >"$T/out" ||
    fail "the flood failed"
kill -CONT "$collector"
pt_collect_stop
grep -q "queries $Q deletes $D bad 0" "$T/out" || fail "the program: $(cat "$T/out")"
"$PROFTRACE" events "$T/tr" >"$T/events" 2>"$T/events.err"
[ ! -s "$T/events.err" ] || fail "damage: $(head -3 "$T/events.err")"
deletes=$(grep -c '\] shm_unlink(' "$T/events" || true)
queries=$(grep -c '\] RegQueryValueExA(' "$T/events" || true)
lost=$({ grep -o '\] lost(count=[0-9]*' "$T/events" || true; } | grep -o '[0-9]*$' |
    awk '{s += $1} END {print s + 0}')
[ "$deletes" = $D ] || fail "$deletes of $D deletes in the trace ($lost events lost)"
[ "$lost" -gt 0 ] || fail "nothing lost although nothing drained the buffer"
[ $((queries + lost)) = $Q ] || fail "$queries queries read + $lost lost != $Q"
grep -q "^proftrace: 1 processes, [0-9]* events, $lost lost (" "$T/tr.err" ||
    fail "summary disagrees with the trace ($lost lost): $(cat "$T/tr.err")"
echo "reserve: all $D deletes kept while $lost of $Q queries were lost"
