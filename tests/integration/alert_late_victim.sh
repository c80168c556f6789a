#!/usr/bin/env bash
# alert_late_victim.sh — a finding whose victim comes after it was sent (the holder fails later
# than the 2 s a new finding waits for after its delete): `collect --on-finding` sends the finding
# without a victim, then once more, as an update with its victim (PROFTRACE_UPDATE=victim,
# "update":"victim" before the finding in the document, the message saying so); a collect
# started again on the directory sends neither again, and sends the finding of a new delete once.
source "$(dirname "$0")/rotate_lib.sh"
export OUT=$work/out
mkdir "$OUT"
# each delivery: a line "KIND DELETER_PID VICTIM?" and its document, named by kind and deleter
cmd='echo "${PROFTRACE_UPDATE:-new} $PROFTRACE_DELETER_PID ${PROFTRACE_VICTIM:+victim}" >>"$OUT/sent";
cat >"$OUT/doc.${PROFTRACE_UPDATE:-new}.$PROFTRACE_DELETER_PID";
echo "$PROFTRACE_MESSAGE" >"$OUT/msg.${PROFTRACE_UPDATE:-new}.$PROFTRACE_DELETER_PID"'
# wait_sent N: until N deliveries were made (the collector alive all along: 60 s at most)
wait_sent() {
    local i
    for ((i = 0; i < 1200; i++)); do
        [ "$(cat "$OUT/sent" 2>/dev/null | wc -l)" -ge "$1" ] && return 0
        kill -0 "$collector" 2>/dev/null || fail "collect ended: $(cat "$work"/col*.err)"
        sleep 0.05
    done
    fail "$1 deliveries awaited, $(wc -l <"$OUT/sent" 2>/dev/null) made: $(cat "$work"/col*.err)"
}
stop() {
    kill -TERM "$collector"
    wait "$collector" || fail "collect exited $?"
}
# sent_line N: the Nth delivery's line
sent_line() { sed -n "${1}p" "$OUT/sent"; }

collect_start col --on-finding "$cmd" --no-journal
hold_start "$prefix-a" 1
traced "$load" delete "$prefix-a" 1 || fail "delete"
echo >&3 # a sign of life after the delete: the holder runs on
wait_sent 1
read -r kind deleter victim <<<"$(sent_line 1)"
[ "$kind" = new ] && [ -z "$victim" ] || fail "first delivery: '$(sent_line 1)', want a new finding without a victim"
exec 3>&- # the holder's input ends: it opens the object again, which fails (its victim)
wait "$holder" || true
grep -q "reopen: No such file or directory" "$work/held" || fail "the holder's reopen did not fail"
wait_sent 2
[ "$(sent_line 2)" = "victim $deleter victim" ] ||
    fail "second delivery: '$(sent_line 2)', want the update of deleter $deleter's finding with its victim"
jq -e '.update == "victim" and (.finding.victims | length) >= 1 and .finding.rule == "deleted-while-held"' \
    "$OUT/doc.victim.$deleter" >/dev/null || fail "the update's document: $(head -c 600 "$OUT/doc.victim.$deleter")"
jq -e 'has("update") | not' "$OUT/doc.new.$deleter" >/dev/null || fail "the first document says update"
grep -q "^update (victim): deleted-while-held .*; then shm_open" "$OUT/msg.victim.$deleter" ||
    fail "the update's message: $(cat "$OUT/msg.victim.$deleter")"
stop
[ "$(wc -l <"$OUT/sent")" = 2 ] || fail "deliveries: $(cat "$OUT/sent")"
echo "ok: the finding sent without its victim, then its update with the victim"

# started again on the directory: a new finding (its victim in the 2 s) is sent, the first is not
rm -f "$work/go" "$work/held"
collect_start col2 --on-finding "$cmd" --no-journal
hold_start "$prefix-b" 1
traced "$load" delete "$prefix-b" 1 || fail "delete"
exec 3>&-
wait "$holder" || true
wait_sent 3
stop
read -r kind deleter2 victim <<<"$(sent_line 3)"
[ "$kind" = new ] && [ "$deleter2" != "$deleter" ] && [ "$victim" = victim ] ||
    fail "after the restart: '$(sent_line 3)', want the new finding with its victim"
[ "$(wc -l <"$OUT/sent")" = 3 ] || fail "after the restart, deliveries: $(cat "$OUT/sent")"
echo "ok: collect started again sends neither again, and the new finding once"

# A directory whose .announced a collector before `|victim` keys wrote (the keys of both findings,
# as they were sent, once each): started again, collect sends the first finding's victim, which
# came after it was sent and was never sent, and nothing for the second, whose victim came within
# the 2 s its first delivery waited for (it was in it).
grep -q "|victim$" "$work/T/.announced" || fail "no |victim key kept: $(cat "$work/T/.announced")"
sed -i '/|victim$/d' "$work/T/.announced"
collect_start col3 --on-finding "$cmd" --no-journal
wait_sent 4
stop
[ "$(sent_line 4)" = "victim $deleter victim" ] ||
    fail "after a restart on the older directory: '$(sent_line 4)', want the first finding's victim"
[ "$(wc -l <"$OUT/sent")" = 4 ] || fail "after a restart on the older directory, deliveries: $(cat "$OUT/sent")"
[ "$(grep -c "|victim$" "$work/T/.announced")" = 2 ] ||
    fail "the |victim keys not kept again: $(cat "$work/T/.announced")"
echo "ok: on a directory of the version before, the victim never sent is sent, the other not again"

# A collect that cannot keep what it sent (a directory where .announced goes): it says so once, and
# sends both findings again, as it said it might.
rm "$work/T/.announced"
mkdir "$work/T/.announced"
collect_start col4 --on-finding "$cmd" --no-journal
wait_sent 6
stop
[ "$(wc -l <"$OUT/sent")" = 6 ] || fail "deliveries without .announced: $(cat "$OUT/sent")"
grep -q "^proftrace collect: .*/\.announced: not a file of proftrace's; findings announced before may be announced again$" \
    "$work/col4.err" || fail "the unreadable .announced is not said: $(cat "$work/col4.err")"
[ "$(grep -c "\.announced: Is a directory: .*said once$" "$work/col4.err")" = 1 ] ||
    fail "the unwritable .announced is not said once: $(cat "$work/col4.err")"
echo "ok: a collect that cannot keep what it sent says so once"
