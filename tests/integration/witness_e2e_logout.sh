#!/usr/bin/env bash
# witness_e2e_logout.sh — the logout clean-up pattern: a traced daemon (under `proftrace
# record`) maps several shared-memory objects of one name pattern; an UNTRACED clean-up in another
# login session (root writes /proc/self/loginuid in a subshell before exec, which starts a new
# audit session) removes all /dev/shm objects of the pattern, as systemd-logind's RemoveIPC would.
# Every object must come out as a deleted-while-held finding whose deleter is that process, named
# with its login session and loginuid, witnessed=true, and linked to the daemon's failing reopen.
set -euo pipefail
[ "$(id -u)" -eq 0 ] || { echo "FAIL: needs root (loginuid)" >&2; exit 1; }
source "$(dirname "$0")/witness_lib.sh"
witness_begin we2e-logout
NS=we2e$$l$RANDOM
witness_cleanup() { rm -rf /dev/shm/winsim."$NS".*; }
LUID=$((40000 + RANDOM % 20000))

attempt() {
    local D=$T/tr$1
    rm -rf "$D" "$T/hive" /dev/shm/winsim."$NS".*
    rm -f "$T/in" "$T/out" "$T/sess"
    mkfifo "$T/in" "$T/out"
    WINSIM_HIVE_ROOT=$T/hive WINSIM_NAMESPACE=$NS "$PROFTRACE" record -o "$D" -- \
        "$PT_TESTS/witness_tool_e2e" 'Software\WE2EL' D1 D2 D3 <"$T/in" >"$T/out" 2>"$T/rec.err" &
    rec=$!
    exec 3>"$T/in" 4<"$T/out"
    local line
    IFS= read -r -t 60 line <&4 || fail "daemon never said holding"
    [ "$line" = holding ] || fail "daemon: $line"
    [ "$(ls /dev/shm/winsim."$NS".* | wc -l)" -eq 3 ] || fail "daemon does not map 3 objects"
    # Handshake with the witness: a probe removed inside the daemon's open key must be witnessed
    # first (the witness watches what the daemon holds, its mappings with its key, once its ring
    # is attached).
    witness_handshake "$D" "$(find "$T/hive" -type d -name WE2EL)"
    # The clean-up: another login session, not traced, removes every object of the pattern.
    "${UNTRACED[@]}" bash -c 'echo '"$LUID"' >/proc/self/loginuid &&
        cat /proc/self/sessionid >"$1" && shift && exec /usr/bin/rm -f "$@"' \
        cleanup "$T/sess" /dev/shm/winsim."$NS".* &
    local cpid=$!
    wait $cpid || fail "clean-up failed"
    local sess
    sess=$(cat "$T/sess")
    [ "$sess" != 4294967295 ] || fail "no new login session for the clean-up"
    n=0
    until [ "$("$PROFTRACE" events --kind witnessed "$D" 2>/dev/null | grep -F "path=\"/dev/shm/winsim.$NS.s0.D" |
        grep -c "pid=$cpid,")" -ge 3 ]; do
        n=$((n + 1)); [ $n -lt 100 ] || fail "the clean-up's deletions were never all witnessed"
        sleep 0.1
    done
    echo go >&3
    exec 3>&-
    cat <&4 >"$T/victim"
    exec 4<&-
    wait $rec || fail "record failed"
    rec=
    grep -q "will not be seen" "$T/rec.err" && fail "witness not started"
    [ "$(grep -c 'reopen D.: failed' "$T/victim")" -eq 3 ] || fail "daemon: $(cat "$T/victim")"
    "$PROFTRACE" report --json "$D" >"$T/r.json" || true
    if jq -e --argjson p $cpid '[.findings[] | select(.deleter.pid == $p and .deleter.identity_read == "gone")] | length > 0' "$T/r.json" >/dev/null; then
        echo gone; return
    fi
    local got
    got=$(jq --argjson p $cpid --argjson s "$sess" --argjson l $LUID '[.findings[] |
        select(.rule == "deleted-while-held" and .resource.kind == "posix-shm"
               and .deleter.pid == $p and .deleter.exe == "/usr/bin/rm" and .deleter.witnessed == true
               and .deleter.session == $s and .deleter.loginuid == $l
               and .holder.session != $s and ((.victim.error // "") + " " + (.victim.detail.error // "") | test("ENOENT")))
        | .resource.name] | sort | join(" ")' -r "$T/r.json")
    local want="/dev/shm/winsim.$NS.s0.D1 /dev/shm/winsim.$NS.s0.D2 /dev/shm/winsim.$NS.s0.D3"
    if [ "$got" != "$want" ]; then
        "$PROFTRACE" report "$D" >&2 || true
        fail "findings naming the clean-up (pid $cpid, session $sess): got '$got', want '$want'"
    fi
    echo ok
}

for i in $(seq 1 15); do
    got=$(attempt $i) || exit 1
    [ "$got" = ok ] && { echo "ok: the logout clean-up in session $(cat "$T/sess") is named for each object"; exit 0; }
    echo "attempt $i: the clean-up's identity lost to its exit race; again" >&2
done
fail "identity lost in 15 attempts"
