#!/usr/bin/env bash
# pkg_cli.sh — the command line's conventions, for every command `proftrace --help` lists:
#  1. --help and the manual page (as built for installation) say the same, word for word; help
#     lines fit 80 columns; `proftrace help CMD` is `proftrace CMD --help`;
#  2. every option with a value takes --name=value exactly as --name value;
#  3. every message starts with "proftrace CMD:", usage errors exit 2, values out of range are
#     refused naming the range;
#  4. record exits 126/127 as a shell would for a command that cannot run;
#  5. perf's habits: ./proftrace.data by default, DIR.old kept, a directory of other files
#     refused, a directory without a trace said once; export into a FIFO leaves it a FIFO;
#  6. shell completion (bash, driven as bash does; zsh parses).
source "$(dirname "$0")/pkg_lib.sh"
mapfile -t cmds < <(pt_commands "$PROFTRACE")
[ "${#cmds[@]}" -ge 9 ] || fail "proftrace --help lists ${#cmds[@]} commands: ${cmds[*]}"

# ---- 1. --help and the manual pages ---------------------------------------------------------
for page in proftrace "${cmds[@]}"; do
    if [ "$page" = proftrace ]; then
        "$PROFTRACE" --help >"$T/$page.help"
        man=$PT_BUILD/man/proftrace.1.gz
    else
        "$PROFTRACE" "$page" --help >"$T/$page.help"
        "$PROFTRACE" help "$page" | cmp -s - "$T/$page.help" || fail "help $page differs from $page --help"
        man=$PT_BUILD/man/proftrace-$page.1.gz
    fi
    [ -f "$man" ] || fail "no manual page $man for $page"
    MANWIDTH=120 man -l -E ascii "$man" 2>"$T/$page.manerr" | col -b >"$T/$page.man"
    [ ! -s "$T/$page.manerr" ] || fail "man -l $man: $(cat "$T/$page.manerr")"
    awk -v p="$page" 'length > 80 {print p " --help, line " NR " is " length " columns: " $0; bad = 1}
                      END {exit bad}' "$T/$page.help" || fail "--help wider than 80 columns"
done
python3 - "$T" proftrace "${cmds[@]}" <<'PY' || fail "--help and the manual pages disagree"
import re, sys
tmp, pages = sys.argv[1], sys.argv[2:]
def words(text):
    return [w for w in re.split(r"[^a-z0-9_]+", text.lower()) if w]
bad = 0
for page in pages:
    help_words = words(open(f"{tmp}/{page}.help").read())
    assert help_words[0] == "usage", page
    help_words = help_words[1:]
    # the page's sections; NAME (the one-line summary) and SEE ALSO exist only in the manual
    sections, cur = [], None
    lines = open(f"{tmp}/{page}.man").read().split("\n")[1:-2]  # without header and footer
    for line in lines:
        if re.match(r"^[A-Z][A-Z ]+$", line):
            cur = [line.strip(), []]
            sections.append(cur)
        elif cur:
            cur[1].append(line)
    man_words = []
    for title, body in sections:
        if title in ("NAME", "SEE ALSO"):
            continue
        if title not in ("SYNOPSIS", "DESCRIPTION"):  # --help titles them as "Options:" ...
            man_words += words(title)
        man_words += words("\n".join(body))
    if man_words != help_words:
        n = next((i for i, (a, b) in enumerate(zip(man_words, help_words)) if a != b),
                 min(len(man_words), len(help_words)))
        print(f"{page}: word {n}: manual {man_words[n:n + 8]} vs --help {help_words[n:n + 8]}")
        bad = 1
    else:
        print(f"ok: {page}: --help and manual page agree ({len(help_words)} words)")
sys.exit(bad)
PY
ok "${#cmds[@]} commands: --help and proftrace-COMMAND(1) agree, lines fit 80 columns"

