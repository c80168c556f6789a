#!/usr/bin/env bash
# attach_refuse.sh — what `proftrace record -p` refuses, each with exit status 2 and one line
# naming the reason and what to do, the process left alone: another user's process without the
# privilege, a process already traced by another debugger, a statically linked program, a
# stopped process, one in another mount namespace that does not see the trace directory, one
# traced from its start (LD_PRELOAD), no such process. And what it supports: a process in
# another pid namespace is attached and detached. (Yama's kernel.yama.ptrace_scope is judged by
# the attach_yama unit test: this kernel may have no Yama, and tests do not change sysctls.)
source "$(dirname "$0")/attach_lib.sh"
[ "$(id -u)" -eq 0 ] || fail "needs root (another user, namespaces)"

# refuse NAME PATTERN PID [proftrace runner...]: exit 2, one line matching PATTERN
refuse() {
    local name=$1 pat=$2 pid=$3 rc=0
    shift 3
    "$@" "$PROFTRACE" record -p "$pid" -o "${RDIR:-$T/r.$name}" >"$T/$name.out" 2>"$T/$name.err" ||
        rc=$?
    [ $rc -eq 2 ] || fail "$name: exit status $rc, not 2: $(cat "$T/$name.err")"
    grep -q -- "$pat" "$T/$name.err" || fail "$name: no '$pat' in: $(cat "$T/$name.err")"
    [ -z "$(ls "${RDIR:-$T/r.$name}/rings" 2>/dev/null)" ] || fail "$name: a ring was made"
    [ ! -e /proc/$pid ] || [ "$(tracer_of $pid)" != "$$" ] || fail "$name: still traced"
    echo "refused ($name): $(head -1 "$T/$name.err")"
}
tracer_of() { sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$1/status; }

# A root process to refuse: a busy program (it must be running, untouched, afterwards).
mkfifo "$T/in" "$T/out"
"$PT_TESTS/attach_tool_busy" 2 10 "$T/c" "$NS.a" <"$T/in" >"$T/out" 2>"$T/tool.err" &
P=$!
PIDS+=($P)
exec 3>"$T/in" 4<"$T/out"
read_line 4 ready

# another user's process, without CAP_SYS_PTRACE
mkdir -m 0777 "$T/nobody"
(cd "$T/nobody" && refuse other-user "runs as uid 0 (root), proftrace as uid 65534 (nobody): attaching needs the same user or CAP_SYS_PTRACE" \
    $P setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)

# already traced by another debugger
mkfifo "$T/tin" "$T/tout"
"$PT_TESTS/attach_tool_tracer" $P <"$T/tin" >"$T/tout" &
TR=$!
PIDS+=($TR)
exec 5>"$T/tin" 6<"$T/tout"
read_line 6 tracing
refuse traced "is already traced by process $TR (attach_tool_tra): a process has one tracer at a time; detach that debugger" $P
exec 5>&- 6<&-
wait $TR
[ "$(tracer_of $P)" = 0 ] || fail "the other debugger did not let go"

# stopped (SIGSTOP is delivered asynchronously: wait until every thread is in the stop)
all_stopped() {
    local s
    for s in /proc/$1/task/*/stat; do
        [ "$(sed 's/.*) \(.\).*/\1/' "$s")" = T ] || return 1
    done
}
kill -STOP $P
n=2400
until all_stopped $P; do
    n=$((n - 1))
    [ $n -gt 0 ] || fail "process $P never stopped"
    sleep 0.05
done
refuse stopped "process $P ($PT_TESTS/attach_tool_busy) is stopped: resume it first (kill -CONT $P)" $P
kill -CONT $P

# no such process
refuse nosuch "no process 2147483646" 2147483646

# statically linked
mkfifo "$T/sin" "$T/sout"
"$PT_TESTS/attach_tool_static" <"$T/sin" >"$T/sout" &
S=$!
PIDS+=($S)
exec 7>"$T/sin" 8<"$T/sout"
read_line 8 ready
refuse static "is statically linked: it has no dynamic loader and no dlopen to load proftrace's shim with" $S
exec 7>&- 8<&-
wait $S || fail "the static program failed after the refusal"

