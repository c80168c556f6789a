#!/usr/bin/env bash
# real_sqlite_wal.sh — sqlite3 in WAL mode under `proftrace record`: a live connection has
# committed a row (it lives in the -wal file until a checkpoint), then an UNTRACED clean-up
# removes the database's -wal and -shm files. A new connection no longer sees the committed row.
# The report must have two deleted-while-held findings, both told by the witnessed rm with cause
# no-liveness-check and the sqlite3 process as holder: the -wal as an open-file hold of class
# journal (the connection keeps it open read-write, it does not map it), the -shm as a mapped file
# (the WAL index, mapped and open). (The new connection made new -wal and -shm files, which the
# live connection removes when it closes: no failure follows.)
source "$(dirname "$0")/fault_lib.sh"
command -v sqlite3 >/dev/null || fail "sqlite3 is not installed"
command -v jq >/dev/null || fail "jq is not installed"
rec=
PT_CLEANUP+=('exec 3>&- 4<&- 2>/dev/null; [ -n "$rec" ] && kill "$rec" 2>/dev/null; wait 2>/dev/null')
DB=$T/app.db
mkfifo "$T/in" "$T/out"
"$PROFTRACE" record -o "$T/tr" -- sqlite3 "$DB" <"$T/in" >"$T/out" 2>"$T/rec.err" &
rec=$!
exec 3>"$T/in" 4<"$T/out"
ask() { # SQL: one line of answer
    echo "$1" >&3
    IFS= read -r -t 60 line <&4 || fail "sqlite3 did not answer: $1 ($(cat "$T/rec.err"))"
}
ask "PRAGMA journal_mode=WAL;"
[ "$line" = wal ] || fail "not in WAL mode: $line"
# Handshake: the witness watches this filesystem once the removal of a probe database the
# connection holds (attached, so open read-write) is seen.
witnessed() { "$PROFTRACE" events --kind witnessed "$T/tr" 2>/dev/null | grep -qF "path=\"$1\""; }
n=0
while :; do
    ask "attach '$T/probe$n.db' as p; create table p.x(y); select 'probe';"
    env -u LD_PRELOAD -u PROFTRACE_DIR rm "$T/probe$n.db"
    for _ in $(seq 20); do witnessed "$T/probe$n.db" && break 2; sleep 0.05; done
    ask "detach p; select 'next';"
    n=$((n + 1)); [ $n -lt 20 ] || fail "the witness never watched $T"
done
ask "detach p; select 'watched';"
ask "create table t(x); PRAGMA wal_checkpoint(TRUNCATE);" # the table in the database file
[ "$line" = "0|0|0" ] || fail "checkpoint: $line"
ask "insert into t values ('committed'); select count(*) from t;" # the row in the WAL only
[ "$line" = 1 ] || fail "insert: $line"
[ -f "$DB-wal" ] && [ -f "$DB-shm" ] || fail "no -wal and -shm files"
# The row is committed, in the WAL only: a second connection sees it, before the clean-up.
[ "$(env -u LD_PRELOAD sqlite3 "$DB" 'select count(*) from t')" = 1 ] ||
    fail "a second connection does not see the committed row"
env -u LD_PRELOAD -u PROFTRACE_DIR rm "$DB-wal" "$DB-shm" &
rm_pid=$!
wait "$rm_pid" || fail "rm failed"
# Once the witness has recorded both removals, the committed row is gone for a new connection.
for f in "$DB-wal" "$DB-shm"; do
    n=0
    until witnessed "$f"; do
        n=$((n + 1)); [ $n -lt 200 ] || fail "the removal of $f was never witnessed"
        sleep 0.05
    done
done
lost=$(env -u LD_PRELOAD sqlite3 "$DB" 'select count(*) from t' 2>&1 || true)
[ "$lost" = 0 ] || fail "a new connection: \"$lost\" rows, expected the committed row lost (0)"
ask "select count(*) from t;"
[ "$line" = 1 ] || fail "the live connection: $line"
exec 3>&- # .quit: the connection closes, checkpoints and removes its -wal and -shm itself
cat <&4 >/dev/null
exec 4<&-
wait "$rec" || fail "record: $(cat "$T/rec.err")"
rec=
"$PROFTRACE" report --json "$T/tr" >"$T/r.json" 2>"$T/r.err" || [ $? = 1 ] ||
    fail "report: $(cat "$T/r.err")"
f() { jq -e "$@" "$T/r.json" >/dev/null || { "$PROFTRACE" report "$T/tr" >&2; fail "report: $*"; }; }
# The deleter is rm by its pid (fanotify's); its name too, unless it exited before the witness read
# its identity (a busy machine: then "gone", and the exec cache may have missed it as well).
common='.rule == "deleted-while-held" and .cause == "no-liveness-check"
    and .deleter.witnessed == true and .deleter.pid == $rm
    and ((.deleter.exe // "/rm") | endswith("/rm"))
    and (.holders | length) == 1 and (.holder.exe | endswith("/sqlite3"))'
f --arg p "$DB-wal" --argjson rm "$rm_pid" "[.findings[] | select(.resource.name == \$p and .resource.kind == \"open-file\"
    and .resource.class == \"journal\" and (.holder.how | startswith(\"has it open for writing (O_RDWR\"))
    and .severity == \"high\" and $common)] | length == 1"
f --arg p "$DB-shm" --argjson rm "$rm_pid" "[.findings[] | select(.resource.name == \$p and .resource.kind == \"mapped-file\"
    and $common)] | length == 1"
f --arg p "$T/probe" '[.findings[] | select(.resource.name | startswith($p) | not)] | length == 2'
ok "sqlite3 WAL: -wal (open-file, journal, high) and -shm (mapped) removed under a live connection, the committed row lost to new connections: both reported (witnessed rm, no-liveness-check, the connection as holder)"
