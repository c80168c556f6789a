#!/usr/bin/env bash
# preload_close_range.sh — descriptors closed many at a time end their open-file holds: a traced
# program opens files for writing (each an open-file hold), closes some with close_range(2) and
# the rest with closefrom, and the trace has a close(fd) for every one of them; more than one
# batch of held descriptors (the shim takes them 64 at a time) is closed by each, and
# CLOSE_RANGE_CLOEXEC, which closes nothing, records nothing.
set -u
: "${PT_BIN:?}"
T=$(mktemp -d /tmp/pt-preload-close-range.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
cat >"$T/cr.c" <<'EOF_C'
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <unistd.h>
/* cr DIR N: opens 2N files of DIR for writing; close_range closes the first N (after a
 * CLOSE_RANGE_CLOEXEC over all of them, which closes none), closefrom the others. Prints the
 * first descriptor of each half and the last one. */
int main(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 0, first = -1, mid = -1, last = -1;
    char path[4096];
    for (int i = 0; i < 2 * n; i++) {
        snprintf(path, sizeof path, "%s/f%d", argv[1], i);
        int fd = open(path, O_WRONLY | O_CREAT, 0600);
        if (fd < 0)
            return 2;
        if (i == 0)
            first = fd;
        if (i == n)
            mid = fd;
        last = fd;
    }
    printf("%d %d %d\n", first, mid, last);
    fflush(stdout);
    if (close_range(first, last, CLOSE_RANGE_CLOEXEC) != 0 || fcntl(first, F_GETFD) < 0)
        return 3;
    if (close_range(first, mid - 1, 0) != 0 || fcntl(first, F_GETFD) >= 0)
        return 4;
    closefrom(mid);
    return fcntl(last, F_GETFD) >= 0 ? 5 : 0;
}
EOF_C
sed -i 's/#include <stdio.h>/#include <stdio.h>\n#include <stdlib.h>/' "$T/cr.c"
cc -O1 -o "$T/cr" "$T/cr.c" || { echo "FAIL: cannot build the test program"; exit 1; }
mkdir "$T/files"
N=100 # two batches in each half
"$PT_BIN/proftrace" record -o "$T/tr" -- "$T/cr" "$T/files" $N >"$T/out" 2>"$T/err" ||
    bad "the traced program failed (exit $?): $(cat "$T/err")"
read -r first mid last <"$T/out" || bad "the program printed nothing"
"$PT_BIN/proftrace" events "$T/tr" >"$T/events" 2>&1 || bad "proftrace events failed"
# The descriptors of the files opened, as the trace says: each must have its close.
fds=$(grep -o "open(\"$T/files/f[0-9]*\", [^)]*) = [0-9]*" "$T/events" | sed 's/.* = //')
opened=$(echo "$fds" | grep -c .)
[ "$opened" -eq $((2 * N)) ] || bad "$opened opens of the $((2 * N)) files recorded"
missing=0
for fd in $fds; do
    grep -q "\] close($fd) = 0" "$T/events" || missing=$((missing + 1))
done
[ $missing -eq 0 ] || bad "$missing of $opened descriptors closed by close_range or closefrom have no close event"
closes=$(grep -c "\] close(" "$T/events")
[ "$closes" -eq "$opened" ] ||
    bad "$closes close events for $opened held descriptors (CLOSE_RANGE_CLOEXEC closes none)"
[ $fail -eq 0 ] && echo "ok: close_range and closefrom ended all $opened holds (descriptors $first to $last), each recorded"
exit $fail
