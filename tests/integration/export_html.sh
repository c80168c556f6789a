#!/usr/bin/env bash
# export_html.sh — `proftrace export --format html` on the bug2 scenario, rendered by headless
# Chromium: takes a screenshot (kept in the build tree: tests/export_html/bug2-report.png) and
# reads the DOM after load (--dump-dom) to check that the timeline drew both processes' lanes and
# the arrow from the delete in mapiclient to the failure in eventsvc (the page's script records
# what the browser actually laid out). Also: the file is self-contained (no network reference),
# carries the finding's narrative and stacks, and `report --html` writes the same.
# Chromium missing is a FAILURE, not a skip: CI installs Debian's `chromium`.
set -euo pipefail
source "$(dirname "$0")/export_lib.sh"

chrome=
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then
        chrome=$(command -v "$c")
        break
    fi
done
if [ -z "$chrome" ]; then
    echo "FAIL export_html: chromium not found: this test renders the HTML report in headless" \
         "Chromium; install Debian's 'chromium' package (scripts/install-deps.sh)" >&2
    exit 1
fi
artifacts=${PT_TESTS:-$PT_BUILD_DIR/tests}/export_html
mkdir -p "$artifacts"

record_bug2 "$tmp/bug2"
html=$tmp/bug2-report.html
"$bin/proftrace" export --format html -o "$html" "$tmp/bug2"
cp "$html" "$artifacts/bug2-report.html"

# headless Chromium, with its own profile and nothing that goes to the network
run_chrome() {
    local profile
    profile=$(mktemp -d "$tmp/chrome-profile.XXXXXX")
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --hide-scrollbars --force-device-scale-factor=1 "$@" \
        2>>"$tmp/chrome.log"
}
rm -f "$artifacts/bug2-report.png"
run_chrome --window-size=1280,1800 --screenshot="$artifacts/bug2-report.png" "file://$html" \
    >>"$tmp/chrome.log" || { cat "$tmp/chrome.log" >&2; echo "FAIL: chromium --screenshot" >&2; exit 1; }
run_chrome --dump-dom "file://$html" >"$tmp/dom.html" ||
    { cat "$tmp/chrome.log" >&2; echo "FAIL: chromium --dump-dom" >&2; exit 1; }
cp "$tmp/dom.html" "$artifacts/bug2-report.dom.html"

python3 - "$html" "$tmp/dom.html" "$artifacts/bug2-report.png" <<'PY'
import re, struct, sys, zlib
from html.parser import HTMLParser

src_path, dom_path, png_path = sys.argv[1:4]
fails = []
def check(cond, what):
    if not cond:
        fails.append(what)
    return cond

src = open(src_path, encoding="utf-8").read()
dom = open(dom_path, encoding="utf-8").read()

# self-contained: nothing is fetched from anywhere
check(not re.search(r"<(script|img|link|iframe|object|embed)\b[^>]*\b(src|href)\s*=", src, re.I),
      "the page loads an external resource")
check(not re.search(r"@import|url\((?!#)|@font-face", src), "the style sheet references external files")
check(not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", src.replace("http://www.w3.org/2000/svg", "")),
      "the page names a network address")
check("@media print" in src, "no print style")

class Dom(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.svgs, self.lanes, self.arrows, self.titles = [], {}, [], [], 0
        self.body = {}
        self.text = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        svg = next((s for s in reversed(self.stack) if s[0] == "svg"), None)
        self.stack.append((tag, a))
        if tag == "body":
            self.body = a
        if tag == "svg" and "timeline" in a.get("class", ""):
            self.svgs[a.get("id")] = a
        if tag == "g" and "lane" in a.get("class", "").split() and svg:
            self.lanes.append((svg[1].get("id"), a))
        if tag == "path" and "arrow" in a.get("class", "").split() and svg:
            self.arrows.append((svg[1].get("id"), a))
        if tag == "title" and svg:
            self.titles += 1
    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break
    def handle_data(self, d):
        self.text.append(d)

d = Dom()
d.feed(dom)
text = "".join(d.text)
check(d.body.get("data-rendered") == "1", "the page's script did not run (no data-rendered on body)")
main = d.svgs.get("timeline")
if check(main is not None, "no timeline svg in the DOM"):
    lanes = {a.get("data-exe"): a for s, a in d.lanes if s == "timeline"}
    for exe in ("eventsvc", "mapiclient"):
        check(exe in lanes and lanes[exe].get("data-drawn") == "1",
              f"the timeline did not draw a lane for {exe}")
    check(int(main.get("data-drawn-lanes", "0")) >= 2, f"drawn lanes: {main.get('data-drawn-lanes')}")
    check(int(main.get("data-drawn-arrows", "0")) >= 1, f"drawn arrows: {main.get('data-drawn-arrows')}")
    arrows = [a for s, a in d.arrows if s == "timeline" and a.get("data-drawn") == "1"]
    if check(len(arrows) == 1, f"{len(arrows)} arrows drawn on the timeline, expected 1"):
        a = arrows[0]
        check(lanes.get("mapiclient", {}).get("data-pid") == a.get("data-from-pid") and
              lanes.get("eventsvc", {}).get("data-pid") == a.get("data-to-pid"),
              f"the arrow does not go from mapiclient to eventsvc: {a}")
close = d.svgs.get("finding-1-timeline")
if check(close is not None, "no close-up timeline for finding 1"):
    check(close.get("data-drawn-lanes") == "2" and close.get("data-drawn-arrows") == "1",
          f"finding 1's close-up drew {close.get('data-drawn-lanes')} lanes, {close.get('data-drawn-arrows')} arrows")
check(d.titles > 10, "no hover details (<title>) in the timelines")
# the finding, its narrative and its stacks
check("cross-namespace-purge" in text and "session-namespace-split" in text, "the finding is not shown")
check(re.search(r"IMAPISession_OpenMsgStore -> 0x80004005 MAPI_E_CALL_FAILED", text), "no victim in the narrative")
check("stack of the delete" in text and "MAPIInitialize" in text, "no stack of the delete")
check("remedy" in text.lower() and "Global" in text, "no remedy")

# the screenshot: a real PNG of the asked size that is not a blank page
png = open(png_path, "rb").read()
if check(png[:8] == b"\x89PNG\r\n\x1a\n", "the screenshot is not a PNG"):
    w, h, depth, ctype = struct.unpack(">IIBB", png[16:26])
    check(w == 1280 and h > 500, f"screenshot is {w}x{h}")
    pos, idat = 8, b""
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IDAT":
            idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    check(len(set(raw)) > 40, "the screenshot is (nearly) blank")

if fails:
    for f in fails:
        print("FAIL", f, file=sys.stderr)
    sys.exit(1)
print(f"ok: {len(d.lanes)} lanes, {len(d.arrows)} arrows, screenshot {png_path}")
PY

# `proftrace report --html OUT DIR` writes the same report and exits as `report` does (1: findings)
rc=0
"$bin/proftrace" report --html "$tmp/via-report.html" "$tmp/bug2" >"$tmp/report.out" 2>&1 || rc=$?
if [ "$rc" -ne 1 ] || ! grep -q 'id="finding-1-timeline"' "$tmp/via-report.html"; then
    cat "$tmp/report.out" >&2
    echo "FAIL: proftrace report --html: exit $rc (want 1: findings), or no report written" >&2
    exit 1
fi
echo "ok   export_html (screenshot: $artifacts/bug2-report.png)"
