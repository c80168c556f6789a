#!/usr/bin/env bash
# real_noise_python.sh — CPython's own test modules for temporary files and file utilities
# (test_tempfile, test_shutil: files created, held open, renamed over, removed, trees copied and
# deleted, subprocesses) raise no false alarm under `proftrace record` with open files followed as
# holds: the same verdicts as untraced, no finding (exit 0), while the trace shows that opens for
# writing were followed and deletions seen. Needs /usr/bin/python3.11 with its test package
# (scripts/install-deps.sh installs it).
source "$(dirname "$0")/fault_lib.sh"
PY=/usr/bin/python3.11
"$PY" -c 'import test.test_tempfile, test.test_shutil' 2>/dev/null ||
    fail "$PY has no test suite: apt-get install libpython3.11-testsuite"
command -v jq >/dev/null || fail "jq is not installed"
cd "$T"
suite=("$PY" -m test test_tempfile test_shutil)
set +e
"${suite[@]}" >"$T/plain.log" 2>&1
rc0=$?
"$PROFTRACE" record -o "$T/tr" -- "${suite[@]}" >"$T/tr.log" 2>&1
rc1=$?
set -e
[ "$rc0" = 0 ] || fail "the modules fail untraced (exit $rc0): $(tail -5 "$T/plain.log")"
[ "$rc1" = "$rc0" ] || fail "exit $rc1 under record: $(tail -20 "$T/tr.log")"
grep -q '^Tests result: SUCCESS' "$T/tr.log" || fail "traced: $(tail -5 "$T/tr.log")"
rc=0
"$PROFTRACE" report --json "$T/tr" >"$T/r.json" 2>"$T/r.err" || rc=$?
[ "$rc" = 0 ] || { "$PROFTRACE" report "$T/tr" >&2; fail "report exit $rc: the modules make no finding"; }
jq -e '.findings | length == 0' "$T/r.json" >/dev/null || fail "findings on test_tempfile/test_shutil"
"$PROFTRACE" events "$T/tr" >"$T/events" 2>"$T/events.err" || fail "events: $(cat "$T/events.err")"
opens=$(grep -cE '\] open(at)?\(.*O_(WRONLY|RDWR)' "$T/events" || true)
dels=$(jq '.summary.deletions' "$T/r.json")
[ "$opens" -ge 100 ] || fail "only $opens opens for writing recorded: open files not followed"
[ "$dels" -ge 100 ] || fail "only $dels deletions seen"
ok "test_tempfile and test_shutil under record: same result, no finding; $opens opens for writing followed, $dels deletions seen ($(jq -r '.summary | "\(.processes) processes, \(.events) events, \(.lost) lost"' "$T/r.json"))"
