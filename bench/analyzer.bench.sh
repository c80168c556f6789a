#!/usr/bin/env bash
# analyzer.bench.sh — analyser throughput on one core: `proftrace report` end to end on a recorded
# trace of 1.2 M events (reading, decoding, the model, the detectors, the report), its ratio to the
# goal of 30 M events/s (PT_ANALYZER_GOAL, events/s; >= 1.00x meets it), then the model
# alone on 10 M synthetic events (pt_analyzer_bench, analyzer/bench_main.c: decoded events fed to
# the model directly) and its peak RSS for 1 M and 10 M events, then what symbolizing costs.
# The recorded trace: bench/analyzer_workload.c (a MAPI service's loop on the sample library:
# OpenMsgStore, a registry read, a POSIX shm object created, mapped and unlinked) under
# `proftrace record`, in a private hive. report's CPU time (user + sys, best of 5, pinned to one
# core when taskset exists) is what is measured; the trace is read from the page cache.
# PT_ANALYZER_BENCH_TRACE=DIR keeps that trace in DIR (recorded there when DIR does not exist, read
# as it is when it does), so that builds before and after a change are measured on one trace.
# Symbolizing: `proftrace report` on a real trace of 1 M events with 100 findings, each with the
# stack of its delete (bench/report_load.c under `proftrace record`), CPU and wall time with
# symbolized stacks and with --no-symbols.
# Run by bench/run (rows in its $BENCH_ROW format, Release build in $BENCH_BUILD); also runs on its
# own against build/ (BENCH_BUILD=DIR measures another build, e.g. an older one, on the same trace
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

# ---- report end to end on a recorded trace ----
pt=$build/bin/proftrace
tmp=$(mktemp -d "${BENCH_OUT:-${TMPDIR:-/tmp}}/pt-analyzer-bench.XXXXXX")
# the sample library's in-use objects of the workload's namespace go too
trap 'rm -rf "$tmp"; rm -f /dev/shm/winsim.ptbench$$.*' EXIT
rounds=${PT_ANALYZER_BENCH_ROUNDS:-100000} # about 12 events each
goal=${PT_ANALYZER_GOAL:-30000000}
wtrace=${PT_ANALYZER_BENCH_TRACE:-$tmp/trace}
ready=0
if [ -d "$wtrace" ]; then
    ready=1 # recorded before: measured as it is
elif ! ${CC:-cc} -O2 -I"$root/samples/include" "$root/bench/analyzer_workload.c" -L"$build/lib" \
    -lmapisim -lwinsim -Wl,-rpath,"$build/lib" -o "$tmp/workload" 2>"$tmp/cc.err"; then
    printf "$ROW" "analyzer: report end to end, 1 core, recorded trace" "-" "events/s" "" \
        "not run: cannot build bench/analyzer_workload.c: $(head -1 "$tmp/cc.err")"
elif ! mkdir "$tmp/hives" || ! WINSIM_HIVE_ROOT=$tmp/hives WINSIM_NAMESPACE=ptbench$$ \
    "$pt" record -o "$wtrace" -- "$tmp/workload" "$rounds" >"$tmp/record.log" 2>&1; then
    printf "$ROW" "analyzer: report end to end, 1 core, recorded trace" "-" "events/s" "" \
        "not run: recording failed: $(tail -1 "$tmp/record.log")"
else
    ready=1
fi
if [ "$ready" = 1 ]; then
    best=
    TIMEFORMAT='%U %S'
    for _ in 1 2 3 4 5; do
        cpu=$( { time "${pin[@]}" "$pt" report "$wtrace" >"$tmp/report.txt" 2>&1 || true; } 2>&1 | tail -1)
        cpu=$(awk '{ printf "%.4f", $1 + $2 }' <<<"$cpu")
        if [ -z "$best" ] || awk -v a="$cpu" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$cpu; fi
    done
    events=$(sed -nE 's/^summary: .* ([0-9]+) events, ([0-9]+) lost.*/\1/p' "$tmp/report.txt")
    lost=$(sed -nE 's/^summary: .* ([0-9]+) events, ([0-9]+) lost.*/\2/p' "$tmp/report.txt")
    size=$(du -sm "$wtrace" | cut -f1)
    printf "$ROW" "analyzer: report end to end, 1 core, recorded trace" \
        "$(awk -v e="$events" -v s="$best" 'BEGIN { printf "%.1fM", (s > 0 ? e / s / 1e6 : 0) }')" \
        "events/s" "$(awk -v e="$events" -v s="$best" -v g="$goal" \
            'BEGIN { if (s > 0) printf "%.2fx", e / s / g }')" \
        "of the goal ($(mps "$goal")); $events events ($lost lost, $size MiB) in $best s CPU: read, decoded, modelled, reported"
fi

r1=$("${pin[@]}" "$b" 1000000 2000)
r10=$("${pin[@]}" "$b" 10000000 2000)
r10few=$("${pin[@]}" "$b" 10000000 200000)
printf "$ROW" "analyzer: model alone, events/s, 1 core, 10 M events" "$(mps "$(field events_per_s "$r10")")" \
    "events/s" "" "model only: synthetic, fed to the model (no reading, no decoding); $(field processes "$r10") processes, $(field findings "$r10") findings"
printf "$ROW" "analyzer: peak RSS, 1 M events" "$(mib "$(field peak_rss_kib "$r1")")" "MiB" "" \
    "$(field processes "$r1") processes (clients of ~2000 events + 16 services)"
printf "$ROW" "analyzer: peak RSS, 10 M events" "$(mib "$(field peak_rss_kib "$r10")")" "MiB" "" \
    "$(field processes "$r10") processes: ~1.6 KiB kept per ended process"
printf "$ROW" "analyzer: peak RSS, 10 M events, 66 processes" "$(mib "$(field peak_rss_kib "$r10few")")" \
    "MiB" "" "flat in events: memory follows live state and process count"

# --- `proftrace report` on a recorded trace: 1 M events, 100 stacks to symbolize
if [ ! -x "$pt" ] || [ ! -f "$build/lib/libwinsim.so" ]; then
    printf "$ROW" "report: 1 M events, 100 stacks, CPU" "-" "s" "" "not run: $pt not built"
    exit 0
fi
out=${BENCH_OUT:-$tmp} # without BENCH_OUT, the trace goes with $tmp at exit
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
