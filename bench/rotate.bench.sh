#!/usr/bin/env bash
# rotate.bench.sh — a week in a service, compressed in time: `proftrace collect --max-size 64m
# --no-loss` with a holder that maps two shared-memory objects at the start, a service's registry
# traffic (BENCH_SOAK_EVENTS events, 20 M by default: about two per registry read), then the
# objects removed while held, at the end. `proftrace live --findings` follows the whole run.
# Rows:
#  - the finding: right (deleted-while-held, the holder's hold carried from a dropped chunk) or not;
#  - the trace's chunks, sampled every 0.2 s while it runs: largest size against the cap + a chunk;
#  - the collector's RSS, sampled the same way: largest, and its growth from the first sample;
#  - live's CPU over the run against one `report` pass, both per event (live read every event of
#    the run, report the chunks left);
#  - checkpoints: CPU writing them, against the collector's CPU; and the analyzer beside the
#    collector (the follower thread) against it too.
# Run by bench/run (rows in its $BENCH_ROW format, Release build in $BENCH_BUILD); on its own it
# measures build/. The machine's load is printed with the rows: a shared machine blurs the CPU and
# sizes sampled.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-${PT_BUILD_DIR:-$root/build}}
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
events=${BENCH_SOAK_EVENTS:-20000000}
cap_text=${BENCH_SOAK_CAP:-64m}
pt=$build/bin/proftrace
if [ ! -x "$pt" ] || [ ! -f "$build/lib/libwinsim.so" ]; then
    printf "$ROW" "soak: finding after rotation" "-" "" "" "not run: $pt not built"
    exit 0
fi
tmp=$(mktemp -d "${BENCH_DISK:-${TMPDIR:-/tmp}}/pt-rotate-bench.XXXXXX")
prefix=/ptbench-soak-$$
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    rm -f "/dev/shm$prefix-0" "/dev/shm$prefix-1"
    rm -rf "$tmp"
}
trap cleanup EXIT
load=$tmp/rotate_load
${CC:-cc} -O2 -I"$root/samples/include" "$root/tests/unit/rotate_load.c" -L"$build/lib" -lwinsim \
    -Wl,-rpath,"$build/lib" -o "$load"
mkdir -p "$tmp/hive"
export WINSIM_HIVE_ROOT=$tmp/hive
cap=$(numfmt --from=iec "${cap_text^^}")
chunk=$((cap / 8))
cpu_of() { # user + sys seconds of a live process
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"
}

T=$tmp/T
: >"$tmp/env"
"$pt" collect --max-size "$cap_text" --no-loss -o "$T" >"$tmp/env" 2>"$tmp/collect.err" &
collector=$!
pids+=("$collector")
timeout 60 grep -m1 -q '^PROFTRACE_DIR=' <(tail -n +1 -f "$tmp/env")
"$pt" live --findings "$T" >"$tmp/live.out" 2>"$tmp/live.err" &
live=$!
pids+=("$live")
traced() { env $(grep -E '^(LD_PRELOAD|PROFTRACE_DIR|PROFTRACE_NOLOSS)=' "$tmp/env") "$@"; }
traced_exec() { exec env $(grep -E '^(LD_PRELOAD|PROFTRACE_DIR|PROFTRACE_NOLOSS)=' "$tmp/env") "$@"; }
mkfifo "$tmp/go"
: >"$tmp/held" # there before the holder opens it (its input, a FIFO, is opened first)
traced_exec "$load" hold "$prefix" 2 2000 <"$tmp/go" >"$tmp/held" &
holder=$!
pids+=("$holder")
exec 3>"$tmp/go"
timeout 60 grep -m1 -q holding <(tail -n +1 -f "$tmp/held")

# the traffic, sampled while it runs
traced "$load" load $((events / 2)) 3>&- &
loader=$!
pids+=("$loader")
python3 - "$T" "$collector" "$loader" >"$tmp/samples" <<'PY'
import os, sys, time
trace, col, loader = sys.argv[1], sys.argv[2], int(sys.argv[3])
def chunks_bytes():
    total = 0
    for root, _, files in os.walk(os.path.join(trace, "chunks")):
        for f in files:
            try: total += os.lstat(os.path.join(root, f)).st_size
            except OSError: pass
    return total
def rss():  # all, and the collector's own memory (anonymous): the rest is the rings it maps
    f = {l.split(":")[0]: int(l.split()[1]) for l in open("/proc/%s/status" % col) if l.startswith(("VmRSS", "RssAnon"))}
    return f.get("VmRSS", 0), f.get("RssAnon", 0)
big = first = top = anon0 = anon = 0
while os.path.exists("/proc/%d" % loader) and open("/proc/%d/stat" % loader).read().split()[2] != "Z":
    b, (r, a) = chunks_bytes(), rss()
    big, top, anon = max(big, b), max(top, r), max(anon, a)
    first, anon0 = first or r, anon0 or a
    time.sleep(0.2)
