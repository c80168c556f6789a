#!/usr/bin/env bash
# fault_junkrings.sh — another user allowed into the trace (PROFTRACE_ALLOW_UIDS) plants 20,000
# junk *.ring files in rings/ while `proftrace collect` runs and a legitimate writer records. The
# collector looks at each junk file once (a per-user quota, names in a hash table), warns once for
# that user, not once per file, and keeps draining: the writer loses nothing. Before, the list of
# refused rings was searched linearly on every scan (O(n^2)): 96 % CPU and 90 % of the writer's
# events lost.
source "$(dirname "$0")/fault_lib.sh"
: "${PT_TESTS:?}"
JUNK_UID=4242 N=20000
D=$T/tr
PROFTRACE_ALLOW_UIDS=$JUNK_UID "$PROFTRACE" collect -o "$D" >"$T/env" 2>"$T/col.err" &
col=$!
PT_CLEANUP+=("kill -9 $col 2>/dev/null")
n=0
while ! grep -q "^PROFTRACE_DIR=" "$T/env" && [ $n -lt 600 ]; do sleep 0.05; n=$((n + 1)); done
grep -q "^PROFTRACE_DIR=$D\$" "$T/env" || fail "collect did not start: $(cat "$T/col.err")"
# The junk: empty files named like rings, owned by the other user from the moment they appear in
# rings/ (made and given away beside it, then moved in, as that user's own files would appear: a
# file the collector saw still ours would be looked at, and warned about, as ours).
mkdir "$T/junk"
python3 - "$T/junk" "$D/rings" $JUNK_UID $N <<'PY'
import os, sys
src, d, uid, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for i in range(n):
    name = "%d-1-%016x.ring" % (100000 + i, i)
    fd = os.open(os.path.join(src, name), os.O_WRONLY | os.O_CREAT, 0o600)
    os.fchown(fd, uid, uid)
    os.close(fd)
    os.rename(os.path.join(src, name), os.path.join(d, name))
PY
# The legitimate writer: 120 k events paced over about a second, into 8 MiB buffers.
PROFTRACE_DIR=$D "$PT_TESTS/tracer_tool_writer" --threads 2 --events 60000 --buf 8388608 \
    --sleep-every 2000 --sleep-us 10000 --results "$T/res"
n=0
while ls "$D/rings" | grep -v "^1[0-9]*-1-" | grep -q '\.ring$' && [ $n -lt 600 ]; do
    sleep 0.1
    n=$((n + 1))
done
kill -TERM $col
wait $col || fail "collect exited $?: $(cat "$T/col.err")"
find "$D/rings" -user $JUNK_UID -delete # what the readers would make of them is not tested here
"$PT_TESTS/tracer_tool_check" --no-lost "$D" "$T/res" >"$T/check" 2>&1 ||
    fail "the writer's events: $(tail -5 "$T/check")"
warnings=$(grep -c "uid $JUNK_UID" "$T/col.err" || true)
[ "$warnings" = 1 ] || fail "$warnings warnings about uid $JUNK_UID (want 1): $(head -5 "$T/col.err")"
grep -q "$N files in .*rings were not taken" "$T/col.err" ||
    fail "collect does not say how many files it refused: $(cat "$T/col.err")"
ok "$N junk rings of uid $JUNK_UID: one warning, the writer lost nothing ($(tail -1 "$T/check"))"
