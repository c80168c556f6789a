#!/usr/bin/env bash
# shim.bench.sh — what the shim adds to a traced program, measured as users run it: `proftrace
# record` in its default mode, the trace directory on the ordinary disk (not tmpfs), against an
# untraced run and against uftrace (with the string argument) and ltrace on the same call, in one
# run.
#
# The call is RegQueryValueExA of a tiny library built here (it returns at once), so nothing hides
# the tracing cost; it takes a string argument like the real one. Rows (bench/run's format:
# figure, value, unit, ratio, note):
#   * a 1 M-call burst: ns added per call over the whole burst, draining included: the burst as
#     the program times it, plus the tail from its last call to the end of `record` (less that
#     tail around no calls: record's own ending), per call, less the untraced call (median of the
#     rounds); the events lost; the program's CPU time per call;
#   * the collector's drain rate during that burst: events per CPU-second of `record` itself (its
#     CPU around no calls taken off);
#   * the same burst in flight-recorder mode (--overwrite), and its cost relative to the default;
#   * the same burst with the collector and the program on two different CPUs (taskset: not a
#     default; it shows what the collector's draining costs a program whose CPU it shares);
#   * a steady stream of 1 M calls/s for 60 s (BENCH_STREAM_S to shorten it): events lost;
#   * a 10-frame stack on every call; the shim loaded but inert;
#   * the peers on the same call: uftrace with the argument, ltrace.
# Usage: shim.bench.sh [BUILD_DIR]   (default: $BENCH_BUILD, $PT_BUILD_DIR, else build/ here)
# Environment: BENCH_DISK (a directory on the ordinary disk; default BUILD_DIR/bench-disk),
# BENCH_BURST_N (1000000), BENCH_STREAM_S (60), ROUNDS (3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BENCH_BUILD:-${PT_BUILD_DIR:-$here/../build}}}
shim=$build/lib/libproftrace.so
pt=$build/bin/proftrace
[ -f "$shim" ] && [ -x "$pt" ] || { echo "shim.bench.sh: $shim or $pt not built" >&2; exit 2; }
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
N=${BENCH_BURST_N:-1000000}
STREAM_S=${BENCH_STREAM_S:-60}
rounds=${ROUNDS:-3}
tmp=$(mktemp -d /tmp/pt-bench-shim.XXXXXX)
disk=${BENCH_DISK:-$build/bench-disk}
mkdir -p "$disk"
disk=$(mktemp -d "$disk/shim.XXXXXX")
trap 'rm -rf "$tmp" "$disk"' EXIT
fstype=$(df --output=fstype "$disk" | tail -1)
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
/* Calls RegQueryValueExA `depth` frames below main:
 *   drv batch B NB DEPTH   NB batches of B calls; prints the median ns per call of a batch
 *   drv burst N DEPTH [MS] one burst of N calls (after a pause of MS ms); prints ns per call
 *                          (wall clock, CPU time), CLOCK_REALTIME ns at its end and the
 *                          process's CPU ns so far
 *   drv stream RATE SECS   RATE calls per second (a slice every ms) for SECS; prints the calls */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
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
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}
static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double cpu(void) /* user + system ns of this process */
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 +
           (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3;
}
int main(int argc, char **argv)
{
    if (argc > 3 && !strcmp(argv[1], "stream")) {
        long rate = atol(argv[2]), secs = atol(argv[3]), per = rate / 1000, n = 0;
        struct timespec next;
        clock_gettime(CLOCK_MONOTONIC, &next);
        batch = per;
        for (long ms = 0; ms < secs * 1000; ms++) {
            calls(1);
            n += per;
            next.tv_nsec += 1000000;
            if (next.tv_nsec >= 1000000000) {
                next.tv_nsec -= 1000000000;
                next.tv_sec++;
            }
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        }
        printf("%ld\n", n);
        return 0;
    }
    if (argc > 3 && !strcmp(argv[1], "burst")) {
        batch = atol(argv[2]);
        if (argc > 4) { /* a pause first: `record` has set up around the process by then */
            struct timespec p = {atol(argv[4]) / 1000, atol(argv[4]) % 1000 * 1000000};
            nanosleep(&p, NULL);
        }
        double t0 = now(), c0 = cpu();
        calls(atoi(argv[3]));
        double t1 = now(), c1 = cpu();
        struct timespec rt;
        clock_gettime(CLOCK_REALTIME, &rt);
        printf("%.1f %.1f %lld %.0f\n", batch ? (t1 - t0) / batch : 0,
               batch ? (c1 - c0) / batch : 0, (long long)rt.tv_sec * 1000000000ll + rt.tv_nsec,
               cpu());
        return 0;
    }
    batch = atol(argv[2]);
    int nb = atoi(argv[3]), depth = atoi(argv[4]);
    double r[1000];
    calls(depth); /* warm up: PLT binding, ring buffers claimed, pages touched */
    for (int b = 0; b < nb; b++) {
        double t0 = now();
        calls(depth);
        r[b] = (now() - t0) / batch;
    }
    qsort(r, nb, sizeof r[0], cmp);
    printf("%.1f\n", r[nb / 2]);
    return 0;
}
C
cat >"$tmp/cpuof.c" <<'C'
/* cpuof FILE CMD [ARG...]: runs CMD and writes to FILE the CPU ns (user + system) of CMD and of
 * every descendant it waited for: `record` and the program it ran. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
    pid_t p = fork();
    if (p == 0) {
        execvp(argv[2], argv + 2);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    struct rusage u;
    getrusage(RUSAGE_CHILDREN, &u);
    FILE *f = fopen(argv[1], "w");
    fprintf(f, "%.0f\n", (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 +
                             (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3);
    fclose(f);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
C
$cc -O2 -o "$tmp/cpuof" "$tmp/cpuof.c"
$cc -O2 -shared -fPIC -o "$tmp/libptbench.so" "$tmp/lib.c"
$cc -O2 -fno-omit-frame-pointer -o "$tmp/drv" "$tmp/drv.c" -L"$tmp" -lptbench -Wl,-rpath,"$tmp"

ns() { date +%s%N; }
med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# record_burst FILE N DEPTH [record options]: one `record` around a burst of N calls on the disk,
# after a 100 ms pause of the program, so that `record` has attached it (its witness watches the
# program's file systems) in the run without calls too: both then end the same way, and only the
# calls and their draining differ between the two;
# appends "tail_ns program_ns_per_call lost overwritten program_cpu_ns_per_call collector_cpu_ns" to
# FILE, tail_ns being the time from the program's last call to the end of `record` (the drain left
# to do), collector_cpu_ns the CPU time of `record` itself (the collector, and its fixed costs)
record_burst() {
    local out=$1 n=$2 depth=$3
    shift 3
    rm -rf "$disk/t"
    local t1 per cpu end
    "$tmp/cpuof" "$tmp/rec.cpu" ${pin_rec[@]+"${pin_rec[@]}"} "$pt" record -o "$disk/t" "$@" -- \
        ${pin_prog[@]+"${pin_prog[@]}"} "$tmp/drv" burst "$n" "$depth" 100 >"$tmp/rec.out" \
        2>"$tmp/rec.err"
    t1=$(ns)
    read -r per cpu end prog <"$tmp/rec.out"
    local s lost ow
    s=$(grep '^proftrace: [0-9]* processes' "$tmp/rec.err")
    lost=$(echo "$s" | sed -n 's/.* events, \([0-9]*\) lost.*/\1/p')
    ow=$(echo "$s" | sed -n 's/.* \([0-9]*\) overwritten.*/\1/p')
    echo "$((t1 - end)) $per ${lost:-?} ${ow:-0} $cpu $(($(cat "$tmp/rec.cpu") - prog))" >>"$out"
}
plain_burst() { # plain_burst FILE N DEPTH: the untraced burst's ns per call
    "$tmp/drv" burst "$2" "$3" | awk '{ print $1 }' >>"$1"
}
col() { awk -v c="$1" '{ print $c }'; }
# added NS_PER_CALL TAIL TAIL0 UNTRACED N: ns added per call over the whole burst, draining included
added() {
    awk -v p="$1" -v t="$2" -v t0="$3" -v u="$4" -v n="$5" \
        'BEGIN { printf "%.1f", p + (t - t0) / n - u }'
}

