#!/usr/bin/env bash
# fault_storms.sh — a fork storm and a thread storm under `proftrace record`: the program's output
# and exit status are those of the untraced run; every process is in the trace; every call is
# either read or counted lost, exactly (more threads than thread buffers: the rest is counted as
# lost for lack of a buffer, never dropped silently).
source "$(dirname "$0")/fault_lib.sh"
N=150 K=20
traced_vs_plain forks "$TOOL" forks $N $K
np=$(grep -c '\] process(.*exe="[^"]*fault_tool_load"' "$T/forks.events" || true)
nu=$(grep -c '\] unlink(' "$T/forks.events" || true)
nl=$(lost_sum "$T/forks.events")
[ "$np" = $((N + 1)) ] || fail "fork storm: $np processes in the trace, want $((N + 1))"
[ "$nl" = 0 ] || fail "fork storm: $nl events lost"
[ "$nu" = $((N * K)) ] || fail "fork storm: $nu unlinks, want $((N * K))"
grep -q "proftrace: $((N + 1)) processes" "$T/forks.err" || fail "summary: $(cat "$T/forks.err")"
ok "fork storm: $N children at once, all $np processes and $nu unlinks in the trace, 0 lost"

TH=40 K=200
export PROFTRACE_THREADS=8 # fewer buffers than threads
traced_vs_plain threads "$TOOL" threads $TH $K
unset PROFTRACE_THREADS
nu=$(grep -c '\] unlink(' "$T/threads.events" || true)
nl=$(lost_sum "$T/threads.events")
nt=$(grep -o '\] thread(tid=[0-9]*' "$T/threads.events" | sort -u | wc -l)
[ $((nu + nl)) = $((TH * K)) ] || fail "thread storm: $nu read + $nl lost != $((TH * K))"
ok "thread storm: $TH threads on 8 buffers: $nu unlinks read + $nl lost = $((TH * K)), $nt threads seen"
