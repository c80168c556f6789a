#!/usr/bin/env bash
# perm_tracedir.sh — the collector never adopts a trace directory another user controls, and never
# finds its files again by name. A real user made for the run (useradd):
# (1) creates the directory root is told to collect into, PROFTRACE_ALLOW_UIDS naming that user:
#     `collect` and `record` refuse it, saying whose it is, and write nothing into it;
# (2) owns a directory above the one root is told to use: refused (it could rename the trace
#     directory away and put its own, or a link, in its place);
# (3) while `record` runs, the trace directory is renamed away and a link to another directory
#     holding files named like the coming stream files is put in its place: the collector still
#     writes into the directory it opened, the other directory's files are untouched.
source "$(dirname "$0")/fault_lib.sh"
source "$(dirname "$0")/user_lib.sh"
pt_user_add
chmod 0755 "$T"

# ---- (1) a directory the other user made
mkdir "$T/theirs"
chown "$PT_UID:$PT_GID" "$T/theirs"
chmod 0777 "$T/theirs"
for cmd in collect record; do
    if [ $cmd = collect ]; then
        PROFTRACE_ALLOW_UIDS=$PT_USER timeout -s INT 20 "$PROFTRACE" collect -o "$T/theirs" \
            >"$T/c1.out" 2>"$T/c1.err" && rc=0 || rc=$?
    else
        PROFTRACE_ALLOW_UIDS=$PT_USER "$PROFTRACE" record -o "$T/theirs" -- true \
            >"$T/c1.out" 2>"$T/c1.err" && rc=0 || rc=$?
    fi
    [ $rc = 2 ] || fail "$cmd into $PT_USER's directory: exit status $rc: $(cat "$T/c1.err")"
    grep -q "$T/theirs: owned by uid $PT_UID, not by you (uid 0): refused" "$T/c1.err" ||
        fail "$cmd: no clear message: $(cat "$T/c1.err")"
    [ -z "$(ls -A "$T/theirs")" ] || fail "$cmd wrote into $PT_USER's directory: $(ls -A "$T/theirs")"
    [ ! -s "$T/c1.out" ] || fail "$cmd printed an environment for a refused directory"
done
ok "a directory $PT_USER created is refused by collect and record, nothing written"

# ---- (2) a directory inside one the other user owns
mkdir "$T/above"
chown "$PT_UID:$PT_GID" "$T/above"
PROFTRACE_ALLOW_UIDS=$PT_USER timeout -s INT 20 "$PROFTRACE" collect -o "$T/above/tr" \
    >/dev/null 2>"$T/c2.err" && rc=0 || rc=$?
[ $rc = 2 ] || fail "collect inside $PT_USER's directory: exit status $rc"
grep -q "refused, it is inside $T/above, owned by uid $PT_UID" "$T/c2.err" ||
    fail "no clear message: $(cat "$T/c2.err")"
[ ! -e "$T/above/tr" ] || fail "collect created $T/above/tr"
ok "a trace directory inside $PT_USER's directory is refused"

# ---- (3) the trace directory renamed and replaced by a link while record runs
mkdir -m 0700 "$T/safe" "$T/victim"
D=$T/safe/tr
mkfifo "$T/in" "$T/out"
"$PROFTRACE" record -o "$D" -- "$PT_TESTS/debug_holder" "$T/safe/held" <"$T/in" >"$T/out" 2>"$T/rec.err" &
rec=$!
PT_CLEANUP=("exec 3>&- 4<&-" "kill -KILL $rec; wait" "${PT_CLEANUP[@]}")
exec 3>"$T/in" 4<"$T/out"
IFS= read -r -t 60 line <&4 || fail "the traced program did not start: $(cat "$T/rec.err")"
rings=$(find "$D/rings" -name '*.ring' -printf '%f\n')
[ -n "$rings" ] || fail "no ring in $D/rings"
for r in $rings; do
    for s in 0 1 2 3 p; do echo precious >"$T/victim/${r%.ring}_$s"; done
done
mv "$D" "$T/safe/tr.moved"
ln -s "$T/victim" "$D"
echo go >&3
exec 3>&-
cat <&4 >/dev/null
exec 4<&-
wait $rec || fail "record failed: $(cat "$T/rec.err")"
PT_CLEANUP=("${PT_CLEANUP[@]:2}")
for f in "$T"/victim/*; do
    [ "$(cat "$f")" = precious ] || fail "the collector wrote through the link into $f"
done
[ "$(ls "$T/victim" | wc -l)" = "$(($(echo "$rings" | wc -w) * 5))" ] ||
    fail "the collector created files through the link: $(ls "$T/victim")"
"$PROFTRACE" events "$T/safe/tr.moved" >"$T/ev" 2>"$T/ev.err" || fail "events: $(cat "$T/ev.err")"
grep -q ' mmap(' "$T/ev" || fail "the program's events are not in the directory the collector opened"
ok "renamed and replaced by a link mid-run: streams went to the directory opened, $(wc -l <"$T/ev") events"
echo "perm_tracedir: ok"
