#!/usr/bin/env bash
# witness_e2e_open.sh — open files are holds, watched as they begin: under `proftrace
# record` a traced holder opens NEW files read-write on a disk filesystem (not /dev/shm); 10 ms
# after it says it holds one, an UNTRACED rm deletes it. The witness learns of each hold from the
# shim's holds table before it judges the deletion: `proftrace report --json` must have, for each
# file, one deleted-while-held finding on an open-file of class data whose deleter is witnessed
# (rm, no-liveness-check), whose holder is the tool, and whose victim is the holder's reopen.
# Before the timed holds, a first hold and deletion (repeated until witnessed) make sure the
# witness has marked that filesystem: the 10 ms are the doorbell-free case, a hold on a watched
# filesystem.
set -euo pipefail
source "$(dirname "$0")/witness_lib.sh"
witness_begin wopen
F=$(mktemp -d "/var/tmp/pt-wopen-files-XXXXXX")
witness_cleanup() { rm -rf "$F"; }
D=$T/tr
mkfifo "$T/in" "$T/out"
"$PROFTRACE" record -o "$D" -- "$PT_TESTS/witness_tool_open" <"$T/in" >"$T/out" 2>"$T/rec.err" &
rec=$!
exec 3>"$T/in" 4<"$T/out"
hold() {
    echo "open $1" >&3
    IFS= read -r -t 60 line <&4 || fail "holder did not open $1"
    [ "$line" = "held $1" ] || fail "holder: $line"
}
# The first hold on this filesystem has the witness mark it: wait until a deletion there is seen.
n=0
while :; do
    probe=$F/probe.$n
    hold "$probe"
    "${UNTRACED[@]}" /usr/bin/rm "$probe"
    for _ in $(seq 20); do
        "$PROFTRACE" events --kind witnessed "$D" 2>/dev/null | grep -qF "path=\"$probe\"" && break 2
        sleep 0.05
    done
    n=$((n + 1)); [ $n -lt 20 ] || fail "the witness never watched $F"
done
rms=()
for i in 1 2 3; do
    hold "$F/late$i.dat"
    sleep 0.01 # the scenario of the issue: the delete comes 10 ms after the hold began
    "${UNTRACED[@]}" /usr/bin/rm "$F/late$i.dat" & # its pid is rm's
    rms+=($!)
    wait $! || fail "rm failed"
done
echo end >&3
exec 3>&-
cat <&4 >"$T/victim"
exec 4<&-
wait $rec || fail "record failed"
rec=
"$PROFTRACE" report --json "$D" >"$T/r.json" || true
for i in 1 2 3; do
    p=$F/late$i.dat rm_pid=${rms[$((i - 1))]}
    grep -qF "reopen $p: failed (2)" "$T/victim" || fail "$p still reopens: $(cat "$T/victim")"
    # rm by its pid; by its name too unless it exited before the witness read its identity
    jq -e --arg p "$p" --argjson rm "$rm_pid" '[.findings[] | select(.rule == "deleted-while-held"
        and .resource.kind == "open-file" and .resource.name == $p and .resource.class == "data"
        and .severity == "critical" and .cause == "no-liveness-check"
        and .deleter.witnessed == true and .deleter.pid == $rm
        and ((.deleter.exe // "/rm") | endswith("/rm"))
        and (.holder.exe | endswith("/witness_tool_open")) and .holder.fd >= 0
        and (.victims | length) >= 1 and (.victims[0].error | endswith("ENOENT")))] | length == 1' \
        "$T/r.json" >/dev/null ||
        { "$PROFTRACE" report "$D" >&2 || true; fail "no witnessed deleted-while-held finding for $p"; }
done
echo "ok: 3 open files deleted 10 ms after their holds began: each witnessed and reported (open-file, data, critical with its victim)"
