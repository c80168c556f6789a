#!/usr/bin/env bash
# smoke.sh TARGET SECONDS — a bounded fuzz run of one target (CTest): seeds recorded now from real
# traces (make_corpus.sh) plus the committed regression inputs (tests/fuzz/regress/TARGET: inputs
# that once crashed or hung a parser), each regression input run once first, then SECONDS of
# fuzzing. Fails on any crash, sanitizer report, leak of the time limit (-timeout) or memory limit.
set -euo pipefail
: "${PT_FUZZ_BIN:?}" "${PT_SRC:?}"
t=$1
secs=$2
bin=$PT_FUZZ_BIN/fuzz_$t
[ -x "$bin" ] || { echo "FAIL: $bin not built" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ptsmoke-$t.XXXXXX")
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work # the targets' scratch directories go here too
bash "$here/make_corpus.sh" "$work/seeds" "$t" >/dev/null
mkdir -p "$work/corpus"
cp "$work/seeds/$t"/* "$work/corpus/" 2>/dev/null || true
nseed=$(ls "$work/corpus" | wc -l)
[ "$nseed" -gt 0 ] || { echo "FAIL: no seed for $t" >&2; exit 1; }
opts=(-timeout=10 -rss_limit_mb=2048 -max_len=131072 -artifact_prefix="$work/")
if [ -d "$here/regress/$t" ]; then
    for f in "$here/regress/$t"/*; do
        "$bin" "${opts[@]}" "$f" >"$work/regress.log" 2>&1 ||
            { cat "$work/regress.log" >&2; echo "FAIL: regression input $f" >&2; exit 1; }
        echo "ok: regression input $(basename "$f") runs clean"
    done
fi
if ! "$bin" "${opts[@]}" -max_total_time="$secs" -print_final_stats=1 "$work/corpus" \
    >"$work/fuzz.log" 2>&1; then
    tail -60 "$work/fuzz.log" >&2
    for a in "$work"/crash-* "$work"/timeout-* "$work"/oom-* "$work"/leak-*; do
        [ -f "$a" ] && echo "artifact: $a (copy it before the test's clean-up to reproduce)" >&2
    done
    echo "FAIL: fuzz_$t found a problem" >&2
    exit 1
fi
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/fuzz.log" | grep -o '[0-9]*$')
cov=$(grep -o 'cov: [0-9]*' "$work/fuzz.log" | tail -1)
echo "ok: fuzz_$t: $runs inputs in ${secs}s from $nseed seeds, $cov, no crash"