# The variants alternate, ROUNDS times, each reporting the median of its rounds: a machine busy
# with something else for a while then weighs on every variant alike.
: >"$tmp/r.plain"; : >"$tmp/r.def"; : >"$tmp/r.def0"; : >"$tmp/r.fr"
: >"$tmp/r.stack"; : >"$tmp/r.plain10"; : >"$tmp/r.base"; : >"$tmp/r.inert"; : >"$tmp/r.pin"
# Not a default: the collector on one CPU and the program on another (taskset), to show what the
# collector's draining costs the program when the scheduler runs both on the same CPU.
pin_cpus=""
if command -v taskset >/dev/null; then
    pin_cpus=$(taskset -cp $$ | sed 's/.*: //' | tr ',' '\n' |
        awk -F- '{ for (c = $1; c <= ($2 == "" ? $1 : $2); c++) print c }' | head -2 | tr '\n' ' ')
    pin_cpus=${pin_cpus% }
    [[ "$pin_cpus" == *" "* ]] || pin_cpus=""
fi
for _ in $(seq "$rounds"); do
    plain_burst "$tmp/r.plain" "$N" 1
    record_burst "$tmp/r.def" "$N" 1
    record_burst "$tmp/r.def0" 0 1
    record_burst "$tmp/r.fr" "$N" 1 --overwrite
    if [ -n "$pin_cpus" ]; then
        pin_rec=(taskset -c "${pin_cpus#* }") pin_prog=(taskset -c "${pin_cpus% *}")
        record_burst "$tmp/r.pin" "$N" 1
        unset pin_rec pin_prog
    fi
    plain_burst "$tmp/r.plain10" $((N / 5)) 10
    PROFTRACE_STACKS=all record_burst "$tmp/r.stack" $((N / 5)) 10
    "$tmp/drv" batch 200000 31 1 >>"$tmp/r.base"
    LD_PRELOAD=$shim "$tmp/drv" batch 200000 31 1 >>"$tmp/r.inert"
