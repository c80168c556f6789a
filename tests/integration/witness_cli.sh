#!/usr/bin/env bash
# witness_cli.sh — the witness inside `proftrace collect` and `proftrace record`: a traced
# process holds a registry key and a shared-memory object, an untraced rm deletes both, and
# `proftrace events` (and babeltrace2) show the deletions witnessed with rm's pid and exe.
set -euo pipefail
: "${PT_BIN:?set by CTest}" "${PT_TESTS:?set by CTest}"
PROFTRACE=$PT_BIN/proftrace
HOLDER=$PT_TESTS/witness_tool_holder
T=$(mktemp -d "/tmp/pt-witness-cli-XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$T" /dev/shm/pt-wcli-$$-*
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; [ -n "${r:-}" ] && [ -s "$r.err" ] && cat "$r.err" >&2; exit 1; }
wait_for() {
    local n=${2:-300}
    while [ ! -s "$1" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    [ -s "$1" ] || fail "timed out waiting for $1"
}

# The witnessed events of trace $1 so far (read whole, then searched: no pipe to break).
witnessed() {
    "$PROFTRACE" events --kind witnessed "$1" 2>/dev/null || true
}

# The kernel's dev_t of the filesystem a path is on, as fanotify's fdinfo prints it (sdev:%x).
kdev() {
    local d
    d=$(stat -c %d "$1")
    printf '%x' $(((((d >> 8) & 0xfff) << 20) | ((d & 0xff) | ((d >> 12) & 0xfff00))))
}

# Untraced deletions of probe files under KEY until the witness records one: then it watches KEY.
wait_key_watched() {
    local D=$1 key=$2 n=0
    while [ $n -lt 150 ]; do
        : >"$key/probe-$n"
        env -u LD_PRELOAD -u PROFTRACE_DIR /usr/bin/rm -f "$key/probe-$n"
        grep -qF "path=\"$key/probe-" <<<"$(witnessed "$D")" && return 0
        n=$((n + 1))
        sleep 0.1 # between probes: the witness rescans what holders hold about once a second
    done
    fail "the witness never watched $key"
}

# A fanotify mark of process PID on the filesystem of PATH (the SHM object's /dev/shm): the
# witness watches what the holder maps there.
wait_marked() {
    local pid=$1 dev n=0
    dev=$(kdev "$2")
    until grep -qs "sdev:$dev " /proc/"$pid"/fdinfo/*; do
        [ $n -lt 300 ] || fail "the witness never watched $2"
        n=$((n + 1))
        sleep 0.05
    done
}

# Until `proftrace events` shows PATH witnessed in trace D.
wait_witnessed() {
    local n=0
    until grep -qF "path=\"$2\"" <<<"$(witnessed "$1")"; do
        [ $n -lt 300 ] || fail "the deletion of $2 was never witnessed"
        n=$((n + 1))
        sleep 0.05
    done
}

# One run: MODE is collect or record. Prints "ok", or "raced" when rm exited before its identity
# could be read (the pid is still checked). It runs in a command substitution: what it starts must
# not keep that pipe open, and goes with it when it fails.
run() {
    local mode=$1 r=$T/$1-$RANDOM
    local D=$r/trace SHM=/dev/shm/pt-wcli-$$-$RANDOM KEY=$r/hive/Profiles/ES-1 hjob=
    trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done' EXIT
    mkdir -p "$KEY"
    if [ "$mode" = collect ]; then
        "$PROFTRACE" collect -o "$D" --interval 5 >"$r.env" 2>"$r.err" &
        local col=$!
        PIDS+=("$col")
        wait_for "$D/metadata"
        # ready once it has printed the environment (the witness started before that)
        local n=0
        while ! grep -q '^PROFTRACE_DIR=' "$r.env" && [ $n -lt 300 ]; do sleep 0.05; n=$((n + 1)); done
        PROFTRACE_DIR=$D "$HOLDER" "$SHM" "$KEY" "$r.ready" >"$r.hout" 2>&1 &
        hjob=$!
        PIDS+=("$hjob")
    else
        "$PROFTRACE" record -o "$D" -- "$HOLDER" "$SHM" "$KEY" "$r.ready" >"$r.hout" 2>"$r.err" &
        local col=$!
        PIDS+=("$col")
    fi
    wait_for "$r.ready"
    local holder
    holder=$(cat "$r.ready")
    # the collector attached the holder's ring and the witness watches what it holds: the holder
    # holds both before its ring appears, so the look that finds the key finds the mapping too
    wait_marked "$col" "$SHM"
    wait_key_watched "$D" "$KEY"
    env -u LD_PRELOAD -u PROFTRACE_DIR /usr/bin/rm -rf "$KEY" "$SHM" &
    local rm=$!
    wait "$rm"
    wait_witnessed "$D" "$KEY"
    wait_witnessed "$D" "$SHM"
    kill -TERM "$holder"
    if [ "$mode" = collect ]; then
        wait "$hjob" 2>/dev/null || true # its exit is in its ring before the collector stops
        kill -TERM "$col"
    fi
    wait "$col" || fail "$mode: exit status (holder lost its mapping?): $(cat "$r.err")"
    grep -q "will not be seen" "$r.err" && fail "$mode: witness not started: $(cat "$r.err")"
    local ev
    ev=$("$PROFTRACE" events --kind witnessed "$D")
    echo "$ev" >&2
    for path in "$KEY" "$SHM"; do
        echo "$ev" | grep -F "path=\"$path\"" | grep -q "pid=$rm," || fail "$mode: $path not witnessed as deleted by $rm"
    done
    [ "$(babeltrace2 "$D" 2>/dev/null | grep -c witnessed)" -ge 2 ] || fail "$mode: babeltrace2 does not see them"
    if echo "$ev" | grep -F "$SHM" | grep -q 'ident="gone"'; then
        echo raced
    else
        echo "$ev" | grep -F "path=\"$SHM\"" | grep -q 'exe="/usr/bin/rm"' || fail "$mode: exe not rm"
        echo ok
    fi
}

for mode in collect record; do
    got=
    for attempt in 1 2 3 4 5; do
        got=$(run "$mode")
        [ "$got" = ok ] && break
        echo "$mode attempt $attempt: rm's identity lost to the exit race; again" >&2
    done
    [ "$got" = ok ] || fail "$mode: rm's identity lost in 5 attempts"
    echo "$mode: ok"
done
