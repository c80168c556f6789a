#!/usr/bin/env bash
# real_tmpfiles.sh — `systemd-tmpfiles --clean` (untraced) with a configuration that ages a
# directory (`e DIR - - - m:1h`: files whose mtime is older than an hour), run right after a traced
# process began to hold two files there: one open read-write (a data file), one mapped shared (an
# index). Their mtimes are old (set back with touch just before the clean-up, as an untouched
# data file's would be). The witness sees both removals; the report must have, for each, a
# deleted-while-held finding with cause no-liveness-check (tmpfiles checks ages, not holders), the
# deleter systemd-tmpfiles by its pid, the holder the traced tool, and the holder's reopen by name
# failing (ENOENT) as victim. The open file is an open-file of class data.
source "$(dirname "$0")/fault_lib.sh"
command -v systemd-tmpfiles >/dev/null || fail "systemd-tmpfiles is not installed"
command -v jq >/dev/null || fail "jq is not installed"
rec=
PT_CLEANUP+=('exec 3>&- 4<&- 2>/dev/null; [ -n "$rec" ] && kill "$rec" 2>/dev/null; wait 2>/dev/null')
A=$T/aged
mkdir "$A"
printf 'e %s - - - m:1h\n' "$A" >"$T/clean.conf"
mkfifo "$T/in" "$T/out"
"$PROFTRACE" record -o "$T/tr" -- "$PT_TESTS/witness_tool_open" <"$T/in" >"$T/out" 2>"$T/rec.err" &
rec=$!
exec 3>"$T/in" 4<"$T/out"
cmd() { # COMMAND PATH: the tool's answer must be ANSWER PATH
    echo "$1 $2" >&3
    IFS= read -r -t 60 line <&4 || fail "the holder did not $1 $2: $(cat "$T/rec.err")"
    [ "$line" = "$3 $2" ] || fail "holder: $line"
}
witnessed() { "$PROFTRACE" events --kind witnessed "$T/tr" 2>/dev/null | grep -qF "path=\"$1\""; }
# Handshake: the witness watches this filesystem once the removal of a probe it holds is seen.
n=0
while :; do
    cmd open "$T/probe$n" held
    env -u LD_PRELOAD -u PROFTRACE_DIR rm "$T/probe$n"
    for _ in $(seq 20); do witnessed "$T/probe$n" && break 2; sleep 0.05; done
    n=$((n + 1)); [ $n -lt 20 ] || fail "the witness never watched $T"
done
# The holds begin; right after, the files look old and the clean-up runs.
cmd open "$A/data.dat" held
cmd map "$A/index.map" mapped
touch -d '3 hours ago' "$A/data.dat" "$A/index.map"
env -u LD_PRELOAD -u PROFTRACE_DIR systemd-tmpfiles --clean "$T/clean.conf" &
tmpfiles=$!
wait "$tmpfiles" || fail "systemd-tmpfiles --clean failed"
[ ! -e "$A/data.dat" ] && [ ! -e "$A/index.map" ] || fail "systemd-tmpfiles removed nothing"
for f in "$A/data.dat" "$A/index.map"; do
    n=0
    until witnessed "$f"; do
        n=$((n + 1)); [ $n -lt 200 ] || fail "the removal of $f was never witnessed"
        sleep 0.05
    done
done
echo end >&3
exec 3>&-
cat <&4 >"$T/victims"
exec 4<&-
wait "$rec" || fail "record: $(cat "$T/rec.err")"
rec=
for f in "$A/data.dat" "$A/index.map"; do
    grep -qF "reopen $f: failed (2)" "$T/victims" || fail "$f still reopens: $(cat "$T/victims")"
done
"$PROFTRACE" report --json "$T/tr" >"$T/r.json" 2>"$T/r.err" || [ $? = 1 ] ||
    fail "report: $(cat "$T/r.err")"
f() { jq -e "$@" "$T/r.json" >/dev/null || { "$PROFTRACE" report "$T/tr" >&2; fail "report: $*"; }; }
# systemd-tmpfiles by its pid (fanotify's), and by name unless it was gone before the witness read
# its identity.
common='.rule == "deleted-while-held" and .cause == "no-liveness-check"
    and .deleter.witnessed == true and .deleter.pid == $tf
    and ((.deleter.exe // "/systemd-tmpfiles") | endswith("/systemd-tmpfiles"))
    and (.holders | length) == 1 and (.holder.exe | endswith("/witness_tool_open"))
    and ([.victims[] | select(.holder == true and .call == "open"
          and (.error | endswith("ENOENT")))] | length) == 1'
f --arg p "$A/data.dat" --argjson tf "$tmpfiles" "[.findings[] | select(.resource.name == \$p
    and .resource.kind == \"open-file\" and .resource.class == \"data\" and .severity == \"critical\"
    and $common)] | length == 1"
f --arg p "$A/index.map" --argjson tf "$tmpfiles" "[.findings[] | select(.resource.name == \$p
    and .resource.kind == \"mapped-file\" and $common)] | length == 1"
f --arg p "$T/probe" '[.findings[] | select(.resource.name | startswith($p) | not)] | length == 2'
ok "systemd-tmpfiles --clean right after the holds began: the open data file and the mapped index reported deleted-while-held (no-liveness-check, systemd-tmpfiles witnessed, the holder's reopen as victim)"
