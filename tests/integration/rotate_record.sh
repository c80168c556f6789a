#!/usr/bin/env bash
# rotate_record.sh — `proftrace record --max-size` under load, with a hold older than every chunk
# that survives. A holder maps two shared-memory objects at the start (and makes enough calls
# that the packet with its holds is drained at once, into the first chunks); a load process
# makes ~300,000 events, 2 MiB of trace many times over; a third process then removes the objects
# while they are still mapped, and the holder's reopen fails. Then:
#  - the oldest chunks were dropped, and the chunks left stay under the cap plus one chunk;
#  - the holder's mmap is in no chunk left, yet report finds deleted-while-held with the holder,
#    the hold's own time (before every event left) and the victim, and says what rotation dropped
#    and from when the state was carried (text and --json);
#  - `proftrace events` reads the chunks as one trace: as many events as the chunks hold; export
#    draws the finding too;
#  - babeltrace2 reads every chunk, event for event as proftrace does;
#  - a damaged checkpoint (a byte changed in the oldest chunk's) makes report exit 2 naming the
#    file, and the finding is still made (the next chunk's checkpoint carries the same state);
#    with every checkpoint damaged, report still reads every chunk and exits 2, the hold lost.
source "$(dirname "$0")/rotate_lib.sh"
cap=$((2 << 20)) chunk=$((256 << 10))
cat >"$work/scn.sh" <<EOF
set -e
cd "$work"
mkfifo go
"$load" hold $prefix 2 2000 <go >held &
exec 3>go
until grep -q holding held; do sleep 0.05; done # a line the holder writes: waits for the event
"$load" load 150000
"$load" delete $prefix 2
exec 3>&-
wait
cat held
EOF
WINSIM_HIVE_ROOT=$work/hive "$pt" record --max-size 2m -o "$work/T" -- bash "$work/scn.sh" \
    >"$work/rec.out" 2>"$work/rec.err" || { cat "$work/rec.err"; fail "record"; }
grep -q 'reopen: No such file or directory' "$work/rec.out" || fail "the holder's reopen did not fail"
grep -q 'proftrace record: rotation: chunks' "$work/rec.err" || fail "record says nothing of rotation"
grep -q 'proftrace record: finding: deleted-while-held' "$work/rec.err" ||
    fail "record did not announce the finding while it ran"

