"""The fake Google Sheets API (the real gspread client over HTTP) and a workbook of the example
rules tabs as the rules source: what the Dashboard and Work tab tests write to."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bench.sheets import example_tabs
from shared.adapters.container import Container, reset_container
from tests.fakes.sheets_api import FakeSheetsApi


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSheetsApi]:
    api = FakeSheetsApi(strict_grid=True)
    api.endpoint = api.start()  # type: ignore[attr-defined]
    yield api
    api.stop()


@pytest.fixture
def workbook(fake: FakeSheetsApi, clean_aws: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    spreadsheet_id = fake.add_spreadsheet("Closeloop rules", example_tabs())
    monkeypatch.setenv("CLOSELOOP_SHEETS_ENDPOINT", fake.endpoint)  # type: ignore[attr-defined]
    monkeypatch.setenv("SPREADSHEET_ID", spreadsheet_id)
    reset_container(Container())
    fake.reset_requests()
    return spreadsheet_id
