"""Warnings that do not stop publishing (CONTRACT §14): a calendar whose country's public holidays
the ``holidays`` package only estimates for a year ahead (China's are announced each year; the
package guesses later years and knows none of their make-up workdays). Ops staff see them in the
Status tab, and `rules validate` / `rules sync` print them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from importlib.metadata import version

from admin_sheets.model import Problem, Sheet
from shared.time.domain.calendar_cells import estimated_holiday_years


def holiday_warnings(sheets: dict[str, Sheet], today: date) -> Iterable[Problem]:
    calendars, rows = sheets["Calendars"], sheets["Holidays"].rows
    for row in calendars.rows:
        country, name = row.values.get("holiday_country"), row.values.get("calendar")
        if not country:
            continue
        for year in estimated_holiday_years(str(country), today):
            listed = [
                r for r in rows if r.values.get("calendar") == name and str(r.values.get("date", ""))[:4] == str(year)
            ]
            workdays = sum(1 for r in listed if str(r.values.get("kind") or "holiday").casefold() == "workday")
            yield calendars.problem(
                row,
                "holiday_country",
                f"warning: holidays {version('holidays')} has no official {country} schedule for {year} — its "
                f"{year} public holidays are estimates and it knows no make-up workdays. Add the official {year} "
                f"holidays and make-up workdays of calendar {name} as Holidays rows (kind holiday / workday) "
                f"once announced; {len(listed)} row(s) of {year} are there now ({workdays} workday). "
                "The rules still publish.",
            )
