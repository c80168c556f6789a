#!/usr/bin/env bash
# hooks.bench.sh — what an inline-hooked traced call costs against an interposed traced call, in
# the same run: the same trivial RegQueryValueExA (one compare, a string argument), called
#  - from a driver linked to it as a shared library: the shim interposes it (PLT -> wrapper);
#  - from a driver with it linked in statically: the shim hooks its entry inline (jmp -> the same
#    wrapper -> trampoline -> rest of the function);
# each untraced and traced (flight-recorder ring, every event written, no stack). Also: a static
# function hooked by PROFTRACE_HOOKS (register-preserving stub, an entry and an exit event).
# Rows in bench/run's format (BENCH_ROW: figure, value, unit, ratio, note); the variants alternate
# ROUNDS times and each figure is the median of its rounds.
# Usage: hooks.bench.sh [BUILD_DIR]   (default: $BENCH_BUILD, else build/ of this repository)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BENCH_BUILD:-$here/../build}}
shim=$build/lib/libproftrace.so
[ -f "$shim" ] || { echo "hooks.bench.sh: $shim not built" >&2; exit 2; }
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
tmp=${BENCH_OUT:-}
[ -n "$tmp" ] || { tmp=$(mktemp -d /tmp/pt-bench-hooks.XXXXXX); trap 'rm -rf "$tmp"' EXIT; }
cc=${CC:-cc}

cat >"$tmp/lib.c" <<'C'
/* The cheapest RegQueryValueExA there can be: one compare, no I/O. */
typedef unsigned int DWORD;
typedef struct HKEY__ *HKEY;
__attribute__((visibility("default"))) int RegQueryValueExA(HKEY k, const char *name, DWORD *res,
        DWORD *type, unsigned char *data, DWORD *cb)
{
    if (!name)
        return 87;
    return name[0] == 0 ? 2 : 0;
}
C
cat >"$tmp/drv.c" <<'C'
/* Times batches of calls; prints the median ns per call. `reg`: RegQueryValueExA; `static`: a
 * static function of this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
typedef unsigned int DWORD;
typedef struct HKEY__ *HKEY;
int RegQueryValueExA(HKEY, const char *, DWORD *, DWORD *, unsigned char *, DWORD *);
static volatile int vs;
__attribute__((noinline)) static int local_fn(int a, const char *s)
{
    if (!s)
        return -1;
    vs = a;
    return s[0] + a;
}
static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
int main(int argc, char **argv)
{
    long batch = atol(argv[2]);
    int nb = atoi(argv[3]), st = !strcmp(argv[1], "static");
    double r[1000];
    int s = 0;
    for (int b = -1; b < nb; b++) { /* b = -1: warm-up */
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (long i = 0; i < batch; i++)
            s += st ? local_fn((int)i, argv[1]) /* not a constant: no .constprop clone */
                    : RegQueryValueExA((HKEY)0x80000001, "001e6614", NULL, NULL, NULL, NULL);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (b >= 0)
            r[b] = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / batch;
    }
    qsort(r, nb, sizeof r[0], cmp);
    printf("%.1f\n", r[nb / 2]);
    return s == 42; /* keep s alive */
}
C
$cc -O2 -shared -fPIC -o "$tmp/libreg.so" "$tmp/lib.c"
$cc -O2 -o "$tmp/drv-dyn" "$tmp/drv.c" -L"$tmp" -lreg -Wl,-rpath,"$tmp"
$cc -O2 -o "$tmp/drv-static" "$tmp/drv.c" "$tmp/lib.c"

traced() { # traced PROG ARGS...: the shim as a flight recorder, every event written
    rm -rf "$tmp/trace"
    mkdir -p "$tmp/trace"
    LD_PRELOAD=$shim PROFTRACE_DIR=$tmp/trace PROFTRACE_OVERWRITE=1 PROFTRACE_STACKS=none "$@"
    rm -rf "$tmp/trace"
}
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rounds=${ROUNDS:-3}
for f in dyn dyn_t st st_t loc loc_t; do : >"$tmp/r.$f"; done
for _ in $(seq "$rounds"); do
    "$tmp/drv-dyn" reg 200000 21 >>"$tmp/r.dyn"
    traced "$tmp/drv-dyn" reg 200000 21 >>"$tmp/r.dyn_t"
    "$tmp/drv-static" reg 200000 21 >>"$tmp/r.st"
    traced "$tmp/drv-static" reg 200000 21 >>"$tmp/r.st_t"
    "$tmp/drv-static" static 200000 21 >>"$tmp/r.loc"
    PROFTRACE_HOOKS=drv-static:local_fn traced "$tmp/drv-static" static 100000 21 >>"$tmp/r.loc_t"
done
# the static driver really was hooked (and the dynamic one not): count the events of one run
mkdir -p "$tmp/chk"
LD_PRELOAD=$shim PROFTRACE_DIR=$tmp/chk "$tmp/drv-static" reg 1000 1 >/dev/null
n_ev=$("$build/bin/proftrace" events --kind RegQueryValueExA --count "$tmp/chk" 2>/dev/null || echo "?")
rm -rf "$tmp/chk"

dyn=$(med <"$tmp/r.dyn") dyn_t=$(med <"$tmp/r.dyn_t") st=$(med <"$tmp/r.st") st_t=$(med <"$tmp/r.st_t")
loc=$(med <"$tmp/r.loc") loc_t=$(med <"$tmp/r.loc_t")
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
rat() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }
add_i=$(sub "$dyn_t" "$dyn") add_h=$(sub "$st_t" "$st")
printf "$ROW" "hooks: interposed traced call, added" "$add_i" "ns/call" "$(rat "$dyn_t" "$dyn")" \
    "RegQueryValueExA via PLT: $dyn ns untraced, $dyn_t ns traced (median of $rounds alternated runs)"
printf "$ROW" "hooks: inline-hooked traced call, added" "$add_h" "ns/call" "$(rat "$st_t" "$st")" \
    "same function linked statically: $st ns untraced, $st_t ns traced ($n_ev of 2000 calls recorded in a check run)"
printf "$ROW" "hooks: inline-hooked minus interposed" "$(sub "$add_h" "$add_i")" "ns/call" \
    "$(rat "$add_h" "$add_i")" "extra cost of the entry jump + trampoline over the PLT path"
printf "$ROW" "hooks: PROFTRACE_HOOKS static fn, added" "$(sub "$loc_t" "$loc")" "ns/call" \
    "$(rat "$loc_t" "$loc")" "register-preserving stub (xsave), entry + exit events: $loc ns untraced, $loc_t ns hooked"
