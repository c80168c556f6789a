#!/usr/bin/env bash
# real_containers.sh — two containers made with unshare (each its own mount, pid and IPC
# namespaces, its own /dev/shm, as container runtimes give them) share one profile store: the
# sample library's hive, a directory bind-mounted into both (at a different path in each). The
# first runs the Event Script service (samples/eventsvc: logs on to its profile, which it marks for
# deletion at once, as the real service did); the second runs an Outlook-like client
# (samples/mapiclient) whose MAPIInitialize sweeps marked profiles its in-use list does not show —
# its own /dev/shm's list, empty — and so deletes the service's profile across the container
# boundary. Both are traced by one `proftrace collect`, whose trace directory both containers see.
# The report must have the cross-namespace-purge finding with cause kernel-namespace-split: the
# deleter mapiclient (in its pid namespace: pid 1), the holder eventsvc, mount, pid and IPC
# namespaces differing, the service's failing OpenMsgStore (MAPI_E_CALL_FAILED) as victim, and no
# other finding.
source "$(dirname "$0")/fault_lib.sh"
command -v jq >/dev/null || fail "jq is not installed"
command -v unshare >/dev/null || fail "unshare is not installed"
bin=$PT_BIN
col= svc=
PT_CLEANUP+=('exec 3>&- 4<&- 2>/dev/null; [ -n "$svc" ] && kill -KILL "$svc" 2>/dev/null; wait 2>/dev/null')
PT_CLEANUP+=('[ -n "$col" ] && kill "$col" 2>/dev/null; wait 2>/dev/null')
NS=ctr$$r$RANDOM
PROFILE=EventScript-$NS
mkdir -p "$T/store" "$T/a/hive" "$T/b/hive"
"$PROFTRACE" collect -o "$T/tr" >"$T/collect.env" 2>"$T/collect.err" &
col=$!
n=0
until grep -q '^PROFTRACE_DIR=' "$T/collect.env"; do
    n=$((n + 1)); [ $n -lt 600 ] || fail "collect did not start: $(cat "$T/collect.err")"
    sleep 0.05
done
grep -q "will not be seen" "$T/collect.err" && fail "the witness did not start: $(cat "$T/collect.err")"
mapfile -t traced < <(grep -E '^(LD_PRELOAD|PROFTRACE_DIR)=' "$T/collect.env")
# container NAME CMD...: CMD as pid 1 of new mount, pid and IPC namespaces with a /dev/shm of its
# own, the store bind-mounted at $T/NAME/hive, traced by the collector.
container() {
    local name=$1
    shift
    unshare --mount --pid --ipc --fork --mount-proc --propagation private sh -c '
        mount -t tmpfs -o mode=1777 ptcontainer-shm /dev/shm && mount --bind "$1" "$2" &&
        shift 2 && exec "$@"' sh "$T/store" "$T/$name/hive" \
        env "${traced[@]}" WINSIM_NAMESPACE="$NS" WINSIM_HIVE_ROOT="$T/$name/hive" MAPISIM_FIXES=all "$@"
}
mkfifo "$T/svc.in" "$T/svc.out"
container a "$bin/eventsvc" --profile "$PROFILE" <"$T/svc.in" >"$T/svc.out" 2>"$T/svc.err" &
svc=$!
exec 3>"$T/svc.in" 4<"$T/svc.out"
line() { IFS= read -r -t 60 line <&4 || fail "the service stopped answering: $(cat "$T/svc.err")"; }
line
case $line in "eventsvc: ready"*) ;; *) fail "service: $line" ;; esac
echo "Weekly status meeting" >&3
line
case $line in "eventsvc: processed"*) ;; *) fail "first request: $line" ;; esac
container b "$bin/mapiclient" >"$T/client.out" 2>&1 || fail "client: $(cat "$T/client.out")"
[ ! -e "$(find "$T/store" -type d -name "$PROFILE" | head -1)" ] ||
    fail "the client's MAPIInitialize did not purge $PROFILE"
echo "Budget review" >&3
line
case $line in "A fatal error (0x80004005)"*) ;; *) fail "the service did not fail: $line" ;; esac
exec 3>&-
cat <&4 >/dev/null
exec 4<&-
wait "$svc" || fail "service exited with $?: $(cat "$T/svc.err")"
svc=
kill -INT "$col"
wait "$col" || fail "collect exited with $?: $(cat "$T/collect.err")"
col=
"$PROFTRACE" report --json "$T/tr" >"$T/r.json" 2>"$T/r.err" || [ $? = 1 ] ||
    fail "report: $(cat "$T/r.err")"
f() { jq -e "$@" "$T/r.json" >/dev/null || { "$PROFTRACE" report "$T/tr" >&2; fail "report: $*"; }; }
f --arg p "$PROFILE" '[.findings[] | select(.rule == "cross-namespace-purge"
    and .cause == "kernel-namespace-split" and .resource.name == $p
    and (.deleter.exe | endswith("/mapiclient")) and .deleter.pid == 1 and .deleter.api == "RegDeleteTreeA"
    and (.holder.exe | endswith("/eventsvc")) and .holder.pid == 1
    and .deleter.namespaces.mnt != .holder.namespaces.mnt
    and .deleter.namespaces.pid != .holder.namespaces.pid
    and .deleter.namespaces.ipc != .holder.namespaces.ipc
    and .victim.call == "IMAPISession_OpenMsgStore" and (.victim.error | contains("MAPI_E_CALL_FAILED")))]
    | length == 1'
f '.findings | length == 1'
ok "two unshare containers sharing a bind-mounted hive: the client's MAPIInitialize purged the service's profile across the boundary; reported cross-namespace-purge, kernel-namespace-split, victim OpenMsgStore MAPI_E_CALL_FAILED"
