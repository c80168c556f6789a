#!/usr/bin/env bash
# tracer_flight_record.sh — `record --overwrite` (flight recorder) with its collector draining all along:
# 64 KiB buffers, 400 k calls. What the writer overwrote before the collector got to it is counted
# exactly: the summary says `K overwritten`, the trace holds a lost marker for each gap, and
# events read + lost == events made (what a --no-loss run records); no packet is ever read torn
# (no `bad header`).
source "$(dirname "$0")/tracer_lib.sh"
FLOOD=$PT_TESTS/tracer_tool_flood
Q=400000
pt_record -o "$T/ref" --no-loss -- "$FLOOD" $Q 0 >/dev/null 2>"$T/ref.err" ||
    fail "reference run: $(cat "$T/ref.err")"
# the program's own events (the collector's witness may see other tests' deletions meanwhile)
made=$("$PROFTRACE" events "$T/ref" | grep -vc '\] witnessed' || true)
[ "$("$PROFTRACE" events --kind lost --count "$T/ref")" = 0 ] || fail "the reference run lost events"
pt_record -o "$T/tr" --overwrite --buffer-size 64k -- "$FLOOD" $Q 0 >"$T/out" 2>"$T/err" ||
    fail "record failed: $(cat "$T/err")"
grep -q "queries $Q deletes 0 bad 0" "$T/out" || fail "the program: $(cat "$T/out")"
! grep -q "bad header\|damaged\|torn" "$T/err" || fail "collector saw damage: $(cat "$T/err")"
summary=$(grep '^proftrace: 1 processes' "$T/err") || fail "no summary: $(cat "$T/err")"
read -r events lost ow < <(echo "$summary" |
    sed -n 's/^proftrace: 1 processes, \([0-9]*\) events, \([0-9]*\) lost, \([0-9]*\) overwritten; .*/\1 \2 \3/p')
[ -n "$ow" ] || fail "summary has no overwritten count: $summary"
[ "$ow" -gt 0 ] || fail "nothing overwritten: the buffers did not lap"
"$PROFTRACE" events "$T/tr" >"$T/events" 2>"$T/events.err"
[ ! -s "$T/events.err" ] || fail "damage: $(head -3 "$T/events.err")"
queries=$(grep -c '\] RegQueryValueExA(' "$T/events" || true)
markers=$({ grep -o '\] lost(count=[0-9]*' "$T/events" || true; } | grep -o '[0-9]*$' |
    awk '{s += $1} END {print s + 0}')
nonlost=$(grep -vc '\] lost(count=' "$T/events" || true)
own=$(grep -v '\] witnessed' "$T/events" | grep -vc '\] lost(count=' || true)
[ "$markers" = $((lost + ow)) ] || fail "lost markers $markers != $lost lost + $ow overwritten"
[ "$nonlost" = "$events" ] || fail "trace has $nonlost events, summary $events"
[ $((own + markers)) = "$made" ] ||
    fail "$own events read + $markers lost or overwritten != $made made"
[ "$queries" -gt 0 ] || fail "no query kept"
echo "flight recorder: $own read ($queries queries) + $ow overwritten + $lost lost = $made"
