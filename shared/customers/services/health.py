"""Account health (CONTRACT §2.10): the usage webhook, health recomputed on change, and the daily
``health-sweep``.

Health is computed from small signals kept on the account as things happen (its latest usage
report, its open cases and recent CSAT, its unpaid and rejected invoices, its activity per day),
so nothing here reads cases, invoices or leads. Whatever changes a signal — a usage report, a
case opened, resolved or rated, finance's write-back, a sales activity on one of its leads —
recomputes the account's health in the same transaction (:func:`signal_change`); the sweep
recomputes every account once a day, because time alone moves some dimensions (an invoice falls
overdue, activity ages out of its 30 days). Both keep what is below on the account, so
``HealthWarning`` (with an alert to the account manager) is emitted once, when an account newly
falls, whichever of the two sees it first.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.customers.domain.accounts import Account, account_id_for, is_account_id
from shared.customers.domain.health import HealthPolicy, Refresh, refresh, warning
from shared.customers.domain.health_signals import record_activity, record_case, record_usage
from shared.customers.services.account_sweep import sweep_accounts
from shared.customers.services.ports import CustomersWork
from shared.deliveries.services.alerts import alert_deliveries
from shared.kernel.domain.errors import AccountNotFound, Conflict
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import Change, Clock, Save
from shared.leads.domain.leads import Lead
from shared.rules.domain.active import ActiveRules
from shared.rules.domain.rules import Source
from shared.service_desk.domain.cases import Case

if TYPE_CHECKING:
    from shared.customers.messages.accounts import UsageReport

BUSY = "this account is being changed by many requests at once; please retry"
PAGE_SIZE = 100
ENGAGING_CASE_EVENTS = ("first_response", "agent_reply", "customer_replied", "resolved", "reopened")
MAX_LISTED_FAILURES = 20


def policy_of(active: ActiveRules) -> HealthPolicy:
    return HealthPolicy.from_rows(active.rules.content.get("Health", []), active.rules.settings.health_threshold)


def health_change(account: Account, expected_version: int | None, active: ActiveRules, now: datetime) -> Change:
    """The account saved with its health recomputed now; a ``HealthWarning`` and the account
    manager's alerts when something newly fell below its threshold."""
    return _change_of(account, expected_version, refresh(account, policy_of(active), now, active.version), active, now)


def _change_of(
    account: Account, expected_version: int | None, result: Refresh, active: ActiveRules, now: datetime
) -> Change:
    change = Change(saves=[Save(account, expected_version)])
    event = warning(account, result, now, active.version)
    if event is not None:
        change.events.append(event)
        change.saves.extend(Save(d, None) for d in alert_deliveries([event], account.company, active, event.id, now))
    return change


def signal_change(
    uow: CustomersWork,
    account_id: str | None,
    update: Callable[[dict[str, Any]], object],
    active: ActiveRules,
    now: datetime,
) -> Change:
    """For another aggregate's transaction: ``update`` the account's signals; if they changed, the
    account (at the version read: a racing change makes the whole transaction retry) with its
    health recomputed. No such account (a case for a company that is not a customer yet): nothing."""
    account = uow.accounts.get(account_id) if account_id and is_account_id(account_id) else None
    if account is None:
        return Change()
    before = copy.deepcopy(account.signals)
    update(account.signals)
    if account.signals == before:
        return Change()
    return health_change(account, account.version, active, now)


# ------------------------------------------------------------------ the usage webhook


def report_usage(
    usage: UsageReport, source: Source, active: ActiveRules, uow: CustomersWork, clock: Clock
) -> dict[str, Any]:
    """``POST /webhooks/usage/{source}``: the account's latest usage, and its health now."""
    received = clock()  # absent, the report's time is when it came
    account_id = usage.named_account_id
    report = {
        "account_id": account_id,
        "active_users": usage.active_users,
        "licensed_users": usage.licensed_users,
        "at": usage.at or iso(received),
    }

    def attempt() -> dict[str, Any]:
        now = clock()
        account = uow.accounts.get(account_id)
        if account is None:
            raise AccountNotFound(f"no account with id {account_id!r}", fields={"account_id": "no such account"})
        version = account.version
        recorded = record_usage(account.signals, report, source.source)
        if recorded:
            uow.commit(health_change(account, version, active, now))
        return {
            "account_id": account_id,
            "recorded": recorded,  # False: a later report was already recorded
            "usage": account.signals["usage"],
            "health": health_summary(account),
        }

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def health_summary(account: Account) -> dict[str, Any] | None:
    health = account.health
    if not health:
        return None
    return {
        "score": health.get("score"),
        "below": health.get("below"),
        "dimensions": {name: d.get("score") for name, d in (health.get("dimensions") or {}).items()},
        "computed_at": health.get("computed_at"),
    }


