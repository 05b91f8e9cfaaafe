#!/usr/bin/env python3
"""Reads the JUnit XML of receptorctl's pytest run and decides the verdict for .ci/receptor-suites (issue 12).

Usage: pytest-verdict.py JUNIT_XML

Exit 0 when every test passed or was skipped by the suite itself (its own skip markers, the same against the real
receptor; each is printed with its reason). Any failure or error fails, a set-up error included: the suite's class
fixtures ask node1 for status once, 0.5 s after starting three nodes, and meshctl node must be up by then, as
receptor is (bench: `npm run bench -- node-startup`, "three nodes at once").
"""
import sys
import xml.etree.ElementTree as ET

path = sys.argv[1]

counts = {"passed": 0, "skipped": 0, "failed": 0}
problems = []
skips = []
for case in ET.parse(path).getroot().iter("testcase"):
    name = f"{case.get('classname')}::{case.get('name')}"
    failure = case.find("failure")
    error = case.find("error")
    skipped = case.find("skipped")
    if failure is not None:
        counts["failed"] += 1
        problems.append(f"FAIL {name}: {(failure.get('message') or '').splitlines()[0] if failure.get('message') else ''}")
    elif error is not None:
        counts["failed"] += 1
        message = error.get("message") or ""
        problems.append(f"ERROR {name}: {message.splitlines()[0] if message else ''}")
    elif skipped is not None:
        counts["skipped"] += 1
        skips.append(f"{name}: {skipped.get('message', '')}")
    else:
        counts["passed"] += 1

total = sum(counts.values())
print(
    f"pytest-verdict: {total} tests: {counts['passed']} passed, {counts['skipped']} skipped by the suite, "
    f"{counts['failed']} failed"
)
for s in skips:
    print(f"pytest-verdict: skipped by the suite: {s}")
for p in problems:
    print(f"pytest-verdict: {p}")
if counts["passed"] == 0:
    print("pytest-verdict: no test passed")
    sys.exit(1)
sys.exit(1 if problems else 0)
