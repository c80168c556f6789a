#!/usr/bin/env bash
# fault_fds.sh — the shim's descriptors never take a number, or a place under RLIMIT_NOFILE, that
# the program would get: the numbers and the count of descriptors a program gets are those it gets
# untraced, with stacks taken in between (unwinding opens nothing).
#  - a daemon closes every descriptor (close_range) and opens /dev/null three times: 0, 1, 2
#    (it used to get 2, 3, 4: libunwind's validation pipe reopened at the lowest numbers);
#  - a program started with a soft RLIMIT_NOFILE of 16 (hard 4096), and one that lowers its own
#    limit to 16 at run time, open files until EMFILE: as many as untraced, the same numbers.
source "$(dirname "$0")/fault_lib.sh"
TOOL=$PT_TESTS/fault_tool_fds
same() { # NAME CMD...: run untraced then traced, compare the results files
    local name=$1
    shift
    "$@" "$T/$name.plain" 2>"$T/$name.plain.err" || fail "$name: untraced run failed: $(cat "$T/$name.plain.err")"
    "$PROFTRACE" record -o "$T/$name.tr" -- "$@" "$T/$name.traced" >"$T/$name.out" 2>"$T/$name.err" ||
        fail "$name: traced run failed: $(cat "$T/$name.err")"
    cmp -s "$T/$name.plain" "$T/$name.traced" ||
        fail "$name: untraced got $(cat "$T/$name.plain"); traced got $(cat "$T/$name.traced")"
}
same daemon "$TOOL" daemon
grep -q '^stdio 0 1 2, next 3$' "$T/daemon.plain" || fail "daemon: untraced run got $(cat "$T/daemon.plain")"
"$PROFTRACE" events "$T/daemon.tr" 2>/dev/null | grep -q 'unlink("/nonexistent-pt-fds/x")' ||
    fail "daemon: the calls after close_range were not traced"
same soft16 prlimit --nofile=16:4096 "$TOOL" count 0
grep -q '^count [1-9][0-9]* (Too many open files)$' "$T/soft16.plain" || fail "soft16: untraced run got $(cat "$T/soft16.plain")"
same lowered "$TOOL" count 16
grep -q '^count [1-9][0-9]* (Too many open files)$' "$T/lowered.plain" || fail "lowered: untraced run got $(cat "$T/lowered.plain")"
ok "descriptors as untraced: a daemon's stdio after close_range is 0 1 2; $(sed -n 's/^count \([0-9]*\).*/\1/p' "$T/soft16.plain") files under a limit of 16, set before the start or by the program"
