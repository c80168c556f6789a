#!/usr/bin/env bash
# alert_collect.sh — `proftrace collect --on-finding CMD` on a real bug2 run: CMD runs while
# collect still collects (the finding is delivered as it happens, not at collect's stop, and only
# once), reads the finding's JSON on its standard input (valid JSON, schema 2, the trace directory,
# and the finding as `report --json` gives it, but for how its processes ended, which came later)
# and has the main fields in its environment; its exit status 3 is said on stderr, before
# collect's closing line. A collect started again on the trace does not send it again, and sends
# the finding of a new run. A command that hangs is ended at its timeout and collect still ends.
# Options are checked: --journal where no journald listens is exit 2.
source "$(dirname "$0")/alert_lib.sh"
export OUT=$T/out
mkdir "$OUT"

start_collect col "$T/tr" --on-finding 'cat >"$OUT/json"; env >"$OUT/env"; echo >>"$OUT/ran"; exit 3' \
    --no-journal
run_bug2 col
# the command ran while collect still collects: wait for what it wrote, collect alive all along
until [ -s "$OUT/ran" ]; do
    kill -0 "$COL" 2>/dev/null || fail "collect ended before the finding was delivered"
    sleep 0.05
done
grep -q "^proftrace collect: finding: cross-namespace-purge" "$T/col.err" ||
    fail "collect did not say the finding while it ran: $(cat "$T/col.err")"
ok "the finding was delivered while collect ran"
stop_collect
[ "$(wc -l <"$OUT/ran")" = 1 ] || fail "the command ran $(wc -l <"$OUT/ran") times: the finding was delivered again"
dir=$(realpath "$T/tr")
[ -s "$OUT/json" ] || fail "the command read no JSON"
python3 -m json.tool "$OUT/json" >/dev/null || fail "not JSON: $(head -c 300 "$OUT/json")"
"$PROFTRACE" report --json "$T/tr" >"$T/report.json" || [ $? = 1 ] || fail "report"
# how the processes ended came after the delivery (the service stopped later): the rest is report's
jq -e --arg d "$dir" --slurpfile r "$T/report.json" \
    'def settled: del(.. | .ended?); .schema == 2 and .trace_dir == $d and
     (.finding | settled) == ($r[0].findings[0] | settled)' "$OUT/json" >/dev/null ||
    fail "the document is not report's finding: $(jq -c '{schema, trace_dir, rule: .finding.rule}' "$OUT/json")"
jq -e '.finding.rule == "cross-namespace-purge" and .finding.cause == "session-namespace-split"' \
    "$OUT/json" >/dev/null || fail "not the bug2 finding"
ok "--on-finding read the finding's JSON, equal to report --json's"

# env_is NAME VALUE: the command's environment had NAME=VALUE
env_is() {
    grep -qxF "$1=$2" "$OUT/env" || fail "environment: $1 is '$(grep "^$1=" "$OUT/env")', want '$2'"
}
j() { jq -r "$1" "$OUT/json"; }
env_is PROFTRACE_RULE cross-namespace-purge
env_is PROFTRACE_CAUSE session-namespace-split
env_is PROFTRACE_SEVERITY critical
env_is PROFTRACE_UNCERTAIN 0
env_is PROFTRACE_RESOURCE_KIND profile
env_is PROFTRACE_RESOURCE "$(j .finding.resource.name)"
env_is PROFTRACE_RESOURCE_IDENTITY "dev=$(j .finding.resource.identity.dev) ino=$(j .finding.resource.identity.ino)"
env_is PROFTRACE_DELETER_PID "$(j .finding.deleter.pid)"
env_is PROFTRACE_DELETER_EXE "$(j .finding.deleter.exe)"
env_is PROFTRACE_DELETER_CALL MAPIInitialize
env_is PROFTRACE_HOLDER_PID "$(j .finding.holder.pid)"
env_is PROFTRACE_HOLDER_EXE "$(j .finding.holder.exe)"
env_is PROFTRACE_VICTIM "IMAPISession_OpenMsgStore -> 0x80004005 MAPI_E_CALL_FAILED (RegQueryValueExA -> 1018 ERROR_KEY_DELETED)"
env_is PROFTRACE_TRACE_DIR "$dir"
grep -q "^PROFTRACE_MESSAGE=cross-namespace-purge (session-namespace-split, critical): profile \"$(j .finding.resource.name)\" deleted by pid $(j .finding.deleter.pid) (mapiclient, MAPIInitialize) while pid $(j .finding.holder.pid) (eventsvc) held it; then IMAPISession_OpenMsgStore" "$OUT/env" ||
    fail "PROFTRACE_MESSAGE: $(grep ^PROFTRACE_MESSAGE= "$OUT/env")"
