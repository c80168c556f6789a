#!/usr/bin/env bash
# analyzer_e2e_postgres.sh — victims in any process on a real program: PostgreSQL 15 (Debian's)
# traced by `proftrace record`, its POSIX shared-memory segments removed under it by a logout-style
# clean-up (`rm` of the owner's /dev/shm objects, what logind's RemoveIPC does) in another login
# session. Expected, one finding per removed segment, each cause no-liveness-check:
#   * the postmaster's control segment: held (mapped) by the postmaster; its own "already gone"
#     shm_unlink at shutdown ("could not remove shared memory segment") is the victim;
#   * the segment every backend attaches at start: held by the backend of an open psql session;
#     a new connection's backend then fails ("could not open shared memory segment": shm_open
#     ENOENT) — a process that held nothing, linked as the victim with its own pid.
# Only this server's segments are removed (read from /proc/PID/maps), so a PostgreSQL of another
# test may run at the same time.
source "$(dirname "$0")/fault_lib.sh"
PGBIN=/usr/lib/postgresql/15/bin
need_postgres "$PGBIN"
[ "$(id -u)" -eq 0 ] || fail "needs root (a new login session via /proc/self/loginuid)"
chmod 0755 "$T"
port=$((40000 + $$ % 20000))
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
server= session=
PT_CLEANUP+=('[ -n "$session" ] && kill -KILL "$session" 2>/dev/null'
    '[ -n "$server" ] && as_pg "$PGBIN/pg_ctl" -D "$T/data" -m immediate -w stop >/dev/null 2>&1'
    '[ -n "$server" ] && kill -KILL "$server" 2>/dev/null'
    '[ -s "$T/segments" ] && xargs rm -f <"$T/segments"')
mkdir -p "$T/sock"
chown -R postgres: "$T"
as_pg "$PGBIN/initdb" -D "$T/data" -A trust --no-sync -U postgres >/dev/null
cat >>"$T/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$T/sock'
dynamic_shared_memory_type = posix
fsync = off
CONF
as_pg env PROFTRACE_BUFSIZE=4m "$PROFTRACE" record -o "$T/trace" -- \
    "$PGBIN/postgres" -D "$T/data" >"$T/server.log" 2>&1 &
server=$!
psql=(as_pg "$PGBIN/psql" -X -q -A -t -h "$T/sock" -p "$port" -U postgres -d postgres)
for _ in $(seq 600); do # wait for the server to accept connections (bounded: 60 s)
    as_pg "$PGBIN/pg_isready" -q -h "$T/sock" -p "$port" && break
    kill -0 "$server" 2>/dev/null || fail "the server did not start: $(tail -5 "$T/server.log")"
    sleep 0.1
done
postmaster=$(head -n1 "$T/data/postmaster.pid")

# An open session: its backend is up (and has attached what backends attach) once it answered.
mkfifo "$T/s.in" "$T/s.out"
"${psql[@]}" <"$T/s.in" >"$T/s.out" 2>&1 &
session=$!
exec {sin}>"$T/s.in" {sout}<"$T/s.out"
echo "select pg_backend_pid();" >&"$sin"
IFS= read -r -t 60 backend <&"$sout" || fail "the session did not answer"
[[ $backend =~ ^[0-9]+$ ]] || fail "the session answered: $backend"

# This server's segments, as its processes map them.
grep -ho '/dev/shm/PostgreSQL\.[0-9]*' "/proc/$postmaster/maps" "/proc/$backend/maps" |
    sort -u >"$T/segments"
[ "$(wc -l <"$T/segments")" -ge 2 ] ||
    fail "expected the control segment and the backends' one: $(cat "$T/segments")"
control=$(grep -ho '/dev/shm/PostgreSQL\.[0-9]*' "/proc/$postmaster/maps" | head -n1)
attached=$(grep -ho '/dev/shm/PostgreSQL\.[0-9]*' "/proc/$backend/maps" | grep -Fvx "$control" |
    head -n1)
[ -n "$control" ] && [ -n "$attached" ] || fail "segments: postmaster $control, backend $attached"

# The clean-up: another login session of the owner, traced into the same trace, removing them.
sh -c 'echo 1000 >/proc/self/loginuid; exec setpriv --reuid=postgres --regid=postgres \
    --init-groups env LD_PRELOAD="$1" PROFTRACE_DIR="$2" xargs rm -v' sh "$SHIM" "$T/trace" \
    <"$T/segments" >"$T/cleanup.log" 2>&1 || fail "clean-up: $(cat "$T/cleanup.log")"
n=$(wc -l <"$T/segments")
[ "$(grep -c "^removed '" "$T/cleanup.log")" = "$n" ] || fail "clean-up: $(cat "$T/cleanup.log")"

# A new connection: its backend cannot attach the removed segment.
if "${psql[@]}" -c 'select 1' >"$T/new.out" 2>&1; then
    fail "a new connection worked after the clean-up: $(cat "$T/new.out")"
fi
grep -q 'could not open shared memory segment' "$T/new.out" ||
    fail "new connection: $(cat "$T/new.out")"
exec {sin}>&-
cat <&"$sout" >/dev/null || true
exec {sout}<&-
wait "$session" || true
session=
as_pg "$PGBIN/pg_ctl" -D "$T/data" -m fast -w stop >/dev/null
wait "$server" || true # 1: "abnormal database system shutdown", after the backend that failed
server=
grep -q "could not remove shared memory segment \"/${control#/dev/shm/}\": No such file" \
    "$T/server.log" ||
    fail "the postmaster did not find its control segment gone: $(tail -5 "$T/server.log")"
: >"$T/segments" # removed by the clean-up, nothing left to remove

"$PROFTRACE" report --json "$T/trace" >"$T/r.json" 2>"$T/r.err" || true
[ ! -s "$T/r.err" ] || fail "report: $(head -3 "$T/r.err")"
check() { # check WHAT JQ-ARGS...: the JSON report satisfies them
    local what=$1
    shift
    jq -e "$@" "$T/r.json" >/dev/null || {
        "$PROFTRACE" report "$T/trace" >&2 || true
        fail "report: $what"
    }
}
check "one no-liveness-check finding per segment, the rm of another login session the deleter" \
    --argjson n "$n" '(.findings | length) == $n and all(.findings[];
    .rule == "deleted-while-held" and .cause == "no-liveness-check" and .deleter_check == "none"
    and .resource.kind == "posix-shm" and .deleter.exe == "/usr/bin/rm"
    and .deleter.session != .holder.session and (.why | test("another login session")))'
check "the control segment: held by the postmaster, its own shm_unlink the victim" \
    --arg seg "$control" --argjson p "$postmaster" '.findings[] | select(.resource.name == $seg)
    | .holder.pid == $p
    and ([.victims[] | select(.pid == $p and .call == "shm_unlink" and .error == "-1 ENOENT"
                              and .holder)] | length) == 1'
check "the backends' segment: held by the session's backend, a new backend's shm_open the victim" \
    --arg seg "$attached" --argjson b "$backend" '.findings[] | select(.resource.name == $seg)
    | ([.holders[].pid] | index($b)) != null
    and ([.victims[] | select(.call == "shm_open" and .error == "-1 ENOENT" and (.holder | not)
                              and (.exe | endswith("/postgres")))] | length) >= 1'
ok "PostgreSQL: $n segments removed by a clean-up in another login session, $n findings" \
    "(no-liveness-check); the postmaster's own shm_unlink and a new backend's shm_open linked" \
    "as victims"
