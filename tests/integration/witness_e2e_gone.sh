#!/usr/bin/env bash
# witness_e2e_gone.sh — the witness reads a deletion only after its holder let go: the recorder
# (collector and witness) is stopped (SIGSTOP) while an UNTRACED rm deletes what a traced holder
# holds, and the holder then closes one file and exits, which releases the rest; only then does
# the recorder go on. This is what a loaded machine does to the witness's thread now and then,
# made certain. By the time the reports are read the deleted files no longer exist, the holds
# tables show the holds ended (a withdrawn entry, a dead owner) and the holder's trace ends
# before the reports are read, yet every deletion of something held at that moment must be a
# deleted-while-held finding, witnessed, by that rm, with the holder's failed reopen as victim:
#   a.dat  open until the holder exits;
#   m      a POSIX shared-memory object (under /dev/shm), mapped until the holder exits;
#   c.dat  open, closed by the holder after the deletion (it goes on running until `end`).
# And what the holder had let go of before the deletion is no finding, and not witnessed:
#   b.dat  opened and closed before it (its hold is over when the tables are read: the witness
#          still notes it, and must not take its deletion for one of something held).
set -euo pipefail
source "$(dirname "$0")/witness_lib.sh"
witness_begin wgone
F=$(mktemp -d "/var/tmp/pt-wgone-files-XXXXXX")
M=/dev/shm/pt-wgone-$$-$RANDOM
witness_cleanup() { rm -rf "$F" "$M"; }
D=$T/tr
mkfifo "$T/in" "$T/out"
"$PROFTRACE" record -o "$D" -- "$PT_TESTS/witness_tool_open" <"$T/in" >"$T/out" 2>"$T/rec.err" &
rec=$!
exec 3>"$T/in" 4<"$T/out"
ask() { # ask COMMAND PATH ANSWER: one command to the holder and its answer
    echo "$1 $2" >&3
    IFS= read -r -t 60 line <&4 || fail "holder did not $1 $2"
    [ "$line" = "$3 $2" ] || fail "holder: $line"
}
# The witness marks this filesystem at the first hold on it: until a deletion there is seen.
n=0
while :; do
    probe=$F/probe.$n
    ask open "$probe" held
    "${UNTRACED[@]}" /usr/bin/rm "$probe"
    for _ in $(seq 20); do
        "$PROFTRACE" events --kind witnessed "$D" 2>/dev/null | grep -qF "path=\"$probe\"" && break 2
        sleep 0.05
    done
    n=$((n + 1)); [ $n -lt 20 ] || fail "the witness never watched $F"
done
holder=$(pgrep -P "$rec" -x witness_tool_op) || fail "no holder under the recorder"
ask open "$F/a.dat" held
ask map "$M" mapped
ask open "$F/b.dat" held
ask close "$F/b.dat" closed
ask open "$F/c.dat" held

# Stop the recorder, every thread of it (the witness's too), before the deletion.
kill -STOP "$rec"
stopped() {
    local s
    for s in /proc/"$rec"/task/*/stat; do
        [ "$(sed 's/.*) //' "$s" | cut -d' ' -f1)" = T ] || return 1
    done
}
n=0
until stopped; do n=$((n + 1)); [ $n -lt 600 ] || fail "the recorder did not stop"; sleep 0.01; done
"${UNTRACED[@]}" /usr/bin/rm "$F/a.dat" "$M" "$F/b.dat" "$F/c.dat" &
rm_pid=$!
wait $rm_pid || fail "rm failed"
ask close "$F/c.dat" closed
echo end >&3
exec 3>&-
: >"$T/victim"
while IFS= read -r -t 60 line <&4; do
    echo "$line" >>"$T/victim"
    case $line in "reopen $F/c.dat:"*) break ;; esac
done
exec 4<&-
# The holder has exited (a zombie: its parent, the recorder, is stopped): everything it held is
# let go. Only now may the witness read.
n=0
until [ "$(sed 's/.*) //' /proc/"$holder"/stat 2>/dev/null | cut -d' ' -f1)" = Z ]; do
    n=$((n + 1)); [ $n -lt 600 ] || fail "the holder did not exit"; sleep 0.01
done
kill -CONT "$rec"
wait $rec || fail "record failed"
rec=
for f in a.dat b.dat c.dat; do
    grep -qF "reopen $F/$f: failed (2)" "$T/victim" || fail "$f still reopens: $(cat "$T/victim")"
done
"$PROFTRACE" events --kind witnessed "$D" >"$T/witnessed"
"$PROFTRACE" report --json "$D" >"$T/r.json" || true
for p in "$F/a.dat" "$M" "$F/c.dat"; do
    jq -e --arg p "$p" --argjson rm "$rm_pid" '[.findings[] | select(.rule == "deleted-while-held"
        and .resource.name == $p and .deleter.witnessed == true and .deleter.pid == $rm
        and (.holder.exe | endswith("/witness_tool_open"))
        and (.victims | length) >= 1 and (.victims[0].error | endswith("ENOENT")))] | length == 1' \
        "$T/r.json" >/dev/null ||
        { "$PROFTRACE" report "$D" >&2 || true; cat "$T/witnessed" >&2
          fail "no witnessed deleted-while-held finding for $p, read after its holder let go"; }
done
! grep -qF "path=\"$F/b.dat\"" "$T/witnessed" ||
    fail "b.dat, let go of before its deletion, was witnessed as held: $(grep -F b.dat "$T/witnessed")"
jq -e --arg p "$F/b.dat" '[.findings[] | select(.resource.name == $p)] | length == 0' "$T/r.json" \
    >/dev/null || fail "a finding for b.dat, let go of before its deletion"
echo "ok: 3 deletions read after their holder let go (closed, unmapped by its exit, exited) are each a witnessed deleted-while-held finding; one of a file let go of before is none"
