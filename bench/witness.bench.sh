#!/usr/bin/env bash
# witness.bench.sh — what witnessing deletions by untraced processes costs (issue 10): unlink in a
# process deleting on a watched filesystem against the same filesystem unwatched, and the
# witness's drain per deletion (deleter alive: identity read from /proc; gone; outside the
# watched directories). The witness runs in the collector, so traced processes pay nothing; the
# collector pays the drain, in a thread of its own. Rows: name | value | ratio. Needs root
# (fanotify names deleters only to CAP_SYS_ADMIN).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${PT_BUILD:-$root/build}
if [ ! -x "$build/tests/witness_bench_drain" ] || [ ! -x "$build/tests/witness_bench_collect" ]; then
  cmake -S "$root" -B "$build" >/dev/null
  cmake --build "$build" -j2 --target witness_bench_drain witness_bench_collect >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
  echo "witness: needs root (fanotify with CAP_SYS_ADMIN) | skipped | -"
  exit 0
fi
echo "name | value | ratio"
"$build/tests/witness_bench_drain"
"$build/tests/witness_bench_collect"
