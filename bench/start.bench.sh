#!/usr/bin/env bash
# start.bench.sh — what tracing adds to the start of a process: a shell runs /bin/true 200 times,
# untraced, under `proftrace record` with default settings and the trace directory on disk (the
# build directory's filesystem, not tmpfs), with the shim writing rings there but no collector
# (LD_PRELOAD and PROFTRACE_DIR: the shim's own start, ring creation included), and with the shim
# loaded but inert (LD_PRELOAD without PROFTRACE_DIR: loading alone). The variants alternate ROUNDS times; each reports
# its median, in wall time and in CPU time (user + system of everything the variant ran, the collector
# included), which a loaded machine disturbs less.
# Rows in bench/run's format (BENCH_ROW: figure, value, unit, ratio, note): the value is the time
# added per process, the ratio the whole loop's traced time to its untraced time.
# Usage: start.bench.sh [BUILD_DIR]   (default: $BENCH_BUILD, else build/ of this repository)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BENCH_BUILD:-$here/../build}}
pt=$build/bin/proftrace
shim=$build/lib/libproftrace.so
[ -x "$pt" ] && [ -f "$shim" ] || { echo "start.bench.sh: $pt or $shim not built" >&2; exit 2; }
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
N=${START_N:-200}
rounds=${ROUNDS:-5}
disk=$(mktemp -d "$build/pt-bench-start.XXXXXX")
trap 'rm -rf "$disk"' EXIT
fs=$(df -T "$disk" | awk 'NR == 2 { print $2 }')
loop="for i in \$(seq $N); do /bin/true; done"
secs() { # CMD...: wall seconds, then CPU seconds (user + system, the command and its children)
    local TIMEFORMAT='%R %U %S' t
    t=$({ time "$@" >/dev/null 2>&1; } 2>&1)
    awk -v t="$t" 'BEGIN { split(t, v, " "); printf "%.4f %.4f\n", v[1], v[2] + v[3] }'
}
: >"$disk/plain"; : >"$disk/traced"; : >"$disk/shim"; : >"$disk/inert"
for r in $(seq "$rounds"); do
    secs bash -c "$loop" >>"$disk/plain"
    secs "$pt" record -o "$disk/trace$r" -- bash -c "$loop" >>"$disk/traced"
    "$pt" report "$disk/trace$r" 2>/dev/null | grep '^summary:' >"$disk/summary" || true
    rm -rf "$disk/trace$r" "$disk/trace$r.old"
    mkdir "$disk/rings$r"
    secs env LD_PRELOAD="$shim" PROFTRACE_DIR="$disk/rings$r" bash -c "$loop" >>"$disk/shim"
    rm -rf "$disk/rings$r"
    secs env LD_PRELOAD="$shim" bash -c "$loop" >>"$disk/inert"
done
med() { # FILE COLUMN: the median of that column
    awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
plain=$(med "$disk/plain" 1) traced=$(med "$disk/traced" 1) shimonly=$(med "$disk/shim" 1)
inert=$(med "$disk/inert" 1)
cplain=$(med "$disk/plain" 2) ctraced=$(med "$disk/traced" 2) cshim=$(med "$disk/shim" 2)
cinert=$(med "$disk/inert" 2)
per() { awk -v a="$1" -v b="${2:-$plain}" -v n="$N" 'BEGIN { printf "%.3f", (a - b) * 1000 / n }'; }
times() { awk -v a="$1" -v b="${2:-$plain}" 'BEGIN { printf "%.1fx", a / b }'; }
printf "$ROW" "start: added per traced process ($N x /bin/true)" "$(per "$traced")" "ms/proc" \
    "$(times "$traced")" \
    "proftrace record, default settings, trace dir on $fs: $plain s untraced, $traced s traced (median of $rounds); $(sed 's/^summary: //' "$disk/summary" | cut -d, -f1-3)"
printf "$ROW" "start: CPU added per traced process" "$(per "$ctraced" "$cplain")" "ms/proc" \
    "$(times "$ctraced" "$cplain")" \
    "the same, CPU time (user + system of the loop, its processes and the collector): $cplain s untraced, $ctraced s traced"
printf "$ROW" "start: added per process, shim without collector" "$(per "$shimonly")" "ms/proc" \
    "$(times "$shimonly")" "LD_PRELOAD and PROFTRACE_DIR (rings on $fs, nothing drains them): $shimonly s for the loop"
printf "$ROW" "start: CPU added per process, shim without collector" "$(per "$cshim" "$cplain")" "ms/proc" \
    "$(times "$cshim" "$cplain")" "the same, CPU time: $cshim s for the loop"
printf "$ROW" "start: added per process, shim loaded but inert" "$(per "$inert")" "ms/proc" \
    "$(times "$inert")" "LD_PRELOAD without PROFTRACE_DIR: $inert s for the loop"
printf "$ROW" "start: CPU added per process, shim loaded but inert" "$(per "$cinert" "$cplain")" "ms/proc" \
    "$(times "$cinert" "$cplain")" "the same, CPU time: $cinert s for the loop"
