#!/usr/bin/env bash
# debug.bench.sh — what PROFTRACE_BREAK's shared holds table costs a traced process:
# an open+close of a registry key and an mmap+munmap of a shared file publish and withdraw a hold;
# an unlink under PROFTRACE_BREAK=delete-held looks the deleted identity up. Each is measured
# untraced, traced with the table off (PROFTRACE_HOLDS=0), traced with it, traced with it into a
# running `proftrace collect` whose witness waits for holds (as root: the doorbell, a pwrite per
# hold begun while the witness is idle), and traced with PROFTRACE_BREAK=delete-held and no
# debugger attached; ratios are to traced-without-table.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
B=${BENCH_BUILD:-$root/build}
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
OUT=${BENCH_OUT:-$(mktemp -d /dev/shm/ptdebug-XXXXXX 2>/dev/null || mktemp -d)}
N=${BENCH_DEBUG_N:-10000}
ROUNDS=${BENCH_DEBUG_ROUNDS:-7} # configurations interleaved round by round: load drift hits all
${CC:-cc} -O2 -I"$root/samples/include" "$root/bench/debug_holds.c" -L"$B/lib" -lwinsim \
    -Wl,-rpath,"$B/lib" -o "$OUT/debug_holds" || exit 1
mkdir -p "$OUT/hive" "$OUT/work" "$OUT/trace"
export WINSIM_HIVE_ROOT=$OUT/hive WINSIM_NAMESPACE=ptbench_$$
shim=$B/lib/libproftrace.so
# A collector with its witness (root only): its trace is where the doorbell configuration writes.
col=
if [ "$(id -u)" = 0 ]; then
    "$B/bin/proftrace" collect -o "$OUT/wtrace" >"$OUT/collect.env" 2>"$OUT/collect.err" &
    col=$!
    for _ in $(seq 200); do grep -q '^PROFTRACE_DIR=' "$OUT/collect.env" && break; sleep 0.05; done
    grep -q "will not be seen" "$OUT/collect.err" && { kill -INT "$col"; wait "$col"; col=; }
fi
trap 'rm -f /dev/shm/winsim.ptbench_$$.*; [ -n "$col" ] && kill -INT "$col" 2>/dev/null' EXIT
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "") printf "%.2fx", a / b; }'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for m in key map unlink; do
    run() { env "$@" LD_PRELOAD="$shim" "$OUT/debug_holds" "$m" "$OUT/work" "$N" 3; }
    p="" nh="" h="" b="" w=""
    for _ in $(seq "$ROUNDS"); do
        p="$p $(run PROFTRACE_DIR=)"
        nh="$nh $(run PROFTRACE_DIR="$OUT/trace" PROFTRACE_HOLDS=0)"
        h="$h $(run PROFTRACE_DIR="$OUT/trace")"
        [ -n "$col" ] && w="$w $(run PROFTRACE_DIR="$OUT/wtrace")"
        b="$b $(run PROFTRACE_DIR="$OUT/trace" PROFTRACE_BREAK=delete-held)"
        rm -rf "$OUT/trace/rings"
    done
    plain=$(median <<<"$p") noholds=$(median <<<"$nh") holds=$(median <<<"$h") brk=$(median <<<"$b")
    wit=$(median <<<"$w")
    case $m in
    key) what="RegOpenKeyExA+RegCloseKey" ;;
    map) what="mmap+munmap MAP_SHARED 4 KiB file" ;;
    unlink) what="open(O_CREAT)+close+unlink" ;;
    esac
    printf "$ROW" "$what, untraced" "$plain" "ns" "" "shim inert"
    printf "$ROW" "$what, traced, no holds table" "$noholds" "ns" "1.00x" "PROFTRACE_HOLDS=0"
    printf "$ROW" "$what, traced, holds table" "$holds" "ns" "$(ratio "$holds" "$noholds")" \
        "default"
    if [ -n "$col" ]; then
        printf "$ROW" "$what, holds table, witness waiting" "$wit" "ns" \
            "$(ratio "$wit" "$noholds")" "collect as root: the doorbell"
    fi
    printf "$ROW" "$what, + PROFTRACE_BREAK=delete-held" "$brk" "ns" \
        "$(ratio "$brk" "$noholds")" "no debugger attached"
done
