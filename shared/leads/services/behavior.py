"""record_behavior: marketing behaviour re-scores a lead and may wake a nurture lead."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.kernel.domain.errors import Conflict, LeadNotFound
from shared.kernel.domain.events import Event, EventType, iso
from shared.kernel.services.ports import Change, Clock
from shared.leads.domain.leads import Lead, apply_assessment, decide, identity_keys
from shared.leads.domain.routing import index_of
from shared.leads.services.capture import BUSY, route_lead
from shared.leads.services.ports import LeadRepository, LeadsWork
from shared.leads.services.sla_clocks import start_first_touch
from shared.rules.domain.active import ActiveRules
from shared.sales.services.opportunities import auto_convert

if TYPE_CHECKING:  # read at the edge (functions/api/webhooks.py: behavior)
    from shared.leads.messages.leads import Behavior


def _find(store: LeadRepository, behaviour: Behavior) -> Lead:
    lead_id = behaviour.lead_id
    if not lead_id:
        owners = store.find_by_keys(identity_keys({"email": behaviour.email}))
        lead_id = next(iter(owners.values()), None)
    lead = store.get(lead_id) if lead_id else None
    if lead is None:
        raise LeadNotFound("no lead with that id or email")
    return lead


def record_behavior(behaviour: Behavior, active: ActiveRules, uow: LeadsWork, clock: Clock) -> Lead:
    return uow.retry.run(
        lambda: _apply(_find(uow.leads, behaviour), behaviour, active, uow, clock), lambda: Conflict(BUSY)
    )


def _apply(lead: Lead, behaviour: Behavior, active: ActiveRules, uow: LeadsWork, clock: Clock) -> Lead:
    now, event, version, was_grade = clock(), behaviour.event, lead.version, lead.grade
    at = iso(behaviour.at or now)
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
    decision = decide(lead, active.rules, index_of(active), event=event)
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
