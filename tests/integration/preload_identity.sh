#!/usr/bin/env bash
# preload_identity.sh — every process image records the namespaces it really has: each process
# event's ns_* equal what /proc/PID/ns/* says to the process itself, for a traced shell, for a
# process after it called unshare (its ns event), for the fork child unshare makes after that call
# (the child of a thread whose namespaces changed: it must not record its parent's old ones), which
# execs at once and so is recorded as the image it execs (exec=1, no start of its own), and for a
# fork child that records before it execs (a subshell that runs a command, then exits: exec=0).
set -u
: "${PT_BIN:?}"
T=$(mktemp -d /tmp/pt-preload-identity.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
NS="ipc mnt pid user uts net cgroup time"
# The links as "ns_ipc=N ns_mnt=N ..." (0 for a namespace this kernel lacks), as the trace says.
export NS
cat >"$T/say.sh" <<'EOF'
out=$1
for n in $NS; do
    l=$(readlink /proc/$$/ns/$n 2>/dev/null) || l="[0]"
    l=${l#*[}
    printf 'ns_%s=%s ' "$n" "${l%]}"
done >"$out"
echo $$ >"$out.pid"
echo $PPID >"$out.ppid"
EOF
inner="sh $T/say.sh $T/inner"
if [ "$(id -u)" = 0 ] && unshare -u -i true 2>/dev/null; then
    "$PT_BIN/proftrace" record -o "$T/tr" -- sh -c "sh $T/say.sh $T/outer; unshare -u -i --fork sh -c '$inner; (sh $T/say.sh $T/sub; exit 3); true'" \
        >"$T/rec.out" 2>&1 || bad "record failed: $(cat "$T/rec.out")"
else
    echo "note: unshare -u -i refused here: only the traced shell's own identity is checked"
    "$PT_BIN/proftrace" record -o "$T/tr" -- sh -c "sh $T/say.sh $T/outer" >"$T/rec.out" 2>&1 ||
        bad "record failed: $(cat "$T/rec.out")"
fi
"$PT_BIN/proftrace" events "$T/tr" >"$T/events" 2>&1 || bad "proftrace events failed"
# The namespaces each process(...) event of pid $1 recorded, one line each: "ns_ipc=N ...".
recorded() {
    grep -o "process(pid=$1, .*" "$T/events" | grep -o 'ns_[a-z]*=[0-9]*' | paste -sd' ' |
        sed 's/ \(ns_ipc=\)/\n\1/g'
}
check() { # WHO FILE: every process event of the pid in FILE.pid has the namespaces in FILE
    local want pid n=0
    want=$(sed 's/ $//' "$2")
    pid=$(cat "$2.pid")
    while read -r got; do
        n=$((n + 1))
        [ "$got" = "$want" ] || bad "$1 (pid $pid) recorded $got; /proc said $want"
    done < <(recorded "$pid")
    [ $n -gt 0 ] || bad "no process event for $1 (pid $pid)"
    echo "$1: $n process event(s) of pid $pid with the namespaces /proc gave"
}
check "the traced shell" "$T/outer"
if [ -f "$T/inner" ]; then
    # The fork child unshare made after its call execs at once: one event, its exec'd image's.
    pid=$(cat "$T/inner.ppid")
    check "unshare's fork child" "$T/inner"
    [ "$(grep -c "process(pid=$pid, " "$T/events")" = 1 ] ||
        bad "unshare's fork child (pid $pid) made a start of its own: $(grep "process(pid=$pid, " "$T/events")"
    grep "process(pid=$pid, " "$T/events" | grep -q " exec=1, " ||
        bad "unshare's fork child's image does not say it was exec'd"
    # The subshell records (its exit) before anything else: its own start, in its namespaces.
    pid=$(cat "$T/sub.ppid")
    grep "process(pid=$pid, " "$T/events" | grep -q " exec=0, " ||
        bad "the subshell (pid $pid) has no start of its own: $(grep "process(pid=$pid, " "$T/events")"
    cp "$T/inner" "$T/subshell"
    echo "$pid" >"$T/subshell.pid"
    check "the subshell in the new namespaces" "$T/subshell"
    grep -q "\[$pid [a-z]*\] exit(status=3)" "$T/events" || bad "the subshell's exit is not recorded"
    [ "$(sed 's/ $//' "$T/outer")" != "$(sed 's/ $//' "$T/inner")" ] ||
        bad "unshare -u -i did not change the namespaces: the check above proves nothing"
    # unshare itself: its ns event after the call has the inner namespaces.
    grep -q "unshare(CLONE_NEWUTS|CLONE_NEWIPC) = 0" "$T/events" || bad "unshare's call not recorded"
    grep "ns(ns_ipc=" "$T/events" | grep -q "ns_ipc=$(sed 's/.*ns_ipc=\([0-9]*\).*/\1/' "$T/inner")" ||
        bad "no ns event with the new IPC namespace"
fi
[ $fail -eq 0 ] && echo "ok: every image recorded the namespaces it had"
exit $fail
