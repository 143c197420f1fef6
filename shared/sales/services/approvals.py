"""Approval steps (CONTRACT §2.7): asking an approver, their decision, and the time-out that
escalates an open step to the approver's manager (SLA rows of kind ``approval``, section 9).

A step's approval id names its quote (``ap_<quote hex>_<step>``): a decision reads that one
quote, checks who may decide, and commits the quote at the version it read — two decisions on
one step at once: one commits, the other reads again and answers 409 already_decided.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.customers.domain.contracts import Contract
from shared.deliveries.services.alerts import alert_deliveries
from shared.kernel.domain.errors import ApprovalNotFound, Conflict, RenewalOnHold
from shared.kernel.domain.events import Event, EventType, iso, parse_iso
from shared.kernel.services.ports import Change, Clock, Save
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import manager_chain
from shared.rules.services.ports import RulesProvider
from shared.sales.domain.quotes import Quote, parse_approval_id
from shared.sales.services.ports import SalesWork
from shared.time.domain.sla import SlaRule, basis, first_matching
from shared.time.domain.timers import Timer, TimerKind, timer_id_for
from shared.time.services.timers import Handler

if TYPE_CHECKING:  # read at the edge (shared/kernel/messages/validation.py: read)
    from shared.sales.messages.sales import ApprovalDecision

TIMEOUT: TimerKind = "approval_timeout"
APPROVAL = "approval"  # the SLA kind
BUSY = "this quote is being decided by many requests at once; please retry"


def quote_name(quote: Quote) -> str:
    """What an alert calls the quote: the customer and the amount."""
    company = quote.account.get("company")
    money = f"{quote.currency} {quote.amount}"
    return f"{company} · {money}" if company else f"{quote.quote_id} · {money}"


def request_step(quote: Quote, step: dict[str, Any], active: ActiveRules, now: datetime) -> Change:
    """The step's turn: ApprovalRequested (its approver hears it) and, with an ``approval`` SLA
    row, the time-out timer that escalates it."""
    step["status"], step["requested_at"] = "pending", iso(now)
    rule = first_matching(active.sla, APPROVAL)
    timers: list[Timer] = []
    if rule is not None:
        timer = _timeout_timer(quote, step, rule, active, now, level=0)
        step["due_at"], step["timer"] = iso(timer.due_at), timer.timer_id
        timers.append(timer)
    quote.note(
        {
            "at": iso(now),
            "what": "requested",
            "approval_id": step["approval_id"],
            "role": step["role"],
            "approver_id": step["approver_id"],
            "due_at": step["due_at"],
            "rules_version": active.version,
        }
    )
    data = {**_step_data(quote, step), "notify": [step["approver_id"]]}
    event = _event("ApprovalRequested", quote, now, active, data)
    calendar = rule.calendar if rule else None
    alerts = alert_deliveries([event], quote_name(quote), active, step["approval_id"], now, calendar)
    return Change(saves=[*(Save(t, None) for t in timers), *(Save(a, None) for a in alerts)], events=[event])


def _timeout_timer(
    quote: Quote, step: dict[str, Any], rule: SlaRule, active: ActiveRules, since: datetime, level: int
) -> Timer:
    due = basis(rule, active.calendars).add(since, rule.target_hours)
    data = {"quote_id": quote.quote_id, "approval_id": step["approval_id"], "level": level, "sla_row": rule.row}
    set_by = f"SLA row {rule.row} (approval), {active.version}"
    return Timer(TIMEOUT, quote.subject, due, data, set_by, timer_id_for(TIMEOUT, step["approval_id"], str(level)))


def _step_data(quote: Quote, step: dict[str, Any]) -> dict[str, Any]:
    return {
        "quote_id": quote.quote_id,
        "opportunity_id": quote.opportunity_id,
        "approval_id": step["approval_id"],
        "step": step["step"],
        "role": step["role"],
        "approver_id": step["approver_id"],
        "owner_id": quote.owner_id,
        "amount": quote.amount,
        "discount": quote.discount,
        "currency": quote.currency,
        "kind": APPROVAL,
        "due_at": step.get("due_at"),
    }


def decide(
    approval_id: str, command: ApprovalDecision, active: ActiveRules, uow: SalesWork, clock: Clock
) -> dict[str, Any]:
    """``POST /approvals/{approval_id}/decision``: 403 not_approver, 409 not_your_turn or
    already_decided; a rejection ends the chain (QuoteRejected), the last approval approves the
    quote (QuoteApproved), any other opens the next step."""
    where = parse_approval_id(approval_id)
    if where is None:
        raise ApprovalNotFound(f"no approval step with id {approval_id[:60]!r}")

    def attempt() -> dict[str, Any]:
        quote = uow.quotes.get(where[0])
        step = quote.step(approval_id) if quote else None
        if quote is None or step is None:
            raise ApprovalNotFound(f"no approval step with id {approval_id[:60]!r}")
        version, now = quote.version, clock()
        quote.check_decider(step, command.by, active.rules.owners)
        held = held_renewal(quote, uow)
        if held is not None and held.hold is not None:
            cases = ", ".join(held.hold["case_ids"])
            raise RenewalOnHold(f"the renewal of {held.contract_id} is on hold while P1 case(s) {cases} are open")
        cancel = [step["timer"]] if step.get("timer") else []
        cancel += quote.decide(step, command.decision, command.by, command.note, iso(now), active.version)
        quote.updated_at = iso(now)
        decided = {
            **_step_data(quote, step),
            "by": command.by,
            "decision": command.decision,
            "note": command.note,
            "decided_at": step["decided_at"],
        }
        change = Change(events=[_event("ApprovalDecided", quote, now, active, decided)])
        change.merge(settled(quote, active, now))
        change.saves.insert(0, Save(quote, version))
        change.deletes += [f"timer/{t}" for t in cancel]
        uow.commit(change)
        return {**quote.view(), "decided": quote.approval()["steps"][step["step"] - 1]}

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def settled(quote: Quote, active: ActiveRules, now: datetime) -> Change:
    """What follows a quote's state: approved or rejected (their events), else the next step asked."""
    owner = active.rules.owners.get(quote.owner_id)
    summary = {
        **quote.summary(),
        "owner_id": quote.owner_id,
        "team": owner.team if owner else None,
        "rules_version": active.version,
    }
    if quote.status == "approved":
        approved = {**summary, "quote_created_at": quote.created_at, "approved_at": iso(now)}
        return Change(events=[_event("QuoteApproved", quote, now, active, approved)])
    if quote.status == "rejected":
        by = next((s["decided_by"] for s in quote.steps if s["status"] == "rejected"), None)
        return Change(events=[_event("QuoteRejected", quote, now, active, {**summary, "by": by})])
    step = quote.pending_step()
    return request_step(quote, step, active, now) if step is not None else Change()


