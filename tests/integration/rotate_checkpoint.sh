#!/usr/bin/env bash
# rotate_checkpoint.sh — a checkpoint carries the analyzer's whole live state. Each scenario of
# samples/scenarios/ (both bugs, a crashed holder, a private /dev/shm, the fixed library), bug 2
# again with the deleter's liveness check (PROFTRACE_BREAK=delete-held: breakpoint evidence), a
# POSIX shared-memory deletion and an open file's (descriptor, open flags: its class) are recorded,
# each with a victim, then analyzed twice: straight through, and with the
# analyzer replaced after every single event by what its own checkpoint restores
# (analyzer_checkpoint_tool roundtrip: save, load, go on with the copy). Both reports, text and
# JSON, must be the same byte for byte: whatever the moment a chunk closes, nothing of the state
# is lost or changed. Then the same checkpoint damaged in the ways a crash or a hand can damage
# it must each be refused with the reason.
set -euo pipefail
: "${PT_BIN:?}" "${PT_TESTS:?}" "${PT_SRC:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/rotate_checkpoint.XXXXXX")
prefix=/ptrot-cp-$$
cleanup() {
    rm -f "/dev/shm$prefix-0" "/dev/shm$prefix-1"
    [ -n "${PT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
tool=$PT_TESTS/analyzer_checkpoint_tool
for s in bug1-impersonation bug2-session crashed-holder mntns fixed; do
    "$PT_BIN/proftrace" record -o "$work/$s" -- bash "$PT_SRC/samples/scenarios/$s.sh" \
        >"$work/$s.log" 2>&1 || { cat "$work/$s.log"; fail "recording $s"; }
done
PROFTRACE_BREAK=delete-held "$PT_BIN/proftrace" record -o "$work/break" -- \
    bash "$PT_SRC/samples/scenarios/bug2-session.sh" >"$work/break.log" 2>&1 ||
    { cat "$work/break.log"; fail "recording bug2 with the liveness check"; }
mkdir -p "$work/hive"
cat >"$work/shm.sh" <<SH
set -e
mkfifo "$work/go"
"$PT_TESTS/rotate_load" hold $prefix 2 <"$work/go" >"$work/held" &
exec 3>"$work/go"
until grep -q holding "$work/held"; do sleep 0.05; done
"$PT_TESTS/rotate_load" load 200
"$PT_TESTS/rotate_load" delete $prefix 2
echo tick >&3
exec 3>&-
wait
SH
WINSIM_HIVE_ROOT=$work/hive "$PT_BIN/proftrace" record -o "$work/shm" -- bash "$work/shm.sh" \
    >"$work/shm.log" 2>&1 || { cat "$work/shm.log"; fail "recording the shm deletion"; }
sed -e "s|hold $prefix 2|hold-file $work/state.db|" -e "s|delete $prefix 2|unlink $work/state.db|" \
    "$work/shm.sh" >"$work/file.sh"
rm -f "$work/go" "$work/held"
WINSIM_HIVE_ROOT=$work/hive "$PT_BIN/proftrace" record -o "$work/file" -- bash "$work/file.sh" \
    >"$work/file.log" 2>&1 || { cat "$work/file.log"; fail "recording the open file's deletion"; }
# what each trace must have for its round trip to mean something: victims, breakpoint evidence,
# an open file held for reading and writing
# has DIR JQ: report --json of DIR satisfies JQ
has() {
    "$PT_BIN/proftrace" report --json --no-symbols "$work/$1" >"$work/$1.json" 2>/dev/null || true
    jq -e "$2" "$work/$1.json" >/dev/null || fail "$1: the report has not $2"
}
has bug2-session '.findings[0].victims | length > 0'
has break '.findings[0].holders[0].liveness.evidence == "liveness-check"'
has file '.findings[0].resource.class == "data" and (.findings[0].victims | length > 0)'
findings=0
for s in bug1-impersonation bug2-session crashed-holder mntns fixed break shm file; do
    out=$("$tool" roundtrip "$work/$s" 1) || fail "$s: $out"
    echo "ok: $s: $out"
    findings=$((findings + $(sed -E 's/.* ([0-9]+) findings.*/\1/' <<<"$out")))
done
[ "$findings" -ge 3 ] || fail "only $findings findings in all: the scenarios did not reproduce"
"$tool" damage "$work/bug2-session" || fail "a damaged checkpoint was accepted"
echo "ok: damaged checkpoints refused"
