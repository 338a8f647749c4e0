#!/usr/bin/env python3
"""Fails when a test waits for something without a deadline of its own (issue 31).

Every integration and e2e test bounds its own waits: on a timeout it fails saying what it waited
for, long before ctest's TIMEOUT. This check keeps it so by refusing the known unbounded
patterns in tests/ (tests/bench excluded: benchmarks are run by hand):

  C++   .wait()                    a future, shared_future or latch without a timeout
        .wait(lock ...)            a condition variable without wait_for / wait_until
        .join()                    a thread join (use testsupport::joinWithin or a Deadline)
        waitpid(..., 0)            a blocking waitpid
        .get()                     in a file that uses futures: a future's get (use
                                   testsupport::getWithin)
  node  test(...) / it(...)        without a `timeout` option on the line of the call
        before/after(...)          hooks without a `timeout` option at the end of the call
        timeout: 0                 Playwright's "wait forever"
        new Promise(...)           with no timer in it (setTimeout, a `timeout` option), unless
                                   wrapped in within(...)

A line is accepted when it, or one of the three lines above it, holds `// bounded: <why>` or
declares a testsupport Deadline (the wait runs under it). It is a line-based check: it catches
the patterns above, not every wait; review still matters.

Usage: check-test-waits.py [REPO_ROOT]
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
TESTS = ROOT / "tests"
EXCLUDED = [TESTS / "bench"]
LOOKBACK = 3

CPP_RULES = [
    (re.compile(r"\.wait\(\s*\)"), "wait() without a timeout (use getWithin, wait_for or a Deadline)"),
    (re.compile(r"\.wait\(\s*(std::)?\w*(lock|lk)\w*\s*[,)]"),
     "condition variable wait without wait_for / wait_until"),
    (re.compile(r"\.join\(\s*\)"), "thread join without a deadline (use testsupport::joinWithin)"),
    (re.compile(r"\bwaitpid\([^;]*,\s*0\s*\)"), "blocking waitpid (poll with WNOHANG or use a Deadline)"),
]
FUTURE_FILE = re.compile(r"std::(shared_)?future|std::async|std::promise|get_future")
FUTURE_GET = re.compile(r"\.get\(\s*\)")
JS_HOOK = re.compile(r"^\s*(before|after|beforeEach|afterEach)\(")
JS_TEST = re.compile(r"^\s*(test|it)\(")
JS_ZERO_TIMEOUT = re.compile(r"\btimeout:\s*0\b")
JS_PROMISE = re.compile(r"new Promise\(")
JS_TIMER = re.compile(r"setTimeout|\btimeout\b")


def excluded(path):
    return any(parent == path or parent in path.parents for parent in EXCLUDED)


def allowed(lines, i):
    for line in lines[max(0, i - LOOKBACK): i + 1]:
        if "// bounded:" in line or re.search(r"\bDeadline\s+\w+\(", line):
            return True
    return False


def call_end(text, start):
    """Index just past the parenthesis closing the call whose '(' is at or after `start`."""
    depth = 0
    i = text.index("(", start)
    quote = None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\":
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"`":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def check_cpp(path, lines, problems):
    uses_futures = any(FUTURE_FILE.search(line) for line in lines)
    for i, line in enumerate(lines):
        code = line.split("//", 1)[0]
        rules = list(CPP_RULES)
        if uses_futures:
            rules.append((FUTURE_GET, "future get() without a deadline (use testsupport::getWithin)"))
        for pattern, why in rules:
            if pattern.search(code) and not allowed(lines, i):
                problems.append(f"{path}:{i + 1}: {why}\n    {line.strip()}")


def check_js(path, lines, problems):
    text = "\n".join(lines)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for i, line in enumerate(lines):
        code = line.split("//", 1)[0]
        if JS_TEST.search(code) and "timeout" not in code and not allowed(lines, i):
            problems.append(f"{path}:{i + 1}: node:test test without a timeout option\n    {line.strip()}")
        if JS_HOOK.search(code) and not allowed(lines, i):
            end = call_end(text, offsets[i])
            last = text[:end].rsplit("\n", 1)[-1]
            if "timeout" not in last:
                problems.append(f"{path}:{i + 1}: node:test hook without a timeout option\n    {line.strip()}")
        if JS_ZERO_TIMEOUT.search(code) and not allowed(lines, i):
            problems.append(f"{path}:{i + 1}: timeout 0 waits forever\n    {line.strip()}")
        for m in JS_PROMISE.finditer(code):
            body = text[offsets[i] + m.start(): call_end(text, offsets[i] + m.start())]
            before = text[max(0, offsets[i] - 200): offsets[i] + m.start()]
            if JS_TIMER.search(body) or re.search(r"within\([^;]*$", before) or allowed(lines, i):
                continue
            problems.append(f"{path}:{i + 1}: a promise with no timer in it (add one, or within())\n"
                            f"    {line.strip()}")


def main():
    problems = []
    files = 0
    for path in sorted(TESTS.rglob("*")):
        if not path.is_file() or excluded(path):
            continue
        rel = path.relative_to(ROOT)
        if path.suffix in (".cpp", ".hpp"):
            check_cpp(rel, path.read_text(encoding="utf-8").splitlines(), problems)
        elif path.suffix in (".mjs", ".js"):
            check_js(rel, path.read_text(encoding="utf-8").splitlines(), problems)
        else:
            continue
        files += 1
    if problems:
        print("\n".join(problems))
        print(f"check-test-waits: {len(problems)} unbounded wait(s) in {files} test files; bound them "
              "(testsupport::Deadline, getWithin, joinWithin, a timeout that fails saying what it "
              "waited for) or, after review, mark the line '// bounded: <why>'")
        return 1
    print(f"check-test-waits: {files} test files, every known wait pattern bounded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
