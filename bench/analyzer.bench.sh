#!/usr/bin/env bash
# analyzer.bench.sh — analyser throughput on one core: `proftrace report` end to end on a recorded
# trace of 1.2 M events (reading, decoding, the model, the detectors, the report), then the model
# alone on 10 M synthetic events (pt_analyzer_bench, analyzer/bench_main.c: decoded events fed to
# the model directly) and its peak RSS for 1 M and 10 M events.
# The recorded trace: bench/analyzer_workload.c (a MAPI service's loop on the sample library:
# OpenMsgStore, a registry read, a POSIX shm object created, mapped and unlinked) under
# `proftrace record`, in a private hive. report's CPU time (user + sys, best of 5, pinned to one
# core when taskset exists) is what is measured; the trace is read from the page cache.
# Run by bench/run (rows in its $BENCH_ROW format, Release build in $BENCH_BUILD); also runs on its
# own against build/.
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
trap 'rm -rf "$tmp"' EXIT
rounds=${PT_ANALYZER_BENCH_ROUNDS:-100000} # about 12 events each
if ! ${CC:-cc} -O2 -I"$root/samples/include" "$root/bench/analyzer_workload.c" -L"$build/lib" \
    -lmapisim -lwinsim -Wl,-rpath,"$build/lib" -o "$tmp/workload" 2>"$tmp/cc.err"; then
    printf "$ROW" "analyzer: report end to end, 1 core, recorded trace" "-" "events/s" "" \
        "not run: cannot build bench/analyzer_workload.c: $(head -1 "$tmp/cc.err")"
elif ! mkdir "$tmp/hives" || ! WINSIM_HIVE_ROOT=$tmp/hives WINSIM_NAMESPACE=ptbench$$ \
    "$pt" record -o "$tmp/trace" -- "$tmp/workload" "$rounds" >"$tmp/record.log" 2>&1; then
    printf "$ROW" "analyzer: report end to end, 1 core, recorded trace" "-" "events/s" "" \
        "not run: recording failed: $(tail -1 "$tmp/record.log")"
else
    best=
    TIMEFORMAT='%U %S'
    for _ in 1 2 3 4 5; do
        cpu=$( { time "${pin[@]}" "$pt" report "$tmp/trace" >"$tmp/report.txt" 2>&1 || true; } 2>&1 | tail -1)
        cpu=$(awk '{ printf "%.4f", $1 + $2 }' <<<"$cpu")
        if [ -z "$best" ] || awk -v a="$cpu" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$cpu; fi
    done
    events=$(sed -nE 's/^summary: .* ([0-9]+) events, ([0-9]+) lost.*/\1/p' "$tmp/report.txt")
    lost=$(sed -nE 's/^summary: .* ([0-9]+) events, ([0-9]+) lost.*/\2/p' "$tmp/report.txt")
    size=$(du -sm "$tmp/trace" | cut -f1)
    printf "$ROW" "analyzer: report end to end, 1 core, recorded trace" \
        "$(awk -v e="$events" -v s="$best" 'BEGIN { printf "%.1fM", (s > 0 ? e / s / 1e6 : 0) }')" \
        "events/s" "" "$events events ($lost lost, $size MiB) in $best s CPU: read, decoded, modelled, reported"
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
