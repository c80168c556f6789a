#!/usr/bin/env bash
# crashed-holder.sh — what trigger T3 is for: a client logs on to a profile of its own, marks it
# for deletion and is killed (SIGKILL, no logoff). The next MAPIInitialize in the same account and
# session sees the holder gone and deletes the profile — legitimate clean-up. The service's own
# marked profile is still held by a live process in the same in-use list, so it survives: nothing
# fails at any MAPISIM_FIXES level. Exits 1 if the dead holder's profile was not cleaned up.
source "$(dirname "$0")/lib.sh"
scenario_init crashed-holder

start_service
request "Weekly status meeting"

holder_profile=Holder-$WINSIM_NAMESPACE
mkfifo "$work/holder.in" "$work/holder.out"
# A simple command, so $! is the client itself (not a subshell around it).
"$bin/mapiclient" --logon "$holder_profile" --create --delete --hold \
    <"$work/holder.in" >"$work/holder.out" {svc_in}>&- {svc_out}<&- &
holder=$!
extra_pids+=("$holder")
exec {holder_in}>"$work/holder.in" {holder_out}<"$work/holder.out"
while IFS= read -r -t 60 line <&"$holder_out"; do
    echo "$line"
    [ "$line" = "mapiclient: holding" ] && break
done
[ "$line" = "mapiclient: holding" ] || { say "holder did not start" >&2; exit 1; }
[ -d "$profiles_dir/$holder_profile" ] || { say "holder's profile missing" >&2; exit 1; }

say "holder (pid $holder) killed while logged on to marked profile '$holder_profile'"
kill -KILL "$holder"
status=0
wait "$holder" 2>/dev/null || status=$?
extra_pids=()
exec {holder_in}>&- {holder_out}<&-
[ "$status" -eq 137 ] || { say "holder was not killed (status $status)" >&2; exit 1; }
[ -d "$profiles_dir/$holder_profile" ] || { say "holder's profile vanished early" >&2; exit 1; }

say "client: same account, same login session"
client "$bin/mapiclient"
if [ -d "$profiles_dir/$holder_profile" ]; then
    say "crashed holder's profile was NOT cleaned up" >&2
    exit 1
fi
say "crashed holder's profile cleaned up"

request "Budget review"
stop_service
verdict
