#!/usr/bin/env bash
# fault_enospc.sh — the trace disk fills up while a traced service runs: a 512 KiB tmpfs mounted in a
# private mount namespace (unshare -m, so parallel runs and the host never see it) holds the trace.
# The service must behave exactly as without tracing (same output and files; the shim may add its
# one-line notices on stderr), `record` must say the trace is incomplete (exit status 125, and a
# summary naming the service's own exit status), and everything recorded before the disk filled is
# read back. Before the fix a store into an unbacked page of the ring mapping raised SIGBUS and
# killed the traced processes (exit status 135).
if [ -z "${PT_FAULT_IN_NS:-}" ]; then
    exec unshare -m --propagation private env PT_FAULT_IN_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/fault_lib.sh"
mkdir "$T/disk" "$T/scratch"
mount -t tmpfs -o size=512k,mode=0700 ptfault "$T/disk"
PT_CLEANUP+=("umount '$T/disk'")
# The service: 150 short-lived children (each a traced process), a sum, a file it writes.
svc=(bash -c 'for i in $(seq 150); do echo x >"$1/f$i"; rm "$1/f$i"; echo "step $i"; done
              seq 1000 | sha1sum >"$1/result"; cat "$1/result"; exit 7' _ "$T/scratch")
set +e
"${svc[@]}" >"$T/plain.out" 2>"$T/plain.err"
rc0=$?
cp "$T/scratch/result" "$T/plain.result"
PROFTRACE_BUFSIZE=64k PROFTRACE_THREADS=2 "$PROFTRACE" record -o "$T/disk/tr" -- "${svc[@]}" \
    >"$T/tr.out" 2>"$T/tr.err"
rc1=$?
set -e
[ "$rc0" = 7 ] || fail "untraced run exited $rc0"
[ "$rc1" = 125 ] || { cat "$T/tr.err" >&2; fail "traced run on a full disk exited $rc1, not 125"; }
grep -q "^proftrace: trace incomplete: .*No space left on device.* exited 7\$" "$T/tr.err" ||
    fail "no summary saying the trace is incomplete and how the service ended: $(cat "$T/tr.err")"
cmp -s "$T/plain.out" "$T/tr.out" || fail "output differs: $(diff "$T/plain.out" "$T/tr.out" | head)"
cmp -s "$T/plain.result" "$T/scratch/result" || fail "the service's file differs"
grep -v '^proftrace' "$T/tr.err" >"$T/tr.err.own" || true
cmp -s "$T/plain.err" "$T/tr.err.own" || fail "stderr differs beyond proftrace notices: $(cat "$T/tr.err.own")"
grep -q "No space left on device" "$T/tr.err" || fail "the disk never filled (no notice): $(cat "$T/tr.err")"
full=$(df -k --output=avail "$T/disk" | tail -1 | tr -d ' ')
# What was recorded before the disk filled reads back: every process with a ring or stream.
"$PROFTRACE" events "$T/disk/tr" >"$T/events" 2>"$T/events.err" || true
nproc=$(grep -c ' process(' "$T/events" || true)
nunlink=$(grep -c 'unlink' "$T/events" || true)
[ "$nproc" -ge 2 ] || fail "only $nproc processes readable: $(head -5 "$T/events.err")"
[ "$nunlink" -ge 1 ] || fail "no unlink readable"
# Every process that has a process event has its whole story up to its exit or the fault: each
# traced rm that recorded its start also recorded its unlink (small events, one packet).
nrm=$(grep ' process(' "$T/events" | grep -c 'exe="/usr/bin/rm"' || true)
nrm_unlink=$(grep -E '\[[0-9]+ rm\].*unlink' "$T/events" | wc -l)
[ "$nrm" = "$nrm_unlink" ] || fail "$nrm rm processes readable but $nrm_unlink of their unlinks"
notices=$(grep -c '^proftrace' "$T/tr.err" || true)
ok "disk full (${full} KiB left): service unchanged (exit $rc0, same output and files), record exit $rc1, $notices notices, $nproc processes and $nunlink unlinks readable"
