#!/usr/bin/env bash
# bug1-impersonation.sh — bug 1 of the case: the service logs on to its temporary profile and marks
# it for deletion; a client in the same login session impersonates another account (nobody) and
# calls MAPIInitialize. Its HKCU is still the service's hive (impersonation does not load the other
# user's hive) but its in-use list is the other account's, which shows nothing in use, so it purges
# the marked profile: the service's next OpenMsgStore fails with MAPI_E_CALL_FAILED.
# Fails under MAPISIM_FIXES=none and global; the sid fix (per-account marks key) prevents it.
source "$(dirname "$0")/lib.sh"
require_root "impersonating another account"
scenario_init bug1-impersonation

# The shared hive must stay usable by the impersonated account, as it was in the case.
chmod 0755 "$work"
chmod 0777 "$WINSIM_HIVE_ROOT"
umask 000

start_service
request "Weekly status meeting"

user=${SCENARIO_USER:-nobody}
say "client: same login session, impersonating $user"
client "$bin/mapiclient" --impersonate "$user"

request "Budget review"
stop_service
verdict
