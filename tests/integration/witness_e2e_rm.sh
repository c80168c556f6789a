#!/usr/bin/env bash
# witness_e2e_rm.sh — the plain-rm case: under `proftrace record` a traced holder keeps
# a registry key (open HKEY) and a POSIX shared-memory object (mapped); an UNTRACED plain rm
# (LD_PRELOAD unset) deletes both; `proftrace report --json` must have, for each, a
# deleted-while-held finding whose deleter is rm (its pid, /usr/bin/rm, witnessed=true) and whose
# victim is the holder's later failure (RegQueryValueExA ERROR_KEY_DELETED, reopen ENOENT).
# Ordering by FIFO handshakes; the witness's record is awaited by reading the live trace.
set -euo pipefail
source "$(dirname "$0")/witness_lib.sh"
witness_begin we2e-rm
NS=we2e$$r$RANDOM
witness_cleanup() { rm -rf /dev/shm/winsim."$NS".*; }

# rm's identity may be lost to its exit race ("gone"): then the run is repeated (a few times).
attempt() {
    local D=$T/tr$1
    rm -rf "$D" "$T/hive" /dev/shm/winsim."$NS".*
    rm -f "$T/in" "$T/out"
    mkfifo "$T/in" "$T/out"
    WINSIM_HIVE_ROOT=$T/hive WINSIM_NAMESPACE=$NS "$PROFTRACE" record -o "$D" -- \
        "$PT_TESTS/witness_tool_e2e" 'Software\WE2E' M1 <"$T/in" >"$T/out" 2>"$T/rec.err" &
    rec=$!
    exec 3>"$T/in" 4<"$T/out"
    local line
    IFS= read -r -t 60 line <&4 || fail "holder never said holding"
    [ "$line" = holding ] || fail "holder: $line"
    local key shm
    key=$(find "$T/hive" -type d -name WE2E)
    shm=$(ls /dev/shm/winsim."$NS".*M1)
    [ -d "$key" ] && [ -e "$shm" ] || fail "nothing held ($key, $shm)"
    # The collector attaches the holder's ring and the witness marks what it holds: wait until a
    # probe deleted inside the held key is witnessed (the handshake with the witness).
    witness_handshake "$D" "$key"
    "${UNTRACED[@]}" /usr/bin/rm -rf "$key" "$shm" &
    local rmpid=$!
    wait $rmpid
    n=0
    until "$PROFTRACE" events --kind witnessed "$D" 2>/dev/null | grep -F "path=\"$shm\"" |
        grep -q "pid=$rmpid,"; do
        n=$((n + 1)); [ $n -lt 100 ] || fail "rm's deletion of $shm never witnessed"
        sleep 0.1
    done
    echo go >&3
    exec 3>&-
    cat <&4 >"$T/victim"
    exec 4<&-
    wait $rec || fail "record failed"
    rec=
    grep -q "will not be seen" "$T/rec.err" && fail "witness not started"
    grep -q "query: 1018" "$T/victim" || fail "holder did not see ERROR_KEY_DELETED: $(cat "$T/victim")"
    "$PROFTRACE" report --json "$D" >"$T/r.json" || true
    "$PROFTRACE" report "$D" >"$T/r.txt" || true
    if jq -e --argjson p $rmpid '[.findings[] | select(.deleter.pid == $p and .deleter.identity_read == "gone")] | length > 0' "$T/r.json" >/dev/null; then
        echo gone; return
    fi
    for kind in registry-key posix-shm; do
        jq -e --argjson p $rmpid --arg k $kind '[.findings[] | select(.rule == "deleted-while-held"
            and .resource.kind == $k and .deleter.pid == $p and .deleter.exe == "/usr/bin/rm"
            and .deleter.witnessed == true and .deleter.uid == 0 and .victim != null)] | length == 1' \
            "$T/r.json" >/dev/null || { cat "$T/r.txt" >&2; fail "no witnessed $kind finding naming rm $rmpid"; }
    done
    jq -e '[.findings[] | select(.resource.kind == "registry-key") | (.victim.call + " " + .victim.error)] == ["RegQueryValueExA 1018 ERROR_KEY_DELETED"]' "$T/r.json" >/dev/null ||
        fail "registry victim not linked: $(jq -c '[.findings[].victim]' "$T/r.json")"
    # the reopen the program saw (OpenFileMappingA), its shm_open's ENOENT the detail
    jq -e '[.findings[] | select(.resource.kind == "posix-shm") | .victim.error + " " + (.victim.detail.error // "") | test("ENOENT")] == [true]' "$T/r.json" >/dev/null ||
        fail "shm victim not linked: $(jq -c '[.findings[].victim]' "$T/r.json")"
    grep -Eq "witnessed \(not traced\): no stack; identity read from /proc (after the fact|when it exec'd)" "$T/r.txt" ||
        fail "text report does not say the delete was witnessed"
    echo ok
}

for i in $(seq 1 15); do
    got=$(attempt $i) || exit 1
    [ "$got" = ok ] && { echo "ok: untraced rm named as the deleter, victims linked"; exit 0; }
    echo "attempt $i: rm's identity lost to its exit race; again" >&2
done
fail "rm's identity lost in 15 attempts"
