#!/usr/bin/env bash
# debug_core.sh — `proftrace core` recovers from a core dump exactly the events the ring file holds:
# (1) a live traced service dumped with gdb's gcore, (2) the same service killed by SIGABRT and
# dumped by the kernel, (3) a traced program that crashes on a NULL write (SIGSEGV) under gdb,
# dumped at the fault. Also: a core of an untraced process and a core whose coredump_filter left
# the ring out are refused with a clear message.
#
# Parallel safety: the kernel core of (2) is written by core_pattern into the crashing process's
# cwd, a directory unique to this run, with RLIMIT_CORE raised for that process only (prlimit);
# the machine-global core_pattern is never changed. When core_pattern is a pipe (systemd-coredump,
# apport) or an absolute path, a kernel core cannot land in our directory without changing
# global state, so (2) is done instead by gdb catching the SIGABRT and dumping there (said on
# stdout).
set -euo pipefail
if [ -n "${PT_PRELOAD_FIRST:-}" ]; then # (SKIP_RETURN_CODE 77)
    echo "skipped: an AddressSanitizer process dumps no core (ASan's disable_coredump), and gdb's"
    echo "gcore of one (its terabytes of shadow mappings) ran minutes and left no ELF core here"
    exit 77
fi
: "${PT_BIN:?}" "${PT_LIB:?}" "${PT_TESTS:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/debug_core.XXXXXX")
export WINSIM_NAMESPACE=dbgcore_$(basename "$work" | cut -d. -f2)
export WINSIM_HIVE_ROOT=$work/hives
svc=
cleanup() {
    [ -n "$svc" ] && kill -KILL "$svc" 2>/dev/null || true
    rm -rf "$work"
    rm -f /dev/shm/winsim."$WINSIM_NAMESPACE".* 2>/dev/null || true
}
trap cleanup EXIT
mkdir -p "$WINSIM_HIVE_ROOT"
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# Canonical dump of every event of a trace directory (all fields, exact times).
dump() { "$PT_TESTS/debug_trace_dump" "$1"; }

# same_events TRACE RECOVERED WHAT: the recovered directory reads as the ring file itself.
same_events() {
    dump "$1" >"$work/ring.txt"
    dump "$2" >"$work/core.txt"
    local n
    n=$(wc -l <"$work/ring.txt")
    [ "$n" -ge 10 ] || fail "$3: only $n events in the ring itself"
    diff -u "$work/ring.txt" "$work/core.txt" >&2 || fail "$3: recovered events differ"
    "$PT_BIN/proftrace" events "$1" >"$work/ring.ev" || fail "$3: proftrace events on the ring"
    "$PT_BIN/proftrace" events "$2" >"$work/core.ev" || fail "$3: proftrace events on the core's"
    diff -u "$work/ring.ev" "$work/core.ev" >&2 || fail "$3: proftrace events output differs"
    echo "ok: $3: $n events recovered, identical to the ring file"
}

# start_service DIR: eventsvc traced into DIR, driven through FIFOs (handshakes, no sleeps).
start_service() {
    local dir=$1
    mkdir -p "$dir"
    rm -f "$work/in" "$work/out"
    mkfifo "$work/in" "$work/out"
    (cd "$work/cwd" && PROFTRACE_DIR=$dir LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so \
        exec "$PT_BIN/eventsvc" --profile "P-$WINSIM_NAMESPACE") <"$work/in" >"$work/out" &
    svc=$!
    exec 7>"$work/in" 8<"$work/out"
    IFS= read -r -t 60 line <&8 || fail "service did not start"
    echo "$line"
    echo "Weekly status" >&7
    IFS= read -r -t 60 line <&8 || fail "service did not answer"
    echo "$line"
}
stop_fds() {
    exec 7>&-
    while IFS= read -r -t 60 line <&8; do echo "$line"; done
    exec 8<&-
}
mkdir -p "$work/cwd"

# (1) gcore of a live service.
start_service "$work/t1"
(( 0x$(cat "/proc/$svc/coredump_filter") & 8 )) ||
    fail "the shim did not set bit 3 of coredump_filter ($(cat "/proc/$svc/coredump_filter"))"
gdb -p "$svc" -batch -ex "gcore $work/gcore" >"$work/gdb1.log" 2>&1 || { cat "$work/gdb1.log"; fail "gcore"; }
"$PT_BIN/proftrace" core "$work/gcore" -o "$work/r1" || fail "proftrace core on a gcore"
# The writer is still alive: compare with what the ring file holds at the same moment (nothing
# ran between: the service is blocked reading the FIFO).
same_events "$work/t1" "$work/r1" "gcore of a live service"
stop_fds
st=0; wait "$svc" || st=$?; [ "$st" -eq 0 ] || fail "service exit status $st"
svc=

