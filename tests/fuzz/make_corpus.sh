#!/usr/bin/env bash
# make_corpus.sh OUT [KIND] — seed corpora for the fuzz targets from real traces recorded here and now:
#   OUT/ring  undrained ring files of the bug1 scenario's processes (small buffers, one per thread)
#   OUT/ring_race  the same rings, each followed by 4 bytes seeding fuzz_ring_race's attacker
#   OUT/holds_race  4 bytes seeding fuzz_holds_race's attacker, then (slot, entry) records: the
#             entries the same scenario's processes left in their holds table, and a few made here
#             (live owners 1..4, every kind, full-length names)
#   OUT/ctf   the same scenario recorded by `proftrace record`: metadata + streams in fuzz_ctf's
#             part format, one seed per process and one with everything
#   OUT/core  a gcore of a traced process whose coredump_filter keeps only shared file mappings
#   OUT/env   PROFTRACE_STACKS values and ring names
#   OUT/reloc real function entries: the first 48 bytes of exported functions of libc, libm and
#             the profile library, each prefixed by a mode byte
# With KIND (ring, ring_race, holds_race, ctf, core, env) only that corpus is made. Needs PT_BIN, PT_LIB, PT_SRC (as CTest sets them). Everything temporary is removed.
set -euo pipefail
: "${PT_BIN:?}" "${PT_LIB:?}" "${PT_SRC:?}"
out=$1
kind=${2:-all}
want() { [ "$kind" = all ] || [ "$kind" = "$1" ]; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ptcorpus.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$out"/{ring,ring_race,holds_race,ctf,core,env,reloc}
export PROFTRACE_THREADS=2 PROFTRACE_BUFSIZE=16k

# Rings: the scenario traced with no collector, so every ring stays in rings/ (post-mortem case).
n=0 k=0
mkdir -p "$work/rings-trace"
if want ring || want ring_race || want holds_race || want ctf; then
PROFTRACE_DIR=$work/rings-trace LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so \
    bash "$PT_SRC/samples/scenarios/bug1-impersonation.sh" >/dev/null 2>&1 || true
n=0
for r in "$work"/rings-trace/rings/*.ring; do
    [ -f "$r" ] || continue
    cp "$r" "$out/ring/seed-$n.ring"
    # ring_race: the ring, then 4 bytes seeding the attacker that rewrites it while it is read
    python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d + (int(sys.argv[2]) * 2654435761 % 2**32).to_bytes(4, "little"))' \
        "$r" "$n" >"$out/ring_race/seed-$n.bin"
    n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "make_corpus: no ring recorded" >&2; exit 1; }
fi

# Holds tables: what the scenario's processes published (struct pt__holds_entry, 128 bytes at
# PT__HOLDS_ENTRIES_OFF), plus entries made here so that live owners and every kind are seeded.
if want holds_race; then
python3 - "$out/holds_race" "$work"/rings-trace/rings/.holds.* <<'PY'
import os, struct, sys
out, tables = sys.argv[1], sys.argv[2:]
ENTRIES_OFF, NENTRIES, SIZE = 4096 + 4096 * 16, 8192, 128
def seed(n, recs):
    with open('%s/seed-%d.bin' % (out, n), 'wb') as f:
        f.write(struct.pack('<I', n * 2654435761 % 2**32) + b''.join(recs))
n = 0
for t in (t for t in tables if os.path.isfile(t)):
    d = open(t, 'rb').read()
    recs = [struct.pack('<H', i) + d[ENTRIES_OFF + i * SIZE:ENTRIES_OFF + (i + 1) * SIZE]
            for i in range(NENTRIES) if struct.unpack_from('<I', d, ENTRIES_OFF + i * SIZE + 16)[0]]
    if recs:
        seed(n, recs[:64])
        n += 1
for k in range(4):
    recs = []
    for j in range(1 + 3 * k):
        name = ('/var/lib/held/file-%d-%d' % (k, j)).encode().ljust(80, b'\0') if j % 3 else b'N' * 80
        e = struct.pack('<QQIIIIIIQ', 0x803 + j % 2, 1000 + j, 2, 1 + j % 4, 1 + k, 1 + j % 4,
                        100 + j, 0, 12345) + name
        recs.append(struct.pack('<H', (j * 97 + k * 31) % NENTRIES) + e)
    seed(n, recs)
    n += 1
PY
fi

# CTF: recorded through the collector.
if want ctf; then
"$PT_BIN/proftrace" record -o "$work/ctf-trace" -- \
    bash "$PT_SRC/samples/scenarios/bug1-impersonation.sh" >/dev/null 2>&1 || true
[ -f "$work/ctf-trace/metadata" ] || { echo "make_corpus: no CTF trace" >&2; exit 1; }
all=$out/ctf/seed-all.bin
cp "$work/ctf-trace/metadata" "$all"
k=0
for s in "$work"/ctf-trace/*; do
    name=$(basename "$s")
    [ -f "$s" ] && [ "$name" != metadata ] || continue
    one=$out/ctf/seed-$k.bin
    { cat "$work/ctf-trace/metadata"; printf '\n@@\n%s\0' "$name"; cat "$s"; } >"$one"
    { printf '\n@@\n%s\0' "$name"; cat "$s"; } >>"$all"
    k=$((k + 1))
done
# A stream with an undrained ring beside it (the reader skips packets present in both).
if [ -n "$(ls "$work"/rings-trace/rings/ 2>/dev/null)" ]; then
    r=$(ls "$work"/rings-trace/rings/*.ring | head -1)
    { cat "$work/ctf-trace/metadata"; printf '\n@@\n%s\0' "$(basename "$r")"; cat "$r"; } \
        >"$out/ctf/seed-ring.bin"
fi
fi

# Core: a traced process stopped in a sleep, dumped by gdb with only shared file mappings kept.
if want core && command -v gdb >/dev/null; then
    mkdir -p "$work/core-trace"
    PROFTRACE_DIR=$work/core-trace LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so sleep 60 &
    pid=$!
    for _ in $(seq 100); do
        [ -n "$(ls "$work/core-trace/rings" 2>/dev/null)" ] && break
        sleep 0.05
    done
    echo 8 >"/proc/$pid/coredump_filter"
    gdb -q -batch -p "$pid" -ex "gcore $work/core" >/dev/null 2>&1 || true
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=
    if [ -f "$work/core" ]; then
        cp "$work/core" "$out/core/seed-gcore"
    else
        echo "make_corpus: gcore made no core, core corpus is empty" >&2
    fi
fi

# Environment settings and ring names.
i=0
want env && for v in "delete,MAPI,fail" "all" "none" "REG, shm_open unlink" "fail,,,delete" \
    "RegDeleteTreeA,IProfAdmin_DeleteProfile" "4711-123456-00000000deadb000.ring" \
    "1-0-0000000000000000.ring"; do
    printf '%s' "$v" >"$out/env/seed-$i"
    i=$((i + 1))
done
# Function entries from real libraries (addresses from nm, file offsets from the PT_LOAD headers).
if want reloc; then
    for lib in /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-gnu/libm.so.6 \
        "$PT_LIB/libmapisim.so" "$PT_LIB/libwinsim.so"; do
        [ -f "$lib" ] || continue
        python3 - "$lib" "$out/reloc" <<'PY'
import struct, subprocess, sys, os
lib, out = sys.argv[1], sys.argv[2]
data = open(lib, "rb").read()
phoff, = struct.unpack_from("<Q", data, 0x20)
phent, phnum = struct.unpack_from("<HH", data, 0x36)
loads = []
for i in range(phnum):
    p_type, p_flags, p_off, p_vaddr, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + i * phent)
    if p_type == 1 and p_flags & 1:
        loads.append((p_vaddr, p_off, p_filesz))
syms = subprocess.run(["nm", "-D", "--defined-only", lib], capture_output=True, text=True).stdout
k = 0
for line in syms.splitlines():
    f = line.split()
    if len(f) != 3 or f[1] not in "Tt":
        continue
    addr = int(f[0], 16)
    for v, o, sz in loads:
        if v <= addr < v + sz:
            off = addr - v + o
            body = data[off:off + 48]
            with open(os.path.join(out, f"{os.path.basename(lib)}-{k}"), "wb") as fh:
                fh.write(bytes([k % 10]) + body)
            k += 1
            break
    if k >= 60:
        break
PY
    done
fi
echo "make_corpus: $n rings, $k streams, $(ls "$out/core" | wc -l) cores in $out"
