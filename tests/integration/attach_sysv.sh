#!/usr/bin/env bash
# attach_sysv.sh — a SysV attachment made before the attach is a hold: a holder attached to a
# segment (witness_tool_sysv, started without proftrace) is attached with `proftrace record -p`;
# an untraced ipcrm removes the segment; the report has a deleted-while-held finding on that
# sysv-shm whose holder is the attached process (held since before attach) and whose deleter is
# witnessed (ipcrm, or said to be unattributed when the witness could not tell).
source "$(dirname "$0")/attach_lib.sh"
HOLDER=$PT_TESTS/witness_tool_sysv
[ -x "$HOLDER" ] || fail "no $HOLDER (built with the witness tests)"
id=
trap 'cleanup; [ -n "$id" ] && ipcrm -m "$id" 2>/dev/null || true' EXIT
mkdir "$T/held"
mkfifo "$T/in" "$T/out"
env -u LD_PRELOAD -u PROFTRACE_DIR "$HOLDER" "$T/held" <"$T/in" >"$T/out" 2>"$T/holder.err" &
P=$!
PIDS+=($P)
exec 3>"$T/in" 4<"$T/out"
IFS= read -r -t 60 id <&4 || fail "holder never attached its segment"
"$PROFTRACE" record -p $P -o "$T/tr" 2>"$T/rec.err" &
REC=$!
PIDS+=($REC)
wait_grep "$T/rec.err" "^proftrace: attached to $P "
"$PROFTRACE" events "$T/tr" >"$T/ev0"
grep -q "prior_hold(kind=\"sysv\", .*ino=$id," "$T/ev0" || fail "the attachment of shmid $id is not recorded"
# Handshake: the witness watches the holder once a probe removed in its open directory is seen.
n=0
until "$PROFTRACE" events --kind witnessed "$T/tr" 2>/dev/null | grep -F "$T/held/probe" >/dev/null; do
    : >"$T/held/probe" && env -u LD_PRELOAD -u PROFTRACE_DIR rm -f "$T/held/probe"
    n=$((n + 1)); [ $n -lt 600 ] || fail "the witness never watched the holder"
    sleep 0.1
done
env -u LD_PRELOAD -u PROFTRACE_DIR ipcrm -m "$id" &
rmpid=$!
wait $rmpid || fail "ipcrm failed"
n=0
until "$PROFTRACE" events --kind witnessed_shm "$T/tr" 2>/dev/null | grep "shmid=$id," >/dev/null; do
    n=$((n + 1)); [ $n -lt 600 ] || fail "the removal of shmid $id was never witnessed"
    sleep 0.1
done
removed=$id
id=
echo go >&3
exec 3>&-
grep -q "attached: 42" <&4 || fail "the holder lost its attachment"
exec 4<&-
wait $P || fail "holder failed"
wait $REC || fail "record -p exited with $?"
"$PROFTRACE" report --json "$T/tr" >"$T/r.json" || true
jq -e --argjson h $P --argjson p $rmpid '[.findings[] | select(.rule == "deleted-while-held"
    and .resource.kind == "sysv-shm" and .holder.pid == $h
    and .holder.call == "held since before attach" and .deleter.witnessed == true
    and ((.deleter.attributed == true and .deleter.pid == $p) or .deleter.attributed == false))]
    | length == 1' "$T/r.json" >/dev/null ||
    { "$PROFTRACE" report "$T/tr" >&2; fail "no finding on shmid $removed held since before the attach"; }
echo "ok: shmid $removed, attached before the attach, removed by an untraced ipcrm: deleted-while-held"