# traced from its start
mkdir "$T/pre"
mkfifo "$T/pin" "$T/pout"
LD_PRELOAD=${PT_PRELOAD_FIRST:+$PT_PRELOAD_FIRST:}$PT_LIB/libproftrace.so PROFTRACE_DIR=$T/pre "$PT_TESTS/attach_tool_busy" 2 10 \
    "$T/cp" "$NS.p" <"$T/pin" >"$T/pout" 2>"$T/pre.err" &
PP=$!
PIDS+=($PP)
exec 5>"$T/pin" 6<"$T/pout"
read_line 6 ready
refuse preloaded "is traced from its start already (LD_PRELOAD names proftrace's shim)" $PP
echo go >&5
read_line 6 "phase B done"
exec 5>&-
cat <&6 >/dev/null
exec 6<&-
wait $PP || fail "the preloaded program failed after the refusal"

# another mount namespace, where the trace directory is another (empty) directory
mkdir -p "$T/ns/tr"
mkfifo "$T/nin" "$T/nout"
unshare --mount --propagation private sh -c 'mount -t tmpfs none "$1" && echo ready && exec cat' \
    sh "$T/ns" <"$T/nin" >"$T/nout" 2>"$T/ns.err" &
M=$!
PIDS+=($M)
exec 5>"$T/nin" 6<"$T/nout"
read_line 6 ready
# "ready" comes before the exec: the line cat echoes says the exec is done (mid-exec, the process
# has no loader mapped and would be taken for a statically linked one)
echo running >&5
read_line 6 running
want="runs in another mount namespace where $T/ns/tr is not the same directory (or is missing): its ring would not reach the collector"
# (a sanitizer build refuses cat, started without its runtime, for that first)
[ -z "${PT_PRELOAD_FIRST:-}" ] || want="was started without .*, which this sanitizer build"
RDIR=$T/ns/tr refuse mountns "$want" $M
exec 5>&- 6<&-
wait $M || fail "the program in the other mount namespace failed after the refusal"

# another pid namespace: attached, recorded, detached
mkfifo "$T/qin" "$T/qout"
unshare --pid --fork "$PT_TESTS/attach_tool_busy" 2 10 "$T/cq" "$NS.q" <"$T/qin" >"$T/qout" \
    2>"$T/pidns.err" &
U=$!
PIDS+=($U)
exec 5>"$T/qin" 6<"$T/qout"
read_line 6 ready
Q=$(pgrep -P $U)
[ -n "$Q" ] || fail "no process in the new pid namespace"
[ "$(readlink /proc/$Q/ns/pid)" != "$(readlink /proc/self/ns/pid)" ] || fail "not another pid namespace"
"$PROFTRACE" record -p $Q -o "$T/pidns" 2>"$T/pidns-rec.err" &
REC=$!
PIDS+=($REC)
wait_grep "$T/pidns-rec.err" "^proftrace: attached to $Q "
c=$(counter "$T/cq")
wait_advance "$T/cq" "$c"
kill -INT $REC
wait $REC || fail "record -p in another pid namespace exited with $?"
grep -q "^proftrace: detached from $Q " "$T/pidns-rec.err" || fail "no detach in the pid namespace"
"$PROFTRACE" events "$T/pidns" | grep "process(pid=1, .*global_pid=$Q," >/dev/null ||
    fail "the process in its pid namespace is not recorded as pid 1, global pid $Q"
echo go >&5
read_line 6 "phase B done"
exec 5>&-
cat <&6 >/dev/null
exec 6<&-
wait $U || fail "the program in the pid namespace failed"

[ "$(tracer_of $P)" = 0 ] || fail "the root process is traced after the refusals"
kill -0 $P || fail "the root process is gone"
echo go >&3
read_line 4 "phase B done"
exec 3>&-
cat <&4 >/dev/null
exec 4<&-
wait $P || fail "the refused process failed"
echo "ok: 7 refusals with exit status 2 and their reason; another pid namespace attached and detached"
