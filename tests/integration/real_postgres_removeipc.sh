#!/usr/bin/env bash
# real_postgres_removeipc.sh — PostgreSQL 15 (dynamic_shared_memory_type = posix) run by a user of
# its own under `proftrace record`; then a clean-up in ANOTHER login session (a process that wrote
# /proc/self/loginuid, as a login does) does what systemd-logind's RemoveIPC does when a user's
# last session ends: removes every POSIX shared-memory object and SysV segment that user owns,
# checking nothing. The server runs on; each new connection then fails with "could not open shared
# memory segment" (a new backend attaches the statistics area's segment by name). The report must
# say, for that segment: deleted-while-held, posix-shm, cause no-liveness-check, the deleter the
# untraced clean-up in the other login session, the holders PostgreSQL's processes, and as victims
# the new backends' failing shm_open (ENOENT) — processes other than the holders; for the server's
# SysV segment: deleted-while-held (by someone the kernel does not name). The clean-up is narrowed to the test's
# own user, so servers of parallel tests are untouched.
source "$(dirname "$0")/fault_lib.sh"
source "$(dirname "$0")/user_lib.sh"
export PROFTRACE_ALLOW_UIDS # the server's user: its rings are written and read
PGBIN=/usr/lib/postgresql/15/bin
need_postgres "$PGBIN"
command -v jq >/dev/null || fail "jq is not installed"
# The user's SysV segments, from the kernel's table (ipcs cuts long user names).
sysv_of() { awk -v u="$1" 'NR > 1 && $8 == u { print $2 }' /proc/sysvipc/shm; }
as_pg() { as_user "$@"; }
rec=
D=$T/pg
# Undone in this order, before the user goes (pt_user_add's own clean-up comes last).
PT_CLEANUP+=('[ -f "$D/data/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$D/data" -m immediate -w stop >/dev/null 2>&1')
PT_CLEANUP+=('exec 7>&- 8<&- 2>/dev/null; [ -n "$rec" ] && kill "$rec" 2>/dev/null; wait 2>/dev/null')
PT_CLEANUP+=('find /dev/shm -maxdepth 1 -user "$PT_UID" -delete 2>/dev/null')
PT_CLEANUP+=('for id in $(sysv_of "$PT_UID"); do ipcrm -m "$id"; done')
pt_user_add
PROFTRACE_ALLOW_UIDS=$PT_USER
chmod 0755 "$T"
port=$((20000 + ($$ + 7919) % 20000))
mkdir -p "$D/sock"
chown -R "$PT_UID:$PT_GID" "$D"
as_pg "$PGBIN/initdb" -D "$D/data" -A trust --no-sync -U postgres >"$T/initdb.log" 2>&1 ||
    fail "initdb: $(tail -3 "$T/initdb.log")"
cat >>"$D/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$D/sock'
dynamic_shared_memory_type = posix
fsync = off
CONF
"$PROFTRACE" record -o "$T/tr" -- \
    setpriv --reuid="$PT_UID" --regid="$PT_GID" --clear-groups \
    "$PGBIN/postgres" -D "$D/data" >"$T/server.log" 2>&1 &
rec=$!
psql() { as_pg "$PGBIN/psql" -X -q -A -t -h "$D/sock" -p "$port" -U postgres -d postgres "$@"; }
for _ in $(seq 600); do
    as_pg "$PGBIN/pg_isready" -q -h "$D/sock" -p "$port" && break
    sleep 0.1
done
[ "$(psql -c 'select count(*) > 0 from pg_stat_database')" = t ] ||
    fail "the server does not answer: $(tail -5 "$T/server.log")"
# Its segments in use: the control segment and the statistics area's, mapped by its processes (a
# segment no process maps any more may be there too: removing it harms nobody).
mapfile -t segs < <(for pid in $(pgrep -u "$PT_UID"); do
    grep -o '/dev/shm/PostgreSQL\.[0-9]*' "/proc/$pid/maps" 2>/dev/null || true
done | sort -u)
[ "${#segs[@]}" -ge 2 ] || fail "expected the server's DSM segments in use, found: ${segs[*]}"
sysv=$(sysv_of "$PT_UID")
[ -n "$sysv" ] || fail "no SysV segment of the server"

# The clean-up, untraced, in a new audit session (loginuid written, as a login does), doing
# RemoveIPC's work for that user the way systemd-logind does, in a process that lives on: every
# POSIX shared-memory object and SysV segment the user owns is removed, nothing checked.
cat >"$T/removeipc.py" <<'PY'
import ctypes, os, stat, sys
uid = int(sys.argv[1])
with open("/proc/self/loginuid", "w") as f:
    f.write(str(uid))
for name in os.listdir("/dev/shm"):
    try:  # what others remove meanwhile (tests run in parallel) is skipped, as logind does
        st = os.lstat("/dev/shm/" + name)
        if st.st_uid == uid and stat.S_ISREG(st.st_mode):
            os.unlink("/dev/shm/" + name)
    except FileNotFoundError:
        pass
