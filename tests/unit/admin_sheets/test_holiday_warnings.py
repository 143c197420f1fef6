"""Holidays the package only estimates (CONTRACT §14): `holidays` 0.109 has China's official schedule
up to 2026; for 2027 it guesses the dates and knows no make-up workday. Publishing warns at the
calendar's holiday_country cell and still publishes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import holidays

from admin_sheets.parse import parse_workbook
from shared.time.domain.calendar_cells import estimated_holiday_years, last_official_year
from tests.unit.admin_sheets.helpers import EXAMPLES, example_raw, set_cell


def test_the_package_has_china_up_to_a_year_and_no_more() -> None:
    last = last_official_year("CN")
    assert last is not None and last >= 2026

    def workdays(year: int) -> list[date]:
        days = getattr(holidays.country_holidays("CN", years=year), "weekend_workdays", set())
        return [d for d in days if d.year == year]

    assert workdays(last) and not workdays(last + 1)  # after the last notice: no make-up workday at all
    assert estimated_holiday_years("CN", date(last, 1, 2)) == [last + 1]  # 400 days reach into next year
    assert estimated_holiday_years("CN", date(last - 1, 6, 1)) == []
    assert estimated_holiday_years("US", date(2026, 12, 1)) == []  # fixed by law: nothing estimated


def test_publishing_the_example_workbook_warns_about_2027_and_still_publishes() -> None:
    parsed = parse_workbook(example_raw(), today=date(2026, 12, 7))
    assert parsed.ok and parsed.content is not None
    warnings = [str(w) for w in parsed.warnings]
    assert any(w.startswith("Calendars!G2: warning:") and "CN schedule for 2027" in w for w in warnings)
    assert all("cn-office" in w for w in warnings)  # intl has no holiday_country: nothing to warn
    assert "12 row(s) of 2027" in next(w for w in warnings if "2027" in w)


def test_no_warning_when_the_package_knows_the_year() -> None:
    parsed = parse_workbook(example_raw(), today=date(2025, 3, 1))  # horizon ends in 2026
    assert parsed.ok and parsed.warnings == []


def test_a_calendar_without_a_country_is_not_warned_about() -> None:
    raw = set_cell(example_raw(), "Calendars", "G2", "")
    assert parse_workbook(raw, today=date(2026, 12, 7)).warnings == []


def test_the_example_workbooks_2027_rows_say_they_are_estimates() -> None:
    rows = (EXAMPLES / "Holidays.csv").read_text(encoding="utf-8").splitlines()
    cn_2027 = [r for r in rows if r.startswith("cn-office,2027")]
    assert cn_2027 and all("estimate" in r for r in cn_2027)


def test_rules_validate_prints_the_warning(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    from infra.cli import main

    assert main(["rules", "validate", f"dir:{EXAMPLES}"]) == 0
    told = capsys.readouterr()
    assert "warning: holidays" in told.err and "has no official CN schedule" in told.err  # stdout: the result
