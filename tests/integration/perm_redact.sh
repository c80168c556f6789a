#!/usr/bin/env bash
# perm_redact.sh — what a trace may carry of a process's secrets. Registry value data is never
# recorded (name, type and size are), with or without PROFTRACE_REDACT: the secret bytes appear
# nowhere in the trace directory. With PROFTRACE_REDACT=1 command-line arguments are left out too
# (argv[0] and a count stay), also in descendants started with an environment of their own, while
# every name a finding needs (key path, value name, file names) stays.
source "$(dirname "$0")/fault_lib.sh"
export WINSIM_HIVE_ROOT=$T/hives WINSIM_NAMESPACE=ptredact_$$
mkdir -p "$WINSIM_HIVE_ROOT"
secret_val=S3cretValue-$$-$RANDOM
secret_arg=S3cretArg-$$-$RANDOM
echo "$secret_val" >"$T/secret"
reg=(sh -c 'exec "$1" TokenName <"$2"' _ "$PT_TESTS/fault_tool_reg" "$T/secret")
scan() { # scan DIR WHAT: the secret must not be in any byte of the trace
    if grep -rqa -- "$2" "$1"; then
        fail "'$2' found in $(grep -rla -- "$2" "$1" | head -3)"
    fi
}
# 1. Value data: never recorded, even without redaction.
traced_vs_plain reg "${reg[@]}"
scan "$T/reg" "$secret_val"
grep -q 'RegSetValueExA(.*"TokenName"' "$T/reg.events" || fail "value name missing"
grep -q "RegSetValueExA(.*cbData=$(( ${#secret_val} + 1 ))" "$T/reg.events" ||
    grep -q "RegSetValueExA(.*, $(( ${#secret_val} + 1 )))" "$T/reg.events" ||
    fail "value size missing: $(grep RegSetValueExA "$T/reg.events")"
ok "registry value data never recorded; name and size are"

# 2. Command lines: recorded by default, left out with PROFTRACE_REDACT=1 (also across an exec
#    with a clean environment), names kept.
work=(bash -c 'env -i /bin/sh -c "echo child; rm -f /nonexistent-ptredact/x" sh-arg-$1; echo parent' _ "$secret_arg")
traced_vs_plain plain "${work[@]}"
grep -rqa -- "$secret_arg" "$T/plain" || fail "argument not recorded without redaction (test is moot)"
export PROFTRACE_REDACT=1
traced_vs_plain red "${work[@]}"
"$PROFTRACE" record -o "$T/redreg" -- "${reg[@]}" >/dev/null 2>&1
unset PROFTRACE_REDACT
scan "$T/red" "$secret_arg"
scan "$T/red" "sh-arg-"
scan "$T/redreg" "$secret_val"
grep -q 'cmdline="bash <4 args, [0-9]* bytes redacted>"' "$T/red.events" ||
    fail "redacted cmdline: $(grep -o 'cmdline="[^"]*"' "$T/red.events" | head -3)"
grep -q 'cmdline="/bin/sh <[0-9]* args, [0-9]* bytes redacted>"' "$T/red.events" ||
    fail "child with a clean environment not redacted: $(grep -o 'cmdline="[^"]*"' "$T/red.events")"
grep -q 'unlink.*"/nonexistent-ptredact/x"' "$T/red.events" || fail "names must stay: unlink path missing"
grep -q 'RegSetValueExA(.*"TokenName"' <("$PROFTRACE" events "$T/redreg") || fail "redacted: value name missing"
ok "PROFTRACE_REDACT: arguments gone from every byte of the trace, descendants included; names kept"
