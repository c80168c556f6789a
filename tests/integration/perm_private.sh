#!/usr/bin/env bash
# perm_private.sh — traces are private to the user who records them: directories 0700, files 0600;
# nobody can neither read another user's trace nor inject events into it (writing a ring, or
# running a traced program into it); PROFTRACE_GROUP opens reading to one group;
# PROFTRACE_ALLOW_UIDS lets named users write rings, which the collector and readers otherwise
# refuse; symbolic links planted in a trace are never followed.
source "$(dirname "$0")/fault_lib.sh"
chmod 0755 "$T" # only the trace's own modes stand between nobody and the trace
mkdir -m 0777 "$T/scratch"
prog=(bash -c 'echo start; echo x >"$1/f.$$"; rm "$1/f.$$"; echo end' _ "$T/scratch")
"${prog[@]}" >"$T/plain.out" 2>"$T/plain.err"

# 1. Default modes.
"$PROFTRACE" record -o "$T/tr" -- "${prog[@]}" >"$T/tr.out" 2>"$T/tr.err"
cmp -s "$T/plain.out" "$T/tr.out" || fail "output differs under record"
[ "$(stat -c %a "$T/tr")" = 700 ] || fail "trace dir mode $(stat -c %a "$T/tr"), want 700"
[ "$(stat -c %a "$T/tr/rings")" = 700 ] || fail "rings/ mode $(stat -c %a "$T/tr/rings")"
loose=$(find "$T/tr" -type f ! -perm 0600)
[ -z "$loose" ] || fail "files not 0600: $loose"
nfiles=$(find "$T/tr" -type f | wc -l)
n0=$(count_events "$T/tr")
[ "$(count_events "$T/tr" unlink)" -ge 1 ] || fail "the traced rm's unlink is missing"
ok "trace private: dir and rings/ 0700, $nfiles files 0600, $n0 events"

# 2. nobody cannot read it: not list, not open the metadata or a stream, not through proftrace.
as_nobody ls "$T/tr" >/dev/null 2>&1 && fail "nobody listed the trace"
as_nobody cat "$T/tr/metadata" >/dev/null 2>&1 && fail "nobody read the metadata"
s=$(find "$T/tr" -maxdepth 1 -type f -name '*_*' | head -1)
as_nobody cat "$s" >/dev/null 2>&1 && fail "nobody read a stream file"
out=$(as_nobody "$PROFTRACE" events "$T/tr" 2>/dev/null || true)
[ -z "$out" ] || fail "nobody read events through proftrace: $out"
ok "nobody cannot list, read or decode the trace"

# 3. nobody cannot inject: no file in rings/, and a traced program run as nobody into this trace
#    is left untraced (one stderr line) and runs exactly as without the shim.
as_nobody touch "$T/tr/rings/1-1-0000000000001000.ring" 2>/dev/null && fail "nobody created a ring"
as_nobody env PROFTRACE_DIR="$T/tr" LD_PRELOAD="$SHIM" "${prog[@]}" >"$T/inj.out" 2>"$T/inj.err"
cmp -s "$T/plain.out" "$T/inj.out" || fail "nobody's traced program printed something else"
grep -q "^proftrace: .*tracing off, the program continues" "$T/inj.err" ||
    fail "no one-line notice: $(cat "$T/inj.err")"
[ "$(grep -c . "$T/inj.err")" -le 2 ] || fail "more than one notice per process: $(cat "$T/inj.err")"
[ "$(find "$T/tr" -type f | wc -l)" = "$nfiles" ] || fail "a file appeared in the trace"
[ "$(count_events "$T/tr")" = "$n0" ] || fail "event count changed after nobody's attempt"
ok "nobody cannot inject: no ring created, program unchanged, notice on stderr"

# 4. PROFTRACE_GROUP: the group (here nogroup, nobody's own) may read; files inherit the group.
PROFTRACE_GROUP=65534 "$PROFTRACE" record -o "$T/grp" -- "${prog[@]}" >/dev/null 2>&1
[ "$(stat -c %a "$T/grp")" = 2750 ] || fail "group trace dir mode $(stat -c %a "$T/grp")"
[ "$(stat -c %g "$T/grp/metadata")" = 65534 ] || fail "metadata not in the group"
[ "$(stat -c %a "$T/grp/metadata")" = 640 ] || fail "group metadata mode"
ng=$(as_nobody "$PROFTRACE" events "$T/grp" 2>/dev/null | wc -l)
[ "$ng" -gt 0 ] || fail "the group cannot read a PROFTRACE_GROUP trace"
as_nobody touch "$T/grp/x" 2>/dev/null && fail "the group may write the trace"
ok "PROFTRACE_GROUP: the group reads ($ng events) but cannot write"

