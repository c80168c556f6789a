#!/usr/bin/env bash
# build.bench.sh — what following open files as holds costs a build, the workload that opens the
# most files: a generated C project (BUILD_FILES sources, each including a dozen system headers,
# so thousands of read-only opens and a few writes per compile) built with `make -j2`, untraced,
# under `proftrace record` with PROFTRACE_OPEN_FILES=0 (opens for writing not followed: the shim as
# it was), and under `proftrace record` with default settings. The variants alternate ROUNDS times;
# each reports its median. Also: the events the open-file holds add per compile (open and close
# events of the default trace / compiles), and the findings of the default trace (a build must
# have none). Rows in bench/run's format (BENCH_ROW: figure, value, unit, ratio, note); ratios
# against the untraced build.
# Usage: build.bench.sh [BUILD_DIR]   (default: $BENCH_BUILD, else build/ of this repository)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BENCH_BUILD:-$here/../build}}
pt=$build/bin/proftrace
[ -x "$pt" ] || { echo "build.bench.sh: $pt not built" >&2; exit 2; }
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
n=${BUILD_FILES:-24}
rounds=${ROUNDS:-3}
W=$(mktemp -d "$build/pt-bench-build.XXXXXX")
trap 'rm -rf "$W"' EXIT
mkdir "$W/src"
for i in $(seq "$n"); do
    cat >"$W/src/f$i.c" <<C
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
int f$i(int x) { char b[64]; snprintf(b, sizeof b, "%d", x * $i); return (int)strlen(b) + (int)sqrt((double)x); }
C
done
printf '#include <stdio.h>\nint main(void) { return 0; }\n' >"$W/src/main.c"
{
    printf 'OBJS = main.o'
    for i in $(seq "$n"); do printf ' f%d.o' "$i"; done
    printf '\nprog: $(OBJS)\n\tcc -o $@ $(OBJS) -lm\n%%.o: %%.c\n\tcc -O1 -c $< -o $@\n'
    printf 'clean:\n\trm -f prog *.o\n'
} >"$W/src/Makefile"
secs() { # CMD...: wall seconds
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f\n", b - a }'
}
mk() { make -s -C "$W/src" clean && "$@" make -s -j2 -C "$W/src" prog; }
: >"$W/plain"; : >"$W/off"; : >"$W/on"
for r in $(seq "$rounds"); do
    secs bash -c "$(declare -f mk); W=$W; mk env" >>"$W/plain"
    secs bash -c "$(declare -f mk); W=$W; mk env PROFTRACE_OPEN_FILES=0 $pt record -o $W/off$r --" >>"$W/off"
    secs bash -c "$(declare -f mk); W=$W; mk $pt record -o $W/on$r --" >>"$W/on"
    [ "$r" = "$rounds" ] || rm -rf "$W/off$r" "$W/on$r" "$W"/*.old
done
med() { sort -g "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
plain=$(med "$W/plain") off=$(med "$W/off") on=$(med "$W/on")
times() { awk -v a="$1" -v b="$plain" 'BEGIN { printf "%.2fx", a / b }'; }
last=$rounds
"$pt" events "$W/on$last" >"$W/ev.on" 2>/dev/null || true
"$pt" events "$W/off$last" >"$W/ev.off" 2>/dev/null || true
opens=$(grep -c '\] open(\|\] openat(' "$W/ev.on" || true)
closes=$(grep -c '\] close(\|\] dup[23](' "$W/ev.on" || true)
ev_on=$(grep -c . "$W/ev.on" || true) ev_off=$(grep -c . "$W/ev.off" || true)
compiles=$((n + 2))
findings=$("$pt" report --json "$W/on$last" 2>/dev/null | jq '.findings | length' 2>/dev/null || echo "?")
lost=$("$pt" report "$W/on$last" 2>/dev/null | sed -n 's/^summary: [^,]*, [^,]*, \([0-9]*\) lost.*/\1/p')
printf "$ROW" "build: make -j2, $compiles compiles, untraced" "$plain" "s" "1.00x" "median of $rounds"
printf "$ROW" "build: under record, open files not followed" "$off" "s" "$(times "$off")" \
    "PROFTRACE_OPEN_FILES=0: $ev_off events"
printf "$ROW" "build: under record, open files followed" "$on" "s" "$(times "$on")" \
    "default: $ev_on events, ${lost:-?} lost, $findings findings"
printf "$ROW" "build: open-file events per compile" \
    "$(awk -v o="$opens" -v c="$closes" -v n="$compiles" 'BEGIN { printf "%.1f", (o + c) / n }')" \
    "events" "" "$opens opens and $closes closes recorded for $compiles compiles and links (reads: none)"
