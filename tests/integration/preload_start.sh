#!/usr/bin/env bash
# preload_start.sh — what a traced process pays to start, counted, never timed:
#  - the system calls a traced /bin/true makes beyond its untraced ones stay under a bound, with
#    no loop over descriptor numbers (it used to make ~1024 fcntl(F_DUPFD) and ~1050 close to
#    set libunwind up) and no validation pipe;
#  - the page faults a traced fork child and its exec add stay under a bound;
#  - signals ignored when it starts stay ignored;
#  - the inline-hook engine (capstone) and libelf, libunwind, lzma, zlib are mapped into no traced
#    process unless a hook is placed (PROFTRACE_HOOKS here): /proc/PID/maps of a traced cat.
#  Under a sanitizer build its runtime is preloaded first in both runs (PT_PRELOAD_FIRST).
set -u
: "${PT_SHIM:?}"
first=${PT_PRELOAD_FIRST:-}
pre=${first:+$first:}$PT_SHIM
T=$(mktemp -d /tmp/pt-preload-start.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
mkdir "$T/trace"
count() { # FILE SYSCALL: calls of SYSCALL in a strace -c summary (0 when absent)
    awk -v s="$2" '$NF == s {print ($4 ~ /^[0-9]+$/) ? $4 : $5; f = 1} END {if (!f) print 0}' "$1"
}
strace -f -qq -c -o "$T/plain" ${first:+-E "LD_PRELOAD=$first"} /bin/true || bad "strace of /bin/true failed"
strace -f -qq -c -o "$T/traced" -E "LD_PRELOAD=$pre" -E "PROFTRACE_DIR=$T/trace" /bin/true ||
    bad "strace of a traced /bin/true failed"
ls "$T/trace/rings/"*.ring >/dev/null 2>&1 || bad "the traced /bin/true made no ring (was it traced?)"
p=$(count "$T/plain" total)
t=$(count "$T/traced" total)
added=$((t - p))
echo "system calls: $p untraced, $t traced (+$added)"
# 113 on Debian 12 (x86-64, glibc 2.36) with the trace directory three levels deep and no
# collector (a process that takes a ring file the collector prepared makes 5 fewer): 117 before the
# pid namespace came from the one read of the namespace links (no walk of /proc/self/ns/pid of
# its own) and a short read of a small /proc file was taken as its end (no read of EOF); 2 more
# than when the 8 namespaces were stat'ed, now read as links in their directory opened once; it was 149
# before the signal dispositions and the thread count came from the /proc/self/stat read at start
# (/proc/self/status only for NSpid in a nested pid namespace) and the ring was left to the kernel
# at exit, 162 before /proc/self/stat and /proc/self/exe were read once, and ~2100 with the
# descriptor loop.
# (Not in a sanitizer build: its runtime maps memory for each size of the instrumented shim's
# allocations and loads libraries of its own, some 200 calls more; the shapes below still hold.)
if [ -n "$first" ]; then
    echo "note: the bound on added calls is not checked in a sanitizer build"
else
    [ "$added" -le 116 ] || { bad "a traced start adds $added system calls (bound 116)"; cat "$T/traced"; }
fi
# A shell's fork child that execs at once makes no start of its own (preload/fork_start.c): the
# system calls it makes before its execve, beyond the untraced child's, stay under a bound. 15 more
# on Debian 12 (x86-64, glibc 2.36): the fork handler's pid and pid-namespace link, and the
# examination of what the exec starts; 76 more when it made a ring, a process event and read its
# identity (then the exec'd image made them all again).
child_calls() { # ENV...: system calls of bash's fork child before its execve of /bin/true
    strace -f -qq -o "$T/child" env "$@" bash -c '/bin/true; :' || return 1
    local pid
    pid=$(grep 'execve("/bin/true"' "$T/child" | awk '{print $1}')
    awk -v p="$pid" '$1 == p && !/resumed>/ { n++ } $1 == p && /execve\("\/bin\/true"/ { print n; exit }' \
        "$T/child"
}
cp_=$(child_calls ${first:+"LD_PRELOAD=$first"}) || bad "strace of an untraced fork and exec failed"
ct=$(child_calls "LD_PRELOAD=$pre" "PROFTRACE_DIR=$T/trace") || bad "strace of a traced fork and exec failed"
echo "system calls of a shell's fork child before its exec: $cp_ untraced, $ct traced (+$((ct - cp_)))"
if [ -n "$first" ]; then
    echo "note: the bound on a fork child's added calls is not checked in a sanitizer build"
else
    [ $((ct - cp_)) -le 20 ] || { bad "a fork child that execs adds $((ct - cp_)) system calls (bound 20)"; cat "$T/child"; }
fi
ls "$T/trace/rings/" | grep -q "^$(grep 'execve("/bin/true"' "$T/child" | awk '{print $1}')-" ||
    bad "the exec'd /bin/true made no ring (was it traced?)"
# Page faults: a traced bash's fork child (its fork handler) and the cat it execs (the shim's start)
# stay under a bound, read from the minor-fault count of the cat's /proc/self/stat (it carries the
# fork child's over the exec). Each a first touch of a page, ~2.7 µs. The least of 5 runs each,
# so a busy machine (ctest -j) adds nothing. 76 more on Debian 12 (x86-64, glibc 2.36) since the
# fork child makes no start of its own when it execs at once (preload/fork_start.c), 87 when it
# did, 128 when the fork child cleared the holds' 72 KiB local tables it never wrote and replayed
# the module table from all 18 pages of its hashed slots, and a start wrote a page of it per module.
minflt() { # ENV...: least minor faults of bash's fork child + its cat over 5 runs
    local i n least=
    for i in 1 2 3 4 5; do
        n=$(env "$@" bash -c 'cat /proc/self/stat; :' | sed 's/.*) //' | awk '{print $8}')
        [ -z "$least" ] || [ "$n" -lt "$least" ] && least=$n
    done
    echo "$least"
}
fp=$(minflt ${first:+"LD_PRELOAD=$first"})
ft=$(minflt "LD_PRELOAD=$pre" "PROFTRACE_DIR=$T/trace")
echo "page faults of a fork child and its exec: $fp untraced, $ft traced (+$((ft - fp)))"
if [ -z "$fp" ] || [ -z "$ft" ]; then
    bad "no minor-fault count read from /proc/self/stat (untraced '$fp', traced '$ft')"
elif [ -n "$first" ]; then
    echo "note: the bound on added page faults is not checked in a sanitizer build"
else
    [ $((ft - fp)) -le 90 ] || bad "a traced fork and exec add $((ft - fp)) page faults (bound 90)"
fi
[ "$(count "$T/traced" fcntl)" -le 8 ] || bad "$(count "$T/traced" fcntl) fcntl calls: a loop over descriptor numbers?"
[ "$(count "$T/traced" close)" -le 40 ] || bad "$(count "$T/traced" close) close calls: a loop over descriptor numbers?"
[ "$(count "$T/traced" pipe2)" = 0 ] || bad "a traced start opens a pipe"
# Each /proc file the start needs is read once, however many parts of the shim want its values
# (beyond what the untraced start reads: a sanitizer runtime reads some itself).
strace -f -qq -e trace=openat,readlink -o "$T/paths" -E "LD_PRELOAD=$pre" -E "PROFTRACE_DIR=$T/trace" \
    /bin/true || bad "strace of a traced /bin/true (paths) failed"
strace -f -qq -e trace=openat,readlink -o "$T/paths.plain" ${first:+-E "LD_PRELOAD=$first"} \
    /bin/true || bad "strace of /bin/true (paths) failed"
for f in stat cmdline sessionid loginuid; do
    n=$(($(grep -c "\"/proc/self/$f\"" "$T/paths") - $(grep -c "\"/proc/self/$f\"" "$T/paths.plain")))
    [ "$n" -le 1 ] || bad "a traced start reads /proc/self/$f $n times more"
done
n=$(($(grep -c 'readlink("/proc/self/exe"' "$T/paths") - $(grep -c 'readlink("/proc/self/exe"' "$T/paths.plain")))
[ "$n" -le 1 ] || bad "a traced start reads the link /proc/self/exe $n times more"
# Namespaces: read as links in the main thread's /proc/self/ns (or a thread's /proc/thread-self/ns),
# opened once; a stat of each costs the kernel an nsfs inode built and dropped (60 µs for the 8
# here, against 24).
strace -f -qq -e trace=newfstatat,statx,stat,lstat,readlinkat,openat -o "$T/ns" -E "LD_PRELOAD=$pre" \
    -E "PROFTRACE_DIR=$T/trace" /bin/true || bad "strace of a traced /bin/true (namespaces) failed"
n=$(grep -c 'stat.*/ns/' "$T/ns")
[ "$n" = 0 ] || bad "a traced start stats $n namespace files: $(grep 'stat.*/ns/' "$T/ns" | head -3)"
n=$(grep -Ec 'openat\(.*"/proc/(thread-)?self/ns"' "$T/ns")
[ "$n" = 1 ] || bad "a traced start opens its namespace directory $n times (once: every link read in it)"
# The holds table: a start claims its owner slot from one its pid picks, so the traced processes
# alive do not each cost it a lock tried (it used to try every slot from 0: one fcntl per live
# traced process of that user, at every start).
mkdir "$T/trace2"
for i in 1 2 3 4 5 6 7 8; do
    LD_PRELOAD=$pre PROFTRACE_DIR=$T/trace2 sleep 300 &
done
sleepers=$(jobs -p)
# owner_locks PID...: how many of them hold an owner slot's lock (offset 2^40 + slot, /proc/locks)
owner_locks() {
    local p n=0
    for p in "$@"; do
        awk -v p="$p" '$5 == p && $7 >= 1099511627776 { f = 1 } END { exit !f }' /proc/locks && n=$((n + 1))
    done
    echo $n
}
deadline=$((SECONDS + 60))
until [ "$(owner_locks $sleepers)" -ge 8 ] || [ $SECONDS -ge $deadline ]; do
    sleep 0.05 # polls /proc/locks for the sleepers' slots: the outcome never depends on this length
done
[ "$(owner_locks $sleepers)" -ge 8 ] || bad "the 8 traced sleepers did not all take an owner slot"
strace -f -qq -e trace=fcntl -o "$T/claim" -E "LD_PRELOAD=$pre" -E "PROFTRACE_DIR=$T/trace2" \
    /bin/true || bad "strace of a traced /bin/true beside 8 traced sleepers failed"
kill $sleepers 2>/dev/null
wait $sleepers 2>/dev/null
n=$(grep -o 'F_SETLK, {[^}]*l_start=[0-9]*' "$T/claim" | awk -F'l_start=' '$2 >= 1099511627776' | wc -l)
[ "$n" -le 2 ] || bad "beside 8 traced processes a start tried $n owner slots: $(cat "$T/claim")"
# Dispositions the process starts with are kept: the shim takes them from /proc/self/status at
# start instead of asking each signal, and must still leave an inherited SIG_IGN alone.
out=$(trap '' USR1 TERM; LD_PRELOAD=$pre PROFTRACE_DIR=$T/trace sh -c 'kill -USR1 $$; kill -TERM $$; echo alive')
[ "$out" = alive ] || bad "a traced shell that inherited SIG_IGN for USR1 and TERM died of them"
# Mappings: none of the heavy libraries unless a hook is placed.
heavy='libcapstone|libelf|libunwind|liblzma|libz\.so|libproftrace-inline'
LD_PRELOAD=$pre PROFTRACE_DIR=$T/trace cat /proc/self/maps >"$T/maps" || bad "traced cat failed"
grep -q 'libproftrace\.so' "$T/maps" || bad "the shim is not in the traced cat's maps"
if grep -E "$heavy" "$T/maps"; then bad "a traced process without hooks maps the libraries above"; fi
LD_PRELOAD=$pre PROFTRACE_DIR=$T/trace PROFTRACE_HOOKS=libc:getpid cat /proc/self/maps \
    >"$T/maps.hooked" 2>"$T/maps.err" || bad "traced cat with PROFTRACE_HOOKS failed"
grep -q 'libproftrace-inline\.so' "$T/maps.hooked" && grep -q 'libcapstone' "$T/maps.hooked" ||
    bad "PROFTRACE_HOOKS=libc:getpid did not load the engine: $(cat "$T/maps.err")"
[ $fail -eq 0 ] && echo "ok: a traced start adds $added system calls, no descriptor loop, no engine unless hooking"
exit $fail
