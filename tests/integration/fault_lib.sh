# fault_lib.sh — helpers sourced by the reliability scripts (fault_*, perm_*, suite_*): a private
# work directory removed at exit, failure reporting, and running a command with and without the
# shim to compare what it did.
set -euo pipefail
: "${PT_BIN:?}" "${PT_LIB:?}" "${PT_SRC:?}"
PROFTRACE=$PT_BIN/proftrace
SHIM=$PT_LIB/libproftrace.so
T=$(mktemp -d "${TMPDIR:-/tmp}/$(basename "$0" .sh).XXXXXX")
PT_CLEANUP=()
pt_cleanup() {
    local c
    for c in "${PT_CLEANUP[@]}"; do eval "$c" || true; done
    rm -rf "$T"
}
trap pt_cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() { echo "ok: $*"; }
# Run as nobody with no supplementary groups (util-linux setpriv).
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
# count_events DIR [PATTERN]: events in a trace (matching PATTERN when given).
count_events() {
    if [ $# -gt 1 ]; then
        "$PROFTRACE" events "$1" 2>/dev/null | grep -c -- "$2" || true
    else
        "$PROFTRACE" events "$1" 2>/dev/null | wc -l
    fi
}
