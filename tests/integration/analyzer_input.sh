#!/usr/bin/env bash
# analyzer_input.sh — `proftrace report` on good, damaged and foreign trace directories: a trace
# written with the ring writer gives its finding (exit 1) or none (exit 0); missing, empty,
# foreign, truncated and corrupted inputs give exit 2 and a message naming the file — never a
# crash, whatever the damage.
set -uo pipefail
src=${PT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PT_BIN:-$src/build/bin}
tests=${PT_TESTS:-$src/build/tests}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-analyzer-input.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
    echo "FAIL $*" >&2
    fail=1
}

# expect NAME RC STDERR-PATTERN DIR [--json]
expect() {
    local name=$1 want=$2 pattern=$3 dir=$4
    shift 4
    local rc=0
    "$bin/proftrace" report "$@" "$dir" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "$name: exit $rc, expected $want"
        cat "$tmp/$name.err" >&2
    elif [ -n "$pattern" ] && ! grep -qE "$pattern" "$tmp/$name.err"; then
        bad "$name: stderr does not match /$pattern/:"
        cat "$tmp/$name.err" >&2
    else
        echo "ok   $name"
    fi
}

"$tests/analyzer_mktrace" "$tmp/good" bug2 || bad "mktrace bug2"
"$tests/analyzer_mktrace" "$tmp/clean" clean || bad "mktrace clean"
expect good 1 "" "$tmp/good"
grep -q "^finding 1: cross-namespace-purge  severity critical  cause session-namespace-split" \
    "$tmp/good.out" || bad "good: no session-namespace-split finding in the text report"
expect good-json 1 "" "$tmp/good" --json
jq -e '.findings | length == 1 and .[0].cause == "session-namespace-split"' "$tmp/good-json.out" \
    >/dev/null || bad "good-json: not the expected JSON"
expect clean 0 "" "$tmp/clean"
grep -q "^no findings" "$tmp/clean.out" || bad "clean: no 'no findings' line"

expect missing 2 "No such file or directory" "$tmp/does-not-exist"
: >"$tmp/plain-file"
expect plain-file 2 "not a trace directory" "$tmp/plain-file"
mkdir "$tmp/empty"
expect empty 2 "not a proftrace trace directory" "$tmp/empty"
rc=0 # no directory named: ./proftrace.data, as perf reads ./perf.data
(cd "$tmp/empty" && "$bin/proftrace" report) >/dev/null 2>"$tmp/default.err" || rc=$?
if [ "$rc" -eq 2 ] && grep -q "^proftrace report: proftrace.data: No such file or directory" "$tmp/default.err"; then
    echo "ok   default directory"
else
    bad "default directory: exit $rc: $(cat "$tmp/default.err")"
fi
rc=0
"$bin/proftrace" report "$tmp/good" "$tmp/clean" >/dev/null 2>"$tmp/usage.err" || rc=$?
if [ "$rc" -eq 2 ] && grep -q "^usage: proftrace report" "$tmp/usage.err"; then echo "ok   usage"; else bad "usage: exit $rc"; fi
expect bad-option 2 "unknown option" "$tmp/good" --frobnicate

mkdir -p "$tmp/foreign-ctf" "$tmp/foreign-ring/rings"
head -c 20000 /dev/urandom >"$tmp/foreign-ctf/metadata"
head -c 20000 /dev/urandom >"$tmp/foreign-ctf/stream_0"
expect foreign-ctf 2 "foreign-ctf/stream_0" "$tmp/foreign-ctf"
head -c 200000 /dev/urandom >"$tmp/foreign-ring/rings/1.ring"
expect foreign-ring 2 "foreign-ring/rings/1.ring: not a proftrace ring" "$tmp/foreign-ring"
mkdir -p "$tmp/elf/rings"
cp "$bin/proftrace" "$tmp/elf/rings/2.ring"
expect foreign-elf 2 "elf/rings/2.ring" "$tmp/elf"

ring=$(ls "$tmp/good/rings" | head -1)
for cut in 0 100 5000 65536; do
    cp -r "$tmp/good" "$tmp/trunc$cut"
    truncate -s "$cut" "$tmp/trunc$cut/rings/$ring"
    expect "truncated-at-$cut" 2 "trunc$cut/rings/$ring: truncated" "$tmp/trunc$cut"
done

# Random damage inside the written events: the report must finish (0, 1 or 2), never crash.
crashes=0
outcomes=
for seed in $(seq 1 40); do
    rm -rf "$tmp/corrupt"
    cp -r "$tmp/good" "$tmp/corrupt"
    for r in "$tmp"/corrupt/rings/*.ring; do
        "$tests/analyzer_mktrace" --corrupt "$r" "$seed"
    done
    rc=0
    timeout 20 "$bin/proftrace" report --json "$tmp/corrupt" >"$tmp/corrupt.out" 2>"$tmp/corrupt.err" || rc=$?
    outcomes="$outcomes $rc"
    if [ "$rc" -gt 2 ]; then
        bad "corrupt seed $seed: exit $rc (crash or hang)"
        crashes=$((crashes + 1))
    elif [ "$rc" -ne 2 ] && ! jq -e . "$tmp/corrupt.out" >/dev/null 2>&1; then
        bad "corrupt seed $seed: exit $rc but the JSON report is not valid"
    fi
done
[ "$crashes" -eq 0 ] && echo "ok   40 random corruptions: no crash (exit statuses:$outcomes)"
exit $fail