done
plain=$(med <"$tmp/r.plain") plain10=$(med <"$tmp/r.plain10")
def=$(col 1 <"$tmp/r.def" | med) def0=$(col 1 <"$tmp/r.def0" | med)
fr=$(col 1 <"$tmp/r.fr" | med) stack=$(col 1 <"$tmp/r.stack" | med)
def_prog=$(col 2 <"$tmp/r.def" | med) fr_prog=$(col 2 <"$tmp/r.fr" | med)
stack_prog=$(col 2 <"$tmp/r.stack" | med)
def_cpu=$(col 5 <"$tmp/r.def" | med) fr_cpu=$(col 5 <"$tmp/r.fr" | med)
def_lost=$(col 3 <"$tmp/r.def" | tr '\n' ' ') stack_lost=$(col 3 <"$tmp/r.stack" | tr '\n' ' ')
fr_ow=$(col 4 <"$tmp/r.fr" | tr '\n' ' ')
base=$(med <"$tmp/r.base") inert=$(med <"$tmp/r.inert")
def_add=$(added "$def_prog" "$def" "$def0" "$plain" "$N")
# The collector: record's own CPU for the burst less its CPU around no calls, per event drained.
col_cpu=$(col 6 <"$tmp/r.def" | med) col0_cpu=$(col 6 <"$tmp/r.def0" | med)
col_rate=$(awk -v c="$col_cpu" -v c0="$col0_cpu" -v n="$N" \
    'BEGIN { if (c > c0) printf "%.1f", n / ((c - c0) / 1e9) / 1e6; else print "n/a" }')
fr_add=$(added "$fr_prog" "$fr" "$def0" "$plain" "$N")
if [ -s "$tmp/r.pin" ]; then
    pin=$(col 1 <"$tmp/r.pin" | med) pin_prog=$(col 2 <"$tmp/r.pin" | med)
    pin_cpu=$(col 5 <"$tmp/r.pin" | med) pin_lost=$(col 3 <"$tmp/r.pin" | tr '\n' ' ')
    pin_add=$(added "$pin_prog" "$pin" "$def0" "$plain" "$N")
fi
stack_add=$(added "$stack_prog" "$stack" "$def0" "$plain10" $((N / 5)))

