"""`closeloop schedule run NAME --at T`: T is exact (a timer's due time, milliseconds and all,
fires that timer) and must say its offset (a bare local time is refused, not read as UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from infra.cli_rules import CommandError, parse_instant
from infra.local.scheduler import event_time
from shared.kernel.domain.events import parse_iso


def test_a_due_time_with_milliseconds_reaches_the_sweep_unchanged() -> None:
    due = "2026-11-23T07:00:00.500Z"
    assert parse_iso(event_time(parse_instant(due))) == parse_iso(due)
    assert event_time(parse_instant("2026-11-23T15:00:00+08:00")) == "2026-11-23T07:00:00Z"


def test_an_instant_without_offset_is_refused_with_how_to_say_it() -> None:
    with pytest.raises(CommandError, match=r"no offset: add Z .*T15:00:00\+08:00"):
        parse_instant("2026-11-23T15:00:00")


def test_the_default_is_now_in_whole_seconds() -> None:
    now = parse_instant(None)
    assert now.tzinfo is UTC and now.microsecond == 0 and abs((datetime.now(UTC) - now).total_seconds()) < 5
