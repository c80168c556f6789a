#!/usr/bin/env bash
# alert_systemd.sh — the systemd unit of the collector and the drop-in that traces a service, as
# `cmake --install` installs them: `systemd-analyze verify` accepts the unit, and a hardened
# service with the drop-in (ProtectSystem=strict, PrivateTmp=yes, ...), without a word; the two
# name the same trace directory, the installed shim and executable; every option the unit gives
# collect is one collect knows, and the trace it keeps is bounded (--max-size). Then the unit is
# run as systemd would run it, in a private mount namespace with a journald of its own:
# /var/lib/proftrace made (StateDirectory=), ExecStart with NOTIFY_SOCKET, READY=1 received once
# the trace directory exists, written in chunks (rotation); the bug2 scenario run with the drop-in's
# Environment= lines is traced into it; its finding reaches the journal while collect runs, and
# journalctl finds it by the trace directory.
ALERT_PRIVATE_NS=${ALERT_PRIVATE_NS:-want}
source "$(dirname "$0")/alert_lib.sh"
command -v systemd-analyze >/dev/null || { echo "SKIP: no systemd-analyze"; exit 77; }
P=$T/prefix
cmake --install "$PT_BUILD" --prefix "$P" >"$T/install.log" 2>&1 || fail "cmake --install: $(tail -5 "$T/install.log")"
UNIT=$P/lib/systemd/system/proftrace-collect.service
DROPIN=$P/share/proftrace/systemd/proftrace-trace.conf
[ -f "$UNIT" ] && [ -f "$DROPIN" ] || fail "not installed: $UNIT, $DROPIN"
cmp -s "$PT_SRC/packaging/systemd/proftrace-collect.service" <(sed "s|$P/|/usr/|g" "$UNIT") ||
    fail "the installed unit differs from the repository's by more than the prefix"

# verify: the unit, and a hardened service with the drop-in (systemd reads SERVICE.service.d/
# beside the unit file it verifies). verify runs `man` on Documentation=man:...: the prefix's pages.
export MANPATH=$P/share/man:
systemd-analyze verify "$UNIT" >"$T/verify.out" 2>&1 || fail "verify $UNIT: $(cat "$T/verify.out")"
[ ! -s "$T/verify.out" ] || fail "verify $UNIT says: $(cat "$T/verify.out")"
U=$T/units
mkdir -p "$U/pt-alert-demo.service.d"
cat >"$U/pt-alert-demo.service" <<EOF
[Unit]
Description=a hardened service to trace
[Service]
ExecStart=$P/lib/proftrace/demo/bin/eventsvc
DynamicUser=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
NoNewPrivileges=yes
EOF
cp "$DROPIN" "$U/pt-alert-demo.service.d/proftrace.conf"
systemd-analyze verify "$U/pt-alert-demo.service" >"$T/verify.out" 2>&1 || fail "verify the drop-in: $(cat "$T/verify.out")"
[ ! -s "$T/verify.out" ] || fail "verify of a service with the drop-in says: $(cat "$T/verify.out")"
echo 'Bogus=1' >>"$U/pt-alert-demo.service.d/proftrace.conf" # verify reads the drop-in, really
systemd-analyze verify "$U/pt-alert-demo.service" >"$T/verify.out" 2>&1 || true
grep -q "proftrace.conf:.*Unknown key 'Bogus'" "$T/verify.out" || fail "verify did not read the drop-in"
ok "systemd-analyze verify: the unit, and a hardened service with the drop-in"

