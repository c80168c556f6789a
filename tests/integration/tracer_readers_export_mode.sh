#!/usr/bin/env bash
# tracer_readers_export_mode.sh — an export holds what the trace holds, so it is readable by whom
# the trace is, whatever the umask: a private (0700) trace exported under umask 022 gives a 0600
# file (html, chrome, report --html), a trace others may read (0755) a 0644 one, and a stale
# OUT.tmp (a symbolic link planted there) is replaced, never followed.
source "$(dirname "$0")/tracer_lib.sh"

pt_record -o "$T/tr" -- /bin/true >/dev/null 2>&1 || fail "record /bin/true"
chmod 0700 "$T/tr"
umask 022
mode() { stat -c %a "$1"; }
"$PROFTRACE" export --format html -o "$T/out.html" "$T/tr" || fail "export html"
[ "$(mode "$T/out.html")" = 600 ] || fail "export html of a 0700 trace is $(mode "$T/out.html")"
"$PROFTRACE" export --format chrome -o "$T/out.json" "$T/tr" || fail "export chrome"
[ "$(mode "$T/out.json")" = 600 ] || fail "export chrome of a 0700 trace is $(mode "$T/out.json")"
"$PROFTRACE" report --html "$T/rep.html" "$T/tr" >/dev/null || [ $? = 1 ] || fail "report --html"
[ "$(mode "$T/rep.html")" = 600 ] || fail "report --html of a 0700 trace is $(mode "$T/rep.html")"
echo "ok   0700 trace, umask 022: exports are 0600"

# an export that died left OUT.tmp; here someone made it a link to a file of theirs
echo keep >"$T/victim"
chmod 0644 "$T/victim"
ln -s "$T/victim" "$T/again.html.tmp"
"$PROFTRACE" export --format html -o "$T/again.html" "$T/tr" || fail "export over a stale OUT.tmp"
[ "$(cat "$T/victim")" = keep ] || fail "the planted link was followed"
[ "$(mode "$T/again.html")" = 600 ] || fail "export over a stale OUT.tmp is $(mode "$T/again.html")"
echo "ok   a stale OUT.tmp link is replaced, not followed"

chmod 0755 "$T/tr"
"$PROFTRACE" export --format html -o "$T/open.html" "$T/tr" || fail "export html"
[ "$(mode "$T/open.html")" = 644 ] || fail "export of a 0755 trace is $(mode "$T/open.html")"
umask 077
"$PROFTRACE" export --format html -o "$T/umask.html" "$T/tr" || fail "export html"
[ "$(mode "$T/umask.html")" = 600 ] || fail "export under umask 077 is $(mode "$T/umask.html")"
echo "ok   a 0755 trace gives 0644, and never more than the umask"
echo "PASS"
