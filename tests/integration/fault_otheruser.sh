#!/usr/bin/env bash
# fault_otheruser.sh — a traced process runs under another user (a root service that drops to
# nobody before exec, as daemons do). By default the trace stays private: the process runs exactly
# as without tracing, the shim says once on stderr that it cannot write there, and nothing of that
# user's reaches the trace. With PROFTRACE_ALLOW_UIDS=nobody the process writes its ring, the
# collector takes it, and its events (uid 65534) are in the trace. Also a process that changes user
# after its ring exists (setuid in the process: impersonation) keeps being traced.
source "$(dirname "$0")/fault_lib.sh"
chmod 0755 "$T"
mkdir -m 0777 "$T/scratch"
work=(bash -c 'echo x >"$1/f.$$"; rm "$1/f.$$"; id -u; echo done' _ "$T/scratch")
drop=(setpriv --reuid=65534 --regid=65534 --clear-groups)
"${drop[@]}" "${work[@]}" >"$T/plain.out" 2>"$T/plain.err"
set +e
"$PROFTRACE" record -o "$T/priv" -- "${drop[@]}" "${work[@]}" >"$T/priv.out" 2>"$T/priv.err"
rc=$?
set -e
[ "$rc" = 0 ] || fail "record exited $rc"
cmp -s "$T/plain.out" "$T/priv.out" || fail "output differs"
grep -q "^proftrace: .*tracing off, the program continues" "$T/priv.err" ||
    fail "no notice: $(cat "$T/priv.err")"
"$PROFTRACE" events "$T/priv" >"$T/priv.events" 2>&1
grep -q "process(pid=[0-9]*, ppid=[0-9]*, global_pid=[0-9]*, start_time=[0-9]*, uid=65534," "$T/priv.events" && fail "nobody's events reached a private trace"
grep -q 'exe="/usr/bin/setpriv"' "$T/priv.events" || fail "setpriv (still root) not traced"
ok "private trace: nobody's process runs unchanged, notice on stderr, nothing of it recorded"

PROFTRACE_ALLOW_UIDS=nobody "$PROFTRACE" record -o "$T/open" -- "${drop[@]}" "${work[@]}" \
    >"$T/open.out" 2>"$T/open.err"
cmp -s "$T/plain.out" "$T/open.out" || fail "allowed: output differs"
grep -v '^proftrace: [0-9]* processes' "$T/open.err" >"$T/open.err.own" || true
[ ! -s "$T/open.err.own" ] || fail "allowed: stderr: $(cat "$T/open.err.own")"
"$PROFTRACE" events "$T/open" >"$T/open.events" 2>"$T/open.events.err"
grep -q "process(pid=[0-9]*, ppid=[0-9]*, global_pid=[0-9]*, start_time=[0-9]*, uid=65534," "$T/open.events" || fail "allowed: nobody's process missing"
grep -q "unlink" "$T/open.events" || fail "allowed: nobody's rm missing"
[ -z "$(find "$T/open/rings" -type f)" ] || fail "allowed: rings left undrained"
ok "PROFTRACE_ALLOW_UIDS=nobody: nobody's processes traced and drained"

# Identity change inside a traced process (the ring already exists): tracing continues.
imp=(perl -e '$> = 65534; open(my $f, ">", $ARGV[0]) or die; close($f); unlink($ARGV[0]) or die;
               $> = 0; print "ok\n"' "$T/scratch/imp")
"${imp[@]}" >"$T/imp.plain" 2>&1
"$PROFTRACE" record -o "$T/imp3" -- "${imp[@]}" >"$T/imp.out" 2>"$T/imp.err"
cmp -s "$T/imp.plain" "$T/imp.out" || fail "impersonation: output differs"
"$PROFTRACE" events "$T/imp3" >"$T/imp3.events" 2>&1
grep -q "unlink(\"$T/scratch/imp\"" "$T/imp3.events" || fail "impersonation: call as euid 65534 not traced"
grep -q 'cred(.*euid=65534' "$T/imp3.events" || fail "impersonation: cred change not recorded"
ok "euid changed inside a traced process: its calls stay traced"
