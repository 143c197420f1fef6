"""Renewals (CONTRACT §2.11): reminders scheduled at signing from the Renewals tab, fired by the
timer engine, cancelled when the contract is renewed or cancelled.

- ``schedule_reminders`` is what the e-sign webhook calls in its own Change (it saves the timers).
- The ``renewal_reminder`` handler (``handlers``): ``RenewalReminder`` to the row's ``notify``
  roles up the account manager's chain; with an open P1 case on the account the reminder is
  marked ``on_hold`` and ``RenewalHeld`` escalates to the account manager's manager; at the row
  with ``create_opportunity``, the renewal opportunity (``open_renewal_opportunity``).
  Exactly once: the sweep commits the effect with the timer's conditioned delete, and the
  contract lists its pending reminders, so a cancelled reminder that still fires does nothing.
- ``end_contract`` renews or cancels a contract and cancels its pending reminders in one Change.

The release of a hold is on the case side: shared/customers/services/renewal_holds.py.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, Literal

from shared.customers.domain.accounts import Account
from shared.customers.domain.contracts import RENEWAL_REMINDER, Contract, RenewalRow, renewal_reminders
from shared.customers.domain.renewals import (
    ReminderMoves,
    hold_escalation,
    notify_people,
    reminded_entry,
    reminder_data,
    reminder_moves,
    renewal_opportunity,
)
from shared.customers.services.ports import CustomersWork
from shared.customers.services.renewal_holds import account_manager_of, confirmed_open_p1, held_data
from shared.deliveries.services.alerts import alert_deliveries
from shared.fulfilment.domain.orders import event_id_for
from shared.kernel.domain.errors import Conflict, NotFound
from shared.kernel.domain.events import Event, EventType, iso
from shared.kernel.services.ports import Change, Clock, Save
from shared.rules.domain.active import ActiveRules
from shared.rules.services.ports import RulesProvider
from shared.sales.domain.opportunities import Opportunity
from shared.sales.domain.stages import funnel_of
from shared.sales.services.opportunities import open_in_change
from shared.time.domain.timers import Timer
from shared.time.services.timers import Handler

BUSY = "this contract is being changed by many requests at once; please retry"


def renewal_rows(active: ActiveRules) -> list[RenewalRow]:
    return [RenewalRow.from_row(row, n) for n, row in enumerate(active.rules.content.get("Renewals", []), 1)]


def schedule_reminders(contract: Contract, active: ActiveRules, now: datetime) -> list[Timer]:
    """The contract's reminders (past ones skipped); their ids are kept on the contract so a
    renewal or cancellation can cancel them."""
    timers = renewal_reminders(
        contract, renewal_rows(active), active.rules.settings.timezone, now, f"Renewals tab, {active.version}"
    )
    contract.reminders = [t.timer_id for t in timers]
    return timers


def cancel_reminders(contract: Contract) -> list[str]:
    """The timer ids of the contract's pending reminders, taken off it: the caller's Change
    deletes them (``Change.of(..., cancel=ids)``)."""
    cancelled, contract.reminders = list(contract.reminders), []
    return cancelled


def end_contract(
    contract_id: str,
    status: Literal["renewed", "cancelled"],
    uow: CustomersWork,
    clock: Clock,
    reason: str | None = None,
) -> Contract:
    """The contract renewed or cancelled, its pending reminders cancelled, in one transaction."""

    def attempt() -> Contract:
        contract = uow.contracts.get(contract_id)
        if contract is None:
            raise NotFound(f"no contract with id {contract_id[:60]!r}")
        version = contract.version
        cancelled = contract.end(status, iso(clock()), reason)
        uow.commit(Change.of(contract, version, cancel=cancelled))
        return contract

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def renewed_by(opportunity: Opportunity | None, contract_id: str, uow: CustomersWork, at: str) -> Change:
    """For the e-sign webhook's Change: a contract signed on a renewal opportunity renews the
    contract it was opened for (``fields["renewal_of"]``), whose pending reminders are cancelled."""
    renewing = opportunity.fields.get("renewal_of") if opportunity is not None else None
    old = uow.contracts.get(str(renewing)) if renewing else None
    if old is None or old.status != "active":
        return Change()
    version = old.version
    cancelled = old.end("renewed", at, f"renewed by contract {contract_id}")
    return Change.of(old, version, cancel=cancelled)


# ------------------------------------------------------------------ the reminder fires


def handlers(rules: RulesProvider) -> dict[str, Handler[CustomersWork]]:
    def fire(timer: Timer, now: datetime, uow: CustomersWork) -> Change:
        return fire_reminder(timer, now, uow, rules.current())

    return {RENEWAL_REMINDER: fire}


def fire_reminder(timer: Timer, now: datetime, uow: CustomersWork, active: ActiveRules) -> Change:
    """The reminder's effect, committed by the sweep with the timer's deletion. A reminder the
    contract no longer lists (renewed, cancelled) just goes."""
    contract = uow.contracts.get(str(timer.data["contract_id"]))
    if contract is None or contract.status != "active" or timer.timer_id not in contract.reminders:
        return Change()
    version = contract.version
    account, manager_id = account_manager_of(contract, uow)
    owners = active.rules.owners
    holding = confirmed_open_p1(contract.account_id, uow)
    case_ids = [case.case_id for case in holding]
    contract.reminders = [t for t in contract.reminders if t != timer.timer_id]
    contract.reminded.append(reminded_entry(timer, now, case_ids))
    notify = notify_people(manager_id, timer.data.get("notify_roles") or [], owners)
    data = reminder_data(contract, timer, now, case_ids, notify)
    # the reminder's event id follows from its timer: it can be recorded once, ever
    events = [_event("RenewalReminder", contract, now, active, data, event_id_for(timer.timer_id, RENEWAL_REMINDER))]
    if case_ids:
        contract.place_hold(case_ids, iso(now))
        held = held_data(contract, manager_id, hold_escalation(manager_id, owners))
        events.append(_event("RenewalHeld", contract, now, active, held))
    # the holding cases are saved unchanged at the version read: a case resolving meanwhile makes
    # one of the two transactions fail and read again, so a hold never outlives its last P1 case
    change = Change(saves=[Save(contract, version), *(Save(case, case.version) for case in holding)], events=events)
    if timer.data.get("create_opportunity") and contract.renewal_opportunity is None:
        days = int(timer.data["days_before"])
        change.merge(open_renewal_opportunity(contract, account, manager_id, days, now, active))
    name = account.company if account else None
    alerts = alert_deliveries(change.events, name, active, timer.timer_id, now)
    change.saves.extend(Save(a, None) for a in alerts)
    return change


def open_renewal_opportunity(
    contract: Contract,
    account: Account | None,
    owner_id: str | None,
    days_before: int,
    now: datetime,
    active: ActiveRules,
) -> Change:
    """The renewal opportunity (CONTRACT §2.6 fields): the account, the account manager as owner,
    the contract's amount, its end date as the close date; opened in the first stage in the
    reminder's own transaction (``OpportunityCreated``, its stall timer), with
    ``RenewalOpportunityCreated`` and the fields kept on ``contract.renewal_opportunity``. Its id
    derives from the contract (``renewal_opportunity_id``): one renewal opportunity per contract.
    No Stages tab, or no owner on the Owners tab: nothing can be opened; the contract says why."""
    fields = renewal_opportunity(contract, account.company if account else None, owner_id, days_before)
    change = Change()
    if funnel_of(active).first is None or owner_id is None or owner_id not in active.rules.owners:
        reason = "no Stages" if funnel_of(active).first is None else "no account manager on the Owners tab"
        contract.note({"type": "renewal_opportunity_skipped", "at": iso(now), "reason": reason})
        return change
    company = {k: v for k, v in (("company", account.company), ("credit_code", account.credit_code),
               ("country", account.country)) if v} if account else {}  # fmt: skip
    opportunity = open_in_change(
        fields["name"],
        owner_id,
        company,
        active,
        now,
        change,
        amount=contract.amount,
        opportunity_id=fields["opportunity_id"],
        close_date=contract.end_date,
    )
    # the seam for approvals: a quote on this opportunity finds the contract whose hold it waits on
    opportunity.fields["renewal_of"] = contract.contract_id
    opportunity.account_id = contract.account_id
    contract.renewal_opportunity = {**fields, "created_at": iso(now)}
    contract.note({"type": "renewal_opportunity", "at": iso(now), "opportunity_id": fields["opportunity_id"]})
    change.events.append(_event("RenewalOpportunityCreated", contract, now, active, fields))
    return change


def _event(
    kind: EventType, contract: Contract, now: datetime, active: ActiveRules, data: dict[str, Any], event_id: str = ""
) -> Event:
    event = Event(type=kind, subject=contract.subject, time=now, data=data, rules_version=active.version)
    return replace(event, id=event_id) if event_id else event


# ------------------------------------------------------------------ backtest (an ops path)


def backtest_reminders(candidate: ActiveRules, uow: CustomersWork, now: datetime, examples: int = 5) -> ReminderMoves:
    """How many pending reminders a Renewals-tab change would move, without moving any: the
    reminders of a signed contract keep the rows of its signing. Reads every pending timer
    (``uow.timers.pending()``: a scan of the timers table) and each contract once — a CLI path
    for an operator, never a request path."""
    pending = [t for t in uow.timers.pending() if t.kind == RENEWAL_REMINDER]
    contracts = {}
    for contract_id in sorted({str(t.data["contract_id"]) for t in pending}):
        found = uow.contracts.get(contract_id)
        if found is not None:
            contracts[contract_id] = found
    rows = renewal_rows(candidate)
    return reminder_moves(pending, contracts, rows, candidate.rules.settings.timezone, now, examples)