grep -qxF "OUT=$OUT" "$OUT/env" || fail "collect's environment not inherited"
ok "the environment carries the finding's fields"

grep -q "^proftrace collect: --on-finding: finding 1 (cross-namespace-purge, profile \"EventScript-.*\"): failed, exit status 3$" "$T/col.err" ||
    fail "the failure is not said: $(cat "$T/col.err")"
grep -qx "proftrace collect: findings to --on-finding: 1 run (0 exit status 0, 1 failed, 0 timed out), 0 not" "$T/col.err" ||
    fail "no count of the runs: $(cat "$T/col.err")"
tail -1 "$T/col.err" | grep -q "^proftrace: [0-9]* processes, [0-9]* events, 0 lost" ||
    fail "collect's closing line is not its last: $(tail -2 "$T/col.err")"
! grep -q "journal" "$T/col.err" || fail "--no-journal, yet: $(grep journal "$T/col.err")"
ok "the command's exit status 3 said, collect's closing line last"

# collect started again on the same trace (not rotated): it reads the trace from its start, finds
# the finding again and does not send it again (the trace directory keeps what was sent); the
# finding of a new run is sent.
first=$(j .finding.deleter.pid)
cp -a "$T/tr" "$T/tr2" # for the hung command below, as it is now
start_collect again "$T/tr" --on-finding 'echo "$PROFTRACE_DELETER_PID" >>"$OUT/again"' --no-journal
run_bug2 again
until grep -qvx "$first" "$OUT/again" 2>/dev/null; do
    kill -0 "$COL" 2>/dev/null || fail "collect ended before the new finding was delivered"
    sleep 0.05
done
stop_collect
[ "$(cat "$OUT/again")" != "$first" ] && [ "$(wc -l <"$OUT/again")" = 1 ] ||
    fail "collect started again sent the deleters $(tr '\n' ' ' <"$OUT/again"), want only the new one (the first was $first)"
ok "collect started again sends what it sent before no more, and the new finding once"

# A command that never ends: collect ends anyway, the command and its group killed at the timeout.
# (On the copy of the trace made before, without what was sent: its finding is sent again.)
rm "$T/tr2/.announced"
start_collect hang "$T/tr2" --on-finding 'echo $$ >"$OUT/hang.pid"; sleep 100000; echo late >"$OUT/late"' \
    --on-finding-timeout 1 --no-journal
stop_collect
grep -q "finding 1 (cross-namespace-purge, .*): still running after 1 s: killed" "$T/hang.err" ||
    fail "the timeout is not said: $(cat "$T/hang.err")"
grep -qx "proftrace collect: findings to --on-finding: 1 run (0 exit status 0, 0 failed, 1 timed out), 0 not" "$T/hang.err" ||
    fail "no count: $(cat "$T/hang.err")"
pid=$(cat "$OUT/hang.pid")
[ ! -e "/proc/$pid" ] || [ "$(awk '{print $3}' "/proc/$pid/stat")" = Z ] || fail "the hung command $pid still runs"
[ ! -e "$OUT/late" ] || fail "the hung command went on"
ok "a hung command is ended at its timeout; collect exits 0"

# Options.
"$PROFTRACE" collect -o "$T/x" --on-finding '' >/dev/null 2>"$T/opt.err" && fail "--on-finding '' taken"
grep -q "collect: --on-finding wants a command" "$T/opt.err" || fail "$(cat "$T/opt.err")"
"$PROFTRACE" collect -o "$T/x" --on-finding-timeout 0 >/dev/null 2>"$T/opt.err" && fail "timeout 0 taken"
grep -q "collect: --on-finding-timeout wants a number from 1 to 86400, not '0'" "$T/opt.err" || fail "$(cat "$T/opt.err")"
# no journald (a /run/systemd of our own, in a private mount namespace): --journal refused
if unshare -m --propagation private true 2>/dev/null; then
    rc=0
    unshare -m --propagation private sh -c 'mount -t tmpfs pt-alert /run/systemd && exec "$@"' sh \
        "$PROFTRACE" collect -o "$T/nj" --journal >/dev/null 2>"$T/nj.err" || rc=$?
    [ $rc = 2 ] || fail "--journal without journald: exit $rc"
    grep -qx "proftrace collect: --journal: no journald listens at /run/systemd/journal/socket; run collect without --journal, or where journald runs" "$T/nj.err" ||
        fail "--journal without journald: $(cat "$T/nj.err")"
    [ ! -e "$T/nj" ] || [ -z "$(ls -A "$T/nj")" ] || fail "--journal refused, yet it collected"
    ok "--journal where no journald listens: exit 2, said"
else
    echo "note: no private mount namespace here; --journal without journald not checked"
fi
rm -f "$T"/opt.err "$T"/nj.err
