#!/usr/bin/env bash
# fixed.sh — both of the case's clients at once (impersonating another account AND in another
# login session) against a library with both fixes: the client's in-use list and marks key are its
# own account's, so it never sweeps the service's mark. Always runs with MAPISIM_FIXES=all (the
# point of the scenario); a different level in the environment is overridden and said so.
source "$(dirname "$0")/lib.sh"
require_root "impersonating another account"
if [ -n "${MAPISIM_FIXES:-}" ] && [ "$MAPISIM_FIXES" != all ]; then
    say "MAPISIM_FIXES=$MAPISIM_FIXES overridden: fixed.sh runs with all fixes"
fi
MAPISIM_FIXES=all
scenario_init fixed all

chmod 0755 "$work"
chmod 0777 "$WINSIM_HIVE_ROOT"
umask 000

start_service
request "Weekly status meeting"

own=$(cat /proc/self/sessionid)
[ "$own" = 4294967295 ] && own=0
user=${SCENARIO_USER:-nobody}
say "client: another login session, impersonating $user"
client sh -c 'if ! { echo 1000 >/proc/self/loginuid; } 2>/dev/null; then
                  export WINSIM_SESSION=$1
              fi
              shift; exec "$@"' sh "$((own + 1))" "$bin/mapiclient" --impersonate "$user"

say "client: same account, same login session"
client "$bin/mapiclient"

request "Budget review"
stop_service
verdict
