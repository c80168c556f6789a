#!/usr/bin/env bash
# pkg_deb.sh — `cpack -G DEB` makes a Debian package of the installed tree: its contents (the
# executable, the shim in lib/proftrace/, every manual page, completion, gdb's auto-load script,
# the docs, the demo, the systemd unit and drop-in), nothing pointing into the build tree, and Depends: computed by
# dpkg-shlibdeps from what its programs link with. As root (CI), it installs the package with
# apt-get (waiting for the dpkg lock), runs the installed `proftrace --version` and the demo from
# the installed paths, sees gdb load the proftrace commands by itself in a process with the shim,
# reads a page with man, then removes the package. The build tree's tests are unaffected
# meanwhile: build/bin/proftrace finds its own shim.
source "$(dirname "$0")/pkg_lib.sh"
command -v dpkg-shlibdeps >/dev/null || fail "dpkg-shlibdeps missing: install dpkg-dev (scripts/install-deps.sh)"
(cd "$T" && cpack -G DEB --config "$PT_BUILD/CPackConfig.cmake" -B "$T/pkg") >"$T/cpack.log" 2>&1 ||
    fail "cpack: $(tail -20 "$T/cpack.log")"
debs=("$T"/pkg/*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || fail "cpack made ${#debs[@]} packages: $(ls "$T/pkg")"
deb=${debs[0]}
version=$("$PROFTRACE" --version | sed -n 's/^proftrace \([0-9.]*\).*/\1/p')
[ "$(dpkg-deb -f "$deb" Package)" = proftrace ] && [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] &&
    [ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] ||
    fail "control: $(dpkg-deb -f "$deb")"
depends=$(dpkg-deb -f "$deb" Depends)
# Every library a program of the package needs and the package does not ship must be in Depends:,
# as the package of the system that has it (dpkg -S).
dpkg-deb -x "$deb" "$T/x"
needed=$(find "$T/x" -type f -exec sh -c 'readelf -h "$1" >/dev/null 2>&1 && readelf -d "$1"' _ {} \; |
         sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u)
[ -n "$needed" ] || fail "no ELF file with NEEDED entries in the package"
for lib in $needed; do
    [ -n "$(find "$T/x" -name "$lib")" ] && continue # shipped (the demo's libraries)
    path=$(ldconfig -p | awk -v l="$lib" '!p && $1 == l && /x86-64/ {print $NF; p = 1}') # reads it all: no SIGPIPE
    [ -n "$path" ] || fail "$lib, needed by the package, is not on this system"
    pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "$path")
    pkg=${pkg%%:*}
    [[ ", $depends," == *", $pkg "* || ", $depends," == *", $pkg,"* ]] ||
        fail "Depends: lacks $pkg (for $lib): $depends"
done
ok "$(basename "$deb"): Depends: $depends"

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' >"$T/contents"
man_pages=$(pt_commands "$PROFTRACE" | sed 's|.*|/usr/share/man/man1/proftrace-&.1.gz|')
for f in /usr/bin/proftrace /usr/lib/proftrace/libproftrace.so /usr/share/man/man1/proftrace.1.gz \
         $man_pages /usr/share/bash-completion/completions/proftrace \
         /usr/share/zsh/vendor-completions/_proftrace /usr/share/proftrace/gdb/proftrace.py \
         /usr/share/gdb/auto-load/usr/lib/proftrace/libproftrace.so-gdb.py \
         /usr/share/doc/proftrace/README.md /usr/share/doc/proftrace/case.md \
         /usr/share/doc/proftrace/report-json.md /usr/share/doc/proftrace/install.md \
         /usr/lib/proftrace/demo/bin/eventsvc /usr/lib/proftrace/demo/bin/mapiclient \
         /usr/lib/proftrace/demo/lib/libmapisim.so /usr/lib/proftrace/demo/lib/libwinsim.so \
         /usr/lib/proftrace/demo/scenarios/bug2-session.sh /usr/lib/proftrace/demo/scenarios/lib.sh \
         /usr/lib/systemd/system/proftrace-collect.service \
         /usr/share/proftrace/systemd/proftrace-trace.conf /usr/share/doc/proftrace/service.md; do
    grep -qx -- "$f" "$T/contents" || fail "not in the package: $f"
done
! grep -v '^/usr/' "$T/contents" | grep -v '^/$' >/dev/null || fail "outside /usr: $(grep -v '^/usr/' "$T/contents")"
! grep -rlF "$PT_BUILD" "$T/x" --include='*.py' --include='*.sh' || fail "a script names the build tree"
for f in usr/bin/proftrace usr/lib/proftrace/libproftrace.so; do
    ! readelf -d "$T/x/$f" | grep -E 'RPATH|RUNPATH' >/dev/null || fail "$f has a run path: $(readelf -d "$T/x/$f" | grep PATH)"
