#!/usr/bin/env bash
# real_python_shm.sh — CPython's multiprocessing.shared_memory with three processes, under
# `proftrace record`: the first creates a segment and keeps it mapped; the second attaches it by
# name, uses it and exits — and its resource tracker (CPython 3.11 registers every attach, not only
# the creation) unlinks the segment at its exit as "leaked", while the first still maps it; the
# third then attaches by name and fails with FileNotFoundError. The report must have one
# deleted-while-held finding on the segment: the deleter the second process's resource tracker
# (traced: its shm_unlink, with its stack), cause no-liveness-check (it consulted nothing), the
# holder the first process, and as victims the third process's failing shm_open (ENOENT; not a
# holder) and the first process's own failing unlink at the end.
source "$(dirname "$0")/fault_lib.sh"
PY=/usr/bin/python3.11
[ -x "$PY" ] || fail "$PY is not installed"
command -v jq >/dev/null || fail "jq is not installed"
NAME=ptpy$$r$RANDOM
PT_CLEANUP+=('rm -f "/dev/shm/$NAME"')
cat >"$T/creator.py" <<'PY'
import os, sys
from multiprocessing import shared_memory
shm = shared_memory.SharedMemory(sys.argv[1], create=True, size=4096)
shm.buf[0] = 42
print("created", os.getpid(), flush=True)
sys.stdin.readline()  # keeps it mapped until told
shm.close()
try:
    shm.unlink()
    print("unlinked", flush=True)
except FileNotFoundError:
    print("already gone", flush=True)
PY
cat >"$T/user.py" <<'PY'
import sys
from multiprocessing import resource_tracker, shared_memory
shm = shared_memory.SharedMemory(sys.argv[1])
print("read", shm.buf[0], "tracker", resource_tracker._resource_tracker._pid, flush=True)
shm.close()  # and exits: its resource tracker cleans up what it registered
PY
cat >"$T/victim.py" <<'PY'
import os, sys
from multiprocessing import shared_memory
try:
    shared_memory.SharedMemory(sys.argv[1])
    print("attached", flush=True)
except FileNotFoundError as e:
    print("FileNotFoundError", e.errno, os.getpid(), flush=True)
PY
cat >"$T/scenario.sh" <<'SH'
set -eu
PY=$1 T=$2 NAME=$3
mkfifo "$T/in" "$T/out"
"$PY" "$T/creator.py" "$NAME" <"$T/in" >"$T/out" &
creator=$!
exec 3>"$T/in" 4<"$T/out"
IFS= read -r line <&4
echo "creator: $line"
"$PY" "$T/user.py" "$NAME" 2>"$T/user.err"
# its resource tracker unlinks once the user is gone: wait for the segment to go
n=0
while [ -e "/dev/shm/$NAME" ]; do n=$((n + 1)); [ $n -lt 600 ] || exit 3; sleep 0.05; done
"$PY" "$T/victim.py" "$NAME"
echo end >&3
IFS= read -r line <&4
echo "creator: $line"
wait "$creator"
SH
"$PROFTRACE" record -o "$T/tr" -- bash "$T/scenario.sh" "$PY" "$T" "$NAME" >"$T/run.out" 2>"$T/run.err" ||
    fail "scenario: $(cat "$T/run.out" "$T/run.err")"
creator=$(sed -n 's/^creator: created //p' "$T/run.out")
tracker=$(sed -n 's/^read 42 tracker //p' "$T/run.out")
victim=$(sed -n 's/^FileNotFoundError 2 //p' "$T/run.out")
sed -E 's/ tracker [0-9]+$//; s/^(creator: created|FileNotFoundError 2) [0-9]+$/\1/' "$T/run.out" | diff - <(printf '%s\n' \
    "creator: created" "read 42" "FileNotFoundError 2" "creator: already gone") ||
    fail "the scenario went otherwise: $(cat "$T/run.out")"
grep -q "leaked shared_memory" "$T/user.err" || fail "no resource tracker warning: $(cat "$T/user.err")"
"$PROFTRACE" report --json "$T/tr" >"$T/r.json" 2>"$T/r.err" || [ $? = 1 ] ||
    fail "report: $(cat "$T/r.err")"
f() { jq -e "$@" "$T/r.json" >/dev/null || { "$PROFTRACE" report "$T/tr" >&2; fail "report: $*"; }; }
f --arg p "/$NAME" --argjson c "$creator" --argjson t "$tracker" --argjson v "$victim" \
    '[.findings[] | select(.rule == "deleted-while-held"
    and .resource.kind == "posix-shm" and .resource.name == $p and .cause == "no-liveness-check"
    and .deleter.witnessed == false and .deleter.call == "shm_unlink" and .deleter.pid == $t
    and (.holders | length) == 1 and .holder.pid == $c
    and ([.victims[] | select(.pid == $v and .call == "shm_open" and (.error | endswith("ENOENT"))
          and .holder == false)] | length) == 1
    and ([.victims[] | select(.pid == $c and .call == "shm_unlink" and .holder == true)]
         | length) == 1)] | length == 1'
f '.findings | length == 1'
ok "CPython shared_memory, three processes: the second's resource tracker unlinked the first's segment; reported (tracker as deleter, no-liveness-check, creator as holder, the third's FileNotFoundError and the creator's own failing unlink as victims)"
