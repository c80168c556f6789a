#!/usr/bin/env bash
# analyzer_held.sh — deleted-while-held on real processes: a holder maps a POSIX shared-memory
# object; a clean-up in another mount namespace (`unshare -m rm`, same /dev/shm) removes it while
# it is mapped; the holder's later reopen by name fails with ENOENT (the victim). Expected: one
# deleted-while-held, no-liveness-check (rm consults no in-use view: a clean-up that checks
# nothing, in another mount namespace besides), severity high. Control: the holder unmapped
# first, so the removal harms nobody: no finding.
set -euo pipefail
src=${PT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PT_BIN:-$src/build/bin}
lib=${PT_LIB:-$src/build/lib}
tests=${PT_TESTS:-$src/build/tests}
if [ "$(id -u)" -ne 0 ]; then
    echo "analyzer_held: needs root (unshare -m)" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-analyzer-held.XXXXXX")
name=pt-analyzer-held-$(basename "$tmp" | cut -d. -f2)
trap 'rm -rf "$tmp"; rm -f /dev/shm/"$name"*' EXIT
fail=0

cat >"$tmp/run.sh" <<'RUN'
set -euo pipefail
cd "$WORK"
mkfifo h.in h.out
"$TESTS/analyzer_holder" "/$SHM" $HOLDER_OPT <h.in >h.out &
h=$!
exec {hi}>h.in {ho}<h.out
IFS= read -r -t 60 line <&"$ho"
[ "$line" = holding ]
unshare -m rm "/dev/shm/$SHM" {hi}>&- {ho}<&-
exec {hi}>&-
cat <&"$ho"
wait "$h"
RUN

run() {
    local case=$1 opt=$2 want=$3
    local work=$tmp/$case trace=$tmp/$case.trace
    mkdir -p "$work" "$trace"
    export WORK=$work TESTS=$tests SHM=$name-$case HOLDER_OPT=$opt
    if ! "$bin/proftrace" record -o "$trace" -- bash "$tmp/run.sh" >"$tmp/$case.log" 2>&1; then
        if grep -q "not implemented" "$tmp/$case.log"; then
            rm -rf "$trace" && mkdir -p "$trace"
            PROFTRACE_DIR=$trace LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$lib/libproftrace.so bash "$tmp/run.sh" \
                >"$tmp/$case.log" 2>&1 || { cat "$tmp/$case.log" >&2; fail=1; return; }
        else
            cat "$tmp/$case.log" >&2
            fail=1
            return
        fi
    fi
    local rc=0 got
    "$bin/proftrace" report --json "$trace" >"$tmp/$case.json" || rc=$?
    got=$(jq -r '.findings[] | [.rule, .cause, .severity, .resource.kind, .resource.name,
                               .deleter.call, (.victim.call // "-"), (.victim.error // "-")] | join(" ")' \
        "$tmp/$case.json" | sed "s#$name#NAME#g")
    if [ "$got" != "$want" ]; then
        echo "FAIL $case: got '$got', expected '$want' (exit $rc)" >&2
        cat "$tmp/$case.log" >&2
        "$bin/proftrace" report "$trace" >&2 || true
        fail=1
    else
        echo "ok   $case"
    fi
}

run mapped "" "deleted-while-held no-liveness-check high posix-shm /dev/shm/NAME-mapped unlinkat shm_open -1 ENOENT"
run unmapped --unmap-first ""
exit $fail
