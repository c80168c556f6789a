#!/usr/bin/env bash
# analyzer_e2e_verdict.sh — one verdict per finding, on real processes, in the workflow of
# docs/debugging.md as a user ran it: the Event Script service logs on to its profile, marks it
# and waits (still running when the report is read); a client of the same account and the same
# audit session, told by WINSIM_SESSION that it is in another session, with a hive of its own,
# runs MAPIInitialize and purges the profile. Its in-use object is another object of the same
# name, and nothing the trace records (account, login session, namespaces) says why.
#   break  PROFTRACE_BREAK=delete-held, no debugger: the shim's liveness check before the delete
#          found the service's hold live (breakpoint stopped=0)
#   gdb    the same under gdb, as the docs run it (stopped=1)
#   none   no liveness check: the service gave no sign of life after the delete
# Each run must tell one verdict: the in-use objects differ in the identity table, so the cause
# is never "could not be compared"; a holder the check found alive is never "may already have been
# dead", a silent one is not "alive"; and the text report, the JSON, the HTML report and the
# Chrome export say the same cause, certainty, why and remedy.
set -euo pipefail
src=${PT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PT_BIN:-$src/build/bin}
lib=${PT_LIB:-$src/build/lib}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-analyzer-verdict.XXXXXX")
ns=verdict_$(basename "$tmp" | cut -d. -f2)
holder=
cleanup() {
    if [ -n "$holder" ]; then
        kill -KILL "$holder" 2>/dev/null || true
        wait "$holder" 2>/dev/null || true
    fi
    [ -n "${PT_KEEP:-}" ] || rm -rf "$tmp"
    rm -f /dev/shm/winsim."$ns"*
}
trap cleanup EXIT
fail=0

# The client's session as the library sees it: any but the service's own.
own=$(cat /proc/self/sessionid)
[ "$own" = 4294967295 ] && own=0
other=$((own + 7))

# run MODE: the holder started, the client's purge, the four outputs read while the holder still
# runs (into $tmp/MODE/r.txt, r.json, r.html, r.chrome.json), then the holder ended.
run() {
    local mode=$1 w=$tmp/$1 hin hout line
    mkdir -p "$w/trace" "$w/hives"
    export WINSIM_HIVE_ROOT=$w/hives WINSIM_NAMESPACE=${ns}_$mode MAPISIM_FIXES=none \
        PROFTRACE_DIR=$w/trace
    unset WINSIM_SESSION PROFTRACE_BREAK
    mkfifo "$w/svc.in" "$w/svc.out"
    LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$lib/libproftrace.so "$bin/eventsvc" --profile EvtSvc-1 <"$w/svc.in" \
        >"$w/svc.out" &
    holder=$!
    exec {hin}>"$w/svc.in" {hout}<"$w/svc.out"
    IFS= read -r -t 60 line <&"$hout" || line="(nothing)"
    case $line in
    "eventsvc: ready"*) ;;
    *) echo "FAIL $mode: the service said: $line" >&2; return 1 ;;
    esac
    echo "$holder" >"$w/holder.pid"
    case $mode in
    none)
        WINSIM_SESSION=$other LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$lib/libproftrace.so "$bin/mapiclient" \
            {hin}>&- {hout}<&- >"$w/client.log" 2>&1
        ;;
    break)
        WINSIM_SESSION=$other PROFTRACE_BREAK=delete-held LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$lib/libproftrace.so \
            "$bin/mapiclient" {hin}>&- {hout}<&- >"$w/client.log" 2>&1
        ;;
    gdb) # gdb itself is not preloaded: the shim goes into the client's environment only
        WINSIM_SESSION=$other PROFTRACE_BREAK=delete-held gdb -batch -nx \
            -ex 'set startup-with-shell off' -ex "set environment LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$lib/libproftrace.so" \
            -ex run -ex continue --args "$bin/mapiclient" {hin}>&- {hout}<&- >"$w/client.log" 2>&1
        grep -q 'received signal SIGTRAP' "$w/client.log" ||
            { cat "$w/client.log" >&2; echo "FAIL gdb: no stop at the delete" >&2; return 1; }
        ;;
    esac
    grep -q "MAPIInitialize ok" "$w/client.log" ||
        { cat "$w/client.log" >&2; echo "FAIL $mode: client" >&2; return 1; }
    # the holder is still running: read the trace now, as the docs' user does
    kill -0 "$holder" || { echo "FAIL $mode: the service ended early" >&2; return 1; }
    local rc=0
    "$bin/proftrace" report "$w/trace" >"$w/r.txt" 2>"$w/r.err" || rc=$?
    [ "$rc" -eq 1 ] ||
        { cat "$w/r.err" >&2; echo "FAIL $mode: report exited $rc, not 1" >&2; return 1; }
    "$bin/proftrace" report --json "$w/trace" >"$w/r.json" 2>>"$w/r.err" || true
    "$bin/proftrace" export --format html -o "$w/r.html" "$w/trace" 2>>"$w/r.err" &&
        "$bin/proftrace" export --format chrome -o "$w/r.chrome.json" "$w/trace" 2>>"$w/r.err" ||
        { cat "$w/r.err" >&2; echo "FAIL $mode: export" >&2; return 1; }
    exec {hin}>&-
    cat <&"$hout" >/dev/null
    exec {hout}<&-
    wait "$holder"
    holder=
}