chunks=$(ls "$work/T/chunks" | grep -E '^[0-9]+$')
first=$(head -n1 <<<"$chunks")
[ "$((10#$first))" -gt 1 ] || fail "no chunk was dropped (oldest left: $first)"
bytes=$(find "$work/T/chunks" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
[ "$bytes" -le $((cap + chunk)) ] || fail "the chunks hold $bytes bytes, over the cap plus a chunk"
grep -q '^chunks [1-9]' "$work/T/chunks/.dropped" || fail "no dropped chunks recorded"
echo "ok: $(wc -l <<<"$chunks") chunks left from $first, $bytes bytes"

holder=$(grep -o 'while pid [0-9]*' "$work/rec.err" | head -n1 | grep -o '[0-9]*$')
"$pt" events "$work/T" >"$work/events.txt"
if grep -E "\[$holder( |/)[^]]*\] mmap" "$work/events.txt" | grep -q .; then
    fail "the holder's mmap is still in a chunk: the test did not drop it"
fi
st=0
"$pt" report --no-symbols "$work/T" >"$work/report.txt" 2>"$work/report.err" || st=$?
[ "$st" -eq 1 ] || { cat "$work/report.err"; fail "report exit $st, wanted 1 (findings)"; }
grep -q "deleted-while-held" "$work/report.txt" || fail "no deleted-while-held finding"
grep -q "pid $holder (rotate_load) mmap .*: has it mapped" "$work/report.txt" ||
    fail "the finding does not show the holder's mmap"
grep -q "ENOENT, .* after the delete" "$work/report.txt" || fail "the finding has no victim"
grep -Eq 'rotation: [0-9]+ events in [0-9]+ chunks dropped by rotation; state carried from' \
    "$work/report.txt" || fail "the summary does not say what rotation dropped"
"$pt" report --json --no-symbols "$work/T" >"$work/report.json" || true
python3 - "$work/report.json" "$work/events.txt" "$holder" <<'PY' || fail "report --json"
import json, sys
r = json.load(open(sys.argv[1]))
f = [x for x in r["findings"] if x["rule"] == "deleted-while-held"][0]
assert f["holder"]["pid"] == int(sys.argv[3]), f["holder"]
rot = r["summary"]["rotation"]
assert rot["dropped_chunks"] >= 1 and rot["dropped_events"] > 0 and rot["state_carried"], rot
# the hold's own time: before the state was carried, before every event left in the chunks
assert f["holder"]["time"] < rot["carried_from"], (f["holder"]["time"], rot)
print("ok: hold at", f["holder"]["time"], "carried from", rot["carried_from"])
PY

"$pt" export --format html -o "$work/report.html" "$work/T" 2>"$work/export.err" ||
    fail "export: $(cat "$work/export.err")"
grep -q "deleted-while-held" "$work/report.html" || fail "export misses the carried finding"
echo "ok: export starts from the checkpoint too"

total=0
for c in $chunks; do
    # proftrace shows the events a writer lost as a `lost` event, babeltrace2 as a warning
    n=$("$pt" events "$work/T/chunks/$c" 2>/dev/null | grep -vc "\] lost(count=" || true)
    b=$(babeltrace2 "$work/T/chunks/$c" 2>"$work/bt.err" | wc -l) || fail "babeltrace2 on chunk $c"
    # a stream whose writer lost events says so in every later packet: babeltrace2 warns about
    # them, as it does for LTTng's; anything else it says is a problem of the chunk
    if grep -Ev 'WARNING: Tracer (may have )?discarded [0-9]* *events|^ *$' "$work/bt.err" | grep -q .; then
        cat "$work/bt.err"
        fail "babeltrace2 complained about chunk $c"
    fi
    [ "$n" -eq "$b" ] || fail "chunk $c: babeltrace2 read $b events, proftrace $n"
    total=$((total + n))
done
# (a chunk read alone counts every event its streams' writers lost before it as lost again)
whole=$(grep -vc '\] lost(count=' "$work/events.txt" || true)
[ "$whole" -eq "$total" ] || fail "events read $whole events of a rotated trace, its chunks hold $total"
echo "ok: babeltrace2 reads every chunk as proftrace does; events reads them as one ($total)"

# A damaged checkpoint: named, exit 2, and the next chunk's carries the state.
cp -a "$work/T" "$work/D"
ckpt=$work/D/chunks/$first/.checkpoint
[ -f "$ckpt" ] || fail "the oldest chunk left has no checkpoint"
python3 - "$ckpt" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = len(b) // 2
while b[i] == 0x0a:  # a byte of a line, not a line's end: the checksum tells (a line less is another error)
    i += 1
b[i] ^= 0x01
open(p, "wb").write(b)
PY
st=0
"$pt" report --no-symbols "$work/D" >"$work/d.txt" 2>"$work/d.err" || st=$?
[ "$st" -eq 2 ] || fail "report on a damaged checkpoint exited $st, wanted 2"
grep -qF "$ckpt: checksum mismatch" "$work/d.err" || { cat "$work/d.err"; fail "the damaged file is not named"; }
grep -q "deleted-while-held" "$work/d.txt" || fail "the next chunk's checkpoint did not carry the hold"
echo "ok: a damaged checkpoint is named (exit 2), the next one carries the state"
for f in "$work"/D/chunks/*/.checkpoint; do printf 'garbage\n' >"$f"; done
st=0
"$pt" report --no-symbols "$work/D" >"$work/d2.txt" 2>"$work/d2.err" || st=$?
[ "$st" -eq 2 ] || fail "report with every checkpoint damaged exited $st, wanted 2"
grep -q "no checkpoint carries their state" "$work/d2.err" || { cat "$work/d2.err"; fail "not said"; }
grep -q "state was not carried" "$work/d2.txt" || fail "the summary does not say the state was lost"
grep -q "summary: .* $(wc -l <"$work/events.txt") events" "$work/d2.txt" ||
    fail "not every event of the chunks was read"
echo "ok: with every checkpoint damaged, every chunk is still read and the loss is said"
