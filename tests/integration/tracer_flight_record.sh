#!/usr/bin/env bash
# tracer_flight_record.sh — flight-recorder mode (PROFTRACE_OVERWRITE=1, 64 KiB buffers) under a
# `collect`: one 400 k-call flood runs while the collector is stopped, so its buffer must lap; a
# second runs while the collector drains it. What writers overwrote before the collector got to
# it is counted exactly: the summary says `K overwritten`, the trace holds a lost marker for each
# gap, and events read + lost == events made (what a --no-loss run records); no packet is ever
# read torn (no `bad header`).
source "$(dirname "$0")/tracer_lib.sh"
FLOOD=$PT_TESTS/tracer_tool_flood
Q=400000
pt_record -o "$T/ref" --no-loss -- "$FLOOD" $Q 0 >/dev/null 2>"$T/ref.err" ||
    fail "reference run: $(cat "$T/ref.err")"
# the program's own events (the collector's witness may see other tests' deletions meanwhile)
made=$("$PROFTRACE" events "$T/ref" | grep -vc '\] witnessed' || true)
[ "$("$PROFTRACE" events --kind lost --count "$T/ref")" = 0 ] || fail "the reference run lost events"

pt_collect_start "$T/tr"
flood() {
    PROFTRACE_OVERWRITE=1 PROFTRACE_BUFSIZE=64k pt_collected "$FLOOD" $Q 0 >"$T/$1" ||
        fail "flood $1 failed"
    grep -q "queries $Q deletes 0 bad 0" "$T/$1" || fail "flood $1: $(cat "$T/$1")"
}
kill -STOP "$collector"
flood undrained # nobody reads its buffer while it writes: it laps
kill -CONT "$collector"
flood drained # the collector reads while it writes
pt_collect_stop

! grep -q "bad header\|damaged\|torn" "$T/tr.err" || fail "collector saw damage: $(cat "$T/tr.err")"
summary=$(grep '^proftrace: 2 processes' "$T/tr.err") || fail "no summary: $(cat "$T/tr.err")"
read -r events lost ow < <(echo "$summary" |
    sed -n 's/^proftrace: 2 processes, \([0-9]*\) events, \([0-9]*\) lost, \([0-9]*\) overwritten .*/\1 \2 \3/p')
[ -n "$ow" ] || fail "summary has no overwritten count: $summary"
[ "$ow" -gt 0 ] || fail "nothing overwritten although a buffer was not drained while it lapped"
"$PROFTRACE" events "$T/tr" >"$T/events" 2>"$T/events.err"
[ ! -s "$T/events.err" ] || fail "damage: $(head -3 "$T/events.err")"
queries=$(grep -c '\] RegQueryValueExA(' "$T/events" || true)
markers=$({ grep -o '\] lost(count=[0-9]*' "$T/events" || true; } | grep -o '[0-9]*$' |
    awk '{s += $1} END {print s + 0}')
nonlost=$(grep -vc '\] lost(count=' "$T/events" || true)
own=$(grep -v '\] witnessed' "$T/events" | grep -vc '\] lost(count=' || true)
[ "$markers" = $((lost + ow)) ] || fail "lost markers $markers != $lost lost + $ow overwritten"
[ "$nonlost" = "$events" ] || fail "trace has $nonlost events, summary $events"
[ $((own + markers)) = $((2 * made)) ] ||
    fail "$own events read + $markers lost or overwritten != 2 x $made made"
[ "$queries" -gt 0 ] || fail "no query kept"
echo "flight recorder: $own read ($queries queries) + $ow overwritten + $lost lost = 2 x $made"
