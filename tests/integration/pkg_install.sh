#!/usr/bin/env bash
# pkg_install.sh — `cmake --install` into a temporary prefix gives a proftrace that works from
# there, as a user would run it: from another directory, the installed copy records sqlite3
# (events > 0: it found its shim relative to itself), reports without naming the directory,
# records again keeping proftrace.data.old, says its version; its manual pages read with man -l;
# the gdb extension sources; the bundled demo runs from the installed tree and finds the bug; and
# the whole tree, moved elsewhere, still works (everything is found relative to the executable).
source "$(dirname "$0")/pkg_lib.sh"
P=$T/prefix
cmake --install "$PT_BUILD" --prefix "$P" >"$T/install.log" 2>&1 || fail "cmake --install: $(tail -5 "$T/install.log")"
for f in bin/proftrace lib/proftrace/libproftrace.so share/man/man1/proftrace.1.gz \
         share/man/man1/proftrace-record.1.gz share/bash-completion/completions/proftrace \
         share/zsh/vendor-completions/_proftrace share/proftrace/gdb/proftrace.py \
         "share/gdb/auto-load$P/lib/proftrace/libproftrace.so-gdb.py" \
         share/doc/proftrace/README.md share/doc/proftrace/report-json.md share/doc/proftrace/case.md \
         lib/proftrace/demo/bin/eventsvc lib/proftrace/demo/lib/libmapisim.so \
         lib/proftrace/demo/scenarios/bug2-session.sh; do
    [ -e "$P/$f" ] || fail "not installed: $f"
done
for cmd in $(pt_commands "$P/bin/proftrace"); do
    [ -f "$P/share/man/man1/proftrace-$cmd.1.gz" ] || fail "no manual page for $cmd"
done
! readelf -d "$P/bin/proftrace" "$P/lib/proftrace/libproftrace.so" | grep "$PT_BUILD" >/dev/null ||
    fail "an installed file still points into the build tree"

mkdir "$T/elsewhere" && cd "$T/elsewhere"
# a plain PATH: nothing of the build tree
export PATH=$P/bin:/usr/local/bin:/usr/bin:/bin
[ "$(command -v proftrace)" = "$P/bin/proftrace" ] || fail "PATH"
proftrace --version | grep -E '^proftrace [0-9]+\.[0-9]+\.[0-9]+' >/dev/null || fail "--version: $(proftrace --version)"
[ "$(proftrace version)" = "$(proftrace --version)" ] || fail "version and --version differ"
proftrace record -- sqlite3 "$T/db" 'create table t(x); insert into t values (1); select * from t;' \
    >"$T/sq.out" 2>"$T/sq.err" || fail "record sqlite3: $(cat "$T/sq.err")"
[ "$(cat "$T/sq.out")" = 1 ] || fail "sqlite3's output: $(cat "$T/sq.out")"
grep -qE "^proftrace: 1 processes, [1-9][0-9]* events, 0 lost; proftrace.data \(" "$T/sq.err" ||
    fail "closing line: $(cat "$T/sq.err")"
n=$(proftrace events --count)
[ "$n" -gt 0 ] || fail "the installed copy recorded no event"
proftrace events --kind=process | grep 'exe="/usr/bin/sqlite3"' >/dev/null || fail "sqlite3's process event"
rc=0; proftrace report >"$T/rep.out" 2>"$T/rep.err" || rc=$?
[ $rc = 0 ] && grep -q "^summary: 1 processes, $n events" "$T/rep.out" ||
    fail "report without a directory: exit $rc: $(cat "$T/rep.err")"
proftrace record -- sqlite3 "$T/db" 'select count(*) from t;' >/dev/null 2>"$T/sq2.err" || fail "second record"
[ -d proftrace.data.old ] && [ "$(proftrace events --count proftrace.data.old)" = "$n" ] ||
    fail "the first trace was not kept as proftrace.data.old"
ok "installed copy from $PWD: sqlite3 recorded ($n events), reported without a directory, .old kept"

MANWIDTH=100 man -l -E ascii "$P/share/man/man1/proftrace.1.gz" 2>"$T/man.err" | col -b >"$T/man.txt"
[ ! -s "$T/man.err" ] || fail "man -l: $(cat "$T/man.err")"
grep -q "^NAME" "$T/man.txt" && grep -q "proftrace - catch resources deleted" "$T/man.txt" &&
    grep -q "PROFTRACE_STACKS=LIST" "$T/man.txt" || fail "proftrace(1) reads wrong: $(head -20 "$T/man.txt")"
MANWIDTH=100 man -l -E ascii "$P/share/man/man1/proftrace-record.1.gz" | col -b | grep -- "--buffer-size=SIZE" >/dev/null ||
    fail "proftrace-record(1) has no --buffer-size"
ok "man -l reads the installed pages"

gdb -nx -batch -ex "source $P/share/proftrace/gdb/proftrace.py" -ex "help proftrace-holds" \
    >"$T/gdb.out" 2>&1 || fail "gdb: $(cat "$T/gdb.out")"
grep -q "^proftrace-holds NAME: current holds of a resource" "$T/gdb.out" || fail "gdb: no proftrace-holds: $(cat "$T/gdb.out")"
ok "the installed gdb extension loads"

rc=0
proftrace record -o demo -- "$P/lib/proftrace/demo/scenarios/bug2-session.sh" >"$T/demo.out" 2>"$T/demo.err" || rc=$?
[ $rc = 0 ] || fail "demo: exit $rc: $(tail -5 "$T/demo.err")"
grep -q "scenario: service FAILED (MAPI_E_CALL_FAILED)" "$T/demo.out" || fail "demo: $(tail -3 "$T/demo.out")"
rc=0; proftrace report demo >"$T/demo.rep" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "^finding 1: cross-namespace-purge  severity critical  cause session-namespace-split" "$T/demo.rep" ||
    fail "demo report: exit $rc: $(head -5 "$T/demo.rep")"
grep -q "$P/lib/proftrace/demo/bin/mapiclient" "$T/demo.rep" || fail "demo: not the installed programs"
ok "the demo runs from the installed tree and ends in its finding"

mv "$P" "$T/moved"
"$T/moved/bin/proftrace" record -o moved.data -- sqlite3 "$T/db" 'select 1;' >/dev/null 2>"$T/moved.err" ||
    fail "record from a moved prefix: $(cat "$T/moved.err")"
grep -qE "^proftrace: 1 processes, [1-9][0-9]* events" "$T/moved.err" || fail "moved prefix: $(cat "$T/moved.err")"
ok "the installed tree, moved to another prefix, still finds its shim"
