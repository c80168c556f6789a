#!/usr/bin/env bash
# analyzer_latent.sh — latent-purge-hazard on real processes: client B logs on to a profile of its
# own in ANOTHER login session (new audit session) and stays; client A then logs on to profile P,
# marks it for deletion (DeleteProfile while in use) and holds it. Nothing is deleted under A in
# this run — B's MAPIInitialize came before the mark — but B's in-use list is another object on
# the same store and marks key, so its next MAPIInitialize would purge P: exactly one
# latent-purge-hazard, session-namespace-split, holder A, would-be deleter B. The same run with
# Global\ in-use names (MAPISIM_FIXES=global) shares one list: no finding.
set -euo pipefail
src=${PT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PT_BIN:-$src/build/bin}
lib=${PT_LIB:-$src/build/lib}
if [ "$(id -u)" -ne 0 ]; then
    echo "analyzer_latent: needs root (a new login session via /proc/self/loginuid)" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-analyzer-latent.XXXXXX")
ns=latent_$(basename "$tmp" | cut -d. -f2)
cleanup() {
    rm -rf "$tmp"
    rm -f /dev/shm/winsim."$ns"*
}
trap cleanup EXIT
fail=0

# The run itself, as one script so `proftrace record` (or the shim's environment) covers it all.
cat >"$tmp/run.sh" <<'RUN'
set -euo pipefail
cd "$WORK"
mkfifo a.in a.out b.in b.out
sh -c 'echo 1000 >/proc/self/loginuid; exec "$@"' sh "$BIN/mapiclient" --logon Other --create \
    --hold <b.in >b.out &
b=$!
exec {bi}>b.in {bo}<b.out
until IFS= read -r -t 60 line <&"$bo" && [ "$line" = "mapiclient: holding" ]; do :; done
"$BIN/mapiclient" --logon P --create --delete --hold <a.in >a.out {bi}>&- {bo}<&- &
a=$!
exec {ai}>a.in {ao}<a.out
until IFS= read -r -t 60 line <&"$ao" && [ "$line" = "mapiclient: holding" ]; do :; done
exec {bi}>&-
cat <&"$bo" >/dev/null
wait "$b"
exec {ai}>&-
cat <&"$ao" >/dev/null
wait "$a"
RUN

run() {
    local name=$1 fixes=$2 want=$3
    local work=$tmp/$name trace=$tmp/$name.trace
    mkdir -p "$work/hives" "$trace"
    export WORK=$work BIN=$bin WINSIM_HIVE_ROOT=$work/hives WINSIM_NAMESPACE=${ns}_$name \
        MAPISIM_FIXES=$fixes
    unset WINSIM_SESSION
    if ! "$bin/proftrace" record -o "$trace" -- bash "$tmp/run.sh" >"$tmp/$name.log" 2>&1; then
        if grep -q "not implemented" "$tmp/$name.log"; then
            rm -rf "$trace" && mkdir -p "$trace"
            PROFTRACE_DIR=$trace LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$lib/libproftrace.so bash "$tmp/run.sh" \
                >"$tmp/$name.log" 2>&1 || { cat "$tmp/$name.log" >&2; fail=1; return; }
        else
            cat "$tmp/$name.log" >&2
            fail=1
            return
        fi
    fi
    local rc=0
    "$bin/proftrace" report --json "$trace" >"$tmp/$name.json" || rc=$?
    local got
    got=$(jq -r '.findings[] | [.rule, .cause, .holder.exe, .deleter.exe, .resource.name] | join(" ")' \
        "$tmp/$name.json" | sed "s#$bin/##g")
    if [ "$got" != "$want" ]; then
        echo "FAIL $name: got '$got', expected '$want' (exit $rc)" >&2
        "$bin/proftrace" report "$trace" >&2 || true
        fail=1
    else
        echo "ok   $name"
    fi
}

run none none "latent-purge-hazard session-namespace-split mapiclient mapiclient P"
run global global ""
exit $fail
