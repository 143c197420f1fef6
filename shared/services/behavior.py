"""record_behavior: marketing behaviour re-scores a lead and may wake a nurture lead."""

from __future__ import annotations

from typing import Any

from shared.domain.errors import Conflict, LeadNotFound, ValidationFailed
from shared.domain.events import TIME_EXPECTED, Event, EventType, iso, parse_iso
from shared.domain.leads import Lead, apply_assessment, decide, identity_keys
from shared.domain.normalize import normalize_email
from shared.domain.rules import BEHAVIOR_EVENTS
from shared.services.capture import BUSY, route_lead
from shared.services.opportunities import auto_convert
from shared.services.ports import ActiveRules, Change, Clock, LeadRepository, UnitOfWork
from shared.services.sla_clocks import start_first_touch


def parse_behavior(payload: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    event = payload.get("event")
    if event not in BEHAVIOR_EVENTS:
        errors["event"] = f"must be one of {', '.join(BEHAVIOR_EVENTS)}"
    lead_id, email = payload.get("lead_id"), payload.get("email")
    if not lead_id and not email:
        errors["email"] = "email or lead_id is required"
    if lead_id is not None and not isinstance(lead_id, str):
        errors["lead_id"] = "must be text"
    normalized_email = None
    if email and not lead_id:
        try:
            normalized_email = normalize_email(str(email))
        except ValueError as exc:
            errors["email"] = str(exc)
    at = payload.get("at")
    if at is not None:
        try:
            at = iso(parse_iso(str(at)))
        except ValueError:
            errors["at"] = TIME_EXPECTED
    if errors:
        raise ValidationFailed(f"{len(errors)} field(s) are not valid", fields=errors)
    return {"event": event, "lead_id": lead_id, "email": normalized_email, "at": at}


def _find(store: LeadRepository, request: dict[str, Any]) -> Lead:
    lead_id = request["lead_id"]
    if not lead_id:
        owners = store.find_by_keys(identity_keys({"email": request["email"]}))
        lead_id = next(iter(owners.values()), None)
    lead = store.get(lead_id) if lead_id else None
    if lead is None:
        raise LeadNotFound("no lead with that id or email")
    return lead


def record_behavior(payload: dict[str, Any], active: ActiveRules, uow: UnitOfWork, clock: Clock) -> Lead:
    request = parse_behavior(payload)
    return uow.retry.run(lambda: _apply(_find(uow.leads, request), request, active, uow, clock), lambda: Conflict(BUSY))


def _apply(lead: Lead, request: dict[str, Any], active: ActiveRules, uow: UnitOfWork, clock: Clock) -> Lead:
    now, event, version, was_grade = clock(), request["event"], lead.version, lead.grade
    at = request["at"] or iso(now)
    lead.add_behavior(event, at)
    lead.updated_at = iso(now)
    events: list[Event] = []

    def emit(kind: EventType, data: dict[str, Any]) -> None:
        events.append(Event(kind, lead.subject, now, data, rules_version=active.version))

    if event == "unsubscribe":
        lead.consent, lead.nurture = False, False
        emit("ConsentWithdrawn", {"at": at})
    # the wake rule lives in the domain (leads.decide), shared with the backtest
    was_grade = lead.grade
    decision = decide(lead, active.rules, active.index, event=event)
    apply_assessment(lead, decision.assessment, active.version)
    assignment = None
    if decision.woken:
        lead.nurture = False
        emit("LeadRequalified", {"from": "nurture", "to": lead.grade, "event": event, "score": lead.score})
        unowned = lead.owner_id is None and lead.is_open  # a closed lead is never routed again
        assignment = route_lead(lead, decision.assessment, active, uow, now, events) if unowned else None
    elif (was_grade, lead.grade) == ("mql", "sql"):  # behaviour alone made it sales-ready: say so
        emit("LeadRequalified", {"from": "mql", "to": "sql", "event": event, "score": lead.score})
    timers = start_first_touch(lead, active, now) if assignment else []
    change = Change.of(lead, version, load=assignment, events=events, timers=timers)
    if was_grade != "sql" or assignment is not None:  # first reached sql: Settings create_opportunity_on
        auto_convert(lead, "sql", active, now, change)
    uow.commit(change)
    return lead
