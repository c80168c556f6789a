#!/usr/bin/env bash
# fault_thread_churn.sh — many short-lived threads making traced calls at every stage of their life
# (body, pthread_exit from a nested function, detached, pthread key destructors that run after the
# shim gave the thread's buffer back, a second destructor round) while two other threads fork in a
# loop and each child makes traced calls too: the shape of a long CPython
# test_multiprocessing_forkserver run that once left damaged records in the main process's stream
# files. Few, small thread buffers force buffers to change hands all the time. The reader must
# report no damage, the program's output must be that of the untraced run, and no call may be
# dropped silently: unlinks recorded + events counted lost >= unlinks made (lost also counts other
# events, so the check is an inequality); none may be recorded that were not made.
# Stacks are on (the default: every failed call gets one), so the children are forked while other
# threads unwind: a lock held by an unwinding thread at a fork would hang the child.
source "$(dirname "$0")/fault_lib.sh"
TOOL=$PT_TESTS/fault_tool_churn
"$TOOL" 1 "$T/plain.res" >"$T/plain.out"
PROFTRACE_THREADS=8 PROFTRACE_BUFSIZE=1m \
    "$PROFTRACE" record -o "$T/tr" -- "$TOOL" 3 "$T/tr.res" >"$T/tr.out" 2>"$T/tr.err" ||
    fail "record: $(cat "$T/tr.err")"
cmp -s "$T/plain.out" "$T/tr.out" || fail "output differs: $(cat "$T/tr.out")"
"$PROFTRACE" events "$T/tr" >"$T/tr.events" 2>"$T/tr.events.err"
[ ! -s "$T/tr.events.err" ] || fail "damage ($(wc -l <"$T/tr.events.err") complaints): $(head -3 "$T/tr.events.err")"
read -r _ calls _ children <"$T/tr.res"
made=$((calls + 3 * children))
nu=$(grep -c '\] *unlink(' "$T/tr.events" || true)
nl=$(lost_sum "$T/tr.events")
[ "$children" -gt 0 ] || fail "no child was forked"
[ "$nu" -le "$made" ] || fail "$nu unlinks recorded, more than the $made made"
[ $((nu + nl)) -ge "$made" ] || fail "$((made - nu - nl)) of $made unlinks neither recorded nor counted lost"
"$PT_TESTS/debug_trace_dump" "$T/tr" >/dev/null 2>"$T/dump.err" || fail "dump: $(head -3 "$T/dump.err")"
ok "$calls calls in the main process, $children children: $nu of $made unlinks recorded, $nl events lost, no damage"
