# fault_lib.sh — helpers sourced by the reliability scripts (fault_*, perm_*, suite_*): a private
# work directory removed at exit, failure reporting, and running a command with and without the
# shim to compare what it did.
set -euo pipefail
: "${PT_BIN:?}" "${PT_LIB:?}" "${PT_SRC:?}"
PROFTRACE=$PT_BIN/proftrace
SHIM=$PT_LIB/libproftrace.so
[ -n "${PT_PRELOAD_FIRST:-}" ] && SHIM=$PT_PRELOAD_FIRST:$SHIM # sanitizer runtime first
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
# need_postgres PGBIN: PostgreSQL 15 installed; in a sanitizer build also able to start with the
# sanitizer runtime preloaded, which the shim needs first. (It is not with AddressSanitizer's, shim
# or no shim: `LD_PRELOAD=libasan.so postgres --version` hangs in bindtextdomain. Exit 77: skipped.)
need_postgres() {
    [ -x "$1/postgres" ] || fail "PostgreSQL 15 is not installed ($1): scripts/install-deps.sh"
    [ -z "${PT_PRELOAD_FIRST:-}" ] || timeout 20 env LD_PRELOAD="$PT_PRELOAD_FIRST" "$1/postgres" \
        --version >/dev/null 2>&1 || {
        echo "skipped: PostgreSQL does not start with $PT_PRELOAD_FIRST preloaded (no shim involved)"
        exit 77
    }
}
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
TOOL=${PT_TESTS:-}/fault_tool_load
# events_nonlost FILE / lost_sum FILE: over a `proftrace events` listing.
events_nonlost() { grep -vc '\] lost(count=' "$1" || true; }
lost_sum() {
    { grep -o '\] lost(count=[0-9]*' "$1" || true; } | { grep -o '[0-9]*$' || true; } |
        awk '{s += $1} END {print s + 0}'
}
# traced_vs_plain NAME CMD...: run CMD untraced and under `proftrace record -o $T/NAME`; stdout,
# exit status and stderr (proftrace's own lines aside) must be the same. Leaves $T/NAME.events.
traced_vs_plain() {
    local name=$1 rc0 rc1
    shift
    set +e
    "$@" >"$T/$name.plain.out" 2>"$T/$name.plain.err"
    rc0=$?
    "$PROFTRACE" record -o "$T/$name" -- "$@" >"$T/$name.out" 2>"$T/$name.err"
    rc1=$?
    set -e
    [ "$rc0" = "$rc1" ] || fail "$name: exit status $rc1 traced, $rc0 untraced: $(cat "$T/$name.err")"
    cmp -s "$T/$name.plain.out" "$T/$name.out" ||
        fail "$name: output differs: $(diff "$T/$name.plain.out" "$T/$name.out" | head -5)"
    grep -v '^proftrace' "$T/$name.err" >"$T/$name.err.own" || true
    cmp -s "$T/$name.plain.err" "$T/$name.err.own" ||
        fail "$name: stderr differs: $(diff "$T/$name.plain.err" "$T/$name.err.own" | head -5)"
    "$PROFTRACE" events "$T/$name" >"$T/$name.events" 2>"$T/$name.events.err" ||
        fail "$name: events: $(head -3 "$T/$name.events.err")"
    [ ! -s "$T/$name.events.err" ] || fail "$name: reader reported damage: $(head -3 "$T/$name.events.err")"
}
