# alert_lib.sh — sourced by the alert tests (alert_*.sh): where things are, a private work
# directory removed at exit, a collector started and stopped, the bug2 scenario run under it, a
# real journald of the test's own.
# A test that sets ALERT_PRIVATE_NS=${ALERT_PRIVATE_NS:-want} before sourcing this runs in a mount
# namespace of its own (it is run again under unshare -m with ALERT_PRIVATE_NS=in; skipped, exit
# 77, where that cannot be done).
set -euo pipefail
: "${PT_BIN:?set by CTest}" "${PT_SRC:?set by CTest}" "${PT_BUILD:?set by CTest}"
PROFTRACE=$PT_BIN/proftrace
if [ "${ALERT_PRIVATE_NS:-}" = want ]; then
    unshare -m --propagation private true 2>/dev/null ||
        { echo "SKIP: cannot make a private mount namespace (unshare -m)"; exit 77; }
    ALERT_PRIVATE_NS=in exec unshare -m --propagation private bash "$0" "$@"
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/pt-$(basename "$0" .sh).XXXXXX")
COL=
ALERT_CLEANUP=() # more to undo at exit, last first
alert_cleanup() {
    [ -n "$COL" ] && kill -KILL "$COL" 2>/dev/null
    for ((i = ${#ALERT_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${ALERT_CLEANUP[i]}" || true; done
    wait 2>/dev/null || true
    rm -rf "$T"
}
trap alert_cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
    exit 1
}
ok() { echo "ok: $*"; }

# start_collect NAME DIR [OPTION...]: `proftrace collect -o DIR OPTION...` in the background,
# output in $T/NAME.out and $T/NAME.err; returns once it printed the environment (it is ready).
start_collect() {
    local name=$1 dir=$2
    shift 2
    "$PROFTRACE" collect -o "$dir" "$@" >"$T/$name.out" 2>"$T/$name.err" &
    COL=$!
    until grep -q '^PROFTRACE_DIR=' "$T/$name.out" 2>/dev/null; do
        kill -0 "$COL" 2>/dev/null || fail "collect $* ended before it was ready"
        sleep 0.02
    done
}

# stop_collect: SIGTERM, and its exit status, which must be 0.
stop_collect() {
    kill -TERM "$COL"
    local rc=0
    wait "$COL" || rc=$?
    COL=
    [ "$rc" = 0 ] || fail "collect exited $rc"
}

# run_bug2 NAME: the bug2 scenario, traced with the environment collect NAME printed; it must
# end with the service failing (the finding happened).
run_bug2() {
    (
        set -a
        source "$T/$1.out"
        PT_BUILD_DIR=$PT_BUILD bash "$PT_SRC/samples/scenarios/bug2-session.sh"
    ) >"$T/scenario.log" 2>&1 || fail "the scenario failed: $(tail -5 "$T/scenario.log")"
    grep -q "service FAILED (MAPI_E_CALL_FAILED)" "$T/scenario.log" ||
        fail "the bug did not strike: $(tail -5 "$T/scenario.log")"
}

# start_journald: a systemd-journald of the test's own, in its private mount namespace: its own
# /run/systemd (sockets) and /run/log (a volatile journal, read with journalctl -D /run/log/journal),
# nothing of the machine's read (kernel log, audit). Returns once it listens. Exit 77 (skip, said)
# when this machine has no journald.
start_journald() {
    [ "${ALERT_PRIVATE_NS:-}" = in ] || fail "start_journald outside a private mount namespace"
    local jd=
    for j in /lib/systemd/systemd-journald /usr/lib/systemd/systemd-journald; do
        [ -x "$j" ] && jd=$j && break
    done
    [ -n "$jd" ] || { echo "SKIP: no systemd-journald here (Debian: the systemd package)"; exit 77; }
    command -v journalctl >/dev/null || { echo "SKIP: no journalctl"; exit 77; }
    mount -t tmpfs pt-alert-run /run/systemd
    mount -t tmpfs pt-alert-log /run/log
    mkdir -p /run/systemd/journal /run/systemd/journald.conf.d
    printf '%s\n' '[Journal]' Storage=volatile ReadKMsg=no Audit=no ForwardToSyslog=no \
        ForwardToKMsg=no ForwardToConsole=no ForwardToWall=no RateLimitBurst=0 \
        >/run/systemd/journald.conf.d/pt-alert.conf
    "$jd" >"$T/journald.log" 2>&1 &
    JOURNALD=$!
    ALERT_CLEANUP+=("kill -TERM $JOURNALD 2>/dev/null")
    until [ -S /run/systemd/journal/socket ] && [ -S /run/systemd/journal/io.systemd.journal ]; do
        kill -0 $JOURNALD 2>/dev/null || fail "journald did not start: $(cat "$T/journald.log")"
        sleep 0.02
    done
}
