#!/usr/bin/env bash
# attach_shm_rm.sh — `proftrace record -p` on a process that already maps a POSIX shared-memory
# object (attach_tool_shm, started without proftrace): an untraced rm deletes the object, the
# holder's reopen fails; the report has a deleted-while-held finding whose holder is the attached
# process (held since before attach), whose deleter is rm (witnessed) and whose victim is the
# failed reopen (shm_open ENOENT). rm's identity may be lost to its exit race ("gone"): then the
# run is repeated, a few times.
source "$(dirname "$0")/attach_lib.sh"
TOOL=$PT_TESTS/attach_tool_shm

result=
attempt() {
    local D=$T/tr$1 name=$NS.s$1 shm=/dev/shm/$NS.s$1 dir=$T/dir$1
    rm -f "$T/in" "$T/out"
    mkfifo "$T/in" "$T/out"
    mkdir "$dir"
    env -u LD_PRELOAD -u PROFTRACE_DIR "$TOOL" "/$name" "$dir" <"$T/in" >"$T/out" 2>"$T/tool.err" &
    local P=$!
    PIDS+=($P)
    exec 3>"$T/in" 4<"$T/out"
    read_line 4 holding
    local E=$T/rec$1.err
    "$PROFTRACE" record -p $P -o "$D" 2>"$E" &
    local REC=$!
    PIDS+=($REC)
    wait_grep "$E" "^proftrace: attached to $P "
    grep -q "will not be seen" "$E" && fail "the witness did not start (root needed)"
    # The collector takes the new ring and the witness watches what the holder holds (its open
    # directory and its mapping, in one scan): wait until two probes deleted in the directory
    # were witnessed, the second one deleted after the first was seen.
    local k n=0
    for k in 1 2; do
        local probe=$dir/probe$k
        until "$PROFTRACE" events --kind witnessed "$D" 2>/dev/null | grep -F "$probe" >/dev/null; do
            touch "$probe" && env -u LD_PRELOAD -u PROFTRACE_DIR rm -f "$probe"
            n=$((n + 1))
            [ $n -lt 200 ] || fail "the witness never saw a deletion in $dir"
            sleep 0.1
        done
    done
    env -u LD_PRELOAD -u PROFTRACE_DIR /usr/bin/rm -f "$shm" &
    local rmpid=$!
    wait $rmpid
    # The witness stamps a deletion when it reads it: the holder goes on only once it has.
    n=0
    until "$PROFTRACE" events --kind witnessed "$D" 2>/dev/null | grep -F "path=\"$shm\"" |
        grep "pid=$rmpid," >/dev/null; do
        n=$((n + 1))
        [ $n -lt 600 ] || fail "rm's deletion of $shm never witnessed"
        sleep 0.1
    done
    echo go >&3
    exec 3>&-
    local line
    IFS= read -r -t 120 line <&4 || fail "the holder said nothing"
    exec 4<&-
    [ "$line" = "reopen: No such file or directory" ] || fail "holder: $line"
    wait $P || fail "holder failed"
    wait $REC || fail "record -p exited with $?" # ends by itself: the holder is gone
    "$PROFTRACE" report --json "$D" >"$T/r.json" || true
    "$PROFTRACE" report "$D" >"$T/r$1.txt" || true
    if jq -e --argjson p $rmpid '[.findings[] | select(.deleter.pid == $p and
            .deleter.identity_read == "gone")] | length > 0' "$T/r.json" >/dev/null; then
        result=gone
        return
    fi
    jq -e --argjson h $P --argjson d $rmpid --arg tool "$TOOL" '[.findings[] |
        select(.rule == "deleted-while-held" and .resource.kind == "posix-shm"
               and .holder.pid == $h and .holder.exe == $tool
               and .holder.call == "held since before attach"
               and .deleter.pid == $d and .deleter.exe == "/usr/bin/rm" and .deleter.witnessed == true
               and .victim.call == "shm_open" and (.victim.error | test("ENOENT")))] | length == 1' \
        "$T/r.json" >/dev/null || { cat "$T/r$1.txt" >&2; fail "no deleted-while-held naming holder $P, rm $rmpid and the failed reopen"; }
    result=ok
}

for i in $(seq 1 15); do
    attempt $i
    [ "$result" = ok ] && { echo "ok: attached holder, untraced rm and the failed reopen in one finding"; exit 0; }
    echo "attempt $i: rm's identity lost to its exit race; again" >&2
done
fail "rm's identity lost in 15 attempts"