libc = ctypes.CDLL(None, use_errno=True)
with open("/proc/sysvipc/shm") as f:
    for line in f.readlines()[1:]:
        col = line.split()
        if int(col[7]) == uid and libc.shmctl(int(col[1]), 0, None) != 0:  # IPC_RMID
            sys.exit("shmctl(%s, IPC_RMID): %s" % (col[1], os.strerror(ctypes.get_errno())))
print("removed", flush=True)
sys.stdin.read()  # lives on until told, as the daemon does
PY
mkfifo "$T/cin" "$T/cout"
env -u LD_PRELOAD -u PROFTRACE_DIR /usr/bin/python3 "$T/removeipc.py" "$PT_UID" <"$T/cin" >"$T/cout" &
cleaner=$!
exec 7>"$T/cin" 8<"$T/cout"
IFS= read -r -t 60 line <&8 || fail "the clean-up failed"
[ "$line" = removed ] || fail "the clean-up: $line"
[ -z "$(find /dev/shm -maxdepth 1 -user "$PT_UID")" ] || fail "the clean-up left segments"
# The witness records each removal; wait for them before the victims come.
for s in "${segs[@]}"; do
    n=0
    until "$PROFTRACE" events --kind witnessed "$T/tr" 2>/dev/null | grep -qF "path=\"$s\""; do
        n=$((n + 1)); [ $n -lt 200 ] || fail "the removal of $s was never witnessed"
        sleep 0.05
    done
done
exec 7>&- 8<&-
wait "$cleaner" || fail "the clean-up exited with $?"
# New connections fail: each new backend attaches the statistics area's segment by name.
for i in 1 2; do
    if psql -c 'select 1' >"$T/victim$i.out" 2>&1; then
        fail "connection $i still works after the clean-up"
    fi
    grep -q 'could not open shared memory segment "/PostgreSQL\.[0-9]*": No such file or directory' \
        "$T/victim$i.out" || fail "connection $i: $(cat "$T/victim$i.out")"
done
victim=$(grep -o '/PostgreSQL\.[0-9]*' "$T/victim1.out" | head -1)
as_pg "$PGBIN/pg_ctl" -D "$D/data" -m fast -w stop >/dev/null || fail "pg_ctl stop failed"
# The server exits 1: its own removal of its segments fails at shutdown (it logs "could not
# remove shared memory segment"), which record passes on.
rc=0
wait "$rec" || rc=$?
rec=
[ "$rc" -le 1 ] || fail "record exited with $rc: $(tail -5 "$T/server.log")"

"$PROFTRACE" report --json "$T/tr" >"$T/r.json" 2>"$T/r.err" || [ $? = 1 ] ||
    fail "report: $(cat "$T/r.err")"
"$PROFTRACE" report "$T/tr" >"$T/r.txt" 2>&1 || true
f() { jq -e "$@" "$T/r.json" >/dev/null || { cat "$T/r.txt" >&2; fail "report: $*"; }; }
# The statistics segment: its removal, its holders, its victims in new backends.
f --arg p "/dev/shm${victim}" --argjson uid "$PT_UID" '[.findings[] | select(
    .rule == "deleted-while-held" and .resource.kind == "posix-shm" and .resource.name == $p
    and .cause == "no-liveness-check" and .deleter.witnessed == true
    and (.deleter.exe | test("/python3[.0-9]*$")) and .deleter.loginuid == $uid
    and (.holders | length) >= 1 and all(.holders[]; .exe | endswith("/postgres"))
    and ([.victims[] | select(.call == "shm_open" and (.error | endswith("ENOENT"))
          and .holder != true)] | length) >= 2)] | length == 1'
# Every segment the clean-up removed is a finding of its own; the SysV segment's removal too (no
# kernel report names who removes a SysV segment: unattributed), held by the server's processes —
# the postmaster, and the children it forked, which hold its attachment without a shmat of their
# own — even when the scan of the segment table that notices the removal comes after the server
# shut down (pg_ctl stop is quick: the removal is dated the scan before, which saw it intact);
# nothing else.
for s in "${segs[@]}"; do
    f --arg p "$s" '[.findings[] | select(.resource.name == $p and .rule == "deleted-while-held"
        and .cause == "no-liveness-check")] | length == 1'
done
f --argjson id "$sysv" '[.findings[] | select(.resource.kind == "sysv-shm"
    and .resource.identity.shmid == $id and .rule == "deleted-while-held"
    and .cause == "no-liveness-check" and (.holders | length) >= 2
    and all(.holders[]; .exe | endswith("/postgres"))
    and any(.holders[]; .inherited_from != null))] | length == 1'
f --argjson n "$((${#segs[@]} + 1))" '.findings | length == $n'
ok "PostgreSQL: RemoveIPC-style clean-up in another login session: ${#segs[@]} POSIX segments and SysV $sysv reported deleted-while-held (no-liveness-check, the clean-up witnessed); $victim's victims: new backends' shm_open ENOENT"
