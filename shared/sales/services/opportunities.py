"""Opening opportunities (CONTRACT §2.6): from a lead — the lead is converted, its owner's load
released and its SLA clock closed, its account and contact carried over — or from scratch; and
by themselves when Settings ``create_opportunity_on`` says so (``sql``, ``first_touch``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from shared.kernel.domain.errors import Conflict, InvalidTransition, LeadNotFound
from shared.kernel.domain.events import Event, EventType, iso, parse_iso
from shared.kernel.services.ports import Change, Clock, Release, Save
from shared.leads.domain.leads import Lead, is_lead_id
from shared.leads.services.sla_clocks import close_clocks
from shared.rules.domain.active import ActiveRules
from shared.sales.domain.opportunities import Opportunity, new_opportunity_id, opportunity_id_for_lead
from shared.sales.domain.pricing import money
from shared.sales.domain.stages import Funnel, funnel_of
from shared.sales.services.ports import SalesWork
from shared.time.domain.timers import Timer, TimerKind, timer_id_for

if TYPE_CHECKING:  # read at the edge (shared/kernel/messages/validation.py: read)
    from shared.sales.messages.sales import OpportunityNew

BUSY = "this opportunity is being changed by many requests at once; please retry"
STALLED: TimerKind = "opportunity_stalled"
CONTACT_FIELDS = ("name", "email", "phone", "title")
ACCOUNT_FIELDS = ("company", "credit_code", "country")


def create_opportunity(command: OpportunityNew, active: ActiveRules, uow: SalesWork, clock: Clock) -> dict[str, Any]:
    """``POST /opportunities``: ``201`` with the opportunity, in its first stage."""
    _require_funnel(funnel_of(active))

    def attempt() -> dict[str, Any]:
        now = clock()
        lead = None if command.lead_id is None else _open_lead(command.lead_id, uow)
        if lead is None:
            opportunity = _open(new_opportunity_id(), command.name, command.owner_id, active, now)
        else:
            opportunity = from_lead(lead, command.owner_id, command.name, active, now)
        account = command.account.model_dump(exclude_none=True) if command.account else {}
        opportunity.account = {**opportunity.account, **account}
        opportunity.amount = money(command.amount) if command.amount is not None else opportunity.amount
        opportunity.close_date = command.close_date.isoformat() if command.close_date else None
        opportunity.fields.update(command.fields or {})
        change = Change()
        _opened(opportunity, active, now, change)
        if lead is not None:
            change.saves.append(Save(lead, lead.version))
            convert_into(lead, opportunity, "manual", active, now, change)
        uow.commit(change)
        return opportunity.summary() | {"stage_entered_at": opportunity.stage_entered_at}

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def _require_funnel(funnel: Funnel) -> None:
    if funnel.first is None:
        raise InvalidTransition("the Stages tab has no stages: publish a funnel before opening opportunities")


def _open_lead(lead_id: str, uow: SalesWork) -> Lead:
    lead = uow.leads.get(lead_id) if is_lead_id(lead_id) else None
    if lead is None:
        raise LeadNotFound(f"no lead with id {lead_id[:60]!r}")
    if not lead.is_open:
        where = f" (opportunity {lead.opportunity_id})" if lead.opportunity_id else ""
        raise InvalidTransition(
            f"the lead is already {lead.status}{where}; only an open lead converts",
            fields={"lead_id": f"the lead is {lead.status}"},
        )
    return lead


def _open(opportunity_id: str, name: str, owner_id: str, active: ActiveRules, now: datetime) -> Opportunity:
    first = funnel_of(active).first
    assert first is not None  # _require_funnel
    opportunity = Opportunity(
        opportunity_id=opportunity_id,
        name=name,
        owner_id=owner_id,
        stage=first.stage,
        created_at=iso(now),
        rules_version=active.version,
    )
    opportunity.enter(first.stage, iso(now), owner_id)
    return opportunity


def from_lead(lead: Lead, owner_id: str, name: str | None, active: ActiveRules, now: datetime) -> Opportunity:
    """The lead's account, contact, budget and activities carried over."""
    fields = lead.fields
    title = name or fields.get("company") or fields.get("name") or lead.lead_id
    opportunity = _open(opportunity_id_for_lead(lead.lead_id), str(title)[:200], owner_id, active, now)
    opportunity.lead_id = lead.lead_id
    opportunity.account = {k: fields[k] for k in ACCOUNT_FIELDS if fields.get(k)}
    opportunity.contact = {k: fields[k] for k in CONTACT_FIELDS if fields.get(k)}
    if isinstance(fields.get("budget"), int | float) and not isinstance(fields.get("budget"), bool):
        opportunity.fields["budget"] = money(Decimal(str(fields["budget"])))
    opportunity.lead_activity_types = sorted({str(a.get("type")) for a in lead.activities})
    return opportunity


