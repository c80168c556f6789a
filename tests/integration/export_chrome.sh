#!/usr/bin/env bash
# export_chrome.sh — `proftrace export --format chrome` on real traces: the bug2 scenario (two
# login sessions) and two `rm`s that are both pid 1 in their own PID namespaces. Checks the Trace
# Event Format structure strictly (python3's json module): valid JSON array, one event per line
# (so a file cut short still loads), every X has a dur, every pid/tid an integer, every flow has a
# start and an end bound to slices, metadata names for every track; and the content: the two
# processes named with their namespace identity and grouped apart, the MAPI session hold, the
# deletion and failure instants, the arrow from the delete in mapiclient to the failure in
# eventsvc, the finding; pids of different PID namespaces on different tracks.
set -euo pipefail
source "$(dirname "$0")/export_lib.sh"

record_bug2 "$tmp/bug2"
"$bin/proftrace" export --format chrome -o "$tmp/bug2.json" "$tmp/bug2"

# Two processes that are both pid 1 (in two PID namespaces), each deleting a file.
mkdir -p "$tmp/pidns"
for i in 1 2; do
    : >"$tmp/victim$i"
    PROFTRACE_DIR=$tmp/pidns LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$lib/libproftrace.so \
        unshare --pid --fork --mount-proc rm "$tmp/victim$i"
    [ ! -e "$tmp/victim$i" ] || { echo "FAIL: rm $i did not run" >&2; exit 1; }
done
"$bin/proftrace" export --format chrome -o "$tmp/pidns.json" "$tmp/pidns"

# usage errors exit 2 and write nothing
rc=0
"$bin/proftrace" export --format svg -o "$tmp/x" "$tmp/bug2" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$tmp/x" ] || { echo "FAIL: unknown format: exit $rc" >&2; exit 1; }
rc=0
"$bin/proftrace" export --format chrome -o "$tmp/x" "$tmp/nonexistent" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] && [ ! -e "$tmp/x" ] || { echo "FAIL: missing trace: exit $rc" >&2; exit 1; }

python3 - "$tmp/bug2.json" "$tmp/pidns.json" "$tmp/victim1" "$tmp/victim2" <<'PY'
import json, re, sys
from collections import defaultdict

fails = []
def check(cond, what):
    if not cond:
        fails.append(what)
    return cond

