#!/usr/bin/env bash
# attach_seccomp.sh — attaching and seccomp filters, whose refusals could kill the process:
#  - a process that installed a filter of its own before: refused (exit 2, saying why), the shim
#    never loaded into it, and it runs on;
#  - a process attached, which then installs a filter refusing what the shim needs (futex):
#    tracing ends as a detach does, before the filter is in place: one line on its stderr, an
#    `untraced` event saying why, its ring finished and no longer mapped while it runs on, its
#    calls after the filter not recorded; `record -p` ends when it exits.
source "$(dirname "$0")/attach_lib.sh"
TOOL=$PT_TESTS/attach_tool_seccomp

# 1. Filtered before the attach.
mkfifo "$T/bin" "$T/bout"
"$TOOL" before <"$T/bin" >"$T/bout" 2>"$T/before.err" &
B=$!
PIDS+=($B)
exec 3>"$T/bin" 4<"$T/bout"
read_line 4 ready
rc=0
"$PROFTRACE" record -p $B -o "$T/rb" >"$T/rb.out" 2>"$T/rb.err" || rc=$?
[ $rc -eq 2 ] || fail "filtered process: exit status $rc, not 2: $(cat "$T/rb.err")"
grep -q "process $B (.*) runs under a seccomp filter of its own" "$T/rb.err" ||
    fail "filtered process: no reason given: $(cat "$T/rb.err")"
! grep -q libproftrace /proc/$B/maps || fail "the shim was loaded into the refused process"
exec 3>&-
wait $B || fail "the filtered program failed after the refusal: $(cat "$T/before.err")"
exec 4<&-
echo "refused: $(head -1 "$T/rb.err")"

# 2. Filtered while attached.
mkfifo "$T/lin" "$T/lout"
"$TOOL" later "/$NS.s" <"$T/lin" >"$T/lout" 2>"$T/later.err" &
L=$!
PIDS+=($L)
exec 5>"$T/lin" 6<"$T/lout"
read_line 6 ready
"$PROFTRACE" record -p $L -o "$T/rl" >"$T/rl.out" 2>"$T/rl.err" 5>&- 6<&- &
REC=$!
PIDS+=($REC)
wait_grep "$T/rl.err" "^proftrace: attached to $L "
echo filter >&5
read_line 6 filtered
read_line 6 done
# Still running: its ring is finished (the collector removes it) and no longer mapped.
n=2400
while ls "$T/rl/rings" | grep -q '\.ring$'; do
    n=$((n - 1))
    [ $n -gt 0 ] || fail "the ring of the process that filtered itself was never finished"
    sleep 0.05
done
kill -0 $L || fail "the program is gone"
! grep -q '\.ring' /proc/$L/maps || fail "the ring is still mapped in the filtered process"
exec 5>&-
wait $L || fail "the program failed under its filter: $(cat "$T/later.err")"
exec 6<&-
rc=0
wait $REC || rc=$?
[ $rc -eq 0 ] || fail "record -p exited $rc: $(cat "$T/rl.err")"
warn=$(grep -c '^proftrace: ' "$T/later.err" || true)
[ "$warn" = 1 ] || fail "$warn lines from the shim instead of one: $(cat "$T/later.err")"
grep -q "seccomp filter .* refuses futex" "$T/later.err" ||
    fail "the shim did not say why: $(cat "$T/later.err")"
"$PROFTRACE" events "$T/rl" >"$T/rl.events" 2>"$T/events.err" ||
    fail "events: $(cat "$T/events.err")"
grep -q " process(" "$T/rl.events" || fail "the attach recorded nothing"
grep -q " untraced(.*refuses futex" "$T/rl.events" || fail "no untraced event saying why"
! grep -q "shm_open\|shm_unlink" "$T/rl.events" || fail "a call after the filter was recorded"
echo "ok: refused under its own filter; a filter installed while attached ends tracing as a detach"