# ---- 2. --name=value is --name value, for every option with a value -------------------------
# base CMD: arguments that make CMD fail after parsing, the same way whatever the options
base() {
    case $1 in
    record) echo "-- $T/no-such-command" ;;
    collect) echo "--output=$T/c extra-operand" ;;
    export) echo "--format=chrome --output=$T/out.json $T/no-such-trace" ;;
    help) echo "no-such-command" ;;
    version) echo "extra-operand" ;;
    live) echo "$T/a $T/b" ;; # (one directory it would wait for)
    *) echo "$T/no-such-trace" ;;
    esac
}
value_for() {
    case $1 in
    DIR | OUT) echo "$T/v" ;;
    SIZE) echo 64k ;;
    *'|'*) echo "${1%%|*}" ;;
    K) echo call ;;
    NAME | SUBSTR) echo x ;;
    *) echo 5 ;;
    esac
}
# option_lines CMD: "--name SEP METAVAR" per option of CMD --help; SEP "=" (a value), "[=" (an
# optional value, given as --name=value only) or "" (a flag)
option_lines() {
    "$PROFTRACE" "$1" --help |
        sed -nE 's/^  (-[a-zA-Z], |    )(--[a-z][a-z-]*)(\[?=)?([^] ]*).*/\2 \3 \4/p' |
        grep -v '^--help '
}
checked=0
for cmd in "${cmds[@]}"; do
    while read -r opt sep metavar; do
        [ -n "$sep" ] || continue
        v=$(value_for "$metavar")
        if [ "$sep" = "[=" ]; then # --name=value only: taken, not refused as unknown
            set +e
            "$PROFTRACE" "$cmd" "$opt=$v" $(base "$cmd") >"$T/eq.out" 2>"$T/eq.err"
            set -e
            ! grep -qE "unknown option|needs a value|takes no value" "$T/eq.err" ||
                fail "$cmd: $opt=$v not taken: $(cat "$T/eq.err")"
            checked=$((checked + 1))
            continue
        fi
        # shellcheck disable=SC2046 # base's words are split on purpose
        set +e
        "$PROFTRACE" "$cmd" "$opt=$v" $(base "$cmd") >"$T/eq.out" 2>"$T/eq.err"
        rc1=$?
        "$PROFTRACE" "$cmd" "$opt" "$v" $(base "$cmd") >"$T/sp.out" 2>"$T/sp.err"
        rc2=$?
        set -e
        [ "$rc1" = "$rc2" ] && cmp -s "$T/eq.err" "$T/sp.err" ||
            fail "$cmd: $opt=$v and $opt $v differ: exit $rc1 / $rc2: $(cat "$T/eq.err") / $(cat "$T/sp.err")"
        ! grep -qE "unknown option|needs a value|takes no value" "$T/eq.err" ||
            fail "$cmd: $opt=$v not taken: $(cat "$T/eq.err")"
        checked=$((checked + 1))
    done < <(option_lines "$cmd")
done
[ "$checked" -ge 15 ] || fail "only $checked options with a value found"
ok "$checked options with a value: --name=value and --name value alike"

# ---- 3. message prefixes, usage errors, ranges -----------------------------------------------
for cmd in "${cmds[@]}"; do
    expect_fail 2 "^proftrace $cmd: unknown option '--no-such-option'" "$PROFTRACE" "$cmd" --no-such-option
    grep -q "^usage: proftrace $cmd" "$T/last.err" || fail "$cmd: no usage after a usage error"
    expect_fail 2 "^proftrace $cmd: unknown option '-Z'" "$PROFTRACE" "$cmd" -Z
    while read -r opt sep metavar; do
        if [ "$sep" = "=" ]; then
            expect_fail 2 "^proftrace $cmd: $opt needs a value \\($metavar\\)" "$PROFTRACE" "$cmd" "$opt"
        elif [ -z "$sep" ]; then
            expect_fail 2 "^proftrace $cmd: $opt takes no value" "$PROFTRACE" "$cmd" "$opt=x"
        fi
    done < <(option_lines "$cmd")
