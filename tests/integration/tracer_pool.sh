#!/usr/bin/env bash
# tracer_pool.sh — ring files the collector prepares ahead (rings/.pool, tracer/ring_pool.c), with
# real processes:
#  - a traced process starting while the pool holds files takes one for its ring (its ring is one
#    of the pool's inodes), and its events are collected as from any ring;
#  - the ring of a process that ended goes back into the pool (the same inode), not removed, unless
#    something else still has it open;
#  - a process of another buffer size, and one in a trace without a collector (no pool), create
#    their own ring and are traced as before (the first in .pool, where inodes are cheap);
#  - a file in a pool slot that is not a prepared file (wrong size) is never used for a ring; a
#    collector replaces it, and removes what a process killed while taking a file left;
#  - .pool is private, ignored by the readers (no process, no complaint), kept right across a
#    collector SIGKILLed and restarted, and removed when the collection ends.
source "$(dirname "$0")/tracer_lib.sh"
SHIM=$PT_LIB/libproftrace.so
pre=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$SHIM
D=$T/trace
P=$D/rings/.pool
PT_POOL_SLOTS=8 # tracer/ring_pool.h
PTDIR=$D # where traced_waiting's processes write
# until CMD succeeds, at most 30 s: waits for the event itself
until_true() {
    local n=600
    until "$@"; do
        n=$((n - 1))
        [ $n -gt 0 ] || fail "timed out waiting for: $*"
        sleep 0.05
    done
}
pool_files() { find "$P" -maxdepth 1 -type f 2>/dev/null | wc -l; }
pool_inodes() { find "$P" -maxdepth 1 -type f -printf '%i\n' 2>/dev/null | sort; }
has_pool_files() { [ "$(pool_files)" -gt 0 ]; }
start_collect() { # $1: stderr file; sets col
    : >"$T/env"
    "$PROFTRACE" collect -o "$D" >"$T/env" 2>"$1" &
    col=$!
    PIDS_TO_KILL+=("$col")
    until_true grep -q "^PROFTRACE_DIR=" "$T/env"
}
# traced `sh` that says its pid, then waits for a line on fifo $1 (env: extra settings in $2...)
traced_waiting() {
    local fifo=$1
    shift
    mkfifo "$fifo"
    env LD_PRELOAD="$pre" PROFTRACE_DIR="$PTDIR" "$@" sh -c 'echo $$ >"$0.pid"; read x <"$0"' "$fifo" &
    PIDS_TO_KILL+=("$!")
    until_true test -s "$fifo.pid"
}
ring_of() { # $1: pid: the path of its ring in $PTDIR/rings
    find "$PTDIR/rings" -maxdepth 1 -name "$1-*.ring" -print -quit
}
has_ring() { [ -n "$(ring_of "$1")" ]; }
no_ring() { [ -z "$(ring_of "$1")" ]; }
in_pool() { pool_inodes | grep -qx "$1"; }

# 1. A collector keeps a pool: private, filled.
start_collect "$T/col1.err"
until_true has_pool_files
[ "$(stat -c %a "$P")" = 700 ] || fail ".pool is mode $(stat -c %a "$P"), not 700"
before=$(pool_inodes)

# 2. A process starting now takes a pool file for its ring.
traced_waiting "$T/f1"
p1=$(cat "$T/f1.pid")
until_true has_ring "$p1"
r1=$(ring_of "$p1")
i1=$(stat -c %i "$r1")
grep -qx "$i1" <<<"$before" || fail "the ring of $p1 ($r1, inode $i1) is not a pool file: $(echo $before)"
echo "ok   a process started with a pool takes one of its files (inode $i1)"

# 3. Another buffer size: not a pool file (the pool holds default-sized ones), still traced.
before=$(pool_inodes)
traced_waiting "$T/f2" PROFTRACE_BUFSIZE=64k
p2=$(cat "$T/f2.pid")
until_true has_ring "$p2"
i2=$(stat -c %i "$(ring_of "$p2")")
grep -qx "$i2" <<<"$before" && fail "a 64k-buffer process took a pool file made for 4 MiB buffers"
echo "ok   a process of another buffer size creates its own ring"

