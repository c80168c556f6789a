#!/usr/bin/env bash
# analyzer_symbols.sh — symbolized stacks of real programs built here, each removing a POSIX
# shared-memory object that a traced holder still maps (a deleted-while-held finding whose stack
# of the delete is the deleter's):
#   cxx:      a C++ deleter (tests/symbols/cxx_deleter.cc): the stack shows the always-inlined
#             helper as its own inlined frame, then svc::Store::drop(char const*) at the line of
#             the inlined call, then main; no frame of proftrace; libc's start-up frame named;
#   stripped: the C deleter stripped, its debug file only in a private build-id directory given
#             by PROFTRACE_DEBUG_DIRS: file:line with it, none without it (control); the code at
#             the call site names both targets (`call shm_unlink@plt`, `call check_name`);
#   mini:     the C deleter stripped with MiniDebugInfo (.gnu_debugdata): function names, no lines;
#   debuglink: the stripped C deleter with a .gnu_debuglink, its debug file in .debug/ beside it
#             (found by name, as gdb finds it): file:line;
#   mapi:     the bug2 scenario: the stack of the purge starts in the sample library, shows
#             MAPIInitialize once (the shim's wrapper of the same name is gone), and the code at the
#             deleting call site reads `call RegDeleteTreeA@plt` in frame #1 (mapisim__purge);
#   debuginfod: the stripped trace again, its debug file served only by a local debuginfod (started
#             here in a private network namespace, so its port is loopback-only and free): file:line
#             with DEBUGINFOD_URLS set (the control above showed nothing local has it).
# PT_KEEP=1 keeps the temporary directory (traces, reports) for a look afterwards.
set -euo pipefail
src=${PT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PT_BIN:-$src/build/bin}
tests=${PT_TESTS:-$src/build/tests}
if [ "$(id -u)" -ne 0 ]; then
    echo "analyzer_symbols: needs root (proftrace record of a shared-memory holder)" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-analyzer-symbols.XXXXXX")
name=pt-symbols-$(basename "$tmp" | cut -d. -f2)
trap '[ -n "${PT_KEEP:-}" ] || rm -rf "$tmp"; rm -f /dev/shm/"$name"*' EXIT
fail=0 # failed checks so far
bad() {
    echo "FAIL $*" >&2
    fail=$((fail + 1))
}
# ok SINCE MESSAGE: "ok" when no check failed since the count SINCE
ok() { [ "$fail" -eq "$1" ] && echo "ok   $2" || true; }

# The programs, built here. Binaries in progs/, debug files elsewhere: next to a binary, libdw
# would find "NAME.debug" by name, and the build-id directory would prove nothing.
mkdir -p "$tmp/progs" "$tmp/build" "$tmp/debugroot"
${CXX:-g++} -g -O2 -o "$tmp/progs/cxx_deleter" "$src/tests/symbols/cxx_deleter.cc"
${CC:-cc} -g -O2 -Wl,--build-id -o "$tmp/build/c_deleter.full" "$src/tests/symbols/c_deleter.c"
objcopy --only-keep-debug "$tmp/build/c_deleter.full" "$tmp/build/c_deleter.debug"
objcopy --strip-all "$tmp/build/c_deleter.full" "$tmp/progs/c_deleter"
bid=$(readelf -n "$tmp/progs/c_deleter" | sed -n 's/.*Build ID: *\([0-9a-f]*\).*/\1/p')
[ -n "$bid" ] || { echo "analyzer_symbols: no build-id in c_deleter" >&2; exit 1; }
mkdir -p "$tmp/debugroot/.build-id/${bid:0:2}"
cp "$tmp/build/c_deleter.debug" "$tmp/debugroot/.build-id/${bid:0:2}/${bid:2}.debug"
# MiniDebugInfo as distributions make it: the function symbols .dynsym lacks, xz-compressed, in
# a .gnu_debugdata section of the stripped binary.
objcopy -S --remove-section=.comment --keep-symbol=drop --keep-symbol=check_name \
    --keep-symbol=main "$tmp/build/c_deleter.full" "$tmp/build/mini"