done
expect_fail 2 "^proftrace: unknown command 'no-such-command'" "$PROFTRACE" no-such-command
expect_fail 2 "^proftrace: unknown option '--no-such-option'" "$PROFTRACE" --no-such-option
expect_fail 2 "^proftrace record: --buffer-size wants a size from 16k to 1g" "$PROFTRACE" record --buffer-size=1 true
expect_fail 2 "^proftrace record: --buffer-size wants a size from 16k to 1g" "$PROFTRACE" record --buffer-size 2g true
expect_fail 2 "^proftrace record: --interval wants a number from 1 to 10000, not '0'" "$PROFTRACE" record --interval=0 true
expect_fail 2 "^proftrace collect: --interval wants a number from 1 to 10000, not 'x'" "$PROFTRACE" collect -o "$T/c" --interval x
expect_fail 2 "^proftrace events: --pid wants a number from 0 to 2147483647, not '-1'" "$PROFTRACE" events --pid=-1
expect_fail 2 "^proftrace live: --pid wants a number from 0 to 2147483647, not '1x'" "$PROFTRACE" live --pid 1x
expect_fail 2 "^proftrace export: --format wants chrome or html, not 'pdf'" "$PROFTRACE" export --format=pdf -o "$T/x"
expect_fail 2 "^proftrace record: no command to run" "$PROFTRACE" record
expect_fail 2 "^proftrace collect: -o DIR is required" "$PROFTRACE" collect
ok "every command: 'proftrace CMD:' messages, usage errors exit 2, values refused with their range"

# ---- 4. 126 and 127, as a shell ---------------------------------------------------------------
cd "$T"
mkdir "$T/bin"
printf '#!/bin/sh\necho hi\n' >"$T/bin/not-executable"
printf '#!/no/such/interpreter\necho hi\n' >"$T/bin/bad-interpreter"
chmod +x "$T/bin/bad-interpreter"
expect_fail 127 "^proftrace record: no-such-command-pt: command not found" "$PROFTRACE" record -- no-such-command-pt
expect_fail 127 "^proftrace record: $T/bin/nothing: No such file or directory" "$PROFTRACE" record -- "$T/bin/nothing"
expect_fail 126 "^proftrace record: $T/bin/not-executable: Permission denied" "$PROFTRACE" record -- "$T/bin/not-executable"
PATH=$T/bin:$PATH expect_fail 126 "^proftrace record: $T/bin/not-executable: Permission denied" "$PROFTRACE" record -o "$T/t126" -- not-executable
expect_fail 126 "^proftrace record: $T/bin: Is a directory" "$PROFTRACE" record -- "$T/bin"
expect_fail 126 "^proftrace record: $T/bin/bad-interpreter: cannot execute" "$PROFTRACE" record -o "$T/t126b" -- "$T/bin/bad-interpreter"
for sh in bash dash; do # the shells agree
    rc=0; $sh -c "$T/bin/not-executable" 2>/dev/null || rc=$?; [ $rc = 126 ] || fail "$sh says $rc"
    rc=0; $sh -c "no-such-command-pt" 2>/dev/null || rc=$?; [ $rc = 127 ] || fail "$sh says $rc"
done
ok "record: 127 for a command not found, 126 for one that cannot be executed, as bash and dash"

# ---- 5. perf's habits -------------------------------------------------------------------------
mkdir "$T/work" && cd "$T/work"
"$PROFTRACE" record -- sh -c 'echo one >/dev/null' 2>"$T/r1.err" || fail "record: $(cat "$T/r1.err")"
grep -qE "^proftrace: 1 processes, [0-9]+ events, 0 lost; proftrace.data \([0-9.]+ (KiB|MiB)\)$" "$T/r1.err" ||
    fail "closing line: $(cat "$T/r1.err")"
n1=$("$PROFTRACE" events --count)
"$PROFTRACE" record -- true 2>"$T/r2.err" || fail "second record: $(cat "$T/r2.err")"
[ "$("$PROFTRACE" events --count proftrace.data.old)" = "$n1" ] || fail "proftrace.data.old is not the first trace"
"$PROFTRACE" record -- true 2>/dev/null || fail "third record"
[ "$(ls)" = "$(printf 'proftrace.data\nproftrace.data.old')" ] || fail "after three records: $(ls)"
mkdir "$T/keep" && "$PROFTRACE" record -o "$T/keep/t" -- true 2>/dev/null && mkdir "$T/keep/t.old" &&
    echo mine >"$T/keep/t.old/notes" || fail "setting up t and t.old"
