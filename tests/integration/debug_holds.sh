#!/usr/bin/env bash
# debug_holds.sh — the shared holds table behind PROFTRACE_BREAK=delete-held cannot fall into the
# namespace trap and ignores dead owners:
# (1) a holder in its own pid, mount and IPC namespaces (private /dev/shm) maps a file shared; a
#     deleter in the initial namespaces (coreutils rm, traced) removes it: the delete is flagged
#     (breakpoint event, delete-held, holder pid as the holder saw it: 1 in its pid namespace);
# (2) the same after the holder was SIGKILLed (no clean-up ran): not flagged;
# (3) a file the holder released (munmap) before the delete: not flagged;
# (4) the deleter holding the file itself: not flagged (another process's hold only);
# (5) PROFTRACE_HOLDS=0 in the holder: not published, not flagged.
# No debugger is attached, so nothing stops: the events say where it would have.
set -euo pipefail
: "${PT_BIN:?}" "${PT_LIB:?}" "${PT_TESTS:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/debug_holds.XXXXXX")
hp=
cleanup() {
    [ -n "$hp" ] && kill -KILL "$hp" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
mkdir -p "$work/trace"
export PROFTRACE_BREAK=delete-held

# start_holder FILE [ENV...]: the holder in new pid/mount/ipc namespaces, private /dev/shm.
start_holder() {
    local file=$1
    shift
    rm -f "$work/h.in" "$work/h.out"
    mkfifo "$work/h.in" "$work/h.out"
    env "$@" PROFTRACE_DIR="$work/trace" LD_PRELOAD="${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so" \
        unshare --pid --fork --mount --ipc --kill-child sh -c \
        'mount -t tmpfs none /dev/shm && exec "$0" "$1"' "$PT_TESTS/debug_holder" "$file" \
        <"$work/h.in" >"$work/h.out" &
    hp=$!
    exec 7>"$work/h.in" 8<"$work/h.out"
    IFS= read -r -t 60 line <&8 || fail "holder did not start"
    case $line in "ready 1") ;; *) fail "holder is not pid 1 of its namespace: '$line'" ;; esac
}
stop_holder() {
    exec 7>&- 8<&-
    wait "$hp" || true
    hp=
}
# rm_traced FILE: delete with coreutils rm under the shim; prints the breakpoint events it recorded.
rm_traced() {
    local before
    before=$("$PT_TESTS/debug_trace_dump" "$work/trace" 2>/dev/null | grep -c ' breakpoint ' || true)
    PROFTRACE_DIR=$work/trace LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so rm "$1"
    "$PT_TESTS/debug_trace_dump" "$work/trace" | grep ' breakpoint ' | tail -n +$((before + 1))
}
ident() { stat -c 'dev=%d ino=%i' "$1"; }

# (1) held across namespaces: flagged.
start_holder "$work/held1"
id=$(ident "$work/held1")
out=$(rm_traced "$work/held1")
grep -q "breakpoint reason=\"delete-held\" call=\"unlinkat\" stopped=0 $id holder_pid=1 " <<<"$out" ||
    fail "(1) delete of a file held in other namespaces not flagged: '$out'"
echo "ok: (1) held in other pid/mount/ipc namespaces: flagged, holder pid 1 (its namespace)"
stop_holder

# (2) the holder SIGKILLed: its entry is stale, the delete is not flagged.
start_holder "$work/held2"
kill -KILL "$hp"
wait "$hp" 2>/dev/null || true
hp=
exec 7>&- 8<&-
out=$(rm_traced "$work/held2")
[ -z "$out" ] || fail "(2) flagged a delete of what a dead process held: '$out'"
echo "ok: (2) holder killed: not flagged"

# (3) released before the delete: not flagged.
start_holder "$work/held3"
stop_holder
out=$(rm_traced "$work/held3")
[ -z "$out" ] || fail "(3) flagged a delete of a released file: '$out'"
echo "ok: (3) released: not flagged"

# (4) the deleter's own hold: the crasher program maps a POSIX shm object and shm_unlinks it
# (then faults; no core is written): no breakpoint may be recorded for it.
before=$("$PT_TESTS/debug_trace_dump" "$work/trace" | grep -c ' breakpoint ' || true)
(cd "$work" && ulimit -c 0 && PROFTRACE_DIR=$work/trace LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so \
    "$PT_TESTS/debug_crasher" "/dbgholds_$(basename "$work")" "$work/own") 2>/dev/null || true
after=$("$PT_TESTS/debug_trace_dump" "$work/trace" | grep -c ' breakpoint ' || true)
[ "$before" = "$after" ] || fail "(4) a process deleting what it holds itself was flagged"
"$PT_TESTS/debug_trace_dump" "$work/trace" | grep -q ' shm_unlink ' ||
    fail "(4) the self-held delete did not happen"
echo "ok: (4) own hold: not flagged"

# (5) PROFTRACE_HOLDS=0 in the holder: nothing published.
start_holder "$work/held5" PROFTRACE_HOLDS=0
out=$(rm_traced "$work/held5")
[ -z "$out" ] || fail "(5) flagged although the holder opted out: '$out'"
echo "ok: (5) PROFTRACE_HOLDS=0: not published"
stop_holder
