#!/usr/bin/env bash
# analyzer_e2e_inherit.sh — what a fork child inherits, on real processes under `proftrace record`:
# a parent maps a POSIX shared-memory object (MAP_SHARED) and attaches a SysV segment, forks a
# child that keeps both as it inherited them (it never maps or attaches them itself), then unmaps
# and detaches: only the child holds them. An untraced clean-up (rm, ipcrm) removes both. The
# report must have two deleted-while-held findings, posix-shm and sysv-shm, whose one holder is
# the child, inherited from the parent; the child's later reopen by name is the posix-shm's victim.
# Control: the parent itself removes what only its child inherited from it: no finding.
set -euo pipefail
source "$(dirname "$0")/witness_lib.sh"
witness_begin ae2e-inherit
NAME=pt-inherit-$$-$RANDOM
id=
witness_cleanup() {
    rm -f "/dev/shm/$NAME"
    if [ -n "$id" ]; then ipcrm -m "$id" 2>/dev/null || true; fi
}
command -v jq >/dev/null || fail "jq is not installed"

# start CASE [OPT]: the forker under record, its pipes on 3 and 4; sets child, id, parent.
start() {
    D=$T/$1
    mkdir -p "$T/$1.dir"
    rm -f "$T/in" "$T/out"
    mkfifo "$T/in" "$T/out"
    "$PROFTRACE" record -o "$D" -- "$PT_TESTS/analyzer_forker" "/$NAME" "$T/$1.dir" ${2:-} \
        <"$T/in" >"$T/out" 2>"$T/rec.err" &
    rec=$!
    exec 3>"$T/in" 4<"$T/out"
    local word
    IFS=' ' read -r -t 60 word child id parent <&4 || fail "$1: the forker never forked"
    [ "$word" = child ] && [ -n "$parent" ] || fail "$1: forker: $word $child $id $parent"
}

# finish: end the forker, check it and its child kept what they had, wait for record.
finish() {
    exec 3>&-
    cat <&4 >"$T/forker.out"
    exec 4<&-
    wait "$rec" || fail "record (or the forker) failed: $(cat "$T/forker.out")"
    rec=
    grep -q "child kept both: yes" "$T/forker.out" || fail "child: $(cat "$T/forker.out")"
}

# The clean-up, not traced: while only the child holds them (the handshake: the witness has read
# the child's /proc, where the directory and both mappings are; recording the probe's deletion, it
# also looked at the SysV table, after the parent's detach, so the removal is not dated back to
# when the parent still had the segment attached). Had the segment been made and removed between
# two looks, the removal would still be recorded, with the child attached
# (tests/unit/witness_sysv_between.c).
start cleanup
witness_handshake "$D" "$T/cleanup.dir"
"${UNTRACED[@]}" rm "/dev/shm/$NAME"
"${UNTRACED[@]}" ipcrm -m "$id"
n=0
until "$PROFTRACE" events --kind witnessed "$D" 2>/dev/null | grep -qF "path=\"/dev/shm/$NAME\""; do
    n=$((n + 1)); [ $n -lt 200 ] || fail "the removal of /dev/shm/$NAME was never witnessed"
    sleep 0.1
done
n=0
until "$PROFTRACE" events --kind witnessed_shm "$D" 2>/dev/null | grep -q "shmid=$id,"; do
    n=$((n + 1)); [ $n -lt 200 ] || fail "the removal of SysV $id was never witnessed"
    sleep 0.1
done
removed_id=$id
id=
finish
grep -q "reopen: No such file or directory" "$T/forker.out" || fail "child: $(cat "$T/forker.out")"
"$PROFTRACE" report --json "$D" >"$T/r.json" 2>"$T/r.err" || [ $? = 1 ] || fail "report: $(cat "$T/r.err")"
"$PROFTRACE" report "$D" >"$T/r.txt" 2>&1 || true
f() { jq -e "$@" "$T/r.json" >/dev/null || { cat "$T/r.txt" >&2; fail "report: ${*: -1}"; }; }
f '.findings | length == 2'
f --argjson c "$child" --argjson p "$parent" '[.findings[] | select(.rule == "deleted-while-held"
    and .deleter.witnessed == true and (.holders | length) == 1
    and .holder.pid == $c and .holder.inherited_from == $p
    and .holder.seen_by_witness == false and .holder.liveness.alive == true)] | length == 2'
f --arg p "/dev/shm/$NAME" --argjson c "$child" '[.findings[] | select(.resource.kind == "posix-shm"
    and .resource.name == $p and .holder.call == "mmap"
    and .victim.pid == $c and .victim.call == "shm_open" and (.victim.error | endswith("ENOENT")))]
    | length == 1'
f --argjson i "$removed_id" '[.findings[] | select(.resource.kind == "sysv-shm"
    and .resource.identity.shmid == $i and .holder.call == "shmat")] | length == 1'
grep -q "inherited from pid [0-9]* at fork" "$T/r.txt" || { cat "$T/r.txt" >&2; fail "text report"; }
echo "ok   an untraced clean-up removed what only the fork child (pid $child) held: 2 findings"

# Control: the parent removes what only its child inherited from it.
start parent --parent-deletes
IFS= read -r -t 60 line <&4 || fail "the parent did not remove"
[ "$line" = removed ] || fail "parent: $line"
id=
finish
"$PROFTRACE" report --json "$D" >"$T/r2.json" 2>"$T/r.err" || fail "report: exit $? $(cat "$T/r.err")"
jq -e '.findings | length == 0' "$T/r2.json" >/dev/null ||
    { "$PROFTRACE" report "$D" >&2 || true; fail "the parent's own removal is a finding"; }
echo "ok   the parent removing what its fork child inherited from it: no finding"
