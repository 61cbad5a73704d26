#!/usr/bin/env python3
"""Runs the Python SDK's tests (unittest discovery of sdk/python/tests/test_*.py) with verbose output.

    python3 sdk/python/tests/run_tests.py [--stats FILE] [--grep TEXT]

--stats writes {"passes": N, "failures": N, "pending": N} for scripts/test.ts (errors count as
failures, skips as pending); --grep keeps the tests whose id contains TEXT. The tests start
dist/sidecar.js themselves: run `npm run build` first.
"""

from __future__ import annotations

import argparse
import json
import sys
import unittest
from pathlib import Path
from typing import Iterator, List, Optional

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


class CountingResult(unittest.TextTestResult):
    passes = 0

    def addSuccess(self, test: unittest.TestCase) -> None:
        super().addSuccess(test)
        self.passes += 1

    def addExpectedFailure(self, test: unittest.TestCase, err: object) -> None:
        super().addExpectedFailure(test, err)  # type: ignore[arg-type]
        self.passes += 1


def _tests(suite: unittest.TestSuite) -> Iterator[unittest.TestCase]:
    for item in suite:
        if isinstance(item, unittest.TestSuite):
            yield from _tests(item)
        else:
            yield item


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stats", help="write the counts as JSON to this file")
    parser.add_argument("--grep", help="run only tests whose id contains this text")
    args = parser.parse_args(argv)

    suite = unittest.defaultTestLoader.discover(str(HERE), pattern="test_*.py", top_level_dir=str(HERE))
    if args.grep:
        needle = args.grep.lower()
        # Modules that failed to import stay in, so a broken file is never silently skipped.
        suite = unittest.TestSuite(
            test for test in _tests(suite) if needle in test.id().lower() or type(test).__name__ == "_FailedTest"
        )
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2, resultclass=CountingResult)  # type: ignore[arg-type]
    try:
        result = runner.run(suite)
    finally:
        from support import stop_shared_sidecar

        stop_shared_sidecar()
    assert isinstance(result, CountingResult)
    failures = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    if args.stats:
        stats = {"passes": result.passes, "failures": failures, "pending": len(result.skipped)}
        Path(args.stats).write_text(json.dumps(stats) + "\n", encoding="utf-8")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
