"""junit_verdicts.py XML — a test suite's verdicts from its JUnit XML, one sorted
"class.name verdict" line per test (ok, failure, error or skipped), timings aside: what
suite_python.sh and bench/cpython_mp.sh compare between a run with the shim and one without
(the console's lines interleave with subprocesses' output, the XML's do not)."""
import sys
import xml.etree.ElementTree as ET

rows = []
for tc in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    verdict = "ok"
    for kind in ("failure", "error", "skipped"):
        if tc.find(kind) is not None:
            verdict = kind
    rows.append(f"{tc.get('classname')}.{tc.get('name')} {verdict}")
print("\n".join(sorted(rows)))
