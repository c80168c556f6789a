#!/usr/bin/env bash
# bug2-session.sh — bug 2 of the case: the service logs on to its temporary profile and marks it
# for deletion; a client of the SAME account starts in ANOTHER login session (as root: a new
# audit session, by writing /proc/self/loginuid before exec; otherwise WINSIM_SESSION). Its
# MAPIInitialize maps a different session-local in-use list, sees nobody using the marked
# profile, and purges it: the service's next OpenMsgStore fails with MAPI_E_CALL_FAILED.
# Fails under MAPISIM_FIXES=none and sid; the global fix (Global\ in-use list) prevents it.
# bug2-static.sh and bug2-symbolic.sh set bug2_variant and source this file: the same story with
# that variant's service and client. Run directly, this is the dynamic variant whatever the
# environment holds.
[ "${BASH_SOURCE[0]}" = "$0" ] && bug2_variant=
source "$(dirname "$0")/lib.sh"
if [ -n "${bug2_variant:-}" ]; then
    scenario_init "bug2-$bug2_variant"
    eventsvc_bin=$bin/eventsvc-$bug2_variant
    client_bin=$bin/mapiclient-$bug2_variant
    if [ ! -x "$eventsvc_bin" ] || [ ! -x "$client_bin" ]; then
        echo "scenario: no eventsvc-$bug2_variant/mapiclient-$bug2_variant in $bin (build first)" >&2
        exit 2
    fi
else
    scenario_init bug2-session
    client_bin=$bin/mapiclient
fi

start_service
request "Weekly status meeting"

own=$(cat /proc/self/sessionid)
[ "$own" = 4294967295 ] && own=0
say "client: same account, another login session"
client sh -c 'if ! { echo 1000 >/proc/self/loginuid; } 2>/dev/null; then
                  export WINSIM_SESSION=$1
              fi
              shift; exec "$@"' sh "$((own + 1))" "$client_bin"

request "Budget review"
stop_service
verdict
