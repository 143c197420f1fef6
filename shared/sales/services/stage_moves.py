"""Moving opportunities through the funnel (CONTRACT §2.6): stage gates, lost with a reason,
won (by the gates, or by a signed contract: :func:`win_on_signature`), activities, reading one,
and the stalled-opportunity timer (section 9)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.customers.services.health import company_engagement
from shared.deliveries.services.alerts import alert_deliveries
from shared.kernel.domain.errors import Conflict, OpportunityNotFound, ValidationFailed
from shared.kernel.domain.events import Event, EventType, iso, parse_iso, subject_id
from shared.kernel.services.ports import Change, Clock, Save
from shared.leads.domain.leads import TOUCH_TYPES
from shared.leads.services.activities import new_activity
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import manager_chain
from shared.rules.services.ports import RulesProvider
from shared.sales.domain.opportunities import Opportunity, is_opportunity_id
from shared.sales.domain.pricing import share
from shared.sales.domain.sales_intake import apply_fields
from shared.sales.domain.stages import LOST, funnel_of
from shared.sales.services.opportunities import BUSY, STALLED, stall_timers
from shared.sales.services.ports import SalesWork
from shared.time.domain.timers import Timer
from shared.time.services.timers import Handler

ESIGN = "e-sign"  # who moved a won-by-signature opportunity, in its stage history
QUOTES_SHOWN = 20

if TYPE_CHECKING:  # read at the edge (shared/kernel/messages/validation.py: read)
    from shared.sales.messages.sales import OpportunityActivity, StageMove


def get_opportunity(opportunity_id: str, active: ActiveRules, uow: SalesWork) -> dict[str, Any]:
    """Fields, stage history with times, quotes (newest last), contract."""
    opportunity = _get(opportunity_id, uow)
    quotes = [q.summary() for i in opportunity.quote_ids[-QUOTES_SHOWN:] if (q := uow.quotes.get(i)) is not None]
    return opportunity.view(quotes, _probability(opportunity, active))


def _get(opportunity_id: str, uow: SalesWork) -> Opportunity:
    found = uow.opportunities.get(opportunity_id) if is_opportunity_id(opportunity_id) else None
    if found is None:
        raise OpportunityNotFound(f"no opportunity with id {opportunity_id[:60]!r}")
    return found


def _probability(opportunity: Opportunity, active: ActiveRules) -> str | None:
    if opportunity.status != "open":
        return "1" if opportunity.status == "won" else "0"
    stage = funnel_of(active).get(opportunity.stage)
    return share(stage.probability) if stage is not None and stage.probability is not None else None


def move_stage(
    opportunity_id: str, command: StageMove, active: ActiveRules, uow: SalesWork, clock: Clock
) -> dict[str, Any]:
    """Forward through the gates (409 stage_gate_failed naming each unmet criterion), back
    freely, to ``lost`` with a reason; the last stage wins it. Nothing is stored on a refusal,
    not even the ``fields`` sent along."""
    funnel = funnel_of(active)
    at = command.at or iso(clock())  # now, when not sent

    def attempt() -> dict[str, Any]:
        opportunity = _get(opportunity_id, uow)
        version, now = opportunity.version, clock()
        if opportunity.stage_entered_at and at < opportunity.stage_entered_at:
            why = f"is before the opportunity entered {opportunity.stage} ({opportunity.stage_entered_at})"
            raise ValidationFailed("1 field(s) are not valid", fields={"at": why})
        apply_fields(opportunity, command.fields or {})  # what is sent along counts for the gates
        quote = uow.quotes.get(opportunity.current_quote_id) if opportunity.current_quote_id else None
        opportunity.check_move(command.stage, funnel, quote.status if quote else None)
        cancel = list(opportunity.timers)
        events = _enter(opportunity, command.stage, command.by, at, command.reason, active, now)
        timers = stall_timers(opportunity, active)
        uow.commit(Change.of(opportunity, version, events=events, timers=timers, cancel=cancel))
        return moved_view(opportunity, active)

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def moved_view(opportunity: Opportunity, active: ActiveRules) -> dict[str, Any]:
    return {
        **opportunity.summary(),
        "probability": _probability(opportunity, active),
        "stage_entered_at": opportunity.stage_entered_at,
        "stage_history": opportunity.stage_history,
        "won_at": opportunity.won_at,
        "lost_at": opportunity.lost_at,
        "lost_reason": opportunity.lost_reason,
    }


def _enter(
    opportunity: Opportunity, target: str, by: str, at: str, reason: str | None, active: ActiveRules, now: datetime
) -> list[Event]:
    """Enter ``target``: OpportunityStageChanged, then OpportunityWon or OpportunityLost."""
    funnel = funnel_of(active)
    before = opportunity.stage
    forward = target in funnel.names and before in funnel.names and funnel.position(target) > funnel.position(before)
    opportunity.enter(target, at, by, reason if target == LOST else None)
    opportunity.timers = []
    direction = "lost" if target == LOST else "forward" if forward else "back"
    data = {"from": before, "to": target, "by": by, "at": at, "direction": direction, "owner_id": opportunity.owner_id}
    events = [_event("OpportunityStageChanged", opportunity, now, active, data)]
    owner = active.rules.owners.get(opportunity.owner_id)
    who = {"owner_id": opportunity.owner_id, "team": owner.team if owner else None, "amount": opportunity.amount}
    if target == LOST:
        opportunity.status, opportunity.lost_at, opportunity.lost_reason = "lost", at, reason
        lost = {"stage": before, "reason": reason, "by": by, "at": at, "lost_at": at}
        events.append(_event("OpportunityLost", opportunity, now, active, {**lost, **who}))
    elif target == funnel.won:
        opportunity.status, opportunity.won_at = "won", at
        won = {"by": by, "at": at, "won_at": at, "created_at": opportunity.created_at}
        events.append(
            _event("OpportunityWon", opportunity, now, active, {**won, **who, "contract_id": opportunity.contract_id})
        )
    return events


def win_on_signature(
    opportunity: Opportunity, contract_id: str, at: str, active: ActiveRules, now: datetime | None = None
) -> list[Event]:
    """The e-sign webhook's step (CONTRACT §2.8), inside the caller's own Change: the opportunity
    moves to the won stage whatever its gates (the signature is the proof) and records the
    contract. Returns the events to record (OpportunityStageChanged, OpportunityWon); the caller
    saves the opportunity at the version it read. ``at``: the signing time (ISO 8601), the won
    stage's ``entered_at``; ``now``: the events' time (default ``at``). Already won: no events.
    Its stall timer (if any) finds the opportunity won when it fires and does nothing."""
    won = funnel_of(active).won
    if opportunity.status == "won" and opportunity.contract_id == contract_id:
        return []
    opportunity.contract_id = contract_id
    if opportunity.status == "won" or won is None:
        return []
    opportunity.status = "open"  # a deal marked lost that gets signed is won after all
    return _enter(opportunity, won, ESIGN, at, None, active, now or parse_iso(at))


def record_opportunity_activity(
    opportunity_id: str, command: OpportunityActivity, active: ActiveRules, uow: SalesWork, clock: Clock
) -> dict[str, Any]:
    """``POST /opportunities/{id}/activities`` (the body of §2.4): counts for ``activity:<type>``."""
    activity = new_activity(command, clock())

    def attempt() -> dict[str, Any]:
        opportunity = _get(opportunity_id, uow)
        version, now = opportunity.version, clock()
        opportunity.add_activity(activity)
        opportunity.updated_at = iso(now)
        event = _event("ActivityRecorded", opportunity, now, active, dict(activity))
        change = Change.of(opportunity, version, events=[event])
        if activity["type"] in TOUCH_TYPES:  # a call, email or meeting engages the account, if it is one
            change.merge(company_engagement(uow, opportunity.account, activity["at"], active, now))
        uow.commit(change)
        return {**activity, "opportunity_id": opportunity.opportunity_id}

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


# ------------------------------------------------------------------ stalled (section 9)


def handlers(rules: RulesProvider) -> dict[str, Handler[SalesWork]]:
    def stalled(timer: Timer, now: datetime, uow: SalesWork) -> Change:
        return _stalled(timer, now, uow, rules.current())

    return {STALLED: stalled}


def _stalled(timer: Timer, now: datetime, uow: SalesWork, active: ActiveRules) -> Change:
    """Still in the stage it entered when the timer was set: tell the owner and their manager."""
    opportunity = uow.opportunities.get(subject_id(timer.about))
    if (
        opportunity is None
        or not opportunity.is_open
        or timer.timer_id not in opportunity.timers
        or opportunity.stage != timer.data["stage"]
        or opportunity.stage_entered_at != timer.data["entered_at"]
    ):
        return Change()  # it moved on (or closed): the timer just goes
    version = opportunity.version
    opportunity.timers = [t for t in opportunity.timers if t != timer.timer_id]
    chain = manager_chain(opportunity.owner_id, active.rules.owners)
    manager = chain[0].owner_id if chain else None
    data = {
        "kind": STALLED,
        "stage": opportunity.stage,
        "entered_at": opportunity.stage_entered_at,
        "max_days": timer.data["max_days"],
        "due_at": iso(timer.due_at),
        "owner_id": opportunity.owner_id,
        "manager_id": manager,
        "late_seconds": timer.late_by_seconds(now),
        "notify": [p for p in (opportunity.owner_id, manager) if p],
    }
    event = _event("OpportunityStalled", opportunity, now, active, data)
    alerts = alert_deliveries([event], opportunity.name, active, timer.timer_id, now)
    return Change(saves=[Save(opportunity, version), *(Save(a, None) for a in alerts)], events=[event])


def _event(
    kind: EventType, opportunity: Opportunity, now: datetime, active: ActiveRules, data: dict[str, Any]
) -> Event:
    return Event(kind, opportunity.subject, now, data, rules_version=active.version)
