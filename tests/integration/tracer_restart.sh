#!/usr/bin/env bash
# tracer_restart.sh — the collector SIGKILLed mid-run (leaving a torn packet) and restarted while
# writers keep writing: nothing duplicated, nothing lost, the torn tail cut; a third collector
# run on the finished trace changes nothing.
source "$(dirname "$0")/tracer_lib.sh"
D=$T/trace
"$PROFTRACE" collect -o "$D" --interval 5 >"$T/env" 2>"$T/col1.err" &
col1=$!
PIDS_TO_KILL+=("$col1")
# collect prints the environment once it is ready (metadata written, witness started)
n=0
while ! grep -q "^PROFTRACE_DIR=" "$T/env" && [ $n -lt 300 ]; do sleep 0.05; n=$((n + 1)); done
[ -e "$D/metadata" ] || fail "collect wrote no metadata"
grep -q "^PROFTRACE_DIR=$D\$" "$T/env" || fail "collect did not print PROFTRACE_DIR"
grep -q "^LD_PRELOAD=.*libproftrace.so\$" "$T/env" || fail "collect did not print LD_PRELOAD"
PROFTRACE_DIR=$D "$WRITER" --procs 3 --threads 2 --events 30000 --buf 4194304 \
    --sleep-every 300 --sleep-us 5000 --results "$T/res" &
w=$!
PIDS_TO_KILL+=("$w")
# once the first collector has drained a packet into a stream file, kill it
n=0
while [ -z "$(find "$D" -maxdepth 1 -name '*_[0-9]*' -size +0 -print -quit)" ] && [ $n -lt 600 ]; do
    sleep 0.05
    n=$((n + 1))
done
kill -9 "$col1"
wait "$col1" 2>/dev/null || true
# what a collector killed inside a write leaves: the start of a packet at the end of a stream
s=$(ls -S "$D" | grep '_[0-9]*$' | sed -n 1p) || true
[ -n "$s" ] || fail "first collector drained nothing"
head -c 200 "$D/$s" >>"$D/$s"
"$PROFTRACE" collect -o "$D" --interval 5 >/dev/null 2>"$T/col2.err" &
col2=$!
PIDS_TO_KILL+=("$col2")
wait "$w" || fail "writers failed"
n=0
while ls "$D/rings" | grep -q '\.ring$' && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
kill -TERM "$col2"
wait "$col2" || fail "collect exit status"
cat "$T/col2.err"
grep -q "cutting a torn packet" "$T/col2.err" || fail "torn packet not reported"
"$CHECK" --no-lost "$D" "$T/res" | tee "$T/check1"
before=$("$PROFTRACE" events --count "$D")
# idempotent: collecting again over a finished trace adds nothing
"$PROFTRACE" collect -o "$D" >"$T/env3" 2>"$T/col3.err" &
col3=$!
PIDS_TO_KILL+=("$col3")
# ready (it has read the trace) once it prints the environment; SIGINT then ends it cleanly
n=0
while ! grep -q "^PROFTRACE_DIR=" "$T/env3" && [ $n -lt 300 ]; do sleep 0.05; n=$((n + 1)); done
kill -INT "$col3"
wait "$col3" || fail "collect exit status"
after=$("$PROFTRACE" events --count "$D")
[ "$before" = "$after" ] || fail "third collector changed the trace: $before -> $after events"
[ "$(bt_count "$D")" = "$after" ] || fail "babeltrace2 count $(bt_count "$D") != $after"
echo "restart: ok"
