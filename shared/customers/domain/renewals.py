"""Renewals (CONTRACT §2.11): who a reminder tells, what it says, the P1 hold's escalation, the
renewal opportunity's fields, and what a Renewals-tab change would move. Pure: time and the
rules are passed in; the services (shared/customers/services/renewals.py, renewal_holds.py) do the I/O.

- ``notify`` roles are resolved from the account manager: ``am`` is the account manager
  themself, any other role the nearest person with it up their ``manager_id`` chain.
- A hold is escalated to the account manager's manager (the next person up the chain).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.customers.domain.contracts import RENEWAL_REMINDER, Contract, RenewalRow, renewal_reminders
from shared.kernel.domain.events import iso
from shared.rules.domain.rules import Owner, escalation_target, manager_chain
from shared.time.domain.timers import Timer

ACCOUNT_MANAGER_ROLE = "am"  # in a Renewals `notify` cell: the account manager themself
HOLDING_PRIORITY = "P1"  # an unresolved case of this priority holds the account's renewal


def notify_people(account_manager_id: str | None, roles: Iterable[str], owners: Mapping[str, Owner]) -> list[str]:
    """The people a reminder tells, in the order of the roles, each once. A role nobody holds up
    the chain tells nobody (publishing checks roles exist; a chain can still lack one)."""
    if not account_manager_id:
        return []
    people: list[str] = []
    for role in roles:
        if role == ACCOUNT_MANAGER_ROLE:
            person: str | None = account_manager_id if account_manager_id in owners else None
        else:
            found = escalation_target(account_manager_id, role, dict(owners))
            person = found.owner_id if found else None
        if person and person not in people:
            people.append(person)
    return people


def hold_escalation(account_manager_id: str | None, owners: Mapping[str, Owner]) -> list[str]:
    """Who hears that a renewal is held: the account manager's manager (none when at the top)."""
    if not account_manager_id:
        return []
    chain = manager_chain(account_manager_id, dict(owners))
    return [chain[0].owner_id] if chain else []


def reminder_data(
    contract: Contract, timer: Timer, now: datetime, case_ids: list[str], notify: list[str]
) -> dict[str, Any]:
    """``RenewalReminder``'s data: the contract's end and value, whether the renewal is held (and
    by which P1 cases), who is told and how late the reminder fired."""
    return {
        "days_before": int(timer.data["days_before"]),
        "contract_id": contract.contract_id,
        "end_date": contract.end_date,
        "amount": contract.amount,
        "currency": contract.currency,
        "account_id": contract.account_id,
        "renewal_row": timer.data.get("renewal_row"),
        "due_at": iso(timer.due_at),
        "late_seconds": timer.late_by_seconds(now),
        "on_hold": bool(case_ids),
        "case_ids": sorted(case_ids),
        "notify": notify,
    }


def reminded_entry(timer: Timer, now: datetime, case_ids: list[str]) -> dict[str, Any]:
    """What the contract keeps of a fired reminder (``GET`` and the approvals read it)."""
    return {
        "timer_id": timer.timer_id,
        "days_before": int(timer.data["days_before"]),
        "due_at": iso(timer.due_at),
        "fired_at": iso(now),
        "late_seconds": timer.late_by_seconds(now),
        "on_hold": bool(case_ids),
        "case_ids": sorted(case_ids),
    }


def renewal_opportunity_id(contract_id: str) -> str:
    """One renewal opportunity per contract: its id follows from the contract."""
    return "op_" + hashlib.sha256(f"renewal|{contract_id}".encode()).hexdigest()[:20]


def renewal_opportunity(
    contract: Contract, company: str | None, owner_id: str | None, days_before: int
) -> dict[str, Any]:
    """What a renewal opportunity needs (CONTRACT §2.6's POST /opportunities fields): the account,
    the owner (the account manager), the amount to renew, the contract and a name."""
    return {
        "opportunity_id": renewal_opportunity_id(contract.contract_id),
        "contract_id": contract.contract_id,
        "account_id": contract.account_id,
        "owner_id": owner_id,
        "amount": contract.amount,
        "currency": contract.currency,
        "name": f"Renewal: {company or contract.account_id} (ends {contract.end_date})",
        "close_date": contract.end_date,
        "days_before": days_before,
    }


# ------------------------------------------------------------------ backtest of a Renewals change


@dataclass
class ReminderMoves:
    """What a Renewals-tab change would do to the reminders already pending, if it applied to
    them. It does not: the reminders of a contract are fixed at its signing."""

    pending: int = 0  # pending renewal reminders looked at
    contracts: int = 0
    moved: int = 0  # its instant would change
    dropped: int = 0  # the candidate has no row for its days_before
    changed: int = 0  # same instant, other notify roles or create_opportunity
    added: int = 0  # the candidate would set one these contracts lack (still in the future)
    examples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def affected(self) -> int:
        return self.moved + self.dropped + self.changed

    def to_dict(self) -> dict[str, Any]:
        keys = ("pending", "contracts", "moved", "dropped", "changed", "added")
        return {**{k: getattr(self, k) for k in keys}, "affected": self.affected, "examples": self.examples}


def reminder_moves(
    pending: Iterable[Timer],
    contracts: Mapping[str, Contract],
    rows: list[RenewalRow],
    timezone: str,
    now: datetime,
    examples: int = 5,
) -> ReminderMoves:
    """Compare each contract's pending reminders with those the candidate rows would set now
    (past instants skipped, as at signing). ``contracts``: contract id → contract."""
    report = ReminderMoves()
    by_contract: dict[str, list[Timer]] = {}
    for timer in pending:
        if timer.kind == RENEWAL_REMINDER:
            by_contract.setdefault(str(timer.data["contract_id"]), []).append(timer)
    for contract_id, timers in sorted(by_contract.items()):
        report.pending += len(timers)
        contract = contracts.get(contract_id)
        if contract is None or contract.status != "active":
            continue
        report.contracts += 1
        fired = {int(entry["days_before"]) for entry in contract.reminded}
        wanted = {int(t.data["days_before"]): t for t in renewal_reminders(contract, rows, timezone, now, "candidate")}
        for timer in timers:
            days = int(timer.data["days_before"])
            after = wanted.pop(days, None)
            verdict = _verdict(timer, after)
            if verdict:
                setattr(report, verdict, getattr(report, verdict) + 1)
                if len(report.examples) < examples:
                    report.examples.append(_example(contract_id, days, verdict, timer, after))
        report.added += sum(1 for days in wanted if days not in fired)
    return report


def _verdict(timer: Timer, after: Timer | None) -> str | None:
    if after is None:
        return "dropped"
    if after.due_at != timer.due_at:
        return "moved"
    keys = ("notify_roles", "create_opportunity")
    return "changed" if any(after.data.get(k) != timer.data.get(k) for k in keys) else None


def _example(contract_id: str, days: int, verdict: str, timer: Timer, after: Timer | None) -> dict[str, Any]:
    return {
        "contract_id": contract_id,
        "days_before": days,
        "verdict": verdict,
        "due_at": iso(timer.due_at),
        "candidate_due_at": iso(after.due_at) if after else None,
    }
