#!/usr/bin/env bash
# attach_eventsvc.sh — the case, with proftrace attached after the fact: the Event Script service
# (samples/eventsvc) logs on to its profile and marks it for deletion before anything traces it;
# `proftrace collect --attach` attaches to it; a client started with collect's environment, in
# another login session, runs MAPIInitialize, sees nobody using the profile and purges it; the
# service's next request fails. The report has a cross-namespace-purge finding, cause
# session-namespace-split, whose holder is the attached service (its session found from the
# profile key it keeps open, held since before the attach) and whose victim is its failed call.
# Twice: the service as built (libmapisim.so, reached by GOT rebinding), and eventsvc-static (the
# profile library linked in: reached by inline hooks only).
source "$(dirname "$0")/attach_lib.sh"
[ "$(id -u)" -eq 0 ] || fail "needs root (a new login session: /proc/self/loginuid)"
export MAPISIM_FIXES=none
unset WINSIM_SESSION

scenario() {
    local SVCBIN=$1 R=$T/$2
    mkdir "$R"
    export WINSIM_HIVE_ROOT=$R/hives WINSIM_NAMESPACE=$NS.$2
    mkdir "$WINSIM_HIVE_ROOT"
    PROFILE=EvAtt-$NS-$2
    mkfifo "$R/in" "$R/out"
    env -u LD_PRELOAD -u PROFTRACE_DIR "$SVCBIN" --profile "$PROFILE" <"$R/in" >"$R/out" \
        2>"$T/$2-svc.err" &
    SVC=$!
    PIDS+=($SVC)
    exec 3>"$R/in" 4<"$R/out"
    IFS= read -r -t 120 line <&4 || fail "the service did not start"
    case $line in "eventsvc: ready"*) ;; *) fail "service: $line" ;; esac
    echo "Weekly status meeting" >&3
    IFS= read -r -t 120 line <&4 || fail "no answer"
    case $line in "eventsvc: processed"*) ;; *) fail "service: $line" ;; esac
    marks=$(find "$WINSIM_HIVE_ROOT" -path "*Deleted Profiles*/$PROFILE" | wc -l)
    [ "$marks" -eq 1 ] || fail "the service did not mark its profile ($marks marks)"

    "$PT_BIN/proftrace" collect -o "$R/tr" --attach $SVC >"$R/env" 2>"$T/$2-col.err" &
    COL=$!
    PIDS+=($COL)
    wait_grep "$T/$2-col.err" "^proftrace: attached to $SVC ($SVCBIN)$"
    grep -q "^PROFTRACE_DIR=$R/tr$" "$R/env" || fail "collect printed no environment"

    # The client: collect's environment, another login session.
    (
        set -a
        . "$R/env"
        set +a
        exec 3>&- 4<&-
        exec sh -c 'echo 1000 >/proc/self/loginuid && exec "$@"' client "$PT_BIN/mapiclient"
    ) >"$R/client.out" 2>"$T/$2-client.err" || fail "client failed: $(cat "$T/$2-client.err")"
    echo "Budget review" >&3
    IFS= read -r -t 120 line <&4 || fail "no answer"
    case $line in "A fatal error (0x80004005)"*) ;; *) fail "the service did not fail: $line" ;; esac

    kill -INT $COL
    wait $COL || fail "collect exited with $?"
    grep -q "^proftrace: detached from $SVC " "$T/$2-col.err" || fail "collect did not detach the service"
    echo "Third request" >&3 # it runs on, untraced
    IFS= read -r -t 120 line <&4 || fail "the service stopped after the detach"
    exec 3>&-
    cat <&4 >/dev/null
    exec 4<&-
    wait $SVC || fail "the service failed after the detach"

    "$PT_BIN/proftrace" report --json "$R/tr" >"$R/r.json" && fail "report found nothing"
    "$PT_BIN/proftrace" report "$R/tr" >"$R/r.txt" || true
    client=$(sed -n 's/.*MAPIInitialize ok (pid \([0-9]*\),.*/\1/p' "$R/client.out")
    [ -n "$client" ] || fail "client said no pid: $(cat "$R/client.out")"
    jq -e --argjson h $SVC --argjson d "$client" --arg p "$PROFILE" --arg svc "$SVCBIN" '[.findings[] |
        select(.rule == "cross-namespace-purge" and .cause == "session-namespace-split"
               and .resource.name == $p and .holder.pid == $h
               and (.holder.exe == $svc) and .holder.call == "held since before attach"
               and .deleter.pid == $d and (.deleter.exe | endswith("/mapiclient"))
               and .victim != null)] | length == 1' "$R/r.json" >/dev/null ||
        { cat "$R/r.txt" >&2; fail "no cross-namespace-purge / session-namespace-split naming the attached service"; }
}

scenario "$PT_BIN/eventsvc" dyn
scenario "$PT_BIN/eventsvc-static" static
echo "ok: the attached service's profile purged from another login session: cross-namespace-purge, session-namespace-split, victim linked (dynamic and static profile library)"
