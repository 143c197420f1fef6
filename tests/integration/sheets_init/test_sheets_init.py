"""`closeloop sheets init` end to end: the real gspread-based client against the fake Sheets API.

The workbook is created and filled, then read back the way `rules sync` reads it, and parsed:
it must be valid and hold exactly the example rules, in English and in Chinese.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from admin_sheets.google_sheets import ENDPOINT_ENV, SheetsClient, sheets_client
from admin_sheets.parse import parse_workbook
from admin_sheets.readers import read_csv_dir
from admin_sheets.tabs import TAB_BY_NAME, TABS
from admin_sheets.workbook_init import EXAMPLES_DIR, create_workbook, headers
from tests.fakes.sheets_api import FakeSheetsApi

EXPECTED = parse_workbook(read_csv_dir(EXAMPLES_DIR)).content
STATUS = {"en": "Status", "zh-CN": "状态"}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSheetsApi]:
    api = FakeSheetsApi(strict_grid=True)  # as Google: a write outside a sheet's grid fails the batch
    monkeypatch.setenv(ENDPOINT_ENV, api.start())
    yield api
    api.stop()


@pytest.fixture
def client(fake: FakeSheetsApi) -> SheetsClient:
    return sheets_client(timeout=30, deadline=60)


def _title(name: str, locale: str) -> str:
    return STATUS[locale] if name == "Status" else (TAB_BY_NAME[name].zh if locale == "zh-CN" else name)


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_init_creates_a_valid_workbook_holding_the_examples(
    fake: FakeSheetsApi, client: SheetsClient, locale: str
) -> None:
    spreadsheet_id = create_workbook(client, "Closeloop rules", share=None, locale=locale)

    assert [method for method, _ in fake.requests] == ["POST", "POST"]  # create, then one batchUpdate
    assert fake.requests[1][1].endswith(f"/v4/spreadsheets/{spreadsheet_id}:batchUpdate")
    assert client.request_count == 2

    assert fake.tab_titles(spreadsheet_id) == [_title(t.name, locale) for t in TABS] + [STATUS[locale]]
    for tab in TABS:
        title = _title(tab.name, locale)
        assert fake.values(spreadsheet_id, title)[0] == headers(tab.name, locale)
        assert fake.sheet_props(spreadsheet_id, title)["gridProperties"]["frozenRowCount"] == 1
        notes = fake.notes(spreadsheet_id, title)
        assert len([cell for cell in notes if cell.endswith("1") and cell[:-1].isalpha()]) == len(tab.columns)
    assert len(fake.protected_ranges(spreadsheet_id)) == len(TABS) + 1

    routing = fake.data_validations(spreadsheet_id, _title("Routing", locale))
    team = routing["B20000"]["condition"]
    assert team == {
        "type": "ONE_OF_RANGE",
        "values": [{"userEnteredValue": "='负责人'!D2:D1000" if locale == "zh-CN" else "='Owners'!D2:D1000"}],
    }
    assert "B1" not in routing and routing["C2"]["strict"] is False  # role list: several roles allowed

    fake.reset_requests()
    workbook = client.read_workbook(spreadsheet_id)
    result = parse_workbook(workbook.raw)
    assert [str(p) for p in result.problems] == []
    assert result.content == EXPECTED


def test_init_shares_the_workbook_in_a_third_request(fake: FakeSheetsApi, client: SheetsClient) -> None:
    spreadsheet_id = create_workbook(client, "Closeloop rules", share="ops@example.com", locale="zh-CN")
    assert len(fake.requests) == client.request_count == 3
    assert fake.requests[2][1].startswith(f"/drive/v3/files/{spreadsheet_id}/permissions")
    [permission] = fake.permissions(spreadsheet_id)
    assert (permission["emailAddress"], permission["role"], permission["type"]) == ("ops@example.com", "writer", "user")
