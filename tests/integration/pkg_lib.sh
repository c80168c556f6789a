# pkg_lib.sh — sourced by the packaging and command-line tests (pkg_*.sh): where things are, a
# private work directory removed at exit (with whatever PT_CLEANUP lists), failure reporting.
set -euo pipefail
: "${PT_BIN:?set by CTest}" "${PT_SRC:?set by CTest}" "${PT_BUILD:?set by CTest}"
PROFTRACE=$PT_BIN/proftrace
T=$(mktemp -d "${TMPDIR:-/tmp}/pt-$(basename "$0" .sh).XXXXXX")
PT_CLEANUP=()
pt_cleanup() {
    local c
    for ((i = ${#PT_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${PT_CLEANUP[i]}" || true; done
    rm -rf "$T"
}
trap pt_cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
ok() { echo "ok: $*"; }
# expect_fail RC PATTERN CMD...: CMD exits RC and its stderr matches the extended regex PATTERN.
expect_fail() {
    local want=$1 pattern=$2 rc=0
    shift 2
    "$@" >"$T/last.out" 2>"$T/last.err" || rc=$?
    [ "$rc" = "$want" ] || fail "$*: exit $rc, want $want: $(cat "$T/last.err")"
    grep -qE -- "$pattern" "$T/last.err" || fail "$*: stderr does not match /$pattern/: $(cat "$T/last.err")"
}
# The commands, from `proftrace --help` (its Commands section: "  name   summary").
pt_commands() {
    "$1" --help | awk '/^Commands:/ {c = 1; next} /^[^ ]/ {c = 0} c && /^  [a-z]+  / {print $1}'
}