# what the two say must agree
exec_start=$(sed -n 's/^ExecStart=//p' "$UNIT")
read -r -a argv <<<"$exec_start"
[ "${argv[0]}" = "$P/bin/proftrace" ] && [ "${argv[1]}" = collect ] || fail "ExecStart: $exec_start"
dir=
for ((i = 2; i < ${#argv[@]}; i++)); do [ "${argv[i]}" = -o ] && dir=${argv[i + 1]}; done
[ "$dir" = /var/lib/proftrace/trace ] || fail "the unit's trace directory: $dir"
grep -qx "StateDirectory=proftrace" "$UNIT" || fail "no StateDirectory=proftrace"
grep -qx "Type=notify" "$UNIT" || fail "not Type=notify"
grep -qx "Environment=PROFTRACE_DIR=$dir" "$DROPIN" || fail "the drop-in's PROFTRACE_DIR is not $dir"
grep -qx "ReadWritePaths=-$dir" "$DROPIN" || fail "the drop-in's ReadWritePaths is not $dir"
grep -qx "After=proftrace-collect.service" "$DROPIN" && grep -qx "Wants=proftrace-collect.service" "$DROPIN" ||
    fail "the drop-in does not order the service after the collector"
shim=$(sed -n 's/^Environment=LD_PRELOAD=//p' "$DROPIN")
[ "$shim" = "$P/lib/proftrace/libproftrace.so" ] && [ -f "$shim" ] || fail "the drop-in's shim: $shim"
ok "the unit and the drop-in name the same trace directory, the installed shim and executable"

# every option of ExecStart is one collect knows; the trace of days it keeps is bounded
"$P/bin/proftrace" collect --help >"$T/help.txt"
cap=
for ((i = 2; i < ${#argv[@]}; i++)); do
    o=${argv[i]}
    [ "$o" = --max-size ] && cap=${argv[i + 1]}
    case $o in --*) ;; *) continue ;; esac
    grep -qE -- "^ +(-., )?${o%%=*}([=[ ]|$)" "$T/help.txt" ||
        fail "the unit gives collect $o, which it does not know"
done
[ -n "$cap" ] || fail "the unit's collect has no --max-size: its trace grows without bound"
ok "collect knows every option of the unit; the trace is kept under $cap"
run=("${argv[@]}")

# The unit, run as systemd would: /var/lib/proftrace made, journald there, NOTIFY_SOCKET.
start_journald
mount -t tmpfs pt-alert-state /var/lib # ours alone: nothing is made on the machine's /var/lib
mkdir -m 0755 /var/lib/proftrace
python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
open(sys.argv[2] + ".tmp", "wb").write(s.recv(4096))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])' "$T/notify" "$T/notify.msg" &
until [ -S "$T/notify" ]; do sleep 0.02; done
NOTIFY_SOCKET=$T/notify "${run[@]}" >"$T/unit.out" 2>"$T/unit.err" &
COL=$!
until [ -s "$T/notify.msg" ]; do
    kill -0 $COL 2>/dev/null || fail "the unit's collect ended: $(cat "$T/unit.err")"
    sleep 0.02
done
[ "$(cat "$T/notify.msg")" = READY=1 ] || fail "notify: $(cat "$T/notify.msg")"
[ -d "$dir/rings" ] || fail "READY=1 before $dir was made"
[ -d "$dir/chunks/000001" ] || fail "$dir is not written in chunks: $(ls -A "$dir")"
ok "the unit's collect said READY=1 once $dir was made"

# the service, with the drop-in's environment
(
    while IFS= read -r line; do export "${line#Environment=}"; done < <(grep '^Environment=' "$DROPIN")
    LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$LD_PRELOAD # a sanitizer build's runtime first
    PT_BUILD_DIR=$PT_BUILD bash "$PT_SRC/samples/scenarios/bug2-session.sh"
) >"$T/scenario.log" 2>&1 || fail "the scenario failed: $(tail -5 "$T/scenario.log")"
grep -q "service FAILED (MAPI_E_CALL_FAILED)" "$T/scenario.log" || fail "the bug did not strike"
until grep -q "^proftrace collect: finding: cross-namespace-purge" "$T/unit.err"; do # as it happens
    kill -0 $COL 2>/dev/null || fail "the unit's collect ended: $(cat "$T/unit.err")"
    sleep 0.05
done
stop_collect
grep -qx "proftrace collect: findings to the journal: 1 sent, 0 not" "$T/unit.err" ||
    fail "the finding did not go to the journal: $(cat "$T/unit.err")"
journalctl --sync
journalctl -D /run/log/journal -t proftrace PROFTRACE_TRACE_DIR=$dir -o cat >"$T/cat.txt" 2>&1 ||
    fail "journalctl: $(cat "$T/cat.txt")"
grep -q "^cross-namespace-purge (session-namespace-split, critical): profile \"EventScript-bug2-session_.*; trace $dir$" "$T/cat.txt" ||
    fail "journalctl PROFTRACE_TRACE_DIR=$dir: $(cat "$T/cat.txt")"
rc=0
"$P/bin/proftrace" report "$dir" >"$T/report.txt" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "cross-namespace-purge" "$T/report.txt" || fail "report $dir: exit $rc"
ok "a service run with the drop-in's environment is traced into $dir; its finding is in the journal"
