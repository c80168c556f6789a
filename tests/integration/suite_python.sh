#!/usr/bin/env bash
# suite_python.sh — Debian's own CPython test suite (libpython3.11-testsuite) for the parts that use
# shared memory and file deletion heavily, run with and without the shim: multiprocessing's
# SharedMemory tests (shm_open, mmap, shm_unlink across forkserver processes), test_mmap and
# test_tempfile, and posix_spawn's tests (file actions on a child started by the traced process).
# Every test must end the same way (name and verdict, timings aside), the trace
# must hold the suite's shm_open/shm_unlink calls, nothing lost, nothing damaged.
# Needs /usr/bin/python3.11 with its test package (scripts/install-deps.sh installs it).
source "$(dirname "$0")/fault_lib.sh"
PY=/usr/bin/python3.11
"$PY" -c 'import test.test_mmap, test._test_multiprocessing' 2>/dev/null ||
    fail "$PY has no test suite: apt-get install libpython3.11-testsuite"
suite=("$PY" -m test -v --junit-xml RESULT.xml test_mmap test_tempfile test_multiprocessing_forkserver test_posix
       -m 'test.test_mmap.*' -m 'test.test_tempfile.*' -m '*SharedMemory*' -m '*TestPosixSpawn*')
cd "$T"
verdicts() { "$PY" "$PT_SRC/tests/integration/junit_verdicts.py" "$1"; }
set +e
"${suite[@]/RESULT.xml/$T/plain.xml}" >"$T/plain.log" 2>&1
rc0=$?
PROFTRACE_BUFSIZE=4m "$PROFTRACE" record -o "$T/tr" -- "${suite[@]/RESULT.xml/$T/tr.xml}" \
    >"$T/tr.log" 2>"$T/tr.err"
rc1=$?
set -e
[ "$rc0" = 0 ] || fail "the suite fails without the shim (exit $rc0): $(tail -5 "$T/plain.log")"
[ "$rc1" = "$rc0" ] || fail "exit $rc1 under the shim: $(tail -20 "$T/tr.log")"
verdicts "$T/plain.xml" >"$T/plain.v"
verdicts "$T/tr.xml" >"$T/tr.v"
n=$(wc -l <"$T/plain.v")
[ "$n" -ge 100 ] || fail "only $n verdicts: $(tail -5 "$T/plain.log")"
diff -u "$T/plain.v" "$T/tr.v" >&2 || fail "verdicts differ under the shim"
grep -q "^Ran $(grep -o '^Ran [0-9]*' "$T/plain.log" | head -1 | grep -o '[0-9]*') tests" "$T/tr.log" ||
    fail "a different number of tests ran"
"$PROFTRACE" events "$T/tr" >"$T/events" 2>"$T/events.err"
[ ! -s "$T/events.err" ] || fail "damage: $(head -3 "$T/events.err")"
so=$(grep -c '\] shm_open(' "$T/events" || true)
su=$(grep -c '\] shm_unlink(' "$T/events" || true)
np=$(grep -c '\] process(' "$T/events" || true)
l=$(lost_sum "$T/events")
[ "$so" -gt 0 ] && [ "$su" -gt 0 ] || fail "the suite's shared memory is not in the trace ($so opens, $su unlinks)"
[ "$l" = 0 ] || fail "$l events lost"
summary=$(grep '^proftrace: ' "$T/tr.err" | tail -1)
ok "CPython suite: $n tests, same verdicts with the shim; $np processes, $so shm_open, $su shm_unlink traced, 0 lost ($summary)"
