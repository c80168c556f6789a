#!/usr/bin/env bash
# preload_forkstart.sh — a fork child starts (its ring, its process event) only when it first
# records (preload/fork_start.c), on real processes:
#  1. a child that execs at once makes no ring of its own: its pid has one ring, its exec'd
#     image's, whose process event says exec=1 with the right pid and ppid (with the trace
#     directory and the shim given as absolute and as relative paths); under `record` the same, and the
#     child's pre-exec image has no event at all;
#  2. a child that execs its parent's own executable: one process event, exec=1; that image's own
#     fork child, which only exits, starts at its exit (exec=0 first, then its exit); a child that
#     forks before it records anything: its own child, which execs at once, is its image only;
#  3. a child that deletes before it execs starts first: process (exec=0), unlink, execve, then the
#     exec'd image's process (exec=1);
#  4. the child of a parent that holds a shared mapping starts at once, as before (exec=0 first);
#  5. an exec that fails is recorded (both execve events) after the child's own process event;
#  6. an exec into a statically linked program (no shim there) is recorded with its `untraced`
#     event, in the child's own ring;
#  7. a child that only exits, or only dies of a signal, is in the trace with its exit or signal.
source "$(dirname "$0")/tracer_lib.sh"
TOOL=$PT_TESTS/tracer_tool_forkexec
STATIC=$PT_TESTS/attach_tool_static
pre=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so
[ -x "$TOOL" ] && [ -x "$STATIC" ] || fail "tools not built"

# child OUT: the child's pid from the tool's output
child() { sed -n 's/^child \([0-9]*\) status .*/\1/p' "$1"; }
# procs EVENTS PID: that pid's process events, one line each ("exec=N exe")
procs() { grep "\] process(pid=$2, " "$1" | sed 's/.* exec=\([0-9]\), exe="\([^"]*\)".*/exec=\1 \2/'; }
# first EVENTS PID: the first event of that pid that is not a thread event (awk reads the file
# itself: a pipeline into `head` would end its writers by SIGPIPE, a failure under pipefail)
first() { awk -v p="[$2" '$2 == p && !/\] thread\(/ { print; exit }' "$1"; }

# 1. No collector: the rings themselves.
for how in absolute relative; do
    mkdir "$T/raw-$how"
    dir=$T/raw-$how shim=$pre
    if [ $how = relative ]; then
        dir=raw-$how
        shim=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$(realpath --relative-to="$T" "$PT_LIB/libproftrace.so")
    fi
    (cd "$T" && LD_PRELOAD=$shim PROFTRACE_DIR=$dir "$TOOL" exec /bin/true) >"$T/raw.out" ||
        fail "$how: the tool failed"
    c=$(child "$T/raw.out")
    [ -n "$c" ] || fail "$how: no child: $(cat "$T/raw.out")"
    n=$(find "$T/raw-$how/rings" -maxdepth 1 -name "$c-*.ring" | wc -l)
    [ "$n" = 1 ] || fail "$how: the child $c has $n rings, want 1 (its exec'd image's)"
    "$PROFTRACE" events "$T/raw-$how" >"$T/raw.ev" 2>/dev/null || fail "$how: events failed"
    [ "$(procs "$T/raw.ev" "$c")" = "exec=1 /usr/bin/true" ] ||
        fail "$how: the child's process events: $(procs "$T/raw.ev" "$c")"
    p=$(grep -o "process(pid=[0-9]*, ppid=[0-9]*, .*tracer_tool_forkexec\"" "$T/raw.ev" |
        sed 's/process(pid=\([0-9]*\),.*/\1/')
    grep -q "\] process(pid=$c, ppid=$p, " "$T/raw.ev" || fail "$how: the child's ppid is not $p"
    echo "ok   1. $how PROFTRACE_DIR and LD_PRELOAD: the child $c that exec'd at once has one ring, its image's"
done

pt_record -o "$T/tr1" -- "$TOOL" exec /bin/true >"$T/tr1.out" 2>"$T/tr1.err" ||
    fail "record: $(cat "$T/tr1.err")"
c=$(child "$T/tr1.out")
"$PROFTRACE" events "$T/tr1" >"$T/tr1.ev"
[ "$(procs "$T/tr1.ev" "$c")" = "exec=1 /usr/bin/true" ] ||
    fail "record: the child's process events: $(procs "$T/tr1.ev" "$c")"
! grep -q "\[$c tracer_tool_for" "$T/tr1.ev" || fail "record: the child's pre-exec image recorded"
grep -q "\] fork() = $c$" "$T/tr1.ev" || fail "record: the parent's fork is missing"
grep -q "proftrace: 2 processes, " "$T/tr1.err" || fail "record: $(cat "$T/tr1.err")"
echo "ok   1. under record: the child $c is its exec'd image only, 2 processes"