# ------------------------------------------------------------------ time-outs (section 9)


def handlers(rules: RulesProvider) -> dict[str, Handler[SalesWork]]:
    def timeout(timer: Timer, now: datetime, uow: SalesWork) -> Change:
        return _timeout(timer, now, uow, rules.current())

    return {TIMEOUT: timeout}


def _timeout(timer: Timer, now: datetime, uow: SalesWork, active: ActiveRules) -> Change:
    """Still open past its target: the step is escalated one level up the approver's chain
    (ApprovalEscalated, that manager alerted; they may decide it as anyone above may); each
    further full target without a decision goes one more level up."""
    quote = uow.quotes.get(timer.data["quote_id"])
    step = quote.step(timer.data["approval_id"]) if quote else None
    if quote is None or step is None or step["status"] != "pending" or step.get("timer") != timer.timer_id:
        return Change()  # decided, cancelled or superseded meanwhile: the timer just goes
    if held_renewal(quote, uow) is not None:
        return Change()  # a held step's clock does not run: the release plans its time-out again
    version = quote.version
    holder = step["escalated_to"][-1]["owner_id"] if step["escalated_to"] else step["approver_id"]
    chain = manager_chain(holder, active.rules.owners)
    manager = chain[0].owner_id if chain else None
    level = int(timer.data["level"]) + 1
    step["escalated_to"] = [*step["escalated_to"], {"owner_id": manager, "at": iso(now), "level": level}]
    step["timer"] = None
    timers = []
    rule = next((r for r in active.sla if r.row == timer.data["sla_row"] and r.kind == APPROVAL), None)
    if rule is not None and manager is not None and manager_chain(manager, active.rules.owners):
        following = _timeout_timer(quote, step, rule, active, timer.due_at, level)
        step["timer"] = following.timer_id
        timers.append(following)
    quote.note(
        {
            "at": iso(now),
            "what": "escalated",
            "approval_id": step["approval_id"],
            "to": manager,
            "level": level,
            "rules_version": active.version,
        }
    )
    data = {
        **_step_data(quote, step),
        "escalated_to": manager,
        "level": level,
        "late_seconds": timer.late_by_seconds(now),
        "notify": [manager] if manager else [],
    }
    data["due_at"] = iso(timer.due_at)
    event = _event("ApprovalEscalated", quote, now, active, data)
    alerts = alert_deliveries([event], quote_name(quote), active, timer.timer_id, now, rule.calendar if rule else None)
    saves = [Save(quote, version), *(Save(t, None) for t in timers), *(Save(a, None) for a in alerts)]
    return Change(saves=saves, events=[event])


