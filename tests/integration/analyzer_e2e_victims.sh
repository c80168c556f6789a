#!/usr/bin/env bash
# analyzer_e2e_victims.sh — victims in any process and one finding per deletion, on real processes
# under `proftrace record`:
#   victims   a holder maps a POSIX shared-memory object; a clean-up script's `rm` removes it; a
#             third process's shm_open of the name then fails with ENOENT, and so does the holder's
#             own reopen: both are the finding's victims (pid, exe, call, error, delay), the third
#             first; a fourth process in another mount and IPC namespace (its own /dev/shm) fails
#             on the same name and is not one. The rm consulted nothing: no-liveness-check.
#   unlink    the holder's own clean-up (shm_unlink, still mapped, as Python's SharedMemory.unlink)
#             after the rm finds the object already gone: that failure is its victim.
#   holdersN  one object mapped by N processes (2, then 6), removed once: one finding listing all
#             N holders, each failing afterwards.
#   ipcrm     a SysV segment attached by a holder, removed by `ipcrm`; after the holder detached, a
#             new process's shmat of the id fails (EINVAL: the segment is gone): its victim.
set -euo pipefail
src=${PT_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PT_BIN:-$src/build/bin}
tests=${PT_TESTS:-$src/build/tests}
if [ "$(id -u)" -ne 0 ]; then
    echo "analyzer_e2e_victims: needs root (unshare -m, mount)" >&2
    exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pt-analyzer-victims.XXXXXX")
name=pt-analyzer-victims-$(basename "$tmp" | cut -d. -f2)
trap '[ -n "${PT_KEEP:-}" ] || rm -rf "$tmp"; rm -f /dev/shm/"$name"*' EXIT
fail=0

