# export_lib.sh — shared by the export_*.sh tests (sourced, not a test itself): where things are,
# a per-run temporary directory, and recording a sample scenario.
src=${PT_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${PT_BIN:-$src/build/bin}
lib=${PT_LIB:-$src/build/lib}
export PT_BUILD_DIR=$(dirname "$bin")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-export.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ "$(id -u)" -ne 0 ]; then
    echo "$(basename "$0"): needs root (the bug2 scenario starts a new login session)" >&2
    exit 1
fi

# record DIR SCRIPT: with `proftrace record` when it exists, else with the shim's environment
# (the readers take undrained rings into account).
record() {
    local dir=$1 script=$2
    mkdir -p "$dir"
    if "$bin/proftrace" record -o "$dir" -- bash "$script" >"$dir.log" 2>&1; then
        return 0
    fi
    if grep -q "not implemented" "$dir.log"; then
        rm -rf "$dir"
        mkdir -p "$dir"
        PROFTRACE_DIR=$dir LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$lib/libproftrace.so bash "$script" >"$dir.log" 2>&1
        return $?
    fi
    cat "$dir.log" >&2
    return 1
}

# The bug2 scenario (another login session purges the service's profile), unfixed, into DIR.
record_bug2() {
    if ! MAPISIM_FIXES=none record "$1" "$src/samples/scenarios/bug2-session.sh"; then
        echo "FAIL: the bug2 scenario did not run" >&2
        exit 1
    fi
    if ! grep -q "service FAILED" "$1.log"; then
        echo "FAIL: the bug2 scenario did not strike (no 'service FAILED' in its output)" >&2
        cat "$1.log" >&2
        exit 1
    fi
}
