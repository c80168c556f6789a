# lib.sh — sourced by every scenario: an isolated hive and object namespace, the Event Script
# service driven through FIFOs (one line in, one line out: handshakes, never sleeps), clean-up of
# every process and file on any exit, and the final verdict line the tests assert on.
set -euo pipefail

scenario_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The programs: PT_BUILD_DIR's, an installed demo's (bin/ beside scenarios/), or the build tree's.
if [ -n "${PT_BUILD_DIR:-}" ]; then
    build=$PT_BUILD_DIR
elif [ -x "$scenario_dir/../bin/eventsvc" ]; then
    build=$scenario_dir/..
else
    build=$scenario_dir/../../build
fi
bin=$build/bin
if [ ! -x "$bin/eventsvc" ] || [ ! -x "$bin/mapiclient" ]; then
    echo "scenario: no eventsvc/mapiclient in $bin (build first, or set PT_BUILD_DIR)" >&2
    exit 2
fi

svc_pid=
svc_failed=
extra_pids=()
work=

say() {
    echo "scenario: $*"
}

cleanup() {
    local pid
    trap - EXIT
    for pid in ${svc_pid:+"$svc_pid"} "${extra_pids[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    [ -n "$work" ] && rm -rf "$work"
    [ -n "${WINSIM_NAMESPACE:-}" ] && rm -f /dev/shm/winsim."$WINSIM_NAMESPACE".*
    return 0
}

# scenario_init NAME [FIXES-DEFAULT]: unique names, a private hive, the fix level.
scenario_init() {
    export MAPISIM_FIXES=${MAPISIM_FIXES:-${2:-none}}
    unset WINSIM_SESSION # the service runs in its real login session
    trap cleanup EXIT
    trap 'exit 130' INT TERM HUP
    work=$(mktemp -d "${TMPDIR:-/tmp}/scenario-$1.XXXXXX")
    export WINSIM_NAMESPACE=${1}_$(basename "$work" | cut -d. -f2)
    export WINSIM_HIVE_ROOT=$work/hives
    mkdir "$WINSIM_HIVE_ROOT"
    profile=EventScript-$WINSIM_NAMESPACE
    profiles_dir="$WINSIM_HIVE_ROOT/S-1-5-21-$(id -u)/Software/Microsoft/Windows NT/CurrentVersion"
    profiles_dir="$profiles_dir/Windows Messaging Subsystem/Profiles"
    say "$1 (MAPISIM_FIXES=$MAPISIM_FIXES, namespace $WINSIM_NAMESPACE)"
}

require_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "scenario: $1 needs root" >&2
        exit 2
    fi
}

# Reads one line of the service's log into $line and prints it; fails on EOF or silence.
svc_read() {
    if ! IFS= read -r -t 60 line <&"$svc_out"; then
        say "the service stopped answering" >&2
        exit 1
    fi
    echo "$line"
}

start_service() {
    mkfifo "$work/svc.in" "$work/svc.out"
    "${eventsvc_bin:-$bin/eventsvc}" --profile "$profile" <"$work/svc.in" >"$work/svc.out" &
    svc_pid=$!
    exec {svc_in}>"$work/svc.in" {svc_out}<"$work/svc.out"
    svc_read
    case $line in "eventsvc: ready"*) ;; *) say "service did not start" >&2; exit 1 ;; esac
}

# request SUBJECT: one meeting request, one result line.
request() {
    echo "$1" >&"$svc_in"
    svc_read
    case $line in
    "A fatal error (0x80004005)"*) svc_failed=MAPI_E_CALL_FAILED ;;
    "A fatal error"*) svc_failed="another error" ;;
    esac
}

stop_service() {
    exec {svc_in}>&-
    while IFS= read -r -t 60 line <&"$svc_out"; do
        echo "$line"
    done
    exec {svc_out}<&-
    local status=0
    wait "$svc_pid" || status=$?
    svc_pid=
    if [ "$status" -ne 0 ]; then
        say "service exited with status $status" >&2
        exit 1
    fi
}

# Runs a client command without the service's pipe ends (so they close when we close them).
client() {
    "$@" {svc_in}>&- {svc_out}<&-
}

# The line the integration tests read.
verdict() {
    if [ -n "$svc_failed" ]; then
        say "service FAILED ($svc_failed)"
    else
        say "service ok"
    fi
}