# A steady stream: 1 M calls per second for STREAM_S seconds.
rm -rf "$disk/s"
"$pt" record -o "$disk/s" -- "$tmp/drv" stream 1000000 "$STREAM_S" >/dev/null 2>"$tmp/stream.err"
stream=$(grep '^proftrace: [0-9]* processes' "$tmp/stream.err" |
    sed -n 's/.* \([0-9]*\) events, \([0-9]*\) lost.*/\1 \2/p')
read -r stream_ev stream_lost <<<"${stream:-? ?}"

uft="n/a"
if command -v uftrace >/dev/null; then
    # Library calls through the PLT, with the string argument; the driver is not instrumented.
    : >"$tmp/r.uft"
    for _ in $(seq "$rounds"); do
        (cd "$tmp" && uftrace record --force -d "$tmp/uftrace.data" -A 'RegQueryValueExA@arg2/s' \
            "$tmp/drv" batch 20000 11 1 2>/dev/null | tail -1) >>"$tmp/r.uft" || true
        rm -rf "$tmp/uftrace.data"
    done
    [ -s "$tmp/r.uft" ] && uft=$(med <"$tmp/r.uft")
fi
lt="n/a"
if command -v ltrace >/dev/null; then
    lt=$(ltrace -o /dev/null -e RegQueryValueExA "$tmp/drv" batch 200 5 1 2>/dev/null | tail -1) ||
        lt="n/a"
fi

add() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a") print "n/a"; else printf "%.1f", a - b }'; }
times() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b <= 0) print "n/a"; else printf "%.2fx", a / b }'; }
uft_add=$(add "$uft" "$base")
lt_add=$(add "$lt" "$base")
printf "$ROW" "shim: added per call, default mode, 1 M-call burst" "$def_add" "ns/call" "" \
    "record on $fstype (not tmpfs), whole burst with draining, median of $rounds; lost per round: $def_lost; the program sees $def_prog ns/call, $def_cpu ns of CPU (untraced $plain); drain tail $(awk -v t="$def" -v t0="$def0" 'BEGIN { printf "%.1f", (t - t0) / 1e6 }') ms"
printf "$ROW" "shim: collector drain rate during that burst" "$col_rate" "M ev/CPU-s" "" \
    "events drained per CPU-second of \`record\` (the collector): $(awk -v c="$col_cpu" -v c0="$col0_cpu" -v n="$N" 'BEGIN { printf "%.1f", (c - c0) / n }') ns of its CPU per event, on $fstype; goal >= 60"
printf "$ROW" "shim: the same burst, flight recorder (--overwrite)" "$fr_add" "ns/call" \
    "$(times "$fr_add" "$def_add")" \
    "ratio: to the default mode ($(times "$fr_cpu" "$def_cpu") in the program's CPU time); overwritten per round: $fr_ow; the program sees $fr_prog ns/call, $fr_cpu ns of CPU"
[ -s "$tmp/r.pin" ] && printf "$ROW" "shim: the same burst, collector on another CPU (taskset)" \
    "$pin_add" "ns/call" "$(times "$pin_add" "$def_add")" \
    "not a default: record on CPU ${pin_cpus#* }, the program on CPU ${pin_cpus% *}; ratio: to the default mode; lost per round: $pin_lost; the program sees $pin_prog ns/call, $pin_cpu ns of CPU"
printf "$ROW" "shim: 1 M calls/s for ${STREAM_S} s, default mode" "$stream_lost" "lost" "" \
    "of $stream_ev events recorded + lost; record on $fstype"
printf "$ROW" "shim: added per call with a 10-frame stack" "$stack_add" "ns/call" "" \
    "default mode, PROFTRACE_STACKS=all, $((N / 5))-call burst, on $fstype; lost per round: $stack_lost"
printf "$ROW" "shim: added when loaded but inert (no PROFTRACE_DIR)" "$(add "$inert" "$base")" \
    "ns/call" "" "$inert ns per call, $base untraced"
printf "$ROW" "shim: uftrace with the string argument, same call" "$uft_add" "ns/call" \
    "$(times "$uft_add" "$def_add")" \
    "added; ratio: to the shim's default mode (uftrace record --force -A RegQueryValueExA@arg2/s)"
printf "$ROW" "shim: ltrace, same call" "$lt_add" "ns/call" "$(times "$lt_add" "$def_add")" \
    "added; ratio: to the shim's default mode (ltrace -e RegQueryValueExA)"
