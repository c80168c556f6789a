#!/usr/bin/env bash
# debug_break.sh — PROFTRACE_BREAK on the bug2 scenario.
# (1) The scenario's client (mapiclient, another login session) runs under gdb in batch mode with
#     PROFTRACE_BREAK=delete-held,key-deleted: gdb must stop with SIGTRAP inside the deleting call
#     (backtrace: the shim's check, the delete of the profile key, RegDeleteTreeA, MAPIInitialize,
#     main), before the profile is gone; at the stop the gdb extension shows the client's last
#     events (the breakpoint event last) and the service's live MAPI session on the profile.
# (2) The same scenario without a debugger: it never stops, runs to the same verdict, and the
#     trace records where it would have stopped (breakpoint events with stopped=0), for the delete
#     in the client and for the service's ERROR_KEY_DELETED.
# The client is put under gdb by pointing the scenario's PT_BUILD_DIR at a directory whose
# bin/mapiclient is a wrapper that runs the real one under gdb; the scenario itself is unchanged.
set -euo pipefail
# The scenario starts gdb from a traced process, so gdb runs with what the shim carries: in a
# sanitizer build its runtime, under which gdb does not start (it hangs in setlocale).
if [ -n "${PT_PRELOAD_FIRST:-}" ] &&
    ! timeout 20 env LD_PRELOAD="$PT_PRELOAD_FIRST" gdb --version >/dev/null 2>&1; then
    echo "skipped: gdb does not start with $PT_PRELOAD_FIRST preloaded (no shim involved)"
    exit 77
fi
: "${PT_BIN:?}" "${PT_LIB:?}" "${PT_TESTS:?}" "${PT_SRC:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/debug_break.XXXXXX")
trap '[ -n "${PT_KEEP:-}" ] || rm -rf "$work"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
scenario=$PT_SRC/samples/scenarios/bug2-session.sh
decoder=${PT_DEBUG_DECODER:-$PT_BIN/proftrace}

# ---- (1) under gdb
mkdir -p "$work/build/bin" "$work/t1"
ln -s "$PT_BIN/eventsvc" "$work/build/bin/eventsvc"
cat >"$work/client.gdb" <<GDB
set pagination off
set confirm off
set startup-with-shell off
set environment LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so
source $PT_SRC/gdb/proftrace.py
set proftrace-binary $decoder
run
echo ==BT==\n
bt
echo ==EVENTS==\n
proftrace-events 4
echo ==HOLDS==\n
proftrace-holds EventScript-bug2-session
echo ==CONT==\n
continue
GDB
cat >"$work/build/bin/mapiclient" <<WRAP
#!/bin/sh
# The real client under gdb; gdb itself is not traced.
exec env -u LD_PRELOAD gdb -batch -nx -x "$work/client.gdb" \
    --args "$PT_BIN/mapiclient" "\$@" >"$work/gdb.log" 2>&1
WRAP
chmod +x "$work/build/bin/mapiclient"
PT_BUILD_DIR=$work/build PROFTRACE_DIR=$work/t1 PROFTRACE_BREAK=delete-held,key-deleted \
    LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so bash "$scenario" >"$work/scn1.log" 2>&1 ||
    { cat "$work/scn1.log"; fail "scenario under gdb"; }
cat "$work/gdb.log"
grep -q 'scenario: service FAILED (MAPI_E_CALL_FAILED)' "$work/scn1.log" ||
    fail "the scenario's verdict changed under gdb"
grep -q 'received signal SIGTRAP' "$work/gdb.log" || fail "gdb did not stop with SIGTRAP"
[ "$(grep -c 'received signal SIGTRAP' "$work/gdb.log")" -eq 1 ] || fail "more than one stop"
bt=$(sed -n '/^==BT==/,/^==EVENTS==/p' "$work/gdb.log")
# Expected frames, innermost first, in this order.
prev=0
for f in 'pt__break_before' ' (unlinkat|rmdir) \(' ' RegDeleteTreeA \(' ' MAPIInitialize \(' \
    ' main \('; do
    n=$(grep -nE "$f" <<<"$bt" | head -n1 | cut -d: -f1)
    [ -n "$n" ] || fail "frame '$f' missing from the backtrace"
    [ "$n" -gt "$prev" ] || fail "frame '$f' out of order in the backtrace"
    prev=$n
done
echo "ok: gdb stopped inside RegDeleteTreeA under MAPIInitialize"
ev=$(sed -n '/^==EVENTS==/,/^==HOLDS==/p' "$work/gdb.log" | sed '1d;$d')
[ "$(wc -l <<<"$ev")" -eq 4 ] || fail "proftrace-events 4 did not print 4 events"
tail -n1 <<<"$ev" | grep -q 'breakpoint' || fail "the last event is not the breakpoint"
grep -q 'delete-held' <<<"$ev" || fail "breakpoint event without its reason"
holds=$(sed -n '/^==HOLDS==/,/^==CONT==/p' "$work/gdb.log")
grep -q 'MAPI session .*held by pid [0-9]* .*\[alive\]' <<<"$holds" ||
    fail "proftrace-holds does not show the service's live session"
echo "ok: proftrace-events and proftrace-holds at the stop"
"$PT_TESTS/debug_trace_dump" "$work/t1" >"$work/t1.txt"
grep -q 'breakpoint reason="delete-held" call="\(unlinkat\|rmdir\)" stopped=1' "$work/t1.txt" ||
    fail "no stopped=1 breakpoint event in the trace"

# ---- (2) no debugger: no stop, same verdict, the would-be stops recorded.
mkdir -p "$work/t2"
PT_BUILD_DIR=$(dirname "$PT_BIN") PROFTRACE_DIR=$work/t2 PROFTRACE_BREAK=delete-held,key-deleted \
    LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so bash "$scenario" >"$work/scn2.log" 2>&1 ||
    { cat "$work/scn2.log"; fail "scenario without debugger"; }
grep -q 'scenario: service FAILED (MAPI_E_CALL_FAILED)' "$work/scn2.log" || fail "verdict (2)"
if grep -qi 'trace/breakpoint trap' "$work/scn2.log"; then
    fail "a trap showed up without a debugger"
fi
"$PT_TESTS/debug_trace_dump" "$work/t2" >"$work/t2.txt"
grep -q 'breakpoint reason="delete-held" call="\(unlinkat\|rmdir\)" stopped=0' "$work/t2.txt" ||
    fail "the would-be stop at the delete is not recorded"
grep -q 'breakpoint reason="key-deleted" call="RegQueryValueExA" stopped=0' "$work/t2.txt" ||
    fail "the would-be stop at ERROR_KEY_DELETED is not recorded"
if grep -q 'stopped=1' "$work/t2.txt"; then
    fail "stopped=1 without a debugger"
fi
echo "ok: without a debugger the scenario runs through; would-be stops recorded"
