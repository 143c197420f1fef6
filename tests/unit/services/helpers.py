"""Shared bits for the service tests: a ticking clock and event look-ups on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.memory import MemoryUnitOfWork
from shared.kernel.domain.events import Event, iso
from shared.kernel.messages.validation import Message, read
from shared.leads.domain.leads import Lead
from shared.leads.services.capture import CaptureResult, capture_lead
from shared.rules.domain.active import ActiveRules
from shared.time.domain.timers import Timer

NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
# a person the example rules grade sql and route to SMB East (Jiangsu)
SQL_LEAD = {
    "email": "buyer@acme.cn",
    "phone": "13800138000",
    "employees": 500,
    "industry": "制造业",
    "title": "采购总监",
    "budget": "500,000",
    "country": "CN",
    "province": "江苏省",
}


class FixedRules:
    """A rules provider that always answers the same active rules (timer handlers take one)."""

    def __init__(self, active: ActiveRules) -> None:
        self.active = active

    def current(self) -> ActiveRules:
        return self.active


class TickingClock:
    """Each call is one second later, so events and touches have distinct times."""

    def __init__(self, start: datetime = NOW) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def now_of(clock: Any) -> datetime:
    """What a clock says now, without moving a ticking one on: a request is read (validated) at
    the time the service then starts from."""
    moment: datetime = getattr(clock, "now", None) or clock()
    return moment


def command_of(model: type[Message], payload: dict[str, Any], active: ActiveRules, clock: Any) -> Message:
    """A request body as the edge reads it into the service's command, at the clock's now."""
    return read(model, payload, now=now_of(clock), active=active)


def capture(
    payload: dict[str, Any], active: ActiveRules, store: MemoryUnitOfWork, clock: TickingClock, source: str = "website"
) -> CaptureResult:
    return capture_lead(payload, active.rules.source_named(source), active, store, clock)


def events_of(store: MemoryUnitOfWork, lead_id: str) -> list[str]:
    return [e.type for e in store.events if e.subject == f"lead/{lead_id}"]


def event_data(store: MemoryUnitOfWork, lead_id: str, kind: str) -> list[dict[str, Any]]:
    return [e.data for e in store.events if e.subject == f"lead/{lead_id}" and e.type == kind]


def stored(store: MemoryUnitOfWork, lead_id: str) -> Lead:
    lead = store.get(lead_id)
    assert lead is not None
    return lead


def renewal_reminder(timer: Timer, now: datetime) -> Event:
    """A reminder as the renewals handler words it, fired by ``timer`` at ``now``: for tests of the
    timer engine, which read its subject and `late_seconds` (every committed event must match its model)."""
    data = {
        "days_before": 30,
        "contract_id": timer.about.partition("/")[2],
        "end_date": "2026-12-31",
        "amount": "1000.00",
        "currency": "CNY",
        "account_id": "ac_1",
        "renewal_row": 1,
        "due_at": iso(timer.due_at),
        "late_seconds": timer.late_by_seconds(now),
        "on_hold": False,
        "case_ids": [],
        "notify": [],
    }
    return Event("RenewalReminder", timer.about, now, data)


def note_on(subject: str, at: datetime, text: str) -> Event:
    """An activity note on a lead: an event whose size a test chooses."""
    data = {"activity_id": "act_1", "type": "note", "by": "u_1", "at": iso(at), "note": text}
    return Event("ActivityRecorded", subject, at, data)
