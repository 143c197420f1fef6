"""A fake Google Sheets API on loopback, with CLOSELOOP_SHEETS_ENDPOINT pointing at it."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

from admin_sheets.google_sheets import SheetsClient, sheets_client
from admin_sheets.readers import RawWorkbook, read_csv_dir
from tests.fakes.sheets_api import FakeSheetsApi

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "admin_sheets" / "examples"
SERVICE_EMAIL = "closeloop-sync@closeloop-prod.iam.gserviceaccount.com"


@cache
def _examples() -> RawWorkbook:
    return read_csv_dir(EXAMPLES)


def example_raw() -> RawWorkbook:
    """A fresh, editable copy of the example workbook, as CSV text."""
    return copy.deepcopy(_examples())


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheetsApi]:
    api = FakeSheetsApi(strict_grid=True)  # writing outside a grid is a 400, as in Google
    url = api.start()
    monkeypatch.setenv("CLOSELOOP_SHEETS_ENDPOINT", url)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    yield api
    api.stop()


@pytest.fixture
def client(fake: FakeSheetsApi) -> SheetsClient:
    """Small timeouts and back-off so failure tests run in well under a second each."""
    return sheets_client({"client_email": SERVICE_EMAIL}, timeout=0.5, deadline=3, backoff=0.01)