expect_fail 2 "^proftrace record: cannot keep the trace in $T/keep/t/? as $T/keep/t.old: that exists and holds no trace" \
    "$PROFTRACE" record -o "$T/keep/t/" -- true
[ -f "$T/keep/t.old/notes" ] && [ -f "$T/keep/t/metadata" ] || fail "record removed what it could not keep"
rc=0; "$PROFTRACE" report >"$T/rep.out" 2>"$T/rep.err" || rc=$?
[ $rc = 0 ] && grep -q "^summary: 1 processes" "$T/rep.out" || fail "report of ./proftrace.data: exit $rc $(cat "$T/rep.err")"
"$PROFTRACE" export --format=chrome -o "$T/x.json" || fail "export of ./proftrace.data"
mkdir "$T/notes" && echo keep >"$T/notes/a" && echo keep >"$T/notes/b"
expect_fail 2 "^proftrace record: $T/notes is not empty and holds no trace" "$PROFTRACE" record -o "$T/notes" -- true
[ "$(ls "$T/notes")" = "$(printf 'a\nb')" ] || fail "record touched a directory of other files"
expect_fail 2 "^proftrace collect: $T/notes is not empty and holds no trace" "$PROFTRACE" collect -o "$T/notes"
for cmd in report events "export --format=html -o $T/n.html"; do
    # shellcheck disable=SC2086
    expect_fail 2 "^proftrace ${cmd%% *}: $T/notes: not a proftrace trace directory" "$PROFTRACE" $cmd "$T/notes"
    [ "$(wc -l <"$T/last.err")" = 1 ] || fail "${cmd%% *} of a directory without a trace said more than once: $(cat "$T/last.err")"
done
expect_fail 2 "^proftrace live: $T/notes: not a proftrace trace directory" "$PROFTRACE" live "$T/notes"
mkfifo "$T/fifo"
cat "$T/fifo" >"$T/fifo.out" &
"$PROFTRACE" export --format=chrome -o "$T/fifo" || fail "export into a FIFO"
wait
[ -p "$T/fifo" ] || fail "export replaced the FIFO it was given"
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e[0]["args"]["schema"] == 2' "$T/fifo.out" ||
    fail "the export read from the FIFO is not the JSON with its schema"
ok "defaults to ./proftrace.data, keeps .old, refuses a directory of other files, says once when a directory holds no trace, writes into a FIFO"

# ---- 6. completion ------------------------------------------------------------------------------
complete_words() { # complete_words WORD...: COMPREPLY for the last word, as bash asks
    bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _proftrace
             printf "%s\n" "${COMPREPLY[@]}"' _ "$PT_SRC/completion/proftrace.bash" "$@"
}
[ "$(complete_words "$PROFTRACE" rec)" = record ] || fail "bash: 'rec' does not complete to record"
complete_words "$PROFTRACE" "" | grep -x version >/dev/null || fail "bash: the commands are not offered"
[ "$(complete_words "$PROFTRACE" report --js)" = --json ] || fail "bash: report --js"
complete_words "$PROFTRACE" record --buf | grep -x -- --buffer-size= >/dev/null || fail "bash: record --buf"
[ "$(complete_words "$PROFTRACE" export --format = "" | sort | tr '\n' ' ')" = "chrome html " ] ||
    fail "bash: export --format= offers $(complete_words "$PROFTRACE" export --format = "")"
[ "$(complete_words "$PROFTRACE" export -f ht)" = html ] || fail "bash: export -f ht"
complete_words "$PROFTRACE" record -- sqlit | grep -x sqlite3 >/dev/null || fail "bash: record -- sqlit"
mkdir "$T/work/tracedir"
[ "$(complete_words "$PROFTRACE" report "$T/work/trace")" = "$T/work/tracedir" ] || fail "bash: report DIR"
[ "$(complete_words "$PROFTRACE" help ver)" = version ] || fail "bash: help ver"
zsh -n "$PT_SRC/completion/_proftrace" || fail "zsh: _proftrace does not parse"
ok "bash completion: commands, options, values, the command after record --; zsh's parses"
