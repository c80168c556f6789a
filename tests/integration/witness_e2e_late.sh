#!/usr/bin/env bash
# witness_e2e_late.sh — a hold is watched as it begins: under `proftrace record` a traced
# holder, already watched, maps a NEW POSIX shared-memory object (a named file mapping); 10 ms
# after it says so, an UNTRACED rm deletes it. The witness learns of the new hold from the shim's
# holds table (doorbell), not from a rescan a second later: `proftrace report --json` must have a
# deleted-while-held finding on that object whose deleter is witnessed, with the holder's failed
# reopen as its victim. Three late holds in a row, each deleted 10 ms after it began.
set -euo pipefail
source "$(dirname "$0")/witness_lib.sh"
witness_begin wlate
NS=wlate$$r$RANDOM
witness_cleanup() { rm -rf /dev/shm/winsim."$NS".*; }
D=$T/tr
mkfifo "$T/in" "$T/out"
WINSIM_HIVE_ROOT=$T/hive WINSIM_NAMESPACE=$NS "$PROFTRACE" record -o "$D" -- \
    "$PT_TESTS/witness_tool_late" 'Software\WLate' FIRST <"$T/in" >"$T/out" 2>"$T/rec.err" &
rec=$!
exec 3>"$T/in" 4<"$T/out"
IFS= read -r -t 60 line <&4 || fail "holder never said holding"
[ "$line" = holding ] || fail "holder: $line"
# Handshake: the witness watches the holder once a probe deleted in its key is seen.
witness_handshake "$D" "$(find "$T/hive" -type d -name WLate)"
late=()
for i in 1 2 3; do
    echo "map LATE$i" >&3
    IFS= read -r -t 60 line <&4 || fail "holder did not map LATE$i"
    [ "$line" = "held LATE$i" ] || fail "holder: $line"
    shm=$(ls /dev/shm/winsim."$NS".*LATE$i)
    sleep 0.01 # the scenario of the issue: the delete comes 10 ms after the hold began
    "${UNTRACED[@]}" /usr/bin/rm "$shm"
    late+=("$shm")
done
echo end >&3
exec 3>&-
cat <&4 >"$T/victim"
exec 4<&-
wait $rec || fail "record failed"
rec=
for i in 1 2 3; do
    grep -q "reopen LATE$i: failed" "$T/victim" || fail "LATE$i still reopens: $(cat "$T/victim")"
    "$PROFTRACE" events --kind witnessed "$D" | grep -qF "path=\"${late[$((i - 1))]}\"" ||
        fail "the delete of ${late[$((i - 1))]}, 10 ms after its hold began, was not witnessed"
done
"$PROFTRACE" report --json "$D" >"$T/r.json" || true
for i in 1 2 3; do
    jq -e --arg p "${late[$((i - 1))]}" '[.findings[] | select(.rule == "deleted-while-held"
        and .resource.kind == "posix-shm" and (.resource | tostring | contains($p | split("/") | last))
        and .deleter.witnessed == true and .victim != null)] | length == 1' "$T/r.json" >/dev/null ||
        { "$PROFTRACE" report "$D" >&2 || true; fail "no witnessed deleted-while-held finding for LATE$i"; }
done
echo "ok: 3 holds deleted 10 ms after they began: each witnessed and reported deleted-while-held"