# 5. PROFTRACE_ALLOW_UIDS: nobody's traced program may write a ring (rings/ 1733, unlistable), and
#    only a reader or collector that also allows nobody takes it.
PROFTRACE_ALLOW_UIDS=nobody "$PROFTRACE" record -o "$T/open" -- true >/dev/null 2>&1
[ "$(stat -c %a "$T/open")" = 701 ] || fail "allow-others trace dir mode $(stat -c %a "$T/open")"
[ "$(stat -c %a "$T/open/rings")" = 1733 ] || fail "allow-others rings/ mode"
as_nobody ls "$T/open/rings" >/dev/null 2>&1 && fail "nobody can list rings/"
as_nobody env PROFTRACE_DIR="$T/open" LD_PRELOAD="$SHIM" "${prog[@]}" >"$T/open.out" 2>"$T/open.err"
cmp -s "$T/plain.out" "$T/open.out" || fail "output differs"
[ ! -s "$T/open.err" ] || fail "stderr: $(cat "$T/open.err")"
ring=$(find "$T/open/rings" -name '*.ring' -user 65534 | head -1)
[ -n "$ring" ] || fail "nobody's ring was not created"
[ "$(stat -c %a "$ring")" = 600 ] || fail "nobody's ring mode $(stat -c %a "$ring")"
"$PROFTRACE" events "$T/open" >"$T/refused.out" 2>"$T/refused.err" || true
grep -q "refused" "$T/refused.err" || fail "reader did not refuse nobody's ring: $(cat "$T/refused.err")"
grep -q "uid=65534" "$T/refused.out" && fail "reader took nobody's events"
PROFTRACE_ALLOW_UIDS=65534 "$PROFTRACE" events "$T/open" >"$T/allowed.out" 2>/dev/null || true
grep -q "uid=65534" "$T/allowed.out" || fail "allowed reader lost nobody's events"
grep -q "unlink" "$T/allowed.out" || fail "allowed reader: nobody's unlink missing"
# The collector: refuses without the setting (one message), drains with it.
timeout -s INT 3 "$PROFTRACE" collect -o "$T/open" >/dev/null 2>"$T/col.err" || true
grep -q "refused" "$T/col.err" || fail "collector did not refuse: $(cat "$T/col.err")"
[ -f "$ring" ] || fail "refused ring was removed"
PROFTRACE_ALLOW_UIDS=nobody timeout -s INT 3 "$PROFTRACE" collect -o "$T/open" >/dev/null \
    2>"$T/col2.err" || true
grep -q "refused" "$T/col2.err" && fail "allowed collector refused: $(cat "$T/col2.err")"
ok "PROFTRACE_ALLOW_UIDS: other users' rings refused by default, taken when allowed"

# 6. Links are never followed: a planted ring link, a planted stream link.
ln -s /etc/passwd "$T/tr/rings/2-2-0000000000002000.ring"
mkfifo "$T/tr/fifo_0"
ln -s /etc/shadow "$T/tr/shadow_0"
timeout 30 "$PROFTRACE" events "$T/tr" >"$T/links.out" 2>"$T/links.err" || true
[ "$(wc -l <"$T/links.out")" = "$n0" ] || fail "planted links changed the events"
grep -q "root:" "$T/links.out" "$T/links.err" && fail "a planted link was followed"
ok "planted symbolic links and a FIFO are refused, the $n0 events still read"
# 7. A link planted by another user where the shim creates its holds table (rings/.holds.0, in a
#    trace that lets others write rings) is not followed: the file it names keeps its mode and its
#    bytes.
mkdir -m 0701 "$T/open2"
mkdir -m 1733 "$T/open2/rings"
echo "root's secret" >"$T/victim"
chmod 0600 "$T/victim"
as_nobody ln -s "$T/victim" "$T/open2/rings/.holds.0"
PROFTRACE_DIR=$T/open2 LD_PRELOAD=$SHIM "${prog[@]}" >"$T/holds.out" 2>"$T/holds.err"
cmp -s "$T/plain.out" "$T/holds.out" || fail "planted .holds: output differs"
[ "$(stat -c %a "$T/victim")" = 600 ] || fail "planted .holds link followed: victim now $(stat -c %a "$T/victim")"
[ "$(cat "$T/victim")" = "root's secret" ] || fail "planted .holds link followed: victim rewritten"
ok "a .holds link planted by nobody is not followed"
echo "perm_private: ok"
