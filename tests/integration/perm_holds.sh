#!/usr/bin/env bash
# perm_holds.sh — another user, allowed to write rings into root's trace (PROFTRACE_ALLOW_UIDS),
# cannot use the holds tables against a traced root program. A real user made
# for the run (useradd) tries what broke it before:
# (1) read or write a table root's program maps: refused (no held names or pids leak, no poke);
# (2) damage what it may write — its own table — and every other table name it can think of:
#     root's program is unaffected, and so is its own traced program (the layout never comes from
#     the file);
# (3) plant a table under root's name in a trace made without a collector: refused with one line
#     on stderr, the planted file is left as it was, root's program runs as without it;
# in every case root's program, with PROFTRACE_BREAK=delete-held (each delete consults the table),
# runs to the end with the output it has untraced.
source "$(dirname "$0")/fault_lib.sh"
source "$(dirname "$0")/user_lib.sh"
pt_user_add
chmod 0755 "$T" # only the trace's own modes stand between the other user and the trace
TOOL=$PT_TESTS/fault_tool_holds
SECRET=PtSecret$$x$RANDOM
mkdir "$T/ref" "$T/ref.hive" "$T/work" "$T/hive" "$T/work2" "$T/hive2"
mkdir "$T/uwork" "$T/uhive" "$T/uwork2" "$T/uhive2"
chown "$PT_UID:$PT_GID" "$T/uwork" "$T/uhive" "$T/uwork2" "$T/uhive2"
mkfifo "$T/in" "$T/out" "$T/uin" "$T/uout"
pids=()
PT_CLEANUP=("exec 3>&- 4<&- 5>&- 6<&-" 'for p in "${pids[@]}"; do kill -KILL "$p"; done; wait' "${PT_CLEANUP[@]}")

# What the program prints untraced.
echo go | WINSIM_HIVE_ROOT=$T/ref.hive "$TOOL" "$T/ref" "$SECRET" | sed 's/^holding .*/holding/' >"$T/ref.out"
grep -q '^done 100$' "$T/ref.out" || fail "the tool does not work untraced: $(cat "$T/ref.out")"

# poke FILE: as the other user, write 0x40000000 over the table's entry count (byte 28): an old
# shim took it as the number of entries and indexed its mapping with it (SIGSEGV).
poke() { [ -f "$1" ] && as_user dd of="$1" bs=1 seek=28 conv=notrunc status=none < <(printf '\000\000\000\100'); }
readable() { as_user head -c 1 "$1" >/dev/null 2>&1; }
# finish OUTFD INFD NAME: let a waiting tool go on; its output, with the pid dropped, in $T/NAME.out
finish() {
    echo go >&"$1"
    eval "exec $1>&-"
    cat <&"$2" | sed 's/^holding .*/holding/' >"$T/$3.tail"
    eval "exec $2<&-"
}

# ---- (1) and (2): a trace collected by root, open to the user
D=$T/tr
PROFTRACE_ALLOW_UIDS=$PT_USER PROFTRACE_BREAK=delete-held WINSIM_HIVE_ROOT=$T/hive \
    "$PROFTRACE" record -o "$D" -- "$TOOL" "$T/work" "$SECRET" <"$T/in" >"$T/out" 2>"$T/rec.err" &
