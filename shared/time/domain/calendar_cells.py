"""Reading the Calendars and Holidays cells of the workbook, and the public holidays of a
country (the ``holidays`` package): what publishing checks and resolves. The arithmetic of
business time over a built calendar is calendars.py's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY_KINDS = ("holiday", "workday")
DAY = timedelta(days=1)
Break = tuple[timedelta, timedelta]  # local offsets from midnight: (start, end)
# Derived at publishing (public_holidays_rows), not a workbook tab; outside the content hash
PUBLIC_HOLIDAYS_TAB = "PublicHolidays"


class CalendarError(ValueError):
    """A calendar that cannot be built or used. ``column`` names the Calendars column at fault."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column


# ---------------------------------------------------------------------------------------
# Parsing the Calendars and Holidays cells

_LIST_SEPARATORS = re.compile(r"[,，、;；]")
_RANGE_SEPARATORS = re.compile(r"\s*(?:-|–|—|~|～|至|到)\s*")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：]00)?$")
_ENGLISH_DAYS = {
    **{name: i for i, name in enumerate(WEEKDAY_NAMES)},
    **{
        name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
    },
    "tues": 1,
    "thur": 3,
    "thurs": 3,
}
_CHINESE_NUMERALS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_CHINESE_PREFIXES = ("星期", "礼拜", "周")


def _day_index(token: str, column: str) -> int:
    word = token.strip().casefold()
    if word in _ENGLISH_DAYS:
        return _ENGLISH_DAYS[word]
    for prefix in _CHINESE_PREFIXES:
        if word.startswith(prefix):
            word = word[len(prefix) :]
            break
    if word in _CHINESE_NUMERALS:
        return _CHINESE_NUMERALS[word]
    raise CalendarError(f'{column} must be one of {", ".join(WEEKDAY_NAMES)}; got "{token.strip()}"', column)


def parse_workdays(value: str | Sequence[str], column: str = "workdays") -> frozenset[int]:
    """Working weekdays (0 = Monday) from ``mon,tue,...``, ``mon-fri``, ``周一至周五``, ``周一,周三``.

    A range may wrap around the week (``sun-thu``); ``mon-sun`` is every day.
    """
    items = [value] if isinstance(value, str) else list(value)
    days: set[int] = set()
    for item in items:
        for part in _LIST_SEPARATORS.split(item):
            if not part.strip():
                continue
            ends = _RANGE_SEPARATORS.split(part.strip())
            if len(ends) == 1:
                days.add(_day_index(ends[0], column))
            elif len(ends) == 2:
                first, last = _day_index(ends[0], column), _day_index(ends[1], column)
                days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
            else:
                raise CalendarError(f'{column}: a range is two days like mon-fri, got "{part.strip()}"', column)
    if not days:
        raise CalendarError(f"{column} needs at least one day, like mon-fri", column)
    return frozenset(days)


def workday_names(days: Iterable[int]) -> list[str]:
    """Weekdays as content stores them: ``["mon", ..., "fri"]``, in week order."""
    return [WEEKDAY_NAMES[d] for d in sorted(set(days))]


def parse_time_of_day(text: str, column: str = "end") -> timedelta:
    """A local time of day as an offset from midnight: ``09:00``, ``9:00``, ``18:00:00``, ``24:00``."""
    cleaned = str(text).strip()
    if cleaned in ("1 day, 0:00:00", "1 day, 00:00:00"):  # 24:00 as a spreadsheet duration
        cleaned = "24:00"
    match = _TIME.match(cleaned)
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if (hours < 24 and minutes < 60) or (hours, minutes) == (24, 0):
            return timedelta(hours=hours, minutes=minutes)
    raise CalendarError(
        f'{column} must be a time like 09:00 (or 24:00 for the end of the day), got "{cleaned}"', column
    )


