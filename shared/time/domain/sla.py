"""SLA clocks (CONTRACT §9): which SLA row applies, when a clock warns, breaches and escalates,
and who hears about it. Pure: time is passed in; calendars do the business-hours arithmetic.

A clock is plain data on its lead (``lead.sla["first_touch"]``): the row and rules version that
set it, its due times, its state and the timers that will move it. Timers carry the clock's
``clock_id``, so a timer left over from an older clock (the lead was reassigned) does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.kernel.domain.events import iso
from shared.time.domain.calendars import Calendar, TimeBasis
from shared.time.domain.timers import Timer, timer_id_for

# CONTRACT §3 names, and §9's short ones for the same kinds
SLA_KIND_ALIASES = {
    "first_touch": "lead_first_touch",
    "first_response": "case_first_response",
    "resolution": "case_resolution",
}


@dataclass(frozen=True, slots=True)
class SlaRule:
    row: int  # 1-based position among the SLA rows: "the first row from the top" decides
    kind: str
    target_hours: Decimal
    priority: str | None = None
    grade: str | None = None
    tier: str | None = None
    business_hours: bool = True
    calendar: str | None = None
    warn_at: Decimal | None = None  # share of the target, 0..1
    escalate_to: tuple[str, ...] = ()  # roles, in order, up the owner's manager chain
    reassign_after_hours: Decimal | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any], number: int) -> SlaRule:
        def dec(value: Any) -> Decimal | None:
            return None if value in (None, "") else Decimal(str(value))

        kind = str(row["kind"])
        escalate = row.get("escalate_to") or ()
        roles = tuple(r.strip() for r in (escalate.split(",") if isinstance(escalate, str) else escalate) if r.strip())
        return cls(
            row=number,
            kind=SLA_KIND_ALIASES.get(kind, kind),
            target_hours=Decimal(str(row["target_hours"])),
            priority=_lower(row.get("priority")),
            grade=_lower(row.get("grade")),
            tier=_lower(row.get("tier")),
            business_hours=row.get("business_hours") is not False,
            calendar=row.get("calendar") or None,
            warn_at=dec(row.get("warn_at")),
            escalate_to=roles,
            reassign_after_hours=dec(row.get("reassign_after_hours")),
        )

    def matches(
        self, kind: str, *, grade: str | None = None, tier: str | None = None, priority: str | None = None
    ) -> bool:
        wanted = {"grade": grade, "tier": tier, "priority": priority}
        return self.kind == kind and all(
            getattr(self, name) is None or getattr(self, name) == _lower(value) for name, value in wanted.items()
        )


def _lower(value: Any) -> str | None:
    return None if value in (None, "") else str(value).strip().lower()


def first_matching(rules: tuple[SlaRule, ...], kind: str, **context: str | None) -> SlaRule | None:
    """The first row from the top that matches; none → no clock."""
    return next((r for r in rules if r.matches(kind, **context)), None)


def basis(rule: SlaRule, calendars: dict[str, Calendar]) -> TimeBasis:
    calendar = calendars.get(rule.calendar) if rule.calendar else None
    return TimeBasis.of(rule.business_hours and calendar is not None, calendar)


def start_clock(
    name: str,
    about: str,
    owner_id: str,
    rule: SlaRule,
    calendars: dict[str, Calendar],
    started: datetime,
    rules_version: str,
) -> tuple[dict[str, Any], list[Timer]]:
    """A running clock and the timers that will warn, breach and (leads) reassign."""
    time = basis(rule, calendars)
    due = time.add(started, rule.target_hours)
    clock_id = timer_id_for(name, about, f"{owner_id}|{iso(started)}")[3:]
    set_by = f"SLA row {rule.row} ({rule.kind}), {rules_version}"
    data = {"clock": name, "clock_id": clock_id, "owner_id": owner_id}
    timers = [Timer("sla_breach", about, due, {**data, "step": 0}, set_by, timer_id_for("sla_breach", clock_id, "0"))]
    warn_due = None
    if rule.warn_at is not None and 0 < rule.warn_at < 1:
        warn_due = time.add(started, rule.target_hours * rule.warn_at)
        timers.append(Timer("sla_warn", about, warn_due, data, set_by, timer_id_for("sla_warn", clock_id)))
    reassign_due = None
    if rule.reassign_after_hours is not None:  # still untouched then: someone else in the pool takes it
        reassign_due = time.add(started, rule.reassign_after_hours)
        reassign_id = timer_id_for("sla_reassign", clock_id)
        timers.append(Timer("sla_reassign", about, reassign_due, data, set_by, reassign_id))
    clock = {
        "clock_id": clock_id,
        "kind": rule.kind,
        "sla_row": rule.row,
        "rules_version": rules_version,
        "owner_id": owner_id,
        "target_hours": float(rule.target_hours),
        "business_hours": time.business_hours,
        "calendar": rule.calendar if time.business_hours else None,
        "started_at": iso(started),
        "warn_at": iso(warn_due) if warn_due else None,
        "due_at": iso(due),
        "reassign_at": iso(reassign_due) if reassign_due else None,
        "state": "running",
        "warned_at": None,
        "breached_at": None,
        "stopped_at": None,
        "escalated_to": [],
        "timers": [t.timer_id for t in timers],
    }
    return clock, timers


def next_escalation(rule: SlaRule, clock: dict[str, Any], calendars: dict[str, Calendar], step: int) -> datetime:
    """When step ``step`` (1, 2, …) of escalation is due: one more full target after the breach."""
    time = basis(rule, calendars)
    return time.add(datetime.fromisoformat(clock["due_at"].replace("Z", "+00:00")), rule.target_hours * step)