def convert_into(
    lead: Lead, opportunity: Opportunity, trigger: str, active: ActiveRules, now: datetime, change: Change
) -> None:
    """Convert ``lead`` into ``opportunity`` within ``change``: the lead closes as converted, its
    owner's load is released, its SLA clock closes (no verdict) and its timers are cancelled.
    What ``change`` already does to the same items is netted out, since one transaction may touch
    an item once: a timer set in this change is not saved, a load taken in it is not taken."""
    owner = lead.owner_id
    lead.status, lead.closed_at, lead.opportunity_id = "converted", iso(now), opportunity.opportunity_id
    lead.close_reason, lead.queue, lead.nurture, lead.updated_at = "converted", None, False, iso(now)
    cancel = set(close_clocks(lead, iso(now), "converted"))
    new_timers = {s.aggregate.timer_id for s in change.saves if isinstance(s.aggregate, Timer)}
    change.saves = [s for s in change.saves if not (isinstance(s.aggregate, Timer) and s.aggregate.timer_id in cancel)]
    change.deletes += [f"timer/{t}" for t in sorted(cancel - new_timers)]
    if owner is not None:
        taken = next((load for load in change.loads if load.owner_id == owner), None)
        if taken is not None:
            change.loads.remove(taken)
        else:
            change.releases.append(Release(owner))
    data = {
        "opportunity_id": opportunity.opportunity_id,
        "owner_id": owner,
        "opportunity_owner_id": opportunity.owner_id,
        "trigger": trigger,
    }
    change.events.append(Event("LeadConverted", lead.subject, now, data, rules_version=active.version))


def _opened(opportunity: Opportunity, active: ActiveRules, now: datetime, change: Change) -> None:
    """The new opportunity, OpportunityCreated and the first stage's stall timer."""
    data = {**opportunity.summary(), "stage_entered_at": opportunity.stage_entered_at}
    change.events.append(_event("OpportunityCreated", opportunity, now, active, data))
    change.saves.append(Save(opportunity, None))
    change.saves += [Save(t, None) for t in stall_timers(opportunity, active)]


def stall_timers(opportunity: Opportunity, active: ActiveRules) -> list[Timer]:
    """A stage with ``max_days``: a timer that alerts if the opportunity is still there then."""
    stage = funnel_of(active).get(opportunity.stage)
    if stage is None or stage.max_days is None or stage.max_days <= 0 or not opportunity.is_open:
        return []
    entered = opportunity.stage_entered_at or opportunity.created_at
    due = parse_iso(entered) + timedelta(days=float(stage.max_days))
    key = f"{stage.stage}|{entered}"
    timer = Timer(
        STALLED,
        opportunity.subject,
        due,
        {"stage": stage.stage, "entered_at": entered, "max_days": float(stage.max_days)},
        f"Stages {stage.stage} max_days {stage.max_days}, {active.version}",
        timer_id_for(STALLED, opportunity.opportunity_id, key),
    )
    opportunity.timers = [timer.timer_id]
    return [timer]


def open_in_change(
    name: str,
    owner_id: str,
    account: dict[str, Any],
    active: ActiveRules,
    now: datetime,
    change: Change,
    *,
    amount: str | None = None,
    opportunity_id: str | None = None,
    close_date: str | None = None,
) -> Opportunity:
    """An opportunity opened by another use case inside its own Change (a renewal reminder's
    ``create_opportunity``): first stage, OpportunityCreated, its stall timer. ``opportunity_id``:
    one derived from the cause (a renewal: from its contract), so it can only be made once."""
    _require_funnel(funnel_of(active))
    opportunity = _open(opportunity_id or new_opportunity_id(), name[:200], owner_id, active, now)
    opportunity.account, opportunity.amount, opportunity.close_date = dict(account), amount, close_date
    _opened(opportunity, active, now, change)
    return opportunity


def auto_convert(lead: Lead, trigger: str, active: ActiveRules, now: datetime, change: Change) -> Opportunity | None:
    """Settings ``create_opportunity_on`` = ``trigger`` (``sql``: the lead just reached sql with
    an owner; ``first_touch``: its owner first touched an sql lead): the lead becomes an
    opportunity owned by its owner, in the same change."""
    settings = active.rules.settings
    if settings.create_opportunity_on != trigger or funnel_of(active).first is None:
        return None
    if not lead.is_open or lead.grade != "sql" or lead.owner_id is None:
        return None
    opportunity = from_lead(lead, lead.owner_id, None, active, now)
    _opened(opportunity, active, now, change)
    convert_into(lead, opportunity, trigger, active, now, change)
    return opportunity


def _event(
    kind: EventType, opportunity: Opportunity, now: datetime, active: ActiveRules, data: dict[str, Any]
) -> Event:
    return Event(kind, opportunity.subject, now, data, rules_version=active.version)
