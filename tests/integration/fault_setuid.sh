#!/usr/bin/env bash
# fault_setuid.sh — a traced program execs a setuid binary: the binary runs exactly as untraced
# (its output says which ids it ran with), the shim never writes a trace with its privileges
# (AT_SECURE: no ring, no event from it; its parent's `untraced` event names it before the exec),
# and the rest of the process tree is traced on. Also
# `proftrace record` refuses a setuid program given directly, saying so (not silently untraced).
source "$(dirname "$0")/fault_lib.sh"
mkdir -m 0755 "$T/bin"
chmod 0755 "$T"
cp /usr/bin/id "$T/bin/suid-id"
chown 65534:65534 "$T/bin/suid-id"
chmod 4755 "$T/bin/suid-id"
# A mount with nosuid would make this test meaningless: check the bit takes effect.
"$T/bin/suid-id" -u | grep -qx 65534 || fail "setuid bit has no effect under $T (nosuid mount?)"
script=(bash -c 'echo before; "$1" ; echo "after $?"; rm -f /nonexistent-pt-suid' _ "$T/bin/suid-id")
traced_vs_plain suid "${script[@]}"
grep -q "euid=65534" "$T/suid.out" || fail "the setuid binary did not run with its owner's euid"
np=$(grep -c '\] process(' "$T/suid.events" || true)
grep -q '\] process(.*exe="[^"]*suid-id"' "$T/suid.events" && fail "the setuid process wrote a trace"
grep -q 'untraced(pid=[1-9][0-9]*, exe="[^"]*suid-id", reason="runs set-user-ID' "$T/suid.events" ||
    fail "the trace does not say the setuid process went untraced"
[ -z "$(find "$T/suid" -user 65534)" ] || fail "a file of the setuid user's in the trace"
grep -q '\] unlink' "$T/suid.events" || true
grep -q 'rm -f /nonexistent-pt-suid' "$T/suid.events" || fail "the process tree after the exec is not traced"
ok "setuid exec: runs as untraced, writes nothing ($np processes traced around it)"
set +e
"$PROFTRACE" record -o "$T/direct" -- "$T/bin/suid-id" >"$T/direct.out" 2>"$T/direct.err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "record of a setuid program exited $rc"
grep -q "cannot be traced" "$T/direct.err" || fail "record did not say why: $(cat "$T/direct.err")"
ok "record refuses a setuid program with a reason"
