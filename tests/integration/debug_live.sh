#!/usr/bin/env bash
# debug_live.sh — `proftrace live` follows the bug2 scenario while it runs, twice: under
# `proftrace record` (a collector drains the rings into CTF streams and removes them as processes
# end, so live reads streams and rings mixed) and with the shim alone (undrained rings only).
# The scenario is held after its client (the deleter) by a handshake: the client wrapper waits on
# a FIFO that this test opens only once live has printed the cross-namespace-purge finding, so the
# finding is seen while the scenario is still running, and no sleep decides anything. Three live
# clients follow at once: all events, --findings, and --exe mapiclient. Afterwards: each client
# detached cleanly (exit 0 on SIGINT), the trace is byte-for-byte what it would be without them,
# every event of the trace was printed exactly once by the unfiltered client, and the filtered
# ones printed only what their filters allow.
set -euo pipefail
: "${PT_BIN:?}" "${PT_LIB:?}" "${PT_TESTS:?}" "${PT_SRC:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/debug_live.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
    [ -n "${PT_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
mkdir -p "$work/build/bin"
ln -s "$PT_BIN/eventsvc" "$work/build/bin/eventsvc"
mkfifo "$work/go"
cat >"$work/build/bin/mapiclient" <<WRAP
#!/bin/sh
# The real client, then wait for the test's go-ahead (or give up after 60 s, which fails it).
"$PT_BIN/mapiclient" "\$@"
st=\$?
echo "client done" >"$work/client.done"
if ! read -r line <"$work/go"; then exit 99; fi
exit \$st
WRAP
chmod +x "$work/build/bin/mapiclient"

run_mode() {
    mode=$1
    trace=$work/trace-$mode
    out=$work/out-$mode
    mkdir -p "$out"
    rm -f "$work/client.done"
    pids=()
    # Created here, not by the background jobs' redirections: `tail -f` below must find them.
    : >"$out/all.out"
    : >"$out/findings.out"
    : >"$out/exe.out"
    "$PT_BIN/proftrace" live "$trace" >"$out/all.out" 2>"$out/all.err" &
    pids+=($!)
    "$PT_BIN/proftrace" live --findings "$trace" >"$out/findings.out" 2>"$out/findings.err" &
    pids+=($!)
    "$PT_BIN/proftrace" live --exe mapiclient "$trace" >"$out/exe.out" 2>"$out/exe.err" &
    pids+=($!)

    if [ "$mode" = record ]; then
        PT_BUILD_DIR=$work/build "$PT_BIN/proftrace" record -o "$trace" -- \
            bash "$PT_SRC/samples/scenarios/bug2-session.sh" >"$out/scn.log" 2>&1 &
    else
        mkdir -p "$trace"
        PT_BUILD_DIR=$work/build PROFTRACE_DIR=$trace LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so \
            bash "$PT_SRC/samples/scenarios/bug2-session.sh" >"$out/scn.log" 2>&1 &
    fi
    scn=$!
    pids+=("$scn")

    # Wait for the finding in the findings-only client (bounded by timeout, not by a guess).
    timeout 60 grep -m1 -q 'FINDING cross-namespace-purge' <(tail -n +1 -f "$out/findings.out") ||
        { cat "$out/scn.log" "$out/findings.err"; fail "live printed no finding within 60 s"; }
    kill -0 "$scn" 2>/dev/null || fail "the scenario had already ended when the finding appeared"
    grep -q 'scenario: service' "$out/scn.log" && fail "the scenario reached its verdict already"
    echo "ok ($mode): live printed the finding while the scenario was still running"
    timeout 60 grep -m1 -q 'FINDING cross-namespace-purge' <(tail -n +1 -f "$out/all.out") ||
        fail "the unfiltered client did not print the finding too"
    # Detach one client while the collection runs (once it has shown the client's delete); the
    # collection must not notice.
    timeout 60 grep -m1 -q 'RegDeleteTreeA' <(tail -n +1 -f "$out/exe.out") ||
        fail "live --exe mapiclient did not show the client's RegDeleteTreeA"
    kill -INT "${pids[2]}"
    st=0
    wait "${pids[2]}" || st=$?
    [ "$st" -eq 0 ] || fail "live --exe exited with $st when detached mid-collection"
    echo go >"$work/go"
    wait "$scn" || { cat "$out/scn.log"; fail "scenario"; }
    grep -q 'scenario: service FAILED (MAPI_E_CALL_FAILED)' "$out/scn.log" || fail "verdict"

    # The collection is complete: let every client catch up with the final state, then detach them.
    final=$("$PT_TESTS/debug_trace_dump" "$trace" | grep -c '^[0-9]')
    sum_before=$(cd "$trace" && find . -type f -exec md5sum {} + | sort)
    # The victim (the service's failing OpenMsgStore) came after the go-ahead: the finding is shown
    # again, updated with it.
    timeout 60 grep -m1 -q 'FINDING (updated) cross-namespace-purge' <(tail -n +1 -f "$out/findings.out") ||
        fail "no updated finding once the victim's call failed"
    grep -q 'MAPI_E_CALL_FAILED' "$out/findings.out" || fail "the updated finding names no victim"
    echo "ok ($mode): the finding was updated with the victim"
    # Wait until the unfiltered client printed every event (bounded), then detach the other two.
    deadline=$((SECONDS + 60))
    while [ "$(grep -c '^[0-9:.]* \[' "$out/all.out")" -lt "$final" ]; do
        [ $SECONDS -lt $deadline ] || fail "live printed $(grep -c '^[0-9:.]* \[' "$out/all.out") of $final events"
        sleep 0.2 # polling a bounded condition; nothing is decided by the delay
    done
    if [ "$mode" = record ]; then
        grep -q 'proftrace: [0-9]* processes, [0-9]* events, 0 lost' "$out/scn.log" ||
            fail "record's summary after a live client detached: $(tail -n1 "$out/scn.log")"
    fi
    for p in "${pids[@]:0:2}"; do
        kill -INT "$p"
        st=0
        wait "$p" || st=$?
        [ "$st" -eq 0 ] || fail "live client $p exited with $st on SIGINT"
    done
    pids=()
    sum_after=$(cd "$trace" && find . -type f -exec md5sum {} + | sort)
    [ "$sum_before" = "$sum_after" ] || fail "the live clients changed the trace directory"
    echo "ok ($mode): clients detached cleanly (one mid-collection), trace untouched"

    n=$(grep -c '^[0-9:.]* \[' "$out/all.out")
    [ "$n" -eq "$final" ] || fail "unfiltered live printed $n event lines, the trace has $final events"
    echo "ok ($mode): every one of the $final events printed exactly once"
    if grep -q '^[0-9:.]* \[' "$out/findings.out"; then fail "--findings printed events"; fi
    [ "$(grep -c 'FINDING' "$out/findings.out")" -ge 1 ] || fail "--findings printed no finding"
    ev=$(grep '^[0-9:.]* \[' "$out/exe.out" || true)
    [ -n "$ev" ] || fail "--exe mapiclient printed no event"
    if grep -v '^[0-9:.]* \[[0-9/]* mapiclient\]' <<<"$ev" | grep -q .; then
        fail "--exe mapiclient printed events of other programs"
    fi
    grep -q 'RegDeleteTreeA' <<<"$ev" || fail "--exe mapiclient misses the client's RegDeleteTreeA"
    echo "ok ($mode): --findings and --exe filters"
}

run_mode record
run_mode shim
