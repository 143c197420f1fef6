"""Schedules, played locally: every schedule of template.yaml fires by itself at its rate.

Expressions are EventBridge's: rate(N minute|minutes|hour|hours|day|days), cron(Minutes Hours
Day-of-month Month Day-of-week Year) with * ? , - / and names (JAN, MON; 1 = SUN), and for
ScheduleV2 at(yyyy-mm-ddThh:mm:ss). cron's L, W and # are refused, loudly. A rate schedule
first fires one period after the plumbing starts, as a new rule does in AWS; occurrences
missed while the clock jumped (a laptop asleep) fire once, not once each. The clock is
injected, so tests drive it instead of waiting minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from infra import event_sources as triggers
from infra import template as cfn
from infra.local import aws
from infra.local.runtime import AsyncInvoker

Clock = Callable[[], float]  # seconds since the epoch, as time.time

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_AT = re.compile(r"at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)")
_CRON = re.compile(r"cron\((.*)\)")
_MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_WEEKDAYS = {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"], 1)}
_SEARCH_DAYS = 5 * 366  # a cron that matches no day in five years never fires


# ------------------------------------------------------------------ cron


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None: "?"
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # 1 = Sunday, as in AWS; None: "?"
    years: frozenset[int]

    def next_after(self, after: dt.datetime) -> dt.datetime | None:
        """The first matching minute strictly after `after` (an aware datetime, in its zone)."""
        start = after.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if self._matches_day(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=after.tzinfo)
                        if candidate >= start:
                            return candidate
            day += dt.timedelta(days=1)
        return None

    def _matches_day(self, day: dt.date) -> bool:
        if day.year not in self.years or day.month not in self.months:
            return False
        if self.days_of_month is not None and day.day not in self.days_of_month:
            return False
        weekday = (day.weekday() + 1) % 7 + 1  # Python: Monday 0; AWS: Sunday 1
        return self.days_of_week is None or weekday in self.days_of_week


def parse_cron(fields_text: str) -> Cron:
    fields = fields_text.split()
    if len(fields) != 6:
        raise ValueError(f"cron({fields_text}): six fields expected (minutes hours day month weekday year)")
    minute, hour, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ValueError(f"cron({fields_text}): exactly one of day-of-month and day-of-week must be ?")
    return Cron(
        minutes=_cron_field(minute, 0, 59),
        hours=_cron_field(hour, 0, 23),
        days_of_month=None if dom == "?" else _cron_field(dom, 1, 31),
        months=_cron_field(month, 1, 12, _MONTHS),
        days_of_week=None if dow == "?" else _cron_field(dow, 1, 7, _WEEKDAYS),
        years=_cron_field(year, 1970, 2199),
    )


def _cron_field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    def value(token: str) -> int:
        if token.upper() not in (names or {}) and not token.isdigit():
            raise ValueError(f"cron field {text!r}: {token!r} is not played locally (numbers, names, * ? , - /)")
        number = (names or {}).get(token.upper()) or int(token)
        if not low <= number <= high:
            raise ValueError(f"cron field {text!r}: {token} is outside {low}-{high}")
        return number

    values: set[int] = set()
    for part in text.split(","):
        span, _, step = part.partition("/")
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first, last = (value(t) for t in span.split("-", 1))
        else:
            first = value(span)
            last = high if step else first  # "5/15": from 5, every 15
        values.update(range(first, last + 1, int(step) if step else 1))
    if not values:
        raise ValueError(f"cron field {text!r} matches nothing")
    return frozenset(values)


# ------------------------------------------------------------------ next firing


@lru_cache(maxsize=256)
def _parsed(expression: str) -> tuple[str, Any]:
    if match := _RATE.fullmatch(expression.strip()):
        count, unit = int(match[1]), match[2].rstrip("s")
        if count < 1:
            raise ValueError(f"{expression}: the rate must be at least 1")
        return "rate", count * _UNIT_SECONDS[unit]
    if match := _AT.fullmatch(expression.strip()):
        return "at", dt.datetime.fromisoformat(match[1])
    if match := _CRON.fullmatch(expression.strip()):
        return "cron", parse_cron(match[1])
    raise ValueError(f"schedule expression {expression!r}: expected rate(...), cron(...) or at(...)")


def next_fire(spec: triggers.ScheduleSpec, after: float, anchor: float) -> float | None:
    """When spec fires next, strictly after `after` (epoch seconds); rates count from `anchor`."""
    kind, value = _parsed(spec.expression)
    if kind == "rate":
        periods = int((after - anchor) // value) + 1
        return anchor + periods * float(value)
    zone = ZoneInfo(spec.timezone)
    if kind == "at":
        instant = value.replace(tzinfo=zone).timestamp()
        return instant if instant > after else None
    found = value.next_after(dt.datetime.fromtimestamp(after, zone))
    return found.timestamp() if found else None


def validate(spec: triggers.ScheduleSpec) -> None:
    _parsed(spec.expression)
    ZoneInfo(spec.timezone)


# ------------------------------------------------------------------ the event


def schedule_arn(spec: triggers.ScheduleSpec) -> str:
    if spec.scheduler:
        return f"arn:aws:scheduler:{aws.REGION}:{aws.ACCOUNT_ID}:schedule/default/{spec.name}"
    return f"arn:aws:events:{aws.REGION}:{aws.ACCOUNT_ID}:rule/{spec.name}"


def event_time(instant: dt.datetime) -> str:
    """EventBridge's "time": UTC, whole seconds, Z — with the milliseconds of an instant that has
    them (`schedule run --at` a timer's due time, which has milliseconds, fires that timer)."""
    utc = instant.astimezone(dt.UTC)
    if utc.microsecond:
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%SZ")


def scheduled_event(spec: triggers.ScheduleSpec, at: dt.datetime) -> Any:
    """What the function receives when spec fires at `at`. As in AWS, a constant Input replaces
    the scheduled event entirely (a handler that needs the time must not set Input)."""
    if spec.input is not None:
        return json.loads(spec.input)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": aws.ACCOUNT_ID,
        "time": event_time(at),
        "region": aws.REGION,
        "resources": [schedule_arn(spec)],
        "detail": {},
    }


