#!/usr/bin/env bash
# fault_diskfull.sh — the trace disk fills up under `proftrace record` (a 5 MB tmpfs in a private
# mount namespace) while one thread makes 2 M traced calls. Nothing disappears uncounted: every
# event the program made is in the trace or counted lost (written + lost == made, made being what
# a run on a roomy disk records), the ring that could not be drained stays in rings/ for the
# readers, and record's exit status (125) and summary say the trace is incomplete. Before, the
# collector removed such rings: 1.95 M events missing, 13,407 of them counted nowhere, exit 0.
if [ -z "${PT_FAULT_IN_NS:-}" ]; then
    exec unshare -m --propagation private env PT_FAULT_IN_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/fault_lib.sh"
FLOOD=$PT_TESTS/tracer_tool_flood
Q=2000000 D=50
# made: what the same run records on a roomy disk, nothing lost
"$PROFTRACE" record -o "$T/ref" --no-loss -- "$FLOOD" $Q $D >"$T/ref.out" 2>"$T/ref.err" ||
    fail "reference run: $(cat "$T/ref.err")"
# The program's own events only (its pid's lines, lost counts included): the collector's witness
# may record deletions other tests make meanwhile on the same file system, and its ring then has
# lines of its own beside them (the thread that writes them).
own_events() {
    "$PROFTRACE" events "$1" 2>/dev/null >"$T/all.events" || true
    local pid
    pid=$(grep -o -m1 '\] process(pid=[0-9]*' "$T/all.events" | grep -o '[0-9]*$') ||
        fail "no process event in $1"
    awk -v p="[$pid" '$2 == p || index($2, p "/") == 1' "$T/all.events"
}
own_events "$T/ref" >"$T/ref.events"
made=$(events_nonlost "$T/ref.events")
[ "$(lost_sum "$T/ref.events")" = 0 ] || fail "the reference run lost events"

mkdir "$T/disk"
mount -t tmpfs -o size=5m,mode=0700 ptdiskfull "$T/disk"
PT_CLEANUP+=("umount '$T/disk'")
set +e
# --no-loss, so that the writer waits for the collector until the disk is full, however loaded the
# machine (then it stops waiting and loses, counted); 1 MiB buffers: backed whole before the disk
# fills, so the deletes keep their reserve (a buffer the disk cannot back loses decisive events
# too, counted like the rest).
"$PROFTRACE" record -o "$T/disk/tr" --no-loss=200 --buffer-size 1m -- "$FLOOD" $Q $D \
    >"$T/full.out" 2>"$T/full.err"
rc=$?
set -e
cmp -s "$T/ref.out" "$T/full.out" || fail "the program's output differs: $(cat "$T/full.out")"
[ "$rc" = 125 ] || fail "record exited $rc on a full disk, not 125: $(cat "$T/full.err")"
grep -q "^proftrace: trace incomplete: writing .*No space left on device.* exited 0\$" \
    "$T/full.err" || fail "no summary saying the trace is incomplete: $(cat "$T/full.err")"
[ "$(grep -c 'write failed' "$T/full.err")" -le 3 ] || fail "a message per failed write"
ls "$T/disk/tr/rings" | grep -q '\.ring$' || fail "the undrained ring was removed"
own_events "$T/disk/tr" >"$T/full.events"
written=$(events_nonlost "$T/full.events")
lost=$(lost_sum "$T/full.events")
[ "$lost" -gt 0 ] || fail "nothing lost on a full disk"
[ $((written + lost)) = "$made" ] || fail "written $written + lost $lost != made $made"
deletes=$(grep -c '\] shm_unlink(' "$T/full.events" || true)
[ "$deletes" = $D ] || fail "$deletes of $D deletes in the trace"
ok "trace disk full: $written written + $lost lost = $made made, exit $rc, every delete kept"
