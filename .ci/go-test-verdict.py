#!/usr/bin/env python3
"""Reads `go test -json` on stdin, prints the test output as `go test -v` would, and decides the verdict.

Usage: go test -json ./pkg | go-test-verdict.py [KNOWN_FAILURE ...]

A KNOWN_FAILURE is an exact test name (`TestCosts/--udp-listener`) that is expected to fail, with all its
subtests; its ancestors fail with it (Go fails a parent whose subtest fails). Exit 0 only if every other test
passed and every known failure still failed: a known failure that passes, or no longer runs, means the list
(.ci/receptor-suites, docs/node.md) is out of date. Used by .ci/receptor-suites (issue 12).
"""
import json
import sys

known = sys.argv[1:]
results = {}  # test name -> "pass" | "fail" | "skip"
other = []  # lines that are not test2json events (e.g. a build failure printed before any test ran)

for line in sys.stdin:
    try:
        ev = json.loads(line)
    except ValueError:
        sys.stdout.write(line)
        other.append(line)
        continue
    if not isinstance(ev, dict):
        sys.stdout.write(line)
        continue
    if "Output" in ev:
        sys.stdout.write(ev["Output"])
    if ev.get("Test") and ev.get("Action") in ("pass", "fail", "skip"):
        results[ev["Test"]] = ev["Action"]
    sys.stdout.flush()


def covered(name):
    """A failure that a known failure explains: the known test, one of its subtests, or one of its ancestors."""
    return any(name == k or name.startswith(k + "/") or k.startswith(name + "/") for k in known)


names = sorted(results)
leaves = [n for n in names if not any(m.startswith(n + "/") for m in names)]
count = {a: sum(1 for n in leaves if results[n] == a) for a in ("pass", "fail", "skip")}
known_leaves = [n for n in leaves if any(n == k or n.startswith(k + "/") for k in known)]
problems = []
if not results:
    problems.append("no test ran (build failure? output above)")
for n in names:
    if results[n] == "fail" and not covered(n):
        problems.append(f"FAIL {n}")
for k in known:
    r = results.get(k)
    if r == "pass":
        problems.append(f"known failure {k} now PASSES: take it off the list in .ci/receptor-suites and docs/node.md")
    elif r is None:
        problems.append(f"known failure {k} did not run (renamed?): update .ci/receptor-suites and docs/node.md")

print(
    f"go-test-verdict: {len(leaves)} tests: {count['pass']} passed, {count['fail']} failed, {count['skip']} skipped"
    + (f"; {sum(1 for n in known_leaves if results[n] == 'fail')} of the failures are the known ones ({', '.join(known)})" if known else "")
)
for p in problems:
    print(f"go-test-verdict: {p}")
sys.exit(1 if problems else 0)
