#!/usr/bin/env bash
# witness.bench.sh — what witnessing deletions by untraced processes costs: unlink in a
# process deleting on a watched filesystem against the same filesystem unwatched, and the
# witness's drain per deletion (deleter alive: identity read from /proc; gone; outside the
# watched directories), and how soon it watches a hold after the shim published it (the doorbell
# of the holds tables). The witness runs in the collector, so traced processes pay nothing but a
# pwrite when a hold begins while the witness waits; the collector pays the drain, in a thread of
# its own. The bench programs print "name (unit) | value |
# ratio" lines; this script prints them as rows of bench/run's format (BENCH_ROW: figure, value,
# unit, ratio, note), the unit taken from the name. Needs root (fanotify names deleters only to
# CAP_SYS_ADMIN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PT_BUILD:-$root/build}
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
if [ ! -x "$build/tests/witness_bench_drain" ] || [ ! -x "$build/tests/witness_bench_collect" ] ||
  [ ! -x "$build/tests/witness_bench_late" ] || [ ! -x "$build/tests/witness_tool_open" ]; then
  cmake -S "$root" -B "$build" >/dev/null
  cmake --build "$build" -j2 --target witness_bench_drain witness_bench_collect witness_bench_late \
    witness_tool_late witness_tool_open pt_shim >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  printf "$ROW" "witness" "skipped" "" "" "needs root (fanotify with CAP_SYS_ADMIN)"
  exit 0
fi
# "name (unit) | value | ratio" -> a row; a ratio of "-" is none, others are multiples.
rows() {
  local line name value ratio unit
  while IFS= read -r line; do
    name=${line%% | *} line=${line#* | }
    value=${line%% | *} ratio=${line#* | }
    unit=
    if [[ "$name" =~ ^(.*)\ \(([^()\ ]*)\)$ ]]; then
      name=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
    fi
    [ "$ratio" = - ] && ratio= || ratio=${ratio}x
    printf "$ROW" "$name" "$value" "$unit" "$ratio" ""
  done
}
"$build/tests/witness_bench_drain" | rows
"$build/tests/witness_bench_collect" | rows
"$build/tests/witness_bench_late" | rows
"$build/tests/witness_bench_late" open | rows
