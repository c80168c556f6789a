# witness_lib.sh — what the witness_* scripts share: running a command as the untraced deleter, and
# the handshake that waits until the witness watches a traced holder. Sourced after PROFTRACE and
# fail() are defined.

# "${UNTRACED[@]}" CMD...: CMD without the shim and outside any trace, as a deleter the witness must
# see. A command prefix, not a function, so that `$!` of `"${UNTRACED[@]}" rm ... &` is rm's pid.
UNTRACED=(env -u LD_PRELOAD -u PROFTRACE_DIR)

# witness_handshake TRACE DIR: a traced holder holds DIR (an open key or directory); create a probe
# in DIR and remove it untraced until TRACE has it witnessed, so the witness is known to watch the
# holder before the test deletes what matters. Each try waits for the reader, not for a time.
witness_handshake() {
    local trace=$1 dir=$2 probe n=0
    while :; do
        probe=$dir/probe.$RANDOM
        : >"$probe" && "${UNTRACED[@]}" rm -f "$probe"
        "$PROFTRACE" events --kind witnessed "$trace" 2>/dev/null | grep -qF "$probe" && return 0
        n=$((n + 1))
        [ $n -lt 200 ] || fail "the witness never watched the holder of $dir"
        sleep 0.1
    done
}
