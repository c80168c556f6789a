#!/usr/bin/env bash
# tracer_fuzz.sh — random damage, aimed at ring headers, control blocks, packet headers and records
# (undrained rings and CTF streams): the reader always finishes (exit 0, or 2 for a directory that
# is no trace at all), never crashes or hangs, and babeltrace2 aside, nothing else is required.
source "$(dirname "$0")/tracer_lib.sh"
CORRUPT=$PT_TESTS/tracer_tool_corrupt
# undrained rings, no collector: one closed normally, one killed
PROFTRACE_DIR="$T/rings" "$WRITER" --threads 3 --events 5000 --nbufs 4 --buf 65536
PROFTRACE_DIR="$T/rings" "$WRITER" --threads 2 --events 3000 --nbufs 4 --buf 65536 --no-close
# CTF streams from a collector
pt_record -o "$T/ctf" -- "$WRITER" --threads 3 --events 5000 2>/dev/null
fails=0
for seed in $(seq 1 40); do
    for src in rings ctf; do
        d="$T/f-$src-$seed"
        cp -r --sparse=always "$T/$src" "$d"
        for f in "$d"/rings/*.ring "$d"/*_[0-9]*; do
            [ -f "$f" ] && "$CORRUPT" "$f" "$seed" $((1 + seed % 7))
        done
        rc=0
        timeout 30 "$PROFTRACE" events "$d" >/dev/null 2>"$d.err" || rc=$?
        if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
            echo "seed $seed ($src): exit $rc"
            tail -3 "$d.err"
            fails=$((fails + 1))
        fi
        rm -rf "$d"
    done
done
[ $fails -eq 0 ] || fail "$fails damaged traces crashed or hung the reader"
echo "fuzz: ok"
