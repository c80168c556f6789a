#!/usr/bin/env bash
# campaign.sh SECONDS OUT [TARGET...] — a longer fuzz campaign (not run by CTest): each target for
# SECONDS from freshly recorded seeds plus a corpus kept in OUT/corpus/TARGET between campaigns.
# Artifacts (crash-*, timeout-*) land in OUT/artifacts/TARGET; a summary line per target (inputs
# executed, coverage, corpus size, artifacts) is printed and appended to OUT/summary.txt.
# Needs PT_FUZZ_BIN, PT_BIN, PT_LIB, PT_SRC (see tests/reliability.cmake).
set -uo pipefail
: "${PT_FUZZ_BIN:?}" "${PT_SRC:?}"
secs=$1
out=$2
shift 2
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ring ring_race holds_race ctf core env)
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$out"
for t in "${targets[@]}"; do
    mkdir -p "$out/corpus/$t" "$out/artifacts/$t" "$out/tmp"
    TMPDIR=$out/tmp bash "$here/make_corpus.sh" "$out/seeds" "$t" >/dev/null
    cp -n "$out/seeds/$t"/* "$out/corpus/$t/" 2>/dev/null
    TMPDIR=$out/tmp nice -n 10 "$PT_FUZZ_BIN/fuzz_$t" -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
        -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
        "$out/corpus/$t" >"$out/$t.log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/$t.log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$out/$t.log" | tail -1)
    line="$(date -u +%FT%TZ) fuzz_$t ${secs}s rc=$rc runs=${runs:-?} ${cov:-cov: ?} corpus=$(ls "$out/corpus/$t" | wc -l) artifacts=$(ls "$out/artifacts/$t" | wc -l)"
    echo "$line" | tee -a "$out/summary.txt"
done
