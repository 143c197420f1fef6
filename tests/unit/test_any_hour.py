"""The suite passes at any hour: a clock-sensitive subset, run in a subprocess whose clock is
moved (tests/conftest.py, CLOSELOOP_TEST_NOW) to the instants that broke it or could: 23:30 UTC
(a UTC day ends within the tests' spans), the European and US DST changes, 29 February.

The whole unit and integration tiers can be run the same way: CLOSELOOP_TEST_NOW=… make test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTANTS = [
    "2027-02-28T23:30:00Z",  # half an hour before a UTC day (and a month) ends
    "2027-03-28T00:59:30Z",  # 30 s before Europe's clocks go forward
    "2027-03-14T06:59:30Z",  # 30 s before the US clocks go forward (02:00 EST)
    "2028-02-29T23:30:00Z",  # the end of 29 February
]
SUBSET: list[str] = []


@pytest.mark.parametrize("instant", INSTANTS)
def test_the_clock_sensitive_tests_pass_at(instant: str) -> None:
    env = {**os.environ, "CLOSELOOP_TEST_NOW": instant}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", *SUBSET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"clock travelled to {instant[:16]}" in run.stdout, run.stdout[-2000:]
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
