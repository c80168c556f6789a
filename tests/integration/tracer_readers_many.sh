#!/usr/bin/env bash
# tracer_readers_many.sh — a trace of 10,000 stream files (10,000 processes, made by copying one
# real stream file under new names and pids, not by running 10,000 processes) read under the
# default descriptor limit: every event of every file is read, nothing is called damage, exit 0.
# Readers keep a bounded number of files open and reopen the others when they read them.
source "$(dirname "$0")/tracer_lib.sh"
N=10000
pt_record -o "$T/one" -- /bin/true >/dev/null 2>&1 || fail "record /bin/true"
stream=$(cd "$T/one" && ls | grep '_[0-9]*$' | head -1)
[ -n "$stream" ] || fail "record wrote no stream file"
mkdir "$T/many"
cp "$T/one/metadata" "$T/many/"
# N copies, each with its own name and pid (packet header: pid at byte 60 of each packet)
python3 - "$T/one/$stream" "$T/many" $N <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read()
for i in range(int(sys.argv[3])):
    b = bytearray(data)
    off = 0
    while off + 68 <= len(b):
        psize = struct.unpack_from("<Q", b, off + 36)[0] // 8
        struct.pack_into("<I", b, off + 60, 1000000 + i)
        off += psize if psize else len(b)
    open("%s/%d-1-%016x_0" % (sys.argv[2], 1000000 + i, i << 12), "wb").write(bytes(b))
PY
[ "$(ls "$T/many" | wc -l)" = $((N + 1)) ] || fail "generator wrote $(ls "$T/many" | wc -l) files"
ulimit -n 1024
rc=0
"$PROFTRACE" events "$T/many" >"$T/events.out" 2>"$T/events.err" || rc=$?
[ $rc = 0 ] || fail "events: exit $rc: $(head -3 "$T/events.err")"
[ ! -s "$T/events.err" ] || fail "events complained: $(sort "$T/events.err" | uniq -c | head -3)"
got=$(wc -l <"$T/events.out")
want=$(($("$PROFTRACE" events --count "$T/one" 2>/dev/null) * N))
[ "$got" = "$want" ] || fail "events: $got events, the $N files hold $want"
echo "ok   events: $got events of $N stream files, ulimit -n 1024"
rc=0
"$PROFTRACE" report --no-symbols "$T/many" >"$T/report.out" 2>"$T/report.err" || rc=$?
[ $rc = 0 ] || [ $rc = 1 ] || fail "report: exit $rc: $(head -3 "$T/report.err")"
[ ! -s "$T/report.err" ] || fail "report complained: $(head -3 "$T/report.err")"
grep -q "summary: $N processes, $want events, 0 lost" "$T/report.out" ||
    fail "report: $(grep summary "$T/report.out")"
echo "ok   report: $N processes, $want events, no damage"
echo "PASS"
