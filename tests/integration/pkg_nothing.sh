#!/usr/bin/env bash
# pkg_nothing.sh — a trace in which nothing could be recorded is an error (exit 2 saying why), not
# a clean bill of health: no room for any ring (a tmpfs filled up in a private mount namespace),
# the shim missing from an installation, a statically linked command. A command whose trace is
# only partly written (disk full halfway) keeps its own exit status (fault_enospc).
if [ -z "${PT_PKG_IN_NS:-}" ]; then
    exec unshare -m --propagation private env PT_PKG_IN_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/pkg_lib.sh"

# 1. a disk with room for the trace's metadata but for no ring
mkdir "$T/disk"
mount -t tmpfs -o size=1m,mode=0700 ptnothing "$T/disk"
PT_CLEANUP+=("umount '$T/disk'")
"$PROFTRACE" record -o "$T/disk/probe" -- true 2>/dev/null || fail "record on an empty tmpfs"
meta=$(du -sk "$T/disk/probe" | cut -f1)
rm -rf "$T/disk/probe"
free=$(df -k --output=avail "$T/disk" | tail -1 | tr -d ' ')
fallocate -l $(((free - meta - 16) * 1024)) "$T/disk/filler" # what is left: the metadata and a little
expect_fail 2 "^proftrace record: nothing was recorded in $T/disk/tr: no traced process could create its ring there: No space left on device$" \
    "$PROFTRACE" record -o "$T/disk/tr" -- sh -c 'echo ran'
grep -q "^ran$" "$T/last.out" || fail "the command did not run"
grep -q "^proftrace: cannot create a ring in .*No space left on device; tracing off, the program continues" "$T/last.err" ||
    fail "the shim did not say why: $(cat "$T/last.err")"
ok "disk full: exit 2, 'No space left on device'"

# 2. an installation without its shim
mkdir -p "$T/inst/bin" "$T/inst/lib/proftrace"
cp "$PROFTRACE" "$T/inst/bin/"
expect_fail 2 "^proftrace record: the shim is missing \(looked for $T/inst/lib/proftrace/libproftrace.so\): nothing could be traced" \
    "$T/inst/bin/proftrace" record -o "$T/noshim" -- true
[ ! -e "$T/noshim" ] || fail "a trace directory was made without a shim"
expect_fail 2 "^proftrace collect: the shim is missing" "$T/inst/bin/proftrace" collect -o "$T/noshim"
cp "$PT_BUILD/lib/libproftrace.so" "$T/inst/lib/proftrace/"
"$T/inst/bin/proftrace" record -o "$T/withshim" -- true 2>"$T/ws.err" || fail "with its shim: $(cat "$T/ws.err")"
grep -q "^proftrace: 1 processes" "$T/ws.err" || fail "with its shim: $(cat "$T/ws.err")"
ok "shim missing: exit 2 before anything runs, naming where it looked; found in lib/proftrace/"

# 3. a statically linked command
cat >"$T/static.c" <<'C'
int main(void) { return 0; }
C
cc -static -o "$T/static" "$T/static.c" || fail "cc -static"
expect_fail 2 "^proftrace record: $T/static cannot be traced: statically linked" "$PROFTRACE" record -o "$T/st" -- "$T/static"
ok "static command: exit 2, 'statically linked'"