# 4. When p1 ends, its ring is drained and goes back into the pool: the same inode.
echo go >"$T/f1"
until_true no_ring "$p1"
until_true in_pool "$i1"
echo "ok   the ring of an ended process went back into the pool"
echo go >"$T/f2"
until_true no_ring "$p2"

# 4b. A ring something else still has open (a reader here) is never made a pool file: the kernel
# refuses the collector its lease, and the ring is removed as before, its content untouched. The
# collector retires rings in order: once p6's ring is back in the pool, p5's has been dealt with.
traced_waiting "$T/f5"
p5=$(cat "$T/f5.pid")
until_true has_ring "$p5"
r5=$(ring_of "$p5")
i5=$(stat -c %i "$r5")
exec 7<"$r5"
echo go >"$T/f5"
until_true no_ring "$p5"
traced_waiting "$T/f6"
p6=$(cat "$T/f6.pid")
until_true has_ring "$p6"
i6=$(stat -c %i "$(ring_of "$p6")")
echo go >"$T/f6"
until_true in_pool "$i6"
in_pool "$i5" && fail "a ring still open elsewhere was made a pool file"
[ "$(head -c 6 <&7)" = PTRING ] || fail "a ring still open elsewhere was emptied"
exec 7<&-
echo "ok   a ring still open elsewhere is removed, not recycled"

# 5. SIGKILLed, the collector leaves its pool; readers ignore it; a new collector keeps it.
kill -9 "$col"
wait "$col" 2>/dev/null || true
has_pool_files || fail "no pool left after SIGKILL (nothing to check the restart with)"
kept=$(pool_inodes)
"$PROFTRACE" events "$D" >"$T/events1" 2>"$T/events1.err" || fail "events after SIGKILL failed"
[ ! -s "$T/events1.err" ] || fail "readers complain of the pool: $(head -3 "$T/events1.err")"
for p in "$p1" "$p2" "$p5" "$p6"; do
    grep -q " process(pid=$p," "$T/events1" || fail "no process event of $p"
done
nproc=$("$PROFTRACE" report "$D" 2>/dev/null | sed -n 's/^summary: \([0-9]*\) processes.*/\1/p')
[ "$nproc" = 4 ] || fail "the report counts $nproc processes, not 4 (a pool file taken for one?)"
start_collect "$T/col2.err"
# kept, every one (it may add files at once: a pool below half is filled when the collector idles)
for i in $kept; do
    in_pool "$i" || fail "a restarted collector did not keep the prepared files ($i is gone)"
done
echo "ok   a restarted collector keeps the pool; readers ignore it"

