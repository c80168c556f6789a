#!/usr/bin/env bash
# analyzer.bench.sh — analyser throughput (events/s on one core) and peak RSS for 1 M and 10 M
# synthetic events. The events are decoded events fed to the model directly
# (build/bench/pt_analyzer_bench, source analyzer/bench_main.c): reading and decoding the trace
# files is the tracer's benchmark. Prints markdown table rows: | benchmark | value | notes |
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PT_BUILD_DIR:-$root/build}
b=$build/bench/pt_analyzer_bench
if [ ! -x "$b" ]; then
    echo "analyzer.bench.sh: $b not built" >&2
    exit 2
fi
field() { sed -E "s/.*\b$1 ([0-9.]+).*/\1/" <<<"$2"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
mps() { awk -v e="$1" 'BEGIN { printf "%.1f M events/s", e / 1e6 }'; }

# one core: pin to a CPU when taskset exists (CPU time is measured either way)
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0)

r1=$("${pin[@]}" "$b" 1000000 2000)
r10=$("${pin[@]}" "$b" 10000000 2000)
r10few=$("${pin[@]}" "$b" 10000000 200000)
echo "| analyzer: events analysed per second, one core, 10 M synthetic events | $(mps "$(field events_per_s "$r10")") | $(field processes "$r10") processes, $(field findings "$r10") findings; CPU time in pt_analyzer_feed + finish; events fed to the model directly (decoding not included) |"
echo "| analyzer: peak RSS, 1 M events | $(mib "$(field peak_rss_kib "$r1")") | $(field processes "$r1") processes (short clients of ~2000 events + 16 services) |"
echo "| analyzer: peak RSS, 10 M events | $(mib "$(field peak_rss_kib "$r10")") | $(field processes "$r10") processes: ~1.6 KiB kept per ended process (identity, views, modules) |"
echo "| analyzer: peak RSS, 10 M events, few processes | $(mib "$(field peak_rss_kib "$r10few")") | $(field processes "$r10few") processes: memory follows live state and process count, not trace length |"
