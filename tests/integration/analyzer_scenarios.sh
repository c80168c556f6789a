#!/usr/bin/env bash
# analyzer_scenarios.sh — records every sample scenario (at several fix levels) and checks that
# `proftrace report` finds exactly the expected findings with the right cause: the JSON report,
# normalised (random names and numbers removed), against tests/expected/analyzer/NAME.txt; and the
# exit status (1 findings, 0 none).
set -euo pipefail
src=${PT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PT_BIN:-$src/build/bin}
lib=${PT_LIB:-$src/build/lib}
export PT_BUILD_DIR=$(dirname "$bin")
expected=$src/tests/expected/analyzer
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-analyzer-scn.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0

if [ "$(id -u)" -ne 0 ]; then
    echo "analyzer_scenarios: needs root (login sessions, mount namespaces)" >&2
    exit 1
fi

# record DIR SCRIPT: with `proftrace record` when it exists, else with the shim's environment
# (then no collector writes `reaped` events; the analyzer must cope with that too).
record() {
    local dir=$1 script=$2
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

normalise() {
    jq -r '.findings[] | [.rule, .cause, .severity, (if .uncertain then "uncertain" else "certain" end),
                          .resource.kind, .resource.name, .deleter.call, (.deleter.api // "-"),
                          .holder.call, (.victim.call // "-"), (.victim.error // "-"),
                          (.victim.detail.call // "-"), (.victim.detail.error // "-")] | join(" ")' |
        sed -E 's/(EventScript-[a-z0-9-]+)_[A-Za-z0-9]{6}/\1_XXXXXX/g'
    }

check() {
    local name=$1 script=$2 fixes=$3 want_rc=$4
    local dir=$tmp/$name
    mkdir -p "$dir"
    if ! MAPISIM_FIXES=$fixes record "$dir" "$src/samples/scenarios/$script"; then
        echo "FAIL $name: the scenario did not run" >&2
        fail=1
        return
    fi
    local rc=0
    "$bin/proftrace" report --json "$dir" >"$dir.json" 2>"$dir.err" || rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        echo "FAIL $name: report exit $rc, expected $want_rc" >&2
        cat "$dir.err" >&2
        fail=1
    fi
    normalise <"$dir.json" >"$dir.got"
    if ! diff -u "$expected/$name.txt" "$dir.got"; then
        echo "FAIL $name: findings differ from $expected/$name.txt" >&2
        "$bin/proftrace" report "$dir" >&2 || true
        fail=1
        return
    fi
    # the text report tells the same story
    "$bin/proftrace" report "$dir" >"$dir.txt" || true
    if [ "$want_rc" -eq 1 ] && ! grep -q "^finding 1: " "$dir.txt"; then
        echo "FAIL $name: text report has no finding" >&2
        fail=1
    fi
    echo "ok   $name"
}

check bug1-none bug1-impersonation.sh none 1
check bug1-sid bug1-impersonation.sh sid 0
check bug2-none bug2-session.sh none 1
check bug2-sid bug2-session.sh sid 1
check bug2-global bug2-session.sh global 0
check mntns-all mntns.sh all 1
check fixed-all fixed.sh all 0
check crashed-holder-none crashed-holder.sh none 0
exit $fail
