"""`closeloop demo` runs the whole story as a newcomer sees it, in its own process and stack."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.terminal import fresh_terminal_env
from tests.e2e.test_local_stack import ROOT

pytestmark = pytest.mark.e2e


def test_the_demo_tells_the_whole_loop() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "demo"],
        cwd=ROOT,
        env=fresh_terminal_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    story = result.stdout
    assert "grade sql" in story and "clock met" in story
    assert "approvals: manager u_liu, director u_chen" in story and "quote approved" in story
    assert "account manager u_xu; renewal reminders: 3" in story
    assert "finance received: INVOICE inv_" in story and "IOT-PLAT-ENT × 2 @ 360000.00 = 720000.00" in story
    assert "Support L2" in story
    assert "reminder fired on hold: held by cs_" in story and "renewal opportunity op_" in story
    assert "on hold: false (RenewalReleased)" in story
    assert "mql_to_sql_rate              1.0  (1 / 1)" in story
    assert "win_rate_amount              1.0  (720000 / 720000)" in story  # what was signed was won
    assert '{"level"' not in story  # a narration, not the functions' logs
