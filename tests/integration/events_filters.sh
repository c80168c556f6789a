#!/usr/bin/env bash
# events_filters.sh — every filter of `proftrace events`, on real calls (tests/events/calls.c under
# `proftrace record`), each with what it must show and what it must not:
#   --name  the call's (class's) name: shmget, but not the registry call whose key is named
#           TAG-shmget-decoy;
#   --path  any string argument: that registry call, but not shmget; exactly the lines holding it;
#   --failed  the failing calls (ERROR_FILE_NOT_FOUND, ERROR_INVALID_HANDLE, EEXIST), no success;
#   --tid   the program's second thread only, or its first thread without the second's calls;
#   --since/--until  exactly the events whose printed -r time lies in the window (report's times);
#   bad values refused; and `proftrace live` with --name, --path, --failed, --tid shows the same
#   events as `proftrace events` with the same options (one filter, cmds/event_filter.c).
source "$(dirname "$0")/events_lib.sh"
record_calls
ev() { "$PROFTRACE" events "$@" "$T/t"; }
ev -r >"$T/all" || fail "events -r"
PID=$(ev --kind=process | head -n1 | sed -E 's/.*process\(pid=([0-9]+),.*/\1/')
[ -n "$PID" ] || fail "no process event"

# --name
ev --name shmget >"$T/name"
grep -qE '\] shmget\(IPC_PRIVATE' "$T/name" || fail "--name shmget: no shmget call"
! grep -vE '\] +shmget\(' "$T/name" >/dev/null || fail "--name shmget: other events: $(grep -vE '\] +shmget\(' "$T/name")"
[ "$(ev --name shm_open --count)" = "$(grep -cE '\] +shm_open\(' "$T/all")" ] || fail "--name shm_open: count"
[ "$(ev --name RegCreate --count)" -ge 2 ] || fail "--name RegCreate (a part of the name)"
[ "$(ev --name "$TAG" --count)" = 0 ] || fail "--name matched an argument"
ok "--name: the call's name, never an argument"

# --path
ev --path "$TAG-shmget-decoy" >"$T/path"
grep -qE '\] RegCreateKeyExA\(HKEY_CURRENT_USER, "Software\\\\'"$TAG"'-shmget-decoy"' "$T/path" &&
    grep -qE '\] RegDeleteKeyA\(' "$T/path" || fail "--path: the decoy key's calls: $(cat "$T/path")"
! grep -qE '\] +shmget\(' "$T/path" || fail "--path matched a call's name"
ev -r --path "$TAG-posix" >"$T/posix"
grep -F "$TAG-posix" "$T/all" | diff - "$T/posix" >&2 || fail "--path $TAG-posix: not exactly the lines holding it"
[ "$(wc -l <"$T/posix")" -ge 3 ] || fail "--path $TAG-posix: $(cat "$T/posix")"
[ "$(ev --path "$TAG-no-such-thing" --count)" = 0 ] || fail "--path matched nothing there is"
ok "--path: any string argument, exactly the lines holding it"

# --failed
ev -r --failed >"$T/failed"
grep -qF "RegOpenKeyExA(HKEY_CURRENT_USER, \"Software\\\\$TAG-missing\", KEY_QUERY_VALUE, 0) = ERROR_FILE_NOT_FOUND (2)" "$T/failed" &&
    grep -qF 'RegOpenKeyExA(HKEY_LOCAL_MACHINE, "Software", KEY_READ, 0) = ERROR_INVALID_HANDLE (6)' "$T/failed" &&
    grep -qF "shm_open(\"/$TAG-posix\", O_RDWR|O_CREAT|O_EXCL) = -1 EEXIST" "$T/failed" ||
    fail "--failed: a failure missing: $(cat "$T/failed")"
! grep -vE '= (-1 E|ERROR_|FALSE|NULL|MAPI_E_|E_)' "$T/failed" >"$T/notfailed" ||
    fail "--failed: calls that did not fail: $(cat "$T/notfailed")"
! grep -qE '\] +(shmget|shmctl|MAPILogonEx)\(' "$T/failed" || fail "--failed: a successful call"
ok "--failed: $(wc -l <"$T/failed") failed calls, no success"

