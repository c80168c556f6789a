#!/usr/bin/env bash
# alert_journald.sh — a real systemd-journald, started in a private mount namespace with its own
# /run/systemd/journal and a volatile journal under its own /run/log, receives what `proftrace
# collect` sends about the bug2 finding (the journal chosen by default, since journald listens):
# journalctl reads back MESSAGE, PRIORITY, MESSAGE_ID, SYSLOG_IDENTIFIER and every PROFTRACE_*
# field, equal to report --json's finding, and PROFTRACE_FINDING is the JSON document (sent as the
# finding happened: how its processes ended, which came later, aside); an entry of
# 1 MB (too big for a datagram: the memfd way) with a newline in a field arrives whole.
# Skipped (77), saying why, only when there is no journald binary, no journalctl, or no way to
# make a private mount namespace (alert_lib.sh).
ALERT_PRIVATE_NS=${ALERT_PRIVATE_NS:-want}
source "$(dirname "$0")/alert_lib.sh"
start_journald
ok "journald $JOURNALD listens at /run/systemd/journal/socket (private mount namespace)"

start_collect col "$T/tr" # no --journal: chosen because journald listens
colpid=$COL
run_bug2 col
stop_collect
grep -qx "proftrace collect: findings to the journal: 1 sent, 0 not" "$T/col.err" ||
    fail "collect did not send the finding: $(cat "$T/col.err")"
"$PT_BUILD/tests/alert_tool_send" 1000000 $'Big\nEntry' 2>"$T/tool.err" || fail "alert_tool_send"
journalctl --sync # returns once journald wrote all it received
journalctl -D /run/log/journal -o json --all -t proftrace >"$T/entries.json" 2>"$T/jc.err" ||
    fail "journalctl: $(cat "$T/jc.err")"
"$PROFTRACE" report --json "$T/tr" >"$T/report.json" || [ $? = 1 ] || fail "report"

python3 - "$T/entries.json" "$T/report.json" "$(realpath "$T/tr")" "$colpid" <<'PY' || fail "journalctl read back the wrong entries"
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1])]
report = json.load(open(sys.argv[2]))
tdir, colpid = sys.argv[3], sys.argv[4]

def text(v):  # journalctl shows a value that is not printable UTF-8 as an array of bytes
    return bytes(v).decode() if isinstance(v, list) else v

def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)

mine = [e for e in entries if text(e.get("PROFTRACE_TRACE_DIR")) == tdir]
check(len(mine) == 1, f"{len(mine)} entries of the collection, want 1: {entries}")
e = {k: text(v) for k, v in mine[0].items()}
f = report["findings"][0]
want = {
    "PRIORITY": "2", "SYSLOG_IDENTIFIER": "proftrace",
    "MESSAGE_ID": "903e2acd45144c0fbea479fff6341eb3", "_TRANSPORT": "journal", "_PID": colpid,
    "PROFTRACE_RULE": f["rule"], "PROFTRACE_CAUSE": f["cause"],
    "PROFTRACE_SEVERITY": f["severity"], "PROFTRACE_UNCERTAIN": "0",
    "PROFTRACE_RESOURCE_KIND": f["resource"]["kind"], "PROFTRACE_RESOURCE": f["resource"]["name"],
    "PROFTRACE_RESOURCE_IDENTITY":
        f"dev={f['resource']['identity']['dev']} ino={f['resource']['identity']['ino']}",
    "PROFTRACE_DELETER_PID": str(f["deleter"]["pid"]), "PROFTRACE_DELETER_EXE": f["deleter"]["exe"],
    "PROFTRACE_DELETER_CALL": f["deleter"]["call"],
    "PROFTRACE_HOLDER_PID": str(f["holder"]["pid"]), "PROFTRACE_HOLDER_EXE": f["holder"]["exe"],
    "PROFTRACE_VICTIM": "IMAPISession_OpenMsgStore -> 0x80004005 MAPI_E_CALL_FAILED "
                        "(RegQueryValueExA -> 1018 ERROR_KEY_DELETED)",
    "PROFTRACE_TRACE_DIR": tdir,
}
for k, v in want.items():
    check(e.get(k) == v, f"{k} is {e.get(k)!r}, want {v!r}")
msg = (f"cross-namespace-purge (session-namespace-split, critical): profile \"{f['resource']['name']}\" "
       f"deleted by pid {f['deleter']['pid']} (mapiclient, MAPIInitialize) while pid "
       f"{f['holder']['pid']} (eventsvc) held it; then IMAPISession_OpenMsgStore")
check(e["MESSAGE"].startswith(msg) and e["MESSAGE"].endswith("; trace " + tdir),
      f"MESSAGE {e['MESSAGE']!r}")
def settled(x):  # sent as it happened: how its processes ended came later, the rest is report's
    if isinstance(x, dict):
        return {k: settled(v) for k, v in x.items() if k != "ended"}
    return [settled(v) for v in x] if isinstance(x, list) else x
doc = json.loads(e["PROFTRACE_FINDING"])
check(settled(doc) == {"schema": 2, "trace_dir": tdir, "finding": settled(f)},
      "PROFTRACE_FINDING is not the document")

big = [x for x in entries if text(x.get("PROFTRACE_RESOURCE")) == "Big\nEntry"]
check(len(big) == 1, f"the 1 MB entry: {len(big)} found")
b = text(big[0]["PROFTRACE_FINDING"])
check(len(b) == 1000000 and b.startswith('{"big":"') and b.endswith('"}'),
      f"PROFTRACE_FINDING of the big entry has {len(b)} bytes")
print("ok: journalctl read back the finding's fields, its JSON, and a 1 MB entry whole")
PY
journalctl -D /run/log/journal MESSAGE_ID=903e2acd45144c0fbea479fff6341eb3 PROFTRACE_RULE=cross-namespace-purge \
    -o cat >"$T/cat.txt" 2>&1 || fail "journalctl MESSAGE_ID=: $(cat "$T/cat.txt")"
grep -q "^cross-namespace-purge (session-namespace-split, critical): profile \"EventScript-" "$T/cat.txt" ||
    fail "journalctl by MESSAGE_ID and field: $(cat "$T/cat.txt")"
ok "journalctl MESSAGE_ID=... PROFTRACE_RULE=... finds it"
