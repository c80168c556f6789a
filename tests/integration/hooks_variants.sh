#!/usr/bin/env bash
# hooks_variants.sh — the profile library linked statically (bug2-static) and built -Bsymbolic
# (bug2-symbolic) is traced through inline hooks exactly as the dynamic one is through
# interposition (bug2-session): under `proftrace record`, the service's and the client's events
# (class, arguments, results, nesting depth), the length of every recorded stack, and the
# findings of `report --json` (rule, cause, the deleting and the failing call) are the same once
# names, addresses, pids and times are normalised. So is the dynamic build with
# PROFTRACE_INLINE=all (hooked inline AND interposed: no call may be recorded twice). Control: with PROFTRACE_INLINE=off neither
# build's trace is the same (so the comparison can fail).
set -u
PT=$PT_BIN/proftrace
SCN=$PT_SRC/samples/scenarios
export PT_BUILD_DIR=${PT_BUILD_DIR:-$(dirname "$PT_BIN")}
[ -n "${PT_PRELOAD_FIRST:-}" ] && export LD_PRELOAD=$PT_PRELOAD_FIRST
work=$(mktemp -d /tmp/pt-hooks-var.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0

# Events of the service and the client only (bash and coreutils differ in nothing of interest),
# without process/thread/module events (paths and load addresses differ by build), normalised.
norm_events() {
    "$PT" events "$1" | grep -E '^[^[]*\[[0-9/]+ (eventsvc|mapiclient)' |
        grep -vE ' (module|thread|process|reaped)\(' | cut -d' ' -f2- |
        sed -E 's/^\[[0-9/]+ (eventsvc|mapiclient)(-static|-symbolic)?\]/[\1]/
                s/bug2-(session|static|symbolic)[._][A-Za-z0-9]{6}/NS/g
                s/0x[0-9a-f]{5,}/ADDR/g; s/@[0-9]+:[0-9]+\/[0-9]+/@ID/g
                s/\/proc\/[0-9]+\//\/proc\/PID\//g; s/\.s[0-9]+\./.sN./g
                s/(RegSetValueExA\(0x[0-9a-f]+, "[0-9a-f]+", [0-9A-Z_]+, )[0-9]+/\1LEN/
                s/(RegQueryValueExA\(0x[0-9a-f]+, "[0-9a-f]+", )[0-9]+/\1LEN/
                s/= [0-9]{3,}$/= PID/'
}

findings() {
    "$PT" report --json "$1" >"$1.json" 2>/dev/null
    python3 - "$1.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for f in d.get("findings", []):
    v = f.get("victim") or {}
    print(f["rule"], f["cause"], f["deleter"].get("call"), v.get("call"), v.get("error"))
PY
}

run() { # tag scenario [env...]
    local tag=$1 s=$2
    shift 2
    env "$@" "$PT" record -o "$work/$tag" -- bash "$SCN/$s.sh" >"$work/$tag.out" 2>&1
    local rc=$?
    if [ $rc -ne 0 ] || ! grep -q 'service FAILED (MAPI_E_CALL_FAILED)' "$work/$tag.out"; then
        echo "FAIL $tag: scenario did not run as expected (rc $rc)"
        tail -5 "$work/$tag.out"
        fail=1
    fi
    norm_events "$work/$tag" >"$work/$tag.ev"
    findings "$work/$tag" >"$work/$tag.find"
}

run dynamic bug2-session
# "all": the dynamic build hooked inline as well as interposed: still one event per call
run all bug2-session PROFTRACE_INLINE=all
for v in static symbolic all; do
    [ "$v" = all ] || run "$v" "bug2-$v"
    if grep -q 'inline hook' "$work/$v.out"; then
        echo "FAIL $v: the shim complained about an inline hook"
        grep 'inline hook' "$work/$v.out" | head -5
        fail=1
    fi
    if ! diff "$work/dynamic.ev" "$work/$v.ev" >"$work/$v.diff"; then
        echo "FAIL $v: events differ from the dynamic build's"
        head -20 "$work/$v.diff"
        fail=1
    fi
    if ! diff "$work/dynamic.find" "$work/$v.find"; then
        echo "FAIL $v: findings differ from the dynamic build's"
        fail=1
    fi
done
# The events that matter are there at all (not two empty traces compared).
for want in '^\[mapiclient\] MAPIInitialize' '^\[mapiclient\]   RegDeleteTreeA\(.*NS' \
    '^\[mapiclient\]     unlinkat' '^\[eventsvc\]   RegQueryValueExA.* = ERROR_KEY_DELETED' \
    '^\[eventsvc\] IMAPISession_OpenMsgStore.* = MAPI_E_CALL_FAILED'; do
    grep -qE "$want" "$work/dynamic.ev" || { echo "FAIL dynamic: no event matching $want"; fail=1; }
done
grep -q '^cross-namespace-purge session-namespace-split MAPIInitialize' "$work/dynamic.find" ||
    { echo "FAIL dynamic: no cross-namespace-purge finding"; cat "$work/dynamic.find"; fail=1; }

# Stacks: same number of frames for every recorded stack, per call class.
if command -v babeltrace2 >/dev/null; then
    for t in dynamic static symbolic all; do
        babeltrace2 "$work/$t" 2>/dev/null | grep -E '^\[' | grep -E 'frames = \[ \[' |
            sed -E 's/^.*\] [^ ]+ ([A-Za-z_0-9]+): .*$/\1/' >"$work/$t.cls"
        babeltrace2 "$work/$t" 2>/dev/null | grep -E '^\[' | grep -E 'frames = \[ \[' |
            awk '{ print gsub(/\] = 0x/, "") }' | paste -d' ' "$work/$t.cls" - |
            grep -E '^(Reg|MAPI|IProfAdmin|IMAPISession|CreateFileMapping|OpenFileMapping|MapView|UnmapView|CloseHandle)' |
            sort | uniq -c >"$work/$t.stacks"
    done
    for v in static symbolic all; do
        if ! diff "$work/dynamic.stacks" "$work/$v.stacks"; then
            echo "FAIL $v: stack lengths differ from the dynamic build's"
            fail=1
        fi
    done
    [ -s "$work/dynamic.stacks" ] || { echo "FAIL: no stacks of API calls recorded"; fail=1; }
fi

# Control: without inline hooks the builds' calls into themselves are invisible.
for v in static symbolic; do
    run "off-$v" "bug2-$v" PROFTRACE_INLINE=off
    if diff -q "$work/dynamic.ev" "$work/off-$v.ev" >/dev/null; then
        echo "FAIL control: PROFTRACE_INLINE=off traced bug2-$v just as well (test is blind)"
        fail=1
    fi
done
[ $fail -eq 0 ] && echo "ok: static and -Bsymbolic builds traced like the dynamic one ($(wc -l <"$work/dynamic.ev") events, $(awk '{s+=$1} END {print s}' "$work/dynamic.stacks" 2>/dev/null) stacks)"
exit $fail
