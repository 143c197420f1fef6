"""The rules-sync job end to end: a Google workbook (the fake Sheets API over HTTP, read by
the real gspread client) → validation → a published version or a rejection reported in the sheet."""

from __future__ import annotations

import pytest

from bench.sheets import example_tabs
from infra.local.inspect import list_events
from schedules.rules_sync import handler
from shared.adapters.container import Container, reset_container
from tests.fakes.sheets_api import FakeSheetsApi

SCHEDULE_EVENT = {"detail-type": "Scheduled Event", "source": "aws.events", "time": "2026-11-22T08:00:00Z"}


@pytest.fixture(scope="module")
def fake():
    api = FakeSheetsApi()
    api.endpoint = api.start()
    yield api
    api.stop()


@pytest.fixture
def workbook(fake, clean_aws, monkeypatch):
    """A Google workbook with the example rules, which the rules-sync job is configured to read."""
    spreadsheet_id = fake.add_spreadsheet("Closeloop rules", example_tabs())
    monkeypatch.setenv("CLOSELOOP_SHEETS_ENDPOINT", fake.endpoint)
    monkeypatch.setenv("SPREADSHEET_ID", spreadsheet_id)
    container = Container()
    reset_container(container)
    fake.reset_requests()
    return spreadsheet_id


def status(fake, spreadsheet_id):
    return {row[0]: row[1:] for row in fake.values(spreadsheet_id, "Status") if row}


def edit(fake, spreadsheet_id, tab, row, column, text):
    """What an ops person's edit does: change one cell (row/column counted from 0, header = row 0)."""
    book = fake.books[spreadsheet_id]
    sheet = book.sheet(title=tab)
    sheet.cells.setdefault((row, column), {})["userEnteredValue"] = {"stringValue": text}


def test_the_same_rules_from_google_are_unchanged(fake, workbook, clean_aws):
    summary = handler(SCHEDULE_EVENT, None)  # the examples are already live, read from CSV files
    assert summary["status"] == "unchanged" and summary["version_id"] == clean_aws.rules_store.active().version_id


def test_a_changed_workbook_is_published_with_one_read_and_one_write(fake, workbook):
    edit(fake, workbook, "Settings", 1, 1, "85")  # sql_threshold 80 → 85
    summary = handler(SCHEDULE_EVENT, None)
    assert summary["status"] == "published" and summary["source"] == f"sheets:{workbook}"
    methods = [method for method, _ in fake.requests]
    assert methods.count("GET") == 1 and len(methods) == 2
    published = [e for e in list_events(event_type="RulesPublished") if e["data"]["source"].startswith("sheets:")]
    assert published[-1]["data"]["version_id"] == summary["version_id"]
    assert summary["version_id"] in str(status(fake, workbook))


def test_a_bad_edit_is_rejected_reported_at_its_cell_and_never_goes_live(fake, workbook, clean_aws):
    live = clean_aws.rules_store.active().version_id
    edit(fake, workbook, "Routing", 4, 1, "SMB Eest")  # row 5 of the sheet, column B: team
    summary = handler(SCHEDULE_EVENT, None)
    assert summary["status"] == "rejected" and summary["version_id"] == live
    assert clean_aws.rules_store.active().version_id == live
    [rejected] = list_events(event_type="RulesRejected")
    assert any(p.startswith("Routing!B5:") and "SMB Eest" in p for p in rejected["data"]["problems"])
    assert "SMB Eest" in fake.notes(workbook, "Routing")["B5"]
    assert any("Routing" in str(row) and "B5" in str(row) for row in fake.values(workbook, "Status"))


def test_fixing_the_cell_clears_the_note_and_keeps_peoples_notes(fake, workbook):
    fake.set_note(workbook, "Owners", "A2", "Chen is on leave in December")
    edit(fake, workbook, "Routing", 4, 1, "SMB Eest")
    handler(SCHEDULE_EVENT, None)
    edit(fake, workbook, "Routing", 4, 1, "SMB North")
    summary = handler(SCHEDULE_EVENT, None)
    assert summary["status"] in ("published", "unchanged")
    assert "B5" not in fake.notes(workbook, "Routing")
    assert fake.notes(workbook, "Owners")["A2"] == "Chen is on leave in December"


def test_google_outage_keeps_the_last_good_version_and_says_why(fake, workbook, clean_aws):
    live = clean_aws.rules_store.active().version_id
    fake.fail_next(503, count=5)
    summary = handler(SCHEDULE_EVENT, None)
    assert summary["status"] == "failed" and summary["version_id"] == live
    [failed] = list_events(event_type="RulesSyncFailed")
    assert "503" in failed["data"]["error"] and clean_aws.rules_store.active().version_id == live


def test_text_from_the_sheet_is_escaped_when_written_back(fake, workbook):
    edit(fake, workbook, "Routing", 4, 1, '=IMPORTXML("http://evil.example","//a")')
    handler(SCHEDULE_EVENT, None)
    cells = [cell for row in fake.values(workbook, "Status") for cell in row]
    dangerous = [c for c in cells if "IMPORTXML" in c]
    assert dangerous and all(not c.lstrip().startswith("=") for c in dangerous)


def test_without_a_spreadsheet_the_job_does_nothing(clean_aws, monkeypatch):
    monkeypatch.delenv("SPREADSHEET_ID", raising=False)
    monkeypatch.delenv("CLOSELOOP_RULES", raising=False)
    reset_container(Container())
    assert handler(SCHEDULE_EVENT, None)["status"] == "skipped"


def test_a_chinese_workbook_gets_its_status_in_chinese(fake, clean_aws, monkeypatch):
    from admin_sheets.tabs import TAB_BY_NAME

    tabs = {TAB_BY_NAME[name].zh: rows for name, rows in example_tabs().items()}
    spreadsheet_id = fake.add_spreadsheet("规则", tabs)
    monkeypatch.setenv("CLOSELOOP_SHEETS_ENDPOINT", fake.endpoint)
    monkeypatch.setenv("SPREADSHEET_ID", spreadsheet_id)
    reset_container(Container())
    summary = handler(SCHEDULE_EVENT, None)
    assert summary["status"] == "unchanged"  # the same rules as the English examples, by content
    assert "状态" in fake.tab_titles(spreadsheet_id)
    labels = [row[0] for row in fake.values(spreadsheet_id, "状态") if row]
    assert labels[:4] == ["最近同步", "规则版本", "结果", "问题数"]
