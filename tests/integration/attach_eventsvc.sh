#!/usr/bin/env bash
# attach_eventsvc.sh — the case, with proftrace attached after the fact: the Event Script service
# (samples/eventsvc) logs on to its profile and marks it for deletion before anything traces it;
# `proftrace collect --attach` attaches to it; a client started with collect's environment, in
# another login session, runs MAPIInitialize, sees nobody using the profile and purges it; the
# service's next request fails. The report has a cross-namespace-purge finding, cause
# session-namespace-split, whose holder is the attached service (its session found from the
# profile key it keeps open, held since before the attach) and whose victim is its failed call.
source "$(dirname "$0")/attach_lib.sh"
[ "$(id -u)" -eq 0 ] || fail "needs root (a new login session: /proc/self/loginuid)"
export WINSIM_HIVE_ROOT=$T/hives WINSIM_NAMESPACE=$NS MAPISIM_FIXES=none
unset WINSIM_SESSION
mkdir "$WINSIM_HIVE_ROOT"
PROFILE=EvAtt-$NS
mkfifo "$T/in" "$T/out"
env -u LD_PRELOAD -u PROFTRACE_DIR "$PT_BIN/eventsvc" --profile "$PROFILE" <"$T/in" >"$T/out" \
    2>"$T/svc.err" &
SVC=$!
PIDS+=($SVC)
exec 3>"$T/in" 4<"$T/out"
IFS= read -r -t 120 line <&4 || fail "the service did not start"
case $line in "eventsvc: ready"*) ;; *) fail "service: $line" ;; esac
echo "Weekly status meeting" >&3
IFS= read -r -t 120 line <&4 || fail "no answer"
case $line in "eventsvc: processed"*) ;; *) fail "service: $line" ;; esac
marks=$(find "$WINSIM_HIVE_ROOT" -path "*Deleted Profiles*/$PROFILE" | wc -l)
[ "$marks" -eq 1 ] || fail "the service did not mark its profile ($marks marks)"

"$PT_BIN/proftrace" collect -o "$T/tr" --attach $SVC >"$T/env" 2>"$T/col.err" &
COL=$!
PIDS+=($COL)
wait_grep "$T/col.err" "^proftrace: attached to $SVC ($PT_BIN/eventsvc)$"
grep -q "^PROFTRACE_DIR=$T/tr$" "$T/env" || fail "collect printed no environment"

# The client: collect's environment, another login session.
(
    set -a
    . "$T/env"
    set +a
    exec 3>&- 4<&-
    exec sh -c 'echo 1000 >/proc/self/loginuid && exec "$@"' client "$PT_BIN/mapiclient"
) >"$T/client.out" 2>"$T/client.err" || fail "client failed: $(cat "$T/client.err")"
echo "Budget review" >&3
IFS= read -r -t 120 line <&4 || fail "no answer"
case $line in "A fatal error (0x80004005)"*) ;; *) fail "the service did not fail: $line" ;; esac

kill -INT $COL
wait $COL || fail "collect exited with $?"
grep -q "^proftrace: detached from $SVC " "$T/col.err" || fail "collect did not detach the service"
echo "Third request" >&3 # it runs on, untraced
IFS= read -r -t 120 line <&4 || fail "the service stopped after the detach"
exec 3>&-
cat <&4 >/dev/null
exec 4<&-
wait $SVC || fail "the service failed after the detach"

"$PT_BIN/proftrace" report --json "$T/tr" >"$T/r.json" && fail "report found nothing"
"$PT_BIN/proftrace" report "$T/tr" >"$T/r.txt" || true
client=$(sed -n 's/.*MAPIInitialize ok (pid \([0-9]*\),.*/\1/p' "$T/client.out")
[ -n "$client" ] || fail "client said no pid: $(cat "$T/client.out")"
jq -e --argjson h $SVC --argjson d "$client" --arg p "$PROFILE" '[.findings[] |
    select(.rule == "cross-namespace-purge" and .cause == "session-namespace-split"
           and .resource.name == $p and .holder.pid == $h
           and (.holder.exe | endswith("/eventsvc")) and .holder.call == "held since before attach"
           and .deleter.pid == $d and (.deleter.exe | endswith("/mapiclient"))
           and .victim != null)] | length == 1' "$T/r.json" >/dev/null ||
    { cat "$T/r.txt" >&2; fail "no cross-namespace-purge / session-namespace-split naming the attached service"; }
echo "ok: the attached service's profile purged from another login session: cross-namespace-purge, session-namespace-split, victim linked"