# --tid
ev --tid "$TID" >"$T/tid"
grep -qE "^[^ ]+ \[$PID/$TID [^]]*\] shm_open\(\"/$TAG-thread\"" "$T/tid" || fail "--tid: the thread's shm_open: $(cat "$T/tid")"
! grep -vE "^[^ ]+ \[$PID/$TID " "$T/tid" >/dev/null || fail "--tid: another thread's events"
ev --tid "$PID" >"$T/tid0"
grep -qE '\] shmget\(' "$T/tid0" || fail "--tid of the first thread: its calls"
! grep -qF "$TAG-thread" "$T/tid0" || fail "--tid of the first thread showed the second's calls"
[ "$(ev --tid 2147483647 --count)" = 0 ] || fail "--tid of no thread"
ok "--tid: one thread's events"

# --since / --until: the times -r prints, as report prints them
t() { grep -E "\] +$1\(" "$T/all" | head -n1 | awk '{print $1}'; }
S=$(t shmget) U=$(t shmctl)
[ -n "$S" ] && [ -n "$U" ] || fail "no shmget/shmctl in events -r"
ev -r --since "$S" --until "$U" >"$T/win"
awk -v s="${S//[+s]/}" -v u="${U//[+s]/}" '{t = $1; gsub(/[+s]/, "", t); if (t + 0 >= s + 0 && t + 0 <= u + 0) print}' "$T/all" |
    diff - "$T/win" >&2 || fail "--since $S --until $U: not exactly the events of the window"
grep -qE '\] shmget\(' "$T/win" && grep -qE '\] shmctl\(' "$T/win" || fail "the window lost its ends"
! grep -qE '\] +(MAPILogonEx|unshare)\(' "$T/win" || fail "the window shows events outside it"
[ "$(ev --since "$S" --count)" = "$(awk -v s="${S//[+s]/}" '{t = $1; gsub(/[+s]/, "", t); if (t + 0 >= s + 0) n++} END {print n + 0}' "$T/all")" ] ||
    fail "--since alone"
[ "$(ev --until 0 --count)" -ge 1 ] && [ "$(ev --until 0 --count)" -lt "$(wc -l <"$T/all")" ] || fail "--until 0"
ok "--since/--until: the events of [$S, $U] exactly"

# refused values
for bad in "--since=abc" "--until=1.5x" "--tid=-3"; do
    rc=0
    "$PROFTRACE" events "$bad" "$T/t" >/dev/null 2>"$T/bad.err" || rc=$?
    [ $rc = 2 ] && grep -qE "^proftrace events: --(since|until|tid) wants" "$T/bad.err" ||
        fail "$bad: exit $rc: $(cat "$T/bad.err")"
done
ok "bad values refused, naming the option"

# live: the same filter, the same events (the time column aside)
live_same() {
    local want n=0 line fd
    ev "$@" | cut -d' ' -f2- >"$T/ev.same"
    want=$(wc -l <"$T/ev.same")
    [ "$want" -gt 0 ] || fail "events $*: nothing to compare"
    rm -f "$T/fifo" && mkfifo "$T/fifo"
    "$PROFTRACE" live "$T/t" "$@" >"$T/fifo" 2>"$T/live.err" &
    local lp=$!
    exec {fd}<"$T/fifo"
    : >"$T/live.same"
    while [ $n -lt "$want" ]; do # live prints the finished trace's matching events at once
        IFS= read -r -t 120 line <&$fd || fail "live $*: $n of $want lines: $(cat "$T/live.err")"
        echo "${line#* }" >>"$T/live.same"
        n=$((n + 1))
    done
    kill "$lp" && wait "$lp" || true
    cat <&$fd >>"$T/live.extra"
    exec {fd}<&-
    [ ! -s "$T/live.extra" ] || fail "live $*: more than events shows: $(cat "$T/live.extra")"
    diff "$T/ev.same" "$T/live.same" >&2 || fail "live $* differs from events $*"
}
live_same --name shmget
live_same --path "$TAG-shmget-decoy"
live_same --failed
live_same --tid "$TID"
ok "live: --name, --path, --failed, --tid show what events shows"
