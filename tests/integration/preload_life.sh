#!/usr/bin/env bash
# preload_life.sh — the shim's own traces in a traced program's life: the descriptors it keeps
# (ring, holds table) never take a number the program would get nor get closed for it, every ring
# ends as finished after a normal exit (whatever the threads) or an exec, and a process's global
# pid is the one the outside saw, also after exec inside a new pid namespace.
source "$(dirname "$0")/tracer_lib.sh"
LIFE=$PT_TESTS/tracer_tool_life
TAG=pt-life-$$-$RANDOM

# 1. Descriptor numbers are the ones an untraced program gets (descriptors inherited from the
# test runner closed first, so that both start from 3).
no_inherited() (
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ] && eval "exec $fd>&-"
    done
    "$@"
)
no_inherited "$LIFE" fds "/$TAG-a" >"$T/fds.plain"
no_inherited pt_record -o "$T/fds" -- "$LIFE" fds "/$TAG-b" >"$T/fds.traced" 2>"$T/fds.err" ||
    fail "fds under record: $(cat "$T/fds.err")"
cat "$T/fds.plain" "$T/fds.traced"
grep -qx "open 3 shm_open 4" "$T/fds.plain" || fail "unexpected untraced numbers"
cmp -s "$T/fds.plain" "$T/fds.traced" || fail "traced program got other descriptor numbers"
[ "$("$PROFTRACE" events --name shm_open "$T/fds" | grep -c "$TAG-b")" -ge 1 ] ||
    fail "shm_open not traced (was the shim loaded?)"
# the same under a descriptor limit below 1024 (the shim's then go to the top of the range)
(ulimit -n 256 && no_inherited pt_record -o "$T/fds2" -- "$LIFE" fds "/$TAG-c") >"$T/fds.low" \
    2>"$T/fds2.err" || fail "fds under a low limit: $(cat "$T/fds2.err")"
cmp -s "$T/fds.plain" "$T/fds.low" || fail "under ulimit -n 256: $(cat "$T/fds.low")"

# 2. A program that closes everything, reuses the numbers for its own file and forks keeps it.
echo data >"$T/file"
"$LIFE" closeall-fork "$T/file" || fail "closeall-fork fails untraced"
pt_record -o "$T/cf" -- "$LIFE" closeall-fork "$T/file" >"$T/cf.out" 2>"$T/cf.err" ||
    fail "closeall-fork under record: $(cat "$T/cf.out" "$T/cf.err")"
cat "$T/cf.out"
[ "$("$PROFTRACE" events --kind process "$T/cf" | wc -l)" -ge 2 ] ||
    fail "fork child not traced: $(cat "$T/cf.err")"

# 3. A normal exit with other threads alive ends the ring: an exit event, no reaped.
pt_record -o "$T/mt" -- "$LIFE" threads 3 >/dev/null 2>"$T/mt.err" || fail "threads: $(cat "$T/mt.err")"
"$PROFTRACE" events "$T/mt" >"$T/mt.ev"
grep -q " exit(status=0" "$T/mt.ev" || fail "no exit event: $(tail -3 "$T/mt.ev")"
! grep -q "reaped(" "$T/mt.ev" || fail "a normal multi-threaded exit was reaped: $(grep reaped "$T/mt.ev")"
grep -q " 0 lost; " "$T/mt.err" || fail "summary: $(cat "$T/mt.err")"

# 4. An exec chain: each image's ring ends by exec or exit, none is reaped (several rounds: the
# exec'd image exits at once, before the collector looks).
for i in 1 2 3; do
    pt_record -o "$T/ex$i" -- sh -c 'exec sh -c "exec /bin/true"' 2>"$T/ex.err" ||
        fail "exec chain: $(cat "$T/ex.err")"
    "$PROFTRACE" events "$T/ex$i" >"$T/ex.ev"
    [ "$(grep -c " process(" "$T/ex.ev")" -eq 3 ] || fail "exec chain: $(grep -c " process(" "$T/ex.ev") process events, want 3"
    ! grep -q "reaped(" "$T/ex.ev" || fail "exec chain reaped: $(grep reaped "$T/ex.ev")"
done

# 5. global_pid after exec inside a new pid namespace with its own /proc: the pid the outside saw
# (unshare's fork returned it), not the inner 1 the exec'd image's /proc shows.
pt_record -o "$T/ns" -- unshare --pid --fork --mount-proc "$LIFE" pid >"$T/ns.out" 2>"$T/ns.err" ||
    fail "unshare: $(cat "$T/ns.err")"
[ "$(cat "$T/ns.out")" = 1 ] || fail "not pid 1 inside: $(cat "$T/ns.out")"
"$PROFTRACE" events "$T/ns" >"$T/ns.ev"
outer=$(grep " unshare\] fork() = " "$T/ns.ev" | grep -o '[0-9]*$')
[ -n "$outer" ] && [ "$outer" -gt 1 ] || fail "no fork of unshare: $(cat "$T/ns.ev")"
line=$(grep "tracer_tool_life\] process(" "$T/ns.ev") || fail "exec'd child has no process event"
echo "$line" | cut -c1-100
echo "$line" | grep -q "process(pid=1, ppid=0, global_pid=$outer, " ||
    fail "exec'd child's global_pid is not $outer: $line"

echo "preload_life: ok"
