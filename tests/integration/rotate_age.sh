#!/usr/bin/env bash
# rotate_age.sh — `proftrace collect --max-age 8s`: chunks closed every second or so (an eighth of
# the age) while events come, and those whose events are older than the age dropped, with what
# they held carried. A holder maps an object at the start; traffic comes until the first chunk is
# dropped for its age (there is no size cap: only its age can drop it; the test waits for that,
# bounded); the object is then removed while held. The finding must be announced and reported
# with the hold's time although the chunk of its time is gone.
source "$(dirname "$0")/rotate_lib.sh"
export WINSIM_HIVE_ROOT=$work/hive
collect_start collect --max-age 8s
hold_start "$prefix" 1 2000
# traffic until the first chunk is dropped for its age (bounded: the age is 8 s)
deadline=$((SECONDS + 180))
until [ -f "$work/T/chunks/.dropped" ] && [ ! -d "$work/T/chunks/000001" ]; do
    [ $SECONDS -lt $deadline ] || fail "no chunk was dropped for its age within 180 s"
    traced "$load" load 2000 3>&-
done
traced "$load" delete "$prefix" 1 3>&-
echo tick >&3
timeout 120 grep -m1 -q "finding: deleted-while-held .* while pid $holder " \
    <(tail -n +1 -f "$work/collect.err") || { cat "$work/collect.err"; fail "no finding announced"; }
exec 3>&-
wait "$holder" || fail "holder"
kill -INT "$collector"
wait "$collector" || fail "collect"
grep -q "chunks .* dropped" "$work/collect.err" || fail "collect says nothing of what it dropped"
st=0
"$pt" report --no-symbols "$work/T" >"$work/report.txt" 2>"$work/report.err" || st=$?
[ "$st" -eq 1 ] || { cat "$work/report.err"; fail "report exit $st, wanted 1"; }
grep -q "pid $holder (rotate_load) mmap .*: has it mapped" "$work/report.txt" ||
    fail "the hold is not in the finding"
grep -q "dropped by rotation; state carried from" "$work/report.txt" || fail "no rotation summary"
echo "ok: chunks dropped for their age, the hold carried into the finding"
