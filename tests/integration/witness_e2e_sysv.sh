#!/usr/bin/env bash
# witness_e2e_sysv.sh — SysV shared memory removed by an untraced process: a traced holder has a
# segment attached (shmat) under `proftrace record`; an untraced ipcrm removes it; the report must
# have a deleted-while-held finding on that sysv-shm whose deleter is witnessed (ipcrm, when the
# witness could attribute it; otherwise said to be unattributed).
set -euo pipefail
source "$(dirname "$0")/witness_lib.sh"
witness_begin we2e-sysv
id=
witness_cleanup() { if [ -n "$id" ]; then ipcrm -m "$id" 2>/dev/null || true; fi; }

D=$T/tr
mkdir "$T/held"
mkfifo "$T/in" "$T/out"
"$PROFTRACE" record -o "$D" -- "$PT_TESTS/witness_tool_sysv" "$T/held" <"$T/in" >"$T/out" 2>"$T/rec.err" &
rec=$!
exec 3>"$T/in" 4<"$T/out"
IFS= read -r -t 60 id <&4 || fail "holder never attached"
# Handshake: the witness watches the holder once a probe removed in its open directory is seen.
witness_handshake "$D" "$T/held"
"${UNTRACED[@]}" ipcrm -m "$id" &
rmpid=$!
wait $rmpid || fail "ipcrm failed"
n=0
until "$PROFTRACE" events --kind witnessed_shm "$D" 2>/dev/null | grep -q "shmid=$id,"; do
    n=$((n + 1)); [ $n -lt 100 ] || fail "the removal of shmid $id was never witnessed"
    sleep 0.1
done
id_removed=$id
id=
echo go >&3
exec 3>&-
grep -q "attached: 42" <&4 || fail "holder lost its attachment"
exec 4<&-
wait $rec || fail "record failed"
rec=
"$PROFTRACE" report --json "$D" >"$T/r.json" || true
jq -e --arg n "shmid $id_removed" --argjson p $rmpid '[.findings[] | select(.rule == "deleted-while-held"
    and .resource.kind == "sysv-shm" and .deleter.witnessed == true
    and ((.deleter.attributed == true and .deleter.pid == $p) or .deleter.attributed == false))]
    | length == 1' "$T/r.json" >/dev/null || { "$PROFTRACE" report "$D" >&2 || true; fail "no witnessed sysv finding"; }
echo "ok: $(jq -r '.findings[0].deleter | "deleter pid \(.pid) \(.exe) attributed=\(.attributed)"' "$T/r.json")"
