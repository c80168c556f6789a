#!/usr/bin/env bash
# tracer_readers_live.sh — readers beside a live writer and collector (issue: `report` during a
# `collect` said `rings/<ring>.ring: No such file or directory` and exited 2; `live` during a
# `record` printed such lines and a "damaged control block"). Busy writers (forking children
# that exit, so rings are drained and removed all the time; small buffers, so slots are reused)
# under `collect`, then under `record`, while report, events and export run RUNS times each and
# live follows: every run exits 0 or 1 and says nothing on stderr. A trace with real damage still
# gets it reported. Prints the number of reader runs made during the collection.
source "$(dirname "$0")/tracer_lib.sh"
RUNS=${PT_READER_RUNS:-50}
LOAD=$PT_TESTS/fault_tool_load
D=$T/col
export PROFTRACE_BUFSIZE=65536

"$PROFTRACE" collect -o "$D" >"$T/env" 2>"$T/collect.err" &
col=$!
PIDS_TO_KILL+=("$col")
for _ in $(seq 600); do grep -q '^PROFTRACE_DIR=' "$T/env" && break; sleep 0.1; done
grep -q '^PROFTRACE_DIR=' "$T/env" || fail "collect printed no environment: $(cat "$T/collect.err")"
preload=$(sed -n 's/^LD_PRELOAD=//p' "$T/env")
[ -z "${PT_PRELOAD_FIRST:-}" ] || preload="$PT_PRELOAD_FIRST:$preload"

# the writers: until $T/stop exists, bursts of short-lived children (rings created, drained and
# removed all the time) and of threads; the pause only keeps the trace small enough to be read
# RUNS times in the test's time
writers() {
    while [ ! -e "$T/stop" ]; do
        LD_PRELOAD=$preload PROFTRACE_DIR=$D "$LOAD" forks 3 30 >/dev/null
        LD_PRELOAD=$preload PROFTRACE_DIR=$D "$LOAD" threads 2 300 >/dev/null
        sleep 0.3
    done
}
writers &
w1=$!
PIDS_TO_KILL+=("$w1")
# wait until the collector has drained something and rings come and go
for _ in $(seq 600); do ls "$D" | grep -q '_[0-9]*$' && break; sleep 0.1; done

"$PROFTRACE" live "$D" >"$T/live.out" 2>"$T/live.err" &
live=$!
PIDS_TO_KILL+=("$live")

# check NAME RC: exit 0/1, nothing on stderr
runs=0
check() {
    local name=$1 rc=$2
    [ "$rc" = 0 ] || [ "$rc" = 1 ] || fail "$name: exit $rc during the collection: $(head -5 "$T/r.err")"
    [ ! -s "$T/r.err" ] || fail "$name: complained during the collection: $(head -5 "$T/r.err")"
    runs=$((runs + 1))
}
for i in $(seq "$RUNS"); do
    rc=0; "$PROFTRACE" report --no-symbols --no-disasm "$D" >"$T/r.out" 2>"$T/r.err" || rc=$?
    check "report #$i" $rc
    rc=0; "$PROFTRACE" events "$D" >"$T/e.out" 2>"$T/r.err" || rc=$?
    check "events #$i" $rc
    rc=0; "$PROFTRACE" export --format chrome -o "$T/x.json" "$D" 2>"$T/r.err" || rc=$?
    check "export #$i" $rc
done
rings=$(ls "$D/rings" | grep -c '\.ring$' || true)
touch "$T/stop"
wait "$w1"
kill -INT "$live"
wait "$live" || fail "live: exit $?"
[ ! -s "$T/live.err" ] || fail "live complained during the collection: $(head -5 "$T/live.err")"
grep -q '\] unlink(' "$T/live.out" || fail "live printed no event"
kill -INT "$col"
wait "$col" || fail "collect: exit $?"
echo "ok   collect: $runs reader runs (report, events, export) and one live, zero complaints"

# the same under `record`, with live following it
rm -f "$T/stop"
R=$T/rec
pt_record -o "$R" -- bash -c "for i in \$(seq 100); do '$LOAD' forks 3 30 >/dev/null; done" \
    >/dev/null 2>"$T/record.err" &
rec=$!
PIDS_TO_KILL+=("$rec")
for _ in $(seq 600); do [ -d "$R/rings" ] && break; sleep 0.1; done
"$PROFTRACE" live "$R" >"$T/live2.out" 2>"$T/live2.err" &
live=$!
PIDS_TO_KILL+=("$live")
n=0
while kill -0 "$rec" 2>/dev/null && [ $n -lt "$RUNS" ]; do
    rc=0; "$PROFTRACE" report --no-symbols --no-disasm "$R" >"$T/r.out" 2>"$T/r.err" || rc=$?
    check "report during record #$n" $rc
    n=$((n + 1))
done
wait "$rec" || fail "record: exit $?"
kill -INT "$live"
wait "$live" || fail "live: exit $?"
[ ! -s "$T/live2.err" ] || fail "live complained during the record: $(head -5 "$T/live2.err")"
echo "ok   record: $n reports and one live during it, zero complaints"

# real damage is still damage: the first packet header of a stream file overwritten
cp -a "$D" "$T/bad"
victim=$(cd "$T/bad" && ls -S | grep '_[0-9]*$' | head -1) || true
printf '\xde\xad\xbe\xef\xde\xad\xbe\xef' | dd of="$T/bad/$victim" bs=1 conv=notrunc status=none
rc=0
"$PROFTRACE" events "$T/bad" >/dev/null 2>"$T/bad.err" || rc=$?
[ "$rc" = 2 ] || fail "damaged trace: events exit $rc, expected 2"
grep -q "$victim" "$T/bad.err" || fail "damaged trace: the damaged file is not named: $(head -3 "$T/bad.err")"
rc=0
"$PROFTRACE" report --no-symbols "$T/bad" >/dev/null 2>"$T/bad.err" || rc=$?
[ "$rc" = 2 ] || fail "damaged trace: report exit $rc, expected 2"
echo "ok   a damaged stream file is still reported (exit 2, file named)"
echo "figures: $((runs)) reader runs during collect/record with zero complaints, rings at the end of the collection: $rings"
echo "PASS"
