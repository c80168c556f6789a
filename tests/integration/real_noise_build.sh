#!/usr/bin/env bash
# real_noise_build.sh — a build raises no false alarm: a generated C project (a dozen sources,
# system headers, a static library and a program) built with `make -j2` under `proftrace record`,
# with open files followed as holds. The build opens hundreds of files for reading, writes objects,
# archives and executables, and gcc's driver creates temporary files that cc1 writes and `as`
# reads, and removes them itself. The report must have no finding (exit 0), while the trace shows
# the open-file holds were followed (opens for writing and their closes recorded) and deletions
# were seen.
source "$(dirname "$0")/fault_lib.sh"
command -v make >/dev/null && command -v cc >/dev/null || fail "make and cc are needed"
command -v jq >/dev/null || fail "jq is not installed"
S=$T/src
mkdir "$S"
for i in $(seq 12); do
    cat >"$S/f$i.c" <<C
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
int f$i(int x) { char b[32]; snprintf(b, sizeof b, "%d", x + $i); return (int)strlen(b) + (int)sqrt((double)x); }
C
done
printf 'int f1(int);\nint main(void) { return f1(3) > 0 ? 0 : 1; }\n' >"$S/main.c"
{
    printf 'OBJS ='
    for i in $(seq 12); do printf ' f%d.o' "$i"; done
    printf '\nprog: main.o libf.a\n\tcc -o $@ main.o libf.a -lm\n'
    printf 'libf.a: $(OBJS)\n\trm -f $@\n\tar rcs $@ $(OBJS)\n'
    printf '%%.o: %%.c\n\tcc -O1 -c $< -o $@\n'
} >"$S/Makefile"
"$PROFTRACE" record -o "$T/tr" -- make -s -j2 -C "$S" prog >"$T/build.log" 2>&1 ||
    fail "the build failed under record: $(tail -5 "$T/build.log")"
"$S/prog" || fail "the program built under record does not run"
rc=0
"$PROFTRACE" report --json "$T/tr" >"$T/r.json" 2>"$T/r.err" || rc=$?
[ "$rc" = 0 ] || { "$PROFTRACE" report "$T/tr" >&2; fail "report exit $rc: a build is no finding"; }
jq -e '.findings | length == 0' "$T/r.json" >/dev/null || fail "findings on a build"
"$PROFTRACE" events "$T/tr" >"$T/events" 2>"$T/events.err" || fail "events: $(cat "$T/events.err")"
opens=$(grep -cE '\] open(at)?\(.*O_(WRONLY|RDWR)' "$T/events" || true)
closes=$(grep -cE '\] close\(' "$T/events" || true)
dels=$(jq '.summary.deletions' "$T/r.json")
[ "$opens" -ge 13 ] || fail "only $opens opens for writing recorded: open files not followed"
[ "$closes" -ge "$opens" ] || fail "$opens opens for writing, $closes closes"
[ "$dels" -gt 0 ] || fail "no deletion seen"
ok "make -j2 of 13 sources, a library and a program: no finding; $opens opens for writing and $closes closes followed, $dels deletions seen ($(jq -r '.summary | "\(.processes) processes, \(.events) events, \(.lost) lost"' "$T/r.json"))"