def held_renewal(quote: Quote, uow: SalesWork) -> Contract | None:
    """The contract whose renewal this quote is, when that renewal is on hold (CONTRACT §2.11)."""
    opportunity = uow.opportunities.get(quote.opportunity_id) if quote.opportunity_id else None
    renewal_of = opportunity.fields.get("renewal_of") if opportunity else None
    contract = uow.contracts.get(str(renewal_of)) if renewal_of else None
    return contract if contract is not None and contract.on_hold else None


def resume_after_hold(
    contract: Contract, held_since: str, now: datetime, uow: SalesWork, active: ActiveRules
) -> Change:
    """The hold ended: each open step of the renewal quote gets its time-out back, later by as long
    as the step waited on hold (its clock did not run meanwhile)."""
    opportunity_id = (contract.renewal_opportunity or {}).get("opportunity_id")
    opportunity = uow.opportunities.get(opportunity_id) if opportunity_id else None
    quote = uow.quotes.get(opportunity.current_quote_id) if opportunity and opportunity.current_quote_id else None
    rule = first_matching(active.sla, APPROVAL)
    if quote is None or rule is None:
        return Change()
    version, change = quote.version, Change()
    for step in quote.steps:
        if step["status"] != "pending" or not step.get("due_at"):
            continue
        paused_from = max(parse_iso(held_since), parse_iso(step["requested_at"]))
        due = parse_iso(step["due_at"]) + max(now - paused_from, timedelta(0))
        level = len(step["escalated_to"])
        data = {"quote_id": quote.quote_id, "approval_id": step["approval_id"], "level": level, "sla_row": rule.row}
        timer_id = timer_id_for(TIMEOUT, step["approval_id"], f"{level}|{iso(due)}")
        timer = Timer(TIMEOUT, quote.subject, due, data, f"SLA row {rule.row} (approval), {active.version}", timer_id)
        if step.get("timer"):
            change.deletes.append(f"timer/{step['timer']}")
        step["due_at"], step["timer"] = iso(due), timer.timer_id
        change.saves.append(Save(timer, None))
    if change.saves:
        quote.note({"at": iso(now), "what": "resumed", "held_since": held_since, "rules_version": active.version})
        change.saves.insert(0, Save(quote, version))
    return change


def _event(kind: EventType, quote: Quote, now: datetime, active: ActiveRules, data: dict[str, Any]) -> Event:
    return Event(kind, quote.subject, now, data, rules_version=active.version)
