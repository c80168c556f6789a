#!/usr/bin/env bash
# tracer_kill.sh — writers SIGKILLed or crashing mid-stream: everything they wrote before is read,
# with the collector running (record) and without any (post-mortem from the rings); the collector
# records how they died (`reaped` with the signal).
source "$(dirname "$0")/tracer_lib.sh"

progress_lines() {
    local n
    n=$(grep -c '^progress' "$1" 2>/dev/null) || true
    echo "${n:-0}"
}

# A. under record: the writer is record's child; SIGKILL it while it writes
pt_record -o "$T/a" -- "$WRITER" --threads 3 --events 10000000 --sleep-every 100 \
    --sleep-us 2000 --results "$T/a.res" 2>"$T/a.err" &
rec=$!
PIDS_TO_KILL+=("$rec")
n=0
while [ "$(progress_lines "$T/a.res")" -lt 30 ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
wpid=$(awk '/^progress/ { print $2; exit }' "$T/a.res")
[ -n "$wpid" ] || fail "writer not found"
kill -9 "$wpid"
set +e
wait "$rec"
rc=$?
set -e
cat "$T/a.err"
[ "$rc" -eq 137 ] || fail "record exit status $rc, want 137 (128+SIGKILL)"
"$CHECK" "$T/a" "$T/a.res" | tee "$T/a.out"
grep -q "reaped pid $wpid signo 9" "$T/a.out" || fail "no reaped event with SIGKILL for $wpid"

# B. no collector at all: kill mid-stream, then read the undrained ring post-mortem
PROFTRACE_DIR="$T/b" "$WRITER" --threads 2 --events 10000000 --sleep-every 100 --sleep-us 2000 \
    --results "$T/b.res" &
w=$!
PIDS_TO_KILL+=("$w")
n=0
while [ "$(progress_lines "$T/b.res")" -lt 20 ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
kill -9 "$w"
wait "$w" 2>/dev/null || true
ls "$T/b/rings" | grep -q '\.ring$' || fail "ring file missing"
"$CHECK" "$T/b" "$T/b.res"
"$PROFTRACE" events "$T/b" >"$T/b.txt"
grep -q RegQueryValueExA "$T/b.txt" || fail "events does not show the ring"

# C. finished writing, then killed while idle: exact, nothing lost, nothing torn (18000 events fit
#    the default buffer without a collector)
PROFTRACE_DIR="$T/c" "$WRITER" --threads 4 --events 18000 --hang --ready "$T/c.ready" \
    --results "$T/c.res" &
w=$!
PIDS_TO_KILL+=("$w")
wait_for "$T/c.ready"
kill -9 "$w"
wait "$w" 2>/dev/null || true
"$CHECK" --no-lost "$T/c" "$T/c.res"
# ... and a collector started afterwards finishes the dead ring as reaped
"$PROFTRACE" collect -o "$T/c" >/dev/null 2>"$T/c.err" &
col=$!
PIDS_TO_KILL+=("$col")
n=0
while ls "$T/c/rings" | grep -q '\.ring$' && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
kill -TERM "$col"
wait "$col" || fail "collect exit status"
ls "$T/c/rings" | grep -q '\.ring$' && fail "collector left the dead ring"
"$CHECK" --no-lost "$T/c" "$T/c.res" | tee "$T/c.out"
grep -q "reaped pid $w signo" "$T/c.out" || fail "no reaped event for $w"

# D. a crash under record: SIGSEGV is recorded, exit status is the shell's 139
set +e
pt_record -o "$T/d" -- "$WRITER" --threads 2 --events 3000 --crash \
    --results "$T/d.res" 2>"$T/d.err"
rc=$?
set -e
[ "$rc" -eq 139 ] || fail "exit status $rc, want 139"
"$CHECK" --no-lost "$T/d" "$T/d.res" | tee "$T/d.out"
grep -q "signo 11" "$T/d.out" || fail "no SIGSEGV in reaped"
echo "kill: ok"