def format_time_of_day(offset: timedelta) -> str:
    minutes = int(offset // timedelta(minutes=1))
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_breaks(value: str | Sequence[str] | None, column: str = "breaks") -> tuple[Break, ...]:
    """Breaks within the working day, e.g. ``12:00-13:30`` or ``12:00-13:00, 15:00-15:15``; sorted."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    breaks: list[Break] = []
    for item in items:
        for part in _LIST_SEPARATORS.split(item):
            if not part.strip():
                continue
            ends = _RANGE_SEPARATORS.split(part.strip())
            if len(ends) != 2:
                raise CalendarError(f'{column} must be times like 12:00-13:30, got "{part.strip()}"', column)
            try:
                start, end = (parse_time_of_day(t, column) for t in ends)
            except CalendarError:
                raise CalendarError(f'{column} must be times like 12:00-13:30, got "{part.strip()}"', column) from None
            if end <= start:
                raise CalendarError(f"break {part.strip()} must end after it starts", column)
            breaks.append((start, end))
    breaks.sort()
    check_apart(breaks, column)
    return tuple(breaks)


def check_apart(breaks: Sequence[Break], column: str = "breaks") -> None:
    """Sorted breaks must not overlap (touching is fine: 12:00-13:00, 13:00-13:30)."""
    for (a_start, a_end), (b_start, b_end) in pairwise(breaks):
        if b_start < a_end:
            shown = f"{_show_break(a_start, a_end)} and {_show_break(b_start, b_end)}"
            raise CalendarError(f"breaks {shown} overlap", column)


def format_breaks(breaks: Iterable[Break]) -> list[str]:
    return [_show_break(start, end) for start, end in breaks]


def _show_break(start: timedelta, end: timedelta) -> str:
    return f"{format_time_of_day(start)}-{format_time_of_day(end)}"


def check_working_hours(start: timedelta, end: timedelta, breaks: Sequence[Break] = ()) -> None:
    """Working hours and breaks that make sense together; else a CalendarError at the column."""
    if not timedelta(0) <= start < DAY:
        raise CalendarError(f"start {format_time_of_day(start)} must be between 00:00 and 23:59", "start")
    if not start < end <= DAY:
        raise CalendarError(f"end {format_time_of_day(end)} must be after start {format_time_of_day(start)}", "end")
    hours = f"{format_time_of_day(start)}-{format_time_of_day(end)}"
    for b_start, b_end in breaks:
        if b_start < start or b_end > end:
            raise CalendarError(f"break {_show_break(b_start, b_end)} is outside working hours {hours}", "breaks")
    if sum((b_end - b_start for b_start, b_end in breaks), timedelta(0)) >= end - start:
        raise CalendarError(f"breaks fill the whole working day {hours}", "breaks")


def _holidays() -> Any:
    """The ``holidays`` package, imported on first need: publishing rules and checking them need
    it, a calendar built from published rules does not (their public days come resolved).
    ``import holidays`` loads all of its ~250 country modules: 0.2-0.5 s of a cold start."""
    import holidays

    return holidays


@lru_cache(maxsize=1)
def _country_codes() -> frozenset[str]:
    return frozenset(entry[1] for entry in _holidays().registry.COUNTRIES.values())


def country_code(text: str) -> str:
    return str(text).strip().upper().replace("_", "-")


def parse_holiday_country(text: str, column: str = "holiday_country") -> str:
    """A country the ``holidays`` package knows (``CN``), optionally with a subdivision (``DE-BY``)."""
    holidays = _holidays()
    code = country_code(text)
    country, _, subdivision = code.partition("-")
    if country not in _country_codes():
        raise CalendarError(
            f'{column} "{text}" is not a country with known public holidays: use a code like CN, US or DE', column
        )
    if subdivision and subdivision not in holidays.country_holidays(country).subdivisions:
        raise CalendarError(f'{column} "{text}": {country} has no subdivision "{subdivision}"', column)
    return code


# Countries whose public holidays and make-up workdays are announced year by year (China: the State
# Council's notice each autumn). The ``holidays`` package has the announced years as its special
# holidays; for a later year it guesses the dates from the rules and knows no make-up workday.
ANNOUNCED_YEARLY = frozenset({"CN"})
HORIZON = timedelta(days=400)  # how far ahead publishing looks (CONTRACT §14)


@lru_cache(maxsize=64)
def last_official_year(country: str) -> int | None:
    """The last year ``holidays`` has ``country``'s announced schedule for; None when its holidays
    are fixed by law (nothing to announce, nothing estimated)."""
    code = country.partition("-")[0]
    if code not in ANNOUNCED_YEARLY:
        return None
    announced = getattr(_holidays().country_holidays(code), "special_public_holidays", None) or {}
    return max(announced) if announced else 0


def estimated_holiday_years(country: str, today: date) -> list[int]:
    """The years between ``today`` and 400 days on whose public holidays ``holidays`` only guesses."""
    last = last_official_year(country)
    if last is None:
        return []
    return [year for year in range(today.year, (today + HORIZON).year + 1) if year > last]


def normalize_calendar_row(row: Mapping[str, Any]) -> tuple[dict[str, Any], list[CalendarError]]:
    """The canonical (content) values of a Calendars row's calendar cells, and what is wrong.

    Blank cells are left alone (a required blank is reported elsewhere); a bad cell comes back
    blank, with its error naming the column. Used by the workbook validator, so the sheet
    accepts exactly what the arithmetic understands.
    """
    values: dict[str, Any] = {}
    errors: list[CalendarError] = []

    def read(column: str, parse: Any, show: Any, blank: Any) -> Any:
        raw = row.get(column)
        if raw in (None, "", []):
            return None
        try:
            parsed = parse(raw, column)
        except CalendarError as error:
            errors.append(error)
            values[column] = blank
            return None
        values[column] = show(parsed)
        return parsed

    read("workdays", parse_workdays, workday_names, [])
    start = read("start", parse_time_of_day, format_time_of_day, None)
    end = read("end", parse_time_of_day, format_time_of_day, None)
    breaks = read("breaks", parse_breaks, format_breaks, [])
    read("holiday_country", parse_holiday_country, str, None)
    if start is not None and end is not None and not errors:
        try:
            check_working_hours(start, end, breaks or ())
        except CalendarError as error:
            errors.append(error)
    return values, errors


@lru_cache(maxsize=1024)
def public_days(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, make-up working days) of one country (``CN`` or ``DE-BY``) in one year."""
    code, _, subdivision = country.partition("-")
    # A make-up day can be listed with the next year's holidays (Dec 29 worked for New Year).
    public = _holidays().country_holidays(code, subdiv=subdivision or None, years=(year, year + 1))
    off = frozenset(d for d in public if d.year == year)
    worked = frozenset(d for d in getattr(public, "weekend_workdays", ()) if d.year == year)
    return off, worked


def public_holidays_rows(content: Mapping[str, Sequence[Mapping[str, Any]]], today: date) -> list[dict[str, Any]]:
    """The PublicHolidays rows publishing adds to a rules version: for each ``holiday_country`` of
    the Calendars tab, its public holidays and make-up days of each year from last year to 400
    days ahead, so the functions that use the rules never import ``holidays`` for those years."""
    countries = set()
    for row in content.get("Calendars", []):
        if row.get("holiday_country"):
            try:
                countries.add(parse_holiday_country(str(row["holiday_country"])))
            except CalendarError:  # the workbook check reports it; nothing to resolve
                continue
    rows = []
    for country in sorted(countries):
        for year in range(today.year - 1, (today + HORIZON).year + 1):
            off, worked = public_days(country, year)
            rows.append(
                {
                    "country": country,
                    "year": year,
                    "off": sorted(d.isoformat() for d in off),
                    "worked": sorted(d.isoformat() for d in worked),
                }
            )
    return rows
