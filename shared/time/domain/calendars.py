"""Business-hours calendars: the one place for business-time arithmetic (CONTRACT §9). Reading
the workbook's calendar cells and resolving public holidays is calendar_cells.py's.

A :class:`Calendar` is a Calendars row plus its Holidays rows: a time zone, the working
days of the week, working hours ``start``–``end`` (local; ``end`` may be 24:00), breaks
within the day, the public holidays of ``holiday_country`` (the ``holidays`` package),
extra days off and make-up working days (调休).

Which days are worked, strongest rule first:

1. a Holidays row of the calendar: ``holiday`` → off, ``workday`` → worked (normal hours);
2. the country's public calendar: a public holiday is off; a weekend day the country
   declares a make-up working day (the package's ``weekend_workdays``, e.g. China's
   published 调休 Saturdays) is worked;
3. the weekly pattern (``workdays``).

Arithmetic works on instants (timezone-aware datetimes; results are in UTC). Each working
day gives working intervals ``[open, close)`` in UTC, computed from local wall times, so
DST changes are handled by the zone: a local time the clocks skip (spring forward) means
the instant of the jump; a local time that happens twice (fall back) means its first
occurrence. Intervals are half-open: the instant a break, the evening or a holiday starts
is not working time. :func:`add_business_time` returns the *earliest* instant at which the
amount has elapsed, so reaching the target exactly when lunch starts gives 12:00, not the
end of lunch; a positive amount therefore always lands inside working time or exactly at
the end of a working interval, never inside a break, a weekend or a holiday.

Pauses are ``(start, end)`` intervals during which the clock does not run (a case waiting
on the customer); ``end`` None means "still paused". They may overlap and come in any order.

Internally instants are integer microseconds since the epoch: exact, and fast enough to add
a thousand business hours in well under a millisecond once a calendar's days are cached.
Pure: no clock, no environment, no I/O. Time is always passed in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.time.domain.calendar_cells import (
    DAY,
    HOLIDAY_KINDS,
    PUBLIC_HOLIDAYS_TAB,
    Break,
    CalendarError,
    check_apart,
    check_working_hours,
    country_code,
    parse_breaks,
    parse_holiday_country,
    parse_time_of_day,
    parse_workdays,
    public_days,
)

__all__ = [
    "DAY",
    "Calendar",
    "Hours",
    "Pause",
    "TimeBasis",
    "add_business_time",
    "add_wall_time",
    "business_time_between",
    "calendars_from_content",
    "is_working",
    "next_working_instant",
    "wall_time_between",
    "working_intervals",
]

Hours = Decimal | float | int | timedelta
Pause = tuple[datetime, datetime | None]

_US = timedelta(microseconds=1)
_US_PER_HOUR = 3_600_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FOREVER = 2**62  # "no end" for an open pause, in microseconds (year ~148,000)
_MAX_IDLE_DAYS = 3660  # ten years without a working minute: a calendar that never opens
_CACHE_DAYS = 20_000  # per calendar; about 55 years of days, then start over


# ---------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True)
class Calendar:
    """Business hours: which local days are worked, and which hours of them.

    ``start``/``end`` and ``breaks`` are offsets from local midnight (``end`` up to 24:00;
    ``mon-sun 00:00–24:00`` is 24x7). Overnight hours (start after end) are not supported:
    a night shift is two ranges of the same calendar day, e.g. ``00:00–24:00`` with a break.
    """

    name: str
    timezone: str = "UTC"
    workdays: frozenset[int] = frozenset(range(5))
    start: timedelta = timedelta(hours=9)
    end: timedelta = timedelta(hours=18)
    breaks: tuple[Break, ...] = ()
    holiday_country: str | None = None
    days_off: frozenset[date] = frozenset()  # Holidays rows, kind holiday
    make_up_days: frozenset[date] = frozenset()  # Holidays rows, kind workday (调休)
    # holiday_country's (public holidays, make-up days) by year, resolved when the rules were
    # published (PublicHolidays); a year not in it asks the ``holidays`` package
    published_days: Mapping[int, tuple[frozenset[date], frozenset[date]]] = field(
        default_factory=dict, repr=False, compare=False, hash=False
    )
    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _shifts: tuple[Break, ...] = field(init=False, repr=False, compare=False)
    _days: dict[int, tuple[tuple[int, int], ...]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(
                f'"{self.timezone}" is not a time zone: use a name like Asia/Shanghai', "timezone"
            ) from None
        if not self.workdays or not set(self.workdays) <= set(range(7)):
            raise CalendarError("workdays must be weekdays 0 (Monday) to 6 (Sunday), at least one", "workdays")
        breaks = tuple(sorted(self.breaks))
        check_working_hours(self.start, self.end, breaks)
        check_apart(breaks)
        both = self.days_off & self.make_up_days
        if both:
            raise CalendarError(f"{min(both).isoformat()} is both a day off and a working day", "date")
        if self.holiday_country is not None:
            # published days: the country was checked when the rules were published
            code = country_code(self.holiday_country) if self.published_days else None
            object.__setattr__(self, "holiday_country", code or parse_holiday_country(self.holiday_country))
        object.__setattr__(self, "workdays", frozenset(self.workdays))
        object.__setattr__(self, "breaks", breaks)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_shifts", _subtract(self.start, self.end, breaks))

    @classmethod
    def from_rows(
        cls,
        calendar_row: Mapping[str, Any],
        holiday_rows: Iterable[Mapping[str, Any]] = (),
        public_rows: Iterable[Mapping[str, Any]] = (),
    ) -> Calendar:
        """A calendar from its Calendars content row and the Holidays rows (others' rows are skipped),
        with its country's public days from the PublicHolidays rows publishing added.

        Accepts content as the validator leaves it (``workdays`` a list of day names, times as
        ``HH:MM``, ``breaks`` a list of ``HH:MM-HH:MM``) and raw cell text alike.
        """
        name = str(calendar_row["calendar"])
        off: set[date] = set()
        worked: set[date] = set()
        for row in holiday_rows:
            if row.get("calendar") != name or row.get("date") in (None, ""):
                continue
            day = row["date"] if isinstance(row["date"], date) else date.fromisoformat(str(row["date"]))
            kind = str(row.get("kind") or "holiday").casefold()
            if kind not in HOLIDAY_KINDS:
                raise CalendarError(f'kind must be one of {", ".join(HOLIDAY_KINDS)}; got "{kind}"', "kind")
            (worked if kind == "workday" else off).add(day)
        country = calendar_row.get("holiday_country")
        code = country_code(str(country)) if country else None
        published = {
            int(row["year"]): (
                frozenset(date.fromisoformat(str(d)) for d in row.get("off") or ()),
                frozenset(date.fromisoformat(str(d)) for d in row.get("worked") or ()),
            )
            for row in public_rows
            if code is not None and row.get("country") == code
        }
        return cls(
            name=name,
            timezone=str(calendar_row["timezone"]),
            workdays=parse_workdays(calendar_row["workdays"]),
            start=parse_time_of_day(str(calendar_row["start"]), "start"),
            end=parse_time_of_day(str(calendar_row["end"]), "end"),
            breaks=parse_breaks(calendar_row.get("breaks") or None),
            holiday_country=str(country) if country else None,
            days_off=frozenset(off),
            make_up_days=frozenset(worked),
            published_days=published,
        )

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a local date) is worked: Holidays rows, then public days, then the week."""
        if day in self.days_off:
            return False
        if day in self.make_up_days:
            return True
        if self.holiday_country is not None:
            published = self.published_days.get(day.year)
            public_off, public_worked = published or public_days(self.holiday_country, day.year)
            if day in public_off:
                return False
            if day in public_worked:
                return True
        return day.weekday() in self.workdays

    def _spans(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        """Working intervals of one local day (by ordinal), as epoch microseconds; cached."""
        spans = self._days.get(ordinal)
        if spans is None:
            day = date.fromordinal(ordinal)
            if self.is_working_day(day):
                found = []
                for open_at, close_at in self._shifts:
                    a, b = _local_us(self._zone, day, open_at), _local_us(self._zone, day, close_at)
                    if a < b:  # a shift wholly inside a DST gap has no time
                        found.append((a, b))
                spans = tuple(found)
            else:
                spans = ()
            if len(self._days) >= _CACHE_DAYS:
                self._days.clear()
            self._days[ordinal] = spans
        return spans


def calendars_from_content(content: Mapping[str, Sequence[Mapping[str, Any]]]) -> dict[str, Calendar]:
    """Every calendar of a rules version's content, by name (Calendars plus Holidays tabs)."""
    holiday_rows = list(content.get("Holidays", []))
    public_rows = list(content.get(PUBLIC_HOLIDAYS_TAB, []))
    return {
        str(row["calendar"]): Calendar.from_rows(row, holiday_rows, public_rows) for row in content.get("Calendars", [])
    }


def _subtract(start: timedelta, end: timedelta, breaks: Sequence[Break]) -> tuple[Break, ...]:
    shifts: list[Break] = []
    at = start
    for b_start, b_end in breaks:
        if b_start > at:
            shifts.append((at, b_start))
        at = max(at, b_end)
    if end > at:
        shifts.append((at, end))
    return tuple(shifts)


# ---------------------------------------------------------------------------------------
# Instants as integer microseconds


def _to_us(instant: datetime) -> int:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} has no time zone: pass an aware datetime")
    return (instant - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _local_us(zone: ZoneInfo, day: date, offset: timedelta) -> int:
    """The instant a local wall time happens: first occurrence if twice, the DST jump if never."""
    naive = datetime.combine(day, time()) + offset  # 24:00 is the next day's 00:00
    us = _to_us(naive.replace(tzinfo=zone))  # fold=0: the first occurrence, or after a gap
    if _from_us(us).astimezone(zone).replace(tzinfo=None) == naive:
        return us
    # Skipped by a jump forward: fold=1 reads the time with the offset after the jump (an
    # instant before the jump), fold=0 with the offset before it (an instant after). Find the
    # jump between them, to the second (zones jump on whole seconds).
    before = _to_us(naive.replace(tzinfo=zone, fold=1)) // 1_000_000
    after = -(-us // 1_000_000)
    offset_before = _from_us(before * 1_000_000).astimezone(zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if _from_us(middle * 1_000_000).astimezone(zone).utcoffset() == offset_before:
            before = middle
        else:
            after = middle
    return after * 1_000_000


def _amount_us(amount: Hours) -> int:
    if isinstance(amount, timedelta):
        us = amount // _US
    elif isinstance(amount, Decimal):
        if not amount.is_finite():
            raise ValueError(f"hours must be a finite number, got {amount}")
        us = int((amount * _US_PER_HOUR).to_integral_value(ROUND_HALF_EVEN))
    elif isinstance(amount, int | float) and not isinstance(amount, bool):
        try:
            us = round(amount * _US_PER_HOUR)
        except (OverflowError, ValueError):
            raise ValueError(f"hours must be a finite number, got {amount}") from None
    else:
        raise TypeError(f"hours must be a number or a timedelta, got {type(amount).__name__}")
    if us < 0:
        raise ValueError(f"cannot add a negative amount of time ({amount})")
    return us


def _pause_spans(pauses: Iterable[Pause]) -> list[tuple[int, int]]:
    """Pauses sorted and merged; an open pause runs to _FOREVER."""
    spans = []
    for pause_start, pause_end in pauses:
        a = _to_us(pause_start)
        b = _FOREVER if pause_end is None else _to_us(pause_end)
        if b < a:
            raise ValueError(f"a pause ends ({pause_end}) before it starts ({pause_start})")
        if b > a:
            spans.append((a, b))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _running(calendar: Calendar | None, from_us: int) -> Iterator[tuple[int, int]]:
    """Working intervals from ``from_us`` on, in order (the first clipped to start there)."""
    if calendar is None:  # wall clock: always running
        yield from_us, _FOREVER
        return
    ordinal = _from_us(from_us).astimezone(calendar.zone).toordinal()
    idle = 0
    while True:
        spans = calendar._spans(ordinal)
        if spans:
            idle = 0
            for a, b in spans:
                if b > from_us:
                    yield max(a, from_us), b
        else:
            idle += 1
            if idle > _MAX_IDLE_DAYS:
                raise CalendarError(
                    f"calendar {calendar.name} has no working time for ten years after {_from_us(from_us)}"
                )
        ordinal += 1


def _minus(intervals: Iterable[tuple[int, int]], pauses: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The parts of the intervals outside the pauses; stops at an open pause."""
    if not pauses:
        yield from intervals
        return
    i, n = 0, len(pauses)
    for a, b in intervals:
        while a < b:
            while i < n and pauses[i][1] <= a:
                i += 1
            if i == n or pauses[i][0] >= b:
                yield a, b
                break
            pause_start, pause_end = pauses[i]
            if pause_start > a:
                yield a, pause_start
            if pause_end >= _FOREVER:
                return
            a = pause_end


def _add(calendar: Calendar | None, start: datetime, amount: Hours, pauses: Iterable[Pause]) -> datetime | None:
    left = _amount_us(amount)
    from_us = _to_us(start)
    if left == 0:
        return _from_us(from_us)
    for a, b in _minus(_running(calendar, from_us), _pause_spans(pauses)):
        if left <= b - a:
            return _from_us(a + left)
        left -= b - a
    return None  # an open pause stopped the clock first


def _between(calendar: Calendar | None, start: datetime, end: datetime, pauses: Iterable[Pause]) -> timedelta:
    from_us, to_us = _to_us(start), _to_us(end)
    total = 0
    if to_us > from_us:
        for a, b in _minus(_running(calendar, from_us), _pause_spans(pauses)):
            if a >= to_us:
                break
            total += min(b, to_us) - a
    return timedelta(microseconds=total)


# ---------------------------------------------------------------------------------------
# The public arithmetic


@overload
def add_business_time(calendar: Calendar, start: datetime, hours: Hours) -> datetime: ...
@overload
def add_business_time(
    calendar: Calendar, start: datetime, hours: Hours, pauses: Iterable[Pause]
) -> datetime | None: ...
def add_business_time(
    calendar: Calendar, start: datetime, hours: Hours, pauses: Iterable[Pause] = ()
) -> datetime | None:
    """The instant (UTC) at which ``hours`` of working time have elapsed after ``start``.

    Starting outside working time counts from the next opening. The answer is the earliest
    such instant: inside working time or exactly at the end of a working interval. Zero hours
    give ``start`` itself. With pauses, paused time does not count; None if an open pause
    stops the clock before the target (there is no due time until the pause ends).
    """
    return _add(calendar, start, hours, pauses)


def business_time_between(
    calendar: Calendar, start: datetime, end: datetime, pauses: Iterable[Pause] = ()
) -> timedelta:
    """Working time in ``[start, end)`` outside the pauses; zero if ``end`` is not after ``start``."""
    return _between(calendar, start, end, pauses)


@overload
def add_wall_time(start: datetime, hours: Hours) -> datetime: ...
@overload
def add_wall_time(start: datetime, hours: Hours, pauses: Iterable[Pause]) -> datetime | None: ...
def add_wall_time(start: datetime, hours: Hours, pauses: Iterable[Pause] = ()) -> datetime | None:
    """Like :func:`add_business_time` on the wall clock (every instant counts), in UTC."""
    return _add(None, start, hours, pauses)


def wall_time_between(start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
    return _between(None, start, end, pauses)


def is_working(calendar: Calendar, instant: datetime) -> bool:
    """Whether ``instant`` is working time (open ≤ instant < close on a working day)."""
    us = _to_us(instant)
    spans = calendar._spans(_from_us(us).astimezone(calendar.zone).toordinal())
    return any(a <= us < b for a, b in spans)


def next_working_instant(calendar: Calendar, instant: datetime) -> datetime:
    """``instant`` itself (in UTC) if it is working time, else the next opening."""
    a, _ = next(_running(calendar, _to_us(instant)))
    return _from_us(a)


def working_intervals(calendar: Calendar, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The working intervals ``[open, close)`` (UTC) within ``[start, end)``, clipped to it, in order."""
    to_us = _to_us(end)
    for a, b in _running(calendar, _to_us(start)):
        if a >= to_us:
            return
        yield _from_us(a), _from_us(min(b, to_us))


@dataclass(frozen=True)
class TimeBasis:
    """How a target is counted: business hours of a calendar, or the wall clock (``calendar`` None).

    One interface for SLA clocks, approval time-outs and renewals, so callers don't branch on
    an SLA row's ``business_hours``.
    """

    calendar: Calendar | None = None

    @classmethod
    def of(cls, business_hours: bool, calendar: Calendar | None) -> TimeBasis:
        if not business_hours:
            return cls(None)
        if calendar is None:
            raise CalendarError("business hours need a calendar", "calendar")
        return cls(calendar)

    @property
    def business_hours(self) -> bool:
        return self.calendar is not None

    @overload
    def add(self, start: datetime, hours: Hours) -> datetime: ...
    @overload
    def add(self, start: datetime, hours: Hours, pauses: Iterable[Pause]) -> datetime | None: ...
    def add(self, start: datetime, hours: Hours, pauses: Iterable[Pause] = ()) -> datetime | None:
        return _add(self.calendar, start, hours, pauses)

    def between(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> timedelta:
        return _between(self.calendar, start, end, pauses)

    def is_running(self, instant: datetime) -> bool:
        return self.calendar is None or is_working(self.calendar, instant)

    def next_running_instant(self, instant: datetime) -> datetime:
        if self.calendar is None:
            return _from_us(_to_us(instant))
        return next_working_instant(self.calendar, instant)