xz -z "$tmp/build/mini"
objcopy --add-section .gnu_debugdata="$tmp/build/mini.xz" "$tmp/progs/c_deleter" \
    "$tmp/progs/c_deleter_mini"
# .gnu_debuglink: the debug file named in the binary, in .debug/ beside it
mkdir -p "$tmp/linked/.debug"
cp "$tmp/build/c_deleter.debug" "$tmp/linked/.debug/"
objcopy --add-gnu-debuglink="$tmp/linked/.debug/c_deleter.debug" "$tmp/progs/c_deleter" \
    "$tmp/linked/c_deleter_linked"
if readelf -S "$tmp/progs/c_deleter" | grep -q -e '\.symtab' -e '\.debug_info'; then
    echo "analyzer_symbols: c_deleter is not stripped" >&2
    exit 1
fi

line_of() { grep -n "line:$2\b" "$src/tests/symbols/$1" | cut -d: -f1; }

cat >"$tmp/run.sh" <<'RUN'
set -euo pipefail
cd "$WORK"
mkfifo h.in h.out
"$TESTS/analyzer_holder" "/$SHM" <h.in >h.out &
h=$!
exec {hi}>h.in {ho}<h.out
IFS= read -r -t 60 line <&"$ho"
[ "$line" = holding ]
"$DELETER" "/$SHM" {hi}>&- {ho}<&-
exec {hi}>&-
cat <&"$ho"
wait "$h"
RUN

# record CASE DELETER: the deleter removes what the holder maps, traced with stacks of deletes.
record() {
    local case=$1 work=$tmp/$1 trace=$tmp/$1.trace
    mkdir -p "$work"
    if ! WORK=$work TESTS=$tests SHM=$name-$case DELETER=$2 PROFTRACE_STACKS=delete \
        "$bin/proftrace" record -o "$trace" -- bash "$tmp/run.sh" >"$tmp/$case.log" 2>&1; then
        cat "$tmp/$case.log" >&2
        bad "$case: the traced run failed"
        return 1
    fi
}

