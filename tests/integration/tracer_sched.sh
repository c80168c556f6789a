#!/usr/bin/env bash
# tracer_sched.sh — the collector asks the scheduler for short slices and, when allowed, nice -10
# (so that a writer filling its buffer on a busy machine gets it drained at once), and the program
# `record` starts inherits neither: it is scheduled exactly as when it runs untraced (policy,
# priority, slice).
source "$(dirname "$0")/tracer_lib.sh"
[ -r /proc/self/sched ] || fail "/proc/self/sched is needed to read scheduling (CONFIG_SCHED_DEBUG)"
# The program prints its own policy, priority and slice on one line, then its parent's (record's,
# the collector's) slice and priority.
probe='grep -E "^(policy|prio|se\.slice) " /proc/self/sched | tr -s " " | tr "\n" ";"; echo;
       grep -E "^se\.slice " /proc/$PPID/sched | tr -s " "; grep -E "^prio " /proc/$PPID/sched'
sh -c "$probe" >"$T/plain"
plain=$(sed -n 1p "$T/plain")
pt_record -o "$T/t" -- sh -c "$probe" >"$T/out" 2>"$T/err" || fail "record failed: $(cat "$T/err")"
traced=$(sed -n 1p "$T/out")
collector=$(sed -n 2p "$T/out" | awk '{ print $3 }')
collector_prio=$(sed -n 3p "$T/out" | awk '{ print $3 }')
[ -n "$plain" ] && [ "$traced" = "$plain" ] ||
    fail "the traced program is scheduled as '$traced', untraced as '$plain'"
default=$(echo "$plain" | sed -n 's/.*se\.slice : \([0-9]*\).*/\1/p')
prio=$(echo "$plain" | sed -n 's/.*prio : \([0-9]*\).*/\1/p')
# nice -10 needs CAP_SYS_NICE, and is asked for only from nice 0 (prio 120)
if [ "$(id -u)" = 0 ] && [ "$prio" = 120 ]; then
    [ "$collector_prio" = 110 ] ||
        fail "the collector runs at prio $collector_prio, not 110 (nice -10)"
else
    [ "$collector_prio" = "$prio" ] || fail "the collector runs at prio $collector_prio, not $prio"
fi
[ -n "$collector" ] && [ -n "$default" ] ||
    fail "no slice read: collector '$collector', default '$default'"
# Linux 6.12 and later honour sched_attr.sched_runtime for SCHED_OTHER: then the collector's slice
# is the shortest allowed (100 us); older kernels keep the default for it too.
major=$(uname -r | cut -d. -f1) minor=$(uname -r | cut -d. -f2)
if [ "$major" -gt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -ge 12 ]; }; then
    [ "$collector" = 100000 ] ||
        fail "the collector's slice is $collector ns, not 100000 (default $default)"
    echo "sched: collector slice $collector ns; program as untraced: $traced"
else
    [ "$collector" = "$default" ] ||
        fail "collector slice $collector on a kernel without custom slices"
    echo "sched: kernel $(uname -r) has no custom slices (collector $collector ns);" \
        "program as untraced: $traced"
fi
