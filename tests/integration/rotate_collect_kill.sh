#!/usr/bin/env bash
# rotate_collect_kill.sh — `proftrace collect --max-size` killed with SIGKILL between chunks and
# started again on the same directory goes on from the last checkpoint. A holder maps two
# shared-memory objects under the collection; load fills several chunks; the collector is killed
# once its analyzer has checkpointed a few of them; a new collector is started, more load makes it
# drop every chunk the first one wrote, then the objects are removed while held, and the holder
# shows it still runs (an open of its own). Then:
#  - the new collector announces the finding while the holder still runs: its analyzer started
#    from the checkpoint the killed one wrote (the hold is in no chunk it ever read);
#  - report finds it too, with the hold's own time;
#  - no event is in the trace twice (the new collector went on after the last packet drained), nor
#    in its analyzer's model (fed again from before the checkpoint's positions, it would say so).
source "$(dirname "$0")/rotate_lib.sh"
export WINSIM_HIVE_ROOT=$work/hive
collect_start c1 --max-size 2m
hold_start "$prefix" 2 2000
traced "$load" load 60000
# Killed once its analyzer has checkpointed some chunks (bounded wait on the files themselves).
deadline=$((SECONDS + 120))
until [ "$(ls "$work"/T/chunks/*/.checkpoint 2>/dev/null | wc -l)" -ge 2 ]; do
    [ $SECONDS -lt $deadline ] || fail "no checkpoints written within 120 s"
    traced "$load" load 5000
done
kill -KILL "$collector"
wait "$collector" 2>/dev/null || true
before=$(ls "$work/T/chunks" | grep -E '^[0-9]+$' | tail -n1)
echo "ok: collect killed in chunk $before, $(ls "$work"/T/chunks/*/.checkpoint | wc -l) checkpoints"

collect_start c2 --max-size 2m
# (an announcement's line; "findings near them may be incomplete", on events read late, is none)
grep -qE "^proftrace collect: finding( updated)?: " "$work/c2.err" &&
    fail "the new collector announced a finding before the delete"
# load until every chunk the killed collector wrote is dropped
deadline=$((SECONDS + 240))
while [ -n "$(ls "$work/T/chunks" | grep -E '^[0-9]+$' | awk -v b="$before" '$1 + 0 <= b + 0')" ]; do
    [ $SECONDS -lt $deadline ] || fail "the chunks of the killed collector were never dropped"
    traced "$load" load 20000
done
traced "$load" delete "$prefix" 2
echo tick >&3 # the holder shows it lives after the delete: a finding, not clean-up after the dead
timeout 120 grep -m1 -q "finding: deleted-while-held .* while pid $holder " <(tail -n +1 -f "$work/c2.err") ||
    { cat "$work/c2.err"; fail "the new collector did not announce the finding"; }
kill -0 "$holder" 2>/dev/null || fail "the holder had ended before the finding was announced"
echo "ok: the restarted collector announced the finding from the carried state, the holder still running"
exec 3>&-
wait "$holder" || fail "holder"
grep -q 'reopen: No such file or directory' "$work/held" || fail "the holder's reopen did not fail"
kill -INT "$collector"
wait "$collector" || fail "collect exited with $?"
grep -q 'proftrace collect: rotation: chunks' "$work/c2.err" || fail "collect says nothing of rotation"
# The restarted collector's analyzer goes on from the checkpoint's stream positions: the packet the
# holder was still filling, read whole again when the holder added to it, once fed its hundreds of
# events a second time, behind newer ones (said as read late). On a loaded machine a writer that
# stamps an event long before it writes it may still be read late: a few events, not a packet.
late=$(sed -nE 's/.* ([0-9]+) events? arrived later than the follow lag.*/\1/p' "$work/c2.err" | tail -n1)
[ "${late:-0}" -lt 50 ] || fail "the restarted collector read $late events late: $(grep arrived "$work/c2.err")"

st=0
"$pt" report --no-symbols "$work/T" >"$work/report.txt" 2>"$work/report.err" || st=$?
[ "$st" -eq 1 ] || { cat "$work/report.err"; fail "report exit $st, wanted 1"; }
grep -q "pid $holder (rotate_load) mmap .*: has it mapped" "$work/report.txt" ||
    fail "report does not show the hold"
grep -q "dropped by rotation; state carried from" "$work/report.txt" || fail "no rotation summary"
# every field and the exact time of each event (two events of a thread never share a nanosecond)
"$PT_TESTS/debug_trace_dump" "$work/T" | grep -v ' lost count=' | sort | uniq -d >"$work/twice"
[ ! -s "$work/twice" ] || { head -n3 "$work/twice"; fail "events in the trace twice"; }
echo "ok: report finds it with the hold's time; no event twice"
