"""Business-hours calendars (CONTRACT §9): parsing the tab cells, which days are worked, and
business-time arithmetic — by hand-computed tables and by properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.time.domain.calendar_cells import (
    PUBLIC_HOLIDAYS_TAB,
    CalendarError,
    normalize_calendar_row,
    parse_breaks,
    parse_holiday_country,
    parse_time_of_day,
    parse_workdays,
    public_holidays_rows,
)
from shared.time.domain.calendars import (
    Calendar,
    TimeBasis,
    add_business_time,
    add_wall_time,
    business_time_between,
    calendars_from_content,
    is_working,
    next_working_instant,
    wall_time_between,
    working_intervals,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def at(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)  # type: ignore[arg-type,misc]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


def as_utc(instant: datetime) -> datetime:
    """Compare and subtract instants in UTC: Python compares two datetimes of the same zone
    by wall time (wrong across a fall-back hour) and adds timedeltas on the wall clock."""
    return instant.astimezone(UTC)


def calendar(**cells: str) -> Calendar:
    """A calendar from Calendars cells as an ops person types them."""
    row = {"calendar": "test", "timezone": "UTC", "workdays": "mon-fri", "start": "09:00", "end": "18:00"}
    return Calendar.from_rows({**row, **cells})


# The sales team: Mon–Fri 09:00–18:00, lunch 12:00–13:00, Shanghai; no public holidays.
SALES = calendar(timezone="Asia/Shanghai", breaks="12:00-13:00")

# The China office as in admin_sheets/examples: 周一至周五 09:00–18:00, lunch 12:00–13:30,
# CN public holidays, plus the Holidays rows for the 2027 Spring Festival as ops would type
# them (the State Council publishes each year's schedule late in the year before, so the
# holidays package cannot know it): days off Feb 5–13, make-up Saturdays Jan 30 and Feb 20.
CN_HOLIDAY_ROWS: list[dict[str, Any]] = [
    {"calendar": "cn-office", "date": "2026-12-31", "name": "公司年会", "kind": None},
    {"calendar": "cn-office", "date": "2027-01-30", "name": "春节调休上班", "kind": "workday"},
    *({"calendar": "cn-office", "date": f"2027-02-{d:02d}", "name": "春节", "kind": "holiday"} for d in range(5, 14)),
    {"calendar": "cn-office", "date": "2027-02-20", "name": "春节调休上班", "kind": "workday"},
    {"calendar": "intl", "date": "2027-02-15", "name": "someone else's day off", "kind": None},
]
CN_ROW = {
    "calendar": "cn-office",
    "timezone": "Asia/Shanghai",
    "workdays": "周一至周五",
    "start": "09:00",
    "end": "18:00",
    "breaks": "12:00-13:30",
    "holiday_country": "CN",
}
CN_OFFICE = Calendar.from_rows(CN_ROW, CN_HOLIDAY_ROWS)

ALWAYS_BERLIN = calendar(timezone="Europe/Berlin", workdays="mon-sun", start="00:00", end="24:00")


# --- parsing the tab cells ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("mon,tue,wed,thu,fri", {0, 1, 2, 3, 4}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("Mon - Fri", {0, 1, 2, 3, 4}),
        ("mon-sun", set(range(7))),
        ("sun-thu", {6, 0, 1, 2, 3}),  # a range may wrap around the week
        ("周一至周五", {0, 1, 2, 3, 4}),
        ("周一至五", {0, 1, 2, 3, 4}),
        ("周一,周三", {0, 2}),
        ("周一、周三，周六", {0, 2, 5}),
        ("星期一到星期日", set(range(7))),
        ("monday,saturday", {0, 5}),
        ("mon-wed,fri", {0, 1, 2, 4}),
    ],
)
def test_workdays_cells(text: str, days: set[int]) -> None:
    assert parse_workdays(text) == days


def test_workdays_as_the_validator_stores_them() -> None:
    assert parse_workdays(["mon", "tue", "wed"]) == {0, 1, 2}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mon,funday", 'workdays must be one of mon, tue, wed, thu, fri, sat, sun; got "funday"'),
        ("mon-fun", 'workdays must be one of mon, tue, wed, thu, fri, sat, sun; got "fun"'),
        ("mon-wed-fri", 'workdays: a range is two days like mon-fri, got "mon-wed-fri"'),
        (",", "workdays needs at least one day, like mon-fri"),
    ],
)
def test_bad_workdays_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(CalendarError) as error:
        parse_workdays(text)
    assert str(error.value) == message and error.value.column == "workdays"


@pytest.mark.parametrize(
    ("text", "offset"),
    [
        ("09:00", timedelta(hours=9)),
        ("9:00", timedelta(hours=9)),
        ("18:30:00", timedelta(hours=18, minutes=30)),
        ("9：00", timedelta(hours=9)),
        ("00:00", timedelta(0)),
        ("24:00", timedelta(hours=24)),
        ("24:00:00", timedelta(hours=24)),
        ("1 day, 0:00:00", timedelta(hours=24)),  # how a spreadsheet duration of 24:00 reads
    ],
)
def test_times_of_day(text: str, offset: timedelta) -> None:
    assert parse_time_of_day(text) == offset


@pytest.mark.parametrize("text", ["9am", "24:30", "25:00", "12:60", "noon", ""])
def test_bad_times_of_day(text: str) -> None:
    with pytest.raises(CalendarError, match="end must be a time like 09:00"):
        parse_time_of_day(text, "end")


def test_breaks_cells() -> None:
    lunch = (timedelta(hours=12), timedelta(hours=13, minutes=30))
    tea = (timedelta(hours=15), timedelta(hours=15, minutes=15))
    assert parse_breaks("12:00-13:30") == (lunch,)
    assert parse_breaks("15:00~15:15， 12:00 - 13:30") == (lunch, tea)
    assert parse_breaks(["12:00-13:30", "15:00-15:15"]) == (lunch, tea)
    assert parse_breaks("12:00至13:30") == (lunch,)
    assert parse_breaks(None) == parse_breaks("") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("noon", 'breaks must be times like 12:00-13:30, got "noon"'),
        ("12:00-25:00", 'breaks must be times like 12:00-13:30, got "12:00-25:00"'),
        ("13:00-12:00", "break 13:00-12:00 must end after it starts"),
        ("12:00-13:00,12:30-14:00", "breaks 12:00-13:00 and 12:30-14:00 overlap"),
    ],
)
def test_bad_breaks(text: str, message: str) -> None:
    with pytest.raises(CalendarError) as error:
        parse_breaks(text)
    assert str(error.value) == message


def test_holiday_country() -> None:
    assert parse_holiday_country("cn") == "CN"
    assert parse_holiday_country("de-by") == "DE-BY"
    with pytest.raises(CalendarError, match='"XX" is not a country'):
        parse_holiday_country("XX")
    with pytest.raises(CalendarError, match='DE has no subdivision "ZZ"'):
        parse_holiday_country("DE-ZZ")


def test_a_row_is_normalized_to_content_and_every_bad_cell_is_reported() -> None:
    values, errors = normalize_calendar_row(CN_ROW)
    assert errors == []
    assert values == {
        "workdays": ["mon", "tue", "wed", "thu", "fri"],
        "start": "09:00",
        "end": "18:00",
        "breaks": ["12:00-13:30"],
        "holiday_country": "CN",
    }
    values, errors = normalize_calendar_row({**CN_ROW, "workdays": "mon-xyz", "breaks": "lunch"})
    assert [(e.column, str(e)) for e in errors] == [
        ("workdays", 'workdays must be one of mon, tue, wed, thu, fri, sat, sun; got "xyz"'),
        ("breaks", 'breaks must be times like 12:00-13:30, got "lunch"'),
    ]
    assert values["workdays"] == [] and values["breaks"] == []


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"start": "18:00", "end": "09:00"}, "end", "end 09:00 must be after start 18:00"),
        ({"start": "09:00", "end": "09:00"}, "end", "end 09:00 must be after start 09:00"),
        ({"breaks": "08:00-09:30"}, "breaks", "break 08:00-09:30 is outside working hours 09:00-18:00"),
        ({"breaks": "12:00-18:30"}, "breaks", "break 12:00-18:30 is outside working hours 09:00-18:00"),
        ({"breaks": "09:00-13:00,13:00-18:00"}, "breaks", "breaks fill the whole working day 09:00-18:00"),
    ],
)
def test_working_hours_that_contradict_themselves(cells: dict[str, str], column: str, message: str) -> None:
    _, errors = normalize_calendar_row({**CN_ROW, **cells})
    assert [(e.column, str(e)) for e in errors] == [(column, message)]
    with pytest.raises(CalendarError, match=message):
        calendar(**cells)


def test_a_calendar_refuses_what_cannot_work() -> None:
    with pytest.raises(CalendarError, match="is not a time zone"):
        calendar(timezone="Asia/Shangai")
    with pytest.raises(CalendarError, match="2027-02-06 is both a day off and a working day"):
        Calendar(
            "x",
            days_off=frozenset({date(2027, 2, 6)}),
            make_up_days=frozenset({date(2027, 2, 6)}),
        )
    with pytest.raises(CalendarError, match="workdays"):
        Calendar("x", workdays=frozenset())
    with pytest.raises(CalendarError, match="kind must be one of holiday, workday"):
        Calendar.from_rows(CN_ROW, [{"calendar": "cn-office", "date": "2027-02-06", "kind": "off"}])


def test_the_example_workbook_gives_the_china_office_and_international_calendars() -> None:
    from admin_sheets.parse import validate_source
    from tests.unit.admin_sheets.helpers import EXAMPLES

    content = validate_source(f"dir:{EXAMPLES}").content
    assert content is not None
    calendars = calendars_from_content(content)
    assert set(calendars) == {"cn-office", "intl"}
    office = calendars["cn-office"]
    assert office.breaks == CN_OFFICE.breaks and office.holiday_country == "CN"
    assert office.make_up_days == {date(2027, 1, 30), date(2027, 2, 20)}
    assert {date(2027, 2, d) for d in range(5, 14)} <= office.days_off
    # Calendars built from validated content equal those built from raw cells.
    assert Calendar.from_rows(content["Calendars"][0], content["Holidays"]) == office


# --- which days are worked ------------------------------------------------------------------------


def test_public_holidays_and_their_official_make_up_days() -> None:
    # 2026 National Day: Oct 1–7 off; the package also knows the make-up days (Sun Sep 20, Sat Oct 10).
    assert not any(CN_OFFICE.is_working_day(date(2026, 10, d)) for d in range(1, 8))
    assert CN_OFFICE.is_working_day(date(2026, 10, 8))
    assert CN_OFFICE.is_working_day(date(2026, 9, 20)) and CN_OFFICE.is_working_day(date(2026, 10, 10))
    assert not CN_OFFICE.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert not CN_OFFICE.is_working_day(date(2026, 12, 31))  # the company's own day off


def test_spring_festival_2027_from_the_holidays_tab() -> None:
    # The package alone guesses a shorter break (Feb 11 a working Thursday) and no make-up days.
    guessed = Calendar("guess", "Asia/Shanghai", holiday_country="CN")
    assert guessed.is_working_day(date(2027, 2, 11)) and not guessed.is_working_day(date(2027, 1, 30))
    # The Holidays tab says what the office really does.
    assert not any(CN_OFFICE.is_working_day(date(2027, 2, d)) for d in range(5, 15))
    assert CN_OFFICE.is_working_day(date(2027, 2, 4)) and CN_OFFICE.is_working_day(date(2027, 2, 15))
    assert CN_OFFICE.is_working_day(date(2027, 1, 30)) and CN_OFFICE.is_working_day(date(2027, 2, 20))
    # A make-up Saturday has the normal hours, lunch included.
    saturday = list(working_intervals(CN_OFFICE, at(SHANGHAI, 2027, 1, 30), at(SHANGHAI, 2027, 1, 31)))
    assert saturday == [(utc(2027, 1, 30, 1), utc(2027, 1, 30, 4)), (utc(2027, 1, 30, 5, 30), utc(2027, 1, 30, 10))]


def test_the_holidays_tab_can_make_a_public_holiday_a_working_day() -> None:
    office = Calendar.from_rows(CN_ROW, [{"calendar": "cn-office", "date": "2026-10-05", "kind": "workday"}])
    assert office.is_working_day(date(2026, 10, 5)) and not office.is_working_day(date(2026, 10, 6))


# --- arithmetic: hand-computed cases --------------------------------------------------------------


def test_a_lead_assigned_friday_evening_is_due_monday_afternoon() -> None:
    # Fri 17:30–18:00 = 0.5 h; Mon 09:00–12:00 = 3 h (3.5 h); lunch; 13:00 + 1.5 h = 14:30.
    due = add_business_time(SALES, at(SHANGHAI, 2026, 3, 13, 17, 30), 5)
    assert due == at(SHANGHAI, 2026, 3, 16, 14, 30) == utc(2026, 3, 16, 6, 30)
    assert due.tzinfo is UTC


def test_a_case_opened_during_lunch_counts_from_1330() -> None:
    opened = at(SHANGHAI, 2026, 3, 17, 12, 15)
    assert not is_working(CN_OFFICE, opened)
    assert next_working_instant(CN_OFFICE, opened) == at(SHANGHAI, 2026, 3, 17, 13, 30)
    assert add_business_time(CN_OFFICE, opened, 1) == at(SHANGHAI, 2026, 3, 17, 14, 30)
    assert business_time_between(CN_OFFICE, opened, at(SHANGHAI, 2026, 3, 17, 13, 45)) == timedelta(minutes=15)


def test_a_target_reached_as_lunch_starts_is_due_at_noon() -> None:
    morning = at(SHANGHAI, 2026, 3, 17, 9)
    assert add_business_time(CN_OFFICE, morning, 3) == at(SHANGHAI, 2026, 3, 17, 12)
    assert add_business_time(CN_OFFICE, morning, 3 * H + US) == at(SHANGHAI, 2026, 3, 17, 13, 30) + US
    # Intervals are half-open: 12:00 is lunch, 11:59:59.999999 and 13:30 are work.
    assert not is_working(CN_OFFICE, at(SHANGHAI, 2026, 3, 17, 12))
    assert is_working(CN_OFFICE, at(SHANGHAI, 2026, 3, 17, 12) - US)
    assert is_working(CN_OFFICE, at(SHANGHAI, 2026, 3, 17, 13, 30))


def test_a_case_opened_on_a_holiday_counts_from_the_next_working_morning() -> None:
    opened = at(SHANGHAI, 2026, 10, 3, 10)  # National Day holidays until Oct 7
    assert next_working_instant(CN_OFFICE, opened) == at(SHANGHAI, 2026, 10, 8, 9)
    assert add_business_time(CN_OFFICE, opened, 2) == at(SHANGHAI, 2026, 10, 8, 11)
    # Wed Dec 30 17:00–18:00; Dec 31 (company), Jan 1 (public) and the weekend off; Mon 09:00 + 1 h.
    assert add_business_time(CN_OFFICE, at(SHANGHAI, 2026, 12, 30, 17), 2) == at(SHANGHAI, 2027, 1, 4, 10)


def test_spring_festival_2027_arithmetic() -> None:
    # Thu Feb 4 17:00–18:00 = 1 h; off Feb 5–14; Mon Feb 15 09:00 + 3 h = 12:00, exactly as lunch starts.
    assert add_business_time(CN_OFFICE, at(SHANGHAI, 2027, 2, 4, 17), 4) == at(SHANGHAI, 2027, 2, 15, 12)
    # Fri Jan 29 17:00–18:00 = 1 h; the make-up Saturday Jan 30 09:00 + 1 h.
    assert add_business_time(CN_OFFICE, at(SHANGHAI, 2027, 1, 29, 17), 2) == at(SHANGHAI, 2027, 1, 30, 10)
    # Over the whole festival only Feb 4 and Feb 15 count: 7.5 h each.
    spent = business_time_between(CN_OFFICE, at(SHANGHAI, 2027, 2, 4), at(SHANGHAI, 2027, 2, 16))
    assert spent == timedelta(hours=15)


def test_an_international_calendar_skips_christmas() -> None:
    intl = Calendar.from_rows(
        {"calendar": "intl", "timezone": "UTC", "workdays": "mon-fri", "start": "09:00", "end": "17:00"},
        [{"calendar": "intl", "date": "2026-12-25", "name": "Christmas Day"}],
    )
    # Thu Dec 24 16:30–17:00; Fri Dec 25 and the weekend off; Mon Dec 28 09:00 + 0.5 h.
    assert add_business_time(intl, utc(2026, 12, 24, 16, 30), 1) == utc(2026, 12, 28, 9, 30)


def test_around_midnight() -> None:
    # Office hours: from late evening the clock starts next morning.
    assert add_business_time(SALES, at(SHANGHAI, 2026, 3, 18, 23, 59, 59), 1) == at(SHANGHAI, 2026, 3, 19, 10)
    # An evening shift to 24:00: reaching the end exactly gives midnight, not Monday.
    evening = calendar(timezone="Asia/Shanghai", start="18:00", end="24:00")
    friday_late = at(SHANGHAI, 2026, 3, 13, 23)
    assert add_business_time(evening, friday_late, 1) == at(SHANGHAI, 2026, 3, 14, 0)
    assert add_business_time(evening, friday_late, 2) == at(SHANGHAI, 2026, 3, 16, 19)
    assert not is_working(evening, at(SHANGHAI, 2026, 3, 14, 0))
    assert next_working_instant(evening, at(SHANGHAI, 2026, 3, 14, 0)) == at(SHANGHAI, 2026, 3, 16, 18)
    # A night shift 22:00–06:00 is 00:00–24:00 with the day as a break; it crosses midnight.
    night = calendar(timezone="Asia/Shanghai", workdays="mon-sun", start="00:00", end="24:00", breaks="06:00-22:00")
    assert add_business_time(night, at(SHANGHAI, 2026, 3, 17, 21), 3) == at(SHANGHAI, 2026, 3, 18, 1)
    # 24x7 runs straight through midnight.
    assert add_business_time(ALWAYS_BERLIN, at(BERLIN, 2026, 3, 17, 23), 2) == at(BERLIN, 2026, 3, 18, 1)


def test_dst_spring_forward_and_fall_back_in_berlin() -> None:
    # 2026-03-29: 02:00 CET → 03:00 CEST, a 23-hour day; 2026-10-25: 03:00 CEST → 02:00 CET, 25 hours.
    assert business_time_between(ALWAYS_BERLIN, at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)) == 23 * H
    assert business_time_between(ALWAYS_BERLIN, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)) == 25 * H
    # 24 business hours on 24x7 are 24 real hours, whatever the wall clock then shows.
    assert add_business_time(ALWAYS_BERLIN, at(BERLIN, 2026, 3, 28, 12), 24) == at(BERLIN, 2026, 3, 29, 13)
    # Office hours are local: Fri 16:00 CET + 2 h = Mon 10:00 CEST (08:00 UTC, not 09:00).
    office = calendar(timezone="Europe/Berlin", end="17:00")
    assert add_business_time(office, at(BERLIN, 2026, 3, 27, 16), 2) == utc(2026, 3, 30, 8)
    assert business_time_between(office, at(BERLIN, 2026, 3, 27, 9), at(BERLIN, 2026, 3, 30, 17)) == 16 * H
    assert add_business_time(office, at(BERLIN, 2026, 10, 23, 16), 2) == utc(2026, 10, 26, 9)
    # Hours that span the change: 01:00–05:00 lasts 3 h on the short night, 5 h on the long one.
    night = calendar(timezone="Europe/Berlin", workdays="mon-sun", start="01:00", end="05:00")
    spring = list(working_intervals(night, at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)))
    autumn = list(working_intervals(night, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)))
    assert spring == [(utc(2026, 3, 29, 0), utc(2026, 3, 29, 3))]
    assert autumn == [(utc(2026, 10, 24, 23), utc(2026, 10, 25, 4))]


def test_local_times_the_clocks_skip_or_repeat() -> None:
    late = calendar(timezone="Europe/Berlin", workdays="mon-sun", start="02:30", end="06:00")
    # 02:30 does not exist on 2026-03-29: work starts when the clocks jump (03:00 CEST = 01:00 UTC).
    spring = list(working_intervals(late, at(BERLIN, 2026, 3, 29), at(BERLIN, 2026, 3, 30)))
    assert spring == [(utc(2026, 3, 29, 1), utc(2026, 3, 29, 4))]
    assert add_business_time(late, at(BERLIN, 2026, 3, 29), 1) == utc(2026, 3, 29, 2)
    # 02:30 happens twice on 2026-10-25: work starts at the first (CEST, 00:30 UTC).
    autumn = list(working_intervals(late, at(BERLIN, 2026, 10, 25), at(BERLIN, 2026, 10, 26)))
    assert autumn == [(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 5))]


def test_dst_in_new_york() -> None:
    always = calendar(timezone="America/New_York", workdays="mon-sun", start="00:00", end="24:00")
    # 2026-03-08 02:00 EST → 03:00 EDT: 24 h after Saturday noon the clock shows 13:00.
    assert add_business_time(always, at(NEW_YORK, 2026, 3, 7, 12), 24) == at(NEW_YORK, 2026, 3, 8, 13)
    # Fall back on Sunday 2026-11-01: Fri 16:00 EDT + 2 h = Mon 10:00 EST = 15:00 UTC.
    office = calendar(timezone="America/New_York", end="17:00")
    assert add_business_time(office, at(NEW_YORK, 2026, 10, 30, 16), 2) == utc(2026, 11, 2, 15)


def test_twenty_four_seven_is_the_wall_clock() -> None:
    start = at(BERLIN, 2026, 10, 24, 20, 15)  # the night before the clocks go back
    for hours in (0, 1, 5.25, 30, 1000):
        # Elapsed time, not Python's wall-clock "aware + timedelta" (which would be an hour later).
        expected = start.astimezone(UTC) + hours * H
        assert add_business_time(ALWAYS_BERLIN, start, hours) == expected == add_wall_time(start, hours)
    assert add_wall_time(start, 30) == at(BERLIN, 2026, 10, 26, 1, 15) != start + 30 * H


def test_a_thousand_hours() -> None:
    start = at(SHANGHAI, 2026, 1, 5, 10)  # Monday: 6.5 h left that day
    due = add_business_time(CN_OFFICE, start, 1000)
    # Then 132 full days of 7.5 h (Jan 6–Jul 20: 140 weekdays, minus 11 weekday public holidays,
    # plus the make-up Saturdays Feb 14, Feb 28 and May 9) = 990 h; 3.5 h more on Jul 21.
    assert due == at(SHANGHAI, 2026, 7, 21, 14)
    assert business_time_between(CN_OFFICE, start, due) == 1000 * H


def test_amounts_in_any_form_agree() -> None:
    start = at(SHANGHAI, 2026, 3, 17, 10)
    expected = at(SHANGHAI, 2026, 3, 17, 11, 30)
    for amount in (1.5, Decimal("1.5"), timedelta(minutes=90)):
        assert add_business_time(SALES, start, amount) == expected
    assert add_business_time(SALES, start, 0) == start  # nothing to add: the start itself
    assert add_business_time(SALES, start, 0.1) == start + timedelta(minutes=6)


@pytest.mark.parametrize("amount", [-1, Decimal("-0.5"), -H, float("nan"), float("inf"), Decimal("NaN")])
def test_negative_or_non_finite_amounts_are_refused(amount: float | Decimal | timedelta) -> None:
    with pytest.raises(ValueError):
        add_business_time(SALES, utc(2026, 3, 17), amount)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        add_business_time(SALES, datetime(2026, 3, 17, 10), 1)
    with pytest.raises(ValueError, match="no time zone"):
        is_working(SALES, datetime(2026, 3, 17, 10))


# --- pauses ---------------------------------------------------------------------------------------

TUESDAY = (2026, 3, 17)


def sh(hour: int, minute: int = 0) -> datetime:
    return at(SHANGHAI, *TUESDAY, hour, minute)


@pytest.mark.parametrize(
    ("pauses", "spent"),
    [
        ([], 8 * H),
        ([(sh(10), sh(11))], 7 * H),
        ([(sh(12, 30), sh(13, 30))], 7.5 * H),  # only the half hour after lunch was working time
        ([(sh(10), sh(11)), (sh(10, 30), sh(11, 30))], 6.5 * H),  # overlapping pauses count once
        ([(sh(16), sh(17)), (sh(10), sh(11))], 6 * H),  # any order
        ([(sh(15), None)], 5 * H),  # still waiting on the customer
        ([(sh(8), sh(10))], 7 * H),  # began before the start
        ([(sh(10), sh(10))], 8 * H),  # empty
    ],
)
def test_time_between_minus_pauses(pauses: list[tuple[datetime, datetime | None]], spent: timedelta) -> None:
    assert business_time_between(SALES, sh(9), sh(18), pauses) == spent


def test_adding_with_pauses() -> None:
    # 09–10 (1 h), paused 10–11, 11–12 (1 h), lunch, 13–15 (2 h).
    assert add_business_time(SALES, sh(9), 4, [(sh(10), sh(11))]) == sh(15)
    # A pause still open stops the clock: no due time until it ends ...
    assert add_business_time(SALES, sh(9), 4, [(sh(10), None)]) is None
    # ... unless the target comes first; it ends exactly where the pause begins, too.
    assert add_business_time(SALES, sh(9), 1, [(sh(10), None)]) == sh(10)
    # A pause that began before the start holds the clock until it ends.
    assert add_business_time(SALES, sh(9), 1, [(sh(8), sh(14))]) == sh(15)


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        business_time_between(SALES, sh(9), sh(18), [(sh(11), sh(10))])


# --- one interface for business hours and the wall clock ------------------------------------------


def test_time_basis() -> None:
    wall, business = TimeBasis.of(False, SALES), TimeBasis.of(True, SALES)
    assert not wall.business_hours and business.business_hours
    friday = at(SHANGHAI, 2026, 3, 13, 17, 30)
    assert wall.add(friday, 5) == friday + 5 * H
    assert business.add(friday, 5) == at(SHANGHAI, 2026, 3, 16, 14, 30)
    assert wall.between(sh(9), sh(18), [(sh(10), sh(11))]) == 8 * H
    assert business.between(sh(9), sh(18), [(sh(10), sh(11))]) == 7 * H
    assert wall.is_running(sh(12, 30)) and not business.is_running(sh(12, 30))
    assert wall.next_running_instant(sh(12, 30)) == sh(12, 30)
    assert business.next_running_instant(sh(12, 30)) == sh(13)
    assert wall.add(sh(9), 1, [(sh(9), None)]) is None
    assert wall_time_between(sh(9), sh(18)) == 9 * H
    with pytest.raises(CalendarError, match="business hours need a calendar"):
        TimeBasis.of(True, None)


# --- properties -----------------------------------------------------------------------------------

ZONES = ["UTC", "Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
SPAN = (datetime(2025, 6, 1), datetime(2027, 12, 31))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    workdays = draw(st.frozensets(st.integers(0, 6), min_size=1))
    start = draw(st.integers(0, 23 * 60))
    end = draw(st.integers(start + 60, 24 * 60)) if start <= 23 * 60 - 60 else 24 * 60
    inner = list(range(start + 1, end))
    points = sorted(draw(st.lists(st.sampled_from(inner), unique=True, max_size=4)))
    points = points[: len(points) // 2 * 2]
    breaks = tuple((timedelta(minutes=a), timedelta(minutes=b)) for a, b in zip(points[::2], points[1::2], strict=True))
    days = st.dates(date(2025, 6, 1), date(2028, 3, 31))
    days_off = draw(st.frozensets(days, max_size=25))
    make_up = draw(st.frozensets(days, max_size=10)) - days_off
    return Calendar(
        name="drawn",
        timezone=draw(st.sampled_from(ZONES)),
        workdays=workdays,
        start=timedelta(minutes=start),
        end=timedelta(minutes=end),
        breaks=breaks,
        holiday_country=draw(st.sampled_from([None, "CN", "DE", "US"])),
        days_off=days_off,
        make_up_days=make_up,
    )


# DST changes of the zones above in 2026 (UTC), where off-by-an-hour mistakes live.
CHANGES = [
    utc(2026, 3, 29, 1),  # Berlin
    utc(2026, 10, 25, 1),
    utc(2026, 3, 8, 7),  # New York
    utc(2026, 11, 1, 6),
    utc(2026, 4, 4, 15),  # Lord Howe: half an hour
    utc(2026, 10, 3, 15, 30),
]
anywhere = st.datetimes(
    min_value=SPAN[0],
    max_value=SPAN[1],
    timezones=st.sampled_from([UTC, *(ZoneInfo(z) for z in ZONES)]),
    allow_imaginary=False,
)
near_a_change = st.builds(
    lambda change, shift, zone: (change + shift).astimezone(ZoneInfo(zone)),
    st.sampled_from(CHANGES),
    st.timedeltas(-timedelta(hours=40), timedelta(hours=40)),
    st.sampled_from(ZONES),
)
instants = st.one_of(anywhere, near_a_change)
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=150))
positive = st.timedeltas(min_value=US, max_value=timedelta(hours=150))
pauses = st.lists(
    # the end is `length` after the start in real time: aware arithmetic is wall-clock, so start + length
    # from the second 01:00 of a DST fall-back (fold=1) would end an hour before it started
    st.tuples(instants, st.timedeltas(timedelta(0), timedelta(days=3))).map(
        lambda p: (p[0], (as_utc(p[0]) + p[1]).astimezone(p[0].tzinfo))
    ),
    max_size=4,
)
PROPERTIES = settings(deadline=None, max_examples=60)


@PROPERTIES
@given(calendars(), instants, amounts)
def test_adding_then_measuring_gives_back_the_amount(cal: Calendar, start: datetime, amount: timedelta) -> None:
    due = add_business_time(cal, start, amount)
    assert due.tzinfo is UTC and due >= start
    assert business_time_between(cal, start, due) == amount


@PROPERTIES
@given(calendars(), instants, positive)
def test_a_due_time_is_never_in_a_break_a_weekend_or_a_holiday(
    cal: Calendar, start: datetime, amount: timedelta
) -> None:
    due = add_business_time(cal, start, amount)
    # Inside working time, or exactly at the end of a working interval: just before it is working.
    just_before = due - US
    assert is_working(cal, just_before)
    assert cal.is_working_day(just_before.astimezone(cal.zone).date())
    assert due > start and due > next_working_instant(cal, start)


@PROPERTIES
@given(calendars(), instants, instants, amounts, amounts)
def test_adding_is_monotone(cal: Calendar, s1: datetime, s2: datetime, h1: timedelta, h2: timedelta) -> None:
    s1, s2 = sorted((s1, s2), key=as_utc)
    h1, h2 = sorted((h1, h2))
    assert add_business_time(cal, s1, h1) <= add_business_time(cal, s1, h2)
    assert add_business_time(cal, s1, h1) <= add_business_time(cal, s2, h1)


@PROPERTIES
@given(calendars(), instants, positive, positive)
def test_adding_in_two_steps_is_adding_once(cal: Calendar, start: datetime, a: timedelta, b: timedelta) -> None:
    assert add_business_time(cal, add_business_time(cal, start, a), b) == add_business_time(cal, start, a + b)


@PROPERTIES
@given(calendars(), instants, instants, instants)
def test_time_between_adds_up(cal: Calendar, t1: datetime, t2: datetime, t3: datetime) -> None:
    a, b, c = sorted((t1, t2, t3), key=as_utc)
    whole = business_time_between(cal, a, c)
    assert business_time_between(cal, a, b) + business_time_between(cal, b, c) == whole
    assert timedelta(0) <= whole <= as_utc(c) - as_utc(a)
    assert business_time_between(cal, c, a) == timedelta(0)


@PROPERTIES
@given(calendars(), instants)
def test_the_next_working_instant(cal: Calendar, instant: datetime) -> None:
    opening = next_working_instant(cal, instant)
    assert is_working(cal, opening) and opening >= instant
    assert business_time_between(cal, instant, opening) == timedelta(0)
    # the same instant, compared as one: PEP 495 makes a repeated local hour (fold=1) unequal to
    # its UTC twin under ==
    assert (opening.timestamp() == instant.timestamp()) == is_working(cal, instant)


@PROPERTIES
@given(calendars(), instants, amounts, pauses)
def test_pauses_round_trip_and_only_delay(
    cal: Calendar, start: datetime, amount: timedelta, stops: list[tuple[datetime, datetime | None]]
) -> None:
    due = add_business_time(cal, start, amount, stops)
    assert due is not None  # every pause here ends
    assert business_time_between(cal, start, due, stops) == amount
    assert due >= add_business_time(cal, start, amount)


@PROPERTIES
@given(st.sampled_from(ZONES), instants, amounts, instants)
def test_twenty_four_seven_equals_the_wall_clock(zone: str, start: datetime, amount: timedelta, end: datetime) -> None:
    always = calendar(timezone=zone, workdays="mon-sun", start="00:00", end="24:00")
    assert add_business_time(always, start, amount) == as_utc(start) + amount == add_wall_time(start, amount)
    assert business_time_between(always, start, end) == max(as_utc(end) - as_utc(start), timedelta(0))


# --- public holidays resolved when the rules are published (issue 14: the API's cold start) ---------


def test_published_rules_carry_their_countries_public_days_from_last_year_to_400_days_ahead() -> None:
    content = {"Calendars": [CN_ROW, {**CN_ROW, "calendar": "de", "holiday_country": "de_by"}]}
    rows = public_holidays_rows(content, date(2026, 3, 1))
    assert [(r["country"], r["year"]) for r in rows] == [
        ("CN", 2025), ("CN", 2026), ("CN", 2027), ("DE-BY", 2025), ("DE-BY", 2026), ("DE-BY", 2027)
    ]  # fmt: skip
    cn_2026 = next(r for r in rows if r["country"] == "CN" and r["year"] == 2026)
    assert "2026-10-01" in cn_2026["off"] and "2026-10-10" in cn_2026["worked"]  # National Day, its make-up Saturday


def test_a_calendar_from_published_rules_answers_as_the_package_does() -> None:
    content = {"Calendars": [CN_ROW], "Holidays": CN_HOLIDAY_ROWS}
    published = calendars_from_content(
        {**content, PUBLIC_HOLIDAYS_TAB: public_holidays_rows(content, date(2026, 3, 1))}
    )["cn-office"]
    days = [date(2025, 12, 20) + timedelta(days=n) for n in range(800)]  # published years and a later one
    assert [published.is_working_day(d) for d in days] == [CN_OFFICE.is_working_day(d) for d in days]
    assert published == CN_OFFICE


def test_a_calendar_reads_its_public_days_from_the_published_rows() -> None:
    # a published day off the package does not know: the published rows are what is read
    rows = [{"country": "CN", "year": 2026, "off": ["2026-03-02"], "worked": []}]
    office = calendars_from_content({"Calendars": [CN_ROW], PUBLIC_HOLIDAYS_TAB: rows})["cn-office"]
    assert not office.is_working_day(date(2026, 3, 2)) and CN_OFFICE.is_working_day(date(2026, 3, 2))


def test_published_calendars_never_import_the_holidays_package() -> None:
    # `import holidays` loads ~250 country modules: a lead's first SLA clock must not pay for it
    import subprocess
    import sys

    content = {"Calendars": [CN_ROW], PUBLIC_HOLIDAYS_TAB: public_holidays_rows({"Calendars": [CN_ROW]}, date.today())}
    code = f"""
import sys
from datetime import date, datetime, UTC
from shared.time.domain.calendars import add_business_time, calendars_from_content
office = calendars_from_content({content!r})["cn-office"]
add_business_time(office, datetime.now(UTC), 40)
assert "holidays" not in sys.modules, "imported holidays"
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