print(big, first, top, anon0, anon)
PY
wait "$loader"
traced "$load" delete "$prefix" 2 3>&-
echo tick >&3 # the holder lives on after the delete
found=no
if timeout 120 grep -m1 -q "finding: deleted-while-held .* while pid $holder " \
    <(tail -n +1 -f "$tmp/collect.err"); then
    found=yes
fi
timeout 60 grep -m1 -q "FINDING deleted-while-held" <(tail -n +1 -f "$tmp/live.out") || true
exec 3>&-
wait "$holder" || true
live_cpu=$(cpu_of "$live")
col_cpu=$(cpu_of "$collector")
kill -INT "$live" "$collector"
wait "$live" || true
wait "$collector" || true
read -r big rss0 rss_top anon0 anon_top <"$tmp/samples"
rot=$(grep 'rotation: chunks' "$tmp/collect.err" || true)
follow_cpu=$(sed -nE 's/.*analyzer ([0-9.]+) s CPU.*/\1/p' <<<"$rot")
cp_n=$(sed -nE 's/.* ([0-9]+) checkpoints in .*/\1/p' <<<"$rot")
cp_cpu=$(sed -nE 's/.* checkpoints in ([0-9.]+) s CPU.*/\1/p' <<<"$rot")
lost=$(sed -nE 's/^proftrace: [0-9]+ processes, [0-9]+ events, ([0-9]+) lost.*/\1/p' "$tmp/collect.err")

# one report pass over what is left, CPU
python3 - "$pt" "$T" >"$tmp/report.cpu" <<'PY'
import resource, subprocess, sys
before = resource.getrusage(resource.RUSAGE_CHILDREN)
subprocess.run([sys.argv[1], "report", "--no-symbols", "--no-disasm", sys.argv[2]],
               stdout=open(sys.argv[2] + ".report", "w"), stderr=subprocess.DEVNULL)
after = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.3f" % (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
PY
report_cpu=$(cat "$tmp/report.cpu")
# the events of the chunks left (what report read; its summary counts the carried ones too)
left=$(cat "$T"/chunks/*/.chunk | awk '$1 == "events" { s += $2 } END { print s + 0 }')
dropped=$(sed -nE 's/.*rotation: ([0-9]+) events in ([0-9]+) chunks dropped.*/\1 \2/p' "$T.report")
grep -q "pid $holder (rotate_load) mmap .*: has it mapped" "$T.report" || found="no (report)"
[ -n "$dropped" ] || found="$found, nothing dropped"
total=$((left + ${dropped%% *}))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f%%", 100 * a / b; }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

printf "$ROW" "soak: finding right after rotation" "$found" "" "" \
    "$total events ($events asked), $lost lost, --max-size $cap_text --no-loss; ${dropped#* } chunks dropped; load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "$ROW" "soak: largest trace seen (chunks, sampled 0.2 s)" "$(mib "$big")" "MiB" \
    "$(ratio "$big" "$((cap + chunk))")" "of cap + one chunk ($(mib $((cap + chunk))) MiB)"
printf "$ROW" "soak: collector RSS, largest sampled" "$(mib $((rss_top * 1024)))" "MiB" "" \
    "first sample $(mib $((rss0 * 1024))) MiB; the analyzer's thread included; goal <= 32 MiB"
printf "$ROW" "soak: collector's own memory (RSS anonymous)" "$(mib $((anon_top * 1024)))" "MiB" "" \
    "first sample $(mib $((anon0 * 1024))) MiB; the rest of the RSS is pages of the rings it maps"
live_pe=$(awk -v c="$live_cpu" -v n="$total" 'BEGIN { if (n) printf "%.1f", c / n * 1e9 }')
rep_pe=$(awk -v c="$report_cpu" -v n="$left" 'BEGIN { if (n) printf "%.1f", c / n * 1e9 }')
printf "$ROW" "soak: live --findings CPU over the run, per event" "$live_pe" "ns/event" \
    "$(ratio "$live_pe" "$rep_pe")" "$live_cpu s for $total events; one report pass $report_cpu s for $left events ($rep_pe ns/event); goal <= 1.5x"
printf "$ROW" "soak: checkpoints, CPU writing them" "$cp_cpu" "s" "$(pct "$cp_cpu" "$col_cpu")" \
    "$cp_n checkpoints; of the collector's $col_cpu s CPU (goal <= 1%)"
printf "$ROW" "soak: the analyzer beside the collector" "$follow_cpu" "s" \
    "$(pct "$follow_cpu" "$col_cpu")" "its thread's CPU, of the collector's $col_cpu s (in it)"
late_of() { # the last count of events read late a follower said, 0 when none
    sed -nE 's/.* ([0-9]+) events? arrived later than the follow lag \(up to ([0-9.]+) s.*/\1 (up to \2 s)/p' "$1" |
        tail -1 | grep . || echo 0
}
printf "$ROW" "soak: events read late (collector's analyzer)" "$(late_of "$tmp/collect.err" | cut -d' ' -f1)" \
    "events" "" "$(late_of "$tmp/collect.err"); live: $(late_of "$tmp/live.err")"