# ------------------------------------------------------------------ signals from other aggregates


def case_signals(uow: CustomersWork, case: Case, engaged_at: str | None, active: ActiveRules, now: datetime) -> Change:
    """A case opened, or an event recorded on it: its account's open cases, the case's latest CSAT,
    and (``engaged_at``) one service activity."""
    played = case.replay()
    csat = (played.csat, played.csat_at) if played.csat is not None and played.csat_at else None

    def update(signals: dict[str, Any]) -> None:
        is_open = played.status != "resolved"
        record_case(signals, case.case_id, case.priority, case.opened_at, is_open, csat, now)
        if engaged_at is not None:
            record_activity(signals, engaged_at, now)

    return signal_change(uow, case.account_id, update, active, now)


def company_account_id(company: Mapping[str, Any]) -> str | None:
    """The account a company is, by the id every part derives (the credit code, else the folded
    company name and country: leads and opportunities carry no account id); None if it cannot be told."""
    try:
        return account_id_for(
            credit_code=company.get("credit_code"), company=company.get("company"), country=company.get("country")
        )
    except ValueError:
        return None


def lead_engagement(uow: CustomersWork, lead: Lead, at: str, active: ActiveRules, now: datetime) -> Change:
    """A sales activity on a lead whose company is an account counts as engagement of the account."""
    return signal_change(uow, company_account_id(lead.fields), lambda s: record_activity(s, at, now), active, now)


def company_engagement(
    uow: CustomersWork, company: Mapping[str, Any], at: str, active: ActiveRules, now: datetime
) -> Change:
    """A sales activity on an opportunity of a company that is an account: engagement of the account."""
    return signal_change(uow, company_account_id(company), lambda s: record_activity(s, at, now), active, now)


# ------------------------------------------------------------------ health-sweep


@dataclass
class SweepReport:
    accounts: int = 0
    updated: int = 0  # health (or today's point of its history) written
    unchanged: int = 0  # already computed today with the same result
    warnings: int = 0
    failed: list[str] = field(default_factory=list)  # account ids that could not be written
    next_after: str | None = None  # where the next run carries on (the time budget ran out), else None

    def summary(self) -> dict[str, Any]:
        return {
            "finished": self.next_after is None,
            "accounts": self.accounts,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "warnings": self.warnings,
            "failed": len(self.failed),
            "failed_accounts": self.failed[:MAX_LISTED_FAILURES],
        }


def sweep_health(
    active: ActiveRules,
    uow: CustomersWork,
    now: datetime,
    page_size: int = PAGE_SIZE,
    after: str | None = None,
    time_left: Callable[[], float] | None = None,
) -> SweepReport:
    """Recompute every account's health as of ``now``, a page of accounts at a time, from the
    account after ``after`` (a run that stopped: its ``next_after``). One account that cannot be
    written (a race lost every retry, a bad item) is counted and skipped. When ``time_left``
    runs low between pages the run stops and says where to carry on."""
    tally = sweep_accounts(uow, lambda account: _sweep_one(account, active, uow, now), page_size, after, time_left)
    return SweepReport(tally.accounts, tally.updated, tally.unchanged, tally.counted, tally.failed, tally.next_after)


def _sweep_one(listed: Account, active: ActiveRules, uow: CustomersWork, now: datetime) -> int | None:
    """None: nothing to write; else the number of warnings written (0 or 1)."""
    first = [listed]

    def attempt() -> int | None:
        account = first.pop() if first else uow.accounts.get(listed.account_id)
        if account is None:
            return None  # gone since the page was read
        version = account.version
        result = refresh(account, policy_of(active), now, active.version)
        if not result.changed:
            return None
        change = _change_of(account, version, result, active, now)
        uow.commit(change)
        return len(change.events)

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


__all__ = [
    "SweepReport",
    "case_signals",
    "company_account_id",
    "company_engagement",
    "health_change",
    "lead_engagement",
    "policy_of",
    "report_usage",
    "signal_change",
    "sweep_health",
]
