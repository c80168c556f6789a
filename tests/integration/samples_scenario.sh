#!/usr/bin/env bash
# samples_scenario.sh SCENARIO FIXES EXPECT — runs samples/scenarios/SCENARIO.sh with
# MAPISIM_FIXES=FIXES and checks: it exits 0; the verdict is EXPECT ("ok" or "FAILED"); the
# service handled the first request, and the second one exactly as the verdict says; nothing of
# the run is left behind (no process of its namespace, no /dev/shm object, no hive).
set -euo pipefail
scenario=$1 fixes=$2 expect=$3
here=$(cd "$(dirname "$0")" && pwd)
script=$here/../../samples/scenarios/$scenario.sh
fail() {
    echo "samples_scenario: $scenario at $fixes: $*" >&2
    exit 1
}

status=0
out=$(MAPISIM_FIXES=$fixes "$script" 2>&1) || status=$?
printf '%s\n' "$out"
[ "$status" -eq 0 ] || fail "exit status $status, expected 0"

ns=$(printf '%s\n' "$out" | sed -n 's/^scenario: .*namespace \([^)]*\)).*/\1/p' | head -n1)
[ -n "$ns" ] || fail "no namespace line"
verdict=$(printf '%s\n' "$out" | tail -n1)
case $expect in
ok) want="scenario: service ok" ;;
FAILED) want="scenario: service FAILED (MAPI_E_CALL_FAILED)" ;;
*) fail "EXPECT must be ok or FAILED" ;;
esac
[ "$verdict" = "$want" ] || fail "verdict '$verdict', expected '$want'"

grep -q "^eventsvc: processed message \[Subject = 'Weekly status meeting'\]" <<<"$out" ||
    fail "the first request was not processed"
if [ "$expect" = ok ]; then
    grep -q "^eventsvc: processed message \[Subject = 'Budget review'\]" <<<"$out" ||
        fail "the second request was not processed"
else
    grep -qF "A fatal error (0x80004005) occurred in an IExchangeEventSink while processing message [Subject = 'Budget review']" <<<"$out" ||
        fail "no fatal error for the second request"
fi
grep -q '^eventsvc: stopped$' <<<"$out" || fail "the service did not stop cleanly"

# Nothing left behind.
if compgen -G "/dev/shm/winsim.$ns.*" >/dev/null; then
    fail "shared memory left: $(echo /dev/shm/winsim."$ns".*)"
fi
for env in /proc/[0-9]*/environ; do
    if tr '\0' '\n' <"$env" 2>/dev/null | grep -qx "WINSIM_NAMESPACE=$ns"; then
        fail "process left running: ${env//[^0-9]/}"
    fi
done
[ ! -e "${TMPDIR:-/tmp}/scenario-$scenario.${ns##*_}" ] || fail "work directory left"
echo "samples_scenario: $scenario at $fixes: $expect as expected"
