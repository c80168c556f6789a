#!/usr/bin/env bash
# tracer_corrupt.sh — truncated, corrupted and foreign files in a trace directory and in its rings:
# `proftrace events` names the file, the byte offset and the reason, still returns everything
# that is valid (checked event by event against what the writers wrote), and exits 2.
source "$(dirname "$0")/tracer_lib.sh"
pt_record -o "$T/orig" --no-loss -- "$WRITER" --procs 2 --threads 3 --events 20000 \
    --results "$T/res" 2>/dev/null
"$CHECK" --no-lost "$T/orig" "$T/res"
total=$("$PROFTRACE" events --count "$T/orig")

# u64 at byte $2 of file $1
u64() { od -An -t u8 -j "$2" -N 8 "$1" | tr -d ' '; }
# offset of packet number $2 (0-based) in stream file $1
packet_at() {
    local off=0 k=0
    while [ $k -lt "$2" ]; do off=$((off + $(u64 "$1" $((off + 36))) / 8)); k=$((k + 1)); done
    echo $off
}
poke() { printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }
# events on a trace with damage: prints what is valid, exits 2
events_damaged() {
    local rc=0
    "$PROFTRACE" events "$1" >"$1.out" 2>"$1.err" || rc=$?
    [ "$rc" = 2 ] || fail "events on $1: exit $rc, expected 2 (damage): $(head -3 "$1.err")"
}
# run events on a damaged copy: must print what is valid, name the file and a byte offset
damaged_events() {
    local dir=$1 file=$2
    events_damaged "$dir"
    cat "$dir.err"
    grep -q "$(basename "$file").* at byte [0-9]" "$dir.err" || fail "no diagnostic naming $file"
    n=$(wc -l <"$dir.out")
    [ "$n" -gt 0 ] && [ "$n" -lt "$total" ] || fail "$dir: $n events of $total"
}

# a. a stream file cut in the middle of a packet
cp -r "$T/orig" "$T/a"
s=$(ls -S "$T/a" | grep '_[0-9]*$' | sed -n 1p)
truncate -s $(($(stat -c %s "$T/a/$s") / 2 + 7)) "$T/a/$s"
damaged_events "$T/a" "$s"
"$CHECK" --damaged 1 --expect-diag 1 "$T/a" "$T/res"

# b. a packet header destroyed: the reader finds the next packet and goes on
cp -r "$T/orig" "$T/b"
off=$(packet_at "$T/b/$s" 1)
poke "$T/b/$s" "$off" '\xde\xad\xbe\xef'
damaged_events "$T/b" "$s"
grep -q "bad packet magic at byte $off" "$T/b.err" || fail "offset of the bad magic"
"$CHECK" --damaged 1 --expect-diag 1 "$T/b" "$T/res"

# c. an event id destroyed inside a packet: the rest of that packet is dropped, later ones read
cp -r "$T/orig" "$T/c"
off=$(packet_at "$T/c/$s" 2)
poke "$T/c/$s" $((off + 84)) '\xee'
damaged_events "$T/c" "$s"
grep -q "unknown event class id.* at byte $((off + 84))" "$T/c.err" || fail "offset of the bad id"
"$CHECK" --damaged 1 --expect-diag 1 "$T/c" "$T/res"

# d. a foreign file among the streams: reported, everything else exact
cp -r "$T/orig" "$T/d"
echo "these are my notes, not a CTF stream" >"$T/d/notes"
events_damaged "$T/d"
grep -q "notes: bad packet magic at byte 0" "$T/d.err" || fail "foreign file not reported"
[ "$(wc -l <"$T/d.out")" -eq "$total" ] || fail "foreign file cost events"
"$CHECK" --no-lost --expect-diag 1 "$T/d" "$T/res"

# e. an undrained ring cut short (no collector ever ran): named with its offset, rest read
# 4 threads hold the 4 buffers at once; each fills about half of its buffer
PROFTRACE_DIR="$T/e" "$WRITER" --threads 4 --nbufs 4 --events 10000 --results "$T/e.res"
r=$(ls "$T/e/rings"/*.ring)
"$CHECK" --no-lost "$T/e" "$T/e.res"
total=$("$PROFTRACE" events --count "$T/e")
truncate -s $(($(stat -c %s "$r") * 33 / 100)) "$r" # inside the data of buffer 1
damaged_events "$T/e" "$r"
grep -q "truncated at byte" "$T/e.err" || fail "truncation not reported"
"$CHECK" --damaged 4 --expect-diag 1 "$T/e" "$T/e.res"

# f. a ring whose header is not ours: refused with the reason, other files still read
cp -r "$T/orig" "$T/f"
mkdir -p "$T/f/rings"
head -c 100000 /dev/urandom >"$T/f/rings/1-2-00000000000000aa.ring"
events_damaged "$T/f"
grep -q "1-2-00000000000000aa.ring: not a proftrace ring (bad magic at byte 0)" "$T/f.err" ||
    fail "foreign ring not reported"
total=$("$PROFTRACE" events --count "$T/orig")
[ "$(wc -l <"$T/f.out")" -eq "$total" ] || fail "foreign ring cost events"

# g. not a trace at all: exit 2 and say why
set +e
"$PROFTRACE" events "$T/nonexistent" 2>"$T/g.err"; rc1=$?
mkdir "$T/empty"
"$PROFTRACE" events "$T/empty" 2>"$T/g2.err"; rc2=$?
set -e
[ $rc1 -eq 2 ] && grep -q "nonexistent: No such file or directory" "$T/g.err" || fail "missing dir"
[ $rc2 -eq 2 ] && grep -q "not a proftrace trace directory" "$T/g2.err" || fail "empty dir"
echo "corrupt: ok"
