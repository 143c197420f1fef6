"""Schedule expressions and the scheduler's clock; whether the local stack fires schedules."""

from __future__ import annotations

import datetime as dt

import pytest

from infra.cli import _parser, _stack_settings
from infra.event_sources import ScheduleSpec
from infra.local.scheduler import Scheduler, next_fire
from infra.local.stack import StackSettings
from infra.template import FunctionSpec

FUNCTION = FunctionSpec("Fn", "m.h", {}, [])
WEDNESDAY = dt.datetime(2026, 3, 4, 10, 17, 30, tzinfo=dt.UTC)


def _next(expression: str, after: dt.datetime, timezone: str) -> str | None:
    spec = ScheduleSpec("s", expression, FUNCTION, timezone=timezone)
    found = next_fire(spec, after.timestamp(), anchor=after.timestamp())
    return dt.datetime.fromtimestamp(found, dt.UTC).strftime("%a %Y-%m-%d %H:%M") if found else None


@pytest.mark.parametrize(
    ("expression", "timezone", "expected"),
    [
        ("rate(1 minute)", "UTC", "Wed 2026-03-04 10:18"),
        ("rate(5 minutes)", "UTC", "Wed 2026-03-04 10:22"),
        ("rate(2 hours)", "UTC", "Wed 2026-03-04 12:17"),
        ("rate(1 day)", "UTC", "Thu 2026-03-05 10:17"),
        ("cron(0/15 * * * ? *)", "UTC", "Wed 2026-03-04 10:30"),
        ("cron(0 8 * * ? *)", "UTC", "Thu 2026-03-05 08:00"),
        ("cron(0 9 ? * MON-FRI *)", "UTC", "Thu 2026-03-05 09:00"),
        ("cron(0 9 ? * 1 *)", "UTC", "Sun 2026-03-08 09:00"),  # 1 is Sunday, as in AWS
        ("cron(0 9 ? * SAT,SUN *)", "UTC", "Sat 2026-03-07 09:00"),
        ("cron(30 2 1 JAN,JUL ? *)", "UTC", "Wed 2026-07-01 02:30"),
        ("cron(0 0 1 1 ? 2025)", "UTC", None),  # only in the past
        ("cron(0 9 ? * MON-FRI *)", "Asia/Shanghai", "Thu 2026-03-05 01:00"),
        ("at(2026-03-04T18:30:00)", "Asia/Shanghai", "Wed 2026-03-04 10:30"),
        ("at(2026-03-04T10:00:00)", "UTC", None),
    ],
)
def test_next_firing(expression: str, timezone: str, expected: str | None) -> None:
    assert _next(expression, WEDNESDAY, timezone) == expected  # minutes shown: rates keep the :30


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("cron(0 L * * ? *)", "not played locally"),
        ("cron(0 8 ? * 2#1 *)", "not played locally"),
        ("cron(0 8 * * * *)", "exactly one of day-of-month and day-of-week"),
        ("cron(0 8 * * ?)", "six fields"),
        ("cron(61 8 * * ? *)", "outside 0-59"),
        ("rate(0 minutes)", "at least 1"),
        ("every 5 minutes", "expected rate"),
    ],
)
def test_expressions_the_local_stack_cannot_play_are_refused_at_start(expression: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Scheduler([ScheduleSpec("s", expression, FUNCTION)])


def test_the_scheduler_fires_by_its_clock_and_skips_disabled_schedules() -> None:
    now = [WEDNESDAY.timestamp()]
    every_minute = ScheduleSpec("tick", "rate(1 minute)", FUNCTION)
    disabled = ScheduleSpec("off", "rate(1 minute)", FUNCTION, enabled=False)
    scheduler = Scheduler([every_minute, disabled], clock=lambda: now[0])
    scheduler.start()
    assert scheduler.due() == []
    now[0] += 60
    assert [(s.name, at) for s, at in scheduler.due()] == [("tick", WEDNESDAY + dt.timedelta(minutes=1))]
    assert scheduler.due() == []  # moved on
    now[0] += 600  # ten periods missed: one firing
    assert len(scheduler.due()) == 1 and scheduler.due() == []


def test_tests_default_to_schedules_off_and_closeloop_dev_to_on(monkeypatch: pytest.MonkeyPatch) -> None:
    assert StackSettings().schedules is False  # in-process stacks of tests and benchmarks
    monkeypatch.delenv("CLOSELOOP_SCHEDULES", raising=False)
    assert _stack_settings(_parser().parse_args(["dev"])).schedules is True
    assert _stack_settings(_parser().parse_args(["dev", "--no-schedules"])).schedules is False
    monkeypatch.setenv("CLOSELOOP_SCHEDULES", "off")
    assert _stack_settings(_parser().parse_args(["dev"])).schedules is False
    monkeypatch.setenv("CLOSELOOP_SCHEDULES", "on")
    assert _stack_settings(_parser().parse_args(["dev", "--no-schedules"])).schedules is False
