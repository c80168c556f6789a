#!/usr/bin/env bash
# tracer_placement_collect.sh — `proftrace collect` keeps its draining thread off the CPU of the
# writer that woke it (tracer/placement.c), within the CPUs it was started with:
#   1. collect started on CPUs {A,B} with PROFTRACE_PLACEMENT=always (whether a CPU idles
#      depends on the machine's load, which the test does not decide); a writer pinned to A floods
#      its buffer (1 M calls, again up to 5 times until the collector was woken on A at least
#      once): the collector's draining thread (its main thread) may then use B only; a command
#      run --on-finding for a finding after that (the bug2 scenario) has {A,B};
#   2. collect started on CPU A alone: the same flood leaves it A;
#   3. PROFTRACE_PLACEMENT=0, started on {A,B}: as many floods leave it {A,B}.
# Skipped (exit 77) where this test may use one CPU only.
source "$(dirname "$0")/tracer_lib.sh"
FLOOD=$PT_TESTS/tracer_tool_flood
# cpu_list LIST: "0-2,5" as "0 1 2 5"
cpu_list() {
    tr ',' '\n' <<<"$1" | awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) { printf "%s%d", s, c; s = " " } } END { print "" }'
}
read -ra cpus <<<"$(cpu_list "$(taskset -cp $$ | sed 's/.*: //')")"
[ ${#cpus[@]} -ge 2 ] || { echo "SKIP: this test may use one CPU only"; exit 77; }
A=${cpus[0]} B=${cpus[1]}
# allowed PID: the CPUs the main thread of PID may use now, as cpu_list says them
allowed() { cpu_list "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$1/task/$1/status")"; }

# start NAME CPUS [OPTION...]: collect -o $T/NAME on CPUS in the background ($col), once ready
start() {
    local name=$1 on=$2
    shift 2
    : >"$T/$name.env"
    taskset -c "$on" "$PROFTRACE" collect --no-journal -o "$T/$name" "$@" >"$T/$name.env" \
        2>"$T/$name.err" &
    col=$!
    PIDS_TO_KILL+=("$col")
    timeout 60 grep -m1 -q '^PROFTRACE_DIR=' <(tail -n +1 -f "$T/$name.env") ||
        fail "collect printed no environment: $(cat "$T/$name.err")"
}
# flood NAME: 1 M calls from a writer pinned to CPU A, traced by collect NAME
flood() {
    env "LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$(sed -n 's/^LD_PRELOAD=//p' "$T/$1.env")" \
        "PROFTRACE_DIR=$(sed -n 's/^PROFTRACE_DIR=//p' "$T/$1.env")" \
        taskset -c "$A" "$FLOOD" 1000000 0 >"$T/$1.flood" || fail "the flood: $(cat "$T/$1.flood")"
}
stop() { kill -INT "$col" && wait "$col" || fail "collect failed: $(cat "$T/$1.err")"; }

# 1. Started on {A,B}: off A after a writer there woke it; a command run later has {A,B}.
mkdir "$T/out"
PROFTRACE_PLACEMENT=always start a "$A,$B" --on-finding "grep Cpus_allowed_list: /proc/\$\$/status >$T/out/mask.tmp; mv $T/out/mask.tmp $T/out/mask"
[ "$(allowed "$col")" = "$A $B" ] || fail "collect started on $A,$B may use $(allowed "$col")"
floods=0
while [ "$(allowed "$col")" != "$B" ] && [ $floods -lt 5 ]; do
    flood a
    floods=$((floods + 1))
done
[ "$(allowed "$col")" = "$B" ] ||
    fail "after $floods floods from a writer on CPU $A, the collector may use $(allowed "$col"), not $B"
echo "ok: a writer on CPU $A woke the collector there: it now runs on $B (after $floods floods)"
(
    set -a
    source "$T/a.env"
    PT_BUILD_DIR=$PT_BIN/.. bash "$PT_SRC/samples/scenarios/bug2-session.sh"
) >"$T/scenario.log" 2>&1 || fail "the scenario failed: $(tail -5 "$T/scenario.log")"
until [ -s "$T/out/mask" ]; do # the finding is delivered while collect runs
    kill -0 "$col" 2>/dev/null || fail "collect ended before the finding was delivered"
    sleep 0.05
done
[ "$(cpu_list "$(sed 's/^Cpus_allowed_list:[[:space:]]*//' "$T/out/mask")")" = "$A $B" ] ||
    fail "the --on-finding command ran with $(cat "$T/out/mask"), collect started on $A,$B"
stop a
echo "ok: the --on-finding command had the CPUs collect started with ($A,$B)"

# 2. Started on A alone: nothing to choose.
start b "$A"
flood b
[ "$(allowed "$col")" = "$A" ] || fail "collect started on $A alone may use $(allowed "$col")"
stop b
echo "ok: started on CPU $A alone, it stays there"

# 3. Turned off.
PROFTRACE_PLACEMENT=0 start c "$A,$B"
for _ in $(seq "$floods"); do flood c; done
[ "$(allowed "$col")" = "$A $B" ] || fail "PROFTRACE_PLACEMENT=0: the collector may use $(allowed "$col")"
stop c
echo "ok: PROFTRACE_PLACEMENT=0 leaves it on $A,$B after $floods floods"
