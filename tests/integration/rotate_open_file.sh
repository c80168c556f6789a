#!/usr/bin/env bash
# rotate_open_file.sh — an open file held since before every chunk that survives (the state a
# checkpoint carries for open-file holds: descriptor and open flags, which decide the file's class
# and the finding's severity). A holder opens a data file for reading and writing at the start, a
# load process makes ~300,000 events under `record --max-size 2m`, a third process unlinks the
# file while it is open, and the holder's later open of it fails. Then:
#  - the holder's open is in no chunk left;
#  - report finds deleted-while-held on the file with the holder, its descriptor and how it opened
#    it, the file's class `data` (read and written in place: O_RDWR, which only the carried flags
#    tell) and the hold's own time, before the state was carried; and the victim (its reopen).
set -euo pipefail
: "${PT_BIN:?}" "${PT_TESTS:?}"
work=$(mktemp -d "${TMPDIR:-/tmp}/rotate_open_file.XXXXXX")
cleanup() { [ -n "${PT_KEEP:-}" ] || rm -rf "$work"; }
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
pt=$PT_BIN/proftrace
load=$PT_TESTS/rotate_load
mkdir -p "$work/hive" "$work/data"
file=$work/data/state.db
cat >"$work/scn.sh" <<EOF
set -e
cd "$work"
mkfifo go
"$load" hold-file "$file" 2000 <go >held &
exec 3>go
until grep -q holding held; do sleep 0.05; done # a line the holder writes: waits for the event
"$load" load 150000
"$load" unlink "$file"
exec 3>&-
wait
cat held
EOF
WINSIM_HIVE_ROOT=$work/hive "$pt" record --max-size 2m -o "$work/T" -- bash "$work/scn.sh" \
    >"$work/rec.out" 2>"$work/rec.err" || { cat "$work/rec.err"; fail "record"; }
grep -q 'reopen: No such file or directory' "$work/rec.out" || fail "the holder's reopen did not fail"
first=$(ls "$work/T/chunks" | grep -E '^[0-9]+$' | head -n1)
[ "$((10#$first))" -gt 1 ] || fail "no chunk was dropped (oldest left: $first)"

"$pt" events "$work/T" >"$work/events.txt"
grep -q "unlink.*state.db" "$work/events.txt" || fail "the unlink is not in the chunks left"
if grep -q "open.*state\.db.*O_CREAT" "$work/events.txt"; then
    fail "the holder's open is still in a chunk: the test did not drop it"
fi
st=0
"$pt" report --json --no-symbols "$work/T" >"$work/report.json" 2>"$work/report.err" || st=$?
[ "$st" -eq 1 ] || { cat "$work/report.err"; fail "report exit $st, wanted 1 (findings)"; }
python3 - "$work/report.json" "$file" <<'PY' || fail "report --json: $(head -c 2000 "$work/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
fs = [x for x in r["findings"] if x["rule"] == "deleted-while-held" and x["resource"]["name"] == sys.argv[2]]
assert fs, [(x["rule"], x["resource"]) for x in r["findings"]]
f = fs[0]
res, h = f["resource"], f["holders"][0]
assert res["kind"] == "open-file" and res["class"] == "data", res
assert "O_RDWR" in h["how"] and h["fd"] >= 0, h
rot = r["summary"]["rotation"]
assert rot["dropped_chunks"] >= 1 and rot["state_carried"], rot
# the hold's own time: from before the state was carried
assert f["holder"]["time"] < rot["carried_from"], (f["holder"]["time"], rot)
assert f.get("victims"), "no victim"
print("ok: %s held since %s (fd %d, %s), carried from %s; victim %s" %
      (res["class"], f["holder"]["time"], h["fd"], h["how"], rot["carried_from"], f["victims"][0]["call"]))
PY