pids+=($!)
rec=$!
exec 3>"$T/in" 4<"$T/out"
IFS= read -r -t 60 line <&4 || fail "root's program did not start: $(cat "$T/rec.err")"
rootpid=${line#holding }
tables=$(grep -o '/[^ ]*/rings/\.holds[^ ]*' "/proc/$rootpid/maps" | sort -u)
[ -n "$tables" ] || fail "root's program maps no holds table"
for f in $tables; do
    readable "$f" && fail "$PT_USER can read $f (mode $(stat -c %a "$f")): held names and pids leak"
    poke "$f" 2>/dev/null && fail "$PT_USER could write $f (mode $(stat -c %a "$f"))"
done
ok "the table root's program maps ($(basename $tables), mode $(stat -c %a $tables)) is closed to $PT_USER"

# The user's own traced program writes its own table into the trace.
as_user env PROFTRACE_DIR="$D" LD_PRELOAD="$SHIM" PROFTRACE_BREAK=delete-held WINSIM_HIVE_ROOT="$T/uhive" \
    "$TOOL" "$T/uwork" "PtUser$RANDOM" <"$T/uin" >"$T/uout" 2>"$T/user.err" &
pids+=($!)
upid=$!
exec 5>"$T/uin" 6<"$T/uout"
IFS= read -r -t 60 line <&6 || fail "the user's traced program did not start: $(cat "$T/user.err")"
poked=
for name in .holds .holds.0 ".holds.$PT_UID"; do
    poke "$D/rings/$name" 2>/dev/null && poked="$poked $name"
    if readable "$D/rings/$name" && as_user cat "$D/rings/$name" | grep -qa "$SECRET"; then
        fail "$PT_USER read root's held key name in rings/$name"
    fi
done
finish 3 4 root
finish 5 6 user
wait "$rec" || fail "record failed: $(cat "$T/rec.err")"
wait "$upid" || fail "the user's traced program failed (poked its own table:$poked): $(cat "$T/user.err")"
pids=()
{ echo holding; cat "$T/root.tail"; } | cmp -s - "$T/ref.out" ||
    fail "root's program: output differs after $PT_USER poked$poked: $(cat "$T/root.tail")"
grep -q '^done 100$' "$T/user.tail" || fail "the user's own program was hurt by its table: $(cat "$T/user.tail")"
ok "$PT_USER wrote what it could ($poked ): root's program and its own ran to the end unchanged"

# ---- (3) a table planted under root's name, in a trace without a collector
D2=$T/tr2
mkdir -m 0701 "$D2"
mkdir -m 1733 "$D2/rings"
echo go | as_user env PROFTRACE_DIR="$D2" LD_PRELOAD="$SHIM" WINSIM_HIVE_ROOT="$T/uhive2" \
    "$TOOL" "$T/uwork2" "PtUser$RANDOM" >/dev/null 2>"$T/user2.err" || fail "the user's program: $(cat "$T/user2.err")"
[ -s "$T/user2.err" ] && cat "$T/user2.err" >&2
own=$(as_user find "$D2/rings" -maxdepth 1 -name '.holds*' -user "$PT_UID" 2>/dev/null | head -1 || true)
[ -z "$own" ] && own=$(find "$D2/rings" -maxdepth 1 -name '.holds*' -user "$PT_UID" | head -1)
[ -n "$own" ] || fail "the user's program left no table to copy"
as_user cp "$own" "$D2/rings/.holds.0"
as_user chmod 0666 "$D2/rings/.holds.0"
sum=$(md5sum <"$D2/rings/.holds.0")
PROFTRACE_DIR=$D2 LD_PRELOAD=$SHIM PROFTRACE_BREAK=delete-held WINSIM_HIVE_ROOT=$T/hive2 \
    "$TOOL" "$T/work2" "$SECRET" <"$T/in" >"$T/out" 2>"$T/root2.err" &
pids+=($!)
rp=$!
exec 3>"$T/in" 4<"$T/out"
IFS= read -r -t 60 line <&4 || fail "root's program did not start: $(cat "$T/root2.err")"
for name in .holds .holds.0; do poke "$D2/rings/$name" 2>/dev/null || true; done
finish 3 4 root2
wait "$rp" || fail "root's program died with the planted table: status $?: $(cat "$T/root2.err")"
pids=()
{ echo holding; cat "$T/root2.tail"; } | cmp -s - "$T/ref.out" ||
    fail "root's program: output differs with a planted table: $(cat "$T/root2.tail")"
grep -q "rings/.holds.0: owned by uid $PT_UID, not by uid 0: refused" "$T/root2.err" ||
    fail "no notice of the planted table: $(cat "$T/root2.err")"
[ "$(grep -c . "$T/root2.err")" = 1 ] || fail "more than one line on stderr: $(cat "$T/root2.err")"
poke_sum=$(md5sum <"$D2/rings/.holds.0")
# root wrote nothing into it (its bytes are the user's copy, as poked by the user only)
cp "$own" "$T/expect"
dd of="$T/expect" bs=1 seek=28 conv=notrunc status=none < <(printf '\000\000\000\100')
[ "$(md5sum <"$T/expect")" = "$poke_sum" ] || fail "root's program wrote into the planted table"
ok "a table planted under root's name is refused with one line; root's program unchanged"
echo "perm_holds: ok"
