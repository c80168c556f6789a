#!/usr/bin/env bash
# fault_detach.sh — a traced program that closes every descriptor it has, and one that daemonizes
# (double fork, setsid, chdir /, closes everything): both behave as without the shim, their calls
# after the close are still recorded (the ring is a mapping, not a descriptor), and the shim never
# touches a descriptor number the program reused (a fork child's shim used to close the number the
# ring had, which by then was the program's own file). `proftrace record` follows the daemon.
source "$(dirname "$0")/fault_lib.sh"
K=300
"$TOOL" closefds $K "$T/plain.res" >"$T/plain.out"
"$PROFTRACE" record -o "$T/cf" -- "$TOOL" closefds $K "$T/cf.res" >"$T/cf.out" 2>"$T/cf.err"
cmp -s "$T/plain.out" "$T/cf.out" || fail "closefds: output differs"
cmp -s "$T/plain.res" "$T/cf.res" ||
    fail "closefds: results differ: $(cat "$T/plain.res") / $(cat "$T/cf.res")"
grep -q "child fds intact" "$T/cf.res" || fail "closefds: $(cat "$T/cf.res")"
"$PROFTRACE" events "$T/cf" >"$T/cf.events" 2>"$T/cf.events.err"
[ ! -s "$T/cf.events.err" ] || fail "closefds: damage: $(head -3 "$T/cf.events.err")"
nu=$(grep -c '\] unlink(' "$T/cf.events" || true)
np=$(grep -c '\] process(' "$T/cf.events" || true)
[ "$nu" = $((K + 5)) ] || fail "closefds: $nu unlinks recorded, want $((K + 5)) (parent after closing + child)"
[ "$np" = 2 ] || fail "closefds: $np processes"
ok "closed every descriptor: $nu calls after it recorded, fork child kept the program's descriptors"

"$TOOL" daemon $K "$T/dplain.res" >"$T/dplain.out"
for _ in $(seq 200); do [ -s "$T/dplain.res" ] && break; sleep 0.05; done
"$PROFTRACE" record -o "$T/dm" -- "$TOOL" daemon $K "$T/dm.res" >"$T/dm.out" 2>"$T/dm.err"
# record returns when every descendant is gone, the daemon included.
[ -s "$T/dm.res" ] || fail "daemon: record returned before the daemon finished"
cmp -s "$T/dplain.out" "$T/dm.out" || fail "daemon: output differs"
cmp -s "$T/dplain.res" "$T/dm.res" || fail "daemon: results differ: $(cat "$T/dm.res")"
"$PROFTRACE" events "$T/dm" >"$T/dm.events" 2>"$T/dm.events.err"
[ ! -s "$T/dm.events.err" ] || fail "daemon: damage: $(head -3 "$T/dm.events.err")"
np=$(grep -c '\] process(' "$T/dm.events" || true)
nu=$(grep -c '\] unlink(' "$T/dm.events" || true)
[ "$np" = 3 ] || fail "daemon: $np processes in the trace, want 3"
[ "$nu" = $K ] || fail "daemon: $nu unlinks, want $K"
grep -q "proftrace: 3 processes" "$T/dm.err" || fail "daemon: summary: $(cat "$T/dm.err")"
ok "daemonized: all 3 processes and the daemon's $nu calls after setsid/closing everything"

# A program started with stdin closed finds it closed: nothing the shim or its libraries keep
# (the ring's descriptor, the holds table) may take 0, 1 or 2.
stdin_probe=(bash -c 'exec 0<&-; exec /usr/bin/python3.11 -c "import os
try:
    os.fstat(0); print(\"stdin open\")
except OSError:
    print(\"stdin closed\")"')
traced_vs_plain stdin "${stdin_probe[@]}"
grep -qx "stdin closed" "$T/stdin.out" || fail "stdin: $(cat "$T/stdin.out")"
ok "started with stdin closed: still closed under the shim"
