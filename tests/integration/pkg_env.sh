#!/usr/bin/env bash
# pkg_env.sh — PROFTRACE_* values are checked: a value the shim does not understand is named once
# on stderr (once for a whole process tree, not once per process) and its default used, the
# program's own output unchanged; `record` names a bad value itself, once, and the shim then says
# nothing; good values draw no word.
source "$(dirname "$0")/pkg_lib.sh"
: "${PT_LIB:?set by CTest}"
SHIM=$PT_LIB/libproftrace.so
[ -n "${PT_PRELOAD_FIRST:-}" ] && SHIM=$PT_PRELOAD_FIRST:$SHIM # sanitizer runtime first
prog=(sh -c 'echo data >"$1/f"; rm "$1/f"; cat /dev/null; echo done' _ "$T")
bad=(PROFTRACE_STACKS=bogus,delete PROFTRACE_BUFSIZE=1 PROFTRACE_THREADS=0 PROFTRACE_OVERWRITE=yes
     PROFTRACE_INLINE=offf PROFTRACE_BREAK=delete-hold PROFTRACE_HOLDS=no PROFTRACE_REDACT=yes)
# has_stack DIR: whether the unlinkat of the trace carries a stack (babeltrace2 shows the field)
has_stack() {
    babeltrace2 "$1" 2>/dev/null | grep ' unlinkat: ' | grep 'stack_kind = ( "some"' >/dev/null
}

# 1. the shim: the bad values reach a traced process under record through `env` (record's own
#    environment is clean), which execs the tree: sh, then rm and cat
"$PROFTRACE" record -o "$T/direct" -- env "${bad[@]}" "${prog[@]}" >"$T/direct.out" 2>"$T/direct.err" ||
    fail "the traced program failed: $(cat "$T/direct.err")"
[ "$(cat "$T/direct.out")" = done ] || fail "output changed: $(cat "$T/direct.out")"
for v in "${bad[@]}"; do
    n=$(grep -c "^proftrace: ${v%%=*}=${v#*=}: " "$T/direct.err" || true)
    [ "$n" = 1 ] || fail "${v%%=*} named $n times for 3 processes: $(cat "$T/direct.err")"
done
grep -q "^proftrace: PROFTRACE_STACKS=bogus,delete: unknown word 'bogus' (.*); using the default delete,MAPI,fail$" "$T/direct.err" ||
    fail "STACKS message: $(cat "$T/direct.err")"
grep -q "^proftrace: PROFTRACE_BUFSIZE=1: not a size from 16k to 1024m .*; using the default 4m$" "$T/direct.err" ||
    fail "BUFSIZE message"
grep -q "^proftrace: PROFTRACE_REDACT=yes: not 0 or 1; using 1$" "$T/direct.err" || fail "REDACT message"
[ "$(grep -vc '^proftrace: PROFTRACE_\|^proftrace: [0-9]* processes' "$T/direct.err")" = 0 ] ||
    fail "other messages: $(cat "$T/direct.err")"
"$PROFTRACE" events "$T/direct" >"$T/direct.ev" 2>&1 || fail "events: $(cat "$T/direct.ev")"
[ "$(grep -c ' process(' "$T/direct.ev")" = 4 ] || fail "not 4 processes traced: $(grep ' process(' "$T/direct.ev")"
has_stack "$T/direct" || fail "STACKS=bogus: the delete has no stack (the default gives it one)"
grep -q 'cmdline="rm <1 args, [0-9]* bytes redacted>"' "$T/direct.ev" || fail "REDACT=yes did not redact"
# the process given the bad value itself uses the default: rm straight from env
echo x >"$T/g"
"$PROFTRACE" record -o "$T/rm" -- env PROFTRACE_STACKS=bogus rm "$T/g" 2>"$T/rm.err" || fail "record rm: $(cat "$T/rm.err")"
[ "$(grep -c "^proftrace: PROFTRACE_STACKS=bogus: " "$T/rm.err")" = 1 ] || fail "rm did not say it: $(cat "$T/rm.err")"
has_stack "$T/rm" || fail "STACKS=bogus given to rm: its delete has no stack"
ok "the shim: each bad value named once for a tree of 3 processes, defaults used (stacks of deletes, redaction)"

# 2. record names them itself, once, and the shim says nothing
env "${bad[@]}" "$PROFTRACE" record -o "$T/rec" -- "${prog[@]}" >"$T/rec.out" 2>"$T/rec.err" ||
    fail "record: $(cat "$T/rec.err")"
[ "$(cat "$T/rec.out")" = done ] || fail "output changed under record"
for v in "${bad[@]}"; do
    [ "$(grep -c "^proftrace record: ${v%%=*}=${v#*=}: " "$T/rec.err" || true)" = 1 ] ||
        fail "record did not name ${v%%=*} once: $(cat "$T/rec.err")"
done
! grep -q "^proftrace: PROFTRACE_" "$T/rec.err" || fail "the shim spoke too: $(cat "$T/rec.err")"
has_stack "$T/rec" || fail "record: the delete has no stack"
"$PROFTRACE" events "$T/rec" | grep 'redacted>"' >/dev/null || fail "record: REDACT=yes did not redact"
ok "record: each bad value named once by record, none by the shim"

# 3. good values: not a word
good=(PROFTRACE_STACKS=none PROFTRACE_BUFSIZE=64k PROFTRACE_THREADS=8 PROFTRACE_OVERWRITE=1
      PROFTRACE_INLINE=off PROFTRACE_BREAK=delete-held,key-deleted PROFTRACE_HOLDS=0 PROFTRACE_REDACT=0
      PROFTRACE_GROUP=0)
mkdir "$T/good"
env "${good[@]}" PROFTRACE_DIR="$T/good" LD_PRELOAD="$SHIM" "${prog[@]}" >"$T/good.out" 2>"$T/good.err"
[ ! -s "$T/good.err" ] || fail "good values drew words: $(cat "$T/good.err")"
! has_stack "$T/good" || fail "STACKS=none still took a stack"
env "${good[@]}" "$PROFTRACE" record -o "$T/goodrec" -- "${prog[@]}" >/dev/null 2>"$T/goodrec.err"
[ "$(grep -vc '^proftrace: [0-9]* processes' "$T/goodrec.err")" = 0 ] ||
    fail "record: good values drew words: $(cat "$T/goodrec.err")"
ok "good values: no word from the shim or from record"
