#!/usr/bin/env bash
# attach_exec.sh — what an attached process executes is not traced, and the report says so: a shell
# attached with `record -p` runs a program (fork, then exec in the child); the fork child is
# traced, the program it executes is not, and `report` (text and --json) lists it as not traced,
# with the attach as the reason — not as a program that cannot be traced, nor silently.
source "$(dirname "$0")/attach_lib.sh"
if [ -n "${PT_PRELOAD_FIRST:-}" ]; then # (SKIP_RETURN_CODE 77)
    echo "skipped: a sanitizer build's shim cannot be attached to bash, started without its runtime"
    exit 77
fi

mkfifo "$T/in" "$T/out"
bash -c 'echo ready; while read -r l; do /bin/true "$l"; echo ran; done' <"$T/in" >"$T/out" &
P=$!
PIDS+=($P)
exec 3>"$T/in" 4<"$T/out"
read_line 4 ready

"$PROFTRACE" record -p $P -o "$T/tr" 2>"$T/rec.err" &
REC=$!
wait_grep "$T/rec.err" "^proftrace: attached to $P "
echo "$NS" >&3
read_line 4 ran
kill -INT $REC
wait $REC || fail "record -p exited with $?"
grep -q "^proftrace: detached from $P " "$T/rec.err" || fail "no detach line"
exec 3>&-
wait $P || fail "the shell failed"

"$PROFTRACE" events "$T/tr" >"$T/ev" || fail "events"
child=$(sed -n "s/.*process(pid=\([0-9]*\), ppid=$P,.*/\1/p" "$T/ev" | head -1)
[ -n "$child" ] || fail "the fork child is not traced"
grep -q "\[$child[/ ][^]]*\] execve(\"/bin/true\"" "$T/ev" || fail "the child's exec is not recorded"
grep -q "process(pid=$child, .*exe=\"[^\"]*true\"" "$T/ev" && fail "the program the child executed is traced"

set +e
"$PROFTRACE" report --no-symbols "$T/tr" >"$T/report.txt" 2>"$T/report.err"
rc=$?
set -e
[ $rc = 0 ] || fail "report exited with $rc"
grep -q "^  not traced: pid $child (/[^)]*true): started by a process proftrace attached to" \
    "$T/report.txt" || fail "the report does not list the executed program: $(cat "$T/report.txt")"
"$PROFTRACE" report --json --no-symbols "$T/tr" >"$T/report.json" || true
python3 - "$T/report.json" "$child" <<'EOF' || fail "summary.untraced"
import json, sys
u = json.load(open(sys.argv[1]))["summary"]["untraced"]
assert any(e["pid"] == int(sys.argv[2]) and e["exe"].endswith("true")
           and "attached" in e["reason"] for e in u), u
EOF
echo "ok: the fork child ($child) traced, the program it executed listed as not traced"
