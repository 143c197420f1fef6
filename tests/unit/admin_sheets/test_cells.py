"""Every bad value is reported at its exact cell, with a message an ops person can act on."""

from __future__ import annotations

import pytest

from admin_sheets.parse import parse_workbook
from admin_sheets.readers import RawWorkbook
from tests.unit.admin_sheets.helpers import parse_edited, set_cell


@pytest.mark.parametrize(
    ("tab", "cell", "value", "expected"),
    [
        ("Owners", "G5", "three", 'Owners!G5: capacity must be a whole number, got "three"'),
        (
            "Owners",
            "E4",
            "boss",
            (
                "Owners!E4: role must be one of sdr, ae, senior_ae, manager, director, am, cs, "
                'support, finance; got "boss"'
            ),
        ),
        ("Owners", "I3", "maybe", 'Owners!I3: active must be TRUE or FALSE (yes/no, 是/否), got "maybe"'),
        ("Owners", "A9", "", "Owners!A9: owner_id is required"),
        ("Sources", "B2", "open", 'Sources!B2: kind must be one of signed, public; got "open"'),
        ("Tiers", "G3", "lots", 'Tiers!G3: min_budget must be a number like 500,000 or 1.5, got "lots"'),
        ("Routing", "A3", "first", 'Routing!A3: priority must be a whole number, got "first"'),
        ("Routing", "M2", "sql,hot", 'Routing!M2: grade must be one of sql, mql, nurture; got "hot"'),
        ("Scoring", "E2", "", "Scoring!E2: points is required"),
        ("Scoring", "F9", "often", 'Scoring!F9: max_times must be a whole number, got "often"'),
        (
            "Scoring",
            "C2",
            "between",
            'Scoring!C2: op must be one of eq, in, gte, lte, contains, exists; got "between"',
        ),
        (
            "Settings",
            "B2",
            "high",
            'Settings!B2: sql_threshold must be a number like 500,000 or 1.5, got "high"',
        ),
        ("Settings", "B8", "8", 'Settings!B8: wake_click_rate must be a percentage like 20% or 0.2, got "8"'),
        (
            "Settings",
            "B9",
            "demo_request,call",
            (
                "Settings!B9: wake_events must be one of email_sent, email_open, email_click, page_view, "
                'whitepaper_download, webinar_attended, demo_request, unsubscribe; got "call"'
            ),
        ),
        ("Settings", "B4", "", "Settings!B4: value is required"),
        ("Products", "D2", "30", 'Products!D2: max_discount must be a percentage like 20% or 0.2, got "30"'),
        (
            "Discounts",
            "F3",
            "boss",
            (
                "Discounts!F3: approvers must be one of sdr, ae, senior_ae, manager, director, "
                'am, cs, support, finance; got "boss"'
            ),
        ),
        ("Calendars", "D2", "9am", 'Calendars!D2: start must be a time like 09:00, got "9am"'),
        (
            "Calendars",
            "C2",
            "mon,funday",
            ('Calendars!C2: workdays must be one of mon, tue, wed, thu, fri, sat, sun; got "funday"'),
        ),
        (
            "Holidays",
            "B3",
            "next monday",
            'Holidays!B3: date must be a date like 2026-10-01, got "next monday"',
        ),
        ("SLA", "B4", "urgent", 'SLA!B4: priority must be one of p1, p2, p3, p4; got "urgent"'),
        (
            "SLA",
            "F2",
            "sometimes",
            'SLA!F2: business_hours must be TRUE or FALSE (yes/no, 是/否), got "sometimes"',
        ),
        ("Renewals", "A3", "two months", 'Renewals!A3: days_before must be a whole number, got "two months"'),
        ("Stages", "B2", "", "Stages!B2: order is required"),
    ],
)
def test_bad_value_reported_at_its_cell(tab: str, cell: str, value: str, expected: str) -> None:
    assert parse_edited((tab, cell, value)) == [expected]


def test_every_bad_value_is_reported_not_just_the_first(raw: RawWorkbook) -> None:
    set_cell(raw, "Owners", "G5", "three")
    set_cell(raw, "Owners", "H6", "heavy")
    set_cell(raw, "Sources", "F2", "perhaps")
    result = parse_workbook(raw)
    assert result.content is None
    assert [p.cell for p in result.problems] == ["F2", "G5", "H6"]
    assert [p.tab for p in result.problems] == ["Sources", "Owners", "Owners"]


def test_discount_approvers_may_be_blank() -> None:
    assert parse_edited(("Discounts", "F3", "")) == []


@pytest.mark.parametrize(
    ("tab", "cell", "value"),
    [
        ("Routing", "F5", "east，north"),  # full-width comma
        ("Sources", "F2", "是"),
        ("Sources", "F6", "否"),
        ("Discounts", "E3", "0.2"),
        ("Tiers", "G3", "1000000"),
        ("Scoring", "D6", "500000"),
        ("Owners", "E4", " AE "),
        ("Holidays", "B2", "2026/10/1"),
    ],
)
def test_accepted_spellings(tab: str, cell: str, value: str) -> None:
    assert parse_edited((tab, cell, value)) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¥500,000.00", 500000),
        ("￥1,000,000", 1000000),
        ("CNY 500,000", 500000),
        ("$1,200", 1200),
        ("800000元", 800000),
    ],
)
def test_amounts_formatted_as_currency_in_the_sheet_are_numbers(text, expected):
    from admin_sheets.tabs import TAB_BY_NAME
    from admin_sheets.values import convert

    budget = next(c for c in TAB_BY_NAME["Tiers"].columns if c.name == "min_budget")
    assert convert(budget, text) == expected
