"""An admin's first steps, as commands: `closeloop sheets init`, then `closeloop rules validate sheets:ID`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.sheets_api import FakeSheetsApi

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def google():
    api = FakeSheetsApi()
    endpoint = api.start()
    yield api, {**os.environ, "CLOSELOOP_SHEETS_ENDPOINT": endpoint}
    api.stop()


def closeloop(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_init_then_validate(google, locale):
    api, env = google
    made = closeloop(
        "sheets", "init", "--title", "Closeloop rules", "--locale", locale, "--share", "ops@example.com", env=env
    )
    assert made.returncode == 0, made.stderr
    spreadsheet_id = made.stdout.strip()
    assert "docs.google.com/spreadsheets/d/" in made.stderr and "rules validate" in made.stderr
    assert [p["emailAddress"] for p in api.permissions(spreadsheet_id)] == ["ops@example.com"]
    checked = closeloop("rules", "validate", f"sheets:{spreadsheet_id}", env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "valid:" in checked.stderr


def test_init_without_credentials_says_how_to_provide_them():
    env = {
        k: v for k, v in os.environ.items() if k not in ("CLOSELOOP_SHEETS_ENDPOINT", "GOOGLE_APPLICATION_CREDENTIALS")
    }
    result = closeloop("sheets", "init", "--title", "x", env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "GOOGLE_APPLICATION_CREDENTIALS" in result.stderr


def test_validate_a_workbook_that_does_not_exist(google):
    _, env = google
    result = closeloop("rules", "validate", "sheets:no-such-sheet", env=env)
    assert result.returncode == 1 and result.stderr.startswith("closeloop: ") and result.stderr.count("\n") == 1