def find_schedule(template: cfn.Template, name: str) -> triggers.ScheduleSpec:
    """The template's schedule called `name`, with or without the stack's closeloop-<stage>-
    (`timer-sweep` is closeloop-dev-timer-sweep locally); KeyError naming the known ones."""
    prefix = cfn.stage_prefix(template)
    found = {spec.name.removeprefix(prefix): spec for spec in triggers.schedules(template)}
    name = name.removeprefix(prefix)
    if name not in found:
        raise KeyError(f"no schedule named {name!r}; known: {', '.join(sorted(found)) or 'none'}")
    return found[name]


# ------------------------------------------------------------------ the scheduler


class Scheduler:
    """Which schedules are due, by an injected clock. start() sets the origin of every rate."""

    def __init__(self, schedules: list[triggers.ScheduleSpec], clock: Clock = time.time) -> None:
        self.schedules = [s for s in schedules if s.enabled]
        for spec in self.schedules:
            validate(spec)  # a bad expression stops the stack at start, not at the first firing
        self._clock = clock
        self._anchor = 0.0
        self._next: list[float | None] = []

    def start(self) -> None:
        self._anchor = self._clock()
        self._next = [next_fire(s, self._anchor, self._anchor) for s in self.schedules]

    def due(self) -> list[tuple[triggers.ScheduleSpec, dt.datetime]]:
        """The schedules whose time has come, with that time; each is then moved on."""
        now = self._clock()
        fired = []
        for index, spec in enumerate(self.schedules):
            at = self._next[index] if index < len(self._next) else None
            if at is not None and at <= now:
                fired.append((spec, dt.datetime.fromtimestamp(at, dt.UTC)))
                self._next[index] = next_fire(spec, max(now, at), self._anchor)
        return fired


class SchedulePoller:
    """Fires due schedules with Lambda's asynchronous semantics, one pass per poll()."""

    def __init__(self, template: cfn.Template, run_async: AsyncInvoker, clock: Clock = time.time) -> None:
        self.scheduler = Scheduler(triggers.schedules(template), clock)
        self._run_async = run_async

    def start(self) -> None:
        self.scheduler.start()

    def poll(self) -> tuple[bool, bool]:
        fired = self.scheduler.due()
        for spec, at in fired:
            self._run_async(spec.function, scheduled_event(spec, at), f"schedule {spec.name}")
        return bool(fired), bool(fired)
