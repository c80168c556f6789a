#!/usr/bin/env bash
# preload_identity.sh — every process image records the namespaces it really has: each process
# event's ns_* equal what /proc/PID/ns/* says to the process itself, for a traced shell, for a
# process after it called unshare (its ns event), and for the fork child unshare makes after that
# call (the child of a thread whose namespaces changed: it must not record its parent's old ones)
# and the image that child execs.
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
EOF
inner="sh $T/say.sh $T/inner"
if [ "$(id -u)" = 0 ] && unshare -u -i true 2>/dev/null; then
    "$PT_BIN/proftrace" record -o "$T/tr" -- sh -c "sh $T/say.sh $T/outer; unshare -u -i --fork $inner" \
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
    # The fork child unshare made after its call, and the image it exec'd: same pid, two events.
    check "unshare's fork child" "$T/inner"
    [ "$(recorded "$(cat "$T/inner.pid")" | wc -l)" -ge 2 ] ||
        bad "unshare's fork child and its exec did not both record a process event"
    [ "$(sed 's/ $//' "$T/outer")" != "$(sed 's/ $//' "$T/inner")" ] ||
        bad "unshare -u -i did not change the namespaces: the check above proves nothing"
    # unshare itself: its ns event after the call has the inner namespaces.
    grep -q "unshare(CLONE_NEWUTS|CLONE_NEWIPC) = 0" "$T/events" || bad "unshare's call not recorded"
    grep "ns(ns_ipc=" "$T/events" | grep -q "ns_ipc=$(sed 's/.*ns_ipc=\([0-9]*\).*/\1/' "$T/inner")" ||
        bad "no ns event with the new IPC namespace"
fi
[ $fail -eq 0 ] && echo "ok: every image recorded the namespaces it had"
exit $fail
