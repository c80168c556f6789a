#!/usr/bin/env bash
# analyzer.bench.sh — analyser throughput (events/s on one core, 10 M synthetic events) and peak
# RSS for 1 M and 10 M events. The events are decoded events fed to the model directly by
# pt_analyzer_bench (analyzer/bench_main.c): reading and decoding trace files is measured by the
# tracer's rows. Then `proftrace report` as a user runs it: on a real trace of 1 M events with 100
# findings, each with the stack of its delete (bench/report_load.c under `proftrace record`),
# CPU and wall time with symbolized stacks and with --no-symbols (what symbolizing costs). Run by
# bench/run (rows in its $BENCH_ROW format, Release build in $BENCH_BUILD); also runs on its own
# against build/ (BENCH_BUILD=DIR measures another build, e.g. an older one, on the same trace
# when BENCH_REPORT_TRACE names it).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-${PT_BUILD_DIR:-$root/build}}
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
b=$build/bench/pt_analyzer_bench
if [ ! -x "$b" ]; then
    printf "$ROW" "analyzer: events analysed per second, one core" "-" "events/s" "" \
        "not run: $b not built"
    exit 0
fi
field() { sed -E "s/.*\b$1 ([0-9.]+).*/\1/" <<<"$2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
mps() { awk -v e="$1" 'BEGIN { printf "%.1fM", e / 1e6 }'; }

pin=() # one core: pinned when taskset exists (CPU time is what is measured either way)
command -v taskset >/dev/null && pin=(taskset -c 0)

r1=$("${pin[@]}" "$b" 1000000 2000)
r10=$("${pin[@]}" "$b" 10000000 2000)
r10few=$("${pin[@]}" "$b" 10000000 200000)
printf "$ROW" "analyzer: events analysed/s, 1 core, 10 M events" "$(mps "$(field events_per_s "$r10")")" \
    "events/s" "" "synthetic, fed to the model (no decoding); $(field processes "$r10") processes, $(field findings "$r10") findings"
printf "$ROW" "analyzer: peak RSS, 1 M events" "$(mib "$(field peak_rss_kib "$r1")")" "MiB" "" \
    "$(field processes "$r1") processes (clients of ~2000 events + 16 services)"
printf "$ROW" "analyzer: peak RSS, 10 M events" "$(mib "$(field peak_rss_kib "$r10")")" "MiB" "" \
    "$(field processes "$r10") processes: ~1.6 KiB kept per ended process"
printf "$ROW" "analyzer: peak RSS, 10 M events, 66 processes" "$(mib "$(field peak_rss_kib "$r10few")")" \
    "MiB" "" "flat in events: memory follows live state and process count"

# --- `proftrace report` on a recorded trace: 1 M events, 100 stacks to symbolize
pt=$build/bin/proftrace
if [ ! -x "$pt" ] || [ ! -f "$build/lib/libwinsim.so" ]; then
    printf "$ROW" "report: 1 M events, 100 stacks, CPU" "-" "s" "" "not run: $pt not built"
    exit 0
fi
out=${BENCH_OUT:-}
own_out=""
if [ -z "$out" ]; then
    out=$(mktemp -d "${TMPDIR:-/tmp}/pt-bench-report.XXXXXX")
    own_out=$out
fi
trap '[ -z "$own_out" ] || rm -rf "$own_out"' EXIT
trace=${BENCH_REPORT_TRACE:-$out/report.trace}
load=$trace.bin/report_load # the traced program stays beside its trace: the report reads it
if [ ! -f "$trace/metadata" ]; then
    mkdir -p "$trace.bin" "$out/hive"
    ${CC:-cc} -O2 -g -I"$root/samples/include" "$root/bench/report_load.c" -L"$build/lib" -lwinsim \
        -Wl,-rpath,"$build/lib" -o "$load"
    # ~2 events per registry read (the read and the file it opens)
    WINSIM_HIVE_ROOT=$out/hive PROFTRACE_STACKS=delete "$pt" record -o "$trace" -- \
        "$load" "/ptbench-report-$$" 500000 100 >"$out/record.log" 2>&1 ||
        { printf "$ROW" "report: 1 M events, 100 stacks, CPU" "-" "s" "" "not run: recording failed"; exit 0; }
fi
# median CPU (user+sys) and wall seconds of 5 runs of `proftrace report ARGS TRACE`
timed() {
    python3 - "$pt" "$trace" "$@" <<'PY'
import os, resource, statistics, subprocess, sys, time
pt, trace, args = sys.argv[1], sys.argv[2], sys.argv[3:]
cpu, wall = [], []
for _ in range(5):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run([pt, "report", *args, trace], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall.append(time.monotonic() - t)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
print("%.3f %.3f" % (statistics.median(cpu), statistics.median(wall)))
PY
}
read -r sym_cpu sym_wall < <(timed)
read -r raw_cpu raw_wall < <(timed --no-symbols --no-disasm)
read -r events findings < <("$pt" report --json --no-symbols "$trace" 2>/dev/null |
    python3 -c 'import json, sys; s = json.load(sys.stdin)["summary"]; print(s["events"], s["findings"])' ||
    echo "? ?")
printf "$ROW" "report: 1 M events, 100 stacks, CPU" "$sym_cpu" "s" \
    "$(awk -v a="$sym_cpu" -v b="$raw_cpu" 'BEGIN { if (b > 0) printf "%.2fx", a / b }')" \
    "symbolized + disassembly; ratio to --no-symbols ($raw_cpu s); $events events, $findings findings"
printf "$ROW" "report: 1 M events, 100 stacks, wall" "$sym_wall" "s" \
    "$(awk -v a="$sym_wall" -v b="$raw_wall" 'BEGIN { if (b > 0) printf "%.2fx", a / b }')" \
    "median of 5; --no-symbols $raw_wall s"
