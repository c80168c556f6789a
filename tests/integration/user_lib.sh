# user_lib.sh — a real, unprivileged user made for one test run, for tests of what another user can
# do to a trace: created with useradd (unique name, no home, no login shell), removed at exit with
# its group. Processes started as it must be waited for (or killed by pid) before the script ends.
# Sourced after fault_lib.sh or with PT_CLEANUP defined; needs root.
pt_user_add() {
    local n
    PT_USER=ptu$$r$RANDOM
    # useradd takes a lock on /etc/passwd that a parallel test may hold for a moment: try again.
    for n in 1 2 3 4 5 6 7 8 9 10; do
        useradd -M -N -s /usr/sbin/nologin "$PT_USER" 2>"$T/useradd.err" && break
        grep -qi "lock" "$T/useradd.err" || { cat "$T/useradd.err" >&2; return 1; }
        sleep 0.$RANDOM
    done
    PT_UID=$(id -u "$PT_USER") || return 1
    PT_GID=$(id -g "$PT_USER")
    PT_CLEANUP+=("pt_user_del")
}
pt_user_del() {
    local n
    for n in 1 2 3 4 5 6 7 8 9 10; do
        userdel "$PT_USER" 2>"$T/userdel.err" && return 0
        grep -qi "lock" "$T/userdel.err" || { cat "$T/userdel.err" >&2; return 1; }
        sleep 0.$RANDOM
    done
}
# as_user CMD...: run CMD as that user, with its own group only.
as_user() { setpriv --reuid="$PT_UID" --regid="$PT_GID" --clear-groups "$@"; }