# expect MODE DESCRIPTION JQ-EXPRESSION [jq args...]: the JSON report satisfies it
expect() {
    local mode=$1 what=$2 expr=$3
    shift 3
    if jq -e "$@" "$expr" "$tmp/$mode/r.json" >/dev/null; then
        echo "ok   $mode: $what"
    else
        echo "FAIL $mode: $what" >&2
        cat "$tmp/$mode/r.txt" >&2
        fail=1
    fi
}

# agree MODE: text, HTML and Chrome export tell the JSON's verdict, and the text agrees with itself
agree() {
    local w=$tmp/$1
    if python3 - "$w" <<'PY'; then
import html, json, sys
w = sys.argv[1]
j = json.load(open(w + "/r.json"))["findings"][0]
text = open(w + "/r.txt").read()
page = html.unescape(open(w + "/r.html").read())
chrome = [e for e in json.load(open(w + "/r.chrome.json"))
          if e.get("cat") == "finding" and e["ph"] == "i"]
bad = []
def need(cond, what):
    if not cond:
        bad.append(what)
head = "finding 1: cross-namespace-purge  severity %s  cause %s%s\n" % (
    j["severity"], j["cause"], "  UNCERTAIN" if j["uncertain"] else "")
need(head in text, "text header: " + head.strip())
need("  why: " + j["why"] + "\n" in text, "text why")
need("  remedy: " + j["remedy"] + "\n" in text, "text remedy")
reason = ("  uncertain: %s\n" % j["uncertain_reason"] in text) if j["uncertain"] \
    else "  uncertain: " not in text
need(reason, "text uncertain reason")
says = "  holder pid %d: %s\n" % (j["holder"]["pid"], j["holder"]["liveness"]["says"])
need(says in text, "text holder liveness")
ident = [l for l in text.splitlines() if l.startswith("      identity ")]
need(len(ident) == 1 and (("<- differs" in ident[0]) == (j["in_use_views"] == "differ")),
     "identity table against in_use_views")
need(">%s</span>" % j["cause"] in page and j["why"] in page and j["remedy"] in page, "html verdict")
need(("badge unc" in page) == j["uncertain"], "html certainty")
need(len(chrome) == 1, "one chrome finding")
if chrome:
    a = chrome[0]["args"]
    for k in ("cause", "uncertain", "why", "remedy", "severity"):
        need(a.get(k) == j[k], "chrome " + k)
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
        echo "ok   $1: text, HTML and Chrome export tell the JSON's verdict"
    else
        echo "FAIL $1: the outputs disagree" >&2
        fail=1
    fi
}

for mode in break gdb none; do
    if ! run "$mode"; then
        fail=1
        continue
    fi
    h=$(cat "$tmp/$mode/holder.pid")
    expect "$mode" "one purge of the profile, held by the still running service" \
        '.schema == 2 and (.findings | length) == 1 and .findings[0].rule == "cross-namespace-purge"
         and .findings[0].holder.pid == $h and .findings[0].holder.ended == "running"
         and .findings[0].deleter_check == "in-use-view"' --argjson h "$h"
    expect "$mode" "the in-use objects differ, and the cause says so (not 'not compared')" \
        '.findings[0] | .in_use_views == "differ" and .holder.in_use.ino != .deleter.in_use.ino
         and .cause == "unknown" and (.why | test("two different objects"))
         and (.why | test("could not be compared") | not)'
    agree "$mode"
    if [ "$mode" = none ]; then
        expect none "no liveness evidence: uncertain, the holder not said to be alive" \
            '.findings[0] | .uncertain and (.uncertain_reason | test("may already have been dead"))
             and .holder.liveness.evidence == "silent" and .holder.liveness.alive == null
             and (.holder.liveness.says | startswith("not known to be alive"))'
    else
        stopped=false
        [ "$mode" = gdb ] && stopped=true
        expect "$mode" "the check found the holder alive: certain, never 'may already be dead'" \
            '.findings[0] | (.uncertain | not) and .uncertain_reason == null
             and .holder.liveness.evidence == "liveness-check" and .holder.liveness.alive == true
             and .holder.liveness.stopped == $s' --argjson s "$stopped"
        if grep -q "may already have been dead\|UNCERTAIN" "$tmp/$mode/r.txt"; then
            echo "FAIL $mode: the text report doubts a holder the check found alive" >&2
            fail=1
        fi
    fi
done
exit $fail
