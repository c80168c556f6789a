#!/usr/bin/env bash
# tracer_readers_hostile.sh — a traced program names its profile and its executable with terminal
# escape sequences (ESC]0;...BEL sets the window title, ESC[2J clears the screen), a newline that
# forges a `finding 9:` line, and a byte that is not UTF-8 (0xff). Every reader output shows those
# bytes escaped, the same way (proftrace/escape.h): `report` text, `report --json` (valid JSON,
# valid UTF-8, and the exact bytes recoverable), `live --findings`, `events`, `export` html and
# chrome. None writes a control byte or invalid UTF-8.
source "$(dirname "$0")/tracer_lib.sh"

profile=$'EvtSvc\e]0;pwned\a\e[2J\nfinding 9: forged\xff'
exe=$'/usr/lib/evil\e[31msvc'
"$PT_TESTS/analyzer_mktrace" "$T/t" bug2 "$profile" "$exe" || fail "analyzer_mktrace"

# clean FILE WHAT: no control byte but newline, no byte outside UTF-8, no forged line, and the
# escaped name is there
clean() {
    local f=$1 what=$2
    if LC_ALL=C grep -qaP '[\x00-\x09\x0b-\x1f\x7f]' "$f"; then
        fail "$what: writes a control byte: $(LC_ALL=C grep -naP '[\x00-\x09\x0b-\x1f\x7f]' "$f" | head -3 | cat -A)"
    fi
    python3 -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$f" ||
        fail "$what: output is not valid UTF-8"
    if grep -qa '^finding 9' "$f"; then fail "$what: a forged 'finding 9:' line"; fi
    grep -qaF "${3:-EvtSvc\\x1b]0;pwned\\x07\\x1b[2J\\nfinding 9: forged\\xff}" "$f" ||
        fail "$what: the escaped profile name is not shown: $(head -c 600 "$f")"
    echo "ok   $what"
}

rc=0
"$PROFTRACE" report --no-symbols "$T/t" >"$T/report.txt" 2>"$T/report.err" || rc=$?
[ "$rc" = 1 ] || fail "report: exit $rc, expected 1 (one finding): $(cat "$T/report.err")"
clean "$T/report.txt" "report text"
grep -qaF '(evil\x1b[31msvc)' "$T/report.txt" || fail "report: escaped executable not shown"
grep -qaF 'key HKEY_CURRENT_USER\Software\Microsoft' "$T/report.txt" ||
    fail "report: a registry path's backslashes must stay readable"

rc=0
"$PROFTRACE" report --json --no-symbols "$T/t" >"$T/report.json" 2>"$T/json.err" || rc=$?
[ "$rc" = 1 ] || fail "report --json: exit $rc: $(cat "$T/json.err")"
clean "$T/report.json" "report --json" 'EvtSvc\u001b]0;pwned\u0007\u001b[2J\nfinding 9: forged\udcff'
jq -e '.findings | length == 1' "$T/report.json" >/dev/null || fail "report --json: jq rejects it"
# lossless: the surrogateescape convention gives back the exact bytes of the name
python3 - "$T/report.json" <<'EOF' || fail "report --json: the name's bytes do not come back"
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
name = d["findings"][0]["resource"]["name"].encode("utf-8", "surrogateescape")
want = b"EvtSvc\x1b]0;pwned\x07\x1b[2J\nfinding 9: forged\xff"
sys.exit(0 if name == want else 1)
EOF

"$PROFTRACE" events "$T/t" >"$T/events.txt" 2>"$T/events.err" || fail "events failed"
clean "$T/events.txt" "events" 'MAPILogonEx("EvtSvc\x1b]0;pwned\x07\x1b[2J\nfinding 9: forged\xff"'
grep -qaF '[evil\x1b[31msvc]' "$T/events.txt" || grep -qaF 'evil\x1b[31msvc]' "$T/events.txt" ||
    fail "events: the program name is not escaped: $(grep -a MAPILogonEx "$T/events.txt" | cat -A)"

"$PROFTRACE" export --format html --no-symbols -o "$T/report.html" "$T/t" 2>"$T/html.err" ||
    fail "export html: $(cat "$T/html.err")"
clean "$T/report.html" "export html"
"$PROFTRACE" export --format chrome -o "$T/chrome.json" "$T/t" 2>"$T/chrome.err" ||
    fail "export chrome: $(cat "$T/chrome.err")"
clean "$T/chrome.json" "export chrome" 'EvtSvc\u001b]0;pwned\u0007\u001b[2J\nfinding 9: forged\udcff'
jq -e . "$T/chrome.json" >/dev/null || fail "export chrome: jq rejects it"

# live --findings: wait for the finding to be printed, then stop it
"$PROFTRACE" live --findings "$T/t" >"$T/live.txt" 2>"$T/live.err" &
live=$!
PIDS_TO_KILL+=("$live")
for _ in $(seq 600); do
    grep -qa 'FINDING' "$T/live.txt" && grep -qa 'remedy:' "$T/live.txt" && break
    kill -0 "$live" 2>/dev/null || break
    sleep 0.1
done
kill -INT "$live" 2>/dev/null || true
wait "$live" 2>/dev/null || true
grep -qa 'FINDING' "$T/live.txt" || fail "live --findings printed no finding: $(cat "$T/live.err")"
clean "$T/live.txt" "live --findings"
echo "PASS"
