#!/usr/bin/env bash
# preload_tools.sh — real programs behave identically with and without the shim (stdout, stderr,
# exit status, resulting files), and their deletions/renames are in the trace: coreutils rm/mv/cp,
# sqlite3, a shell pipeline ended by SIGPIPE, a shell killed by SIGTERM, the sample MAPI client.
set -u
SHIM=${PT_SHIM:-$PT_LIB/libproftrace.so}
[ -n "${PT_PRELOAD_FIRST:-}" ] && SHIM=$PT_PRELOAD_FIRST:$SHIM # sanitizer runtime first
DUMP=$PT_TESTS/preload_dump
work=$(mktemp -d /tmp/pt-preload-tools.XXXXXX)
trap 'rm -rf "$work"; rm -f /dev/shm/winsim.pttools$$.*' EXIT
fail=0
n=0

# run NAME CMD...: runs CMD twice in fresh copies of a scratch dir, plain and under the shim,
# and compares everything the program could show.
run() {
    local name=$1; shift
    n=$((n + 1))
    for mode in plain traced; do
        local d=$work/$name.$mode
        mkdir -p "$d/trace" "$d/files"
        (cd "$d/files" && setup_files)
        if [ $mode = traced ]; then
            (cd "$d/files" && LD_PRELOAD=$SHIM PROFTRACE_DIR=$d/trace "$@" >"$d/out" 2>"$d/err"; echo $? >"$d/rc") 2>/dev/null
        else
            (cd "$d/files" && "$@" >"$d/out" 2>"$d/err"; echo $? >"$d/rc") 2>/dev/null
        fi
        sed -i -E 's/pid [0-9]+/pid N/g' "$d/out" "$d/err" # programs that print their own pid
        (cd "$d/files" && find . -printf '%y %m %s %p\n' | sort >"$d/tree"
         for f in $(find . -type f | sort); do echo "$f $(md5sum <"$f")"; done >"$d/sums")
    done
    for part in out err rc tree sums; do
        if ! cmp -s "$work/$name.plain/$part" "$work/$name.traced/$part"; then
            echo "FAIL $name: $part differs with the shim"
            diff "$work/$name.plain/$part" "$work/$name.traced/$part" | head -10
            fail=1
        fi
    done
}

# expect NAME PATTERN: the traced run's events match PATTERN (grep -E).
expect() {
    if ! "$DUMP" "$work/$1.traced/trace" 2>&1 | grep -Eq -- "$2"; then
        echo "FAIL $1: no event matching: $2"
        "$DUMP" "$work/$1.traced/trace" 2>&1 | grep -v module | tail -20
        fail=1
    fi
}

setup_files() {
    mkdir -p tree/a/b tree/c
    echo one >tree/a/f1; echo two >tree/a/b/f2; echo three >tree/c/f3
    echo keep >keep.txt
}

run rm_r rm -rv tree
expect rm_r 'unlinkat .*pathname="f2".*pathname_ino=0x[1-9a-f]'
expect rm_r 'unlinkat .*pathname="b".*flags=0x200'
run rm_missing rm nosuchfile
expect rm_missing 'exit .*status=0x1'
run mv_dir mv -v tree/a tree/c/moved
expect mv_dir 'renameat2 .*oldpath="tree/a".*oldpath_ino=0x[1-9a-f]'
run mv_over mv keep.txt tree/a/f1
expect mv_over 'renameat2 .*newpath="tree/a/f1".*newpath_ino=0x[1-9a-f]'
run cp_r cp -r tree copy
run sqlite sqlite3 db.sqlite "create table t(a,b); insert into t values(1,'x'),(2,'y');
  begin; update t set b='z' where a=2; commit; select * from t; pragma integrity_check;"
expect sqlite 'unlink .*db.sqlite-journal'
run sqlite_err sqlite3 db.sqlite "select * from nosuchtable;"
run sigpipe sh -c 'yes | head -n 3; echo "${PIPESTATUS:-done}"'
run sigterm sh -c 'echo before; kill -TERM $$; echo after'
run sigterm_child sh -c 'sleep 5 & p=$!; sleep 0.3; kill -TERM $p; sleep 0.3; wait $p; echo "status $?"'
expect sigterm_child 'signal .*signo=0xf'
run shell_chain sh -c 'for i in 1 2 3; do echo $i >f$i; done; rm f2; mv f3 f4; env -i PATH=/usr/bin:/bin sh -c "rm f1; ls"'
expect shell_chain 'unlinkat .*pathname="f1"'
# dash execs each command from a vfork child, here with a larger environment each time: the child
# runs on its parent's stack, which the shim's exec wrapper must leave as it found it.
run dash_vfork dash -c 'A=1 rm keep.txt; A=1 B=2 C=3 D=4 rm tree/c/f3; A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 env | grep -c "^[A-H]="'
expect dash_vfork 'vfork'
if [ -x "$PT_BIN/mapiclient" ]; then
    export WINSIM_NAMESPACE=pttools$$ # each run gets its own hive below its scratch dir
    run mapiclient sh -c 'WINSIM_HIVE_ROOT=$PWD/hive exec "$0" --logon PtTools --create --delete' \
        "$PT_BIN/mapiclient"
    expect mapiclient 'IProfAdmin_DeleteProfile .*lpszProfileName="PtTools".*\[stack'
    expect mapiclient 'RegDeleteTreeA d=1 '
fi

# Internal failure (the trace directory cannot be used): exactly one line on stderr, then the
# program runs exactly as without the shim.
mkdir -p "$work/broken"
echo data >"$work/broken/f"
out=$(cd "$work/broken" && LD_PRELOAD=$SHIM PROFTRACE_DIR=$work/no/such/dir cat f 2>"$work/broken/err")
rc=$?
if [ "$out" != data ] || [ $rc != 0 ] || [ "$(grep -c '^proftrace: ' "$work/broken/err")" != 1 ] ||
    [ "$(wc -l <"$work/broken/err")" != 1 ]; then
    echo "FAIL broken trace dir: rc $rc, out '$out', stderr:"; cat "$work/broken/err"; fail=1
fi

[ $fail = 0 ] && echo "preload_tools: ok ($n programs)"
exit $fail
