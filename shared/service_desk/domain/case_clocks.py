"""A support case's SLA clocks (CONTRACT §2.5, §9), recomputed from its history.

A case keeps the *specification* of each clock (the SLA row, rules version, target, calendar)
and its history; the clock itself — due time, state, hours used and paused — is always
computed from the history sorted by ``at``, never updated in place. So an event that arrives
late gives exactly the answer it would have given in order, and a clock can be shown at any
``now``.

- **first_response** runs from ``opened_at`` until the first ``first_response`` — or the first
  ``resolved``, when the case was resolved with no first response recorded: resolving it
  answered the customer, and a clock left running would breach a closed case forever.
- **resolution** runs from ``opened_at``; it is paused while waiting on the customer and
  between ``resolved`` and ``reopened``, and stopped by a ``resolved`` that is not reopened.

A clock's timers (warn, breach, each escalation step) are a *plan*: a pure function of the
clock. The service compares the plan with the timers the case has pending, sets what is new
and cancels what is gone (a pause cancels everything; a resume plans anew).

A long case's oldest events are summarised (shared/service_desk/domain/cases.py), and with them what the
clocks had counted by then: a :class:`Carry` (hours used and paused, the instants targets were
reached). The clock goes on from the carry exactly as it would from the events: counting is
additive over time. The carry was counted with the calendar of its day.

Pure: time is passed in; calendars do the business-hours arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from shared.kernel.domain.events import iso, parse_iso
from shared.time.domain.calendars import Calendar, Pause, TimeBasis
from shared.time.domain.sla import SlaRule
from shared.time.domain.timers import Timer, TimerKind, timer_id_for

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"
CLOCK_NAMES = (FIRST_RESPONSE, RESOLUTION)
SLA_KIND_OF = {FIRST_RESPONSE: "case_first_response", RESOLUTION: "case_resolution"}


@dataclass(frozen=True)
class ClockSpec:
    """What an SLA row said when the case opened: kept on the case, so a later rules edit does
    not move a running clock's target (the calendar is looked up by name)."""

    name: str
    kind: str
    sla_row: int
    rules_version: str
    target_hours: Decimal
    business_hours: bool
    calendar: str | None
    warn_at: Decimal | None
    escalate_to: tuple[str, ...]

    @classmethod
    def of(cls, name: str, rule: SlaRule, rules_version: str) -> ClockSpec:
        return cls(
            name=name,
            kind=rule.kind,
            sla_row=rule.row,
            rules_version=rules_version,
            target_hours=rule.target_hours,
            business_hours=rule.business_hours and rule.calendar is not None,
            calendar=rule.calendar if rule.business_hours else None,
            warn_at=rule.warn_at if rule.warn_at is not None and 0 < rule.warn_at < 1 else None,
            escalate_to=rule.escalate_to,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "sla_row": self.sla_row,
            "rules_version": self.rules_version,
            "target_hours": str(self.target_hours),
            "business_hours": self.business_hours,
            "calendar": self.calendar,
            "warn_at": None if self.warn_at is None else str(self.warn_at),
            "escalate_to": list(self.escalate_to),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClockSpec:
        return cls(
            name=str(data["name"]),
            kind=str(data["kind"]),
            sla_row=int(data["sla_row"]),
            rules_version=str(data["rules_version"]),
            target_hours=Decimal(str(data["target_hours"])),
            business_hours=bool(data["business_hours"]),
            calendar=data.get("calendar"),
            warn_at=None if data.get("warn_at") is None else Decimal(str(data["warn_at"])),
            escalate_to=tuple(data.get("escalate_to") or ()),
        )

    def basis(self, calendars: Mapping[str, Calendar]) -> TimeBasis:
        calendar = calendars.get(self.calendar) if self.calendar else None
        # a calendar removed from the workbook since: count on the wall clock rather than fail
        return TimeBasis.of(self.business_hours and calendar is not None, calendar)


@dataclass(frozen=True)
class Carry:
    """What a clock had counted by the end of a case's summarised events: from ``at`` (where it
    stopped counting then: its stop, its pause or the last summarised event) it goes on."""

    at: datetime
    used: timedelta
    paused: timedelta
    reached: tuple[tuple[Decimal, datetime], ...] = ()  # (hours, instant) of targets reached by ``at``

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": iso(self.at),
            "used_us": self.used // _US,
            "paused_us": self.paused // _US,
            "reached": [[str(hours), iso(at)] for hours, at in self.reached],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Carry:
        return cls(
            at=parse_iso(str(data["at"])),
            used=timedelta(microseconds=int(data["used_us"])),
            paused=timedelta(microseconds=int(data["paused_us"])),
            reached=tuple((Decimal(str(h)), parse_iso(str(at))) for h, at in data.get("reached") or ()),
        )


_US = timedelta(microseconds=1)


def _span(hours: Decimal) -> timedelta:
    """Hours as the calendars count them (to the microsecond, half to even)."""
    return timedelta(microseconds=int((hours * 3_600_000_000).to_integral_value(ROUND_HALF_EVEN)))


@dataclass(frozen=True)
class Timeline:
    """What one clock saw: when it started, its closed pauses, an open pause, its stop; with a
    ``carry``, the pauses are those after ``carry.at`` only."""

    started: datetime
    pauses: tuple[tuple[datetime, datetime], ...] = ()
    paused_since: datetime | None = None
    stopped: datetime | None = None
    carry: Carry | None = None

    @property
    def origin(self) -> datetime:
        return self.carry.at if self.carry else self.started


def first_response_timeline(
    opened: datetime,
    applied: Sequence[tuple[str, datetime]],
    stopped: datetime | None = None,
    carry: Carry | None = None,
) -> Timeline:
    stop = stopped or next((at for kind, at in applied if kind in ("first_response", "resolved")), None)
    return Timeline(opened, stopped=stop, carry=carry)


def resolution_timeline(
    opened: datetime,
    applied: Sequence[tuple[str, datetime]],
    paused_since: datetime | None = None,
    stopped: datetime | None = None,
    carry: Carry | None = None,
) -> Timeline:
    """Pauses: waiting on the customer, and resolved → reopened; a last resolved stops it.
    ``paused_since``/``stopped``/``carry``: where the summarised events left it."""
    pauses: list[tuple[datetime, datetime]] = []
    for kind, at in applied:
        if kind == "waiting_on_customer":
            paused_since = at
        elif kind == "customer_replied" and paused_since is not None:
            pauses.append((paused_since, at))
            paused_since = None
        elif kind == "resolved":
            if paused_since is not None:
                pauses.append((paused_since, at))
                paused_since = None
            stopped = at
        elif kind == "reopened" and stopped is not None:
            pauses.append((stopped, at))
            stopped = None
    return Timeline(opened, tuple(pauses), paused_since, stopped, carry)


@dataclass(frozen=True)
class ClockView:
    spec: ClockSpec
    timeline: Timeline
    due: datetime  # the due time with the pauses so far (an open pause would move it on)
    state: str  # running | paused | met | breached
    used: timedelta
    paused: timedelta

    @property
    def is_open(self) -> bool:
        """Still counting: not stopped and not paused (its timers are planned)."""
        return self.timeline.stopped is None and self.timeline.paused_since is None

    def to_dict(self) -> dict[str, Any]:
        line = self.timeline
        return {
            "kind": self.spec.kind,
            "clock": self.spec.name,
            "target_hours": float(self.spec.target_hours),
            "due_at": None if self.state == "paused" else iso(self.due),
            "state": self.state,
            "breached_at": iso(self.due) if self.state == "breached" else None,
            "paused_hours": _hours(self.paused),
            "business_hours_used": _hours(self.used),
            "business_hours": self.spec.business_hours,
            "calendar": self.spec.calendar,
            "started_at": iso(line.started),
            "stopped_at": iso(line.stopped) if line.stopped else None,
            "paused_since": iso(line.paused_since) if line.paused_since else None,
            "sla_row": self.spec.sla_row,
            "rules_version": self.spec.rules_version,
            "escalate_to": list(self.spec.escalate_to),
        }


def _add(basis: TimeBasis, start: datetime, hours: Decimal | timedelta, pauses: list[Pause]) -> datetime:
    """Adding over closed pauses always reaches the target (only an open pause can stop it)."""
    due = basis.add(start, hours, pauses)
    assert due is not None, "closed pauses cannot stop a clock"
    return due


def _hours(amount: timedelta) -> float:
    return round(amount.total_seconds() / 3600, 4)


def reach(basis: TimeBasis, timeline: Timeline, hours: Decimal) -> datetime:
    """When the clock has counted ``hours`` (closed pauses skipped; an open one ignored)."""
    pauses: list[Pause] = list(timeline.pauses)
    carry = timeline.carry
    if carry is None:
        return _add(basis, timeline.started, hours, pauses)
    for reached_hours, at in carry.reached:
        if reached_hours == hours:
            return at
    left = _span(hours) - carry.used
    return _add(basis, carry.at, max(left, timedelta(0)), pauses)


def compute_clock(spec: ClockSpec, timeline: Timeline, calendars: Mapping[str, Calendar], now: datetime) -> ClockView:
    """The clock at ``now``. ``paused_hours`` is time the clock would have counted (in its own
    basis: business or wall hours) but did not, because it was paused."""
    basis = spec.basis(calendars)
    pauses: list[Pause] = list(timeline.pauses)
    due = reach(basis, timeline, spec.target_hours)
    origin, carry = timeline.origin, timeline.carry
    end = max(timeline.stopped or timeline.paused_since or max(now, timeline.started), origin)
    used = basis.between(origin, end, pauses) + (carry.used if carry else timedelta(0))
    paused = basis.between(origin, end) - basis.between(origin, end, pauses) + (carry.paused if carry else timedelta(0))
    if timeline.stopped is not None:
        state = "met" if timeline.stopped <= due else "breached"
    elif timeline.paused_since is not None:
        state = "breached" if due <= timeline.paused_since else "paused"  # breached before the pause
    else:
        state = "breached" if due <= now else "running"
    return ClockView(spec, timeline, due, state, used, paused)


# ---------------------------------------------------------------------------------------
# The timers a clock wants


@dataclass(frozen=True)
class PlannedAlert:
    kind: TimerKind  # WARN or BREACH
    clock: str
    step: int  # 0 = the breach itself; 1, 2, … the further escalations
    due: datetime

    @property
    def key(self) -> str:
        """Which alert this is, whatever its due time: each is told once per clock."""
        return f"{self.clock}:{self.kind}:{self.step}"


WARN: TimerKind = "case_sla_warn"
BREACH: TimerKind = "case_sla_breach"


def plan_alerts(view: ClockView, calendars: Mapping[str, Calendar]) -> list[PlannedAlert]:
    """Warn at ``warn_at`` × target, breach at the target, then one more full target (of
    running time) per further ``escalate_to`` role. Nothing while paused or stopped."""
    if not view.is_open:
        return []
    spec, line = view.spec, view.timeline
    basis = spec.basis(calendars)
    pauses: list[Pause] = list(line.pauses)
    alerts = []
    if spec.warn_at is not None:
        alerts.append(PlannedAlert(WARN, spec.name, 0, reach(basis, line, spec.target_hours * spec.warn_at)))
    alerts.append(PlannedAlert(BREACH, spec.name, 0, view.due))
    for step in range(1, len(spec.escalate_to)):
        if line.carry is None:
            step_due = _add(basis, view.due, spec.target_hours * step, pauses)
        else:  # counted from the start: the same instant (counting is additive)
            step_due = reach(basis, line, spec.target_hours * (step + 1))
        alerts.append(PlannedAlert(BREACH, spec.name, step, step_due))
    return alerts


def thresholds(spec: ClockSpec) -> list[Decimal]:
    """The hours at which a clock's alerts fall: warn, breach, each escalation."""
    warn = [spec.target_hours * spec.warn_at] if spec.warn_at is not None else []
    return [*warn, *(spec.target_hours * (step + 1) for step in range(max(len(spec.escalate_to), 1)))]


def carry_at(spec: ClockSpec, timeline: Timeline, calendars: Mapping[str, Calendar], horizon: datetime) -> Carry:
    """What the clock has counted by ``horizon`` (the last summarised event), to go on from."""
    view = compute_clock(spec, timeline, calendars, horizon)
    basis = spec.basis(calendars)
    at = max(timeline.stopped or timeline.paused_since or max(horizon, timeline.started), timeline.origin)
    reached = tuple((hours, when) for hours in thresholds(spec) if (when := reach(basis, timeline, hours)) <= at)
    return Carry(at, view.used, view.paused, reached)


def alert_timer(alert: PlannedAlert, subject: str, owner_id: str | None, spec: ClockSpec) -> Timer:
    """The timer for one planned alert; its id names the due time, so a moved due time is a new
    timer (and the old one is cancelled)."""
    data = {"clock": alert.clock, "step": alert.step, "key": alert.key, "owner_id": owner_id}
    set_by = f"SLA row {spec.sla_row} ({spec.kind}), {spec.rules_version}"
    timer_id = timer_id_for(alert.kind, subject, f"{alert.key}|{iso(alert.due)}")
    return Timer(alert.kind, subject, alert.due, data, set_by, timer_id)


def parse_times(entries: Iterable[tuple[str, str]]) -> list[tuple[str, datetime]]:
    return [(kind, parse_iso(at)) for kind, at in entries]
