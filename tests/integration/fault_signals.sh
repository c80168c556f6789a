#!/usr/bin/env bash
# fault_signals.sh — signals landing inside hooks: SIGALRM every 50 us while the program makes
# traced calls, its handler making traced calls too. Result values and errno seen by the program
# and by the handler are exact (the tool checks each call), the output is that of the untraced
# run, the trace has no damaged record, and every call is accounted for exactly: the unlinks
# recorded plus the events counted lost equal the calls of the main line plus those of the
# handler, including handler calls that land while the shim is doing its own bookkeeping (between
# the hook's entry and the real call, or while it encodes the event).
source "$(dirname "$0")/fault_lib.sh"
K=20000
"$TOOL" signals $K "$T/plain.res" >"$T/plain.out"
PROFTRACE_BUFSIZE=8m "$PROFTRACE" record -o "$T/tr" -- "$TOOL" signals $K "$T/tr.res" >"$T/tr.out" 2>"$T/tr.err"
cmp -s "$T/plain.out" "$T/tr.out" || fail "output differs: $(cat "$T/tr.out")"
grep -q "main bad 0, handler bad 0, handler ran: yes" "$T/tr.out" || fail "$(cat "$T/tr.out")"
"$PROFTRACE" events "$T/tr" >"$T/tr.events" 2>"$T/tr.events.err"
[ ! -s "$T/tr.events.err" ] || fail "damage: $(head -3 "$T/tr.events.err")"
h=$(cat "$T/tr.res")
nu=$(grep -c '\] *unlink(' "$T/tr.events" || true) # nested ones are indented
nl=$(lost_sum "$T/tr.events")
[ "$h" -gt 0 ] || fail "the handler never ran"
[ $((nu + nl)) = $((K + h)) ] ||
    fail "$nu unlinks recorded + $nl lost != $((K + h)) made ($K main line, $h handler)"
[ "$nl" = 0 ] || fail "$nl events lost (an 8 MiB buffer holds them all)"
# Nested in time: a handler's call recorded inside a main-line call keeps the buffer ordered.
"$PT_TESTS/debug_trace_dump" "$T/tr" >/dev/null 2>"$T/dump.err" || fail "dump: $(cat "$T/dump.err")"
ok "$h handler runs during $K calls: all $nu of $((K + h)) calls recorded, none lost, no damage"
