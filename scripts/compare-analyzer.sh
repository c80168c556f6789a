#!/usr/bin/env bash
# compare-analyzer.sh OLD_BUILD NEW_BUILD [WORK] — before/after check for a change of the analyzer:
# records every scenario of samples/scenarios at every MAPISIM_FIXES level with OLD_BUILD's
# `proftrace record`, then writes every output (report --json, with and without symbols; report
# text without symbols or disassembly; events; export chrome and html) of each trace with both
# builds and compares them byte for byte. Both builds must have the same call table (traces of one
# are unreadable to the other otherwise). Needs root (the scenarios make login sessions and mount
# namespaces); takes a few minutes; keeps WORK (default a new /tmp/pt-compare.XXXXXX) for a look.
# Exit 0 when every output is identical.
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
old=$(cd "${1:?usage: compare-analyzer.sh OLD_BUILD NEW_BUILD [WORK]}" && pwd)
new=$(cd "${2:?usage: compare-analyzer.sh OLD_BUILD NEW_BUILD [WORK]}" && pwd)
work=${3:-$(mktemp -d /tmp/pt-compare.XXXXXX)}
mkdir -p "$work/traces" "$work/old" "$work/new"

for s in "$src"/samples/scenarios/*.sh; do
    n=$(basename "$s" .sh)
    [ "$n" = lib ] && continue
    for f in none sid global all; do
        d=$work/traces/$n-$f
        [ -d "$d" ] && continue
        PT_BUILD_DIR=$old MAPISIM_FIXES=$f "$old/bin/proftrace" record -o "$d" -- bash "$s" \
            >"$d.log" 2>&1 || echo "compare-analyzer: $n-$f: the scenario failed (see $d.log)" >&2
    done
done

outputs() { # outputs BUILD OUTDIR
    local pt=$1/bin/proftrace out=$2 d n
    for d in "$work"/traces/*/; do
        n=$(basename "$d")
        "$pt" report --json "$d" >"$out/$n.json" 2>/dev/null
        "$pt" report --json --no-symbols "$d" >"$out/$n.nosym.json" 2>/dev/null
        "$pt" report --no-symbols --no-disasm "$d" >"$out/$n.txt" 2>/dev/null
        "$pt" events "$d" >"$out/$n.events" 2>/dev/null
        "$pt" export --format chrome -o "$out/$n.chrome.json" "$d" >/dev/null 2>&1
        "$pt" export --format html -o "$out/$n.html" "$d" >/dev/null 2>&1
    done
}
outputs "$old" "$work/old"
outputs "$new" "$work/new"
if diff -rq "$work/old" "$work/new"; then
    echo "compare-analyzer: $(find "$work/new" -type f | wc -l) outputs identical ($work)"
else
    echo "compare-analyzer: outputs differ (diff -r $work/old $work/new)" >&2
    exit 1
fi