def strict_load(path):
    text = open(path, encoding="utf-8").read()  # must be valid UTF-8
    def no_const(c):
        raise ValueError("non-JSON constant " + c)
    events = json.loads(text, parse_constant=no_const)
    lines = text.split("\n")
    # array form, one event per line: any prefix of whole lines plus "]" is valid JSON, which is
    # what lets Perfetto load a file cut short
    check(lines[0] == "[", f"{path}: first line is not '['")
    body = [l for l in lines[1:] if l and l != "]"]
    for l in body:
        json.loads(l.rstrip(","))
    cut = "[\n" + "\n".join(body[: len(body) // 2]).rstrip(",") + "]"
    check(len(json.loads(cut)) == len(body) // 2, f"{path}: a file cut after a line does not load")
    for l in body:  # microseconds with nanosecond precision: 3 decimals, never more
        for m in re.finditer(r'"(ts|dur)":(-?[0-9.eE+-]+)', l):
            check(re.fullmatch(r"[0-9]+\.[0-9]{3}", m.group(2)), f"{path}: {m.group(1)} {m.group(2)}")
    return events

def structure(path, events):
    check(isinstance(events, list) and events, f"{path}: not a non-empty array")
    isint = lambda v: type(v) is int
    names = {}   # pid -> process_name
    tnames = set()
    slices = defaultdict(list)  # (pid, tid) -> [(ts, end)]
    flows = defaultdict(dict)
    async_open = {}
    for e in events:
        ph = e.get("ph")
        check(ph in {"M", "X", "i", "b", "e", "s", "f"}, f"{path}: unexpected ph {ph!r}")
        check(isint(e.get("pid")) and isint(e.get("tid")), f"{path}: pid/tid not integers: {e}")
        check(type(e.get("ts")) in (int, float) and e["ts"] >= 0, f"{path}: bad ts: {e}")
        check(isinstance(e.get("name"), str) and e["name"], f"{path}: no name: {e}")
        if ph == "M":
            check(isinstance(e.get("args"), dict), f"{path}: metadata without args: {e}")
            if e["name"] == "process_name":
                check(isinstance(e["args"].get("name"), str) and e["args"]["name"], f"{path}: empty process_name")
                check(e["pid"] not in names, f"{path}: two processes share pid {e['pid']}")
                names[e["pid"]] = e["args"]["name"]
            elif e["name"] == "thread_name":
                check(e["args"].get("name"), f"{path}: empty thread_name")
                tnames.add((e["pid"], e["tid"]))
            elif e["name"] in ("process_sort_index", "thread_sort_index"):
                check(isint(e["args"].get("sort_index")), f"{path}: sort_index not an integer")
        elif ph == "X":
            check(type(e.get("dur")) in (int, float) and e["dur"] >= 0, f"{path}: X without dur: {e}")
            check(isinstance(e.get("args"), dict), f"{path}: X without args: {e}")
            slices[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e.get("dur", 0)))
        elif ph == "i":
            check(e.get("s") in ("t", "p", "g"), f"{path}: instant without scope: {e}")
        elif ph in ("s", "f"):
            check(e.get("id") is not None, f"{path}: flow without id")
            check(ph not in flows[e.get("id")], f"{path}: flow {e.get('id')} has two {ph}")
            flows[e.get("id")][ph] = e
        elif ph in ("b", "e"):
            key = (e.get("cat"), e.get("id"), e["name"])
            if ph == "b":
                check(key not in async_open, f"{path}: async {key} begun twice")
                async_open[key] = e
            else:
                b = async_open.pop(key, None)
                check(b is not None and b["ts"] <= e["ts"] and b["pid"] == e["pid"],
                      f"{path}: async end without its begin: {e}")
    check(not async_open, f"{path}: async spans never ended: {list(async_open)}")
    for e in events:
        if e["ph"] in ("X", "i", "b", "e", "s", "f"):
            check(e["pid"] in names, f"{path}: pid {e['pid']} has no process_name")
        if e["ph"] in ("X", "s", "f"):
            check((e["pid"], e["tid"]) in tnames, f"{path}: thread {e['pid']}/{e['tid']} has no thread_name")
    for fid, fl in flows.items():
        check("s" in fl and "f" in fl, f"{path}: flow {fid} lacks a start or an end")
        if "f" in fl:
            check(fl["f"].get("bp") == "e", f"{path}: flow {fid} end not bound to its enclosing slice")
        for ph, e in fl.items():
            bound = any(a <= e["ts"] <= b for a, b in slices[(e["pid"], e["tid"])])
            check(bound, f"{path}: flow {fid} {ph} at {e['ts']} is inside no slice of {e['pid']}/{e['tid']}")
    return names, flows

bug2, pidns, victim1, victim2 = sys.argv[1:5]
ev = strict_load(bug2)
names, flows = structure(bug2, ev)

# a track per process that ran, none for what the analyzer only heard of through `reaped`
check(all(not n.startswith("? (") for n in names.values()),
      f"bug2: tracks without identity: {[n for n in names.values() if n.startswith('? (')]}")

# the two processes: named with exe, pid and namespace identity, grouped apart
def pid_of(exe):
    p = [pid for pid, n in names.items() if n.startswith(exe + " (pid ")]
    check(len(p) == 1, f"bug2: {len(p)} tracks named {exe}")
    return p[0] if p else None
svc, cli = pid_of("eventsvc"), pid_of("mapiclient")
if svc and cli:
    for pid in (svc, cli):
        check(re.search(r"\[(no login session|login session \d+) · mnt ns \d+ · ipc ns \d+", names[pid]),
              f"bug2: track name without namespace identity: {names[pid]}")
    sess = lambda n: re.search(r"\[(no login session|login session \d+)", n).group(1)
    check(sess(names[cli]).startswith("login session ") and sess(names[cli]) != sess(names[svc]),
          f"bug2: the two sessions are not told apart: {names[cli]} / {names[svc]}")
    sort = {e["pid"]: e["args"]["sort_index"] for e in ev if e["ph"] == "M" and e["name"] == "process_sort_index"}
    labels = {e["pid"]: e["args"]["labels"] for e in ev if e["ph"] == "M" and e["name"] == "process_labels"}
    same_ns = [p for p in names if labels.get(p, "").split(",")[0] == labels.get(svc, "").split(",")[0]]
    check(max(sort[p] for p in same_ns) < sort[cli] or min(sort[p] for p in same_ns) > sort[cli],
          "bug2: mapiclient (another session) is sorted among the service's namespace group")
    # API calls as slices with arguments
    X = [e for e in ev if e["ph"] == "X"]
    logon = [e for e in X if e["pid"] == svc and e["name"] == "MAPILogonEx"]
    check(logon and logon[0]["args"].get("lpszProfileName", "").startswith("EventScript-bug2"),
          "bug2: no MAPILogonEx slice with its profile argument")
    check(any(e["pid"] == cli and e["name"] == "MAPIInitialize" for e in X), "bug2: no MAPIInitialize slice")
    # holds as async spans
    check(any(e["ph"] == "b" and e["pid"] == svc and e["args"]["kind"] == "mapi-session" for e in ev),
          "bug2: the service's MAPI session is not an async span")
    # deletions and failures as instants
    I = [e for e in ev if e["ph"] == "i"]
    check(any(e["pid"] == cli and e["cat"] == "deletion" for e in I), "bug2: no deletion instant in mapiclient")
    check(any(e["pid"] == svc and e["cat"] == "failure" and "MAPI_E_CALL_FAILED" in e["args"]["result"] for e in I),
          "bug2: no MAPI_E_CALL_FAILED failure instant in eventsvc")
    # the arrow from the delete to the failure it caused
    arrows = [f for f in flows.values() if f.get("s", {}).get("pid") == cli and f.get("f", {}).get("pid") == svc]
    check(len(arrows) == 1, f"bug2: {len(arrows)} flows from mapiclient to eventsvc, expected 1")
    if arrows:
        s, f = arrows[0]["s"], arrows[0]["f"]
        dele = [e for e in X if e["pid"] == cli and e["ts"] <= s["ts"] <= e["ts"] + e["dur"] and e["name"] == "unlinkat"]
        vict = [e for e in X if e["pid"] == svc and e["ts"] <= f["ts"] <= e["ts"] + e["dur"] and e["name"] == "IMAPISession_OpenMsgStore"]
        check(dele and vict, "bug2: the flow is not bound to the unlinkat and the failing OpenMsgStore")
        check(s["ts"] < f["ts"], "bug2: the flow goes back in time")
    # the finding as a global instant
    G = [e for e in I if e.get("s") == "g"]
    check(len(G) == 1 and G[0]["args"]["rule"] == "cross-namespace-purge"
          and G[0]["args"]["cause"] == "session-namespace-split", f"bug2: finding instants {G}")
check(min(e["ts"] for e in ev) == 0 or min(e["ts"] for e in ev if e["ph"] != "M") < 1000,
      "bug2: timestamps are not relative to the trace start")

# PID namespaces: the two rm's are both pid 1 in their namespace, and must be two tracks
ev2 = strict_load(pidns)
names2, _ = structure(pidns, ev2)
rms = {e["pid"] for e in ev2 if e["ph"] == "X" and e["name"] == "unlinkat"
       and e["args"].get("pathname") in (victim1, victim2)}
check(len(rms) == 2, f"pidns: the two rm's deletions are on {len(rms)} track(s), expected 2")
for p in rms:
    check(re.match(r"rm \(pid 1[,)]", names2.get(p, "")), f"pidns: track {p} is named {names2.get(p)!r}")

if fails:
    for f in fails[:40]:
        print("FAIL", f, file=sys.stderr)
    sys.exit(1)
print(f"ok: bug2 {len(ev)} events, {len(flows)} flow(s); pidns {len(ev2)} events")
PY
