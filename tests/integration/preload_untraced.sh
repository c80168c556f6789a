#!/usr/bin/env bash
# preload_untraced.sh — descendants the shim cannot trace are named in `report`'s summary and in
# `report --json`'s summary.untraced, with pid, exe and why:
#  - a statically linked program built here, exec'ed by a traced shell (its pid is the shell's);
#  - a set-user-ID program (owned by nobody) started by a traced shell;
#  - a static program started with posix_spawn (python's subprocess: vfork + exec in the child);
#  - /bin/sh started by popen() after the program took LD_PRELOAD out of its environment.
# Controls: a dynamic program is not listed; an exec that fails (a static program without execute
# permission) is withdrawn.
set -u
: "${PT_BIN:?}"
PT=$PT_BIN/proftrace
T=$(mktemp -d /tmp/pt-preload-untraced.XXXXXX)
trap '[ -n "${PT_KEEP:-}" ] || rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
printf '#include <stdio.h>\nint main(void) { puts("static ran"); return 0; }\n' >"$T/st.c"
cc -static -O1 -o "$T/static" "$T/st.c" || { echo "FAIL: cannot build a static program"; exit 1; }
cp "$T/static" "$T/static-noexec"
chmod 644 "$T/static-noexec"
cc -O1 -o "$T/dynamic" "$T/st.c"
cp "$T/dynamic" "$T/setuid"
chown nobody "$T/setuid"
chmod 4755 "$T/setuid"
chmod 755 "$T"
nosuid=0
findmnt -no OPTIONS --target "$T" | grep -qw nosuid && nosuid=1
cat >"$T/popen.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(void)
{
    unsetenv("LD_PRELOAD");
    FILE *f = popen("echo popen ran", "r");
    char line[64];
    while (f && fgets(line, sizeof line, f))
        fputs(line, stdout);
    return f && pclose(f) == 0 ? 0 : 1;
}
C
cc -O1 -o "$T/popen" "$T/popen.c"
cat >"$T/run.sh" <<SH
bash -c 'echo \$\$ >"$T/static.pid"; exec "$T/static"'
"$T/static-noexec" 2>/dev/null
"$T/setuid" & echo \$! >"$T/setuid.pid"; wait
"$T/dynamic"
python3 -c 'import subprocess; subprocess.run(["$T/static"])'
"$T/popen"
SH
# (under a sanitizer build, its runtime preloaded first: PT_PRELOAD_FIRST)
(cd "$T" && LD_PRELOAD=${PT_PRELOAD_FIRST:-} "$PT" record -o "$T/trace" -- bash "$T/run.sh" >"$T/out" 2>"$T/err") ||
    bad "record failed: $(cat "$T/err")"
[ "$(grep -c 'static ran' "$T/out")" = 4 ] && grep -q 'popen ran' "$T/out" ||
    bad "the programs did not all run: $(cat "$T/out" "$T/err")"
"$PT" report "$T/trace" >"$T/report" 2>&1
"$PT" report --json "$T/trace" >"$T/json" 2>/dev/null
grep -q '^  not traced: ' "$T/report" || bad "no 'not traced' line in the report: $(tail -5 "$T/report")"
python3 - "$T" "$nosuid" <<'PY' || fail=1
import json, sys
T, nosuid = sys.argv[1], sys.argv[2] == "1"
u = json.load(open(T + "/json"))["summary"]["untraced"]
lines = open(T + "/report").read()
def want(exe, why, pid=None):
    hits = [x for x in u if x["exe"] == exe and why in x["reason"] and (pid is None or x["pid"] == pid)]
    if not hits:
        print(f"FAIL: {exe} ({why}, pid {pid}) not in summary.untraced: {u}")
        return False
    x = hits[0]
    text = f"not traced: pid {x['pid'] if x['pid'] else '?'} ({exe}): {x['reason']}"
    if text not in lines:
        print(f"FAIL: report text lacks '{text}'")
        return False
    return True
ok = want(T + "/static", "statically linked", int(open(T + "/static.pid").read()))
ok &= len([x for x in u if x["exe"] == T + "/static"]) == 2 or not print("FAIL: the spawned static program is missing", u)
if not nosuid:
    ok &= want(T + "/setuid", "set-user-ID", int(open(T + "/setuid.pid").read()))
ok &= want("/bin/sh", "removed from the environment")
ok &= all(x["pid"] for x in u if x["exe"] == "/bin/sh") or not print("FAIL: popen's shell has no pid", u)
ok &= not [x for x in u if x["exe"] in (T + "/dynamic", T + "/static-noexec")] or not print("FAIL: listed wrongly", u)
sys.exit(0 if ok else 1)
PY
[ $fail -eq 0 ] && echo "ok: $(grep -c '^  not traced' "$T/report") untraced descendants named with pid and exe; controls not listed"
exit $fail
