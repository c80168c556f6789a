#!/usr/bin/env bash
# attach_kill.sh — `proftrace record -p` SIGKILLed in the middle of attaching: with every thread
# seized, inside its first call (the scratch area's mmap), inside the target's dlopen of the
# shim, inside the shim's start, inside the inline-hook scan (other threads running). Each time
# the program runs on (its counter advances, nothing traces it), and a later `record -p` attaches
# and detaches normally (taking over a process a killed proftrace left attached). In the end the
# program finishes its deterministic work with the output of an untraced run and exit status 0.
# The injector stops itself at each point (PROFTRACE_ATTACH_TEST_STOP) and says so: the kill
# waits for that line, not for a time.
source "$(dirname "$0")/attach_lib.sh"
TOOL=$PT_TESTS/attach_tool_busy
N=4 IT=100

mkfifo "$T/in0" "$T/out0"
"$TOOL" $N $IT "$T/c0" "$NS.r" <"$T/in0" >"$T/out0" 2>"$T/tool0.err" &
PIDS+=($!)
exec 3>"$T/in0" 4<"$T/out0"
read_line 4 ready
echo go >&3
read_line 4 "phase B done"
exec 3>&-
cat <&4 >"$T/ref"
exec 4<&-
wait "${PIDS[0]}" || fail "untraced run failed"

mkfifo "$T/in" "$T/out"
"$TOOL" $N $IT "$T/c" "$NS.a" <"$T/in" >"$T/out" 2>"$T/tool.err" &
P=$!
PIDS+=($P)
exec 3>"$T/in" 4<"$T/out"
read_line 4 ready
wait_advance "$T/c" 0

tracer_of() { sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$1/status; }
# Calls in the process: 1 mmap, 2 mprotect, 3 __errno_location, 4 dlopen, 5 dlsym, 6 start,
# 7 stacks, 8 holds, 9 inline hooks, 10 munmap.
k=0
for at in seized call:1 call:4 call:6 call:9; do
    k=$((k + 1))
    E=$T/kill$k.err
    PROFTRACE_ATTACH_TEST_STOP=$at "$PROFTRACE" record -p $P -o "$T/k$k" 2>"$E" &
    REC=$!
    wait_grep "$E" "^proftrace: test stop"
    kill -KILL $REC
    wait $REC 2>/dev/null || true
    [ "$(tracer_of $P)" = 0 ] || fail "$at: still traced by $(tracer_of $P) after the kill"
    c=$(counter "$T/c")
    wait_advance "$T/c" "$c" # it runs on
    kill -0 $P || fail "$at: the program is gone"
done
grep -q "test stop in call 4" "$T/kill3.err" || fail "the dlopen call made no system call to stop in"

# A normal attach now works, takes over what the killed ones left, and detaches.
"$PROFTRACE" record -p $P -o "$T/tr" 2>"$T/rec.err" &
REC=$!
wait_grep "$T/rec.err" "^proftrace: attached to $P "
c=$(counter "$T/c")
wait_advance "$T/c" "$c"
kill -INT $REC
wait $REC || fail "record -p after the kills exited with $?"
grep -q "^proftrace: detached from $P " "$T/rec.err" || fail "no detach"
[ "$("$PROFTRACE" events "$T/tr" | grep -c "^[^ ]* \[$P[/ ][^]]*\] shm_unlink(")" -gt 0 ] ||
    fail "the attach after the kills recorded nothing"

echo go >&3
read_line 4 "phase B done"
exec 3>&-
cat <&4 >"$T/out.txt"
exec 4<&-
wait $P || fail "the program failed: $(cat "$T/out.txt")"
diff "$T/ref" "$T/out.txt" >&2 || fail "output differs from the untraced run"
grep -q "^proftrace: note: $P: it was attached to $T/k5" "$T/rec.err" ||
    fail "no takeover of what the kill inside the hooks left attached: $(cat "$T/rec.err")"
echo "ok: killed 5 times while attaching (seized, mmap, dlopen, start, hooks): the program ran on"
