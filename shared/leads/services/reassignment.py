"""SLA reassignment (CONTRACT §9, SLA ``reassign_after_hours``): a lead still untouched when its
reassignment timer fires goes to someone else in the same routing pool — the old owner's load
released, the new owner's taken, a new clock started (``LeadReassigned``). Nobody free: the lead
waits in the team's queue (``LeadUnassigned``, reason ``reassign_no_capacity``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.kernel.domain.events import Event, EventType, iso, subject_id
from shared.kernel.services.ports import Assignment, Change, Release, Save
from shared.leads.domain.leads import Lead
from shared.leads.domain.routing import Pool, candidates_of, choose_owner, pool_for
from shared.leads.services.ports import LeadsWork
from shared.leads.services.sla_clocks import FIRST_TOUCH, OPEN_STATES, close_clocks, start_first_touch
from shared.rules.domain.active import ActiveRules
from shared.rules.services.ports import RulesProvider
from shared.time.domain.timers import Timer
from shared.time.services.timers import Handler


def handlers(rules: RulesProvider) -> dict[str, Handler[LeadsWork]]:
    def reassign(timer: Timer, now: datetime, uow: LeadsWork) -> Change:
        return reassign_untouched(timer, now, uow, rules.current())

    return {"sla_reassign": reassign}


def reassign_untouched(timer: Timer, now: datetime, uow: LeadsWork, active: ActiveRules) -> Change:
    lead = uow.leads.get(subject_id(timer.about))
    if lead is None or not _still_waiting(lead, timer):
        return Change()  # touched, closed, or already on another clock: the timer just goes
    assert lead.owner_id is not None  # an open clock always has its owner
    version, old_owner = lead.version, lead.owner_id
    pool = _pool_without(lead, old_owner, active)
    chosen, turn, candidates = None, 0, []
    if pool is not None and pool.owners:
        turn, loads = uow.leads.next_turn(pool.team, pool.counter_key, [o.owner_id for o in pool.owners])
        chosen = choose_owner(pool, turn, loads)
        candidates = [c.to_dict() for c in candidates_of(pool, loads)]
    cancel = close_clocks(lead, iso(now), "reassigned", keep=timer.timer_id)
    lead.decision = {**lead.decision, "candidates": candidates, "chosen": chosen, "turn": turn}
    release = Release(old_owner)
    if chosen is None:
        team = pool.team if pool else lead.team
        lead.owner_id, lead.team, lead.queue, lead.assigned_at = None, None, team, None
        lead.decision["reason"] = f"untouched after the SLA's reassign_after_hours; nobody else in {team} is free"
        data = {"team": team, "reason": "reassign_no_capacity", "from_owner_id": old_owner}
        event = _event("LeadUnassigned", lead, now, active, data)
        return Change.of(lead, version, release=release, events=[event], cancel=cancel)
    assert pool is not None
    owner = active.rules.owners[chosen]
    lead.owner_id, lead.team, lead.assigned_at = chosen, pool.team, iso(now)
    lead.decision["reason"] = f"reassigned: {old_owner} did not touch it in time; weighted round robin turn {turn}"
    timers = start_first_touch(lead, active, now)
    data = {"from_owner_id": old_owner, "owner_id": chosen, "team": pool.team, "reason": "sla_reassign"}
    event = _event("LeadReassigned", lead, now, active, data)
    change = Change.of(lead, version, load=Assignment(chosen, pool.team, owner.capacity), events=[event])
    change.releases.append(release)
    change.saves.extend(Save(t, None) for t in timers)
    change.deletes.extend(f"timer/{timer_id}" for timer_id in cancel)
    return change


def _still_waiting(lead: Lead, timer: Timer) -> bool:
    clock = lead.sla.get(FIRST_TOUCH)
    return (
        lead.is_open
        and lead.owner_id is not None
        and lead.first_touch_at is None
        and clock is not None
        and clock["clock_id"] == timer.data["clock_id"]
        and clock["state"] in OPEN_STATES
    )


def _pool_without(lead: Lead, owner_id: str, active: ActiveRules) -> Pool | None:
    """The pool of the Routing row that assigned the lead, as the live rules define it now,
    without the owner who let it wait. None when that row is gone from the rules."""
    rule = next((r for r in active.rules.routing if r.rule_id == lead.decision.get("routing_rule")), None)
    if rule is None:
        return None
    pool = pool_for(rule, active.rules)
    return Pool(pool.team, tuple(o for o in pool.owners if o.owner_id != owner_id), pool.counter_key)


def _event(kind: EventType, lead: Lead, now: datetime, active: ActiveRules, data: dict[str, Any]) -> Event:
    return Event(kind, lead.subject, now, data, rules_version=active.version)
