"""Accounts (CONTRACT §2.10, as far as invoicing needs them): upsert inside another change (the
e-sign webhook), read, and patch — a patch that supplies a Chinese buyer's credit code releases
its blocked invoices in the same transaction (``InvoiceRequested``, exactly once)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.customers.domain.accounts import Account, account_id_for, is_account_id
from shared.customers.domain.nps import account_nps
from shared.deliveries.services.alerts import alert_deliveries
from shared.fulfilment.domain.invoices import Outcome, release_invoice
from shared.fulfilment.domain.orders import Order
from shared.fulfilment.services.ports import OrdersWork
from shared.kernel.domain.errors import AccountNotFound, Conflict, ValidationFailed
from shared.kernel.domain.events import iso
from shared.kernel.services.ports import Change, Clock, Save
from shared.rules.domain.active import ActiveRules

if TYPE_CHECKING:
    from shared.customers.messages.accounts import AccountChange

BUSY = "this account is being changed by many requests at once; please retry"
MAX_RELEASE_ORDERS = 20  # one transaction: the account, these orders, their events and deliveries
MAX_LISTED_ORDERS = 50
MAX_LISTED_CONTRACTS = 50
CONTRACT_FIELDS = ("contract_id", "status", "start_date", "end_date", "amount", "currency", "signed_at", "order_id")


def upsert_account(
    uow: OrdersWork,
    fields: AccountChange,
    active: ActiveRules,
    at: datetime,
    *,
    account_id: str | None = None,
    by: str | None = None,
) -> tuple[Account, Save]:
    """The account for a signed contract, created or brought up to date, and its Save for the
    caller's Change (nothing is committed here). ``fields``: ``company`` (required for a new
    account), ``country``, ``credit_code``, ``address``, ``account_manager_id`` — read as PATCH
    reads them. ``account_id`` defaults to the id derived from the credit code, else company +
    country (as cases derive it)."""
    parsed = fields.changes
    if account_id is None:
        try:
            account_id = account_id_for(
                credit_code=parsed.get("credit_code"), company=parsed.get("company"), country=parsed.get("country")
            )
        except ValueError as missing:
            raise ValidationFailed(str(missing), fields={"account": str(missing)}) from None
    existing = uow.accounts.get(account_id)
    if existing is None:
        if "company" not in parsed:
            raise ValidationFailed("a new account needs its company", fields={"company": "is required"})
        account = Account(account_id=account_id, company=parsed["company"], created_at=iso(at), updated_at=iso(at))
        account.apply(parsed, iso(at), by)
        return account, Save(account, None)
    version = existing.version
    existing.apply(parsed, iso(at), by)
    return existing, Save(existing, version)


def get_account(account_id: str, uow: OrdersWork, now: datetime | None = None) -> dict[str, Any]:
    """The account with its contracts and invoices; with ``now``, its NPS of the last 90 days."""
    account = _get(account_id, uow)
    invoices = []
    for order_id in account.orders[-MAX_LISTED_ORDERS:]:
        order = uow.orders.get(order_id)
        for invoice in order.invoices if order else []:
            invoices.append({k: invoice.get(k) for k in ("invoice_id", "status", "amount", "currency", "created_at")})
            invoices[-1]["order_id"] = order_id
    contracts = [{k: getattr(c, k) for k in CONTRACT_FIELDS} for c in uow.contracts.of_account(account.account_id)][
        :MAX_LISTED_CONTRACTS
    ]
    view = {**account.view(), "contracts": contracts, "invoices": invoices}
    if now is not None:
        view["nps"] = account_nps(account.nps_answers, now)
    return view


def patch_account(
    account_id: str, change: AccountChange, active: ActiveRules, uow: OrdersWork, clock: Clock
) -> dict[str, Any]:
    """Set fields; then, if the account may be invoiced now, request its blocked invoices."""
    fields = change.changes

    def attempt() -> dict[str, Any]:
        now = clock()
        account = _get(account_id, uow)
        version = account.version
        changed = account.apply(fields, iso(now), None)
        released = release_blocked(account, uow, active, now)
        if changed or released.saves:
            uow.commit(Change(saves=[Save(account, version)]).merge(released))
        return account.view()

    return uow.retry.run(attempt, give_up=lambda: Conflict(BUSY))


def release_blocked(account: Account, uow: OrdersWork, active: ActiveRules, now: datetime) -> Change:
    """The account's blocked invoices, requested now that its tax id is there: each order saved
    with the version it was read at, so a racing shipment or patch makes this attempt retry."""
    change = Change()
    if account.needs_tax_id or not account.blocked:
        return change
    order_ids = list(dict.fromkeys(b["order_id"] for b in account.blocked))[:MAX_RELEASE_ORDERS]
    outcome = Outcome()
    for order_id in order_ids:
        order = uow.orders.get(order_id)
        if order is None:
            continue
        version = order.version
        for entry in [b for b in account.blocked if b["order_id"] == order_id]:
            release_invoice(order, entry["invoice_id"], account, now, outcome)
        change.saves.append(Save(order, version))
    account.blocked = [b for b in account.blocked if b["order_id"] not in order_ids]
    change.saves.extend(Save(d, None) for d in outcome.deliveries)
    change.events.extend(outcome.events)
    return change


def finance_alerts(outcome: Outcome, order: Order, active: ActiveRules, now: datetime) -> list[Save]:
    """Tell the account manager about what the change did to invoices (events with ``notify``)."""
    saves = []
    for event in outcome.events:
        if event.data.get("notify"):
            for delivery in alert_deliveries([event], order.account.get("name"), active, event.id, now):
                saves.append(Save(delivery, None))
    return saves


def _get(account_id: str, uow: OrdersWork) -> Account:
    account = uow.accounts.get(account_id) if is_account_id(account_id) else None
    if account is None:
        raise AccountNotFound(f"no account with id {account_id[:60]!r}")
    return account


__all__ = ["finance_alerts", "get_account", "patch_account", "release_blocked", "upsert_account"]
