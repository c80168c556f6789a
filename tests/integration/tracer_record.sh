#!/usr/bin/env bash
# tracer_record.sh — `proftrace record` end to end and `proftrace events`: descendants followed
# (also orphaned ones), exit status passed through, untraceable commands refused, an existing trace
# kept as DIR.old and a directory of other files refused, babeltrace2 reads
# the trace with the same event count, filters and wall-clock times of `events`.
source "$(dirname "$0")/tracer_lib.sh"

# a process tree: a shell that starts writers, one orphaned and crashing (record is the
# subreaper: it reaps it and knows the signal), one with more threads than buffers (events lost
# for lack of a buffer)
pt_record -o "$T/a" -- bash -c "
    '$WRITER' --threads 2 --events 3000 --sleep-every 500 --sleep-us 20000 --results '$T/res' &
    ( '$WRITER' --threads 3 --events 2000 --crash --reaper \$PPID --results '$T/res' & )
    '$WRITER' --threads 4 --nbufs 3 --events 1000 --results '$T/res'
    exit 0" 2>"$T/a.err"
cat "$T/a.err"
"$CHECK" "$T/a" "$T/res" | tee "$T/a.out"
grep -q "signo 11" "$T/a.out" || fail "crash not reaped"
grep -q "^proftrace: [0-9]* processes, [0-9]* events, 1000 lost; $T/a ([0-9.]* [KMG]iB); to lose none" \
    "$T/a.err" || fail "summary"
ours=$("$PROFTRACE" events --count "$T/a")
theirs=$(bt_count "$T/a")
echo "proftrace events: $ours, babeltrace2: $theirs"
[ "$ours" -eq "$theirs" ] || fail "babeltrace2 sees $theirs events, proftrace $ours"
[ "$ours" -eq "$(grep -o '[0-9]* events' "$T/a.err" | cut -d' ' -f1)" ] ||
    fail "record's event count differs from the trace"

# filters
"$PROFTRACE" events --kind REG "$T/a" >"$T/reg"
[ -s "$T/reg" ] && ! grep -v "RegQueryValueExA(" "$T/reg" >/dev/null || fail "--kind REG"
grep -q '= ERROR_KEY_DELETED (1018)$' "$T/reg" || fail "Win32 error not decoded"
"$PROFTRACE" events --name unmap "$T/a" >"$T/unmap"
[ -s "$T/unmap" ] && ! grep -v " munmap(" "$T/unmap" >/dev/null || fail "--name"
grep -q ') = -1 EINVAL (Invalid argument)$' "$T/unmap" || fail "errno not decoded"
pid=$(grep -m1 -o '^[0-9:.]* \[[0-9]*' "$T/reg" | grep -o '[0-9]*$')
"$PROFTRACE" events --pid "$pid" "$T/a" >"$T/pid"
[ -s "$T/pid" ] && ! grep -v "^[0-9:.]* \[$pid[] /]" "$T/pid" >/dev/null || fail "--pid"
"$PROFTRACE" events --kind reaped "$T/a" | grep -q 'reaped(signo=11, .*) SIGSEGV$' ||
    fail "reaped line"
set +e
"$PROFTRACE" events --kind nosuchthing "$T/a" 2>/dev/null; rc=$?
set -e
[ $rc -eq 2 ] || fail "unknown kind accepted"
# wall clock: the trace was taken in the last minutes
now=$(date +%s)
first=$(sed -n 1p "$T/reg" | cut -c1-8)
ev=$(date -d "today $first" +%s)
[ $((now - ev)) -ge -5 ] && [ $((now - ev)) -lt 600 ] || fail "event time $first, now $(date +%T)"

# exit status of the command
set +e
pt_record -o "$T/b" -- sh -c 'exit 7' 2>/dev/null; rc=$?
set -e
[ $rc -eq 7 ] || fail "exit status $rc, want 7"

# refusals
cp /bin/true "$T/suid-true"
chmod u+s "$T/suid-true"
set +e
pt_record -o "$T/c" -- "$T/suid-true" 2>"$T/c.err"; rc1=$?
pt_record -o "$T/d" -- /sbin/ldconfig -p 2>"$T/d.err"; rc2=$?
pt_record -o "$T/a" -- true 2>"$T/e.err"; rc3=$?
mkdir "$T/f" && echo keep >"$T/f/notes"
pt_record -o "$T/f" -- true 2>"$T/f.err"; rc4=$?
set -e
[ $rc1 -eq 2 ] && grep -q "cannot be traced: setuid" "$T/c.err" || fail "setuid not refused"
if file /sbin/ldconfig | grep -q static; then
    [ $rc2 -eq 2 ] && grep -q "cannot be traced: statically linked" "$T/d.err" ||
        fail "static binary not refused"
fi
# an existing trace is kept as DIR.old (perf's habit); a directory holding other things is refused
[ $rc3 -eq 0 ] && [ -f "$T/a.old/metadata" ] && [ "$("$PROFTRACE" events --count "$T/a.old")" = "$ours" ] ||
    fail "the previous trace was not kept as a.old: $(cat "$T/e.err")"
[ $rc4 -eq 2 ] && grep -q "is not empty and holds no trace" "$T/f.err" && [ "$(ls "$T/f")" = notes ] ||
    fail "record mixed a trace into a directory of other files: $(cat "$T/f.err")"
echo "record: ok"
