#!/bin/sh
# inline.bench.sh — added cost of an inline-hooked call vs a plain call vs a PLT-interposed call.
#
# One cheap library function (bench_target: a counter increment and an add) is called through the
# PLT: untraced; with an LD_PRELOAD interposer in front of it; inline-hooked by pt_inline (whose
# replacement does the same work as the interposer: count, call the original). Each process run
# prints the best of 7 loops of 5M calls; the script alternates the runs ROUNDS times and reports
# the median, in rows of bench/run's format (BENCH_ROW: figure, value, unit, ratio, note).
# Usage: bench/inline.bench.sh [BUILD_DIR]   (default: build)
set -eu
build=${1:-build}
rounds=${ROUNDS:-5}
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
bench=$build/bin/inline_bench
preload=$build/lib/libinline_bench_preload.so
for f in "$bench" "$preload"; do
    [ -e "$f" ] || { echo "inline.bench.sh: $f missing: build first (cmake --build $build)" >&2; exit 2; }
done

tmp=$(mktemp -d /tmp/pt-inline-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
i=0
while [ "$i" -lt "$rounds" ]; do
    "$bench" >>"$tmp/runs"
    LD_PRELOAD=$preload "$bench" --preloaded >>"$tmp/runs"
    i=$((i + 1))
done

median() { # name -> median ns/call over the rounds
    awk -v n="$1" '$1 == n { print $2 }' "$tmp/runs" | sort -g |
        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
base=$(median untraced)
for row in "untraced:untraced" "plt-interposed (LD_PRELOAD):interposed" "inline-hooked (pt_inline):inline"; do
    label=${row%%:*}
    v=$(median "${row##*:}")
    printf "$ROW" "inline hooks: $label" "$(awk -v v="$v" 'BEGIN { printf "%.2f", v }')" "ns/call" \
        "$(awk -v v="$v" -v b="$base" 'BEGIN { printf "%.2fx", v / b }')" \
        "$(awk -v v="$v" -v b="$base" 'BEGIN { printf "+%.2f ns", v - b }'); bench_target(), best of 7 x 5M calls per run, median of $rounds runs"
done
