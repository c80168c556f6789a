#!/usr/bin/env bash
# rotate_checkpoint.sh — a checkpoint carries the analyzer's whole live state. Each scenario of
# samples/scenarios/ (both bugs, a crashed holder, a private /dev/shm, the fixed library) and a
# POSIX shared-memory deletion is recorded, then analyzed twice: straight through, and with the
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
findings=0
for s in bug1-impersonation bug2-session crashed-holder mntns fixed shm; do
    out=$("$tool" roundtrip "$work/$s" 1) || fail "$s: $out"
    echo "ok: $s: $out"
    findings=$((findings + $(sed -E 's/.* ([0-9]+) findings.*/\1/' <<<"$out")))
done
[ "$findings" -ge 3 ] || fail "only $findings findings in all: the scenarios did not reproduce"
"$tool" damage "$work/bug2-session" || fail "a damaged checkpoint was accepted"
echo "ok: damaged checkpoints refused"
