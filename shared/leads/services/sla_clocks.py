"""Lead first-touch SLA clocks (CONTRACT §9): started on assignment, stopped by the owner's
first touch, moved by timers: warn the owner, breach to the first role up the owner's chain,
escalate to the next role each further full target."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.deliveries.services.alerts import alert_deliveries
from shared.kernel.domain.events import Event, EventType, iso, subject_id
from shared.kernel.services.ports import Change, Save
from shared.leads.domain.leads import Lead
from shared.leads.services.ports import LeadsWork
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import escalation_target
from shared.rules.services.ports import RulesProvider
from shared.time.domain.sla import first_matching, next_escalation, start_clock
from shared.time.domain.timers import Timer, timer_id_for
from shared.time.services.timers import Handler

FIRST_TOUCH = "first_touch"
OPEN_STATES = ("running", "warned", "breached")


def start_first_touch(lead: Lead, active: ActiveRules, now: datetime) -> list[Timer]:
    """On assignment: the first matching SLA row (grade, tier) starts a clock; its timers."""
    rule = first_matching(active.sla, "lead_first_touch", grade=lead.grade, tier=lead.tier)
    if rule is None or lead.owner_id is None:
        return []
    clock, timers = start_clock(FIRST_TOUCH, lead.subject, lead.owner_id, rule, active.calendars, now, active.version)
    lead.sla = {**lead.sla, FIRST_TOUCH: clock}
    return timers


def stop_first_touch(lead: Lead, at: str, now: datetime, active: ActiveRules) -> tuple[list[Event], list[str]]:
    """The first touch stops the clock: SlaMet when in time; its pending timers are cancelled."""
    clock = lead.sla.get(FIRST_TOUCH)
    if clock is None or clock["state"] not in OPEN_STATES:
        return [], []
    met = clock["state"] != "breached"
    lead.sla = {**lead.sla, FIRST_TOUCH: {**clock, "state": "met" if met else "breached", "stopped_at": at}}
    events = []
    if met:
        data = {"clock": FIRST_TOUCH, "kind": clock["kind"], "due_at": clock["due_at"], "stopped_at": at}
        events.append(Event("SlaMet", lead.subject, now, {**data, "owner_id": clock["owner_id"]}, active.version))
    return events, list(clock["timers"])


def close_clocks(lead: Lead, at: str, reason: str, *, keep: str | None = None) -> list[str]:
    """The lead left its owner (disqualified, converted, reassigned): its open clock stops with
    no verdict — neither met nor breached — and is kept in ``sla["history"]``. Returns the
    pending timers to cancel (all but ``keep``, the timer firing now)."""
    clock = lead.sla.get(FIRST_TOUCH)
    if clock is None or clock["state"] not in OPEN_STATES:
        return []
    ended = {**clock, "state": "stopped", "stopped_at": at, "stop_reason": reason}
    history = [*lead.sla.get("history", []), ended][-10:]
    lead.sla = {**{k: v for k, v in lead.sla.items() if k != FIRST_TOUCH}, "history": history}
    return [t for t in clock["timers"] if t != keep]


def handlers(rules: RulesProvider) -> dict[str, Handler[LeadsWork]]:
    def warn(timer: Timer, now: datetime, uow: LeadsWork) -> Change:
        return _move(timer, now, uow, rules.current(), _warn)

    def breach(timer: Timer, now: datetime, uow: LeadsWork) -> Change:
        return _move(timer, now, uow, rules.current(), _breach)

    return {"sla_warn": warn, "sla_breach": breach}


def _move(timer: Timer, now: datetime, uow: LeadsWork, active: ActiveRules, step: Any) -> Change:
    """Apply a timer to its lead's clock, if that clock is still the one that set it."""
    lead = uow.leads.get(subject_id(timer.about))
    clock = lead.sla.get(timer.data["clock"]) if lead else None
    if (
        lead is None
        or clock is None
        or clock["clock_id"] != timer.data["clock_id"]
        or clock["state"] not in OPEN_STATES
    ):
        return Change()  # the clock stopped or was replaced: the timer just goes
    version = lead.version
    events: list[Event] = []
    timers: list[Timer] = []
    step(lead, dict(clock), timer, now, active, events, timers)
    # the people in each event's `notify` hear it in this same change (one delivery per channel)
    alerts = alert_deliveries(events, lead_name(lead), active, timer.timer_id, now, clock.get("calendar"))
    saves = [Save(lead, version), *(Save(t, None) for t in timers), *(Save(a, None) for a in alerts)]
    return Change(saves=saves, events=events)


def lead_name(lead: Lead) -> str | None:
    """What an alert calls the lead: its person and company, as far as known."""
    name, company = lead.fields.get("name"), lead.fields.get("company")
    if name and company:
        return f"{name} ({company})"
    return str(name or company) if name or company else None


def _emit(kind: EventType, lead: Lead, now: datetime, active: ActiveRules, data: dict[str, Any]) -> Event:
    return Event(kind, lead.subject, now, data, rules_version=active.version)


def _warn(
    lead: Lead, clock: dict[str, Any], timer: Timer, now: datetime, active: ActiveRules, events: list[Event], _: Any
) -> None:
    if clock["state"] != "running":
        return
    lead.sla = {**lead.sla, FIRST_TOUCH: {**clock, "state": "warned", "warned_at": iso(timer.due_at)}}
    data = _data(clock, timer, now)
    events.append(_emit("SlaWarning", lead, now, active, {**data, "notify": [clock["owner_id"]]}))


def _breach(
    lead: Lead,
    clock: dict[str, Any],
    timer: Timer,
    now: datetime,
    active: ActiveRules,
    events: list[Event],
    timers: list[Timer],
) -> None:
    rule = next((r for r in active.sla if r.row == clock["sla_row"] and r.kind == clock["kind"]), None)
    step = int(timer.data.get("step", 0))
    roles = rule.escalate_to if rule else ()
    role = roles[step] if step < len(roles) else None
    person = escalation_target(clock["owner_id"], role, active.rules.owners) if role else None
    escalated = [*clock["escalated_to"], {"role": role, "owner_id": person.owner_id if person else None}]
    changed = {**clock, "state": "breached", "escalated_to": escalated}
    if step == 0:
        changed["breached_at"] = iso(timer.due_at)
    lead.sla = {**lead.sla, FIRST_TOUCH: changed}
    data = {**_data(clock, timer, now), "role": role, "notify": [person.owner_id] if person else []}
    events.append(_emit("SlaBreached" if step == 0 else "SlaEscalated", lead, now, active, data))
    if rule is not None and step + 1 < len(roles):  # the next role hears after one more full target
        due = next_escalation(rule, clock, active.calendars, step + 1)
        following = Timer(
            "sla_breach",
            lead.subject,
            due,
            {**timer.data, "step": step + 1},
            timer.set_by,
            timer_id_for("sla_breach", clock["clock_id"], str(step + 1)),
        )
        timers.append(following)
        changed["timers"] = [*changed["timers"], following.timer_id]


def _data(clock: dict[str, Any], timer: Timer, now: datetime) -> dict[str, Any]:
    return {
        "clock": FIRST_TOUCH,
        "kind": clock["kind"],
        "owner_id": clock["owner_id"],
        "due_at": clock["due_at"],
        "sla_row": clock["sla_row"],
        "late_seconds": timer.late_by_seconds(now),
    }