# 2. The parent's own executable, exec'd by the child; its own child only exits.
pt_record -o "$T/tr2" -- "$TOOL" exec "$TOOL" exit >"$T/tr2.out" 2>"$T/tr2.err" ||
    fail "record (same executable): $(cat "$T/tr2.err")"
c=$(sed -n '1s/^child \([0-9]*\) .*/\1/p' "$T/tr2.out") # the inner tool's child prints first
c2=$(sed -n '2s/^child \([0-9]*\) .*/\1/p' "$T/tr2.out")
"$PROFTRACE" events "$T/tr2" >"$T/tr2.ev"
[ "$(procs "$T/tr2.ev" "$c2")" = "exec=1 $TOOL" ] ||
    fail "same executable: the exec'd child $c2: $(procs "$T/tr2.ev" "$c2")"
[ "$(procs "$T/tr2.ev" "$c")" = "exec=0 $TOOL" ] ||
    fail "same executable: the grandchild $c: $(procs "$T/tr2.ev" "$c")"
first "$T/tr2.ev" "$c" | grep -q "\] process(pid=$c, ppid=$c2, " ||
    fail "the grandchild's first event is not its process: $(first "$T/tr2.ev" "$c")"
grep -q "\[$c [^]]*\] exit(status=5)" "$T/tr2.ev" || fail "the grandchild's exit is missing"
echo "ok   2. a child exec'ing its parent's executable says exec=1; its child starts at its exit"

# 2b. A child that forks before it records anything: its own child execs at once (one process
# event, exec=1, its ppid the child's), the child itself starts as it records that fork.
pt_record -o "$T/tr2b" -- "$TOOL" fork-exec /bin/true >"$T/tr2b.out" 2>"$T/tr2b.err" ||
    fail "record (fork-exec): $(cat "$T/tr2b.err")"
c=$(child "$T/tr2b.out")
g=$(sed -n 's/^grandchild \([0-9]*\)$/\1/p' "$T/tr2b.out")
[ -n "$g" ] && grep -q "status 6$" "$T/tr2b.out" || fail "fork-exec: $(cat "$T/tr2b.out")"
"$PROFTRACE" events "$T/tr2b" >"$T/tr2b.ev"
[ "$(procs "$T/tr2b.ev" "$g")" = "exec=1 /usr/bin/true" ] ||
    fail "fork-exec: the grandchild $g: $(procs "$T/tr2b.ev" "$g")"
grep -q "\] process(pid=$g, ppid=$c, " "$T/tr2b.ev" || fail "fork-exec: the grandchild's ppid is not $c"
[ "$(procs "$T/tr2b.ev" "$c")" = "exec=0 $TOOL" ] || fail "fork-exec: the child $c: $(procs "$T/tr2b.ev" "$c")"
first "$T/tr2b.ev" "$c" | grep -q "\] process(pid=$c, " || fail "fork-exec: the child's process not first"
grep -q "\[$c [^]]*\] fork() = $g$" "$T/tr2b.ev" || fail "fork-exec: the child's fork is missing"
grep -q "\[$c [^]]*\] exit(status=6)" "$T/tr2b.ev" || fail "fork-exec: the child's exit is missing"
echo "ok   2b. a child forking before it records: its child is its exec'd image only"

# 3. A delete before the exec.
: >"$T/victim"
pt_record -o "$T/tr3" -- "$TOOL" unlink-exec "$T/victim" /bin/true >"$T/tr3.out" 2>"$T/tr3.err" ||
    fail "record (unlink-exec): $(cat "$T/tr3.err")"
[ ! -e "$T/victim" ] || fail "unlink-exec: the file is still there"
c=$(child "$T/tr3.out")
"$PROFTRACE" events "$T/tr3" >"$T/tr3.ev"
[ "$(procs "$T/tr3.ev" "$c" | paste -sd,)" = "exec=0 $TOOL,exec=1 /usr/bin/true" ] ||
    fail "unlink-exec: $(procs "$T/tr3.ev" "$c")"
first "$T/tr3.ev" "$c" | grep -q "\] process(pid=$c, " || fail "unlink-exec: process not first: $(first "$T/tr3.ev" "$c")"
grep -q "\[$c [^]]*\] unlink(\"$T/victim\"[^)]*) = 0" "$T/tr3.ev" || fail "unlink-exec: no unlink"
grep -q "\[$c [^]]*\] execve(\"/bin/true\") = 0" "$T/tr3.ev" || fail "unlink-exec: no execve"
echo "ok   3. a child that deletes first starts first: process, unlink, execve, its image"

