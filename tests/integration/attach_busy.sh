#!/usr/bin/env bash
# attach_busy.sh — `proftrace record -p` on a program whose 8 threads are busy in traced calls
# (attach_tool_busy): attached while they run, detached while they run, its output is the same as
# without proftrace, errno included; everything it did between attach and detach is in the trace,
# the child it forked meanwhile included; after the detach its calls are no longer recorded.
source "$(dirname "$0")/attach_lib.sh"
TOOL=$PT_TESTS/attach_tool_busy
N=8 IT=300

# The untraced reference.
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
wait "${PIDS[0]}" || fail "untraced run failed: $(cat "$T/ref")"

# Attached in phase A, recorded through phase B, detached in phase C.
mkfifo "$T/in1" "$T/out1"
"$TOOL" $N $IT "$T/c1" "$NS.a" <"$T/in1" >"$T/out1" 2>"$T/tool1.err" &
P=$!
PIDS+=($P)
exec 3>"$T/in1" 4<"$T/out1"
read_line 4 ready
wait_advance "$T/c1" 0 # busy
"$PROFTRACE" record -p $P -o "$T/tr" 2>"$T/rec.err" &
REC=$!
PIDS+=($REC)
wait_grep "$T/rec.err" "^proftrace: attached to $P ($TOOL)$"
echo go >&3
read_line 4 "phase B done"
c=$(counter "$T/c1")
wait_advance "$T/c1" "$c" # busy in phase C, attached
kill -INT $REC
wait $REC || fail "record -p exited with $?"
grep -q "^proftrace: detached from $P " "$T/rec.err" || fail "no detach line"
after=$(counter "$T/c1")
wait_advance "$T/c1" "$after" # still busy, detached
exec 3>&-
cat <&4 >"$T/out"
exec 4<&-
wait $P || fail "attached run failed: $(cat "$T/out")"
diff "$T/ref" "$T/out" >&2 || fail "output differs from the untraced run"

"$PROFTRACE" events "$T/tr" >"$T/ev" || fail "events"
unl=$(grep -c "^[^ ]* \[$P[/ ][^]]*\] shm_unlink(" "$T/ev" || true)
[ "$unl" -ge $((N * IT)) ] || fail "only $unl shm_unlink calls recorded (phase B alone made $((N * IT)))"
grep -q "^[^ ]* \[$P[/ ][^]]*\] unlink(\"/nonexistent-$NS.a/0\".*) = -1 ENOENT" "$T/ev" ||
    fail "the failing unlink is not recorded with its errno"
grep -q "process(pid=[0-9]*, ppid=$P," "$T/ev" || fail "the child forked after the attach is not traced"
lost=$(sed -n 's/^proftrace: [0-9]* processes, [0-9]* events, \([0-9]*\) lost; .*$/\1/p' "$T/rec.err")
[ -n "$lost" ] || fail "no summary line"
# After the detach the process's calls go straight to libc again: nothing more in its rings.
[ -z "$(ls "$T/tr/rings" | grep "^$P-" || true)" ] || fail "a ring of $P is left in $T/tr/rings"
echo "ok: output unchanged, $unl shm_unlink calls of $N threads recorded ($lost lost), fork child traced"
