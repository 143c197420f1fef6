"""Reading the rules workbook from Google Sheets: one request, every tab, header drift handled."""

from __future__ import annotations

import pytest

from admin_sheets.google_sheets import SheetsClient, sheets_client
from admin_sheets.parse import parse_workbook, validate_source
from admin_sheets.readers import RawWorkbook
from admin_sheets.tabs import TAB_BY_NAME
from tests.fakes.sheets_api import FakeSheetsApi
from tests.integration.sheets.conftest import EXAMPLES, example_raw

EXPECTED = validate_source(f"dir:{EXAMPLES}")


def _messages(raw: RawWorkbook) -> list[str]:
    return [str(p) for p in parse_workbook(raw).problems]


def _through_google(fake: FakeSheetsApi, client: SheetsClient, raw: RawWorkbook) -> RawWorkbook:
    sid = fake.add_spreadsheet("Closeloop rules", raw)
    fake.reset_requests()
    book = client.read_workbook(sid)
    assert len(fake.requests) == 1, fake.requests
    return book.raw


def test_example_workbook_reads_back_valid_in_one_request(fake: FakeSheetsApi, client: SheetsClient) -> None:
    sid = fake.add_spreadsheet("Closeloop rules", example_raw())
    fake.reset_requests()

    book = client.read_workbook(sid)

    assert fake.requests == [("GET", fake.requests[0][1])]
    path = fake.requests[0][1]
    assert path.startswith(f"/v4/spreadsheets/{sid}?") and "includeGridData=true" in path
    assert client.request_count == 1
    assert book.title == "Closeloop rules"
    assert set(book.sheet_ids) == set(example_raw()) and len(set(book.sheet_ids.values())) == len(book.sheet_ids)
    result = parse_workbook(book.raw)
    assert result.problems == []
    assert result.content == EXPECTED.content


def test_sheets_source_through_read_source(fake: FakeSheetsApi) -> None:
    sid = fake.add_spreadsheet("Closeloop rules", example_raw())
    fake.reset_requests()
    result = validate_source(f"sheets:{sid}")
    assert result.content == EXPECTED.content
    assert len(fake.requests) == 1


def test_status_tab_is_left_out_and_notes_are_sorted_by_author(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    raw["Status"] = [["Last sync", "yesterday"]]
    raw["状态"] = [["最近同步", "昨天"]]
    notes = {"Owners": {"A2": "ask Chen before changing", "G3": "⚠ Closeloop: capacity must be a number"}}
    sid = fake.add_spreadsheet("Closeloop rules", raw, notes=notes)

    book = client.read_workbook(sid)

    assert "Status" not in book.raw and "状态" not in book.raw
    assert {"Status", "状态"} <= set(book.sheet_ids)
    assert book.closeloop_notes == {"Owners": {"G3": "⚠ Closeloop: capacity must be a number"}}
    assert book.human_notes == {"Owners": {"A2": "ask Chen before changing"}}


def test_trailing_blanks_trimmed_inner_blank_rows_kept(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    raw["Health"] = [["dimension", "weight", "threshold", ""], [], ["usage", "100%", "", ""], ["", ""], []]
    assert _through_google(fake, client, raw)["Health"] == [
        ["dimension", "weight", "threshold"],
        [],
        ["usage", "100%"],
    ]


def test_reordered_columns_and_header_case(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    for tab in ("Owners", "Routing", "Scoring"):
        width = len(raw[tab][0])
        raw[tab] = [list(reversed(row + [""] * (width - len(row)))) for row in raw[tab]]
    raw["Sources"][0] = [f"  {h.upper()} " for h in raw["Sources"][0]]
    assert parse_workbook(_through_google(fake, client, raw)).content == EXPECTED.content


def test_chinese_headers_and_tab_names(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    for name in ("Owners", "Routing", "Regions", "Settings"):
        tab = TAB_BY_NAME[name]
        rows = raw.pop(name)
        rows[0] = [tab.column(h).zh for h in rows[0]]
        raw[tab.zh] = rows
    book_raw = _through_google(fake, client, raw)
    assert "负责人" in book_raw
    assert parse_workbook(book_raw).content == EXPECTED.content


def test_extra_column_and_blank_rows(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    for row in raw["Owners"]:
        row.insert(2, "ops note")
    raw["Owners"].insert(3, ["", "", ""])
    raw["Scoring"].insert(1, [])
    assert parse_workbook(_through_google(fake, client, raw)).content == EXPECTED.content


def test_problems_after_a_blank_row_point_at_the_right_row(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    raw["Owners"].insert(3, [])  # a blank row 4: the example's 4th owner moves to row 6
    capacity = raw["Owners"][0].index("capacity")
    raw["Owners"][5][capacity] = "lots"
    messages = _messages(_through_google(fake, client, raw))
    assert len(messages) == 1 and messages[0].startswith("Owners!G6: "), messages


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("missing", ['Owners!K1: missing required column "team" (团队)']),
        ("duplicate", ['Owners!L1: duplicate column "team": also in D1']),
        ("blank", ["Sources!H1: this column has data but no header"]),
    ],
)
def test_header_problems_at_their_cells(
    fake: FakeSheetsApi, client: SheetsClient, edit: str, expected: list[str]
) -> None:
    raw = example_raw()
    if edit == "missing":
        raw["Owners"] = [row[:3] + row[4:] for row in raw["Owners"]]
    elif edit == "duplicate":
        raw["Owners"][0].append("团队")
    else:
        assert len(raw["Sources"][0]) == 7  # A..G: Google trims the blank H1 away
        raw["Sources"][2] += [""] * (7 - len(raw["Sources"][2])) + ["orphan"]
    messages = _messages(_through_google(fake, client, raw))
    assert messages[: len(expected)] == expected


def test_ten_thousand_routing_rows_read_in_one_request(fake: FakeSheetsApi) -> None:
    client = sheets_client(timeout=30, deadline=60)
    raw = example_raw()
    header, *rows = raw["Routing"]
    big = [header]
    for i in range(10_000):
        row = list(rows[i % len(rows)])
        row[0] = str(1000 + i)  # priority: unique
        big.append(row)
    raw["Routing"] = big
    book_raw = _through_google(fake, client, raw)
    assert len(book_raw["Routing"]) == 10_001
    assert book_raw["Routing"][-1][0] == "10999"
    assert client.request_count == 1