# The traced workload: WORK, TESTS, SHM and CASE from the environment; each process says its pid
# in WORK/<role>.pid (sh's $$ is the pid the exec'd program keeps).
cat >"$tmp/run.sh" <<'RUN'
set -euo pipefail
cd "$WORK"
holders=${CASE#holders}
opt=()
case $CASE in victims) holders=1 ;; unlink) holders=1 opt=(--unlink) ;; esac
if [ "$CASE" = ipcrm ]; then
    mkfifo h.in h.out
    "$TESTS/analyzer_holder" --sysv <h.in >h.out &
    h=$!
    echo $h >holder.pid
    exec {hi}>h.in {ho}<h.out
    IFS= read -r -t 60 line <&"$ho"
    id=${line#holding }
    ipcrm -m "$id" {hi}>&- {ho}<&-
    exec {hi}>&-
    wait "$h"
    sh -c 'echo $$ >third.pid; exec "$1" --attach "$2"' sh "$TESTS/analyzer_holder" "$id" >third.out
    exit 0
fi
pids=()
for i in $(seq 1 "$holders"); do # all started before any of their pipes is open here, so that
    mkfifo "h$i.in" "h$i.out"    # none inherits another's: each sees its own end of input
    "$TESTS/analyzer_holder" "/$SHM" "${opt[@]}" <"h$i.in" >"h$i.out" &
    pids+=($!)
    echo $! >"holder$i.pid"
done
for i in $(seq 1 "$holders"); do
    exec {fd}>"h$i.in"
    eval "hin$i=$fd"
    exec {fd}<"h$i.out"
    eval "hout$i=$fd"
    IFS= read -r -t 60 line <&"$fd"
    [ "$line" = holding ]
done
bash -c 'rm "/dev/shm/$1"' sh "$SHM" # the clean-up script
if [ "$CASE" = victims ]; then
    sh -c 'echo $$ >third.pid; exec "$1" --open "/$2"' sh "$TESTS/analyzer_holder" "$SHM" >third.out
    unshare -m --ipc sh -c 'mount -t tmpfs none /dev/shm && echo $$ >fourth.pid &&
        exec "$1" --open "/$2"' sh "$TESTS/analyzer_holder" "$SHM" >fourth.out
fi
for i in $(seq 1 "$holders"); do
    eval "exec {hin$i}>&-"
    eval "cat <&\$hout$i" >"holder$i.out"
done
wait "${pids[@]}"
RUN

# run CASE: records the workload, prints the report's JSON into $tmp/CASE.json
run() {
    local case=$1 work=$tmp/$1
    mkdir -p "$work"
    export WORK=$work TESTS=$tests SHM=$name-$case CASE=$case
    if ! "$bin/proftrace" record -o "$work/trace" -- bash "$tmp/run.sh" >"$work.log" 2>&1; then
        cat "$work.log" >&2
        echo "FAIL $case: the workload did not run" >&2
        fail=1
        return 1
    fi
    "$bin/proftrace" report --json "$work/trace" >"$tmp/$case.json" || true
    "$bin/proftrace" export --format chrome -o "$tmp/$case.chrome.json" "$work/trace" || true
    timeline "$case"
}

# timeline CASE: the Chrome export tells the report's victims: a failure instant on each victim's
# failing call (an EINVAL shmat, an "already gone" unlink are failures there too) and one arrow
# from the delete to each victim
timeline() {
    if jq -e --slurpfile r "$tmp/$1.json" '. as $e | [$r[0].findings[].victims[]] as $v
        | ([$e[] | select(.ph == "f" and .cat == "finding") | .pid] | sort) == ([$v[].pid] | sort)
        and all($v[]; . as $x | any($e[]; .ph == "i" and .cat == "failure" and .pid == $x.pid
                                      and .name == "failed: " + $x.call))' \
        "$tmp/$1.chrome.json" >/dev/null; then
        echo "ok   $1: the Chrome export shows each victim's failure and an arrow to it"
    else
        echo "FAIL $1: the Chrome export does not show the report's victims" >&2
        fail=1
    fi
}

# expect CASE DESCRIPTION JQ-EXPRESSION [--argjson NAME VALUE]...: the report satisfies it
expect() {
    local case=$1 what=$2 expr=$3
    shift 3
    if jq -e "$@" "$expr" "$tmp/$case.json" >/dev/null; then
        echo "ok   $case: $what"
    else
        echo "FAIL $case: $what" >&2
        "$bin/proftrace" report "$tmp/$case/trace" >&2 || true
        fail=1
    fi
}

if run victims; then
    w=$tmp/victims
    for p in third fourth; do
        grep -qx "open: No such file or directory" "$w/$p.out" ||
            { echo "FAIL: $p: $(cat "$w/$p.out")" >&2; fail=1; }
    done
    args=(--argjson h "$(cat "$w/holder1.pid")" --argjson t "$(cat "$w/third.pid")"
          --argjson o "$(cat "$w/fourth.pid")")
    expect victims "one finding: deleted-while-held, no-liveness-check, the rm's unlinkat" \
        '.findings | length == 1 and .[0].rule == "deleted-while-held"
         and .[0].cause == "no-liveness-check" and .[0].deleter_check == "none"
         and .[0].resource.kind == "posix-shm" and .[0].deleter.syscall == "unlinkat"
         and .[0].holder.pid == $h' "${args[@]}"
    expect victims "the third process is the first victim, with exe, call, error and delay" \
        '.findings[0].victim as $v | $v.pid == $t and ($v.exe | endswith("/analyzer_holder"))
         and $v.call == "shm_open" and $v.error == "-1 ENOENT" and $v.after_delete_s > 0
         and $v.holder == false and .findings[0].victims[0] == $v' "${args[@]}"
    expect victims "the holder's own reopen is a victim too" \
        '[.findings[0].victims[] | select(.pid == $h and .call == "shm_open" and .holder)]
         | length == 1' "${args[@]}"
    expect victims "the process of another mount and IPC namespace is no victim" \
        '[.findings[0].victims[] | .pid] | (index($o) == null) and length == 2' "${args[@]}"
fi

if run unlink; then
    w=$tmp/unlink
    grep -qx "unlink: No such file or directory" "$w/holder1.out" ||
        { echo "FAIL: unlink holder: $(cat "$w/holder1.out")" >&2; fail=1; }
    expect unlink "the holder's own \"already gone\" shm_unlink is the finding's one victim" \
        '.findings | length == 1 and .[0].cause == "no-liveness-check"
         and [.[0].victims[] | [.pid, .call, .error, .holder]]
             == [[$h, "shm_unlink", "-1 ENOENT", true]]' \
        --argjson h "$(cat "$w/holder1.pid")"
fi

for n in 2 6; do
    run holders$n || continue
    pids=$(cat "$tmp/holders$n"/holder*.pid | sort -n | paste -sd, -)
    expect holders$n "one finding listing all $n holders, each of them a victim" \
        '.findings | length == 1 and ([.[0].holders[].pid] | sort) == $p
         and ([.[0].victims[].pid] | sort) == $p and .[0].holder == .[0].holders[0]
         and all(.[0].holders[]; .liveness.alive == true)' --argjson p "[$pids]"
done

if run ipcrm; then
    w=$tmp/ipcrm
    grep -q "^attach: Invalid argument" "$w/third.out" ||
        { echo "FAIL: ipcrm third: $(cat "$w/third.out")" >&2; fail=1; }
    expect ipcrm "ipcrm: no-liveness-check, the new process's shmat its victim" \
        '.findings | length == 1 and .[0].resource.kind == "sysv-shm"
         and .[0].cause == "no-liveness-check" and .[0].deleter.syscall == "shmctl"
         and .[0].holder.pid == $h and .[0].victim.pid == $t and .[0].victim.call == "shmat"
         and .[0].victim.error == "-1 EINVAL"' \
        --argjson h "$(cat "$w/holder.pid")" --argjson t "$(cat "$w/third.pid")"
fi
exit $fail
