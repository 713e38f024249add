#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Count results from meson's testlog.json and print 'N passed, N failed, N skipped'.

A TAP test contributes one result per check it printed (ok / not ok / # SKIP); a test that
skipped whole (exit 77) counts as one skip; a test that crashed or timed out without a
'not ok' line counts as one failure, so a broken test can never look green."""
import json
import re
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"
passed = failed = skipped = 0
for line in open(path):
    line = line.strip()
    if not line:
        continue
    t = json.loads(line)
    result = t.get("result", "")
    out = t.get("stdout") or t.get("stdo") or ""
    p = f = s = 0
    for l in out.splitlines():
        if re.match(r"^not ok\b", l):
            if re.search(r"#\s*TODO", l, re.I):
                continue
            f += 1
        elif re.match(r"^ok\b", l):
            if re.search(r"#\s*SKIP", l, re.I):
                s += 1
            else:
                p += 1
    if result == "SKIP":
        reason = re.search(r"1\.\.0\s*#\s*SKIP\s*(.*)", out)
        print(f"skipped: {t['name']}: {reason.group(1) if reason else 'exit 77'}")
        s = max(s, 1)
        p = 0
    elif result in ("OK", "EXPECTEDFAIL"):
        if p + s == 0:
            p = 1
    else:
        if f == 0:
            f = 1
        print(f"FAILED: {t['name']} ({result})")
    passed += p
    failed += f
    skipped += s
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
