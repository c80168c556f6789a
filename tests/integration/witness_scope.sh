#!/usr/bin/env bash
# witness_scope.sh — `record` witnesses deletions of what its traced processes hold, and nothing
# else (scoped witnessing, docs/witness.md). Another user (a real one, made for the run) owns a SysV
# segment and a POSIX shared-memory object made before the run, and removes both while `record`
# runs two traced holders (a SysV segment attached; a registry key and a named mapping): nothing of
# that user's is witnessed, while the holders' own segment and mapping, removed by untraced
# processes after the other user's removals, are; and no deletion of anything else on the machine
# (other work deleting files meanwhile) is.
set -euo pipefail
: "${PT_BIN:?set by CTest}" "${PT_TESTS:?set by CTest}"
PROFTRACE=$PT_BIN/proftrace
T=$(mktemp -d "/tmp/pt-wscope-XXXXXX")
NS=wscope$$r$RANDOM
PT_CLEANUP=()
rec= id= uid_seg= ufile=
cleanup() {
    local c
    exec 3>&- 4<&- 5>&- 6<&- 2>/dev/null || true
    [ -n "$rec" ] && kill "$rec" 2>/dev/null || true
    wait 2>/dev/null || true
    [ -n "$id" ] && ipcrm -m "$id" 2>/dev/null || true
    [ -n "$uid_seg" ] && ipcrm -m "$uid_seg" 2>/dev/null || true
    [ -n "$ufile" ] && rm -f "$ufile"
    rm -f /dev/shm/winsim."$NS".*
    for c in "${PT_CLEANUP[@]}"; do eval "$c" || true; done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -s "$T/rec.err" ] && cat "$T/rec.err" >&2; exit 1; }
source "$(dirname "$0")/witness_lib.sh"
source "$(dirname "$0")/user_lib.sh"
pt_user_add
# witnessed KIND PATTERN: the live trace has a witnessed event of KIND matching PATTERN.
witnessed() { "$PROFTRACE" events --kind "$1" "$T/tr" 2>/dev/null | grep -qF -- "$2"; }
await() {
    local n=0
    until witnessed "$1" "$2"; do
        n=$((n + 1)); [ $n -lt 200 ] || { "$PROFTRACE" events --kind witnessed "$T/tr" >&2; fail "never witnessed: $1 $2"; }
        sleep 0.05
    done
}

# The other user's objects, made before the run.
uid_seg=$(setpriv --reuid="$PT_UID" --regid="$PT_GID" --clear-groups ipcmk -M 4096 | grep -o '[0-9]*$')
ufile=/dev/shm/pt-wscope-$PT_USER
as_user sh -c 'echo theirs >"$1"' _ "$ufile"

mkdir "$T/held"
mkfifo "$T/in1" "$T/out1" "$T/in2" "$T/out2"
WINSIM_HIVE_ROOT=$T/hive WINSIM_NAMESPACE=$NS "$PROFTRACE" record -o "$T/tr" -- bash -c \
    '"$1" "$2" "$3" <"$4" >"$5" & "$6" "$7"; wait $!' _ \
    "$PT_TESTS/witness_tool_e2e" 'Software\WScope' M1 "$T/in1" "$T/out1" \
    "$PT_TESTS/witness_tool_sysv" "$T/held" <"$T/in2" >"$T/out2" 2>"$T/rec.err" &
rec=$!
exec 5>"$T/in2" 6<"$T/out2" 3>"$T/in1" 4<"$T/out1"
IFS= read -r -t 60 line <&4 || fail "the key and mapping holder never said holding"
IFS= read -r -t 60 id <&6 || fail "the SysV holder never attached"
key=$(find "$T/hive" -type d -name WScope)
shm=$(ls /dev/shm/winsim."$NS".*M1)
# Handshakes: the witness watches each holder once a probe deleted in what it holds is seen.
for dir in "$key" "$T/held"; do witness_handshake "$T/tr" "$dir"; done

# The other user removes what is theirs; then the holders' objects are removed, untraced.
as_user ipcrm -m "$uid_seg"
as_user rm "$ufile"
uid_removed=$uid_seg
uid_seg= ufile_removed=$ufile ufile=
"${UNTRACED[@]}" ipcrm -m "$id"
"${UNTRACED[@]}" rm "$shm"
await witnessed_shm "shmid=$id,"
await witnessed "path=\"$shm\""
held_id=$id
id=

echo go >&3
echo go >&5
exec 3>&- 5>&-
cat <&4 >/dev/null
cat <&6 >/dev/null
exec 4<&- 6<&-
wait $rec || fail "record failed"
rec=
"$PROFTRACE" events --kind witnessed_shm "$T/tr" >"$T/shm.ev"
"$PROFTRACE" events --kind witnessed "$T/tr" >"$T/files.ev"
grep -q "shmid=$uid_removed," "$T/shm.ev" && fail "$PT_USER's segment $uid_removed witnessed: $(cat "$T/shm.ev")"
grep -q "owner_uid=$PT_UID[,)]" "$T/shm.ev" && fail "a segment of $PT_USER witnessed: $(cat "$T/shm.ev")"
grep -qF "$ufile_removed" "$T/files.ev" && fail "$PT_USER's $ufile_removed witnessed"
grep -q "shmid=$held_id," "$T/shm.ev" || fail "the held segment's removal is missing"
others=$(grep -v "shmid=$held_id," "$T/shm.ev" || true)
[ -z "$others" ] || fail "SysV removals no traced process held were witnessed: $others"
# every file event is of what the holders held: their key, their directory, their mapping
others=$(grep -v -e "path=\"$T/" -e "path=\"/dev/shm/winsim.$NS." "$T/files.ev" || true)
[ -z "$others" ] || fail "deletions of what no traced process held were witnessed: $others"
echo "ok: only what the traced processes held was witnessed ($(wc -l <"$T/shm.ev") SysV, $(wc -l <"$T/files.ev") file events); $PT_USER's segment and object were not"
