#!/usr/bin/env bash
# attach.bench.sh — what attaching costs a running process: a process with 50 threads
# (each making a traced call every millisecond) and 200 mapped files is attached with
# `proftrace record -p` and detached with SIGINT, three times. Rows: how long its threads stayed
# stopped (the injector's own figure), the longest gap between two calls any of its threads saw
# (the process's own figure: the pause plus up to its 1 ms sleep), how long the thread running
# the injected calls was away, and the cost of a traced call (unlink of a missing file, a system
# call) before the first attach, while attached and after the detach. Needs ptrace rights over a
# child (root, or Yama's ptrace_scope 0 or 1).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build}
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/attach-bench-XXXXXX)}
THREADS=${ATTACH_BENCH_THREADS:-50} FILES=${ATTACH_BENCH_FILES:-200}
cc -O2 -pthread "$root/bench/attach_target.c" -o "$OUT/attach_target"
mkdir -p "$OUT/files"
mkfifo "$OUT/in" "$OUT/out"
"$OUT/attach_target" $THREADS $FILES "$OUT/files" <"$OUT/in" >"$OUT/out" &
TP=$!
exec 3>"$OUT/in" 4<"$OUT/out"
cleanup() {
    exec 3>&- 4<&- 2>/dev/null || true
    kill "$TP" 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "${BENCH_OUT:-}" ] || rm -rf "$OUT"
}
trap cleanup EXIT
ask() { echo "$1" >&3; IFS= read -r -t 300 line <&4; echo "${line#* }"; }
IFS= read -r -t 60 line <&4
[ "$line" = ready ] || { echo "attach bench: target did not start" >&2; exit 1; }
M=200000
before=$(ask "measure $M")
pauses=() gaps=() detours=() dgaps=()
for i in 1 2 3; do
    ask gap >/dev/null
    PROFTRACE_ATTACH_VERBOSE=1 "$build/bin/proftrace" record -p $TP -o "$OUT/tr$i" \
        2>"$OUT/rec$i.err" &
    rec=$!
    n=0
    until grep -q "threads stopped" "$OUT/rec$i.err"; do
        n=$((n + 1)); [ $n -lt 6000 ] || { echo "attach bench: no attach" >&2; exit 1; }
        sleep 0.05
    done
    gaps+=("$(ask gap)")
    pauses+=("$(sed -n 's/.* threads stopped \([0-9.]*\) ms.*/\1/p' "$OUT/rec$i.err")")
    detours+=("$(sed -n 's/.* calls \([0-9.]*\) ms.*/\1/p' "$OUT/rec$i.err")")
    [ $i -eq 1 ] && during=$(ask "measure $M")
    kill -INT $rec
    wait $rec
    dgaps+=("$(ask gap)")
    rm -rf "$OUT/tr$i"
done
after=$(ask "measure $M")
median() { printf "%s\n" "$@" | sort -g | sed -n "$((($# + 1) / 2))p"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
what="$THREADS threads, $FILES mapped files"
printf "$ROW" "attach: threads stopped, first attach ($what)" "${pauses[0]}" "ms" "" "dlopen of the shim included"
printf "$ROW" "attach: threads stopped, attach again" "$(median "${pauses[@]:1}")" "ms" "" "median of 2; shim already loaded"
printf "$ROW" "attach: longest gap a thread saw, first attach" "${gaps[0]}" "ms" "" "pause + up to 1 ms of its own sleep"
printf "$ROW" "attach: longest gap a thread saw, attach again" "$(median "${gaps[@]:1}")" "ms" "" ""
printf "$ROW" "attach: injected calls on one thread, first attach" "${detours[0]}" "ms" "" "the others run again part of it"
printf "$ROW" "detach: longest gap a thread saw" "$(median "${dgaps[@]}")" "ms" "" "median of 3"
printf "$ROW" "traced call (unlink ENOENT), before any attach" "$before" "ns/call" "" "median of 5 x $M"
printf "$ROW" "traced call, attached" "$during" "ns/call" "$(ratio "$during" "$before")" "recorded"
printf "$ROW" "traced call, after 3 attach/detach cycles" "$after" "ns/call" "$(ratio "$after" "$before")" "GOT slots given back"
