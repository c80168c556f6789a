# witness_lib.sh — what the witness_* scripts share: the start of an end-to-end script (its
# directory, its clean-up, fail), running a command as the untraced deleter, and the handshake that
# waits until the witness watches a traced holder. Sourced first; the handshake needs PROFTRACE.

# fail MESSAGE: says why, with the recorder's stderr ($T/rec.err) when it wrote any, and exits 1.
fail() { echo "FAIL: $*" >&2; [ -s "$T/rec.err" ] && cat "$T/rec.err" >&2; exit 1; }

# witness_begin TAG: the start of a witness_e2e script: PROFTRACE; T, a new directory
# /tmp/pt-TAG-XXXXXX; rec, the recorder's pid once the script starts one. At exit the FIFOs on
# descriptors 3 and 4 are closed, the recorder is ended (continued first: the script may have
# stopped it) and waited for, then witness_cleanup runs when the script defines it, and T goes —
# those two only without KEEP in the environment (to look at what a failed run left).
witness_begin() {
    : "${PT_BIN:?set by CTest}" "${PT_TESTS:?set by CTest}"
    PROFTRACE=$PT_BIN/proftrace
    T=$(mktemp -d "/tmp/pt-$1-XXXXXX")
    rec=
    trap witness_end EXIT
}
witness_end() {
    exec 3>&- 4<&- 2>/dev/null || true
    if [ -n "$rec" ]; then
        kill -CONT "$rec" 2>/dev/null || true
        kill "$rec" 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    [ -z "${KEEP:-}" ] || return 0
    if declare -F witness_cleanup >/dev/null; then witness_cleanup || true; fi
    rm -rf "$T"
}

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