# 4. A parent that holds a shared mapping: its child starts at once.
pt_record -o "$T/tr4" -- "$TOOL" hold-exec /bin/true >"$T/tr4.out" 2>"$T/tr4.err" ||
    fail "record (hold-exec): $(cat "$T/tr4.err")"
c=$(child "$T/tr4.out")
"$PROFTRACE" events "$T/tr4" >"$T/tr4.ev"
[ "$(procs "$T/tr4.ev" "$c" | paste -sd,)" = "exec=0 $TOOL,exec=1 /usr/bin/true" ] ||
    fail "hold-exec: $(procs "$T/tr4.ev" "$c")"
echo "ok   4. the child of a parent holding a shared mapping starts at once"

# 5. An exec that fails.
pt_record -o "$T/tr5" -- "$TOOL" fail-exec "$T/nowhere" >"$T/tr5.out" 2>"$T/tr5.err" ||
    fail "record (fail-exec): $(cat "$T/tr5.err")"
c=$(child "$T/tr5.out")
grep -q "status 7$" "$T/tr5.out" || fail "fail-exec: $(cat "$T/tr5.out")"
"$PROFTRACE" events "$T/tr5" >"$T/tr5.ev"
[ "$(procs "$T/tr5.ev" "$c")" = "exec=0 $TOOL" ] || fail "fail-exec: $(procs "$T/tr5.ev" "$c")"
first "$T/tr5.ev" "$c" | grep -q "\] process(pid=$c, " || fail "fail-exec: process not first"
grep -q "\[$c [^]]*\] execve(\"$T/nowhere\") = 0" "$T/tr5.ev" || fail "fail-exec: no execve before"
grep -q "\[$c [^]]*\] execve(\"$T/nowhere\") = -1 ENOENT" "$T/tr5.ev" ||
    fail "fail-exec: the failure is not recorded: $(grep "\[$c " "$T/tr5.ev")"
grep -q "\[$c [^]]*\] exit(status=7)" "$T/tr5.ev" || fail "fail-exec: no exit"
echo "ok   5. a failed exec: the child's process, both execve events, its exit"

# 6. An exec into a statically linked program.
pt_record -o "$T/tr6" -- "$TOOL" exec "$STATIC" </dev/null >"$T/tr6.out" 2>"$T/tr6.err" ||
    fail "record (static): $(cat "$T/tr6.err")"
c=$(child "$T/tr6.out")
"$PROFTRACE" events "$T/tr6" >"$T/tr6.ev"
[ "$(procs "$T/tr6.ev" "$c")" = "exec=0 $TOOL" ] || fail "static: $(procs "$T/tr6.ev" "$c")"
grep -q "\[$c [^]]*\] execve(\"$STATIC\") = 0" "$T/tr6.ev" || fail "static: no execve"
grep -q "\[$c [^]]*\] untraced(pid=$c, .*statically linked" "$T/tr6.ev" ||
    fail "static: no untraced event: $(grep "\[$c " "$T/tr6.ev")"
echo "ok   6. an exec into a static program: the child's process, execve, untraced"

# 7. A child that only exits, and one that dies of a signal.
pt_record -o "$T/tr7" -- "$TOOL" exit >"$T/tr7.out" 2>"$T/tr7.err" ||
    fail "record (exit): $(cat "$T/tr7.err")"
c=$(child "$T/tr7.out")
"$PROFTRACE" events "$T/tr7" >"$T/tr7.ev"
[ "$(procs "$T/tr7.ev" "$c")" = "exec=0 $TOOL" ] || fail "exit: $(procs "$T/tr7.ev" "$c")"
grep -q "\[$c [^]]*\] exit(status=5)" "$T/tr7.ev" || fail "exit: no exit event"
pt_record -o "$T/tr8" -- "$TOOL" abort >"$T/tr8.out" 2>"$T/tr8.err" ||
    fail "record (abort): $(cat "$T/tr8.err")"
c=$(child "$T/tr8.out")
grep -q "status 134$" "$T/tr8.out" || fail "abort: $(cat "$T/tr8.out")"
"$PROFTRACE" events "$T/tr8" >"$T/tr8.ev"
[ "$(procs "$T/tr8.ev" "$c")" = "exec=0 $TOOL" ] || fail "abort: $(procs "$T/tr8.ev" "$c")"
grep -q "\[$c [^]]*\] signal(signo=6" "$T/tr8.ev" || fail "abort: no signal event: $(grep "\[$c " "$T/tr8.ev")"
echo "ok   7. a child that only exits, or dies of SIGABRT, starts at that event"
echo "preload_forkstart: ok"
