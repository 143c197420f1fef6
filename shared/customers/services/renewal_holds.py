"""The P1 hold (CONTRACT §2.11): while the account has an unresolved P1 case, its renewal is on
hold; when the last one resolves, ``RenewalReleased``.

A hold starts when a renewal reminder fires with an open P1 case on the account (the reminder's
handler, shared/customers/services/renewals.py), or when a P1 case opens or reopens on an account whose
renewal is under way (a reminder has fired, the contract is active). It ends when a P1 case
resolves and no other P1 case of the account is still open. Both case paths call
:func:`case_change` from the case service, in the case's own Change (one transaction).

**Finding the open P1 cases** never scans: the cases table's ``by_account`` index (account_id,
opened_at; priority and status projected) gives the account's slice, filtered to unresolved P1
cases. An index is eventually consistent, so every id it gives is confirmed by a consistent
read of the case. **Two P1 cases resolving at once**: each change saves every held contract of
the account at the version it read (even when only the list of holding cases changes), so the
two transactions conflict on the contract; the loser reads again, now sees the other case
resolved, and releases. Neither can leave the renewal held with no open P1 case.

The approvals of the renewal quote wait meanwhile (``approvals.held_renewal``: decisions refused,
time-outs not running) and resume on the release (``approvals.resume_after_hold``, in this change).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from shared.customers.domain.accounts import Account
from shared.customers.domain.contracts import Contract
from shared.customers.domain.renewals import HOLDING_PRIORITY, hold_escalation
from shared.customers.services.ports import CustomersWork
from shared.deliveries.services.alerts import alert_deliveries
from shared.kernel.domain.events import Event, EventType, iso, parse_iso
from shared.kernel.services.ports import Change, Save
from shared.rules.domain.active import ActiveRules
from shared.sales.services.approvals import resume_after_hold
from shared.sales.services.ports import SalesWork
from shared.service_desk.domain.cases import Case

RESOLVED = "resolved"


def account_manager_of(contract: Contract, uow: CustomersWork) -> tuple[Account | None, str | None]:
    """The contract's account and its account manager (else whoever sold the contract)."""
    account = uow.accounts.get(contract.account_id)
    manager = account.account_manager_id if account and account.account_manager_id else contract.owner_id
    return account, manager


def confirmed_open_p1(
    account_id: str, uow: CustomersWork, *, also: Iterable[str] = (), exclude: str | None = None
) -> list[Case]:
    """The account's unresolved P1 cases: what the index lists (plus ``also``, the cases a hold
    names), each confirmed by a consistent read; ``exclude``: the case being changed now."""
    found = []
    for case_id in sorted({*uow.cases.open_of_account(account_id, HOLDING_PRIORITY), *also}):
        case = uow.cases.get(case_id) if case_id != exclude else None
        if case is None or case.account_id != account_id or case.priority != HOLDING_PRIORITY:
            continue
        if case.replay().status != RESOLVED:
            found.append(case)
    return found


def held_data(contract: Contract, manager_id: str | None, notify: list[str]) -> dict[str, Any]:
    """``RenewalHeld``'s data: which cases hold the renewal since when; ``notify``: the escalation."""
    hold = contract.hold or {"case_ids": [], "since": None}
    return {
        "contract_id": contract.contract_id,
        "account_id": contract.account_id,
        "end_date": contract.end_date,
        "case_ids": list(hold["case_ids"]),
        "since": hold["since"],
        "account_manager_id": manager_id,
        "notify": notify,
    }


def case_change(
    case: Case, status_before: str | None, status_after: str, uow: SalesWork, active: ActiveRules, now: datetime
) -> Change:
    """What a case's change does to its account's renewals (nothing unless a P1 case opened,
    reopened or resolved). ``status_before``: None for a case just opened."""
    was_open = status_before is not None and status_before != RESOLVED
    is_open = status_after != RESOLVED
    if case.priority != HOLDING_PRIORITY or not case.account_id or was_open == is_open:
        return Change()
    change = Change()
    for contract in uow.contracts.of_account(case.account_id):
        if is_open and contract.renewal_underway:
            _hold(contract, case, uow, active, now, change)
        elif not is_open and contract.on_hold:
            _release_or_narrow(contract, case, uow, active, now, change)
    return change


def _hold(
    contract: Contract, case: Case, uow: CustomersWork, active: ActiveRules, now: datetime, change: Change
) -> None:
    version = contract.version
    new = contract.place_hold([case.case_id], iso(now))
    change.saves.append(Save(contract, version))
    if new:  # already held by another P1 case: the manager heard; the case joins the hold
        account, manager_id = account_manager_of(contract, uow)
        data = held_data(contract, manager_id, hold_escalation(manager_id, active.rules.owners))
        _tell(change, "RenewalHeld", contract, account, data, active, now)


def _release_or_narrow(
    contract: Contract, case: Case, uow: SalesWork, active: ActiveRules, now: datetime, change: Change
) -> None:
    assert contract.hold is not None
    version = contract.version
    open_cases = confirmed_open_p1(contract.account_id, uow, also=contract.hold["case_ids"], exclude=case.case_id)
    remaining = [c.case_id for c in open_cases]
    change.saves.append(Save(contract, version))  # saved either way: concurrent resolves conflict here
    if remaining:
        contract.hold = {**contract.hold, "case_ids": remaining}
        return
    # never released before it was held: only a clock moved by hand (`timer-sweep --at` ahead of
    # the stack's time) can put the resolution first, and the record must still read in order
    now = max(now, parse_iso(contract.hold["since"])) if contract.hold.get("since") else now
    held = contract.release_hold(iso(now), case.case_id)
    account, manager_id = account_manager_of(contract, uow)
    told = [p for p in [manager_id, *hold_escalation(manager_id, active.rules.owners)] if p]
    data = {
        "contract_id": contract.contract_id,
        "account_id": contract.account_id,
        "end_date": contract.end_date,
        "case_id": case.case_id,
        "held_since": held["since"],
        "account_manager_id": manager_id,
        "notify": told,
    }
    _tell(change, "RenewalReleased", contract, account, data, active, now)
    change.merge(resume_after_hold(contract, held["since"], now, uow, active))  # the approvals proceed


def _tell(
    change: Change,
    kind: EventType,
    contract: Contract,
    account: Account | None,
    data: dict[str, Any],
    active: ActiveRules,
    now: datetime,
) -> None:
    """The event and its alerts. The alerts' cause is the contract's history position, so a
    hold, release and hold again each alert once, and a retried change the same ones."""
    event = Event(type=kind, subject=contract.subject, time=now, data=data, rules_version=active.version)
    cause = f"{contract.subject}#{contract.entries_recorded}"
    alerts = alert_deliveries([event], account.company if account else None, active, cause, now)
    change.events.append(event)
    change.saves.extend(Save(a, None) for a in alerts)
