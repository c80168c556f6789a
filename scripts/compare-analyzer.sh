#!/usr/bin/env bash
# compare-analyzer.sh OLD_BUILD NEW_BUILD [WORK] — before/after check for a change of the analyzer
# or the reader: records every scenario of samples/scenarios at every MAPISIM_FIXES level, the
# analyzer bench's workload (bench/analyzer_workload.c: long runs of packets, the witness's events)
# once drained by `proftrace record` and once left in undrained rings (no collector), and damaged
# copies of the workload's trace (a stream file cut inside a packet, a packet header and an event
# id destroyed), all with OLD_BUILD; then writes every output (report --json, with and without
# symbols; report text without symbols or disassembly; events, with stacks; export chrome and
# html; and for each its messages on stderr and its exit status) of each trace with both builds
# and compares them byte for byte. Both builds must have the same call table (traces of one are
# unreadable to the other otherwise). Needs root (the scenarios make login sessions and mount
# namespaces); takes a few minutes; keeps WORK (default a new /tmp/pt-compare.XXXXXX) for a look.
# Exit 0 when every output is identical.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
old=$(cd "${1:?usage: compare-analyzer.sh OLD_BUILD NEW_BUILD [WORK]}" && pwd)
new=$(cd "${2:?usage: compare-analyzer.sh OLD_BUILD NEW_BUILD [WORK]}" && pwd)
work=${3:-$(mktemp -d /tmp/pt-compare.XXXXXX)}
mkdir -p "$work/traces" "$work/old" "$work/new"

for s in "$src"/samples/scenarios/*.sh; do
    n=$(basename "$s" .sh)
    [ "$n" = lib ] && continue
    for f in none sid global all; do
        d=$work/traces/$n-$f
        [ -d "$d" ] && continue
        PT_BUILD_DIR=$old MAPISIM_FIXES=$f "$old/bin/proftrace" record -o "$d" -- bash "$s" \
            >"$d.log" 2>&1 || echo "compare-analyzer: $n-$f: the scenario failed (see $d.log)" >&2
    done
done

# The bench's workload, in a private hive and sample-library namespace.
wl=$work/workload
ns=ptcmp$$
if [ ! -d "$work/traces/workload" ] &&
    ${CC:-cc} -O2 -I"$src/samples/include" "$src/bench/analyzer_workload.c" -L"$old/lib" \
        -lmapisim -lwinsim -Wl,-rpath,"$old/lib" -o "$wl" 2>"$work/workload.cc.log"; then
    mkdir -p "$work/hives"
    WINSIM_HIVE_ROOT=$work/hives WINSIM_NAMESPACE=$ns "$old/bin/proftrace" record \
        -o "$work/traces/workload" -- "$wl" 20000 >"$work/workload.log" 2>&1 ||
        echo "compare-analyzer: workload: recording failed (see $work/workload.log)" >&2
    # undrained rings: the shim alone, no collector
    mkdir -p "$work/traces/workload-rings"
    WINSIM_HIVE_ROOT=$work/hives WINSIM_NAMESPACE=$ns PROFTRACE_DIR=$work/traces/workload-rings \
        LD_PRELOAD=$old/lib/libproftrace.so "$wl" 3000 >"$work/workload-rings.log" 2>&1 ||
        echo "compare-analyzer: workload-rings: the workload failed" >&2
    rm -f /dev/shm/winsim.$ns.*
    # damaged copies of its largest stream file
    u64() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
    packet_at() { # offset of packet $2 (0-based) of stream file $1
        local off=0 k=0
        while [ $k -lt "$2" ]; do off=$((off + $(u64 "$1" $((off + 36))) / 8)); k=$((k + 1)); done
        echo $off
    }
    poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
    s=$(ls -S "$work/traces/workload" | grep '_[0-9]*$' | sed -n 1p)
    for x in cut magic id; do
        cp -r "$work/traces/workload" "$work/traces/workload-$x"
    done
    f=$work/traces/workload-cut/$s
    truncate -s $(($(stat -c %s "$f") / 2 + 7)) "$f"
    f=$work/traces/workload-magic/$s
    poke "$f" "$(packet_at "$f" 3)" '\xde\xad\xbe\xef'
    f=$work/traces/workload-id/$s
    poke "$f" $(($(packet_at "$f" 5) + 68)) '\xee'
fi

outputs() { # outputs BUILD OUTDIR
    local pt=$1/bin/proftrace out=$2 d n
    # each output, its messages and its exit status
    run() { # run NAME ARGS...
        local name=$1
        shift
        "$pt" "$@" >"$out/$name" 2>"$out/$name.err"
        echo "exit $?" >>"$out/$name.err"
    }
    for d in "$work"/traces/*/; do
        n=$(basename "$d")
        run "$n.json" report --json "$d"
        run "$n.nosym.json" report --json --no-symbols "$d"
        run "$n.txt" report --no-symbols --no-disasm "$d"
        run "$n.events" events "$d"
        run "$n.events-k" events -k "$d"
        run "$n.chrome.log" export --format chrome -o "$out/$n.chrome.json" "$d"
        run "$n.html.log" export --format html -o "$out/$n.html" "$d"
    done
}
outputs "$old" "$work/old"
outputs "$new" "$work/new"
if diff -rq "$work/old" "$work/new"; then
    echo "compare-analyzer: $(find "$work/new" -type f | wc -l) outputs identical ($work)"
else
    echo "compare-analyzer: outputs differ (diff -r $work/old $work/new)" >&2
    exit 1
fi
