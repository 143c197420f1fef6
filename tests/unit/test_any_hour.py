"""The suite passes at any hour: a clock-sensitive subset, run in a subprocess whose clock is
moved (tests/conftest.py, CLOSELOOP_TEST_NOW) to the instants that broke it or could: 23:30 UTC
(a UTC day ends within the tests' spans), the European and US DST changes, 29 February.

The whole unit and integration tiers can be run the same way: CLOSELOOP_TEST_NOW=… make test."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INSTANTS = [
    "2027-02-28T23:30:00Z",  # half an hour before a UTC day (and a month) ends
    "2027-03-28T00:59:30Z",  # 30 s before Europe's clocks go forward
    "2027-03-14T06:59:30Z",  # 30 s before the US clocks go forward (02:00 EST)
    "2028-02-29T23:30:00Z",  # the end of 29 February
]
# tests that start from the wall clock and span a day, count days back from it, or sign across a
# process boundary (the one that failed between 22:00 and 24:00 UTC is the first)
SUBSET = [
    "tests/integration/health/test_health_api.py::test_health_sweep_pages_through_dynamodb_and_warns_once",
    "tests/integration/rules/test_versions.py::test_backtest_reads_only_the_period_asked",
    "tests/integration/orders/test_finance_receiver.py::test_signed_invoices_print_once_and_repeats_are_duplicates",
]


def run_at(instant: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-rf", *SUBSET],
        cwd=ROOT,
        env={**os.environ, "CLOSELOOP_TEST_NOW": instant},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_clock_sensitive_tests_pass_at_the_hours_that_break_clocks() -> None:
    with ThreadPoolExecutor(2) as pool:  # two instants at a time: the subset is mostly waiting on moto
        runs = dict(zip(INSTANTS, pool.map(run_at, INSTANTS), strict=True))
    for instant, run in runs.items():
        assert f"clock travelled to {instant[:16]}" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
        assert run.returncode == 0, f"at {instant}:\n" + run.stdout[-4000:] + run.stderr[-2000:]
