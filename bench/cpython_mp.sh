#!/usr/bin/env bash
# cpython_mp.sh — do long CPython multiprocessing runs under the shim damage their trace?
# (Damaged records were once seen in a long test_multiprocessing_forkserver run.) Runs
# Debian's CPython test modules test_multiprocessing_forkserver, _spawn and _fork (hundreds of
# processes each: fork, forkserver, spawn, shared memory, semaphores, pipes) ROUNDS times each
# under `proftrace record`, and once each untraced for the reference verdicts. Per traced run: the
# suite's exit status and per-test verdicts against the untraced run (from JUnit XML, timings
# aside), processes, events, events lost, damaged places (report --json's summary.damaged),
# `proftrace events`'s exit status and how many lines it wrote on stderr. One row per run, then
# totals, in bench/run's row format (BENCH_ROW). Long, so not a *.bench.sh that bench/run runs and
# not in CI (tests/integration/suite_python.sh is the CI-sized check): run it by hand. Needs
# /usr/bin/python3.11 with its test package (libpython3.11-testsuite).
# Usage: cpython_mp.sh [BUILD_DIR]   (ROUNDS, MODULES override the defaults)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-${BENCH_BUILD:-$here/../build}}
pt=$build/bin/proftrace
PY=/usr/bin/python3.11
ROW=${BENCH_ROW:-"%-52s %12s %-9s %9s  %s\n"}
rounds=${ROUNDS:-3}
modules=${MODULES:-"test_multiprocessing_forkserver test_multiprocessing_spawn test_multiprocessing_fork"}
[ -x "$pt" ] || { echo "cpython_mp.sh: $pt not built" >&2; exit 2; }
"$PY" -c 'import test._test_multiprocessing' 2>/dev/null || {
    printf "$ROW" "cpython multiprocessing" "skipped" "" "" "$PY has no test package (libpython3.11-testsuite)"
    exit 0
}
W=$(mktemp -d "${TMPDIR:-/tmp}/pt-bench-cpython.XXXXXX")
trap 'rm -rf "$W"' EXIT
verdicts() { "$PY" "$here/../tests/integration/junit_verdicts.py" "$1"; }
suite() { (cd "$W" && "$@" "$PY" -m test -v --junit-xml "$xml" "$mod" >"$log" 2>&1); }
tot_runs=0 tot_events=0 tot_lost=0 tot_damaged=0 tot_diag=0 tot_same=0 tot_procs=0
for mod in $modules; do
    xml=$W/$mod.plain.xml log=$W/$mod.plain.log
    t0=$(date +%s)
    suite env
    rc0=$?
    t1=$(date +%s)
    verdicts "$xml" >"$W/$mod.plain.v" 2>/dev/null || : >"$W/$mod.plain.v"
    ntests=$(wc -l <"$W/$mod.plain.v")
    printf "$ROW" "$mod untraced" "$((t1 - t0))" "s" "" "exit $rc0, $ntests tests"
    for r in $(seq "$rounds"); do
        tr=$W/$mod.tr$r xml=$W/$mod.tr$r.xml log=$W/$mod.tr$r.log
        t0=$(date +%s)
        suite "$pt" record -o "$tr" --
        rc1=$?
        t1=$(date +%s)
        verdicts "$xml" >"$W/$mod.tr$r.v" 2>/dev/null || : >"$W/$mod.tr$r.v"
        same=no
        [ "$rc1" = "$rc0" ] && cmp -s "$W/$mod.plain.v" "$W/$mod.tr$r.v" && same=yes
        "$pt" events "$tr" >/dev/null 2>"$W/ev.err"
        erc=$?
        ndiag=$(grep -c . "$W/ev.err")
        read -r procs events lost damaged < <("$pt" report --json "$tr" 2>/dev/null |
            jq -r '.summary | "\(.processes) \(.events) \(.lost) \(.damaged)"')
        printf "$ROW" "$mod traced, run $r" "$((t1 - t0))" "s" "" \
            "exit $rc1, verdicts identical: $same, $procs processes, $events events, $lost lost, $damaged damaged; events exit $erc, $ndiag diagnostics"
        [ "$same" = yes ] || diff "$W/$mod.plain.v" "$W/$mod.tr$r.v" | head -5 >&2
        [ "$ndiag" = 0 ] || head -3 "$W/ev.err" >&2
        tot_runs=$((tot_runs + 1)) tot_procs=$((tot_procs + procs)) tot_events=$((tot_events + events))
        tot_lost=$((tot_lost + lost)) tot_damaged=$((tot_damaged + damaged))
        tot_diag=$((tot_diag + ndiag))
        [ "$same" = yes ] && tot_same=$((tot_same + 1))
        rm -rf "$tr" "$tr.old"
    done
done 2>&1
printf "$ROW" "cpython multiprocessing: traced runs" "$tot_runs" "runs" "" \
    "$tot_same with verdicts identical to untraced; $tot_procs processes, $tot_events events, $tot_lost lost, $tot_damaged damaged, $tot_diag reader diagnostics"
