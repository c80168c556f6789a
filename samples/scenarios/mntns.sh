#!/usr/bin/env bash
# mntns.sh — the Linux form of the bug that neither fix covers: a client of the same account, in
# the same login session, but in another mount namespace with a private /dev/shm. Every name
# matches, Global\ included, yet its in-use list is another object; it shares the hive, so its
# MAPIInitialize purges the service's marked profile. Fails under every MAPISIM_FIXES level.
source "$(dirname "$0")/lib.sh"
require_root "unshare -m"
scenario_init mntns

start_service
request "Weekly status meeting"

say "client: same account and session, own mount namespace with a private /dev/shm"
client unshare -m sh -c 'mount -t tmpfs -o mode=1777 winsim-private-shm /dev/shm && exec "$0"' \
    "$bin/mapiclient"

request "Budget review"
stop_service
verdict
