#!/usr/bin/env bash
# tracer_readers_fifo.sh — a FIFO, or a symbolic link to /dev/zero, planted where a reader expects
# a file: as `metadata` (events, report, export, live, collect), as a stream file, as a core
# (`proftrace core`). Each reader says which file is wrong and why, reads everything else, and
# never blocks. `timeout` is only a failure detector here: a reader that needs it has hung.
source "$(dirname "$0")/tracer_lib.sh"

pt_record -o "$T/good" -- /bin/true >/dev/null 2>&1 || fail "record /bin/true"
[ -f "$T/good/metadata" ] || fail "record wrote no metadata"
ls "$T/good" | grep -q '_' || fail "record wrote no stream file"
nevents=$("$PROFTRACE" events --count "$T/good") || fail "events on the good trace"

# run NAME WANT-RC PATTERN CMD...: CMD ends (no hang), with WANT-RC, and stderr matches PATTERN
run() {
    local name=$1 want=$2 pattern=$3 rc=0
    shift 3
    timeout 60 "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
    [ "$rc" != 124 ] || fail "$name: hung (killed by the test's timeout)"
    [ "$rc" = "$want" ] || fail "$name: exit $rc, expected $want: $(cat "$T/$name.err")"
    grep -qE "$pattern" "$T/$name.err" || fail "$name: stderr does not say /$pattern/: $(cat "$T/$name.err")"
    echo "ok   $name"
}

for kind in fifo zero; do
    d=$T/meta-$kind
    cp -a "$T/good" "$d"
    rm "$d/metadata"
    if [ $kind = fifo ]; then
        mkfifo "$d/metadata"
        why="metadata: not a regular file"
    else
        ln -s /dev/zero "$d/metadata"
        why="metadata: a symbolic link, not followed"
    fi
    run "events-$kind" 2 "$why" "$PROFTRACE" events "$d"
    # everything else is still read
    [ "$(grep -c . "$T/events-$kind.out")" = "$nevents" ] ||
        fail "events-$kind: $(grep -c . "$T/events-$kind.out") events, the trace has $nevents"
    run "report-$kind" 2 "$why" "$PROFTRACE" report "$d"
    run "export-$kind" 2 "$why" "$PROFTRACE" export --format chrome -o "$T/x-$kind.json" "$d"

    # live: says it once and keeps following (stopped with SIGINT once it said so)
    "$PROFTRACE" live "$d" >"$T/live-$kind.out" 2>"$T/live-$kind.err" &
    live=$!
    PIDS_TO_KILL+=("$live")
    for _ in $(seq 600); do
        grep -q "$why" "$T/live-$kind.err" && break
        sleep 0.1
    done
    grep -q "$why" "$T/live-$kind.err" || fail "live-$kind: never said '$why' (hung?)"
    kill -INT "$live"
    wait "$live" || fail "live-$kind: exit $? after SIGINT"
    echo "ok   live-$kind"

    # collect on that directory: starts (prints the environment), drains, stops on SIGINT
    "$PROFTRACE" collect -o "$d" >"$T/collect-$kind.out" 2>"$T/collect-$kind.err" &
    col=$!
    PIDS_TO_KILL+=("$col")
    for _ in $(seq 600); do
        grep -q '^PROFTRACE_DIR=' "$T/collect-$kind.out" && break
        kill -0 "$col" 2>/dev/null || break
        sleep 0.1
    done
    grep -q '^PROFTRACE_DIR=' "$T/collect-$kind.out" ||
        fail "collect-$kind: never printed its environment (hung on metadata?): $(cat "$T/collect-$kind.err")"
    kill -INT "$col"
    timeout 60 tail --pid="$col" -f /dev/null || fail "collect-$kind: did not stop on SIGINT"
    echo "ok   collect-$kind"
done

# a stream file that is a FIFO, and one that is a link to /dev/zero
d=$T/stream
cp -a "$T/good" "$d"
mkfifo "$d/4242-1-00000000000fff00_0"
ln -s /dev/zero "$d/4242-1-00000000000fff00_1"
run stream-events 2 "4242-1-00000000000fff00_0: not a regular file" "$PROFTRACE" events "$d"
grep -q "4242-1-00000000000fff00_1: a symbolic link, not followed" "$T/stream-events.err" ||
    fail "stream-events: the /dev/zero link is not named: $(cat "$T/stream-events.err")"
[ "$(grep -c . "$T/stream-events.out")" = "$nevents" ] || fail "stream-events: events missing"
run stream-report 2 "4242-1-00000000000fff00_0: not a regular file" "$PROFTRACE" report "$d"
# a file name that is itself an escape sequence is named escaped
mkfifo "$d/"$'\e[2J_0'
run stream-name 2 'x1b\[2J_0: not a regular file' "$PROFTRACE" events "$d"
if LC_ALL=C grep -qaP '\x1b' "$T/stream-name.err"; then fail "a file name's escape reached stderr"; fi

# a FIFO as the core, and a link to /dev/zero
mkfifo "$T/core.fifo"
run core-fifo 2 "core.fifo: not a regular file" "$PROFTRACE" core "$T/core.fifo" -o "$T/core-out"
ln -s /dev/zero "$T/core.zero"
run core-zero 2 "core.zero: a symbolic link, not followed" "$PROFTRACE" core "$T/core.zero" -o "$T/core-out"
echo "PASS"
