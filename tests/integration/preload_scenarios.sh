#!/usr/bin/env bash
# preload_scenarios.sh — every sample scenario behaves the same under the shim (LD_PRELOAD and
# PROFTRACE_DIR, as `proftrace record` sets them) as without it: exit status and output, with
# the run's random names and pids normalised. And the trace shows what the analyzer needs: for
# bug2-session, the service and the client as two processes of different login sessions, the
# client's purge (RegDeleteTreeA of the service's profile with the nested unlinkat of its key
# directory) and the service's later failing RegQueryValueExA/OpenMsgStore.
set -u
SHIM=${PT_SHIM:-$PT_LIB/libproftrace.so}
[ -n "${PT_PRELOAD_FIRST:-}" ] && SHIM=$PT_PRELOAD_FIRST:$SHIM
DUMP=$PT_TESTS/preload_dump
SCN=$PT_SRC/samples/scenarios
export PT_BUILD_DIR=${PT_BUILD_DIR:-$(dirname "$PT_BIN")}
work=$(mktemp -d /tmp/pt-preload-scn.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail=0

norm() { # the parts of a scenario's output that differ from run to run by design (names, pids,
          # audit session numbers, bash's asynchronous "Killed" notice for a SIGKILLed job)
    sed -E -e '/: line [0-9]+: +[0-9]+ Killed /d' \
        -e 's/namespace [^)]*\)/namespace N)/; s/pid [0-9]+/pid N/g; s/login session [0-9]+/login session N/g' \
        -e 's/(EventScript-)[A-Za-z0-9_.-]+/\1N/g; s/_[A-Za-z0-9]{6}\b/_N/g' "$1"
}

for s in "$SCN"/*.sh; do
    name=$(basename "$s" .sh)
    [ "$name" = lib ] && continue
    for fixes in none global; do
        tag=$name-$fixes
        MAPISIM_FIXES=$fixes bash "$s" >"$work/$tag.plain" 2>&1
        echo $? >"$work/$tag.plain.rc"
        mkdir -p "$work/$tag.trace"
        MAPISIM_FIXES=$fixes LD_PRELOAD=$SHIM PROFTRACE_DIR=$work/$tag.trace bash "$s" \
            >"$work/$tag.traced" 2>&1
        echo $? >"$work/$tag.traced.rc"
        if ! cmp -s "$work/$tag.plain.rc" "$work/$tag.traced.rc" ||
            ! diff <(norm "$work/$tag.plain") <(norm "$work/$tag.traced") >"$work/$tag.diff"; then
            echo "FAIL $tag: behaves differently under the shim (rc $(cat "$work/$tag.plain.rc") vs $(cat "$work/$tag.traced.rc"))"
            head -20 "$work/$tag.diff"
            fail=1
        fi
        "$DUMP" "$work/$tag.trace" >"$work/$tag.events" 2>&1 || { echo "FAIL $tag: trace unreadable"; fail=1; }
        if grep -q "trace diag" "$work/$tag.events"; then
            echo "FAIL $tag: damaged trace"; grep "trace diag" "$work/$tag.events" | head -3; fail=1
        fi
    done
done

# bug2-session without fixes: the story is in the trace.
ev=$work/bug2-session-none.events
svc=$(grep -E ' process .*exe="[^"]*/eventsvc"' "$ev" | head -1)
cli=$(grep -E ' process .*exe="[^"]*/mapiclient"' "$ev" | head -1)
field() { sed -nE "s/.* $1=([^ ]*).*/\1/p" <<<"$2"; }
if [ -z "$svc" ] || [ -z "$cli" ]; then
    echo "FAIL bug2: service or client process missing"; fail=1
else
    svc_pid=${svc%%/*} cli_pid=${cli%%/*}
    if [ "$(id -u)" = 0 ] && [ "$(field sessionid "$svc")" = "$(field sessionid "$cli")" ]; then
        echo "FAIL bug2: service and client recorded in the same login session"; fail=1
    fi
    [ "$(field uid "$svc")" = "$(field uid "$cli")" ] || { echo "FAIL bug2: not the same account"; fail=1; }
    grep -qE "^$cli_pid/[0-9]+ MAPIInitialize d=0 " "$ev" || { echo "FAIL bug2: client MAPIInitialize"; fail=1; }
    grep -qE "^$cli_pid/[0-9]+ RegDeleteTreeA d=[12] .*lpSubKey=\"EventScript-" "$ev" ||
        { echo "FAIL bug2: the client's purge of the profile key"; fail=1; }
    grep -qE "^$cli_pid/[0-9]+ unlinkat d=[23] .*pathname_ino=0x[1-9a-f]" "$ev" ||
        { echo "FAIL bug2: nested unlinkat with the key's identity"; fail=1; }
    grep -qE "^$svc_pid/[0-9]+ RegQueryValueExA .*ret=1018 " "$ev" ||
        { echo "FAIL bug2: the service's ERROR_KEY_DELETED"; fail=1; }
    grep -qE "^$svc_pid/[0-9]+ IMAPISession_OpenMsgStore d=0 ret=-2147467259 " "$ev" ||
        { echo "FAIL bug2: the service's failing OpenMsgStore"; fail=1; }
fi
if [ $fail = 0 ]; then
    echo "preload_scenarios: ok"
else
    echo "work dir kept: $work"
    trap - EXIT
fi
exit $fail
