#!/usr/bin/env bash
# bug2-static.sh — bug2-session.sh with the profile library linked statically into the service and the client (eventsvc-static,
# mapiclient-static: libmapisim.a + libwinsim.a, libc dynamic). Interposition sees none of the
# profile library's calls into itself; the shim's inline hooks must.
# Same story, same verdict: fails under MAPISIM_FIXES=none and sid; the global fix prevents it.
source "$(dirname "$0")/lib.sh"
scenario_init bug2-static
eventsvc_bin=$bin/eventsvc-static
client_bin=$bin/mapiclient-static
if [ ! -x "$eventsvc_bin" ] || [ ! -x "$client_bin" ]; then
    echo "scenario: no eventsvc-static/mapiclient-static in $bin (build first)" >&2
    exit 2
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
