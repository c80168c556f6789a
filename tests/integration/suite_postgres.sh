#!/usr/bin/env bash
# suite_postgres.sh — PostgreSQL 15 from Debian under the shim, with and without: a throwaway
# cluster (initdb), the server traced by `proftrace record` (postmaster, backends, parallel workers:
# fork, SysV and POSIX shared memory, dynamic shared memory segments created and unlinked per
# parallel query), driven by its own pgbench (TPC-B with a fixed seed, one client: deterministic)
# and by parallel queries and integrity checks (amcheck). Every answer must be the same with and
# without the shim; the trace must hold the server's shm_open/shm_unlink calls, nothing lost.
# In CTest (about 10 s here); by hand:
#   PT_BIN=build/bin PT_LIB=build/lib PT_SRC=. PT_TESTS=build/tests bash tests/integration/suite_postgres.sh
source "$(dirname "$0")/fault_lib.sh"
PGBIN=/usr/lib/postgresql/15/bin
need_postgres "$PGBIN"
chmod 0755 "$T"
port=$((20000 + $$ % 20000))
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
server=
PT_CLEANUP+=('[ -n "$server" ] && kill -KILL "$server" 2>/dev/null')

# run MODE: a fresh cluster, the server plain or traced, the workload; answers into $T/MODE.out
run() {
    local mode=$1 d=$T/$1
    mkdir -p "$d/sock"
    chown -R postgres: "$d"
    as_pg "$PGBIN/initdb" -D "$d/data" -A trust --no-sync -U postgres >/dev/null
    cat >>"$d/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$d/sock'
dynamic_shared_memory_type = posix
max_parallel_workers_per_gather = 2
fsync = off
CONF
    if [ "$mode" = traced ]; then
        as_pg env PROFTRACE_BUFSIZE=4m "$PROFTRACE" record -o "$d/trace" -- \
            "$PGBIN/postgres" -D "$d/data" >"$d/server.log" 2>&1 &
    else
        as_pg "$PGBIN/postgres" -D "$d/data" >"$d/server.log" 2>&1 &
    fi
    server=$!
    for _ in $(seq 300); do
        as_pg "$PGBIN/pg_isready" -q -h "$d/sock" -p $port && break
        sleep 0.1
    done
    local sql=(as_pg "$PGBIN/psql" -X -q -A -t -h "$d/sock" -p $port -U postgres -d postgres)
    {
        as_pg "$PGBIN/pgbench" -q -i -s 4 -h "$d/sock" -p $port -U postgres postgres 2>&1 |
            grep -v 'done in\|elapsed\|remaining'
        as_pg "$PGBIN/pgbench" -n --random-seed=4711 -c 1 -t 2000 -h "$d/sock" -p $port \
            -U postgres postgres 2>&1 | grep -E 'processed|failed'
        "${sql[@]}" -c "select sum(abalance), sum(bbalance), sum(tbalance), count(*) from
                          pgbench_accounts, (select sum(bbalance) bbalance from pgbench_branches) b,
                          (select sum(tbalance) tbalance from pgbench_tellers) t
                        group by b.bbalance, t.tbalance"
        "${sql[@]}" -c "select sum(delta), count(*) from pgbench_history"
        for i in 1 2 3 4 5; do # parallel scans: a DSM segment created and unlinked each time
            "${sql[@]}" -c "set parallel_setup_cost = 0; set parallel_tuple_cost = 0;
                            set min_parallel_table_scan_size = 0;
                            select count(*), sum(aid) from pgbench_accounts where aid % $i = 0"
        done
        "${sql[@]}" -c "create extension amcheck" -c \
            "select count(*) from (select bt_index_check(c.oid, true) from pg_index i
                                   join pg_class c on c.oid = i.indexrelid
                                   join pg_am a on a.oid = c.relam where a.amname = 'btree') x"
    } >"$T/$mode.out" 2>&1
    as_pg "$PGBIN/pg_ctl" -D "$d/data" -m fast -w stop >/dev/null
    wait "$server" || fail "$mode: server or record exited with $?: $(tail -5 "$d/server.log")"
    server=
}
run plain
run traced
diff -u "$T/plain.out" "$T/traced.out" >&2 || fail "answers differ under the shim"
grep -q 'number of transactions actually processed: 2000/2000' "$T/traced.out" ||
    fail "pgbench: $(cat "$T/traced.out")"
[ "$(wc -l <"$T/traced.out")" -ge 10 ] || fail "workload answered too little: $(cat "$T/traced.out")"
"$PROFTRACE" events "$T/traced/trace" >"$T/events" 2>"$T/events.err" || true
[ ! -s "$T/events.err" ] || fail "damage: $(head -3 "$T/events.err")"
np=$(grep -c '\] process(' "$T/events" || true)
so=$(grep -c '\] shm_open(' "$T/events" || true)
su=$(grep -c '\] shm_unlink(' "$T/events" || true)
sv=$(grep -c '\] shmget(' "$T/events" || true)
l=$(lost_sum "$T/events")
[ "$su" -gt 0 ] || fail "no shm_unlink of a DSM segment in the trace"
[ "$l" = 0 ] || fail "$l events lost"
summary=$(grep '^proftrace: ' "$T/traced/server.log" | tail -1)
ok "PostgreSQL 15: same answers (pgbench 2000 tx, balances, parallel scans, amcheck); $np processes, $sv shmget, $so shm_open, $su shm_unlink traced, 0 lost ($summary)"
