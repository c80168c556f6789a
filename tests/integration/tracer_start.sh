#!/usr/bin/env bash
# tracer_start.sh — what the ring costs a traced process at start, in system calls (counted with
# strace, never timed): a bounded few, and the same whatever the number of thread buffers
# (PROFTRACE_THREADS), because a buffer is backed only when a thread first records (the creating
# thread's with the ring) — before, every buffer's control page was reserved at start (66
# fallocates for the default 64).
source "$(dirname "$0")/tracer_lib.sh"
command -v strace >/dev/null || fail "strace is needed (scripts/install-deps.sh installs it)"
SHIM=$PT_LIB/libproftrace.so
# ring_calls N: system calls of a traced /bin/true on its ring (its file, rings/, backing), with N
# thread buffers; the whole log is left in $T/N.log
ring_calls() {
    mkdir -p "$T/tr$1"
    env LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$SHIM \
        PROFTRACE_DIR="$T/tr$1" PROFTRACE_THREADS="$1" strace -f -y -o "$T/$1.log" /bin/true ||
        fail "traced /bin/true failed"
    grep -E '\.ring>|\.tmp>|/rings"|MADV_POPULATE_WRITE|RLIMIT_FSIZE' "$T/$1.log" |
        grep -vc '\.holds' || true
}
few=$(ring_calls 4)
many=$(ring_calls 4000)
all_few=$(wc -l <"$T/4.log")
all_many=$(wc -l <"$T/4000.log")
strace -f -o "$T/plain.log" /bin/true
plain=$(wc -l <"$T/plain.log")
# 13 (a ring file created, sized and backed here: no collector prepared one); 20 before the header
# and the first buffer were backed as one range.
[ "$few" -le 16 ] || fail "$few system calls on the ring at start (bound 16): $(grep -E '\.ring>|\.tmp>' "$T/4.log" | head -30)"
[ "$many" = "$few" ] || fail "4000 buffers cost $many ring system calls, 4 buffers $few"
# The rest of the start varies by a few calls from run to run (descriptor probing): the buffers
# must not show in it (before, they cost a system call each).
[ $((all_many - all_few)) -le 64 ] && [ $((all_few - all_many)) -le 64 ] ||
    fail "the whole start costs $all_many system calls with 4000 buffers, $all_few with 4"
echo "start: $few system calls on the ring (4 or 4000 buffers); $all_few in all, $plain untraced"
