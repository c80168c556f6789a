#!/usr/bin/env bash
# analyzer_e2e_python.sh — victims in any process on a real program: CPython 3.11's
# multiprocessing.shared_memory with three processes under `proftrace record`. A creates a segment
# and keeps it mapped; B attaches it by name and leaves — and B's resource tracker, which took the
# segment for B's own, unlinks it when B is gone (CPython before 3.13 does this to every
# attacher), while A still maps it. C then attaches by name: FileNotFoundError. Expected, one
# finding: deleted-while-held, the tracker's shm_unlink, cause no-liveness-check (it consulted
# nothing), holder A (B had unmapped); victims C first (shm_open ENOENT, no holder), then A, whose
# own unlink() finds the segment already gone. A's own tracker retrying that unlink is no victim.
source "$(dirname "$0")/fault_lib.sh"
PY=/usr/bin/python3.11
[ -x "$PY" ] || fail "$PY is not installed: scripts/install-deps.sh"
name=pt_e2e_py_$(basename "$T" | cut -d. -f2)
PT_CLEANUP+=('rm -f "/dev/shm/$name"')

cat >"$T/run.sh" <<'RUN'
set -euo pipefail
cd "$WORK"
mkfifo a.in a.out
"$PY" -c '
import sys
from multiprocessing import shared_memory
m = shared_memory.SharedMemory(sys.argv[1], create=True, size=4096)
m.buf[0] = 1
print("created", flush=True)
sys.stdin.read()
m.close()
try:
    m.unlink()
    print("unlink: ok")
except FileNotFoundError as e:
    print("unlink:", type(e).__name__)
' "$NAME" <a.in >a.out &
echo $! >a.pid
exec {ai}>a.in {ao}<a.out
IFS= read -r -t 60 line <&"$ao"
[ "$line" = created ]
sh -c 'echo $$ >b.pid; exec "$@"' sh "$PY" -c '
import sys
from multiprocessing import shared_memory
m = shared_memory.SharedMemory(sys.argv[1])
m.close()
' "$NAME" {ai}>&- {ao}<&- 2>b.err
# B's resource tracker unlinks the segment once it sees B gone: wait for that (bounded: 60 s)
for _ in $(seq 600); do
    [ -e "/dev/shm/$NAME" ] || break
    sleep 0.1
done
[ ! -e "/dev/shm/$NAME" ]
sh -c 'echo $$ >c.pid; exec "$@"' sh "$PY" -c '
import sys
from multiprocessing import shared_memory
try:
    shared_memory.SharedMemory(sys.argv[1])
    print("attach: ok")
except FileNotFoundError as e:
    print("attach:", type(e).__name__)
' "$NAME" {ai}>&- {ao}<&- >c.out
exec {ai}>&-
cat <&"$ao" >a.res
wait "$(cat a.pid)"
RUN

mkdir "$T/work"
WORK=$T/work PY=$PY NAME=$name "$PROFTRACE" record -o "$T/trace" -- bash "$T/run.sh" \
    >"$T/run.log" 2>&1 || fail "the workload: $(tail -5 "$T/run.log")"
w=$T/work
grep -qx "attach: FileNotFoundError" "$w/c.out" || fail "C: $(cat "$w/c.out")"
grep -qx "unlink: FileNotFoundError" "$w/a.res" || fail "A: $(cat "$w/a.res")"
"$PROFTRACE" report --json "$T/trace" >"$T/r.json" 2>"$T/r.err" || true
[ ! -s "$T/r.err" ] || fail "report: $(head -3 "$T/r.err")"
a=$(cat "$w/a.pid") b=$(cat "$w/b.pid") c=$(cat "$w/c.pid")
jq -e --arg n "/$name" --argjson a "$a" --argjson b "$b" --argjson c "$c" '
    .findings | length == 1 and (.[0] |
        .rule == "deleted-while-held" and .resource.kind == "posix-shm" and .resource.name == $n
        and .cause == "no-liveness-check" and .deleter_check == "none"
        and .deleter.syscall == "shm_unlink" and (.deleter.exe | endswith("python3.11"))
        and (.deleter.pid as $d | [$a, $b, $c] | index($d) == null)
        and [.holders[].pid] == [$a]
        and [.victims[] | [.pid, .call, .error, .holder]]
            == [[$c, "shm_open", "-1 ENOENT", false], [$a, "shm_unlink", "-1 ENOENT", true]])' \
    "$T/r.json" >/dev/null || {
    "$PROFTRACE" report "$T/trace" >&2 || true
    fail "the report does not tell B's tracker's unlink with C and A its victims"
}
ok "CPython shared_memory: B's resource tracker unlinked A's segment (no-liveness-check);" \
    "C's attach and A's own unlink are its victims"
