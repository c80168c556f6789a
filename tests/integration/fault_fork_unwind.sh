#!/usr/bin/env bash
# fault_fork_unwind.sh — 200 forks while four other threads take stacks all the time (default
# PROFTRACE_STACKS: every failed call gets one). No child may hang: the shim must never hold the
# dynamic loader's lock, or any lock, across a fork (a child once hung forever in dl_iterate_phdr
# on a lock an unwinding parent thread held at the fork). The tool waits for each child on a
# pidfd, bounded, and each child calls dl_iterate_phdr itself as an untraced child may. Output and
# status are those of the untraced run, every child is in the trace with a stack of its own, and
# the trace reads back without damage.
source "$(dirname "$0")/fault_lib.sh"
TOOL=$PT_TESTS/fault_tool_forkstorm
FORKS=200
"$TOOL" $FORKS 4 >"$T/plain.out" 2>"$T/plain.err" || fail "untraced run: $(cat "$T/plain.out" "$T/plain.err")"
"$PROFTRACE" record -o "$T/tr" -- "$TOOL" $FORKS 4 >"$T/tr.out" 2>"$T/tr.err" ||
    fail "traced run: $(cat "$T/tr.out"; grep -v '^proftrace: [0-9]* processes' "$T/tr.err" | head -5)"
cmp -s "$T/plain.out" "$T/tr.out" || fail "output differs: $(cat "$T/tr.out")"
"$PROFTRACE" events "$T/tr" >"$T/tr.events" 2>"$T/tr.events.err"
[ ! -s "$T/tr.events.err" ] || fail "damage: $(head -3 "$T/tr.events.err")"
# Every child recorded its own process event and its failing unlink with a stack.
parent=$(grep -m1 ' process(' "$T/tr.events" | sed -E 's/.* process\(pid=([0-9]+).*/\1/')
nchild=$(grep -c " process(pid=[0-9]*, ppid=$parent," "$T/tr.events" || true)
[ "$nchild" -eq $FORKS ] || fail "$nchild of $FORKS children recorded"
"$PT_TESTS/debug_trace_dump" "$T/tr" >"$T/dump" 2>"$T/dump.err" || fail "dump: $(head -3 "$T/dump.err")"
withstack=$(awk -v p="$parent" '$3 == "unlink" && $2 !~ "^"p"/" && / #[0-9a-f]+/ {split($2, a, "/"); s[a[1]] = 1} END {print length(s)}' "$T/dump")
[ "$withstack" -eq $FORKS ] || fail "$withstack of $FORKS children have an unlink with a stack"
ok "$FORKS forks under 4 unwinding threads: no child hung, each traced with its stack"
