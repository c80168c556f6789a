# events_lib.sh — sourced by the events_*.sh tests: a private work directory removed at exit (with
# the shared-memory names it used), failure reporting, and a trace of tests/events/calls.c.
set -euo pipefail
: "${PT_BIN:?set by CTest}" "${PT_TESTS:?set by CTest}" "${PT_SRC:?set by CTest}"
PROFTRACE=$PT_BIN/proftrace
T=$(mktemp -d "${TMPDIR:-/tmp}/pt-$(basename "$0" .sh).XXXXXX")
TAG=ptev$(basename "$T" | sed 's/.*\.//')
cleanup() {
    rm -f /dev/shm/"$TAG"* /dev/shm/winsim."$TAG".*
    rm -rf "$T"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() { echo "ok: $*"; }

# record_calls: tests/events/calls.c under `proftrace record` into $T/t; its thread's id in $TID.
record_calls() {
    mkdir -p "$T/hives" "$T/files"
    WINSIM_HIVE_ROOT=$T/hives WINSIM_NAMESPACE=$TAG PROFTRACE_STACKS=delete,MAPI,fail \
        "$PROFTRACE" record -o "$T/t" -- "$PT_TESTS/events_calls" "$TAG" "$T/files" \
        >"$T/record.out" 2>"$T/record.err" || fail "record: $(cat "$T/record.err")"
    grep -q " 0 lost" "$T/record.err" || fail "events lost: $(cat "$T/record.err")"
    TID=$(awk '$1 == "tid" {print $2}' "$T/files/facts")
    [ -n "$TID" ] || fail "calls wrote no thread id"
}