done
readelf -d "$T/x/usr/lib/proftrace/demo/bin/eventsvc" | grep 'R.*PATH.*\[\$ORIGIN/../lib\]' >/dev/null ||
    fail "the demo's programs do not find their libraries: $(readelf -d "$T/x/usr/lib/proftrace/demo/bin/eventsvc" | grep PATH)"
grep -q "source /usr/share/proftrace/gdb/proftrace.py" "$T/x/usr/share/gdb/auto-load/usr/lib/proftrace/libproftrace.so-gdb.py" ||
    fail "gdb's auto-load script: $(cat "$T/x/usr/share/gdb/auto-load/usr/lib/proftrace/libproftrace.so-gdb.py")"
for f in lib/systemd/system/proftrace-collect.service share/proftrace/systemd/proftrace-trace.conf; do
    cmp -s "$T/x/usr/$f" "$PT_SRC/packaging/systemd/$(basename "$f")" || fail "/usr/$f is not the repository's"
done
ok "contents: $(wc -l <"$T/contents") paths under /usr, none naming the build tree"

if [ "$(id -u)" -ne 0 ]; then
    echo "pkg_deb: not root: the package is built and checked, not installed"
    exit 0
fi
# One system-wide installation at a time, whichever build tree runs this test.
exec {lock}>/var/lock/proftrace-pkg-deb.lock
flock -w 900 "$lock" || fail "another pkg_deb held /var/lock/proftrace-pkg-deb.lock for 15 minutes"
if [ "$(dpkg-query -W -f='${Status}' proftrace 2>/dev/null || true)" = "install ok installed" ]; then
    fail "a proftrace package is installed already: this test does not replace what it did not install"
fi
apt=(apt-get -q -y -o DPkg::Lock::Timeout=600)
PT_CLEANUP+=("${apt[*]} purge proftrace >/dev/null 2>&1")
DEBIAN_FRONTEND=noninteractive "${apt[@]}" install "$deb" >"$T/apt.log" 2>&1 || fail "apt-get install: $(tail -5 "$T/apt.log")"
[ "$(/usr/bin/proftrace --version)" = "$("$PROFTRACE" --version)" ] || fail "installed --version: $(/usr/bin/proftrace --version)"
mkdir "$T/run" && cd "$T/run"
rc=0
/usr/bin/proftrace record -- /usr/lib/proftrace/demo/scenarios/bug2-session.sh >"$T/demo.out" 2>"$T/demo.err" || rc=$?
[ $rc = 0 ] && grep -q "scenario: service FAILED (MAPI_E_CALL_FAILED)" "$T/demo.out" ||
    fail "demo: exit $rc: $(tail -5 "$T/demo.err")"
rc=0; /usr/bin/proftrace report >"$T/demo.rep" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "^finding 1: cross-namespace-purge  severity critical  cause session-namespace-split" "$T/demo.rep" &&
    grep -q "(/usr/lib/proftrace/demo/bin/mapiclient\|(mapiclient)" "$T/demo.rep" || fail "demo report: exit $rc: $(head -5 "$T/demo.rep")"
ok "installed: proftrace --version, the demo from /usr/lib/proftrace/demo, reported (exit 1, its finding)"
gdb -nx -batch -ex "set environment LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}/usr/lib/proftrace/libproftrace.so" -ex 'break main' -ex run \
    -ex 'info auto-load python-scripts' -ex 'help proftrace-holds' -ex kill \
    /usr/lib/proftrace/demo/bin/mapiclient >"$T/gdb.out" 2>&1 || true
grep -q "Yes .*/usr/share/gdb/auto-load/usr/lib/proftrace/libproftrace.so-gdb.py" "$T/gdb.out" &&
    grep -q "^proftrace-holds NAME: current holds of a resource" "$T/gdb.out" ||
    fail "gdb did not load the proftrace commands by itself: $(tail -15 "$T/gdb.out")"
[ "$(man -w proftrace-record)" = /usr/share/man/man1/proftrace-record.1.gz ] || fail "man -w proftrace-record: $(man -w proftrace-record 2>&1)"
if command -v systemd-analyze >/dev/null; then # the unit as installed, its man: page found
    systemd-analyze verify /usr/lib/systemd/system/proftrace-collect.service >"$T/verify.out" 2>&1 &&
        [ ! -s "$T/verify.out" ] || fail "systemd-analyze verify the installed unit: $(cat "$T/verify.out")"
fi
DEBIAN_FRONTEND=noninteractive "${apt[@]}" purge proftrace >"$T/purge.log" 2>&1 || fail "apt-get purge: $(tail -5 "$T/purge.log")"
[ ! -e /usr/bin/proftrace ] && [ ! -e /usr/lib/proftrace ] || fail "files left after purge"
ok "gdb loads the commands in a process with the shim, man finds the pages; the package removed cleanly"
