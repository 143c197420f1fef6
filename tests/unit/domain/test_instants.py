"""Instants and dates from requests (CONTRACT §14): read in one place, refused outside 1900–2200
whatever the offset, and written one way, zero-padded, so stored instants sort as text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from shared.kernel.domain.events import iso, parse_date, parse_iso

OFFSETS = [f"{sign}{h:02d}:{m:02d}" for sign in "+-" for h in range(15) for m in (0, 30, 45) if h < 14 or m == 0]


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("day", ["0001-01-01", "0001-12-31", "0999-06-15", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_an_instant_at_the_ends_of_the_calendar_is_refused_at_every_offset(day: str, offset: str) -> None:
    for clock in ("00:00:00", "12:00:00", "23:59:59.999999"):
        with pytest.raises(ValueError):
            parse_iso(f"{day}T{clock}{offset}")
    with pytest.raises(ValueError):
        parse_iso(day)


@pytest.mark.parametrize(
    "text", ["1900-01-01T00:00:00-14:00", "1900-01-01T00:00:00Z", "2200-12-31T23:59:59Z", "2200-12-31T09:59:59+14:00"]
)
def test_the_first_and_last_instants_in_utc_are_accepted(text: str) -> None:
    assert 1900 <= parse_iso(text).year <= 2200


@pytest.mark.parametrize("text", ["1900-01-01T00:00:00+00:01", "2200-12-31T23:59:59-00:01"])
def test_an_offset_that_carries_the_instant_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_iso(text)


def test_instants_are_written_zero_padded_to_the_millisecond() -> None:
    assert iso(datetime(1900, 1, 2, 3, 4, 5, 678999, tzinfo=UTC)) == "1900-01-02T03:04:05.678Z"
    assert iso(datetime(2026, 12, 6, 23, 30, tzinfo=timezone(timedelta(hours=8)))) == "2026-12-06T15:30:00.000Z"
    # what an older iso() wrote for year 999 ("999-06-15T…") did not even parse back
    assert iso(datetime(999, 6, 15, 12, tzinfo=UTC)) == "0999-06-15T12:00:00.000Z"


def test_what_is_written_reads_back_and_sorts_as_text() -> None:
    moments = [datetime(1900, 1, 1, tzinfo=UTC) + timedelta(days=d, microseconds=1000) for d in (0, 9, 40000, 109000)]
    written = [iso(m) for m in moments]
    assert sorted(written) == written and [parse_iso(w) for w in written] == moments


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1899-12-31", "2201-01-01", "2026-W01-1", "20261231"])
def test_a_date_outside_the_range_or_not_written_yyyy_mm_dd_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_date(text)


def test_a_date_in_range_is_read() -> None:
    assert parse_date("1900-01-01") == date(1900, 1, 1) and parse_date("2200-12-31") == date(2200, 12, 31)
    with pytest.raises(ValueError):
        parse_date("２０２６-０１-０１")  # fullwidth digits
