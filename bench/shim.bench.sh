#!/usr/bin/env bash
# shim.bench.sh — what the shim adds to one cheap intercepted call, against an untraced run and
# against uftrace (with the string argument) and ltrace on the same call, measured in one run.
#
# The call is RegQueryValueExA of a tiny library built here (it returns at once), so nothing hides
# the tracing cost; it takes a string argument like the real one. A driver times batches of calls
# with CLOCK_MONOTONIC and prints the median ns per call; the tracers' start-up is not counted.
# Rows in bench/run's format (BENCH_ROW: figure, value, unit, ratio, note), like the other
# bench/*.bench.sh: the value is the median ns added per call over the untraced run, the notes the
# raw numbers; the peers' ratio is their added cost as a multiple of the shim's.
# Usage: shim.bench.sh [BUILD_DIR]   (default: $PT_BUILD_DIR, else build/ of this repository)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${PT_BUILD_DIR:-$here/../build}}
shim=$build/lib/libproftrace.so
[ -f "$shim" ] || { echo "shim.bench.sh: $shim not built" >&2; exit 2; }
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
tmp=$(mktemp -d /tmp/pt-bench-shim.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}

cat >"$tmp/lib.c" <<'C'
/* The cheapest RegQueryValueExA there can be: one compare, no I/O. */
typedef unsigned int DWORD;
typedef struct HKEY__ *HKEY;
__attribute__((visibility("default"))) int RegQueryValueExA(HKEY k, const char *name, DWORD *res,
        DWORD *type, unsigned char *data, DWORD *cb)
{
    return name && name[0] == 0;
}
C
cat >"$tmp/drv.c" <<'C'
/* Times batches of RegQueryValueExA calls made `depth` frames below main; prints the median. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef unsigned int DWORD;
typedef struct HKEY__ *HKEY;
int RegQueryValueExA(HKEY, const char *, DWORD *, DWORD *, unsigned char *, DWORD *);
static long batch;
static __attribute__((noinline)) int calls(int depth)
{
    int s = 0;
    if (depth > 1)
        return calls(depth - 1) + 1; /* +1: no tail call, the frame stays */
    for (long i = 0; i < batch; i++)
        s += RegQueryValueExA((HKEY)0x80000001, "001e6614", NULL, NULL, NULL, NULL);
    return s;
}
static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
int main(int argc, char **argv)
{
    batch = atol(argv[1]);
    int nb = atoi(argv[2]), depth = atoi(argv[3]);
    double r[1000];
    calls(depth); /* warm up: PLT binding, ring buffers claimed, pages touched */
    for (int b = 0; b < nb; b++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        calls(depth);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        r[b] = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / batch;
    }
    qsort(r, nb, sizeof r[0], cmp);
    printf("%.1f\n", r[nb / 2]);
    return 0;
}
C
$cc -O2 -shared -fPIC -o "$tmp/libptbench.so" "$tmp/lib.c"
$cc -O2 -fno-omit-frame-pointer -o "$tmp/drv" "$tmp/drv.c" -L"$tmp" -lptbench -Wl,-rpath,"$tmp"

drv() { "$tmp/drv" "$@"; }
traced() { # traced BATCH NBATCH DEPTH STACKS: the shim as a flight recorder, every event written
    mkdir -p "$tmp/trace"
    LD_PRELOAD=$shim PROFTRACE_DIR=$tmp/trace PROFTRACE_OVERWRITE=1 PROFTRACE_STACKS=$4 \
        "$tmp/drv" "$1" "$2" "$3"
    rm -rf "$tmp/trace"
}

# The variants alternate, ROUNDS times, and each reports the median of its rounds: a machine busy
# with something else for a while then weighs on every variant alike.
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rounds=${ROUNDS:-3}
: >"$tmp/r.base"; : >"$tmp/r.base10"; : >"$tmp/r.inert"; : >"$tmp/r.str"; : >"$tmp/r.stack"
for _ in $(seq "$rounds"); do
    drv 200000 31 1 >>"$tmp/r.base"
    traced 200000 31 1 none >>"$tmp/r.str"
    drv 200000 31 10 >>"$tmp/r.base10"
    traced 100000 31 10 all >>"$tmp/r.stack"
    LD_PRELOAD=$shim "$tmp/drv" 200000 31 1 >>"$tmp/r.inert"
done
base=$(med <"$tmp/r.base") base10=$(med <"$tmp/r.base10") inert=$(med <"$tmp/r.inert")
shim_str=$(med <"$tmp/r.str") shim_stack=$(med <"$tmp/r.stack")
uft="n/a"
if command -v uftrace >/dev/null; then
    # Library calls through the PLT, with the string argument; the driver is not instrumented.
    : >"$tmp/r.uft"
    for _ in $(seq "$rounds"); do
        (cd "$tmp" && uftrace record --force -d "$tmp/uftrace.data" -A 'RegQueryValueExA@arg2/s' \
            "$tmp/drv" 20000 11 1 2>/dev/null | tail -1) >>"$tmp/r.uft" || true
        rm -rf "$tmp/uftrace.data"
    done
    [ -s "$tmp/r.uft" ] && uft=$(med <"$tmp/r.uft")
fi
lt="n/a"
if command -v ltrace >/dev/null; then
    lt=$(ltrace -o /dev/null -e RegQueryValueExA "$tmp/drv" 200 5 1 2>/dev/null | tail -1) || lt="n/a"
fi

add() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a") print "n/a"; else printf "%.1f", a - b }'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b <= 0) print "n/a"; else printf "%.1fx", a / b }'; }
shim_add=$(add "$shim_str" "$base")
stack_add=$(add "$shim_stack" "$base10")
uft_add=$(add "$uft" "$base")
lt_add=$(add "$lt" "$base")
printf "$ROW" "shim: added per intercepted call, string arg, no stack" "$shim_add" "ns/call" "" \
    "RegQueryValueExA of a trivial library: $base ns untraced, $shim_str ns traced (median of $rounds alternated runs of 31 batches, flight-recorder ring, every event written)"
printf "$ROW" "shim: added per call with a 10-frame stack" "$stack_add" "ns/call" "" \
    "$base10 ns untraced, $shim_stack ns traced with PROFTRACE_STACKS=all"
printf "$ROW" "shim: added when loaded but inert (no PROFTRACE_DIR)" "$(add "$inert" "$base")" \
    "ns/call" "" "$inert ns per call"
printf "$ROW" "shim: uftrace with the string argument, same call" "$uft_add" "ns/call" \
    "$(times "$uft_add" "$shim_add")" \
    "added; ratio: to the shim's added cost (uftrace record --force -A RegQueryValueExA@arg2/s)"
printf "$ROW" "shim: ltrace, same call" "$lt_add" "ns/call" "$(times "$lt_add" "$shim_add")" \
    "added; ratio: to the shim's added cost (ltrace -e RegQueryValueExA)"
