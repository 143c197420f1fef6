"""capture_lead: a posted lead becomes a scored, tiered, routed and explained lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from shared.kernel.domain.errors import Conflict
from shared.kernel.domain.events import Event, EventType, iso
from shared.kernel.services.ports import Assignment, Change, Clock, StaleAggregate
from shared.leads.domain.lead_intake import NormalizedLead, normalize_lead
from shared.leads.domain.leads import (
    ROUTABLE_GRADES,
    Assessment,
    Lead,
    apply_assessment,
    assess,
    identity_keys,
    lead_id_for,
    touch_of,
)
from shared.leads.domain.routing import Candidate, candidates_of, choose_owner, index_of, pool_for
from shared.leads.services.ports import LeadsWork
from shared.leads.services.sla_clocks import start_first_touch
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Source
from shared.sales.services.opportunities import auto_convert

BUSY = "this lead is being changed by many requests at once; please retry"


@dataclass(frozen=True)
class CaptureResult:
    status: Literal["created", "merged"]
    lead: Lead
    rules_version: str

    def body(self) -> dict[str, Any]:
        return {"status": self.status, **self.lead.summary(self.rules_version)}


def capture_lead(
    payload: dict[str, Any], source: Source, active: ActiveRules, uow: LeadsWork, clock: Clock
) -> CaptureResult:
    incoming = normalize_lead(payload, active.rules)
    keys = identity_keys(incoming.fields)

    def attempt() -> CaptureResult:
        now = clock()
        found = uow.leads.lookup(keys, [lead_id_for(k) for k in keys])
        if not found.owners:
            return _create(incoming, keys, source, active, uow, now, taken=set(found.leads))
        # the first key in identity order (email, phone, credit code) names the person
        lead_id = next(found.owners[k] for k in keys if k in found.owners)
        unclaimed = [k for k in keys if k not in found.owners]
        lead = found.leads.get(lead_id) or uow.leads.get(lead_id)
        return _merge(lead, lead_id, incoming, unclaimed, source, active, uow, now)

    # a lost race (the key was taken, the lead moved on, the owner filled up) is read again
    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _create(
    incoming: NormalizedLead,
    keys: list[str],
    source: Source,
    active: ActiveRules,
    uow: LeadsWork,
    now: datetime,
    taken: set[str],
) -> CaptureResult:
    fields = {k: v for k, v in incoming.fields.items() if k != "consent"}
    lead_id = lead_id_for(keys[0])
    if lead_id in taken:  # the lead of an erased person keeps that id (CONTRACT §12): this is a new one
        lead_id = lead_id_for(f"{keys[0]}|{iso(now)}")
    lead = Lead(
        lead_id=lead_id,
        captured_at=iso(now),
        fields=fields,
        extra=incoming.extra,
        flags=list(incoming.flags),
        touches=[touch_of(source, incoming.fields, now)],
        touch_count=1,
        consent=incoming.fields.get("consent"),
        claims=list(keys),
        updated_at=iso(now),
    )
    assessment = assess(lead, active.rules, index_of(active))
    apply_assessment(lead, assessment, active.version)
    events = [_event("LeadCaptured", lead, now, active, {"source": source.source, **lead.summary(active.version)})]
    assignment = route_lead(lead, assessment, active, uow, now, events)
    _quality_events(lead, assessment, now, active, events)
    timers = start_first_touch(lead, active, now) if assignment else []
    change = Change.of(lead, None, claims=keys, load=assignment, events=events, timers=timers)
    auto_convert(lead, "sql", active, now, change)  # Settings create_opportunity_on = sql
    uow.commit(change)
    return CaptureResult("created", lead, active.version)


def _merge(
    lead: Lead | None,
    lead_id: str,
    incoming: NormalizedLead,
    unclaimed: list[str],
    source: Source,
    active: ActiveRules,
    uow: LeadsWork,
    now: datetime,
) -> CaptureResult:
    if lead is None:  # the key points at a lead that is gone: treat as a race and retry
        raise StaleAggregate(lead_id)
    version = lead.version
    was_grade = lead.grade
    filled = lead.absorb(incoming)
    lead.claims = list(dict.fromkeys([*lead.claims, *unclaimed]))
    touch = touch_of(source, incoming.fields, now)
    lead.add_touch(touch)
    lead.updated_at = iso(now)
    assessment = assess(lead, active.rules, index_of(active))
    apply_assessment(lead, assessment, active.version)
    merged = {"source": source.source, "filled": filled, "touch": touch, **lead.summary(active.version)}
    events = [_event("LeadMerged", lead, now, active, merged)]
    assignment = None
    if lead.owner_id is None and lead.is_open and lead.grade in ROUTABLE_GRADES:
        if was_grade == "nurture":
            lead.nurture = False
            events.append(_event("LeadRequalified", lead, now, active, {"from": was_grade, "to": lead.grade}))
        assignment = route_lead(lead, assessment, active, uow, now, events)
    timers = start_first_touch(lead, active, now) if assignment else []
    change = Change.of(lead, version, claims=unclaimed, load=assignment, events=events, timers=timers)
    if was_grade != "sql" or assignment is not None:  # first reached sql (or first got an owner)
        auto_convert(lead, "sql", active, now, change)
    uow.commit(change)
    return CaptureResult("merged", lead, active.version)


def route_lead(
    lead: Lead, assessment: Assessment, active: ActiveRules, uow: LeadsWork, now: datetime, events: list[Event]
) -> Assignment | None:
    """Pick the owner; record the trace and the event. Returns the load to take, if any."""
    if lead.grade not in ROUTABLE_GRADES:
        lead.nurture = True
        lead.decision.update(routing_rule=None, candidates=[], chosen=None, reason="nurture: not routed")
        events.append(_event("LeadNurtureEnrolled", lead, now, active, {"score": lead.score}))
        return None
    rule = assessment.routing_rule
    if rule is None:
        lead.decision.update(routing_rule=None, candidates=[], chosen=None, reason="no Routing row matched")
        events.append(
            _event("LeadUnassigned", lead, now, active, {"team": None, "reason": "no_rule", "from_owner_id": None})
        )
        return None
    pool = pool_for(rule, active.rules)
    owner_ids = [o.owner_id for o in pool.owners]
    counter, loads = uow.leads.next_turn(pool.team, pool.counter_key, owner_ids) if pool.owners else (0, {})
    chosen = choose_owner(pool, counter, loads)
    candidates: list[Candidate] = candidates_of(pool, loads)
    lead.team = rule.team
    lead.decision.update(
        routing_rule=rule.rule_id,
        routing_note=rule.note,
        team=rule.team,
        candidates=[c.to_dict() for c in candidates],
        chosen=chosen,
        turn=counter,
    )
    if chosen is None:
        # nobody can take it: it waits in the team's queue; team and owner stay empty (CONTRACT §2.1)
        lead.team, lead.queue = None, rule.team
        lead.decision["reason"] = "everyone in the pool is inactive or at capacity"
        events.append(
            _event(
                "LeadUnassigned", lead, now, active, {"team": rule.team, "reason": "no_capacity", "from_owner_id": None}
            )
        )
        return None
    owner = active.rules.owners[chosen]
    lead.owner_id, lead.assigned_at, lead.queue = chosen, iso(now), None
    lead.decision["reason"] = f"{rule.rule_id} matched; weighted round robin turn {counter}"
    events.append(
        _event("LeadAssigned", lead, now, active, {"owner_id": chosen, "team": rule.team, "routing_rule": rule.rule_id})
    )
    return Assignment(chosen, rule.team, owner.capacity)


def _quality_events(
    lead: Lead, assessment: Assessment, now: datetime, active: ActiveRules, events: list[Event]
) -> None:
    if assessment.quality.score < active.rules.settings.quality_threshold:
        events.append(_event("LeadNeedsEnrichment", lead, now, active, assessment.quality.to_dict()))


def _event(kind: EventType, lead: Lead, now: datetime, active: ActiveRules, data: dict[str, Any]) -> Event:
    return Event(type=kind, subject=lead.subject, time=now, data=data, rules_version=active.version)