# frames CASE: the deleter's stack as "symbol|inlined|file:line|module" lines.
frames() {
    jq -r '.findings[0].deleter.stack[] |
           [(.symbol // "?"), (if .inlined then "inlined" else "-" end),
            (if .file then (.file | split("/") | last) + ":" + (.line | tostring) else "-" end),
            ((.module // "?") | split("/") | last)] | join("|")' "$1"
}

# expect CASE GOT WANT: the first lines of GOT are WANT.
expect() {
    local n
    n=$(printf '%s\n' "$3" | wc -l)
    if [ "$(printf '%s\n' "$2" | head -n "$n")" != "$3" ]; then
        bad "$1: stack"
        printf -- '--- want (first %s frames)\n%s\n--- got\n%s\n' "$n" "$3" "$2" >&2
        return 1
    fi
}

# --- cxx
f0=$fail
if record cxx "$tmp/progs/cxx_deleter"; then
    rc=0
    "$bin/proftrace" report --json "$tmp/cxx.trace" >"$tmp/cxx.json" || rc=$?
    "$bin/proftrace" report "$tmp/cxx.trace" >"$tmp/cxx.txt" || true
    [ "$rc" -eq 1 ] || bad "cxx: report exit $rc, expected 1 (a finding)"
    got=$(frames "$tmp/cxx.json")
    expect cxx "$got" "svc::remove_backing(char const*)|inlined|cxx_deleter.cc:$(line_of cxx_deleter.cc unlink)|cxx_deleter
svc::Store::drop(char const*)|-|cxx_deleter.cc:$(line_of cxx_deleter.cc inlined-call)|cxx_deleter
main|-|cxx_deleter.cc:$(line_of cxx_deleter.cc drop-call)|cxx_deleter" || true
    grep -q '|libproftrace' <<<"$got" && bad "cxx: a frame of proftrace is shown"
    grep -q '^__libc_start_call_main|-|.*|libc.so.6$' <<<"$got" ||
        bad "cxx: libc's start-up frame is not named (libc6-dbg installed?)"
    grep -q '#0  0x[0-9a-f]* svc::remove_backing(char const\*) (inlined) (cxx_deleter) .*cxx_deleter.cc:' \
        "$tmp/cxx.txt" || bad "cxx: text report has no inlined frame #0"
    grep -q '#1  0x[0-9a-f]* svc::Store::drop(char const\*)+0x[0-9a-f]* (cxx_deleter)' \
        "$tmp/cxx.txt" || bad "cxx: text report has no svc::Store::drop(char const*) frame #1"
    grep -q 'libproftrace' "$tmp/cxx.txt" && bad "cxx: text report shows proftrace's frames"
    ok "$f0" "cxx: inlined frame, demangled names, no proftrace frame"
fi

# --- stripped: the debug file only in a private build-id directory
f0=$fail
if record stripped "$tmp/progs/c_deleter"; then
    PROFTRACE_DEBUG_DIRS=$tmp/debugroot "$bin/proftrace" report --json "$tmp/stripped.trace" \
        >"$tmp/stripped.json" || true
    PROFTRACE_DEBUG_DIRS=$tmp/debugroot "$bin/proftrace" report "$tmp/stripped.trace" \
        >"$tmp/stripped.txt" || true
    expect stripped "$(frames "$tmp/stripped.json")" "drop|-|c_deleter.c:$(line_of c_deleter.c unlink)|c_deleter
main|-|c_deleter.c:$(line_of c_deleter.c drop-call)|c_deleter" || true
    sed -n '/code at the deleting call site (frame #0)/,/stack of the failure/p' \
        "$tmp/stripped.txt" >"$tmp/stripped.code"
    grep -q '=> 0x[0-9a-f]*  call *shm_unlink@plt$' "$tmp/stripped.code" ||
        bad "stripped: the deleting call is not shown as 'call shm_unlink@plt'"
    grep -q '   0x[0-9a-f]*  call *check_name$' "$tmp/stripped.code" ||
        bad "stripped: the direct call is not shown as 'call check_name'"
    # control: without the directory, nothing names the function or its line
    "$bin/proftrace" report --json "$tmp/stripped.trace" >"$tmp/stripped-nodir.json" || true
    first=$(frames "$tmp/stripped-nodir.json" | head -1)
    case $first in
    "?|-|-|c_deleter") ;;
    *) bad "stripped: symbolized without the debug directory: $first" ;;
    esac
    ok "$f0" "stripped: file:line from the build-id directory, call targets named"
    cat "$tmp/stripped.code"
fi

# --- mini: MiniDebugInfo names the functions, no lines
f0=$fail
if record mini "$tmp/progs/c_deleter_mini"; then
    "$bin/proftrace" report --json "$tmp/mini.trace" >"$tmp/mini.json" || true
    expect mini "$(frames "$tmp/mini.json")" "drop|-|-|c_deleter_mini
main|-|-|c_deleter_mini" || true
    ok "$f0" "mini: function names from .gnu_debugdata"
fi

# --- debuglink: found by its .gnu_debuglink name
f0=$fail
if record debuglink "$tmp/linked/c_deleter_linked"; then
    "$bin/proftrace" report --json "$tmp/debuglink.trace" >"$tmp/debuglink.json" || true
    expect debuglink "$(frames "$tmp/debuglink.json")" "drop|-|c_deleter.c:$(line_of c_deleter.c unlink)|c_deleter_linked
main|-|c_deleter.c:$(line_of c_deleter.c drop-call)|c_deleter_linked" || true
    ok "$f0" "debuglink: file:line from .debug/ by the .gnu_debuglink name"
fi

# --- mapi: the shim's wrappers are in the middle of this stack
f0=$fail
mkdir -p "$tmp/mapi.trace"
if MAPISIM_FIXES=none "$bin/proftrace" record -o "$tmp/mapi.trace" -- \
    bash "$src/samples/scenarios/bug2-session.sh" >"$tmp/mapi.log" 2>&1; then
    "$bin/proftrace" report --json "$tmp/mapi.trace" >"$tmp/mapi.json" || true
    "$bin/proftrace" report "$tmp/mapi.trace" >"$tmp/mapi.txt" || true
    got=$(jq -r '.findings[] | select(.deleter.api == "RegDeleteTreeA") | .deleter.stack[] |
                 [(.symbol // "?"), ((.module // "?") | split("/") | last)] | join("|")' "$tmp/mapi.json")
    want="delete_key|libwinsim.so
mapisim__purge|libmapisim.so
mapisim__sweep|libmapisim.so
MAPIInitialize|libmapisim.so
main|mapiclient"
    if [ "$(head -5 <<<"$got")" != "$want" ]; then
        bad "mapi: stack of the purge"
        printf -- '--- want (first 5 frames)\n%s\n--- got\n%s\n' "$want" "$got" >&2
    fi
    grep -q 'libproftrace' <<<"$got" && bad "mapi: a frame of proftrace is shown"
    sed -n '/code at the deleting call site/,/stack of the failure/p' "$tmp/mapi.txt" >"$tmp/mapi.code"
    grep -q '^  code at the deleting call site (frame #1):' "$tmp/mapi.code" &&
        grep -q '=> 0x[0-9a-f]*  call *RegDeleteTreeA@plt$' "$tmp/mapi.code" ||
        { bad "mapi: the call site is not frame #1 'call RegDeleteTreeA@plt'"; cat "$tmp/mapi.code" >&2; }
    ok "$f0" "mapi: no shim frame, one MAPIInitialize, call RegDeleteTreeA@plt"
else
    cat "$tmp/mapi.log" >&2
    bad "mapi: the bug2 scenario did not run"
fi

# --- debuginfod: a server of our own, reachable only from its network namespace
mkdir -p "$tmp/srv"
cp "$tmp/build/c_deleter.debug" "$tmp/srv/"
cat >"$tmp/debuginfod.sh" <<'DBGD'
set -euo pipefail
ip link set lo up
debuginfod -F -p 8002 -d "$T/debuginfod.sqlite" -t 0 -g 0 -c 1 "$T/srv" >"$T/debuginfod.log" 2>&1 &
server=$!
trap 'kill "$server"; wait "$server" 2>/dev/null || true' EXIT
# ready when it serves the file (its first scan has indexed it)
python3 - "$BID" <<'PY' || { echo "debuginfod never served the debug file" >&2; cat "$T/debuginfod.log" >&2; exit 1; }
import sys, time, urllib.request
url = "http://127.0.0.1:8002/buildid/%s/debuginfo" % sys.argv[1]
for attempt in range(600):
    try:
        urllib.request.urlopen(url, timeout=10).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(1)
PY
export DEBUGINFOD_URLS=http://127.0.0.1:8002 DEBUGINFOD_CACHE_PATH=$T/debuginfod-cache
"$BIN/proftrace" report --json "$T/stripped.trace" >"$T/debuginfod.json" || true
"$BIN/proftrace" report "$T/stripped.trace" >"$T/debuginfod.txt" || true
DBGD
f0=$fail
if [ -f "$tmp/stripped.trace/metadata" ]; then
    if T=$tmp BIN=$bin BID=$bid unshare -n bash "$tmp/debuginfod.sh"; then
        expect debuginfod "$(frames "$tmp/debuginfod.json")" "drop|-|c_deleter.c:$(line_of c_deleter.c unlink)|c_deleter
main|-|c_deleter.c:$(line_of c_deleter.c drop-call)|c_deleter" || true
        ok "$f0" "debuginfod: file:line from a local debuginfod server"
    else
        bad "debuginfod: the server or the report failed"
    fi
fi

if [ $fail -ne 0 ]; then
    for c in cxx stripped mini debuglink; do
        [ -f "$tmp/$c.trace/metadata" ] && PROFTRACE_DEBUG_DIRS=$tmp/debugroot \
            "$bin/proftrace" report "$tmp/$c.trace" >&2 || true
    done
fi
[ "$fail" -eq 0 ]
