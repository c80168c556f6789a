#!/usr/bin/env bash
# analyzer.bench.sh — analyser throughput (events/s on one core, 10 M synthetic events) and peak
# RSS for 1 M and 10 M events. The events are decoded events fed to the model directly by
# pt_analyzer_bench (analyzer/bench_main.c): reading and decoding trace files is measured by the
# tracer's rows. Run by bench/run (rows in its $BENCH_ROW format, Release build in $BENCH_BUILD);
# also runs on its own against build/.
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
