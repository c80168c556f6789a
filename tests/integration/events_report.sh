#!/usr/bin/env bash
# events_report.sh — `proftrace events` agrees with `proftrace report` on the bug2 scenario (a real
# service and client under `proftrace record`):
#   -k   under the delete the report names, the same stack, frame for frame (the same frames code:
#        proftrace's own frames dropped, inlined calls, file:line);
#   -r   the holder's logon, the delete and the victim's failure at the times report prints (+s
#        from the same start), and --since/--until given those times find those events.
source "$(dirname "$0")/events_lib.sh"
export PT_BUILD_DIR=$(dirname "$PT_BIN")
"$PROFTRACE" record -o "$T/t" -- bash "$PT_SRC/samples/scenarios/bug2-session.sh" >"$T/scn.out" 2>"$T/scn.err" ||
    fail "record: $(tail -5 "$T/scn.err")"
grep -q 'scenario: service FAILED (MAPI_E_CALL_FAILED)' "$T/scn.out" || fail "scenario: $(tail -3 "$T/scn.out")"
rc=0
"$PROFTRACE" report "$T/t" >"$T/report" 2>&1 || rc=$?
[ $rc = 1 ] || fail "report: exit $rc: $(head -5 "$T/report")"

# report's story: who held (+s), who deleted (+s, pid), who failed (+s)
H=$(grep -m1 -E '^ +\+[0-9.]+s  pid [0-9]+ \(eventsvc\) MAPILogonEx\(' "$T/report" | awk '{print $1}')
read -r D DPID < <(grep -m1 -E ': deleted it$' "$T/report" | awk '{print $1, $3}')
V=$(grep -m1 -E '^ +\+[0-9.]+s  pid [0-9]+ \(eventsvc\) IMAPISession_OpenMsgStore -> 0x80004005' "$T/report" | awk '{print $1}')
[ -n "$H" ] && [ -n "$D" ] && [ -n "$V" ] || fail "report's times: holder '$H' delete '$D' victim '$V': $(head -8 "$T/report")"
grep -F "$D  pid $DPID (mapiclient) MAPIInitialize > RegDeleteTreeA(" "$T/report" | grep -qF '> unlinkat(' ||
    fail "the delete is not the client's unlinkat: $(grep 'deleted it' "$T/report")"

ev() { "$PROFTRACE" events -r "$@" "$T/t"; }
at() { # at TIME ARGS: the event lines events -r prints at TIME
    ev --since "$1" --until "$1" "${@:2}"
}
at "$H" --name MAPILogonEx | grep -qE "^ +\\$H \[[0-9]+ eventsvc\] MAPILogonEx\(" || fail "no MAPILogonEx at $H: $(ev --name MAPILogonEx)"
at "$D" --pid "$DPID" --name unlinkat | grep -qE "^ +\\$D \[$DPID mapiclient\] +unlinkat\(.*AT_REMOVEDIR\) = 0" ||
    fail "no unlinkat at $D: $(ev --pid "$DPID" --name unlinkat)"
at "$V" --failed --name OpenMsgStore | grep -qE "^ +\\$V \[[0-9]+ eventsvc\] IMAPISession_OpenMsgStore\(.*MAPI_E_CALL_FAILED" ||
    fail "no failing OpenMsgStore at $V: $(ev --failed --name OpenMsgStore)"
ok "-r: logon $H, delete $D, failure $V, as report prints them"

# -k: the delete's stack under it, as report's "stack of the delete"
sed -n '/^  stack of the delete (pid /,/^  [^ ]/p' "$T/report" | grep -E '^      #[0-9]' >"$T/report.stack"
[ "$(wc -l <"$T/report.stack")" -ge 4 ] || fail "report's stack: $(cat "$T/report.stack")"
at "$D" --pid "$DPID" --name unlinkat -k >"$T/events.k"
head -n1 "$T/events.k" | grep -q 'unlinkat(' || fail "events -k: $(head -3 "$T/events.k")"
sed 1d "$T/events.k" >"$T/events.stack"
diff "$T/report.stack" "$T/events.stack" >&2 || fail "events -k and report show the delete's stack differently"
grep -qE '#[0-9]+ +0x[0-9a-f]+ delete_key\+0x[0-9a-f]+ \(libwinsim.so\) .*reg_delete.c:[0-9]+$' "$T/events.stack" &&
    grep -qE ' MAPIInitialize\+0x[0-9a-f]+ \(libmapisim.so\) .*init.c:[0-9]+$' "$T/events.stack" &&
    ! grep -q 'libproftrace' "$T/events.stack" || fail "events -k: not symbolized as expected: $(cat "$T/events.stack")"
# an event without a stack gets none
"$PROFTRACE" events -k --name RegCloseKey "$T/t" | grep -qE '^      #' && fail "a stack under an event that recorded none"
ok "-k: the delete's $(wc -l <"$T/events.stack") frames exactly as report shows them"