# (2) a real crash: SIGABRT, kernel core (or gdb at the signal when core_pattern is not ours).
start_service "$work/t2"
pattern=$(cat /proc/sys/kernel/core_pattern)
if [[ $pattern != \|* && $pattern != /* ]]; then
    prlimit --pid "$svc" --core=unlimited
    kill -ABRT "$svc"
    status=0
    wait "$svc" || status=$?
    svc=
    [ "$status" -eq 134 ] || fail "service did not die of SIGABRT (status $status)"
    core=$(find "$work/cwd" -maxdepth 1 -name 'core*' -type f | head -n1)
    [ -n "$core" ] || fail "no kernel core in $work/cwd (core_pattern '$pattern')"
    echo "kernel core: $core (core_pattern '$pattern')"
else
    echo "core_pattern '$pattern' is global: dumping the SIGABRT with gdb at the signal instead"
    gdb -p "$svc" -batch -ex 'handle SIGABRT stop nopass' -ex continue \
        -ex "gcore $work/cwd/core.abrt" -ex kill >"$work/gdb2.log" 2>&1 &
    gdbpid=$!
    # Wait until gdb has attached (TracerPid set) before sending the signal.
    for _ in $(seq 600); do
        grep -q '^TracerPid:[[:space:]]*[1-9]' "/proc/$svc/status" && break
        sleep 0.1
    done
    kill -ABRT "$svc"
    wait "$gdbpid" || true
    wait "$svc" 2>/dev/null || true
    svc=
    core=$work/cwd/core.abrt
fi
stop_fds
out=$("$PT_BIN/proftrace" core "$core" -o "$work/r2") || fail "proftrace core on a crash core"
echo "$out"
grep -q "Aborted" <<<"$out" || [[ $pattern == \|* || $pattern == /* ]] ||
    fail "the summary does not name the fatal signal"
dump "$work/r2" | grep -q ' signal signo=6 ' || fail "no signal event (SIGABRT) recovered"
same_events "$work/t2" "$work/r2" "SIGABRT crash core"
# The gdb extension on the same core: the last event it shows is the fatal signal.
gdb -batch -nx -ex "source $PT_SRC/gdb/proftrace.py" -ex "set proftrace-binary $PT_BIN/proftrace" \
    -ex 'proftrace-events 3' "$PT_BIN/eventsvc" "$core" >"$work/gdbcore.log" 2>&1 ||
    { cat "$work/gdbcore.log"; fail "gdb on the core"; }
tail -n3 "$work/ring.ev" >"$work/ring.last3"
grep -F -f "$work/ring.last3" "$work/gdbcore.log" | diff - "$work/ring.last3" >&2 ||
    { cat "$work/gdbcore.log"; fail "proftrace-events on the core differs from the ring's last 3"; }
tail -n1 "$work/ring.last3" | grep -q 'signal' || fail "the ring's last event is not the signal"
echo "ok: proftrace-events in gdb on the core shows the ring's last 3 events"

# (3) a real SIGSEGV: a traced program (shm, unlink) writes through NULL.
mkdir -p "$work/t3" "$work/cwd3"
if [[ $pattern != \|* && $pattern != /* ]]; then
    status=0
    (cd "$work/cwd3" && ulimit -c unlimited && PROFTRACE_DIR=$work/t3 \
        LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so exec "$PT_TESTS/debug_crasher" \
        "/dbgcore_$WINSIM_NAMESPACE" "$work/victim") || status=$?
    [ "$status" -eq 139 ] || fail "crasher did not die of SIGSEGV (status $status)"
    core=$(find "$work/cwd3" -maxdepth 1 -name 'core*' -type f | head -n1)
    [ -n "$core" ] || fail "no kernel core of the SIGSEGV in $work/cwd3"
else
    core=$work/cwd3/core.segv
    gdb -batch -ex 'set confirm off' -ex "set environment PROFTRACE_DIR=$work/t3" \
        -ex "set environment LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so" -ex run -ex continue \
        -ex "gcore $core" -ex kill --args "$PT_TESTS/debug_crasher" \
        "/dbgcore_$WINSIM_NAMESPACE" "$work/victim" >"$work/gdb3.log" 2>&1 || true
fi
out=$("$PT_BIN/proftrace" core "$core" -o "$work/r3") || fail "proftrace core on a SIGSEGV core"
echo "$out"
dump "$work/r3" | grep -q ' signal signo=11 ' || fail "no signal event (SIGSEGV) recovered"
dump "$work/r3" | grep -q ' shm_unlink ' || fail "the shm_unlink before the crash is missing"
same_events "$work/t3" "$work/r3" "SIGSEGV crash core"

# (4) refusals: an untraced process, and a traced one whose filter left the ring out.
sleep 300 &
sp=$!
gdb -p "$sp" -batch -ex "gcore $work/untraced" >/dev/null 2>&1
kill "$sp"
if "$PT_BIN/proftrace" core "$work/untraced" -o "$work/r4" 2>"$work/err4"; then
    fail "a core without a ring was accepted"
fi
grep -q "mapped no proftrace ring" "$work/err4" || { cat "$work/err4"; fail "message (untraced)"; }
start_service "$work/t5"
echo 0x33 >"/proc/$svc/coredump_filter"
gdb -p "$svc" -batch -ex "gcore $work/filtered" >/dev/null 2>&1
if "$PT_BIN/proftrace" core "$work/filtered" -o "$work/r5" 2>"$work/err5"; then
    fail "a core without the ring's bytes was accepted"
fi
grep -q "coredump_filter" "$work/err5" || { cat "$work/err5"; fail "message (filtered)"; }
stop_fds
wait "$svc" || true
svc=
echo "ok: cores without a ring are refused with the reason"
