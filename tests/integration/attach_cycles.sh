#!/usr/bin/env bash
# attach_cycles.sh — 100 attach/detach cycles (`proftrace record -p`, then SIGINT) on a program
# whose 4 threads are busy in traced calls: after every cycle its progress counter still
# advances, each attach records calls into its own trace, it keeps no descriptor of ours, and in
# the end it finishes its deterministic work with the output of an untraced run and exit status 0.
source "$(dirname "$0")/attach_lib.sh"
TOOL=$PT_TESTS/attach_tool_busy
N=4 IT=100 CYCLES=${ATTACH_CYCLES:-100}

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
# The program's own descriptors, less the shared-memory objects its threads open and close (one
# closed while ls reads the directory is not there to count: ls says so, and that is no failure).
fds() { { ls -l /proc/$P/fd 2>/dev/null || true; } | grep -v -- "-> /dev/shm/$NS" | grep -c -- "->"; }
fds0=$(fds)
for i in $(seq 1 $CYCLES); do
    D=$T/tr$i
    E=$T/rec$i.err # a file of its own: the last cycle's lines must not answer for this one
    "$PROFTRACE" record -p $P -o "$D" --buffer-size 64k 2>"$E" &
    REC=$!
    wait_grep "$E" "^proftrace: attached to $P "
    c=$(counter "$T/c")
    wait_advance "$T/c" "$c" # runs while attached
    kill -INT $REC
    wait $REC || fail "cycle $i: record -p exited with $?"
    grep -q "^proftrace: detached from $P " "$E" || fail "cycle $i: no detach line"
    kill -0 $P 2>/dev/null || fail "cycle $i: the program is gone"
    c=$(counter "$T/c")
    wait_advance "$T/c" "$c" # runs after the detach
    n=$("$PROFTRACE" events "$D" | grep -c "^[^ ]* \[$P[/ ][^]]*\] shm_unlink(" || true)
    [ "$n" -gt 0 ] || fail "cycle $i: no call recorded"
    rm -rf "$D" "$E"
    [ -z "${ATTACH_TRACE:-}" ] || echo "cycle $i" >&2
done
fds=$(fds)
# The shim keeps no descriptor once detached (its ring's is closed; the unwinder has none).
[ "$fds" -le "$fds0" ] || fail "descriptors: $fds0 before, $fds after $CYCLES cycles"
echo go >&3
read_line 4 "phase B done"
exec 3>&-
cat <&4 >"$T/out.txt"
exec 4<&-
wait $P || fail "the program failed after $CYCLES cycles: $(cat "$T/out.txt")"
diff "$T/ref" "$T/out.txt" >&2 || fail "output differs from the untraced run"
echo "ok: $CYCLES attach/detach cycles, the program ran on and exited 0 with its output unchanged"
