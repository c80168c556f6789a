#!/usr/bin/env bash
# fault_seccomp.sh — a program that sandboxes itself with a seccomp filter runs traced exactly as
# untraced: same output, same exit status (or the same fatal signal), never a hang.
#  - a filter refusing futex (which proftrace needs) installed through prctl, one refusing
#    pwrite64 (the ring writer's backing) through syscall(SYS_seccomp): exactly one "proftrace:"
#    line on stderr, tracing stops there (the report names the process as not traced, and why),
#    and a child that execs under the inherited filter stays untraced without a second word;
#  - a filter the shim cannot see (raw syscall instruction) refusing rt_sigaction, then a crash
#    (SIGSEGV) or abort() (SIGABRT): the shim's signal handler records the signal and the process
#    dies of it; it must never loop (it used to: the handler could not put SIG_DFL back, and
#    returned into the fault, or re-raised into itself, forever). A hang is caught by `timeout`.
source "$(dirname "$0")/fault_lib.sh"
TOOL=$PT_TESTS/fault_tool_seccomp
run() { # NAME MODE: untraced, then traced; leaves $T/NAME.{plain.,}{out,err,rc}
    set +e
    timeout 120 "$TOOL" "$2" >"$T/$1.plain.out" 2>"$T/$1.plain.err"
    echo $? >"$T/$1.plain.rc"
    timeout 120 "$PROFTRACE" record -o "$T/$1" -- "$TOOL" "$2" >"$T/$1.out" 2>"$T/$1.err"
    echo $? >"$T/$1.rc"
    set -e
    [ "$(cat "$T/$1.rc")" != 124 ] || fail "$1: traced run hung (killed after 120 s): $(head -3 "$T/$1.err")"
    [ "$(cat "$T/$1.rc")" = "$(cat "$T/$1.plain.rc")" ] ||
        fail "$1: exit status $(cat "$T/$1.rc") traced, $(cat "$T/$1.plain.rc") untraced: $(head -3 "$T/$1.err")"
    cmp -s "$T/$1.plain.out" "$T/$1.out" ||
        fail "$1: output differs: $(diff "$T/$1.plain.out" "$T/$1.out" | head -5)"
}
for mode in prctl syscall; do
    run "$mode" "$mode"
    refused=futex
    if [ $mode = syscall ]; then
        refused=pwrite64
        grep -q '^child ran$' "$T/$mode.out" || fail "$mode: the child did not run"
    fi
    warn=$(grep '^proftrace: ' "$T/$mode.err" | grep -vc ' processes, .* events' || true)
    [ "$warn" = 1 ] || fail "$mode: $warn warnings instead of one: $(cat "$T/$mode.err")"
    grep -q "seccomp filter .* refuses $refused" "$T/$mode.err" || fail "$mode: warning does not say why: $(cat "$T/$mode.err")"
    "$PROFTRACE" report --json "$T/$mode" >"$T/$mode.json" 2>/dev/null || true
    python3 - "$T/$mode.json" $refused <<'PY' || fail "$mode: report does not name the process as not traced: $(cat "$T/$mode.json")"
import json, sys
u = json.load(open(sys.argv[1]))["summary"]["untraced"]
assert any("fault_tool_seccomp" in x["exe"] and sys.argv[2] in x["reason"] and x["pid"] for x in u), u
PY
    # The calls before the filter are in the trace, none after it.
    "$PROFTRACE" events "$T/$mode" >"$T/$mode.events" 2>/dev/null
    grep -q ' untraced(' "$T/$mode.events" || fail "$mode: no untraced event"
    ! grep -q 'shm_unlink(' "$T/$mode.events" || fail "$mode: a call after the filter was traced"
done
# (A sanitizer runtime, when there is one, catches the signal itself before the shim can: then
# the same status traced and untraced is all there is to check.)
for sig in segv:11 abort:6; do
    mode=${sig%:*} n=${sig#*:}
    run "$mode" "$mode"
    [ "$(cat "$T/$mode.plain.rc")" = $((128 + n)) ] || [ -n "${PT_PRELOAD_FIRST:-}" ] ||
        fail "$mode: untraced status $(cat "$T/$mode.plain.rc"), not signal $n"
    [ "$(cat "$T/$mode.plain.rc")" != $((128 + n)) ] ||
        "$PROFTRACE" events "$T/$mode" 2>/dev/null | grep -q "signal(signo=$n," || fail "$mode: no signal event"
done
ok "seccomp: filters refusing futex (prctl) or pwrite64 (syscall) stop tracing with one warning, output and status unchanged; SIGSEGV and SIGABRT under a hidden filter end the process, no loop"