# 6. A slot holding what is not a prepared file (wrong size) is never a ring, and is replaced.
kill -9 "$col"
wait "$col" 2>/dev/null || true
name=$(find "$P" -maxdepth 1 -type f -printf '%f\n' | head -1)
prefix=${name%.*}
rm -f "$P"/*
for k in 0 1 2 3 4 5 6 7; do head -c 4096 /dev/zero >"$P/$prefix.$k"; done
traced_waiting "$T/f3"
p3=$(cat "$T/f3.pid")
until_true has_ring "$p3"
[ "$(stat -c %s "$(ring_of "$p3")")" -gt 4096 ] || fail "a 4 KiB file in a pool slot was taken for a ring"
echo go >"$T/f3"
wait
# what a process killed while taking a file leaves (its own name in .pool), and one still taking
sh -c 'exit 0' &
dead=$!
wait "$dead"
: >"$P/.$dead-0000000000001000.tmp"
: >"$P/.$$-0000000000002000.tmp"
start_collect "$T/col3.err"
until_true has_pool_files
[ -z "$(find "$P" -maxdepth 1 -type f -size 4096c)" ] || fail "a new collector kept a wrong-sized pool file"
[ ! -e "$P/.$dead-0000000000001000.tmp" ] || fail "a dead process's file in .pool was kept"
[ -e "$P/.$$-0000000000002000.tmp" ] || fail "the file a live process is taking was removed"
rm "$P/.$$-0000000000002000.tmp"
echo "ok   a wrong-sized file in a pool slot is not taken; a collector replaces it and what dead takers left"

# 6b. A starting process tries every slot: a pool whose only file is in the last slot it tries
# (its pid picks where it begins) still spares it a file of its own. The process says its pid
# untraced, and becomes traced (exec, same pid) once that file is in place.
kill -9 "$col"
wait "$col" 2>/dev/null || true
keep=$(find "$P" -maxdepth 1 -type f -name "$prefix.*" -size +4096c -print -quit)
[ -n "$keep" ] || fail "no prepared file left to move"
find "$P" -maxdepth 1 -type f -name "$prefix.*" ! -path "$keep" -delete
mkfifo "$T/f7" "$T/f7.go"
(
    echo "$BASHPID" >"$T/f7.pid"
    read -r x <"$T/f7"
    exec env LD_PRELOAD="$pre" PROFTRACE_DIR="$PTDIR" sh -c 'read y <"$0"' "$T/f7.go"
) &
PIDS_TO_KILL+=("$!")
until_true test -s "$T/f7.pid"
p7=$(cat "$T/f7.pid")
last=$(((p7 + PT_POOL_SLOTS - 1) % PT_POOL_SLOTS))
[ "$keep" = "$P/$prefix.$last" ] || mv "$keep" "$P/$prefix.$last"
ik=$(stat -c %i "$P/$prefix.$last")
echo go >"$T/f7"
until_true has_ring "$p7"
[ "$(stat -c %i "$(ring_of "$p7")")" = "$ik" ] ||
    fail "process $p7 created its own ring while slot $last held a prepared file"
echo go >"$T/f7.go"
wait
start_collect "$T/col4.err"
echo "ok   a starting process takes a prepared file from the last slot it tries"

# 6b. A process with no pool file to take (another buffer size) creates its ring in .pool, where
# the collector placed cheap inodes (tracer/inode_home.c), not next to the trace directory, and
# publishes it in rings/ as any. (Here: its ring, recycled when it ends, would fill the slot the
# steps above expect back.)
if command -v strace >/dev/null; then
    env LD_PRELOAD="$pre" PROFTRACE_DIR="$D" PROFTRACE_BUFSIZE=64k \
        strace -f -qq -e trace=openat,rename -o "$T/own.log" /bin/true || fail "traced /bin/true failed"
    grep -q "openat(.*\"$P/\.[0-9]*-[0-9a-f]*\.tmp\", .*O_CREAT" "$T/own.log" ||
        fail "a process with no pool file to take did not create its ring in .pool: $(grep -E 'tmp|ring' "$T/own.log")"
    grep -q "rename(\"$P/\.[0-9]*-[0-9a-f]*\.tmp\", \"$D/rings/[0-9]*-[0-9]*-[0-9a-f]*\.ring\") = 0" "$T/own.log" ||
        fail "its ring was not published in rings/: $(grep -E 'tmp|ring' "$T/own.log")"
    echo "ok   a process with no file to take creates its ring in .pool"
fi

# 7. The collection ends: the pool is removed.
kill -INT "$col"
wait "$col" || fail "collect exit status $?"
[ ! -e "$P" ] || fail "the pool is left after collect ended: $(ls -la "$P")"
"$PROFTRACE" events "$D" >"$T/events2" 2>"$T/events2.err" || fail "events failed"
grep -q " process(pid=$p3," "$T/events2" || fail "no process event of $p3"
pt_record -o "$T/rec" -- sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do true; done' 2>"$T/rec.err" ||
    fail "record failed: $(cat "$T/rec.err")"
[ ! -e "$T/rec/rings/.pool" ] || fail "the pool is left after record ended"
echo "ok   collect and record remove their pool when they end"

# 8. No collector, no pool: a process creates its ring, and is traced.
N=$T/nocol
mkdir "$N"
PTDIR=$N
traced_waiting "$T/f4"
p4=$(cat "$T/f4.pid")
until_true has_ring "$p4"
echo go >"$T/f4"
wait
[ ! -e "$N/rings/.pool" ] || fail "a pool appeared without a collector"
"$PROFTRACE" events "$N" 2>"$T/events3.err" | grep -q " process(pid=$p4," ||
    fail "no process event of $p4 without a pool"
echo "ok   without a pool a process creates its own ring"
echo "pool: ok"
