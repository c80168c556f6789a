#!/usr/bin/env bash
# fault_ringfull.sh — rings full: events that do not fit are counted as lost, exactly. The same
# deterministic program (K unlinks) is traced with buffers large enough for everything (the
# reference count N), then with 16 KiB buffers nobody drains (post-mortem) and with 16 KiB
# buffers under `proftrace record` (the collector drains while the program writes): in each,
# events read + events counted lost == N, and the program's output never changes.
source "$(dirname "$0")/fault_lib.sh"
K=20000
run() { # run NAME ENV... : post-mortem trace into $T/NAME
    local name=$1
    shift
    mkdir "$T/$name"
    env "$@" PROFTRACE_DIR="$T/$name" LD_PRELOAD="$SHIM" "$TOOL" calls $K >"$T/$name.out"
    "$PROFTRACE" events "$T/$name" >"$T/$name.events" 2>"$T/$name.err"
    cmp -s "$T/$name.out" "$T/plain.out" || fail "$name: output differs"
}
"$TOOL" calls $K >"$T/plain.out"
run big PROFTRACE_BUFSIZE=8m PROFTRACE_THREADS=1
N=$(events_nonlost "$T/big.events")
[ "$(lost_sum "$T/big.events")" = 0 ] || fail "reference run lost events"
[ "$(grep -c 'unlink(' "$T/big.events")" = $K ] || fail "reference run: not $K unlinks"
ok "reference: $N events, 0 lost"

run small PROFTRACE_BUFSIZE=16k PROFTRACE_THREADS=1
n=$(events_nonlost "$T/small.events")
l=$(lost_sum "$T/small.events")
[ "$l" -gt 0 ] || fail "16 KiB post-mortem lost nothing"
[ $((n + l)) = "$N" ] || fail "post-mortem: $n read + $l lost != $N"
[ ! -s "$T/small.err" ] || fail "reader reported damage: $(head -3 "$T/small.err")"
ok "full ring, post-mortem: $n read + $l lost = $N"

PROFTRACE_BUFSIZE=16k PROFTRACE_THREADS=1 "$PROFTRACE" record -o "$T/rec" -- "$TOOL" calls $K \
    >"$T/rec.out" 2>"$T/rec.err"
cmp -s "$T/rec.out" "$T/plain.out" || fail "record: output differs"
"$PROFTRACE" events "$T/rec" >"$T/rec.events" 2>"$T/rec.events.err"
n=$(events_nonlost "$T/rec.events")
l=$(lost_sum "$T/rec.events")
[ $((n + l)) = "$N" ] || fail "record: $n read + $l lost != $N"
grep -q "proftrace: 1 processes, $n events, $l lost" "$T/rec.err" ||
    fail "record's summary disagrees with the trace ($n events, $l lost): $(cat "$T/rec.err")"
ok "full ring under record: $n read + $l lost = $N, summary agrees"

# Flight recorder: the newest events are kept, the process's last unlinks are there.
run fr PROFTRACE_BUFSIZE=16k PROFTRACE_THREADS=1 PROFTRACE_OVERWRITE=1
last=$(grep -c 'unlink(' "$T/fr.events" || true)
[ "$last" -gt 0 ] || fail "flight recorder kept no unlink"
[ ! -s "$T/fr.err" ] || fail "flight recorder: reader reported damage: $(head -3 "$T/fr.err")"
ok "flight recorder: newest $last unlinks kept"
