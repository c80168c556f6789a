#!/usr/bin/env bash
# tracer_stress.sh — N threads x M processes write through `proftrace record` while it drains:
# every event is delivered or counted lost, exactly; no torn record; time order holds.
source "$(dirname "$0")/tracer_lib.sh"
# 1. paced writers while the collector drains: every event delivered or counted lost, and
#    record's summary agrees with what is in the trace
pt_record -o "$T/a" -- "$WRITER" --procs 4 --threads 4 --events 20000 \
    --sleep-every 500 --sleep-us 2000 --results "$T/a.res" 2>"$T/a.err"
cat "$T/a.err"
"$CHECK" "$T/a" "$T/a.res" | tee "$T/a.out"
lost=$(grep -o '[0-9]* lost,' "$T/a.out" | cut -d' ' -f1)
events=$("$PROFTRACE" events --count "$T/a")
markers=$("$PROFTRACE" events --kind lost --count "$T/a")
grep -q "^proftrace: [0-9]* processes, $((events - markers)) events, $lost lost; $T/a (" "$T/a.err" ||
    fail "summary line disagrees with the trace ($events events incl. $markers lost markers)"
# 2. flat out into small buffers: losses happen and are counted exactly
pt_record -o "$T/b" --buffer-size 64k -- "$WRITER" --procs 3 --threads 6 \
    --events 30000 --buf 65536 --results "$T/b.res" 2>"$T/b.err"
cat "$T/b.err"
"$CHECK" "$T/b" "$T/b.res" | tee "$T/b.out"
grep -q " 0 lost" "$T/b.out" && fail "expected losses with 64 KiB buffers"
# 3. more threads than buffers: the events of threads without a buffer are counted as lost
pt_record -o "$T/c" -- "$WRITER" --procs 2 --threads 6 --nbufs 4 --events 5000 \
    --sleep-every 1000 --sleep-us 1000 --results "$T/c.res" 2>"$T/c.err"
cat "$T/c.err"
"$CHECK" "$T/c" "$T/c.res"
echo "stress: ok"
